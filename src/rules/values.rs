//! Normalisation of attribute values as the county offices write them.
//!
//! Ledgers spell the same thing many ways: `一级`, `一级保护区`, `Ⅰ`, `1` are one zone
//! level; `燃煤`, `原煤`, `烟煤` one fuel; `已拆除`, `煤改电`, `集中供热` one status. The
//! functions here turn such text into closed enums (or a number in t/h for capacities)
//! and return `None` when the text cannot be read with confidence, so the caller can
//! report the value instead of guessing.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Drinking-water source protection zone level (保护区级别).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    /// 一级保护区, the strictest.
    Level1,
    /// 二级保护区.
    Level2,
    /// 准保护区.
    Quasi,
}

impl ZoneLevel {
    /// All levels, strictest first.
    pub const ALL: [ZoneLevel; 3] = [ZoneLevel::Level1, ZoneLevel::Level2, ZoneLevel::Quasi];

    /// Machine name used in rule files (`level1`, `level2`, `quasi`).
    pub fn code(self) -> &'static str {
        match self {
            ZoneLevel::Level1 => "level1",
            ZoneLevel::Level2 => "level2",
            ZoneLevel::Quasi => "quasi",
        }
    }
    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            ZoneLevel::Level1 => "一级保护区",
            ZoneLevel::Level2 => "二级保护区",
            ZoneLevel::Quasi => "准保护区",
        }
    }
    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            ZoneLevel::Level1 => "level 1",
            ZoneLevel::Level2 => "level 2",
            ZoneLevel::Quasi => "quasi-zone",
        }
    }
    /// Whether `self` is at least as strict as `other` (level 1 is the strictest).
    pub fn at_least_as_strict_as(self, other: ZoneLevel) -> bool {
        self <= other
    }
}

/// Boiler or stove fuel (燃料类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fuel {
    /// 燃煤: raw coal of any rank.
    Coal,
    /// 天然气, 煤气, 液化气, 沼气 ...
    Gas,
    /// 电, including heat pumps.
    Electric,
    /// 柴油, 重油 ...
    Oil,
    /// 生物质.
    Biomass,
    /// 洁净型煤, 兰炭, 水煤浆: still solid coal products. Switching to these does NOT
    /// count as eliminating a coal boiler.
    CleanCoal,
    /// 其他 (waste heat, solar, geothermal, ...).
    Other,
}

impl Fuel {
    /// All fuels.
    pub const ALL: [Fuel; 7] = [
        Fuel::Coal,
        Fuel::Gas,
        Fuel::Electric,
        Fuel::Oil,
        Fuel::Biomass,
        Fuel::CleanCoal,
        Fuel::Other,
    ];
    /// Machine name used in rule files (`coal`, `clean_coal`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Fuel::Coal => "coal",
            Fuel::Gas => "gas",
            Fuel::Electric => "electric",
            Fuel::Oil => "oil",
            Fuel::Biomass => "biomass",
            Fuel::CleanCoal => "clean_coal",
            Fuel::Other => "other",
        }
    }
    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Fuel::Coal => "燃煤",
            Fuel::Gas => "燃气",
            Fuel::Electric => "电",
            Fuel::Oil => "燃油",
            Fuel::Biomass => "生物质",
            Fuel::CleanCoal => "洁净型煤/兰炭/水煤浆",
            Fuel::Other => "其他",
        }
    }
}

/// Whether a site (boiler, enterprise, ...) is still there. For boilers
/// `Eliminated` is 已淘汰: demolished, or switched to central heating, gas or
/// electricity; for enterprises it is closed (关停/取缔).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// 在用 / 在产.
    InUse,
    /// 停用 / 停产: stopped but still standing, so not eliminated.
    Stopped,
    /// 已淘汰 / 已拆除 / 已关停取缔.
    Eliminated,
}

/// The name the campaign uses for boilers.
pub type BoilerStatus = SiteStatus;

