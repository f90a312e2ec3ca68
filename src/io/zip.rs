//! Zipped shapefile sets: a `.zip` as the offices mail it, holding one or more sets,
//! possibly in subfolders and with GBK-encoded member names, opened without
//! extracting anything to disk.
//!
//! Members are read into memory under two limits ([`limits`](crate::io::limits)):
//! each member at most `MAX_FILE_BYTES`, the whole archive at most
//! `MAX_UNZIPPED_BYTES`, both enforced on the bytes actually inflated (a lying size
//! in the zip header cannot make it allocate more). Member names with `..` or an absolute path
//! are never opened; they are only reported.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::io::shp::{decode_sidecar_text, read_shapefile_bytes};
use crate::io::{IoError, ReadOptions, limits};
use crate::model::{Layer, Problem};

/// The default of the most bytes qingling inflates from one archive (2 GiB); the
/// limit in force is [`limits::MAX_UNZIPPED_BYTES`].
pub const MAX_UNCOMPRESSED: u64 = limits::MAX_UNZIPPED_BYTES.default;

/// Decodes a raw member name: UTF-8 when valid, otherwise GB18030 (Chinese Windows
/// zip tools write names in the system code page without saying so).
pub fn decode_member_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
    .replace('\\', "/")
}

/// True for names that could escape a folder if extracted (`..`, absolute paths).
pub fn is_unsafe_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    name.starts_with('/')
        || (bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic())
        || name.split('/').any(|c| c == "..")
}

struct Budget {
    left: u64,
    total: u64,
}

fn read_member(
    archive: &mut zip::ZipArchive<File>,
    zip_path: &Path,
    index: usize,
    name: &str,
    budget: &mut Budget,
) -> Result<Vec<u8>, IoError> {
    let corrupt = |e: &dyn std::fmt::Display| {
        IoError::corrupt(zip_path, format!("member \"{name}\" cannot be read: {e}"))
    };
    let member = archive.by_index(index).map_err(|e| corrupt(&e))?;
    if member.encrypted() {
        return Err(IoError::corrupt(
            zip_path,
            format!("member \"{name}\" is encrypted; unzip it with its password first"),
        )
        .with_zh(format!("压缩包成员“{name}”已加密；请先用密码解压")));
    }
    // Never reserve more than the limits allow, whatever the header says.
    let member_limit = limits::MAX_FILE_BYTES.value();
    let cap = budget.left.min(member_limit);
    let reserve = member.size().min(cap).min(64 << 20) as usize;
    let mut out = Vec::with_capacity(reserve);
    member
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| corrupt(&e))?;
    let got = out.len() as u64;
    if got > member_limit {
        return Err(IoError::corrupt(
            zip_path,
            limits::MAX_FILE_BYTES.message(format!(
                "member \"{name}\" unpacks to more than {} MiB",
                member_limit >> 20
            )),
        ));
    }
    if got > budget.left {
        return Err(IoError::corrupt(
            zip_path,
            format!(
                "{}; or unzip it and open the .shp files directly",
                limits::MAX_UNZIPPED_BYTES.message(format!(
                    "the archive unpacks to more than {} MiB (limit reached at member \"{name}\")",
                    budget.total >> 20
                ))
            ),
        ));
    }
    budget.left -= out.len() as u64;
    Ok(out)
}

