//! Coordinate reference systems: identification (EPSG codes, ESRI `.prj` WKT,
//! coordinate ranges), transforms between CRSs (proj4rs), and the correction of
//! map-app coordinates (GCJ-02, BD-09) back to WGS84.
//!
//! Zones are never reprojected for a point test: sites are transformed into each
//! zone file's CRS (see DESIGN.md).
//!
//! Submodules: `epsg` (the Chinese Gauss-Kruger families and the EPSG table),
//! `prj` (`.prj` WKT → [`Crs`]), `detect` (guessing a CRS from coordinate ranges),
//! `transform` ([`Transform`]), `mapoffset` (GCJ-02 / BD-09).

mod detect;
mod epsg;
pub mod grid;
mod mapoffset;
mod prj;
mod transform;

use std::fmt;

pub use detect::{Detection, detect_from_bounds};
pub use epsg::prj_wkt_for_epsg;
pub use mapoffset::{
    bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02,
};
pub use transform::Transform;

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

/// What can go wrong identifying a CRS or transforming between two.
#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    /// An EPSG code outside qingling's families and the EPSG table.
    #[error(
        "EPSG:{code} is not a coordinate system qingling knows; use a CGCS2000, Xian 1980 or \
         Beijing 1954 Gauss-Kruger code (e.g. EPSG:4546), EPSG:4490, EPSG:4326 or EPSG:3857"
    )]
    UnknownEpsg {
        /// The code asked for.
        code: u32,
    },
    /// A CRS spec that is not `EPSG:n` (or `gcj02`/`bd09` for sites).
    #[error("'{spec}' is not a coordinate system spec; write {expected}")]
    BadSpec {
        /// The text given.
        spec: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// The `.prj` text is not WKT at all.
    #[error(
        "the .prj is not a WKT coordinate system ({reason}); fix or delete the .prj, \
         or give the EPSG code with --zones-crs/--sites-crs"
    )]
    NotWkt {
        /// What the parser found wrong.
        reason: String,
    },
    /// The `.prj` uses a projection proj4rs cannot compute.
    #[error(
        "unsupported projection '{projection}' in .prj; give the EPSG code with \
         --zones-crs/--sites-crs"
    )]
    UnsupportedProjection {
        /// The projection name as written in the `.prj`.
        projection: String,
    },
    /// proj4rs rejected a proj string.
    #[error(
        "cannot use {crs}: {reason}; reproject the data to a supported CRS (e.g. EPSG:4490 or \
         EPSG:4546) or give another EPSG code with --zones-crs/--sites-crs"
    )]
    InvalidDefinition {
        /// The CRS (name or proj string).
        crs: String,
        /// proj4rs' reason.
        reason: String,
    },
    /// A coordinate could not be transformed.
    #[error(
        "cannot transform ({x}, {y}) from {from} to {to}: {reason}; check that the \
         coordinates really are in {from}"
    )]
    TransformFailed {
        /// Input x (longitude or easting).
        x: f64,
        /// Input y (latitude or northing).
        y: f64,
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// Why.
        reason: String,
    },
}

impl CrsError {
    /// The error in Chinese, for the app's problems list (the English text is the
    /// `Display`). Details from proj4rs and the WKT parser stay as they came.
    pub fn zh(&self) -> String {
        match self {
            CrsError::UnknownEpsg { code } => format!(
                "EPSG:{code} 不是 qingling 认识的坐标系；请使用 CGCS2000、西安 1980 或北京 1954 \
                 高斯-克吕格投影的代码（如 EPSG:4546）、EPSG:4490、EPSG:4326 或 EPSG:3857"
            ),
            CrsError::BadSpec { spec, expected } => {
                format!("“{spec}”不是坐标系写法；请写成 {expected}")
            }
            CrsError::NotWkt { reason } => format!(
                ".prj 不是 WKT 格式的坐标系（{reason}）；请改正或删除 .prj，或直接指定 EPSG 代码"
            ),
            CrsError::UnsupportedProjection { projection } => {
                format!(".prj 中的投影“{projection}”不受支持；请直接指定 EPSG 代码")
            }
            CrsError::InvalidDefinition { crs, reason } => format!(
                "无法使用 {crs}：{reason}；请把数据转换到受支持的坐标系（如 EPSG:4490 或 \
                 EPSG:4546），或指定其他 EPSG 代码"
            ),
            CrsError::TransformFailed {
                x,
                y,
                from,
                to,
                reason,
            } => format!(
                "无法把（{x}, {y}）从 {from} 转换到 {to}：{reason}；请确认坐标确实是 {from}"
            ),
        }
    }
}

