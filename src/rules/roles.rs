//! Layer roles, canonical fields, and the mapping of an office's column names onto them.
//!
//! Every office names its columns differently (`燃料类型`, `燃料种类`, `RLLX`, ...). Rules
//! never see those names: they test canonical fields ([`CanonicalField`]), and a
//! [`FieldMapping`] per layer says which column feeds which field. The mapping is
//! guessed from synonyms once, at the edge ([`guess_mapping`]), reported to the user
//! with how each guess was made ([`MapHow`]), and can be corrected by hand.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::values::{Unit, compact, normalise_level, unit_from_text};
use crate::model::GeometryKind;

/// What a layer is in the review: a kind of zone or a kind of site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerRole {
    /// 饮用水水源保护区 polygons.
    WaterZone,
    /// 禁煤区 / 高污染燃料禁燃区 polygons.
    CoalBanZone,
    /// 建成区 polygons.
    BuiltUpArea,
    /// 锅炉 (boiler ledger points).
    Boiler,
    /// 企业, including 散乱污 lists.
    Enterprise,
    /// 排污口 / 入河排污口.
    Outfall,
    /// Any other point sites (coal yards, stoves, construction sites, ...).
    OtherSites,
}

impl LayerRole {
    /// All roles, in display order.
    pub const ALL: [LayerRole; 7] = [
        LayerRole::WaterZone,
        LayerRole::CoalBanZone,
        LayerRole::BuiltUpArea,
        LayerRole::Boiler,
        LayerRole::Enterprise,
        LayerRole::Outfall,
        LayerRole::OtherSites,
    ];
    /// The site roles, in display order.
    pub const SITES: [LayerRole; 4] = [
        LayerRole::Boiler,
        LayerRole::Enterprise,
        LayerRole::Outfall,
        LayerRole::OtherSites,
    ];

    /// Machine name used in rule and project files (`water_zone`, `boiler`, ...).
    pub fn code(self) -> &'static str {
        match self {
            LayerRole::WaterZone => "water_zone",
            LayerRole::CoalBanZone => "coal_ban_zone",
            LayerRole::BuiltUpArea => "built_up_area",
            LayerRole::Boiler => "boiler",
            LayerRole::Enterprise => "enterprise",
            LayerRole::Outfall => "outfall",
            LayerRole::OtherSites => "other_sites",
        }
    }
    /// The role with this machine name.
    pub fn from_code(code: &str) -> Option<LayerRole> {
        LayerRole::ALL.into_iter().find(|r| r.code() == code.trim())
    }
    /// Chinese name for the UI and exports.
    pub fn label_zh(self) -> &'static str {
        match self {
            LayerRole::WaterZone => "饮用水水源保护区",
            LayerRole::CoalBanZone => "禁煤区",
            LayerRole::BuiltUpArea => "建成区",
            LayerRole::Boiler => "锅炉",
            LayerRole::Enterprise => "企业",
            LayerRole::Outfall => "排污口",
            LayerRole::OtherSites => "其他点位",
        }
    }
    /// English name for the UI.
    pub fn label_en(self) -> &'static str {
        match self {
            LayerRole::WaterZone => "Water source protection zone",
            LayerRole::CoalBanZone => "Coal-ban zone",
            LayerRole::BuiltUpArea => "Built-up area",
            LayerRole::Boiler => "Boiler",
            LayerRole::Enterprise => "Enterprise",
            LayerRole::Outfall => "Outfall",
            LayerRole::OtherSites => "Other sites",
        }
    }
    /// Whether the role is a zone (polygons sites are tested against).
    pub fn is_zone(self) -> bool {
        matches!(
            self,
            LayerRole::WaterZone | LayerRole::CoalBanZone | LayerRole::BuiltUpArea
        )
    }
}

impl fmt::Display for LayerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a canonical field's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Kept as text (names, codes, industry).
    Text,
    /// A [`super::values::ZoneLevel`].
    Level,
    /// A [`super::values::Fuel`].
    Fuel,
    /// A capacity, converted to t/h.
    Capacity,
    /// A [`super::values::SiteStatus`].
    Status,
    /// A [`super::values::RemediationType`].
    Remediation,
    /// A yes/no answer.
    Flag,
    /// The 散乱污 flag: a yes/no answer or a category text.
    ScatteredFlag,
    /// Whether a fix is done: a yes/no answer or a progress text.
    DoneFlag,
}

