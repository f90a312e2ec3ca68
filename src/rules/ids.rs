//! Stable record keys and finding ids.
//!
//! Review decisions are stored against a finding id, so the id must come out the same
//! when the same problem is found again in refreshed data, where records may be
//! reordered, added or removed. The id is therefore built from what a record *is*
//! rather than where it sits in the file:
//!
//! 1. a site's 统一社会信用代码 (plus its 锅炉编号/排污口编码 when mapped: one unit may
//!    have several boilers);
//! 2. else its name plus place (county, else division code, else city) plus number;
//! 3. for a zone, its 水源地编码, else its name, plus level and 水域/陆域 part;
//! 4. else the record number (`fid`), which survives only an unchanged file.
//!
//! Records of one layer that end up with the same key are told apart by address,
//! capacity and fuel, and if still equal by their order among themselves (so only
//! reordering *those* records can swap their ids). Content keys are scoped by the
//! layer's role, record-number keys by the layer name (see [`RecordKey::id_scope`]),
//! so a renamed file keeps its ids when its records have content keys.
//!
//! The hash is FNV-1a 64 over a versioned, separator-delimited text: fixed by this
//! code, the same on every platform and Rust version (unlike `DefaultHasher`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use rayon::prelude::*;

use super::eval::{CanonicalValues, LayerValues, ReadMemo, StoredText};
use super::roles::{CanonicalField, LayerRole};
use super::values::{ZoneLevel, compact, fold_char, is_caseless_ideograph};
use crate::model::Fid;

/// What a record key is built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyBasis {
    /// 统一社会信用代码 (+ site number).
    CreditCode,
    /// Name + county/code/city (+ site number).
    NameAndPlace,
    /// 水源地编码 or zone name, + level and 水域/陆域.
    ZoneIdentity,
    /// The record number: only stable for an unchanged file.
    RecordNumber,
}

/// A record's identity for finding ids.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    /// The key text, unique within its layer after [`layer_keys`].
    pub key: String,
    /// What the key is built from.
    pub basis: KeyBasis,
}

impl RecordKey {
    /// What to pass as the layer part of [`finding_id`]: the role code for content
    /// keys (they identify the record in any file of that role), the layer name for
    /// record-number keys (a number means nothing outside its file).
    pub fn id_scope(&self, layer_name: &str, role: LayerRole) -> String {
        match self.basis {
            KeyBasis::RecordNumber => layer_name.to_string(),
            _ => format!("role:{}", role.code()),
        }
    }
}

fn field_key(values: &CanonicalValues, field: CanonicalField) -> Option<String> {
    values
        .raw(field)
        .map(|t| compact(t).to_uppercase())
        .filter(|t| !t.is_empty())
}

/// Where a record key's fields come from: a record's [`CanonicalValues`], one
/// record of a layer read on demand ([`LayerValues`]), whose key can then be hashed
/// without building its values or its texts, or such a record's stored GBK bytes
/// ([`StoredGbk`]).
trait KeyFields {
    /// Why a field cannot be given here (`Infallible` for text sources).
    type Miss;
    /// Appends the key form ([`write_field_key`]) of a text field to `out`, as UTF-8
    /// (or GBK, for [`StoredGbk`]); whether it appended anything (a field that is
    /// absent, or has no key form, is not part of the key).
    fn push_key(&self, field: CanonicalField, out: &mut Vec<u8>) -> Result<bool, Self::Miss>;
    /// The zone level (only asked for records keyed by zone identity).
    fn level(&self) -> Option<ZoneLevel>;
}

impl KeyFields for CanonicalValues {
    type Miss = std::convert::Infallible;
    fn push_key(&self, field: CanonicalField, out: &mut Vec<u8>) -> Result<bool, Self::Miss> {
        let start = out.len();
        if let Some(t) = self.raw(field) {
            write_field_key(out, t);
        }
        Ok(out.len() > start)
    }
    fn level(&self) -> Option<ZoneLevel> {
        CanonicalValues::level(self)
    }
}

/// One record of a layer read on demand.
struct LayerRecord<'r, 'a> {
    layer: &'r LayerValues<'a>,
    index: usize,
}

impl KeyFields for LayerRecord<'_, '_> {
    type Miss = std::convert::Infallible;
    fn push_key(&self, field: CanonicalField, out: &mut Vec<u8>) -> Result<bool, Self::Miss> {
        let start = out.len();
        self.layer
            .text_field_chars(self.index, field, &mut |c| key_char(out, c));
        Ok(out.len() > start)
    }
    fn level(&self) -> Option<ZoneLevel> {
        record_level(self.layer, self.index)
    }
}

/// One record of a GBK layer read on demand, its key fields taken as stored: a
/// field stored as ASCII and plain ideographs ([`push_stored_key`]) gives the GBK
/// bytes of its key form; any other field cannot be given.
struct StoredGbk<'r, 'a> {
    layer: &'r LayerValues<'a>,
    index: usize,
}

impl KeyFields for StoredGbk<'_, '_> {
    type Miss = ();
    fn push_key(&self, field: CanonicalField, out: &mut Vec<u8>) -> Result<bool, ()> {
        match self.layer.stored_text_field(self.index, field) {
            StoredText::Absent => Ok(false),
            StoredText::Bytes(bytes) => {
                let start = out.len();
                push_stored_key(bytes, out).ok_or(())?;
                Ok(out.len() > start)
            }
            StoredText::Other => Err(()),
        }
    }
    fn level(&self) -> Option<ZoneLevel> {
        record_level(self.layer, self.index)
    }
}

/// The zone level of one record of a layer read on demand.
fn record_level(layer: &LayerValues, index: usize) -> Option<ZoneLevel> {
    layer.values(index, &mut ReadMemo::default()).level()
}

/// Writes the key form of a field's text: [`compact`] and upper case, as
/// `field_key` builds it.
fn write_field_key(out: &mut Vec<u8>, text: &str) {
    text.chars().for_each(|c| key_char(out, c));
}

/// The key form of one character, as UTF-8 (none for whitespace): folding works
/// character by character.
#[inline]
fn key_char(out: &mut Vec<u8>, c: char) {
    let mut utf8 = [0u8; 4];
    let mut push = |c: char| out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    fold_char(c, false, |c| {
        if c.is_ascii() {
            push(c.to_ascii_uppercase());
        } else if is_caseless_ideograph(c) {
            push(c);
        } else {
            c.to_uppercase().for_each(&mut push);
        }
    });
}

