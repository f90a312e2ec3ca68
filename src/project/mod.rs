//! The review project: one GeoPackage file holding the imported layers (feature
//! tables), the findings ledger (a point feature table with review columns), the
//! append-only review history and the project settings.
//!
//! QGIS opens the file as it is. The qingling-specific tables are `qingling_meta`
//! (schema version), `qingling_settings` (key → JSON), `qingling_layers` (what each
//! feature table was imported from), `qingling_layer_content` (each imported layer's
//! content fingerprint, made with the first import that records one),
//! `qingling_check_runs` and `review_history`.
//!
//! Durability: the file uses SQLite's rollback journal (`journal_mode=DELETE`) with
//! `synchronous=FULL`. A commit returns only after the database file has been synced
//! and the journal removed, so an action acknowledged to the user survives a SIGKILL
//! or power cut right after, and the project stays ONE file that can be copied or
//! mailed at any moment (WAL would leave recent commits in a `-wal` side file).
//! The cost, a few fsyncs per review action, is invisible at human speed.
//!
//! Feature tables carry the GeoPackage R-tree index; its triggers need the
//! `ST_*` functions that [`gpkg::register_spatial_functions`] installs on every
//! connection a `Project` opens (QGIS/GDAL bring their own).
//!
//! Split: [`gpkg`] GeoPackage primitives, `layers` imported layers, `fingerprint`
//! their content hashes (a re-run on unchanged files keeps the imported tables),
//! [`store`] the findings ledger and review actions.

mod fingerprint;
pub mod gpkg;
mod layers;
pub mod store;

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

pub use fingerprint::layer_fingerprint;
pub use layers::LayerEntry;
pub use store::{FindingRow, HistoryEntry, Presence, ReviewAction, RunSummary};

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 1;

/// What can go wrong with a project file. Every message names the file and says
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{path}: no such project file; check the path or create a new project")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read or write the file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: is not a qingling project (not an SQLite/GeoPackage file); open a .gpkg project made by qingling or create a new project"
    )]
    NotSqlite { path: PathBuf },
    #[error(
        "{path}: is an SQLite database but not a GeoPackage (application_id {application_id:#x}); open a .gpkg project made by qingling or create a new project"
    )]
    NotGeoPackage { path: PathBuf, application_id: i32 },
    #[error(
        "{path}: is a GeoPackage but not a qingling project (no qingling_meta table); create a new project and import its layers"
    )]
    NotProject { path: PathBuf },
    #[error(
        "{path}: project schema version {found} is newer than this qingling understands ({supported}); update qingling"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "{path}: already exists and is a qingling project; open it instead, or choose another file name"
    )]
    AlreadyAProject { path: PathBuf },
    #[error(
        "{path}: already exists and is not a qingling project; qingling will not overwrite it, choose another file name"
    )]
    WouldOverwrite { path: PathBuf },
    #[error("{path}: database error: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{path}: {context}: {source}")]
    Gpkg {
        path: PathBuf,
        context: String,
        #[source]
        source: gpkg::GpkgError,
    },
    #[error("{path}: setting \"{key}\" is not valid JSON ({message}); pass a JSON value")]
    BadSettingJson {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("{path}: no layer table \"{table}\" in this project; pick one from the layer list")]
    UnknownLayer { path: PathBuf, table: String },
    #[error(
        "{path}: no finding \"{finding_id}\" in the ledger; re-run the check or reload the ledger"
    )]
    UnknownFinding { path: PathBuf, finding_id: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: table {table}, row {row}: {message}; fix or remove the value (e.g. in QGIS)")]
    Corrupt {
        path: PathBuf,
        table: String,
        row: String,
        message: String,
    },
}

