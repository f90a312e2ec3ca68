//! XLSX export: sheet "问题台账" with [`Finding::COLUMNS_ZH`] headers (bold, frozen,
//! with an autofilter and widths fitted to the text, CJK counted double), numbers as
//! numbers, severity and status as Chinese labels; sheet "汇总" with the counts per
//! county × rule, per status and per severity, with totals.
//!
//! Text is written with `write_string`, which never creates a formula; formula-like
//! text still gets the `'` prefix (see the module doc of `export`), because users
//! re-save these sheets as CSV, where the prefix is what keeps them inert.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::summary::summary_counts;
use super::{ExportError, neutralise_cell};
use crate::model::Finding;

/// Excel's row limit, header included.
const MAX_ROWS: usize = 1_048_576;

enum Cell<'a> {
    Text(String),
    Number(f64, Option<&'a Format>),
    Empty,
}

/// Display width of text in Excel character units (CJK and full-width count two).
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 })
        .sum()
}

struct Sheet {
    ws: Worksheet,
    widths: Vec<usize>,
}

impl Sheet {
    fn new(name: &str, columns: usize) -> Result<Sheet, XlsxError> {
        let mut ws = Worksheet::new();
        ws.set_name(name)?;
        Ok(Sheet {
            ws,
            widths: vec![0; columns],
        })
    }

    fn grow(&mut self, col: usize, width: usize) {
        if col >= self.widths.len() {
            self.widths.resize(col + 1, 0);
        }
        self.widths[col] = self.widths[col].max(width);
    }

    fn text(
        &mut self,
        row: u32,
        col: usize,
        s: &str,
        format: Option<&Format>,
    ) -> Result<(), XlsxError> {
        let s = neutralise_cell(s);
        self.grow(col, display_width(&s));
        let c = col as u16;
        match format {
            Some(f) => self.ws.write_string_with_format(row, c, s.as_ref(), f)?,
            None => self.ws.write_string(row, c, s.as_ref())?,
        };
        Ok(())
    }

    fn number(
        &mut self,
        row: u32,
        col: usize,
        v: f64,
        format: Option<&Format>,
    ) -> Result<(), XlsxError> {
        if !v.is_finite() {
            return Ok(());
        }
        self.grow(col, 10);
        let c = col as u16;
        match format {
            Some(f) => self.ws.write_number_with_format(row, c, v, f)?,
            None => self.ws.write_number(row, c, v)?,
        };
        Ok(())
    }

    fn finish(mut self) -> Result<Worksheet, XlsxError> {
        for (c, w) in self.widths.iter().enumerate() {
            let width = (*w + 2).clamp(8, 60);
            self.ws.set_column_width(c as u16, width as f64)?;
        }
        Ok(self.ws)
    }
}

