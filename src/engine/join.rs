//! The spatial join: every site located against every zone layer, in the zone layer's
//! own CRS. Sites are transformed (never zones), in parallel.

use geo::{Intersects, Relate};
use geo_types::{Coord, Geometry};
use rayon::prelude::*;

use super::index::{ZoneIndex, ZoneMatch};
use super::prepared::Location;
use crate::crs::{Crs, CrsError, SiteCrs, Transform};
use crate::model::{Feature, Fid, Layer};

/// Which relation counts as a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Predicate {
    /// Interior or boundary band (a site on the edge is in the zone): the default for flags.
    #[default]
    Intersects,
    /// Interior only: a site on the boundary does not count.
    Within,
}

impl Predicate {
    /// Whether a location satisfies the predicate (for point sites).
    pub fn accepts(self, loc: Location) -> bool {
        match self {
            Predicate::Intersects => loc != Location::Outside,
            Predicate::Within => loc == Location::Inside,
        }
    }
}

/// Why a join could not run.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(
        "{layer}: the coordinate system of the zones is unknown; add a .prj, or give it (--zones-crs EPSG:4546), or give the Gauss-Kruger zone of 6-digit eastings (--gk-zone 37)"
    )]
    UnknownZoneCrs { layer: String },
    #[error(
        "{layer}: the coordinate system of the sites is unknown; add a .prj, or give it (--sites-crs EPSG:4490), or give the Gauss-Kruger zone of 6-digit eastings (--gk-zone 37)"
    )]
    UnknownSiteCrs { layer: String },
    #[error("{layer}: {source}")]
    Crs {
        layer: String,
        #[source]
        source: CrsError,
    },
}

impl JoinError {
    /// The error in Chinese, for the app (the English text is the `Display`).
    pub fn zh(&self) -> String {
        match self {
            JoinError::UnknownZoneCrs { layer } => format!(
                "{layer}：区域图层的坐标系未知；请补上 .prj，或指定坐标系（桌面版在图层面板的“坐标系”中填写，\
                 命令行用 --zones-crs EPSG:4546），或为 6 位东坐标指定高斯-克吕格带号（--gk-zone 37）"
            ),
            JoinError::UnknownSiteCrs { layer } => format!(
                "{layer}：点位图层的坐标系未知；请补上 .prj，或指定坐标系（桌面版在图层面板的“坐标系”中填写，\
                 命令行用 --sites-crs EPSG:4490），或为 6 位东坐标指定高斯-克吕格带号（--gk-zone 37）"
            ),
            JoinError::Crs { layer, source } => format!("{layer}：{}", source.zh()),
        }
    }
}

/// A zone layer indexed in its own CRS.
#[derive(Debug)]
pub struct IndexedZones {
    /// Layer name, for messages.
    pub name: String,
    pub crs: Crs,
    pub index: ZoneIndex,
}

impl IndexedZones {
    /// Indexes a zone layer, consuming its geometries. `tolerance_m` is converted to the
    /// layer's CRS units.
    pub fn build(layer: Layer, tolerance_m: f64) -> Result<IndexedZones, JoinError> {
        let crs = layer
            .crs
            .crs
            .clone()
            .ok_or_else(|| JoinError::UnknownZoneCrs {
                layer: layer.source.display().to_string(),
            })?;
        let tolerance = tolerance_m / crs.metres_per_unit();
        let geoms = layer
            .features
            .into_iter()
            .map(|f| (f.fid, f.geometry))
            .collect();
        Ok(IndexedZones {
            name: layer.name,
            index: ZoneIndex::build(geoms, tolerance),
            crs,
        })
    }
}

impl IndexedZones {
    /// Indexes a zone layer that stays in use (its rings are copied into the index).
    pub fn build_ref(layer: &Layer, tolerance_m: f64) -> Result<IndexedZones, JoinError> {
        let crs = layer
            .crs
            .crs
            .clone()
            .ok_or_else(|| JoinError::UnknownZoneCrs {
                layer: layer.source.display().to_string(),
            })?;
        let tolerance = tolerance_m / crs.metres_per_unit();
        let geoms: Vec<_> = layer
            .features
            .iter()
            .map(|f| (f.fid, f.geometry.as_ref()))
            .collect();
        Ok(IndexedZones {
            name: layer.name.clone(),
            index: ZoneIndex::build_reaching_copies(&geoms, tolerance, tolerance),
            crs,
        })
    }
}