impl ProjectError {
    /// The error in Chinese, without the file name, for the app's status line and
    /// problems list. The detail of a lower-level error (the system's, SQLite's) is
    /// quoted as it is.
    pub fn zh(&self) -> String {
        use ProjectError as E;
        match self {
            E::NotFound { .. } => "找不到该项目文件；请检查路径，或新建项目".to_owned(),
            E::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "找不到该文件".to_owned(),
                std::io::ErrorKind::PermissionDenied => "没有读写该文件的权限".to_owned(),
                _ => format!("读写文件时出错（{source}）"),
            },
            E::NotSqlite { .. } => "不是清零项目（不是 SQLite/GeoPackage 文件）；\
                 请打开清零创建的 .gpkg 项目，或新建项目"
                .to_owned(),
            E::NotGeoPackage { application_id, .. } => format!(
                "是 SQLite 数据库但不是 GeoPackage（application_id {application_id:#x}）；\
                 请打开清零创建的 .gpkg 项目，或新建项目"
            ),
            E::NotProject { .. } => {
                "是 GeoPackage 但不是清零项目（没有 qingling_meta 表）；请新建项目并导入其中的图层"
                    .to_owned()
            }
            E::NewerSchema {
                found, supported, ..
            } => format!("项目结构版本 {found} 比本程序支持的版本（{supported}）新；请更新清零"),
            E::AlreadyAProject { .. } => {
                "该文件已存在且是清零项目；请直接打开它，或另选文件名".to_owned()
            }
            E::WouldOverwrite { .. } => {
                "该文件已存在且不是清零项目，清零不会覆盖它；请另选文件名".to_owned()
            }
            E::Sqlite { source, .. } => format!("数据库出错（{source}）"),
            E::Gpkg {
                context, source, ..
            } => format!("GeoPackage 出错（{context}：{source}）"),
            E::BadSettingJson { key, message, .. } => {
                format!("设置“{key}”不是有效的 JSON（{message}）；请填写 JSON 值")
            }
            E::UnknownLayer { table, .. } => {
                format!("项目中没有图层表“{table}”；请从图层列表中选择")
            }
            E::UnknownFinding { finding_id, .. } => {
                format!("台账中没有问题“{finding_id}”；请重新运行检查或重新载入台账")
            }
            E::Invalid { message, .. } => format!("项目内容无效：{message}"),
            E::Corrupt {
                table,
                row,
                message,
                ..
            } => format!("表 {table} 第 {row} 行：{message}；请修正或删除该值（例如在 QGIS 中）"),
        }
    }
}

/// Attach the project path to lower-level errors.
trait WithPath<T> {
    fn at(self, path: &Path) -> Result<T, ProjectError>;
}

