//! Parsing one longitude or latitude cell of a site ledger into decimal degrees.
//!
//! County offices type coordinates by hand, copy them from GPS units and from map
//! apps, so one column may hold decimal degrees (`112.5567`), degrees-minutes-seconds
//! in several spellings (`112°33′25.6″`, `112°33'25.6"`, `112度33分25.6秒`, `112 33 25.6`,
//! `112:33:25.6`), degrees and decimal minutes (`112°33.5′`), hemisphere letters or
//! words (`E`, `北纬`, ...), full-width digits and symbols from a Chinese input method,
//! stray spaces and a trailing comma. [`parse_degrees`] accepts all of these and
//! rejects what cannot be a coordinate, with a message that quotes the cell.
//!
//! The "pseudo-decimal" spelling `112.3325` for 112°33′25″ is ambiguous (it is also a
//! valid decimal degree), so it is only read that way when the caller asks for it
//! with [`CoordTextOptions::pseudo_decimal`] (numbers up to 180 only); [`looks_pseudo_decimal`] is a heuristic
//! over a whole column that tells the caller when to suggest it.
//!
//! A plain number is returned as it is, whatever its size, so projected coordinates
//! (eastings and northings in metres) typed as text pass through the same parser.

/// What was wrong with a coordinate cell. The message quotes the text as typed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CoordParseError {
    /// The cell is empty or only spaces and punctuation.
    #[error("the coordinate is empty")]
    Empty,
    /// The text is not a coordinate at all (e.g. `待补充`).
    #[error("“{text}” is not a coordinate")]
    NotACoordinate { text: String },
    /// A number in the text is not a number (`112.3.4`) or not finite.
    #[error("“{text}” has a malformed number “{number}”")]
    BadNumber { text: String, number: String },
    /// Minutes of 60 or more.
    #[error("“{text}” has minutes ≥ 60")]
    MinutesOutOfRange { text: String },
    /// Seconds of 60 or more.
    #[error("“{text}” has seconds ≥ 60")]
    SecondsOutOfRange { text: String },
    /// Degrees above 180 in a degrees-minutes-seconds form.
    #[error("“{text}” has degrees above 180")]
    DegreesOutOfRange { text: String },
    /// The parts are in an order or shape that cannot be degrees-minutes-seconds.
    #[error("“{text}” {reason}")]
    Malformed { text: String, reason: &'static str },
}

impl CoordParseError {
    /// The message in Chinese.
    pub fn zh(&self) -> String {
        match self {
            CoordParseError::Empty => "坐标为空".to_owned(),
            CoordParseError::NotACoordinate { text } => format!("“{text}”不是坐标"),
            CoordParseError::BadNumber { text, number } => {
                format!("“{text}”中的数字“{number}”有误")
            }
            CoordParseError::MinutesOutOfRange { text } => format!("“{text}”的分 ≥ 60"),
            CoordParseError::SecondsOutOfRange { text } => format!("“{text}”的秒 ≥ 60"),
            CoordParseError::DegreesOutOfRange { text } => format!("“{text}”的度数大于 180"),
            CoordParseError::Malformed { text, .. } => {
                format!("“{text}”不是可识别的度分秒写法")
            }
        }
    }
}

/// How to read ambiguous coordinate text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoordTextOptions {
    /// Read a plain decimal `DDD.MMSSss` as degrees, minutes, seconds: `112.3325`
    /// is then 112°33′25″ = 112.556944…, not 112.3325. Off by default.
    pub pseudo_decimal: bool,
}

/// Parse a longitude/latitude cell to decimal degrees (west and south negative).
///
/// ```
/// use qingling::io::coord_text::parse_degrees;
/// assert_eq!(parse_degrees("112.5").unwrap(), 112.5);
/// assert!((parse_degrees("112度30分36秒").unwrap() - 112.51).abs() < 1e-12);
/// assert!((parse_degrees("S 37°30′").unwrap() + 37.5).abs() < 1e-12);
/// assert!(parse_degrees("112°61′").is_err());
/// ```
pub fn parse_degrees(text: &str) -> Result<f64, CoordParseError> {
    parse_degrees_with(text, CoordTextOptions::default())
}

