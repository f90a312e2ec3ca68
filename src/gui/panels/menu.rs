//! The menu bar (项目/图层/视图/帮助 and the language switch) and the status bar
//! (last message, job progress with cancel buttons).

use eframe::egui;

use crate::gui::commands::{Command, PanelKind};
use crate::gui::i18n::Tr;
use crate::gui::state::AppState;

/// The top menu bar.
pub fn menu_bar_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button(t(Tr::MenuProject), |ui| {
            if ui.button(t(Tr::NewProject)).clicked() {
                cmds.push(Command::NewProject);
            }
            if ui.button(t(Tr::OpenProject)).clicked() {
                cmds.push(Command::OpenProject);
            }
            ui.menu_button(t(Tr::RecentProjects), |ui| {
                if state.settings.recent_projects.is_empty() {
                    ui.label(t(Tr::Empty));
                }
                for p in &state.settings.recent_projects {
                    if ui.button(p.display().to_string()).clicked() {
                        cmds.push(Command::OpenProjectPath(p.clone()));
                    }
                }
            });
            ui.separator();
            let open = state.project.is_some();
            if ui
                .add_enabled(open, egui::Button::new(t(Tr::RunCheck)))
                .clicked()
            {
                cmds.push(Command::RunCheck);
            }
            if ui
                .add_enabled(open, egui::Button::new(t(Tr::ExportFindings)))
                .clicked()
            {
                cmds.push(Command::ExportDialog(false));
            }
            if ui.button(t(Tr::ExportMap)).clicked() {
                cmds.push(Command::ExportDialog(true));
            }
            ui.separator();
            ui.horizontal(|ui| {
                ui.label(t(Tr::Reviewer));
                let mut name = state.settings.reviewer.clone();
                let edit = egui::TextEdit::singleline(&mut name).desired_width(120.0);
                if ui.add(edit).changed() {
                    cmds.push(Command::SetReviewer(name));
                }
            });
            ui.separator();
            if ui.button(t(Tr::Quit)).clicked() {
                cmds.push(Command::Quit);
            }
        });
        ui.menu_button(t(Tr::MenuLayer), |ui| {
            if ui.button(t(Tr::AddLayers)).clicked() {
                cmds.push(Command::AddLayersDialog);
            }
            if ui.button(t(Tr::AddLayersInApp)).clicked() {
                cmds.push(Command::OpenFileChooser);
            }
            ui.separator();
            if ui.button(t(Tr::BasemapOpenFile)).clicked() {
                cmds.push(Command::OpenBasemapDialog);
            }
        });
        ui.menu_button(t(Tr::MenuView), |ui| {
            if ui.button(t(Tr::ZoomToAll)).clicked() {
                cmds.push(Command::ZoomToAll);
            }
            ui.separator();
            let layout = &state.settings.layout;
            for (kind, on, key) in [
                (PanelKind::Layers, layout.show_layers, Tr::ShowLayers),
                (
                    PanelKind::Attributes,
                    layout.show_attributes,
                    Tr::ShowAttributes,
                ),
                (PanelKind::Problems, layout.show_problems, Tr::ShowProblems),
                (PanelKind::Findings, layout.show_findings, Tr::ShowFindings),
                (PanelKind::Dashboard, layout.show_dashboard, Tr::Dashboard),
            ] {
                if ui.selectable_label(on, t(key)).clicked() {
                    cmds.push(Command::TogglePanel(kind));
                }
            }
        });
        ui.menu_button(t(Tr::MenuHelp), |ui| {
            if ui.button(t(Tr::About)).clicked() {
                cmds.push(Command::ShowAbout(true));
            }
        });
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // The switch shows the language it switches to, in that language.
            let other = lang.other();
            if ui
                .button(other.native_name())
                .on_hover_text(t(Tr::Language))
                .clicked()
            {
                cmds.push(Command::SetLanguage(other));
            }
        });
    });
}

/// The status bar: the last message on the left, running jobs on the right.
pub fn status_bar_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    ui.horizontal(|ui| {
        let msg = state.status.as_deref().unwrap_or(lang.tr(Tr::Ready));
        ui.label(msg);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // A check asked for while layers are still being read or saved.
            if let Some(names) = state.check_waiting.as_ref().filter(|n| !n.is_empty()) {
                ui.label(lang.trf(Tr::CheckWaiting, &[&names.join("、")]));
                ui.spinner();
            }
            for job in &state.jobs {
                let cancel =
                    ui.add_enabled(!job.cancelling, egui::Button::new(lang.tr(Tr::Cancel)));
                if cancel.clicked() {
                    cmds.push(Command::CancelJob(job.id));
                }
                ui.add(
                    egui::ProgressBar::new(job.progress)
                        .desired_width(160.0)
                        .text(job.name.as_str()),
                );
            }
        });
    });
}

/// The "about" window.
pub fn about_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    if !state.show_about {
        return;
    }
    let lang = state.settings.language;
    let mut open = true;
    egui::Window::new(lang.tr(Tr::About))
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            ui.heading(lang.tr(Tr::AppTitle));
            ui.label(lang.tr(Tr::AboutText));
            ui.label(format!("v{}", env!("CARGO_PKG_VERSION")));
        });
    if !open {
        cmds.push(Command::ShowAbout(false));
    }
}
