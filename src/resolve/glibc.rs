//! glibc's search for a NEEDED name (elf/dl-load.c, `_dl_map_object`): DT_RPATH
//! chain, LD_LIBRARY_PATH, DT_RUNPATH, the loader cache, the default folders.

use super::flavor::GlibcLayout;
use super::host::{HostObject, LibraryHost, Probe};
use super::ldconf::ld_so_conf_dirs;
use super::load::{expand_all, Node, Resolver, Search};
use super::model::{Attempt, FoundBy};
use super::search::{candidate, expand_tokens, judge_cache, judge_glibc, Step, Tokens};
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
