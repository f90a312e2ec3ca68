//! EPSG codes: the Chinese geodetic families qingling knows by name (CGCS2000,
//! Xian 1980, Beijing 1954 Gauss-Kruger zones), WGS84 and Web Mercator, with a
//! fallback to the EPSG → proj-string table of `crs-definitions` for anything else.
//!
//! The Gauss-Kruger families are generated from their parameters rather than read
//! from the table, so every member has the same spelling of its proj string, a
//! readable name, and (for the codes qingling writes) an ESRI-style `.prj`.

use super::Crs;

/// The geodetic datums of the Chinese Gauss-Kruger families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Datum {
    /// China Geodetic Coordinate System 2000 (GRS80 ellipsoid); EPSG:4490.
    Cgcs2000,
    /// Xian 1980 (IAG 1975 ellipsoid, a = 6378140, 1/f = 298.257); EPSG:4610.
    Xian1980,
    /// Beijing 1954 (Krassowsky ellipsoid); EPSG:4214.
    Beijing1954,
}

/// Beijing 1954 → WGS 84 shift used by qingling: EPSG transformation 15921
/// ("Beijing 1954 to WGS 84 (4)"), the TOWGS84 that GDAL and the EPSG table of
/// `crs-definitions` attach to EPSG:4214. EPSG states 1 m accuracy for the Tarim
/// basin only; elsewhere (Shanxi) the residual is unknown and may reach tens of
/// metres. PROJ 9 applies no shift at all between Beijing 1954 and WGS 84 outside
/// that area ("ballpark"), which is wrong by the full datum difference.
pub(crate) const BEIJING1954_TOWGS84: &str = "15.8,-154.4,-82.3,0,0,0,0";

impl Datum {
    /// The datum's name as it begins EPSG CRS names.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Xian1980 => "Xian 1980",
            Datum::Beijing1954 => "Beijing 1954",
        }
    }

    /// The ellipsoid (and datum shift) part of a proj string.
    ///
    /// CGCS2000 carries no `+towgs84`: it is taken as identical to WGS84 (see
    /// [`super::Transform`]). Xian 1980 carries none either: the EPSG registry has
    /// no Xian 1980 → WGS 84/CGCS2000 transformation, so conversions between Xian
    /// 1980 and CGCS2000 keep latitude/longitude unchanged (as PROJ does) and are
    /// only accurate to the datum difference (tens of metres).
    pub(crate) fn proj_ellipsoid(self) -> String {
        match self {
            Datum::Cgcs2000 => "+ellps=GRS80".to_owned(),
            Datum::Xian1980 => "+a=6378140 +rf=298.257".to_owned(),
            Datum::Beijing1954 => format!("+ellps=krass +towgs84={BEIJING1954_TOWGS84}"),
        }
    }

    /// The EPSG code of the datum's geographic CRS.
    pub(crate) fn geographic_epsg(self) -> u32 {
        match self {
            Datum::Cgcs2000 => 4490,
            Datum::Xian1980 => 4610,
            Datum::Beijing1954 => 4214,
        }
    }

    /// Semi-major axis and inverse flattening, used to recognise a datum by its
    /// ellipsoid in a `.prj`.
    pub(crate) fn ellipsoid(self) -> (f64, f64) {
        match self {
            Datum::Cgcs2000 => (6_378_137.0, 298.257_222_101),
            Datum::Xian1980 => (6_378_140.0, 298.257),
            Datum::Beijing1954 => (6_378_245.0, 298.3),
        }
    }

    fn geographic_name(self) -> &'static str {
        match self {
            Datum::Cgcs2000 => "China Geodetic Coordinate System 2000",
            Datum::Xian1980 => "Xian 1980",
            Datum::Beijing1954 => "Beijing 1954",
        }
    }

    fn geographic_crs(self) -> Crs {
        Crs {
            epsg: Some(self.geographic_epsg()),
            name: self.geographic_name().to_owned(),
            proj4: format!("+proj=longlat {} +no_defs", self.proj_ellipsoid()),
            geographic: true,
        }
    }
}

/// One Gauss-Kruger projected CRS of the Chinese families: datum, zone width
/// (3 or 6 degrees), whether the zone number prefixes the easting, and the
/// central meridian in whole degrees east.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GkSpec {
    pub(crate) datum: Datum,
    pub(crate) width_deg: u32,
    pub(crate) zone_prefix: bool,
    pub(crate) central_meridian: u32,
}

