//! `qingling check` and `qingling demo` run as the real binary on the bundled sample
//! data; every export is read back with an independent reader (csv, calamine,
//! serde_json, shapefile + dbase, rusqlite) and compared with the CSV ledger; a
//! re-run on refreshed data keeps review decisions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader};
use qingling::model::ReviewStatus;
use qingling::project::{Presence, Project, ReviewAction};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_qingling"))
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "exit {:?}: {err}", out.status.code());
    err
}

/// The CSV ledger as rows of column → text, keyed by finding_id.
fn read_csv(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "CSV must start with a UTF-8 BOM for Excel"
    );
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        qingling::model::Finding::COLUMNS.to_vec()
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let row: BTreeMap<String, String> = headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect();
            (row["finding_id"].clone(), row)
        })
        .collect()
}

fn num_eq(a: &str, b: f64) -> bool {
    a.parse::<f64>()
        .map(|x| (x - b).abs() < 1e-6)
        .unwrap_or(false)
}

#[test]
fn demo_writes_every_format_and_they_agree_with_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("演示 输出");
    run(bin().args(["demo", "--quiet", "--out"]).arg(&out));
    let csv = read_csv(&out.join("问题台账.csv"));
    assert!(csv.len() >= 15, "only {} findings", csv.len());
    // Every rule of DOMAIN.md's table fires on the sample data.
    let rules: std::collections::BTreeSet<&str> =
        csv.values().map(|r| r["rule_id"].as_str()).collect();
    for r in [
        "water-level1",
        "water-outfall",
        "water-near-boundary",
        "scattered-polluting-open",
    ] {
        assert!(rules.contains(r), "rule {r} did not fire: {rules:?}");
    }
    assert!(rules.iter().any(|r| r.starts_with("coal-ban")), "{rules:?}");
    assert!(
        rules.iter().any(|r| r.starts_with("boiler-elimination")),
        "{rules:?}"
    );

    // XLSX: calamine, Chinese headers, same rows.
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(out.join("问题台账.xlsx")).unwrap();
    let sheet = wb.worksheet_range("问题台账").unwrap();
    let mut rows = sheet.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(
        header,
        qingling::model::Finding::COLUMNS_ZH
            .map(String::from)
            .to_vec()
    );
    let mut n = 0;
    for row in rows {
        let id = row[0].to_string();
        let c = &csv[&id];
        assert_eq!(row[5].to_string(), c["site_name"]);
        assert_eq!(row[13].to_string(), c["county"]);
        if let Data::Float(d) = row[10] {
            assert!(
                num_eq(&c["distance_m"], d),
                "{id}: {d} vs {}",
                c["distance_m"]
            );
        }
        n += 1;
    }
    assert_eq!(n, csv.len());
    assert!(wb.worksheet_range("汇总").is_ok(), "summary sheet");

    // GeoJSON: serde_json.
    let gj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("问题台账.geojson")).unwrap()).unwrap();
    let feats = gj["features"].as_array().unwrap();
    assert_eq!(feats.len(), csv.len());
    for f in feats {
        let p = &f["properties"];
        let c = &csv[p["finding_id"].as_str().unwrap()];
        assert_eq!(p["site_name"].as_str().unwrap(), c["site_name"]);
        assert!(num_eq(
            &c["lon"],
            f["geometry"]["coordinates"][0].as_f64().unwrap()
        ));
        assert!(num_eq(
            &c["lat"],
            f["geometry"]["coordinates"][1].as_f64().unwrap()
        ));
    }

    // Shapefile: the shapefile crate for points, dbase with GBK for the records.
    assert_eq!(
        std::fs::read_to_string(out.join("问题台账.cpg"))
            .unwrap()
            .trim(),
        "GBK"
    );
    let shapes =
        shapefile::read_shapes_as::<_, shapefile::Point>(out.join("问题台账.shp")).unwrap();
    assert_eq!(shapes.len(), csv.len());
    let mut dbf = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(dbase::encoding_rs::GBK))
        .open(out.join("问题台账.dbf"))
        .unwrap();
    let records = dbf.read().unwrap();
    for (rec, pt) in records.iter().zip(&shapes) {
        let text = |name: &str| match rec.get(name) {
            Some(dbase::FieldValue::Character(Some(s))) => s.clone(),
            other => panic!("{name}: {other:?}"),
        };
        let c = &csv[&text("编号")];
        assert_eq!(text("点位名"), c["site_name"]);
        assert_eq!(text("状态"), c["status"]);
        assert!(num_eq(&c["lon"], pt.x) && num_eq(&c["lat"], pt.y));
    }

    // GeoPackage: rusqlite.
    let conn = rusqlite::Connection::open(out.join("问题台账.gpkg")).unwrap();
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app_id, 0x4750_4B47);
    let mut stmt = conn
        .prepare("SELECT finding_id, site_name, rule_id FROM findings")
        .unwrap();
    let got: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(got.len(), csv.len());
    for (id, name, rule) in got {
        assert_eq!(name, csv[&id]["site_name"]);
        assert_eq!(rule, csv[&id]["rule_id"]);
    }
}

