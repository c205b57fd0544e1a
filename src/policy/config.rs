//! The policy file (`--policy FILE`, or `.preflight.yaml` at the scanned folder's
//! root): severities per rule, and waivers by rule and path glob, each with a reason.

use super::linkage::{parse_linkage, LinkageRule, RawLinkage};
use crate::rules::{parse_levels, Finding, Levels, Rule};
use crate::yaml::{check_requires, from_yaml, line_of, lines_of, YamlError};
use globset::{Glob, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    /// The preflight versions the file is written for (checked by `check_requires`).
    #[serde(default)]
    #[allow(dead_code)]
    requires: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    waivers: Vec<RawWaiver>,
    #[serde(default)]
    presets: Vec<String>,
    #[serde(default)]
    linkage: Vec<RawLinkage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    path: String,
    reason: String,
    #[serde(default)]
    target: Option<String>,
    /// A glob on the finding's library (`libpython3*.so*`).
    #[serde(default)]
    library: Option<String>,
    /// A glob on the finding's symbols: one of them must match.
    #[serde(default)]
    symbol: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Waiver {
    pub rule: Rule,
    pub path: String,
    pub reason: String,
    pub target: Option<String>,
    glob: Glob,
    /// `library:` and `symbol:`, when given: the finding's must match too.
    library: Option<GlobMatcher>,
    symbol: Option<GlobMatcher>,
    /// Where it was written, for the unused-waiver note.
    pub line: Option<usize>,
}

impl Waiver {
    /// `library:` matches the finding's library, `symbol:` one of its symbols; a
    /// waiver without them matches whatever the finding names.
    fn matches_details(&self, finding: &Finding) -> bool {
        let library = self
            .library
            .as_ref()
            .is_none_or(|m| finding.library.as_deref().is_some_and(|l| m.is_match(l)));
        let symbol = self.symbol.as_ref().is_none_or(|m| {
            finding
                .symbol
                .iter()
                .chain(&finding.symbols)
                // `name@VERSION` in undefined-symbol findings: the name is matched.
                .any(|s| m.is_match(s) || m.is_match(s.split('@').next().unwrap_or(s)))
        });
        library && symbol
    }
}

/// A finding a waiver silenced: reports list it apart, with the waiver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaivedFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub waiver: WaiverRef,
}

/// Which waiver silenced a finding: its reason, and where it is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaiverRef {
    pub reason: String,
    /// The policy file, as the user named it.
    pub file: String,
    pub line: Option<usize>,
}

/// A validated policy.
#[derive(Clone, Debug, Default)]
pub struct PolicyConfig {
    /// The file it came from, for messages.
    pub file: Option<String>,
    pub levels: Levels,
    pub waivers: Vec<Waiver>,
    /// Linkage assertions (`linkage:`), checked on every scanned file.
    pub linkage: Vec<LinkageRule>,
    /// The waivers' globs compiled together, by rule.
    index: WaiverIndex,
}

/// The waivers of each rule as one compiled glob set (globset's: literal paths by
/// hash, extensions and prefixes by Aho-Corasick, the rest as one regex set), so that
/// a finding is matched against all of them at once. Compiling one matcher per waiver
/// and trying them in turn made 100,000 waivers take minutes.
#[derive(Clone, Debug, Default)]
struct WaiverIndex {
    by_rule: HashMap<Rule, RuleWaivers>,
}

#[derive(Clone, Debug)]
struct RuleWaivers {
    set: GlobSet,
    /// For each distinct glob of the set, the waivers (indices, in file order) that
    /// give it.
    waivers: Vec<Vec<usize>>,
}

/// One rule's waivers while the index is built: the set's builder, each distinct
/// glob's slot, and each slot's waivers.
type Group<'w> = (GlobSetBuilder, HashMap<&'w str, usize>, Vec<Vec<usize>>);

impl WaiverIndex {
    fn build(waivers: &[Waiver]) -> Result<WaiverIndex, globset::Error> {
        let mut groups: HashMap<Rule, Group<'_>> = HashMap::new();
        for (i, waiver) in waivers.iter().enumerate() {
            let (builder, distinct, lists) = groups
                .entry(waiver.rule)
                .or_insert_with(|| (GlobSetBuilder::new(), HashMap::new(), Vec::new()));
            let slot = *distinct.entry(waiver.path.as_str()).or_insert_with(|| {
                builder.add(waiver.glob.clone());
                lists.push(Vec::new());
                lists.len() - 1
            });
            lists[slot].push(i);
        }
        let mut by_rule = HashMap::new();
        for (rule, (builder, _, waivers)) in groups {
            by_rule.insert(
                rule,
                RuleWaivers {
                    set: builder.build()?,
                    waivers,
                },
            );
        }
        Ok(WaiverIndex { by_rule })
    }

