//! Shapefile sets written with qingling's writer and read back: encodings (GBK and
//! UTF-8, declared by .cpg, by the DBF language driver, or detected), Chinese field
//! names, every geometry and value type, polygon assembly, zipped sets, and damaged
//! files that must be read as far as possible and reported, never panic.

use std::path::{Path, PathBuf};

use encoding_rs::{GB18030, GBK, UTF_8};
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, coord,
};
use qingling::io::ReadOptions;
use qingling::io::shp::{ShapeType, read_shapefile, read_shapefile_bytes};
use qingling::io::shp_write::{
    ShapeRecord, ShapefileWriteOptions, write_shapefile, write_shapefile_with_report, write_shapes,
};
use qingling::io::zip::read_zip;
use qingling::model::{
    EncodingSource, FieldDef, FieldKind, GeometryKind, Layer, ProblemLevel, Value,
};

fn text_fields() -> Vec<FieldDef> {
    vec![
        FieldDef {
            name: "名称".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "级别".into(),
            kind: FieldKind::Text,
        },
    ]
}

fn text_rows() -> Vec<Vec<Value>> {
    vec![
        vec![
            Value::Text("汾河水库水源地".into()),
            Value::Text("一级".into()),
        ],
        vec![
            Value::Text("太原市禁煤区".into()),
            Value::Text("二级".into()),
        ],
        vec![Value::Text("Plain ASCII".into()), Value::Null],
    ]
}

fn points(n: usize) -> Vec<Option<Geometry<f64>>> {
    (0..n)
        .map(|i| Some(Geometry::Point(Point::new(112.5 + i as f64 * 0.01, 37.8))))
        .collect()
}

fn opts(
    encoding: &'static encoding_rs::Encoding,
    ldid: Option<u8>,
    cpg: bool,
) -> ShapefileWriteOptions {
    ShapefileWriteOptions {
        encoding,
        ldid,
        write_cpg: cpg,
        ..Default::default()
    }
}

fn write_text_set(dir: &Path, o: &ShapefileWriteOptions) -> PathBuf {
    let shp = dir.join("水源地.shp");
    write_shapefile(&shp, &points(3), &text_fields(), &text_rows(), o).unwrap();
    shp
}

fn read(shp: &Path) -> Layer {
    read_shapefile(shp, &ReadOptions::default()).unwrap().layer
}

fn assert_chinese_text(layer: &Layer) {
    assert_eq!(layer.fields[0].name, "名称");
    assert_eq!(layer.fields[1].name, "级别");
    let rows: Vec<Vec<Value>> = layer.features.iter().map(|f| f.attrs.clone()).collect();
    assert_eq!(rows, text_rows());
}

fn warnings(layer: &Layer) -> Vec<String> {
    layer.problems.iter().map(|p| p.to_string()).collect()
}

#[test]
fn gbk_dbf_is_read_through_every_common_cpg_label() {
    for label in ["GBK", "GB2312", "GB18030", "CP936", "936"] {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_text_set(dir.path(), &opts(GBK, Some(0), false));
        std::fs::write(shp.with_extension("cpg"), format!("{label}\r\n")).unwrap();
        let layer = read(&shp);
        assert_chinese_text(&layer);
        let enc = layer.encoding.clone().unwrap();
        assert_eq!(enc.source, EncodingSource::Cpg(label.into()), "{label}");
        let expect = if label.starts_with("GB2") || label == "GB18030" {
            GB18030
        } else {
            GBK
        };
        assert_eq!(enc.encoding, expect, "{label}");
        assert!(layer.problems.is_empty(), "{label}: {:?}", warnings(&layer));
    }
}

#[test]
fn gbk_dbf_without_cpg_is_read_through_the_language_driver_byte() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, false));
    let layer = read(&shp);
    assert_chinese_text(&layer);
    assert_eq!(
        layer.encoding.unwrap().source,
        EncodingSource::LanguageDriver(0x4D)
    );
}

#[test]
fn undeclared_gbk_dbf_is_detected_as_gb18030() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, Some(0), false));
    let layer = read(&shp);
    assert_chinese_text(&layer);
    let enc = layer.encoding.unwrap();
    assert_eq!(enc.source, EncodingSource::DetectedGb18030);
    assert_eq!(enc.encoding, GB18030);
}