#[test]
fn ogrinfo_reads_the_exported_shapefile_and_geopackage_in_chinese_when_gdal_is_installed() {
    let ogrinfo = |args: &[&str], path: &Path| {
        Command::new("ogrinfo")
            .args(["-ro", "-al", "-geom=NO"])
            .args(args)
            .arg(path)
            .output()
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    match Command::new("ogrinfo").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => {
            eprintln!("ogrinfo not installed: skipped");
            return;
        }
    }
    run(bin().args(["demo", "--quiet", "--out"]).arg(&out));
    let csv = read_csv(&out.join("问题台账.csv"));
    for (file, name_field) in [("问题台账.shp", "点位名"), ("问题台账.gpkg", "site_name")]
    {
        let o = ogrinfo(&[], &out.join(file)).unwrap();
        let (stdout, stderr) = (
            String::from_utf8(o.stdout).expect("ogrinfo prints UTF-8"),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{file}: {stderr}");
        assert!(
            !stderr.contains("ERROR") && !stderr.contains("Warning"),
            "{file}: {stderr}"
        );
        assert!(
            stdout.contains(&format!("Feature Count: {}", csv.len())),
            "{file}: {stdout}"
        );
        // Every finding's site name and county, as GDAL decodes them.
        for row in csv.values() {
            let name = format!("{name_field} (String) = {}", row["site_name"]);
            assert!(stdout.contains(&name), "{file}: no {name}");
            assert!(
                stdout.contains(&row["county"]),
                "{file}: no {}",
                row["county"]
            );
        }
    }
}

#[test]
fn a_rerun_on_refreshed_data_keeps_decisions_and_marks_what_disappeared() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("项目.gpkg");
    let outfalls = dir.path().join("入河排污口.csv");
    std::fs::copy(sample("入河排污口.csv"), &outfalls).unwrap();
    let check = |out: &str| {
        run(bin()
            .args(["check", "--quiet", "--project"])
            .arg(&project)
            .arg("--water-zones")
            .arg(sample("水源保护区.shp"))
            .arg("--outfalls")
            .arg(&outfalls)
            .arg("--out")
            .arg(dir.path().join(out)));
        read_csv(&dir.path().join(out))
    };
    let first = check("first.csv");
    let tables = |role: &str| -> Vec<String> {
        let p = Project::open(&project).unwrap();
        let layers = p.layers().unwrap();
        (layers.into_iter().filter(|l| l.role == role))
            .map(|l| l.table_name)
            .collect()
    };
    let (zones_table, outfalls_table) = (tables("water_zone"), tables("outfall"));
    assert_eq!((zones_table.len(), outfalls_table.len()), (1, 1));
    let (kept_id, kept) = first
        .iter()
        .find(|(_, r)| r["site_name"] == "库南生活污水排口")
        .unwrap();
    let (gone_id, _) = first
        .iter()
        .find(|(_, r)| r["site_name"] == "东河泵站排水口")
        .unwrap();
    {
        let mut p = Project::open(&project).unwrap();
        p.review(&ReviewAction {
            finding_id: kept_id.clone(),
            status: Some(ReviewStatus::Confirmed),
            note: Some("现场核实：排口仍在使用".into()),
            reviewer: "张工".into(),
        })
        .unwrap();
    }
    // Refreshed data: the pump-station outfall was removed (records reordered too),
    // and a new outfall appeared inside the reservoir's level 2.
    let text = std::fs::read_to_string(&outfalls).unwrap();
    let mut lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("东河泵站排水口"))
        .collect();
    lines[1..].reverse();
    let mut refreshed = lines.join("\r\n");
    refreshed.push_str(&format!(
        "\r\n新设排污口,生活污水,汾源县,{},{}\r\n",
        kept["lon"], kept["lat"]
    ));
    std::fs::write(&outfalls, refreshed).unwrap();

    let second = check("second.csv");
    // The zones did not change: their table is kept. The outfalls did: imported
    // again, replacing the earlier import.
    assert_eq!(tables("water_zone"), zones_table);
    let refreshed_table = tables("outfall");
    assert_eq!(refreshed_table.len(), 1);
    assert_ne!(refreshed_table, outfalls_table);
    assert_eq!(second[kept_id]["status"], "已确认");
    assert_eq!(second[kept_id]["note"], "现场核实：排口仍在使用");
    assert!(!second.contains_key(gone_id));
    let p = Project::open(&project).unwrap();
    let rows = p.findings().unwrap();
    let by_id = |id: &str| rows.iter().find(|r| r.finding.finding_id == id).unwrap();
    assert_eq!(by_id(kept_id).presence, Presence::Existing);
    assert_eq!(by_id(gone_id).presence, Presence::ResolvedByData);
    let new = rows
        .iter()
        .find(|r| r.finding.site_name == "新设排污口")
        .unwrap();
    assert_eq!(new.presence, Presence::New);
    assert_eq!(p.history(kept_id).unwrap().len(), 1);
    drop(p);

    // Only the outfalls again, under another name: they replace the project's
    // outfalls, and the zones the project holds take part.
    let renamed = dir.path().join("入河排污口（更新）.csv");
    std::fs::copy(&outfalls, &renamed).unwrap();
    run(bin()
        .args(["check", "--quiet", "--project"])
        .arg(&project)
        .arg("--outfalls")
        .arg(&renamed)
        .arg("--out")
        .arg(dir.path().join("third.csv")));
    let third = read_csv(&dir.path().join("third.csv"));
    // The same findings: a finding id names the layer only for sites keyed by record
    // number, and these outfalls are keyed by name and place.
    assert!(third.keys().eq(second.keys()));
    assert_eq!(third[kept_id]["status"], "已确认");
    assert_eq!(third[kept_id]["site_layer"], "入河排污口（更新）");
    assert_eq!(tables("water_zone"), zones_table);
    let p = Project::open(&project).unwrap();
    let outfall_layers: Vec<String> = (p.layers().unwrap().into_iter())
        .filter(|l| l.role == "outfall")
        .map(|l| l.name)
        .collect();
    assert_eq!(outfall_layers, ["入河排污口（更新）"]);
    let resolved = (p.findings().unwrap().into_iter())
        .filter(|r| r.presence == Presence::ResolvedByData)
        .count();
    assert_eq!(resolved, 1, "only the outfall removed in the second run");
}

