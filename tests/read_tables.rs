//! Site ledgers as offices send them: Excel with a title row and mixed coordinate
//! spellings, CSV in UTF-8 with BOM or in GBK, projected X/Y columns.

use std::path::{Path, PathBuf};

use qingling::io::table::{
    MapOffset, TableOptions, read_csv, read_csv_with, read_xlsx, row_offset_kinds,
};
use qingling::io::{IoError, ReadOptions};
use qingling::model::{
    CrsSource, EncodingSource, FieldKind, Geometry, GeometryKind, Layer, ProblemLevel,
    SourceFormat, Value,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn point(layer: &Layer, fid: usize) -> Option<(f64, f64)> {
    match &layer.features[fid].geometry {
        Some(Geometry::Point(p)) => Some((p.x(), p.y())),
        None => None,
        Some(other) => panic!("not a point: {other:?}"),
    }
}

fn assert_near(got: Option<(f64, f64)>, want: (f64, f64)) {
    let (x, y) = got.unwrap_or_else(|| panic!("no point, expected {want:?}"));
    assert!(
        (x - want.0).abs() < 1e-7 && (y - want.1).abs() < 1e-7,
        "got ({x}, {y}), expected {want:?}"
    );
}

fn warnings(layer: &Layer) -> Vec<String> {
    layer
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Warning)
        .map(|p| p.to_string())
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const LON: f64 = 112.0 + 33.0 / 60.0 + 25.6 / 3600.0;
const LAT: f64 = 37.0 + 51.0 / 60.0 + 4.3 / 3600.0;

/// A workbook whose first sheet is a note without coordinates and whose second sheet
/// is a boiler ledger under a merged title row.
fn boiler_workbook(dir: &Path) -> PathBuf {
    let path = dir.join("boilers.xlsx");
    let mut wb = Workbook::new();
    let note = wb.add_worksheet();
    note.set_name("说明").unwrap();
    note.write_string(0, 0, "填报说明").unwrap();
    note.write_string(1, 0, "经纬度请用度分秒").unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    ws.merge_range(0, 0, 0, 5, "XX县燃煤锅炉台账", &Format::new())
        .unwrap();
    for (c, h) in [
        "序号",
        "单位名称",
        "经度(°)",
        "纬度(°)",
        "额定蒸发量(t/h)",
        "投运日期",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Excel row 3: plain numbers and a date.
    ws.write_number(2, 0, 1).unwrap();
    ws.write_string(2, 1, "甲热力公司").unwrap();
    ws.write_number(2, 2, 112.5567).unwrap();
    ws.write_number(2, 3, 37.8512).unwrap();
    ws.write_number(2, 4, 4).unwrap();
    ws.write_datetime_with_format(2, 5, ExcelDateTime::from_ymd(2015, 6, 1).unwrap(), &date)
        .unwrap();
    // Rows 4-6: DMS in several spellings and full-width digits.
    let rows: [(&str, &str); 3] = [
        ("112°33′25.6″", "37°51′04.3″"),
        ("112度33分25.6秒", "北纬37度51分4.3秒"),
        ("１１２°３３＇２５．６＂", "３７°５１＇０４．３＂"),
    ];
    for (i, (lon, lat)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_number(r, 0, (i + 2) as f64).unwrap();
        ws.write_string(r, 1, format!("单位{}", i + 2)).unwrap();
        ws.write_string(r, 2, *lon).unwrap();
        ws.write_string(r, 3, *lat).unwrap();
        ws.write_number(r, 4, 2.5).unwrap();
    }
    // Row 7 stays empty. Row 8: latitude not filled in yet.
    ws.write_number(7, 0, 5).unwrap();
    ws.write_string(7, 1, "戊洗浴中心").unwrap();
    ws.write_string(7, 2, "112 33 25.6").unwrap();
    ws.write_string(7, 3, "待补充").unwrap();
    // Row 9: this one row has latitude and longitude exchanged.
    ws.write_number(8, 0, 6).unwrap();
    ws.write_string(8, 1, "己酒店").unwrap();
    ws.write_number(8, 2, 37.85).unwrap();
    ws.write_number(8, 3, 112.55).unwrap();
    // Row 10: colon form with hemisphere letters.
    ws.write_number(9, 0, 7).unwrap();
    ws.write_string(9, 1, "庚厂").unwrap();
    ws.write_string(9, 2, "112:33:25.6E").unwrap();
    ws.write_string(9, 3, "37°51′4.3″N").unwrap();
    wb.save(&path).unwrap();
    path
}

#[test]
fn an_excel_ledger_with_a_title_row_and_mixed_spellings_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = boiler_workbook(dir.path());
    let layer = read_xlsx(&path, &ReadOptions::default()).unwrap();

    assert_eq!(layer.format, SourceFormat::Xlsx);
    assert_eq!(layer.geometry_kind, GeometryKind::Point);
    assert_eq!(layer.name, "boilers");
    let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "序号",
            "单位名称",
            "经度(°)",
            "纬度(°)",
            "额定蒸发量(t/h)",
            "投运日期"
        ]
    );
    let kinds: Vec<FieldKind> = layer.fields.iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [
            FieldKind::Integer,
            FieldKind::Text,
            FieldKind::Text,
            FieldKind::Text,
            FieldKind::Float,
            FieldKind::Date
        ]
    );
    // The empty Excel row 7 is skipped and not counted.
    assert_eq!(layer.features.len(), 7);
    let fids: Vec<u64> = layer.features.iter().map(|f| f.fid).collect();
    assert_eq!(fids, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(layer.features[0].attrs[0], Value::Int(1));
    assert_eq!(layer.features[0].attrs[5], Value::Date("2015-06-01".into()));
    assert_eq!(
        layer.features[1].attrs[2],
        Value::Text("112°33′25.6″".into())
    );

    assert_near(point(&layer, 0), (112.5567, 37.8512));
    for fid in [1, 2, 3, 6] {
        assert_near(point(&layer, fid), (LON, LAT));
    }
    // 待补充 in 纬度: that row has no point, the problem names row and column.
    assert_eq!(point(&layer, 4), None);
    let bad: Vec<_> = layer
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    assert_eq!(bad.len(), 1, "{:?}", layer.problems);
    assert_eq!(bad[0].row, Some(8));
    assert_eq!(bad[0].record, Some(4));
    assert_eq!(bad[0].field.as_deref(), Some("纬度(°)"));
    assert!(bad[0].message.contains("待补充"), "{}", bad[0].message);
    assert!(bad[0].hint.is_some());
    // The swapped row is fixed and reported at its Excel row.
    assert_near(point(&layer, 5), (112.55, 37.85));
    let swapped: Vec<_> = layer
        .problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Warning && p.row == Some(9))
        .collect();
    assert_eq!(swapped.len(), 1, "{:?}", layer.problems);
    assert!(swapped[0].message.contains("swapped"));

    let crs = layer.crs.crs.as_ref().unwrap();
    assert_eq!(crs.epsg, Some(4490));
    assert!(crs.geographic);
    assert_eq!(layer.crs.source, CrsSource::FormatDefault);
    assert!(layer.encoding.is_none());
}

