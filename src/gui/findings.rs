//! The findings ledger as the app holds it: the rows of the open project, the table's
//! filter and sort, the selected finding, its note being typed, what is being saved,
//! and the numbers of the dashboard. Plain data and pure functions (tested here); the
//! panels draw from it and the app changes it by applying commands.

use std::collections::{BTreeMap, HashMap};

use crate::gui::i18n::Language;
use crate::model::{ReviewStatus, Severity};
use crate::project::{FindingRow, HistoryEntry, Presence};

/// A column the table can sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Presence,
    Rule,
    Severity,
    Site,
    Zone,
    Distance,
    County,
    Status,
}

/// The titles of the rules in force, by rule id, in the rule set's order: the
/// ledger names a rule by its title in the UI's language (its id, which finding ids
/// and exports use, on hover), and lists and sorts rules in the campaign's order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleTitles {
    /// Rule id -> (position in the rule set, Chinese title, English title).
    by_id: HashMap<String, (usize, String, String)>,
}

impl RuleTitles {
    pub fn of(rules: &crate::rules::RuleSet) -> RuleTitles {
        let by_id = (rules.rules.iter().enumerate())
            .map(|(i, r)| (r.id.clone(), (i, r.title_zh.clone(), r.title_en.clone())))
            .collect();
        RuleTitles { by_id }
    }

    /// The title of rule `id` in `lang` (the other language's when it has none in
    /// `lang`; the id for a rule no longer in force).
    pub fn title<'a>(&'a self, id: &'a str, lang: Language) -> &'a str {
        let Some((_, zh, en)) = self.by_id.get(id) else {
            return id;
        };
        let (first, other) = match lang {
            Language::Zh => (zh, en),
            Language::En => (en, zh),
        };
        [first, other]
            .into_iter()
            .find(|t| !t.trim().is_empty())
            .map_or(id, String::as_str)
    }

    /// Sort key of rule `id`: the rule set's order, then rules no longer in force by
    /// id.
    fn rank<'a>(&self, id: &'a str) -> (usize, &'a str) {
        (self.by_id.get(id).map_or(usize::MAX, |r| r.0), id)
    }

    /// Whether a title of rule `id` (either language) contains `needle` (lower case).
    fn title_contains(&self, id: &str, needle: &str) -> bool {
        self.by_id.get(id).is_some_and(|(_, zh, en)| {
            zh.to_lowercase().contains(needle) || en.to_lowercase().contains(needle)
        })
    }
}

/// Which rows the table shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FindingFilter {
    pub rule: Option<String>,
    pub severity: Option<Severity>,
    /// `Some(None)` selects findings without a county.
    pub county: Option<Option<String>>,
    pub status: Option<ReviewStatus>,
    /// Matched case-insensitively against site, zone, county, rule, note and id.
    pub text: String,
}

impl FindingFilter {
    /// Whether `row` passes every part of the filter; the text is also looked for
    /// in the rule's titles.
    pub fn matches(&self, row: &FindingRow, titles: &RuleTitles) -> bool {
        let f = &row.finding;
        if self.rule.as_ref().is_some_and(|r| *r != f.rule_id)
            || self.severity.is_some_and(|s| s != f.severity)
            || self.county.as_ref().is_some_and(|c| *c != f.county)
            || self.status.is_some_and(|s| s != f.status)
        {
            return false;
        }
        let needle = self.text.trim().to_lowercase();
        if needle.is_empty() {
            return true;
        }
        [
            f.site_name.as_str(),
            f.site_layer.as_str(),
            f.zone_name.as_deref().unwrap_or(""),
            f.county.as_deref().unwrap_or(""),
            f.rule_id.as_str(),
            f.note.as_str(),
            f.finding_id.as_str(),
        ]
        .iter()
        .any(|s| s.to_lowercase().contains(&needle))
            || titles.title_contains(&f.rule_id, &needle)
    }
}

/// Where a review action of a finding stands.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Sent to the project, not yet acknowledged.
    Saving,
    /// Written (the row shows what the project holds).
    Saved,
    /// The project refused or could not write; the row shows what it holds.
    Failed(String),
}

/// The ledger of the open project and the table's state.
#[derive(Default)]
pub struct FindingsState {
    /// Every ledger row, sorted by finding id (as the project gives them).
    pub rows: Vec<FindingRow>,
    /// True once the ledger of the open project was read.
    pub loaded: bool,
    pub filter: FindingFilter,
    pub sort: Option<(SortKey, bool)>,
    /// Indices into `rows` that pass the filter, in sort order.
    pub view: Vec<usize>,
    /// The selected finding's id.
    pub selected: Option<String>,
    /// The note of the selected finding as being typed.
    pub note_draft: String,
    /// Review state per finding id (only those acted on this session).
    pub saves: HashMap<String, SaveState>,
    /// History of the selected finding: id, then the entries or why not.
    pub history: Option<(String, Result<Vec<HistoryEntry>, String>)>,
    /// The titles of the rules in force.
    pub rule_titles: RuleTitles,
    /// The summary line of the last check run.
    pub last_run: Option<String>,
    /// The project's campaign deadline (`YYYY-MM-DD`), as saved.
    pub deadline: Option<String>,
    /// The deadline as being typed.
    pub deadline_draft: String,
}

