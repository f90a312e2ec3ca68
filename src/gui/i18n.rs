//! Every string the app shows, in Chinese (the default) and English.
//!
//! A visible string is a [`Tr`] key looked up with [`Language::tr`]. The two tables
//! below list the keys in the order of [`Tr::ALL`]; a unit test checks that every key
//! has a non-empty entry in both, so a missing translation fails the build's tests
//! rather than showing an empty button. Strings with a value to fill in carry a `{}`
//! placeholder, filled by [`Language::trf`].

use serde::{Deserialize, Serialize};

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    /// 简体中文, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Language {
    /// The text of `key` in this language.
    pub fn tr(self, key: Tr) -> &'static str {
        let table = match self {
            Language::Zh => ZH,
            Language::En => EN,
        };
        // The tables are in `Tr::ALL` order (checked by a test), so the discriminant
        // is the index; the search is the safety net should that ever break.
        match table.get(key as usize) {
            Some((k, text)) if *k == key => text,
            _ => table
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, t)| *t)
                .unwrap_or("?"),
        }
    }

    /// A kind of geometry as a GIS user of this language calls it (点, 线, 面…).
    pub fn geometry_kind(self, kind: crate::model::GeometryKind) -> &'static str {
        use crate::model::GeometryKind as K;
        match (self, kind) {
            (Language::Zh, K::None) => "无几何",
            (Language::Zh, K::Point) => "点",
            (Language::Zh, K::MultiPoint) => "多点",
            (Language::Zh, K::Line) => "线",
            (Language::Zh, K::Polygon) => "面",
            (Language::Zh, K::Mixed) => "混合",
            (Language::En, kind) => kind.label(),
        }
    }

    /// The text of `key` with each `{}` replaced by the next argument.
    pub fn trf(self, key: Tr, args: &[&dyn std::fmt::Display]) -> String {
        let mut out = String::new();
        let mut args = args.iter();
        let mut parts = self.tr(key).split("{}").peekable();
        while let Some(part) = parts.next() {
            out.push_str(part);
            if parts.peek().is_some()
                && let Some(a) = args.next()
            {
                out.push_str(&a.to_string());
            }
        }
        out
    }

    /// The other language (what the switch in the menu bar changes to).
    pub fn other(self) -> Language {
        match self {
            Language::Zh => Language::En,
            Language::En => Language::Zh,
        }
    }

    /// The language's own name, shown on the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::Zh => "中文",
            Language::En => "English",
        }
    }
}

macro_rules! keys {
    ($($k:ident),* $(,)?) => {
        /// A key of the string tables: one per visible string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Tr { $($k),* }
        impl Tr {
            /// Every key, in table order.
            pub const ALL: &'static [Tr] = &[$(Tr::$k),*];
        }
    };
}

