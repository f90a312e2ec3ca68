//! Reference coordinates from PROJ for qingling's transforms.
//!
//! Source of every number below: PROJ 9.1.1 (Debian 12 `proj-bin`), computed with
//!
//! ```text
//! printf "37.87 112.55\n37.0 111.0\n35.5 113.9\n34.6 110.3\n" > pts.txt
//! cs2cs -d 6 EPSG:4490 EPSG:<code> pts.txt     # code = 4546 4547 4526 4525 2383 3857
//! ```
//!
//! (EPSG axis order: latitude/longitude in, northing/easting out for the
//! Gauss-Kruger CRSs, easting/northing for 3857; the tables below are reordered to
//! easting, northing). Beijing 1954 (EPSG:2435) is compared with an explicit
//! proj-string run, because PROJ 9 applies no datum shift ("ballpark") for
//! EPSG:4490 → EPSG:2435 while qingling applies the EPSG Beijing 1954 → WGS 84
//! TOWGS84:
//!
//! ```text
//! printf "112.55 37.87\n111.0 37.0\n113.9 35.5\n110.3 34.6\n" > ll.txt
//! cs2cs -d 6 +proj=longlat +ellps=GRS80 +towgs84=0,0,0 +no_defs +type=crs +to \
//!   +proj=tmerc +lat_0=0 +lon_0=114 +k=1 +x_0=500000 +y_0=0 +ellps=krass \
//!   +towgs84=15.8,-154.4,-82.3,0,0,0,0 +units=m +no_defs +type=crs ll.txt
//! ```
//!
//! The tests do not run cs2cs.

use qingling::crs::{Crs, Transform};

/// (lon, lat) of the test points: Taiyuan, and three corners of Shanxi.
const POINTS: [(f64, f64); 4] = [(112.55, 37.87), (111.0, 37.0), (113.9, 35.5), (110.3, 34.6)];

/// (easting, northing) of each of the [`POINTS`].
type Projected = [(f64, f64); 4];

/// (EPSG code, tolerance in metres, PROJ's coordinates).
const REFERENCE: [(u32, f64, Projected); 7] = [
    (
        4546,
        1e-3,
        [
            (636384.430084, 4194201.250182),
            (500000.000000, 4096510.974734),
            (763152.117827, 3933934.706744),
            (435788.303005, 3830440.875665),
        ],
    ),
    (
        4547,
        1e-3,
        [
            (372415.048848, 4194059.799993),
            (232931.052250, 4100720.981730),
            (490927.059345, 3930070.080410),
            (160513.918989, 3836447.714961),
        ],
    ),
    (
        4526,
        1e-3,
        [
            (38372415.048848, 4194059.799993),
            (38232931.052250, 4100720.981730),
            (38490927.059345, 3930070.080410),
            (38160513.918989, 3836447.714961),
        ],
    ),
    (
        4525,
        1e-3,
        [
            (37636384.430084, 4194201.250182),
            (37500000.000000, 4096510.974734),
            (37763152.117827, 3933934.706744),
            (37435788.303005, 3830440.875665),
        ],
    ),
    // Xian 1980: no datum shift (as PROJ: no EPSG transformation exists).
    (
        2383,
        1e-3,
        [
            (372414.988718, 4194061.755877),
            (232930.926390, 4100722.893932),
            (490927.055070, 3930071.912739),
            (160513.759036, 3836449.503513),
        ],
    ),
    // Beijing 1954 with the EPSG:15921 TOWGS84 (see the module comment).
    (
        2435,
        5e-3,
        [
            (372367.840472, 4194105.842382),
            (232885.127300, 4100767.860390),
            (490878.777427, 3930118.555445),
            (160468.706963, 3836497.034128),
        ],
    ),
    (
        3857,
        1e-3,
        [
            (12529008.688783, 4561077.415264),
            (12356463.478053, 4439106.787251),
            (12679290.001354, 4232038.462399),
            (12278539.834498, 4109654.733553),
        ],
    ),
];

#[test]
fn shanxi_points_project_as_proj_does() {
    for source in [Crs::cgcs2000(), Crs::wgs84()] {
        for (code, tol, expected) in REFERENCE {
            let target = Crs::from_epsg(code).unwrap();
            let t = Transform::new(&source, &target).unwrap();
            for ((lon, lat), (e, n)) in POINTS.iter().zip(expected) {
                let (x, y) = t.apply(*lon, *lat).unwrap();
                assert!(
                    (x - e).abs() <= tol && (y - n).abs() <= tol,
                    "{source} -> EPSG:{code} at ({lon}, {lat}): got ({x:.6}, {y:.6}), PROJ ({e}, {n})"
                );
            }
        }
    }
}

