//! dBASE III/IV (`.dbf`) attribute tables of shapefiles, with the text encoding
//! question answered explicitly.
//!
//! The encoding of text (field names and `C` values) is chosen in this order and the
//! choice is recorded as an [`EncodingInfo`]:
//!
//! 1. the user's override;
//! 2. the `.cpg` file next to the `.dbf` (labels such as `GBK`, `936`, `UTF-8`, `65001`);
//!    `ANSI`/`OEM`/`SYSTEM` declare nothing and fall through, an unknown label falls
//!    through with a warning;
//! 3. the language driver id (LDID) byte at header offset 29 (0x4D/0x7A = code page 936);
//! 4. detection: text that is valid UTF-8 is UTF-8, anything else is read as GB18030.
//!
//! A declaration of UTF-8 over bytes that are not UTF-8 (a common lie) is overridden
//! with a warning and the text is read as GB18030. An LDID declaring a legacy code page
//! over text that is valid, non-ASCII UTF-8 is overridden the same way (LDIDs are often
//! stale defaults; a `.cpg` is taken at its word), and so is an LDID declaring a
//! Western single-byte code page (1252, 437, ...) over non-UTF-8 text that decodes
//! cleanly as GB18030: in the offices' files that is Chinese text under a default
//! LDID. LDIDs of code pages `encoding_rs` lacks (437, 850, ...) declare nothing.
//! Characters that could not be decoded are replaced and reported once, never
//! silently.
//!
//! `GB2312` and `GB18030` labels both decode as GB18030 (a strict superset of
//! GB2312 and GBK); `GBK`/`936`/`CP936` are recorded as GBK. In `encoding_rs` the GBK
//! and GB18030 decoders are the same, so this only changes the reported name.
//!
//! The reader never trusts the header: the record count is checked against the bytes
//! present and fields running past the record length are dropped with a problem.

use std::path::Path;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};

use rayon::prelude::*;

use crate::io::{IoError, limits};
use crate::model::{EncodingInfo, EncodingSource, FieldDef, FieldKind, Problem, Value};

mod stream;
pub use stream::DbfFile;

/// One field descriptor as stored in the header (name still undecoded).
#[derive(Clone, Debug, PartialEq)]
pub struct DbfField {
    /// Name bytes up to the first NUL, in the file's encoding.
    pub raw_name: Vec<u8>,
    /// The dBASE type letter (`C`, `N`, `F`, `L`, `D`, `M`, `I`, ...).
    pub type_code: u8,
    /// Byte offset of the field inside a record (the deletion flag is byte 0).
    pub offset: usize,
    pub length: usize,
    pub decimals: u8,
}

impl DbfField {
    /// The model's kind for this field.
    pub fn kind(&self) -> FieldKind {
        match self.type_code.to_ascii_uppercase() {
            b'N' if self.decimals == 0 => FieldKind::Integer,
            b'N' | b'F' | b'O' => FieldKind::Float,
            b'B' if self.length == 8 => FieldKind::Float,
            b'I' | b'+' => FieldKind::Integer,
            b'L' => FieldKind::Bool,
            b'D' => FieldKind::Date,
            _ => FieldKind::Text,
        }
    }

    fn is_text(&self) -> bool {
        self.kind() == FieldKind::Text
    }
}

/// The parsed header of a `.dbf`.
#[derive(Clone, Debug, PartialEq)]
pub struct DbfHeader {
    pub version: u8,
    /// Record count as declared (see [`DbfHeader::available_records`]).
    pub declared_records: u32,
    pub header_len: usize,
    pub record_len: usize,
    /// Language driver id (byte 29).
    pub ldid: u8,
    pub fields: Vec<DbfField>,
}

impl DbfHeader {
    /// Records actually present in `file_len` bytes (never more than declared).
    pub fn available_records(&self, file_len: usize) -> usize {
        let body = file_len.saturating_sub(self.header_len);
        (body / self.record_len).min(self.declared_records as usize)
    }
}

/// A decoded attribute table.
#[derive(Clone, Debug, PartialEq)]
pub struct DbfTable {
    pub fields: Vec<FieldDef>,
    /// One row per record, one value per field.
    pub rows: Vec<Vec<Value>>,
    pub encoding: EncodingInfo,
}

/// What a code page label means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelMeaning {
    /// A concrete encoding.
    Known(&'static Encoding),
    /// A label that declares nothing useful (`ANSI`, `OEM`, `SYSTEM`, empty).
    NotDeclared,
    /// A label qingling does not know.
    Unknown,
}

/// Maps a `.cpg` label (or any code page name) to an encoding.
pub fn encoding_for_label(label: &str) -> LabelMeaning {
    let l = label.trim().trim_start_matches('\u{feff}').trim();
    let upper = l.to_ascii_uppercase();
    let upper = upper.as_str();
    match upper {
        "" | "ANSI" | "OEM" | "SYSTEM" | "DEFAULT" | "ACP" => return LabelMeaning::NotDeclared,
        "936" | "CP936" | "CP_936" | "GBK" | "MS936" | "WINDOWS-936" | "X-GBK" => {
            return LabelMeaning::Known(GBK);
        }
        "GB2312" | "GB_2312" | "GB2312-80" | "EUC-CN" | "GB18030" | "GB-18030" | "54936"
        | "CP54936" | "20936" | "CP20936" => return LabelMeaning::Known(GB18030),
        "65001" | "CP65001" | "UTF8" | "UTF-8" | "UTF_8" => return LabelMeaning::Known(UTF_8),
        "950" | "CP950" | "BIG5" | "BIG-5" => return LabelMeaning::Known(encoding_rs::BIG5),
        _ => {}
    }
    if let Some(cp) = upper
        .strip_prefix("CP")
        .or_else(|| upper.strip_prefix("WINDOWS-"))
        .or(Some(upper))
        .and_then(|n| n.parse::<u16>().ok())
        && let Some(enc) = encoding_for_code_page(cp)
    {
        return LabelMeaning::Known(enc);
    }
    match Encoding::for_label(l.as_bytes()) {
        Some(enc) => LabelMeaning::Known(enc),
        None => LabelMeaning::Unknown,
    }
}

/// The encoding of a Windows code page number, where `encoding_rs` has it.
pub fn encoding_for_code_page(cp: u16) -> Option<&'static Encoding> {
    Some(match cp {
        936 => GBK,
        54936 | 20936 => GB18030,
        65001 => UTF_8,
        950 => encoding_rs::BIG5,
        949 => encoding_rs::EUC_KR,
        932 => encoding_rs::SHIFT_JIS,
        874 => encoding_rs::WINDOWS_874,
        866 => encoding_rs::IBM866,
        1250 => encoding_rs::WINDOWS_1250,
        1251 => encoding_rs::WINDOWS_1251,
        1252 => encoding_rs::WINDOWS_1252,
        1253 => encoding_rs::WINDOWS_1253,
        1254 => encoding_rs::WINDOWS_1254,
        1255 => encoding_rs::WINDOWS_1255,
        1256 => encoding_rs::WINDOWS_1256,
        1257 => encoding_rs::WINDOWS_1257,
        1258 => encoding_rs::WINDOWS_1258,
        _ => return None,
    })
}

/// The code page a DBF language driver id declares (published ESRI/dBASE table).
/// `0x00` (none) and `0x57` (the current ANSI code page) declare nothing.
pub fn code_page_for_ldid(ldid: u8) -> Option<u16> {
    Some(match ldid {
        0x01 | 0x09 | 0x0B | 0x0D | 0x0F | 0x11 | 0x15 | 0x18 | 0x19 | 0x1B => 437,
        0x02 | 0x0A | 0x0E | 0x10 | 0x12 | 0x14 | 0x16 | 0x1A | 0x1D | 0x25 | 0x37 => 850,
        0x03 | 0x58 | 0x59 => 1252,
        0x04 => 10000,
        0x08 | 0x17 | 0x66 => 865,
        0x13 | 0x7B => 932,
        0x1C | 0x6C => 863,
        0x1F | 0x22 | 0x23 | 0x40 | 0x64 | 0x87 => 852,
        0x24 => 860,
        0x26 | 0x65 => 866,
        0x4D | 0x7A => 936,
        0x4E | 0x79 => 949,
        0x4F | 0x78 => 950,
        0x50 | 0x7C => 874,
        0x67 => 861,
        0x6A | 0x86 => 737,
        0x6B | 0x88 => 857,
        0xC8 => 1250,
        0xC9 => 1251,
        0xCA => 1254,
        0xCB => 1253,
        0xCC => 1257,
        _ => return None,
    })
}

/// The LDID qingling writes for an encoding (0x4D for GBK/GB18030, 0 otherwise).
pub fn ldid_for_encoding(enc: &'static Encoding) -> u8 {
    if enc == GBK || enc == GB18030 {
        0x4D
    } else if enc == encoding_rs::BIG5 {
        0x4F
    } else if enc == encoding_rs::WINDOWS_1252 {
        0x03
    } else {
        0x00
    }
}

