//! Geometry checks every reader's polygons go through: a ring that crosses itself
//! (a "bow tie", common in hand-digitised zones) has no well-defined inside, so a
//! site near the crossing may be judged inside or outside by accident. Such rings
//! are kept as read (the zone is still shown and used) and reported with where
//! they cross, so the reviewer can repair the zone.
//!
//! The check splits each ring into chains monotone in y (runs of segments that keep
//! going up, or keep going down, which cannot cross one another), then sweeps a
//! horizontal line up through the chains, keeping those it currently cuts. Only
//! chains whose boxes overlap are compared, and then only the segments in each
//! other's y-range (a binary search: a chain is sorted in y) before an exact test.
//! Real boundaries have long chains, so this is close to linear per ring; zig-zag
//! digitising makes chains short and it degrades gracefully to a segment sweep.

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo_types::{Coord, Line, LineString};
use rayon::prelude::*;

use crate::model::{Geometry, Layer, Problem};

/// Where a closed ring first crosses itself (two segments that are not neighbours
/// along the ring cross in their interiors or overlap), `None` otherwise. Repeated consecutive
/// vertices are ignored; the first crossing in ring order is returned.
pub fn ring_self_crossing(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
    let deduplicated: Vec<Coord<f64>>;
    let pts: &[Coord<f64>] = if ring.windows(2).any(|w| w[0] == w[1]) {
        let mut v: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
        for &c in ring {
            if v.last() != Some(&c) {
                v.push(c);
            }
        }
        deduplicated = v;
        &deduplicated
    } else {
        ring
    };
    if pts.len() < 4 {
        return None;
    }
    let n = pts.len() - 1;
    let closed = pts.first() == pts.last();
    let neighbours = |a: usize, b: usize| b == a + 1 || (closed && a == 0 && b == n - 1);
    let xrange = |i: usize| {
        let (a, b) = (pts[i].x, pts[i + 1].x);
        (a.min(b), a.max(b))
    };
    let yrange = |i: usize| {
        let (a, b) = (pts[i].y, pts[i + 1].y);
        (a.min(b), a.max(b))
    };
    let chains = monotone_chains(pts);
    let mut order: Vec<u32> = (0..chains.len() as u32).collect();
    order.sort_unstable_by(|&p, &q| {
        chains[p as usize]
            .min
            .y
            .total_cmp(&chains[q as usize].min.y)
    });
    // The first crossing in ring order: the smallest segment pair (i, j).
    let mut best: Option<(usize, usize, Coord<f64>)> = None;
    let mut compare = |a: &Chain, b: &Chain| {
        let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        // Only the common y-range can hold a crossing. Both chains are walked in
        // increasing y: a segment's y-range only moves up along a monotone chain, so
        // the first segment of `large` reaching the current segment's bottom only
        // moves forward (a merge, not a search per segment).
        let (ylo, yhi) = (small.min.y.max(large.min.y), small.max.y.min(large.max.y));
        let first_reaching = |c: &Chain, y: f64| {
            let (mut lo, mut hi) = (0, c.len());
            while lo < hi {
                let mid = (lo + hi) / 2;
                if yrange(c.in_y_order(mid)).1 < y {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let mut lo = first_reaching(large, ylo);
        for k in first_reaching(small, ylo)..small.len() {
            let i = small.in_y_order(k);
            let (y0, y1) = yrange(i);
            if y0 > yhi {
                break;
            }
            let (x0, x1) = xrange(i);
            if x1 < large.min.x || x0 > large.max.x {
                continue;
            }
            while lo < large.len() && yrange(large.in_y_order(lo)).1 < y0 {
                lo += 1;
            }
            for k in lo..large.len() {
                let j = large.in_y_order(k);
                if yrange(j).0 > y1 {
                    break;
                }
                let (jx0, jx1) = xrange(j);
                if jx0 > x1 || x0 > jx1 {
                    continue;
                }
                let (p, q) = (i.min(j), i.max(j));
                if neighbours(p, q) || best.is_some_and(|(bp, bq, _)| (p, q) >= (bp, bq)) {
                    continue;
                }
                let (sp, sq) = (Line::new(pts[p], pts[p + 1]), Line::new(pts[q], pts[q + 1]));
                if let Some(at) = crossing(sp, sq) {
                    best = Some((p, q, at));
                }
            }
        }
    };
    // The active chains (those the sweep line cuts), filed in vertical columns by
    // their x-range, so a new chain looks only at chains in its own columns.
    let (mut x0, mut x1) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in &chains {
        x0 = x0.min(c.min.x);
        x1 = x1.max(c.max.x);
    }
    let columns = (chains.len() / 4).clamp(1, 64);
    let per_x = columns as f64 / (x1 - x0);
    let column = |x: f64| -> usize {
        let t = (x - x0) * per_x;
        // `as` truncates, which is floor for t ≥ 0; NaN and negatives go to column 0.
        if t >= 0.0 {
            (t as usize).min(columns - 1)
        } else {
            0
        }
    };
    let mut active: Vec<Vec<u32>> = vec![Vec::new(); columns];
    for &c in &order {
        let chain = &chains[c as usize];
        for (col, filed) in active
            .iter_mut()
            .enumerate()
            .take(column(chain.max.x) + 1)
            .skip(column(chain.min.x))
        {
            let mut k = 0;
            while k < filed.len() {
                let other = &chains[filed[k] as usize];
                // A chain that ends below this one's start can meet nothing from here
                // on (a NaN end is dropped too, so odd values cannot keep it growing).
                if other
                    .max
                    .y
                    .partial_cmp(&chain.min.y)
                    .is_none_or(|o| o.is_lt())
                {
                    filed.swap_remove(k);
                    continue;
                }
                k += 1;
                // Each pair once: in the column where their common x-range begins.
                if other.min.x <= chain.max.x
                    && chain.min.x <= other.max.x
                    && column(other.min.x.max(chain.min.x)) == col
                {
                    compare(other, chain);
                }
            }
            filed.push(c);
        }
    }
    best.map(|(_, _, at)| at)
}

/// Segments `first..end` (segment i runs from vertex i to i + 1) that all go up or
/// all go down, or one horizontal segment alone. Two segments of one chain cannot
/// cross or overlap: their y-ranges meet at most at a shared vertex.
struct Chain {
    first: usize,
    end: usize,
    /// y decreases along the chain, so y order is reverse index order.
    rev: bool,
    min: Coord<f64>,
    max: Coord<f64>,
}

impl Chain {
    fn len(&self) -> usize {
        self.end - self.first
    }

    /// The k-th segment in increasing y.
    fn in_y_order(&self, k: usize) -> usize {
        if self.rev {
            self.end - 1 - k
        } else {
            self.first + k
        }
    }
}

fn monotone_chains(pts: &[Coord<f64>]) -> Vec<Chain> {
    let chain = |first: usize, end: usize| {
        let mut min = pts[first];
        let mut max = pts[first];
        for p in &pts[first + 1..=end] {
            min.x = min.x.min(p.x);
            min.y = min.y.min(p.y);
            max.x = max.x.max(p.x);
            max.y = max.y.max(p.y);
        }
        Chain {
            first,
            end,
            rev: pts[end].y < pts[first].y,
            min,
            max,
        }
    };
    let up = |i: usize| pts[i + 1].y > pts[i].y;
    let down = |i: usize| pts[i + 1].y < pts[i].y;
    let n = pts.len() - 1;
    let mut chains = Vec::new();
    let mut first = 0;
    for i in 1..n {
        // A horizontal (or NaN) segment is neither up nor down: it stands alone.
        if !((up(i) && up(first)) || (down(i) && down(first))) {
            chains.push(chain(first, i));
            first = i;
        }
    }
    chains.push(chain(first, n));
    chains
}

/// Where two segments cross in their interiors or overlap; touching at a vertex
/// (a figure eight) keeps every part's inside well defined, and ESRI tools write
/// such rings, so it is not a crossing.
fn crossing(a: Line<f64>, b: Line<f64>) -> Option<Coord<f64>> {
    match line_intersection(a, b)? {
        LineIntersection::SinglePoint {
            intersection,
            is_proper: true,
        } => Some(intersection),
        LineIntersection::Collinear { intersection } => Some(intersection.start),
        _ => None,
    }
}

/// The first self-crossing of any ring of a polygonal geometry.
fn geometry_self_crossing(g: &Geometry<f64>) -> Option<Coord<f64>> {
    let rings: Vec<&LineString<f64>> = match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).collect(),
        Geometry::MultiPolygon(mp) => {
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .collect()
        }
        _ => return None,
    };
    rings.into_iter().find_map(|r| ring_self_crossing(&r.0))
}

/// Adds a warning for every polygon record with a ring that crosses itself.
pub fn report_self_crossings(layer: &mut Layer) {
    let source = layer.source.clone();
    let found: Vec<(u64, Coord<f64>)> = layer
        .features
        .par_iter()
        .filter_map(|f| {
            let at = geometry_self_crossing(f.geometry.as_ref()?)?;
            Some((f.fid, at))
        })
        .collect();
    for (fid, at) in found {
        layer.problems.push(
            Problem::warning(
                &source,
                format!(
                    "a ring crosses itself near ({}, {}); which side is inside is ambiguous there",
                    crate::export::format_decimal(at.x, 6),
                    crate::export::format_decimal(at.y, 6)
                ),
            )
            .at_record(fid)
            .with_hint(
                "repair the geometry in GIS software (e.g. QGIS \"Fix geometries\") and re-export",
            )
            .with_zh(
                format!(
                    "边界环在 ({}, {}) 附近自相交，该处内外无法确定",
                    crate::export::format_decimal(at.x, 6),
                    crate::export::format_decimal(at.y, 6)
                ),
                Some("请在 GIS 软件中修复几何（如 QGIS“修复几何”）后重新导出"),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of non-neighbouring segments, in ring order: the reference.
    fn brute_force(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
        let mut pts: Vec<Coord<f64>> = Vec::new();
        for &c in ring {
            if pts.last() != Some(&c) {
                pts.push(c);
            }
        }
        if pts.len() < 4 {
            return None;
        }
        let n = pts.len() - 1;
        let closed = pts.first() == pts.last();
        for i in 0..n {
            for j in i + 1..n {
                if j == i + 1 || (closed && i == 0 && j == n - 1) {
                    continue;
                }
                let at = crossing(Line::new(pts[i], pts[i + 1]), Line::new(pts[j], pts[j + 1]));
                if at.is_some() {
                    return at;
                }
            }
        }
        None
    }

    #[test]
    fn banded_sweep_agrees_with_every_pair_on_random_rings() {
        let mut rng = crate::synth::Rng::new(7);
        for case in 0..3000 {
            let len = 4 + (rng.next_u64() % 40) as usize;
            // Small integer grids make touching, collinear and crossing segments common.
            let grid = 2 + (rng.next_u64() % 8) as i64;
            let mut r: Vec<Coord<f64>> = (0..len)
                .map(|_| Coord {
                    x: (rng.next_u64() as i64).rem_euclid(grid) as f64,
                    y: (rng.next_u64() as i64).rem_euclid(grid) as f64,
                })
                .collect();
            if case % 2 == 0 {
                r.push(r[0]);
            }
            assert_eq!(ring_self_crossing(&r), brute_force(&r), "ring {r:?}");
        }
    }

    fn ring(c: &[(f64, f64)]) -> Vec<Coord<f64>> {
        c.iter().map(|&(x, y)| Coord { x, y }).collect()
    }

    #[test]
    fn a_bow_tie_crosses_itself_in_the_middle() {
        let r = ring(&[(0.0, 0.0), (0.0, 2.0), (2.0, 0.0), (2.0, 2.0), (0.0, 0.0)]);
        assert_eq!(ring_self_crossing(&r), Some(Coord { x: 1.0, y: 1.0 }));
    }

    #[test]
    fn simple_rings_and_repeated_vertices_do_not_cross() {
        let square = ring(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]);
        assert_eq!(ring_self_crossing(&square), None);
        let repeated = ring(&[
            (0.0, 0.0),
            (0.0, 1.0),
            (0.0, 1.0),
            (1.0, 1.0),
            (1.0, 0.0),
            (0.0, 0.0),
        ]);
        assert_eq!(ring_self_crossing(&repeated), None);
        let triangle = ring(&[(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (0.0, 0.0)]);
        assert_eq!(ring_self_crossing(&triangle), None);
    }

    #[test]
    fn a_ring_touching_itself_at_a_vertex_is_not_a_crossing_but_an_overlap_is() {
        // A figure eight pinched at (1, 1).
        let r = ring(&[
            (0.0, 0.0),
            (0.0, 2.0),
            (1.0, 1.0),
            (2.0, 2.0),
            (2.0, 0.0),
            (1.0, 1.0),
            (0.0, 0.0),
        ]);
        assert_eq!(ring_self_crossing(&r), None);
        // Going back along an edge: (0,1)-(0,2) is traced twice.
        let spike = ring(&[
            (0.0, 0.0),
            (0.0, 2.0),
            (1.0, 2.0),
            (0.0, 2.0),
            (0.0, 1.0),
            (1.0, 0.0),
            (0.0, 0.0),
        ]);
        assert!(ring_self_crossing(&spike).is_some());
    }
}