/// [`parse_degrees`] with options (see [`CoordTextOptions`]).
pub fn parse_degrees_with(text: &str, opts: CoordTextOptions) -> Result<f64, CoordParseError> {
    let original = text.trim_matches(is_trim_char);
    let normal = normalize(text);
    let (body, sign) = strip_hemisphere(&normal, original)?;
    if body.is_empty() {
        return Err(if original.is_empty() {
            CoordParseError::Empty
        } else {
            not_a_coordinate(original)
        });
    }
    let parts = tokenize(body, original)?;
    let magnitude = if parts.len() == 1 && parts[0].unit.is_none() {
        let plain = parse_number(parts[0].number, original)?;
        // Above 180 it cannot be degrees: a projected coordinate passes through.
        if opts.pseudo_decimal && plain <= 180.0 {
            pseudo_decimal_text(parts[0].number, original)?
        } else {
            plain
        }
    } else {
        combine_dms(&parts, original)?
    };
    Ok(sign * magnitude)
}

/// Read a number already parsed from a spreadsheet cell as pseudo-decimal DMS
/// (`112.3325` → 112°33′25″). The digits are taken from the shortest text that
/// round-trips the number, so `112.3325_f64` gives exactly minutes 33, seconds 25.
/// Values above 180 cannot be degrees and are returned unchanged.
pub fn pseudo_decimal_to_degrees(value: f64) -> Result<f64, CoordParseError> {
    let text = format!("{value}");
    if !value.is_finite() {
        return Err(not_a_coordinate(&text));
    }
    if value.abs() > 180.0 {
        return Ok(value);
    }
    let magnitude = pseudo_decimal_text(text.trim_start_matches('-'), &text)?;
    Ok(if value < 0.0 { -magnitude } else { magnitude })
}

/// Heuristic: does a column of numbers look like pseudo-decimal DMS (`DDD.MMSS`)?
///
/// True when the column is not empty, *every* value's fractional digits read as
/// minutes < 60 and seconds < 60 (digits 1–2 and 3–4 after the point, missing digits
/// counting as 0), and at least 90 % of the values have 4 or more decimals. Real
/// decimal degrees fail it quickly: a random fraction passes the minutes/seconds test
/// with probability 0.36, so ten rows pass by chance about once in 28,000 tables.
/// It is a hint for the user, never a reason to reinterpret data silently.
pub fn looks_pseudo_decimal(values: &[f64]) -> bool {
    if values.is_empty() {
        return false;
    }
    let mut long_enough = 0usize;
    for &v in values {
        if !v.is_finite() {
            return false;
        }
        let text = format!("{}", v.abs());
        let frac = text.split_once('.').map_or("", |(_, f)| f);
        let (minutes, seconds) = minutes_seconds_digits(frac);
        if minutes >= 60 || seconds >= 60 {
            return false;
        }
        if frac.len() >= 4 {
            long_enough += 1;
        }
    }
    long_enough * 10 >= values.len() * 9
}

/// Minutes and whole seconds from the digits after the point of a pseudo-decimal.
fn minutes_seconds_digits(frac: &str) -> (u32, u32) {
    let digit = |i: usize| {
        frac.as_bytes()
            .get(i)
            .map_or(0, |b| u32::from(b.wrapping_sub(b'0')).min(9))
    };
    (digit(0) * 10 + digit(1), digit(2) * 10 + digit(3))
}

fn not_a_coordinate(original: &str) -> CoordParseError {
    CoordParseError::NotACoordinate {
        text: original.to_string(),
    }
}

fn malformed(original: &str, reason: &'static str) -> CoordParseError {
    CoordParseError::Malformed {
        text: original.to_string(),
        reason,
    }
}

