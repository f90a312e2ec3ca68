//! Readers (and later writers), one module per format. Every reader returns a
//! [`Layer`](crate::model::Layer) with attributes decoded to UTF-8 and per-record
//! problems; a file that cannot be read at all gives an [`IoError`] naming it.

pub mod coord_text;
pub mod geojson;
pub mod table;

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
    Corrupt { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Missing { path: PathBuf, message: String },
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