/// Which layers a field belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Zone,
    WaterZone,
    Site,
    Any,
}

/// A field the rules and the findings ledger know about, whatever the column is
/// called in an office's file. Serialised in snake_case (`capacity_tph`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CanonicalField {
    // Zones.
    /// 保护区级别 (一级/二级/准保护区).
    ZoneLevel,
    /// Name of the zone polygon.
    ZoneName,
    /// 水源地名称.
    SourceName,
    /// 水源地编码.
    SourceCode,
    /// 水域/陆域.
    ZonePart,
    /// 批复文号.
    ApprovalNo,
    // Places (zones and sites).
    /// 市.
    City,
    /// 县区.
    County,
    /// 6-digit administrative division code (Shanxi's begin with 14).
    CountyCode,
    /// 乡镇.
    Town,
    // Sites.
    /// 单位/点位名称.
    SiteName,
    /// 统一社会信用代码.
    CreditCode,
    /// 地址.
    Address,
    /// 锅炉编号 / 排污口编码: a site's own number within its unit.
    SiteCode,
    /// 燃料类型.
    Fuel,
    /// Capacity in t/h (额定蒸发量); a MW column converts at 1 t/h = 0.7 MW.
    CapacityTph,
    /// Capacity in MW (额定功率), used for `capacity_tph` when that is empty.
    CapacityMw,
    /// 蒸汽/热水.
    BoilerMedium,
    /// 用途.
    BoilerUse,
    /// 状态 (在用/停用/已淘汰).
    Status,
    /// 淘汰方式.
    EliminationMethod,
    /// 是否在建成区 (the office's own answer).
    InBuiltUp,
    /// 是否在禁煤区 (the office's own answer).
    InCoalBan,
    /// 行业.
    Industry,
    /// 是否散乱污.
    ScatteredPolluting,
    /// 整治类型 (关停取缔/整合搬迁/升级改造).
    RemediationType,
    /// 是否完成 / 整改进展.
    Rectified,
    /// 计划完成时间.
    PlannedDate,
    /// 实际完成时间.
    CompletedDate,
    /// 责任单位.
    ResponsibleUnit,
    /// 责任人.
    ResponsiblePerson,
    /// 坐标系 (as the ledger states it).
    CoordSystem,
    /// 备注.
    Remarks,
}

struct FieldInfo {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    kind: ValueKind,
    scope: Scope,
    /// Most specific first: earlier synonyms win when several columns match.
    synonyms: &'static [&'static str],
}

impl CanonicalField {
    /// All fields, in display order.
    pub const ALL: [CanonicalField; 33] = [
        CanonicalField::ZoneLevel,
        CanonicalField::ZoneName,
        CanonicalField::SourceName,
        CanonicalField::SourceCode,
        CanonicalField::ZonePart,
        CanonicalField::ApprovalNo,
        CanonicalField::City,
        CanonicalField::County,
        CanonicalField::CountyCode,
        CanonicalField::Town,
        CanonicalField::SiteName,
        CanonicalField::CreditCode,
        CanonicalField::Address,
        CanonicalField::SiteCode,
        CanonicalField::Fuel,
        CanonicalField::CapacityTph,
        CanonicalField::CapacityMw,
        CanonicalField::BoilerMedium,
        CanonicalField::BoilerUse,
        CanonicalField::Status,
        CanonicalField::EliminationMethod,
        CanonicalField::InBuiltUp,
        CanonicalField::InCoalBan,
        CanonicalField::Industry,
        CanonicalField::ScatteredPolluting,
        CanonicalField::RemediationType,
        CanonicalField::Rectified,
        CanonicalField::PlannedDate,
        CanonicalField::CompletedDate,
        CanonicalField::ResponsibleUnit,
        CanonicalField::ResponsiblePerson,
        CanonicalField::CoordSystem,
        CanonicalField::Remarks,
    ];

