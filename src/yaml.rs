//! The one place that knows the YAML library (policy files and target profiles are
//! read through it). serde_yaml is deprecated upstream; a maintained fork (serde_yml,
//! serde_norway) can replace it here alone.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

/// A YAML file that could not be read, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for YamlError {}

/// Parses `text` (from `file`) into `T`. Unknown keys are errors when `T` says
/// `deny_unknown_fields`; the message names the field and the valid ones.
pub fn from_yaml<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| {
        let location = e.location();
        // serde_yaml appends " at line L column C"; the location is given separately.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) if location.is_some() => message[..i].to_string(),
            _ => message,
        };
        YamlError {
            file: file.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })
}

pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|e| YamlError {
        file: String::new(),
        line: None,
        column: None,
        message: e.to_string(),
    })
}

/// The versions of preflight a policy or profile file was written for: its
/// `requires:` key (a semver requirement such as ">=0.2"), checked against this
/// preflight's own version before anything else of the file is read, so that a file
/// using keys a newer preflight added fails on an older one with this error rather
/// than an unknown key.
pub fn check_requires(text: &str, file: &str) -> Result<(), YamlError> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        requires: Option<serde_yaml::Value>,
    }
    // A file that does not parse is left to the full parse to report.
    let Ok(Head {
        requires: Some(requires),
    }) = serde_yaml::from_str::<Head>(text)
    else {
        return Ok(());
    };
    let error = |message: String| YamlError {
        file: file.to_string(),
        line: line_of(text, "requires", 1),
        column: None,
        message,
    };
    let Some(requirement) = requires.as_str() else {
        return Err(error(
            "requires: give a version requirement as a string, like \">=0.1\"".into(),
        ));
    };
    let wanted = semver::VersionReq::parse(requirement).map_err(|e| {
        error(format!(
            "requires: `{requirement}` is not a version requirement like \">=0.1\" ({e})"
        ))
    })?;
    let this = semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("the crate's version");
    if wanted.matches(&this) {
        Ok(())
    } else {
        Err(error(format!(
            "requires preflight {requirement}, but this is preflight {this}: upgrade preflight"
        )))
    }
}

/// The 1-based line where `key:` first appears at or after `from_line`, to locate
/// errors found after parsing (a value that parsed but is not valid).
pub fn line_of(text: &str, key: &str, from_line: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .skip(from_line.saturating_sub(1))
        .find(|(_, line)| {
            let t = line.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:"))
                || t.starts_with(&format!("\"{key}\":"))
                || t.starts_with(&format!("'{key}':"))
        })
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_is_checked_against_this_version() {
        assert!(check_requires("rules: {}\n", "p.yaml").is_ok());
        assert!(check_requires("requires: \">=0.1\"\n", "p.yaml").is_ok());
        let newer =
            check_requires("# a policy\nrequires: \">=99\"\nnew_key: 1\n", "p.yaml").unwrap_err();
        assert_eq!(newer.line, Some(2));
        assert!(
            newer
                .to_string()
                .starts_with("p.yaml:2: requires preflight >=99, but this is preflight "),
            "{newer}"
        );
        let bad = check_requires("requires: \"soon\"\n", "p.yaml").unwrap_err();
        assert!(
            bad.message.contains("is not a version requirement"),
            "{bad}"
        );
        let number = check_requires("requires: 2\n", "p.yaml").unwrap_err();
        assert!(number.message.contains("as a string"), "{number}");
    }
}
