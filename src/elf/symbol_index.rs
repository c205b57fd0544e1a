//! A file's dynamic symbol table indexed for symbol binding: the references binding
//! must satisfy, and its exports by name hash. Derived from the facts alone, built
//! once per object (resolve/binding.rs uses it for every load that has the object in
//! its scope).
//!
//! Exports are looked up through the file's own DT_GNU_HASH table when it has a sound
//! one, as ld.so does (elf/export_hash.rs); only an object without one (a profile's,
//! a malformed or a foreign one) has its exports indexed here.

use super::export_hash::{gnu_hash, Bloom};
use super::facts::{ElfFacts, SymbolVersion};

/// One object's symbols indexed for binding, built once per object and shared by every
/// load that has it in its scope (a scan of /usr checks libc's exports for each of a
/// thousand programs).
#[derive(Debug)]
pub struct SymbolIndex {
    /// None when the symbol table carries its DT_GNU_HASH.
    exports: Option<Exports>,
    /// The references binding must satisfy (undefined, global, named), as
    /// (`gnu_hash` of the name, symbol index) in symbol table order.
    references: Box<[(u32, u32)]>,
}

impl SymbolIndex {
    pub fn of(facts: &ElfFacts) -> SymbolIndex {
        let references = facts
            .symbols
            .references()
            .map(|(i, name)| (gnu_hash(name.as_bytes()), i as u32))
            .collect();
        let exports = match facts.symbols.export_hash() {
            Some(_) => None,
            None => Some(Exports::of(facts)),
        };
        SymbolIndex {
            exports,
            references,
        }
    }

    /// The index built from the symbols alone, as for an object without a sound
    /// DT_GNU_HASH (tests compare lookups through the file's table with it).
    pub fn indexed(facts: &ElfFacts) -> SymbolIndex {
        SymbolIndex {
            exports: Some(Exports::of(facts)),
            ..SymbolIndex::of(facts)
        }
    }

    /// Whether exports are looked up through the file's own DT_GNU_HASH.
    pub fn uses_export_hash(&self) -> bool {
        self.exports.is_none()
    }

    /// The references binding must satisfy, as (`gnu_hash` of the name, symbol index).
    pub fn references(&self) -> &[(u32, u32)] {
        &self.references
    }

    /// The file's Bloom filter, when its exports are looked up through its own
    /// table: a name it rules out is not exported (None: ask `exports`).
    pub fn bloom<'a>(&self, facts: &'a ElfFacts) -> Option<Bloom<'a>> {
        match self.exports {
            None => facts.symbols.export_hash().map(|table| table.bloom()),
            Some(_) => None,
        }
    }

    /// Whether the object whose facts are `facts` exports `name` (whose `gnu_hash`
    /// is `hash`) with a version `accept` takes (None: unversioned).
    #[inline]
    pub fn exports(
        &self,
        facts: &ElfFacts,
        name: &str,
        hash: u32,
        mut accept: impl FnMut(Option<&SymbolVersion>) -> bool,
    ) -> bool {
        let symbols = &facts.symbols;
        let mut matches = |i: usize| {
            symbols.is_export(i) && symbols.is_named(i, name) && accept(symbols.version_of(i))
        };
        match (&self.exports, symbols.export_hash()) {
            // Dynamic symbol `i` is table entry `i - 1` (no null entry).
            (None, Some(table)) => table.any(hash, |i| matches(i - 1)),
            (Some(exports), _) => exports.candidates(hash).any(matches),
            (None, None) => false,
        }
    }

    /// The versions `name` (whose `gnu_hash` is `hash`) is exported with by the
    /// object whose facts are `facts` (None: unversioned), in lookup order.
    pub fn exported_versions<'a>(
        &self,
        facts: &'a ElfFacts,
        name: &str,
        hash: u32,
    ) -> Vec<Option<&'a SymbolVersion>> {
        let mut found = Vec::new();
        let symbols = &facts.symbols;
        let mut take = |i: usize| {
            if symbols.is_export(i) && symbols.is_named(i, name) {
                found.push(symbols.version_of(i));
            }
            false
        };
        match (&self.exports, symbols.export_hash()) {
            (None, Some(table)) => {
                table.any(hash, |i| take(i - 1));
            }
            (Some(exports), _) => {
                exports.candidates(hash).any(take);
            }
            (None, None) => {}
        }
        found
    }
}

/// An object's exported symbols (defined, global, weak or unique, not sections or
/// files), as (name hash, symbol index) grouped into buckets by hash, so that a lookup
/// reads one bucket of about two entries: a load looks most names up in every object
/// of its scope before the one that defines them, so misses must be cheap. 10 bytes
/// per export.
#[derive(Debug)]
struct Exports {
    entries: Box<[(u32, u32)]>,
    /// `entries[starts[b]..starts[b + 1]]` are the entries of bucket `b`.
    starts: Box<[u32]>,
}

impl Exports {
    fn of(facts: &ElfFacts) -> Exports {
        let symbols = &facts.symbols;
        let exported: Vec<(u32, u32)> = (0..symbols.len())
            .filter(|&i| symbols.is_export(i))
            .map(|i| {
                let name = symbols.name(i).unwrap_or("");
                (gnu_hash(name.as_bytes()), i as u32)
            })
            .collect();
        // Placed bucket by bucket (a counting sort): a lookup compares every hash of
        // its bucket, so the order inside one does not matter.
        let buckets = exported.len() / 2 + 1;
        let mut starts = vec![0u32; buckets + 1];
        for &(hash, _) in &exported {
            starts[bucket(hash, buckets) + 1] += 1;
        }
        for b in 0..buckets {
            starts[b + 1] += starts[b];
        }
        let mut next = starts.clone();
        let mut entries = vec![(0, 0); exported.len()].into_boxed_slice();
        for entry in exported {
            let slot = &mut next[bucket(entry.0, buckets)];
            entries[*slot as usize] = entry;
            *slot += 1;
        }
        Exports {
            entries,
            starts: starts.into_boxed_slice(),
        }
    }

    /// The symbol indexes whose name hash is `hash`.
    fn candidates(&self, hash: u32) -> impl Iterator<Item = usize> + '_ {
        let b = bucket(hash, self.starts.len() - 1);
        self.entries[self.starts[b] as usize..self.starts[b + 1] as usize]
            .iter()
            .filter(move |(h, _)| *h == hash)
            .map(|&(_, i)| i as usize)
    }
}

/// The bucket of `hash` among `buckets` (`gnu_hash` mixes its low bits well; its
/// high ones stay alike for short names).
fn bucket(hash: u32, buckets: usize) -> usize {
    hash as usize % buckets
}
