//! A polygon prepared for many point tests: its rings flattened into one coordinate
//! buffer and its edges bucketed into horizontal bands, so that locating a point
//! looks only at the edges of one band (about log(vertices) work for real-shaped
//! zones instead of every edge).
//!
//! Location is three-valued ([`Location`]) with an explicit boundary tolerance: a
//! point within `tolerance` of any edge is [`Location::OnBoundary`], whatever the
//! even-odd crossing count says. Interior is decided by even-odd crossings over
//! every ring, which is exact for holes and for the rings of one polygon part.

use std::sync::OnceLock;

use geo_types::{Coord, LineString, Polygon};

/// Where a point lies relative to an area, boundary semantics explicit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// In the interior, farther than the tolerance from every edge.
    Inside,
    /// Within the tolerance of an edge (exactly on it, or a floating-point hair off).
    OnBoundary,
    /// In the exterior (or in a hole), farther than the tolerance from every edge.
    Outside,
}

/// Average number of edge entries per band the banding aims for.
const EDGES_PER_BAND: usize = 4;
/// Upper bound on bands per polygon, so memory stays proportional to edges.
const MAX_BANDS: usize = 1 << 16;

/// One polygon (exterior + holes) with a banded edge index.
#[derive(Clone, Debug)]
pub struct PreparedPolygon {
    /// All ring vertices, every ring closed (last == first).
    coords: Vec<Coord<f64>>,
    /// Start offset of each ring in `coords`, plus a final `coords.len()`.
    ring_starts: Vec<u32>,
    min: Coord<f64>,
    max: Coord<f64>,
    /// The boundary tolerance, in the polygon's CRS units.
    tolerance: f64,
    band_y0: f64,
    /// Bands per CRS unit of y (the inverse band height).
    band_per_y: f64,
    /// `band_edges[band_offsets[b]..band_offsets[b+1]]` are the edges (index of the
    /// edge's first vertex in `coords`) whose y-range, widened by the tolerance,
    /// meets band `b`.
    band_offsets: Vec<u32>,
    band_edges: Vec<u32>,
    /// Runs of consecutive edges with their bounding boxes, in groups, for the
    /// nearest edge to a point far from the boundary (deep inside), which the bands
    /// answer only by visiting most of them. Built on first use: only distance
    /// queries need them.
    chunks: OnceLock<EdgeRuns>,
}

/// The edge runs of a polygon ([`EdgeChunk`]) and groups of consecutive runs with
/// their bounding boxes: a distance query looks at every group's box, then at the
/// runs of the groups that may hold a nearer edge, then at their edges.
#[derive(Clone, Debug, Default)]
struct EdgeRuns {
    chunks: Vec<EdgeChunk>,
    /// Runs `first..end` of `chunks` per group, with their common box.
    groups: Vec<EdgeChunk>,
}

/// Edges `first..end` (edge `e` joins `coords[e]` and `coords[e + 1]`) of one ring
/// and their bounding box.
#[derive(Clone, Debug)]
struct EdgeChunk {
    min: Coord<f64>,
    max: Coord<f64>,
    first: u32,
    end: u32,
}

/// Edges per [`EdgeChunk`].
const EDGES_PER_CHUNK: usize = 16;
/// Edge runs per group in [`EdgeRuns`].
const CHUNKS_PER_GROUP: usize = 16;

impl PreparedPolygon {
    /// Prepares a polygon. Rings with fewer than 3 distinct vertices add no area and
    /// are ignored; open rings are closed. Returns `None` for a polygon with no usable
    /// exterior or with non-finite coordinates. The rings are copied once, into the
    /// prepared coordinates.
    pub fn new(polygon: &Polygon<f64>, tolerance: f64) -> Option<PreparedPolygon> {
        let rings = || std::iter::once(polygon.exterior()).chain(polygon.interiors());
        let mut coords = Vec::with_capacity(rings().map(|r| r.0.len() + 1).sum());
        coords.extend_from_slice(&polygon.exterior().0);
        Self::from_rings(coords, polygon.interiors(), tolerance)
    }

