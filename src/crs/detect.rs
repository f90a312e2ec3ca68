//! Guessing the CRS of a layer that has no `.prj` from its coordinate ranges.
//!
//! Three layouts are recognised: degrees inside China (CGCS2000 geographic),
//! 8-digit Gauss-Kruger eastings whose first two digits are the zone number, and
//! 6-digit eastings, which need the zone from the user (DOMAIN.md: Shanxi straddles
//! 3-degree zones 37 and 38, so a 6-digit easting alone cannot say which). The datum
//! cannot be seen in the numbers: projected guesses are CGCS2000, and the reason
//! says so, so a Xian 1980 or Beijing 1954 layer needs a `.prj` or an EPSG code.

use super::Crs;
use super::epsg::{Datum, GkSpec};

/// What coordinate ranges say about a layer with no `.prj`.
#[derive(Clone, Debug, PartialEq)]
pub enum Detection {
    /// One CRS fits; `why` is a sentence for the user.
    Found {
        /// The CRS guessed.
        crs: Crs,
        /// Why, e.g. "eastings start with zone 37".
        why: String,
    },
    /// The numbers fit more than one CRS; `message` says what to give.
    Ambiguous {
        /// What is missing and how to supply it.
        message: String,
        /// The same in Chinese.
        message_zh: String,
    },
    /// The numbers fit no known layout.
    Unknown {
        /// The ranges found and what to do.
        message: String,
        /// The same in Chinese.
        message_zh: String,
    },
}

/// Northings of China in metres (the equator to beyond 54°N).
const NORTHING_RANGE: std::ops::Range<f64> = 0.0..6_000_000.0;

fn gk_crs(spec: GkSpec) -> Option<Crs> {
    let code = spec.epsg()?;
    Crs::from_epsg(code).ok()
}

fn ranges(b: (f64, f64, f64, f64)) -> String {
    format!("x {}..{}, y {}..{}", b.0, b.2, b.1, b.3)
}

