//! PMTiles v3 basemaps: one file holding a 127-byte header, a root directory, JSON
//! metadata, leaf directories and the tile data, read with plain seeks (no server).
//!
//! A directory is a list of entries `(tile_id, offset, length, run_length)` stored as
//! varint columns (ids delta-coded, an offset of 0 meaning "right after the previous
//! entry"), possibly gzip-compressed. Tile ids number the tiles of each zoom level
//! along a Hilbert curve after all tiles of the lower levels. An entry with a run
//! length of 0 points to a leaf directory for the ids from its own up to the next
//! entry's. Spec: <https://github.com/protomaps/PMTiles/blob/main/spec/v3/spec.md>.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::mbtiles::plain_text;
use super::{LonLatBounds, MAX_ZOOM, SourceInfo, TileError, TileId, TileSource};

/// Size of the fixed header.
pub const HEADER_LEN: usize = 127;
/// Directories, metadata and tiles larger than this after decompression are refused
/// (a corrupt length must not allocate gigabytes).
const MAX_SECTION_BYTES: u64 = 64 << 20;
/// Leaf directories kept parsed.
const LEAF_CACHE: usize = 64;
/// Directory levels followed at most (root + 3 leaf levels, as the spec allows).
const MAX_DEPTH: usize = 4;

/// Compression of directories, metadata or tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    Unknown,
    None,
    Gzip,
    Brotli,
    Zstd,
}

impl Compression {
    fn from_byte(b: u8) -> Option<Compression> {
        Some(match b {
            0 => Compression::Unknown,
            1 => Compression::None,
            2 => Compression::Gzip,
            3 => Compression::Brotli,
            4 => Compression::Zstd,
            _ => return None,
        })
    }
}

/// The fields of the header this reader uses.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    pub root_offset: u64,
    pub root_length: u64,
    pub metadata_offset: u64,
    pub metadata_length: u64,
    pub leaf_offset: u64,
    pub leaf_length: u64,
    pub data_offset: u64,
    pub data_length: u64,
    pub internal_compression: Compression,
    pub tile_compression: Compression,
    /// 0 unknown, 1 MVT, 2 PNG, 3 JPEG, 4 WebP, 5 AVIF.
    pub tile_type: u8,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees.
    pub bounds: [f64; 4],
}

impl Header {
    /// Parse the 127 header bytes.
    pub fn parse(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN {
            return Err(format!(
                "the file is {} bytes, shorter than the {HEADER_LEN}-byte header",
                b.len()
            ));
        }
        if &b[0..7] != b"PMTiles" {
            return Err("it does not start with \"PMTiles\"".into());
        }
        if b[7] != 3 {
            return Err(format!(
                "it is version {}; only version 3 is supported (convert it with `pmtiles convert`)",
                b[7]
            ));
        }
        let u64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(a)
        };
        let deg_at = |i: usize| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[i..i + 4]);
            f64::from(i32::from_le_bytes(a)) / 1e7
        };
        let compression = |i: usize, what: &str| {
            Compression::from_byte(b[i])
                .ok_or_else(|| format!("unknown {what} compression {}", b[i]))
        };
        Ok(Header {
            root_offset: u64_at(8),
            root_length: u64_at(16),
            metadata_offset: u64_at(24),
            metadata_length: u64_at(32),
            leaf_offset: u64_at(40),
            leaf_length: u64_at(48),
            data_offset: u64_at(56),
            data_length: u64_at(64),
            internal_compression: compression(97, "directory")?,
            tile_compression: compression(98, "tile")?,
            tile_type: b[99],
            min_zoom: b[100],
            max_zoom: b[101],
            bounds: [deg_at(102), deg_at(106), deg_at(110), deg_at(114)],
        })
    }
}

/// One directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub tile_id: u64,
    /// Relative to the tile data section (tiles) or the leaf section (leaves).
    pub offset: u64,
    pub length: u32,
    /// Consecutive tile ids sharing these bytes; 0 for a leaf directory.
    pub run_length: u32,
}

