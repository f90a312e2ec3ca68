//! The map canvas: pan by drag, zoom by wheel or pinch around the cursor, filled zones
//! with outlines, sites as symbols, labels at close zoom, scale bar, cursor position,
//! click to identify, selection highlight.
//!
//! Drawing touches only what the R-tree says is in view, using shapes that were
//! simplified and triangulated on a worker for the nearest detail level; a missing
//! level is requested with [`Command::PrepareLevel`] and the nearest ready level is
//! drawn meanwhile. Layer meshes and label placement are cached per scale and moved
//! while panning; for a new scale or past their margin they are rebuilt on the map's
//! worker ([`super::rebuild`]) while the old ones are drawn scaled to the new view.
//! Nothing here reads files or does heavy geometry work.

use std::sync::Arc;

use eframe::egui::{self, Color32, Mesh, Pos2, Rect, Sense, Shape, Stroke, Vec2, pos2, vec2};
use eframe::epaint::Tessellator;
use geo::{Distance, Euclidean};
use geo_types::{Geometry, Point};

use super::cache::DisplayLayer;
use super::raster::raster_key;
use super::rebuild::{FontSpec, MapWorker, Rebuild};
use super::tessellate::LevelShapes;
use super::view::{MapView, WorldPos, WorldRect, format_length, lonlat_from_world, nice_length_m};
use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::{AppState, FeatureRef, LayerStyle, MapLayer};
use crate::model::Layer;

/// Labels are drawn only closer than this many ground metres per screen point.
const LABEL_MAX_METRES_PER_POINT: f64 = 60.0;
/// At most this many labels on a map's area.
const LABEL_LIMIT: usize = 400;
/// At most this many features are considered for labels each time they are placed.
const LABEL_CANDIDATE_LIMIT: usize = 50_000;
/// Side of a cell of the label occupancy grid, points.
const LABEL_CELL: f32 = 12.0;
/// Click tolerance for identify, points.
const PICK_TOLERANCE: f64 = 5.0;
/// Radius of a site symbol, points.
const SYMBOL_RADIUS: f32 = 3.5;
/// Above this many points in view they are drawn as one pixel each, not symbols.
pub const POINT_RASTER_THRESHOLD: usize = 50_000;

/// The central map widget.
pub fn map_ui(ui: &mut egui::Ui, state: &AppState, cmds: &mut Vec<Command>) {
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_rgb(246, 244, 238));

    // Interaction first, so this frame draws with the new view.
    let mut view = state.view;
    if response.dragged() {
        view.pan(response.drag_delta());
    }
    let hover = response.hover_pos();
    if let Some(anchor) = hover {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let mut factor = zoom as f64;
        if scroll != 0.0 {
            factor *= (scroll as f64 / 200.0).exp();
        }
        if (factor - 1.0).abs() > 1e-6 {
            view.zoom_around(rect, anchor, factor);
        }
    }
    if view != state.view {
        cmds.push(Command::SetView(view));
    }
    // The basemap first, beneath every layer.
    super::basemap::draw_basemap(&painter, rect, &view, state);

    let level = view.detail_level();
    let visible = view.visible_world_rect(rect);
    let raster_mode = too_many_points(state, visible);
    let raster = if raster_mode {
        let size = [
            rect.width().max(1.0) as usize,
            rect.height().max(1.0) as usize,
        ];
        let key = current_raster_key(state);
        let fresh = state
            .point_raster
            .as_ref()
            .is_some_and(|r| r.view == view && r.size == size && r.key == key);
        if !fresh {
            cmds.push(Command::RasterizePoints(view, size));
        }
        state.point_raster.as_ref().filter(|r| r.key == key)
    } else {
        None
    };
    // Bottom of the list first, so the top layer ends up on top.
    for l in state.layers.iter().rev() {
        let Some(d) = &l.display else { continue };
        if !l.style.visible {
            continue;
        }
        if d.has_shapes {
            if state.shapes.is_missing(l.id, level) {
                cmds.push(Command::PrepareLevel(l.id, level));
            }
            if let Some(shapes) = state.shapes.best(l.id, level) {
                draw_shapes(&painter, rect, &view, l, d, shapes, visible);
            }
        }
        if d.point_count > 0 && !raster_mode {
            draw_points(&painter, rect, &view, l, d, visible);
        }
        if let Some(r) = raster
            && let Some((_, texture)) = r.textures.iter().find(|(id, _)| *id == l.id)
        {
            let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
            painter.image(texture.id(), r.screen_rect(rect, &view), uv, Color32::WHITE);
        }
    }
    // A large layer's R-tree is built after it is shown: draw again when it lands.
    if state
        .layers
        .iter()
        .any(|l| l.style.visible && l.display.as_ref().is_some_and(|d| !d.is_indexed()))
    {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }
    if let Some(sel) = state.selection {
        draw_selection(&painter, rect, &view, state, sel);
    }
    if view.ground_metres_per_point() < LABEL_MAX_METRES_PER_POINT {
        draw_labels(&painter, rect, &view, state, visible, raster_mode);
    }
    draw_scale_bar(&painter, rect, &view);
    if let Some(p) = hover {
        let ll = lonlat_from_world(view.world_from_screen(rect, p));
        let lang = state.settings.language;
        let text = format!(
            "{} {:.6}  {} {:.6}",
            lang.tr(Tr::Lon),
            ll.lon,
            lang.tr(Tr::Lat),
            ll.lat
        );
        overlay_text(
            &painter,
            rect.right_bottom() + vec2(-8.0, -8.0),
            egui::Align2::RIGHT_BOTTOM,
            &text,
        );
    }
    if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) {
        painter.rect_filled(rect, 0.0, Color32::from_black_alpha(60));
        overlay_text(
            &painter,
            rect.center(),
            egui::Align2::CENTER_CENTER,
            state.settings.language.tr(Tr::DropHint),
        );
    }

    // Name of the feature under the pointer, when the pointer rests.
    if let Some(p) = hover
        && !response.dragged()
        && ui.input(|i| i.pointer.time_since_last_movement() > 0.3)
        && let Some(fr) = pick(state, &view, rect, p)
        && let Some(text) = hover_text(state, fr)
    {
        response.clone().on_hover_text_at_pointer(text);
    }

    if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        cmds.push(Command::Select(pick(state, &view, rect, p)));
    }
}

