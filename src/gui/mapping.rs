//! The field-mapping editor's model: which column of a layer feeds each canonical
//! field, as guessed, as stored in the project, and as the user is changing it.
//!
//! Opening the editor reads the mapping stored in the project and the project's rules
//! on a worker ([`load_for_editor`]); edits change a draft here
//! ([`MappingEditor::edit`]); applying writes the draft into the project on a worker
//! ([`save_mapping`]), after which the check in the app reads it (the check always
//! takes the mapping from the project) and the findings are marked out of date until
//! the next check. Drawing is in [`panels::mapping`](super::panels::mapping).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::i18n::{Language, Tr};
use super::jobs::JobContext;
use super::project_tasks::SharedProject;
use super::state::{AppState, LayerId, MapLayer};
use super::tasks::JobOutput;
use crate::model::{Layer, Value};
use crate::rules::eval::{CanonValue, CanonicalValues};
use crate::rules::values::Unit;
use crate::rules::{CanonicalField, FieldMapping, LayerRole, RuleSet, ValueKind};

/// Records read for column samples and the normalisation preview (the first ones).
pub const SAMPLE_RECORDS: usize = 5000;
/// Distinct values kept per column as samples.
pub const SAMPLES_PER_COLUMN: usize = 6;

/// A request from the editor's window.
#[derive(Clone, Debug, PartialEq)]
pub enum MappingCommand {
    /// Open the editor for a layer (reads the stored mapping and the rules).
    Open(LayerId),
    Close,
    /// Feed a field from this column (`None`: from no column and no constant).
    SetColumn(CanonicalField, Option<String>),
    /// Give a field the same text in every record (a county ledger without a county
    /// column, a layer that is all level-1 zones); it replaces any column.
    SetConstant(CanonicalField, String),
    /// Take the guess for one field again.
    ResetField(CanonicalField),
    /// Take the guess for every field again.
    ResetAll,
    /// Save the draft into the project.
    Apply,
}

/// Why a canonical field matters for a layer of some role.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldNeed {
    /// Enabled rules test it: `(rule id, Chinese title, English title)`.
    Rules(Vec<(String, String, String)>),
    /// The findings ledger shows it (site name, county, zone name and level).
    Ledger,
    /// Nothing needs it; kept for the user's own use.
    Optional,
}

/// The canonical fields of `role` and why each matters under `rules`: the fields
/// enabled rules test for sites of this role, the zone level for zones that rules
/// pick by level, and the ledger's columns. Ordered by need (rules, ledger,
/// optional), then in display order.
pub fn field_needs(rules: &RuleSet, role: LayerRole) -> Vec<(CanonicalField, FieldNeed)> {
    let mut by_rules: BTreeMap<CanonicalField, Vec<(String, String, String)>> = BTreeMap::new();
    for rule in rules.enabled() {
        let mut fields: Vec<CanonicalField> = Vec::new();
        if rule.site_roles.contains(&role) {
            fields.extend(rule.conditions.iter().map(|c| c.field));
        }
        if let Some(zone) = &rule.zone
            && zone.role == role
            && zone.levels.is_some()
        {
            fields.push(CanonicalField::ZoneLevel);
        }
        fields.sort();
        fields.dedup();
        for f in fields {
            by_rules.entry(f).or_default().push((
                rule.id.clone(),
                rule.title_zh.clone(),
                rule.title_en.clone(),
            ));
        }
    }
    let ledger: &[CanonicalField] = if role.is_zone() {
        &[
            CanonicalField::ZoneName,
            CanonicalField::SourceName,
            CanonicalField::ZoneLevel,
        ]
    } else {
        &[CanonicalField::SiteName, CanonicalField::County]
    };
    let mut out: Vec<(CanonicalField, FieldNeed)> = CanonicalField::ALL
        .into_iter()
        .filter(|f| f.applies_to(role))
        .map(|f| {
            let need = match by_rules.remove(&f) {
                Some(rules) => FieldNeed::Rules(rules),
                None if ledger.contains(&f) => FieldNeed::Ledger,
                None => FieldNeed::Optional,
            };
            (f, need)
        })
        .collect();
    out.sort_by_key(|(_, need)| match need {
        FieldNeed::Rules(_) => 0,
        FieldNeed::Ledger => 1,
        FieldNeed::Optional => 2,
    });
    out
}

