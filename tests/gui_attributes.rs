//! A large shapefile is shown from its geometry first and its attributes are read
//! afterwards (egui_kittest, no GPU; the size limit is lowered so the bundled sample
//! data takes that path): the attributes panel and the field-mapping editor say the
//! attributes are still loading and show them once in, and a check asked for
//! meanwhile waits for them and runs with the layer saved into the project.
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use qingling::gui::app::AppOptions;
use qingling::gui::commands::Command;
use qingling::gui::mapping::{MappingCommand, MappingEditor, MappingState};
use qingling::gui::panels::identify::identify_ui;
use qingling::gui::panels::mapping::mapping_window_ui;
use qingling::gui::settings::Settings;
use qingling::gui::state::{AppState, FeatureRef, LayerId, LayerStyle, MapLayer};
use qingling::io::ReadOptions;
use qingling::model::Layer;
use qingling::rules::LayerRole;

/// The sample enterprises copied under a new name, so they are a layer of their own.
fn new_enterprises(dir: &Path) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    for ext in ["shp", "shx", "dbf"] {
        std::fs::copy(
            sample.join(format!("散乱污企业.{ext}")),
            dir.join(format!("新增企业.{ext}")),
        )
        .unwrap();
    }
    dir.join("新增企业.shp")
}

fn read(path: &Path, geometry_only: bool) -> Layer {
    let opts = ReadOptions {
        geometry_only,
        ..ReadOptions::default()
    };
    qingling::io::read_path(path, &opts).unwrap().remove(0)
}

#[test]
fn a_check_asked_for_while_attributes_load_waits_for_them_and_includes_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let shp = new_enterprises(&data);
    // Every .dbf counts as large: read geometry first, attributes afterwards.
    let options = AppOptions {
        load_system_fonts: false,
        system_file_dialog: false,
        defer_attributes_above_bytes: 0,
        ..AppOptions::default()
    };
    let mut h = common::harness_with(Settings::default(), [1400.0, 950.0], options);
    h.run_steps(2);
    h.state_mut()
        .push_command(Command::OpenProjectPath(project.clone()));
    common::step_until(&mut h, "the project", Duration::from_secs(60), |h| {
        h.state().state.findings.loaded && !h.state().is_busy()
    });
    let old_rows = h
        .state()
        .state
        .findings
        .rows
        .iter()
        .filter(|r| r.finding.site_layer == "散乱污企业")
        .count();
    assert!(old_rows > 0, "the sample enterprises have findings");
    // The same sites under another name would give the same finding ids: the sample
    // layer makes way for the new one.
    let sample = h
        .state()
        .state
        .layers
        .iter()
        .find(|l| l.layer.name == "散乱污企业")
        .unwrap()
        .id;
    h.state_mut().push_command(Command::RemoveLayer(sample));
    common::step_until(&mut h, "the removal", Duration::from_secs(60), |h| {
        !h.state().is_busy()
    });

    // Load the file and stop at the frame that shows it from its geometry (the
    // attributes are applied no earlier than the next frame's poll).
    h.state_mut().push_command(Command::LoadFiles(vec![shp]));
    let start = Instant::now();
    let id = loop {
        h.step();
        if let Some(l) = h
            .state()
            .state
            .layers
            .iter()
            .find(|l| l.layer.name == "新增企业")
        {
            break l.id;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the layer's map");
        std::thread::sleep(Duration::from_millis(5));
    };
    {
        let s = &h.state().state;
        assert!(s.attributes_pending(id));
        let l = s.layer(id).unwrap();
        assert!(l.layer.fields.is_empty(), "shown without attributes first");
        assert_eq!(l.role, Some(LayerRole::Enterprise));
        assert!(!s.project_tables.contains_key(&id));
    }

    // Ask for the check (and open the mapping editor) right now.
    h.state_mut().push_command(Command::RunCheck);
    h.state_mut()
        .push_command(Command::Mapping(MappingCommand::Open(id)));
    let ctx = h.ctx.clone();
    h.state_mut().apply_commands(&ctx);
    {
        let s = &h.state().state;
        assert_eq!(
            s.check_waiting.as_deref(),
            Some(&["新增企业".to_owned()][..])
        );
        assert!(
            s.status.as_deref().unwrap_or("").contains("等待“新增企业”"),
            "{:?}",
            s.status
        );
        assert!(s.mapping.editor.as_ref().unwrap().columns.is_empty());
    }

    common::step_until(&mut h, "the check", Duration::from_secs(60), |h| {
        let s = &h.state().state;
        s.findings.last_run.is_some() && s.check_waiting.is_none() && !h.state().is_busy()
    });
    let s = &h.state().state;
    assert!(!s.attributes_pending(id));
    assert!(s.project_tables.contains_key(&id), "saved before the check");
    assert!(
        s.findings
            .last_run
            .as_deref()
            .unwrap()
            .starts_with("检查完成"),
        "{:?}",
        s.findings.last_run
    );
    let new_rows = s
        .findings
        .rows
        .iter()
        .filter(|r| r.finding.site_layer == "新增企业")
        .count();
    assert_eq!(
        new_rows, old_rows,
        "the new layer was checked like the sample"
    );
    assert!(
        !s.all_problems()
            .any(|p| p.message.contains("尚未保存到项目")),
        "the check was not run without the layer"
    );
    // The editor opened while the columns were unknown now has them, and the table.
    let ed = s.mapping.editor.as_ref().unwrap();
    assert!(!ed.columns.is_empty());
    assert_eq!(ed.table.as_ref(), s.project_tables.get(&id));
}

