//! What resolution finds, as plain serializable data (the `tree` JSON contract).

use crate::elf::{DlopenPriority, Kind, Libc};
use crate::source::HostObject;
use serde::Serialize;
use std::sync::Arc;

/// How the loader found a library (libtree's `how_t`, glibc's search steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundBy {
    /// The program interpreter (ld.so / musl's ld-musl, which is also its libc).
    Interpreter,
    /// The NEEDED entry contains a '/': it is a path, not searched.
    Path,
    /// DT_RPATH of the object or of one that loaded it (`via` names whose).
    Rpath,
    LdLibraryPath,
    /// DT_RUNPATH of the object itself.
    Runpath,
    /// glibc's loader cache as `ldconfig` would build it from `/etc/ld.so.conf`
    /// (the root has no `/etc/ld.so.cache`).
    #[serde(rename = "ld.so.conf")]
    LdSoConf,
    /// The root's own loader cache, `/etc/ld.so.cache`.
    #[serde(rename = "ld.so.cache")]
    LdSoCache,
    /// musl's `/etc/ld-musl-ARCH.path`.
    MuslPath,
    /// The loader's default directories.
    Default,
    /// A library of that name (or that very file) was already loaded.
    AlreadyLoaded,
}

impl FoundBy {
    pub fn as_str(self) -> &'static str {
        match self {
            FoundBy::Interpreter => "interpreter",
            FoundBy::Path => "path",
            FoundBy::Rpath => "rpath",
            FoundBy::LdLibraryPath => "ld-library-path",
            FoundBy::Runpath => "runpath",
            FoundBy::LdSoConf => "ld.so.conf",
            FoundBy::LdSoCache => "ld.so.cache",
            FoundBy::MuslPath => "musl-path",
            FoundBy::Default => "default",
            FoundBy::AlreadyLoaded => "already-loaded",
        }
    }
}

/// What was at one candidate path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "detail", rename_all = "kebab-case")]
pub enum AttemptOutcome {
    Absent,
    /// Another class, byte order or machine: ld.so skips it and searches on.
    WrongArch(String),
    /// The file exists but `ldconfig` would not have cached it under this name.
    NotInCache(String),
    /// The loader would stop here with an error (not ELF, unreadable, a FIFO...).
    Fatal(String),
    /// A link loop.
    Loop,
}

impl AttemptOutcome {
    /// Its name in the JSON (`absent`, `wrong-arch`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            AttemptOutcome::Absent => "absent",
            AttemptOutcome::WrongArch(_) => "wrong-arch",
            AttemptOutcome::NotInCache(_) => "not-in-cache",
            AttemptOutcome::Fatal(_) => "fatal",
            AttemptOutcome::Loop => "loop",
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            AttemptOutcome::WrongArch(d)
            | AttemptOutcome::NotInCache(d)
            | AttemptOutcome::Fatal(d) => Some(d),
            AttemptOutcome::Absent | AttemptOutcome::Loop => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub path: String,
    pub found_by: FoundBy,
    #[serde(flatten)]
    pub outcome: AttemptOutcome,
}

/// One object the loader maps, in load order.
#[derive(Clone, Debug, Serialize)]
pub struct LoadedObject {
    /// The NEEDED name that loaded it.
    pub soname: String,
    /// The path the loader opens (not resolved through symbolic links).
    pub path: String,
    /// The file behind `path`, links resolved.
    pub real_path: String,
    pub found_by: FoundBy,
    /// Whose RPATH or RUNPATH found it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    pub needed_by: String,
    /// 1 for direct dependencies of the root object.
    pub depth: usize,
    #[serde(skip)]
    pub object: Option<Arc<HostObject>>,
}

/// One NEEDED entry, and where it led.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: String,
    pub name: String,
    /// The path of the object it resolved to; None when missing.
    pub to: Option<String>,
    pub found_by: Option<FoundBy>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingLibrary {
    pub soname: String,
    pub needed_by: String,
    pub tried: Vec<Attempt>,
}

