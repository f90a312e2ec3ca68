//! The built-in rules, one by one, and the rule file format, mapping guesses and
//! finding ids as a user of the library sees them.

use std::path::PathBuf;

use qingling::model::{
    CrsInfo, CrsSource, Feature, FieldDef, FieldKind, GeometryKind, Layer, Severity, SourceFormat,
    Value,
};
use qingling::rules::{
    self, CanonicalField as F, CanonicalValues, LayerRole, MapHow, MatchKind, RuleError, RuleSet,
    SiteRecord, Unit, ZoneHit, ZoneLevel, ZoneRelation, canonical_values, canonical_values_all,
    evaluate_site, finding_id, finding_id_for, guess_mapping, guess_mapping_for_layer, guess_role,
    layer_keys, may_fire, parse_rules, rule_hits, rules_needing_distance,
};

// ---- helpers --------------------------------------------------------------------

fn values(pairs: &[(F, &str)]) -> CanonicalValues {
    CanonicalValues::from_texts(pairs)
}

fn zone(
    role: LayerRole,
    level: Option<ZoneLevel>,
    location: ZoneRelation,
    distance_m: f64,
) -> ZoneHit {
    ZoneHit {
        zone_layer: "zones".into(),
        zone_fid: 0,
        role,
        level,
        zone_name: Some("某水源地".into()),
        zone_city: None,
        location,
        distance_m,
    }
}

fn inside(role: LayerRole, level: Option<ZoneLevel>) -> ZoneHit {
    zone(role, level, ZoneRelation::Inside, -10.0)
}

fn water(level: ZoneLevel) -> ZoneHit {
    inside(LayerRole::WaterZone, Some(level))
}

/// How many times one built-in rule fires for a site among these zones.
fn fires(rule_id: &str, role: LayerRole, site: &CanonicalValues, zones: &[ZoneHit]) -> usize {
    let set = rules::builtin();
    let rule = set
        .get(rule_id)
        .unwrap_or_else(|| panic!("no built-in rule {rule_id}"));
    let record = SiteRecord {
        role,
        canonical: site,
    };
    rule_hits(rule, &record, zones).len()
}

fn coal_boiler(capacity: &str) -> CanonicalValues {
    values(&[
        (F::SiteName, "某供热站"),
        (F::Fuel, "燃煤"),
        (F::CapacityTph, capacity),
        (F::Status, "在用"),
    ])
}

fn built_up(city: Option<&str>) -> ZoneHit {
    let mut z = inside(LayerRole::BuiltUpArea, None);
    z.zone_city = city.map(str::to_string);
    z
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---- the built-in set -------------------------------------------------------------

#[test]
fn the_built_in_rules_parse_and_carry_a_legal_basis() {
    let set = rules::builtin();
    assert!(set.rules.len() >= 10);
    for r in &set.rules {
        assert!(!r.basis.is_empty(), "{} has no basis", r.id);
        assert!(!r.title_zh.is_empty() && !r.title_en.is_empty(), "{}", r.id);
        assert!(r.enabled);
        assert_eq!(r.origin.source_name, "built-in");
    }
    for id in [
        "water-level1",
        "water-level2-coal-boiler",
        "water-level2-enterprise",
        "water-quasi-heavy-industry",
        "water-outfall",
        "water-near-boundary",
        "coal-ban-coal-burning",
        "coal-ban-coal-trade",
        "boiler-elimination",
        "boiler-elimination-key-region",
        "boiler-capacity-unknown",
        "scattered-polluting-open",
    ] {
        assert!(set.get(id).is_some(), "missing {id}");
    }
}

#[test]
fn water_level1_flags_any_site_inside_and_not_outside_or_at_level2() {
    let ent = values(&[(F::SiteName, "某饭店")]);
    assert_eq!(
        fires(
            "water-level1",
            LayerRole::Enterprise,
            &ent,
            &[water(ZoneLevel::Level1)]
        ),
        1
    );
    assert_eq!(
        fires(
            "water-level1",
            LayerRole::Boiler,
            &ent,
            &[water(ZoneLevel::Level1)]
        ),
        1
    );
    let on_edge = zone(
        LayerRole::WaterZone,
        Some(ZoneLevel::Level1),
        ZoneRelation::OnBoundary,
        0.0,
    );
    assert_eq!(
        fires("water-level1", LayerRole::Enterprise, &ent, &[on_edge]),
        1
    );
    let outside = zone(
        LayerRole::WaterZone,
        Some(ZoneLevel::Level1),
        ZoneRelation::Outside,
        5.0,
    );
    assert_eq!(
        fires("water-level1", LayerRole::Enterprise, &ent, &[outside]),
        0
    );
    assert_eq!(
        fires(
            "water-level1",
            LayerRole::Enterprise,
            &ent,
            &[water(ZoneLevel::Level2)]
        ),
        0
    );
    // Demolished sites are gone.
    let gone = values(&[(F::SiteName, "某厂"), (F::Status, "已拆除")]);
    assert_eq!(
        fires(
            "water-level1",
            LayerRole::Enterprise,
            &gone,
            &[water(ZoneLevel::Level1)]
        ),
        0
    );
}

#[test]
fn water_level2_flags_coal_boilers_but_not_gas_boilers() {
    let z = [water(ZoneLevel::Level2)];
    assert_eq!(
        fires(
            "water-level2-coal-boiler",
            LayerRole::Boiler,
            &coal_boiler("4"),
            &z
        ),
        1
    );
    let gas = values(&[(F::Fuel, "天然气"), (F::CapacityTph, "4")]);
    assert_eq!(
        fires("water-level2-coal-boiler", LayerRole::Boiler, &gas, &z),
        0
    );
    let unknown_fuel = values(&[(F::CapacityTph, "4")]);
    assert_eq!(
        fires(
            "water-level2-coal-boiler",
            LayerRole::Boiler,
            &unknown_fuel,
            &z
        ),
        0
    );
    assert_eq!(
        fires(
            "water-level2-coal-boiler",
            LayerRole::Boiler,
            &coal_boiler("4"),
            &[water(ZoneLevel::Quasi)]
        ),
        0
    );
}

#[test]
fn water_level2_flags_enterprises_that_are_not_closed() {
    let z = [water(ZoneLevel::Level2)];
    let open = values(&[(F::SiteName, "某散乱污作坊"), (F::ScatteredPolluting, "是")]);
    assert_eq!(
        fires("water-level2-enterprise", LayerRole::Enterprise, &open, &z),
        1
    );
    let closed = values(&[(F::SiteName, "某厂"), (F::Status, "已关停取缔")]);
    assert_eq!(
        fires(
            "water-level2-enterprise",
            LayerRole::Enterprise,
            &closed,
            &z
        ),
        0
    );
    assert_eq!(
        fires("water-level2-enterprise", LayerRole::Boiler, &open, &z),
        0
    );
}

#[test]
fn water_quasi_zone_flags_heavily_polluting_industries_for_review() {
    let z = [water(ZoneLevel::Quasi)];
    let dyeing = values(&[(F::Industry, "纺织业-印染")]);
    assert_eq!(
        fires(
            "water-quasi-heavy-industry",
            LayerRole::Enterprise,
            &dyeing,
            &z
        ),
        1
    );
    let electroplating = values(&[(F::Industry, "金属表面处理（电镀）")]);
    assert_eq!(
        fires(
            "water-quasi-heavy-industry",
            LayerRole::Enterprise,
            &electroplating,
            &z
        ),
        1
    );
    let bakery = values(&[(F::Industry, "食品零售")]);
    assert_eq!(
        fires(
            "water-quasi-heavy-industry",
            LayerRole::Enterprise,
            &bakery,
            &z
        ),
        0
    );
    let no_industry = values(&[(F::SiteName, "某公司")]);
    assert_eq!(
        fires(
            "water-quasi-heavy-industry",
            LayerRole::Enterprise,
            &no_industry,
            &z
        ),
        0
    );
    let rule = rules::builtin();
    assert_eq!(
        rule.get("water-quasi-heavy-industry").map(|r| r.severity),
        Some(Severity::NeedsReview)
    );
}

#[test]
fn water_outfall_flags_outfalls_in_every_level() {
    let outfall = values(&[(F::SiteName, "某入河排污口")]);
    for level in ZoneLevel::ALL {
        assert_eq!(
            fires(
                "water-outfall",
                LayerRole::Outfall,
                &outfall,
                &[water(level)]
            ),
            1,
            "{level:?}"
        );
    }
    let outside = zone(
        LayerRole::WaterZone,
        Some(ZoneLevel::Level2),
        ZoneRelation::Outside,
        100.0,
    );
    assert_eq!(
        fires("water-outfall", LayerRole::Outfall, &outfall, &[outside]),
        0
    );
    assert_eq!(
        fires(
            "water-outfall",
            LayerRole::Enterprise,
            &outfall,
            &[water(ZoneLevel::Level1)]
        ),
        0
    );
}

#[test]
fn near_boundary_flags_sites_just_outside_level1_and_level2_up_to_50_m() {
    let site = values(&[(F::SiteName, "某点")]);
    let near = |level, d| zone(LayerRole::WaterZone, Some(level), ZoneRelation::Outside, d);
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::OtherSites,
            &site,
            &[near(ZoneLevel::Level1, 50.0)]
        ),
        1
    );
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::Boiler,
            &site,
            &[near(ZoneLevel::Level2, 12.0)]
        ),
        1
    );
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::OtherSites,
            &site,
            &[near(ZoneLevel::Level1, 50.01)]
        ),
        0
    );
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::OtherSites,
            &site,
            &[near(ZoneLevel::Quasi, 10.0)]
        ),
        0
    );
    // Inside level 1 already: being near another level-1 or a level-2 polygon adds nothing.
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::OtherSites,
            &site,
            &[water(ZoneLevel::Level1), near(ZoneLevel::Level2, 10.0)]
        ),
        0
    );
    // Inside level 2 but near level 1: the site may really be in level 1.
    assert_eq!(
        fires(
            "water-near-boundary",
            LayerRole::OtherSites,
            &site,
            &[water(ZoneLevel::Level2), near(ZoneLevel::Level1, 10.0)]
        ),
        1
    );
    let set = rules::builtin();
    assert_eq!(rules_needing_distance(&set), Some(50.0));
}

