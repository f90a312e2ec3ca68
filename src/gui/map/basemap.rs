//! The basemap under the zone and site layers: none by default (the app works
//! offline), or tiles from an XYZ server (OpenStreetMap, Tianditu with a key, any
//! `{z}/{x}/{y}` URL) or a local MBTiles/PMTiles file.
//!
//! [`BasemapSettings`] is what the user chose (saved with the app settings);
//! [`BasemapState`] is the running side: it starts a [`TileCache`] for the chosen
//! source, and once per frame (from the app's `logic`) takes finished tiles and asks
//! for the ones the view needs. [`draw_basemap`] only paints what is cached, so a
//! frame never waits on a file or the network.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::{self, Color32, Rect, vec2};
use serde::{Deserialize, Serialize};

use super::tiles::fetch::{SourceState, TileCache};
use super::tiles::mbtiles::MbTiles;
use super::tiles::pmtiles::PmTiles;
use super::tiles::xyz::{XyzSource, default_cache_base};
use super::tiles::{SourceInfo, TileError, TileId, TileSource, choose_zoom, visible_tiles};
use super::view::{MapView, WorldPos};
use crate::gui::i18n::{Language, Tr};
use crate::gui::state::AppState;
use crate::model::Problem;

/// The OpenStreetMap standard tiles.
pub const OSM_TEMPLATE: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Tianditu (天地图) in Web Mercator; `{layer}` is `vec` (streets) or `img`
/// (imagery) and `{tk}` the user's key.
const TIANDITU_TEMPLATE: &str = "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}";
/// File extensions of local basemaps.
pub const BASEMAP_EXTENSIONS: [&str; 2] = ["mbtiles", "pmtiles"];

/// Where basemap tiles come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BasemapSource {
    /// A tile server URL with `{z}`, `{x}`, `{y}` (or `{-y}`) and optionally `{s}`.
    Xyz {
        template: String,
    },
    MbTiles(PathBuf),
    PmTiles(PathBuf),
}

impl BasemapSource {
    /// OpenStreetMap's standard map.
    pub fn openstreetmap() -> BasemapSource {
        BasemapSource::Xyz {
            template: OSM_TEMPLATE.into(),
        }
    }

    /// Tianditu streets (`imagery` false) or imagery with the key `tk`.
    pub fn tianditu(tk: &str, imagery: bool) -> BasemapSource {
        let layer = if imagery { "img" } else { "vec" };
        BasemapSource::Xyz {
            template: TIANDITU_TEMPLATE
                .replace("{layer}", layer)
                .replace("{tk}", tk.trim()),
        }
    }

    /// A local file by its extension (`.mbtiles` or `.pmtiles`, any case).
    pub fn from_file(path: &Path) -> Option<BasemapSource> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "mbtiles" => Some(BasemapSource::MbTiles(path.to_path_buf())),
            "pmtiles" => Some(BasemapSource::PmTiles(path.to_path_buf())),
            _ => None,
        }
    }

    /// The Tianditu key and whether it is the imagery layer, if this is Tianditu.
    pub fn as_tianditu(&self) -> Option<(String, bool)> {
        let BasemapSource::Xyz { template } = self else {
            return None;
        };
        if !template.contains("tianditu.gov.cn") {
            return None;
        }
        let tk = template
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("tk="))
            .unwrap_or_default()
            .to_owned();
        Some((tk, template.contains("LAYER=img")))
    }

    /// A short name for the layers panel.
    pub fn label(&self, lang: Language) -> String {
        match self {
            BasemapSource::Xyz { template } if template == OSM_TEMPLATE => "OpenStreetMap".into(),
            BasemapSource::Xyz { template } => match self.as_tianditu() {
                Some((_, true)) => lang.tr(Tr::BasemapTiandituImg).into(),
                Some((_, false)) => lang.tr(Tr::BasemapTiandituVec).into(),
                None => super::tiles::xyz::Template::parse(template)
                    .map(|t| t.host())
                    .unwrap_or_else(|_| template.clone()),
            },
            BasemapSource::MbTiles(p) | BasemapSource::PmTiles(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
        }
    }

    /// What problems about this source are filed under (its file, or its server).
    pub fn problem_path(&self) -> PathBuf {
        match self {
            BasemapSource::Xyz { template } => PathBuf::from(
                super::tiles::xyz::Template::parse(template)
                    .map(|t| t.host())
                    .unwrap_or_else(|_| template.clone()),
            ),
            BasemapSource::MbTiles(p) | BasemapSource::PmTiles(p) => p.clone(),
        }
    }

    /// Open the source (on a worker: reads the file or builds the HTTP client).
    pub fn open(&self, cache_base: Option<&Path>) -> Result<Arc<dyn TileSource>, TileError> {
        Ok(match self {
            BasemapSource::Xyz { template } => Arc::new(XyzSource::new(template, cache_base)?),
            BasemapSource::MbTiles(p) => Arc::new(MbTiles::open(p)?),
            BasemapSource::PmTiles(p) => Arc::new(PmTiles::open(p)?),
        })
    }

    /// Worker threads: servers answer slowly, files quickly.
    fn workers(&self) -> usize {
        match self {
            BasemapSource::Xyz { .. } => 4,
            _ => 2,
        }
    }
}