/// Unit markers after normalisation: control characters, so they can never be
/// confused with hemisphere letters (`S` for south vs `s` for seconds).
const DEG: char = '\u{1}';
const MIN: char = '\u{2}';
const SEC: char = '\u{3}';

/// Map full-width and look-alike characters to a small ASCII alphabet: digits, `.`,
/// `-`, `+`, space, `:`, the unit markers [`DEG`]/[`MIN`]/[`SEC`], and letters.
/// Chinese characters other than the ones understood are kept (and later rejected).
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // Full-width ASCII block (！ to ～) → ASCII.
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        let mapped = match c {
            '\u{3000}' | '\t' | '\u{00A0}' | '\u{2002}'..='\u{200B}' => ' ',
            '°' | 'º' | '˚' | '゜' | '度' => DEG,
            '′' | '‘' | '’' | '´' | '`' | '分' => {
                // Two minute marks in a row are a seconds mark (`25.6''`).
                if matches!(chars.peek(), Some('′' | '\'' | '’' | '‘' | '＇')) {
                    chars.next();
                    SEC
                } else {
                    MIN
                }
            }
            '\'' => {
                if matches!(chars.peek(), Some('\'' | '′' | '＇' | '’')) {
                    chars.next();
                    SEC
                } else {
                    MIN
                }
            }
            '″' | '"' | '“' | '”' | '〃' | '秒' => SEC,
            '。' | '·' => '.',
            '−' | '–' | '—' => '-',
            '：' => ':',
            c => c,
        };
        out.push(mapped);
    }
    out
}

/// Hemisphere prefixes and suffixes, longest first so `东经` wins over `东`.
const HEMISPHERES: [(&str, f64); 16] = [
    ("东经", 1.0),
    ("西经", -1.0),
    ("北纬", 1.0),
    ("南纬", -1.0),
    ("east", 1.0),
    ("west", -1.0),
    ("north", 1.0),
    ("south", -1.0),
    ("东", 1.0),
    ("西", -1.0),
    ("北", 1.0),
    ("南", -1.0),
    ("e", 1.0),
    ("w", -1.0),
    ("n", 1.0),
    ("s", -1.0),
];

fn is_trim_char(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '；')
}

/// Remove surrounding punctuation, a hemisphere prefix or suffix and a leading sign;
/// return the numeric body and the sign (+1 or -1).
fn strip_hemisphere<'a>(
    normal: &'a str,
    original: &str,
) -> Result<(&'a str, f64), CoordParseError> {
    let mut body = normal.trim_matches(is_trim_char);
    let mut sign = 1.0;
    let mut hemisphere: Option<f64> = None;
    let lower = body.to_ascii_lowercase();
    for (word, s) in HEMISPHERES {
        if lower.starts_with(word) {
            hemisphere = Some(s);
            body = &body[word.len()..];
            break;
        }
    }
    body = body.trim_start_matches(|c: char| is_trim_char(c) || c == ':');
    let lower = body.to_ascii_lowercase();
    for (word, s) in HEMISPHERES {
        if lower.ends_with(word) {
            if hemisphere.is_some() {
                return Err(malformed(original, "has two hemisphere marks"));
            }
            hemisphere = Some(s);
            body = &body[..body.len() - word.len()];
            break;
        }
    }
    body = body.trim_matches(is_trim_char);
    if let Some(rest) = body.strip_prefix('-') {
        sign = -1.0;
        body = rest;
    } else if let Some(rest) = body.strip_prefix('+') {
        body = rest;
    }
    if let Some(h) = hemisphere {
        if sign < 0.0 && h < 0.0 {
            return Err(malformed(
                original,
                "has both a minus sign and a west/south mark",
            ));
        }
        if sign < 0.0 {
            // `-112 E`: a contradiction the user has to resolve.
            return Err(malformed(
                original,
                "has a minus sign and an east/north mark",
            ));
        }
        sign = h;
    }
    Ok((body.trim(), sign))
}

/// One number of a DMS text and the unit mark that follows it, if any.
#[derive(Debug)]
struct Part<'a> {
    number: &'a str,
    unit: Option<char>,
}