/// The CRS sites are declared in, resolved per layer: the `--sites-crs` override, or
/// the layer's own CRS.
fn site_source(layer: &Layer, declared: Option<&SiteCrs>) -> Result<SiteCrs, JoinError> {
    match declared {
        Some(s) => Ok(s.clone()),
        None => layer
            .crs
            .crs
            .clone()
            .map(SiteCrs::Crs)
            .ok_or_else(|| JoinError::UnknownSiteCrs {
                layer: layer.source.display().to_string(),
            }),
    }
}

/// Site geometries in a zone layer's CRS: the layer's own when no transform is needed
/// (no copy of a million points), else transformed copies.
pub enum SiteGeometries<'a> {
    Same(&'a [Feature]),
    Moved(Vec<Option<Geometry<f64>>>),
}

impl SiteGeometries<'_> {
    pub fn len(&self) -> usize {
        match self {
            SiteGeometries::Same(f) => f.len(),
            SiteGeometries::Moved(g) => g.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The geometry of the site at position `i`, if it has one (and it transformed).
    pub fn get(&self, i: usize) -> Option<&Geometry<f64>> {
        match self {
            SiteGeometries::Same(f) => f.get(i)?.geometry.as_ref(),
            SiteGeometries::Moved(g) => g.get(i)?.as_ref(),
        }
    }
}

/// Brings a site layer's geometries into `target`. Map-app coordinates (GCJ-02,
/// BD-09) are first corrected to WGS84. Points that fail to transform become `None`.
pub fn sites_into<'a>(
    layer: &'a Layer,
    declared: Option<&SiteCrs>,
    target: &Crs,
) -> Result<SiteGeometries<'a>, JoinError> {
    let source = site_source(layer, declared)?;
    // GCJ-02 / BD-09 sites are corrected to WGS84 point by point first.
    let offset = !matches!(source, SiteCrs::Crs(_));
    let from = source.base_crs();
    let t = Transform::new(&from, target).map_err(|source| JoinError::Crs {
        layer: layer.name.clone(),
        source,
    })?;
    if !offset && t.is_identity() {
        return Ok(SiteGeometries::Same(&layer.features));
    }
    let out = layer
        .features
        .par_iter()
        .map(|f| {
            let mut g = f.geometry.clone()?;
            if offset {
                geo::MapCoordsInPlace::map_coords_in_place(&mut g, |c| {
                    let (x, y) = source.correct(c.x, c.y);
                    Coord { x, y }
                });
            }
            if !t.is_identity() {
                t.apply_geometry(&mut g).ok()?;
            }
            Some(g)
        })
        .collect();
    Ok(SiteGeometries::Moved(out))
}

/// The zones a site matches under `predicate`, in ascending index order.
pub fn matches_for_site(
    zones: &ZoneIndex,
    site: &Geometry<f64>,
    predicate: Predicate,
    scratch: &mut Vec<ZoneMatch>,
) -> Vec<ZoneMatch> {
    match site {
        Geometry::Point(p) => {
            zones.locate_point(p.0, scratch);
            scratch
                .iter()
                .copied()
                .filter(|m| predicate.accepts(m.location))
                .collect()
        }
        Geometry::MultiPoint(mp) => {
            let mut acc: Vec<ZoneMatch> = Vec::new();
            for p in &mp.0 {
                zones.locate_point(p.0, scratch);
                for m in scratch.iter() {
                    match acc.iter_mut().find(|a| a.zone == m.zone) {
                        Some(a) if m.location == Location::Inside => a.location = Location::Inside,
                        Some(_) => {}
                        None => acc.push(*m),
                    }
                }
            }
            acc.retain(|m| m.location != Location::Outside);
            acc.sort_unstable_by_key(|m| m.zone);
            match predicate {
                Predicate::Intersects => acc,
                // Within: every point inside the zone's interior.
                Predicate::Within => acc
                    .into_iter()
                    .filter(|m| {
                        mp.0.iter()
                            .all(|p| zones.locate_in_zone(m.zone, p.0) == Location::Inside)
                    })
                    .collect(),
            }
        }
        other => {
            // Lines and polygons: exact predicates from geo on the candidate zones.
            let Some(rect) = geo::BoundingRect::bounding_rect(other) else {
                return Vec::new();
            };
            let t = zones.tolerance();
            zones
                .zones_in_envelope(
                    Coord {
                        x: rect.min().x - t,
                        y: rect.min().y - t,
                    },
                    Coord {
                        x: rect.max().x + t,
                        y: rect.max().y + t,
                    },
                )
                .into_iter()
                .filter_map(|z| {
                    let zone = zones.zone_geometry(z);
                    let hit = match predicate {
                        Predicate::Intersects => zone.intersects(other),
                        Predicate::Within => other.relate(&zone).is_within(),
                    };
                    hit.then_some(ZoneMatch {
                        zone: z,
                        location: Location::Inside,
                    })
                })
                .collect()
        }
    }
}

