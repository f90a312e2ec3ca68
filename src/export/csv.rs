//! CSV export: UTF-8 with a byte-order mark (so Excel opens Chinese text
//! correctly), header = [`Finding::COLUMNS`], severity as its code, status as its
//! Chinese label, `distance_m` to 0.01 m and lon/lat to 7 decimals without needless
//! digits, empty cells for missing values, formula-like text neutralised.

#[cfg(test)]
use std::borrow::Cow;

use rayon::prelude::*;

#[cfg(test)]
use super::neutralise_cell;
use super::{is_formula_like, push_decimal};
use crate::model::{Finding, FindingView, ReviewStatus, Severity};

/// The cells of one finding as CSV text, in [`Finding::COLUMNS`] order (text
/// borrowed from the finding unless it had to be neutralised; numbers written into
/// `numbers`): what [`write_finding_row`] writes, cell by cell, for the tests.
#[cfg(test)]
pub(super) fn csv_cells<'f>(f: &'f Finding, numbers: &'f mut [String; 5]) -> [Cow<'f, str>; 16] {
    fn opt(s: &Option<String>) -> Cow<'_, str> {
        s.as_deref().map_or(Cow::Borrowed(""), neutralise_cell)
    }
    numbers.iter_mut().for_each(String::clear);
    let [site_fid, zone_fid, distance, lon, lat] = numbers;
    site_fid.push_str(itoa::Buffer::new().format(f.site_fid));
    if let Some(z) = f.zone_fid {
        zone_fid.push_str(itoa::Buffer::new().format(z));
    }
    if let Some(d) = f.distance_m {
        push_decimal(distance, d, 2);
    }
    push_decimal(lon, f.lon, 7);
    push_decimal(lat, f.lat, 7);
    let number = |s: &'f mut String| Cow::Borrowed(&**s);
    [
        neutralise_cell(&f.finding_id),
        neutralise_cell(&f.rule_id),
        Cow::Borrowed(f.severity.code()),
        neutralise_cell(&f.site_layer),
        number(site_fid),
        neutralise_cell(&f.site_name),
        opt(&f.zone_layer),
        number(zone_fid),
        opt(&f.zone_name),
        opt(&f.zone_level),
        number(distance),
        number(lon),
        number(lat),
        opt(&f.county),
        Cow::Borrowed(f.status.label_zh()),
        neutralise_cell(&f.note),
    ]
}

/// Findings per block of rows written on one thread.
const ROWS_PER_BLOCK: usize = 8192;

/// The whole CSV file as bytes (BOM, header, one row per finding, CRLF endings).
#[cfg(test)]
pub(super) fn findings_csv(findings: &[Finding]) -> Vec<u8> {
    findings_csv_parts(findings).concat()
}

/// The CSV file in parts to be written one after another: the BOM and header, then
/// blocks of rows, written side by side.
pub(super) fn findings_csv_parts(findings: &[Finding]) -> Vec<Vec<u8>> {
    let mut parts = vec![findings_csv_head()];
    parts.par_extend(findings.par_chunks(ROWS_PER_BLOCK).map(findings_csv_rows));
    parts
}

/// The start of a findings CSV file: the BOM and the header row.
pub(super) fn findings_csv_head() -> Vec<u8> {
    let mut head = b"\xEF\xBB\xBF".to_vec();
    write_row(&mut head, Finding::COLUMNS.iter().map(|c| c.as_bytes()));
    head
}

/// The rows of `findings` in a findings CSV file.
pub fn findings_csv_rows(findings: &[Finding]) -> Vec<u8> {
    rows_of(findings.len(), findings.iter().map(Finding::view))
}

/// [`findings_csv_rows`] of findings as views of their text (as
/// [`crate::check::run_check_blocks`] hands them over).
pub fn finding_views_csv_rows(findings: &[FindingView]) -> Vec<u8> {
    rows_of(findings.len(), findings.iter())
}

/// The rows of `count` findings.
fn rows_of<'v, V: std::borrow::Borrow<FindingView<'v>>>(
    count: usize,
    findings: impl Iterator<Item = V>,
) -> Vec<u8> {
    // Rows run to about 160–200 bytes; room for 208 each spares a regrowth (a copy
    // of the whole block) in nearly every block.
    let (mut w, mut number) = (Vec::with_capacity(count * 208), String::new());
    let mut repeated = RepeatedCells::default();
    for f in findings {
        write_finding_row(&mut w, f.borrow(), &mut number, &mut repeated);
    }
    w
}

/// The cells that rows in finding order share with the row before (rule, severity
/// and site layer; status and note), as written for the last row that had them:
/// copied whole rather than written cell by cell. Texts are told apart by where
/// they are ([`TextAt`]): the findings of one check borrow their rule's and
/// layer's names, so a run of rows shares them; owned findings' texts never match,
/// and their cells are written afresh.
#[derive(Default)]
struct RepeatedCells {
    /// The rule's, severity's and site layer's cells, each followed by a comma.
    rule: SharedCells<(TextAt, Severity, TextAt)>,
    /// The status's and note's cells, and the row's end.
    end: SharedCells<(ReviewStatus, TextAt)>,
}