/// Parses the header and field descriptors. Fails only when no table can be read.
pub fn parse_header(path: &Path, bytes: &[u8]) -> Result<DbfHeader, IoError> {
    if bytes.len() < 32 {
        return Err(IoError::corrupt(
            path,
            format!(
                "the .dbf is {} bytes long, shorter than its 32-byte header",
                bytes.len()
            ),
        )
        .with_zh(format!(
            ".dbf 文件只有 {} 字节，比 32 字节的文件头还短",
            bytes.len()
        )));
    }
    let declared_records = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let record_len = u16::from_le_bytes([bytes[10], bytes[11]]) as usize;
    if header_len < 33 || record_len == 0 {
        return Err(IoError::corrupt(
            path,
            format!(
                "the .dbf header is damaged (header length {header_len}, record length {record_len})"
            ),
        )
        .with_zh(format!(
            ".dbf 文件头已损坏（文件头长度 {header_len}，记录长度 {record_len}）"
        )));
    }
    let mut fields = Vec::new();
    let mut offset = 1usize; // byte 0 of a record is the deletion flag
    let desc_end = header_len.min(bytes.len());
    let mut at = 32usize;
    while at + 32 <= desc_end && bytes[at] != 0x0D {
        let d = &bytes[at..at + 32];
        let name_end = d[..11].iter().position(|&b| b == 0).unwrap_or(11);
        let raw_name = trim_bytes(&d[..name_end]).to_vec();
        let type_code = d[11];
        let mut length = d[16] as usize;
        let mut decimals = d[17];
        // FoxPro/Clipper store long character fields as a 16-bit length.
        if type_code.eq_ignore_ascii_case(&b'C') && decimals > 0 {
            let long = u16::from_le_bytes([d[16], d[17]]) as usize;
            if offset + long <= record_len {
                length = long;
                decimals = 0;
            }
        }
        if offset + length > record_len {
            break;
        }
        fields.push(DbfField {
            raw_name,
            type_code,
            offset,
            length,
            decimals,
        });
        offset += length;
        at += 32;
    }
    Ok(DbfHeader {
        version: bytes[0],
        declared_records,
        header_len,
        record_len,
        ldid: bytes[29],
        fields,
    })
}

use crate::model::trim_padding as trim_bytes;

/// Scan of all text bytes: are they UTF-8, and is there anything beyond ASCII?
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TextScan {
    valid_utf8: bool,
    non_ascii: bool,
}

fn scan_text(header: &DbfHeader, bytes: &[u8], n_records: usize) -> TextScan {
    let mut scan = scan_names(header);
    scan_records(header, records_of(header, bytes, n_records), &mut scan);
    scan
}

/// The records `0..n_records` of a whole `.dbf`'s bytes, one after another (none
/// when there are none: the header may be longer than the file).
fn records_of<'b>(header: &DbfHeader, bytes: &'b [u8], n_records: usize) -> &'b [u8] {
    let start = header.header_len.min(bytes.len());
    let end = header.header_len + n_records * header.record_len;
    bytes.get(start..end).unwrap_or_default()
}

/// [`scan_text`] of the field names alone.
fn scan_names(header: &DbfHeader) -> TextScan {
    let mut scan = TextScan {
        valid_utf8: true,
        non_ascii: false,
    };
    for f in &header.fields {
        scan_one(&f.raw_name, &mut scan);
    }
    scan
}

fn scan_one(b: &[u8], scan: &mut TextScan) {
    if !b.is_ascii() {
        scan.non_ascii = true;
        if std::str::from_utf8(b).is_err() {
            scan.valid_utf8 = false;
        }
    }
}

/// Continues `scan` over a run of whole records (`records`, one after another),
/// as [`scan_text`] does: nothing more once the text is known not to be UTF-8.
fn scan_records(header: &DbfHeader, records: &[u8], scan: &mut TextScan) {
    if !scan.valid_utf8 {
        return;
    }
    let text_fields: Vec<&DbfField> = header.fields.iter().filter(|f| f.is_text()).collect();
    if text_fields.is_empty() {
        return;
    }
    for rec in records.chunks_exact(header.record_len) {
        // Fast path: a whole ASCII record has nothing to decide.
        if rec.is_ascii() {
            continue;
        }
        for f in &text_fields {
            scan_one(trim_bytes(&rec[f.offset..f.offset + f.length]), scan);
            if !scan.valid_utf8 {
                return;
            }
        }
    }
}

/// Whether all text (names and text values) decodes as GB18030 without errors.
fn reads_as_gb18030(header: &DbfHeader, bytes: &[u8], n_records: usize) -> bool {
    names_read_as_gb18030(header)
        && records_read_as_gb18030(header, records_of(header, bytes, n_records))
}

fn gb18030_clean(b: &[u8]) -> bool {
    b.is_ascii()
        || GB18030
            .decode_without_bom_handling_and_without_replacement(b)
            .is_some()
}

/// [`reads_as_gb18030`] of the field names alone.
fn names_read_as_gb18030(header: &DbfHeader) -> bool {
    header.fields.iter().all(|f| gb18030_clean(&f.raw_name))
}

/// [`reads_as_gb18030`] of a run of whole records (`records`, one after another).
fn records_read_as_gb18030(header: &DbfHeader, records: &[u8]) -> bool {
    let text_fields: Vec<&DbfField> = header.fields.iter().filter(|f| f.is_text()).collect();
    records.chunks_exact(header.record_len).all(|rec| {
        rec.is_ascii()
            || text_fields
                .iter()
                .all(|f| gb18030_clean(trim_bytes(&rec[f.offset..f.offset + f.length])))
    })
}

/// Chooses the encoding (see the module docs) and pushes warnings about the choice.
fn choose_encoding(
    path: &Path,
    user: Option<&'static Encoding>,
    cpg: Option<&str>,
    ldid: u8,
    scan: &mut dyn FnMut() -> TextScan,
    gb_clean: &mut dyn FnMut() -> bool,
    problems: &mut Vec<Problem>,
) -> EncodingInfo {
    if let Some(enc) = user {
        return EncodingInfo {
            encoding: enc,
            source: EncodingSource::User,
        };
    }
    let not_utf8_fallback = |(what, what_zh): (String, String), problems: &mut Vec<Problem>| {
        problems.push(
            Problem::warning(
                path,
                format!("{what} but the text is not valid UTF-8; it was read as GB18030 (GBK)"),
            )
            .with_hint("check the Chinese text; if it is wrong, choose the encoding by hand")
            .with_zh(
                format!("{what_zh}声明为 UTF-8，但文本不是有效的 UTF-8，已按 GB18030（GBK）读取"),
                Some("请核对中文是否正确；如有乱码，请手动选择编码"),
            ),
        );
        EncodingInfo {
            encoding: GB18030,
            source: EncodingSource::DetectedGb18030,
        }
    };
    if let Some(label) = cpg {
        let label = label.trim().trim_start_matches('\u{feff}').trim();
        match encoding_for_label(label) {
            LabelMeaning::Known(enc) => {
                if enc == UTF_8 && !scan().valid_utf8 {
                    return not_utf8_fallback(
                        (
                            format!("the .cpg says \"{label}\""),
                            format!(".cpg 文件写明“{label}”，"),
                        ),
                        problems,
                    );
                }
                return EncodingInfo {
                    encoding: enc,
                    source: EncodingSource::Cpg(label.to_string()),
                };
            }
            LabelMeaning::NotDeclared => {}
            LabelMeaning::Unknown => problems.push(
                Problem::warning(
                    path,
                    format!(
                        "the .cpg names an unknown encoding \"{label}\"; the encoding was determined from the .dbf instead"
                    ),
                )
                .with_hint("fix the .cpg (e.g. GBK or UTF-8) or choose the encoding by hand")
                .with_zh(
                    format!(".cpg 文件写的编码“{label}”无法识别，已改为根据 .dbf 判断编码"),
                    Some("改正 .cpg（如 GBK 或 UTF-8），或手动选择编码"),
                ),
            ),
        }
    }
    if let Some(enc) = code_page_for_ldid(ldid).and_then(encoding_for_code_page) {
        let s = scan();
        if enc == UTF_8 && !s.valid_utf8 {
            return not_utf8_fallback(
                (
                    format!("the DBF language driver 0x{ldid:02X}"),
                    format!("DBF 语言驱动标记 0x{ldid:02X} "),
                ),
                problems,
            );
        }
        if enc != UTF_8 && s.non_ascii && s.valid_utf8 {
            problems.push(
                Problem::warning(
                    path,
                    format!(
                        "the DBF language driver 0x{ldid:02X} declares {} but the text is valid UTF-8; it was read as UTF-8",
                        enc.name()
                    ),
                )
                .with_hint("if the Chinese text looks wrong, choose the encoding by hand")
                .with_zh(
                    format!(
                        "DBF 语言驱动标记 0x{ldid:02X} 声明为 {}，但文本是有效的 UTF-8，已按 UTF-8 读取",
                        enc.name()
                    ),
                    Some("如中文显示有误，请手动选择编码"),
                ),
            );
            return EncodingInfo {
                encoding: UTF_8,
                source: EncodingSource::DetectedUtf8,
            };
        }
        // A Western single-byte code page over text that is not UTF-8 is, in the
        // files qingling sees, nearly always Chinese text with a default LDID.
        if enc.is_single_byte() && s.non_ascii && !s.valid_utf8 && gb_clean() {
            problems.push(
                Problem::warning(
                    path,
                    format!(
                        "the DBF language driver 0x{ldid:02X} declares {} but the text reads as Chinese (GB18030); it was read as GB18030",
                        enc.name()
                    ),
                )
                .with_hint(format!(
                    "if the text looks wrong, choose the encoding by hand (e.g. {})",
                    enc.name()
                ))
                .with_zh(
                    format!(
                        "DBF 语言驱动标记 0x{ldid:02X} 声明为 {}，但文本按中文（GB18030）可读，已按 GB18030 读取",
                        enc.name()
                    ),
                    Some(&format!("如文本有误，请手动选择编码（如 {}）", enc.name())),
                ),
            );
            return EncodingInfo {
                encoding: GB18030,
                source: EncodingSource::DetectedGb18030,
            };
        }
        return EncodingInfo {
            encoding: enc,
            source: EncodingSource::LanguageDriver(ldid),
        };
    }
    if scan().valid_utf8 {
        EncodingInfo {
            encoding: UTF_8,
            source: EncodingSource::DetectedUtf8,
        }
    } else {
        EncodingInfo {
            encoding: GB18030,
            source: EncodingSource::DetectedGb18030,
        }
    }
}

