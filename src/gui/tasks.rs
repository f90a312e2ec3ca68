//! The work the app's background jobs do: read files and prepare them for the map,
//! simplify and triangulate a detail level, list a folder, ask the system file
//! dialog, open a project. Each function runs on a worker thread and returns a
//! [`JobOutput`] for the app to apply.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geo_types::Coord;

use super::findings::RuleTitles;
use super::fonts::SystemFont;
use super::i18n::{Language, Tr};
use super::jobs::JobContext;
use super::map::cache::{DisplayLayer, tessellate_level};
use super::map::tessellate::LevelShapes;
use super::map::view::{LonLat, MapView};
use super::panels::file_chooser::{EXTENSIONS, Listing};
use super::project_tasks::{CheckDone, read_deadline};
use super::state::LayerId;
use crate::crs::{Crs, Transform};
use crate::io::{IoError, ReadOptions};
use crate::model::{Layer, Problem, ProblemLevel};
use crate::project::{FindingRow, HistoryEntry, Project};
use crate::rules::roles::{LayerRole, guess_role};

/// A layer read and prepared for the map.
pub struct LoadedLayer {
    pub layer: Layer,
    /// What the layer is for, guessed from its name, columns and geometry.
    pub role: Option<LayerRole>,
    pub display: Option<DisplayLayer>,
    pub display_problems: Vec<Problem>,
}

/// What a finished job hands back.
pub enum JobOutput {
    /// Files read (or why not). `replace` is the layer being read again, if any.
    Loaded {
        path: PathBuf,
        /// Boxed: read options are large and results pass once per job.
        options: Box<ReadOptions>,
        replace: Option<LayerId>,
        result: Result<Vec<LoadedLayer>, Problem>,
        /// The layers were read without attributes, to show the map sooner: read
        /// them again in full with [`load_attributes`].
        attributes_pending: bool,
    },
    /// A file read again in full after its geometry was shown
    /// ([`JobOutput::Loaded`] with `attributes_pending`): the layers to give their
    /// attributes to with [`merge_attributes`], in the order read.
    Attributes {
        path: PathBuf,
        layers: Vec<LayerId>,
        /// The project table the first read replaces, if any (saved once complete).
        replaced_table: Option<String>,
        result: Result<Vec<Layer>, Problem>,
        /// Read back from the open project (by [`load_project_attributes`]): the
        /// layers are in it already and keep the roles it gives them.
        from_project: bool,
    },
    Shapes {
        layer: LayerId,
        level: i32,
        shapes: Option<LevelShapes>,
    },
    Listing(Listing),
    /// Many points drawn into one image per layer for `view` (`None` if cancelled).
    Raster {
        view: MapView,
        size: [usize; 2],
        key: u64,
        images: Option<Vec<(LayerId, eframe::egui::ColorImage)>>,
    },
    /// The system dialog's answer and how long it was open (an instant `None` means
    /// no dialog could be shown).
    Picked {
        files: Option<Vec<PathBuf>>,
        elapsed: Duration,
    },
    /// A project opened or created, with its layers (or the error's sentence).
    Project {
        path: PathBuf,
        result: Result<Box<OpenedProject>, Failure>,
    },
    /// A check run merged into the ledger.
    Checked(Result<Box<CheckDone>, Failure>),
    /// A review action saved (the row as the project holds it now) or refused.
    Reviewed {
        finding_id: String,
        /// Boxed: a row is large and passes once per action.
        result: Result<Box<FindingRow>, Failure>,
    },
    History {
        finding_id: String,
        result: Result<Vec<HistoryEntry>, String>,
    },
    /// A layer read in the app imported into the project (its table name).
    LayerSaved {
        layer: LayerId,
        result: Result<String, Failure>,
    },
    /// A role change or layer removal written to the project.
    ProjectWritten(Result<(), Failure>),
    DeadlineSaved {
        date: Option<String>,
        result: Result<(), Failure>,
    },
    /// Findings (count) or the map picture (0) written to `path`.
    Exported {
        path: PathBuf,
        result: Result<usize, Failure>,
    },
    /// The system save dialog's answer for an export.
    ExportPicked {
        path: Option<PathBuf>,
        elapsed: Duration,
    },
    /// The system dialog's answer for a project path.
    ProjectPicked {
        save: bool,
        path: Option<PathBuf>,
        elapsed: Duration,
    },
    SystemFonts(Vec<SystemFont>),
    /// The field-mapping editor's reads and writes.
    Mapping(super::mapping::MappingJob),
}

