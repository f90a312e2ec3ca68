//! Every findings export read back with an independent reader (csv, calamine,
//! serde_json, rusqlite) and compared field by field with the input.

use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook};
use geo_types::{Geometry, point};
use qingling::export::{export_findings, restore_cell};
use qingling::model::{Finding, ReviewStatus, Severity};
use qingling::project::gpkg::{APPLICATION_ID, decode_gpkg_geometry};

fn findings() -> Vec<Finding> {
    vec![
        Finding {
            finding_id: "wl1-锅炉-0003-水源-0001".into(),
            rule_id: "water_level_1".into(),
            severity: Severity::Violation,
            site_layer: "锅炉台账".into(),
            site_fid: 3,
            site_name: "太原市阳曲县某供热站（2号锅炉）".into(),
            zone_layer: Some("水源地保护区".into()),
            zone_fid: Some(1),
            zone_name: Some("汾河二库".into()),
            zone_level: Some("一级".into()),
            distance_m: Some(-12.3456),
            lon: 112.12345678,
            lat: 37.98765432,
            county: Some("阳曲县".into()),
            status: ReviewStatus::Confirmed,
            note: "现场核实，锅炉在用, \"需整改\"".into(),
        },
        Finding {
            finding_id: "slw-企业-0010".into(),
            rule_id: "sanluanwu".into(),
            severity: Severity::TaskPending,
            site_layer: "@散乱污".into(),
            site_fid: 10,
            site_name: "=HYPERLINK(\"http://evil\",\"点我\")".into(),
            zone_layer: None,
            zone_fid: None,
            zone_name: None,
            zone_level: None,
            distance_m: None,
            lon: 112.5,
            lat: 37.5,
            county: None,
            status: ReviewStatus::Pending,
            note: "+86 138 0000 0000".into(),
        },
        Finding {
            finding_id: "nb-2".into(),
            rule_id: "near_boundary".into(),
            severity: Severity::NeedsReview,
            site_layer: "企业".into(),
            site_fid: 0,
            site_name: "-".into(),
            zone_layer: Some("水源地保护区".into()),
            zone_fid: Some(0),
            zone_name: Some("娘子关泉".into()),
            zone_level: Some("二级".into()),
            distance_m: Some(0.0),
            lon: 113.6,
            lat: 37.9,
            county: Some("平定县".into()),
            status: ReviewStatus::Cleared,
            note: String::new(),
        },
        Finding {
            finding_id: "cb-9".into(),
            rule_id: "coal_ban".into(),
            severity: Severity::Violation,
            site_layer: "锅炉台账".into(),
            site_fid: 123_456,
            site_name: "茶浴炉\t后厨".into(),
            zone_layer: Some("禁煤区".into()),
            zone_fid: Some(2),
            zone_name: Some("城区禁煤区".into()),
            zone_level: None,
            distance_m: Some(-1500.004),
            lon: 112.55,
            lat: 37.86,
            county: Some("阳曲县".into()),
            status: ReviewStatus::FalsePositive,
            note: "多行\n备注".into(),
        },
    ]
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| restore_cell(s).to_string())
}

fn assert_close(a: Option<f64>, b: Option<f64>, tol: f64, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(x), Some(y)) => assert!((x - y).abs() <= tol, "{what}: {x} vs {y}"),
        _ => panic!("{what}: {a:?} vs {b:?}"),
    }
}

/// Compare two findings: exact except the numbers, within the given tolerances.
fn assert_same(got: &Finding, want: &Finding, dist_tol: f64, deg_tol: f64) {
    let mut g = got.clone();
    let mut w = want.clone();
    assert_close(g.distance_m, w.distance_m, dist_tol, "distance_m");
    assert_close(Some(g.lon), Some(w.lon), deg_tol, "lon");
    assert_close(Some(g.lat), Some(w.lat), deg_tol, "lat");
    (g.distance_m, g.lon, g.lat) = (None, 0.0, 0.0);
    (w.distance_m, w.lon, w.lat) = (None, 0.0, 0.0);
    assert_eq!(g, w);
}

