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
