//! The project work the app's jobs do on worker threads: run the check and merge it
//! into the ledger, save a review action, read a finding's history, save layers and
//! their roles, set the deadline, export findings, write the map picture.
//!
//! The open project is one SQLite connection shared as [`SharedProject`]; a job
//! locks it only for its database work (the check itself runs unlocked), so the UI
//! thread never touches the file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use eframe::egui::ColorImage;

use super::i18n::{Language, Tr};
use super::jobs::JobContext;
use super::tasks::{Failure, JobOutput};
use crate::check::{CheckError, CheckInput, mapping_for, project_layers, project_rules, run_check};
use crate::engine::DEFAULT_TOLERANCE_M;
use crate::gui::findings::RuleTitles;
use crate::model::{Finding, Layer, Problem, ReviewStatus};
use crate::project::{FindingRow, Project, ReviewAction, RunSummary};
use crate::rules::{FieldMapping, LayerRole};

/// The open project, shared with the jobs that read and write it.
pub type SharedProject = Arc<Mutex<Project>>;

/// The project setting that holds the campaign deadline (a JSON string `YYYY-MM-DD`).
pub const DEADLINE_SETTING: &str = "deadline";

/// Lock the project. A job that panicked while holding it cannot have left a
/// transaction half done (SQLite rolls it back), so a poisoned lock is still usable.
fn lock(db: &SharedProject) -> MutexGuard<'_, Project> {
    db.lock().unwrap_or_else(|e| e.into_inner())
}

/// A check run merged into the ledger.
pub struct CheckDone {
    pub summary: RunSummary,
    pub rows: Vec<FindingRow>,
    /// The titles of the rules the check ran with.
    pub rule_titles: RuleTitles,
    pub problems: Vec<Problem>,
    /// Layers left out because their role is not set.
    pub skipped: Vec<String>,
    pub sites_checked: usize,
    pub zones_indexed: usize,
}

/// Run the check on the project's layers, roles, mappings and rules, merge the
/// findings into the ledger and read it back (runs on a worker).
pub fn check_project(db: SharedProject, jc: &JobContext) -> JobOutput {
    JobOutput::Checked(check_project_inner(&db, jc).map(Box::new))
}

fn check_project_inner(db: &SharedProject, jc: &JobContext) -> Result<CheckDone, Failure> {
    jc.set_progress(0.02);
    let (layers, skipped, rules) = {
        let p = lock(db);
        let (layers, skipped) = project_layers(&p)?;
        let rules = project_rules(&p)?;
        (layers, skipped, rules)
    };
    if !layers.iter().any(|l| l.role.is_zone()) || !layers.iter().any(|l| !l.role.is_zone()) {
        return Err(Failure::of(Tr::NeedZonesAndSites));
    }
    let rule_titles = RuleTitles::of(&rules);
    let input = CheckInput {
        layers,
        rules,
        sites_crs: None,
        tolerance_m: DEFAULT_TOLERANCE_M,
    };
    let progress = |_stage: &str, f: f32| jc.set_progress(0.1 + 0.8 * f);
    let output = run_check(&input, &progress, jc.cancel_flag()).map_err(|e| match e {
        CheckError::Cancelled => {
            let said = |lang: Language| lang.trf(Tr::Cancelled, &[&lang.tr(Tr::RunCheck)]);
            Failure {
                message: said(Language::En),
                zh: said(Language::Zh),
            }
        }
        e => Failure::from(e),
    })?;
    jc.set_progress(0.92);
    let mut p = lock(db);
    let summary = p.apply_check_run(&output.findings)?;
    let rows = p.findings()?;
    Ok(CheckDone {
        summary,
        rows,
        rule_titles,
        problems: output.problems,
        skipped,
        sites_checked: output.sites_checked,
        zones_indexed: output.zones_indexed,
    })
}