impl SiteStatus {
    /// All statuses.
    pub const ALL: [SiteStatus; 3] = [
        SiteStatus::InUse,
        SiteStatus::Stopped,
        SiteStatus::Eliminated,
    ];
    /// Machine name used in rule files (`in_use`, `stopped`, `eliminated`).
    pub fn code(self) -> &'static str {
        match self {
            SiteStatus::InUse => "in_use",
            SiteStatus::Stopped => "stopped",
            SiteStatus::Eliminated => "eliminated",
        }
    }
    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            SiteStatus::InUse => "在用",
            SiteStatus::Stopped => "停用",
            SiteStatus::Eliminated => "已淘汰",
        }
    }
}

/// How a 散乱污 enterprise is dealt with (整治类型).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationType {
    /// 关停取缔.
    Shutdown,
    /// 整合搬迁.
    Relocate,
    /// 升级改造.
    Upgrade,
}

impl RemediationType {
    /// All remediation types.
    pub const ALL: [RemediationType; 3] = [
        RemediationType::Shutdown,
        RemediationType::Relocate,
        RemediationType::Upgrade,
    ];
    /// Machine name used in rule files (`shutdown`, `relocate`, `upgrade`).
    pub fn code(self) -> &'static str {
        match self {
            RemediationType::Shutdown => "shutdown",
            RemediationType::Relocate => "relocate",
            RemediationType::Upgrade => "upgrade",
        }
    }
    /// Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            RemediationType::Shutdown => "关停取缔",
            RemediationType::Relocate => "整合搬迁",
            RemediationType::Upgrade => "升级改造",
        }
    }
}

/// A boiler capacity unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 蒸吨 per hour (t/h), steam boilers.
    Tph,
    /// Megawatt of heat output, hot-water boilers.
    Mw,
    /// Kilowatt.
    Kw,
    /// 万大卡/小时 (10⁴ kcal/h); 60 万大卡 ≈ 1 t/h.
    TenThousandKcal,
}

impl Unit {
    /// Display text of the unit.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Tph => "t/h",
            Unit::Mw => "MW",
            Unit::Kw => "kW",
            Unit::TenThousandKcal => "万大卡/h",
        }
    }

    /// Converts a value in this unit to t/h, rounded to 1e-9 so that the textbook
    /// equivalences hold exactly (7 MW == 10 t/h, 24.5 MW == 35 t/h).
    pub fn to_tph(self, v: f64) -> f64 {
        let tph = match self {
            Unit::Tph => v,
            Unit::Mw => v / MW_PER_TPH,
            Unit::Kw => v / 1000.0 / MW_PER_TPH,
            Unit::TenThousandKcal => v / TEN_THOUSAND_KCAL_PER_TPH,
        };
        round_1e9(tph)
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// 1 t/h of steam ≈ 0.7 MW of heat (the campaign's conversion).
pub const MW_PER_TPH: f64 = 0.7;
/// 1 t/h ≈ 60 万大卡/h.
pub const TEN_THOUSAND_KCAL_PER_TPH: f64 = 60.0;

/// Rounds to 9 decimals, removing the float noise of unit conversions.
pub fn round_1e9(v: f64) -> f64 {
    if !v.is_finite() {
        return v;
    }
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// Folds text for matching: full-width ASCII to half-width, ideographic space to
/// space, Roman numeral characters to Latin letters, lowercase, trimmed.
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_each(s, true, |c| out.push(c));
    out.trim().to_string()
}

/// [`fold_text`] and then all whitespace removed: the form values are compared in.
/// One pass and one allocation: it runs for several columns of every record.
pub fn compact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_each(s, false, |c| out.push(c));
    out
}

/// Calls `push` with each folded character of `s` in order (whitespace only when
/// `keep_space`): [`compact`] without building the string, for callers that hash or
/// transform the characters further.
pub fn fold_each(s: &str, keep_space: bool, mut push: impl FnMut(char)) {
    for c in s.chars() {
        fold_char(c, keep_space, &mut push);
    }
}

