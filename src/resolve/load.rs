//! The loader simulation: breadth-first over NEEDED, each name searched as ld.so
//! (glibc elf/dl-load.c `_dl_map_object`, elf/dl-deps.c `_dl_map_object_deps`) or
//! musl's ldso/dynlink.c (`load_library`, `load_deps`) would.

use super::binding::check_binding;
use super::flavor::{basename, dirname, musl_arch, standard_glibc_interpreters};
use super::glibc::{CacheState, GlibcSetup};
use super::model::{
    Attempt, DlopenLibrary, Edge, FoundBy, LoadedObject, MissingLibrary, Resolution,
    StaleCacheEntry,
};
use super::process::HostProcess;
use super::search::{expand_tokens, Step, Tokens};
use crate::elf::Libc;
use crate::source::{HostObject, LibraryHost, Probe};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// Settings a user can give, as the environment of the process would.
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    /// LD_LIBRARY_PATH, split on ':'.
    pub ld_library_path: Vec<String>,
    /// glibc-hwcaps subfolders the target CPU supports, best first (e.g.
    /// `x86-64-v3`, `x86-64-v2`). Empty: the baseline CPU, which loads no hwcaps
    /// variant. Searched only in roots whose glibc is 2.33 or newer.
    pub hwcaps: Vec<String>,
    /// The rest of what the loader makes of the CPU (legacy hwcaps, `$PLATFORM`).
    pub cpu: super::Cpu,
}

/// Resolves objects against one host. Per-host facts (ld.so.conf, layouts) are
/// computed once and shared by every file of a scan.
pub struct Resolver<'h> {
    pub(super) host: &'h dyn LibraryHost,
    pub(super) options: ResolveOptions,
    pub(super) conf_dirs: OnceLock<Vec<String>>,
    pub(super) layouts: Mutex<HashMap<(u16, bool), Arc<GlibcSetup>>>,
    pub(super) musl_paths: Mutex<HashMap<String, Arc<SystemPath>>>,
    /// The root's `/etc/ld.so.cache`, for little- and big-endian objects.
    pub(super) ld_cache: [OnceLock<CacheState>; 2],
    /// Which legacy hwcaps subfolders exist.
    pub(super) folders: Mutex<HashMap<String, bool>>,
    host_libc: OnceLock<Libc>,
}

/// musl's system search path and how to label what it finds.
pub type SystemPath = (Vec<String>, FoundBy);

/// One object in the simulated link map.
pub(super) struct Node {
    /// Names it answers to: NEEDED names that loaded it, its SONAME, its path.
    pub(super) names: Vec<String>,
    pub(super) path: String,
    pub(super) object: Arc<HostObject>,
    /// The object whose NEEDED loaded it (`l_loader`): the RPATH chain goes up this.
    pub(super) loader: Option<usize>,
    pub(super) origin: String,
    pub(super) depth: usize,
    pub(super) found_by: FoundBy,
    pub(super) via: Option<String>,
    pub(super) needed_as: String,
    /// An object of the process the file is opened in (a plugin's host): it answers
    /// NEEDED names and binds symbols, but its own load is judged on its own.
    pub(super) in_host: bool,
}

pub(super) enum Search {
    Found {
        path: String,
        object: Arc<HostObject>,
        found_by: FoundBy,
        via: Option<String>,
    },
    Interpreter,
    Missing(Vec<Attempt>),
}

impl<'h> Resolver<'h> {
    pub fn new(host: &'h dyn LibraryHost, options: ResolveOptions) -> Self {
        Resolver {
            host,
            options,
            conf_dirs: OnceLock::new(),
            layouts: Mutex::new(HashMap::new()),
            musl_paths: Mutex::new(HashMap::new()),
            ld_cache: [OnceLock::new(), OnceLock::new()],
            folders: Mutex::new(HashMap::new()),
            host_libc: OnceLock::new(),
        }
    }

