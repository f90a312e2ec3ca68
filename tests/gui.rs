//! The desktop app driven headless through its accessibility tree (egui_kittest, no
//! GPU): language switch, in-app file chooser, loading a layer, problems, identify.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;
use std::time::Duration;

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo_types::{Geometry, Point};

use qingling::gui::app::App;
use qingling::gui::commands::Command;
use qingling::gui::map::view::{LonLat, world_from_lonlat};
use qingling::gui::settings::Settings;
use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use qingling::model::{FieldDef, FieldKind, Value};
use qingling::rules::LayerRole;

fn harness(settings: Settings) -> Harness<'static, App> {
    common::harness(settings, [1200.0, 800.0])
}

/// Step the app until `done` holds (jobs run on real threads), at most 20 s.
fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    common::step_until(h, what, Duration::from_secs(20), done);
}

/// Three boilers in Taiyuan, lon/lat on CGCS2000, attributes in GBK.
fn write_boilers(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("锅炉台账.shp");
    let pts = [(112.50, 37.80), (112.55, 37.85), (112.60, 37.90)];
    let geoms: Vec<Option<Geometry<f64>>> = pts
        .iter()
        .map(|(x, y)| Some(Point::new(*x, *y).into()))
        .collect();
    let fields = vec![FieldDef {
        name: "单位名称".into(),
        kind: FieldKind::Text,
    }];
    let rows = vec![
        vec![Value::Text("晋源区供热站".into())],
        vec![Value::Text("小店区豆腐坊".into())],
        vec![Value::Text("清徐县醋厂".into())],
    ];
    let opts = ShapefileWriteOptions {
        prj: qingling::crs::prj_wkt_for_epsg(4490),
        ..Default::default()
    };
    write_shapefile(&path, &geoms, &fields, &rows, &opts).unwrap();
    path
}

#[test]
fn the_app_starts_in_chinese_and_switches_to_english() {
    let mut h = harness(Settings::default());
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "项目");
    assert!(
        h.query_by_label("尚无图层。用“图层 > 添加图层”或把文件拖到窗口中。")
            .is_some()
    );
    h.get_by_label("English").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Project");
    assert!(h.query_by_label("Layers").is_some());
    assert!(h.query_by_label("图层").is_none());
    // The status line speaks the new language too.
    assert!(h.query_by_label("Interface language: English").is_some());
    // And back.
    h.get_by_label("中文").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "项目");
    assert!(h.query_by_label("界面语言已切换为中文").is_some());
}

/// A folder for the chooser, remembered as the last one used: the boilers, a
/// sub-folder and a file that is not data.
fn folder_to_choose_from(dir: &Path) -> Settings {
    write_boilers(dir);
    std::fs::create_dir(dir.join("禁煤区")).unwrap();
    std::fs::write(dir.join("说明.txt"), "not data").unwrap();
    Settings {
        recent_folders: vec![dir.to_path_buf()],
        ..Default::default()
    }
}

#[test]
fn the_in_app_file_chooser_lists_chinese_names_and_loads_the_chosen_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(folder_to_choose_from(dir.path()));
    h.run_steps(2);

    h.get_by_role_and_label(Role::Button, "图层").click();
    h.run_steps(2);
    h.get_by_label("在应用内浏览文件…").click();
    step_until(&mut h, "the folder listing", |h| {
        h.query_by_label("锅炉台账.shp").is_some()
    });
    assert!(h.query_by_label("禁煤区/").is_some(), "folders are listed");
    assert!(
        h.query_by_label("说明.txt").is_none(),
        "unsupported files are filtered out"
    );

    // Into a folder and back up.
    h.get_by_label("禁煤区/").click();
    step_until(&mut h, "the empty folder", |h| {
        h.query_by_label("（空）").is_some()
    });
    h.get_by_role_and_label(Role::Button, "↑ 上一级").click();
    step_until(&mut h, "the parent folder", |h| {
        h.query_by_label("锅炉台账.shp").is_some()
    });

    h.get_by_label("锅炉台账.shp").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "打开").click();
    step_until(&mut h, "the layer to load", |h| {
        !h.state().state.layers.is_empty()
    });

    let state = &h.state().state;
    assert!(state.file_chooser.is_none(), "the chooser closes");
    assert_eq!(state.layers.len(), 1);
    let l = &state.layers[0];
    assert_eq!(l.layer.name, "锅炉台账");
    assert_eq!(l.layer.features.len(), 3);
    let display = l.display.as_ref().expect("a lon/lat layer is drawn");
    assert_eq!(display.point_count, 3);
    assert!(
        h.query_by_label("锅炉台账").is_some(),
        "the layer is in the list"
    );
}

