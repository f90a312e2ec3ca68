//! Fuzzing on stable: every input a fuzzer ever crashed on (`tests/fuzz_regressions/
//! <target>/`) and every seed of the fuzz corpora (`fuzz/corpus/<target>/`) is fed
//! through the same entry points the cargo-fuzz targets use (`fuzz/src/entry.rs`,
//! included below), and none may panic.
//!
//! The fuzzers themselves run on nightly and are not part of CI:
//! `cargo +nightly fuzz run <target>` (see README, "Testing"). The seed corpora are
//! written by the ignored test `write_seed_corpora`:
//! `cargo test --no-default-features --test fuzz_regressions -- --ignored`.

#[path = "../fuzz/src/entry.rs"]
mod entry;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn entry_point(target: &str) -> entry::EntryPoint {
    entry::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target {target}"))
}

/// The files of `dir`, sorted; none when the folder does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// Feed every file of `dir` to `target`; returns how many were fed. Fails listing
/// every input that panicked.
fn replay(target: &str, dir: &Path) -> usize {
    let run = entry_point(target);
    let files = inputs(dir);
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&data))) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", file.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} input(s) panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
    files.len()
}

fn replay_seeds(target: &str) {
    let n = replay(target, &root().join("fuzz/corpus").join(target));
    // A moved or emptied corpus must not turn this test into a no-op.
    assert!(n >= 3, "fuzz/corpus/{target} holds only {n} seeds");
}

fn replay_regressions(target: &str) {
    replay(target, &root().join("tests/fuzz_regressions").join(target));
}

macro_rules! target_tests {
    ($($target:ident),* $(,)?) => {
        mod seed_corpus_replays_without_panics {
            $( #[test] fn $target() { super::replay_seeds(stringify!($target)); } )*
        }
        mod saved_crash_inputs_no_longer_panic {
            $( #[test] fn $target() { super::replay_regressions(stringify!($target)); } )*
        }
    };
}

target_tests!(shapefile, prj, geojson, coord_text, rules, gpkg_geometry);

#[test]
fn every_fuzz_target_has_a_replay_test() {
    let names: Vec<&str> = entry::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "shapefile",
            "prj",
            "geojson",
            "coord_text",
            "rules",
            "gpkg_geometry"
        ]
    );
}

#[test]
fn the_shapefile_split_round_trips() {
    let input = entry::ShapefileInput {
        shp: b"shp bytes",
        shx: Some(b"shx"),
        dbf: Some(b"the dbf"),
        cpg: Some("GBK"),
        geometry_only: true,
    };
    assert_eq!(
        entry::split_shapefile(&entry::join_shapefile(&input)),
        input
    );
    // Short and empty inputs split too.
    assert_eq!(entry::split_shapefile(&[]).shp, b"");
    assert_eq!(entry::split_shapefile(&[3, 1]).shx, Some(&b""[..]));
}

// ---- seed corpora ----------------------------------------------------------------

mod seeds {
    use std::path::Path;

    use geo_types::{
        Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
        Polygon, line_string, point, polygon,
    };
    use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
    use qingling::model::{FieldDef, FieldKind, GeometryKind, Value};

    use super::entry::{ShapefileInput, join_shapefile};

    fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
        let d = dir.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    }

    fn square(x: f64, y: f64, r: f64) -> Polygon<f64> {
        polygon![
            (x: x - r, y: y - r),
            (x: x - r, y: y + r),
            (x: x + r, y: y + r),
            (x: x + r, y: y - r),
            (x: x - r, y: y - r),
        ]
    }

    fn with_hole() -> Polygon<f64> {
        Polygon::new(
            square(500_000.0, 4_200_000.0, 1000.0).exterior().clone(),
            vec![
                square(500_000.0, 4_200_000.0, 100.0)
                    .exterior()
                    .clone()
                    .into_iter()
                    .rev()
                    .collect(),
            ],
        )
    }

    fn shapefile_seeds(dir: &Path) {
        let tmp = tempfile::tempdir().unwrap();
        let fields = vec![
            FieldDef {
                name: "名称".into(),
                kind: FieldKind::Text,
            },
            FieldDef {
                name: "蒸吨".into(),
                kind: FieldKind::Float,
            },
            FieldDef {
                name: "编号".into(),
                kind: FieldKind::Integer,
            },
            FieldDef {
                name: "在用".into(),
                kind: FieldKind::Bool,
            },
            FieldDef {
                name: "日期".into(),
                kind: FieldKind::Date,
            },
        ];
        let row = |i: i64| {
            vec![
                Value::Text(format!("锅炉{i}")),
                Value::Float(i as f64 * 1.5),
                Value::Int(i),
                Value::Bool(i % 2 == 0),
                Value::Date("2019-06-30".into()),
            ]
        };
        let points: Vec<Option<Geometry<f64>>> = vec![
            Some(point!(x: 112.5, y: 37.8).into()),
            None,
            Some(point!(x: 500_000.0, y: 4_200_000.0).into()),
        ];
        type Set = (
            &'static str,
            Vec<Option<Geometry<f64>>>,
            ShapefileWriteOptions,
        );
        let sets: Vec<Set> = vec![
            (
                "points_gbk",
                points.clone(),
                ShapefileWriteOptions::default(),
            ),
            (
                "points_utf8_z",
                points,
                ShapefileWriteOptions {
                    encoding: encoding_rs::UTF_8,
                    with_z: true,
                    ..ShapefileWriteOptions::default()
                },
            ),
            (
                "polygons",
                vec![
                    Some(with_hole().into()),
                    Some(
                        MultiPolygon::new(vec![square(0.0, 0.0, 1.0), square(10.0, 10.0, 2.0)])
                            .into(),
                    ),
                    None,
                ],
                ShapefileWriteOptions::default(),
            ),
            (
                "lines",
                vec![
                    Some(line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 2.0, y: 0.0)].into()),
                    Some(
                        MultiLineString::new(vec![
                            line_string![(x: 5.0, y: 5.0), (x: 6.0, y: 6.0)],
                            line_string![(x: 7.0, y: 7.0), (x: 8.0, y: 9.0)],
                        ])
                        .into(),
                    ),
                ],
                ShapefileWriteOptions::default(),
            ),
            (
                "multipoints_z",
                vec![Some(
                    MultiPoint::new(vec![Point::new(1.0, 2.0), Point::new(3.0, 4.0)]).into(),
                )],
                ShapefileWriteOptions {
                    with_z: true,
                    ..ShapefileWriteOptions::default()
                },
            ),
            (
                "only_nulls",
                vec![None, None],
                ShapefileWriteOptions {
                    shape_kind: Some(GeometryKind::Point),
                    ..ShapefileWriteOptions::default()
                },
            ),
        ];
        for (name, geoms, opts) in sets {
            let shp = tmp.path().join(format!("{name}.shp"));
            let rows: Vec<Vec<Value>> = (0..geoms.len() as i64).map(row).collect();
            write_shapefile(&shp, &geoms, &fields, &rows, &opts).unwrap();
            let read = |ext: &str| std::fs::read(shp.with_extension(ext)).unwrap();
            let (s, x, d) = (read("shp"), read("shx"), read("dbf"));
            let cpg = opts.write_cpg.then(|| {
                if opts.encoding == encoding_rs::UTF_8 {
                    "UTF-8"
                } else {
                    "GBK"
                }
            });
            let full = ShapefileInput {
                shp: &s,
                shx: Some(&x),
                dbf: Some(&d),
                cpg,
                geometry_only: false,
            };
            write(dir, "shapefile", name, &join_shapefile(&full));
            if name == "polygons" {
                let no_shx_no_cpg = ShapefileInput {
                    shx: None,
                    cpg: None,
                    ..full.clone()
                };
                write(
                    dir,
                    "shapefile",
                    "polygons_no_shx",
                    &join_shapefile(&no_shx_no_cpg),
                );
                let geometry_only = ShapefileInput {
                    dbf: None,
                    geometry_only: true,
                    ..full
                };
                write(
                    dir,
                    "shapefile",
                    "polygons_geometry_only",
                    &join_shapefile(&geometry_only),
                );
            }
        }
        // The bundled sample data: a GBK DBF with .cpg, and one known only by its
        // language driver.
        let sample = super::root().join("sample-data");
        for (stem, cpg, name) in [
            ("水源保护区", Some("GBK"), "sample_water_zones"),
            ("散乱污企业", None, "sample_enterprises"),
        ] {
            let read = |ext: &str| std::fs::read(sample.join(format!("{stem}.{ext}"))).unwrap();
            let (s, x, d) = (read("shp"), read("shx"), read("dbf"));
            let input = ShapefileInput {
                shp: &s,
                shx: Some(&x),
                dbf: Some(&d),
                cpg,
                geometry_only: false,
            };
            write(dir, "shapefile", name, &join_shapefile(&input));
        }
    }

    /// ESRI and OGC WKT as county offices' `.prj` files carry them.
    const PRJ_TEXTS: [(&str, &str); 6] = [
        (
            "esri_wgs84",
            r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
        ),
        (
            "esri_cgcs2000_gk_cm_111e",
            r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        ),
        (
            "esri_cgcs2000_gk_zone_37",
            r#"PROJCS["CGCS2000_3_Degree_GK_Zone_37",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",37500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        ),
        (
            "esri_xian80_gk_cm_114e",
            r#"PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        ),
        (
            "esri_web_mercator",
            r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#,
        ),
        (
            "ogc_utm_49n_authority",
            r#"PROJCS["WGS 84 / UTM zone 49N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",111],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32649"]]"#,
        ),
    ];

    fn prj_seeds(dir: &Path) {
        for (name, text) in PRJ_TEXTS {
            write(dir, "prj", name, text.as_bytes());
        }
        for code in [4490u32, 4214, 4610, 4547, 2383, 3857] {
            if let Some(text) = qingling::crs::prj_wkt_for_epsg(code) {
                write(dir, "prj", &format!("epsg_{code}"), text.as_bytes());
            }
        }
        let sample = super::root().join("sample-data/水源保护区.prj");
        write(
            dir,
            "prj",
            "sample_water_zones",
            &std::fs::read(sample).unwrap(),
        );
        // A GBK-encoded name, as an old ArcGIS in a Chinese locale writes it.
        let (gbk, _, _) = encoding_rs::GBK.encode(
            r#"GEOGCS["国家2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
        );
        write(dir, "prj", "gbk_name", &gbk);
    }

    const GEOJSON_TEXTS: [(&str, &str); 6] = [
        (
            "bare_point",
            r#"{"type":"Point","coordinates":[112.5,37.8]}"#,
        ),
        (
            "feature_polygon_hole",
            r#"{"type":"Feature","properties":{"名称":"一级保护区","级别":1,"面积":2.5,"有效":true,"备注":null},"geometry":{"type":"Polygon","coordinates":[[[112,37],[113,37],[113,38],[112,38],[112,37]],[[112.4,37.4],[112.4,37.6],[112.6,37.6],[112.6,37.4],[112.4,37.4]]]}}"#,
        ),
        (
            "collection_mixed",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":1},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}},{"type":"Feature","properties":{"id":"二","nested":{"a":[1,2]}},"geometry":{"type":"LineString","coordinates":[[0,0,10],[1,1,20]]}},{"type":"Feature","properties":null,"geometry":null},{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]},{"type":"MultiPoint","coordinates":[[3,4]]}]}}]}"#,
        ),
        (
            "legacy_crs_projected",
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4546"}},"features":[{"type":"Feature","properties":{"name":"锅炉"},"geometry":{"type":"Point","coordinates":[512345.6,4201234.5]}}]}"#,
        ),
        (
            "bad_feature_among_good",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}},{"type":"Feature","properties":{"a":"x"},"geometry":{"type":"Point","coordinates":["112","37"]}},{"type":"Feature","properties":{"a":2.5},"geometry":{"type":"Point","coordinates":[112,37]}}]}"#,
        ),
        (
            "projected_no_crs",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"x":1},"geometry":{"type":"Point","coordinates":[37512345.6,4201234.5]}}]}"#,
        ),
    ];

    fn geojson_seeds(dir: &Path) {
        for (name, text) in GEOJSON_TEXTS {
            write(dir, "geojson", name, text.as_bytes());
        }
        let (gbk, _, _) = encoding_rs::GBK.encode(GEOJSON_TEXTS[3].1);
        write(dir, "geojson", "gbk_encoded", &gbk);
        let sample = super::root().join("sample-data");
        for (stem, name) in [("建成区", "sample_built_up"), ("禁煤区", "sample_coal_ban")] {
            let bytes = std::fs::read(sample.join(format!("{stem}.geojson"))).unwrap();
            write(dir, "geojson", name, &bytes);
        }
    }

    const COORD_TEXTS: [&str; 24] = [
        "112.5",
        "-112.5",
        "112°30′36″",
        "112°30'36\"",
        "112度30分36秒",
        "112度30.6分",
        "N37°30'",
        "S 37°30′",
        "37.5N",
        "东经112°30′36.5″",
        "北纬37度30分",
        "E 112 30 36",
        "112:30:36",
        "１１２．５",
        "１１２°３０′",
        "112.3325",
        "4201234.5",
        "112°61′",
        "112°30′61″",
        "",
        "  ",
        "abc",
        "1e3",
        "112,5",
    ];

    fn coord_text_seeds(dir: &Path) {
        for (i, text) in COORD_TEXTS.iter().enumerate() {
            write(dir, "coord_text", &format!("{i:02}"), text.as_bytes());
        }
    }

    const USER_RULES: &str = r#"
