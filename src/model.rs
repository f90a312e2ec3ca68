//! The data model shared by every reader, the engine, the rules and the app.
//!
//! A [`Layer`] is what one input file (or one table of a GeoPackage) becomes after
//! reading: geometries in the file's own CRS, attributes decoded to UTF-8, the CRS and
//! the text encoding together with *how* each was determined, and every per-record
//! problem found while reading. Readers never drop a record silently: a record that
//! cannot be used keeps its place (its `fid`) with `geometry: None` and a [`Problem`].

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use geo_types::Geometry;

use crate::crs::Crs;

/// The file format a layer was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceFormat {
    Shapefile,
    GeoJson,
    Csv,
    Xlsx,
    GeoPackage,
}

impl SourceFormat {
    pub fn label(self) -> &'static str {
        match self {
            SourceFormat::Shapefile => "ESRI Shapefile",
            SourceFormat::GeoJson => "GeoJSON",
            SourceFormat::Csv => "CSV",
            SourceFormat::Xlsx => "XLSX",
            SourceFormat::GeoPackage => "GeoPackage",
        }
    }
}

/// The kind of geometry a layer holds (the declared type for shapefiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GeometryKind {
    /// No geometry at all (an attribute-only table).
    None,
    Point,
    MultiPoint,
    Line,
    Polygon,
    /// Several kinds in one layer (GeoJSON allows it).
    Mixed,
}

impl GeometryKind {
    pub fn label(self) -> &'static str {
        match self {
            GeometryKind::None => "none",
            GeometryKind::Point => "Point",
            GeometryKind::MultiPoint => "MultiPoint",
            GeometryKind::Line => "LineString",
            GeometryKind::Polygon => "Polygon",
            GeometryKind::Mixed => "Mixed",
        }
    }

    /// The kind of one geometry value.
    pub fn of(g: &Geometry<f64>) -> GeometryKind {
        match g {
            Geometry::Point(_) => GeometryKind::Point,
            Geometry::MultiPoint(_) => GeometryKind::MultiPoint,
            Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
                GeometryKind::Line
            }
            Geometry::Polygon(_)
            | Geometry::MultiPolygon(_)
            | Geometry::Rect(_)
            | Geometry::Triangle(_) => GeometryKind::Polygon,
            Geometry::GeometryCollection(_) => GeometryKind::Mixed,
        }
    }
}

/// The declared type of an attribute column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldKind {
    Text,
    Integer,
    Float,
    Bool,
    Date,
}

/// One attribute column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The column name as decoded from the file (UTF-8).
    pub name: String,
    pub kind: FieldKind,
}

/// One attribute value, already decoded to UTF-8.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub enum Value {
    #[default]
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An ISO-8601 date `YYYY-MM-DD` (DBF `D` fields, Excel dates).
    Date(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as text, for display and for matching by synonyms.
    pub fn as_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Text(s) | Value::Date(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
            Value::Int(i) => Some(std::borrow::Cow::Owned(i.to_string())),
            Value::Float(f) => Some(std::borrow::Cow::Owned(format_float(*f))),
            Value::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b {
                "true"
            } else {
                "false"
            })),
        }
    }

    /// The value as a number if it is one or is text that parses as one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Text(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }
}

/// Shortest float text that round-trips, without a trailing `.0` for integers.
pub fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_text() {
            Some(t) => f.write_str(&t),
            None => Ok(()),
        }
    }
}

/// Zero-based record number in the source file, the `fid` of the stable interfaces.
pub type Fid = u64;

/// One record of a layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    /// 0-based record order in the input file.
    pub fid: Fid,
    /// `None` for null shapes and for records whose geometry could not be read.
    pub geometry: Option<Geometry<f64>>,
    /// One value per [`Layer::fields`] entry, in the same order.
    pub attrs: Vec<Value>,
}

/// How a layer's CRS was determined.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CrsSource {
    /// From the `.prj` file next to a shapefile.
    PrjFile,
    /// Declared inside the file (GeoJSON `crs` member, GeoPackage srs_id).
    Declared,
    /// The format fixes it (RFC 7946 GeoJSON is WGS84).
    FormatDefault,
    /// Guessed from coordinate ranges; the string says why.
    Detected(String),
    /// Given by the user (command line or app).
    User,
}

