//! The review workflow driven through the app's labels (egui_kittest, no GPU): open
//! the demo project, run the check, select a finding, confirm it with a note (button
//! and keyboard shortcuts), see the history, reopen the project and find the decision,
//! switch language, export CSV and read it back.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;
use std::time::Duration;

use eframe::egui::accesskit::Role;
use eframe::egui::{self, Key};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use qingling::gui::app::App;
use qingling::gui::commands::Command;
use qingling::gui::findings::SaveState;
use qingling::gui::settings::Settings;
use qingling::model::ReviewStatus;
use qingling::project::{Presence, Project};

fn harness(settings: Settings) -> Harness<'static, App> {
    common::harness(settings, [1400.0, 950.0])
}

/// Step the app until `done` holds (jobs run on real threads), at most 60 s.
fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    common::step_until(h, what, Duration::from_secs(60), done);
}

fn open(h: &mut Harness<'static, App>, project: &Path) {
    h.run_steps(2);
    h.state_mut()
        .push_command(Command::OpenProjectPath(project.to_path_buf()));
    step_until(h, "the project to open", |h| {
        h.state().state.findings.loaded && !h.state().is_busy()
    });
}

fn wait_saved(h: &mut Harness<'static, App>, id: &str) {
    let id = id.to_owned();
    step_until(h, "the review to be saved", move |h| {
        !h.state().is_saving() && h.state().state.findings.saves.get(&id) == Some(&SaveState::Saved)
    });
}

#[test]
fn a_finding_is_confirmed_with_a_note_and_the_decision_is_in_the_project_and_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let settings = Settings {
        reviewer: "张工".into(),
        ..Default::default()
    };
    let mut h = harness(settings.clone());
    open(&mut h, &project);
    let total = h.state().state.findings.rows.len();
    assert!(total > 0, "the demo project has findings");

    // Run the check from the app: the same findings come back as existing.
    h.get_by_role_and_label(Role::Button, "运行检查").click();
    step_until(&mut h, "the check", |h| {
        h.state().state.findings.last_run.is_some() && !h.state().is_busy()
    });
    let fs = &h.state().state.findings;
    assert!(
        fs.last_run.as_deref().unwrap().starts_with("检查完成"),
        "{:?}",
        fs.last_run
    );
    assert_eq!(fs.rows.len(), total);
    assert!(fs.rows.iter().all(|r| r.presence == Presence::Existing));

    // Select the first finding by clicking its site in the table.
    let first = fs.rows[fs.view[0]].finding.clone();
    h.query_all_by_label(&first.site_name)
        .next()
        .expect("the site is listed")
        .click();
    h.run_steps(3);
    assert_eq!(
        h.state().state.findings.selected.as_deref(),
        Some(first.finding_id.as_str())
    );
    assert!(
        h.state().state.selection.is_some(),
        "the site is selected on the map"
    );
    assert!(
        h.query_by_label("尚无核查记录。").is_some(),
        "empty history"
    );

    // N focuses the note; type; confirm with the button.
    h.key_press(Key::N);
    h.run_steps(2);
    h.event(egui::Event::Text("现场核实：仍在燃煤".into()));
    h.run_steps(2);
    assert_eq!(h.state().state.findings.note_draft, "现场核实：仍在燃煤");
    h.get_by_role_and_label(Role::Button, "2 已确认").click();
    wait_saved(&mut h, &first.finding_id);
    let row = h.state().state.findings.row(&first.finding_id).unwrap();
    assert_eq!(row.finding.status, ReviewStatus::Confirmed);
    assert_eq!(row.finding.note, "现场核实：仍在燃煤");
    assert_eq!(row.reviewer.as_deref(), Some("张工"));
    step_until(&mut h, "the history", |h| {
        h.query_by_label_contains("待核查 → 已确认").is_some()
    });

    // Keyboard: leave the note, ↓ to the next finding, 4 = 整改中.
    h.key_press(Key::Escape);
    h.run_steps(2);
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    let second = h.state().state.findings.selected.clone().unwrap();
    assert_ne!(second, first.finding_id, "↓ moved the selection");
    h.key_press(Key::Num4);
    h.run_steps(1);
    wait_saved(&mut h, &second);
    assert_eq!(
        h.state()
            .state
            .findings
            .row(&second)
            .unwrap()
            .finding
            .status,
        ReviewStatus::Rectifying
    );

    // The decisions are in the project file.
    {
        let p = Project::open(&project).unwrap();
        let r = p.finding(&first.finding_id).unwrap().unwrap();
        assert_eq!(r.finding.status, ReviewStatus::Confirmed);
        assert_eq!(r.finding.note, "现场核实：仍在燃煤");
        assert_eq!(p.history(&first.finding_id).unwrap().len(), 1);
    }

    // Reopen in a fresh app: the decision is there.
    let mut h2 = harness(settings);
    open(&mut h2, &project);
    let row = h2.state().state.findings.row(&first.finding_id).unwrap();
    assert_eq!(row.finding.status, ReviewStatus::Confirmed);
    assert_eq!(row.finding.note, "现场核实：仍在燃煤");

    // Export CSV through the export window and read it back.
    let out = dir.path().join("导出").join("台账.csv");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    h2.get_by_role_and_label(Role::Button, "导出问题台账…")
        .click();
    h2.run_steps(3);
    assert!(h2.state().state.export.is_some(), "the export window opens");
    // It offers a dated ledger beside the project.
    let offered = h2.state().state.export.as_ref().unwrap().path_text.clone();
    let offered = Path::new(&offered);
    assert_eq!(offered.parent(), project.parent(), "{offered:?}");
    let name = offered.file_name().unwrap().to_string_lossy();
    let today = qingling::gui::findings::today_in_china();
    assert_eq!(name, format!("问题台账-{today}.xlsx"));
    // A folder that is not there is said at once, not after the export fails.
    let nowhere = dir.path().join("无此文件夹").join("台账.csv");
    h2.state_mut()
        .push_command(Command::ExportSetPath(nowhere.display().to_string()));
    h2.run_steps(2);
    assert!(h2.query_by_label("文件夹不存在").is_some());
    h2.state_mut()
        .push_command(Command::ExportSetPath(out.display().to_string()));
    h2.run_steps(2);
    h2.get_by_role_and_label(Role::Button, "导出").click();
    step_until(&mut h2, "the export", |_| out.is_file());
    step_until(&mut h2, "the export job", |h| !h.state().is_busy());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 with BOM");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id_c, status_c, note_c) = (col("finding_id"), col("status"), col("note"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), total);
    let rec = records
        .iter()
        .find(|r| &r[id_c] == first.finding_id.as_str())
        .unwrap();
    assert_eq!(&rec[status_c], "已确认");
    assert_eq!(&rec[note_c], "现场核实：仍在燃煤");
    assert!(
        h2.state()
            .state
            .status
            .as_deref()
            .is_some_and(|s| s.starts_with(&format!("已导出 {total} 条问题"))),
        "{:?}",
        h2.state().state.status
    );

    // English UI: the findings panel follows.
    h2.get_by_label("English").click();
    h2.run_steps(2);
    h2.get_by_role_and_label(Role::Button, "Run check");
    assert!(h2.query_by_label("Findings").is_some());
    assert!(
        h2.query_by_label(&format!("{total} of {total} shown"))
            .is_some()
    );
    assert!(h2.query_by_label("运行检查").is_none());
}