/// A cell as the check reads it (yes/no cells as 是/否, numbers without `.0`).
fn cell_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "是" } else { "否" })),
        other => other.as_text(),
    }
}

/// Up to `per_column` distinct non-empty values of each column, in record order,
/// from the first `max_records` records.
pub fn column_samples(layer: &Layer, max_records: usize, per_column: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new(); layer.fields.len()];
    for feature in layer.features.iter().take(max_records) {
        let mut all_full = true;
        for (col, samples) in out.iter_mut().enumerate() {
            if samples.len() >= per_column {
                continue;
            }
            all_full = false;
            let Some(text) = feature.attrs.get(col).and_then(cell_text) else {
                continue;
            };
            let text = text.trim();
            if !text.is_empty() && !samples.iter().any(|s| s == text) {
                samples.push(text.to_owned());
            }
        }
        if all_full {
            break;
        }
    }
    out
}

/// How `text` reads as `field` from a column in `unit`: the normalised value for
/// the UI (`燃煤`, `4 t/h`, `是`), or `None` when the check could not read it.
pub fn read_as(field: CanonicalField, text: &str, unit: Option<Unit>) -> Option<String> {
    let mut v = CanonicalValues::new();
    v.set_text(field, text, unit).ok()?;
    Some(match v.get(field)? {
        CanonValue::Text(s) => s.clone(),
        CanonValue::Number(n) if field == CanonicalField::CapacityMw => format!("{n} MW"),
        CanonValue::Number(n) => format!("{n} t/h"),
        CanonValue::Level(l) => l.label_zh().to_owned(),
        CanonValue::Fuel(f) => f.label_zh().to_owned(),
        CanonValue::Status(s) => s.label_zh().to_owned(),
        CanonValue::Remediation(r) => r.label_zh().to_owned(),
        CanonValue::Flag(b) => (if *b { "是" } else { "否" }).to_owned(),
    })
}

/// What the check would make of a column's values for one field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValuePreview {
    /// The column's first distinct values and how each reads (`None`: unreadable).
    pub values: Vec<(String, Option<String>)>,
    /// Non-empty values among the records scanned that could not be read.
    pub unreadable: usize,
    /// Records scanned.
    pub scanned: usize,
    /// Records (of those scanned) whose value reads.
    pub readable: usize,
}

/// The [`ValuePreview`] of column `col` of `layer` read as `field` in `unit`
/// (over the first [`SAMPLE_RECORDS`] records).
pub fn value_preview(
    layer: &Layer,
    col: usize,
    field: CanonicalField,
    unit: Option<Unit>,
    samples: &[String],
) -> ValuePreview {
    let values = samples
        .iter()
        .map(|s| (s.clone(), read_as(field, s, unit)))
        .collect();
    let mut unreadable = 0;
    let mut readable = 0;
    let mut scanned = 0;
    for feature in layer.features.iter().take(SAMPLE_RECORDS) {
        scanned += 1;
        if let Some(text) = feature.attrs.get(col).and_then(cell_text)
            && !text.trim().is_empty()
        {
            match read_as(field, &text, unit) {
                Some(_) => readable += 1,
                None => unreadable += 1,
            }
        }
    }
    ValuePreview {
        values,
        unreadable,
        scanned,
        readable,
    }
}

/// Where a field's value comes from in a mapping.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FieldSource<'a> {
    /// A column; `user` when chosen by hand, else guessed from its name.
    Column {
        name: &'a str,
        user: bool,
    },
    /// The same text for every record (guessed from the layer name).
    Constant(&'a str),
    None,
}

/// The source of `field` in `mapping`: a column wins over a constant (as in the check).
pub fn source_of(mapping: &FieldMapping, field: CanonicalField) -> FieldSource<'_> {
    match (mapping.entries.get(&field), mapping.constants.get(&field)) {
        (Some(m), _) => FieldSource::Column {
            name: &m.source_field,
            user: m.how == crate::rules::MapHow::User,
        },
        (None, Some(c)) => FieldSource::Constant(c),
        (None, None) => FieldSource::None,
    }
}