/// "layer: label" for the tooltip of a feature.
fn hover_text(state: &AppState, fr: FeatureRef) -> Option<String> {
    let l = state.layer(fr.layer)?;
    let label = l
        .label_field
        .and_then(|i| l.layer.features.get(fr.index)?.attrs.get(i))
        .map(|v| v.to_string())
        .filter(|s| !s.trim().is_empty());
    Some(match label {
        Some(label) => format!("{}：{label}", l.layer.name),
        None => l.layer.name.clone(),
    })
}

fn overlay_text(painter: &egui::Painter, at: Pos2, align: egui::Align2, text: &str) {
    let galley = painter.layout_no_wrap(
        text.to_owned(),
        egui::FontId::proportional(13.0),
        Color32::BLACK,
    );
    let r = align.anchor_size(at, galley.size()).expand(3.0);
    painter.rect_filled(r, 3.0, Color32::from_white_alpha(210));
    painter.galley(r.min + vec2(3.0, 3.0), galley, Color32::BLACK);
}

/// Where a vertex stored relative to `origin` lands on screen.
struct Placer {
    base_x: f64,
    base_y: f64,
    ppm: f64,
}

impl Placer {
    fn new(rect: Rect, view: &MapView, origin: WorldPos) -> Placer {
        let c = rect.center();
        Placer {
            base_x: c.x as f64 + (origin.x - view.center.x) * view.points_per_metre,
            base_y: c.y as f64 - (origin.y - view.center.y) * view.points_per_metre,
            ppm: view.points_per_metre,
        }
    }
    #[inline]
    fn place(&self, v: [f32; 2]) -> Pos2 {
        pos2(
            (self.base_x + v[0] as f64 * self.ppm) as f32,
            (self.base_y - v[1] as f64 * self.ppm) as f32,
        )
    }
}

fn draw_shapes(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    l: &MapLayer,
    d: &Arc<DisplayLayer>,
    shapes: &Arc<LevelShapes>,
    visible: WorldRect,
) {
    // The layer's mesh for this scale is built once over a margin around the view
    // (on the map's worker, unless the layer is small) and then only moved while the
    // map pans: a frame moves the visible tiles.
    let ctx = painter.ctx();
    let key = MeshKey {
        layer: l.id.0,
        shapes: Arc::as_ptr(shapes) as usize,
        points_per_metre: view.points_per_metre.to_bits(),
        pixels_per_point: ctx.pixels_per_point().to_bits(),
        color: l.style.color,
        opacity: l.style.opacity.to_bits(),
        indexed: d.is_indexed(),
    };
    let id = egui::Id::unique(("qingling layer mesh", l.id.0));
    let small = d.features.len() <= BUILD_HERE_UP_TO_FEATURES;
    let (d, shapes, style, at) = (d.clone(), shapes.clone(), l.style, *view);
    let (ppp, options) = (ctx.pixels_per_point(), ctx.tessellation_options(|o| *o));
    paint_layer_mesh(
        painter,
        id,
        key,
        view,
        rect,
        visible,
        small,
        move |covered, area| {
            let mut tessellator = Tessellator::new(ppp, options, [1, 1], Vec::new());
            layer_mesh(
                rect,
                &at,
                style,
                &d,
                &shapes,
                covered,
                area,
                &mut tessellator,
            )
        },
    );
}

/// Layers with at most this many features have their meshes and labels made on the
/// UI thread (quicker than handing them over, and shown in the same frame); larger
/// ones on the map's worker (see [`super::rebuild`]).
const BUILD_HERE_UP_TO_FEATURES: usize = 2_000;

/// What a cached mesh or label layout is built for: the visible world area with the
/// cache margin around it, and that area on screen in the current view.
fn margin_area(view: &MapView, rect: Rect, visible: WorldRect) -> (WorldRect, Rect) {
    let covered = visible.expanded(MESH_MARGIN);
    let area = Rect::from_two_pos(
        view.screen_from_world(rect, covered.min),
        view.screen_from_world(rect, covered.max),
    );
    (covered, area)
}