    #[rustfmt::skip]
    fn info(self) -> FieldInfo {
        use CanonicalField as F;
        use Scope::*;
        use ValueKind::*;
        // (code, Chinese label, English label, value kind, layers, synonyms most specific first)
        let (code, zh, en, kind, scope, synonyms): (_, _, _, _, _, &'static [&'static str]) = match self {
            F::ZoneLevel => ("zone_level", "保护区级别", "zone level", Level, WaterZone, &[
                "保护区级别", "保护级别", "保护区等级", "保护区类别", "保护区划分", "级别", "等级", "分级", "BHQJB", "BHJB",
                "JB", "level",
            ]),
            F::ZoneName => ("zone_name", "区域名称", "zone name", Text, Zone, &[
                "保护区名称", "区域名称", "禁煤区名称", "禁燃区名称", "建成区名称", "名称", "区名", "BHQMC", "NAME", "MC",
            ]),
            F::SourceName => ("source_name", "水源地名称", "water source name", Text, WaterZone, &[
                "水源地名称", "饮用水水源地名称", "水源名称", "水源地", "SYDMC", "SYD", "source_name",
            ]),
            F::SourceCode => ("source_code", "水源地编码", "water source code", Text, WaterZone, &[
                "水源地编码", "水源地代码", "水源编码", "水源地编号", "SYDBM", "SYDDM",
            ]),
            F::ZonePart => ("zone_part", "水域/陆域", "water/land part", Text, WaterZone, &[
                "水域/陆域", "水域陆域", "陆域/水域", "陆域水域", "区域类型", "水陆域", "SYLY",
            ]),
            F::ApprovalNo => ("approval_no", "批复文号", "approval document", Text, Zone, &[
                "批复文号", "批复文件", "批准文号", "批复", "文号", "PFWH",
            ]),
            F::City => ("city", "市", "city", Text, Any, &[
                "市", "地市", "所属市", "设区市", "所在市", "城市", "市名", "市名称", "市州", "SZS", "SMC", "city",
            ]),
            F::County => ("county", "县区", "county", Text, Any, &[
                "县区", "县(市、区)", "县(市,区)", "县(区)", "区县", "县市区", "所在县", "所在县区", "所属县区", "县区名称",
                "县", "行政区", "行政区名称", "XZQMC", "XZQ", "QX", "county",
            ]),
            F::CountyCode => ("county_code", "行政区划代码", "division code", Text, Any, &[
                "行政区划代码", "区划代码", "行政区代码", "行政区划编码", "县区代码", "XZQDM", "XZQHDM", "adcode",
            ]),
            F::Town => ("town", "乡镇", "town", Text, Any, &[
                "乡镇", "乡镇(街道)", "乡(镇)", "乡镇街道", "所在乡镇", "街道", "XZ", "town",
            ]),
            F::SiteName => ("site_name", "单位/点位名称", "site name", Text, Site, &[
                "单位名称", "企业名称", "点位名称", "锅炉单位", "锅炉使用单位", "使用单位", "排污单位名称", "排污口名称", "入河排污口名称",
                "排放口名称", "名称", "单位", "企业", "DWMC", "QYMC", "NAME", "MC", "site_name",
            ]),
            F::CreditCode => ("credit_code", "统一社会信用代码", "credit code", Text, Site, &[
                "统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "组织机构代码", "TYSHXYDM", "XYDM", "USCC",
                "credit_code",
            ]),
            F::Address => ("address", "地址", "address", Text, Site, &[
                "地址", "详细地址", "单位地址", "企业地址", "所在地址", "具体位置", "地点", "位置", "DZ", "address",
            ]),
            F::SiteCode => ("site_code", "编号", "site number", Text, Site, &[
                "锅炉编号", "排污口编码", "排污口编号", "排放口编号", "设备编号", "点位编号", "编号", "GLBH", "PWKBM",
            ]),
            F::Fuel => ("fuel", "燃料类型", "fuel", Fuel, Site, &[
                "燃料类型", "燃料种类", "燃料", "燃料名称", "燃料品种", "使用燃料", "能源类型", "RLLX", "RLZL", "fuel",
            ]),
            F::CapacityTph => ("capacity_tph", "额定蒸发量(t/h)", "capacity (t/h)", Capacity, Site, &[
                "额定蒸发量", "蒸发量", "容量(t/h)", "蒸发量(t/h)", "蒸吨", "蒸吨数", "吨位", "规模(蒸吨)", "锅炉容量",
                "容量", "锅炉规模", "规模", "额定出力", "出力", "吨数", "EDZFL", "ZFL", "t/h", "capacity_tph",
                "capacity",
            ]),
            F::CapacityMw => ("capacity_mw", "额定功率(MW)", "capacity (MW)", Capacity, Site, &[
                "额定功率", "额定热功率", "热功率", "功率(MW)", "功率", "MW", "EDGL", "capacity_mw",
            ]),
            F::BoilerMedium => ("boiler_medium", "蒸汽/热水", "steam/hot water", Text, Site, &[
                "蒸汽/热水", "蒸汽热水", "锅炉类型", "锅炉种类", "介质",
            ]),
            F::BoilerUse => ("boiler_use", "用途", "use", Text, Site, &[
                "用途", "锅炉用途", "使用用途", "供热用途", "YT",
            ]),
            F::Status => ("status", "状态", "status", Status, Site, &[
                "状态", "运行状态", "使用状态", "锅炉状态", "企业状态", "生产状态", "经营状态", "当前状态", "现状", "是否淘汰",
                "淘汰情况", "ZT", "status",
            ]),
            F::EliminationMethod => ("elimination_method", "淘汰方式", "elimination method", Text, Site, &[
                "淘汰方式", "改造方式", "治理方式", "淘汰措施",
            ]),
            F::InBuiltUp => ("in_built_up", "是否在建成区", "in built-up area (stated)", Flag, Site, &[
                "是否在建成区", "是否建成区", "位于建成区", "建成区内", "建成区",
            ]),
            F::InCoalBan => ("in_coal_ban", "是否在禁煤区", "in coal-ban zone (stated)", Flag, Site, &[
                "是否在禁煤区", "是否禁煤区", "是否在禁燃区", "禁煤区内", "禁煤区",
            ]),
            F::Industry => ("industry", "行业", "industry", Text, Site, &[
                "行业类别", "所属行业", "行业类型", "行业名称", "行业分类", "国民经济行业", "主营行业", "行业", "HYLB", "HY",
                "industry",
            ]),
            F::ScatteredPolluting => ("scattered_polluting", "是否散乱污", "散乱污 flag", ScatteredFlag, Site, &[
                "是否散乱污", "是否为散乱污", "散乱污", "散乱污企业", "SLW", "类型",
            ]),
            F::RemediationType => ("remediation_type", "整治类型", "remediation type", Remediation, Site, &[
                "整治类型", "整治方式", "整治措施", "整改类型", "整改方式", "处置方式", "ZZLX",
            ]),
            F::Rectified => ("rectified", "是否完成", "fix done", DoneFlag, Site, &[
                "是否完成", "是否完成整改", "是否完成整治", "完成情况", "整改情况", "整治进展", "整改进展", "整治完成情况", "是否销号",
                "销号情况", "整治状态", "整改状态", "整治情况",
            ]),
            F::PlannedDate => ("planned_date", "计划完成时间", "planned date", Text, Site, &[
                "计划完成时间", "计划完成时限", "计划淘汰时间", "完成时限", "整改时限", "时限",
            ]),
            F::CompletedDate => ("completed_date", "实际完成时间", "completion date", Text, Site, &[
                "实际完成时间", "完成时间", "淘汰时间", "销号日期", "销号时间",
            ]),
            F::ResponsibleUnit => ("responsible_unit", "责任单位", "responsible unit", Text, Site, &[
                "责任单位", "责任部门", "监管单位",
            ]),
            F::ResponsiblePerson => ("responsible_person", "责任人", "responsible person", Text, Site, &[
                "责任人", "负责人",
            ]),
            F::CoordSystem => ("coord_system", "坐标系", "coordinate system", Text, Any, &[
                "坐标系", "坐标系统", "坐标类型", "坐标系类型", "坐标来源", "坐标获取方式", "CRS",
            ]),
            F::Remarks => ("remarks", "备注", "remarks", Text, Any, &[
                "备注", "备注说明", "说明", "BZ", "remark", "remarks",
            ]),
        };
        FieldInfo { code, zh, en, kind, scope, synonyms }
    }

    /// Machine name used in rule and project files (`capacity_tph`).
    pub fn code(self) -> &'static str {
        self.info().code
    }
    /// The field with this machine name.
    pub fn from_code(code: &str) -> Option<CanonicalField> {
        let code = code.trim();
        CanonicalField::ALL.into_iter().find(|f| f.code() == code)
    }
    /// Chinese name for the UI and exports.
    pub fn label_zh(self) -> &'static str {
        self.info().zh
    }
    /// English name for the UI.
    pub fn label_en(self) -> &'static str {
        self.info().en
    }
    /// How values of this field are read.
    pub fn kind(self) -> ValueKind {
        self.info().kind
    }
    /// The column names this field is guessed from, most specific first.
    pub fn synonyms(self) -> &'static [&'static str] {
        self.info().synonyms
    }
    /// Whether layers of this role carry the field.
    pub fn applies_to(self, role: LayerRole) -> bool {
        match self.info().scope {
            Scope::Any => true,
            Scope::Site => !role.is_zone(),
            Scope::Zone => role.is_zone(),
            Scope::WaterZone => role == LayerRole::WaterZone,
        }
    }
    /// Whether this is a site field (rule conditions may test it).
    pub fn is_site_field(self) -> bool {
        matches!(self.info().scope, Scope::Site | Scope::Any)
    }
    /// The unit a bare number in this field is in.
    pub fn default_unit(self) -> Option<Unit> {
        match self {
            CanonicalField::CapacityTph => Some(Unit::Tph),
            CanonicalField::CapacityMw => Some(Unit::Mw),
            _ => None,
        }
    }
}