#[test]
fn the_in_app_file_chooser_selects_every_data_file_of_a_folder_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let settings = folder_to_choose_from(dir.path());
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/入河排污口.csv"),
        dir.path().join("入河排污口.csv"),
    )
    .unwrap();
    let mut h = harness(settings);
    h.run_steps(2);
    h.state_mut().push_command(Command::OpenFileChooser);
    step_until(&mut h, "the folder listing", |h| {
        h.query_by_label("锅炉台账.shp").is_some()
    });
    h.get_by_role_and_label(Role::Button, "全选").click();
    h.run_steps(2);
    let mut selected = h
        .state()
        .state
        .file_chooser
        .as_ref()
        .unwrap()
        .selected
        .clone();
    selected.sort();
    assert_eq!(
        selected,
        vec![
            dir.path().join("入河排污口.csv"),
            dir.path().join("锅炉台账.shp")
        ],
        "the data files, not the folder or the text file"
    );
    h.get_by_role_and_label(Role::Button, "打开").click();
    step_until(&mut h, "both layers to load", |h| {
        h.state().state.layers.len() == 2
    });
    h.run_steps(3);
    // Each in its role's colour.
    let app = h.state();
    let color = |name: &str| {
        let l = app
            .state
            .layers
            .iter()
            .find(|l| l.layer.name == name)
            .unwrap();
        l.style.color
    };
    assert_eq!(
        color("锅炉台账"),
        qingling::gui::state::layer_color(Some(LayerRole::Boiler), 9)
    );
    assert_eq!(
        color("入河排污口"),
        qingling::gui::state::layer_color(Some(LayerRole::Outfall), 9)
    );
}