impl GkSpec {
    /// Zone number: CM / 3 for 3-degree zones, (CM + 3) / 6 for 6-degree zones.
    pub(crate) fn zone(&self) -> u32 {
        if self.width_deg == 3 {
            self.central_meridian / 3
        } else {
            (self.central_meridian + 3) / 6
        }
    }

    /// False easting in metres: 500 000, plus zone × 10^6 when prefixed.
    pub(crate) fn false_easting(&self) -> f64 {
        if self.zone_prefix {
            f64::from(self.zone()) * 1_000_000.0 + 500_000.0
        } else {
            500_000.0
        }
    }

    /// EPSG-style name, e.g. `CGCS2000 / 3-degree Gauss-Kruger CM 111E`.
    pub(crate) fn name(&self) -> String {
        let width = if self.width_deg == 3 { "3-degree " } else { "" };
        let which = if self.zone_prefix {
            format!("zone {}", self.zone())
        } else {
            format!("CM {}E", self.central_meridian)
        };
        format!("{} / {width}Gauss-Kruger {which}", self.datum.label())
    }

    /// ESRI-style name, e.g. `CGCS2000_3_Degree_GK_CM_111E`.
    pub(crate) fn esri_name(&self) -> String {
        let datum = match self.datum {
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Xian1980 => "Xian_1980",
            Datum::Beijing1954 => "Beijing_1954",
        };
        let width = if self.width_deg == 3 { "3_Degree_" } else { "" };
        let which = if self.zone_prefix {
            format!("Zone_{}", self.zone())
        } else {
            format!("CM_{}E", self.central_meridian)
        };
        format!("{datum}_{width}GK_{which}")
    }

    /// The proj string handed to proj4rs.
    pub(crate) fn proj4(&self) -> String {
        format!(
            "+proj=tmerc +lat_0=0 +lon_0={} +k=1 +x_0={} +y_0=0 {} +units=m +no_defs",
            self.central_meridian,
            self.false_easting(),
            self.datum.proj_ellipsoid()
        )
    }

    /// The EPSG code, when the spec is a member of one of the families.
    pub(crate) fn epsg(&self) -> Option<u32> {
        FAMILIES.iter().find_map(|f| f.code_for(self))
    }

    fn crs(&self, code: u32) -> Crs {
        Crs {
            epsg: Some(code),
            name: self.name(),
            proj4: self.proj4(),
            geographic: false,
        }
    }
}

/// A consecutive run of EPSG codes, one per central meridian from 75°E eastwards.
struct Family {
    datum: Datum,
    width_deg: u32,
    zone_prefix: bool,
    first: u32,
    last: u32,
}

impl Family {
    fn spec(&self, code: u32) -> Option<GkSpec> {
        if !(self.first..=self.last).contains(&code) {
            return None;
        }
        Some(GkSpec {
            datum: self.datum,
            width_deg: self.width_deg,
            zone_prefix: self.zone_prefix,
            central_meridian: 75 + self.width_deg * (code - self.first),
        })
    }

    fn code_for(&self, spec: &GkSpec) -> Option<u32> {
        if spec.datum != self.datum
            || spec.width_deg != self.width_deg
            || spec.zone_prefix != self.zone_prefix
            || spec.central_meridian < 75
            || !(spec.central_meridian - 75).is_multiple_of(self.width_deg)
        {
            return None;
        }
        let code = self.first + (spec.central_meridian - 75) / self.width_deg;
        (code <= self.last).then_some(code)
    }
}

const fn family(datum: Datum, width_deg: u32, zone_prefix: bool, first: u32, last: u32) -> Family {
    Family {
        datum,
        width_deg,
        zone_prefix,
        first,
        last,
    }
}

/// The Chinese Gauss-Kruger families (checked against the EPSG registry and the
/// `crs-definitions` table: every member runs from CM 75°E to CM 135°E).
const FAMILIES: [Family; 12] = [
    family(Datum::Cgcs2000, 3, true, 4513, 4533),
    family(Datum::Cgcs2000, 3, false, 4534, 4554),
    family(Datum::Cgcs2000, 6, true, 4491, 4501),
    family(Datum::Cgcs2000, 6, false, 4502, 4512),
    family(Datum::Xian1980, 3, true, 2349, 2369),
    family(Datum::Xian1980, 3, false, 2370, 2390),
    family(Datum::Xian1980, 6, true, 2327, 2337),
    family(Datum::Xian1980, 6, false, 2338, 2348),
    family(Datum::Beijing1954, 3, true, 2401, 2421),
    family(Datum::Beijing1954, 3, false, 2422, 2442),
    family(Datum::Beijing1954, 6, true, 21413, 21423),
    family(Datum::Beijing1954, 6, false, 21453, 21463),
];