impl fmt::Display for CanonicalField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a column was matched to a canonical field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The column name is the synonym exactly.
    Exact,
    /// Equal after normalising (spaces, brackets, units, full-width, case removed).
    Normalised,
    /// The column name is a DBF-truncated (10-byte) start of the synonym.
    Truncated,
}

/// How a mapping entry came about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum MapHow {
    /// Guessed from this synonym.
    Guessed {
        /// The synonym that matched.
        synonym: String,
        /// How closely it matched.
        kind: MatchKind,
    },
    /// Chosen by the user.
    User,
}

/// The column that feeds one canonical field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedField {
    /// The column name as in the layer.
    pub source_field: String,
    /// How the column was chosen.
    pub how: MapHow,
    /// Unit of bare numbers in the column (from its header, e.g. `功率(MW)`); a unit
    /// written in a value overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
}

/// Which column feeds which canonical field, for one layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// Field → the column that feeds it.
    pub entries: BTreeMap<CanonicalField, MappedField>,
    /// Values that hold for every record of the layer when no column is mapped, e.g.
    /// `zone_level = "一级"` for a file named `一级保护区.shp`, or
    /// `scattered_polluting = "是"` for a 散乱污 list.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constants: BTreeMap<CanonicalField, String>,
}

impl FieldMapping {
    /// The column mapped to `field`, if any.
    pub fn source_of(&self, field: CanonicalField) -> Option<&str> {
        self.entries.get(&field).map(|m| m.source_field.as_str())
    }

