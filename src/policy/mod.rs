//! Rules → findings. Every finding has a stable kebab-case rule id, a severity, the
//! file it is about, and an explanation for a person: what, why it matters on the
//! host, and how to fix it.

mod loading;

pub use loading::findings_from_resolution;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
}

/// The rules preflight knows, with what each one checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    MissingLibrary,
    MissingInterpreter,
    SymbolVersion,
    UndefinedSymbol,
    UnreadableFile,
}

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::MissingLibrary => "missing-library",
            Rule::MissingInterpreter => "missing-interpreter",
            Rule::SymbolVersion => "symbol-version",
            Rule::UndefinedSymbol => "undefined-symbol",
            Rule::UnreadableFile => "unreadable-file",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Rule::MissingLibrary => "A NEEDED library is not found where the loader searches.",
            Rule::MissingInterpreter => {
                "The program interpreter (dynamic loader) is not on the host."
            }
            Rule::SymbolVersion => {
                "A library is found but lacks a symbol version the object needs."
            }
            Rule::UndefinedSymbol => {
                "An undefined symbol is defined by no object in the load scope."
            }
            Rule::UnreadableFile => "A file starts like ELF but is truncated or malformed.",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The scanned file the finding is about (relative to the scanned folder).
    pub path: String,
    pub message: String,
    /// Why it matters and how to fix it.
    pub help: String,
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
}

impl Finding {
    pub fn new(rule: Rule, path: &str, message: String, help: String) -> Self {
        Finding {
            rule,
            severity: Severity::Error,
            path: path.to_string(),
            message,
            help,
            needed_by: None,
            library: None,
            symbol: None,
            version: None,
            symbols: Vec::new(),
            tried: Vec::new(),
        }
    }
}