impl FindingsState {
    /// Recompute `view` from `rows`, the filter and the sort.
    pub fn refresh_view(&mut self) {
        let mut view: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.filter.matches(&self.rows[i], &self.rule_titles))
            .collect();
        if let Some((key, ascending)) = self.sort {
            let (rows, titles) = (&self.rows, &self.rule_titles);
            view.sort_by(|&a, &b| {
                let o = compare(&rows[a], &rows[b], key, titles)
                    .then_with(|| rows[a].finding.finding_id.cmp(&rows[b].finding.finding_id));
                if ascending { o } else { o.reverse() }
            });
        }
        self.view = view;
    }

    /// The row of finding `id`.
    pub fn row(&self, id: &str) -> Option<&FindingRow> {
        self.index_of(id).map(|i| &self.rows[i])
    }

    /// The index into `rows` of finding `id` (rows are sorted by id).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.rows
            .binary_search_by(|r| r.finding.finding_id.as_str().cmp(id))
            .ok()
    }

    /// The selected row, if any.
    pub fn selected_row(&self) -> Option<&FindingRow> {
        self.selected.as_deref().and_then(|id| self.row(id))
    }

    /// The position of the selected finding in the table, if it is shown.
    pub fn selected_position(&self) -> Option<usize> {
        let i = self.index_of(self.selected.as_deref()?)?;
        self.view.iter().position(|&v| v == i)
    }

    /// The id of the row `delta` rows from the selected one in the table (the first
    /// row when nothing shown is selected).
    pub fn step(&self, delta: i64) -> Option<String> {
        if self.view.is_empty() {
            return None;
        }
        let pos = match self.selected_position() {
            Some(p) => (p as i64 + delta).clamp(0, self.view.len() as i64 - 1) as usize,
            None => 0,
        };
        Some(self.rows[self.view[pos]].finding.finding_id.clone())
    }

    /// Replace the row of the same id (after a save), keeping the sort.
    pub fn replace_row(&mut self, row: FindingRow) {
        if let Some(i) = self.index_of(&row.finding.finding_id) {
            self.rows[i] = row;
        }
        self.refresh_view();
    }

    /// The distinct rules (in the rule set's order) and counties (sorted, `None` =
    /// no county, last) of the ledger.
    pub fn choices(&self) -> (Vec<String>, Vec<Option<String>>) {
        let mut rules: Vec<String> = self
            .rows
            .iter()
            .map(|r| r.finding.rule_id.clone())
            .collect();
        rules.sort_by(|a, b| self.rule_titles.rank(a).cmp(&self.rule_titles.rank(b)));
        rules.dedup();
        let mut counties: Vec<Option<String>> =
            self.rows.iter().map(|r| r.finding.county.clone()).collect();
        // Counties first, findings without one last.
        counties.sort_by(|a, b| match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        });
        counties.dedup();
        (rules, counties)
    }
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Violation => 0,
        Severity::TaskPending => 1,
        Severity::NeedsReview => 2,
    }
}

fn status_rank(s: ReviewStatus) -> usize {
    ReviewStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn compare(
    a: &FindingRow,
    b: &FindingRow,
    key: SortKey,
    titles: &RuleTitles,
) -> std::cmp::Ordering {
    let (fa, fb) = (&a.finding, &b.finding);
    match key {
        SortKey::Presence => a.presence.cmp(&b.presence),
        SortKey::Rule => titles.rank(&fa.rule_id).cmp(&titles.rank(&fb.rule_id)),
        SortKey::Severity => severity_rank(fa.severity).cmp(&severity_rank(fb.severity)),
        SortKey::Site => (&fa.site_name, &fa.site_layer, fa.site_fid).cmp(&(
            &fb.site_name,
            &fb.site_layer,
            fb.site_fid,
        )),
        SortKey::Zone => (&fa.zone_name, &fa.zone_level).cmp(&(&fb.zone_name, &fb.zone_level)),
        SortKey::Distance => fa
            .distance_m
            .unwrap_or(f64::INFINITY)
            .total_cmp(&fb.distance_m.unwrap_or(f64::INFINITY)),
        SortKey::County => fa.county.cmp(&fb.county),
        SortKey::Status => status_rank(fa.status).cmp(&status_rank(fb.status)),
    }
}

/// Whether a finding still needs work: not cleared (已销号) and not a false positive.
pub fn is_open(status: ReviewStatus) -> bool {
    !matches!(status, ReviewStatus::Cleared | ReviewStatus::FalsePositive)
}

/// Counts for the dashboard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dashboard {
    pub total: usize,
    /// Cleared or false positive.
    pub closed: usize,
    pub new: usize,
    pub resolved_by_data: usize,
    /// Per county (`None` = no county, last): counts per status in
    /// [`ReviewStatus::ALL`] order.
    pub by_county: Vec<(Option<String>, [usize; 5])>,
    /// Per rule id, in the rule set's order: counts per status.
    pub by_rule: Vec<(String, [usize; 5])>,
}