#[test]
fn clicking_a_site_shows_its_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_boilers(dir.path());
    let mut h = harness(Settings::default());
    h.run_steps(2);
    h.state_mut().push_command(Command::LoadFiles(vec![path]));
    step_until(&mut h, "the layer to load", |h| {
        !h.state().state.layers.is_empty()
    });
    h.run_steps(3);
    let app = h.state();
    let at = app.state.view.screen_from_world(
        app.map_rect(),
        world_from_lonlat(LonLat {
            lon: 112.55,
            lat: 37.85,
        }),
    );
    assert!(app.map_rect().contains(at), "zoomed to the layer");
    h.hover_at(at);
    h.run_steps(1);
    h.event(eframe::egui::Event::PointerButton {
        pos: at,
        button: eframe::egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    h.event(eframe::egui::Event::PointerButton {
        pos: at,
        button: eframe::egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    h.run_steps(3);
    let sel = h.state().state.selection.expect("a feature is selected");
    assert_eq!(sel.index, 1);
    assert!(
        h.query_by_label("小店区豆腐坊").is_some(),
        "its attributes are shown"
    );
}

#[test]
fn a_file_that_cannot_be_read_is_listed_as_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("坏文件.shp");
    std::fs::write(&bad, b"not a shapefile").unwrap();
    let mut h = harness(Settings::default());
    h.run_steps(2);
    h.state_mut().push_command(Command::LoadFiles(vec![bad]));
    step_until(&mut h, "the load to fail", |h| {
        !h.state().state.load_problems.is_empty()
    });
    assert!(h.state().state.layers.is_empty());
    assert!(
        h.query_by_label("坏文件.shp").is_some(),
        "the problems list names the file"
    );
}

#[test]
fn a_zone_layer_is_triangulated_on_a_worker_for_the_current_zoom() {
    use geo::Area;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("水源保护区.shp");
    // A U-shaped zone (in degrees; its area is compared in Web Mercator below).
    use geo_types::polygon;
    let u: geo_types::Polygon<f64> = polygon![
        (x: 112.50, y: 37.80), (x: 112.62, y: 37.80), (x: 112.62, y: 37.92), (x: 112.58, y: 37.92),
        (x: 112.58, y: 37.84), (x: 112.54, y: 37.84), (x: 112.54, y: 37.92), (x: 112.50, y: 37.92),
        (x: 112.50, y: 37.80),
    ];
    let fields = vec![FieldDef {
        name: "名称".into(),
        kind: FieldKind::Text,
    }];
    let rows = vec![vec![Value::Text("汾河二级保护区".into())]];
    let opts = ShapefileWriteOptions {
        prj: qingling::crs::prj_wkt_for_epsg(4490),
        ..Default::default()
    };
    write_shapefile(&path, &[Some(u.into())], &fields, &rows, &opts).unwrap();

    let mut h = harness(Settings::default());
    h.run_steps(2);
    h.state_mut().push_command(Command::LoadFiles(vec![path]));
    step_until(&mut h, "the layer to load", |h| {
        !h.state().state.layers.is_empty()
    });
    step_until(&mut h, "the shapes of the current zoom", |h| {
        let s = &h.state().state;
        s.shapes
            .best(s.layers[0].id, s.view.detail_level())
            .is_some()
    });
    let s = &h.state().state;
    let l = &s.layers[0];
    let shapes = s.shapes.best(l.id, s.view.detail_level()).unwrap();
    assert_eq!(shapes.level, s.view.detail_level());
    let world = &l.display.as_ref().unwrap().features[0].geom;
    let filled = qingling::gui::map::tessellate::triangle_area(&shapes.features[0]);
    let exact = world.unsigned_area();
    // Simplified to a point at this zoom: a U of rectangles loses nothing.
    assert!(
        (filled - exact).abs() / exact < 1e-3,
        "filled {filled} vs {exact}"
    );
}

#[test]
fn a_project_file_opens_and_a_broken_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("太原核查.gpkg");
    qingling::project::Project::create(&good).unwrap();
    let bad = dir.path().join("坏项目.gpkg");
    std::fs::write(&bad, b"not sqlite at all").unwrap();

    let mut h = harness(Settings::default());
    h.run_steps(2);
    // A .gpkg among added files is opened as the project.
    h.state_mut()
        .push_command(Command::LoadFiles(vec![good.clone()]));
    step_until(&mut h, "the project to open", |h| {
        h.state().state.project.is_some()
    });
    let s = &h.state().state;
    assert_eq!(s.project.as_deref(), Some(good.as_path()));
    assert_eq!(s.settings.recent_projects.first(), Some(&good));
    assert!(s.layers.is_empty());

    h.state_mut()
        .push_command(Command::OpenProjectPath(bad.clone()));
    step_until(&mut h, "the broken project to be reported", |h| {
        !h.state().state.load_problems.is_empty()
    });
    let s = &h.state().state;
    assert_eq!(s.load_problems[0].file, bad);
    assert_eq!(
        s.project.as_deref(),
        Some(good.as_path()),
        "the open project stays"
    );
    // Said in Chinese in the status line and the problems list (the English
    // message stays the problem's own).
    let status = s.status.clone().unwrap_or_default();
    assert!(status.starts_with("无法打开项目：不是清零项目"), "{status}");
    let problem = &s.load_problems[0];
    assert!(
        problem.message.contains("not a qingling project"),
        "{}",
        problem.message
    );
    let zh = &problem.zh.as_ref().unwrap().message;
    assert!(zh.contains("不是清零项目") && !zh.contains("not a"), "{zh}");
}

#[test]
fn a_new_project_is_named_and_placed_in_the_app_when_no_save_dialog_shows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("新项目.gpkg"), b"someone else's").unwrap();
    let settings = Settings {
        recent_folders: vec![dir.path().to_path_buf()],
        ..Default::default()
    };
    let mut h = harness(settings);
    h.run_steps(2);
    h.state_mut().push_command(Command::NewProject);
    h.run_steps(3);
    // A name not yet taken in the last folder used is offered; nothing is made yet.
    let offered = h
        .state()
        .state
        .new_project
        .as_ref()
        .unwrap()
        .path_text
        .clone();
    assert_eq!(
        offered,
        dir.path().join("新项目 2.gpkg").display().to_string()
    );
    assert!(!dir.path().join("新项目 2.gpkg").exists());
    assert!(h.state().state.project.is_none());

    // An existing file is refused, with the reason.
    let taken = dir.path().join("新项目.gpkg");
    h.state_mut()
        .push_command(Command::NewProjectSetPath(taken.display().to_string()));
    h.run_steps(2);
    assert!(h.query_by_label_contains("该文件已存在").is_some());
    h.get_by_role_and_label(Role::Button, "新建").click();
    h.run_steps(3);
    assert!(h.state().state.project.is_none(), "not overwritten");
    assert_eq!(std::fs::read(&taken).unwrap(), b"someone else's");

    let chosen = dir.path().join("汾源县2026年核查.gpkg");
    h.state_mut()
        .push_command(Command::NewProjectSetPath(chosen.display().to_string()));
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "新建").click();
    step_until(&mut h, "the project to be created", |h| {
        h.state().state.project.is_some()
    });
    assert_eq!(h.state().state.project.as_deref(), Some(chosen.as_path()));
    assert!(h.state().state.new_project.is_none(), "the window closes");
    qingling::project::Project::open(&chosen).expect("a qingling project");
}

