//! Engine benchmarks on synthetic real-shaped data (no file IO): building the zone
//! index and locating points, banded versus brute force. The whole-process figures
//! (reading files, CRS, writing pairs) come from `scripts/scale.sh`.

use criterion::{Criterion, criterion_group, criterion_main};
use geo_types::Geometry;
use qingling::engine::{Predicate, SiteGeometries, ZoneIndex, join_index};
use qingling::synth;

fn bench_index(c: &mut Criterion) {
    let zones = synth::zones(2_000, 42, 0.2);
    let sites = SiteGeometries::Moved(
        synth::sites(200_000, 42, &zones)
            .into_iter()
            .map(Some)
            .collect(),
    );
    let tagged = |zs: &[Geometry<f64>]| -> Vec<(u64, Option<Geometry<f64>>)> {
        zs.iter()
            .cloned()
            .enumerate()
            .map(|(i, g)| (i as u64, Some(g)))
            .collect()
    };

    let mut g = c.benchmark_group("zone_index");
    g.sample_size(10);
    g.bench_function("build 2k zones (200-2000 vertices)", |b| {
        b.iter_batched(
            || tagged(&zones),
            |z| ZoneIndex::build(z, 1e-4),
            criterion::BatchSize::LargeInput,
        )
    });
    let index = ZoneIndex::build(tagged(&zones), 1e-4);
    g.bench_function("join 200k points x 2k zones (parallel)", |b| {
        b.iter(|| join_index(&index, &sites, Predicate::Intersects))
    });
    g.finish();
}

criterion_group!(benches, bench_index);
criterion_main!(benches);
