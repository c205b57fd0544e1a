//! Findings about loading: what the loader would fail on.

use super::ldcache::{stale_cache_findings, stale_for};
use crate::elf::{readable, DlopenPriority};
use crate::profile::ProfileHost;
use crate::resolve::{Attempt, AttemptOutcome, Resolution};
use crate::rules::{Finding, Rule};
use crate::source::LibraryHost;

/// What a target offers for a library it lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Its repositories have it: the package, and the command that installs it.
    /// `inferred`: the package name is the family's usual one, not read off this
    /// release's own index.
    Install {
        package: String,
        command: String,
        inferred: bool,
    },
    /// A wheel policy (named): a library outside its whitelist must be bundled.
    Bundle { policy: String },
}

/// What a target profile offers for a library it lacks: a wheel policy, only bundling
/// it; a release, the package its repositories have it in (or nothing known).
pub fn remedy_of(host: &ProfileHost<'_>, soname: &str) -> Option<Remedy> {
    if host.is_wheel_policy() {
        return Some(Remedy::Bundle {
            policy: host.describe(),
        });
    }
    let (package, command) = host.installable(soname)?;
    Some(Remedy::Install {
        package: package.name,
        command,
        inferred: package.inferred,
    })
}

/// Turns one resolution into findings about `shown` (the scanned file). `display`
/// maps a path inside the host to what the report shows (relative to the scanned
/// folder when the file lies in it). `remedy` says what the target offers for a
/// library it lacks: a package its repositories have (the library is missing all the
/// same, but one command away), or nothing but bundling it (a wheel policy).
pub fn findings_from_resolution(
    resolution: &Resolution,
    shown: &str,
    display: &dyn Fn(&str) -> String,
    remedy: &dyn Fn(&str) -> Option<Remedy>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let by = |needed_by: &str| {
        let who = display(needed_by);
        (who != shown).then_some(who)
    };
    if resolution.interpreter_missing {
        // Nothing else matters when the program cannot even start; the rest would
        // only repeat the same cause (no aarch64 libc on an x86_64 host, ...).
        let interp = resolution.interpreter.clone().unwrap_or_default();
        findings.push(
            Rule::InterpreterMissing
                .finding(
                    shown,
                    format!(
                        "program interpreter {interp} does not exist on {} (its libraries were not checked)",
                        resolution.root
                    ),
                )
                .build(),
        );
        return findings;
    }
    for miss in &resolution.missing {
        let who = display(&miss.needed_by);
        let soname = &miss.soname;
        let root = &resolution.root;
        let remedy = remedy(soname);
        let (message, case, package, install) = match &remedy {
            None => (
                format!("{soname} (needed by {who}) is not found on {root}"),
                None,
                None,
                String::new(),
            ),
            Some(Remedy::Install {
                package,
                command,
                inferred,
            }) => (
                format!(
                    "{soname} (needed by {who}) is not in the base image of {root}; package {package} provides it{}",
                    if *inferred {
                        " (the family's usual name: this release's package index was not read)"
                    } else {
                        ""
                    }
                ),
                Some("installable"),
                Some(package.clone()),
                command.clone(),
            ),
            Some(Remedy::Bundle { policy }) => (
                format!("{soname} (needed by {who}) is not on the whitelist of {policy}: the wheel must bundle it"),
                Some("not-whitelisted"),
                None,
                String::new(),
            ),
        };
        // The loader's own words: glibc elf/dl-load.c (`_dl_map_object`), musl
        // ldso/dynlink.c (`load_deps`).
        let error = match resolution.loader {
            Some(crate::elf::Libc::Musl) => {
                format!("Error loading shared library {soname}: No such file or directory (needed by {who})")
            }
            _ => format!(
                "error while loading shared libraries: {soname}: cannot open shared object file: No such file or directory"
            ),
        };
        let mut finding = Rule::MissingLibrary
            .finding(shown, message)
            .arg("error", error);
        if let Some(case) = case {
            finding = finding.case(case);
        } else if let Some(stale) = stale_for(resolution, soname, &miss.needed_by) {
            finding = finding
                .case("stale-cache")
                .arg("conf_path", stale.conf_path.clone().unwrap_or_default());
        }
        findings.push(
            finding
                .arg("soname", soname)
                .arg("install", install)
                .needed_by(by(&miss.needed_by))
                .library(soname)
                .package(package)
                .tried(miss.tried.iter().map(describe_attempt).collect())
                .build(),
        );
    }
    for gap in &resolution.version_gaps {
        let have = gap
            .newest_available
            .as_ref()
            .map(|v| format!("; it provides up to {v}"))
            .unwrap_or_default();
        let symbols = if gap.symbols.is_empty() {
            String::new()
        } else {
            let named: Vec<String> = gap
                .symbols
                .iter()
                .map(|s| format!("{s}@{}", gap.version))
                .collect();
            format!(" (for {})", symbol_list(&named))
        };
        let who = display(&gap.needed_by);
        let subject = if who == shown {
            String::new()
        } else {
            format!("{who} ")
        };
        let finding = Rule::SymbolVersion.finding(
            shown,
            format!(
                "{subject}needs {} from {}{symbols}, which {} on {} does not define{have}",
                gap.version, gap.library, gap.library_path, resolution.root
            ),
        );
        let finding = match version_case(&gap.version) {
            Some(case) => finding.case(case),
            None => finding,
        };
        findings.push(
            finding
                .arg("library", &gap.library)
                .arg("version", &gap.version)
                .arg("needed_by", who)
                .needed_by(by(&gap.needed_by))
                .library(&gap.library)
                .version(&gap.version)
                .symbols(gap.symbols.clone())
                .build(),
        );
    }
    findings.extend(stale_cache_findings(resolution, shown, display));
    undefined_symbol_findings(resolution, shown, display, &mut findings);
    findings.extend(dlopen_findings(resolution, shown, display, remedy));
    findings
}

