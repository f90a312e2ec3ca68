//! The rule file format: TOML a GIS user can read and edit.
//!
//! ```toml
//! replace_all = false              # true: this file's rules replace the built-ins
//! disable = ["water-quasi"]        # built-in rule ids to switch off
//!
//! [[rule]]
//! id = "boiler-elimination"        # stable: finding ids are built from it
//! title_zh = "建成区内10蒸吨及以下燃煤锅炉未淘汰"
//! title_en = "Coal boiler of 10 t/h or less in a built-up area"
//! basis = "国发〔2018〕22号"
//! severity = "task_pending"        # violation | task_pending | needs_review
//! site_roles = ["boiler"]          # boiler | enterprise | outfall | other_sites
//! enabled = true                   # optional, default true
//! conditions = [                   # all must hold (AND)
//!   { field = "fuel", op = "in", values = ["coal", "clean_coal"] },
//!   { field = "capacity_tph", op = "<=", value = 10 },
//!   { field = "status", op = "not_in", values = ["eliminated"], when_missing = "match" },
//! ]
//! [rule.zone]                      # absent: an attribute-only rule
//! role = "built_up_area"           # water_zone | coal_ban_zone | built_up_area
//! levels = ["level1"]              # water zones only; absent = any level
//! predicate = "inside"             # inside (a site on the boundary counts) |
//!                                  # within_distance (outside, within distance_m)
//! distance_m = 50                  # only with within_distance
//! [rule.scope]                     # optional: where the rule applies
//! places = ["太原", "1401"]         # names match the zone's or site's city or
//! except_places = []               # county; digits match the division code prefix
//! ```
//!
//! Conditions test canonical fields ([`CanonicalField`] codes). Operators: `in`,
//! `not_in`, `==`, `!=` (codes such as `coal`, `level1`, `eliminated`, or Chinese
//! words such as `燃煤`), `<`, `<=`, `>`, `>=` (capacities; `value` may carry a unit,
//! `"24.5MW"`), `is_true`, `is_false` (flags), `contains_any` (substring in a text
//! field, e.g. an industry list), `is_missing`, `is_present`.
//!
//! **A missing value** (column not mapped, cell empty, or text that could not be read)
//! makes a condition *not* hold, so a rule never fires on data it cannot see. A
//! condition may say `when_missing = "match"` to hold instead: the built-in rules do
//! this for "status is not eliminated", so a coal boiler with no status recorded is
//! still flagged. `is_missing` tests for absence itself.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::roles::{CanonicalField, LayerRole, ValueKind};
use super::values::{
    Fuel, MW_PER_TPH, RemediationType, SiteStatus, ZoneLevel, compact, normalise_fuel,
    normalise_level, normalise_remediation, normalise_status, parse_capacity_tph, parse_done_flag,
    parse_flag, parse_scattered_flag, round_1e9,
};
use crate::model::Severity;

/// A set of rules, in evaluation and display order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RuleSet {
    /// The rules, in file order (merged: built-in order, then new user rules).
    pub rules: Vec<Rule>,
    /// The file asked to replace the rules it is merged onto (`replace_all = true`).
    pub replace_all: bool,
    /// Rule ids the file switches off in the rules it is merged onto.
    pub disable: Vec<String>,
    /// Things worth telling the user that are not errors (e.g. a `disable` id that
    /// names no rule).
    pub warnings: Vec<String>,
}

/// One rule: which sites, which attribute conditions, which zone relation.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Stable id; finding ids are built from it.
    pub id: String,
    /// Title in Chinese, as shown in the ledger.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The legal or policy basis, e.g. `《水污染防治法》第六十五条`.
    pub basis: String,
    /// How serious a finding of this rule is.
    pub severity: Severity,
    /// The site roles the rule applies to.
    pub site_roles: Vec<LayerRole>,
    /// All must hold.
    pub conditions: Vec<Condition>,
    /// `None`: the rule looks at attributes only, wherever the site is.
    pub zone: Option<ZoneClause>,
    /// `None`: everywhere.
    pub scope: Option<PlaceScope>,
    /// Switched-off rules are kept but never evaluated.
    pub enabled: bool,
    /// Free text for the user.
    pub note: String,
    /// Where the rule was defined.
    pub origin: RuleOrigin,
}

