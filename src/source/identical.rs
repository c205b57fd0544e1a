//! Copies of one file (a library vendored by two programs, a tree copied once per
//! variant) have the same facts, symbol table included: they are kept once. A scan of
//! /usr/bin copied ten times holds the symbol tables of one copy, not ten.

use crate::elf::ElfFacts;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::{Arc, Mutex};

/// The facts read so far, by a hash of their whole content.
#[derive(Debug, Default)]
pub(crate) struct IdenticalFacts(Mutex<HashMap<u64, Vec<Arc<ElfFacts>>>>);

impl IdenticalFacts {
    /// `facts`, or the equal facts of a file read before.
    pub(crate) fn share(&self, facts: ElfFacts) -> Arc<ElfFacts> {
        let key = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(&facts);
        // Compared outside the lock: two symbol tables can be megabytes long.
        let candidates = self
            .0
            .lock()
            .expect("facts lock")
            .get(&key)
            .cloned()
            .unwrap_or_default();
        if let Some(same) = candidates.into_iter().find(|known| **known == facts) {
            return same;
        }
        let facts = Arc::new(facts);
        self.0
            .lock()
            .expect("facts lock")
            .entry(key)
            .or_default()
            .push(facts.clone());
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Class, Endian, Kind};

    #[test]
    fn equal_facts_are_kept_once() {
        let facts = |soname: &str| {
            let mut f = ElfFacts::bare(
                Class::Elf64,
                Endian::Little,
                "x86_64",
                62,
                Kind::SharedLibrary,
            );
            f.soname = Some(soname.into());
            f
        };
        let shared = IdenticalFacts::default();
        let a = shared.share(facts("liba.so.1"));
        let b = shared.share(facts("liba.so.1"));
        let c = shared.share(facts("libc.so.1"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
