//! GeoJSON reader: a FeatureCollection, a single Feature or a bare Geometry.
//!
//! The file is parsed into an order-preserving JSON tree first and each feature is
//! converted on its own, so one malformed feature (wrong nesting, coordinates as
//! strings, a ring with too few positions) costs only its own geometry: it keeps its
//! `fid` with no geometry and a [`Problem`], and the rest of the file loads. A file
//! that is not JSON at all is an [`IoError::Corrupt`] naming the line and column.
//!
//! CRS: RFC 7946 GeoJSON is WGS84 longitude/latitude. Older files carry a `crs`
//! member (`urn:ogc:def:crs:EPSG::4546`, `EPSG:4546`): its EPSG code is returned
//! for the caller to resolve, and the layer's CRS is left unset with source
//! `Declared`. Chinese offices also write projected coordinates with no `crs` member
//! at all; when coordinates are outside longitude/latitude ranges the CRS is left to
//! the caller's detection.

use std::fmt;
use std::path::Path;

use geo_types::{Coord, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{IoError, ReadOptions, limits};
use crate::crs::Crs;
use crate::model::{
    CrsInfo, CrsSource, EncodingInfo, EncodingSource, Feature, Fid, FieldDef, FieldKind, Geometry,
    GeometryKind, Layer, Problem, SourceFormat, Value,
};

/// Read a GeoJSON file. Returns the layer and the EPSG code declared by a legacy
/// `crs` member, if any (the layer's `crs.crs` is then `None` with source
/// [`CrsSource::Declared`]: the caller resolves the code).
pub fn read_geojson(path: &Path, opts: &ReadOptions) -> Result<(Layer, Option<u32>), IoError> {
    let bytes = limits::read_file(path)?;
    read_geojson_bytes(path, &bytes, opts)
}

/// Same as [`read_geojson`] from in-memory bytes: `path_for_messages` names the
/// file in problems and becomes `layer.source`; its stem is the layer name.
pub fn read_geojson_bytes(
    path_for_messages: &Path,
    bytes: &[u8],
    opts: &ReadOptions,
) -> Result<(Layer, Option<u32>), IoError> {
    let path = path_for_messages;
    let mut problems = Vec::new();
    let (text, encoding) = decode(path, bytes, opts, &mut problems);
    let root: Json = serde_json::from_str(&text).map_err(|e| {
        // serde_json stops at 128 levels of nesting, so a hostile file cannot
        // overflow the stack; say so in words (GeoJSON nests at most 6 levels).
        let what = strip_position(&e);
        let what = if what.contains("recursion limit exceeded") {
            "the JSON is nested more than 128 levels deep (GeoJSON needs at most 6)".to_string()
        } else {
            what
        };
        IoError::corrupt(
            path,
            format!(
                "not valid JSON: {what} (line {}, column {}); fix the file or export it again",
                e.line(),
                e.column()
            ),
        )
        .with_zh(format!(
            "不是有效的 JSON：{what}（第 {} 行第 {} 列）；请改正文件或重新导出",
            e.line(),
            e.column()
        ))
    })?;
    drop(text);

    let features: Vec<&Json> = match root.type_name() {
        Some("FeatureCollection") => match root.get("features") {
            Some(Json::Array(items)) => items.iter().collect(),
            _ => {
                return Err(IoError::corrupt(
                    path,
                    "a FeatureCollection without a \"features\" array",
                )
                .with_zh("FeatureCollection 没有“features”数组"));
            }
        },
        Some("Feature") => vec![&root],
        Some(t) if GEOMETRY_TYPES.contains(&t) => vec![&root],
        Some(t) => {
            return Err(IoError::corrupt(
                path,
                format!("not GeoJSON: the top-level \"type\" is \"{t}\""),
            )
            .with_zh(format!("不是 GeoJSON：顶层的“type”是“{t}”")));
        }
        None => {
            return Err(IoError::corrupt(
                path,
                "not GeoJSON: the top level is not an object with a \"type\"",
            )
            .with_zh("不是 GeoJSON：顶层不是带“type”的对象"));
        }
    };

    if limits::MAX_RECORDS.exceeded_by(features.len() as u64) {
        return Err(IoError::corrupt(
            path,
            limits::MAX_RECORDS.message(format!("the file holds {} features", features.len())),
        ));
    }
    let mut reader = FeatureReader {
        path,
        geometry_only: opts.geometry_only,
        field_names: Vec::new(),
        field_index: std::collections::HashMap::new(),
        has_z: false,
        problems,
    };
    let mut rows = Vec::with_capacity(features.len());
    for (i, item) in features.into_iter().enumerate() {
        let fid = i as Fid;
        let row = if root.type_name() == Some("FeatureCollection") || item.is_feature() {
            reader.feature(fid, item)
        } else {
            // A bare geometry at the top level.
            let geometry = reader.geometry_or_problem(fid, item);
            (geometry, Vec::new())
        };
        rows.push(row);
    }

    let fields = reader.fields(&rows);
    let geometry_kind = layer_kind(rows.iter().filter_map(|(g, _)| g.as_ref()));
    let features: Vec<Feature> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (geometry, props))| Feature {
            fid: i as Fid,
            geometry,
            attrs: attrs(&fields, props),
        })
        .collect();

    let (crs, declared) = layer_crs(path, &root, &features, opts, &mut reader.problems);
    let layer = Layer {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        source: path.to_path_buf(),
        format: SourceFormat::GeoJson,
        geometry_kind,
        has_z: reader.has_z,
        crs,
        encoding,
        fields,
        features,
        problems: reader.problems,
        deferred: None,
    };
    Ok((layer, declared))
}

