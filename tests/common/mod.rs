//! What the egui_kittest app tests share: the real app in a headless harness with the
//! app's CJK fonts, and stepping it until a condition holds while jobs run on workers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;

use qingling::gui::app::{App, AppOptions};
use qingling::gui::fonts;
use qingling::gui::settings::Settings;

/// The app with `settings`, no system fonts and no system file dialog, in a window
/// of `size` points.
pub fn harness(settings: Settings, size: [f32; 2]) -> Harness<'static, App> {
    harness_with(settings, size, test_options())
}

/// No system fonts and no system file dialog.
fn test_options() -> AppOptions {
    AppOptions {
        load_system_fonts: false,
        system_file_dialog: false,
        ..AppOptions::default()
    }
}

/// The app with `settings` and `options` in a window of `size` points.
pub fn harness_with(
    settings: Settings,
    size: [f32; 2],
    options: AppOptions,
) -> Harness<'static, App> {
    build(App::new(settings, None, options), size)
}

/// The app as `qingling PATH` starts it (as [`harness`] otherwise).
pub fn harness_opening(settings: Settings, size: [f32; 2], path: PathBuf) -> Harness<'static, App> {
    build(App::new(settings, Some(path), test_options()), size)
}

fn build(app: App, size: [f32; 2]) -> Harness<'static, App> {
    Harness::builder()
        .with_size(size)
        .with_context_setup(fonts::install)
        .build_ui_state(
            |ui, app: &mut App| {
                app.logic_frame(ui.ctx());
                app.ui_frame(ui);
            },
            app,
        )
}

/// Step the app until `done` holds (jobs run on real threads), at most `limit`, then
/// one more frame so the result is drawn.
pub fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    limit: Duration,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h) {
            h.step();
            return;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The demo project (the bundled sample data checked once), made by the binary in
/// `dir`.
pub fn demo_project(dir: &Path) -> PathBuf {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_qingling"))
        .args(["demo", "--quiet", "--out"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
    let p = dir.join("清零示例项目.gpkg");
    assert!(p.is_file());
    p
}