    /// [`PreparedPolygon::new`] for a polygon that is no longer needed: the exterior
    /// ring's buffer becomes the prepared coordinates, so a province of zones is not
    /// copied once more.
    pub fn from_owned(polygon: Polygon<f64>, tolerance: f64) -> Option<PreparedPolygon> {
        let (exterior, interiors) = polygon.into_inner();
        Self::from_rings(exterior.0, &interiors, tolerance)
    }

    /// Prepares the exterior ring `coords` (the buffer the prepared coordinates are
    /// built in) with the holes `interiors`.
    fn from_rings(
        mut coords: Vec<Coord<f64>>,
        interiors: &[LineString<f64>],
        tolerance: f64,
    ) -> Option<PreparedPolygon> {
        if coords.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
            return None;
        }
        let closed = coords.len() >= 2 && coords[0] == coords[coords.len() - 1];
        let distinct = if closed {
            coords.len() - 1
        } else {
            coords.len()
        };
        if distinct < 3 {
            return None;
        }
        if !closed {
            coords.push(coords[0]);
        }
        let mut ring_starts = Vec::with_capacity(interiors.len() + 2);
        ring_starts.push(0);
        coords.reserve(interiors.iter().map(|r| r.0.len() + 1).sum());
        for ring in interiors {
            push_ring(&mut coords, &mut ring_starts, ring)?;
        }
        if u32::try_from(coords.len()).is_err() {
            return None;
        }
        ring_starts.push(coords.len() as u32);
        Some(Self::index(coords, ring_starts, tolerance.max(0.0)))
    }

    fn index(coords: Vec<Coord<f64>>, ring_starts: Vec<u32>, tolerance: f64) -> PreparedPolygon {
        let mut min = Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        };
        let mut max = Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        };
        for c in &coords {
            min.x = min.x.min(c.x);
            min.y = min.y.min(c.y);
            max.x = max.x.max(c.x);
            max.y = max.y.max(c.y);
        }
        let edge_count = coords.len().saturating_sub(ring_starts.len() - 1);
        let bands = (edge_count / EDGES_PER_BAND).clamp(1, MAX_BANDS);
        let band_y0 = min.y - tolerance;
        let span = (max.y + tolerance) - band_y0;
        let band_per_y = if span > 0.0 { bands as f64 / span } else { 1.0 };
        let band_of = |y: f64| band_index(y, band_y0, band_per_y, bands);

        // Band span of every edge (computed once: the float-to-band conversion is the
        // costly part), then a CSR layout: counts, offsets, fill. No per-band Vec.
        let rings = ring_starts.len() - 1;
        let mut spans: Vec<(u32, u32)> = Vec::with_capacity(coords.len());
        let mut counts = vec![0u32; bands + 1];
        for r in 0..rings {
            for i in ring_starts[r] as usize..ring_starts[r + 1] as usize - 1 {
                let (a, b) = (coords[i], coords[i + 1]);
                let (lo_y, hi_y) = if a.y <= b.y { (a.y, b.y) } else { (b.y, a.y) };
                let (lo, hi) = (band_of(lo_y - tolerance), band_of(hi_y + tolerance));
                for c in &mut counts[lo..=hi] {
                    *c += 1;
                }
                spans.push((lo as u32, hi as u32));
            }
        }
        let mut band_offsets = vec![0u32; bands + 1];
        for b in 0..bands {
            band_offsets[b + 1] = band_offsets[b] + counts[b];
        }
        let mut fill: Vec<u32> = band_offsets[..bands].to_vec();
        let mut band_edges = vec![0u32; band_offsets[bands] as usize];
        let mut spans = spans.into_iter();
        for r in 0..rings {
            for i in ring_starts[r] as usize..ring_starts[r + 1] as usize - 1 {
                let Some((lo, hi)) = spans.next() else { break };
                for slot in &mut fill[lo as usize..=hi as usize] {
                    band_edges[*slot as usize] = i as u32;
                    *slot += 1;
                }
            }
        }
        PreparedPolygon {
            chunks: OnceLock::new(),
            coords,
            ring_starts,
            min,
            max,
            tolerance,
            band_y0,
            band_per_y,
            band_offsets,
            band_edges,
        }
    }

    /// Bounding box `(min, max)` of the polygon (without tolerance).
    pub fn bounds(&self) -> (Coord<f64>, Coord<f64>) {
        (self.min, self.max)
    }

    /// Number of vertices stored (rings closed).
    pub fn vertex_count(&self) -> usize {
        self.coords.len()
    }

    /// The boundary tolerance in CRS units.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The band holding `y` (clamped to the first and last band).
    fn band(&self, y: f64) -> usize {
        band_index(
            y,
            self.band_y0,
            self.band_per_y,
            self.band_offsets.len() - 1,
        )
    }

    fn band_range(&self, y: f64) -> &[u32] {
        let b = self.band(y);
        &self.band_edges[self.band_offsets[b] as usize..self.band_offsets[b + 1] as usize]
    }

    /// Locates a point: inside, on the boundary (within the tolerance of an edge), or
    /// outside (including inside a hole).
    ///
    /// ```
    /// use geo_types::{coord, polygon, Coord};
    /// use qingling::engine::{Location, PreparedPolygon};
    /// let square = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
    /// let p = PreparedPolygon::new(&square, 1e-4).unwrap();
    /// assert_eq!(p.locate(coord! { x: 5.0, y: 5.0 }), Location::Inside);
    /// assert_eq!(p.locate(coord! { x: 10.0, y: 3.0 }), Location::OnBoundary);
    /// assert_eq!(p.locate(coord! { x: 10.00005, y: 3.0 }), Location::OnBoundary);
    /// assert_eq!(p.locate(coord! { x: 10.001, y: 3.0 }), Location::Outside);
    /// ```
    pub fn locate(&self, p: Coord<f64>) -> Location {
        let tol = self.tolerance;
        if !(p.x >= self.min.x - tol
            && p.x <= self.max.x + tol
            && p.y >= self.min.y - tol
            && p.y <= self.max.y + tol)
        {
            return Location::Outside;
        }
        let tol2 = tol * tol;
        let mut inside = false;
        for &e in self.band_range(p.y) {
            let a = self.coords[e as usize];
            let b = self.coords[e as usize + 1];
            // Boundary band: only edges whose box, widened by tol, holds the point.
            if p.y >= a.y.min(b.y) - tol
                && p.y <= a.y.max(b.y) + tol
                && p.x >= a.x.min(b.x) - tol
                && p.x <= a.x.max(b.x) + tol
                && segment_distance2(p, a, b) <= tol2
            {
                return Location::OnBoundary;
            }
            // Even-odd crossing of the ray to +x, half-open in y so vertices count once.
            if (a.y > p.y) != (b.y > p.y) {
                let x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if p.x < x_cross {
                    inside = !inside;
                }
            }
        }
        if inside {
            Location::Inside
        } else {
            Location::Outside
        }
    }

    /// [`PreparedPolygon::locate`], and for a point outside, the squared distance to
    /// the nearest edge when that lies within `reach` (infinity otherwise): what
    /// [`PreparedPolygon::nearest_boundary`] says (with `x_scale` 1), found among the
    /// edges of the bands within `reach` of the point. Every edge that near has its
    /// y-range in one of them, so the distance is exact; the bands stay as narrow as
    /// the boundary tolerance makes them, so a point inside looks at one band only.
    pub fn locate_reach(&self, p: Coord<f64>, reach: f64) -> (Location, f64) {
        let location = self.locate(p);
        if location != Location::Outside {
            return (location, f64::NAN);
        }
        let reach = reach.max(0.0);
        if !(p.x >= self.min.x - reach
            && p.x <= self.max.x + reach
            && p.y >= self.min.y - reach
            && p.y <= self.max.y + reach)
        {
            return (Location::Outside, f64::INFINITY);
        }
        let reach2 = reach * reach * (1.0 + 1e-9);
        let (first, last) = (self.band(p.y - reach), self.band(p.y + reach));
        let edges = &self.band_edges
            [self.band_offsets[first] as usize..self.band_offsets[last + 1] as usize];
        let mut best = f64::INFINITY;
        for &e in edges {
            let a = self.coords[e as usize];
            let b = self.coords[e as usize + 1];
            let (lo, hi) = (
                Coord {
                    x: a.x.min(b.x),
                    y: a.y.min(b.y),
                },
                Coord {
                    x: a.x.max(b.x),
                    y: a.y.max(b.y),
                },
            );
            // The edge's box bounds its distance: measure only edges that may be
            // within reach and nearer than the nearest so far (with a margin for
            // rounding). An edge filed under several of the bands is met again and
            // skipped by the same test.
            let bound = box_distance2(p, lo, hi);
            if bound <= reach2 && bound <= best * (1.0 + 1e-9) {
                best = best.min(segment_nearest(p, a, b, 1.0).0);
            }
        }
        if best <= reach * reach {
            (Location::Outside, best)
        } else {
            (Location::Outside, f64::INFINITY)
        }
    }

    /// Distance from `p` to the nearest edge, in CRS units, with x distances scaled by
    /// `x_scale` (1 for projected CRSs; cos(latitude) for degrees, to rank edges by
    /// ground distance). Returns the distance and the nearest point on the boundary.
    /// Looks at bands outward from the point's band and stops as soon as no farther
    /// band can hold a nearer edge.
    pub fn nearest_boundary(&self, p: Coord<f64>, x_scale: f64) -> (f64, Coord<f64>) {
        let bands = self.band_offsets.len() - 1;
        let home = self.band(p.y);
        let mut best = f64::INFINITY;
        let mut best_pt = p;
        let visit = |b: usize, best: &mut f64, best_pt: &mut Coord<f64>| {
            for &e in
                &self.band_edges[self.band_offsets[b] as usize..self.band_offsets[b + 1] as usize]
            {
                let a = self.coords[e as usize];
                let c = self.coords[e as usize + 1];
                // The distance to the edge's box bounds the distance to the edge: skip
                // edges that cannot come nearer (the margin keeps rounding from ever
                // skipping the edge a full scan would pick).
                let dx = (a.x.min(c.x) - p.x).max(p.x - a.x.max(c.x)).max(0.0) * x_scale;
                let dy = (a.y.min(c.y) - p.y).max(p.y - a.y.max(c.y)).max(0.0);
                if dx * dx + dy * dy > *best * (1.0 + 1e-9) {
                    continue;
                }
                let (d2, q) = segment_nearest(p, a, c, x_scale);
                if d2 < *best {
                    *best = d2;
                    *best_pt = q;
                }
            }
        };
        visit(home, &mut best, &mut best_pt);
        let mut k = 1;
        loop {
            let below = home.checked_sub(k);
            let above = (home + k < bands).then_some(home + k);
            if below.is_none() && above.is_none() {
                break;
            }
            // Nearest possible y-gap to band home±k is (k-1) full bands.
            let gap = (k as f64 - 1.0) / self.band_per_y;
            if gap > 0.0 && gap * gap > best {
                break;
            }
            if let Some(b) = below {
                visit(b, &mut best, &mut best_pt);
            }
            if let Some(b) = above {
                visit(b, &mut best, &mut best_pt);
            }
            k += 1;
        }
        (best.sqrt(), best_pt)
    }

    /// The squared distance from `p` to the nearest edge, in CRS units: the distance
    /// [`PreparedPolygon::nearest_boundary`] gives with `x_scale` 1, found through
    /// the edge runs nearest first, so a point deep inside looks at a few runs
    /// rather than at every band.
    pub fn nearest_distance2(&self, p: Coord<f64>) -> f64 {
        let runs = self
            .chunks
            .get_or_init(|| EdgeRuns::new(&self.coords, &self.ring_starts));
        let scan = |c: &EdgeChunk, best: f64| {
            let vertices = &self.coords[c.first as usize..=c.end as usize];
            // Every edge's distance first (the same arithmetic as `segment_nearest`,
            // without branches, so the compiler can do several edges at once), then
            // the smallest.
            let mut d2 = [f64::INFINITY; EDGES_PER_CHUNK];
            for (d2, ab) in d2.iter_mut().zip(vertices.windows(2)) {
                *d2 = segment_distance2_branchless(p, ab[0], ab[1]);
            }
            d2.iter().fold(best, |best, &d| best.min(d))
        };
        let nearest = |boxes: &[EdgeChunk]| {
            boxes
                .iter()
                .enumerate()
                .map(|(i, c)| (i, box_distance2(p, c.min, c.max)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        };
        // The nearest run of the group whose box is nearest first, for a good bound;
        // then every run whose box (and its group's) could hold a nearer edge. A box
        // bounds every edge in it; the margin keeps rounding from ever skipping the
        // edge a full scan would pick.
        let Some(g) = nearest(&runs.groups) else {
            return f64::INFINITY;
        };
        let group = &runs.groups[g];
        let in_group = group.first as usize..group.end as usize;
        let Some(first) = nearest(&runs.chunks[in_group.clone()]).map(|i| in_group.start + i)
        else {
            return f64::INFINITY;
        };
        let mut best = scan(&runs.chunks[first], f64::INFINITY);
        for group in &runs.groups {
            if box_distance2(p, group.min, group.max) > best * (1.0 + 1e-9) {
                continue;
            }
            for i in group.first as usize..group.end as usize {
                let c = &runs.chunks[i];
                if i != first && box_distance2(p, c.min, c.max) <= best * (1.0 + 1e-9) {
                    best = scan(c, best);
                }
            }
        }
        best
    }

    /// The prepared rings as a geo polygon again (exterior first, then holes), for the
    /// rare exact tests on line and polygon sites.
    pub fn to_polygon(&self) -> Polygon<f64> {
        let mut rings = (0..self.ring_starts.len() - 1).map(|r| {
            LineString::from(
                self.coords[self.ring_starts[r] as usize..self.ring_starts[r + 1] as usize]
                    .to_vec(),
            )
        });
        let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
        Polygon::new(exterior, rings.collect())
    }

    /// Brute-force location over every edge: the reference the banded path must agree
    /// with (used by tests and benchmarks).
    pub fn locate_brute_force(&self, p: Coord<f64>) -> Location {
        let tol2 = self.tolerance * self.tolerance;
        let mut inside = false;
        for r in 0..self.ring_starts.len() - 1 {
            let (s, e) = (
                self.ring_starts[r] as usize,
                self.ring_starts[r + 1] as usize,
            );
            for i in s..e - 1 {
                let (a, b) = (self.coords[i], self.coords[i + 1]);
                if segment_distance2(p, a, b) <= tol2 {
                    return Location::OnBoundary;
                }
                if (a.y > p.y) != (b.y > p.y) {
                    let x_cross = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                    if p.x < x_cross {
                        inside = !inside;
                    }
                }
            }
        }
        if inside {
            Location::Inside
        } else {
            Location::Outside
        }
    }
}

/// The band of `y`: monotonic in `y`, so a point whose y lies in an edge's widened
/// y-range always falls in one of the bands that edge was filed under. NaN → band 0.
#[inline]
fn band_index(y: f64, y0: f64, per_y: f64, bands: usize) -> usize {
    let b = (y - y0) * per_y;
    if b >= bands as f64 {
        bands - 1
    } else if b > 0.0 {
        // 0 < b < bands ≤ MAX_BANDS: a u32 conversion is exact and cheaper than usize.
        b as u32 as usize
    } else {
        0
    }
}

/// Appends one ring (closed, finite). Returns Ok(false) if it is degenerate and was
/// skipped, None (abort) on non-finite coordinates.
fn push_ring(
    coords: &mut Vec<Coord<f64>>,
    ring_starts: &mut Vec<u32>,
    ring: &LineString<f64>,
) -> Option<bool> {
    let pts = &ring.0;
    if pts.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return None;
    }
    let closed = pts.len() >= 2 && pts[0] == pts[pts.len() - 1];
    let distinct = if closed { pts.len() - 1 } else { pts.len() };
    if distinct < 3 {
        return Some(false);
    }
    ring_starts.push(u32::try_from(coords.len()).ok()?);
    coords.extend_from_slice(pts);
    if !closed {
        coords.push(pts[0]);
    }
    Some(true)
}

