//! Writes shapefile sets (`.shp`, `.shx`, `.dbf`, optional `.cpg` and `.prj`) with
//! precise control over the text encoding, the DBF language driver byte and Z values,
//! for exports, generated test data and the sample data.
//!
//! - Field names are encoded in the chosen encoding (GBK names stay GBK, unlike the
//!   `dbase` crate) and cut to 10 bytes on a character boundary, then made unique.
//! - `C` fields are as wide as the longest encoded value (at most 254 bytes; longer
//!   values are cut on a character boundary and reported), numbers are `N` fields
//!   sized to their values, booleans `L`, dates `D`.
//! - Polygons are written as the specification wants: outer rings clockwise, holes
//!   counter-clockwise, every ring closed. [`write_shapes`] writes parts exactly as
//!   given instead (for tests of damaged or unusual files).
//! - Every file is written as `name.ext.tmp` and renamed when all are complete, so a
//!   crash never leaves a half-written file under the real name. Overwriting a set
//!   without a `.cpg`/`.prj` removes the old ones, which would no longer be true.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, GBK};
use geo_types::{Coord, Geometry, LineString};

use crate::io::IoError;
use crate::io::dbf::{ldid_for_encoding, valid_date};
use crate::io::shp::ShapeType;
use crate::model::{FieldDef, FieldKind, GeometryKind, Value};

/// How to write a shapefile set.
#[derive(Clone, Debug)]
pub struct ShapefileWriteOptions {
    /// Encoding of field names and text values (GBK or UTF-8 in practice).
    pub encoding: &'static Encoding,
    /// The DBF language driver byte; `None` derives it (0x4D for GBK, 0x00 for UTF-8).
    pub ldid: Option<u8>,
    /// Write a `.cpg` naming the encoding (`GBK`, `UTF-8`, ...).
    pub write_cpg: bool,
    /// The `.prj` text (ESRI WKT), if any.
    pub prj: Option<String>,
    /// The layer's shape kind; `None` takes the kind of the first geometry (a layer
    /// with only null geometries is written with shape type Null).
    pub shape_kind: Option<GeometryKind>,
    /// Write the Z variants (PointZ, PolygonZ, ...) with z = 0 and m = 0.
    pub with_z: bool,
    /// The least width of a text field in bytes (at most 254); 0 sizes each to its
    /// longest value. ArcGIS writes 254 by default, and ledgers exported from
    /// Excel often have 50–255.
    pub text_width: usize,
}

impl Default for ShapefileWriteOptions {
    fn default() -> Self {
        ShapefileWriteOptions {
            encoding: GBK,
            ldid: None,
            write_cpg: true,
            prj: None,
            shape_kind: None,
            with_z: false,
            text_width: 0,
        }
    }
}

/// What the writer had to change to fit the format.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteReport {
    /// Field names that were cut or de-duplicated: (given, written).
    pub renamed_fields: Vec<(String, String)>,
    /// Values cut to 254 bytes: (row, field name as given).
    pub truncated_values: Vec<(usize, String)>,
    /// Values that could not be written in their field's type and were left empty:
    /// (row, field name as given, why).
    pub dropped_values: Vec<(usize, String, String)>,
}

/// One shape exactly as it goes into the file (no re-orientation, no closing).
#[derive(Clone, Debug, PartialEq)]
pub enum ShapeRecord {
    Null,
    Point(Coord<f64>),
    MultiPoint(Vec<Coord<f64>>),
    /// PolyLine or Polygon parts (rings).
    Parts(Vec<Vec<Coord<f64>>>),
}

/// Writes a shapefile set from geo-types geometries (`None` = null shape).
///
/// `rows[i]` holds the values of record `i` in `fields` order; missing rows or values
/// are written empty. Fails if a geometry does not fit the layer's shape type, if the
/// files would exceed the format's limits, or on an IO error.
pub fn write_shapefile(
    shp_path: &Path,
    geometries: &[Option<Geometry<f64>>],
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    opts: &ShapefileWriteOptions,
) -> Result<(), IoError> {
    write_shapefile_with_report(shp_path, geometries, fields, rows, opts).map(|_| ())
}

/// [`write_shapefile`], returning what had to be changed (cut names and values).
pub fn write_shapefile_with_report(
    shp_path: &Path,
    geometries: &[Option<Geometry<f64>>],
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    opts: &ShapefileWriteOptions,
) -> Result<WriteReport, IoError> {
    let kind = match opts.shape_kind {
        Some(k) => k,
        None => geometries
            .iter()
            .flatten()
            .next()
            .map_or(GeometryKind::None, GeometryKind::of),
    };
    let shape_type = shape_type_for(shp_path, kind, opts.with_z)?;
    // Line, Rect and Triangle have no coordinate list to borrow: convert those few.
    let converted: Vec<(usize, Geometry<f64>)> = geometries
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let g = match g.as_ref()? {
                Geometry::Line(l) => Geometry::LineString(LineString(vec![l.start, l.end])),
                Geometry::Rect(r) => Geometry::Polygon(r.to_polygon()),
                Geometry::Triangle(t) => Geometry::Polygon(t.to_polygon()),
                _ => return None,
            };
            Some((i, g))
        })
        .collect();
    let mut recs: Vec<Rec<'_>> = Vec::with_capacity(geometries.len());
    for (i, g) in geometries.iter().enumerate() {
        let g = match converted.binary_search_by_key(&i, |(k, _)| *k) {
            Ok(k) => Some(&converted[k].1),
            Err(_) => g.as_ref(),
        };
        recs.push(to_rec(shp_path, i, g, kind)?);
    }
    write_all(shp_path, shape_type, &recs, fields, rows, opts)
}

