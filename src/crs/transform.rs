//! Point and geometry transforms between two [`Crs`]s, built once and applied to
//! millions of sites (from rayon workers, so [`Transform`] is `Send + Sync`).
//!
//! proj4rs works in radians for geographic CRSs; [`Transform::apply`] takes and
//! returns degrees. Datum policy (see DOMAIN.md):
//! - WGS84 (4326) and CGCS2000 (4490) are treated as the same datum: they agree to
//!   well under a metre for this work, and PROJ itself uses a null transformation
//!   ("CGCS2000 to WGS 84 (1)"). A transform between them is the identity, and
//!   CGCS2000 proj strings carry no `+towgs84`, so no datum step is ever applied
//!   between the two.
//! - A CRS with no datum shift in its proj string (CGCS2000, Xian 1980, most
//!   `.prj`s) is aligned with WGS84; Xian 1980 is therefore off by its datum
//!   difference (tens of metres), as in PROJ.
//! - Beijing 1954 carries the EPSG `+towgs84` (see `epsg.rs`); when the other
//!   side has no datum, it gets `+towgs84=0,0,0` so the shift is applied both ways
//!   (proj4rs, like PROJ.4, otherwise skips the datum step). Between two CRSs
//!   without a real shift (WGS84 → Xian 1980, say) latitude and longitude are kept,
//!   as PROJ's "ballpark" transformation does.

use geo::MapCoordsInPlace;
use geo_types::{Coord, Geometry};
use proj4rs::Proj;

use super::{Crs, CrsError};

/// A transform between two CRSs, ready to apply. Construction parses both proj
/// strings once; [`Transform::apply`] does not allocate.
///
/// # Examples
///
/// ```
/// use qingling::crs::{Crs, Transform};
///
/// // Taiyuan into CGCS2000 3-degree Gauss-Kruger zone 38 (CM 114E).
/// let gk38 = Crs::from_epsg(4547).unwrap();
/// let t = Transform::new(&Crs::wgs84(), &gk38).unwrap();
/// let (x, y) = t.apply(112.55, 37.87).unwrap();
/// assert!((x - 372_415.049).abs() < 0.001 && (y - 4_194_059.800).abs() < 0.001);
/// assert!(Transform::new(&Crs::wgs84(), &Crs::cgcs2000()).unwrap().is_identity());
/// ```
pub struct Transform {
    kind: Kind,
    from_label: String,
    to_label: String,
}

enum Kind {
    Identity,
    Proj(Box<ProjPair>),
}

struct ProjPair {
    src: Proj,
    dst: Proj,
    src_degrees: bool,
    dst_degrees: bool,
}

/// EPSG codes that are one and the same datum and axis layout for this work.
const WGS84_LIKE: [u32; 2] = [4326, 4490];

fn same_crs(a: &Crs, b: &Crs) -> bool {
    match (a.epsg, b.epsg) {
        (Some(x), Some(y)) if x == y => return true,
        (Some(x), Some(y)) if WGS84_LIKE.contains(&x) && WGS84_LIKE.contains(&y) => return true,
        _ => {}
    }
    a.proj4.trim() == b.proj4.trim()
}

/// True when a proj string carries a datum definition proj4rs will act on.
fn has_datum(proj4: &str) -> bool {
    proj4.split_whitespace().any(|t| {
        t.starts_with("+towgs84=") || t.starts_with("+datum=") || t.starts_with("+nadgrids=")
    })
}

/// True when a proj string's datum actually moves positions relative to WGS84
/// (a non-zero `+towgs84`, a real grid, or a `+datum` other than WGS84).
fn has_datum_shift(proj4: &str) -> bool {
    proj4.split_whitespace().any(|t| {
        if let Some(v) = t.strip_prefix("+towgs84=") {
            v.split(',')
                .any(|n| !n.trim().parse::<f64>().is_ok_and(|f| f == 0.0))
        } else if let Some(v) = t.strip_prefix("+nadgrids=") {
            v != "@null"
        } else if let Some(v) = t.strip_prefix("+datum=") {
            !v.eq_ignore_ascii_case("WGS84")
        } else {
            false
        }
    })
}

fn build(proj4: &str, crs: &Crs) -> Result<Proj, CrsError> {
    Proj::from_proj_string(proj4).map_err(|e| CrsError::InvalidDefinition {
        crs: crs.to_string(),
        reason: e.to_string(),
    })
}

