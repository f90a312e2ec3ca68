//! Damaged or mismatched `.dbf`, `.cpg` and half-copied shapefile sets.

use qingling::model::{EncodingSource, ProblemLevel};

use super::*;

/// The header length (offset of the first record) a `.dbf` declares.
fn header_len(dbf: &Path) -> usize {
    let b = std::fs::read(dbf).unwrap();
    u16::from_le_bytes([b[8], b[9]]) as usize
}

fn record_len(dbf: &Path) -> usize {
    let b = std::fs::read(dbf).unwrap();
    u16::from_le_bytes([b[10], b[11]]) as usize
}

#[test]
fn a_dbf_with_fewer_records_than_the_shp_leaves_the_rest_without_attributes() {
    let d = tmp();
    let shp = write_points(d.path(), "少行", 5);
    let other = tmp();
    let short = write_points(other.path(), "另一", 3);
    std::fs::copy(sibling(&short, "dbf"), sibling(&shp, "dbf")).unwrap();
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3, 4]);
    let p = assert_problem(
        &layer,
        3,
        ProblemLevel::Error,
        "the .dbf has 3 records but the .shp has 5 shapes; records 3 to 4 have empty attributes",
    );
    assert!(p.file.ends_with("少行.dbf"), "{p}");
    assert_eq!(layer.features[2].attrs[0], Value::Text("站点2".into()));
    assert!(layer.features[4].attrs.iter().all(Value::is_null));
}

#[test]
fn a_dbf_cut_inside_a_record_is_reported_as_truncated() {
    let d = tmp();
    let shp = write_points(d.path(), "表截断", 5);
    let dbf = sibling(&shp, "dbf");
    let rl = record_len(&dbf);
    truncate(&dbf, header_len(&dbf) + 3 * rl + rl / 2);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2, 3, 4]);
    assert_file_problem(
        &layer,
        ProblemLevel::Error,
        "the .dbf header declares 5 records but the file holds only 3; it is truncated",
    );
    assert_problem(&layer, 3, ProblemLevel::Error, "the .dbf has 3 records");
}

#[test]
fn a_dbf_shorter_than_its_header_keeps_the_geometry() {
    let d = tmp();
    let shp = write_points(d.path(), "表头短", 3);
    truncate(&sibling(&shp, "dbf"), 20);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert!(layer.fields.is_empty());
    assert_file_problem(
        &layer,
        ProblemLevel::Error,
        "shorter than its 32-byte header",
    );
    assert_file_problem(
        &layer,
        ProblemLevel::Error,
        "the geometry was read without attributes",
    );
}

#[test]
fn a_dbf_with_a_damaged_header_length_keeps_the_geometry() {
    let d = tmp();
    let shp = write_points(d.path(), "表头坏", 3);
    patch(&sibling(&shp, "dbf"), 8, &5u16.to_le_bytes());
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert_file_problem(
        &layer,
        ProblemLevel::Error,
        "the .dbf header is damaged (header length 5",
    );
}

#[test]
fn a_half_copied_set_without_dbf_loads_geometry_with_a_warning() {
    let d = tmp();
    let shp = write_points(d.path(), "半套", 3);
    std::fs::remove_file(sibling(&shp, "dbf")).unwrap();
    std::fs::remove_file(sibling(&shp, "shx")).unwrap();
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert_file_problem(&layer, ProblemLevel::Warning, "no .dbf next to the .shp");
}

#[test]
fn a_set_with_only_the_dbf_is_refused_naming_the_missing_shp() {
    let d = tmp();
    let shp = write_points(d.path(), "只有表", 3);
    std::fs::remove_file(&shp).unwrap();
    let (e, msg) = load_err(&shp);
    assert!(matches!(e, IoError::Io { .. }), "{e:?}");
    assert_names(&msg, &shp, "os error 2");
}

