//! The findings panel: the ledger table (sort by clicking a header; filter by rule,
//! severity, county, status and text), the review pane of the selected finding
//! (status buttons, note, who and when, save state, history) with keyboard
//! shortcuts, and the map overlay that outlines the zone the selected site broke.

use eframe::egui::{self, Color32, Key, Modifiers, RichText, Sense, Stroke};
use egui_extras::{Column, TableBuilder};
use geo_types::Geometry;

use crate::gui::commands::Command;
use crate::gui::findings::{FindingFilter, FindingsState, SaveState, SortKey};
use crate::gui::i18n::{Language, Tr};
use crate::gui::map::view::{LonLat, WorldPos, world_from_lonlat};
use crate::gui::project_tasks::status_label;
use crate::gui::state::AppState;
use crate::model::{ReviewStatus, Severity};
use crate::project::{FindingRow, Presence};

/// Id of the note box (the N shortcut focuses it).
pub fn note_id() -> egui::Id {
    egui::Id::unique("qingling_review_note")
}

/// A severity's label in the UI language.
pub fn severity_label(s: Severity, lang: Language) -> &'static str {
    match lang {
        Language::Zh => s.label_zh(),
        Language::En => match s {
            Severity::Violation => "violation",
            Severity::TaskPending => "task pending",
            Severity::NeedsReview => "needs review",
        },
    }
}

/// Colour of a status in the table.
fn status_color(s: ReviewStatus) -> Color32 {
    match s {
        ReviewStatus::Pending => Color32::from_rgb(200, 90, 0),
        ReviewStatus::Confirmed => Color32::from_rgb(200, 30, 30),
        ReviewStatus::FalsePositive => Color32::from_rgb(110, 110, 110),
        ReviewStatus::Rectifying => Color32::from_rgb(30, 100, 200),
        ReviewStatus::Cleared => Color32::from_rgb(30, 140, 60),
    }
}

/// The findings panel (table on the left, review pane on the right).
pub fn findings_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    keyboard(ui, state, cmds);
    ui.horizontal(|ui| {
        ui.heading(t(Tr::Findings));
        ui.label(lang.trf(Tr::Shown, &[&fs.view.len(), &fs.rows.len()]));
        let has_project = state.project.is_some();
        let checking = state.jobs.iter().any(|j| j.name == t(Tr::RunCheck));
        if ui
            .add_enabled(has_project && !checking, egui::Button::new(t(Tr::RunCheck)))
            .on_disabled_hover_text(t(Tr::NoProject))
            .clicked()
        {
            cmds.push(Command::RunCheck);
        }
        if state.mapping.findings_stale {
            ui.colored_label(Color32::from_rgb(200, 90, 0), t(Tr::MappingStale));
        }
        if ui
            .add_enabled(has_project, egui::Button::new(t(Tr::ExportFindings)))
            .clicked()
        {
            cmds.push(Command::ExportDialog(false));
        }
        if ui
            .selectable_label(state.settings.layout.show_dashboard, t(Tr::Dashboard))
            .clicked()
        {
            cmds.push(Command::TogglePanel(
                crate::gui::commands::PanelKind::Dashboard,
            ));
        }
        if let Some(msg) = &fs.last_run {
            ui.label(RichText::new(msg).weak());
        }
    });
    if state.project.is_none() {
        ui.label(t(Tr::NoProject));
        return;
    }
    filters_ui(ui, state, cmds);
    ui.separator();
    egui::Panel::right("review_pane")
        .resizable(true)
        .default_size(340.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("review_scroll")
                .show(ui, |ui| review_ui(ui, state, cmds));
        });
    if fs.rows.is_empty() {
        ui.label(t(Tr::NoFindings));
        return;
    }
    table_ui(ui, state, cmds);
}