/// Where a key's bytes go: its text, or its hash.
trait KeyOut {
    fn put(&mut self, bytes: &[u8]);
}

impl KeyOut for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Writes a record's key (see the module docs) and returns what it is built from;
/// the first field `fields` cannot give ends it.
fn write_key<F: KeyFields>(
    fields: &F,
    fid: Fid,
    out: &mut impl KeyOut,
) -> Result<KeyBasis, F::Miss> {
    use CanonicalField as C;
    // The key forms of the fields, side by side in one buffer.
    let buf: &mut Vec<u8> = &mut Vec::with_capacity(64);
    let part = |field: C, buf: &mut Vec<u8>| {
        let start = buf.len();
        Ok(fields.push_key(field, buf)?.then_some(start..buf.len()))
    };
    let number = part(C::SiteCode, buf)?;
    let write_number = |out: &mut dyn KeyOut, buf: &[u8]| {
        if let Some(n) = &number {
            out.put(b"#");
            out.put(&buf[n.clone()]);
        }
    };
    if let Some(cc) = part(C::CreditCode, buf)? {
        out.put(b"cc:");
        out.put(&buf[cc]);
        write_number(out, buf);
        return Ok(KeyBasis::CreditCode);
    }
    if let Some(name) = part(C::SiteName, buf)? {
        out.put(b"nm:");
        out.put(&buf[name]);
        out.put(b"@");
        for field in [C::County, C::CountyCode, C::City] {
            if let Some(place) = part(field, buf)? {
                out.put(&buf[place]);
                break;
            }
        }
        write_number(out, buf);
        return Ok(KeyBasis::NameAndPlace);
    }
    let code = part(C::SourceCode, buf)?;
    let zone_id = match &code {
        Some(c) => Some(c.clone()),
        None => match part(C::SourceName, buf)? {
            Some(name) => Some(name),
            None => part(C::ZoneName, buf)?,
        },
    };
    if let Some(zone_id) = zone_id {
        out.put(b"zn:");
        out.put(&buf[zone_id]);
        out.put(b"|");
        // A code names the source; the zone name still tells polygons apart.
        if code.is_some()
            && let Some(name) = part(C::ZoneName, buf)?
        {
            out.put(&buf[name]);
        }
        out.put(b"|");
        out.put(fields.level().map(|l| l.code()).unwrap_or("").as_bytes());
        out.put(b"|");
        if let Some(p) = part(C::ZonePart, buf)? {
            out.put(&buf[p]);
        }
        return Ok(KeyBasis::ZoneIdentity);
    }
    out.put(b"fid:");
    out.put(itoa::Buffer::new().format(fid).as_bytes());
    Ok(KeyBasis::RecordNumber)
}

/// The key text written from text sources (always UTF-8).
fn key_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// FNV-1a 64 of the bytes (or text) written to it.
#[derive(Clone, Copy, Debug)]
struct FnvWriter(u64);

impl FnvWriter {
    fn new() -> FnvWriter {
        FnvWriter(0xcbf2_9ce4_8422_2325)
    }
}

impl KeyOut for FnvWriter {
    fn put(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Write for FnvWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }
}

/// The key of one record, before duplicates in its layer are told apart.
pub fn record_key(values: &CanonicalValues, fid: Fid) -> RecordKey {
    let mut key = Vec::new();
    let Ok(basis) = write_key(values, fid, &mut key);
    RecordKey {
        key: key_text(key),
        basis,
    }
}

/// Keys for all records of one layer, unique within it. Records are given as
/// `(fid, values)`; the result is in the same order.
pub fn layer_keys<'a>(
    records: impl IntoIterator<Item = (Fid, &'a CanonicalValues)>,
) -> Vec<RecordKey> {
    let records: Vec<(Fid, &CanonicalValues)> = records.into_iter().collect();
    let mut keys: Vec<RecordKey> = records
        .par_iter()
        .map(|(fid, v)| record_key(v, *fid))
        .collect();
    // First tie-break: more attributes.
    let dupes = duplicated(&keys);
    for (i, (_, v)) in records.iter().enumerate() {
        if dupes[i] {
            keys[i].key = format!("{}+{}", keys[i].key, tie_break_extra(v));
        }
    }
    // Second tie-break: rank among the equal ones, in fid order.
    let dupes = duplicated(&keys);
    let mut order: Vec<usize> = (0..records.len()).filter(|&i| dupes[i]).collect();
    order.sort_by_key(|&i| records[i].0);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for i in order {
        let n = seen.entry(keys[i].key.clone()).or_insert(0);
        *n += 1;
        keys[i].key = format!("{}~{n}", keys[i].key);
    }
    keys
}

/// For each key, whether another key of the slice is the same.
fn duplicated(keys: &[RecordKey]) -> Vec<bool> {
    let mut counts: HashMap<&str, u32> = HashMap::with_capacity(keys.len());
    for k in keys {
        *counts.entry(k.key.as_str()).or_insert(0) += 1;
    }
    keys.iter()
        .map(|k| counts.get(k.key.as_str()).is_some_and(|n| *n > 1))
        .collect()
}

/// The record keys of a layer read on demand ([`LayerValues`]), each equal to what
/// [`layer_keys`] gives that record, with key text built only for the records asked
/// for. Every record's key is hashed (no text kept) to find those whose keys may be
/// equal; only those are built and told apart up front, exactly as `layer_keys`
/// does (equal hashes are compared as text, so a hash collision changes nothing).
pub struct LayerKeys {
    /// Keys changed by the tie-breaks, by record position.
    told_apart: HashMap<usize, RecordKey>,
    /// Where a GBK layer's key fields are stored, for building a record's key from
    /// its stored bytes.
    plan: Option<StoredKeyPlan>,
}