/// Writes shapes exactly as given (rings neither closed nor re-oriented) with the
/// given shape type; `opts.shape_kind` and `opts.with_z` are ignored.
pub fn write_shapes(
    shp_path: &Path,
    shape_type: ShapeType,
    shapes: &[ShapeRecord],
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    opts: &ShapefileWriteOptions,
) -> Result<WriteReport, IoError> {
    if shape_type == ShapeType::MultiPatch {
        return Err(invalid(shp_path, "MultiPatch shapefiles cannot be written"));
    }
    let recs: Vec<Rec<'_>> = shapes
        .iter()
        .map(|s| match s {
            ShapeRecord::Null => Rec::Null,
            ShapeRecord::Point(c) => Rec::Point(*c),
            ShapeRecord::MultiPoint(v) => Rec::Parts(vec![Part::plain(v)]),
            ShapeRecord::Parts(parts) => Rec::Parts(parts.iter().map(|p| Part::plain(p)).collect()),
        })
        .collect();
    write_all(shp_path, shape_type, &recs, fields, rows, opts)
}

fn invalid(path: &Path, message: impl Into<String>) -> IoError {
    IoError::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, message.into()),
    )
}

fn shape_type_for(path: &Path, kind: GeometryKind, z: bool) -> Result<ShapeType, IoError> {
    Ok(match (kind, z) {
        (GeometryKind::None, _) => ShapeType::Null,
        (GeometryKind::Point, false) => ShapeType::Point,
        (GeometryKind::Point, true) => ShapeType::PointZ,
        (GeometryKind::MultiPoint, false) => ShapeType::MultiPoint,
        (GeometryKind::MultiPoint, true) => ShapeType::MultiPointZ,
        (GeometryKind::Line, false) => ShapeType::PolyLine,
        (GeometryKind::Line, true) => ShapeType::PolyLineZ,
        (GeometryKind::Polygon, false) => ShapeType::Polygon,
        (GeometryKind::Polygon, true) => ShapeType::PolygonZ,
        (GeometryKind::Mixed, _) => {
            return Err(invalid(
                path,
                "a shapefile holds one kind of geometry; split mixed layers by kind",
            ));
        }
    })
}

/// A part borrowed from the input, written forwards or backwards, maybe closed.
struct Part<'a> {
    coords: &'a [Coord<f64>],
    reversed: bool,
    close: bool,
}

impl<'a> Part<'a> {
    fn plain(coords: &'a [Coord<f64>]) -> Part<'a> {
        Part {
            coords,
            reversed: false,
            close: false,
        }
    }
    fn len(&self) -> usize {
        self.coords.len() + usize::from(self.close)
    }
    fn for_each(&self, mut f: impl FnMut(Coord<f64>)) {
        if self.reversed {
            self.coords.iter().rev().for_each(|c| f(*c));
        } else {
            self.coords.iter().for_each(|c| f(*c));
        }
        if self.close {
            let first = if self.reversed {
                self.coords.last()
            } else {
                self.coords.first()
            };
            if let Some(c) = first {
                f(*c);
            }
        }
    }
}

enum Rec<'a> {
    Null,
    Point(Coord<f64>),
    /// MultiPoint points (one part) or PolyLine/Polygon parts.
    Parts(Vec<Part<'a>>),
    /// MultiPoint from geo-types points.
    Points(&'a [geo_types::Point<f64>]),
}

/// Twice the signed area, positive for counter-clockwise.
fn signed_area2(ring: &[Coord<f64>]) -> f64 {
    let Some(o) = ring.first() else { return 0.0 };
    ring.windows(2)
        .map(|w| {
            let (a, b) = (w[0] - *o, w[1] - *o);
            a.x * b.y - b.x * a.y
        })
        .sum()
}

fn ring_part(ring: &LineString<f64>, clockwise: bool) -> Part<'_> {
    let c = ring.0.as_slice();
    let area = signed_area2(c);
    let is_cw = area < 0.0;
    Part {
        coords: c,
        reversed: area != 0.0 && is_cw != clockwise,
        close: c.len() > 1 && c.first() != c.last(),
    }
}

fn push_polygon<'a>(parts: &mut Vec<Part<'a>>, p: &'a geo_types::Polygon<f64>) {
    if p.exterior().0.is_empty() {
        return;
    }
    parts.push(ring_part(p.exterior(), true));
    for hole in p.interiors() {
        if !hole.0.is_empty() {
            parts.push(ring_part(hole, false));
        }
    }
}

