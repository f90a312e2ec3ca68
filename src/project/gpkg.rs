//! OGC GeoPackage 1.3 primitives: the core tables, spatial reference systems,
//! feature tables and the GeoPackage binary geometry encoding (header + ISO WKB).
//!
//! Both the review project ([`super::Project`]) and the findings export
//! (`export::gpkg`) write through these functions, so every file qingling writes
//! opens in QGIS and `ogrinfo` as a plain GeoPackage.
//!
//! Feature tables get the GeoPackage R-tree spatial index extension
//! ([`create_spatial_index`]). Its triggers call `ST_MinX`-style SQL functions, which
//! GDAL/QGIS register on their connections and qingling registers on its own with
//! [`register_spatial_functions`]; every connection that writes feature tables must
//! call it first.

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon, Rect,
};
use rusqlite::{Connection, OptionalExtension, params};

/// `PRAGMA application_id` of a GeoPackage: the bytes `GPKG`.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of a GeoPackage 1.3.0 file.
pub const USER_VERSION: i32 = 10300;
/// The name of the geometry column in every feature table qingling writes.
pub const GEOMETRY_COLUMN: &str = "geom";
/// The name of the integer primary key column of every feature table.
pub const FID_COLUMN: &str = "fid";

/// Deepest nesting of geometry collections the decoder accepts (guards the stack).
const MAX_DEPTH: usize = 16;

/// What can go wrong in GeoPackage primitives.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// A geometry blob is not valid GeoPackage binary / WKB.
    #[error("invalid GeoPackage geometry: {0}")]
    BadGeometry(String),
    /// The blob is a valid encoding of an empty point, which has no geo-types form.
    #[error("empty point geometry")]
    EmptyPoint,
    /// A table name that qingling refuses to create (only `[A-Za-z0-9_]`, not `gpkg_`/`rtree_`).
    #[error("invalid table name \"{0}\": use letters, digits and underscores only")]
    BadTableName(String),
    /// A geometry type name outside GeoPackage Annex E.
    #[error("invalid geometry type name \"{0}\"")]
    BadGeometryType(String),
    /// A feature table was created with an SRS that is not registered.
    #[error("spatial reference system {0} is not registered in gpkg_spatial_ref_sys")]
    UnknownSrs(i32),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The SQL column types of GeoPackage attribute columns (spec table 2.1.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlType {
    Integer,
    Real,
    Text,
    Boolean,
    Date,
    DateTime,
    Blob,
}

impl SqlType {
    /// The type name written in `CREATE TABLE`.
    pub fn sql(self) -> &'static str {
        match self {
            SqlType::Integer => "INTEGER",
            SqlType::Real => "REAL",
            SqlType::Text => "TEXT",
            SqlType::Boolean => "BOOLEAN",
            SqlType::Date => "DATE",
            SqlType::DateTime => "DATETIME",
            SqlType::Blob => "BLOB",
        }
    }
}

/// Quote an SQL identifier (`"` doubled). Identifiers cannot be bound as
/// parameters, so every column name that came from a user's file goes through this.
pub fn quote_ident(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| *c != '\0').collect();
    format!("\"{}\"", cleaned.replace('"', "\"\""))
}

/// True if `name` is a table name qingling creates: `[A-Za-z0-9_]+`, starting with a
/// letter, and not in the namespaces GeoPackage reserves.
pub fn is_safe_table_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !lower.starts_with("gpkg_")
        && !lower.starts_with("rtree_")
        && !lower.starts_with("sqlite_")
}

/// Now as RFC 3339 UTC with milliseconds, e.g. `2026-11-29T14:30:05.123Z`.
pub fn now_rfc3339() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339_from_unix_millis(since.as_millis() as i64)
}

/// Milliseconds since 1970 as RFC 3339 UTC (proleptic Gregorian calendar).
pub fn rfc3339_from_unix_millis(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod / 60) % 60,
        sod % 60
    )
}

// ---------------------------------------------------------------------------
// Core tables and spatial reference systems
// ---------------------------------------------------------------------------

/// Make an empty SQLite database a GeoPackage 1.3: application id, user version,
/// the core tables and the three SRS rows the spec requires (4326, -1, 0).
pub fn init_geopackage(conn: &Connection) -> Result<(), GpkgError> {
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    conn.pragma_update(None, "user_version", USER_VERSION)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL PRIMARY KEY,
            organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL,
            description TEXT
        );
        CREATE TABLE IF NOT EXISTS gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY,
            data_type TEXT NOT NULL,
            identifier TEXT UNIQUE,
            description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
            srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
        );
        CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
            table_name TEXT NOT NULL,
            column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL,
            z TINYINT NOT NULL,
            m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT uk_gc_table_name UNIQUE (table_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
        );",
    )?;
    let required: [(&str, i32, &str, i32, String, &str); 3] = [
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            srs_wkt(4326).unwrap_or_else(|| "undefined".into()),
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
        ),
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined".into(),
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined".into(),
            "undefined geographic coordinate reference system",
        ),
    ];
    for (name, id, org, org_id, def, desc) in required {
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys
             (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![name, id, org, org_id, def, desc],
        )?;
    }
    Ok(())
}

/// Whether `srs_id` is registered in `gpkg_spatial_ref_sys`.
pub fn srs_exists(conn: &Connection, srs_id: i32) -> Result<bool, GpkgError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Register an EPSG code as `srs_id = code`. The definition is qingling's WKT when
/// [`srs_wkt`] knows the code, otherwise `undefined` with organization `EPSG`, which
/// GDAL resolves from its own EPSG database.
pub fn ensure_epsg_srs(conn: &Connection, epsg: i32, name: &str) -> Result<i32, GpkgError> {
    if srs_exists(conn, epsg)? {
        return Ok(epsg);
    }
    let (srs_name, definition) = match u32::try_from(epsg).ok().and_then(srs_name_wkt) {
        Some((n, wkt)) => (n, wkt),
        None => (name.to_string(), "undefined".to_string()),
    };
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys
         (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
         VALUES (?1, ?2, 'EPSG', ?2, ?3, ?4)",
        params![srs_name, epsg, definition, format!("EPSG:{epsg}")],
    )?;
    Ok(epsg)
}