impl LayerKeys {
    /// Hashes the keys of every record of `layer` and tells equal ones apart.
    pub fn new(layer: &LayerValues) -> LayerKeys {
        let base = |i: usize| record_key_of(layer, i, None);
        let hasher = KeyHasher::for_layer(layer);
        let by_record: Vec<u64> = (0..layer.len())
            .into_par_iter()
            .map_init(Vec::new, |buf, i| hasher.of_record(layer, i, buf))
            .collect();
        let seen = HashBits::new(by_record.len());
        let same_hash = equal_hashes(&by_record, &seen);
        let mut told_apart = HashMap::new();
        if same_hash.is_empty() {
            return LayerKeys {
                told_apart,
                plan: hasher.plan,
            };
        }
        // First tie-break, on the records whose base keys are equal.
        let mut base_keys: HashMap<usize, RecordKey> =
            same_hash.iter().map(|&i| (i, base(i))).collect();
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for k in base_keys.values() {
            *counts.entry(k.key.as_str()).or_insert(0) += 1;
        }
        let mut first: Vec<usize> = same_hash
            .iter()
            .copied()
            .filter(|i| {
                counts
                    .get(base_keys[i].key.as_str())
                    .is_some_and(|c| *c > 1)
            })
            .collect();
        first.sort_unstable();
        let mut memo = ReadMemo::default();
        for &i in &first {
            let values = layer.values(i, &mut memo);
            let mut key = base_keys[&i].clone();
            key.key = format!("{}+{}", key.key, tie_break_extra(&values));
            told_apart.insert(i, key);
        }
        // Second tie-break: extended keys equal to each other or to another record's
        // base key (found by hash, confirmed as text).
        let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in &first {
            let key = &told_apart[&i].key;
            by_key.entry(key.clone()).or_default().push(i);
            let h = hasher.of_text(key);
            if !seen.contains(h) {
                continue;
            }
            for j in (0..by_record.len()).filter(|&j| by_record[j] == h) {
                if told_apart.contains_key(&j) {
                    continue;
                }
                let other = base_keys.entry(j).or_insert_with(|| base(j));
                if other.key == *key {
                    by_key.entry(key.clone()).or_default().push(j);
                }
            }
        }
        let mut second: Vec<(usize, String)> = by_key
            .into_iter()
            .map(|(key, mut members)| {
                members.sort_unstable();
                members.dedup();
                (key, members)
            })
            .filter(|(_, members)| members.len() > 1)
            .flat_map(|(key, members)| members.into_iter().map(move |i| (i, key.clone())))
            .collect();
        second.sort_by_key(|(i, _)| (layer.fid(*i), *i));
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, key) in second {
            let rank = seen.entry(key.clone()).or_insert(0);
            *rank += 1;
            let basis = match told_apart.get(&i) {
                Some(k) => k.basis,
                None => base_keys
                    .get(&i)
                    .map_or(KeyBasis::RecordNumber, |k| k.basis),
            };
            told_apart.insert(
                i,
                RecordKey {
                    key: format!("{key}~{rank}"),
                    basis,
                },
            );
        }
        LayerKeys {
            told_apart,
            plan: hasher.plan,
        }
    }

    /// The key of the record at `index` of `layer` (the layer given to
    /// [`LayerKeys::new`]).
    pub fn key(&self, layer: &LayerValues, index: usize) -> RecordKey {
        if let Some(k) = self.told_apart.get(&index) {
            return k.clone();
        }
        record_key_of(layer, index, self.plan.as_ref())
    }
}

/// The positions of the hashes equal to another, in order, found through a bit set
/// (`seen`, empty, is filled with them all): only the hashes whose bit another had
/// set are compared in full.
fn equal_hashes(hashes: &[u64], seen: &HashBits) -> Vec<usize> {
    let clashes: Vec<u64> = hashes
        .par_iter()
        .filter(|&&h| seen.insert(h))
        .copied()
        .collect();
    if clashes.is_empty() {
        return Vec::new();
    }
    let suspect = HashBits::new(hashes.len());
    clashes.par_iter().for_each(|&h| {
        suspect.insert(h);
    });
    let mut suspects: Vec<(u64, usize)> = (0..hashes.len())
        .into_par_iter()
        .filter(|&i| suspect.contains(hashes[i]))
        .map(|i| (hashes[i], i))
        .collect();
    suspects.par_sort_unstable();
    let mut same: Vec<usize> = suspects
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
        .flatten()
        .map(|&(_, i)| i)
        .collect();
    same.sort_unstable();
    same
}

/// A set of 64-bit hashes as bits (about 32 per hash it is sized for), each hash
/// by its top bits: a hash not in it was never inserted; one in it may have been
/// (or may share its bit with another). Inserted into from several threads.
struct HashBits {
    words: Vec<std::sync::atomic::AtomicU64>,
    /// `64 - log2(bits)`: a hash's bit is its top `log2(bits)` bits.
    shift: u32,
}

impl HashBits {
    fn new(hashes: usize) -> HashBits {
        let bits = (hashes.max(64) * 32).next_power_of_two();
        HashBits {
            words: (0..bits / 64)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
            shift: 64 - bits.trailing_zeros(),
        }
    }

    fn bit(&self, h: u64) -> (usize, u64) {
        let bit = (h >> self.shift) as usize;
        (bit / 64, 1 << (bit % 64))
    }

    /// Sets `h`'s bit; whether it was set already.
    fn insert(&self, h: u64) -> bool {
        let (word, mask) = self.bit(h);
        self.words[word].fetch_or(mask, std::sync::atomic::Ordering::Relaxed) & mask != 0
    }

    /// Whether `h`'s bit is set.
    fn contains(&self, h: u64) -> bool {
        let (word, mask) = self.bit(h);
        self.words[word].load(std::sync::atomic::Ordering::Relaxed) & mask != 0
    }
}

/// How [`LayerKeys`] hashes a record key: a fast hash (foldhash, fixed seed) of the
/// key text in GBK for GBK and GB18030 layers read on demand, else in UTF-8.
/// Equal texts give equal hashes either way; in GBK, a key whose fields are stored
/// as ideographs and ASCII (nearly every ledger row) is hashed straight from the
/// stored bytes, with no text decoded, folded or encoded. The hashes only find
/// candidates within one run (equal ones are compared as text), so they are not
/// the stable FNV of [`finding_id`].
struct KeyHasher {
    gbk: bool,
    /// For a GBK layer whose key fields each come from one column (or none).
    plan: Option<StoredKeyPlan>,
}

