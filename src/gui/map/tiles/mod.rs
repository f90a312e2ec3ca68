//! Raster map tiles for the basemap: Web Mercator tile maths (which tiles at which
//! zoom cover the view), the [`TileSource`] trait that the three sources implement
//! ([`xyz`] over HTTP with a disk cache, [`mbtiles`], [`pmtiles`]), decoding of
//! PNG/JPEG/WebP tiles into images, and the worker pool with its texture cache
//! ([`fetch`]).
//!
//! Tiles use the XYZ scheme everywhere in this module (row 0 at the north edge);
//! sources that store TMS rows (MBTiles) flip them at their edge.

pub mod fetch;
pub mod mbtiles;
pub mod pmtiles;
pub mod xyz;

use std::io::Cursor;
use std::path::PathBuf;

use eframe::egui::{ColorImage, Rect};

use super::view::{EARTH_RADIUS_M, LonLat, MapView, WorldPos, WorldRect, lonlat_from_world};

/// Half the width of the Web Mercator square, metres (the map spans ±this in x and y).
pub const WORLD_HALF_M: f64 = std::f64::consts::PI * EARTH_RADIUS_M;
/// Pixels along a side of a standard tile.
pub const TILE_PIXELS: f64 = 256.0;
/// Deepest zoom level handled (PMTiles tile ids stop at 26; no basemap goes deeper).
pub const MAX_ZOOM: u8 = 24;
/// Never list more tiles than this for one view (a guard against a zoom choice that
/// would flood the fetcher, e.g. far below a source's minimum zoom).
pub const MAX_VISIBLE_TILES: usize = 400;
/// Largest decoded tile side accepted, pixels (a corrupt header must not allocate GBs).
const MAX_TILE_SIDE: u32 = 4096;

