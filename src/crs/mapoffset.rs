//! GCJ-02 (Amap, Tencent) and BD-09 (Baidu) map-app coordinates and their
//! correction back to WGS84, by the widely published algorithm (the
//! "eviltransform" formulas).
//!
//! The forward offsets are closed formulas; the inverses are solved by fixed-point
//! iteration to about 1e-9 degrees (≈ 0.1 mm), far below the ~1 m accuracy of the
//! published forward formula itself. Outside China (the usual rough rectangle
//! 72.004–137.8347°E, 0.8293–55.8271°N) GCJ-02 equals WGS84; the BD-09 step is
//! applied everywhere, as Baidu does.
//!
//! All functions take and return `(lon, lat)` in degrees.

use std::f64::consts::PI;

/// Krassowsky semi-major axis used by GCJ-02.
const A: f64 = 6_378_245.0;
/// Krassowsky first eccentricity squared used by GCJ-02.
const EE: f64 = 0.006_693_421_622_965_943;
/// BD-09's scaled pi.
const X_PI: f64 = PI * 3000.0 / 180.0;
/// Iterative inverses stop when the residual is below this (degrees, ≈ 0.1 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-9;
const MAX_ITERATIONS: usize = 30;

fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    ret
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    ret += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    ret += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    ret += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    ret
}

/// The GCJ-02 offset (dlon, dlat) in degrees at a WGS84 position in China.
fn gcj_delta(lon: f64, lat: f64) -> (f64, f64) {
    let dlat = offset_lat(lon - 105.0, lat - 35.0);
    let dlon = offset_lon(lon - 105.0, lat - 35.0);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (A / sqrt_magic * rad_lat.cos() * PI);
    (dlon, dlat)
}

/// WGS84 → GCJ-02 (what Amap and Tencent show). Identity outside China.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_delta(lon, lat);
    (lon + dlon, lat + dlat)
}

/// Solves `forward(p) = target` for p by fixed-point iteration from `start`.
fn invert(
    target: (f64, f64),
    start: (f64, f64),
    forward: impl Fn(f64, f64) -> (f64, f64),
) -> (f64, f64) {
    let mut p = start;
    for _ in 0..MAX_ITERATIONS {
        let (fx, fy) = forward(p.0, p.1);
        let (ex, ey) = (fx - target.0, fy - target.1);
        p = (p.0 - ex, p.1 - ey);
        if ex.abs() < INVERSE_TOLERANCE_DEG && ey.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    p
}

/// GCJ-02 → WGS84, solved iteratively to ≈ 1e-9°. Identity outside China.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) || !lon.is_finite() || !lat.is_finite() {
        return (lon, lat);
    }
    // First guess: subtract the offset at the GCJ point (≈ 1–2 m off).
    let (dlon, dlat) = gcj_delta(lon, lat);
    invert((lon, lat), (lon - dlon, lat - dlat), wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (what Baidu shows).
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02: the published closed formula refined by iteration so that
/// `gcj02_to_bd09` of the result returns the input to ≈ 1e-9°.
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !lon.is_finite() || !lat.is_finite() {
        return (lon, lat);
    }
    let (x, y) = (lon - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    invert(
        (lon, lat),
        (z * theta.cos(), z * theta.sin()),
        gcj02_to_bd09,
    )
}

/// WGS84 → BD-09 (via GCJ-02).
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(glon, glat)
}

/// BD-09 → WGS84 (via GCJ-02).
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(glon, glat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published test vectors of eviltransform (go/transform_test.go and the
    /// ports in other languages): (wgs lat, wgs lon, gcj lat, gcj lon).
    const EVILTRANSFORM: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215), // Shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363), // Shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657), // Beijing
    ];

    #[test]
    fn forward_matches_the_published_vectors() {
        for (wlat, wlon, glat, glon) in EVILTRANSFORM {
            let (lon, lat) = wgs84_to_gcj02(wlon, wlat);
            assert!(
                (lon - glon).abs() < 1e-9 && (lat - glat).abs() < 1e-9,
                "{wlon},{wlat}"
            );
        }
    }

    #[test]
    fn inverse_recovers_the_published_wgs84_points() {
        for (wlat, wlon, glat, glon) in EVILTRANSFORM {
            let (lon, lat) = gcj02_to_wgs84(glon, glat);
            assert!(
                (lon - wlon).abs() < 1e-8 && (lat - wlat).abs() < 1e-8,
                "{glon},{glat}"
            );
        }
    }

    #[test]
    fn outside_china_nothing_moves() {
        assert_eq!(wgs84_to_gcj02(-104.9903, 39.7392), (-104.9903, 39.7392));
        assert_eq!(gcj02_to_wgs84(153.0251, -27.4698), (153.0251, -27.4698));
    }

    #[test]
    fn baidu_round_trip_is_exact_to_a_millimetre() {
        let (bl, bb) = wgs84_to_bd09(112.55, 37.87);
        let (l, b) = bd09_to_wgs84(bl, bb);
        assert!((l - 112.55).abs() < 1e-8 && (b - 37.87).abs() < 1e-8);
    }

    #[test]
    fn non_finite_input_does_not_hang_or_panic() {
        assert!(gcj02_to_wgs84(f64::NAN, 37.0).0.is_nan());
        assert!(bd09_to_wgs84(f64::INFINITY, 37.0).0.is_infinite());
    }
}