impl KeyHasher {
    fn for_layer(layer: &LayerValues) -> KeyHasher {
        // In GBK only when keys can be hashed from stored GBK bytes: a layer held
        // decoded would have every key encoded back to GBK just to be hashed.
        let gbk = layer_is_gbk(layer) && layer.is_deferred();
        KeyHasher {
            gbk,
            plan: gbk.then(|| StoredKeyPlan::for_layer(layer)).flatten(),
        }
    }

    /// The hash of a key's bytes.
    fn of_bytes(bytes: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        foldhash::fast::FixedState::with_seed(0x716c_6b65_7973).hash_one(bytes)
    }

    /// The hash of a key text.
    fn of_text(&self, key: &str) -> u64 {
        if self.gbk && !key.is_ascii() {
            let (bytes, _, _) = encoding_rs::GBK.encode(key);
            KeyHasher::of_bytes(&bytes)
        } else {
            KeyHasher::of_bytes(key.as_bytes())
        }
    }

    /// The hash of the base key of record `index`: [`KeyHasher::of_text`] of
    /// [`record_key_of`]'s text. `buf` is scratch space for the key's bytes.
    fn of_record(&self, layer: &LayerValues, index: usize, buf: &mut Vec<u8>) -> u64 {
        buf.clear();
        if self.gbk {
            if write_stored(layer, index, self.plan.as_ref(), buf).is_some() {
                return KeyHasher::of_bytes(buf);
            }
            return self.of_text(&text_record_key(layer, index).key);
        }
        let Ok(_) = write_key(&LayerRecord { layer, index }, layer.fid(index), buf);
        KeyHasher::of_bytes(buf)
    }
}

/// The columns a GBK layer's credit-code and name-and-place keys are read from,
/// when each key field is absent or one deferred text column: what
/// [`write_stored_key`] writes, without asking for each record's fields by name.
#[derive(Debug)]
struct StoredKeyPlan {
    site_code: Option<usize>,
    credit_code: Option<usize>,
    name: Option<usize>,
    /// The place columns in the order [`write_key`] tries them.
    places: Vec<usize>,
}

impl StoredKeyPlan {
    fn for_layer(layer: &LayerValues) -> Option<StoredKeyPlan> {
        use CanonicalField as C;
        let source = |field| layer.stored_text_source(field);
        let places = [C::County, C::CountyCode, C::City]
            .into_iter()
            .map(source)
            .collect::<Option<Vec<_>>>()?;
        Some(StoredKeyPlan {
            site_code: source(C::SiteCode)?,
            credit_code: source(C::CreditCode)?,
            name: source(C::SiteName)?,
            places: places.into_iter().flatten().collect(),
        })
    }

    /// [`write_stored_key`] of record `index` (`out` empty), with the key's basis:
    /// `None` where it gives `None`, with `out` partly written.
    fn write(&self, layer: &LayerValues, index: usize, out: &mut Vec<u8>) -> Option<KeyBasis> {
        // Whether the column's key form is not empty; `None` if not stored plainly.
        let push = |col: Option<usize>, out: &mut Vec<u8>| -> Option<bool> {
            let Some(bytes) = col.and_then(|c| layer.stored_text_in(index, c)) else {
                return Some(false);
            };
            let start = out.len();
            push_stored_key(bytes, out)?;
            Some(out.len() > start)
        };
        out.extend_from_slice(b"cc:");
        let mut basis = KeyBasis::CreditCode;
        if !push(self.credit_code, out)? {
            basis = KeyBasis::NameAndPlace;
            out.clear();
            out.extend_from_slice(b"nm:");
            if !push(self.name, out)? {
                return None;
            }
            out.push(b'@');
            for &place in &self.places {
                if push(Some(place), out)? {
                    break;
                }
            }
        }
        let number = out.len();
        out.push(b'#');
        if !push(self.site_code, out)? {
            out.truncate(number);
        }
        Some(basis)
    }
}

/// Writes a GBK record's credit-code or name-and-place key from the fields' stored
/// bytes ([`StoredGbk`]): the GBK bytes of its text. `None` (with `out` partly
/// written) when a field is not stored plainly or the record has neither key.
fn write_stored_key(layer: &LayerValues, index: usize, out: &mut impl KeyOut) -> Option<KeyBasis> {
    match write_key(&StoredGbk { layer, index }, layer.fid(index), out) {
        Ok(basis @ (KeyBasis::CreditCode | KeyBasis::NameAndPlace)) => Some(basis),
        _ => None,
    }
}

/// Appends the GBK bytes of the key form ([`write_field_key`]) of stored GBK text
/// made only of ASCII and two-byte ideographs whose key form is themselves (their
/// bytes as they are, ASCII upper-cased, whitespace left out); `None`, with `out`
/// partly written, for anything else.
fn push_stored_key(bytes: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let plain = plain_gbk_ideographs();
    // Checked first; nearly every value is then copied as it is.
    let mut as_is = true;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c < 0x80 {
            as_is &= !(c.is_ascii_lowercase() || char::from(c).is_whitespace());
            i += 1;
            continue;
        }
        let t = *bytes.get(i + 1)?;
        let k = usize::from(c) << 8 | usize::from(t);
        if plain[k / 64] & (1 << (k % 64)) == 0 {
            return None;
        }
        i += 2;
    }
    if as_is {
        out.extend_from_slice(bytes);
        return Some(());
    }
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c < 0x80 {
            if !char::from(c).is_whitespace() {
                out.push(c.to_ascii_uppercase());
            }
            i += 1;
        } else {
            out.extend_from_slice(&bytes[i..i + 2]);
            i += 2;
        }
    }
    Some(())
}

/// Per two bytes (`lead << 8 | trail`), as bits: whether they are a GBK pair that
/// decodes to one CJK ideograph that encodes back to the same pair. Such a
/// character's key form is itself, so its key bytes are its stored bytes. Indexed
/// by the two bytes as they are, so that a test needs no range checks.
fn plain_gbk_ideographs() -> &'static [u64] {
    static TABLE: std::sync::OnceLock<Box<[u64]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        // The encoder searches its tables character by character: asked only about
        // characters that more than one pair decodes to. A character only one pair
        // decodes to encodes back to that pair (tested against the encoder).
        let decoded: Vec<Option<char>> = gbk_pairs().map(decode_pair).collect();
        let mut pairs_of: HashMap<char, u32> = HashMap::new();
        for c in decoded.iter().flatten() {
            *pairs_of.entry(*c).or_insert(0) += 1;
        }
        let mut bits = vec![0u64; (1 << 16) / 64];
        for (pair, c) in gbk_pairs().zip(&decoded) {
            let plain = match c {
                Some(c) if is_caseless_ideograph(*c) => pairs_of[c] == 1 || encodes_back(*c, pair),
                _ => false,
            };
            let k = usize::from(u16::from_be_bytes(pair));
            bits[k / 64] |= u64::from(plain) << (k % 64);
        }
        bits.into_boxed_slice()
    })
}

