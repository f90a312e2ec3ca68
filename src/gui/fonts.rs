//! Fonts that render every Chinese character of GBK on a machine with no CJK fonts.
//!
//! The app embeds `assets/fonts/qingling-cjk.ttf` (3 MB), a subset of WenQuanYi Micro
//! Hei (Apache-2.0, see `assets/fonts/LICENSE-WenQuanYi-MicroHei.txt`, made by
//! `scripts/subset_font.py`) holding ASCII, CJK punctuation and every character a GBK
//! code decodes to.
//! It goes after egui's default Latin font in both families, so Latin text keeps its
//! look and every Chinese character has a glyph.
//!
//! Characters outside GBK (rare names in GB18030 files) may still be in a system CJK
//! font: [`find_system_cjk_fonts`] and [`read_system_fonts`] find and read those off
//! the UI thread at startup, and [`add_fallback_fonts`] appends them after the
//! embedded font, once, never per frame.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;
use egui::{FontData, FontDefinitions, FontFamily};

/// The embedded CJK font subset.
pub static EMBEDDED_CJK: &[u8] = include_bytes!("../../assets/fonts/qingling-cjk.ttf");

/// Name of the embedded font in egui's font table.
pub const EMBEDDED_NAME: &str = "qingling-cjk";

/// The font definitions the app starts with: egui's defaults plus the embedded CJK
/// subset as the first fallback of both families.
pub fn font_definitions() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        EMBEDDED_NAME.to_owned(),
        Arc::new(FontData::from_static(EMBEDDED_CJK)),
    );
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let list = fonts.families.entry(family).or_default();
        // Right after the primary Latin font, before the emoji fallbacks, so that
        // CJK punctuation comes from the CJK font.
        let at = list.len().min(1);
        list.insert(at, EMBEDDED_NAME.to_owned());
    }
    fonts
}

/// Install [`font_definitions`] into `ctx`.
pub fn install(ctx: &egui::Context) {
    ctx.set_fonts(font_definitions());
}

/// A system font read from disk, ready to be added as a fallback.
pub struct SystemFont {
    /// Unique name in egui's font table (the file name).
    pub name: String,
    pub data: Vec<u8>,
    /// Face index inside a `.ttc` collection.
    pub index: u32,
}

/// Common places of CJK fonts on Linux and Windows, most useful first.
pub fn find_system_cjk_fonts() -> Vec<PathBuf> {
    let mut found = Vec::new();
    if cfg!(windows) {
        let windir = std::env::var_os("WINDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
        for name in ["msyh.ttc", "simsun.ttc", "simhei.ttf"] {
            let p = windir.join("Fonts").join(name);
            if p.is_file() {
                found.push(p);
            }
        }
    } else {
        let mut candidates = Vec::new();
        for root in ["/usr/share/fonts", "/usr/local/share/fonts"] {
            collect_font_files(Path::new(root), 0, &mut candidates);
        }
        candidates.sort();
        // Noto Sans CJK has the widest coverage (beyond GBK), then WenQuanYi, then Droid.
        for prefix in ["NotoSansCJK", "NotoSerifCJK", "wqy", "DroidSansFallback"] {
            for p in &candidates {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with(prefix) && !found.contains(p) {
                    found.push(p.clone());
                }
            }
        }
    }
    found
}

fn collect_font_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 5 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_font_files(&path, depth + 1, out);
        } else if matches!(
            path.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("ttf" | "ttc" | "otf")
        ) {
            out.push(path);
        }
    }
}

/// Read at most `max` of `paths` (big collections cost memory, and one or two cover
/// what the embedded subset lacks). Unreadable files are skipped.
pub fn read_system_fonts(paths: &[PathBuf], max: usize) -> Vec<SystemFont> {
    paths
        .iter()
        .filter_map(|p| {
            let data = std::fs::read(p).ok()?;
            let name = p.file_name()?.to_string_lossy().into_owned();
            Some(SystemFont {
                name: format!("system:{name}"),
                data,
                index: 0,
            })
        })
        .take(max)
        .collect()
}

/// Append system fonts as the last fallbacks of both families.
pub fn add_fallback_fonts(ctx: &egui::Context, fonts: Vec<SystemFont>) {
    for f in fonts {
        let mut data = FontData::from_owned(f.data);
        data.index = f.index;
        ctx.add_font(egui::epaint::text::FontInsert::new(
            &f.name,
            data,
            vec![
                egui::epaint::text::InsertFontFamily {
                    family: FontFamily::Proportional,
                    priority: egui::epaint::text::FontPriority::Lowest,
                },
                egui::epaint::text::InsertFontFamily {
                    family: FontFamily::Monospace,
                    priority: egui::epaint::text::FontPriority::Lowest,
                },
            ],
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_font_is_a_truetype_file_under_five_megabytes() {
        assert!(EMBEDDED_CJK.len() < 5 * 1024 * 1024);
        assert_eq!(&EMBEDDED_CJK[..4], &[0, 1, 0, 0]);
    }

    /// Every character a GBK double-byte code decodes to.
    fn gbk_chars() -> Vec<char> {
        let mut out = Vec::new();
        for lead in 0x81u8..=0xFE {
            for trail in 0x40u8..=0xFE {
                if trail == 0x7F {
                    continue;
                }
                let bytes = [lead, trail];
                let (text, had_errors) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
                if !had_errors {
                    out.extend(text.chars());
                }
            }
        }
        out
    }

    #[test]
    fn every_chinese_character_of_gbk_has_a_glyph_without_system_fonts() {
        let mut fonts = egui::epaint::text::Fonts::new(Default::default(), font_definitions());
        let font = egui::FontId::proportional(14.0);
        let chars = gbk_chars();
        let hanzi: Vec<char> = chars
            .iter()
            .copied()
            .filter(|c| {
                ('\u{4E00}'..='\u{9FFF}').contains(c) || ('\u{F900}'..='\u{FAFF}').contains(c)
            })
            .collect();
        assert!(hanzi.len() > 20_000, "only {} hanzi in GBK?", hanzi.len());
        let missing: String = hanzi
            .iter()
            .filter(|c| !fonts.has_glyph(&font, **c))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing}");
        // The punctuation of ordinary Chinese text and of the app's own strings.
        let punct = "，。、；：？！“”‘’《》（）【】—…·￥％＋－×÷°℃ ０１２３４５６７８９";
        let missing: String = punct
            .chars()
            .filter(|c| !fonts.has_glyph(&font, *c))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing}");
    }

    #[test]
    fn the_embedded_font_follows_the_primary_font_in_both_families() {
        let defs = font_definitions();
        for family in [FontFamily::Proportional, FontFamily::Monospace] {
            let list = &defs.families[&family];
            assert_eq!(
                list.get(1).map(String::as_str),
                Some(EMBEDDED_NAME),
                "{family:?}"
            );
        }
    }
}
