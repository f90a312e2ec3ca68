//! Runtime state of the app: the loaded layers and their styles, the map view, the
//! selection, the file chooser, job progress. Panels read it; only the app changes
//! it, by applying [`Command`](super::commands::Command)s. Nothing here is saved
//! (what is saved lives in [`Settings`]).

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui::Color32;

use super::findings::FindingsState;
use super::jobs::JobId;
use super::map::basemap::BasemapState;
use super::map::cache::{DisplayLayer, ShapeCache};
use super::map::raster::PointRaster;
use super::map::view::{MapView, WorldPos};
use super::panels::export::ExportState;
use super::panels::file_chooser::FileChooserState;
use super::settings::Settings;
use crate::io::ReadOptions;
use crate::model::{Layer, Problem};
use crate::rules::roles::LayerRole;

/// Identifies a loaded layer for the lifetime of the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerId(pub u64);

/// How a layer is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerStyle {
    pub visible: bool,
    pub color: Color32,
    /// Fill opacity of polygons, 0..=1 (outlines and symbols stay opaque).
    pub opacity: f32,
}

/// Distinct colours handed to new layers in turn.
pub const PALETTE: [Color32; 8] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(23, 190, 207),
];

/// The colour a new layer gets beside layers of the colours `used`: its role's
/// ([`layer_color`]) unless a layer has it already (two boiler ledgers, two lists of
/// other sites), then the first palette colour no layer has, so layers stay apart.
pub fn new_layer_color(
    role: Option<crate::rules::LayerRole>,
    n: usize,
    used: &[Color32],
) -> Color32 {
    let own = layer_color(role, n);
    if !used.contains(&own) {
        return own;
    }
    PALETTE
        .into_iter()
        .find(|c| !used.contains(c))
        .unwrap_or(own)
}

/// The colour of a layer's role, so that water zones are blue and coal-ban zones red
/// however the files come in; a layer of no known role takes the palette in load
/// order (`n` is its load number, from 0).
pub fn layer_color(role: Option<crate::rules::LayerRole>, n: usize) -> Color32 {
    use crate::rules::LayerRole as R;
    match role {
        Some(R::WaterZone) => PALETTE[0],
        Some(R::CoalBanZone) => PALETTE[1],
        Some(R::BuiltUpArea) => PALETTE[2],
        Some(R::Boiler) => PALETTE[3],
        Some(R::Enterprise) => PALETTE[4],
        Some(R::Outfall) => PALETTE[5],
        Some(R::OtherSites) => PALETTE[6],
        None => PALETTE[n % PALETTE.len()],
    }
}

/// A loaded layer with what the map needs.
pub struct MapLayer {
    pub id: LayerId,
    pub layer: Arc<Layer>,
    /// The file it was read from (a zip may give several layers).
    pub path: PathBuf,
    /// The options it was read with (changed to read it again differently).
    pub options: ReadOptions,
    /// `None` when it cannot be drawn (the reason is in `display_problems`).
    pub display: Option<Arc<DisplayLayer>>,
    /// Problems found while preparing the layer for the map.
    pub display_problems: Vec<Problem>,
    pub style: LayerStyle,
    /// The attribute shown as a label, if any.
    pub label_field: Option<usize>,
    /// What the layer is for in the check (guessed, or set by the user).
    pub role: Option<LayerRole>,
}

/// A feature of a layer: the layer and the index into its `features`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FeatureRef {
    pub layer: LayerId,
    pub index: usize,
}

/// A running job as the status bar shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct JobStatus {
    pub id: JobId,
    pub name: String,
    pub progress: f32,
    pub cancelling: bool,
}

