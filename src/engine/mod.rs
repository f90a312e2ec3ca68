//! The zone index and spatial location: an R-tree over zone parts with a prepared
//! per-polygon edge index, three-valued point location with an explicit boundary
//! tolerance, metric distance to zone boundaries, and the parallel spatial join.

mod index;
mod prepared;

pub use index::{NearMatch, SkippedZone, ZoneIndex, ZoneMatch};
pub use prepared::{Location, PreparedPolygon};

/// The default boundary tolerance: 0.1 mm. A site that floating point puts a hair off
/// a zone edge is still on it.
pub const DEFAULT_TOLERANCE_M: f64 = 1e-4;

mod join;
pub use join::{
    IndexedZones, JoinError, MAX_RUN_CANDIDATES, NOT_A_POINT, Predicate, SiteGeometries, Z_RUN,
    join_index, matches_for_site, run_candidates, sites_into, z_order, z_order_with_points,
};
