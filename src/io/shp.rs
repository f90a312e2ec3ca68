//! ESRI shapefile sets (`.shp` + `.shx` + `.dbf` + `.cpg` + `.prj`) read into a
//! [`Layer`], parsed directly from the bytes (ESRI Shapefile Technical Description,
//! July 1998).
//!
//! - Geometry: Null, Point, MultiPoint, PolyLine, Polygon and their Z and M variants.
//!   Z and M values are dropped (`layer.has_z` records that they were there).
//!   Point → `Point`, MultiPoint → `MultiPoint`, PolyLine → `LineString` (one part) or
//!   `MultiLineString`, Polygon → `Polygon` (one outer ring) or `MultiPolygon`.
//! - Polygons are assembled as the specification says: clockwise rings are outer rings,
//!   counter-clockwise rings are holes; a hole belongs to the smallest outer ring that
//!   contains it; a hole inside no outer ring becomes an outer ring (with a warning).
//!   Rings keep the vertex order of the file (outer rings clockwise, holes
//!   counter-clockwise when the file follows the specification); they are not
//!   re-oriented.
//! - Nothing in the file is trusted: every count and length is checked against the
//!   bytes present. A damaged record keeps its place (its `fid`) with `geometry: None`
//!   and a [`Problem`]; reading goes on with the next record, found through the `.shx`
//!   when there is one, or by scanning for the next plausible record header.
//! - Records are located in one sequential pass and then parsed in parallel (rayon);
//!   the output order is the file order.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use rayon::prelude::*;

use crate::io::{IoError, ReadOptions, dbf, limits};
use crate::model::{
    CrsInfo, CrsSource, DeferredAttributes, Feature, GeometryKind, Layer, Problem, SourceFormat,
    Value,
};

use crate::model::Geometry;

/// The shape types of the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShapeType {
    Null,
    Point,
    PolyLine,
    Polygon,
    MultiPoint,
    PointZ,
    PolyLineZ,
    PolygonZ,
    MultiPointZ,
    PointM,
    PolyLineM,
    PolygonM,
    MultiPointM,
    MultiPatch,
}

impl ShapeType {
    /// The type from its code in the file, `None` for codes the specification lacks.
    pub fn from_code(code: i32) -> Option<ShapeType> {
        Some(match code {
            0 => ShapeType::Null,
            1 => ShapeType::Point,
            3 => ShapeType::PolyLine,
            5 => ShapeType::Polygon,
            8 => ShapeType::MultiPoint,
            11 => ShapeType::PointZ,
            13 => ShapeType::PolyLineZ,
            15 => ShapeType::PolygonZ,
            18 => ShapeType::MultiPointZ,
            21 => ShapeType::PointM,
            23 => ShapeType::PolyLineM,
            25 => ShapeType::PolygonM,
            28 => ShapeType::MultiPointM,
            31 => ShapeType::MultiPatch,
            _ => return None,
        })
    }

    /// The code written in files.
    pub fn code(self) -> i32 {
        match self {
            ShapeType::Null => 0,
            ShapeType::Point => 1,
            ShapeType::PolyLine => 3,
            ShapeType::Polygon => 5,
            ShapeType::MultiPoint => 8,
            ShapeType::PointZ => 11,
            ShapeType::PolyLineZ => 13,
            ShapeType::PolygonZ => 15,
            ShapeType::MultiPointZ => 18,
            ShapeType::PointM => 21,
            ShapeType::PolyLineM => 23,
            ShapeType::PolygonM => 25,
            ShapeType::MultiPointM => 28,
            ShapeType::MultiPatch => 31,
        }
    }

    /// The 2-D geometry kind this type holds.
    pub fn kind(self) -> GeometryKind {
        match self {
            ShapeType::Null => GeometryKind::None,
            ShapeType::Point | ShapeType::PointZ | ShapeType::PointM => GeometryKind::Point,
            ShapeType::MultiPoint | ShapeType::MultiPointZ | ShapeType::MultiPointM => {
                GeometryKind::MultiPoint
            }
            ShapeType::PolyLine | ShapeType::PolyLineZ | ShapeType::PolyLineM => GeometryKind::Line,
            ShapeType::Polygon
            | ShapeType::PolygonZ
            | ShapeType::PolygonM
            | ShapeType::MultiPatch => GeometryKind::Polygon,
        }
    }

    /// True for the Z and M variants (values beyond x, y).
    pub fn has_z_or_m(self) -> bool {
        self.code() > 10
    }

    /// A readable name, as in the specification.
    pub fn name(self) -> &'static str {
        match self {
            ShapeType::Null => "Null",
            ShapeType::Point => "Point",
            ShapeType::PolyLine => "PolyLine",
            ShapeType::Polygon => "Polygon",
            ShapeType::MultiPoint => "MultiPoint",
            ShapeType::PointZ => "PointZ",
            ShapeType::PolyLineZ => "PolyLineZ",
            ShapeType::PolygonZ => "PolygonZ",
            ShapeType::MultiPointZ => "MultiPointZ",
            ShapeType::PointM => "PointM",
            ShapeType::PolyLineM => "PolyLineM",
            ShapeType::PolygonM => "PolygonM",
            ShapeType::MultiPointM => "MultiPointM",
            ShapeType::MultiPatch => "MultiPatch",
        }
    }
}

/// The files of one shapefile set, found next to the `.shp` (extensions matched
/// case-insensitively, the stem exactly or else case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapefileSet {
    pub shp: PathBuf,
    pub shx: Option<PathBuf>,
    pub dbf: Option<PathBuf>,
    pub cpg: Option<PathBuf>,
    pub prj: Option<PathBuf>,
}

