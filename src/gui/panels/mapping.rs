//! The field-mapping window: for the layer's role, every canonical field with why it
//! matters, the column that feeds it (automatic or manual), a column picker with
//! sample values, how the column's values read, and reset, apply and check again.
//! The model is [`crate::gui::mapping`]; this file only draws and pushes commands.

use eframe::egui::{self, Color32, RichText};

use crate::gui::commands::Command;
use crate::gui::i18n::{Language, Tr};
use crate::gui::mapping::{
    FieldNeed, FieldSource, MappingCommand, MappingEditor, field_label, source_of,
};
use crate::gui::state::{AppState, MapLayer};
use crate::rules::{CanonicalField, MapHow, MatchKind, ValueKind};

const RULE_COLOR: Color32 = Color32::from_rgb(200, 60, 30);
const LEDGER_COLOR: Color32 = Color32::from_rgb(40, 110, 190);
const MANUAL_COLOR: Color32 = Color32::from_rgb(150, 80, 190);
const OK_COLOR: Color32 = Color32::from_rgb(40, 140, 60);
/// Sample values shown after a column name (longer lists go to the hover text).
const INLINE_SAMPLES: usize = 3;

/// The button in a layer's row that opens its mapping editor.
pub fn mapping_button_ui(ui: &mut egui::Ui, lang: Language, l: &MapLayer, cmds: &mut Vec<Command>) {
    let resp = ui
        .add_enabled(
            l.role.is_some(),
            egui::Button::new(lang.tr(Tr::FieldMappingButton)),
        )
        .on_disabled_hover_text(lang.tr(Tr::SetRoleFirst));
    // Screen readers (and UI tests) hear which layer the button is for.
    let label = lang.trf(Tr::FieldMappingOf, &[&l.layer.name]);
    let enabled = l.role.is_some();
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, enabled, &label));
    if resp.clicked() {
        cmds.push(Command::Mapping(MappingCommand::Open(l.id)));
    }
}

/// The editor window, when open.
pub fn mapping_window_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(ed) = &state.mapping.editor else {
        return;
    };
    // The layer went away or its role changed (which stores a fresh guess): close.
    if state.layer(ed.layer).and_then(|l| l.role) != Some(ed.role) {
        cmds.push(Command::Mapping(MappingCommand::Close));
        return;
    }
    let lang = state.settings.language;
    let role = match lang {
        Language::Zh => ed.role.label_zh(),
        Language::En => ed.role.label_en(),
    };
    let title = format!(
        "{}（{role}）",
        lang.trf(Tr::FieldMappingOf, &[&ed.layer_name])
    );
    let mut open = true;
    egui::Window::new(title)
        .id(egui::Id::unique("field_mapping_editor"))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_size([900.0, 560.0])
        .show(ctx, |ui| editor_ui(ui, lang, ed, state, cmds));
    if !open {
        cmds.push(Command::Mapping(MappingCommand::Close));
    }
}

fn editor_ui(
    ui: &mut egui::Ui,
    lang: Language,
    ed: &MappingEditor,
    state: &AppState,
    cmds: &mut Vec<Command>,
) {
    let t = |k| lang.tr(k);
    ui.add(egui::Label::new(RichText::new(t(Tr::MappingIntro)).weak()).wrap());
    if ed.table.is_none() {
        ui.colored_label(RULE_COLOR, t(Tr::MappingNotInProject));
    }
    if let Some(e) = &ed.error {
        ui.colored_label(RULE_COLOR, e.as_str());
    }
    // A large file is shown from its geometry first: no columns to map yet.
    let columns_pending = state.attributes_pending(ed.layer);
    if columns_pending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(t(Tr::MappingAttributesLoading));
        });
    } else if !ed.loaded && ed.error.is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(t(Tr::MappingLoading));
        });
    } else if ed.loaded {
        let missing = ed.missing_needed();
        if missing.is_empty() {
            ui.colored_label(OK_COLOR, format!("✓ {}", t(Tr::AllNeededMapped)));
        } else {
            let names: Vec<&str> = missing.iter().map(|f| field_label(*f, lang)).collect();
            ui.colored_label(
                RULE_COLOR,
                format!("！{}", lang.trf(Tr::MissingNeeded, &[&names.join("、")])),
            );
        }
        let unreadable = ed.unreadable_needed();
        if !unreadable.is_empty() {
            let names: Vec<&str> = unreadable.iter().map(|f| field_label(*f, lang)).collect();
            ui.colored_label(
                RULE_COLOR,
                format!("！{}", lang.trf(Tr::NeededUnreadable, &[&names.join("、")])),
            );
        }
    }
    ui.separator();

    // The footer stays visible: the table scrolls in what is left.
    let footer_h = 2.0 * ui.spacing().interact_size.y + 12.0;
    egui::ScrollArea::vertical()
        .max_height((ui.available_height() - footer_h).max(120.0))
        .auto_shrink([false, true])
        .show(ui, |ui| {
            if !columns_pending {
                fields_grid_ui(ui, lang, ed, cmds);
            }
        });
    ui.separator();
    footer_ui(ui, lang, ed, state, cmds);
}