fn to_rec<'a>(
    path: &Path,
    i: usize,
    g: Option<&'a Geometry<f64>>,
    kind: GeometryKind,
) -> Result<Rec<'a>, IoError> {
    let Some(g) = g else { return Ok(Rec::Null) };
    let mismatch = || {
        invalid(
            path,
            format!(
                "record {i}: a {} geometry cannot be written to a {} shapefile",
                GeometryKind::of(g).label(),
                kind.label()
            ),
        )
    };
    let rec = match (kind, g) {
        (GeometryKind::Point, Geometry::Point(p)) => Rec::Point(p.0),
        (GeometryKind::MultiPoint, Geometry::Point(p)) => Rec::Points(std::slice::from_ref(p)),
        (GeometryKind::MultiPoint, Geometry::MultiPoint(mp)) => Rec::Points(&mp.0),
        (GeometryKind::Line, Geometry::LineString(ls)) => Rec::Parts(vec![Part::plain(&ls.0)]),
        (GeometryKind::Line, Geometry::MultiLineString(mls)) => {
            Rec::Parts(mls.0.iter().map(|l| Part::plain(&l.0)).collect())
        }
        (GeometryKind::Polygon, Geometry::Polygon(p)) => {
            let mut parts = Vec::with_capacity(1 + p.interiors().len());
            push_polygon(&mut parts, p);
            Rec::Parts(parts)
        }
        (GeometryKind::Polygon, Geometry::MultiPolygon(mp)) => {
            let mut parts = Vec::new();
            for p in &mp.0 {
                push_polygon(&mut parts, p);
            }
            Rec::Parts(parts)
        }
        (GeometryKind::None, _) => Rec::Null,
        _ => return Err(mismatch()),
    };
    // Empty geometries are written as null shapes.
    Ok(match rec {
        Rec::Parts(p) if p.iter().all(|p| p.len() == 0) => Rec::Null,
        Rec::Points([]) => Rec::Null,
        r => r,
    })
}

