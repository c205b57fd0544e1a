//! The loader simulation: breadth-first over NEEDED, each name searched as ld.so
//! (glibc elf/dl-load.c `_dl_map_object`, elf/dl-deps.c `_dl_map_object_deps`) or
//! musl's ldso/dynlink.c (`load_library`, `load_deps`) would.

use super::binding::check_binding;
use super::flavor::{basename, dirname, musl_arch, GlibcLayout, LoaderKind, MUSL_DEFAULT_PATH};
use super::host::{HostObject, LibraryHost, Probe};
use super::ldconf::ld_so_conf_dirs;
use super::model::{Attempt, Edge, FoundBy, LoadedObject, MissingLibrary, Resolution};
use super::search::{candidate, expand_tokens, judge_cache, judge_glibc, judge_musl, Step, Tokens};
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
}

/// Resolves objects against one host. Per-host facts (ld.so.conf, layouts) are
/// computed once and shared by every file of a scan.
pub struct Resolver<'h> {
    host: &'h dyn LibraryHost,
    options: ResolveOptions,
    conf_dirs: OnceLock<Vec<String>>,
    layouts: Mutex<HashMap<(u16, bool), Arc<GlibcLayout>>>,
    musl_paths: Mutex<HashMap<String, Arc<SystemPath>>>,
    hwcaps_allowed: OnceLock<bool>,
}

/// musl's system search path and how to label what it finds.
type SystemPath = (Vec<String>, FoundBy);

/// One object in the simulated link map.
struct Node {
    /// Names it answers to: NEEDED names that loaded it, its SONAME, its path.
    names: Vec<String>,
    path: String,
    object: Arc<HostObject>,
    /// The object whose NEEDED loaded it (`l_loader`): the RPATH chain goes up this.
    loader: Option<usize>,
    origin: String,
    depth: usize,
    found_by: FoundBy,
    via: Option<String>,
    needed_as: String,
}

