//! The map projector: where a point of the display CRS lands on the screen.
//!
//! The display CRS is Web Mercator (EPSG:3857) in metres, so an optional tile basemap
//! would line up. [`WorldPos`] is a Web Mercator position and [`LonLat`] a
//! geographic one; they are different types so the two are never mixed up. All
//! arithmetic is in `f64`; only the final screen position is `f32`.

use eframe::egui::{Pos2, Rect, Vec2, pos2};

/// Earth radius of the spherical Web Mercator projection, metres.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;
/// Latitude limit of Web Mercator (the map is square there).
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A position in the display CRS (Web Mercator metres, y to the north).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorldPos {
    pub x: f64,
    pub y: f64,
}

/// Longitude and latitude in degrees (WGS84 / CGCS2000).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// An axis-aligned rectangle in the display CRS.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorldRect {
    pub min: WorldPos,
    pub max: WorldPos,
}

impl WorldRect {
    /// The smallest rectangle holding both.
    pub fn union(self, other: WorldRect) -> WorldRect {
        WorldRect {
            min: WorldPos {
                x: self.min.x.min(other.min.x),
                y: self.min.y.min(other.min.y),
            },
            max: WorldPos {
                x: self.max.x.max(other.max.x),
                y: self.max.y.max(other.max.y),
            },
        }
    }
    pub fn center(&self) -> WorldPos {
        WorldPos {
            x: (self.min.x + self.max.x) / 2.0,
            y: (self.min.y + self.max.y) / 2.0,
        }
    }
    pub fn width(&self) -> f64 {
        self.max.x - self.min.x
    }
    /// Whether `other` lies entirely within this rectangle.
    pub fn contains_rect(&self, other: WorldRect) -> bool {
        other.min.x >= self.min.x
            && other.min.y >= self.min.y
            && other.max.x <= self.max.x
            && other.max.y <= self.max.y
    }
    /// Grown on every side by `share` of its width and height.
    pub fn expanded(&self, share: f64) -> WorldRect {
        let (dx, dy) = (self.width() * share, self.height() * share);
        WorldRect {
            min: WorldPos {
                x: self.min.x - dx,
                y: self.min.y - dy,
            },
            max: WorldPos {
                x: self.max.x + dx,
                y: self.max.y + dy,
            },
        }
    }
    pub fn height(&self) -> f64 {
        self.max.y - self.min.y
    }
}

/// Web Mercator position of a geographic position (latitude clamped to the map).
pub fn world_from_lonlat(p: LonLat) -> WorldPos {
    let lat = p.lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    WorldPos {
        x: EARTH_RADIUS_M * p.lon.to_radians(),
        y: EARTH_RADIUS_M * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    }
}

