//! Writes the bundled sample data into `sample-data/`: a fictional county (汾源县)
//! south-west of Taiyuan, with the files county offices really send:
//!
//! - `水源保护区.shp`: nested water zones (一级/二级/准保护区) of a reservoir (level 1
//!   with an island hole) and a river intake (level 1 multipart), GBK DBF with a
//!   `.cpg`, EPSG:4546 with an ESRI `.prj`;
//! - `禁煤区.geojson`, `建成区.geojson`: coal-ban zone and built-up area (WGS84);
//! - `锅炉台账.xlsx`: a boiler ledger with a title row, DMS / decimal / full-width
//!   coordinates, t/h and MW capacities, some rows picked on Amap (GCJ-02, flagged in
//!   坐标来源) and one row with text in the latitude column;
//! - `散乱污企业.shp`: enterprises without a `.prj`, zone-prefixed Gauss-Kruger
//!   coordinates (EPSG:4525), GBK DBF declared only by the language driver byte;
//! - `入河排污口.csv`: outfalls, UTF-8 with BOM.
//!
//!     cargo run --example sample_data [-- OUT_DIR]
//!
//! Deterministic: the same files on every run.

use std::f64::consts::TAU;
use std::io::Write;
use std::path::{Path, PathBuf};

use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use qingling::crs::{Crs, Transform, prj_wkt_for_epsg, wgs84_to_gcj02};
use qingling::io::shp_write::{ShapefileWriteOptions, write_shapefile};
use qingling::model::{FieldDef, FieldKind, Value};
use qingling::synth::Rng;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const COUNTY: &str = "汾源县";
const CITY: &str = "太原市";

fn main() -> Res<()> {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data"));
    std::fs::create_dir_all(&out)?;
    let zones = water_zones();
    write_water_zones(&out, &zones)?;
    write_geojson_zone(
        &out.join("禁煤区.geojson"),
        "县城禁煤区",
        "禁煤区",
        coal_ban_ring(),
    )?;
    write_geojson_zone(
        &out.join("建成区.geojson"),
        "汾源县城建成区",
        "建成区",
        built_up_ring(),
    )?;
    let sites = site_plan(&zones);
    write_boilers(&out, &sites)?;
    write_enterprises(&out, &sites)?;
    write_outfalls(&out, &sites)?;
    write_readme(&out)?;
    eprintln!("sample data written to {}", out.display());
    Ok(())
}

/// A closed, wobbly ellipse ring in lon/lat: semi-axes in metres, `n` vertices.
fn ellipse(
    c: (f64, f64),
    ax_m: f64,
    ay_m: f64,
    n: usize,
    seed: u64,
    clockwise: bool,
) -> LineString<f64> {
    let mut rng = Rng::new(seed);
    let m_per_deg_lat = 111_000.0;
    let m_per_deg_lon = 111_320.0 * c.1.to_radians().cos();
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * TAU * if clockwise { -1.0 } else { 1.0 };
            let w = 1.0 + 0.06 * (3.0 * a).sin() + 0.03 * rng.f64();
            Coord {
                x: c.0 + ax_m * w * a.cos() / m_per_deg_lon,
                y: c.1 + ay_m * w * a.sin() / m_per_deg_lat,
            }
        })
        .collect();
    pts.push(pts[0]);
    LineString::from(pts)
}

/// One water-zone record.
struct WaterZone {
    source: &'static str,
    code: &'static str,
    level: &'static str,
    part: &'static str,
    approval: &'static str,
    /// Lon/lat geometry.
    geom: Geometry<f64>,
}

const RESERVOIR: (f64, f64) = (112.300, 37.620);
const RIVER: (f64, f64) = (112.420, 37.560);
const TOWN: (f64, f64) = (112.365, 37.585);

