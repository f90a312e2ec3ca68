//! Getting tiles without ever blocking a frame: a small pool of worker threads opens
//! the source, reads and decodes tiles, and sends images back over a channel; the UI
//! side ([`TileCache`]) turns them into textures, keeps the most recently used ones,
//! and asks for at most a few tiles at a time so a fast pan never queues hundreds.
//!
//! Missing tiles are drawn from a cached parent (enlarged) or children, so zooming
//! shows something at once. A tile that failed is not asked for again for a while,
//! and each distinct error is reported once.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eframe::egui::{self, ColorImage, Rect, TextureHandle, TextureOptions};

use super::{SourceInfo, TileError, TileId, TileSource, decode_tile};

/// Decoded tiles kept as textures (256×256 RGBA: 256 KiB each).
pub const CACHE_CAPACITY: usize = 512;
/// Requests handed to the workers at once.
pub const MAX_IN_FLIGHT: usize = 12;
/// Textures created per frame at most (each is an upload to the GPU).
const UPLOADS_PER_FRAME: usize = 24;
/// A failed tile is asked for again after this long.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// Distinct errors reported per source at most.
const MAX_REPORTED: usize = 5;
/// How many levels up a parent is looked for.
const MAX_PARENT_LEVELS: u8 = 8;

/// What the workers send back.
enum Event {
    Opened(Result<SourceInfo, TileError>),
    Tile {
        id: TileId,
        result: Result<Option<ColorImage>, TileError>,
    },
}

/// The worker side: a request channel in, an event channel out. Dropping it stops the
/// workers after the tile each is reading.
struct Fetcher {
    requests: Sender<TileId>,
    events: Receiver<Event>,
}

impl Fetcher {
    fn start(
        open: Box<dyn FnOnce() -> Result<Arc<dyn TileSource>, TileError> + Send>,
        workers: usize,
        repaint: Option<egui::Context>,
    ) -> Fetcher {
        let (req_tx, req_rx) = channel::<TileId>();
        let (ev_tx, ev_rx) = channel::<Event>();
        let wake = move |ctx: &Option<egui::Context>| {
            if let Some(c) = ctx {
                c.request_repaint();
            }
        };
        let opener_tx = ev_tx.clone();
        let spawned = std::thread::Builder::new()
            .name("basemap open".into())
            .spawn(move || {
                let source = match open() {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ev_tx.send(Event::Opened(Err(e)));
                        wake(&repaint);
                        return;
                    }
                };
                let name = source.info().name.clone();
                let _ = ev_tx.send(Event::Opened(Ok(source.info().clone())));
                wake(&repaint);
                let req_rx = Arc::new(Mutex::new(req_rx));
                for i in 0..workers.max(1) {
                    let (source, req_rx, ev_tx, repaint, name) = (
                        source.clone(),
                        req_rx.clone(),
                        ev_tx.clone(),
                        repaint.clone(),
                        name.clone(),
                    );
                    // A worker that cannot start leaves the others to do the work.
                    let _ = std::thread::Builder::new()
                        .name(format!("basemap {i}"))
                        .spawn(move || {
                            loop {
                                let next = req_rx.lock().map(|rx| rx.recv());
                                let Ok(Ok(id)) = next else { return };
                                let result = source
                                    .fetch(id)
                                    .and_then(|b| b.map(|b| decode_tile(&b, &name)).transpose());
                                if ev_tx.send(Event::Tile { id, result }).is_err() {
                                    return;
                                }
                                wake(&repaint);
                            }
                        });
                }
            });
        if let Err(e) = spawned {
            let _ = opener_tx.send(Event::Opened(Err(TileError::Network {
                host: "-".into(),
                message: format!("no thread could be started: {e}"),
            })));
        }
        Fetcher {
            requests: req_tx,
            events: ev_rx,
        }
    }
}

struct Cached {
    texture: TextureHandle,
    last_used: u64,
}

/// Where a source stands.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceState {
    Opening,
    Ready(SourceInfo),
    /// It could not be opened (the sentence).
    Failed(String),
}

/// The UI side of a basemap source: textures of the tiles fetched so far.
pub struct TileCache {
    fetcher: Fetcher,
    state: SourceState,
    textures: HashMap<TileId, Cached>,
    pending: HashSet<TileId>,
    /// Tiles the source does not have.
    missing: HashSet<TileId>,
    failed: HashMap<TileId, Instant>,
    reported: HashSet<String>,
    clock: u64,
}

impl TileCache {
    /// Start opening a source on a worker; `workers` threads then fetch tiles.
    /// `repaint` is woken whenever something arrives.
    pub fn start(
        open: Box<dyn FnOnce() -> Result<Arc<dyn TileSource>, TileError> + Send>,
        workers: usize,
        repaint: Option<egui::Context>,
    ) -> TileCache {
        TileCache {
            fetcher: Fetcher::start(open, workers, repaint),
            state: SourceState::Opening,
            textures: HashMap::new(),
            pending: HashSet::new(),
            missing: HashSet::new(),
            failed: HashMap::new(),
            reported: HashSet::new(),
            clock: 0,
        }
    }

