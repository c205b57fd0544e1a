//! glibc's search for a NEEDED name (elf/dl-load.c, `_dl_map_object`): DT_RPATH
//! chain, LD_LIBRARY_PATH, DT_RUNPATH, the loader cache, the default folders. The
//! cache is the root's `/etc/ld.so.cache` when it has one (ldcache.rs), else the one
//! `ldconfig` would write from `/etc/ld.so.conf` (ldconf.rs).

use super::flavor::{dirname, GlibcLayout};
use super::ldcache::{cache_flags, CacheQuery, LdCache, MAX_CACHE_BYTES};
use super::ldconf::ld_so_conf_dirs;
use super::load::{expand_all, Node, Resolver, Search};
use super::model::{Attempt, AttemptOutcome, FoundBy, StaleCacheEntry};
use super::search::{candidate, expand_tokens, judge_cache, judge_glibc, Tokens};
use crate::source::LD_SO_CACHE;
use crate::source::{HostObject, LibraryHost, Probe};
use std::sync::Arc;

/// The loader's setup for one class and machine in a root: its folders, its glibc's
/// version and what the CPU makes of them.
pub(super) struct GlibcSetup {
    pub(super) layout: GlibcLayout,
    /// What `$PLATFORM` expands to.
    platform: String,
    /// glibc-hwcaps subfolders searched, best first (glibc 2.33+ only).
    hwcaps: Vec<String>,
    /// Legacy hwcaps subfolders searched, most specific first (glibc 2.36 and
    /// older), without the folder itself.
    legacy: Vec<String>,
    legacy_bits: u64,
}

/// The root's loader cache, as ld.so finds it.
pub(super) enum CacheState {
    /// No `/etc/ld.so.cache`: preflight emulates the one `ldconfig` would write.
    Absent,
    Read(LdCache),
    /// ld.so ignores it (and so searches no ld.so.conf folder): why.
    Invalid(String),
}

