//! Site ledgers (台账): CSV and Excel tables with coordinate columns, read as point
//! layers.
//!
//! Offices keep boiler and enterprise lists in Excel with a title row above the
//! header, coordinates typed in every spelling [`coord_text`](super::coord_text)
//! knows, longitude and latitude sometimes swapped, and sometimes projected X/Y in
//! metres (with X the northing, as Chinese surveying names it). This module finds the
//! header and the coordinate columns, keeps every column as an attribute, turns each
//! data row into a point feature and reports every cell it could not use by its row
//! number as the user sees it in Excel or in a text editor.
//!
//! Row rules: fully empty rows are skipped and *not* counted, so `fid` is the 0-based
//! index among the non-empty data rows below the header; a row whose coordinates
//! cannot be read keeps its `fid` with no geometry and a [`Problem`].
//!
//! CRS: degrees are taken as CGCS2000 (EPSG:4490, the national standard; WGS84 agrees
//! to well under a metre); projected coordinates are left for the caller to identify
//! from their range. Rows flagged as picked on Amap or Baidu are reported by
//! [`row_offset_kinds`], not corrected here.

use std::borrow::Cow;
use std::path::Path;

use calamine::{Data, Reader};

use super::coord_text::{
    CoordParseError, CoordTextOptions, looks_pseudo_decimal, parse_degrees_with,
    pseudo_decimal_to_degrees,
};
use super::{IoError, ReadOptions, limits};
use crate::crs::Crs;
use crate::model::{
    CrsInfo, CrsSource, EncodingInfo, EncodingSource, Feature, Fid, FieldDef, FieldKind, Geometry,
    GeometryKind, Layer, Problem, SourceFormat, Value,
};

/// Fewest rows for which the pseudo-decimal hint is given (fewer pass by chance).
const PSEUDO_HINT_MIN_ROWS: usize = 3;
/// How many rows from the top are searched for the header row.
const HEADER_SEARCH_ROWS: usize = 10;

/// Table-specific reading choices beyond [`ReadOptions`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Read plain numbers up to 180 as pseudo-decimal DMS (`112.3325` = 112°33′25″).
    /// Off by default; the reader warns when a table looks like it.
    pub pseudo_decimal: bool,
}

/// A map-app coordinate offset a ledger row is flagged with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MapOffset {
    /// Picked on Amap (高德) or Tencent maps: GCJ-02, ~0.6 km off in Shanxi.
    Gcj02,
    /// Picked on Baidu maps: BD-09, ~1.3 km off in Shanxi.
    Bd09,
}

/// Read a CSV ledger (UTF-8 with or without BOM, or GBK/GB18030; `,`, tab or `;`).
pub fn read_csv(path: &Path, opts: &ReadOptions) -> Result<Layer, IoError> {
    read_csv_with(path, opts, TableOptions::default())
}

/// Read the first sheet with coordinate columns (or `opts.sheet`) of an `.xlsx`,
/// `.xlsm`, `.xls` or `.ods` workbook.
pub fn read_xlsx(path: &Path, opts: &ReadOptions) -> Result<Layer, IoError> {
    read_xlsx_with(path, opts, TableOptions::default())
}

/// [`read_csv`] with table options.
pub fn read_csv_with(
    path: &Path,
    opts: &ReadOptions,
    table_opts: TableOptions,
) -> Result<Layer, IoError> {
    let bytes = limits::read_file(path)?;
    let mut problems = Vec::new();
    let (text, encoding) = decode_text(path, &bytes, opts, &mut problems);
    drop(bytes);
    let raw = split_csv(path, &text, opts)?;
    drop(text);
    let mut layer = build_layer(path, SourceFormat::Csv, raw, opts, table_opts)?;
    layer.encoding = Some(encoding);
    problems.append(&mut layer.problems);
    layer.problems = problems;
    Ok(layer)
}

/// [`read_xlsx`] with table options.
pub fn read_xlsx_with(
    path: &Path,
    opts: &ReadOptions,
    table_opts: TableOptions,
) -> Result<Layer, IoError> {
    std::fs::metadata(path).map_err(|e| IoError::io(path, e))?;
    // .xlsx/.ods are zip archives: refuse a bomb before calamine inflates its parts
    // (the shared-strings part is read whole when the workbook opens).
    limits::check_zip_declared_sizes(path)?;
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
        IoError::corrupt(
            path,
            format!("not a readable Excel workbook ({e}); save it again as .xlsx"),
        )
        .with_zh(format!("不是可读取的 Excel 工作簿（{e}）；请另存为 .xlsx"))
    })?;
    let names = workbook.sheet_names();
    let wanted: Vec<String> = match &opts.sheet {
        Some(sheet) => {
            if !names.iter().any(|n| n == sheet) {
                return Err(IoError::Missing {
                    path: path.to_path_buf(),
                    message: format!(
                        "no sheet named \"{sheet}\"; the sheets are: {}",
                        names.join(", ")
                    ),
                    message_zh: Some(format!(
                        "没有名为“{sheet}”的工作表；现有工作表：{}",
                        names.join("、")
                    )),
                });
            }
            vec![sheet.clone()]
        }
        None => names.clone(),
    };
    let mut fallback: Option<RawTable> = None;
    for name in &wanted {
        let rows = sheet_rows(path, &mut workbook, name)?;
        let raw = collect_rows(rows.into_iter(), opts);
        if raw.has_coordinate_header(opts) || opts.sheet.is_some() {
            return build_layer(path, SourceFormat::Xlsx, raw, opts, table_opts);
        }
        if fallback.is_none() && !raw.headers.is_empty() {
            fallback = Some(raw);
        }
    }
    match fallback {
        Some(raw) => build_layer(path, SourceFormat::Xlsx, raw, opts, table_opts),
        None => Err(IoError::Missing {
            path: path.to_path_buf(),
            message: "the workbook has no sheet with data".into(),
            message_zh: Some("工作簿中没有含数据的工作表".into()),
        }),
    }
}

