//! The app: owns the state and the jobs, polls jobs and applies commands in `logic`,
//! lays out the panels in `ui`. Panels only push [`Command`]s; [`App::apply_commands`]
//! is the one place where state changes in answer to the user.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui::{self, Rect};

use super::commands::{Command, PanelKind};
use super::findings::{FindingsState, SaveState};
use super::fonts;
use super::i18n::{Language, Tr};
use super::jobs::{Job, JobId, Poll};
use super::map::canvas::map_ui;
use super::panels::dashboard::dashboard_ui;
use super::panels::export::{ExportState, export_ui};
use super::panels::file_chooser::{
    FileChooserState, file_chooser_ui, home_dir, is_supported, list_dir,
};
use super::panels::findings::{finding_overlay_ui, findings_ui};
use super::panels::identify::identify_ui;
use super::panels::layers::layers_ui;
use super::panels::mapping::mapping_window_ui;
use super::panels::menu::{about_ui, menu_bar_ui, status_bar_ui};
use super::panels::problems::problems_ui;
use super::project_tasks::{self, SharedProject};
use super::settings::Settings;
use super::state::{AppState, JobStatus, LayerId, LayerStyle, MapLayer, guess_label_field};
use super::tasks::{self, JobOutput};
use crate::io::ReadOptions;
use crate::model::{Problem, ProblemLevel};
use crate::project::ReviewAction;

/// How the app starts (tests turn the system integrations off).
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Look for system CJK fonts at startup (on a worker).
    pub load_system_fonts: bool,
    /// Try the system file dialog before the in-app chooser.
    pub system_file_dialog: bool,
    /// A shapefile whose `.dbf` is larger than this is shown from its geometry first
    /// and its attributes read afterwards (tests lower it to reach that path with
    /// small files).
    pub defer_attributes_above_bytes: u64,
    /// A project layer with more records than this is shown from its geometry first
    /// and its attributes read afterwards.
    pub defer_project_attributes_above_records: u64,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            load_system_fonts: true,
            system_file_dialog: true,
            defer_attributes_above_bytes: tasks::DEFER_ATTRIBUTES_ABOVE_BYTES,
            defer_project_attributes_above_records: tasks::DEFER_PROJECT_ATTRIBUTES_ABOVE_RECORDS,
        }
    }
}

/// A system dialog that answered "nothing" faster than this was not shown at all.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);

/// A view fitted to a box ([`App::fit_view`]): kept fitted while the map's area
/// changes size (panels opening around it, as the findings table does after a
/// project loads) until the user moves the map.
#[derive(Clone, Copy)]
struct FittedView {
    bbox: super::map::view::WorldRect,
    /// The map's size when fitted.
    size: egui::Vec2,
    /// The box is every layer's (zoom to all, or the first load): layers added
    /// later, as the rest of a folder loads, widen it.
    all: bool,
}

/// The desktop app.
pub struct App {
    pub state: AppState,
    options: AppOptions,
    jobs: Vec<Job<JobOutput>>,
    next_job: u64,
    next_layer: u64,
    commands: Vec<Command>,
    started: bool,
    project_on_start: Option<PathBuf>,
    map_rect: Rect,
    /// The box the view was last fitted to, until the user moves the map.
    fitted: Option<FittedView>,
    ctx: Option<egui::Context>,
    /// The open project's connection, used only by jobs.
    db: Option<SharedProject>,
    /// Review actions waiting for the one in flight (saved in order).
    review_queue: VecDeque<ReviewAction>,
    review_in_flight: bool,
    /// Screenshots of the window arrive here, for the map picture.
    screenshot_tx: Sender<Arc<egui::ColorImage>>,
    screenshot_rx: Receiver<Arc<egui::ColorImage>>,
    /// Where the next screenshot's map part goes.
    pending_png: Option<PathBuf>,
    /// Whether the export asked for is the map picture.
    export_png: bool,
    /// Layers being saved into the project (a check waits for them).
    saving_layers: std::collections::BTreeSet<LayerId>,
}

