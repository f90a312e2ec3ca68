//! The map canvas: pan by drag, zoom by wheel or pinch around the cursor, filled zones
//! with outlines, sites as symbols, labels at close zoom, scale bar, cursor position,
//! click to identify, selection highlight.
//!
//! Drawing touches only what the R-tree says is in view, using shapes that were
//! simplified and triangulated on a worker for the nearest detail level; a missing
//! level is requested with [`Command::PrepareLevel`] and the nearest ready level is
//! drawn meanwhile. Nothing here reads files or does heavy geometry work.

use eframe::egui::{self, Color32, Mesh, Pos2, Rect, Sense, Shape, Stroke, pos2, vec2};
use geo::{Distance, Euclidean};
use geo_types::{Geometry, Point};

use super::cache::DisplayLayer;
use super::raster::raster_key;
use super::tessellate::LevelShapes;
use super::view::{MapView, WorldPos, WorldRect, format_length, lonlat_from_world, nice_length_m};
use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::{AppState, FeatureRef, MapLayer};

/// Labels are drawn only closer than this many ground metres per screen point.
const LABEL_MAX_METRES_PER_POINT: f64 = 60.0;
/// At most this many labels per frame.
const LABEL_LIMIT: usize = 400;
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
    if let Some(sel) = state.selection {
        draw_selection(&painter, rect, &view, state, sel);
    }
    if view.ground_metres_per_point() < LABEL_MAX_METRES_PER_POINT {
        draw_labels(&painter, rect, &view, state, visible);
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
    d: &DisplayLayer,
    shapes: &LevelShapes,
    visible: WorldRect,
) {
    let placer = Placer::new(rect, view, shapes.origin);
    let fill = l
        .style
        .color
        .gamma_multiply(l.style.opacity.clamp(0.0, 1.0));
    let stroke = Stroke::new(1.2, l.style.color);
    let mut mesh = Mesh::default();
    let mut outlines: Vec<Shape> = Vec::new();
    // With many features in view, outlines go into one plain mesh of segment quads:
    // egui's anti-aliased path tessellation of each ring would cost more than the
    // frame budget at province zoom, and at that scale nobody sees the feathering.
    let slots: Vec<usize> = d.in_rect(visible).collect();
    let mut outline_mesh = (slots.len() > OUTLINE_MESH_ABOVE).then(Mesh::default);
    let min_size_m = 0.5 / view.points_per_metre;
    for slot in slots {
        let (Some(f), Some(s)) = (d.features.get(slot), shapes.features.get(slot)) else {
            continue;
        };
        if f.bbox.width() < min_size_m && f.bbox.height() < min_size_m {
            // Smaller than a point: one dot, so it does not vanish.
            let p = view.screen_from_world(rect, f.bbox.center());
            painter.rect_filled(
                Rect::from_center_size(p, vec2(1.5, 1.5)),
                0.0,
                l.style.color,
            );
            continue;
        }
        if !s.indices.is_empty() {
            let base = mesh.vertices.len() as u32;
            for v in &s.vertices {
                mesh.colored_vertex(placer.place(*v), fill);
            }
            mesh.indices.extend(s.indices.iter().map(|i| base + i));
        }
        for ring in &s.rings {
            if let Some(m) = outline_mesh.as_mut() {
                add_ring_quads(m, &placer, ring, stroke);
                continue;
            }
            let pts: Vec<Pos2> = ring.iter().map(|v| placer.place(*v)).collect();
            outlines.push(Shape::closed_line(pts, stroke));
        }
        for line in &s.lines {
            let pts: Vec<Pos2> = line.iter().map(|v| placer.place(*v)).collect();
            outlines.push(Shape::line(pts, Stroke::new(1.8, l.style.color)));
        }
    }
    if !mesh.is_empty() {
        painter.add(Shape::mesh(mesh));
    }
    if let Some(m) = outline_mesh.filter(|m| !m.is_empty()) {
        painter.add(Shape::mesh(m));
    }
    painter.extend(outlines);
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

/// Sites as symbols: a coloured disc with a white rim, all in one mesh (up to
/// [`POINT_RASTER_THRESHOLD`] of them; a circle shape each would cost egui a path
/// tessellation per site every frame).
fn draw_points(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    l: &MapLayer,
    d: &DisplayLayer,
    visible: WorldRect,
) {
    let color = l.style.color;
    let mut mesh = Mesh::default();
    let clip = rect.expand(SYMBOL_RADIUS + 2.0);
    let dirs: [egui::Vec2; DISC_SIDES] = std::array::from_fn(|i| {
        let a = i as f32 * std::f32::consts::TAU / DISC_SIDES as f32;
        vec2(a.cos(), a.sin())
    });
    for f in d.in_rect(visible).filter_map(|s| d.features.get(s)) {
        for p in &f.points {
            let s = view.screen_from_world(rect, *p);
            if !clip.contains(s) {
                continue;
            }
            add_disc(&mut mesh, &dirs, s, SYMBOL_RADIUS + 1.0, Color32::WHITE);
            add_disc(&mut mesh, &dirs, s, SYMBOL_RADIUS, color);
        }
    }
    if !mesh.is_empty() {
        painter.add(Shape::mesh(mesh));
    }
}

/// Corners of the symbol polygon (a 12-gon looks round at symbol size).
const DISC_SIDES: usize = 12;

/// A filled disc as a triangle fan around `c` (`dirs`: unit vectors to the corners).
fn add_disc(mesh: &mut Mesh, dirs: &[egui::Vec2; DISC_SIDES], c: Pos2, r: f32, color: Color32) {
    let base = mesh.vertices.len() as u32;
    mesh.colored_vertex(c, color);
    for d in dirs {
        mesh.colored_vertex(c + r * *d, color);
    }
    for i in 0..DISC_SIDES as u32 {
        mesh.indices
            .extend([base, base + 1 + i, base + 1 + (i + 1) % DISC_SIDES as u32]);
    }
}

/// Whether more than [`POINT_RASTER_THRESHOLD`] points of visible layers are in view
/// (counting stops at the threshold).
fn too_many_points(state: &AppState, visible: WorldRect) -> bool {
    let mut count = 0usize;
    for l in state.layers.iter().filter(|l| l.style.visible) {
        let Some(d) = &l.display else { continue };
        if d.point_count == 0 {
            continue;
        }
        for slot in d.in_rect(visible) {
            count += d.features.get(slot).map_or(0, |f| f.points.len());
            if count > POINT_RASTER_THRESHOLD {
                return true;
            }
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

fn draw_labels(
    painter: &egui::Painter,
    rect: Rect,
    view: &MapView,
    state: &AppState,
    visible: WorldRect,
) {
    let cols = (rect.width() / LABEL_CELL).ceil() as usize + 1;
    let rows = (rect.height() / LABEL_CELL).ceil() as usize + 1;
    let mut occupied = vec![false; cols * rows];
    let mut placed = 0;
    let font = egui::FontId::proportional(12.0);
    // Zones first (few, and their names matter), then top layer first: earlier labels
    // win the space.
    let mut order: Vec<&MapLayer> = state.layers.iter().collect();
    order.sort_by_key(|l| l.display.as_ref().is_some_and(|d| d.point_count > 0));
    for l in order {
        let (Some(d), Some(field)) = (&l.display, l.label_field) else {
            continue;
        };
        if !l.style.visible {
            continue;
        }
        for slot in d.in_rect(visible) {
            if placed >= LABEL_LIMIT {
                return;
            }
            let Some(f) = d.features.get(slot) else {
                continue;
            };
            let Some(at) = f.label_at else { continue };
            let Some(text) = l
                .layer
                .features
                .get(f.index)
                .and_then(|src| src.attrs.get(field))
            else {
                continue;
            };
            let text = text.to_string();
            if text.trim().is_empty() {
                continue;
            }
            let anchor = view.screen_from_world(rect, at);
            let galley = painter.layout_no_wrap(text, font.clone(), Color32::from_gray(20));
            let offset = if f.points.is_empty() {
                vec2(0.0, 0.0)
            } else {
                vec2(0.0, -SYMBOL_RADIUS - 8.0)
            };
            let r = Rect::from_center_size(anchor + offset, galley.size()).expand(1.0);
            if !rect.contains_rect(r) {
                continue;
            }
            let cells = cells_of(rect, r, cols, rows);
            if cells.iter().any(|c| occupied[*c]) {
                continue;
            }
            for c in cells {
                occupied[c] = true;
            }
            painter.rect_filled(r, 2.0, Color32::from_white_alpha(170));
            painter.galley(r.min + vec2(1.0, 1.0), galley, Color32::from_gray(20));
            placed += 1;
        }
    }
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