keys!(
    AppTitle,
    MenuProject,
    MenuLayer,
    MenuView,
    MenuHelp,
    NewProject,
    OpenProject,
    RecentProjects,
    Quit,
    Reviewer,
    AddLayers,
    AddLayersInApp,
    RemoveLayer,
    ZoomToAll,
    ZoomToLayer,
    ZoomShort,
    RemoveShort,
    ShowLayers,
    ShowAttributes,
    ShowProblems,
    About,
    AboutText,
    Layers,
    NoLayers,
    Visible,
    MoveUp,
    MoveDown,
    Color,
    Opacity,
    Encoding,
    Crs,
    CrsUnknown,
    Role,
    RoleUnknown,
    Features,
    Reload,
    Attributes,
    IdentifyHint,
    Field,
    Value,
    Problems,
    NoProblems,
    File,
    Record,
    Message,
    Hint,
    Level,
    LevelError,
    LevelWarning,
    Cancel,
    Cancelled,
    Ready,
    LanguageSet,
    FileChooserTitle,
    Parent,
    Go,
    Open,
    Folder,
    Name,
    Size,
    SupportedFiles,
    AllFiles,
    NothingSelected,
    SelectAllFiles,
    Loading,
    LoadingFile,
    LoadFailed,
    LoadedLayers,
    CrsTransformFailed,
    DefaultProjectName,
    Create,
    NewProjectNotGpkg,
    NewProjectExists,
    NoSuchFolder,
    ProjectOpened,
    ProjectFailed,
    SetCrsHint,
    NotPlaced,
    ApplyCrs,
    BadCrs,
    NoCrsCannotDraw,
    Preparing,
    Lon,
    Lat,
    DropHint,
    Language,
    Scale,
    Jobs,
    Home,
    FilterPlaceholder,
    Empty,
    ListingFailed,
    FidLabel,
    SelectedFeature,
    ClearSelection,
    Geometry,
    Source,
    Findings,
    RunCheck,
    NeedZonesAndSites,
    CheckDoneMsg,
    CheckSkipped,
    CheckFailed,
    NoProject,
    NoFindings,
    ColPresence,
    ColRule,
    ColSeverity,
    ColSite,
    ColZone,
    ColDistance,
    ColCounty,
    ColStatus,
    ColNote,
    All,
    NoCounty,
    Search,
    PresenceNew,
    PresenceResolved,
    PresenceNewHint,
    PresenceResolvedHint,
    Shown,
    Review,
    SaveNote,
    Saving,
    Saved,
    SaveFailed,
    NeedReviewer,
    Shortcuts,
    History,
    NoHistory,
    HistoryLine,
    SelectFindingHint,
    Dashboard,
    ShowFindings,
    ClearedProgress,
    NewAndResolved,
    OpenFindings,
    ByCounty,
    ByRule,
    Total,
    Deadline,
    DaysLeft,
    DaysOverdue,
    DueToday,
    BadDate,
    Save,
    Export,
    ExportFindings,
    ExportMap,
    ExportPath,
    FilteredOnly,
    ExportMapHint,
    Exported,
    ExportedMap,
    ExportFailed,
    BadExportName,
    DefaultExportName,
    ProjectWriteFailed,
    LayerSavedMsg,
    Basemap,
    BasemapNone,
    BasemapTiandituVec,
    BasemapTiandituImg,
    BasemapCustom,
    BasemapOpenFile,
    BasemapFiles,
    TiandituKey,
    TiandituKeyHint,
    BasemapApply,
    BasemapProblem,
    BasemapUnavailable,
    BasemapSet,
    BasemapOff,
    BasemapLoading,
    BasemapOnlineHint,
    FieldMapping,
    FieldMappingButton,
    FieldMappingOf,
    SetRoleFirst,
    MappingIntro,
    MappingField,
    MappingNeed,
    MappingColumn,
    MappingHow,
    MappingPreview,
    NeedRules,
    NeedLedger,
    NeedOptional,
    NeededByRules,
    NeededByLedger,
    HowAuto,
    HowManual,
    HowConstant,
    GuessedExact,
    GuessedNormalised,
    GuessedTruncated,
    ConstantHint,
    NoColumn,
    ColumnMissing,
    ResetToGuess,
    ResetAllToGuess,
    ApplyMapping,
    Close,
    MissingNeeded,
    AllNeededMapped,
    MappingNotInProject,
    MappingLoading,
    MappingUnsaved,
    MappingSavedMsg,
    MappingStale,
    Recheck,
    Unreadable,
    UnreadableCount,
    SampleValues,
    NoSamples,
    ResetShort,
    ConstantOption,
    ConstantText,
    NeededUnreadable,
    CheckWithoutLayer,
    CheckWithoutLayerHint,
    AttributesLoading,
    MappingAttributesLoading,
    CheckWaiting,
);