fn fields_grid_ui(ui: &mut egui::Ui, lang: Language, ed: &MappingEditor, cmds: &mut Vec<Command>) {
    let t = |k| lang.tr(k);
    // Before the rules are read, every field of the role shows as optional.
    let fallback: Vec<(CanonicalField, FieldNeed)>;
    let needs = if ed.needs.is_empty() {
        fallback = CanonicalField::ALL
            .into_iter()
            .filter(|f| f.applies_to(ed.role))
            .map(|f| (f, FieldNeed::Optional))
            .collect();
        &fallback
    } else {
        &ed.needs
    };
    egui::Grid::new("mapping_grid")
        .num_columns(6)
        .striped(true)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            for h in [
                Tr::MappingField,
                Tr::MappingNeed,
                Tr::MappingColumn,
                Tr::MappingHow,
                Tr::MappingPreview,
            ] {
                ui.label(RichText::new(t(h)).strong());
            }
            ui.label("");
            ui.end_row();
            for (field, need) in needs {
                field_row_ui(ui, lang, ed, *field, need, cmds);
                ui.end_row();
            }
        });
}

fn field_row_ui(
    ui: &mut egui::Ui,
    lang: Language,
    ed: &MappingEditor,
    field: CanonicalField,
    need: &FieldNeed,
    cmds: &mut Vec<Command>,
) {
    let t = |k| lang.tr(k);
    // Field: the label in the UI language and the key used in rule files.
    ui.horizontal(|ui| {
        ui.label(RichText::new(field_label(field, lang)).strong());
        ui.label(RichText::new(field.code()).small().weak());
    });

    // Needed by.
    match need {
        FieldNeed::Rules(rules) => {
            let list: Vec<String> = rules
                .iter()
                .map(|(id, zh, en)| match lang {
                    Language::Zh => format!("• {zh}（{id}）"),
                    Language::En => format!("• {en} ({id})"),
                })
                .collect();
            ui.label(RichText::new(t(Tr::NeedRules)).color(RULE_COLOR).strong())
                .on_hover_text(format!("{}\n{}", t(Tr::NeededByRules), list.join("\n")));
        }
        FieldNeed::Ledger => {
            ui.label(RichText::new(t(Tr::NeedLedger)).color(LEDGER_COLOR))
                .on_hover_text(t(Tr::NeededByLedger));
        }
        FieldNeed::Optional => {
            ui.label(RichText::new(t(Tr::NeedOptional)).weak());
        }
    }

    // Source: a column picker, and beside it the constant's text when there is one.
    let source = source_of(&ed.draft, field);
    let current = match source {
        FieldSource::Column { name, .. } => Some(name),
        _ => None,
    };
    ui.horizontal(|ui| {
        column_picker_ui(ui, lang, ed, field, cmds);
        if let FieldSource::Constant(c) = source {
            // Each edit goes to the draft; the box shows the draft's text.
            let mut text = c.to_owned();
            let label = format!("{}：{}", t(Tr::ConstantText), field_label(field, lang));
            // A fixed size: in a grid cell the box would shrink to what is left.
            let size = egui::vec2(120.0, ui.spacing().interact_size.y);
            let r = ui.add_sized(
                size,
                egui::TextEdit::singleline(&mut text).hint_text(t(Tr::ConstantText)),
            );
            let enabled = ui.is_enabled();
            r.widget_info(|| {
                let mut info = egui::WidgetInfo::text_edit(enabled, c, c, t(Tr::ConstantText));
                info.label = Some(label.clone());
                info
            });
            if r.changed() {
                cmds.push(Command::Mapping(MappingCommand::SetConstant(field, text)));
            }
        }
    });

    // How: automatic (with the synonym), manual or constant.
    match ed.draft.entries.get(&field) {
        Some(m) => match &m.how {
            MapHow::User => {
                ui.label(RichText::new(t(Tr::HowManual)).color(MANUAL_COLOR).strong());
            }
            MapHow::Guessed { synonym, kind } => {
                let key = match kind {
                    MatchKind::Exact => Tr::GuessedExact,
                    MatchKind::Normalised => Tr::GuessedNormalised,
                    MatchKind::Truncated => Tr::GuessedTruncated,
                };
                ui.label(t(Tr::HowAuto))
                    .on_hover_text(lang.trf(key, &[synonym]));
            }
        },
        None => match ed.draft.constants.get(&field) {
            Some(c) => {
                ui.label(t(Tr::HowConstant))
                    .on_hover_text(lang.trf(Tr::ConstantHint, &[c]));
            }
            None => {
                ui.label(RichText::new("—").weak());
            }
        },
    }

    // Samples, and for fields read as more than text how the values read.
    preview_ui(ui, lang, ed, field, current);

    // Reset to the guess.
    let is_guess = ed.is_guess(field);
    let guess_text = match source_of(&ed.guess, field) {
        FieldSource::Column { name, .. } => name.to_owned(),
        FieldSource::Constant(c) => format!("= {c}"),
        FieldSource::None => t(Tr::NoColumn).to_owned(),
    };
    // Only fields changed from the guess have something to reset.
    if is_guess {
        ui.label("");
    } else if ui
        .add(egui::Button::new(t(Tr::ResetShort)).small())
        .on_hover_text(format!("{}：{guess_text}", t(Tr::ResetToGuess)))
        .clicked()
    {
        cmds.push(Command::Mapping(MappingCommand::ResetField(field)));
    }
}

