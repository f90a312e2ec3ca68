//! Hostile and damaged `.zip` archives. The size-limit cases need the limits
//! lowered through the environment and run through the binary (see `cli.rs`).

use std::io::Write;

use ::zip::write::SimpleFileOptions;
use qingling::model::ProblemLevel;

use super::*;

/// A zip at `path` with the given members (name, bytes), deflated.
pub fn write_zip(path: &Path, members: &[(&str, Vec<u8>)]) {
    let mut w = ::zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(::zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// The files of a 3-point shapefile set as zip members under `prefix`.
pub fn set_members(prefix: &str, exts: &[&str]) -> Vec<(String, Vec<u8>)> {
    let d = tmp();
    let shp = write_points(d.path(), "点", 3);
    exts.iter()
        .map(|ext| {
            (
                format!("{prefix}.{ext}"),
                std::fs::read(sibling(&shp, ext)).unwrap(),
            )
        })
        .collect()
}

fn as_refs(v: &[(String, Vec<u8>)]) -> Vec<(&str, Vec<u8>)> {
    v.iter().map(|(n, b)| (n.as_str(), b.clone())).collect()
}

/// Rewrites the declared uncompressed size of member `name` (local and central
/// headers) to `size`.
pub fn lie_about_size(path: &Path, name: &str, size: u32) {
    let mut b = std::fs::read(path).unwrap();
    let name = name.as_bytes();
    let mut i = 0;
    while i + 46 <= b.len() {
        let u16_at = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as usize;
        match &b[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] if &b[i + 30..i + 30 + u16_at(&b, i + 26)] == name => {
                b[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
                i += 30;
            }
            [0x50, 0x4b, 0x01, 0x02] if &b[i + 46..i + 46 + u16_at(&b, i + 28)] == name => {
                b[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                i += 46;
            }
            _ => i += 1,
        }
    }
    std::fs::write(path, b).unwrap();
}

const ALL: [&str; 5] = ["shp", "shx", "dbf", "cpg", "prj"];

#[test]
fn members_with_path_traversal_names_are_never_opened_only_reported() {
    let d = tmp();
    let inner = d.path().join("内层");
    std::fs::create_dir(&inner).unwrap();
    let zip_path = inner.join("上报.zip");
    let mut members = set_members("好/点", &ALL);
    members.extend(set_members("../../逃逸", &["shp", "dbf"]));
    members.extend(set_members("/etc/绝对", &["shp"]));
    write_zip(&zip_path, &as_refs(&members));
    let layers = read_path(&zip_path, &ReadOptions::default()).unwrap();
    assert_eq!(layers.len(), 1, "only the safe set is read");
    let layer = &layers[0];
    assert_eq!(with_geometry(layer), vec![0, 1, 2]);
    assert_file_problem(
        layer,
        ProblemLevel::Warning,
        "member \"../../逃逸.shp\" has an unsafe path (.. or absolute) and was ignored",
    );
    assert_file_problem(
        layer,
        ProblemLevel::Warning,
        "member \"/etc/绝对.shp\" has an unsafe path",
    );
    // Nothing was written anywhere.
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    assert_eq!(std::fs::read_dir(&inner).unwrap().count(), 1);
}

#[test]
fn a_zip_holding_only_traversal_names_is_refused_naming_them() {
    let d = tmp();
    let zip_path = d.path().join("只有逃逸.zip");
    write_zip(&zip_path, &as_refs(&set_members("../x", &ALL)));
    let (e, msg) = load_err(&zip_path);
    assert!(matches!(e, IoError::Missing { .. }), "{e:?}");
    assert_names(
        &msg,
        &zip_path,
        "the zip holds no .shp file (members with unsafe paths were ignored: ../x.shp",
    );
}

#[test]
fn a_file_that_is_not_a_zip_is_refused() {
    let d = tmp();
    let zip_path = d.path().join("假压缩包.zip");
    std::fs::write(&zip_path, "PK but not really a zip archive").unwrap();
    let (_, msg) = load_err(&zip_path);
    assert_names(&msg, &zip_path, "not a readable zip archive");
}

#[test]
fn a_truncated_upload_of_a_zip_is_refused() {
    let d = tmp();
    let zip_path = d.path().join("上传中断.zip");
    write_zip(&zip_path, &as_refs(&set_members("点", &ALL)));
    let len = std::fs::metadata(&zip_path).unwrap().len() as usize;
    truncate(&zip_path, len * 2 / 3);
    let (_, msg) = load_err(&zip_path);
    assert_names(&msg, &zip_path, "not a readable zip archive");
}

#[test]
fn a_half_copied_set_in_a_zip_loads_its_geometry_with_a_warning() {
    let d = tmp();
    let zip_path = d.path().join("半套.zip");
    write_zip(&zip_path, &as_refs(&set_members("点", &["shp", "prj"])));
    let layer = load(&zip_path);
    assert_eq!(with_geometry(&layer), vec![0, 1, 2]);
    assert_file_problem(&layer, ProblemLevel::Warning, "no .dbf next to the .shp");
}

#[test]
fn a_member_inflating_past_its_declared_size_is_refused_naming_it() {
    // A bomb that lies: the .dbf declares 100 bytes and inflates to 8 MiB.
    // The zip reader stops at the declared size, so nothing is allocated for more.
    let d = tmp();
    let zip_path = d.path().join("谎报大小.zip");
    let mut members = set_members("点", &["shp", "shx"]);
    members.push(("点.dbf".into(), vec![0u8; 8 << 20]));
    write_zip(&zip_path, &as_refs(&members));
    lie_about_size(&zip_path, "点.dbf", 100);
    let (a, b) = within_secs(10, move || {
        let r = read_path(&zip_path, &ReadOptions::default());
        (r.map_err(|e| e.to_string()), zip_path)
    });
    let msg = a.unwrap_err();
    assert_names(
        &msg,
        &b,
        "member \"点.dbf\" cannot be read: File is larger than its declared uncompressed size",
    );
}
