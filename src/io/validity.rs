//! Geometry checks every reader's polygons go through: a ring that crosses itself
//! (a "bow tie", common in hand-digitised zones) has no well-defined inside, so a
//! site near the crossing may be judged inside or outside by accident. Such rings
//! are kept as read (the zone is still shown and used) and reported with where
//! they cross, so the reviewer can repair the zone.
//!
//! The check buckets each ring's segments into horizontal bands and, inside a band,
//! sweeps them by x, so only segments whose boxes overlap are tested: about
//! O(n log n) per ring with no tree to build, so a province of zones stays fast.

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo_types::{Coord, Line, LineString};
use rayon::prelude::*;

use crate::model::{Geometry, Layer, Problem};

/// Where a closed ring first crosses itself (two segments that are not neighbours
/// along the ring cross in their interiors or overlap), `None` otherwise. Repeated consecutive
/// vertices are ignored; the first crossing in ring order is returned.
pub fn ring_self_crossing(ring: &[Coord<f64>]) -> Option<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::with_capacity(ring.len());
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
    let seg = |i: usize| Line::new(pts[i], pts[i + 1]);
    let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in &pts {
        ymin = ymin.min(p.y);
        ymax = ymax.max(p.y);
    }
    // About four segments a band; the band count depends only on n, never on the
    // coordinates, so odd values (huge, infinite, NaN) cannot make it blow up.
    let bands = (n / 4).clamp(1, 1 << 16);
    let height = (ymax - ymin) / bands as f64;
    let band_of = |y: f64| -> usize {
        let b = ((y - ymin) / height).floor();
        if b.is_nan() || b < 0.0 {
            0
        } else {
            (b as usize).min(bands - 1)
        }
    };
    let span = |i: usize| {
        let (a, b) = (pts[i].y, pts[i + 1].y);
        (band_of(a.min(b)), band_of(a.max(b)))
    };
    // Counting sort of segment indices into every band they span.
    let mut start = vec![0usize; bands + 1];
    for i in 0..n {
        let (lo, hi) = span(i);
        for b in lo..=hi {
            start[b + 1] += 1;
        }
    }
    for b in 0..bands {
        start[b + 1] += start[b];
    }
    let mut fill = start.clone();
    let mut members = vec![0u32; start[bands]];
    for i in 0..n {
        let (lo, hi) = span(i);
        for f in &mut fill[lo..=hi] {
            members[*f] = i as u32;
            *f += 1;
        }
    }
    let xrange = |i: usize| {
        let (a, b) = (pts[i].x, pts[i + 1].x);
        (a.min(b), a.max(b))
    };
    let yrange = |i: usize| {
        let (a, b) = (pts[i].y, pts[i + 1].y);
        (a.min(b), a.max(b))
    };
    let neighbours = |a: usize, b: usize| b == a + 1 || (closed && a == 0 && b == n - 1);
    // The first crossing in ring order: the smallest (i, j) over all bands.
    let mut best: Option<(usize, usize, Coord<f64>)> = None;
    let mut row: Vec<(f64, f64, usize)> = Vec::new();
    for b in 0..bands {
        row.clear();
        row.extend(members[start[b]..start[b + 1]].iter().map(|&i| {
            let (x0, x1) = xrange(i as usize);
            (x0, x1, i as usize)
        }));
        row.sort_unstable_by(|p, q| p.0.total_cmp(&q.0));
        for (k, &(_, x1, i)) in row.iter().enumerate() {
            for &(x0_other, _, j) in &row[k + 1..] {
                if x0_other > x1 {
                    break;
                }
                let (a, c) = (i.min(j), i.max(j));
                if neighbours(a, c) || best.is_some_and(|(bi, bj, _)| (a, c) >= (bi, bj)) {
                    continue;
                }
                let ((ya0, ya1), (yc0, yc1)) = (yrange(a), yrange(c));
                if ya0 > yc1 || yc0 > ya1 {
                    continue;
                }
                if let Some(at) = crossing(seg(a), seg(c)) {
                    best = Some((a, c, at));
                }
            }
        }
    }
    best.map(|(_, _, at)| at)
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
