//! A finding, and the one way checks make one.

use super::{Rule, Severity};
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
    /// The package of the target's repositories that provides the missing library.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// The image layer the file came from (images only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// The line of `path` the finding is about. Set only for findings about a policy
    /// file (an unused waiver), whose `path` is the file as the user named it, not a
    /// path inside the scanned folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Finding {
    /// A stable identity for the same problem across runs: rule, file, target and
    /// what is missing, not the wording (SARIF's `partialFingerprints`, by which
    /// GitHub deduplicates alerts, and `scan --baseline` / `diff` match findings).
    pub fn fingerprint(&self) -> String {
        fingerprint_of(
            self.rule.id(),
            &self.path,
            self.target.as_deref(),
            self.library.as_deref(),
            self.version.as_deref(),
            self.symbol.as_deref(),
        )
    }
}

/// `Finding::fingerprint` from the fields of a finding (as a saved JSON report
/// holds them).
pub fn fingerprint_of(
    rule: &str,
    path: &str,
    target: Option<&str>,
    library: Option<&str>,
    version: Option<&str>,
    symbol: Option<&str>,
) -> String {
    use sha2::{Digest, Sha256};
    let identity = format!(
        "{rule}|{path}|{}|{}|{}|{}",
        target.unwrap_or(""),
        library.unwrap_or(""),
        version.unwrap_or(""),
        symbol.unwrap_or("")
    );
    Sha256::digest(identity.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A finding being made: the rule's declaration gives its severity, why and fix (of
/// the cases chosen), the check gives the message, the values of the `{name}`
/// placeholders and the details.
#[derive(Debug)]
pub struct FindingBuilder {
    finding: Finding,
    args: Vec<(&'static str, String)>,
}

impl Rule {
    /// A finding of this rule about `path` (as reports show it), in the rule's default
    /// case.
    pub fn finding(self, path: &str, message: impl Into<String>) -> FindingBuilder {
        let spec = self.spec();
        FindingBuilder {
            finding: Finding {
                rule: self,
                severity: spec.severity,
                path: path.to_string(),
                target: None,
                message: message.into(),
                why: spec.why.to_string(),
                fix: spec.fix.to_string(),
                needed_by: None,
                library: None,
                symbol: None,
                version: None,
                symbols: Vec::new(),
                tried: Vec::new(),
                package: None,
                layer: None,
                line: None,
            },
            args: Vec::new(),
        }
    }
}

impl FindingBuilder {
    /// Applies a case of the rule's declaration: its severity, why and fix replace
    /// the default's where it has them. Cases apply in the order given.
    pub fn case(mut self, name: &str) -> Self {
        let spec = self.finding.rule.spec();
        match spec.cases.iter().find(|c| c.name == name) {
            Some(case) => {
                if let Some(severity) = case.severity {
                    self.finding.severity = severity;
                }
                if let Some(why) = case.why {
                    self.finding.why = why.to_string();
                }
                if let Some(fix) = case.fix {
                    self.finding.fix = fix.to_string();
                }
            }
            // A check naming a case its rule does not declare: a bug the tests catch;
            // in a release build the finding keeps the default texts.
            None => debug_assert!(false, "{}: no case {name}", spec.id),
        }
        self
    }

    /// Picks a case only when `when` holds.
    pub fn case_if(self, when: bool, name: &str) -> Self {
        if when {
            self.case(name)
        } else {
            self
        }
    }

    /// The value of `{key}` in the why and fix.
    pub fn arg(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.args.push((key, value.into()));
        self
    }

    /// The object of the load that needs what is missing, when it is not the file.
    pub fn needed_by(mut self, needed_by: Option<String>) -> Self {
        self.finding.needed_by = needed_by;
        self
    }

    pub fn library(mut self, library: impl Into<String>) -> Self {
        self.finding.library = Some(library.into());
        self
    }

    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.finding.version = Some(version.into());
        self
    }

    /// Every symbol concerned; the first is also `symbol`.
    pub fn symbols(mut self, symbols: Vec<String>) -> Self {
        self.finding.symbol = symbols.first().cloned();
        self.finding.symbols = symbols;
        self
    }

    pub fn tried(mut self, tried: Vec<String>) -> Self {
        self.finding.tried = tried;
        self
    }

    /// The package that provides the missing library on the target.
    pub fn package(mut self, package: Option<String>) -> Self {
        self.finding.package = package;
        self
    }

    /// The line of a policy file the finding is about (its `path` is that file).
    pub fn line(mut self, line: Option<usize>) -> Self {
        self.finding.line = line;
        self
    }

    pub fn layer(mut self, layer: impl Into<String>) -> Self {
        self.finding.layer = Some(layer.into());
        self
    }

    pub fn build(self) -> Finding {
        let FindingBuilder { mut finding, args } = self;
        for text in [&mut finding.why, &mut finding.fix] {
            if text.contains('{') {
                *text = fill(text, &args);
            }
        }
        finding
    }
}

/// Replaces each `{key}` of `template` with its value; a placeholder without one is
/// a bug the tests catch (left as it stands in a release build).
fn fill(template: &str, args: &[(&'static str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let key = &after[..close];
            args.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                debug_assert!(false, "no value for a placeholder in {template:?}");
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_arguments_fill_the_declared_texts() {
        let f = Rule::MissingLibrary
            .finding("bin/app", "libx.so.1 is not found")
            .case("installable")
            .arg("soname", "libx.so.1")
            .arg("install", "apt-get install libx1")
            .arg(
                "error",
                "error while loading shared libraries: libx.so.1: cannot open shared object file",
            )
            .library("libx.so.1")
            .build();
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.fix,
            "Install it on the host (apt-get install libx1), or ship libx.so.1 with the program \
             and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib')."
        );
        assert!(f.why.contains("shared libraries: libx.so.1: cannot open"));
        let plain = Rule::MissingLibrary
            .finding("bin/app", "")
            .arg("soname", "libx.so.1")
            .arg("error", "")
            .build();
        assert_eq!(plain.severity, Severity::Error);
        assert!(plain.fix.starts_with("Ship libx.so.1 with the program"));
        assert_eq!(
            fill("a {x} b {y}", &[("x", "1".into()), ("y", "2".into())]),
            "a 1 b 2"
        );
    }
}