    pub fn state(&self) -> &SourceState {
        &self.state
    }

    /// Take what the workers sent: textures for new tiles, the source's info. Returns
    /// errors not reported before (at most a few per source), as sentences in
    /// English and in Chinese.
    pub fn poll(&mut self, ctx: &egui::Context) -> Vec<(String, String)> {
        let mut new_errors = Vec::new();
        let mut uploads = 0;
        loop {
            if uploads >= UPLOADS_PER_FRAME {
                // More next frame.
                ctx.request_repaint();
                break;
            }
            let event = match self.fetcher.events.try_recv() {
                Ok(e) => e,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            };
            match event {
                Event::Opened(Ok(info)) => self.state = SourceState::Ready(info),
                Event::Opened(Err(e)) => {
                    let msg = e.to_string();
                    self.state = SourceState::Failed(msg.clone());
                    self.report(msg, e.zh(), &mut new_errors);
                }
                Event::Tile { id, result } => {
                    self.pending.remove(&id);
                    match result {
                        Ok(Some(image)) => {
                            uploads += 1;
                            let texture = ctx.load_texture(
                                format!("basemap {id}"),
                                image,
                                TextureOptions::LINEAR,
                            );
                            self.clock += 1;
                            self.textures.insert(
                                id,
                                Cached {
                                    texture,
                                    last_used: self.clock,
                                },
                            );
                            self.evict();
                        }
                        Ok(None) => {
                            if self.missing.len() > 100_000 {
                                self.missing.clear();
                            }
                            self.missing.insert(id);
                        }
                        Err(e) => {
                            self.failed.insert(id, Instant::now());
                            self.report(e.to_string(), e.zh(), &mut new_errors);
                        }
                    }
                }
            }
        }
        new_errors
    }

    fn report(&mut self, msg: String, zh: String, out: &mut Vec<(String, String)>) {
        if self.reported.len() < MAX_REPORTED && self.reported.insert(msg.clone()) {
            out.push((msg, zh));
        }
    }

    /// Drop the least recently used textures beyond [`CACHE_CAPACITY`].
    fn evict(&mut self) {
        while self.textures.len() > CACHE_CAPACITY {
            let Some(oldest) = self
                .textures
                .iter()
                .min_by_key(|(id, c)| (c.last_used, **id))
                .map(|(id, _)| *id)
            else {
                return;
            };
            self.textures.remove(&oldest);
        }
    }

    /// The view needs `wanted` (most important first): mark what will be drawn for
    /// them as used, and ask for the ones not here yet, a few at a time.
    pub fn request(&mut self, wanted: &[TileId]) {
        if !matches!(self.state, SourceState::Ready(_)) {
            return;
        }
        self.clock += 1;
        let now = Instant::now();
        self.failed
            .retain(|_, at| now.duration_since(*at) < RETRY_AFTER);
        for &id in wanted {
            if let Some(c) = self.textures.get_mut(&id) {
                c.last_used = self.clock;
                continue;
            }
            // Keep what stands in for it meanwhile.
            let mut stand_in = id.parent();
            for _ in 0..MAX_PARENT_LEVELS {
                let Some(p) = stand_in else { break };
                if let Some(c) = self.textures.get_mut(&p) {
                    c.last_used = self.clock;
                    break;
                }
                stand_in = p.parent();
            }
            for child in id.children().into_iter().flatten() {
                if let Some(c) = self.textures.get_mut(&child) {
                    c.last_used = self.clock;
                }
            }
            if self.pending.len() >= MAX_IN_FLIGHT
                || self.pending.contains(&id)
                || self.missing.contains(&id)
                || self.failed.contains_key(&id)
            {
                continue;
            }
            if self.fetcher.requests.send(id).is_ok() {
                self.pending.insert(id);
            }
        }
    }

    /// The texture of exactly this tile.
    pub fn get(&self, id: TileId) -> Option<&TextureHandle> {
        self.textures.get(&id).map(|c| &c.texture)
    }

    /// The tile's own texture, else the nearest cached parent with the part of it
    /// (texture coordinates) that covers the tile.
    pub fn cover(&self, id: TileId) -> Option<(&TextureHandle, Rect)> {
        let mut at = Some(id);
        for _ in 0..=MAX_PARENT_LEVELS {
            let t = at?;
            if let Some(c) = self.textures.get(&t) {
                return Some((&c.texture, id.uv_in(t)?));
            }
            at = t.parent();
        }
        None
    }

    /// Whether the source said it has no tile here.
    pub fn is_missing(&self, id: TileId) -> bool {
        self.missing.contains(&id)
    }

    /// Tiles asked for and not back yet.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::map::tiles::mbtiles::{MbTiles, tests::write_mbtiles};
    use crate::gui::map::tiles::test_png::solid_png;

    /// Poll until `done` or 10 s.
    fn pump(
        cache: &mut TileCache,
        ctx: &egui::Context,
        wanted: &[TileId],
        done: impl Fn(&TileCache) -> bool,
    ) -> Vec<(String, String)> {
        let start = Instant::now();
        let mut errors = Vec::new();
        while !done(cache) {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out");
            errors.extend(cache.poll(ctx));
            cache.request(wanted);
            std::thread::sleep(Duration::from_millis(2));
        }
        errors
    }

