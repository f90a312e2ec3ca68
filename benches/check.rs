//! Check benchmark on synthetic real-shaped data (no file IO): `run_check` with the
//! built-in rules over 200k boilers and 200k enterprises against 2k water zones, all
//! in EPSG:4546 with attributes like the county ledgers', and the CSV rows of the first
//! 50k findings it finds. The whole-process figures
//! (reading files, writing findings) come from `scripts/scale.sh`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use geo_types::Geometry;
use qingling::check::{CheckInput, RoleLayer, run_check};
use qingling::crs::Crs;
use qingling::engine::DEFAULT_TOLERANCE_M;
use qingling::model::{
    CrsInfo, CrsSource, Feature, FieldDef, FieldKind, GeometryKind, Layer, SourceFormat, Value,
};
use qingling::rules::{self, LayerRole};
use qingling::synth;

const COUNTIES: [&str; 4] = ["小店区", "迎泽区", "清徐县", "阳曲县"];
const FUELS: [&str; 5] = ["燃煤", "天然气", "电", "生物质", "洁净型煤"];
const STATUS: [&str; 3] = ["在用", "停用", "已淘汰"];
const LEVELS: [&str; 3] = ["一级保护区", "二级保护区", "准保护区"];
const INDUSTRIES: [&str; 3] = ["塑料制品", "铸造", "食品加工"];

/// A layer in EPSG:4546 with text columns `fields` and one row per geometry.
fn layer(
    name: &str,
    kind: GeometryKind,
    fields: &[&str],
    geoms: Vec<Geometry<f64>>,
    row: impl Fn(usize) -> Vec<Value>,
) -> Layer {
    Layer {
        name: name.into(),
        source: PathBuf::from(format!("{name}.shp")),
        format: SourceFormat::Shapefile,
        geometry_kind: kind,
        has_z: false,
        crs: CrsInfo {
            crs: Crs::from_epsg(4546).ok(),
            source: CrsSource::PrjFile,
        },
        encoding: None,
        fields: fields
            .iter()
            .map(|n| FieldDef {
                name: n.to_string(),
                kind: FieldKind::Text,
            })
            .collect(),
        features: geoms
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature {
                fid: i as u64,
                geometry: Some(g),
                attrs: row(i),
            })
            .collect(),
        problems: Vec::new(),
        deferred: None,
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn role_layer(layer: Layer, role: LayerRole) -> RoleLayer {
    let names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
    let mapping = rules::guess_mapping_for_layer(role, &layer.name, &names);
    RoleLayer {
        layer,
        role,
        mapping,
    }
}

fn input(sites: usize) -> CheckInput {
    let zone_geoms = synth::zones(2_000, 42, 0.2);
    let boilers = synth::sites(sites, 42, &zone_geoms);
    let enterprises = synth::sites(sites, 43, &zone_geoms);
    let zones = layer(
        "水源地保护区",
        GeometryKind::Polygon,
        &["水源地名称", "保护区级别", "县区"],
        zone_geoms,
        |i| {
            vec![
                text(format!("第{i}号水源地")),
                text(LEVELS[i % 3]),
                text(COUNTIES[i % COUNTIES.len()]),
            ]
        },
    );
    let boilers = layer(
        "锅炉台账",
        GeometryKind::Point,
        &["单位名称", "县区", "燃料类型", "额定蒸发量", "状态"],
        boilers,
        |i| {
            vec![
                text(format!("第{i}号锅炉单位")),
                text(COUNTIES[i % COUNTIES.len()]),
                text(FUELS[i % FUELS.len()]),
                Value::Float((i % 80) as f64 * 0.5),
                text(STATUS[i % STATUS.len()]),
            ]
        },
    );
    let enterprises = layer(
        "散乱污企业",
        GeometryKind::Point,
        &["企业名称", "县区", "行业", "是否散乱污", "整治类型"],
        enterprises,
        |i| {
            vec![
                text(format!("第{i}号企业")),
                text(COUNTIES[i % COUNTIES.len()]),
                text(INDUSTRIES[i % INDUSTRIES.len()]),
                text(if i % 4 == 0 { "否" } else { "是" }),
                text("关停取缔"),
            ]
        },
    );
    CheckInput {
        layers: vec![
            role_layer(zones, LayerRole::WaterZone),
            role_layer(boilers, LayerRole::Boiler),
            role_layer(enterprises, LayerRole::Enterprise),
        ],
        rules: rules::builtin(),
        sites_crs: None,
        tolerance_m: DEFAULT_TOLERANCE_M,
    }
}

fn bench_check(c: &mut Criterion) {
    let input = input(200_000);
    let cancel = AtomicBool::new(false);
    let quiet = |_: &str, _: f32| {};
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.bench_function("built-in rules, 2 x 200k sites x 2k zones", |b| {
        b.iter(|| run_check(&input, &quiet, &cancel))
    });
    // The CSV ledger rows of those findings, on one thread.
    let findings = run_check(&input, &quiet, &cancel).unwrap().findings;
    let first = &findings[..findings.len().min(50_000)];
    g.bench_function(format!("CSV rows of {} findings", first.len()), |b| {
        b.iter(|| qingling::export::findings_csv_rows(first))
    });
    g.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
