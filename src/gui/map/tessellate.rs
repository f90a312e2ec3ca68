//! Polygons to triangles, simplified to the zoom level, for filled drawing.
//!
//! egui fills a path correctly only when it is convex, and protection zones are
//! anything but (U-shaped river banks, rings with holes). Each polygon is therefore
//! cut into triangles with earcut and drawn as a mesh. The work runs on a worker
//! thread once per detail level (see [`super::cache`]); vertices are stored as `f32`
//! offsets from an origin near the data, so a mesh is reused while panning and zooming
//! within the level by a shift and a scale.

use geo::{Simplify, Winding};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::view::WorldPos;

/// The drawable shapes of one feature, relative to a [`LevelShapes::origin`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureShapes {
    /// Fill triangles: vertex positions and index triples into them.
    pub vertices: Vec<[f32; 2]>,
    pub indices: Vec<u32>,
    /// Closed rings (polygon outlines) and open lines.
    pub rings: Vec<Vec<[f32; 2]>>,
    pub lines: Vec<Vec<[f32; 2]>>,
}

impl FeatureShapes {
    pub fn is_empty(&self) -> bool {
        self.vertices.is_empty() && self.rings.is_empty() && self.lines.is_empty()
    }
}

/// Shapes of every feature of a layer at one detail level.
#[derive(Clone, Debug, Default)]
pub struct LevelShapes {
    pub level: i32,
    pub origin: WorldPos,
    /// One entry per display feature, same order.
    pub features: Vec<FeatureShapes>,
}

/// Triangulate one polygon (exterior and holes) into `out`, with coordinates taken
/// relative to `origin`. Degenerate rings (fewer than three distinct points) are
/// skipped; a polygon earcut rejects gets no fill but keeps its outline.
pub fn triangulate_polygon(poly: &Polygon<f64>, origin: WorldPos, out: &mut FeatureShapes) {
    let mut flat: Vec<f64> = Vec::new();
    let mut holes: Vec<usize> = Vec::new();
    let mut ring_points: Vec<Vec<[f32; 2]>> = Vec::new();
    let rings = std::iter::once(poly.exterior()).chain(poly.interiors().iter());
    for (i, ring) in rings.enumerate() {
        let pts = open_ring(ring);
        if pts.len() < 3 {
            if i == 0 {
                return; // no exterior: nothing to fill or outline
            }
            continue;
        }
        if i > 0 {
            holes.push(flat.len() / 2);
        }
        let mut rp = Vec::with_capacity(pts.len());
        for c in &pts {
            let (x, y) = (c.x - origin.x, c.y - origin.y);
            flat.push(x);
            flat.push(y);
            rp.push([x as f32, y as f32]);
        }
        ring_points.push(rp);
    }
    if let Ok(tri) = earcutr::earcut(&flat, &holes, 2) {
        let base = out.vertices.len() as u32;
        out.vertices
            .extend(flat.chunks_exact(2).map(|c| [c[0] as f32, c[1] as f32]));
        out.indices.extend(tri.into_iter().map(|i| base + i as u32));
    }
    out.rings.extend(ring_points);
}

/// The ring's coordinates without the closing repeat of the first point.
fn open_ring(ring: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = ring
        .0
        .iter()
        .copied()
        .filter(|c| c.x.is_finite() && c.y.is_finite())
        .collect();
    pts.dedup();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    pts
}

/// Simplify `poly` to `tolerance_m`: first an O(n) pass that drops vertices closer
/// than a quarter of the tolerance to the last one kept (cheap, and at coarse zoom it
/// removes nearly all of them), then Douglas-Peucker on what is left. When that would
/// collapse the exterior (a zone only a few points wide), the pre-thinned ring is
/// used, or failing that a few evenly spaced vertices: never the full-detail original,
/// which at province zoom would put millions of vertices in every frame.
fn simplified_polygon(poly: &Polygon<f64>, tolerance_m: f64) -> Polygon<f64> {
    if tolerance_m <= 0.0 || !tolerance_m.is_finite() {
        return poly.clone();
    }
    let thin = |ring: &LineString<f64>| thin_ring(ring, tolerance_m / 4.0);
    let thinned = Polygon::new(
        thin(poly.exterior()),
        poly.interiors().iter().map(thin).collect(),
    );
    let s = thinned.simplify(tolerance_m);
    let mut s = if s.exterior().0.len() >= 4 {
        s
    } else if thinned.exterior().0.len() >= 4 {
        Polygon::new(thinned.exterior().clone(), vec![])
    } else {
        Polygon::new(sample_ring(poly.exterior(), 8), vec![])
    };
    s.exterior_mut(|e| e.make_ccw_winding());
    s
}