#[test]
fn utf8_dbf_is_read_through_cpg_labels_and_detection() {
    for label in ["UTF-8", "65001"] {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_text_set(dir.path(), &opts(UTF_8, None, false));
        std::fs::write(shp.with_extension("cpg"), label).unwrap();
        let layer = read(&shp);
        assert_chinese_text(&layer);
        assert_eq!(
            layer.encoding.unwrap().source,
            EncodingSource::Cpg(label.into())
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(UTF_8, None, false));
    let layer = read(&shp);
    assert_chinese_text(&layer);
    assert_eq!(layer.encoding.unwrap().source, EncodingSource::DetectedUtf8);
}

#[test]
fn the_writers_own_cpg_is_honoured() {
    for enc in [GBK, UTF_8] {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_text_set(dir.path(), &opts(enc, None, true));
        let layer = read(&shp);
        assert_chinese_text(&layer);
        assert!(matches!(
            layer.encoding.unwrap().source,
            EncodingSource::Cpg(_)
        ));
    }
}

#[test]
fn an_unknown_cpg_label_falls_through_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, false));
    std::fs::write(shp.with_extension("cpg"), "KLINGON-1").unwrap();
    let layer = read(&shp);
    assert_chinese_text(&layer);
    assert_eq!(
        layer.encoding.clone().unwrap().source,
        EncodingSource::LanguageDriver(0x4D)
    );
    assert_eq!(layer.problems.len(), 1, "{:?}", warnings(&layer));
    assert_eq!(layer.problems[0].level, ProblemLevel::Warning);
    assert!(layer.problems[0].message.contains("KLINGON-1"));
}

#[test]
fn a_user_encoding_overrides_a_wrong_cpg() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(UTF_8, None, false));
    std::fs::write(shp.with_extension("cpg"), "GBK").unwrap();
    // Without the override, the .cpg is believed and the text is garbled.
    let garbled = read(&shp);
    assert_ne!(
        garbled.features[0].attrs[0],
        Value::Text("汾河水库水源地".into())
    );
    let o = ReadOptions {
        encoding: Some(UTF_8),
        ..Default::default()
    };
    let layer = read_shapefile(&shp, &o).unwrap().layer;
    assert_chinese_text(&layer);
    assert_eq!(layer.encoding.unwrap().source, EncodingSource::User);
}

#[test]
fn long_chinese_field_names_are_cut_on_a_character_boundary_and_made_unique() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("names.shp");
    let fields: Vec<FieldDef> = [
        "保护区级别",
        "水源地保护区名称",
        "水源地保护区编码",
        "fuel_type_name",
    ]
    .iter()
    .map(|n| FieldDef {
        name: n.to_string(),
        kind: FieldKind::Text,
    })
    .collect();
    let rows = vec![vec![Value::Text("x".into()); 4]];
    for (enc, expect) in [
        (
            GBK,
            ["保护区级别", "水源地保护", "水源地保_1", "fuel_type_"],
        ),
        (UTF_8, ["保护区", "水源地", "水源_1", "fuel_type_"]),
    ] {
        let report =
            write_shapefile_with_report(&shp, &points(1), &fields, &rows, &opts(enc, None, true))
                .unwrap();
        let layer = read(&shp);
        let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, expect, "{}", enc.name());
        assert_eq!(report.renamed_fields.len(), if enc == GBK { 3 } else { 4 });
    }
}

#[test]
fn every_value_type_survives_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("values.shp");
    let fields = vec![
        FieldDef {
            name: "name".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "count".into(),
            kind: FieldKind::Integer,
        },
        FieldDef {
            name: "tph".into(),
            kind: FieldKind::Float,
        },
        FieldDef {
            name: "in_use".into(),
            kind: FieldKind::Bool,
        },
        FieldDef {
            name: "done".into(),
            kind: FieldKind::Date,
        },
    ];
    let rows = vec![
        vec![
            Value::Text("锅炉 A".into()),
            Value::Int(-42),
            Value::Float(35.25),
            Value::Bool(true),
            Value::Date("2019-10-31".into()),
        ],
        vec![
            Value::Text("锅炉 B".into()),
            Value::Int(1_234_567_890_123),
            Value::Float(10.0),
            Value::Bool(false),
            Value::Date("2020-02-29".into()),
        ],
        vec![
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ],
    ];
    write_shapefile(
        &shp,
        &points(3),
        &fields,
        &rows,
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    assert_eq!(layer.fields, fields);
    let got: Vec<Vec<Value>> = layer.features.iter().map(|f| f.attrs.clone()).collect();
    assert_eq!(got, rows);
    assert!(layer.problems.is_empty(), "{:?}", warnings(&layer));
}

#[test]
fn text_longer_than_254_bytes_is_cut_on_a_character_boundary_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("long.shp");
    let long = "保".repeat(200); // 400 bytes in GBK
    let fields = vec![FieldDef {
        name: "note".into(),
        kind: FieldKind::Text,
    }];
    let report = write_shapefile_with_report(
        &shp,
        &points(1),
        &fields,
        &[vec![Value::Text(long)]],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    assert_eq!(report.truncated_values, vec![(0, "note".to_string())]);
    let layer = read(&shp);
    assert_eq!(layer.features[0].attrs[0], Value::Text("保".repeat(127)));
}