#[test]
fn a_bad_rule_file_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nid = \"x\"\nseverity = \"violation\nsite_roles = []\n",
    )
    .unwrap();
    let out = bin()
        .args(["check", "--water-zones"])
        .arg(sample("水源保护区.shp"))
        .arg("--outfalls")
        .arg(sample("入河排污口.csv"))
        .arg("--rules")
        .arg(&rules)
        .arg("--out")
        .arg(dir.path().join("f.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.toml:3:"), "{err}");
}

#[test]
fn an_output_folder_that_does_not_exist_is_said_before_the_check_runs() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("导出");
    let out = bin()
        .args(["check", "--water-zones"])
        .arg(sample("水源保护区.shp"))
        .arg("--out")
        .arg(missing.join("台账.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("the folder {} does not exist", missing.display())),
        "{err}"
    );
    assert!(
        !err.contains("reading layers"),
        "said before reading: {err}"
    );
    assert!(!missing.exists());

    // The same for the join, and for a folder that is a file.
    let file = dir.path().join("台账.txt");
    std::fs::write(&file, "").unwrap();
    let out = bin()
        .args(["join", "--zones"])
        .arg(sample("水源保护区.shp"))
        .arg("--sites")
        .arg(sample("入河排污口.csv"))
        .arg("--out")
        .arg(file.join("pairs.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a file, not a folder"), "{err}");
}