/// The combo box choosing the column that feeds `field` (or none, or a constant).
fn column_picker_ui(
    ui: &mut egui::Ui,
    lang: Language,
    ed: &MappingEditor,
    field: CanonicalField,
    cmds: &mut Vec<Command>,
) {
    let t = |k| lang.tr(k);
    let source = source_of(&ed.draft, field);
    let current = match source {
        FieldSource::Column { name, .. } => Some(name),
        _ => None,
    };
    let missing_column = current.is_some_and(|c| !ed.columns.iter().any(|n| n == c));
    let selected_text = match source {
        FieldSource::Column { name, .. } if missing_column => {
            RichText::new(format!("！{name}")).color(RULE_COLOR)
        }
        FieldSource::Column { name, .. } => RichText::new(name),
        FieldSource::Constant(c) => RichText::new(format!("= {c}")).italics(),
        FieldSource::None => RichText::new(t(Tr::NoColumn)).weak(),
    };
    let accessible = format!("{}：{}", t(Tr::MappingColumn), field_label(field, lang));
    let current_text = current.unwrap_or(t(Tr::NoColumn)).to_owned();
    let combo = egui::ComboBox::from_id_salt(("mapping_column", field.code()))
        .selected_text(selected_text)
        .width(170.0)
        .height(400.0)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(matches!(source, FieldSource::None), t(Tr::NoColumn))
                .clicked()
            {
                cmds.push(Command::Mapping(MappingCommand::SetColumn(field, None)));
            }
            if ui
                .selectable_label(
                    matches!(source, FieldSource::Constant(_)),
                    t(Tr::ConstantOption),
                )
                .clicked()
                && !matches!(source, FieldSource::Constant(_))
            {
                // Start from the guessed constant when there is one.
                let text = ed.guess.constants.get(&field).cloned().unwrap_or_default();
                cmds.push(Command::Mapping(MappingCommand::SetConstant(field, text)));
            }
            for (i, name) in ed.columns.iter().enumerate() {
                let samples = ed.samples.get(i).map(Vec::as_slice).unwrap_or(&[]);
                ui.horizontal(|ui| {
                    let r = ui
                        .selectable_label(current == Some(name.as_str()), name.as_str())
                        .on_hover_text(samples_hover(lang, samples));
                    if r.clicked() {
                        cmds.push(Command::Mapping(MappingCommand::SetColumn(
                            field,
                            Some(name.clone()),
                        )));
                    }
                    let inline: Vec<_> = samples
                        .iter()
                        .take(INLINE_SAMPLES)
                        .map(|s| truncate(s, 12))
                        .collect();
                    ui.label(RichText::new(inline.join("、")).small().weak());
                });
            }
        });
    let enabled = ui.is_enabled();
    combo.response.widget_info(|| {
        let mut info =
            egui::WidgetInfo::labeled(egui::accesskit::Role::ComboBox, enabled, &accessible);
        info.current_text_value = Some(current_text.clone());
        info
    });
    if missing_column && let Some(c) = current {
        combo
            .response
            .on_hover_text(lang.trf(Tr::ColumnMissing, &[&c]));
    }
}