fn square(x0: f64, y0: f64, size: f64, clockwise: bool) -> LineString<f64> {
    let mut c = vec![
        coord! { x: x0, y: y0 },
        coord! { x: x0, y: y0 + size },
        coord! { x: x0 + size, y: y0 + size },
        coord! { x: x0 + size, y: y0 },
        coord! { x: x0, y: y0 },
    ];
    if !clockwise {
        c.reverse();
    }
    LineString(c)
}

fn all_geometries() -> Vec<Option<Geometry<f64>>> {
    vec![
        Some(Geometry::Point(Point::new(1.0, 2.0))),
        Some(Geometry::MultiPoint(MultiPoint(vec![
            Point::new(1.0, 2.0),
            Point::new(3.0, 4.0),
        ]))),
        Some(Geometry::LineString(LineString::from(vec![
            (0.0, 0.0),
            (1.0, 1.0),
            (2.0, 0.0),
        ]))),
        Some(Geometry::MultiLineString(MultiLineString(vec![
            LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]),
            LineString::from(vec![(5.0, 5.0), (6.0, 6.0), (7.0, 5.0)]),
        ]))),
        Some(Geometry::Polygon(Polygon::new(
            square(0.0, 0.0, 10.0, true),
            vec![square(2.0, 2.0, 2.0, false)],
        ))),
        Some(Geometry::MultiPolygon(MultiPolygon(vec![
            Polygon::new(
                square(0.0, 0.0, 10.0, true),
                vec![square(2.0, 2.0, 2.0, false)],
            ),
            Polygon::new(square(20.0, 0.0, 5.0, true), vec![]),
        ]))),
    ]
}

#[test]
fn every_geometry_type_survives_a_round_trip_with_and_without_z() {
    for with_z in [false, true] {
        for g in all_geometries() {
            let dir = tempfile::tempdir().unwrap();
            let shp = dir.path().join("g.shp");
            let o = ShapefileWriteOptions {
                with_z,
                ..Default::default()
            };
            let geoms = vec![g.clone(), None];
            write_shapefile(&shp, &geoms, &[], &[], &o).unwrap();
            let layer = read(&shp);
            assert_eq!(layer.has_z, with_z);
            assert_eq!(layer.geometry_kind, GeometryKind::of(g.as_ref().unwrap()));
            assert_eq!(layer.features.len(), 2);
            assert_eq!(layer.features[0].geometry, g);
            assert_eq!(layer.features[1].geometry, None);
            assert_eq!(layer.null_geometry_count(), 1);
            assert!(layer.problems.is_empty(), "{:?}", warnings(&layer));
        }
    }
}

#[test]
fn the_writer_orients_rings_as_the_specification_wants() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("orient.shp");
    // Exterior counter-clockwise and hole clockwise: both must be flipped.
    let g = Geometry::Polygon(Polygon::new(
        square(0.0, 0.0, 10.0, false),
        vec![square(2.0, 2.0, 2.0, true)],
    ));
    write_shapefile(
        &shp,
        &[Some(g)],
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    let expect = Geometry::Polygon(Polygon::new(
        square(0.0, 0.0, 10.0, true),
        vec![square(2.0, 2.0, 2.0, false)],
    ));
    assert_eq!(layer.features[0].geometry, Some(expect));
    assert!(layer.problems.is_empty(), "{:?}", warnings(&layer));
}

#[test]
fn a_polygon_z_with_a_hole_assigns_the_hole_and_sets_has_z() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("pz.shp");
    // Hole written first, then its outer ring: assignment must not depend on order.
    let shapes = vec![ShapeRecord::Parts(vec![
        square(2.0, 2.0, 2.0, false).0,
        square(0.0, 0.0, 10.0, true).0,
    ])];
    write_shapes(
        &shp,
        ShapeType::PolygonZ,
        &shapes,
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    assert!(layer.has_z);
    assert_eq!(layer.geometry_kind, GeometryKind::Polygon);
    match &layer.features[0].geometry {
        Some(Geometry::Polygon(p)) => {
            assert_eq!(p.exterior(), &square(0.0, 0.0, 10.0, true));
            assert_eq!(p.interiors(), &[square(2.0, 2.0, 2.0, false)]);
        }
        other => panic!("expected a polygon, got {other:?}"),
    }
}

