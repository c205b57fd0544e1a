//! The runs-on matrix and the list of profiles.

use super::table::new_table;
use crate::policy::RunsOn;
use crate::profile::LoadedProfile;
use std::io::{self, Write};

pub fn write_runs_on_table(out: &mut dyn Write, matrix: &RunsOn) -> io::Result<()> {
    writeln!(
        out,
        "Runs on ({}; {} targets checked):",
        matrix.platform,
        matrix.targets.len()
    )?;
    let mut table = new_table();
    table.set_header(vec!["file", "needs", "runs on"]);
    for file in &matrix.files {
        let needs = if file.needs.is_empty() {
            "-".to_string()
        } else {
            file.needs.join(", ")
        };
        let verdict = if file.other_platform {
            format!(
                "built for another architecture than {}: check it with its --platform",
                matrix.platform
            )
        } else {
            file.verdict.sentence()
        };
        table.add_row(vec![file.path.clone(), needs, verdict]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "whole tree: {}", matrix.tree.sentence())?;
    // Why the newest release that fails fails, per family: the line to act on.
    let mut shown = std::collections::BTreeSet::new();
    for target in matrix.targets.iter().rev() {
        let Some(rules) = matrix.tree.fails_on.get(target) else {
            continue;
        };
        let family = matrix.family_of(target);
        if shown.insert(family) {
            let rules: Vec<&str> = rules.iter().map(|r| r.id()).collect();
            writeln!(
                out,
                "  newest {family} that fails: {target} ({})",
                rules.join(", ")
            )?;
        }
    }
    writeln!(out, "Details: preflight scan DIR --target NAME")
}

pub fn write_runs_on_json(out: &mut dyn Write, matrix: &RunsOn) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, matrix)?;
    writeln!(out)
}

pub fn write_profiles_table(out: &mut dyn Write, profiles: &[LoadedProfile]) -> io::Result<()> {
    let mut table = new_table();
    table.set_header(vec!["name", "aliases", "libc", "platforms", "description"]);
    for loaded in profiles {
        let p = &loaded.profile;
        let libc = p
            .platforms
            .values()
            .next()
            .map(|pl| format!("{} {}", pl.libc.as_str(), pl.libc_version))
            .unwrap_or_default();
        table.add_row(vec![
            p.name.clone(),
            p.aliases.join(", "),
            libc,
            p.platforms.keys().cloned().collect::<Vec<_>>().join(", "),
            p.description.clone(),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} built-in profiles; `preflight profiles show NAME` prints one.",
        profiles.len()
    )
}