impl CrsSource {
    pub fn describe(&self) -> String {
        match self {
            CrsSource::PrjFile => "from .prj".into(),
            CrsSource::Declared => "declared in file".into(),
            CrsSource::FormatDefault => "format default".into(),
            CrsSource::Detected(why) => format!("detected: {why}"),
            CrsSource::User => "given by user".into(),
        }
    }
}

/// A layer's CRS and how it was found. `crs: None` means unknown (the reason is
/// in `source`/problems and the user must say).
#[derive(Clone, Debug, PartialEq)]
pub struct CrsInfo {
    pub crs: Option<Crs>,
    pub source: CrsSource,
}

/// How the text encoding of a layer's attributes was determined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EncodingSource {
    /// A `.cpg` file with this label.
    Cpg(String),
    /// The DBF header's language driver byte.
    LanguageDriver(u8),
    /// No declaration; the bytes were valid UTF-8.
    DetectedUtf8,
    /// No declaration; the bytes were not UTF-8, decoded as GB18030.
    DetectedGb18030,
    /// The format fixes it (GeoJSON, XLSX are Unicode).
    FormatDefault,
    /// Given by the user.
    User,
}

impl EncodingSource {
    pub fn describe(&self) -> String {
        match self {
            EncodingSource::Cpg(label) => format!(".cpg says \"{label}\""),
            EncodingSource::LanguageDriver(b) => format!("DBF language driver 0x{b:02X}"),
            EncodingSource::DetectedUtf8 => "detected (valid UTF-8)".into(),
            EncodingSource::DetectedGb18030 => "detected (not UTF-8, read as GB18030)".into(),
            EncodingSource::FormatDefault => "format default".into(),
            EncodingSource::User => "given by user".into(),
        }
    }
}

/// The text encoding used to decode attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodingInfo {
    pub encoding: &'static encoding_rs::Encoding,
    pub source: EncodingSource,
}

impl EncodingInfo {
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }
}

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProblemLevel {
    /// Worth knowing; the data was used as read (e.g. suspected swapped columns fixed).
    Warning,
    /// The record (or field) could not be used.
    Error,
}

/// Something wrong found while reading: which file, which record, which field, what
/// is wrong and what to do. Shown in the app's problems list and by the CLI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub level: ProblemLevel,
    pub file: PathBuf,
    /// 0-based record (fid); for CSV/XLSX see `row` too.
    pub record: Option<Fid>,
    /// 1-based spreadsheet row as the user sees it in Excel, when there is one.
    pub row: Option<u64>,
    pub field: Option<String>,
    pub message: String,
    /// What the user can do about it.
    pub hint: Option<String>,
    /// The message and hint in Chinese, for the app's problems list in Chinese
    /// (problems without one show the English text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zh: Option<ProblemText>,
}