/// Split the body into numbers, each optionally followed by a unit mark. Spaces and
/// `:` separate numbers; a mark after spaces belongs to the number before them.
fn tokenize<'a>(body: &'a str, original: &str) -> Result<Vec<Part<'a>>, CoordParseError> {
    let mut parts: Vec<Part<'a>> = Vec::with_capacity(3);
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_digit() || c == b'.' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            parts.push(Part {
                number: &body[start..i],
                unit: None,
            });
            continue;
        }
        match c as char {
            ' ' | ':' => {}
            u @ (DEG | MIN | SEC) => match parts.last_mut() {
                Some(p) if p.unit.is_none() => p.unit = Some(u),
                Some(_) => return Err(malformed(original, "has two unit marks in a row")),
                None => return Err(malformed(original, "starts with a unit mark")),
            },
            _ => return Err(not_a_coordinate(original)),
        }
        i += 1;
    }
    if parts.is_empty() {
        return Err(not_a_coordinate(original));
    }
    if parts.len() > 3 {
        return Err(malformed(original, "has more than three numbers"));
    }
    Ok(parts)
}

fn parse_number(number: &str, original: &str) -> Result<f64, CoordParseError> {
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && number != "." => Ok(v),
        _ => Err(CoordParseError::BadNumber {
            text: original.to_string(),
            number: number.to_string(),
        }),
    }
}