/// The editor of one layer's mapping.
#[derive(Clone, Debug)]
pub struct MappingEditor {
    pub layer: LayerId,
    pub layer_name: String,
    pub role: LayerRole,
    /// The layer's table in the open project; `None`: the mapping cannot be saved.
    pub table: Option<String>,
    /// The layer's column names.
    pub columns: Vec<String>,
    /// Sample values of each column (see [`column_samples`]).
    pub samples: Vec<Vec<String>>,
    /// The mapping guessed from the column names.
    pub guess: FieldMapping,
    /// The mapping the project holds (`None` until read, or when not in a project).
    pub stored: Option<FieldMapping>,
    /// The mapping as edited.
    pub draft: FieldMapping,
    /// Each field of the role and why it matters (empty until the rules are read).
    pub needs: Vec<(CanonicalField, FieldNeed)>,
    /// Whether the stored mapping and the rules have been read.
    pub loaded: bool,
    pub saving: bool,
    /// The draft was saved and not changed since.
    pub saved: bool,
    /// Why reading or saving failed.
    pub error: Option<String>,
    /// Value previews of the fields read as more than text, by field.
    pub previews: BTreeMap<CanonicalField, ValuePreview>,
    /// The layer, for previews.
    layer_data: Arc<Layer>,
}

impl MappingEditor {
    /// An editor for `l` in `role` starting from the guess (until the stored mapping
    /// arrives).
    pub fn new(l: &MapLayer, role: LayerRole, table: Option<String>) -> MappingEditor {
        let layer = l.layer.clone();
        let guess = crate::check::mapping_for(role, &layer);
        let mut ed = MappingEditor {
            layer: l.id,
            layer_name: layer.name.clone(),
            role,
            table,
            columns: layer.fields.iter().map(|f| f.name.clone()).collect(),
            samples: column_samples(&layer, SAMPLE_RECORDS, SAMPLES_PER_COLUMN),
            draft: guess.clone(),
            guess,
            stored: None,
            needs: Vec::new(),
            loaded: false,
            saving: false,
            saved: false,
            error: None,
            previews: BTreeMap::new(),
            layer_data: layer,
        };
        ed.refresh_previews();
        ed
    }

    /// The stored mapping (when in a project) and the rules have been read.
    pub fn loaded(&mut self, stored: Option<FieldMapping>, rules: &RuleSet) {
        if let Some(s) = &stored {
            self.draft = s.clone();
        }
        self.stored = stored;
        self.needs = field_needs(rules, self.role);
        self.loaded = true;
        self.refresh_previews();
    }

    /// Apply an edit to the draft (other commands are ignored here).
    pub fn edit(&mut self, cmd: &MappingCommand) {
        match cmd {
            MappingCommand::SetColumn(field, column) => {
                match column {
                    None => {
                        self.draft.entries.remove(field);
                        self.draft.constants.remove(field);
                    }
                    // The guessed column keeps its guess (and the unit read from it).
                    Some(c) => match self.guess.entries.get(field) {
                        Some(g) if &g.source_field == c => {
                            self.draft.entries.insert(*field, g.clone());
                        }
                        _ => self.draft.set_user(*field, c, None),
                    },
                }
                self.edited();
            }
            MappingCommand::SetConstant(field, text) => {
                self.draft.entries.remove(field);
                self.draft.constants.insert(*field, text.clone());
                self.edited();
            }
            MappingCommand::ResetField(field) => {
                match self.guess.entries.get(field) {
                    Some(g) => self.draft.entries.insert(*field, g.clone()),
                    None => self.draft.entries.remove(field),
                };
                match self.guess.constants.get(field) {
                    Some(c) => self.draft.constants.insert(*field, c.clone()),
                    None => self.draft.constants.remove(field),
                };
                self.edited();
            }
            MappingCommand::ResetAll => {
                self.draft = self.guess.clone();
                self.edited();
            }
            MappingCommand::Open(_) | MappingCommand::Close | MappingCommand::Apply => {}
        }
    }

    fn edited(&mut self) {
        self.saved = false;
        self.error = None;
        self.refresh_previews();
    }

