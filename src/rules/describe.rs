//! Rules in words, for the rule list in the app and the 问题描述 of a ledger.
//!
//! `燃料类型 属于 燃煤、洁净型煤/兰炭/水煤浆；额定蒸发量(t/h) ≤ 10；位于 建成区 内`.

use super::format::{CompareOp, Condition, Operand, Rule, Test, WhenMissing, ZonePredicate};
use super::roles::CanonicalField;
use crate::model::format_float;

/// The language of a description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Rule {
    /// The rule's conditions, zone relation and scope in one line.
    pub fn describe(&self, lang: Lang) -> String {
        let mut parts: Vec<String> = self
            .conditions
            .iter()
            .map(|c| describe_condition(c, lang))
            .collect();
        if let Some(zone) = &self.zone {
            let mut what = match lang {
                Lang::Zh => zone.role.label_zh().to_string(),
                Lang::En => zone.role.label_en().to_lowercase(),
            };
            if let Some(levels) = &zone.levels {
                let names: Vec<&str> = levels
                    .iter()
                    .map(|l| match lang {
                        Lang::Zh => l.label_zh(),
                        Lang::En => l.label_en(),
                    })
                    .collect();
                what = match lang {
                    Lang::Zh => format!("{what}（{}）", names.join("、")),
                    Lang::En => format!("{what} ({})", names.join(", ")),
                };
            }
            parts.push(match (zone.predicate, lang) {
                (ZonePredicate::Inside, Lang::Zh) => format!("位于{what}内（含边界）"),
                (ZonePredicate::Inside, Lang::En) => format!("inside a {what} (boundary included)"),
                (ZonePredicate::WithinDistance { distance_m }, Lang::Zh) => {
                    format!("位于{what}边界外{}米以内", format_float(distance_m))
                }
                (ZonePredicate::WithinDistance { distance_m }, Lang::En) => format!(
                    "outside a {what}, within {} m of its boundary",
                    format_float(distance_m)
                ),
            });
        }
        if let Some(scope) = &self.scope {
            if !scope.places.is_empty() {
                parts.push(match lang {
                    Lang::Zh => format!("限于：{}", scope.places.join("、")),
                    Lang::En => format!("only in: {}", scope.places.join(", ")),
                });
            }
            if !scope.except_places.is_empty() {
                parts.push(match lang {
                    Lang::Zh => format!("不含：{}", scope.except_places.join("、")),
                    Lang::En => format!("except: {}", scope.except_places.join(", ")),
                });
            }
        }
        if parts.is_empty() {
            return match lang {
                Lang::Zh => "所有点位".into(),
                Lang::En => "every site".into(),
            };
        }
        parts.join(match lang {
            Lang::Zh => "；",
            Lang::En => "; ",
        })
    }
}

fn field_name(field: CanonicalField, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => field.label_zh(),
        Lang::En => field.label_en(),
    }
}

fn operand_text(o: &Operand, lang: Lang) -> String {
    match (o, lang) {
        (Operand::Text(t), _) => format!("\"{t}\""),
        (Operand::Number(n), _) => format!("{} t/h", format_float(*n)),
        (Operand::Level(l), Lang::Zh) => l.label_zh().into(),
        (Operand::Level(l), Lang::En) => l.label_en().into(),
        (Operand::Fuel(f), Lang::Zh) => f.label_zh().into(),
        (Operand::Fuel(f), Lang::En) => f.code().into(),
        (Operand::Status(s), Lang::Zh) => s.label_zh().into(),
        (Operand::Status(s), Lang::En) => s.code().into(),
        (Operand::Remediation(r), Lang::Zh) => r.label_zh().into(),
        (Operand::Remediation(r), Lang::En) => r.code().into(),
        (Operand::Flag(b), Lang::Zh) => (if *b { "是" } else { "否" }).into(),
        (Operand::Flag(b), Lang::En) => (if *b { "yes" } else { "no" }).into(),
    }
}