/// Degrees, minutes, seconds from up to three parts. Unmarked parts take the unit
/// after the previous part's (the first is degrees); units must strictly increase.
fn combine_dms(parts: &[Part<'_>], original: &str) -> Result<f64, CoordParseError> {
    let mut values = [None::<f64>; 3];
    let mut next_unit = 0usize;
    for (k, part) in parts.iter().enumerate() {
        let unit = match part.unit {
            Some(DEG) => 0,
            Some(MIN) => 1,
            Some(SEC) => 2,
            _ => next_unit,
        };
        if unit < next_unit || unit > 2 {
            return Err(malformed(original, "has its parts out of order"));
        }
        if k == 0 && unit != 0 {
            return Err(malformed(original, "has no degrees"));
        }
        values[unit] = Some(parse_number(part.number, original)?);
        next_unit = unit + 1;
    }
    let degrees = values[0].unwrap_or(0.0);
    let minutes = values[1];
    let seconds = values[2];
    if minutes.is_some() || seconds.is_some() {
        if degrees.fract() != 0.0 {
            return Err(malformed(
                original,
                "has decimal degrees followed by minutes or seconds",
            ));
        }
        if degrees > 180.0 {
            return Err(CoordParseError::DegreesOutOfRange {
                text: original.to_string(),
            });
        }
    }
    if let Some(m) = minutes {
        if m >= 60.0 {
            return Err(CoordParseError::MinutesOutOfRange {
                text: original.to_string(),
            });
        }
        if seconds.is_some() && m.fract() != 0.0 {
            return Err(malformed(
                original,
                "has decimal minutes followed by seconds",
            ));
        }
    }
    if let Some(s) = seconds
        && s >= 60.0
    {
        return Err(CoordParseError::SecondsOutOfRange {
            text: original.to_string(),
        });
    }
    Ok(degrees + minutes.unwrap_or(0.0) / 60.0 + seconds.unwrap_or(0.0) / 3600.0)
}

/// `DDD.MMSSsss` text (no sign) → degrees.
fn pseudo_decimal_text(number: &str, original: &str) -> Result<f64, CoordParseError> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(CoordParseError::BadNumber {
            text: original.to_string(),
            number: number.to_string(),
        });
    }
    let degrees = parse_number(whole, original)?;
    let (minutes, _) = minutes_seconds_digits(frac);
    // Seconds keep any further digits as their decimals: `.332556` → 25.56″.
    let sec_digits: String = frac.chars().skip(2).collect();
    let seconds = if sec_digits.is_empty() {
        0.0
    } else {
        let padded = if sec_digits.len() < 2 {
            format!("{sec_digits}0")
        } else {
            sec_digits
        };
        let (int, dec) = padded.split_at(2);
        parse_number(&format!("{int}.{dec}0"), original)?
    };
    if minutes >= 60 {
        return Err(CoordParseError::MinutesOutOfRange {
            text: original.to_string(),
        });
    }
    if seconds >= 60.0 {
        return Err(CoordParseError::SecondsOutOfRange {
            text: original.to_string(),
        });
    }
    if degrees > 180.0 {
        return Err(CoordParseError::DegreesOutOfRange {
            text: original.to_string(),
        });
    }
    Ok(degrees + f64::from(minutes) / 60.0 + seconds / 3600.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const DMS: f64 = 112.0 + 33.0 / 60.0 + 25.6 / 3600.0;

    #[test]
    fn decimal_degrees_are_read_as_they_are() {
        assert_eq!(parse_degrees("112.5567"), Ok(112.5567));
        assert_eq!(parse_degrees(" 37.8 "), Ok(37.8));
        assert_eq!(parse_degrees("-0.5"), Ok(-0.5));
        assert_eq!(parse_degrees("112"), Ok(112.0));
    }

    #[test]
    fn projected_numbers_pass_through_unchanged() {
        assert_eq!(parse_degrees("4231234.56"), Ok(4231234.56));
        assert_eq!(parse_degrees("37512345.1"), Ok(37512345.1));
    }

    #[test]
    fn every_dms_spelling_gives_the_same_value() {
        for text in [
            "112°33′25.6″",
            "112°33'25.6\"",
            "112度33分25.6秒",
            "112 33 25.6",
            "112:33:25.6",
            "112°33’25.6”",
            "112°33′25.6''",
            "112º33′25.6″",
            "112˚33′25.6″",
            "112 ° 33 ′ 25.6 ″",
            "112°33′25.6",
            "112°33′25.6″,",
            "  112°33′25.6″， ",
        ] {
            let v = parse_degrees(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(close(v, DMS), "{text} gave {v}");
        }
    }

    #[test]
    fn degrees_and_decimal_minutes_are_accepted() {
        assert!(close(parse_degrees("112°33′").unwrap(), 112.55));
        assert!(close(
            parse_degrees("112°33.5′").unwrap(),
            112.0 + 33.5 / 60.0
        ));
        assert!(close(parse_degrees("37 30").unwrap(), 37.5));
    }

    #[test]
    fn full_width_digits_and_symbols_are_understood() {
        let v = parse_degrees("１１２°３３＇２５．６＂").unwrap();
        assert!(close(v, DMS));
        let v = parse_degrees("１１２．５５６７").unwrap();
        assert!(close(v, 112.5567));
        let v = parse_degrees("１１２\u{3000}３３\u{3000}２５．６").unwrap();
        assert!(close(v, DMS));
        let v = parse_degrees("东经１１２度３３分２５．６秒").unwrap();
        assert!(close(v, DMS));
    }

    #[test]
    fn hemisphere_marks_set_the_sign() {
        assert!(close(parse_degrees("E112°33′25.6″").unwrap(), DMS));
        assert!(close(parse_degrees("112°33′25.6″E").unwrap(), DMS));
        assert!(close(parse_degrees("112°33′25.6″ W").unwrap(), -DMS));
        assert!(close(parse_degrees("东经112.5").unwrap(), 112.5));
        assert!(close(parse_degrees("北纬37.5").unwrap(), 37.5));
        assert!(close(parse_degrees("北纬：37.5").unwrap(), 37.5));
        assert!(close(parse_degrees("南纬37.5").unwrap(), -37.5));
        assert!(close(parse_degrees("37.5S").unwrap(), -37.5));
        assert!(close(parse_degrees("s 37.5").unwrap(), -37.5));
        assert!(close(parse_degrees("37.5N").unwrap(), 37.5));
        assert!(close(parse_degrees("112.5东").unwrap(), 112.5));
        assert!(close(parse_degrees("West 112.5").unwrap(), -112.5));
    }

    #[test]
    fn minutes_or_seconds_of_sixty_or_more_are_rejected() {
        let e = parse_degrees("112°61′").unwrap_err();
        assert_eq!(e.to_string(), "“112°61′” has minutes ≥ 60");
        assert!(matches!(
            parse_degrees("112°33′60″"),
            Err(CoordParseError::SecondsOutOfRange { .. })
        ));
        assert!(matches!(
            parse_degrees("112 60 0"),
            Err(CoordParseError::MinutesOutOfRange { .. })
        ));
        assert!(matches!(
            parse_degrees("200°1′"),
            Err(CoordParseError::DegreesOutOfRange { .. })
        ));
    }

    #[test]
    fn empty_text_and_words_are_rejected() {
        assert_eq!(parse_degrees(""), Err(CoordParseError::Empty));
        assert_eq!(parse_degrees("   "), Err(CoordParseError::Empty));
        assert_eq!(parse_degrees(" , "), Err(CoordParseError::Empty));
        let e = parse_degrees("待补充").unwrap_err();
        assert_eq!(e.to_string(), "“待补充” is not a coordinate");
        assert_eq!(e.zh(), "“待补充”不是坐标");
        // A problem carrying both shows Chinese in a Chinese UI, English otherwise.
        let p = crate::model::Problem::error(std::path::Path::new("台账.xlsx"), e.to_string())
            .with_hint("fix the cell or clear it")
            .with_zh(e.zh(), Some("改正该单元格或清空"));
        assert_eq!(
            p.text(true),
            ("“待补充”不是坐标", Some("改正该单元格或清空"))
        );
        assert_eq!(
            p.text(false),
            (
                "“待补充” is not a coordinate",
                Some("fix the cell or clear it")
            )
        );
        assert!(parse_degrees("NaN").is_err());
        assert!(parse_degrees("inf").is_err());
        assert!(parse_degrees("abc").is_err());
        assert!(parse_degrees("E").is_err());
        assert!(parse_degrees("112.3.4").is_err());
        assert!(parse_degrees(".").is_err());
    }

    #[test]
    fn contradictory_or_disordered_text_is_rejected() {
        assert!(parse_degrees("-112.5W").is_err());
        assert!(parse_degrees("E112.5W").is_err());
        assert!(parse_degrees("33′112°").is_err());
        assert!(parse_degrees("112.5°30′").is_err());
        assert!(parse_degrees("112°30.5′10″").is_err());
        assert!(parse_degrees("112 33 25 1").is_err());
        assert!(parse_degrees("°112").is_err());
        assert!(parse_degrees("112°°").is_err());
        assert!(parse_degrees("33′").is_err());
        assert!(parse_degrees("112,5567").is_err());
    }

    #[test]
    fn pseudo_decimal_is_read_only_when_asked() {
        let opts = CoordTextOptions {
            pseudo_decimal: true,
        };
        assert_eq!(parse_degrees("112.3325"), Ok(112.3325));
        let v = parse_degrees_with("112.3325", opts).unwrap();
        assert!(close(v, 112.0 + 33.0 / 60.0 + 25.0 / 3600.0));
        let v = parse_degrees_with("112.332556", opts).unwrap();
        assert!(close(v, 112.0 + 33.0 / 60.0 + 25.56 / 3600.0));
        let v = parse_degrees_with("37.3", opts).unwrap();
        assert!(close(v, 37.5));
        let v = parse_degrees_with("-37.3", opts).unwrap();
        assert!(close(v, -37.5));
        assert!(matches!(
            parse_degrees_with("112.6125", opts),
            Err(CoordParseError::MinutesOutOfRange { .. })
        ));
        assert!(matches!(
            parse_degrees_with("112.3375", opts),
            Err(CoordParseError::SecondsOutOfRange { .. })
        ));
        // Projected numbers and DMS text are unaffected by the option.
        assert_eq!(parse_degrees_with("4231234.56", opts), Ok(4231234.56));
        let v = parse_degrees_with("112°33′25.6″", opts).unwrap();
        assert!(close(v, DMS));
    }

    #[test]
    fn pseudo_decimal_numbers_convert_exactly() {
        let v = pseudo_decimal_to_degrees(112.3325).unwrap();
        assert!(close(v, 112.0 + 33.0 / 60.0 + 25.0 / 3600.0));
        assert!(pseudo_decimal_to_degrees(112.7).is_err());
        assert!(pseudo_decimal_to_degrees(f64::NAN).is_err());
    }

    #[test]
    fn pseudo_decimal_heuristic_needs_every_value_to_fit() {
        assert!(looks_pseudo_decimal(&[112.3325, 112.4512, 112.0503]));
        assert!(!looks_pseudo_decimal(&[112.3325, 112.7512]));
        assert!(!looks_pseudo_decimal(&[112.3375]));
        // Too few long values: 112.3 and 112.33 look like plain decimals.
        assert!(!looks_pseudo_decimal(&[112.3, 112.33, 112.3325]));
        assert!(!looks_pseudo_decimal(&[]));
        // Real decimal degrees of a site list fail it.
        assert!(!looks_pseudo_decimal(&[
            112.5567, 112.5123, 111.9871, 112.0345, 112.7788
        ]));
    }

    /// Split degrees into whole degrees, minutes and seconds rounded to 1e-9″,
    /// carrying so the seconds never print as 60.
    fn split_dms(value: f64) -> (u64, u64, String) {
        let nano = (value * 3600.0 * 1e9).round() as u128;
        let per_deg = 3600u128 * 1_000_000_000;
        let d = nano / per_deg;
        let rest = nano % per_deg;
        let m = rest / (60 * 1_000_000_000);
        let s_nano = rest % (60 * 1_000_000_000);
        let s = format!("{}.{:09}", s_nano / 1_000_000_000, s_nano % 1_000_000_000);
        (d as u64, m as u64, s)
    }

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' | '.' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                c => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn any_text_gives_a_value_or_an_error_never_a_panic(
            text in "[0-9０-９.．°度分秒′″'\"“”:：, EeWwNnSs东西南北经纬\u{3000}-]{0,16}|\\PC{0,12}",
            pseudo in any::<bool>(),
        ) {
            let r = parse_degrees_with(&text, CoordTextOptions { pseudo_decimal: pseudo });
            if let Ok(v) = r {
                prop_assert!(v.is_finite());
            }
        }

        #[test]
        fn formatting_dms_and_parsing_back_round_trips(
            value in 0.0f64..180.0,
            negative in any::<bool>(),
        ) {
            let (d, m, s) = split_dms(value);
            let sign = if negative { -1.0 } else { 1.0 };
            let hemi = if negative { "W" } else { "E" };
            let forms = [
                format!("{d}°{m}′{s}″"),
                format!("{d}°{m}'{s}\""),
                format!("{d}度{m}分{s}秒"),
                format!("{d} {m} {s}"),
                format!("{d}:{m}:{s}"),
                full_width(&format!("{d}°{m}′{s}″")),
                format!("{d}°{m}′{s}″{hemi}"),
                format!("{hemi} {d} {m} {s}"),
            ];
            for (k, form) in forms.iter().enumerate() {
                let parsed = parse_degrees(form).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let expect = if k >= 6 { sign * value } else { value };
                prop_assert!((parsed - expect).abs() < 1e-9, "{} gave {} not {}", form, parsed, expect);
            }
            let decimal = format!("{}", sign * value);
            prop_assert_eq!(parse_degrees(&decimal), Ok(sign * value));
            // Degrees and decimal minutes.
            let minutes = (value - value.trunc()) * 60.0;
            let dm = format!("{}°{:.12}′", value.trunc(), minutes);
            let parsed = parse_degrees(&dm).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!((parsed - value).abs() < 1e-9, "{} gave {}", dm, parsed);
        }
    }
}