/// The edges of every ring in runs of [`EDGES_PER_CHUNK`].
fn edge_chunks(coords: &[Coord<f64>], ring_starts: &[u32]) -> Vec<EdgeChunk> {
    let mut chunks = Vec::new();
    for r in ring_starts.windows(2) {
        // Edges of the ring: its vertices but the last (the closing copy).
        let (start, end) = (r[0] as usize, (r[1] as usize).saturating_sub(1));
        let mut first = start;
        while first < end {
            let last = (first + EDGES_PER_CHUNK).min(end);
            let mut min = coords[first];
            let mut max = coords[first];
            for c in &coords[first..=last] {
                min.x = min.x.min(c.x);
                min.y = min.y.min(c.y);
                max.x = max.x.max(c.x);
                max.y = max.y.max(c.y);
            }
            chunks.push(EdgeChunk {
                min,
                max,
                first: first as u32,
                end: last as u32,
            });
            first = last;
        }
    }
    chunks
}

impl EdgeRuns {
    fn new(coords: &[Coord<f64>], ring_starts: &[u32]) -> EdgeRuns {
        let chunks = edge_chunks(coords, ring_starts);
        let groups = chunks
            .chunks(CHUNKS_PER_GROUP)
            .zip((0u32..).step_by(CHUNKS_PER_GROUP))
            .map(|(group, first)| {
                let (mut min, mut max) = (group[0].min, group[0].max);
                for c in group {
                    min.x = min.x.min(c.min.x);
                    min.y = min.y.min(c.min.y);
                    max.x = max.x.max(c.max.x);
                    max.y = max.y.max(c.max.y);
                }
                EdgeChunk {
                    min,
                    max,
                    first,
                    end: first + group.len() as u32,
                }
            })
            .collect();
        EdgeRuns { chunks, groups }
    }
}

