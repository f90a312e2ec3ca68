//! The problems list: every file that could not be read and every record, row or
//! field a reader or the map could not use, with what to do about it.

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use crate::gui::commands::Command;
use crate::gui::i18n::{Language, Tr};
use crate::gui::state::{AppState, FeatureRef};
use crate::model::{Fid, ProblemLevel};

/// The loaded feature a problem is about: the layer read from `file` with record `fid`.
fn feature_of(state: &AppState, file: &std::path::Path, fid: Fid) -> Option<FeatureRef> {
    state.layers.iter().find_map(|l| {
        if l.layer.source != file {
            return None;
        }
        // Features are in record order, so the index is usually the fid itself.
        let index = match l.layer.features.get(fid as usize) {
            Some(f) if f.fid == fid => fid as usize,
            _ => l.layer.features.iter().position(|f| f.fid == fid)?,
        };
        Some(FeatureRef { layer: l.id, index })
    })
}

/// The problems panel.
pub fn problems_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let problems: Vec<_> = state.all_problems().collect();
    ui.horizontal(|ui| {
        ui.heading(t(Tr::Problems));
        ui.label(format!("({})", problems.len()));
    });
    if problems.is_empty() {
        ui.label(t(Tr::NoProblems));
        return;
    }
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        // Wide enough for "warning" and "Record/row" after a switch to English.
        .column(Column::auto().at_least(58.0))
        .column(Column::initial(180.0).at_least(60.0).clip(true))
        .column(Column::auto().at_least(80.0))
        .column(Column::initial(90.0).clip(true))
        .column(Column::initial(320.0).at_least(80.0).clip(true))
        .column(Column::remainder().clip(true))
        .header(20.0, |mut h| {
            for k in [
                Tr::Level,
                Tr::File,
                Tr::Record,
                Tr::Field,
                Tr::Message,
                Tr::Hint,
            ] {
                h.col(|ui| {
                    ui.strong(t(k));
                });
            }
        })
        .body(|body| {
            body.rows(18.0, problems.len(), |mut row| {
                let p = problems[row.index()];
                row.col(|ui| {
                    match p.level {
                        ProblemLevel::Error => {
                            ui.colored_label(ui.visuals().error_fg_color, t(Tr::LevelError))
                        }
                        ProblemLevel::Warning => {
                            ui.colored_label(ui.visuals().warn_fg_color, t(Tr::LevelWarning))
                        }
                    };
                });
                row.col(|ui| {
                    let name = p
                        .file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| p.file.display().to_string());
                    ui.label(name).on_hover_text(p.file.display().to_string());
                });
                row.col(|ui| {
                    let where_ = match (p.row, p.record) {
                        (Some(r), _) => format!("{r}"),
                        (None, Some(fid)) => format!("#{fid}"),
                        (None, None) => String::new(),
                    };
                    // A record of a loaded layer links to it on the map.
                    match p.record.and_then(|fid| feature_of(state, &p.file, fid)) {
                        Some(fr) if !where_.is_empty() => {
                            if ui.link(where_).clicked() {
                                cmds.push(Command::Select(Some(fr)));
                                cmds.push(Command::ZoomToFeature(fr));
                            }
                        }
                        _ => {
                            ui.label(where_);
                        }
                    }
                });
                row.col(|ui| {
                    ui.label(p.field.as_deref().unwrap_or(""));
                });
                // Chinese when the problem has it and the UI speaks Chinese.
                let (message, hint) = p.text(lang == Language::Zh);
                row.col(|ui| {
                    ui.label(message).on_hover_text(message);
                });
                row.col(|ui| {
                    ui.label(hint.unwrap_or(""));
                });
            });
        });
}