/// One tile in the XYZ scheme: zoom, column from the west, row from the north.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// A tile, or `None` when the column or row is outside zoom `z`'s grid.
    pub fn new(z: u8, x: u32, y: u32) -> Option<TileId> {
        let n = tiles_per_side(z)?;
        (u64::from(x) < n && u64::from(y) < n).then_some(TileId { z, x, y })
    }

    /// The row counted from the south edge (the TMS scheme of MBTiles).
    pub fn tms_y(&self) -> u32 {
        // `new` guarantees y < 2^z.
        ((1u64 << self.z) - 1 - u64::from(self.y)) as u32
    }

    /// The Web Mercator rectangle the tile covers.
    pub fn world_rect(&self) -> WorldRect {
        let size = tile_size_m(self.z);
        let min_x = -WORLD_HALF_M + f64::from(self.x) * size;
        let max_y = WORLD_HALF_M - f64::from(self.y) * size;
        WorldRect {
            min: WorldPos {
                x: min_x,
                y: max_y - size,
            },
            max: WorldPos {
                x: min_x + size,
                y: max_y,
            },
        }
    }

    /// The tile one zoom level up that contains this one.
    pub fn parent(&self) -> Option<TileId> {
        (self.z > 0).then(|| TileId {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The four tiles one level down, north-west first, row by row.
    pub fn children(&self) -> Option<[TileId; 4]> {
        if self.z >= MAX_ZOOM {
            return None;
        }
        let (z, x, y) = (self.z + 1, self.x * 2, self.y * 2);
        Some([
            TileId { z, x, y },
            TileId { z, x: x + 1, y },
            TileId { z, x, y: y + 1 },
            TileId {
                z,
                x: x + 1,
                y: y + 1,
            },
        ])
    }

    /// Which part of `ancestor` (in 0..1 texture coordinates, y down) this tile is;
    /// `None` if `ancestor` does not contain it.
    pub fn uv_in(&self, ancestor: TileId) -> Option<Rect> {
        if ancestor.z > self.z {
            return None;
        }
        let shift = self.z - ancestor.z;
        if self.x >> shift != ancestor.x || self.y >> shift != ancestor.y {
            return None;
        }
        let n = (1u64 << shift) as f32;
        let fx = (self.x - (ancestor.x << shift)) as f32;
        let fy = (self.y - (ancestor.y << shift)) as f32;
        Some(Rect::from_min_max(
            eframe::egui::pos2(fx / n, fy / n),
            eframe::egui::pos2((fx + 1.0) / n, (fy + 1.0) / n),
        ))
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// 2^z, or `None` beyond [`MAX_ZOOM`].
fn tiles_per_side(z: u8) -> Option<u64> {
    (z <= MAX_ZOOM).then(|| 1u64 << z)
}

/// Side of a tile at zoom `z`, Web Mercator metres.
pub fn tile_size_m(z: u8) -> f64 {
    2.0 * WORLD_HALF_M / 2f64.powi(i32::from(z))
}

/// The tile at zoom `z` that holds a world position (clamped to the map's square).
pub fn tile_of_world(p: WorldPos, z: u8) -> TileId {
    let z = z.min(MAX_ZOOM);
    let n = 1u64 << z;
    let size = tile_size_m(z);
    let clamp = |v: f64| (v.floor().max(0.0) as u64).min(n - 1) as u32;
    TileId {
        z,
        x: clamp((p.x + WORLD_HALF_M) / size),
        y: clamp((WORLD_HALF_M - p.y) / size),
    }
}

/// The tile at zoom `z` that holds a geographic position.
pub fn tile_of_lonlat(p: LonLat, z: u8) -> TileId {
    tile_of_world(super::view::world_from_lonlat(p), z)
}

/// The zoom level (fractional) at which one tile pixel is one screen pixel.
pub fn ideal_zoom(points_per_metre: f64, pixels_per_point: f32) -> f64 {
    let pixels_per_metre = points_per_metre * f64::from(pixels_per_point);
    (pixels_per_metre * 2.0 * WORLD_HALF_M / TILE_PIXELS).log2()
}

/// The zoom level to draw at: the nearest to one tile pixel per screen pixel, kept
/// within the source's levels (deeper views enlarge the deepest tiles).
pub fn choose_zoom(points_per_metre: f64, pixels_per_point: f32, min: u8, max: u8) -> u8 {
    let ideal = ideal_zoom(points_per_metre, pixels_per_point);
    let max = max.min(MAX_ZOOM);
    let min = min.min(max);
    if !ideal.is_finite() {
        return min;
    }
    (ideal.round().clamp(0.0, f64::from(MAX_ZOOM)) as u8).clamp(min, max)
}

/// The tiles at zoom `z` that the map rectangle shows, nearest to its centre first.
/// Empty when more than [`MAX_VISIBLE_TILES`] would be needed.
pub fn visible_tiles(view: &MapView, rect: Rect, z: u8) -> Vec<TileId> {
    let vis = view.visible_world_rect(rect);
    if !(vis.min.x.is_finite() && vis.max.x.is_finite() && vis.min.y.is_finite()) {
        return Vec::new();
    }
    if vis.max.x < -WORLD_HALF_M
        || vis.min.x > WORLD_HALF_M
        || vis.max.y < -WORLD_HALF_M
        || vis.min.y > WORLD_HALF_M
    {
        return Vec::new();
    }
    let a = tile_of_world(
        WorldPos {
            x: vis.min.x,
            y: vis.max.y,
        },
        z,
    );
    let b = tile_of_world(
        WorldPos {
            x: vis.max.x,
            y: vis.min.y,
        },
        z,
    );
    let count = (u64::from(b.x - a.x) + 1) * (u64::from(b.y - a.y) + 1);
    if count > MAX_VISIBLE_TILES as u64 {
        return Vec::new();
    }
    let center = tile_of_world(view.center, z);
    let mut out: Vec<TileId> = (a.y..=b.y)
        .flat_map(|y| (a.x..=b.x).map(move |x| TileId { z, x, y }))
        .collect();
    out.sort_by_key(|t| {
        let dx = i64::from(t.x) - i64::from(center.x);
        let dy = i64::from(t.y) - i64::from(center.y);
        (dx * dx + dy * dy, t.y, t.x)
    });
    out
}

/// A geographic box (degrees): west, south, east, north.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLatBounds {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl LonLatBounds {
    /// Parse "w,s,e,n" (the MBTiles `bounds` metadata); `None` if malformed.
    pub fn parse(text: &str) -> Option<LonLatBounds> {
        let v: Vec<f64> = text
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        let &[west, south, east, north] = v.as_slice() else {
            return None;
        };
        let b = LonLatBounds {
            west,
            south,
            east,
            north,
        };
        (v.iter().all(|x| x.is_finite()) && west < east && south < north).then_some(b)
    }

    /// Whether the tile overlaps the box.
    pub fn touches(&self, t: TileId) -> bool {
        let r = t.world_rect();
        let sw = lonlat_from_world(r.min);
        let ne = lonlat_from_world(r.max);
        sw.lon <= self.east && ne.lon >= self.west && sw.lat <= self.north && ne.lat >= self.south
    }
}

/// Image format of tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileFormat {
    Png,
    Jpeg,
    Webp,
    /// Mapbox vector tiles (protobuf, often gzipped): not drawable here.
    Vector,
}

impl TileFormat {
    /// The format from its usual name (MBTiles `format` metadata): png, jpg, webp, pbf.
    pub fn from_name(name: &str) -> Option<TileFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "png" => Some(TileFormat::Png),
            "jpg" | "jpeg" => Some(TileFormat::Jpeg),
            "webp" => Some(TileFormat::Webp),
            "pbf" | "mvt" => Some(TileFormat::Vector),
            _ => None,
        }
    }

    /// The format from the first bytes of a tile.
    pub fn sniff(bytes: &[u8]) -> Option<TileFormat> {
        if bytes.starts_with(b"\x89PNG") {
            Some(TileFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(TileFormat::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(TileFormat::Webp)
        } else if bytes.starts_with(&[0x1F, 0x8B]) || bytes.first() == Some(&0x1A) {
            // Gzip (how vector tiles are usually stored) or a protobuf `layers` field.
            Some(TileFormat::Vector)
        } else {
            None
        }
    }
}

/// What a source says about itself once opened.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceInfo {
    /// For messages: the file name or the server's host.
    pub name: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Where the source has tiles, if it says.
    pub bounds: Option<LonLatBounds>,
    /// Credit to draw in the map corner (plain text).
    pub attribution: Option<String>,
}

/// A source of raster tiles. Implementations are shared by the fetch workers.
pub trait TileSource: Send + Sync {
    fn info(&self) -> &SourceInfo;
    /// The encoded bytes of a tile; `Ok(None)` when the source has no tile there.
    fn fetch(&self, id: TileId) -> Result<Option<Vec<u8>>, TileError>;
}

/// Why a basemap or one of its tiles cannot be shown. The text is a sentence for the
/// problems list; it names the file or server and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("cannot read the basemap file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a readable MBTiles file: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{} has no `tiles` table: it is not an MBTiles file", path.display())]
    NotMbTiles { path: PathBuf },
    #[error("{} is not a valid PMTiles v3 archive: {problem}", path.display())]
    PmTiles { path: PathBuf, problem: String },
    #[error(
        "{what} holds vector tiles: vector tiles are not supported, use a raster (PNG, JPEG or WebP) basemap"
    )]
    VectorTiles { what: String },
    #[error("{what}: tile format {format} is not supported (PNG, JPEG or WebP only)")]
    UnsupportedFormat { what: String, format: String },
    #[error("a tile of {what} cannot be decoded: {message}")]
    Decode { what: String, message: String },
    #[error("the tile server {host} answered HTTP {status}{}", http_hint(*status))]
    Http { host: String, status: u16 },
    #[error("cannot reach the tile server {host}: {message} (tiles seen before still show)")]
    Network { host: String, message: String },
    #[error("the tile URL template `{template}` is not usable: {problem}")]
    BadTemplate { template: String, problem: String },
}

