//! CSV export: UTF-8 with a byte-order mark (so Excel opens Chinese text
//! correctly), header = [`Finding::COLUMNS`], severity as its code, status as its
//! Chinese label, `distance_m` to 0.01 m and lon/lat to 7 decimals without needless
//! digits, empty cells for missing values, formula-like text neutralised.

use std::path::Path;

use super::{ExportError, format_decimal, neutralise_cell};
use crate::model::Finding;

/// The cells of one finding as CSV text, in [`Finding::COLUMNS`] order.
pub(super) fn csv_cells(f: &Finding) -> [String; 16] {
    let text = |s: &str| neutralise_cell(s).into_owned();
    let opt = |s: &Option<String>| s.as_deref().map(text).unwrap_or_default();
    [
        text(&f.finding_id),
        text(&f.rule_id),
        f.severity.code().to_string(),
        text(&f.site_layer),
        f.site_fid.to_string(),
        text(&f.site_name),
        opt(&f.zone_layer),
        f.zone_fid.map(|z| z.to_string()).unwrap_or_default(),
        opt(&f.zone_name),
        opt(&f.zone_level),
        f.distance_m
            .map(|d| format_decimal(d, 2))
            .unwrap_or_default(),
        format_decimal(f.lon, 7),
        format_decimal(f.lat, 7),
        opt(&f.county),
        f.status.label_zh().to_string(),
        text(&f.note),
    ]
}

/// The whole CSV file as bytes (BOM, header, one row per finding, CRLF endings).
pub(super) fn findings_csv(findings: &[Finding], out: &Path) -> Result<Vec<u8>, ExportError> {
    let mut buf = Vec::with_capacity(64 + findings.len() * 160);
    buf.extend_from_slice(b"\xEF\xBB\xBF");
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(buf);
    let fail = |e: ::csv::Error| ExportError::write(out, format!("CSV: {e}"));
    w.write_record(Finding::COLUMNS).map_err(fail)?;
    for f in findings {
        w.write_record(csv_cells(f)).map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| ExportError::write(out, format!("CSV: {}", e.error())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ReviewStatus, Severity};

    fn sample() -> Finding {
        Finding {
            finding_id: "f1".into(),
            rule_id: "coal_ban".into(),
            severity: Severity::TaskPending,
            site_layer: "锅炉".into(),
            site_fid: 7,
            site_name: "=cmd|' /C calc'!A0".into(),
            zone_layer: None,
            zone_fid: None,
            zone_name: None,
            zone_level: None,
            distance_m: Some(-1234.5678),
            lon: 112.5,
            lat: 37.87654321,
            county: Some("小店区".into()),
            status: ReviewStatus::Rectifying,
            note: "-".into(),
        }
    }

    #[test]
    fn cells_escape_text_but_not_numbers() {
        let c = csv_cells(&sample());
        assert_eq!(c[2], "task_pending");
        assert_eq!(c[5], "'=cmd|' /C calc'!A0");
        assert_eq!(c[6], "");
        assert_eq!(c[7], "");
        assert_eq!(c[10], "-1234.57");
        assert_eq!(c[11], "112.5");
        assert_eq!(c[12], "37.8765432");
        assert_eq!(c[14], "整改中");
        assert_eq!(c[15], "'-");
    }

    #[test]
    fn the_file_starts_with_a_bom_and_the_stable_header() {
        let bytes = findings_csv(&[sample()], Path::new("x.csv")).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBFfinding_id,rule_id,severity,"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("\r\n"));
    }
}