/// Save one review action and read the row back as the project now holds it.
pub fn review(db: SharedProject, action: ReviewAction) -> JobOutput {
    let finding_id = action.finding_id.clone();
    let result = (|| {
        let mut p = lock(&db);
        p.review(&action)?;
        p.finding(&action.finding_id)?
            .map(Box::new)
            .ok_or_else(|| Failure {
                message: format!("{}: not in the ledger after saving", action.finding_id),
                zh: format!("{}：保存后不在台账中", action.finding_id),
            })
    })();
    JobOutput::Reviewed { finding_id, result }
}

/// Read a finding's review history.
pub fn history(db: SharedProject, finding_id: String) -> JobOutput {
    let result = lock(&db).history(&finding_id).map_err(|e| e.to_string());
    JobOutput::History { finding_id, result }
}

/// The role code and field mapping (JSON) stored for a layer in `role`.
pub fn role_and_mapping(role: Option<LayerRole>, layer: &Layer) -> (String, String) {
    let mapping = match role {
        Some(r) => mapping_for(r, layer),
        None => FieldMapping::default(),
    };
    let json = serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into());
    (role.map(|r| r.code().to_owned()).unwrap_or_default(), json)
}

/// Import a layer read in the app into the project (replacing the table of the
/// layer it was read again for, if any). Returns the new table's name.
pub fn save_layer(
    db: SharedProject,
    id: super::state::LayerId,
    layer: Arc<Layer>,
    role: Option<LayerRole>,
    replaces: Option<String>,
) -> JobOutput {
    let result = (|| {
        let mut p = lock(&db);
        let kept = replaces
            .as_deref()
            .and_then(|old| mapping_to_keep(&p, old, role, &layer));
        if let Some(old) = replaces {
            p.remove_layer(&old)?;
        }
        let (code, guessed) = role_and_mapping(role, &layer);
        Ok(p.save_layer(&layer, &code, &kept.unwrap_or(guessed))?)
    })();
    JobOutput::LayerSaved { layer: id, result }
}

/// The mapping (JSON) to keep when a layer is read again with another encoding or
/// CRS: the old table's, if the role is the same and every column it names is still
/// there (a user's corrections survive; a mapping of garbled names does not).
pub fn mapping_to_keep(
    p: &Project,
    old_table: &str,
    role: Option<LayerRole>,
    layer: &Layer,
) -> Option<String> {
    let role = role?;
    let entries = p.layers().ok()?;
    let entry = entries.iter().find(|e| e.table_name == old_table)?;
    if LayerRole::from_code(&entry.role) != Some(role) {
        return None;
    }
    let mapping: FieldMapping = serde_json::from_str(&entry.field_mapping_json).ok()?;
    mapping
        .entries
        .values()
        .all(|m| layer.field_index(&m.source_field).is_some())
        .then(|| entry.field_mapping_json.clone())
}

/// Store a layer's new role (and the mapping guessed for it).
pub fn set_role(
    db: SharedProject,
    table: String,
    role: Option<LayerRole>,
    layer: &Layer,
) -> JobOutput {
    let (code, mapping) = role_and_mapping(role, layer);
    let result = lock(&db)
        .set_layer_role(&table, &code, &mapping)
        .map_err(Failure::from);
    JobOutput::ProjectWritten(result)
}

/// Remove a layer's table from the project.
pub fn remove_layer(db: SharedProject, table: String) -> JobOutput {
    JobOutput::ProjectWritten(lock(&db).remove_layer(&table).map_err(Failure::from))
}

/// Save (or clear, with an empty text) the campaign deadline.
pub fn set_deadline(db: SharedProject, date: Option<String>) -> JobOutput {
    let json = match &date {
        Some(d) => serde_json::Value::String(d.clone()).to_string(),
        None => "null".to_owned(),
    };
    let result = lock(&db)
        .set_setting(DEADLINE_SETTING, &json)
        .map_err(Failure::from);
    JobOutput::DeadlineSaved { date, result }
}

/// The deadline stored in the project, if any.
pub fn read_deadline(p: &Project) -> Option<String> {
    let json = p.setting(DEADLINE_SETTING).ok()??;
    serde_json::from_str::<Option<String>>(&json).ok()?
}

