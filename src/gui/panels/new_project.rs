//! The new-project window, for when no system save dialog can be shown: where the
//! project file goes (a name not yet taken in the last folder used, offered), and
//! create. An existing file is never overwritten from here.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::export::path_field;
use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::AppState;

/// What the new-project window shows: the path as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProjectState {
    pub path_text: String,
    /// What is wrong with that path ([`new_project_problem`]), looked at when the
    /// path is set rather than on every frame.
    pub problem: Option<Tr>,
}

impl NewProjectState {
    pub fn new(path_text: String) -> NewProjectState {
        let problem = new_project_problem(Path::new(path_text.trim()));
        NewProjectState { path_text, problem }
    }
}

/// What is wrong with `path` as a new project file, if anything.
pub fn new_project_problem(path: &Path) -> Option<Tr> {
    let is_gpkg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
    if !is_gpkg {
        return Some(Tr::NewProjectNotGpkg);
    }
    if path.exists() {
        return Some(Tr::NewProjectExists);
    }
    match path.parent() {
        Some(dir) if dir.as_os_str().is_empty() || dir.is_dir() => None,
        _ => Some(Tr::NoSuchFolder),
    }
}

/// The new-project window.
pub fn new_project_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(np) = &state.new_project else { return };
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let mut open = true;
    egui::Window::new(t(Tr::NewProject).trim_end_matches('…'))
        .open(&mut open)
        .collapsible(false)
        .default_width(520.0)
        .show(ctx, |ui| {
            if let Some(text) = path_field(ui, t(Tr::ExportPath), &np.path_text, "new_project_path")
            {
                cmds.push(Command::NewProjectSetPath(text));
            }
            let path = PathBuf::from(np.path_text.trim());
            let problem = np.problem;
            if let Some(p) = problem {
                ui.colored_label(ui.visuals().warn_fg_color, t(p));
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(problem.is_none(), egui::Button::new(t(Tr::Create)))
                    .clicked()
                {
                    cmds.push(Command::CreateProject(path));
                    cmds.push(Command::CloseNewProject);
                }
                if ui.button(t(Tr::Cancel)).clicked() {
                    cmds.push(Command::CloseNewProject);
                }
            });
        });
    if !open {
        cmds.push(Command::CloseNewProject);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_project_must_be_a_gpkg_not_yet_there_in_a_folder_that_is() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("汾源县核查.gpkg");
        assert_eq!(new_project_problem(&fresh), None);
        assert_eq!(
            new_project_problem(&dir.path().join("汾源县核查.GPKG")),
            None
        );
        assert_eq!(
            new_project_problem(&dir.path().join("汾源县核查.xlsx")),
            Some(Tr::NewProjectNotGpkg)
        );
        std::fs::write(&fresh, b"").unwrap();
        assert_eq!(new_project_problem(&fresh), Some(Tr::NewProjectExists));
        assert_eq!(
            new_project_problem(&dir.path().join("无此目录").join("a.gpkg")),
            Some(Tr::NoSuchFolder)
        );
    }
}
