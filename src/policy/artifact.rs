//! Findings from a file's own facts, against a target when there is one.

use super::{Finding, Rule, Severity};
use crate::elf::{Class, ElfFacts, Kind};
use crate::resolve::LoaderKind;

/// What the rules need to know about the target host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetFacts {
    /// The profile's name, for messages ("ubuntu-20.04 (linux/amd64)").
    pub label: String,
    pub libc: LoaderKind,
    pub libc_version: Vec<u64>,
    pub class: Class,
    pub e_machine: u16,
    pub machine: String,
    pub isa_level: Option<u8>,
}

impl TargetFacts {
    fn glibc_at_least(&self, major: u64, minor: u64) -> bool {
        self.libc == LoaderKind::Glibc && self.libc_version.as_slice() >= [major, minor].as_slice()
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
        if facts.e_machine != t.e_machine || facts.class != t.class {
            findings.push(Finding::new(
                Rule::ArchMismatch,
                path,
                format!(
                    "is {} {} but {} is {} {}",
                    facts.class.as_str(),
                    facts.machine,
                    t.label,
                    t.class.as_str(),
                    t.machine
                ),
                "The kernel refuses to run it (\"Exec format error\") and the loader skips it as a library.",
                format!("Build it for {} (a cross compiler, or a build on that architecture).", t.machine),
            ));
            return false;
        }
        let loader = LoaderKind::of(facts);
        if loader != LoaderKind::None && loader != t.libc {
            let (have, want) = (loader.as_str(), t.libc.as_str());
            findings.push(Finding::new(
                Rule::LibcMismatch,
                path,
                format!(
                    "is linked against {have} (interpreter {}) but {} uses {want}",
                    facts.interpreter.as_deref().unwrap_or("none"),
                    t.label
                ),
                "Its loader and libc do not exist there: it fails with \"No such file or directory\" \
                 or, with a compatibility layer, in subtle ways.",
                format!(
                    "Build it against {want} (e.g. in the target's image), or link it fully statically \
                     (Rust: the *-unknown-linux-musl targets; Go: CGO_ENABLED=0)."
                ),
            ));
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
        let mut finding = Finding::new(
            Rule::ExecutableStack,
            path,
            "asks for an executable stack (PT_GNU_STACK with PF_X, or no PT_GNU_STACK)".to_string(),
            if strict {
                "glibc 2.41 and newer refuse to dlopen a library that needs an executable stack, and \
                 loading it as a dependency makes every thread's stack executable."
            } else {
                "It makes the whole process's stack executable, which turns stack overflows into code \
                 execution; glibc 2.41 and newer refuse to dlopen such libraries."
            },
            "Find the object without a .note.GNU-stack section (usually assembly: add \
             `.section .note.GNU-stack,\"\",@progbits`), or link with -Wl,-z,noexecstack."
                .to_string(),
        );
        if strict {
            finding.severity = Severity::Error;
        }
        findings.push(finding);
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
        let mut finding = Finding::new(
            Rule::PrivateSymbol,
            path,
            format!(
                "needs GLIBC_PRIVATE from {} ({})",
                private.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                symbols.join(", ")
            ),
            "GLIBC_PRIVATE is glibc's internal interface: it changes between builds, so the file only \
             works with the exact glibc it was linked against.",
            "Do not link against glibc internals: use the public interface, or ship the file only with \
             that exact glibc."
                .to_string(),
        );
        finding.version = Some("GLIBC_PRIVATE".into());
        finding.symbol = symbols.first().cloned();
        finding.symbols = symbols;
        findings.push(finding);
    }
    if let (Some(t), Some(needed)) = (target, facts.x86_isa_level) {
        let baseline = t.isa_level.unwrap_or(1);
        if facts.e_machine == 62 && needed > baseline {
            findings.push(Finding::new(
                Rule::IsaLevel,
                path,
                format!(
                    "needs x86-64-v{needed} (GNU property note) but {} assumes x86-64-v{baseline}",
                    t.label
                ),
                "On a CPU without those instructions (AVX2 and BMI for v3, AVX-512 for v4) it dies with \
                 SIGILL (\"Illegal instruction\"); glibc 2.33+ may also refuse to load it.",
                format!(
                    "Build with -march=x86-64-v{baseline} (or the target's level), and do not link with \
                     -z x86-64-v{needed}; dispatch at run time for faster code paths."
                ),
            ));
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
        message.push_str(&format!(
            "; {} relocation{} write into read-only segments: {}",
            facts.text_relocation_count,
            if facts.text_relocation_count == 1 {
                ""
            } else {
                "s"
            },
            causes.join(", ")
        ));
        let more = facts.text_relocation_count.saturating_sub(causes.len());
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
    }
    let mut finding = Finding::new(
        Rule::Textrel,
        path,
        message,
        "Its code cannot be shared between processes, it loads slower, and hardened hosts refuse \
         it (SELinux execmod denials, PaX).",
        "Recompile the objects that define or use these symbols with -fPIC (assembly: use \
         RIP-relative addressing); linking with -Wl,-z,text names the objects at fault."
            .to_string(),
    );
    let mut symbols: Vec<String> = facts
        .text_relocations
        .iter()
        .filter_map(|r| r.symbol.clone())
        .collect();
    symbols.sort();
    symbols.dedup();
    finding.symbol = symbols.first().cloned();
    finding.symbols = symbols;
    finding
}

/// `rpath`: DT_RPATH (inherited, and it overrides LD_LIBRARY_PATH), absolute search
/// folders (the build machine's paths), and $ORIGIN paths that climb out of the tree.
fn rpath_findings(facts: &ElfFacts, path: &str, findings: &mut Vec<Finding>) {
    if !facts.rpath.is_empty() && facts.runpath.is_empty() {
        findings.push(Finding::new(
            Rule::Rpath,
            path,
            format!("uses DT_RPATH ({})", facts.rpath.join(":")),
            "DT_RPATH is searched before LD_LIBRARY_PATH, so users cannot override it, and it is \
             inherited by every library the file loads.",
            "Link with -Wl,--enable-new-dtags to get DT_RUNPATH instead.".to_string(),
        ));
    }
    let depth = path.matches('/').count();
    for entry in facts.rpath.iter().chain(&facts.runpath) {
        if entry.starts_with('/') {
            findings.push(Finding::new(
                Rule::Rpath,
                path,
                format!("searches the absolute folder {entry}"),
                "An absolute search path is the build machine's: on the target it is missing, or a \
                 folder anyone may create and fill with a library of that name.",
                "Use a path relative to the file: -Wl,-rpath,'$ORIGIN/../lib'.".to_string(),
            ));
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
                    findings.push(Finding::new(
                        Rule::Rpath,
                        path,
                        format!("searches {entry}, which leaves the scanned tree"),
                        "The libraries there are not shipped with the file: it works only where that \
                         folder happens to exist.",
                        "Ship the libraries inside the tree and point RUNPATH there ($ORIGIN/../lib).".to_string(),
                    ));
                    break;
                }
            }
        }
    }
}