impl Transform {
    /// Prepares the transform from `from` to `to`. Fails when proj4rs rejects either
    /// definition or cannot invert the source projection.
    pub fn new(from: &Crs, to: &Crs) -> Result<Transform, CrsError> {
        let from_label = from.to_string();
        let to_label = to.to_string();
        if same_crs(from, to) {
            return Ok(Transform {
                kind: Kind::Identity,
                from_label,
                to_label,
            });
        }
        let (mut src_def, mut dst_def) = (from.proj4.clone(), to.proj4.clone());
        // proj4rs skips the datum step when either side has no datum; give the
        // datum-less side a zero shift when the other side really moves.
        if has_datum_shift(&src_def) && !has_datum(&dst_def) {
            dst_def.push_str(" +towgs84=0,0,0");
        } else if has_datum_shift(&dst_def) && !has_datum(&src_def) {
            src_def.push_str(" +towgs84=0,0,0");
        }
        let src = build(&src_def, from)?;
        let dst = build(&dst_def, to)?;
        if !src.has_inverse() {
            return Err(CrsError::InvalidDefinition {
                crs: from_label,
                reason: "proj4rs has no inverse for this projection".to_owned(),
            });
        }
        if !dst.has_forward() {
            return Err(CrsError::InvalidDefinition {
                crs: to_label,
                reason: "proj4rs has no forward formula for this projection".to_owned(),
            });
        }
        let pair = ProjPair {
            src_degrees: src.is_latlong(),
            dst_degrees: dst.is_latlong(),
            src,
            dst,
        };
        Ok(Transform {
            kind: Kind::Proj(Box::new(pair)),
            from_label,
            to_label,
        })
    }

    /// True when both CRSs are the same (same EPSG code, same proj string, or
    /// WGS84/CGCS2000), so [`Transform::apply`] returns its input.
    pub fn is_identity(&self) -> bool {
        matches!(self.kind, Kind::Identity)
    }

    /// Transforms one coordinate; degrees in and out for geographic CRSs
    /// (x = longitude, y = latitude).
    pub fn apply(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let pair = match &self.kind {
            Kind::Identity => return Ok((x, y)),
            Kind::Proj(pair) => pair,
        };
        if !x.is_finite() || !y.is_finite() {
            return Err(self.failed(x, y, "the coordinate is not a finite number"));
        }
        let mut p = if pair.src_degrees {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&pair.src, &pair.dst, &mut p)
            .map_err(|e| self.failed(x, y, &e.to_string()))?;
        let out = if pair.dst_degrees {
            (p.0.to_degrees(), p.1.to_degrees())
        } else {
            (p.0, p.1)
        };
        if out.0.is_finite() && out.1.is_finite() {
            Ok(out)
        } else {
            Err(self.failed(
                x,
                y,
                "the result is not a finite number (outside the projection's area)",
            ))
        }
    }

    /// Transforms every coordinate of a geometry in place. On error the geometry may
    /// be partly transformed; callers drop it and report the record.
    pub fn apply_geometry(&self, g: &mut Geometry<f64>) -> Result<(), CrsError> {
        if self.is_identity() {
            return Ok(());
        }
        let f = |c: Coord<f64>| self.apply(c.x, c.y).map(|(x, y)| Coord { x, y });
        // Matched by hand: geo's impl for `Geometry` recurses through collections
        // generically and overflows the compiler's instantiation limit.
        match g {
            Geometry::Point(p) => p.try_map_coords_in_place(f),
            Geometry::Line(l) => l.try_map_coords_in_place(f),
            Geometry::LineString(l) => l.try_map_coords_in_place(f),
            Geometry::Polygon(p) => p.try_map_coords_in_place(f),
            Geometry::MultiPoint(m) => m.try_map_coords_in_place(f),
            Geometry::MultiLineString(m) => m.try_map_coords_in_place(f),
            Geometry::MultiPolygon(m) => m.try_map_coords_in_place(f),
            Geometry::Rect(r) => r.try_map_coords_in_place(f),
            Geometry::Triangle(t) => t.try_map_coords_in_place(f),
            Geometry::GeometryCollection(c) => {
                c.0.iter_mut().try_for_each(|g| self.apply_geometry(g))
            }
        }
    }

    fn failed(&self, x: f64, y: f64, reason: &str) -> CrsError {
        CrsError::TransformFailed {
            x,
            y,
            from: self.from_label.clone(),
            to: self.to_label.clone(),
            reason: reason.to_owned(),
        }
    }
}