/// Reads every shapefile set in a `.zip`: (member `.shp` name, layer, `.prj` text),
/// in member-name order. `layer.source` is the zip path, `layer.name` the member's
/// stem; problems name `zip path/member`.
pub fn read_zip(
    path: &Path,
    opts: &ReadOptions,
) -> Result<Vec<(String, Layer, Option<String>)>, IoError> {
    let file = File::open(path).map_err(|e| IoError::io(path, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| IoError::corrupt(path, format!("not a readable zip archive: {e}")))?;
    // (folder, lower-case stem) -> lower-case extension -> (member index, name)
    let mut sets: BTreeMap<(String, String), BTreeMap<String, (usize, String)>> = BTreeMap::new();
    let mut unsafe_names = Vec::new();
    for i in 0..archive.len() {
        let Ok(member) = archive.by_index_raw(i) else {
            continue;
        };
        if member.is_dir() {
            continue;
        }
        let name = decode_member_name(member.name_raw());
        if is_unsafe_name(&name) {
            unsafe_names.push(name);
            continue;
        }
        let (dir, file) = name.rsplit_once('/').unwrap_or(("", name.as_str()));
        let Some((stem, ext)) = file.rsplit_once('.') else {
            continue;
        };
        if stem.is_empty() || file.starts_with("._") {
            continue; // macOS resource forks and dot files
        }
        let key = (dir.to_string(), stem.to_lowercase());
        sets.entry(key)
            .or_default()
            .entry(ext.to_ascii_lowercase())
            .or_insert((i, name.clone()));
    }
    let total = limits::MAX_UNZIPPED_BYTES.value();
    let mut budget = Budget { left: total, total };
    let mut out = Vec::new();
    for members in sets.values() {
        let Some((_, shp_name)) = members.get("shp") else {
            continue;
        };
        let mut read = |ext: &str| -> Result<Option<Vec<u8>>, IoError> {
            match members.get(ext) {
                Some((i, n)) => read_member(&mut archive, path, *i, n, &mut budget).map(Some),
                None => Ok(None),
            }
        };
        let shp = read("shp")?.unwrap_or_default();
        let shx = read("shx")?;
        let (dbf, cpg) = if opts.geometry_only {
            (None, None)
        } else {
            (read("dbf")?, read("cpg")?.map(|b| decode_sidecar_text(&b)))
        };
        let prj = read("prj")?.map(|b| decode_sidecar_text(&b));
        let message_path: PathBuf = path.join(shp_name);
        let mut layer = read_shapefile_bytes(
            &message_path,
            &shp,
            shx.as_deref(),
            dbf.as_deref(),
            cpg.as_deref(),
            opts,
        )?;
        layer.source = path.to_path_buf();
        for bad in &unsafe_names {
            layer.problems.push(
                Problem::warning(
                    path,
                    format!("member \"{bad}\" has an unsafe path (.. or absolute) and was ignored"),
                )
                .with_hint("re-create the zip from the shapefile folder")
                .with_zh(
                    format!("压缩包成员“{bad}”的路径不安全（含 .. 或为绝对路径），已忽略"),
                    Some("请从 shapefile 所在文件夹重新打包 zip"),
                ),
            );
        }
        out.push((shp_name.clone(), layer, prj));
    }
    if out.is_empty() {
        let extra = if unsafe_names.is_empty() {
            String::new()
        } else {
            format!(
                " (members with unsafe paths were ignored: {})",
                unsafe_names.join(", ")
            )
        };
        return Err(IoError::Missing {
            path: path.to_path_buf(),
            message: format!("the zip holds no .shp file{extra}"),
            message_zh: Some(if unsafe_names.is_empty() {
                "压缩包中没有 .shp 文件".to_owned()
            } else {
                format!(
                    "压缩包中没有 .shp 文件（路径不安全的成员已忽略：{}）",
                    unsafe_names.join("、")
                )
            }),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_member_names_decode_and_unsafe_names_are_recognised() {
        let raw = encoding_rs::GBK.encode("保护区\\一级.shp").0.into_owned();
        assert_eq!(decode_member_name(&raw), "保护区/一级.shp");
        assert_eq!(decode_member_name("a/b.shp".as_bytes()), "a/b.shp");
        assert!(is_unsafe_name("../x.shp"));
        assert!(is_unsafe_name("a/../../x.shp"));
        assert!(is_unsafe_name("/etc/x.shp"));
        assert!(is_unsafe_name("C:/x.shp"));
        assert!(!is_unsafe_name("a/b..c.shp"));
    }
}
