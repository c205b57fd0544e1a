//! `hardening-*`: checksec's columns as rules. Off unless a policy file, a profile or
//! the `hardened` preset turns them on: many valid builds lack one or another.

use super::{Finding, Rule};
use crate::elf::{ElfFacts, Kind, Relro};

pub fn hardening_findings(facts: &ElfFacts, path: &str, findings: &mut Vec<Finding>) {
    let Some(h) = &facts.hardening else {
        return;
    };
    // Go and Rust code is memory-safe by construction and their toolchains use
    // neither canaries nor FORTIFY: those two columns say nothing about them.
    let managed = facts.go.is_some() || facts.rustc_version().is_some();
    if h.pie == Some(false) && facts.kind.is_executable() {
        findings.push(Finding::new(
            Rule::HardeningPie,
            path,
            "is not a position-independent executable: its code is always at the same address"
                .to_string(),
            "ASLR cannot move it, so an attacker knows where every gadget of its code is.",
            "Build with -fPIE -pie (the default of Debian's, Ubuntu's and Fedora's gcc)."
                .to_string(),
        ));
    }
    if h.relro != Relro::Full && !matches!(facts.kind, Kind::StaticExecutable) {
        findings.push(Finding::new(
            Rule::HardeningRelro,
            path,
            match h.relro {
                Relro::None => "has no RELRO: the GOT and relocated data stay writable".to_string(),
                _ => "has partial RELRO (no BIND_NOW): the PLT's GOT stays writable".to_string(),
            },
            "A memory-corruption bug can overwrite a GOT entry and redirect a library call.",
            "Link with -Wl,-z,relro,-z,now.".to_string(),
        ));
    }
    if h.stack_protector == Some(false) && !managed {
        findings.push(Finding::new(
            Rule::HardeningStackProtector,
            path,
            "has no stack protector (it never calls __stack_chk_fail)".to_string(),
            "A stack buffer overflow overwrites the return address undetected.",
            "Compile with -fstack-protector-strong.".to_string(),
        ));
    }
    if h.fortified.is_empty() && !h.fortifiable.is_empty() && !managed {
        findings.push(Finding::new(
            Rule::HardeningFortify,
            path,
            format!(
                "calls {} without FORTIFY_SOURCE checks (no __*_chk function is used)",
                h.fortifiable.join(", ")
            ),
            "Buffer overflows in these calls go unchecked where the compiler knows the size.",
            "Compile with -O2 -D_FORTIFY_SOURCE=2 (or 3).".to_string(),
        ));
    }
    let missing: Vec<&str> = [(h.ibt, "IBT"), (h.shstk, "SHSTK")]
        .into_iter()
        .filter(|(on, _)| *on == Some(false))
        .map(|(_, name)| name)
        .collect();
    if !missing.is_empty() {
        findings.push(Finding::new(
            Rule::HardeningCet,
            path,
            format!(
                "is not marked for x86 CET ({} missing from the GNU property note)",
                missing.join(" and ")
            ),
            "On CPUs and kernels with CET, unmarked code runs without indirect-branch tracking \
             and shadow stacks, which stop ROP and JOP attacks.",
            "Compile every object, assembly included, with -fcf-protection=full; one unmarked \
             object unmarks the whole file."
                .to_string(),
        ));
    }
}