#[test]
fn the_sheet_can_be_chosen_and_a_missing_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = boiler_workbook(dir.path());
    let opts = ReadOptions {
        sheet: Some("说明".into()),
        ..ReadOptions::default()
    };
    let layer = read_xlsx(&path, &opts).unwrap();
    assert_eq!(layer.geometry_kind, GeometryKind::None);
    assert!(
        warnings(&layer)
            .iter()
            .any(|w| w.contains("no longitude/latitude columns"))
    );

    let opts = ReadOptions {
        sheet: Some("Sheet9".into()),
        ..ReadOptions::default()
    };
    let err = read_xlsx(&path, &opts).unwrap_err();
    assert!(matches!(err, IoError::Missing { .. }));
    assert!(err.to_string().contains("台账"), "{err}");
}

#[test]
fn a_sheet_with_longitude_and_latitude_headers_swapped_is_read_the_right_way_round() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("swapped.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["名称", "经度", "纬度"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let sites = [(112.1, 37.1), (112.2, 37.2), (112.3, 37.3), (112.4, 37.4)];
    for (i, (lon, lat)) in sites.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, format!("点{r}")).unwrap();
        ws.write_number(r, 1, *lat).unwrap();
        ws.write_number(r, 2, *lon).unwrap();
    }
    // One row typed the right way round under the swapped headers.
    ws.write_string(5, 0, "点5").unwrap();
    ws.write_number(5, 1, 112.5).unwrap();
    ws.write_number(5, 2, 37.5).unwrap();
    wb.save(&path).unwrap();

    let layer = read_xlsx(&path, &ReadOptions::default()).unwrap();
    for (fid, want) in sites.iter().enumerate() {
        assert_near(point(&layer, fid), *want);
    }
    assert_near(point(&layer, 4), (112.5, 37.5));
    let layer_level: Vec<_> = layer.problems.iter().filter(|p| p.row.is_none()).collect();
    assert_eq!(layer_level.len(), 1, "{:?}", layer.problems);
    assert!(
        layer_level[0].message.contains("4 of 5 rows"),
        "{}",
        layer_level[0]
    );
    // Only the odd row gets its own warning.
    let rows: Vec<Option<u64>> = layer
        .problems
        .iter()
        .filter(|p| p.row.is_some())
        .map(|p| p.row)
        .collect();
    assert_eq!(rows, [Some(6)]);
}