/// [`fold_each`] for one character: folding is character by character, so text
/// decoded a character at a time folds the same.
#[inline]
pub fn fold_char(c: char, keep_space: bool, mut push: impl FnMut(char)) {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '【' | '〔' => '[',
        '】' | '〕' => ']',
        _ => c,
    };
    match c {
        'Ⅰ' | 'ⅰ' => push('i'),
        'Ⅱ' | 'ⅱ' => "ii".chars().for_each(&mut push),
        'Ⅲ' | 'ⅲ' => "iii".chars().for_each(&mut push),
        _ if c.is_ascii() => {
            if keep_space || !c.is_whitespace() {
                push(c.to_ascii_lowercase());
            }
        }
        _ if is_caseless_ideograph(c) => push(c),
        _ => c
            .to_lowercase()
            .filter(|l| keep_space || !l.is_whitespace())
            .for_each(&mut push),
    }
}

/// Whether `c` is a CJK ideograph: no case, not whitespace, so folding keeps it as
/// it is (a fast path: names and places are mostly made of these).
pub fn is_caseless_ideograph(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

/// Reads a protection-zone level: `一级`, `一级保护区`, `一级区`, `一级陆域`, `1`, `I`,
/// `Ⅰ`, `level1` (and the same for 二级), `准保护区`, `准`, `3`, `III`, `三级`. Also finds
/// the level inside a longer name such as `某水源地一级保护区`. `None` when there is
/// no level or more than one.
pub fn normalise_level(text: &str) -> Option<ZoneLevel> {
    let t = compact(text);
    let t = t
        .trim_end_matches("范围")
        .trim_end_matches("陆域")
        .trim_end_matches("水域")
        .trim_end_matches("保护区")
        .trim_end_matches('区')
        .trim_end_matches("保护");
    match t {
        "1" | "i" | "一" | "一级" | "1级" | "i级" | "level1" | "levelone" | "first" | "l1" => {
            return Some(ZoneLevel::Level1);
        }
        "2" | "ii" | "二" | "二级" | "2级" | "ii级" | "level2" | "leveltwo" | "second" | "l2" =>
        {
            return Some(ZoneLevel::Level2);
        }
        "3" | "iii" | "三" | "三级" | "3级" | "iii级" | "准" | "准级" | "准保护" | "quasi"
        | "level3" | "l3" => return Some(ZoneLevel::Quasi),
        _ => {}
    }
    // A level inside a longer text: exactly one kind must occur.
    let one = t.contains("一级") || t.contains("i级");
    let two = t.contains("二级") || t.contains("ii级");
    let quasi = t.contains("准保护") || t.contains("准级");
    match (one, two, quasi) {
        (true, false, false) => Some(ZoneLevel::Level1),
        (false, true, false) => Some(ZoneLevel::Level2),
        (false, false, true) => Some(ZoneLevel::Quasi),
        _ => None,
    }
}

/// Reads a fuel: `燃煤`, `煤`, `原煤`, `烟煤`, `无烟煤`, `coal` → coal; `洁净型煤`, `兰炭`,
/// `水煤浆` → clean coal; `天然气`, `煤气`, `LNG` → gas; `电`, `热泵` → electric; and so
/// on. A conversion such as `煤改气` reads as the fuel after `改`. `None` when the
/// text names no fuel.
pub fn normalise_fuel(text: &str) -> Option<Fuel> {
    let t = compact(text);
    if t.is_empty() {
        return None;
    }
    // "煤改气", "燃煤改电": what burns now is what follows the last 改.
    let t = match t.rfind('改') {
        Some(i) if i + '改'.len_utf8() < t.len() => &t[i + '改'.len_utf8()..],
        _ => t.as_str(),
    };
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "型煤",
        "兰炭",
        "水煤浆",
        "洁净煤",
        "清洁煤",
        "半焦",
        "briquette",
        "semi-coke",
    ]) {
        return Some(Fuel::CleanCoal);
    }
    // Words that would otherwise read as electricity or gas.
    if has(&["电煤", "动力煤"]) {
        return Some(Fuel::Coal);
    }
    if has(&["蒸汽", "集中供热", "热网", "余热"]) {
        return Some(Fuel::Other);
    }
    if has(&["热泵", "空气源", "地源", "水源热", "电", "electric"]) {
        return Some(Fuel::Electric);
    }
    if has(&[
        "天然气",
        "燃气",
        "煤气",
        "煤层气",
        "液化气",
        "液化石油",
        "沼气",
        "lng",
        "cng",
        "lpg",
        "gas",
        "气",
    ]) {
        return Some(Fuel::Gas);
    }
    if has(&["生物质", "秸秆", "木", "颗粒", "biomass", "pellet", "wood"]) {
        return Some(Fuel::Biomass);
    }
    if has(&["油", "oil", "diesel"]) {
        return Some(Fuel::Oil);
    }
    if has(&["煤", "coal", "焦炭"]) {
        return Some(Fuel::Coal);
    }
    if has(&["其他", "其它", "余热", "太阳能", "地热", "other"]) {
        return Some(Fuel::Other);
    }
    None
}

