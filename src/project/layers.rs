//! Imported layers inside a project: each [`Layer`] becomes a GeoPackage feature
//! table in its own CRS plus one row of `qingling_layers` recording where it came
//! from, its role, its field mapping and everything needed to load it back
//! unchanged (field kinds and original names, encoding, CRS and how each was found,
//! read problems).

use std::collections::HashSet;
use std::path::PathBuf;

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, TransactionBehavior, params, params_from_iter};
use serde::{Deserialize, Serialize};

use super::gpkg::{self, SqlType};
use super::{Project, ProjectError, WithPath, gpkg_error};
use crate::crs::Crs;
use crate::model::{
    CrsInfo, CrsSource, EncodingInfo, EncodingSource, Feature, FieldDef, FieldKind, GeometryKind,
    Layer, Problem, SourceFormat, Value,
};

/// One imported layer as listed by [`Project::layers`].
#[derive(Clone, Debug, PartialEq)]
pub struct LayerEntry {
    /// Display name (the file stem when imported), also the QGIS layer name.
    pub name: String,
    /// The feature table holding it (`layer_<n>_<ascii>`).
    pub table_name: String,
    /// The layer's role in the check (e.g. `water_zones`, `boilers`).
    pub role: String,
    pub source_path: PathBuf,
    /// Source format label (e.g. `ESRI Shapefile`).
    pub format: String,
    pub feature_count: u64,
    pub crs_epsg: Option<u32>,
    pub crs_name: Option<String>,
    /// Encoding name (e.g. `GBK`), `None` for formats without the question.
    pub encoding: Option<String>,
    /// The field mapping JSON given at import or by [`Project::set_layer_role`].
    pub field_mapping_json: String,
    /// RFC 3339 UTC.
    pub added_at: String,
}

/// How one attribute field is stored: its original name and kind, and the column.
#[derive(Serialize, Deserialize)]
struct StoredField {
    name: String,
    kind: FieldKind,
    column: String,
}

fn sql_type(kind: FieldKind) -> SqlType {
    match kind {
        FieldKind::Text => SqlType::Text,
        FieldKind::Integer => SqlType::Integer,
        FieldKind::Float => SqlType::Real,
        FieldKind::Bool => SqlType::Boolean,
        FieldKind::Date => SqlType::Date,
    }
}

/// ASCII part of a layer name for the table name: `[a-z0-9_]`, at most 30 chars.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
        if s.len() >= 30 {
            break;
        }
    }
    s.trim_end_matches('_').to_string()
}

/// Unique column names (case-insensitive, as SQLite compares them), never `fid`/`geom`.
fn column_names(fields: &[FieldDef]) -> Vec<String> {
    let mut used: HashSet<String> = [gpkg::FID_COLUMN, gpkg::GEOMETRY_COLUMN]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        let base: String = f.name.trim().chars().filter(|c| !c.is_control()).collect();
        let base = if base.is_empty() {
            format!("field_{}", i + 1)
        } else {
            base
        };
        let mut candidate = base.clone();
        let mut n = 2;
        while used.contains(&candidate.to_lowercase()) {
            candidate = format!("{base}_{n}");
            n += 1;
        }
        used.insert(candidate.to_lowercase());
        out.push(candidate);
    }
    out
}

/// The declared geometry type: the common type of all geometries, else `GEOMETRY`.
fn declared_geometry_type(layer: &Layer) -> &'static str {
    let mut types = layer
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .map(gpkg::geometry_type_name);
    match types.next() {
        None => match layer.geometry_kind {
            GeometryKind::Point => "POINT",
            GeometryKind::MultiPoint => "MULTIPOINT",
            GeometryKind::Line => "LINESTRING",
            GeometryKind::Polygon => "POLYGON",
            GeometryKind::None | GeometryKind::Mixed => "GEOMETRY",
        },
        Some(first) => {
            if types.all(|t| t == first) {
                first
            } else {
                "GEOMETRY"
            }
        }
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Text(s) | Value::Date(s) => SqlValue::Text(s.clone()),
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Float(f) if f.is_nan() => SqlValue::Null,
        Value::Float(f) => SqlValue::Real(*f),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
    }
}