/// A library whose load the root's loader cache changes: `ldconfig` run now would
/// make ld.so load another file (or one at all). The classic case: a library or an
/// ld.so.conf file added without running `ldconfig` after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleCacheEntry {
    pub soname: String,
    pub needed_by: String,
    /// The path the cache's entry names, a file that is gone or unusable; None when
    /// it has no entry for the name.
    pub cache_path: Option<String>,
    /// Why ld.so ignores the whole cache, when it does.
    pub cache_error: Option<String>,
    /// The file in a folder ld.so.conf names that `ldconfig` would cache.
    pub conf_path: Option<String>,
    /// What ld.so loads instead; None when the load fails.
    pub loaded: Option<String>,
}

/// A library found, but without a symbol version an object needs from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionGap {
    pub library: String,
    pub library_path: String,
    pub version: String,
    pub needed_by: String,
    /// The undefined symbols of `needed_by` that ask for this version.
    pub symbols: Vec<String>,
    /// The newest version of the same family the library defines (e.g. GLIBC_2.31).
    pub newest_available: Option<String>,
}

/// An undefined, non-weak symbol that no object in the load scope defines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnboundSymbol {
    pub symbol: String,
    pub version: Option<String>,
    pub needed_by: String,
}

/// Undefined symbols of a plugin that its host process provides (`Py*` from the
/// Python interpreter ...): bound when the plugin is loaded there, so not undefined.
#[derive(Clone, Debug, Serialize)]
pub struct HostSymbols {
    /// "the Python interpreter".
    pub host: String,
    pub needed_by: String,
    pub count: usize,
}

/// A library the file declares it may `dlopen()` (its `.note.dlopen`), searched as
/// `dlopen()` called from the file would search it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DlopenLibrary {
    /// The object whose note declares it.
    pub needed_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    pub priority: DlopenPriority,
    /// The alternatives, in order of preference.
    pub soname: Vec<String>,
    /// The alternative found, and the path it was found at; None when none is.
    pub found: Option<String>,
    pub path: Option<String>,
    /// Places tried for every alternative, when none was found.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tried: Vec<Attempt>,
}

/// The loader's view of one file: `preflight tree`'s JSON, one object per file.
#[derive(Clone, Debug, Serialize)]
pub struct Resolution {
    /// The file as the user named it.
    pub path: String,
    /// Its path inside the host (what `needed_by` and `$ORIGIN` refer to).
    pub view_path: String,
    /// Which host the libraries came from.
    pub root: String,
    /// The kind of the file: an executable starts a load; a library checked alone is
    /// resolved as if loaded by a program that adds nothing.
    pub kind: Kind,
    /// The libc whose loader runs it ("none" in the JSON for a static executable).
    #[serde(serialize_with = "libc_or_none")]
    pub loader: Option<Libc>,
    pub interpreter: Option<String>,
    /// PT_INTERP names a file the host does not have: the kernel cannot start it.
    pub interpreter_missing: bool,
    pub loaded: Vec<LoadedObject>,
    pub missing: Vec<MissingLibrary>,
    pub edges: Vec<Edge>,
    pub version_gaps: Vec<VersionGap>,
    pub unbound_symbols: Vec<UnboundSymbol>,
    /// Per object, the undefined symbols its plugin host provides (not in
    /// `unbound_symbols`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_symbols: Vec<HostSymbols>,
    /// The process the file was opened in, when it is a plugin of one the scan knows
    /// ("the program usr/sbin/nginx"): its objects answered NEEDED names and bound
    /// symbols.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_in: Option<String>,
    /// The file's declared `dlopen()` dependencies (`.note.dlopen`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dlopen: Vec<DlopenLibrary>,
    /// Loads the root's stale loader cache changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stale_cache: Vec<StaleCacheEntry>,
}

fn libc_or_none<S: serde::Serializer>(libc: &Option<Libc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(Libc::name_or_none(*libc))
}