/// Decodes trimmed text bytes; returns whether characters had to be replaced.
fn decode_text(b: &[u8], enc: &'static Encoding) -> (String, bool) {
    if b.is_ascii() {
        // ASCII is valid in every encoding qingling decodes DBF text with.
        return (String::from_utf8_lossy(b).into_owned(), false);
    }
    if enc == UTF_8 {
        return match std::str::from_utf8(b) {
            Ok(s) => (s.to_owned(), false),
            Err(_) => (String::from_utf8_lossy(b).into_owned(), true),
        };
    }
    if (enc == GBK || enc == GB18030)
        && let Some(text) = decode_plain_gbk(b)
    {
        return (text, false);
    }
    let (text, had_errors) = enc.decode_without_bom_handling(b);
    (text.into_owned(), had_errors)
}

/// Characters of the two-byte GBK pairs, by `(lead - 0x81) * 191 + (trail - 0x40)`
/// (trail 0x7F unused), each taken from `encoding_rs`'s GB18030 decoder once.
fn gbk_pairs() -> &'static [char] {
    static TABLE: std::sync::OnceLock<Box<[char]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec!['\0'; 126 * 191];
        for lead in 0x81u8..=0xFE {
            for trail in 0x40u8..=0xFE {
                let pair = [lead, trail];
                let decoded = GB18030.decode_without_bom_handling_and_without_replacement(&pair);
                let mut chars = decoded.as_deref().unwrap_or("").chars();
                if let (Some(c), None) = (chars.next(), chars.next()) {
                    table[usize::from(lead - 0x81) * 191 + usize::from(trail - 0x40)] = c;
                }
            }
        }
        table.into_boxed_slice()
    })
}

/// Decodes ASCII and two-byte GBK pairs through [`gbk_pairs`]: the same text as
/// the GB18030 decoder, several times faster on the short values of a ledger.
/// `None` for anything else (four-byte sequences, stray bytes), which is left to
/// the decoder.
pub(crate) fn decode_plain_gbk(b: &[u8]) -> Option<String> {
    let table = gbk_pairs();
    let mut out = String::with_capacity(b.len() + b.len() / 2);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let t = *b.get(i + 1)?;
        if !(0x81..=0xFE).contains(&c) || !(0x40..=0xFE).contains(&t) || t == 0x7F {
            return None;
        }
        let ch = table[usize::from(c - 0x81) * 191 + usize::from(t - 0x40)];
        if ch == '\0' {
            return None;
        }
        out.push(ch);
        i += 2;
    }
    Some(out)
}

/// Reads a whole `.dbf` from memory.
///
/// `path` names the `.dbf` in problems. Per-record trouble (deleted rows, values that
/// do not parse, truncation) is pushed to `problems` with the record number.
pub fn read_dbf(
    path: &Path,
    bytes: &[u8],
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
) -> Result<DbfTable, IoError> {
    let opened = open_table(path, bytes, cpg, user_encoding, problems)?;
    // Records are independent: decode them in parallel, keeping file order.
    let ctx = opened.context(path);
    let (rows, extras): (Vec<Vec<Value>>, Vec<Option<Box<RowExtras>>>) = (0..opened.records)
        .into_par_iter()
        .map(|r| ctx.decode_row(r as u64, opened.record(bytes, r), true))
        .unzip();
    let extras = (extras.into_iter().enumerate()).filter_map(|(r, e)| Some((r, e?)));
    report_extras(path, &opened, extras, problems);
    Ok(DbfTable {
        fields: opened.fields,
        rows,
        encoding: opened.encoding,
    })
}

/// Opens a `.dbf` whose records are decoded when asked for ([`DbfRecords`]): the
/// header, field names and encoding are read now, and every record is checked now
/// (without keeping its values), so `problems` receives exactly what [`read_dbf`]
/// reports.
pub fn read_dbf_deferred(
    path: &Path,
    bytes: Vec<u8>,
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
) -> Result<(DbfRecords, EncodingInfo), IoError> {
    let opened = open_table(path, &bytes, cpg, user_encoding, problems)?;
    let ctx = opened.context(path);
    let quick = ctx.quick_checks();
    // Only the records with problems are kept.
    let extras: Vec<(usize, Box<RowExtras>)> = (0..opened.records)
        .into_par_iter()
        .filter_map(|r| {
            let record = opened.record(&bytes, r);
            Some((r, ctx.check_row(&quick, r as u64, record)?))
        })
        .collect();
    report_extras(path, &opened, extras, problems);
    let encoding = opened.encoding.clone();
    let mut table = opened;
    let bytes = without_text_padding(&mut table, bytes);
    Ok((
        DbfRecords {
            path: path.to_path_buf(),
            bytes,
            table,
        },
        encoding,
    ))
}

/// The records with every text (`C`) column cut to its longest value (at least one
/// byte), when that saves a quarter of their bytes or more: the wide fields of
/// exported ledgers (ArcGIS writes 254 bytes) are mostly padding, which would
/// otherwise be most of the memory and of the bytes every later pass reads. A text
/// value is its bytes with the padding trimmed, so every value reads the same. The
/// records are copied into a new buffer without the file's header; `table`'s
/// header then gives their layout (`header_len` 0, the fields' new offsets and
/// lengths). Otherwise `bytes` comes back as it was.
fn without_text_padding(table: &mut OpenedTable, bytes: Vec<u8>) -> Vec<u8> {
    let header = &table.header;
    if !has_wide_text(header) {
        return bytes;
    }
    let records = records_of(header, &bytes, table.records);
    let ends = text_ends(header, records);
    let Some(cut) = cut_layout(header, &ends) else {
        return bytes;
    };
    let mut out = vec![0u8; table.records * cut.record_len];
    copy_laid_out(header, &cut, records, &mut out);
    table.header = cut;
    out
}

fn is_c(f: &DbfField) -> bool {
    f.type_code.eq_ignore_ascii_case(&b'C')
}

/// Whether a table has a text (`C`) field wide enough for [`without_text_padding`]
/// to look at.
fn has_wide_text(header: &DbfHeader) -> bool {
    header.fields.iter().any(|f| is_c(f) && f.length >= 16)
}

/// Per field of a run of whole records (`records`, one after another), where the
/// longest value of a text field ends in it (0 for other fields). Each record's
/// bytes past the longest so far are looked at, and are nearly always all padding.
fn text_ends(header: &DbfHeader, records: &[u8]) -> Vec<usize> {
    let fields = &header.fields;
    let longest = |mut ends: Vec<usize>, rec: &[u8]| {
        for (end, f) in ends.iter_mut().zip(fields) {
            if is_c(f) && *end < f.length {
                let tail = &rec[f.offset + *end..f.offset + f.length];
                let t = trim_bytes(tail);
                if !t.is_empty() {
                    // Where the trimmed value ends inside `tail`.
                    *end += t.as_ptr() as usize - tail.as_ptr() as usize + t.len();
                }
            }
        }
        ends
    };
    records
        .par_chunks_exact(header.record_len)
        .fold(|| vec![0; fields.len()], longest)
        .reduce(
            || vec![0; fields.len()],
            |a, b| a.iter().zip(&b).map(|(a, b)| *a.max(b)).collect(),
        )
}

/// [`cut_to`] when that saves a quarter of the record bytes or more.
fn cut_layout(header: &DbfHeader, ends: &[usize]) -> Option<DbfHeader> {
    let cut = cut_to(header, ends);
    ((header.record_len - cut.record_len) * 4 >= header.record_len).then_some(cut)
}

/// The layout of records with every text field cut to its longest value `ends`
/// (at least one byte) and held without the file's header (`header_len` 0).
fn cut_to(header: &DbfHeader, ends: &[usize]) -> DbfHeader {
    let mut cut = header.clone();
    let mut at = 1;
    for (f, end) in cut.fields.iter_mut().zip(ends) {
        if is_c(f) {
            f.length = (*end).max(1);
        }
        f.offset = at;
        at += f.length;
    }
    cut.record_len = at;
    cut.header_len = 0;
    cut
}

/// Copies a run of whole records laid out as `header` says (`records`) into
/// `out` laid out as `to` says, a layout of the same fields ([`cut_to`]): a text
/// field cut short keeps its first bytes, one made wider is padded with spaces;
/// where each text field's value ends within both, it reads the same.
fn copy_laid_out(header: &DbfHeader, to: &DbfHeader, records: &[u8], out: &mut [u8]) {
    (out.par_chunks_mut(to.record_len))
        .zip(records.par_chunks_exact(header.record_len))
        .for_each(|(out, rec)| {
            out[0] = rec[0];
            for (old, new) in header.fields.iter().zip(&to.fields) {
                let out = &mut out[new.offset..new.offset + new.length];
                let kept = old.length.min(new.length);
                out[..kept].copy_from_slice(&rec[old.offset..old.offset + kept]);
                out[kept..].fill(b' ');
            }
        });
}

/// A `.dbf` held as its bytes, each value decoded when asked for: a million-record
/// site ledger costs one buffer instead of millions of strings, and only the
/// records a check looks at are decoded. Values are exactly those [`read_dbf`]
/// gives.
pub struct DbfRecords {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
    table: OpenedTable,
}