/// Raw join of site geometries (already in the zone CRS) against one zone index:
/// `(site position, zone fid)` pairs, sorted.
///
/// Sites are visited in Z-order (Morton order of their first coordinate) rather than
/// file order, so neighbouring sites hit the same zones and R-tree nodes while they are
/// still in cache: on a province of random-order ledger rows this halves the time.
pub fn join_index(
    zones: &ZoneIndex,
    sites: &SiteGeometries,
    predicate: Predicate,
) -> Vec<(usize, Fid)> {
    let order = spatial_order(sites);
    let chunk = (order.len() / (rayon::current_num_threads() * 8)).max(1024);
    let mut pairs: Vec<(usize, Fid)> = order
        .par_chunks(chunk)
        .flat_map_iter(|part| {
            let mut scratch = Vec::new();
            let mut candidates = Vec::new();
            let mut out = Vec::new();
            // Sites close in Z-order are close on the ground: one R-tree query over a
            // run's box gives the candidate parts of all its points, unless the run
            // straddles a jump of the curve and the box holds too many.
            for run in part.chunks(Z_RUN) {
                let points = run.iter().filter(|v| v.point).map(|v| v.at);
                let batched = run_candidates(zones, points, &mut candidates);
                for v in run {
                    let i = v.site as usize;
                    if v.point {
                        if batched {
                            zones.locate_point_in(v.at, &candidates, &mut scratch);
                        } else {
                            zones.locate_point(v.at, &mut scratch);
                        }
                        out.extend(
                            scratch
                                .iter()
                                .filter(|m| predicate.accepts(m.location))
                                .map(|m| (i, zones.zone_fid(m.zone))),
                        );
                    } else if let Some(g) = sites.get(i) {
                        for m in matches_for_site(zones, g, predicate, &mut scratch) {
                            out.push((i, zones.zone_fid(m.zone)));
                        }
                    }
                }
            }
            out
        })
        .collect();
    pairs.par_sort_unstable();
    pairs
}

/// Points per run sharing one R-tree query.
pub const Z_RUN: usize = 32;
/// A run whose box meets more parts than this locates its points one by one.
pub const MAX_RUN_CANDIDATES: usize = 48;

/// The candidate parts of a run of nearby points (see [`ZoneIndex::parts_meeting`])
/// into `out`: one R-tree query over the points' box. False when the run is better
/// served point by point: too few finite points for the query to pay, or a box that
/// straddles a jump of the Z curve and meets too many parts.
pub fn run_candidates(
    zones: &ZoneIndex,
    points: impl Iterator<Item = Coord<f64>>,
    out: &mut Vec<u32>,
) -> bool {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    let mut count = 0;
    for p in points.filter(|p| p.x.is_finite() && p.y.is_finite()) {
        min.x = min.x.min(p.x);
        min.y = min.y.min(p.y);
        max.x = max.x.max(p.x);
        max.y = max.y.max(p.y);
        count += 1;
    }
    if count < 4 {
        return false;
    }
    zones.parts_meeting(min, max, out);
    out.len() <= MAX_RUN_CANDIDATES
}

/// The positions of `sites` in Z-order (the order [`join_index`] visits them in):
/// neighbours on the ground come close together, so the zones and R-tree nodes one
/// site touches are warm for the next, and runs of consecutive sites can share one
/// candidate lookup ([`ZoneIndex::parts_meeting`]). Sites without a (finite)
/// geometry come last, in position order.
pub fn z_order(sites: &SiteGeometries) -> Vec<u32> {
    z_order_with_points(sites).0
}

/// What [`z_order_with_points`] gives for a site that is not a point with finite
/// coordinates.
pub const NOT_A_POINT: Coord<f64> = Coord {
    x: f64::NAN,
    y: f64::NAN,
};

