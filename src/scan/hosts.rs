//! Which process each scanned plugin is opened in, when the scanned tree holds it:
//! a JDK's libraries are opened by its VM (libjvm.so, by the layout the launcher
//! relies on), and a module whose undefined symbols a program of the tree exports
//! (nginx's and postgres' modules: the programs are linked with `-export-dynamic`,
//! and glibc binds a dlopen()ed module in the process's global scope first,
//! elf/dl-lookup.c) is opened by that program. Such a library is judged inside
//! that process, not alone (resolve/process.rs).

use crate::elf::{Kind, Libc};
use crate::resolve::{HostProcess, JdkHome, Resolver};
use crate::source::HostObject;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A scanned object, as the hosts know it.
pub(super) struct Candidate<'t> {
    pub view: &'t str,
    pub shown: &'t str,
    pub object: &'t Arc<HostObject>,
}

/// The processes plugins of one tree are opened in, built once per host.
pub(super) struct Processes<'t, 'r> {
    resolver: &'r Resolver<'r>,
    unknown: Option<Libc>,
    display: &'r (dyn Fn(&str) -> String + Sync),
    programs: Vec<Candidate<'t>>,
    /// Symbol name → the programs (indexes into `programs`) that export it.
    exports: OnceLock<HashMap<&'t str, Vec<usize>>>,
    jdks: Mutex<HashMap<String, Option<Arc<HostProcess>>>>,
    of_program: Mutex<HashMap<usize, Arc<HostProcess>>>,
}

impl<'t, 'r> Processes<'t, 'r> {
    /// `programs`: the tree's dynamic executables that can run on this host.
    pub fn new(
        resolver: &'r Resolver<'r>,
        unknown: Option<Libc>,
        display: &'r (dyn Fn(&str) -> String + Sync),
        programs: Vec<Candidate<'t>>,
    ) -> Self {
        Processes {
            resolver,
            unknown,
            display,
            programs,
            exports: OnceLock::new(),
            jdks: Mutex::new(HashMap::new()),
            of_program: Mutex::new(HashMap::new()),
        }
    }

    /// The process a library is opened in by its layout (a JDK's `lib/`), if any.
    pub fn by_layout(&self, library: &Candidate<'_>) -> Option<Arc<HostProcess>> {
        if library.object.facts.kind != Kind::SharedLibrary {
            return None;
        }
        let jdk = JdkHome::of_library(self.resolver.host(), library.view)?;
        if jdk.jvm == library.view {
            return None;
        }
        let mut jdks = self.jdks.lock().expect("jdk lock");
        jdks.entry(jdk.home.clone())
            .or_insert_with(|| {
                jdk.process(self.resolver, &(self.display)(&jdk.jvm), self.unknown)
                    .map(Arc::new)
            })
            .clone()
    }

    /// The program of the tree that a library leaving `unbound` undefined is a module
    /// of: the one exporting most of them (on a tie, the one nearest to it), and
    /// that program's process. None when no program exports any of them.
    pub fn by_exports(
        &self,
        library: &Candidate<'_>,
        unbound: &[String],
    ) -> Option<Arc<HostProcess>> {
        if unbound.is_empty() || self.programs.is_empty() {
            return None;
        }
        let exports = self.exports.get_or_init(|| {
            let mut index: HashMap<&'t str, Vec<usize>> = HashMap::new();
            for (i, program) in self.programs.iter().enumerate() {
                for symbol in program.object.facts.symbols.iter().filter(|s| s.defined) {
                    index.entry(symbol.name).or_default().push(i);
                }
            }
            index
        });
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for name in unbound {
            for &i in exports.get(name.as_str()).into_iter().flatten() {
                *counts.entry(i).or_default() += 1;
            }
        }
        let facts = &library.object.facts;
        let best = counts
            .into_iter()
            .filter(|&(i, _)| {
                let program = &self.programs[i].object.facts;
                program.e_machine == facts.e_machine && program.class == facts.class
            })
            .max_by_key(|&(i, count)| {
                (
                    count,
                    common_prefix(self.programs[i].view, library.view),
                    std::cmp::Reverse(i),
                )
            })?
            .0;
        let mut known = self.of_program.lock().expect("program lock");
        if let Some(process) = known.get(&best) {
            return Some(process.clone());
        }
        let program = &self.programs[best];
        let load = self.resolver.resolve_as(
            program.object.clone(),
            program.view,
            program.shown,
            self.unknown,
        );
        let process = Arc::new(HostProcess::of_load(
            format!("the program {}", (self.display)(program.view)),
            program.object.clone(),
            program.view,
            &load,
        ));
        known.insert(best, process.clone());
        Some(process)
    }
}

/// How many leading path components two paths share.
fn common_prefix(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearer_programs_share_more_of_the_path() {
        assert_eq!(
            common_prefix(
                "/usr/lib/postgresql/15/bin/postgres",
                "/usr/lib/postgresql/15/lib/x.so"
            ),
            5
        );
        assert_eq!(
            common_prefix("/usr/sbin/nginx", "/usr/lib/nginx/modules/m.so"),
            2
        );
    }
}