/// A problem's message and hint in one language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemText {
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(level: ProblemLevel, file: &Path, message: impl Into<String>) -> Problem {
        Problem {
            level,
            file: file.to_path_buf(),
            record: None,
            row: None,
            field: None,
            message: message.into(),
            hint: None,
            zh: None,
        }
    }
    pub fn error(file: &Path, message: impl Into<String>) -> Problem {
        Problem::new(ProblemLevel::Error, file, message)
    }
    pub fn warning(file: &Path, message: impl Into<String>) -> Problem {
        Problem::new(ProblemLevel::Warning, file, message)
    }
    pub fn at_record(mut self, fid: Fid) -> Problem {
        self.record = Some(fid);
        self
    }
    pub fn at_row(mut self, row: u64) -> Problem {
        self.row = Some(row);
        self
    }
    pub fn in_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
    /// The message and hint in Chinese.
    pub fn with_zh(mut self, message: impl Into<String>, hint: Option<&str>) -> Problem {
        self.zh = Some(ProblemText {
            message: message.into(),
            hint: hint.map(str::to_owned),
        });
        self
    }
    /// The message and hint to show: in Chinese when `chinese` and there is a
    /// translation, else in English.
    pub fn text(&self, chinese: bool) -> (&str, Option<&str>) {
        match (&self.zh, chinese) {
            (Some(zh), true) => (&zh.message, zh.hint.as_deref()),
            _ => (&self.message, self.hint.as_deref()),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            ProblemLevel::Warning => "warning",
            ProblemLevel::Error => "error",
        };
        write!(f, "{level}: {}", self.file.display())?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        } else if let Some(r) = self.record {
            write!(f, ", record {r}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field \"{field}\"")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// One input file read into memory.
#[derive(Clone, Debug)]
pub struct Layer {
    /// Display name, by default the file stem (e.g. `水源地保护区`).
    pub name: String,
    /// The file the layer was read from (the `.shp` for shapefiles, the `.zip` when zipped).
    pub source: PathBuf,
    pub format: SourceFormat,
    pub geometry_kind: GeometryKind,
    /// Whether the source had Z (or M) values; qingling works in 2-D and drops them.
    pub has_z: bool,
    pub crs: CrsInfo,
    /// `None` where the format has no text encoding question (GeoJSON, XLSX).
    pub encoding: Option<EncodingInfo>,
    pub fields: Vec<FieldDef>,
    pub features: Vec<Feature>,
    pub problems: Vec<Problem>,
    /// Attributes read on demand: when set, every feature's `attrs` is empty and its
    /// values come from here ([`Layer::value`]); see
    /// [`ReadOptions::defer_attributes`](crate::io::ReadOptions::defer_attributes).
    /// Code that needs `attrs` filled calls [`Layer::materialize_attributes`].
    pub deferred: Option<Arc<dyn DeferredAttributes>>,
}

/// A layer's attribute values decoded when asked for (a shapefile's `.dbf` kept as
/// bytes): the values are those the reader would have put in `attrs`.
pub trait DeferredAttributes: fmt::Debug + Send + Sync {
    /// The value of column `col` of the record at `index` (`Null` past the end).
    fn value(&self, index: usize, col: usize) -> Value;
    /// For a text column, its value's text (`None` when empty), borrowed where the
    /// bytes allow; `None` for other columns (read [`DeferredAttributes::value`]).
    fn text(&self, index: usize, col: usize) -> Option<std::borrow::Cow<'_, str>>;
    /// Whether column `col` is a text column (read through `text`).
    fn is_text_column(&self, col: usize) -> bool;
    /// For a text column, the value as stored (padding removed; `None` when
    /// empty): equal bytes give equal text, so readers can remember what a
    /// spelling reads as without decoding it again.
    fn text_bytes(&self, index: usize, col: usize) -> Option<&[u8]>;
    /// The value of any column as stored (padding removed; `None` when empty, and
    /// for a deleted record or past the end): equal bytes in one column give equal
    /// values, so readers can remember what a value reads as without decoding or
    /// parsing it again.
    fn stored_bytes(&self, index: usize, col: usize) -> Option<&[u8]>;
    /// Calls `each` with the characters of a text column's value, exactly those of
    /// [`DeferredAttributes::text`], without building the string where the bytes
    /// allow (hashing a million records' keys); `false` when `text` gives `None`.
    fn text_chars(&self, index: usize, col: usize, each: &mut dyn FnMut(char)) -> bool {
        match self.text(index, col) {
            Some(t) => {
                t.chars().for_each(each);
                true
            }
            None => false,
        }
    }
    /// Column `col` as stored, when the values are kept as fixed-width records: the
    /// values of [`DeferredAttributes::stored_bytes`] (and, for a text column, of
    /// [`DeferredAttributes::text_bytes`]) without a call through the trait for
    /// each, for passes over every record. `None` when not kept so.
    fn stored_column(&self, col: usize) -> Option<StoredColumn<'_>> {
        let _ = col;
        None
    }
}

/// One column of a table of fixed-width records kept as bytes (a `.dbf`), read
/// value by value in place ([`DeferredAttributes::stored_column`]).
#[derive(Clone, Copy, Debug)]
pub struct StoredColumn<'a> {
    /// The records, back to back; a record whose first byte is `*` is deleted.
    records: &'a [u8],
    record_len: usize,
    /// Where the column's bytes are in a record, and how many.
    start: usize,
    len: usize,
    /// Whether the column holds text.
    text: bool,
}

