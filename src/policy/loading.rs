//! Findings about loading: what the loader would fail on.

use super::{Finding, Rule, Severity};
use crate::resolve::{Attempt, Outcome, Resolution};

/// Turns one resolution into findings about `shown` (the scanned file). `display`
/// maps a path inside the host to what the report shows (relative to the scanned
/// folder when the file lies in it).
pub fn findings_from_resolution(
    resolution: &Resolution,
    shown: &str,
    display: &dyn Fn(&str) -> String,
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
        findings.push(Finding::new(
            Rule::InterpreterMissing,
            shown,
            format!(
                "program interpreter {interp} does not exist on {} (its libraries were not checked)",
                resolution.root
            ),
            "The kernel cannot start the program: exec fails with \"No such file or directory\" \
             although the file exists.",
            "Build for the target's loader (in the target's image, or for its libc and architecture), \
             link statically, or install that loader on the host."
                .to_string(),
        ));
        return findings;
    }
    for miss in &resolution.missing {
        let mut finding = Finding::new(
            Rule::MissingLibrary,
            shown,
            format!(
                "{} (needed by {}) is not found on {}",
                miss.soname,
                display(&miss.needed_by),
                resolution.root
            ),
                        format!(
                "The program fails to start with \"error while loading shared libraries: {}: cannot \
                 open shared object file: No such file or directory\".",
                miss.soname
            ),
            format!(
                "Ship {} with the program and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib'), \
                 install the package that provides it on the host, or link it statically.",
                miss.soname
            ),
        );
        finding.needed_by = by(&miss.needed_by);
        finding.library = Some(miss.soname.clone());
        finding.tried = miss.tried.iter().map(describe_attempt).collect();
        findings.push(finding);
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
            format!(" (for {})", named.join(", "))
        };
        let who = display(&gap.needed_by);
        let subject = if who == shown {
            String::new()
        } else {
            format!("{who} ")
        };
        let mut finding = Finding::new(
            Rule::SymbolVersion,
            shown,
            format!(
                "{subject}needs {} from {}{symbols}, which {} on {} does not define{have}",
                gap.version, gap.library, gap.library_path, resolution.root
            ),
            format!(
                "The program fails to start with \"{}: version `{}' not found (required by {})\".",
                gap.library,
                gap.version,
                display(&gap.needed_by)
            ),
            version_fix(&gap.version),
        );
        finding.needed_by = by(&gap.needed_by);
        finding.library = Some(gap.library.clone());
        finding.version = Some(gap.version.clone());
        finding.symbol = gap.symbols.first().cloned();
        finding.symbols = gap.symbols.clone();
        findings.push(finding);
    }
    undefined_symbol_findings(resolution, shown, display, &mut findings);
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
    let alone = !resolution.kind.is_executable();
    for (needed_by, symbols) in by_object {
        let listed = if symbols.len() > 8 {
            format!(
                "{}, ... ({} in all)",
                symbols[..8].join(", "),
                symbols.len()
            )
        } else {
            symbols.join(", ")
        };
        let plural = if symbols.len() == 1 { "" } else { "s" };
        let who = display(needed_by);
        let mut finding = Finding::new(
            Rule::UndefinedSymbol,
            shown,
                        format!(
                "{}needs {} symbol{plural} that no loaded object defines: {listed}",
                if who == shown { String::new() } else { format!("{who} ") },
                symbols.len()
            ),
            if alone {
                "Checked alone, this library's NEEDED libraries do not define these symbols. That is fine \
                 when the program that loads it provides them (a plugin, a Perl or Python extension, \
                 libthread_db); otherwise loading it fails with \"undefined symbol\"."
                        } else if resolution.missing.is_empty() {
                "The program fails with \"undefined symbol\" when it starts (with BIND_NOW) or when a \
                 symbol is first used."
            } else {
                "The program fails with \"undefined symbol\" when it starts (with BIND_NOW) or when a \
                 symbol is first used; they may be the missing library's, reported beside."
            },
            if alone {
                "Add the library that defines them to its NEEDED (link with -lNAME), or check it with the \
                 program that loads it."
            } else {
                "A library on the host is an older or different build than the one linked against: ship \
                 the library the program was built with, or build against the host's version."
            }
            .to_string(),
        );
        if alone {
            finding.severity = Severity::Warning;
        }
        finding.needed_by = (who != shown).then_some(who);
        finding.symbol = symbols.first().cloned();
        finding.symbols = symbols;
        findings.push(finding);
    }
}

fn version_fix(version: &str) -> String {
    if version.starts_with("GLIBC_") {
        "Build against the oldest glibc you support: on an older distribution, or in a manylinux_2_28 / \
         manylinux2014 container (or with zig cc -target x86_64-linux-gnu.2.28); or target a newer host."
            .to_string()
    } else if version.starts_with("GLIBCXX_") || version.starts_with("CXXABI_") {
        "Build with the target's GCC, link libstdc++ statically (-static-libstdc++), or ship the newer \
         libstdc++.so.6 with the program and set RUNPATH to $ORIGIN/../lib."
            .to_string()
    } else if version.starts_with("GCC_") {
        "Build with the target's GCC, or link libgcc statically (-static-libgcc).".to_string()
    } else {
        format!(
            "The target's library is older than the one the file was linked against: ship the library \
             it was built with next to it (RUNPATH $ORIGIN/../lib), or build against the target's \
             version, which lacks {version}."
        )
    }
}

fn describe_attempt(attempt: &Attempt) -> String {
    let how = attempt.found_by.as_str();
    match &attempt.outcome {
        Outcome::Absent => format!("{} ({how}): absent", attempt.path),
        Outcome::Loop => format!("{} ({how}): symbolic link loop", attempt.path),
        Outcome::WrongArch(why) => format!("{} ({how}): skipped, {why}", attempt.path),
        Outcome::NotInCache(why) => format!("{} ({how}): not in the cache, {why}", attempt.path),
        Outcome::Fatal(why) => format!("{} ({how}): {why}", attempt.path),
    }
}