/// WGS84 longitude/latitude, the CRS of RFC 7946 GeoJSON.
fn wgs84() -> Crs {
    Crs {
        epsg: Some(4326),
        name: "WGS 84".into(),
        proj4: "+proj=longlat +datum=WGS84 +no_defs".into(),
        geographic: true,
    }
}

/// serde_json's message without its trailing " at line L column C" (said separately).
fn strip_position(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    }
}

/// GeoJSON must be UTF-8; a GBK file from an old exporter is decoded as GB18030
/// with a warning (or with the user's encoding).
fn decode(
    path: &Path,
    bytes: &[u8],
    opts: &ReadOptions,
    problems: &mut Vec<Problem>,
) -> (String, Option<EncodingInfo>) {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(enc) = opts.encoding {
        let (text, _, _) = enc.decode(bytes);
        let info = EncodingInfo {
            encoding: enc,
            source: EncodingSource::User,
        };
        return (text.into_owned(), Some(info));
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return (s.to_string(), None);
    }
    problems.push(
        Problem::warning(
            path,
            "the file is not UTF-8 as GeoJSON requires; it was read as GBK/GB18030",
        )
        .with_hint("export the file again as UTF-8")
        .with_zh(
            "文件不是 GeoJSON 要求的 UTF-8 编码，已按 GBK/GB18030 读取",
            Some("请把文件重新导出为 UTF-8 编码"),
        ),
    );
    let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    let info = EncodingInfo {
        encoding: encoding_rs::GB18030,
        source: EncodingSource::DetectedGb18030,
    };
    (text.into_owned(), Some(info))
}

// ---------------------------------------------------------------------------
// An order-preserving JSON tree (serde_json's own map sorts keys unless a crate-wide
// feature is switched on, and property order is the column order users see).

