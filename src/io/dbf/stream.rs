//! A `.dbf` read for values on demand ([`DbfRecords`]) from its file a piece at a
//! time, when it has wide text fields: ledgers exported from ArcGIS or Excel pad
//! every text field to 50–254 bytes, so read whole such a file needs several
//! times the memory its values do (a million 500-byte records: 500 MB, for some
//! 80 MB of values), and the file's bytes would be copied twice. Read in pieces,
//! each piece is held with its text fields cut to the piece's longest values; at
//! the end every piece is laid out alike, each text field as long as its longest
//! value in the file, as [`without_text_padding`] holds a file read whole.
//!
//! A text value is its bytes with the padding trimmed, and a cut only drops
//! padding after the longest value, so every value reads the same, and the checks
//! of every record (the problems [`read_dbf`] reports) give the same on the cut
//! records: they are made there, once the encoding is known. A file without wide
//! text fields, or whose first piece is less than a quarter padding (where
//! [`without_text_padding`] would keep a whole read as it is), is read whole.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use encoding_rs::Encoding;
use rayon::prelude::*;

use super::{
    DbfHeader, DbfRecords, RowContext, TableText, copy_laid_out, cut_layout, cut_to, has_wide_text,
    names_read_as_gb18030, open_parsed_table, parse_header, read_dbf_deferred,
    records_read_as_gb18030, report_extras, scan_names, scan_records, text_ends,
};
use crate::io::IoError;
use crate::model::{EncodingInfo, Problem};

/// Bytes of records read from the file at a time.
const PIECE_BYTES: usize = 4 << 20;

/// [`read_dbf_deferred`] of the `.dbf` open as `file` (`len` bytes long, already
/// checked against the size limit), read a piece at a time when it has wide text
/// fields. `path` names the `.dbf` in problems and errors. The fields, encoding,
/// problems and every value are those [`read_dbf_deferred`] gives for the file's
/// bytes; a file that cannot be read through (e.g. cut short while being read)
/// is an error.
pub fn read_dbf_deferred_file(
    path: &Path,
    file: File,
    len: u64,
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
) -> Result<(DbfRecords, EncodingInfo), IoError> {
    read_in_pieces(path, file, len, cpg, user_encoding, problems, PIECE_BYTES)
}

/// A run of records held with its text fields cut to its own longest values.
struct Piece {
    /// Position of its first record.
    first: usize,
    /// Its layout ([`cut_to`]).
    header: DbfHeader,
    bytes: Vec<u8>,
}

