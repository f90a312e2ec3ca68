//! The progress dashboard: how far the ledger is from zero (closed / total with a
//! progress bar), the campaign days left to the project's deadline (and a field to
//! set it), counts by status per county and per rule, and a bar chart of the open
//! findings per county or per rule.

use eframe::egui;
use egui_plot::{Bar, BarChart, Plot};

use crate::gui::commands::{Command, PanelKind};
use crate::gui::findings::{Dashboard, day_number, days_between, open_count, today_in_china};
use crate::gui::i18n::{Language, Tr};
use crate::gui::project_tasks::status_label;
use crate::gui::state::AppState;
use crate::model::ReviewStatus;

/// The dashboard window.
pub fn dashboard_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    if !state.settings.layout.show_dashboard {
        return;
    }
    let lang = state.settings.language;
    let mut open = true;
    egui::Window::new(lang.tr(Tr::Dashboard))
        .open(&mut open)
        .default_size([620.0, 560.0])
        .vscroll(true)
        .show(ctx, |ui| dashboard_body_ui(ui, state, cmds));
    if !open {
        cmds.push(Command::TogglePanel(PanelKind::Dashboard));
    }
}

fn dashboard_body_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    let d = Dashboard::of(&fs.rows, &fs.rule_titles);
    // Rules by their titles, in the rule set's order.
    let by_rule: Vec<(String, [usize; 5])> = (d.by_rule.iter())
        .map(|(id, n)| (fs.rule_titles.title(id, lang).to_owned(), *n))
        .collect();
    ui.label(lang.trf(Tr::ClearedProgress, &[&d.closed, &d.total]));
    ui.add(
        egui::ProgressBar::new(d.progress())
            .show_percentage()
            .desired_width(ui.available_width().min(520.0)),
    );
    ui.label(lang.trf(Tr::NewAndResolved, &[&d.new, &d.resolved_by_data]));
    ui.separator();
    deadline_ui(ui, state, cmds);
    ui.separator();

    let by_rule_id = ui.scope_id().with("chart_by_rule");
    let mut by_rule_chart: bool = ui.data(|m| m.get_temp(by_rule_id)).unwrap_or(false);
    ui.horizontal(|ui| {
        ui.strong(t(Tr::OpenFindings));
        ui.selectable_value(&mut by_rule_chart, false, t(Tr::ByCounty));
        ui.selectable_value(&mut by_rule_chart, true, t(Tr::ByRule));
    });
    ui.data_mut(|m| m.insert_temp(by_rule_id, by_rule_chart));
    let groups: Vec<(String, [usize; 5])> = if by_rule_chart {
        by_rule.clone()
    } else {
        d.by_county
            .iter()
            .map(|(c, n)| (c.clone().unwrap_or_else(|| t(Tr::NoCounty).into()), *n))
            .collect()
    };
    let names: Vec<String> = groups.iter().map(|(n, _)| n.clone()).collect();
    let bars: Vec<Bar> = groups
        .iter()
        .enumerate()
        .map(|(i, (name, n))| {
            Bar::new(i as f64, open_count(n) as f64)
                .name(name)
                .width(0.6)
        })
        .collect();
    let chart =
        BarChart::new(t(Tr::OpenFindings), bars).color(egui::Color32::from_rgb(200, 70, 50));
    Plot::new(if by_rule_chart {
        "open_by_rule"
    } else {
        "open_by_county"
    })
    .height(200.0)
    .allow_zoom(false)
    .allow_drag(false)
    .allow_scroll(false)
    .include_y(0.0)
    // Room for six bars at least, so that one county's bar is a bar, not the plot.
    .include_x(-0.5)
    .include_x(groups.len().max(6) as f64 - 0.5)
    .x_axis_formatter(move |mark, _| {
        let i = mark.value.round();
        if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
            names.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    })
    .show(ui, |plot| plot.bar_chart(chart));
    ui.separator();
    ui.strong(t(Tr::ByCounty));
    counts_grid_ui(
        ui,
        lang,
        "by_county",
        d.by_county
            .iter()
            .map(|(c, n)| (c.clone().unwrap_or_else(|| t(Tr::NoCounty).into()), *n)),
    );
    ui.separator();
    ui.strong(t(Tr::ByRule));
    counts_grid_ui(ui, lang, "by_rule", by_rule.into_iter());
}

fn deadline_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let fs = &state.findings;
    if let Some(deadline) = &fs.deadline
        && let Some(days) = days_between(&today_in_china(), deadline)
    {
        let text = match days {
            0 => t(Tr::DueToday).to_owned(),
            d if d > 0 => lang.trf(Tr::DaysLeft, &[&d]),
            d => lang.trf(Tr::DaysOverdue, &[&-d]),
        };
        ui.heading(text);
    }
    ui.horizontal(|ui| {
        ui.label(t(Tr::Deadline));
        let mut draft = fs.deadline_draft.clone();
        let resp = ui.add(
            egui::TextEdit::singleline(&mut draft)
                .hint_text("2019-12-31")
                .desired_width(100.0)
                .id_salt("deadline"),
        );
        if resp.changed() {
            cmds.push(Command::SetDeadlineDraft(draft.clone()));
        }
        let trimmed = draft.trim();
        let valid = trimmed.is_empty() || day_number(trimmed).is_some();
        let changed = fs.deadline.as_deref().unwrap_or("") != trimmed;
        if ui
            .add_enabled(valid && changed, egui::Button::new(t(Tr::Save)))
            .clicked()
        {
            cmds.push(Command::SaveDeadline);
        }
        if !valid {
            ui.colored_label(ui.visuals().warn_fg_color, t(Tr::BadDate));
        }
    });
}

fn counts_grid_ui(
    ui: &mut egui::Ui,
    lang: Language,
    id: &str,
    rows: impl Iterator<Item = (String, [usize; 5])>,
) {
    egui::Grid::new(id).striped(true).show(ui, |ui| {
        ui.label("");
        for s in ReviewStatus::ALL {
            ui.strong(status_label(s, lang));
        }
        ui.strong(lang.tr(Tr::Total));
        ui.end_row();
        for (name, counts) in rows {
            ui.label(name);
            for n in counts {
                ui.label(n.to_string());
            }
            ui.label(counts.iter().sum::<usize>().to_string());
            ui.end_row();
        }
    });
}
