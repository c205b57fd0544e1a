//! The runs-on matrix: which built-in targets each file (and the whole tree) runs on,
//! and the oldest release per distribution family that works. A verdict of the
//! policy: a file fails on a target where a finding of severity error remains.

use crate::elf::ElfFacts;
use crate::platform::Platform;
use crate::profile::{dotted_numbers, LoadedProfile};
use crate::rules::{Finding, Rule, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Serialize)]
pub struct RunsOn {
    pub platform: Platform,
    /// Every target checked, oldest first within each family.
    pub targets: Vec<String>,
    #[serde(skip)]
    families: BTreeMap<String, String>,
    pub files: Vec<FileRunsOn>,
    /// The whole tree: the targets where every file runs.
    pub tree: Verdict,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileRunsOn {
    pub path: String,
    /// Built for another architecture than the platform checked: left out of the
    /// tree's verdict (check it with its own --platform).
    pub other_platform: bool,
    /// The highest version it needs per family (GLIBC_2.34, GLIBCXX_3.4.30, ...).
    pub needs: Vec<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Verdict {
    pub runs_on: Vec<String>,
    /// Target → the rules that fail there.
    pub fails_on: BTreeMap<String, Vec<Rule>>,
    /// Per family: the oldest release from which on every release works.
    pub families: Vec<FamilyVerdict>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FamilyVerdict {
    pub family: String,
    /// "22.04": this release and every newer one work; None: see `only`.
    pub from: Option<String>,
    /// Releases that work when they are not a contiguous newest range (or none).
    pub only: Vec<String>,
}

impl RunsOn {
    /// The verdicts for the `scanned` files (each one's path and facts, in report order) from
    /// the findings of a scan against `targets`.
    pub fn from_findings<'a>(
        scanned: impl Iterator<Item = (&'a str, Option<&'a ElfFacts>)>,
        findings: &[Finding],
        targets: &[LoadedProfile],
        platform: Platform,
    ) -> RunsOn {
        let mut ordered: Vec<&LoadedProfile> = targets.iter().collect();
        ordered.sort_by(|a, b| {
            (
                a.profile.family.as_str(),
                dotted_numbers(&a.profile.version),
            )
                .cmp(&(
                    b.profile.family.as_str(),
                    dotted_numbers(&b.profile.version),
                ))
        });
        let names: Vec<String> = ordered.iter().map(|t| t.profile.name.clone()).collect();
        let mut files = Vec::new();
        let mut tree_fails: BTreeMap<String, BTreeSet<Rule>> = BTreeMap::new();
        for (path, facts) in scanned {
            let mut fails: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
            for f in findings
                .iter()
                .filter(|f| f.path == path && f.severity == Severity::Error)
            {
                if let Some(target) = &f.target {
                    let rules = fails.entry(target.clone()).or_default();
                    if !rules.contains(&f.rule) {
                        rules.push(f.rule);
                    }
                }
            }
            let other_platform = !names.is_empty()
                && names.iter().all(|t| {
                    fails
                        .get(t)
                        .is_some_and(|r| r.contains(&Rule::ArchMismatch))
                });
            if !other_platform {
                for (target, rules) in &fails {
                    tree_fails
                        .entry(target.clone())
                        .or_default()
                        .extend(rules.iter().copied());
                }
            }
            let needs = facts
                .map(|f| {
                    f.highest_needed_versions()
                        .iter()
                        .map(|v| v.to_string())
                        .collect()
                })
                .unwrap_or_default();
            files.push(FileRunsOn {
                path: path.to_string(),
                other_platform,
                needs,
                verdict: verdict(&ordered, fails),
            });
        }
        let tree = verdict(
            &ordered,
            tree_fails
                .into_iter()
                .map(|(t, r)| {
                    // The whole tree's reasons, by id.
                    let mut rules: Vec<Rule> = r.into_iter().collect();
                    rules.sort_by_key(|r| r.id());
                    (t, rules)
                })
                .collect(),
        );
        RunsOn {
            platform,
            families: ordered
                .iter()
                .map(|t| (t.profile.name.clone(), t.profile.family.clone()))
                .collect(),
            targets: names,
            files,
            tree,
        }
    }

    pub fn family_of<'a>(&'a self, target: &'a str) -> &'a str {
        self.families
            .get(target)
            .map(String::as_str)
            .unwrap_or(target)
    }
}

fn verdict(targets: &[&LoadedProfile], fails_on: BTreeMap<String, Vec<Rule>>) -> Verdict {
    let runs_on: Vec<String> = targets
        .iter()
        .map(|t| t.profile.name.clone())
        .filter(|n| !fails_on.contains_key(n))
        .collect();
    let mut families: Vec<FamilyVerdict> = Vec::new();
    let mut by_family: BTreeMap<&str, Vec<&LoadedProfile>> = BTreeMap::new();
    for t in targets {
        by_family
            .entry(t.profile.family.as_str())
            .or_default()
            .push(t);
    }
    for (family, releases) in by_family {
        // Oldest first: the verdict is "from X on" when the passing releases are
        // exactly the newest ones.
        let passing: Vec<bool> = releases
            .iter()
            .map(|t| !fails_on.contains_key(&t.profile.name))
            .collect();
        let first = passing.iter().position(|p| *p);
        let contiguous = first.is_some_and(|i| passing[i..].iter().all(|p| *p));
        families.push(FamilyVerdict {
            family: family.to_string(),
            from: if contiguous {
                first.map(|i| releases[i].profile.version.clone())
            } else {
                None
            },
            only: if contiguous {
                Vec::new()
            } else {
                releases
                    .iter()
                    .zip(&passing)
                    .filter(|(_, p)| **p)
                    .map(|(t, _)| t.profile.version.clone())
                    .collect()
            },
        });
    }
    Verdict {
        runs_on,
        fails_on,
        families,
    }
}

impl Verdict {
    /// "ubuntu ≥ 22.04, debian ≥ 12, rhel ≥ 9; not alpine"
    pub fn sentence(&self) -> String {
        let mut yes = Vec::new();
        let mut no = Vec::new();
        for f in &self.families {
            match (&f.from, f.only.is_empty()) {
                (Some(v), _) => yes.push(format!("{} ≥ {v}", f.family)),
                (None, false) => yes.push(format!("{} {}", f.family, f.only.join(", "))),
                (None, true) => no.push(f.family.clone()),
            }
        }
        let mut text = if yes.is_empty() {
            "nowhere".to_string()
        } else {
            yes.join(", ")
        };
        if !no.is_empty() && !yes.is_empty() {
            text.push_str(&format!("; not {}", no.join(", ")));
        }
        text
    }
}
