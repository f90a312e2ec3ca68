//! Rule evaluation for one site, independent of how the zones were found.
//!
//! The spatial engine tells, for each site, which zones it relates to and how
//! ([`ZoneHit`]); this module reads the site's attributes through its layer's
//! [`FieldMapping`] into [`CanonicalValues`] and decides which rules fire
//! ([`rule_hits`], [`evaluate_site`]). Nothing here touches geometry.

use std::borrow::Cow;

use foldhash::HashMap as FastMap;
use rayon::prelude::*;

use super::format::{
    Condition, Operand, PlaceScope, Rule, RuleSet, Test, WhenMissing, ZoneClause, ZonePredicate,
};
use super::roles::{CanonicalField, FieldMapping, LayerRole, ValueKind};
use super::values::{
    Fuel, RemediationType, SiteStatus, Unit, ZoneLevel, compact, normalise_fuel, normalise_level,
    normalise_remediation, normalise_status, parse_capacity_tph, parse_done_flag, parse_flag,
    parse_scattered_flag, round_1e9,
};
use crate::model::{Fid, Layer, Problem, Severity, StoredColumn, Value};

/// One canonical value, read the way its field is read.
#[derive(Clone, Debug, PartialEq)]
pub enum CanonValue {
    /// Text as written (trimmed).
    Text(String),
    /// t/h for `capacity_tph`, MW for `capacity_mw`.
    Number(f64),
    /// A protection-zone level.
    Level(ZoneLevel),
    /// A fuel.
    Fuel(Fuel),
    /// A site status.
    Status(SiteStatus),
    /// A 散乱污 remediation type.
    Remediation(RemediationType),
    /// A yes/no answer.
    Flag(bool),
}

/// The fields a record's name is taken from, first present first: a site's name,
/// else a zone's, else its water source's.
const NAME_FIELDS: [CanonicalField; 3] = [
    CanonicalField::SiteName,
    CanonicalField::ZoneName,
    CanonicalField::SourceName,
];

/// The canonical values of one feature, with the text each came from and the
/// problems met reading them. A value that could not be read is absent (missing)
/// and has a problem.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CanonicalValues {
    values: FieldMap<CanonValue>,
    raw: FieldMap<String>,
    /// Values that could not be read, one problem each.
    pub problems: Vec<Problem>,
}

impl CanonicalValues {
    /// No values.
    pub fn new() -> CanonicalValues {
        CanonicalValues::default()
    }

    /// Builds values from texts, as if read from columns without units; for tests,
    /// the CLI and hand-entered sites. Unreadable texts are skipped.
    pub fn from_texts(pairs: &[(CanonicalField, &str)]) -> CanonicalValues {
        let mut v = CanonicalValues::new();
        for (field, text) in pairs {
            let _ = v.set_text(*field, text, None);
        }
        v
    }

    /// Reads `text` as `field` reads it and stores it. Empty text is a no-op.
    /// `Err` says why the text could not be read (the value is then missing).
    pub fn set_text(
        &mut self,
        field: CanonicalField,
        text: &str,
        column_unit: Option<Unit>,
    ) -> Result<(), String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let read = read_text(field, text, column_unit);
        self.store(field, text, read)
    }

    /// Stores `text` (trimmed, not empty) as the raw text of `field` and `read`, what
    /// [`read_text`] made of it, as its value; `Err` passes the reason on.
    fn store(
        &mut self,
        field: CanonicalField,
        text: &str,
        read: Result<CanonValue, String>,
    ) -> Result<(), String> {
        self.store_owned(field, text.to_string(), read)
    }

    /// [`CanonicalValues::store`] taking the raw text as it is.
    fn store_owned(
        &mut self,
        field: CanonicalField,
        text: String,
        read: Result<CanonValue, String>,
    ) -> Result<(), String> {
        self.raw.insert(field, text);
        let result = read.map(|v| self.values.insert(field, v));
        self.derive();
        result
    }

    /// Fills values that follow from others when they are missing: `capacity_tph`
    /// from `capacity_mw`, and a zone level from the zone's name (`某水源地一级保护区`).
    /// A value read later for the field itself replaces the derived one.
    /// The fields [`CanonicalValues::derive`] may fill `field` from.
    fn derived_from(field: CanonicalField) -> &'static [CanonicalField] {
        match field {
            CanonicalField::CapacityTph => &[CanonicalField::CapacityMw],
            CanonicalField::ZoneLevel => &[CanonicalField::ZoneName, CanonicalField::SourceName],
            _ => &[],
        }
    }

    fn derive(&mut self) {
        if !self.values.contains_key(CanonicalField::CapacityTph)
            && let Some(CanonValue::Number(mw)) = self.values.get(CanonicalField::CapacityMw)
        {
            let tph = Unit::Mw.to_tph(*mw);
            self.values
                .insert(CanonicalField::CapacityTph, CanonValue::Number(tph));
        }
        if !self.values.contains_key(CanonicalField::ZoneLevel) {
            let from_name = [CanonicalField::ZoneName, CanonicalField::SourceName]
                .into_iter()
                .filter_map(|f| self.raw.get(f))
                .find_map(|t| normalise_level(t));
            if let Some(level) = from_name {
                self.values
                    .insert(CanonicalField::ZoneLevel, CanonValue::Level(level));
            }
        }
    }

    /// The value of a field, `None` when missing or unreadable.
    pub fn get(&self, field: CanonicalField) -> Option<&CanonValue> {
        self.values.get(field)
    }
    /// The text a value was read from (also kept when it could not be read).
    pub fn raw(&self, field: CanonicalField) -> Option<&str> {
        self.raw.get(field).map(String::as_str)
    }
    /// A text field's value.
    pub fn text(&self, field: CanonicalField) -> Option<&str> {
        match self.values.get(field) {
            Some(CanonValue::Text(s)) => Some(s),
            _ => None,
        }
    }
    /// The site's name, or for a zone its zone or water-source name.
    pub fn name(&self) -> Option<&str> {
        NAME_FIELDS.into_iter().find_map(|field| self.text(field))
    }
    /// The city (市) as written.
    pub fn city(&self) -> Option<&str> {
        self.text(CanonicalField::City)
    }
    /// The county (县区) as written.
    pub fn county(&self) -> Option<&str> {
        self.text(CanonicalField::County)
    }
    /// The 6-digit division code as written.
    pub fn county_code(&self) -> Option<&str> {
        self.text(CanonicalField::CountyCode)
    }
    /// The 统一社会信用代码 as written.
    pub fn credit_code(&self) -> Option<&str> {
        self.text(CanonicalField::CreditCode)
    }
    /// The industry (行业) as written.
    pub fn industry(&self) -> Option<&str> {
        self.text(CanonicalField::Industry)
    }
    /// The fuel, read.
    pub fn fuel(&self) -> Option<Fuel> {
        match self.values.get(CanonicalField::Fuel) {
            Some(CanonValue::Fuel(f)) => Some(*f),
            _ => None,
        }
    }
    /// Capacity in t/h (from a MW column if there is no t/h value).
    pub fn capacity_tph(&self) -> Option<f64> {
        match self.values.get(CanonicalField::CapacityTph) {
            Some(CanonValue::Number(n)) => Some(*n),
            _ => None,
        }
    }
    /// The status, read.
    pub fn status(&self) -> Option<SiteStatus> {
        match self.values.get(CanonicalField::Status) {
            Some(CanonValue::Status(s)) => Some(*s),
            _ => None,
        }
    }
    /// The protection-zone level (of a zone record).
    pub fn level(&self) -> Option<ZoneLevel> {
        match self.values.get(CanonicalField::ZoneLevel) {
            Some(CanonValue::Level(l)) => Some(*l),
            _ => None,
        }
    }
    /// The 散乱污 remediation type, read.
    pub fn remediation(&self) -> Option<RemediationType> {
        match self.values.get(CanonicalField::RemediationType) {
            Some(CanonValue::Remediation(r)) => Some(*r),
            _ => None,
        }
    }
    /// A yes/no field's value.
    pub fn flag(&self, field: CanonicalField) -> Option<bool> {
        match self.values.get(field) {
            Some(CanonValue::Flag(b)) => Some(*b),
            _ => None,
        }
    }
}