/// The PMTiles id of a tile: the tiles of all lower zooms, then the Hilbert index.
pub fn tile_id(t: TileId) -> u64 {
    let z = u32::from(t.z);
    let before = ((1u64 << (2 * z)) - 1) / 3;
    let n = 1u64 << z;
    let (mut x, mut y) = (u64::from(t.x), u64::from(t.y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so the curve stays continuous.
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    before + d
}

/// Read one unsigned LEB128 varint at `*pos`.
fn read_varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&byte) = buf.get(*pos) else {
            return Err("a directory ends in the middle of a number".into());
        };
        *pos += 1;
        let bits = u64::from(byte & 0x7F);
        if shift == 63 && bits > 1 {
            return Err("a directory number is too large".into());
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a directory number is too long".into())
}

/// Parse a decompressed directory.
pub fn parse_directory(buf: &[u8]) -> Result<Vec<Entry>, String> {
    let mut pos = 0;
    let n = read_varint(buf, &mut pos)?;
    // Each entry takes at least four bytes: a larger count is a corrupt directory.
    if n > buf.len() as u64 / 4 + 1 {
        return Err(format!(
            "a directory claims {n} entries in {} bytes",
            buf.len()
        ));
    }
    let n = n as usize;
    let mut entries = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0,
        };
        n
    ];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last
            .checked_add(read_varint(buf, &mut pos)?)
            .ok_or("a directory tile id overflows")?;
        e.tile_id = last;
    }
    let small = |v: u64, what: &str| u32::try_from(v).map_err(|_| format!("a {what} is too large"));
    for e in entries.iter_mut() {
        e.run_length = small(read_varint(buf, &mut pos)?, "run length")?;
    }
    for e in entries.iter_mut() {
        e.length = small(read_varint(buf, &mut pos)?, "length")?;
    }
    for i in 0..n {
        let v = read_varint(buf, &mut pos)?;
        entries[i].offset = if v == 0 && i > 0 {
            let prev = entries[i - 1];
            prev.offset
                .checked_add(u64::from(prev.length))
                .ok_or("a directory offset overflows")?
        } else if v == 0 {
            return Err("the first directory entry has no offset".into());
        } else {
            v - 1
        };
    }
    Ok(entries)
}

/// The entry holding `id`: a tile run that contains it, or the leaf directory that
/// covers it.
pub fn find_entry(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = entries.partition_point(|e| e.tile_id <= id);
    let e = *entries.get(i.checked_sub(1)?)?;
    if e.run_length == 0 || id - e.tile_id < u64::from(e.run_length) {
        Some(e)
    } else {
        None
    }
}

/// Parsed leaf directories by (offset, length).
type LeafCache = HashMap<(u64, u32), Arc<Vec<Entry>>>;

/// An open PMTiles archive.
pub struct PmTiles {
    path: PathBuf,
    file: Mutex<File>,
    file_len: u64,
    header: Header,
    root: Vec<Entry>,
    leaves: Mutex<LeafCache>,
    info: SourceInfo,
}