impl ShapefileSet {
    /// Finds the siblings of `shp`. Fails only when the folder cannot be listed.
    pub fn locate(shp: &Path) -> Result<ShapefileSet, IoError> {
        let dir = match shp.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let stem = shp
            .file_stem()
            .map(|s| s.to_os_string())
            .unwrap_or_default();
        let stem_lower = stem.to_string_lossy().to_lowercase();
        let mut exact: Vec<(String, PathBuf)> = Vec::new();
        let mut loose: Vec<(String, PathBuf)> = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| IoError::io(&dir, e))?;
        for entry in entries.flatten() {
            let p = entry.path();
            let (Some(s), Some(ext)) = (p.file_stem(), p.extension()) else {
                continue;
            };
            let ext = ext.to_string_lossy().to_lowercase();
            if s == stem {
                exact.push((ext, p));
            } else if s.to_string_lossy().to_lowercase() == stem_lower {
                loose.push((ext, p));
            }
        }
        // Sorted so the choice among case variants is deterministic.
        exact.sort();
        loose.sort();
        let find = |want: &str| {
            exact
                .iter()
                .chain(loose.iter())
                .find(|(e, _)| e == want)
                .map(|(_, p)| p.clone())
        };
        Ok(ShapefileSet {
            shp: shp.to_path_buf(),
            shx: find("shx"),
            dbf: find("dbf"),
            cpg: find("cpg"),
            prj: find("prj"),
        })
    }
}

/// A shapefile read from disk: the layer and the `.prj` text for the CRS module.
#[derive(Clone, Debug)]
pub struct ShapefileRead {
    pub layer: Layer,
    pub prj_text: Option<String>,
}

/// Decodes a small sidecar text file (`.cpg`, `.prj`): UTF-8 if valid, else GB18030;
/// a BOM and surrounding white space are removed.
pub fn decode_sidecar_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    };
    text.trim().to_owned()
}

/// Read a .shp (with its .shx/.dbf/.cpg/.prj siblings, case-insensitive extensions)
/// into a Layer.
///
/// `layer.crs` is set to `CrsInfo{crs: None, source: CrsSource::Detected("no .prj")}`:
/// the caller fills the CRS from `prj_text`. With `opts.geometry_only` the `.dbf` is not
/// opened at all. A missing `.dbf` or `.shx` is not an error.
pub fn read_shapefile(path: &Path, opts: &ReadOptions) -> Result<ShapefileRead, IoError> {
    let set = ShapefileSet::locate(path)?;
    let read_optional = |p: &Option<PathBuf>| -> Result<Option<Vec<u8>>, IoError> {
        match p {
            Some(p) => limits::read_file(p).map(Some),
            None => Ok(None),
        }
    };
    // The `.dbf` is only opened here, and read as it is taken apart (a ledger with
    // wide text fields a piece at a time), side by side with the `.shp`.
    let (shp, dbf) = rayon::join(
        || limits::read_file(&set.shp),
        || match &set.dbf {
            Some(p) if !opts.geometry_only => {
                let (file, len) = limits::open_file(p)?;
                Ok(Some(DbfInput::File(file, len)))
            }
            _ => Ok(None),
        },
    );
    let (shp, dbf) = (shp?, dbf?);
    let shx = read_optional(&set.shx)?;
    let cpg = if opts.geometry_only {
        None
    } else {
        read_optional(&set.cpg)?.map(|b| decode_sidecar_text(&b))
    };
    let prj_text = read_optional(&set.prj)?.map(|b| decode_sidecar_text(&b));
    let layer = read_shapefile_parts(path, &shp, shx.as_deref(), dbf, cpg.as_deref(), opts)?;
    Ok(ShapefileRead { layer, prj_text })
}

/// Same as [`read_shapefile`] from in-memory bytes (used for `.zip`):
/// `path_for_messages` names the `.shp` in problems and becomes `layer.source`; its
/// stem is the layer name.
pub fn read_shapefile_bytes(
    path_for_messages: &Path,
    shp: &[u8],
    shx: Option<&[u8]>,
    dbf: Option<&[u8]>,
    cpg: Option<&str>,
    opts: &ReadOptions,
) -> Result<Layer, IoError> {
    read_shapefile_parts(
        path_for_messages,
        shp,
        shx,
        dbf.map(DbfInput::Bytes),
        cpg,
        opts,
    )
}

/// A `.dbf` as read for [`read_shapefile_parts`].
enum DbfInput<'b> {
    /// Its bytes (from memory, e.g. unpacked from a `.zip`).
    Bytes(&'b [u8]),
    /// The file open (and its length), read a piece at a time when its text fields
    /// are wide ([`dbf::DbfFile`]).
    File(std::fs::File, u64),
}