/// A small map from canonical fields to values: a vector sorted by field. A record
/// has a handful of mapped fields, so this is one allocation where a `BTreeMap`
/// node would be several hundred bytes, and lookups are a short binary search.
#[derive(Clone, Debug, PartialEq)]
struct FieldMap<T>(Vec<(CanonicalField, T)>);

impl<T> Default for FieldMap<T> {
    fn default() -> Self {
        FieldMap(Vec::new())
    }
}

impl<T> FieldMap<T> {
    fn position(&self, field: CanonicalField) -> Result<usize, usize> {
        self.0.binary_search_by(|(f, _)| f.cmp(&field))
    }
    fn insert(&mut self, field: CanonicalField, value: T) {
        match self.position(field) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (field, value)),
        }
    }
    fn get(&self, field: CanonicalField) -> Option<&T> {
        self.position(field).ok().map(|i| &self.0[i].1)
    }
    fn contains_key(&self, field: CanonicalField) -> bool {
        self.position(field).is_ok()
    }
}

/// [`expected_text`] in Chinese, to follow “识别为”.
fn expected_text_zh(field: CanonicalField) -> &'static str {
    match field.kind() {
        ValueKind::Text => "文本",
        ValueKind::Capacity => "容量（如 4、4t/h、4吨 或 2.8MW）",
        ValueKind::Level => "保护区级别（一级/二级/准保护区）",
        ValueKind::Fuel => "燃料（燃煤/燃气/电/燃油/生物质/洁净型煤 ……）",
        ValueKind::Status => "状态（在用/停用/已淘汰）",
        ValueKind::Remediation => "整治类型（关停取缔/整合搬迁/升级改造）",
        ValueKind::Flag | ValueKind::ScatteredFlag | ValueKind::DoneFlag => "是/否",
    }
}

fn expected_text(field: CanonicalField) -> &'static str {
    match field.kind() {
        ValueKind::Text => "text",
        ValueKind::Capacity => "a capacity such as 4, 4t/h, 4吨 or 2.8MW",
        ValueKind::Level => "a protection level (一级/二级/准保护区)",
        ValueKind::Fuel => "a fuel (燃煤/燃气/电/燃油/生物质/洁净型煤 ...)",
        ValueKind::Status => "a status (在用/停用/已淘汰)",
        ValueKind::Remediation => "a remediation type (关停取缔/整合搬迁/升级改造)",
        ValueKind::Flag | ValueKind::ScatteredFlag | ValueKind::DoneFlag => "yes/no (是/否)",
    }
}

/// What `field` makes of `text` (trimmed, not empty): its value, or why it cannot
/// be read. Depends on nothing else, so a layer reads each distinct text of a
/// category column once ([`LayerValues`]).
fn read_text(
    field: CanonicalField,
    text: &str,
    column_unit: Option<Unit>,
) -> Result<CanonValue, String> {
    let read = match field.kind() {
        ValueKind::Text => Some(CanonValue::Text(text.to_string())),
        ValueKind::Capacity => {
            let unit = column_unit.or(field.default_unit());
            parse_capacity_tph(text, unit).map(|tph| {
                if field == CanonicalField::CapacityMw {
                    CanonValue::Number(round_1e9(tph * super::values::MW_PER_TPH))
                } else {
                    CanonValue::Number(tph)
                }
            })
        }
        ValueKind::Level => normalise_level(text).map(CanonValue::Level),
        ValueKind::Fuel => normalise_fuel(text).map(CanonValue::Fuel),
        ValueKind::Status => normalise_status(text).map(CanonValue::Status),
        ValueKind::Remediation => normalise_remediation(text).map(CanonValue::Remediation),
        ValueKind::Flag => parse_flag(text).map(CanonValue::Flag),
        ValueKind::ScatteredFlag => parse_scattered_flag(text).map(CanonValue::Flag),
        ValueKind::DoneFlag => parse_done_flag(text).map(CanonValue::Flag),
    };
    read.ok_or_else(|| {
        format!(
            "{} \"{text}\" could not be read as {}",
            field.label_zh(),
            expected_text(field)
        )
    })
}

/// Problems with a mapping itself: columns it names that the layer does not have.
pub fn check_mapping(layer: &Layer, mapping: &FieldMapping) -> Vec<Problem> {
    mapping
        .entries
        .iter()
        .filter(|(_, m)| layer.field_index(&m.source_field).is_none())
        .map(|(field, m)| {
            Problem::error(
                &layer.source,
                format!(
                    "{} ({}) is mapped to column \"{}\", which the layer does not have",
                    field.label_zh(),
                    field.code(),
                    m.source_field
                ),
            )
            .in_field(m.source_field.clone())
            .with_hint("choose the column again in the field mapping")
            .with_zh(
                format!(
                    "{}（{}）对应到列“{}”，但图层中没有这一列",
                    field.label_zh(),
                    field.code(),
                    m.source_field
                ),
                Some("请在字段对应中重新选择该列"),
            )
        })
        .collect()
}

/// The canonical values of the feature at index `fid_index` of `layer.features`.
/// Unreadable values become problems naming the file, record and column; columns the
/// layer lacks are skipped (see [`check_mapping`]).
pub fn canonical_values(
    layer: &Layer,
    mapping: &FieldMapping,
    fid_index: usize,
) -> CanonicalValues {
    LayerValues::new(layer, mapping).values(fid_index, &mut ReadMemo::default())
}

/// [`canonical_values`] for every feature, resolving column names once; records are
/// read in parallel, the result is in record order.
pub fn canonical_values_all(layer: &Layer, mapping: &FieldMapping) -> Vec<CanonicalValues> {
    let reader = LayerValues::new(layer, mapping);
    (0..layer.features.len())
        .into_par_iter()
        .map_init(ReadMemo::default, |memo, i| reader.values(i, memo))
        .collect()
}

/// One mapped column: the field it feeds, its position in the layer, the unit its
/// header names and its name (for problems).
type Column = (CanonicalField, usize, Option<Unit>, String);

/// A layer read through its field mapping, record by record on demand: a check of a
/// million-row ledger needs the full values only of the sites near a zone, and the
/// problems and record keys of the rest are had without them. Column names are
/// resolved once.
pub struct LayerValues<'a> {
    layer: &'a Layer,
    mapping: &'a FieldMapping,
    columns: Vec<Column>,
    /// The fields given by a sole deferred text column, with the column
    /// ([`LayerValues::sole_text_column`]), found once: keys are hashed from them
    /// for every record.
    sole_text: Vec<(CanonicalField, usize)>,
    /// The text fields given otherwise (by other columns, or by a constant), for
    /// [`LayerValues::stored_text_field`].
    other_text: FieldSet,
    /// Per column of the layer, its deferred values as stored, when kept as
    /// fixed-width records: read in place, the passes over every record make no
    /// call through [`DeferredAttributes`](crate::model::DeferredAttributes) per value.
    stored: Vec<Option<StoredColumn<'a>>>,
}

/// What the category columns of a layer read as, per distinct text (hashed with
/// foldhash: a lookup per category cell of every record): a county ledger
/// repeats a handful of fuel, status and level spellings over thousands of rows, so
/// each is read once per memo (one memo per worker thread). Text columns are not
/// memoised (their values are the text).
#[derive(Default)]
pub struct ReadMemo {
    /// Per column position: text → what it reads as.
    columns: Vec<FastMap<Box<str>, Result<CanonValue, String>>>,
    /// Per column position: a number value (kind, bits) → what its text reads as.
    numbers: Vec<FastMap<(bool, u64), Result<CanonValue, String>>>,
    /// Per column position: a deferred value's stored bytes → what it reads
    /// as (`None`: no text once trimmed).
    stored: Vec<FastMap<Box<[u8]>, Option<Read>>>,
    /// Per column position, the last values of up to 8 stored bytes read, by the
    /// bytes as a number, one per slot: most category cells (是, 燃煤, 在用,
    /// 关停取缔) are found there without hashing and comparing byte strings.
    short: Vec<Box<[ShortRead]>>,
}

