//! One entry point for every input: a file or a folder becomes layers with their
//! CRS resolved (user override, `.prj`, declaration, format default, then detection
//! from coordinate ranges) and map-app offsets of flagged ledger rows corrected.

use std::path::{Path, PathBuf};

use geo_types::{Coord, Geometry};

use super::{IoError, ReadOptions, geojson, shp, table, validity, zip};
use crate::crs::{self, Crs, Detection};
use crate::model::{CrsInfo, CrsSource, Layer, Problem};

/// File extensions qingling reads as layers (lower case).
pub const LAYER_EXTENSIONS: [&str; 7] = ["shp", "zip", "geojson", "json", "csv", "xlsx", "xls"];

/// True if the path has an extension qingling reads.
pub fn is_layer_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| LAYER_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

/// Expands files and folders into the layer files they name, in sorted path order per
/// argument (a folder is searched recursively). Files are kept in argument order.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IoError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| IoError::io(p, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(IoError::Missing {
                    path: p.clone(),
                    message: format!(
                        "the folder holds no layer files ({})",
                        LAYER_EXTENSIONS.map(|e| format!(".{e}")).join(", ")
                    ),
                });
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), IoError> {
    for entry in std::fs::read_dir(dir).map_err(|e| IoError::io(dir, e))? {
        let entry = entry.map_err(|e| IoError::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| IoError::io(&path, e))?;
        if ft.is_dir() {
            walk(&path, found)?;
        } else if is_layer_file(&path) {
            found.push(path);
        }
    }
    Ok(())
}

/// Reads one file into its layers (a `.zip` may hold several shapefiles), each with
/// its CRS resolved and reported.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Vec<Layer>, IoError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .unwrap_or_default();
    let mut layers = Vec::new();
    match ext.as_str() {
        "shp" => {
            let read = shp::read_shapefile(path, opts)?;
            let mut layer = read.layer;
            resolve_crs(&mut layer, read.prj_text.as_deref(), None, opts);
            layers.push(layer);
        }
        "zip" => {
            for (_member, mut layer, prj) in zip::read_zip(path, opts)? {
                resolve_crs(&mut layer, prj.as_deref(), None, opts);
                layers.push(layer);
            }
        }
        "geojson" | "json" => {
            let (mut layer, declared) = geojson::read_geojson(path, opts)?;
            resolve_crs(&mut layer, None, declared, opts);
            layers.push(layer);
        }
        "csv" | "xlsx" | "xls" => {
            let mut layer = if ext == "csv" {
                table::read_csv(path, opts)?
            } else {
                table::read_xlsx(path, opts)?
            };
            resolve_crs(&mut layer, None, None, opts);
            correct_flagged_offsets(&mut layer);
            layers.push(layer);
        }
        _ => {
            return Err(IoError::Unsupported {
                path: path.to_path_buf(),
            });
        }
    }
    for layer in &mut layers {
        validity::report_self_crossings(layer);
    }
    Ok(layers)
}

/// Reads several paths (files or folders) in order, returning every layer in sorted
/// path order per argument.
pub fn read_paths(paths: &[PathBuf], opts: &ReadOptions) -> Result<Vec<Layer>, IoError> {
    let files = expand_inputs(paths)?;
    let mut layers = Vec::new();
    for f in &files {
        layers.extend(read_path(f, opts)?);
    }
    Ok(layers)
}