fn from_sql(v: SqlValue, kind: FieldKind) -> Value {
    match (v, kind) {
        (SqlValue::Null, _) => Value::Null,
        (SqlValue::Integer(i), FieldKind::Bool) => Value::Bool(i != 0),
        (SqlValue::Integer(i), FieldKind::Float) => Value::Float(i as f64),
        (SqlValue::Integer(i), FieldKind::Text | FieldKind::Date) => Value::Text(i.to_string()),
        (SqlValue::Integer(i), FieldKind::Integer) => Value::Int(i),
        (SqlValue::Real(f), _) => Value::Float(f),
        (SqlValue::Text(s), FieldKind::Date) => Value::Date(s),
        (SqlValue::Text(s), _) => Value::Text(s),
        (SqlValue::Blob(b), _) => Value::Text(String::from_utf8_lossy(&b).into_owned()),
    }
}

fn enum_code<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn geometry_kind_code(k: GeometryKind) -> String {
    enum_code(&k)
}

/// The table of imported layers' content fingerprints, made by the first import
/// that records one (projects made before it have none).
const LAYER_CONTENT_SQL: &str = "CREATE TABLE IF NOT EXISTS qingling_layer_content (
    table_name TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL
);";

impl Project {
    /// Import a layer: a new feature table holding its geometries in the layer's own
    /// CRS (srs_id = the EPSG code, or a custom id for CRSs without one, or -1 when
    /// the CRS is unknown) and its attributes, plus its registry row and its content
    /// fingerprint ([`layer_fingerprint`](super::layer_fingerprint)). One transaction.
    /// Returns the table name.
    pub fn save_layer(
        &mut self,
        layer: &Layer,
        role: &str,
        mapping_json: &str,
    ) -> Result<String, ProjectError> {
        let fingerprint = super::layer_fingerprint(layer);
        self.save_layer_with_fingerprint(layer, role, mapping_json, fingerprint)
    }

    /// [`Project::save_layer`] with the layer's fingerprint already made (hashing a
    /// province's layer twice costs a noticeable fraction of a second).
    pub(crate) fn save_layer_with_fingerprint(
        &mut self,
        layer: &Layer,
        role: &str,
        mapping_json: &str,
        fingerprint: Option<String>,
    ) -> Result<String, ProjectError> {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(mapping_json) {
            return Err(ProjectError::BadSettingJson {
                path: self.path.clone(),
                key: format!("field mapping of layer {}", layer.name),
                message: e.to_string(),
            });
        }
        for f in &layer.features {
            if f.attrs.len() != layer.fields.len() {
                return Err(ProjectError::Invalid {
                    path: self.path.clone(),
                    message: format!(
                        "layer {} record {}: {} values for {} fields; re-read the file",
                        layer.name,
                        f.fid,
                        f.attrs.len(),
                        layer.fields.len()
                    ),
                });
            }
        }
        let path = self.path.clone();
        let srs_err = gpkg_error(
            &path,
            &format!("registering the CRS of layer {}", layer.name),
        );
        let table_err = gpkg_error(
            &path,
            &format!("creating the table of layer {}", layer.name),
        );
        let meta_err = gpkg_error(&path, &format!("describing layer {}", layer.name));
        let index_err = gpkg_error(&path, &format!("indexing layer {}", layer.name));
        let name_err = gpkg_error(&path, &format!("naming the table of layer {}", layer.name));
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;

        let n: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM qingling_layers",
                [],
                |r| r.get(0),
            )
            .at(&path)?;
        let slug = slug(&layer.name);
        let mut counter = n;
        let table = loop {
            let t = if slug.is_empty() {
                format!("layer_{counter}")
            } else {
                format!("layer_{counter}_{slug}")
            };
            let taken = tx
                .query_row(
                    "SELECT 1 FROM sqlite_master WHERE lower(name) = lower(?1)",
                    [&t],
                    |_| Ok(()),
                )
                .optional()
                .at(&path)?
                .is_some();
            if !taken {
                break t;
            }
            counter += 1;
        };