#[test]
fn two_outer_rings_make_a_multipolygon_and_holes_go_to_the_smallest_containing_ring() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("mp.shp");
    // A big square, an island inside a hole of it (nested), and a hole in the island.
    let shapes = vec![ShapeRecord::Parts(vec![
        square(0.0, 0.0, 100.0, true).0,
        square(10.0, 10.0, 50.0, false).0, // hole of the big square
        square(20.0, 20.0, 30.0, true).0,  // island inside that hole
        square(25.0, 25.0, 5.0, false).0,  // hole of the island (inside both outers)
    ])];
    write_shapes(
        &shp,
        ShapeType::Polygon,
        &shapes,
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    let Some(Geometry::MultiPolygon(mp)) = &layer.features[0].geometry else {
        panic!("expected a multipolygon: {:?}", layer.features[0].geometry);
    };
    assert_eq!(mp.0.len(), 2);
    assert_eq!(mp.0[0].interiors(), &[square(10.0, 10.0, 50.0, false)]);
    assert_eq!(mp.0[1].exterior(), &square(20.0, 20.0, 30.0, true));
    assert_eq!(mp.0[1].interiors(), &[square(25.0, 25.0, 5.0, false)]);
    assert!(layer.problems.is_empty());
}

#[test]
fn a_hole_outside_every_outer_ring_becomes_an_outer_ring_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("orphan.shp");
    let shapes = vec![ShapeRecord::Parts(vec![
        square(0.0, 0.0, 10.0, true).0,
        square(50.0, 50.0, 5.0, false).0,
    ])];
    write_shapes(
        &shp,
        ShapeType::Polygon,
        &shapes,
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    let Some(Geometry::MultiPolygon(mp)) = &layer.features[0].geometry else {
        panic!("expected a multipolygon");
    };
    assert_eq!(mp.0.len(), 2);
    assert_eq!(layer.problems.len(), 1);
    assert_eq!(layer.problems[0].level, ProblemLevel::Warning);
    assert_eq!(layer.problems[0].record, Some(0));
}

#[test]
fn unclosed_and_degenerate_rings_are_closed_or_reported() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("rings.shp");
    let open: Vec<Coord<f64>> = square(0.0, 0.0, 1.0, true).0[..4].to_vec();
    let shapes = vec![
        ShapeRecord::Parts(vec![open]),
        ShapeRecord::Parts(vec![vec![
            coord! {x: 0.0, y: 0.0},
            coord! {x: 1.0, y: 0.0},
            coord! {x: 0.0, y: 0.0},
        ]]),
        ShapeRecord::Parts(vec![square(0.0, 0.0, 1.0, true).0]),
    ];
    write_shapes(
        &shp,
        ShapeType::Polygon,
        &shapes,
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    assert_eq!(
        layer.features[0].geometry,
        Some(Geometry::Polygon(Polygon::new(
            square(0.0, 0.0, 1.0, true),
            vec![]
        )))
    );
    assert!(layer.features[1].geometry.is_none());
    assert!(layer.features[2].geometry.is_some());
    let by_record: Vec<(Option<u64>, ProblemLevel)> =
        layer.problems.iter().map(|p| (p.record, p.level)).collect();
    assert!(by_record.contains(&(Some(0), ProblemLevel::Warning)));
    assert!(by_record.contains(&(Some(1), ProblemLevel::Error)));
}

#[test]
fn null_shapes_keep_their_place_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("nulls.shp");
    let geoms = vec![None, Some(Geometry::Point(Point::new(1.0, 1.0))), None];
    let fields = vec![FieldDef {
        name: "id".into(),
        kind: FieldKind::Integer,
    }];
    let rows: Vec<Vec<Value>> = (0..3).map(|i| vec![Value::Int(i)]).collect();
    write_shapefile(
        &shp,
        &geoms,
        &fields,
        &rows,
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let layer = read(&shp);
    assert_eq!(layer.features.len(), 3);
    assert_eq!(layer.null_geometry_count(), 2);
    assert_eq!(layer.geometry_kind, GeometryKind::Point);
    for (i, f) in layer.features.iter().enumerate() {
        assert_eq!(f.fid, i as u64);
        assert_eq!(f.attrs, vec![Value::Int(i as i64)]);
    }
}

#[test]
fn geometry_only_reads_leave_attributes_out() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, true));
    // A broken .dbf proves it is not even opened.
    std::fs::write(shp.with_extension("dbf"), b"junk").unwrap();
    let o = ReadOptions {
        geometry_only: true,
        ..Default::default()
    };
    let layer = read_shapefile(&shp, &o).unwrap().layer;
    assert!(layer.fields.is_empty());
    assert!(layer.encoding.is_none());
    assert!(
        layer
            .features
            .iter()
            .all(|f| f.attrs.is_empty() && f.geometry.is_some())
    );
    assert!(layer.problems.is_empty());
}

#[test]
fn a_missing_dbf_or_shx_still_loads_the_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, true));
    std::fs::remove_file(shp.with_extension("dbf")).unwrap();
    std::fs::remove_file(shp.with_extension("shx")).unwrap();
    let layer = read(&shp);
    assert_eq!(layer.features.len(), 3);
    assert!(layer.features.iter().all(|f| f.geometry.is_some()));
    assert_eq!(layer.problems.len(), 1);
    assert!(layer.problems[0].message.contains(".dbf"));
}