/// Read one file into layers with their CRS resolved (a zip may give several).
fn load_layers(path: &Path, opts: &ReadOptions) -> Result<Vec<Layer>, IoError> {
    crate::io::read_path(path, opts)
}

/// A shapefile whose `.dbf` is larger than this is shown from its geometry first and
/// its attributes are read afterwards (decoding millions of records would otherwise
/// delay the first map by seconds). The app's default; see
/// [`AppOptions`](super::app::AppOptions) to change it.
pub const DEFER_ATTRIBUTES_ABOVE_BYTES: u64 = 64 << 20;

/// Whether [`load_file_deferring`] reads `path` without attributes first: a `.shp`
/// with a `.dbf` larger than `above_bytes`.
pub fn defers_attributes(path: &Path, options: &ReadOptions, above_bytes: u64) -> bool {
    let is_shp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    !options.geometry_only
        && is_shp
        && ["dbf", "DBF", "Dbf"].iter().any(|ext| {
            std::fs::metadata(path.with_extension(ext)).is_ok_and(|m| m.len() > above_bytes)
        })
}

/// A problem the app itself finds, in both languages: `text` gives the message and
/// hint in one language; the English one is the message (as for the readers'
/// problems) and the Chinese one shows in the Chinese UI, whichever language is on
/// when it is found.
pub fn problem_in_both(
    level: ProblemLevel,
    file: &Path,
    text: impl Fn(Language) -> (String, Option<String>),
) -> Problem {
    let (en, en_hint) = text(Language::En);
    let (zh, zh_hint) = text(Language::Zh);
    let mut p = Problem::new(level, file, en);
    if let Some(h) = en_hint {
        p = p.with_hint(h);
    }
    p.with_zh(zh, zh_hint.as_deref())
}

/// The problem shown when a file cannot be read at all.
fn load_problem(e: &IoError) -> Problem {
    Problem::error(e.path(), message_without_path(e))
        .with_hint("check that the file is complete and of a supported type (.shp .zip .geojson .json .xlsx .xls .csv .gpkg)")
        .with_zh(
            e.zh(),
            Some("请确认文件完整且格式受支持（.shp .zip .geojson .json .xlsx .xls .csv .gpkg）"),
        )
}

/// Read `path` and prepare every layer for the map (runs on a worker). A shapefile
/// with a `.dbf` over [`DEFER_ATTRIBUTES_ABOVE_BYTES`] is read without attributes;
/// the output then says so and the app reads them with [`load_attributes`].
pub fn load_file(
    path: PathBuf,
    options: ReadOptions,
    replace: Option<LayerId>,
    jc: &JobContext,
) -> JobOutput {
    load_file_deferring(path, options, replace, DEFER_ATTRIBUTES_ABOVE_BYTES, jc)
}

/// [`load_file`] with the `.dbf` size above which attributes are read afterwards
/// (see [`defers_attributes`]).
pub fn load_file_deferring(
    path: PathBuf,
    options: ReadOptions,
    replace: Option<LayerId>,
    defer_above_bytes: u64,
    jc: &JobContext,
) -> JobOutput {
    jc.set_progress(0.05);
    let attributes_pending = defers_attributes(&path, &options, defer_above_bytes);
    let read_options = ReadOptions {
        geometry_only: options.geometry_only || attributes_pending,
        ..options.clone()
    };
    let result = match load_layers(&path, &read_options) {
        Err(e) => Err(load_problem(&e)),
        Ok(layers) => {
            let n = layers.len().max(1);
            let mut out = Vec::new();
            for (i, layer) in layers.into_iter().enumerate() {
                if jc.is_cancelled() {
                    break;
                }
                jc.set_progress(0.5 + 0.5 * i as f32 / n as f32);
                out.push(prepare_for_map(layer, jc));
            }
            Ok(out)
        }
    };
    JobOutput::Loaded {
        path,
        options: Box::new(options),
        replace,
        result,
        attributes_pending,
    }
}

