//! The zone index: an R-tree (rstar, the version geo uses) over the parts of every
//! zone polygon, each part a [`PreparedPolygon`]. Zones stay in their own CRS; the
//! caller brings sites into it.

use geo_types::{Coord, Geometry, MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::prepared::{Location, PreparedPolygon};
use crate::model::Fid;

type PartEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// One polygon part of a zone.
#[derive(Debug)]
struct Part {
    /// Index into [`ZoneIndex::zone_fids`].
    zone: u32,
    polygon: PreparedPolygon,
}

/// What a zone geometry could not contribute to the index.
#[derive(Clone, Debug, PartialEq)]
pub struct SkippedZone {
    pub fid: Fid,
    pub reason: &'static str,
}

/// An R-tree of prepared zone parts, all in one CRS.
#[derive(Debug)]
pub struct ZoneIndex {
    parts: Vec<Part>,
    /// The fid of each indexed zone (features without usable polygons are skipped).
    zone_fids: Vec<Fid>,
    /// `parts[zone_parts[z]..zone_parts[z + 1]]` are the parts of zone `z` (a zone's
    /// parts are consecutive).
    zone_parts: Vec<u32>,
    /// The parts' boxes, widened by the larger of the tolerance and the reach.
    tree: RTree<PartEntry>,
    tolerance: f64,
    /// How far outside a zone [`ZoneIndex::locate_point_near`] measures distances.
    reach: f64,
    skipped: Vec<SkippedZone>,
}

/// A zone's relation to a site, combined over the zone's parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZoneMatch {
    /// Position of the zone in the index (see [`ZoneIndex::zone_fid`]).
    pub zone: u32,
    pub location: Location,
}

/// A zone a point is in, on, or within reach of ([`ZoneIndex::locate_point_near`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NearMatch {
    /// Position of the zone in the index (see [`ZoneIndex::zone_fid`]).
    pub zone: u32,
    pub location: Location,
    /// For [`Location::Outside`], the squared distance to the zone's nearest boundary
    /// (CRS units); meaningless otherwise.
    pub distance2: f64,
}

impl ZoneIndex {
    /// Builds the index from `(fid, geometry)` pairs; geometries are consumed so their
    /// memory is freed as parts are prepared. Polygons and multipolygons are indexed;
    /// other geometries (and unusable polygons) are listed in [`ZoneIndex::skipped`].
    /// `tolerance` is the boundary band in the CRS's units.
    pub fn build(zones: Vec<(Fid, Option<Geometry<f64>>)>, tolerance: f64) -> ZoneIndex {
        Self::build_reaching(zones, tolerance, tolerance)
    }

    /// [`ZoneIndex::build`] for locating points and measuring, for the zones they are
    /// outside of, distances up to `reach` ([`ZoneIndex::locate_point_near`]). The
    /// parts are prepared with the boundary tolerance; only the R-tree boxes are
    /// widened by the reach.
    pub fn build_reaching(
        zones: Vec<(Fid, Option<Geometry<f64>>)>,
        tolerance: f64,
        reach: f64,
    ) -> ZoneIndex {
        let prepared = zones
            .into_par_iter()
            .map(|(fid, g)| (fid, prepare_zone(g, tolerance)))
            .collect();
        Self::from_prepared(prepared, tolerance, reach)
    }

    /// [`ZoneIndex::build_reaching`] of zone geometries that stay in use: each ring
    /// is copied once, straight into the index (no copy of the geometries first).
    pub fn build_reaching_copies(
        zones: &[(Fid, Option<&Geometry<f64>>)],
        tolerance: f64,
        reach: f64,
    ) -> ZoneIndex {
        let prepared = zones
            .par_iter()
            .map(|&(fid, g)| (fid, prepare_zone_copy(g, tolerance)))
            .collect();
        Self::from_prepared(prepared, tolerance, reach)
    }

