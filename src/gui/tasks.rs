//! The work the app's background jobs do: read files and prepare them for the map,
//! simplify and triangulate a detail level, list a folder, ask the system file
//! dialog, open a project. Each function runs on a worker thread and returns a
//! [`JobOutput`] for the app to apply.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use geo_types::Coord;

use super::fonts::SystemFont;
use super::i18n::{Language, Tr};
use super::jobs::JobContext;
use super::map::cache::{DisplayLayer, tessellate_level};
use super::map::tessellate::LevelShapes;
use super::map::view::LonLat;
use super::panels::file_chooser::{EXTENSIONS, Listing};
use super::state::LayerId;
use crate::io::{IoError, ReadOptions};
use crate::model::{Layer, Problem};

/// A layer read and prepared for the map.
pub struct LoadedLayer {
    pub layer: Layer,
    pub display: Option<DisplayLayer>,
    pub display_problems: Vec<Problem>,
}

/// What a finished job hands back.
pub enum JobOutput {
    /// Files read (or why not). `replace` is the layer being read again, if any.
    Loaded {
        path: PathBuf,
        options: ReadOptions,
        replace: Option<LayerId>,
        result: Result<Vec<LoadedLayer>, Problem>,
    },
    Shapes {
        layer: LayerId,
        level: i32,
        shapes: Option<LevelShapes>,
    },
    Listing(Listing),
    /// The system dialog's answer and how long it was open (an instant `None` means
    /// no dialog could be shown).
    Picked {
        files: Option<Vec<PathBuf>>,
        elapsed: Duration,
    },
    Project(Result<PathBuf, String>),
    SystemFonts(Vec<SystemFont>),
}

/// Read one file into layers. Until the reader lands in `crate::io`, every file gets
/// the error below (never fake data).
fn load_layers(path: &Path, _opts: &ReadOptions) -> Result<Vec<Layer>, IoError> {
    Err(IoError::Missing {
        path: path.to_path_buf(),
        message: "reader not available yet".into(),
    })
}

/// Read `path` and prepare every layer for the map (runs on a worker).
pub fn load_file(
    path: PathBuf,
    options: ReadOptions,
    replace: Option<LayerId>,
    lang: Language,
    jc: &JobContext,
) -> JobOutput {
    jc.set_progress(0.05);
    let result = match load_layers(&path, &options) {
        Err(e) => Err(Problem::error(e.path(), message_without_path(&e)).with_hint(match lang {
            Language::Zh => "请确认文件完整且格式受支持（.shp .zip .geojson .json .xlsx .xls .csv .gpkg）",
            Language::En => "check that the file is complete and of a supported type (.shp .zip .geojson .json .xlsx .xls .csv .gpkg)",
        })),
        Ok(layers) => {
            let n = layers.len().max(1);
            let mut out = Vec::new();
            for (i, layer) in layers.into_iter().enumerate() {
                if jc.is_cancelled() {
                    break;
                }
                jc.set_progress(0.5 + 0.5 * i as f32 / n as f32);
                out.push(prepare_for_map(layer, lang, jc));
            }
            Ok(out)
        }
    };
    JobOutput::Loaded {
        path,
        options,
        replace,
        result,
    }
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

/// Put a layer's geometry into the display CRS, or say why it cannot be drawn.
pub fn prepare_for_map(layer: Layer, lang: Language, jc: &JobContext) -> LoadedLayer {
    let mut display_problems = Vec::new();
    let geographic = layer.crs.crs.as_ref().map(|c| c.geographic);
    let display = match geographic {
        Some(true) => {
            let to_lonlat = |c: Coord<f64>| Some(LonLat { lon: c.x, lat: c.y });
            DisplayLayer::build(&layer, &to_lonlat, Some(jc)).map(|(d, unplaced)| {
                for u in unplaced {
                    let fid = layer
                        .features
                        .get(u.index)
                        .map(|f| f.fid)
                        .unwrap_or(u.index as u64);
                    display_problems.push(
                        Problem::warning(&layer.source, u.message)
                            .at_record(fid)
                            .with_hint("the coordinates are not longitude/latitude: check the CRS"),
                    );
                }
                d
            })
        }
        Some(false) => {
            display_problems.push(Problem::warning(
                &layer.source,
                lang.tr(Tr::CrsTransformNotAvailable),
            ));
            None
        }
        None => {
            display_problems.push(Problem::warning(
                &layer.source,
                lang.tr(Tr::NoCrsCannotDraw),
            ));
            None
        }
    };
    LoadedLayer {
        layer,
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

/// Open or create a project. The project store is not in the engine yet, so this
/// says so (and reads nothing).
pub fn open_project(path: Option<PathBuf>, lang: Language) -> JobOutput {
    let what = path.map(|p| p.display().to_string()).unwrap_or_default();
    JobOutput::Project(Err(lang.trf(Tr::ProjectNotAvailable, &[&what])))
}

/// Find and read system CJK fonts (runs on a worker at startup).
pub fn system_fonts() -> JobOutput {
    let paths = super::fonts::find_system_cjk_fonts();
    JobOutput::SystemFonts(super::fonts::read_system_fonts(&paths, 2))
}