fn ledger_cells<'a>(f: &Finding, dist: &'a Format, deg: &'a Format) -> [Cell<'a>; 16] {
    let text = |s: &str| Cell::Text(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(Cell::Empty, text);
    [
        text(&f.finding_id),
        text(&f.rule_id),
        text(f.severity.label_zh()),
        text(&f.site_layer),
        Cell::Number(f.site_fid as f64, None),
        text(&f.site_name),
        opt(&f.zone_layer),
        f.zone_fid
            .map_or(Cell::Empty, |z| Cell::Number(z as f64, None)),
        opt(&f.zone_name),
        opt(&f.zone_level),
        f.distance_m
            .map_or(Cell::Empty, |d| Cell::Number(d, Some(dist))),
        Cell::Number(f.lon, Some(deg)),
        Cell::Number(f.lat, Some(deg)),
        opt(&f.county),
        text(f.status.label_zh()),
        text(&f.note),
    ]
}

fn ledger_sheet(findings: &[Finding]) -> Result<Worksheet, XlsxError> {
    let bold = Format::new().set_bold();
    let dist = Format::new().set_num_format("0.00");
    let deg = Format::new().set_num_format("0.0000000");
    let mut sheet = Sheet::new("问题台账", Finding::COLUMNS_ZH.len())?;
    for (c, h) in Finding::COLUMNS_ZH.iter().enumerate() {
        sheet.text(0, c, h, Some(&bold))?;
    }
    for (i, f) in findings.iter().enumerate() {
        let row = (i + 1) as u32;
        for (c, cell) in ledger_cells(f, &dist, &deg).into_iter().enumerate() {
            match cell {
                Cell::Text(s) => sheet.text(row, c, &s, None)?,
                Cell::Number(v, format) => sheet.number(row, c, v, format)?,
                Cell::Empty => {}
            }
        }
    }
    sheet.ws.set_freeze_panes(1, 0)?;
    sheet.ws.autofilter(
        0,
        0,
        findings.len() as u32,
        (Finding::COLUMNS_ZH.len() - 1) as u16,
    )?;
    sheet.finish()
}

fn summary_sheet(findings: &[Finding]) -> Result<Worksheet, XlsxError> {
    let bold = Format::new().set_bold();
    let s = summary_counts(findings);
    let mut sheet = Sheet::new("汇总", s.rules.len() + 2)?;
    let total_col = s.rules.len() + 1;

    sheet.text(0, 0, "县区", Some(&bold))?;
    for (j, r) in s.rules.iter().enumerate() {
        sheet.text(0, j + 1, r, Some(&bold))?;
    }
    sheet.text(0, total_col, "合计", Some(&bold))?;
    let mut row = 1u32;
    for (i, county) in s.counties.iter().enumerate() {
        sheet.text(row, 0, county.as_deref().unwrap_or("（未填县区）"), None)?;
        for (j, n) in s.cells[i].iter().enumerate() {
            sheet.number(row, j + 1, *n as f64, None)?;
        }
        sheet.number(row, total_col, s.county_total(i) as f64, Some(&bold))?;
        row += 1;
    }
    sheet.text(row, 0, "合计", Some(&bold))?;
    for j in 0..s.rules.len() {
        sheet.number(row, j + 1, s.rule_total(j) as f64, Some(&bold))?;
    }
    sheet.number(row, total_col, s.total as f64, Some(&bold))?;

    row += 2;
    sheet.text(row, 0, "状态", Some(&bold))?;
    sheet.text(row, 1, "问题数", Some(&bold))?;
    for (status, n) in &s.by_status {
        row += 1;
        sheet.text(row, 0, status.label_zh(), None)?;
        sheet.number(row, 1, *n as f64, None)?;
    }
    row += 1;
    sheet.text(row, 0, "合计", Some(&bold))?;
    sheet.number(row, 1, s.total as f64, Some(&bold))?;

    row += 2;
    sheet.text(row, 0, "问题性质", Some(&bold))?;
    sheet.text(row, 1, "问题数", Some(&bold))?;
    for (severity, n) in &s.by_severity {
        row += 1;
        sheet.text(row, 0, severity.label_zh(), None)?;
        sheet.number(row, 1, *n as f64, None)?;
    }
    row += 1;
    sheet.text(row, 0, "合计", Some(&bold))?;
    sheet.number(row, 1, s.total as f64, Some(&bold))?;
    sheet.ws.set_freeze_panes(1, 1)?;
    sheet.finish()
}

/// The whole workbook as bytes.
pub(super) fn findings_xlsx(findings: &[Finding], out: &Path) -> Result<Vec<u8>, ExportError> {
    if findings.len() >= MAX_ROWS {
        return Err(ExportError::write(
            out,
            format!(
                "{} findings do not fit in one Excel sheet ({} rows); export to .csv or .gpkg instead",
                findings.len(),
                MAX_ROWS - 1
            ),
        ));
    }
    let fail = |e: XlsxError| ExportError::write(out, format!("XLSX: {e}"));
    let mut wb = Workbook::new();
    wb.push_worksheet(ledger_sheet(findings).map_err(fail)?);
    wb.push_worksheet(summary_sheet(findings).map_err(fail)?);
    wb.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_text_counts_double_width() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("问题编号"), 8);
        assert_eq!(display_width("距边界(米)"), 10);
    }
}