impl PmTiles {
    /// Open `path`: read and check the header, the root directory and the metadata.
    pub fn open(path: &Path) -> Result<PmTiles, TileError> {
        let io = |source| TileError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut head = Vec::with_capacity(HEADER_LEN);
        file.by_ref()
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(io)?;
        let bad = |problem: String| TileError::PmTiles {
            path: path.to_path_buf(),
            problem,
        };
        let header = Header::parse(&head).map_err(bad)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        match header.tile_type {
            1 => return Err(TileError::VectorTiles { what: name }),
            0 | 2..=4 => {}
            5 => {
                return Err(TileError::UnsupportedFormat {
                    what: name,
                    format: "AVIF".into(),
                });
            }
            t => return Err(bad(format!("unknown tile type {t}"))),
        }
        let max_zoom = header.max_zoom.min(MAX_ZOOM);
        let [west, south, east, north] = header.bounds;
        let bounds = LonLatBounds::parse(&format!("{west},{south},{east},{north}"));
        let mut archive = PmTiles {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            file_len,
            header,
            root: Vec::new(),
            leaves: Mutex::new(HashMap::new()),
            info: SourceInfo {
                name,
                min_zoom: 0,
                max_zoom,
                bounds,
                attribution: None,
            },
        };
        archive.info.min_zoom = archive.header.min_zoom.min(max_zoom);
        let h = &archive.header;
        let root = archive.read_section(h.root_offset, h.root_length, h.internal_compression)?;
        archive.root = parse_directory(&root).map_err(bad)?;
        // The credit is optional: unreadable metadata only loses it.
        let h = &archive.header;
        if h.metadata_length > 0
            && let Ok(meta) =
                archive.read_section(h.metadata_offset, h.metadata_length, h.internal_compression)
            && let Ok(json) = serde_json::from_slice::<serde_json::Value>(&meta)
        {
            archive.info.attribution = json
                .get("attribution")
                .and_then(|a| a.as_str())
                .map(plain_text)
                .filter(|a| !a.is_empty());
        }
        Ok(archive)
    }

    fn error(&self, problem: String) -> TileError {
        TileError::PmTiles {
            path: self.path.clone(),
            problem,
        }
    }

    /// Bytes `offset..offset+length` of the file, decompressed.
    fn read_section(
        &self,
        offset: u64,
        length: u64,
        compression: Compression,
    ) -> Result<Vec<u8>, TileError> {
        let end = offset
            .checked_add(length)
            .filter(|end| *end <= self.file_len)
            .ok_or_else(|| {
                self.error(format!(
                    "it is truncated or corrupt: bytes {offset}..{} are needed but the file has {}",
                    offset.saturating_add(length),
                    self.file_len
                ))
            })?;
        if length > MAX_SECTION_BYTES {
            return Err(self.error(format!("a section of {length} bytes is too large")));
        }
        let mut buf = vec![0u8; (end - offset) as usize];
        {
            let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
            f.seek(SeekFrom::Start(offset))
                .and_then(|_| f.read_exact(&mut buf))
                .map_err(|source| TileError::Io {
                    path: self.path.clone(),
                    source,
                })?;
        }
        match compression {
            Compression::None | Compression::Unknown => Ok(buf),
            Compression::Gzip => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&buf[..])
                    .take(MAX_SECTION_BYTES + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| self.error(format!("gzip data is corrupt: {e}")))?;
                if out.len() as u64 > MAX_SECTION_BYTES {
                    return Err(self.error("a section inflates to more than 64 MiB".into()));
                }
                Ok(out)
            }
            c @ (Compression::Brotli | Compression::Zstd) => Err(self.error(format!(
                "{c:?} compression is not supported (use gzip or none)"
            ))),
        }
    }

    /// A leaf directory, parsed once and kept.
    fn leaf(&self, e: Entry) -> Result<Arc<Vec<Entry>>, TileError> {
        let key = (e.offset, e.length);
        if let Some(dir) = self
            .leaves
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(dir.clone());
        }
        let h = &self.header;
        if e.offset.saturating_add(u64::from(e.length)) > h.leaf_length {
            return Err(self.error("a leaf directory lies outside the leaf section".into()));
        }
        let bytes = self.read_section(
            h.leaf_offset.saturating_add(e.offset),
            u64::from(e.length),
            h.internal_compression,
        )?;
        let dir = Arc::new(parse_directory(&bytes).map_err(|p| self.error(p))?);
        let mut leaves = self.leaves.lock().unwrap_or_else(|p| p.into_inner());
        if leaves.len() >= LEAF_CACHE {
            leaves.clear();
        }
        leaves.insert(key, dir.clone());
        Ok(dir)
    }
}

