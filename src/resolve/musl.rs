//! musl's search for a NEEDED name (ldso/dynlink.c, `load_library`).

use super::flavor::{is_musl_reserved, musl_arch, MUSL_DEFAULT_PATH};
use super::load::{Node, Resolver, Search, SystemPath};
use super::model::{Attempt, FoundBy};
use super::search::{candidate, expand_tokens, judge_musl, Tokens};
use crate::source::{HostObject, LibraryHost};
use std::sync::Arc;

impl Resolver<'_> {
    pub(super) fn search_musl(&self, name: &str, index: usize, nodes: &[Node]) -> Search {
        let root = &nodes[0].object;
        let wanted = &root.facts;
        let mut tried = Vec::new();
        if is_musl_reserved(name) {
            return Search::Interpreter;
        }
        let judge = |found_by| {
            move |probe, path, tried: &mut Vec<Attempt>| {
                judge_musl(probe, path, found_by, wanted, tried)
            }
        };
        if name.contains('/') {
            let path = candidate("", name.trim_start_matches('/'));
            return self
                .try_paths(
                    [path],
                    &judge(FoundBy::Path),
                    FoundBy::Path,
                    None,
                    &mut tried,
                )
                .unwrap_or(Search::Missing(tried));
        }
        let candidates =
            |dirs: &[String]| -> Vec<String> { dirs.iter().map(|d| candidate(d, name)).collect() };
        // musl: LD_LIBRARY_PATH first, then the RPATH or RUNPATH (RUNPATH wins when
        // both exist; musl treats them alike and inherits both) of the loader and
        // each object above it, with only $ORIGIN expanded (fixup_rpath).
        let step = judge(FoundBy::LdLibraryPath);
        let paths = candidates(&self.options.ld_library_path);
        if let Some(found) = self.try_paths(paths, &step, FoundBy::LdLibraryPath, None, &mut tried)
        {
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
            let only_origin = Tokens {
                origin: &n.origin,
                lib: "$LIB",
                platform: "$PLATFORM",
            };
            let dirs: Vec<String> = list
                .iter()
                .map(|d| expand_tokens(d, &only_origin))
                .collect();
            let step = judge(found_by);
            if let Some(found) = self.try_paths(
                candidates(&dirs),
                &step,
                found_by,
                Some(&n.path),
                &mut tried,
            ) {
                return found;
            }
            at = n.loader;
        }
        let (dirs, found_by) = &*self.musl_path(root);
        let step = judge(*found_by);
        if let Some(found) = self.try_paths(candidates(dirs), &step, *found_by, None, &mut tried) {
            return found;
        }
        Search::Missing(tried)
    }

    /// musl's system search path for the root object's architecture, read once.
    fn musl_path(&self, root: &HostObject) -> Arc<SystemPath> {
        let arch = musl_arch(root.facts.interpreter.as_deref(), &root.facts);
        let mut cache = self.musl_paths.lock().expect("musl path lock");
        cache
            .entry(arch.clone())
            .or_insert_with(|| Arc::new(musl_system_path(self.host, &arch)))
            .clone()
    }
}

/// musl's system search path in `host` for `arch`: `/etc/ld-musl-ARCH.path` (folders
/// separated by newlines or ':'), or musl's built-in default when there is no such
/// file; with how the loader's provenance names what it finds there.
pub fn musl_system_path(host: &dyn LibraryHost, arch: &str) -> SystemPath {
    let file = format!("/etc/ld-musl-{arch}.path");
    match host.read_config(&file, 1 << 16) {
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
    }
}
