//! Geometry prepared for drawing: each layer in the display CRS with an R-tree, and
//! per detail level the simplified, triangulated shapes.
//!
//! [`DisplayLayer::build`] runs on the loading worker (projecting every coordinate to
//! lon/lat and then Web Mercator); [`tessellate_level`] runs on a worker when the map
//! reaches a detail level with no shapes yet. The UI thread only looks things up in
//! [`ShapeCache`] and draws what the R-tree says is in view.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use geo::{BoundingRect, MapCoords};
use geo_types::{Coord, Geometry};
use rayon::iter::Either;
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use super::tessellate::{FeatureShapes, LevelShapes, shapes_of};
use super::view::{LonLat, WorldPos, WorldRect, max_points_per_metre_of_level, world_from_lonlat};
use crate::crs::grid::GridTransform;
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
    /// See [`DisplayLayer::tree`].
    tree: Arc<OnceLock<RTree<TreeEntry>>>,
    pub bbox: Option<WorldRect>,
    /// Offset for `f32` vertex storage (the centre of the data).
    pub origin: WorldPos,
    /// Whether any feature has lines or polygons (which need tessellated shapes).
    pub has_shapes: bool,
    pub point_count: usize,
    /// Every point of every feature in one flat array (feature order), for the
    /// point raster: one pass over memory instead of an R-tree walk and a pointer
    /// chase per site.
    pub all_points: Vec<WorldPos>,
    /// Point counts on a coarse grid over the layer, to estimate quickly how many
    /// points a view holds.
    point_grid: PointGrid,
}

/// Point counts per cell of a grid over the layer's extent.
#[derive(Debug, Default)]
struct PointGrid {
    min: WorldPos,
    cell: f64,
    cols: usize,
    rows: usize,
    counts: Vec<u32>,
}

/// Cells a side of [`PointGrid`].
const POINT_GRID_CELLS: usize = 128;

impl PointGrid {
    fn new(points: &[WorldPos], bbox: Option<WorldRect>) -> PointGrid {
        let Some(b) = bbox.filter(|_| !points.is_empty()) else {
            return PointGrid::default();
        };
        let cell = (b.width().max(b.height()) / POINT_GRID_CELLS as f64).max(1e-6);
        let cols = ((b.width() / cell) as usize + 1).min(POINT_GRID_CELLS + 1);
        let rows = ((b.height() / cell) as usize + 1).min(POINT_GRID_CELLS + 1);
        let mut counts = vec![0u32; cols * rows];
        for p in points {
            let c = (((p.x - b.min.x) / cell) as usize).min(cols - 1);
            let r = (((p.y - b.min.y) / cell) as usize).min(rows - 1);
            counts[r * cols + c] += 1;
        }
        PointGrid {
            min: b.min,
            cell,
            cols,
            rows,
            counts,
        }
    }