impl Dashboard {
    /// Count the ledger, rules in the rule set's order.
    pub fn of(rows: &[FindingRow], titles: &RuleTitles) -> Dashboard {
        let mut counties: BTreeMap<(bool, Option<String>), [usize; 5]> = BTreeMap::new();
        let mut rules: BTreeMap<(usize, &str), [usize; 5]> = BTreeMap::new();
        let mut d = Dashboard {
            total: rows.len(),
            ..Default::default()
        };
        for r in rows {
            let f = &r.finding;
            let s = status_rank(f.status);
            counties
                .entry((f.county.is_none(), f.county.clone()))
                .or_default()[s] += 1;
            rules.entry(titles.rank(&f.rule_id)).or_default()[s] += 1;
            if !is_open(f.status) {
                d.closed += 1;
            }
            match r.presence {
                Presence::New => d.new += 1,
                Presence::ResolvedByData => d.resolved_by_data += 1,
                Presence::Existing => {}
            }
        }
        d.by_county = counties.into_iter().map(|((_, c), n)| (c, n)).collect();
        d.by_rule = (rules.into_iter())
            .map(|((_, id), n)| (id.to_owned(), n))
            .collect();
        d
    }

    /// Fraction closed, 1 for an empty ledger (nothing left to clear).
    pub fn progress(&self) -> f32 {
        if self.total == 0 {
            1.0
        } else {
            self.closed as f32 / self.total as f32
        }
    }
}

/// Open findings among per-status counts.
pub fn open_count(counts: &[usize; 5]) -> usize {
    ReviewStatus::ALL
        .iter()
        .zip(counts)
        .filter(|(s, _)| is_open(**s))
        .map(|(_, n)| n)
        .sum()
}

