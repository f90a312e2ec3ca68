//! A `.dbf` read from its file a piece at a time ([`DbfFile`]), for values on
//! demand ([`DbfRecords`]) or decoded whole (a [`DbfTable`], decoded from the cut
//! records), when it has wide text fields: ledgers exported from ArcGIS or Excel pad
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
    DbfHeader, DbfRecords, DbfTable, RowContext, TableText, copy_laid_out, cut_layout, cut_to,
    has_wide_text, names_read_as_gb18030, open_parsed_table, parse_header, read_dbf,
    read_dbf_deferred, records_read_as_gb18030, report_extras, scan_names, scan_records, text_ends,
};
use crate::io::IoError;
use crate::model::{EncodingInfo, Problem};

/// Bytes of records read from the file at a time.
const PIECE_BYTES: usize = 4 << 20;

/// A `.dbf` open for reading: `file` is `len` bytes long (already checked against
/// the size limit); `path` names it in problems and errors; `cpg` and
/// `user_encoding` are as [`read_dbf`] takes them. Either read reads a file with
/// wide text fields a piece at a time, so it is never held whole, and gives what
/// the same read of the file's bytes gives; a file that cannot be read through
/// (e.g. cut short while being read) is an error.
pub struct DbfFile<'a> {
    pub path: &'a Path,
    pub file: File,
    pub len: u64,
    pub cpg: Option<&'a str>,
    pub user_encoding: Option<&'static Encoding>,
}

impl DbfFile<'_> {
    /// [`read_dbf_deferred`] of the file.
    pub fn read_deferred(
        self,
        problems: &mut Vec<Problem>,
    ) -> Result<(DbfRecords, EncodingInfo), IoError> {
        self.read_deferred_in(PIECE_BYTES, problems)
    }

    /// [`read_dbf`] of the file: a file read in pieces has its values decoded
    /// from the cut records.
    pub fn read(self, problems: &mut Vec<Problem>) -> Result<DbfTable, IoError> {
        self.read_in(PIECE_BYTES, problems)
    }

    fn read_deferred_in(
        self,
        piece_bytes: usize,
        problems: &mut Vec<Problem>,
    ) -> Result<(DbfRecords, EncodingInfo), IoError> {
        let (path, cpg, user_encoding) = (self.path, self.cpg, self.user_encoding);
        match self.take(piece_bytes, problems)? {
            Taken::Whole(bytes) => read_dbf_deferred(path, bytes, cpg, user_encoding, problems),
            Taken::Pieces(records, encoding) => Ok((records, encoding)),
        }
    }

    fn read_in(self, piece_bytes: usize, problems: &mut Vec<Problem>) -> Result<DbfTable, IoError> {
        let (path, cpg, user_encoding) = (self.path, self.cpg, self.user_encoding);
        match self.take(piece_bytes, problems)? {
            Taken::Whole(bytes) => read_dbf(path, &bytes, cpg, user_encoding, problems),
            Taken::Pieces(records, encoding) => Ok(DbfTable {
                fields: records.fields().to_vec(),
                rows: (0..records.len())
                    .into_par_iter()
                    .map(|i| records.row(i))
                    .collect(),
                encoding,
            }),
        }
    }

    /// Reads the file: whole when its text fields are narrow or its first piece is
    /// little padding, else a piece at a time.
    fn take(self, piece_bytes: usize, problems: &mut Vec<Problem>) -> Result<Taken, IoError> {
        let DbfFile {
            path,
            mut file,
            len,
            cpg,
            user_encoding,
        } = self;
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
        let whole = |mut file: File| {
            let mut bytes = Vec::with_capacity(len);
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            file.read_to_end(&mut bytes).map_err(io)?;
            Ok(Taken::Whole(bytes))
        };
        if !has_wide_text(&header) {
            return whole(file);
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
            let own = text_ends(&header, records);
            // Pieces are worth their copies when the first piece's padding is a
            // quarter of its bytes, as a table read whole is cut when its padding is.
            if first == 0 && cut_layout(&header, &own).is_none() {
                return whole(file);
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
        let opened =
            open_parsed_table(path, &header, &head, n, text, cpg, user_encoding, problems)?;

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
        let records = DbfRecords {
            path: path.to_path_buf(),
            bytes: out,
            table,
        };
        Ok(Taken::Pieces(records, encoding))
    }
}

/// What [`DbfFile::take`] read.
enum Taken {
    /// The file's bytes, for a file read whole (nothing reported yet).
    Whole(Vec<u8>),
    /// The records held cut, with the encoding (every problem reported).
    Pieces(DbfRecords, EncodingInfo),
}

/// A run of records held with its text fields cut to its own longest values.
struct Piece {
    /// Position of its first record.
    first: usize,
    /// Its layout ([`cut_to`]).
    header: DbfHeader,
    bytes: Vec<u8>,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// [`DbfFile::read_deferred`] of `bytes` written to a file, `per_piece`
    /// records at a time (the whole of `bytes` if they have no header), problems
    /// naming `t.dbf`.
    pub fn read_bytes_in_pieces(
        bytes: &[u8],
        cpg: Option<&str>,
        per_piece: usize,
        problems: &mut Vec<Problem>,
    ) -> Result<(DbfRecords, EncodingInfo), IoError> {
        let dir = tempfile::tempdir().unwrap();
        let (file, piece_bytes) = open(dir.path(), bytes, cpg, per_piece);
        file.read_deferred_in(piece_bytes, problems)
    }

    /// [`DbfFile::read`] of `bytes` as [`read_bytes_in_pieces`] reads them.
    pub fn decode_bytes_in_pieces(
        bytes: &[u8],
        cpg: Option<&str>,
        per_piece: usize,
        problems: &mut Vec<Problem>,
    ) -> Result<DbfTable, IoError> {
        let dir = tempfile::tempdir().unwrap();
        let (file, piece_bytes) = open(dir.path(), bytes, cpg, per_piece);
        file.read_in(piece_bytes, problems)
    }

    /// `bytes` written into `dir` and opened, with the bytes of `per_piece` records.
    fn open<'a>(
        dir: &Path,
        bytes: &[u8],
        cpg: Option<&'a str>,
        per_piece: usize,
    ) -> (DbfFile<'a>, usize) {
        let at = dir.join("t.dbf");
        std::fs::write(&at, bytes).unwrap();
        let path = Path::new("t.dbf");
        let piece_bytes = match parse_header(path, bytes) {
            Ok(h) => per_piece * h.record_len,
            Err(_) => bytes.len(),
        };
        let file = DbfFile {
            path,
            file: File::open(&at).unwrap(),
            len: bytes.len() as u64,
            cpg,
            user_encoding: None,
        };
        (file, piece_bytes)
    }
}
