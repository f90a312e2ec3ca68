//! The export window, for when no system save dialog can be shown: a path box, a
//! button per format that sets the extension, "only the filtered findings", and
//! export. A `.png` name saves the current map view instead of the findings.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::AppState;

/// Extensions the export writes (findings formats, then the map picture).
pub const EXPORT_EXTENSIONS: [&str; 6] = ["csv", "xlsx", "geojson", "shp", "gpkg", "png"];

/// What the export window shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportState {
    pub path_text: String,
    pub filtered_only: bool,
    /// Whether the path's folder exists, looked at when the path is set (not on
    /// every frame: a network folder can take a while to answer).
    pub folder_ok: bool,
}

impl ExportState {
    pub fn new(path_text: String, filtered_only: bool) -> ExportState {
        let mut e = ExportState {
            path_text: String::new(),
            filtered_only,
            folder_ok: true,
        };
        e.set_path(path_text);
        e
    }

    pub fn set_path(&mut self, text: String) {
        self.folder_ok = crate::export::output_folder_problem(Path::new(text.trim())).is_none();
        self.path_text = text;
    }
}

/// Whether `path` names something the export can write.
pub fn is_export_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXPORT_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `path` with its extension replaced by `ext`.
pub fn with_extension(path: &str, ext: &str) -> String {
    PathBuf::from(path)
        .with_extension(ext)
        .to_string_lossy()
        .into_owned()
}

/// A "save to" row of a window: `label`, then the path as typed; the new text when
/// the user changed it.
pub fn path_field(ui: &mut egui::Ui, label: &str, text: &str, id_salt: &str) -> Option<String> {
    ui.horizontal(|ui| {
        ui.label(label);
        let mut text = text.to_owned();
        let resp = ui.add(
            egui::TextEdit::singleline(&mut text)
                .desired_width(420.0)
                .id_salt(id_salt),
        );
        resp.changed().then_some(text)
    })
    .inner
}

/// The export window.
pub fn export_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(ex) = &state.export else { return };
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let mut open = true;
    egui::Window::new(t(Tr::Export))
        .open(&mut open)
        .collapsible(false)
        .default_width(520.0)
        .show(ctx, |ui| {
            if let Some(text) = path_field(ui, t(Tr::ExportPath), &ex.path_text, "export_path") {
                cmds.push(Command::ExportSetPath(text));
            }
            ui.horizontal(|ui| {
                for ext in EXPORT_EXTENSIONS {
                    if ui.button(format!(".{ext}")).clicked() {
                        cmds.push(Command::ExportSetPath(with_extension(&ex.path_text, ext)));
                    }
                }
            });
            ui.weak(t(Tr::ExportMapHint));
            let mut filtered = ex.filtered_only;
            if ui.checkbox(&mut filtered, t(Tr::FilteredOnly)).changed() {
                cmds.push(Command::ExportSetFilteredOnly(filtered));
            }
            let path = PathBuf::from(ex.path_text.trim());
            let named = is_export_path(&path);
            if !named {
                ui.colored_label(ui.visuals().warn_fg_color, t(Tr::BadExportName));
            } else if !ex.folder_ok {
                ui.colored_label(ui.visuals().warn_fg_color, t(Tr::NoSuchFolder));
            }
            let ok = named && ex.folder_ok;
            if ui
                .add_enabled(ok, egui::Button::new(t(Tr::Export)))
                .clicked()
            {
                cmds.push(Command::ExportTo(path));
            }
        });
    if !open {
        cmds.push(Command::CloseExport);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_recognised_by_their_extension() {
        assert!(is_export_path(Path::new("/tmp/问题台账.CSV")));
        assert!(is_export_path(Path::new("map.png")));
        assert!(!is_export_path(Path::new("台账.txt")));
        assert!(!is_export_path(Path::new("台账")));
        assert_eq!(with_extension("/a/问题台账.xlsx", "shp"), "/a/问题台账.shp");
    }
}