    /// The host the libraries come from.
    pub fn host(&self) -> &'h dyn LibraryHost {
        self.host
    }

    /// Resolves `object`, found at `view_path` in the host, shown to the user as `shown`.
    pub fn resolve(&self, object: Arc<HostObject>, view_path: &str, shown: &str) -> Resolution {
        self.resolve_as(object, view_path, shown, None)
    }

    /// `resolve`, with the libc to load a library that shows none (it needs other
    /// libraries but no libc): `unknown`, what the scan decided from its loaders,
    /// siblings or package; without it, the host's own.
    pub fn resolve_as(
        &self,
        object: Arc<HostObject>,
        view_path: &str,
        shown: &str,
        unknown: Option<Libc>,
    ) -> Resolution {
        self.resolve_in(object, view_path, shown, unknown, None)
    }

    /// `resolve_as`, for a plugin opened in `process`: the objects already in that
    /// process answer its NEEDED names and bind its symbols (process.rs).
    pub fn resolve_in(
        &self,
        object: Arc<HostObject>,
        view_path: &str,
        shown: &str,
        unknown: Option<Libc>,
        process: Option<&HostProcess>,
    ) -> Resolution {
        let facts = &object.facts;
        let loader = facts.libc().or_else(|| {
            (!facts.kind.is_executable() && !facts.needed.is_empty())
                .then(|| unknown.unwrap_or_else(|| self.host_libc()))
        });
        let mut resolution = Resolution {
            path: shown.to_string(),
            view_path: view_path.to_string(),
            root: self.host.describe(),
            kind: facts.kind,
            loader,
            interpreter: facts.interpreter.clone(),
            interpreter_missing: false,
            loaded: Vec::new(),
            missing: Vec::new(),
            edges: Vec::new(),
            version_gaps: Vec::new(),
            unbound_symbols: Vec::new(),
            host_symbols: Vec::new(),
            opened_in: process.map(|p| p.describe.clone()),
            module_of: match process {
                None if facts.kind == crate::elf::Kind::SharedLibrary => {
                    super::plugin::program_of_module(facts)
                }
                _ => None,
            },
            dlopen: Vec::new(),
            stale_cache: Vec::new(),
        };
        let Some(loader) = loader else {
            return resolution;
        };
        let mut names = vec![view_path.to_string()];
        names.extend(facts.soname.clone());
        let mut nodes = vec![Node {
            names,
            path: view_path.to_string(),
            // $ORIGIN of the executable comes from /proc/self/exe: links resolved.
            origin: dirname(&object.real_path),
            object: object.clone(),
            loader: None,
            depth: 0,
            found_by: FoundBy::Path,
            via: None,
            needed_as: String::new(),
            in_host: false,
        }];
        if let Some((interp, path)) = self.load_interpreter(&object, loader, &mut resolution) {
            nodes.push(interp_node(&interp, &path));
        }
        for (path, host_object) in process.map_or(&[][..], |p| &p.objects[..]) {
            if nodes
                .iter()
                .any(|n| n.object.real_path == host_object.real_path)
            {
                continue;
            }
            let mut names = vec![path.clone()];
            names.extend(host_object.facts.soname.clone());
            nodes.push(Node {
                names,
                path: path.clone(),
                origin: dirname(&host_object.real_path),
                object: host_object.clone(),
                loader: None,
                depth: 0,
                found_by: FoundBy::AlreadyLoaded,
                via: None,
                needed_as: basename(path).to_string(),
                in_host: true,
            });
        }
        let mut queue = VecDeque::from([0usize]);
        while let Some(index) = queue.pop_front() {
            let needed = nodes[index].object.facts.needed.clone();
            for name in needed {
                let from = nodes[index].path.clone();
                if let Some(hit) = self.loaded_by_name(loader, &nodes, &name) {
                    resolution.edges.push(edge(
                        &from,
                        &name,
                        Some(&nodes[hit].path),
                        FoundBy::AlreadyLoaded,
                    ));
                    continue;
                }
                let search = match loader {
                    Libc::Musl => self.search_musl(&name, index, &nodes),
                    Libc::Glibc => {
                        self.search_glibc(&name, index, &nodes, &mut resolution.stale_cache)
                    }
                };
                match search {
                    Search::Interpreter => match nodes
                        .iter()
                        .position(|n| n.found_by == FoundBy::Interpreter)
                    {
                        Some(i) => resolution.edges.push(edge(
                            &from,
                            &name,
                            Some(&nodes[i].path),
                            FoundBy::Interpreter,
                        )),
                        None => {
                            resolution.edges.push(edge_missing(&from, &name));
                            resolution.missing.push(MissingLibrary {
                                soname: name.clone(),
                                needed_by: from,
                                tried: Vec::new(),
                            });
                        }
                    },
                    Search::Missing(tried) => {
                        resolution.edges.push(edge_missing(&from, &name));
                        resolution.missing.push(MissingLibrary {
                            soname: name,
                            needed_by: from,
                            tried,
                        });
                    }
                    Search::Found {
                        path,
                        object,
                        found_by,
                        via,
                    } => {
                        // The same file under another name is the same object.
                        if let Some(i) = nodes
                            .iter()
                            .position(|n| n.object.real_path == object.real_path)
                        {
                            nodes[i].names.push(name.clone());
                            resolution.edges.push(edge(
                                &from,
                                &name,
                                Some(&nodes[i].path),
                                FoundBy::AlreadyLoaded,
                            ));
                            continue;
                        }
                        resolution
                            .edges
                            .push(edge(&from, &name, Some(&path), found_by));
                        let mut names = vec![name.clone(), path.clone()];
                        names.extend(object.facts.soname.clone());
                        nodes.push(Node {
                            names,
                            origin: dirname(&path),
                            path,
                            object,
                            loader: Some(index),
                            depth: nodes[index].depth + 1,
                            found_by,
                            via,
                            needed_as: name,
                            in_host: false,
                        });
                        queue.push_back(nodes.len() - 1);
                    }
                }
            }
        }
        resolution.dlopen = self.dlopen_libraries(loader, &nodes, &mut resolution.stale_cache);
        // Load order as ldd prints it: dependencies breadth-first, the interpreter last.
        let own = |i: &usize| !nodes[*i].in_host;
        let scope: Vec<usize> = std::iter::once(0)
            .chain((1..nodes.len()).filter(|&i| nodes[i].found_by != FoundBy::Interpreter))
            .chain((1..nodes.len()).filter(|&i| nodes[i].found_by == FoundBy::Interpreter))
            .filter(own)
            .collect();
        for &i in &scope[1..] {
            let n = &nodes[i];
            // A library checked alone lists the loader only when something needs it.
            let needed = resolution
                .edges
                .iter()
                .any(|e| e.to.as_deref() == Some(n.path.as_str()));
            if n.found_by == FoundBy::Interpreter && facts.interpreter.is_none() && !needed {
                continue;
            }
            resolution.loaded.push(LoadedObject {
                soname: n.needed_as.clone(),
                path: n.path.clone(),
                real_path: n.object.real_path.clone(),
                found_by: n.found_by,
                via: n.via.clone(),
                needed_by: n
                    .loader
                    .map_or_else(|| view_path.to_string(), |l| nodes[l].path.clone()),
                depth: n.depth,
                object: Some(n.object.clone()),
            });
        }
        let scope_objects: Vec<(&str, &Arc<HostObject>)> = scope
            .iter()
            .map(|&i| (nodes[i].path.as_str(), &nodes[i].object))
            .collect();
        let host_objects: Vec<(&str, &HostObject)> = (0..nodes.len())
            .filter(|&i| nodes[i].in_host)
            .map(|i| (nodes[i].path.as_str(), &*nodes[i].object))
            .collect();
        let host = process.map(|p| (p.describe.as_str(), &host_objects[..]));
        check_binding(&scope_objects, host, &mut resolution);
        resolution
    }

    /// Tries `paths` in order, each judged by the loader's rules: the first one taken
    /// was found by `found_by` (through the search path of `via`); a fatal one ends
    /// the search for this name.
    pub(super) fn try_paths(
        &self,
        paths: impl IntoIterator<Item = String>,
        judge: &dyn Fn(Probe, String, &mut Vec<Attempt>) -> Step,
        found_by: FoundBy,
        via: Option<&str>,
        tried: &mut Vec<Attempt>,
    ) -> Option<Search> {
        for path in paths {
            match judge(self.host.probe(&path), path.clone(), tried) {
                Step::Take(object) => {
                    return Some(Search::Found {
                        path,
                        object,
                        found_by,
                        via: via.map(str::to_string),
                    })
                }
                Step::Stop => return Some(Search::Missing(std::mem::take(tried))),
                Step::Next => {}
            }
        }
        None
    }

    /// The program interpreter is mapped before any dependency and answers to its
    /// SONAME (libc.so.6 NEEDs `ld-linux-x86-64.so.2`). A library checked alone gets
    /// the architecture's standard loader, as any program that loads it would have.
    fn load_interpreter(
        &self,
        object: &HostObject,
        loader: Libc,
        resolution: &mut Resolution,
    ) -> Option<(Arc<HostObject>, String)> {
        if let Some(path) = object.facts.interpreter.as_deref() {
            return match self.host.probe(path) {
                Probe::Found(interp) => Some((interp, path.to_string())),
                _ => {
                    resolution.interpreter_missing = true;
                    None
                }
            };
        }
        let implied = match loader {
            Libc::Musl => vec![format!(
                "/lib/ld-musl-{}.so.1",
                musl_arch(None, &object.facts)
            )],
            Libc::Glibc => standard_glibc_interpreters(&object.facts),
        };
        implied
            .into_iter()
            .find_map(|path| match self.host.probe(&path) {
                Probe::Found(interp) if interp.facts.e_machine == object.facts.e_machine => {
                    Some((interp, path))
                }
                _ => None,
            })
    }

    /// The libraries the object declares it may `dlopen()` (`.note.dlopen`), each
    /// alternative searched as `dlopen()` called from the object searches it: glibc's
    /// dlfcn/dlopen.c maps it with `_dl_map_object` for the caller's link map (its
    /// RPATH chain, LD_LIBRARY_PATH, its RUNPATH, the cache, the default folders),
    /// and a name already loaded is that object (`_dl_name_match_p`). musl's dlopen
    /// is `load_library` with the caller as `needed_by` alike.
    fn dlopen_libraries(
        &self,
        loader: Libc,
        nodes: &[Node],
        stale: &mut Vec<StaleCacheEntry>,
    ) -> Vec<DlopenLibrary> {
        let declared = &nodes[0].object.facts.dlopen;
        let mut libraries = Vec::with_capacity(declared.len());
        for dependency in declared {
            let mut library = DlopenLibrary {
                needed_by: nodes[0].path.clone(),
                feature: dependency.feature.clone(),
                priority: dependency.priority,
                soname: dependency.soname.clone(),
                found: None,
                path: None,
                tried: Vec::new(),
            };
            for name in &dependency.soname {
                let path = match self.loaded_by_name(loader, nodes, name) {
                    Some(hit) => Some(nodes[hit].path.clone()),
                    None => match loader {
                        Libc::Musl => self.search_musl(name, 0, nodes),
                        Libc::Glibc => self.search_glibc(name, 0, nodes, stale),
                    }
                    .found_path(nodes, &mut library.tried),
                };
                if let Some(path) = path {
                    library.found = Some(name.clone());
                    library.path = Some(path);
                    library.tried.clear();
                    break;
                }
            }
            libraries.push(library);
        }
        libraries
    }

    /// The host's libc family: musl when its /lib has musl's loader
    /// (`ld-musl-ARCH.so.1`) and no glibc loader (`ld-linux*` in /lib or /lib64), else
    /// glibc. A glibc system with Debian's musl package installed has both loaders:
    /// its own libraries are glibc's (musl's live apart, in /usr/lib/musl), so a
    /// library that shows no libc is loaded the glibc way there.
    pub fn host_libc(&self) -> Libc {
        *self.host_libc.get_or_init(|| {
            let has = |dir: &str, prefix: &str| {
                self.host
                    .list_dir(dir)
                    .iter()
                    .any(|n| n.starts_with(prefix) && n.contains(".so."))
            };
            if has("/lib", "ld-musl-") && !has("/lib", "ld-linux") && !has("/lib64", "ld-linux") {
                Libc::Musl
            } else {
                Libc::Glibc
            }
        })
    }

    /// glibc matches a NEEDED name against every loaded object's names before it
    /// searches (`_dl_name_match_p`); musl compares the name and the file's base name.
    fn loaded_by_name(&self, loader: Libc, nodes: &[Node], name: &str) -> Option<usize> {
        nodes.iter().position(|n| {
            n.names.iter().any(|known| known == name)
                || (loader == Libc::Musl
                    && n.found_by != FoundBy::Interpreter
                    && basename(&n.path) == name)
        })
    }
}