/// Paints a layer's mesh for this scale: the cached one under `id` if it was built
/// for `key` and covers `visible`, else a new one from `build` (given the covered
/// world and where it is on screen) over the view plus a margin, kept for the next
/// frames. The mesh is made of tiles; a frame moves in place and paints only the
/// tiles that meet the screen, so panning costs a pass over the visible part, not a
/// rebuild and not an allocation.
///
/// A new mesh is built on the map's worker unless `small`: until it arrives, the
/// mesh built for an earlier view is drawn moved and scaled to this one (a zoom step
/// or a jump past the margin never waits for a rebuild), and the worker's result is
/// swapped in only if it was made for the view shown when it lands.
#[allow(clippy::too_many_arguments)]
fn paint_layer_mesh(
    painter: &egui::Painter,
    id: egui::Id,
    key: MeshKey,
    view: &MapView,
    rect: Rect,
    visible: WorldRect,
    small: bool,
    build: impl FnOnce(WorldRect, Rect) -> Vec<MeshTile> + Send + 'static,
) {
    let ctx = painter.ctx();
    let mut slot = ctx
        .data_mut(|m| m.remove_temp::<Rebuild<CachedMesh>>(id))
        .unwrap_or_default();
    let fits = |c: &CachedMesh| c.key == key && c.covered.contains_rect(visible);
    slot.receive(fits);
    if !slot.shown().is_some_and(fits) {
        let (covered, area) = margin_area(view, rect, visible);
        let (anchor, anchor_screen, points_per_metre) =
            (view.center, rect.center(), view.points_per_metre);
        let made = move |tiles| CachedMesh {
            key,
            covered,
            anchor,
            anchor_screen,
            points_per_metre,
            tiles,
        };
        if small {
            slot.set_shown(made(build(covered, area)));
        } else if let Some(delivery) = slot.request() {
            let repaint = ctx.clone();
            MapWorker::of(ctx).submit(Box::new(move |_| {
                delivery.deliver(made(build(covered, area)));
                repaint.request_repaint();
            }));
        }
    }
    if let Some(cached) = slot.shown_mut() {
        let (scale, offset) = placement(
            view,
            rect,
            cached.anchor,
            cached.anchor_screen,
            cached.points_per_metre,
        );
        for tile in &mut cached.tiles {
            if !tile.bounds_at(scale, offset).intersects(rect) {
                continue;
            }
            tile.move_to(scale, offset);
            painter.add(Shape::Mesh(tile.mesh.clone()));
        }
    }
    ctx.data_mut(|m| m.insert_temp(id, slot));
}

/// How to take a point made on screen for another view to where `view` puts it:
/// `p * scale + offset`, for a product built at `points_per_metre` with the world
/// position `anchor` at `anchor_screen`.
fn placement(
    view: &MapView,
    rect: Rect,
    anchor: WorldPos,
    anchor_screen: Pos2,
    points_per_metre: f64,
) -> (f32, Vec2) {
    let scale = (view.points_per_metre / points_per_metre) as f32;
    let offset = view.screen_from_world(rect, anchor).to_vec2() - anchor_screen.to_vec2() * scale;
    (scale, offset)
}

/// `p` placed by [`placement`]'s `scale` and `offset`.
fn placed(p: Pos2, scale: f32, offset: Vec2) -> Pos2 {
    (p.to_vec2() * scale + offset).to_pos2()
}

/// Extra world around the view a layer mesh covers, as a share of the view's size
/// on each side: panning stays within it for a while.
const MESH_MARGIN: f64 = 0.25;
/// Tiles a side of a cached mesh.
const MESH_TILES: usize = 8;
/// Meshes with fewer vertices stay in one piece.
const MESH_TILE_MIN_VERTICES: usize = 20_000;

/// What a cached layer mesh was built for.
#[derive(Clone, Copy, PartialEq)]
struct MeshKey {
    layer: u64,
    /// Identity of the detail level's shapes.
    shapes: usize,
    points_per_metre: u64,
    pixels_per_point: u32,
    color: Color32,
    opacity: u32,
    /// Whether the layer's R-tree was ready (nothing is found in view before).
    indexed: bool,
}

/// A layer's fill, outlines and lines (or symbols) tessellated for one scale, in the
/// screen coordinates of the view it was built in, cut into tiles.
#[derive(Clone)]
struct CachedMesh {
    key: MeshKey,
    covered: WorldRect,
    /// The view centre when built, and where it was on screen.
    anchor: WorldPos,
    anchor_screen: Pos2,
    /// The scale it was built for.
    points_per_metre: f64,
    tiles: Vec<MeshTile>,
}

/// Part of a cached mesh and how its vertices have been moved so far: each is at
/// `built * scale + offset`.
#[derive(Clone)]
struct MeshTile {
    /// Bounds of the vertices as built.
    bounds: Rect,
    scale: f32,
    offset: Vec2,
    mesh: Arc<Mesh>,
}

impl MeshTile {
    /// The bounds of its vertices once placed by `scale` and `offset`.
    fn bounds_at(&self, scale: f32, offset: Vec2) -> Rect {
        Rect::from_min_max(
            placed(self.bounds.min, scale, offset),
            placed(self.bounds.max, scale, offset),
        )
    }

    /// Move its vertices to `built * scale + offset` (a shift while panning, a
    /// scale as well while a mesh built for another scale stands in).
    fn move_to(&mut self, scale: f32, offset: Vec2) {
        if self.scale == scale && self.offset == offset {
            return;
        }
        // Not shared once last frame's shapes are tessellated, so no copy.
        let mesh = Arc::make_mut(&mut self.mesh);
        if self.scale == scale {
            let delta = offset - self.offset;
            for v in &mut mesh.vertices {
                v.pos += delta;
            }
        } else {
            let (ratio, from) = (scale / self.scale, self.offset);
            for v in &mut mesh.vertices {
                v.pos = ((v.pos.to_vec2() - from) * ratio + offset).to_pos2();
            }
        }
        self.scale = scale;
        self.offset = offset;
    }
}

/// Meshes being built, one per cell of a [`MESH_TILES`]² grid over `area` (the
/// covered world on screen).
struct TileGrid {
    area: Rect,
    cell: Vec2,
    parts: Vec<Mesh>,
}

impl TileGrid {
    fn new(area: Rect, texture: egui::TextureId) -> TileGrid {
        let n = MESH_TILES;
        TileGrid {
            area,
            cell: vec2(area.width() / n as f32, area.height() / n as f32),
            parts: (0..n * n).map(|_| Mesh::with_texture(texture)).collect(),
        }
    }