impl TileError {
    /// The error in Chinese, for the problems list in the Chinese UI. Details from
    /// the system, SQLite or the image decoder stay as they came.
    pub fn zh(&self) -> String {
        match self {
            TileError::Io { path, source } => {
                format!("无法读取底图文件 {}：{source}", path.display())
            }
            TileError::Sqlite { path, source } => {
                format!("{} 不是可读取的 MBTiles 文件：{source}", path.display())
            }
            TileError::NotMbTiles { path } => {
                format!("{} 没有 tiles 表，不是 MBTiles 文件", path.display())
            }
            TileError::PmTiles { path, problem } => {
                format!("{} 不是有效的 PMTiles v3 文件：{problem}", path.display())
            }
            TileError::VectorTiles { what } => {
                format!("{what} 是矢量瓦片：不支持矢量瓦片，请使用栅格（PNG、JPEG 或 WebP）底图")
            }
            TileError::UnsupportedFormat { what, format } => {
                format!("{what}：不支持该瓦片格式（{format}），仅支持 PNG、JPEG 或 WebP")
            }
            TileError::Decode { what, message } => {
                format!("{what} 的一个瓦片无法解码：{message}")
            }
            TileError::Http { host, status } => {
                format!(
                    "瓦片服务器 {host} 返回 HTTP {status}{}",
                    http_hint_zh(*status)
                )
            }
            TileError::Network { host, message } => {
                format!("无法连接瓦片服务器 {host}：{message}（之前加载过的瓦片仍会显示）")
            }
            TileError::BadTemplate { template, problem } => {
                format!("瓦片地址模板 `{template}` 不可用：{problem}")
            }
        }
    }
}