#[test]
fn coal_ban_flags_coal_and_clean_coal_burners_not_eliminated() {
    let z = [inside(LayerRole::CoalBanZone, None)];
    assert_eq!(
        fires(
            "coal-ban-coal-burning",
            LayerRole::Boiler,
            &coal_boiler("1"),
            &z
        ),
        1
    );
    let briquettes = values(&[(F::Fuel, "洁净型煤"), (F::Status, "在用")]);
    assert_eq!(
        fires("coal-ban-coal-burning", LayerRole::Boiler, &briquettes, &z),
        1
    );
    let stove = values(&[(F::SiteName, "某饭店茶浴炉"), (F::Fuel, "原煤")]);
    assert_eq!(
        fires("coal-ban-coal-burning", LayerRole::OtherSites, &stove, &z),
        1
    );
    let switched = values(&[(F::Fuel, "燃煤"), (F::Status, "煤改电")]);
    assert_eq!(
        fires("coal-ban-coal-burning", LayerRole::Boiler, &switched, &z),
        0
    );
    let gas = values(&[(F::Fuel, "天然气")]);
    assert_eq!(
        fires("coal-ban-coal-burning", LayerRole::Boiler, &gas, &z),
        0
    );
    assert_eq!(
        fires(
            "coal-ban-coal-burning",
            LayerRole::Boiler,
            &coal_boiler("1"),
            &[built_up(None)]
        ),
        0
    );
}

#[test]
fn coal_ban_flags_loose_coal_sellers() {
    let z = [inside(LayerRole::CoalBanZone, None)];
    let seller = values(&[(F::SiteName, "某煤炭经销部"), (F::Industry, "煤炭批发经营")]);
    assert_eq!(
        fires("coal-ban-coal-trade", LayerRole::OtherSites, &seller, &z),
        1
    );
    let shop = values(&[(F::SiteName, "某超市"), (F::Industry, "零售")]);
    assert_eq!(
        fires("coal-ban-coal-trade", LayerRole::OtherSites, &shop, &z),
        0
    );
}