/// Squared distance from `p` to the box `min..max` (0 inside it).
#[inline]
fn box_distance2(p: Coord<f64>, min: Coord<f64>, max: Coord<f64>) -> f64 {
    let dx = (min.x - p.x).max(p.x - max.x).max(0.0);
    let dy = (min.y - p.y).max(p.y - max.y).max(0.0);
    dx * dx + dy * dy
}

/// [`segment_distance2`] computed without branches: a degenerate segment's 0/0
/// parameter is NaN, which `max` turns into 0, as `segment_nearest` takes it.
/// The same operations in the same order, so the same result to the bit.
#[inline(always)]
#[allow(clippy::manual_clamp)] // clamp would keep the NaN
fn segment_distance2_branchless(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2)
        .max(0.0)
        .min(1.0);
    let (qx, qy) = (a.x + t * dx, a.y + t * dy);
    let (ex, ey) = (p.x - qx, p.y - qy);
    ex * ex + ey * ey
}

/// Squared distance from `p` to segment `ab`.
#[inline]
fn segment_distance2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    segment_nearest(p, a, b, 1.0).0
}

/// Squared (x-scaled) distance from `p` to segment `ab` and the nearest point.
#[inline]
fn segment_nearest(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>, x_scale: f64) -> (f64, Coord<f64>) {
    let (ax, bx, px) = (a.x * x_scale, b.x * x_scale, p.x * x_scale);
    let (dx, dy) = (bx - ax, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((px - ax) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (ax + t * dx, a.y + t * dy);
    let (ex, ey) = (px - qx, p.y - qy);
    let q = if t <= 0.0 {
        a
    } else if t >= 1.0 {
        b
    } else {
        Coord {
            x: a.x + t * (b.x - a.x),
            y: qy,
        }
    };
    (ex * ex + ey * ey, q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon};
    use proptest::prelude::*;

    fn square_with_hole() -> Polygon<f64> {
        polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 40.0, y: 40.0), (x: 40.0, y: 60.0), (x: 60.0, y: 60.0), (x: 60.0, y: 40.0), (x: 40.0, y: 40.0)]],
        )
    }

    #[test]
    fn a_point_in_the_hole_is_outside_and_on_the_hole_edge_is_boundary() {
        let p = PreparedPolygon::new(&square_with_hole(), 1e-4).unwrap();
        assert_eq!(p.locate(coord! {x: 50.0, y: 50.0}), Location::Outside);
        assert_eq!(p.locate(coord! {x: 40.0, y: 50.0}), Location::OnBoundary);
        assert_eq!(p.locate(coord! {x: 20.0, y: 50.0}), Location::Inside);
        assert_eq!(p.locate(coord! {x: 150.0, y: 50.0}), Location::Outside);
    }

    #[test]
    fn vertices_and_edge_midpoints_are_on_the_boundary() {
        let poly = random_star(12345, 300, 1000.0, 3);
        let p = PreparedPolygon::new(&poly, 1e-4).unwrap();
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                assert_eq!(p.locate(w[0]), Location::OnBoundary, "vertex {:?}", w[0]);
                let mid = coord! { x: (w[0].x + w[1].x) / 2.0, y: (w[0].y + w[1].y) / 2.0 };
                assert_eq!(p.locate(mid), Location::OnBoundary, "midpoint {mid:?}");
            }
        }
    }

    #[test]
    fn a_u_shape_has_its_notch_outside() {
        let u = polygon![(x: 0.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 30.0), (x: 20.0, y: 30.0),
            (x: 20.0, y: 10.0), (x: 10.0, y: 10.0), (x: 10.0, y: 30.0), (x: 0.0, y: 30.0)];
        let p = PreparedPolygon::new(&u, 1e-4).unwrap();
        assert_eq!(p.locate(coord! {x: 15.0, y: 20.0}), Location::Outside);
        assert_eq!(p.locate(coord! {x: 5.0, y: 20.0}), Location::Inside);
        assert_eq!(p.locate(coord! {x: 15.0, y: 5.0}), Location::Inside);
    }

    #[test]
    fn nearest_boundary_is_exact_for_a_square() {
        let p = PreparedPolygon::new(&square_with_hole(), 1e-4).unwrap();
        let (d, q) = p.nearest_boundary(coord! {x: 10.0, y: 50.0}, 1.0);
        assert!((d - 10.0).abs() < 1e-12);
        assert_eq!(q, coord! {x: 0.0, y: 50.0});
        let (d, _) = p.nearest_boundary(coord! {x: 50.0, y: 50.0}, 1.0);
        assert!((d - 10.0).abs() < 1e-12);
        let (d, _) = p.nearest_boundary(coord! {x: 103.0, y: 104.0}, 1.0);
        assert!((d - 5.0).abs() < 1e-12);
    }

    /// A star-shaped (so simple) polygon with `holes` small square holes near its centre.
    pub(crate) fn random_star(seed: u64, n: usize, radius: f64, holes: usize) -> Polygon<f64> {
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut ext: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = radius * (0.5 + 0.5 * next());
                coord! { x: r * a.cos(), y: r * a.sin() }
            })
            .collect();
        ext.push(ext[0]);
        let interiors = (0..holes)
            .map(|h| {
                let cx = (h as f64 - holes as f64 / 2.0) * radius * 0.1;
                let s = radius * 0.04;
                LineString::from(vec![
                    (cx - s, -s),
                    (cx - s, s),
                    (cx + s, s),
                    (cx + s, -s),
                    (cx - s, -s),
                ])
            })
            .collect();
        Polygon::new(LineString::from(ext), interiors)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn banded_location_agrees_with_brute_force(seed in 1u64..u64::MAX, n in 3usize..400, holes in 0usize..4,
                                                   pts in prop::collection::vec((-1.2f64..1.2, -1.2f64..1.2), 200)) {
            let poly = random_star(seed, n, 1000.0, holes);
            let p = PreparedPolygon::new(&poly, 1e-4).unwrap();
            for (x, y) in pts {
                let c = coord! { x: x * 1000.0, y: y * 1000.0 };
                prop_assert_eq!(p.locate(c), p.locate_brute_force(c), "at {:?}", c);
            }
            // Vertices too: the boundary band must be found through the bands.
            for c in poly.exterior().0.iter().take(50) {
                prop_assert_eq!(p.locate(*c), Location::OnBoundary);
            }
        }

        #[test]
        fn nearest_boundary_agrees_with_brute_force(seed in 1u64..u64::MAX, n in 3usize..200,
                                                    x in -1.5f64..1.5, y in -1.5f64..1.5) {
            let poly = random_star(seed, n, 1000.0, 2);
            let p = PreparedPolygon::new(&poly, 1e-4).unwrap();
            let c = coord! { x: x * 1000.0, y: y * 1000.0 };
            let (d, _) = p.nearest_boundary(c, 1.0);
            let brute = std::iter::once(poly.exterior()).chain(poly.interiors())
                .flat_map(|r| r.0.windows(2).map(|w| segment_distance2(c, w[0], w[1]).sqrt()).collect::<Vec<_>>())
                .fold(f64::INFINITY, f64::min);
            prop_assert!((d - brute).abs() < 1e-9, "{} vs {}", d, brute);
        }

        #[test]
        fn nearest_distance_by_runs_is_exactly_the_band_scan(seed in 1u64..u64::MAX, n in 3usize..3000,
                                                              pts in prop::collection::vec((-1.5f64..1.5, -1.5f64..1.5), 50)) {
            let poly = random_star(seed, n, 1000.0, 2);
            let p = PreparedPolygon::new(&poly, 1e-4).unwrap();
            for (x, y) in pts {
                let c = coord! { x: x * 1000.0, y: y * 1000.0 };
                prop_assert_eq!(p.nearest_distance2(c).sqrt(), p.nearest_boundary(c, 1.0).0, "at {:?}", c);
            }
        }

        #[test]
        fn locate_reach_is_locate_and_the_exact_distance_within_reach(
            seed in 1u64..u64::MAX, n in 3usize..300, holes in 0usize..3,
            pts in prop::collection::vec((-1.2f64..1.2, -1.2f64..1.2), 100)) {
            let poly = random_star(seed, n, 1000.0, holes);
            let p = PreparedPolygon::new(&poly, 1e-4).unwrap();
            let mut points: Vec<Coord<f64>> = pts.iter().map(|(x, y)| coord! { x: x * 1000.0, y: y * 1000.0 }).collect();
            // Points just off the vertices: on the boundary, or near it.
            points.extend(poly.exterior().0.iter().take(30).map(|c| coord! { x: c.x + 20.0, y: c.y - 7.0 }));
            points.extend(poly.exterior().0.iter().take(30).copied());
            for c in points {
                let (loc, d2) = p.locate_reach(c, 50.0);
                prop_assert_eq!(loc, p.locate(c), "at {:?}", c);
                let exact = p.nearest_boundary(c, 1.0).0;
                if loc == Location::Outside && exact <= 50.0 {
                    prop_assert_eq!(d2.sqrt(), exact, "at {:?}", c);
                }
                if loc == Location::Outside && exact > 50.0 {
                    prop_assert_eq!(d2, f64::INFINITY, "at {:?}", c);
                }
            }
        }
    }
}
