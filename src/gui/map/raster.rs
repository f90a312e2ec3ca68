//! Many points as one picture: above [`POINT_RASTER_THRESHOLD`] points in view the
//! canvas stops drawing a symbol per site and shows an image with a 2×2 pixel mark
//! per point, filled on a worker by [`rasterize_points`]. While the next image is
//! being made the last one is shifted and scaled to the current view.
//!
//! [`POINT_RASTER_THRESHOLD`]: super::canvas::POINT_RASTER_THRESHOLD

use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui::{self, Color32, ColorImage, Rect, pos2, vec2};
use rayon::prelude::*;

use super::cache::DisplayLayer;
use super::view::MapView;
use crate::gui::jobs::JobContext;
use crate::gui::state::LayerId;

/// The image rectangle the raster is drawn for: its own size at the origin, so that
/// the projector's screen positions are pixel positions.
fn image_rect(size: [usize; 2]) -> Rect {
    Rect::from_min_size(pos2(0.0, 0.0), vec2(size[0] as f32, size[1] as f32))
}

/// Draw every point of `layer` seen by `view` into an image of `size` pixels.
/// `None` if cancelled.
pub fn rasterize_points(
    layer: &DisplayLayer,
    color: Color32,
    view: &MapView,
    size: [usize; 2],
    jc: Option<&JobContext>,
) -> Option<ColorImage> {
    let [w, h] = size;
    let mut image = ColorImage::filled(size, Color32::TRANSPARENT);
    let rect = image_rect(size);
    // The pixels to set, found in parallel over the flat point array; each point
    // marks 2 × 2 pixels from the one it falls in.
    let cancelled = AtomicBool::new(false);
    let hits: Vec<Vec<u32>> = layer
        .all_points
        .par_chunks(1 << 16)
        .map(|chunk| {
            if cancelled.load(Ordering::Relaxed) || jc.is_some_and(|jc| jc.is_cancelled()) {
                cancelled.store(true, Ordering::Relaxed);
                return Vec::new();
            }
            let mut out = Vec::new();
            for p in chunk {
                let s = view.screen_from_world(rect, *p);
                let (x, y) = (s.x.floor(), s.y.floor());
                // Also skips NaN.
                if x >= -1.0 && y >= -1.0 && x < w as f32 && y < h as f32 {
                    let (x, y) = (x as i64, y as i64);
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let (px, py) = (x + dx, y + dy);
                        if px >= 0 && py >= 0 && (px as usize) < w && (py as usize) < h {
                            out.push((py as usize * w + px as usize) as u32);
                        }
                    }
                }
            }
            out
        })
        .collect();
    if cancelled.load(Ordering::Relaxed) {
        return None;
    }
    for i in hits.iter().flatten() {
        image.pixels[*i as usize] = color;
    }
    Some(image)
}

/// Rasters of the point layers (one image each, so layer order is kept) and the view
/// they were made for.
pub struct PointRaster {
    pub textures: Vec<(LayerId, egui::TextureHandle)>,
    pub view: MapView,
    pub size: [usize; 2],
    /// Which layers and colours it shows (see [`raster_key`]).
    pub key: u64,
}

impl PointRaster {
    /// Where the raster lands in `rect` under the current `view`.
    pub fn screen_rect(&self, rect: Rect, view: &MapView) -> Rect {
        let world = self.view.visible_world_rect(image_rect(self.size));
        let a = view.screen_from_world(rect, world.min);
        let b = view.screen_from_world(rect, world.max);
        Rect::from_two_pos(a, b)
    }
}

/// A fingerprint of the layers and colours a raster shows, to know when it is stale.
pub fn raster_key(parts: impl Iterator<Item = (u64, Color32)>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (id, c) in parts {
        id.hash(&mut h);
        c.to_array().hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::map::view::{LonLat, world_from_lonlat};
    use crate::model::{CrsInfo, CrsSource, Feature, GeometryKind, Layer, SourceFormat};
    use geo_types::{Coord, Point};

    #[test]
    fn a_point_at_the_view_centre_lands_in_the_image_centre() {
        let layer = Layer {
            name: "t".into(),
            source: "t.shp".into(),
            format: SourceFormat::Shapefile,
            geometry_kind: GeometryKind::Point,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: vec![],
            features: vec![Feature {
                fid: 0,
                geometry: Some(Point::new(112.5, 37.8).into()),
                attrs: vec![],
            }],
            problems: vec![],
            deferred: None,
        };
        let to_lonlat = |c: Coord<f64>| Some(LonLat { lon: c.x, lat: c.y });
        let (d, _) = DisplayLayer::build(&layer, &to_lonlat, None).unwrap();
        let view = MapView {
            center: world_from_lonlat(LonLat {
                lon: 112.5,
                lat: 37.8,
            }),
            points_per_metre: 0.01,
        };
        let img = rasterize_points(&d, Color32::RED, &view, [100, 80], None).unwrap();
        assert_eq!(img.pixels[40 * 100 + 50], Color32::RED);
        let painted = img.pixels.iter().filter(|p| **p == Color32::RED).count();
        assert_eq!(painted, 4);
    }

    #[test]
    fn keys_change_with_colours() {
        let a = raster_key([(1, Color32::RED)].into_iter());
        let b = raster_key([(1, Color32::BLUE)].into_iter());
        assert_ne!(a, b);
        assert_eq!(a, raster_key([(1, Color32::RED)].into_iter()));
    }
}
