//! Linkage assertions of the policy file (`linkage:`), per path glob: sonames a file
//! must link (`require`), must not link (`forbid`: libpython in a wheel, libasan, a GPL
//! library in a proprietary dist, glibc in a musl-only tree), or the only external
//! sonames it may link (`allow_only`, a whitelist like manylinux's), each with a
//! reason. Checked against each file's own DT_NEEDED entries.

use crate::elf::ElfFacts;
use crate::rules::{Finding, Rule};
use crate::yaml::{line_of, YamlError};
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::collections::HashSet;

/// One `linkage:` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLinkage {
    path: String,
    reason: String,
    #[serde(default)]
    require: Vec<String>,
    #[serde(default)]
    forbid: Vec<String>,
    #[serde(default)]
    allow_only: Option<Vec<String>>,
}

/// A soname glob, kept with its text for messages.
#[derive(Clone, Debug)]
struct Pattern {
    text: String,
    matcher: GlobMatcher,
}

/// One validated `linkage:` entry.
#[derive(Clone, Debug)]
pub struct LinkageRule {
    pub path: String,
    pub reason: String,
    matcher: GlobMatcher,
    require: Vec<Pattern>,
    forbid: Vec<Pattern>,
    allow_only: Option<Vec<Pattern>>,
    /// Where it was written: `file:line`, for the findings.
    pub at: String,
}

/// Validates the `linkage:` entries; every problem is reported with its line.
pub(super) fn parse_linkage(
    raw: &[RawLinkage],
    text: &str,
    file: &str,
) -> (Vec<LinkageRule>, Vec<YamlError>) {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut search_from = line_of(text, "linkage", 1).unwrap_or(1);
    for (index, entry) in raw.iter().enumerate() {
        let line = line_of(text, "path", search_from);
        search_from = line.map_or(search_from, |l| l + 1);
        let at = format!("linkage[{index}]");
        let mut error = |message: String| {
            errors.push(YamlError {
                file: file.to_string(),
                line,
                column: None,
                message: format!("{at}.{message}"),
            })
        };
        if entry.reason.trim().is_empty() {
            error("reason: a linkage assertion needs a reason".into());
        }
        if entry.require.is_empty() && entry.forbid.is_empty() && entry.allow_only.is_none() {
            error("path: says nothing: give require, forbid or allow_only".into());
        }
        let mut compile = |key: &str, globs: &[String]| -> Vec<Pattern> {
            globs
                .iter()
                .filter_map(|g| match Glob::new(g) {
                    Ok(glob) => Some(Pattern {
                        text: g.clone(),
                        matcher: glob.compile_matcher(),
                    }),
                    Err(e) => {
                        error(format!("{key}: {e}"));
                        None
                    }
                })
                .collect()
        };
        let require = compile("require", &entry.require);
        let forbid = compile("forbid", &entry.forbid);
        let allow_only = entry
            .allow_only
            .as_deref()
            .map(|g| compile("allow_only", g));
        let matcher = match Glob::new(&entry.path) {
            Ok(glob) => Some(glob.compile_matcher()),
            Err(e) => {
                error(format!("path: {e}"));
                None
            }
        };
        if let Some(matcher) = matcher {
            rules.push(LinkageRule {
                path: entry.path.clone(),
                reason: entry.reason.clone(),
                matcher,
                require,
                forbid,
                allow_only,
                at: line.map_or_else(|| file.to_string(), |l| format!("{file}:{l}")),
            });
        }
    }
    (rules, errors)
}

/// The findings of the linkage assertions over the scanned ELF files (`path` as
/// reports show it). A NEEDED soname is external when no scanned file answers to it
/// (by SONAME or file name): `allow_only` judges only those.
pub fn linkage_findings(rules: &[LinkageRule], objects: &[(&str, &ElfFacts)]) -> Vec<Finding> {
    if rules.is_empty() {
        return Vec::new();
    }
    let shipped: HashSet<&str> = objects
        .iter()
        .flat_map(|(path, facts)| {
            let name = path.rsplit('/').next().unwrap_or(path);
            std::iter::once(name).chain(facts.soname.as_deref())
        })
        .collect();
    let mut findings = Vec::new();
    for (path, facts) in objects {
        for rule in rules.iter().filter(|r| r.matcher.is_match(path)) {
            let reason = &rule.reason;
            for soname in &facts.needed {
                if let Some(p) = rule.forbid.iter().find(|p| p.matcher.is_match(soname)) {
                    findings.push(
                        Rule::LinkageForbidden
                            .finding(
                                path,
                                format!(
                                    "links {soname}, which the policy forbids for {} ({}, {})",
                                    rule.path, p.text, rule.at
                                ),
                            )
                            .arg("soname", soname)
                            .arg("reason", reason)
                            .library(soname)
                            .build(),
                    );
                }
                let allowed = rule.allow_only.as_ref().is_none_or(|list| {
                    shipped.contains(soname.as_str())
                        || list.iter().any(|p| p.matcher.is_match(soname))
                });
                if !allowed {
                    findings.push(
                        Rule::LinkageNotAllowed
                            .finding(
                                path,
                                format!(
                                    "links {soname}, which is not shipped and not on the policy's allow_only list for {} ({})",
                                    rule.path, rule.at
                                ),
                            )
                            .arg("soname", soname)
                            .arg("reason", reason)
                            .library(soname)
                            .build(),
                    );
                }
            }
            for p in &rule.require {
                if !facts.needed.iter().any(|n| p.matcher.is_match(n)) {
                    findings.push(
                        Rule::LinkageRequired
                            .finding(
                                path,
                                format!(
                                    "does not link {}, which the policy requires for {} ({})",
                                    p.text, rule.path, rule.at
                                ),
                            )
                            .arg("soname", &p.text)
                            .arg("reason", reason)
                            .library(&p.text)
                            .build(),
                    );
                }
            }
        }
    }
    findings
}
