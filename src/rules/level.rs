//! Severities, and the `rules:` map of policy files and profiles (rule id → level).

use super::Rule;
use crate::yaml::{line_of, YamlError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// A configured level: a severity, or None for "off".
    pub fn parse_level(text: &str) -> Result<Option<Severity>, String> {
        match text {
            "error" => Ok(Some(Severity::Error)),
            "warning" => Ok(Some(Severity::Warning)),
            "note" => Ok(Some(Severity::Note)),
            "off" => Ok(None),
            other => Err(format!(
                "unknown severity `{other}`, expected one of `error`, `warning`, `note`, `off`"
            )),
        }
    }
}

/// Rule → its level: a severity, or None for "off".
pub type Levels = BTreeMap<Rule, Option<Severity>>;

/// A `rules:` map as written (`id: level`), parsed once; each unknown rule or level is
/// an error at its line of `text`.
pub fn parse_levels(
    raw: &BTreeMap<String, String>,
    text: &str,
    file: &str,
) -> (Levels, Vec<YamlError>) {
    let mut levels = Levels::new();
    let mut errors = Vec::new();
    let error = |id: &str, message: String| YamlError {
        file: file.to_string(),
        line: line_of(text, id, 1),
        column: None,
        message,
    };
    for (id, level) in raw {
        let Some(rule) = Rule::from_id(id) else {
            errors.push(error(
                id,
                format!(
                    "rules: unknown rule `{id}`, expected one of {}",
                    Rule::all_ids()
                ),
            ));
            continue;
        };
        match Severity::parse_level(level) {
            Ok(severity) => {
                levels.insert(rule, severity);
            }
            Err(message) => errors.push(error(id, format!("rules.{id}: {message}"))),
        }
    }
    (levels, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_once_with_their_lines() {
        assert_eq!(Severity::parse_level("off"), Ok(None));
        assert!(Severity::parse_level("fatal")
            .unwrap_err()
            .contains("expected one of"));
        let text = "rules:\n  textrel: off\n  rpath: fatal\n  nope: error\n";
        let raw: BTreeMap<String, String> = [
            ("textrel".to_string(), "off".to_string()),
            ("rpath".to_string(), "fatal".to_string()),
            ("nope".to_string(), "error".to_string()),
        ]
        .into();
        let (levels, errors) = parse_levels(&raw, text, "p.yaml");
        assert_eq!(levels, Levels::from([(Rule::Textrel, None)]));
        let lines: Vec<Option<usize>> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(4), Some(3)]);
    }
}
