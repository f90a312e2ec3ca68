//! The basemap in the desktop app, driven headless (egui_kittest, no GPU): a saved
//! MBTiles basemap comes back at start, its tiles are drawn under the layers, it can
//! be turned off from the layers panel, and a broken file is reported as a problem.
#![cfg(feature = "gui")]

mod common;

use std::path::Path;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use qingling::gui::app::App;
use qingling::gui::commands::Command;
use qingling::gui::map::basemap::{BasemapSettings, BasemapSource};
use qingling::gui::map::tiles::{TILE_PIXELS, TileId, WORLD_HALF_M, tile_of_lonlat};
use qingling::gui::map::view::{LonLat, MapView, world_from_lonlat};
use qingling::gui::settings::Settings;

fn harness(settings: Settings) -> Harness<'static, App> {
    common::harness(settings, [1200.0, 800.0])
}

/// Step the app until `done` holds (jobs run on real threads), at most 20 s.
fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    done: impl Fn(&Harness<'static, App>) -> bool,
) {
    common::step_until(h, what, Duration::from_secs(20), done);
}

const TAIYUAN: LonLat = LonLat {
    lon: 112.55,
    lat: 37.87,
};

/// A green PNG tile.
fn png_tile() -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(256, 256, image::Rgba([120, 200, 120, 255]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// An MBTiles file with the zoom-10 tiles around Taiyuan (TMS rows, as the format has).
fn write_mbtiles(path: &Path) -> Vec<TileId> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         INSERT INTO metadata VALUES ('format', 'png'), ('minzoom', '10'), ('maxzoom', '10'),
             ('attribution', '© 测试底图');",
    )
    .unwrap();
    let c = tile_of_lonlat(TAIYUAN, 10);
    let png = png_tile();
    let mut tiles = Vec::new();
    for dx in 0..5u32 {
        for dy in 0..5u32 {
            let t = TileId::new(10, c.x + dx - 2, c.y + dy - 2).unwrap();
            conn.execute(
                "INSERT INTO tiles VALUES (10, ?1, ?2, ?3)",
                (t.x, t.tms_y(), &png),
            )
            .unwrap();
            tiles.push(t);
        }
    }
    tiles
}

fn county_view() -> MapView {
    MapView {
        center: world_from_lonlat(TAIYUAN),
        points_per_metre: TILE_PIXELS * 2f64.powi(10) / (2.0 * WORLD_HALF_M),
    }
}

/// Texture ids of everything painted last frame.
fn painted_textures(h: &Harness<'static, App>) -> Vec<eframe::egui::TextureId> {
    h.output()
        .shapes
        .iter()
        .map(|s| s.shape.texture_id())
        .collect()
}

#[test]
fn a_saved_mbtiles_basemap_comes_back_is_drawn_and_can_be_turned_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("底图.mbtiles");
    write_mbtiles(&path);
    let settings = Settings {
        basemap: BasemapSettings {
            source: Some(BasemapSource::MbTiles(path.clone())),
            opacity: 0.8,
        },
        ..Default::default()
    };
    let mut h = harness(settings);
    h.run_steps(2);
    h.state_mut().push_command(Command::SetView(county_view()));
    let centre = tile_of_lonlat(TAIYUAN, 10);
    step_until(&mut h, "the centre tile to be drawn", |h| {
        let Some(tex) = h.state().state.basemap.cache().and_then(|c| c.get(centre)) else {
            return false;
        };
        painted_textures(h).contains(&tex.id())
    });
    let app = &h.state().state;
    assert!(
        app.all_problems().next().is_none(),
        "{:?}",
        app.all_problems().collect::<Vec<_>>()
    );
    assert!(
        h.query_by_label("© 测试底图").is_some(),
        "the credit is shown"
    );

    // Off from the layers panel's list.
    h.get_by_value("底图.mbtiles").click();
    h.run_steps(2);
    h.get_by_label("无（离线）").click();
    h.run_steps(3);
    assert_eq!(h.state().state.settings.basemap.source, None);
    assert!(h.state().state.basemap.cache().is_none());
}

#[test]
fn a_dropped_broken_pmtiles_file_becomes_the_basemap_and_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("坏底图.pmtiles");
    std::fs::write(&path, b"PMTiles\x03 but nothing after the version").unwrap();
    let mut h = harness(Settings::default());
    h.run_steps(2);
    h.state_mut()
        .push_command(Command::LoadFiles(vec![path.clone()]));
    step_until(&mut h, "the basemap problem", |h| {
        h.state().state.all_problems().next().is_some()
    });
    let app = &h.state().state;
    assert!(app.layers.is_empty(), "a basemap is not a layer");
    assert_eq!(
        app.settings.basemap.source,
        Some(BasemapSource::PmTiles(path.clone()))
    );
    let problems: Vec<_> = app.all_problems().collect();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file, path);
    assert!(
        problems[0].message.contains("PMTiles"),
        "{}",
        problems[0].message
    );
    assert!(
        app.status.as_deref().is_some_and(|s| s.contains("底图")),
        "{:?}",
        app.status
    );
}
