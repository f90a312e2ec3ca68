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
            ui.horizontal(|ui| {
                ui.label(t(Tr::ExportPath));
                let mut text = ex.path_text.clone();
                let resp = ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .desired_width(420.0)
                        .id_salt("export_path"),
                );
                if resp.changed() {
                    cmds.push(Command::ExportSetPath(text));
                }
            });
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
            let folder_ok = crate::export::output_folder_problem(&path).is_none();
            if !named {
                ui.colored_label(ui.visuals().warn_fg_color, t(Tr::BadExportName));
            } else if !folder_ok {
                ui.colored_label(ui.visuals().warn_fg_color, t(Tr::NoSuchFolder));
            }
            let ok = named && folder_ok;
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
