//! `qingling join` and `qingling inspect` run as the real binary on files the tests
//! write, compared with an independent reference (geo's coordinate position).

use std::path::{Path, PathBuf};
use std::process::Command;

use geo::{CoordinatePosition, coordinate_position::CoordPos};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon, coord};
use qingling::crs::{Crs, Transform, prj_wkt_for_epsg};
use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use qingling::model::{FieldDef, FieldKind, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qingling"))
}

fn square(x0: f64, y0: f64, s: f64) -> LineString<f64> {
    LineString::from(vec![
        (x0, y0),
        (x0, y0 + s),
        (x0 + s, y0 + s),
        (x0 + s, y0),
        (x0, y0),
    ])
}

/// Three zones in EPSG:4546 around (500 000, 4 160 000): a square with a hole, a
/// two-part zone, and a triangle.
fn zones() -> Vec<Geometry<f64>> {
    let (x, y) = (500_000.0, 4_160_000.0);
    let holed = Polygon::new(
        square(x, y, 1000.0),
        vec![square(x + 400.0, y + 400.0, 200.0)],
    );
    let two = MultiPolygon(vec![
        Polygon::new(square(x + 2000.0, y, 500.0), vec![]),
        Polygon::new(square(x + 3000.0, y, 500.0), vec![]),
    ]);
    let tri = Polygon::new(
        LineString::from(vec![
            (x, y + 2000.0),
            (x + 800.0, y + 2000.0),
            (x + 400.0, y + 2700.0),
            (x, y + 2000.0),
        ]),
        vec![],
    );
    vec![
        Geometry::Polygon(holed),
        Geometry::MultiPolygon(two),
        Geometry::Polygon(tri),
    ]
}

fn write_layer(path: &Path, geoms: &[Geometry<f64>], epsg: u32) {
    let fields = vec![FieldDef {
        name: "名称".into(),
        kind: FieldKind::Text,
    }];
    let rows: Vec<Vec<Value>> = (0..geoms.len())
        .map(|i| vec![Value::Text(format!("要素{i}"))])
        .collect();
    let geoms: Vec<Option<Geometry<f64>>> = geoms.iter().cloned().map(Some).collect();
    let opts = ShapefileWriteOptions {
        prj: prj_wkt_for_epsg(epsg),
        ..ShapefileWriteOptions::default()
    };
    write_shapefile(path, &geoms, &fields, &rows, &opts).unwrap();
}

/// Sites: a grid over the zones plus every zone vertex and axis-aligned edge midpoint.
fn sites(zones: &[Geometry<f64>]) -> Vec<Coord<f64>> {
    let mut out = Vec::new();
    for i in 0..60 {
        for j in 0..40 {
            out.push(coord! { x: 499_900.0 + i as f64 * 67.3, y: 4_159_900.0 + j as f64 * 71.9 });
        }
    }
    for z in zones {
        let polys: Vec<&Polygon<f64>> = match z {
            Geometry::Polygon(p) => vec![p],
            Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
            _ => vec![],
        };
        for p in polys {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for w in ring.0.windows(2) {
                    out.push(w[0]);
                    out.push(coord! { x: (w[0].x + w[1].x) / 2.0, y: (w[0].y + w[1].y) / 2.0 });
                }
            }
        }
    }
    out
}

fn expected(zones: &[Geometry<f64>], sites: &[Coord<f64>], within: bool) -> String {
    let mut s = String::from("site_fid,zone_fid\n");
    for (i, c) in sites.iter().enumerate() {
        for (j, z) in zones.iter().enumerate() {
            let pos = z.coordinate_position(c);
            let hit = match pos {
                CoordPos::Inside => true,
                CoordPos::OnBoundary => !within,
                CoordPos::Outside => false,
            };
            if hit {
                s.push_str(&format!("{i},{j}\n"));
            }
        }
    }
    s
}

