//! Geometry checks every reader's polygons go through: a ring that crosses itself
//! (a "bow tie", common in hand-digitised zones) has no well-defined inside, so a
//! site near the crossing may be judged inside or outside by accident. Such rings
//! are kept as read (the zone is still shown and used) and reported with where
//! they cross, so the reviewer can repair the zone.
//!
//! The check indexes each ring's segments in an R-tree and tests only segments whose
//! boxes overlap: O(n log n) per ring, so large county boundaries stay fast.

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo_types::{Coord, Line, LineString};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

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
    let segs: Vec<Line<f64>> = pts.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    let n = segs.len();
    let closed = pts.first() == pts.last();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            GeomWithData::new(
                Rectangle::from_corners([s.start.x, s.start.y], [s.end.x, s.end.y]),
                i,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let neighbours = |i: usize, j: usize| {
        let (a, b) = (i.min(j), i.max(j));
        b == a + 1 || (closed && a == 0 && b == n - 1)
    };
    for (i, s) in segs.iter().enumerate() {
        let env = AABB::from_corners([s.start.x, s.start.y], [s.end.x, s.end.y]);
        let mut hit: Option<(usize, Coord<f64>)> = None;
        for other in tree.locate_in_envelope_intersecting(&env) {
            let j = other.data;
            if j <= i || neighbours(i, j) {
                continue;
            }
            let at = match line_intersection(*s, segs[j]) {
                Some(LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                }) => intersection,
                Some(LineIntersection::Collinear { intersection }) => intersection.start,
                // Touching at a vertex (a figure eight) keeps every part's inside
                // well defined, and ESRI tools write such rings: not reported.
                _ => continue,
            };
            if hit.is_none_or(|(k, _)| j < k) {
                hit = Some((j, at));
            }
        }
        if let Some((_, at)) = hit {
            return Some(at);
        }
    }
    None
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
