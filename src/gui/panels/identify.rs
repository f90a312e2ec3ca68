//! The attribute inspector: the fields and values of the feature selected on the map.

use eframe::egui;

use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::AppState;

/// The attributes panel.
pub fn identify_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    ui.heading(t(Tr::Attributes));
    ui.separator();
    let Some(sel) = state.selection else {
        ui.label(t(Tr::IdentifyHint));
        return;
    };
    let Some(l) = state.layer(sel.layer) else {
        ui.label(t(Tr::IdentifyHint));
        return;
    };
    let Some(f) = l.layer.features.get(sel.index) else {
        ui.label(t(Tr::IdentifyHint));
        return;
    };
    ui.label(egui::RichText::new(lang.trf(Tr::SelectedFeature, &[&l.layer.name, &f.fid])).strong());
    ui.horizontal(|ui| {
        if ui.button(t(Tr::ZoomShort)).clicked() {
            cmds.push(Command::ZoomToFeature(sel));
        }
        if ui.button(t(Tr::ClearSelection)).clicked() {
            cmds.push(Command::Select(None));
        }
    });
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("attributes")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                ui.strong(t(Tr::Field));
                ui.strong(t(Tr::Value));
                ui.end_row();
                ui.label(t(Tr::FidLabel));
                ui.label(f.fid.to_string());
                ui.end_row();
                ui.label(t(Tr::Geometry));
                ui.label(
                    f.geometry
                        .as_ref()
                        .map(|g| lang.geometry_kind(crate::model::GeometryKind::of(g)))
                        .unwrap_or("—"),
                );
                ui.end_row();
                for (def, v) in l.layer.fields.iter().zip(&f.attrs) {
                    ui.label(&def.name);
                    ui.add(egui::Label::new(v.to_string()).wrap());
                    ui.end_row();
                }
            });
        // A large file is shown from its geometry first: its fields come later.
        if state.attributes_pending(sel.layer) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(t(Tr::AttributesLoading));
            });
        }
    });
}
