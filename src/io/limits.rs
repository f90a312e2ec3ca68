//! Limits that protect the machine from files whose headers lie (or that are simply
//! too big for memory): every reader checks the counts and sizes it is about to act
//! on against one of these before allocating for them.
//!
//! Each limit has a default sized for the largest real county and city data sets
//! and can be raised (or lowered) with an environment variable, read when the check
//! runs. A file that goes past a limit fails with a message that names the file,
//! what was found, the limit and the variable to set, e.g.
//!
//! ```text
//! 锅炉.dbf: the file holds 25000000 records; qingling reads at most 20000000 records
//! per layer (set QINGLING_MAX_RECORDS to raise it)
//! ```
//!
//! Sizes in bytes are given in MiB in the environment (`QINGLING_MAX_FILE_MB=4096`).
//! JSON nesting is limited to 128 levels by the JSON parser itself and cannot be
//! raised (no real GeoJSON nests deeper than 6).

/// One limit: its default, the environment variable that overrides it and the words
/// used in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The environment variable that overrides the default.
    pub env: &'static str,
    /// The default, in the limit's unit (bytes for sizes).
    pub default: u64,
    /// What is counted, in the environment variable's unit, e.g. `records per layer`
    /// or `MiB per file`.
    pub what: &'static str,
    /// What is counted, in Chinese, e.g. `每个图层的记录数`.
    pub what_zh: &'static str,
    /// The environment variable's unit in bytes (1 for counts, 1 MiB for sizes).
    pub env_scale: u64,
}

const MIB: u64 = 1 << 20;

/// Records (shapes, DBF rows, GeoJSON features, CSV/XLSX data rows) in one layer.
pub const MAX_RECORDS: Limit = Limit {
    env: "QINGLING_MAX_RECORDS",
    default: 20_000_000,
    what: "records per layer",
    what_zh: "每个图层的记录数",
    env_scale: 1,
};

/// Parts (rings or line parts) in one shape.
pub const MAX_PARTS: Limit = Limit {
    env: "QINGLING_MAX_PARTS",
    default: 1_000_000,
    what: "parts per shape",
    what_zh: "每个图形的部件数",
    env_scale: 1,
};

/// Points (vertices) in one shape.
pub const MAX_POINTS: Limit = Limit {
    env: "QINGLING_MAX_POINTS",
    default: 20_000_000,
    what: "points per shape",
    what_zh: "每个图形的点数",
    env_scale: 1,
};

/// Size of one file read into memory (`.shp`, `.dbf`, `.csv`, `.geojson`, and each
/// member unpacked from a `.zip`).
pub const MAX_FILE_BYTES: Limit = Limit {
    env: "QINGLING_MAX_FILE_MB",
    default: 2048 * MIB,
    what: "MiB per file",
    what_zh: "每个文件的大小（MiB）",
    env_scale: MIB,
};

/// Bytes unpacked from one `.zip` (all members together), counted on the bytes
/// actually inflated, not on the sizes the archive declares.
pub const MAX_UNZIPPED_BYTES: Limit = Limit {
    env: "QINGLING_MAX_UNZIPPED_MB",
    default: 2048 * MIB,
    what: "MiB unpacked per archive",
    what_zh: "每个压缩包解压后的大小（MiB）",
    env_scale: MIB,
};

/// Cells of one worksheet (data rows × columns), which is what reading a sheet
/// allocates.
pub const MAX_CELLS: Limit = Limit {
    env: "QINGLING_MAX_CELLS",
    default: 50_000_000,
    what: "cells per sheet",
    what_zh: "每个工作表的单元格数",
    env_scale: 1,
};

/// Every limit, for documentation and `--help` texts.
pub const ALL: [Limit; 6] = [
    MAX_RECORDS,
    MAX_PARTS,
    MAX_POINTS,
    MAX_FILE_BYTES,
    MAX_UNZIPPED_BYTES,
    MAX_CELLS,
];

impl Limit {
    /// The limit in force: the environment variable if it holds a positive whole
    /// number, else the default.
    pub fn value(&self) -> u64 {
        std::env::var(self.env)
            .ok()
            .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
            .filter(|&v| v > 0)
            .map_or(self.default, |v| v.saturating_mul(self.env_scale))
    }

    /// The limit as `usize`, saturating on 32-bit targets.
    pub fn value_usize(&self) -> usize {
        usize::try_from(self.value()).unwrap_or(usize::MAX)
    }

    /// True if `found` is over the limit in force.
    pub fn exceeded_by(&self, found: u64) -> bool {
        found > self.value()
    }

    /// `qingling reads at most N <what> (set ENV to raise it)`, for the end of a message.
    pub fn describe(&self) -> String {
        format!(
            "qingling reads at most {} {} (set {} to raise it)",
            self.value() / self.env_scale.max(1),
            self.what,
            self.env
        )
    }