/// The non-empty rows of a worksheet as (1-based Excel row, cells from the leftmost
/// used column), checked against [`limits::MAX_RECORDS`] and [`limits::MAX_CELLS`]
/// before anything proportional to the sheet's extent is allocated.
///
/// `.xlsx` sheets are streamed cell by cell: calamine's `worksheet_range` allocates
/// the whole bounding box of the used cells, so one stray cell typed in `XFD1048576`
/// would ask for 17 billion cells. Other formats (`.xls`, `.ods`) are bounded by
/// their format (65,536 × 256 cells for `.xls`) and read as a range.
fn sheet_rows(
    path: &Path,
    workbook: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    name: &str,
) -> Result<Vec<(u64, Vec<Value>)>, IoError> {
    let unreadable = |e: &dyn std::fmt::Display| {
        IoError::corrupt(path, format!("sheet \"{name}\" cannot be read: {e}"))
    };
    let mut cells: Vec<((u32, u32), Value)> = Vec::new();
    match workbook {
        calamine::Sheets::Xlsx(xlsx) => {
            let max_cells = limits::MAX_CELLS.value_usize();
            let mut reader = xlsx
                .worksheet_cells_reader(name)
                .map_err(|e| unreadable(&e))?;
            while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                let value = excel_value(&Data::from(cell.get_value().clone()));
                if value.is_null() {
                    continue;
                }
                if cells.len() >= max_cells {
                    return Err(IoError::corrupt(
                        path,
                        limits::MAX_CELLS.message(format!(
                            "sheet \"{name}\" has more than {max_cells} filled cells"
                        )),
                    ));
                }
                cells.push((cell.get_position(), value));
            }
        }
        other => {
            let range = other.worksheet_range(name).map_err(|e| unreadable(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, v) in range.used_cells() {
                let value = excel_value(v);
                if !value.is_null() {
                    cells.push(((r0 + r as u32, c0 + c as u32), value));
                }
            }
        }
    }
    cells.sort_by_key(|&(pos, _)| pos);
    let min_col = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    // What reading allocates: each row as wide as its last cell here, then every
    // data row as wide as the header (one of the first rows) in `collect_rows`.
    let mut extents: Vec<u64> = Vec::new();
    let mut last_row = None;
    for ((r, c), _) in &cells {
        let extent = u64::from(c - min_col) + 1;
        if last_row == Some(*r) {
            if let Some(e) = extents.last_mut() {
                *e = (*e).max(extent);
            }
        } else {
            extents.push(extent);
            last_row = Some(*r);
        }
    }
    let row_count = extents.len();
    if limits::MAX_RECORDS.exceeded_by(row_count as u64) {
        return Err(IoError::corrupt(
            path,
            limits::MAX_RECORDS.message(format!("sheet \"{name}\" has {row_count} rows with data")),
        ));
    }
    let widest = extents.iter().copied().max().unwrap_or(0);
    let header_bound = extents
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .copied()
        .max()
        .unwrap_or(0);
    let allocated = extents
        .iter()
        .sum::<u64>()
        .saturating_add((row_count as u64).saturating_mul(header_bound));
    if limits::MAX_CELLS.exceeded_by(allocated) {
        return Err(IoError::corrupt(
            path,
            limits::MAX_CELLS.message(format!(
                "sheet \"{name}\" has {row_count} rows with data spanning up to {widest} columns (delete stray cells far to the right of the table)"
            )),
        ));
    }
    let mut rows: Vec<(u64, Vec<Value>)> = Vec::with_capacity(row_count);
    for ((r, c), value) in cells {
        let line = u64::from(r) + 1;
        if rows.last().is_none_or(|(l, _)| *l != line) {
            rows.push((line, Vec::new()));
        }
        if let Some((_, row)) = rows.last_mut() {
            let at = (c - min_col) as usize;
            if row.len() <= at {
                row.resize(at + 1, Value::Null);
            }
            row[at] = value;
        }
    }
    // Rows are not padded to the sheet's width: the header decides the width, and
    // cells beyond it are reported as such.
    Ok(rows)
}

/// For each feature of a table layer, the map-app offset its row is flagged with in a
/// column named 坐标系 / 坐标来源 / 坐标类型 / 坐标系统 / crs / coord_sys (values such as
/// 高德, GCJ-02, 火星, 腾讯 → GCJ-02; 百度, BD09 → BD-09; WGS84, 天地图, CGCS2000 or
/// anything else → `None`). All `None` when the layer has no such column.
pub fn row_offset_kinds(layer: &Layer) -> Vec<Option<MapOffset>> {
    let column = layer
        .fields
        .iter()
        .position(|f| OFFSET_COLUMN_NAMES.contains(&normalize_header(&f.name).as_str()));
    layer
        .features
        .iter()
        .map(|f| {
            column
                .and_then(|c| f.attrs.get(c))
                .and_then(|v| v.as_text())
                .and_then(|t| offset_kind(&t))
        })
        .collect()
}

const OFFSET_COLUMN_NAMES: [&str; 8] = [
    "坐标系",
    "坐标来源",
    "坐标类型",
    "坐标系统",
    "坐标系类型",
    "crs",
    "coordsys",
    "coordinatesystem",
];

/// Classify one 坐标系 cell.
fn offset_kind(text: &str) -> Option<MapOffset> {
    let t: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .collect();
    if ["bd09", "百度", "baidu"].iter().any(|k| t.contains(k)) {
        Some(MapOffset::Bd09)
    } else if [
        "gcj", "高德", "火星", "腾讯", "amap", "gaode", "tencent", "qq",
    ]
    .iter()
    .any(|k| t.contains(k))
    {
        Some(MapOffset::Gcj02)
    } else {
        None
    }
}

/// CGCS2000 geographic, the CRS a degree table is taken to be in.
fn cgcs2000() -> Crs {
    Crs {
        epsg: Some(4490),
        name: "CGCS2000".into(),
        proj4: "+proj=longlat +ellps=GRS80 +no_defs".into(),
        geographic: true,
    }
}

// ---------------------------------------------------------------------------
// Text decoding and CSV splitting

/// Decode the file: the user's encoding, else UTF-8 if valid, else GB18030.
fn decode_text(
    path: &Path,
    bytes: &[u8],
    opts: &ReadOptions,
    problems: &mut Vec<Problem>,
) -> (String, EncodingInfo) {
    if let Some(enc) = opts.encoding {
        let (text, _, had_errors) = enc.decode(bytes);
        if had_errors {
            problems.push(
                Problem::warning(
                    path,
                    format!(
                        "some bytes are not valid {}; they were replaced by �",
                        enc.name()
                    ),
                )
                .with_hint("check the chosen encoding")
                .with_zh(
                    format!("有些字节不是有效的 {}，已替换为 �", enc.name()),
                    Some("请检查所选的编码"),
                ),
            );
        }
        return (
            text.into_owned(),
            EncodingInfo {
                encoding: enc,
                source: EncodingSource::User,
            },
        );
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(body) {
        return (
            s.to_string(),
            EncodingInfo {
                encoding: encoding_rs::UTF_8,
                source: EncodingSource::DetectedUtf8,
            },
        );
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        problems.push(
            Problem::warning(
                path,
                "the file is neither valid UTF-8 nor valid GBK/GB18030; bad bytes were replaced by �",
            )
            .with_hint("save the file again as UTF-8")
            .with_zh(
                "文件既不是有效的 UTF-8，也不是有效的 GBK/GB18030，无法识别的字节已替换为 �",
                Some("请把文件另存为 UTF-8 编码"),
            ),
        );
    }
    (
        text.into_owned(),
        EncodingInfo {
            encoding: encoding_rs::GB18030,
            source: EncodingSource::DetectedGb18030,
        },
    )
}

/// Pick `,`, tab or `;` by counting them (outside quotes) in the first lines: the one
/// with the highest count on any line wins, `,` on a tie.
fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (0usize, b',');
    for delim in [b',', b'\t', b';'] {
        let mut max = 0usize;
        for line in text.lines().take(HEADER_SEARCH_ROWS) {
            let mut quoted = false;
            let mut n = 0usize;
            for b in line.bytes() {
                if b == b'"' {
                    quoted = !quoted;
                } else if b == delim && !quoted {
                    n += 1;
                }
            }
            max = max.max(n);
        }
        if max > best.0 {
            best = (max, delim);
        }
    }
    best.1
}