#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The last value of `key` in an object (as JSON parsers usually resolve duplicates).
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|e| &e.1),
            _ => None,
        }
    }

    fn type_name(&self) -> Option<&str> {
        match self.get("type") {
            Some(Json::Str(s)) => Some(s),
            _ => None,
        }
    }

    fn is_feature(&self) -> bool {
        self.type_name() == Some("Feature")
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Int(i) => Some(*i as f64),
            Json::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// A short description for messages: `"112.5" (text)`, `an object`, ...
    fn describe(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => format!("{b}"),
            Json::Int(i) => format!("{i}"),
            Json::Float(f) => format!("{f}"),
            Json::Str(s) => format!("the text \"{s}\""),
            Json::Array(_) => "an array".into(),
            Json::Object(_) => "an object".into(),
        }
    }

    /// [`Json::describe`] in Chinese, to follow “是”.
    fn describe_zh(&self) -> String {
        match self {
            Json::Null => "空值 null".into(),
            Json::Bool(b) => format!("{b}"),
            Json::Int(i) => format!("{i}"),
            Json::Float(f) => format!("{f}"),
            Json::Str(s) => format!("文本“{s}”"),
            Json::Array(_) => "数组".into(),
            Json::Object(_) => "对象".into(),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or(Json::Float(v as f64), Json::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry::<String, Json>()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Int(i) => s.serialize_i64(*i),
            Json::Float(f) => s.serialize_f64(*f),
            Json::Str(v) => s.serialize_str(v),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Features

const GEOMETRY_TYPES: [&str; 7] = [
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
];

/// A feature's geometry and its properties as (field index, value).
type Row<'a> = (Option<Geometry<f64>>, Vec<(usize, &'a Json)>);

struct FeatureReader<'p> {
    path: &'p Path,
    geometry_only: bool,
    field_names: Vec<String>,
    field_index: std::collections::HashMap<String, usize>,
    has_z: bool,
    problems: Vec<Problem>,
}

impl FeatureReader<'_> {
    fn problem(&mut self, fid: Fid, message: String, message_zh: String, error: bool) {
        let p = if error {
            Problem::error(self.path, message)
        } else {
            Problem::warning(self.path, message)
        };
        self.problems.push(
            p.at_record(fid)
                .with_hint("fix the feature in a GIS editor; it was kept without geometry")
                .with_zh(
                    message_zh,
                    Some("请在 GIS 软件中修正该要素；该要素已保留，但没有几何"),
                ),
        );
    }

    fn feature<'a>(&mut self, fid: Fid, item: &'a Json) -> Row<'a> {
        if !item.is_feature() {
            let (what, what_zh) = match item.type_name() {
                Some(t) => (format!("a \"{t}\""), format!("“{t}”")),
                None => (item.describe(), item.describe_zh()),
            };
            self.problem(
                fid,
                format!("feature {fid} is {what}, not a Feature object"),
                format!("要素 {fid} 是{what_zh}，不是 Feature 对象"),
                true,
            );
            return (None, Vec::new());
        }
        let geometry = match item.get("geometry") {
            None => {
                self.problem(
                    fid,
                    format!("feature {fid} has no \"geometry\" member"),
                    format!("要素 {fid} 没有“geometry”成员"),
                    false,
                );
                None
            }
            Some(Json::Null) => None,
            Some(g) => self.geometry_or_problem(fid, g),
        };
        let mut props = Vec::new();
        match item.get("properties") {
            None | Some(Json::Null) => {}
            Some(Json::Object(entries)) if !self.geometry_only => {
                for (key, value) in entries {
                    props.push((self.field(key), value));
                }
            }
            Some(Json::Object(_)) => {}
            Some(other) => self.problem(
                fid,
                format!(
                    "feature {fid} has properties that are {}, not an object; they were ignored",
                    other.describe()
                ),
                format!(
                    "要素 {fid} 的 properties 是{}，不是对象，已忽略",
                    other.describe_zh()
                ),
                false,
            ),
        }
        (geometry, props)
    }

    fn geometry_or_problem(&mut self, fid: Fid, g: &Json) -> Option<Geometry<f64>> {
        match geometry(g, &mut self.has_z) {
            Ok(g) => Some(g),
            Err(bad) => {
                self.problem(
                    fid,
                    format!("feature {fid}: {}", bad.en),
                    format!("要素 {fid}：{}", bad.zh),
                    true,
                );
                None
            }
        }
    }

    fn field(&mut self, key: &str) -> usize {
        if let Some(&i) = self.field_index.get(key) {
            return i;
        }
        let i = self.field_names.len();
        self.field_names.push(key.to_string());
        self.field_index.insert(key.to_string(), i);
        i
    }

    /// Field kinds from all values: one JSON type per field keeps it, integers with
    /// floats make Float, anything else mixed makes Text.
    fn fields(&self, rows: &[Row<'_>]) -> Vec<FieldDef> {
        let mut kinds: Vec<Option<FieldKind>> = vec![None; self.field_names.len()];
        for (_, props) in rows {
            for (i, v) in props {
                let k = match v {
                    Json::Null => continue,
                    Json::Bool(_) => FieldKind::Bool,
                    Json::Int(_) => FieldKind::Integer,
                    Json::Float(_) => FieldKind::Float,
                    _ => FieldKind::Text,
                };
                kinds[*i] = Some(match kinds[*i] {
                    None => k,
                    Some(cur) if cur == k => k,
                    Some(FieldKind::Integer | FieldKind::Float)
                        if matches!(k, FieldKind::Integer | FieldKind::Float) =>
                    {
                        FieldKind::Float
                    }
                    Some(_) => FieldKind::Text,
                });
            }
        }
        self.field_names
            .iter()
            .zip(kinds)
            .map(|(name, kind)| FieldDef {
                name: name.clone(),
                kind: kind.unwrap_or(FieldKind::Text),
            })
            .collect()
    }
}