    /// Sets (or replaces) a mapping chosen by the user.
    pub fn set_user(&mut self, field: CanonicalField, source_field: &str, unit: Option<Unit>) {
        let unit = unit.or_else(|| header_unit(source_field));
        self.entries.insert(
            field,
            MappedField {
                source_field: source_field.to_string(),
                how: MapHow::User,
                unit,
            },
        );
    }

    /// One line per entry for the user, e.g. `燃料类型 ← 燃料种类 (synonym "燃料种类")`.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .entries
            .iter()
            .map(|(field, m)| {
                let how = match &m.how {
                    MapHow::User => "chosen by user".to_string(),
                    MapHow::Guessed { synonym, kind } => match kind {
                        MatchKind::Exact => format!("synonym \"{synonym}\""),
                        MatchKind::Normalised => format!("like synonym \"{synonym}\""),
                        MatchKind::Truncated => {
                            format!("truncated DBF name of \"{synonym}\"")
                        }
                    },
                };
                let unit = m.unit.map(|u| format!(", unit {u}")).unwrap_or_default();
                format!(
                    "{} ({}) ← {} ({how}{unit})",
                    field.label_zh(),
                    field.code(),
                    m.source_field
                )
            })
            .collect();
        lines.extend(self.constants.iter().map(|(field, v)| {
            format!(
                "{} ({}) = \"{v}\" for every record",
                field.label_zh(),
                field.code()
            )
        }));
        lines
    }
}