impl<'a> StoredColumn<'a> {
    /// The column at `start..start + len` of each of the `record_len`-byte records
    /// in `records`; `None` when it does not fit in a record.
    pub fn new(
        records: &'a [u8],
        record_len: usize,
        (start, len): (usize, usize),
        text: bool,
    ) -> Option<StoredColumn<'a>> {
        (start >= 1 && start.checked_add(len)? <= record_len).then_some(StoredColumn {
            records,
            record_len,
            start,
            len,
            text,
        })
    }

    /// The value of record `index` as stored, padding removed: `None` when empty,
    /// for a deleted record, and past the end.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        let at = index.checked_mul(self.record_len)?;
        let record = self.records.get(at..at.checked_add(self.record_len)?)?;
        if record[0] == b'*' {
            return None;
        }
        let t = trim_padding(&record[self.start..self.start + self.len]);
        (!t.is_empty()).then_some(t)
    }

    /// Reads the first and last byte of record `index` (0 past the end), so that a
    /// caller about to read several scattered records can have them brought into
    /// the cache side by side rather than one after another.
    #[inline]
    pub fn touch(&self, index: usize) -> u8 {
        let at = index.saturating_mul(self.record_len);
        match self.records.get(at..at.saturating_add(self.record_len)) {
            Some([first, .., last]) => first ^ last,
            _ => 0,
        }
    }

    /// Whether the column holds text ([`DeferredAttributes::text_bytes`] gives
    /// its values; otherwise that gives `None`).
    pub fn is_text(&self) -> bool {
        self.text
    }

    /// The bytes of record `index` in the column as they are (padding and the
    /// deletion flag not looked at) as a number ([`word_at`]): equal numbers are
    /// equal values. `None` for a column wider than 16 bytes, past the end, and for
    /// the last bytes of the table.
    #[inline]
    pub fn raw_word(&self, index: usize) -> Option<u128> {
        let at = index
            .checked_mul(self.record_len)?
            .checked_add(self.start)?;
        word_at(self.records, at, self.len)
    }
}

/// The `len` bytes at `at` of `bytes` as a little-endian number, for up to 16 bytes:
/// equal numbers are equal bytes. `None` for more, and where fewer than 16 bytes
/// follow `at` (the number is read as one load).
#[inline]
fn word_at(bytes: &[u8], at: usize, len: usize) -> Option<u128> {
    if len > 16 {
        return None;
    }
    let loaded: [u8; 16] = bytes.get(at..at.checked_add(16)?)?.try_into().ok()?;
    let mask = match len {
        16 => u128::MAX,
        len => (1u128 << (8 * len)) - 1,
    };
    Some(u128::from_le_bytes(loaded) & mask)
}

/// A stored value without the padding (spaces and NULs) on either side.
pub fn trim_padding(b: &[u8]) -> &[u8] {
    // A wide field (ledgers exported from ArcGIS or Excel often have 50–254-byte
    // text fields) is mostly padding: eight bytes at a time first.
    let b = if b.len() >= 16 {
        trim_padding_words(b)
    } else {
        b
    };
    let is_pad = |c: &u8| *c == b' ' || *c == 0;
    let start = b.iter().position(|c| !is_pad(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !is_pad(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// `b` without the whole eight-byte words of padding at either end (each byte a
/// space or NUL: no bit set but 0x20); what is left may still start or end with a
/// few padding bytes.
fn trim_padding_words(b: &[u8]) -> &[u8] {
    const NOT_PAD: u64 = !0x2020_2020_2020_2020;
    let padding = |word: &[u8]| {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([1; 8]));
        w & NOT_PAD == 0
    };
    let (mut start, mut end) = (0, b.len());
    while end - start >= 8 && padding(&b[end - 8..end]) {
        end -= 8;
    }
    while end - start >= 8 && padding(&b[start..start + 8]) {
        start += 8;
    }
    &b[start..end]
}

impl Layer {
    /// The value of column `col` of the record at `index`, from `attrs` or the
    /// deferred attributes.
    pub fn value(&self, index: usize, col: usize) -> std::borrow::Cow<'_, Value> {
        use std::borrow::Cow;
        match &self.deferred {
            Some(d) => Cow::Owned(d.value(index, col)),
            None => self
                .features
                .get(index)
                .and_then(|f| f.attrs.get(col))
                .map_or(Cow::Owned(Value::Null), Cow::Borrowed),
        }
    }

    /// Decodes deferred attributes into every feature's `attrs` (nothing to do when
    /// they are not deferred).
    pub fn materialize_attributes(&mut self) {
        use rayon::prelude::*;
        let Some(d) = self.deferred.take() else {
            return;
        };
        let n = self.fields.len();
        self.features
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, f)| f.attrs = (0..n).map(|col| d.value(i, col)).collect());
    }

    /// Index of a field by exact name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// Number of records without a geometry (null shapes or unreadable geometry).
    pub fn null_geometry_count(&self) -> usize {
        self.features
            .iter()
            .filter(|f| f.geometry.is_none())
            .count()
    }

    /// Bounding box of all geometries in the layer CRS, `None` if there are none.
    pub fn bbox(&self) -> Option<geo_types::Rect<f64>> {
        use geo::BoundingRect;
        let mut acc: Option<geo_types::Rect<f64>> = None;
        for g in self.features.iter().filter_map(|f| f.geometry.as_ref()) {
            if let Some(r) = g.bounding_rect() {
                acc = Some(match acc {
                    None => r,
                    Some(a) => geo_types::Rect::new(
                        geo_types::coord! { x: a.min().x.min(r.min().x), y: a.min().y.min(r.min().y) },
                        geo_types::coord! { x: a.max().x.max(r.max().x), y: a.max().y.max(r.max().y) },
                    ),
                });
            }
        }
        acc
    }
}

