//! Target host profiles: what a host provides (libc, loader, libraries with their
//! symbol versions), built in from `policies/targets/` or read from a file, and
//! captured from a real root filesystem.

mod capture;
mod host;
mod model;

pub use capture::capture;
pub use host::ProfileHost;
pub use model::{dotted_numbers, Library, PlatformFacts, Profile};

use crate::platform::Platform;
use crate::rules::parse_levels;
use crate::yaml::{check_requires, from_yaml, line_of, YamlError};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_profiles.rs"));
}

/// A profile with where it came from and its original text.
#[derive(Clone, Debug)]
pub struct LoadedProfile {
    pub profile: Profile,
    /// "built-in" or the file path.
    pub origin: String,
    pub text: String,
}

/// Every built-in profile, parsed. A built-in profile that does not parse is a bug
/// caught by the tests, so it is skipped rather than failing every run.
pub fn builtin_profiles() -> Vec<LoadedProfile> {
    builtin::BUILTIN
        .iter()
        .filter_map(|(file, text)| {
            let profile = parse_profile(text, &format!("policies/targets/{file}")).ok()?;
            Some(LoadedProfile {
                profile,
                origin: "built-in".into(),
                text: text.to_string(),
            })
        })
        .collect()
}

/// Every built-in profile's parse result (the tests check that each one parses).
pub fn builtin_parse_results() -> Vec<(String, Result<Profile, Vec<YamlError>>)> {
    builtin::BUILTIN
        .iter()
        .map(|(file, text)| {
            (
                file.to_string(),
                parse_profile(text, &format!("policies/targets/{file}")),
            )
        })
        .collect()
}

/// Finds a profile by name or alias among the built-ins, or reads it from a file when
/// `name` is a path to one.
pub fn find_profile(name: &str) -> Result<LoadedProfile, String> {
    let lower = name.to_ascii_lowercase();
    if let Some(found) = builtin_profiles()
        .into_iter()
        .find(|p| p.profile.name == lower || p.profile.aliases.contains(&lower))
    {
        return Ok(found);
    }
    let path = std::path::Path::new(name);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
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
    let known: Vec<String> = builtin_profiles()
        .into_iter()
        .map(|p| p.profile.name)
        .collect();
    Err(format!(
        "unknown target `{name}`: not a built-in profile ({}) nor a profile file",
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
        let builtin = &builtin_profiles()[0];
        let text = format!("requires: \">=0.1\"\n{}", builtin.text);
        let profile = parse_profile(&text, "p.yaml").unwrap();
        assert_eq!(profile.requires.as_deref(), Some(">=0.1"));
    }
}