#[test]
fn a_review_without_a_reviewer_name_is_refused_and_not_shown_as_saved() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let mut h = harness(Settings::default());
    open(&mut h, &project);
    let id = h.state().state.findings.rows[0].finding.finding_id.clone();
    h.state_mut()
        .push_command(Command::SelectFinding(Some(id.clone())));
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "3 误报").click();
    h.run_steps(2);
    assert!(matches!(
        h.state().state.findings.saves.get(&id),
        Some(SaveState::Failed(_))
    ));
    assert_eq!(
        h.state().state.findings.row(&id).unwrap().finding.status,
        ReviewStatus::Pending
    );
    assert!(
        h.query_all_by_label_contains("请先在“项目”菜单中填写审核人")
            .next()
            .is_some()
    );
    let p = Project::open(&project).unwrap();
    assert_eq!(
        p.finding(&id).unwrap().unwrap().finding.status,
        ReviewStatus::Pending
    );
}

#[test]
fn the_dashboard_counts_the_ledger_and_keeps_the_deadline_in_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let mut h = harness(Settings::default());
    open(&mut h, &project);
    let total = h.state().state.findings.rows.len();
    h.get_by_role_and_label(Role::Button, "统计").click();
    h.run_steps(3);
    assert!(
        h.query_by_label(&format!("已清零 0 / {total}（已销号或误报）"))
            .is_some()
    );
    h.state_mut()
        .push_command(Command::SetDeadlineDraft("2099-12-31".into()));
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "保存").click();
    step_until(&mut h, "the deadline", |h| {
        h.state().state.findings.deadline.as_deref() == Some("2099-12-31")
    });
    assert!(h.query_by_label_contains("距截止还有").is_some());
    let p = Project::open(&project).unwrap();
    assert_eq!(
        p.setting("deadline").unwrap().as_deref(),
        Some("\"2099-12-31\"")
    );
}

/// Every layer's box, as the map shows it.
fn all_layers_box(app: &App) -> qingling::gui::map::view::WorldRect {
    app.state
        .layers
        .iter()
        .filter_map(|l| l.display.as_ref().and_then(|d| d.bbox))
        .reduce(|a, b| a.union(b))
        .expect("the layers are drawn")
}

#[test]
fn an_opened_project_is_shown_whole_beside_its_panels_until_the_map_is_moved() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let mut h = harness(Settings::default());
    open(&mut h, &project);
    h.run_steps(3);
    // The findings table opened beneath the map after the view was first fitted:
    // every layer is still in view.
    let app = h.state();
    let visible = app.state.view.visible_world_rect(app.map_rect());
    let all = all_layers_box(app);
    assert!(
        visible.contains_rect(all),
        "visible {visible:?} holds every layer {all:?}"
    );

    // The window grows: still whole, and filling the new size.
    let before = app.state.view.points_per_metre;
    h.set_size(egui::vec2(1800.0, 1100.0));
    h.run_steps(3);
    let app = h.state();
    assert!(
        app.state
            .view
            .visible_world_rect(app.map_rect())
            .contains_rect(all)
    );
    assert!(
        app.state.view.points_per_metre > before,
        "zoomed in to fill"
    );

    // Once the user moves the map, a change of size leaves it where it is.
    let mut moved = app.state.view;
    moved.pan(egui::vec2(120.0, -40.0));
    h.state_mut().push_command(Command::SetView(moved));
    h.run_steps(2);
    h.set_size(egui::vec2(1400.0, 950.0));
    h.run_steps(3);
    assert_eq!(h.state().state.view, moved);
}
