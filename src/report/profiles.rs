//! `preflight profiles`: the list of built-in profiles with the date, confidence and
//! sources of their data, and what one profile knows about each library.

use super::layout::Width;
use super::table::{keep_key_whole, table_of_width};
use crate::platform::Platform;
use crate::profile::{LoadedProfile, ProfileSummary};
use std::io::{self, Write};

/// `linux/arm/v7` → `arm/v7`, for compact lists.
fn short(platform: Platform) -> &'static str {
    platform.as_str().trim_start_matches("linux/")
}

/// `width`: as for the scan table (`Layout::width`); a profile's name is never wrapped.
pub fn write_profiles_table(
    out: &mut dyn Write,
    profiles: &[ProfileSummary],
    width: Width,
) -> io::Result<()> {
    let mut table = table_of_width(width);
    table.set_header(vec![
        "name",
        "aliases",
        "libc",
        "platforms",
        "confidence",
        "data of",
        "sources",
    ]);
    for p in profiles {
        let libc = p
            .platforms
            .first()
            .map(|pl| format!("{} {}", pl.libc.as_str(), pl.libc_version))
            .unwrap_or_default();
        let platforms: Vec<&str> = p.platforms.iter().map(|pl| short(pl.platform)).collect();
        // Which platforms are exact when only some are.
        let exact: Vec<&str> = p
            .platforms
            .iter()
            .filter(|pl| pl.confidence.as_deref() == Some("exact"))
            .map(|pl| short(pl.platform))
            .collect();
        let confidence = if p.confidence == "mixed" {
            format!("mixed (exact: {})", exact.join(" "))
        } else {
            p.confidence.clone()
        };
        table.add_row(vec![
            p.name.clone(),
            p.aliases.join(", "),
            libc,
            platforms.join(" "),
            confidence,
            p.data_date.clone(),
            p.sources.join(", "),
        ]);
    }
    keep_key_whole(&mut table, width);
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} built-in profiles; `preflight profiles show NAME` prints one with its sources, \
         `--libraries` what it knows of each library.",
        profiles.len()
    )
}

/// `profiles show NAME --libraries`: per platform, every library of the base image
/// with its package and version definitions, then every soname of the repository map
/// with its package (tab-separated, for grep).
pub fn write_profile_libraries(
    out: &mut dyn Write,
    loaded: &LoadedProfile,
    platforms: &[Platform],
) -> io::Result<()> {
    let p = &loaded.profile;
    for platform in platforms {
        let Some(facts) = p.platform(*platform) else {
            continue;
        };
        let how = match (&facts.confidence, &facts.source) {
            (Some(c), Some(s)) => format!("{c} ({s})"),
            (Some(c), None) => c.clone(),
            _ => loaded.origin.clone(),
        };
        writeln!(
            out,
            "# {} on {platform}: {} {}, interpreter {}; {how}{}",
            p.name,
            facts.libc.as_str(),
            facts.libc_version,
            facts.interpreter,
            p.data_date
                .as_deref()
                .map(|d| format!("; data of {d}"))
                .unwrap_or_default()
        )?;
        let (base, other): (Vec<_>, Vec<_>) =
            facts.libraries.iter().partition(|(_, l)| l.base_image);
        let what = if p.wheel_policy.is_some() {
            "whitelist (and the loader): soname, the versions the policy allows"
        } else {
            "base image: soname, package, version definitions (FAMILY<=x.y: every FAMILY_ version up to x.y)"
        };
        writeln!(out, "# {what}; {} libraries", base.len())?;
        for (soname, library) in base {
            let mut versions: Vec<String> = library.versions.clone();
            versions.extend(library.max.iter().map(|(f, v)| format!("{f}<={v}")));
            writeln!(
                out,
                "{soname}\t{}\t{}",
                library.package.as_deref().unwrap_or("-"),
                versions.join(" ")
            )?;
        }
        if let Some(policy) = &p.wheel_policy {
            writeln!(out, "# blacklist: soname, symbols a wheel must not import")?;
            for (soname, symbols) in &policy.blacklist {
                writeln!(out, "{soname}\t{}", symbols.join(" "))?;
            }
        }
        let mut repository: Vec<(String, String)> = other
            .iter()
            .map(|(s, l)| {
                (
                    s.to_string(),
                    l.package.clone().unwrap_or_else(|| "-".into()),
                )
            })
            .collect();
        let mut described = String::new();
        if let (Some(map), Some(used)) = (&p.repository, &facts.repository) {
            let from = used.from.unwrap_or(*platform);
            repository.extend(
                map.entries(from)
                    .into_iter()
                    .filter(|(s, _)| !facts.libraries.contains_key(*s))
                    .map(|(s, pkg)| (s.to_string(), pkg.to_string())),
            );
            described = format!(
                " ({}, {}{})",
                used.confidence,
                used.source,
                used.from
                    .map(|f| format!(", the lines of {f}"))
                    .unwrap_or_default()
            );
        }
        if !repository.is_empty() {
            writeln!(
                out,
                "# repository{described}: soname, package; {} libraries outside the base image",
                repository.len()
            )?;
            for (soname, package) in repository {
                writeln!(out, "{soname}\t{package}")?;
            }
        }
    }
    Ok(())
}