/// Read `path` again in full for the attributes of `layers`, which were shown from
/// their geometry first (runs on a worker).
pub fn load_attributes(
    path: PathBuf,
    options: ReadOptions,
    layers: Vec<LayerId>,
    replaced_table: Option<String>,
    jc: &JobContext,
) -> JobOutput {
    jc.set_progress(0.05);
    // On one thread of its own pool: the reader's parallel parts would otherwise
    // take the shared pool from the map's detail levels and point rasters.
    let read = || load_layers(&path, &options);
    let result = match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "qingling attributes".into())
        .build()
    {
        Ok(pool) => pool.install(read),
        Err(_) => read(),
    }
    .map_err(|e| load_problem(&e));
    JobOutput::Attributes {
        path,
        layers,
        replaced_table,
        result,
        from_project: false,
    }
}

/// Read the layers `tables` of the project at `path` in full, for the attributes of
/// `layers`, which were shown from their geometry when the project was opened (runs
/// on a worker, on a connection of its own so reviews can be saved meanwhile).
pub fn load_project_attributes(
    path: PathBuf,
    layers: Vec<LayerId>,
    tables: Vec<String>,
    jc: &JobContext,
) -> JobOutput {
    jc.set_progress(0.05);
    let result = Project::open(&path)
        .and_then(|p| {
            let n = tables.len().max(1);
            tables
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    jc.set_progress(i as f32 / n as f32);
                    p.load_layer(t)
                })
                .collect::<Result<Vec<Layer>, _>>()
        })
        .map_err(|e| {
            Problem::error(&path, e.to_string())
                .with_hint("open the project again; if this repeats, re-import the layer")
                .with_zh(
                    format!("无法读取项目图层的属性：{e}"),
                    Some("请重新打开项目；如仍出现，请重新导入该图层"),
                )
        });
    JobOutput::Attributes {
        path,
        layers,
        replaced_table: None,
        result,
        from_project: true,
    }
}

/// Give a layer shown without attributes its full read: the layer is replaced
/// (same features in the same order, so the map's geometry stays valid), and its
/// label field and guessed role are guessed again from the columns now known.
/// `false` (and nothing changed) if the full read does not have the same features.
pub fn merge_attributes(ml: &mut super::state::MapLayer, full: Layer) -> bool {
    let same = full.features.len() == ml.layer.features.len()
        && full.geometry_kind == ml.layer.geometry_kind
        && full
            .features
            .iter()
            .zip(&ml.layer.features)
            .all(|(a, b)| a.fid == b.fid);
    if !same {
        return false;
    }
    let field_names: Vec<String> = ml.layer.fields.iter().map(|f| f.name.clone()).collect();
    let first_guess = guess_role(&ml.layer.name, &field_names, ml.layer.geometry_kind);
    if ml.label_field.is_none_or(|f| f >= full.fields.len()) {
        ml.label_field = super::state::guess_label_field(&full);
    }
    if ml.role == first_guess {
        let names: Vec<String> = full.fields.iter().map(|f| f.name.clone()).collect();
        ml.role = guess_role(&full.name, &names, full.geometry_kind).or(ml.role);
    }
    let old = std::mem::replace(&mut ml.layer, std::sync::Arc::new(full));
    // Freeing millions of features takes a while: not on the UI thread.
    let _ = std::thread::Builder::new()
        .name("qingling drop layer".into())
        .spawn(move || drop(old));
    true
}

/// The error's sentence without the leading file name (the problems list has a
/// column for that).
fn message_without_path(e: &IoError) -> String {
    let full = e.to_string();
    let prefix = format!("{}: ", e.path().display());
    full.strip_prefix(&prefix)
        .map(str::to_owned)
        .unwrap_or(full)
}

