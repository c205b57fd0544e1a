//! Symbol versions and symbol binding in one load scope: `ldd -r`, statically.
//!
//! Version needs: glibc elf/dl-version.c (`_dl_check_map_versions`, `match_symbol`):
//! every `.gnu.version_r` entry must be defined by the library it names, or the
//! program does not start ("version `GLIBC_2.34' not found"); a library without any
//! version definitions only earns a warning. Binding: glibc elf/dl-lookup.c
//! (`check_match`): a reference `sym@VER` binds to a definition of VER, or to an
//! unversioned one; an unversioned reference binds to an unversioned or default
//! (`@@`) definition, never a hidden one. Undefined weak references may stay unbound.

use super::model::{HostSymbols, Resolution, UnboundSymbol, VersionGap};
use super::plugin::PluginHost;
use crate::elf::{Bloom, ElfFacts, SymbolIndex, SymbolVersion, VersionName};
use crate::source::HostObject;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Weak};

/// The process a plugin is opened in: what to call it, and its objects (they define
/// symbols and versions for the plugin's load, but are not checked themselves).
pub type InHost<'a> = Option<(&'a str, &'a [(&'a str, &'a HostObject)])>;

/// Symbols are checked even when a library is missing, as `ldd -r` does: an
/// unversioned reference cannot say which library should have defined it, so the
/// findings say it may be the missing one.
pub fn check_binding(
    scope: &[(&str, &Arc<HostObject>)],
    host: InHost<'_>,
    resolution: &mut Resolution,
) {
    check_versions(scope, host, resolution);
    check_symbols(scope, host, resolution);
}