#[test]
fn sibling_files_are_found_case_insensitively_and_prj_text_is_returned() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, true));
    for ext in ["shx", "dbf", "cpg"] {
        let from = shp.with_extension(ext);
        std::fs::rename(&from, shp.with_extension(ext.to_uppercase())).unwrap();
    }
    std::fs::write(
        shp.with_extension("PRJ"),
        "\u{feff}PROJCS[\"CGCS2000_3_Degree_GK_CM_111E\"]\n",
    )
    .unwrap();
    let read = read_shapefile(&shp, &ReadOptions::default()).unwrap();
    assert_chinese_text(&read.layer);
    assert_eq!(
        read.prj_text.as_deref(),
        Some("PROJCS[\"CGCS2000_3_Degree_GK_CM_111E\"]")
    );
    assert_eq!(read.layer.name, "水源地");
    assert_eq!(read.layer.crs.crs, None);
}

#[test]
fn a_dbf_with_fewer_records_gives_empty_attributes_and_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.shp");
    write_shapefile(
        &small,
        &points(2),
        &text_fields(),
        &text_rows()[..2],
        &opts(GBK, None, true),
    )
    .unwrap();
    let shp = dir.path().join("big.shp");
    write_shapefile(
        &shp,
        &points(5),
        &text_fields(),
        &text_rows(),
        &opts(GBK, None, true),
    )
    .unwrap();
    std::fs::copy(small.with_extension("dbf"), shp.with_extension("dbf")).unwrap();
    let layer = read(&shp);
    assert_eq!(layer.features.len(), 5);
    assert_eq!(layer.features[1].attrs, text_rows()[1]);
    for f in &layer.features[2..] {
        assert_eq!(f.attrs, vec![Value::Null, Value::Null]);
    }
    assert_eq!(layer.problems.len(), 1, "{:?}", warnings(&layer));
    assert_eq!(layer.problems[0].record, Some(2));
}

#[test]
fn a_dbf_with_more_records_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.shp");
    write_shapefile(
        &big,
        &points(3),
        &text_fields(),
        &text_rows(),
        &opts(GBK, None, true),
    )
    .unwrap();
    let shp = dir.path().join("small.shp");
    write_shapefile(
        &shp,
        &points(2),
        &text_fields(),
        &text_rows()[..2],
        &opts(GBK, None, true),
    )
    .unwrap();
    std::fs::copy(big.with_extension("dbf"), shp.with_extension("dbf")).unwrap();
    let layer = read(&shp);
    assert_eq!(layer.features.len(), 2);
    assert_eq!(layer.problems.len(), 1);
    assert!(layer.problems[0].message.contains("extra 1"));
}

fn polygons(n: usize) -> Vec<Option<Geometry<f64>>> {
    (0..n)
        .map(|i| {
            Some(Geometry::Polygon(Polygon::new(
                square(i as f64 * 20.0, 0.0, 10.0, true),
                vec![],
            )))
        })
        .collect()
}

#[test]
fn a_truncated_shp_keeps_the_records_before_the_cut_and_reports_it() {
    for keep_shx in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("cut.shp");
        write_shapefile(
            &shp,
            &polygons(5),
            &[],
            &[],
            &ShapefileWriteOptions::default(),
        )
        .unwrap();
        if !keep_shx {
            std::fs::remove_file(shp.with_extension("shx")).unwrap();
        }
        let bytes = std::fs::read(&shp).unwrap();
        // Each record: 8 header + 44 + 4 + 5 * 16 = 136 bytes; cut inside record 3.
        std::fs::write(&shp, &bytes[..100 + 3 * 136 + 50]).unwrap();
        let layer = read(&shp);
        let with_geom: Vec<bool> = layer
            .features
            .iter()
            .map(|f| f.geometry.is_some())
            .collect();
        assert_eq!(with_geom, vec![true, true, true, false], "shx: {keep_shx}");
        let truncation: Vec<_> = layer
            .problems
            .iter()
            .filter(|p| p.message.contains("truncated"))
            .collect();
        assert_eq!(truncation.len(), 1, "{:?}", warnings(&layer));
        assert_eq!(truncation[0].record, Some(3));
        assert_eq!(truncation[0].level, ProblemLevel::Error);
    }
}

/// Byte offset of record `i`'s content in a file of `polygons(n)`.
fn content_at(i: usize) -> usize {
    100 + i * 136 + 8
}