/// One finding per declared `dlopen()` dependency none of whose alternatives is
/// found; the note's priority gives its severity (required: error, recommended:
/// warning, suggested: note).
pub fn dlopen_findings(
    resolution: &Resolution,
    shown: &str,
    display: &dyn Fn(&str) -> String,
    remedy: &dyn Fn(&str) -> Option<Remedy>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for library in resolution.dlopen.iter().filter(|l| l.found.is_none()) {
        let Some(first) = library.soname.first() else {
            continue;
        };
        let names = library.soname.join(" or ");
        let feature = library
            .feature
            .clone()
            .unwrap_or_else(|| "the feature that needs it".into());
        let who = display(&library.needed_by);
        let by = if who == shown {
            String::new()
        } else {
            format!(" by {who}")
        };
        let (package, install) = match library.soname.iter().find_map(|n| remedy(n)) {
            Some(Remedy::Install {
                package, command, ..
            }) => (Some(package), command),
            _ => (None, String::new()),
        };
        let offered = package
            .as_ref()
            .map(|p| format!("; package {p} provides it"))
            .unwrap_or_default();
        let message = format!(
            "{names} (dlopen()ed{by} for {feature}, {}) is not found on {}{offered}",
            library.priority.as_str(),
            resolution.root,
        );
        let case = match library.priority {
            DlopenPriority::Required => Some("required"),
            DlopenPriority::Recommended => None,
            DlopenPriority::Suggested => Some("suggested"),
        };
        let mut finding = Rule::DlopenMissing.finding(shown, message);
        if let Some(case) = case {
            finding = finding.case(case);
        }
        findings.push(
            finding
                .case_if(package.is_some(), "installable")
                .arg("soname", first)
                .arg("feature", feature)
                .arg("install", install)
                .needed_by((who != shown).then_some(who))
                .library(first)
                .package(package)
                .tried(library.tried.iter().map(describe_attempt).collect())
                .build(),
        );
    }
    findings
}

