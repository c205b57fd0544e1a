//! glibc's search for a NEEDED name (elf/dl-load.c, `_dl_map_object`): DT_RPATH
//! chain, LD_LIBRARY_PATH, DT_RUNPATH, the loader cache, the default folders.

use super::flavor::GlibcLayout;
use super::ldconf::ld_so_conf_dirs;
use super::load::{expand_all, Node, Resolver, Search};
use super::model::{Attempt, FoundBy};
use super::search::{candidate, expand_tokens, judge_cache, judge_glibc, Tokens};
use crate::source::{HostObject, LibraryHost, Probe};
use std::sync::Arc;

impl Resolver<'_> {
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

    pub(super) fn search_glibc(&self, name: &str, index: usize, nodes: &[Node]) -> Search {
        let root = &nodes[0].object;
        let wanted = &root.facts;
        let layout = self.layout(root);
        let loader = &nodes[index];
        let mut tried = Vec::new();
        let judge = |found_by| {
            move |probe, path, tried: &mut Vec<Attempt>| {
                judge_glibc(probe, path, found_by, wanted, tried)
            }
        };
        if name.contains('/') {
            let path = expand_tokens(name, &self.tokens_for(loader, &layout));
            let path = candidate("", path.trim_start_matches('/'));
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
        let hwcaps = self.hwcaps(&layout, root);
        // Each folder's glibc-hwcaps subfolders (best first) come before it. Built as
        // they are tried: the search stops at the first folder that has the name.
        let candidates = |dirs: Vec<String>| candidates(dirs, hwcaps, name);
        // 1. DT_RPATH of the loader, then of the object that loaded it, and on up —
        //    only when the loader has no DT_RUNPATH. An object with DT_RUNPATH
        //    contributes no DT_RPATH (glibc elf/get-dynamic-info.h drops it).
        if loader.object.facts.runpath.is_empty() {
            let mut at = Some(index);
            while let Some(i) = at {
                let n = &nodes[i];
                let f = &n.object.facts;
                if f.runpath.is_empty() && !f.rpath.is_empty() {
                    let paths = candidates(expand_all(&f.rpath, &self.tokens_for(n, &layout)));
                    let step = judge(FoundBy::Rpath);
                    if let Some(found) =
                        self.try_paths(paths, &step, FoundBy::Rpath, Some(&n.path), &mut tried)
                    {
                        return found;
                    }
                }
                at = n.loader;
            }
        }
        // 2. LD_LIBRARY_PATH ($ORIGIN there is the executable's).
        let paths = candidates(expand_all(
            &self.options.ld_library_path,
            &self.tokens_for(&nodes[0], &layout),
        ));
        let step = judge(FoundBy::LdLibraryPath);
        if let Some(found) = self.try_paths(paths, &step, FoundBy::LdLibraryPath, None, &mut tried)
        {
            return found;
        }
        // 3. DT_RUNPATH of the loader only.
        let f = &loader.object.facts;
        if !f.runpath.is_empty() {
            let paths = candidates(expand_all(&f.runpath, &self.tokens_for(loader, &layout)));
            let step = judge(FoundBy::Runpath);
            if let Some(found) = self.try_paths(
                paths,
                &step,
                FoundBy::Runpath,
                Some(&loader.path),
                &mut tried,
            ) {
                return found;
            }
        }
        // 4. The loader cache. With DF_1_NODEFLIB, cache entries in the default
        //    folders are refused (`_dl_map_object`, the `system_dirs` prefix check).
        let cached = self
            .conf_dirs()
            .iter()
            .filter(|dir| !(f.nodeflib && layout.default_dirs.contains(dir)));
        let cache =
            |probe, path, tried: &mut Vec<Attempt>| judge_cache(probe, path, name, wanted, tried);
        if let Some(found) = self.try_paths(
            self::candidates(cached, hwcaps, name),
            &cache,
            FoundBy::LdSoConf,
            None,
            &mut tried,
        ) {
            return found;
        }
        // 5. The default folders, unless DF_1_NODEFLIB.
        if !f.nodeflib {
            let step = judge(FoundBy::Default);
            let paths = candidates(layout.default_dirs.clone());
            if let Some(found) = self.try_paths(paths, &step, FoundBy::Default, None, &mut tried) {
                return found;
            }
        }
        Search::Missing(tried)
    }
}

/// `name` in each of `dirs`, each folder's glibc-hwcaps subfolders (best first) before
/// it, as the search tries them.
fn candidates<'a, D: AsRef<str> + 'a>(
    dirs: impl IntoIterator<Item = D> + 'a,
    hwcaps: &'a [String],
    name: &'a str,
) -> impl Iterator<Item = String> + 'a {
    dirs.into_iter().flat_map(move |dir| {
        let dir = dir.as_ref().trim_end_matches('/');
        // Empty, and so not allocated, unless hwcaps were given.
        let subfolders: Vec<String> = hwcaps
            .iter()
            .map(|h| candidate(&format!("{dir}/glibc-hwcaps/{h}"), name))
            .collect();
        subfolders
            .into_iter()
            .chain(std::iter::once(candidate(dir, name)))
    })
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