/// The Gauss-Kruger spec of an EPSG code of the Chinese families.
pub(crate) fn gk_spec(code: u32) -> Option<GkSpec> {
    FAMILIES.iter().find_map(|f| f.spec(code))
}

/// Codes that mean Web Mercator: 3857 and its retired or vendor aliases.
const WEB_MERCATOR_ALIASES: [u32; 4] = [3857, 900_913, 3785, 102_100];

pub(crate) const WEB_MERCATOR_PROJ4: &str = "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 \
     +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs";

pub(crate) fn wgs84() -> Crs {
    Crs {
        epsg: Some(4326),
        name: "WGS 84".to_owned(),
        proj4: "+proj=longlat +datum=WGS84 +no_defs".to_owned(),
        geographic: true,
    }
}

pub(crate) fn web_mercator() -> Crs {
    Crs {
        epsg: Some(3857),
        name: "WGS 84 / Pseudo-Mercator".to_owned(),
        proj4: WEB_MERCATOR_PROJ4.to_owned(),
        geographic: false,
    }
}

/// The CRS of an EPSG code, or `None` when neither qingling's families nor the
/// `crs-definitions` table know it. Web Mercator aliases come back as 3857.
pub(crate) fn lookup(code: u32) -> Option<Crs> {
    if code == 4326 {
        return Some(wgs84());
    }
    if WEB_MERCATOR_ALIASES.contains(&code) {
        return Some(web_mercator());
    }
    for datum in [Datum::Cgcs2000, Datum::Xian1980, Datum::Beijing1954] {
        if datum.geographic_epsg() == code {
            return Some(datum.geographic_crs());
        }
    }
    if let Some(spec) = gk_spec(code) {
        return Some(spec.crs(code));
    }
    let def = crs_definitions::from_code(u16::try_from(code).ok()?)?;
    let proj4 = def.proj4.to_owned();
    let geographic = is_longlat(&proj4);
    Some(Crs {
        epsg: Some(code),
        name: describe_proj4(&proj4),
        proj4,
        geographic,
    })
}

/// True when a proj string describes longitude/latitude.
pub(crate) fn is_longlat(proj4: &str) -> bool {
    proj_param(proj4, "proj")
        .is_some_and(|p| matches!(p, "longlat" | "latlong" | "lonlat" | "latlon"))
}

/// The value of `+key=value` in a proj string.
pub(crate) fn proj_param<'a>(proj4: &'a str, key: &str) -> Option<&'a str> {
    proj4.split_whitespace().find_map(|tok| {
        let (k, v) = tok.trim_start_matches('+').split_once('=')?;
        (k == key).then_some(v)
    })
}

/// A short readable description of a proj string for CRSs outside the families.
pub(crate) fn describe_proj4(proj4: &str) -> String {
    match proj_param(proj4, "proj") {
        Some("utm") => {
            let zone = proj_param(proj4, "zone").unwrap_or("?");
            let hemi = if proj4.contains("+south") { 'S' } else { 'N' };
            format!("UTM zone {zone}{hemi}")
        }
        Some(p) if is_longlat(proj4) => format!("geographic ({p})"),
        Some("tmerc") => format!(
            "Transverse Mercator CM {}",
            proj_param(proj4, "lon_0").unwrap_or("0")
        ),
        Some(p) => format!("projection {p}"),
        None => "custom CRS".to_owned(),
    }
}

const ESRI_GCS_CGCS2000: &str = "GEOGCS[\"GCS_China_Geodetic_Coordinate_System_2000\",\
DATUM[\"D_China_2000\",SPHEROID[\"CGCS2000\",6378137.0,298.257222101]],\
PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]";