impl std::fmt::Debug for Transform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transform")
            .field("from", &self.from_label)
            .field("to", &self.to_label)
            .field("identity", &self.is_identity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, Point, Polygon};

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn transform_can_be_shared_between_threads() {
        assert_send_sync::<Transform>();
    }

    #[test]
    fn wgs84_and_cgcs2000_are_the_identity() {
        let t = Transform::new(&Crs::wgs84(), &Crs::cgcs2000()).unwrap();
        assert!(t.is_identity());
        assert_eq!(t.apply(112.55, 37.87).unwrap(), (112.55, 37.87));
        let same =
            Transform::new(&Crs::from_epsg(4546).unwrap(), &Crs::gk3_for_lon(111.2)).unwrap();
        assert!(same.is_identity());
    }

    #[test]
    fn wgs84_and_cgcs2000_project_to_the_same_gauss_kruger_coordinates() {
        let gk = Crs::from_epsg(4546).unwrap();
        let a = Transform::new(&Crs::wgs84(), &gk)
            .unwrap()
            .apply(112.55, 37.87)
            .unwrap();
        let b = Transform::new(&Crs::cgcs2000(), &gk)
            .unwrap()
            .apply(112.55, 37.87)
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn projection_round_trips_to_a_tenth_of_a_millimetre() {
        let geo = Crs::cgcs2000();
        for code in [4546, 4525, 2383, 3857, 4508] {
            let crs = Crs::from_epsg(code).unwrap();
            let fwd = Transform::new(&geo, &crs).unwrap();
            let inv = Transform::new(&crs, &geo).unwrap();
            let (x, y) = fwd.apply(112.55, 37.87).unwrap();
            let (lon, lat) = inv.apply(x, y).unwrap();
            assert!(
                (lon - 112.55).abs() < 1e-9 && (lat - 37.87).abs() < 1e-9,
                "{code}: {} {}",
                lon - 112.55,
                lat - 37.87
            );
        }
    }

    #[test]
    fn datum_shifted_round_trip_loses_under_a_millimetre() {
        // The 2D datum step drops the ellipsoidal height, which costs ~0.4 mm.
        let bj = Crs::from_epsg(2435).unwrap();
        let fwd = Transform::new(&Crs::cgcs2000(), &bj).unwrap();
        let inv = Transform::new(&bj, &Crs::cgcs2000()).unwrap();
        let (x, y) = fwd.apply(112.55, 37.87).unwrap();
        let (lon, lat) = inv.apply(x, y).unwrap();
        assert!((lon - 112.55).abs() < 1e-8 && (lat - 37.87).abs() < 1e-8);
    }

    #[test]
    fn beijing_1954_is_shifted_against_cgcs2000_by_tens_of_metres() {
        let bj = Crs::from_epsg(2434).unwrap();
        let cg = Crs::from_epsg(4546).unwrap();
        let (x0, y0) = Transform::new(&Crs::from_epsg(4214).unwrap(), &bj)
            .unwrap()
            .apply(112.55, 37.87)
            .unwrap();
        let (x1, y1) = Transform::new(&bj, &cg).unwrap().apply(x0, y0).unwrap();
        let shift = ((x1 - x0).powi(2) + (y1 - y0).powi(2)).sqrt();
        assert!((10.0..300.0).contains(&shift), "shift {shift} m");
        // And the shift is undone on the way back.
        let (x2, y2) = Transform::new(&cg, &bj).unwrap().apply(x1, y1).unwrap();
        assert!((x2 - x0).abs() < 1e-3 && (y2 - y0).abs() < 1e-3);
    }

    #[test]
    fn bad_coordinates_are_errors_not_panics() {
        let t = Transform::new(&Crs::cgcs2000(), &Crs::from_epsg(4546).unwrap()).unwrap();
        let err = t.apply(f64::NAN, 37.0).unwrap_err().to_string();
        assert!(err.contains("EPSG:4490"), "{err}");
        assert!(t.apply(1e300, 1e300).is_err());
    }

    #[test]
    fn geometries_are_transformed_vertex_by_vertex() {
        let t = Transform::new(&Crs::cgcs2000(), &Crs::from_epsg(4546).unwrap()).unwrap();
        let ring = LineString::from(vec![
            (111.0, 37.0),
            (111.1, 37.0),
            (111.1, 37.1),
            (111.0, 37.0),
        ]);
        let mut g = Geometry::Polygon(Polygon::new(ring, vec![]));
        t.apply_geometry(&mut g).unwrap();
        let Geometry::Polygon(p) = g else { panic!() };
        let first = p.exterior().0[0];
        let expected = t.apply(111.0, 37.0).unwrap();
        assert_eq!((first.x, first.y), expected);
        assert!((first.x - 500_000.0).abs() < 1e-6);
        let mut pt = Geometry::Point(Point::new(f64::NAN, 0.0));
        assert!(t.apply_geometry(&mut pt).is_err());
    }
}
