//! The directories of glibc's loader cache, from the root's `/etc/ld.so.conf`.
//!
//! ld.so itself reads `/etc/ld.so.cache`, which `ldconfig` builds from these
//! directories; preflight reads the configuration instead of the cache so that a root
//! whose cache is stale or absent (a freshly assembled image) is judged by what
//! `ldconfig` would write. Syntax as in glibc elf/ldconfig.c (parse_conf): `#` starts a
//! comment, `include PATTERN` reads more files (a relative pattern is relative to the
//! including file's folder), a directory may carry a `=TYPE` suffix from libc5 days,
//! and `hwcap` lines are ignored.

use super::flavor::dirname;
use crate::source::LibraryHost;
use globset::Glob;

/// Guards against `include` cycles and absurd nesting.
const MAX_INCLUDE_DEPTH: usize = 16;
/// A configuration file larger than this is not a configuration file.
const MAX_CONF_BYTES: u64 = 1 << 20;

/// The cache directories named by `/etc/ld.so.conf`, in order, each once.
pub fn ld_so_conf_dirs(host: &dyn LibraryHost) -> Vec<String> {
    let mut dirs = Vec::new();
    let mut seen_files = Vec::new();
    parse_file(host, "/etc/ld.so.conf", 0, &mut dirs, &mut seen_files);
    dirs
}

fn parse_file(
    host: &dyn LibraryHost,
    path: &str,
    depth: usize,
    dirs: &mut Vec<String>,
    seen_files: &mut Vec<String>,
) {
    if depth > MAX_INCLUDE_DEPTH || seen_files.iter().any(|f| f == path) {
        return;
    }
    seen_files.push(path.to_string());
    let Some(text) = host.read_config(path, MAX_CONF_BYTES) else {
        return;
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(patterns) = line
            .strip_prefix("include")
            .filter(|r| r.starts_with([' ', '\t']))
        {
            for pattern in patterns.split_whitespace() {
                for file in expand_include(host, path, pattern) {
                    parse_file(host, &file, depth + 1, dirs, seen_files);
                }
            }
            continue;
        }
        if line.starts_with("hwcap") && line[5..].starts_with([' ', '\t']) {
            continue;
        }
        for dir in line.split([' ', '\t', ',', ':']).filter(|d| !d.is_empty()) {
            let dir = dir.split('=').next().unwrap_or(dir).trim_end_matches('/');
            let dir = if dir.is_empty() { "/" } else { dir };
            if dir.starts_with('/') && !dirs.iter().any(|d| d == dir) {
                dirs.push(dir.to_string());
            }
        }
    }
}

/// The files an `include` pattern names, sorted as glob(3) returns them. Wildcards
/// are allowed in the last component only, which is how every distribution uses it.
fn expand_include(host: &dyn LibraryHost, including: &str, pattern: &str) -> Vec<String> {
    let absolute = if pattern.starts_with('/') {
        pattern.to_string()
    } else {
        format!("{}/{}", dirname(including), pattern)
    };
    let folder = dirname(&absolute);
    let name = super::flavor::basename(&absolute);
    if !name.contains(['*', '?', '[']) {
        return vec![absolute];
    }
    let Ok(glob) = Glob::new(name) else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    host.list_dir(&folder)
        .into_iter()
        .filter(|entry| !entry.starts_with('.') && matcher.is_match(entry))
        .map(|entry| format!("{}/{entry}", folder.trim_end_matches('/')))
        .collect()
}