/// One slot of [`ReadMemo::short`]: stored bytes (up to 8, as a little-endian
/// number, with their count) and what they read as.
#[derive(Clone, Default)]
struct ShortRead {
    bytes: u64,
    len: u8,
    read: Option<Option<Read>>,
}

/// Slots per column of [`ReadMemo::short`].
const SHORT_SLOTS: usize = 64;

/// Numbers from [`StoredColumn::raw_word`] one per slot (64 slots, a newer number
/// taking an older one's slot): the values of a category column last found to read
/// well, looked up with one load and one comparison, as the value-problem pass does
/// for each cell of a million-row ledger.
#[derive(Clone, Default)]
struct KnownWords {
    words: Vec<u128>,
    /// Which slots are filled.
    filled: u64,
}

impl KnownWords {
    fn slot(word: u128) -> usize {
        let folded = (word as u64) ^ ((word >> 64) as u64).rotate_left(29);
        (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }

    /// Whether `word` is in its slot.
    #[inline]
    fn contains(&self, word: u128) -> bool {
        let slot = KnownWords::slot(word);
        self.filled >> slot & 1 == 1 && self.words[slot] == word
    }

    /// Puts `word` in its slot.
    fn insert(&mut self, word: u128) {
        if self.words.is_empty() {
            self.words = vec![0; 64];
        }
        let slot = KnownWords::slot(word);
        self.words[slot] = word;
        self.filled |= 1 << slot;
    }
}

/// What a text reads as, or why it cannot be read.
type Read = Result<CanonValue, String>;

/// Distinct texts remembered per column; beyond this a column (e.g. capacities
/// written every which way) is read without the memo.
const MEMO_LIMIT: usize = 4096;

impl ReadMemo {
    fn read(
        &mut self,
        column: usize,
        field: CanonicalField,
        text: &str,
        unit: Option<Unit>,
    ) -> Result<CanonValue, String> {
        if self.columns.len() <= column {
            self.columns.resize_with(column + 1, FastMap::default);
        }
        let memo = &mut self.columns[column];
        if let Some(read) = memo.get(text) {
            return read.clone();
        }
        let read = read_text(field, text, unit);
        if memo.len() < MEMO_LIMIT {
            memo.insert(text.into(), read.clone());
        }
        read
    }

    /// [`ReadMemo::read`] for a number value (`Float`, `Int`), remembered by value;
    /// other values by their text. `None` for a value without text.
    fn read_value(
        &mut self,
        column: usize,
        field: CanonicalField,
        value: &Value,
        unit: Option<Unit>,
    ) -> Option<Result<CanonValue, String>> {
        let key = match value {
            Value::Float(f) => (true, f.to_bits()),
            Value::Int(i) => (false, *i as u64),
            other => {
                let text = other.as_text()?;
                let text = text.trim();
                return (!text.is_empty()).then(|| self.read(column, field, text, unit));
            }
        };
        if self.numbers.len() <= column {
            self.numbers.resize_with(column + 1, FastMap::default);
        }
        if let Some(read) = self.numbers[column].get(&key) {
            return Some(read.clone());
        }
        let text = value.as_text()?;
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let read = read_text(field, text, unit);
        if self.numbers[column].len() < MEMO_LIMIT {
            self.numbers[column].insert(key, read.clone());
        }
        Some(read)
    }
}

impl ReadMemo {
    /// What a deferred value reads as, remembered by its stored bytes (equal bytes
    /// give equal values), so a category or number column is decoded once per
    /// spelling. `text` gives the value's trimmed text.
    fn read_stored<'t>(
        &mut self,
        column: usize,
        field: CanonicalField,
        bytes: &[u8],
        unit: Option<Unit>,
        text: impl FnOnce() -> Option<Cow<'t, str>>,
    ) -> Option<Result<CanonValue, String>> {
        if self.stored.len() <= column {
            self.stored.resize_with(column + 1, FastMap::default);
            self.short.resize_with(column + 1, || {
                vec![ShortRead::default(); SHORT_SLOTS].into_boxed_slice()
            });
        }
        let short = (bytes.len() <= 8).then(|| {
            let mut word = [0u8; 8];
            word[..bytes.len()].copy_from_slice(bytes);
            let number = u64::from_le_bytes(word);
            let slot = (number.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize;
            (number, bytes.len() as u8, slot)
        });
        if let Some((number, len, slot)) = short {
            let s = &self.short[column][slot];
            if s.bytes == number
                && s.len == len
                && let Some(read) = &s.read
            {
                return read.clone();
            }
        }
        let read = match self.stored[column].get(bytes) {
            Some(read) => read.clone(),
            None => {
                let read = text().map(|t| read_text(field, &t, unit));
                if self.stored[column].len() < MEMO_LIMIT {
                    self.stored[column].insert(bytes.into(), read.clone());
                }
                read
            }
        };
        if let Some((bytes, len, slot)) = short {
            self.short[column][slot] = ShortRead {
                bytes,
                len,
                read: Some(read.clone()),
            };
        }
        read
    }
}

impl<'a> LayerValues<'a> {
    /// Resolves the mapping's columns in the layer (columns it lacks are skipped, see
    /// [`check_mapping`]).
    pub fn new(layer: &'a Layer, mapping: &'a FieldMapping) -> LayerValues<'a> {
        let columns = mapping
            .entries
            .iter()
            .filter_map(|(field, m)| {
                layer
                    .field_index(&m.source_field)
                    .map(|i| (*field, i, m.unit, m.source_field.clone()))
            })
            .collect();
        let stored = match layer.deferred.as_deref() {
            Some(d) => (0..layer.fields.len())
                .map(|c| d.stored_column(c))
                .collect(),
            None => Vec::new(),
        };
        let mut values = LayerValues {
            layer,
            mapping,
            columns,
            sole_text: Vec::new(),
            other_text: FieldSet::of([]),
            stored,
        };
        values.sole_text = values
            .columns
            .iter()
            .filter_map(|c| Some((c.0, values.find_sole_text_column(c.0)?)))
            .collect();
        let sole = FieldSet::of(values.sole_text.iter().map(|(f, _)| *f));
        values.other_text = FieldSet::of(
            (values.columns.iter().map(|c| c.0))
                .chain(mapping.constants.keys().copied())
                .filter(|f| f.kind() == ValueKind::Text && !sole.contains(*f)),
        );
        values
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.layer.features.len()
    }

    /// Reads a little of record `index` (its feature, and its stored values when
    /// kept as fixed-width records): see [`StoredColumn::touch`]. Returns what it
    /// read, for the caller to pass to [`std::hint::black_box`].
    ///
    /// [`StoredColumn::touch`]: crate::model::StoredColumn::touch
    #[inline]
    pub fn touch(&self, index: usize) -> u64 {
        // The fid and the geometry (a point's coordinates are in the feature; a
        // feature may span two cache lines).
        let feature = self.layer.features.get(index).map_or(0, |f| {
            let at = match &f.geometry {
                Some(geo_types::Geometry::Point(p)) => p.x().to_bits(),
                Some(_) => 1,
                None => 0,
            };
            f.fid ^ at
        });
        feature ^ u64::from(self.touch_stored(index))
    }

    /// [`LayerValues::touch`] of the stored values alone.
    #[inline]
    pub fn touch_stored(&self, index: usize) -> u8 {
        let stored = self.stored.iter().flatten().next();
        stored.map_or(0, |c| c.touch(index))
    }

    /// Whether the layer has no records.
    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    /// The fid of the record at `index` (the index itself past the end).
    pub fn fid(&self, index: usize) -> Fid {
        self.layer
            .features
            .get(index)
            .map_or(index as Fid, |f| f.fid)
    }