/// Chinese strings, in `Tr::ALL` order.
const ZH: &[(Tr, &str)] = &[
    (Tr::AppTitle, "清零 — 环境问题核查"),
    (Tr::MenuProject, "项目"),
    (Tr::MenuLayer, "图层"),
    (Tr::MenuView, "视图"),
    (Tr::MenuHelp, "帮助"),
    (Tr::NewProject, "新建项目…"),
    (Tr::OpenProject, "打开项目…"),
    (Tr::RecentProjects, "最近的项目"),
    (Tr::Quit, "退出"),
    (Tr::Reviewer, "审核人"),
    (Tr::AddLayers, "添加图层…"),
    (Tr::AddLayersInApp, "在应用内浏览文件…"),
    (Tr::RemoveLayer, "移除图层"),
    (Tr::ZoomToAll, "缩放到全部"),
    (Tr::ZoomToLayer, "缩放到图层"),
    (Tr::ZoomShort, "缩放"),
    (Tr::RemoveShort, "移除"),
    (Tr::ShowLayers, "图层面板"),
    (Tr::ShowAttributes, "属性面板"),
    (Tr::ShowProblems, "问题面板"),
    (Tr::About, "关于"),
    (Tr::AboutText, "清零：把环境保护区内的违规点位核查清零。"),
    (Tr::Layers, "图层"),
    (
        Tr::NoLayers,
        "尚无图层。用“图层 > 添加图层”或把文件拖到窗口中。",
    ),
    (Tr::Visible, "显示"),
    (Tr::MoveUp, "上移"),
    (Tr::MoveDown, "下移"),
    (Tr::Color, "颜色"),
    (Tr::Opacity, "不透明度"),
    (Tr::Encoding, "编码"),
    (Tr::Crs, "坐标系"),
    (Tr::CrsUnknown, "未知坐标系"),
    (Tr::Role, "用途"),
    (Tr::RoleUnknown, "未指定"),
    (Tr::Features, "{} 个要素"),
    (Tr::Reload, "重新读取"),
    (Tr::Attributes, "属性"),
    (Tr::IdentifyHint, "在地图上单击要素以查看属性。"),
    (Tr::Field, "字段"),
    (Tr::Value, "值"),
    (Tr::Problems, "问题"),
    (Tr::NoProblems, "没有问题。"),
    (Tr::File, "文件"),
    (Tr::Record, "记录/行"),
    (Tr::Message, "说明"),
    (Tr::Hint, "建议"),
    (Tr::Level, "级别"),
    (Tr::LevelError, "错误"),
    (Tr::LevelWarning, "警告"),
    (Tr::Cancel, "取消"),
    (Tr::Cancelled, "已取消：{}"),
    (Tr::Ready, "就绪"),
    (Tr::LanguageSet, "界面语言已切换为中文"),
    (Tr::FileChooserTitle, "选择数据文件"),
    (Tr::Parent, "上一级"),
    (Tr::Go, "转到"),
    (Tr::Open, "打开"),
    (Tr::Folder, "文件夹"),
    (Tr::Name, "名称"),
    (Tr::Size, "大小"),
    (Tr::SupportedFiles, "支持的数据文件"),
    (Tr::AllFiles, "所有文件"),
    (Tr::NothingSelected, "未选择文件"),
    (Tr::SelectAllFiles, "全选"),
    (Tr::Loading, "正在读取"),
    (Tr::LoadingFile, "读取 {}"),
    (Tr::LoadFailed, "无法读取：{}"),
    (Tr::LoadedLayers, "已读取 {} 个图层"),
    (Tr::CrsTransformFailed, "无法转换到经纬度：{}"),
    (Tr::DefaultProjectName, "新项目.gpkg"),
    (Tr::Create, "新建"),
    (Tr::NewProjectNotGpkg, "项目文件名须以 .gpkg 结尾"),
    (
        Tr::NewProjectExists,
        "该文件已存在：请换一个名字，或用“打开项目”打开它",
    ),
    (Tr::NoSuchFolder, "文件夹不存在"),
    (Tr::ProjectOpened, "已打开项目 {}（{} 个图层）"),
    (Tr::ProjectFailed, "无法打开项目：{}"),
    (
        Tr::SetCrsHint,
        "在图层面板的“坐标系”中填写正确的 EPSG 代码（如 EPSG:4546）后重新读取",
    ),
    (Tr::NotPlaced, "坐标无法转换为经纬度，未在地图上显示"),
    (Tr::ApplyCrs, "应用"),
    (Tr::BadCrs, "坐标系无效：{}"),
    (
        Tr::NoCrsCannotDraw,
        "坐标系未知，无法在地图上显示；请在图层面板中指定坐标系",
    ),
    (Tr::Preparing, "准备绘制 {}"),
    (Tr::Lon, "经度"),
    (Tr::Lat, "纬度"),
    (Tr::DropHint, "松开鼠标以添加这些文件"),
    (Tr::Language, "语言"),
    (Tr::Scale, "比例尺"),
    (Tr::Jobs, "任务"),
    (Tr::Home, "主目录"),
    (Tr::FilterPlaceholder, "路径"),
    (Tr::Empty, "（空）"),
    (Tr::ListingFailed, "无法列出文件夹：{}"),
    (Tr::FidLabel, "FID"),
    (Tr::SelectedFeature, "{}：要素 #{}"),
    (Tr::ClearSelection, "清除选择"),
    (Tr::Geometry, "几何类型"),
    (Tr::Source, "来源"),
    (Tr::Findings, "问题台账"),
    (Tr::RunCheck, "运行检查"),
    (
        Tr::NeedZonesAndSites,
        "项目中需要至少一个区域图层和一个点位图层（在图层面板中设置“用途”）",
    ),
    (
        Tr::CheckDoneMsg,
        "检查完成：{} 个点位，{} 个区域；新增 {}，已有 {}，数据已消除 {}",
    ),
    (Tr::CheckSkipped, "未设置用途，未参加检查：{}"),
    (Tr::CheckFailed, "检查失败：{}"),
    (Tr::NoProject, "请先新建或打开项目（“项目”菜单）"),
    (Tr::NoFindings, "尚无问题。设置图层用途后点击“运行检查”。"),
    (Tr::ColPresence, "标记"),
    (Tr::ColRule, "规则"),
    (Tr::ColSeverity, "性质"),
    (Tr::ColSite, "点位"),
    (Tr::ColZone, "区域"),
    (Tr::ColDistance, "距边界(米)"),
    (Tr::ColCounty, "县区"),
    (Tr::ColStatus, "状态"),
    (Tr::ColNote, "备注"),
    (Tr::All, "全部"),
    (Tr::NoCounty, "（无县区）"),
    (Tr::Search, "搜索"),
    (Tr::PresenceNew, "新"),
    (Tr::PresenceResolved, "数据已消除"),
    (Tr::PresenceNewHint, "本次检查新发现的问题"),
    (
        Tr::PresenceResolvedHint,
        "最近一次检查中数据已不再显示此问题；核查后可销号",
    ),
    (Tr::Shown, "显示 {} / {} 条"),
    (Tr::Review, "核查"),
    (Tr::SaveNote, "保存备注"),
    (Tr::Saving, "保存中…"),
    (Tr::Saved, "已保存"),
    (Tr::SaveFailed, "未保存：{}"),
    (Tr::NeedReviewer, "请先在“项目”菜单中填写审核人"),
    (
        Tr::Shortcuts,
        "快捷键：1–5 设置状态，N 编辑备注，Ctrl+Enter 保存备注，Esc 退出编辑，↑/↓ 上下移动",
    ),
    (Tr::History, "核查历史"),
    (Tr::NoHistory, "尚无核查记录。"),
    (Tr::HistoryLine, "{} {}：{} → {}"),
    (Tr::SelectFindingHint, "在表格或地图上选择一个问题。"),
    (Tr::Dashboard, "统计"),
    (Tr::ShowFindings, "问题台账面板"),
    (Tr::ClearedProgress, "已清零 {} / {}（已销号或误报）"),
    (Tr::NewAndResolved, "本次新增 {}，数据已消除 {}"),
    (Tr::OpenFindings, "未清零问题"),
    (Tr::ByCounty, "按县区"),
    (Tr::ByRule, "按规则"),
    (Tr::Total, "合计"),
    (Tr::Deadline, "截止日期"),
    (Tr::DaysLeft, "距截止还有 {} 天"),
    (Tr::DaysOverdue, "已超过截止日期 {} 天"),
    (Tr::DueToday, "今天截止"),
    (Tr::BadDate, "日期应写作 YYYY-MM-DD，如 2019-12-31"),
    (Tr::Save, "保存"),
    (Tr::Export, "导出"),
    (Tr::ExportFindings, "导出问题台账…"),
    (Tr::ExportMap, "导出地图图片…"),
    (Tr::ExportPath, "保存到"),
    (Tr::FilteredOnly, "仅导出筛选出的问题"),
    (Tr::ExportMapHint, "以 .png 结尾则保存当前地图画面"),
    (Tr::Exported, "已导出 {} 条问题到 {}"),
    (Tr::ExportedMap, "已保存地图图片 {}"),
    (Tr::ExportFailed, "导出失败：{}"),
    (
        Tr::BadExportName,
        "文件名须以 .csv .xlsx .geojson .shp .gpkg 或 .png 结尾",
    ),
    (Tr::DefaultExportName, "问题台账"),
    (Tr::ProjectWriteFailed, "无法写入项目：{}"),
    (Tr::LayerSavedMsg, "图层已存入项目：{}"),
    (Tr::Basemap, "底图"),
    (Tr::BasemapNone, "无（离线）"),
    (Tr::BasemapTiandituVec, "天地图 矢量"),
    (Tr::BasemapTiandituImg, "天地图 影像"),
    (Tr::BasemapCustom, "自定义 XYZ 地址"),
    (Tr::BasemapOpenFile, "打开 MBTiles/PMTiles 底图文件…"),
    (Tr::BasemapFiles, "底图文件"),
    (Tr::TiandituKey, "天地图密钥 tk"),
    (
        Tr::TiandituKeyHint,
        "在 console.tianditu.gov.cn 申请“服务端”类型的密钥",
    ),
    (Tr::BasemapApply, "使用"),
    (Tr::BasemapProblem, "底图有问题：{}"),
    (Tr::BasemapUnavailable, "底图无法打开，详见“问题”面板"),
    (Tr::BasemapSet, "底图：{}"),
    (Tr::BasemapOff, "已关闭底图"),
    (Tr::BasemapLoading, "底图加载中…"),
    (
        Tr::BasemapOnlineHint,
        "在线底图从网络下载瓦片，看过的瓦片存在本机，离线时仍可显示",
    ),
    (Tr::FieldMapping, "字段映射"),
    (Tr::FieldMappingButton, "字段映射…"),
    (Tr::FieldMappingOf, "字段映射：{}"),
    (Tr::SetRoleFirst, "请先设置图层用途，再编辑字段映射"),
    (
        Tr::MappingIntro,
        "为每个标准字段选择图层中的来源列。“自动”按列名推断，“手动”为您的选择。检查按项目中保存的映射读取数据。",
    ),
    (Tr::MappingField, "标准字段"),
    (Tr::MappingNeed, "需要"),
    (Tr::MappingColumn, "来源列"),
    (Tr::MappingHow, "方式"),
    (Tr::MappingPreview, "样例 → 读取为"),
    (Tr::NeedRules, "规则"),
    (Tr::NeedLedger, "台账"),
    (Tr::NeedOptional, "可选"),
    (Tr::NeededByRules, "以下规则检查此字段："),
    (Tr::NeededByLedger, "问题台账显示此字段"),
    (Tr::HowAuto, "自动"),
    (Tr::HowManual, "手动"),
    (Tr::HowConstant, "常量"),
    (Tr::GuessedExact, "列名与同义词“{}”相同"),
    (Tr::GuessedNormalised, "列名近似同义词“{}”"),
    (Tr::GuessedTruncated, "列名是“{}”被截断的 DBF 字段名"),
    (Tr::ConstantHint, "每条记录都取“{}”"),
    (Tr::NoColumn, "（无）"),
    (Tr::ColumnMissing, "图层中没有列“{}”"),
    (Tr::ResetToGuess, "恢复自动推断"),
    (Tr::ResetAllToGuess, "全部恢复自动推断"),
    (Tr::ApplyMapping, "应用"),
    (Tr::Close, "关闭"),
    (Tr::MissingNeeded, "规则需要但未映射：{}"),
    (Tr::AllNeededMapped, "规则需要的字段均已映射"),
    (
        Tr::MappingNotInProject,
        "该图层不在项目中：请先新建或打开项目，图层保存到项目后才能保存字段映射。",
    ),
    (Tr::MappingLoading, "正在读取项目中保存的字段映射…"),
    (Tr::MappingUnsaved, "有未应用的更改"),
    (
        Tr::MappingSavedMsg,
        "已保存“{}”的字段映射；请重新检查以更新问题台账。",
    ),
    (Tr::MappingStale, "字段映射已更改，问题台账可能已过时"),
    (Tr::Recheck, "重新检查"),
    (Tr::Unreadable, "无法识别"),
    (Tr::UnreadableCount, "前 {} 条记录中有 {} 个值无法识别"),
    (Tr::SampleValues, "样例值："),
    (Tr::NoSamples, "（前几千条记录中为空）"),
    (Tr::ResetShort, "还原"),
    (Tr::ConstantOption, "常量（每条记录相同）…"),
    (Tr::ConstantText, "常量值"),
    (
        Tr::NeededUnreadable,
        "规则需要的字段所选列的值都无法识别（请换一列或改用常量）：{}",
    ),
    (
        Tr::CheckWithoutLayer,
        "图层“{}”尚未保存到项目（仍在读取或保存），本次检查未包含它",
    ),
    (Tr::CheckWithoutLayerHint, "待图层保存完成后再运行一次检查"),
    (Tr::AttributesLoading, "属性正在读取，读完后在此显示…"),
    (
        Tr::MappingAttributesLoading,
        "该图层的属性仍在读取，读完后在此显示其字段…",
    ),
    (
        Tr::CheckWaiting,
        "等待“{}”的属性读取并保存到项目后运行检查…",
    ),
];