/// Geographic position of a Web Mercator position.
pub fn lonlat_from_world(p: WorldPos) -> LonLat {
    LonLat {
        lon: (p.x / EARTH_RADIUS_M).to_degrees(),
        lat: (2.0 * (p.y / EARTH_RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

/// What part of the world the map shows: a centre and a scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapView {
    /// The world position at the centre of the map rectangle.
    pub center: WorldPos,
    /// Screen points per Web Mercator metre.
    pub points_per_metre: f64,
}

/// Zoom limits: from the whole earth on a few hundred points to ~1 cm per point.
const MIN_POINTS_PER_METRE: f64 = 1e-6;
const MAX_POINTS_PER_METRE: f64 = 100.0;

impl Default for MapView {
    /// China, about 5000 km across a 1000-point map.
    fn default() -> Self {
        MapView {
            center: world_from_lonlat(LonLat {
                lon: 105.0,
                lat: 35.0,
            }),
            points_per_metre: 1.0 / 5000.0,
        }
    }
}

impl MapView {
    /// Where `w` lands in the map rectangle `rect`.
    pub fn screen_from_world(&self, rect: Rect, w: WorldPos) -> Pos2 {
        let c = rect.center();
        pos2(
            (c.x as f64 + (w.x - self.center.x) * self.points_per_metre) as f32,
            (c.y as f64 - (w.y - self.center.y) * self.points_per_metre) as f32,
        )
    }

    /// The world position under the screen position `s`.
    pub fn world_from_screen(&self, rect: Rect, s: Pos2) -> WorldPos {
        let c = rect.center();
        WorldPos {
            x: self.center.x + (s.x as f64 - c.x as f64) / self.points_per_metre,
            y: self.center.y - (s.y as f64 - c.y as f64) / self.points_per_metre,
        }
    }

    /// The world rectangle the map rectangle shows.
    pub fn visible_world_rect(&self, rect: Rect) -> WorldRect {
        let a = self.world_from_screen(rect, rect.left_bottom());
        let b = self.world_from_screen(rect, rect.right_top());
        WorldRect { min: a, max: b }
    }

    /// Move the map by a screen drag of `delta` points.
    pub fn pan(&mut self, delta: Vec2) {
        self.center.x -= delta.x as f64 / self.points_per_metre;
        self.center.y += delta.y as f64 / self.points_per_metre;
    }

    /// Zoom by `factor` (>1 zooms in) keeping the world point under `anchor` fixed.
    pub fn zoom_around(&mut self, rect: Rect, anchor: Pos2, factor: f64) {
        if !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let fixed = self.world_from_screen(rect, anchor);
        let new_ppm =
            (self.points_per_metre * factor).clamp(MIN_POINTS_PER_METRE, MAX_POINTS_PER_METRE);
        self.points_per_metre = new_ppm;
        // Put `fixed` back under the anchor.
        let c = rect.center();
        self.center.x = fixed.x - (anchor.x as f64 - c.x as f64) / new_ppm;
        self.center.y = fixed.y + (anchor.y as f64 - c.y as f64) / new_ppm;
    }

    /// Show `bbox` in `rect` with a small margin. A point-sized box gets a 1 km view.
    pub fn fit(&mut self, rect: Rect, bbox: WorldRect) {
        let w = bbox.width().max(1000.0);
        let h = bbox.height().max(1000.0);
        let sx = (rect.width() as f64 * 0.9) / w;
        let sy = (rect.height() as f64 * 0.9) / h;
        self.center = bbox.center();
        self.points_per_metre = sx.min(sy).clamp(MIN_POINTS_PER_METRE, MAX_POINTS_PER_METRE);
    }

    /// Ground metres per screen point at the map centre: Web Mercator stretches
    /// distances by 1/cos(latitude).
    pub fn ground_metres_per_point(&self) -> f64 {
        let lat = lonlat_from_world(self.center).lat.to_radians();
        lat.cos() / self.points_per_metre
    }

    /// The detail level for cached simplified geometry: level `L` holds scales
    /// `2^L <= points_per_metre * 2^20 < 2^(L+1)`.
    pub fn detail_level(&self) -> i32 {
        (self.points_per_metre * (1u64 << 20) as f64).log2().floor() as i32
    }
}

/// Largest points-per-metre of a detail level; simplifying with one point at this
/// scale keeps every scale of the level within a point of the true shape.
pub fn max_points_per_metre_of_level(level: i32) -> f64 {
    2f64.powi(level + 1) / (1u64 << 20) as f64
}

/// A "nice" scale bar length (1, 2 or 5 × 10^k metres) not longer than `max_m`.
pub fn nice_length_m(max_m: f64) -> f64 {
    if !(max_m.is_finite() && max_m > 0.0) {
        return 1.0;
    }
    let pow = 10f64.powf(max_m.log10().floor());
    for m in [5.0, 2.0, 1.0] {
        if m * pow <= max_m {
            return m * pow;
        }
    }
    pow
}

/// "500 m" or "2 km".
pub fn format_length(m: f64) -> String {
    if m >= 1000.0 {
        format!("{} km", crate::model::format_float(m / 1000.0))
    } else {
        format!("{} m", crate::model::format_float(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect() -> Rect {
        Rect::from_min_size(pos2(10.0, 20.0), eframe::egui::vec2(800.0, 600.0))
    }

    #[test]
    fn screen_positions_survive_a_round_trip() {
        let view = MapView {
            center: world_from_lonlat(LonLat {
                lon: 112.5,
                lat: 37.8,
            }),
            points_per_metre: 0.01,
        };
        let w = WorldPos {
            x: view.center.x + 1234.5,
            y: view.center.y - 987.25,
        };
        let s = view.screen_from_world(rect(), w);
        let back = view.world_from_screen(rect(), s);
        // f32 screen positions: within a small fraction of a point.
        assert!(
            (back.x - w.x).abs() < 0.1 / view.points_per_metre,
            "{back:?} vs {w:?}"
        );
        assert!((back.y - w.y).abs() < 0.1 / view.points_per_metre);
    }

    #[test]
    fn north_is_up_and_east_is_right() {
        let view = MapView::default();
        let c = view.screen_from_world(rect(), view.center);
        let ne = view.screen_from_world(
            rect(),
            WorldPos {
                x: view.center.x + 1000.0,
                y: view.center.y + 1000.0,
            },
        );
        assert!(ne.x > c.x && ne.y < c.y);
    }

    #[test]
    fn zooming_around_the_cursor_keeps_the_world_point_under_it() {
        let mut view = MapView::default();
        let anchor = pos2(123.0, 456.0);
        let before = view.world_from_screen(rect(), anchor);
        for factor in [1.25, 3.0, 0.5, 0.1] {
            view.zoom_around(rect(), anchor, factor);
            let after = view.world_from_screen(rect(), anchor);
            let tol = 1e-3 / view.points_per_metre;
            assert!(
                (after.x - before.x).abs() < tol,
                "x moved at factor {factor}"
            );
            assert!(
                (after.y - before.y).abs() < tol,
                "y moved at factor {factor}"
            );
        }
    }

    #[test]
    fn lonlat_survives_a_web_mercator_round_trip() {
        for (lon, lat) in [(112.55, 37.87), (-70.0, -33.4), (0.0, 0.0), (179.9, 80.0)] {
            let back = lonlat_from_world(world_from_lonlat(LonLat { lon, lat }));
            assert!((back.lon - lon).abs() < 1e-9 && (back.lat - lat).abs() < 1e-9);
        }
        let w = world_from_lonlat(LonLat {
            lon: 180.0,
            lat: 0.0,
        });
        assert!((w.x - 20_037_508.342_789_244).abs() < 1e-6);
    }

    #[test]
    fn ground_scale_shrinks_with_latitude() {
        let at = |lat: f64| MapView {
            center: world_from_lonlat(LonLat { lon: 0.0, lat }),
            points_per_metre: 1.0,
        };
        assert!((at(0.0).ground_metres_per_point() - 1.0).abs() < 1e-12);
        assert!((at(60.0).ground_metres_per_point() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn fitting_a_box_shows_all_of_it() {
        let mut view = MapView::default();
        let bbox = WorldRect {
            min: WorldPos { x: 1.0e7, y: 4.0e6 },
            max: WorldPos {
                x: 1.01e7,
                y: 4.05e6,
            },
        };
        view.fit(rect(), bbox);
        let vis = view.visible_world_rect(rect());
        assert!(vis.min.x <= bbox.min.x && vis.max.x >= bbox.max.x);
        assert!(vis.min.y <= bbox.min.y && vis.max.y >= bbox.max.y);
    }

    #[test]
    fn scale_bar_lengths_are_round_numbers() {
        assert_eq!(nice_length_m(130.0), 100.0);
        assert_eq!(nice_length_m(260.0), 200.0);
        assert_eq!(nice_length_m(7300.0), 5000.0);
        assert_eq!(format_length(5000.0), "5 km");
        assert_eq!(format_length(200.0), "200 m");
    }

    #[test]
    fn detail_levels_grow_by_one_per_doubling() {
        let mut v = MapView::default();
        let l = v.detail_level();
        v.points_per_metre *= 2.0;
        assert_eq!(v.detail_level(), l + 1);
        assert!(max_points_per_metre_of_level(l + 1) >= v.points_per_metre);
    }
}