impl std::fmt::Debug for DbfRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbfRecords")
            .field("path", &self.path)
            .field("records", &self.table.records)
            .field("fields", &self.table.fields.len())
            .finish()
    }
}

impl DbfRecords {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.table.records
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.table.records == 0
    }

    /// The decoded field definitions.
    pub fn fields(&self) -> &[FieldDef] {
        &self.table.fields
    }

    /// The raw field and its bytes in record `index` (`None` past the end, for a
    /// deleted record or a column it lacks).
    fn raw(&self, index: usize, col: usize) -> Option<(&DbfField, &[u8])> {
        if index >= self.table.records {
            return None;
        }
        let rec = self.table.record(&self.bytes, index);
        if rec[0] == b'*' {
            return None;
        }
        let f = self.table.header.fields.get(col)?;
        Some((f, &rec[f.offset..f.offset + f.length]))
    }

    /// The value of column `col` of record `index`, as [`read_dbf`] decodes it
    /// (`Null` past the end and for deleted records).
    pub fn value(&self, index: usize, col: usize) -> Value {
        let Some((f, raw)) = self.raw(index, col) else {
            return Value::Null;
        };
        let def = &self.table.fields[col];
        let mut ignored = Vec::new();
        let mut replaced = 0;
        decode_cell(
            f,
            &def.name,
            raw,
            self.table.encoding.encoding,
            (&self.path, index as u64),
            &mut ignored,
            &mut replaced,
            true,
        )
    }

    /// The text of a text (`C`) column's value, borrowed from the file when its bytes
    /// are the text (ASCII, or UTF-8 in a UTF-8 file); `None` for an empty value.
    /// For other kinds of column, `None`: read [`DbfRecords::value`].
    pub fn text(&self, index: usize, col: usize) -> Option<std::borrow::Cow<'_, str>> {
        let (f, raw) = self.raw(index, col)?;
        if !decodes_as_text(f) {
            return None;
        }
        let t = trim_bytes(raw);
        if t.is_empty() {
            return None;
        }
        let enc = self.table.encoding.encoding;
        if (t.is_ascii() || enc == UTF_8)
            && let Ok(s) = std::str::from_utf8(t)
        {
            return Some(std::borrow::Cow::Borrowed(s));
        }
        Some(std::borrow::Cow::Owned(decode_text(t, enc).0))
    }

    /// Whether column `col` holds text (values read through [`DbfRecords::text`]).
    pub fn is_text_column(&self, col: usize) -> bool {
        self.table
            .header
            .fields
            .get(col)
            .is_some_and(decodes_as_text)
    }

    /// Every value of record `index`, as [`read_dbf`] gives its row.
    pub fn row(&self, index: usize) -> Vec<Value> {
        (0..self.table.fields.len())
            .map(|col| self.value(index, col))
            .collect()
    }
}

impl crate::model::DeferredAttributes for DbfRecords {
    fn value(&self, index: usize, col: usize) -> Value {
        DbfRecords::value(self, index, col)
    }
    fn text(&self, index: usize, col: usize) -> Option<std::borrow::Cow<'_, str>> {
        DbfRecords::text(self, index, col)
    }
    fn is_text_column(&self, col: usize) -> bool {
        DbfRecords::is_text_column(self, col)
    }
    fn text_bytes(&self, index: usize, col: usize) -> Option<&[u8]> {
        let (f, raw) = self.raw(index, col)?;
        let t = trim_bytes(raw);
        (decodes_as_text(f) && !t.is_empty()).then_some(t)
    }
    fn stored_bytes(&self, index: usize, col: usize) -> Option<&[u8]> {
        let (_, raw) = self.raw(index, col)?;
        let t = trim_bytes(raw);
        (!t.is_empty()).then_some(t)
    }
    fn stored_column(&self, col: usize) -> Option<crate::model::StoredColumn<'_>> {
        let f = self.table.header.fields.get(col)?;
        let (start, record_len) = (self.table.header.header_len, self.table.header.record_len);
        let records = self
            .bytes
            .get(start..start + self.table.records.checked_mul(record_len)?)?;
        crate::model::StoredColumn::new(
            records,
            record_len,
            (f.offset, f.length),
            decodes_as_text(f),
        )
    }
    fn text_chars(&self, index: usize, col: usize, each: &mut dyn FnMut(char)) -> bool {
        let Some(t) = self.text_bytes(index, col) else {
            return false;
        };
        let enc = self.table.encoding.encoding;
        if t.is_ascii() {
            t.iter().for_each(|&b| each(char::from(b)));
        } else if enc == UTF_8
            && let Ok(s) = std::str::from_utf8(t)
        {
            s.chars().for_each(each);
        } else if (enc == GBK || enc == GB18030) && is_plain_gbk(t) {
            plain_gbk_chars(t, each);
        } else {
            decode_text(t, enc).0.chars().for_each(each);
        }
        true
    }
}

/// The characters of text [`is_plain_gbk`] accepts, as [`decode_plain_gbk`] gives
/// them.
fn plain_gbk_chars(b: &[u8], each: &mut dyn FnMut(char)) {
    let table = gbk_pairs();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            each(char::from(c));
            i += 1;
        } else {
            let t = b.get(i + 1).copied().unwrap_or(0x40);
            each(
                table[usize::from(c.saturating_sub(0x81)) * 191
                    + usize::from(t.saturating_sub(0x40))],
            );
            i += 2;
        }
    }
}

/// A `.dbf` whose header, fields and encoding have been read.
struct OpenedTable {
    header: DbfHeader,
    fields: Vec<FieldDef>,
    encoding: EncodingInfo,
    /// Records present (never more than declared).
    records: usize,
    names_replaced: usize,
}

impl OpenedTable {
    fn record<'b>(&self, bytes: &'b [u8], r: usize) -> &'b [u8] {
        let start = self.header.header_len + r * self.header.record_len;
        &bytes[start..start + self.header.record_len]
    }

    fn context<'a>(&'a self, path: &'a Path) -> RowContext<'a> {
        RowContext {
            path,
            header: &self.header,
            fields: &self.fields,
            enc: self.encoding.encoding,
        }
    }
}

/// Reads the header, chooses the encoding and decodes the field names, reporting
/// what is wrong with them.
fn open_table(
    path: &Path,
    bytes: &[u8],
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
) -> Result<OpenedTable, IoError> {
    let header = parse_header(path, bytes)?;
    let n = header.available_records(bytes.len());
    let text = TableText {
        scan: &mut || scan_text(&header, bytes, n),
        gb_clean: &mut || reads_as_gb18030(&header, bytes, n),
    };
    open_parsed_table(path, &header, bytes, n, text, cpg, user_encoding, problems)
}

/// How [`open_parsed_table`] learns about a table's text when choosing its
/// encoding, each asked for at most once and only if needed: [`scan_text`] and
/// [`reads_as_gb18030`] of the table.
struct TableText<'s> {
    scan: &'s mut dyn FnMut() -> TextScan,
    gb_clean: &'s mut dyn FnMut() -> bool,
}

