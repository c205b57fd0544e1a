//! Findings about the root's loader cache: loads that `/etc/ld.so.cache` changes
//! because it was written before the libraries or the ld.so.conf files it should
//! reflect (glibc elf/dl-load.c `_dl_map_object` consults the cache, never
//! ld.so.conf; elf/dl-cache.c `_dl_load_cache_lookup` ignores an invalid cache).

use crate::resolve::{Resolution, StaleCacheEntry};
use crate::rules::{Finding, Rule};

/// What ld.so ends up doing, for a message and the `{outcome}` of the why.
fn outcome(stale: &StaleCacheEntry) -> String {
    match (&stale.loaded, &stale.conf_path) {
        (None, _) => format!(
            "fails to load {} (\"cannot open shared object file\")",
            stale.soname
        ),
        (Some(loaded), Some(conf)) => format!("loads {loaded} instead of {conf}"),
        (Some(loaded), None) => format!("loads {loaded}"),
    }
}

/// The stale entry behind a library the load misses, when ldconfig would make
/// ld.so find it: `missing-library` then explains the ldconfig step.
pub fn stale_for<'r>(
    resolution: &'r Resolution,
    soname: &str,
    needed_by: &str,
) -> Option<&'r StaleCacheEntry> {
    resolution.stale_cache.iter().find(|s| {
        s.soname == soname
            && s.needed_by == needed_by
            && s.loaded.is_none()
            && s.conf_path.is_some()
    })
}

/// One `ld-cache-stale` finding per library whose load the cache changes.
pub fn stale_cache_findings(
    resolution: &Resolution,
    shown: &str,
    display: &dyn Fn(&str) -> String,
) -> Vec<Finding> {
    let root = &resolution.root;
    resolution
        .stale_cache
        .iter()
        .map(|stale| {
            let who = display(&stale.needed_by);
            let soname = &stale.soname;
            let outcome = outcome(stale);
            let conf = stale.conf_path.clone().unwrap_or_default();
            let (message, case) = if let Some(error) = &stale.cache_error {
                (
                    format!("ld.so ignores /etc/ld.so.cache of {root} ({error}): for {soname} (needed by {who}) it {outcome}"),
                    Some("ignored"),
                )
            } else if let Some(gone) = &stale.cache_path {
                (
                    format!("/etc/ld.so.cache of {root} names {gone} for {soname} (needed by {who}), which no longer exists: ld.so {outcome}"),
                    Some("gone"),
                )
            } else {
                (
                    format!("{soname} (needed by {who}) is at {conf}, in a folder /etc/ld.so.conf names, but /etc/ld.so.cache of {root} has no entry for it: ld.so {outcome}"),
                    None,
                )
            };
            let mut finding = Rule::LdCacheStale.finding(shown, message);
            if let Some(case) = case {
                finding = finding.case(case);
            }
            finding
                .arg("soname", soname)
                .arg("conf_path", conf)
                .arg("cache_path", stale.cache_path.clone().unwrap_or_default())
                .arg("cache_error", stale.cache_error.clone().unwrap_or_default())
                .arg("outcome", outcome)
                .needed_by((who != shown).then_some(who))
                .library(soname)
                .build()
        })
        .collect()
}