#[test]
fn national_elimination_includes_10_t_h_and_excludes_key_cities() {
    let z = [built_up(Some("大同市"))];
    assert_eq!(
        fires(
            "boiler-elimination",
            LayerRole::Boiler,
            &coal_boiler("10"),
            &z
        ),
        1
    );
    assert_eq!(
        fires(
            "boiler-elimination",
            LayerRole::Boiler,
            &coal_boiler("10.01"),
            &z
        ),
        0
    );
    assert_eq!(
        fires(
            "boiler-elimination",
            LayerRole::Boiler,
            &coal_boiler("4t/h"),
            &z
        ),
        1
    );
    // 7 MW is exactly 10 t/h.
    let mw = values(&[(F::Fuel, "燃煤"), (F::CapacityMw, "7")]);
    assert_eq!(fires("boiler-elimination", LayerRole::Boiler, &mw, &z), 1);
    let mw_text = values(&[(F::Fuel, "燃煤"), (F::CapacityTph, "7MW")]);
    assert_eq!(
        fires("boiler-elimination", LayerRole::Boiler, &mw_text, &z),
        1
    );
    let over = values(&[(F::Fuel, "燃煤"), (F::CapacityTph, "7.1MW")]);
    assert_eq!(fires("boiler-elimination", LayerRole::Boiler, &over, &z), 0);
    // In Taiyuan the key-region rule applies instead.
    assert_eq!(
        fires(
            "boiler-elimination",
            LayerRole::Boiler,
            &coal_boiler("4"),
            &[built_up(Some("太原市"))]
        ),
        0
    );
    // Eliminated, or outside any built-up area: nothing.
    let done = values(&[
        (F::Fuel, "燃煤"),
        (F::CapacityTph, "4"),
        (F::Status, "已淘汰"),
    ]);
    assert_eq!(fires("boiler-elimination", LayerRole::Boiler, &done, &z), 0);
    assert_eq!(
        fires(
            "boiler-elimination",
            LayerRole::Boiler,
            &coal_boiler("4"),
            &[]
        ),
        0
    );
    // Switched to clean briquettes still counts as a coal boiler to eliminate.
    let briquettes = values(&[
        (F::Fuel, "兰炭"),
        (F::CapacityTph, "4"),
        (F::Status, "改型煤"),
    ]);
    assert_eq!(
        fires("boiler-elimination", LayerRole::Boiler, &briquettes, &z),
        1
    );
}

#[test]
fn key_region_elimination_is_below_35_t_h_exclusive() {
    let z = [built_up(Some("太原市"))];
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &coal_boiler("34.9"),
            &z
        ),
        1
    );
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &coal_boiler("35"),
            &z
        ),
        0
    );
    // 24.5 MW is exactly 35 t/h, so it is not below.
    let mw = values(&[(F::Fuel, "燃煤"), (F::CapacityMw, "24.5")]);
    assert_eq!(
        fires("boiler-elimination-key-region", LayerRole::Boiler, &mw, &z),
        0
    );
    let mw_less = values(&[(F::Fuel, "燃煤"), (F::CapacityMw, "24.4")]);
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &mw_less,
            &z
        ),
        1
    );
    // A non-key city is out of scope.
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &coal_boiler("20"),
            &[built_up(Some("大同"))]
        ),
        0
    );
    // The scope also reads the site's own city, county code or county.
    let by_code = values(&[
        (F::Fuel, "燃煤"),
        (F::CapacityTph, "20"),
        (F::CountyCode, "140105"),
    ]);
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &by_code,
            &[built_up(None)]
        ),
        1
    );
    let by_city = values(&[
        (F::Fuel, "燃煤"),
        (F::CapacityTph, "20"),
        (F::City, "山西省临汾市"),
    ]);
    assert_eq!(
        fires(
            "boiler-elimination-key-region",
            LayerRole::Boiler,
            &by_city,
            &[built_up(None)]
        ),
        1
    );
}

#[test]
fn a_coal_boiler_of_unknown_capacity_in_a_built_up_area_needs_review() {
    let z = [built_up(None)];
    let unknown = values(&[(F::Fuel, "燃煤")]);
    assert_eq!(
        fires("boiler-capacity-unknown", LayerRole::Boiler, &unknown, &z),
        1
    );
    let unreadable = values(&[(F::Fuel, "燃煤"), (F::CapacityTph, "两台")]);
    assert_eq!(
        fires(
            "boiler-capacity-unknown",
            LayerRole::Boiler,
            &unreadable,
            &z
        ),
        1
    );
    assert_eq!(
        fires(
            "boiler-capacity-unknown",
            LayerRole::Boiler,
            &coal_boiler("4"),
            &z
        ),
        0
    );
}

#[test]
fn scattered_polluting_enterprises_are_pending_until_closed_or_done_anywhere() {
    let open = values(&[
        (F::SiteName, "某小作坊"),
        (F::ScatteredPolluting, "散乱污"),
        (F::RemediationType, "关停取缔"),
    ]);
    assert_eq!(
        fires(
            "scattered-polluting-open",
            LayerRole::Enterprise,
            &open,
            &[]
        ),
        1
    );
    let closed = values(&[(F::ScatteredPolluting, "是"), (F::Status, "已取缔")]);
    assert_eq!(
        fires(
            "scattered-polluting-open",
            LayerRole::Enterprise,
            &closed,
            &[]
        ),
        0
    );
    let done = values(&[(F::ScatteredPolluting, "是"), (F::Rectified, "已完成")]);
    assert_eq!(
        fires(
            "scattered-polluting-open",
            LayerRole::Enterprise,
            &done,
            &[]
        ),
        0
    );
    let in_progress = values(&[(F::ScatteredPolluting, "是"), (F::Rectified, "整改中")]);
    assert_eq!(
        fires(
            "scattered-polluting-open",
            LayerRole::Enterprise,
            &in_progress,
            &[]
        ),
        1
    );
    let not_flagged = values(&[(F::SiteName, "某正规企业"), (F::ScatteredPolluting, "否")]);
    assert_eq!(
        fires(
            "scattered-polluting-open",
            LayerRole::Enterprise,
            &not_flagged,
            &[]
        ),
        0
    );
    let set = rules::builtin();
    let rule = set.get("scattered-polluting-open").unwrap();
    assert!(rule.zone.is_none());
    assert_eq!(rule.severity, Severity::TaskPending);
}

#[test]
fn nested_zones_report_the_strictest_level_only() {
    let set = rules::builtin();
    let boiler = coal_boiler("4");
    let record = SiteRecord {
        role: LayerRole::Boiler,
        canonical: &boiler,
    };
    let zones = [water(ZoneLevel::Level2), water(ZoneLevel::Level1)];
    let hits = evaluate_site(&set, &record, &zones);
    let ids: Vec<&str> = hits.iter().map(|h| h.rule_id).collect();
    assert_eq!(ids, vec!["water-level1"]);
    assert_eq!(hits[0].zone.and_then(|z| z.level), Some(ZoneLevel::Level1));
}