/// Reads a site status. Eliminated: `已淘汰`, `拆除`, `已拆除`, `改电`, `煤改电`, `煤改气`,
/// `集中供热`, `已改造(清洁能源)`, `关停`, `取缔`; in use: `在用`, `使用中`, `在产`, and any
/// not-yet form (`未淘汰`, `拟淘汰`, `计划拆除`) or a switch to clean coal (`改型煤`,
/// which does not count as eliminated); stopped: `停用`, `停产`. Bool-ish answers
/// (`是`/`否`, for columns such as 是否淘汰) read as eliminated / in use. `None` when
/// unclear (e.g. a bare `已改造`).
pub fn normalise_status(text: &str) -> Option<SiteStatus> {
    let t = compact(text);
    if t.is_empty() {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    // Switched to clean coal products: the boiler still burns coal (DOMAIN.md).
    if has(&["型煤", "兰炭", "水煤浆", "洁净煤", "清洁煤"]) {
        return Some(SiteStatus::InUse);
    }
    // Not done yet: "未淘汰", "拟拆除", "计划淘汰", "待关停", "淘汰中", "正在拆除".
    if has(&["未", "拟", "待", "计划", "正在", "尚未", "不", "中"]) && !has(&["集中供热", "已"])
    {
        if has(&[
            "停用",
            "停产",
            "停运",
            "停业",
            "未使用",
            "不使用",
            "未运行",
            "未生产",
        ]) {
            return Some(SiteStatus::Stopped);
        }
        if has(&["淘汰", "拆除", "关停", "取缔", "关闭", "改", "整治", "整改"]) {
            return Some(SiteStatus::InUse);
        }
    }
    if has(&[
        "淘汰",
        "拆除",
        "取缔",
        "关停",
        "关闭",
        "注销",
        "改电",
        "改气",
        "电代煤",
        "气代煤",
        "集中供热",
        "并网",
        "清洁能源",
        "eliminated",
        "demolished",
        "removed",
        "closed",
    ]) {
        return Some(SiteStatus::Eliminated);
    }
    if has(&[
        "停用", "停产", "停运", "停业", "备用", "闲置", "stopped", "idle",
    ]) {
        return Some(SiteStatus::Stopped);
    }
    if has(&[
        "在用", "使用", "运行", "在产", "生产", "正常", "在营", "经营", "in_use", "inuse", "active",
    ]) {
        return Some(SiteStatus::InUse);
    }
    match parse_flag(&t) {
        Some(true) => Some(SiteStatus::Eliminated),
        Some(false) => Some(SiteStatus::InUse),
        None => None,
    }
}

/// Reads a 散乱污 remediation type: `关停取缔`/`关停`/`取缔`, `整合搬迁`/`搬迁`/`整合`,
/// `升级改造`/`改造`/`提升`.
pub fn normalise_remediation(text: &str) -> Option<RemediationType> {
    let t = compact(text);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["关停", "取缔", "关闭", "shutdown"]) {
        Some(RemediationType::Shutdown)
    } else if has(&["搬迁", "整合", "relocat"]) {
        Some(RemediationType::Relocate)
    } else if has(&["改造", "提升", "升级", "整改", "upgrade"]) {
        Some(RemediationType::Upgrade)
    } else {
        None
    }
}