#[test]
fn a_project_with_large_layers_opens_from_their_geometry_and_reads_the_rest_after() {
    let dir = tempfile::tempdir().unwrap();
    let project = common::demo_project(dir.path());
    let stored = qingling::project::Project::open(&project)
        .unwrap()
        .layers()
        .unwrap();
    // Every layer counts as large.
    let options = AppOptions {
        load_system_fonts: false,
        system_file_dialog: false,
        defer_project_attributes_above_records: 0,
        ..AppOptions::default()
    };
    let mut h = common::harness_with(Settings::default(), [1400.0, 950.0], options);
    h.run_steps(2);
    h.state_mut()
        .push_command(Command::OpenProjectPath(project.clone()));
    let start = Instant::now();
    while h.state().state.layers.is_empty() {
        h.step();
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the project's map"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    {
        let s = &h.state().state;
        assert_eq!(s.layers.len(), stored.len());
        for l in &s.layers {
            assert!(s.attributes_pending(l.id), "{}", l.layer.name);
            assert!(l.layer.fields.is_empty(), "{}", l.layer.name);
            assert!(l.role.is_some(), "{}: the project's role", l.layer.name);
        }
    }
    let roles: Vec<_> = h.state().state.layers.iter().map(|l| l.role).collect();
    common::step_until(&mut h, "the attributes", Duration::from_secs(60), |h| {
        h.state().state.attributes_pending.is_empty() && !h.state().is_busy()
    });
    let s = &h.state().state;
    assert!(s.layers.iter().all(|l| !l.layer.fields.is_empty()));
    assert_eq!(s.layers.iter().map(|l| l.role).collect::<Vec<_>>(), roles);
    // Read back, not saved again.
    let after = qingling::project::Project::open(&project)
        .unwrap()
        .layers()
        .unwrap();
    assert_eq!(after.len(), stored.len());
}

/// The sample enterprises as a map layer (no display: panels do not draw the map).
fn map_layer(layer: Layer) -> MapLayer {
    MapLayer {
        id: LayerId(1),
        path: "新增企业.shp".into(),
        options: ReadOptions::default(),
        display: None,
        display_problems: vec![],
        style: LayerStyle {
            visible: true,
            color: Color32::RED,
            opacity: 0.35,
        },
        label_field: None,
        role: Some(LayerRole::Enterprise),
        layer: Arc::new(layer),
    }
}

fn panel_harness(state: AppState, ui: fn(&mut egui::Ui, &AppState)) -> Harness<'static, AppState> {
    Harness::builder()
        .with_size([900.0, 700.0])
        .with_context_setup(qingling::gui::fonts::install)
        .build_ui_state(move |u, s: &mut AppState| ui(u, s), state)
}

#[test]
fn the_attributes_panel_says_the_attributes_are_loading_and_shows_them_once_in() {
    let dir = tempfile::tempdir().unwrap();
    let shp = new_enterprises(dir.path());
    let mut state = AppState::default();
    state.layers.push(map_layer(read(&shp, true)));
    state.attributes_pending.insert(LayerId(1));
    state.selection = Some(FeatureRef {
        layer: LayerId(1),
        index: 0,
    });
    let mut h = panel_harness(state, |ui, s| identify_ui(ui, s, &mut Vec::new()));
    h.run_steps(3);
    assert!(h.query_by_label("属性正在读取，读完后在此显示…").is_some());
    // The attributes arrive.
    let full = read(&shp, false);
    let first_field = full.fields[0].name.clone();
    {
        let s = h.state_mut();
        assert!(qingling::gui::tasks::merge_attributes(
            &mut s.layers[0],
            full
        ));
        s.attributes_pending.clear();
    }
    h.run_steps(3);
    assert!(h.query_by_label("属性正在读取，读完后在此显示…").is_none());
    assert!(h.query_by_label(&first_field).is_some(), "{first_field}");
}

#[test]
fn the_mapping_editor_says_the_columns_are_loading() {
    let dir = tempfile::tempdir().unwrap();
    let shp = new_enterprises(dir.path());
    let mut state = AppState::default();
    let ml = map_layer(read(&shp, true));
    let editor = MappingEditor::new(&ml, LayerRole::Enterprise, None);
    state.layers.push(ml);
    state.attributes_pending.insert(LayerId(1));
    state.mapping = MappingState {
        editor: Some(editor),
        findings_stale: false,
    };
    let show = |ui: &mut egui::Ui, s: &AppState| mapping_window_ui(ui.ctx(), s, &mut Vec::new());
    let mut h = panel_harness(state, show);
    h.run_steps(3);
    let loading = "该图层的属性仍在读取，读完后在此显示其字段…";
    assert!(h.query_by_label(loading).is_some());
    // Nothing is called missing while the columns are unknown.
    assert!(h.query_by_label_contains("规则需要但未映射").is_none());
    h.state_mut().attributes_pending.clear();
    h.run_steps(3);
    assert!(h.query_by_label(loading).is_none());
}