/// First srs_id of the range qingling uses for CRSs that have no EPSG code.
pub const CUSTOM_SRS_BASE: i32 = 990_000;

/// Register a CRS without EPSG code, identified by its proj string. The same proj
/// string always gets the same id. The definition column stays `undefined` (it must
/// hold WKT, which qingling cannot produce from a proj string); the proj string is in
/// `description` so a person can still see what the coordinates are.
pub fn ensure_custom_srs(conn: &Connection, name: &str, proj4: &str) -> Result<i32, GpkgError> {
    let description = format!("proj4: {proj4}");
    if let Some(id) = conn
        .query_row(
            "SELECT srs_id FROM gpkg_spatial_ref_sys
             WHERE organization = 'QINGLING' AND description = ?1",
            [&description],
            |r| r.get::<_, i32>(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    let next: i32 = conn.query_row(
        "SELECT COALESCE(MAX(srs_id) + 1, ?1) FROM gpkg_spatial_ref_sys WHERE srs_id >= ?1",
        [CUSTOM_SRS_BASE],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys
         (srs_name, srs_id, organization, organization_coordsys_id, definition, description)
         VALUES (?1, ?2, 'QINGLING', ?2, 'undefined', ?3)",
        params![name, next, description],
    )?;
    Ok(next)
}

/// WKT (OGC 01-009, the GeoPackage `definition` form) for the CRSs qingling meets
/// most: WGS 84 (4326), CGCS2000 (4490) and the CGCS2000 Gauss-Kruger families
/// 4491–4554 (6° and 3°, zone-prefixed or by central meridian). `None` otherwise.
pub fn srs_wkt(epsg: u32) -> Option<String> {
    srs_name_wkt(epsg).map(|(_, wkt)| wkt)
}

fn cgcs2000_geogcs() -> String {
    "GEOGCS[\"China Geodetic Coordinate System 2000\",DATUM[\"China_2000\",\
     SPHEROID[\"CGCS2000\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"1024\"]],\
     AUTHORITY[\"EPSG\",\"1043\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],\
     UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
     AUTHORITY[\"EPSG\",\"4490\"]]"
        .to_string()
}

/// Name and WKT of the CRSs listed at [`srs_wkt`].
fn srs_name_wkt(epsg: u32) -> Option<(String, String)> {
    match epsg {
        4326 => Some((
            "WGS 84".into(),
            "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,\
             AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],\
             PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],\
             UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],\
             AUTHORITY[\"EPSG\",\"4326\"]]"
                .into(),
        )),
        4490 => Some((
            "China Geodetic Coordinate System 2000".into(),
            cgcs2000_geogcs(),
        )),
        4491..=4554 => {
            let (name, cm, false_easting) = cgcs2000_gk_parameters(epsg)?;
            let wkt = format!(
                "PROJCS[\"{name}\",{geog},PROJECTION[\"Transverse_Mercator\"],\
                 PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",{cm}],\
                 PARAMETER[\"scale_factor\",1],PARAMETER[\"false_easting\",{false_easting}],\
                 PARAMETER[\"false_northing\",0],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],\
                 AUTHORITY[\"EPSG\",\"{epsg}\"]]",
                geog = cgcs2000_geogcs()
            );
            Some((name, wkt))
        }
        _ => None,
    }
}

/// Name, central meridian and false easting of the CGCS2000 Gauss-Kruger codes
/// 4491–4554 (the families are listed in DOMAIN.md).
fn cgcs2000_gk_parameters(epsg: u32) -> Option<(String, u32, u64)> {
    match epsg {
        4491..=4501 => {
            let zone = epsg - 4491 + 13;
            Some((
                format!("CGCS2000 / Gauss-Kruger zone {zone}"),
                zone * 6 - 3,
                u64::from(zone) * 1_000_000 + 500_000,
            ))
        }
        4502..=4512 => {
            let cm = 75 + 6 * (epsg - 4502);
            Some((format!("CGCS2000 / Gauss-Kruger CM {cm}E"), cm, 500_000))
        }
        4513..=4533 => {
            let zone = epsg - 4513 + 25;
            Some((
                format!("CGCS2000 / 3-degree Gauss-Kruger zone {zone}"),
                zone * 3,
                u64::from(zone) * 1_000_000 + 500_000,
            ))
        }
        4534..=4554 => {
            let cm = 75 + 3 * (epsg - 4534);
            Some((
                format!("CGCS2000 / 3-degree Gauss-Kruger CM {cm}E"),
                cm,
                500_000,
            ))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Feature tables
// ---------------------------------------------------------------------------

/// Geometry type names of GeoPackage Annex E that qingling writes.
const GEOMETRY_TYPE_NAMES: [&str; 8] = [
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// The GeoPackage geometry type name of one geometry value.
pub fn geometry_type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::Line(_) | Geometry::LineString(_) => "LINESTRING",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "POLYGON",
        Geometry::MultiPoint(_) => "MULTIPOINT",
        Geometry::MultiLineString(_) => "MULTILINESTRING",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
        Geometry::GeometryCollection(_) => "GEOMETRYCOLLECTION",
    }
}

/// Create a feature table `table` (`fid INTEGER PRIMARY KEY`, `geom <geometry_type>`,
/// then `columns`, quoted as given) and register it in `gpkg_contents` (data type
/// `features`, identifier = table name until [`set_contents_identifier`]) and
/// `gpkg_geometry_columns`. The SRS must be registered first.
pub fn create_feature_table(
    tx: &rusqlite::Transaction,
    table: &str,
    geometry_type: &str,
    srs_id: i32,
    columns: &[(String, SqlType)],
) -> Result<(), GpkgError> {
    if !is_safe_table_name(table) {
        return Err(GpkgError::BadTableName(table.to_string()));
    }
    let geometry_type = geometry_type.to_ascii_uppercase();
    if !GEOMETRY_TYPE_NAMES.contains(&geometry_type.as_str()) {
        return Err(GpkgError::BadGeometryType(geometry_type));
    }
    if !srs_exists(tx, srs_id)? {
        return Err(GpkgError::UnknownSrs(srs_id));
    }
    let mut ddl = format!(
        "CREATE TABLE {} ({FID_COLUMN} INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \
         {GEOMETRY_COLUMN} {geometry_type}",
        quote_ident(table)
    );
    for (name, ty) in columns {
        ddl.push_str(", ");
        ddl.push_str(&quote_ident(name));
        ddl.push(' ');
        ddl.push_str(ty.sql());
    }
    ddl.push(')');
    tx.execute_batch(&ddl)?;
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
         VALUES (?1, 'features', ?1, '', ?2, ?3)",
        params![table, now_rfc3339(), srs_id],
    )?;
    tx.execute(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
         VALUES (?1, ?2, ?3, ?4, 0, 0)",
        params![table, GEOMETRY_COLUMN, geometry_type, srs_id],
    )?;
    Ok(())
}

/// Register a non-spatial table in `gpkg_contents` as `attributes`, so QGIS lists it.
pub fn register_attributes_table(
    conn: &Connection,
    table: &str,
    identifier: &str,
    description: &str,
) -> Result<(), GpkgError> {
    conn.execute(
        "INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, last_change)
         VALUES (?1, 'attributes', ?2, ?3, ?4)",
        params![table, identifier, description, now_rfc3339()],
    )?;
    Ok(())
}

/// Set the human-readable identifier and description of a `gpkg_contents` row. The
/// identifier must be unique in the file: when taken, ` (table)` is appended.
pub fn set_contents_identifier(
    conn: &Connection,
    table: &str,
    identifier: &str,
    description: &str,
) -> Result<(), GpkgError> {
    let taken = conn
        .query_row(
            "SELECT 1 FROM gpkg_contents WHERE identifier = ?1 AND table_name <> ?2",
            params![identifier, table],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let identifier = if taken {
        format!("{identifier} ({table})")
    } else {
        identifier.to_string()
    };
    conn.execute(
        "UPDATE gpkg_contents SET identifier = ?1, description = ?2 WHERE table_name = ?3",
        params![identifier, description, table],
    )?;
    Ok(())
}

/// Store a table's bounding box (`None`: no geometry) and touch `last_change`.
pub fn update_contents_extent(
    conn: &Connection,
    table: &str,
    extent: Option<Rect<f64>>,
) -> Result<(), GpkgError> {
    let (a, b, c, d) = match extent {
        Some(r) => (
            Some(r.min().x),
            Some(r.min().y),
            Some(r.max().x),
            Some(r.max().y),
        ),
        None => (None, None, None, None),
    };
    conn.execute(
        "UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4, last_change = ?5
         WHERE table_name = ?6",
        params![a, b, c, d, now_rfc3339(), table],
    )?;
    Ok(())
}

/// Grow an optional extent by a geometry's envelope (NaN coordinates are ignored).
pub fn extend_extent(acc: Option<Rect<f64>>, g: &Geometry<f64>) -> Option<Rect<f64>> {
    let mut env = Envelope::default();
    env.add_geometry(g);
    let r = env.rect()?;
    Some(match acc {
        None => r,
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(r.min().x),
                y: a.min().y.min(r.min().y),
            },
            Coord {
                x: a.max().x.max(r.max().x),
                y: a.max().y.max(r.max().y),
            },
        ),
    })
}

// ---------------------------------------------------------------------------
// R-tree spatial index
// ---------------------------------------------------------------------------

/// Envelope `[min_x, max_x, min_y, max_y]` of a GeoPackage geometry blob: from the
/// header when it carries one, else computed from the WKB. `None` for empty or
/// undecodable geometries.
pub fn blob_envelope(blob: &[u8]) -> Option<[f64; 4]> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return None;
    }
    let flags = blob[3];
    if flags & 0b1_0000 != 0 {
        return None;
    }
    if (flags >> 1) & 0b111 != 0 && blob.len() >= 40 {
        let little = flags & 1 == 1;
        let mut v = [0f64; 4];
        for (i, slot) in v.iter_mut().enumerate() {
            let mut a = [0u8; 8];
            a.copy_from_slice(&blob[8 + 8 * i..16 + 8 * i]);
            *slot = if little {
                f64::from_le_bytes(a)
            } else {
                f64::from_be_bytes(a)
            };
        }
        if v.iter().all(|x| !x.is_nan()) {
            return Some(v);
        }
    }
    let g = decode_gpkg_geometry(blob).ok()?;
    let mut env = Envelope::default();
    env.add_geometry(&g);
    env.any
        .then_some([env.min_x, env.max_x, env.min_y, env.max_y])
}

/// Register `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` (the
/// functions the R-tree triggers call) on a connection. They return NULL for
/// values that are not decodable geometry blobs, so such rows are not indexed.
pub fn register_spatial_functions(conn: &Connection) -> Result<(), GpkgError> {
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    // Innocuous: project files are opened with an untrusted schema, and the R-tree
    // triggers stored in them must still be allowed to call these.
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    for (name, i) in [
        ("ST_MinX", 0),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Blob(b) => blob_envelope(b).map(|e| e[i]),
                _ => None,
            })
        })?;
    }
    conn.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Blob(b) if b.len() >= 8 && &b[0..2] == b"GP" => {
                Some(blob_envelope(b).is_none())
            }
            _ => None,
        })
    })?;
    Ok(())
}

