//! Readers (and later writers), one module per format. Every reader returns a
//! [`Layer`](crate::model::Layer) with attributes decoded to UTF-8 and per-record
//! problems; a file that cannot be read at all gives an [`IoError`] naming it.

pub mod coord_text;
pub mod dbf;
pub mod limits;
mod read;
pub mod shp;
pub mod shp_write;
pub mod zip;
pub use read::{LAYER_EXTENSIONS, expand_inputs, is_layer_file, read_path, read_paths};
pub mod geojson;
pub mod table;
pub mod validity;

use std::path::{Path, PathBuf};

use crate::crs::Crs;

/// What the user can say about how to read a file. Everything is optional: by
/// default readers detect what they can and report how.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Override the text encoding of DBF/CSV text (any label `encoding_rs` knows).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Override the CRS (`.prj`, declarations and detection are then ignored).
    pub crs: Option<Crs>,
    /// The 3-degree Gauss-Kruger zone (e.g. 37, 38) to assume for 6-digit eastings
    /// with no `.prj`.
    pub gk_zone: Option<u32>,
    /// CSV/XLSX: the column holding longitude (or easting), by name.
    pub x_field: Option<String>,
    /// CSV/XLSX: the column holding latitude (or northing), by name.
    pub y_field: Option<String>,
    /// XLSX: the sheet to read (default: the first sheet with a coordinate header).
    pub sheet: Option<String>,
    /// False to skip attributes entirely (the raw join needs geometry only).
    pub geometry_only: bool,
    /// Shapefiles: keep the `.dbf` as bytes and decode values when asked for
    /// ([`Layer::deferred`](crate::model::Layer::deferred)); every record is still
    /// checked at reading, so the problems are the same. For a check of a large
    /// ledger that reads a few values of a few records.
    pub defer_attributes: bool,
}

/// A file that cannot be read at all. Per-record trouble is a
/// [`Problem`](crate::model::Problem) on the layer instead.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: unsupported file type (qingling reads .shp, .zip, .geojson/.json, .csv, .xlsx)"
    )]
    Unsupported { path: PathBuf },
    #[error("{path}: {message}")]
    Corrupt {
        path: PathBuf,
        message: String,
        /// The message in Chinese, when the reader gave one (see [`IoError::zh`]).
        message_zh: Option<String>,
    },
    #[error("{path}: {message}")]
    Missing {
        path: PathBuf,
        message: String,
        /// The message in Chinese, when the reader gave one (see [`IoError::zh`]).
        message_zh: Option<String>,
    },
}

impl IoError {
    pub fn io(path: &Path, source: std::io::Error) -> IoError {
        IoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn corrupt(path: &Path, message: impl Into<String>) -> IoError {
        IoError::Corrupt {
            path: path.to_path_buf(),
            message: message.into(),
            message_zh: None,
        }
    }
    /// Gives a [`IoError::Corrupt`] or [`IoError::Missing`] its message in Chinese
    /// (the other kinds have theirs built in, see [`IoError::zh`]).
    pub fn with_zh(mut self, zh: impl Into<String>) -> IoError {
        if let IoError::Corrupt { message_zh, .. } | IoError::Missing { message_zh, .. } = &mut self
        {
            *message_zh = Some(zh.into());
        }
        self
    }
    /// The error in Chinese, without the file name, for the app's problems list.
    /// A reader's detail that has no Chinese text yet is quoted in English.
    pub fn zh(&self) -> String {
        match self {
            IoError::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => "找不到该文件".to_owned(),
                std::io::ErrorKind::PermissionDenied => "没有读取该文件的权限".to_owned(),
                _ => format!("读取文件时出错（{source}）"),
            },
            IoError::Unsupported { .. } => {
                "不支持的文件类型（qingling 可读取 .shp、.zip、.geojson/.json、.csv、.xlsx）"
                    .to_owned()
            }
            IoError::Corrupt {
                message_zh: Some(zh),
                ..
            }
            | IoError::Missing {
                message_zh: Some(zh),
                ..
            } => zh.clone(),
            IoError::Corrupt { message, .. } => format!("文件已损坏或格式不对：{message}"),
            IoError::Missing { message, .. } => format!("缺少所需内容：{message}"),
        }
    }
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::Io { path, .. }
            | IoError::Unsupported { path }
            | IoError::Corrupt { path, .. }
            | IoError::Missing { path, .. } => path,
        }
    }
}

/// The encoding for a label as users write it (`--encoding`, the app's encoding
/// box): the same table `.cpg` files are read with ([`dbf::encoding_for_label`]),
/// so GBK, GB2312, GB18030, 936, CP936, UTF-8, 65001, BIG5… all work. A label that
/// names no concrete encoding (`ANSI`, empty) or an unknown one gives `None`.
pub fn encoding_for_label(label: &str) -> Option<&'static encoding_rs::Encoding> {
    match dbf::encoding_for_label(label) {
        dbf::LabelMeaning::Known(enc) => Some(enc),
        dbf::LabelMeaning::NotDeclared | dbf::LabelMeaning::Unknown => None,
    }
}

/// Replaces `path` atomically: `write` fills a temporary file in the same folder
/// (given its path), which is then synced and renamed over `path`, so a crash
/// mid-write never leaves a half file under the real name. On failure the temporary
/// is removed and `path` is left as it was.
pub fn replace_file(
    path: &Path,
    write: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let replacement = Replacement::begin(path)?;
    write(replacement.tmp())?;
    replacement.commit()
}

/// A file being written under a temporary name in the folder of the file it is to
/// replace ([`replace_file`] in steps, for content written over time):
/// [`Replacement::commit`] syncs it and renames it over the real name; dropped
/// without that, the temporary is removed and the real file left as it was.
#[derive(Debug)]
pub struct Replacement {
    path: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

impl Replacement {
    /// Names the temporary for `path` (and removes ones a crashed run left).
    pub fn begin(path: &Path) -> std::io::Result<Replacement> {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let name = path
            .file_name()
            .ok_or_else(|| std::io::Error::other("not a file name; give a path to a file"))?
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            return Err(std::io::Error::other("is a folder; give a file name"));
        }
        remove_stale_temporaries(path, &name);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Replacement {
            path: path.to_path_buf(),
            tmp: path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id())),
            committed: false,
        })
    }

    /// The temporary file's path, to write the content to.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Syncs the temporary to disk and renames it over the real file.
    pub fn commit(mut self) -> std::io::Result<()> {
        std::fs::File::options()
            .read(true)
            .write(true)
            .open(&self.tmp)?
            .sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Replacement {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// [`replace_file`] for content produced by a writer (buffered).
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::Write as _;
    replace_file(path, |tmp| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(tmp)?);
        write(&mut w)?;
        w.flush()
    })
}

/// Remove the temporaries `.{name}.{pid}-{n}.tmp` that an export of `out` killed
/// before its rename left behind. Only another process's, and only when that process
/// is gone (Linux: no `/proc/{pid}`) or, where that cannot be told, when the file is
/// over an hour old; a concurrent export of the same file keeps its temporary.
/// Failures are ignored: this is tidying, not the export.
fn remove_stale_temporaries(out: &Path, name: &str) {
    let Some(dir) = out.parent().map(|d| {
        if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        }
    }) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    let proc_fs = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix))
            .and_then(|f| f.strip_suffix(".tmp"))
            .and_then(|f| f.split_once('-'))
            .and_then(|(pid, n)| n.parse::<u64>().ok().and(pid.parse::<u32>().ok()))
        else {
            continue;
        };
        let stale = if pid == std::process::id() {
            false
        } else if proc_fs {
            !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600))
        };
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