    /// The first waiver (in file order) of `finding`'s rule whose glob matches its
    /// path and whose target, if any, is the finding's.
    fn first_match(
        &self,
        waivers: &[Waiver],
        finding: &Finding,
        hits: &mut Vec<usize>,
    ) -> Option<usize> {
        let group = self.by_rule.get(&finding.rule)?;
        group.set.matches_into(&finding.path, hits);
        hits.iter()
            .filter_map(|&glob| {
                group.waivers[glob].iter().copied().find(|&i| {
                    waivers[i]
                        .target
                        .as_ref()
                        .is_none_or(|t| finding.target.as_ref() == Some(t))
                        && waivers[i].matches_details(finding)
                })
            })
            .min()
    }
}

impl PolicyConfig {
    /// Parses and validates a policy file; every problem is reported, each with its
    /// line.
    pub fn parse(text: &str, file: &str) -> Result<PolicyConfig, Vec<YamlError>> {
        check_requires(text, file).map_err(|e| vec![e])?;
        let raw: RawPolicy = from_yaml(text, file).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let error = |line: Option<usize>, message: String| YamlError {
            file: file.to_string(),
            line,
            column: None,
            message,
        };
        let mut config = PolicyConfig {
            file: Some(file.to_string()),
            ..PolicyConfig::default()
        };
        let (levels, level_errors) = parse_levels(&raw.rules, text, file);
        config.levels = levels;
        errors.extend(level_errors);
        for name in &raw.presets {
            if let Err(message) = config.enable_preset(name) {
                errors.push(error(
                    line_of(text, "presets", 1),
                    format!("presets: {message}"),
                ));
            }
        }
        // Each waiver's line: the first `rule:` after the previous one's (found in one
        // pass; searching the text again for each waiver was quadratic).
        let mut rule_lines = lines_of(text, "rule").into_iter();
        for (index, waiver) in raw.waivers.iter().enumerate() {
            let line = rule_lines.next();
            let at = format!("waivers[{index}]");
            let rule = Rule::from_id(&waiver.rule);
            if rule.is_none() {
                errors.push(error(
                    line,
                    format!(
                        "{at}.rule: unknown rule `{}`, expected one of {}",
                        waiver.rule,
                        Rule::all_ids()
                    ),
                ));
            }
            if waiver.reason.trim().is_empty() {
                errors.push(error(line, format!("{at}.reason: a waiver needs a reason")));
            }
            let glob = match Glob::new(&waiver.path) {
                Ok(glob) => Some(glob),
                Err(e) => {
                    // globset's message quotes the whole glob; `path` is quoted here,
                    // cut short when the message is shown.
                    errors.push(error(
                        line,
                        format!("{at}.path: `{}` is not a glob: {}", waiver.path, e.kind()),
                    ));
                    None
                }
            };
            let mut detail = |key: &str, text: &Option<String>| match text.as_deref().map(Glob::new)
            {
                None => Ok(None),
                Some(Ok(glob)) => Ok(Some(glob.compile_matcher())),
                Some(Err(e)) => {
                    errors.push(error(line, format!("{at}.{key}: {e}")));
                    Err(())
                }
            };
            let library = detail("library", &waiver.library);
            let symbol = detail("symbol", &waiver.symbol);
            if let (Some(rule), Some(glob), Ok(library), Ok(symbol)) = (rule, glob, library, symbol)
            {
                config.waivers.push(Waiver {
                    rule,
                    path: waiver.path.clone(),
                    reason: waiver.reason.clone(),
                    target: waiver.target.clone(),
                    glob,
                    library,
                    symbol,
                    line,
                });
            }
        }
        let (linkage, linkage_errors) = parse_linkage(&raw.linkage, text, file);
        config.linkage = linkage;
        errors.extend(linkage_errors);
        if errors.is_empty() {
            match WaiverIndex::build(&config.waivers) {
                Ok(index) => config.index = index,
                Err(e) => errors.push(error(
                    None,
                    format!(
                        "waivers: their globs could not be compiled together: {}",
                        e.kind()
                    ),
                )),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// Turns on a preset's rules at their default severity, leaving any level the
    /// policy file already set.
    pub fn enable_preset(&mut self, name: &str) -> Result<(), String> {
        let Some(rules) = Rule::preset(name) else {
            return Err(format!(
                "unknown preset `{name}`, expected one of `{}`",
                Rule::presets().join("`, `")
            ));
        };
        for rule in rules {
            self.levels
                .entry(rule)
                .or_insert(Some(rule.default_severity()));
        }
        Ok(())
    }

    /// Applies severities (rule default, then the target profile's, then this file's)
    /// and waivers. Returns the findings that remain, and those waived (each with its
    /// waiver: reports list them apart).
    pub fn apply(
        &self,
        findings: Vec<Finding>,
        target_levels: &Levels,
        used: &mut [bool],
    ) -> (Vec<Finding>, Vec<WaivedFinding>) {
        let mut kept = Vec::new();
        let mut waived = Vec::new();
        let mut hits = Vec::new();
        for mut finding in findings {
            let level = self
                .levels
                .get(&finding.rule)
                .or_else(|| target_levels.get(&finding.rule))
                .copied();
            match level {
                Some(None) => continue,
                Some(Some(severity)) => finding.severity = severity,
                None if finding.rule.off_by_default() => continue,
                None => {}
            }
            let waiver = self.index.first_match(&self.waivers, &finding, &mut hits);
            match waiver {
                Some(i) => {
                    if let Some(flag) = used.get_mut(i) {
                        *flag = true;
                    }
                    let w = &self.waivers[i];
                    waived.push(WaivedFinding {
                        finding,
                        waiver: WaiverRef {
                            reason: w.reason.clone(),
                            file: self.file.clone().unwrap_or_else(|| "policy".into()),
                            line: w.line,
                        },
                    });
                }
                None => kept.push(finding),
            }
        }
        (kept, waived)
    }

    /// A note for each waiver that silenced nothing.
    pub fn unused_waivers(&self, used: &[bool]) -> Vec<Finding> {
        let file = self.file.clone().unwrap_or_else(|| "policy".into());
        self.waivers
            .iter()
            .zip(used)
            .filter(|(_, used)| !**used)
            .map(|(w, _)| {
                let at = w
                    .line
                    .map(|l| format!("{file}:{l}"))
                    .unwrap_or_else(|| file.clone());
                Rule::UnusedWaiver
                    .finding(
                        &file,
                        format!(
                            "the waiver of {} for {} ({at}) matched no finding",
                            w.rule.id(),
                            w.path
                        ),
                    )
                    .line(w.line)
                    .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rules::Severity;

    fn finding(rule: Rule) -> Finding {
        rule.finding("bin/app", "").build()
    }

    #[test]
    fn hardening_rules_report_only_once_enabled() {
        let off = PolicyConfig::default();
        let (kept, _) = off.apply(vec![finding(Rule::HardeningPie)], &Levels::new(), &mut []);
        assert!(kept.is_empty());
        let preset = PolicyConfig::parse(
            "presets: [hardened]\nrules:\n  hardening-cet: off\n",
            "p.yaml",
        )
        .unwrap();
        let (kept, _) = preset.apply(
            vec![finding(Rule::HardeningPie), finding(Rule::HardeningCet)],
            &Levels::new(),
            &mut [],
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].rule, Rule::HardeningPie);
        assert_eq!(kept[0].severity, Severity::Warning);
        let errors = PolicyConfig::parse("presets: [strict]\n", "p.yaml").unwrap_err();
        assert!(
            errors[0].message.contains("unknown preset `strict`"),
            "{errors:?}"
        );
        assert_eq!(errors[0].line, Some(1));
    }

    #[test]
    fn a_policy_for_a_newer_preflight_says_so_before_its_unknown_keys() {
        assert!(PolicyConfig::parse("requires: \">=0.1\"\nrules: {}\n", "p.yaml").is_ok());
        let errors =
            PolicyConfig::parse("requires: \">=99\"\nnew_key: 1\n", "team.yaml").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .to_string()
                .starts_with("team.yaml:1: requires preflight >=99, but this is preflight"),
            "{errors:?}"
        );
    }

    /// The index answers as trying the waivers in file order did: the first whose
    /// rule, glob and target fit, whatever glob strategy matched it; a later copy of
    /// the same glob is never used.
    #[test]
    fn the_first_waiver_in_file_order_applies() {
        let policy = PolicyConfig::parse(
            "waivers:\n\
             - {rule: textrel, path: \"lib/*.so\", target: debian-12, reason: a}\n\
             - {rule: textrel, path: \"**/libx.so\", reason: b}\n\
             - {rule: textrel, path: lib/libx.so, reason: c}\n\
             - {rule: rpath, path: \"**\", reason: d}\n\
             - {rule: textrel, path: \"**/libx.so\", reason: e}\n",
            "p.yaml",
        )
        .unwrap();
        let at = |rule: Rule, path: &str, target: Option<&str>| {
            let mut finding = rule.finding(path, "").build();
            finding.target = target.map(str::to_string);
            policy
                .index
                .first_match(&policy.waivers, &finding, &mut Vec::new())
                .map(|i| policy.waivers[i].reason.as_str())
        };
        assert_eq!(
            at(Rule::Textrel, "lib/libx.so", Some("debian-12")),
            Some("a")
        );
        assert_eq!(
            at(Rule::Textrel, "lib/libx.so", Some("ubuntu-24.04")),
            Some("b")
        );
        assert_eq!(at(Rule::Textrel, "lib/libx.so", None), Some("b"));
        assert_eq!(
            at(Rule::Textrel, "lib/liby.so", Some("debian-12")),
            Some("a")
        );
        assert_eq!(at(Rule::Textrel, "lib/liby.so", None), None);
        assert_eq!(at(Rule::Rpath, "anything/at/all", None), Some("d"));
        assert_eq!(at(Rule::HardeningPie, "lib/libx.so", None), None);
    }
}