        let srs_id = match &layer.crs.crs {
            Some(crs) => match crs.epsg.and_then(|e| i32::try_from(e).ok()) {
                Some(e) => gpkg::ensure_epsg_srs(&tx, e, &crs.name),
                None => gpkg::ensure_custom_srs(&tx, &crs.name, &crs.proj4),
            }
            .map_err(srs_err)?,
            None => -1,
        };

        let columns = column_names(&layer.fields);
        let col_defs: Vec<(String, SqlType)> = columns
            .iter()
            .zip(&layer.fields)
            .map(|(c, f)| (c.clone(), sql_type(f.kind)))
            .collect();
        gpkg::create_feature_table(
            &tx,
            &table,
            declared_geometry_type(layer),
            srs_id,
            &col_defs,
        )
        .map_err(table_err)?;

        let mut sql = format!(
            "INSERT INTO {} ({}, {}",
            gpkg::quote_ident(&table),
            gpkg::FID_COLUMN,
            gpkg::GEOMETRY_COLUMN
        );
        for c in &columns {
            sql.push_str(", ");
            sql.push_str(&gpkg::quote_ident(c));
        }
        sql.push_str(") VALUES (?1, ?2");
        for i in 0..columns.len() {
            sql.push_str(&format!(", ?{}", i + 3));
        }
        sql.push(')');
        let mut extent = None;
        {
            let mut stmt = tx.prepare(&sql).at(&path)?;
            for f in &layer.features {
                let fid = i64::try_from(f.fid).map_err(|_| ProjectError::Invalid {
                    path: path.clone(),
                    message: format!("layer {}: record number {} is too large", layer.name, f.fid),
                })?;
                let geom = match &f.geometry {
                    Some(g) => {
                        extent = gpkg::extend_extent(extent, g);
                        SqlValue::Blob(gpkg::encode_gpkg_geometry(g, srs_id))
                    }
                    None => SqlValue::Null,
                };
                let mut values = Vec::with_capacity(2 + f.attrs.len());
                values.push(SqlValue::Integer(fid));
                values.push(geom);
                values.extend(f.attrs.iter().map(to_sql));
                stmt.execute(params_from_iter(values)).at(&path)?;
            }
        }
        gpkg::create_spatial_index(&tx, &table).map_err(index_err)?;
        gpkg::update_contents_extent(&tx, &table, extent).map_err(meta_err)?;
        let desc = format!("{role}: {}", layer.source.display());
        gpkg::set_contents_identifier(&tx, &table, &layer.name, &desc).map_err(name_err)?;

