//! Synthetic, real-shaped data for benchmarks and the scale script: zone polygons of
//! 200–2000 vertices (some with holes, some multipart) in CGCS2000 3-degree
//! Gauss-Kruger CM 111E (EPSG:4546) over a Shanxi-sized area, and sites scattered over
//! it, some exactly on zone vertices. Deterministic for a given seed.

use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};

/// The generated area: eastings/northings of western Shanxi in EPSG:4546.
pub const AREA_MIN: Coord<f64> = Coord {
    x: 320_000.0,
    y: 3_850_000.0,
};
pub const AREA_MAX: Coord<f64> = Coord {
    x: 680_000.0,
    y: 4_500_000.0,
};

/// A small deterministic PRNG (xorshift64*), so generated data is the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// A star-shaped ring around `c` with `n` vertices and radius in [0.6 r, r], closed,
/// clockwise when `clockwise` (shapefile outer rings) else counter-clockwise.
fn star_ring(rng: &mut Rng, c: Coord<f64>, r: f64, n: usize, clockwise: bool) -> LineString<f64> {
    let phase = rng.range(0.0, std::f64::consts::TAU);
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let mut a = i as f64 / n as f64 * std::f64::consts::TAU;
            if clockwise {
                a = -a;
            }
            // Low-frequency wobble (bays, headlands) plus a little digitising noise:
            // neighbouring vertices of real boundaries are close, not zig-zags.
            let wobble = 0.8
                + 0.12 * (a * 3.0 + phase).sin()
                + 0.05 * (a * 11.0 + phase * 2.0).sin()
                + 0.004 * rng.f64();
            let rr = r * wobble;
            Coord {
                x: (c.x + rr * a.cos()).round_ties_even(),
                y: (c.y + rr * a.sin()).round_ties_even(),
            }
        })
        .collect();
    pts.dedup();
    pts.push(pts[0]);
    LineString::from(pts)
}

/// `count` zones whose total area covers about `coverage` of the area.
pub fn zones(count: usize, seed: u64, coverage: f64) -> Vec<Geometry<f64>> {
    let mut rng = Rng::new(seed);
    let area = (AREA_MAX.x - AREA_MIN.x) * (AREA_MAX.y - AREA_MIN.y);
    let mean_r = (coverage * area / (count.max(1) as f64 * std::f64::consts::PI * 0.7)).sqrt();
    (0..count)
        .map(|i| {
            let r = mean_r * rng.range(0.6, 1.4);
            let c = Coord {
                x: rng.range(AREA_MIN.x + r, AREA_MAX.x - r),
                y: rng.range(AREA_MIN.y + r, AREA_MAX.y - r),
            };
            let n = 200 + rng.below(1801);
            let outer = star_ring(&mut rng, c, r, n, true);
            // One zone in five has a hole (an island or an excluded village).
            let holes = if i % 5 == 0 {
                vec![star_ring(&mut rng, c, r * 0.25, 40, false)]
            } else {
                vec![]
            };
            let poly = Polygon::new(outer, holes);
            // One in twenty is multipart (a reservoir and its separate upstream reach).
            if i % 20 == 7 {
                let c2 = Coord {
                    x: c.x + 2.2 * r,
                    y: c.y,
                };
                let second = Polygon::new(star_ring(&mut rng, c2, r * 0.5, 200, true), vec![]);
                Geometry::MultiPolygon(MultiPolygon(vec![poly, second]))
            } else {
                Geometry::Polygon(poly)
            }
        })
        .collect()
}

/// `count` point sites: mostly uniform over the area, and one in a thousand exactly on
/// a vertex of a zone (the boundary cases QGIS gets wrong after reprojection).
pub fn sites(count: usize, seed: u64, zones: &[Geometry<f64>]) -> Vec<Geometry<f64>> {
    let mut rng = Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
    (0..count)
        .map(|i| {
            if i % 1000 == 0 && !zones.is_empty() {
                let ring = match &zones[rng.below(zones.len())] {
                    Geometry::Polygon(p) => Some(p.exterior()),
                    Geometry::MultiPolygon(mp) => mp.0.first().map(|p| p.exterior()),
                    _ => None,
                };
                if let Some(ring) = ring.filter(|r| !r.0.is_empty()) {
                    return Geometry::Point(Point(ring.0[rng.below(ring.0.len())]));
                }
            }
            Geometry::Point(Point::new(
                rng.range(AREA_MIN.x, AREA_MAX.x).round_ties_even() + 0.5,
                rng.range(AREA_MIN.y, AREA_MAX.y).round_ties_even() + 0.5,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_data_is_deterministic_and_sized_as_asked() {
        let z1 = zones(50, 7, 0.2);
        let z2 = zones(50, 7, 0.2);
        assert_eq!(z1, z2);
        assert_eq!(z1.len(), 50);
        let s = sites(3000, 7, &z1);
        assert_eq!(s.len(), 3000);
        for g in &z1 {
            let n = match g {
                Geometry::Polygon(p) => p.exterior().0.len(),
                Geometry::MultiPolygon(mp) => mp.0[0].exterior().0.len(),
                _ => 0,
            };
            assert!((150..=2001).contains(&n), "{n} vertices");
        }
    }
}