/// [`read_shapefile_bytes`] taking the `.dbf` as bytes or as an open file.
fn read_shapefile_parts(
    path_for_messages: &Path,
    shp: &[u8],
    shx: Option<&[u8]>,
    dbf: Option<DbfInput<'_>>,
    cpg: Option<&str>,
    opts: &ReadOptions,
) -> Result<Layer, IoError> {
    let path = path_for_messages;
    let dbf_path = path.with_extension("dbf");
    let read_attrs = !opts.geometry_only;
    // Geometry and attributes are independent: parse them side by side.
    let (parsed, table) = rayon::join(
        || parse_shp(path, shp, shx),
        || {
            let input = dbf.filter(|_| read_attrs)?;
            let mut dbf_problems = Vec::new();
            let (enc, problems) = (opts.encoding, &mut dbf_problems);
            let deferred = |read: Result<_, IoError>| {
                read.map(|(records, encoding)| DbfRead::Deferred(records, encoding))
            };
            let open = |file, len| dbf::DbfFile {
                path: &dbf_path,
                file,
                len,
                cpg,
                user_encoding: enc,
            };
            let table = match input {
                DbfInput::File(file, len) if opts.defer_attributes => {
                    deferred(open(file, len).read_deferred(problems))
                }
                DbfInput::Bytes(bytes) if opts.defer_attributes => deferred(
                    dbf::read_dbf_deferred(&dbf_path, bytes.to_vec(), cpg, enc, problems),
                ),
                DbfInput::Bytes(bytes) => {
                    dbf::read_dbf(&dbf_path, bytes, cpg, enc, problems).map(DbfRead::Decoded)
                }
                DbfInput::File(file, len) => open(file, len).read(problems).map(DbfRead::Decoded),
            };
            Some((table, dbf_problems))
        },
    );
    let parsed = parsed?;
    let n = parsed.features.len();
    let mut features = parsed.features;
    let mut problems = parsed.problems;
    let mut fields = Vec::new();
    let mut encoding = None;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut deferred: Option<Arc<dyn DeferredAttributes>> = None;
    let mut n_rows = 0;
    if read_attrs {
        match table {
            None => problems.push(
                Problem::warning(
                    path,
                    "no .dbf next to the .shp: the geometry was read but there are no attributes",
                )
                .with_hint("copy the .dbf with the same name next to the .shp")
                .with_zh(
                    ".shp 旁没有 .dbf：已读取几何，但没有属性",
                    Some("把同名的 .dbf 文件放到 .shp 旁边"),
                ),
            ),
            Some((table, mut dbf_problems)) => {
                problems.append(&mut dbf_problems);
                match table {
                    Ok(DbfRead::Decoded(table)) => {
                        fields = table.fields;
                        encoding = Some(table.encoding);
                        rows = table.rows;
                        n_rows = rows.len();
                    }
                    Ok(DbfRead::Deferred(records, enc)) => {
                        fields = records.fields().to_vec();
                        encoding = Some(enc);
                        n_rows = records.len();
                        deferred = Some(Arc::new(records));
                    }
                    Err(e) => problems.push(
                        Problem::error(
                            &dbf_path,
                            format!("the .dbf could not be read ({e}); the geometry was read without attributes"),
                        )
                        .with_hint("re-export the layer or replace the .dbf")
                        .with_zh(
                            format!("无法读取 .dbf（{}），只读取了几何，没有属性", e.zh()),
                            Some("请重新导出图层或替换 .dbf 文件"),
                        ),
                    ),
                }
                if n_rows < n && !fields.is_empty() {
                    problems.push(
                        Problem::error(
                            &dbf_path,
                            format!(
                                "the .dbf has {} records but the .shp has {n} shapes; records {} to {} have empty attributes",
                                n_rows,
                                n_rows,
                                n - 1
                            ),
                        )
                        .at_record(n_rows as u64)
                        .with_hint("the .shp and .dbf do not belong together or one was cut off; re-export the layer")
                        .with_zh(
                            format!(
                                ".dbf 有 {} 条记录，但 .shp 有 {n} 个图形；记录 {} 至 {} 的属性为空",
                                n_rows,
                                n_rows,
                                n - 1
                            ),
                            Some(".shp 与 .dbf 不是同一套文件，或其中之一被截断；请重新导出图层"),
                        ),
                    );
                } else if n_rows > n {
                    problems.push(
                        Problem::warning(
                            &dbf_path,
                            format!(
                                "the .dbf has {} records but the .shp has only {n} shapes; the extra {} rows were ignored",
                                n_rows,
                                n_rows - n
                            ),
                        )
                        .at_record(n as u64)
                        .with_hint("the .shp may be truncated or the files may not belong together")
                        .with_zh(
                            format!(
                                ".dbf 有 {} 条记录，但 .shp 只有 {n} 个图形；多出的 {} 行已忽略",
                                rows.len(),
                                rows.len() - n
                            ),
                            Some(".shp 可能被截断，或两个文件不是同一套"),
                        ),
                    );
                }
            }
        }
        if deferred.is_none() {
            let nfields = fields.len();
            let mut rows = rows.into_iter();
            for f in &mut features {
                f.attrs = rows.next().unwrap_or_else(|| vec![Value::Null; nfields]);
            }
        }
    }
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Layer {
        name,
        source: path.to_path_buf(),
        format: SourceFormat::Shapefile,
        geometry_kind: parsed.shape_type.kind(),
        has_z: parsed.shape_type.has_z_or_m(),
        crs: CrsInfo {
            crs: None,
            source: CrsSource::Detected("no .prj".into()),
        },
        encoding,
        fields,
        features,
        problems,
        deferred,
    })
}

/// A `.dbf` read whole or kept for reading on demand.
enum DbfRead {
    Decoded(dbf::DbfTable),
    Deferred(dbf::DbfRecords, crate::model::EncodingInfo),
}

/// The geometry part of a `.shp`: one feature per record in file order, with
/// empty attributes.
#[derive(Clone, Debug)]
pub struct ShpRecords {
    /// The shape type declared in the file header.
    pub shape_type: ShapeType,
    pub features: Vec<Feature>,
    pub problems: Vec<Problem>,
}

const HEADER_LEN: usize = 100;
const FILE_CODE: i32 = 9994;

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le_f64(b: &[u8], at: usize) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    f64::from_le_bytes(a)
}

/// Where a record is, or why it could not be found.
enum Slot {
    Content(Range<usize>),
    Lost(Box<Problem>),
}

/// A `.shx` entry: byte offset of the record header and content length in bytes.
#[derive(Clone, Copy)]
struct IndexEntry {
    offset: usize,
}

fn parse_shx(path: &Path, shx: Option<&[u8]>, problems: &mut Vec<Problem>) -> Vec<IndexEntry> {
    let Some(b) = shx else {
        return Vec::new();
    };
    if b.len() < HEADER_LEN || be_i32(b, 0) != FILE_CODE {
        problems.push(
            Problem::warning(
                &path.with_extension("shx"),
                "the .shx index is damaged and was ignored; records were read from the .shp in order",
            )
            .with_hint("rebuild the index (e.g. re-export the layer)")
            .with_zh(
                ".shx 索引已损坏，已忽略；按 .shp 中的顺序读取记录",
                Some("重建索引（如重新导出图层）"),
            ),
        );
        return Vec::new();
    }
    b[HEADER_LEN..]
        .chunks_exact(8)
        .map(|e| IndexEntry {
            offset: (be_i32(e, 0).max(0) as usize) * 2,
        })
        .collect()
}