impl TileSource for PmTiles {
    fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fetch(&self, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let id = tile_id(t);
        let mut leaf: Option<Arc<Vec<Entry>>> = None;
        for _ in 0..MAX_DEPTH {
            let dir: &[Entry] = leaf.as_deref().map_or(&self.root, |v| v);
            let Some(e) = find_entry(dir, id) else {
                return Ok(None);
            };
            if e.run_length > 0 {
                let h = &self.header;
                if e.offset.saturating_add(u64::from(e.length)) > h.data_length {
                    return Err(self.error(format!("tile {t} lies outside the tile data")));
                }
                return self
                    .read_section(
                        h.data_offset.saturating_add(e.offset),
                        u64::from(e.length),
                        h.tile_compression,
                    )
                    .map(Some);
            }
            leaf = Some(self.leaf(e)?);
        }
        Err(self.error("its directories nest deeper than four levels".into()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::gui::map::tiles::test_png::solid_png;
    use std::io::Write;

    fn push_varint(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let byte = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn encode_directory(entries: &[Entry]) -> Vec<u8> {
        let mut out = Vec::new();
        push_varint(&mut out, entries.len() as u64);
        let mut last = 0;
        for e in entries {
            push_varint(&mut out, e.tile_id - last);
            last = e.tile_id;
        }
        for e in entries {
            push_varint(&mut out, u64::from(e.run_length));
        }
        for e in entries {
            push_varint(&mut out, u64::from(e.length));
        }
        for (i, e) in entries.iter().enumerate() {
            let follows =
                i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
            push_varint(&mut out, if follows { 0 } else { e.offset + 1 });
        }
        out
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// How a test archive is laid out.
    pub struct Layout {
        pub gzip_directories: bool,
        /// Put the entries in a leaf directory behind a one-entry root.
        pub leaf: bool,
        pub tile_type: u8,
        pub attribution: Option<&'static str>,
    }

    /// Write a PMTiles v3 archive holding `tiles` (one entry each, run length 1).
    pub fn write_pmtiles(path: &Path, tiles: &[(TileId, Vec<u8>)], layout: &Layout) {
        let mut sorted: Vec<(u64, &Vec<u8>)> =
            tiles.iter().map(|(t, d)| (tile_id(*t), d)).collect();
        sorted.sort_by_key(|(id, _)| *id);
        let mut data = Vec::new();
        let mut entries = Vec::new();
        for (id, bytes) in &sorted {
            entries.push(Entry {
                tile_id: *id,
                offset: data.len() as u64,
                length: bytes.len() as u32,
                run_length: 1,
            });
            data.extend_from_slice(bytes);
        }
        let pack = |d: Vec<u8>| if layout.gzip_directories { gzip(&d) } else { d };
        let (root, leaves) = if layout.leaf {
            let leaf = pack(encode_directory(&entries));
            let root = encode_directory(&[Entry {
                tile_id: entries.first().map_or(0, |e| e.tile_id),
                offset: 0,
                length: leaf.len() as u32,
                run_length: 0,
            }]);
            (pack(root), leaf)
        } else {
            (pack(encode_directory(&entries)), Vec::new())
        };
        let meta = pack(
            serde_json::json!({ "attribution": layout.attribution.unwrap_or("") })
                .to_string()
                .into_bytes(),
        );
        let root_off = HEADER_LEN as u64;
        let meta_off = root_off + root.len() as u64;
        let leaf_off = meta_off + meta.len() as u64;
        let data_off = leaf_off + leaves.len() as u64;
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(b"PMTiles");
        h.push(3);
        for v in [
            root_off,
            root.len() as u64,
            meta_off,
            meta.len() as u64,
            leaf_off,
            leaves.len() as u64,
            data_off,
            data.len() as u64,
            entries.len() as u64,
            entries.len() as u64,
            entries.len() as u64,
        ] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.push(1); // clustered
        h.push(if layout.gzip_directories { 2 } else { 1 });
        h.push(1); // tiles uncompressed
        h.push(layout.tile_type);
        h.push(tiles.iter().map(|(t, _)| t.z).min().unwrap_or(0));
        h.push(tiles.iter().map(|(t, _)| t.z).max().unwrap_or(0));
        for deg in [100.0f64, 20.0, 120.0, 45.0] {
            h.extend_from_slice(&((deg * 1e7) as i32).to_le_bytes());
        }
        h.push(0); // centre zoom
        h.extend_from_slice(&[0u8; 8]); // centre lon, lat
        assert_eq!(h.len(), HEADER_LEN);
        let mut file = h;
        for part in [&root, &meta, &leaves, &data] {
            file.extend_from_slice(part);
        }
        std::fs::write(path, file).unwrap();
    }

    fn two_tiles() -> Vec<(TileId, Vec<u8>)> {
        vec![
            (
                TileId::new(12, 3324, 1547).unwrap(),
                solid_png(16, [200, 30, 30, 255]),
            ),
            (
                TileId::new(11, 1662, 773).unwrap(),
                solid_png(16, [30, 30, 200, 255]),
            ),
        ]
    }

    #[test]
    fn tile_ids_follow_the_hilbert_curve_of_the_spec() {
        let id = |z, x, y| tile_id(TileId::new(z, x, y).unwrap());
        assert_eq!(id(0, 0, 0), 0);
        assert_eq!(id(1, 0, 0), 1);
        assert_eq!(id(1, 0, 1), 2);
        assert_eq!(id(1, 1, 1), 3);
        assert_eq!(id(1, 1, 0), 4);
        assert_eq!(id(2, 0, 0), 5);
        assert_eq!(id(12, 3423, 1763), 19_078_479);
        // Consecutive ids of a level are neighbouring tiles, and every id is used once.
        let z = 4;
        let mut by_id: Vec<(u64, u32, u32)> = (0..16)
            .flat_map(|x| (0..16).map(move |y| (id(z, x, y), x, y)))
            .collect();
        by_id.sort();
        assert_eq!(by_id.first().unwrap().0, 85);
        for w in by_id.windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1);
            let step = w[0].1.abs_diff(w[1].1) + w[0].2.abs_diff(w[1].2);
            assert_eq!(step, 1, "{w:?}");
        }
    }

    #[test]
    fn varints_and_directories_decode() {
        let buf = [0u8, 1, 127, 0xe5, 0x8e, 0x26];
        let mut pos = 0;
        let got: Vec<u64> = (0..4)
            .map(|_| read_varint(&buf, &mut pos).unwrap())
            .collect();
        assert_eq!(got, vec![0, 1, 127, 624_485]);
        assert!(read_varint(&[0x80, 0x80], &mut 0).is_err());
        let entries = vec![
            Entry {
                tile_id: 5,
                offset: 0,
                length: 10,
                run_length: 1,
            },
            Entry {
                tile_id: 6,
                offset: 10,
                length: 7,
                run_length: 3,
            },
            Entry {
                tile_id: 20,
                offset: 100,
                length: 7,
                run_length: 0,
            },
        ];
        assert_eq!(
            parse_directory(&encode_directory(&entries)).unwrap(),
            entries
        );
        assert_eq!(find_entry(&entries, 7).map(|e| e.tile_id), Some(6));
        assert_eq!(find_entry(&entries, 9), None, "past the run");
        assert_eq!(find_entry(&entries, 4), None);
        assert_eq!(
            find_entry(&entries, 500).map(|e| e.tile_id),
            Some(20),
            "leaf"
        );
        // A count larger than the bytes can hold is refused before allocating.
        let mut huge = Vec::new();
        push_varint(&mut huge, 1 << 40);
        assert!(parse_directory(&huge).is_err());
    }

    #[test]
    fn tiles_are_read_from_a_plain_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("basemap.pmtiles");
        let tiles = two_tiles();
        write_pmtiles(
            &path,
            &tiles,
            &Layout {
                gzip_directories: false,
                leaf: false,
                tile_type: 2,
                attribution: Some("<b>&copy; 测绘局</b>"),
            },
        );
        let p = PmTiles::open(&path).unwrap();
        for (t, bytes) in &tiles {
            assert_eq!(p.fetch(*t).unwrap().as_ref(), Some(bytes), "{t}");
        }
        assert_eq!(p.fetch(TileId::new(12, 0, 0).unwrap()).unwrap(), None);
        assert_eq!((p.info().min_zoom, p.info().max_zoom), (11, 12));
        assert_eq!(p.info().attribution.as_deref(), Some("© 测绘局"));
        assert_eq!(p.info().bounds.map(|b| b.north), Some(45.0));
    }

    #[test]
    fn tiles_are_read_through_gzipped_leaf_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leafy.pmtiles");
        let tiles = two_tiles();
        write_pmtiles(
            &path,
            &tiles,
            &Layout {
                gzip_directories: true,
                leaf: true,
                tile_type: 2,
                attribution: None,
            },
        );
        let p = PmTiles::open(&path).unwrap();
        for (t, bytes) in &tiles {
            assert_eq!(p.fetch(*t).unwrap().as_ref(), Some(bytes), "{t}");
            // Second time from the leaf cache.
            assert_eq!(p.fetch(*t).unwrap().as_ref(), Some(bytes), "{t}");
        }
        assert!(p.info().attribution.is_none());
    }

    #[test]
    fn vector_archives_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roads.pmtiles");
        write_pmtiles(
            &path,
            &two_tiles(),
            &Layout {
                gzip_directories: false,
                leaf: false,
                tile_type: 1,
                attribution: None,
            },
        );
        let err = PmTiles::open(&path).err().unwrap().to_string();
        assert!(
            err.contains("roads.pmtiles") && err.contains("vector tiles are not supported"),
            "{err}"
        );
    }