/// The file and line a rule was defined at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOrigin {
    /// The rule file's name (`built-in` for the built-in set).
    pub source_name: String,
    /// 1-based line of the rule's `[[rule]]` header.
    pub line: usize,
}

/// One test on a site's canonical field.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The site field tested.
    pub field: CanonicalField,
    /// The test.
    pub test: Test,
    /// What a missing value gives.
    pub when_missing: WhenMissing,
}

/// What a condition checks.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `in`: the value is one of these.
    In(Vec<Operand>),
    /// `not_in`: the value is none of these.
    NotIn(Vec<Operand>),
    /// `==`.
    Equals(Operand),
    /// `!=`.
    NotEquals(Operand),
    /// `<`, `<=`, `>`, `>=` against a number (t/h for capacities).
    Compare(CompareOp, f64),
    /// `is_true`: a yes/no field says yes.
    IsTrue,
    /// `is_false`: a yes/no field says no.
    IsFalse,
    /// Any of these (already [`compact`]ed) texts occurs in the field's text.
    ContainsAny(Vec<String>),
    /// `is_missing`: no value (not mapped, empty or unreadable).
    IsMissing,
    /// `is_present`: a readable value.
    IsPresent,
}

/// A numeric comparison; `<` and `<=` keep 以下 and 及以下 apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    /// `<` (以下).
    Lt,
    /// `<=` (及以下).
    Le,
    /// `>` (以上, exclusive).
    Gt,
    /// `>=` (及以上).
    Ge,
}

impl CompareOp {
    /// `site_value OP threshold`.
    pub fn holds(self, site_value: f64, threshold: f64) -> bool {
        match self {
            CompareOp::Lt => site_value < threshold,
            CompareOp::Le => site_value <= threshold,
            CompareOp::Gt => site_value > threshold,
            CompareOp::Ge => site_value >= threshold,
        }
    }
}

/// A value a condition compares with, already read the way the field is read.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// Text in [`compact`] form.
    Text(String),
    /// t/h for capacities.
    Number(f64),
    /// A protection-zone level.
    Level(ZoneLevel),
    /// A fuel.
    Fuel(Fuel),
    /// A site status.
    Status(SiteStatus),
    /// A 散乱污 remediation type.
    Remediation(RemediationType),
    /// A yes/no answer.
    Flag(bool),
}

/// Whether a condition on a missing value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WhenMissing {
    /// The condition fails (the default).
    #[default]
    NoMatch,
    /// The condition holds.
    Match,
}

/// The zone relation a rule needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneClause {
    /// The zone role (`water_zone`, `coal_ban_zone`, `built_up_area`).
    pub role: LayerRole,
    /// `None`: any level (and zones without a level).
    pub levels: Option<Vec<ZoneLevel>>,
    /// How the site must lie relative to the zone.
    pub predicate: ZonePredicate,
}

/// How a site must lie relative to a zone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZonePredicate {
    /// Inside or on the boundary.
    Inside,
    /// Outside, at most `distance_m` metres from the boundary.
    /// Outside, at most `distance_m` metres from the boundary.
    WithinDistance {
        /// Metres from the boundary, positive.
        distance_m: f64,
    },
}

/// Where a rule applies. Each entry is a place name (matched against the zone's
/// city and the site's city and county, ignoring a trailing 市/县/区/地区) or digits
/// (a prefix of the site's 6-digit division code: `1401` is Taiyuan).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PlaceScope {
    /// Empty: everywhere not excepted.
    pub places: Vec<String>,
    /// Places where the rule does not apply, even if listed in `places`.
    pub except_places: Vec<String>,
}

