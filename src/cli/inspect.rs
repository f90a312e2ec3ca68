//! `qingling inspect FILE [--json]`: what a file is and how qingling reads it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::{Value as Json, json};

use super::{ReadArgs, UsageError};
use crate::crs::Crs;
use crate::model::{Layer, ProblemLevel};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// A layer file (.shp .zip .geojson .json .csv .xlsx) or a folder of them.
    #[arg(value_name = "FILE")]
    path: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Read the file as this CRS (EPSG:n), ignoring .prj and detection.
    #[arg(long, value_name = "EPSG:n")]
    crs: Option<String>,
    /// How many problems to list in text output (all are in --json).
    #[arg(long, default_value_t = 20)]
    max_problems: usize,
    #[command(flatten)]
    read: ReadArgs,
}

const SAMPLE_VALUES: usize = 3;

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let crs = match &args.crs {
        Some(s) => Some(Crs::parse(s).map_err(|e| UsageError(format!("--crs {s}: {e}")))?),
        None => None,
    };
    let opts = args.read.options(crs)?;
    let is_dir = args.path.is_dir();
    let files = crate::io::expand_inputs(std::slice::from_ref(&args.path))?;
    let mut reports = Vec::new();
    let mut failures = 0usize;
    for file in &files {
        match crate::io::read_path(file, &opts) {
            Ok(layers) => reports.extend(layers.iter().map(|l| (file.clone(), Ok(describe(l))))),
            Err(e) => {
                failures += 1;
                reports.push((file.clone(), Err(e.to_string())));
            }
        }
    }
    if args.json {
        let items: Vec<Json> = reports
            .iter()
            .map(|(file, r)| match r {
                Ok(j) => j.clone(),
                Err(msg) => json!({ "file": file, "error": msg }),
            })
            .collect();
        let out = if is_dir || items.len() != 1 {
            Json::Array(items)
        } else {
            items.into_iter().next().unwrap_or(Json::Null)
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&out).context("writing JSON")?
        );
    } else {
        for (i, (file, r)) in reports.iter().enumerate() {
            if i > 0 {
                println!();
            }
            match r {
                Ok(j) => print_text(j, args.max_problems),
                Err(msg) => println!("{}: cannot be read: {msg}", file.display()),
            }
        }
    }
    // One unreadable file among many is reported and the rest summarised; a single
    // unreadable file is a bad-input exit.
    if failures > 0 && failures == files.len() {
        anyhow::bail!(
            "{} could not be read",
            if files.len() == 1 {
                files[0].display().to_string()
            } else {
                "no file".into()
            }
        );
    }
    Ok(())
}

/// The machine-readable description of one layer.
fn describe(layer: &Layer) -> Json {
    let crs = match &layer.crs.crs {
        Some(c) => json!({
            "epsg": c.epsg,
            "name": c.name,
            "proj4": c.proj4,
            "how": layer.crs.source.describe(),
        }),
        None => json!({ "epsg": null, "name": null, "how": layer.crs.source.describe() }),
    };
    let encoding = layer
        .encoding
        .as_ref()
        .map(|e| json!({ "name": e.name(), "how": e.source.describe() }));
    let fields: Vec<Json> = layer
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut samples: Vec<String> = Vec::new();
            for feat in &layer.features {
                if samples.len() >= SAMPLE_VALUES {
                    break;
                }
                if let Some(t) = feat.attrs.get(i).and_then(|v| v.as_text()) {
                    let t = t.trim();
                    if !t.is_empty() && !samples.iter().any(|s| s == t) {
                        samples.push(t.to_string());
                    }
                }
            }
            json!({ "name": f.name, "type": format!("{:?}", f.kind), "samples": samples })
        })
        .collect();
    let bounds = layer
        .bbox()
        .map(|b| json!([b.min().x, b.min().y, b.max().x, b.max().y]));
    let problems: Vec<Json> = layer
        .problems
        .iter()
        .map(|p| {
            json!({
                "level": match p.level { ProblemLevel::Warning => "warning", ProblemLevel::Error => "error" },
                "record": p.record,
                "row": p.row,
                "field": p.field,
                "message": p.message,
                "hint": p.hint,
            })
        })
        .collect();
    json!({
        "file": layer.source,
        "layer": layer.name,
        "format": layer.format.label(),
        "geometry_type": layer.geometry_kind.label(),
        "has_z": layer.has_z,
        "feature_count": layer.features.len(),
        "null_geometry_count": layer.null_geometry_count(),
        "crs": crs,
        "encoding": encoding,
        "bounds": bounds,
        "fields": fields,
        "problems": problems,
    })
}

fn print_text(j: &Json, max_problems: usize) {
    let s = |v: &Json| {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    };
    println!("file:      {}", s(&j["file"]));
    println!("layer:     {}", s(&j["layer"]));
    println!("format:    {}", s(&j["format"]));
    let z = if j["has_z"].as_bool() == Some(true) {
        " (Z/M values dropped)"
    } else {
        ""
    };
    println!("geometry:  {}{z}", s(&j["geometry_type"]));
    println!(
        "features:  {} ({} without geometry)",
        j["feature_count"], j["null_geometry_count"]
    );
    let crs = &j["crs"];
    match crs["epsg"].as_u64() {
        Some(code) => println!(
            "crs:       EPSG:{code} {} ({})",
            s(&crs["name"]),
            s(&crs["how"])
        ),
        None if !crs["name"].is_null() => {
            println!("crs:       {} ({})", s(&crs["name"]), s(&crs["how"]))
        }
        None => println!("crs:       unknown ({})", s(&crs["how"])),
    }
    if let Some(e) = j["encoding"].as_object() {
        println!("encoding:  {} ({})", s(&e["name"]), s(&e["how"]));
    }
    if let Some(b) = j["bounds"].as_array() {
        let n: Vec<String> = b.iter().map(|v| v.to_string()).collect();
        println!("bounds:    {}", n.join(", "));
    }
    let fields = j["fields"].as_array().cloned().unwrap_or_default();
    println!("fields:    {}", fields.len());
    for f in &fields {
        let samples: Vec<String> = f["samples"]
            .as_array()
            .map(|a| a.iter().map(|v| format!("\"{}\"", s(v))).collect())
            .unwrap_or_default();
        println!(
            "  {} {:<8} {}",
            pad(&s(&f["name"]), 16),
            s(&f["type"]),
            samples.join(", ")
        );
    }
    let problems = j["problems"].as_array().cloned().unwrap_or_default();
    if !problems.is_empty() {
        println!("problems:  {}", problems.len());
        for p in problems.iter().take(max_problems) {
            let mut at = String::new();
            if let Some(r) = p["row"].as_u64() {
                at.push_str(&format!("row {r}: "));
            } else if let Some(r) = p["record"].as_u64() {
                at.push_str(&format!("record {r}: "));
            }
            if let Some(f) = p["field"].as_str() {
                at.push_str(&format!("field \"{f}\": "));
            }
            let hint = p["hint"]
                .as_str()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            println!("  {}: {at}{}{hint}", s(&p["level"]), s(&p["message"]));
        }
        if problems.len() > max_problems {
            println!("  … {} more (see --json)", problems.len() - max_problems);
        }
    }
}

/// `text` padded with spaces to `width` terminal columns (CJK characters take two).
fn pad(text: &str, width: usize) -> String {
    let cols: usize = text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(cols)))
}

/// East Asian wide and full-width characters (the ranges that occur in Chinese data).
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}