    /// Recompute the value previews of the fields not read as plain text.
    fn refresh_previews(&mut self) {
        let mut previews = BTreeMap::new();
        for (field, m) in &self.draft.entries {
            if field.kind() == ValueKind::Text || !field.applies_to(self.role) {
                continue;
            }
            if let Some(col) = self.columns.iter().position(|c| c == &m.source_field) {
                let samples = self.samples.get(col).map(Vec::as_slice).unwrap_or(&[]);
                previews.insert(
                    *field,
                    value_preview(&self.layer_data, col, *field, m.unit, samples),
                );
            }
        }
        self.previews = previews;
    }

    /// Whether the draft differs from what the project holds.
    pub fn is_dirty(&self) -> bool {
        self.stored.as_ref().is_some_and(|s| *s != self.draft)
    }

    /// Whether `field` is as guessed (its reset would change nothing).
    pub fn is_guess(&self, field: CanonicalField) -> bool {
        self.draft.entries.get(&field) == self.guess.entries.get(&field)
            && self.draft.constants.get(&field) == self.guess.constants.get(&field)
    }

    /// Whether the draft feeds `field` from a column the layer has, or a non-empty
    /// constant.
    pub fn has_value(&self, field: CanonicalField) -> bool {
        match source_of(&self.draft, field) {
            FieldSource::Column { name, .. } => self.columns.iter().any(|c| c == name),
            FieldSource::Constant(c) => !c.trim().is_empty(),
            FieldSource::None => false,
        }
    }

    /// Whether `field` comes from a column none of whose (sampled) values read as
    /// the field: mapped in name only, so the rules would see nothing.
    pub fn reads_nothing(&self, field: CanonicalField) -> bool {
        matches!(source_of(&self.draft, field), FieldSource::Column { .. })
            && self
                .previews
                .get(&field)
                .is_some_and(|p| p.readable == 0 && p.unreadable > 0)
    }

    /// Fields enabled rules test that the draft leaves without a value.
    pub fn missing_needed(&self) -> Vec<CanonicalField> {
        self.needed().filter(|f| !self.has_value(*f)).collect()
    }

    /// Fields enabled rules test whose column has values but none that reads.
    pub fn unreadable_needed(&self) -> Vec<CanonicalField> {
        self.needed()
            .filter(|f| self.has_value(*f) && self.reads_nothing(*f))
            .collect()
    }

    fn needed(&self) -> impl Iterator<Item = CanonicalField> + '_ {
        self.needs
            .iter()
            .filter(|(_, need)| matches!(need, FieldNeed::Rules(_)))
            .map(|(f, _)| *f)
    }

    /// Whether Apply can run now.
    pub fn can_apply(&self) -> bool {
        self.loaded && self.table.is_some() && !self.saving && self.is_dirty()
    }
}

/// The editor and whether the findings predate a mapping change.
#[derive(Clone, Debug, Default)]
pub struct MappingState {
    pub editor: Option<MappingEditor>,
    /// A mapping was saved since the findings were last checked.
    pub findings_stale: bool,
}

/// What the editor's jobs hand back.
pub enum MappingJob {
    /// The stored mapping (`None` outside a project) and the rules.
    Loaded {
        layer: LayerId,
        result: Result<(Option<FieldMapping>, RuleSet), String>,
    },
    /// A mapping written into the project (or why not).
    Saved {
        layer: LayerId,
        layer_name: String,
        mapping: FieldMapping,
        result: Result<(), String>,
    },
}

fn lock(db: &SharedProject) -> std::sync::MutexGuard<'_, crate::project::Project> {
    // A job that panicked holding the lock cannot have left a transaction half done.
    db.lock().unwrap_or_else(|e| e.into_inner())
}

