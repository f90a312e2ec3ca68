//! The review project file: layers round trip, check-run merging, review history,
//! clear errors on foreign files, and GeoPackage validity.

use std::path::{Path, PathBuf};

use geo_types::{Geometry, LineString, MultiPolygon, point, polygon};
use qingling::crs::Crs;
use qingling::model::{
    CrsInfo, CrsSource, EncodingInfo, EncodingSource, Feature, FieldDef, FieldKind, Finding,
    GeometryKind, Layer, Problem, ReviewStatus, Severity, SourceFormat, Value,
};
use qingling::project::gpkg::{APPLICATION_ID, decode_gpkg_geometry};
use qingling::project::{Presence, Project, ProjectError, ReviewAction, layer_fingerprint};
use rusqlite::Connection;

fn cgcs2000_cm111() -> Crs {
    Crs {
        epsg: Some(4546),
        name: "CGCS2000 / 3-degree Gauss-Kruger CM 111E".into(),
        proj4:
            "+proj=tmerc +lat_0=0 +lon_0=111 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
                .into(),
        geographic: false,
    }
}

fn zone_layer() -> Layer {
    let outer = polygon!(
        exterior: [
            (x: 512_000.5, y: 4_190_000.25),
            (x: 514_000.0, y: 4_190_000.0),
            (x: 514_000.0, y: 4_192_000.0),
            (x: 512_000.0, y: 4_192_000.0),
        ],
        interiors: [[
            (x: 512_500.0, y: 4_190_500.0),
            (x: 513_000.0, y: 4_190_500.0),
            (x: 513_000.0, y: 4_191_000.0),
            (x: 512_500.0, y: 4_191_000.0),
        ]],
    );
    let second = polygon![
        (x: 520_000.0, y: 4_200_000.0),
        (x: 521_000.0, y: 4_200_000.0),
        (x: 521_000.0, y: 4_201_000.0),
    ];
    Layer {
        name: "水源地保护区".into(),
        source: PathBuf::from("/data/太原/水源地保护区.shp"),
        format: SourceFormat::Shapefile,
        geometry_kind: GeometryKind::Polygon,
        has_z: false,
        crs: CrsInfo {
            crs: Some(cgcs2000_cm111()),
            source: CrsSource::PrjFile,
        },
        encoding: Some(EncodingInfo {
            encoding: encoding_rs::GBK,
            source: EncodingSource::LanguageDriver(0x4D),
        }),
        fields: vec![
            FieldDef {
                name: "水源地名称".into(),
                kind: FieldKind::Text,
            },
            FieldDef {
                name: "保护区级别".into(),
                kind: FieldKind::Text,
            },
            FieldDef {
                name: "面积".into(),
                kind: FieldKind::Float,
            },
            FieldDef {
                name: "编码".into(),
                kind: FieldKind::Integer,
            },
            FieldDef {
                name: "批复日期".into(),
                kind: FieldKind::Date,
            },
            FieldDef {
                name: "有效".into(),
                kind: FieldKind::Bool,
            },
            FieldDef {
                name: "fid".into(),
                kind: FieldKind::Text,
            },
        ],
        features: vec![
            Feature {
                fid: 0,
                geometry: Some(Geometry::Polygon(outer)),
                attrs: vec![
                    Value::Text("汾河二库\"水源地\"".into()),
                    Value::Text("一级".into()),
                    Value::Float(3.75),
                    Value::Int(140_100),
                    Value::Date("2019-06-30".into()),
                    Value::Bool(true),
                    Value::Text("007".into()),
                ],
            },
            Feature {
                fid: 1,
                geometry: None,
                attrs: vec![
                    Value::Text("无几何".into()),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Bool(false),
                    Value::Null,
                ],
            },
            Feature {
                fid: 2,
                geometry: Some(Geometry::Polygon(second)),
                attrs: vec![
                    Value::Text("=HYPERLINK(\"x\")".into()),
                    Value::Text("二级".into()),
                    Value::Float(-0.5),
                    Value::Int(-3),
                    Value::Null,
                    Value::Null,
                    Value::Text("".into()),
                ],
            },
        ],
        problems: vec![
            Problem::warning(Path::new("/data/太原/水源地保护区.shp"), "记录 1 没有几何")
                .at_record(1),
        ],
        deferred: None,
    }
}