#[test]
fn csv_export_reads_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("问题台账.csv");
    let input = findings();
    export_findings(&input, &out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, Finding::COLUMNS);
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), input.len());

    // Formula-like text is neutralised; numbers are not.
    assert_eq!(&rows[1][5], "'=HYPERLINK(\"http://evil\",\"点我\")");
    assert_eq!(&rows[1][3], "'@散乱污");
    assert_eq!(&rows[1][15], "'+86 138 0000 0000");
    assert_eq!(&rows[2][5], "'-");
    assert_eq!(&rows[3][5], "茶浴炉\t后厨");
    assert_eq!(&rows[0][10], "-12.35");
    assert_eq!(&rows[3][10], "-1500");
    assert_eq!(&rows[2][10], "0");
    assert_eq!(&rows[0][11], "112.1234568");
    assert_eq!(&rows[0][2], "violation");
    assert_eq!(&rows[0][14], "已确认");
    assert_eq!(&rows[1][13], "");

    for (row, want) in rows.iter().zip(&input) {
        let got = Finding {
            finding_id: restore_cell(&row[0]).into(),
            rule_id: restore_cell(&row[1]).into(),
            severity: Severity::from_code(&row[2]).unwrap(),
            site_layer: restore_cell(&row[3]).into(),
            site_fid: row[4].parse().unwrap(),
            site_name: restore_cell(&row[5]).into(),
            zone_layer: opt(&row[6]),
            zone_fid: (!row[7].is_empty()).then(|| row[7].parse().unwrap()),
            zone_name: opt(&row[8]),
            zone_level: opt(&row[9]),
            distance_m: (!row[10].is_empty()).then(|| row[10].parse().unwrap()),
            lon: row[11].parse().unwrap(),
            lat: row[12].parse().unwrap(),
            county: opt(&row[13]),
            status: ReviewStatus::parse(&row[14]).unwrap(),
            note: restore_cell(&row[15]).into(),
        };
        assert_same(&got, want, 0.005, 5e-8);
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn cell_number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("expected a number, got {other:?}"),
    }
}

fn severity_from_label(s: &str) -> Severity {
    [
        Severity::Violation,
        Severity::TaskPending,
        Severity::NeedsReview,
    ]
    .into_iter()
    .find(|v| v.label_zh() == s)
    .unwrap()
}

#[test]
fn xlsx_export_reads_back_field_by_field_with_a_summary_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("问题台账.xlsx");
    let input = findings();
    export_findings(&input, &out).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    assert_eq!(wb.sheet_names(), ["问题台账", "汇总"]);
    let range = wb.worksheet_range("问题台账").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(cell_text).collect();
    assert_eq!(header, Finding::COLUMNS_ZH);
    assert_eq!(rows.len(), input.len() + 1);
    assert_eq!(
        cell_text(&rows[2][5]),
        "'=HYPERLINK(\"http://evil\",\"点我\")"
    );
    assert_eq!(cell_text(&rows[1][2]), "违法");
    assert_eq!(cell_text(&rows[1][14]), "已确认");
    assert_eq!(rows[1][10], Data::Float(-12.3456));

    for (row, want) in rows[1..].iter().zip(&input) {
        let text = |i: usize| restore_cell(&cell_text(&row[i])).to_string();
        let opt_text = |i: usize| opt(&cell_text(&row[i]));
        let got = Finding {
            finding_id: text(0),
            rule_id: text(1),
            severity: severity_from_label(&text(2)),
            site_layer: text(3),
            site_fid: cell_number(&row[4]).unwrap() as u64,
            site_name: text(5),
            zone_layer: opt_text(6),
            zone_fid: cell_number(&row[7]).map(|v| v as u64),
            zone_name: opt_text(8),
            zone_level: opt_text(9),
            distance_m: cell_number(&row[10]),
            lon: cell_number(&row[11]).unwrap(),
            lat: cell_number(&row[12]).unwrap(),
            county: opt_text(13),
            status: ReviewStatus::parse(&text(14)).unwrap(),
            note: text(15),
        };
        assert_same(&got, want, 0.0, 0.0);
    }

    let summary = wb.worksheet_range("汇总").unwrap();
    let srows: Vec<&[Data]> = summary.rows().collect();
    let head: Vec<String> = srows[0].iter().map(cell_text).collect();
    assert_eq!(
        head,
        [
            "县区",
            "coal_ban",
            "near_boundary",
            "sanluanwu",
            "water_level_1",
            "合计"
        ]
    );
    let county_rows: Vec<String> = srows[1..5].iter().map(|r| cell_text(&r[0])).collect();
    assert_eq!(county_rows, ["平定县", "阳曲县", "（未填县区）", "合计"]);
    // 阳曲县: one coal_ban and one water_level_1.
    assert_eq!(cell_number(&srows[2][1]), Some(1.0));
    assert_eq!(cell_number(&srows[2][4]), Some(1.0));
    assert_eq!(cell_number(&srows[2][5]), Some(2.0));
    assert_eq!(cell_number(&srows[4][5]), Some(input.len() as f64));
    let status_total = srows
        .iter()
        .skip(5)
        .find(|r| cell_text(&r[0]) == "合计")
        .unwrap();
    assert_eq!(cell_number(&status_total[1]), Some(4.0));
}

