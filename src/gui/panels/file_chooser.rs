//! The in-app file chooser, for when no system file dialog is available (no desktop
//! portal on Linux, a bare Wine). A window listing folders and data files with
//! Chinese names, a path box, a parent button and, on Windows, the drive roots.
//!
//! Folder listings are read on a worker thread ([`list_dir`] runs in a job); the
//! window shows the last listing it was given.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::gui::commands::Command;
use crate::gui::i18n::Tr;
use crate::gui::state::AppState;

/// File extensions qingling reads (lower case, without the dot).
pub const EXTENSIONS: [&str; 10] = [
    "shp", "zip", "geojson", "json", "xlsx", "xls", "csv", "gpkg", "mbtiles", "pmtiles",
];

/// Whether `path` has an extension qingling reads.
pub fn is_supported(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// One row of a folder listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub path: PathBuf,
    pub name: String,
    pub is_dir: bool,
    pub size_bytes: u64,
}

/// A folder's content, as read by [`list_dir`].
#[derive(Clone, Debug, PartialEq)]
pub struct Listing {
    pub dir: PathBuf,
    /// Folders first, then files, each sorted by name; or why the folder could not be read.
    pub entries: Result<Vec<Entry>, String>,
    /// Drive roots (Windows) to jump to.
    pub roots: Vec<PathBuf>,
}

/// Read a folder (runs on a worker). Entries whose metadata cannot be read are skipped.
pub fn list_dir(dir: &Path) -> Listing {
    let entries = match std::fs::read_dir(dir) {
        Err(e) => Err(e.to_string()),
        Ok(rd) => {
            let mut v: Vec<Entry> = rd
                .flatten()
                .filter_map(|e| {
                    let path = e.path();
                    let meta = std::fs::metadata(&path).ok()?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    Some(Entry {
                        is_dir: meta.is_dir(),
                        size_bytes: if meta.is_dir() { 0 } else { meta.len() },
                        name,
                        path,
                    })
                })
                .collect();
            v.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
            Ok(v)
        }
    };
    Listing {
        dir: dir.to_path_buf(),
        entries,
        roots: drive_roots(),
    }
}

fn drive_roots() -> Vec<PathBuf> {
    if cfg!(windows) {
        (b'A'..=b'Z')
            .map(|d| PathBuf::from(format!("{}:\\", d as char)))
            .filter(|p| p.is_dir())
            .collect()
    } else {
        vec![PathBuf::from("/")]
    }
}

/// The chooser's own state (part of the app state while the window is open).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileChooserState {
    pub dir: PathBuf,
    /// The path box; applied with "Go" or Enter.
    pub path_text: String,
    /// The listing of `dir`, once the worker delivered it.
    pub listing: Option<Listing>,
    /// Chosen files, in the order they were clicked.
    pub selected: Vec<PathBuf>,
    /// Show every file, not only supported ones.
    pub show_all: bool,
}