/// English strings, in `Tr::ALL` order.
const EN: &[(Tr, &str)] = &[
    (Tr::AppTitle, "qingling — environmental review"),
    (Tr::MenuProject, "Project"),
    (Tr::MenuLayer, "Layer"),
    (Tr::MenuView, "View"),
    (Tr::MenuHelp, "Help"),
    (Tr::NewProject, "New project…"),
    (Tr::OpenProject, "Open project…"),
    (Tr::RecentProjects, "Recent projects"),
    (Tr::Quit, "Quit"),
    (Tr::Reviewer, "Reviewer"),
    (Tr::AddLayers, "Add layers…"),
    (Tr::AddLayersInApp, "Browse files in the app…"),
    (Tr::RemoveLayer, "Remove layer"),
    (Tr::ZoomToAll, "Zoom to all"),
    (Tr::ZoomToLayer, "Zoom to layer"),
    (Tr::ZoomShort, "Zoom"),
    (Tr::RemoveShort, "Remove"),
    (Tr::ShowLayers, "Layers panel"),
    (Tr::ShowAttributes, "Attributes panel"),
    (Tr::ShowProblems, "Problems panel"),
    (Tr::About, "About"),
    (
        Tr::AboutText,
        "qingling: review the sites inside protected zones until none is left.",
    ),
    (Tr::Layers, "Layers"),
    (
        Tr::NoLayers,
        "No layers yet. Use Layer > Add layers, or drop files on the window.",
    ),
    (Tr::Visible, "Visible"),
    (Tr::MoveUp, "Move up"),
    (Tr::MoveDown, "Move down"),
    (Tr::Color, "Colour"),
    (Tr::Opacity, "Opacity"),
    (Tr::Encoding, "Encoding"),
    (Tr::Crs, "CRS"),
    (Tr::CrsUnknown, "unknown CRS"),
    (Tr::Role, "Role"),
    (Tr::RoleUnknown, "not set"),
    (Tr::Features, "{} features"),
    (Tr::Reload, "Read again"),
    (Tr::Attributes, "Attributes"),
    (
        Tr::IdentifyHint,
        "Click a feature on the map to see its attributes.",
    ),
    (Tr::Field, "Field"),
    (Tr::Value, "Value"),
    (Tr::Problems, "Problems"),
    (Tr::NoProblems, "No problems."),
    (Tr::File, "File"),
    (Tr::Record, "Record/row"),
    (Tr::Message, "Message"),
    (Tr::Hint, "Hint"),
    (Tr::Level, "Level"),
    (Tr::LevelError, "error"),
    (Tr::LevelWarning, "warning"),
    (Tr::Cancel, "Cancel"),
    (Tr::Cancelled, "Cancelled: {}"),
    (Tr::Ready, "Ready"),
    (Tr::LanguageSet, "Interface language: English"),
    (Tr::FileChooserTitle, "Choose data files"),
    (Tr::Parent, "Up"),
    (Tr::Go, "Go"),
    (Tr::Open, "Open"),
    (Tr::Folder, "Folder"),
    (Tr::Name, "Name"),
    (Tr::Size, "Size"),
    (Tr::SupportedFiles, "Supported data files"),
    (Tr::AllFiles, "All files"),
    (Tr::NothingSelected, "No file selected"),
    (Tr::SelectAllFiles, "Select all"),
    (Tr::Loading, "Reading"),
    (Tr::LoadingFile, "Reading {}"),
    (Tr::LoadFailed, "Cannot read: {}"),
    (Tr::LoadedLayers, "Read {} layer(s)"),
    (
        Tr::CrsTransformFailed,
        "Cannot convert to longitude/latitude: {}",
    ),
    (Tr::DefaultProjectName, "new project.gpkg"),
    (Tr::Create, "Create"),
    (Tr::NewProjectNotGpkg, "A project file name ends in .gpkg"),
    (
        Tr::NewProjectExists,
        "That file exists: choose another name, or open it with Open project",
    ),
    (Tr::NoSuchFolder, "No such folder"),
    (Tr::ProjectOpened, "Opened project {} ({} layers)"),
    (Tr::ProjectFailed, "Cannot open the project: {}"),
    (
        Tr::SetCrsHint,
        "enter the right EPSG code (e.g. EPSG:4546) under CRS in the layers panel to read it again",
    ),
    (
        Tr::NotPlaced,
        "coordinates could not be converted to longitude/latitude; not drawn",
    ),
    (Tr::ApplyCrs, "Apply"),
    (Tr::BadCrs, "Invalid CRS: {}"),
    (
        Tr::NoCrsCannotDraw,
        "Unknown CRS, so the layer cannot be drawn; set the CRS in the layers panel",
    ),
    (Tr::Preparing, "Preparing {} for drawing"),
    (Tr::Lon, "Lon"),
    (Tr::Lat, "Lat"),
    (Tr::DropHint, "Release to add these files"),
    (Tr::Language, "Language"),
    (Tr::Scale, "Scale"),
    (Tr::Jobs, "Jobs"),
    (Tr::Home, "Home"),
    (Tr::FilterPlaceholder, "Path"),
    (Tr::Empty, "(empty)"),
    (Tr::ListingFailed, "Cannot list the folder: {}"),
    (Tr::FidLabel, "fid"),
    (Tr::SelectedFeature, "{}: feature #{}"),
    (Tr::ClearSelection, "Clear selection"),
    (Tr::Geometry, "Geometry"),
    (Tr::Source, "Source"),
    (Tr::Findings, "Findings"),
    (Tr::RunCheck, "Run check"),
    (
        Tr::NeedZonesAndSites,
        "The project needs at least one zone layer and one site layer (set their role in the layers panel)",
    ),
    (
        Tr::CheckDoneMsg,
        "Check done: {} sites, {} zones; {} new, {} existing, {} resolved by data",
    ),
    (Tr::CheckSkipped, "No role set, left out of the check: {}"),
    (Tr::CheckFailed, "Check failed: {}"),
    (
        Tr::NoProject,
        "Create or open a project first (Project menu)",
    ),
    (
        Tr::NoFindings,
        "No findings yet. Set the layers' roles, then press Run check.",
    ),
    (Tr::ColPresence, "Mark"),
    (Tr::ColRule, "Rule"),
    (Tr::ColSeverity, "Severity"),
    (Tr::ColSite, "Site"),
    (Tr::ColZone, "Zone"),
    (Tr::ColDistance, "To boundary (m)"),
    (Tr::ColCounty, "County"),
    (Tr::ColStatus, "Status"),
    (Tr::ColNote, "Note"),
    (Tr::All, "All"),
    (Tr::NoCounty, "(no county)"),
    (Tr::Search, "Search"),
    (Tr::PresenceNew, "new"),
    (Tr::PresenceResolved, "gone from data"),
    (Tr::PresenceNewHint, "First found by the latest check"),
    (
        Tr::PresenceResolvedHint,
        "The latest check no longer finds this; review it and clear it",
    ),
    (Tr::Shown, "{} of {} shown"),
    (Tr::Review, "Review"),
    (Tr::SaveNote, "Save note"),
    (Tr::Saving, "Saving…"),
    (Tr::Saved, "Saved"),
    (Tr::SaveFailed, "Not saved: {}"),
    (
        Tr::NeedReviewer,
        "Enter the reviewer's name in the Project menu first",
    ),
    (
        Tr::Shortcuts,
        "Shortcuts: 1–5 set status, N edit note, Ctrl+Enter save note, Esc leave the note, ↑/↓ move",
    ),
    (Tr::History, "History"),
    (Tr::NoHistory, "Not reviewed yet."),
    (Tr::HistoryLine, "{} {}: {} → {}"),
    (
        Tr::SelectFindingHint,
        "Select a finding in the table or on the map.",
    ),
    (Tr::Dashboard, "Dashboard"),
    (Tr::ShowFindings, "Findings panel"),
    (
        Tr::ClearedProgress,
        "Closed {} of {} (cleared or false positive)",
    ),
    (Tr::NewAndResolved, "{} new, {} gone from data"),
    (Tr::OpenFindings, "Open findings"),
    (Tr::ByCounty, "By county"),
    (Tr::ByRule, "By rule"),
    (Tr::Total, "Total"),
    (Tr::Deadline, "Deadline"),
    (Tr::DaysLeft, "{} days left"),
    (Tr::DaysOverdue, "{} days past the deadline"),
    (Tr::DueToday, "Due today"),
    (Tr::BadDate, "Write the date as YYYY-MM-DD, e.g. 2019-12-31"),
    (Tr::Save, "Save"),
    (Tr::Export, "Export"),
    (Tr::ExportFindings, "Export findings…"),
    (Tr::ExportMap, "Export map picture…"),
    (Tr::ExportPath, "Save to"),
    (Tr::FilteredOnly, "Only the filtered findings"),
    (
        Tr::ExportMapHint,
        "End the name in .png to save the current map view",
    ),
    (Tr::Exported, "Exported {} findings to {}"),
    (Tr::ExportedMap, "Saved the map picture {}"),
    (Tr::ExportFailed, "Export failed: {}"),
    (
        Tr::BadExportName,
        "End the file name in .csv, .xlsx, .geojson, .shp, .gpkg or .png",
    ),
    (Tr::DefaultExportName, "findings"),
    (Tr::ProjectWriteFailed, "Cannot write to the project: {}"),
    (Tr::LayerSavedMsg, "Layer saved in the project: {}"),
    (Tr::Basemap, "Basemap"),
    (Tr::BasemapNone, "None (offline)"),
    (Tr::BasemapTiandituVec, "Tianditu streets"),
    (Tr::BasemapTiandituImg, "Tianditu imagery"),
    (Tr::BasemapCustom, "Custom XYZ URL"),
    (Tr::BasemapOpenFile, "Open an MBTiles/PMTiles basemap file…"),
    (Tr::BasemapFiles, "Basemap files"),
    (Tr::TiandituKey, "Tianditu key (tk)"),
    (
        Tr::TiandituKeyHint,
        "Get a key of the \"server\" type at console.tianditu.gov.cn",
    ),
    (Tr::BasemapApply, "Use"),
    (Tr::BasemapProblem, "Basemap problem: {}"),
    (
        Tr::BasemapUnavailable,
        "The basemap cannot be opened: see the Problems panel",
    ),
    (Tr::BasemapSet, "Basemap: {}"),
    (Tr::BasemapOff, "Basemap off"),
    (Tr::BasemapLoading, "Loading the basemap…"),
    (
        Tr::BasemapOnlineHint,
        "Online basemaps download tiles; tiles seen once are kept on this computer and show offline",
    ),
    (Tr::FieldMapping, "Field mapping"),
    (Tr::FieldMappingButton, "Field mapping…"),
    (Tr::FieldMappingOf, "Field mapping: {}"),
    (
        Tr::SetRoleFirst,
        "Set the layer's role first, then edit its field mapping",
    ),
    (
        Tr::MappingIntro,
        "Choose the column that feeds each standard field. Auto = guessed from the column name, manual = your choice. The check reads the data through the mapping saved in the project.",
    ),
    (Tr::MappingField, "Standard field"),
    (Tr::MappingNeed, "Needed"),
    (Tr::MappingColumn, "Source column"),
    (Tr::MappingHow, "How"),
    (Tr::MappingPreview, "Samples → read as"),
    (Tr::NeedRules, "rules"),
    (Tr::NeedLedger, "ledger"),
    (Tr::NeedOptional, "optional"),
    (Tr::NeededByRules, "These rules test this field:"),
    (Tr::NeededByLedger, "The findings ledger shows this field"),
    (Tr::HowAuto, "auto"),
    (Tr::HowManual, "manual"),
    (Tr::HowConstant, "constant"),
    (Tr::GuessedExact, "The column name is the synonym \"{}\""),
    (
        Tr::GuessedNormalised,
        "The column name is like the synonym \"{}\"",
    ),
    (
        Tr::GuessedTruncated,
        "The column name is the truncated DBF name of \"{}\"",
    ),
    (Tr::ConstantHint, "\"{}\" for every record"),
    (Tr::NoColumn, "(none)"),
    (Tr::ColumnMissing, "The layer has no column \"{}\""),
    (Tr::ResetToGuess, "Back to the guess"),
    (Tr::ResetAllToGuess, "All back to the guess"),
    (Tr::ApplyMapping, "Apply"),
    (Tr::Close, "Close"),
    (Tr::MissingNeeded, "Needed by rules but not mapped: {}"),
    (Tr::AllNeededMapped, "Every field the rules need is mapped"),
    (
        Tr::MappingNotInProject,
        "This layer is not in a project: create or open a project; its mapping can be saved once the layer is in it.",
    ),
    (
        Tr::MappingLoading,
        "Reading the mapping saved in the project…",
    ),
    (Tr::MappingUnsaved, "Changes not applied yet"),
    (
        Tr::MappingSavedMsg,
        "Field mapping of {} saved; check again to update the findings.",
    ),
    (
        Tr::MappingStale,
        "The field mapping changed: the findings may be out of date",
    ),
    (Tr::Recheck, "Check again"),
    (Tr::Unreadable, "unreadable"),
    (Tr::UnreadableCount, "{} records read, {} values unreadable"),
    (Tr::SampleValues, "Sample values:"),
    (Tr::NoSamples, "(empty in the first records)"),
    (Tr::ResetShort, "Reset"),
    (Tr::ConstantOption, "Constant (same for every record)…"),
    (Tr::ConstantText, "Constant value"),
    (
        Tr::NeededUnreadable,
        "None of the values of the column chosen for these fields the rules need can be read (pick another column or a constant): {}",
    ),
    (
        Tr::CheckWithoutLayer,
        "Layer \"{}\" is not in the project yet (still being read or saved); this check left it out",
    ),
    (
        Tr::CheckWithoutLayerHint,
        "run the check again once the layer is saved",
    ),
    (
        Tr::AttributesLoading,
        "The attributes are still being read; they appear here once in…",
    ),
    (
        Tr::MappingAttributesLoading,
        "This layer's attributes are still being read; its columns appear here once they are in…",
    ),
    (
        Tr::CheckWaiting,
        "The check starts once the attributes of {} are read and saved into the project…",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table(name: &str, table: &[(Tr, &str)]) {
        assert_eq!(
            table.len(),
            Tr::ALL.len(),
            "{name} table has a wrong number of entries"
        );
        for (i, key) in Tr::ALL.iter().enumerate() {
            let (k, text) = table[i];
            assert_eq!(k, *key, "{name} table entry {i} is {k:?}, expected {key:?}");
            assert!(!text.trim().is_empty(), "{name} text for {key:?} is empty");
        }
    }

    #[test]
    fn every_key_has_a_chinese_and_an_english_text_in_order() {
        check_table("zh", ZH);
        check_table("en", EN);
    }

    #[test]
    fn chinese_texts_are_chinese_and_english_texts_are_ascii_words() {
        for key in [Tr::MenuProject, Tr::Layers, Tr::Problems, Tr::Cancel] {
            assert!(
                Language::Zh
                    .tr(key)
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{key:?}"
            );
            assert!(Language::En.tr(key).is_ascii(), "{key:?}");
        }
    }

    #[test]
    fn geometry_kinds_and_counts_read_naturally_in_each_language() {
        use crate::model::GeometryKind;
        assert_eq!(Language::Zh.geometry_kind(GeometryKind::Polygon), "面");
        assert_eq!(Language::En.geometry_kind(GeometryKind::Polygon), "Polygon");
        assert_eq!(Language::Zh.trf(Tr::Features, &[&25]), "25 个要素");
        assert_eq!(Language::En.trf(Tr::Features, &[&25]), "25 features");
    }

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(
            Language::En.trf(Tr::SelectedFeature, &[&"sites", &7]),
            "sites: feature #7"
        );
        assert_eq!(Language::Zh.trf(Tr::LoadedLayers, &[&3]), "已读取 3 个图层");
    }

    #[test]
    fn placeholders_match_between_languages() {
        for key in Tr::ALL {
            assert_eq!(
                Language::Zh.tr(*key).matches("{}").count(),
                Language::En.tr(*key).matches("{}").count(),
                "{key:?}"
            );
        }
    }
}
