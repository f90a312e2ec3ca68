//! CSV and Excel ledgers as typed by hand.

use qingling::model::ProblemLevel;
use rust_xlsxwriter::{Format, Workbook};

use super::*;

#[test]
fn a_csv_with_a_bom_and_mixed_line_endings_reads_every_row() {
    let d = tmp();
    let p = d.path().join("混合换行.csv");
    let text = "\u{feff}单位名称,经度,纬度\r\n甲,112.5,37.8\n乙,112.6,37.9\r丙,112.7,37.7\r\n";
    std::fs::write(&p, text).unwrap();
    let layer = load(&p);
    assert_eq!(
        layer.fields[0].name, "单位名称",
        "the BOM is not part of the name"
    );
    let names: Vec<&Value> = layer.features.iter().map(|f| &f.attrs[0]).collect();
    assert_eq!(
        names,
        vec![
            &Value::Text("甲".into()),
            &Value::Text("乙".into()),
            &Value::Text("丙".into())
        ]
    );
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
}

#[test]
fn text_in_csv_coordinate_cells_costs_only_its_row_and_names_the_line() {
    let d = tmp();
    let p = d.path().join("坐标文字.csv");
    std::fs::write(
        &p,
        "单位名称,经度,纬度\n甲,112.5,37.8\n乙,待补充,37.9\n丙,112.7,37.7\n",
    )
    .unwrap();
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0, 2]);
    let p1 = layer
        .problems
        .iter()
        .find(|p| p.record == Some(1))
        .unwrap_or_else(|| panic!("{:#?}", layer.problems));
    assert_eq!(p1.level, ProblemLevel::Error);
    assert_eq!(p1.row, Some(3), "line 3 of the file");
    assert!(p1.message.contains("待补充"), "{p1}");
    assert!(p1.to_string().contains("坐标文字.csv, row 3"), "{p1}");
}

#[test]
fn a_csv_without_coordinate_columns_loads_as_a_table_with_a_warning_naming_the_columns() {
    let d = tmp();
    let p = d.path().join("无坐标.csv");
    std::fs::write(&p, "单位名称,地址\n甲,太原\n").unwrap();
    let layer = load(&p);
    assert_eq!(layer.features.len(), 1);
    assert!(with_geometry(&layer).is_empty());
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "no longitude/latitude columns found (looked for 经度/纬度, lon/lat, X/Y); the columns are: 单位名称, 地址",
    );
}

#[test]
fn an_empty_csv_loads_as_an_empty_layer_saying_the_file_is_empty() {
    let d = tmp();
    let p = d.path().join("空.csv");
    std::fs::write(&p, "").unwrap();
    let layer = load(&p);
    assert!(layer.features.is_empty());
    assert_file_problem(&layer, ProblemLevel::Warning, "the file is empty");
}

#[test]
fn csv_bytes_that_are_neither_utf8_nor_gbk_are_replaced_and_reported() {
    let d = tmp();
    let p = d.path().join("乱码.csv");
    let mut bytes = b"name,lon,lat\nA".to_vec();
    bytes.extend_from_slice(&[0xFF, 0x80]);
    bytes.extend_from_slice(b",112.5,37.8\n");
    std::fs::write(&p, bytes).unwrap();
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0]);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "the file is neither valid UTF-8 nor valid GBK/GB18030; bad bytes were replaced by \u{FFFD}",
    );
    // 0xFF starts nothing in GB18030 and is replaced; 0x80 alone is its euro sign.
    assert_eq!(layer.features[0].attrs[0], Value::Text("A\u{FFFD}€".into()));
}

fn xlsx(path: &Path, build: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    build(ws);
    wb.save(path).unwrap();
}

#[test]
fn text_in_xlsx_coordinate_cells_costs_only_its_row_and_names_the_excel_row() {
    let d = tmp();
    let p = d.path().join("台账.xlsx");
    xlsx(&p, |ws| {
        for (c, h) in ["单位名称", "经度", "纬度"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "甲").unwrap();
        ws.write_number(1, 1, 112.5).unwrap();
        ws.write_number(1, 2, 37.8).unwrap();
        ws.write_string(2, 0, "乙").unwrap();
        ws.write_string(2, 1, "见附件").unwrap();
        ws.write_string(2, 2, "N/A").unwrap();
        ws.write_string(3, 0, "丙").unwrap();
        ws.write_string(3, 1, "112°36′00″").unwrap();
        ws.write_string(3, 2, "37°48′00″").unwrap();
    });
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0, 2]);
    let p1 = layer
        .problems
        .iter()
        .find(|p| p.record == Some(1))
        .unwrap_or_else(|| panic!("{:#?}", layer.problems));
    assert_eq!(p1.row, Some(3), "Excel row 3");
    assert!(p1.message.contains("见附件"), "{p1}");
}

