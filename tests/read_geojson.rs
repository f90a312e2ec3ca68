//! GeoJSON as it arrives: mixed property types, legacy `crs` members, null and
//! broken geometries, files that are not JSON at all.

use std::path::{Path, PathBuf};

use qingling::io::geojson::read_geojson;
use qingling::io::{IoError, ReadOptions};
use qingling::model::{
    CrsSource, EncodingSource, FieldKind, Geometry, GeometryKind, ProblemLevel, SourceFormat, Value,
};

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const MIXED: &str = r#"{
  "type": "FeatureCollection",
  "features": [
    {"type": "Feature",
     "geometry": {"type": "Point", "coordinates": [112.55, 37.87]},
     "properties": {"名称": "甲锅炉房", "级别": 1, "面积": 2.5, "在用": true, "备注": null,
                    "标签": ["燃煤", "在用"], "扩展": {"k": 1}}},
    {"type": "Feature",
     "geometry": {"type": "Polygon", "coordinates": [[[112.5,37.8],[112.6,37.8],[112.6,37.9],[112.5,37.8]]]},
     "properties": {"名称": "一级保护区", "级别": 2.5, "新字段": "x"}},
    {"type": "Feature", "geometry": null, "properties": {"名称": "丙"}},
    {"type": "Feature",
     "geometry": {"type": "Point", "coordinates": ["112.5", "37.8"]},
     "properties": {"名称": "丁"}},
    {"type": "Point", "coordinates": [112.5, 37.8]},
    {"type": "Feature",
     "geometry": {"type": "Polygon", "coordinates": [[[112.5,37.8],[112.6,37.8],[112.5,37.8]]]},
     "properties": {"名称": "戊"}}
  ]
}"#;

#[test]
fn a_feature_collection_with_mixed_types_loads_every_feature() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "zones.geojson", MIXED.as_bytes());
    let (layer, declared) = read_geojson(&path, &ReadOptions::default()).unwrap();

    assert_eq!(declared, None);
    assert_eq!(layer.format, SourceFormat::GeoJson);
    assert_eq!(layer.name, "zones");
    assert_eq!(layer.geometry_kind, GeometryKind::Mixed);
    assert!(!layer.has_z);
    assert!(layer.encoding.is_none());
    let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "名称",
            "级别",
            "面积",
            "在用",
            "备注",
            "标签",
            "扩展",
            "新字段"
        ]
    );
    let kinds: Vec<FieldKind> = layer.fields.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Text,
            FieldKind::Float,
            FieldKind::Float,
            FieldKind::Bool,
            FieldKind::Text,
            FieldKind::Text,
            FieldKind::Text,
            FieldKind::Text
        ]
    );

    assert_eq!(layer.features.len(), 6);
    let first = &layer.features[0].attrs;
    assert_eq!(first[0], Value::Text("甲锅炉房".into()));
    assert_eq!(first[1], Value::Float(1.0));
    assert_eq!(first[3], Value::Bool(true));
    assert_eq!(first[4], Value::Null);
    assert_eq!(first[5], Value::Text(r#"["燃煤","在用"]"#.into()));
    assert_eq!(first[6], Value::Text(r#"{"k":1}"#.into()));
    assert_eq!(first[7], Value::Null);
    assert_eq!(layer.features[1].attrs[7], Value::Text("x".into()));
    assert!(matches!(
        layer.features[0].geometry,
        Some(Geometry::Point(_))
    ));
    assert!(matches!(
        layer.features[1].geometry,
        Some(Geometry::Polygon(_))
    ));

    // A null geometry is kept quietly; broken features keep their place and say why.
    assert!(layer.features[2].geometry.is_none());
    assert_eq!(layer.features[2].attrs[0], Value::Text("丙".into()));
    for fid in [3, 4, 5] {
        assert!(layer.features[fid].geometry.is_none(), "feature {fid}");
    }
    assert_eq!(layer.features[3].attrs[0], Value::Text("丁".into()));
    let errors: Vec<(Option<u64>, &str)> = layer
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .map(|p| (p.record, p.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 3, "{:?}", layer.problems);
    assert_eq!(errors[0].0, Some(3));
    assert!(errors[0].1.contains("\"112.5\""), "{}", errors[0].1);
    assert_eq!(errors[1].0, Some(4));
    assert!(errors[1].1.contains("not a Feature"), "{}", errors[1].1);
    assert_eq!(errors[2].0, Some(5));
    assert!(errors[2].1.contains("at least 4"), "{}", errors[2].1);
    assert_eq!(layer.problems.len(), 3);

    let crs = layer.crs.crs.as_ref().unwrap();
    assert_eq!(crs.epsg, Some(4326));
    assert_eq!(layer.crs.source, CrsSource::FormatDefault);
}

#[test]
fn a_legacy_crs_member_is_returned_for_the_caller_to_resolve() {
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["urn:ogc:def:crs:EPSG::4546", "EPSG:4546"]
        .iter()
        .enumerate()
    {
        let text = format!(
            r#"{{"type":"FeatureCollection",
                "crs":{{"type":"name","properties":{{"name":"{name}"}}}},
                "features":[{{"type":"Feature","properties":{{"水源地名称":"汾河水库"}},
                  "geometry":{{"type":"Point","coordinates":[512345.6,4231234.5]}}}}]}}"#
        );
        let path = write(dir.path(), &format!("legacy{i}.geojson"), text.as_bytes());
        let (layer, declared) = read_geojson(&path, &ReadOptions::default()).unwrap();
        assert_eq!(declared, Some(4546), "{name}");
        assert_eq!(layer.crs.crs, None);
        assert_eq!(layer.crs.source, CrsSource::Declared);
        assert!(layer.problems.is_empty(), "{:?}", layer.problems);
    }
}

#[test]
fn projected_coordinates_without_a_crs_member_are_left_to_detection() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"type":"Feature","properties":{"名称":"甲"},
                   "geometry":{"type":"Point","coordinates":[37512345.6,4231234.5,850.0]}}"#;
    let path = write(dir.path(), "proj.geojson", text.as_bytes());
    let (layer, declared) = read_geojson(&path, &ReadOptions::default()).unwrap();
    assert_eq!(declared, None);
    assert_eq!(layer.features.len(), 1);
    assert!(layer.has_z);
    assert_eq!(layer.geometry_kind, GeometryKind::Point);
    assert_eq!(layer.crs.crs, None);
    assert!(matches!(layer.crs.source, CrsSource::Detected(_)));
}