fn water_zones() -> Vec<WaterZone> {
    let l1 = Polygon::new(
        ellipse(RESERVOIR, 1200.0, 800.0, 90, 1, true),
        vec![ellipse(
            (RESERVOIR.0 + 0.002, RESERVOIR.1),
            160.0,
            120.0,
            24,
            2,
            false,
        )],
    );
    let l2 = Polygon::new(ellipse(RESERVOIR, 3000.0, 2000.0, 120, 3, true), vec![]);
    let quasi = Polygon::new(ellipse(RESERVOIR, 6000.0, 4200.0, 160, 4, true), vec![]);
    // The river intake's level 1: two separate land parts on either bank.
    let up = Polygon::new(
        ellipse(
            (RIVER.0 - 0.004, RIVER.1 + 0.002),
            500.0,
            220.0,
            40,
            5,
            true,
        ),
        vec![],
    );
    let down = Polygon::new(
        ellipse(
            (RIVER.0 + 0.004, RIVER.1 - 0.002),
            500.0,
            220.0,
            40,
            6,
            true,
        ),
        vec![],
    );
    let r2 = Polygon::new(ellipse(RIVER, 2200.0, 1200.0, 100, 7, true), vec![]);
    let z = |source, code, level, part, approval, geom| WaterZone {
        source,
        code,
        level,
        part,
        approval,
        geom,
    };
    vec![
        z(
            "汾源水库",
            "140188001",
            "一级保护区",
            "水域",
            "晋政函〔2018〕112号",
            Geometry::Polygon(l1),
        ),
        z(
            "汾源水库",
            "140188001",
            "二级保护区",
            "水域陆域",
            "晋政函〔2018〕112号",
            Geometry::Polygon(l2),
        ),
        z(
            "汾源水库",
            "140188001",
            "准保护区",
            "陆域",
            "晋政函〔2018〕112号",
            Geometry::Polygon(quasi),
        ),
        z(
            "东河取水口",
            "140188002",
            "一级保护区",
            "陆域",
            "晋政函〔2019〕45号",
            Geometry::MultiPolygon(MultiPolygon(vec![up, down])),
        ),
        z(
            "东河取水口",
            "140188002",
            "二级保护区",
            "水域陆域",
            "晋政函〔2019〕45号",
            Geometry::Polygon(r2),
        ),
    ]
}

fn coal_ban_ring() -> Polygon<f64> {
    Polygon::new(ellipse(TOWN, 4000.0, 3000.0, 80, 8, false), vec![])
}

fn built_up_ring() -> Polygon<f64> {
    Polygon::new(ellipse(TOWN, 2600.0, 2000.0, 70, 9, false), vec![])
}

fn to_epsg(code: u32, g: &Geometry<f64>) -> Res<Geometry<f64>> {
    let t = Transform::new(&Crs::wgs84(), &Crs::from_epsg(code)?)?;
    let mut g = g.clone();
    t.apply_geometry(&mut g)?;
    Ok(g)
}

fn write_water_zones(out: &Path, zones: &[WaterZone]) -> Res<()> {
    let fields = [
        ("水源地名称", FieldKind::Text),
        ("水源地编码", FieldKind::Text),
        ("保护区级别", FieldKind::Text),
        ("水域陆域", FieldKind::Text),
        ("县区", FieldKind::Text),
        ("批复文号", FieldKind::Text),
        ("面积公顷", FieldKind::Float),
    ]
    .map(|(name, kind)| FieldDef {
        name: name.into(),
        kind,
    });
    let mut geoms = Vec::new();
    let mut rows = Vec::new();
    for z in zones {
        let g = to_epsg(4546, &z.geom)?;
        let area_ha = geo::Area::unsigned_area(&g) / 10_000.0;
        geoms.push(Some(g));
        rows.push(vec![
            Value::Text(z.source.into()),
            Value::Text(z.code.into()),
            Value::Text(z.level.into()),
            Value::Text(z.part.into()),
            Value::Text(COUNTY.into()),
            Value::Text(z.approval.into()),
            Value::Float((area_ha * 100.0).round() / 100.0),
        ]);
    }
    let opts = ShapefileWriteOptions {
        encoding: encoding_rs::GBK,
        write_cpg: true,
        prj: prj_wkt_for_epsg(4546),
        ..ShapefileWriteOptions::default()
    };
    write_shapefile(&out.join("水源保护区.shp"), &geoms, &fields, &rows, &opts)?;
    Ok(())
}

fn write_geojson_zone(path: &Path, name: &str, kind: &str, poly: Polygon<f64>) -> Res<()> {
    let ring = |r: &LineString<f64>| -> Vec<[f64; 2]> {
        r.0.iter().map(|c| [round7(c.x), round7(c.y)]).collect()
    };
    let mut rings = vec![ring(poly.exterior())];
    rings.extend(poly.interiors().iter().map(ring));
    let fc = serde_json::json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": { "名称": name, "类型": kind, "城市": CITY, "县区": COUNTY, "划定年份": 2018 },
            "geometry": { "type": "Polygon", "coordinates": rings }
        }]
    });
    std::fs::write(path, serde_json::to_string_pretty(&fc)?)?;
    Ok(())
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Where a sample site sits and what it is.
#[derive(Clone)]
struct Site {
    lonlat: (f64, f64),
}

