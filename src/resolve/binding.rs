//! Symbol versions and symbol binding in one load scope: `ldd -r`, statically.
//!
//! Version needs: glibc elf/dl-version.c (`_dl_check_map_versions`, `match_symbol`):
//! every `.gnu.version_r` entry must be defined by the library it names, or the
//! program does not start ("version `GLIBC_2.34' not found"); a library without any
//! version definitions only earns a warning. Binding: glibc elf/dl-lookup.c
//! (`check_match`): a reference `sym@VER` binds to a definition of VER, or to an
//! unversioned one; an unversioned reference binds to an unversioned or default
//! (`@@`) definition, never a hidden one. Undefined weak references may stay unbound.

use super::host::HostObject;
use super::model::{Resolution, UnboundSymbol, VersionGap};
use crate::elf::{Binding, ElfFacts, SymbolType, SymbolVersion, VersionName};
use std::collections::{BTreeSet, HashMap};

/// Symbols are checked even when a library is missing, as `ldd -r` does: an
/// unversioned reference cannot say which library should have defined it, so the
/// findings say it may be the missing one.
pub fn check_binding(scope: &[(&str, &HostObject)], resolution: &mut Resolution) {
    check_versions(scope, resolution);
    check_symbols(scope, resolution);
}

fn check_versions(scope: &[(&str, &HostObject)], resolution: &mut Resolution) {
    let by_path: HashMap<&str, &HostObject> = scope.iter().copied().collect();
    let mut gaps = Vec::new();
    for &(path, object) in scope {
        for (file, versions) in &object.facts.version_needs {
            let Some(target) = resolution
                .edges
                .iter()
                .find(|e| e.from == path && &e.name == file)
                .and_then(|e| e.to.as_deref())
            else {
                continue;
            };
            let Some(library) = by_path.get(target) else {
                continue;
            };
            let defs = &library.facts.version_defs;
            if defs.is_empty() && library.described.is_none() {
                continue;
            }
            for version in versions {
                let met = match &library.described {
                    // Unknown to the description: nothing to say.
                    Some(described) => described.provides(version).unwrap_or(true),
                    None => defs.contains(version),
                };
                if met {
                    continue;
                }
                let newest = match &library.described {
                    Some(described) => described.newest_of_family(version),
                    None => newest_of_family(defs, version).map(|v| v.to_string()),
                };
                gaps.push(VersionGap {
                    library: file.clone(),
                    library_path: target.to_string(),
                    version: version.to_string(),
                    needed_by: path.to_string(),
                    symbols: symbols_needing(object, file, version),
                    newest_available: newest,
                });
            }
        }
    }
    resolution.version_gaps = gaps;
}

fn symbols_needing(object: &HostObject, file: &str, version: &VersionName) -> Vec<String> {
    let set: BTreeSet<&str> = object
        .facts
        .symbols
        .iter()
        .filter(|s| !s.defined)
        .filter(|s| {
            s.version
                .as_ref()
                .is_some_and(|v| &v.name == version && v.file.as_deref() == Some(file))
        })
        .map(|s| s.name)
        .collect();
    set.into_iter().map(str::to_string).collect()
}

fn newest_of_family<'a>(defs: &'a [VersionName], wanted: &VersionName) -> Option<&'a VersionName> {
    let (family, _) = wanted.family_and_numbers();
    defs.iter()
        .filter(|d| {
            let (f, n) = d.family_and_numbers();
            f == family && !n.is_empty()
        })
        .max()
}

/// One object's symbols indexed for binding, built once per object and shared by every
/// load that has it in its scope (a scan of /usr checks libc's exports for each of a
/// thousand programs).
#[derive(Debug)]
pub(crate) struct SymbolIndex {
    exports: Exports,
    /// The references binding must satisfy (undefined, global, named), as
    /// (name hash, symbol index) in symbol table order.
    references: Box<[(u32, u32)]>,
}

impl SymbolIndex {
    pub(crate) fn of(facts: &ElfFacts) -> SymbolIndex {
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

fn check_symbols(scope: &[(&str, &HostObject)], resolution: &mut Resolution) {
    let indexes: Vec<(&SymbolIndex, &ElfFacts)> = scope
        .iter()
        .map(|(_, o)| (o.symbol_index(), &*o.facts))
        .collect();
    let bound = |name: &str, hash: u32, wanted: Option<&SymbolVersion>| {
        indexes.iter().any(|(index, facts)| {
            let exports = &index.exports;
            exports.versions(facts, name, hash).any(|d| match wanted {
                Some(w) => d.is_none_or(|d| d.name == w.name),
                None => d.is_none_or(|d| !d.hidden),
            })
        })
    };
    // A described library has no symbol table: a reference it might satisfy (an
    // unversioned one, or one versioned from it) cannot be judged.
    let described: BTreeSet<&str> = scope
        .iter()
        .filter(|(_, o)| o.described.is_some())
        .map(|(p, _)| *p)
        .collect();
    let mut unbound = Vec::new();
    let mut seen = BTreeSet::new();
    for (&(path, _), (index, facts)) in scope.iter().zip(&indexes) {
        for &(hash, i) in index.references.iter() {
            let Some(symbol) = facts.symbols.get(i as usize) else {
                continue;
            };
            let bound = bound(symbol.name, hash, symbol.version);
            // A reference to a version the library lacks is already a version gap:
            // the same cause, reported once.
            let explained = symbol.version.as_ref().is_some_and(|v| {
                resolution.version_gaps.iter().any(|g| {
                    g.needed_by == path
                        && g.version == v.name.as_str()
                        && v.file.as_deref() == Some(g.library.as_str())
                })
            });
            let unknowable = !described.is_empty()
                && match symbol.version.as_ref().and_then(|v| v.file.as_ref()) {
                    None => true,
                    Some(file) => resolution
                        .edges
                        .iter()
                        .find(|e| e.from == path && *e.name == **file)
                        .and_then(|e| e.to.as_deref())
                        .is_none_or(|to| described.contains(to)),
                };
            if !bound && !explained && !unknowable && seen.insert((path, symbol.name)) {
                unbound.push(UnboundSymbol {
                    symbol: symbol.name.to_string(),
                    version: symbol.version.map(|v| v.name.to_string()),
                    needed_by: path.to_string(),
                });
            }
        }
    }
    resolution.unbound_symbols = unbound;
}