/// [`open_table`] of a table whose header is parsed (`head` holds the file's
/// first bytes, through the field descriptors) and that holds `n` records.
#[allow(clippy::too_many_arguments)]
fn open_parsed_table(
    path: &Path,
    header: &DbfHeader,
    head: &[u8],
    n: usize,
    text: TableText,
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
) -> Result<OpenedTable, IoError> {
    if limits::MAX_RECORDS.exceeded_by(n as u64) {
        return Err(IoError::corrupt(
            path,
            limits::MAX_RECORDS.message(format!(
                "the file holds {n} records (the header declares {})",
                header.declared_records
            )),
        ));
    }
    if n < header.declared_records as usize {
        problems.push(
            Problem::error(
                path,
                format!(
                    "the .dbf header declares {} records but the file holds only {n}; it is truncated",
                    header.declared_records
                ),
            )
            .with_hint("get a complete copy of the .dbf")
            .with_zh(
                format!(
                    ".dbf 文件头声明有 {} 条记录，但文件中只有 {n} 条，文件被截断",
                    header.declared_records
                ),
                Some("请获取完整的 .dbf 文件"),
            ),
        );
    }
    let declared_fields = (header.header_len.saturating_sub(33)) / 32;
    let desc_count = count_descriptors(head, header.header_len);
    if header.fields.len() < desc_count.min(declared_fields) {
        problems.push(
            Problem::error(
                path,
                format!(
                    "only {} of {} field descriptors fit in the record length {}; the rest were dropped",
                    header.fields.len(),
                    desc_count.min(declared_fields),
                    header.record_len
                ),
            )
            .with_hint("the .dbf header is damaged; re-export the layer")
            .with_zh(
                format!(
                    "记录长度 {} 只放得下 {} 个字段描述中的 {} 个，其余字段已丢弃",
                    header.record_len,
                    desc_count.min(declared_fields),
                    header.fields.len()
                ),
                Some(".dbf 文件头已损坏，请重新导出图层"),
            ),
        );
    }

    let mut scan_cache: Option<TextScan> = None;
    let TableText {
        scan: scan_table,
        gb_clean,
    } = text;
    let mut scan = || *scan_cache.get_or_insert_with(&mut *scan_table);
    let encoding = choose_encoding(
        path,
        user_encoding,
        cpg,
        header.ldid,
        &mut scan,
        gb_clean,
        problems,
    );
    let enc = encoding.encoding;

    let mut names_replaced = 0usize;
    let mut fields: Vec<FieldDef> = Vec::with_capacity(header.fields.len());
    for (i, f) in header.fields.iter().enumerate() {
        let (mut name, bad) = decode_text(&f.raw_name, enc);
        names_replaced += usize::from(bad);
        if name.is_empty() {
            name = format!("FIELD{}", i + 1);
        }
        let base = name.clone();
        let mut k = 2;
        while fields.iter().any(|d| d.name == name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        fields.push(FieldDef {
            name,
            kind: f.kind(),
        });
    }
    if let Some(memo) = header.fields.iter().zip(&fields).find(|(f, _)| {
        let t = f.type_code.to_ascii_uppercase();
        matches!(t, b'M' | b'G' | b'P') || (t == b'B' && f.length != 8)
    }) {
        problems.push(
            Problem::warning(
                path,
                "memo/binary fields are stored in a separate .dbt/.fpt file and were not read",
            )
            .in_field(memo.1.name.clone())
            .with_hint("convert the field to text if its content is needed")
            .with_zh(
                "备注/二进制字段存放在单独的 .dbt/.fpt 文件中，未读取",
                Some("如需要其内容，请把该字段转为文本"),
            ),
        );
    }

    Ok(OpenedTable {
        header: header.clone(),
        fields,
        encoding,
        records: n,
        names_replaced,
    })
}

/// Reports the per-record problems and, once, the replaced characters, from the
/// records that have any (record number, what it has), in order.
fn report_extras(
    path: &Path,
    opened: &OpenedTable,
    extras: impl IntoIterator<Item = (usize, Box<RowExtras>)>,
    problems: &mut Vec<Problem>,
) {
    let enc = opened.encoding.encoding;
    let names_replaced = opened.names_replaced;
    let mut replaced_first: Option<(Option<u64>, usize)> =
        (names_replaced > 0).then_some((None, names_replaced));
    for (r, extra) in extras {
        problems.extend(extra.problems);
        if extra.replaced > 0 {
            match &mut replaced_first {
                Some((_, count)) => *count += extra.replaced,
                None => replaced_first = Some((Some(r as u64), extra.replaced)),
            }
        }
    }

    if let Some((first, count)) = replaced_first {
        let (where_, where_zh) = match first {
            Some(r) => (
                format!(" (first in record {r}, {count} values in all)"),
                format!("（首次出现在记录 {r}，共 {count} 个值）"),
            ),
            None => (
                format!(" (in field names, {count} in all)"),
                format!("（在字段名中，共 {count} 个）"),
            ),
        };
        problems.push(
            Problem::warning(
                path,
                format!(
                    "text is neither valid UTF-8 nor valid {}; characters were replaced{where_}",
                    enc.name()
                ),
            )
            .with_hint("choose the encoding by hand (e.g. GBK, UTF-8, Big5)")
            .with_zh(
                format!(
                    "文本既不是有效的 UTF-8，也不是有效的 {}；有字符被替换{where_zh}",
                    enc.name()
                ),
                Some("请手动选择编码（如 GBK、UTF-8、Big5）"),
            ),
        );
    }
}

/// Problems and replaced characters of one record (rare, so kept out of line).
#[derive(Default)]
struct RowExtras {
    problems: Vec<Problem>,
    replaced: usize,
}

/// What decoding a record needs.
struct RowContext<'a> {
    path: &'a Path,
    header: &'a DbfHeader,
    fields: &'a [FieldDef],
    enc: &'static Encoding,
}

impl RowContext<'_> {
    /// Decodes one record, or with `build` false only checks it: the problems and the
    /// count of values with replaced characters are the same either way.
    fn decode_row(
        &self,
        fid: u64,
        rec: &[u8],
        build: bool,
    ) -> (Vec<Value>, Option<Box<RowExtras>>) {
        let path = self.path;
        let mut extras = RowExtras::default();
        if rec[0] == b'*' {
            extras.problems.push(
                Problem::warning(path, "record marked deleted in .dbf; its attributes were left empty")
                    .at_record(fid)
                    .with_hint("ESRI tools skip deleted rows; the shape was kept so record numbers stay aligned")
                    .with_zh(
                        "该记录在 .dbf 中标记为已删除，其属性留空",
                        Some("ESRI 软件会跳过已删除的行；这里保留了图形，以便记录号一一对应"),
                    ),
            );
            let row = if build {
                vec![Value::Null; self.fields.len()]
            } else {
                Vec::new()
            };
            return (row, Some(Box::new(extras)));
        }
        let mut replaced = 0;
        let mut row = Vec::with_capacity(if build { self.fields.len() } else { 0 });
        for (f, def) in self.header.fields.iter().zip(self.fields) {
            let raw = &rec[f.offset..f.offset + f.length];
            let value = decode_cell(
                f,
                &def.name,
                raw,
                self.enc,
                (path, fid),
                &mut extras.problems,
                &mut replaced,
                build,
            );
            if build {
                row.push(value);
            }
        }
        extras.replaced = replaced;
        let keep = !extras.problems.is_empty() || extras.replaced > 0;
        (row, keep.then(|| Box::new(extras)))
    }
}

impl RowContext<'_> {
    /// The problems and replaced characters of one record, as [`RowContext::decode_row`]
    /// finds them without building the record. A record whose cells all pass quick
    /// tests that only accept clean values (text that decodes as it is, plain decimal
    /// numbers) has none; any other goes through the full decoding. `quick` is
    /// [`RowContext::quick_checks`].
    fn check_row(&self, quick: &[QuickCheck], fid: u64, rec: &[u8]) -> Option<Box<RowExtras>> {
        let clean = rec[0] != b'*'
            && self.header.fields.iter().zip(quick).all(|(f, quick)| {
                let raw = &rec[f.offset..f.offset + f.length];
                // Padding is ASCII, so text is plain (or valid UTF-8) with or without it.
                match quick {
                    QuickCheck::Number => is_plain_decimal(trim_bytes(raw)),
                    // Padding is ASCII: a wide field is scanned without it.
                    QuickCheck::PlainGbk if raw.len() >= 16 => is_plain_gbk(trim_bytes(raw)),
                    QuickCheck::PlainGbk => is_plain_gbk(raw),
                    QuickCheck::Utf8 => std::str::from_utf8(raw).is_ok(),
                    QuickCheck::Text => !has_malformed_text(trim_bytes(raw), self.enc),
                    QuickCheck::Decode => {
                        let (mut problems, mut replaced) = (Vec::new(), 0);
                        let at = (self.path, fid);
                        decode_cell(
                            f,
                            "",
                            raw,
                            self.enc,
                            at,
                            &mut problems,
                            &mut replaced,
                            false,
                        );
                        problems.is_empty() && replaced == 0
                    }
                }
            });
        if clean {
            return None;
        }
        self.decode_row(fid, rec, false).1
    }

    /// How [`RowContext::check_row`] tests each field.
    fn quick_checks(&self) -> Vec<QuickCheck> {
        self.header
            .fields
            .iter()
            .map(|f| match f.type_code.to_ascii_uppercase() {
                b'N' | b'F' => QuickCheck::Number,
                _ if decodes_as_text(f) => {
                    if self.enc == GBK || self.enc == GB18030 {
                        QuickCheck::PlainGbk
                    } else if self.enc == UTF_8 {
                        QuickCheck::Utf8
                    } else {
                        QuickCheck::Text
                    }
                }
                _ => QuickCheck::Decode,
            })
            .collect()
    }
}

/// The quick test of one field in [`RowContext::check_row`].
#[derive(Clone, Copy, Debug)]
enum QuickCheck {
    /// A plain decimal (or empty).
    Number,
    /// GBK text of ASCII and two-byte pairs.
    PlainGbk,
    /// Valid UTF-8.
    Utf8,
    /// Text in another encoding, that decodes without replacement.
    Text,
    /// Decoded in full, without a problem.
    Decode,
}

/// Whether trimmed number bytes are empty or a plain decimal (`-12`, `3.50`, `.5`),
/// which [`parse_number`] reads without a problem.
fn is_plain_decimal(t: &[u8]) -> bool {
    let digits = t.strip_prefix(b"-").unwrap_or(t);
    let mut seen_digit = false;
    let mut seen_point = false;
    for &c in digits {
        match c {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_point => seen_point = true,
            _ => return false,
        }
    }
    seen_digit || t.is_empty()
}

/// Whether a field's values decode as text.
fn decodes_as_text(f: &DbfField) -> bool {
    match f.type_code.to_ascii_uppercase() {
        b'C' => true,
        b'N' | b'F' | b'L' | b'D' => false,
        b'I' | b'+' if f.length == 4 => false,
        b'O' | b'B' if f.length == 8 => false,
        b'M' | b'G' | b'P' | b'B' => false,
        _ => true,
    }
}

/// Decodes one value. Without `build`, text is only checked for characters that
/// would be replaced (and `Null` returned), so checking a record allocates nothing.
#[allow(clippy::too_many_arguments)]
fn decode_cell(
    f: &DbfField,
    name: &str,
    raw: &[u8],
    enc: &'static Encoding,
    (path, fid): (&Path, u64),
    problems: &mut Vec<Problem>,
    replaced: &mut usize,
    build: bool,
) -> Value {
    if decodes_as_text(f) {
        let t = trim_bytes(raw);
        if t.is_empty() {
            return Value::Null;
        }
        if !build {
            *replaced += usize::from(has_malformed_text(t, enc));
            return Value::Null;
        }
        let (s, bad) = decode_text(t, enc);
        *replaced += usize::from(bad);
        return Value::Text(s);
    }
    match f.type_code.to_ascii_uppercase() {
        b'N' | b'F' => parse_number(raw, f.decimals, path, fid, name, problems),
        b'L' => parse_bool(raw, path, fid, name, problems),
        b'D' => parse_date(raw, path, fid, name, problems),
        b'I' | b'+' if raw.len() == 4 => {
            Value::Int(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]) as i64)
        }
        // `O` and Visual FoxPro's `B` are little-endian doubles.
        b'O' | b'B' if raw.len() == 8 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(raw);
            let v = f64::from_le_bytes(a);
            if v.is_finite() {
                Value::Float(v)
            } else {
                Value::Null
            }
        }
        _ => Value::Null,
    }
}