    /// [`Limit::describe`] in Chinese: `每个图层的记录数上限为 N（…）`.
    pub fn describe_zh(&self) -> String {
        format!(
            "{}上限为 {}（可设置环境变量 {} 提高上限）",
            self.what_zh,
            self.value() / self.env_scale.max(1),
            self.env
        )
    }

    /// A whole sentence: `{found_text}; qingling reads at most …`.
    pub fn message(&self, found_text: impl std::fmt::Display) -> String {
        format!("{found_text}; {}", self.describe())
    }

    /// [`Limit::message`] in Chinese: `{found_text}；每个图层的记录数上限为 N（…）`.
    pub fn message_zh(&self, found_text: impl std::fmt::Display) -> String {
        format!("{found_text}；{}", self.describe_zh())
    }
}

/// Reads a whole file into memory after checking its size against
/// [`MAX_FILE_BYTES`], so a huge file fails with a message instead of exhausting
/// memory.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, crate::io::IoError> {
    use std::io::Read;
    let (mut file, len) = open_file(path)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    (file.read_to_end(&mut bytes)).map_err(|e| crate::io::IoError::io(path, e))?;
    Ok(bytes)
}

/// Opens a file for reading after checking its size against [`MAX_FILE_BYTES`]:
/// the file and its length.
pub fn open_file(path: &std::path::Path) -> Result<(std::fs::File, u64), crate::io::IoError> {
    use crate::io::IoError;
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    check_file_size(path, len)?;
    Ok((file, len))
}

/// Fails if a file of `len` bytes is over [`MAX_FILE_BYTES`].
pub fn check_file_size(path: &std::path::Path, len: u64) -> Result<(), crate::io::IoError> {
    if MAX_FILE_BYTES.exceeded_by(len) {
        return Err(crate::io::IoError::corrupt(
            path,
            MAX_FILE_BYTES.message(format!("the file is {} MiB", len.div_ceil(MIB))),
        ));
    }
    Ok(())
}

/// Checks the sizes a zip-based file (`.xlsx`, `.ods`) declares for its members
/// against [`MAX_FILE_BYTES`] (each) and [`MAX_UNZIPPED_BYTES`] (all together)
/// before a library unpacks it. Declared sizes are enough here: the zip reader
/// refuses a member that inflates past its declared size. A file that is not a
/// readable archive passes (the reader reports it in its own words).
pub fn check_zip_declared_sizes(path: &std::path::Path) -> Result<(), crate::io::IoError> {
    let Ok(file) = std::fs::File::open(path) else {
        return Ok(());
    };
    let Ok(mut archive) = zip::ZipArchive::new(file) else {
        return Ok(());
    };
    let (per_file, total_limit) = (MAX_FILE_BYTES.value(), MAX_UNZIPPED_BYTES.value());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let Ok(member) = archive.by_index_raw(i) else {
            continue;
        };
        let size = member.size();
        if size > per_file {
            return Err(crate::io::IoError::corrupt(
                path,
                MAX_FILE_BYTES.message(format!(
                    "part \"{}\" of the workbook unpacks to {} MiB",
                    crate::io::zip::decode_member_name(member.name_raw()),
                    size.div_ceil(MIB)
                )),
            ));
        }
        total = total.saturating_add(size);
        if total > total_limit {
            return Err(crate::io::IoError::corrupt(
                path,
                MAX_UNZIPPED_BYTES.message(format!(
                    "the workbook unpacks to more than {} MiB",
                    total_limit / MIB
                )),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_the_variable_is_unset_and_messages_name_the_variable() {
        // These variables are not set in the test environment.
        assert_eq!(MAX_CELLS.value(), 50_000_000);
        let m = MAX_RECORDS.message("the file holds 25000000 records");
        assert!(m.contains("QINGLING_MAX_RECORDS"), "{m}");
        assert!(m.contains("20000000 records per layer"), "{m}");
        let m = MAX_FILE_BYTES.describe();
        assert!(m.contains("2048 MiB per file"), "{m}");
        assert!(m.contains("QINGLING_MAX_FILE_MB"), "{m}");
        let m = MAX_RECORDS.message_zh("文件有 25000000 条记录");
        assert_eq!(
            m,
            "文件有 25000000 条记录；每个图层的记录数上限为 20000000（可设置环境变量 QINGLING_MAX_RECORDS 提高上限）"
        );
        assert!(MAX_PARTS.exceeded_by(1_000_001));
        assert!(!MAX_PARTS.exceeded_by(1_000_000));
    }

    #[test]
    fn every_limit_has_its_own_variable() {
        let mut envs: Vec<&str> = ALL.iter().map(|l| l.env).collect();
        envs.sort_unstable();
        envs.dedup();
        assert_eq!(envs.len(), ALL.len());
        assert!(envs.iter().all(|e| e.starts_with("QINGLING_MAX_")));
    }
}