    /// The mesh of the tile `p` falls in (the nearest one if outside).
    fn at(&mut self, p: Pos2) -> &mut Mesh {
        let n = MESH_TILES;
        let index = |v: f32, min: f32, cell: f32| {
            if cell > 0.0 {
                (((v - min) / cell).floor().max(0.0) as usize).min(n - 1)
            } else {
                0
            }
        };
        let col = index(p.x, self.area.min.x, self.cell.x);
        let row = index(p.y, self.area.min.y, self.cell.y);
        &mut self.parts[row * n + col]
    }

    /// The tiles that hold anything, in grid order.
    fn into_tiles(self) -> Vec<MeshTile> {
        self.parts
            .into_iter()
            .filter(|m| !m.is_empty())
            .map(|mesh| MeshTile {
                bounds: mesh.calc_bounds(),
                scale: 1.0,
                offset: Vec2::ZERO,
                mesh: Arc::new(mesh),
            })
            .collect()
    }
}

/// Tiles of a small mesh joined back into one (in order; same texture), as moving
/// and painting a few small pieces costs more than one.
fn merge_small(tiles: Vec<MeshTile>) -> Vec<MeshTile> {
    let total: usize = tiles.iter().map(|t| t.mesh.vertices.len()).sum();
    if total >= MESH_TILE_MIN_VERTICES || tiles.len() < 2 {
        return tiles;
    }
    let mut mesh = Mesh::with_texture(tiles[0].mesh.texture_id);
    for t in &tiles {
        mesh.append_ref(&t.mesh);
    }
    vec![MeshTile {
        bounds: mesh.calc_bounds(),
        scale: 1.0,
        offset: Vec2::ZERO,
        mesh: Arc::new(mesh),
    }]
}

/// Builds the mesh tiles of a layer's shapes over `covered` (`area` on screen): fills
/// from the level's triangles, outlines anti-aliased by egui's tessellator (or plain
/// quads when many features are in view), features smaller than a point as dots.
#[allow(clippy::too_many_arguments)]
fn layer_mesh(
    rect: Rect,
    view: &MapView,
    style: LayerStyle,
    d: &DisplayLayer,
    shapes: &LevelShapes,
    covered: WorldRect,
    area: Rect,
    tessellator: &mut Tessellator,
) -> Vec<MeshTile> {
    let placer = Placer::new(rect, view, shapes.origin);
    let fill = style.color.gamma_multiply(style.opacity.clamp(0.0, 1.0));
    let stroke = Stroke::new(1.2, style.color);
    // Fills and outlines apart, so that every outline lies over every fill.
    let mut fills = TileGrid::new(area, egui::TextureId::default());
    let mut outlines = TileGrid::new(area, egui::TextureId::default());
    // With many features in view, outlines are plain segment quads: egui's
    // anti-aliased path tessellation of each ring would cost more than the frame
    // budget at province zoom, and at that scale nobody sees the feathering.
    let slots: Vec<usize> = d.in_rect(covered).collect();
    let quads = slots.len() > OUTLINE_MESH_ABOVE;
    let min_size_m = 0.5 / view.points_per_metre;
    for slot in slots {
        let (Some(f), Some(s)) = (d.features.get(slot), shapes.features.get(slot)) else {
            continue;
        };
        // A feature goes to the tile of the middle of its box.
        let at = view.screen_from_world(rect, f.bbox.center());
        if f.bbox.width() < min_size_m && f.bbox.height() < min_size_m {
            // Smaller than a point: one dot, so it does not vanish.
            fills
                .at(at)
                .add_colored_rect(Rect::from_center_size(at, vec2(1.5, 1.5)), style.color);
            continue;
        }
        if !s.indices.is_empty() {
            let mesh = fills.at(at);
            let base = mesh.vertices.len() as u32;
            for v in &s.vertices {
                mesh.colored_vertex(placer.place(*v), fill);
            }
            mesh.indices.extend(s.indices.iter().map(|i| base + i));
        }
        let outline = outlines.at(at);
        for ring in &s.rings {
            if quads {
                add_ring_quads(outline, &placer, ring, stroke);
            } else {
                let pts: Vec<Pos2> = ring.iter().map(|v| placer.place(*v)).collect();
                tessellator.tessellate_shape(Shape::closed_line(pts, stroke), outline);
            }
        }
        for line in &s.lines {
            let pts: Vec<Pos2> = line.iter().map(|v| placer.place(*v)).collect();
            tessellator.tessellate_shape(Shape::line(pts, Stroke::new(1.8, style.color)), outline);
        }
    }
    let mut tiles = fills.into_tiles();
    tiles.extend(outlines.into_tiles());
    merge_small(tiles)
}

/// Above this many features in view, outlines are drawn as one mesh of quads.
const OUTLINE_MESH_ABOVE: usize = 2_000;

/// A closed ring's edges as quads of the stroke's width (no joins or feathering).
fn add_ring_quads(mesh: &mut Mesh, placer: &Placer, ring: &[[f32; 2]], stroke: Stroke) {
    let Some(first) = ring.first() else { return };
    let hw = stroke.width / 2.0;
    let mut a = placer.place(*first);
    for v in ring[1..].iter().chain(std::iter::once(first)) {
        let b = placer.place(*v);
        let d = b - a;
        let len = d.length();
        if len > 1e-3 {
            let n = vec2(-d.y, d.x) * (hw / len);
            let base = mesh.vertices.len() as u32;
            for p in [a + n, a - n, b + n, b - n] {
                mesh.colored_vertex(p, stroke.color);
            }
            mesh.indices
                .extend([base, base + 1, base + 2, base + 1, base + 3, base + 2]);
            a = b;
        }
    }
}

