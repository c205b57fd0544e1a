//! Findings from a file's own facts, against a target when there is one.

use crate::elf::{ElfFacts, Kind, Libc, Machine};
use crate::platform::Platform;
use crate::profile::Profile;
use crate::rules::{Finding, Rule};

/// What the rules need to know about the target host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFacts {
    /// The profile's name, for messages ("ubuntu-20.04 (linux/amd64)").
    pub label: String,
    pub libc: Libc,
    pub libc_version: Vec<u64>,
    pub platform: Platform,
    pub isa_level: Option<u8>,
}

impl TargetFacts {
    /// What the rules need to know about `profile` on `platform`; None when the
    /// profile does not describe that platform.
    pub fn of(profile: &Profile, platform: Platform) -> Option<TargetFacts> {
        let p = profile.platform(platform)?;
        Some(TargetFacts {
            label: format!("{} ({platform})", profile.name),
            libc: p.libc,
            libc_version: p.libc_numbers(),
            platform,
            isa_level: p.isa_level,
        })
    }

    fn glibc_at_least(&self, major: u64, minor: u64) -> bool {
        self.libc == Libc::Glibc && self.libc_version.as_slice() >= [major, minor].as_slice()
    }
}

/// Findings from the facts of the file at `path` (relative to the scanned folder).
/// Returns whether the file can be resolved against the target at all: a file of
/// another architecture or libc gets only that finding.
pub fn findings_from_facts(
    facts: &ElfFacts,
    path: &str,
    target: Option<&TargetFacts>,
    findings: &mut Vec<Finding>,
) -> bool {
    if let Some(os) = &facts.foreign_os {
        findings.push(super::build::foreign_os_finding(path, facts, os));
        return false;
    }
    if let Some(t) = target {
        let (class, machine) = (t.platform.class(), t.platform.machine_name());
        if facts.arch() != t.platform.machine() || facts.class != class {
            findings.push(
                Rule::ArchMismatch
                    .finding(
                        path,
                        format!(
                            "is {} {} but {} is {} {}",
                            facts.class.as_str(),
                            facts.machine,
                            t.label,
                            class.as_str(),
                            machine
                        ),
                    )
                    .arg("machine", machine)
                    .build(),
            );
            return false;
        }
        if let Some(have) = facts.libc().filter(|libc| *libc != t.libc) {
            let (have, want) = (have.as_str(), t.libc.as_str());
            findings.push(
                Rule::LibcMismatch
                    .finding(
                        path,
                        format!(
                            "is linked against {have} (interpreter {}) but {} uses {want}",
                            facts.interpreter.as_deref().unwrap_or("none"),
                            t.label
                        ),
                    )
                    .arg("libc", want)
                    .build(),
            );
            return false;
        }
    }
    if facts.textrel {
        findings.push(textrel_finding(facts, path));
    }
    findings.extend(super::build::static_runtime_finding(path, facts));
    if let Some(relocations) = &facts.relocations {
        findings.extend(super::build::non_pic_finding(path, relocations, None));
    }
    super::hardening::hardening_findings(facts, path, findings);
    rpath_findings(facts, path, findings);
    if facts.executable_stack {
        let strict =
            target.is_some_and(|t| t.glibc_at_least(2, 41)) && facts.kind == Kind::SharedLibrary;
        findings.push(
            Rule::ExecutableStack
                .finding(
                    path,
                    "asks for an executable stack (PT_GNU_STACK with PF_X, or no PT_GNU_STACK)",
                )
                .case_if(strict, "dlopen-refused")
                .build(),
        );
    }
    let private: Vec<&String> = facts
        .version_needs
        .iter()
        .filter(|(_, versions)| versions.iter().any(|v| v.as_str() == "GLIBC_PRIVATE"))
        .map(|(file, _)| file)
        .collect();
    if !private.is_empty() {
        let symbols: Vec<String> = facts
            .symbols_by_version()
            .into_iter()
            .filter(|(v, _)| v.as_str() == "GLIBC_PRIVATE")
            .flat_map(|(_, s)| s)
            .map(str::to_string)
            .collect();
        findings.push(
            Rule::PrivateSymbol
                .finding(
                    path,
                    format!(
                        "needs GLIBC_PRIVATE from {} ({})",
                        private
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        symbols.join(", ")
                    ),
                )
                .version("GLIBC_PRIVATE")
                .symbols(symbols)
                .build(),
        );
    }
    if let (Some(t), Some(needed)) = (target, facts.x86_isa_level) {
        let baseline = t.isa_level.unwrap_or(1);
        if facts.arch() == Machine::X86_64 && needed > baseline {
            findings.push(
                Rule::IsaLevel
                    .finding(
                        path,
                        format!(
                            "needs x86-64-v{needed} (GNU property note) but {} assumes x86-64-v{baseline}",
                            t.label
                        ),
                    )
                    .arg("baseline", baseline.to_string())
                    .arg("needed", needed.to_string())
                    .build(),
            );
        }
    }
    true
}