#[test]
fn projected_reference_points_come_back_to_their_longitude_and_latitude() {
    for (code, _, expected) in REFERENCE {
        let t = Transform::new(&Crs::from_epsg(code).unwrap(), &Crs::cgcs2000()).unwrap();
        // PROJ printed 6 decimals (1 µm); a datum shift costs up to ~1 mm of height.
        let tol_deg = if code == 2435 { 2e-8 } else { 1e-10 };
        for ((lon, lat), (e, n)) in POINTS.iter().zip(expected) {
            let (x, y) = t.apply(e, n).unwrap();
            assert!(
                (x - lon).abs() <= tol_deg && (y - lat).abs() <= tol_deg,
                "EPSG:{code} ({e}, {n}) -> ({x}, {y}), expected ({lon}, {lat})"
            );
        }
    }
}

#[test]
fn zone_prefixed_and_plain_eastings_convert_into_each_other() {
    let t = Transform::new(
        &Crs::from_epsg(4525).unwrap(),
        &Crs::from_epsg(4546).unwrap(),
    )
    .unwrap();
    let (x, y) = t.apply(37_636_384.430084, 4_194_201.250182).unwrap();
    assert!((x - 636_384.430084).abs() < 1e-6 && (y - 4_194_201.250182).abs() < 1e-6);
}

#[test]
fn zone_37_coordinates_convert_to_zone_38_as_proj_does() {
    // Taiyuan (112.55E) lies in zone 38 but is often drawn in zone 37.
    let t = Transform::new(
        &Crs::from_epsg(4546).unwrap(),
        &Crs::from_epsg(4547).unwrap(),
    )
    .unwrap();
    let (x, y) = t.apply(636_384.430084, 4_194_201.250182).unwrap();
    assert!((x - 372_415.048848).abs() < 1e-3 && (y - 4_194_059.799993).abs() < 1e-3);
}

// ---------------------------------------------------------------------------
// .prj files as ArcGIS and GDAL write them.

const ESRI_CGCS2000_GK_CM_111E: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_111E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const ESRI_CGCS2000_GK_ZONE_37: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_37",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",37500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",111.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const ESRI_GCS_CGCS2000: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const ESRI_XIAN_GK_CM_114E: &str = r#"PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
/// ArcGIS Server variant with an unquoted AUTHORITY code.
const ESRI_XIAN_GK_CM_114E_AUTHORITY: &str = r#"PROJCS["Xian_1980_3_Degree_GK_CM_114E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0],AUTHORITY["EPSG",2383]]"#;
const ESRI_GCS_WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const ESRI_WEB_MERCATOR: &str = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;
/// OGC WKT1 as GDAL writes it (EPSG registry text).
const OGC_CGCS2000_GK_CM_114E: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4547"]]"#;
const OGC_UTM_50N: &str = r#"PROJCS["WGS 84 / UTM zone 50N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",117],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","32650"]]"#;
const OGC_BEIJING_GK_CM_114E_NO_AUTHORITY: &str = r#"PROJCS["Beijing 1954 / 3-degree Gauss-Kruger CM 114E",GEOGCS["Beijing 1954",DATUM["Beijing_1954",SPHEROID["Krassowsky 1940",6378245,298.3],TOWGS84[15.8,-154.4,-82.3,0,0,0,0]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]"#;
const ESRI_ASIA_LAMBERT: &str = r#"PROJCS["Asia_North_Lambert_Conformal_Conic",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",95.0],PARAMETER["Standard_Parallel_1",15.0],PARAMETER["Standard_Parallel_2",65.0],PARAMETER["Latitude_Of_Origin",30.0],UNIT["Meter",1.0]]"#;
const ESRI_VAN_DER_GRINTEN: &str = r#"PROJCS["World_Van_der_Grinten_I",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Van_der_Grinten_I"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],UNIT["Meter",1.0]]"#;

