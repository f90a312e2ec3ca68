//! The campaign's rules as data: which sites break which zone rules.
//!
//! - [`roles`]: layer roles, canonical fields, and guessing which column of an
//!   office's file feeds which field.
//! - [`values`]: reading the values as offices write them (一级/Ⅰ/1, 燃煤/原煤, 已拆除,
//!   `2.8MW`) into closed enums and t/h.
//! - [`format`]: the TOML rule file, its parser and its errors with line and column.
//! - [`eval`]: a site's canonical values and which rules fire for it, given the zones
//!   the spatial engine found around it.
//! - [`ids`]: stable record keys and finding ids.
//! - [`describe`]: rules in words (Chinese and English).
//!
//! The built-in rule set ([`builtin`]) is `builtin.toml`, compiled in; a user's file
//! is merged on top with [`RuleSet::merge`].
//!
//! # Example
//!
//! ```
//! use qingling::rules::{self, CanonicalField as F, CanonicalValues, LayerRole};
//! use qingling::rules::{SiteRecord, ZoneHit, ZoneLevel, ZoneRelation};
//!
//! let rules = rules::builtin();
//! // A 4 t/h coal boiler, as read from a ledger through its field mapping.
//! let boiler = CanonicalValues::from_texts(&[
//!     (F::SiteName, "某供热站"),
//!     (F::Fuel, "燃煤"),
//!     (F::CapacityTph, "4t/h"),
//! ]);
//! let site = SiteRecord { role: LayerRole::Boiler, canonical: &boiler };
//! // The engine found it inside a level-2 water zone.
//! let zones = [ZoneHit {
//!     zone_layer: "水源保护区".into(),
//!     zone_fid: 7,
//!     role: LayerRole::WaterZone,
//!     level: Some(ZoneLevel::Level2),
//!     zone_name: Some("某水源地二级保护区".into()),
//!     zone_city: None,
//!     location: ZoneRelation::Inside,
//!     distance_m: -12.5,
//! }];
//! let hits = rules::evaluate_site(&rules, &site, &zones);
//! let ids: Vec<&str> = hits.iter().map(|h| h.rule_id).collect();
//! assert_eq!(ids, ["water-level2-coal-boiler"]);
//! ```

#![warn(missing_docs)]

pub mod describe;
pub mod eval;
pub mod format;
pub mod ids;
pub mod roles;
pub mod values;

pub use describe::Lang;
pub use eval::{
    CanonValue, CanonicalValues, FieldSet, FieldsEvaluated, LayerValues, ReadMemo, RuleHit,
    SiteRecord, StoredText, ZoneHit, ZoneRelation, canonical_values, canonical_values_all,
    check_mapping, evaluate_site, fields_used, may_fire, rule_hits, rules_needing_distance,
    site_matches_conditions,
};
pub use format::{
    CompareOp, Condition, Operand, PlaceScope, Rule, RuleError, RuleIssue, RuleOrigin, RuleSet,
    Test, WhenMissing, ZoneClause, ZonePredicate, parse_rules,
};
pub use ids::{
    FindingIdStart, KeyBasis, LayerKeys, RecordKey, finding_id, finding_id_for, layer_keys,
    record_key,
};
pub use roles::{
    CanonicalField, FieldMapping, LayerRole, MapHow, MappedField, MatchKind, ValueKind,
    guess_mapping, guess_mapping_for_layer, guess_role,
};
pub use values::{
    BoilerStatus, Fuel, RemediationType, SiteStatus, Unit, ZoneLevel, normalise_fuel,
    normalise_level, normalise_remediation, normalise_status, parse_capacity_tph, parse_flag,
};

/// The text of the built-in rule set, for showing or saving as a starting point.
pub const BUILTIN_TOML: &str = include_str!("builtin.toml");

/// The built-in rule set (DOMAIN.md's campaign rules with their legal basis).
pub fn builtin() -> RuleSet {
    // The file is part of the program and checked by the tests, so a failure here
    // is a bug in this build, not bad input.
    #[allow(clippy::expect_used)]
    parse_rules(BUILTIN_TOML, "built-in").expect("the built-in rule set parses")
}

/// The built-in rules with a user's rule file merged on top.
pub fn builtin_with_user(user_toml: &str, source_name: &str) -> Result<RuleSet, RuleError> {
    Ok(builtin().merge(parse_rules(user_toml, source_name)?))
}