/// Points placed by scenario: inside a zone, just outside a boundary, elsewhere.
struct SitePlan {
    /// Inside the reservoir's level 1 (not on the island).
    in_l1: Vec<Site>,
    /// Inside level 2 but outside level 1.
    in_l2: Vec<Site>,
    /// Inside the quasi-zone only.
    in_quasi: Vec<Site>,
    /// 20–40 m outside the reservoir's level 2.
    near_l2: Vec<Site>,
    /// Inside the river intake's level 1 (one per part).
    in_river_l1: Vec<Site>,
    /// In the built-up area (and so in the coal-ban zone, which is larger).
    in_built_up: Vec<Site>,
    /// In the coal-ban zone but outside the built-up area.
    in_coal_ban_only: Vec<Site>,
    /// Outside every zone.
    elsewhere: Vec<Site>,
}

fn offset_m(c: (f64, f64), dx_m: f64, dy_m: f64) -> (f64, f64) {
    (
        c.0 + dx_m / (111_320.0 * c.1.to_radians().cos()),
        c.1 + dy_m / 111_000.0,
    )
}

fn site_plan(zones: &[WaterZone]) -> SitePlan {
    let s = |c: (f64, f64)| Site { lonlat: c };
    // Just outside level 2: push an exterior vertex of level 2 outward by 30 m.
    let l2_ring = match &zones[1].geom {
        Geometry::Polygon(p) => p.exterior().0.clone(),
        _ => Vec::new(),
    };
    let near: Vec<Site> = [10usize, 55, 95]
        .iter()
        .filter_map(|&i| l2_ring.get(i))
        .map(|v| {
            let (dx, dy) = (v.x - RESERVOIR.0, v.y - RESERVOIR.1);
            let len_m = ((dx * 111_320.0 * RESERVOIR.1.to_radians().cos()).powi(2)
                + (dy * 111_000.0).powi(2))
            .sqrt();
            let k = 30.0 / len_m;
            s((v.x + dx * k, v.y + dy * k))
        })
        .collect();
    SitePlan {
        in_l1: vec![
            s(offset_m(RESERVOIR, -600.0, 200.0)),
            s(offset_m(RESERVOIR, 500.0, -300.0)),
            s(offset_m(RESERVOIR, -200.0, -400.0)),
        ],
        in_l2: vec![
            s(offset_m(RESERVOIR, -2000.0, 500.0)),
            s(offset_m(RESERVOIR, 1800.0, 900.0)),
            s(offset_m(RESERVOIR, 300.0, -1500.0)),
            s(offset_m(RESERVOIR, -1500.0, -1100.0)),
        ],
        in_quasi: vec![
            s(offset_m(RESERVOIR, -4500.0, 0.0)),
            s(offset_m(RESERVOIR, 0.0, 3500.0)),
            s(offset_m(RESERVOIR, 4000.0, -1500.0)),
        ],
        near_l2: near,
        in_river_l1: vec![
            s(offset_m((RIVER.0 - 0.004, RIVER.1 + 0.002), 50.0, 30.0)),
            s(offset_m((RIVER.0 + 0.004, RIVER.1 - 0.002), -80.0, 0.0)),
        ],
        in_built_up: (0..8)
            .map(|i| {
                s(offset_m(
                    TOWN,
                    -1800.0 + 500.0 * i as f64,
                    -600.0 + 150.0 * (i % 3) as f64,
                ))
            })
            .collect(),
        in_coal_ban_only: vec![
            s(offset_m(TOWN, 3300.0, 0.0)),
            s(offset_m(TOWN, -3300.0, 400.0)),
            s(offset_m(TOWN, 0.0, 2600.0)),
        ],
        elsewhere: (0..6)
            .map(|i| {
                s(offset_m(
                    TOWN,
                    9000.0 + 700.0 * i as f64,
                    -8000.0 + 900.0 * i as f64,
                ))
            })
            .collect(),
    }
}