/// A column name in the form synonyms are compared in, with the unit it names.
///
/// Full-width to half-width, lowercase, bracketed parts removed (`容量（t/h）`), a
/// trailing unit removed (`功率MW`), spaces and separators removed. A name that is
/// only a unit (`MW`) stays itself.
pub fn normalise_header(name: &str) -> (String, Option<Unit>) {
    let folded = compact(name);
    let mut unit = None;
    let mut out = String::with_capacity(folded.len());
    let mut depth = 0usize;
    let mut bracket = String::new();
    for c in folded.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                bracket.clear();
            }
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                if unit.is_none() {
                    unit = unit_from_text(&bracket);
                }
            }
            _ if depth > 0 => bracket.push(c),
            _ => out.push(c),
        }
    }
    // A trailing unit without brackets: "容量t/h", "功率mw", "蒸发量/t/h".
    for suffix in ["t/h", "mw", "kw", "万大卡", "蒸吨"] {
        if out.len() > suffix.len() && out.ends_with(suffix) {
            if unit.is_none() {
                unit = unit_from_text(suffix);
            }
            out.truncate(out.len() - suffix.len());
            break;
        }
    }
    let cleaned: String = out
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '/' | '、' | ':' | '·' | '.' | ',' | '，'))
        .collect();
    // A name that is only a unit ("MW", "t/h") names its unit and stays itself.
    let unit = unit.or_else(|| unit_from_text(&folded));
    if cleaned.is_empty() {
        (folded, unit)
    } else {
        (cleaned, unit)
    }
}

/// The unit a column header names, e.g. MW for `额定功率（MW）`.
pub fn header_unit(name: &str) -> Option<Unit> {
    normalise_header(name).1
}