#[test]
fn esri_and_ogc_prj_files_are_identified_by_epsg_code() {
    let cases = [
        (ESRI_CGCS2000_GK_CM_111E, 4546),
        (ESRI_CGCS2000_GK_ZONE_37, 4525),
        (ESRI_GCS_CGCS2000, 4490),
        (ESRI_XIAN_GK_CM_114E, 2383),
        (ESRI_XIAN_GK_CM_114E_AUTHORITY, 2383),
        (ESRI_GCS_WGS84, 4326),
        (ESRI_WEB_MERCATOR, 3857),
        (OGC_CGCS2000_GK_CM_114E, 4547),
        (OGC_UTM_50N, 32650),
        (OGC_BEIJING_GK_CM_114E_NO_AUTHORITY, 2435),
    ];
    for (wkt, code) in cases {
        let crs = Crs::from_prj(wkt).unwrap_or_else(|e| panic!("{wkt}: {e}"));
        assert_eq!(crs.epsg, Some(code), "{wkt}");
        assert_eq!(crs, Crs::from_epsg(code).unwrap());
    }
    assert_eq!(
        Crs::from_prj(ESRI_CGCS2000_GK_CM_111E).unwrap().name,
        "CGCS2000 / 3-degree Gauss-Kruger CM 111E"
    );
    assert!(Crs::from_prj(ESRI_GCS_WGS84).unwrap().is_geographic());
}

#[test]
fn a_prj_outside_the_known_families_keeps_a_working_proj_string() {
    let crs = Crs::from_prj(ESRI_ASIA_LAMBERT).unwrap();
    assert_eq!(crs.epsg, None);
    assert_eq!(crs.name, "Asia_North_Lambert_Conformal_Conic");
    assert!(crs.proj4.starts_with("+proj=lcc"), "{}", crs.proj4);
    let fwd = Transform::new(&Crs::cgcs2000(), &crs).unwrap();
    let inv = Transform::new(&crs, &Crs::cgcs2000()).unwrap();
    let (x, y) = fwd.apply(112.55, 37.87).unwrap();
    let (lon, lat) = inv.apply(x, y).unwrap();
    assert!((lon - 112.55).abs() < 1e-8 && (lat - 37.87).abs() < 1e-8);
}

#[test]
fn garbage_prj_text_is_a_clear_error() {
    for text in [
        "",
        "This is not a projection file\n",
        "PROJCS[\"a\",GEOGCS[",
        "\u{0}\u{1}binary",
        "GEOGCS",
    ] {
        let err = Crs::from_prj(text).unwrap_err().to_string();
        assert!(
            err.contains("not a WKT coordinate system"),
            "{text:?}: {err}"
        );
        assert!(err.contains("--zones-crs"), "{err}");
    }
}

#[test]
fn an_unsupported_projection_is_named_in_the_error() {
    let err = Crs::from_prj(ESRI_VAN_DER_GRINTEN).unwrap_err().to_string();
    assert_eq!(
        err,
        "unsupported projection 'Van_der_Grinten_I' in .prj; give the EPSG code with --zones-crs/--sites-crs"
    );
}

// ---------------------------------------------------------------------------
// GCJ-02 / BD-09 in Shanxi.

use proptest::prelude::*;
use qingling::crs::{
    bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02,
};

/// Ground distance in metres between two nearby lon/lat points (equirectangular).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = ((a.1 + b.1) / 2.0).to_radians();
    let dx = (a.0 - b.0) * 111_320.0 * lat.cos();
    let dy = (a.1 - b.1) * 110_574.0;
    (dx * dx + dy * dy).sqrt()
}

proptest! {
    #[test]
    fn gcj02_round_trip_over_shanxi_is_within_a_centimetre(lon in 110.2f64..114.6, lat in 34.5f64..40.8) {
        let back = gcj02_to_wgs84(wgs84_to_gcj02(lon, lat).0, wgs84_to_gcj02(lon, lat).1);
        prop_assert!(metres(back, (lon, lat)) < 0.01);
        let fwd = wgs84_to_gcj02(gcj02_to_wgs84(lon, lat).0, gcj02_to_wgs84(lon, lat).1);
        prop_assert!(metres(fwd, (lon, lat)) < 0.01);
    }

    #[test]
    fn bd09_round_trip_over_shanxi_is_within_a_centimetre(lon in 110.2f64..114.6, lat in 34.5f64..40.8) {
        let (bl, bb) = wgs84_to_bd09(lon, lat);
        prop_assert!(metres(bd09_to_wgs84(bl, bb), (lon, lat)) < 0.01);
    }

    #[test]
    fn shanxi_offsets_have_the_published_size(lon in 110.25f64..114.55, lat in 34.6f64..40.7) {
        // DOMAIN.md: GCJ-02 about 530–620 m, BD-09 about 1.3–1.4 km in Shanxi; over
        // the whole bounding rectangle the formula gives 478–639 m and 1.18–1.45 km.
        let g = metres(wgs84_to_gcj02(lon, lat), (lon, lat));
        prop_assert!((470.0..650.0).contains(&g), "gcj {}", g);
        let b = metres(wgs84_to_bd09(lon, lat), (lon, lat));
        prop_assert!((1150.0..1500.0).contains(&b), "bd {}", b);
    }
}