/// Some cells of a row as written, and what they were written for.
struct SharedCells<K> {
    key: Option<K>,
    cells: Vec<u8>,
}

impl<K> Default for SharedCells<K> {
    fn default() -> Self {
        SharedCells {
            key: None,
            cells: Vec::new(),
        }
    }
}

impl<K: PartialEq> SharedCells<K> {
    /// Appends to `out` the cells written for `key` when the row before had the
    /// same key; else writes them with `write` and keeps them for the next row.
    fn put(&mut self, out: &mut Vec<u8>, key: K, write: impl FnOnce(&mut Vec<u8>)) {
        if self.key.as_ref() == Some(&key) {
            out.extend_from_slice(&self.cells);
            return;
        }
        let start = out.len();
        write(out);
        self.key = Some(key);
        self.cells.clear();
        self.cells.extend_from_slice(&out[start..]);
    }
}

/// Where a text is and how long: equal for the same borrowed text (comparing
/// the texts themselves would cost more than writing their cells).
#[derive(Clone, Copy, PartialEq, Eq)]
struct TextAt(*const u8, usize);

impl TextAt {
    fn of(text: &str) -> TextAt {
        TextAt(text.as_ptr(), text.len())
    }
}

/// Appends the row of one finding: the cells of [`Finding::COLUMNS`] written
/// straight into `out` as [`write_row`] writes them, text that a spreadsheet would
/// run as a formula neutralised ([`super::neutralise_cell`]). `number` is scratch
/// space for the decimals.
fn write_finding_row(
    out: &mut Vec<u8>,
    f: &FindingView,
    number: &mut String,
    repeated: &mut RepeatedCells,
) {
    let text = |out: &mut Vec<u8>, t: &str| write_cell(out, is_formula_like(t), t.as_bytes());
    let opt = |out: &mut Vec<u8>, t: Option<&str>| text(out, t.unwrap_or(""));
    let integer = |out: &mut Vec<u8>, n: u64| {
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    };
    let mut decimal = |out: &mut Vec<u8>, v: f64, decimals: usize| {
        number.clear();
        push_decimal(number, v, decimals);
        out.extend_from_slice(number.as_bytes());
    };
    text(out, &f.finding_id);
    out.push(b',');
    let rule = (TextAt::of(f.rule_id), f.severity, TextAt::of(f.site_layer));
    repeated.rule.put(out, rule, |out| {
        text(out, f.rule_id);
        out.push(b',');
        write_cell(out, false, f.severity.code().as_bytes());
        out.push(b',');
        text(out, f.site_layer);
        out.push(b',');
    });
    integer(out, f.site_fid);
    out.push(b',');
    text(out, &f.site_name);
    out.push(b',');
    opt(out, f.zone_layer);
    out.push(b',');
    if let Some(z) = f.zone_fid {
        integer(out, z);
    }
    out.push(b',');
    opt(out, f.zone_name);
    out.push(b',');
    opt(out, f.zone_level);
    out.push(b',');
    if let Some(d) = f.distance_m {
        decimal(out, d, 2);
    }
    out.push(b',');
    decimal(out, f.lon, 7);
    out.push(b',');
    decimal(out, f.lat, 7);
    out.push(b',');
    opt(out, f.county.as_deref());
    out.push(b',');
    let end = (f.status, TextAt::of(f.note));
    repeated.end.put(out, end, |out| {
        write_cell(out, false, f.status.label_zh().as_bytes());
        out.push(b',');
        text(out, f.note);
        out.extend_from_slice(b"\r\n");
    });
}

