//! The command line. `main` parses flags into raw arguments (clap), each subcommand
//! validates them into ready objects, runs, and returns an exit status:
//! 0 done, 1 bad input (the message names the file, the record and the problem),
//! 2 usage error. Progress goes to stderr, results to a file or stdout.

mod check;
mod inspect;
mod join;
mod progress;
mod sample_data;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::crs::Crs;
use crate::io::{IoError, ReadOptions};

#[derive(Parser, Debug)]
#[command(
    name = "qingling",
    version,
    about = "清零 qingling: check sites against protected zones and review the findings to zero",
    long_about = "With no subcommand (or a project .gpkg) qingling opens the desktop app; a subcommand runs headless."
)]
struct Cli {
    /// A project file (.gpkg) to open in the desktop app (or a data file, .shp .xlsx
    /// .csv .geojson .zip, to show in it).
    project: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Describe a file (or each file of a folder): format, geometry type, feature count,
    /// CRS and how it was found, attribute encoding, fields with sample values.
    Inspect(inspect::InspectArgs),
    /// Raw spatial join: write `site_fid,zone_fid` pairs (0-based record order).
    Join(join::JoinArgs),
    /// Evaluate the rules and write the findings (and record them in a project).
    Check(Box<check::CheckArgs>),
    /// The check on the bundled sample data, writing every export format.
    Demo(check::DemoArgs),
}

/// How to read input files, shared by the subcommands.
#[derive(Args, Debug, Clone, Default)]
pub struct ReadArgs {
    /// Text encoding of DBF/CSV attributes (e.g. GBK, GB18030, UTF-8), overriding .cpg and detection.
    #[arg(long, value_name = "LABEL")]
    encoding: Option<String>,
    /// The 3-degree Gauss-Kruger zone (e.g. 37 for 111°E, 38 for 114°E) of 6-digit eastings with no .prj.
    #[arg(long, value_name = "N")]
    gk_zone: Option<u32>,
    /// CSV/XLSX: the longitude / easting column.
    #[arg(long, value_name = "COLUMN")]
    x_field: Option<String>,
    /// CSV/XLSX: the latitude / northing column.
    #[arg(long, value_name = "COLUMN")]
    y_field: Option<String>,
    /// XLSX: the sheet to read.
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
}

/// A usage problem: exit status 2.
#[derive(Debug)]
pub(crate) struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

impl ReadArgs {
    /// Validates the raw flags into read options.
    pub(crate) fn options(&self, crs: Option<Crs>) -> Result<ReadOptions, UsageError> {
        let encoding = match &self.encoding {
            None => None,
            Some(label) => Some(crate::io::encoding_for_label(label).ok_or_else(|| {
                UsageError(format!(
                    "unknown encoding \"{label}\" (try GBK, GB18030, UTF-8, BIG5)"
                ))
            })?),
        };
        Ok(ReadOptions {
            encoding,
            crs,
            gk_zone: self.gk_zone,
            x_field: self.x_field.clone(),
            y_field: self.y_field.clone(),
            sheet: self.sheet.clone(),
            geometry_only: false,
            defer_attributes: false,
        })
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Some(Command::Inspect(a)) => inspect::run(a),
        Some(Command::Join(a)) => join::run(a),
        Some(Command::Check(a)) => check::run(*a),
        Some(Command::Demo(a)) => check::run_demo(a),
        None => open_app(cli.project),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qingling: {}", error_chain(&e));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// The error and its causes as one sentence, without repeating a cause that the
/// message already contains.
fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

#[cfg(feature = "gui")]
fn open_app(project: Option<PathBuf>) -> anyhow::Result<()> {
    crate::gui::run(project)
}

#[cfg(not(feature = "gui"))]
fn open_app(_project: Option<PathBuf>) -> anyhow::Result<()> {
    Err(UsageError(
        "this build has no desktop app (built without the `gui` feature); use a subcommand, see --help"
            .into(),
    )
    .into())
}

/// Reads the layers of several paths, turning an unreadable file into an error that
/// names it.
pub(crate) fn read_layers(
    paths: &[PathBuf],
    opts: &ReadOptions,
) -> Result<Vec<crate::model::Layer>, IoError> {
    crate::io::read_paths(paths, opts)
}