fn split_csv(path: &Path, text: &str, opts: &ReadOptions) -> Result<RawTable, IoError> {
    // Old Mac files end lines with a bare CR; the CSV parser counts lines by LF.
    let text: Cow<'_, str> = if text.contains('\r') && !text.contains('\n') {
        Cow::Owned(text.replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    // Records are split sequentially into one flat buffer (cheap), then turned into
    // values in parallel (the allocations are the expensive part).
    let mut fields = FlatFields::default();
    // The parser's own line count skips blank lines and newlines inside quotes, so
    // count LFs up to each record's start to give the line an editor shows.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(IoError::corrupt(
                    path,
                    format!("the CSV cannot be parsed after line {line}: {e}"),
                )
                .with_zh(format!("CSV 在第 {line} 行之后无法解析：{e}")));
            }
        }
        let mut start = record
            .position()
            .map_or(counted_to, |p| p.byte() as usize)
            .clamp(counted_to, bytes.len());
        // The reported start may sit on the previous record's terminator; a record
        // never begins with CR or LF (blank lines are not records).
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
        counted_to = start;
        fields.push_record(line, &record);
    }
    drop(text);
    Ok(collect_rows(fields.into_rows().into_iter(), opts))
}

/// All fields of a CSV back to back, with where each field and record ends.
#[derive(Default)]
struct FlatFields {
    bytes: Vec<u8>,
    /// End offset in `bytes` of each field.
    ends: Vec<usize>,
    /// (line, index of the record's first field in `ends`).
    records: Vec<(u64, usize)>,
}

impl FlatFields {
    fn push_record(&mut self, line: u64, record: &csv::ByteRecord) {
        self.records.push((line, self.ends.len()));
        for field in record {
            self.bytes.extend_from_slice(field);
            self.ends.push(self.bytes.len());
        }
    }

    fn into_rows(self) -> Vec<(u64, Vec<Value>)> {
        use rayon::prelude::*;
        let FlatFields {
            bytes,
            ends,
            records,
        } = self;
        (0..records.len())
            .into_par_iter()
            .map(|r| {
                let (line, first) = records[r];
                let last = records.get(r + 1).map_or(ends.len(), |next| next.1);
                let cells = (first..last)
                    .map(|f| {
                        let start = if f == 0 { 0 } else { ends[f - 1] };
                        csv_value(&String::from_utf8_lossy(&bytes[start..ends[f]]))
                    })
                    .collect();
                (line, cells)
            })
            .collect()
    }
}

/// One CSV field as a value. Numbers whose text is exactly what the number prints
/// as (`12`, `-3.75`; not `012`, `1.50`, `+5` or 16+ digits) are stored as numbers
/// right away, which saves an allocation per cell: if the column ends up as text,
/// printing them gives back the same characters. Everything else stays text until
/// the column is typed.
fn csv_value(s: &str) -> Value {
    if s.trim().is_empty() {
        return Value::Null;
    }
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let canonical = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'))
        && int.len() + frac.map_or(0, str::len) <= 15;
    match frac {
        None if canonical && s != "-0" => {
            if let Ok(i) = s.parse::<i64>() {
                return Value::Int(i);
            }
        }
        Some(f)
            if canonical
                && !f.is_empty()
                && !f.ends_with('0')
                && f.bytes().all(|b| b.is_ascii_digit()) =>
        {
            if let Ok(v) = s.parse::<f64>() {
                return Value::Float(v);
            }
        }
        _ => {}
    }
    Value::Text(s.to_string())
}

