//! MBTiles basemaps: an SQLite file with a `tiles(zoom_level, tile_column, tile_row,
//! tile_data)` table in the TMS scheme (row 0 at the south) and an optional
//! `metadata(name, value)` table giving the format, bounds, zoom range and credit.
//! Opened read-only; one connection shared by the fetch workers behind a mutex
//! (a tile read takes microseconds).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{LonLatBounds, MAX_ZOOM, SourceInfo, TileError, TileFormat, TileId, TileSource};

/// An open MBTiles file.
pub struct MbTiles {
    path: PathBuf,
    conn: Mutex<Connection>,
    info: SourceInfo,
}

impl MbTiles {
    /// Open `path` and read its metadata. Vector tiles and files that are not MBTiles
    /// are refused here, with a sentence naming the file.
    pub fn open(path: &Path) -> Result<MbTiles, TileError> {
        std::fs::metadata(path).map_err(|source| TileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let sql = |source| TileError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let has_tiles: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'tiles' AND type IN ('table', 'view')",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if has_tiles == 0 {
            return Err(TileError::NotMbTiles {
                path: path.to_path_buf(),
            });
        }
        let meta = read_metadata(&conn);
        let get = |key: &str| {
            meta.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        if let Some(format) = get("format") {
            match TileFormat::from_name(&format) {
                Some(TileFormat::Vector) => return Err(TileError::VectorTiles { what: name }),
                Some(_) => {}
                None => {
                    return Err(TileError::UnsupportedFormat { what: name, format });
                }
            }
        }
        let zoom = |v: Option<String>| {
            v.and_then(|s| s.parse::<i64>().ok())
                .map(|z| z.clamp(0, i64::from(MAX_ZOOM)) as u8)
        };
        let (mut min_zoom, mut max_zoom) = (zoom(get("minzoom")), zoom(get("maxzoom")));
        if min_zoom.is_none() || max_zoom.is_none() {
            let (lo, hi): (Option<i64>, Option<i64>) = conn
                .query_row(
                    "SELECT min(zoom_level), max(zoom_level) FROM tiles",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(sql)?;
            let clamp = |z: i64| z.clamp(0, i64::from(MAX_ZOOM)) as u8;
            min_zoom = min_zoom.or(lo.map(clamp));
            max_zoom = max_zoom.or(hi.map(clamp));
        }
        let max_zoom = max_zoom.unwrap_or(MAX_ZOOM);
        let min_zoom = min_zoom.unwrap_or(0).min(max_zoom);
        let info = SourceInfo {
            name,
            min_zoom,
            max_zoom,
            bounds: get("bounds").and_then(|b| LonLatBounds::parse(&b)),
            attribution: get("attribution").map(|a| plain_text(&a)),
        };
        Ok(MbTiles {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            info,
        })
    }
}

/// All `metadata` rows; none when the table is missing or unreadable (it is optional).
fn read_metadata(conn: &Connection) -> Vec<(String, String)> {
    let Ok(mut stmt) = conn.prepare("SELECT name, value FROM metadata") else {
        return Vec::new();
    };
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Option<String>>(0)?,
            r.get::<_, Option<String>>(1)?,
        ))
    });
    match rows {
        Ok(rows) => rows
            .filter_map(Result::ok)
            .filter_map(|(k, v)| Some((k?, v?)))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Credit text as plain text: HTML tags dropped, common entities decoded (MBTiles
/// attributions are often links).
pub fn plain_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&copy;", "©")
        .replace("&amp;", "&")
        .replace("&nbsp;", " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl TileSource for MbTiles {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch(&self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let sql = |source| TileError::Sqlite {
            path: self.path.clone(),
            source,
        };
        // A worker that panicked while holding the lock left the connection intact.
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare_cached(
                "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            )
            .map_err(sql)?;
        stmt.query_row((id.z, id.x, id.tms_y()), |r| r.get::<_, Vec<u8>>(0))
            .optional()
            .map_err(sql)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::gui::map::tiles::test_png::solid_png;

    /// Write an MBTiles file with `tiles` given in the XYZ scheme.
    pub fn write_mbtiles(path: &Path, meta: &[(&str, &str)], tiles: &[(TileId, Vec<u8>)]) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
        )
        .unwrap();
        for (k, v) in meta {
            conn.execute("INSERT INTO metadata VALUES (?1, ?2)", (k, v))
                .unwrap();
        }
        for (t, data) in tiles {
            conn.execute(
                "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                (t.z, t.x, t.tms_y(), data),
            )
            .unwrap();
        }
    }

    #[test]
    fn tiles_are_found_by_xyz_address_with_the_tms_row_flipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("太原.mbtiles");
        let red = solid_png(8, [255, 0, 0, 255]);
        let blue = solid_png(8, [0, 0, 255, 255]);
        let north = TileId::new(3, 2, 1).unwrap();
        let south = TileId::new(3, 2, 6).unwrap();
        write_mbtiles(
            &path,
            &[
                ("format", "png"),
                ("minzoom", "2"),
                ("maxzoom", "3"),
                ("bounds", "100,10,130,50"),
                (
                    "attribution",
                    "<a href=\"https://osm.org\">&copy; OpenStreetMap</a> contributors",
                ),
            ],
            &[(north, red.clone()), (south, blue.clone())],
        );
        let m = MbTiles::open(&path).unwrap();
        assert_eq!(m.fetch(north).unwrap(), Some(red.clone()));
        assert_eq!(m.fetch(south).unwrap(), Some(blue));
        // XYZ row 1 is stored as TMS row 6.
        let raw: i64 = Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT tile_row FROM tiles WHERE tile_data = ?1",
                [&red],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(raw, 6);
        assert_eq!(m.fetch(TileId::new(3, 0, 0).unwrap()).unwrap(), None);
        let info = m.info();
        assert_eq!((info.min_zoom, info.max_zoom), (2, 3));
        assert_eq!(info.name, "太原.mbtiles");
        assert_eq!(
            info.attribution.as_deref(),
            Some("© OpenStreetMap contributors")
        );
        assert_eq!(info.bounds.map(|b| b.west), Some(100.0));
    }

    #[test]
    fn the_zoom_range_comes_from_the_tiles_when_metadata_lacks_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bare.mbtiles");
        let png = solid_png(2, [0, 0, 0, 255]);
        write_mbtiles(
            &path,
            &[],
            &[
                (TileId::new(5, 1, 1).unwrap(), png.clone()),
                (TileId::new(9, 1, 1).unwrap(), png),
            ],
        );
        let m = MbTiles::open(&path).unwrap();
        assert_eq!((m.info().min_zoom, m.info().max_zoom), (5, 9));
        assert!(m.info().attribution.is_none());
    }

    #[test]
    fn vector_mbtiles_are_refused_with_a_clear_sentence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roads.mbtiles");
        write_mbtiles(&path, &[("format", "pbf")], &[]);
        let err = MbTiles::open(&path).err().unwrap().to_string();
        assert!(err.contains("roads.mbtiles"), "{err}");
        assert!(err.contains("vector tiles are not supported"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_sqlite_or_has_no_tiles_gives_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.mbtiles");
        std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
        let err = MbTiles::open(&junk).err().unwrap().to_string();
        assert!(err.contains("junk.mbtiles"), "{err}");

        let other = dir.path().join("other.mbtiles");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE x (a)")
            .unwrap();
        assert!(matches!(
            MbTiles::open(&other),
            Err(TileError::NotMbTiles { .. })
        ));

        let missing = dir.path().join("missing.mbtiles");
        assert!(matches!(MbTiles::open(&missing), Err(TileError::Io { .. })));
    }

    #[test]
    fn a_truncated_file_gives_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.mbtiles");
        // Enough tiles to span many pages, so a cut leaves the index pointing nowhere.
        let tiles: Vec<(TileId, Vec<u8>)> = (0..64)
            .map(|i| {
                (
                    TileId::new(6, i, i).unwrap(),
                    solid_png(64, [i as u8 * 3, 100, 50, 255]),
                )
            })
            .collect();
        write_mbtiles(&path, &[("format", "png")], &tiles);
        let len = std::fs::metadata(&path).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len / 3).unwrap();
        drop(f);
        let outcome = MbTiles::open(&path).and_then(|m| {
            (0..64)
                .map(|i| m.fetch(TileId::new(6, i, i).unwrap()))
                .collect::<Result<Vec<_>, _>>()
        });
        let err = outcome.expect_err("a truncated file must not read cleanly");
        assert!(err.to_string().contains("cut.mbtiles"), "{err}");
    }
}