// ---- rule file format ----------------------------------------------------------

const USER_RULE: &str = r#"
[[rule]]
id = "boiler-elimination"
title_zh = "建成区内20蒸吨以下燃煤锅炉"
title_en = "Coal boiler below 20 t/h in a built-up area"
basis = "某市方案"
severity = "task_pending"
site_roles = ["boiler"]
conditions = [
  { field = "fuel", op = "in", values = ["燃煤"] },
  { field = "capacity_tph", op = "<", value = "14MW" },
]
[rule.zone]
role = "built_up_area"

[[rule]]
id = "my-extra"
title_zh = "额外规则"
severity = "needs_review"
site_roles = ["other_sites"]
"#;

#[test]
fn a_user_file_replaces_same_ids_in_place_and_appends_new_ones() {
    let builtin = rules::builtin();
    let n = builtin.rules.len();
    let pos = builtin
        .rules
        .iter()
        .position(|r| r.id == "boiler-elimination")
        .unwrap();
    let user = parse_rules(USER_RULE, "my.toml").unwrap();
    let merged = builtin.merge(user);
    assert_eq!(merged.rules.len(), n + 1);
    assert_eq!(merged.rules[pos].id, "boiler-elimination");
    assert_eq!(merged.rules[pos].origin.source_name, "my.toml");
    assert_eq!(merged.rules.last().map(|r| r.id.as_str()), Some("my-extra"));
    // "14MW" is read as 20 t/h.
    let r = &merged.rules[pos];
    assert!(
        matches!(r.conditions[1].test, rules::Test::Compare(rules::CompareOp::Lt, t) if t == 20.0)
    );
    let boiler = coal_boiler("15");
    let rec = SiteRecord {
        role: LayerRole::Boiler,
        canonical: &boiler,
    };
    assert_eq!(rule_hits(r, &rec, &[built_up(None)]).len(), 1);
}

#[test]
fn replace_all_drops_the_built_ins_and_disable_switches_rules_off() {
    let text = format!("replace_all = true\n{USER_RULE}");
    let merged = rules::builtin().merge(parse_rules(&text, "my.toml").unwrap());
    let ids: Vec<&str> = merged.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, vec!["boiler-elimination", "my-extra"]);

    let merged = rules::builtin_with_user(
        "disable = [\"water-quasi-heavy-industry\", \"nope\"]\n",
        "d.toml",
    )
    .unwrap();
    assert!(merged.get("water-quasi-heavy-industry").is_none());
    assert!(merged.get("water-level1").is_some());
    assert_eq!(merged.warnings.len(), 1);
    assert!(merged.warnings[0].contains("nope"));
}

#[test]
fn a_toml_syntax_error_reports_line_and_column() {
    let text = "[[rule]]\nid = \"a\"\ntitle_zh = \"x\nseverity = \"violation\"\n";
    let err = parse_rules(text, "bad.toml").unwrap_err();
    let RuleError::Syntax(issue) = &err else {
        panic!("{err}")
    };
    assert_eq!(issue.line, 3);
    let shown = err.to_string();
    assert!(shown.starts_with("bad.toml:3:"), "{shown}");
}

#[test]
fn a_wrongly_typed_value_reports_its_position() {
    let text = "[[rule]]\nid = \"a\"\ntitle_zh = \"x\"\nseverity = \"violation\"\nsite_roles = \"boiler\"\n";
    let err = parse_rules(text, "bad.toml").unwrap_err();
    let issue = err.issues()[0].clone();
    assert_eq!((issue.line, issue.column), (5, 14));
}

#[test]
fn meaning_errors_are_all_listed_with_positions() {
    let text = r#"[[rule]]
id = "a"
title_zh = "x"
severity = "fatal"
site_roles = ["boiler", "water_zone"]
conditions = [
  { field = "fuell", op = "in", values = ["coal"] },
  { field = "fuel", op = "=", value = "coal" },
  { field = "fuel", op = "in", values = ["plutonium"] },
  { field = "industry", op = "<", value = 3 },
]

[[rule]]
id = "b"
title_zh = "y"
severity = "violation"
site_roles = ["boiler"]
[rule.zone]
role = "water_zone"
predicate = "within_distance"

[[rule]]
id = "b"
title_zh = "z"
severity = "violation"
site_roles = ["boiler"]
"#;
    let err = parse_rules(text, "u.toml").unwrap_err();
    let RuleError::Invalid(issues) = &err else {
        panic!("{err}")
    };
    let find = |needle: &str| {
        issues
            .iter()
            .find(|i| i.message.contains(needle))
            .unwrap_or_else(|| panic!("no issue with {needle:?} in:\n{err}"))
    };
    let sev = find("unknown severity");
    assert_eq!((sev.line, sev.column), (4, 12));
    assert_eq!(sev.rule_id.as_deref(), Some("a"));
    assert_eq!(find("zone role").line, 5);
    let field = find("unknown field \"fuell\"");
    assert_eq!((field.line, field.column), (7, 13));
    assert!(find("unknown op").message.contains("did you mean \"==\""));
    assert_eq!(find("plutonium").line, 9);
    assert_eq!(find("compares numbers").line, 10);
    let dist = find("needs distance_m");
    assert_eq!(dist.line, 18);
    assert_eq!(dist.rule_id.as_deref(), Some("b"));
    let dup = find("duplicate id");
    assert_eq!(dup.line, 22);
    assert!(dup.message.contains("line 13"));
    assert_eq!(issues.len(), 8, "{err}");
    // The whole message names the file and each position.
    assert!(
        err.to_string()
            .contains("u.toml:4:12: rule \"a\": unknown severity")
    );
}

