//! The runs-on matrix and the list of profiles.

use super::table::new_table;
use crate::compat::RunsOn;
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
        table.add_row(vec![file.path.clone(), needs, file.verdict.sentence()]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "whole tree: {}", matrix.tree.sentence())?;
    // Why the newest failing release of each family fails, as a pointer.
    for (target, rules) in &matrix.tree.fails_on {
        writeln!(out, "  {target}: fails {}", rules.join(", "))?;
    }
    Ok(())
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
            .map(|pl| {
                format!(
                    "{} {}",
                    serde_json::to_value(pl.libc)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    pl.libc_version
                )
            })
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
