//! The layer list: visibility, order, colour, opacity, and per layer what was
//! detected on reading (encoding, CRS) with a way to read it again differently;
//! the basemap section below it.

use eframe::egui;

use crate::gui::commands::Command;
use crate::gui::i18n::{Language, Tr};
use crate::gui::state::{AppState, MapLayer};
use crate::rules::roles::LayerRole;

/// Encodings offered when a layer's text looks wrong.
pub const ENCODINGS: [&encoding_rs::Encoding; 4] = [
    encoding_rs::UTF_8,
    encoding_rs::GBK,
    encoding_rs::GB18030,
    encoding_rs::BIG5,
];

/// The layers panel.
pub fn layers_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    ui.heading(lang.tr(Tr::Layers));
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        if state.layers.is_empty() {
            ui.label(lang.tr(Tr::NoLayers));
            ui.separator();
        }
        let n = state.layers.len();
        for (pos, l) in state.layers.iter().enumerate() {
            ui.push_id(l.id.0, |ui| layer_row_ui(ui, lang, l, pos, n, cmds));
            ui.separator();
        }
        // The basemap is the bottom layer.
        super::basemap::basemap_ui(ui, state, cmds);
    });
}

fn layer_row_ui(
    ui: &mut egui::Ui,
    lang: Language,
    l: &MapLayer,
    pos: usize,
    n: usize,
    cmds: &mut Vec<Command>,
) {
    let t = |k| lang.tr(k);
    ui.horizontal(|ui| {
        let mut visible = l.style.visible;
        if ui
            .checkbox(&mut visible, "")
            .on_hover_text(t(Tr::Visible))
            .changed()
        {
            cmds.push(Command::SetVisible(l.id, visible));
        }
        let mut color = l.style.color;
        if ui
            .color_edit_button_srgba(&mut color)
            .on_hover_text(t(Tr::Color))
            .changed()
        {
            cmds.push(Command::SetColor(l.id, color));
        }
        // The name takes what the mapping button leaves.
        let name_w = (ui.available_width() - 90.0).max(40.0);
        let name_size = egui::vec2(name_w, ui.spacing().interact_size.y);
        ui.allocate_ui_with_layout(
            name_size,
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                let name = ui
                    .add(egui::Label::new(egui::RichText::new(&l.layer.name).strong()).truncate());
                name.on_hover_text(l.path.display().to_string());
            },
        );
        super::mapping::mapping_button_ui(ui, lang, l, cmds);
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(pos > 0, egui::Button::new("▲"))
            .on_hover_text(t(Tr::MoveUp))
            .clicked()
        {
            cmds.push(Command::MoveLayer(l.id, -1));
        }
        if ui
            .add_enabled(pos + 1 < n, egui::Button::new("▼"))
            .on_hover_text(t(Tr::MoveDown))
            .clicked()
        {
            cmds.push(Command::MoveLayer(l.id, 1));
        }
        if ui
            .add_enabled(
                l.display.as_ref().is_some_and(|d| d.bbox.is_some()),
                egui::Button::new(t(Tr::ZoomShort)),
            )
            .on_hover_text(t(Tr::ZoomToLayer))
            .clicked()
        {
            cmds.push(Command::ZoomToLayer(l.id));
        }
        if ui
            .button(t(Tr::RemoveShort))
            .on_hover_text(t(Tr::RemoveLayer))
            .clicked()
        {
            cmds.push(Command::RemoveLayer(l.id));
        }
        let mut opacity = l.style.opacity;
        if ui
            .add(egui::Slider::new(&mut opacity, 0.0..=1.0).show_value(false))
            .on_hover_text(t(Tr::Opacity))
            .changed()
        {
            cmds.push(Command::SetOpacity(l.id, opacity));
        }
    });
    egui::CollapsingHeader::new(format!(
        "{} · {}",
        lang.geometry_kind(l.layer.geometry_kind),
        lang.trf(Tr::Features, &[&l.layer.features.len()])
    ))
    .id_salt("details")
    .show(ui, |ui| layer_details_ui(ui, lang, l, cmds));
}

fn layer_details_ui(ui: &mut egui::Ui, lang: Language, l: &MapLayer, cmds: &mut Vec<Command>) {
    let t = |k| lang.tr(k);
    egui::Grid::new("details_grid")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label(t(Tr::Source));
            ui.label(l.layer.format.label());
            ui.end_row();

            ui.label(t(Tr::Crs));
            let crs_text = match &l.layer.crs.crs {
                Some(c) => c.to_string(),
                None => t(Tr::CrsUnknown).to_owned(),
            };
            ui.add(egui::Label::new(crs_text).wrap())
                .on_hover_text(l.layer.crs.source.describe());
            ui.end_row();

            // The override box keeps its text in egui's memory while being typed.
            ui.label("");
            ui.horizontal(|ui| {
                let id = ui.scope_id().with("crs_override");
                let mut text = ui.data_mut(|d| {
                    d.get_temp_mut_or_insert_with(id, || {
                        l.layer
                            .crs
                            .crs
                            .as_ref()
                            .and_then(|c| c.epsg)
                            .map(|e| format!("EPSG:{e}"))
                            .unwrap_or_default()
                    })
                    .clone()
                });
                let resp = ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text("EPSG:4546")
                        .desired_width(90.0),
                );
                if resp.changed() {
                    ui.data_mut(|d| d.insert_temp(id, text.clone()));
                }
                let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button(t(Tr::ApplyCrs)).clicked() || enter) && !text.trim().is_empty() {
                    cmds.push(Command::ReloadWithCrs(l.id, text.trim().to_owned()));
                }
            });
            ui.end_row();

            ui.label(t(Tr::Encoding));
            match &l.layer.encoding {
                Some(enc) => {
                    let mut chosen = enc.encoding;
                    egui::ComboBox::from_id_salt("encoding")
                        .selected_text(enc.name())
                        .show_ui(ui, |ui| {
                            for e in ENCODINGS {
                                ui.selectable_value(&mut chosen, e, e.name());
                            }
                        })
                        .response
                        .on_hover_text(enc.source.describe());
                    if chosen != enc.encoding {
                        cmds.push(Command::ReloadWithEncoding(l.id, chosen));
                    }
                }
                None => {
                    ui.label("UTF-8");
                }
            }
            ui.end_row();

            ui.label(t(Tr::Role));
            let role_label = |r: Option<LayerRole>| match r {
                None => t(Tr::RoleUnknown),
                Some(r) => match lang {
                    Language::Zh => r.label_zh(),
                    Language::En => r.label_en(),
                },
            };
            let mut role = l.role;
            egui::ComboBox::from_id_salt("role")
                .selected_text(role_label(role))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut role, None, role_label(None));
                    for r in LayerRole::ALL {
                        ui.selectable_value(&mut role, Some(r), role_label(Some(r)));
                    }
                });
            if role != l.role {
                cmds.push(Command::SetRole(l.id, role));
            }
            ui.end_row();

            ui.label(t(Tr::Name));
            let current = l
                .label_field
                .and_then(|i| l.layer.fields.get(i))
                .map(|f| f.name.as_str())
                .unwrap_or("—");
            let mut chosen = l.label_field;
            egui::ComboBox::from_id_salt("label_field")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut chosen, None, "—");
                    for (i, f) in l.layer.fields.iter().enumerate() {
                        ui.selectable_value(&mut chosen, Some(i), &f.name);
                    }
                });
            if chosen != l.label_field {
                cmds.push(Command::SetLabelField(l.id, chosen));
            }
            ui.end_row();
        });
}