/// Sites as symbols: a coloured disc with a white rim, one textured quad each (the
/// symbol image of the layer's colour), all in one mesh that is cached per scale and
/// moved while panning like the zone meshes (up to [`POINT_RASTER_THRESHOLD`] of
/// them in view; beyond that the raster takes over).
fn draw_points(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    l: &MapLayer,
    d: &Arc<DisplayLayer>,
    visible: WorldRect,
) {
    let ctx = painter.ctx();
    let color = l.style.color;
    let texture = symbol_texture(ctx, color);
    let key = MeshKey {
        layer: l.id.0,
        shapes: Arc::as_ptr(d) as usize,
        points_per_metre: view.points_per_metre.to_bits(),
        pixels_per_point: ctx.pixels_per_point().to_bits(),
        color,
        opacity: u32::MAX,
        indexed: d.is_indexed(),
    };
    let id = egui::Id::unique(("qingling point mesh", l.id.0));
    let small = d.features.len() <= BUILD_HERE_UP_TO_FEATURES;
    let (d, texture, at) = (d.clone(), texture.id(), *view);
    paint_layer_mesh(
        painter,
        id,
        key,
        view,
        rect,
        visible,
        small,
        move |covered, area| {
            let mut grid = TileGrid::new(area, texture);
            let uv = Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0));
            let size = vec2(2.0, 2.0) * (SYMBOL_RADIUS + 1.0);
            for f in d.in_rect(covered).filter_map(|s| d.features.get(s)) {
                for p in &f.points {
                    let s = at.screen_from_world(rect, *p);
                    grid.at(s).add_rect_with_uv(
                        Rect::from_center_size(s, size),
                        uv,
                        Color32::WHITE,
                    );
                }
            }
            merge_small(grid.into_tiles())
        },
    );
}

/// The symbol of a site of `color`: an anti-aliased disc of that colour with a white
/// rim, on transparent (made once per colour and context).
fn symbol_texture(ctx: &egui::Context, color: Color32) -> egui::TextureHandle {
    let id = egui::Id::unique(("qingling symbol", color));
    if let Some(t) = ctx.data(|m| m.get_temp::<egui::TextureHandle>(id)) {
        return t;
    }
    let image = symbol_image(color);
    let t = ctx.load_texture("qingling symbol", image, egui::TextureOptions::LINEAR);
    ctx.data_mut(|m| m.insert_temp(id, t.clone()));
    t
}

/// Pixels of [`symbol_texture`]: the rim is one point of a symbol
/// [`SYMBOL_RADIUS`]` + 1` points in radius, with a one-pixel soft edge on each side.
fn symbol_image(color: Color32) -> egui::ColorImage {
    const SIDE: usize = 32;
    let r = SIDE as f32 / 2.0;
    let inner = r * SYMBOL_RADIUS / (SYMBOL_RADIUS + 1.0);
    let [cr, cg, cb, _] = color.to_srgba_unmultiplied();
    let pixels = (0..SIDE * SIDE)
        .map(|i| {
            let (x, y) = ((i % SIDE) as f32 + 0.5 - r, (i / SIDE) as f32 + 0.5 - r);
            let d = (x * x + y * y).sqrt();
            // Coverage by the whole symbol, and share of it that is the coloured disc.
            let a = (r - d).clamp(0.0, 1.0);
            let k = (inner - d + 0.5).clamp(0.0, 1.0);
            let mix = |c: u8| (c as f32 * k + 255.0 * (1.0 - k)).round() as u8;
            Color32::from_rgba_unmultiplied(mix(cr), mix(cg), mix(cb), (a * 255.0).round() as u8)
        })
        .collect();
    egui::ColorImage {
        size: [SIDE, SIDE],
        source_size: vec2(SIDE as f32, SIDE as f32),
        pixels,
    }
}

/// Whether more than [`POINT_RASTER_THRESHOLD`] points of visible layers are in view
/// (counting stops at the threshold).
fn too_many_points(state: &AppState, visible: WorldRect) -> bool {
    let mut count = 0usize;
    for l in state.layers.iter().filter(|l| l.style.visible) {
        let Some(d) = &l.display else { continue };
        count += d.points_in(visible);
        if count > POINT_RASTER_THRESHOLD {
            return true;
        }
    }
    false
}

/// The fingerprint of the point layers a raster must show now.
pub fn current_raster_key(state: &AppState) -> u64 {
    raster_key(
        state
            .layers
            .iter()
            .rev()
            .filter(|l| l.style.visible && l.display.as_ref().is_some_and(|d| d.point_count > 0))
            .map(|l| (l.id.0, l.style.color)),
    )
}

fn draw_selection(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    state: &AppState,
    sel: FeatureRef,
) {
    let Some(l) = state.layer(sel.layer) else {
        return;
    };
    let Some(d) = &l.display else { return };
    let Some(f) = d.features.iter().find(|f| f.index == sel.index) else {
        return;
    };
    let stroke = Stroke::new(3.0, Color32::from_rgb(255, 200, 0));
    let to_screen =
        |c: &geo_types::Coord<f64>| view.screen_from_world(rect, WorldPos { x: c.x, y: c.y });
    let mut polys = Vec::new();
    match &f.geom {
        Geometry::Polygon(p) => polys.push(p),
        Geometry::MultiPolygon(mp) => polys.extend(mp.0.iter()),
        Geometry::LineString(ls) => {
            painter.add(Shape::line(ls.0.iter().map(to_screen).collect(), stroke));
        }
        Geometry::MultiLineString(mls) => {
            for ls in &mls.0 {
                painter.add(Shape::line(ls.0.iter().map(to_screen).collect(), stroke));
            }
        }
        _ => {}
    }
    for p in polys {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            painter.add(Shape::closed_line(
                ring.0.iter().map(to_screen).collect(),
                stroke,
            ));
        }
    }
    for p in &f.points {
        painter.circle_stroke(
            view.screen_from_world(rect, *p),
            SYMBOL_RADIUS + 3.0,
            stroke,
        );
    }
}

