//! Geometry prepared for drawing: each layer in the display CRS with an R-tree, and
//! per detail level the simplified, triangulated shapes.
//!
//! [`DisplayLayer::build`] runs on the loading worker (projecting every coordinate to
//! lon/lat and then Web Mercator); [`tessellate_level`] runs on a worker when the map
//! reaches a detail level with no shapes yet. The UI thread only looks things up in
//! [`ShapeCache`] and draws what the R-tree says is in view.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use geo::{BoundingRect, InteriorPoint, MapCoords};
use geo_types::{Coord, Geometry};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::tessellate::{LevelShapes, shapes_of};
use super::view::{LonLat, WorldPos, WorldRect, max_points_per_metre_of_level, world_from_lonlat};
use crate::gui::jobs::JobContext;
use crate::gui::state::LayerId;
use crate::model::Layer;

/// An R-tree entry: a feature's bounding box and its slot in [`DisplayLayer::features`].
pub type TreeEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// One feature in the display CRS.
#[derive(Clone, Debug)]
pub struct DisplayFeature {
    /// Index into the source layer's `features`.
    pub index: usize,
    pub geom: Geometry<f64>,
    pub bbox: WorldRect,
    /// Where its label goes (a point inside polygons).
    pub label_at: Option<WorldPos>,
    /// Points (and multipoint members), drawn as symbols.
    pub points: Vec<WorldPos>,
}

/// A layer ready to draw: features in Web Mercator, indexed by bounding box.
#[derive(Debug)]
pub struct DisplayLayer {
    pub features: Vec<DisplayFeature>,
    pub tree: RTree<TreeEntry>,
    pub bbox: Option<WorldRect>,
    /// Offset for `f32` vertex storage (the centre of the data).
    pub origin: WorldPos,
    /// Whether any feature has lines or polygons (which need tessellated shapes).
    pub has_shapes: bool,
    pub point_count: usize,
}

/// Why a feature could not be placed on the map.
#[derive(Clone, Debug, PartialEq)]
pub struct Unplaced {
    pub index: usize,
    pub message: String,
}

impl DisplayLayer {
    /// Project every geometry of `layer` with `to_lonlat` (layer CRS → degrees) and
    /// then to Web Mercator. Features whose coordinates fail to transform or are out
    /// of range are left out and listed in the second value. Returns `None` if the
    /// job was cancelled.
    pub fn build(
        layer: &Layer,
        to_lonlat: &dyn Fn(Coord<f64>) -> Option<LonLat>,
        jc: Option<&JobContext>,
    ) -> Option<(DisplayLayer, Vec<Unplaced>)> {
        let mut features = Vec::new();
        let mut unplaced = Vec::new();
        let n = layer.features.len().max(1);
        for (index, f) in layer.features.iter().enumerate() {
            if index % 1024 == 0
                && let Some(jc) = jc
            {
                if jc.is_cancelled() {
                    return None;
                }
                jc.set_progress(0.5 + 0.5 * index as f32 / n as f32);
            }
            let Some(g) = &f.geometry else { continue };
            let world = g.try_map_coords(|c| -> Result<Coord<f64>, ()> {
                let ll = to_lonlat(c).ok_or(())?;
                if !(ll.lon.is_finite() && ll.lat.is_finite())
                    || ll.lon.abs() > 180.0
                    || ll.lat.abs() > 90.0
                {
                    return Err(());
                }
                let w = world_from_lonlat(ll);
                Ok(Coord { x: w.x, y: w.y })
            });
            let Ok(world) = world else {
                unplaced.push(Unplaced {
                    index,
                    message: "coordinates could not be converted to longitude/latitude".into(),
                });
                continue;
            };
            let Some(r) = world.bounding_rect() else {
                continue;
            };
            let bbox = WorldRect {
                min: WorldPos {
                    x: r.min().x,
                    y: r.min().y,
                },
                max: WorldPos {
                    x: r.max().x,
                    y: r.max().y,
                },
            };
            let points = match &world {
                Geometry::Point(p) => vec![WorldPos { x: p.x(), y: p.y() }],
                Geometry::MultiPoint(mp) => {
                    mp.0.iter()
                        .map(|p| WorldPos { x: p.x(), y: p.y() })
                        .collect()
                }
                _ => Vec::new(),
            };
            let label_at = world
                .interior_point()
                .map(|p| WorldPos { x: p.x(), y: p.y() });
            features.push(DisplayFeature {
                index,
                geom: world,
                bbox,
                label_at,
                points,
            });
        }
        let entries: Vec<TreeEntry> = features
            .iter()
            .enumerate()
            .map(|(slot, f)| {
                GeomWithData::new(
                    Rectangle::from_corners(
                        [f.bbox.min.x, f.bbox.min.y],
                        [f.bbox.max.x, f.bbox.max.y],
                    ),
                    slot,
                )
            })
            .collect();
        let bbox = features.iter().map(|f| f.bbox).reduce(WorldRect::union);
        let origin = bbox
            .map(|b| b.center())
            .unwrap_or(WorldPos { x: 0.0, y: 0.0 });
        let has_shapes = features.iter().any(|f| f.points.is_empty());
        let point_count = features.iter().map(|f| f.points.len()).sum();
        Some((
            DisplayLayer {
                features,
                tree: RTree::bulk_load(entries),
                bbox,
                origin,
                has_shapes,
                point_count,
            },
            unplaced,
        ))
    }