#[test]
fn a_utf8_csv_with_bom_crlf_and_quoted_commas_loads() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "\u{FEFF}名称,经度,纬度,锅炉台数\r\n甲,112.5,37.8,2\r\n\"乙,有限公司\",112.6,37.9,1\r\n";
    let path = write_file(dir.path(), "sites.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.format, SourceFormat::Csv);
    assert_eq!(layer.fields[0].name, "名称");
    assert_eq!(layer.fields[3].kind, FieldKind::Integer);
    assert_eq!(layer.features.len(), 2);
    assert_eq!(
        layer.features[1].attrs[0],
        Value::Text("乙,有限公司".into())
    );
    assert_eq!(layer.features[1].attrs[1], Value::Float(112.6));
    assert_near(point(&layer, 1), (112.6, 37.9));
    let enc = layer.encoding.as_ref().unwrap();
    assert_eq!(enc.encoding, encoding_rs::UTF_8);
    assert_eq!(enc.source, EncodingSource::DetectedUtf8);
    assert!(layer.problems.is_empty(), "{:?}", layer.problems);
}

#[test]
fn a_gbk_csv_is_detected_and_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let text = "单位名称,经度,纬度,燃料类型\n太原市某热力公司,112.55,37.87,燃煤\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    assert!(std::str::from_utf8(&bytes).is_err());
    let path = write_file(dir.path(), "gbk.csv", &bytes);
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.fields[0].name, "单位名称");
    assert_eq!(
        layer.features[0].attrs[0],
        Value::Text("太原市某热力公司".into())
    );
    assert_eq!(layer.features[0].attrs[3], Value::Text("燃煤".into()));
    let enc = layer.encoding.as_ref().unwrap();
    assert_eq!(enc.encoding, encoding_rs::GB18030);
    assert_eq!(enc.source, EncodingSource::DetectedGb18030);

    // The user's choice wins and is recorded.
    let opts = ReadOptions {
        encoding: Some(encoding_rs::GBK),
        ..ReadOptions::default()
    };
    let layer = read_csv(&path, &opts).unwrap();
    assert_eq!(layer.fields[0].name, "单位名称");
    assert_eq!(layer.encoding.unwrap().source, EncodingSource::User);
}

#[test]
fn semicolons_mixed_line_endings_and_bad_cells_are_reported_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称;经度;纬度;备注\r\n\
                甲;112.5;37.8;\"两行\n备注\"\n\
                乙;112.6;37.9;\r\n\
                \n\
                丙;不详;37.9;\n\
                丁;112°33′;37°51′,;\r\n";
    let path = write_file(dir.path(), "semi.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.fields.len(), 4);
    assert_eq!(layer.features.len(), 4);
    assert_eq!(layer.features[0].attrs[3], Value::Text("两行\n备注".into()));
    assert_near(point(&layer, 1), (112.6, 37.9));
    assert_eq!(point(&layer, 2), None);
    assert_near(point(&layer, 3), (112.55, 37.85));
    assert_eq!(layer.problems.len(), 1, "{:?}", layer.problems);
    let p = &layer.problems[0];
    // Line 6 of the file: the quoted newline and the blank line count as lines.
    assert_eq!(p.row, Some(6));
    assert_eq!(p.record, Some(2));
    assert_eq!(p.field.as_deref(), Some("经度"));
    assert!(p.message.contains("不详"));
}