impl FileChooserState {
    /// A chooser opened at `dir` (its listing is still to come).
    pub fn new(dir: PathBuf) -> FileChooserState {
        FileChooserState {
            path_text: dir.display().to_string(),
            dir,
            ..Default::default()
        }
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The chooser window (drawn when `state.file_chooser` is open).
pub fn file_chooser_ui(ctx: &egui::Context, state: &AppState, cmds: &mut Vec<Command>) {
    let Some(fc) = &state.file_chooser else {
        return;
    };
    let lang = state.settings.language;
    let t = |k| lang.tr(k);
    let mut open = true;
    egui::Window::new(t(Tr::FileChooserTitle))
        .open(&mut open)
        .default_size([640.0, 460.0])
        .collapsible(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.button(format!("↑ {}", t(Tr::Parent))).clicked()
                    && let Some(parent) = fc.dir.parent()
                {
                    cmds.push(Command::ChooserNavigate(parent.to_path_buf()));
                }
                if let Some(home) = home_dir()
                    && ui.button(t(Tr::Home)).clicked()
                {
                    cmds.push(Command::ChooserNavigate(home));
                }
                if let Some(listing) = &fc.listing
                    && cfg!(windows)
                {
                    for r in &listing.roots {
                        if ui.button(r.display().to_string()).clicked() {
                            cmds.push(Command::ChooserNavigate(r.clone()));
                        }
                    }
                }
            });
            ui.horizontal(|ui| {
                let mut text = fc.path_text.clone();
                let resp = ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .hint_text(t(Tr::FilterPlaceholder))
                        .desired_width(ui.available_width() - 60.0),
                );
                if resp.changed() {
                    cmds.push(Command::ChooserSetPathText(text.clone()));
                }
                let enter = resp.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button(t(Tr::Go)).clicked() || enter {
                    let p = PathBuf::from(text.trim());
                    if is_supported(&p) && !p.is_dir() {
                        cmds.push(Command::LoadFiles(vec![p]));
                        cmds.push(Command::CloseFileChooser);
                    } else {
                        cmds.push(Command::ChooserNavigate(p));
                    }
                }
            });
            ui.horizontal(|ui| {
                let mut all = fc.show_all;
                ui.radio_value(&mut all, false, t(Tr::SupportedFiles))
                    .on_hover_text(EXTENSIONS.map(|e| format!(".{e}")).join(" "));
                ui.radio_value(&mut all, true, t(Tr::AllFiles));
                if all != fc.show_all {
                    cmds.push(Command::ChooserShowAll(all));
                }
                // A county's files often come in one folder: all of them at once.
                let files: Vec<PathBuf> = shown_entries(fc)
                    .into_iter()
                    .filter(|e| !e.is_dir)
                    .map(|e| e.path.clone())
                    .collect();
                if ui
                    .add_enabled(!files.is_empty(), egui::Button::new(t(Tr::SelectAllFiles)))
                    .clicked()
                {
                    cmds.push(Command::ChooserSelect(files));
                }
            });
            ui.separator();
            let list_height = (ui.available_height() - 40.0).max(120.0);
            egui::ScrollArea::vertical()
                .max_height(list_height)
                .auto_shrink([false, false])
                .show(ui, |ui| match &fc.listing {
                    None => {
                        ui.spinner();
                    }
                    Some(Listing {
                        entries: Err(e), ..
                    }) => {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            lang.trf(Tr::ListingFailed, &[e]),
                        );
                    }
                    Some(Listing { entries: Ok(_), .. }) => {
                        let shown = shown_entries(fc);
                        if shown.is_empty() {
                            ui.label(t(Tr::Empty));
                        }
                        for e in shown {
                            entry_row_ui(ui, fc, e, cmds);
                        }
                    }
                });
            ui.separator();
            ui.horizontal(|ui| {
                if fc.selected.is_empty() {
                    ui.label(t(Tr::NothingSelected));
                } else {
                    let names: Vec<String> = fc
                        .selected
                        .iter()
                        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .collect();
                    ui.add(egui::Label::new(names.join("、")).truncate());
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.button(t(Tr::Cancel)).clicked() {
                        cmds.push(Command::CloseFileChooser);
                    }
                    if ui
                        .add_enabled(!fc.selected.is_empty(), egui::Button::new(t(Tr::Open)))
                        .clicked()
                    {
                        cmds.push(Command::LoadFiles(fc.selected.clone()));
                        cmds.push(Command::CloseFileChooser);
                    }
                });
            });
        });
    if !open {
        cmds.push(Command::CloseFileChooser);
    }
}

/// The entries the chooser lists: folders, and the supported files (or every file),
/// hidden ones left out.
fn shown_entries(fc: &FileChooserState) -> Vec<&Entry> {
    let Some(Listing {
        entries: Ok(entries),
        ..
    }) = &fc.listing
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|e| e.is_dir || fc.show_all || is_supported(&e.path))
        .filter(|e| !e.name.starts_with('.'))
        .collect()
}

fn entry_row_ui(ui: &mut egui::Ui, fc: &FileChooserState, e: &Entry, cmds: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        if e.is_dir {
            if ui
                .selectable_label(false, egui::RichText::new(format!("{}/", e.name)).strong())
                .clicked()
            {
                cmds.push(Command::ChooserNavigate(e.path.clone()));
            }
        } else {
            let selected = fc.selected.contains(&e.path);
            let resp = ui.selectable_label(selected, e.name.as_str());
            if resp.double_clicked() {
                cmds.push(Command::LoadFiles(vec![e.path.clone()]));
                cmds.push(Command::CloseFileChooser);
            } else if resp.clicked() {
                cmds.push(Command::ChooserToggle(e.path.clone()));
            }
            ui.weak(human_size(e.size_bytes));
        }
    });
}

/// The user's home folder, where the chooser starts when there is no recent folder.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" }).map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_files_are_recognised_by_extension_in_any_case() {
        assert!(is_supported(Path::new("/d/水源地保护区.SHP")));
        assert!(is_supported(Path::new("锅炉台账.xlsx")));
        assert!(is_supported(Path::new("a.GeoJSON")));
        assert!(!is_supported(Path::new("a.dbf")));
        assert!(!is_supported(Path::new("README")));
    }

    #[test]
    fn listings_put_folders_first_and_keep_chinese_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("乙文件夹")).unwrap();
        std::fs::write(dir.path().join("禁煤区.geojson"), "{}").unwrap();
        std::fs::write(dir.path().join("a.csv"), "x,y").unwrap();
        let l = list_dir(dir.path());
        let names: Vec<String> = l.entries.unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, vec!["乙文件夹", "a.csv", "禁煤区.geojson"]);
    }

    #[test]
    fn an_unreadable_folder_gives_a_message_not_a_panic() {
        let l = list_dir(Path::new("/no/such/folder/不存在"));
        assert!(l.entries.is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(2048), "2.0 KB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MB");
    }
}