impl App {
    /// An app with these settings that opens `project` once running.
    pub fn new(settings: Settings, project: Option<PathBuf>, options: AppOptions) -> App {
        let (screenshot_tx, screenshot_rx) = channel();
        App {
            state: AppState {
                settings,
                ..Default::default()
            },
            options,
            jobs: Vec::new(),
            next_job: 1,
            next_layer: 1,
            commands: Vec::new(),
            started: false,
            project_on_start: project,
            map_rect: Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0)),
            fitted: None,
            ctx: None,
            db: None,
            review_queue: VecDeque::new(),
            review_in_flight: false,
            screenshot_tx,
            screenshot_rx,
            pending_png: None,
            export_png: false,
            saving_layers: Default::default(),
        }
    }

    /// Create from eframe's creation context: fonts installed before the first frame,
    /// settings restored from storage.
    pub fn from_creation_context(
        cc: &eframe::CreationContext<'_>,
        project: Option<PathBuf>,
    ) -> App {
        fonts::install(&cc.egui_ctx);
        let settings = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, Settings::STORAGE_KEY))
            .unwrap_or_default();
        App::new(settings, project, AppOptions::default())
    }

    /// The commands pushed so far this frame (for tests).
    pub fn pending_commands(&self) -> &[Command] {
        &self.commands
    }

    /// Queue a command as if a panel had pushed it.
    pub fn push_command(&mut self, cmd: Command) {
        self.commands.push(cmd);
    }

    /// Where the map was drawn last frame.
    pub fn map_rect(&self) -> Rect {
        self.map_rect
    }

    /// Whether any job is still running.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Poll jobs, take dropped files, apply commands. No drawing.
    pub fn logic_frame(&mut self, ctx: &egui::Context) {
        if !self.started {
            self.start(ctx);
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.commands.push(Command::LoadFiles(dropped));
        }
        self.poll_jobs(ctx);
        self.start_waiting_check();
        self.poll_screenshot(ctx);
        self.apply_commands(ctx);
        self.refit_resized_map();
        let s = &mut self.state;
        if let Some(status) = s.basemap.update(
            ctx,
            &s.settings.basemap,
            &s.view,
            self.map_rect,
            s.settings.language,
        ) {
            s.status = Some(status);
        }
    }

    /// Fits the view to `bbox` in the map's area, and keeps it fitted there while
    /// the area changes size (panels opening around it) until the user moves the map.
    /// `all`: the box is every layer's.
    fn fit_view(&mut self, bbox: super::map::view::WorldRect, all: bool) {
        self.state.view.fit(self.map_rect, bbox);
        self.fitted = Some(FittedView {
            bbox,
            size: self.map_rect.size(),
            all,
        });
    }

    /// The map's area changed size since the view was fitted to a box the user has
    /// not moved away from: fitted again, so that what was shown whole stays whole.
    fn refit_resized_map(&mut self) {
        if let Some(f) = self.fitted
            && self.map_rect.size() != f.size
        {
            self.fit_view(f.bbox, f.all);
        }
    }

    /// A screenshot arrived: cut out the map and write it on a worker.
    fn poll_screenshot(&mut self, ctx: &egui::Context) {
        let Ok(image) = self.screenshot_rx.try_recv() else {
            return;
        };
        let Some(path) = self.pending_png.take() else {
            return;
        };
        let ppp = ctx.pixels_per_point();
        let r = self.map_rect;
        let px = |v: f32| (v * ppp).round().max(0.0) as usize;
        let rect_px = [px(r.min.x), px(r.min.y), px(r.width()), px(r.height())];
        let name = self
            .state
            .settings
            .language
            .tr(Tr::ExportMap)
            .trim_end_matches('…')
            .to_owned();
        self.spawn(name, move |_| {
            project_tasks::export_png(image, rect_px, path)
        });
    }

    /// Whether a review action is being saved or waits to be.
    pub fn is_saving(&self) -> bool {
        self.review_in_flight || !self.review_queue.is_empty()
    }

    fn start(&mut self, ctx: &egui::Context) {
        self.started = true;
        self.ctx = Some(ctx.clone());
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(
            self.state.settings.language.tr(Tr::AppTitle).to_owned(),
        ));
        if self.options.load_system_fonts {
            self.spawn_hidden("fonts", |_| tasks::system_fonts());
        }
        if let Some(p) = self.project_on_start.take() {
            // A data file given instead (opened with qingling from a file manager) is
            // shown as a layer; anything else is opened as the project.
            let project = p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"));
            if !project && is_supported(&p) {
                self.commands.push(Command::LoadFiles(vec![p]));
            } else {
                self.commands.push(Command::OpenProjectPath(p));
            }
        }
    }

    /// Lay out the panels and draw. Commands pushed by panels are applied at the end.
    pub fn ui_frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut cmds = std::mem::take(&mut self.commands);
        let state = &self.state;
        egui::Panel::top("menu_bar").show(ui, |ui| menu_bar_ui(ui, state, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| status_bar_ui(ui, state, &mut cmds));
        let layout = &state.settings.layout;
        if layout.show_problems {
            egui::Panel::bottom("problems")
                .resizable(true)
                .default_size(120.0)
                .show(ui, |ui| problems_ui(ui, state, &mut cmds));
        }
        if layout.show_findings {
            egui::Panel::bottom("findings")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| findings_ui(ui, state, &mut cmds));
        }
        if layout.show_layers {
            egui::Panel::left("layers")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| layers_ui(ui, state, &mut cmds));
        }
        if layout.show_attributes {
            egui::Panel::right("attributes")
                .resizable(true)
                .default_size(260.0)
                .show(ui, |ui| identify_ui(ui, state, &mut cmds));
        }
        let mut map_rect = self.map_rect;
        egui::CentralPanel::no_frame().show(ui, |ui| {
            map_rect = ui.max_rect();
            map_ui(ui, state, &mut cmds);
            finding_overlay_ui(ui, state, map_rect);
        });
        self.map_rect = map_rect;
        file_chooser_ui(&ctx, state, &mut cmds);
        about_ui(&ctx, state, &mut cmds);
        dashboard_ui(&ctx, state, &mut cmds);
        export_ui(&ctx, state, &mut cmds);
        super::panels::new_project::new_project_ui(&ctx, state, &mut cmds);
        mapping_window_ui(&ctx, state, &mut cmds);
        self.commands = cmds;
        self.apply_commands(&ctx);
    }

    fn alloc_job_id(&mut self) -> JobId {
        let id = JobId(self.next_job);
        self.next_job += 1;
        id
    }

    fn spawn(
        &mut self,
        name: String,
        work: impl FnOnce(&super::jobs::JobContext) -> JobOutput + Send + 'static,
    ) {
        let id = self.alloc_job_id();
        self.jobs.push(Job::spawn(id, name, self.ctx.clone(), work));
    }

    fn spawn_hidden(
        &mut self,
        name: &str,
        work: impl FnOnce(&super::jobs::JobContext) -> JobOutput + Send + 'static,
    ) {
        let id = self.alloc_job_id();
        let mut job = Job::spawn(id, name, self.ctx.clone(), work);
        job.visible = false;
        self.jobs.push(job);
    }

    fn poll_jobs(&mut self, ctx: &egui::Context) {
        let mut finished = Vec::new();
        self.jobs.retain(|job| match job.poll() {
            Poll::Running => true,
            Poll::Done(out) => {
                finished.push((job.name.clone(), job.is_cancel_requested(), Some(out)));
                false
            }
            Poll::Lost => {
                finished.push((job.name.clone(), false, None));
                false
            }
        });
        for (name, cancelled, out) in finished {
            match out {
                Some(out) if !cancelled => self.apply_output(ctx, out),
                Some(out) => {
                    // Still let caches forget a cancelled level.
                    if let JobOutput::Shapes { layer, level, .. } = out {
                        self.state.shapes.finish(layer, level, None);
                    }
                    self.state.status =
                        Some(self.state.settings.language.trf(Tr::Cancelled, &[&name]));
                }
                None => {
                    self.state.status =
                        Some(self.state.settings.language.trf(Tr::LoadFailed, &[&name]));
                }
            }
        }
        // A raster job that died must not block the next one.
        self.state.raster_pending &= self.jobs.iter().any(|j| j.name == "raster");
        self.state.jobs = self
            .jobs
            .iter()
            .filter(|j| j.visible)
            .map(|j| JobStatus {
                id: j.id,
                name: j.name.clone(),
                progress: j.progress.get(),
                cancelling: j.is_cancel_requested(),
            })
            .collect();
    }

    /// Add read layers on top of the list, or in place of `replace` (keeping its style,
    /// role and label field).
    fn add_layers(
        &mut self,
        path: &std::path::Path,
        options: &ReadOptions,
        replace: Option<LayerId>,
        layers: Vec<tasks::LoadedLayer>,
    ) -> Vec<LayerId> {
        let mut added = Vec::new();
        let mut at = replace.and_then(|id| self.state.layers.iter().position(|l| l.id == id));
        let old = at.map(|i| self.state.layers.remove(i));
        if let Some(old) = &old {
            self.forget_layer(old.id);
        }
        for loaded in layers {
            let id = LayerId(self.next_layer);
            self.next_layer += 1;
            added.push(id);
            let mut ml = MapLayer {
                id,
                path: path.to_path_buf(),
                options: options.clone(),
                display: loaded.display.map(Arc::new),
                display_problems: loaded.display_problems,
                style: LayerStyle {
                    visible: true,
                    color: super::state::new_layer_color(
                        loaded.role,
                        id.0 as usize - 1,
                        &self
                            .state
                            .layers
                            .iter()
                            .map(|l| l.style.color)
                            .collect::<Vec<_>>(),
                    ),
                    opacity: 0.35,
                },
                label_field: guess_label_field(&loaded.layer),
                role: loaded.role,
                layer: Arc::new(loaded.layer),
            };
            if let Some(old) = &old {
                ml.style = old.style;
                ml.role = old.role;
                if old.label_field.is_some_and(|f| f < ml.layer.fields.len()) {
                    ml.label_field = old.label_field;
                }
            }
            // New layers go on top; a re-read layer keeps its place.
            match at.as_mut() {
                Some(i) => {
                    self.state.layers.insert(*i, ml);
                    *i += 1;
                }
                None => self.state.layers.insert(0, ml),
            }
        }
        // The first layers zoom to them; the rest of the same load (a folder of
        // files read one after another) widens that view, unless the user has moved.
        let showing_all = self.fitted.is_some_and(|f| f.all);
        if !self.state.view_fitted || showing_all {
            self.commands.push(Command::ZoomToAll);
        }
        added
    }

    /// Where dialogs and the chooser start: the last folder used, else home.
    fn start_folder(&self) -> PathBuf {
        self.state
            .settings
            .recent_folders
            .iter()
            .find(|p| p.is_dir())
            .cloned()
            .or_else(home_dir)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    fn update_title(&self, ctx: &egui::Context) {
        let lang = self.state.settings.language;
        let mut title = lang.tr(Tr::AppTitle).to_owned();
        if let Some(p) = &self.state.project {
            title = format!("{} — {title}", p.display());
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
    }

    fn apply_output(&mut self, ctx: &egui::Context, out: JobOutput) {
        let lang = self.state.settings.language;
        match out {
            JobOutput::Loaded {
                path,
                options,
                replace,
                result,
                attributes_pending,
            } => match result {
                Err(problem) => {
                    self.state.status = Some(lang.trf(Tr::LoadFailed, &[&path.display()]));
                    self.state.load_problems.push(problem);
                }
                Ok(layers) => {
                    self.state.status = Some(lang.trf(Tr::LoadedLayers, &[&layers.len()]));
                    let replaced_table =
                        replace.and_then(|id| self.state.project_tables.remove(&id));
                    let added = self.add_layers(&path, &options, replace, layers);
                    if attributes_pending {
                        // Shown from the geometry; saved once the attributes are in.
                        self.state.attributes_pending.extend(added.iter().copied());
                        let file_name = path
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| path.display().to_string());
                        let name = lang.trf(Tr::LoadingFile, &[&file_name]);
                        let options = *options;
                        self.spawn(name, move |jc| {
                            tasks::load_attributes(path, options, added, replaced_table, jc)
                        });
                    } else {
                        self.save_layers_to_project(&added, replaced_table);
                    }
                }
            },
            JobOutput::Attributes {
                path,
                layers,
                replaced_table,
                result,
                from_project,
            } => {
                for id in &layers {
                    self.state.attributes_pending.remove(id);
                }
                match result {
                    Err(problem) => {
                        self.state.status = Some(lang.trf(Tr::LoadFailed, &[&path.display()]));
                        self.state.load_problems.push(problem);
                    }
                    Ok(full) => {
                        let mut merged = Vec::new();
                        for (id, layer) in layers.into_iter().zip(full) {
                            // A layer removed or read again meanwhile is left alone.
                            let Some(ml) = self.state.layer_mut(id) else {
                                continue;
                            };
                            let role = ml.role;
                            if ml.path == path && tasks::merge_attributes(ml, layer) {
                                merged.push(id);
                                if from_project {
                                    // The project's role stands, not a new guess.
                                    ml.role = role;
                                }
                            }
                        }
                        // An editor opened while the columns were unknown reads them now.
                        if let Some(ed) = &self.state.mapping.editor
                            && merged.contains(&ed.layer)
                        {
                            let open = super::mapping::MappingCommand::Open(ed.layer);
                            self.commands.push(Command::Mapping(open));
                        }
                        if !from_project {
                            self.save_layers_to_project(&merged, replaced_table);
                        }
                    }
                }
            }
            JobOutput::Shapes {
                layer,
                level,
                shapes,
            } => {
                // A layer removed meanwhile: drop the result.
                if self.state.layer(layer).is_some() {
                    self.state.shapes.finish(layer, level, shapes);
                }
            }
            JobOutput::Raster {
                view,
                size,
                key,
                images,
            } => {
                self.state.raster_pending = false;
                if let Some(images) = images {
                    let textures = images
                        .into_iter()
                        .map(|(id, image)| {
                            let name = format!("points {}", id.0);
                            (
                                id,
                                ctx.load_texture(name, image, egui::TextureOptions::NEAREST),
                            )
                        })
                        .collect();
                    self.state.point_raster = Some(super::map::raster::PointRaster {
                        textures,
                        view,
                        size,
                        key,
                    });
                }
            }
            JobOutput::Listing(listing) => {
                if let Some(fc) = &mut self.state.file_chooser
                    && fc.dir == listing.dir
                {
                    fc.listing = Some(listing);
                }
            }
            JobOutput::Picked { files, elapsed } => match files {
                Some(files) => self.commands.push(Command::LoadFiles(files)),
                None if elapsed < NO_DIALOG_WITHIN => self.commands.push(Command::OpenFileChooser),
                None => {}
            },
            JobOutput::Project { path, result } => match result {
                Ok(opened) => {
                    let opened = *opened;
                    let (layers, tables): (Vec<_>, Vec<_>) = opened.layers.into_iter().unzip();
                    self.db = Some(Arc::new(Mutex::new(opened.project)));
                    self.review_queue.clear();
                    self.state.project_tables.clear();
                    self.state.findings = FindingsState {
                        rows: opened.findings,
                        rule_titles: opened.rule_titles,
                        loaded: true,
                        deadline_draft: opened.deadline.clone().unwrap_or_default(),
                        deadline: opened.deadline,
                        ..Default::default()
                    };
                    self.state.findings.refresh_view();
                    // A project replaces what was open.
                    let old: Vec<LayerId> = self.state.layers.iter().map(|l| l.id).collect();
                    for id in old {
                        self.forget_layer(id);
                    }
                    self.state.check_waiting = None;
                    self.state.layers.clear();
                    self.state.load_problems.clear();
                    self.state.selection = None;
                    self.state.view_fitted = false;
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.state.status = Some(lang.trf(Tr::ProjectOpened, &[&name, &layers.len()]));
                    let ids = self.add_layers(&path, &ReadOptions::default(), None, layers);
                    // Large layers are shown from their geometry: read the rest now.
                    let (pending_ids, pending_tables): (Vec<LayerId>, Vec<String>) = ids
                        .iter()
                        .zip(&tables)
                        .filter(|(_, t)| opened.attributes_pending.contains(t))
                        .map(|(id, t)| (*id, t.clone()))
                        .unzip();
                    self.state
                        .project_tables
                        .extend(ids.into_iter().zip(tables));
                    if !pending_ids.is_empty() {
                        self.state
                            .attributes_pending
                            .extend(pending_ids.iter().copied());
                        let name = lang.trf(Tr::LoadingFile, &[&name]);
                        let project = path.clone();
                        self.spawn(name, move |jc| {
                            tasks::load_project_attributes(project, pending_ids, pending_tables, jc)
                        });
                    }
                    self.state.settings.push_recent_project(&path);
                    self.state.project = Some(path);
                    self.update_title(ctx);
                }
                Err(failure) => {
                    self.state.status = Some(lang.trf(Tr::ProjectFailed, &[&failure.said(lang)]));
                    let zh = Language::Zh.trf(Tr::ProjectFailed, &[&failure.zh]);
                    self.state
                        .load_problems
                        .push(Problem::error(&path, failure.message).with_zh(zh, None));
                }
            },
            JobOutput::ProjectPicked {
                save,
                path,
                elapsed,
            } => match path {
                Some(p) if save => self.commands.push(Command::CreateProject(p)),
                Some(p) => self.commands.push(Command::OpenProjectPath(p)),
                None if elapsed < NO_DIALOG_WITHIN => {
                    if save {
                        self.open_new_project_window();
                    } else {
                        self.commands.push(Command::OpenFileChooser);
                    }
                }
                None => {}
            },
            JobOutput::Checked(result) => match result {
                Ok(done) => {
                    let done = *done;
                    let s = done.summary;
                    let msg = lang.trf(
                        Tr::CheckDoneMsg,
                        &[
                            &done.sites_checked,
                            &done.zones_indexed,
                            &s.new,
                            &s.existing,
                            &s.resolved_by_data,
                        ],
                    );
                    if !done.skipped.is_empty() {
                        self.state.load_problems.push(tasks::problem_in_both(
                            ProblemLevel::Warning,
                            self.state
                                .project
                                .as_deref()
                                .unwrap_or(std::path::Path::new("")),
                            |lang| {
                                let skipped = done.skipped.join(if lang == Language::Zh {
                                    "、"
                                } else {
                                    ", "
                                });
                                (lang.trf(Tr::CheckSkipped, &[&skipped]), None)
                            },
                        ));
                    }
                    self.state.load_problems.extend(done.problems);
                    self.state.mapping.findings_stale = false;
                    self.state.status = Some(msg.clone());
                    let fs = &mut self.state.findings;
                    fs.last_run = Some(msg);
                    fs.rows = done.rows;
                    fs.rule_titles = done.rule_titles;
                    fs.loaded = true;
                    fs.refresh_view();
                    if fs
                        .selected
                        .as_deref()
                        .is_some_and(|id| fs.row(id).is_none())
                    {
                        fs.selected = None;
                    }
                }
                Err(failure) => {
                    let msg = lang.trf(Tr::CheckFailed, &[&failure.said(lang)]);
                    self.state.findings.last_run = Some(msg.clone());
                    self.state.status = Some(msg);
                }
            },
            JobOutput::Reviewed { finding_id, result } => {
                self.review_in_flight = false;
                match result {
                    Ok(row) => {
                        let fs = &mut self.state.findings;
                        let is_selected = fs.selected.as_deref() == Some(finding_id.as_str());
                        // Keep a note still being typed; take the saved one otherwise.
                        let typed_unsaved = fs
                            .row(&finding_id)
                            .is_some_and(|old| fs.note_draft != old.finding.note);
                        if is_selected && !typed_unsaved {
                            fs.note_draft = row.finding.note.clone();
                        }
                        fs.replace_row(*row);
                        fs.saves.insert(finding_id.clone(), SaveState::Saved);
                        if is_selected {
                            self.request_history(finding_id);
                        }
                    }
                    Err(failure) => {
                        let message = failure.said(lang).to_owned();
                        self.state.status = Some(lang.trf(Tr::SaveFailed, &[&message]));
                        self.state
                            .findings
                            .saves
                            .insert(finding_id, SaveState::Failed(message));
                    }
                }
                self.start_next_review();
            }
            JobOutput::History { finding_id, result } => {
                if self.state.findings.selected.as_deref() == Some(finding_id.as_str()) {
                    self.state.findings.history = Some((finding_id, result));
                }
            }
            JobOutput::LayerSaved { layer, result } => {
                self.saving_layers.remove(&layer);
                match result {
                    Ok(table) => {
                        if let Some(l) = self.state.layer(layer) {
                            self.state.status = Some(lang.trf(Tr::LayerSavedMsg, &[&l.layer.name]));
                            self.state.project_tables.insert(layer, table);
                        }
                        // An editor opened before the layer was in the project can
                        // now read and save its mapping there.
                        if let Some(ed) = &self.state.mapping.editor
                            && ed.layer == layer
                            && ed.table.is_none()
                        {
                            let open = super::mapping::MappingCommand::Open(layer);
                            self.commands.push(Command::Mapping(open));
                        }
                    }
                    Err(failure) => {
                        let said = failure.said(lang);
                        self.state.status = Some(lang.trf(Tr::ProjectWriteFailed, &[&said]));
                    }
                }
            }
            JobOutput::ProjectWritten(result) => {
                if let Err(failure) = result {
                    let said = failure.said(lang);
                    self.state.status = Some(lang.trf(Tr::ProjectWriteFailed, &[&said]));
                }
            }
            JobOutput::DeadlineSaved { date, result } => match result {
                Ok(()) => {
                    self.state.findings.deadline_draft = date.clone().unwrap_or_default();
                    self.state.findings.deadline = date;
                }
                Err(failure) => {
                    let said = failure.said(lang);
                    self.state.status = Some(lang.trf(Tr::ProjectWriteFailed, &[&said]));
                }
            },
            JobOutput::Exported { path, result } => {
                self.state.status = Some(match result {
                    Ok(_)
                        if path
                            .extension()
                            .is_some_and(|e| e.eq_ignore_ascii_case("png")) =>
                    {
                        lang.trf(Tr::ExportedMap, &[&path.display()])
                    }
                    Ok(n) => lang.trf(Tr::Exported, &[&n, &path.display()]),
                    Err(failure) => lang.trf(Tr::ExportFailed, &[&failure.said(lang)]),
                });
            }
            JobOutput::ExportPicked { path, elapsed } => match path {
                Some(p) => self.commands.push(Command::ExportTo(p)),
                None if elapsed < NO_DIALOG_WITHIN => self.open_export_window(self.export_png),
                None => {}
            },
            JobOutput::Mapping(job) => super::mapping::apply_job(&mut self.state, job),
            JobOutput::SystemFonts(found) => {
                if let Some(ctx) = &self.ctx {
                    fonts::add_fallback_fonts(ctx, found);
                }
            }
        }
    }

    /// Import freshly read layers into the open project (on a worker).
    fn save_layers_to_project(&mut self, added: &[LayerId], mut replaced_table: Option<String>) {
        let Some(db) = self.db.clone() else { return };
        for &id in added {
            let Some(l) = self.state.layer(id) else {
                continue;
            };
            let (layer, role) = (l.layer.clone(), l.role);
            let name = self
                .state
                .settings
                .language
                .trf(Tr::LayerSavedMsg, &[&layer.name]);
            let db = db.clone();
            let replaces = replaced_table.take();
            self.saving_layers.insert(id);
            self.spawn(name, move |_| {
                project_tasks::save_layer(db, id, layer, role, replaces)
            });
        }
    }

    /// Drop what the app keeps about a layer that is removed or read again.
    fn forget_layer(&mut self, id: LayerId) {
        self.state.shapes.remove_layer(id);
        self.state.attributes_pending.remove(&id);
        self.saving_layers.remove(&id);
        if self.state.selection.is_some_and(|s| s.layer == id) {
            self.state.selection = None;
        }
    }

    /// Names of the layers a check must wait for: attributes still being read, or
    /// being saved into the project.
    fn layers_check_waits_for(&self) -> Vec<String> {
        self.state
            .layers
            .iter()
            .filter(|l| {
                // A layer read back from the project is complete there already.
                (self.state.attributes_pending(l.id)
                    && !self.state.project_tables.contains_key(&l.id))
                    || self.saving_layers.contains(&l.id)
            })
            .map(|l| l.layer.name.clone())
            .collect()
    }

    /// Start the check asked for if nothing it waits for is left (else say what it
    /// waits for, in the status bar).
    fn start_waiting_check(&mut self) {
        if self.state.check_waiting.is_none() {
            return;
        }
        let lang = self.state.settings.language;
        let Some(db) = self.db.clone() else {
            self.state.check_waiting = None;
            return;
        };
        let waits_for = self.layers_check_waits_for();
        if !waits_for.is_empty() {
            if self.state.check_waiting.as_ref() != Some(&waits_for) {
                self.state.status = Some(lang.trf(Tr::CheckWaiting, &[&waits_for.join("、")]));
                self.state.check_waiting = Some(waits_for);
            }
            return;
        }
        self.state.check_waiting = None;
        // A layer that could not be read in full or saved is not in the project. Say
        // so where it stays visible, in the problems list.
        for l in self
            .state
            .layers
            .iter()
            .filter(|l| l.role.is_some() && !self.state.project_tables.contains_key(&l.id))
        {
            self.state.load_problems.push(tasks::problem_in_both(
                ProblemLevel::Warning,
                &l.path,
                |lang| {
                    (
                        lang.trf(Tr::CheckWithoutLayer, &[&l.layer.name]),
                        Some(lang.tr(Tr::CheckWithoutLayerHint).to_owned()),
                    )
                },
            ));
        }
        self.spawn(lang.tr(Tr::RunCheck).to_owned(), move |jc| {
            project_tasks::check_project(db, jc)
        });
    }

    /// Start saving the next queued review action, if none is in flight.
    fn start_next_review(&mut self) {
        if self.review_in_flight {
            return;
        }
        let (Some(db), Some(action)) = (self.db.clone(), self.review_queue.pop_front()) else {
            return;
        };
        self.review_in_flight = true;
        self.spawn_hidden("review", move |_| project_tasks::review(db, action));
    }

    /// Read the history of a finding (on a worker).
    fn request_history(&mut self, finding_id: String) {
        if let Some(db) = self.db.clone() {
            self.spawn_hidden("history", move |_| project_tasks::history(db, finding_id));
        }
    }

    /// Select a finding: its row, its note, its site on the map (zoomed to), its history.
    fn select_finding(&mut self, id: Option<String>, zoom: bool) {
        let fs = &mut self.state.findings;
        let Some(row) = id.as_deref().and_then(|id| fs.row(id)).cloned() else {
            fs.selected = None;
            fs.history = None;
            fs.note_draft.clear();
            return;
        };
        let f = &row.finding;
        let changed = fs.selected.as_deref() != Some(f.finding_id.as_str());
        fs.selected = Some(f.finding_id.clone());
        if changed {
            fs.note_draft = f.note.clone();
            fs.history = None;
            self.request_history(f.finding_id.clone());
        }
        if let Some(site) = self.state.feature_of(&f.site_layer, f.site_fid) {
            self.state.selection = Some(site);
        }
        if zoom && f.lon.is_finite() && f.lat.is_finite() {
            let at = super::map::view::world_from_lonlat(super::map::view::LonLat {
                lon: f.lon,
                lat: f.lat,
            });
            // Close enough to see the site and the zone's edge around it.
            const HALF_M: f64 = 1500.0;
            let mut view = self.state.view;
            let mut bbox = super::map::view::WorldRect {
                min: super::map::view::WorldPos {
                    x: at.x - HALF_M,
                    y: at.y - HALF_M,
                },
                max: super::map::view::WorldPos {
                    x: at.x + HALF_M,
                    y: at.y + HALF_M,
                },
            };
            if view.points_per_metre > 0.0 {
                // Already closer in: only move there.
                let visible = view.visible_world_rect(self.map_rect);
                if visible.width() < bbox.width() {
                    bbox = super::map::view::WorldRect {
                        min: super::map::view::WorldPos {
                            x: at.x - visible.width() / 2.0,
                            y: at.y - visible.height() / 2.0,
                        },
                        max: super::map::view::WorldPos {
                            x: at.x + visible.width() / 2.0,
                            y: at.y + visible.height() / 2.0,
                        },
                    };
                }
            }
            view.fit(self.map_rect, bbox);
            if (view.points_per_metre - self.state.view.points_per_metre).abs()
                / self.state.view.points_per_metre
                < 0.15
            {
                view.points_per_metre = self.state.view.points_per_metre;
            }
            self.state.view = view;
            self.state.view_fitted = true;
            self.fitted = None;
        }
    }

    /// The new-project window, offering a name not yet taken in the last folder used.
    fn open_new_project_window(&mut self) {
        let lang = self.state.settings.language;
        let path = tasks::unused_project_path(&self.start_folder(), lang);
        self.state.new_project = Some(super::panels::new_project::NewProjectState::new(
            path.display().to_string(),
        ));
    }

    /// The export window, its path as last set, else a dated name (问题台账-2026-11-30.xlsx)
    /// beside the open project, where its exports belong.
    fn open_export_window(&mut self, png: bool) {
        let lang = self.state.settings.language;
        let ext = if png { "png" } else { "xlsx" };
        let name = format!(
            "{}-{}.{ext}",
            lang.tr(Tr::DefaultExportName),
            super::findings::today_in_china()
        );
        let folder = (self.state.project.as_deref())
            .and_then(Path::parent)
            .filter(|p| p.is_dir())
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
            .unwrap_or_else(|| self.start_folder());
        let path_text = match &self.state.export {
            Some(e) if !e.path_text.is_empty() => {
                super::panels::export::with_extension(&e.path_text, ext)
            }
            _ => folder.join(name).display().to_string(),
        };
        let filtered_only = self.state.export.as_ref().is_some_and(|e| e.filtered_only);
        self.state.export = Some(ExportState::new(path_text, filtered_only));
    }

    /// Apply every queued command, in order. The one place state changes.
    pub fn apply_commands(&mut self, ctx: &egui::Context) {
        let mut guard = 0;
        while !self.commands.is_empty() && guard < 8 {
            guard += 1;
            let cmds = std::mem::take(&mut self.commands);
            for cmd in cmds {
                self.apply(ctx, cmd);
            }
        }
    }

    fn apply(&mut self, ctx: &egui::Context, cmd: Command) {
        let lang = self.state.settings.language;
        match cmd {
            Command::SetLanguage(l) => {
                self.state.settings.language = l;
                // The last message was said in the other language: say this instead.
                self.state.status = Some(l.tr(Tr::LanguageSet).to_owned());
                ctx.send_viewport_cmd(egui::ViewportCommand::Title(l.tr(Tr::AppTitle).to_owned()));
            }
            Command::SetReviewer(name) => self.state.settings.reviewer = name,
            Command::NewProject | Command::OpenProject => {
                let save = cmd == Command::NewProject;
                if self.options.system_file_dialog {
                    let start = Some(self.start_folder());
                    self.spawn_hidden("dialog", move |_| tasks::pick_project(save, start, lang));
                } else if save {
                    self.open_new_project_window();
                } else {
                    self.commands.push(Command::OpenFileChooser);
                }
            }
            Command::OpenProjectPath(p) => {
                let name = lang.tr(Tr::OpenProject).trim_end_matches('…').to_owned();
                let defer_above = self.options.defer_project_attributes_above_records;
                self.spawn(name, move |jc| {
                    tasks::open_project_deferring(p, defer_above, jc)
                });
            }
            Command::CreateProject(p) => {
                let name = lang.tr(Tr::NewProject).trim_end_matches('…').to_owned();
                self.spawn(name, move |_| tasks::create_project(p));
            }
            Command::AddLayersDialog => {
                if self.options.system_file_dialog {
                    let start = self.state.settings.recent_folders.first().cloned();
                    self.spawn_hidden("dialog", move |_| tasks::pick_files(start, lang));
                } else {
                    self.commands.push(Command::OpenFileChooser);
                }
            }
            Command::OpenFileChooser => {
                if self.state.file_chooser.is_none() {
                    let dir = self.start_folder();
                    self.state.file_chooser = Some(FileChooserState::new(dir.clone()));
                    self.spawn_hidden("list", move |_| JobOutput::Listing(list_dir(&dir)));
                }
            }
            Command::CloseFileChooser => self.state.file_chooser = None,
            Command::ChooserNavigate(dir) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    fc.path_text = dir.display().to_string();
                    fc.dir = dir.clone();
                    fc.listing = None;
                    self.spawn_hidden("list", move |_| JobOutput::Listing(list_dir(&dir)));
                }
            }
            Command::ChooserSetPathText(t) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    fc.path_text = t;
                }
            }
            Command::ChooserToggle(p) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    if let Some(i) = fc.selected.iter().position(|s| *s == p) {
                        fc.selected.remove(i);
                    } else {
                        fc.selected.push(p);
                    }
                }
            }
            Command::ChooserSelect(paths) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    fc.selected = paths;
                }
            }
            Command::ChooserShowAll(all) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    fc.show_all = all;
                }
            }
            Command::LoadFiles(paths) => {
                for path in paths {
                    // An MBTiles/PMTiles file (dropped or chosen) becomes the basemap.
                    if let Some(source) = super::map::basemap::BasemapSource::from_file(&path) {
                        if let Some(dir) = path.parent() {
                            self.state.settings.push_recent_folder(dir);
                        }
                        self.commands.push(Command::SetBasemap(Some(source)));
                        continue;
                    }
                    if path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
                    {
                        self.commands.push(Command::OpenProjectPath(path));
                        continue;
                    }
                    if !is_supported(&path) {
                        self.state.load_problems.push(tasks::problem_in_both(
                            ProblemLevel::Error,
                            &path,
                            |lang| {
                                (
                                    lang.trf(Tr::LoadFailed, &[&path.display()]),
                                    Some(".shp .zip .geojson .json .xlsx .xls .csv .gpkg".into()),
                                )
                            },
                        ));
                        continue;
                    }
                    if let Some(dir) = path.parent() {
                        self.state.settings.push_recent_folder(dir);
                    }
                    self.spawn_load(path, ReadOptions::default(), None);
                }
            }
            Command::RemoveLayer(id) => {
                if let (Some(db), Some(table)) =
                    (self.db.clone(), self.state.project_tables.remove(&id))
                {
                    self.spawn_hidden("remove", move |_| project_tasks::remove_layer(db, table));
                }
                self.state.layers.retain(|l| l.id != id);
                self.forget_layer(id);
            }
            Command::SetVisible(id, v) => {
                if let Some(l) = self.state.layer_mut(id) {
                    l.style.visible = v;
                }
            }
            Command::MoveLayer(id, delta) => {
                if let Some(i) = self.state.layers.iter().position(|l| l.id == id) {
                    let j = i as i64 + delta as i64;
                    if j >= 0 && (j as usize) < self.state.layers.len() {
                        self.state.layers.swap(i, j as usize);
                    }
                }
            }
            Command::SetColor(id, c) => {
                if let Some(l) = self.state.layer_mut(id) {
                    l.style.color = c;
                }
            }
            Command::SetOpacity(id, o) => {
                if let Some(l) = self.state.layer_mut(id) {
                    l.style.opacity = o.clamp(0.0, 1.0);
                }
            }
            Command::SetLabelField(id, f) => {
                if let Some(l) = self.state.layer_mut(id) {
                    l.label_field = f;
                }
            }
            Command::ReloadWithEncoding(id, enc) => {
                if let Some(l) = self.state.layer(id) {
                    let mut options = l.options.clone();
                    options.encoding = Some(enc);
                    let path = l.path.clone();
                    self.spawn_load(path, options, Some(id));
                }
            }
            Command::ReloadWithCrs(id, spec) => match crate::crs::Crs::parse(&spec) {
                Ok(crs) => {
                    if let Some(l) = self.state.layer(id) {
                        let mut options = l.options.clone();
                        options.crs = Some(crs);
                        let path = l.path.clone();
                        self.spawn_load(path, options, Some(id));
                    }
                }
                Err(e) => self.state.status = Some(lang.trf(Tr::BadCrs, &[&e])),
            },
            Command::SetRole(id, role) => {
                if let Some(l) = self.state.layer_mut(id) {
                    l.role = role;
                    let layer = l.layer.clone();
                    if let (Some(db), Some(table)) =
                        (self.db.clone(), self.state.project_tables.get(&id).cloned())
                    {
                        self.spawn_hidden("role", move |_| {
                            project_tasks::set_role(db, table, role, &layer)
                        });
                    }
                }
            }
            Command::ZoomToLayer(id) => {
                if let Some(bbox) = self
                    .state
                    .layer(id)
                    .and_then(|l| l.display.as_ref())
                    .and_then(|d| d.bbox)
                {
                    self.fit_view(bbox, false);
                }
            }
            Command::ZoomToFeature(fr) => {
                let bbox = self
                    .state
                    .layer(fr.layer)
                    .and_then(|l| l.display.as_ref())
                    .and_then(|d| d.features.iter().find(|f| f.index == fr.index))
                    .map(|f| f.bbox);
                if let Some(bbox) = bbox {
                    self.fit_view(bbox, false);
                }
            }
            Command::ZoomToAll => {
                let bbox = self
                    .state
                    .layers
                    .iter()
                    .filter_map(|l| l.display.as_ref().and_then(|d| d.bbox))
                    .reduce(|a, b| a.union(b));
                if let Some(bbox) = bbox {
                    self.fit_view(bbox, true);
                    self.state.view_fitted = true;
                }
            }
            Command::SetView(v) => {
                self.state.view = v;
                self.fitted = None;
            }
            Command::Select(s) => {
                self.state.selection = s;
                // A site with findings selects its (first shown) finding.
                if let Some(fr) = s
                    && let Some(l) = self.state.layer(fr.layer)
                    && let Some(fid) = l.layer.features.get(fr.index).map(|f| f.fid)
                {
                    let name = l.layer.name.clone();
                    let fs = &self.state.findings;
                    let of_site = |i: &usize| {
                        let f = &fs.rows[*i].finding;
                        f.site_layer == name && f.site_fid == fid
                    };
                    let already = fs
                        .selected_row()
                        .is_some_and(|r| r.finding.site_layer == name && r.finding.site_fid == fid);
                    if !already {
                        let pick = fs
                            .view
                            .iter()
                            .copied()
                            .find(|i| of_site(i))
                            .or_else(|| (0..fs.rows.len()).find(|i| of_site(i)));
                        if let Some(i) = pick {
                            let id = fs.rows[i].finding.finding_id.clone();
                            self.select_finding(Some(id), false);
                        }
                    }
                }
            }
            Command::RunCheck => {
                if self.db.is_none() {
                    self.state.status = Some(lang.tr(Tr::NoProject).to_owned());
                } else if self.state.check_waiting.is_none() {
                    // The check reads the project: a layer whose attributes are still
                    // being read (a large file's come seconds after its map) or that
                    // is being saved is not in it yet. Wait for them.
                    self.state.check_waiting = Some(Vec::new());
                    self.start_waiting_check();
                }
            }
            Command::SelectFinding(id) => self.select_finding(id, true),
            Command::SetFindingFilter(f) => {
                self.state.findings.filter = f;
                self.state.findings.refresh_view();
            }
            Command::SortFindings(key) => {
                let fs = &mut self.state.findings;
                fs.sort = match fs.sort {
                    Some((k, asc)) if k == key => Some((k, !asc)),
                    _ => Some((key, true)),
                };
                fs.refresh_view();
            }
            Command::EditNote(text) => self.state.findings.note_draft = text,
            Command::Review {
                finding_id,
                status,
                note,
            } => {
                let reviewer = self.state.settings.reviewer.trim().to_owned();
                let fs = &mut self.state.findings;
                if self.db.is_none() {
                    self.state.status = Some(lang.tr(Tr::NoProject).to_owned());
                } else if reviewer.is_empty() {
                    let msg = lang.tr(Tr::NeedReviewer).to_owned();
                    fs.saves.insert(finding_id, SaveState::Failed(msg.clone()));
                    self.state.status = Some(msg);
                } else if status.is_some() || note.is_some() {
                    fs.saves.insert(finding_id.clone(), SaveState::Saving);
                    self.review_queue.push_back(ReviewAction {
                        finding_id,
                        status,
                        note,
                        reviewer,
                    });
                    self.start_next_review();
                }
            }
            Command::SetDeadlineDraft(text) => self.state.findings.deadline_draft = text,
            Command::SaveDeadline => {
                let text = self.state.findings.deadline_draft.trim().to_owned();
                if !text.is_empty() && super::findings::day_number(&text).is_none() {
                    self.state.status = Some(lang.tr(Tr::BadDate).to_owned());
                } else if let Some(db) = self.db.clone() {
                    let date = (!text.is_empty()).then_some(text);
                    self.spawn_hidden("deadline", move |_| project_tasks::set_deadline(db, date));
                }
            }
            Command::ExportDialog(png) => {
                self.export_png = png;
                if self.options.system_file_dialog {
                    let start = Some(self.start_folder());
                    self.spawn_hidden("dialog", move |_| project_tasks::pick_export(start, lang));
                } else {
                    self.open_export_window(png);
                }
            }
            Command::CloseExport => self.state.export = None,
            Command::NewProjectSetPath(text) => {
                if self.state.new_project.is_some() {
                    let np = super::panels::new_project::NewProjectState::new(text);
                    self.state.new_project = Some(np);
                }
            }
            Command::CloseNewProject => self.state.new_project = None,
            Command::ExportSetPath(text) => {
                if let Some(e) = &mut self.state.export {
                    e.set_path(text);
                }
            }
            Command::ExportSetFilteredOnly(v) => {
                if let Some(e) = &mut self.state.export {
                    e.filtered_only = v;
                }
            }
            Command::ExportTo(path) => {
                let filtered_only = self.state.export.as_ref().is_some_and(|e| e.filtered_only);
                self.state.export = None;
                if !super::panels::export::is_export_path(&path) {
                    self.state.status = Some(lang.tr(Tr::BadExportName).to_owned());
                } else if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("png"))
                {
                    // The next frame (without the export window) is captured.
                    self.pending_png = Some(path);
                    let tx = self.screenshot_tx.clone();
                    let waker = ctx.clone();
                    ctx.request_screenshot(move |image| {
                        // The app is gone only at exit: nothing to save then.
                        let _ = tx.send(image);
                        waker.request_repaint();
                    });
                } else {
                    if let Some(dir) = path.parent() {
                        self.state.settings.push_recent_folder(dir);
                    }
                    let fs = &self.state.findings;
                    let findings: Vec<crate::model::Finding> = if filtered_only {
                        fs.view
                            .iter()
                            .map(|&i| fs.rows[i].finding.clone())
                            .collect()
                    } else {
                        fs.rows.iter().map(|r| r.finding.clone()).collect()
                    };
                    let name = lang.tr(Tr::Export).to_owned();
                    self.spawn(name, move |_| project_tasks::export(findings, path));
                }
            }
            Command::PrepareLevel(id, level) => {
                if !self.state.shapes.is_missing(id, level) || self.state.shapes.has_pending(id) {
                    return;
                }
                let Some((display, name)) = self
                    .state
                    .layer(id)
                    .and_then(|l| l.display.clone().map(|d| (d, l.layer.name.clone())))
                else {
                    return;
                };
                self.state.shapes.mark_pending(id, level);
                let label = lang.trf(Tr::Preparing, &[&name]);
                let job_id = self.alloc_job_id();
                // Quick levels would only flicker in the status bar.
                let visible = display.features.len() > 20_000;
                let mut job = Job::spawn(job_id, label, self.ctx.clone(), move |jc| {
                    tasks::prepare_level(id, &display, level, jc)
                });
                job.visible = visible;
                self.jobs.push(job);
            }
            Command::RasterizePoints(view, size) => {
                if self.state.raster_pending {
                    return;
                }
                let key = super::map::canvas::current_raster_key(&self.state);
                let layers: Vec<_> = self
                    .state
                    .layers
                    .iter()
                    .rev()
                    .filter(|l| l.style.visible)
                    .filter_map(|l| {
                        let d = l.display.clone()?;
                        (d.point_count > 0).then_some((l.id, d, l.style.color))
                    })
                    .collect();
                self.state.raster_pending = true;
                self.spawn_hidden("raster", move |jc| {
                    let images = layers
                        .iter()
                        .map(|(id, d, color)| {
                            super::map::raster::rasterize_points(d, *color, &view, size, Some(jc))
                                .map(|img| (*id, img))
                        })
                        .collect();
                    JobOutput::Raster {
                        view,
                        size,
                        key,
                        images,
                    }
                });
            }
            Command::CancelJob(id) => {
                if let Some(j) = self.jobs.iter().find(|j| j.id == id) {
                    j.request_cancel();
                }
            }
            Command::TogglePanel(kind) => {
                let layout = &mut self.state.settings.layout;
                let flag = match kind {
                    PanelKind::Layers => &mut layout.show_layers,
                    PanelKind::Attributes => &mut layout.show_attributes,
                    PanelKind::Problems => &mut layout.show_problems,
                    PanelKind::Findings => &mut layout.show_findings,
                    PanelKind::Dashboard => &mut layout.show_dashboard,
                };
                *flag = !*flag;
            }
            Command::ShowAbout(v) => self.state.show_about = v,
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Command::SetBasemap(source) => {
                self.state.status = Some(match &source {
                    Some(s) => lang.trf(Tr::BasemapSet, &[&s.label(lang)]),
                    None => lang.tr(Tr::BasemapOff).to_owned(),
                });
                self.state.settings.basemap.source = source;
            }
            Command::SetBasemapOpacity(o) => {
                self.state.settings.basemap.opacity = o.clamp(0.0, 1.0);
            }
            Command::OpenBasemapDialog => {
                if self.options.system_file_dialog {
                    let start = Some(self.start_folder());
                    self.spawn_hidden("dialog", move |_| tasks::pick_basemap_file(start, lang));
                } else {
                    self.commands.push(Command::OpenFileChooser);
                }
            }
            Command::Mapping(c) => self.mapping_command(c),
        }
    }

    /// Open, edit, save or close the field-mapping editor (reading and writing the
    /// project on workers).
    fn mapping_command(&mut self, c: super::mapping::MappingCommand) {
        use super::mapping::{self, MappingCommand, MappingEditor};
        match c {
            MappingCommand::Open(id) => {
                let Some((l, role)) = self.state.layer(id).and_then(|l| Some((l, l.role?))) else {
                    return;
                };
                let table = self.state.project_tables.get(&id).cloned();
                let layer = l.layer.clone();
                let editor = MappingEditor::new(l, role, table.clone());
                self.state.mapping.editor = Some(editor);
                let db = self.db.clone();
                self.spawn_hidden("mapping", move |jc| {
                    mapping::load_for_editor(db, table, id, role, layer, jc)
                });
            }
            MappingCommand::Close => self.state.mapping.editor = None,
            MappingCommand::Apply => {
                let Some(ed) = self.state.mapping.editor.as_mut().filter(|e| e.can_apply()) else {
                    return;
                };
                let (Some(db), Some(table)) = (self.db.clone(), ed.table.clone()) else {
                    return;
                };
                ed.saving = true;
                let (id, name, role, draft) =
                    (ed.layer, ed.layer_name.clone(), ed.role, ed.draft.clone());
                let label = self.state.settings.language.tr(Tr::FieldMapping).to_owned();
                self.spawn(label, move |_| {
                    mapping::save_mapping(db, table, id, name, role, draft)
                });
            }
            edit => {
                if let Some(ed) = &mut self.state.mapping.editor {
                    ed.edit(&edit);
                }
            }
        }
    }

    fn spawn_load(&mut self, path: PathBuf, options: ReadOptions, replace: Option<LayerId>) {
        let lang = self.state.settings.language;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let name = lang.trf(Tr::LoadingFile, &[&file_name]);
        let defer_above = self.options.defer_attributes_above_bytes;
        self.spawn(name, move |jc| {
            tasks::load_file_deferring(path, options, replace, defer_above, jc)
        });
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_frame(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.ui_frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, Settings::STORAGE_KEY, &self.state.settings);
    }
}