    /// Slots of the features whose bounding box meets `rect`.
    pub fn in_rect(&self, rect: WorldRect) -> impl Iterator<Item = usize> + '_ {
        let env = rstar::AABB::from_corners([rect.min.x, rect.min.y], [rect.max.x, rect.max.y]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
    }
}

/// Simplify and triangulate every feature of `layer` for `level`. `None` if cancelled.
pub fn tessellate_level(
    layer: &DisplayLayer,
    level: i32,
    jc: Option<&JobContext>,
) -> Option<LevelShapes> {
    let tolerance_m = 1.0 / max_points_per_metre_of_level(level);
    let n = layer.features.len().max(1);
    let mut features = Vec::with_capacity(layer.features.len());
    for (i, f) in layer.features.iter().enumerate() {
        if i % 512 == 0
            && let Some(jc) = jc
        {
            if jc.is_cancelled() {
                return None;
            }
            jc.set_progress(i as f32 / n as f32);
        }
        features.push(shapes_of(&f.geom, layer.origin, tolerance_m));
    }
    Some(LevelShapes {
        level,
        origin: layer.origin,
        features,
    })
}

/// How many detail levels are kept per layer.
const LEVELS_KEPT: usize = 4;

/// Tessellated shapes per layer and detail level.
#[derive(Default)]
pub struct ShapeCache {
    levels: HashMap<LayerId, Vec<Arc<LevelShapes>>>,
    pending: HashSet<(LayerId, i32)>,
}

impl ShapeCache {
    /// The shapes to draw `layer` with at `level`: that level if ready, else the
    /// nearest finer one, else the nearest coarser one.
    pub fn best(&self, layer: LayerId, level: i32) -> Option<&Arc<LevelShapes>> {
        let list = self.levels.get(&layer)?;
        list.iter().min_by_key(|s| {
            let d = s.level - level;
            // Prefer exact, then finer (d > 0), then coarser.
            if d >= 0 { 2 * d } else { -2 * d + 1 }
        })
    }

    /// Whether `level` of `layer` is neither ready nor being prepared.
    pub fn is_missing(&self, layer: LayerId, level: i32) -> bool {
        !self.pending.contains(&(layer, level))
            && !self
                .levels
                .get(&layer)
                .is_some_and(|l| l.iter().any(|s| s.level == level))
    }

    /// Whether some level of `layer` is being prepared (one at a time per layer, so
    /// zooming through many levels does not start a job for each).
    pub fn has_pending(&self, layer: LayerId) -> bool {
        self.pending.iter().any(|(l, _)| *l == layer)
    }

    pub fn mark_pending(&mut self, layer: LayerId, level: i32) {
        self.pending.insert((layer, level));
    }

    /// A level finished (or was cancelled: `shapes` is `None`).
    pub fn finish(&mut self, layer: LayerId, level: i32, shapes: Option<LevelShapes>) {
        self.pending.remove(&(layer, level));
        let Some(shapes) = shapes else { return };
        let list = self.levels.entry(layer).or_default();
        list.retain(|s| s.level != level);
        list.push(Arc::new(shapes));
        if list.len() > LEVELS_KEPT {
            // Drop the level farthest from the newest one.
            if let Some((far, _)) = list
                .iter()
                .enumerate()
                .max_by_key(|(_, s)| (s.level - level).abs())
            {
                list.remove(far);
            }
        }
    }

