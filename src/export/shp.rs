//! Findings as a shapefile set for ArcGIS and QGIS users: points in CGCS2000
//! geographic coordinates (EPSG:4490, ESRI `.prj`), GBK text with a `.cpg` and the
//! DBF language driver 0x4D. Field names are Chinese of at most three characters, so
//! they fit DBF's 10 bytes in GBK *and* in UTF-8 (tools that misread the encoding
//! still get whole names).

use std::path::Path;

use geo_types::{Geometry, Point};

use super::ExportError;
use crate::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use crate::model::{FieldDef, FieldKind, Finding, Value};

/// DBF field names, in [`Finding::COLUMNS`] order.
pub const SHP_FIELDS: [&str; 16] = [
    "编号",
    "规则",
    "性质",
    "点位层",
    "点位号",
    "点位名",
    "区域层",
    "区域号",
    "区域名",
    "级别",
    "距离米",
    "经度",
    "纬度",
    "县区",
    "状态",
    "备注",
];

const KINDS: [FieldKind; 16] = [
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Integer,
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Integer,
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Float,
    FieldKind::Float,
    FieldKind::Float,
    FieldKind::Text,
    FieldKind::Text,
    FieldKind::Text,
];

/// Writes the findings to `out` (`.shp`, with `.shx`, `.dbf`, `.cpg`, `.prj` beside it).
pub fn write_findings_shp(findings: &[Finding], out: &Path) -> Result<(), ExportError> {
    let fields: Vec<FieldDef> = SHP_FIELDS
        .iter()
        .zip(KINDS)
        .map(|(name, kind)| FieldDef {
            name: (*name).to_string(),
            kind,
        })
        .collect();
    let geoms: Vec<Option<Geometry<f64>>> = findings
        .iter()
        .map(|f| {
            (f.lon.is_finite() && f.lat.is_finite())
                .then(|| Geometry::Point(Point::new(f.lon, f.lat)))
        })
        .collect();
    let rows: Vec<Vec<Value>> = findings.iter().map(row).collect();
    let opts = ShapefileWriteOptions {
        encoding: encoding_rs::GBK,
        ldid: Some(0x4D),
        write_cpg: true,
        prj: crate::crs::prj_wkt_for_epsg(4490),
        shape_kind: Some(crate::model::GeometryKind::Point),
        with_z: false,
        text_width: 0,
    };
    write_shapefile(out, &geoms, &fields, &rows, &opts).map_err(|e| ExportError::Write {
        path: out.to_path_buf(),
        message: e.to_string(),
    })
}

fn text(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::Text(s.to_string())
    }
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_deref().map(text).unwrap_or(Value::Null)
}

fn num(v: f64) -> Value {
    if v.is_finite() {
        Value::Float(v)
    } else {
        Value::Null
    }
}

fn row(f: &Finding) -> Vec<Value> {
    vec![
        text(&f.finding_id),
        text(&f.rule_id),
        text(f.severity.label_zh()),
        text(&f.site_layer),
        Value::Int(f.site_fid as i64),
        text(&f.site_name),
        opt_text(&f.zone_layer),
        f.zone_fid
            .map(|z| Value::Int(z as i64))
            .unwrap_or(Value::Null),
        opt_text(&f.zone_name),
        opt_text(&f.zone_level),
        f.distance_m.map(num).unwrap_or(Value::Null),
        num((f.lon * 1e7).round() / 1e7),
        num((f.lat * 1e7).round() / 1e7),
        opt_text(&f.county),
        text(f.status.label_zh()),
        text(&f.note),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_fit_ten_bytes_in_gbk_and_utf8() {
        for name in SHP_FIELDS {
            assert!(name.len() <= 10, "{name} is {} bytes in UTF-8", name.len());
            let (gbk, _, bad) = encoding_rs::GBK.encode(name);
            assert!(!bad && gbk.len() <= 10, "{name}");
        }
    }
}
