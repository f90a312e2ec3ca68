//! Times the self-crossing check over every ring of a polygon file (development aid).
use qingling::io::{ReadOptions, read_path};
use qingling::model::Geometry;
fn main() {
    let p = std::env::args().nth(1).expect("a polygon file");
    let o = ReadOptions {
        geometry_only: true,
        ..Default::default()
    };
    let layers = read_path(std::path::Path::new(&p), &o).expect("readable");
    let mut rings = vec![];
    for f in &layers[0].features {
        let polys = match f.geometry.as_ref() {
            Some(Geometry::Polygon(p)) => vec![p.clone()],
            Some(Geometry::MultiPolygon(mp)) => mp.0.clone(),
            _ => vec![],
        };
        for p in polys {
            rings.push(p.exterior().0.clone());
            rings.extend(p.interiors().iter().map(|r| r.0.clone()));
        }
    }
    let cpu = || -> f64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0
    };
    let c0 = cpu();
    let t = std::time::Instant::now();
    let c = rings
        .iter()
        .filter(|r| qingling::io::validity::ring_self_crossing(r).is_some())
        .count();
    println!(
        "{} rings, {} crossing, {:?} wall, {:.2} s thread CPU {:?}",
        rings.len(),
        c,
        t.elapsed(),
        cpu() - c0,
        0
    );
}