#[test]
fn taiyuan_moves_about_555_m_east_on_amap() {
    let taiyuan = (112.55, 37.87);
    let g = wgs84_to_gcj02(taiyuan.0, taiyuan.1);
    let d = metres(g, taiyuan);
    assert!((530.0..620.0).contains(&d), "{d}");
    assert!(g.0 > taiyuan.0, "mostly eastward");
}

#[test]
fn published_gcj02_vectors_for_beijing_shanghai_shenzhen() {
    // eviltransform's test vectors: (wgs lon, wgs lat) -> (gcj lon, gcj lat).
    let vectors = [
        (
            (116.377817, 39.911954),
            (116.38404722455657, 39.91334545536069),
        ),
        (
            (121.5272106, 31.1774276),
            (121.531541859215, 31.17530398364597),
        ),
        (
            (113.912316, 22.543847),
            (113.9171764808363, 22.540796131694766),
        ),
    ];
    for (wgs, gcj) in vectors {
        let got = wgs84_to_gcj02(wgs.0, wgs.1);
        assert!(metres(got, gcj) < 1e-4, "{wgs:?}");
        assert!(metres(gcj02_to_wgs84(gcj.0, gcj.1), wgs) < 1e-3, "{gcj:?}");
    }
}

#[test]
fn published_coordtransform_vectors_near_tiananmen() {
    // wandergis/coordtransform README (test/app.js), input (116.404, 39.915) each time.
    let p = (116.404, 39.915);
    let close = |got: (f64, f64), want: (f64, f64), tol_m: f64| {
        assert!(
            metres(got, want) < tol_m,
            "{got:?} vs {want:?}: {} m",
            metres(got, want)
        );
    };
    // Forward formulas: the same numbers.
    close(
        gcj02_to_bd09(p.0, p.1),
        (116.41036949371029, 39.92133699351021),
        1e-4,
    );
    close(
        wgs84_to_gcj02(p.0, p.1),
        (116.41024449916938, 39.91640428150164),
        1e-4,
    );
    // Inverses: coordtransform publishes the one-step approximations; ours are
    // iterated to exactness, so they agree to the approximation's error (< 2 m)...
    close(
        bd09_to_gcj02(p.0, p.1),
        (116.39762729119315, 39.90865673957631),
        2.0,
    );
    close(
        gcj02_to_wgs84(p.0, p.1),
        (116.39775550083061, 39.91359571849836),
        2.0,
    );
    // ...and invert their forward formula to a millimetre.
    let g = bd09_to_gcj02(p.0, p.1);
    close(gcj02_to_bd09(g.0, g.1), p, 1e-3);
    let w = gcj02_to_wgs84(p.0, p.1);
    close(wgs84_to_gcj02(w.0, w.1), p, 1e-3);
}

// ---------------------------------------------------------------------------
// Detection of layers without a .prj.

use qingling::crs::{Detection, detect_from_bounds};

#[test]
fn shanxi_layers_without_prj_are_detected_or_ask_for_the_zone() {
    let code = |d: Detection| match d {
        Detection::Found { crs, .. } => crs.epsg,
        _ => None,
    };
    assert_eq!(
        code(detect_from_bounds((110.3, 34.6, 114.5, 40.7), None)),
        Some(4490)
    );
    assert_eq!(
        code(detect_from_bounds(
            (37_435_788.3, 3_830_440.9, 37_763_152.1, 4_194_201.3),
            None
        )),
        Some(4525)
    );
    let plain = (160_513.9, 3_836_447.7, 490_927.1, 4_194_059.8);
    match detect_from_bounds(plain, None) {
        Detection::Ambiguous { message, .. } => assert_eq!(
            message,
            "eastings have no zone number (x 160513.9..490927.1, y 3836447.7..4194059.8): Gauss-Kruger \
             zone unknown; give it (e.g. --gk-zone 37 for 111°E, 38 for 114°E) or add a .prj"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(code(detect_from_bounds(plain, Some(38))), Some(4547));
}
