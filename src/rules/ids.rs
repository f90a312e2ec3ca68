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

use rayon::prelude::*;

use super::eval::CanonicalValues;
use super::roles::{CanonicalField, LayerRole};
use super::values::compact;
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

/// The key of one record, before duplicates in its layer are told apart.
pub fn record_key(values: &CanonicalValues, fid: Fid) -> RecordKey {
    let number = field_key(values, CanonicalField::SiteCode)
        .map(|n| format!("#{n}"))
        .unwrap_or_default();
    if let Some(cc) = field_key(values, CanonicalField::CreditCode) {
        return RecordKey {
            key: format!("cc:{cc}{number}"),
            basis: KeyBasis::CreditCode,
        };
    }
    if let Some(name) = field_key(values, CanonicalField::SiteName) {
        let place = [
            CanonicalField::County,
            CanonicalField::CountyCode,
            CanonicalField::City,
        ]
        .into_iter()
        .find_map(|f| field_key(values, f))
        .unwrap_or_default();
        return RecordKey {
            key: format!("nm:{name}@{place}{number}"),
            basis: KeyBasis::NameAndPlace,
        };
    }
    let zone_id = field_key(values, CanonicalField::SourceCode)
        .or_else(|| field_key(values, CanonicalField::SourceName))
        .or_else(|| field_key(values, CanonicalField::ZoneName));
    if let Some(zone_id) = zone_id {
        let level = values.level().map(|l| l.code()).unwrap_or("");
        let part = field_key(values, CanonicalField::ZonePart).unwrap_or_default();
        let name = if field_key(values, CanonicalField::SourceCode).is_some() {
            // A code names the source; the zone name still tells polygons apart.
            field_key(values, CanonicalField::ZoneName).unwrap_or_default()
        } else {
            String::new()
        };
        return RecordKey {
            key: format!("zn:{zone_id}|{name}|{level}|{part}"),
            basis: KeyBasis::ZoneIdentity,
        };
    }
    RecordKey {
        key: format!("fid:{fid}"),
        basis: KeyBasis::RecordNumber,
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
            let extra: Vec<String> = [
                CanonicalField::Address,
                CanonicalField::CapacityTph,
                CanonicalField::CapacityMw,
                CanonicalField::Fuel,
            ]
            .into_iter()
            .map(|f| field_key(v, f).unwrap_or_default())
            .collect();
            keys[i].key = format!("{}+{}", keys[i].key, extra.join("|"));
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

/// FNV-1a, 64 bit.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
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
    let mut text = String::from("qingling-finding-v1");
    for part in [
        Some(rule_id),
        Some(site_layer),
        Some(site_key),
        zone_layer,
        zone_key,
    ] {
        text.push('\u{1f}');
        match part {
            Some(p) => text.push_str(p),
            None => text.push('\u{1e}'),
        }
    }
    format!("F-{:016x}", fnv1a64(text.as_bytes()))
}

/// [`finding_id`] from record keys, with the scoping of [`RecordKey::id_scope`].
pub fn finding_id_for(
    rule_id: &str,
    site: (&str, LayerRole, &RecordKey),
    zone: Option<(&str, LayerRole, &RecordKey)>,
) -> String {
    let (site_layer, site_role, site_key) = site;
    let site_scope = site_key.id_scope(site_layer, site_role);
    let zone_scope = zone.map(|(layer, role, key)| (key.id_scope(layer, role), key.key.as_str()));
    finding_id(
        rule_id,
        &site_scope,
        &site_key.key,
        zone_scope.as_ref().map(|(s, _)| s.as_str()),
        zone_scope.as_ref().map(|(_, k)| *k),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
