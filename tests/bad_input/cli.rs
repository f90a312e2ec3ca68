//! Bad input through the real binary: exit status 1 and a message naming the file;
//! the size limits lowered through their environment variables.

use std::process::{Command, Output};

use super::archive::{set_members, write_zip};
use super::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qingling"));
    for l in qingling::io::limits::ALL {
        c.env_remove(l.env);
    }
    c
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Runs `inspect FILE --json` and asserts exit 1 with `needle` and the file name.
fn inspect_fails(file: &Path, env: &[(&str, &str)], needle: &str) {
    let mut cmd = bin();
    cmd.arg("inspect").arg(file).arg("--json");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (code, out, err) = output(&mut cmd);
    // The JSON report holds the message as a string: read it back unescaped.
    let error = serde_json::from_str::<serde_json::Value>(&out)
        .ok()
        .and_then(|j| j.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let both = format!("{error}\n{out}\n{err}");
    assert_eq!(code, 1, "exit 1 expected: {both}");
    assert_names(&both, file, needle);
    assert!(!both.contains("panicked"), "{both}");
}

#[test]
fn inspect_exits_1_naming_a_shapefile_shorter_than_its_header() {
    let d = tmp();
    let shp = write_points(d.path(), "断点", 2);
    truncate(&shp, 40);
    inspect_fails(&shp, &[], "shorter than the 100-byte header");
}

#[test]
fn inspect_exits_1_naming_a_broken_geojson() {
    let d = tmp();
    let p = d.path().join("坏.geojson");
    std::fs::write(&p, "{\"type\":").unwrap();
    inspect_fails(&p, &[], "not valid JSON");
}

#[test]
fn inspect_exits_1_naming_a_zip_of_traversal_names() {
    let d = tmp();
    let p = d.path().join("逃逸.zip");
    let members = set_members("../../x", &["shp", "dbf"]);
    let refs: Vec<(&str, Vec<u8>)> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    write_zip(&p, &refs);
    inspect_fails(&p, &[], "unsafe paths were ignored: ../../x.shp");
}

#[test]
fn a_zip_member_inflating_past_the_file_limit_is_refused_naming_the_variable() {
    // A zip bomb: the member holds 40 KiB deflated and inflates to 40 MiB of
    // zeros. With the per-file limit at 1 MiB the reader stops after 1 MiB + 1 byte.
    // (A member that lies about its size is refused by the zip reader itself, see
    // archive.rs.)
    let d = tmp();
    let p = d.path().join("炸弹.zip");
    write_zip(&p, &[("炸弹.shp", vec![0u8; 40 << 20])]);
    inspect_fails(
        &p,
        &[("QINGLING_MAX_FILE_MB", "1")],
        "member \"炸弹.shp\" unpacks to more than 1 MiB; qingling reads at most 1 MiB per file (set QINGLING_MAX_FILE_MB to raise it)",
    );
}

#[test]
fn a_zip_whose_members_together_inflate_past_the_archive_limit_is_refused() {
    // Each member is under the per-file limit (2 MiB); .shp and .shx fill the 3 MiB
    // archive limit exactly and the .dbf, read third, passes it.
    let d = tmp();
    let p = d.path().join("总量.zip");
    let big = vec![0u8; 3 << 19]; // 1.5 MiB
    write_zip(
        &p,
        &[
            ("a.shp", big.clone()),
            ("a.shx", big.clone()),
            ("a.dbf", big),
        ],
    );
    inspect_fails(
        &p,
        &[
            ("QINGLING_MAX_FILE_MB", "2"),
            ("QINGLING_MAX_UNZIPPED_MB", "3"),
        ],
        "the archive unpacks to more than 3 MiB (limit reached at member \"a.dbf\"); qingling reads at most 3 MiB unpacked per archive (set QINGLING_MAX_UNZIPPED_MB to raise it)",
    );
}

#[test]
fn a_shapefile_with_more_records_than_the_record_limit_is_refused() {
    let d = tmp();
    let shp = write_points(d.path(), "记录多", 12);
    inspect_fails(
        &shp,
        &[("QINGLING_MAX_RECORDS", "10")],
        "qingling reads at most 10 records per layer (set QINGLING_MAX_RECORDS to raise it)",
    );
}

#[test]
fn a_csv_larger_than_the_file_limit_is_refused() {
    let d = tmp();
    let p = d.path().join("大表.csv");
    let mut text = String::from("名称,经度,纬度\n");
    while text.len() <= (1 << 20) {
        text.push_str("某某锅炉房,112.5,37.8\n");
    }
    std::fs::write(&p, text).unwrap();
    inspect_fails(
        &p,
        &[("QINGLING_MAX_FILE_MB", "1")],
        "the file is 2 MiB; qingling reads at most 1 MiB per file",
    );
}

#[test]
fn a_sheet_with_more_cells_than_the_cell_limit_is_refused() {
    let d = tmp();
    let p = d.path().join("宽表.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["名称", "经度", "纬度"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "甲").unwrap();
    ws.write_number(1, 1, 112.5).unwrap();
    ws.write_number(1, 2, 37.8).unwrap();
    ws.write_string(1, 5000, "远处").unwrap();
    wb.save(&p).unwrap();
    inspect_fails(
        &p,
        &[("QINGLING_MAX_CELLS", "1000")],
        "sheet \"Sheet1\" has 2 rows with data spanning up to 5001 columns (delete stray cells far to the right of the table); qingling reads at most 1000 cells per sheet (set QINGLING_MAX_CELLS to raise it)",
    );
}

#[test]
fn join_exits_1_naming_a_bad_zones_file_and_writes_nothing() {
    let d = tmp();
    let zones = d.path().join("区.geojson");
    std::fs::write(&zones, r#"{"type":"FeatureCollection"}"#).unwrap();
    let sites = write_points(d.path(), "点", 3);
    let out = d.path().join("pairs.csv");
    let (code, stdout, err) = output(
        bin()
            .arg("join")
            .arg("--zones")
            .arg(&zones)
            .arg("--sites")
            .arg(&sites)
            .arg("--out")
            .arg(&out),
    );
    assert_eq!(code, 1, "{stdout}\n{err}");
    assert_names(&err, &zones, "without a \"features\" array");
    assert!(!out.exists());
}

#[test]
fn inspect_lists_the_records_a_damaged_file_lost_and_exits_0() {
    let d = tmp();
    let shp = write_points(d.path(), "部分坏", 4);
    patch(&shp, point_record_at(1) + 12, &f64::NAN.to_le_bytes());
    let (code, out, err) = output(bin().arg("inspect").arg(&shp).arg("--json"));
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = j.to_string();
    assert!(text.contains("invalid coordinate"), "{text}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs `inspect FILE --json` with `env`, expecting exit 0; returns the JSON text.
fn inspect_ok(file: &Path, env: &[(&str, &str)]) -> String {
    let mut cmd = bin();
    cmd.arg("inspect").arg(file).arg("--json");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (code, out, err) = output(&mut cmd);
    assert_eq!(code, 0, "{out}\n{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    j.to_string()
}

#[test]
fn a_shape_with_more_points_than_the_point_limit_costs_only_that_record() {
    let d = tmp();
    let shp = d.path().join("细密.shp");
    let square = |x: f64, n: usize| -> Vec<geo_types::Coord<f64>> {
        // A clockwise ring with n + 1 vertices.
        let mut v: Vec<geo_types::Coord<f64>> = (0..n)
            .map(|i| {
                let a = -(i as f64) / n as f64 * std::f64::consts::TAU;
                geo_types::coord! { x: x + 0.01 * a.cos(), y: 37.8 + 0.01 * a.sin() }
            })
            .collect();
        v.push(v[0]);
        v
    };
    qingling::io::shp_write::write_shapes(
        &shp,
        qingling::io::shp::ShapeType::Polygon,
        &[
            qingling::io::shp_write::ShapeRecord::Parts(vec![square(112.5, 4)]),
            qingling::io::shp_write::ShapeRecord::Parts(vec![square(112.6, 40)]),
        ],
        &fields(),
        &rows(2),
        &shp_opts(),
    )
    .unwrap();
    let text = inspect_ok(&shp, &[("QINGLING_MAX_POINTS", "10")]);
    assert!(
        text.contains("the record has 1 parts and 41 points; qingling reads at most 10 points per shape (set QINGLING_MAX_POINTS to raise it)"),
        "{text}"
    );
    assert!(text.contains("\"feature_count\":2"), "{text}");
    assert!(text.contains("\"null_geometry_count\":1"), "{text}");
    assert!(text.contains("\"record\":1"), "{text}");
}

#[test]
fn a_geojson_with_more_features_than_the_record_limit_is_refused() {
    let d = tmp();
    let p = d.path().join("多.geojson");
    let f = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[112.5,37.8]}}"#;
    std::fs::write(
        &p,
        format!(r#"{{"type":"FeatureCollection","features":[{f},{f},{f}]}}"#),
    )
    .unwrap();
    inspect_fails(
        &p,
        &[("QINGLING_MAX_RECORDS", "2")],
        "the file holds 3 features; qingling reads at most 2 records per layer",
    );
}

#[test]
fn a_workbook_unpacking_past_the_archive_limit_is_refused_before_it_is_opened() {
    // 120 cells of 32,000 distinct characters: the shared strings alone unpack to
    // about 3.7 MiB while the .xlsx stays small.
    let d = tmp();
    let p = d.path().join("膨胀.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["名称", "经度", "纬度"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=120u32 {
        let text = format!("{r:05}{}", "a".repeat(32_000));
        ws.write_string(r, 0, &text).unwrap();
        ws.write_number(r, 1, 112.5).unwrap();
        ws.write_number(r, 2, 37.8).unwrap();
    }
    wb.save(&p).unwrap();
    assert!(std::fs::metadata(&p).unwrap().len() < (1 << 20));
    inspect_fails(
        &p,
        &[("QINGLING_MAX_UNZIPPED_MB", "2")],
        "the workbook unpacks to more than 2 MiB; qingling reads at most 2 MiB unpacked per archive (set QINGLING_MAX_UNZIPPED_MB to raise it)",
    );
}