fn keyboard(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let fs = &state.findings;
    let note_focused = ui.memory(|m| m.has_focus(note_id()));
    if note_focused {
        if ui.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::Enter))
            && let Some(row) = fs.selected_row()
        {
            cmds.push(Command::Review {
                finding_id: row.finding.finding_id.clone(),
                status: None,
                note: Some(fs.note_draft.clone()),
            });
        }
        return;
    }
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let keys = [Key::Num1, Key::Num2, Key::Num3, Key::Num4, Key::Num5];
    for (key, status) in keys.into_iter().zip(ReviewStatus::ALL) {
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, key))
            && let Some(row) = fs.selected_row()
        {
            cmds.push(review_command(fs, row, Some(status)));
        }
    }
    if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::N)) && fs.selected.is_some() {
        ui.memory_mut(|m| m.request_focus(note_id()));
    }
    for (key, delta) in [(Key::ArrowDown, 1), (Key::ArrowUp, -1)] {
        if ui.input_mut(|i| i.consume_key(Modifiers::NONE, key))
            && let Some(id) = fs.step(delta)
        {
            cmds.push(Command::SelectFinding(Some(id)));
        }
    }
}

/// Set a status; a note typed but not saved goes with it.
fn review_command(fs: &FindingsState, row: &FindingRow, status: Option<ReviewStatus>) -> Command {
    let note = (fs.note_draft != row.finding.note).then(|| fs.note_draft.clone());
    Command::Review {
        finding_id: row.finding.finding_id.clone(),
        status,
        note,
    }
}

fn filters_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    let (rules, counties) = fs.choices();
    let mut f: FindingFilter = fs.filter.clone();
    ui.horizontal_wrapped(|ui| {
        ui.label(t(Tr::ColRule));
        let rule_title = |id: &str| fs.rule_titles.title(id, lang).to_owned();
        egui::ComboBox::from_id_salt("filter_rule")
            .width(220.0)
            .selected_text(f.rule.as_deref().map_or(t(Tr::All).to_owned(), rule_title))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.rule, None, t(Tr::All));
                for r in &rules {
                    ui.selectable_value(&mut f.rule, Some(r.clone()), rule_title(r))
                        .on_hover_text(r);
                }
            });
        ui.label(t(Tr::ColSeverity));
        egui::ComboBox::from_id_salt("filter_severity")
            .selected_text(f.severity.map_or(t(Tr::All), |s| severity_label(s, lang)))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.severity, None, t(Tr::All));
                for s in [
                    Severity::Violation,
                    Severity::TaskPending,
                    Severity::NeedsReview,
                ] {
                    ui.selectable_value(&mut f.severity, Some(s), severity_label(s, lang));
                }
            });
        ui.label(t(Tr::ColCounty));
        let county_text = |c: &Option<String>| c.clone().unwrap_or_else(|| t(Tr::NoCounty).into());
        egui::ComboBox::from_id_salt("filter_county")
            .selected_text(
                f.county
                    .as_ref()
                    .map_or_else(|| t(Tr::All).to_owned(), county_text),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.county, None, t(Tr::All));
                for c in &counties {
                    ui.selectable_value(&mut f.county, Some(c.clone()), county_text(c));
                }
            });
        ui.label(t(Tr::ColStatus));
        egui::ComboBox::from_id_salt("filter_status")
            .selected_text(f.status.map_or(t(Tr::All), |s| status_label(s, lang)))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.status, None, t(Tr::All));
                for s in ReviewStatus::ALL {
                    ui.selectable_value(&mut f.status, Some(s), status_label(s, lang));
                }
            });
        ui.add(
            egui::TextEdit::singleline(&mut f.text)
                .hint_text(t(Tr::Search))
                .desired_width(160.0)
                .id_salt("filter_text"),
        );
    });
    if f != fs.filter {
        cmds.push(Command::SetFindingFilter(f));
    }
}

fn table_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let fs = &state.findings;
    ui.style_mut().interaction.selectable_labels = false;
    // Follow a selection made elsewhere (map click, keyboard) once.
    let scroll_mem = egui::Id::unique("findings_scrolled_to");
    let scrolled: Option<String> = ui.data(|d| d.get_temp(scroll_mem));
    let scroll_to = if fs.selected != scrolled {
        ui.data_mut(|d| d.insert_temp(scroll_mem, fs.selected.clone()));
        fs.selected_position()
    } else {
        None
    };
    // Wider than the pane (columns widened by hand, a narrow window): scrolled
    // sideways rather than drawn under the review pane.
    egui::ScrollArea::horizontal()
        .id_salt("findings_table_across")
        .show(ui, |ui| table_columns_ui(ui, state, cmds, scroll_to));
}