#[test]
fn damaged_records_are_reported_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("bad.shp");
    write_shapefile(
        &shp,
        &polygons(6),
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let mut b = std::fs::read(&shp).unwrap();
    // Record 0: numPoints far beyond the record.
    b[content_at(0) + 40..content_at(0) + 44].copy_from_slice(&i32::MAX.to_le_bytes());
    // Record 1: shape type differs from the header.
    b[content_at(1)..content_at(1) + 4].copy_from_slice(&3i32.to_le_bytes());
    // Record 2: a NaN coordinate.
    b[content_at(2) + 48..content_at(2) + 56].copy_from_slice(&f64::NAN.to_le_bytes());
    // Record 3: part index out of range.
    b[content_at(3) + 44..content_at(3) + 48].copy_from_slice(&99i32.to_le_bytes());
    std::fs::write(&shp, &b).unwrap();
    let layer = read(&shp);
    let with_geom: Vec<bool> = layer
        .features
        .iter()
        .map(|f| f.geometry.is_some())
        .collect();
    assert_eq!(with_geom, vec![false, false, false, false, true, true]);
    for r in 0..4 {
        assert!(
            layer
                .problems
                .iter()
                .any(|p| p.record == Some(r) && p.level == ProblemLevel::Error),
            "record {r}: {:?}",
            warnings(&layer)
        );
    }
}

#[test]
fn a_record_with_a_lying_length_is_skipped_using_the_shx_or_a_scan() {
    for keep_shx in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("lie.shp");
        write_shapefile(
            &shp,
            &polygons(5),
            &[],
            &[],
            &ShapefileWriteOptions::default(),
        )
        .unwrap();
        if !keep_shx {
            std::fs::remove_file(shp.with_extension("shx")).unwrap();
        }
        let mut b = std::fs::read(&shp).unwrap();
        // Record 1 claims to run far past the end of the file.
        let at = 100 + 136 + 4;
        b[at..at + 4].copy_from_slice(&1_000_000i32.to_be_bytes());
        std::fs::write(&shp, &b).unwrap();
        let layer = read(&shp);
        let with_geom: Vec<bool> = layer
            .features
            .iter()
            .map(|f| f.geometry.is_some())
            .collect();
        assert_eq!(
            with_geom,
            vec![true, false, true, true, true],
            "shx: {keep_shx}: {:?}",
            warnings(&layer)
        );
        assert_eq!(layer.features[4].geometry, polygons(5)[4]);
    }
}

#[test]
fn files_that_are_not_shapefiles_are_corrupt_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("junk.shp");
    std::fs::write(&shp, b"short").unwrap();
    let e = read_shapefile(&shp, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("junk.shp"), "{e}");
    std::fs::write(&shp, vec![7u8; 400]).unwrap();
    let e = read_shapefile(&shp, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("9994"), "{e}");
}

/// A xorshift generator from `seed`: the same mangled files on every run.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// One damage to `buf`, drawn from `next`: a random byte, a cut, 0xFF or 0.
fn mangle(buf: &mut Vec<u8>, next: &mut impl FnMut() -> u64) {
    let at = (next() as usize) % buf.len();
    match next() % 4 {
        0 => buf[at] = next() as u8,
        1 => buf.truncate(at.max(1)),
        2 => buf[at] = 0xFF,
        _ => buf[at] = 0,
    }
}

#[test]
fn mangled_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("fuzz.shp");
    let mut geoms = polygons(4);
    geoms.extend(
        all_geometries()
            .into_iter()
            .filter(|g| matches!(g, Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_)))),
    );
    write_shapefile(
        &shp,
        &geoms,
        &text_fields(),
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let shp_bytes = std::fs::read(&shp).unwrap();
    let shx_bytes = std::fs::read(shp.with_extension("shx")).unwrap();
    let dbf_bytes = std::fs::read(shp.with_extension("dbf")).unwrap();
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let (mut s, mut x, mut d) = (shp_bytes.clone(), shx_bytes.clone(), dbf_bytes.clone());
        for _ in 0..1 + next() % 6 {
            let target = next() % 3;
            let buf = match target {
                0 => &mut s,
                1 => &mut x,
                _ => &mut d,
            };
            mangle(buf, &mut next);
        }
        let _ = read_shapefile_bytes(
            Path::new("fuzz.shp"),
            &s,
            Some(&x),
            Some(&d),
            None,
            &ReadOptions::default(),
        );
    }
}