#[test]
fn a_bare_geometry_is_one_feature_without_fields() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"type":"MultiLineString","coordinates":[[[112.1,37.1],[112.2,37.2]]]}"#;
    let path = write(dir.path(), "line.json", text.as_bytes());
    let (layer, _) = read_geojson(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.features.len(), 1);
    assert!(layer.fields.is_empty());
    assert_eq!(layer.geometry_kind, GeometryKind::Line);

    let text = r#"{"type":"Point","coordinates":["x"]}"#;
    let path = write(dir.path(), "bad.json", text.as_bytes());
    let (layer, _) = read_geojson(&path, &ReadOptions::default()).unwrap();
    assert!(layer.features[0].geometry.is_none());
    assert_eq!(layer.problems.len(), 1);
}

#[test]
fn a_gbk_file_is_decoded_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{"type":"Feature","properties":{"名称":"禁煤区"},"geometry":null}"#;
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    let path = write(dir.path(), "gbk.geojson", &bytes);
    let (layer, _) = read_geojson(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.fields[0].name, "名称");
    assert_eq!(layer.features[0].attrs[0], Value::Text("禁煤区".into()));
    assert_eq!(
        layer.encoding.unwrap().source,
        EncodingSource::DetectedGb18030
    );
    assert_eq!(layer.problems.len(), 1);
}

#[test]
fn a_file_that_is_not_json_is_an_error_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "garbage.geojson",
        b"{\"type\": \"FeatureCollection\",\n  \"features\": [ oops ]}",
    );
    let err = read_geojson(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }));
    let msg = err.to_string();
    assert!(msg.contains("garbage.geojson"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(msg.contains("column"), "{msg}");

    let path = write(dir.path(), "array.geojson", b"[1, 2, 3]");
    let err = read_geojson(&path, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }), "{err}");

    let path = write(
        dir.path(),
        "nofeatures.geojson",
        br#"{"type":"FeatureCollection"}"#,
    );
    let err = read_geojson(&path, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("\"features\""), "{err}");

    let missing = dir.path().join("missing.geojson");
    let err = read_geojson(&missing, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Random JSON-ish text gives a layer or an error, never a panic.
    #[test]
    fn arbitrary_json_never_panics(
        text in r#"\{("type":"(Feature|FeatureCollection|Point|Polygon)",|"features":\[|"geometry":|"coordinates":|\[|\]|\{|\}|,|1|"x"|null|-2\.5|"crs":"EPSG:4546"){0,40}"#,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "fuzz.geojson", text.as_bytes());
        if let Ok((layer, _)) = read_geojson(&path, &ReadOptions::default()) {
            for f in &layer.features {
                proptest::prop_assert_eq!(f.attrs.len(), layer.fields.len());
            }
        }
    }
}