/// Reads a yes/no answer: `是`/`否`, `Y`/`N`, `√`/`×`, `1`/`0`, `有`/`无`, `true`/`false`.
pub fn parse_flag(text: &str) -> Option<bool> {
    match compact(text).as_str() {
        "是" | "y" | "yes" | "√" | "✓" | "✔" | "1" | "有" | "对" | "true" | "t" => {
            Some(true)
        }
        "否" | "n" | "no" | "×" | "x" | "✗" | "0" | "无" | "不是" | "false" | "f" => {
            Some(false)
        }
        _ => None,
    }
}

/// Reads a 散乱污 flag: any [`parse_flag`] answer, or a category text (a `类型`
/// column): `散乱污`/`散乱污企业` → true, `非散乱污` → false, any other category → false.
pub fn parse_scattered_flag(text: &str) -> Option<bool> {
    if let Some(b) = parse_flag(text) {
        return Some(b);
    }
    let t = compact(text);
    if t.is_empty() {
        return None;
    }
    if t.contains("散乱污") {
        let negated = ["非", "不", "否"].iter().any(|n| t.starts_with(n));
        return Some(!negated);
    }
    Some(false)
}

/// Reads whether a problem's fix is done (是否完成, 整改进展): `是`/`已完成`/`完成`/`已销号`/
/// `已整改` → true; `否`/`未完成`/`整改中`/`推进中`/`未销号` → false.
pub fn parse_done_flag(text: &str) -> Option<bool> {
    if let Some(b) = parse_flag(text) {
        return Some(b);
    }
    let t = compact(text);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&["未", "中", "待", "尚", "没有", "not"]) {
        return Some(false);
    }
    if has(&[
        "完成",
        "销号",
        "已整改",
        "已整治",
        "已关停",
        "已取缔",
        "done",
        "complete",
    ]) {
        return Some(true);
    }
    None
}

/// A capacity read from text: `4t/h`, `4吨`, `10蒸吨`, `2.8MW`, `700kW`, `60万大卡`, or a
/// bare number in `column_unit` (the unit the column header names, t/h by default).
/// A unit written in the value overrides the column's. Returns t/h, or `None` for
/// text that is not one capacity (e.g. `2×4t/h`, which is two boilers).
pub fn parse_capacity_tph(text: &str, column_unit: Option<Unit>) -> Option<f64> {
    let t = compact(text);
    let (number, rest) = leading_number(&t)?;
    let rest = rest
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']'])
        .trim();
    let unit = if rest.is_empty() {
        column_unit.unwrap_or(Unit::Tph)
    } else {
        unit_from_text(rest)?
    };
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    Some(unit.to_tph(number))
}

