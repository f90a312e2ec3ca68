//! The findings ledger of a project and the review actions on it.
//!
//! `findings` is a GeoPackage point table (EPSG:4326 lon/lat; CGCS2000 degrees are
//! the same to well under a metre) with DESIGN.md's sixteen columns plus `reviewer`,
//! `updated_at`, `first_seen_run`, `last_seen_run` and `presence`. A check run
//! merges into it by `finding_id` ([`Project::apply_check_run`]): review decisions
//! survive re-runs, and findings that disappear from the data are marked, never
//! deleted. Every review action is one IMMEDIATE transaction that updates the finding
//! and appends to `review_history`, which triggers keep append-only.

use std::collections::HashSet;

use geo_types::{Geometry, Point};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params, params_from_iter};

use super::gpkg::{self, SqlType};
use super::{Project, ProjectError, WithPath};
use crate::model::{Finding, ReviewStatus, Severity};

/// The findings table's name.
pub const FINDINGS_TABLE: &str = "findings";
/// The SRS of finding points.
pub const FINDINGS_SRS: i32 = 4326;

/// SQL types of [`Finding::COLUMNS`], in the same order.
pub const FINDING_COLUMN_TYPES: [SqlType; 16] = [
    SqlType::Text,    // finding_id
    SqlType::Text,    // rule_id
    SqlType::Text,    // severity (code)
    SqlType::Text,    // site_layer
    SqlType::Integer, // site_fid
    SqlType::Text,    // site_name
    SqlType::Text,    // zone_layer
    SqlType::Integer, // zone_fid
    SqlType::Text,    // zone_name
    SqlType::Text,    // zone_level
    SqlType::Real,    // distance_m
    SqlType::Real,    // lon
    SqlType::Real,    // lat
    SqlType::Text,    // county
    SqlType::Text,    // status (Chinese label)
    SqlType::Text,    // note
];

/// The review columns the project adds after the sixteen finding columns.
const REVIEW_COLUMNS: [(&str, SqlType); 5] = [
    ("reviewer", SqlType::Text),
    ("updated_at", SqlType::DateTime),
    ("first_seen_run", SqlType::Integer),
    ("last_seen_run", SqlType::Integer),
    ("presence", SqlType::Text),
];

/// Whether a finding was produced by the latest check run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Presence {
    /// First produced by the latest run.
    New,
    /// Produced by an earlier run and again by the latest.
    Existing,
    /// Not produced by the latest run: the data no longer shows the problem. Kept
    /// with its review status until a reviewer clears it.
    ResolvedByData,
}

impl Presence {
    /// The value stored in the `presence` column.
    pub fn code(self) -> &'static str {
        match self {
            Presence::New => "new",
            Presence::Existing => "existing",
            Presence::ResolvedByData => "resolved_by_data",
        }
    }
    /// The presence stored as `s`, `None` for anything else.
    pub fn from_code(s: &str) -> Option<Presence> {
        match s {
            "new" => Some(Presence::New),
            "existing" => Some(Presence::Existing),
            "resolved_by_data" => Some(Presence::ResolvedByData),
            _ => None,
        }
    }
}

/// What one check run changed in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: i64,
    /// Findings seen for the first time.
    pub new: usize,
    /// Findings seen before and again now (their review state kept).
    pub existing: usize,
    /// Ledger rows this run did not produce (all of them, including ones already
    /// resolved by an earlier run), so `new + existing + resolved_by_data` is the
    /// ledger size.
    pub resolved_by_data: usize,
}

/// One ledger row: the finding with its current review state.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingRow {
    /// `status` and `note` are the reviewer's, the rest from the latest run that
    /// produced it.
    pub finding: Finding,
    pub reviewer: Option<String>,
    /// RFC 3339 UTC time of the last change to status/note (creation time before).
    pub updated_at: Option<String>,
    pub presence: Presence,
    pub first_seen_run: Option<i64>,
    pub last_seen_run: Option<i64>,
}

/// A reviewer's action on one finding. `None` leaves the status or note unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewAction {
    pub finding_id: String,
    pub status: Option<ReviewStatus>,
    pub note: Option<String>,
    pub reviewer: String,
}

