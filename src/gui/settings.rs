//! What the app remembers between runs: language, reviewer name, recent projects and
//! folders, which panels are open, the basemap. A small serde struct saved by eframe's persistence,
//! separate from the runtime [`AppState`](super::state::AppState); unknown or missing
//! fields fall back to defaults so an old settings file never stops the app.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::i18n::Language;
use super::map::basemap::BasemapSettings;

/// How many recent projects and folders are kept.
pub const RECENT_MAX: usize = 10;

/// Persisted user settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub language: Language,
    /// Name written into review decisions.
    pub reviewer: String,
    /// Most recent first.
    pub recent_projects: Vec<PathBuf>,
    /// Folders files were last added from, most recent first.
    pub recent_folders: Vec<PathBuf>,
    pub layout: Layout,
    /// The basemap under the layers (none unless chosen).
    pub basemap: BasemapSettings,
}

/// Which panels are shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    pub show_layers: bool,
    pub show_attributes: bool,
    pub show_problems: bool,
    pub show_findings: bool,
    pub show_dashboard: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            show_layers: true,
            show_attributes: true,
            show_problems: true,
            show_findings: true,
            show_dashboard: false,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: Language::Zh,
            reviewer: String::new(),
            recent_projects: Vec::new(),
            recent_folders: Vec::new(),
            layout: Layout::default(),
            basemap: BasemapSettings::default(),
        }
    }
}

impl Settings {
    /// Key under which eframe stores the settings.
    pub const STORAGE_KEY: &'static str = "qingling.settings";

    /// Remember a project as the most recent one.
    pub fn push_recent_project(&mut self, path: &Path) {
        push_front_unique(&mut self.recent_projects, path);
    }

    /// Remember the folder of an added file as the most recent one.
    pub fn push_recent_folder(&mut self, folder: &Path) {
        push_front_unique(&mut self.recent_folders, folder);
    }
}

fn push_front_unique(list: &mut Vec<PathBuf>, path: &Path) {
    list.retain(|p| p != path);
    list.insert(0, path.to_path_buf());
    list.truncate(RECENT_MAX);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_lists_put_the_newest_first_without_duplicates() {
        let mut s = Settings::default();
        s.push_recent_folder(Path::new("/a"));
        s.push_recent_folder(Path::new("/b"));
        s.push_recent_folder(Path::new("/a"));
        assert_eq!(
            s.recent_folders,
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
        for i in 0..20 {
            s.push_recent_project(Path::new(&format!("/p{i}.gpkg")));
        }
        assert_eq!(s.recent_projects.len(), RECENT_MAX);
        assert_eq!(s.recent_projects[0], PathBuf::from("/p19.gpkg"));
    }

    #[test]
    fn settings_with_missing_fields_load_with_defaults() {
        let s: Settings = serde_json::from_str(r#"{"language":"En"}"#).unwrap();
        assert_eq!(s.language, Language::En);
        assert!(s.layout.show_layers);
        assert!(s.recent_projects.is_empty());
    }
}
