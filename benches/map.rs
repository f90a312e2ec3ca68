//! Per-frame CPU cost of the map with a large data set, and time to the first map.
//!
//! Loads sites and zones shapefiles (made by `examples/scale_data.rs`; default
//! `scale-data/2000000x20000` in the repository, or `QL_MAP_DATA=dir`) through the app's
//! own load jobs (`gui::tasks::load_file`; a file with a large `.dbf` is shown from its
//! geometry and read again for attributes by `gui::tasks::load_attributes`, which
//! start at once and run while the first map is made, as in the app),
//! then runs frames of `gui::map::canvas::map_ui` in a headless `egui::Context`,
//! including `ctx.tessellate`, at whole-province, county (~50 km) and street (~2 km)
//! zoom, panning a little each frame. Detail levels and point rasters are made on
//! worker threads exactly as the app does (the commands the canvas pushes are
//! applied here the same way `App` applies them).
//!
//! Each scale is also zoomed with the mouse wheel (notches in and out at the middle
//! of the map, smoothed by egui over the next frames as in the app): the frames right
//! after each notch are measured, while layer meshes and labels are rebuilt for the
//! new scale (on the map's worker, the old ones drawn scaled meanwhile).
//!
//! Prints p50 / p95 / max of wall time and of UI-thread CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) per scenario, the time the worker takes to produce each
//! level, and the time from starting to read the files to the first frame that shows
//! zones and sites. Custom harness: `cargo bench --bench map`; `QL_MAP_FIRST_ONLY=1`
//! stops after the first map, `QL_MAP_ONLY=county` runs only the scenarios whose
//! name contains that text.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Color32, Rect, pos2, vec2};
use qingling::gui::commands::Command;
use qingling::gui::jobs::{Job, JobId, Poll};
use qingling::gui::map::cache::{DisplayLayer, tessellate_level};
use qingling::gui::map::canvas::{current_raster_key, map_ui};
use qingling::gui::map::raster::{PointRaster, rasterize_points};
use qingling::gui::map::tessellate::LevelShapes;
use qingling::gui::map::view::{MapView, WorldPos};
use qingling::gui::state::{AppState, LayerId, LayerStyle, MapLayer, PALETTE, guess_label_field};
use qingling::gui::tasks::{JobOutput, LoadedLayer, load_attributes, load_file, merge_attributes};
use qingling::io::ReadOptions;

const SCREEN: [f32; 2] = [1280.0, 800.0];
const FRAMES: usize = 200;

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Results coming back from workers.
enum Done {
    Shapes(LayerId, i32, Option<LevelShapes>, Duration),
    Raster(
        MapView,
        [usize; 2],
        u64,
        Vec<(LayerId, egui::ColorImage)>,
        Duration,
    ),
}

/// The app's map state plus the worker plumbing the app would do.
struct Harness {
    ctx: egui::Context,
    state: AppState,
    tx: mpsc::Sender<Done>,
    rx: mpsc::Receiver<Done>,
    level_times: Vec<(i32, Duration)>,
    /// How long each point raster took on its worker.
    raster_times: Vec<Duration>,
    /// Files being read again for their attributes.
    attributes: Vec<Job<JobOutput>>,
}

impl Harness {
    fn new(layers: Vec<LoadedLayer>) -> Harness {
        let ctx = egui::Context::default();
        qingling::gui::fonts::install(&ctx);
        let mut state = AppState::default();
        for (i, loaded) in layers.into_iter().enumerate() {
            let id = LayerId(i as u64 + 1);
            state.layers.insert(
                0,
                MapLayer {
                    id,
                    path: PathBuf::from(&loaded.layer.source),
                    options: ReadOptions::default(),
                    display: loaded.display.map(Arc::new),
                    display_problems: loaded.display_problems,
                    style: LayerStyle {
                        visible: true,
                        color: PALETTE[i % PALETTE.len()],
                        opacity: 0.35,
                    },
                    label_field: guess_label_field(&loaded.layer),
                    role: loaded.role,
                    layer: Arc::new(loaded.layer),
                },
            );
        }
        let (tx, rx) = mpsc::channel();
        Harness {
            ctx,
            state,
            tx,
            rx,
            level_times: Vec::new(),
            raster_times: Vec::new(),
            attributes: Vec::new(),
        }
    }

