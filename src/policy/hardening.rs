//! `hardening-*`: checksec's columns as rules. Off unless a policy file, a profile or
//! the `hardened` preset turns them on: many valid builds lack one or another.

use crate::elf::{ElfFacts, Kind, Relro};
use crate::rules::{Finding, Rule};

pub fn hardening_findings(facts: &ElfFacts, path: &str, findings: &mut Vec<Finding>) {
    let Some(h) = &facts.hardening else {
        return;
    };
    // Go and Rust code is memory-safe by construction and their toolchains use
    // neither canaries nor FORTIFY: those two columns say nothing about them.
    let managed = facts.go.is_some() || facts.rustc_version().is_some();
    if h.pie == Some(false) && facts.kind.is_executable() {
        findings.push(
            Rule::HardeningPie
                .finding(
                    path,
                    "is not a position-independent executable: its code is always at the same address",
                )
                .build(),
        );
    }
    if h.relro != Relro::Full && !matches!(facts.kind, Kind::StaticExecutable) {
        let message = match h.relro {
            Relro::None => "has no RELRO: the GOT and relocated data stay writable",
            _ => "has partial RELRO (no BIND_NOW): the PLT's GOT stays writable",
        };
        findings.push(Rule::HardeningRelro.finding(path, message).build());
    }
    if h.stack_protector == Some(false) && !managed {
        findings.push(
            Rule::HardeningStackProtector
                .finding(
                    path,
                    "has no stack protector (it never calls __stack_chk_fail)",
                )
                .build(),
        );
    }
    if h.fortified.is_empty() && !h.fortifiable.is_empty() && !managed {
        findings.push(
            Rule::HardeningFortify
                .finding(
                    path,
                    format!(
                        "calls {} without FORTIFY_SOURCE checks (no __*_chk function is used)",
                        h.fortifiable.join(", ")
                    ),
                )
                .build(),
        );
    }
    let missing: Vec<&str> = [(h.ibt, "IBT"), (h.shstk, "SHSTK")]
        .into_iter()
        .filter(|(on, _)| *on == Some(false))
        .map(|(_, name)| name)
        .collect();
    if !missing.is_empty() {
        findings.push(
            Rule::HardeningCet
                .finding(
                    path,
                    format!(
                        "is not marked for x86 CET ({} missing from the GNU property note)",
                        missing.join(" and ")
                    ),
                )
                .build(),
        );
    }
}