impl<T> WithPath<T> for Result<T, rusqlite::Error> {
    fn at(self, path: &Path) -> Result<T, ProjectError> {
        self.map_err(|source| ProjectError::Sqlite {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Attach the project path and what was being done to a GeoPackage error.
fn gpkg_error(path: &Path, context: &str) -> impl FnOnce(gpkg::GpkgError) -> ProjectError + use<> {
    let path = path.to_path_buf();
    let context = context.to_string();
    move |source| match source {
        gpkg::GpkgError::Sqlite(source) => ProjectError::Sqlite { path, source },
        source => ProjectError::Gpkg {
            path,
            context,
            source,
        },
    }
}

/// An open review project. Writes take `&mut self`; each is one transaction.
pub struct Project {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project").field("path", &self.path).finish()
    }
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

fn looks_like_sqlite(path: &Path) -> Result<bool, ProjectError> {
    let mut file = std::fs::File::open(path).map_err(|source| ProjectError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut head = [0u8; 16];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(ProjectError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    Ok(filled == head.len() && &head == SQLITE_MAGIC)
}

/// The pragmas every connection to a project uses (see the module doc on durability).
/// Leaving WAL needs the file to ourselves: when another program (QGIS) has put the
/// file in WAL mode and still has it open, WAL stays, which with `synchronous=FULL`
/// is just as durable.
fn configure(conn: &Connection, path: &Path) -> Result<(), ProjectError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .at(path)?;
    let switched =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
    if switched.is_err() {
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .at(path)?;
        if !mode.eq_ignore_ascii_case("wal") {
            switched.at(path)?;
        }
    }
    conn.pragma_update(None, "synchronous", "FULL").at(path)?;
    conn.pragma_update(None, "foreign_keys", "ON").at(path)?;
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .at(path)?;
    // Statement journals (an insert that fires the spatial index's trigger keeps
    // one, to undo just that statement) in memory rather than in temporary files.
    conn.pragma_update(None, "temp_store", "MEMORY").at(path)?;
    Ok(())
}

/// SQLite's page cache per project connection, in KiB (filled only as pages are
/// used). SQLite's default of 2 MB thrashes when a province's layer is imported:
/// its spatial index (an R-tree of a million boxes, tens of MB of nodes) is built
/// node by node, and each node fetched again went back to the file. Importing
/// 1M sites: 8.3 s with 2 MB, 5.1 s with 64 MB (the same with 128 or 256 MB).
const CACHE_KIB: i64 = 64 * 1024;

/// The qingling tables, created once in a new project.
const SCHEMA_SQL: &str = "
CREATE TABLE qingling_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE qingling_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value_json TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE qingling_layers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    table_name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    source_path TEXT NOT NULL,
    format TEXT NOT NULL,
    geometry_kind TEXT NOT NULL,
    has_z INTEGER NOT NULL,
    encoding TEXT,
    encoding_source TEXT,
    crs_epsg INTEGER,
    crs_name TEXT,
    crs_proj4 TEXT,
    crs_geographic INTEGER,
    crs_source TEXT NOT NULL,
    srs_id INTEGER NOT NULL,
    fields_json TEXT NOT NULL,
    problems_json TEXT NOT NULL,
    field_mapping_json TEXT NOT NULL,
    feature_count INTEGER NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE qingling_check_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    findings INTEGER NOT NULL,
    new INTEGER NOT NULL,
    existing INTEGER NOT NULL,
    resolved_by_data INTEGER NOT NULL
);
CREATE TABLE review_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    finding_id TEXT NOT NULL,
    at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    old_status TEXT NOT NULL,
    new_status TEXT NOT NULL,
    old_note TEXT NOT NULL,
    new_note TEXT NOT NULL
);
CREATE INDEX review_history_finding ON review_history (finding_id, id);
CREATE TRIGGER review_history_no_update BEFORE UPDATE ON review_history
BEGIN SELECT RAISE(ABORT, 'review_history is append-only'); END;
CREATE TRIGGER review_history_no_delete BEFORE DELETE ON review_history
BEGIN SELECT RAISE(ABORT, 'review_history is append-only'); END;
";

impl Project {
    /// Create a new, empty project at `path`. Refuses an existing non-empty file
    /// (project or not): a project holds review decisions, so nothing is overwritten.
    /// The file is built under a temporary name and renamed into place, so a crash
    /// never leaves a half-initialised project under the real name.
    pub fn create(path: &Path) -> Result<Project, ProjectError> {
        if let Ok(meta) = std::fs::metadata(path)
            && (meta.is_dir() || meta.len() > 0)
        {
            return Err(match Project::open(path) {
                Ok(_) => ProjectError::AlreadyAProject {
                    path: path.to_path_buf(),
                },
                Err(_) => ProjectError::WouldOverwrite {
                    path: path.to_path_buf(),
                },
            });
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ProjectError::Invalid {
                path: path.to_path_buf(),
                message: "not a file path; give a file name ending in .gpkg".into(),
            })?;
        let tmp = path.with_file_name(format!(".{file_name}.creating-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let built = Project::initialise(&tmp);
        if let Err(e) = built {
            let _ = std::fs::remove_file(&tmp);
            return Err(match e {
                // Report the user's path, not the temporary one.
                ProjectError::Sqlite { source, .. } => ProjectError::Sqlite {
                    path: path.to_path_buf(),
                    source,
                },
                other => other,
            });
        }
        std::fs::rename(&tmp, path).map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            ProjectError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Project::open(path)
    }

    fn initialise(tmp: &Path) -> Result<(), ProjectError> {
        let mut conn = Connection::open(tmp).at(tmp)?;
        configure(&conn, tmp)?;
        let gp = |context: &str, source| ProjectError::Gpkg {
            path: tmp.to_path_buf(),
            context: context.to_string(),
            source,
        };
        gpkg::register_spatial_functions(&conn)
            .map_err(|e| gp("registering spatial SQL functions", e))?;
        let tx = conn.transaction().at(tmp)?;
        gpkg::init_geopackage(&tx).map_err(|e| gp("creating GeoPackage tables", e))?;
        tx.execute_batch(SCHEMA_SQL).at(tmp)?;
        let now = gpkg::now_rfc3339();
        for (k, v) in [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("application", "qingling".to_string()),
            ("created_at", now),
        ] {
            tx.execute(
                "INSERT INTO qingling_meta (key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .at(tmp)?;
        }
        store::create_findings_table(&tx).map_err(|e| gp("creating the findings table", e))?;
        gpkg::register_attributes_table(
            &tx,
            "review_history",
            "审核记录 review history",
            "append-only log of every review action",
        )
        .map_err(|e| gp("registering review_history", e))?;
        gpkg::register_attributes_table(
            &tx,
            "qingling_check_runs",
            "检查记录 check runs",
            "one row per check run applied to the ledger",
        )
        .map_err(|e| gp("registering qingling_check_runs", e))?;
        tx.commit().at(tmp)?;
        conn.close().map_err(|(_, e)| e).at(tmp)?;
        Ok(())
    }

    /// Open an existing project. Gives a clear error for a missing file, a file that
    /// is not SQLite, an SQLite file that is not a GeoPackage, a GeoPackage that is
    /// not a qingling project, and a project from a newer qingling.
    pub fn open(path: &Path) -> Result<Project, ProjectError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProjectError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(ProjectError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
            Ok(m) if m.is_dir() => {
                return Err(ProjectError::NotSqlite {
                    path: path.to_path_buf(),
                });
            }
            Ok(_) => {}
        }
        if !looks_like_sqlite(path)? {
            return Err(ProjectError::NotSqlite {
                path: path.to_path_buf(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .at(path)?;
        // A project file may come from anyone: views and triggers stored in it may
        // call only innocuous SQL functions, and no SQL can damage the file format.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)
            .at(path)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)
            .at(path)?;
        // Wait for another program's write to finish instead of failing at once.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .at(path)?;
        let application_id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .at(path)?;
        if application_id != gpkg::APPLICATION_ID {
            return Err(ProjectError::NotGeoPackage {
                path: path.to_path_buf(),
                application_id,
            });
        }
        if !gpkg::has_table(&conn, "qingling_meta").at(path)? {
            return Err(ProjectError::NotProject {
                path: path.to_path_buf(),
            });
        }
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM qingling_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .at(path)?;
        let found = version
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| ProjectError::Corrupt {
                path: path.to_path_buf(),
                table: "qingling_meta".into(),
                row: "schema_version".into(),
                message: "missing or not a number".into(),
            })?;
        if found > SCHEMA_VERSION {
            return Err(ProjectError::NewerSchema {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        configure(&conn, path)?;
        gpkg::register_spatial_functions(&conn)
            .map_err(gpkg_error(path, "registering spatial SQL functions"))?;
        Ok(Project {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The project file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<i64, ProjectError> {
        let v: String = self
            .conn
            .query_row(
                "SELECT value FROM qingling_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .at(&self.path)?;
        v.trim().parse().map_err(|_| ProjectError::Corrupt {
            path: self.path.clone(),
            table: "qingling_meta".into(),
            row: "schema_version".into(),
            message: format!("\"{v}\" is not a number"),
        })
    }

    /// Store a setting (roles, field mappings, rules TOML text as a JSON string,
    /// deadline, name...). `value_json` must be valid JSON; it is stored as given.
    pub fn set_setting(&self, key: &str, value_json: &str) -> Result<(), ProjectError> {
        if let Err(e) = serde_json::from_str::<serde_json::Value>(value_json) {
            return Err(ProjectError::BadSettingJson {
                path: self.path.clone(),
                key: key.to_string(),
                message: e.to_string(),
            });
        }
        self.conn
            .execute(
                "INSERT INTO qingling_settings (key, value_json, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json,
                                                updated_at = excluded.updated_at",
                params![key, value_json, gpkg::now_rfc3339()],
            )
            .at(&self.path)?;
        Ok(())
    }

    /// A setting's JSON text, `None` if it was never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, ProjectError> {
        self.conn
            .query_row(
                "SELECT value_json FROM qingling_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .at(&self.path)
    }

    /// All settings as `(key, JSON text)`, sorted by key.
    pub fn settings(&self) -> Result<Vec<(String, String)>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value_json FROM qingling_settings ORDER BY key")
            .at(&self.path)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .at(&self.path)?;
        rows.collect::<Result<Vec<_>, _>>().at(&self.path)
    }

    fn corrupt(
        &self,
        table: &str,
        row: impl Into<String>,
        message: impl Into<String>,
    ) -> ProjectError {
        ProjectError::Corrupt {
            path: self.path.clone(),
            table: table.to_string(),
            row: row.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_reject_invalid_json() {
        let dir = tempfile::tempdir().unwrap();
        let p = Project::create(&dir.path().join("p.gpkg")).unwrap();
        assert_eq!(p.setting("name").unwrap(), None);
        p.set_setting("name", "\"太原市 2019\"").unwrap();
        p.set_setting("name", "\"太原市 2020\"").unwrap();
        p.set_setting("deadline", "\"2020-10-31\"").unwrap();
        assert_eq!(
            p.setting("name").unwrap().as_deref(),
            Some("\"太原市 2020\"")
        );
        assert!(matches!(
            p.set_setting("roles", "{not json"),
            Err(ProjectError::BadSettingJson { .. })
        ));
        let keys: Vec<String> = p.settings().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["deadline", "name"]);
    }

    #[test]
    fn create_refuses_to_overwrite_any_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.gpkg");
        std::fs::write(&text, "important").unwrap();
        assert!(matches!(
            Project::create(&text),
            Err(ProjectError::WouldOverwrite { .. })
        ));
        assert_eq!(std::fs::read_to_string(&text).unwrap(), "important");
        let proj = dir.path().join("p.gpkg");
        Project::create(&proj).unwrap();
        assert!(matches!(
            Project::create(&proj),
            Err(ProjectError::AlreadyAProject { .. })
        ));
    }

    #[test]
    fn a_project_from_a_newer_qingling_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.gpkg");
        let p = Project::create(&path).unwrap();
        p.conn
            .execute(
                "UPDATE qingling_meta SET value = '99' WHERE key = 'schema_version'",
                [],
            )
            .unwrap();
        drop(p);
        let err = Project::open(&path).unwrap_err();
        assert!(matches!(err, ProjectError::NewerSchema { found: 99, .. }));
        assert!(err.to_string().contains("update qingling"));
    }
}
