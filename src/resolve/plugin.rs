//! Plugins and the process that loads them: a Python extension module, a Node addon,
//! a Perl XS, Ruby, Lua or JNI module leaves the interpreter's own functions undefined
//! on purpose (the interpreter exports them: `python3` is linked with
//! `-Xlinker -export-dynamic`, as are `node`, `perl`, `ruby`, `lua` and the JVM's
//! libjvm), and libthread_db leaves `ps_*` to the debugger (glibc's proc_service.h).
//! Those symbols are bound when the module is loaded into its host, never by the
//! module's own NEEDED: they are not undefined. Any other undefined symbol still is.

use crate::elf::ElfFacts;

/// The process a plugin is loaded into, and what that process provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PluginHost {
    Python,
    Node,
    Perl,
    Ruby,
    Lua,
    Java,
    /// libthread_db's proc_service interface: gdb and other debuggers.
    Debugger,
}

impl PluginHost {
    /// "the Python interpreter": for "provided by ...".
    pub fn describe(self) -> &'static str {
        match self {
            PluginHost::Python => "the Python interpreter",
            PluginHost::Node => "the Node.js process",
            PluginHost::Perl => "the Perl interpreter",
            PluginHost::Ruby => "the Ruby interpreter",
            PluginHost::Lua => "the Lua interpreter",
            PluginHost::Java => "the Java VM",
            PluginHost::Debugger => "the debugger (proc_service)",
        }
    }

    /// Whether the host process defines `symbol` (by the interpreter's API prefixes).
    pub fn provides(self, symbol: &str) -> bool {
        let prefixes: &[&str] = match self {
            PluginHost::Python => &["Py", "_Py", "PY"],
            // N-API, libuv, and the C++ API of node and V8 (Itanium-mangled names in
            // the `node` and `v8` namespaces).
            PluginHost::Node => &[
                "napi_",
                "node_api_",
                "uv_",
                "_ZN4node",
                "_ZNK4node",
                "_ZN2v8",
                "_ZNK2v8",
            ],
            PluginHost::Perl => &["Perl", "PL_", "perl_"],
            PluginHost::Ruby => &["rb_", "ruby_"],
            PluginHost::Lua => &["lua_", "luaL_"],
            PluginHost::Java => &["JNI_", "JVM_", "jio_"],
            PluginHost::Debugger => &["ps_"],
        };
        prefixes.iter().any(|p| symbol.starts_with(p))
    }

    /// The host a file is a plugin of, from its name (`*.cpython-*.so`, `*.abi3.so`,
    /// `*.node`) or the entry point it exports (`PyInit_*`, `napi_register_module_v1`,
    /// `boot_*` with Perl's API undefined, `Init_*` with Ruby's, `luaopen_*`,
    /// `Java_*`/`JNI_OnLoad`, libthread_db's `td_ta_new`).
    pub fn of(facts: &ElfFacts, path: &str) -> Option<PluginHost> {
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.ends_with(".node") {
            return Some(PluginHost::Node);
        }
        if name.contains(".cpython-") || name.ends_with(".abi3.so") || name.contains(".pypy") {
            return Some(PluginHost::Python);
        }
        let mut exports = facts.symbols.iter().filter(|s| s.defined).map(|s| s.name);
        let uses = |prefix: &str| {
            facts
                .symbols
                .iter()
                .any(|s| !s.defined && s.name.starts_with(prefix))
        };
        let found = exports.find_map(|n| {
            if n.starts_with("PyInit_") {
                Some(PluginHost::Python)
            } else if n == "napi_register_module_v1" || n.starts_with("node_register_module_v") {
                Some(PluginHost::Node)
            } else if n.starts_with("luaopen_") {
                Some(PluginHost::Lua)
            } else if n.starts_with("Java_") || n == "JNI_OnLoad" {
                Some(PluginHost::Java)
            } else if n == "td_ta_new" {
                Some(PluginHost::Debugger)
            } else {
                None
            }
        });
        if found.is_some() {
            return found;
        }
        let exports_prefix = |prefix: &str| {
            facts
                .symbols
                .iter()
                .any(|s| s.defined && s.name.starts_with(prefix))
        };
        if exports_prefix("boot_") && uses("Perl_") {
            return Some(PluginHost::Perl);
        }
        if exports_prefix("Init_") && uses("rb_") {
            return Some(PluginHost::Ruby);
        }
        None
    }
}

/// Programs that open modules by their path and look one symbol up in each, by name:
/// nginx's `ngx_load_module` (src/core/ngx_module.c) reads `ngx_modules`, postgres'
/// `internal_load_library` (src/backend/utils/fmgr/dfmgr.c) calls `Pg_magic_func`
/// (PG_MODULE_MAGIC). A library exporting one is a module of that program, which
/// provides the module's undefined symbols (it is linked with `-export-dynamic`).
const MODULE_ENTRY_POINTS: &[(&str, &str)] =
    &[("ngx_modules", "nginx"), ("Pg_magic_func", "postgres")];

/// The program a library is a module of, by the entry point the program looks up
/// ("nginx (it exports ngx_modules)"), when the program itself is not at hand.
pub fn program_of_module(facts: &ElfFacts) -> Option<String> {
    facts.symbols.iter().filter(|s| s.defined).find_map(|s| {
        MODULE_ENTRY_POINTS
            .iter()
            .find(|(entry, _)| *entry == s.name)
            .map(|(entry, program)| {
                format!("{program} (it exports {entry}, which {program} looks up in its modules)")
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_provide_their_api_and_nothing_else() {
        assert!(PluginHost::Python.provides("PyLong_FromLong"));
        assert!(PluginHost::Python.provides("_Py_Dealloc"));
        assert!(!PluginHost::Python.provides("cblas_dgemm"));
        assert!(PluginHost::Node.provides("napi_create_function"));
        assert!(PluginHost::Node.provides("_ZN2v87Isolate10GetCurrentEv"));
        assert!(!PluginHost::Node.provides("png_create_read_struct"));
        assert!(PluginHost::Perl.provides("Perl_newSV"));
        assert!(PluginHost::Perl.provides("PL_thr_key"));
    }
}