/// Days from `today` to `deadline` (both `YYYY-MM-DD`); negative once past.
pub fn days_between(today: &str, deadline: &str) -> Option<i64> {
    Some(day_number(deadline)? - day_number(today)?)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, `None` if it is not a real date.
pub fn day_number(date: &str) -> Option<i64> {
    let mut it = date.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Today's date in China (UTC+8, where the offices are) as `YYYY-MM-DD`.
pub fn today_in_china() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil_from_days((secs + 8 * 3600).div_euclid(86_400))
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn civil_from_days(z: i64) -> String {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Finding;

    fn row(id: &str, rule: &str, county: Option<&str>, status: ReviewStatus) -> FindingRow {
        FindingRow {
            finding: Finding {
                finding_id: id.into(),
                rule_id: rule.into(),
                severity: Severity::Violation,
                site_layer: "锅炉台账".into(),
                site_fid: 0,
                site_name: format!("单位{id}"),
                zone_layer: None,
                zone_fid: None,
                zone_name: None,
                zone_level: None,
                distance_m: None,
                lon: 112.5,
                lat: 37.8,
                county: county.map(str::to_string),
                status,
                note: String::new(),
            },
            reviewer: None,
            updated_at: None,
            presence: Presence::New,
            first_seen_run: Some(1),
            last_seen_run: Some(1),
        }
    }

    fn state() -> FindingsState {
        let mut s = FindingsState {
            rows: vec![
                row("a", "coal_ban", Some("小店区"), ReviewStatus::Pending),
                row("b", "water_l1", Some("晋源区"), ReviewStatus::Cleared),
                row("c", "coal_ban", None, ReviewStatus::Confirmed),
            ],
            ..Default::default()
        };
        s.refresh_view();
        s
    }

    fn titles() -> RuleTitles {
        let by_id = [
            (
                "water_l1",
                (0, "一级保护区内的建设项目", "Inside a level-1 zone"),
            ),
            ("coal_ban", (1, "禁煤区内燃煤", "")),
        ];
        let by_id = (by_id.into_iter())
            .map(|(id, (i, zh, en))| (id.to_owned(), (i, zh.to_owned(), en.to_owned())))
            .collect();
        RuleTitles { by_id }
    }

    #[test]
    fn rules_are_named_by_their_titles_and_kept_in_the_rule_sets_order() {
        let t = titles();
        assert_eq!(t.title("water_l1", Language::Zh), "一级保护区内的建设项目");
        assert_eq!(t.title("water_l1", Language::En), "Inside a level-1 zone");
        // No English title: the Chinese one; a rule no longer in force: its id.
        assert_eq!(t.title("coal_ban", Language::En), "禁煤区内燃煤");
        assert_eq!(t.title("gone", Language::Zh), "gone");
        let built_in = RuleTitles::of(&crate::rules::builtin());
        let first = &crate::rules::builtin().rules[0];
        assert_eq!(built_in.title(&first.id, Language::Zh), first.title_zh);

        let mut s = state();
        s.rows.push(row("d", "gone", None, ReviewStatus::Pending));
        s.rule_titles = t;
        // The rule set's order (water_l1 before coal_ban), rules not in force last.
        let (rules, _) = s.choices();
        assert_eq!(rules, ["water_l1", "coal_ban", "gone"]);
        s.sort = Some((SortKey::Rule, true));
        s.refresh_view();
        assert_eq!(s.view, vec![1, 0, 2, 3]);
        let d = Dashboard::of(&s.rows, &s.rule_titles);
        let order: Vec<&str> = d.by_rule.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(order, ["water_l1", "coal_ban", "gone"]);
        // The search finds a rule by its title, in either language.
        for text in ["禁煤区", "LEVEL-1"] {
            s.filter.text = text.into();
            s.refresh_view();
            let found: Vec<&str> = (s.view.iter())
                .map(|&i| s.rows[i].finding.rule_id.as_str())
                .collect();
            let rule = if text == "禁煤区" {
                "coal_ban"
            } else {
                "water_l1"
            };
            assert!(
                !found.is_empty() && found.iter().all(|r| *r == rule),
                "{text}"
            );
        }
    }

    #[test]
    fn the_filter_keeps_only_matching_rows() {
        let mut s = state();
        s.filter.rule = Some("coal_ban".into());
        s.refresh_view();
        assert_eq!(s.view, vec![0, 2]);
        s.filter.county = Some(None);
        s.refresh_view();
        assert_eq!(s.view, vec![2]);
        s.filter = FindingFilter {
            text: "单位B".into(),
            ..Default::default()
        };
        s.refresh_view();
        assert_eq!(s.view, vec![1]);
    }

    #[test]
    fn sorting_by_status_follows_the_review_order_and_can_reverse() {
        let mut s = state();
        s.sort = Some((SortKey::Status, true));
        s.refresh_view();
        assert_eq!(s.view, vec![0, 2, 1]);
        s.sort = Some((SortKey::Status, false));
        s.refresh_view();
        assert_eq!(s.view, vec![1, 2, 0]);
    }

    #[test]
    fn stepping_moves_through_the_shown_rows_and_stops_at_the_ends() {
        let mut s = state();
        assert_eq!(s.step(1).as_deref(), Some("a"));
        s.selected = Some("a".into());
        assert_eq!(s.step(1).as_deref(), Some("b"));
        assert_eq!(s.step(-1).as_deref(), Some("a"));
        s.selected = Some("c".into());
        assert_eq!(s.step(5).as_deref(), Some("c"));
    }

    #[test]
    fn the_dashboard_counts_statuses_per_county_and_rule() {
        let d = Dashboard::of(&state().rows, &RuleTitles::default());
        assert_eq!(d.total, 3);
        assert_eq!(d.closed, 1);
        assert_eq!(d.new, 3);
        assert_eq!(
            d.by_county
                .iter()
                .map(|(c, _)| c.clone())
                .collect::<Vec<_>>(),
            vec![Some("小店区".into()), Some("晋源区".into()), None]
        );
        let coal = &d.by_rule[0];
        assert_eq!(coal.0, "coal_ban");
        assert_eq!(coal.1, [1, 1, 0, 0, 0]);
        assert_eq!(open_count(&coal.1), 2);
        assert!((d.progress() - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(Dashboard::of(&[], &RuleTitles::default()).progress(), 1.0);
    }

    #[test]
    fn days_are_counted_between_real_dates_only() {
        assert_eq!(days_between("2019-09-01", "2019-12-10"), Some(100));
        assert_eq!(days_between("2020-03-01", "2020-02-28"), Some(-2));
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2019-02-29"), None);
        assert_eq!(day_number("2019-13-01"), None);
        assert_eq!(day_number("soon"), None);
        for n in [-1000, 0, 18_000, 20_000, 40_000] {
            assert_eq!(day_number(&civil_from_days(n)), Some(n));
        }
    }
}