#[test]
fn projected_x_y_columns_follow_the_surveying_convention() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,X,Y\n甲,4231234.5,37512345.6\n乙,4231300.0,37512400.0\n";
    let path = write_file(dir.path(), "xy.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_near(point(&layer, 0), (37512345.6, 4231234.5));
    assert_near(point(&layer, 1), (37512400.0, 4231300.0));
    assert!(layer.crs.crs.is_none());
    assert!(matches!(layer.crs.source, CrsSource::Detected(_)));
    let w = warnings(&layer);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("northing"), "{}", w[0]);

    // Easting first, northing second: read as it is, no warning.
    let text = "名称,X坐标,Y坐标\n甲,512345.6,4231234.5\n";
    let path = write_file(dir.path(), "xy2.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_near(point(&layer, 0), (512345.6, 4231234.5));
    assert!(layer.problems.is_empty(), "{:?}", layer.problems);
}

#[test]
fn a_degree_row_in_a_projected_table_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,X,Y\n甲,512345.6,4231234.5\n乙,512400,4231300\n丙,112.5,37.8\n";
    let path = write_file(dir.path(), "mixed.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(point(&layer, 2), None);
    assert_eq!(layer.problems.len(), 1);
    assert_eq!(layer.problems[0].row, Some(4));
    assert_eq!(layer.problems[0].level, ProblemLevel::Error);
}

#[test]
fn points_outside_china_are_kept_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,lon,lat\n甲,112.5,37.8\n乙,2.35,48.85\n";
    let path = write_file(dir.path(), "far.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_near(point(&layer, 1), (2.35, 48.85));
    let w = warnings(&layer);
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("outside China"), "{}", w[0]);
}

#[test]
fn rows_flagged_as_amap_or_baidu_are_exposed_not_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,经度,纬度,坐标系\n甲,112.5,37.8,高德\n乙,112.5,37.8,BD-09\n丙,112.5,37.8,WGS84\n丁,112.5,37.8,\n";
    let path = write_file(dir.path(), "offsets.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(
        row_offset_kinds(&layer),
        [Some(MapOffset::Gcj02), Some(MapOffset::Bd09), None, None]
    );
    for fid in 0..4 {
        assert_near(point(&layer, fid), (112.5, 37.8));
    }
}

#[test]
fn user_named_columns_are_used_and_missing_ones_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,东,北\n甲,112.5,37.8\n";
    let path = write_file(dir.path(), "named.csv", text.as_bytes());
    let opts = ReadOptions {
        x_field: Some("东".into()),
        y_field: Some("北".into()),
        ..ReadOptions::default()
    };
    let layer = read_csv(&path, &opts).unwrap();
    assert_near(point(&layer, 0), (112.5, 37.8));

    let opts = ReadOptions {
        x_field: Some("lon".into()),
        ..ReadOptions::default()
    };
    let err = read_csv(&path, &opts).unwrap_err();
    assert!(matches!(err, IoError::Missing { .. }));
    assert!(err.to_string().contains("\"lon\""), "{err}");
}

#[test]
fn pseudo_decimal_ledgers_get_a_hint_and_can_be_read_as_dms() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,经度,纬度\n甲,112.3325,37.5104\n乙,112.4512,37.4531\n丙,112.0503,37.2015\n";
    let path = write_file(dir.path(), "pseudo.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_near(point(&layer, 0), (112.3325, 37.5104));
    assert!(warnings(&layer).iter().any(|w| w.contains("112.3325")));

    let table = TableOptions {
        pseudo_decimal: true,
    };
    let layer = read_csv_with(&path, &ReadOptions::default(), table).unwrap();
    assert_near(
        point(&layer, 0),
        (
            112.0 + 33.0 / 60.0 + 25.0 / 3600.0,
            37.0 + 51.0 / 60.0 + 4.0 / 3600.0,
        ),
    );
    assert!(layer.problems.is_empty(), "{:?}", layer.problems);
}