    fn map_rect() -> Rect {
        Rect::from_min_size(pos2(0.0, 0.0), vec2(SCREEN[0], SCREEN[1]))
    }

    /// Fit the view to all layers (as the app's "zoom to all").
    fn fit_all(&mut self) {
        let bbox = self
            .state
            .layers
            .iter()
            .filter_map(|l| l.display.as_ref().and_then(|d| d.bbox))
            .reduce(|a, b| a.union(b));
        if let Some(b) = bbox {
            self.state.view.fit(Self::map_rect(), b);
        }
    }

    /// Collect worker results (the app's `poll_jobs`).
    fn poll(&mut self) {
        let mut running = Vec::new();
        for job in std::mem::take(&mut self.attributes) {
            match job.poll() {
                Poll::Running => running.push(job),
                Poll::Lost => panic!("attribute read panicked"),
                Poll::Done(JobOutput::Attributes { layers, result, .. }) => {
                    let full = result.unwrap_or_else(|e| panic!("{}", e.message));
                    for (id, layer) in layers.into_iter().zip(full) {
                        if let Some(ml) = self.state.layer_mut(id) {
                            assert!(merge_attributes(ml, layer), "attributes did not match");
                        }
                    }
                }
                Poll::Done(_) => panic!("not an attribute result"),
            }
        }
        self.attributes = running;
        while let Ok(done) = self.rx.try_recv() {
            match done {
                Done::Shapes(id, level, shapes, took) => {
                    if shapes.is_some() {
                        self.level_times.push((level, took));
                    }
                    self.state.shapes.finish(id, level, shapes);
                }
                Done::Raster(view, size, key, images, took) => {
                    self.state.raster_pending = false;
                    self.raster_times.push(took);
                    let textures = images
                        .into_iter()
                        .map(|(id, image)| {
                            let name = format!("points {}", id.0);
                            (
                                id,
                                self.ctx
                                    .load_texture(name, image, egui::TextureOptions::NEAREST),
                            )
                        })
                        .collect();
                    self.state.point_raster = Some(PointRaster {
                        textures,
                        view,
                        size,
                        key,
                    });
                }
            }
        }
    }