/// Parses the geometry of a whole `.shp` held in memory.
///
/// Fails only when the file is not a shapefile at all (shorter than its 100-byte
/// header, wrong file code, unknown or unsupported shape type).
pub fn parse_shp(path: &Path, shp: &[u8], shx: Option<&[u8]>) -> Result<ShpRecords, IoError> {
    if shp.len() < HEADER_LEN {
        return Err(IoError::corrupt(
            path,
            format!(
                "not a shapefile: the file is {} bytes long, shorter than the 100-byte header",
                shp.len()
            ),
        )
        .with_zh(format!(
            "不是 shapefile：文件只有 {} 字节，比 100 字节的文件头还短",
            shp.len()
        )));
    }
    let code = be_i32(shp, 0);
    if code != FILE_CODE {
        return Err(IoError::corrupt(
            path,
            format!("not a shapefile: the file code is {code}, not 9994"),
        )
        .with_zh(format!("不是 shapefile：文件代码是 {code}，而不是 9994")));
    }
    let type_code = le_i32(shp, 32);
    let shape_type = match ShapeType::from_code(type_code) {
        Some(ShapeType::MultiPatch) => {
            return Err(IoError::corrupt(
                path,
                "MultiPatch (3-D surface) shapefiles are not supported; export the layer as polygons",
            )
            .with_zh("不支持 MultiPatch（三维表面）shapefile；请把图层导出为面"));
        }
        Some(t) => t,
        None => {
            return Err(IoError::corrupt(
                path,
                format!("unknown shape type {type_code} in the file header"),
            )
            .with_zh(format!("文件头中的图形类型 {type_code} 无法识别")));
        }
    };
    let mut problems = Vec::new();
    let index = parse_shx(path, shx, &mut problems);
    let slots = locate_records(path, shp, shape_type, &index, &mut problems)?;
    if !index.is_empty() && index.len() != slots.len() {
        problems.push(
            Problem::warning(
                &path.with_extension("shx"),
                format!(
                    "the .shx lists {} records but the .shp holds {}; records were read from the .shp",
                    index.len(),
                    slots.len()
                ),
            )
            .with_hint("rebuild the index (e.g. re-export the layer)")
            .with_zh(
                format!(
                    ".shx 列出 {} 条记录，但 .shp 中有 {} 条；已按 .shp 读取记录",
                    index.len(),
                    slots.len()
                ),
                Some("重建索引（如重新导出图层）"),
            ),
        );
    }

    // Problems are rare: keep them out of line so the per-record result stays small.
    let (features, record_problems): (Vec<Feature>, Vec<RareProblems>) = slots
        .into_par_iter()
        .enumerate()
        .map(|(i, slot)| {
            let fid = i as u64;
            let (geometry, p) = match slot {
                Slot::Content(r) => parse_record(path, fid, &shp[r], shape_type),
                Slot::Lost(p) => (None, vec![*p]),
            };
            let feature = Feature {
                fid,
                geometry,
                attrs: Vec::new(),
            };
            (feature, (!p.is_empty()).then(|| Box::new(p)))
        })
        .unzip();
    for p in record_problems.into_iter().flatten() {
        problems.extend(*p);
    }
    Ok(ShpRecords {
        shape_type,
        features,
        problems,
    })
}

/// Whether a plausible record header for record number `number` (1-based; `None`
/// = any) starts at `at`.
fn header_at(shp: &[u8], at: usize, number: Option<i32>, shape_type: ShapeType) -> Option<usize> {
    if at < HEADER_LEN || !at.is_multiple_of(2) || at + 12 > shp.len() {
        return None;
    }
    if let Some(n) = number
        && be_i32(shp, at) != n
    {
        return None;
    }
    let words = be_i32(shp, at + 4);
    if words < 2 {
        return None;
    }
    let end = at + 8 + (words as usize) * 2;
    if end > shp.len() {
        return None;
    }
    let t = le_i32(shp, at + 8);
    (t == 0 || t == shape_type.code()).then_some(end)
}