/// The unit a text names (`t/h`, `蒸吨`, `吨`, `MW`, `兆瓦`, `kW`, `万大卡`), also when the
/// text is a column header suffix such as `额定功率(MW)`.
pub fn unit_from_text(text: &str) -> Option<Unit> {
    let t = compact(text);
    let t = t
        .trim_start_matches(['(', '[', '/'])
        .trim_end_matches([')', ']']);
    match t {
        "t/h" | "t" | "th" | "t/hr" | "吨" | "吨/时" | "吨/小时" | "吨/h" | "蒸吨" | "蒸吨/时"
        | "蒸吨/小时" | "蒸吨/h" | "t/小时" | "tph" => Some(Unit::Tph),
        "mw" | "兆瓦" => Some(Unit::Mw),
        "kw" | "千瓦" => Some(Unit::Kw),
        "万大卡" | "万大卡/h" | "万大卡/时" | "万大卡/小时" | "万千卡" | "万kcal" | "万kcal/h" => {
            Some(Unit::TenThousandKcal)
        }
        _ => None,
    }
}

/// Splits `"2.8mw"` into `(2.8, "mw")`. Only one number is allowed.
fn leading_number(t: &str) -> Option<(f64, &str)> {
    let end = t
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(t.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let number: f64 = t[..end].parse().ok()?;
    let rest = &t[end..];
    if rest.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((number, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_is_fold_text_without_whitespace() {
        for s in [
            "",
            "  燃煤 ",
            "\u{3000}ＡＢＣ　ｄｅｆ\t",
            "Ⅱ级 保护区",
            "2.8 MW\u{000B}x\u{00A0}y\u{2003}z",
            "【准】保护区",
            "İSTANBUL ǅ Σ",
        ] {
            let expected: String = fold_text(s)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert_eq!(compact(s), expected, "{s:?}");
            let mut each = String::new();
            fold_each(s, true, |c| each.push(c));
            assert_eq!(each.trim(), fold_text(s), "{s:?}");
        }
    }

    #[test]
    fn zone_levels_read_in_all_common_spellings() {
        for s in [
            "一级",
            "一级保护区",
            "1",
            "I",
            "Ⅰ",
            "一级区",
            "一级陆域",
            "一级水域",
            "１",
        ] {
            assert_eq!(normalise_level(s), Some(ZoneLevel::Level1), "{s}");
        }
        for s in ["二级", "二级保护区", "2", "II", "Ⅱ", "二级水域", "level2"] {
            assert_eq!(normalise_level(s), Some(ZoneLevel::Level2), "{s}");
        }
        for s in ["准保护区", "准", "3", "III", "Ⅲ", "准保护"] {
            assert_eq!(normalise_level(s), Some(ZoneLevel::Quasi), "{s}");
        }
        assert_eq!(
            normalise_level("汾河水库县级水源地一级保护区"),
            Some(ZoneLevel::Level1)
        );
        assert_eq!(normalise_level("一级二级"), None);
        assert_eq!(normalise_level("县级"), None);
        assert_eq!(normalise_level(""), None);
    }

    #[test]
    fn coal_and_clean_coal_are_told_apart() {
        for s in [
            "燃煤",
            "煤",
            "原煤",
            "烟煤",
            "无烟煤",
            "Coal",
            "散煤",
            "燃煤锅炉",
        ] {
            assert_eq!(normalise_fuel(s), Some(Fuel::Coal), "{s}");
        }
        for s in ["洁净型煤", "兰炭", "水煤浆", "煤改型煤"] {
            assert_eq!(normalise_fuel(s), Some(Fuel::CleanCoal), "{s}");
        }
        assert_eq!(normalise_fuel("天然气"), Some(Fuel::Gas));
        assert_eq!(normalise_fuel("焦炉煤气"), Some(Fuel::Gas));
        assert_eq!(normalise_fuel("煤改气"), Some(Fuel::Gas));
        assert_eq!(normalise_fuel("煤改电"), Some(Fuel::Electric));
        assert_eq!(normalise_fuel("空气源热泵"), Some(Fuel::Electric));
        assert_eq!(normalise_fuel("柴油"), Some(Fuel::Oil));
        assert_eq!(normalise_fuel("生物质颗粒"), Some(Fuel::Biomass));
        assert_eq!(normalise_fuel("余热"), Some(Fuel::Other));
        assert_eq!(normalise_fuel("电煤"), Some(Fuel::Coal));
        assert_eq!(normalise_fuel("集中供热蒸汽"), Some(Fuel::Other));
        assert_eq!(normalise_fuel("？？"), None);
    }

    #[test]
    fn statuses_distinguish_done_from_planned_and_clean_coal() {
        for s in [
            "已淘汰",
            "拆除",
            "已拆除",
            "改电",
            "煤改电",
            "煤改气",
            "集中供热",
            "已改造(清洁能源)",
            "是",
        ] {
            assert_eq!(normalise_status(s), Some(SiteStatus::Eliminated), "{s}");
        }
        for s in [
            "在用",
            "使用中",
            "未淘汰",
            "拟淘汰",
            "计划拆除",
            "改型煤",
            "否",
            "正常生产",
        ] {
            assert_eq!(normalise_status(s), Some(SiteStatus::InUse), "{s}");
        }
        for s in ["停用", "停产", "备用"] {
            assert_eq!(normalise_status(s), Some(SiteStatus::Stopped), "{s}");
        }
        assert_eq!(normalise_status("已改造"), None);
        assert_eq!(normalise_status(""), None);
    }

    #[test]
    fn capacities_read_with_their_units() {
        assert_eq!(parse_capacity_tph("4t/h", None), Some(4.0));
        assert_eq!(parse_capacity_tph("4吨", None), Some(4.0));
        assert_eq!(parse_capacity_tph("10蒸吨", None), Some(10.0));
        assert_eq!(parse_capacity_tph("４Ｔ／Ｈ", None), Some(4.0));
        assert_eq!(parse_capacity_tph("2.8MW", None), Some(4.0));
        assert_eq!(parse_capacity_tph("7MW", None), Some(10.0));
        assert_eq!(parse_capacity_tph("24.5 MW", None), Some(35.0));
        assert_eq!(parse_capacity_tph("700kW", None), Some(1.0));
        assert_eq!(parse_capacity_tph("60万大卡", None), Some(1.0));
        // The value's unit overrides the column's.
        assert_eq!(parse_capacity_tph("4t/h", Some(Unit::Mw)), Some(4.0));
        assert_eq!(parse_capacity_tph("7", Some(Unit::Mw)), Some(10.0));
        assert_eq!(parse_capacity_tph("0.5", None), Some(0.5));
        assert_eq!(parse_capacity_tph("2×4t/h", None), None);
        assert_eq!(parse_capacity_tph("大约四吨", None), None);
        assert_eq!(parse_capacity_tph("4 furlongs", None), None);
    }

    #[test]
    fn flags_read_chinese_and_latin_answers() {
        for s in ["是", "Y", "√", "1", "yes", "Ｙ"] {
            assert_eq!(parse_flag(s), Some(true), "{s}");
        }
        for s in ["否", "N", "×", "0", "no"] {
            assert_eq!(parse_flag(s), Some(false), "{s}");
        }
        assert_eq!(parse_flag("也许"), None);
        assert_eq!(parse_scattered_flag("散乱污"), Some(true));
        assert_eq!(parse_scattered_flag("非散乱污"), Some(false));
        assert_eq!(parse_scattered_flag("重点排污单位"), Some(false));
        assert_eq!(parse_done_flag("已完成"), Some(true));
        assert_eq!(parse_done_flag("未完成"), Some(false));
        assert_eq!(parse_done_flag("整改中"), Some(false));
    }

    #[test]
    fn remediation_types_read() {
        assert_eq!(
            normalise_remediation("关停取缔"),
            Some(RemediationType::Shutdown)
        );
        assert_eq!(
            normalise_remediation("整合搬迁"),
            Some(RemediationType::Relocate)
        );
        assert_eq!(
            normalise_remediation("升级改造"),
            Some(RemediationType::Upgrade)
        );
        assert_eq!(normalise_remediation("其他"), None);
    }
}