#[derive(Clone, Copy)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    const EMPTY: Bounds = Bounds {
        min_x: f64::INFINITY,
        min_y: f64::INFINITY,
        max_x: f64::NEG_INFINITY,
        max_y: f64::NEG_INFINITY,
    };
    fn add(&mut self, c: Coord<f64>) {
        self.min_x = self.min_x.min(c.x);
        self.min_y = self.min_y.min(c.y);
        self.max_x = self.max_x.max(c.x);
        self.max_y = self.max_y.max(c.y);
    }
    fn merge(&mut self, o: &Bounds) {
        self.min_x = self.min_x.min(o.min_x);
        self.min_y = self.min_y.min(o.min_y);
        self.max_x = self.max_x.max(o.max_x);
        self.max_y = self.max_y.max(o.max_y);
    }
    fn or_zero(self) -> Bounds {
        if self.min_x > self.max_x || self.min_y > self.max_y {
            Bounds {
                min_x: 0.0,
                min_y: 0.0,
                max_x: 0.0,
                max_y: 0.0,
            }
        } else {
            self
        }
    }
    fn bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for (k, v) in [self.min_x, self.min_y, self.max_x, self.max_y]
            .into_iter()
            .enumerate()
        {
            b[8 * k..8 * k + 8].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

/// Temp files that are removed unless committed.
struct Staged {
    pairs: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl Staged {
    fn tmp_for(&mut self, real: PathBuf) -> PathBuf {
        let mut name = real.file_name().unwrap_or_default().to_os_string();
        name.push(".tmp");
        let tmp = real.with_file_name(name);
        self.pairs.push((tmp.clone(), real));
        tmp
    }
    fn commit(mut self) -> Result<(), IoError> {
        for (tmp, real) in &self.pairs {
            std::fs::rename(tmp, real).map_err(|e| IoError::io(real, e))?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.pairs {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, IoError> {
    let f = File::create(path).map_err(|e| IoError::io(path, e))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

fn write_all(
    shp_path: &Path,
    shape_type: ShapeType,
    recs: &[Rec<'_>],
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    opts: &ShapefileWriteOptions,
) -> Result<WriteReport, IoError> {
    if rows.len() > recs.len() {
        return Err(invalid(
            shp_path,
            format!(
                "{} attribute rows for {} geometries",
                rows.len(),
                recs.len()
            ),
        ));
    }
    let mut staged = Staged {
        pairs: Vec::new(),
        committed: false,
    };
    let shp_tmp = staged.tmp_for(shp_path.to_path_buf());
    let shx_tmp = staged.tmp_for(shp_path.with_extension("shx"));
    let dbf_tmp = staged.tmp_for(shp_path.with_extension("dbf"));
    write_geometry(shp_path, &shp_tmp, &shx_tmp, shape_type, recs)?;
    let report = write_dbf(
        &shp_path.with_extension("dbf"),
        &dbf_tmp,
        recs.len(),
        fields,
        rows,
        opts,
    )?;
    let cpg_path = shp_path.with_extension("cpg");
    let prj_path = shp_path.with_extension("prj");
    if opts.write_cpg {
        let tmp = staged.tmp_for(cpg_path.clone());
        let label = if opts.encoding == encoding_rs::UTF_8 {
            "UTF-8"
        } else {
            opts.encoding.name()
        };
        std::fs::write(&tmp, label).map_err(|e| IoError::io(&tmp, e))?;
    }
    if let Some(text) = &opts.prj {
        let tmp = staged.tmp_for(prj_path.clone());
        std::fs::write(&tmp, text).map_err(|e| IoError::io(&tmp, e))?;
    }
    staged.commit()?;
    // A .cpg or .prj left from an earlier set of the same name would now be wrong.
    for (written, stale) in [(opts.write_cpg, &cpg_path), (opts.prj.is_some(), &prj_path)] {
        if !written && stale.exists() {
            std::fs::remove_file(stale).map_err(|e| IoError::io(stale, e))?;
        }
    }
    Ok(report)
}

fn rec_counts(r: &Rec<'_>) -> (usize, usize) {
    match r {
        Rec::Null => (0, 0),
        Rec::Point(_) => (0, 1),
        Rec::Points(p) => (0, p.len()),
        Rec::Parts(parts) => (parts.len(), parts.iter().map(Part::len).sum()),
    }
}

/// Bytes of Z and M data after the x/y data (written as zeros).
fn extra_len(shape_type: ShapeType, n: u64) -> u64 {
    match shape_type.code() {
        11 => 16,
        21 => 8,
        13 | 15 | 18 => 32 + 16 * n,
        23 | 25 | 28 => 16 + 8 * n,
        _ => 0,
    }
}

/// Content length in bytes of one record of `shape_type`.
fn content_len(shape_type: ShapeType, r: &Rec<'_>) -> u64 {
    let (np, n) = rec_counts(r);
    let (np, n) = (np as u64, n as u64);
    let extra = extra_len(shape_type, n);
    match (r, shape_type.kind()) {
        (Rec::Null, _) => 4,
        (_, GeometryKind::Point) => 20 + extra,
        (_, GeometryKind::MultiPoint) => 40 + 16 * n + extra,
        _ => 44 + 4 * np + 16 * n + extra,
    }
}

fn io_err(p: &Path) -> impl Fn(std::io::Error) -> IoError + '_ {
    move |e| IoError::io(p, e)
}

fn write_geometry(
    shp_path: &Path,
    shp_tmp: &Path,
    shx_tmp: &Path,
    shape_type: ShapeType,
    recs: &[Rec<'_>],
) -> Result<(), IoError> {
    for (i, r) in recs.iter().enumerate() {
        let ok = match (r, shape_type.kind()) {
            (Rec::Null, _) => true,
            (Rec::Point(_), GeometryKind::Point) => true,
            (Rec::Points(_) | Rec::Parts(_), GeometryKind::MultiPoint) => {
                !matches!(r, Rec::Parts(p) if p.len() != 1)
            }
            (Rec::Parts(_), GeometryKind::Line | GeometryKind::Polygon) => true,
            _ => false,
        };
        if !ok {
            return Err(invalid(
                shp_path,
                format!(
                    "record {i}: the shape does not fit a {} file",
                    shape_type.name()
                ),
            ));
        }
    }
    let total: u64 = 100
        + recs
            .iter()
            .map(|r| 8 + content_len(shape_type, r))
            .sum::<u64>();
    if total / 2 > i32::MAX as u64 {
        return Err(invalid(
            shp_path,
            "the .shp would be larger than the 4 GB the format allows; split the layer",
        ));
    }
    let mut shp = create(shp_tmp)?;
    let mut shx = create(shx_tmp)?;
    let io = io_err;
    let header = |len_bytes: u64, bounds: &Bounds| {
        let mut h = [0u8; 100];
        h[0..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&((len_bytes / 2) as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&shape_type.code().to_le_bytes());
        h[36..68].copy_from_slice(&bounds.bytes());
        h
    };
    // Placeholder headers; the real ones (with the bounds) are written at the end.
    shp.write_all(&[0u8; 100]).map_err(io(shp_tmp))?;
    shx.write_all(&[0u8; 100]).map_err(io(shx_tmp))?;
    let mut all = Bounds::EMPTY;
    let mut offset: u64 = 100;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    for (i, r) in recs.iter().enumerate() {
        let len = content_len(shape_type, r);
        buf.clear();
        buf.extend_from_slice(&((i + 1) as i32).to_be_bytes());
        buf.extend_from_slice(&((len / 2) as i32).to_be_bytes());
        let (np, n) = rec_counts(r);
        match r {
            Rec::Null => buf.extend_from_slice(&0i32.to_le_bytes()),
            Rec::Point(c) => {
                buf.extend_from_slice(&shape_type.code().to_le_bytes());
                buf.extend_from_slice(&c.x.to_le_bytes());
                buf.extend_from_slice(&c.y.to_le_bytes());
                buf.resize(buf.len() + extra_len(shape_type, 1) as usize, 0);
                all.add(*c);
            }
            Rec::Points(_) | Rec::Parts(_) => {
                let mut b = Bounds::EMPTY;
                let each = |f: &mut dyn FnMut(Coord<f64>)| match r {
                    Rec::Points(pts) => pts.iter().for_each(|p| f(p.0)),
                    Rec::Parts(parts) => parts.iter().for_each(|p| p.for_each(&mut *f)),
                    _ => {}
                };
                each(&mut |c| b.add(c));
                all.merge(&b);
                buf.extend_from_slice(&shape_type.code().to_le_bytes());
                buf.extend_from_slice(&b.or_zero().bytes());
                if shape_type.kind() != GeometryKind::MultiPoint {
                    buf.extend_from_slice(&(np as i32).to_le_bytes());
                }
                buf.extend_from_slice(&(n as i32).to_le_bytes());
                if let Rec::Parts(parts) = r
                    && shape_type.kind() != GeometryKind::MultiPoint
                {
                    let mut start = 0i32;
                    for p in parts {
                        buf.extend_from_slice(&start.to_le_bytes());
                        start += p.len() as i32;
                    }
                }
                each(&mut |c| {
                    buf.extend_from_slice(&c.x.to_le_bytes());
                    buf.extend_from_slice(&c.y.to_le_bytes());
                });
                // Z range and values, then M range and values, all zero.
                buf.resize(buf.len() + extra_len(shape_type, n as u64) as usize, 0);
            }
        }
        shp.write_all(&buf).map_err(io(shp_tmp))?;
        let mut e = [0u8; 8];
        e[..4].copy_from_slice(&((offset / 2) as i32).to_be_bytes());
        e[4..].copy_from_slice(&((len / 2) as i32).to_be_bytes());
        shx.write_all(&e).map_err(io(shx_tmp))?;
        offset += 8 + len;
    }
    let bounds = all.or_zero();
    let shx_len = 100 + 8 * recs.len() as u64;
    for (w, p, len) in [(&mut shp, shp_tmp, offset), (&mut shx, shx_tmp, shx_len)] {
        w.seek(SeekFrom::Start(0)).map_err(io(p))?;
        w.write_all(&header(len, &bounds)).map_err(io(p))?;
        w.flush().map_err(io(p))?;
    }
    Ok(())
}

/// Encodes `s`, cut to at most `max` bytes on a character boundary; the flag says
/// whether it was cut.
fn encode_cut(s: &str, enc: &'static Encoding, max: usize) -> (Vec<u8>, bool) {
    let (bytes, _, _) = enc.encode(s);
    if bytes.len() <= max {
        return (bytes.into_owned(), false);
    }
    let mut out = Vec::with_capacity(max);
    let mut tmp = [0u8; 4];
    for ch in s.chars() {
        let (b, _, _) = enc.encode(ch.encode_utf8(&mut tmp));
        if out.len() + b.len() > max {
            break;
        }
        out.extend_from_slice(&b);
    }
    (out, true)
}

/// DBF field names: encoded, cut to 10 bytes, unique (case-insensitively).
fn field_names(fields: &[FieldDef], enc: &'static Encoding) -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = Vec::with_capacity(fields.len());
    let taken = |names: &Vec<Vec<u8>>, n: &[u8]| names.iter().any(|m| m.eq_ignore_ascii_case(n));
    for (i, f) in fields.iter().enumerate() {
        let clean: String = f.name.chars().filter(|c| *c != '\0').collect();
        let (mut name, _) = encode_cut(clean.trim(), enc, 10);
        if name.is_empty() {
            name = format!("FIELD{}", i + 1).into_bytes();
        }
        let base = name.clone();
        let mut k = 1;
        while taken(&names, &name) {
            let suffix = format!("_{k}");
            let keep = enc.decode_without_bom_handling(&base).0.into_owned();
            let (mut cut, _) = encode_cut(&keep, enc, 10 - suffix.len());
            cut.extend_from_slice(suffix.as_bytes());
            name = cut;
            k += 1;
        }
        names.push(name);
    }
    names
}

/// How one field is laid out.
struct Layout {
    code: u8,
    width: usize,
    decimals: usize,
    /// `C` fields: every value already encoded.
    encoded: Option<EncodedText>,
}

/// The encoded values of one text field: `arena[spans[row]]`.
struct EncodedText {
    arena: Vec<u8>,
    spans: Vec<Option<std::ops::Range<usize>>>,
}

/// Encodes text value by value without allocating, remembering the bytes of each
/// BMP character (GBK encoding of Hanzi is slow in `encoding_rs`; a layer repeats
/// the same few thousand characters). Output is identical to `Encoding::encode`:
/// unmappable characters become numeric character references.
struct TextEncoder {
    enc: &'static Encoding,
    /// Per BMP code point: encoded length (0 = not known yet) and bytes.
    cache: Vec<[u8; 5]>,
    scratch: Vec<u8>,
}

impl TextEncoder {
    fn new(enc: &'static Encoding) -> TextEncoder {
        let output = enc.output_encoding();
        // Stateless multi-byte or single-byte encodings can be cached per character.
        let cacheable =
            output == enc && enc != encoding_rs::UTF_8 && enc != encoding_rs::ISO_2022_JP;
        TextEncoder {
            enc: output,
            cache: if cacheable {
                vec![[0u8; 5]; 0x10000]
            } else {
                Vec::new()
            },
            scratch: Vec::new(),
        }
    }

    /// Appends `s` encoded to `out`.
    fn encode_into(&mut self, s: &str, out: &mut Vec<u8>) {
        if s.is_ascii() || self.enc == encoding_rs::UTF_8 {
            out.extend_from_slice(s.as_bytes());
            return;
        }
        if self.cache.is_empty() {
            Self::encode_slow(self.enc, s, out, &mut self.scratch);
            return;
        }
        let mut buf = [0u8; 4];
        for ch in s.chars() {
            let cp = ch as usize;
            if ch.is_ascii() {
                out.push(ch as u8);
            } else if let Some(e) = self.cache.get(cp).filter(|e| e[0] > 0) {
                out.extend_from_slice(&e[1..1 + e[0] as usize]);
            } else {
                let start = out.len();
                Self::encode_slow(self.enc, ch.encode_utf8(&mut buf), out, &mut self.scratch);
                let bytes = &out[start..];
                if let Some(slot) = self.cache.get_mut(cp)
                    && bytes.len() <= 4
                {
                    slot[0] = bytes.len() as u8;
                    slot[1..1 + bytes.len()].copy_from_slice(bytes);
                }
            }
        }
    }

    fn encode_slow(enc: &'static Encoding, s: &str, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        let mut encoder = enc.new_encoder();
        let mut src = s;
        loop {
            let need = encoder
                .max_buffer_length_from_utf8_if_no_unmappables(src.len())
                .unwrap_or(src.len() * 4 + 16)
                + 16;
            // A small buffer of its own: the encoder initialises all spare capacity.
            scratch.clear();
            scratch.reserve(need);
            let (result, read, _) = encoder.encode_from_utf8_to_vec(src, scratch, true);
            out.extend_from_slice(scratch);
            src = &src[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
    }
}

fn float_decimals(v: f64) -> usize {
    let s = format!("{v}");
    s.split_once('.').map_or(0, |(_, f)| f.len()).min(15)
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
        Value::Text(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

fn float_of(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Text(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

fn date_of(v: &Value) -> Option<String> {
    let s = match v {
        Value::Date(s) | Value::Text(s) => s.trim(),
        _ => return None,
    };
    let digits: String = s.chars().filter(|c| *c != '-' && *c != '/').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
    match (n(0..4), n(4..6), n(6..8)) {
        (Some(y), Some(m), Some(d)) if valid_date(y, m, d) => Some(digits),
        _ => None,
    }
}

fn text_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    v.as_text()
}

fn value(rows: &[Vec<Value>], r: usize, f: usize) -> &Value {
    static NULL: Value = Value::Null;
    rows.get(r).and_then(|row| row.get(f)).unwrap_or(&NULL)
}

fn layouts(
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    enc: &'static Encoding,
    text_width: usize,
) -> Vec<Layout> {
    let mut text_encoder = TextEncoder::new(enc);
    fields
        .iter()
        .enumerate()
        .map(|(f, def)| match def.kind {
            FieldKind::Text => {
                // Encode every value once, into one buffer, and size the field.
                let mut arena = Vec::new();
                let mut spans = Vec::with_capacity(rows.len());
                let mut width = text_width.max(1);
                for r in 0..rows.len() {
                    let Some(t) = text_of(value(rows, r, f)) else {
                        spans.push(None);
                        continue;
                    };
                    let start = arena.len();
                    text_encoder.encode_into(&t, &mut arena);
                    width = width.max(arena.len() - start);
                    spans.push(Some(start..arena.len()));
                }
                Layout {
                    code: b'C',
                    width: width.min(254),
                    decimals: 0,
                    encoded: Some(EncodedText { arena, spans }),
                }
            }
            FieldKind::Integer => {
                let width = (0..rows.len())
                    .filter_map(|r| int_of(value(rows, r, f)))
                    .map(|i| i.to_string().len())
                    .max()
                    .unwrap_or(1)
                    .max(1);
                Layout {
                    code: b'N',
                    width,
                    decimals: 0,
                    encoded: None,
                }
            }
            FieldKind::Float => {
                let vals = (0..rows.len()).filter_map(|r| float_of(value(rows, r, f)));
                let decimals = vals.clone().map(float_decimals).max().unwrap_or(1).max(1);
                let width = vals
                    .map(|v| format!("{v:.decimals$}").len())
                    .filter(|&l| l <= 254)
                    .max()
                    .unwrap_or(decimals + 2)
                    .max(decimals + 2);
                Layout {
                    code: b'N',
                    width: width.min(254),
                    decimals,
                    encoded: None,
                }
            }
            FieldKind::Bool => Layout {
                code: b'L',
                width: 1,
                decimals: 0,
                encoded: None,
            },
            FieldKind::Date => Layout {
                code: b'D',
                width: 8,
                decimals: 0,
                encoded: None,
            },
        })
        .collect()
}

/// Today's UTC date as (years since 1900, month, day) for the DBF header.
fn today() -> (u8, u8, u8) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (((y - 1900).clamp(0, 255)) as u8, m as u8, d as u8)
}

fn write_dbf(
    dbf_path: &Path,
    tmp: &Path,
    n: usize,
    fields: &[FieldDef],
    rows: &[Vec<Value>],
    opts: &ShapefileWriteOptions,
) -> Result<WriteReport, IoError> {
    let enc = opts.encoding;
    let mut report = WriteReport::default();
    let names = field_names(fields, enc);
    for (f, name) in fields.iter().zip(&names) {
        let written = enc.decode_without_bom_handling(name).0.into_owned();
        if written != f.name {
            report.renamed_fields.push((f.name.clone(), written));
        }
    }
    let lay = layouts(fields, rows, enc, opts.text_width);
    let record_len = 1 + lay.iter().map(|l| l.width).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    if record_len > u16::MAX as usize || header_len > u16::MAX as usize {
        return Err(invalid(
            dbf_path,
            "too many or too wide fields for a .dbf (records are limited to 65535 bytes)",
        ));
    }
    let record_count =
        u32::try_from(n).map_err(|_| invalid(dbf_path, "too many records for a .dbf"))?;
    let mut w = create(tmp)?;
    let io = |e| IoError::io(tmp, e);
    let mut h = [0u8; 32];
    h[0] = 0x03;
    let (y, m, d) = today();
    h[1] = y;
    h[2] = m;
    h[3] = d;
    h[4..8].copy_from_slice(&record_count.to_le_bytes());
    h[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    h[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
    h[29] = opts.ldid.unwrap_or_else(|| ldid_for_encoding(enc));
    w.write_all(&h).map_err(io)?;
    for (name, l) in names.iter().zip(&lay) {
        let mut desc = [0u8; 32];
        desc[..name.len().min(10)].copy_from_slice(&name[..name.len().min(10)]);
        desc[11] = l.code;
        desc[16] = l.width as u8;
        desc[17] = l.decimals as u8;
        w.write_all(&desc).map_err(io)?;
    }
    w.write_all(&[0x0D]).map_err(io)?;
    let mut rec: Vec<u8> = Vec::with_capacity(record_len);
    for r in 0..n {
        rec.clear();
        rec.push(b' ');
        for (f, (def, l)) in fields.iter().zip(&lay).enumerate() {
            let v = value(rows, r, f);
            let start = rec.len();
            let dropped = |why: &str, report: &mut WriteReport| {
                report
                    .dropped_values
                    .push((r, def.name.clone(), why.to_string()));
            };
            match l.code {
                b'C' => {
                    let span = l
                        .encoded
                        .as_ref()
                        .and_then(|e| Some((&e.arena, e.spans.get(r)?.clone()?)));
                    if let Some((arena, span)) = span {
                        if span.len() <= l.width {
                            rec.extend_from_slice(&arena[span]);
                        } else if let Some(t) = text_of(v) {
                            let (b, _) = encode_cut(&t, enc, l.width);
                            report.truncated_values.push((r, def.name.clone()));
                            rec.extend_from_slice(&b);
                        }
                    }
                }
                b'N' if l.decimals == 0 => match int_of(v) {
                    Some(i) => {
                        let s = i.to_string();
                        rec.resize(start + l.width - s.len(), b' ');
                        rec.extend_from_slice(s.as_bytes());
                    }
                    None if v.is_null() => {}
                    None => dropped("not an integer", &mut report),
                },
                b'N' => match float_of(v) {
                    Some(x) => {
                        let s = format!("{x:.*}", l.decimals);
                        if s.len() <= l.width {
                            rec.resize(start + l.width - s.len(), b' ');
                            rec.extend_from_slice(s.as_bytes());
                        } else {
                            dropped("number too long for a .dbf field", &mut report);
                        }
                    }
                    None if v.is_null() => {}
                    None => dropped("not a number", &mut report),
                },
                b'L' => rec.push(match v {
                    Value::Bool(true) => b'T',
                    Value::Bool(false) => b'F',
                    Value::Null => b'?',
                    _ => {
                        dropped("not a true/false value", &mut report);
                        b'?'
                    }
                }),
                _ => match date_of(v) {
                    Some(d) => rec.extend_from_slice(d.as_bytes()),
                    None if v.is_null() => {}
                    None => dropped("not a date (YYYY-MM-DD)", &mut report),
                },
            }
            rec.resize(start + l.width, b' ');
        }
        w.write_all(&rec).map_err(io)?;
    }
    w.write_all(&[0x1A]).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caching_text_encoder_matches_encoding_rs() {
        let samples = [
            "锅炉 A",
            "水源地保护区一级",
            "Ünïcödé",
            "emoji 😀 and 𠀀",
            "",
            "ascii",
        ];
        for enc in [
            GBK,
            encoding_rs::GB18030,
            encoding_rs::UTF_8,
            encoding_rs::BIG5,
        ] {
            let mut te = TextEncoder::new(enc);
            for _ in 0..2 {
                for s in samples {
                    let mut out = Vec::new();
                    te.encode_into(s, &mut out);
                    assert_eq!(out, enc.encode(s).0.into_owned(), "{} {s}", enc.name());
                }
            }
        }
    }

    #[test]
    fn values_are_cut_on_character_boundaries() {
        let (b, cut) = encode_cut("保护区级别", GBK, 5);
        assert!(cut);
        assert_eq!(b, GBK.encode("保护").0.into_owned());
        let (b, cut) = encode_cut("保护区", encoding_rs::UTF_8, 8);
        assert!(cut);
        assert_eq!(b, "保护".as_bytes());
        assert_eq!(encode_cut("abc", GBK, 3), (b"abc".to_vec(), false));
    }

    #[test]
    fn field_names_are_unique_ignoring_case() {
        let f = |n: &str| FieldDef {
            name: n.into(),
            kind: FieldKind::Text,
        };
        let names = field_names(&[f("Name"), f("NAME"), f(""), f("name")], GBK);
        let names: Vec<String> = names
            .iter()
            .map(|n| String::from_utf8(n.clone()).unwrap())
            .collect();
        assert_eq!(names, ["Name", "NAME_1", "FIELD3", "name_2"]);
    }

    #[test]
    fn dates_are_checked_before_writing() {
        assert_eq!(
            date_of(&Value::Date("2019-10-31".into())).as_deref(),
            Some("20191031")
        );
        assert_eq!(
            date_of(&Value::Text("2019/02/28".into())).as_deref(),
            Some("20190228")
        );
        assert_eq!(date_of(&Value::Date("2019-02-30".into())), None);
        assert_eq!(date_of(&Value::Int(20190101)), None);
    }

    #[test]
    fn mismatched_geometries_are_refused_and_leave_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("x.shp");
        let geoms = vec![
            Some(Geometry::Point(geo_types::Point::new(1.0, 1.0))),
            Some(Geometry::LineString(LineString::from(vec![
                (0.0, 0.0),
                (1.0, 1.0),
            ]))),
        ];
        let e = write_shapefile(&shp, &geoms, &[], &[], &ShapefileWriteOptions::default());
        assert!(e.unwrap_err().to_string().contains("record 1"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn text_fields_are_as_wide_as_asked_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let geoms = vec![Some(Geometry::Point(geo_types::Point::new(1.0, 1.0))); 2];
        let fields = vec![crate::model::FieldDef {
            name: "单位名称".into(),
            kind: FieldKind::Text,
        }];
        let rows = vec![vec![Value::Text("迎泽区锅炉".into())], vec![Value::Null]];
        let read = |width: usize| {
            let shp = dir.path().join(format!("w{width}.shp"));
            let opts = ShapefileWriteOptions {
                text_width: width,
                ..Default::default()
            };
            write_shapefile(&shp, &geoms, &fields, &rows, &opts).unwrap();
            let bytes = std::fs::read(shp.with_extension("dbf")).unwrap();
            let layer = crate::io::read_path(&shp, &Default::default())
                .unwrap()
                .remove(0);
            let values: Vec<_> = layer.features.iter().map(|f| f.attrs.clone()).collect();
            // The first field descriptor's length byte.
            (bytes[32 + 16], values)
        };
        let (tight, tight_values) = read(0);
        assert_eq!(tight, 10, "GBK bytes of the longest value");
        assert_eq!(read(100), (100, tight_values.clone()));
        assert_eq!(read(300), (254, tight_values));
    }

    #[test]
    fn rewriting_a_set_without_cpg_or_prj_removes_the_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("x.shp");
        let geoms = vec![Some(Geometry::Point(geo_types::Point::new(1.0, 1.0)))];
        let with = ShapefileWriteOptions {
            prj: Some("GEOGCS[]".into()),
            ..Default::default()
        };
        write_shapefile(&shp, &geoms, &[], &[], &with).unwrap();
        assert!(shp.with_extension("cpg").exists() && shp.with_extension("prj").exists());
        let without = ShapefileWriteOptions {
            write_cpg: false,
            ..Default::default()
        };
        write_shapefile(&shp, &geoms, &[], &[], &without).unwrap();
        assert!(!shp.with_extension("cpg").exists());
        assert!(!shp.with_extension("prj").exists());
        assert!(shp.with_extension("dbf").exists() && shp.with_extension("shx").exists());
    }

    #[test]
    fn rects_triangles_and_lines_are_written_as_their_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("r.shp");
        let rect = geo_types::Rect::new((0.0, 0.0), (2.0, 1.0));
        let tri = geo_types::Triangle::new((0.0, 0.0).into(), (1.0, 0.0).into(), (0.0, 1.0).into());
        let geoms = vec![Some(Geometry::Rect(rect)), Some(Geometry::Triangle(tri))];
        write_shapefile(&shp, &geoms, &[], &[], &ShapefileWriteOptions::default()).unwrap();
        let layer = crate::io::shp::read_shapefile(&shp, &Default::default())
            .unwrap()
            .layer;
        use geo::Area;
        let areas: Vec<f64> = layer
            .features
            .iter()
            .map(|f| f.geometry.as_ref().unwrap().unsigned_area())
            .collect();
        assert_eq!(areas, vec![2.0, 0.5]);
        let line = geo_types::Line::new((0.0, 0.0), (3.0, 4.0));
        write_shapefile(
            &shp,
            &[Some(Geometry::Line(line))],
            &[],
            &[],
            &Default::default(),
        )
        .unwrap();
        let layer = crate::io::shp::read_shapefile(&shp, &Default::default())
            .unwrap()
            .layer;
        assert_eq!(
            layer.features[0].geometry,
            Some(Geometry::LineString(LineString::from(vec![
                (0.0, 0.0),
                (3.0, 4.0)
            ])))
        );
    }
}
