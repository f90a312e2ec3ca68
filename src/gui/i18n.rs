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
    Loading,
    LoadingFile,
    LoadFailed,
    LoadedLayers,
    CrsTransformFailed,
    DefaultProjectName,
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
    (Tr::Features, "要素数"),
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
    (Tr::Loading, "正在读取"),
    (Tr::LoadingFile, "读取 {}"),
    (Tr::LoadFailed, "无法读取：{}"),
    (Tr::LoadedLayers, "已读取 {} 个图层"),
    (Tr::CrsTransformFailed, "无法转换到经纬度：{}"),
    (Tr::DefaultProjectName, "新项目.gpkg"),
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
    (Tr::FidLabel, "序号"),
    (Tr::SelectedFeature, "{}：第 {} 条"),
    (Tr::ClearSelection, "清除选择"),
    (Tr::Geometry, "几何类型"),
    (Tr::Source, "来源"),
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
    (Tr::Features, "Features"),
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
    (Tr::Loading, "Reading"),
    (Tr::LoadingFile, "Reading {}"),
    (Tr::LoadFailed, "Cannot read: {}"),
    (Tr::LoadedLayers, "Read {} layer(s)"),
    (
        Tr::CrsTransformFailed,
        "Cannot convert to longitude/latitude: {}",
    ),
    (Tr::DefaultProjectName, "new project.gpkg"),
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
    (Tr::SelectedFeature, "{}: record {}"),
    (Tr::ClearSelection, "Clear selection"),
    (Tr::Geometry, "Geometry"),
    (Tr::Source, "Source"),
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
    fn placeholders_are_filled_in_order() {
        assert_eq!(
            Language::En.trf(Tr::SelectedFeature, &[&"sites", &7]),
            "sites: record 7"
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