/// Every two-byte GBK pair (lead 0x81..=0xFE, trail 0x40..=0xFE), lead by lead.
fn gbk_pairs() -> impl Iterator<Item = [u8; 2]> {
    (0x81u8..=0xFE).flat_map(|lead| (0x40u8..=0xFE).map(move |trail| [lead, trail]))
}

/// The one character a GBK pair decodes to.
fn decode_pair(pair: [u8; 2]) -> Option<char> {
    let text = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&pair)?;
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Whether GBK encodes `c` as `pair`.
fn encodes_back(c: char, pair: [u8; 2]) -> bool {
    let mut utf8 = [0; 4];
    let (back, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut utf8));
    !unmappable && back[..] == pair
}

/// The base key of one record of a layer read on demand: in a GBK layer, built from
/// the fields' stored bytes when it can be ([`stored_record_key`], through the
/// layer's `plan` if it has one), else as text.
fn record_key_of(layer: &LayerValues, index: usize, plan: Option<&StoredKeyPlan>) -> RecordKey {
    if layer_is_gbk(layer)
        && let Some(key) = stored_record_key(layer, index, plan)
    {
        return key;
    }
    text_record_key(layer, index)
}

/// Whether a layer's text is GBK (or GB18030).
fn layer_is_gbk(layer: &LayerValues) -> bool {
    layer
        .encoding()
        .is_some_and(|e| e == encoding_rs::GBK || e == encoding_rs::GB18030)
}

/// For GBK text, a credit-code or name-and-place key built from the fields' stored
/// bytes ([`StoredGbk`]) and decoded once: the GBK bytes of the key text, so the
/// same text. `None` when a field is not stored plainly (see [`push_stored_key`])
/// or the record has neither key (zone and record-number keys are built as text).
fn stored_record_key(
    layer: &LayerValues,
    index: usize,
    plan: Option<&StoredKeyPlan>,
) -> Option<RecordKey> {
    let mut bytes = Vec::with_capacity(64);
    let basis = write_stored(layer, index, plan, &mut bytes)?;
    Some(RecordKey {
        key: crate::io::dbf::decode_plain_gbk(&bytes)?,
        basis,
    })
}

/// [`write_stored_key`], through the layer's plan when it has one: with a plan,
/// asking the fields by name would write the same, so a record the plan cannot key
/// goes straight to its text.
fn write_stored(
    layer: &LayerValues,
    index: usize,
    plan: Option<&StoredKeyPlan>,
    out: &mut Vec<u8>,
) -> Option<KeyBasis> {
    match plan {
        Some(plan) => plan.write(layer, index, out),
        None => write_stored_key(layer, index, out),
    }
}

/// The base key of one record of a layer read on demand, built as text.
fn text_record_key(layer: &LayerValues, index: usize) -> RecordKey {
    let mut key = Vec::new();
    let Ok(basis) = write_key(&LayerRecord { layer, index }, layer.fid(index), &mut key);
    RecordKey {
        key: key_text(key),
        basis,
    }
}

/// What the first tie-break appends to a duplicated key.
fn tie_break_extra(values: &CanonicalValues) -> String {
    [
        CanonicalField::Address,
        CanonicalField::CapacityTph,
        CanonicalField::CapacityMw,
        CanonicalField::Fuel,
    ]
    .into_iter()
    .map(|f| field_key(values, f).unwrap_or_default())
    .collect::<Vec<_>>()
    .join("|")
}

/// FNV-1a, 64 bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = FnvWriter::new();
    h.put(bytes);
    h.0
}

/// The stable id of a finding, like `F-3a9c0d12e4b5f671`: a hash of the rule id, the
/// site's layer scope and key, and the zone's (absent for attribute-only rules).
/// Pass [`RecordKey::id_scope`] as the layer parts to survive renamed files.
pub fn finding_id(
    rule_id: &str,
    site_layer: &str,
    site_key: &str,
    zone_layer: Option<&str>,
    zone_key: Option<&str>,
) -> String {
    id_of(
        rule_id,
        Scope::Text(site_layer),
        site_key,
        zone_layer.map(Scope::Text),
        zone_key,
    )
}

/// The layer part of a finding id, as [`RecordKey::id_scope`] writes it.
enum Scope<'a> {
    Text(&'a str),
    Role(LayerRole),
}

/// [`finding_id`], hashing the parts as they are (no text is built: a check can
/// give hundreds of thousands of findings).
fn id_of(
    rule_id: &str,
    site_scope: Scope,
    site_key: &str,
    zone_scope: Option<Scope>,
    zone_key: Option<&str>,
) -> String {
    id_after(
        id_start(rule_id, &site_scope),
        site_key,
        zone_scope,
        zone_key,
    )
}

/// The hash of a finding id's parts before its site key: the rule and the site
/// layer's scope.
fn id_start(rule_id: &str, site_scope: &Scope) -> FnvWriter {
    let mut h = FnvWriter::new();
    h.put(b"qingling-finding-v1");
    id_part(&mut h, Some(rule_id), None);
    id_part(&mut h, None, Some(site_scope));
    h
}

/// The id from the hash `h` of its parts before the site key ([`id_start`]) and the
/// rest of its parts.
fn id_after(
    mut h: FnvWriter,
    site_key: &str,
    zone_scope: Option<Scope>,
    zone_key: Option<&str>,
) -> String {
    id_part(&mut h, Some(site_key), None);
    match &zone_scope {
        Some(scope) => id_part(&mut h, None, Some(scope)),
        None => id_part(&mut h, None, None),
    }
    id_part(&mut h, zone_key, None);
    let mut id = String::with_capacity(18);
    id.push_str("F-");
    for shift in (0..16).rev() {
        let digit = (h.0 >> (shift * 4)) & 0xF;
        id.push(char::from(b"0123456789abcdef"[digit as usize]));
    }
    id
}

