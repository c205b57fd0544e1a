//! The rules: stable kebab-case ids, a default severity, what each checks.

use serde::{Deserialize, Serialize};

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

macro_rules! rules {
    ($($variant:ident => $id:literal, $severity:ident, $description:literal;)*) => {
        /// The rules preflight knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $($variant),* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $(Rule::$variant => Severity::$severity),* }
            }

            pub fn description(self) -> &'static str {
                match self { $(Rule::$variant => $description),* }
            }
        }
    };
}

rules! {
    SymbolVersion => "symbol-version", Error,
        "A library on the target lacks a symbol version the file needs (GLIBC_2.34, GLIBCXX_3.4.30, ...).";
    MissingLibrary => "missing-library", Error,
        "A NEEDED library is found neither in the scanned tree nor on the target.";
    UndefinedSymbol => "undefined-symbol", Error,
        "An undefined symbol is defined by no object the loader would load.";
    ArchMismatch => "arch-mismatch", Error,
        "The file's class or machine differs from the target's architecture.";
    LibcMismatch => "libc-mismatch", Error,
        "A musl binary on a glibc host, or a glibc binary on a musl host.";
    InterpreterMissing => "interpreter-missing", Error,
        "The program interpreter (dynamic loader) the file names is not on the target.";
    Textrel => "textrel", Warning,
        "The file has text relocations: the loader must write into its code.";
    Rpath => "rpath", Warning,
        "DT_RPATH is used, or a search path is absolute or leaves the scanned tree.";
    ExecutableStack => "executable-stack", Warning,
        "The file asks for an executable stack (glibc 2.41+ refuses to dlopen such libraries).";
    PrivateSymbol => "private-symbol", Error,
        "The file needs GLIBC_PRIVATE, which only the exact glibc build it was linked against honours.";
    IsaLevel => "isa-level", Error,
        "The file needs an x86-64 micro-architecture level above the target's CPU baseline.";
    UnreadableFile => "unreadable-file", Warning,
        "A file starts like ELF but is truncated or malformed.";
    UnusedWaiver => "unused-waiver", Note,
        "A waiver in the policy file matched no finding.";
    UnsafeImageEntry => "unsafe-image-entry", Warning,
        "An image layer has an entry with `..`, an absolute name, or a device: never applied or opened.";
    NonPicObject => "non-pic-object", Warning,
        "A relocatable object (.o, or a member of a .a) has relocations position-independent code never contains.";
    SmallGotOverflow => "small-got-overflow", Error,
        "Objects linked together need more GOT entries than their -fpic code model can reach.";
    ForeignBinary => "foreign-binary", Warning,
        "A Mach-O or PE file, or an ELF file for another OS (FreeBSD, ...), in a tree meant for Linux.";
    StaticGlibcRuntime => "static-glibc-runtime", Warning,
        "A static glibc binary uses NSS or dlopen, which load shared objects of its exact glibc version at run time.";
    HardeningPie => "hardening-pie", Warning,
        "(off by default) The executable is not position-independent, so ASLR cannot move its code.";
    HardeningRelro => "hardening-relro", Warning,
        "(off by default) No full RELRO (-z relro -z now): the GOT stays writable.";
    HardeningStackProtector => "hardening-stack-protector", Warning,
        "(off by default) No stack protector (__stack_chk_fail is never called).";
    HardeningFortify => "hardening-fortify", Warning,
        "(off by default) Calls functions FORTIFY_SOURCE can check, through none of their checked variants.";
    HardeningCet => "hardening-cet", Warning,
        "(off by default) x86 code not marked for CET (IBT and shadow stack: -fcf-protection).";
}

/// Rule presets a policy file (`presets: [hardened]`) or `--preset` turns on.
pub const PRESETS: &[(&str, &[Rule])] = &[(
    "hardened",
    &[
        Rule::HardeningPie,
        Rule::HardeningRelro,
        Rule::HardeningStackProtector,
        Rule::HardeningFortify,
        Rule::HardeningCet,
    ],
)];

impl Rule {
    /// Rules that report nothing unless a policy file, a profile or a preset gives
    /// them a severity: checksec-style hardening, which many valid builds lack.
    pub fn off_by_default(self) -> bool {
        matches!(
            self,
            Rule::HardeningPie
                | Rule::HardeningRelro
                | Rule::HardeningStackProtector
                | Rule::HardeningFortify
                | Rule::HardeningCet
        )
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// For messages: every rule id, comma-separated.
    pub fn all_ids() -> String {
        Rule::ALL
            .iter()
            .map(|r| format!("`{}`", r.id()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kebab_case() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(*rule));
            assert!(rule
                .id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        assert_eq!(Severity::parse_level("off"), Ok(None));
        assert!(Severity::parse_level("fatal")
            .unwrap_err()
            .contains("expected one of"));
    }
}