/// Labels, placed greedily where they do not overlap. Point layers drawn as a raster
/// (tens of thousands of sites in view) get none: their names would be clutter.
///
/// Placement is done once per scale over the view plus a margin (like the layer
/// meshes; on the map's worker, with its own copy of the fonts, unless few features
/// have labels) and then only moved while the map pans, so labels stay put and a
/// frame only draws them; text that has not been laid out yet is laid out a few
/// dozen labels a frame. Until a new placement arrives the last one is drawn moved
/// to the new view.
fn draw_labels(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    state: &AppState,
    visible: WorldRect,
    raster_mode: bool,
) {
    let ctx = painter.ctx();
    let font = egui::FontId::proportional(LABEL_FONT_SIZE);
    let key = label_key(state, view, ctx.pixels_per_point(), raster_mode);
    let id = egui::Id::unique("qingling labels");
    let mut slot = ctx
        .data_mut(|m| m.remove_temp::<Rebuild<PlacedLabels>>(id))
        .unwrap_or_default();
    let fits = |c: &PlacedLabels| c.key == key && c.covered.contains_rect(visible);
    slot.receive(fits);
    if !slot.shown().is_some_and(fits) {
        let (covered, area) = margin_area(view, rect, visible);
        let sources = label_sources(state, raster_mode);
        let (anchor, anchor_screen, at) = (view.center, rect.center(), *view);
        let made = move |labels| PlacedLabels {
            key,
            covered,
            anchor,
            anchor_screen,
            points_per_metre: at.points_per_metre,
            labels,
        };
        let features: usize = sources.iter().map(|s| s.display.features.len()).sum();
        if features <= BUILD_HERE_UP_TO_FEATURES {
            let labels = ctx.fonts_mut(|fonts| {
                let mut measure = |text: &str| {
                    let width: f32 = text.chars().map(|c| fonts.glyph_width(&font, c)).sum();
                    vec2(width, fonts.row_height(&font))
                };
                place_labels(&sources, &at, rect, area, covered, &mut measure)
            });
            slot.set_shown(made(labels));
        } else if let Some(delivery) = slot.request() {
            let spec = FontSpec::of(ctx, font.clone());
            let repaint = ctx.clone();
            MapWorker::of(ctx).submit(Box::new(move |fonts| {
                let labels = fonts.measure_with(&spec, |measure| {
                    place_labels(&sources, &at, rect, area, covered, measure)
                });
                delivery.deliver(made(labels));
                repaint.request_repaint();
            }));
        }
    }
    let Some(cached) = slot.shown_mut() else {
        ctx.data_mut(|m| m.insert_temp(id, slot));
        return;
    };
    let (scale, offset) = placement(
        view,
        rect,
        cached.anchor,
        cached.anchor_screen,
        cached.points_per_metre,
    );
    let mut new_text = 0;
    let mut waiting = false;
    let text_color = Color32::from_gray(20);
    for label in &mut cached.labels {
        // The box keeps its size; its middle goes where the view puts it.
        let r = Rect::from_center_size(
            placed(label.rect.center(), scale, offset),
            label.rect.size(),
        );
        if !r.intersects(rect) {
            label.shown = false;
            continue;
        }
        if !label.shown {
            // Laying text out is the costly part: a few new labels a frame.
            if new_text >= LABEL_NEW_PER_FRAME {
                waiting = true;
                continue;
            }
            new_text += 1;
            label.shown = true;
        }
        let galley = painter.layout_no_wrap(label.text.clone(), font.clone(), text_color);
        painter.rect_filled(r, 2.0, Color32::from_white_alpha(170));
        painter.galley(r.center() - galley.size() / 2.0, galley, text_color);
    }
    if waiting {
        ctx.request_repaint();
    }
    ctx.data_mut(|m| m.insert_temp(id, slot));
}

/// Font size of map labels, points.
const LABEL_FONT_SIZE: f32 = 12.0;
/// At most this many labels seen for the first time are laid out per frame.
const LABEL_NEW_PER_FRAME: usize = 40;

/// Labels placed for one scale, in the screen coordinates of the view they were
/// placed in.
#[derive(Clone)]
struct PlacedLabels {
    key: u64,
    covered: WorldRect,
    anchor: WorldPos,
    anchor_screen: Pos2,
    /// The scale they were placed for.
    points_per_metre: f64,
    labels: Vec<PlacedLabel>,
}

/// One label: its text and its box (background included) where it was placed.
#[derive(Clone)]
struct PlacedLabel {
    text: String,
    rect: Rect,
    /// Whether it was drawn last frame (its text is then laid out already).
    shown: bool,
}

/// What the label placement depends on: scale, layers, their label fields and
/// visibility, and whether points are a raster.
fn label_key(state: &AppState, view: &MapView, pixels_per_point: f32, raster_mode: bool) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    view.points_per_metre.to_bits().hash(&mut h);
    pixels_per_point.to_bits().hash(&mut h);
    raster_mode.hash(&mut h);
    for l in &state.layers {
        l.id.0.hash(&mut h);
        l.style.visible.hash(&mut h);
        l.label_field.hash(&mut h);
        l.display.as_ref().map(Arc::as_ptr).hash(&mut h);
        l.display.as_ref().map(|d| d.is_indexed()).hash(&mut h);
        Arc::as_ptr(&l.layer).hash(&mut h);
    }
    h.finish()
}