/// Hashes one part of a finding id after its separator: `text` if given, else the
/// scope, else the mark of an absent part.
fn id_part(h: &mut FnvWriter, text: Option<&str>, scope: Option<&Scope>) {
    h.put(b"\x1f");
    match (text, scope) {
        (Some(t), _) => h.put(t.as_bytes()),
        (None, Some(Scope::Text(t))) => h.put(t.as_bytes()),
        (None, Some(Scope::Role(role))) => {
            h.put(b"role:");
            h.put(role.code().as_bytes());
        }
        (None, None) => h.put(b"\x1e"),
    }
}

/// The layer part of a finding id for a record with this key: the layer itself
/// for record-number keys, else its role ([`RecordKey::id_scope`]).
fn key_scope<'a>(layer: &'a str, role: LayerRole, key: &RecordKey) -> Scope<'a> {
    match key.basis {
        KeyBasis::RecordNumber => Scope::Text(layer),
        _ => Scope::Role(role),
    }
}

/// [`finding_id`] from record keys, with the scoping of [`RecordKey::id_scope`].
pub fn finding_id_for(
    rule_id: &str,
    site: (&str, LayerRole, &RecordKey),
    zone: Option<(&str, LayerRole, &RecordKey)>,
) -> String {
    let (site_layer, site_role, site_key) = site;
    FindingIdStart::new(rule_id, site_layer, site_role).finding_id(site_key, zone)
}

/// What the ids of one rule's findings on one site layer share ([`finding_id_for`]),
/// hashed once for all of them.
#[derive(Clone, Copy, Debug)]
pub struct FindingIdStart {
    /// For sites whose key gives the layer's role as the scope.
    by_role: FnvWriter,
    /// For sites keyed by record number, scoped by the layer itself.
    by_layer: FnvWriter,
}

impl FindingIdStart {
    /// The start for `rule_id` on the layer `site_layer` of role `site_role`.
    pub fn new(rule_id: &str, site_layer: &str, site_role: LayerRole) -> FindingIdStart {
        FindingIdStart {
            by_role: id_start(rule_id, &Scope::Role(site_role)),
            by_layer: id_start(rule_id, &Scope::Text(site_layer)),
        }
    }