/// One sequential pass that finds where each record's content is.
fn locate_records(
    path: &Path,
    shp: &[u8],
    shape_type: ShapeType,
    index: &[IndexEntry],
    problems: &mut Vec<Problem>,
) -> Result<Vec<Slot>, IoError> {
    let len = shp.len();
    let max_records = limits::MAX_RECORDS.value_usize();
    // The .shx count is a good guess, but each record takes at least 12 bytes:
    // never reserve more than the file can hold.
    let mut slots: Vec<Slot> = Vec::with_capacity(index.len().min((len - HEADER_LEN) / 12 + 1));
    let mut pos = HEADER_LEN;
    let check_numbers = len >= HEADER_LEN + 8 && be_i32(shp, HEADER_LEN) == 1;
    let mut shx_reported = false;
    let mut prev_start = HEADER_LEN;
    loop {
        let r = slots.len();
        if pos == len {
            break;
        }
        if r >= max_records {
            return Err(IoError::corrupt(
                path,
                limits::MAX_RECORDS.message(format!(
                    "the file holds more than {max_records} records (record {r} starts at byte {pos} of {len})"
                )),
            ));
        }
        if let Some(e) = index.get(r)
            && e.offset != pos
            && !shx_reported
        {
            shx_reported = true;
            problems.push(
                Problem::warning(
                    &path.with_extension("shx"),
                    format!(
                        "the .shx index disagrees with the .shp at record {r} (offset {} instead of {pos}); records were read from the .shp in order",
                        e.offset
                    ),
                )
                .at_record(r as u64)
                .with_hint("rebuild the index (e.g. re-export the layer)")
                .with_zh(
                    format!(
                        ".shx 索引在记录 {r} 处与 .shp 不一致（偏移量为 {} 而不是 {pos}）；已按 .shp 中的顺序读取记录",
                        e.offset
                    ),
                    Some("重建索引（如重新导出图层）"),
                ),
            );
        }
        if pos + 8 > len {
            problems.push(
                Problem::warning(
                    path,
                    format!(
                        "{} stray bytes at the end of the file were ignored",
                        len - pos
                    ),
                )
                .with_hint("the file may be truncated; compare the record count with the .dbf")
                .with_zh(
                    format!("文件末尾多出的 {} 个字节已忽略", len - pos),
                    Some("文件可能被截断；请与 .dbf 的记录数核对"),
                ),
            );
            break;
        }
        let number = be_i32(shp, pos);
        let words = be_i32(shp, pos + 4);
        let expected = (r as i32).saturating_add(1);
        let number_ok = !check_numbers || number == expected;
        let end = (words >= 2)
            .then(|| (words as usize).checked_mul(2)?.checked_add(pos + 8))
            .flatten();
        if number_ok && let Some(end) = end.filter(|&e| e <= len) {
            slots.push(Slot::Content(pos + 8..end));
            prev_start = pos + 8;
            pos = end;
            continue;
        }
        // A damaged header: say what is wrong, then try to find the next record.
        let (what, what_zh) = if !number_ok {
            (
                format!("expected record number {expected} at byte {pos} but found {number}"),
                format!("第 {pos} 字节处应为记录号 {expected}，实际为 {number}"),
            )
        } else if words < 2 {
            (
                format!(
                    "the record header at byte {pos} declares a content length of {words} words"
                ),
                format!("第 {pos} 字节处的记录头声明内容长度为 {words} 字（每字 2 字节）"),
            )
        } else {
            (
                format!(
                    "the record at byte {pos} declares {} bytes but the file ends after {}",
                    (words as i64) * 2,
                    len - pos - 8
                ),
                format!(
                    "第 {pos} 字节处的记录声明有 {} 字节，但文件在其后 {} 字节处就结束了",
                    (words as i64) * 2,
                    len - pos - 8
                ),
            )
        };
        match resync(shp, shape_type, index, r, pos, prev_start, check_numbers) {
            Some((found_r, at)) => {
                // Records r..found_r could not be found; found_r starts at `at`.
                if at < pos
                    && let Some(Slot::Content(prev)) = slots.last_mut()
                {
                    // The previous record claimed bytes that belong to this one.
                    prev.end = prev.end.min(at).max(prev.start);
                }
                for lost in r..found_r {
                    slots.push(Slot::Lost(Box::new(
                        Problem::error(path, format!("{what}; the record could not be read"))
                            .at_record(lost as u64)
                            .with_hint("the .shp is damaged here; repair or re-export the layer")
                            .with_zh(
                                format!("{what_zh}；无法读取该记录"),
                                Some(".shp 在此处已损坏；请修复或重新导出图层"),
                            ),
                    )));
                }
                pos = at;
            }
            None => {
                let truncated = number_ok && words >= 2;
                let (listed, listed_zh) = if index.len() > r {
                    (
                        format!(" (the .shx lists {} records)", index.len()),
                        format!("（.shx 列出 {} 条记录）", index.len()),
                    )
                } else {
                    (String::new(), String::new())
                };
                let (message, message_zh) = if truncated {
                    (
                        format!(
                            "the file is truncated: it ends inside record {r}; {r} records were read{listed}"
                        ),
                        format!("文件被截断：在记录 {r} 中间结束；已读取 {r} 条记录{listed_zh}"),
                    )
                } else {
                    (
                        format!(
                            "{what}; no later record could be found, {r} records were read{listed}"
                        ),
                        format!("{what_zh}；后面找不到其他记录，已读取 {r} 条记录{listed_zh}"),
                    )
                };
                if truncated || index.len() > r {
                    slots.push(Slot::Lost(Box::new(
                        Problem::error(path, message)
                            .at_record(r as u64)
                            .with_hint("get a complete copy of the .shp")
                            .with_zh(message_zh, Some("请获取完整的 .shp 文件")),
                    )));
                } else {
                    // Nothing says another record should be here (padding, junk).
                    problems.push(
                        Problem::warning(
                            path,
                            format!(
                                "{} bytes after the last record ({what}) were ignored",
                                len - pos
                            ),
                        )
                        .with_hint("if records are missing, get a complete copy of the .shp")
                        .with_zh(
                            format!("最后一条记录之后的 {} 个字节（{what_zh}）已忽略", len - pos),
                            Some("如有记录缺失，请获取完整的 .shp 文件"),
                        ),
                    );
                }
                break;
            }
        }
    }
    Ok(slots)
}

/// Finds where reading can go on after a damaged header at `pos` while looking for
/// record index `r`: returns (record index found, byte offset of its header).
fn resync(
    shp: &[u8],
    shape_type: ShapeType,
    index: &[IndexEntry],
    r: usize,
    pos: usize,
    prev_start: usize,
    check_numbers: bool,
) -> Option<(usize, usize)> {
    if !index.is_empty() {
        // The .shx tells where each record should be; take the first that is sound.
        for (k, e) in index.iter().enumerate().skip(r) {
            let number = check_numbers.then(|| (k as i32).saturating_add(1));
            if e.offset >= prev_start && header_at(shp, e.offset, number, shape_type).is_some() {
                // A record before the damaged one must not be found again.
                if k == r && e.offset == pos {
                    continue;
                }
                return Some((k, e.offset));
            }
        }
        return None;
    }
    if !check_numbers {
        return None;
    }
    // Scan for the next header whose record number fits the bytes skipped.
    let mut at = prev_start + 4;
    at += at % 2;
    while at + 12 <= shp.len() {
        let n = be_i32(shp, at);
        if n > r as i32 && at != pos {
            let skipped = (n - 1) as usize - r;
            let room = (at - prev_start) / 12 + 1;
            if skipped <= room && header_at(shp, at, None, shape_type).is_some() {
                return Some((skipped + r, at));
            }
        }
        at += 2;
    }
    None
}

type Parsed = (Option<Geometry<f64>>, Vec<Problem>);

/// A record's problems, boxed because nearly every record has none.
type RareProblems = Option<Box<Vec<Problem>>>;

/// A record whose geometry was skipped: the message and the hint, each in English
/// and in Chinese.
fn bad(path: &Path, fid: u64, (message, message_zh): (String, String), hint: Hint) -> Parsed {
    (
        None,
        vec![
            Problem::error(path, message)
                .at_record(fid)
                .with_hint(hint.0.to_string())
                .with_zh(message_zh, Some(hint.1)),
        ],
    )
}

/// A hint in English and in Chinese.
type Hint = (&'static str, &'static str);

const HINT_REPAIR: Hint = (
    "repair the geometry in GIS software (e.g. QGIS \"Fix geometries\") and re-export",
    "请在 GIS 软件中修复几何（如 QGIS 的“修复几何图形”）后重新导出",
);

