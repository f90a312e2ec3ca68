//! A layer's content fingerprint: what an import stores of it (source, format, CRS,
//! encoding, fields, read problems, and every record's number, geometry and values),
//! hashed. A check re-run on files that have not changed since their import keeps
//! the imported table instead of writing a province's layer into the project again.
//!
//! The hash is 128 bits (two seeded 64-bit hashes), written as `v1:` and 32 hex
//! digits. It is not a security measure: it tells an unchanged file from an edited
//! one. Should the hashing ever change, the prefix changes and layers are simply
//! imported again.

use std::hash::{BuildHasher, Hasher};

use foldhash::fast::FixedState;
use geo_types::{Coord, Geometry, LineString, Polygon};
use rayon::prelude::*;

use crate::model::{Layer, Value};

/// Records hashed per task; the chunk hashes are then hashed in order, so the
/// result does not depend on how many threads run.
const CHUNK: usize = 4096;

/// The seeds of the two halves.
const SEEDS: [u64; 2] = [0x7169_6E67_6C69_6E67, 0x0F1E_2D3C_4B5A_6978];

/// The fingerprint of `layer` as [`Project::save_layer`](super::Project::save_layer)
/// would store it; `None` for a layer whose values are read on demand (its records
/// hold no values, and such a layer is not imported).
pub fn layer_fingerprint(layer: &Layer) -> Option<String> {
    if layer.deferred.is_some() {
        return None;
    }
    let crs = layer.crs.crs.as_ref();
    let meta = serde_json::json!({
        "name": layer.name,
        "source": layer.source.to_string_lossy(),
        "format": layer.format,
        "geometry_kind": layer.geometry_kind,
        "has_z": layer.has_z,
        "encoding": layer.encoding.as_ref().map(|e| (e.name(), &e.source)),
        "crs": crs.map(|c| (c.epsg, &c.name, &c.proj4, c.geographic)),
        "crs_source": layer.crs.source,
        "fields": layer.fields.iter().map(|f| (&f.name, f.kind)).collect::<Vec<_>>(),
        "problems": layer.problems,
    })
    .to_string();
    let chunks: Vec<[u64; 2]> = layer
        .features
        .par_chunks(CHUNK)
        .map(|chunk| {
            SEEDS.map(|seed| {
                let mut h = FixedState::with_seed(seed).build_hasher();
                for f in chunk {
                    h.write_u64(f.fid);
                    match &f.geometry {
                        Some(g) => geometry(&mut h, g),
                        None => h.write_u8(0),
                    }
                    h.write_usize(f.attrs.len());
                    for v in &f.attrs {
                        value(&mut h, v);
                    }
                }
                h.finish()
            })
        })
        .collect();
    let [a, b] = SEEDS.map(|seed| {
        let mut h = FixedState::with_seed(seed).build_hasher();
        text(&mut h, &meta);
        h.write_usize(layer.features.len());
        for c in &chunks {
            h.write_u64(c[0]);
            h.write_u64(c[1]);
        }
        h.finish()
    });
    Some(format!("v1:{a:016x}{b:016x}"))
}

/// Text with its length first, so that neighbouring texts cannot trade bytes.
fn text(h: &mut impl Hasher, s: &str) {
    h.write_usize(s.len());
    h.write(s.as_bytes());
}

fn value(h: &mut impl Hasher, v: &Value) {
    match v {
        Value::Null => h.write_u8(0),
        Value::Text(s) => {
            h.write_u8(1);
            text(h, s);
        }
        Value::Int(i) => {
            h.write_u8(2);
            h.write_i64(*i);
        }
        Value::Float(x) => {
            h.write_u8(3);
            h.write_u64(x.to_bits());
        }
        Value::Bool(b) => {
            h.write_u8(4);
            h.write_u8(u8::from(*b));
        }
        Value::Date(s) => {
            h.write_u8(5);
            text(h, s);
        }
    }
}

fn coords(h: &mut impl Hasher, line: &LineString<f64>) {
    h.write_usize(line.0.len());
    for c in &line.0 {
        coord(h, *c);
    }
}

fn coord(h: &mut impl Hasher, c: Coord<f64>) {
    h.write_u64(c.x.to_bits());
    h.write_u64(c.y.to_bits());
}

fn polygon(h: &mut impl Hasher, p: &Polygon<f64>) {
    coords(h, p.exterior());
    h.write_usize(p.interiors().len());
    for ring in p.interiors() {
        coords(h, ring);
    }
}