/// Put a layer's geometry into the display CRS (through lon/lat), or say why it
/// cannot be drawn; and guess what the layer is for.
pub fn prepare_for_map(layer: Layer, jc: &JobContext) -> LoadedLayer {
    let mut display_problems = Vec::new();
    let field_names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
    let role = guess_role(&layer.name, &field_names, layer.geometry_kind);
    let transform = match &layer.crs.crs {
        None => Err((
            Language::En.tr(Tr::NoCrsCannotDraw).to_owned(),
            Language::Zh.tr(Tr::NoCrsCannotDraw).to_owned(),
        )),
        Some(crs) => Transform::new(crs, &Crs::wgs84()).map_err(|e| {
            (
                Language::En.trf(Tr::CrsTransformFailed, &[&e]),
                Language::Zh.trf(Tr::CrsTransformFailed, &[&e.zh()]),
            )
        }),
    };
    let set_crs_hint = |lang: Language| Some(lang.tr(Tr::SetCrsHint).to_owned());
    let display = match transform {
        Err((en, zh)) => {
            display_problems.push(problem_in_both(
                ProblemLevel::Warning,
                &layer.source,
                |lang| {
                    let message = if lang == Language::Zh { &zh } else { &en };
                    (message.clone(), set_crs_hint(lang))
                },
            ));
            None
        }
        Ok(t) => {
            let to_lonlat =
                |c: Coord<f64>| t.apply(c.x, c.y).ok().map(|(lon, lat)| LonLat { lon, lat });
            DisplayLayer::build(&layer, &to_lonlat, Some(jc)).map(|(d, unplaced)| {
                for u in unplaced {
                    let fid = layer
                        .features
                        .get(u.index)
                        .map(|f| f.fid)
                        .unwrap_or(u.index as u64);
                    display_problems.push(
                        problem_in_both(ProblemLevel::Warning, &layer.source, |lang| {
                            (lang.tr(Tr::NotPlaced).to_owned(), set_crs_hint(lang))
                        })
                        .at_record(fid),
                    );
                }
                d
            })
        }
    };
    LoadedLayer {
        layer,
        role,
        display,
        display_problems,
    }
}

/// Simplify and triangulate `display` for `level` (runs on a worker).
pub fn prepare_level(
    layer: LayerId,
    display: &DisplayLayer,
    level: i32,
    jc: &JobContext,
) -> JobOutput {
    JobOutput::Shapes {
        layer,
        level,
        shapes: tessellate_level(display, level, Some(jc)),
    }
}

/// Ask the system file dialog for data files (runs on a worker).
pub fn pick_files(start_dir: Option<PathBuf>, lang: Language) -> JobOutput {
    let started = Instant::now();
    let mut dialog = rfd::FileDialog::new()
        .set_title(lang.tr(Tr::FileChooserTitle))
        .add_filter(lang.tr(Tr::SupportedFiles), &EXTENSIONS)
        .add_filter(lang.tr(Tr::AllFiles), &["*"]);
    if let Some(dir) = start_dir {
        dialog = dialog.set_directory(dir);
    }
    let files = dialog.pick_files();
    JobOutput::Picked {
        files,
        elapsed: started.elapsed(),
    }
}

/// Ask the system file dialog for an MBTiles/PMTiles basemap (runs on a worker); the
/// answer comes back as [`JobOutput::Picked`] and is loaded as the basemap.
pub fn pick_basemap_file(start_dir: Option<PathBuf>, lang: Language) -> JobOutput {
    let started = Instant::now();
    let mut dialog = rfd::FileDialog::new()
        .set_title(lang.tr(Tr::BasemapOpenFile))
        .add_filter(
            lang.tr(Tr::BasemapFiles),
            &super::map::basemap::BASEMAP_EXTENSIONS,
        )
        .add_filter(lang.tr(Tr::AllFiles), &["*"]);
    if let Some(dir) = start_dir {
        dialog = dialog.set_directory(dir);
    }
    JobOutput::Picked {
        files: dialog.pick_file().map(|f| vec![f]),
        elapsed: started.elapsed(),
    }
}

/// An opened project: the connection, its layers with their table names, the ledger
/// and the campaign deadline.
pub struct OpenedProject {
    pub project: Project,
    pub layers: Vec<(LoadedLayer, String)>,
    pub findings: Vec<FindingRow>,
    /// The titles of the project's rules (the built-in ones' if its rules setting
    /// does not read).
    pub rule_titles: RuleTitles,
    pub deadline: Option<String>,
    /// Tables of the layers read without attributes (too many records to wait for):
    /// the app reads them with [`load_project_attributes`].
    pub attributes_pending: Vec<String>,
}

/// A project layer with more records than this is shown from its geometry first and
/// its attributes read afterwards (as a large shapefile is). The app's default; see
/// [`AppOptions`](super::app::AppOptions) to change it.
pub const DEFER_PROJECT_ATTRIBUTES_ABOVE_RECORDS: u64 = 200_000;