/// One feature's attribute values in field order, converted to the field's kind.
fn attrs(fields: &[FieldDef], props: Vec<(usize, &Json)>) -> Vec<Value> {
    let mut out = vec![Value::Null; fields.len()];
    for (i, v) in props {
        out[i] = match (fields[i].kind, v) {
            (_, Json::Null) => Value::Null,
            (FieldKind::Bool, Json::Bool(b)) => Value::Bool(*b),
            (FieldKind::Integer, Json::Int(n)) => Value::Int(*n),
            (FieldKind::Float, j) if j.as_f64().is_some() => {
                Value::Float(j.as_f64().unwrap_or_default())
            }
            (_, Json::Str(s)) => Value::Text(s.clone()),
            (_, Json::Bool(b)) => Value::Text(b.to_string()),
            (_, Json::Int(n)) => Value::Text(n.to_string()),
            (_, Json::Float(f)) => Value::Text(f.to_string()),
            (_, j) => Value::Text(serde_json::to_string(j).unwrap_or_default()),
        };
    }
    out
}

/// The layer's geometry kind: the one kind all geometries share, `Mixed` otherwise,
/// `None` when there are no geometries.
fn layer_kind<'a>(geoms: impl Iterator<Item = &'a Geometry<f64>>) -> GeometryKind {
    let mut kind = None;
    for g in geoms {
        let k = GeometryKind::of(g);
        match kind {
            None => kind = Some(k),
            Some(cur) if cur == k => {}
            Some(_) => return GeometryKind::Mixed,
        }
    }
    kind.unwrap_or(GeometryKind::None)
}

// ---------------------------------------------------------------------------
// Geometry

/// Why a geometry cannot be read, in English and in Chinese.
#[derive(Debug, PartialEq)]
struct BadGeometry {
    en: String,
    zh: String,
}

impl BadGeometry {
    fn new(en: impl Into<String>, zh: impl Into<String>) -> BadGeometry {
        BadGeometry {
            en: en.into(),
            zh: zh.into(),
        }
    }
}

fn geometry(g: &Json, has_z: &mut bool) -> Result<Geometry<f64>, BadGeometry> {
    let Some(kind) = g.type_name() else {
        return Err(BadGeometry::new(
            format!(
                "the geometry is {}, not an object with a \"type\"",
                g.describe()
            ),
            format!("几何是{}，不是带“type”的对象", g.describe_zh()),
        ));
    };
    if kind == "GeometryCollection" {
        let Some(Json::Array(members)) = g.get("geometries") else {
            return Err(BadGeometry::new(
                "GeometryCollection has no \"geometries\" array",
                "GeometryCollection 没有“geometries”数组",
            ));
        };
        let parts = members
            .iter()
            .map(|m| geometry(m, has_z))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Geometry::GeometryCollection(parts.into()));
    }
    let Some(coords) = g.get("coordinates") else {
        return Err(BadGeometry::new(
            format!("{kind} has no \"coordinates\""),
            format!("{kind} 没有“coordinates”"),
        ));
    };
    let geom = match kind {
        "Point" => Geometry::Point(Point(position(coords, has_z)?)),
        "MultiPoint" => Geometry::MultiPoint(MultiPoint(
            array(coords, "MultiPoint", "MultiPoint ")?
                .iter()
                .map(|p| position(p, has_z).map(Point))
                .collect::<Result<_, _>>()?,
        )),
        "LineString" => Geometry::LineString(line(coords, has_z)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            array(coords, "MultiLineString", "MultiLineString ")?
                .iter()
                .map(|l| line(l, has_z))
                .collect::<Result<_, _>>()?,
        )),
        "Polygon" => Geometry::Polygon(polygon(coords, has_z)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            array(coords, "MultiPolygon", "MultiPolygon ")?
                .iter()
                .map(|p| polygon(p, has_z))
                .collect::<Result<_, _>>()?,
        )),
        other => {
            return Err(BadGeometry::new(
                format!("unknown geometry type \"{other}\""),
                format!("未知的几何类型“{other}”"),
            ));
        }
    };
    Ok(geom)
}