/// Degrees-minutes-seconds in one of the spellings ledgers use.
fn dms(v: f64, style: usize) -> String {
    let d = v.trunc();
    let m_all = (v - d) * 60.0;
    let m = m_all.trunc();
    let sec = (m_all - m) * 60.0;
    match style % 4 {
        0 => format!("{d}°{m:02}′{sec:05.2}″"),
        1 => format!("{d}度{m}分{sec:.2}秒"),
        2 => format!("{d}°{m}'{sec:.2}\""),
        _ => full_width(&format!("{v:.6}")),
    }
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c),
            '.' => '．',
            _ => c,
        })
        .collect()
}

struct Boiler<'a> {
    site: &'a Site,
    unit: &'static str,
    fuel: &'static str,
    tph: Option<f64>,
    mw: Option<f64>,
    status: &'static str,
    /// Picked on Amap: the ledger holds GCJ-02 coordinates.
    amap: bool,
}

fn write_boilers(out: &Path, plan: &SitePlan) -> Res<()> {
    let b = |site, unit, fuel, tph, mw, status, amap| Boiler {
        site,
        unit,
        fuel,
        tph,
        mw,
        status,
        amap,
    };
    let mut rows: Vec<Boiler> = vec![
        b(
            &plan.in_l1[0],
            "汾源水库管理站",
            "燃煤",
            Some(2.0),
            None,
            "在用",
            false,
        ),
        b(
            &plan.in_l1[1],
            "库区农家乐",
            "天然气",
            Some(0.5),
            None,
            "在用",
            false,
        ),
        b(
            &plan.in_l2[0],
            "水库北岸养殖场",
            "燃煤",
            Some(4.0),
            None,
            "在用",
            true,
        ),
        b(
            &plan.in_l2[1],
            "东坡村小学",
            "电",
            Some(1.0),
            None,
            "在用",
            false,
        ),
        b(
            &plan.in_l2[2],
            "库南洗浴中心",
            "燃煤",
            Some(1.0),
            None,
            "已淘汰",
            false,
        ),
        b(
            &plan.in_l2[3],
            "西沟砖厂",
            "原煤",
            Some(6.0),
            None,
            "在用",
            true,
        ),
        b(
            &plan.in_quasi[0],
            "汾源县第二中学",
            "燃煤",
            Some(10.0),
            None,
            "在用",
            false,
        ),
        b(
            &plan.near_l2[0],
            "南庄村委会",
            "燃煤",
            Some(1.0),
            None,
            "在用",
            false,
        ),
        b(
            &plan.in_river_l1[0],
            "东河泵站",
            "燃煤",
            Some(0.5),
            None,
            "停用",
            false,
        ),
    ];
    // Built-up area: thresholds at their edges (10 t/h 及以下, 35 t/h 以下, MW).
    let caps: [(Option<f64>, Option<f64>, &str, &str); 8] = [
        (Some(2.0), None, "燃煤", "在用"),
        (Some(10.0), None, "燃煤", "在用"),
        (Some(10.5), None, "燃煤", "在用"),
        (Some(35.0), None, "燃煤", "在用"),
        (None, Some(24.5), "燃煤", "在用"),
        (None, Some(7.0), "燃煤", "在用"),
        (Some(4.0), None, "燃煤", "已淘汰"),
        (Some(6.0), None, "天然气", "在用"),
    ];
    let names = [
        "县医院",
        "城关供热站",
        "第一中学",
        "汾源热电厂",
        "城北集中供热站",
        "县政府机关",
        "农机公司",
        "人民宾馆",
    ];
    for (i, (tph, mw, fuel, status)) in caps.iter().enumerate() {
        rows.push(b(
            &plan.in_built_up[i],
            names[i],
            fuel,
            *tph,
            *mw,
            status,
            i == 2,
        ));
    }
    rows.push(b(
        &plan.in_coal_ban_only[0],
        "城东饭店",
        "燃煤",
        Some(0.5),
        None,
        "在用",
        false,
    ));
    rows.push(b(
        &plan.in_coal_ban_only[1],
        "西关洗浴",
        "洁净型煤",
        Some(1.0),
        None,
        "在用",
        false,
    ));
    rows.push(b(
        &plan.in_coal_ban_only[2],
        "北郊养老院",
        "燃煤",
        Some(2.0),
        None,
        "已淘汰",
        false,
    ));
    for (i, site) in plan.elsewhere.iter().take(4).enumerate() {
        rows.push(b(
            site,
            ["石岭村委会", "河湾食品厂", "马坊中学", "龙泉宾馆"][i],
            "燃煤",
            Some(1.0 + i as f64),
            None,
            "在用",
            false,
        ));
    }

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("锅炉台账")?;
    ws.merge_range(
        0,
        0,
        0,
        14,
        "汾源县燃煤锅炉排查台账（2019年7月）",
        &rust_xlsxwriter::Format::new().set_bold(),
    )?;
    let header = [
        "序号",
        "市",
        "县区",
        "单位名称",
        "统一社会信用代码",
        "地址",
        "经度",
        "纬度",
        "坐标来源",
        "锅炉编号",
        "额定蒸发量(t/h)",
        "额定功率(MW)",
        "燃料类型",
        "状态",
        "备注",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(1, c as u16, *h)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        let (mut lon, mut lat) = r.site.lonlat;
        if r.amap {
            (lon, lat) = wgs84_to_gcj02(lon, lat);
        }
        ws.write_number(row, 0, (i + 1) as f64)?;
        ws.write_string(row, 1, CITY)?;
        ws.write_string(row, 2, COUNTY)?;
        ws.write_string(row, 3, r.unit)?;
        ws.write_string(
            row,
            4,
            format!("91140188MA0{:05}X{}", 1000 + i * 37, i % 10),
        )?;
        ws.write_string(row, 5, format!("{COUNTY}城关镇{}号", 10 + i * 3))?;
        if i % 5 == 4 {
            ws.write_number(row, 6, round7(lon))?;
            ws.write_number(row, 7, round7(lat))?;
        } else {
            ws.write_string(row, 6, dms(lon, i))?;
            ws.write_string(row, 7, dms(lat, i))?;
        }
        ws.write_string(row, 8, if r.amap { "高德地图" } else { "GPS实测" })?;
        ws.write_string(row, 9, format!("GL-{:03}", i + 1))?;
        if let Some(t) = r.tph {
            ws.write_number(row, 10, t)?;
        }
        if let Some(m) = r.mw {
            ws.write_number(row, 11, m)?;
        }
        ws.write_string(row, 12, r.fuel)?;
        ws.write_string(row, 13, r.status)?;
    }
    // A row the office has not finished: text where the latitude should be.
    let row = rows.len() as u32 + 2;
    ws.write_number(row, 0, (rows.len() + 1) as f64)?;
    ws.write_string(row, 1, CITY)?;
    ws.write_string(row, 2, COUNTY)?;
    ws.write_string(row, 3, "新建物流园锅炉房")?;
    ws.write_string(row, 6, "112°21′10.5″")?;
    ws.write_string(row, 7, "待补充")?;
    ws.write_string(row, 8, "GPS实测")?;
    ws.write_number(row, 10, 4.0)?;
    ws.write_string(row, 12, "燃煤")?;
    ws.write_string(row, 13, "在用")?;
    ws.write_string(row, 14, "坐标待现场核实")?;
    ws.set_column_width(3, 18)?;
    ws.set_column_width(4, 22)?;
    ws.set_column_width(5, 22)?;
    ws.set_column_width(6, 16)?;
    ws.set_column_width(7, 16)?;
    wb.save(out.join("锅炉台账.xlsx"))?;
    Ok(())
}