/// A ledger with wide text fields, its `.dbf` mangled, read with values on demand
/// from its files (the `.dbf` read a piece at a time) never panics, and gives
/// what reading the same bytes from memory gives: the same problems and values.
#[test]
fn mangled_wide_ledgers_read_from_files_in_pieces_as_from_memory() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("台账.shp");
    let rows: Vec<Vec<Value>> = text_rows().into_iter().cycle().take(40).collect();
    let points: Vec<_> = (0..rows.len())
        .map(|i| Some(Geometry::Point(Point::new(112.0 + i as f64 * 0.01, 37.8))))
        .collect();
    let wide = ShapefileWriteOptions {
        text_width: 60,
        ..ShapefileWriteOptions::default()
    };
    write_shapefile(&shp, &points, &text_fields(), &rows, &wide).unwrap();
    let dbf_path = shp.with_extension("dbf");
    let shp_bytes = std::fs::read(&shp).unwrap();
    let shx_bytes = std::fs::read(shp.with_extension("shx")).unwrap();
    let dbf_bytes = std::fs::read(&dbf_path).unwrap();
    let opts = ReadOptions {
        defer_attributes: true,
        ..ReadOptions::default()
    };
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    for _ in 0..400 {
        let mut d = dbf_bytes.clone();
        for _ in 0..1 + next() % 4 {
            mangle(&mut d, &mut next);
        }
        std::fs::write(&dbf_path, &d).unwrap();
        let from_memory = read_shapefile_bytes(
            &shp,
            &shp_bytes,
            Some(&shx_bytes),
            Some(&d),
            Some("GBK"),
            &opts,
        );
        let from_files = read_shapefile(&shp, &opts).map(|r| r.layer);
        let (Ok(memory), Ok(files)) = (from_memory, from_files) else {
            panic!("the .shp is whole: both read");
        };
        assert_eq!(files.problems, memory.problems);
        assert_eq!(files.fields, memory.fields);
        for i in 0..memory.features.len() {
            for col in 0..memory.fields.len() {
                assert_eq!(files.value(i, col), memory.value(i, col), "record {i}");
            }
        }
    }
}

#[test]
fn a_zipped_set_in_a_subfolder_opens_directly() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let shp = write_text_set(dir.path(), &opts(GBK, None, true));
    std::fs::write(
        shp.with_extension("prj"),
        "GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\"]",
    )
    .unwrap();
    let zip_path = dir.path().join("县区上报.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let o = zip::write::SimpleFileOptions::default();
    for ext in ["shp", "shx", "dbf", "cpg", "prj"] {
        zw.start_file(format!("太原/水源地.{ext}"), o).unwrap();
        zw.write_all(&std::fs::read(shp.with_extension(ext)).unwrap())
            .unwrap();
    }
    // A second set without a .dbf, and a hostile name that must be ignored.
    zw.start_file("其他/点位.SHP", o).unwrap();
    zw.write_all(&std::fs::read(&shp).unwrap()).unwrap();
    zw.start_file("../evil.shp", o).unwrap();
    zw.write_all(b"x").unwrap();
    zw.finish().unwrap();

    let sets = read_zip(&zip_path, &ReadOptions::default()).unwrap();
    assert_eq!(sets.len(), 2);
    let (name, layer, prj) = &sets[1];
    assert_eq!(name, "太原/水源地.shp");
    assert_eq!(layer.name, "水源地");
    assert_eq!(layer.source, zip_path);
    assert_chinese_text(layer);
    assert_eq!(
        prj.as_deref(),
        Some("GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\"]")
    );
    assert!(layer.problems.iter().any(|p| p.message.contains("evil")));
    let (name, other, prj) = &sets[0];
    assert_eq!(name, "其他/点位.SHP");
    assert_eq!(other.features.len(), 3);
    assert!(prj.is_none());
    assert!(other.problems.iter().any(|p| p.message.contains(".dbf")));
}

#[test]
fn a_zip_without_shapefiles_is_an_error() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("empty.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zw.start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    zw.write_all(b"hello").unwrap();
    zw.finish().unwrap();
    let e = read_zip(&zip_path, &ReadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no .shp"), "{e}");
}

#[test]
fn an_shx_that_disagrees_is_reported_once_and_the_shp_is_read_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let shp = dir.path().join("shx.shp");
    write_shapefile(
        &shp,
        &polygons(4),
        &[],
        &[],
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    let mut x = std::fs::read(shp.with_extension("shx")).unwrap();
    for i in 1..4 {
        let at = 100 + 8 * i;
        x[at..at + 4].copy_from_slice(&7i32.to_be_bytes());
    }
    std::fs::write(shp.with_extension("shx"), &x).unwrap();
    let layer = read(&shp);
    let got: Vec<_> = layer.features.iter().map(|f| f.geometry.clone()).collect();
    assert_eq!(got, polygons(4));
    assert_eq!(layer.problems.len(), 1, "{:?}", warnings(&layer));
    assert_eq!(layer.problems[0].level, ProblemLevel::Warning);
    assert_eq!(layer.problems[0].record, Some(1));
}

#[test]
fn m_variants_are_read_in_2d_and_flag_has_z() {
    let line = vec![coord! {x: 0.0, y: 0.0}, coord! {x: 3.0, y: 4.0}];
    let cases = [
        (
            ShapeType::PointM,
            ShapeRecord::Point(coord! {x: 1.0, y: 2.0}),
            Geometry::Point(Point::new(1.0, 2.0)),
        ),
        (
            ShapeType::PolyLineM,
            ShapeRecord::Parts(vec![line.clone()]),
            Geometry::LineString(LineString(line.clone())),
        ),
        (
            ShapeType::MultiPointM,
            ShapeRecord::MultiPoint(line.clone()),
            Geometry::MultiPoint(MultiPoint(line.iter().map(|c| Point(*c)).collect())),
        ),
    ];
    for (t, rec, expect) in cases {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("m.shp");
        write_shapes(&shp, t, &[rec], &[], &[], &ShapefileWriteOptions::default()).unwrap();
        let layer = read(&shp);
        assert!(layer.has_z, "{t:?}");
        assert_eq!(layer.features[0].geometry, Some(expect), "{t:?}");
        assert!(layer.problems.is_empty(), "{t:?}: {:?}", warnings(&layer));
    }
}

#[test]
fn padding_after_the_last_record_is_ignored_with_a_warning() {
    for keep_shx in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("pad.shp");
        write_shapefile(
            &shp,
            &polygons(3),
            &[],
            &[],
            &ShapefileWriteOptions::default(),
        )
        .unwrap();
        if !keep_shx {
            std::fs::remove_file(shp.with_extension("shx")).unwrap();
        }
        let mut b = std::fs::read(&shp).unwrap();
        b.extend_from_slice(&[0u8; 64]);
        std::fs::write(&shp, &b).unwrap();
        let layer = read(&shp);
        let got: Vec<_> = layer.features.iter().map(|f| f.geometry.clone()).collect();
        assert_eq!(got, polygons(3));
        assert_eq!(layer.problems.len(), 1, "{:?}", warnings(&layer));
        assert_eq!(layer.problems[0].level, ProblemLevel::Warning);
    }
}