/// [`http_hint`] in Chinese.
fn http_hint_zh(status: u16) -> &'static str {
    match status {
        401 | 403 => "（拒绝访问：请检查 URL 中的密钥，如天地图的 tk=）",
        429 => "（请求过多：请稍后再试）",
        500..=599 => "（服务器出错：请稍后重试）",
        _ => "",
    }
}

/// What an HTTP status usually means for a tile server.
fn http_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (access refused: check the key in the URL, e.g. Tianditu's tk=)",
        429 => " (too many requests: wait a while)",
        500..=599 => " (server error: try again later)",
        _ => "",
    }
}

/// Decode a PNG, JPEG or WebP tile into an image (runs on a worker). `what` names the
/// source in errors.
pub fn decode_tile(bytes: &[u8], what: &str) -> Result<ColorImage, TileError> {
    let format = match TileFormat::sniff(bytes) {
        Some(TileFormat::Png) => image::ImageFormat::Png,
        Some(TileFormat::Jpeg) => image::ImageFormat::Jpeg,
        Some(TileFormat::Webp) => image::ImageFormat::WebP,
        Some(TileFormat::Vector) => {
            return Err(TileError::VectorTiles {
                what: what.to_owned(),
            });
        }
        None => {
            let head: String = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
            return Err(TileError::UnsupportedFormat {
                what: what.to_owned(),
                format: format!("starting with bytes {head}"),
            });
        }
    };
    let decode_err = |e: image::ImageError| TileError::Decode {
        what: what.to_owned(),
        message: e.to_string(),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_TILE_SIDE);
    limits.max_image_height = Some(MAX_TILE_SIDE);
    reader.limits(limits);
    let rgba = reader.decode().map_err(decode_err)?.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(ColorImage::from_rgba_unmultiplied(size, rgba.as_raw()))
}

#[cfg(test)]
pub(crate) mod test_png {
    //! Small PNG tiles for the tests of this module and its children.

    /// A `side`×`side` PNG of one colour.
    pub fn solid_png(side: u32, rgba: [u8; 4]) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(side, side, image::Rgba(rgba));
        let mut out = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::map::view::world_from_lonlat;
    use eframe::egui::{pos2, vec2};