/// The user's basemap choice, saved with the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BasemapSettings {
    /// `None`: no basemap (the default; nothing is downloaded).
    pub source: Option<BasemapSource>,
    /// 0..=1.
    pub opacity: f32,
}

impl Default for BasemapSettings {
    fn default() -> Self {
        BasemapSettings {
            source: None,
            opacity: 1.0,
        }
    }
}

/// The running basemap: the tile cache of the chosen source and its problems.
#[derive(Default)]
pub struct BasemapState {
    running: Option<(BasemapSource, TileCache)>,
    /// Problems of the current source (each distinct one once).
    pub problems: Vec<Problem>,
}

impl BasemapState {
    /// Follow the settings, take finished tiles and ask for the ones `view` needs
    /// in `map_rect`. Returns a status line when a new problem appeared.
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        settings: &BasemapSettings,
        view: &MapView,
        map_rect: Rect,
        lang: Language,
    ) -> Option<String> {
        let current = self.running.as_ref().map(|(s, _)| s);
        if current != settings.source.as_ref() {
            self.problems.clear();
            if let Some(s) = &settings.source
                && let (Some(warning), Some(zh)) =
                    (shifted_datum_warning(s), shifted_datum_warning_zh(s))
            {
                self.problems
                    .push(Problem::warning(&s.problem_path(), warning).with_zh(zh, None));
            }
            self.running = settings.source.clone().map(|source| {
                let opening = source.clone();
                let cache = TileCache::start(
                    Box::new(move || opening.open(default_cache_base().as_deref())),
                    source.workers(),
                    Some(ctx.clone()),
                );
                (source, cache)
            });
        }
        let (source, cache) = self.running.as_mut()?;
        let errors = cache.poll(ctx);
        let status = errors.first().map(|(en, zh)| {
            let e = if lang == Language::Zh { zh } else { en };
            lang.trf(Tr::BasemapProblem, &[e])
        });
        for (en, zh) in errors {
            self.problems
                .push(Problem::warning(&source.problem_path(), en).with_zh(zh, None));
        }
        if let SourceState::Ready(info) = cache.state() {
            let wanted = wanted_tiles(info, view, map_rect, ctx.pixels_per_point());
            cache.request(&wanted);
        }
        status
    }

    /// The source's tile cache, when a basemap is chosen.
    pub fn cache(&self) -> Option<&TileCache> {
        self.running.as_ref().map(|(_, c)| c)
    }

    /// What the source said about itself, once open.
    pub fn info(&self) -> Option<&SourceInfo> {
        match self.cache()?.state() {
            SourceState::Ready(info) => Some(info),
            _ => None,
        }
    }
}

/// Chinese commercial maps (Gaode/Amap, Tencent: GCJ-02; Baidu: BD-09) are drawn in
/// a deliberately shifted datum: on them every site looks a few hundred metres off,
/// which matters for a review that judges positions. A warning says so.
pub fn shifted_datum_warning(source: &BasemapSource) -> Option<String> {
    let datum = shifted_datum(source)?;
    Some(format!(
        "{} serves maps in the shifted {datum} datum: zones and sites will look a few hundred metres off on it; judge positions on Tianditu or OpenStreetMap",
        source.problem_path().display()
    ))
}

/// [`shifted_datum_warning`] in Chinese.
pub fn shifted_datum_warning_zh(source: &BasemapSource) -> Option<String> {
    let datum = shifted_datum(source)?;
    Some(format!(
        "{} 提供的是经过偏移的 {datum} 坐标地图：区域和点位在上面看起来会偏几百米；请在天地图或 OpenStreetMap 上判断位置",
        source.problem_path().display()
    ))
}

