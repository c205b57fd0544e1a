//! The rule catalogue and the finding every check produces.
//!
//! A rule is declared once, in `catalogue.rs` (id, default severity, preset, texts, and
//! the cases its check tells apart); its check lives in `policy` (or, for what a source
//! itself refuses, in that source) and builds its findings with `Rule::finding`, which
//! takes the severity, why and fix from the declaration. After that, only the policy
//! (`policy::PolicyConfig::apply`: a profile's or a policy file's levels) changes a
//! severity.

mod catalogue;
mod finding;
mod level;

pub use catalogue::{Case, Rule, RuleSpec};
pub use finding::{fingerprint_of, Finding, FindingBuilder};
pub use level::{parse_levels, Levels, Severity};

impl Rule {
    pub fn id(self) -> &'static str {
        self.spec().id
    }

    pub fn default_severity(self) -> Severity {
        self.spec().severity
    }

    pub fn description(self) -> &'static str {
        self.spec().description
    }

    /// The fix in one line (SARIF's rule help).
    pub fn help(self) -> &'static str {
        self.spec().help
    }

    /// Rules that report nothing unless a policy file, a profile or a preset gives
    /// them a severity: checksec-style hardening, which many valid builds lack.
    pub fn off_by_default(self) -> bool {
        self.spec().preset.is_some()
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// For messages: every rule id, comma-separated.
    pub fn all_ids() -> String {
        Rule::ALL
            .iter()
            .map(|r| format!("`{}`", r.id()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The rules a preset (`--preset NAME`, `presets: [NAME]`) turns on; None for an
    /// unknown preset.
    pub fn preset(name: &str) -> Option<Vec<Rule>> {
        let rules: Vec<Rule> = Rule::ALL
            .iter()
            .copied()
            .filter(|r| r.spec().preset == Some(name))
            .collect();
        (!rules.is_empty()).then_some(rules)
    }

    /// Every preset name, in declaration order.
    pub fn presets() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for rule in Rule::ALL {
            if let Some(name) = rule.spec().preset {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

impl serde::Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kebab_case() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(*rule));
            assert!(rule
                .id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        assert_eq!(Rule::presets(), ["hardened"]);
        assert_eq!(Rule::preset("hardened").unwrap().len(), 5);
        assert_eq!(Rule::preset("strict"), None);
    }

    /// Each `{name}` of a declaration's texts is an identifier a check fills in, and
    /// case names are unique within their rule.
    #[test]
    fn declarations_are_well_formed() {
        for rule in Rule::ALL {
            let spec = rule.spec();
            let mut texts = vec![spec.why, spec.fix];
            let mut names = Vec::new();
            for case in spec.cases {
                assert!(
                    !names.contains(&case.name),
                    "{}: case {}",
                    spec.id,
                    case.name
                );
                names.push(case.name);
                texts.extend(case.why);
                texts.extend(case.fix);
                assert!(
                    case.severity.is_some() || case.why.is_some() || case.fix.is_some(),
                    "{}: case {} changes nothing",
                    spec.id,
                    case.name
                );
            }
            for text in texts {
                for (i, _) in text.match_indices('{') {
                    let rest = &text[i + 1..];
                    let end = rest.find('}').expect("a closed placeholder");
                    assert!(
                        rest[..end]
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_'),
                        "{}: {text}",
                        spec.id
                    );
                }
            }
        }
    }
}