    /// [`finding_id_for`] of the rule and site layer this was made for.
    pub fn finding_id(
        &self,
        site_key: &RecordKey,
        zone: Option<(&str, LayerRole, &RecordKey)>,
    ) -> String {
        let start = match site_key.basis {
            KeyBasis::RecordNumber => self.by_layer,
            _ => self.by_role,
        };
        id_after(
            start,
            &site_key.key,
            zone.map(|(layer, role, key)| key_scope(layer, role, key)),
            zone.map(|(_, _, key)| key.key.as_str()),
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn equal_hashes_are_found_through_the_bit_set_as_by_sorting() {
        // Hashes from a few thousand values (many equal, more sharing a bit), and
        // hashes all different but for their low bits (every one shares its bit).
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let few: Vec<u64> = (0..20_000)
            .map(|_| next() % 5_000 * 0x0001_0000_0000_0001)
            .collect();
        let low: Vec<u64> = (0..5_000u64).map(|i| 0xABCD_0000_0000_0000 | i).collect();
        let none: Vec<u64> = (0..5_000).map(|_| next()).collect();
        for hashes in [few, low, none] {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for &h in &hashes {
                *counts.entry(h).or_insert(0) += 1;
            }
            let expected: Vec<usize> = (0..hashes.len())
                .filter(|&i| counts[&hashes[i]] > 1)
                .collect();
            let seen = HashBits::new(hashes.len());
            assert_eq!(equal_hashes(&hashes, &seen), expected);
            assert!(hashes.iter().all(|&h| seen.contains(h)));
        }
    }

    #[test]
    fn plain_ideographs_are_those_the_encoder_gives_back() {
        let table = plain_gbk_ideographs();
        let mut plain = 0;
        for k in 0..1usize << 16 {
            let pair = (k as u16).to_be_bytes();
            let gbk = (0x81..=0xFE).contains(&pair[0]) && (0x40..=0xFE).contains(&pair[1]);
            let expected = gbk
                && decode_pair(pair)
                    .is_some_and(|c| is_caseless_ideograph(c) && encodes_back(c, pair));
            let bit = table[k / 64] & (1 << (k % 64)) != 0;
            assert_eq!(bit, expected, "{:02X}{:02X}", pair[0], pair[1]);
            plain += usize::from(expected);
        }
        assert!(plain > 20_000, "{plain}");
    }

    /// The id as first defined: FNV-1a of the parts joined into one text.
    fn finding_id_as_text(parts: [Option<&str>; 5]) -> String {
        let mut text = String::from("qingling-finding-v1");
        for part in parts {
            text.push('\u{1f}');
            match part {
                Some(p) => text.push_str(p),
                None => text.push('\u{1e}'),
            }
        }
        format!("F-{:016x}", fnv1a64(text.as_bytes()))
    }

    #[test]
    fn finding_ids_hash_the_parts_exactly_as_the_joined_text() {
        let keys = [
            RecordKey {
                key: "nm:县医院@小店".into(),
                basis: KeyBasis::NameAndPlace,
            },
            RecordKey {
                key: "fid:7".into(),
                basis: KeyBasis::RecordNumber,
            },
            RecordKey {
                key: String::new(),
                basis: KeyBasis::ZoneIdentity,
            },
        ];
        for site in &keys {
            for zone in [None, Some(&keys[0]), Some(&keys[1]), Some(&keys[2])] {
                let zone = zone.map(|k| ("水源地", LayerRole::WaterZone, k));
                let id = finding_id_for("water-level1", ("锅炉", LayerRole::Boiler, site), zone);
                let site_scope = site.id_scope("锅炉", LayerRole::Boiler);
                let zone_scope = zone.map(|(l, r, k)| k.id_scope(l, r));
                let expected = finding_id_as_text([
                    Some("water-level1"),
                    Some(&site_scope),
                    Some(&site.key),
                    zone_scope.as_deref(),
                    zone.map(|(_, _, k)| k.key.as_str()),
                ]);
                assert_eq!(id, expected);
            }
        }
        assert_eq!(
            finding_id("r", "", "k", None, Some("")),
            finding_id_as_text([Some("r"), Some(""), Some("k"), None, Some("")])
        );
    }
    use crate::model::{
        CrsInfo, CrsSource, Feature, FieldDef, FieldKind, GeometryKind, Layer, SourceFormat, Value,
    };
    use crate::rules::eval::canonical_values_all;
    use crate::rules::roles::FieldMapping;
    use proptest::prelude::*;

    /// A boiler ledger with name, county, fuel, capacity and address columns.
    fn ledger(rows: &[(&str, &str, &str, Option<f64>, &str)]) -> (Layer, FieldMapping) {
        let text = |t: &str| {
            if t.is_empty() {
                Value::Null
            } else {
                Value::Text(t.to_string())
            }
        };
        let names = ["单位名称", "县区", "燃料类型", "额定蒸发量", "地址"];
        let layer = Layer {
            name: "锅炉".into(),
            source: "锅炉.shp".into(),
            format: SourceFormat::Shapefile,
            geometry_kind: GeometryKind::Point,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: None,
            fields: names
                .iter()
                .map(|n| FieldDef {
                    name: n.to_string(),
                    kind: FieldKind::Text,
                })
                .collect(),
            features: rows
                .iter()
                .enumerate()
                .map(|(i, (name, county, fuel, cap, addr))| Feature {
                    // Fids out of record order, so ranks follow fids, not positions.
                    fid: (rows.len() - i) as u64 * 3,
                    geometry: None,
                    attrs: vec![
                        text(name),
                        text(county),
                        text(fuel),
                        cap.map_or(Value::Null, Value::Float),
                        text(addr),
                    ],
                })
                .collect(),
            problems: vec![],
            deferred: None,
        };
        let mut mapping = FieldMapping::default();
        mapping.set_user(CanonicalField::SiteName, "单位名称", None);
        mapping.set_user(CanonicalField::County, "县区", None);
        mapping.set_user(CanonicalField::Fuel, "燃料类型", None);
        mapping.set_user(CanonicalField::CapacityTph, "额定蒸发量", None);
        mapping.set_user(CanonicalField::Address, "地址", None);
        mapping
            .constants
            .insert(CanonicalField::City, "太原市".to_string());
        (layer, mapping)
    }

    /// Keys of every record through [`LayerKeys`] and through [`layer_keys`].
    fn both_ways(layer: &Layer, mapping: &FieldMapping) -> (Vec<RecordKey>, Vec<RecordKey>) {
        let values = canonical_values_all(layer, mapping);
        let reference = layer_keys(layer.features.iter().map(|f| f.fid).zip(values.iter()));
        let reader = LayerValues::new(layer, mapping);
        let keys = LayerKeys::new(&reader);
        let lazy = (0..layer.features.len())
            .map(|i| keys.key(&reader, i))
            .collect();
        (lazy, reference)
    }

    #[test]
    fn keys_built_on_demand_equal_the_whole_layer_keys_in_the_tricky_cases() {
        let (layer, mapping) = ledger(&[
            ("甲厂", "小店区", "燃煤", Some(1.0), ""),
            // Same name and county: told apart by capacity.
            ("甲厂", "小店区", "燃煤", Some(2.0), ""),
            ("ＡＢ厂", "小店区", "燃煤", Some(1.0), ""),
            // Equal after folding (full width, case, spaces), and equal extras: ranks.
            ("ab 厂", "小店区", "燃煤", Some(1.0), ""),
            // No name: the record number; no county: the city constant.
            ("", "小店区", "燃煤", None, ""),
            ("乙厂", "", "？？", Some(1.0), "路"),
            // A base key equal to another record's extended key.
            ("丙厂", "x", "燃煤", Some(1.0), ""),
            ("丙厂", "x", "燃煤", Some(2.0), ""),
            ("丙厂", "X+|1||燃煤", "电", None, ""),
        ]);
        let (lazy, reference) = both_ways(&layer, &mapping);
        assert_eq!(lazy, reference);
        assert!(reference.iter().any(|k| k.key.contains('~')));
        assert!(reference.iter().any(|k| k.key.contains('+')));
        // The same layer held decoded after a GBK read (as for a project import):
        // its keys are hashed as their text, and told apart the same.
        let mut decoded = layer.clone();
        decoded.encoding = Some(crate::model::EncodingInfo {
            encoding: encoding_rs::GBK,
            source: crate::model::EncodingSource::Cpg("GBK".into()),
        });
        assert_eq!(
            both_ways(&decoded, &mapping),
            (reference.clone(), reference)
        );
    }

    /// A GBK `.dbf` of text columns (name, width) with these rows, read deferred
    /// into a layer.
    pub(crate) fn gbk_ledger(columns: &[(&str, u8)], rows: &[Vec<&str>]) -> Layer {
        use encoding_rs::GBK;
        let names: Vec<Vec<u8>> = columns
            .iter()
            .map(|(name, _)| GBK.encode(name).0.into_owned())
            .collect();
        let fields: Vec<(&[u8], u8, u8, u8)> = (names.iter().zip(columns))
            .map(|(name, (_, width))| (&name[..], b'C', *width, 0))
            .collect();
        let cells: Vec<Vec<Vec<u8>>> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|value| match value.strip_prefix("raw:") {
                        // Bytes as given (hex pairs), for sequences text cannot carry.
                        Some(hex) => (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                            .collect(),
                        None => GBK.encode(value).0.into_owned(),
                    })
                    .collect()
            })
            .collect();
        let records: Vec<(u8, Vec<&[u8]>)> = cells
            .iter()
            .map(|row| (b' ', row.iter().map(Vec::as_slice).collect()))
            .collect();
        deferred_ledger(crate::io::dbf::tests::dbf(0x4D, &fields, &records))
    }

