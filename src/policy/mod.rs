//! Rules → findings. Every finding has a stable kebab-case rule id, a severity, the
//! file it is about, and an explanation for a person: what, what the target has, why
//! it matters, and how to fix it.

mod artifact;
mod build;
mod config;
mod hardening;
mod loading;
mod rules;

pub use artifact::{findings_from_facts, TargetFacts};
pub use build::{object_set_findings, other_binary_findings};
pub use config::{PolicyConfig, Waiver};
pub use loading::findings_from_resolution;
pub use rules::{Rule, Severity, PRESETS};

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The scanned file the finding is about (relative to the scanned folder).
    pub path: String,
    /// The target profile it was checked against; None for a root filesystem host.
    pub target: Option<String>,
    /// What is wrong, where, what the file needs and what the target has.
    pub message: String,
    /// Why it matters on the target.
    pub why: String,
    /// How to fix it.
    pub fix: String,
    /// The object inside the load that needs the missing piece, when not `path` itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Every symbol concerned, when there are several (`symbol` is the first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
    /// Places the loader tried, for a missing library.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<String>,
    /// The image layer the file came from (images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

impl Finding {
    pub fn new(
        rule: Rule,
        path: &str,
        message: String,
        why: impl Into<String>,
        fix: String,
    ) -> Self {
        Finding {
            rule,
            severity: rule.default_severity(),
            path: path.to_string(),
            target: None,
            message,
            why: why.into(),
            fix,
            needed_by: None,
            library: None,
            symbol: None,
            version: None,
            symbols: Vec::new(),
            tried: Vec::new(),
            layer: None,
        }
    }
}
