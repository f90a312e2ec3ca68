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
                    message_zh: Some(format!(
                        "文件夹中没有图层文件（{}）",
                        LAYER_EXTENSIONS.map(|e| format!(".{e}")).join("、")
                    )),
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
        Detection::Ambiguous {
            message,
            message_zh,
        }
        | Detection::Unknown {
            message,
            message_zh,
        } => {
            layer.crs = CrsInfo {
                crs: None,
                source: CrsSource::Detected(message.clone()),
            };
            layer.problems.push(
                Problem::error(&layer.source, format!("coordinate system unknown: {message}"))
                    .with_hint("add a .prj, or give the CRS (--zones-crs/--sites-crs EPSG:n) or the Gauss-Kruger zone (--gk-zone)")
                    .with_zh(
                        format!("坐标系未知：{message_zh}"),
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

#[cfg(test)]
mod tests {
    //! Every problem a reader (or the mapping check) reports on bad input has a
    //! Chinese text for the app's problems list.
    use std::path::Path;

    use geo_types::{Geometry, LineString, Polygon};

    use super::*;
    use crate::io::shp_write::{ShapefileWriteOptions, write_shapefile};
    use crate::model::{FieldDef, FieldKind, Layer, Problem, Value};
    use crate::rules::{CanonicalField, FieldMapping, LayerValues, check_mapping};

    fn has_cjk(s: &str) -> bool {
        s.chars().any(|c| {
            ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
        })
    }

    /// Asserts that each problem has a Chinese message with CJK text, and a Chinese
    /// hint with CJK text where it has an English hint; returns the Chinese messages.
    fn assert_bilingual(problems: &[Problem]) -> Vec<String> {
        assert!(!problems.is_empty(), "the bad input should give problems");
        problems
            .iter()
            .map(|p| {
                let zh =
                    p.zh.as_ref()
                        .unwrap_or_else(|| panic!("no Chinese text for: {p}"));
                assert!(
                    has_cjk(&zh.message),
                    "not Chinese: {:?} for {p}",
                    zh.message
                );
                assert_eq!(
                    p.hint.is_some(),
                    zh.hint.is_some(),
                    "hint in one language only: {p} / {zh:?}"
                );
                if let Some(h) = &zh.hint {
                    assert!(has_cjk(h), "hint not Chinese: {h:?} for {p}");
                }
                zh.message.clone()
            })
            .collect()
    }

    fn read_one(path: &Path) -> Layer {
        let mut layers = read_path(path, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{} should load: {e}", path.display()));
        assert_eq!(layers.len(), 1);
        layers.remove(0)
    }

    fn square(x: f64) -> Option<Geometry<f64>> {
        Some(Geometry::Polygon(Polygon::new(
            LineString::from(vec![
                (x, 0.0),
                (x, 1.0),
                (x + 1.0, 1.0),
                (x + 1.0, 0.0),
                (x, 0.0),
            ]),
            vec![],
        )))
    }

    /// Three squares with a text and a number field; returns the .shp path.
    fn write_squares(dir: &Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        let fields = vec![
            FieldDef {
                name: "名称".into(),
                kind: FieldKind::Text,
            },
            FieldDef {
                name: "容量".into(),
                kind: FieldKind::Float,
            },
        ];
        let rows: Vec<Vec<Value>> = (0..3)
            .map(|i| vec![Value::Text(format!("锅炉{i}")), Value::Float(4.0)])
            .collect();
        let geoms = vec![square(0.0), square(2.0), square(4.0)];
        write_shapefile(
            &path,
            &geoms,
            &fields,
            &rows,
            &ShapefileWriteOptions::default(),
        )
        .unwrap();
        path
    }

    #[test]
    fn a_truncated_shp_with_a_damaged_shx_and_a_bad_prj_is_reported_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_squares(dir.path(), "水源地.shp");
        let bytes = std::fs::read(&shp).unwrap();
        std::fs::write(&shp, &bytes[..bytes.len() - 20]).unwrap();
        std::fs::write(shp.with_extension("shx"), b"not an index").unwrap();
        std::fs::write(shp.with_extension("prj"), "this is not WKT").unwrap();
        let layer = read_one(&shp);
        let zh = assert_bilingual(&layer.problems);
        assert!(zh.iter().any(|m| m.contains("文件被截断")), "{zh:?}");
        assert!(zh.iter().any(|m| m.starts_with("无法使用 .prj")), "{zh:?}");
        assert!(zh.iter().any(|m| m.contains(".shx 索引已损坏")), "{zh:?}");
    }

    #[test]
    fn a_dbf_with_a_broken_header_or_bad_values_is_reported_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let shp = write_squares(dir.path(), "锅炉.shp");
        let dbf = shp.with_extension("dbf");
        let good = std::fs::read(&dbf).unwrap();

        // Header length 0: the .dbf cannot be read at all.
        let mut broken = good.clone();
        broken[8..10].copy_from_slice(&0u16.to_le_bytes());
        std::fs::write(&dbf, &broken).unwrap();
        let zh = assert_bilingual(&read_one(&shp).problems);
        assert!(
            zh.iter()
                .any(|m| m.contains("无法读取 .dbf") && m.contains("文件头已损坏")),
            "{zh:?}"
        );

        // A deleted record and text in the number field of another.
        let header = crate::io::dbf::parse_header(&dbf, &good).unwrap();
        let mut values = good.clone();
        values[header.header_len] = b'*';
        let field = &header.fields[1];
        let at = header.header_len + header.record_len + field.offset;
        values[at..at + field.length].fill(b' ');
        values[at..at + 3].copy_from_slice(b"abc");
        std::fs::write(&dbf, &values).unwrap();
        let layer = read_one(&shp);
        let zh = assert_bilingual(&layer.problems);
        assert!(zh.iter().any(|m| m == "“abc”不是数字，该值留空"), "{zh:?}");
        assert!(zh.iter().any(|m| m.contains("标记为已删除")), "{zh:?}");
    }

    #[test]
    fn geojson_features_without_geometry_or_with_bad_coordinates_are_reported_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("企业.geojson");
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"local grid"}},"features":[
            {"type":"Feature","properties":{"名称":"甲"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":["112.5","37.8"]},"properties":{}},
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[112.5,37.8]]},"properties":5},
            {"type":"Foo"},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.5,37.8]},"properties":{"名称":"乙"}}
        ]}"#;
        std::fs::write(&path, text).unwrap();
        let layer = read_one(&path);
        assert_eq!(layer.features.len(), 5);
        let zh = assert_bilingual(&layer.problems);
        for expected in [
            "要素 0 没有“geometry”成员",
            "要素 1：坐标值是文本“112.5”，不是数字",
            "要素 2：LineString 只有 1 个坐标点，至少需要 2 个",
            "要素 2 的 properties 是5，不是对象，已忽略",
            "要素 3 是“Foo”，不是 Feature 对象",
        ] {
            assert!(zh.iter().any(|m| m == expected), "{expected} not in {zh:?}");
        }
    }

    #[test]
    fn a_csv_with_text_for_latitude_and_a_mapping_to_a_missing_column_are_reported_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("锅炉台账.csv");
        std::fs::write(
            &path,
            "单位名称,经度,纬度,燃料类型\n甲厂,112.5,待补充,燃煤\n乙厂,112.6,37.9,？？\n丙厂,200,95,燃气,多余\n丁厂,,,燃煤\n",
        )
        .unwrap();
        let layer = read_one(&path);
        let zh = assert_bilingual(&layer.problems);
        assert!(zh.iter().any(|m| m == "“待补充”不是坐标"), "{zh:?}");
        assert!(zh.iter().any(|m| m == "该行没有坐标"), "{zh:?}");
        assert!(
            zh.iter().any(|m| m.contains("既不同为度，也不同为米")),
            "{zh:?}"
        );

        let mut mapping = FieldMapping::default();
        mapping.set_user(CanonicalField::Fuel, "燃料类型", None);
        mapping.set_user(CanonicalField::Status, "状态", None);
        let zh = assert_bilingual(&check_mapping(&layer, &mapping));
        assert_eq!(zh.len(), 1, "{zh:?}");
        assert!(
            zh[0].contains("“状态”") && zh[0].contains("没有这一列"),
            "{zh:?}"
        );
        let zh = assert_bilingual(&LayerValues::new(&layer, &mapping).problems());
        assert!(
            zh.iter().any(|m| m.contains("“？？”无法识别为燃料")),
            "{zh:?}"
        );
    }

    #[test]
    fn files_that_cannot_be_read_at_all_say_why_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("短.shp");
        std::fs::write(&shp, [0u8; 50]).unwrap();
        let e = read_path(&shp, &ReadOptions::default()).unwrap_err();
        assert_eq!(
            e.zh(),
            "不是 shapefile：文件只有 50 字节，比 100 字节的文件头还短"
        );
        let json = dir.path().join("坏.geojson");
        std::fs::write(&json, r#"{"type":"Topology"}"#).unwrap();
        let e = read_path(&json, &ReadOptions::default()).unwrap_err();
        assert_eq!(e.zh(), "不是 GeoJSON：顶层的“type”是“Topology”");
    }

    #[test]
    fn an_unknown_coordinate_system_is_explained_in_chinese() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("站点.geojson");
        let text = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[450000,4100000]},"properties":{}}"#;
        std::fs::write(&path, text).unwrap();
        let layer = read_one(&path);
        let zh = assert_bilingual(&layer.problems);
        assert!(
            zh.iter()
                .any(|m| m.starts_with("坐标系未知：") && m.contains("投影带未知")),
            "{zh:?}"
        );
    }
}