fn run_join(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .arg("join")
        .args(args)
        .arg("--quiet")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn join_matches_the_reference_for_interior_boundary_and_holes() {
    let dir = tmp();
    let z = zones();
    let pts = sites(&z);
    write_layer(&dir.path().join("zones.shp"), &z, 4546);
    let site_geoms: Vec<Geometry<f64>> = pts.iter().map(|c| Geometry::Point(Point(*c))).collect();
    write_layer(&dir.path().join("sites.shp"), &site_geoms, 4546);
    for (pred, within) in [("intersects", false), ("within", true)] {
        let (code, out, err) = run_join(&[
            "--zones",
            s(&dir.path().join("zones.shp")),
            "--sites",
            s(&dir.path().join("sites.shp")),
            "--predicate",
            pred,
        ]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, expected(&z, &pts, within), "predicate {pred}");
    }
}

#[test]
fn sites_in_degrees_are_transformed_into_the_zone_crs_and_written_to_a_file() {
    let dir = tmp();
    let z = zones();
    write_layer(&dir.path().join("zones.shp"), &z, 4546);
    // Grid points only (vertices would not survive a round trip through degrees).
    let pts: Vec<Coord<f64>> = sites(&z).into_iter().take(2400).collect();
    let to_deg = Transform::new(&Crs::from_epsg(4546).unwrap(), &Crs::cgcs2000()).unwrap();
    let mut csv = String::from("\u{feff}名称,经度,纬度\r\n");
    for (i, c) in pts.iter().enumerate() {
        let (lon, lat) = to_deg.apply(c.x, c.y).unwrap();
        csv.push_str(&format!("点{i},{lon:.10},{lat:.10}\r\n"));
    }
    let csv_path = dir.path().join("点位.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let out_path = dir.path().join("pairs.csv");
    let (code, stdout, err) = run_join(&[
        "--zones",
        s(&dir.path().join("zones.shp")),
        "--sites",
        s(&csv_path),
        "--out",
        s(&out_path),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out_path).unwrap(),
        expected(&z, &pts, false)
    );
}

#[test]
fn several_files_and_folders_number_fids_on_in_sorted_path_order() {
    let dir = tmp();
    let zdir = dir.path().join("zones");
    std::fs::create_dir(&zdir).unwrap();
    let z = zones();
    // b_ sorts after a_: zone fids of b_ start at 2.
    write_layer(&zdir.join("b_rest.shp"), &z[2..], 4546);
    write_layer(&zdir.join("a_first.shp"), &z[..2], 4546);
    let pts = sites(&z);
    let site_geoms: Vec<Geometry<f64>> = pts.iter().map(|c| Geometry::Point(Point(*c))).collect();
    write_layer(&dir.path().join("s1.shp"), &site_geoms[..1000], 4546);
    write_layer(&dir.path().join("s2.shp"), &site_geoms[1000..], 4546);
    let (code, out, err) = run_join(&[
        "--zones",
        s(&zdir),
        "--sites",
        s(&dir.path().join("s1.shp")),
        s(&dir.path().join("s2.shp")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, expected(&z, &pts, false));
}

#[test]
fn a_missing_file_is_bad_input_and_a_bad_flag_is_a_usage_error() {
    let (code, _, err) = run_join(&[
        "--zones",
        "/nonexistent/水源地.shp",
        "--sites",
        "/nonexistent/b.shp",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("水源地.shp"), "{err}");
    let (code, _, _) = run_join(&["--zones", "a.shp"]);
    assert_eq!(code, 2);
    let (code, _, err) = run_join(&[
        "--zones",
        "a.shp",
        "--sites",
        "b.shp",
        "--sites-crs",
        "mars",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn zones_without_a_prj_and_six_digit_eastings_ask_for_the_zone() {
    let dir = tmp();
    let z = zones();
    let fields = vec![FieldDef {
        name: "名称".into(),
        kind: FieldKind::Text,
    }];
    let geoms: Vec<Option<Geometry<f64>>> = z.iter().cloned().map(Some).collect();
    let rows = vec![vec![Value::Null]; 3];
    write_shapefile(
        &dir.path().join("z.shp"),
        &geoms,
        &fields,
        &rows,
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let pts = sites(&z);
    let site_geoms: Vec<Geometry<f64>> = pts.iter().map(|c| Geometry::Point(Point(*c))).collect();
    write_layer(&dir.path().join("s.shp"), &site_geoms, 4546);
    let zpath = dir.path().join("z.shp");
    let (code, _, err) = run_join(&[
        "--zones",
        s(&zpath),
        "--sites",
        s(&dir.path().join("s.shp")),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("z.shp") || err.contains("z:"), "{err}");
    // Given the zone, it runs.
    let (code, out, err) = run_join(&[
        "--zones",
        s(&zpath),
        "--sites",
        s(&dir.path().join("s.shp")),
        "--gk-zone",
        "37",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, expected(&z, &pts, false));
}

#[test]
fn inspect_reports_crs_encoding_and_fields_as_json() {
    let dir = tmp();
    let z = zones();
    let path: PathBuf = dir.path().join("水源地.shp");
    write_layer(&path, &z, 4546);
    let out = bin()
        .args(["inspect", s(&path), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["feature_count"], 3);
    assert_eq!(j["geometry_type"], "Polygon");
    assert_eq!(j["crs"]["epsg"], 4546);
    assert_eq!(j["encoding"]["name"], "GBK");
    assert_eq!(j["fields"][0]["name"], "名称");
    assert_eq!(j["fields"][0]["samples"][0], "要素0");
}
