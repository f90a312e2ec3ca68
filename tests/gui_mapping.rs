//! The field-mapping editor driven through the app's labels (egui_kittest, no GPU):
//! open the demo project, open the boiler layer's mapping, unmap the status column,
//! apply, check again and see the eliminated boiler flagged, reopen the project and
//! find the mapping kept.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;
use std::time::Duration;

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use qingling::gui::app::App;
use qingling::gui::commands::Command;
use qingling::gui::settings::Settings;
use qingling::project::{Presence, Project};
use qingling::rules::{CanonicalField, LayerRole, MapHow};

fn harness() -> Harness<'static, App> {
    common::harness(Settings::default(), [1400.0, 950.0])
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

/// The boiler layer's name.
/// Step until the mapping editor's draft is saved.
fn wait_saved(h: &mut Harness<'static, App>, what: &str) {
    step_until(h, what, |h| {
        h.state()
            .state
            .mapping
            .editor
            .as_ref()
            .is_some_and(|e| e.saved && !e.saving)
    });
}

fn boiler_layer(h: &Harness<'static, App>) -> String {
    h.state()
        .state
        .layers
        .iter()
        .find(|l| l.role == Some(LayerRole::Boiler))
        .expect("the demo project has a boiler layer")
        .layer
        .name
        .clone()
}

/// Click the boiler layer's mapping button and wait for the stored mapping.
fn open_editor(h: &mut Harness<'static, App>) {
    let label = format!("字段映射：{}", boiler_layer(h));
    h.get_by_role_and_label(Role::Button, &label).click();
    step_until(h, "the mapping editor", |h| {
        h.state()
            .state
            .mapping
            .editor
            .as_ref()
            .is_some_and(|e| e.loaded)
    });
}