/// Guesses which column feeds which canonical field, from the column names alone.
///
/// Three passes, each stronger than the next: the column name equals a synonym
/// exactly; equal after [`normalise_header`]; the column name is the start of a
/// synonym cut at the DBF limit of 10 bytes (`统一社会信` for `统一社会信用代码`), if
/// that start fits only one field. Within a pass, a field's earlier (more specific)
/// synonym wins, then the earlier column. A column feeds at most one field.
pub fn guess_mapping(role: LayerRole, field_names: &[String]) -> FieldMapping {
    let normalised: Vec<(String, Option<Unit>)> =
        field_names.iter().map(|n| normalise_header(n)).collect();
    // (pass, synonym rank, column, field, synonym)
    let mut candidates: Vec<(MatchKind, usize, usize, CanonicalField, &'static str)> = Vec::new();
    for field in CanonicalField::ALL
        .into_iter()
        .filter(|f| f.applies_to(role))
    {
        for (rank, syn) in field.synonyms().iter().enumerate() {
            // A bare 类型 column is a 散乱污 category only in enterprise lists; in a
            // boiler ledger it is the boiler type.
            if field == CanonicalField::ScatteredPolluting
                && *syn == "类型"
                && role != LayerRole::Enterprise
            {
                continue;
            }
            let syn_norm = normalise_header(syn).0;
            for (col, name) in field_names.iter().enumerate() {
                if name.trim() == *syn {
                    candidates.push((MatchKind::Exact, rank, col, field, syn));
                } else if normalised[col].0 == syn_norm {
                    candidates.push((MatchKind::Normalised, rank, col, field, syn));
                } else if is_truncated_name(name) {
                    let col_norm = &normalised[col].0;
                    if syn_norm.len() > col_norm.len()
                        && syn_norm.starts_with(col_norm.as_str())
                        && truncation_is_unambiguous(role, col_norm, field)
                    {
                        candidates.push((MatchKind::Truncated, rank, col, field, syn));
                    }
                }
            }
        }
    }
    candidates.sort_by_key(|c| (c.0, c.1, c.2, c.3));
    let mut mapping = FieldMapping::default();
    let mut used_cols = vec![false; field_names.len()];
    for (kind, _, col, field, syn) in candidates {
        if used_cols[col] || mapping.entries.contains_key(&field) {
            continue;
        }
        used_cols[col] = true;
        let unit = normalised[col].1.or(field.default_unit());
        mapping.entries.insert(
            field,
            MappedField {
                source_field: field_names[col].clone(),
                how: MapHow::Guessed {
                    synonym: syn.to_string(),
                    kind,
                },
                unit,
            },
        );
    }
    mapping
}

/// [`guess_mapping`] plus what the layer's name says about all its records: a water
/// zone file named `一级保护区` has level 1 everywhere; an enterprise file named
/// `散乱污企业清单` lists 散乱污 enterprises.
pub fn guess_mapping_for_layer(
    role: LayerRole,
    layer_name: &str,
    field_names: &[String],
) -> FieldMapping {
    let mut mapping = guess_mapping(role, field_names);
    let name = compact(layer_name);
    if role == LayerRole::WaterZone
        && !mapping.entries.contains_key(&CanonicalField::ZoneLevel)
        && let Some(level) = normalise_level(&name)
    {
        mapping
            .constants
            .insert(CanonicalField::ZoneLevel, level.label_zh().to_string());
    }
    if role == LayerRole::Enterprise
        && !mapping
            .entries
            .contains_key(&CanonicalField::ScatteredPolluting)
        && name.contains("散乱污")
    {
        mapping
            .constants
            .insert(CanonicalField::ScatteredPolluting, "是".to_string());
    }
    mapping
}

/// Whether a column name is as long as a DBF field name can be (10 bytes: 5 Chinese
/// characters in GBK, 3 in UTF-8), so it may have been cut.
fn is_truncated_name(name: &str) -> bool {
    let name = name.trim();
    let gbk_len: usize = name.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    let has_cjk = !name.is_ascii();
    has_cjk && (gbk_len >= 9 || name.len() >= 8)
}

fn truncation_is_unambiguous(role: LayerRole, prefix: &str, field: CanonicalField) -> bool {
    CanonicalField::ALL
        .into_iter()
        .filter(|f| *f != field && f.applies_to(role))
        .all(|f| {
            !f.synonyms().iter().any(|s| {
                let s = normalise_header(s).0;
                s.len() > prefix.len() && s.starts_with(prefix)
            })
        })
}

/// Guesses a layer's role from its name, its columns and its geometry.
///
/// Site words in the name (`排污口`, `锅炉`, `散乱污`, `企业`) and zone words (`禁煤`,
/// `禁燃`, `建成区`, `水源`, `保护区`) are both looked for; polygon layers take the zone
/// role and point layers the site role, so `禁煤区锅炉台账` (points) is boilers and
/// `禁煤区范围` (polygons) a coal-ban zone. Without a name hint the columns decide
/// (a 保护区级别 column, a fuel or capacity column, ...). A point layer with no hint
/// is [`LayerRole::OtherSites`]; a polygon layer with no hint is `None`, and so is
/// a table without geometry.
pub fn guess_role(
    layer_name: &str,
    field_names: &[String],
    geometry_kind: GeometryKind,
) -> Option<LayerRole> {
    let name = compact(layer_name);
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    let site_by_name = if has(&["排污口", "排放口", "入河口", "outfall"]) {
        Some(LayerRole::Outfall)
    } else if has(&["锅炉", "boiler"]) {
        Some(LayerRole::Boiler)
    } else if has(&[
        "散乱污",
        "企业",
        "工业",
        "排污单位",
        "enterprise",
        "factory",
    ]) {
        Some(LayerRole::Enterprise)
    } else {
        None
    };
    let zone_by_name = if has(&["禁煤", "禁燃", "coalban", "coal_ban"]) {
        Some(LayerRole::CoalBanZone)
    } else if has(&["建成区", "builtup", "built_up"]) {
        Some(LayerRole::BuiltUpArea)
    } else if has(&["水源", "保护区", "watersource", "water_zone"]) {
        Some(LayerRole::WaterZone)
    } else {
        None
    };
    let zone_mapping = |role| guess_mapping(role, field_names);
    match geometry_kind {
        GeometryKind::Polygon | GeometryKind::Mixed => zone_by_name.or_else(|| {
            let water = zone_mapping(LayerRole::WaterZone);
            [CanonicalField::ZoneLevel, CanonicalField::SourceName]
                .iter()
                .any(|f| water.entries.contains_key(f))
                .then_some(LayerRole::WaterZone)
        }),
        GeometryKind::Point | GeometryKind::MultiPoint | GeometryKind::Line => site_by_name
            .or_else(|| {
                let site = guess_mapping(LayerRole::Boiler, field_names);
                let mapped = |f: CanonicalField| site.entries.contains_key(&f);
                if mapped(CanonicalField::CapacityTph)
                    || mapped(CanonicalField::CapacityMw)
                    || mapped(CanonicalField::Fuel)
                {
                    Some(LayerRole::Boiler)
                } else if mapped(CanonicalField::ScatteredPolluting)
                    || mapped(CanonicalField::RemediationType)
                    || mapped(CanonicalField::Industry)
                    || mapped(CanonicalField::CreditCode)
                {
                    Some(LayerRole::Enterprise)
                } else {
                    Some(LayerRole::OtherSites)
                }
            }),
        GeometryKind::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_normalise_brackets_units_and_width() {
        assert_eq!(
            normalise_header("额定蒸发量(t/h)"),
            ("额定蒸发量".into(), Some(Unit::Tph))
        );
        assert_eq!(
            normalise_header("额定功率（ＭＷ）"),
            ("额定功率".into(), Some(Unit::Mw))
        );
        assert_eq!(
            normalise_header(" 功率MW "),
            ("功率".into(), Some(Unit::Mw))
        );
        assert_eq!(normalise_header("MW"), ("mw".into(), Some(Unit::Mw)));
        assert_eq!(normalise_header("县(市、区)"), ("县".into(), None));
        assert_eq!(normalise_header("Fuel"), ("fuel".into(), None));
    }

    #[test]
    fn codes_round_trip_for_every_role_and_field() {
        for r in LayerRole::ALL {
            assert_eq!(LayerRole::from_code(r.code()), Some(r));
        }
        for f in CanonicalField::ALL {
            assert_eq!(CanonicalField::from_code(f.code()), Some(f));
            assert!(!f.synonyms().is_empty(), "{f}");
        }
    }

    #[test]
    fn a_later_more_general_synonym_loses_to_a_specific_one() {
        let m = guess_mapping(LayerRole::Boiler, &names(&["名称", "单位名称"]));
        assert_eq!(m.source_of(CanonicalField::SiteName), Some("单位名称"));
    }

    #[test]
    fn a_bare_type_column_is_a_scattered_flag_only_for_enterprises() {
        let header = names(&["类型"]);
        let ent = guess_mapping(LayerRole::Enterprise, &header);
        assert_eq!(
            ent.source_of(CanonicalField::ScatteredPolluting),
            Some("类型")
        );
        let boiler = guess_mapping(LayerRole::Boiler, &header);
        assert_eq!(boiler.source_of(CanonicalField::ScatteredPolluting), None);
    }

    #[test]
    fn truncated_dbf_names_map_when_unambiguous() {
        let m = guess_mapping(LayerRole::Enterprise, &names(&["统一社会信", "整治类型"]));
        let e = &m.entries[&CanonicalField::CreditCode];
        assert_eq!(e.source_field, "统一社会信");
        assert!(matches!(
            e.how,
            MapHow::Guessed {
                kind: MatchKind::Truncated,
                ..
            }
        ));
    }

    #[test]
    fn a_mapping_survives_a_json_round_trip_for_the_project_file() {
        let mut m = guess_mapping_for_layer(
            LayerRole::Enterprise,
            "散乱污企业",
            &names(&["企业名称", "功率(MW)"]),
        );
        m.set_user(CanonicalField::County, "所在区", None);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"site_name\""), "{json}");
        let back: FieldMapping = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn layer_name_supplies_level_for_one_file_per_level() {
        let m = guess_mapping_for_layer(
            LayerRole::WaterZone,
            "某水源地一级保护区",
            &names(&["名称"]),
        );
        assert_eq!(
            m.constants
                .get(&CanonicalField::ZoneLevel)
                .map(String::as_str),
            Some("一级保护区")
        );
    }
}
