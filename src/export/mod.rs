//! Findings exports: the ledger of DESIGN.md's sixteen columns written as CSV,
//! XLSX, GeoJSON or GeoPackage, chosen by the output file's extension.
//!
//! Every export is written to a temporary file in the target's folder, synced, and
//! renamed over the target, so a crash never leaves a half-written file under the
//! real name; a temporary that a killed export left behind is removed by the next
//! export of the same file. Rows are written in the order given: the caller sorts.
//!
//! Spreadsheet formula injection: text cells of CSV and XLSX that begin with `=`,
//! `+`, `-`, `@`, TAB or CR get a leading `'` ([`neutralise_cell`]), the OWASP
//! advice, so neither Excel nor a CSV re-saved from Excel runs them. Numeric
//! columns (`site_fid`, `zone_fid`, `distance_m`, `lon`, `lat`) are written as
//! numbers and never escaped: a negative distance must stay a number, and a number
//! cannot carry a formula. GeoJSON and GeoPackage are not spreadsheets and hold the
//! text unchanged.

mod csv;
mod geojson;
mod gpkg;
mod shp;
mod summary;
mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::model::Finding;

pub use csv::{finding_views_csv_rows, findings_csv_rows};
pub use shp::SHP_FIELDS;
pub use summary::{SummaryCounts, summary_counts};

/// The formats findings can be exported to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    GeoJson,
    Shapefile,
    GeoPackage,
}

impl ExportFormat {
    /// The format for an output path by its extension (case-insensitive): `.csv`,
    /// `.xlsx`, `.geojson`/`.json`, `.shp`, `.gpkg`.
    pub fn from_path(p: &Path) -> Option<ExportFormat> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            "geojson" | "json" => Some(ExportFormat::GeoJson),
            "shp" => Some(ExportFormat::Shapefile),
            "gpkg" => Some(ExportFormat::GeoPackage),
            _ => None,
        }
    }

    /// The format's name for messages.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Csv => "CSV",
            ExportFormat::Xlsx => "XLSX",
            ExportFormat::GeoJson => "GeoJSON",
            ExportFormat::Shapefile => "ESRI Shapefile",
            ExportFormat::GeoPackage => "GeoPackage",
        }
    }
}

/// A failed export. Messages name the output file and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "{path}: unknown export format; name the output .csv, .xlsx, .geojson, .json, .shp or .gpkg"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path}: cannot write the file: {source}{}", io_hint(.path, .source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// What to do about a file that could not be written, after its error.
fn io_hint(path: &Path, source: &std::io::Error) -> String {
    match source.kind() {
        std::io::ErrorKind::NotFound => output_folder_problem(path)
            .map(|p| format!(" ({p})"))
            .unwrap_or_default(),
        std::io::ErrorKind::PermissionDenied => {
            " (no permission to write there: choose a folder of your own)".to_owned()
        }
        _ => String::new(),
    }
}

/// Why no file can be written at `path`, if its folder is the reason: the folder
/// does not exist, or is a file. Checked before a long check, not after it.
pub fn output_folder_problem(path: &Path) -> Option<String> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty())?;
    if folder.is_dir() {
        None
    } else if folder.exists() {
        Some(format!(
            "{} is a file, not a folder; give another path",
            folder.display()
        ))
    } else {
        Some(format!(
            "the folder {} does not exist; create it or give another path",
            folder.display()
        ))
    }
}