/// The mapping the project stores for `table` as the check will read it, for a
/// layer in `role`. A stored role other than `role` means a role change is still
/// being written, which stores the guess; an unreadable mapping is guessed again
/// (as [`crate::check::project_layers`] does).
pub fn stored_mapping(
    p: &crate::project::Project,
    table: &str,
    role: LayerRole,
    layer: &Layer,
) -> Result<FieldMapping, String> {
    let entries = p.layers().map_err(|e| e.to_string())?;
    let entry = entries
        .iter()
        .find(|e| e.table_name == table)
        .ok_or_else(|| {
            format!(
                "{}: the project has no layer table \"{table}\"; open the project again",
                p.path().display()
            )
        })?;
    if LayerRole::from_code(&entry.role) != Some(role) {
        return Ok(crate::check::mapping_for(role, layer));
    }
    Ok(serde_json::from_str(&entry.field_mapping_json)
        .unwrap_or_else(|_| crate::check::mapping_for(role, layer)))
}

/// Read what the editor of `layer` needs (runs on a worker): the stored mapping and
/// the project's rules, or the built-in rules outside a project.
pub fn load_for_editor(
    db: Option<SharedProject>,
    table: Option<String>,
    id: LayerId,
    role: LayerRole,
    layer: Arc<Layer>,
    _jc: &JobContext,
) -> JobOutput {
    let result = match (db, table) {
        (Some(db), Some(table)) => {
            let p = lock(&db);
            stored_mapping(&p, &table, role, &layer).and_then(|m| {
                let rules = crate::check::project_rules(&p).map_err(|e| e.to_string())?;
                Ok((Some(m), rules))
            })
        }
        _ => Ok((None, crate::rules::builtin())),
    };
    JobOutput::Mapping(MappingJob::Loaded { layer: id, result })
}

/// Write `mapping` as the field mapping of `table` in `role` (runs on a worker).
pub fn save_mapping(
    db: SharedProject,
    table: String,
    id: LayerId,
    layer_name: String,
    role: LayerRole,
    mapping: FieldMapping,
) -> JobOutput {
    let result = serde_json::to_string(&mapping)
        .map_err(|e| format!("{layer_name}: the field mapping cannot be written: {e}"))
        .and_then(|json| {
            lock(&db)
                .set_layer_role(&table, role.code(), &json)
                .map_err(|e| e.to_string())
        });
    JobOutput::Mapping(MappingJob::Saved {
        layer: id,
        layer_name,
        mapping,
        result,
    })
}

/// Apply a finished editor job to the state.
pub fn apply_job(state: &mut AppState, job: MappingJob) {
    let lang = state.settings.language;
    match job {
        MappingJob::Loaded { layer, result } => {
            let Some(ed) = state.mapping.editor.as_mut().filter(|e| e.layer == layer) else {
                return;
            };
            match result {
                Ok((stored, rules)) => ed.loaded(stored, &rules),
                Err(message) => ed.error = Some(message),
            }
        }
        MappingJob::Saved {
            layer,
            layer_name,
            mapping,
            result,
        } => {
            let ed = state.mapping.editor.as_mut().filter(|e| e.layer == layer);
            match result {
                Ok(()) => {
                    state.mapping.findings_stale = true;
                    state.status = Some(lang.trf(Tr::MappingSavedMsg, &[&layer_name]));
                    if let Some(ed) = ed {
                        ed.saving = false;
                        ed.saved = ed.draft == mapping;
                        ed.stored = Some(mapping);
                    }
                }
                Err(message) => {
                    state.status = Some(lang.trf(Tr::ProjectWriteFailed, &[&message]));
                    if let Some(ed) = ed {
                        ed.saving = false;
                        ed.error = Some(message);
                    }
                }
            }
        }
    }
}