/// Parses one record's content (starting with its shape type).
fn parse_record(path: &Path, fid: u64, c: &[u8], layer_type: ShapeType) -> Parsed {
    if c.len() < 4 {
        return bad(
            path,
            fid,
            (
                "the record is too short to hold a shape type".into(),
                "记录太短，放不下图形类型".into(),
            ),
            HINT_REPAIR,
        );
    }
    let code = le_i32(c, 0);
    if code == 0 {
        return (None, Vec::new());
    }
    if code != layer_type.code() {
        let name = ShapeType::from_code(code).map_or("unknown", ShapeType::name);
        return bad(
            path,
            fid,
            (
                format!(
                    "the record's shape type is {code} ({name}) but the file holds {}; the geometry was skipped",
                    layer_type.name()
                ),
                format!(
                    "该记录的图形类型为 {code}（{name}），但文件中是 {}；已跳过该几何",
                    layer_type.name()
                ),
            ),
            HINT_REPAIR,
        );
    }
    let too_short = |need: usize| {
        bad(
            path,
            fid,
            (
                format!(
                    "the record content is {} bytes, too short for its {} (needs {need})",
                    c.len(),
                    layer_type.name()
                ),
                format!(
                    "记录内容只有 {} 字节，不够存放 {}（需要 {need} 字节）",
                    c.len(),
                    layer_type.name()
                ),
            ),
            HINT_REPAIR,
        )
    };
    match layer_type.kind() {
        GeometryKind::Point => {
            if c.len() < 20 {
                return too_short(20);
            }
            let (x, y) = (le_f64(c, 4), le_f64(c, 12));
            if !(x.is_finite() && y.is_finite()) {
                return bad(
                    path,
                    fid,
                    (
                        format!("the point has an invalid coordinate ({x}, {y})"),
                        format!("点的坐标无效（{x}, {y}）"),
                    ),
                    HINT_REPAIR,
                );
            }
            (Some(Geometry::Point(Point::new(x, y))), Vec::new())
        }
        GeometryKind::MultiPoint => {
            if c.len() < 40 {
                return too_short(40);
            }
            let n = le_i32(c, 36);
            let need = (n.max(0) as u64) * 16 + 40;
            if n < 0 || need > c.len() as u64 {
                return bad(
                    path,
                    fid,
                    (
                        format!(
                            "the record declares {n} points but holds room for {}",
                            (c.len() - 40) / 16
                        ),
                        format!("记录声明有 {n} 个点，但只够存放 {} 个", (c.len() - 40) / 16),
                    ),
                    HINT_REPAIR,
                );
            }
            if limits::MAX_POINTS.exceeded_by(n as u64) {
                return bad(
                    path,
                    fid,
                    (
                        limits::MAX_POINTS.message(format!("the record has {n} points")),
                        limits::MAX_POINTS.message_zh(format!("记录有 {n} 个点")),
                    ),
                    (
                        "split the multipoint into several records",
                        "请把多点拆成几条记录",
                    ),
                );
            }
            if n == 0 {
                return empty_shape(path, fid);
            }
            let (coords, finite) = read_coords(&c[40..need as usize]);
            if !finite {
                return non_finite(path, fid);
            }
            let pts: Vec<Point<f64>> = coords.into_iter().map(Point::from).collect();
            (Some(Geometry::MultiPoint(MultiPoint(pts))), Vec::new())
        }
        GeometryKind::Line | GeometryKind::Polygon => parse_poly(path, fid, c, layer_type),
        GeometryKind::None | GeometryKind::Mixed => (None, Vec::new()),
    }
}

fn empty_shape(path: &Path, fid: u64) -> Parsed {
    (
        None,
        vec![
            Problem::warning(path, "the shape has no points; it was read as a null shape")
                .at_record(fid)
                .with_zh("图形没有点，已按空图形读取", None),
        ],
    )
}

fn non_finite(path: &Path, fid: u64) -> Parsed {
    bad(
        path,
        fid,
        (
            "the shape has NaN or infinite coordinates; the geometry was skipped".into(),
            "图形含有 NaN 或无穷大的坐标，已跳过该几何".into(),
        ),
        HINT_REPAIR,
    )
}

/// Reads x/y pairs; the flag says whether all were finite.
fn read_coords(b: &[u8]) -> (Vec<Coord<f64>>, bool) {
    let mut out = Vec::with_capacity(b.len() / 16);
    let mut finite = true;
    for p in b.chunks_exact(16) {
        let mut xa = [0u8; 8];
        let mut ya = [0u8; 8];
        xa.copy_from_slice(&p[..8]);
        ya.copy_from_slice(&p[8..]);
        let (x, y) = (f64::from_le_bytes(xa), f64::from_le_bytes(ya));
        finite &= x.is_finite() & y.is_finite();
        out.push(Coord { x, y });
    }
    (out, finite)
}