fn check_versions(
    scope: &[(&str, &Arc<HostObject>)],
    host: InHost<'_>,
    resolution: &mut Resolution,
) {
    let by_path: HashMap<&str, &HostObject> = scope
        .iter()
        .map(|&(path, object)| (path, &**object))
        .chain(host.map_or(&[][..], |(_, objects)| objects).iter().copied())
        .collect();
    let mut gaps = Vec::new();
    for &(path, object) in scope {
        let object: &HostObject = object;
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

fn check_symbols(
    scope: &[(&str, &Arc<HostObject>)],
    host: InHost<'_>,
    resolution: &mut Resolution,
) {
    // Each object with its Bloom filter beside it: most lookups are misses that the
    // filter settles without reading the object's tables.
    let indexes: Vec<(&SymbolIndex, &ElfFacts, Option<Bloom>)> = scope
        .iter()
        .map(|(_, o)| (o.symbol_index(), &*o.facts))
        .map(|(index, facts)| (index, facts, index.bloom(facts)))
        .collect();
    let host_indexes: Vec<(&SymbolIndex, &ElfFacts, Option<Bloom>)> = host
        .map_or(&[][..], |(_, objects)| objects)
        .iter()
        .map(|(_, o)| (o.symbol_index(), &*o.facts))
        .map(|(index, facts)| (index, facts, index.bloom(facts)))
        .collect();
    // The first of `indexes` that exports a name: the object it binds to.
    let defined_in = |indexes: &[(&SymbolIndex, &ElfFacts, Option<Bloom>)],
                      name: &str,
                      hash: u32,
                      wanted: Option<&SymbolVersion>| {
        indexes.iter().position(|(index, facts, bloom)| {
            bloom.is_none_or(|b| b.may_contain(hash))
                && index.exports(facts, name, hash, |d| match wanted {
                    Some(w) => d.is_none_or(|d| d.name == w.name),
                    None => d.is_none_or(|d| !d.hidden),
                })
        })
    };
    let in_scope = ScopeSet::of(scope);
    // Scope objects that bound a reference of the object being checked.
    let mut binders = vec![false; scope.len()];
    // A described library has no symbol table: a reference it might satisfy (an
    // unversioned one, or one versioned from it) cannot be judged.
    let described: BTreeSet<&str> = scope
        .iter()
        .filter(|(_, o)| o.described.is_some())
        .map(|(p, _)| *p)
        .collect();
    let mut unbound = Vec::new();
    let mut seen = BTreeSet::new();
    // The process the load's root is a plugin of provides its API to every object
    // of the load; a library that is a plugin itself, to itself. Asked only once a
    // reference is found unbound: telling a plugin reads every symbol of the object,
    // and most loads bind everything (asked for every object of every load, it was
    // 60 % of the instructions of a scan of /usr/bin).
    let root_host = std::cell::OnceCell::new();
    let root_host = || {
        *root_host.get_or_init(|| {
            scope
                .first()
                .and_then(|(path, o)| PluginHost::of(&o.facts, path))
        })
    };
    let mut hosted: Vec<HostSymbols> = Vec::new();
    for (&(path, object), (index, facts, _)) in scope.iter().zip(&indexes) {
        if in_scope.bound_before(object) {
            continue;
        }
        let own_host = std::cell::OnceCell::new();
        let plugin_host =
            || *own_host.get_or_init(|| root_host().or_else(|| PluginHost::of(facts, path)));
        binders.fill(false);
        let mut all_bound = true;
        for &(hash, i) in index.references() {
            // Read field by field: building the whole symbol cost more than the lookup.
            let i = i as usize;
            let Some(name) = facts.symbols.name(i) else {
                continue;
            };
            let version = facts.symbols.version_of(i);
            let bound = match defined_in(&indexes, name, hash, version) {
                Some(j) => {
                    binders[j] = true;
                    true
                }
                None => {
                    all_bound = false;
                    false
                }
            };
            // A reference to a version the library lacks is already a version gap:
            // the same cause, reported once.
            let explained = version.as_ref().is_some_and(|v| {
                resolution.version_gaps.iter().any(|g| {
                    g.needed_by == path
                        && g.version == v.name.as_str()
                        && v.file.as_deref() == Some(g.library.as_str())
                })
            });
            let unknowable = !described.is_empty()
                && match version.as_ref().and_then(|v| v.file.as_ref()) {
                    None => true,
                    Some(file) => resolution
                        .edges
                        .iter()
                        .find(|e| e.from == path && *e.name == **file)
                        .and_then(|e| e.to.as_deref())
                        .is_none_or(|to| described.contains(to)),
                };
            if !bound && !explained && !unknowable && seen.insert((path, name)) {
                // The process the plugin is opened in binds it first (its global
                // scope), else the interpreter it is a module of provides it.
                let provider = if defined_in(&host_indexes, name, hash, version).is_some() {
                    host.map(|(describe, _)| describe)
                } else {
                    plugin_host()
                        .filter(|h| h.provides(name))
                        .map(PluginHost::describe)
                };
                if let Some(provider) = provider {
                    match hosted
                        .iter_mut()
                        .find(|h| h.needed_by == path && h.host == provider)
                    {
                        Some(h) => {
                            h.count += 1;
                            h.symbols.push(name.to_string());
                        }
                        None => hosted.push(HostSymbols {
                            host: provider.to_string(),
                            needed_by: path.to_string(),
                            count: 1,
                            symbols: vec![name.to_string()],
                        }),
                    }
                    continue;
                }
                unbound.push(UnboundSymbol {
                    symbol: name.to_string(),
                    version: version.map(|v| v.name.to_string()),
                    needed_by: path.to_string(),
                });
            }
        }
        if all_bound {
            remember_binders(object, scope, &binders);
        }
    }
    resolution.unbound_symbols = unbound;
    resolution.host_symbols = hosted;
}

/// An object whose references all bound in one load binds them all again in any load
/// whose scope holds the objects that bound them (what an object exports does not
/// change from one load to the next, and binding only asks whether some object of the
/// scope exports the name). So those objects are remembered with it, and a later load
/// that holds them all skips its references: a library is in the scope of every
/// program that needs it (libstdc++'s thousands of references were looked up again
/// for each of them). A few sets are kept per object: a scan against several targets
/// binds it among each target's libraries.
const REMEMBERED_BINDER_SETS: usize = 4;

fn remember_binders(
    object: &Arc<HostObject>,
    scope: &[(&str, &Arc<HostObject>)],
    binders: &[bool],
) {
    let set: Box<[Weak<HostObject>]> = scope
        .iter()
        .zip(binders)
        .filter(|(_, &bound)| bound)
        .map(|((_, o), _)| Arc::downgrade(o))
        .collect();
    let mut known = object.bound_by.lock().expect("binding memo lock");
    if known.len() < REMEMBERED_BINDER_SETS {
        known.push(set);
    }
}

/// The objects of a scope by address, for `bound_before`.
struct ScopeSet(Vec<*const HostObject>);

impl ScopeSet {
    fn of(scope: &[(&str, &Arc<HostObject>)]) -> ScopeSet {
        let mut objects: Vec<*const HostObject> =
            scope.iter().map(|(_, o)| Arc::as_ptr(o)).collect();
        objects.sort_unstable();
        ScopeSet(objects)
    }

    /// Whether `object`'s references all bound in an earlier load by objects this
    /// scope holds. A remembered object is compared by address, which no other object
    /// can take while the remembered `Weak` keeps its allocation.
    fn bound_before(&self, object: &HostObject) -> bool {
        let known = object.bound_by.lock().expect("binding memo lock");
        known.iter().any(|set| {
            set.iter()
                .all(|binder| self.0.binary_search(&binder.as_ptr()).is_ok())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Binding, Class, Endian, Kind, SymbolType};

    fn library(path: &str, exports: &[&str], imports: &[&str]) -> Arc<HostObject> {
        let mut facts = ElfFacts::bare(
            Class::Elf64,
            Endian::Little,
            "x86_64",
            62,
            Kind::SharedLibrary,
        );
        for name in exports {
            facts
                .symbols
                .push(name, true, Binding::Global, SymbolType::Func, None);
        }
        for name in imports {
            facts
                .symbols
                .push(name, false, Binding::Global, SymbolType::Func, None);
        }
        Arc::new(HostObject::new(
            path.to_string(),
            Arc::new(facts),
            None,
            None,
        ))
    }

    /// The unbound symbols of a load whose scope is `scope`, as (symbol, needed by).
    fn unbound(scope: &[&Arc<HostObject>]) -> Vec<(String, String)> {
        let scope: Vec<(&str, &Arc<HostObject>)> =
            scope.iter().map(|o| (o.real_path.as_str(), *o)).collect();
        let mut resolution = Resolution {
            path: "app".into(),
            view_path: "/app".into(),
            root: "/".into(),
            kind: Kind::PieExecutable,
            loader: None,
            interpreter: None,
            interpreter_missing: false,
            loaded: Vec::new(),
            missing: Vec::new(),
            edges: Vec::new(),
            version_gaps: Vec::new(),
            unbound_symbols: Vec::new(),
            host_symbols: Vec::new(),
            opened_in: None,
            module_of: None,
            dlopen: Vec::new(),
            stale_cache: Vec::new(),
        };
        check_binding(&scope, None, &mut resolution);
        resolution
            .unbound_symbols
            .into_iter()
            .map(|u| (u.symbol, u.needed_by))
            .collect()
    }

    #[test]
    fn a_library_bound_in_one_load_is_checked_again_where_its_binders_are_missing() {
        // libx.so leaves `helper` to whatever the program loads (it does not need
        // liby.so itself): bound where the program loads liby.so, not elsewhere.
        let libx = library("/lib/libx.so", &["x"], &["helper", "y"]);
        let liby = library("/lib/liby.so", &["helper", "y"], &[]);
        let other = library("/lib/other.so", &["y"], &[]);
        let app = library("/app", &[], &["x"]);
        assert!(unbound(&[&app, &libx, &liby]).is_empty());
        // Remembered: libx bound by liby. A load without liby must not skip libx.
        assert_eq!(
            unbound(&[&app, &libx, &other]),
            [("helper".to_string(), "/lib/libx.so".to_string())]
        );
        // And one with liby again (in another place) binds everything.
        assert!(unbound(&[&app, &other, &liby, &libx]).is_empty());
        // A load where libx is unbound remembers nothing that would hide it later.
        assert_eq!(unbound(&[&app, &libx]).len(), 2);
    }
}