#[test]
fn zone_clauses_are_checked() {
    let base = "[[rule]]\nid = \"a\"\ntitle_zh = \"x\"\nseverity = \"violation\"\nsite_roles = [\"boiler\"]\n[rule.zone]\n";
    let bad = [
        (
            "role = \"coal_ban_zone\"\nlevels = [\"level1\"]\n",
            "water_zone only",
        ),
        (
            "role = \"water_zone\"\nlevels = [\"level9\"]\n",
            "unknown level",
        ),
        ("role = \"water_zone\"\ndistance_m = 50\n", "only goes with"),
        (
            "role = \"water_zone\"\npredicate = \"within_distance\"\ndistance_m = -1\n",
            "positive",
        ),
        (
            "role = \"water_zone\"\npredicate = \"touches\"\n",
            "unknown predicate",
        ),
    ];
    for (zone, needle) in bad {
        let err = parse_rules(&format!("{base}{zone}"), "z.toml").unwrap_err();
        assert!(err.to_string().contains(needle), "{zone}: {err}");
    }
    let ok = parse_rules(
        &format!("{base}role = \"water_zone\"\nlevels = [\"一级\", \"level2\"]\n"),
        "z.toml",
    )
    .unwrap();
    let levels = ok.rules[0].zone.as_ref().and_then(|z| z.levels.clone());
    assert_eq!(levels, Some(vec![ZoneLevel::Level1, ZoneLevel::Level2]));
}

#[test]
fn missing_values_fail_conditions_unless_the_rule_says_otherwise() {
    let text = r#"
[[rule]]
id = "strict"
title_zh = "x"
severity = "violation"
site_roles = ["boiler"]
conditions = [ { field = "status", op = "not_in", values = ["eliminated"] } ]

[[rule]]
id = "lenient"
title_zh = "x"
severity = "violation"
site_roles = ["boiler"]
conditions = [ { field = "status", op = "not_in", values = ["eliminated"], when_missing = "match" } ]

[[rule]]
id = "absent"
title_zh = "x"
severity = "needs_review"
site_roles = ["boiler"]
conditions = [ { field = "status", op = "is_missing" } ]
"#;
    let set = parse_rules(text, "m.toml").unwrap();
    let blank = values(&[(F::SiteName, "某单位")]);
    let rec = SiteRecord {
        role: LayerRole::Boiler,
        canonical: &blank,
    };
    let fired: Vec<&str> = evaluate_site(&set, &rec, &[])
        .into_iter()
        .map(|h| h.rule_id)
        .collect();
    assert_eq!(fired, vec!["lenient", "absent"]);
}

#[test]
fn a_disabled_rule_never_fires_and_needs_no_distance() {
    let text = r#"
[[rule]]
id = "near"
title_zh = "x"
severity = "needs_review"
site_roles = ["boiler"]
enabled = false
[rule.zone]
role = "water_zone"
predicate = "within_distance"
distance_m = 200
"#;
    let set = parse_rules(text, "d.toml").unwrap();
    assert_eq!(rules_needing_distance(&set), None);
    let v = values(&[]);
    let rec = SiteRecord {
        role: LayerRole::Boiler,
        canonical: &v,
    };
    let z = [zone(
        LayerRole::WaterZone,
        None,
        ZoneRelation::Outside,
        10.0,
    )];
    assert!(evaluate_site(&set, &rec, &z).is_empty());
    assert_eq!(rules_needing_distance(&RuleSet::default()), None);
}

// ---- mapping guesses -------------------------------------------------------------

#[test]
fn a_boiler_ledger_header_maps_to_canonical_fields() {
    let header = names(&[
        "序号",
        "市",
        "县区",
        "乡镇",
        "单位名称",
        "统一社会信用代码",
        "地址",
        "经度",
        "纬度",
        "锅炉台数",
        "锅炉编号",
        "型号",
        "蒸汽/热水",
        "额定蒸发量（t/h）",
        "额定功率（MW）",
        "燃料类型",
        "用途",
        "是否在建成区",
        "是否在禁煤区",
        "淘汰方式",
        "计划完成时间",
        "实际完成时间",
        "状态",
        "备注",
    ]);
    let m = guess_mapping(LayerRole::Boiler, &header);
    let src = |f| m.source_of(f);
    assert_eq!(src(F::City), Some("市"));
    assert_eq!(src(F::County), Some("县区"));
    assert_eq!(src(F::SiteName), Some("单位名称"));
    assert_eq!(src(F::CreditCode), Some("统一社会信用代码"));
    assert_eq!(src(F::SiteCode), Some("锅炉编号"));
    assert_eq!(src(F::CapacityTph), Some("额定蒸发量（t/h）"));
    assert_eq!(src(F::CapacityMw), Some("额定功率（MW）"));
    assert_eq!(m.entries[&F::CapacityMw].unit, Some(Unit::Mw));
    assert_eq!(m.entries[&F::CapacityTph].unit, Some(Unit::Tph));
    assert_eq!(src(F::Fuel), Some("燃料类型"));
    assert_eq!(src(F::Status), Some("状态"));
    assert_eq!(src(F::InBuiltUp), Some("是否在建成区"));
    assert_eq!(src(F::BoilerMedium), Some("蒸汽/热水"));
    assert_eq!(src(F::Remarks), Some("备注"));
    assert!(matches!(
        &m.entries[&F::CapacityTph].how,
        MapHow::Guessed { kind: MatchKind::Normalised, synonym } if synonym == "额定蒸发量"
    ));
    assert!(matches!(
        &m.entries[&F::Fuel].how,
        MapHow::Guessed {
            kind: MatchKind::Exact,
            ..
        }
    ));
    // Columns appear once at most.
    let mut used: Vec<&str> = m
        .entries
        .values()
        .map(|e| e.source_field.as_str())
        .collect();
    let before = used.len();
    used.sort();
    used.dedup();
    assert_eq!(used.len(), before);
    assert!(m.describe().iter().any(|l| l.contains("燃料类型")));
}

#[test]
fn other_offices_spellings_map_too() {
    let m = guess_mapping(
        LayerRole::Boiler,
        &names(&[
            "NAME",
            "县(市、区)",
            "RLLX",
            " 容量(MW) ",
            "运行状态",
            "所属行业",
        ]),
    );
    assert_eq!(m.source_of(F::SiteName), Some("NAME"));
    assert_eq!(m.source_of(F::County), Some("县(市、区)"));
    assert_eq!(m.source_of(F::Fuel), Some("RLLX"));
    assert_eq!(m.source_of(F::CapacityTph), Some(" 容量(MW) "));
    assert_eq!(m.entries[&F::CapacityTph].unit, Some(Unit::Mw));
    assert_eq!(m.source_of(F::Status), Some("运行状态"));
    assert_eq!(m.source_of(F::Industry), Some("所属行业"));
}

