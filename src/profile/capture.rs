//! `preflight profile capture ROOT`: a profile read off a real root filesystem — its
//! loader, its libc, and every library the loader finds by name (its cache, then its
//! default folders) with its exact version definitions. Capture a production image
//! once, check every build against it.

use super::model::{dotted_numbers, Library, PlatformFacts, Profile};
use crate::elf::{Kind, Libc};
use crate::platform::Platform;
use crate::resolve::{
    cache_flags, ld_so_conf_dirs, musl_arch, musl_system_path, standard_glibc_interpreters,
    CacheQuery, GlibcLayout, LdCache, MAX_CACHE_BYTES,
};
use crate::source::{LibraryHost, Probe, LD_SO_CACHE};
use std::collections::BTreeMap;

/// A profile of whatever `host` is (a root folder, an image), named after `origin`.
pub fn capture(
    host: &dyn LibraryHost,
    origin: &str,
    platform: Platform,
    name: Option<&str>,
) -> Result<Profile, String> {
    let (e_machine, machine) = (platform.machine().e_machine(), platform.machine_name());
    let os = os_release(host);

    // The loader: glibc's ABI path for the architecture, else musl's.
    let wanted = crate::elf::ElfFacts::bare(
        platform.class(),
        platform.endian(),
        &machine,
        e_machine,
        Kind::Other,
    );
    let glibc_loader = standard_glibc_interpreters(&wanted)
        .into_iter()
        .find(|p| matches!(host.probe(p), Probe::Found(o) if o.facts.e_machine == e_machine));
    let musl_loader = format!("/lib/ld-musl-{}.so.1", musl_arch(None, &wanted));
    // What ld.so loads by name: glibc's `_dl_map_object` looks in the cache, then in
    // the default folders; the ld.so.conf folders reach it only through the cache
    // ldconfig wrote from them. `cached`: what the cache provides, None without one.
    let (libc, interpreter, dirs, searched, cached) = if let Some(interp) = glibc_loader {
        // The default folders first: a profile places its libraries in its first
        // folder, and that is where most of them are.
        let layout = GlibcLayout::detect(&wanted, |d| host.is_dir(d));
        let mut dirs = layout.default_dirs;
        let defaults = dirs.len();
        for d in ld_so_conf_dirs(host) {
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        let cached = host
            .read_data(LD_SO_CACHE, MAX_CACHE_BYTES + 1)
            .map(|bytes| match LdCache::parse(bytes, platform.endian()) {
                Ok(cache) => cache.provided(&CacheQuery {
                    flags: cache_flags(&wanted),
                    // The baseline CPU: the libraries outside glibc-hwcaps folders.
                    hwcaps: &[],
                    legacy_hwcap: 0,
                }),
                // ld.so ignores a cache it cannot read: the default folders only.
                Err(_) => Vec::new(),
            });
        // Without a cache, the one ldconfig would write from ld.so.conf (as the
        // loader simulation assumes for such a root): its folders are searched too.
        let searched = if cached.is_some() {
            defaults
        } else {
            dirs.len()
        };
        (Libc::Glibc, interp, dirs, searched, cached)
    } else if matches!(host.probe(&musl_loader), Probe::Found(o) if o.facts.e_machine == e_machine)
    {
        // The same search path the loader simulation uses.
        let (dirs, _) = musl_system_path(host, &musl_arch(None, &wanted));
        let searched = dirs.len();
        (Libc::Musl, musl_loader, dirs, searched, None)
    } else {
        return Err(format!(
            "{}: no {machine} dynamic loader found (looked for glibc's and musl's)",
            origin
        ));
    };

    // A library of the platform at `path`: its SONAME and versions.
    let library_at = |path: &str| -> Option<(Option<String>, Library)> {
        let Probe::Found(object) = host.probe(path) else {
            return None;
        };
        let f = &object.facts;
        if f.e_machine != e_machine || f.class != platform.class() || f.kind != Kind::SharedLibrary
        {
            return None;
        }
        let library = Library {
            versions: f.version_defs.iter().map(|v| v.to_string()).collect(),
            ..Library::default()
        };
        Some((f.soname.clone(), library))
    };
    let mut libraries: BTreeMap<String, Library> = BTreeMap::new();
    // The cache first, under the names it is looked up by; an entry whose file is
    // gone sends ld.so on to the default folders.
    for (name, path) in cached.iter().flatten() {
        if let Some((_, library)) = library_at(path) {
            libraries.entry(name.clone()).or_insert(library);
        }
    }
    for dir in &dirs[..searched] {
        for entry in host.list_dir(dir) {
            let path = format!("{}/{entry}", dir.trim_end_matches('/'));
            if let Some((soname, library)) = library_at(&path) {
                libraries.entry(soname.unwrap_or(entry)).or_insert(library);
            }
        }
    }
    let mut libc_soname = None;
    if let Probe::Found(loader) = host.probe(&interpreter) {
        if let Some(soname) = &loader.facts.soname {
            // musl's loader is its libc; its soname is what DT_NEEDED names.
            if libc == Libc::Musl {
                libc_soname = Some(soname.clone());
            }
            libraries.entry(soname.clone()).or_insert_with(|| Library {
                versions: loader
                    .facts
                    .version_defs
                    .iter()
                    .map(|v| v.to_string())
                    .collect(),
                ..Library::default()
            });
        }
    }
    let libc_version = match libc {
        Libc::Glibc => libraries
            .get("libc.so.6")
            .and_then(|l| {
                l.versions
                    .iter()
                    .filter_map(|v| v.strip_prefix("GLIBC_").and_then(dotted_numbers))
                    .max()
            })
            .map(|n| n.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
            .ok_or_else(|| {
                format!(
                    "{}: no libc.so.6 with GLIBC versions on the search path",
                    origin
                )
            })?,
        Libc::Musl => musl_version(host).unwrap_or_else(|| "1".into()),
    };
    let id = os.get("ID").cloned().unwrap_or_else(|| "custom".into());
    let version = os
        .get("VERSION_ID")
        .filter(|v| dotted_numbers(v).is_some())
        .cloned()
        .unwrap_or_else(|| "0".into());
    let name = name
        .map(str::to_string)
        .unwrap_or_else(|| format!("{id}-{version}-captured"));
    let description = format!(
        "{} captured from {}",
        os.get("PRETTY_NAME").cloned().unwrap_or_else(|| id.clone()),
        origin
    );
    Ok(Profile {
        requires: None,
        name,
        aliases: Vec::new(),
        family: id,
        version,
        description,
        data_date: None,
        confidence: None,
        sources: BTreeMap::new(),
        wheel_policy: None,
        platforms: [(
            platform.as_str().to_string(),
            PlatformFacts {
                confidence: None,
                source: None,
                libc,
                libc_version,
                interpreter,
                library_dirs: dirs,
                isa_level: None,
                libc_soname,
                libraries,
                repository: None,
            },
        )]
        .into(),
        rules: BTreeMap::new(),
        levels: Default::default(),
        repository: None,
    })
}

/// `/etc/os-release` (or `/usr/lib/os-release`) as key → value.
fn os_release(host: &dyn LibraryHost) -> BTreeMap<String, String> {
    let text = host
        .read_config("/etc/os-release", 1 << 16)
        .or_else(|| host.read_config("/usr/lib/os-release", 1 << 16))
        .unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// musl's version is in Alpine's package database (`P:musl` … `V:1.2.5-r9`).
fn musl_version(host: &dyn LibraryHost) -> Option<String> {
    let db = host.read_config("/lib/apk/db/installed", 64 << 20)?;
    let mut in_musl = false;
    for line in db.lines() {
        if line.is_empty() {
            in_musl = false;
        } else if line == "P:musl" {
            in_musl = true;
        } else if let (true, Some(v)) = (in_musl, line.strip_prefix("V:")) {
            let version = v.split(['-', '_']).next()?;
            return dotted_numbers(version).map(|_| version.to_string());
        }
    }
    None
}