/// The shifted datum of a Chinese commercial map's tiles, from the URL template.
fn shifted_datum(source: &BasemapSource) -> Option<&'static str> {
    let BasemapSource::Xyz { template } = source else {
        return None;
    };
    let t = template.to_ascii_lowercase();
    if ["baidu", "bdimg", "bdstatic"].iter().any(|h| t.contains(h)) {
        Some("BD-09")
    } else if ["autonavi", "amap.com", "map.qq.com", "gtimg"]
        .iter()
        .any(|h| t.contains(h))
    {
        Some("GCJ-02")
    } else {
        None
    }
}

/// The tiles to show for `view`, nearest the centre first, only where the source
/// has tiles.
fn wanted_tiles(info: &SourceInfo, view: &MapView, rect: Rect, ppp: f32) -> Vec<TileId> {
    let z = choose_zoom(view.points_per_metre, ppp, info.min_zoom, info.max_zoom);
    let mut tiles = visible_tiles(view, rect, z);
    if let Some(b) = info.bounds {
        tiles.retain(|t| b.touches(*t));
    }
    tiles
}

/// Paint the cached tiles of the view (a missing tile from its parent or children)
/// and the source's credit in the corner. Never waits for anything.
pub fn draw_basemap(painter: &egui::Painter, rect: Rect, view: &MapView, app: &AppState) {
    let (settings, lang) = (&app.settings.basemap, app.settings.language);
    let Some(cache) = app.basemap.cache() else {
        return;
    };
    let info = match cache.state() {
        SourceState::Ready(info) => info,
        SourceState::Opening => return,
        SourceState::Failed(_) => {
            corner_text(painter, rect, lang.tr(Tr::BasemapUnavailable));
            return;
        }
    };
    let tint = Color32::WHITE.gamma_multiply(settings.opacity.clamp(0.0, 1.0));
    let ppp = painter.ctx().pixels_per_point();
    let screen_rect_of = |t: TileId| {
        let r = t.world_rect();
        Rect::from_min_max(
            view.screen_from_world(
                rect,
                WorldPos {
                    x: r.min.x,
                    y: r.max.y,
                },
            ),
            view.screen_from_world(
                rect,
                WorldPos {
                    x: r.max.x,
                    y: r.min.y,
                },
            ),
        )
    };
    for t in wanted_tiles(info, view, rect, ppp) {
        if let Some((texture, uv)) = cache.cover(t) {
            painter.image(texture.id(), screen_rect_of(t), uv, tint);
        } else if let Some(children) = t.children() {
            // Zooming out: the finer tiles still cached.
            for c in children {
                if let Some(texture) = cache.get(c) {
                    let full = Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                    painter.image(texture.id(), screen_rect_of(c), full, tint);
                }
            }
        }
    }
    if let Some(credit) = &info.attribution {
        corner_text(painter, rect, credit);
    }
}