/// Write findings to `path` in the format its extension names (sorted like a check
/// run's output so the file is the same for the same ledger).
pub fn export(mut findings: Vec<Finding>, path: PathBuf) -> JobOutput {
    crate::check::sort_findings(&mut findings);
    let n = findings.len();
    let result = crate::export::export_findings(&findings, &path)
        .map(|_| n)
        .map_err(Failure::from);
    JobOutput::Exported { path, result }
}

/// Ask the system save dialog where to export (runs on a worker).
pub fn pick_export(start_dir: Option<PathBuf>, lang: Language) -> JobOutput {
    let started = Instant::now();
    let mut dialog = rfd::FileDialog::new()
        .set_title(lang.tr(Tr::Export))
        .add_filter("CSV", &["csv"])
        .add_filter("Excel", &["xlsx"])
        .add_filter("GeoJSON", &["geojson"])
        .add_filter("Shapefile", &["shp"])
        .add_filter("GeoPackage", &["gpkg"])
        .add_filter("PNG", &["png"])
        .set_file_name(lang.tr(Tr::DefaultExportName));
    if let Some(dir) = start_dir {
        dialog = dialog.set_directory(dir);
    }
    let path = dialog.save_file();
    JobOutput::ExportPicked {
        path,
        elapsed: started.elapsed(),
    }
}