/// Fills `layer.crs` in the order: user override, `.prj`, declared EPSG code, what the
/// reader already knew (format default), detection from coordinate ranges.
fn resolve_crs(layer: &mut Layer, prj: Option<&str>, declared: Option<u32>, opts: &ReadOptions) {
    if let Some(c) = &opts.crs {
        layer.crs = CrsInfo {
            crs: Some(c.clone()),
            source: CrsSource::User,
        };
        return;
    }
    if let Some(wkt) = prj {
        match Crs::from_prj(wkt) {
            Ok(c) => {
                layer.crs = CrsInfo { crs: Some(c), source: CrsSource::PrjFile };
                return;
            }
            Err(e) => layer.problems.push(
                Problem::error(&layer.source, format!("the .prj could not be used: {e}"))
                    .with_hint("give the CRS (e.g. EPSG:4546); qingling tries to detect it from the coordinates meanwhile")
                    .with_zh(
                        format!("无法使用 .prj：{}", e.zh()),
                        Some("请指定坐标系（如 EPSG:4546）；在此之前 qingling 会尝试根据坐标判断"),
                    ),
            ),
        }
    }
    if let Some(code) = declared {
        match Crs::from_epsg(code) {
            Ok(c) => {
                layer.crs = CrsInfo {
                    crs: Some(c),
                    source: CrsSource::Declared,
                };
                return;
            }
            Err(e) => layer.problems.push(
                Problem::error(
                    &layer.source,
                    format!("declared CRS EPSG:{code} is not supported: {e}"),
                )
                .with_zh(
                    format!("文件声明的坐标系 EPSG:{code} 不受支持：{}", e.zh()),
                    None,
                ),
            ),
        }
    }
    if layer.crs.crs.is_some() {
        return;
    }
    let Some(bbox) = layer.bbox() else {
        return;
    };
    let bounds = (bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y);
    match crs::detect_from_bounds(bounds, opts.gk_zone) {
        Detection::Found { crs, why } => {
            layer.crs = CrsInfo {
                crs: Some(crs),
                source: CrsSource::Detected(why),
            };
        }
        Detection::Ambiguous { message } | Detection::Unknown { message } => {
            layer.crs = CrsInfo {
                crs: None,
                source: CrsSource::Detected(message.clone()),
            };
            layer.problems.push(
                Problem::error(&layer.source, format!("coordinate system unknown: {message}"))
                    .with_hint("add a .prj, or give the CRS (--zones-crs/--sites-crs EPSG:n) or the Gauss-Kruger zone (--gk-zone)")
                    .with_zh(
                        format!("坐标系未知：{message}"),
                        Some("请补上 .prj 文件，或在图层的坐标系设置中指定坐标系（如 EPSG:4546）或高斯-克吕格带号"),
                    ),
            );
        }
    }
}

/// Ledger rows whose coordinate-system column says GCJ-02 (Amap, Tencent) or BD-09
/// (Baidu) are corrected to WGS84 here, at the edge, and the correction is reported.
fn correct_flagged_offsets(layer: &mut Layer) {
    let geographic = layer
        .crs
        .crs
        .as_ref()
        .map(|c| c.geographic)
        .unwrap_or(false);
    if !geographic {
        return;
    }
    let kinds = table::row_offset_kinds(layer);
    let (mut gcj, mut bd) = (0usize, 0usize);
    for (f, kind) in layer.features.iter_mut().zip(kinds) {
        let Some(kind) = kind else { continue };
        let Some(Geometry::Point(p)) = &mut f.geometry else {
            continue;
        };
        let (x, y) = match kind {
            table::MapOffset::Gcj02 => {
                gcj += 1;
                crs::gcj02_to_wgs84(p.x(), p.y())
            }
            table::MapOffset::Bd09 => {
                bd += 1;
                crs::bd09_to_wgs84(p.x(), p.y())
            }
        };
        p.0 = Coord { x, y };
    }
    if gcj + bd > 0 {
        layer.problems.push(Problem::warning(
            &layer.source,
            format!(
                "{gcj} rows flagged GCJ-02 (Amap/Tencent) and {bd} flagged BD-09 (Baidu) were corrected to WGS84"
            ),
        )
        .with_zh(
            format!(
                "已将标注为 GCJ-02（高德/腾讯）的 {gcj} 行和标注为 BD-09（百度）的 {bd} 行纠正到 WGS84"
            ),
            None,
        ));
    }
}