    /// About how many points lie in `rect`: whole cells inside count fully, cells
    /// on its edge by the share of their area inside.
    fn estimate(&self, rect: WorldRect) -> usize {
        if self.counts.is_empty() {
            return 0;
        }
        let span = |lo: f64, hi: f64, origin: f64, n: usize| {
            let a = ((lo - origin) / self.cell).floor().max(0.0);
            let b = ((hi - origin) / self.cell).floor().min(n as f64 - 1.0);
            (a as usize, b as isize)
        };
        let (c0, c1) = span(rect.min.x, rect.max.x, self.min.x, self.cols);
        let (r0, r1) = span(rect.min.y, rect.max.y, self.min.y, self.rows);
        let mut total = 0.0;
        for r in r0 as isize..=r1 {
            let y0 = self.min.y + r as f64 * self.cell;
            let fy =
                ((rect.max.y.min(y0 + self.cell) - rect.min.y.max(y0)) / self.cell).clamp(0.0, 1.0);
            for c in c0 as isize..=c1 {
                let x0 = self.min.x + c as f64 * self.cell;
                let fx = ((rect.max.x.min(x0 + self.cell) - rect.min.x.max(x0)) / self.cell)
                    .clamp(0.0, 1.0);
                total += self.counts[r as usize * self.cols + c as usize] as f64 * fx * fy;
            }
        }
        total.round() as usize
    }
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
        to_lonlat: &(dyn Fn(Coord<f64>) -> Option<LonLat> + Sync),
        jc: Option<&JobContext>,
    ) -> Option<(DisplayLayer, Vec<Unplaced>)> {
        // Exact projection (about a microsecond a vertex for Gauss-Kruger) would
        // dominate opening a large layer: vertices are placed through a grid sampled
        // over the layer's extent instead, exact to a centimetre (cells that cannot
        // be are projected exactly).
        let exact = |c: Coord<f64>| -> Option<Coord<f64>> {
            let ll = to_lonlat(c)?;
            if !(ll.lon.is_finite() && ll.lat.is_finite())
                || ll.lon.abs() > 180.0
                || ll.lat.abs() > 90.0
            {
                return None;
            }
            let w = world_from_lonlat(ll);
            Some(Coord { x: w.x, y: w.y })
        };
        let (min, max) = source_extent(layer);
        let grid = GridTransform::new(&exact, min, max, GRID_CELLS, GRID_TOLERANCE_M);
        let to_world = |c: Coord<f64>| grid.apply(c);
        // Features are projected in parallel; results keep the source order, so the
        // output is deterministic.
        let n = layer.features.len().max(1);
        let done = AtomicUsize::new(0);
        let cancelled = AtomicBool::new(false);
        let (features, unplaced): (Vec<DisplayFeature>, Vec<Unplaced>) = layer
            .features
            .par_iter()
            .enumerate()
            .with_min_len(256)
            .filter_map(|(index, f)| {
                if index % 1024 == 0
                    && let Some(jc) = jc
                {
                    if jc.is_cancelled() {
                        cancelled.store(true, Ordering::Relaxed);
                    }
                    let k = done.fetch_add(1024, Ordering::Relaxed);
                    jc.set_progress(0.5 + 0.5 * k as f32 / n as f32);
                }
                if cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                display_feature(index, f.geometry.as_ref()?, &to_world)
            })
            .partition_map(|p| match p {
                Ok(f) => Either::Left(f),
                Err(u) => Either::Right(u),
            });
        if cancelled.load(Ordering::Relaxed) {
            return None;
        }
        let entries: Vec<TreeEntry> = features
            .par_iter()
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
        let bbox = features
            .par_iter()
            .map(|f| f.bbox)
            .reduce_with(WorldRect::union);
        let origin = bbox
            .map(|b| b.center())
            .unwrap_or(WorldPos { x: 0.0, y: 0.0 });
        let has_shapes = features.par_iter().any(|f| f.points.is_empty());
        let all_points: Vec<WorldPos> = features
            .par_iter()
            .flat_map_iter(|f| f.points.iter().copied())
            .collect();
        let point_count = all_points.len();
        let point_grid = PointGrid::new(&all_points, bbox);
        let tree = Arc::new(OnceLock::new());
        build_index(entries, &tree);
        Some((
            DisplayLayer {
                features,
                tree,
                bbox,
                origin,
                has_shapes,
                point_count,
                all_points,
                point_grid,
            },
            unplaced,
        ))
    }

    /// The R-tree over the features' boxes, once built (large layers build it on a
    /// thread of its own after loading, so the first map need not wait for it).
    pub fn tree(&self) -> Option<&RTree<TreeEntry>> {
        self.tree.get()
    }

    /// Whether the R-tree is ready: until then [`DisplayLayer::in_rect`] finds
    /// nothing.
    pub fn is_indexed(&self) -> bool {
        self.tree.get().is_some()
    }

    /// About how many points of the layer lie in `rect` (from a coarse grid of counts;
    /// exact when `rect` holds the whole layer).
    pub fn points_in(&self, rect: WorldRect) -> usize {
        match self.bbox {
            _ if self.point_count == 0 => 0,
            Some(b) if rect.contains_rect(b) => self.point_count,
            _ => self.point_grid.estimate(rect),
        }
    }

    /// Slots of the features whose bounding box meets `rect`.
    pub fn in_rect(&self, rect: WorldRect) -> impl Iterator<Item = usize> + '_ {
        let env = rstar::AABB::from_corners([rect.min.x, rect.min.y], [rect.max.x, rect.max.y]);
        self.tree
            .get()
            .into_iter()
            .flat_map(move |t| t.locate_in_envelope_intersecting(&env))
            .map(|e| e.data)
    }
}

