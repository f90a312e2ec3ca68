//! Times the phases of a join on one machine (development aid): reading zones and
//! sites alone, the self-crossing check, index preparation, the join.
use qingling::engine::{IndexedZones, Predicate, join_index, sites_into};
use qingling::io::{ReadOptions, read_path};
use std::time::Instant;
fn main() {
    let z = std::env::args().nth(1).expect("zones");
    let s = std::env::args().nth(2).expect("sites");
    let o = ReadOptions {
        geometry_only: true,
        ..Default::default()
    };
    let t = Instant::now();
    let zl = read_path(std::path::Path::new(&z), &o)
        .expect("zones")
        .remove(0);
    println!("zones read+validity {:?}", t.elapsed());
    let t = Instant::now();
    let sl = read_path(std::path::Path::new(&s), &o)
        .expect("sites")
        .remove(0);
    println!("sites read {:?}", t.elapsed());
    let t = Instant::now();
    let iz = IndexedZones::build(zl, 1e-4).expect("crs");
    println!("index {:?}", t.elapsed());
    let t = Instant::now();
    let g = sites_into(&sl, None, &iz.crs).expect("t");
    let pairs = join_index(&iz.index, &g, Predicate::Intersects);
    println!("join {:?} {} pairs", t.elapsed(), pairs.len());
}