        let stored: Vec<StoredField> = layer
            .fields
            .iter()
            .zip(&columns)
            .map(|(f, c)| StoredField {
                name: f.name.clone(),
                kind: f.kind,
                column: c.clone(),
            })
            .collect();
        let json = |what: &str, r: serde_json::Result<String>| {
            r.map_err(|e| ProjectError::Invalid {
                path: path.clone(),
                message: format!("layer {}: cannot store {what}: {e}", layer.name),
            })
        };
        let fields_json = json("fields", serde_json::to_string(&stored))?;
        let problems_json = json("problems", serde_json::to_string(&layer.problems))?;
        let crs_source = json("CRS source", serde_json::to_string(&layer.crs.source))?;
        let encoding_source = match &layer.encoding {
            Some(e) => Some(json("encoding", serde_json::to_string(&e.source))?),
            None => None,
        };
        let crs = layer.crs.crs.as_ref();
        tx.execute(
            "INSERT INTO qingling_layers (name, table_name, role, source_path, format,
                geometry_kind, has_z, encoding, encoding_source, crs_epsg, crs_name, crs_proj4,
                crs_geographic, crs_source, srs_id, fields_json, problems_json,
                field_mapping_json, feature_count, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                ?17, ?18, ?19, ?20)",
            params![
                layer.name,
                table,
                role,
                layer.source.to_string_lossy(),
                enum_code(&layer.format),
                geometry_kind_code(layer.geometry_kind),
                layer.has_z,
                layer.encoding.as_ref().map(|e| e.name()),
                encoding_source,
                crs.and_then(|c| c.epsg),
                crs.map(|c| c.name.clone()),
                crs.map(|c| c.proj4.clone()),
                crs.map(|c| c.geographic),
                crs_source,
                srs_id,
                fields_json,
                problems_json,
                mapping_json,
                layer.features.len() as i64,
                gpkg::now_rfc3339(),
            ],
        )
        .at(&path)?;
        if let Some(fingerprint) = fingerprint {
            tx.execute_batch(LAYER_CONTENT_SQL).at(&path)?;
            tx.execute(
                "INSERT OR REPLACE INTO qingling_layer_content (table_name, fingerprint)
                 VALUES (?1, ?2)",
                params![table, fingerprint],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)?;
        Ok(table)
    }

    /// The imported layers named `name` with role `role` whose content fingerprint
    /// ([`layer_fingerprint`](super::layer_fingerprint)) is `fingerprint`, in import
    /// order: the file has not changed since they were imported. Layers imported
    /// before fingerprints were recorded match none.
    pub fn layers_with_content(
        &self,
        name: &str,
        role: &str,
        fingerprint: &str,
    ) -> Result<Vec<String>, ProjectError> {
        if !gpkg::has_table(&self.conn, "qingling_layer_content").at(&self.path)? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT l.table_name FROM qingling_layers l
                 JOIN qingling_layer_content c ON c.table_name = l.table_name
                 WHERE l.name = ?1 AND l.role = ?2 AND c.fingerprint = ?3 ORDER BY l.id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map(params![name, role, fingerprint], |r| r.get(0))
            .at(&self.path)?;
        rows.collect::<Result<Vec<String>, _>>().at(&self.path)
    }

    /// Load an imported layer back: geometries, attributes (original field names and
    /// kinds), CRS, encoding and read problems as they were saved. A geometry that
    /// no longer decodes (e.g. edited by another program) becomes `None` with a
    /// [`Problem`] on the layer.
    pub fn load_layer(&self, table: &str) -> Result<Layer, ProjectError> {
        self.read_layer(table, true)
    }

    /// [`Project::load_layer`] without the attributes (no fields, empty records):
    /// what a map needs first, read much sooner for a layer of millions of records.
    /// The same features in the same order as the full load.
    pub fn load_layer_geometry(&self, table: &str) -> Result<Layer, ProjectError> {
        self.read_layer(table, false)
    }

    fn read_layer(&self, table: &str, attributes: bool) -> Result<Layer, ProjectError> {
        let path = &self.path;
        let row = self
            .conn
            .query_row(
                "SELECT name, source_path, format, geometry_kind, has_z, encoding,
                        encoding_source, crs_epsg, crs_name, crs_proj4, crs_geographic,
                        crs_source, fields_json, problems_json
                 FROM qingling_layers WHERE table_name = ?1",
                [table],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, Option<u32>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<bool>>(10)?,
                        (
                            r.get::<_, String>(11)?,
                            r.get::<_, String>(12)?,
                            r.get::<_, String>(13)?,
                        ),
                    ))
                },
            )
            .optional()
            .at(path)?;
        let Some((
            name,
            source_path,
            format,
            kind,
            has_z,
            encoding,
            encoding_source,
            epsg,
            crs_name,
            proj4,
            geographic,
            (crs_source, fields_json, problems_json),
        )) = row
        else {
            return Err(ProjectError::UnknownLayer {
                path: path.clone(),
                table: table.to_string(),
            });
        };
        if !gpkg::is_safe_table_name(table) {
            return Err(self.corrupt("qingling_layers", table, "unsafe table name"));
        }
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            self.corrupt("qingling_layers", table, format!("{what}: {e}"))
        };
        let format: SourceFormat = serde_json::from_value(serde_json::Value::String(format))
            .map_err(|e| bad("format", &e))?;
        let geometry_kind: GeometryKind = serde_json::from_value(serde_json::Value::String(kind))
            .map_err(|e| bad("geometry_kind", &e))?;
        let mut stored: Vec<StoredField> =
            serde_json::from_str(&fields_json).map_err(|e| bad("fields_json", &e))?;
        if !attributes {
            stored.clear();
        }
        let mut problems: Vec<Problem> =
            serde_json::from_str(&problems_json).map_err(|e| bad("problems_json", &e))?;
        let crs_source: CrsSource =
            serde_json::from_str(&crs_source).map_err(|e| bad("crs_source", &e))?;
        let encoding = match (encoding, encoding_source) {
            (Some(label), Some(src)) => {
                let enc = encoding_rs::Encoding::for_label(label.as_bytes())
                    .ok_or_else(|| bad("encoding", &format!("unknown encoding {label}")))?;
                let source: EncodingSource =
                    serde_json::from_str(&src).map_err(|e| bad("encoding_source", &e))?;
                Some(EncodingInfo {
                    encoding: enc,
                    source,
                })
            }
            _ => None,
        };
        let crs = match (crs_name, proj4) {
            (Some(name), Some(proj4)) => Some(Crs {
                epsg,
                name,
                proj4,
                geographic: geographic.unwrap_or(false),
            }),
            _ => None,
        };

        let mut sql = format!("SELECT {}, {}", gpkg::FID_COLUMN, gpkg::GEOMETRY_COLUMN);
        for f in &stored {
            sql.push_str(", ");
            sql.push_str(&gpkg::quote_ident(&f.column));
        }
        sql.push_str(&format!(
            " FROM {} ORDER BY {}",
            gpkg::quote_ident(table),
            gpkg::FID_COLUMN
        ));
        let mut stmt = self.conn.prepare(&sql).at(path)?;
        let mut rows = stmt.query([]).at(path)?;
        let source = PathBuf::from(source_path);
        let mut features = Vec::new();
        while let Some(r) = rows.next().at(path)? {
            let fid: i64 = r.get(0).at(path)?;
            let fid = u64::try_from(fid)
                .map_err(|_| self.corrupt(table, fid.to_string(), "negative fid"))?;
            let geometry = match r.get::<_, SqlValue>(1).at(path)? {
                SqlValue::Null => None,
                SqlValue::Blob(b) => match gpkg::decode_gpkg_geometry(&b) {
                    Ok(g) => Some(g),
                    Err(gpkg::GpkgError::EmptyPoint) => None,
                    Err(e) => {
                        problems.push(
                            Problem::error(
                                &source,
                                format!("geometry in project table {table}: {e}"),
                            )
                            .at_record(fid)
                            .with_hint("re-import the layer from its source file")
                            .with_zh(
                                format!("项目表 {table} 中的几何无法读取：{e}"),
                                Some("请从源文件重新导入该图层"),
                            ),
                        );
                        None
                    }
                },
                _ => {
                    problems.push(
                        Problem::error(
                            &source,
                            format!("geometry in project table {table} is not a blob"),
                        )
                        .at_record(fid)
                        .with_hint("re-import the layer from its source file")
                        .with_zh(
                            format!("项目表 {table} 中的几何不是二进制（blob）数据"),
                            Some("请从源文件重新导入该图层"),
                        ),
                    );
                    None
                }
            };
            let mut attrs = Vec::with_capacity(stored.len());
            for (i, f) in stored.iter().enumerate() {
                attrs.push(from_sql(r.get::<_, SqlValue>(i + 2).at(path)?, f.kind));
            }
            features.push(Feature {
                fid,
                geometry,
                attrs,
            });
        }
        Ok(Layer {
            name,
            source,
            format,
            geometry_kind,
            has_z,
            crs: CrsInfo {
                crs,
                source: crs_source,
            },
            encoding,
            fields: stored
                .into_iter()
                .map(|f| FieldDef {
                    name: f.name,
                    kind: f.kind,
                })
                .collect(),
            features,
            problems,
            deferred: None,
        })
    }

    /// The imported layers in import order.
    pub fn layers(&self) -> Result<Vec<LayerEntry>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, table_name, role, source_path, format, feature_count, crs_epsg,
                        crs_name, encoding, field_mapping_json, added_at
                 FROM qingling_layers ORDER BY id",
            )
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| {
                let format: String = r.get(4)?;
                let label = serde_json::from_value::<SourceFormat>(serde_json::Value::String(
                    format.clone(),
                ))
                .map(|f| f.label().to_string())
                .unwrap_or(format);
                Ok(LayerEntry {
                    name: r.get(0)?,
                    table_name: r.get(1)?,
                    role: r.get(2)?,
                    source_path: PathBuf::from(r.get::<_, String>(3)?),
                    format: label,
                    feature_count: r.get::<_, i64>(5)?.max(0) as u64,
                    crs_epsg: r.get(6)?,
                    crs_name: r.get(7)?,
                    encoding: r.get(8)?,
                    field_mapping_json: r.get(9)?,
                    added_at: r.get(10)?,
                })
            })
            .at(&self.path)?;
        rows.collect::<Result<Vec<_>, _>>().at(&self.path)
    }

    /// Change an imported layer's role and field mapping.
    pub fn set_layer_role(
        &mut self,
        table: &str,
        role: &str,
        mapping_json: &str,
    ) -> Result<(), ProjectError> {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(mapping_json) {
            return Err(ProjectError::BadSettingJson {
                path: self.path.clone(),
                key: format!("field mapping of table {table}"),
                message: e.to_string(),
            });
        }
        let n = self
            .conn
            .execute(
                "UPDATE qingling_layers SET role = ?1, field_mapping_json = ?2 WHERE table_name = ?3",
                params![role, mapping_json, table],
            )
            .at(&self.path)?;
        if n == 0 {
            return Err(ProjectError::UnknownLayer {
                path: self.path.clone(),
                table: table.to_string(),
            });
        }
        Ok(())
    }

    /// Remove an imported layer (its table and registry rows). One transaction.
    pub fn remove_layer(&mut self, table: &str) -> Result<(), ProjectError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let n = tx
            .execute("DELETE FROM qingling_layers WHERE table_name = ?1", [table])
            .at(&path)?;
        if gpkg::has_table(&tx, "qingling_layer_content").at(&path)? {
            tx.execute(
                "DELETE FROM qingling_layer_content WHERE table_name = ?1",
                [table],
            )
            .at(&path)?;
        }
        if n == 0 || !gpkg::is_safe_table_name(table) {
            return Err(ProjectError::UnknownLayer {
                path,
                table: table.to_string(),
            });
        }
        gpkg::drop_spatial_index(&tx, table)
            .map_err(gpkg_error(&path, &format!("removing the index of {table}")))?;
        tx.execute(
            "DELETE FROM gpkg_geometry_columns WHERE table_name = ?1",
            [table],
        )
        .at(&path)?;
        tx.execute("DELETE FROM gpkg_contents WHERE table_name = ?1", [table])
            .at(&path)?;
        tx.execute_batch(&format!("DROP TABLE {}", gpkg::quote_ident(table)))
            .at(&path)?;
        tx.commit().at(&path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_slugs_keep_only_ascii_letters_digits_and_underscores() {
        assert_eq!(slug("水源地保护区"), "");
        assert_eq!(slug("Boilers 2019-太原"), "boilers_2019");
        assert_eq!(slug("a\"; DROP TABLE x;--"), "a_drop_table_x");
    }

    #[test]
    fn column_names_are_unique_and_avoid_fid_and_geom() {
        let f = |n: &str| FieldDef {
            name: n.into(),
            kind: FieldKind::Text,
        };
        let cols = column_names(&[f("名称"), f("FID"), f("名称"), f(""), f("geom")]);
        assert_eq!(cols, ["名称", "FID_2", "名称_2", "field_4", "geom_2"]);
    }
}