impl Crs {
    /// The CRS of an EPSG code: the Chinese families (CGCS2000, Xian 1980, Beijing
    /// 1954 Gauss-Kruger, 3° and 6°, with and without zone prefix), 4326, 4490,
    /// 4610, 4214, 3857 (and its aliases 900913, 3785, 102100, returned as 3857),
    /// and otherwise whatever the `crs-definitions` EPSG table holds.
    /// Fails for unknown codes and for codes whose projection proj4rs cannot compute.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        let crs = epsg::lookup(code).ok_or(CrsError::UnknownEpsg { code })?;
        // Checked here so that a bad code fails where it is named, not at transform time.
        proj4rs::Proj::from_proj_string(&crs.proj4).map_err(|e| CrsError::InvalidDefinition {
            crs: crs.to_string(),
            reason: e.to_string(),
        })?;
        Ok(crs)
    }

    /// The CRS described by a `.prj` file (ESRI WKT or OGC WKT1). The EPSG code is
    /// identified for WGS84, Web Mercator and the Chinese families by name, by an
    /// `AUTHORITY["EPSG",..]` node, or by matching datum and projection parameters;
    /// anything else keeps the proj string from proj4wkt with `epsg: None`.
    pub fn from_prj(wkt: &str) -> Result<Crs, CrsError> {
        prj::crs_from_prj(wkt)
    }

    /// Parses `EPSG:4546`, `epsg:4546`, `4546` (or `urn:ogc:def:crs:EPSG::4546`), and
    /// the names `WGS84`, `CGCS2000` and `WebMercator` (case-insensitive).
    pub fn parse(spec: &str) -> Result<Crs, CrsError> {
        let key: String = spec
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        let code = match key.as_str() {
            "wgs84" => Some(4326),
            "cgcs2000" => Some(4490),
            "webmercator" | "pseudomercator" => Some(3857),
            _ => parse_epsg_code(spec),
        };
        let code = code.ok_or_else(|| CrsError::BadSpec {
            spec: spec.to_owned(),
            expected: "EPSG:<code> or a bare code, e.g. EPSG:4546",
        })?;
        Crs::from_epsg(code)
    }

    /// WGS 84 longitude/latitude (EPSG:4326).
    pub fn wgs84() -> Crs {
        epsg::wgs84()
    }

    /// CGCS2000 longitude/latitude (EPSG:4490).
    pub fn cgcs2000() -> Crs {
        let spec = epsg::Datum::Cgcs2000;
        Crs {
            epsg: Some(spec.geographic_epsg()),
            name: "China Geodetic Coordinate System 2000".to_owned(),
            proj4: format!("+proj=longlat {} +no_defs", spec.proj_ellipsoid()),
            geographic: true,
        }
    }

    /// Web Mercator (EPSG:3857), the display CRS.
    pub fn web_mercator() -> Crs {
        epsg::web_mercator()
    }

    /// CGCS2000 3-degree GK (no zone prefix, EPSG 4534..=4554) whose central meridian is
    /// nearest `lon` — the "analysis CRS" used for metric distances. Longitudes outside
    /// 73.5°E–136.5°E (and NaN) get the nearest end of the family.
    pub fn gk3_for_lon(lon: f64) -> Crs {
        let cm = if lon.is_finite() {
            ((lon / 3.0).round() * 3.0).clamp(75.0, 135.0)
        } else {
            75.0
        };
        // cm is a whole multiple of 3 in 75..=135, so the cast is exact.
        let spec = epsg::GkSpec {
            datum: epsg::Datum::Cgcs2000,
            width_deg: 3,
            zone_prefix: false,
            central_meridian: cm as u32,
        };
        let code = 4534 + (spec.central_meridian - 75) / 3;
        Crs {
            epsg: Some(code),
            name: spec.name(),
            proj4: spec.proj4(),
            geographic: false,
        }
    }

    /// True for longitude/latitude in degrees.
    pub fn is_geographic(&self) -> bool {
        self.geographic
    }

    /// Approximate metres per CRS unit: 111 320 for degrees (one degree of latitude,
    /// good enough to convert a tolerance), otherwise the proj string's linear unit
    /// (`+to_meter` or `+units`), 1 when unspecified.
    pub fn metres_per_unit(&self) -> f64 {
        if self.geographic {
            return 111_320.0;
        }
        if let Some(f) =
            epsg::proj_param(&self.proj4, "to_meter").and_then(|v| v.parse::<f64>().ok())
            && f.is_finite()
            && f > 0.0
        {
            return f;
        }
        match epsg::proj_param(&self.proj4, "units") {
            Some("km") => 1000.0,
            Some("ft") => 0.3048,
            Some("us-ft") => 1200.0 / 3937.0,
            _ => 1.0,
        }
    }
}