    /// A column's value in one record, borrowed where it can be (`None` when the
    /// record has no such column, or for an empty deferred text value).
    fn cell(&self, index: usize, col: usize) -> Option<Cell<'a>> {
        let layer: &'a Layer = self.layer;
        match &layer.deferred {
            Some(d) if d.is_text_column(col) => d.text(index, col).map(Cell::Text),
            Some(d) => Some(Cell::Value(Cow::Owned(d.value(index, col)))),
            None => layer
                .features
                .get(index)?
                .attrs
                .get(col)
                .map(|v| Cell::Value(Cow::Borrowed(v))),
        }
    }

    /// A deferred value's stored bytes (see [`ReadMemo::read_stored`]): `None` when
    /// the layer's attributes are not deferred, `Some(None)` for an empty value.
    fn stored_cell(&self, index: usize, col: usize) -> Option<Option<&'a [u8]>> {
        if let Some(Some(column)) = self.stored.get(col) {
            return Some(column.get(index));
        }
        let layer: &'a Layer = self.layer;
        layer
            .deferred
            .as_deref()
            .map(|d| d.stored_bytes(index, col))
    }

    /// The trimmed, non-empty text of a column's value in one record.
    fn cell_text(&self, index: usize, col: usize) -> Option<Cow<'a, str>> {
        self.cell(index, col).and_then(Cell::into_text)
    }

    /// The canonical values of the record at `index`, with its problems.
    pub fn values(&self, index: usize, memo: &mut ReadMemo) -> CanonicalValues {
        self.values_of(index, memo, FieldSet::ALL)
    }

    /// The values of the fields in `fields` of the record at `index` (and of those
    /// they are derived from, see [`FieldSet::with_sources`]): each the same as in
    /// [`LayerValues::values`], the others missing.
    pub fn values_of(
        &self,
        index: usize,
        memo: &mut ReadMemo,
        fields: FieldSet,
    ) -> CanonicalValues {
        let fields = fields.with_sources();
        let layer = self.layer;
        let mut out = CanonicalValues::new();
        let Some(feature) = layer.features.get(index) else {
            out.problems.push(
                Problem::error(
                    &layer.source,
                    format!(
                        "record index {index} is past the end of the layer ({} records)",
                        layer.features.len()
                    ),
                )
                .with_zh(
                    format!(
                        "记录序号 {index} 超出了图层的范围（共 {} 条记录）",
                        layer.features.len()
                    ),
                    None,
                ),
            );
            return out;
        };
        for (pos, (field, col, unit, column_name)) in self.columns.iter().enumerate() {
            if !fields.contains(*field) {
                continue;
            }
            let Some(text) = self.cell_text(index, *col) else {
                continue;
            };
            let read = match field.kind() {
                ValueKind::Text => Ok(CanonValue::Text(text.to_string())),
                _ => memo.read(pos, *field, &text, *unit),
            };
            // The decoded text is kept as the raw value, not copied again.
            if let Err(why) = out.store_owned(*field, text.into_owned(), read) {
                let text = out.raw(*field).unwrap_or_default().to_string();
                out.problems.push(unreadable(
                    layer,
                    feature.fid,
                    column_name,
                    why,
                    (*field, &text),
                ));
            }
        }
        for (field, text) in &self.mapping.constants {
            if fields.contains(*field) && !out.values.contains_key(*field) {
                let _ = out.set_text(*field, text, None);
            }
        }
        out
    }

    /// The problems of every record, in record order: what [`LayerValues::values`]
    /// would report, without building the values.
    pub fn problems(&self) -> Vec<Problem> {
        let layer = self.layer;
        let category: Vec<(usize, &Column)> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.0.kind() != ValueKind::Text)
            .collect();
        if category.is_empty() {
            return Vec::new();
        }
        let fresh = || {
            (
                ReadMemo::default(),
                vec![KnownWords::default(); self.columns.len()],
            )
        };
        (0..layer.features.len())
            .into_par_iter()
            .map_init(fresh, |(memo, read_well), index| {
                let mut problems = Vec::new();
                for (pos, (field, col, unit, column_name)) in &category {
                    let word = match self.stored.get(*col) {
                        Some(Some(column)) => column.raw_word(index),
                        _ => None,
                    };
                    if word.is_some_and(|w| read_well[*pos].contains(w)) {
                        continue;
                    }
                    let read = match self.stored_cell(index, *col) {
                        Some(Some(bytes)) => memo.read_stored(*pos, *field, bytes, *unit, || {
                            self.cell_text(index, *col)
                        }),
                        Some(None) => None,
                        None => match self.cell(index, *col) {
                            // Numbers by value: no text to print for each record.
                            Some(Cell::Value(v))
                                if matches!(*v, Value::Float(_) | Value::Int(_)) =>
                            {
                                memo.read_value(*pos, *field, &v, *unit)
                            }
                            cell => cell
                                .and_then(Cell::into_text)
                                .map(|text| memo.read(*pos, *field, &text, *unit)),
                        },
                    };
                    if let Some(Err(why)) = read
                        && let Some(text) = self.cell_text(index, *col)
                    {
                        let fid = layer.features[index].fid;
                        problems.push(unreadable(layer, fid, column_name, why, (*field, &text)));
                    } else if let Some(w) = word {
                        read_well[*pos].insert(w);
                    }
                }
                problems
            })
            .flatten_iter()
            .collect()
    }

    /// The name of the record at `index`, as [`CanonicalValues::name`] gives it in
    /// its values.
    pub fn name(&self, index: usize) -> Option<Cow<'_, str>> {
        NAME_FIELDS
            .into_iter()
            .find_map(|field| self.text_field(index, field))
    }

    /// The raw text of a text field of the record at `index`, as
    /// [`CanonicalValues::raw`] gives it: the column's trimmed text, else the
    /// mapping's constant. `None` for other kinds of field (read the values).
    pub fn text_field(&self, index: usize, field: CanonicalField) -> Option<Cow<'_, str>> {
        if field.kind() != ValueKind::Text {
            return None;
        }
        self.layer.features.get(index)?;
        let from_column = self
            .columns
            .iter()
            .filter(|c| c.0 == field)
            .find_map(|c| self.cell_text(index, c.1));
        from_column.or_else(|| {
            let constant = self.mapping.constants.get(&field)?.trim();
            (!constant.is_empty()).then_some(Cow::Borrowed(constant))
        })
    }
}

/// A text field of one record as stored, for hashing record keys straight from a
/// ledger's bytes ([`LayerValues::stored_text_field`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredText<'a> {
    /// [`LayerValues::text_field`] gives `None`.
    Absent,
    /// The field is one deferred text column and this is its value as stored
    /// (padding removed): `text_field` is this decoded and trimmed.
    Bytes(&'a [u8]),
    /// Anything else (several columns, a constant, values already read): read
    /// `text_field`.
    Other,
}

impl<'a> LayerValues<'a> {
    /// Where [`LayerValues::stored_text_field`] finds a field, the same for every
    /// record: `Some(None)` when it is absent, `Some(Some(col))` for its sole
    /// deferred text column (read with [`LayerValues::stored_text_in`]), `None`
    /// otherwise.
    pub fn stored_text_source(&self, field: CanonicalField) -> Option<Option<usize>> {
        if field.kind() != ValueKind::Text {
            return Some(None);
        }
        if let Some((_, col)) = self.sole_text_column(field) {
            return Some(Some(col));
        }
        (!self.other_text.contains(field)).then_some(None)
    }

    /// Appends to `out` the stored bytes of the columns [`LayerValues::values_of`]
    /// reads for `fields` of record `index`, each with its length: records with
    /// equal keys have equal values for those fields. `false` (nothing appended)
    /// when the layer's values are not deferred.
    pub fn stored_key(&self, index: usize, fields: FieldSet, out: &mut Vec<u8>) -> bool {
        if self.layer.deferred.is_none() {
            return false;
        }
        let fields = fields.with_sources();
        for (field, col, _, _) in &self.columns {
            if fields.contains(*field) {
                match self.stored_cell(index, *col).flatten() {
                    Some(bytes) => {
                        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                        out.extend_from_slice(bytes);
                    }
                    None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
                }
            }
        }
        true
    }