fn preview_ui(
    ui: &mut egui::Ui,
    lang: Language,
    ed: &MappingEditor,
    field: CanonicalField,
    column: Option<&str>,
) {
    let t = |k| lang.tr(k);
    let Some(col) = column.and_then(|c| ed.columns.iter().position(|n| n == c)) else {
        ui.label("");
        return;
    };
    let samples = ed.samples.get(col).map(Vec::as_slice).unwrap_or(&[]);
    match ed.previews.get(&field) {
        Some(p) if field.kind() != ValueKind::Text => {
            let mut job = egui::text::LayoutJob::default();
            let body = egui::TextStyle::Body.resolve(ui.style());
            let normal = ui.visuals().text_color();
            let weak = ui.visuals().weak_text_color();
            let fmt = |color| egui::TextFormat::simple(body.clone(), color);
            // Unreadable values further down the column are flagged up front.
            if p.unreadable > 0 {
                job.append(&format!("！{} ", p.unreadable), 0.0, fmt(RULE_COLOR));
            }
            for (i, (raw, read)) in p.values.iter().take(4).enumerate() {
                if i > 0 {
                    job.append("  ", 0.0, fmt(weak));
                }
                job.append(&truncate(raw, 10), 0.0, fmt(normal));
                job.append("→", 0.0, fmt(weak));
                match read {
                    Some(r) => job.append(r, 0.0, fmt(OK_COLOR)),
                    None => job.append(t(Tr::Unreadable), 0.0, fmt(RULE_COLOR)),
                }
            }
            let r = preview_cell_ui(ui, egui::Label::new(job).truncate());
            let mut hover = samples_hover(lang, samples);
            if p.unreadable > 0 {
                hover.push('\n');
                hover.push_str(&lang.trf(Tr::UnreadableCount, &[&p.scanned, &p.unreadable]));
            }
            r.on_hover_text(hover);
        }
        _ => {
            let text = if samples.is_empty() {
                t(Tr::NoSamples).to_owned()
            } else {
                samples
                    .iter()
                    .take(INLINE_SAMPLES)
                    .map(|s| truncate(s, 14))
                    .collect::<Vec<_>>()
                    .join("、")
            };
            preview_cell_ui(ui, egui::Label::new(RichText::new(text).weak()).truncate())
                .on_hover_text(samples_hover(lang, samples));
        }
    }
}

/// The preview column is as wide as this, so samples show before they are cut.
const PREVIEW_WIDTH: f32 = 300.0;

fn preview_cell_ui(ui: &mut egui::Ui, label: egui::Label) -> egui::Response {
    let size = egui::vec2(PREVIEW_WIDTH, ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.set_min_width(PREVIEW_WIDTH);
            ui.add(label)
        },
    )
    .inner
}

fn footer_ui(
    ui: &mut egui::Ui,
    lang: Language,
    ed: &MappingEditor,
    state: &AppState,
    cmds: &mut Vec<Command>,
) {
    let t = |k| lang.tr(k);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(ed.can_apply(), egui::Button::new(t(Tr::ApplyMapping)))
            .clicked()
        {
            cmds.push(Command::Mapping(MappingCommand::Apply));
        }
        if ui
            .add_enabled(
                ed.draft != ed.guess,
                egui::Button::new(t(Tr::ResetAllToGuess)),
            )
            .clicked()
        {
            cmds.push(Command::Mapping(MappingCommand::ResetAll));
        }
        if ui.button(t(Tr::Close)).clicked() {
            cmds.push(Command::Mapping(MappingCommand::Close));
        }
        ui.separator();
        if ed.saving {
            ui.spinner();
            ui.label(t(Tr::Saving));
        } else if ed.is_dirty() {
            ui.colored_label(RULE_COLOR, t(Tr::MappingUnsaved));
        } else if ed.saved {
            ui.colored_label(OK_COLOR, format!("✓ {}", t(Tr::Saved)));
        }
        if state.mapping.findings_stale {
            let checking = state.jobs.iter().any(|j| j.name == t(Tr::RunCheck));
            ui.label(RichText::new(t(Tr::MappingStale)).color(RULE_COLOR));
            if ui
                .add_enabled(!checking, egui::Button::new(t(Tr::Recheck)))
                .clicked()
            {
                cmds.push(Command::RunCheck);
            }
        }
    });
}

/// The hover text listing a column's sample values.
fn samples_hover(lang: Language, samples: &[String]) -> String {
    if samples.is_empty() {
        return lang.tr(Tr::NoSamples).to_owned();
    }
    format!("{}\n{}", lang.tr(Tr::SampleValues), samples.join("\n"))
}

/// At most `n` characters of `s`, with `…` when cut.
fn truncate(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]).into(),
        None => s.into(),
    }
}