/// Whether `b` is ASCII and two-byte GBK pairs, each of which GB18030 decodes (lead
/// 0x81–0xFE, trail 0x40–0x7E or 0x80–0xFE); anything else
/// (four-byte sequences, stray bytes) is left to the decoder.
fn is_plain_gbk(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
            continue;
        }
        if !(0x81..=0xFE).contains(&c) {
            return false;
        }
        // Every such pair decodes to one character (see the test of the fast path),
        // so no table is consulted.
        match b.get(i + 1) {
            Some(&t) if (0x40..=0xFE).contains(&t) && t != 0x7F => i += 2,
            _ => return false,
        }
    }
    true
}

/// Whether decoding `b` (trimmed text bytes) would replace characters, as
/// [`decode_text`] reports it, found without building the text.
fn has_malformed_text(b: &[u8], enc: &'static Encoding) -> bool {
    if b.is_ascii() {
        return false;
    }
    if enc == UTF_8 {
        return std::str::from_utf8(b).is_err();
    }
    if (enc == GBK || enc == GB18030) && is_plain_gbk(b) {
        return false;
    }
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut out = [0u8; 1024];
    let mut src = b;
    loop {
        let (result, read, _) = decoder.decode_to_utf8_without_replacement(src, &mut out, true);
        match result {
            encoding_rs::DecoderResult::InputEmpty => return false,
            encoding_rs::DecoderResult::OutputFull => src = &src[read..],
            encoding_rs::DecoderResult::Malformed(..) => return true,
        }
    }
}

fn count_descriptors(bytes: &[u8], header_len: usize) -> usize {
    let end = header_len.min(bytes.len());
    let mut at = 32;
    let mut n = 0;
    while at + 32 <= end && bytes[at] != 0x0D {
        n += 1;
        at += 32;
    }
    n
}