/// Layers with more features than this build their R-tree in the background.
const INDEX_IN_BACKGROUND_ABOVE: usize = 100_000;

/// Bulk-load the R-tree into `cell`: at once for small layers, else on a thread of
/// its own (at once as well if no thread can be started).
fn build_index(entries: Vec<TreeEntry>, cell: &Arc<OnceLock<RTree<TreeEntry>>>) {
    if entries.len() <= INDEX_IN_BACKGROUND_ABOVE {
        let _ = cell.set(RTree::bulk_load(entries));
        return;
    }
    let target = cell.clone();
    // The entries come back if the thread cannot be started.
    let (tx, rx) = std::sync::mpsc::channel::<Vec<TreeEntry>>();
    let started = std::thread::Builder::new()
        .name("qingling map index".into())
        .spawn(move || {
            if let Ok(entries) = rx.recv() {
                let _ = target.set(RTree::bulk_load(entries));
            }
        });
    match started {
        Ok(_) => {
            if let Err(back) = tx.send(entries) {
                let _ = cell.set(RTree::bulk_load(back.0));
            }
        }
        Err(_) => {
            let _ = cell.set(RTree::bulk_load(entries));
        }
    }
}

/// Cells a side of the display reprojection grid.
const GRID_CELLS: usize = 128;
/// Largest error the grid may make, Web Mercator metres.
const GRID_TOLERANCE_M: f64 = 0.01;

/// Bounding box of every finite coordinate of the layer, in its own CRS.
fn source_extent(layer: &Layer) -> (Coord<f64>, Coord<f64>) {
    let empty = (
        Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    );
    let union = |a: (Coord<f64>, Coord<f64>), b: (Coord<f64>, Coord<f64>)| {
        (
            Coord {
                x: a.0.x.min(b.0.x),
                y: a.0.y.min(b.0.y),
            },
            Coord {
                x: a.1.x.max(b.1.x),
                y: a.1.y.max(b.1.y),
            },
        )
    };
    layer
        .features
        .par_iter()
        .filter_map(|f| f.geometry.as_ref()?.bounding_rect())
        .map(|r| (r.min(), r.max()))
        .filter(|(lo, hi)| {
            lo.x.is_finite() && lo.y.is_finite() && hi.x.is_finite() && hi.y.is_finite()
        })
        .reduce(|| empty, union)
}

/// One geometry in the display CRS: `None` if it has no extent, `Err` if a coordinate
/// does not convert to a valid longitude/latitude.
fn display_feature(
    index: usize,
    g: &Geometry<f64>,
    to_world: &(dyn Fn(Coord<f64>) -> Option<Coord<f64>> + Sync),
) -> Option<Result<DisplayFeature, Unplaced>> {
    let world = g.try_map_coords(|c| to_world(c).ok_or(()));
    let Ok(world) = world else {
        return Some(Err(Unplaced {
            index,
            message: "coordinates could not be converted to longitude/latitude".into(),
        }));
    };
    let r = world.bounding_rect()?;
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
    let label_at = label_point(&world).map(|p| WorldPos { x: p.x, y: p.y });
    Some(Ok(DisplayFeature {
        index,
        geom: world,
        bbox,
        label_at,
        points,
    }))
}

