//! Writes a scale test set: N point sites × M zone polygons as shapefiles in
//! CGCS2000 3-degree Gauss-Kruger CM 111E (EPSG:4546, with an ESRI .prj) and GBK DBFs
//! (language driver 0x4D, no .cpg), like county offices send them.
//!
//!     cargo run --release --example scale_data -- --sites 1000000 --zones 2000 --out scale-data/1m-2k
//!
//! `--kind enterprise` writes an enterprise list (企业名称/县区/行业/是否散乱污/整治类型)
//! to `enterprises.shp` instead of the boiler ledger `sites.shp`. Without
//! `--open-percent` none of its 散乱污 enterprises is dealt with (a stress case: three
//! in four get a finding); `--open-percent P` adds a 是否完成 column with P% of the
//! enterprises not yet done (否), as a ledger reads part-way through a campaign.
//! `--text-width W` makes every text field at least W bytes wide, padded as ledgers
//! exported from ArcGIS (254) or Excel (50–255) are; by default each is as wide as
//! its longest value. `--seed` varies the
//! site positions (the zones are always drawn from seed 2019 so both files fit one
//! `zones.shp`).

use std::path::PathBuf;

use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use qingling::model::{FieldDef, FieldKind, Value};
use qingling::synth;

const COUNTIES: [&str; 8] = [
    "小店区",
    "迎泽区",
    "清徐县",
    "阳曲县",
    "娄烦县",
    "古交市",
    "晋源区",
    "尖草坪区",
];
const FUELS: [&str; 5] = ["燃煤", "天然气", "电", "生物质", "洁净型煤"];
const STATUS: [&str; 3] = ["在用", "停用", "已淘汰"];
const LEVELS: [&str; 3] = ["一级保护区", "二级保护区", "准保护区"];
const INDUSTRIES: [&str; 6] = [
    "塑料制品",
    "铸造",
    "家具制造",
    "食品加工",
    "废旧金属回收",
    "印刷",
];
const REMEDIATION: [&str; 3] = ["关停取缔", "整合搬迁", "升级改造"];

/// Which site file to write.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Boiler,
    Enterprise,
}

/// The zones do not depend on `--seed`, so boiler and enterprise files share them.
const ZONE_SEED: u64 = 2019;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sites = 1_000_000usize;
    let mut zones = 2_000usize;
    let mut out = PathBuf::from("scale-data");
    let mut seed = 2019u64;
    let mut kind = Kind::Boiler;
    let mut open_percent: Option<u64> = None;
    let mut text_width = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--sites" => sites = v.parse()?,
            "--zones" => zones = v.parse()?,
            "--out" => out = v.into(),
            "--seed" => seed = v.parse()?,
            "--text-width" => text_width = v.parse()?,
            "--open-percent" => {
                let p: u64 = v.parse()?;
                if p > 100 {
                    return Err(format!("--open-percent {v}: 0 to 100").into());
                }
                open_percent = Some(p);
            }
            "--kind" => {
                kind = match v.as_str() {
                    "boiler" => Kind::Boiler,
                    "enterprise" => Kind::Enterprise,
                    _ => return Err(format!("--kind {v}: boiler or enterprise").into()),
                }
            }
            _ => return Err(format!("unknown argument {a}").into()),
        }
    }
    std::fs::create_dir_all(&out)?;
    let prj = qingling::crs::prj_wkt_for_epsg(4546);
    let opts = ShapefileWriteOptions {
        encoding: encoding_rs::GBK,
        ldid: Some(0x4D),
        write_cpg: false,
        prj,
        text_width,
        ..ShapefileWriteOptions::default()
    };

    let zone_geoms = synth::zones(zones, ZONE_SEED, 0.2);
    let zone_fields = vec![
        FieldDef {
            name: "水源地名称".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "保护区级别".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "县区".into(),
            kind: FieldKind::Text,
        },
    ];
    let zone_rows: Vec<Vec<Value>> = (0..zones)
        .map(|i| {
            vec![
                Value::Text(format!("第{i}号水源地")),
                Value::Text(LEVELS[i % 3].into()),
                Value::Text(COUNTIES[i % COUNTIES.len()].into()),
            ]
        })
        .collect();
    let zone_opt: Vec<_> = zone_geoms.iter().cloned().map(Some).collect();
    write_shapefile(
        &out.join("zones.shp"),
        &zone_opt,
        &zone_fields,
        &zone_rows,
        &opts,
    )?;
    eprintln!("wrote {zones} zones");

    let site_geoms: Vec<_> = synth::sites(sites, seed, &zone_geoms)
        .into_iter()
        .map(Some)
        .collect();
    drop(zone_opt);
    let (file, site_fields, site_rows) = match kind {
        Kind::Boiler => ("sites.shp", boiler_fields(), boiler_rows(sites)),
        Kind::Enterprise => (
            "enterprises.shp",
            enterprise_fields(open_percent.is_some()),
            enterprise_rows(sites, open_percent),
        ),
    };
    write_shapefile(
        &out.join(file),
        &site_geoms,
        &site_fields,
        &site_rows,
        &opts,
    )?;
    eprintln!("wrote {sites} sites to {}", out.display());
    Ok(())
}

fn text_field(name: &str) -> FieldDef {
    FieldDef {
        name: name.into(),
        kind: FieldKind::Text,
    }
}

fn boiler_fields() -> Vec<FieldDef> {
    vec![
        FieldDef {
            name: "单位名称".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "县区".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "燃料类型".into(),
            kind: FieldKind::Text,
        },
        FieldDef {
            name: "额定蒸发量".into(),
            kind: FieldKind::Float,
        },
        FieldDef {
            name: "状态".into(),
            kind: FieldKind::Text,
        },
    ]
}

fn boiler_rows(sites: usize) -> Vec<Vec<Value>> {
    (0..sites)
        .map(|i| {
            vec![
                Value::Text(format!("第{i}号锅炉单位")),
                Value::Text(COUNTIES[i % COUNTIES.len()].into()),
                Value::Text(FUELS[i % FUELS.len()].into()),
                Value::Float(((i % 80) as f64) * 0.5),
                Value::Text(STATUS[i % STATUS.len()].into()),
            ]
        })
        .collect()
}

fn enterprise_fields(done_column: bool) -> Vec<FieldDef> {
    let done: &[&str] = if done_column { &["是否完成"] } else { &[] };
    ["企业名称", "县区", "行业", "是否散乱污", "整治类型"]
        .iter()
        .chain(done)
        .map(|name| text_field(name))
        .collect()
}

/// Enterprise rows; with `open_percent`, a 是否完成 value: 否 for that share of rows
/// (spread over the file), 是 for the rest.
fn enterprise_rows(sites: usize, open_percent: Option<u64>) -> Vec<Vec<Value>> {
    (0..sites)
        .map(|i| {
            let mut row = vec![
                Value::Text(format!("第{i}号企业")),
                Value::Text(COUNTIES[i % COUNTIES.len()].into()),
                Value::Text(INDUSTRIES[i % INDUSTRIES.len()].into()),
                Value::Text((if i % 4 == 0 { "否" } else { "是" }).into()),
                Value::Text(REMEDIATION[i % REMEDIATION.len()].into()),
            ];
            if let Some(p) = open_percent {
                let open = (i as u64).wrapping_mul(7919) % 100 < p;
                row.push(Value::Text((if open { "否" } else { "是" }).into()));
            }
            row
        })
        .collect()
}