/// Starting widths of the rule, site and zone columns: 180, 160 and 170 points
/// where the pane has room for them and the note column; narrower, down to
/// [`FLEXIBLE_MIN`], where it has not.
fn flexible_widths(available: f32, spacing: f32) -> [f32; 3] {
    const FIXED: f32 = 70.0 + 70.0 + 80.0 + 70.0 + 70.0;
    const NOTE: f32 = 100.0;
    let preferred = [180.0, 160.0, 170.0];
    let room = available - FIXED - NOTE - spacing * 9.0;
    let scale = (room / preferred.iter().sum::<f32>()).min(1.0);
    preferred.map(|w| (w * scale).max(FLEXIBLE_MIN))
}

/// The narrowest the rule, site and zone columns start.
const FLEXIBLE_MIN: f32 = 90.0;

fn table_columns_ui(
    ui: &mut egui::Ui,
    state: &AppState,
    cmds: &mut Vec<Command>,
    scroll_to: Option<usize>,
) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    let [rule_w, site_w, zone_w] =
        flexible_widths(ui.available_width(), ui.spacing().item_spacing.x);
    let mut table = TableBuilder::new(ui)
        .id_salt("findings_table")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .column(Column::exact(70.0))
        .column(Column::initial(rule_w).clip(true))
        .column(Column::initial(70.0).clip(true))
        .column(Column::initial(site_w).clip(true))
        .column(Column::initial(zone_w).clip(true))
        .column(Column::initial(80.0))
        .column(Column::initial(70.0).clip(true))
        .column(Column::initial(70.0))
        .column(Column::remainder().at_least(100.0).clip(true));
    if let Some(pos) = scroll_to {
        table = table.scroll_to_row(pos, None);
    }
    let columns = [
        (Tr::ColPresence, SortKey::Presence),
        (Tr::ColRule, SortKey::Rule),
        (Tr::ColSeverity, SortKey::Severity),
        (Tr::ColSite, SortKey::Site),
        (Tr::ColZone, SortKey::Zone),
        (Tr::ColDistance, SortKey::Distance),
        (Tr::ColCounty, SortKey::County),
        (Tr::ColStatus, SortKey::Status),
    ];
    table
        .header(22.0, |mut h| {
            for (key, sort) in columns {
                h.col(|ui| {
                    let arrow = match fs.sort {
                        Some((k, true)) if k == sort => " ▲",
                        Some((k, false)) if k == sort => " ▼",
                        _ => "",
                    };
                    if ui
                        .add(
                            egui::Button::new(RichText::new(format!("{}{arrow}", t(key))).strong())
                                .frame(false),
                        )
                        .clicked()
                    {
                        cmds.push(Command::SortFindings(sort));
                    }
                });
            }
            h.col(|ui| {
                ui.strong(t(Tr::ColNote));
            });
        })
        .body(|body| {
            body.rows(20.0, fs.view.len(), |mut row| {
                let r = &fs.rows[fs.view[row.index()]];
                let f = &r.finding;
                let selected = fs.selected.as_deref() == Some(f.finding_id.as_str());
                row.set_selected(selected);
                row.col(|ui| presence_badge(ui, r, lang, fs.saves.get(&f.finding_id)));
                row.col(|ui| rule_label(ui, fs, &f.rule_id, lang));
                row.col(|ui| {
                    ui.label(severity_label(f.severity, lang));
                });
                row.col(|ui| {
                    ui.label(&f.site_name)
                        .on_hover_text(format!("{} #{}", f.site_layer, f.site_fid));
                });
                row.col(|ui| {
                    ui.label(zone_text(r));
                });
                row.col(|ui| {
                    ui.label(f.distance_m.map(|d| format!("{d:.1}")).unwrap_or_default());
                });
                row.col(|ui| {
                    ui.label(f.county.as_deref().unwrap_or(""));
                });
                row.col(|ui| {
                    ui.colored_label(status_color(f.status), status_label(f.status, lang));
                });
                row.col(|ui| {
                    ui.label(&f.note);
                });
                if row.response().clicked() {
                    cmds.push(Command::SelectFinding(Some(f.finding_id.clone())));
                }
            });
        });
}

