//! The app: owns the state and the jobs, polls jobs and applies commands in `logic`,
//! lays out the panels in `ui`. Panels only push [`Command`]s; [`App::apply_commands`]
//! is the one place where state changes in answer to the user.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eframe::egui::{self, Rect};

use super::commands::{Command, PanelKind};
use super::fonts;
use super::i18n::Tr;
use super::jobs::{Job, JobId, Poll};
use super::map::canvas::map_ui;
use super::panels::file_chooser::{
    FileChooserState, file_chooser_ui, home_dir, is_supported, list_dir,
};
use super::panels::identify::identify_ui;
use super::panels::layers::layers_ui;
use super::panels::menu::{about_ui, menu_bar_ui, status_bar_ui};
use super::panels::problems::problems_ui;
use super::settings::Settings;
use super::state::{
    AppState, JobStatus, LayerId, LayerStyle, MapLayer, PALETTE, guess_label_field,
};
use super::tasks::{self, JobOutput};
use crate::io::ReadOptions;
use crate::model::Problem;

/// How the app starts (tests turn the system integrations off).
#[derive(Clone, Debug)]
pub struct AppOptions {
    /// Look for system CJK fonts at startup (on a worker).
    pub load_system_fonts: bool,
    /// Try the system file dialog before the in-app chooser.
    pub system_file_dialog: bool,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            load_system_fonts: true,
            system_file_dialog: true,
        }
    }
}

/// A system dialog that answered "nothing" faster than this was not shown at all.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(700);

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
    ctx: Option<egui::Context>,
}

impl App {
    /// An app with these settings that opens `project` once running.
    pub fn new(settings: Settings, project: Option<PathBuf>, options: AppOptions) -> App {
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
            ctx: None,
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
        self.apply_commands(ctx);
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
            self.commands.push(Command::OpenProjectPath(p));
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
                .default_size(160.0)
                .show(ui, |ui| problems_ui(ui, state, &mut cmds));
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
        });
        self.map_rect = map_rect;
        file_chooser_ui(&ctx, state, &mut cmds);
        about_ui(&ctx, state, &mut cmds);
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
    ) {
        let mut at = replace.and_then(|id| self.state.layers.iter().position(|l| l.id == id));
        let old = at.map(|i| self.state.layers.remove(i));
        if let Some(old) = &old {
            self.state.shapes.remove_layer(old.id);
            if self.state.selection.is_some_and(|s| s.layer == old.id) {
                self.state.selection = None;
            }
        }
        for loaded in layers {
            let id = LayerId(self.next_layer);
            self.next_layer += 1;
            let mut ml = MapLayer {
                id,
                path: path.to_path_buf(),
                options: options.clone(),
                display: loaded.display.map(Arc::new),
                display_problems: loaded.display_problems,
                style: LayerStyle {
                    visible: true,
                    color: PALETTE[(id.0 as usize - 1) % PALETTE.len()],
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
        if !self.state.view_fitted {
            self.commands.push(Command::ZoomToAll);
        }
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
            } => match result {
                Err(problem) => {
                    self.state.status = Some(lang.trf(Tr::LoadFailed, &[&path.display()]));
                    self.state.load_problems.push(problem);
                }
                Ok(layers) => {
                    self.state.status = Some(lang.trf(Tr::LoadedLayers, &[&layers.len()]));
                    self.add_layers(&path, &options, replace, layers);
                }
            },
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
                Ok(layers) => {
                    // A project replaces what was open.
                    let old: Vec<LayerId> = self.state.layers.iter().map(|l| l.id).collect();
                    for id in old {
                        self.state.shapes.remove_layer(id);
                    }
                    self.state.layers.clear();
                    self.state.load_problems.clear();
                    self.state.selection = None;
                    self.state.view_fitted = false;
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    self.state.status = Some(lang.trf(Tr::ProjectOpened, &[&name, &layers.len()]));
                    self.add_layers(&path, &ReadOptions::default(), None, layers);
                    self.state.settings.push_recent_project(&path);
                    self.state.project = Some(path);
                    self.update_title(ctx);
                }
                Err(message) => {
                    self.state.status = Some(lang.trf(Tr::ProjectFailed, &[&message]));
                    self.state
                        .load_problems
                        .push(Problem::error(&path, message));
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
                        let dir = self.start_folder();
                        self.commands
                            .push(Command::CreateProject(tasks::unused_project_path(
                                &dir, lang,
                            )));
                    } else {
                        self.commands.push(Command::OpenFileChooser);
                    }
                }
                None => {}
            },
            JobOutput::SystemFonts(found) => {
                if let Some(ctx) = &self.ctx {
                    fonts::add_fallback_fonts(ctx, found);
                }
            }
        }
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
                ctx.send_viewport_cmd(egui::ViewportCommand::Title(l.tr(Tr::AppTitle).to_owned()));
            }
            Command::NewProject | Command::OpenProject => {
                let save = cmd == Command::NewProject;
                if self.options.system_file_dialog {
                    let start = Some(self.start_folder());
                    self.spawn_hidden("dialog", move |_| tasks::pick_project(save, start, lang));
                } else if save {
                    let path = tasks::unused_project_path(&self.start_folder(), lang);
                    self.commands.push(Command::CreateProject(path));
                } else {
                    self.commands.push(Command::OpenFileChooser);
                }
            }
            Command::OpenProjectPath(p) => {
                let name = lang.tr(Tr::OpenProject).trim_end_matches('…').to_owned();
                self.spawn(name, move |jc| tasks::open_project(p, lang, jc));
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
            Command::ChooserShowAll(all) => {
                if let Some(fc) = &mut self.state.file_chooser {
                    fc.show_all = all;
                }
            }
            Command::LoadFiles(paths) => {
                for path in paths {
                    if path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
                    {
                        self.commands.push(Command::OpenProjectPath(path));
                        continue;
                    }
                    if !is_supported(&path) {
                        self.state.load_problems.push(
                            Problem::error(&path, lang.trf(Tr::LoadFailed, &[&path.display()]))
                                .with_hint(".shp .zip .geojson .json .xlsx .xls .csv .gpkg"),
                        );
                        continue;
                    }
                    if let Some(dir) = path.parent() {
                        self.state.settings.push_recent_folder(dir);
                    }
                    self.spawn_load(path, ReadOptions::default(), None);
                }
            }
            Command::RemoveLayer(id) => {
                self.state.layers.retain(|l| l.id != id);
                self.state.shapes.remove_layer(id);
                if self.state.selection.is_some_and(|s| s.layer == id) {
                    self.state.selection = None;
                }
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
                }
            }
            Command::ZoomToLayer(id) => {
                if let Some(bbox) = self
                    .state
                    .layer(id)
                    .and_then(|l| l.display.as_ref())
                    .and_then(|d| d.bbox)
                {
                    self.state.view.fit(self.map_rect, bbox);
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
                    self.state.view.fit(self.map_rect, bbox);
                    self.state.view_fitted = true;
                }
            }
            Command::SetView(v) => self.state.view = v,
            Command::Select(s) => self.state.selection = s,
            Command::PrepareLevel(id, level) => {
                if !self.state.shapes.is_missing(id, level) {
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
                };
                *flag = !*flag;
            }
            Command::ShowAbout(v) => self.state.show_about = v,
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn spawn_load(&mut self, path: PathBuf, options: ReadOptions, replace: Option<LayerId>) {
        let lang = self.state.settings.language;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let name = lang.trf(Tr::LoadingFile, &[&file_name]);
        self.spawn(name, move |jc| {
            tasks::load_file(path, options, replace, lang, jc)
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
