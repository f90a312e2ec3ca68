//! Times the per-record passes of a check over one site ledger (development aid):
//! reading it with deferred attributes (and with geometry only, as the join does), the value-problem scan, record-key hashing
//! and the Z-order, each `QL_REPEAT` times (default 3).
//!
//!   cargo run --release --no-default-features --example check_phases -- SITES.shp [role]
use qingling::engine::{sites_into, z_order};
use qingling::io::{ReadOptions, read_path};
use qingling::rules::{LayerKeys, LayerRole, LayerValues, guess_mapping_for_layer};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("a site file");
    let role = match std::env::args().nth(2).as_deref() {
        Some("enterprise") => LayerRole::Enterprise,
        _ => LayerRole::Boiler,
    };
    let repeat: usize = std::env::var("QL_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let opts = ReadOptions {
        defer_attributes: true,
        ..Default::default()
    };
    let geometry_only = ReadOptions {
        geometry_only: true,
        ..Default::default()
    };
    for _ in 0..repeat {
        let t = Instant::now();
        let bare = read_path(std::path::Path::new(&path), &geometry_only).expect("read");
        let geometry = t.elapsed();
        drop(bare);
        let t = Instant::now();
        let layer = read_path(std::path::Path::new(&path), &opts)
            .expect("read")
            .remove(0);
        let read = t.elapsed();
        let names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
        let mapping = guess_mapping_for_layer(role, &layer.name, &names);
        let reader = LayerValues::new(&layer, &mapping);
        let t = Instant::now();
        let problems = reader.problems();
        let scan = t.elapsed();
        let t = Instant::now();
        let keys = LayerKeys::new(&reader);
        let hashing = t.elapsed();
        let crs = layer.crs.crs.clone().expect("a CRS");
        let t = Instant::now();
        let order = z_order(&sites_into(&layer, None, &crs).expect("sites"));
        let zorder = t.elapsed();
        println!(
            "read {read:?} (geometry only {geometry:?}), value problems {scan:?} ({}), keys {hashing:?}, z-order {zorder:?} ({} sites)",
            problems.len(),
            order.len()
        );
        std::hint::black_box(keys);
    }
}