/// One row of the append-only review history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryEntry {
    pub id: i64,
    pub finding_id: String,
    /// RFC 3339 UTC.
    pub at: String,
    pub reviewer: String,
    pub old_status: ReviewStatus,
    pub new_status: ReviewStatus,
    pub old_note: String,
    pub new_note: String,
}

/// `(name, type)` of the sixteen finding columns, for writing a findings table.
pub fn finding_sql_columns() -> Vec<(String, SqlType)> {
    Finding::COLUMNS
        .iter()
        .zip(FINDING_COLUMN_TYPES)
        .map(|(n, t)| (n.to_string(), t))
        .collect()
}

/// The point of a finding, `None` if its coordinates are not finite.
pub fn finding_point(f: &Finding) -> Option<Geometry<f64>> {
    (f.lon.is_finite() && f.lat.is_finite()).then(|| Geometry::Point(Point::new(f.lon, f.lat)))
}

fn finite(v: f64) -> SqlValue {
    if v.is_finite() {
        SqlValue::Real(v)
    } else {
        SqlValue::Null
    }
}

fn opt_text(s: &Option<String>) -> SqlValue {
    s.clone().map_or(SqlValue::Null, SqlValue::Text)
}

/// The sixteen column values of a finding (severity as code, status as Chinese
/// label). Fails only for record numbers beyond `i64`.
pub fn finding_values(f: &Finding) -> Result<Vec<SqlValue>, String> {
    let fid = |v: u64, what: &str| {
        i64::try_from(v).map_err(|_| format!("finding {}: {what} {v} is too large", f.finding_id))
    };
    Ok(vec![
        SqlValue::Text(f.finding_id.clone()),
        SqlValue::Text(f.rule_id.clone()),
        SqlValue::Text(f.severity.code().into()),
        SqlValue::Text(f.site_layer.clone()),
        SqlValue::Integer(fid(f.site_fid, "site_fid")?),
        SqlValue::Text(f.site_name.clone()),
        opt_text(&f.zone_layer),
        match f.zone_fid {
            Some(z) => SqlValue::Integer(fid(z, "zone_fid")?),
            None => SqlValue::Null,
        },
        opt_text(&f.zone_name),
        opt_text(&f.zone_level),
        f.distance_m.map_or(SqlValue::Null, finite),
        finite(f.lon),
        finite(f.lat),
        opt_text(&f.county),
        SqlValue::Text(f.status.label_zh().into()),
        SqlValue::Text(f.note.clone()),
    ])
}

/// Create the project's `findings` table (inside project creation).
pub(crate) fn create_findings_table(tx: &rusqlite::Transaction) -> Result<(), gpkg::GpkgError> {
    let mut cols = finding_sql_columns();
    cols.extend(REVIEW_COLUMNS.iter().map(|(n, t)| (n.to_string(), *t)));
    gpkg::create_feature_table(tx, FINDINGS_TABLE, "POINT", FINDINGS_SRS, &cols)?;
    tx.execute_batch("CREATE UNIQUE INDEX findings_finding_id ON findings (finding_id)")?;
    gpkg::create_spatial_index(tx, FINDINGS_TABLE)?;
    gpkg::set_contents_identifier(
        tx,
        FINDINGS_TABLE,
        "问题台账 findings",
        "findings of the check runs with their review status",
    )
}

const SELECT_FINDINGS: &str = "SELECT finding_id, rule_id, severity, site_layer, site_fid,
    site_name, zone_layer, zone_fid, zone_name, zone_level, distance_m, lon, lat, county,
    status, note, reviewer, updated_at, presence, first_seen_run, last_seen_run FROM findings";