/// Appends one record as the `csv` crate's writer does by default: a field is
/// quoted only when it holds a comma, a quote, CR or LF, with its quotes doubled;
/// the record ends with CRLF. (Every record here has several fields, so the
/// crate's quoting of a lone empty field does not arise.)
fn write_row<'c>(out: &mut Vec<u8>, cells: impl IntoIterator<Item = &'c [u8]>) {
    for (k, cell) in cells.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        write_cell(out, false, cell);
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends one cell as [`write_row`] writes it, after a `'` when `neutralise`.
fn write_cell(out: &mut Vec<u8>, neutralise: bool, cell: &[u8]) {
    let quoted = needs_quotes(cell);
    if quoted {
        out.push(b'"');
    }
    if neutralise {
        out.push(b'\'');
    }
    if quoted {
        for &b in cell {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(cell);
    }
}

/// Whether a cell holds a comma, a quote, CR or LF: eight bytes at a time.
fn needs_quotes(cell: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `w` is `b` (exact: the classic test for a zero byte).
    let has = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    };
    let mut words = cell.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if has(w, b',') || has(w, b'"') || has(w, b'\r') || has(w, b'\n') {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{ReviewStatus, Severity};

    pub(in crate::export) fn sample() -> Finding {
        Finding {
            finding_id: "f1".into(),
            rule_id: "coal_ban".into(),
            severity: Severity::TaskPending,
            site_layer: "锅炉".into(),
            site_fid: 7,
            site_name: "=cmd|' /C calc'!A0".into(),
            zone_layer: None,
            zone_fid: None,
            zone_name: None,
            zone_level: None,
            distance_m: Some(-1234.5678),
            lon: 112.5,
            lat: 37.87654321,
            county: Some("小店区".into()),
            status: ReviewStatus::Rectifying,
            note: "-".into(),
        }
    }

    #[test]
    fn cells_escape_text_but_not_numbers() {
        let finding = sample();
        let mut numbers = Default::default();
        let c = csv_cells(&finding, &mut numbers);
        assert_eq!(c[2], "task_pending");
        assert_eq!(c[5], "'=cmd|' /C calc'!A0");
        assert_eq!(c[6], "");
        assert_eq!(c[7], "");
        assert_eq!(c[10], "-1234.57");
        assert_eq!(c[11], "112.5");
        assert_eq!(c[12], "37.8765432");
        assert_eq!(c[14], "整改中");
        assert_eq!(c[15], "'-");
    }

    #[test]
    fn records_are_written_as_the_csv_crate_writes_them() {
        let alphabet = ["a", ",", "\"", "\r", "\n", " ", "点", "=", "'", ""];
        let mut cells: Vec<String> = Vec::new();
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    cells.push(format!("{a}{b}{c}"));
                }
            }
        }
        for row in cells.chunks_exact(4) {
            let mut ours = Vec::new();
            write_row(&mut ours, row.iter().map(|c| c.as_bytes()));
            let mut theirs = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(Vec::new());
            theirs.write_record(row).unwrap();
            assert_eq!(ours, theirs.into_inner().unwrap(), "{row:?}");
        }
    }

    #[test]
    fn the_file_starts_with_a_bom_and_the_stable_header() {
        let bytes = findings_csv(&[sample()]);
        assert!(bytes.starts_with(b"\xEF\xBB\xBFfinding_id,rule_id,severity,"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\r\n"));
    }

    #[test]
    fn rows_sharing_cells_with_the_row_before_are_written_as_each_alone() {
        // Views borrow one text per rule, layer and note, as a check's findings
        // do, in runs where one of rule, severity, layer, status or note changes
        // at a time; the owned findings hold their own copies.
        let rules = ["water-level1", "=rule,\"2\""];
        let layers = ["boilers", "企业,名录"];
        let notes = ["", "=note", "a\"b"];
        let severities = [Severity::Violation, Severity::NeedsReview];
        let statuses = [ReviewStatus::Pending, ReviewStatus::Cleared];
        let pick = |i: usize, step: usize, n: usize| (i / step) % n;
        let findings: Vec<Finding> = (0..96)
            .map(|i| Finding {
                rule_id: rules[pick(i, 32, 2)].into(),
                severity: severities[pick(i, 3, 2)],
                site_layer: layers[pick(i, 8, 2)].into(),
                site_fid: i as u64,
                status: statuses[pick(i, 5, 2)],
                note: notes[pick(i, 7, 3)].into(),
                ..sample()
            })
            .collect();
        let views: Vec<FindingView> = (findings.iter().enumerate())
            .map(|(i, f)| FindingView {
                rule_id: rules[pick(i, 32, 2)],
                site_layer: layers[pick(i, 8, 2)],
                note: notes[pick(i, 7, 3)],
                ..f.view()
            })
            .collect();
        let ours = finding_views_csv_rows(&views);
        assert_eq!(ours, findings_csv_rows(&findings));
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&ours[..]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), findings.len());
        for (row, f) in rows.iter().zip(&findings) {
            let mut numbers = Default::default();
            let expected = csv_cells(f, &mut numbers);
            assert_eq!(
                row.iter().collect::<Vec<_>>(),
                expected.iter().map(|c| c.as_ref()).collect::<Vec<_>>(),
                "row of site {}",
                f.site_fid
            );
        }
    }

    #[test]
    fn rows_written_in_blocks_read_back_in_order_with_quoting_intact() {
        let n = ROWS_PER_BLOCK * 2 + 17;
        let findings: Vec<Finding> = (0..n)
            .map(|i| Finding {
                site_fid: i as u64,
                site_name: match i % 5 {
                    0 => format!("点位{i}"),
                    1 => format!("a,\"b\"\n第{i}行"),
                    2 => format!("=SUM({i})"),
                    3 => format!("=HYPERLINK(\"x\",{i})"),
                    _ => String::new(),
                },
                zone_name: (i % 3 == 0).then(|| format!("-{i},\"准\"")),
                zone_fid: (i % 3 == 0).then_some(i as u64),
                ..sample()
            })
            .collect();
        let bytes = findings_csv(&findings);
        let mut reader = ::csv::Reader::from_reader(&bytes[3..]);
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), n);
        for (row, f) in rows.iter().zip(&findings) {
            let mut numbers = Default::default();
            let expected = csv_cells(f, &mut numbers);
            assert_eq!(
                row.iter().collect::<Vec<_>>(),
                expected.iter().map(|c| c.as_ref()).collect::<Vec<_>>()
            );
            assert_eq!(crate::export::restore_cell(&row[5]), f.site_name);
        }
    }
}