/// `what` names the coordinates in English, `what_zh` in Chinese (before “的坐标”).
fn array<'a>(j: &'a Json, what: &str, what_zh: &str) -> Result<&'a [Json], BadGeometry> {
    match j {
        Json::Array(items) => Ok(items),
        other => Err(BadGeometry::new(
            format!("{what} coordinates are {}, not an array", other.describe()),
            format!("{what_zh}的坐标是{}，不是数组", other.describe_zh()),
        )),
    }
}

fn position(j: &Json, has_z: &mut bool) -> Result<Coord<f64>, BadGeometry> {
    let items = array(j, "position", "坐标点")?;
    if items.len() < 2 {
        return Err(BadGeometry::new(
            format!(
                "a position has {} number(s); it needs at least 2",
                items.len()
            ),
            format!("一个坐标点只有 {} 个数，至少需要 2 个", items.len()),
        ));
    }
    let mut xy = [0.0; 2];
    for (slot, item) in xy.iter_mut().zip(items) {
        *slot = item.as_f64().ok_or_else(|| {
            BadGeometry::new(
                format!("a coordinate is {}, not a number", item.describe()),
                format!("坐标值是{}，不是数字", item.describe_zh()),
            )
        })?;
    }
    if items.len() > 2 {
        *has_z = true;
    }
    Ok(Coord { x: xy[0], y: xy[1] })
}

fn line(j: &Json, has_z: &mut bool) -> Result<LineString<f64>, BadGeometry> {
    let points = array(j, "LineString", "LineString ")?
        .iter()
        .map(|p| position(p, has_z))
        .collect::<Result<Vec<_>, _>>()?;
    if points.len() < 2 {
        return Err(BadGeometry::new(
            format!(
                "a LineString has {} position(s); it needs at least 2",
                points.len()
            ),
            format!("LineString 只有 {} 个坐标点，至少需要 2 个", points.len()),
        ));
    }
    Ok(LineString(points))
}

fn polygon(j: &Json, has_z: &mut bool) -> Result<Polygon<f64>, BadGeometry> {
    let rings = array(j, "Polygon", "Polygon ")?;
    let mut out = Vec::with_capacity(rings.len());
    for (k, ring) in rings.iter().enumerate() {
        let points = array(ring, "ring", "环")?
            .iter()
            .map(|p| position(p, has_z))
            .collect::<Result<Vec<_>, _>>()?;
        if points.len() < 4 {
            return Err(BadGeometry::new(
                format!(
                    "polygon ring {k} has {} position(s); a closed ring needs at least 4",
                    points.len()
                ),
                format!(
                    "面的第 {k} 个环只有 {} 个坐标点，闭合的环至少需要 4 个",
                    points.len()
                ),
            ));
        }
        out.push(LineString(points));
    }
    let mut rings = out.into_iter();
    let Some(exterior) = rings.next() else {
        return Err(BadGeometry::new("a Polygon has no rings", "Polygon 没有环"));
    };
    Ok(Polygon::new(exterior, rings.collect()))
}

// ---------------------------------------------------------------------------
// CRS