/// Why a job on the project or an export failed: the message in English and in
/// Chinese ([`crate::project::ProjectError::zh`], [`crate::export::ExportError::zh`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub message: String,
    pub zh: String,
}

impl Failure {
    /// A message of the app's own, in both languages.
    pub fn of(tr: super::i18n::Tr) -> Failure {
        Failure {
            message: Language::En.tr(tr).to_owned(),
            zh: Language::Zh.tr(tr).to_owned(),
        }
    }

    /// The message in `lang`.
    pub fn said(&self, lang: Language) -> &str {
        match lang {
            Language::Zh => &self.zh,
            Language::En => &self.message,
        }
    }
}

/// `From` for errors that say themselves in English (`Display`) and Chinese (`zh`).
macro_rules! failure_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Failure {
            fn from(e: $error) -> Failure {
                Failure {
                    message: e.to_string(),
                    zh: e.zh(),
                }
            }
        }
    )*};
}

failure_from!(
    crate::project::ProjectError,
    crate::check::CheckError,
    crate::check::ProjectInputError,
    crate::export::ExportError
);

/// Open a project file and read its layers and ledger back (runs on a worker).
pub fn open_project(path: PathBuf, jc: &JobContext) -> JobOutput {
    open_project_deferring(path, DEFER_PROJECT_ATTRIBUTES_ABOVE_RECORDS, jc)
}

/// [`open_project`], reading layers of more than `defer_above_records` records
/// without their attributes (listed in [`OpenedProject::attributes_pending`]).
pub fn open_project_deferring(
    path: PathBuf,
    defer_above_records: u64,
    jc: &JobContext,
) -> JobOutput {
    let result = (|| {
        let project = Project::open(&path)?;
        let findings = project.findings()?;
        let rules =
            crate::check::project_rules(&project).unwrap_or_else(|_| crate::rules::builtin());
        let rule_titles = RuleTitles::of(&rules);
        let deadline = read_deadline(&project);
        let entries = project.layers()?;
        let n = entries.len().max(1);
        let mut out = Vec::new();
        let mut attributes_pending = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            if jc.is_cancelled() {
                break;
            }
            jc.set_progress(i as f32 / n as f32);
            let deferred = entry.feature_count > defer_above_records;
            let layer = if deferred {
                attributes_pending.push(entry.table_name.clone());
                project.load_layer_geometry(&entry.table_name)
            } else {
                project.load_layer(&entry.table_name)
            }?;
            let mut loaded = prepare_for_map(layer, jc);
            if let Some(role) = LayerRole::from_code(&entry.role) {
                loaded.role = Some(role);
            }
            out.push((loaded, entry.table_name.clone()));
        }
        Ok::<_, crate::project::ProjectError>(Box::new(OpenedProject {
            project,
            layers: out,
            findings,
            rule_titles,
            deadline,
            attributes_pending,
        }))
    })()
    .map_err(Failure::from);
    JobOutput::Project { path, result }
}

/// Create an empty project file (runs on a worker).
pub fn create_project(path: PathBuf) -> JobOutput {
    let result = Project::create(&path)
        .map(|project| {
            Box::new(OpenedProject {
                project,
                layers: Vec::new(),
                findings: Vec::new(),
                rule_titles: RuleTitles::of(&crate::rules::builtin()),
                deadline: None,
                attributes_pending: Vec::new(),
            })
        })
        .map_err(Failure::from);
    JobOutput::Project { path, result }
}

/// Ask the system dialog for a project file to open, or where to create one.
pub fn pick_project(save: bool, start_dir: Option<PathBuf>, lang: Language) -> JobOutput {
    let started = Instant::now();
    let title = lang.tr(if save {
        Tr::NewProject
    } else {
        Tr::OpenProject
    });
    let mut dialog = rfd::FileDialog::new()
        .set_title(title.trim_end_matches('…'))
        .add_filter("GeoPackage", &["gpkg"]);
    if let Some(dir) = start_dir {
        dialog = dialog.set_directory(dir);
    }
    let path = if save {
        dialog
            .set_file_name(lang.tr(Tr::DefaultProjectName))
            .save_file()
    } else {
        dialog.pick_file()
    };
    JobOutput::ProjectPicked {
        save,
        path,
        elapsed: started.elapsed(),
    }
}