/// How serious a finding is (the rule decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 违法: a violation of the law or the campaign rule.
    Violation,
    /// 待完成任务: a task still to do (e.g. a boiler not yet eliminated).
    TaskPending,
    /// 需核查: needs a field check or a reviewer's judgement.
    NeedsReview,
}

impl Severity {
    /// Stable machine name used in files (`violation`, `task_pending`, `needs_review`).
    pub fn code(self) -> &'static str {
        match self {
            Severity::Violation => "violation",
            Severity::TaskPending => "task_pending",
            Severity::NeedsReview => "needs_review",
        }
    }
    pub fn from_code(s: &str) -> Option<Severity> {
        match s {
            "violation" => Some(Severity::Violation),
            "task_pending" => Some(Severity::TaskPending),
            "needs_review" => Some(Severity::NeedsReview),
            _ => None,
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Severity::Violation => "违法",
            Severity::TaskPending => "待完成任务",
            Severity::NeedsReview => "需核查",
        }
    }
}

/// Where a finding stands in the review cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// 待核查: not looked at yet.
    Pending,
    /// 已确认: confirmed as a real problem.
    Confirmed,
    /// 误报: a false positive.
    FalsePositive,
    /// 整改中: being fixed.
    Rectifying,
    /// 已销号: cleared.
    Cleared,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 5] = [
        ReviewStatus::Pending,
        ReviewStatus::Confirmed,
        ReviewStatus::FalsePositive,
        ReviewStatus::Rectifying,
        ReviewStatus::Cleared,
    ];
    /// The Chinese label, which is also what files store in the `status` column.
    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "待核查",
            ReviewStatus::Confirmed => "已确认",
            ReviewStatus::FalsePositive => "误报",
            ReviewStatus::Rectifying => "整改中",
            ReviewStatus::Cleared => "已销号",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Confirmed => "confirmed",
            ReviewStatus::FalsePositive => "false positive",
            ReviewStatus::Rectifying => "rectifying",
            ReviewStatus::Cleared => "cleared",
        }
    }
    /// Accepts the Chinese label or the English label.
    pub fn parse(s: &str) -> Option<ReviewStatus> {
        let s = s.trim();
        ReviewStatus::ALL
            .into_iter()
            .find(|st| st.label_zh() == s || st.label_en().eq_ignore_ascii_case(s))
    }
}

/// One row of the findings ledger: a site that breaks a rule (against a zone, or
/// attribute-only when `zone_layer` is `None`). The columns are DESIGN.md's stable
/// findings table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id: the same site, zone and rule give the same id on every run.
    pub finding_id: String,
    pub rule_id: String,
    pub severity: Severity,
    pub site_layer: String,
    pub site_fid: Fid,
    pub site_name: String,
    pub zone_layer: Option<String>,
    pub zone_fid: Option<Fid>,
    pub zone_name: Option<String>,
    pub zone_level: Option<String>,
    /// Metric distance to the zone boundary: 0 on it, negative inside.
    pub distance_m: Option<f64>,
    /// WGS84 / CGCS2000 degrees.
    pub lon: f64,
    pub lat: f64,
    pub county: Option<String>,
    pub status: ReviewStatus,
    pub note: String,
}