fn zone_text(r: &FindingRow) -> String {
    let f = &r.finding;
    match (&f.zone_name, &f.zone_level) {
        (Some(n), Some(l)) => format!("{n} · {l}"),
        (Some(n), None) => n.clone(),
        (None, Some(l)) => l.clone(),
        (None, None) => f.zone_layer.clone().unwrap_or_default(),
    }
}

fn presence_badge(ui: &mut egui::Ui, r: &FindingRow, lang: Language, save: Option<&SaveState>) {
    match r.presence {
        Presence::New => {
            ui.label(
                RichText::new(lang.tr(Tr::PresenceNew))
                    .color(Color32::WHITE)
                    .background_color(Color32::from_rgb(200, 60, 40)),
            )
            .on_hover_text(lang.tr(Tr::PresenceNewHint));
        }
        Presence::ResolvedByData => {
            ui.label(
                RichText::new(lang.tr(Tr::PresenceResolved))
                    .color(Color32::WHITE)
                    .background_color(Color32::from_rgb(60, 130, 80)),
            )
            .on_hover_text(lang.tr(Tr::PresenceResolvedHint));
        }
        Presence::Existing => {}
    }
    match save {
        Some(SaveState::Saving) => {
            ui.spinner().on_hover_text(lang.tr(Tr::Saving));
        }
        Some(SaveState::Failed(msg)) => {
            ui.colored_label(ui.visuals().error_fg_color, "!")
                .on_hover_text(lang.trf(Tr::SaveFailed, &[msg]));
        }
        _ => {}
    }
}

/// A rule by its title on one line, cut short if need be; in full with its id on
/// hover.
fn rule_label(ui: &mut egui::Ui, fs: &FindingsState, rule_id: &str, lang: Language) {
    let title = fs.rule_titles.title(rule_id, lang);
    let label = egui::Label::new(title)
        .truncate()
        .show_tooltip_when_elided(false);
    ui.add(label).on_hover_text(format!("{title}\n{rule_id}"));
}

fn review_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    ui.strong(t(Tr::Review));
    let Some(r) = fs.selected_row() else {
        ui.label(t(Tr::SelectFindingHint));
        ui.separator();
        ui.weak(t(Tr::Shortcuts));
        return;
    };
    let f = &r.finding;
    // The site, its rule (one line, in full on hover) and the decision first: the
    // pane is short beside the ledger, and the zone and distance are in the row too.
    ui.horizontal_wrapped(|ui| {
        ui.heading(&f.site_name);
        if r.presence != Presence::Existing {
            presence_badge(ui, r, lang, None);
        }
    });
    rule_label(ui, fs, &f.rule_id, lang);
    ui.horizontal_wrapped(|ui| {
        for (n, s) in ReviewStatus::ALL.into_iter().enumerate() {
            let text = RichText::new(format!("{} {}", n + 1, status_label(s, lang)))
                .color(status_color(s));
            if ui
                .add(egui::Button::selectable(f.status == s, text))
                .clicked()
            {
                cmds.push(review_command(fs, r, Some(s)));
            }
        }
    });
    ui.label(t(Tr::ColNote));
    let mut draft = fs.note_draft.clone();
    let resp = ui.add(
        egui::TextEdit::multiline(&mut draft)
            .id(note_id())
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    );
    if resp.changed() {
        cmds.push(Command::EditNote(draft));
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(fs.note_draft != f.note, egui::Button::new(t(Tr::SaveNote)))
            .clicked()
        {
            cmds.push(Command::Review {
                finding_id: f.finding_id.clone(),
                status: None,
                note: Some(fs.note_draft.clone()),
            });
        }
        match fs.saves.get(&f.finding_id) {
            Some(SaveState::Saving) => {
                ui.spinner();
                ui.label(t(Tr::Saving));
            }
            Some(SaveState::Saved) => {
                ui.colored_label(Color32::from_rgb(30, 140, 60), t(Tr::Saved));
            }
            Some(SaveState::Failed(msg)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    lang.trf(Tr::SaveFailed, &[msg]),
                );
            }
            None => {}
        }
    });
    if let (Some(who), Some(at)) = (&r.reviewer, &r.updated_at) {
        ui.weak(format!("{}：{who} · {at}", t(Tr::Reviewer)));
    }
    ui.separator();
    egui::Grid::new("finding_facts")
        .num_columns(2)
        .show(ui, |ui| {
            let mut fact = |k: Tr, v: String| {
                ui.label(t(k));
                ui.add(egui::Label::new(v).wrap());
                ui.end_row();
            };
            fact(Tr::ColSeverity, severity_label(f.severity, lang).to_owned());
            fact(Tr::ColZone, zone_text(r));
            if let Some(d) = f.distance_m {
                fact(Tr::ColDistance, format!("{d:.1}"));
            }
            fact(Tr::ColCounty, f.county.clone().unwrap_or_default());
            fact(Tr::ColSite, format!("{} #{}", f.site_layer, f.site_fid));
        });
    ui.separator();
    egui::CollapsingHeader::new(t(Tr::History))
        .default_open(true)
        .show(ui, |ui| match &fs.history {
            Some((id, Ok(entries))) if *id == f.finding_id => {
                if entries.is_empty() {
                    ui.weak(t(Tr::NoHistory));
                }
                for e in entries.iter().rev() {
                    ui.label(lang.trf(
                        Tr::HistoryLine,
                        &[
                            &e.at,
                            &e.reviewer,
                            &status_label(e.old_status, lang),
                            &status_label(e.new_status, lang),
                        ],
                    ));
                    if e.new_note != e.old_note && !e.new_note.is_empty() {
                        ui.weak(format!("  {}", e.new_note));
                    }
                }
            }
            Some((id, Err(msg))) if *id == f.finding_id => {
                ui.colored_label(ui.visuals().error_fg_color, msg);
            }
            _ => {
                ui.spinner();
            }
        });
    ui.separator();
    ui.weak(t(Tr::Shortcuts));
}

