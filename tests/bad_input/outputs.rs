//! Safe outputs: a ledger whose names are spreadsheet formulas goes through
//! `qingling check` and comes out inert in CSV and XLSX.

use std::process::Command;

use calamine::{Data, Reader};
use qingling::model::Finding;

use super::*;

const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "@SUM(1)",
    "+86 351 1234",
    "-1+cmd|' /C calc'!A0",
];

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// The sample boiler ledger with every 单位名称 replaced by a formula-like text.
fn hostile_ledger(out: &Path) {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(sample("锅炉台账.xlsx")).unwrap();
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).unwrap();
    let (r0, c0) = range.start().unwrap();
    let name_col = range
        .rows()
        .take(5)
        .find_map(|row| {
            row.iter()
                .position(|c| matches!(c, Data::String(s) if s == "单位名称"))
        })
        .expect("the sample has a 单位名称 column");
    let mut out_wb = rust_xlsxwriter::Workbook::new();
    let ws = out_wb.add_worksheet();
    let mut seen_header = false;
    let mut k = 0;
    for (i, row) in range.rows().enumerate() {
        let r = r0 + i as u32;
        for (j, cell) in row.iter().enumerate() {
            let c = (c0 as usize + j) as u16;
            if seen_header && j == name_col && !matches!(cell, Data::Empty) {
                ws.write_string(r, c, HOSTILE[k % HOSTILE.len()]).unwrap();
                k += 1;
                continue;
            }
            match cell {
                Data::Empty => {}
                Data::String(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                Data::Float(f) => {
                    ws.write_number(r, c, *f).unwrap();
                }
                Data::Int(n) => {
                    ws.write_number(r, c, *n as f64).unwrap();
                }
                other => {
                    ws.write_string(r, c, other.to_string()).unwrap();
                }
            }
        }
        if row.get(name_col) == Some(&Data::String("单位名称".into())) {
            seen_header = true;
        }
    }
    assert!(k >= 10, "only {k} names replaced");
    out_wb.save(out).unwrap();
}

fn check(ledger: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_qingling"))
        .args(["check", "--quiet", "--water-zones"])
        .arg(sample("水源保护区.shp"))
        .arg("--coal-ban-zones")
        .arg(sample("禁煤区.geojson"))
        .arg("--boilers")
        .arg(ledger)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

const NUMERIC: [&str; 5] = ["site_fid", "zone_fid", "distance_m", "lon", "lat"];

fn formula_like(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

#[test]
fn formula_names_in_a_ledger_come_out_inert_in_csv_and_xlsx() {
    let d = tmp();
    let ledger = d.path().join("锅炉台账.xlsx");
    hostile_ledger(&ledger);
    let csv_out = d.path().join("问题.csv");
    let xlsx_out = d.path().join("问题.xlsx");
    check(&ledger, &csv_out);
    check(&ledger, &xlsx_out);

    // CSV: every text cell that would start a formula carries a leading quote.
    let bytes = std::fs::read(&csv_out).unwrap();
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    let name_at = headers.iter().position(|h| h == "site_name").unwrap();
    let mut names = std::collections::BTreeSet::new();
    let mut rows = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        rows += 1;
        for (h, v) in headers.iter().zip(rec.iter()) {
            if !NUMERIC.contains(&h) {
                assert!(!formula_like(v), "{h} = {v:?} would run as a formula");
            }
        }
        names.insert(rec[name_at].to_string());
    }
    assert!(rows > 0);
    assert!(
        names.contains("'=HYPERLINK(\"http://x\",\"y\")"),
        "{names:?}"
    );
    assert!(names.contains("'@SUM(1)"), "{names:?}");
    for n in &names {
        let restored = qingling::export::restore_cell(n);
        assert!(HOSTILE.contains(&restored), "{n:?}");
    }

    // XLSX: the same text, stored as strings; no cell holds a formula.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&xlsx_out).unwrap();
    for sheet in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "sheet {sheet} holds formulas"
        );
    }
    let sheet = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&sheet).unwrap();
    let zh_name = Finding::COLUMNS_ZH[Finding::COLUMNS
        .iter()
        .position(|c| *c == "site_name")
        .unwrap()];
    let mut rows_iter = range.rows();
    let header = rows_iter.next().unwrap();
    let col = header
        .iter()
        .position(|c| matches!(c, Data::String(s) if s == zh_name))
        .unwrap();
    let xlsx_names: std::collections::BTreeSet<String> = rows_iter
        .map(|row| match &row[col] {
            Data::String(s) => s.clone(),
            other => panic!("site name should be text: {other:?}"),
        })
        .collect();
    assert_eq!(xlsx_names, names);
    for row in range.rows() {
        for cell in row {
            if let Data::String(s) = cell {
                assert!(!formula_like(s), "{s:?} would run as a formula");
            }
        }
    }
}

#[test]
fn a_shapefile_export_writes_its_set_and_nothing_else_into_the_chosen_folder() {
    let d = tmp();
    let ledger = d.path().join("锅炉台账.xlsx");
    hostile_ledger(&ledger);
    let out_dir = d.path().join("导出");
    std::fs::create_dir(&out_dir).unwrap();
    check(&ledger, &out_dir.join("问题台账.shp"));
    let mut files: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "问题台账.cpg",
            "问题台账.dbf",
            "问题台账.prj",
            "问题台账.shp",
            "问题台账.shx"
        ]
    );
    let mut top: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["导出", "锅炉台账.xlsx"]);
}