/// A layer whose features get labels, as the placement (on a worker) reads it.
struct LabelSource {
    display: Arc<DisplayLayer>,
    layer: Arc<Layer>,
    /// The attribute shown.
    field: usize,
}

/// The visible layers with a label field, zones first (few, and their names
/// matter), then top layer first; point layers drawn as a raster have none.
fn label_sources(state: &AppState, raster_mode: bool) -> Vec<LabelSource> {
    let mut order: Vec<&MapLayer> = state.layers.iter().collect();
    order.sort_by_key(|l| l.display.as_ref().is_some_and(|d| d.point_count > 0));
    order
        .into_iter()
        .filter(|l| l.style.visible)
        .filter_map(|l| {
            let (d, field) = (l.display.as_ref()?, l.label_field?);
            (!(raster_mode && d.point_count > 0)).then(|| LabelSource {
                display: d.clone(),
                layer: l.layer.clone(),
                field,
            })
        })
        .collect()
}

/// Greedy placement of labels of `sources` over `covered` (on screen: `area`, in
/// `view`), in their order; earlier labels win the space. `measure` gives the size
/// of a text.
fn place_labels(
    sources: &[LabelSource],
    view: &MapView,
    rect: Rect,
    area: Rect,
    covered: WorldRect,
    measure: &mut dyn FnMut(&str) -> egui::Vec2,
) -> Vec<PlacedLabel> {
    let cols = (area.width() / LABEL_CELL).ceil() as usize + 1;
    let rows = (area.height() / LABEL_CELL).ceil() as usize + 1;
    let mut occupied = vec![false; cols * rows];
    // As many labels per screen area as [`LABEL_LIMIT`] allows on the map.
    let share = (area.width() * area.height()) / (rect.width() * rect.height()).max(1.0);
    let limit = (LABEL_LIMIT as f32 * share.max(1.0)) as usize;
    let mut examined = 0;
    let mut out = Vec::new();
    let env = rstar::AABB::from_corners(
        [covered.min.x, covered.min.y],
        [covered.max.x, covered.max.y],
    );
    for src in sources {
        let (d, field) = (&src.display, src.field);
        let Some(tree) = d.tree() else { continue };
        for e in tree.locate_in_envelope_intersecting(&env) {
            if out.len() >= limit || examined >= LABEL_CANDIDATE_LIMIT {
                return out;
            }
            examined += 1;
            // A point's box is the point itself, which is also where its label goes:
            // no need to fetch the feature for most candidates that lose.
            let (lo, hi) = (e.geom().lower(), e.geom().upper());
            let (at, is_point) = if lo == hi {
                (WorldPos { x: lo[0], y: lo[1] }, true)
            } else {
                let Some(f) = d.features.get(e.data) else {
                    continue;
                };
                let Some(at) = f.label_at else { continue };
                (at, !f.points.is_empty())
            };
            let offset = if is_point {
                vec2(0.0, -SYMBOL_RADIUS - 8.0)
            } else {
                vec2(0.0, 0.0)
            };
            // Before any text work: is the middle of the label already covered?
            let centre = view.screen_from_world(rect, at) + offset;
            if !area.contains(centre)
                || occupied[cells_of(
                    area,
                    Rect::from_center_size(centre, vec2(1.0, 1.0)),
                    cols,
                    rows,
                )[0]]
            {
                continue;
            }
            let Some(text) = d
                .features
                .get(e.data)
                .and_then(|f| src.layer.features.get(f.index))
                .and_then(|src| src.attrs.get(field))
                .and_then(|v| v.as_text())
            else {
                continue;
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let r = Rect::from_center_size(centre, measure(text)).expand(1.0);
            if !area.contains_rect(r) {
                continue;
            }
            let cells = cells_of(area, r, cols, rows);
            if cells.iter().any(|c| occupied[*c]) {
                continue;
            }
            for c in cells {
                occupied[c] = true;
            }
            out.push(PlacedLabel {
                text: text.to_owned(),
                rect: r,
                shown: false,
            });
        }
    }
    out
}

/// Indices of the occupancy grid cells `r` covers.
fn cells_of(area: Rect, r: Rect, cols: usize, rows: usize) -> Vec<usize> {
    let c0 = (((r.min.x - area.min.x) / LABEL_CELL).floor().max(0.0) as usize).min(cols - 1);
    let c1 = (((r.max.x - area.min.x) / LABEL_CELL).floor().max(0.0) as usize).min(cols - 1);
    let r0 = (((r.min.y - area.min.y) / LABEL_CELL).floor().max(0.0) as usize).min(rows - 1);
    let r1 = (((r.max.y - area.min.y) / LABEL_CELL).floor().max(0.0) as usize).min(rows - 1);
    let mut out = Vec::new();
    for row in r0..=r1 {
        for col in c0..=c1 {
            out.push(row * cols + col);
        }
    }
    out
}

fn draw_scale_bar(painter: &egui::Painter, rect: Rect, view: &MapView) {
    let mpp = view.ground_metres_per_point();
    if !(mpp.is_finite() && mpp > 0.0) {
        return;
    }
    let len_m = nice_length_m(120.0 * mpp);
    let len_pt = (len_m / mpp) as f32;
    let start = rect.left_bottom() + vec2(14.0, -14.0);
    let end = start + vec2(len_pt, 0.0);
    let bg = Rect::from_min_max(start + vec2(-6.0, -22.0), end + vec2(8.0, 6.0));
    painter.rect_filled(bg, 3.0, Color32::from_white_alpha(200));
    let stroke = Stroke::new(2.0, Color32::BLACK);
    painter.line_segment([start, end], stroke);
    painter.line_segment([start, start + vec2(0.0, -6.0)], stroke);
    painter.line_segment([end, end + vec2(0.0, -6.0)], stroke);
    painter.text(
        start + vec2(len_pt / 2.0, -8.0),
        egui::Align2::CENTER_BOTTOM,
        format_length(len_m),
        egui::FontId::proportional(12.0),
        Color32::BLACK,
    );
}

/// The feature under screen position `p`: top layer first; within a layer the nearest,
/// and among zones containing the point the smallest (level 1 inside level 2).
pub fn pick(state: &AppState, view: &MapView, rect: Rect, p: Pos2) -> Option<FeatureRef> {
    let w = view.world_from_screen(rect, p);
    let tol_m = PICK_TOLERANCE / view.points_per_metre;
    let probe = WorldRect {
        min: WorldPos {
            x: w.x - tol_m,
            y: w.y - tol_m,
        },
        max: WorldPos {
            x: w.x + tol_m,
            y: w.y + tol_m,
        },
    };
    let point = Geometry::Point(Point::new(w.x, w.y));
    for l in &state.layers {
        let Some(d) = &l.display else { continue };
        if !l.style.visible {
            continue;
        }
        let best = d
            .in_rect(probe)
            .filter_map(|slot| d.features.get(slot))
            .filter_map(|f| {
                let dist = Euclidean.distance(&point, &f.geom);
                (dist <= tol_m).then_some((dist, f.bbox.width() * f.bbox.height(), f.index))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        if let Some((_, _, index)) = best {
            return Some(FeatureRef { layer: l.id, index });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tile_grid_files_positions_by_cell_and_clamps_the_outside() {
        let area = Rect::from_min_size(pos2(0.0, 0.0), vec2(800.0, 800.0));
        let mut grid = TileGrid::new(area, egui::TextureId::default());
        for p in [pos2(10.0, 10.0), pos2(790.0, 790.0), pos2(-50.0, 5000.0)] {
            grid.at(p)
                .add_colored_rect(Rect::from_center_size(p, vec2(2.0, 2.0)), Color32::RED);
        }
        let n = MESH_TILES;
        assert_eq!(grid.parts[0].vertices.len(), 4);
        assert_eq!(grid.parts[n * n - 1].vertices.len(), 4);
        // Below-left of the area: the bottom-left tile.
        assert_eq!(grid.parts[(n - 1) * n].vertices.len(), 4);
        let tiles = grid.into_tiles();
        assert_eq!(tiles.len(), 3);
        assert!(tiles[0].bounds.contains(pos2(10.0, 10.0)));
        // Few vertices: painted as one mesh, in the same order.
        let merged = merge_small(tiles);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].mesh.vertices.len(), 12);
        assert_eq!(merged[0].mesh.indices.len(), 18);
    }

    #[test]
    fn a_mesh_built_for_one_view_is_drawn_where_another_view_puts_it() {
        let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(800.0, 600.0));
        let built = MapView {
            center: WorldPos {
                x: 1000.0,
                y: 2000.0,
            },
            points_per_metre: 0.5,
        };
        let w = WorldPos {
            x: 1100.0,
            y: 1900.0,
        };
        let mut mesh = Mesh::default();
        mesh.colored_vertex(built.screen_from_world(rect, w), Color32::RED);
        let mut tile = MeshTile {
            bounds: mesh.calc_bounds(),
            scale: 1.0,
            offset: Vec2::ZERO,
            mesh: Arc::new(mesh),
        };
        let at = |x: f64, y: f64, ppm: f64| MapView {
            center: WorldPos { x, y },
            points_per_metre: ppm,
        };
        // Panned, zoomed in around another point, zoomed out, and back.
        for view in [
            at(1040.0, 1990.0, 0.5),
            at(1080.0, 1950.0, 1.3),
            at(900.0, 2100.0, 0.2),
            built,
        ] {
            let (scale, offset) = placement(
                &view,
                rect,
                built.center,
                rect.center(),
                built.points_per_metre,
            );
            tile.move_to(scale, offset);
            let want = view.screen_from_world(rect, w);
            let got = tile.mesh.vertices[0].pos;
            assert!((got - want).length() < 1e-3, "{got:?} != {want:?}");
            assert!(tile.bounds_at(scale, offset).expand(1e-3).contains(want));
        }
    }

    #[test]
    fn a_site_symbol_is_its_colour_inside_a_white_rim() {
        let image = symbol_image(Color32::from_rgb(200, 0, 0));
        let side = image.size[0];
        let centre = image.pixels[side / 2 * side + side / 2];
        assert_eq!(centre, Color32::from_rgb(200, 0, 0));
        // Just inside the edge on the middle row: the rim.
        let rim = image.pixels[side / 2 * side + 1];
        assert_eq!(rim, Color32::WHITE);
        assert_eq!(image.pixels[0].a(), 0);
    }

    #[test]
    fn label_cells_cover_the_label_and_stay_in_the_grid() {
        let area = Rect::from_min_size(pos2(0.0, 0.0), vec2(120.0, 120.0));
        let cells = cells_of(
            area,
            Rect::from_min_max(pos2(5.0, 5.0), pos2(30.0, 10.0)),
            11,
            11,
        );
        assert_eq!(cells, vec![0, 1, 2]);
        let edge = cells_of(
            area,
            Rect::from_min_max(pos2(-5.0, 115.0), pos2(500.0, 500.0)),
            11,
            11,
        );
        assert!(edge.iter().all(|c| *c < 121));
    }
}