/// One problem in a rule file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleIssue {
    /// The rule file's name.
    pub source_name: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The id of the rule the problem is in, when known.
    pub rule_id: Option<String>,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for RuleIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.source_name, self.line, self.column)?;
        if let Some(id) = &self.rule_id {
            write!(f, "rule \"{id}\": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a rule file could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// Not valid TOML, or a key of the wrong type / unknown key.
    #[error("{0} (fix the rule file and load it again)")]
    Syntax(RuleIssue),
    /// Valid TOML that does not make sense as rules; every problem found is listed.
    #[error("{}", list_issues(.0))]
    Invalid(Vec<RuleIssue>),
}

impl RuleError {
    /// The error in Chinese, for the app (the English text is the `Display`). Each
    /// issue keeps its place in the file and its own (English) explanation.
    pub fn zh(&self) -> String {
        match self {
            RuleError::Syntax(i) => format!("{i}（请改正规则文件后重新加载）"),
            RuleError::Invalid(issues) => {
                let mut s = format!("规则文件有 {} 处问题（请改正后重新加载）：", issues.len());
                for i in issues {
                    s.push_str("\n  ");
                    s.push_str(&i.to_string());
                }
                s
            }
        }
    }

    /// All issues, for display in a list.
    pub fn issues(&self) -> Vec<&RuleIssue> {
        match self {
            RuleError::Syntax(i) => vec![i],
            RuleError::Invalid(v) => v.iter().collect(),
        }
    }
}

fn list_issues(issues: &[RuleIssue]) -> String {
    let mut s = format!(
        "the rule file has {} problem{} (fix them and load it again):",
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    for i in issues {
        s.push_str("\n  ");
        s.push_str(&i.to_string());
    }
    s
}

impl RuleSet {
    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules that are switched on.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    /// Puts a user's rule file on top of `self` (usually the built-ins): a user rule
    /// with the id of an existing one replaces it in place, new ids are appended in
    /// the user's order, `disable` ids are dropped, and `replace_all = true` drops
    /// all of `self` first. Unknown `disable` ids end up in `warnings`.
    pub fn merge(self, user: RuleSet) -> RuleSet {
        let mut rules = if user.replace_all {
            Vec::new()
        } else {
            self.rules
        };
        let mut warnings = self.warnings;
        warnings.extend(user.warnings);
        for rule in user.rules {
            match rules.iter_mut().find(|r| r.id == rule.id) {
                Some(slot) => *slot = rule,
                None => rules.push(rule),
            }
        }
        for id in &user.disable {
            let before = rules.len();
            rules.retain(|r| &r.id != id);
            if rules.len() == before {
                warnings.push(format!(
                    "disable = [\"{id}\"] names no rule; known ids: {}",
                    rules
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        RuleSet {
            rules,
            replace_all: false,
            disable: Vec::new(),
            warnings,
        }
    }
}

// ---- raw TOML shape -------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    replace_all: bool,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    title_zh: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    basis: String,
    severity: Spanned<String>,
    site_roles: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    conditions: Vec<Spanned<RawCondition>>,
    zone: Option<Spanned<RawZone>>,
    scope: Option<Spanned<RawScope>>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    note: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    field: Spanned<String>,
    op: Spanned<String>,
    value: Option<Spanned<toml::Value>>,
    values: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    when_missing: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    role: Spanned<String>,
    levels: Option<Vec<Spanned<String>>>,
    predicate: Option<Spanned<String>>,
    distance_m: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    places: Vec<Spanned<String>>,
    #[serde(default)]
    except_places: Vec<Spanned<String>>,
}

// ---- parsing --------------------------------------------------------------------

/// Parses a rule file. `source_name` (a path or `built-in`) appears in messages.
/// Syntax errors stop at the first; meaning errors (unknown field or operator, bad
/// severity, duplicate id, ...) are all collected, each with line and column.
pub fn parse_rules(toml_text: &str, source_name: &str) -> Result<RuleSet, RuleError> {
    let raw: RawFile = toml::from_str(toml_text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(toml_text, s.start));
        RuleError::Syntax(RuleIssue {
            source_name: source_name.to_string(),
            line,
            column,
            rule_id: None,
            message: e.message().to_string(),
        })
    })?;
    let mut cx = Checker {
        text: toml_text,
        source_name,
        issues: Vec::new(),
        rule_id: None,
    };
    let mut rules = Vec::with_capacity(raw.rule.len());
    let mut first_line_of: BTreeMap<String, usize> = BTreeMap::new();
    for raw_rule in raw.rule {
        let header = raw_rule.span();
        let raw_rule = raw_rule.into_inner();
        cx.rule_id = Some(raw_rule.id.get_ref().clone());
        let (line, _) = line_col(toml_text, header.start);
        let id = raw_rule.id.get_ref().trim().to_string();
        if let Some(first) = first_line_of.get(&id) {
            let message = format!(
                "duplicate id \"{id}\" (first defined on line {first}); ids must be unique"
            );
            cx.issue(header, message);
            continue;
        }
        first_line_of.insert(id, line);
        if let Some(rule) = cx.rule(raw_rule, line) {
            rules.push(rule);
        }
    }
    if !cx.issues.is_empty() {
        return Err(RuleError::Invalid(cx.issues));
    }
    Ok(RuleSet {
        rules,
        replace_all: raw.replace_all,
        disable: raw.disable,
        warnings: Vec::new(),
    })
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

struct Checker<'a> {
    text: &'a str,
    source_name: &'a str,
    issues: Vec<RuleIssue>,
    rule_id: Option<String>,
}

impl Checker<'_> {
    fn issue(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_col(self.text, span.start);
        self.issues.push(RuleIssue {
            source_name: self.source_name.to_string(),
            line,
            column,
            rule_id: self.rule_id.clone(),
            message,
        });
    }

    /// Checks one rule; `None` (with issues recorded) if it is unusable.
    fn rule(&mut self, raw: RawRule, line: usize) -> Option<Rule> {
        let before = self.issues.len();
        let id = raw.id.get_ref().trim().to_string();
        if id.is_empty() || id.chars().any(char::is_whitespace) {
            self.issue(
                raw.id.span(),
                "id must be non-empty and without spaces, e.g. \"water-level1\"".into(),
            );
        }
        let severity = Severity::from_code(raw.severity.get_ref().trim());
        if severity.is_none() {
            self.issue(
                raw.severity.span(),
                format!(
                    "unknown severity \"{}\"; use violation, task_pending or needs_review",
                    raw.severity.get_ref()
                ),
            );
        }
        let mut site_roles = Vec::new();
        if raw.site_roles.get_ref().is_empty() {
            self.issue(
                raw.site_roles.span(),
                "site_roles is empty; list at least one of boiler, enterprise, outfall, other_sites"
                    .into(),
            );
        }
        for r in raw.site_roles.get_ref() {
            match LayerRole::from_code(r.get_ref()) {
                Some(role) if !role.is_zone() => {
                    if !site_roles.contains(&role) {
                        site_roles.push(role);
                    }
                }
                Some(role) => self.issue(
                    r.span(),
                    format!(
                        "\"{role}\" is a zone role; site_roles takes boiler, enterprise, outfall, other_sites (put zones under [rule.zone])"
                    ),
                ),
                None => self.issue(
                    r.span(),
                    format!(
                        "unknown site role \"{}\"; use boiler, enterprise, outfall or other_sites",
                        r.get_ref()
                    ),
                ),
            }
        }
        let conditions: Vec<Condition> = raw
            .conditions
            .into_iter()
            .filter_map(|c| self.condition(c))
            .collect();
        let zone = raw.zone.and_then(|z| self.zone(z));
        let scope = raw.scope.map(|s| self.scope(s));
        if self.issues.len() > before {
            return None;
        }
        Some(Rule {
            id,
            title_zh: raw.title_zh,
            title_en: raw.title_en,
            basis: raw.basis,
            severity: severity?,
            site_roles,
            conditions,
            zone,
            scope,
            enabled: raw.enabled,
            note: raw.note,
            origin: RuleOrigin {
                source_name: self.source_name.to_string(),
                line,
            },
        })
    }

    fn condition(&mut self, raw: Spanned<RawCondition>) -> Option<Condition> {
        let whole = raw.span();
        let raw = raw.into_inner();
        let Some(field) = CanonicalField::from_code(raw.field.get_ref()) else {
            let known: Vec<&str> = CanonicalField::ALL
                .iter()
                .filter(|f| f.is_site_field())
                .map(|f| f.code())
                .collect();
            self.issue(
                raw.field.span(),
                format!(
                    "unknown field \"{}\"; known site fields: {}",
                    raw.field.get_ref(),
                    known.join(", ")
                ),
            );
            return None;
        };
        if !field.is_site_field() {
            self.issue(
                raw.field.span(),
                format!(
                    "\"{field}\" is a zone field; conditions test the site (use levels under [rule.zone] for zone levels)"
                ),
            );
            return None;
        }
        let kind = field.kind();
        let op = raw.op.get_ref().trim();
        let is_flag = matches!(
            kind,
            ValueKind::Flag | ValueKind::ScatteredFlag | ValueKind::DoneFlag
        );
        let needs = match op {
            "in" | "not_in" | "contains_any" => Needs::Values,
            "==" | "!=" | "<" | "<=" | ">" | ">=" => Needs::Value,
            "is_true" | "is_false" | "is_missing" | "is_present" => Needs::Nothing,
            _ => {
                let hint = if op == "=" {
                    " (did you mean \"==\"?)"
                } else {
                    ""
                };
                self.issue(
                    raw.op.span(),
                    format!(
                        "unknown op \"{op}\"{hint}; use in, not_in, ==, !=, <, <=, >, >=, is_true, is_false, contains_any, is_missing, is_present"
                    ),
                );
                return None;
            }
        };
        match (&needs, &raw.value, &raw.values) {
            (Needs::Values, _, None) => {
                self.issue(whole, format!("op \"{op}\" needs values = [ ... ]"));
                return None;
            }
            (Needs::Value, None, _) => {
                self.issue(whole, format!("op \"{op}\" needs value = ..."));
                return None;
            }
            (Needs::Values, Some(v), _) | (Needs::Nothing, Some(v), _) => {
                self.issue(v.span(), format!("op \"{op}\" takes no single value"));
                return None;
            }
            (Needs::Value, _, Some(v)) | (Needs::Nothing, _, Some(v)) => {
                self.issue(v.span(), format!("op \"{op}\" takes no values list"));
                return None;
            }
            _ => {}
        }
        let mut when_missing = WhenMissing::NoMatch;
        if let Some(wm) = &raw.when_missing {
            match wm.get_ref().trim() {
                _ if matches!(op, "is_missing" | "is_present") => {
                    self.issue(
                        wm.span(),
                        format!("when_missing makes no sense with op \"{op}\""),
                    );
                    return None;
                }
                "match" => when_missing = WhenMissing::Match,
                "no_match" => {}
                other => {
                    self.issue(
                        wm.span(),
                        format!("when_missing is \"match\" or \"no_match\", not \"{other}\""),
                    );
                    return None;
                }
            }
        }
        let test = match op {
            "in" | "not_in" => {
                let values = raw.values?;
                if values.get_ref().is_empty() {
                    self.issue(values.span(), "values is empty".into());
                    return None;
                }
                let mut operands = Vec::new();
                for v in values.into_inner() {
                    operands.push(self.operand(field, &v)?);
                }
                if op == "in" {
                    Test::In(operands)
                } else {
                    Test::NotIn(operands)
                }
            }
            "contains_any" => {
                if kind != ValueKind::Text {
                    self.issue(
                        raw.op.span(),
                        format!("contains_any works on text fields; \"{field}\" is not one"),
                    );
                    return None;
                }
                let values = raw.values?;
                let mut needles = Vec::new();
                for v in values.get_ref() {
                    match v.get_ref().as_str().map(compact) {
                        Some(s) if !s.is_empty() => needles.push(s),
                        _ => {
                            self.issue(v.span(), "contains_any takes non-empty texts".into());
                            return None;
                        }
                    }
                }
                if needles.is_empty() {
                    self.issue(values.span(), "values is empty".into());
                    return None;
                }
                Test::ContainsAny(needles)
            }
            "==" | "!=" => {
                let operand = self.operand(field, raw.value.as_ref()?)?;
                if op == "==" {
                    Test::Equals(operand)
                } else {
                    Test::NotEquals(operand)
                }
            }
            "<" | "<=" | ">" | ">=" => {
                if kind != ValueKind::Capacity {
                    self.issue(
                        raw.op.span(),
                        format!("\"{op}\" compares numbers; \"{field}\" is not a capacity"),
                    );
                    return None;
                }
                let Operand::Number(n) = self.operand(field, raw.value.as_ref()?)? else {
                    return None;
                };
                let cmp = match op {
                    "<" => CompareOp::Lt,
                    "<=" => CompareOp::Le,
                    ">" => CompareOp::Gt,
                    _ => CompareOp::Ge,
                };
                Test::Compare(cmp, n)
            }
            "is_true" | "is_false" => {
                if !is_flag {
                    self.issue(
                        raw.op.span(),
                        format!("\"{op}\" tests yes/no fields; \"{field}\" is not one"),
                    );
                    return None;
                }
                if op == "is_true" {
                    Test::IsTrue
                } else {
                    Test::IsFalse
                }
            }
            "is_missing" => Test::IsMissing,
            _ => Test::IsPresent,
        };
        Some(Condition {
            field,
            test,
            when_missing,
        })
    }

    /// Reads a condition value the way the field's values are read.
    fn operand(&mut self, field: CanonicalField, v: &Spanned<toml::Value>) -> Option<Operand> {
        let span = v.span();
        let value = v.get_ref();
        let text = match value {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Integer(i) => Some(i.to_string()),
            toml::Value::Float(f) => Some(f.to_string()),
            toml::Value::Boolean(b) => Some(if *b { "是" } else { "否" }.to_string()),
            _ => None,
        };
        let Some(text) = text else {
            self.issue(span, "expected a text or a number here".into());
            return None;
        };
        let by_code = |codes: &[&str]| codes.iter().position(|c| *c == text.trim());
        let parsed = match field.kind() {
            ValueKind::Text => Some(Operand::Text(compact(&text))),
            ValueKind::Capacity => match value {
                toml::Value::Integer(i) => Some(Operand::Number(*i as f64)),
                toml::Value::Float(f) => Some(Operand::Number(*f)),
                // A text may carry its own unit; store it in the field's unit.
                _ => parse_capacity_tph(&text, field.default_unit()).map(|tph| {
                    if field == CanonicalField::CapacityMw {
                        Operand::Number(round_1e9(tph * MW_PER_TPH))
                    } else {
                        Operand::Number(tph)
                    }
                }),
            },
            ValueKind::Level => by_code(&ZoneLevel::ALL.map(ZoneLevel::code))
                .map(|i| ZoneLevel::ALL[i])
                .or_else(|| normalise_level(&text))
                .map(Operand::Level),
            ValueKind::Fuel => by_code(&Fuel::ALL.map(Fuel::code))
                .map(|i| Fuel::ALL[i])
                .or_else(|| normalise_fuel(&text))
                .map(Operand::Fuel),
            ValueKind::Status => by_code(&SiteStatus::ALL.map(SiteStatus::code))
                .map(|i| SiteStatus::ALL[i])
                .or_else(|| normalise_status(&text))
                .map(Operand::Status),
            ValueKind::Remediation => by_code(&RemediationType::ALL.map(RemediationType::code))
                .map(|i| RemediationType::ALL[i])
                .or_else(|| normalise_remediation(&text))
                .map(Operand::Remediation),
            ValueKind::Flag => parse_flag(&text).map(Operand::Flag),
            ValueKind::ScatteredFlag => parse_scattered_flag(&text).map(Operand::Flag),
            ValueKind::DoneFlag => parse_done_flag(&text).map(Operand::Flag),
        };
        if parsed.is_none() {
            let expected = match field.kind() {
                ValueKind::Text => String::new(),
                ValueKind::Capacity => {
                    "a number of t/h, or a text with a unit like \"24.5MW\"".into()
                }
                ValueKind::Level => codes_list(&ZoneLevel::ALL.map(ZoneLevel::code)),
                ValueKind::Fuel => codes_list(&Fuel::ALL.map(Fuel::code)),
                ValueKind::Status => codes_list(&SiteStatus::ALL.map(SiteStatus::code)),
                ValueKind::Remediation => {
                    codes_list(&RemediationType::ALL.map(RemediationType::code))
                }
                ValueKind::Flag | ValueKind::ScatteredFlag | ValueKind::DoneFlag => {
                    "true, false, \"是\" or \"否\"".into()
                }
            };
            self.issue(
                span,
                format!("\"{text}\" is not a value of field \"{field}\"; use {expected}"),
            );
        }
        parsed
    }

    fn zone(&mut self, raw: Spanned<RawZone>) -> Option<ZoneClause> {
        let whole = raw.span();
        let raw = raw.into_inner();
        let role = match LayerRole::from_code(raw.role.get_ref()) {
            Some(r) if r.is_zone() => r,
            _ => {
                self.issue(
                    raw.role.span(),
                    format!(
                        "zone role \"{}\" unknown; use water_zone, coal_ban_zone or built_up_area",
                        raw.role.get_ref()
                    ),
                );
                return None;
            }
        };
        let levels = match raw.levels {
            None => None,
            Some(levels) => {
                let mut out = Vec::new();
                for l in &levels {
                    if role != LayerRole::WaterZone {
                        self.issue(
                            l.span(),
                            "levels apply to water_zone only (coal-ban zones and built-up areas have no levels)".into(),
                        );
                        return None;
                    }
                    let code = l.get_ref().trim();
                    match ZoneLevel::ALL
                        .into_iter()
                        .find(|z| z.code() == code)
                        .or_else(|| normalise_level(code))
                    {
                        Some(z) => out.push(z),
                        None => {
                            self.issue(
                                l.span(),
                                format!("unknown level \"{code}\"; use level1, level2 or quasi"),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
        };
        let predicate_name = raw
            .predicate
            .as_ref()
            .map_or("inside", |p| p.get_ref().trim());
        let predicate = match (predicate_name, &raw.distance_m) {
            ("inside", None) => ZonePredicate::Inside,
            ("inside", Some(d)) => {
                self.issue(
                    d.span(),
                    "distance_m only goes with predicate = \"within_distance\"".into(),
                );
                return None;
            }
            ("within_distance", Some(d)) if d.get_ref().is_finite() && *d.get_ref() > 0.0 => {
                ZonePredicate::WithinDistance {
                    distance_m: *d.get_ref(),
                }
            }
            ("within_distance", Some(d)) => {
                self.issue(
                    d.span(),
                    "distance_m must be a positive number of metres".into(),
                );
                return None;
            }
            ("within_distance", None) => {
                self.issue(
                    whole,
                    "predicate \"within_distance\" needs distance_m = <metres>".into(),
                );
                return None;
            }
            (other, _) => {
                let span = raw.predicate.as_ref().map_or(whole, |p| p.span());
                self.issue(
                    span,
                    format!("unknown predicate \"{other}\"; use inside or within_distance"),
                );
                return None;
            }
        };
        Some(ZoneClause {
            role,
            levels,
            predicate,
        })
    }

    fn scope(&mut self, raw: Spanned<RawScope>) -> PlaceScope {
        let raw = raw.into_inner();
        let mut clean = |list: Vec<Spanned<String>>| -> Vec<String> {
            let mut out = Vec::new();
            for p in list {
                let t = p.get_ref().trim().to_string();
                if t.is_empty() {
                    self.issue(p.span(), "empty place name".into());
                } else {
                    out.push(t);
                }
            }
            out
        };
        let places = clean(raw.places);
        let except_places = clean(raw.except_places);
        PlaceScope {
            places,
            except_places,
        }
    }
}

enum Needs {
    Values,
    Value,
    Nothing,
}

fn codes_list(codes: &[&str]) -> String {
    codes.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[rule]]
id = "a"
title_zh = "测试"
severity = "violation"
site_roles = ["boiler"]
"#;

    #[test]
    fn line_and_column_count_characters_not_bytes() {
        let text = "a\n水源b";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (2, 1));
        assert_eq!(line_col(text, 2 + "水源".len()), (2, 3));
        // Inside a character: the character's start.
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 999), (2, 4));
    }

    #[test]
    fn a_minimal_rule_parses_with_defaults() {
        let set = parse_rules(MINIMAL, "t.toml").unwrap();
        let r = &set.rules[0];
        assert_eq!(r.id, "a");
        assert!(r.enabled);
        assert!(r.zone.is_none());
        assert_eq!(r.origin.line, 2);
    }

    #[test]
    fn a_misplaced_key_is_a_syntax_error_with_position() {
        let text = format!("{MINIMAL}sevrity = \"x\"\n");
        let err = parse_rules(&text, "t.toml").unwrap_err();
        let zh = err.zh();
        assert!(
            zh.starts_with("t.toml:7:1: ") && zh.ends_with("（请改正规则文件后重新加载）"),
            "{zh}"
        );
        let RuleError::Syntax(issue) = err else {
            panic!("expected a syntax error")
        };
        assert_eq!(issue.line, 7);
        assert_eq!(issue.column, 1);
        assert!(issue.message.contains("sevrity"));
    }

    #[test]
    fn a_rule_without_an_id_points_at_the_rule() {
        let text =
            "[[rule]]\ntitle_zh = \"x\"\nseverity = \"violation\"\nsite_roles = [\"boiler\"]\n";
        let err = parse_rules(text, "t.toml").unwrap_err();
        let issue = err.issues()[0].clone();
        assert_eq!(issue.line, 1, "{err}");
        // In Chinese: each issue keeps its place and its own explanation.
        let invalid = RuleError::Invalid(vec![issue.clone(), issue.clone()]);
        let zh = invalid.zh();
        assert!(
            zh.starts_with("规则文件有 2 处问题（请改正后重新加载）：\n  t.toml:1:1: "),
            "{zh}"
        );
        assert_eq!(zh.lines().count(), 3, "{zh}");
        assert!(issue.message.contains("id"), "{err}");
    }

    #[test]
    fn capacity_thresholds_are_stored_in_the_fields_unit() {
        let text = r#"
[[rule]]
id = "a"
title_zh = "x"
severity = "violation"
site_roles = ["boiler"]
conditions = [
  { field = "capacity_mw", op = "<", value = "35t/h" },
  { field = "capacity_tph", op = "<", value = "24.5MW" },
  { field = "capacity_mw", op = "<", value = 24.5 },
]
"#;
        let set = parse_rules(text, "t.toml").unwrap();
        let thresholds: Vec<f64> = set.rules[0]
            .conditions
            .iter()
            .map(|c| match c.test {
                Test::Compare(_, n) => n,
                _ => f64::NAN,
            })
            .collect();
        assert_eq!(thresholds, vec![24.5, 35.0, 24.5]);
    }

    #[test]
    fn an_empty_file_is_an_empty_rule_set() {
        let set = parse_rules("", "t.toml").unwrap();
        assert!(set.rules.is_empty());
        assert!(!set.replace_all);
    }
}
