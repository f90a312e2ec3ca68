//! Counts of findings per county × rule, per review status and per severity: the
//! XLSX "汇总" sheet and the app's progress dashboard use the same numbers.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Finding, ReviewStatus, Severity};

/// Summary counts of a ledger. Orders are deterministic: counties and rules sorted
/// (findings without a county last), statuses and severities in declaration order.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SummaryCounts {
    pub total: usize,
    /// `None` collects findings without a county.
    pub counties: Vec<Option<String>>,
    pub rules: Vec<String>,
    /// `cells[i][j]`: findings of `counties[i]` under `rules[j]`.
    pub cells: Vec<Vec<usize>>,
    /// Every status, zero counts included.
    pub by_status: Vec<(ReviewStatus, usize)>,
    /// Every severity, zero counts included.
    pub by_severity: Vec<(Severity, usize)>,
}

impl SummaryCounts {
    /// Findings of county `i` over all rules.
    pub fn county_total(&self, i: usize) -> usize {
        self.cells.get(i).map_or(0, |row| row.iter().sum())
    }

    /// Findings under rule `j` over all counties.
    pub fn rule_total(&self, j: usize) -> usize {
        self.cells
            .iter()
            .map(|row| row.get(j).copied().unwrap_or(0))
            .sum()
    }

    /// Findings cleared (已销号) or judged false positives (误报): the "清零" progress.
    pub fn closed(&self) -> usize {
        self.by_status
            .iter()
            .filter(|(s, _)| matches!(s, ReviewStatus::Cleared | ReviewStatus::FalsePositive))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Count a ledger (see [`SummaryCounts`]).
pub fn summary_counts(findings: &[Finding]) -> SummaryCounts {
    let mut pairs: BTreeMap<(Option<&str>, &str), usize> = BTreeMap::new();
    let mut county_set: BTreeSet<&str> = BTreeSet::new();
    let mut without_county = false;
    let mut rule_set: BTreeSet<&str> = BTreeSet::new();
    for f in findings {
        let county = f.county.as_deref();
        match county {
            Some(c) => {
                county_set.insert(c);
            }
            None => without_county = true,
        }
        rule_set.insert(&f.rule_id);
        *pairs.entry((county, f.rule_id.as_str())).or_default() += 1;
    }
    let mut counties: Vec<Option<String>> =
        county_set.iter().map(|c| Some(c.to_string())).collect();
    if without_county {
        counties.push(None);
    }
    let rules: Vec<String> = rule_set.iter().map(|r| r.to_string()).collect();
    let cells = counties
        .iter()
        .map(|c| {
            rules
                .iter()
                .map(|r| pairs.get(&(c.as_deref(), r.as_str())).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    let by_status = ReviewStatus::ALL
        .iter()
        .map(|s| (*s, findings.iter().filter(|f| f.status == *s).count()))
        .collect();
    let by_severity = [
        Severity::Violation,
        Severity::TaskPending,
        Severity::NeedsReview,
    ]
    .iter()
    .map(|s| (*s, findings.iter().filter(|f| f.severity == *s).count()))
    .collect();
    SummaryCounts {
        total: findings.len(),
        counties,
        rules,
        cells,
        by_status,
        by_severity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(county: Option<&str>, rule: &str, status: ReviewStatus) -> Finding {
        Finding {
            finding_id: format!("{county:?}{rule}"),
            rule_id: rule.into(),
            severity: Severity::Violation,
            site_layer: "s".into(),
            site_fid: 0,
            site_name: String::new(),
            zone_layer: None,
            zone_fid: None,
            zone_name: None,
            zone_level: None,
            distance_m: None,
            lon: 0.0,
            lat: 0.0,
            county: county.map(str::to_string),
            status,
            note: String::new(),
        }
    }

    #[test]
    fn counts_are_per_county_and_rule_with_missing_counties_last() {
        let s = summary_counts(&[
            f(Some("阳曲县"), "water_level_1", ReviewStatus::Pending),
            f(None, "coal_ban", ReviewStatus::Cleared),
            f(Some("小店区"), "coal_ban", ReviewStatus::Cleared),
            f(Some("阳曲县"), "coal_ban", ReviewStatus::FalsePositive),
            f(Some("阳曲县"), "water_level_1", ReviewStatus::Pending),
        ]);
        assert_eq!(s.total, 5);
        assert_eq!(
            s.counties,
            [Some("小店区".to_string()), Some("阳曲县".to_string()), None]
        );
        assert_eq!(s.rules, ["coal_ban", "water_level_1"]);
        assert_eq!(s.cells, [vec![1, 0], vec![1, 2], vec![1, 0]]);
        assert_eq!(s.county_total(1), 3);
        assert_eq!(s.rule_total(0), 3);
        assert_eq!(s.by_status[0], (ReviewStatus::Pending, 2));
        assert_eq!(s.by_status[4], (ReviewStatus::Cleared, 2));
        assert_eq!(s.closed(), 3);
        assert_eq!(s.by_severity[0], (Severity::Violation, 5));
    }
}