    #[test]
    fn truncated_or_corrupt_archives_give_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.pmtiles");
        let tiles = two_tiles();
        write_pmtiles(
            &path,
            &tiles,
            &Layout {
                gzip_directories: true,
                leaf: true,
                tile_type: 2,
                attribution: None,
            },
        );
        let full = std::fs::read(&path).unwrap();
        // Every cut either fails to open or fails to give all tiles back: never a panic
        // and never a wrong tile.
        for cut in [
            0,
            10,
            100,
            HEADER_LEN,
            HEADER_LEN + 5,
            full.len() - 40,
            full.len() - 1,
        ] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let outcome = PmTiles::open(&path).and_then(|p| {
                tiles
                    .iter()
                    .map(|(t, _)| p.fetch(*t))
                    .collect::<Result<Vec<_>, _>>()
            });
            match outcome {
                Err(e) => assert!(e.to_string().contains("cut.pmtiles"), "{e}"),
                Ok(got) => panic!("cut at {cut} read {} tiles", got.len()),
            }
        }
        // Flipped bytes in the directories and header: an error or a miss, no panic.
        for i in [8usize, 20, 97, 99, HEADER_LEN + 2, HEADER_LEN + 12] {
            let mut bad = full.clone();
            bad[i] ^= 0xFF;
            std::fs::write(&path, &bad).unwrap();
            if let Ok(p) = PmTiles::open(&path) {
                for (t, _) in &tiles {
                    let _ = p.fetch(*t);
                }
            }
        }
        std::fs::write(&path, b"not a pmtiles file at all, just some text....").unwrap();
        let err = PmTiles::open(&path).err().unwrap().to_string();
        assert!(
            err.contains("shorter than") || err.contains("does not start"),
            "{err}"
        );
    }
}