    /// The stored bytes of record `index` in a column from
    /// [`LayerValues::stored_text_source`] (`None` when empty).
    pub fn stored_text_in(&self, index: usize, col: usize) -> Option<&'a [u8]> {
        if let Some(Some(column)) = self.stored.get(col) {
            return column.get(index).filter(|_| column.is_text());
        }
        let layer: &'a Layer = self.layer;
        layer.deferred.as_deref()?.text_bytes(index, col)
    }

    /// The deferred text column that alone gives a text field (no other column and
    /// no constant feed it), with the layer's deferred attributes.
    fn sole_text_column(
        &self,
        field: CanonicalField,
    ) -> Option<(&'a dyn crate::model::DeferredAttributes, usize)> {
        let layer: &'a Layer = self.layer;
        let d = layer.deferred.as_deref()?;
        let (_, col) = self.sole_text.iter().find(|(f, _)| *f == field)?;
        Some((d, *col))
    }

    /// The column of [`LayerValues::sole_text_column`], worked out.
    fn find_sole_text_column(&self, field: CanonicalField) -> Option<usize> {
        let d = self.layer.deferred.as_deref()?;
        let mut columns = self.columns.iter().filter(|c| c.0 == field);
        match (columns.next(), columns.next()) {
            (Some(only), None)
                if field.kind() == ValueKind::Text
                    && d.is_text_column(only.1)
                    && !self.mapping.constants.contains_key(&field) =>
            {
                Some(only.1)
            }
            _ => None,
        }
    }

    /// Calls `each` with the characters of [`LayerValues::text_field`]'s text, in
    /// order, building no string for a deferred text column (a million records'
    /// keys are hashed this way); `false` when `text_field` gives `None`. The text
    /// may keep surrounding whitespace that `text_field` trims, so callers must
    /// ignore whitespace, as the key form does.
    pub fn text_field_chars(
        &self,
        index: usize,
        field: CanonicalField,
        each: &mut dyn FnMut(char),
    ) -> bool {
        if index < self.layer.features.len()
            && let Some((d, col)) = self.sole_text_column(field)
        {
            // The column's text or nothing. (A value of only non-ASCII whitespace
            // counts as present here, which the key form, ignoring whitespace,
            // cannot tell from absent.)
            return d.text_chars(index, col, each);
        }
        match self.text_field(index, field) {
            Some(t) => {
                t.chars().for_each(each);
                true
            }
            None => false,
        }
    }

    /// The field as [`StoredText`].
    pub fn stored_text_field(&self, index: usize, field: CanonicalField) -> StoredText<'a> {
        if index >= self.layer.features.len() {
            return StoredText::Absent;
        }
        match self.stored_text_source(field) {
            Some(Some(col)) => self
                .stored_text_in(index, col)
                .map_or(StoredText::Absent, StoredText::Bytes),
            Some(None) => StoredText::Absent,
            None => StoredText::Other,
        }
    }

    /// The encoding the layer's text was read with, when known.
    pub fn encoding(&self) -> Option<&'static encoding_rs::Encoding> {
        self.layer.encoding.as_ref().map(|e| e.encoding)
    }

    /// Whether the layer's values are read on demand from their stored bytes
    /// (rather than held decoded).
    pub fn is_deferred(&self) -> bool {
        self.layer.deferred.is_some()
    }
}

/// One attribute value of one record, as [`LayerValues`] reads it.
enum Cell<'c> {
    Value(Cow<'c, Value>),
    /// A deferred text value (never empty).
    Text(Cow<'c, str>),
}

impl<'c> Cell<'c> {
    /// The value's trimmed, non-empty text: logical values read 是/否, numbers
    /// print without a trailing ".0" (so division codes stay codes).
    fn into_text(self) -> Option<Cow<'c, str>> {
        let text = match self {
            Cell::Text(t) => t,
            Cell::Value(Cow::Borrowed(v)) => value_text(v)?,
            Cell::Value(Cow::Owned(v)) => Cow::Owned(value_text(&v)?.into_owned()),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return None;
        }
        Some(match text {
            Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
            Cow::Owned(t) if t.len() == trimmed.len() => Cow::Owned(t),
            Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
        })
    }
}

/// A value's text, logical values as 是/否.
fn value_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "是" } else { "否" })),
        other => other.as_text(),
    }
}

/// The problem of a value that could not be read: `why` in English, and in Chinese
/// from the field and the text that was read.
fn unreadable(
    layer: &Layer,
    fid: Fid,
    column_name: &str,
    why: String,
    (field, text): (CanonicalField, &str),
) -> Problem {
    Problem::warning(&layer.source, why)
        .at_record(fid)
        .in_field(column_name.to_string())
        .with_hint("correct the value in the source file; until then it counts as missing")
        .with_zh(
            format!(
                "{}“{}”无法识别为{}",
                field.label_zh(),
                text.trim(),
                expected_text_zh(field)
            ),
            Some("请在源文件中改正该值；改正前按缺失处理"),
        )
}

/// A site as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct SiteRecord<'a> {
    /// The role of the site's layer.
    pub role: LayerRole,
    /// The site's attributes, read through its layer's mapping.
    pub canonical: &'a CanonicalValues,
}

/// Where a site lies relative to a zone polygon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoneRelation {
    /// In the interior.
    Inside,
    /// On the boundary (within the engine's tolerance).
    OnBoundary,
    /// In the exterior.
    Outside,
}

impl ZoneRelation {
    /// Inside or on the boundary: what "in the zone" means for flags.
    pub fn is_in(self) -> bool {
        matches!(self, ZoneRelation::Inside | ZoneRelation::OnBoundary)
    }
}

/// One zone a site relates to, as the spatial engine found it.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneHit {
    /// The zone's layer name.
    pub zone_layer: String,
    /// The zone's record number in its layer.
    pub zone_fid: Fid,
    /// The role of the zone's layer.
    pub role: LayerRole,
    /// The protection level, for water zones.
    pub level: Option<ZoneLevel>,
    /// The zone's name for the ledger.
    pub zone_name: Option<String>,
    /// The zone's city, for rules scoped by place.
    pub zone_city: Option<String>,
    /// Where the site lies relative to the zone.
    pub location: ZoneRelation,
    /// Metric distance to the boundary: 0 on it, negative inside.
    pub distance_m: f64,
}

impl ZoneHit {
    /// A hit whose level, name and city come from the zone's canonical values.
    pub fn from_zone_values(
        zone_layer: &str,
        zone_fid: Fid,
        role: LayerRole,
        values: &CanonicalValues,
        location: ZoneRelation,
        distance_m: f64,
    ) -> ZoneHit {
        ZoneHit {
            zone_layer: zone_layer.to_string(),
            zone_fid,
            role,
            level: values.level(),
            zone_name: values.name().map(str::to_string),
            zone_city: values.city().map(str::to_string),
            location,
            distance_m,
        }
    }
}

/// A rule that fires for a site, against a zone or (attribute-only) none.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleHit<'r, 'z> {
    /// The id of the rule that fired.
    pub rule_id: &'r str,
    /// The rule's severity.
    pub severity: Severity,
    /// The zone the rule fired against; `None` for attribute-only rules.
    pub zone: Option<&'z ZoneHit>,
}

/// Whether every condition of the rule holds for the site.
pub fn site_matches_conditions(rule: &Rule, site: &CanonicalValues) -> bool {
    rule.conditions.iter().all(|c| condition_holds(c, site))
}

/// Whether one condition holds. See the format docs for missing values.
pub fn condition_holds(condition: &Condition, site: &CanonicalValues) -> bool {
    let value = site.get(condition.field);
    match (&condition.test, value) {
        (Test::IsMissing, v) => v.is_none(),
        (Test::IsPresent, v) => v.is_some(),
        (_, None) => condition.when_missing == WhenMissing::Match,
        (Test::In(list), Some(v)) => list.iter().any(|o| same(v, o)),
        (Test::NotIn(list), Some(v)) => !list.iter().any(|o| same(v, o)),
        (Test::Equals(o), Some(v)) => same(v, o),
        (Test::NotEquals(o), Some(v)) => !same(v, o),
        (Test::Compare(op, threshold), Some(CanonValue::Number(n))) => {
            op.holds(round_1e9(*n), round_1e9(*threshold))
        }
        (Test::Compare(..), Some(_)) => false,
        (Test::IsTrue, Some(v)) => *v == CanonValue::Flag(true),
        (Test::IsFalse, Some(v)) => *v == CanonValue::Flag(false),
        (Test::ContainsAny(needles), Some(CanonValue::Text(t))) => {
            let t = compact(t);
            needles.iter().any(|n| contains_text(&t, n))
        }
        (Test::ContainsAny(_), Some(_)) => false,
    }
}