fn parse_poly(path: &Path, fid: u64, c: &[u8], layer_type: ShapeType) -> Parsed {
    let is_polygon = layer_type.kind() == GeometryKind::Polygon;
    if c.len() < 44 {
        return bad(
            path,
            fid,
            (
                format!(
                    "the record content is {} bytes, too short for a {} (needs 44)",
                    c.len(),
                    layer_type.name()
                ),
                format!(
                    "记录内容只有 {} 字节，不够存放 {}（需要 44 字节）",
                    c.len(),
                    layer_type.name()
                ),
            ),
            HINT_REPAIR,
        );
    }
    let np = le_i32(c, 36);
    let npts = le_i32(c, 40);
    let need = 44u64 + 4 * (np.max(0) as u64) + 16 * (npts.max(0) as u64);
    if np < 0 || npts < 0 || need > c.len() as u64 {
        return bad(
            path,
            fid,
            (
                format!(
                    "the record declares {np} parts and {npts} points, more than its {} bytes can hold",
                    c.len()
                ),
                format!(
                    "记录声明有 {np} 个部件和 {npts} 个点，超出其 {} 字节能容纳的数量",
                    c.len()
                ),
            ),
            HINT_REPAIR,
        );
    }
    if limits::MAX_PARTS.exceeded_by(np as u64) || limits::MAX_POINTS.exceeded_by(npts as u64) {
        return bad(
            path,
            fid,
            {
                let limit = if limits::MAX_PARTS.exceeded_by(np as u64) {
                    limits::MAX_PARTS
                } else {
                    limits::MAX_POINTS
                };
                (
                    format!(
                        "the record has {np} parts and {npts} points; {}",
                        limit.describe()
                    ),
                    format!("记录有 {np} 个部件和 {npts} 个点；{}", limit.describe_zh()),
                )
            },
            (
                "simplify the shape or split it into several records",
                "请简化图形或拆成几条记录",
            ),
        );
    }
    if npts == 0 {
        return empty_shape(path, fid);
    }
    if np == 0 {
        return bad(
            path,
            fid,
            (
                format!("the record has {npts} points but no parts"),
                format!("记录有 {npts} 个点，但没有部件"),
            ),
            HINT_REPAIR,
        );
    }
    let (np, npts) = (np as usize, npts as usize);
    let mut starts = Vec::with_capacity(np);
    for k in 0..np {
        starts.push(le_i32(c, 44 + 4 * k));
    }
    let mut prev = -1i64;
    for (k, &s) in starts.iter().enumerate() {
        let s = s as i64;
        if (k == 0 && s != 0) || s <= prev || s >= npts as i64 {
            return bad(
                path,
                fid,
                (
                    format!(
                        "part {k} starts at point {s}, which is out of range or out of order ({npts} points)"
                    ),
                    format!("第 {k} 个部件从点 {s} 开始，超出范围或顺序错乱（共 {npts} 个点）"),
                ),
                HINT_REPAIR,
            );
        }
        prev = s;
    }
    let pts_at = 44 + 4 * np;
    let mut parts: Vec<Vec<Coord<f64>>> = Vec::with_capacity(np);
    for k in 0..np {
        let s = starts[k] as usize;
        let e = starts.get(k + 1).map_or(npts, |&e| e as usize);
        let (coords, finite) = read_coords(&c[pts_at + 16 * s..pts_at + 16 * e]);
        if !finite {
            return non_finite(path, fid);
        }
        parts.push(coords);
    }
    if !is_polygon {
        if let Some(k) = parts.iter().position(|p| p.len() < 2) {
            return bad(
                path,
                fid,
                (
                    format!("line part {k} has only one point"),
                    format!("第 {k} 个线部件只有一个点"),
                ),
                HINT_REPAIR,
            );
        }
        let g = if parts.len() == 1 {
            Geometry::LineString(LineString(parts.pop().unwrap_or_default()))
        } else {
            Geometry::MultiLineString(MultiLineString(parts.into_iter().map(LineString).collect()))
        };
        return (Some(g), Vec::new());
    }
    assemble_polygon(path, fid, parts)
}

/// Twice the signed area (positive = counter-clockwise), computed relative to the
/// first vertex so large projected coordinates keep their precision.
fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    let Some(o) = ring.first() else { return 0.0 };
    let mut sum = 0.0;
    for w in ring.windows(2) {
        let (a, b) = (w[0] - *o, w[1] - *o);
        sum += a.x * b.y - b.x * a.y;
    }
    sum
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Position {
    Inside,
    OnBoundary,
    Outside,
}

/// Where `p` lies relative to a closed ring (crossing number, boundary explicit).
fn point_in_ring(p: Coord<f64>, ring: &[Coord<f64>]) -> Position {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        // On the segment?
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        if cross == 0.0
            && p.x >= a.x.min(b.x)
            && p.x <= a.x.max(b.x)
            && p.y >= a.y.min(b.y)
            && p.y <= a.y.max(b.y)
        {
            return Position::OnBoundary;
        }
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
    }
    if inside {
        Position::Inside
    } else {
        Position::Outside
    }
}

struct Bbox {
    min: Coord<f64>,
    max: Coord<f64>,
}

impl Bbox {
    fn of(ring: &[Coord<f64>]) -> Bbox {
        let mut b = Bbox {
            min: Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            max: Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        };
        for c in ring {
            b.min.x = b.min.x.min(c.x);
            b.min.y = b.min.y.min(c.y);
            b.max.x = b.max.x.max(c.x);
            b.max.y = b.max.y.max(c.y);
        }
        b
    }
    fn contains(&self, o: &Bbox) -> bool {
        self.min.x <= o.min.x
            && self.min.y <= o.min.y
            && self.max.x >= o.max.x
            && self.max.y >= o.max.y
    }
}

/// Whether `hole` lies inside `outer`: the first vertex of the hole not on the
/// outer's boundary decides.
fn ring_inside(hole: &[Coord<f64>], outer: &[Coord<f64>]) -> bool {
    for &v in hole {
        match point_in_ring(v, outer) {
            Position::Inside => return true,
            Position::Outside => return false,
            Position::OnBoundary => {}
        }
    }
    // Every vertex on the boundary: the same ring traced the other way; keep it.
    true
}