    /// Apply what the canvas asked for (the app's `apply_commands` for map commands).
    fn apply(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            match c {
                Command::SetView(v) => self.state.view = v,
                Command::PrepareLevel(id, level) => {
                    if !self.state.shapes.is_missing(id, level) || self.state.shapes.has_pending(id)
                    {
                        continue;
                    }
                    let Some(display) = self.state.layer(id).and_then(|l| l.display.clone()) else {
                        continue;
                    };
                    self.state.shapes.mark_pending(id, level);
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let t = Instant::now();
                        let shapes = tessellate_level(&display, level, None);
                        let _ = tx.send(Done::Shapes(id, level, shapes, t.elapsed()));
                    });
                }
                Command::RasterizePoints(view, size) => {
                    if self.state.raster_pending {
                        continue;
                    }
                    let key = current_raster_key(&self.state);
                    let layers: Vec<(LayerId, Arc<DisplayLayer>, Color32)> = self
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
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let t = Instant::now();
                        let images = layers
                            .iter()
                            .filter_map(|(id, d, color)| {
                                rasterize_points(d, *color, &view, size, None).map(|img| (*id, img))
                            })
                            .collect();
                        let _ = tx.send(Done::Raster(view, size, key, images, t.elapsed()));
                    });
                }
                _ => {}
            }
        }
    }

    /// One frame: poll workers, run the canvas, tessellate. Returns (wall, thread
    /// CPU) of the UI work and the number of vertices tessellated.
    fn frame(&mut self) -> (Duration, Duration, usize) {
        self.frame_with(Vec::new())
    }

    /// One frame with these input events (pointer, wheel).
    fn frame_with(&mut self, events: Vec<egui::Event>) -> (Duration, Duration, usize) {
        let wall = Instant::now();
        let cpu = thread_cpu();
        self.poll();
        let raw = egui::RawInput {
            screen_rect: Some(Self::map_rect()),
            events,
            ..Default::default()
        };
        let mut cmds = Vec::new();
        let state = &self.state;
        let out = self.ctx.run_ui(raw, |ui| map_ui(ui, state, &mut cmds));
        let prims = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        self.apply(cmds);
        let n = prims
            .iter()
            .map(|p| match &p.primitive {
                egui::epaint::Primitive::Mesh(m) => m.vertices.len(),
                egui::epaint::Primitive::Callback(_) => 0,
            })
            .sum();
        (wall.elapsed(), thread_cpu() - cpu, n)
    }

    /// Step frames until every visible layer has its exact level and (if in raster
    /// mode) a fresh raster, at most `limit`.
    fn settle(&mut self, limit: Duration) -> Duration {
        let start = Instant::now();
        while start.elapsed() < limit {
            self.frame();
            let level = self.state.view.detail_level();
            let levels_ready = self.state.layers.iter().all(|l| {
                !l.display.as_ref().is_some_and(|d| d.has_shapes)
                    || self
                        .state
                        .shapes
                        .best(l.id, level)
                        .is_some_and(|s| s.level == level)
            });
            if levels_ready && !self.state.raster_pending {
                // One more frame so a raster made for this view is used.
                self.frame();
                if !self.state.raster_pending {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        start.elapsed()
    }
}

/// Wheel notches at the middle of the map, as a mouse wheel gives them (one line a
/// notch, which egui spreads over the next frames, so the scale changes on each of
/// them): after each notch the frames of the next ~400 ms, 16 ms apart, as at 60 Hz.
/// Returns the wall and UI-thread CPU time of every frame.
fn zoom_steps(h: &mut Harness, notches: &[f32]) -> (Vec<Duration>, Vec<Duration>) {
    let centre = Harness::map_rect().center();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for &lines in notches {
        let events = vec![
            egui::Event::PointerMoved(centre),
            egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Line,
                delta: vec2(0.0, lines),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::default(),
            },
        ];
        let (w, c, _) = h.frame_with(events);
        walls.push(w);
        cpus.push(c);
        for _ in 0..24 {
            std::thread::sleep(Duration::from_millis(16));
            let (w, c, _) = h.frame();
            walls.push(w);
            cpus.push(c);
        }
    }
    // The pointer leaves the map (no cursor read-out or tooltips in later scenarios).
    h.frame_with(vec![egui::Event::PointerGone]);
    (walls, cpus)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn summary(name: &str, walls: &mut [Duration], cpus: &mut [Duration], prims: usize) {
    walls.sort();
    cpus.sort();
    println!(
        "{name:<34} n={:<4} wall p50 {:7.2} p95 {:7.2} max {:7.2} ms | ui-thread cpu p50 {:7.2} p95 {:7.2} max {:7.2} ms | {prims} vertices",
        walls.len(),
        pct(walls, 0.5),
        pct(walls, 0.95),
        pct(walls, 1.0),
        pct(cpus, 0.5),
        pct(cpus, 0.95),
        pct(cpus, 1.0),
    );
}

/// Read and prepare one file on a job, as the app's load job does
/// (`gui::tasks::load_file`): the layers, whether their attributes are still to be
/// read, and how long it took.
fn load(path: PathBuf) -> std::thread::JoinHandle<(PathBuf, Vec<LoadedLayer>, bool, Duration)> {
    std::thread::spawn(move || {
        let t = Instant::now();
        let p = path.clone();
        let job = Job::spawn(JobId(0), "load", None, move |jc| {
            load_file(p, ReadOptions::default(), None, jc)
        });
        let out = wait(&job);
        let JobOutput::Loaded {
            result,
            attributes_pending,
            ..
        } = out
        else {
            panic!("{}: not a load result", path.display());
        };
        let layers = result.unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message));
        (path, layers, attributes_pending, t.elapsed())
    })
}

