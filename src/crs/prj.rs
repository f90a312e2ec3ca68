//! `.prj` WKT → [`Crs`].
use super::{Crs, CrsError};

pub(crate) fn crs_from_prj(wkt: &str) -> Result<Crs, CrsError> {
    Err(CrsError::NotWkt {
        reason: format!("not implemented yet ({} bytes)", wkt.len()),
    })
}