const ESRI_GCS_WGS84: &str = "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",\
SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],\
UNIT[\"Degree\",0.0174532925199433]]";

/// An ESRI-style `.prj` (as ArcGIS writes it) for the CRSs qingling writes:
/// WGS84 (4326), CGCS2000 geographic (4490) and the CGCS2000 3-degree
/// Gauss-Kruger families (4513–4554). `None` for any other code.
pub fn prj_wkt_for_epsg(code: u32) -> Option<String> {
    match code {
        4326 => Some(ESRI_GCS_WGS84.to_owned()),
        4490 => Some(ESRI_GCS_CGCS2000.to_owned()),
        4513..=4554 => {
            let spec = gk_spec(code)?;
            Some(format!(
                "PROJCS[\"{}\",{ESRI_GCS_CGCS2000},PROJECTION[\"Gauss_Kruger\"],\
PARAMETER[\"False_Easting\",{:.1}],PARAMETER[\"False_Northing\",0.0],\
PARAMETER[\"Central_Meridian\",{:.1}],PARAMETER[\"Scale_Factor\",1.0],\
PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]",
                spec.esri_name(),
                spec.false_easting(),
                f64::from(spec.central_meridian),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_member_round_trips_through_its_spec() {
        for f in &FAMILIES {
            for code in f.first..=f.last {
                let spec = gk_spec(code).unwrap();
                assert_eq!(spec.epsg(), Some(code), "{code}");
                assert!((75..=135).contains(&spec.central_meridian), "{code}");
            }
        }
    }

    #[test]
    fn generated_proj_strings_agree_with_the_crs_definitions_table() {
        for f in &FAMILIES {
            for code in f.first..=f.last {
                let ours = gk_spec(code).unwrap();
                let table = crs_definitions::from_code(code as u16).unwrap().proj4;
                let lon0 = proj_param(table, "lon_0").unwrap().parse::<f64>().unwrap();
                let x0 = proj_param(table, "x_0").unwrap().parse::<f64>().unwrap();
                assert_eq!(lon0, f64::from(ours.central_meridian), "{code}");
                assert_eq!(x0, ours.false_easting(), "{code}");
            }
        }
    }

    #[test]
    fn shanxi_zone_codes_have_the_domain_table_names() {
        assert_eq!(
            lookup(4546).unwrap().name,
            "CGCS2000 / 3-degree Gauss-Kruger CM 111E"
        );
        assert_eq!(
            lookup(4526).unwrap().name,
            "CGCS2000 / 3-degree Gauss-Kruger zone 38"
        );
        assert_eq!(
            lookup(2362).unwrap().name,
            "Xian 1980 / 3-degree Gauss-Kruger zone 38"
        );
        assert_eq!(
            lookup(2434).unwrap().name,
            "Beijing 1954 / 3-degree Gauss-Kruger CM 111E"
        );
        assert_eq!(
            lookup(21413).unwrap().name,
            "Beijing 1954 / Gauss-Kruger zone 13"
        );
        assert_eq!(
            lookup(2344).unwrap().name,
            "Xian 1980 / Gauss-Kruger CM 111E"
        );
    }

    #[test]
    fn web_mercator_aliases_map_to_3857() {
        assert_eq!(lookup(900_913).unwrap().epsg, Some(3857));
    }

    #[test]
    fn codes_outside_the_families_come_from_the_table() {
        let utm = lookup(32650).unwrap();
        assert_eq!(utm.name, "UTM zone 50N");
        assert!(!utm.geographic);
        assert!(lookup(1).is_none());
        assert!(lookup(4_000_000).is_none());
    }

    #[test]
    fn prj_is_written_only_for_the_codes_qingling_writes() {
        let prj = prj_wkt_for_epsg(4546).unwrap();
        assert!(prj.starts_with("PROJCS[\"CGCS2000_3_Degree_GK_CM_111E\",GEOGCS["));
        assert!(prj.contains("PARAMETER[\"False_Easting\",500000.0]"));
        assert!(prj.contains("PARAMETER[\"Central_Meridian\",111.0]"));
        let prefixed = prj_wkt_for_epsg(4525).unwrap();
        assert!(prefixed.contains("CGCS2000_3_Degree_GK_Zone_37"));
        assert!(prefixed.contains("PARAMETER[\"False_Easting\",37500000.0]"));
        assert!(
            prj_wkt_for_epsg(4490)
                .unwrap()
                .starts_with("GEOGCS[\"GCS_China")
        );
        assert!(prj_wkt_for_epsg(2383).is_none());
    }
}
