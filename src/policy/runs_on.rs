//! The runs-on matrix: which built-in targets each file (and the whole tree) runs on,
//! and the oldest release per distribution family that works. A verdict of the
//! policy: a file fails on a target where a finding of severity error remains; it
//! runs there *after installing* packages when the target's repositories have every
//! library its base image lacks (`missing-library` warnings naming their package).
//! Of the wheel policies a tree meets, the oldest of each family from which on every
//! newer one is met names its wheel tag (`manylinux_2_17_x86_64`), as auditwheel
//! picks the highest-priority policy a wheel satisfies.

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
    /// The files judged on this platform (ELF files built for it): with none, the
    /// tree's verdict is empty, never a pass.
    pub files_checked: usize,
    /// The whole tree: the targets where every file runs.
    pub tree: Verdict,
    /// How the platforms were chosen, when the files are built for several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
    /// Targets where it runs, as is or after installing packages.
    pub runs_on: Vec<String>,
    /// Target → the rules that fail there.
    pub fails_on: BTreeMap<String, Vec<Rule>>,
    /// Targets of `runs_on` where it runs only after installing packages: the
    /// packages and the command.
    pub after_installing: BTreeMap<String, Install>,
    /// Per family: the oldest release from which on every release works.
    pub families: Vec<FamilyVerdict>,
    /// Per wheel policy family (manylinux, musllinux) met: the wheel's platform tag
    /// (`manylinux_2_17_x86_64`), the oldest policy from which on every one is met.
    pub wheel_tags: Vec<String>,
}

/// Packages a target's hosts need for the files to load there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Install {
    pub packages: Vec<String>,
    pub command: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FamilyVerdict {
    pub family: String,
    /// The family's targets, oldest first.
    #[serde(skip)]
    pub releases: Vec<String>,
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
        let mut tree_packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut files_checked = 0;
        for (path, facts) in scanned {
            let mut fails: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
            let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for f in findings.iter().filter(|f| f.path == path) {
                let Some(target) = &f.target else { continue };
                if f.severity == Severity::Error {
                    let rules = fails.entry(target.clone()).or_default();
                    if !rules.contains(&f.rule) {
                        rules.push(f.rule);
                    }
                } else if let (Rule::MissingLibrary, Some(package)) = (f.rule, &f.package) {
                    packages
                        .entry(target.clone())
                        .or_default()
                        .insert(package.clone());
                }
            }
            let other_platform = !names.is_empty()
                && names.iter().all(|t| {
                    fails
                        .get(t)
                        .is_some_and(|r| r.contains(&Rule::ArchMismatch))
                });
            let foreign = facts
                .is_some_and(|f| f.arch() != platform.machine() || f.class != platform.class());
            let other_platform = other_platform || foreign;
            if !other_platform && facts.is_some() {
                files_checked += 1;
            }
            if !other_platform {
                for (target, rules) in &fails {
                    tree_fails
                        .entry(target.clone())
                        .or_default()
                        .extend(rules.iter().copied());
                }
                for (target, names) in &packages {
                    tree_packages
                        .entry(target.clone())
                        .or_default()
                        .extend(names.iter().cloned());
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
                verdict: verdict(&ordered, fails, packages, platform),
            });
        }
        let tree = if files_checked == 0 {
            Verdict::default()
        } else {
            verdict(
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
                tree_packages,
                platform,
            )
        };
        RunsOn {
            platform,
            families: ordered
                .iter()
                .map(|t| (t.profile.name.clone(), t.profile.family.clone()))
                .collect(),
            targets: names,
            files,
            files_checked,
            tree,
            note: None,
        }
    }

    pub fn family_of<'a>(&'a self, target: &'a str) -> &'a str {
        self.families
            .get(target)
            .map(String::as_str)
            .unwrap_or(target)
    }
}

fn verdict(
    targets: &[&LoadedProfile],
    fails_on: BTreeMap<String, Vec<Rule>>,
    packages: BTreeMap<String, BTreeSet<String>>,
    platform: Platform,
) -> Verdict {
    let runs_on: Vec<String> = targets
        .iter()
        .map(|t| t.profile.name.clone())
        .filter(|n| !fails_on.contains_key(n))
        .collect();
    let after_installing: BTreeMap<String, Install> = targets
        .iter()
        .filter(|t| !fails_on.contains_key(&t.profile.name))
        .filter_map(|t| {
            let names: Vec<String> = packages.get(&t.profile.name)?.iter().cloned().collect();
            Some((
                t.profile.name.clone(),
                Install {
                    command: t.profile.install_command(&names),
                    packages: names,
                },
            ))
        })
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
            releases: releases.iter().map(|t| t.profile.name.clone()).collect(),
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
    // The wheel tag: per wheel family, the policy its `from` names.
    let wheel_tags = families
        .iter()
        .filter_map(|f| {
            let from = f.from.as_ref()?;
            let policy = targets.iter().find(|t| {
                t.profile.wheel_policy.is_some()
                    && t.profile.family == f.family
                    && &t.profile.version == from
            })?;
            Some(format!("{}_{}", policy.profile.name, platform.wheel_arch()))
        })
        .collect();
    Verdict {
        runs_on,
        fails_on,
        after_installing,
        families,
        wheel_tags,
    }
}

impl Verdict {
    /// "ubuntu ≥ 22.04, debian ≥ 12, rhel ≥ 9 (after installing); not alpine": a
    /// family is marked "after installing" when a release it runs on needs packages.
    pub fn sentence(&self) -> String {
        let mut yes = Vec::new();
        let mut no = Vec::new();
        for f in &self.families {
            let installs = self
                .after_installing
                .keys()
                .any(|t| f.releases.iter().any(|r| r == t));
            let mark = if installs { " (after installing)" } else { "" };
            match (&f.from, f.only.is_empty()) {
                (Some(v), _) => yes.push(format!("{} ≥ {v}{mark}", f.family)),
                (None, false) => yes.push(format!("{} {}{mark}", f.family, f.only.join(", "))),
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
