//! Loader-accurate dependency resolution and symbol binding, without executing
//! anything: which file each NEEDED loads, how it was found, what is missing, and
//! whether every undefined symbol and symbol version is met.

mod binding;
mod cpu;
mod flavor;
mod glibc;
mod ldcache;
mod ldconf;
mod load;
mod model;
mod musl;
mod plugin;
mod process;
mod search;

pub use cpu::{Cpu, CPU_LEVELS};
pub use flavor::{musl_arch, standard_glibc_interpreters, GlibcLayout};
pub use ldcache::{cache_flags, CacheFormat, CacheQuery, LdCache, MAX_CACHE_BYTES};
pub use ldconf::ld_so_conf_dirs;
pub use load::{ResolveOptions, Resolver};
pub use model::{
    Attempt, AttemptOutcome, DlopenLibrary, Edge, FoundBy, HostSymbols, LoadedObject,
    MissingLibrary, Resolution, StaleCacheEntry, UnboundSymbol, VersionGap,
};
pub use musl::musl_system_path;
pub use plugin::PluginHost;
pub use process::{HostProcess, JdkHome};