/// A field's label in the UI language.
pub fn field_label(field: CanonicalField, lang: Language) -> &'static str {
    match lang {
        Language::Zh => field.label_zh(),
        Language::En => field.label_en(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::text_layer;
    use crate::model::{Feature, GeometryKind, SourceFormat};
    use std::path::PathBuf;

    fn boilers() -> Layer {
        let names = ["单位名称", "燃料", "额定功率(MW)", "运行情况", "备注"];
        let rows: [[&str; 5]; 4] = [
            ["甲厂", "原煤", "1.4", "在用", ""],
            ["乙厂", "天然气", "2.8", "已拆除", ""],
            ["丙厂", "原煤", "", "在用", "x"],
            ["丁厂", "？？", "0.7", "在用", ""],
        ];
        Layer {
            source: PathBuf::from("锅炉台账.xlsx"),
            format: SourceFormat::Xlsx,
            features: rows
                .iter()
                .enumerate()
                .map(|(i, r)| Feature {
                    fid: i as u64,
                    geometry: None,
                    attrs: r
                        .iter()
                        .map(|s| {
                            if s.is_empty() {
                                Value::Null
                            } else {
                                Value::Text((*s).into())
                            }
                        })
                        .collect(),
                })
                .collect(),
            ..text_layer("锅炉台账", GeometryKind::Point, &names)
        }
    }

    fn map_layer(layer: Layer) -> MapLayer {
        use super::super::state::LayerStyle;
        MapLayer {
            id: LayerId(7),
            layer: Arc::new(layer),
            path: PathBuf::from("锅炉台账.xlsx"),
            options: Default::default(),
            display: None,
            display_problems: vec![],
            style: LayerStyle {
                visible: true,
                color: eframe::egui::Color32::RED,
                opacity: 0.3,
            },
            label_field: None,
            role: Some(LayerRole::Boiler),
        }
    }

    #[test]
    fn samples_are_the_first_distinct_non_empty_values_of_each_column() {
        let s = column_samples(&boilers(), 100, 2);
        assert_eq!(s[0], ["甲厂", "乙厂"]);
        assert_eq!(s[1], ["原煤", "天然气"]);
        assert_eq!(s[4], ["x"]);
        let only_first = column_samples(&boilers(), 1, 6);
        assert_eq!(only_first[1], ["原煤"]);
    }

    #[test]
    fn values_read_as_the_check_reads_them() {
        assert_eq!(
            read_as(CanonicalField::Fuel, "原煤", None).as_deref(),
            Some("燃煤")
        );
        assert_eq!(read_as(CanonicalField::Fuel, "？？", None), None);
        assert_eq!(
            read_as(CanonicalField::CapacityTph, "1.4", Some(Unit::Mw)).as_deref(),
            Some("2 t/h")
        );
        assert!(read_as(CanonicalField::Status, "已拆除", None).is_some());
    }

    #[test]
    fn the_preview_counts_unreadable_values() {
        let layer = boilers();
        let samples = column_samples(&layer, 100, 6);
        let p = value_preview(&layer, 1, CanonicalField::Fuel, None, &samples[1]);
        assert_eq!(p.scanned, 4);
        assert_eq!(p.unreadable, 1, "？？ is not a fuel");
        assert_eq!(p.readable, 3);
        assert_eq!(p.values.len(), 3);
        assert_eq!(p.values[2], ("？？".to_owned(), None));
    }

    #[test]
    fn fields_the_builtin_rules_test_are_needed_for_boilers_and_the_name_for_the_ledger() {
        let needs = field_needs(&crate::rules::builtin(), LayerRole::Boiler);
        let need = |f| needs.iter().find(|(g, _)| *g == f).map(|(_, n)| n.clone());
        assert!(matches!(need(CanonicalField::Fuel), Some(FieldNeed::Rules(r)) if !r.is_empty()));
        assert!(matches!(
            need(CanonicalField::CapacityTph),
            Some(FieldNeed::Rules(_))
        ));
        assert!(matches!(
            need(CanonicalField::Status),
            Some(FieldNeed::Rules(_))
        ));
        assert_eq!(need(CanonicalField::SiteName), Some(FieldNeed::Ledger));
        assert_eq!(need(CanonicalField::Remarks), Some(FieldNeed::Optional));
        assert_eq!(need(CanonicalField::ZoneLevel), None, "not a site field");
        let rank = |n: &FieldNeed| match n {
            FieldNeed::Rules(_) => 0,
            FieldNeed::Ledger => 1,
            FieldNeed::Optional => 2,
        };
        assert!(
            needs.windows(2).all(|w| rank(&w[0].1) <= rank(&w[1].1)),
            "fields the rules need come first"
        );
        let zone = field_needs(&crate::rules::builtin(), LayerRole::WaterZone);
        assert!(matches!(
            zone.iter().find(|(f, _)| *f == CanonicalField::ZoneLevel),
            Some((_, FieldNeed::Rules(_)))
        ));
    }

    #[test]
    fn picking_columns_marks_them_manual_and_the_guessed_column_stays_automatic() {
        let ml = map_layer(boilers());
        let mut ed = MappingEditor::new(&ml, LayerRole::Boiler, Some("t".into()));
        ed.loaded(Some(ed.guess.clone()), &crate::rules::builtin());
        assert!(!ed.is_dirty());
        // 运行情况 is no synonym of status: the rules' status is missing.
        assert!(ed.missing_needed().contains(&CanonicalField::Status));
        ed.edit(&MappingCommand::SetColumn(
            CanonicalField::Status,
            Some("运行情况".into()),
        ));
        assert_eq!(
            source_of(&ed.draft, CanonicalField::Status),
            FieldSource::Column {
                name: "运行情况",
                user: true
            }
        );
        assert!(ed.is_dirty() && ed.can_apply());
        assert!(!ed.missing_needed().contains(&CanonicalField::Status));
        assert!(ed.previews.contains_key(&CanonicalField::Status));

        // The MW column guessed for capacity_mw, moved to capacity_tph by hand,
        // keeps its unit from the header.
        ed.edit(&MappingCommand::SetColumn(
            CanonicalField::CapacityTph,
            Some("额定功率(MW)".into()),
        ));
        assert_eq!(
            ed.draft.entries[&CanonicalField::CapacityTph].unit,
            Some(Unit::Mw)
        );
        let p = &ed.previews[&CanonicalField::CapacityTph];
        assert_eq!(p.values[0], ("1.4".to_owned(), Some("2 t/h".to_owned())));

        // Choosing the guessed column again is the guess, not a manual choice.
        let fuel_guess = ed.guess.source_of(CanonicalField::Fuel).unwrap().to_owned();
        ed.edit(&MappingCommand::SetColumn(CanonicalField::Fuel, None));
        assert!(!ed.has_value(CanonicalField::Fuel));
        assert!(!ed.is_guess(CanonicalField::Fuel));
        ed.edit(&MappingCommand::SetColumn(
            CanonicalField::Fuel,
            Some(fuel_guess),
        ));
        assert!(ed.is_guess(CanonicalField::Fuel));

        ed.edit(&MappingCommand::ResetField(CanonicalField::Status));
        assert!(ed.is_guess(CanonicalField::Status));
        ed.edit(&MappingCommand::ResetAll);
        assert_eq!(ed.draft, ed.guess);
        assert!(!ed.is_dirty());
    }

    #[test]
    fn a_layer_outside_a_project_can_be_edited_but_not_applied() {
        let ml = map_layer(boilers());
        let mut ed = MappingEditor::new(&ml, LayerRole::Boiler, None);
        ed.loaded(None, &crate::rules::builtin());
        ed.edit(&MappingCommand::SetColumn(CanonicalField::Remarks, None));
        assert!(!ed.can_apply());
    }

    #[test]
    fn a_constant_from_the_layer_name_is_a_source_and_none_removes_it() {
        let mut layer = boilers();
        layer.name = "一级保护区".into();
        layer.geometry_kind = GeometryKind::Polygon;
        let mut ml = map_layer(layer);
        ml.role = Some(LayerRole::WaterZone);
        let mut ed = MappingEditor::new(&ml, LayerRole::WaterZone, Some("t".into()));
        assert_eq!(
            source_of(&ed.draft, CanonicalField::ZoneLevel),
            FieldSource::Constant("一级保护区")
        );
        ed.edit(&MappingCommand::SetColumn(CanonicalField::ZoneLevel, None));
        assert_eq!(
            source_of(&ed.draft, CanonicalField::ZoneLevel),
            FieldSource::None
        );
        ed.edit(&MappingCommand::ResetField(CanonicalField::ZoneLevel));
        assert!(ed.has_value(CanonicalField::ZoneLevel));
    }

    #[test]
    fn a_constant_typed_by_the_user_replaces_the_column_and_an_empty_one_is_no_value() {
        let ml = map_layer(boilers());
        let mut ed = MappingEditor::new(&ml, LayerRole::Boiler, Some("t".into()));
        ed.loaded(None, &crate::rules::builtin());
        assert!(matches!(
            source_of(&ed.draft, CanonicalField::Fuel),
            FieldSource::Column { name: "燃料", .. }
        ));
        ed.edit(&MappingCommand::SetConstant(
            CanonicalField::Fuel,
            String::new(),
        ));
        assert_eq!(
            source_of(&ed.draft, CanonicalField::Fuel),
            FieldSource::Constant("")
        );
        assert!(!ed.has_value(CanonicalField::Fuel));
        assert!(ed.missing_needed().contains(&CanonicalField::Fuel));
        ed.edit(&MappingCommand::SetConstant(
            CanonicalField::Fuel,
            "燃煤".into(),
        ));
        assert_eq!(
            source_of(&ed.draft, CanonicalField::Fuel),
            FieldSource::Constant("燃煤")
        );
        assert!(ed.has_value(CanonicalField::Fuel));
        assert!(!ed.missing_needed().contains(&CanonicalField::Fuel));
        assert!(!ed.is_guess(CanonicalField::Fuel));
        // The check reads the constant for every record.
        let reader = crate::rules::LayerValues::new(&ed.layer_data, &ed.draft);
        let v = reader.values(1, &mut Default::default());
        assert_eq!(v.raw(CanonicalField::Fuel), Some("燃煤"));
    }

    #[test]
    fn a_needed_field_mapped_to_a_column_of_unreadable_values_is_flagged() {
        let ml = map_layer(boilers());
        let mut ed = MappingEditor::new(&ml, LayerRole::Boiler, Some("t".into()));
        ed.loaded(None, &crate::rules::builtin());
        assert!(ed.unreadable_needed().is_empty());
        // 单位名称 holds names, none of which is a fuel.
        ed.edit(&MappingCommand::SetColumn(
            CanonicalField::Fuel,
            Some("单位名称".into()),
        ));
        assert!(ed.reads_nothing(CanonicalField::Fuel));
        assert_eq!(ed.unreadable_needed(), vec![CanonicalField::Fuel]);
        assert!(
            !ed.missing_needed().contains(&CanonicalField::Fuel),
            "mapped, but to nothing usable"
        );
        // 燃料 has one unreadable value among readable ones: not flagged.
        ed.edit(&MappingCommand::SetColumn(
            CanonicalField::Fuel,
            Some("燃料".into()),
        ));
        assert!(!ed.reads_nothing(CanonicalField::Fuel));
    }

    #[test]
    fn the_stored_mapping_is_read_back_and_a_pending_role_change_reads_as_the_guess() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = crate::project::Project::create(&dir.path().join("p.gpkg")).unwrap();
        let layer = boilers();
        let mut mapping = crate::check::mapping_for(LayerRole::Boiler, &layer);
        mapping.set_user(CanonicalField::Status, "运行情况", None);
        let table = p
            .save_layer(
                &layer,
                LayerRole::Boiler.code(),
                &serde_json::to_string(&mapping).unwrap(),
            )
            .unwrap();
        assert_eq!(
            stored_mapping(&p, &table, LayerRole::Boiler, &layer).unwrap(),
            mapping
        );
        assert_eq!(
            stored_mapping(&p, &table, LayerRole::Enterprise, &layer).unwrap(),
            crate::check::mapping_for(LayerRole::Enterprise, &layer)
        );
        let err = stored_mapping(&p, "no_such_table", LayerRole::Boiler, &layer).unwrap_err();
        assert!(err.contains("no_such_table"), "{err}");

        // Saving through the job writes what the check reads.
        let db: SharedProject = Arc::new(std::sync::Mutex::new(p));
        let mut other = mapping.clone();
        other.entries.remove(&CanonicalField::Status);
        let out = save_mapping(
            db.clone(),
            table.clone(),
            LayerId(1),
            "锅炉台账".into(),
            LayerRole::Boiler,
            other.clone(),
        );
        assert!(matches!(
            out,
            JobOutput::Mapping(MappingJob::Saved { result: Ok(()), .. })
        ));
        let p = lock(&db);
        let (layers, _) = crate::check::project_layers(&p).unwrap();
        assert_eq!(layers[0].mapping, other);
    }
}