fn read_in_pieces(
    path: &Path,
    mut file: File,
    len: u64,
    cpg: Option<&str>,
    user_encoding: Option<&'static Encoding>,
    problems: &mut Vec<Problem>,
    piece_bytes: usize,
) -> Result<(DbfRecords, EncodingInfo), IoError> {
    let io = |e| IoError::io(path, e);
    let len = usize::try_from(len).map_err(|_| io(std::io::ErrorKind::FileTooLarge.into()))?;
    // The fixed 32 bytes, then the field descriptors up to the header's length.
    let mut head = vec![0u8; len.min(32)];
    file.read_exact(&mut head).map_err(io)?;
    if head.len() == 32 {
        let header_len = usize::from(u16::from_le_bytes([head[8], head[9]]));
        head.resize(header_len.clamp(32, len), 0);
        file.read_exact(&mut head[32..]).map_err(io)?;
    }
    let header = parse_header(path, &head)?;
    let n = header.available_records(len);
    let whole = |mut file: File, problems: &mut Vec<Problem>| {
        let mut bytes = Vec::with_capacity(len);
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.read_to_end(&mut bytes).map_err(io)?;
        read_dbf_deferred(path, bytes, cpg, user_encoding, problems)
    };
    if !has_wide_text(&header) {
        return whole(file, problems);
    }

    // Each piece read, cut and held; the longest value of each text field in the
    // file, and the text scan for the encoding, found as they go by. (Reading the
    // next piece while one is cut saved about 2% on one 300 MB ledger alone, and
    // nothing on two ledgers read side by side: not worth the machinery.)
    file.seek(SeekFrom::Start(header.header_len as u64))
        .map_err(io)?;
    let per_piece = (piece_bytes / header.record_len).max(1);
    let mut buf = vec![0u8; per_piece.min(n) * header.record_len];
    let mut ends = vec![0; header.fields.len()];
    let mut scan = scan_names(&header);
    let mut pieces = Vec::new();
    let mut first = 0;
    while first < n {
        let count = per_piece.min(n - first);
        let records = &mut buf[..count * header.record_len];
        file.read_exact(records).map_err(io)?;
        let own = text_ends(&header, records, &vec![0; header.fields.len()]);
        // Pieces are worth their copies when the first piece's padding is a
        // quarter of its bytes, as a table read whole is cut when its padding is.
        if first == 0 && cut_layout(&header, &own).is_none() {
            return whole(file, problems);
        }
        let cut = cut_to(&header, &own);
        let mut bytes = vec![0u8; count * cut.record_len];
        copy_laid_out(&header, &cut, records, &mut bytes);
        scan_records(&cut, &bytes, &mut scan);
        for (end, own) in ends.iter_mut().zip(&own) {
            *end = (*end).max(*own);
        }
        pieces.push(Piece {
            first,
            header: cut,
            bytes,
        });
        first += count;
    }
    drop(buf);

    // The table opened as `open_table` opens it, the cut text standing for the
    // file's (the same values).
    let text = TableText {
        scan: &mut || scan,
        gb_clean: &mut || {
            names_read_as_gb18030(&header)
                && (pieces.iter()).all(|p| records_read_as_gb18030(&p.header, &p.bytes))
        },
    };
    let opened = open_parsed_table(path, &header, &head, n, text, cpg, user_encoding, problems)?;

    // Every record checked, and laid out as the others.
    let laid_out = cut_to(&header, &ends);
    let mut out = vec![0u8; n * laid_out.record_len];
    let mut extras = Vec::new();
    for piece in pieces {
        let ctx = RowContext {
            path,
            header: &piece.header,
            fields: &opened.fields,
            enc: opened.encoding.encoding,
        };
        let quick = ctx.quick_checks();
        let checked = (piece.bytes.par_chunks_exact(piece.header.record_len))
            .enumerate()
            .filter_map(|(i, record)| {
                let r = piece.first + i;
                Some((r, ctx.check_row(&quick, r as u64, record)?))
            });
        extras.par_extend(checked);
        let count = piece.bytes.len() / piece.header.record_len;
        let at = piece.first * laid_out.record_len;
        let to = &mut out[at..at + count * laid_out.record_len];
        copy_laid_out(&piece.header, &laid_out, &piece.bytes, to);
    }
    report_extras(path, &opened, extras, problems);
    let encoding = opened.encoding.clone();
    let mut table = opened;
    table.header = laid_out;
    Ok((
        DbfRecords {
            path: path.to_path_buf(),
            bytes: out,
            table,
        },
        encoding,
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// [`read_in_pieces`] of `bytes` written to a file, `per_piece` records at a
    /// time (the whole of `bytes` if they have no header), problems naming
    /// `t.dbf`.
    pub fn read_bytes_in_pieces(
        bytes: &[u8],
        cpg: Option<&str>,
        per_piece: usize,
        problems: &mut Vec<Problem>,
    ) -> Result<(DbfRecords, EncodingInfo), IoError> {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("t.dbf");
        std::fs::write(&at, bytes).unwrap();
        let path = Path::new("t.dbf");
        let piece_bytes = match parse_header(path, bytes) {
            Ok(h) => per_piece * h.record_len,
            Err(_) => bytes.len(),
        };
        let file = File::open(&at).unwrap();
        let len = bytes.len() as u64;
        read_in_pieces(path, file, len, cpg, None, problems, piece_bytes)
    }
}