/// What a legacy `crs` member says.
#[derive(Debug, PartialEq)]
enum CrsMember {
    Epsg(u32),
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`: WGS84 longitude/latitude.
    Crs84,
    Unknown(String),
}

/// Read `{"type":"name","properties":{"name":...}}`, the 2008 form
/// `{"type":"EPSG","properties":{"code":4546}}`, or a bare string.
fn crs_member(j: &Json) -> CrsMember {
    let name = match j {
        Json::Str(s) => s.clone(),
        Json::Object(_) => {
            let props = j.get("properties");
            match (
                j.type_name(),
                props.and_then(|p| p.get("name")),
                props.and_then(|p| p.get("code")),
            ) {
                (_, Some(Json::Str(n)), _) => n.clone(),
                (Some(t), _, Some(code)) if t.eq_ignore_ascii_case("epsg") => match code {
                    Json::Int(c) => {
                        return u32::try_from(*c)
                            .map_or_else(|_| CrsMember::Unknown(c.to_string()), CrsMember::Epsg);
                    }
                    Json::Str(s) => format!("EPSG:{s}"),
                    other => return CrsMember::Unknown(other.describe()),
                },
                _ => return CrsMember::Unknown(serde_json::to_string(j).unwrap_or_default()),
            }
        }
        other => return CrsMember::Unknown(other.describe()),
    };
    epsg_from_name(&name)
}

/// `urn:ogc:def:crs:EPSG::4546`, `urn:ogc:def:crs:EPSG:6.3:4546`, `EPSG:4546`,
/// `http://www.opengis.net/def/crs/EPSG/0/4546`, CRS84 spellings.
fn epsg_from_name(name: &str) -> CrsMember {
    let upper = name.trim().to_ascii_uppercase();
    if upper.ends_with("CRS84") {
        return CrsMember::Crs84;
    }
    if upper.contains("EPSG") {
        let digits: String = upper
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Ok(code) = digits.parse::<u32>() {
            return CrsMember::Epsg(code);
        }
    }
    CrsMember::Unknown(name.to_string())
}

fn layer_crs(
    path: &Path,
    root: &Json,
    features: &[Feature],
    opts: &ReadOptions,
    problems: &mut Vec<Problem>,
) -> (CrsInfo, Option<u32>) {
    let member = match root.get("crs") {
        None | Some(Json::Null) => None,
        Some(j) => Some(crs_member(j)),
    };
    let declared = match member {
        Some(CrsMember::Epsg(code)) => Some(code),
        _ => None,
    };
    if let Some(c) = &opts.crs {
        let info = CrsInfo {
            crs: Some(c.clone()),
            source: CrsSource::User,
        };
        return (info, declared);
    }
    let info = match member {
        Some(CrsMember::Epsg(_)) => CrsInfo {
            crs: None,
            source: CrsSource::Declared,
        },
        Some(CrsMember::Crs84) => CrsInfo {
            crs: Some(wgs84()),
            source: CrsSource::Declared,
        },
        other => {
            if let Some(CrsMember::Unknown(what)) = other {
                problems.push(
                    Problem::warning(
                        path,
                        format!("the \"crs\" member ({what}) is not understood and was ignored"),
                    )
                    .with_hint("choose the coordinate system when loading")
                    .with_zh(
                        format!("“crs”成员（{what}）无法识别，已忽略"),
                        Some("请在读取时选择坐标系"),
                    ),
                );
            }
            if looks_lon_lat(features) {
                CrsInfo {
                    crs: Some(wgs84()),
                    source: CrsSource::FormatDefault,
                }
            } else {
                CrsInfo {
                    crs: None,
                    source: CrsSource::Detected(
                        "coordinates are not longitude/latitude although the file declares no CRS; CRS decided by caller".into(),
                    ),
                }
            }
        }
    };
    (info, declared)
}

/// All coordinates within ±180 / ±90 (true for a layer without geometries).
fn looks_lon_lat(features: &[Feature]) -> bool {
    use geo::BoundingRect;
    features
        .iter()
        .filter_map(|f| f.geometry.as_ref().and_then(|g| g.bounding_rect()))
        .all(|r| {
            r.min().x >= -180.0 && r.max().x <= 180.0 && r.min().y >= -90.0 && r.max().y <= 90.0
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Json {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn the_json_tree_keeps_key_order_and_number_kinds() {
        let j = parse(r#"{"b": 1, "a": 2.5, "c": [true, null, "x"], "big": 18446744073709551615}"#);
        let Json::Object(entries) = &j else {
            panic!("not an object")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c", "big"]);
        assert_eq!(j.get("b"), Some(&Json::Int(1)));
        assert_eq!(j.get("a"), Some(&Json::Float(2.5)));
        assert!(matches!(j.get("big"), Some(Json::Float(_))));
        assert_eq!(
            serde_json::to_string(j.get("c").unwrap()).unwrap(),
            r#"[true,null,"x"]"#
        );
    }

    #[test]
    fn crs_members_in_all_common_spellings_give_the_epsg_code() {
        for name in [
            "urn:ogc:def:crs:EPSG::4546",
            "urn:ogc:def:crs:EPSG:6.3:4546",
            "EPSG:4546",
            "epsg:4546",
            "http://www.opengis.net/def/crs/EPSG/0/4546",
        ] {
            assert_eq!(epsg_from_name(name), CrsMember::Epsg(4546), "{name}");
        }
        assert_eq!(
            epsg_from_name("urn:ogc:def:crs:OGC:1.3:CRS84"),
            CrsMember::Crs84
        );
        assert!(matches!(epsg_from_name("local"), CrsMember::Unknown(_)));
        let old = parse(r#"{"type":"EPSG","properties":{"code":4547}}"#);
        assert_eq!(crs_member(&old), CrsMember::Epsg(4547));
        let named = parse(r#"{"type":"name","properties":{"name":"EPSG:4490"}}"#);
        assert_eq!(crs_member(&named), CrsMember::Epsg(4490));
    }

    #[test]
    fn geometries_convert_and_bad_ones_say_why() {
        let mut z = false;
        let g = geometry(
            &parse(r#"{"type":"Point","coordinates":[112.5,37.8,900]}"#),
            &mut z,
        );
        assert_eq!(g, Ok(Geometry::Point(Point::new(112.5, 37.8))));
        assert!(z);
        let ring = "[[0,0],[1,0],[1,1],[0,0]]";
        let g = geometry(
            &parse(&format!(
                r#"{{"type":"MultiPolygon","coordinates":[[{ring}]]}}"#
            )),
            &mut z,
        )
        .unwrap();
        assert!(matches!(g, Geometry::MultiPolygon(ref m) if m.0.len() == 1));
        let err = geometry(
            &parse(r#"{"type":"Point","coordinates":["112.5","37.8"]}"#),
            &mut z,
        )
        .unwrap_err();
        assert!(err.en.contains("not a number"), "{err:?}");
        assert_eq!(err.zh, "坐标值是文本“112.5”，不是数字");
        let err = geometry(
            &parse(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#),
            &mut z,
        )
        .unwrap_err();
        assert!(err.en.contains("at least 4"), "{err:?}");
        let err = geometry(
            &parse(r#"{"type":"LineString","coordinates":[[0,0]]}"#),
            &mut z,
        )
        .unwrap_err();
        assert!(err.en.contains("at least 2"), "{err:?}");
        let err = geometry(
            &parse(r#"{"type":"Polygon","coordinates":[[0,0],[1,1]]}"#),
            &mut z,
        )
        .unwrap_err();
        assert!(err.en.contains("not an array"), "{err:?}");
        let err = geometry(&parse(r#"{"type":"Circle","coordinates":[0,0]}"#), &mut z).unwrap_err();
        assert!(err.en.contains("Circle"), "{err:?}");
    }

    #[test]
    fn the_layer_kind_is_shared_or_mixed() {
        let p = Geometry::Point(Point::new(0.0, 0.0));
        let mp = Geometry::MultiPoint(MultiPoint(vec![Point::new(0.0, 0.0)]));
        assert_eq!(layer_kind([&p, &p].into_iter()), GeometryKind::Point);
        assert_eq!(layer_kind([&p, &mp].into_iter()), GeometryKind::Mixed);
        assert_eq!(layer_kind(std::iter::empty()), GeometryKind::None);
    }
}
