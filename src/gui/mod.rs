//! The desktop app (feature `gui`): an eframe window with a map canvas, layer,
//! attribute and problem panels, Chinese and English UI.
//!
//! The UI thread only draws and dispatches: panels push [`commands::Command`]s, the
//! [`app::App`] applies them in one place, and reading files, preparing geometry for
//! the map, listing folders and (later) checking, exporting and saving run as
//! [`jobs::Job`]s on worker threads with progress and cancel.
//!
//! Renderer: **glow** (OpenGL), not wgpu. glow needs only OpenGL 2+/ES 2, which mesa's
//! software rasteriser (llvmpipe) provides under Xvfb for screenshots and CI, and which
//! works under Wine and on old office PCs and remote desktops without Vulkan/DX12
//! drivers; the app draws flat 2-D meshes, so wgpu's extras buy nothing here, and glow
//! also builds faster and smaller.

pub mod app;
pub mod commands;
pub mod findings;
pub mod fonts;
pub mod i18n;
pub mod jobs;
pub mod map;
pub mod mapping;
pub mod panels;
pub mod project_tasks;
pub mod settings;
pub mod state;
pub mod tasks;

use std::path::PathBuf;

/// The app could not start.
#[derive(Debug, thiserror::Error)]
pub enum GuiError {
    #[error(
        "the window could not be opened: {0} (is a display available? on Linux set DISPLAY or WAYLAND_DISPLAY)"
    )]
    Window(String),
}

/// Open the desktop app, optionally with a project file, and return when it closes.
/// (The binary's entry point: `anyhow` because this is the top of the app.)
pub fn run(project: Option<PathBuf>) -> anyhow::Result<()> {
    Ok(run_with_files(project, Vec::new())?)
}

/// Open the desktop app and start reading `files` as layers (as if dropped on it).
pub fn run_with_files(project: Option<PathBuf>, files: Vec<PathBuf>) -> Result<(), GuiError> {
    let options = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title(i18n::Language::Zh.tr(i18n::Tr::AppTitle))
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "qingling",
        options,
        Box::new(move |cc| {
            let mut app = app::App::from_creation_context(cc, project);
            if !files.is_empty() {
                app.push_command(commands::Command::LoadFiles(files));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| GuiError::Window(e.to_string()))
}