/// [`z_order`], with the coordinates of the point sites in that order
/// ([`NOT_A_POINT`] for the other sites): read from a dense array rather than from
/// scattered features.
pub fn z_order_with_points(sites: &SiteGeometries) -> (Vec<u32>, Vec<Coord<f64>>) {
    // The same order as `spatial_order`, sorted as 8-byte (Morton code, position)
    // keys rather than whole visits: a quarter of the memory to write and move. The
    // point sites' coordinates are read once, in site order, into a dense array
    // (`NOT_A_POINT` for the others, whose first coordinates are read where needed);
    // the keys are written in place, a site without a first coordinate as `NO_KEY`.
    const NO_KEY: u64 = u64::MAX;
    let n = sites.len();
    let mut at: Vec<Coord<f64>> = Vec::with_capacity(n);
    (0..n)
        .into_par_iter()
        .map(|i| match sites.get(i).and_then(first_coord) {
            Some((p, true)) => p,
            _ => NOT_A_POINT,
        })
        .collect_into_vec(&mut at);
    let first = |i: usize| match at[i] {
        p if !p.x.is_nan() => Some(p),
        _ => sites.get(i).and_then(first_coord).map(|(p, _)| p),
    };
    let grid = MortonGrid::over((0..n).filter_map(first));
    let mut keyed: Vec<u64> = Vec::with_capacity(n);
    (0..n)
        .into_par_iter()
        .map(|i| match first(i) {
            Some(p) => u64::from(grid.key(p)) << 32 | i as u64,
            None => NO_KEY,
        })
        .collect_into_vec(&mut keyed);
    // Positions are below `u32::MAX`, so no site's key is `NO_KEY`.
    let mut missing: Vec<u32> = Vec::new();
    if keyed.contains(&NO_KEY) {
        missing.extend(
            keyed
                .iter()
                .zip(0u32..)
                .filter(|(k, _)| **k == NO_KEY)
                .map(|(_, i)| i),
        );
        keyed.retain(|k| *k != NO_KEY);
    }
    let keyed = radix_sort_by_key(keyed, |k| (k >> 32) as u32);
    let mut order: Vec<u32> = Vec::with_capacity(n);
    order.extend(keyed.iter().map(|k| *k as u32));
    drop(keyed);
    order.extend(missing);
    let points = order.par_iter().map(|&i| at[i as usize]).collect();
    (order, points)
}

/// A site's first coordinate when finite, and whether the site is a point.
fn first_coord(g: &Geometry<f64>) -> Option<(Coord<f64>, bool)> {
    let (at, point) = match g {
        Geometry::Point(p) => (p.0, true),
        other => (geo::CoordsIter::coords_iter(other).next()?, false),
    };
    (at.x.is_finite() && at.y.is_finite()).then_some((at, point))
}

/// Morton codes of coordinates quantised to a 2^16 grid over an extent.
struct MortonGrid {
    min: Coord<f64>,
    sx: f64,
    sy: f64,
}

impl MortonGrid {
    fn over(coords: impl Iterator<Item = Coord<f64>>) -> MortonGrid {
        let (mut min, mut max) = (
            Coord {
                x: f64::MAX,
                y: f64::MAX,
            },
            Coord {
                x: f64::MIN,
                y: f64::MIN,
            },
        );
        for at in coords {
            min.x = min.x.min(at.x);
            min.y = min.y.min(at.y);
            max.x = max.x.max(at.x);
            max.y = max.y.max(at.y);
        }
        MortonGrid {
            min,
            sx: 65535.0 / (max.x - min.x).max(f64::MIN_POSITIVE),
            sy: 65535.0 / (max.y - min.y).max(f64::MIN_POSITIVE),
        }
    }

    fn key(&self, at: Coord<f64>) -> u32 {
        let qx = ((at.x - self.min.x) * self.sx) as u32;
        let qy = ((at.y - self.min.y) * self.sy) as u32;
        spread_bits(qx) | (spread_bits(qy) << 1)
    }
}

/// One site in visiting order: its position, its first coordinate, and whether it is
/// a point (then the coordinate is all the join needs, and the site's own record is
/// never touched again: Z-order visits would make those reads random).
#[derive(Clone, Copy)]
struct Visit {
    key: u32,
    site: u32,
    point: bool,
    at: Coord<f64>,
}

