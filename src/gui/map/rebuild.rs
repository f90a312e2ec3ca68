//! Rebuilding what the map caches for a view (each layer's mesh, the label placement)
//! on a worker thread, so that a zoom step or a jump past the cached margin never
//! stalls a frame: the canvas keeps drawing what it has, moved and scaled to the new
//! view, and swaps in the rebuilt one when it arrives.
//!
//! [`Rebuild`] is one cached product and its requests. Requests are numbered and
//! one is built at a time; a result is taken only if it answers the newest request
//! and still fits the view of the frame that receives it. One built for a view the
//! map has left meanwhile is dropped (and the next frame asks for the view it is at
//! then). [`MapWorker`] is the thread the builds run on, one per egui context,
//! with its own copy of the app's fonts for measuring labels (text layout is not
//! shared between threads).

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};

use eframe::egui::{self, Vec2, vec2};
use eframe::epaint::text::{FontDefinitions, Fonts, TextOptions, ViewportKey};

/// One cached product of the map (a layer mesh, the label placement): the one drawn
/// now and the build that will replace it.
#[derive(Clone)]
pub struct Rebuild<T> {
    shown: Option<T>,
    /// Number of the newest request (or product made on this thread).
    latest: u64,
    /// Whether a worker is building; only one build runs at a time.
    building: bool,
    mailbox: Arc<Mutex<Mailbox<T>>>,
}

impl<T> Default for Rebuild<T> {
    fn default() -> Self {
        Rebuild {
            shown: None,
            latest: 0,
            building: false,
            mailbox: Arc::new(Mutex::new(Mailbox::Empty)),
        }
    }
}

/// What a worker left for the UI thread.
enum Mailbox<T> {
    Empty,
    /// Built for request number `.0`.
    Built(u64, T),
    /// The build ended without a result (it panicked).
    Lost,
}

/// Lock a mailbox. A worker that panicked while holding it only left `Empty` or a
/// complete value behind, so a poisoned lock is still usable.
fn lock<T>(m: &Mutex<Mailbox<T>>) -> MutexGuard<'_, Mailbox<T>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a worker hands back the product of one request. Dropped without
/// [`Delivery::deliver`] (a panicking build), it reports the build lost, so the
/// product can be asked for again.
pub struct Delivery<T> {
    number: u64,
    mailbox: Arc<Mutex<Mailbox<T>>>,
    delivered: bool,
}

impl<T> Delivery<T> {
    /// Hand the product over to the UI thread.
    pub fn deliver(mut self, value: T) {
        *lock(&self.mailbox) = Mailbox::Built(self.number, value);
        self.delivered = true;
    }
}

impl<T> Drop for Delivery<T> {
    fn drop(&mut self) {
        if !self.delivered {
            *lock(&self.mailbox) = Mailbox::Lost;
        }
    }
}

impl<T> Rebuild<T> {
    /// What is drawn now (possibly made for another view).
    pub fn shown(&self) -> Option<&T> {
        self.shown.as_ref()
    }

    pub fn shown_mut(&mut self) -> Option<&mut T> {
        self.shown.as_mut()
    }

    /// Whether a worker is building a replacement.
    pub fn is_building(&self) -> bool {
        self.building
    }

    /// Take a product made on this thread (small layers are quicker to build than
    /// to hand over). A build still running is overtaken: its result is dropped.
    pub fn set_shown(&mut self, value: T) {
        self.latest += 1;
        self.shown = Some(value);
    }

    /// Collect what the worker finished: it replaces the product drawn (`true`) if
    /// it answers the newest request and `fits` it (built for the view the map
    /// shows now); otherwise it is dropped. Either way a new request may then start.
    pub fn receive(&mut self, fits: impl FnOnce(&T) -> bool) -> bool {
        if !self.building {
            return false;
        }
        let arrived = std::mem::replace(&mut *lock(&self.mailbox), Mailbox::Empty);
        match arrived {
            Mailbox::Empty => false,
            Mailbox::Lost => {
                self.building = false;
                false
            }
            Mailbox::Built(number, value) => {
                self.building = false;
                if number == self.latest && fits(&value) {
                    self.shown = Some(value);
                    true
                } else {
                    false
                }
            }
        }
    }

    /// Number a new request for a worker, unless a build is running (`None`: ask
    /// again once it is in, for the view the map is at then).
    pub fn request(&mut self) -> Option<Delivery<T>> {
        if self.building {
            return None;
        }
        self.latest += 1;
        self.building = true;
        Some(Delivery {
            number: self.latest,
            mailbox: self.mailbox.clone(),
            delivered: false,
        })
    }
}

/// Work for the map's worker thread; it gets the worker's fonts for measuring text.
pub type Task = Box<dyn FnOnce(&mut LabelFonts) + Send>;

/// The thread the map's rebuilds run on, one per egui context (kept in the
/// context's temporary data, so it ends with the context).
pub struct MapWorker {
    /// `None` when no thread could be started: tasks then run on the caller.
    tx: Option<Sender<Task>>,
}

impl MapWorker {
    fn start() -> MapWorker {
        let (tx, rx) = channel::<Task>();
        let started = std::thread::Builder::new()
            .name("qingling map rebuild".into())
            .spawn(move || {
                let mut fonts = LabelFonts::default();
                while let Ok(task) = rx.recv() {
                    task(&mut fonts);
                }
            });
        MapWorker {
            tx: started.ok().map(|_| tx),
        }
    }

    /// The worker of `ctx`, started on first use.
    pub fn of(ctx: &egui::Context) -> Arc<MapWorker> {
        let id = egui::Id::unique("qingling map rebuild worker");
        ctx.data_mut(|m| {
            m.get_temp_mut_or_insert_with(id, || Arc::new(MapWorker::start()))
                .clone()
        })
    }