fn write_enterprises(out: &Path, plan: &SitePlan) -> Res<()> {
    // (site, name, industry, 散乱污, 整治类型, 整治状态)
    type E<'a> = (
        &'a Site,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let list: Vec<E> = vec![
        (
            &plan.in_l1[2],
            "库区小型汽修点",
            "机动车维修",
            "是",
            "关停取缔",
            "未完成",
        ),
        (
            &plan.in_l2[0],
            "北岸塑料颗粒加工点",
            "塑料制品",
            "是",
            "关停取缔",
            "未完成",
        ),
        (&plan.in_l2[1], "东坡石材加工厂", "石材加工", "否", "", ""),
        (&plan.in_quasi[1], "汾源电镀厂", "电镀", "否", "", ""),
        (
            &plan.in_quasi[2],
            "晋丰印染有限公司",
            "印染",
            "否",
            "升级改造",
            "已完成",
        ),
        (
            &plan.near_l2[1],
            "南庄废品收购站",
            "废旧物资回收",
            "是",
            "整合搬迁",
            "未完成",
        ),
        (&plan.near_l2[2], "坡底粮食加工厂", "粮食加工", "否", "", ""),
        (
            &plan.in_river_l1[1],
            "东河洗砂场",
            "砂石加工",
            "是",
            "关停取缔",
            "已完成",
        ),
        (
            &plan.in_built_up[0],
            "城关铸造作坊",
            "铸造",
            "是",
            "关停取缔",
            "未完成",
        ),
        (
            &plan.in_built_up[3],
            "城南家具厂",
            "家具制造",
            "是",
            "升级改造",
            "已完成",
        ),
        (&plan.elsewhere[4], "马坊化工厂", "化工", "否", "", ""),
        (
            &plan.elsewhere[5],
            "龙泉小炼焦",
            "炼焦",
            "是",
            "关停取缔",
            "未完成",
        ),
    ];
    let fields = [
        ("企业名称", FieldKind::Text),
        ("统一社会信", FieldKind::Text),
        ("行业", FieldKind::Text),
        ("是否散乱污", FieldKind::Text),
        ("整治类型", FieldKind::Text),
        ("整治状态", FieldKind::Text),
        ("县区", FieldKind::Text),
    ]
    .map(|(name, kind)| FieldDef {
        name: name.into(),
        kind,
    });
    let t = Transform::new(&Crs::wgs84(), &Crs::from_epsg(4525)?)?;
    let mut geoms = Vec::new();
    let mut rows = Vec::new();
    for (i, (site, name, industry, slw, remediation, state)) in list.iter().enumerate() {
        let (x, y) = t.apply(site.lonlat.0, site.lonlat.1)?;
        geoms.push(Some(Geometry::Point(Point::new(
            (x * 100.0).round() / 100.0,
            (y * 100.0).round() / 100.0,
        ))));
        rows.push(vec![
            Value::Text((*name).into()),
            Value::Text(format!("92140188MA0{:05}Y{}", 3000 + i * 41, i % 10)),
            Value::Text((*industry).into()),
            Value::Text((*slw).into()),
            Value::Text((*remediation).into()),
            Value::Text((*state).into()),
            Value::Text(COUNTY.into()),
        ]);
    }
    let opts = ShapefileWriteOptions {
        encoding: encoding_rs::GBK,
        ldid: Some(0x4D),
        write_cpg: false,
        prj: None,
        ..ShapefileWriteOptions::default()
    };
    write_shapefile(&out.join("散乱污企业.shp"), &geoms, &fields, &rows, &opts)?;
    Ok(())
}