    /// A point layer "台账" whose attributes are the `.dbf` `bytes`, read deferred
    /// (no geometry).
    pub(crate) fn deferred_ledger(bytes: Vec<u8>) -> Layer {
        let mut problems = vec![];
        let (records, encoding) = crate::io::dbf::read_dbf_deferred(
            std::path::Path::new("台账.dbf"),
            bytes,
            None,
            None,
            &mut problems,
        )
        .unwrap();
        Layer {
            name: "台账".into(),
            source: "台账.shp".into(),
            format: SourceFormat::Shapefile,
            geometry_kind: GeometryKind::Point,
            has_z: false,
            crs: CrsInfo {
                crs: None,
                source: CrsSource::FormatDefault,
            },
            encoding: Some(encoding),
            fields: records.fields().to_vec(),
            features: (0..records.len() as u64)
                .map(|fid| Feature {
                    fid,
                    geometry: None,
                    attrs: vec![],
                })
                .collect(),
            problems,
            deferred: Some(std::sync::Arc::new(records)),
        }
    }

    #[test]
    fn gbk_keys_hashed_from_stored_bytes_equal_the_hash_of_their_text() {
        let columns = [
            ("单位名称", 24),
            ("县区", 12),
            ("信用代码", 20),
            ("编号", 8),
        ];
        let rows: Vec<Vec<&str>> = vec![
            vec!["甲厂", "小店区", "", ""],
            // Full width, case and spaces: the same key as the next two, one of them
            // read from its bytes and one not.
            vec!["ＡＢ厂", "小店区", "", ""],
            vec!["ab 厂", "小店区", "", ""],
            vec!["AB厂", " 小店区", "", ""],
            // Credit codes, in either case, with and without a site number.
            vec!["乙厂", "迎泽区", "91140100ma0k", "1号"],
            vec!["乙厂", "迎泽区", "91140100MA0K", "1号"],
            vec!["丙厂", "", "", "2"],
            // Punctuation that folds (（ → (), a four-byte GB18030 sequence, a
            // stray lead byte.
            vec!["丁（厂）", "小店区", "", ""],
            vec!["raw:8130863341", "小店区", "", ""],
            vec!["raw:b6a181", "小店区", "", ""],
            // No name and no code: the record number.
            vec!["", "小店区", "", ""],
        ];
        let layer = gbk_ledger(&columns, &rows);
        let mut mapping = FieldMapping::default();
        mapping.set_user(CanonicalField::SiteName, "单位名称", None);
        mapping.set_user(CanonicalField::County, "县区", None);
        let reader = LayerValues::new(&layer, &mapping);
        // Each record's hash and key, from its bytes or not, equal those of its text;
        // the planned columns write what the fields asked for by name write.
        let same_as_text = |reader: &LayerValues, i: usize| {
            let hasher = KeyHasher::for_layer(reader);
            assert!(hasher.gbk);
            let plan = hasher.plan.as_ref().expect("every key field is one column");
            let text = text_record_key(reader, i).key;
            let (mut planned, mut asked) = (Vec::new(), Vec::new());
            assert_eq!(
                plan.write(reader, i, &mut planned)
                    .map(|basis| (basis, planned)),
                write_stored_key(reader, i, &mut asked).map(|basis| (basis, asked)),
                "{text}"
            );
            assert_eq!(
                hasher.of_record(reader, i, &mut Vec::new()),
                hasher.of_text(&text),
                "{text}"
            );
            assert_eq!(record_key_of(reader, i, None), text_record_key(reader, i));
            text
        };
        let mut from_bytes = 0;
        for i in 0..rows.len() {
            let text = same_as_text(&reader, i);
            if write_stored_key(&reader, i, &mut Vec::new()).is_some() {
                from_bytes += 1;
                assert!(stored_record_key(&reader, i, None).is_some(), "{text}");
            }
        }
        assert_eq!(from_bytes, 6);
        // With the credit code and site number mapped too; and the keys, told apart,
        // equal those of the whole layer read into values.
        mapping.set_user(CanonicalField::CreditCode, "信用代码", None);
        mapping.set_user(CanonicalField::SiteCode, "编号", None);
        let reader = LayerValues::new(&layer, &mapping);
        for i in 0..rows.len() {
            same_as_text(&reader, i);
        }
        let mut whole = layer.clone();
        whole.materialize_attributes();
        let (lazy, reference) = both_ways(&whole, &mapping);
        assert_eq!(lazy, reference);
        let keys = LayerKeys::new(&reader);
        let deferred: Vec<RecordKey> = (0..rows.len()).map(|i| keys.key(&reader, i)).collect();
        assert_eq!(deferred, reference);
        assert!(reference.iter().filter(|k| k.key.contains('~')).count() >= 5);
    }

    #[test]
    fn record_key_text_is_compact_and_upper_case() {
        let v = CanonicalValues::from_texts(&[
            (CanonicalField::SiteName, " ａｂ Ⅱ厂 "),
            (CanonicalField::County, "小店区"),
        ]);
        assert_eq!(record_key(&v, 7).key, "nm:ABII厂@小店区");
        assert_eq!(
            record_key(&CanonicalValues::new(), 7).key,
            "fid:7".to_string()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn keys_built_on_demand_equal_the_whole_layer_keys(
            rows in prop::collection::vec((0usize..4, 0usize..4, 0usize..3, 0usize..3, 0usize..2), 0..40)) {
            let names = ["甲", "ａ", " A", ""];
            let counties = ["x", "X+|1||燃煤", "", "县"];
            let fuels = ["燃煤", "", "？"];
            let caps = [None, Some(1.0), Some(2.5)];
            let addrs = ["", "路"];
            let rows: Vec<_> = rows
                .iter()
                .map(|&(n, c, f, k, a)| (names[n], counties[c], fuels[f], caps[k], addrs[a]))
                .collect();
            let (layer, mapping) = ledger(&rows);
            let (lazy, reference) = both_ways(&layer, &mapping);
            prop_assert_eq!(lazy, reference);
        }
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn finding_ids_have_the_documented_shape() {
        let id = finding_id(
            "water-level1",
            "role:boiler",
            "cc:X",
            Some("role:water_zone"),
            Some("zn:a"),
        );
        assert!(id.starts_with("F-"));
        assert_eq!(id.len(), 18);
        assert!(id[2..].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn an_absent_zone_differs_from_an_empty_one() {
        assert_ne!(
            finding_id("r", "l", "k", None, None),
            finding_id("r", "l", "k", Some(""), Some(""))
        );
    }
}