    fn from_prepared(
        prepared: Vec<(Fid, Result<Vec<PreparedPolygon>, &'static str>)>,
        tolerance: f64,
        reach: f64,
    ) -> ZoneIndex {
        let mut parts = Vec::new();
        let mut zone_fids = Vec::new();
        let mut zone_parts = vec![0u32];
        let mut skipped = Vec::new();
        for (fid, res) in prepared {
            match res {
                Ok(polys) if !polys.is_empty() => {
                    let zone = zone_fids.len() as u32;
                    zone_fids.push(fid);
                    parts.extend(polys.into_iter().map(|polygon| Part { zone, polygon }));
                    zone_parts.push(parts.len() as u32);
                }
                Ok(_) => skipped.push(SkippedZone {
                    fid,
                    reason: "no usable polygon",
                }),
                Err(reason) => skipped.push(SkippedZone { fid, reason }),
            }
        }
        let entries: Vec<PartEntry> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (min, max) = p.polygon.bounds();
                let t = tolerance.max(reach);
                GeomWithData::new(
                    Rectangle::from_corners([min.x - t, min.y - t], [max.x + t, max.y + t]),
                    i as u32,
                )
            })
            .collect();
        ZoneIndex {
            parts,
            zone_fids,
            zone_parts,
            tree: RTree::bulk_load(entries),
            tolerance,
            reach,
            skipped,
        }
    }

    /// Number of zones indexed.
    pub fn len(&self) -> usize {
        self.zone_fids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zone_fids.is_empty()
    }

    /// Number of polygon parts indexed.
    pub fn part_count(&self) -> usize {
        self.parts.len()
    }

    /// The source fid of an indexed zone.
    pub fn zone_fid(&self, zone: u32) -> Fid {
        self.zone_fids[zone as usize]
    }

    /// Zones that had no usable polygon, with why.
    pub fn skipped(&self) -> &[SkippedZone] {
        &self.skipped
    }

    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// Every zone whose closure (interior or boundary band) holds `p`, each once,
    /// with its combined location (Inside wins over OnBoundary across parts), in
    /// ascending zone order. `out` is cleared first and reused to avoid allocation.
    pub fn locate_point(&self, p: Coord<f64>, out: &mut Vec<ZoneMatch>) {
        self.locate_point_among(
            p,
            self.tree.locate_all_at_point(&[p.x, p.y]).map(|e| e.data),
            out,
        );
    }

    /// The parts whose box (widened by the tolerance, or the reach) meets the box `min..max`: the
    /// candidates of every point in that box, so one R-tree query can serve a run of
    /// nearby points ([`ZoneIndex::locate_point_in`]). Ascending part order.
    pub fn parts_meeting(&self, min: Coord<f64>, max: Coord<f64>, out: &mut Vec<u32>) {
        out.clear();
        let envelope = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        out.extend(
            self.tree
                .locate_in_envelope_intersecting(&envelope)
                .map(|e| e.data),
        );
        out.sort_unstable();
    }

    /// [`ZoneIndex::locate_point`] among `parts`, which must hold every part whose
    /// box meets `p` (as [`ZoneIndex::parts_meeting`] over a box holding `p` gives);
    /// the result is the same.
    pub fn locate_point_in(&self, p: Coord<f64>, parts: &[u32], out: &mut Vec<ZoneMatch>) {
        self.locate_point_among(p, parts.iter().copied(), out);
    }

    fn locate_point_among(
        &self,
        p: Coord<f64>,
        parts: impl Iterator<Item = u32>,
        out: &mut Vec<ZoneMatch>,
    ) {
        out.clear();
        for i in parts {
            let part = &self.parts[i as usize];
            // `locate` rejects points outside the part's box widened by the tolerance,
            // which is the box the R-tree holds.
            let loc = part.polygon.locate(p);
            if loc == Location::Outside {
                continue;
            }
            match out.iter_mut().find(|m| m.zone == part.zone) {
                Some(m) => {
                    if loc == Location::Inside {
                        m.location = Location::Inside;
                    }
                }
                None => out.push(ZoneMatch {
                    zone: part.zone,
                    location: loc,
                }),
            }
        }
        out.sort_unstable_by_key(|m| m.zone);
    }

    /// [`ZoneIndex::locate_point`], and every other zone with a part within the
    /// index's reach ([`ZoneIndex::build_reaching`]) of `p` as [`Location::Outside`]
    /// with its distance (CRS units) to the nearest boundary, as
    /// [`ZoneIndex::nearest_boundary`] gives it. One pass over the candidates finds
    /// both the zones a site is in and those it is near. Ascending zone order.
    pub fn locate_point_near(&self, p: Coord<f64>, out: &mut Vec<NearMatch>) {
        // The R-tree's boxes are widened by the reach.
        let parts = self.tree.locate_all_at_point(&[p.x, p.y]).map(|e| e.data);
        self.locate_point_near_among(p, parts, out);
    }

    /// [`ZoneIndex::locate_point_near`] among `parts`, which must hold every part
    /// whose box meets `p` (see [`ZoneIndex::parts_meeting`]); the result is the same.
    pub fn locate_point_near_in(&self, p: Coord<f64>, parts: &[u32], out: &mut Vec<NearMatch>) {
        self.locate_point_near_among(p, parts.iter().copied(), out);
    }

    fn locate_point_near_among(
        &self,
        p: Coord<f64>,
        parts: impl Iterator<Item = u32>,
        out: &mut Vec<NearMatch>,
    ) {
        out.clear();
        for i in parts {
            let part = &self.parts[i as usize];
            let (loc, d2) = part.polygon.locate_reach(p, self.reach);
            if loc == Location::Outside && d2 == f64::INFINITY {
                continue;
            }
            match out.iter_mut().find(|m| m.zone == part.zone) {
                Some(m) => match (m.location, loc) {
                    (_, Location::Inside) => m.location = Location::Inside,
                    (Location::Outside, Location::OnBoundary) => m.location = loc,
                    (Location::Outside, Location::Outside) => m.distance2 = m.distance2.min(d2),
                    _ => {}
                },
                None => out.push(NearMatch {
                    zone: part.zone,
                    location: loc,
                    distance2: d2,
                }),
            }
        }
        out.sort_unstable_by_key(|m| m.zone);
    }

    /// The location of `p` relative to one zone (all its parts).
    pub fn locate_in_zone(&self, zone: u32, p: Coord<f64>) -> Location {
        let mut best = Location::Outside;
        for part in self.parts.iter().filter(|part| part.zone == zone) {
            match part.polygon.locate(p) {
                Location::Inside => return Location::Inside,
                Location::OnBoundary => best = Location::OnBoundary,
                Location::Outside => {}
            }
        }
        best
    }

    /// Zones with a part whose bounding box comes within `radius` of `p` (candidates for
    /// a near-boundary test), ascending, each once.
    pub fn zones_near(&self, p: Coord<f64>, radius: f64) -> Vec<u32> {
        let env = AABB::from_corners([p.x - radius, p.y - radius], [p.x + radius, p.y + radius]);
        let mut zones: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| self.parts[e.data as usize].zone)
            .collect();
        zones.sort_unstable();
        zones.dedup();
        zones
    }

    /// Distance (CRS units, x scaled by `x_scale`) from `p` to the nearest boundary of
    /// `zone` and the nearest boundary point.
    pub fn nearest_boundary(&self, zone: u32, p: Coord<f64>, x_scale: f64) -> (f64, Coord<f64>) {
        self.zone_parts_of(zone)
            .iter()
            .map(|part| part.polygon.nearest_boundary(p, x_scale))
            .fold((f64::INFINITY, p), |a, b| if b.0 < a.0 { b } else { a })
    }

    /// Distance (CRS units) from `p` to the nearest boundary of `zone`: the distance
    /// [`ZoneIndex::nearest_boundary`] gives with `x_scale` 1, found faster for
    /// points far from the boundary.
    pub fn nearest_distance(&self, zone: u32, p: Coord<f64>) -> f64 {
        self.zone_parts_of(zone)
            .iter()
            .map(|part| part.polygon.nearest_distance2(p))
            .fold(f64::INFINITY, f64::min)
            .sqrt()
    }

    /// The parts of one zone (none for a number past the last zone).
    fn zone_parts_of(&self, zone: u32) -> &[Part] {
        let z = zone as usize;
        match (self.zone_parts.get(z), self.zone_parts.get(z + 1)) {
            (Some(&start), Some(&end)) => &self.parts[start as usize..end as usize],
            _ => &[],
        }
    }

    /// The zone's parts as a geo multipolygon (for exact line/polygon site tests).
    pub fn zone_geometry(&self, zone: u32) -> MultiPolygon<f64> {
        MultiPolygon(
            self.parts
                .iter()
                .filter(|part| part.zone == zone)
                .map(|part| part.polygon.to_polygon())
                .collect(),
        )
    }

    /// Indexed zones whose part bounding boxes meet the envelope, ascending, each once.
    pub fn zones_in_envelope(&self, min: Coord<f64>, max: Coord<f64>) -> Vec<u32> {
        let env = AABB::from_corners([min.x, min.y], [max.x, max.y]);
        let mut zones: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| self.parts[e.data as usize].zone)
            .collect();
        zones.sort_unstable();
        zones.dedup();
        zones
    }
}