/// `hay.contains(needle)` for the short texts of a ledger cell: a byte scan on the
/// needle's first byte, then a comparison of the rest. Many needles (an industry
/// list) are tried on each cell, and setting up the general substring search for
/// each costs more than the search.
fn contains_text(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    h.len() >= n.len()
        && (0..=h.len() - n.len()).any(|i| h[i] == first && &h[i + 1..i + n.len()] == rest)
}

fn same(v: &CanonValue, o: &Operand) -> bool {
    match (v, o) {
        (CanonValue::Text(a), Operand::Text(b)) => compact(a) == *b,
        (CanonValue::Number(a), Operand::Number(b)) => round_1e9(*a) == round_1e9(*b),
        (CanonValue::Level(a), Operand::Level(b)) => a == b,
        (CanonValue::Fuel(a), Operand::Fuel(b)) => a == b,
        (CanonValue::Status(a), Operand::Status(b)) => a == b,
        (CanonValue::Remediation(a), Operand::Remediation(b)) => a == b,
        (CanonValue::Flag(a), Operand::Flag(b)) => a == b,
        _ => false,
    }
}

/// A place name in comparable form: no province prefix, no trailing 市/地区/县/区/盟/旗
/// (unless that would leave a single character, as for 古县).
fn place_key(name: &str) -> String {
    let mut t = compact(name);
    if let Some(i) = t.find('省') {
        t = t[i + '省'.len_utf8()..].to_string();
    }
    for suffix in ["地区", "市", "县", "区", "盟", "旗"] {
        if let Some(stem) = t.strip_suffix(suffix)
            && stem.chars().count() >= 2
        {
            return stem.to_string();
        }
    }
    t
}

/// Whether the site (with the zone it is being tested against) is in the rule's scope.
pub fn in_scope(scope: &PlaceScope, site: &CanonicalValues, zone: Option<&ZoneHit>) -> bool {
    let names: Vec<String> = [
        zone.and_then(|z| z.zone_city.as_deref()),
        site.city(),
        site.county(),
    ]
    .into_iter()
    .flatten()
    .map(place_key)
    .filter(|k| !k.is_empty())
    .collect();
    let code = site.county_code().map(compact);
    let matches = |entry: &String| {
        if entry.chars().all(|c| c.is_ascii_digit()) {
            code.as_deref()
                .is_some_and(|c| c.starts_with(entry.as_str()))
        } else {
            let key = place_key(entry);
            names.contains(&key)
        }
    };
    if !scope.places.is_empty() && !scope.places.iter().any(matches) {
        return false;
    }
    !scope.except_places.iter().any(matches)
}

/// Whether zone hit `z` (one of the site's `zones`) meets a rule's zone clause:
/// role, levels and predicate.
fn zone_part_holds(clause: &ZoneClause, zones: &[ZoneHit], z: &ZoneHit) -> bool {
    z.role == clause.role
        && match &clause.levels {
            None => true,
            Some(levels) => z.level.is_some_and(|l| levels.contains(&l)),
        }
        && match clause.predicate {
            ZonePredicate::Inside => z.location.is_in(),
            ZonePredicate::WithinDistance { distance_m } => {
                z.location == ZoneRelation::Outside
                    && z.distance_m <= distance_m
                    && !already_inside(zones, z)
            }
        }
}

/// Whether any enabled rule for sites of `role` could fire with these zone hits,
/// judged on the zone part alone (a rule without one always could): when none
/// can, [`evaluate_site`] finds nothing whatever the site's attributes, so they
/// need not be read.
pub fn may_fire(rules: &RuleSet, role: LayerRole, zones: &[ZoneHit]) -> bool {
    rules
        .enabled()
        .filter(|r| r.site_roles.contains(&role))
        .any(|r| match &r.zone {
            None => true,
            Some(clause) => zones.iter().any(|z| zone_part_holds(clause, zones, z)),
        })
}

/// The hits of one rule for one site.
///
/// Attribute-only rules give one hit without a zone. Zone rules give one hit per
/// matching zone: `inside` takes zones the site is inside or on the boundary of;
/// `within_distance` takes zones the site is outside of by at most `distance_m`,
/// except when the site is already inside a zone of the same role at the same or
/// a stricter level (a site inside level 1 is not "near" a neighbouring level-1 or
/// level-2 polygon). Disabled rules and other site roles give nothing.
pub fn rule_hits<'r, 'z>(
    rule: &'r Rule,
    site: &SiteRecord,
    zones: &'z [ZoneHit],
) -> Vec<RuleHit<'r, 'z>> {
    if !rule.enabled || !rule.site_roles.contains(&site.role) {
        return Vec::new();
    }
    // The zone part first: it is cheap, and most sites are near no zone of the rule.
    if let Some(clause) = &rule.zone
        && !zones.iter().any(|z| zone_part_holds(clause, zones, z))
    {
        return Vec::new();
    }
    if !site_matches_conditions(rule, site.canonical) {
        return Vec::new();
    }
    let scoped = |zone: Option<&ZoneHit>| {
        rule.scope
            .as_ref()
            .is_none_or(|s| in_scope(s, site.canonical, zone))
    };
    let hit = |zone: Option<&'z ZoneHit>| RuleHit {
        rule_id: rule.id.as_str(),
        severity: rule.severity,
        zone,
    };
    let Some(clause) = &rule.zone else {
        return if scoped(None) {
            vec![hit(None)]
        } else {
            Vec::new()
        };
    };
    zones
        .iter()
        .filter(|z| zone_part_holds(clause, zones, z))
        .filter(|z| scoped(Some(z)))
        .map(|z| hit(Some(z)))
        .collect()
}

/// Whether the site is inside a zone of `near`'s role at `near`'s level or stricter.
fn already_inside(zones: &[ZoneHit], near: &ZoneHit) -> bool {
    zones.iter().any(|z| {
        z.role == near.role
            && z.location.is_in()
            && match (z.level, near.level) {
                (_, None) => true,
                (Some(inside), Some(near)) => inside.at_least_as_strict_as(near),
                (None, Some(_)) => false,
            }
    })
}

/// All hits of all enabled rules for one site, in rule order.
///
/// A site inside nested water zones (level 1 drawn inside level 2) is reported
/// against the strictest level only: an "inside" hit on a zone is dropped when the
/// site also has an "inside" hit on a zone of the same role at a strictly stricter
/// level.
pub fn evaluate_site<'r, 'z>(
    rules: &'r RuleSet,
    site: &SiteRecord,
    zones: &'z [ZoneHit],
) -> Vec<RuleHit<'r, 'z>> {
    let hits: Vec<RuleHit<'r, 'z>> = rules
        .enabled()
        .flat_map(|r| rule_hits(r, site, zones))
        .collect();
    let strictest: Vec<(LayerRole, ZoneLevel)> = hits
        .iter()
        .filter_map(|h| h.zone)
        .filter(|z| z.location.is_in())
        .filter_map(|z| z.level.map(|l| (z.role, l)))
        .collect();
    hits.into_iter()
        .filter(|h| match h.zone {
            Some(z) if z.location.is_in() => match z.level {
                Some(level) => !strictest
                    .iter()
                    .any(|(role, l)| *role == z.role && *l < level),
                None => true,
            },
            _ => true,
        })
        .collect()
}

/// The largest `within_distance` of the enabled rules: how far from zones the
/// engine must look. `None` when no rule needs distances.
pub fn rules_needing_distance(rules: &RuleSet) -> Option<f64> {
    rules
        .enabled()
        .filter_map(|r| match r.zone.as_ref()?.predicate {
            ZonePredicate::WithinDistance { distance_m } => Some(distance_m),
            ZonePredicate::Inside => None,
        })
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| a.max(d)))
        })
}

/// A set of canonical fields: which values of a record to read
/// ([`LayerValues::values_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSet(u64);

impl FieldSet {
    /// Every field.
    pub const ALL: FieldSet = FieldSet(u64::MAX);

    /// The set of `fields`.
    pub fn of(fields: impl IntoIterator<Item = CanonicalField>) -> FieldSet {
        FieldSet(
            fields
                .into_iter()
                .fold(0, |bits, f| bits | FieldSet::bit(f)),
        )
    }