fn list(ops: &[Operand], lang: Lang) -> String {
    let items: Vec<String> = ops.iter().map(|o| operand_text(o, lang)).collect();
    items.join(if lang == Lang::Zh { "、" } else { ", " })
}

/// One condition in words.
pub fn describe_condition(c: &Condition, lang: Lang) -> String {
    let f = field_name(c.field, lang);
    let zh = lang == Lang::Zh;
    let body = match &c.test {
        Test::In(ops) if zh => format!("{f}属于{}", list(ops, lang)),
        Test::In(ops) => format!("{f} is {}", list(ops, lang)),
        Test::NotIn(ops) if zh => format!("{f}不属于{}", list(ops, lang)),
        Test::NotIn(ops) => format!("{f} is not {}", list(ops, lang)),
        Test::Equals(o) if zh => format!("{f}为{}", operand_text(o, lang)),
        Test::Equals(o) => format!("{f} is {}", operand_text(o, lang)),
        Test::NotEquals(o) if zh => format!("{f}不为{}", operand_text(o, lang)),
        Test::NotEquals(o) => format!("{f} is not {}", operand_text(o, lang)),
        Test::Compare(op, n) => {
            let sym = match op {
                CompareOp::Lt => "<",
                CompareOp::Le => "≤",
                CompareOp::Gt => ">",
                CompareOp::Ge => "≥",
            };
            let n = format_float(*n);
            let unit = if c.field == CanonicalField::CapacityMw {
                "MW"
            } else {
                "t/h"
            };
            if f.contains(unit) {
                format!("{f} {sym} {n}")
            } else {
                format!("{f} {sym} {n} {unit}")
            }
        }
        Test::IsTrue if zh => format!("{f}为是"),
        Test::IsTrue => format!("{f}: yes"),
        Test::IsFalse if zh => format!("{f}为否"),
        Test::IsFalse => format!("{f}: no"),
        Test::ContainsAny(needles) if zh => format!("{f}含{}", needles.join("、")),
        Test::ContainsAny(needles) => format!("{f} contains any of {}", needles.join(", ")),
        Test::IsMissing if zh => format!("{f}缺失"),
        Test::IsMissing => format!("{f} is missing"),
        Test::IsPresent if zh => format!("{f}已填写"),
        Test::IsPresent => format!("{f} is given"),
    };
    match (c.when_missing, lang) {
        (WhenMissing::Match, Lang::Zh) => format!("{body}（未填写也算）"),
        (WhenMissing::Match, Lang::En) => format!("{body} (or not given)"),
        (WhenMissing::NoMatch, _) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::builtin;

    #[test]
    fn the_national_elimination_rule_reads_as_a_sentence() {
        let set = builtin();
        let rule = set.get("boiler-elimination").unwrap();
        let zh = rule.describe(Lang::Zh);
        assert!(
            zh.contains("燃料类型属于燃煤、洁净型煤/兰炭/水煤浆"),
            "{zh}"
        );
        assert!(zh.contains("额定蒸发量(t/h) ≤ 10；"), "{zh}");
        assert!(zh.contains("状态不属于已淘汰（未填写也算）"), "{zh}");
        assert!(zh.contains("位于建成区内（含边界）"), "{zh}");
        assert!(zh.contains("不含：太原"), "{zh}");
        let en = rule.describe(Lang::En);
        assert!(en.contains("fuel is coal, clean_coal"), "{en}");
        assert!(en.contains("inside a built-up area"), "{en}");
    }

    #[test]
    fn the_near_boundary_rule_names_its_distance_and_levels() {
        let set = builtin();
        let zh = set.get("water-near-boundary").unwrap().describe(Lang::Zh);
        assert!(
            zh.contains("位于饮用水水源保护区（一级保护区、二级保护区）边界外50米以内"),
            "{zh}"
        );
    }

    #[test]
    fn every_built_in_rule_has_a_description() {
        for r in &builtin().rules {
            assert!(!r.describe(Lang::Zh).is_empty());
            assert!(!r.describe(Lang::En).is_empty());
        }
    }
}
