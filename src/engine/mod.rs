//! The zone index and spatial location: an R-tree over zone parts with a prepared
//! per-polygon edge index, three-valued point location with an explicit boundary
//! tolerance, metric distance to zone boundaries, and the parallel spatial join.
