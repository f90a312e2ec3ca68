//! Malformed GeoJSON: not JSON, wrong nesting, coordinates as strings, deep nesting.

use qingling::model::ProblemLevel;

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn feature(geometry: &str, name: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{{"名称":"{name}"}},"geometry":{geometry}}}"#)
}

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

const GOOD_POINT: &str = r#"{"type":"Point","coordinates":[112.5,37.8]}"#;

#[test]
fn text_that_is_not_json_is_refused_with_line_and_column() {
    let d = tmp();
    let p = write(
        d.path(),
        "不是.geojson",
        "{\"type\": \"FeatureCollection\",\n  features: []}",
    );
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "not valid JSON");
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn a_truncated_geojson_is_refused() {
    let d = tmp();
    let full = collection(&[feature(GOOD_POINT, "a"), feature(GOOD_POINT, "b")]);
    let p = write(d.path(), "截断.geojson", &full[..full.len() / 2]);
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "not valid JSON: EOF");
}

#[test]
fn an_empty_file_is_refused() {
    let d = tmp();
    let p = write(d.path(), "空.json", "");
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "not valid JSON");
}

#[test]
fn coordinates_given_as_strings_cost_only_their_feature() {
    let d = tmp();
    let p = write(
        d.path(),
        "字符串坐标.geojson",
        &collection(&[
            feature(GOOD_POINT, "好"),
            feature(r#"{"type":"Point","coordinates":["112.5","37.8"]}"#, "坏"),
            feature(GOOD_POINT, "也好"),
        ]),
    );
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0, 2]);
    assert_problem(
        &layer,
        1,
        ProblemLevel::Error,
        "feature 1: a coordinate is the text \"112.5\", not a number",
    );
    assert_eq!(layer.features[1].attrs[0], Value::Text("坏".into()));
}

#[test]
fn a_polygon_nested_one_level_too_shallow_costs_only_its_feature() {
    let d = tmp();
    let p = write(
        d.path(),
        "嵌套错.geojson",
        &collection(&[
            feature(
                r#"{"type":"Polygon","coordinates":[[112,37],[112,38],[113,38],[112,37]]}"#,
                "浅",
            ),
            feature(
                r#"{"type":"Polygon","coordinates":[[[112,37],[112,38],[113,38],[112,37]]]}"#,
                "对",
            ),
        ]),
    );
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![1]);
    assert_problem(
        &layer,
        0,
        ProblemLevel::Error,
        "feature 0: position coordinates are 112, not an array",
    );
}

#[test]
fn a_ring_of_three_positions_costs_only_its_feature() {
    let d = tmp();
    let p = write(
        d.path(),
        "三点.geojson",
        &collection(&[
            feature(
                r#"{"type":"Polygon","coordinates":[[[112,37],[112,38],[112,37]]]}"#,
                "短",
            ),
            feature(GOOD_POINT, "好"),
        ]),
    );
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![1]);
    assert_problem(
        &layer,
        0,
        ProblemLevel::Error,
        "feature 0: polygon ring 0 has 3 position(s); a closed ring needs at least 4",
    );
}

#[test]
fn a_feature_collection_without_features_is_refused() {
    let d = tmp();
    let p = write(
        d.path(),
        "无要素.geojson",
        r#"{"type":"FeatureCollection","feature":[]}"#,
    );
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "a FeatureCollection without a \"features\" array");
}

#[test]
fn a_json_that_is_not_geojson_is_refused() {
    let d = tmp();
    let p = write(d.path(), "拓扑.json", r#"{"type":"Topology","objects":{}}"#);
    let (_, msg) = load_err(&p);
    assert_names(
        &msg,
        &p,
        "not GeoJSON: the top-level \"type\" is \"Topology\"",
    );
}

#[test]
fn nesting_a_hundred_thousand_levels_deep_is_refused_without_overflowing_the_stack() {
    let d = tmp();
    let deep = format!(
        r#"{{"type":"Point","coordinates":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let p = write(d.path(), "深.geojson", &deep);
    let q = p.clone();
    let msg = within_secs(5, move || load_err(&q).1);
    assert_names(&msg, &p, "the JSON is nested more than 128 levels deep");
}

#[test]
fn a_number_too_large_for_a_double_is_refused() {
    let d = tmp();
    let p = write(
        d.path(),
        "超大.geojson",
        &collection(&[feature(
            r#"{"type":"Point","coordinates":[1e400,37.8]}"#,
            "大",
        )]),
    );
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "number out of range");
}

#[test]
fn a_self_crossing_geojson_polygon_is_kept_with_a_warning() {
    let d = tmp();
    let p = write(
        d.path(),
        "蝴蝶.geojson",
        &collection(&[
            feature(GOOD_POINT, "点"),
            feature(
                r#"{"type":"Polygon","coordinates":[[[112,37],[112,37.2],[112.2,37],[112.2,37.2],[112,37]]]}"#,
                "蝶",
            ),
        ]),
    );
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0, 1]);
    assert_problem(
        &layer,
        1,
        ProblemLevel::Warning,
        "a ring crosses itself near (112.1, 37.1)",
    );
}