    #[test]
    fn tiles_of_a_local_file_arrive_as_textures_and_stand_in_for_their_children() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.mbtiles");
        let parent = TileId::new(4, 13, 6).unwrap();
        let [nw, ne, ..] = parent.children().unwrap();
        write_mbtiles(
            &path,
            &[("format", "png")],
            &[
                (parent, solid_png(16, [255, 0, 0, 255])),
                (nw, solid_png(16, [0, 255, 0, 255])),
            ],
        );
        let ctx = egui::Context::default();
        let open_path = path.clone();
        let mut cache = TileCache::start(
            Box::new(move || Ok(Arc::new(MbTiles::open(&open_path)?) as Arc<dyn TileSource>)),
            2,
            None,
        );
        let wanted = [nw, ne, parent];
        let errors = pump(&mut cache, &ctx, &wanted, |c| {
            c.get(nw).is_some() && c.get(parent).is_some() && c.is_missing(ne)
        });
        assert!(errors.is_empty(), "{errors:?}");
        assert!(matches!(cache.state(), SourceState::Ready(i) if i.name == "t.mbtiles"));
        // The missing child is drawn from the parent's top-right quarter.
        let (tex, uv) = cache.cover(ne).unwrap();
        assert_eq!(tex.id(), cache.get(parent).unwrap().id());
        assert_eq!(
            uv,
            Rect::from_min_max(egui::pos2(0.5, 0.0), egui::pos2(1.0, 0.5))
        );
        assert_eq!(
            cache.cover(nw).unwrap().1,
            Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0))
        );
        // Nothing is asked for again.
        cache.request(&wanted);
        assert_eq!(cache.in_flight(), 0);
    }

    #[test]
    fn a_source_that_cannot_open_is_reported_once() {
        let ctx = egui::Context::default();
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.mbtiles");
        std::fs::write(
            &junk,
            b"definitely not sqlite, just text that is long enough......",
        )
        .unwrap();
        let mut cache = TileCache::start(
            Box::new(move || Ok(Arc::new(MbTiles::open(&junk)?) as Arc<dyn TileSource>)),
            1,
            None,
        );
        let errors = pump(&mut cache, &ctx, &[], |c| {
            matches!(c.state(), SourceState::Failed(_))
        });
        assert_eq!(errors.len(), 1);
        assert!(errors[0].0.contains("junk.mbtiles"), "{errors:?}");
        assert!(
            errors[0].1.contains("junk.mbtiles") && errors[0].1.contains("MBTiles 文件"),
            "{errors:?}"
        );
        assert!(cache.poll(&ctx).is_empty());
    }

    #[test]
    fn a_bad_tile_is_reported_once_and_not_asked_for_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.mbtiles");
        let a = TileId::new(3, 1, 1).unwrap();
        let b = TileId::new(3, 2, 1).unwrap();
        write_mbtiles(
            &path,
            &[],
            &[(a, b"garbage".to_vec()), (b, b"garbage".to_vec())],
        );
        let ctx = egui::Context::default();
        let mut cache = TileCache::start(
            Box::new(move || Ok(Arc::new(MbTiles::open(&path)?) as Arc<dyn TileSource>)),
            2,
            None,
        );
        let wanted = [a, b];
        let errors = pump(&mut cache, &ctx, &wanted, |c| {
            matches!(c.state(), SourceState::Ready(_)) && c.in_flight() == 0 && c.failed.len() == 2
        });
        assert_eq!(
            errors.len(),
            1,
            "the same sentence twice is reported once: {errors:?}"
        );
        assert!(errors[0].0.contains("not supported"), "{errors:?}");
        assert!(errors[0].1.contains("不支持"), "{errors:?}");
        cache.request(&wanted);
        assert_eq!(cache.in_flight(), 0, "failed tiles wait before a retry");
    }

    #[test]
    fn the_least_recently_used_textures_are_dropped_beyond_the_capacity() {
        let ctx = egui::Context::default();
        let mut cache = TileCache::start(
            Box::new(|| Err(TileError::NotMbTiles { path: "x".into() })),
            1,
            None,
        );
        for i in 0..(CACHE_CAPACITY as u32 + 10) {
            cache.clock += 1;
            let texture = ctx.load_texture(
                "t",
                ColorImage::filled([1, 1], egui::Color32::RED),
                TextureOptions::LINEAR,
            );
            cache.textures.insert(
                TileId::new(12, i, 0).unwrap(),
                Cached {
                    texture,
                    last_used: cache.clock,
                },
            );
            cache.evict();
        }
        assert_eq!(cache.textures.len(), CACHE_CAPACITY);
        assert!(cache.get(TileId::new(12, 0, 0).unwrap()).is_none());
        assert!(
            cache
                .get(TileId::new(12, CACHE_CAPACITY as u32 + 9, 0).unwrap())
                .is_some()
        );
    }
}