#[test]
fn a_scattered_polluting_list_maps_and_its_name_sets_the_flag() {
    let header = names(&[
        "序号",
        "县区",
        "企业名称",
        "行业",
        "整治类型",
        "责任单位",
        "责任人",
        "时限",
        "是否完成",
    ]);
    let m = guess_mapping_for_layer(LayerRole::Enterprise, "2019年散乱污企业清单", &header);
    assert_eq!(m.source_of(F::Industry), Some("行业"));
    assert_eq!(m.source_of(F::RemediationType), Some("整治类型"));
    assert_eq!(m.source_of(F::ResponsibleUnit), Some("责任单位"));
    assert_eq!(m.source_of(F::PlannedDate), Some("时限"));
    assert_eq!(m.source_of(F::Rectified), Some("是否完成"));
    assert_eq!(
        m.constants.get(&F::ScatteredPolluting).map(String::as_str),
        Some("是")
    );
}

#[test]
fn a_water_zone_shapefile_header_maps_including_truncated_dbf_names() {
    // GBK DBF names are cut at 10 bytes (5 Chinese characters).
    let header = names(&[
        "水源地名称",
        "水源地编码",
        "XZQDM",
        "保护区级别",
        "水域陆域",
        "面积",
        "批复文号",
    ]);
    let m = guess_mapping(LayerRole::WaterZone, &header);
    assert_eq!(m.source_of(F::SourceName), Some("水源地名称"));
    assert_eq!(m.source_of(F::SourceCode), Some("水源地编码"));
    assert_eq!(m.source_of(F::CountyCode), Some("XZQDM"));
    assert_eq!(m.source_of(F::ZoneLevel), Some("保护区级别"));
    assert_eq!(m.source_of(F::ZonePart), Some("水域陆域"));
    assert_eq!(m.source_of(F::ApprovalNo), Some("批复文号"));
    // Site fields are not guessed for zones.
    assert_eq!(m.source_of(F::SiteName), None);
    let m = guess_mapping(LayerRole::Boiler, &names(&["统一社会信", "额定蒸发"]));
    assert_eq!(m.source_of(F::CreditCode), Some("统一社会信"));
}

#[test]
fn roles_are_guessed_from_names_columns_and_geometry() {
    let none: Vec<String> = Vec::new();
    let g = |name: &str, kind| guess_role(name, &none, kind);
    assert_eq!(
        g("汾河水库饮用水水源保护区", GeometryKind::Polygon),
        Some(LayerRole::WaterZone)
    );
    assert_eq!(
        g("太原市禁煤区", GeometryKind::Polygon),
        Some(LayerRole::CoalBanZone)
    );
    assert_eq!(
        g("高污染燃料禁燃区", GeometryKind::Polygon),
        Some(LayerRole::CoalBanZone)
    );
    assert_eq!(
        g("县城建成区", GeometryKind::Polygon),
        Some(LayerRole::BuiltUpArea)
    );
    assert_eq!(
        g("禁煤区锅炉台账", GeometryKind::Point),
        Some(LayerRole::Boiler)
    );
    assert_eq!(
        g("散乱污企业", GeometryKind::Point),
        Some(LayerRole::Enterprise)
    );
    assert_eq!(
        g("入河排污口", GeometryKind::Point),
        Some(LayerRole::Outfall)
    );
    assert_eq!(
        g("施工工地", GeometryKind::Point),
        Some(LayerRole::OtherSites)
    );
    assert_eq!(g("地块", GeometryKind::Polygon), None);
    assert_eq!(g("锅炉台账", GeometryKind::None), None);
    let cols = names(&["单位名称", "燃料类型", "额定蒸发量"]);
    assert_eq!(
        guess_role("台账", &cols, GeometryKind::Point),
        Some(LayerRole::Boiler)
    );
    let cols = names(&["名称", "保护区级别"]);
    assert_eq!(
        guess_role("shp001", &cols, GeometryKind::Polygon),
        Some(LayerRole::WaterZone)
    );
}

// ---- canonical values from a layer ---------------------------------------------------

fn boiler_layer(rows: Vec<Vec<Value>>) -> Layer {
    let fields = [
        "单位名称",
        "统一社会信用代码",
        "县区",
        "燃料类型",
        "额定功率(MW)",
        "状态",
    ];
    Layer {
        name: "锅炉台账".into(),
        source: PathBuf::from("锅炉台账.xlsx"),
        format: SourceFormat::Xlsx,
        geometry_kind: GeometryKind::Point,
        has_z: false,
        crs: CrsInfo {
            crs: None,
            source: CrsSource::User,
        },
        encoding: None,
        fields: fields
            .iter()
            .map(|n| FieldDef {
                name: n.to_string(),
                kind: FieldKind::Text,
            })
            .collect(),
        features: rows
            .into_iter()
            .enumerate()
            .map(|(i, attrs)| Feature {
                fid: i as u64,
                geometry: None,
                attrs,
            })
            .collect(),
        problems: Vec::new(),
        deferred: None,
    }
}

fn row(name: &str, code: &str, fuel: &str, mw: Value) -> Vec<Value> {
    vec![
        Value::Text(name.into()),
        if code.is_empty() {
            Value::Null
        } else {
            Value::Text(code.into())
        },
        Value::Text("小店区".into()),
        Value::Text(fuel.into()),
        mw,
        Value::Null,
    ]
}

#[test]
fn canonical_values_read_a_layer_with_units_and_report_bad_cells() {
    let layer = boiler_layer(vec![
        row("甲厂", "91140100MA0000001X", "原煤", Value::Float(7.0)),
        row("乙厂", "", "煤炭？", Value::Text("两台".into())),
    ]);
    let field_names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
    let mapping = guess_mapping(LayerRole::Boiler, &field_names);
    let first = canonical_values(&layer, &mapping, 0);
    assert_eq!(first.name(), Some("甲厂"));
    assert_eq!(first.fuel(), Some(rules::Fuel::Coal));
    assert_eq!(first.capacity_tph(), Some(10.0));
    assert_eq!(first.status(), None);
    assert!(first.problems.is_empty());
    let second = canonical_values(&layer, &mapping, 1);
    assert_eq!(second.fuel(), Some(rules::Fuel::Coal));
    assert_eq!(second.capacity_tph(), None);
    assert_eq!(second.problems.len(), 1);
    let p = &second.problems[0];
    assert_eq!(p.record, Some(1));
    assert_eq!(p.field.as_deref(), Some("额定功率(MW)"));
    assert!(p.to_string().contains("两台"), "{p}");
    let past_end = canonical_values(&layer, &mapping, 9);
    assert_eq!(past_end.problems.len(), 1);
    let mut stale = mapping.clone();
    stale.set_user(F::Industry, "行业", None);
    assert_eq!(rules::check_mapping(&layer, &stale).len(), 1);
}