impl Finding {
    /// The stable column names, in order.
    pub const COLUMNS: [&'static str; 16] = [
        "finding_id",
        "rule_id",
        "severity",
        "site_layer",
        "site_fid",
        "site_name",
        "zone_layer",
        "zone_fid",
        "zone_name",
        "zone_level",
        "distance_m",
        "lon",
        "lat",
        "county",
        "status",
        "note",
    ];
    /// Chinese headers for XLSX, same order as [`Finding::COLUMNS`].
    pub const COLUMNS_ZH: [&'static str; 16] = [
        "问题编号",
        "规则",
        "问题性质",
        "点位图层",
        "点位序号",
        "点位名称",
        "区域图层",
        "区域序号",
        "区域名称",
        "保护区级别",
        "距边界(米)",
        "经度",
        "纬度",
        "县区",
        "状态",
        "备注",
    ];

    /// The finding as a [`FindingView`] of its text.
    pub fn view(&self) -> FindingView<'_> {
        use std::borrow::Cow::Borrowed;
        FindingView {
            finding_id: Borrowed(&self.finding_id),
            rule_id: &self.rule_id,
            severity: self.severity,
            site_layer: &self.site_layer,
            site_fid: self.site_fid,
            site_name: Borrowed(&self.site_name),
            zone_layer: self.zone_layer.as_deref(),
            zone_fid: self.zone_fid,
            zone_name: self.zone_name.as_deref(),
            zone_level: self.zone_level.as_deref(),
            distance_m: self.distance_m,
            lon: self.lon,
            lat: self.lat,
            county: self.county.as_deref().map(Borrowed),
            status: self.status,
            note: &self.note,
        }
    }
}

/// A [`Finding`] whose text is borrowed where it can be (from its rule, its layers
/// and their records): what a check hands over when the findings are only written
/// out, so that a province's findings are not each copied into strings first.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingView<'a> {
    pub finding_id: std::borrow::Cow<'a, str>,
    pub rule_id: &'a str,
    pub severity: Severity,
    pub site_layer: &'a str,
    pub site_fid: Fid,
    pub site_name: std::borrow::Cow<'a, str>,
    pub zone_layer: Option<&'a str>,
    pub zone_fid: Option<Fid>,
    pub zone_name: Option<&'a str>,
    pub zone_level: Option<&'a str>,
    pub distance_m: Option<f64>,
    pub lon: f64,
    pub lat: f64,
    pub county: Option<std::borrow::Cow<'a, str>>,
    pub status: ReviewStatus,
    pub note: &'a str,
}

impl FindingView<'_> {
    /// The finding with its own copy of the text (the strings the view owns are
    /// moved, not copied).
    pub fn into_finding(self) -> Finding {
        use std::borrow::Cow;
        Finding {
            finding_id: self.finding_id.into_owned(),
            rule_id: self.rule_id.to_string(),
            severity: self.severity,
            site_layer: self.site_layer.to_string(),
            site_fid: self.site_fid,
            site_name: self.site_name.into_owned(),
            zone_layer: self.zone_layer.map(str::to_string),
            zone_fid: self.zone_fid,
            zone_name: self.zone_name.map(str::to_string),
            zone_level: self.zone_level.map(str::to_string),
            distance_m: self.distance_m,
            lon: self.lon,
            lat: self.lat,
            county: self.county.map(Cow::into_owned),
            status: self.status,
            note: self.note.to_string(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A layer `name` of text columns `fields`, with no records and no coordinate
    /// system.
    pub(crate) fn text_layer(name: &str, kind: GeometryKind, fields: &[&str]) -> Layer {
        Layer {
            name: name.into(),
            source: std::path::PathBuf::from(format!("{name}.shp")),
            format: SourceFormat::Shapefile,
            geometry_kind: kind,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: fields
                .iter()
                .map(|n| FieldDef {
                    name: (*n).into(),
                    kind: FieldKind::Text,
                })
                .collect(),
            features: vec![],
            problems: vec![],
            deferred: None,
        }
    }
}