/// Everything the panels draw from.
#[derive(Default)]
pub struct AppState {
    pub settings: Settings,
    /// The open project file, if any.
    pub project: Option<PathBuf>,
    /// Top of the list is drawn on top.
    pub layers: Vec<MapLayer>,
    /// Files that could not be read at all, as problems.
    pub load_problems: Vec<Problem>,
    pub view: MapView,
    /// True once the view was fitted to data (the first load zooms to it).
    pub view_fitted: bool,
    pub selection: Option<FeatureRef>,
    /// Pointer position over the map, in the display CRS.
    pub hover_world: Option<WorldPos>,
    pub file_chooser: Option<FileChooserState>,
    pub jobs: Vec<JobStatus>,
    /// The last thing that happened, shown in the status bar.
    pub status: Option<String>,
    pub show_about: bool,
    pub shapes: ShapeCache,
    /// The last picture of many points, and whether the next one is being made.
    pub point_raster: Option<PointRaster>,
    pub raster_pending: bool,
    /// The ledger of the open project and the findings table's state.
    pub findings: FindingsState,
    /// The export window (when no system save dialog is available).
    pub export: Option<ExportState>,
    /// The new-project window (when no system save dialog is available).
    pub new_project: Option<super::panels::new_project::NewProjectState>,
    /// Project table of each layer saved in the open project.
    pub project_tables: std::collections::HashMap<LayerId, String>,
    /// The running basemap (tiles cached as textures) and its problems.
    pub basemap: BasemapState,
    /// The field-mapping editor and whether the findings predate a mapping change.
    pub mapping: super::mapping::MappingState,
    /// Layers shown from their geometry whose attributes are still being read.
    pub attributes_pending: std::collections::BTreeSet<LayerId>,
    /// A check asked for while layers were still being read or saved: it starts
    /// once they are in the project. The names of the layers it waits for.
    pub check_waiting: Option<Vec<String>>,
}

impl AppState {
    pub fn layer(&self, id: LayerId) -> Option<&MapLayer> {
        self.layers.iter().find(|l| l.id == id)
    }
    pub fn layer_mut(&mut self, id: LayerId) -> Option<&mut MapLayer> {
        self.layers.iter_mut().find(|l| l.id == id)
    }

    /// Whether `id` is shown from its geometry while its attributes are being read.
    pub fn attributes_pending(&self, id: LayerId) -> bool {
        self.attributes_pending.contains(&id)
    }

    /// The feature with record number `fid` of the first layer named `layer_name`
    /// (how findings name their site and zone).
    pub fn feature_of(&self, layer_name: &str, fid: u64) -> Option<FeatureRef> {
        let l = self.layers.iter().find(|l| l.layer.name == layer_name)?;
        let features = &l.layer.features;
        let index = usize::try_from(fid)
            .ok()
            .filter(|&i| features.get(i).is_some_and(|f| f.fid == fid))
            .or_else(|| features.iter().position(|f| f.fid == fid))?;
        Some(FeatureRef { layer: l.id, index })
    }

    /// All problems to list: unreadable files, then each layer's reading and display
    /// problems in layer order, then the basemap's.
    pub fn all_problems(&self) -> impl Iterator<Item = &Problem> {
        self.load_problems
            .iter()
            .chain(
                self.layers
                    .iter()
                    .flat_map(|l| l.layer.problems.iter().chain(l.display_problems.iter())),
            )
            .chain(self.basemap.problems.iter())
    }
}

/// The field to label features with: the first whose name says it is a name.
pub fn guess_label_field(layer: &Layer) -> Option<usize> {
    const NAME_HINTS: [&str; 6] = ["名称", "单位名称", "企业名称", "水源地名称", "name", "mc"];
    for hint in NAME_HINTS {
        if let Some(i) = layer
            .fields
            .iter()
            .position(|f| f.name.to_lowercase().contains(hint))
        {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_layer_of_a_role_gets_a_colour_of_its_own() {
        use crate::rules::LayerRole;
        let blue = layer_color(Some(LayerRole::WaterZone), 0);
        assert_eq!(new_layer_color(Some(LayerRole::WaterZone), 0, &[]), blue);
        let second = new_layer_color(Some(LayerRole::WaterZone), 1, &[blue]);
        assert_ne!(second, blue);
        assert!(PALETTE.contains(&second));
        // Every colour taken: the role's all the same.
        assert_eq!(
            new_layer_color(Some(LayerRole::Boiler), 9, &PALETTE),
            layer_color(Some(LayerRole::Boiler), 9)
        );
    }
    use crate::model::GeometryKind;
    use crate::model::tests::text_layer;

    #[test]
    fn a_name_field_is_chosen_for_labels() {
        let mk = |names: &[&str]| text_layer("t", GeometryKind::Point, names);
        assert_eq!(
            guess_label_field(&mk(&["编号", "单位名称", "地址"])),
            Some(1)
        );
        assert_eq!(guess_label_field(&mk(&["ID", "NAME"])), Some(1));
        assert_eq!(guess_label_field(&mk(&["ID", "X", "Y"])), None);
    }
}