// ---- finding ids ------------------------------------------------------------------

#[test]
fn finding_ids_are_stable_and_distinguish_rules_sites_and_zones() {
    let a = finding_id(
        "water-level1",
        "role:boiler",
        "cc:X",
        Some("role:water_zone"),
        Some("zn:A"),
    );
    assert_eq!(
        a,
        finding_id(
            "water-level1",
            "role:boiler",
            "cc:X",
            Some("role:water_zone"),
            Some("zn:A")
        )
    );
    assert_ne!(
        a,
        finding_id(
            "water-level2-coal-boiler",
            "role:boiler",
            "cc:X",
            Some("role:water_zone"),
            Some("zn:A")
        )
    );
    assert_ne!(
        a,
        finding_id(
            "water-level1",
            "role:boiler",
            "cc:Y",
            Some("role:water_zone"),
            Some("zn:A")
        )
    );
    assert_ne!(
        a,
        finding_id(
            "water-level1",
            "role:boiler",
            "cc:X",
            Some("role:water_zone"),
            Some("zn:B")
        )
    );
    assert_ne!(
        a,
        finding_id("water-level1", "role:boiler", "cc:X", None, None)
    );
    // Pinned: a change here would orphan every stored review decision.
    assert_eq!(
        finding_id("r", "l", "k", None, None),
        finding_id("r", "l", "k", None, None)
    );
    assert_eq!(
        finding_id(
            "water-level1",
            "boilers",
            "fid:3",
            Some("zones"),
            Some("fid:0")
        )
        .len(),
        18
    );
}

#[test]
fn reordered_records_keep_their_finding_ids_when_credit_codes_are_mapped() {
    let layer = boiler_layer(vec![
        row("甲厂", "91140100MA0000001X", "原煤", Value::Float(2.0)),
        row("乙厂", "91140100MA0000002Y", "原煤", Value::Float(3.0)),
        row("丙厂", "", "原煤", Value::Float(4.0)),
    ]);
    let reordered = boiler_layer(vec![
        row("丙厂", "", "原煤", Value::Float(4.0)),
        row("乙厂", "91140100MA0000002Y", "原煤", Value::Float(3.0)),
        row("新厂", "91140100MA0000003Z", "原煤", Value::Float(1.0)),
        row("甲厂", "91140100MA0000001X", "原煤", Value::Float(2.0)),
    ]);
    let ids = |layer: &Layer| -> Vec<(String, String)> {
        let names: Vec<String> = layer.fields.iter().map(|f| f.name.clone()).collect();
        let mapping = guess_mapping(LayerRole::Boiler, &names);
        let values = canonical_values_all(layer, &mapping);
        let keys = layer_keys(values.iter().enumerate().map(|(i, v)| (i as u64, v)));
        let zone_key = rules::record_key(&values_zone(), 0);
        values
            .iter()
            .zip(&keys)
            .map(|(v, k)| {
                let id = finding_id_for(
                    "boiler-elimination",
                    (&layer.name, LayerRole::Boiler, k),
                    Some(("建成区", LayerRole::BuiltUpArea, &zone_key)),
                );
                (v.name().unwrap_or_default().to_string(), id)
            })
            .collect()
    };
    let before = ids(&layer);
    let after = ids(&reordered);
    for name in ["甲厂", "乙厂", "丙厂"] {
        let b = before.iter().find(|(n, _)| n == name).map(|(_, id)| id);
        let a = after.iter().find(|(n, _)| n == name).map(|(_, id)| id);
        assert_eq!(a, b, "{name}");
    }
    let mut all: Vec<&String> = after.iter().map(|(_, id)| id).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
}

fn values_zone() -> CanonicalValues {
    values(&[(F::ZoneName, "城区建成区")])
}

#[test]
fn duplicate_keys_in_one_layer_are_told_apart() {
    let a = values(&[(F::CreditCode, "91140100MA0000001X"), (F::CapacityTph, "4")]);
    let b = values(&[(F::CreditCode, "91140100MA0000001X"), (F::CapacityTph, "6")]);
    let c = values(&[(F::CreditCode, "91140100MA0000001X"), (F::CapacityTph, "6")]);
    let keys = layer_keys([(0, &a), (1, &b), (2, &c)]);
    let mut k: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
    k.sort();
    k.dedup();
    assert_eq!(k.len(), 3);
    // Same keys whatever the order of the differing records.
    let again = layer_keys([(5, &b), (7, &a), (9, &c)]);
    assert_eq!(keys[0], again[1]);
}

#[test]
fn record_number_keys_are_scoped_by_layer_and_content_keys_by_role() {
    let anon = values(&[]);
    let key = rules::record_key(&anon, 4);
    assert_eq!(key.basis, rules::KeyBasis::RecordNumber);
    assert_eq!(key.id_scope("a.shp", LayerRole::Boiler), "a.shp");
    let named = values(&[(F::SiteName, "甲厂"), (F::County, "小店区")]);
    let key = rules::record_key(&named, 4);
    assert_eq!(key.basis, rules::KeyBasis::NameAndPlace);
    assert_eq!(key.id_scope("a.shp", LayerRole::Boiler), "role:boiler");
}

// ---- bad input never panics -----------------------------------------------------------

mod never_panics {
    use proptest::prelude::*;
    use qingling::rules::{self, CanonicalField, CanonicalValues, Unit};