#[test]
fn a_row_without_coordinates_keeps_its_place_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,经度,纬度\n甲,,\n乙,112.5,37.8\n";
    let path = write_file(dir.path(), "empty.csv", text.as_bytes());
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    assert_eq!(layer.features.len(), 2);
    assert_eq!(point(&layer, 0), None);
    assert_eq!(layer.problems.len(), 1);
    assert_eq!(layer.problems[0].row, Some(2));
    assert_near(point(&layer, 1), (112.5, 37.8));
}

#[test]
fn missing_and_unreadable_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let err = read_csv(&missing, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Io { .. }));
    assert!(err.to_string().contains("nope.csv"));

    let junk = write_file(dir.path(), "junk.xlsx", b"this is not a workbook");
    let err = read_xlsx(&junk, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }));
    assert!(err.to_string().contains("junk.xlsx"));
}

#[test]
fn geometry_only_reading_skips_the_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,经度,纬度\n甲,112.5,37.8\n";
    let path = write_file(dir.path(), "geo.csv", text.as_bytes());
    let opts = ReadOptions {
        geometry_only: true,
        ..ReadOptions::default()
    };
    let layer = read_csv(&path, &opts).unwrap();
    assert!(layer.fields.is_empty());
    assert!(layer.features[0].attrs.is_empty());
    assert_near(point(&layer, 0), (112.5, 37.8));
}

#[test]
fn a_csv_over_two_gib_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    // A sparse file: no disk space is used.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(2 * 1024 * 1024 * 1024 + 1).unwrap();
    let err = read_csv(&path, &ReadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("huge.csv")
            && msg.contains("at most 2048 MiB per file")
            && msg.contains("QINGLING_MAX_FILE_MB"),
        "{msg}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// Whatever the bytes, reading gives a layer or an error, never a panic.
    #[test]
    fn arbitrary_csv_bytes_never_panic(
        body in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::prelude::Just(b','), proptest::prelude::Just(b';'),
                proptest::prelude::Just(b'\t'), proptest::prelude::Just(b'"'),
                proptest::prelude::Just(b'\n'), proptest::prelude::Just(b'\r'),
                proptest::prelude::Just(b'1'), proptest::prelude::Just(b'.'),
                proptest::prelude::any::<u8>(),
            ],
            0..200,
        ),
        header in proptest::prelude::any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = if header { "经度,纬度,X,Y\n".as_bytes().to_vec() } else { Vec::new() };
        bytes.extend(body);
        let path = write_file(dir.path(), "fuzz.csv", &bytes);
        if let Ok(layer) = read_csv(&path, &ReadOptions::default()) {
            for (i, f) in layer.features.iter().enumerate() {
                proptest::prop_assert_eq!(f.fid, i as u64);
                proptest::prop_assert_eq!(f.attrs.len(), layer.fields.len());
            }
        }
    }
}

/// Not run by default: `cargo test --release --test read_tables -- --ignored`.
#[test]
#[ignore]
fn a_million_row_csv_loads_quickly() {
    use std::fmt::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("序号,单位名称,县区,经度,纬度,额定蒸发量,状态\n");
    for i in 0..1_000_000u32 {
        let lon = 110.5 + f64::from(i % 4000) * 0.001;
        let lat = 35.0 + f64::from(i / 4000) * 0.02;
        writeln!(
            text,
            "{i},某某单位{i},小店区,{lon:.6},{lat:.6},{}.5,在用",
            i % 35
        )
        .unwrap();
    }
    let path = write_file(dir.path(), "big.csv", text.as_bytes());
    let start = std::time::Instant::now();
    let layer = read_csv(&path, &ReadOptions::default()).unwrap();
    let took = start.elapsed();
    assert_eq!(layer.features.len(), 1_000_000);
    assert!(layer.problems.is_empty());
    eprintln!("1M rows in {took:?}");
}
