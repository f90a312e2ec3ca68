//! Coordinate reference systems: identification (EPSG codes, ESRI `.prj` WKT,
//! coordinate ranges), transforms between CRSs (proj4rs), and the correction of
//! map-app coordinates (GCJ-02, BD-09) back to WGS84.
//!
//! Zones are never reprojected for a point test: sites are transformed into each
//! zone file's CRS (see DESIGN.md).

use std::fmt;

/// A coordinate reference system qingling can transform to and from.
#[derive(Clone, Debug, PartialEq)]
pub struct Crs {
    /// EPSG code when known (e.g. 4546 for CGCS2000 / 3-degree Gauss-Kruger CM 111E).
    pub epsg: Option<u32>,
    /// Human-readable name, e.g. `CGCS2000 / 3-degree Gauss-Kruger CM 111E`.
    pub name: String,
    /// The proj string handed to proj4rs.
    pub proj4: String,
    /// True for longitude/latitude in degrees.
    pub geographic: bool,
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.epsg {
            Some(code) => write!(f, "EPSG:{code} ({})", self.name),
            None => f.write_str(&self.name),
        }
    }
}