/// Whether every layer is in the map's view.
fn all_layers_in_view(h: &Harness<'static, App>) -> bool {
    let app = h.state();
    let visible = app.state.view.visible_world_rect(app.map_rect());
    app.state.layers.iter().all(|l| {
        let bbox = l.display.as_ref().and_then(|d| d.bbox).unwrap();
        visible.contains_rect(bbox)
    })
}

#[test]
fn layers_read_one_after_another_are_all_shown_until_the_map_is_moved() {
    let dir = tempfile::tempdir().unwrap();
    let boilers = write_boilers(dir.path());
    // Far from the boilers: the sample county's outfalls.
    let outfalls = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/入河排污口.csv");
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/禁煤区.geojson");
    let mut h = harness(Settings::default());
    h.run_steps(2);
    let load = |h: &mut Harness<'static, App>, path: &Path, n: usize| {
        h.state_mut()
            .push_command(Command::LoadFiles(vec![path.to_path_buf()]));
        step_until(h, "the layer to load", |h| {
            h.state().state.layers.len() == n
        });
        h.run_steps(2);
    };
    load(&mut h, &boilers, 1);
    load(&mut h, &outfalls, 2);
    assert!(
        all_layers_in_view(&h),
        "the second file widens the first view"
    );

    // Once the user moves the map, a layer read later leaves it where it is.
    let mut moved = h.state().state.view;
    moved.pan(eframe::egui::vec2(60.0, 0.0));
    h.state_mut().push_command(Command::SetView(moved));
    h.run_steps(2);
    load(&mut h, &zones, 3);
    assert_eq!(h.state().state.view, moved);
}

#[test]
fn a_data_file_given_on_the_command_line_is_shown_as_a_layer() {
    let dir = tempfile::tempdir().unwrap();
    let boilers = write_boilers(dir.path());
    let mut h = common::harness_opening(Settings::default(), [1200.0, 800.0], boilers);
    step_until(&mut h, "the layer to load", |h| {
        !h.state().state.layers.is_empty()
    });
    let s = &h.state().state;
    assert_eq!(s.layers[0].layer.name, "锅炉台账");
    assert!(s.project.is_none(), "not taken for a project");
    assert!(s.load_problems.is_empty(), "{:?}", s.load_problems);
}