fn prepare_zone(
    g: Option<Geometry<f64>>,
    tolerance: f64,
) -> Result<Vec<PreparedPolygon>, &'static str> {
    let polys: Vec<Polygon<f64>> = match g {
        None => return Err("no geometry"),
        Some(Geometry::Polygon(p)) => vec![p],
        Some(Geometry::MultiPolygon(mp)) => mp.0,
        Some(Geometry::Rect(r)) => vec![r.to_polygon()],
        Some(Geometry::Triangle(t)) => vec![t.to_polygon()],
        Some(_) => return Err("not a polygon"),
    };
    Ok(polys
        .into_iter()
        .filter_map(|p| PreparedPolygon::from_owned(p, tolerance))
        .collect())
}

/// [`prepare_zone`] of a geometry that stays in use.
fn prepare_zone_copy(
    g: Option<&Geometry<f64>>,
    tolerance: f64,
) -> Result<Vec<PreparedPolygon>, &'static str> {
    let prepare = |p| PreparedPolygon::new(p, tolerance);
    match g {
        Some(Geometry::Polygon(p)) => Ok(prepare(p).into_iter().collect()),
        Some(Geometry::MultiPolygon(mp)) => Ok(mp.0.iter().filter_map(prepare).collect()),
        // Rectangles and triangles are small; the rest are no zones.
        other => prepare_zone(other.cloned(), tolerance),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, polygon};

    #[test]
    fn a_multipart_zone_reports_each_point_once() {
        let a =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let b =
            polygon![(x: 10.0, y: 0.0), (x: 20.0, y: 0.0), (x: 20.0, y: 10.0), (x: 10.0, y: 10.0)];
        let c = polygon![(x: 100.0, y: 0.0), (x: 110.0, y: 0.0), (x: 110.0, y: 10.0)];
        let idx = ZoneIndex::build(
            vec![
                (0, Some(Geometry::MultiPolygon(MultiPolygon(vec![a, b])))),
                (1, None),
                (2, Some(Geometry::Polygon(c))),
            ],
            1e-4,
        );
        assert_eq!(idx.len(), 2);
        assert_eq!(
            idx.skipped(),
            &[SkippedZone {
                fid: 1,
                reason: "no geometry"
            }]
        );
        let mut out = Vec::new();
        idx.locate_point(coord! {x: 10.0, y: 5.0}, &mut out);
        assert_eq!(
            out,
            vec![ZoneMatch {
                zone: 0,
                location: Location::OnBoundary
            }]
        );
        idx.locate_point(coord! {x: 105.0, y: 2.0}, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(idx.zone_fid(out[0].zone), 2);
        idx.locate_point(coord! {x: 50.0, y: 5.0}, &mut out);
        assert!(out.is_empty());
    }
}