fn assemble_polygon(path: &Path, fid: u64, mut rings: Vec<Vec<Coord<f64>>>) -> Parsed {
    let mut problems = Vec::new();
    for (k, ring) in rings.iter_mut().enumerate() {
        if let (Some(&first), Some(&last)) = (ring.first(), ring.last())
            && first != last
        {
            ring.push(first);
            problems.push(
                Problem::warning(path, format!("ring {k} was not closed; it was closed"))
                    .at_record(fid)
                    .with_zh(format!("第 {k} 个环未闭合，已自动闭合"), None),
            );
        }
        if ring.len() < 4 {
            problems.push(
                Problem::error(
                    path,
                    format!(
                        "ring {k} has only {} points; a ring needs at least 4 (3 corners and the closing point); the geometry was skipped",
                        ring.len()
                    ),
                )
                .at_record(fid)
                .with_hint(HINT_REPAIR.0)
                .with_zh(
                    format!(
                        "第 {k} 个环只有 {} 个点；一个环至少需要 4 个点（3 个角点加闭合点）；已跳过该几何",
                        ring.len()
                    ),
                    Some(HINT_REPAIR.1),
                ),
            );
            return (None, problems);
        }
    }
    // Fast path: a single ring is the polygon, whatever its orientation.
    if rings.len() == 1 {
        let ring = rings.pop().unwrap_or_default();
        if signed_area2(&ring) > 0.0 {
            problems.push(
                Problem::warning(
                    path,
                    "the only ring is counter-clockwise (a hole by the specification); it was used as an outer ring",
                )
                .at_record(fid)
                .with_zh("唯一的环为逆时针（按规范应为内环），已作为外环使用", None),
            );
        }
        let g = Geometry::Polygon(Polygon::new(LineString(ring), Vec::new()));
        return (Some(g), problems);
    }
    // Outer rings: clockwise (negative signed area); degenerate (zero) rings too.
    let areas: Vec<f64> = rings.iter().map(|r| signed_area2(r)).collect();
    let mut outers: Vec<usize> = (0..rings.len()).filter(|&k| areas[k] <= 0.0).collect();
    let holes: Vec<usize> = (0..rings.len()).filter(|&k| areas[k] > 0.0).collect();
    let boxes: Vec<Bbox> = rings.iter().map(|r| Bbox::of(r)).collect();
    let mut owner: Vec<Option<usize>> = vec![None; rings.len()];
    let mut orphans = Vec::new();
    for &h in &holes {
        let mut best: Option<usize> = None;
        for &o in &outers {
            if boxes[o].contains(&boxes[h])
                && ring_inside(&rings[h], &rings[o])
                && best.is_none_or(|b| areas[o].abs() < areas[b].abs())
            {
                best = Some(o);
            }
        }
        match best {
            Some(o) => owner[h] = Some(o),
            None => orphans.push(h),
        }
    }
    for &h in &orphans {
        problems.push(
            Problem::warning(
                path,
                format!(
                    "ring {h} is counter-clockwise (a hole) but lies inside no outer ring; it was used as an outer ring"
                ),
            )
            .at_record(fid)
            .with_zh(
                format!("第 {h} 个环为逆时针（内环），但不在任何外环内；已作为外环使用"),
                None,
            ),
        );
    }
    outers.extend(orphans);
    outers.sort_unstable();
    let mut slots: Vec<Option<Vec<Coord<f64>>>> = rings.into_iter().map(Some).collect();
    let mut polygons = Vec::with_capacity(outers.len());
    for &o in &outers {
        let interiors: Vec<LineString<f64>> = (0..slots.len())
            .filter(|&h| owner[h] == Some(o))
            .filter_map(|h| slots[h].take().map(LineString))
            .collect();
        if let Some(ext) = slots[o].take() {
            polygons.push(Polygon::new(LineString(ext), interiors));
        }
    }
    let g = if polygons.len() == 1 {
        Geometry::Polygon(
            polygons
                .pop()
                .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![])),
        )
    } else {
        Geometry::MultiPolygon(MultiPolygon(polygons))
    };
    (Some(g), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(c: &[(f64, f64)]) -> Vec<Coord<f64>> {
        c.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn clockwise_rings_have_negative_signed_area_even_far_from_the_origin() {
        let cw = ring(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]);
        assert_eq!(signed_area2(&cw), -2.0);
        let far: Vec<Coord<f64>> = cw
            .iter()
            .map(|c| Coord {
                x: c.x + 38_500_000.0,
                y: c.y + 4_200_000.0,
            })
            .collect();
        assert_eq!(signed_area2(&far), -2.0);
        let ccw: Vec<Coord<f64>> = cw.iter().rev().copied().collect();
        assert_eq!(signed_area2(&ccw), 2.0);
    }

    #[test]
    fn point_in_ring_reports_inside_boundary_and_outside() {
        let sq = ring(&[(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0), (0.0, 0.0)]);
        assert_eq!(
            point_in_ring(Coord { x: 1.0, y: 1.0 }, &sq),
            Position::Inside
        );
        assert_eq!(
            point_in_ring(Coord { x: 0.0, y: 1.0 }, &sq),
            Position::OnBoundary
        );
        assert_eq!(
            point_in_ring(Coord { x: 2.0, y: 2.0 }, &sq),
            Position::OnBoundary
        );
        assert_eq!(
            point_in_ring(Coord { x: 3.0, y: 1.0 }, &sq),
            Position::Outside
        );
        assert_eq!(
            point_in_ring(Coord { x: -1.0, y: 2.0 }, &sq),
            Position::Outside
        );
    }

    #[test]
    fn a_hole_touching_its_outer_ring_at_a_vertex_is_still_assigned() {
        let outer = ring(&[(0.0, 0.0), (0.0, 4.0), (4.0, 4.0), (4.0, 0.0), (0.0, 0.0)]);
        // Hole starts on the outer boundary; its second vertex decides.
        let hole = ring(&[(0.0, 2.0), (2.0, 1.0), (2.0, 3.0), (0.0, 2.0)]);
        let (g, problems) = assemble_polygon(Path::new("t.shp"), 0, vec![outer, hole]);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Geometry::Polygon(p)) = g else {
            panic!("expected a polygon");
        };
        assert_eq!(p.interiors().len(), 1);
    }

    #[test]
    fn shape_type_codes_round_trip() {
        for code in [0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28, 31] {
            assert_eq!(ShapeType::from_code(code).map(ShapeType::code), Some(code));
        }
        assert_eq!(ShapeType::from_code(2), None);
        assert!(ShapeType::PolygonM.has_z_or_m());
        assert!(!ShapeType::Polygon.has_z_or_m());
    }

    #[test]
    fn headers_are_checked_against_the_bytes_present() {
        let mut b = vec![0u8; 100];
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&10i32.to_be_bytes());
        b.extend_from_slice(&1i32.to_le_bytes());
        b.extend_from_slice(&[0u8; 16]);
        assert_eq!(header_at(&b, 100, Some(1), ShapeType::Point), Some(128));
        assert_eq!(header_at(&b, 100, Some(2), ShapeType::Point), None);
        assert_eq!(header_at(&b, 100, Some(1), ShapeType::Polygon), None);
        b.truncate(120);
        assert_eq!(header_at(&b, 100, Some(1), ShapeType::Point), None);
    }
}