/// The sites with a geometry, sorted by the Morton code of their first coordinate
/// quantised to a 2^16 grid over the sites' extent.
fn spatial_order(sites: &SiteGeometries) -> Vec<Visit> {
    let mut visits: Vec<Visit> = (0..sites.len())
        .into_par_iter()
        .filter_map(|i| {
            let (at, point) = first_coord(sites.get(i)?)?;
            Some(Visit {
                key: 0,
                site: i as u32,
                point,
                at,
            })
        })
        .collect();
    let grid = MortonGrid::over(visits.iter().map(|v| v.at));
    visits.par_iter_mut().for_each(|v| v.key = grid.key(v.at));
    // Visits are in site order, so a stable sort by key orders them by (key, site).
    radix_sort_by_key(visits, |v| v.key)
}

/// Stable LSD radix sort by a 32-bit key, 11 bits a pass.
fn radix_sort_by_key<T: Copy>(mut items: Vec<T>, key: impl Fn(&T) -> u32) -> Vec<T> {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    let mut other = items.clone();
    for shift in (0..32).step_by(BITS as usize) {
        let digit = |v: &T| ((key(v) >> shift) as usize) & (BUCKETS - 1);
        let mut starts = vec![0usize; BUCKETS + 1];
        for v in &items {
            starts[digit(v) + 1] += 1;
        }
        if starts.contains(&items.len()) {
            continue; // every key has this digit: nothing moves
        }
        for b in 0..BUCKETS {
            starts[b + 1] += starts[b];
        }
        for v in &items {
            let d = digit(v);
            other[starts[d]] = *v;
            starts[d] += 1;
        }
        std::mem::swap(&mut items, &mut other);
    }
    items
}