#[test]
fn merged_title_and_header_cells_are_read_through() {
    let d = tmp();
    let p = d.path().join("合并表头.xlsx");
    xlsx(&p, |ws| {
        let bold = Format::new().set_bold();
        ws.merge_range(0, 0, 0, 3, "汾源县燃煤锅炉台账（2026年）", &bold)
            .unwrap();
        ws.merge_range(1, 0, 2, 0, "单位名称", &bold).unwrap();
        ws.merge_range(1, 1, 1, 2, "坐标", &bold).unwrap();
        ws.write_string(2, 1, "经度").unwrap();
        ws.write_string(2, 2, "纬度").unwrap();
        ws.merge_range(1, 3, 2, 3, "燃料", &bold).unwrap();
        for (i, name) in ["甲", "乙"].iter().enumerate() {
            let r = 3 + i as u32;
            ws.write_string(r, 0, *name).unwrap();
            ws.write_number(r, 1, 112.5 + i as f64 / 10.0).unwrap();
            ws.write_number(r, 2, 37.8).unwrap();
            ws.write_string(r, 3, "燃煤").unwrap();
        }
    });
    let layer = load(&p);
    assert_eq!(with_geometry(&layer), vec![0, 1]);
    assert_eq!(layer.features[1].attrs[0], Value::Text("乙".into()));
    let Some(Geometry::Point(pt)) = &layer.features[1].geometry else {
        panic!("a point expected");
    };
    assert!((pt.x() - 112.6).abs() < 1e-9 && (pt.y() - 37.8).abs() < 1e-9);
}

#[test]
fn a_stray_cell_at_the_far_corner_of_a_sheet_does_not_allocate_the_whole_sheet() {
    // One cell typed in XFD1048576: the used range spans 17 billion cells. Reading
    // it as a range would allocate all of them; the reader streams cells instead.
    let d = tmp();
    let p = d.path().join("角落.xlsx");
    xlsx(&p, |ws| {
        for (c, h) in ["单位名称", "经度", "纬度"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "甲").unwrap();
        ws.write_number(1, 1, 112.5).unwrap();
        ws.write_number(1, 2, 37.8).unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
    });
    let q = p.clone();
    let layer = within_secs(5, move || load(&q));
    // The stray cell is beyond the header's columns: reported by its row, ignored.
    assert_eq!(with_geometry(&layer), vec![0]);
    assert_eq!(layer.features.len(), 1);
    assert_file_problem(
        &layer,
        ProblemLevel::Warning,
        "1 rows have more cells than the header has columns (first at row 1048576); the extra cells were ignored",
    );
}

#[test]
fn a_csv_header_of_two_hundred_thousand_columns_reads_in_linear_time() {
    let d = tmp();
    let p = d.path().join("宽表头.csv");
    let mut text = String::from("名称,经度,纬度");
    text.push_str(&",".repeat(200_000));
    text.push_str("\n甲,112.5,37.8\n");
    std::fs::write(&p, text).unwrap();
    let q = p.clone();
    let layer = within_secs(5, move || load(&q));
    assert_eq!(with_geometry(&layer), vec![0]);
    assert_eq!(layer.fields.len(), 3, "empty trailing columns are dropped");
}

#[test]
fn a_text_file_named_xlsx_is_refused() {
    let d = tmp();
    let p = d.path().join("改名.xlsx");
    std::fs::write(&p, "单位名称,经度,纬度\n甲,112.5,37.8\n").unwrap();
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "not a readable Excel workbook");
}

#[test]
fn a_workbook_with_only_empty_sheets_is_refused() {
    let d = tmp();
    let p = d.path().join("空表.xlsx");
    xlsx(&p, |_| {});
    let (_, msg) = load_err(&p);
    assert_names(&msg, &p, "the workbook has no sheet with data");
}

#[test]
fn an_unknown_extension_and_a_missing_file_are_refused_naming_them() {
    let d = tmp();
    let p = d.path().join("说明.txt");
    std::fs::write(&p, "x").unwrap();
    let (e, msg) = load_err(&p);
    assert!(matches!(e, IoError::Unsupported { .. }), "{e:?}");
    assert_names(&msg, &p, "unsupported file type");
    let missing = d.path().join("不存在.csv");
    let (e, msg) = load_err(&missing);
    assert!(matches!(e, IoError::Io { .. }), "{e:?}");
    assert_names(&msg, &missing, "os error 2");
}