    proptest! {
        #[test]
        fn normalisers_accept_any_text(s in "\\PC{0,24}") {
            let _ = rules::normalise_level(&s);
            let _ = rules::normalise_fuel(&s);
            let _ = rules::normalise_status(&s);
            let _ = rules::normalise_remediation(&s);
            let _ = rules::parse_flag(&s);
            let _ = rules::parse_capacity_tph(&s, Some(Unit::Mw));
            let _ = rules::roles::normalise_header(&s);
            let mut v = CanonicalValues::new();
            for f in CanonicalField::ALL {
                let _ = v.set_text(f, &s, None);
            }
            let _ = rules::record_key(&v, 0);
        }

        #[test]
        fn capacities_in_mw_and_t_h_agree(tph in 0.0f64..200.0) {
            let tph = (tph * 10.0).round() / 10.0;
            let mw = tph * 0.7;
            let back = rules::parse_capacity_tph(&format!("{mw}MW"), None).unwrap();
            prop_assert!((back - tph).abs() < 1e-6, "{} MW -> {} t/h, expected {}", mw, back, tph);
        }

        #[test]
        fn the_rule_parser_accepts_any_text(s in "\\PC{0,200}") {
            let _ = rules::parse_rules(&s, "fuzz.toml");
        }

        #[test]
        fn the_rule_parser_survives_mangled_built_ins(cut in 0usize..8000, insert in "\\PC{0,6}") {
            let text = rules::BUILTIN_TOML;
            let mut at = cut.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mangled = format!("{}{}{}", &text[..at], insert, &text[at..]);
            if let Err(e) = rules::parse_rules(&mangled, "m.toml") {
                for issue in e.issues() {
                    prop_assert!(issue.line >= 1 && issue.column >= 1);
                }
            }
        }
    }
}

#[test]
fn the_sample_data_headers_map_fully() {
    // Boiler ledger (XLSX).
    let boiler = names(&[
        "序号",
        "市",
        "县区",
        "单位名称",
        "统一社会信用代码",
        "地址",
        "经度",
        "纬度",
        "坐标来源",
        "锅炉编号",
        "额定蒸发量(t/h)",
        "额定功率(MW)",
        "燃料类型",
        "状态",
        "备注",
    ]);
    let m = guess_mapping(LayerRole::Boiler, &boiler);
    for (f, col) in [
        (F::City, "市"),
        (F::County, "县区"),
        (F::SiteName, "单位名称"),
        (F::CreditCode, "统一社会信用代码"),
        (F::Address, "地址"),
        (F::CoordSystem, "坐标来源"),
        (F::SiteCode, "锅炉编号"),
        (F::CapacityTph, "额定蒸发量(t/h)"),
        (F::CapacityMw, "额定功率(MW)"),
        (F::Fuel, "燃料类型"),
        (F::Status, "状态"),
        (F::Remarks, "备注"),
    ] {
        assert_eq!(m.source_of(f), Some(col), "{f}");
    }
    // 散乱污 list (GBK shapefile: 统一社会信 is cut at 10 bytes).
    let ent = names(&[
        "企业名称",
        "统一社会信",
        "行业",
        "是否散乱污",
        "整治类型",
        "整治状态",
        "县区",
    ]);
    let m = guess_mapping_for_layer(LayerRole::Enterprise, "散乱污企业", &ent);
    for (f, col) in [
        (F::SiteName, "企业名称"),
        (F::CreditCode, "统一社会信"),
        (F::Industry, "行业"),
        (F::ScatteredPolluting, "是否散乱污"),
        (F::RemediationType, "整治类型"),
        (F::Rectified, "整治状态"),
        (F::County, "县区"),
    ] {
        assert_eq!(m.source_of(f), Some(col), "{f}");
    }
    assert!(
        m.constants.is_empty(),
        "a flag column makes the name hint unnecessary"
    );
    // Outfalls (CSV) and zones (GeoJSON properties).
    let m = guess_mapping(
        LayerRole::Outfall,
        &names(&["排污口名称", "排污口类型", "县区", "经度", "纬度"]),
    );
    assert_eq!(m.source_of(F::SiteName), Some("排污口名称"));
    let m = guess_mapping(
        LayerRole::CoalBanZone,
        &names(&["名称", "类型", "城市", "县区", "划定年份"]),
    );
    assert_eq!(m.source_of(F::ZoneName), Some("名称"));
    assert_eq!(m.source_of(F::City), Some("城市"));
}

#[test]
fn sites_whose_zone_hits_no_rule_can_use_are_not_read() {
    let set = rules::builtin();
    let levels = [
        None,
        Some(ZoneLevel::Level1),
        Some(ZoneLevel::Level2),
        Some(ZoneLevel::Quasi),
    ];
    let mut hits = Vec::new();
    for role in [
        LayerRole::WaterZone,
        LayerRole::CoalBanZone,
        LayerRole::BuiltUpArea,
    ] {
        for level in levels {
            for (location, distance) in [
                (ZoneRelation::Inside, -10.0),
                (ZoneRelation::OnBoundary, 0.0),
                (ZoneRelation::Outside, 30.0),
                (ZoneRelation::Outside, 80.0),
            ] {
                hits.push(zone(role, level, location, distance));
            }
        }
    }
    let sites = [
        coal_boiler("5"),
        coal_boiler(""),
        values(&[
            (F::SiteName, "化工厂"),
            (F::Industry, "化学原料"),
            (F::Fuel, "原煤"),
        ]),
        values(&[(F::SiteName, "小作坊"), (F::ScatteredPolluting, "是")]),
        values(&[(F::SiteName, "某厂"), (F::Status, "已拆除")]),
    ];
    let site_roles = [
        LayerRole::Boiler,
        LayerRole::Enterprise,
        LayerRole::Outfall,
        LayerRole::OtherSites,
    ];
    let mut skipped = 0;
    // Every single hit and every pair: when no rule's zone part can use the hits,
    // no site of that role, whatever its attributes, gets a finding.
    for (i, a) in hits.iter().enumerate() {
        for b in hits[i..].iter() {
            for zones in [vec![a.clone()], vec![a.clone(), b.clone()]] {
                for role in site_roles {
                    if may_fire(&set, role, &zones) {
                        continue;
                    }
                    skipped += 1;
                    for site in &sites {
                        let record = SiteRecord {
                            role,
                            canonical: site,
                        };
                        assert!(evaluate_site(&set, &record, &zones).is_empty());
                    }
                }
            }
        }
    }
    assert!(skipped > 0);
    // A boiler inside a quasi-protection zone breaks no rule; inside level 1 it may.
    let quasi = [water(ZoneLevel::Quasi)];
    assert!(!may_fire(&set, LayerRole::Boiler, &quasi));
    assert!(may_fire(
        &set,
        LayerRole::Boiler,
        &[water(ZoneLevel::Level1)]
    ));
    // An enterprise may always be a 散乱污 one, near a zone or not.
    assert!(may_fire(&set, LayerRole::Enterprise, &quasi));
    assert!(may_fire(&set, LayerRole::Enterprise, &[]));
}