impl Search {
    /// The path found, if any; the places tried go to `tried`.
    fn found_path(self, nodes: &[Node], tried: &mut Vec<Attempt>) -> Option<String> {
        match self {
            Search::Found { path, .. } => Some(path),
            Search::Interpreter => nodes
                .iter()
                .find(|n| n.found_by == FoundBy::Interpreter)
                .map(|n| n.path.clone()),
            Search::Missing(attempts) => {
                tried.extend(attempts);
                None
            }
        }
    }
}

fn interp_node(interp: &Arc<HostObject>, path: &str) -> Node {
    let mut names = vec![path.to_string()];
    names.extend(interp.facts.soname.clone());
    Node {
        names,
        path: path.to_string(),
        origin: dirname(path),
        object: interp.clone(),
        loader: None,
        depth: 1,
        found_by: FoundBy::Interpreter,
        via: None,
        in_host: false,
        needed_as: interp
            .facts
            .soname
            .clone()
            .unwrap_or_else(|| basename(path).to_string()),
    }
}

pub(super) fn expand_all(list: &[String], tokens: &Tokens<'_>) -> Vec<String> {
    list.iter().map(|d| expand_tokens(d, tokens)).collect()
}

fn edge(from: &str, name: &str, to: Option<&str>, found_by: FoundBy) -> Edge {
    Edge {
        from: from.to_string(),
        name: name.to_string(),
        to: to.map(str::to_string),
        found_by: Some(found_by),
    }
}

fn edge_missing(from: &str, name: &str) -> Edge {
    Edge {
        from: from.to_string(),
        name: name.to_string(),
        to: None,
        found_by: None,
    }
}