impl Project {
    /// Merge a fresh check run into the ledger, in ONE transaction: a finding whose
    /// id is already there keeps its status, note and reviewer (the other columns are
    /// refreshed, presence `existing`); a new id is inserted as 待核查 with presence
    /// `new`; rows the run did not produce become `resolved_by_data` (kept, status
    /// unchanged). The run is recorded in `qingling_check_runs`. Duplicate ids in
    /// `fresh` are refused (a rule set bug: ids must be unique).
    pub fn apply_check_run(&mut self, fresh: &[Finding]) -> Result<RunSummary, ProjectError> {
        let path = self.path.clone();
        let mut seen = HashSet::with_capacity(fresh.len());
        for f in fresh {
            if !seen.insert(f.finding_id.as_str()) {
                return Err(ProjectError::Invalid {
                    path,
                    message: format!(
                        "the check produced finding id \"{}\" twice; ids must be unique, check the rule set",
                        f.finding_id
                    ),
                });
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let before: HashSet<String> = {
            let mut stmt = tx.prepare("SELECT finding_id FROM findings").at(&path)?;
            let ids = stmt.query_map([], |r| r.get(0)).at(&path)?;
            ids.collect::<Result<_, _>>().at(&path)?
        };
        let now = gpkg::now_rfc3339();
        tx.execute(
            "INSERT INTO qingling_check_runs (at, findings, new, existing, resolved_by_data)
             VALUES (?1, ?2, 0, 0, 0)",
            params![now, fresh.len() as i64],
        )
        .at(&path)?;
        let run_id = tx.last_insert_rowid();
        let (mut new, mut existing) = (0usize, 0usize);
        {
            let mut update = tx
                .prepare(
                    "UPDATE findings SET rule_id = ?1, severity = ?2, site_layer = ?3,
                        site_fid = ?4, site_name = ?5, zone_layer = ?6, zone_fid = ?7,
                        zone_name = ?8, zone_level = ?9, distance_m = ?10, lon = ?11, lat = ?12,
                        county = ?13, last_seen_run = ?14, presence = 'existing'
                     WHERE finding_id = ?15",
                )
                .at(&path)?;
            // The point only where it moved: writing it fires the spatial index's
            // triggers (a delete and an insert in the R-tree), even for the same value.
            let mut moved = tx
                .prepare("UPDATE findings SET geom = ?1 WHERE finding_id = ?2 AND geom IS NOT ?1")
                .at(&path)?;
            let mut insert = tx
                .prepare(
                    "INSERT INTO findings (geom, finding_id, rule_id, severity, site_layer,
                        site_fid, site_name, zone_layer, zone_fid, zone_name, zone_level,
                        distance_m, lon, lat, county, status, note, reviewer, updated_at,
                        first_seen_run, last_seen_run, presence)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                        ?16, ?17, NULL, ?18, ?19, ?19, 'new')",
                )
                .at(&path)?;
            for f in fresh {
                let geom = finding_point(f).map_or(SqlValue::Null, |g| {
                    SqlValue::Blob(gpkg::encode_gpkg_geometry(&g, FINDINGS_SRS))
                });
                let mut values = finding_values(f).map_err(|message| ProjectError::Invalid {
                    path: path.clone(),
                    message,
                })?;
                if before.contains(&f.finding_id) {
                    // Columns 2..14 (rule_id..county) are refreshed; status and note kept.
                    let mut p: Vec<SqlValue> = Vec::with_capacity(15);
                    p.extend(values.drain(1..14));
                    p.push(SqlValue::Integer(run_id));
                    p.push(SqlValue::Text(f.finding_id.clone()));
                    update.execute(params_from_iter(p)).at(&path)?;
                    moved.execute(params![geom, f.finding_id]).at(&path)?;
                    existing += 1;
                } else {
                    values[14] = SqlValue::Text(ReviewStatus::Pending.label_zh().into());
                    let mut p: Vec<SqlValue> = Vec::with_capacity(19);
                    p.push(geom);
                    p.extend(values);
                    p.push(SqlValue::Text(now.clone()));
                    p.push(SqlValue::Integer(run_id));
                    insert.execute(params_from_iter(p)).at(&path)?;
                    new += 1;
                }
            }
        }
        let resolved_by_data = tx
            .execute(
                "UPDATE findings SET presence = 'resolved_by_data'
                 WHERE last_seen_run IS NULL OR last_seen_run <> ?1",
                [run_id],
            )
            .at(&path)?;
        tx.execute(
            "UPDATE qingling_check_runs SET new = ?1, existing = ?2, resolved_by_data = ?3
             WHERE run_id = ?4",
            params![new as i64, existing as i64, resolved_by_data as i64, run_id],
        )
        .at(&path)?;
        let extent: Option<(f64, f64, f64, f64)> = tx
            .query_row(
                "SELECT min(lon), min(lat), max(lon), max(lat) FROM findings WHERE geom IS NOT NULL",
                [],
                |r| {
                    Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                        (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
                        _ => None,
                    })
                },
            )
            .at(&path)?;
        let rect = extent.map(|(a, b, c, d)| {
            geo_types::Rect::new(
                geo_types::coord! { x: a, y: b },
                geo_types::coord! { x: c, y: d },
            )
        });
        gpkg::update_contents_extent(&tx, FINDINGS_TABLE, rect)
            .map_err(super::gpkg_error(&path, "updating the findings extent"))?;
        tx.commit().at(&path)?;
        Ok(RunSummary {
            run_id,
            new,
            existing,
            resolved_by_data,
        })
    }

    /// The whole ledger, sorted by `finding_id`.
    pub fn findings(&self) -> Result<Vec<FindingRow>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT_FINDINGS} ORDER BY finding_id"))
            .at(&self.path)?;
        let mut rows = stmt.query([]).at(&self.path)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().at(&self.path)? {
            out.push(self.finding_row(r)?);
        }
        Ok(out)
    }

    /// The reviewers' decisions: finding id → status and note, for every finding
    /// whose status is not 待核查 or whose note is not empty (every other finding
    /// is 待核查 with no note). What an export of a check run needs of the ledger.
    pub fn decisions(
        &self,
    ) -> Result<std::collections::HashMap<String, (ReviewStatus, String)>, ProjectError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT finding_id, status, note FROM findings
                 WHERE status <> ?1 OR (note IS NOT NULL AND note <> '')",
            )
            .at(p)?;
        let mut rows = stmt.query([ReviewStatus::Pending.label_zh()]).at(p)?;
        let mut out = std::collections::HashMap::new();
        while let Some(r) = rows.next().at(p)? {
            let id: String = r.get(0).at(p)?;
            let label: String = r.get(1).at(p)?;
            let status = ReviewStatus::parse(&label).ok_or_else(|| {
                self.corrupt(FINDINGS_TABLE, &id, format!("unknown status \"{label}\""))
            })?;
            let note = r.get::<_, Option<String>>(2).at(p)?.unwrap_or_default();
            out.insert(id, (status, note));
        }
        Ok(out)
    }

    /// One ledger row by id, `None` if there is no such finding.
    pub fn finding(&self, finding_id: &str) -> Result<Option<FindingRow>, ProjectError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT_FINDINGS} WHERE finding_id = ?1"))
            .at(&self.path)?;
        let mut rows = stmt.query([finding_id]).at(&self.path)?;
        match rows.next().at(&self.path)? {
            Some(r) => Ok(Some(self.finding_row(r)?)),
            None => Ok(None),
        }
    }

    fn finding_row(&self, r: &Row) -> Result<FindingRow, ProjectError> {
        let p = &self.path;
        let id: String = r.get(0).at(p)?;
        let severity_code: String = r.get(2).at(p)?;
        let severity = Severity::from_code(&severity_code).ok_or_else(|| {
            self.corrupt(
                FINDINGS_TABLE,
                &id,
                format!("unknown severity \"{severity_code}\""),
            )
        })?;
        let status_label: String = r.get(14).at(p)?;
        let status = ReviewStatus::parse(&status_label).ok_or_else(|| {
            self.corrupt(
                FINDINGS_TABLE,
                &id,
                format!("unknown status \"{status_label}\""),
            )
        })?;
        let presence_code: String = r.get(18).at(p)?;
        let presence = Presence::from_code(&presence_code).ok_or_else(|| {
            self.corrupt(
                FINDINGS_TABLE,
                &id,
                format!("unknown presence \"{presence_code}\""),
            )
        })?;
        let to_u64 = |v: i64| {
            u64::try_from(v)
                .map_err(|_| self.corrupt(FINDINGS_TABLE, &id, "negative record number"))
        };
        let site_fid = to_u64(r.get(4).at(p)?)?;
        let zone_fid = match r.get::<_, Option<i64>>(7).at(p)? {
            Some(v) => Some(to_u64(v)?),
            None => None,
        };
        let finding = Finding {
            finding_id: id.clone(),
            rule_id: r.get(1).at(p)?,
            severity,
            site_layer: r.get(3).at(p)?,
            site_fid,
            site_name: r.get::<_, Option<String>>(5).at(p)?.unwrap_or_default(),
            zone_layer: r.get(6).at(p)?,
            zone_fid,
            zone_name: r.get(8).at(p)?,
            zone_level: r.get(9).at(p)?,
            distance_m: r.get(10).at(p)?,
            lon: r.get::<_, Option<f64>>(11).at(p)?.unwrap_or(f64::NAN),
            lat: r.get::<_, Option<f64>>(12).at(p)?.unwrap_or(f64::NAN),
            county: r.get(13).at(p)?,
            status,
            note: r.get::<_, Option<String>>(15).at(p)?.unwrap_or_default(),
        };
        Ok(FindingRow {
            finding,
            reviewer: r.get(16).at(p)?,
            updated_at: r.get(17).at(p)?,
            presence,
            first_seen_run: r.get(19).at(p)?,
            last_seen_run: r.get(20).at(p)?,
        })
    }

    /// Apply one review action: ONE immediate transaction that updates the finding
    /// and appends a `review_history` row. When this returns `Ok` the action is on
    /// disk (see the module doc on durability).
    pub fn review(&mut self, action: &ReviewAction) -> Result<(), ProjectError> {
        self.review_many(std::slice::from_ref(action))
    }

    /// Apply several review actions (a bulk action in the app) as one transaction:
    /// all are applied or none.
    pub fn review_many(&mut self, actions: &[ReviewAction]) -> Result<(), ProjectError> {
        let path = self.path.clone();
        for a in actions {
            if a.reviewer.trim().is_empty() {
                return Err(ProjectError::Invalid {
                    path,
                    message: format!(
                        "review of finding {}: no reviewer name; enter who is reviewing",
                        a.finding_id
                    ),
                });
            }
            if a.status.is_none() && a.note.is_none() {
                return Err(ProjectError::Invalid {
                    path,
                    message: format!(
                        "review of finding {}: nothing to change; give a status or a note",
                        a.finding_id
                    ),
                });
            }
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        for a in actions {
            let old: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT status, note FROM findings WHERE finding_id = ?1",
                    [&a.finding_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .at(&path)?;
            let Some((old_label, old_note)) = old else {
                return Err(ProjectError::UnknownFinding {
                    path,
                    finding_id: a.finding_id.clone(),
                });
            };
            let old_status =
                ReviewStatus::parse(&old_label).ok_or_else(|| ProjectError::Corrupt {
                    path: path.clone(),
                    table: FINDINGS_TABLE.into(),
                    row: a.finding_id.clone(),
                    message: format!("unknown status \"{old_label}\""),
                })?;
            let old_note = old_note.unwrap_or_default();
            let new_status = a.status.unwrap_or(old_status);
            let new_note = a.note.clone().unwrap_or_else(|| old_note.clone());
            let now = gpkg::now_rfc3339();
            let reviewer = a.reviewer.trim();
            tx.execute(
                "UPDATE findings SET status = ?1, note = ?2, reviewer = ?3, updated_at = ?4
                 WHERE finding_id = ?5",
                params![new_status.label_zh(), new_note, reviewer, now, a.finding_id],
            )
            .at(&path)?;
            tx.execute(
                "INSERT INTO review_history
                    (finding_id, at, reviewer, old_status, new_status, old_note, new_note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    a.finding_id,
                    now,
                    reviewer,
                    old_status.label_zh(),
                    new_status.label_zh(),
                    old_note,
                    new_note
                ],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)?;
        Ok(())
    }

    /// The review history of one finding, oldest first.
    pub fn history(&self, finding_id: &str) -> Result<Vec<HistoryEntry>, ProjectError> {
        let p = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, finding_id, at, reviewer, old_status, new_status, old_note, new_note
                 FROM review_history WHERE finding_id = ?1 ORDER BY id",
            )
            .at(p)?;
        let mut rows = stmt.query([finding_id]).at(p)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().at(p)? {
            let id: i64 = r.get(0).at(p)?;
            let status = |i: usize| -> Result<ReviewStatus, ProjectError> {
                let label: String = r.get(i).at(p)?;
                ReviewStatus::parse(&label).ok_or_else(|| {
                    self.corrupt(
                        "review_history",
                        id.to_string(),
                        format!("unknown status \"{label}\""),
                    )
                })
            };
            out.push(HistoryEntry {
                id,
                finding_id: r.get(1).at(p)?,
                at: r.get(2).at(p)?,
                reviewer: r.get(3).at(p)?,
                old_status: status(4)?,
                new_status: status(5)?,
                old_note: r.get(6).at(p)?,
                new_note: r.get(7).at(p)?,
            });
        }
        Ok(out)
    }
}