    /// Forget a layer (removed or read again).
    pub fn remove_layer(&mut self, layer: LayerId) {
        self.levels.remove(&layer);
        self.pending.retain(|(l, _)| *l != layer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CrsInfo, CrsSource, Feature, GeometryKind, SourceFormat};
    use geo_types::{Point, polygon};
    use std::path::PathBuf;

    fn layer(geoms: Vec<Option<Geometry<f64>>>) -> Layer {
        Layer {
            name: "t".into(),
            source: PathBuf::from("t.geojson"),
            format: SourceFormat::GeoJson,
            geometry_kind: GeometryKind::Mixed,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: vec![],
            features: geoms
                .into_iter()
                .enumerate()
                .map(|(i, geometry)| Feature {
                    fid: i as u64,
                    geometry,
                    attrs: vec![],
                })
                .collect(),
            problems: vec![],
        }
    }

    fn degrees(c: Coord<f64>) -> Option<LonLat> {
        Some(LonLat { lon: c.x, lat: c.y })
    }

    #[test]
    fn features_outside_degree_range_are_reported_not_drawn() {
        let l = layer(vec![
            Some(Point::new(112.5, 37.8).into()),
            Some(Point::new(500_000.0, 4_000_000.0).into()),
            None,
        ]);
        let (d, unplaced) = DisplayLayer::build(&l, &degrees, None).unwrap();
        assert_eq!(d.features.len(), 1);
        assert_eq!(d.features[0].index, 0);
        assert_eq!(unplaced.len(), 1);
        assert_eq!(unplaced[0].index, 1);
        assert_eq!(d.point_count, 1);
        assert!(!d.has_shapes);
    }

    #[test]
    fn the_rtree_finds_exactly_the_features_in_view() {
        let sq = |x: f64| -> Option<Geometry<f64>> {
            Some(polygon![(x: x, y: 37.0), (x: x + 0.1, y: 37.0), (x: x + 0.1, y: 37.1), (x: x, y: 37.1)].into())
        };
        let l = layer(vec![sq(110.0), sq(111.0), sq(112.0)]);
        let (d, _) = DisplayLayer::build(&l, &degrees, None).unwrap();
        let a = world_from_lonlat(LonLat {
            lon: 110.95,
            lat: 36.9,
        });
        let b = world_from_lonlat(LonLat {
            lon: 112.05,
            lat: 37.2,
        });
        let mut hits: Vec<usize> = d
            .in_rect(WorldRect { min: a, max: b })
            .map(|s| d.features[s].index)
            .collect();
        hits.sort();
        // Brute force agrees.
        let brute: Vec<usize> = d
            .features
            .iter()
            .filter(|f| {
                f.bbox.max.x >= a.x
                    && f.bbox.min.x <= b.x
                    && f.bbox.max.y >= a.y
                    && f.bbox.min.y <= b.y
            })
            .map(|f| f.index)
            .collect();
        assert_eq!(hits, vec![1, 2]);
        assert_eq!(hits, brute);
        assert!(d.has_shapes);
    }

    #[test]
    fn the_cache_prefers_the_exact_then_the_finer_level() {
        let mut c = ShapeCache::default();
        let id = LayerId(1);
        assert!(c.is_missing(id, 5));
        c.mark_pending(id, 5);
        assert!(!c.is_missing(id, 5));
        assert!(c.has_pending(id));
        for level in [3, 5, 7] {
            c.finish(
                id,
                level,
                Some(LevelShapes {
                    level,
                    ..Default::default()
                }),
            );
        }
        assert_eq!(c.best(id, 5).unwrap().level, 5);
        assert_eq!(c.best(id, 6).unwrap().level, 7);
        assert_eq!(c.best(id, 10).unwrap().level, 7);
        for level in [8, 9] {
            c.finish(
                id,
                level,
                Some(LevelShapes {
                    level,
                    ..Default::default()
                }),
            );
        }
        // Only four kept; the one farthest from the newest (3) went.
        assert!(c.is_missing(id, 3));
        c.remove_layer(id);
        assert!(c.best(id, 5).is_none());
    }
}
