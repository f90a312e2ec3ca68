//! GeoJSON export (RFC 7946): a FeatureCollection of Point features at the
//! finding's lon/lat, properties = [`Finding::COLUMNS`] in order (numbers as
//! numbers, `null` for missing values, severity as code, status as Chinese label).
//! No `crs` member: RFC 7946 coordinates are WGS84 lon/lat. One feature per line.

use serde_json::Value as Json;

use crate::model::Finding;

fn text(s: &str) -> Json {
    Json::String(s.to_string())
}

fn opt_text(s: &Option<String>) -> Json {
    s.as_deref().map_or(Json::Null, text)
}

fn number(v: f64) -> Json {
    serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
}

/// The property values of one finding, in [`Finding::COLUMNS`] order.
fn properties(f: &Finding) -> [Json; 16] {
    [
        text(&f.finding_id),
        text(&f.rule_id),
        text(f.severity.code()),
        text(&f.site_layer),
        Json::from(f.site_fid),
        text(&f.site_name),
        opt_text(&f.zone_layer),
        f.zone_fid.map_or(Json::Null, Json::from),
        opt_text(&f.zone_name),
        opt_text(&f.zone_level),
        f.distance_m.map_or(Json::Null, number),
        number(f.lon),
        number(f.lat),
        opt_text(&f.county),
        text(f.status.label_zh()),
        text(&f.note),
    ]
}

/// The whole GeoJSON document as bytes.
pub(super) fn findings_geojson(findings: &[Finding]) -> Vec<u8> {
    let mut out = String::with_capacity(64 + findings.len() * 400);
    out.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, f) in findings.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str("{\"type\":\"Feature\",\"geometry\":");
        if f.lon.is_finite() && f.lat.is_finite() {
            out.push_str("{\"type\":\"Point\",\"coordinates\":[");
            out.push_str(&number(f.lon).to_string());
            out.push(',');
            out.push_str(&number(f.lat).to_string());
            out.push_str("]}");
        } else {
            out.push_str("null");
        }
        out.push_str(",\"properties\":{");
        for (j, (name, value)) in Finding::COLUMNS.iter().zip(properties(f)).enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(&Json::String((*name).to_string()).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push_str("}}");
    }
    out.push_str("\n]}\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReviewStatus, Severity};

    #[test]
    fn the_document_is_valid_json_with_ordered_properties() {
        let f = Finding {
            finding_id: "f\"1".into(),
            rule_id: "r".into(),
            severity: Severity::NeedsReview,
            site_layer: "企业".into(),
            site_fid: 3,
            site_name: "=x".into(),
            zone_layer: Some("禁煤区".into()),
            zone_fid: Some(9),
            zone_name: None,
            zone_level: None,
            distance_m: None,
            lon: f64::NAN,
            lat: 37.0,
            county: None,
            status: ReviewStatus::FalsePositive,
            note: "行1\n行2".into(),
        };
        let bytes = findings_geojson(&[f]);
        let v: Json = serde_json::from_slice(&bytes).unwrap();
        let feat = &v["features"][0];
        assert!(feat["geometry"].is_null());
        assert_eq!(feat["properties"]["site_name"], "=x");
        assert_eq!(feat["properties"]["zone_fid"], 9);
        assert!(feat["properties"]["lon"].is_null());
        assert_eq!(feat["properties"]["status"], "误报");
        assert!(v.get("crs").is_none());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.find("\"finding_id\"").unwrap() < text.find("\"note\"").unwrap());
    }

    #[test]
    fn an_empty_ledger_is_an_empty_collection() {
        let v: Json = serde_json::from_slice(&findings_geojson(&[])).unwrap();
        assert_eq!(v["features"].as_array().unwrap().len(), 0);
    }
}