fn parse_number(
    raw: &[u8],
    decimals: u8,
    path: &Path,
    fid: u64,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Value {
    let t = trim_bytes(raw);
    if t.is_empty() || t.iter().all(|&b| b == b'*') {
        return Value::Null;
    }
    let s = std::str::from_utf8(t).unwrap_or("");
    if decimals == 0
        && let Ok(i) = s.parse::<i64>()
    {
        return Value::Int(i);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Value::Float(v),
        _ => {
            problems.push(
                Problem::error(
                    path,
                    format!(
                        "\"{}\" is not a number; the value was left empty",
                        String::from_utf8_lossy(t)
                    ),
                )
                .at_record(fid)
                .in_field(field)
                .with_hint("correct the value in the attribute table")
                .with_zh(
                    format!("“{}”不是数字，该值留空", String::from_utf8_lossy(t)),
                    Some("请在属性表中改正该值"),
                ),
            );
            Value::Null
        }
    }
}

fn parse_bool(
    raw: &[u8],
    path: &Path,
    fid: u64,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Value {
    match trim_bytes(raw).first() {
        None | Some(b'?') => Value::Null,
        Some(b'T' | b't' | b'Y' | b'y') => Value::Bool(true),
        Some(b'F' | b'f' | b'N' | b'n') => Value::Bool(false),
        Some(_) => {
            problems.push(
                Problem::error(
                    path,
                    format!(
                        "\"{}\" is not a logical value (T/F/Y/N); the value was left empty",
                        String::from_utf8_lossy(trim_bytes(raw))
                    ),
                )
                .at_record(fid)
                .in_field(field)
                .with_hint("correct the value in the attribute table")
                .with_zh(
                    format!(
                        "“{}”不是逻辑值（T/F/Y/N），该值留空",
                        String::from_utf8_lossy(trim_bytes(raw))
                    ),
                    Some("请在属性表中改正该值"),
                ),
            );
            Value::Null
        }
    }
}

fn parse_date(
    raw: &[u8],
    path: &Path,
    fid: u64,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Value {
    let t = trim_bytes(raw);
    if t.is_empty() || t.iter().all(|&b| b == b'0') {
        return Value::Null;
    }
    if let Some((y, m, d)) = date_parts(t)
        && valid_date(y, m, d)
    {
        return Value::Date(format!("{y:04}-{m:02}-{d:02}"));
    }
    problems.push(
        Problem::error(
            path,
            format!(
                "\"{}\" is not a date (YYYYMMDD); the value was left empty",
                String::from_utf8_lossy(t)
            ),
        )
        .at_record(fid)
        .in_field(field)
        .with_hint("correct the date in the attribute table")
        .with_zh(
            format!(
                "“{}”不是日期（YYYYMMDD），该值留空",
                String::from_utf8_lossy(t)
            ),
            Some("请在属性表中改正该日期"),
        ),
    );
    Value::Null
}

fn date_parts(t: &[u8]) -> Option<(u32, u32, u32)> {
    if t.len() != 8 || !t.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |s: &[u8]| {
        s.iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
    };
    Some((num(&t[0..4]), num(&t[4..6]), num(&t[6..8])))
}

/// Whether a calendar date exists (proleptic Gregorian).
pub(crate) fn valid_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y > 0 && d >= 1 && d <= days
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Trimming a wide field eight bytes at a time gives what a byte-at-a-time
        /// trim gives, and a field is plain GBK with its padding as without it.
        #[test]
        fn wide_fields_trim_and_scan_as_narrow_ones(
            lead in proptest::collection::vec(0usize..2, 0..24),
            picks in proptest::collection::vec(0usize..12, 0..30),
            tail in proptest::collection::vec(0usize..2, 0..40),
        ) {
            const BYTES: [u8; 12] = [0x00, b' ', b' ', b' ', b'a', b'1', 0x40, 0x7F, 0x80, 0x81, 0xB0, 0xFF];
            // Padding before and after (as fixed-width fields have it), values between.
            let pad = |k: &usize| [b' ', 0x00][*k];
            let b: Vec<u8> = (lead.iter().map(pad))
                .chain(picks.iter().map(|&k| BYTES[k]))
                .chain(tail.iter().map(pad))
                .collect();
            let is_pad = |c: &u8| *c == b' ' || *c == 0;
            let start = b.iter().position(|c| !is_pad(c)).unwrap_or(b.len());
            let end = b.iter().rposition(|c| !is_pad(c)).map_or(start, |e| e + 1);
            proptest::prop_assert_eq!(trim_bytes(&b), &b[start..end]);
            proptest::prop_assert_eq!(is_plain_gbk(trim_bytes(&b)), is_plain_gbk(&b));
        }
    }

    /// Builds a minimal DBF by hand: fields (name bytes, type, len, dec), rows of raw cells.
    /// A `.dbf` with these fields (name, type, length, decimals) and records
    /// (deletion flag, cells padded with spaces).
    pub(crate) fn dbf(
        ldid: u8,
        fields: &[(&[u8], u8, u8, u8)],
        rows: &[(u8, Vec<&[u8]>)],
    ) -> Vec<u8> {
        let header_len = 32 + 32 * fields.len() + 1;
        let record_len = 1 + fields.iter().map(|f| f.2 as usize).sum::<usize>();
        let mut b = vec![0u8; 32];
        b[0] = 3;
        b[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
        b[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
        b[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
        b[29] = ldid;
        for (name, t, len, dec) in fields {
            let mut d = [0u8; 32];
            d[..name.len()].copy_from_slice(name);
            d[11] = *t;
            d[16] = *len;
            d[17] = *dec;
            b.extend_from_slice(&d);
        }
        b.push(0x0D);
        for (flag, cells) in rows {
            b.push(*flag);
            for (cell, f) in cells.iter().zip(fields) {
                let mut c = cell.to_vec();
                c.resize(f.2 as usize, b' ');
                b.extend_from_slice(&c);
            }
        }
        b.push(0x1A);
        b
    }

    fn p() -> PathBuf {
        PathBuf::from("t.dbf")
    }

    pub(crate) fn gbk(s: &str) -> Vec<u8> {
        GBK.encode(s).0.into_owned()
    }

    #[test]
    fn gbk_text_and_names_decode_with_ldid_0x4d() {
        let name = gbk("名称");
        let val = gbk("水源地");
        let b = dbf(0x4D, &[(&name, b'C', 20, 0)], &[(b' ', vec![&val])]);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(t.fields[0].name, "名称");
        assert_eq!(t.rows[0][0], Value::Text("水源地".into()));
        assert_eq!(t.encoding.source, EncodingSource::LanguageDriver(0x4D));
        assert!(probs.is_empty(), "{probs:?}");
    }

    #[test]
    fn undeclared_gbk_is_detected_as_gb18030() {
        let val = gbk("一级保护区");
        let b = dbf(0, &[(b"LEVEL", b'C', 20, 0)], &[(b' ', vec![&val])]);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(t.encoding.source, EncodingSource::DetectedGb18030);
        assert_eq!(t.rows[0][0], Value::Text("一级保护区".into()));
    }

    #[test]
    fn cpg_utf8_over_gbk_bytes_falls_back_with_a_warning() {
        let val = gbk("禁煤区");
        let b = dbf(0, &[(b"Z", b'C', 10, 0)], &[(b' ', vec![&val])]);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, Some("UTF-8"), None, &mut probs).unwrap();
        assert_eq!(t.rows[0][0], Value::Text("禁煤区".into()));
        assert_eq!(t.encoding.encoding, GB18030);
        assert_eq!(probs.len(), 1);
        assert!(probs[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn stale_ldid_over_utf8_text_is_read_as_utf8_with_a_warning() {
        let b = dbf(
            0x4D,
            &[(b"Z", b'C', 20, 0)],
            &[(b' ', vec!["建成区".as_bytes()])],
        );
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(t.rows[0][0], Value::Text("建成区".into()));
        assert_eq!(t.encoding.source, EncodingSource::DetectedUtf8);
        assert_eq!(probs.len(), 1);
    }

    #[test]
    fn malformed_text_is_reported_not_silently_replaced() {
        // 0x81 0x20 is not a valid GBK pair and not UTF-8.
        let b = dbf(0, &[(b"Z", b'C', 6, 0)], &[(b' ', vec![b"a\x81 b\x81"])]);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert!(matches!(&t.rows[0][0], Value::Text(s) if s.contains('\u{fffd}')));
        assert!(
            probs
                .iter()
                .any(|p| p.message.contains("characters were replaced"))
        );
    }

    #[test]
    fn numbers_bools_and_dates_parse_with_nulls_and_problems() {
        let fields: &[(&[u8], u8, u8, u8)] = &[
            (b"I", b'N', 10, 0),
            (b"F", b'N', 12, 3),
            (b"L", b'L', 1, 0),
            (b"D", b'D', 8, 0),
        ];
        let rows = vec![
            (b' ', vec![&b"  42"[..], b"  3.250", b"T", b"20190731"]),
            (b' ', vec![&b""[..], b"*********", b"?", b""]),
            (b' ', vec![&b"4x"[..], b"1e3", b"n", b"20190231"]),
            (b'*', vec![&b"7"[..], b"1", b"T", b"20200101"]),
        ];
        let b = dbf(0, fields, &rows);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(
            t.rows[0],
            vec![
                Value::Int(42),
                Value::Float(3.25),
                Value::Bool(true),
                Value::Date("2019-07-31".into())
            ]
        );
        assert!(t.rows[1].iter().all(Value::is_null));
        assert_eq!(
            t.rows[2],
            vec![
                Value::Null,
                Value::Float(1000.0),
                Value::Bool(false),
                Value::Null
            ]
        );
        assert!(t.rows[3].iter().all(Value::is_null));
        assert_eq!(t.fields[0].kind, FieldKind::Integer);
        assert_eq!(t.fields[1].kind, FieldKind::Float);
        let recs: Vec<_> = probs.iter().map(|p| (p.record, p.field.clone())).collect();
        assert!(recs.contains(&(Some(2), Some("I".into()))));
        assert!(recs.contains(&(Some(2), Some("D".into()))));
        assert!(
            probs
                .iter()
                .any(|p| p.record == Some(3) && p.message.contains("deleted"))
        );
    }

    /// Reads `bytes` whole and deferred (from memory, and from a file a few records
    /// at a time) and checks that each gives the same fields, encoding, problems and
    /// every value (and text for text columns).
    fn assert_deferred_matches_whole(bytes: &[u8], cpg: Option<&str>) {
        let mut whole_problems = vec![];
        let whole = read_dbf(&p(), bytes, cpg, None, &mut whole_problems).unwrap();
        let mut problems = vec![];
        let read = read_dbf_deferred(&p(), bytes.to_vec(), cpg, None, &mut problems).unwrap();
        assert_records_match_whole(read, problems, &whole, &whole_problems);
        for per_piece in [1, 2, 3, 64] {
            let mut problems = vec![];
            let read = stream::tests::read_bytes_in_pieces(bytes, cpg, per_piece, &mut problems);
            assert_records_match_whole(read.unwrap(), problems, &whole, &whole_problems);
            // Decoded whole from the pieces, the table is the one read from memory.
            let mut problems = vec![];
            let read = stream::tests::decode_bytes_in_pieces(bytes, cpg, per_piece, &mut problems);
            assert_eq!(read.unwrap(), whole, "{per_piece} records a piece");
            assert_eq!(problems, whole_problems);
        }
    }

    fn assert_records_match_whole(
        (records, encoding): (DbfRecords, EncodingInfo),
        deferred_problems: Vec<Problem>,
        whole: &DbfTable,
        whole_problems: &[Problem],
    ) {
        assert_eq!(deferred_problems, whole_problems);
        assert_eq!(encoding, whole.encoding);
        assert_eq!(records.fields(), &whole.fields[..]);
        assert_eq!(records.len(), whole.rows.len());
        for (i, row) in whole.rows.iter().enumerate() {
            assert_eq!(&records.row(i), row, "record {i}");
            for (col, v) in row.iter().enumerate() {
                if records.is_text_column(col) {
                    assert_eq!(
                        records.text(i, col).as_deref(),
                        v.as_text().as_deref(),
                        "record {i} column {col}"
                    );
                    assert_eq!(
                        crate::model::DeferredAttributes::text_bytes(&records, i, col).is_some(),
                        !v.is_null()
                    );
                    let mut chars = String::new();
                    let present =
                        crate::model::DeferredAttributes::text_chars(&records, i, col, &mut |c| {
                            chars.push(c)
                        });
                    assert_eq!(
                        present.then_some(chars.as_str()),
                        records.text(i, col).as_deref(),
                        "characters of record {i} column {col}"
                    );
                } else {
                    assert_eq!(records.text(i, col), None);
                }
            }
        }
        assert_eq!(records.value(whole.rows.len(), 0), Value::Null);
        // Each column read in place gives the stored bytes of every record, and
        // its raw words are equal exactly when the records' bytes are.
        use crate::model::DeferredAttributes;
        for col in 0..records.fields().len() {
            let column = records.stored_column(col).expect("a column in place");
            assert_eq!(
                column.is_text(),
                records.is_text_column(col),
                "column {col}"
            );
            let f = &records.table.header.fields[col];
            let raw = |i: usize| &records.table.record(&records.bytes, i)[f.offset..][..f.length];
            for i in 0..=records.len() {
                assert_eq!(
                    column.get(i),
                    records.stored_bytes(i, col),
                    "record {i} column {col}"
                );
                // What a touch reads: the record's first and last byte.
                let ends = match i < records.len() {
                    true => {
                        let record = records.table.record(&records.bytes, i);
                        record[0] ^ record[record.len() - 1]
                    }
                    false => 0,
                };
                assert_eq!(column.touch(i), ends, "touch of record {i}");
                for j in 0..records.len() {
                    if let (Some(a), Some(b), true) =
                        (column.raw_word(i), column.raw_word(j), i < records.len())
                    {
                        assert_eq!(a == b, raw(i) == raw(j), "records {i}, {j} column {col}");
                    }
                }
            }
        }
    }

    #[test]
    fn deferred_records_give_the_values_and_problems_of_a_whole_read() {
        let fields: &[(&[u8], u8, u8, u8)] = &[
            (b"NAME", b'C', 12, 0),
            (b"I", b'N', 10, 0),
            (b"F", b'N', 12, 3),
            (b"L", b'L', 1, 0),
            (b"D", b'D', 8, 0),
            (b"X", b'Q', 4, 0),
        ];
        let (a, b2, c) = (gbk("县医院"), gbk("燃煤"), gbk("锅炉房€"));
        // A four-byte GB18030 sequence (U+00E9) and a malformed pair.
        let four: &[u8] = b"\x81\x30\x86\x33";
        let rows = vec![
            (
                b' ',
                vec![&a[..], b"  42", b"  3.250", b"T", b"20190731", b"ab"],
            ),
            (b' ', vec![&b""[..], b"", b"*********", b"?", b"", b""]),
            (
                b' ',
                vec![&b2[..], b"4x", b"1e3", b"n", b"20190231", &c[..4]],
            ),
            (
                b'*',
                vec![&b"gone"[..], b"7", b"1", b"T", b"20200101", b"zz"],
            ),
            (b' ', vec![four, b"-3", b"0.5", b"Y", b"20001231", b"q"]),
            (b' ', vec![&b"a\x81 b\x81"[..], b"0", b"", b"F", b"x", b""]),
            (b' ', vec![&c[..], b"1", b"2", b"N", b"19991231", b"\x81"]),
        ];
        let bytes = dbf(0x4D, fields, &rows);
        assert_deferred_matches_whole(&bytes, None);
        assert_deferred_matches_whole(&bytes, Some("GB18030"));
        let utf8 = dbf(
            0,
            &[(b"NAME", b'C', 12, 0)],
            &[(b' ', vec!["建成区".as_bytes()]), (b' ', vec![b"  x "])],
        );
        assert_deferred_matches_whole(&utf8, None);
    }

    #[test]
    fn wide_text_fields_are_held_without_their_padding_and_read_the_same() {
        // Wide text fields with short values: leading spaces, NULs inside and
        // after a value, a value that fills its field, a deleted record, text
        // that does not decode, beside narrow and non-text fields.
        let fields: &[(&[u8], u8, u8, u8)] = &[
            (b"NAME", b'C', 60, 0),
            (b"N", b'N', 10, 2),
            (b"ADDR", b'C', 40, 0),
            (b"FLAG", b'C', 2, 0),
            (b"M", b'M', 10, 0),
        ];
        let (a, b2) = (gbk("县医院锅炉房"), gbk("小店区"));
        let full = [b'x'; 40];
        let rows = vec![
            (b' ', vec![&a[..], b" 12.50", &b2[..], b"Y", b"         1"]),
            (b' ', vec![&b"   lead"[..], b"", b"a\0b\0\0", b"", b""]),
            (
                b'*',
                vec![
                    &b"gone but longer than the rest"[..],
                    b"1",
                    b"zz",
                    b"N",
                    b"",
                ],
            ),
            (b' ', vec![&b"a\x81 b\x81"[..], b"3", &full[..], b"N", b""]),
            (b' ', vec![&b""[..], b"-0.5", b"\0\0", b"Y", b""]),
        ];
        let bytes = dbf(0x4D, fields, &rows);
        assert_deferred_matches_whole(&bytes, None);
        assert_deferred_matches_whole(&bytes, Some("GB18030"));
        let (records, _) = read_dbf_deferred(&p(), bytes.clone(), None, None, &mut vec![]).unwrap();
        let lengths: Vec<usize> = records
            .table
            .header
            .fields
            .iter()
            .map(|f| f.length)
            .collect();
        // NAME to the deleted record's value, ADDR kept whole (one value fills it).
        assert_eq!(lengths, [29, 10, 40, 1, 10]);
        assert_eq!(records.table.header.record_len, 1 + 29 + 10 + 40 + 1 + 10);
        assert_eq!(
            records.bytes.len(),
            rows.len() * records.table.header.record_len
        );
        // Read from a file a piece at a time, the records are laid out alike.
        for per_piece in [1, 2, 4] {
            let read = stream::tests::read_bytes_in_pieces(&bytes, None, per_piece, &mut vec![]);
            let (records, _) = read.unwrap();
            let header = &records.table.header;
            assert_eq!(
                header.fields.iter().map(|f| f.length).collect::<Vec<_>>(),
                lengths
            );
            assert_eq!(records.bytes.len(), rows.len() * header.record_len);
        }
        // A file cut short in its last record.
        assert_deferred_matches_whole(&bytes[..bytes.len() - 7], None);
        // A Western language driver over the Chinese text, with and without the
        // text that does not decode as GB18030; and UTF-8 text.
        assert_deferred_matches_whole(&dbf(0x03, fields, &rows), None);
        let decodes: Vec<_> = (rows.iter())
            .filter(|(_, values)| !values[0].starts_with(b"a\x81"))
            .cloned()
            .collect();
        assert_deferred_matches_whole(&dbf(0x03, fields, &decodes), None);
        let name = "县医院锅炉房 ".repeat(3);
        let utf8 = [(b' ', vec![name.as_bytes(), b"1", b"x", b"Y", b""])];
        assert_deferred_matches_whole(&dbf(0, fields, &utf8), None);
        assert_deferred_matches_whole(&dbf(0, fields, &utf8), Some("UTF-8"));
        // A file whose first records fill their wide field is read whole, and
        // kept as it is.
        let filled = [(b' ', vec![&[b'y'; 20][..]]), (b' ', vec![&b"z"[..]])];
        let filled = dbf(0x4D, &[(b"NAME", b'C', 20, 0)], &filled);
        let read = stream::tests::read_bytes_in_pieces(&filled, None, 1, &mut vec![]);
        assert_eq!(read.unwrap().0.bytes, filled);
        // Narrow fields are kept as they are.
        let narrow = dbf(0x4D, &fields[1..2], &[(b' ', vec![&b"1"[..]])]);
        let (records, _) =
            read_dbf_deferred(&p(), narrow.clone(), None, None, &mut vec![]).unwrap();
        assert_eq!(records.bytes, narrow);
    }

    #[test]
    fn a_damaged_header_is_the_same_error_read_from_memory_or_in_pieces() {
        let good = dbf(0x4D, &[(b"NAME", b'C', 20, 0)], &[(b' ', vec![&b"x"[..]])]);
        let mut short_header = good.clone();
        short_header[8..10].copy_from_slice(&20u16.to_le_bytes());
        let mut no_records = good.clone();
        no_records[10..12].copy_from_slice(&0u16.to_le_bytes());
        for bytes in [&good[..10], &good[..31], &short_header[..], &no_records[..]] {
            let from_memory = read_dbf_deferred(&p(), bytes.to_vec(), None, None, &mut vec![]);
            let in_pieces = stream::tests::read_bytes_in_pieces(bytes, None, 1, &mut vec![]);
            let (Err(a), Err(b)) = (from_memory, in_pieces) else {
                panic!("{bytes:?} read");
            };
            assert_eq!(a.to_string(), b.to_string());
        }
    }

    #[test]
    fn numbers_the_quick_record_check_passes_parse_without_a_problem() {
        let alphabet = b"09.-+e* ";
        let mut passed = 0;
        for len in 0..=4u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut k = n;
                let raw: Vec<u8> = (0..len)
                    .map(|_| {
                        let c = alphabet[k % alphabet.len()];
                        k /= alphabet.len();
                        c
                    })
                    .collect();
                if !is_plain_decimal(trim_bytes(&raw)) {
                    continue;
                }
                passed += 1;
                for decimals in [0, 2] {
                    let mut problems = Vec::new();
                    parse_number(&raw, decimals, &p(), 0, "F", &mut problems);
                    assert!(problems.is_empty(), "{:?}", String::from_utf8_lossy(&raw));
                }
            }
        }
        assert!(passed > 100, "{passed}");
        for bad in [
            &b"-"[..],
            b".",
            b"-.",
            b"1.2.3",
            b"1e3",
            b"+1",
            b"1 2",
            b"**",
        ] {
            assert!(!is_plain_decimal(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_fast_gbk_path_decodes_every_pair_as_the_gb18030_decoder_does() {
        let mut checked = 0;
        for lead in 0x81u8..=0xFE {
            for trail in 0x40u8..=0xFE {
                let bytes = [b'a', lead, trail, b'z'];
                let (expected, bad) = GB18030.decode_without_bom_handling(&bytes);
                assert_eq!(
                    has_malformed_text(&bytes, GBK),
                    bad,
                    "{lead:02X}{trail:02X}"
                );
                if let Some(fast) = decode_plain_gbk(&bytes) {
                    assert!(!bad);
                    assert_eq!(fast, expected, "{lead:02X}{trail:02X}");
                    checked += 1;
                }
                assert_eq!(decode_text(&bytes, GBK).0, expected);
            }
        }
        // Every pair but those with trail 0x7F goes the fast way.
        assert_eq!(checked, 126 * 190);
        for odd in [&b"\x81"[..], b"\xFF\x40", b"\x81\x30\x81\x30", b"\x80"] {
            assert_eq!(decode_plain_gbk(odd), None);
            let (expected, bad) = GB18030.decode_without_bom_handling(odd);
            assert_eq!(decode_text(odd, GB18030), (expected.into_owned(), bad));
            assert_eq!(has_malformed_text(odd, GB18030), bad);
        }
    }

    #[test]
    fn a_lying_record_count_reads_only_what_is_there() {
        let mut b = dbf(
            0,
            &[(b"A", b'C', 4, 0)],
            &[(b' ', vec![b"x"]), (b' ', vec![b"y"])],
        );
        b[4..8].copy_from_slice(&1_000_000u32.to_le_bytes());
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert!(probs[0].message.contains("truncated"));
    }

    #[test]
    fn labels_map_to_encodings() {
        for l in ["GBK", "936", "cp936", "CP936", " gbk\n"] {
            assert_eq!(encoding_for_label(l), LabelMeaning::Known(GBK), "{l}");
        }
        for l in ["GB2312", "gb18030"] {
            assert_eq!(encoding_for_label(l), LabelMeaning::Known(GB18030), "{l}");
        }
        for l in ["UTF-8", "utf8", "65001"] {
            assert_eq!(encoding_for_label(l), LabelMeaning::Known(UTF_8), "{l}");
        }
        assert_eq!(
            encoding_for_label("950"),
            LabelMeaning::Known(encoding_rs::BIG5)
        );
        assert_eq!(
            encoding_for_label("1252"),
            LabelMeaning::Known(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(encoding_for_label("ANSI"), LabelMeaning::NotDeclared);
        assert_eq!(encoding_for_label("klingon"), LabelMeaning::Unknown);
    }

    #[test]
    fn garbage_headers_are_errors_not_panics() {
        let mut probs = vec![];
        assert!(read_dbf(&p(), &[1, 2, 3], None, None, &mut probs).is_err());
        let mut b = dbf(0, &[(b"A", b'C', 4, 0)], &[(b' ', vec![b"x"])]);
        b[10] = 0;
        b[11] = 0;
        assert!(read_dbf(&p(), &b, None, None, &mut probs).is_err());
        // A field longer than the record is dropped with a problem.
        let mut b = dbf(0, &[(b"A", b'C', 4, 0)], &[(b' ', vec![b"x"])]);
        b[32 + 16] = 200;
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert!(t.fields.is_empty());
        assert_eq!(probs.len(), 1);
    }

    #[test]
    fn a_western_ldid_over_chinese_text_is_read_as_gb18030_with_a_warning() {
        let val = gbk("汾河水库");
        let b = dbf(0x03, &[(b"Z", b'C', 10, 0)], &[(b' ', vec![&val])]);
        let mut probs = vec![];
        let t = read_dbf(&p(), &b, None, None, &mut probs).unwrap();
        assert_eq!(t.rows[0][0], Value::Text("汾河水库".into()));
        assert_eq!(t.encoding.source, EncodingSource::DetectedGb18030);
        assert_eq!(probs.len(), 1);
        // Pure ASCII text keeps the declared code page.
        let b = dbf(0x03, &[(b"Z", b'C', 10, 0)], &[(b' ', vec![b"abc"])]);
        let t = read_dbf(&p(), &b, None, None, &mut vec![]).unwrap();
        assert_eq!(t.encoding.source, EncodingSource::LanguageDriver(0x03));
    }
}
