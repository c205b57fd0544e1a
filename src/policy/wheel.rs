//! The rule wheel policies add: auditwheel's symbol blacklist. (Their whitelist is
//! the libraries their profile describes; a library outside it is a
//! `missing-library` finding of the case `not-whitelisted`, made in `loading.rs`.)

use crate::elf::{Binding, ElfFacts};
use crate::profile::WheelPolicy;
use crate::rules::{Finding, Rule};

/// For each library of the file's NEEDED that the policy blacklists symbols of, the
/// blacklisted symbols the file leaves undefined, as auditwheel judges it
/// (`policy/__init__.py`, `lddtree_external_references`: the blacklist of the
/// libraries the file needs directly, against its undefined non-weak symbols,
/// elfutils.py `get_undefined_symbols`). `label` names the policy in the message.
pub fn blacklist_findings(
    facts: &ElfFacts,
    path: &str,
    policy: &WheelPolicy,
    label: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for library in &facts.needed {
        let Some(forbidden) = policy.blacklist.get(library) else {
            continue;
        };
        let mut symbols: Vec<String> = facts
            .symbols
            .iter()
            .filter(|s| !s.defined && s.binding != Binding::Weak)
            .filter(|s| forbidden.iter().any(|f| f == s.name))
            .map(|s| s.name.to_string())
            .collect();
        symbols.sort();
        symbols.dedup();
        if symbols.is_empty() {
            continue;
        }
        findings.push(
            Rule::BlacklistedSymbol
                .finding(
                    path,
                    format!(
                        "imports {} from {library}, which {label} forbids (its symbol blacklist)",
                        super::loading::symbol_list(&symbols)
                    ),
                )
                .arg("library", library)
                .arg("symbol", crate::elf::readable(&symbols[0]))
                .library(library)
                .symbols(symbols)
                .build(),
        );
    }
    findings
}
