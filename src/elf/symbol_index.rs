//! A file's dynamic symbol table indexed for symbol binding: its exports by name
//! hash, and the references binding must satisfy. Derived from the facts alone, built
//! once per object (resolve/binding.rs uses it for every load that has the object in
//! its scope).

use super::facts::{Binding, ElfFacts, SymbolType, SymbolVersion};

/// One object's symbols indexed for binding, built once per object and shared by every
/// load that has it in its scope (a scan of /usr checks libc's exports for each of a
/// thousand programs).
#[derive(Debug)]
pub struct SymbolIndex {
    exports: Exports,
    /// The references binding must satisfy (undefined, global, named), as
    /// (name hash, symbol index) in symbol table order.
    references: Box<[(u32, u32)]>,
}

impl SymbolIndex {
    pub fn of(facts: &ElfFacts) -> SymbolIndex {
        let references = facts
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.defined && s.binding == Binding::Global && !s.name.is_empty())
            .map(|(i, s)| (name_hash(s.name), i as u32))
            .collect();
        SymbolIndex {
            exports: Exports::of(facts),
            references,
        }
    }
}

impl SymbolIndex {
    /// The references binding must satisfy, as (name hash, symbol index).
    pub fn references(&self) -> &[(u32, u32)] {
        &self.references
    }

    /// The versions `name` (whose `name_hash` is `hash`) is exported with by the
    /// object whose facts are `facts` (None: unversioned).
    pub fn exported_versions<'a>(
        &'a self,
        facts: &'a ElfFacts,
        name: &'a str,
        hash: u32,
    ) -> impl Iterator<Item = Option<&'a SymbolVersion>> + 'a {
        self.exports.versions(facts, name, hash)
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

/// A 32-bit hash of a symbol name; a collision costs a name comparison, not a wrong
/// answer.
fn name_hash(name: &str) -> u32 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let h = BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name);
    (h ^ (h >> 32)) as u32
}

impl Exports {
    fn of(facts: &ElfFacts) -> Exports {
        let exported: Vec<(u32, u32)> = facts
            .symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.defined
                    && matches!(
                        s.binding,
                        Binding::Global | Binding::Weak | Binding::GnuUnique
                    )
                    && !matches!(s.kind, SymbolType::Section | SymbolType::File)
            })
            .map(|(i, s)| (name_hash(s.name), i as u32))
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

    /// The versions `name` is exported with (None: unversioned).
    fn versions<'a>(
        &'a self,
        facts: &'a ElfFacts,
        name: &'a str,
        hash: u32,
    ) -> impl Iterator<Item = Option<&'a SymbolVersion>> + 'a {
        let b = bucket(hash, self.starts.len() - 1);
        let bucket = &self.entries[self.starts[b] as usize..self.starts[b + 1] as usize];
        bucket
            .iter()
            .filter(move |(h, _)| *h == hash)
            .filter_map(move |(_, i)| facts.symbols.get(*i as usize))
            .filter(move |s| s.name == name)
            .map(|s| s.version)
    }
}

/// The bucket of `hash` among `buckets`.
fn bucket(hash: u32, buckets: usize) -> usize {
    ((u64::from(hash) * buckets as u64) >> 32) as usize
}