    fn bit(field: CanonicalField) -> u64 {
        1u64 << (field as u32)
    }

    /// The fields in either set.
    pub fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }

    /// Whether `field` is in the set.
    pub fn contains(self, field: CanonicalField) -> bool {
        self.0 & FieldSet::bit(field) != 0
    }

    /// With the fields a value of the set may be derived from (a capacity in t/h
    /// from one in MW, a zone level from the zone's name).
    pub fn with_sources(self) -> FieldSet {
        let mut bits = self.0;
        for field in [CanonicalField::CapacityTph, CanonicalField::ZoneLevel] {
            if self.contains(field) {
                bits |= FieldSet::of(CanonicalValues::derived_from(field).iter().copied()).0;
            }
        }
        FieldSet(bits)
    }
}

/// The site fields that evaluating the enabled rules for sites of one role reads,
/// per rule: the fields of its conditions and, for a rule scoped by place, the
/// site's places. [`FieldsEvaluated::for_hits`] gives them for one site's zone
/// hits; [`evaluate_site`] gives the same hits on values read for those fields
/// ([`LayerValues::values_of`]) as on all of them.
#[derive(Clone, Debug)]
pub struct FieldsEvaluated<'r> {
    /// The rules with a zone clause, with their fields.
    zoned: Vec<(&'r ZoneClause, FieldSet)>,
    /// The fields of the rules without one (they can fire for any site), if any.
    unzoned: Option<FieldSet>,
}