    #[test]
    fn taiyuan_falls_in_the_known_osm_tiles() {
        let taiyuan = LonLat {
            lon: 112.55,
            lat: 37.87,
        };
        assert_eq!(tile_of_lonlat(taiyuan, 0), TileId { z: 0, x: 0, y: 0 });
        assert_eq!(
            tile_of_lonlat(taiyuan, 10),
            TileId {
                z: 10,
                x: 832,
                y: 395
            }
        );
        // The slippy-map formula, independently.
        let z = 14u8;
        let n = 2f64.powi(14);
        let x = ((taiyuan.lon + 180.0) / 360.0 * n).floor() as u32;
        let lat = taiyuan.lat.to_radians();
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
            .floor() as u32;
        assert_eq!(tile_of_lonlat(taiyuan, z), TileId { z, x, y });
    }

    #[test]
    fn a_tile_rectangle_holds_the_positions_that_map_to_it() {
        let p = world_from_lonlat(LonLat {
            lon: 112.55,
            lat: 37.87,
        });
        for z in [0, 3, 10, 18] {
            let t = tile_of_world(p, z);
            let r = t.world_rect();
            assert!(r.min.x <= p.x && p.x < r.max.x && r.min.y < p.y && p.y <= r.max.y);
            assert!((r.width() - tile_size_m(z)).abs() < 1e-6);
        }
        let whole = TileId { z: 0, x: 0, y: 0 }.world_rect();
        assert!((whole.max.x - 20_037_508.342_789_244).abs() < 1e-6);
    }

    #[test]
    fn tms_rows_count_from_the_south() {
        let t = TileId::new(3, 1, 0).unwrap();
        assert_eq!(t.tms_y(), 7);
        assert_eq!(TileId::new(3, 1, 7).unwrap().tms_y(), 0);
        assert!(TileId::new(3, 8, 0).is_none());
        assert!(TileId::new(30, 0, 0).is_none());
    }

    #[test]
    fn parents_and_children_nest_and_a_child_is_a_quarter_of_its_parent() {
        let t = TileId { z: 5, x: 13, y: 22 };
        let p = t.parent().unwrap();
        assert_eq!(p, TileId { z: 4, x: 6, y: 11 });
        assert!(p.children().unwrap().contains(&t));
        let uv = t.uv_in(p).unwrap();
        assert_eq!(uv, Rect::from_min_max(pos2(0.5, 0.0), pos2(1.0, 0.5)));
        let grand = p.parent().unwrap();
        let uv = t.uv_in(grand).unwrap();
        assert_eq!(uv.width(), 0.25);
        assert!(t.uv_in(TileId { z: 4, x: 0, y: 0 }).is_none());
        assert!(TileId { z: 0, x: 0, y: 0 }.parent().is_none());
    }

    #[test]
    fn the_zoom_is_the_one_with_a_tile_pixel_per_screen_pixel() {
        // At zoom z the world is 256·2^z pixels wide.
        for z in [0u8, 5, 12, 17] {
            let ppm = TILE_PIXELS * 2f64.powi(i32::from(z)) / (2.0 * WORLD_HALF_M);
            assert_eq!(choose_zoom(ppm, 1.0, 0, 22), z);
            // A 2x screen needs one level more.
            assert_eq!(choose_zoom(ppm, 2.0, 0, 22), z + 1);
            // Slightly closer in still rounds to z.
            assert_eq!(choose_zoom(ppm * 1.3, 1.0, 0, 22), z);
        }
        let deep = TILE_PIXELS * 2f64.powi(21) / (2.0 * WORLD_HALF_M);
        assert_eq!(
            choose_zoom(deep, 1.0, 0, 19),
            19,
            "deeper views enlarge z19"
        );
        assert_eq!(choose_zoom(1e-9, 1.0, 3, 19), 3);
        assert_eq!(choose_zoom(f64::NAN, 1.0, 2, 19), 2);
    }

