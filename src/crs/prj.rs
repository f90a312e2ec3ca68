//! `.prj` WKT (ESRI WKT1, OGC WKT1, simple WKT2) → [`Crs`].
//!
//! A `.prj` is first parsed into a plain keyword tree (so garbage is reported as
//! such, without panicking), then identified, most trusted evidence first:
//! 1. an `AUTHORITY["EPSG",n]` / `ID["EPSG",n]` on the CRS itself;
//! 2. the datum's ellipsoid and the Transverse Mercator / Gauss-Kruger parameters
//!    (central meridian, false easting, scale 1, origin 0), or the geographic
//!    ellipsoid, matched against the Chinese families, WGS84 and Web Mercator —
//!    with the CRS name (`CGCS2000_3_Degree_GK_CM_111E`,
//!    `Beijing_1954_3_Degree_GK_Zone_37`, ...) choosing between families that the
//!    parameters cannot tell apart (3° and 6° zones sharing a central meridian);
//! 3. the CRS name alone when the parameters are missing or unreadable;
//! 4. otherwise the proj string from proj4wkt, checked by proj4rs, with no EPSG code.
//!
//! An identified CRS uses qingling's definition of its EPSG code: a `TOWGS84` in
//! the file (e.g. a local Beijing 1954 shift) is not kept. Unidentified ones keep
//! whatever proj4wkt reads from the file.
//!
//! A Gauss-Kruger projection on the WGS84 ellipsoid is taken as CGCS2000 (the two
//! ellipsoids differ by 0.1 mm in semi-minor axis; DOMAIN.md treats the datums as
//! identical for this work).

use super::epsg::{self, Datum, GkSpec};
use super::{Crs, CrsError};

/// Deepest bracket nesting accepted; real `.prj` files stay below 10.
const MAX_DEPTH: usize = 32;

/// One WKT value: a keyword node, a quoted string, a number or a bare word.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Node(Node),
    Text(String),
    Number(f64),
    Word(String),
}

/// `KEYWORD[value, value, ...]`.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    keyword: String,
    args: Vec<Value>,
}

impl Node {
    fn is(&self, keywords: &[&str]) -> bool {
        keywords
            .iter()
            .any(|k| self.keyword.eq_ignore_ascii_case(k))
    }

    fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i) {
            Some(Value::Number(n)) => Some(*n),
            Some(Value::Text(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|v| match v {
            Value::Node(n) => Some(n),
            _ => None,
        })
    }

    fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children().find(|n| n.is(keywords))
    }

    /// Depth-first search for the first node with one of the keywords.
    fn find(&self, keywords: &[&str]) -> Option<&Node> {
        self.children().find_map(|n| {
            if n.is(keywords) {
                Some(n)
            } else {
                n.find(keywords)
            }
        })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, what: &str) -> CrsError {
        let shown: String = self.text[self.pos..].chars().take(20).collect();
        CrsError::NotWkt {
            reason: if shown.is_empty() {
                format!("{what} at the end of the text")
            } else {
                format!("{what} at byte {}, before '{shown}'", self.pos)
            },
        }
    }

    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn word(&mut self) -> &'a str {
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+')
            })
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn node(&mut self, depth: usize) -> Result<Node, CrsError> {
        if depth > MAX_DEPTH {
            return Err(self.error("brackets nested too deeply"));
        }
        self.skip_ws();
        let keyword = self.word();
        if keyword.is_empty() || !keyword.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error("expected a WKT keyword such as PROJCS or GEOGCS"));
        }
        let keyword = keyword.to_owned();
        self.skip_ws();
        let close = match self.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return Err(self.error(&format!("expected '[' after {keyword}"))),
        };
        self.pos += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(c) if c == close && args.is_empty() => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error(&format!("unclosed {keyword}["))),
                _ => {}
            }
            args.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error(&format!("expected ',' or '{close}' in {keyword}"))),
            }
        }
        Ok(Node { keyword, args })
    }

    fn value(&mut self, depth: usize) -> Result<Value, CrsError> {
        match self.peek() {
            Some('"') => {
                self.pos += 1;
                let mut s = String::new();
                loop {
                    let rest = &self.text[self.pos..];
                    let Some(end) = rest.find('"') else {
                        return Err(self.error("unclosed quoted string"));
                    };
                    s.push_str(&rest[..end]);
                    self.pos += end + 1;
                    // WKT escapes a quote by doubling it.
                    if self.peek() == Some('"') {
                        s.push('"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                Ok(Value::Text(s))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let w = self.word();
                w.parse()
                    .map(Value::Number)
                    .map_err(|_| self.error(&format!("'{w}' is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.pos;
                let w = self.word().to_owned();
                self.skip_ws();
                if matches!(self.peek(), Some('[' | '(')) {
                    self.pos = start;
                    self.node(depth + 1).map(Value::Node)
                } else {
                    Ok(Value::Word(w))
                }
            }
            _ => Err(self.error("expected a value")),
        }
    }
}

/// Parses WKT text into its top node; anything after it is an error.
fn parse(text: &str) -> Result<Node, CrsError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(CrsError::NotWkt {
            reason: "the file is empty".to_owned(),
        });
    }
    let mut p = Parser { text, pos: 0 };
    let node = p.node(0)?;
    p.skip_ws();
    if p.pos < text.len() {
        return Err(p.error("unexpected text after the coordinate system"));
    }
    Ok(node)
}

const PROJECTED: &[&str] = &["PROJCS", "PROJCRS", "PROJECTEDCRS"];
const GEOGRAPHIC: &[&str] = &[
    "GEOGCS",
    "GEOGCRS",
    "GEODCRS",
    "GEOGRAPHICCRS",
    "GEODETICCRS",
];
const COMPOUND: &[&str] = &["COMPD_CS", "COMPOUNDCRS"];

/// Lowercase, every run of non-alphanumerics turned into one `_`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// EPSG code of an `AUTHORITY["EPSG","n"]` or `ID["EPSG",n]` child.
fn authority_code(node: &Node) -> Option<u32> {
    let auth = node.child(&["AUTHORITY", "ID"])?;
    if !auth.name()?.eq_ignore_ascii_case("EPSG") {
        return None;
    }
    match auth.args.get(1)? {
        Value::Text(s) => s.trim().parse().ok(),
        Value::Number(n) if n.fract() == 0.0 && *n > 0.0 && *n < f64::from(u32::MAX) => {
            Some(*n as u32)
        }
        _ => None,
    }
}

/// What a CRS name says, when it is one of the names qingling knows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NameHint {
    Code(u32),
    Gk(GkSpec),
}

fn geographic_code_from_name(n: &str) -> Option<u32> {
    let n = n.strip_prefix("gcs_").unwrap_or(n);
    match n {
        "china_geodetic_coordinate_system_2000" | "cgcs2000" | "cgcs_2000" | "china_2000" => {
            Some(4490)
        }
        "wgs_1984" | "wgs_84" | "wgs84" => Some(4326),
        "xian_1980" | "xian80" | "xian_80" => Some(4610),
        "beijing_1954" | "beijing54" | "beijing_54" => Some(4214),
        _ => None,
    }
}

fn name_hint(name: &str) -> Option<NameHint> {
    let n = normalize(name);
    if let Some(code) = geographic_code_from_name(&n) {
        return Some(NameHint::Code(code));
    }
    if matches!(
        n.as_str(),
        "wgs_1984_web_mercator_auxiliary_sphere"
            | "wgs_1984_web_mercator"
            | "wgs_84_pseudo_mercator"
            | "web_mercator"
            | "pseudo_mercator"
            | "google_maps_global_mercator"
            | "popular_visualisation_crs_mercator"
    ) {
        return Some(NameHint::Code(3857));
    }
    let (datum, rest) = [
        ("cgcs2000_", Datum::Cgcs2000),
        ("cgcs_2000_", Datum::Cgcs2000),
        ("china_geodetic_coordinate_system_2000_", Datum::Cgcs2000),
        ("xian_1980_", Datum::Xian1980),
        ("xian80_", Datum::Xian1980),
        ("beijing_1954_", Datum::Beijing1954),
        ("beijing54_", Datum::Beijing1954),
    ]
    .iter()
    .find_map(|(prefix, d)| n.strip_prefix(prefix).map(|rest| (*d, rest)))?;
    let (width_deg, rest) = match rest.strip_prefix("3_degree_") {
        Some(r) => (3, r),
        None => (6, rest.strip_prefix("6_degree_").unwrap_or(rest)),
    };
    let rest = rest
        .strip_prefix("gk_")
        .or_else(|| rest.strip_prefix("gauss_kruger_"))
        .or_else(|| rest.strip_prefix("gauss_krueger_"))?;
    let (zone_prefix, central_meridian) = if let Some(cm) = rest.strip_prefix("cm_") {
        (false, cm.strip_suffix('e')?.parse::<u32>().ok()?)
    } else {
        let zone = rest.strip_prefix("zone_").unwrap_or(rest);
        // ESRI's "..._GK_Zone_13N" is the zone-13 projection without the prefix.
        let (digits, prefixed) = match zone.strip_suffix('n') {
            Some(d) => (d, false),
            None => (zone, true),
        };
        let zone: u32 = digits.parse().ok()?;
        let cm = if width_deg == 3 {
            zone.checked_mul(3)?
        } else {
            zone.checked_mul(6)?.checked_sub(3)?
        };
        (prefixed, cm)
    };
    let spec = GkSpec {
        datum,
        width_deg,
        zone_prefix,
        central_meridian,
    };
    spec.epsg().map(|_| NameHint::Gk(spec))
}

/// The datum whose ellipsoid the node's SPHEROID/ELLIPSOID has; WGS84 counts as CGCS2000.
fn datum_of(node: &Node) -> Option<Datum> {
    let ell = node.find(&["SPHEROID", "ELLIPSOID"])?;
    let (a, rf) = (ell.number(1)?, ell.number(2)?);
    if (a - 6_378_137.0).abs() < 0.01 && (rf - 298.257_223_563).abs() < 1e-6 {
        return Some(Datum::Cgcs2000);
    }
    [Datum::Cgcs2000, Datum::Xian1980, Datum::Beijing1954]
        .into_iter()
        .find(|d| {
            let (a0, rf0) = d.ellipsoid();
            (a - a0).abs() < 0.01 && (rf - rf0).abs() < 1e-6
        })
}

fn is_wgs84_ellipsoid(node: &Node) -> bool {
    node.find(&["SPHEROID", "ELLIPSOID"])
        .and_then(|e| Some((e.number(1)?, e.number(2)?)))
        .is_some_and(|(a, rf)| {
            (a - 6_378_137.0).abs() < 0.01 && (rf - 298.257_223_563).abs() < 1e-8
        })
}

/// The value of the first PARAMETER whose normalized name is in `names`.
fn parameter(projcs: &Node, names: &[&str]) -> Option<f64> {
    projcs
        .children()
        .filter(|n| n.is(&["PARAMETER"]))
        .find(|p| {
            p.name()
                .is_some_and(|name| names.contains(&normalize(name).as_str()))
        })
        .and_then(|p| p.number(1))
}

fn method_name(projcs: &Node) -> Option<String> {
    let m = projcs
        .child(&["PROJECTION"])
        .or_else(|| projcs.find(&["METHOD"]))?;
    m.name().map(str::to_owned)
}

/// The linear unit factor of a WKT1 PROJCS (its direct UNIT child); 1 when absent.
fn linear_unit(projcs: &Node) -> f64 {
    projcs
        .child(&["UNIT", "LENGTHUNIT"])
        .and_then(|u| u.number(1))
        .unwrap_or(1.0)
}

/// Identifies a Transverse Mercator / Gauss-Kruger PROJCS by its parameters.
/// Returns all family members it fits (3° before 6° when both share the meridian).
fn gk_from_parameters(projcs: &Node) -> Vec<GkSpec> {
    let method = method_name(projcs)
        .map(|m| normalize(&m))
        .unwrap_or_default();
    if !matches!(
        method.as_str(),
        "gauss_kruger" | "transverse_mercator" | "gauss_krueger" | "transverse_mercator_complex"
    ) {
        return Vec::new();
    }
    let Some(datum) = datum_of(projcs) else {
        return Vec::new();
    };
    let cm = parameter(
        projcs,
        &[
            "central_meridian",
            "longitude_of_natural_origin",
            "longitude_of_origin",
        ],
    );
    let fe = parameter(projcs, &["false_easting"]);
    let fn_ = parameter(projcs, &["false_northing"]).unwrap_or(0.0);
    let k = parameter(projcs, &["scale_factor", "scale_factor_at_natural_origin"]).unwrap_or(1.0);
    let lat0 = parameter(
        projcs,
        &["latitude_of_origin", "latitude_of_natural_origin"],
    )
    .unwrap_or(0.0);
    let (Some(cm), Some(fe)) = (cm, fe) else {
        return Vec::new();
    };
    if (linear_unit(projcs) - 1.0).abs() > 1e-9
        || (k - 1.0).abs() > 1e-9
        || lat0.abs() > 1e-9
        || fn_.abs() > 1e-6
        || cm.fract().abs() > 1e-9
        || !(75.0..=135.0).contains(&cm)
    {
        return Vec::new();
    }
    // cm is a whole number in 75..=135.
    let cm = cm.round() as u32;
    let mut out = Vec::new();
    for width_deg in [3, 6] {
        for zone_prefix in [false, true] {
            let spec = GkSpec {
                datum,
                width_deg,
                zone_prefix,
                central_meridian: cm,
            };
            if spec.epsg().is_some() && (spec.false_easting() - fe).abs() < 1e-6 {
                out.push(spec);
            }
        }
    }
    out
}

fn web_mercator_from_parameters(projcs: &Node) -> bool {
    let method = method_name(projcs)
        .map(|m| normalize(&m))
        .unwrap_or_default();
    let spherical_merc = matches!(
        method.as_str(),
        "mercator_auxiliary_sphere" | "popular_visualisation_pseudo_mercator"
    );
    spherical_merc
        && is_wgs84_ellipsoid(projcs)
        && ["central_meridian", "false_easting", "false_northing"]
            .iter()
            .all(|p| parameter(projcs, &[p]).unwrap_or(0.0).abs() < 1e-9)
}

/// The geographic CRS code of a GEOGCS by its ellipsoid, when it uses Greenwich and degrees.
fn geographic_from_parameters(geogcs: &Node) -> Option<u32> {
    let greenwich = geogcs
        .child(&["PRIMEM"])
        .and_then(|p| p.number(1))
        .is_none_or(|lon| lon.abs() < 1e-12);
    let degrees = geogcs
        .child(&["UNIT", "ANGLEUNIT"])
        .and_then(|u| u.number(1))
        .is_none_or(|f| (f - 1f64.to_radians()).abs() < 1e-12);
    if !greenwich || !degrees {
        return None;
    }
    if is_wgs84_ellipsoid(geogcs) {
        return Some(4326);
    }
    datum_of(geogcs).map(Datum::geographic_epsg)
}

fn from_code(code: u32) -> Option<Crs> {
    Crs::from_epsg(code).ok()
}

fn from_spec(spec: GkSpec) -> Option<Crs> {
    spec.epsg().and_then(from_code)
}

/// Identifies a horizontal CRS node, or returns `None` to fall back to proj4wkt.
fn identify(node: &Node) -> Option<Crs> {
    if let Some(crs) = authority_code(node).and_then(from_code) {
        return Some(crs);
    }
    let hint = node.name().and_then(name_hint);
    if node.is(PROJECTED) {
        let fits = gk_from_parameters(node);
        if let Some(NameHint::Gk(named)) = hint
            && fits.contains(&named)
        {
            return from_spec(named);
        }
        if let Some(first) = fits.first() {
            return from_spec(*first);
        }
        if web_mercator_from_parameters(node) {
            return from_code(3857);
        }
        // The name alone, when the parameters are missing or unreadable.
        let has_params = node.children().any(|n| n.is(&["PARAMETER"]));
        return match hint {
            Some(NameHint::Gk(spec)) if !has_params => from_spec(spec),
            Some(NameHint::Code(3857)) if !has_params => from_code(3857),
            _ => None,
        };
    }
    let by_params = geographic_from_parameters(node);
    match (hint, by_params) {
        // WGS84 and CGCS2000 share the ellipsoid to 0.1 mm: let the name decide.
        (Some(NameHint::Code(named @ (4326 | 4490))), Some(4326 | 4490)) => from_code(named),
        (_, Some(code)) => from_code(code),
        (Some(NameHint::Code(code @ (4326 | 4490 | 4610 | 4214))), None)
            if node.find(&["SPHEROID", "ELLIPSOID"]).is_none() =>
        {
            from_code(code)
        }
        _ => None,
    }
}

/// The horizontal part of the top node (the first child of a compound CRS).
fn horizontal(top: &Node) -> Result<&Node, CrsError> {
    if top.is(PROJECTED) || top.is(GEOGRAPHIC) {
        return Ok(top);
    }
    if top.is(COMPOUND)
        && let Some(h) = top.children().find(|n| n.is(PROJECTED) || n.is(GEOGRAPHIC))
    {
        return Ok(h);
    }
    Err(CrsError::NotWkt {
        reason: format!(
            "it starts with {}[ where PROJCS[ or GEOGCS[ was expected",
            top.keyword
        ),
    })
}

/// `.prj` text → [`Crs`]; see the module documentation for the order of evidence.
pub(crate) fn crs_from_prj(wkt: &str) -> Result<Crs, CrsError> {
    let top = parse(wkt)?;
    let node = horizontal(&top)?;
    if let Some(crs) = identify(node) {
        return Ok(crs);
    }
    let name = node
        .name()
        .unwrap_or("unnamed coordinate system")
        .to_owned();
    let projection = if node.is(PROJECTED) {
        method_name(node)
    } else {
        None
    };
    let unsupported = || CrsError::UnsupportedProjection {
        projection: projection.clone().unwrap_or_else(|| name.clone()),
    };
    let text = wkt.trim_start_matches('\u{feff}').trim();
    let proj4 = proj4wkt::wkt_to_projstring(text).map_err(|_| unsupported())?;
    // proj4wkt writes methods proj4rs may not implement: let proj4rs judge.
    proj4rs::Proj::from_proj_string(&proj4).map_err(|e| match e {
        proj4rs::errors::Error::ProjectionNotFound => unsupported(),
        other => CrsError::InvalidDefinition {
            crs: format!("{name} (from the .prj)"),
            reason: other.to_string(),
        },
    })?;
    let geographic = node.is(GEOGRAPHIC) || epsg::is_longlat(&proj4);
    Ok(Crs {
        epsg: None,
        name,
        proj4,
        geographic,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_reads_nested_nodes_strings_numbers_and_words() {
        let n = parse(r#"A["x ""q""",1.5e3,B[-2],EAST]"#).unwrap();
        assert_eq!(n.keyword, "A");
        assert_eq!(n.args[0], Value::Text("x \"q\"".into()));
        assert_eq!(n.args[1], Value::Number(1500.0));
        assert_eq!(n.args[3], Value::Word("EAST".into()));
        assert_eq!(n.child(&["b"]).unwrap().number(0), Some(-2.0));
    }

    #[test]
    fn parser_rejects_broken_text_with_a_position() {
        for bad in [
            "",
            "   ",
            "hello world",
            "PROJCS[\"x\"",
            "PROJCS[\"x\"]]",
            "[1,2]",
            "GEOGCS[\"a\",1 2]",
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains("not a WKT"), "{bad}: {err}");
        }
    }

    #[test]
    fn parser_refuses_absurd_nesting_without_overflowing_the_stack() {
        let deep = "A[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn names_in_esri_and_epsg_spelling_are_recognised() {
        let gk = |name: &str| match name_hint(name) {
            Some(NameHint::Gk(s)) => s.epsg(),
            Some(NameHint::Code(c)) => Some(c),
            None => None,
        };
        assert_eq!(gk("CGCS2000_3_Degree_GK_CM_111E"), Some(4546));
        assert_eq!(gk("CGCS2000 / 3-degree Gauss-Kruger CM 111E"), Some(4546));
        assert_eq!(gk("CGCS2000_3_Degree_GK_Zone_37"), Some(4525));
        assert_eq!(gk("CGCS2000_GK_Zone_19"), Some(4497));
        assert_eq!(gk("CGCS2000_GK_CM_111E"), Some(4508));
        assert_eq!(gk("Xian_1980_3_Degree_GK_CM_111E"), Some(2382));
        assert_eq!(gk("Beijing_1954_3_Degree_GK_Zone_37"), Some(2413));
        assert_eq!(gk("Beijing_1954_GK_Zone_19N"), Some(21459));
        assert_eq!(gk("Beijing 1954 / Gauss-Kruger zone 13"), Some(21413));
        assert_eq!(gk("GCS_China_Geodetic_Coordinate_System_2000"), Some(4490));
        assert_eq!(gk("WGS_1984_Web_Mercator_Auxiliary_Sphere"), Some(3857));
        assert_eq!(gk("CGCS2000_3_Degree_GK_Zone_99"), None);
        assert_eq!(gk("CGCS2000_3_Degree_GK_Zone_4294967295"), None);
        assert_eq!(gk("My_Local_Grid"), None);
    }

    const CGCS2000_GCS: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

    fn esri_gk(name: &str, fe: f64, cm: f64) -> String {
        format!(
            r#"PROJCS["{name}",{CGCS2000_GCS},PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",{fe:.1}],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{cm:.1}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#
        )
    }

    #[test]
    fn parameters_outrank_a_misleading_name() {
        // Named zone 37 but written with the CM 114 parameters: the numbers win.
        let wkt = esri_gk("CGCS2000_3_Degree_GK_CM_111E", 500_000.0, 114.0);
        assert_eq!(crs_from_prj(&wkt).unwrap().epsg, Some(4547));
    }

    #[test]
    fn a_six_degree_name_picks_the_six_degree_code_for_a_shared_meridian() {
        let wkt = esri_gk("CGCS2000_GK_CM_111E", 500_000.0, 111.0);
        assert_eq!(crs_from_prj(&wkt).unwrap().epsg, Some(4508));
        let unnamed = esri_gk("Local", 500_000.0, 111.0);
        assert_eq!(crs_from_prj(&unnamed).unwrap().epsg, Some(4546));
        let prefixed6 = esri_gk("Local", 19_500_000.0, 111.0);
        assert_eq!(crs_from_prj(&prefixed6).unwrap().epsg, Some(4497));
    }

    #[test]
    fn a_gauss_kruger_grid_with_an_odd_false_easting_keeps_its_proj_string() {
        let wkt = esri_gk("Shanxi_Local", 400_000.0, 112.0);
        let crs = crs_from_prj(&wkt).unwrap();
        assert_eq!(crs.epsg, None);
        assert_eq!(crs.name, "Shanxi_Local");
        assert!(
            crs.proj4.contains("+proj=tmerc") && crs.proj4.contains("+x_0=400000"),
            "{}",
            crs.proj4
        );
    }

    #[test]
    fn every_prj_qingling_writes_reads_back_as_its_code() {
        for code in [4326, 4490].into_iter().chain(4513..=4554) {
            let wkt = epsg::prj_wkt_for_epsg(code).unwrap();
            assert_eq!(crs_from_prj(&wkt).unwrap().epsg, Some(code), "{wkt}");
        }
    }

    #[test]
    fn a_compound_crs_is_read_by_its_horizontal_part() {
        let wkt = format!(
            r#"COMPD_CS["x",{CGCS2000_GCS},VERT_CS["h",VERT_DATUM["v",2005],UNIT["metre",1]]]"#
        );
        assert_eq!(crs_from_prj(&wkt).unwrap().epsg, Some(4490));
    }

    #[test]
    fn a_byte_order_mark_and_line_breaks_are_tolerated() {
        let wkt = format!(
            "\u{feff}{}\r\n",
            esri_gk("CGCS2000_3_Degree_GK_Zone_38", 38_500_000.0, 114.0)
        );
        assert_eq!(crs_from_prj(&wkt).unwrap().epsg, Some(4526));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = crs_from_prj(&text);
        }

        #[test]
        fn every_truncated_prj_is_an_error_not_a_panic(cut in 0usize..400) {
            let wkt = esri_gk("CGCS2000_3_Degree_GK_CM_111E", 500_000.0, 111.0);
            let end = cut.min(wkt.len() - 1);
            proptest::prop_assert!(crs_from_prj(&wkt[..end]).is_err());
        }
    }
}