/// Speed check at the scale of the lead's benchmark (2M points, 20k polygons of
/// 200–2000 vertices). Run with
/// `cargo test --release --test read_shapefile -- --ignored --nocapture`.
#[test]
#[ignore]
fn benchmark_scale_sets_write_and_read_quickly() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let pts: Vec<Option<Geometry<f64>>> = (0..2_000_000)
        .map(|i| {
            let f = i as f64;
            Some(Geometry::Point(Point::new(
                500_000.0 + (f * 7.31) % 100_000.0,
                4_000_000.0 + (f * 3.17) % 100_000.0,
            )))
        })
        .collect();
    let polys: Vec<Option<Geometry<f64>>> = (0..20_000)
        .map(|i| {
            let n = 200 + (i * 7919) % 1800;
            let (cx, cy) = (
                500_000.0 + (i % 141) as f64 * 700.0,
                4_000_000.0 + (i / 141) as f64 * 700.0,
            );
            let ring: Vec<Coord<f64>> = (0..=n)
                .map(|k| {
                    let a = -(k % n) as f64 / n as f64 * std::f64::consts::TAU;
                    coord! { x: cx + 300.0 * a.cos(), y: cy + 300.0 * a.sin() }
                })
                .collect();
            Some(Geometry::Polygon(Polygon::new(LineString(ring), vec![])))
        })
        .collect();
    let fields = vec![FieldDef {
        name: "名称".into(),
        kind: FieldKind::Text,
    }];
    let rows: Vec<Vec<Value>> = (0..2_000_000)
        .map(|i| vec![Value::Text(format!("锅炉{i}"))])
        .collect();
    let (p_shp, z_shp) = (dir.path().join("sites.shp"), dir.path().join("zones.shp"));
    let t = Instant::now();
    write_shapefile(
        &p_shp,
        &pts,
        &fields,
        &rows,
        &ShapefileWriteOptions::default(),
    )
    .unwrap();
    write_shapefile(&z_shp, &polys, &[], &[], &ShapefileWriteOptions::default()).unwrap();
    eprintln!("write both: {:?}", t.elapsed());
    let size = std::fs::metadata(&z_shp).unwrap().len();
    let geo = ReadOptions {
        geometry_only: true,
        ..Default::default()
    };
    let t = Instant::now();
    let zones = read_shapefile(&z_shp, &geo).unwrap().layer;
    let el = t.elapsed();
    eprintln!(
        "read polygons: {el:?} ({:.2} GB/s, {} MB)",
        size as f64 / el.as_secs_f64() / 1e9,
        size >> 20
    );
    let t = Instant::now();
    let sites = read_shapefile(&p_shp, &geo).unwrap().layer;
    eprintln!("read 2M points geometry only: {:?}", t.elapsed());
    let t = Instant::now();
    let full = read_shapefile(&p_shp, &ReadOptions::default())
        .unwrap()
        .layer;
    eprintln!("read 2M points with GBK attributes: {:?}", t.elapsed());
    assert_eq!(zones.features.len(), 20_000);
    assert_eq!(sites.features.len(), 2_000_000);
    assert_eq!(
        full.features[1_999_999].attrs[0],
        Value::Text("锅炉1999999".into())
    );
    assert!(zones.problems.is_empty() && full.problems.is_empty());
}