#[test]
fn unmapping_the_status_column_flags_the_eliminated_boiler_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let mut h = harness();
    open(&mut h, &project);
    let total = h.state().state.findings.rows.len();
    assert!(
        !h.state()
            .state
            .findings
            .rows
            .iter()
            .any(|r| r.finding.site_name == "库南洗浴中心"),
        "the eliminated boiler is not flagged while its status is read"
    );

    open_editor(&mut h);
    {
        let ed = h.state().state.mapping.editor.as_ref().unwrap();
        assert!(ed.table.is_some());
        assert_eq!(ed.draft.source_of(CanonicalField::Status), Some("状态"));
        assert!(ed.missing_needed().is_empty(), "{:?}", ed.missing_needed());
    }
    assert!(h.query_by_label("标准字段").is_some());
    assert!(
        h.query_by_label_contains("规则需要的字段均已映射")
            .is_some()
    );
    assert!(h.query_all_by_label("自动").next().is_some());

    // Status ← (none), through the column picker.
    h.get_by_role_and_label(Role::ComboBox, "来源列：状态")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "（无）").click();
    h.run_steps(2);
    {
        let ed = h.state().state.mapping.editor.as_ref().unwrap();
        assert_eq!(ed.draft.source_of(CanonicalField::Status), None);
        assert!(ed.is_dirty());
    }
    assert!(
        h.query_by_label_contains("规则需要但未映射：状态")
            .is_some()
    );
    assert!(h.query_by_label("有未应用的更改").is_some());

    // Apply: saved into the project, the findings are marked out of date.
    h.get_by_role_and_label(Role::Button, "应用").click();
    wait_saved(&mut h, "the mapping to be saved");
    assert!(h.state().state.mapping.findings_stale);
    assert!(
        h.query_all_by_label("字段映射已更改，问题台账可能已过时")
            .next()
            .is_some()
    );
    {
        let p = Project::open(&project).unwrap();
        let (layers, _) = qingling::check::project_layers(&p).unwrap();
        let boiler = layers.iter().find(|l| l.role == LayerRole::Boiler).unwrap();
        assert_eq!(boiler.mapping.source_of(CanonicalField::Status), None);
        assert!(boiler.mapping.source_of(CanonicalField::Fuel).is_some());
    }

    // Check again from the editor: the eliminated coal boiler now counts as in use.
    h.get_by_role_and_label(Role::Button, "重新检查").click();
    step_until(&mut h, "the check", |h| {
        h.state().state.findings.last_run.is_some() && !h.state().is_busy()
    });
    let fs = &h.state().state.findings;
    assert!(
        fs.last_run.as_deref().unwrap().starts_with("检查完成"),
        "{:?}",
        fs.last_run
    );
    assert!(fs.rows.len() > total, "{} > {total}", fs.rows.len());
    assert!(
        fs.rows
            .iter()
            .any(|r| r.finding.site_name == "库南洗浴中心" && r.presence == Presence::New)
    );
    assert!(!h.state().state.mapping.findings_stale);

    // Reopen in a fresh app: the mapping is the one applied.
    let mut h2 = harness();
    open(&mut h2, &project);
    open_editor(&mut h2);
    let ed = h2.state().state.mapping.editor.as_ref().unwrap();
    assert_eq!(ed.draft.source_of(CanonicalField::Status), None);
    assert_eq!(ed.missing_needed(), vec![CanonicalField::Status]);
    assert!(!ed.is_dirty());
    assert!(matches!(
        ed.draft.entries[&CanonicalField::Fuel].how,
        MapHow::Guessed { .. }
    ));

    // Back to the guess for status, apply, and the project reads 状态 again.
    h2.run_steps(2);
    h2.get_by_role_and_label(Role::Button, "全部恢复自动推断")
        .click();
    h2.run_steps(2);
    h2.get_by_role_and_label(Role::Button, "应用").click();
    wait_saved(&mut h2, "the guess to be saved");
    h2.get_by_role_and_label(Role::Button, "关闭").click();
    h2.run_steps(2);
    assert!(h2.state().state.mapping.editor.is_none());
    let p = Project::open(&project).unwrap();
    let (layers, _) = qingling::check::project_layers(&p).unwrap();
    let boiler = layers.iter().find(|l| l.role == LayerRole::Boiler).unwrap();
    assert_eq!(
        boiler.mapping.source_of(CanonicalField::Status),
        Some("状态")
    );
}

#[test]
fn a_constant_county_is_typed_into_the_editor_and_saved_into_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let mut h = harness();
    open(&mut h, &project);
    open_editor(&mut h);
    // 县区 ← a constant, through the column picker, then typed.
    h.get_by_role_and_label(Role::ComboBox, "来源列：县区")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "常量（每条记录相同）…")
        .click();
    h.run_steps(2);
    {
        let ed = h.state().state.mapping.editor.as_ref().unwrap();
        assert_eq!(ed.draft.source_of(CanonicalField::County), None);
        assert!(!ed.has_value(CanonicalField::County), "an empty constant");
    }
    h.get_by_role_and_label(Role::TextInput, "常量值：县区")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, "常量值：县区")
        .type_text("示例县");
    h.run_steps(3);
    {
        let ed = h.state().state.mapping.editor.as_ref().unwrap();
        assert_eq!(
            ed.draft
                .constants
                .get(&CanonicalField::County)
                .map(String::as_str),
            Some("示例县")
        );
        assert!(ed.has_value(CanonicalField::County));
        assert!(ed.is_dirty());
    }
    h.get_by_role_and_label(Role::Button, "应用").click();
    wait_saved(&mut h, "the constant to be saved");
    // The project holds it: a fresh app reads the constant back.
    let mut h2 = harness();
    open(&mut h2, &project);
    open_editor(&mut h2);
    let ed = h2.state().state.mapping.editor.as_ref().unwrap();
    assert_eq!(
        ed.draft
            .constants
            .get(&CanonicalField::County)
            .map(String::as_str),
        Some("示例县")
    );
    assert!(!ed.is_dirty());
}