/// Crop a screenshot to `rect_px` (pixels: x, y, width, height) and write it as PNG.
pub fn save_png(image: &ColorImage, rect_px: [usize; 4], path: &Path) -> Result<(), Failure> {
    let [x, y, w, h] = rect_px;
    let [iw, ih] = image.size;
    let (w, h) = (w.min(iw.saturating_sub(x)), h.min(ih.saturating_sub(y)));
    if w == 0 || h == 0 {
        return Err(Failure {
            message: format!(
                "{}: the map is not visible; nothing to save",
                path.display()
            ),
            zh: "地图不可见，没有可保存的内容".to_owned(),
        });
    }
    let mut rgba = Vec::with_capacity(w * h * 4);
    for row in y..y + h {
        for c in &image.pixels[row * iw + x..row * iw + x + w] {
            rgba.extend_from_slice(&c.to_srgba_unmultiplied());
        }
    }
    let io = |e: std::io::Error| Failure {
        message: format!("{}: cannot write the file: {e}", path.display()),
        zh: format!("无法写入该文件（{e}）"),
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| Failure {
        message: format!("{}: cannot write the PNG: {e}", path.display()),
        zh: format!("无法写入 PNG 图片（{e}）"),
    };
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(&rgba).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(())
}

/// Write the map picture (runs on a worker).
pub fn export_png(image: Arc<ColorImage>, rect_px: [usize; 4], path: PathBuf) -> JobOutput {
    let result = save_png(&image, rect_px, &path).map(|_| 0);
    JobOutput::Exported { path, result }
}

/// A status's label in the UI language.
pub fn status_label(s: ReviewStatus, lang: Language) -> &'static str {
    match lang {
        Language::Zh => s.label_zh(),
        Language::En => s.label_en(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GeometryKind;
    use crate::model::tests::text_layer;
    use eframe::egui::Color32;

    #[test]
    fn the_map_picture_is_cropped_and_written_as_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("地图.png");
        let mut img = ColorImage::filled([10, 8], Color32::WHITE);
        img.pixels[3 * 10 + 2] = Color32::RED;
        save_png(&img, [2, 3, 4, 5], &path).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (4, 5));
        assert_eq!(
            &buf[0..4],
            &[255, 0, 0, 255],
            "the crop starts at the red pixel"
        );
        assert_eq!(&buf[4..8], &[255, 255, 255, 255]);
    }

    #[test]
    fn an_empty_crop_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let img = ColorImage::filled([4, 4], Color32::WHITE);
        assert!(save_png(&img, [4, 0, 2, 2], &dir.path().join("x.png")).is_err());
    }

    #[test]
    fn a_mapping_set_by_hand_is_kept_when_the_layer_is_read_again_with_the_same_columns() {
        let mk = |names: &[&str]| text_layer("锅炉台账", GeometryKind::Point, names);
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg")).unwrap();
        let layer = mk(&["单位名称", "运行情况"]);
        let mut mapping = mapping_for(LayerRole::Boiler, &layer);
        mapping.set_user(crate::rules::CanonicalField::Status, "运行情况", None);
        let json = serde_json::to_string(&mapping).unwrap();
        let table = p.save_layer(&layer, "boiler", &json).unwrap();
        let boiler = Some(LayerRole::Boiler);
        assert_eq!(
            mapping_to_keep(&p, &table, boiler, &layer).as_deref(),
            Some(json.as_str())
        );
        assert_eq!(
            mapping_to_keep(&p, &table, Some(LayerRole::Enterprise), &layer),
            None
        );
        let garbled = mk(&["单位名称", "杩愯鎯呭喌"]);
        assert_eq!(mapping_to_keep(&p, &table, boiler, &garbled), None);
        assert_eq!(mapping_to_keep(&p, "other", boiler, &layer), None);

        // Through the job: the re-read layer replaces the table and keeps the mapping.
        let db: SharedProject = Arc::new(Mutex::new(p));
        let out = save_layer(
            db.clone(),
            super::super::state::LayerId(1),
            Arc::new(layer.clone()),
            boiler,
            Some(table),
        );
        assert!(matches!(out, JobOutput::LayerSaved { result: Ok(_), .. }));
        let (layers, _) = crate::check::project_layers(&lock(&db)).unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0].mapping, mapping);
    }

    #[test]
    fn a_check_that_cannot_run_says_why_in_both_languages() {
        use crate::model::{Feature, Value};
        use geo_types::{Geometry, Point, polygon};
        // Zones and boilers whose coordinate systems are unknown (no .prj).
        let layer = |name: &str, kind, geometry: Geometry<f64>| Layer {
            features: vec![Feature {
                fid: 0,
                geometry: Some(geometry),
                attrs: vec![Value::Text("一号".into())],
            }],
            ..text_layer(name, kind, &["名称"])
        };
        let zone =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 0.0)];
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::create(&dir.path().join("p.gpkg")).unwrap();
        for (l, role) in [
            (
                layer("水源地", GeometryKind::Polygon, zone.into()),
                LayerRole::WaterZone,
            ),
            (
                layer("锅炉", GeometryKind::Point, Point::new(5.0, 5.0).into()),
                LayerRole::Boiler,
            ),
        ] {
            let (code, mapping) = role_and_mapping(Some(role), &l);
            p.save_layer(&l, &code, &mapping).unwrap();
        }
        let db: SharedProject = Arc::new(Mutex::new(p));
        let job = super::super::jobs::Job::spawn(
            super::super::jobs::JobId(1),
            "check",
            None,
            move |jc| check_project(db, jc),
        );
        let out = loop {
            match job.poll() {
                super::super::jobs::Poll::Done(out) => break out,
                super::super::jobs::Poll::Running => {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                super::super::jobs::Poll::Lost => panic!("the check job ended without a result"),
            }
        };
        let JobOutput::Checked(Err(failure)) = out else {
            panic!("the check should fail: the zones have no coordinate system");
        };
        assert!(
            failure
                .message
                .contains("coordinate system of the zones is unknown"),
            "{}",
            failure.message
        );
        let zh = failure.said(Language::Zh);
        assert!(
            zh.contains("水源地") && zh.contains("区域图层的坐标系未知"),
            "{zh}"
        );
        assert!(!zh.contains("unknown"), "{zh}");
        assert_eq!(failure.said(Language::En), failure.message);
    }

    #[test]
    fn a_layer_without_a_role_is_stored_with_an_empty_role_and_mapping() {
        let layer = text_layer("锅炉台账", GeometryKind::Point, &["燃料类型"]);
        let (code, mapping) = role_and_mapping(None, &layer);
        assert_eq!(code, "");
        assert!(serde_json::from_str::<FieldMapping>(&mapping).is_ok());
        let (code, _) = role_and_mapping(Some(LayerRole::Boiler), &layer);
        assert_eq!(code, LayerRole::Boiler.code());
    }
}