impl<'r> FieldsEvaluated<'r> {
    /// The fields of the enabled rules for sites of `role`.
    pub fn new(rules: &'r RuleSet, role: LayerRole) -> FieldsEvaluated<'r> {
        let places = [
            CanonicalField::City,
            CanonicalField::County,
            CanonicalField::CountyCode,
        ];
        let fields = |r: &Rule| {
            let scoped = r.scope.is_some();
            FieldSet::of(
                (r.conditions.iter().map(|c| c.field)).chain(places.into_iter().filter(|_| scoped)),
            )
        };
        let asked = || rules.enabled().filter(|r| r.site_roles.contains(&role));
        FieldsEvaluated {
            zoned: asked()
                .filter_map(|r| Some((r.zone.as_ref()?, fields(r))))
                .collect(),
            unzoned: asked()
                .filter(|r| r.zone.is_none())
                .map(fields)
                .reduce(FieldSet::union),
        }
    }

    /// The fields the rules that may fire with these zone hits (judged on the zone
    /// part alone, as [`may_fire`] judges) read; `None` when no rule may fire, so
    /// nothing need be read.
    pub fn for_hits(&self, hits: &[ZoneHit]) -> Option<FieldSet> {
        if hits.is_empty() {
            return self.unzoned;
        }
        self.zoned
            .iter()
            .filter(|(clause, _)| hits.iter().any(|z| zone_part_holds(clause, hits, z)))
            .map(|(_, fields)| *fields)
            .chain(self.unzoned)
            .reduce(FieldSet::union)
    }
}

/// The canonical fields the enabled rules test for sites of this role: what a
/// layer's mapping should cover.
pub fn fields_used(rules: &RuleSet, role: LayerRole) -> Vec<CanonicalField> {
    let mut fields: Vec<CanonicalField> = rules
        .enabled()
        .filter(|r| r.site_roles.contains(&role))
        .flat_map(|r| r.conditions.iter().map(|c| c.field))
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_text_is_str_contains() {
        let texts = [
            "",
            "煤",
            "化工",
            "煤炭经营部",
            "精细化工制品",
            "ab",
            "aab",
            "a",
            "化学原料药制造",
            "散煤销售",
            "染整印染",
            "ÿ化",
            "化ÿ",
            "x化工x",
        ];
        for hay in texts {
            for needle in texts {
                assert_eq!(
                    contains_text(hay, needle),
                    hay.contains(needle),
                    "{hay:?} contains {needle:?}"
                );
            }
        }
    }
    use crate::model::Feature;
    use crate::rules::format::{CompareOp, parse_rules};

    #[test]
    fn problems_of_the_whole_layer_are_those_of_each_record_in_order() {
        use crate::model::{CrsInfo, CrsSource, FieldDef, FieldKind, GeometryKind, SourceFormat};
        let rows: [(&str, Value); 5] = [
            ("燃煤", Value::Float(4.0)),
            ("？？", Value::Float(-1.0)),
            ("天然气", Value::Text("大约四吨".into())),
            ("？？", Value::Int(2)),
            ("", Value::Text(" 2×4t/h ".into())),
        ];
        let layer = Layer {
            name: "锅炉".into(),
            source: "锅炉.shp".into(),
            format: SourceFormat::Shapefile,
            geometry_kind: GeometryKind::Point,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: ["燃料类型", "额定蒸发量"]
                .iter()
                .map(|n| FieldDef {
                    name: n.to_string(),
                    kind: FieldKind::Text,
                })
                .collect(),
            features: rows
                .iter()
                .enumerate()
                .map(|(i, (fuel, cap))| Feature {
                    fid: i as u64,
                    geometry: None,
                    attrs: vec![Value::Text(fuel.to_string()), cap.clone()],
                })
                .collect(),
            problems: vec![],
            deferred: None,
        };
        let mut mapping = FieldMapping::default();
        mapping.set_user(CanonicalField::Fuel, "燃料类型", None);
        mapping.set_user(CanonicalField::CapacityTph, "额定蒸发量", None);
        let each: Vec<Problem> = canonical_values_all(&layer, &mapping)
            .into_iter()
            .flat_map(|v| v.problems)
            .collect();
        assert_eq!(each.len(), 5);
        assert_eq!(LayerValues::new(&layer, &mapping).problems(), each);
        // A memo gives what a fresh read gives.
        let reader = LayerValues::new(&layer, &mapping);
        let mut memo = ReadMemo::default();
        for i in [0, 1, 3, 1, 0] {
            assert_eq!(
                reader.values(i, &mut memo),
                canonical_values(&layer, &mapping, i)
            );
        }
    }

    #[test]
    fn problems_of_values_read_in_place_are_those_of_each_record() {
        // Good and bad values repeated and interleaved (the pass remembers values
        // that read well by their bytes), a deleted record with a bad value, and a
        // column wider than a remembered word.
        use crate::io::dbf::tests::{dbf, gbk};
        let (coal, gas, bad, wide_bad) = (
            gbk("燃煤"),
            gbk("天然气"),
            gbk("？？"),
            gbk("大约四吨左右吧"),
        );
        let fields: &[(&[u8], u8, u8, u8)] = &[
            (b"FUEL", b'C', 8, 0),
            (b"CAP", b'C', 20, 0),
            (b"N", b'N', 6, 1),
        ];
        let mut rows: Vec<(u8, Vec<&[u8]>)> = Vec::new();
        // Enough records that each worker's part repeats values.
        for k in 0..3000 {
            let fuel: &[u8] = match k % 5 {
                0 | 3 => &coal,
                1 => &bad,
                2 => &gas,
                _ => b"",
            };
            let cap: &[u8] = match k % 3 {
                0 => b"4",
                1 => &wide_bad,
                _ => b" 2x4t/h",
            };
            let n: &[u8] = match k % 4 {
                0 => b"  4.0",
                1 => b"-1.0",
                2 => b"",
                _ => b"  4.0",
            };
            rows.push((if k == 7 { b'*' } else { b' ' }, vec![fuel, cap, n]));
        }
        let deferred = crate::rules::ids::tests::deferred_ledger(dbf(0x4D, fields, &rows));
        let mut whole = deferred.clone();
        whole.materialize_attributes();
        let mut mapping = FieldMapping::default();
        mapping.set_user(CanonicalField::Fuel, "FUEL", None);
        mapping.set_user(CanonicalField::CapacityTph, "CAP", None);
        mapping.set_user(CanonicalField::CapacityMw, "N", None);
        let each: Vec<Problem> = canonical_values_all(&whole, &mapping)
            .into_iter()
            .flat_map(|v| v.problems)
            .collect();
        assert!(each.len() > 2000, "{}", each.len());
        assert_eq!(LayerValues::new(&deferred, &mapping).problems(), each);
    }

    #[test]
    fn stored_values_read_through_the_memo_are_those_read_afresh() {
        // More distinct short values than the memo has slots (many share a slot and
        // push each other out), values of 8 and 9 bytes, and values that differ
        // only in their length once padded.
        let mut texts: Vec<String> = (0..300).map(|i| format!("{}t/h", i % 150)).collect();
        texts.extend(
            [
                "12345678",
                "123456789",
                "燃煤",
                "燃煤 ",
                "是",
                "天然气",
                "1",
                "10",
            ]
            .map(String::from),
        );
        let mut memo = ReadMemo::default();
        for round in 0..3 {
            for (k, text) in texts.iter().enumerate() {
                let bytes = text.trim_end().as_bytes();
                let field = if k % 2 == 0 {
                    CanonicalField::CapacityTph
                } else {
                    CanonicalField::Fuel
                };
                let column = k % 2;
                let read = memo.read_stored(column, field, bytes, None, || {
                    Some(Cow::Borrowed(text.trim_end()))
                });
                assert_eq!(
                    read,
                    Some(read_text(field, text.trim_end(), None)),
                    "{text:?} in round {round}"
                );
            }
        }
        // The same bytes as a number, told apart by their count.
        for text in ["7", "7\0", "7", "7\0"] {
            let read = memo.read_stored(
                0,
                CanonicalField::CapacityTph,
                text.as_bytes(),
                None,
                || Some(Cow::Borrowed(text)),
            );
            let fresh = read_text(CanonicalField::CapacityTph, text, None);
            assert_eq!(read, Some(fresh), "{text:?}");
        }
    }

    fn cond(field: CanonicalField, test: Test) -> Condition {
        Condition {
            field,
            test,
            when_missing: WhenMissing::NoMatch,
        }
    }

    #[test]
    fn comparisons_keep_below_and_at_or_below_apart() {
        let v = CanonicalValues::from_texts(&[(CanonicalField::CapacityTph, "35")]);
        let lt = cond(
            CanonicalField::CapacityTph,
            Test::Compare(CompareOp::Lt, 35.0),
        );
        let le = cond(
            CanonicalField::CapacityTph,
            Test::Compare(CompareOp::Le, 35.0),
        );
        assert!(!condition_holds(&lt, &v));
        assert!(condition_holds(&le, &v));
        let gt = cond(
            CanonicalField::CapacityTph,
            Test::Compare(CompareOp::Gt, 34.0),
        );
        let ge = cond(
            CanonicalField::CapacityTph,
            Test::Compare(CompareOp::Ge, 35.0),
        );
        assert!(condition_holds(&gt, &v));
        assert!(condition_holds(&ge, &v));
    }

    #[test]
    fn text_equality_ignores_width_case_and_spaces() {
        let v = CanonicalValues::from_texts(&[(CanonicalField::County, " 小店区 ")]);
        let eq = cond(
            CanonicalField::County,
            Test::Equals(Operand::Text(compact("小店 区"))),
        );
        assert!(condition_holds(&eq, &v));
        let ne = cond(
            CanonicalField::County,
            Test::NotEquals(Operand::Text(compact("迎泽区"))),
        );
        assert!(condition_holds(&ne, &v));
    }

    #[test]
    fn a_missing_value_fails_every_test_but_is_missing_unless_told() {
        let empty = CanonicalValues::new();
        let tests = [
            Test::In(vec![Operand::Fuel(Fuel::Coal)]),
            Test::NotIn(vec![Operand::Fuel(Fuel::Coal)]),
            Test::Equals(Operand::Fuel(Fuel::Coal)),
            Test::NotEquals(Operand::Fuel(Fuel::Coal)),
            Test::IsTrue,
            Test::IsFalse,
            Test::ContainsAny(vec!["煤".into()]),
            Test::IsPresent,
        ];
        for t in tests {
            let mut c = cond(CanonicalField::Fuel, t.clone());
            assert!(!condition_holds(&c, &empty), "{t:?}");
            c.when_missing = WhenMissing::Match;
            assert_eq!(condition_holds(&c, &empty), t != Test::IsPresent, "{t:?}");
        }
        assert!(condition_holds(
            &cond(CanonicalField::Fuel, Test::IsMissing),
            &empty
        ));
    }

    #[test]
    fn an_unreadable_value_counts_as_missing_but_keeps_its_text() {
        let mut v = CanonicalValues::new();
        let err = v.set_text(CanonicalField::Fuel, "？？", None).unwrap_err();
        assert!(err.contains("？？"));
        assert_eq!(v.fuel(), None);
        assert_eq!(v.raw(CanonicalField::Fuel), Some("？？"));
    }

    #[test]
    fn capacity_in_mw_fills_t_h_until_a_t_h_value_is_read() {
        let mut v = CanonicalValues::new();
        v.set_text(CanonicalField::CapacityMw, "2.8", None).unwrap();
        assert_eq!(v.capacity_tph(), Some(4.0));
        v.set_text(CanonicalField::CapacityTph, "6", None).unwrap();
        assert_eq!(v.capacity_tph(), Some(6.0));
        let mut w = CanonicalValues::new();
        let _ = w.set_text(CanonicalField::CapacityTph, "不详", None);
        w.set_text(CanonicalField::CapacityMw, "7MW", None).unwrap();
        assert_eq!(w.capacity_tph(), Some(10.0));
    }

    #[test]
    fn place_names_compare_without_province_and_suffix() {
        assert_eq!(place_key("山西省太原市"), "太原");
        assert_eq!(place_key("小店区"), "小店");
        assert_eq!(place_key("古县"), "古县");
        assert_eq!(place_key("吕梁地区"), "吕梁");
    }

    #[test]
    fn scopes_match_names_or_code_prefixes_and_honour_exceptions() {
        let scope = PlaceScope {
            places: vec!["太原".into(), "1404".into()],
            except_places: vec!["清徐县".into()],
        };
        let taiyuan = CanonicalValues::from_texts(&[(CanonicalField::City, "太原市")]);
        let changzhi = CanonicalValues::from_texts(&[(CanonicalField::CountyCode, "140403")]);
        let qingxu = CanonicalValues::from_texts(&[
            (CanonicalField::City, "太原市"),
            (CanonicalField::County, "清徐"),
        ]);
        let nowhere = CanonicalValues::new();
        assert!(in_scope(&scope, &taiyuan, None));
        assert!(in_scope(&scope, &changzhi, None));
        assert!(!in_scope(&scope, &qingxu, None));
        assert!(!in_scope(&scope, &nowhere, None));
        let zone = ZoneHit {
            zone_layer: "z".into(),
            zone_fid: 0,
            role: LayerRole::BuiltUpArea,
            level: None,
            zone_name: None,
            zone_city: Some("太原".into()),
            location: ZoneRelation::Inside,
            distance_m: -1.0,
        };
        assert!(in_scope(&scope, &nowhere, Some(&zone)));
    }

    #[test]
    fn zone_levels_come_from_the_name_when_no_level_column_is_mapped() {
        let v = CanonicalValues::from_texts(&[(CanonicalField::ZoneName, "汾河水库一级保护区")]);
        assert_eq!(v.level(), Some(ZoneLevel::Level1));
        let hit =
            ZoneHit::from_zone_values("z", 3, LayerRole::WaterZone, &v, ZoneRelation::Inside, -2.0);
        assert_eq!(hit.level, Some(ZoneLevel::Level1));
        assert_eq!(hit.zone_name.as_deref(), Some("汾河水库一级保护区"));
    }

    #[test]
    fn fields_used_lists_what_a_roles_mapping_should_cover() {
        let set = parse_rules(
            "[[rule]]\nid = \"a\"\ntitle_zh = \"x\"\nseverity = \"violation\"\nsite_roles = [\"boiler\"]\nconditions = [ { field = \"fuel\", op = \"is_present\" } ]\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            fields_used(&set, LayerRole::Boiler),
            vec![CanonicalField::Fuel]
        );
        assert!(fields_used(&set, LayerRole::Outfall).is_empty());
    }
}