/// A path for a new project in `dir` that does not exist yet: `新项目.gpkg`,
/// `新项目 2.gpkg`, ... (used when no save dialog can be shown).
pub fn unused_project_path(dir: &Path, lang: Language) -> PathBuf {
    let stem = lang
        .tr(Tr::DefaultProjectName)
        .trim_end_matches(".gpkg")
        .to_owned();
    let mut candidate = dir.join(format!("{stem}.gpkg"));
    let mut n = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{stem} {n}.gpkg"));
        n += 1;
    }
    candidate
}

/// Find and read system CJK fonts (runs on a worker at startup).
pub fn system_fonts() -> JobOutput {
    let paths = super::fonts::find_system_cjk_fonts();
    JobOutput::SystemFonts(super::fonts::read_system_fonts(&paths, 2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::state::{LayerStyle, MapLayer};
    use crate::model::{
        CrsInfo, CrsSource, Feature, FieldDef, FieldKind, GeometryKind, SourceFormat, Value,
    };
    use eframe::egui::Color32;
    use geo_types::Point;
    use std::sync::Arc;

    fn layer(with_attributes: bool, n: u64) -> Layer {
        Layer {
            name: "sites".into(),
            source: "sites.shp".into(),
            format: SourceFormat::Shapefile,
            geometry_kind: GeometryKind::Point,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: if with_attributes {
                vec![FieldDef {
                    name: "名称".into(),
                    kind: FieldKind::Text,
                }]
            } else {
                vec![]
            },
            features: (0..n)
                .map(|fid| Feature {
                    fid,
                    geometry: Some(Point::new(112.0, 37.0).into()),
                    attrs: if with_attributes {
                        vec![Value::Text(format!("site {fid}"))]
                    } else {
                        vec![]
                    },
                })
                .collect(),
            problems: vec![],
            deferred: None,
        }
    }

    fn map_layer(l: Layer) -> MapLayer {
        MapLayer {
            id: LayerId(1),
            path: "sites.shp".into(),
            options: ReadOptions::default(),
            display: None,
            display_problems: vec![],
            style: LayerStyle {
                visible: true,
                color: Color32::RED,
                opacity: 0.35,
            },
            label_field: None,
            role: guess_role(&l.name, &[], l.geometry_kind),
            layer: Arc::new(l),
        }
    }

    #[test]
    fn attributes_read_later_give_the_layer_its_columns_and_label() {
        let mut ml = map_layer(layer(false, 3));
        assert!(merge_attributes(&mut ml, layer(true, 3)));
        assert_eq!(ml.layer.fields.len(), 1);
        assert_eq!(ml.label_field, Some(0));
        assert_eq!(
            ml.layer.features[2].attrs,
            vec![Value::Text("site 2".into())]
        );
    }

    #[test]
    fn attributes_of_other_features_are_refused() {
        let mut ml = map_layer(layer(false, 3));
        assert!(!merge_attributes(&mut ml, layer(true, 4)));
        assert!(ml.layer.fields.is_empty());
        assert_eq!(ml.label_field, None);
    }

    #[test]
    fn only_shapefiles_with_a_large_dbf_are_shown_before_their_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("sites.shp");
        std::fs::write(&shp, b"").unwrap();
        let dbf = std::fs::File::create(dir.path().join("sites.dbf")).unwrap();
        dbf.set_len(1000).unwrap();
        let opts = ReadOptions::default();
        let limit = DEFER_ATTRIBUTES_ABOVE_BYTES;
        assert!(!defers_attributes(&shp, &opts, limit));
        // A lower limit (as tests set it) makes the same file large.
        assert!(defers_attributes(&shp, &opts, 999));
        // A sparse file: large without using the disk.
        dbf.set_len(limit + 1).unwrap();
        assert!(defers_attributes(&shp, &opts, limit));
        let geometry_only = ReadOptions {
            geometry_only: true,
            ..ReadOptions::default()
        };
        assert!(!defers_attributes(&shp, &geometry_only, limit));
        assert!(!defers_attributes(
            &dir.path().join("sites.csv"),
            &opts,
            limit
        ));
    }
}