#[test]
fn geojson_export_reads_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("findings.geojson");
    let input = findings();
    export_findings(&input, &out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none());
    let feats = v["features"].as_array().unwrap();
    assert_eq!(feats.len(), input.len());
    for (feat, want) in feats.iter().zip(&input) {
        assert_eq!(feat["geometry"]["type"], "Point");
        assert_eq!(
            feat["geometry"]["coordinates"],
            serde_json::json!([want.lon, want.lat])
        );
        let p = &feat["properties"];
        let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected_keys = Finding::COLUMNS.to_vec();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        expected_keys.sort_unstable();
        assert_eq!(sorted, expected_keys);
        let s = |k: &str| p[k].as_str().unwrap().to_string();
        let os = |k: &str| p[k].as_str().map(String::from);
        let got = Finding {
            finding_id: s("finding_id"),
            rule_id: s("rule_id"),
            severity: Severity::from_code(&s("severity")).unwrap(),
            site_layer: s("site_layer"),
            site_fid: p["site_fid"].as_u64().unwrap(),
            site_name: s("site_name"),
            zone_layer: os("zone_layer"),
            zone_fid: p["zone_fid"].as_u64(),
            zone_name: os("zone_name"),
            zone_level: os("zone_level"),
            distance_m: p["distance_m"].as_f64(),
            lon: p["lon"].as_f64().unwrap(),
            lat: p["lat"].as_f64().unwrap(),
            county: os("county"),
            status: ReviewStatus::parse(&s("status")).unwrap(),
            note: s("note"),
        };
        assert_eq!(&got, want);
        if want.zone_layer.is_none() {
            assert!(p["zone_layer"].is_null() && p["distance_m"].is_null());
        }
    }
}

#[test]
fn geopackage_export_reads_back_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("findings.gpkg");
    std::fs::write(&out, "an older export that gets replaced").unwrap();
    let input = findings();
    export_findings(&input, &out).unwrap();
    let conn = rusqlite::Connection::open(&out).unwrap();
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    let (ty, srs): (String, i32) = conn
        .query_row(
            "SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name = 'findings'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((ty.as_str(), srs), ("POINT", 4326));
    let min_x: f64 = conn
        .query_row(
            "SELECT min_x FROM gpkg_contents WHERE table_name = 'findings'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(min_x, 112.12345678);
    let mut stmt = conn
        .prepare(
            "SELECT geom, finding_id, rule_id, severity, site_layer, site_fid, site_name,
                    zone_layer, zone_fid, zone_name, zone_level, distance_m, lon, lat, county,
                    status, note FROM findings ORDER BY fid",
        )
        .unwrap();
    let got: Vec<(Vec<u8>, Finding)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                Finding {
                    finding_id: r.get(1)?,
                    rule_id: r.get(2)?,
                    severity: Severity::from_code(&r.get::<_, String>(3)?).unwrap(),
                    site_layer: r.get(4)?,
                    site_fid: r.get::<_, i64>(5)? as u64,
                    site_name: r.get(6)?,
                    zone_layer: r.get(7)?,
                    zone_fid: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
                    zone_name: r.get(9)?,
                    zone_level: r.get(10)?,
                    distance_m: r.get(11)?,
                    lon: r.get(12)?,
                    lat: r.get(13)?,
                    county: r.get(14)?,
                    status: ReviewStatus::parse(&r.get::<_, String>(15)?).unwrap(),
                    note: r.get(16)?,
                },
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got.len(), input.len());
    for ((blob, f), want) in got.iter().zip(&input) {
        assert_eq!(f, want);
        assert_eq!(
            decode_gpkg_geometry(blob).unwrap(),
            Geometry::Point(point!(x: want.lon, y: want.lat))
        );
    }
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM rtree_findings_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, input.len() as i64);
    // No temporary files are left beside the export.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["findings.gpkg"]);
}

#[test]
fn exporting_into_a_missing_folder_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.csv", "a.xlsx", "a.geojson", "a.gpkg", "a.shp"] {
        let out = dir.path().join("no-such-folder").join(name);
        let err = export_findings(&findings(), &out).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
        assert!(!Path::new(&out).exists());
    }
}

#[test]
fn an_empty_ledger_exports_to_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["e.csv", "e.xlsx", "e.geojson", "e.gpkg", "e.shp"] {
        let out = dir.path().join(name);
        export_findings(&[], &out).unwrap();
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "{name}");
    }
    let csv = std::fs::read_to_string(dir.path().join("e.csv")).unwrap();
    assert_eq!(csv.trim_start_matches('\u{feff}').lines().count(), 1);
    let mut wb: Xlsx<_> = open_workbook(dir.path().join("e.xlsx")).unwrap();
    assert_eq!(wb.worksheet_range("问题台账").unwrap().rows().count(), 1);
    let conn = rusqlite::Connection::open(dir.path().join("e.gpkg")).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}