/// One calamine cell as a value: dates become `YYYY-MM-DD` (text with the time when
/// there is one), errors like `#N/A` become their text.
fn excel_value(cell: &Data) -> Value {
    match cell {
        Data::Empty => Value::Null,
        Data::Int(i) => Value::Int(*i),
        Data::Float(f) => Value::Float(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::String(s) if s.trim().is_empty() => Value::Null,
        Data::String(s) => Value::Text(s.clone()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
            if (h, mi, s, ms) == (0, 0, 0, 0) {
                Value::Date(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                Value::Text(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
            }
        }
        Data::DateTime(dt) => Value::Text(format!("{}", dt.as_f64())),
        Data::DateTimeIso(s) if s.len() == 10 => Value::Date(s.clone()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Text(s.clone()),
        Data::Error(e) => Value::Text(e.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Header and columns

/// Rows of a table below its header, before typing.
struct RawTable {
    headers: Vec<String>,
    /// (1-based line or Excel row, cells); fully empty rows already removed.
    rows: Vec<(u64, Vec<Value>)>,
    /// Rows with non-empty cells beyond the header: (count, first row number).
    overlong: (usize, u64),
}

impl RawTable {
    fn has_coordinate_header(&self, opts: &ReadOptions) -> bool {
        matches!(find_coordinate_columns(&self.headers, opts), Ok(Some(_)))
    }
}

fn is_empty_row(cells: &[Value]) -> bool {
    cells.iter().all(Value::is_null)
}

/// Find the header among the first rows, name the columns and keep the data rows.
fn collect_rows(rows: impl Iterator<Item = (u64, Vec<Value>)>, opts: &ReadOptions) -> RawTable {
    let mut rows = rows.filter(|(_, cells)| !is_empty_row(cells));
    let mut top: Vec<(u64, Vec<Value>)> = rows.by_ref().take(HEADER_SEARCH_ROWS).collect();
    let header_at = find_header_row(&top, opts);
    let header_cells = if top.is_empty() {
        Vec::new()
    } else {
        top.remove(header_at).1
    };
    let mut headers = name_columns(&header_cells);
    let mut width = headers.len();
    let mut overlong = (0usize, 0u64);
    let mut data = Vec::new();
    for (line, mut cells) in top.into_iter().skip(header_at).chain(rows) {
        if cells.len() > width {
            if cells[width..].iter().any(|v| !v.is_null()) {
                if overlong.0 == 0 {
                    overlong.1 = line;
                }
                overlong.0 += 1;
            }
            cells.truncate(width);
        }
        cells.resize(width, Value::Null);
        if !is_empty_row(&cells) {
            data.push((line, cells));
        }
    }
    // Trailing columns with neither a header nor data come from stray cell
    // formatting in Excel: drop them.
    while width > 0
        && header_cells.get(width - 1).is_none_or(Value::is_null)
        && data.iter().all(|(_, cells)| cells[width - 1].is_null())
    {
        width -= 1;
        headers.pop();
        for (_, cells) in data.iter_mut() {
            cells.pop();
        }
    }
    RawTable {
        headers,
        rows: data,
        overlong,
    }
}

/// The header row: the first of the top rows naming a coordinate column (or the
/// user's x/y column), else the first with two or more cells that are all text (a
/// title row, merged or not, has one), else the first row.
fn find_header_row(top: &[(u64, Vec<Value>)], opts: &ReadOptions) -> usize {
    let names = |cells: &[Value]| -> Vec<String> {
        cells
            .iter()
            .map(|v| {
                v.as_text()
                    .map(|t| t.trim().to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    if let Some(i) = top.iter().position(|(_, cells)| {
        let names = names(cells);
        let user = [&opts.x_field, &opts.y_field]
            .into_iter()
            .flatten()
            .any(|want| names.iter().any(|n| n == want.trim()));
        user || names
            .iter()
            .any(|n| coordinate_role(&normalize_header(n)).is_some())
    }) {
        return i;
    }
    top.iter()
        .position(|(_, cells)| {
            let filled: Vec<&Value> = cells.iter().filter(|v| !v.is_null()).collect();
            filled.len() >= 2 && filled.iter().all(|v| matches!(v, Value::Text(_)))
        })
        .unwrap_or(0)
}

/// Column names from the header cells: whitespace runs collapsed to one space, empty
/// ones named `field_N` (1-based), duplicates suffixed `_2`, `_3`, …
fn name_columns(cells: &[Value]) -> Vec<String> {
    // Sets, not list scans: a header row of 100,000 stray columns must stay linear.
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut next_suffix: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    for (i, cell) in cells.iter().enumerate() {
        let raw = cell.as_text().unwrap_or_default();
        let mut name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            name = format!("field_{}", i + 1);
        }
        if taken.contains(&name) {
            let k = next_suffix.entry(name.clone()).or_insert(2);
            while taken.contains(&format!("{name}_{k}")) {
                *k += 1;
            }
            let unique = format!("{name}_{k}");
            *k += 1;
            name = unique;
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Header text reduced for matching: lowercase, without parenthesised units
/// (`经度(°)`, `X坐标（m）`), spaces, `_`, `-`, `°`, `:`.
fn normalize_header(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            '(' | '（' | '[' | '【' | '〔' => depth += 1,
            ')' | '）' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_whitespace() => {}
            '_' | '-' | '°' | ':' | '：' | '*' | '/' => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Axis {
    X,
    Y,
}

const X_NAMES: [&str; 12] = [
    "经度",
    "东经",
    "lon",
    "lng",
    "long",
    "longitude",
    "x坐标",
    "x",
    "经度坐标",
    "坐标x",
    "东经度",
    "经度值",
];
const Y_NAMES: [&str; 10] = [
    "纬度",
    "北纬",
    "lat",
    "latitude",
    "y坐标",
    "y",
    "纬度坐标",
    "坐标y",
    "北纬度",
    "纬度值",
];

/// Which coordinate a normalised header names exactly, if any.
fn coordinate_role(norm: &str) -> Option<Axis> {
    if X_NAMES.contains(&norm) {
        Some(Axis::X)
    } else if Y_NAMES.contains(&norm) {
        Some(Axis::Y)
    } else {
        None
    }
}

/// The x and y column indexes: the user's names (exact), else the first column of
/// each role by synonym, else the first header containing 经度 / 纬度 (but not 经纬,
/// a combined column). `Ok(None)` when there are none; `Err` names a missing user column.
fn find_coordinate_columns(
    headers: &[String],
    opts: &ReadOptions,
) -> Result<Option<(usize, usize)>, String> {
    let by_user = |want: &Option<String>| -> Result<Option<usize>, String> {
        match want {
            None => Ok(None),
            Some(w) => headers
                .iter()
                .position(|h| h == w.trim())
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "no column named \"{w}\"; the columns are: {}",
                        headers.join(", ")
                    )
                }),
        }
    };
    let norms: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let by_name = |axis: Axis, word: &str| {
        norms
            .iter()
            .position(|n| coordinate_role(n) == Some(axis))
            .or_else(|| {
                norms
                    .iter()
                    .position(|n| n.contains(word) && !n.contains("经纬"))
            })
    };
    let x = match by_user(&opts.x_field)? {
        Some(i) => Some(i),
        None => by_name(Axis::X, "经度"),
    };
    let y = match by_user(&opts.y_field)? {
        Some(i) => Some(i),
        None => by_name(Axis::Y, "纬度"),
    };
    Ok(match (x, y) {
        (Some(x), Some(y)) if x != y => Some((x, y)),
        _ => None,
    })
}

// ---------------------------------------------------------------------------
// Attribute typing

/// What a single value says about its column's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Int,
    Float,
    Text,
    Bool,
    Date,
}

/// Text that is a plain number. Leading zeros (`0351`, postal codes) and digit
/// strings too long for an integer (IDs) stay text so nothing is lost.
fn classify_text(s: &str) -> Class {
    let t = s.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() {
        return Class::Text;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            return Class::Text;
        }
        return if t.parse::<i64>().is_ok() {
            Class::Int
        } else {
            Class::Text
        };
    }
    let numeric_chars = digits
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    match t.parse::<f64>() {
        Ok(v) if numeric_chars && !leading_zero && v.is_finite() => Class::Float,
        _ => Class::Text,
    }
}

fn classify(v: &Value) -> Option<Class> {
    match v {
        Value::Null => None,
        Value::Int(_) => Some(Class::Int),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(Class::Int),
        Value::Float(_) => Some(Class::Float),
        Value::Text(s) => Some(classify_text(s)),
        Value::Bool(_) => Some(Class::Bool),
        Value::Date(_) => Some(Class::Date),
    }
}

fn join(a: Class, b: Class) -> Class {
    match (a, b) {
        (a, b) if a == b => a,
        (Class::Int, Class::Float) | (Class::Float, Class::Int) => Class::Float,
        _ => Class::Text,
    }
}

/// Infer each column's kind and convert its values to it. Row by row and in
/// parallel: a million-row ledger is typed in well under a second.
fn type_columns(headers: &[String], rows: &mut [(u64, Vec<Value>)]) -> Vec<FieldDef> {
    use rayon::prelude::*;
    let width = headers.len();
    let merge = |mut acc: Vec<Option<Class>>, other: Vec<Option<Class>>| {
        for (a, b) in acc.iter_mut().zip(other) {
            *a = match (*a, b) {
                (Some(x), Some(y)) => Some(join(x, y)),
                (x, y) => x.or(y),
            };
        }
        acc
    };
    let classes: Vec<Option<Class>> = rows
        .par_iter()
        .fold(
            || vec![None; width],
            |mut acc, (_, cells)| {
                for (slot, v) in acc.iter_mut().zip(cells) {
                    if *slot == Some(Class::Text) {
                        continue;
                    }
                    if let Some(k) = classify(v) {
                        *slot = Some(slot.map_or(k, |cur| join(cur, k)));
                    }
                }
                acc
            },
        )
        .reduce(|| vec![None; width], merge);
    let classes: Vec<Class> = classes
        .into_iter()
        .map(|c| c.unwrap_or(Class::Text))
        .collect();
    rows.par_iter_mut().for_each(|(_, cells)| {
        for (v, class) in cells.iter_mut().zip(&classes) {
            if !v.is_null() {
                let taken = std::mem::take(v);
                *v = convert(taken, *class);
            }
        }
    });
    headers
        .iter()
        .zip(&classes)
        .map(|(name, class)| FieldDef {
            name: name.clone(),
            kind: match class {
                Class::Int => FieldKind::Integer,
                Class::Float => FieldKind::Float,
                Class::Text => FieldKind::Text,
                Class::Bool => FieldKind::Bool,
                Class::Date => FieldKind::Date,
            },
        })
        .collect()
}

fn convert(v: Value, class: Class) -> Value {
    match (class, v) {
        (_, Value::Null) => Value::Null,
        (Class::Int, Value::Float(f)) => Value::Int(f as i64),
        (Class::Int, Value::Text(s)) => s.trim().parse().map_or(Value::Text(s), Value::Int),
        (Class::Float, Value::Int(i)) => Value::Float(i as f64),
        (Class::Float, Value::Text(s)) => s.trim().parse().map_or(Value::Text(s), Value::Float),
        (Class::Text, Value::Text(s)) => Value::Text(s),
        (Class::Text, other) => Value::Text(other.as_text().unwrap_or_default().into_owned()),
        (_, other) => other,
    }
}

// ---------------------------------------------------------------------------
// Coordinates

/// One row's coordinates as read, before layer-wide checks.
#[derive(Clone, Copy, Debug)]
struct RowXy {
    x: f64,
    y: f64,
    /// Both values were plain numbers (not DMS text): used by the pseudo-decimal hint.
    plain: bool,
}

fn is_plain_number(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::Float(_) => true,
        Value::Text(s) => s.trim().parse::<f64>().is_ok(),
        _ => false,
    }
}

/// One coordinate cell as a number.
fn cell_number(v: &Value, table_opts: TableOptions) -> Result<f64, CoordParseError> {
    let opts = CoordTextOptions {
        pseudo_decimal: table_opts.pseudo_decimal,
    };
    let number = |f: f64| {
        if table_opts.pseudo_decimal {
            pseudo_decimal_to_degrees(f)
        } else {
            Ok(f)
        }
    };
    let not_a_coordinate = || CoordParseError::NotACoordinate {
        text: v.as_text().unwrap_or_default().into_owned(),
    };
    match v {
        Value::Null => Err(CoordParseError::Empty),
        Value::Int(i) => number(*i as f64),
        Value::Float(f) if f.is_finite() => number(*f),
        Value::Float(_) => Err(not_a_coordinate()),
        Value::Text(s) => parse_degrees_with(s, opts),
        Value::Bool(_) | Value::Date(_) => Err(not_a_coordinate()),
    }
}

/// Longitude 73–136°E, latitude 3–54°N: China with its seas.
fn in_china(lon: f64, lat: f64) -> bool {
    (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat)
}

/// A Gauss-Kruger northing anywhere in China, in metres.
fn looks_northing(v: f64) -> bool {
    (2_000_000.0..=6_000_000.0).contains(&v)
}

/// A Gauss-Kruger easting: 6 digits around the 500 km false easting, or 8 digits
/// with the zone number (13–45) in front.
fn looks_easting(v: f64) -> bool {
    (100_000.0..1_000_000.0).contains(&v) || (13_000_000.0..46_000_000.0).contains(&v)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RowKind {
    Degrees,
    Projected,
    Mixed,
}

fn row_kind(p: &RowXy) -> RowKind {
    let (ax, ay) = (p.x.abs(), p.y.abs());
    if ax <= 180.0 && ay <= 180.0 {
        RowKind::Degrees
    } else if ax > 1000.0 && ay > 1000.0 {
        RowKind::Projected
    } else {
        RowKind::Mixed
    }
}

/// Everything the per-row checks need to report a problem.
struct Ctx<'a> {
    path: &'a Path,
    x_name: String,
    y_name: String,
}

impl Ctx<'_> {
    fn row_problem(&self, p: Problem, fid: Fid, line: u64) -> Problem {
        p.at_record(fid).at_row(line)
    }
    fn error(&self, fid: Fid, line: u64, msg: String) -> Problem {
        self.row_problem(Problem::error(self.path, msg), fid, line)
    }
    fn warning(&self, fid: Fid, line: u64, msg: String) -> Problem {
        self.row_problem(Problem::warning(self.path, msg), fid, line)
    }
}

/// Parse every row's coordinates, then decide degrees vs metres, fix swapped axes and
/// check the range. Returns one point (or `None`) per row and the CRS.
fn locate_rows(
    ctx: &Ctx<'_>,
    rows: &[(u64, Vec<Value>)],
    (xc, yc): (usize, usize),
    opts: &ReadOptions,
    table_opts: TableOptions,
    problems: &mut Vec<Problem>,
) -> (Vec<Option<(f64, f64)>>, CrsInfo) {
    let mut xy: Vec<Option<RowXy>> = Vec::with_capacity(rows.len());
    for (fid, (line, cells)) in rows.iter().enumerate() {
        let fid = fid as Fid;
        let (xv, yv) = (&cells[xc], &cells[yc]);
        if xv.is_null() && yv.is_null() {
            problems.push(
                ctx.error(fid, *line, "the row has no coordinates".into())
                    .in_field(ctx.x_name.clone())
                    .with_hint(format!(
                        "fill in \"{}\" and \"{}\" or delete the row",
                        ctx.x_name, ctx.y_name
                    ))
                    .with_zh(
                        "该行没有坐标",
                        Some(&format!(
                            "填写“{}”和“{}”，或删除该行",
                            ctx.x_name, ctx.y_name
                        )),
                    ),
            );
            xy.push(None);
            continue;
        }
        let x = cell_number(xv, table_opts);
        let y = cell_number(yv, table_opts);
        for (r, name) in [(&x, &ctx.x_name), (&y, &ctx.y_name)] {
            if let Err(e) = r {
                problems.push(
                    ctx.error(fid, *line, e.to_string())
                        .in_field(name.clone())
                        .with_hint("fix the cell or clear it")
                        .with_zh(e.zh(), Some("改正该单元格或清空")),
                );
            }
        }
        xy.push(match (x, y) {
            (Ok(x), Ok(y)) => Some(RowXy {
                x,
                y,
                plain: is_plain_number(xv) && is_plain_number(yv),
            }),
            _ => None,
        });
    }

    let count = |k: RowKind| xy.iter().flatten().filter(|p| row_kind(p) == k).count();
    let (degrees, projected) = (count(RowKind::Degrees), count(RowKind::Projected));
    let layer_kind = if projected > degrees {
        RowKind::Projected
    } else {
        RowKind::Degrees
    };
    for (fid, slot) in xy.iter_mut().enumerate() {
        let Some(p) = slot else { continue };
        let kind = row_kind(p);
        if kind != layer_kind {
            let (msg, msg_zh) = match kind {
                RowKind::Mixed => (
                    format!(
                        "{} = {} and {} = {} are not both degrees nor both metres",
                        ctx.x_name, p.x, ctx.y_name, p.y
                    ),
                    format!(
                        "{} = {} 和 {} = {} 既不同为度，也不同为米",
                        ctx.x_name, p.x, ctx.y_name, p.y
                    ),
                ),
                RowKind::Degrees => (
                    "the coordinates are degrees but most rows are projected metres".into(),
                    "该行坐标是经纬度（度），但多数行是投影坐标（米）".into(),
                ),
                RowKind::Projected => (
                    "the coordinates are metres but most rows are degrees".into(),
                    "该行坐标是投影坐标（米），但多数行是经纬度（度）".into(),
                ),
            };
            problems.push(
                ctx.error(fid as Fid, rows[fid].0, msg)
                    .with_hint("correct the row so all rows use one coordinate system")
                    .with_zh(msg_zh, Some("请改正该行，使所有行使用同一种坐标系")),
            );
            *slot = None;
        }
    }

    let points = if layer_kind == RowKind::Projected {
        projected_points(ctx, &xy, problems)
    } else {
        degree_points(ctx, rows, &xy, table_opts, problems)
    };
    let any = points.iter().any(Option::is_some);
    let crs = match (&opts.crs, layer_kind) {
        (Some(c), _) => CrsInfo {
            crs: Some(c.clone()),
            source: CrsSource::User,
        },
        (None, _) if !any => CrsInfo {
            crs: None,
            source: CrsSource::Detected("no readable coordinates in the table".into()),
        },
        (None, RowKind::Projected) => CrsInfo {
            crs: None,
            source: CrsSource::Detected(
                "projected coordinates in table; CRS decided by caller".into(),
            ),
        },
        (None, _) => CrsInfo {
            crs: Some(cgcs2000()),
            source: CrsSource::FormatDefault,
        },
    };
    (points, crs)
}

/// Metres: if the x column holds northings and the y column eastings (the surveying
/// convention "X = north"), exchange them for the whole table.
fn projected_points(
    ctx: &Ctx<'_>,
    xy: &[Option<RowXy>],
    problems: &mut Vec<Problem>,
) -> Vec<Option<(f64, f64)>> {
    let mx = median(xy.iter().flatten().map(|p| p.x).collect());
    let my = median(xy.iter().flatten().map(|p| p.y).collect());
    let swap = matches!((mx, my), (Some(mx), Some(my)) if looks_northing(mx) && looks_easting(my));
    if swap {
        problems.push(
            Problem::warning(
                ctx.path,
                format!(
                    "column \"{}\" holds northings and \"{}\" eastings (Chinese surveying calls the northing X): read \"{}\" as easting and \"{}\" as northing",
                    ctx.x_name, ctx.y_name, ctx.y_name, ctx.x_name
                ),
            )
            .with_hint("if that is wrong, choose the easting and northing columns yourself")
            .with_zh(
                format!(
                    "“{}”列是北坐标、“{}”列是东坐标（测量习惯把北坐标叫 X），已按“{}”为东坐标、“{}”为北坐标读取",
                    ctx.x_name, ctx.y_name, ctx.y_name, ctx.x_name
                ),
                Some("如不对，请自行指定东坐标和北坐标列"),
            ),
        );
    }
    xy.iter()
        .map(|p| p.map(|p| if swap { (p.y, p.x) } else { (p.x, p.y) }))
        .collect()
}

/// Degrees: exchange longitude and latitude where that moves a point into China (all
/// rows if most need it), warn about points outside China, refuse impossible ones.
fn degree_points(
    ctx: &Ctx<'_>,
    rows: &[(u64, Vec<Value>)],
    xy: &[Option<RowXy>],
    table_opts: TableOptions,
    problems: &mut Vec<Problem>,
) -> Vec<Option<(f64, f64)>> {
    let needs_swap = |x: f64, y: f64| !in_china(x, y) && in_china(y, x);
    let valid = xy.iter().flatten().count();
    let swapped = xy.iter().flatten().filter(|p| needs_swap(p.x, p.y)).count();
    let swap_columns = valid > 0 && swapped * 2 > valid;
    let (lon_name, lat_name) = if swap_columns {
        problems.push(
            Problem::warning(
                ctx.path,
                format!(
                    "the longitude and latitude columns look swapped ({swapped} of {valid} rows lie outside China as read and inside when exchanged): read \"{}\" as longitude and \"{}\" as latitude",
                    ctx.y_name, ctx.x_name
                ),
            )
            .with_hint("rename the two column headers")
            .with_zh(
                format!(
                    "经纬度两列疑似填反（{valid} 行中有 {swapped} 行按原样在中国境外、互换后在境内），已按“{}”为经度、“{}”为纬度读取",
                    ctx.y_name, ctx.x_name
                ),
                Some("请改正两列的表头"),
            ),
        );
        (&ctx.y_name, &ctx.x_name)
    } else {
        (&ctx.x_name, &ctx.y_name)
    };

    let mut points = Vec::with_capacity(xy.len());
    for (fid, p) in xy.iter().enumerate() {
        let Some(p) = p else {
            points.push(None);
            continue;
        };
        let (fid, line) = (fid as Fid, rows[fid].0);
        let (mut lon, mut lat) = if swap_columns { (p.y, p.x) } else { (p.x, p.y) };
        if needs_swap(lon, lat) {
            problems.push(
                ctx.warning(
                    fid,
                    line,
                    format!(
                        "longitude and latitude look swapped in this row ({lon}, {lat} is outside China, {lat}, {lon} is inside): read as longitude {lat}, latitude {lon}"
                    ),
                )
                .in_field(lon_name.clone())
                .with_hint(format!("exchange the \"{lon_name}\" and \"{lat_name}\" cells"))
                .with_zh(
                    format!(
                        "该行经纬度疑似填反（{lon}, {lat} 在中国境外，{lat}, {lon} 在境内），已按经度 {lat}、纬度 {lon} 读取"
                    ),
                    Some(&format!("请互换“{lon_name}”和“{lat_name}”两个单元格")),
                ),
            );
            std::mem::swap(&mut lon, &mut lat);
        }
        if lon.abs() > 180.0 || lat.abs() > 90.0 {
            problems.push(
                ctx.error(
                    fid,
                    line,
                    format!("longitude {lon}, latitude {lat} is not a place on Earth"),
                )
                .in_field(lon_name.clone())
                .with_hint("fix the cells or clear them")
                .with_zh(
                    format!("经度 {lon}、纬度 {lat} 不是地球上的位置"),
                    Some("请改正或清空这两个单元格"),
                ),
            );
            points.push(None);
            continue;
        }
        if !in_china(lon, lat) {
            problems.push(
                ctx.warning(
                    fid,
                    line,
                    format!("longitude {lon}, latitude {lat} is outside China"),
                )
                .in_field(lon_name.clone())
                .with_hint("check the coordinates; the point was kept")
                .with_zh(
                    format!("经度 {lon}、纬度 {lat} 在中国境外"),
                    Some("请核对坐标；该点已保留"),
                ),
            );
        }
        points.push(Some((lon, lat)));
    }

    if !table_opts.pseudo_decimal {
        let plain: Vec<f64> = xy
            .iter()
            .flatten()
            .filter(|p| p.plain)
            .flat_map(|p| [p.x, p.y])
            .collect();
        if plain.len() >= 2 * PSEUDO_HINT_MIN_ROWS && looks_pseudo_decimal(&plain) {
            problems.push(
                Problem::warning(
                    ctx.path,
                    "every coordinate reads as degrees.minutes-seconds written like a decimal (112.3325 for 112°33′25″); they were read as decimal degrees",
                )
                .with_hint("if the ledger means degrees, minutes and seconds, read it again with pseudo-decimal coordinates on")
                .with_zh(
                    "所有坐标看起来都像写成小数的度分秒（如 112.3325 表示 112°33′25″），已按十进制度读取",
                    Some("如台账实为度分秒，请打开“伪小数（度.分秒）坐标”后重新读取"),
                ),
            );
        }
    }
    points
}

// ---------------------------------------------------------------------------
// Layer assembly

fn build_layer(
    path: &Path,
    format: SourceFormat,
    mut raw: RawTable,
    opts: &ReadOptions,
    table_opts: TableOptions,
) -> Result<Layer, IoError> {
    if limits::MAX_RECORDS.exceeded_by(raw.rows.len() as u64) {
        return Err(IoError::corrupt(
            path,
            limits::MAX_RECORDS.message(format!("the table has {} data rows", raw.rows.len())),
        ));
    }
    let columns =
        find_coordinate_columns(&raw.headers, opts).map_err(|message| IoError::Missing {
            path: path.to_path_buf(),
            message,
            message_zh: None,
        })?;
    let mut problems = Vec::new();
    if raw.overlong.0 > 0 {
        problems.push(
            Problem::warning(
                path,
                format!(
                    "{} rows have more cells than the header has columns (first at row {}); the extra cells were ignored",
                    raw.overlong.0, raw.overlong.1
                ),
            )
            .with_hint("give the extra columns a header")
            .with_zh(
                format!(
                    "有 {} 行的单元格比表头的列多（首次在第 {} 行），多出的单元格已忽略",
                    raw.overlong.0, raw.overlong.1
                ),
                Some("请给多出的列加上表头"),
            ),
        );
    }
    let fields = if opts.geometry_only {
        Vec::new()
    } else {
        type_columns(&raw.headers, &mut raw.rows)
    };
    let (points, crs, kind) = match columns {
        Some((xc, yc)) => {
            let ctx = Ctx {
                path,
                x_name: raw.headers[xc].clone(),
                y_name: raw.headers[yc].clone(),
            };
            let (points, crs) =
                locate_rows(&ctx, &raw.rows, (xc, yc), opts, table_opts, &mut problems);
            (points, crs, GeometryKind::Point)
        }
        None if raw.headers.is_empty() => {
            problems.push(
                Problem::warning(path, "the file is empty: it has no header and no rows")
                    .with_hint("check that the upload was complete")
                    .with_zh(
                        "文件是空的：没有表头，也没有数据行",
                        Some("请确认文件上传完整"),
                    ),
            );
            let crs = CrsInfo {
                crs: None,
                source: CrsSource::Detected("no coordinate columns".into()),
            };
            (Vec::new(), crs, GeometryKind::None)
        }
        None => {
            problems.push(
                Problem::warning(
                    path,
                    format!(
                        "no longitude/latitude columns found (looked for 经度/纬度, lon/lat, X/Y); the columns are: {}",
                        raw.headers.join(", ")
                    ),
                )
                .with_hint("name the columns 经度 and 纬度, or choose them when loading")
                .with_zh(
                    format!(
                        "未找到经纬度列（查找了 经度/纬度、lon/lat、X/Y）；现有列：{}",
                        raw.headers.join("、")
                    ),
                    Some("把列名改为“经度”和“纬度”，或在读取时指定坐标列"),
                ),
            );
            let crs = CrsInfo {
                crs: None,
                source: CrsSource::Detected("no coordinate columns".into()),
            };
            (vec![None; raw.rows.len()], crs, GeometryKind::None)
        }
    };
    let features = raw
        .rows
        .into_iter()
        .zip(points)
        .enumerate()
        .map(|(fid, ((_, cells), point))| Feature {
            fid: fid as Fid,
            geometry: point.map(|(x, y)| Geometry::Point(geo_types::Point::new(x, y))),
            attrs: if opts.geometry_only {
                Vec::new()
            } else {
                cells
            },
        })
        .collect();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Layer {
        name,
        source: path.to_path_buf(),
        format,
        geometry_kind: kind,
        has_z: false,
        crs,
        encoding: None,
        fields,
        features,
        problems,
        deferred: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn header_names_lose_units_case_and_spaces() {
        assert_eq!(normalize_header(" 经度（°） "), "经度");
        assert_eq!(normalize_header("Longitude (deg)"), "longitude");
        assert_eq!(normalize_header("X坐标(m)"), "x坐标");
        assert_eq!(normalize_header("纬 度"), "纬度");
        assert_eq!(normalize_header("coord_sys"), "coordsys");
    }

    #[test]
    fn coordinate_columns_are_found_by_synonyms_and_by_user_names() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let opts = ReadOptions::default();
        let headers = h(&["序号", "单位名称", "经度(°)", "纬度(°)"]);
        assert_eq!(find_coordinate_columns(&headers, &opts), Ok(Some((2, 3))));
        let headers = h(&["name", "LAT", "Lng"]);
        assert_eq!(find_coordinate_columns(&headers, &opts), Ok(Some((2, 1))));
        let headers = h(&["中心点经度", "中心点纬度", "经纬度"]);
        assert_eq!(find_coordinate_columns(&headers, &opts), Ok(Some((0, 1))));
        let headers = h(&["名称", "地址"]);
        assert_eq!(find_coordinate_columns(&headers, &opts), Ok(None));
        let user = ReadOptions {
            x_field: Some("E".into()),
            y_field: Some("N".into()),
            ..ReadOptions::default()
        };
        let headers = h(&["N", "E", "经度", "纬度"]);
        assert_eq!(find_coordinate_columns(&headers, &user), Ok(Some((1, 0))));
        let err = find_coordinate_columns(&h(&["a"]), &user).unwrap_err();
        assert!(err.contains("no column named \"E\""), "{err}");
    }

    #[test]
    fn the_header_row_is_found_below_a_title_row() {
        let top = vec![
            (1, vec![text("XX县燃煤锅炉台账"), Value::Null, Value::Null]),
            (2, vec![text("序号"), text("经度"), text("纬度")]),
            (
                3,
                vec![Value::Int(1), Value::Float(112.5), Value::Float(37.8)],
            ),
        ];
        assert_eq!(find_header_row(&top, &ReadOptions::default()), 1);
        let top = vec![
            (1, vec![text("台账"), Value::Null]),
            (2, vec![text("名称"), text("地址")]),
            (3, vec![text("a"), text("b")]),
        ];
        assert_eq!(find_header_row(&top, &ReadOptions::default()), 1);
    }

    #[test]
    fn empty_and_duplicate_headers_get_names() {
        let names = name_columns(&[text("名称"), Value::Null, text("名称"), text("额定\n(t/h)")]);
        assert_eq!(names, ["名称", "field_2", "名称_2", "额定 (t/h)"]);
    }

    #[test]
    fn numbers_with_leading_zeros_and_long_ids_stay_text() {
        assert_eq!(classify_text("12"), Class::Int);
        assert_eq!(classify_text("-12"), Class::Int);
        assert_eq!(classify_text("12.5"), Class::Float);
        assert_eq!(classify_text("0.5"), Class::Float);
        assert_eq!(classify_text("030000"), Class::Text);
        assert_eq!(classify_text("0351-1234567"), Class::Text);
        assert_eq!(classify_text("91140100123456789012"), Class::Text);
        assert_eq!(classify_text("112°33′"), Class::Text);
        assert_eq!(classify_text("NaN"), Class::Text);
        assert_eq!(classify_text("inf"), Class::Text);
    }

    #[test]
    fn columns_are_typed_by_all_their_values() {
        let headers = vec!["a".to_string(), "b".into(), "c".into(), "d".into()];
        let mut rows = vec![
            (2, vec![text("1"), text("1"), Value::Float(3.0), text("x")]),
            (3, vec![text("2"), text("1.5"), Value::Null, Value::Int(4)]),
        ];
        let fields = type_columns(&headers, &mut rows);
        let kinds: Vec<FieldKind> = fields.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FieldKind::Integer,
                FieldKind::Float,
                FieldKind::Integer,
                FieldKind::Text
            ]
        );
        assert_eq!(
            rows[1].1,
            [Value::Int(2), Value::Float(1.5), Value::Null, text("4")]
        );
        assert_eq!(rows[0].1[2], Value::Int(3));
    }

    #[test]
    fn csv_numbers_are_stored_as_numbers_only_when_printing_gives_the_same_text() {
        for (s, v) in [
            ("12", Value::Int(12)),
            ("-12", Value::Int(-12)),
            ("0", Value::Int(0)),
            ("112.5567", Value::Float(112.5567)),
            ("-0.25", Value::Float(-0.25)),
            ("", Value::Null),
            ("  ", Value::Null),
        ] {
            assert_eq!(csv_value(s), v, "{s}");
        }
        for s in [
            "012",
            "1.50",
            "+5",
            "-0",
            "1.",
            ".5",
            "1e3",
            " 12",
            "1234567890123456",
            "0.0",
        ] {
            assert_eq!(csv_value(s), text(s), "{s}");
        }
        for s in [
            "12",
            "-12",
            "112.5567",
            "-0.25",
            "0.001",
            "123456789012.345",
        ] {
            assert_eq!(csv_value(s).as_text().unwrap(), s);
        }
    }

    #[test]
    fn delimiters_are_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n\"1,5\";2;3"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2\t3"), b'\t');
        assert_eq!(sniff_delimiter("title\n\"x,y\";b;c"), b';');
        assert_eq!(sniff_delimiter("single"), b',');
    }

    #[test]
    fn map_offsets_are_read_from_the_coordinate_system_column() {
        assert_eq!(offset_kind("高德"), Some(MapOffset::Gcj02));
        assert_eq!(offset_kind("GCJ-02"), Some(MapOffset::Gcj02));
        assert_eq!(offset_kind("火星坐标"), Some(MapOffset::Gcj02));
        assert_eq!(offset_kind("百度地图"), Some(MapOffset::Bd09));
        assert_eq!(offset_kind("BD-09"), Some(MapOffset::Bd09));
        assert_eq!(offset_kind("WGS84"), None);
        assert_eq!(offset_kind("天地图"), None);
        assert_eq!(offset_kind("CGCS2000"), None);
    }

    #[test]
    fn projected_value_ranges_are_told_apart() {
        assert!(looks_northing(4_231_234.0));
        assert!(!looks_northing(512_345.0));
        assert!(looks_easting(512_345.0));
        assert!(looks_easting(37_512_345.0));
        assert!(!looks_easting(4_231_234.0));
        assert!(in_china(112.5, 37.8));
        assert!(!in_china(37.8, 112.5));
    }
}