/// A geometry's kind, structure (parts, rings) and coordinates.
fn geometry(h: &mut impl Hasher, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            h.write_u8(1);
            coord(h, p.0);
        }
        Geometry::Line(l) => {
            h.write_u8(2);
            coord(h, l.start);
            coord(h, l.end);
        }
        Geometry::LineString(l) => {
            h.write_u8(3);
            coords(h, l);
        }
        Geometry::Polygon(p) => {
            h.write_u8(4);
            polygon(h, p);
        }
        Geometry::MultiPoint(m) => {
            h.write_u8(5);
            h.write_usize(m.0.len());
            for p in &m.0 {
                coord(h, p.0);
            }
        }
        Geometry::MultiLineString(m) => {
            h.write_u8(6);
            h.write_usize(m.0.len());
            for l in &m.0 {
                coords(h, l);
            }
        }
        Geometry::MultiPolygon(m) => {
            h.write_u8(7);
            h.write_usize(m.0.len());
            for p in &m.0 {
                polygon(h, p);
            }
        }
        Geometry::GeometryCollection(c) => {
            h.write_u8(8);
            h.write_usize(c.0.len());
            for g in &c.0 {
                geometry(h, g);
            }
        }
        Geometry::Rect(r) => {
            h.write_u8(9);
            coord(h, r.min());
            coord(h, r.max());
        }
        Geometry::Triangle(t) => {
            h.write_u8(10);
            coord(h, t.v1());
            coord(h, t.v2());
            coord(h, t.v3());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::text_layer;
    use crate::model::{Feature, GeometryKind};

    #[test]
    fn a_change_anywhere_changes_the_fingerprint() {
        let mut layer = text_layer("锅炉", GeometryKind::Point, &["名称", "县区"]);
        for (fid, (name, county)) in [("第1号锅炉", "清徐县"), ("第2号锅炉", "迎泽区")]
            .into_iter()
            .enumerate()
        {
            layer.features.push(Feature {
                fid: fid as u64,
                geometry: Some(geo_types::point! { x: 500.0 + fid as f64, y: 4.2e6 }.into()),
                attrs: vec![Value::Text(name.into()), Value::Text(county.into())],
            });
        }
        let base = layer_fingerprint(&layer).unwrap();
        assert!(base.starts_with("v1:") && base.len() == 35, "{base}");
        assert_eq!(
            layer_fingerprint(&layer.clone()).as_deref(),
            Some(base.as_str())
        );
        // Many records: hashed in chunks on several threads, the same every time.
        let mut big = layer.clone();
        big.features = (0..3 * CHUNK as u64 + 5)
            .map(|fid| Feature {
                fid,
                geometry: None,
                attrs: vec![Value::Int(fid as i64), Value::Null],
            })
            .collect();
        let once = layer_fingerprint(&big);
        assert_eq!(once, layer_fingerprint(&big));
        big.features[2 * CHUNK + 1].attrs[1] = Value::Float(0.0);
        assert_ne!(once, layer_fingerprint(&big));
        type Change = fn(&mut Layer);
        let changes: Vec<(&str, Change)> = vec![
            ("a value", |l| {
                l.features[1].attrs[0] = Value::Text("第3号锅炉".into())
            }),
            ("text moved between cells", |l| {
                l.features[0].attrs[0] = Value::Text("第1号锅炉清".into());
                l.features[0].attrs[1] = Value::Text("徐县".into());
            }),
            ("a value's type", |l| {
                l.features[0].attrs[1] = Value::Date("清徐县".into())
            }),
            ("a record number", |l| l.features[1].fid = 7),
            ("a geometry", |l| {
                l.features[0].geometry = Some(geo_types::point! { x: 1.0, y: 2.0 }.into());
            }),
            ("a record dropped", |l| {
                l.features.pop();
            }),
            ("a field name", |l| l.fields[1].name = "区县".into()),
            ("the source", |l| l.source = "其他/锅炉.shp".into()),
            ("a problem", |l| {
                l.problems
                    .push(crate::model::Problem::warning(&l.source, "x"));
            }),
        ];
        for (what, change) in changes {
            let mut changed = layer.clone();
            change(&mut changed);
            assert_ne!(layer_fingerprint(&changed).unwrap(), base, "{what}");
        }
    }
}
