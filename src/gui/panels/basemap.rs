//! The basemap section of the layers panel: none (the default), OpenStreetMap,
//! Tianditu with a key, a custom XYZ URL, or an MBTiles/PMTiles file; its opacity,
//! and whether it is loading, failed, or whose credit it carries.

use eframe::egui;

use crate::gui::commands::Command;
use crate::gui::i18n::{Language, Tr};
use crate::gui::map::basemap::BasemapSource;
use crate::gui::map::tiles::fetch::SourceState;
use crate::gui::state::AppState;

/// The choices of the basemap list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    None,
    Osm,
    TiandituVec,
    TiandituImg,
    Custom,
    File,
}

impl Choice {
    const ALL: [Choice; 6] = [
        Choice::None,
        Choice::Osm,
        Choice::TiandituVec,
        Choice::TiandituImg,
        Choice::Custom,
        Choice::File,
    ];

    fn of(source: Option<&BasemapSource>) -> Choice {
        match source {
            None => Choice::None,
            Some(s @ BasemapSource::Xyz { .. }) => match s.as_tianditu() {
                Some((_, true)) => Choice::TiandituImg,
                Some((_, false)) => Choice::TiandituVec,
                None if *s == BasemapSource::openstreetmap() => Choice::Osm,
                None => Choice::Custom,
            },
            Some(_) => Choice::File,
        }
    }

    fn label(self, lang: Language) -> &'static str {
        match self {
            Choice::None => lang.tr(Tr::BasemapNone),
            Choice::Osm => "OpenStreetMap",
            Choice::TiandituVec => lang.tr(Tr::BasemapTiandituVec),
            Choice::TiandituImg => lang.tr(Tr::BasemapTiandituImg),
            Choice::Custom => lang.tr(Tr::BasemapCustom),
            Choice::File => lang.tr(Tr::BasemapOpenFile),
        }
    }
}

/// The basemap section (drawn below the layer list: the basemap is the bottom layer).
pub fn basemap_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let settings = &state.settings.basemap;
    let current = settings.source.as_ref();
    // A form being filled in (Tianditu key, custom URL) lives in egui's memory.
    let form_id = ui.scope_id().with("basemap_form");
    let mut form: Option<Choice> = ui.data(|d| d.get_temp(form_id)).flatten();
    let shown = form.unwrap_or_else(|| Choice::of(current));
    let selected_text = match (form, current) {
        (None, Some(s)) => s.label(lang),
        _ => shown.label(lang).to_owned(),
    };
    let mut chosen = None;
    ui.horizontal(|ui| {
        let label = ui.label(egui::RichText::new(t(Tr::Basemap)).strong());
        egui::ComboBox::from_id_salt("basemap")
            .selected_text(selected_text)
            .width(170.0)
            .show_ui(ui, |ui| {
                for c in Choice::ALL {
                    if ui.selectable_label(c == shown, c.label(lang)).clicked() {
                        chosen = Some(c);
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    if let Some(c) = chosen {
        form = None;
        match c {
            Choice::None => cmds.push(Command::SetBasemap(None)),
            Choice::Osm => cmds.push(Command::SetBasemap(Some(BasemapSource::openstreetmap()))),
            Choice::TiandituVec | Choice::TiandituImg => {
                let imagery = c == Choice::TiandituImg;
                // With a key already given, switching layer needs no form.
                match current.and_then(|s| s.as_tianditu()) {
                    Some((tk, _)) if !tk.is_empty() => {
                        cmds.push(Command::SetBasemap(Some(BasemapSource::tianditu(
                            &tk, imagery,
                        ))));
                    }
                    _ => form = Some(c),
                }
            }
            Choice::Custom => form = Some(c),
            Choice::File => cmds.push(Command::OpenBasemapDialog),
        }
        ui.data_mut(|d| d.insert_temp(form_id, form));
    }
    match form {
        Some(c @ (Choice::TiandituVec | Choice::TiandituImg)) => {
            let initial = current
                .and_then(|s| s.as_tianditu())
                .map(|(tk, _)| tk)
                .unwrap_or_default();
            if let Some(key) = text_form_ui(ui, "tianditu_key", t(Tr::TiandituKey), &initial, lang)
            {
                cmds.push(Command::SetBasemap(Some(BasemapSource::tianditu(
                    &key,
                    c == Choice::TiandituImg,
                ))));
                ui.data_mut(|d| d.insert_temp(form_id, None::<Choice>));
            }
            ui.small(t(Tr::TiandituKeyHint));
        }
        Some(Choice::Custom) => {
            let initial = match current {
                Some(BasemapSource::Xyz { template }) => template.clone(),
                _ => String::new(),
            };
            if let Some(template) = text_form_ui(
                ui,
                "xyz_template",
                "https://…/{z}/{x}/{y}.png",
                &initial,
                lang,
            ) {
                cmds.push(Command::SetBasemap(Some(BasemapSource::Xyz { template })));
                ui.data_mut(|d| d.insert_temp(form_id, None::<Choice>));
            }
        }
        _ => {}
    }
    let Some(source) = current else { return };
    ui.horizontal(|ui| {
        let label = ui.label(t(Tr::Opacity));
        let mut opacity = settings.opacity;
        if ui
            .add(egui::Slider::new(&mut opacity, 0.0..=1.0).show_value(false))
            .labelled_by(label.id)
            .changed()
        {
            cmds.push(Command::SetBasemapOpacity(opacity));
        }
    });
    match state.basemap.cache().map(|c| c.state()) {
        Some(SourceState::Opening) => {
            ui.small(t(Tr::BasemapLoading));
        }
        Some(SourceState::Failed(msg)) => {
            ui.add(egui::Label::new(
                egui::RichText::new(msg)
                    .small()
                    .color(ui.visuals().error_fg_color),
            ));
        }
        Some(SourceState::Ready(info)) => {
            if let Some(credit) = &info.attribution {
                ui.small(credit);
            }
        }
        None => {}
    }
    if matches!(source, BasemapSource::Xyz { .. }) {
        ui.small(t(Tr::BasemapOnlineHint));
    }
}

/// A one-line text field with a "use" button; the text lives in egui's memory while
/// typed. Returns the trimmed text when used (button or Enter) and not empty.
fn text_form_ui(
    ui: &mut egui::Ui,
    salt: &str,
    hint: &str,
    initial: &str,
    lang: Language,
) -> Option<String> {
    let id = ui.scope_id().with(salt);
    let mut text = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(id, || initial.to_owned())
            .clone()
    });
    let mut used = false;
    ui.horizontal(|ui| {
        let resp = ui.add(
            egui::TextEdit::singleline(&mut text)
                .hint_text(hint)
                .desired_width(170.0),
        );
        if resp.changed() {
            ui.data_mut(|d| d.insert_temp(id, text.clone()));
        }
        let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        used = ui.button(lang.tr(Tr::BasemapApply)).clicked() || enter;
    });
    let text = text.trim().to_owned();
    (used && !text.is_empty()).then_some(text)
}