impl ExportError {
    /// The error in Chinese, without the file name, for the app's status line.
    pub fn zh(&self) -> String {
        match self {
            ExportError::UnknownFormat { .. } => {
                "未知的导出格式；请将文件命名为 .csv、.xlsx、.geojson、.json、.shp 或 .gpkg"
                    .to_owned()
            }
            ExportError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "找不到要写入的文件夹".to_owned(),
                std::io::ErrorKind::PermissionDenied => "没有写入该文件的权限".to_owned(),
                _ => format!("无法写入该文件（{source}）"),
            },
            ExportError::Write { message, .. } => format!("写入出错：{message}"),
        }
    }

    fn io(path: &Path, source: std::io::Error) -> ExportError {
        ExportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    fn write(path: &Path, message: impl Into<String>) -> ExportError {
        ExportError::Write {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Export findings to `out` in the format its extension names.
pub fn export_findings(findings: &[Finding], out: &Path) -> Result<(), ExportError> {
    let format = ExportFormat::from_path(out).ok_or_else(|| ExportError::UnknownFormat {
        path: out.to_path_buf(),
    })?;
    match format {
        ExportFormat::Csv => write_parts_atomically(out, &csv::findings_csv_parts(findings)),
        ExportFormat::Xlsx => write_bytes_atomically(out, &xlsx::findings_xlsx(findings, out)?),
        ExportFormat::GeoJson => write_bytes_atomically(out, &geojson::findings_geojson(findings)),
        ExportFormat::GeoPackage => {
            write_atomically(out, |tmp| gpkg::write_findings_gpkg(findings, tmp, out))
        }
        // The shapefile writer writes each file of the set through its own temporary.
        ExportFormat::Shapefile => shp::write_findings_shp(findings, out),
    }
}

/// A findings CSV file written as its rows are made ([`findings_csv_rows`], e.g.
/// through [`crate::check::run_check_blocks`]): block `k` of rows is written as soon
/// as blocks `0..k` are, so the file fills while later blocks are still being made
/// and no block waits long in memory. Like every export it is written under a
/// temporary name and replaces `out` only when finished
/// ([`CsvRowsWriter::finish`]); dropped unfinished (the check failed or was
/// cancelled) it leaves `out` as it was. The file is the one [`export_findings`]
/// writes for all those findings.
///
/// What is written is also synced to disk as it comes, on a thread of its own, so
/// the sync before the file replaces `out` finds little left to write.
#[derive(Debug)]
pub struct CsvRowsWriter {
    // Dropped in this order: the file and the sync requests, then the syncing
    // thread (waited for, so it holds the file no more), then the temporary.
    state: std::sync::Mutex<RowsState>,
    syncer: Syncer,
    replacement: crate::io::Replacement,
    out: PathBuf,
}

/// The thread that syncs a [`CsvRowsWriter`]'s file, waited for when dropped.
#[derive(Debug)]
struct Syncer(Option<std::thread::JoinHandle<()>>);

impl Drop for Syncer {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Debug)]
struct RowsState {
    file: std::fs::File,
    /// The next block to write.
    next: usize,
    /// Blocks that came before their turn.
    waiting: std::collections::BTreeMap<usize, Vec<u8>>,
    /// The first write error (later blocks are dropped).
    error: Option<std::io::Error>,
    /// Bytes written since the syncing thread was last asked to sync.
    unsynced: usize,
    /// Asks the syncing thread to sync what has been written.
    sync: std::sync::mpsc::Sender<()>,
}

/// Bytes of rows written between two requests to sync them.
const SYNC_EVERY: usize = 4 << 20;

impl CsvRowsWriter {
    /// Starts the file: its temporary, with the BOM and header row.
    pub fn create(out: &Path) -> Result<CsvRowsWriter, ExportError> {
        let io = |e| ExportError::io(out, e);
        let replacement = crate::io::Replacement::begin(out).map_err(io)?;
        let mut file = std::fs::File::create(replacement.tmp()).map_err(io)?;
        file.write_all(&csv::findings_csv_head()).map_err(io)?;
        let to_sync = file.try_clone().map_err(io)?;
        let (sync, requests) = std::sync::mpsc::channel::<()>();
        // A failed sync here fails again, and is reported, when the file is finished.
        let syncer = std::thread::spawn(move || {
            while requests.recv().is_ok() {
                while requests.try_recv().is_ok() {}
                let _ = to_sync.sync_data();
            }
        });
        Ok(CsvRowsWriter {
            state: std::sync::Mutex::new(RowsState {
                file,
                next: 0,
                waiting: Default::default(),
                error: None,
                unsynced: 0,
                sync,
            }),
            syncer: Syncer(Some(syncer)),
            replacement,
            out: out.to_path_buf(),
        })
    }

    /// Takes block `index` (from 0) of the rows: written now if its turn has come,
    /// with the blocks that were waiting on it; else kept until then.
    pub fn put(&self, index: usize, rows: Vec<u8>) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.waiting.insert(index, rows);
        loop {
            let next = state.next;
            let Some(rows) = state.waiting.remove(&next) else {
                break;
            };
            if state.error.is_none() {
                match state.file.write_all(&rows) {
                    Ok(()) => state.unsynced += rows.len(),
                    Err(e) => state.error = Some(e),
                }
            }
            state.next += 1;
        }
        if state.unsynced >= SYNC_EVERY {
            state.unsynced = 0;
            let _ = state.sync.send(());
        }
    }

    /// Ends the file after `blocks` blocks and puts it in place of `out`.
    pub fn finish(self, blocks: usize) -> Result<(), ExportError> {
        let CsvRowsWriter {
            state,
            syncer,
            replacement,
            out,
        } = self;
        let state = state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let RowsState {
            file,
            next,
            waiting,
            error,
            sync,
            ..
        } = state;
        drop((file, sync));
        drop(syncer);
        if let Some(e) = error {
            return Err(ExportError::io(&out, e));
        }
        if next != blocks || !waiting.is_empty() {
            return Err(ExportError::write(
                &out,
                format!(
                    "{next} of {blocks} blocks of rows were given in turn; the file was not replaced"
                ),
            ));
        }
        replacement.commit().map_err(|e| ExportError::io(&out, e))
    }
}

/// `'` + text when the text starts with a character a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, TAB, CR); the text otherwise.
pub fn neutralise_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if is_formula_like(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Whether text starts with a character a spreadsheet would run as a formula
/// (what [`neutralise_cell`] escapes).
fn is_formula_like(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The inverse of [`neutralise_cell`], for reading an exported ledger back.
pub fn restore_cell(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if is_formula_like(rest) => rest,
        _ => text,
    }
}

/// A number with at most `decimals` decimals and no needless trailing zeros
/// (`-12.50` → `-12.5`, `3.00` → `3`, `-0.001` → `0`); empty for NaN/infinity.
pub fn format_decimal(v: f64, decimals: usize) -> String {
    let mut out = String::new();
    push_decimal(&mut out, v, decimals);
    out
}

/// [`format_decimal`] appended to `out`.
pub fn push_decimal(out: &mut String, v: f64, decimals: usize) {
    if !v.is_finite() || push_decimal_scaled(out, v, decimals) {
        return;
    }
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    out.push_str(if s == "-0" { "0" } else { s });
}

/// [`format_decimal`] through an integer: `v` scaled by 10^decimals and rounded.
/// Several times faster than formatting with a precision (each finding has three
/// such numbers). `None` when the scaled value is out of range or too near a
/// rounding tie for the scaling's own rounding error to be ruled out; the caller
/// then formats exactly. Appended to `out`; `false` (nothing appended) for `None`.
fn push_decimal_scaled(out: &mut String, v: f64, decimals: usize) -> bool {
    match decimal_scaled(v, decimals) {
        Some((negative, whole, frac, digits)) => {
            if negative {
                out.push('-');
            }
            out.push_str(itoa::Buffer::new().format(whole));
            if frac > 0 {
                let mut text = itoa::Buffer::new();
                let text = text.format(frac);
                out.push('.');
                out.extend(std::iter::repeat_n('0', digits - text.len()));
                out.push_str(text);
            }
            true
        }
        None => false,
    }
}

/// The parts of [`push_decimal_scaled`]'s number: sign, whole part, fraction
/// digits without trailing zeros, and how many decimals they stand for.
fn decimal_scaled(v: f64, decimals: usize) -> Option<(bool, u64, u64, usize)> {
    const POW10: [u64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let unit = *POW10.get(decimals)?;
    let scaled = v * unit as f64;
    if !scaled.is_finite() || scaled.abs() >= 1e15 {
        return None;
    }
    // The product is within a few units in the last place of the exact one.
    let from_tie = (scaled.abs().fract() - 0.5).abs();
    if from_tie <= scaled.abs() * 1e-15 + 1e-9 {
        return None;
    }
    let rounded = scaled.abs().round() as u64;
    if rounded == 0 {
        return Some((false, 0, 0, 0));
    }
    let mut frac = rounded % unit;
    let mut digits = decimals;
    while frac > 0 && frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    Some((scaled < 0.0, rounded / unit, frac, digits))
}

/// Write through a temporary file in `out`'s folder ([`crate::io::replace_file`]):
/// `write` fills the temporary path, which is then synced and renamed over `out`. On
/// failure the temporary file is removed and `out` is left as it was.
pub fn write_atomically(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut inner: Option<ExportError> = None;
    crate::io::replace_file(out, |tmp| {
        write(tmp).map_err(|e| {
            let msg = e.to_string();
            inner = Some(e);
            std::io::Error::other(msg)
        })
    })
    .map_err(|e| {
        inner
            .take()
            .unwrap_or_else(|| ExportError::write(out, e.to_string()))
    })
}

fn write_bytes_atomically(out: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    write_parts_atomically(out, std::slice::from_ref(&bytes))
}

/// [`write_bytes_atomically`] of the parts one after another (a large file made in
/// blocks is not copied into one buffer first).
fn write_parts_atomically(out: &Path, parts: &[impl AsRef<[u8]>]) -> Result<(), ExportError> {
    write_atomically(out, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| ExportError::io(out, e))?;
        for part in parts {
            f.write_all(part.as_ref())
                .map_err(|e| ExportError::io(out, e))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_written_says_why_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("导出").join("台账.csv");
        let e = ExportError::io(&missing, std::io::Error::from(std::io::ErrorKind::NotFound));
        let text = e.to_string();
        assert!(text.contains("does not exist; create it"), "{text}");
        assert_eq!(output_folder_problem(&dir.path().join("台账.csv")), None);
        assert_eq!(output_folder_problem(Path::new("台账.csv")), None);
    }

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(
            ExportFormat::from_path(Path::new("a/台账.XLSX")),
            Some(ExportFormat::Xlsx)
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("x.json")),
            Some(ExportFormat::GeoJson)
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("x.geojson")),
            Some(ExportFormat::GeoJson)
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("x.shp")),
            Some(ExportFormat::Shapefile)
        );
        assert_eq!(ExportFormat::from_path(Path::new("x.txt")), None);
        assert_eq!(ExportFormat::from_path(Path::new("x")), None);
    }

    #[test]
    fn formula_like_text_is_neutralised_and_restorable() {
        for s in ["=1+1", "+86", "-3", "@SUM(A1)", "\tx", "\rx"] {
            let n = neutralise_cell(s);
            assert_eq!(n, format!("'{s}"));
            assert_eq!(restore_cell(&n), s);
        }
        assert_eq!(neutralise_cell("太原"), "太原");
        assert_eq!(restore_cell("'quoted"), "'quoted");
    }

    #[test]
    fn decimals_drop_needless_digits() {
        assert_eq!(format_decimal(-12.5, 2), "-12.5");
        assert_eq!(format_decimal(3.0, 2), "3");
        assert_eq!(format_decimal(0.004, 2), "0");
        assert_eq!(format_decimal(-0.001, 2), "0");
        assert_eq!(format_decimal(112.12345678, 7), "112.1234568");
        assert_eq!(format_decimal(1234.567, 2), "1234.57");
    }

    #[test]
    fn decimals_through_integers_are_those_of_exact_formatting() {
        let exact = |v: f64, d: usize| {
            let s = format!("{v:.d$}");
            let s = if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            };
            if s == "-0" { "0".to_string() } else { s }
        };
        let mut seed = 11u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 11
        };
        let mut fast = 0;
        for n in 0..200_000 {
            let v = match n % 5 {
                0 => 110.0 + (next() % 50_000_000) as f64 * 1e-7 + 0.5e-7,
                1 => (next() as f64 / (1u64 << 53) as f64 - 0.5) * 2.0e5,
                2 => (next() % 2_000_001) as f64 / 1000.0 - 1000.0,
                3 => (next() % 100_000) as f64 * 0.005 - 250.0,
                _ => f64::from_bits(next() | 0x3FF0_0000_0000_0000 & !(1 << 63)) - 1.5,
            };
            for d in [0, 2, 7] {
                let mut s = String::new();
                if push_decimal_scaled(&mut s, v, d) {
                    fast += 1;
                    assert_eq!(s, exact(v, d), "{v:e} to {d} decimals");
                }
                assert_eq!(format_decimal(v, d), exact(v, d), "{v:e} to {d} decimals");
            }
        }
        // Ties and near-ties go to exact formatting; nearly everything else does not.
        assert!(fast > 500_000, "{fast}");
        assert_eq!(format_decimal(0.125, 2), exact(0.125, 2));
        assert_eq!(format_decimal(-2.5, 0), exact(-2.5, 0));
        assert_eq!(format_decimal(1e300, 2), exact(1e300, 2));
        assert_eq!(format_decimal(f64::NAN, 2), "");
    }

    #[test]
    fn a_failed_export_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("台账.csv");
        std::fs::write(&out, "old").unwrap();
        let r = write_atomically(&out, |tmp| {
            std::fs::write(tmp, "half").unwrap();
            Err(ExportError::write(&out, "disk full"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_bytes_atomically(&out, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_export_removes_temporaries_left_by_a_killed_export() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("台账.csv");
        // No process has pid 4294967295 (above every pid_max); ours is alive.
        let dead = dir.path().join(".台账.csv.4294967295-0.tmp");
        let ours = dir
            .path()
            .join(format!(".台账.csv.{}-999999.tmp", std::process::id()));
        let other = dir.path().join(".其他.csv.4294967295-0.tmp");
        for p in [&dead, &ours, &other] {
            std::fs::write(p, "half").unwrap();
        }
        write_bytes_atomically(&out, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        if Path::new("/proc/self").exists() {
            assert!(!dead.exists());
        }
        assert!(ours.exists() && other.exists());
    }

    #[test]
    fn rows_written_block_by_block_in_any_order_make_the_csv_export() {
        let findings: Vec<Finding> = (0..23u64)
            .map(|i| Finding {
                site_fid: i,
                site_name: format!("第{i}号锅炉, \"东\"厂"),
                lon: 112.5 + i as f64 * 1e-3,
                ..csv::tests::sample()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.csv");
        export_findings(&findings, &whole).unwrap();
        let out = dir.path().join("台账.csv");
        std::fs::write(&out, "old").unwrap();
        let blocks: Vec<Vec<u8>> = findings.chunks(5).map(findings_csv_rows).collect();
        let writer = CsvRowsWriter::create(&out).unwrap();
        for k in [2, 0, 4, 1, 3] {
            writer.put(k, blocks[k].clone());
        }
        // Not in place until finished.
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        writer.finish(blocks.len()).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&whole).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

        // A block missing, or the writer dropped (a failed check): the old file stays
        // and no temporary is left.
        let writer = CsvRowsWriter::create(&out).unwrap();
        writer.put(1, blocks[1].clone());
        writer.put(0, blocks[0].clone());
        let e = writer.finish(3).unwrap_err();
        assert!(e.to_string().contains("2 of 3 blocks"), "{e}");
        let writer = CsvRowsWriter::create(&out).unwrap();
        writer.put(0, blocks[0].clone());
        drop(writer);
        assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&whole).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn unknown_extensions_are_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let e = export_findings(&[], &dir.path().join("f.txt")).unwrap_err();
        assert!(e.to_string().contains(".xlsx"));
        assert!(e.zh().starts_with("未知的导出格式") && e.zh().contains(".xlsx"));
        let e = export_findings(&[], &dir.path().join("无此文件夹").join("台账.csv")).unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
        assert_eq!(e.zh(), "找不到要写入的文件夹");
    }
}
