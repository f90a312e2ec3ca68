//! Fast approximate reprojection for display: the exact transform is sampled on a
//! regular grid over the data's extent and vertices are placed by biquadratic
//! interpolation between the 3 × 3 nodes of their cell (corners, edge middles,
//! centre).
//!
//! Projections between the CRSs users have (Gauss-Kruger, geographic degrees, Web
//! Mercator) are smooth, so over a cell of several kilometres quadratic
//! interpolation is off by millimetres (bilinear would be off by decimetres: the
//! meridian convergence is a quadratic term), while an exact inverse Gauss-Kruger costs about a microsecond
//! a vertex (a province of zone boundaries is tens of millions of vertices). Every
//! cell is checked at its quarter points against the exact transform;
//! a cell that misses the tolerance (or touches a failed node) is marked and its
//! vertices go through the exact transform, so the result is never worse than the
//! tolerance anywhere. Used for drawing only: analysis always transforms exactly.

use geo_types::Coord;
use rayon::prelude::*;

/// The exact transform a grid approximates (`None` where it is undefined).
pub type ExactFn<'a> = dyn Fn(Coord<f64>) -> Option<Coord<f64>> + Sync + 'a;

/// A sampled transform over a rectangle of source coordinates.
pub struct GridTransform<'a> {
    exact: &'a ExactFn<'a>,
    min: Coord<f64>,
    /// Cells per source unit in x and y.
    per: Coord<f64>,
    nx: usize,
    ny: usize,
    /// `(2 nx + 1) * (2 ny + 1)` node values (every half cell), row-major from `min`.
    nodes: Vec<Option<Coord<f64>>>,
    /// Per cell: interpolation is within tolerance there.
    good: Vec<bool>,
}