fn finding(id: &str, site_fid: u64, distance: Option<f64>) -> Finding {
    Finding {
        finding_id: id.into(),
        rule_id: "water_level_1".into(),
        severity: Severity::Violation,
        site_layer: "锅炉台账".into(),
        site_fid,
        site_name: format!("太原市某锅炉房{site_fid}"),
        zone_layer: Some("水源地保护区".into()),
        zone_fid: Some(0),
        zone_name: Some("汾河二库".into()),
        zone_level: Some("一级".into()),
        distance_m: distance,
        lon: 112.1234567,
        lat: 37.7654321,
        county: Some("阳曲县".into()),
        status: ReviewStatus::Pending,
        note: String::new(),
    }
}

fn new_project() -> (tempfile::TempDir, PathBuf, Project) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("清零项目.gpkg");
    let project = Project::create(&path).unwrap();
    (dir, path, project)
}

fn assert_layers_equal(a: &Layer, b: &Layer) {
    assert_eq!(a.name, b.name);
    assert_eq!(a.source, b.source);
    assert_eq!(a.format, b.format);
    assert_eq!(a.geometry_kind, b.geometry_kind);
    assert_eq!(a.has_z, b.has_z);
    assert_eq!(a.crs, b.crs);
    assert_eq!(a.encoding, b.encoding);
    assert_eq!(a.fields, b.fields);
    assert_eq!(a.features, b.features);
    assert_eq!(a.problems, b.problems);
}