#[test]
fn text_that_is_neither_utf8_nor_gbk_is_replaced_and_reported_by_record() {
    let d = tmp();
    let shp = d.path().join("乱码.shp");
    let opts = ShapefileWriteOptions {
        write_cpg: false,
        ldid: Some(0),
        ..shp_opts()
    };
    let geoms: Vec<Option<Geometry<f64>>> = (0..3)
        .map(|i| Some(Geometry::Point(Point::new(112.5 + f64::from(i), 37.8))))
        .collect();
    let rows = vec![
        vec![Value::Text("ok".into()), Value::Int(0)],
        vec![Value::Text("ok".into()), Value::Int(1)],
        vec![Value::Text("XXXX".into()), Value::Int(2)],
    ];
    write_shapefile(&shp, &geoms, &fields(), &rows, &opts).unwrap();
    let dbf = sibling(&shp, "dbf");
    let bytes = std::fs::read(&dbf).unwrap();
    let at = bytes.windows(4).position(|w| w == b"XXXX").unwrap();
    // 0x80 and 0xFF start no character in UTF-8 or in GBK/GB18030.
    patch(&dbf, at, &[0xFF, 0x80, 0xFF, 0x80]);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    let enc = layer.encoding.as_ref().unwrap();
    assert_eq!(enc.source, EncodingSource::DetectedGb18030);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "text is neither valid UTF-8 nor valid gb18030; characters were replaced (first in record 2",
    );
    assert_eq!(layer.features[0].attrs[0], Value::Text("ok".into()));
    let Value::Text(t) = &layer.features[2].attrs[0] else {
        panic!("text expected");
    };
    assert!(t.contains('\u{FFFD}'), "{t}");
}

#[test]
fn a_cpg_naming_an_unknown_encoding_is_reported_and_the_text_still_decodes() {
    let d = tmp();
    let shp = write_points(d.path(), "未知编码", 3);
    std::fs::write(sibling(&shp, "cpg"), "KLINGON-42").unwrap();
    let layer = load(&shp);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "the .cpg names an unknown encoding \"KLINGON-42\"",
    );
    // The writer's GBK language driver byte decides instead.
    assert_eq!(layer.features[1].attrs[0], Value::Text("站点1".into()));
}

#[test]
fn a_cpg_claiming_utf8_over_gbk_text_is_overridden_with_a_warning() {
    let d = tmp();
    let shp = write_points(d.path(), "谎称", 3);
    std::fs::write(sibling(&shp, "cpg"), "UTF-8").unwrap();
    let layer = load(&shp);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "the .cpg says \"UTF-8\" but the text is not valid UTF-8",
    );
    assert_eq!(layer.features[2].attrs[0], Value::Text("站点2".into()));
}

#[test]
fn a_deleted_dbf_row_keeps_its_shape_and_is_reported() {
    let d = tmp();
    let shp = write_points(d.path(), "删除", 3);
    let dbf = sibling(&shp, "dbf");
    let rl = record_len(&dbf);
    patch(&dbf, header_len(&dbf) + rl, b"*");
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert_problem(&layer, 1, ProblemLevel::Warning, "record marked deleted");
    assert!(layer.features[1].attrs.iter().all(Value::is_null));
}

#[test]
fn an_unreadable_number_costs_only_its_cell() {
    let d = tmp();
    let shp = write_points(d.path(), "数字", 3);
    let dbf = sibling(&shp, "dbf");
    let rl = record_len(&dbf);
    let bytes = std::fs::read(&dbf).unwrap();
    // The integer field follows the text field in record 2.
    let rec = header_len(&dbf) + 2 * rl;
    let field_at = rec + rl - bytes[32 + 32 + 16] as usize;
    let n = bytes[32 + 32 + 16] as usize;
    patch(&dbf, field_at, &b"x2abc#####################"[..n]);
    let layer = load(&shp);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    let p = layer
        .problems
        .iter()
        .find(|p| p.record == Some(2))
        .unwrap_or_else(|| panic!("{:#?}", layer.problems));
    assert_eq!(p.field.as_deref(), Some("编号"), "{p}");
    assert!(layer.features[2].attrs[1].is_null());
    assert_eq!(layer.features[2].attrs[0], Value::Text("站点2".into()));
}