/// The R-tree table name of a feature table.
pub fn rtree_table(table: &str) -> String {
    format!("rtree_{table}_{GEOMETRY_COLUMN}")
}

/// Add the GeoPackage R-tree spatial index (extension `gpkg_rtree_index`) to a
/// feature table: the virtual table, filled from the existing rows, the triggers
/// of GeoPackage 1.3 that keep it current, and the `gpkg_extensions` row. Needs
/// [`register_spatial_functions`] on the connection.
pub fn create_spatial_index(conn: &Connection, table: &str) -> Result<(), GpkgError> {
    if !is_safe_table_name(table) {
        return Err(GpkgError::BadTableName(table.to_string()));
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (
            table_name TEXT,
            column_name TEXT,
            extension_name TEXT NOT NULL,
            definition TEXT NOT NULL,
            scope TEXT NOT NULL,
            CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
        );",
    )?;
    let t = quote_ident(table);
    let r = quote_ident(&rtree_table(table));
    let c = GEOMETRY_COLUMN;
    let i = FID_COLUMN;
    let trig = |suffix: &str| quote_ident(&format!("{}_{suffix}", rtree_table(table)));
    let values = format!(
        "VALUES (NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}))"
    );
    let sql = format!(
        "CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy);
        INSERT OR REPLACE INTO {r} (id, minx, maxx, miny, maxy)
            SELECT {i}, ST_MinX({c}), ST_MaxX({c}), ST_MinY({c}), ST_MaxY({c}) FROM {t}
            WHERE {c} NOT NULL AND NOT ST_IsEmpty({c});
        CREATE TRIGGER {insert} AFTER INSERT ON {t}
            WHEN (NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN INSERT OR REPLACE INTO {r} {values}; END;
        CREATE TRIGGER {update1} AFTER UPDATE OF {c} ON {t}
            WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN INSERT OR REPLACE INTO {r} {values}; END;
        CREATE TRIGGER {update2} AFTER UPDATE OF {c} ON {t}
            WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;
        CREATE TRIGGER {update3} AFTER UPDATE ON {t}
            WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM {r} WHERE id = OLD.{i}; INSERT OR REPLACE INTO {r} {values}; END;
        CREATE TRIGGER {update4} AFTER UPDATE ON {t}
            WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END;
        CREATE TRIGGER {delete} AFTER DELETE ON {t}
            WHEN OLD.{c} NOT NULL
            BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END;",
        insert = trig("insert"),
        update1 = trig("update1"),
        update2 = trig("update2"),
        update3 = trig("update3"),
        update4 = trig("update4"),
        delete = trig("delete"),
    );
    conn.execute_batch(&sql)?;
    conn.execute(
        "INSERT OR REPLACE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
         VALUES (?1, ?2, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        params![table, GEOMETRY_COLUMN],
    )?;
    Ok(())
}

/// Whether the database has a table of this name.
pub fn has_table(conn: &Connection, table: &str) -> rusqlite::Result<bool> {
    let found = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |_| Ok(()),
        )
        .optional()?;
    Ok(found.is_some())
}

/// Remove a feature table's R-tree index and its `gpkg_extensions` row (the
/// triggers go with the feature table itself, or are dropped here).
pub fn drop_spatial_index(conn: &Connection, table: &str) -> Result<(), GpkgError> {
    if !is_safe_table_name(table) {
        return Err(GpkgError::BadTableName(table.to_string()));
    }
    let rt = rtree_table(table);
    for suffix in [
        "insert", "update1", "update2", "update3", "update4", "delete",
    ] {
        conn.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS {}",
            quote_ident(&format!("{rt}_{suffix}"))
        ))?;
    }
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote_ident(&rt)))?;
    if has_table(conn, "gpkg_extensions")? {
        conn.execute(
            "DELETE FROM gpkg_extensions WHERE table_name = ?1 AND extension_name = 'gpkg_rtree_index'",
            [table],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Geometry encoding
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Envelope {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
    any: bool,
}

impl Envelope {
    fn add(&mut self, c: Coord<f64>) {
        if c.x.is_nan() || c.y.is_nan() {
            return;
        }
        if self.any {
            self.min_x = self.min_x.min(c.x);
            self.min_y = self.min_y.min(c.y);
            self.max_x = self.max_x.max(c.x);
            self.max_y = self.max_y.max(c.y);
        } else {
            (self.min_x, self.max_x, self.min_y, self.max_y) = (c.x, c.x, c.y, c.y);
            self.any = true;
        }
    }

    fn add_geometry(&mut self, g: &Geometry<f64>) {
        use geo::CoordsIter;
        for c in g.coords_iter() {
            self.add(c);
        }
    }

    fn rect(&self) -> Option<Rect<f64>> {
        self.any.then(|| {
            Rect::new(
                Coord {
                    x: self.min_x,
                    y: self.min_y,
                },
                Coord {
                    x: self.max_x,
                    y: self.max_y,
                },
            )
        })
    }
}

/// Encode a geometry as a GeoPackage binary blob: `GP`, version 0, flags
/// (little-endian, xy envelope, or the empty bit with no envelope), `srs_id`, the
/// envelope, then ISO WKB (little-endian, 2-D). `Line`, `Rect` and `Triangle` are
/// written as LineString / Polygon.
pub fn encode_gpkg_geometry(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut env = Envelope::default();
    env.add_geometry(g);
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    if env.any {
        out.push(0b0000_0011); // little-endian, envelope type 1 (xy)
        out.extend_from_slice(&srs_id.to_le_bytes());
        for v in [env.min_x, env.max_x, env.min_y, env.max_y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        out.push(0b0001_0001); // little-endian, empty, no envelope
        out.extend_from_slice(&srs_id.to_le_bytes());
    }
    write_wkb(&mut out, g);
    out
}

/// Encode a geometry as ISO WKB (little-endian, 2-D).
pub fn encode_wkb(g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::new();
    write_wkb(&mut out, g);
    out
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

fn put_header(out: &mut Vec<u8>, ty: u32) {
    out.push(1);
    put_u32(out, ty);
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    put_u32(out, u32::try_from(n).unwrap_or(u32::MAX));
}

fn put_line_body(out: &mut Vec<u8>, ls: &LineString<f64>) {
    put_len(out, ls.0.len());
    for c in &ls.0 {
        put_coord(out, *c);
    }
}

fn put_polygon_body(out: &mut Vec<u8>, p: &Polygon<f64>) {
    if p.exterior().0.is_empty() && p.interiors().is_empty() {
        put_u32(out, 0);
        return;
    }
    put_len(out, 1 + p.interiors().len());
    put_line_body(out, p.exterior());
    for r in p.interiors() {
        put_line_body(out, r);
    }
}

fn write_wkb(out: &mut Vec<u8>, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            put_header(out, 1);
            put_coord(out, p.0);
        }
        Geometry::Line(l) => {
            put_header(out, 2);
            put_u32(out, 2);
            put_coord(out, l.start);
            put_coord(out, l.end);
        }
        Geometry::LineString(ls) => {
            put_header(out, 2);
            put_line_body(out, ls);
        }
        Geometry::Polygon(p) => {
            put_header(out, 3);
            put_polygon_body(out, p);
        }
        Geometry::Rect(r) => write_wkb(out, &Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => write_wkb(out, &Geometry::Polygon(t.to_polygon())),
        Geometry::MultiPoint(mp) => {
            put_header(out, 4);
            put_len(out, mp.0.len());
            for p in &mp.0 {
                put_header(out, 1);
                put_coord(out, p.0);
            }
        }
        Geometry::MultiLineString(ml) => {
            put_header(out, 5);
            put_len(out, ml.0.len());
            for ls in &ml.0 {
                put_header(out, 2);
                put_line_body(out, ls);
            }
        }
        Geometry::MultiPolygon(mp) => {
            put_header(out, 6);
            put_len(out, mp.0.len());
            for p in &mp.0 {
                put_header(out, 3);
                put_polygon_body(out, p);
            }
        }
        Geometry::GeometryCollection(gc) => {
            put_header(out, 7);
            put_len(out, gc.0.len());
            for member in &gc.0 {
                write_wkb(out, member);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Geometry decoding
// ---------------------------------------------------------------------------

fn bad(msg: impl Into<String>) -> GpkgError {
    GpkgError::BadGeometry(msg.into())
}

/// Decode a GeoPackage binary geometry blob. Accepts either byte order in header
/// and WKB, every envelope type, ISO Z/M/ZM codes (extra ordinates are dropped) and
/// the extended-WKB Z/M/SRID flags. Never panics: garbage gives an error.
pub fn decode_gpkg_geometry(blob: &[u8]) -> Result<Geometry<f64>, GpkgError> {
    if blob.len() < 8 {
        return Err(bad(format!(
            "{} bytes is too short for a header",
            blob.len()
        )));
    }
    if &blob[0..2] != b"GP" {
        return Err(bad("missing \"GP\" magic"));
    }
    if blob[2] != 0 {
        return Err(bad(format!("unsupported version {}", blob[2])));
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err(bad("extended GeoPackage geometry is not supported"));
    }
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(bad(format!("invalid envelope type {other}"))),
    };
    let start = 8 + envelope_len;
    if blob.len() < start {
        return Err(bad("blob ends inside the envelope"));
    }
    decode_wkb(&blob[start..])
}

/// Decode ISO WKB (see [`decode_gpkg_geometry`] for what is accepted).
pub fn decode_wkb(wkb: &[u8]) -> Result<Geometry<f64>, GpkgError> {
    let mut r = WkbReader { buf: wkb, pos: 0 };
    let g = r.geometry(0)?;
    match g {
        Some(g) => Ok(g),
        None => Err(GpkgError::EmptyPoint),
    }
}

struct WkbReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

#[derive(Clone, Copy)]
struct Dims {
    little: bool,
    /// Number of f64 per coordinate (2, 3 or 4).
    ordinates: usize,
}

impl WkbReader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], GpkgError> {
        if self.remaining() < n {
            return Err(bad(format!("WKB ends early at byte {}", self.pos)));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, GpkgError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self, little: bool) -> Result<u32, GpkgError> {
        let b = self.take(4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Ok(if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, GpkgError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(if little {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }

    /// A coordinate; `None` for NaN, NaN (how WKB writes the empty point). Other
    /// non-finite values are refused: NaN in a ring breaks ring closing, envelopes
    /// and the spatial index.
    fn coord_or_empty(&mut self, d: Dims) -> Result<Option<Coord<f64>>, GpkgError> {
        let at = self.pos;
        let x = self.f64(d.little)?;
        let y = self.f64(d.little)?;
        for _ in 2..d.ordinates {
            self.f64(d.little)?;
        }
        if x.is_nan() && y.is_nan() {
            return Ok(None);
        }
        if !(x.is_finite() && y.is_finite()) {
            return Err(bad(format!(
                "coordinate ({x}, {y}) at byte {at} is not a finite number"
            )));
        }
        Ok(Some(Coord { x, y }))
    }

    fn coord(&mut self, d: Dims) -> Result<Coord<f64>, GpkgError> {
        let at = self.pos;
        self.coord_or_empty(d)?.ok_or_else(|| {
            bad(format!(
                "empty (NaN) coordinate at byte {at} in a line or ring"
            ))
        })
    }

    /// A count followed by items of at least `min_item` bytes each: reject counts the
    /// remaining bytes cannot hold before allocating.
    fn count(&mut self, little: bool, min_item: usize) -> Result<usize, GpkgError> {
        let n = self.u32(little)? as usize;
        if n > self.remaining() / min_item.max(1) {
            return Err(bad(format!(
                "count {n} at byte {} exceeds the remaining {} bytes",
                self.pos,
                self.remaining()
            )));
        }
        Ok(n)
    }

    fn header(&mut self) -> Result<(u32, Dims), GpkgError> {
        let little = match self.u8()? {
            0 => false,
            1 => true,
            other => return Err(bad(format!("invalid WKB byte order {other}"))),
        };
        let raw = self.u32(little)?;
        let mut z = raw & 0x8000_0000 != 0;
        let mut m = raw & 0x4000_0000 != 0;
        if raw & 0x2000_0000 != 0 {
            self.u32(little)?; // EWKB SRID
        }
        let code = raw & 0x0FFF_FFFF;
        let base = code % 1000;
        match code / 1000 {
            0 => {}
            1 => z = true,
            2 => m = true,
            3 => {
                z = true;
                m = true;
            }
            _ => return Err(bad(format!("invalid WKB geometry type {raw}"))),
        }
        let ordinates = 2 + usize::from(z) + usize::from(m);
        Ok((base, Dims { little, ordinates }))
    }

    fn line_body(&mut self, d: Dims) -> Result<LineString<f64>, GpkgError> {
        let n = self.count(d.little, 8 * d.ordinates)?;
        let mut pts = Vec::with_capacity(n);
        for _ in 0..n {
            pts.push(self.coord(d)?);
        }
        Ok(LineString(pts))
    }

    fn polygon_body(&mut self, d: Dims) -> Result<Polygon<f64>, GpkgError> {
        let n = self.count(d.little, 4)?;
        if n == 0 {
            return Ok(Polygon::new(LineString(Vec::new()), Vec::new()));
        }
        let exterior = self.line_body(d)?;
        let mut interiors = Vec::with_capacity(n - 1);
        for _ in 1..n {
            interiors.push(self.line_body(d)?);
        }
        Ok(Polygon::new(exterior, interiors))
    }

    /// A member of a multi geometry: a full WKB geometry of the expected base type.
    fn member(&mut self, expected: u32) -> Result<Dims, GpkgError> {
        let (ty, d) = self.header()?;
        if ty != expected {
            return Err(bad(format!(
                "member of type {ty} where type {expected} was expected"
            )));
        }
        Ok(d)
    }

    /// `Ok(None)` is the empty point (NaN coordinates).
    fn geometry(&mut self, depth: usize) -> Result<Option<Geometry<f64>>, GpkgError> {
        if depth > MAX_DEPTH {
            return Err(bad("geometry collections nested too deeply"));
        }
        let (ty, d) = self.header()?;
        let g = match ty {
            1 => match self.coord_or_empty(d)? {
                Some(c) => Geometry::Point(Point(c)),
                None => return Ok(None),
            },
            2 => Geometry::LineString(self.line_body(d)?),
            3 => Geometry::Polygon(self.polygon_body(d)?),
            4 => {
                let n = self.count(d.little, 5 + 16)?;
                let mut pts = Vec::with_capacity(n);
                for _ in 0..n {
                    let md = self.member(1)?;
                    let c = self.coord_or_empty(md)?.ok_or(GpkgError::EmptyPoint)?;
                    pts.push(Point(c));
                }
                Geometry::MultiPoint(MultiPoint(pts))
            }
            5 => {
                let n = self.count(d.little, 9)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let md = self.member(2)?;
                    parts.push(self.line_body(md)?);
                }
                Geometry::MultiLineString(MultiLineString(parts))
            }
            6 => {
                let n = self.count(d.little, 9)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let md = self.member(3)?;
                    parts.push(self.polygon_body(md)?);
                }
                Geometry::MultiPolygon(MultiPolygon(parts))
            }
            7 => {
                let n = self.count(d.little, 5)?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    if let Some(g) = self.geometry(depth + 1)? {
                        members.push(g);
                    }
                }
                Geometry::GeometryCollection(GeometryCollection(members))
            }
            other => return Err(bad(format!("unsupported WKB geometry type {other}"))),
        };
        Ok(Some(g))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{coord, line_string, point, polygon};

    fn round_trip(g: Geometry<f64>) {
        let blob = encode_gpkg_geometry(&g, 4546);
        assert_eq!(&blob[0..2], b"GP");
        assert_eq!(
            i32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]),
            4546
        );
        assert_eq!(decode_gpkg_geometry(&blob).unwrap(), g);
    }

    fn polygon_with_hole() -> Polygon<f64> {
        polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 4.0, y: 2.0), (x: 4.0, y: 4.0)]],
        )
    }

    #[test]
    fn every_supported_geometry_survives_a_round_trip() {
        round_trip(Geometry::Point(point!(x: 37_512_345.5, y: 4_123_456.25)));
        round_trip(Geometry::LineString(
            line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.0)],
        ));
        round_trip(Geometry::Polygon(polygon_with_hole()));
        round_trip(Geometry::MultiPoint(MultiPoint(vec![
            point!(x: 1.0, y: 1.0),
            point!(x: 2.0, y: -2.0),
        ])));
        round_trip(Geometry::MultiLineString(MultiLineString(vec![
            line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.0)],
            line_string![(x: 5.0, y: 6.0), (x: 7.0, y: 8.0), (x: 9.0, y: 1.0)],
        ])));
        round_trip(Geometry::MultiPolygon(MultiPolygon(vec![
            polygon_with_hole(),
            polygon![(x: 20.0, y: 20.0), (x: 21.0, y: 20.0), (x: 21.0, y: 21.0)],
        ])));
        round_trip(Geometry::GeometryCollection(GeometryCollection(vec![
            Geometry::Point(point!(x: 1.0, y: 1.0)),
            Geometry::Polygon(polygon_with_hole()),
        ])));
    }

    #[test]
    fn the_header_carries_an_xy_envelope() {
        let blob = encode_gpkg_geometry(&Geometry::Polygon(polygon_with_hole()), 4490);
        assert_eq!(blob[3], 0b11);
        let f = |i: usize| f64::from_le_bytes(blob[8 + 8 * i..16 + 8 * i].try_into().unwrap());
        assert_eq!([f(0), f(1), f(2), f(3)], [0.0, 10.0, 0.0, 10.0]);
        // ISO WKB starts right after: little-endian polygon.
        assert_eq!(blob[40], 1);
        assert_eq!(u32::from_le_bytes(blob[41..45].try_into().unwrap()), 3);
    }

    #[test]
    fn empty_geometries_set_the_empty_flag() {
        let blob = encode_gpkg_geometry(&Geometry::LineString(LineString(vec![])), 4326);
        assert_eq!(blob[3] & 0b1_0000, 0b1_0000);
        assert_eq!(
            decode_gpkg_geometry(&blob).unwrap(),
            Geometry::LineString(LineString(vec![]))
        );
    }

    #[test]
    fn big_endian_and_z_geometries_are_read_in_two_dimensions() {
        // Big-endian header (flags bit 0 clear), no envelope, WKB Point Z (1001) big-endian.
        let mut blob = vec![b'G', b'P', 0, 0];
        blob.extend_from_slice(&4326i32.to_be_bytes());
        blob.push(0);
        blob.extend_from_slice(&1001u32.to_be_bytes());
        for v in [112.5f64, 37.8, 800.0] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(
            decode_gpkg_geometry(&blob).unwrap(),
            Geometry::Point(Point(coord! { x: 112.5, y: 37.8 }))
        );
    }

    #[test]
    fn an_empty_point_is_reported_not_invented() {
        let mut blob = vec![b'G', b'P', 0, 0b1_0001, 0, 0, 0, 0, 1, 1, 0, 0, 0];
        blob.extend_from_slice(&f64::NAN.to_le_bytes());
        blob.extend_from_slice(&f64::NAN.to_le_bytes());
        assert!(matches!(
            decode_gpkg_geometry(&blob),
            Err(GpkgError::EmptyPoint)
        ));
    }

    #[test]
    fn non_finite_coordinates_in_lines_and_rings_are_refused() {
        // Found by fuzzing: a ring with a NaN vertex is never "closed" (NaN != NaN),
        // so every re-encoding appended another vertex.
        let ring = |bad: f64| {
            let mut blob = b"GP\0\x01".to_vec();
            blob.extend_from_slice(&4326i32.to_le_bytes());
            blob.extend_from_slice(&[1, 3, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0]);
            for v in [0.0, 0.0, 1.0, bad, 1.0, 1.0, 0.0, 0.0] {
                blob.extend_from_slice(&f64::to_le_bytes(v));
            }
            blob
        };
        assert!(decode_gpkg_geometry(&ring(0.0)).is_ok());
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = decode_gpkg_geometry(&ring(bad)).unwrap_err();
            assert!(e.to_string().contains("not a finite number"), "{e}");
        }
        let mut point = b"GP\0\x01\xe6\x10\0\0\x01\x01\0\0\0".to_vec();
        point.extend_from_slice(&f64::INFINITY.to_le_bytes());
        point.extend_from_slice(&1.0f64.to_le_bytes());
        assert!(decode_gpkg_geometry(&point).is_err());
    }

    #[test]
    fn garbage_and_truncated_blobs_give_errors_not_panics() {
        let good = encode_gpkg_geometry(&Geometry::Polygon(polygon_with_hole()), 4546);
        for cut in 0..good.len() {
            assert!(decode_gpkg_geometry(&good[..cut]).is_err(), "cut at {cut}");
        }
        // A huge count must not allocate.
        let mut huge = good[..40].to_vec();
        huge.extend_from_slice(&[1, 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F]);
        assert!(decode_gpkg_geometry(&huge).is_err());
        // Deeply nested collections are refused.
        let mut nested = vec![b'G', b'P', 0, 1, 0, 0, 0, 0];
        for _ in 0..100 {
            nested.extend_from_slice(&[1, 7, 0, 0, 0, 1, 0, 0, 0]);
        }
        assert!(decode_gpkg_geometry(&nested).is_err());
        // Pseudo-random bytes.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let len = (state % 80) as usize;
            let mut bytes = vec![b'G', b'P', 0];
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(state as u8);
            }
            let _ = decode_gpkg_geometry(&bytes);
        }
    }

    #[test]
    fn cgcs2000_gauss_kruger_wkt_is_generated_from_parameters() {
        let wkt = srs_wkt(4546).unwrap();
        assert!(wkt.contains("CGCS2000 / 3-degree Gauss-Kruger CM 111E"));
        assert!(wkt.contains("PARAMETER[\"central_meridian\",111]"));
        assert!(wkt.contains("PARAMETER[\"false_easting\",500000]"));
        let zoned = srs_wkt(4526).unwrap();
        assert!(zoned.contains("zone 38"));
        assert!(zoned.contains("PARAMETER[\"central_meridian\",114]"));
        assert!(zoned.contains("PARAMETER[\"false_easting\",38500000]"));
        let six = srs_wkt(4502).unwrap();
        assert!(six.contains("CM 75E"));
        assert!(srs_wkt(4490).unwrap().starts_with("GEOGCS"));
        assert!(srs_wkt(2383).is_none());
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339_from_unix_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_from_unix_millis(1_572_480_000_123),
            "2019-10-31T00:00:00.123Z"
        );
        assert_eq!(
            rfc3339_from_unix_millis(951_825_600_000),
            "2000-02-29T12:00:00.000Z"
        );
    }

    #[test]
    fn table_names_outside_the_safe_set_are_refused() {
        assert!(is_safe_table_name("layer_1_zones"));
        assert!(!is_safe_table_name("gpkg_contents"));
        assert!(!is_safe_table_name("a;drop"));
        assert!(!is_safe_table_name("水源地"));
        assert!(!is_safe_table_name("1abc"));
    }

    #[test]
    fn the_rtree_index_follows_inserts_updates_and_deletes() {
        let mut conn = Connection::open_in_memory().unwrap();
        register_spatial_functions(&conn).unwrap();
        init_geopackage(&conn).unwrap();
        let tx = conn.transaction().unwrap();
        create_feature_table(&tx, "pts", "POINT", 4326, &[]).unwrap();
        let blob =
            |x: f64, y: f64| encode_gpkg_geometry(&Geometry::Point(point!(x: x, y: y)), 4326);
        tx.execute(
            "INSERT INTO pts (fid, geom) VALUES (1, ?1)",
            [blob(112.0, 37.0)],
        )
        .unwrap();
        create_spatial_index(&tx, "pts").unwrap();
        tx.execute(
            "INSERT INTO pts (fid, geom) VALUES (2, ?1)",
            [blob(113.0, 38.0)],
        )
        .unwrap();
        tx.execute("INSERT INTO pts (fid, geom) VALUES (3, NULL)", [])
            .unwrap();
        tx.execute(
            "UPDATE pts SET geom = ?1 WHERE fid = 1",
            [blob(111.0, 36.0)],
        )
        .unwrap();
        tx.execute("DELETE FROM pts WHERE fid = 2", []).unwrap();
        tx.commit().unwrap();
        let rows: Vec<(i64, f64, f64)> = conn
            .prepare("SELECT id, minx, maxy FROM rtree_pts_geom ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [(1, 111.0, 36.0)]);
        let ext: String = conn
            .query_row("SELECT extension_name FROM gpkg_extensions", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(ext, "gpkg_rtree_index");
        drop_spatial_index(&conn, "pts").unwrap();
        let left: i64 = conn
            .query_row(
                "SELECT (SELECT count(*) FROM sqlite_master WHERE name LIKE 'rtree_pts%')
                      + (SELECT count(*) FROM gpkg_extensions)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn envelopes_come_from_the_header_or_the_geometry() {
        let g = Geometry::Polygon(polygon_with_hole());
        assert_eq!(
            blob_envelope(&encode_gpkg_geometry(&g, 1)),
            Some([0.0, 10.0, 0.0, 10.0])
        );
        // Same geometry without a header envelope (as GDAL writes points).
        let mut bare = vec![b'G', b'P', 0, 1, 1, 0, 0, 0];
        bare.extend(encode_wkb(&g));
        assert_eq!(blob_envelope(&bare), Some([0.0, 10.0, 0.0, 10.0]));
        assert_eq!(blob_envelope(b"garbage!"), None);
        let empty = encode_gpkg_geometry(&Geometry::LineString(LineString(vec![])), 1);
        assert_eq!(blob_envelope(&empty), None);
    }

    #[test]
    fn a_new_geopackage_has_the_required_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        init_geopackage(&conn).unwrap();
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM gpkg_spatial_ref_sys", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 3);
        ensure_epsg_srs(&conn, 4546, "x").unwrap();
        let custom = ensure_custom_srs(&conn, "odd", "+proj=tmerc +lon_0=111.5").unwrap();
        assert_eq!(custom, CUSTOM_SRS_BASE);
        assert_eq!(
            ensure_custom_srs(&conn, "odd", "+proj=tmerc +lon_0=111.5").unwrap(),
            custom
        );
        let tx = conn.transaction().unwrap();
        create_feature_table(
            &tx,
            "zones",
            "polygon",
            4546,
            &[("名称".into(), SqlType::Text)],
        )
        .unwrap();
        assert!(matches!(
            create_feature_table(&tx, "z2", "POLYGON", 1234, &[]),
            Err(GpkgError::UnknownSrs(1234))
        ));
        tx.commit().unwrap();
        let ty: String = conn
            .query_row(
                "SELECT geometry_type_name FROM gpkg_geometry_columns WHERE table_name='zones'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ty, "POLYGON");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn coord() -> impl Strategy<Value = Coord<f64>> {
            (-1.0e8..1.0e8f64, -1.0e8..1.0e8f64).prop_map(|(x, y)| Coord { x, y })
        }

        fn ring() -> impl Strategy<Value = LineString<f64>> {
            proptest::collection::vec(coord(), 3..12).prop_map(|mut pts| {
                pts.push(pts[0]);
                LineString(pts)
            })
        }

        fn polygon() -> impl Strategy<Value = Polygon<f64>> {
            (ring(), proptest::collection::vec(ring(), 0..3))
                .prop_map(|(outer, holes)| Polygon::new(outer, holes))
        }

        fn geometry() -> impl Strategy<Value = Geometry<f64>> {
            prop_oneof![
                coord().prop_map(|c| Geometry::Point(Point(c))),
                proptest::collection::vec(coord(), 0..20)
                    .prop_map(|c| Geometry::LineString(LineString(c))),
                polygon().prop_map(Geometry::Polygon),
                proptest::collection::vec(coord(), 1..10).prop_map(|c| Geometry::MultiPoint(
                    MultiPoint(c.into_iter().map(Point).collect())
                )),
                proptest::collection::vec(ring(), 1..4)
                    .prop_map(|l| Geometry::MultiLineString(MultiLineString(l))),
                proptest::collection::vec(polygon(), 1..4)
                    .prop_map(|p| Geometry::MultiPolygon(MultiPolygon(p))),
            ]
        }

        proptest! {
            #[test]
            fn random_geometries_survive_a_round_trip(g in geometry(), srs in -1i32..100_000) {
                let blob = encode_gpkg_geometry(&g, srs);
                prop_assert_eq!(decode_gpkg_geometry(&blob).unwrap(), g);
            }

            #[test]
            fn random_bytes_never_panic_the_decoder(
                bytes in proptest::collection::vec(any::<u8>(), 0..300)
            ) {
                let _ = decode_gpkg_geometry(&bytes);
                let _ = decode_wkb(&bytes);
            }

            #[test]
            fn flipped_bytes_of_a_valid_blob_never_panic_the_decoder(
                g in geometry(), at in any::<usize>(), byte in any::<u8>()
            ) {
                let mut blob = encode_gpkg_geometry(&g, 4546);
                let i = at % blob.len();
                blob[i] = byte;
                let _ = decode_gpkg_geometry(&blob);
            }
        }
    }
}