impl<'a> GridTransform<'a> {
    /// Samples `exact` over `min..max` with at most `max_cells` cells a side and
    /// checks every cell against `tolerance` (in target units). Degenerate or
    /// non-finite extents give a grid that sends everything to `exact`.
    pub fn new(
        exact: &'a ExactFn<'a>,
        min: Coord<f64>,
        max: Coord<f64>,
        max_cells: usize,
        tolerance: f64,
    ) -> GridTransform<'a> {
        let (w, h) = (max.x - min.x, max.y - min.y);
        let usable = w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0 && max_cells > 0;
        if !usable {
            return GridTransform {
                exact,
                min,
                per: Coord { x: 0.0, y: 0.0 },
                nx: 0,
                ny: 0,
                nodes: Vec::new(),
                good: Vec::new(),
            };
        }
        // Square-ish cells: the longer side gets max_cells.
        let side = w.max(h) / max_cells as f64;
        let nx = ((w / side).ceil() as usize).clamp(1, max_cells);
        let ny = ((h / side).ceil() as usize).clamp(1, max_cells);
        let (cw, ch) = (w / nx as f64, h / ny as f64);
        let at = |i: usize, j: usize| Coord {
            x: min.x + i as f64 * cw / 2.0,
            y: min.y + j as f64 * ch / 2.0,
        };
        let row = 2 * nx + 1;
        let nodes: Vec<Option<Coord<f64>>> = (0..row * (2 * ny + 1))
            .into_par_iter()
            .map(|k| exact(at(k % row, k / row)))
            .collect();
        let mut grid = GridTransform {
            exact,
            min,
            per: Coord {
                x: 1.0 / cw,
                y: 1.0 / ch,
            },
            nx,
            ny,
            nodes,
            good: Vec::new(),
        };
        let good: Vec<bool> = (0..nx * ny)
            .into_par_iter()
            .map(|k| {
                let (i, j) = (k % nx, k / nx);
                // Between the nodes: the quarter points, inside and on two edges.
                [
                    (0.25, 0.25),
                    (0.75, 0.25),
                    (0.25, 0.75),
                    (0.75, 0.75),
                    (0.25, 0.0),
                    (0.0, 0.25),
                ]
                .iter()
                .all(|&(fx, fy)| {
                    let c = Coord {
                        x: min.x + (i as f64 + fx) * cw,
                        y: min.y + (j as f64 + fy) * ch,
                    };
                    match (grid.interpolate(i, j, fx, fy), exact(c)) {
                        (Some(a), Some(e)) => {
                            (a.x - e.x).abs() <= tolerance && (a.y - e.y).abs() <= tolerance
                        }
                        _ => false,
                    }
                })
            })
            .collect();
        grid.good = good;
        grid
    }

    /// Share of cells where interpolation is used (1.0: everywhere).
    pub fn coverage(&self) -> f64 {
        if self.good.is_empty() {
            return 0.0;
        }
        self.good.iter().filter(|g| **g).count() as f64 / self.good.len() as f64
    }

    /// Biquadratic value inside cell (i, j) at fractions (fx, fy).
    #[inline]
    fn interpolate(&self, i: usize, j: usize, fx: f64, fy: f64) -> Option<Coord<f64>> {
        // Lagrange weights for nodes at 0, 1/2 and 1.
        let weights = |t: f64| {
            [
                2.0 * (t - 0.5) * (t - 1.0),
                -4.0 * t * (t - 1.0),
                2.0 * t * (t - 0.5),
            ]
        };
        let (wx, wy) = (weights(fx), weights(fy));
        let row = 2 * self.nx + 1;
        let mut out = Coord { x: 0.0, y: 0.0 };
        for (b, wy) in wy.iter().enumerate() {
            let base = (2 * j + b) * row + 2 * i;
            for (a, wx) in wx.iter().enumerate() {
                let n = self.nodes[base + a]?;
                let w = wx * wy;
                out.x += w * n.x;
                out.y += w * n.y;
            }
        }
        Some(out)
    }

    /// The transformed coordinate: interpolated in a good cell, exact elsewhere.
    #[inline]
    pub fn apply(&self, c: Coord<f64>) -> Option<Coord<f64>> {
        let tx = (c.x - self.min.x) * self.per.x;
        let ty = (c.y - self.min.y) * self.per.y;
        // Inside the grid (NaN fails these tests too).
        if !self.good.is_empty()
            && tx >= 0.0
            && ty >= 0.0
            && tx <= self.nx as f64
            && ty <= self.ny as f64
        {
            let i = (tx as usize).min(self.nx - 1);
            let j = (ty as usize).min(self.ny - 1);
            if self.good[j * self.nx + i] {
                return self.interpolate(i, j, tx - i as f64, ty - j as f64);
            }
        }
        (self.exact)(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{Crs, Transform};

    /// CGCS2000 3-degree GK zone 37 (CM 111E) → Web Mercator metres, the display
    /// path of the sample county's water zones.
    fn gk_to_mercator() -> impl Fn(Coord<f64>) -> Option<Coord<f64>> + Sync {
        let t = Transform::new(&Crs::from_epsg(4546).unwrap(), &Crs::wgs84()).unwrap();
        move |c: Coord<f64>| {
            let (lon, lat) = t.apply(c.x, c.y).ok()?;
            let r = 6_378_137.0;
            Some(Coord {
                x: r * lon.to_radians(),
                y: r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                    .tan()
                    .ln(),
            })
        }
    }

    #[test]
    fn a_province_sized_grid_of_8_km_cells_matches_the_exact_transform_to_a_centimetre() {
        let exact = gk_to_mercator();
        let (min, max) = (
            Coord {
                x: 300_000.0,
                y: 3_900_000.0,
            },
            Coord {
                x: 700_000.0,
                y: 4_400_000.0,
            },
        );
        let grid = GridTransform::new(&exact, min, max, 64, 0.01);
        assert!(grid.coverage() > 0.99, "coverage {}", grid.coverage());
        let mut rng = crate::synth::Rng::new(3);
        for _ in 0..20_000 {
            let c = Coord {
                x: rng.range(min.x, max.x),
                y: rng.range(min.y, max.y),
            };
            let (a, e) = (grid.apply(c).unwrap(), exact(c).unwrap());
            assert!(
                (a.x - e.x).abs() <= 0.01 && (a.y - e.y).abs() <= 0.01,
                "{c:?}"
            );
        }
    }

    #[test]
    fn cells_too_coarse_for_the_tolerance_fall_back_to_the_exact_transform() {
        let exact = gk_to_mercator();
        let (min, max) = (
            Coord {
                x: 300_000.0,
                y: 3_900_000.0,
            },
            Coord {
                x: 700_000.0,
                y: 4_400_000.0,
            },
        );
        // Two cells a side over 500 km cannot be within a millimetre.
        let grid = GridTransform::new(&exact, min, max, 2, 0.001);
        assert_eq!(grid.coverage(), 0.0);
        let c = Coord {
            x: 512_345.6,
            y: 4_123_456.7,
        };
        assert_eq!(grid.apply(c), exact(c));
    }

    #[test]
    fn points_outside_the_grid_or_in_failed_cells_use_the_exact_transform() {
        // Undefined left of x = 5: cells touching it are not used.
        let exact = |c: Coord<f64>| {
            (c.x >= 5.0).then_some(Coord {
                x: c.x * 2.0,
                y: c.y,
            })
        };
        let grid = GridTransform::new(
            &exact,
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 10.0, y: 10.0 },
            10,
            1e-9,
        );
        assert_eq!(grid.apply(Coord { x: 2.0, y: 3.0 }), None);
        assert_eq!(
            grid.apply(Coord { x: 7.5, y: 3.0 }),
            Some(Coord { x: 15.0, y: 3.0 })
        );
        assert_eq!(
            grid.apply(Coord { x: 20.0, y: 3.0 }),
            Some(Coord { x: 40.0, y: 3.0 })
        );
        assert_eq!(
            grid.apply(Coord {
                x: f64::NAN,
                y: 3.0
            }),
            None
        );
        // A degenerate extent: everything exact.
        let flat = GridTransform::new(
            &exact,
            Coord { x: 6.0, y: 1.0 },
            Coord { x: 6.0, y: 1.0 },
            10,
            1e-9,
        );
        assert_eq!(flat.coverage(), 0.0);
        assert_eq!(
            flat.apply(Coord { x: 6.0, y: 1.0 }),
            Some(Coord { x: 12.0, y: 1.0 })
        );
    }
}