/// The EPSG code in `EPSG:n`, `epsg:n`, `n` or `urn:ogc:def:crs:EPSG::n`.
fn parse_epsg_code(spec: &str) -> Option<u32> {
    let s = spec.trim();
    let lower = s.to_ascii_lowercase();
    let digits = if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:epsg:") {
        rest.rsplit(':').next().unwrap_or(rest)
    } else if let Some(rest) = lower.strip_prefix("epsg") {
        rest.trim_start_matches([':', ' '])
    } else {
        &lower
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Site CRS spec of the CLI `--sites-crs`: `EPSG:n`, `gcj02` or `bd09`.
#[derive(Clone, Debug, PartialEq)]
pub enum SiteCrs {
    /// An ordinary CRS.
    Crs(Crs),
    /// GCJ-02, the offset coordinates of Amap (高德) and Tencent maps.
    Gcj02,
    /// BD-09, the offset coordinates of Baidu maps.
    Bd09,
}

impl SiteCrs {
    /// Parses `EPSG:n` / `n`, `gcj02` (also `GCJ-02`, `gcj`, `amap`, `高德`, `火星`,
    /// `腾讯`) or `bd09` (also `BD-09`, `baidu`, `百度`); case-insensitive.
    pub fn parse(spec: &str) -> Result<SiteCrs, CrsError> {
        let key: String = spec
            .trim()
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect();
        match key.as_str() {
            "gcj02" | "gcj" | "amap" | "tencent" | "高德" | "火星" | "火星坐标" | "腾讯" => {
                Ok(SiteCrs::Gcj02)
            }
            "bd09" | "bd09ll" | "baidu" | "百度" => Ok(SiteCrs::Bd09),
            _ => match Crs::parse(spec) {
                Err(CrsError::BadSpec { spec, .. }) => Err(CrsError::BadSpec {
                    spec,
                    expected: "EPSG:<code> (e.g. EPSG:4490), gcj02 (Amap/Tencent) or bd09 (Baidu)",
                }),
                other => other.map(SiteCrs::Crs),
            },
        }
    }
}

impl SiteCrs {
    /// The CRS that coordinates are in after [`SiteCrs::correct`]: the CRS itself, or
    /// WGS84 for map-app coordinates.
    pub fn base_crs(&self) -> Crs {
        match self {
            SiteCrs::Crs(crs) => crs.clone(),
            SiteCrs::Gcj02 | SiteCrs::Bd09 => Crs::wgs84(),
        }
    }

    /// Removes a map-app offset: GCJ-02/BD-09 (lon, lat) → WGS84; other CRSs unchanged.
    pub fn correct(&self, x: f64, y: f64) -> (f64, f64) {
        match self {
            SiteCrs::Crs(_) => (x, y),
            SiteCrs::Gcj02 => gcj02_to_wgs84(x, y),
            SiteCrs::Bd09 => bd09_to_wgs84(x, y),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_specs_parse_in_all_spellings() {
        for s in [
            "EPSG:4546",
            "epsg:4546",
            "4546",
            " EPSG: 4546 ",
            "urn:ogc:def:crs:EPSG::4546",
        ] {
            assert_eq!(Crs::parse(s).unwrap().epsg, Some(4546), "{s}");
        }
    }

    #[test]
    fn bad_specs_are_rejected_with_a_hint() {
        let err = Crs::parse("EPSG:abc").unwrap_err().to_string();
        assert!(err.contains("EPSG:4546"), "{err}");
        assert!(matches!(
            Crs::parse("99999999"),
            Err(CrsError::UnknownEpsg { .. })
        ));
        assert!(Crs::parse("").is_err());
    }

    #[test]
    fn site_specs_accept_map_app_names() {
        for s in ["gcj02", "GCJ-02", "高德", "火星", "gcj_02"] {
            assert_eq!(SiteCrs::parse(s).unwrap(), SiteCrs::Gcj02, "{s}");
        }
        for s in ["bd09", "BD-09", "百度", "Baidu"] {
            assert_eq!(SiteCrs::parse(s).unwrap(), SiteCrs::Bd09, "{s}");
        }
        assert_eq!(
            SiteCrs::parse("EPSG:4490").unwrap(),
            SiteCrs::Crs(Crs::cgcs2000())
        );
        let err = SiteCrs::parse("google").unwrap_err().to_string();
        assert!(err.contains("gcj02"), "{err}");
    }

    #[test]
    fn map_app_sites_are_corrected_to_wgs84() {
        let (lon, lat) = wgs84_to_gcj02(112.55, 37.87);
        let (x, y) = SiteCrs::Gcj02.correct(lon, lat);
        assert!((x - 112.55).abs() < 1e-8 && (y - 37.87).abs() < 1e-8);
        let (lon, lat) = wgs84_to_bd09(112.55, 37.87);
        let (x, y) = SiteCrs::Bd09.correct(lon, lat);
        assert!((x - 112.55).abs() < 1e-8 && (y - 37.87).abs() < 1e-8);
        assert_eq!(SiteCrs::Bd09.base_crs(), Crs::wgs84());
        let gk = SiteCrs::Crs(Crs::from_epsg(4546).unwrap());
        assert_eq!(gk.correct(500_000.0, 4e6), (500_000.0, 4e6));
        assert_eq!(gk.base_crs().epsg, Some(4546));
    }

    #[test]
    fn analysis_crs_is_the_nearest_three_degree_zone() {
        assert_eq!(Crs::gk3_for_lon(112.4).epsg, Some(4546));
        assert_eq!(Crs::gk3_for_lon(112.6).epsg, Some(4547));
        assert_eq!(Crs::gk3_for_lon(110.3).epsg, Some(4546));
        assert_eq!(Crs::gk3_for_lon(10.0).epsg, Some(4534));
        assert_eq!(Crs::gk3_for_lon(179.0).epsg, Some(4554));
        assert_eq!(Crs::gk3_for_lon(f64::NAN).epsg, Some(4534));
        assert_eq!(Crs::gk3_for_lon(111.0), Crs::from_epsg(4546).unwrap());
    }

    #[test]
    fn metres_per_unit_is_one_for_metres_and_a_degree_for_degrees() {
        assert_eq!(Crs::from_epsg(4546).unwrap().metres_per_unit(), 1.0);
        assert_eq!(Crs::wgs84().metres_per_unit(), 111_320.0);
        let feet = Crs {
            epsg: None,
            name: "feet".into(),
            proj4: "+proj=tmerc +lon_0=111 +units=us-ft".into(),
            geographic: false,
        };
        assert!((feet.metres_per_unit() - 0.3048006).abs() < 1e-6);
    }

    #[test]
    fn cgcs2000_constructor_matches_the_epsg_lookup() {
        assert_eq!(Crs::cgcs2000(), Crs::from_epsg(4490).unwrap());
        assert_eq!(Crs::web_mercator(), Crs::from_epsg(900_913).unwrap());
    }
}