/// Guesses a CRS from a layer's bounds `(min_x, min_y, max_x, max_y)`.
/// `gk_zone` is the user-given 3-degree zone number (25–45) for 6-digit eastings.
///
/// # Examples
///
/// ```
/// use qingling::crs::{Detection, detect_from_bounds};
///
/// let zone37 = (37_400_000.0, 3_900_000.0, 37_600_000.0, 4_200_000.0);
/// assert!(matches!(
///     detect_from_bounds(zone37, None),
///     Detection::Found { crs, .. } if crs.epsg == Some(4525)
/// ));
/// let no_prefix = (400_000.0, 3_900_000.0, 600_000.0, 4_200_000.0);
/// assert!(matches!(detect_from_bounds(no_prefix, None), Detection::Ambiguous { .. }));
/// ```
pub fn detect_from_bounds(bounds: (f64, f64, f64, f64), gk_zone: Option<u32>) -> Detection {
    let (min_x, min_y, max_x, max_y) = bounds;
    if ![min_x, min_y, max_x, max_y].iter().all(|v| v.is_finite()) || min_x > max_x || min_y > max_y
    {
        return Detection::Unknown {
            message: format!(
                "the layer has no valid coordinates ({}); nothing to detect a coordinate system from",
                ranges(bounds)
            ),
            message_zh: format!("图层没有有效坐标（{}），无法据此判断坐标系", ranges(bounds)),
        };
    }
    let within =
        |lo: f64, hi: f64, r: std::ops::RangeInclusive<f64>| r.contains(&lo) && r.contains(&hi);

    // Degrees (checked for swapped axes first: a latitude column read as x).
    if within(min_y, max_y, 73.0..=136.0) && within(min_x, max_x, 3.0..=54.0) {
        return Detection::Ambiguous {
            message: format!(
                "coordinates look like latitude/longitude in China with the axes swapped ({}); \
                 swap x and y, or give the coordinate system",
                ranges(bounds)
            ),
            message_zh: format!(
                "坐标看起来是中国境内的经纬度，但 x、y 互换了（{}）；请互换 x 和 y，或指定坐标系",
                ranges(bounds)
            ),
        };
    }
    if within(min_x, max_x, -180.0..=180.0) && within(min_y, max_y, -90.0..=90.0) {
        if within(min_x, max_x, 73.0..=136.0) && within(min_y, max_y, 3.0..=54.0) {
            return Detection::Found {
                crs: Crs::cgcs2000(),
                why: format!(
                    "coordinates are degrees inside China ({}): taken as CGCS2000 longitude/latitude \
                     (the same as WGS84 to well under a metre)",
                    ranges(bounds)
                ),
            };
        }
        return Detection::Found {
            crs: Crs::wgs84(),
            why: format!(
                "coordinates are degrees ({}), outside China: taken as WGS84 longitude/latitude",
                ranges(bounds)
            ),
        };
    }

    let northing_ok = NORTHING_RANGE.contains(&min_y) && NORTHING_RANGE.contains(&max_y);

    // Eastings with the zone number in front (8 digits: zone × 10^6 + 0..999 999).
    let zone_lo = (min_x / 1_000_000.0).floor();
    let zone_hi = (max_x / 1_000_000.0).floor();
    if northing_ok && within(min_x, max_x, 13_000_000.0..=46_000_000.0) {
        if zone_lo != zone_hi {
            return Detection::Ambiguous {
                message: format!(
                    "eastings start with different zone numbers ({zone_lo} and {zone_hi}; {}): one \
                     layer should be in one Gauss-Kruger zone; split it or add a .prj",
                    ranges(bounds)
                ),
                message_zh: format!(
                    "东坐标的带号不同（{zone_lo} 和 {zone_hi}；{}）：一个图层应在同一个高斯-克吕格投影带内；\
                     请拆分图层或补上 .prj",
                    ranges(bounds)
                ),
            };
        }
        // zone_lo is a whole number in 13..=46, so the cast is exact.
        let zone = zone_lo as u32;
        let spec = match zone {
            25..=45 => Some(GkSpec {
                datum: Datum::Cgcs2000,
                width_deg: 3,
                zone_prefix: true,
                central_meridian: zone * 3,
            }),
            13..=23 => Some(GkSpec {
                datum: Datum::Cgcs2000,
                width_deg: 6,
                zone_prefix: true,
                central_meridian: zone * 6 - 3,
            }),
            _ => None,
        };
        if let Some(crs) = spec.and_then(gk_crs) {
            let width = if zone >= 25 { 3 } else { 6 };
            return Detection::Found {
                why: format!(
                    "eastings start with zone {zone} ({}): taken as CGCS2000 {width}-degree \
                     Gauss-Kruger zone {zone}; if the data is Xian 1980 or Beijing 1954, add a .prj",
                    ranges(bounds)
                ),
                crs,
            };
        }
    }

    // Eastings without a zone number (6 digits around the 500 000 m false easting).
    if northing_ok && within(min_x, max_x, 100_000.0..=900_000.0) {
        return match gk_zone {
            Some(zone @ 25..=45) => {
                let spec = GkSpec {
                    datum: Datum::Cgcs2000,
                    width_deg: 3,
                    zone_prefix: false,
                    central_meridian: zone * 3,
                };
                match gk_crs(spec) {
                    Some(crs) => Detection::Found {
                        why: format!(
                            "eastings have no zone number ({}); zone {zone} as given: CGCS2000 \
                             3-degree Gauss-Kruger CM {}E",
                            ranges(bounds),
                            zone * 3
                        ),
                        crs,
                    },
                    None => Detection::Unknown {
                        message: format!("no CRS for Gauss-Kruger zone {zone}"),
                        message_zh: format!("高斯-克吕格第 {zone} 带没有对应的坐标系"),
                    },
                }
            }
            Some(zone) => Detection::Unknown {
                message: format!(
                    "Gauss-Kruger zone {zone} is not a 3-degree zone of China (25..45); give e.g. \
                     --gk-zone 37 for 111°E or 38 for 114°E"
                ),
                message_zh: format!(
                    "高斯-克吕格第 {zone} 带不是中国的 3 度带（25～45）；请指定带号，\
                     如 --gk-zone 37 对应 111°E，38 对应 114°E"
                ),
            },
            None => Detection::Ambiguous {
                message: format!(
                    "eastings have no zone number ({}): Gauss-Kruger zone unknown; give it (e.g. \
                     --gk-zone 37 for 111°E, 38 for 114°E) or add a .prj",
                    ranges(bounds)
                ),
                message_zh: format!(
                    "东坐标不带带号（{}）：高斯-克吕格投影带未知；请指定带号\
                     （如 --gk-zone 37 对应 111°E，38 对应 114°E）或补上 .prj",
                    ranges(bounds)
                ),
            },
        };
    }

    // Chinese surveying calls the northing X: a swapped layer has the 8-digit easting in y.
    let swapped = NORTHING_RANGE.contains(&min_x)
        && NORTHING_RANGE.contains(&max_x)
        && within(min_y, max_y, 13_000_000.0..=46_000_000.0);
    let (hint, hint_zh) = if swapped {
        (
            "x looks like a northing and y like an easting with zone number: swap x and y",
            "x 像北坐标、y 像带带号的东坐标：请互换 x 和 y",
        )
    } else {
        (
            "add a .prj or give the EPSG code with --zones-crs/--sites-crs",
            "请补上 .prj，或用 --zones-crs/--sites-crs 指定 EPSG 代码",
        )
    };
    Detection::Unknown {
        message: format!(
            "coordinates ({}) match no known layout (degrees, 8-digit Gauss-Kruger eastings with \
             zone number, 6-digit eastings); {hint}",
            ranges(bounds)
        ),
        message_zh: format!(
            "坐标（{}）不符合任何已知的格式（经纬度、带带号的 8 位高斯-克吕格东坐标、6 位东坐标）；{hint_zh}",
            ranges(bounds)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(d: Detection) -> (Option<u32>, String) {
        match d {
            Detection::Found { crs, why } => (crs.epsg, why),
            other => panic!("expected Found, got {other:?}"),
        }
    }

    #[test]
    fn degrees_in_shanxi_are_cgcs2000_geographic() {
        let (code, why) = found(detect_from_bounds((110.3, 34.6, 114.5, 40.7), None));
        assert_eq!(code, Some(4490));
        assert!(why.contains("degrees"), "{why}");
    }

    #[test]
    fn degrees_outside_china_are_wgs84() {
        assert_eq!(
            found(detect_from_bounds((2.0, 48.0, 3.0, 49.0), None)).0,
            Some(4326)
        );
    }

    #[test]
    fn swapped_degrees_are_reported_not_guessed() {
        assert!(matches!(
            detect_from_bounds((34.6, 110.3, 40.7, 114.5), None),
            Detection::Ambiguous { .. }
        ));
    }

    #[test]
    fn eight_digit_eastings_name_their_zone() {
        let (code, why) = found(detect_from_bounds(
            (37_380_000.0, 3_830_000.0, 37_640_000.0, 4_200_000.0),
            None,
        ));
        assert_eq!(code, Some(4525));
        assert!(why.contains("zone 37"), "{why}");
        let (code, _) = found(detect_from_bounds(
            (38_300_000.0, 3_900_000.0, 38_600_000.0, 4_400_000.0),
            None,
        ));
        assert_eq!(code, Some(4526));
        let (code, _) = found(detect_from_bounds(
            (19_400_000.0, 3_900_000.0, 19_600_000.0, 4_400_000.0),
            None,
        ));
        assert_eq!(code, Some(4497));
    }

    #[test]
    fn eastings_spanning_two_zones_are_ambiguous() {
        assert!(matches!(
            detect_from_bounds((37_380_000.0, 3_830_000.0, 38_640_000.0, 4_200_000.0), None),
            Detection::Ambiguous { .. }
        ));
    }

    #[test]
    fn six_digit_eastings_need_the_zone() {
        let b = (380_000.0, 3_830_000.0, 640_000.0, 4_500_000.0);
        match detect_from_bounds(b, None) {
            Detection::Ambiguous {
                message,
                message_zh,
            } => {
                assert!(message.contains("--gk-zone 37"), "{message}");
                assert!(message.contains("zone unknown"), "{message}");
                assert!(message_zh.contains("投影带未知"), "{message_zh}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(found(detect_from_bounds(b, Some(37))).0, Some(4546));
        assert_eq!(found(detect_from_bounds(b, Some(38))).0, Some(4547));
        assert!(matches!(
            detect_from_bounds(b, Some(19)),
            Detection::Unknown { .. }
        ));
    }

    #[test]
    fn unrecognised_ranges_say_what_was_found() {
        match detect_from_bounds((-5_000_000.0, 0.0, 1e9, 1.0), None) {
            Detection::Unknown { message, .. } => {
                assert!(message.contains("-5000000"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match detect_from_bounds((4_190_000.0, 37_500_000.0, 4_200_000.0, 37_600_000.0), None) {
            Detection::Unknown {
                message,
                message_zh,
            } => {
                assert!(message.contains("swap"), "{message}");
                assert!(message_zh.contains("请互换 x 和 y"), "{message_zh}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            detect_from_bounds((f64::NAN, 0.0, 1.0, 1.0), None),
            Detection::Unknown { .. }
        ));
    }
}