fn write_outfalls(out: &Path, plan: &SitePlan) -> Res<()> {
    let list = [
        (&plan.in_l2[2], "库南生活污水排口", "生活污水"),
        (&plan.in_river_l1[0], "东河泵站排水口", "雨污混合"),
        (&plan.in_quasi[0], "二中排水口", "生活污水"),
        (&plan.in_built_up[5], "城关污水处理厂排口", "污水处理厂"),
        (&plan.elsewhere[2], "马坊工业园排口", "工业废水"),
    ];
    let mut text = String::from("\u{feff}排污口名称,排污口类型,县区,经度,纬度\r\n");
    for (site, name, kind) in list {
        text.push_str(&format!(
            "{name},{kind},{COUNTY},{:.7},{:.7}\r\n",
            site.lonlat.0, site.lonlat.1
        ));
    }
    std::fs::File::create(out.join("入河排污口.csv"))?.write_all(text.as_bytes())?;
    Ok(())
}

fn write_readme(out: &Path) -> Res<()> {
    let text = "# qingling sample data (generated)\n\n\
A fictional county (汾源县) south-west of Taiyuan. Regenerate with\n\
`cargo run --example sample_data`; `qingling demo` runs the full check on it.\n\n\
| file | what | format details |\n|---|---|---|\n\
| 水源保护区.shp | water zones 一级/二级/准保护区 of a reservoir (level 1 with an island hole) and a river intake (level 1 multipart) | GBK DBF + .cpg, EPSG:4546, ESRI .prj |\n\
| 禁煤区.geojson | coal-ban zone | WGS84 |\n\
| 建成区.geojson | built-up area of the county seat | WGS84 |\n\
| 锅炉台账.xlsx | boiler ledger | title row, DMS/decimal/full-width coordinates, t/h and MW, GCJ-02 rows flagged in 坐标来源, one row with text in 纬度 |\n\
| 散乱污企业.shp | enterprises (散乱污 list) | no .prj, zone-prefixed GK coordinates (EPSG:4525), GBK by language driver only |\n\
| 入河排污口.csv | outfalls | UTF-8 with BOM, CRLF |\n";
    std::fs::write(out.join("README.md"), text)?;
    Ok(())
}
