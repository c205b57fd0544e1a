//! Target host profiles: what a host provides (libc, loader, every library of its
//! base image with its symbol versions, the package that provides each library its
//! repositories have), built in from `policies/hosts/` or read from a profile file,
//! and captured from a real root filesystem.

mod builtin;
mod capture;
mod host;
mod hostdata;
mod model;
mod repository;

pub use builtin::{builtin_summaries, folders, quick_aliases, retired_names};
pub use capture::capture;
pub use host::ProfileHost;
pub use hostdata::{parse_base, HostFolder, PlatformSummary, ProfileSummary};
pub use model::{dotted_numbers, Library, PlatformFacts, Profile, RepositoryUse, WheelPolicy};
pub use repository::{install_command, Package, Repository};

use crate::platform::Platform;
use crate::rules::parse_levels;
use crate::source::{read_regular, Limits, Within};
use crate::text::escape;
use crate::yaml::{check_requires, from_yaml, line_of, YamlError};

/// Profile files larger than this are refused (a captured host with every symbol
/// version of every library is a few MiB).
pub const MAX_PROFILE_BYTES: u64 = 64 << 20;

/// A profile with where it came from and its original text.
#[derive(Clone, Debug)]
pub struct LoadedProfile {
    pub profile: Profile,
    /// "built-in" or the file path.
    pub origin: String,
    /// The profile file, or a built-in profile's `profile.yaml`.
    pub text: String,
}

/// Every built-in profile with every platform's base image.
pub fn builtin_profiles() -> Vec<LoadedProfile> {
    builtin::all_builtin(None)
}

/// Every built-in profile that describes `platform`, with that platform's base image
/// only (what `--runs-on` checks against).
pub fn builtin_profiles_for(platform: Platform) -> Vec<LoadedProfile> {
    builtin::all_builtin(Some(&[platform]))
        .into_iter()
        .filter(|p| p.profile.platform(platform).is_some())
        .collect()
}

/// Every built-in folder's load result, by folder name (the tests check each one).
pub fn builtin_load_results() -> Vec<(String, Result<Profile, String>)> {
    folders()
        .iter()
        .map(|f| (f.name.to_string(), hostdata::read_folder(f, None)))
        .collect()
}

/// Finds a profile by name or alias among the built-ins, or reads it from a file when
/// `name` is a path to one. A built-in profile comes with every platform's base image.
pub fn find_profile(name: &str) -> Result<LoadedProfile, String> {
    find(name, None)
}

/// As `find_profile`, decompressing only `platform`'s base image of a built-in profile
/// (a scan checks one platform).
pub fn find_profile_for(name: &str, platform: Platform) -> Result<LoadedProfile, String> {
    let found = find(name, Some(platform))?;
    if found.origin == "built-in" && found.profile.platform(platform).is_none() {
        // Not described there: load every platform, so that the error names them.
        return find(name, None);
    }
    Ok(found)
}

fn find(name: &str, platform: Option<Platform>) -> Result<LoadedProfile, String> {
    let only = platform.map(|p| [p]);
    if let Some(found) = builtin::find_builtin(name, only.as_ref().map(|p| &p[..])) {
        return found;
    }
    let path = std::path::Path::new(name);
    // Anything at that path is meant as a profile file (a FIFO or a device too: said
    // so at once rather than waited on or read forever).
    if std::fs::metadata(path).is_ok() {
        let shown = escape(name);
        let bytes = read_regular(Within::Anywhere, path, Limits::bytes(MAX_PROFILE_BYTES))
            .map_err(|e| format!("cannot read the profile file {shown}: {e}"))?;
        let text = String::from_utf8(bytes)
            .map_err(|e| format!("the profile file {shown} is not UTF-8 text ({e})"))?;
        let profile = parse_profile(&text, name).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        return Ok(LoadedProfile {
            profile,
            origin: name.to_string(),
            text,
        });
    }
    let known: Vec<&str> = folders().iter().map(|f| f.name).collect();
    Err(format!(
        "unknown target `{}`: not a built-in profile ({}) nor a profile file",
        crate::text::excerpt(name, 80),
        known.join(", ")
    ))
}