impl Resolver<'_> {
    fn tokens_for<'a>(&self, node: &'a Node, setup: &'a GlibcSetup) -> Tokens<'a> {
        Tokens {
            origin: &node.origin,
            lib: &setup.layout.lib,
            platform: &setup.platform,
        }
    }

    fn setup(&self, root: &HostObject) -> Arc<GlibcSetup> {
        let key = (
            root.facts.e_machine,
            root.facts.class == crate::elf::Class::Elf64,
        );
        let mut setups = self.layouts.lock().expect("layout lock");
        setups
            .entry(key)
            .or_insert_with(|| {
                let facts = &root.facts;
                let layout = GlibcLayout::detect(facts, |d| self.host.is_dir(d));
                let version = host_glibc_version(self.host, &layout, root);
                // glibc-hwcaps subfolders exist since glibc 2.33 (elf/dl-hwcaps.c);
                // the legacy ones were removed in 2.37. An unknown glibc is taken to
                // be a current one.
                let modern = version.is_none_or(|v| v >= (2, 37));
                let cpu = &self.options.cpu;
                let hwcaps = if version.is_none_or(|v| v >= (2, 33)) {
                    self.options.hwcaps.clone()
                } else {
                    Vec::new()
                };
                let legacy = if modern {
                    Vec::new()
                } else {
                    let mut subs = cpu.legacy_subfolders(facts);
                    subs.retain(|s| !s.is_empty());
                    subs
                };
                Arc::new(GlibcSetup {
                    platform: cpu.platform(facts, !modern),
                    hwcaps,
                    legacy,
                    legacy_bits: cpu.legacy_hwcap_bits(facts),
                    layout,
                })
            })
            .clone()
    }

    fn conf_dirs(&self) -> &[String] {
        self.conf_dirs.get_or_init(|| ld_so_conf_dirs(self.host))
    }

    /// The root's `/etc/ld.so.cache`, read once (per byte order of the objects
    /// asking: ld.so ignores a cache written for the other one).
    fn ld_cache(&self, endian: crate::elf::Endian) -> &CacheState {
        let slot = &self.ld_cache[usize::from(endian == crate::elf::Endian::Big)];
        slot.get_or_init(
            || match self.host.read_data(LD_SO_CACHE, MAX_CACHE_BYTES + 1) {
                None => CacheState::Absent,
                Some(bytes) => match LdCache::parse(bytes, endian) {
                    Ok(cache) => CacheState::Read(cache),
                    Err(why) => CacheState::Invalid(why),
                },
            },
        )
    }

    /// Whether a legacy hwcaps subfolder exists: ld.so marks the ones that do not
    /// and never tries them again (elf/dl-load.c, `r_search_path_elem.status`).
    fn folder_exists(&self, dir: &str) -> bool {
        if let Some(known) = self.folders.lock().expect("folder lock").get(dir) {
            return *known;
        }
        let exists = self.host.is_dir(dir);
        self.folders
            .lock()
            .expect("folder lock")
            .insert(dir.to_string(), exists);
        exists
    }

    /// `name` in each of `dirs`, each folder's glibc-hwcaps subfolders (best first)
    /// and then its legacy hwcaps subfolders (glibc ≤ 2.36) before it, as ld.so tries
    /// them. Built as they are tried: the search stops at the first that has it.
    fn candidates<'a, D: AsRef<str> + 'a>(
        &'a self,
        dirs: impl IntoIterator<Item = D> + 'a,
        setup: &'a GlibcSetup,
        name: &'a str,
    ) -> impl Iterator<Item = String> + 'a {
        dirs.into_iter().flat_map(move |dir| {
            let dir = dir.as_ref().trim_end_matches('/');
            // Empty, and so not allocated, unless hwcaps apply.
            let mut subfolders: Vec<String> = setup
                .hwcaps
                .iter()
                .map(|h| candidate(&format!("{dir}/glibc-hwcaps/{h}"), name))
                .collect();
            for legacy in &setup.legacy {
                let folder = candidate(dir, legacy);
                if self.folder_exists(&folder) {
                    subfolders.push(candidate(&folder, name));
                }
            }
            subfolders
                .into_iter()
                .chain(std::iter::once(candidate(dir, name)))
        })
    }

    pub(super) fn search_glibc(
        &self,
        name: &str,
        index: usize,
        nodes: &[Node],
        stale: &mut Vec<StaleCacheEntry>,
    ) -> Search {
        let root = &nodes[0].object;
        let wanted = &root.facts;
        let setup = self.setup(root);
        let setup = &*setup;
        let loader = &nodes[index];
        let mut tried = Vec::new();
        let judge = |found_by| {
            move |probe, path, tried: &mut Vec<Attempt>| {
                judge_glibc(probe, path, found_by, wanted, tried)
            }
        };
        if name.contains('/') {
            let path = expand_tokens(name, &self.tokens_for(loader, setup));
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
        // 1. DT_RPATH of the loader, then of the object that loaded it, and on up —
        //    only when the loader has no DT_RUNPATH. An object with DT_RUNPATH
        //    contributes no DT_RPATH (glibc elf/get-dynamic-info.h drops it).
        if loader.object.facts.runpath.is_empty() {
            let mut at = Some(index);
            while let Some(i) = at {
                let n = &nodes[i];
                let f = &n.object.facts;
                if f.runpath.is_empty() && !f.rpath.is_empty() {
                    let dirs = expand_all(&f.rpath, &self.tokens_for(n, setup));
                    let paths = self.candidates(dirs, setup, name);
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
        let dirs = expand_all(
            &self.options.ld_library_path,
            &self.tokens_for(&nodes[0], setup),
        );
        let step = judge(FoundBy::LdLibraryPath);
        let paths = self.candidates(dirs, setup, name);
        if let Some(found) = self.try_paths(paths, &step, FoundBy::LdLibraryPath, None, &mut tried)
        {
            return found;
        }
        // 3. DT_RUNPATH of the loader only.
        let f = &loader.object.facts;
        if !f.runpath.is_empty() {
            let dirs = expand_all(&f.runpath, &self.tokens_for(loader, setup));
            let step = judge(FoundBy::Runpath);
            if let Some(found) = self.try_paths(
                self.candidates(dirs, setup, name),
                &step,
                FoundBy::Runpath,
                Some(&loader.path),
                &mut tried,
            ) {
                return found;
            }
        }
        // 4. The loader cache, then 5. the default folders.
        let lookup = Lookup {
            name,
            needed_by: &loader.path,
            setup,
            nodeflib: f.nodeflib,
            wanted,
        };
        match self.ld_cache(wanted.endian) {
            CacheState::Absent => {
                if let Some(found) = self.emulated_cache(&lookup, &mut tried) {
                    return found;
                }
                self.default_folders(&lookup, tried)
            }
            CacheState::Read(cache) => self.real_cache(&lookup, cache, tried, stale),
            CacheState::Invalid(why) => {
                tried.push(Attempt {
                    path: LD_SO_CACHE.into(),
                    found_by: FoundBy::LdSoCache,
                    outcome: AttemptOutcome::NotInCache(format!("ld.so ignores it: {why}")),
                });
                let found = self.default_folders(&lookup, tried);
                self.check_stale(&lookup, None, Some(why), &found, stale);
                found
            }
        }
    }

    /// ldconfig's cache as preflight would write it from `/etc/ld.so.conf`: the
    /// folders it names, each file cached under its SONAME. With DF_1_NODEFLIB, cache
    /// entries in the default folders are refused (`_dl_map_object`, the
    /// `system_dirs` prefix check).
    fn emulated_cache(&self, l: &Lookup<'_>, tried: &mut Vec<Attempt>) -> Option<Search> {
        let cached = self
            .conf_dirs()
            .iter()
            .filter(|dir| !(l.nodeflib && l.setup.layout.default_dirs.contains(dir)));
        let cache = |probe, path, tried: &mut Vec<Attempt>| {
            judge_cache(probe, path, l.name, l.wanted, tried)
        };
        self.try_paths(
            self.candidates(cached, l.setup, l.name),
            &cache,
            FoundBy::LdSoConf,
            None,
            tried,
        )
    }

    /// The root's own cache, looked up as `_dl_load_cache_lookup` does. A path it
    /// gives that cannot be opened sends ld.so on to the default folders.
    fn real_cache(
        &self,
        l: &Lookup<'_>,
        cache: &LdCache,
        mut tried: Vec<Attempt>,
        stale: &mut Vec<StaleCacheEntry>,
    ) -> Search {
        let query = CacheQuery {
            flags: cache_flags(l.wanted),
            hwcaps: &l.setup.hwcaps,
            legacy_hwcap: l.setup.legacy_bits,
        };
        let entry = cache.lookup(l.name, &query).filter(|path| {
            !(l.nodeflib
                && l.setup
                    .layout
                    .default_dirs
                    .iter()
                    .any(|d| dirname(path) == *d))
        });
        let Some(path) = entry else {
            tried.push(Attempt {
                path: LD_SO_CACHE.into(),
                found_by: FoundBy::LdSoCache,
                outcome: AttemptOutcome::NotInCache(format!("it has no entry for {}", l.name)),
            });
            let found = self.default_folders(l, tried);
            self.check_stale(l, None, None, &found, stale);
            return found;
        };
        let step = |probe, path, tried: &mut Vec<Attempt>| {
            judge_glibc(probe, path, FoundBy::LdSoCache, l.wanted, tried)
        };
        if let Some(found) =
            self.try_paths([path.clone()], &step, FoundBy::LdSoCache, None, &mut tried)
        {
            return found;
        }
        let found = self.default_folders(l, tried);
        self.check_stale(l, Some(path), None, &found, stale);
        found
    }

    /// 5. The default folders, unless DF_1_NODEFLIB.
    fn default_folders(&self, l: &Lookup<'_>, mut tried: Vec<Attempt>) -> Search {
        if !l.nodeflib {
            let step = |probe, path, tried: &mut Vec<Attempt>| {
                judge_glibc(probe, path, FoundBy::Default, l.wanted, tried)
            };
            let paths = self.candidates(l.setup.layout.default_dirs.iter(), l.setup, l.name);
            if let Some(found) = self.try_paths(paths, &step, FoundBy::Default, None, &mut tried) {
                return found;
            }
        }
        Search::Missing(tried)
    }

    /// When the cache did not give the library, whether `ldconfig`, run now, would
    /// change what loads: the cache points to a file that is gone, or a folder of
    /// ld.so.conf has the library and ld.so loads another file or none.
    fn check_stale(
        &self,
        l: &Lookup<'_>,
        cache_path: Option<String>,
        cache_error: Option<&String>,
        found: &Search,
        stale: &mut Vec<StaleCacheEntry>,
    ) {
        let mut scratch = Vec::new();
        let conf = match self.emulated_cache(l, &mut scratch) {
            Some(Search::Found { path, object, .. }) => Some((path, object.real_path.clone())),
            _ => None,
        };
        let loaded = match found {
            Search::Found { path, object, .. } => Some((path, &object.real_path)),
            _ => None,
        };
        let differs = match (&conf, loaded) {
            (Some((_, conf_real)), Some((_, real))) => conf_real != real,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !differs && cache_path.is_none() {
            return;
        }
        stale.push(StaleCacheEntry {
            soname: l.name.to_string(),
            needed_by: l.needed_by.to_string(),
            cache_path,
            cache_error: cache_error.cloned(),
            conf_path: conf.map(|(path, _)| path),
            loaded: loaded.map(|(path, _)| path.clone()),
        });
    }
}

/// One name being looked up past RUNPATH: in the cache, then the default folders.
struct Lookup<'a> {
    name: &'a str,
    needed_by: &'a str,
    setup: &'a GlibcSetup,
    nodeflib: bool,
    wanted: &'a crate::elf::ElfFacts,
}

/// The version of the host's glibc (its libc.so.6 in a default folder): the newest
/// GLIBC_major.minor it defines. A release that adds no symbol version of its own is
/// taken for the one before; for 2.37 that means legacy hwcaps subfolders it skips
/// are searched, which only matters where such folders exist.
fn host_glibc_version(
    host: &dyn LibraryHost,
    layout: &GlibcLayout,
    root: &HostObject,
) -> Option<(u64, u64)> {
    layout
        .default_dirs
        .iter()
        .find_map(|dir| match host.probe(&candidate(dir, "libc.so.6")) {
            Probe::Found(libc) if libc.facts.e_machine == root.facts.e_machine => libc
                .facts
                .version_defs
                .iter()
                .filter_map(|v| match v.family_and_numbers() {
                    ("GLIBC", n) if n.len() >= 2 => Some((n[0], n[1])),
                    _ => None,
                })
                .max(),
            _ => None,
        })
}