/// `ring` without the vertices closer than `min_step` to the last vertex kept (the
/// closing vertex is always kept).
fn thin_ring(ring: &LineString<f64>, min_step: f64) -> LineString<f64> {
    let pts = &ring.0;
    if pts.len() <= 4 {
        return ring.clone();
    }
    let min2 = min_step * min_step;
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(pts.len().min(1024));
    out.push(pts[0]);
    let mut last = pts[0];
    for c in &pts[1..pts.len() - 1] {
        let (dx, dy) = (c.x - last.x, c.y - last.y);
        if dx * dx + dy * dy >= min2 {
            out.push(*c);
            last = *c;
        }
    }
    out.push(pts[pts.len() - 1]);
    LineString(out)
}

/// About `n` evenly spaced vertices of `ring`, closed (or the ring if it is shorter).
fn sample_ring(ring: &LineString<f64>, n: usize) -> LineString<f64> {
    let pts = &ring.0;
    if pts.len() <= n + 1 {
        return ring.clone();
    }
    let step = (pts.len() - 1).div_ceil(n);
    let mut out: Vec<Coord<f64>> = pts[..pts.len() - 1].iter().step_by(step).copied().collect();
    out.push(pts[0]);
    LineString(out)
}

/// The shapes of one geometry, simplified to `tolerance_m` metres.
pub fn shapes_of(geom: &Geometry<f64>, origin: WorldPos, tolerance_m: f64) -> FeatureShapes {
    let mut out = FeatureShapes::default();
    add_geometry(geom, origin, tolerance_m, &mut out);
    out
}

fn add_geometry(geom: &Geometry<f64>, origin: WorldPos, tol: f64, out: &mut FeatureShapes) {
    match geom {
        Geometry::Polygon(p) => triangulate_polygon(&simplified_polygon(p, tol), origin, out),
        Geometry::MultiPolygon(mp) => {
            for p in &mp.0 {
                triangulate_polygon(&simplified_polygon(p, tol), origin, out);
            }
        }
        Geometry::Rect(r) => triangulate_polygon(&r.to_polygon(), origin, out),
        Geometry::Triangle(t) => triangulate_polygon(&t.to_polygon(), origin, out),
        Geometry::LineString(ls) => out.lines.push(line_points(&ls.simplify(tol), origin)),
        Geometry::MultiLineString(mls) => {
            for ls in &mls.0 {
                out.lines.push(line_points(&ls.simplify(tol), origin));
            }
        }
        Geometry::Line(l) => out
            .lines
            .push(line_points(&LineString::from(vec![l.start, l.end]), origin)),
        Geometry::GeometryCollection(gc) => {
            for g in &gc.0 {
                add_geometry(g, origin, tol, out);
            }
        }
        // Points are drawn as symbols, not meshes.
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
    }
}

fn line_points(ls: &LineString<f64>, origin: WorldPos) -> Vec<[f32; 2]> {
    ls.0.iter()
        .map(|c| [(c.x - origin.x) as f32, (c.y - origin.y) as f32])
        .collect()
}