/// Small text in the bottom-right corner, above the cursor position line.
fn corner_text(painter: &egui::Painter, rect: Rect, text: &str) {
    let galley = painter.layout_no_wrap(
        text.to_owned(),
        egui::FontId::proportional(11.0),
        Color32::from_gray(40),
    );
    let at = rect.right_bottom() + vec2(-8.0, -32.0);
    let r = egui::Align2::RIGHT_BOTTOM
        .anchor_size(at, galley.size())
        .expand(2.0);
    painter.rect_filled(r, 2.0, Color32::from_white_alpha(190));
    painter.galley(r.min + vec2(2.0, 2.0), galley, Color32::from_gray(40));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_files_become_sources() {
        assert_eq!(
            BasemapSource::openstreetmap().label(Language::En),
            "OpenStreetMap"
        );
        let tdt = BasemapSource::tianditu(" abc123 ", true);
        let BasemapSource::Xyz { template } = &tdt else {
            panic!("not XYZ")
        };
        assert!(template.contains("tk=abc123") && template.contains("img_w"));
        super::super::tiles::xyz::Template::parse(template).unwrap();
        assert_eq!(tdt.as_tianditu(), Some(("abc123".to_owned(), true)));
        assert_eq!(
            tdt.label(Language::Zh),
            Language::Zh.tr(Tr::BasemapTiandituImg)
        );
        assert_eq!(
            BasemapSource::from_file(Path::new("/d/太原.MBTiles")),
            Some(BasemapSource::MbTiles(PathBuf::from("/d/太原.MBTiles")))
        );
        assert!(matches!(
            BasemapSource::from_file(Path::new("a.pmtiles")),
            Some(BasemapSource::PmTiles(_))
        ));
        assert_eq!(BasemapSource::from_file(Path::new("a.shp")), None);
        assert_eq!(
            BasemapSource::Xyz {
                template: "https://tiles.example.cn/{z}/{x}/{y}.png".into()
            }
            .label(Language::En),
            "tiles.example.cn"
        );
    }

    #[test]
    fn shifted_chinese_maps_get_a_warning_and_true_ones_do_not() {
        let amap = BasemapSource::Xyz {
            template: "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8".into(),
        };
        let w = shifted_datum_warning(&amap).unwrap();
        assert!(
            w.contains("GCJ-02") && w.contains("webrd01.is.autonavi.com"),
            "{w}"
        );
        let zh = shifted_datum_warning_zh(&amap).unwrap();
        assert!(zh.contains("GCJ-02") && zh.contains("偏几百米"), "{zh}");
        assert!(shifted_datum_warning(&BasemapSource::openstreetmap()).is_none());
        assert!(shifted_datum_warning_zh(&BasemapSource::openstreetmap()).is_none());
        assert!(shifted_datum_warning(&BasemapSource::tianditu("k", false)).is_none());
        assert!(shifted_datum_warning(&BasemapSource::MbTiles("a.mbtiles".into())).is_none());
    }

    #[test]
    fn the_basemap_choice_survives_the_settings_file() {
        let s = BasemapSettings {
            source: Some(BasemapSource::PmTiles(PathBuf::from("/data/底图.pmtiles"))),
            opacity: 0.6,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<BasemapSettings>(&json).unwrap(), s);
        let old: BasemapSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(old, BasemapSettings::default());
        assert!(old.source.is_none(), "no basemap unless chosen");
    }

    #[test]
    fn the_state_follows_the_settings_and_fetches_the_view_from_a_local_file() {
        use super::super::tiles::mbtiles::tests::write_mbtiles;
        use super::super::tiles::test_png::solid_png;
        use super::super::tiles::{TILE_PIXELS, WORLD_HALF_M, tile_of_world};
        use super::super::view::{LonLat, world_from_lonlat};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("county.mbtiles");
        let center = world_from_lonlat(LonLat {
            lon: 112.55,
            lat: 37.87,
        });
        let t = tile_of_world(center, 10);
        write_mbtiles(
            &path,
            &[("format", "png"), ("attribution", "© 测试")],
            &[(t, solid_png(256, [10, 200, 10, 255]))],
        );
        let ctx = egui::Context::default();
        let view = MapView {
            center,
            points_per_metre: TILE_PIXELS * 2f64.powi(10) / (2.0 * WORLD_HALF_M),
        };
        let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), vec2(400.0, 300.0));
        let settings = BasemapSettings {
            source: Some(BasemapSource::MbTiles(path)),
            opacity: 1.0,
        };
        let mut state = BasemapState::default();
        let start = std::time::Instant::now();
        while state.cache().and_then(|c| c.get(t)).is_none() {
            assert!(start.elapsed().as_secs() < 10, "timed out");
            let status = state.update(&ctx, &settings, &view, rect, Language::En);
            assert!(status.is_none(), "{status:?}");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert_eq!(
            state.info().and_then(|i| i.attribution.clone()).as_deref(),
            Some("© 测试")
        );
        assert!(state.problems.is_empty());
        // Turning it off drops the cache.
        state.update(&ctx, &BasemapSettings::default(), &view, rect, Language::En);
        assert!(state.cache().is_none());
    }

    #[test]
    fn a_broken_file_becomes_one_problem_and_a_status_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.pmtiles");
        std::fs::write(&path, vec![7u8; 300]).unwrap();
        let ctx = egui::Context::default();
        let settings = BasemapSettings {
            source: Some(BasemapSource::PmTiles(path.clone())),
            opacity: 1.0,
        };
        let mut state = BasemapState::default();
        let rect = Rect::from_min_size(egui::pos2(0.0, 0.0), vec2(400.0, 300.0));
        let start = std::time::Instant::now();
        let status = loop {
            assert!(start.elapsed().as_secs() < 10, "timed out");
            if let Some(s) = state.update(&ctx, &settings, &MapView::default(), rect, Language::En)
            {
                break s;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        };
        assert!(status.contains("broken.pmtiles"), "{status}");
        assert_eq!(state.problems.len(), 1);
        assert_eq!(state.problems[0].file, path);
        for _ in 0..5 {
            assert!(
                state
                    .update(&ctx, &settings, &MapView::default(), rect, Language::En)
                    .is_none()
            );
        }
        assert_eq!(state.problems.len(), 1);
    }
}
