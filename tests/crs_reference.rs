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
