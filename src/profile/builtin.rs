//! The built-in profiles: every folder of policies/hosts/, embedded by build.rs, found
//! by name or alias; and the releases that were built in once and are no longer, each
//! with the profile to use instead.

use super::hostdata::{read_folder, summary, HostFolder, ProfileSummary};
use super::LoadedProfile;
use crate::platform::Platform;

mod embedded {
    use super::HostFolder;
    include!(concat!(env!("OUT_DIR"), "/builtin_hosts.rs"));
}

/// Every embedded folder.
pub fn folders() -> &'static [HostFolder] {
    embedded::HOSTS
}

/// A release preflight described once and no longer does (its support ended): asking
/// for it is an error naming what to use instead, never an unknown name.
struct Retired {
    names: &'static [&'static str],
    release: &'static str,
    ended: &'static str,
    instead: &'static str,
}

/// Dates: Ubuntu's release cycle page (standard support of 18.04 ended 2023-05-31),
/// Debian's LTS page (buster's LTS ended 2024-06-30), Red Hat's life cycle page (RHEL 7
/// maintenance support ended 2024-06-30, as did CentOS 7), alpinelinux.org/releases
/// (3.19: 2025-11-01).
const RETIRED: &[Retired] = &[
    Retired {
        names: &["ubuntu-18.04", "bionic"],
        release: "Ubuntu 18.04",
        ended: "its standard support ended on 2023-05-31",
        instead: "ubuntu-20.04",
    },
    Retired {
        names: &["debian-10", "buster"],
        release: "Debian 10",
        ended: "its LTS support ended on 2024-06-30",
        instead: "debian-11",
    },
    Retired {
        names: &["rhel-7", "centos-7", "oraclelinux-7", "ubi-7"],
        release: "RHEL 7 and CentOS 7",
        ended: "their maintenance support ended on 2024-06-30",
        instead:
            "rhel-8, or manylinux_2_17 (manylinux2014, built on CentOS 7) for glibc 2.17 hosts",
    },
    Retired {
        names: &["alpine-3.19"],
        release: "Alpine 3.19",
        ended: "its support ended on 2025-11-01",
        instead: "alpine-3.20",
    },
];

fn folder_named(name: &str) -> Option<&'static HostFolder> {
    let lower = name.to_ascii_lowercase();
    folders()
        .iter()
        .find(|f| f.name == lower || quick_aliases(f.profile).any(|a| a == lower))
}

/// The header's `aliases: [a, b]` line, read without parsing the whole YAML (finding a
/// profile by alias must not parse all 38 headers; the generated headers write the
/// list on one line, and a test checks this against the YAML parse).
pub fn quick_aliases(header: &str) -> impl Iterator<Item = &str> {
    header
        .lines()
        .find_map(|l| l.strip_prefix("aliases:"))
        .map(|rest| rest.split('#').next().unwrap_or(""))
        .map(|list| list.trim().trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or("")
        .split(',')
        .map(|a| a.trim().trim_matches('"'))
        .filter(|a| !a.is_empty())
}

/// A built-in profile by name or alias, with the base images of `platforms` (every
/// platform it describes when None). Err for a retired release, with what to use.
pub fn find_builtin(
    name: &str,
    platforms: Option<&[Platform]>,
) -> Option<Result<LoadedProfile, String>> {
    if let Some(folder) = folder_named(name) {
        return Some(load(folder, platforms));
    }
    let lower = name.to_ascii_lowercase();
    let retired = RETIRED.iter().find(|r| r.names.contains(&lower.as_str()))?;
    Some(Err(format!(
        "`{name}` ({}) is no longer a built-in profile: {}. Check against {} instead, or capture one of your hosts as a profile file: preflight profiles capture ROOT -o {lower}.yaml",
        retired.release, retired.ended, retired.instead
    )))
}

fn load(
    folder: &'static HostFolder,
    platforms: Option<&[Platform]>,
) -> Result<LoadedProfile, String> {
    Ok(LoadedProfile {
        profile: read_folder(folder, platforms)?,
        origin: "built-in".into(),
        text: folder.profile.to_string(),
    })
}

/// Every built-in profile, each with the base images of `platforms` (all when None).
/// One that does not load is a bug the tests catch (`every_builtin_profile_loads`), so
/// it is left out rather than failing every run.
pub fn all_builtin(platforms: Option<&[Platform]>) -> Vec<LoadedProfile> {
    folders()
        .iter()
        .filter_map(|f| load(f, platforms).ok())
        .collect()
}

/// Every built-in profile's header facts (nothing decompressed), in folder order.
pub fn builtin_summaries() -> Vec<ProfileSummary> {
    folders().iter().filter_map(|f| summary(f).ok()).collect()
}

/// The names of the retired releases (for messages and tests).
pub fn retired_names() -> Vec<&'static str> {
    RETIRED
        .iter()
        .flat_map(|r| r.names.iter().copied())
        .collect()
}