[[rule]]
id = "boiler-elimination"
title_zh = "建成区内20蒸吨以下燃煤锅炉"
title_en = "Coal boiler below 20 t/h in a built-up area"
basis = "某市方案"
severity = "task_pending"
site_roles = ["boiler"]
conditions = [
  { field = "fuel", op = "in", values = ["燃煤"] },
  { field = "capacity_tph", op = "<", value = "14MW" },
]
[rule.zone]
role = "built_up_area"

[[rule]]
id = "my-extra"
title_zh = "额外规则"
severity = "needs_review"
site_roles = ["other_sites"]
"#;

    const BAD_RULES: &str = r#"[[rule]]
id = "a"
title_zh = "x"
severity = "fatal"
site_roles = ["boiler", "water_zone"]
conditions = [
  { field = "fuell", op = "in", values = ["coal"] },
  { field = "fuel", op = "=", value = "coal" },
  { field = "industry", op = "<", value = 3 },
]
[rule.zone]
role = "water_zone"
predicate = "within_distance"
"#;

    fn rules_seeds(dir: &Path) {
        write(
            dir,
            "rules",
            "builtin",
            qingling::rules::BUILTIN_TOML.as_bytes(),
        );
        write(dir, "rules", "user_override", USER_RULES.as_bytes());
        write(
            dir,
            "rules",
            "replace_all",
            format!("replace_all = true\n{USER_RULES}").as_bytes(),
        );
        write(
            dir,
            "rules",
            "disable",
            b"disable = [\"water-quasi-heavy-industry\", \"nope\"]\n",
        );
        write(dir, "rules", "meaning_errors", BAD_RULES.as_bytes());
        write(
            dir,
            "rules",
            "syntax_error",
            "[[rule]]\nid = \"a\"\ntitle_zh = \"x\nseverity = \"violation\"\n".as_bytes(),
        );
    }

    fn gpkg_geometry_seeds(dir: &Path) {
        use qingling::project::gpkg::encode_gpkg_geometry;
        let geoms: Vec<(&str, Geometry<f64>)> = vec![
            ("point", point!(x: 112.5, y: 37.8).into()),
            (
                "linestring",
                LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.5)]).into(),
            ),
            ("polygon_hole", with_hole().into()),
            (
                "multipolygon",
                MultiPolygon::new(vec![square(0.0, 0.0, 1.0), square(5.0, 5.0, 1.0)]).into(),
            ),
            (
                "multipoint",
                MultiPoint::new(vec![Point::new(1.0, 2.0), Point::new(3.0, 4.0)]).into(),
            ),
            (
                "multilinestring",
                MultiLineString::new(vec![line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]]).into(),
            ),
            (
                "collection",
                Geometry::GeometryCollection(GeometryCollection::new_from(vec![
                    point!(x: 1.0, y: 1.0).into(),
                    square(0.0, 0.0, 1.0).into(),
                ])),
            ),
            (
                "empty_multipolygon",
                MultiPolygon::<f64>::new(vec![]).into(),
            ),
        ];
        for (name, g) in geoms {
            write(dir, "gpkg_geometry", name, &encode_gpkg_geometry(&g, 4326));
        }
        // Big-endian header and WKB, XYZ envelope, ISO PointZ (1001), as other
        // programs write them.
        let mut blob = b"GP\0".to_vec();
        blob.push(0b0000_0100); // big-endian, envelope type 2 (xyz)
        blob.extend_from_slice(&4326i32.to_be_bytes());
        for v in [1.0f64, 1.0, 2.0, 2.0, 3.0, 3.0] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
        blob.push(0); // WKB big-endian
        blob.extend_from_slice(&1001u32.to_be_bytes());
        for v in [1.0f64, 2.0, 3.0] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
        write(dir, "gpkg_geometry", "big_endian_point_z", &blob);
        // Extended WKB (PostGIS) LineString with the Z flag, little-endian.
        let mut blob = b"GP\0\x01".to_vec();
        blob.extend_from_slice(&4326i32.to_le_bytes());
        blob.push(1);
        blob.extend_from_slice(&0x8000_0002u32.to_le_bytes());
        blob.extend_from_slice(&2u32.to_le_bytes());
        for v in [0.0f64, 0.0, 5.0, 1.0, 1.0, 6.0] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        write(dir, "gpkg_geometry", "ewkb_linestring_z", &blob);
    }

    /// Regenerates `fuzz/corpus/`. Run by hand after changing a writer or a format.
    #[test]
    #[ignore = "writes the seed corpora into the source tree"]
    fn write_seed_corpora() {
        let dir = super::root().join("fuzz/corpus");
        shapefile_seeds(&dir);
        prj_seeds(&dir);
        geojson_seeds(&dir);
        coord_text_seeds(&dir);
        rules_seeds(&dir);
        gpkg_geometry_seeds(&dir);
    }
}
