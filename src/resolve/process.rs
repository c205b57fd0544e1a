//! The process a plugin is opened in. A plugin is not loaded alone: `dlopen()` maps
//! it into a process whose global scope already holds the program, its libraries and
//! whatever it opened before. glibc's `_dl_map_object` (elf/dl-load.c) answers a
//! NEEDED name with an object already loaded under that name or SONAME
//! (`_dl_name_match_p`, `l_soname`), and `_dl_lookup_symbol_x` (elf/dl-lookup.c)
//! binds the plugin's symbols in the global scope first, then in its own. So a JDK
//! library's `NEEDED libjvm.so` is met by the libjvm.so the `java` launcher opened
//! by its full path, and an nginx or postgres module's `ngx_*`/`palloc` are bound to
//! the program, which exports them (`-export-dynamic`).

use super::flavor::dirname;
use super::load::Resolver;
use super::model::Resolution;
use crate::elf::Libc;
use crate::source::{HostObject, LibraryHost, Probe};
use std::sync::Arc;

/// The objects of a process a plugin is opened in, and what to call it.
#[derive(Debug)]
pub struct HostProcess {
    /// "the program usr/sbin/nginx", "the Java VM (…/lib/server/libjvm.so)".
    pub describe: String,
    /// Every object in its global scope before the plugin is opened, by the path the
    /// loader opened it at.
    pub objects: Vec<(String, Arc<HostObject>)>,
}

impl HostProcess {
    /// The process whose first object is `root` (a program, or a library the
    /// process opens first, such as libjvm.so), with every object `load` maps for it.
    pub fn of_load(
        describe: String,
        root: Arc<HostObject>,
        path: &str,
        load: &Resolution,
    ) -> HostProcess {
        let mut objects = vec![(path.to_string(), root)];
        objects.extend(
            load.loaded
                .iter()
                .filter_map(|l| Some((l.path.clone(), l.object.clone()?))),
        );
        HostProcess { describe, objects }
    }
}

/// A JDK (or JRE image) recognised by the layout its launcher relies on: a `release`
/// file and the module image `lib/modules` in its home, and `lib/jvm.cfg` naming the
/// VM the launcher opens, `lib/VM/libjvm.so` (OpenJDK's
/// src/java.base/unix/native/libjli/java_md.c `GetJVMPath`; the first `KNOWN` entry
/// of jvm.cfg is the default, java.c `ReadKnownVMs`). The launcher opens libjvm.so by
/// that full path (no LD_LIBRARY_PATH since JDK 7), and the VM then opens the JDK's
/// libraries from `lib/`, which name libjvm.so in their NEEDED without a path to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JdkHome {
    pub home: String,
    /// The VM library the launcher opens: `HOME/lib/server/libjvm.so`.
    pub jvm: String,
}

impl JdkHome {
    /// The JDK whose `lib/` (or `lib/VM/`) holds `library`, if its home has the layout.
    pub fn of_library(host: &dyn LibraryHost, library: &str) -> Option<JdkHome> {
        let dir = dirname(library);
        let lib = if dir.ends_with("/lib") {
            dir
        } else {
            dirname(&dir)
        };
        if !lib.ends_with("/lib") {
            return None;
        }
        JdkHome::at(host, &dirname(&lib))
    }

    /// The JDK at `home`, if it has the layout.
    pub fn at(host: &dyn LibraryHost, home: &str) -> Option<JdkHome> {
        let is_file = |path: &str| matches!(host.probe(path), Probe::NotElf);
        if !is_file(&format!("{home}/release")) || !is_file(&format!("{home}/lib/modules")) {
            return None;
        }
        let cfg = host.read_config(&format!("{home}/lib/jvm.cfg"), 64 * 1024)?;
        let vm = default_vm(&cfg)?;
        let jvm = format!("{home}/lib/{vm}/libjvm.so");
        match host.probe(&jvm) {
            Probe::Found(_) => Some(JdkHome {
                home: home.to_string(),
                jvm,
            }),
            _ => None,
        }
    }
}

impl JdkHome {
    /// The VM's process as the JDK's libraries find it: libjvm.so (opened by the
    /// launcher) and everything its load maps. `shown` names libjvm.so for a person.
    pub fn process(
        &self,
        resolver: &Resolver<'_>,
        shown: &str,
        unknown: Option<Libc>,
    ) -> Option<HostProcess> {
        let Probe::Found(jvm) = resolver.host.probe(&self.jvm) else {
            return None;
        };
        let load = resolver.resolve_as(jvm.clone(), &self.jvm, shown, unknown);
        Some(HostProcess::of_load(
            format!("the Java VM ({shown}, opened by the java launcher)"),
            jvm,
            &self.jvm,
            &load,
        ))
    }
}

/// The VM jvm.cfg makes the default: its first `-NAME KNOWN` line.
fn default_vm(cfg: &str) -> Option<&str> {
    cfg.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next()?.strip_prefix('-')?;
            (words.next() == Some("KNOWN")
                && !name.is_empty()
                && !name.contains('/')
                && name != "."
                && name != "..")
                .then_some(name)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_vm_is_the_first_known_one() {
        assert_eq!(
            default_vm("# comment\n-server KNOWN\n-client IGNORE\n"),
            Some("server")
        );
        assert_eq!(
            default_vm("-client IGNORE\n-server KNOWN\n"),
            Some("server")
        );
        assert_eq!(default_vm("-../x KNOWN\n"), None);
        assert_eq!(default_vm(""), None);
    }
}