/// On the map: the outline of the zone the selected finding broke and a ring at the
/// finding's position (the site's own highlight is the map's selection).
pub fn finding_overlay_ui(ui: &egui::Ui, state: &AppState, map_rect: egui::Rect) {
    let Some(r) = state.findings.selected_row() else {
        return;
    };
    let f = &r.finding;
    let painter = ui.painter_at(map_rect);
    let view = &state.view;
    let stroke = Stroke::new(2.5, Color32::from_rgb(230, 30, 120));
    if let (Some(zl), Some(zfid)) = (&f.zone_layer, f.zone_fid)
        && let Some(fr) = state.feature_of(zl, zfid)
        && let Some(l) = state.layer(fr.layer)
        && let Some(d) = &l.display
        && let Some(df) = d.features.iter().find(|x| x.index == fr.index)
    {
        let to_screen = |c: &geo_types::Coord<f64>| {
            view.screen_from_world(map_rect, WorldPos { x: c.x, y: c.y })
        };
        let polys: Vec<&geo_types::Polygon<f64>> = match &df.geom {
            Geometry::Polygon(p) => vec![p],
            Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
            _ => Vec::new(),
        };
        for p in polys {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                painter.add(egui::Shape::closed_line(
                    ring.0.iter().map(to_screen).collect(),
                    stroke,
                ));
            }
        }
    }
    if f.lon.is_finite() && f.lat.is_finite() {
        let at = view.screen_from_world(
            map_rect,
            world_from_lonlat(LonLat {
                lon: f.lon,
                lat: f.lat,
            }),
        );
        painter.circle_stroke(at, 10.0, stroke);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_start_as_wide_as_they_like_with_room_and_narrower_without() {
        assert_eq!(flexible_widths(2000.0, 8.0), [180.0, 160.0, 170.0]);
        // A 1280-point window less the review pane: the note column still shows.
        let [a, b, c] = flexible_widths(930.0, 8.0);
        assert!(a < 180.0 && b < 160.0 && c < 170.0);
        assert!(360.0 + a + b + c + 100.0 + 72.0 <= 930.0 + 0.01);
        // Very narrow: the minimum, and the table scrolls sideways.
        assert_eq!(flexible_widths(300.0, 8.0), [FLEXIBLE_MIN; 3]);
    }
}