fn wait<T: Send + 'static>(job: &Job<T>) -> T {
    loop {
        match job.poll() {
            Poll::Done(v) => break v,
            Poll::Lost => panic!("a job panicked"),
            Poll::Running => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

fn main() {
    let dir = std::env::var_os("QL_MAP_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("scale-data/2000000x20000"));
    let (sites, zones) = (dir.join("sites.shp"), dir.join("zones.shp"));
    if !sites.exists() || !zones.exists() {
        eprintln!(
            "no data in {}: run `cargo run --release --example scale_data -- --sites 2000000 --zones 20000 --out {}` or set QL_MAP_DATA",
            dir.display(),
            dir.display()
        );
        return;
    }
    // Only the first-map figure (the frame loops are skipped) with QL_MAP_FIRST_ONLY.
    let first_only = std::env::var_os("QL_MAP_FIRST_ONLY").is_some();

    // --- Opening: read + prepare (both files in parallel, as two load jobs) ---
    let open = Instant::now();
    let hz = load(zones);
    let hs = load(sites);
    let (zpath, zl, zpending, ztime) = hz.join().expect("zones load");
    let (spath, sl, spending, stime) = hs.join().expect("sites load");
    let loaded = open.elapsed();
    let later = |p: bool| if p { " (attributes later)" } else { "" };
    println!(
        "open: zones read + prepared {:.2} s{} | sites {:.2} s{} | both loaded {:.2} s",
        ztime.as_secs_f64(),
        later(zpending),
        stime.as_secs_f64(),
        later(spending),
        loaded.as_secs_f64()
    );
    let files = [(zpath, zl.len(), zpending), (spath, sl.len(), spending)];
    let mut layers = zl;
    layers.extend(sl);
    let mut h = Harness::new(layers);
    // As the app: files shown from their geometry are read again for attributes.
    let mut first_id = 1;
    for (path, n, pending) in files {
        let ids: Vec<LayerId> = (first_id..first_id + n as u64).map(LayerId).collect();
        first_id += n as u64;
        if pending {
            h.attributes
                .push(Job::spawn(JobId(1), "attributes", None, move |jc| {
                    load_attributes(path, ReadOptions::default(), ids, None, jc)
                }));
        }
    }
    h.fit_all();
    // First frames until zones and sites are both on screen.
    let mut first_frames = Vec::new();
    let mut first_cpu = Duration::ZERO;
    let first = Instant::now();
    loop {
        let (w, c, _) = h.frame();
        first_frames.push(w);
        first_cpu = first_cpu.max(c);
        let zones_drawn = h
            .state
            .layers
            .iter()
            .filter(|l| l.display.as_ref().is_some_and(|d| d.has_shapes))
            .all(|l| h.state.shapes.best(l.id, 0).is_some());
        let sites_drawn = h.state.point_raster.is_some();
        if zones_drawn && sites_drawn {
            break;
        }
        if first.elapsed() > Duration::from_secs(120) {
            println!("first map: not drawn within 120 s");
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let max_first = first_frames.iter().max().copied().unwrap_or_default();
    println!(
        "first map: {:.2} s after opening ({:.2} s after loading; {} UI frames meanwhile, slowest {:.2} ms, most UI-thread CPU {:.2} ms; level {} took {:.2} s on its worker; point raster {:.2} s)",
        open.elapsed().as_secs_f64(),
        first.elapsed().as_secs_f64(),
        first_frames.len(),
        max_first.as_secs_f64() * 1e3,
        first_cpu.as_secs_f64() * 1e3,
        h.state.view.detail_level(),
        h.level_times.last().map_or(f64::NAN, |t| t.1.as_secs_f64()),
        h.raster_times.last().map_or(f64::NAN, |t| t.as_secs_f64()),
    );
    if first_only {
        return;
    }
    // Labels need the attributes: wait for them before measuring.
    while !h.attributes.is_empty() {
        h.frame();
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "attributes in: {:.2} s after opening",
        open.elapsed().as_secs_f64()
    );

    let province = h.state.view;
    let centre = province.center;
    // Ground scale ~ cos(lat) of Web Mercator: metres on screen / cos.
    let lat_scale = province.ground_metres_per_point() * province.points_per_metre;
    let at = |km_across: f64| MapView {
        center: WorldPos {
            x: centre.x,
            y: centre.y,
        },
        points_per_metre: SCREEN[0] as f64 * lat_scale / (km_across * 1000.0),
    };
    let scenarios = [
        ("province", province),
        ("county (50 km)", at(50.0)),
        ("street (2 km)", at(2.0)),
    ];
    // Only the scenarios whose name contains QL_MAP_ONLY (e.g. `county`), if set.
    let only = std::env::var("QL_MAP_ONLY").unwrap_or_default();
    for (name, view) in scenarios {
        if !name.contains(only.as_str()) {
            continue;
        }
        // First frames after the zoom change: the level is missing.
        h.state.view = view;
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let level_before = h.level_times.len();
        let t = Instant::now();
        // Frames while the worker builds the level (UI must stay cheap).
        loop {
            let (w, c, _) = h.frame();
            walls.push(w);
            cpus.push(c);
            let level = h.state.view.detail_level();
            let ready = h.state.layers.iter().all(|l| {
                !l.display.as_ref().is_some_and(|d| d.has_shapes)
                    || h.state
                        .shapes
                        .best(l.id, level)
                        .is_some_and(|s| s.level == level)
            });
            if ready || t.elapsed() > Duration::from_secs(60) {
                break;
            }
            std::thread::sleep(Duration::from_millis(16));
        }
        let level_time = h.level_times[level_before..]
            .iter()
            .map(|t| t.1)
            .max()
            .unwrap_or_default();
        summary(
            &format!("{name}: while level builds"),
            &mut walls,
            &mut cpus,
            0,
        );
        println!(
            "{name}: level {} built on worker in {:.3} s",
            view.detail_level(),
            level_time.as_secs_f64()
        );
        h.settle(Duration::from_secs(30));
        // Steady panning: 2 points right and 1 down per frame.
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut prims = 0;
        for _ in 0..FRAMES {
            let mut v = h.state.view;
            v.pan(vec2(2.0, 1.0));
            h.state.view = v;
            let (w, c, p) = h.frame();
            walls.push(w);
            cpus.push(c);
            prims = p;
        }
        summary(&format!("{name}: panning"), &mut walls, &mut cpus, prims);

        // Wheel zoom steps from here: in, in, out, out, ... (back to this scale), the
        // frames right after each notch while meshes and labels are rebuilt.
        h.settle(Duration::from_secs(30));
        let (mut walls, mut cpus) =
            zoom_steps(&mut h, &[1.0, 1.0, -1.0, -1.0, -1.0, 1.0, 1.0, -1.0]);
        let over = cpus
            .iter()
            .filter(|c| **c > Duration::from_millis(16))
            .count();
        summary(&format!("{name}: zoom steps"), &mut walls, &mut cpus, 0);
        println!(
            "{name}: zoom steps: {over} of {} frames over 16 ms of UI-thread CPU",
            cpus.len()
        );
        h.state.view = view;
        h.settle(Duration::from_secs(30));
    }
}