/// Parses and validates a profile; every problem is reported with its line.
pub fn parse_profile(text: &str, file: &str) -> Result<Profile, Vec<YamlError>> {
    check_requires(text, file).map_err(|e| vec![e])?;
    let mut profile: Profile = from_yaml(text, file).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut error = |key: &str, from: usize, message: String| {
        errors.push(YamlError {
            file: file.to_string(),
            line: line_of(text, key, from),
            column: None,
            message,
        })
    };
    if profile.name.is_empty()
        || !profile
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    {
        error(
            "name",
            1,
            format!(
                "name: `{}` must be lowercase letters, digits, '.', '_' or '-'",
                profile.name
            ),
        );
    }
    if dotted_numbers(&profile.version).is_none() {
        error(
            "version",
            1,
            format!(
                "version: `{}` is not a dotted number like \"22.04\"",
                profile.version
            ),
        );
    }
    if profile.platforms.is_empty() {
        error(
            "platforms",
            1,
            "platforms: at least one platform is needed".into(),
        );
    }
    for (key, platform) in &profile.platforms {
        let at = line_of(text, key, 1).unwrap_or(1);
        if Platform::parse(key).map(Platform::as_str) != Some(key.as_str()) {
            error(
                key,
                1,
                format!("platforms: `{key}` is not one of {}", Platform::all_names()),
            );
        }
        if dotted_numbers(&platform.libc_version).is_none() {
            error(
                "libc_version",
                at,
                format!(
                    "platforms.{key}.libc_version: `{}` is not a dotted number",
                    platform.libc_version
                ),
            );
        }
        if !platform.interpreter.starts_with('/') {
            error(
                "interpreter",
                at,
                format!(
                    "platforms.{key}.interpreter: `{}` is not an absolute path",
                    platform.interpreter
                ),
            );
        }
        if platform.library_dirs.is_empty()
            || platform.library_dirs.iter().any(|d| !d.starts_with('/'))
        {
            error(
                "library_dirs",
                at,
                format!("platforms.{key}.library_dirs: give one or more absolute folders"),
            );
        }
        if platform.isa_level.is_some_and(|l| !(1..=4).contains(&l)) {
            error(
                "isa_level",
                at,
                format!("platforms.{key}.isa_level: must be 1 to 4"),
            );
        }
        for (soname, library) in &platform.libraries {
            for (family, max) in &library.max {
                if dotted_numbers(max).is_none() {
                    error(soname, at, format!("platforms.{key}.libraries.{soname}.max.{family}: `{max}` is not a dotted number"));
                }
            }
            for version in &library.versions {
                // Version names are free-form (HIDDEN, Base, SLANG2): only forbid what
                // no linker writes.
                if version.is_empty() || version.contains(char::is_whitespace) {
                    error(soname, at, format!("platforms.{key}.libraries.{soname}.versions: `{version}` is not a version name"));
                }
            }
        }
    }
    let (levels, level_errors) = parse_levels(&profile.rules, text, file);
    errors.extend(level_errors);
    profile.levels = levels;
    if errors.is_empty() {
        Ok(profile)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = "name: x\nfamily: debian\nversion: \"1\"\ndescription: d\nplatforms:\n  linux/amd64:\n    libc: glibc\n    libc_version: \"2.31\"\n    interpreter: /lib64/ld-linux-x86-64.so.2\n    library_dirs: [/lib]\n";

    #[test]
    fn a_profile_for_a_newer_preflight_says_so() {
        let text = "requires: \">=99\"\nname: x\n";
        let errors = parse_profile(text, "prod.yaml").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0]
                .to_string()
                .starts_with("prod.yaml:1: requires preflight >=99"),
            "{errors:?}"
        );
        // A profile that requires this version parses, and keeps the key.
        let text = format!("requires: \">=0.1\"\n{PROFILE}");
        let profile = parse_profile(&text, "p.yaml").unwrap();
        assert_eq!(profile.requires.as_deref(), Some(">=0.1"));
    }
}
