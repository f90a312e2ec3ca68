//! What panels ask the app to do. Panels never change state themselves: they push a
//! [`Command`] and the app applies the queue in one place
//! ([`App::apply_commands`](super::app::App::apply_commands)).

use std::path::PathBuf;

use eframe::egui::Color32;

use super::findings::{FindingFilter, SortKey};
use super::i18n::Language;
use super::jobs::JobId;
use super::map::view::MapView;
use super::state::{FeatureRef, LayerId};
use crate::model::ReviewStatus;
use crate::rules::roles::LayerRole;

/// Which side panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    Layers,
    Attributes,
    Problems,
    Findings,
    Dashboard,
}

/// One request from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    SetLanguage(Language),
    /// The name written into review decisions (kept in the settings).
    SetReviewer(String),
    /// Ask where to create a project (system dialog, else a new file in the last folder).
    NewProject,
    /// Ask for a project to open (system dialog, else the in-app chooser).
    OpenProject,
    OpenProjectPath(PathBuf),
    CreateProject(PathBuf),
    /// Ask the system file dialog for data files (falls back to the in-app chooser).
    AddLayersDialog,
    OpenFileChooser,
    CloseFileChooser,
    /// Show this folder in the in-app chooser.
    ChooserNavigate(PathBuf),
    ChooserSetPathText(String),
    ChooserToggle(PathBuf),
    /// Select exactly these files (the chooser's "select all").
    ChooserSelect(Vec<PathBuf>),
    ChooserShowAll(bool),
    /// Read these files on a worker.
    LoadFiles(Vec<PathBuf>),
    RemoveLayer(LayerId),
    SetVisible(LayerId, bool),
    /// Move in the list: -1 up (drawn later, on top), +1 down.
    MoveLayer(LayerId, i32),
    SetColor(LayerId, Color32),
    SetOpacity(LayerId, f32),
    SetLabelField(LayerId, Option<usize>),
    /// Read the layer's file again with this encoding.
    ReloadWithEncoding(LayerId, &'static encoding_rs::Encoding),
    /// Read the layer's file again in this CRS (`EPSG:n` as typed by the user).
    ReloadWithCrs(LayerId, String),
    SetRole(LayerId, Option<LayerRole>),
    ZoomToLayer(LayerId),
    ZoomToAll,
    /// Show a feature (its bounding box) on the map.
    ZoomToFeature(FeatureRef),
    SetView(MapView),
    Select(Option<FeatureRef>),
    /// Prepare simplified, triangulated shapes of a layer for a detail level.
    PrepareLevel(LayerId, i32),
    /// Draw the points in view into an image of this many pixels (too many for symbols).
    RasterizePoints(MapView, [usize; 2]),
    CancelJob(JobId),
    /// Run the check on the project's layers and merge the findings into its ledger.
    RunCheck,
    /// Select a finding (by id): its row, its site on the map, its history.
    SelectFinding(Option<String>),
    SetFindingFilter(FindingFilter),
    /// Sort by a column (again: reverse).
    SortFindings(SortKey),
    /// The note of the selected finding as typed.
    EditNote(String),
    /// Save a review action on a finding (`None` leaves the status or note as is).
    Review {
        finding_id: String,
        status: Option<ReviewStatus>,
        note: Option<String>,
    },
    SetDeadlineDraft(String),
    /// Save the typed deadline into the project (empty clears it).
    SaveDeadline,
    /// Ask where to export (system dialog, else the export window); `true` for the map picture.
    ExportDialog(bool),
    CloseExport,
    /// The new-project window's path, as typed.
    NewProjectSetPath(String),
    CloseNewProject,
    ExportSetPath(String),
    ExportSetFilteredOnly(bool),
    /// Export to this file: findings by its extension, or the map view as `.png`.
    ExportTo(PathBuf),
    TogglePanel(PanelKind),
    ShowAbout(bool),
    Quit,
    /// Show this basemap under the layers (`None`: no basemap). Kept in the settings.
    SetBasemap(Option<super::map::basemap::BasemapSource>),
    SetBasemapOpacity(f32),
    /// Ask for an MBTiles/PMTiles file (system dialog, else the in-app chooser).
    OpenBasemapDialog,
    /// Open, edit, apply or close the field-mapping editor.
    Mapping(super::mapping::MappingCommand),
}
