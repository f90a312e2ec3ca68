//! The bad-input corpus: what county offices really send (truncated uploads,
//! half-copied shapefile sets, wrong encodings, hand-typed Excel sheets, lying
//! headers, hostile archives and project files), generated here byte by byte.
//!
//! Every case goes through `qingling::io::read_path`, the entry the CLI and the app
//! use, and asserts the exact outcome: either an error whose message names the file
//! and the problem, or a load where the bad records are reported in
//! `layer.problems` by record number and every other record is there. A handful run
//! through the real binary too (exit status 1, the file named). Nothing may panic,
//! hang or allocate in proportion to what a header claims.

mod archive;
mod cli;
mod dbf;
mod geojson;
mod outputs;
mod project;
mod shp;
mod table;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use geo_types::{Geometry, Point};
use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use qingling::io::{IoError, ReadOptions, read_path};
use qingling::model::{FieldDef, FieldKind, Layer, Problem, ProblemLevel, Value};

/// A fresh temporary folder.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The single layer `read_path` makes of `path`; panics with the error otherwise.
pub fn load(path: &Path) -> Layer {
    let mut layers = read_path(path, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("{} should load: {e}", path.display()));
    assert_eq!(layers.len(), 1, "one layer expected");
    assert_chinese_texts(&layers[0].problems);
    layers.remove(0)
}

/// Asserts that every problem has a Chinese message (and a Chinese hint where it
/// has a hint) for the app's problems list in the Chinese UI.
pub fn assert_chinese_texts(problems: &[Problem]) {
    let cjk = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    for p in problems {
        let zh =
            p.zh.as_ref()
                .unwrap_or_else(|| panic!("no Chinese text for: {p}"));
        assert!(cjk(&zh.message), "not Chinese: {:?} for {p}", zh.message);
        assert_eq!(p.hint.is_some(), zh.hint.is_some(), "{p} / {zh:?}");
        assert!(zh.hint.as_deref().is_none_or(cjk), "{p} / {zh:?}");
    }
}

/// The error `read_path` gives for `path`, as the user sees it; panics if it loads.
pub fn load_err(path: &Path) -> (IoError, String) {
    match read_path(path, &ReadOptions::default()) {
        Ok(layers) => panic!(
            "{} should fail but loaded {} layers: {:?}",
            path.display(),
            layers.len(),
            layers.iter().map(|l| &l.problems).collect::<Vec<_>>()
        ),
        Err(e) => {
            let zh = e.zh();
            assert!(
                zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
                "not Chinese: {zh}"
            );
            let msg = e.to_string();
            (e, msg)
        }
    }
}

/// Asserts that the message names the file (by its file name) and says `needle`.
pub fn assert_names(msg: &str, file: &Path, needle: &str) {
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        msg.contains(name.as_ref()),
        "message should name {name}: {msg}"
    );
    assert!(
        msg.contains(needle),
        "message should say \"{needle}\": {msg}"
    );
}

/// The problems on a record whose message contains `needle`.
pub fn problems_at<'a>(layer: &'a Layer, record: u64, needle: &str) -> Vec<&'a Problem> {
    layer
        .problems
        .iter()
        .filter(|p| p.record == Some(record) && p.message.contains(needle))
        .collect()
}

/// Asserts exactly one problem of `level` on `record` says `needle`, and returns it.
pub fn assert_problem<'a>(
    layer: &'a Layer,
    record: u64,
    level: ProblemLevel,
    needle: &str,
) -> &'a Problem {
    let found = problems_at(layer, record, needle);
    assert_eq!(
        found.len(),
        1,
        "one problem on record {record} saying \"{needle}\" expected; all problems: {:#?}",
        layer.problems
    );
    assert_eq!(found[0].level, level, "{:?}", found[0]);
    // The displayed sentence names the file and the record (or spreadsheet row).
    let shown = found[0].to_string();
    assert!(
        shown.contains(&layer.name),
        "{shown} should name {}",
        layer.name
    );
    assert!(
        shown.contains(&format!("record {record}")) || found[0].row.is_some(),
        "{shown}"
    );
    found[0]
}

/// Asserts that a layer-level problem (no record) of `level` says `needle`.
pub fn assert_file_problem(layer: &Layer, level: ProblemLevel, needle: &str) {
    assert!(
        layer
            .problems
            .iter()
            .any(|p| p.level == level && p.message.contains(needle)),
        "a {level:?} saying \"{needle}\" expected; all problems: {:#?}",
        layer.problems
    );
}

/// The fids of the features that have a geometry.
pub fn with_geometry(layer: &Layer) -> Vec<u64> {
    layer
        .features
        .iter()
        .filter(|f| f.geometry.is_some())
        .map(|f| f.fid)
        .collect()
}

/// Runs `f` on a thread and fails the test if it takes longer than `secs`
/// (a hang or a read proportional to a lying header).
pub fn within_secs<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(_) => panic!(
            "did not finish within {secs} s ({:?} elapsed)",
            started.elapsed()
        ),
    }
}

/// Field definitions of the test shapefiles: 名称 (text) and 编号 (integer).
pub fn fields() -> Vec<FieldDef> {
    vec![
        FieldDef {
            name: "名称".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "编号".into(),
            kind: FieldKind::Integer,
        },
    ]
}

/// Rows `站点0`, `站点1`, … with their number.
pub fn rows(n: usize) -> Vec<Vec<Value>> {
    (0..n)
        .map(|i| vec![Value::Text(format!("站点{i}")), Value::Int(i as i64)])
        .collect()
}

/// Writes `n` points (112.5 + i/100, 37.8) with [`fields`]/[`rows`] as GBK with a
/// `.cpg` and a CGCS2000 `.prj`; returns the `.shp` path.
pub fn write_points(dir: &Path, stem: &str, n: usize) -> PathBuf {
    let shp = dir.join(format!("{stem}.shp"));
    let geoms: Vec<Option<Geometry<f64>>> = (0..n)
        .map(|i| Some(Geometry::Point(Point::new(112.5 + i as f64 / 100.0, 37.8))))
        .collect();
    write_shapefile(&shp, &geoms, &fields(), &rows(n), &shp_opts()).unwrap();
    shp
}

/// GBK, `.cpg`, CGCS2000 `.prj`.
pub fn shp_opts() -> ShapefileWriteOptions {
    ShapefileWriteOptions {
        prj: qingling::crs::prj_wkt_for_epsg(4490),
        write_cpg: true,
        ..ShapefileWriteOptions::default()
    }
}

/// Byte offset of point record `r` (header) in a point `.shp`: 100 + 28 r.
pub fn point_record_at(r: usize) -> usize {
    100 + 28 * r
}

/// Patches bytes in a file.
pub fn patch(path: &Path, at: usize, bytes: &[u8]) {
    let mut b = std::fs::read(path).unwrap();
    b[at..at + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, b).unwrap();
}

/// Cuts a file to `len` bytes.
pub fn truncate(path: &Path, len: usize) {
    let mut b = std::fs::read(path).unwrap();
    b.truncate(len);
    std::fs::write(path, b).unwrap();
}

/// A file's siblings with another extension.
pub fn sibling(shp: &Path, ext: &str) -> PathBuf {
    shp.with_extension(ext)
}