    #[test]
    fn the_whole_world_at_zoom_one_is_four_tiles_centre_first() {
        let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(512.0, 512.0));
        let view = MapView {
            center: WorldPos { x: 0.0, y: 0.0 },
            points_per_metre: 512.0 / (2.0 * WORLD_HALF_M),
        };
        let z = choose_zoom(view.points_per_metre, 1.0, 0, 19);
        assert_eq!(z, 1);
        let mut tiles = visible_tiles(&view, rect, z);
        tiles.sort();
        assert_eq!(tiles.len(), 4);
        assert_eq!(tiles[0], TileId { z: 1, x: 0, y: 0 });
        assert_eq!(tiles[3], TileId { z: 1, x: 1, y: 1 });
    }

    #[test]
    fn a_county_view_lists_the_tiles_around_it_nearest_first() {
        let center = world_from_lonlat(LonLat {
            lon: 112.55,
            lat: 37.87,
        });
        // 1000×600 points at zoom 12 exactly: 1000/256 ≈ 3.9 tiles across.
        let ppm = TILE_PIXELS * 2f64.powi(12) / (2.0 * WORLD_HALF_M);
        let view = MapView {
            center,
            points_per_metre: ppm,
        };
        let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(1000.0, 600.0));
        let tiles = visible_tiles(&view, rect, 12);
        let c = tile_of_world(center, 12);
        assert_eq!(tiles[0], c, "the centre tile comes first");
        // Every listed tile overlaps the view, and every corner's tile is listed.
        let vis = view.visible_world_rect(rect);
        for t in &tiles {
            let r = t.world_rect();
            assert!(r.max.x > vis.min.x && r.min.x < vis.max.x);
            assert!(r.max.y > vis.min.y && r.min.y < vis.max.y);
        }
        for corner in [rect.left_top(), rect.right_bottom(), rect.left_bottom()] {
            let w = view.world_from_screen(rect, corner);
            assert!(tiles.contains(&tile_of_world(w, 12)), "{corner:?}");
        }
        // 1000/256 ≈ 3.9 tiles across (4–5 columns), 600/256 ≈ 2.3 down (3–4 rows).
        assert!((12..=20).contains(&tiles.len()), "{}", tiles.len());
    }

    #[test]
    fn a_view_needing_too_many_tiles_lists_none() {
        let view = MapView {
            center: WorldPos { x: 0.0, y: 0.0 },
            points_per_metre: 1e-5,
        };
        let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(1000.0, 1000.0));
        assert!(visible_tiles(&view, rect, 18).is_empty());
    }

    #[test]
    fn bounds_parse_and_filter_tiles() {
        let b = LonLatBounds::parse("112.0, 37.5,113.0,38.2").unwrap();
        let inside = tile_of_lonlat(
            LonLat {
                lon: 112.5,
                lat: 37.8,
            },
            12,
        );
        assert!(b.touches(inside));
        let far = tile_of_lonlat(LonLat { lon: 0.0, lat: 0.0 }, 12);
        assert!(!b.touches(far));
        assert!(LonLatBounds::parse("1,2,3").is_none());
        assert!(LonLatBounds::parse("3,2,1,4").is_none());
        assert!(LonLatBounds::parse("a,b,c,d").is_none());
    }

    #[test]
    fn tiles_are_decoded_by_their_content_and_vector_tiles_are_refused_clearly() {
        let png = test_png::solid_png(4, [255, 0, 0, 255]);
        let img = decode_tile(&png, "test").unwrap();
        assert_eq!(img.size, [4, 4]);
        assert_eq!(img.pixels[0], eframe::egui::Color32::from_rgb(255, 0, 0));
        let gz = [0x1F, 0x8B, 8, 0, 0, 0];
        let err = decode_tile(&gz, "roads.mbtiles").unwrap_err().to_string();
        assert!(err.contains("vector tiles are not supported"), "{err}");
        let err = decode_tile(b"GIF89a....", "x").unwrap_err().to_string();
        assert!(err.contains("not supported"), "{err}");
        let mut broken = png.clone();
        broken.truncate(20);
        assert!(matches!(
            decode_tile(&broken, "x"),
            Err(TileError::Decode { .. })
        ));
    }
}