#[test]
fn a_layer_with_chinese_attributes_and_a_holed_polygon_loads_back_identically() {
    let (_dir, path, mut project) = new_project();
    let layer = zone_layer();
    let table = project
        .save_layer(&layer, "water_zones", r#"{"name":"水源地名称"}"#)
        .unwrap();
    assert!(table.starts_with("layer_1"), "{table}");
    let back = project.load_layer(&table).unwrap();
    assert_layers_equal(&layer, &back);

    // Survives closing and reopening the file.
    drop(project);
    let project = Project::open(&path).unwrap();
    assert_layers_equal(&layer, &project.load_layer(&table).unwrap());
    let entries = project.layers().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, "水源地保护区");
    assert_eq!(entries[0].role, "water_zones");
    assert_eq!(entries[0].crs_epsg, Some(4546));
    assert_eq!(entries[0].feature_count, 3);
    assert_eq!(entries[0].encoding.as_deref(), Some("GBK"));
    assert_eq!(entries[0].field_mapping_json, r#"{"name":"水源地名称"}"#);

    // The geometry is stored in the layer's own CRS with srs_id 4546 and real WKT.
    let conn = Connection::open(&path).unwrap();
    let (srs, ty): (i32, String) = conn
        .query_row(
            "SELECT srs_id, geometry_type_name FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((srs, ty.as_str()), (4546, "POLYGON"));
    let def: String = conn
        .query_row(
            "SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 4546",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(def.contains("\"central_meridian\",111"), "{def}");
}

#[test]
fn an_imported_layer_is_found_again_by_its_content_until_removed() {
    let (_dir, path, mut project) = new_project();
    let layer = zone_layer();
    let fingerprint = layer_fingerprint(&layer).unwrap();
    // A project with no import that recorded a fingerprint has none to match.
    assert!(
        (project.layers_with_content("水源地保护区", "water_zones", &fingerprint))
            .unwrap()
            .is_empty()
    );
    let table = project.save_layer(&layer, "water_zones", "{}").unwrap();
    drop(project);
    let mut project = Project::open(&path).unwrap();
    let found =
        |p: &Project, role: &str, f: &str| p.layers_with_content("水源地保护区", role, f).unwrap();
    assert_eq!(
        found(&project, "water_zones", &fingerprint),
        std::slice::from_ref(&table)
    );
    // The layer loaded back from the project is the same content.
    let back = project.load_layer(&table).unwrap();
    assert_eq!(
        layer_fingerprint(&back).as_deref(),
        Some(fingerprint.as_str())
    );
    // Another role, or an edited file, is not the same layer.
    assert!(found(&project, "coal_ban_zones", &fingerprint).is_empty());
    let mut edited = layer.clone();
    edited.features[0].attrs[0] = Value::Text("汾河水库（新）".into());
    let edited_fingerprint = layer_fingerprint(&edited).unwrap();
    assert_ne!(edited_fingerprint, fingerprint);
    assert!(found(&project, "water_zones", &edited_fingerprint).is_empty());
    project.remove_layer(&table).unwrap();
    assert!(found(&project, "water_zones", &fingerprint).is_empty());
    let conn = Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM qingling_layer_content", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn layers_without_epsg_or_crs_and_with_mixed_geometry_round_trip_too() {
    let (_dir, path, mut project) = new_project();
    let mut custom = zone_layer();
    custom.name = "Sites 2019".into();
    custom.crs = CrsInfo {
        crs: Some(Crs {
            epsg: None,
            name: "local GK CM 111.5E".into(),
            proj4: "+proj=tmerc +lon_0=111.5 +x_0=500000 +ellps=GRS80 +units=m".into(),
            geographic: false,
        }),
        source: CrsSource::Detected("6-digit eastings".into()),
    };
    custom.features[2].geometry = Some(Geometry::MultiPolygon(MultiPolygon(vec![
        polygon![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0)],
    ])));
    let t1 = project.save_layer(&custom, "sites", "{}").unwrap();
    assert_eq!(t1, "layer_1_sites_2019");
    assert_layers_equal(&custom, &project.load_layer(&t1).unwrap());

    let mut unknown = zone_layer();
    unknown.crs = CrsInfo {
        crs: None,
        source: CrsSource::Detected("no .prj, coordinates ambiguous".into()),
    };
    unknown.encoding = None;
    unknown.features[0].geometry = Some(Geometry::Point(point!(x: 1.0, y: 2.0)));
    unknown.features[2].geometry = Some(Geometry::LineString(LineString::from(vec![
        (0.0, 0.0),
        (1.0, 1.0),
    ])));
    let t2 = project.save_layer(&unknown, "water_zones", "{}").unwrap();
    assert_ne!(t1, t2);
    assert_layers_equal(&unknown, &project.load_layer(&t2).unwrap());

    let conn = Connection::open(&path).unwrap();
    let types: Vec<(String, i32)> = conn
        .prepare("SELECT geometry_type_name, srs_id FROM gpkg_geometry_columns WHERE table_name LIKE 'layer_%' ORDER BY table_name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(types[0].0, "GEOMETRY");
    assert!(types[0].1 >= qingling::project::gpkg::CUSTOM_SRS_BASE);
    assert_eq!(types[1], ("GEOMETRY".to_string(), -1));
    // Identifiers stay unique though both layers came from files with the same name.
    let ids: Vec<String> = conn
        .prepare("SELECT identifier FROM gpkg_contents WHERE table_name LIKE 'layer_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);

    assert!(matches!(
        project.load_layer("layer_99"),
        Err(ProjectError::UnknownLayer { .. })
    ));
    project.remove_layer(&t2).unwrap();
    assert_eq!(project.layers().unwrap().len(), 1);
}

#[test]
fn a_rerun_keeps_decisions_marks_new_findings_and_keeps_disappeared_ones() {
    let (_dir, path, mut project) = new_project();
    let first = vec![
        finding("a", 1, Some(-12.5)),
        finding("b", 2, Some(0.0)),
        finding("c", 3, None),
    ];
    let s1 = project.apply_check_run(&first).unwrap();
    assert_eq!((s1.new, s1.existing, s1.resolved_by_data), (3, 0, 0));

    project
        .review(&ReviewAction {
            finding_id: "a".into(),
            status: Some(ReviewStatus::Confirmed),
            note: Some("现场核实，锅炉在用".into()),
            reviewer: "张三".into(),
        })
        .unwrap();
    project
        .review(&ReviewAction {
            finding_id: "c".into(),
            status: Some(ReviewStatus::Rectifying),
            note: None,
            reviewer: "李四".into(),
        })
        .unwrap();

    // Second run: a refreshed (moved site), c disappeared, d is new.
    let mut a2 = finding("a", 1, Some(-20.0));
    a2.site_name = "太原市某锅炉房（更名）".into();
    (a2.lon, a2.lat) = (112.25, 37.75);
    a2.note = "rule text that must not overwrite the reviewer's note".into();
    let second = vec![a2, finding("b", 2, Some(0.0)), finding("d", 4, Some(-1.0))];
    let s2 = project.apply_check_run(&second).unwrap();
    assert!(s2.run_id > s1.run_id);
    assert_eq!((s2.new, s2.existing, s2.resolved_by_data), (1, 2, 1));

    drop(project);
    let project = Project::open(&path).unwrap();
    let rows = project.findings().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.finding.finding_id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let a = &rows[0];
    assert_eq!(a.finding.status, ReviewStatus::Confirmed);
    assert_eq!(a.finding.note, "现场核实，锅炉在用");
    assert_eq!(a.reviewer.as_deref(), Some("张三"));
    assert_eq!(a.finding.distance_m, Some(-20.0));
    assert_eq!(a.finding.site_name, "太原市某锅炉房（更名）");
    assert_eq!(a.presence, Presence::Existing);
    assert_eq!(a.first_seen_run, Some(s1.run_id));
    assert_eq!(a.last_seen_run, Some(s2.run_id));
    assert_eq!(rows[1].presence, Presence::Existing);
    assert_eq!(rows[1].finding.status, ReviewStatus::Pending);
    let c = &rows[2];
    assert_eq!(c.presence, Presence::ResolvedByData);
    assert_eq!(c.finding.status, ReviewStatus::Rectifying);
    assert_eq!(c.last_seen_run, Some(s1.run_id));
    assert_eq!(c.finding.distance_m, None);
    let d = &rows[3];
    assert_eq!(d.presence, Presence::New);
    assert_eq!(d.finding.status, ReviewStatus::Pending);
    assert_eq!(d.finding, finding("d", 4, Some(-1.0)));

    // The R-tree of the findings table follows refreshed and new points.
    let conn = Connection::open(&path).unwrap();
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM rtree_findings_geom", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 4);
    let indexed_at = |id: &str| -> (f64, f64, f64, f64) {
        conn.query_row(
            "SELECT r.minx, r.maxx, r.miny, r.maxy FROM rtree_findings_geom r
             JOIN findings f ON f.fid = r.id WHERE f.finding_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    };
    // a moved, b stayed where it was (boxes are stored as 32-bit floats).
    let near = |got: (f64, f64, f64, f64), lon: f64, lat: f64| {
        (got.0 - lon).abs() < 1e-4
            && (got.1 - lon).abs() < 1e-4
            && (got.2 - lat).abs() < 1e-4
            && (got.3 - lat).abs() < 1e-4
    };
    assert!(
        near(indexed_at("a"), 112.25, 37.75),
        "{:?}",
        indexed_at("a")
    );
    assert!(
        near(indexed_at("b"), 112.1234567, 37.7654321),
        "{:?}",
        indexed_at("b")
    );
    drop(conn);
    // What an export of the run takes from the ledger: the decisions only.
    let decisions = project.decisions().unwrap();
    assert_eq!(decisions.len(), 2, "{decisions:?}");
    assert_eq!(
        decisions["a"],
        (ReviewStatus::Confirmed, "现场核实，锅炉在用".to_string())
    );
    assert_eq!(decisions["c"], (ReviewStatus::Rectifying, String::new()));

    // c comes back: it is existing again with its decision intact.
    let mut project = project;
    let s3 = project
        .apply_check_run(&[finding("c", 3, Some(-2.0))])
        .unwrap();
    assert_eq!((s3.new, s3.existing, s3.resolved_by_data), (0, 1, 3));
    let c = project.finding("c").unwrap().unwrap();
    assert_eq!(c.presence, Presence::Existing);
    assert_eq!(c.finding.status, ReviewStatus::Rectifying);
}

#[test]
fn duplicate_ids_in_a_run_are_refused_and_change_nothing() {
    let (_dir, _path, mut project) = new_project();
    let err = project
        .apply_check_run(&[finding("a", 1, None), finding("a", 2, None)])
        .unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
    assert!(project.findings().unwrap().is_empty());
}

#[test]
fn every_review_action_is_recorded_in_history() {
    let (_dir, _path, mut project) = new_project();
    project
        .apply_check_run(&[finding("a", 1, Some(-3.0))])
        .unwrap();
    project
        .review(&ReviewAction {
            finding_id: "a".into(),
            status: Some(ReviewStatus::Confirmed),
            note: None,
            reviewer: "张三".into(),
        })
        .unwrap();
    project
        .review(&ReviewAction {
            finding_id: "a".into(),
            status: Some(ReviewStatus::Cleared),
            note: Some("已拆除，销号".into()),
            reviewer: " 李四 ".into(),
        })
        .unwrap();
    let h = project.history("a").unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].old_status, ReviewStatus::Pending);
    assert_eq!(h[0].new_status, ReviewStatus::Confirmed);
    assert_eq!(h[0].reviewer, "张三");
    assert_eq!((h[0].old_note.as_str(), h[0].new_note.as_str()), ("", ""));
    assert_eq!(h[1].old_status, ReviewStatus::Confirmed);
    assert_eq!(h[1].new_status, ReviewStatus::Cleared);
    assert_eq!(h[1].new_note, "已拆除，销号");
    assert_eq!(h[1].reviewer, "李四");
    assert!(h[0].id < h[1].id);
    assert!(h[1].at.ends_with('Z') && h[1].at.contains('T'));
    let row = project.finding("a").unwrap().unwrap();
    assert_eq!(row.finding.status, ReviewStatus::Cleared);
    assert_eq!(row.updated_at.as_deref(), Some(h[1].at.as_str()));
    assert!(project.history("zzz").unwrap().is_empty());
}

#[test]
fn bad_review_actions_are_refused_without_writing_anything() {
    let (_dir, _path, mut project) = new_project();
    project.apply_check_run(&[finding("a", 1, None)]).unwrap();
    let unknown = ReviewAction {
        finding_id: "nope".into(),
        status: Some(ReviewStatus::Cleared),
        note: None,
        reviewer: "张三".into(),
    };
    assert!(matches!(
        project.review(&unknown),
        Err(ProjectError::UnknownFinding { .. })
    ));
    let anonymous = ReviewAction {
        finding_id: "a".into(),
        status: Some(ReviewStatus::Cleared),
        note: None,
        reviewer: "  ".into(),
    };
    assert!(project.review(&anonymous).is_err());
    let empty = ReviewAction {
        finding_id: "a".into(),
        status: None,
        note: None,
        reviewer: "张三".into(),
    };
    assert!(project.review(&empty).is_err());
    // A bulk action with one unknown id applies nothing.
    let good = ReviewAction {
        finding_id: "a".into(),
        status: Some(ReviewStatus::FalsePositive),
        note: None,
        reviewer: "张三".into(),
    };
    assert!(project.review_many(&[good, unknown]).is_err());
    assert!(project.history("a").unwrap().is_empty());
    assert_eq!(
        project.finding("a").unwrap().unwrap().finding.status,
        ReviewStatus::Pending
    );
}

#[test]
fn review_history_rows_cannot_be_updated_or_deleted() {
    let (_dir, path, mut project) = new_project();
    project.apply_check_run(&[finding("a", 1, None)]).unwrap();
    project
        .review(&ReviewAction {
            finding_id: "a".into(),
            status: Some(ReviewStatus::FalsePositive),
            note: Some("坐标偏移".into()),
            reviewer: "张三".into(),
        })
        .unwrap();
    drop(project);
    let conn = Connection::open(&path).unwrap();
    let upd = conn.execute("UPDATE review_history SET reviewer = 'someone else'", []);
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = conn.execute("DELETE FROM review_history", []);
    assert!(del.unwrap_err().to_string().contains("append-only"));
    let n: i64 = conn
        .query_row("SELECT count(*) FROM review_history", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // Appending still works.
    conn.execute(
        "INSERT INTO review_history (finding_id, at, reviewer, old_status, new_status, old_note, new_note)
         VALUES ('a', 'x', 'y', '误报', '待核查', '', '')",
        [],
    )
    .unwrap();
}

#[test]
fn opening_something_that_is_not_a_project_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("missing.gpkg");
    let err = Project::open(&missing).unwrap_err();
    assert!(matches!(err, ProjectError::NotFound { .. }));
    assert!(err.zh().starts_with("找不到该项目文件"), "{}", err.zh());

    let text = dir.path().join("notes.gpkg");
    std::fs::write(&text, "这不是数据库").unwrap();
    let err = Project::open(&text).unwrap_err();
    assert!(matches!(err, ProjectError::NotSqlite { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("notes.gpkg") && msg.contains("not a qingling project"),
        "{msg}"
    );
    assert!(err.zh().starts_with("不是清零项目"), "{}", err.zh());

    let plain = dir.path().join("plain.sqlite");
    Connection::open(&plain)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
    let err = Project::open(&plain).unwrap_err();
    assert!(matches!(err, ProjectError::NotGeoPackage { .. }), "{err}");
    assert!(err.to_string().contains("plain.sqlite"));
    assert!(err.zh().contains("不是 GeoPackage"), "{}", err.zh());

    let gpkg = dir.path().join("other.gpkg");
    let conn = Connection::open(&gpkg).unwrap();
    qingling::project::gpkg::init_geopackage(&conn).unwrap();
    drop(conn);
    let err = Project::open(&gpkg).unwrap_err();
    assert!(matches!(err, ProjectError::NotProject { .. }), "{err}");
    assert!(err.to_string().contains("create a new project"));
    assert!(err.zh().contains("请新建项目"), "{}", err.zh());
}

#[test]
fn the_project_file_is_a_valid_durable_geopackage() {
    let (_dir, path, mut project) = new_project();
    let table = project
        .save_layer(&zone_layer(), "water_zones", "{}")
        .unwrap();
    project
        .apply_check_run(&[finding("a", 1, Some(-3.0)), finding("b", 2, None)])
        .unwrap();
    drop(project);

    let conn = Connection::open(&path).unwrap();
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    let uv: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(uv, 10300);
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let fk_violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_violations, 0);
    for srs in [-1, 0, 4326] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
                [srs],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "srs {srs}");
    }
    let features: Vec<(String, Option<f64>, Option<f64>)> = conn
        .prepare("SELECT table_name, min_x, max_y FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(features.len(), 2);
    assert_eq!(features[0].0, "findings");
    assert_eq!(features[0].1, Some(112.1234567));
    assert_eq!(features[1].0, table);
    assert_eq!(features[1].1, Some(512_000.0));
    assert_eq!(features[1].2, Some(4_201_000.0));
    let attributes: i64 = conn
        .query_row(
            "SELECT count(*) FROM gpkg_contents WHERE data_type = 'attributes' AND table_name = 'review_history'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(attributes, 1);
    // Every geometry blob decodes, with the srs_id its table declares.
    for (t, srs) in [("findings", 4326), (table.as_str(), 4546)] {
        let blobs: Vec<Vec<u8>> = conn
            .prepare(&format!("SELECT geom FROM \"{t}\" WHERE geom IS NOT NULL"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!blobs.is_empty());
        for b in blobs {
            assert_eq!(&b[..2], b"GP");
            assert_eq!(i32::from_le_bytes([b[4], b[5], b[6], b[7]]), srs);
            decode_gpkg_geometry(&b).unwrap();
        }
    }
    // Both feature tables carry the R-tree index extension, filled and current.
    for (t, n) in [("findings", 2i64), (table.as_str(), 2)] {
        let indexed: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM \"rtree_{t}_geom\""),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, n, "{t}");
        let ext: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_extensions WHERE table_name = ?1 AND extension_name = 'gpkg_rtree_index'",
                [t],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ext, 1, "{t}");
    }
    let (minx, maxy): (f64, f64) = conn
        .query_row(
            &format!("SELECT minx, maxy FROM \"rtree_{table}_geom\" WHERE id = 0"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!((minx - 512_000.5).abs() < 1.0 && (maxy - 4_192_000.0).abs() < 1.0);
    let p: Geometry<f64> = decode_gpkg_geometry(
        &conn
            .query_row(
                "SELECT geom FROM findings WHERE finding_id = 'a'",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(p, Geometry::Point(point!(x: 112.1234567, y: 37.7654321)));
}

/// Runs only where GDAL is installed; the lead's CI has it.
#[test]
fn ogrinfo_lists_the_project_tables_when_gdal_is_installed() {
    let Ok(out) = std::process::Command::new("ogrinfo")
        .arg("--version")
        .output()
    else {
        eprintln!("ogrinfo not installed: skipped");
        return;
    };
    if !out.status.success() {
        eprintln!("ogrinfo not usable: skipped");
        return;
    }
    let (_dir, path, mut project) = new_project();
    let table = project
        .save_layer(&zone_layer(), "water_zones", "{}")
        .unwrap();
    project.apply_check_run(&[finding("a", 1, None)]).unwrap();
    drop(project);
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so", "-al"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("findings"), "{stdout}");
    assert!(stdout.contains(&table), "{stdout}");
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

/// The child half of the SIGKILL test: review, say so, then wait to be killed.
fn review_then_wait_for_kill(path: &str) -> ! {
    use std::io::Write;
    let mut project = Project::open(Path::new(path)).unwrap();
    project
        .review(&ReviewAction {
            finding_id: "a".into(),
            status: Some(ReviewStatus::Cleared),
            note: Some("已销号".into()),
            reviewer: "王五".into(),
        })
        .unwrap();
    // The project stays open: nothing is flushed by closing it.
    println!("REVIEWED");
    std::io::stdout().flush().unwrap();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

#[test]
fn a_review_survives_the_process_being_killed_right_after_it_returns() {
    use std::io::BufRead;
    if let Ok(path) = std::env::var("QINGLING_TEST_REVIEW_CHILD") {
        review_then_wait_for_kill(&path);
    }
    let (_dir, path, mut project) = new_project();
    project.apply_check_run(&[finding("a", 1, None)]).unwrap();
    drop(project);

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_review_survives_the_process_being_killed_right_after_it_returns",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("QINGLING_TEST_REVIEW_CHILD", &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // libtest prints "test <name> ... " before the child's own line, so match the end.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let seen = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.trim_end().ends_with("REVIEWED"));
        let _ = tx.send(seen);
    });
    let reviewed = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or(false);
    child.kill().unwrap(); // SIGKILL on Unix, TerminateProcess on Windows
    child.wait().unwrap();
    assert!(reviewed, "the child did not report its review");

    let project = Project::open(&path).unwrap();
    let row = project.finding("a").unwrap().unwrap();
    assert_eq!(row.finding.status, ReviewStatus::Cleared);
    assert_eq!(row.finding.note, "已销号");
    assert_eq!(project.history("a").unwrap().len(), 1);
}