/// Spreads the low 16 bits of `v` to the even bit positions.
fn spread_bits(v: u32) -> u32 {
    let mut x = v & 0xFFFF;
    x = (x | (x << 8)) & 0x00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333;
    (x | (x << 1)) & 0x5555_5555
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Point, line_string, polygon};

    fn pairs(idx: &ZoneIndex, sites: &[Option<Geometry<f64>>], p: Predicate) -> Vec<(usize, Fid)> {
        join_index(idx, &SiteGeometries::Moved(sites.to_vec()), p)
    }

    #[test]
    fn z_order_is_the_joins_visiting_order_then_sites_without_a_place() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / f64::from(1u32 << 31)
        };
        let mut sites: Vec<Option<Geometry<f64>>> = (0..5000)
            .map(|i| match i % 97 {
                0 => None,
                1 => Some(Point::new(f64::NAN, 1.0).into()),
                // Repeated places: equal keys keep position order.
                2..=5 => Some(Point::new(500.0, 300.0).into()),
                6 => Some(
                    line_string![(x: next() * 1000.0, y: next() * 600.0), (x: 1.0, y: 2.0)].into(),
                ),
                _ => Some(Point::new(next() * 1000.0, next() * 600.0).into()),
            })
            .collect();
        sites.push(Some(Point::new(-3.0e6, 9.0e6).into()));
        let sites = SiteGeometries::Moved(sites);
        let visits: Vec<u32> = spatial_order(&sites).iter().map(|v| v.site).collect();
        let order = z_order(&sites);
        let (same, points) = z_order_with_points(&sites);
        assert_eq!(same, order);
        for (&i, p) in order.iter().zip(&points) {
            match sites.get(i as usize) {
                Some(Geometry::Point(q)) if q.x().is_finite() && q.y().is_finite() => {
                    assert_eq!(*p, q.0)
                }
                _ => assert!(p.x.is_nan() && p.y.is_nan()),
            }
        }
        assert_eq!(order[..visits.len()], visits[..]);
        let rest: Vec<u32> = (0..sites.len() as u32)
            .filter(|i| !visits.contains(i))
            .collect();
        assert_eq!(order[visits.len()..], rest[..]);
        assert!(rest.len() >= 2 * 5000 / 97, "{rest:?}");
        // And the visiting order is by Morton code, then position.
        let grid = MortonGrid::over(
            visits
                .iter()
                .filter_map(|&i| Some(first_coord(sites.get(i as usize)?)?.0)),
        );
        let keys: Vec<(u32, u32)> = visits
            .iter()
            .map(|&i| {
                (
                    grid.key(first_coord(sites.get(i as usize).unwrap()).unwrap().0),
                    i,
                )
            })
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn within_excludes_the_boundary_and_intersects_includes_it() {
        let sq =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let idx = ZoneIndex::build(vec![(7, Some(Geometry::Polygon(sq)))], 1e-4);
        let sites = vec![
            Some(Geometry::Point(Point::new(5.0, 5.0))),
            Some(Geometry::Point(Point::new(10.0, 5.0))),
            None,
            Some(Geometry::Point(Point::new(15.0, 5.0))),
        ];
        assert_eq!(
            pairs(&idx, &sites, Predicate::Intersects),
            vec![(0, 7), (1, 7)]
        );
        assert_eq!(pairs(&idx, &sites, Predicate::Within), vec![(0, 7)]);
    }

    /// A small deterministic generator (xorshift), so the test needs no seed file.
    fn next(state: &mut u64) -> f64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn the_batched_join_agrees_with_locating_every_point_alone() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut zones = Vec::new();
        for fid in 0..40u64 {
            let (cx, cy) = (next(&mut rng) * 1000.0, next(&mut rng) * 1000.0);
            let r = 20.0 + next(&mut rng) * 120.0;
            let n = 5 + (next(&mut rng) * 60.0) as usize;
            let mut ring: Vec<(f64, f64)> = (0..n)
                .map(|k| {
                    let a = k as f64 / n as f64 * std::f64::consts::TAU;
                    let rr = r * (0.5 + next(&mut rng) * 0.5);
                    (cx + rr * a.cos(), cy + rr * a.sin())
                })
                .collect();
            ring.push(ring[0]);
            let poly = geo_types::Polygon::new(ring.into(), vec![]);
            zones.push((fid, Some(Geometry::Polygon(poly))));
        }
        let vertices: Vec<Coord<f64>> = zones
            .iter()
            .filter_map(|(_, g)| match g {
                Some(Geometry::Polygon(p)) => Some(p.exterior().0.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let idx = ZoneIndex::build(zones, 1e-4);
        let mut sites: Vec<Option<Geometry<f64>>> = (0..20_000)
            .map(|_| {
                let (x, y) = (next(&mut rng) * 1000.0, next(&mut rng) * 1000.0);
                Some(Geometry::Point(Point::new(x, y)))
            })
            .collect();
        // Points exactly on vertices, and runs far apart (jumps of the Z curve).
        sites.extend(vertices.iter().map(|c| Some(Geometry::Point(Point(*c)))));
        sites.push(None);
        for p in [Predicate::Intersects, Predicate::Within] {
            let mut scratch = Vec::new();
            let mut expected: Vec<(usize, Fid)> = Vec::new();
            for (i, g) in sites.iter().enumerate() {
                if let Some(g) = g {
                    for m in matches_for_site(&idx, g, p, &mut scratch) {
                        expected.push((i, idx.zone_fid(m.zone)));
                    }
                }
            }
            expected.sort_unstable();
            assert!(!expected.is_empty());
            assert_eq!(pairs(&idx, &sites, p), expected);
        }
    }

    #[test]
    fn the_radix_sort_orders_visits_by_key_then_site() {
        let mut rng = 7u64;
        let visits: Vec<Visit> = (0..5000u32)
            .map(|site| Visit {
                key: (next(&mut rng) * 4096.0) as u32 * 1_000_003,
                site,
                point: true,
                at: Coord { x: 0.0, y: 0.0 },
            })
            .collect();
        let mut expected: Vec<(u32, u32)> = visits.iter().map(|v| (v.key, v.site)).collect();
        expected.sort_unstable();
        let sorted: Vec<(u32, u32)> = radix_sort_by_key(visits, |v| v.key)
            .iter()
            .map(|v| (v.key, v.site))
            .collect();
        assert_eq!(sorted, expected);
    }

    #[test]
    fn a_line_crossing_a_zone_intersects_it_but_is_not_within() {
        let sq =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)];
        let idx = ZoneIndex::build(vec![(0, Some(Geometry::Polygon(sq)))], 1e-4);
        let line = Geometry::LineString(line_string![(x: -5.0, y: 5.0), (x: 5.0, y: 5.0)]);
        let inner = Geometry::LineString(line_string![(x: 2.0, y: 5.0), (x: 5.0, y: 5.0)]);
        let sites = vec![Some(line), Some(inner)];
        assert_eq!(
            pairs(&idx, &sites, Predicate::Intersects),
            vec![(0, 0), (1, 0)]
        );
        assert_eq!(pairs(&idx, &sites, Predicate::Within), vec![(1, 0)]);
    }
}
