//! The fuzz entry points: how a fuzzer's raw bytes become calls into qingling's
//! readers and parsers.
//!
//! Shared by the cargo-fuzz targets in `fuzz/fuzz_targets/` and by
//! `tests/fuzz_regressions.rs` (which includes this file with `#[path]`), so a saved
//! crash input is replayed on stable through exactly the code path that found it.
//! Every function must return normally for any input: an error is a fine answer,
//! a panic, an abort or a hang is a bug. Error and problem messages are rendered
//! too, because users see them.

use std::path::Path;

use qingling::crs::{Crs, Transform};
use qingling::io::ReadOptions;

/// A fuzz entry point: must return normally for any bytes.
pub type EntryPoint = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/` and
/// `tests/fuzz_regressions/`) and its entry point.
pub const TARGETS: &[(&str, EntryPoint)] = &[
    ("shapefile", shapefile),
    ("prj", prj),
    ("geojson", geojson),
    ("coord_text", coord_text),
    ("rules", rules),
    ("gpkg_geometry", gpkg_geometry),
];

/// Length of the shapefile input header: flags byte, `.shp` length, `.shx` length.
const SHAPEFILE_HEADER: usize = 9;

/// `.cpg` texts the flags can pick (index 0: no `.cpg`).
const CPG_CHOICES: [Option<&str>; 4] = [None, Some("UTF-8"), Some("GBK"), Some("x-bogus")];

/// The parts of one shapefile set decoded from fuzzer bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapefileInput<'a> {
    pub shp: &'a [u8],
    pub shx: Option<&'a [u8]>,
    pub dbf: Option<&'a [u8]>,
    pub cpg: Option<&'static str>,
    pub geometry_only: bool,
}

/// Split fuzzer bytes into a shapefile set. Layout: a flags byte (bit 0 `.shx`
/// present, bit 1 `.dbf` present, bit 2 geometry only, bits 3–4 the `.cpg` choice),
/// the `.shp` length and the `.shx` length as little-endian u32 (each taken modulo
/// what is left plus one, so any bytes split somewhere), then `.shp`, `.shx`, and
/// the rest is the `.dbf`.
pub fn split_shapefile(data: &[u8]) -> ShapefileInput<'_> {
    let mut header = [0u8; SHAPEFILE_HEADER];
    let n = data.len().min(SHAPEFILE_HEADER);
    header[..n].copy_from_slice(&data[..n]);
    let rest = &data[n..];
    let flags = header[0];
    let len = |i: usize, avail: usize| {
        let v = u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        (v as usize) % (avail + 1)
    };
    let shp_len = len(1, rest.len());
    let (shp, rest) = rest.split_at(shp_len);
    let shx_len = len(5, rest.len());
    let (shx, dbf) = rest.split_at(shx_len);
    ShapefileInput {
        shp,
        shx: (flags & 1 != 0).then_some(shx),
        dbf: (flags & 2 != 0).then_some(dbf),
        cpg: CPG_CHOICES[usize::from((flags >> 3) & 3)],
        geometry_only: flags & 4 != 0,
    }
}

/// The inverse of [`split_shapefile`], for writing seed inputs.
pub fn join_shapefile(input: &ShapefileInput<'_>) -> Vec<u8> {
    let cpg_index = CPG_CHOICES
        .iter()
        .position(|c| *c == input.cpg)
        .unwrap_or(0) as u8;
    let flags = u8::from(input.shx.is_some())
        | u8::from(input.dbf.is_some()) << 1
        | u8::from(input.geometry_only) << 2
        | cpg_index << 3;
    let shx = input.shx.unwrap_or(&[]);
    let mut out = vec![flags];
    out.extend_from_slice(&(input.shp.len() as u32).to_le_bytes());
    out.extend_from_slice(&(shx.len() as u32).to_le_bytes());
    out.extend_from_slice(input.shp);
    out.extend_from_slice(shx);
    out.extend_from_slice(input.dbf.unwrap_or(&[]));
    out
}

/// The shapefile reader (`.shp` + `.shx` + `.dbf` + `.cpg`) on a split of `data`.
pub fn shapefile(data: &[u8]) {
    let input = split_shapefile(data);
    let opts = ReadOptions {
        geometry_only: input.geometry_only,
        ..ReadOptions::default()
    };
    let result = qingling::io::shp::read_shapefile_bytes(
        Path::new("fuzz.shp"),
        input.shp,
        input.shx,
        input.dbf,
        input.cpg,
        &opts,
    );
    match result {
        Ok(layer) => {
            for p in &layer.problems {
                let _ = p.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A `.prj` file: decoded like the reader does, parsed, and when it gives a CRS,
/// used for a transform to WGS84 as the join would.
pub fn prj(data: &[u8]) {
    let text = qingling::io::shp::decode_sidecar_text(data);
    match Crs::from_prj(&text) {
        Ok(crs) => {
            let _ = crs.to_string();
            let _ = crs.is_geographic();
            let _ = crs.metres_per_unit();
            if let Ok(t) = Transform::new(&crs, &Crs::wgs84()) {
                for (x, y) in [(112.5, 37.8), (500_000.0, 4_200_000.0), (0.0, 0.0)] {
                    let _ = t.apply(x, y);
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// The GeoJSON reader on `data` as a file's bytes.
pub fn geojson(data: &[u8]) {
    let result = qingling::io::geojson::read_geojson_bytes(
        Path::new("fuzz.geojson"),
        data,
        &ReadOptions::default(),
    );
    match result {
        Ok((layer, _declared)) => {
            for p in &layer.problems {
                let _ = p.to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// A longitude/latitude cell: as text, with and without pseudo-decimal DMS, and as a
/// spreadsheet number when it is one.
pub fn coord_text(data: &[u8]) {
    use qingling::io::coord_text::{
        CoordTextOptions, looks_pseudo_decimal, parse_degrees, parse_degrees_with,
        pseudo_decimal_to_degrees,
    };
    let text = String::from_utf8_lossy(data);
    if let Err(e) = parse_degrees(&text) {
        let _ = e.to_string();
    }
    let pseudo = CoordTextOptions {
        pseudo_decimal: true,
    };
    if let Err(e) = parse_degrees_with(&text, pseudo) {
        let _ = e.to_string();
    }
    if let Ok(v) = text.trim().parse::<f64>() {
        let _ = pseudo_decimal_to_degrees(v);
        let _ = looks_pseudo_decimal(&[v]);
    }
}

/// A user rule file, parsed and merged over the built-in rules, every rule
/// described in both languages.
pub fn rules(data: &[u8]) {
    use qingling::rules::{Lang, RuleSet};
    // Parsing the built-in rules on every input would dominate the run time.
    static BUILTIN: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    let builtin = BUILTIN.get_or_init(qingling::rules::builtin);
    let text = String::from_utf8_lossy(data);
    match qingling::rules::parse_rules(&text, "fuzz.toml") {
        Ok(user) => {
            let set = builtin.clone().merge(user);
            for rule in set.enabled() {
                let _ = rule.describe(Lang::Zh);
                let _ = rule.describe(Lang::En);
            }
        }
        Err(e) => {
            let _ = e.to_string();
            for issue in e.issues() {
                let _ = issue.to_string();
            }
        }
    }
}

/// A GeoPackage geometry blob from a project file: decoded, its envelope read, and
/// when it decodes, encoded again, which must decode to the same encoding.
pub fn gpkg_geometry(data: &[u8]) {
    use qingling::project::gpkg::{blob_envelope, decode_gpkg_geometry, encode_gpkg_geometry};
    let _ = blob_envelope(data);
    match decode_gpkg_geometry(data) {
        Ok(g) => {
            let once = encode_gpkg_geometry(&g, 4326);
            let again = decode_gpkg_geometry(&once)
                .unwrap_or_else(|e| panic!("re-encoded geometry does not decode: {e}"));
            assert!(
                encode_gpkg_geometry(&again, 4326) == once,
                "encode(decode(encode(g))) differs from encode(g)"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
