//! GeoPackage export: a new GeoPackage with one `findings` point table in
//! EPSG:4326 holding [`Finding::COLUMNS`] (severity as code, status as Chinese
//! label), written with the same primitives as the project file.

use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};

use super::ExportError;
use crate::model::Finding;
use crate::project::gpkg;
use crate::project::store::{
    FINDINGS_SRS, FINDINGS_TABLE, finding_point, finding_sql_columns, finding_values,
};

/// Write `findings` as a GeoPackage at `tmp` (errors name `out`, the real target).
pub(super) fn write_findings_gpkg(
    findings: &[Finding],
    tmp: &Path,
    out: &Path,
) -> Result<(), ExportError> {
    let fail = |e: &dyn std::fmt::Display| ExportError::write(out, format!("GeoPackage: {e}"));
    let _ = std::fs::remove_file(tmp);
    let mut conn = Connection::open(tmp).map_err(|e| fail(&e))?;
    // The file is synced and renamed into place by the caller.
    conn.pragma_update(None, "synchronous", "OFF")
        .map_err(|e| fail(&e))?;
    gpkg::init_geopackage(&conn).map_err(|e| fail(&e))?;
    let tx = conn.transaction().map_err(|e| fail(&e))?;
    gpkg::create_feature_table(
        &tx,
        FINDINGS_TABLE,
        "POINT",
        FINDINGS_SRS,
        &finding_sql_columns(),
    )
    .map_err(|e| fail(&e))?;
    let mut sql = format!("INSERT INTO {FINDINGS_TABLE} ({}", gpkg::GEOMETRY_COLUMN);
    for c in Finding::COLUMNS {
        sql.push_str(", ");
        sql.push_str(c);
    }
    sql.push_str(") VALUES (?1");
    for i in 0..Finding::COLUMNS.len() {
        sql.push_str(&format!(", ?{}", i + 2));
    }
    sql.push(')');
    let mut extent = None;
    {
        let mut stmt = tx.prepare(&sql).map_err(|e| fail(&e))?;
        for f in findings {
            let geom = match finding_point(f) {
                Some(g) => {
                    extent = gpkg::extend_extent(extent, &g);
                    SqlValue::Blob(gpkg::encode_gpkg_geometry(&g, FINDINGS_SRS))
                }
                None => SqlValue::Null,
            };
            let mut values = vec![geom];
            values.extend(finding_values(f).map_err(|m| fail(&m))?);
            stmt.execute(params_from_iter(values))
                .map_err(|e| fail(&e))?;
        }
    }
    gpkg::update_contents_extent(&tx, FINDINGS_TABLE, extent).map_err(|e| fail(&e))?;
    gpkg::set_contents_identifier(
        &tx,
        FINDINGS_TABLE,
        "问题台账 findings",
        "qingling findings export",
    )
    .map_err(|e| fail(&e))?;
    tx.commit().map_err(|e| fail(&e))?;
    conn.close().map_err(|(_, e)| fail(&e))?;
    Ok(())
}