/// Total area of the fill triangles (for tests and sanity checks).
pub fn triangle_area(shapes: &FeatureShapes) -> f64 {
    shapes
        .indices
        .chunks_exact(3)
        .map(|t| {
            let [a, b, c] = [t[0], t[1], t[2]].map(|i| shapes.vertices[i as usize]);
            let (ax, ay) = (a[0] as f64, a[1] as f64);
            let (bx, by) = (b[0] as f64, b[1] as f64);
            let (cx, cy) = (c[0] as f64, c[1] as f64);
            ((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)).abs() / 2.0
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::{MultiPolygon, polygon};

    const ORIGIN: WorldPos = WorldPos { x: 1.2e7, y: 4.5e6 };

    fn shift(p: Polygon<f64>) -> Polygon<f64> {
        use geo::Translate;
        p.translate(ORIGIN.x, ORIGIN.y)
    }

    #[test]
    fn a_u_shape_is_covered_exactly_by_its_triangles() {
        // A U: 30 wide, 30 high, with a 10 x 20 notch from the top.
        let u = shift(polygon![
            (x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0),
            (x: 20.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0),
            (x: 0.0, y: 0.0),
        ]);
        let s = shapes_of(&Geometry::Polygon(u.clone()), ORIGIN, 0.0);
        assert_eq!(u.unsigned_area(), 700.0);
        assert!(
            (triangle_area(&s) - 700.0).abs() < 1e-6,
            "{}",
            triangle_area(&s)
        );
        assert_eq!(s.rings.len(), 1);
    }

    #[test]
    fn a_polygon_with_a_hole_leaves_the_hole_unfilled() {
        let p = shift(polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
            interiors: [[(x: 20.0, y: 20.0), (x: 20.0, y: 60.0), (x: 70.0, y: 60.0), (x: 70.0, y: 20.0)]],
        ));
        let s = shapes_of(&Geometry::Polygon(p.clone()), ORIGIN, 0.0);
        assert!((p.unsigned_area() - 8000.0).abs() < 1e-9);
        assert!(
            (triangle_area(&s) - 8000.0).abs() < 1e-6,
            "{}",
            triangle_area(&s)
        );
        assert_eq!(s.rings.len(), 2);
    }

    #[test]
    fn multipolygons_fill_every_part() {
        let a = shift(
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
        );
        let b = shift(polygon![(x: 50.0, y: 0.0), (x: 60.0, y: 0.0), (x: 55.0, y: 20.0)]);
        let s = shapes_of(
            &Geometry::MultiPolygon(MultiPolygon(vec![a, b])),
            ORIGIN,
            0.0,
        );
        assert!((triangle_area(&s) - 200.0).abs() < 1e-6);
    }

    #[test]
    fn simplification_keeps_the_area_close_and_drops_tiny_wiggles() {
        // A square whose bottom edge has 1000 wiggles of 1 cm.
        let mut pts: Vec<(f64, f64)> = (0..=1000)
            .map(|i| (i as f64, if i % 2 == 0 { 0.0 } else { 0.01 }))
            .collect();
        pts.extend([(1000.0, 1000.0), (0.0, 1000.0), (0.0, 0.0)]);
        let p = shift(Polygon::new(LineString::from(pts), vec![]));
        let s = shapes_of(&Geometry::Polygon(p), ORIGIN, 1.0);
        assert!(s.rings[0].len() < 10, "{} points left", s.rings[0].len());
        assert!((triangle_area(&s) - 1_000_000.0).abs() < 1_000_000.0 * 1e-3);
    }

    #[test]
    fn a_polygon_a_few_tolerances_wide_keeps_a_small_outline_not_its_full_detail() {
        // A 2000-vertex circle 3 m across simplified at 1 m: Douglas-Peucker alone
        // collapses it; the result must stay small and still cover most of it.
        let pts: Vec<(f64, f64)> = (0..=2000)
            .map(|i| {
                let a = i as f64 / 2000.0 * std::f64::consts::TAU;
                (1.5 * a.cos(), 1.5 * a.sin())
            })
            .collect();
        let p = shift(Polygon::new(LineString::from(pts), vec![]));
        let s = shapes_of(&Geometry::Polygon(p.clone()), ORIGIN, 1.0);
        assert!(
            (4..=40).contains(&s.rings[0].len()),
            "{} vertices",
            s.rings[0].len()
        );
        let area = triangle_area(&s);
        assert!(area > 0.5 * p.unsigned_area(), "{area}");
    }

    #[test]
    fn thinning_keeps_the_ring_closed_and_drops_close_vertices() {
        let ring = LineString::from(vec![
            (0.0, 0.0),
            (0.1, 0.0),
            (0.2, 0.0),
            (5.0, 0.0),
            (5.0, 5.0),
            (0.0, 0.0),
        ]);
        let t = thin_ring(&ring, 1.0);
        assert_eq!(t.0.first(), t.0.last());
        assert_eq!(t.0.len(), 4);
    }

    #[test]
    fn degenerate_rings_give_no_triangles_and_no_panic() {
        let p = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)]),
            vec![],
        );
        let s = shapes_of(&Geometry::Polygon(p), WorldPos { x: 0.0, y: 0.0 }, 0.0);
        assert!(s.indices.is_empty());
        let nan = Polygon::new(
            LineString::from(vec![
                (f64::NAN, 0.0),
                (1.0, 1.0),
                (2.0, 0.0),
                (f64::NAN, 0.0),
            ]),
            vec![],
        );
        let _ = shapes_of(&Geometry::Polygon(nan), WorldPos { x: 0.0, y: 0.0 }, 0.0);
    }
}