/// One finding per object that needs unbound symbols, naming all of them.
fn undefined_symbol_findings(
    resolution: &Resolution,
    shown: &str,
    display: &dyn Fn(&str) -> String,
    findings: &mut Vec<Finding>,
) {
    let mut by_object: Vec<(&str, Vec<String>)> = Vec::new();
    for unbound in &resolution.unbound_symbols {
        let name = match &unbound.version {
            Some(v) => format!("{}@{v}", unbound.symbol),
            None => unbound.symbol.clone(),
        };
        match by_object
            .iter_mut()
            .find(|(who, _)| *who == unbound.needed_by)
        {
            Some((_, names)) => names.push(name),
            None => by_object.push((&unbound.needed_by, vec![name])),
        }
    }
    let alone = !resolution.kind.is_executable() && resolution.opened_in.is_none();
    // A module of a program that is not in the scanned tree: the program provides them.
    let module_of = resolution.module_of.as_deref().filter(|_| alone);
    let in_host = !resolution.kind.is_executable() && resolution.opened_in.is_some();
    let mut missing: Vec<&str> = Vec::new();
    for miss in &resolution.missing {
        if !missing.contains(&miss.soname.as_str()) {
            missing.push(&miss.soname);
        }
    }
    let missing = missing.join(", ");
    for (needed_by, symbols) in by_object {
        let listed = symbol_list(&symbols);
        let plural = if symbols.len() == 1 { "" } else { "s" };
        let who = display(needed_by);
        let message = format!(
            "{}needs {} symbol{plural} that no loaded object defines: {listed}",
            if who == shown {
                String::new()
            } else {
                format!("{who} ")
            },
            symbols.len()
        );
        findings.push(
            Rule::UndefinedSymbol
                .finding(shown, message)
                .case_if(!alone && !resolution.missing.is_empty(), "library-missing")
                .case_if(alone, "alone")
                .case_if(in_host, "in-host")
                .case_if(module_of.is_some(), "program-absent")
                .arg("missing", &missing)
                .arg("program", module_of.unwrap_or_default())
                .arg("host", resolution.opened_in.as_deref().unwrap_or_default())
                .needed_by((who != shown).then_some(who))
                .symbols(symbols)
                .build(),
        );
    }
}

/// Symbols longer lists of which are cut, with the count.
const LISTED_SYMBOLS: usize = 8;

/// Symbol names as a message shows them: C++ and Rust names demangled (the finding's
/// `symbol`/`symbols` keep the mangled ones), and a list longer than a few names cut
/// short with the count ("a, b, ... (120 in all)").
pub(super) fn symbol_list(names: &[String]) -> String {
    let shown: Vec<String> = names
        .iter()
        .take(LISTED_SYMBOLS)
        .map(|n| readable(n))
        .collect();
    if names.len() > LISTED_SYMBOLS {
        format!("{}, ... ({} in all)", shown.join(", "), names.len())
    } else {
        shown.join(", ")
    }
}

/// The case of `symbol-version` whose fix fits the version's family (glibc's is the
/// rule's default).
fn version_case(version: &str) -> Option<&'static str> {
    if version.starts_with("GLIBC_") {
        None
    } else if version.starts_with("GLIBCXX_") || version.starts_with("CXXABI_") {
        Some("libstdc++")
    } else if version.starts_with("GCC_") {
        Some("libgcc")
    } else {
        Some("other-library")
    }
}

fn describe_attempt(attempt: &Attempt) -> String {
    let how = attempt.found_by.as_str();
    match &attempt.outcome {
        AttemptOutcome::Absent => format!("{} ({how}): absent", attempt.path),
        AttemptOutcome::Loop => format!("{} ({how}): symbolic link loop", attempt.path),
        AttemptOutcome::WrongArch(why) => format!("{} ({how}): skipped, {why}", attempt.path),
        AttemptOutcome::NotInCache(why) => {
            format!("{} ({how}): not in the cache, {why}", attempt.path)
        }
        AttemptOutcome::Fatal(why) => format!("{} ({how}): {why}", attempt.path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_lists_are_demangled_and_long_ones_summarised_with_a_count() {
        let names: Vec<String> = (0..20).map(|i| format!("_ZN2ns1fILi{i}EEEvv")).collect();
        let listed = symbol_list(&names);
        assert!(
            listed.starts_with("void ns::f<0>(), void ns::f<1>(), "),
            "{listed}"
        );
        assert!(listed.ends_with(", ... (20 in all)"), "{listed}");
        assert_eq!(listed.matches("ns::f").count(), LISTED_SYMBOLS);
        assert_eq!(
            symbol_list(&["memcpy@GLIBC_2.14".to_string()]),
            "memcpy@GLIBC_2.14"
        );
    }
}