/// `textrel`, naming the relocations that patch read-only code (what `ld -z text`
/// would refuse), so the user learns which code to rebuild.
fn textrel_finding(facts: &ElfFacts, path: &str) -> Finding {
    let mut message =
        "has text relocations (DT_TEXTREL): the loader must patch its code pages".to_string();
    let causes: Vec<String> = facts
        .text_relocations
        .iter()
        .take(5)
        .map(|r| {
            let mut cause = r.r_type.clone();
            if let Some(symbol) = &r.symbol {
                cause.push_str(&format!(" against `{symbol}`"));
            }
            cause.push_str(&format!(" at {:#x}", r.offset));
            if let Some(section) = &r.section {
                cause.push_str(&format!(" in {section}"));
            }
            if let Some(function) = &r.function {
                cause.push_str(&format!(" (function {function})"));
            }
            cause
        })
        .collect();
    if !causes.is_empty() {
        let (relocations, write) = if facts.text_relocation_count == 1 {
            ("relocation", "writes")
        } else {
            ("relocations", "write")
        };
        message.push_str(&format!(
            "; {} {relocations} {write} into read-only segments: {}",
            facts.text_relocation_count,
            causes.join(", ")
        ));
        let more = facts.text_relocation_count.saturating_sub(causes.len());
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
    }
    let mut symbols: Vec<String> = facts
        .text_relocations
        .iter()
        .filter_map(|r| r.symbol.clone())
        .collect();
    symbols.sort();
    symbols.dedup();
    Rule::Textrel
        .finding(path, message)
        .symbols(symbols)
        .build()
}

/// `rpath`: DT_RPATH (inherited, and it overrides LD_LIBRARY_PATH), absolute search
/// folders (the build machine's paths), and $ORIGIN paths that climb out of the tree.
fn rpath_findings(facts: &ElfFacts, path: &str, findings: &mut Vec<Finding>) {
    if !facts.rpath.is_empty() && facts.runpath.is_empty() {
        findings.push(
            Rule::Rpath
                .finding(path, format!("uses DT_RPATH ({})", facts.rpath.join(":")))
                .build(),
        );
    }
    let depth = path.matches('/').count();
    for entry in facts.rpath.iter().chain(&facts.runpath) {
        if entry.starts_with('/') {
            findings.push(
                Rule::Rpath
                    .finding(path, format!("searches the absolute folder {entry}"))
                    .case("absolute")
                    .build(),
            );
        } else if let Some(rest) = entry
            .strip_prefix("$ORIGIN")
            .or_else(|| entry.strip_prefix("${ORIGIN}"))
        {
            let mut level = depth as i64;
            for part in rest.split('/') {
                match part {
                    ".." => level -= 1,
                    "" | "." => {}
                    _ => level += 1,
                }
                if level < 0 {
                    findings.push(
                        Rule::Rpath
                            .finding(
                                path,
                                format!("searches {entry}, which leaves the scanned tree"),
                            )
                            .case("leaves-tree")
                            .build(),
                    );
                    break;
                }
            }
        }
    }
}