    /// Run `task` on the worker (in order with earlier tasks), or here if the
    /// worker could not be started.
    pub fn submit(&self, task: Task) {
        let task = match &self.tx {
            Some(tx) => match tx.send(task) {
                Ok(()) => return,
                Err(back) => back.0,
            },
            None => task,
        };
        task(&mut LabelFonts::default());
    }
}

/// What text is measured with: the app's font definitions, text options, scale and
/// the label font.
#[derive(Clone)]
pub struct FontSpec {
    pub definitions: FontDefinitions,
    pub options: TextOptions,
    pub pixels_per_point: f32,
    pub font: egui::FontId,
}

impl FontSpec {
    /// The fonts of `ctx` as they are now.
    pub fn of(ctx: &egui::Context, font: egui::FontId) -> FontSpec {
        let (definitions, options) = ctx.fonts(|f| (f.definitions().clone(), *f.options()));
        FontSpec {
            definitions,
            options,
            pixels_per_point: ctx.pixels_per_point(),
            font,
        }
    }

    /// Identity of the font set: names, the data they point at, families.
    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (name, data) in &self.definitions.font_data {
            name.hash(&mut h);
            (Arc::as_ptr(data) as usize).hash(&mut h);
        }
        for (family, names) in &self.definitions.families {
            family.hash(&mut h);
            names.hash(&mut h);
        }
        h.finish()
    }
}

/// The worker's own copy of the fonts (made again when the app's change, as when
/// system fonts are added), measuring text exactly as the UI thread lays it out.
#[derive(Default)]
pub struct LabelFonts {
    current: Option<(u64, Fonts)>,
}

impl LabelFonts {
    /// Call `f` with a function giving the size of a one-line text in `spec`'s font.
    pub fn measure_with<R>(
        &mut self,
        spec: &FontSpec,
        f: impl FnOnce(&mut dyn FnMut(&str) -> Vec2) -> R,
    ) -> R {
        let fingerprint = spec.fingerprint();
        let fonts = match &mut self.current {
            Some((fp, fonts)) if *fp == fingerprint => fonts,
            slot => {
                let fonts = Fonts::new(spec.options, spec.definitions.clone());
                &mut slot.insert((fingerprint, fonts)).1
            }
        };
        let mut view =
            fonts.with_pixels_per_point_for_viewport(spec.pixels_per_point, ViewportKey::default());
        let row = view.row_height(&spec.font);
        let font = spec.font.clone();
        let mut measure = |text: &str| {
            let width: f32 = text.chars().map(|c| view.glyph_width(&font, c)).sum();
            vec2(width, row)
        };
        f(&mut measure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A product: the view (a number) it was built for.
    type Built = Rebuild<u32>;

    #[test]
    fn a_result_built_for_an_older_view_is_not_swapped_in() {
        let mut r = Built::default();
        r.set_shown(1);
        // Zoomed to view 2: a build starts.
        let d2 = r.request().expect("nothing is building");
        // The map moves on to view 3 while it runs; no second build starts.
        assert!(r.request().is_none());
        d2.deliver(2);
        assert!(!r.receive(|v| *v == 3), "built for view 2, the map shows 3");
        assert_eq!(r.shown(), Some(&1), "the old product is still drawn");
        assert!(!r.is_building());
        // Asked again for view 3: that one is taken.
        let d3 = r.request().expect("the stale build is done");
        d3.deliver(3);
        assert!(r.receive(|v| *v == 3));
        assert_eq!(r.shown(), Some(&3));
    }

    #[test]
    fn a_result_arrives_only_once_and_nothing_is_taken_while_building() {
        let mut r = Built::default();
        let d = r.request().unwrap();
        assert!(!r.receive(|_| true), "not finished yet");
        assert!(r.is_building());
        d.deliver(7);
        assert!(r.receive(|_| true));
        assert!(!r.receive(|_| true), "taken already");
        assert_eq!(r.shown(), Some(&7));
    }

    #[test]
    fn a_build_overtaken_by_one_made_on_the_ui_thread_is_dropped() {
        let mut r = Built::default();
        let d = r.request().unwrap();
        r.set_shown(5);
        d.deliver(4);
        assert!(!r.receive(|_| true), "the request was overtaken");
        assert_eq!(r.shown(), Some(&5));
    }

    #[test]
    fn a_build_that_never_delivers_frees_the_slot() {
        let mut r = Built::default();
        let d = r.request().unwrap();
        drop(d);
        assert!(!r.receive(|_| true));
        assert!(!r.is_building());
        assert!(r.request().is_some());
    }

    #[test]
    fn the_worker_runs_tasks_and_measures_text_with_the_apps_fonts() {
        let ctx = egui::Context::default();
        crate::gui::fonts::install(&ctx);
        let font = egui::FontId::proportional(12.0);
        let mut spec = None;
        let mut expected = egui::Vec2::ZERO;
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            spec = Some(FontSpec::of(ui.ctx(), font.clone()));
            expected = ui.ctx().fonts_mut(|f| {
                let w: f32 = "水源地".chars().map(|c| f.glyph_width(&font, c)).sum();
                vec2(w, f.row_height(&font))
            });
        });
        // The font atlas upload has no renderer to go to here.
        output.textures_delta.clear();
        let spec = spec.unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        MapWorker::of(&ctx).submit(Box::new(move |fonts| {
            let size = fonts.measure_with(&spec, |m| m("水源地"));
            let _ = tx.send(size);
        }));
        let size = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
        assert_eq!(size, expected);
        assert!(size.x > 30.0, "three CJK characters of 12 points: {size:?}");
    }
}