/// Where a feature's label goes: a point, the middle vertex of a line, and for areas
/// the middle of the widest stretch of the largest part along the horizontal line
/// through its centre (always inside, even for U-shapes and rings with holes; one
/// pass over the edges, where geo's `interior_point` costs many times more).
fn label_point(g: &Geometry<f64>) -> Option<Coord<f64>> {
    let polygon_label = |p: &geo_types::Polygon<f64>| -> Option<Coord<f64>> {
        let r = p.exterior().bounding_rect()?;
        let y = (r.min().y + r.max().y) / 2.0;
        let mut xs: Vec<f64> = Vec::new();
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for w in ring.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                if (a.y > y) != (b.y > y) {
                    xs.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                }
            }
        }
        xs.sort_unstable_by(f64::total_cmp);
        xs.chunks_exact(2)
            .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
            .map(|s| Coord {
                x: (s[0] + s[1]) / 2.0,
                y,
            })
            .or_else(|| p.exterior().0.first().copied())
    };
    let area = |p: &&geo_types::Polygon<f64>| {
        p.exterior()
            .bounding_rect()
            .map_or(0.0, |r| r.width() * r.height())
    };
    match g {
        Geometry::Point(p) => Some(p.0),
        Geometry::MultiPoint(mp) => mp.0.first().map(|p| p.0),
        Geometry::LineString(l) => l.0.get(l.0.len() / 2).copied(),
        Geometry::MultiLineString(ml) => {
            let longest = ml.0.iter().max_by_key(|l| l.0.len())?;
            longest.0.get(longest.0.len() / 2).copied()
        }
        Geometry::Polygon(p) => polygon_label(p),
        Geometry::MultiPolygon(mp) => {
            polygon_label(mp.0.iter().max_by(|a, b| area(a).total_cmp(&area(b)))?)
        }
        Geometry::Rect(r) => Some(r.center()),
        Geometry::Triangle(t) => polygon_label(&t.to_polygon()),
        Geometry::Line(l) => Some((l.start + l.end) / 2.0),
        Geometry::GeometryCollection(c) => c.0.first().and_then(label_point),
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
    let done = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let features: Vec<FeatureShapes> = layer
        .features
        .par_iter()
        .enumerate()
        .with_min_len(64)
        .map(|(i, f)| {
            if i % 512 == 0
                && let Some(jc) = jc
            {
                if jc.is_cancelled() {
                    cancelled.store(true, Ordering::Relaxed);
                }
                let k = done.fetch_add(512, Ordering::Relaxed);
                jc.set_progress(k as f32 / n as f32);
            }
            if cancelled.load(Ordering::Relaxed) {
                return FeatureShapes::default();
            }
            shapes_of(&f.geom, layer.origin, tolerance_m)
        })
        .collect();
    if cancelled.load(Ordering::Relaxed) {
        return None;
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
            deferred: None,
        }
    }

    #[test]
    fn point_counts_in_a_view_are_estimated_from_the_grid() {
        // 100 × 100 points on a 1 m lattice.
        let pts: Vec<WorldPos> = (0..10_000)
            .map(|i| WorldPos {
                x: (i % 100) as f64 + 0.5,
                y: (i / 100) as f64 + 0.5,
            })
            .collect();
        let all = WorldRect {
            min: WorldPos { x: 0.0, y: 0.0 },
            max: WorldPos { x: 100.0, y: 100.0 },
        };
        let grid = PointGrid::new(&pts, Some(all));
        assert_eq!(grid.estimate(all), 10_000);
        let left_half = WorldRect {
            min: WorldPos { x: -5.0, y: -5.0 },
            max: WorldPos { x: 50.0, y: 105.0 },
        };
        let n = grid.estimate(left_half);
        assert!((4_900..=5_100).contains(&n), "{n}");
        let corner = WorldRect {
            min: WorldPos { x: 90.0, y: 90.0 },
            max: WorldPos { x: 300.0, y: 300.0 },
        };
        let n = grid.estimate(corner);
        assert!((95..=105).contains(&n), "{n}");
        let outside = WorldRect {
            min: WorldPos { x: 200.0, y: 200.0 },
            max: WorldPos { x: 300.0, y: 300.0 },
        };
        assert_eq!(grid.estimate(outside), 0);
    }

    #[test]
    fn labels_of_u_shapes_and_rings_with_holes_fall_inside() {
        use geo::{Contains, polygon};
        // A U: the bbox centre (5, 5) is in the notch, outside.
        let u = polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 7.0, y: 10.0),
            (x: 7.0, y: 3.0), (x: 3.0, y: 3.0), (x: 3.0, y: 10.0), (x: 0.0, y: 10.0),
        ];
        let at = label_point(&Geometry::Polygon(u.clone())).unwrap();
        assert!(u.contains(&geo_types::Point(at)), "{at:?}");
        // A square with a big hole in the middle.
        let holed = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 9.0, y: 2.0), (x: 9.0, y: 8.0), (x: 2.0, y: 8.0)]],
        );
        let at = label_point(&Geometry::Polygon(holed.clone())).unwrap();
        assert!(holed.contains(&geo_types::Point(at)), "{at:?}");
        assert_eq!(at, Coord { x: 1.0, y: 5.0 });
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