enum Search {
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
            hwcaps_allowed: OnceLock::new(),
        }
    }

    pub fn host(&self) -> &dyn LibraryHost {
        self.host
    }

    /// Resolves `object`, found at `view_path` in the host, shown to the user as `shown`.
    pub fn resolve(&self, object: Arc<HostObject>, view_path: &str, shown: &str) -> Resolution {
        let facts = &object.facts;
        let loader = LoaderKind::of(facts);
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
            binding_not_checked: None,
        };
        if loader == LoaderKind::None {
            return resolution;
        }
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
        }];
        if let Some((interp, path)) = self.load_interpreter(&object, loader, &mut resolution) {
            nodes.push(interp_node(&interp, &path));
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
                    LoaderKind::Musl => self.search_musl(&name, index, &nodes),
                    _ => self.search_glibc(&name, index, &nodes),
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
                        });
                        queue.push_back(nodes.len() - 1);
                    }
                }
            }
        }
        // Load order as ldd prints it: dependencies breadth-first, the interpreter last.
        let scope: Vec<usize> = std::iter::once(0)
            .chain((1..nodes.len()).filter(|&i| nodes[i].found_by != FoundBy::Interpreter))
            .chain((1..nodes.len()).filter(|&i| nodes[i].found_by == FoundBy::Interpreter))
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
        let scope_objects: Vec<(&str, &HostObject)> = scope
            .iter()
            .map(|&i| (nodes[i].path.as_str(), &*nodes[i].object))
            .collect();
        check_binding(&scope_objects, &mut resolution);
        resolution
    }

    /// The program interpreter is mapped before any dependency and answers to its
    /// SONAME (libc.so.6 NEEDs `ld-linux-x86-64.so.2`). A library checked alone gets
    /// the architecture's standard loader, as any program that loads it would have.
    fn load_interpreter(
        &self,
        object: &HostObject,
        loader: LoaderKind,
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
            LoaderKind::Musl => vec![format!(
                "/lib/ld-musl-{}.so.1",
                musl_arch(None, &object.facts)
            )],
            _ => standard_glibc_interpreters(&object.facts),
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

    /// glibc matches a NEEDED name against every loaded object's names before it
    /// searches (`_dl_name_match_p`); musl compares the name and the file's base name.
    fn loaded_by_name(&self, loader: LoaderKind, nodes: &[Node], name: &str) -> Option<usize> {
        nodes.iter().position(|n| {
            n.names.iter().any(|known| known == name)
                || (loader == LoaderKind::Musl
                    && n.found_by != FoundBy::Interpreter
                    && basename(&n.path) == name)
        })
    }

    fn tokens_for<'a>(&self, node: &'a Node, layout: &'a GlibcLayout) -> Tokens<'a> {
        Tokens {
            origin: &node.origin,
            lib: &layout.lib,
            platform: &layout.platform,
        }
    }

    fn layout(&self, root: &HostObject) -> Arc<GlibcLayout> {
        let key = (
            root.facts.e_machine,
            root.facts.class == crate::elf::Class::Elf64,
        );
        let mut layouts = self.layouts.lock().expect("layout lock");
        layouts
            .entry(key)
            .or_insert_with(|| Arc::new(GlibcLayout::detect(&root.facts, |d| self.host.is_dir(d))))
            .clone()
    }

    fn conf_dirs(&self) -> &[String] {
        self.conf_dirs.get_or_init(|| ld_so_conf_dirs(self.host))
    }

    /// glibc-hwcaps subfolders exist since glibc 2.33 (elf/dl-hwcaps.c); an older
    /// loader never looks there.
    fn hwcaps(&self, layout: &GlibcLayout, root: &HostObject) -> &[String] {
        let allowed = *self.hwcaps_allowed.get_or_init(|| {
            !self.options.hwcaps.is_empty() && host_glibc_at_least(self.host, layout, root, (2, 33))
        });
        if allowed {
            &self.options.hwcaps
        } else {
            &[]
        }
    }

    fn search_glibc(&self, name: &str, index: usize, nodes: &[Node]) -> Search {
        let root = &nodes[0].object;
        let wanted = &root.facts;
        let layout = self.layout(root);
        let loader = &nodes[index];
        let mut tried = Vec::new();
        if name.contains('/') {
            let path = expand_tokens(name, &self.tokens_for(loader, &layout));
            let path = candidate("", path.trim_start_matches('/'));
            return match judge_glibc(
                self.host.probe(&path),
                path.clone(),
                FoundBy::Path,
                wanted,
                &mut tried,
            ) {
                Step::Take(object) => Search::Found {
                    path,
                    object,
                    found_by: FoundBy::Path,
                    via: None,
                },
                _ => Search::Missing(tried),
            };
        }
        let hwcaps = self.hwcaps(&layout, root);
        let try_dirs =
            |dirs: Vec<String>, found_by: FoundBy, via: Option<&str>, tried: &mut Vec<Attempt>| {
                for dir in dirs {
                    let subdirs = hwcaps
                        .iter()
                        .map(|h| format!("{}/glibc-hwcaps/{h}", dir.trim_end_matches('/')))
                        .chain(std::iter::once(dir.clone()));
                    for sub in subdirs {
                        let path = candidate(&sub, name);
                        match judge_glibc(
                            self.host.probe(&path),
                            path.clone(),
                            found_by,
                            wanted,
                            tried,
                        ) {
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
                }
                None
            };
        // 1. DT_RPATH of the loader, then of the object that loaded it, and on up —
        //    only when the loader has no DT_RUNPATH. An object with DT_RUNPATH
        //    contributes no DT_RPATH (glibc elf/get-dynamic-info.h drops it).
        if loader.object.facts.runpath.is_empty() {
            let mut at = Some(index);
            while let Some(i) = at {
                let n = &nodes[i];
                let f = &n.object.facts;
                if f.runpath.is_empty() && !f.rpath.is_empty() {
                    let dirs = expand_all(&f.rpath, &self.tokens_for(n, &layout));
                    if let Some(found) = try_dirs(dirs, FoundBy::Rpath, Some(&n.path), &mut tried) {
                        return found;
                    }
                }
                at = n.loader;
            }
        }
        // 2. LD_LIBRARY_PATH ($ORIGIN there is the executable's).
        let dirs = expand_all(
            &self.options.ld_library_path,
            &self.tokens_for(&nodes[0], &layout),
        );
        if let Some(found) = try_dirs(dirs, FoundBy::LdLibraryPath, None, &mut tried) {
            return found;
        }
        // 3. DT_RUNPATH of the loader only.
        let f = &loader.object.facts;
        if !f.runpath.is_empty() {
            let dirs = expand_all(&f.runpath, &self.tokens_for(loader, &layout));
            if let Some(found) = try_dirs(dirs, FoundBy::Runpath, Some(&loader.path), &mut tried) {
                return found;
            }
        }
        // 4. The loader cache. With DF_1_NODEFLIB, cache entries in the default
        //    folders are refused (`_dl_map_object`, the `system_dirs` prefix check).
        for dir in self.conf_dirs() {
            if f.nodeflib && layout.default_dirs.contains(dir) {
                continue;
            }
            for sub in hwcaps
                .iter()
                .map(|h| format!("{dir}/glibc-hwcaps/{h}"))
                .chain(std::iter::once(dir.clone()))
            {
                let path = candidate(&sub, name);
                if let Step::Take(object) = judge_cache(
                    self.host.probe(&path),
                    path.clone(),
                    name,
                    wanted,
                    &mut tried,
                ) {
                    return Search::Found {
                        path,
                        object,
                        found_by: FoundBy::LdSoConf,
                        via: None,
                    };
                }
            }
        }
        // 5. The default folders, unless DF_1_NODEFLIB.
        if !f.nodeflib {
            if let Some(found) = try_dirs(
                layout.default_dirs.clone(),
                FoundBy::Default,
                None,
                &mut tried,
            ) {
                return found;
            }
        }
        Search::Missing(tried)
    }

    fn search_musl(&self, name: &str, index: usize, nodes: &[Node]) -> Search {
        let root = &nodes[0].object;
        let wanted = &root.facts;
        let mut tried = Vec::new();
        if is_musl_reserved(name) {
            return Search::Interpreter;
        }
        if name.contains('/') {
            let path = candidate("", name.trim_start_matches('/'));
            return match judge_musl(
                self.host.probe(&path),
                path.clone(),
                FoundBy::Path,
                wanted,
                &mut tried,
            ) {
                Step::Take(object) => Search::Found {
                    path,
                    object,
                    found_by: FoundBy::Path,
                    via: None,
                },
                _ => Search::Missing(tried),
            };
        }
        let try_dirs =
            |dirs: &[String], found_by: FoundBy, via: Option<&str>, tried: &mut Vec<Attempt>| {
                for dir in dirs {
                    let path = candidate(dir, name);
                    match judge_musl(
                        self.host.probe(&path),
                        path.clone(),
                        found_by,
                        wanted,
                        tried,
                    ) {
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
            };
        // musl: LD_LIBRARY_PATH first, then the RPATH or RUNPATH (RUNPATH wins when
        // both exist; musl treats them alike and inherits both) of the loader and
        // each object above it, with only $ORIGIN expanded (fixup_rpath).
        if let Some(found) = try_dirs(
            &self.options.ld_library_path,
            FoundBy::LdLibraryPath,
            None,
            &mut tried,
        ) {
            return found;
        }
        let mut at = Some(index);
        while let Some(i) = at {
            let n = &nodes[i];
            let f = &n.object.facts;
            let (list, found_by) = if f.runpath.is_empty() {
                (&f.rpath, FoundBy::Rpath)
            } else {
                (&f.runpath, FoundBy::Runpath)
            };
            let dirs: Vec<String> = list
                .iter()
                .map(|d| {
                    expand_tokens(
                        d,
                        &Tokens {
                            origin: &n.origin,
                            lib: "$LIB",
                            platform: "$PLATFORM",
                        },
                    )
                })
                .collect();
            if let Some(found) = try_dirs(&dirs, found_by, Some(&n.path), &mut tried) {
                return found;
            }
            at = n.loader;
        }
        let system = self.musl_path(root);
        if let Some(found) = try_dirs(&system.0, system.1, None, &mut tried) {
            return found;
        }
        Search::Missing(tried)
    }

    /// `/etc/ld-musl-ARCH.path` (folders separated by newlines or ':'), or musl's
    /// built-in default when there is no such file.
    fn musl_path(&self, root: &HostObject) -> Arc<SystemPath> {
        let arch = musl_arch(root.facts.interpreter.as_deref(), &root.facts);
        let mut cache = self.musl_paths.lock().expect("musl path lock");
        cache
            .entry(arch.clone())
            .or_insert_with(|| {
                let file = format!("/etc/ld-musl-{arch}.path");
                Arc::new(match self.host.read_config(&file, 1 << 16) {
                    Some(text) => (
                        text.split(['\n', ':'])
                            .map(str::trim)
                            .filter(|d| !d.is_empty())
                            .map(str::to_string)
                            .collect(),
                        FoundBy::MuslPath,
                    ),
                    None => (
                        MUSL_DEFAULT_PATH.iter().map(|d| d.to_string()).collect(),
                        FoundBy::Default,
                    ),
                })
            })
            .clone()
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
        needed_as: interp
            .facts
            .soname
            .clone()
            .unwrap_or_else(|| basename(path).to_string()),
    }
}

fn expand_all(list: &[String], tokens: &Tokens<'_>) -> Vec<String> {
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

/// musl's loader is also its libc: `libc.*`, `libpthread.*`, `librt.*`, `libm.*`,
/// `libdl.*`, `libutil.*` and `libxnet.*` all resolve to it (ldso/dynlink.c,
/// load_library, the `reserved` list).
fn is_musl_reserved(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("lib") else {
        return false;
    };
    ["c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."]
        .iter()
        .any(|r| rest.starts_with(r))
}

/// Whether the host's glibc (its libc.so.6 in a default folder) defines
/// GLIBC_major.minor.
fn host_glibc_at_least(
    host: &dyn LibraryHost,
    layout: &GlibcLayout,
    root: &HostObject,
    want: (u64, u64),
) -> bool {
    layout.default_dirs.iter().any(|dir| match host.probe(&candidate(dir, "libc.so.6")) {
        Probe::Found(libc) if libc.facts.e_machine == root.facts.e_machine => libc
            .facts
            .version_defs
            .iter()
            .any(|v| matches!(v.family_and_numbers(), ("GLIBC", n) if n.len() >= 2 && (n[0], n[1]) >= want)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_reserved_names() {
        assert!(is_musl_reserved("libc.musl-x86_64.so.1"));
        assert!(is_musl_reserved("libc.so"));
        assert!(is_musl_reserved("libpthread.so.0"));
        assert!(!is_musl_reserved("libcrypto.so.3"));
        assert!(!is_musl_reserved("libmagic.so.1"));
    }
}

/// The program interpreter each glibc port's ABI fixes (glibc sysdeps/*/ldconfig.h
/// and the psABI documents).
fn standard_glibc_interpreters(facts: &crate::elf::ElfFacts) -> Vec<String> {
    let paths: &[&str] = match facts.machine.as_str() {
        "x86_64" if facts.class == crate::elf::Class::Elf64 => &["/lib64/ld-linux-x86-64.so.2"],
        "x86_64" => &["/libx32/ld-linux-x32.so.2"],
        "i386" => &["/lib/ld-linux.so.2"],
        "aarch64" => &["/lib/ld-linux-aarch64.so.1"],
        "arm" => &["/lib/ld-linux-armhf.so.3", "/lib/ld-linux.so.3"],
        "ppc64le" => &["/lib64/ld64.so.2"],
        "ppc64" => &["/lib64/ld64.so.1"],
        "ppc" => &["/lib/ld.so.1"],
        "s390x" => &["/lib/ld64.so.1"],
        "riscv64" => &["/lib/ld-linux-riscv64-lp64d.so.1"],
        "mips64" | "mips64el" => &["/lib64/ld.so.1"],
        "mips" | "mipsel" => &["/lib/ld.so.1"],
        "loongarch64" => &["/lib64/ld-linux-loongarch-lp64d.so.1"],
        "sparc64" => &["/lib64/ld-linux.so.2"],
        _ => &[],
    };
    paths.iter().map(|p| p.to_string()).collect()
}
