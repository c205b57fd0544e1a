//! Which C library, and so which dynamic loader, a file runs with: glibc's ld.so or
//! musl's (which is its libc too). One vocabulary for files, loaders, target profiles
//! and reports.

use super::facts::ElfFacts;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    /// Its name in reports, profiles and the JSON ("glibc", "musl").
    pub fn as_str(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }

    /// `as_str`, with "none" for a file that loads nothing.
    pub fn name_or_none(libc: Option<Libc>) -> &'static str {
        libc.map_or("none", Libc::as_str)
    }
}

impl ElfFacts {
    /// The libc whose loader runs this file: its interpreter's for an executable;
    /// for a library scanned on its own, musl when it links against musl's libc
    /// (Alpine names it `libc.musl-ARCH.so.1`; other musl builds link `libc.so`),
    /// else glibc. None for a static executable, and for a library that needs nothing
    /// (no NEEDED at all): nothing is loaded for it, and either loader takes it (numpy's
    /// musllinux `_operand_flag_tests` module is one).
    pub fn libc(&self) -> Option<Libc> {
        if let Some(interp) = &self.interpreter {
            let name = interp.rsplit('/').next().unwrap_or(interp);
            return Some(if name.starts_with("ld-musl-") {
                Libc::Musl
            } else {
                Libc::Glibc
            });
        }
        if self.kind.is_executable() || self.needed.is_empty() {
            return None;
        }
        if self
            .needed
            .iter()
            .any(|n| n.starts_with("libc.musl-") || n == "libc.so")
        {
            Some(Libc::Musl)
        } else {
            Some(Libc::Glibc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::{Class, Endian, Kind};

    fn library(needed: &[&str]) -> ElfFacts {
        let mut facts = ElfFacts::bare(
            Class::Elf64,
            Endian::Little,
            "x86_64",
            62,
            Kind::SharedLibrary,
        );
        facts.needed = needed.iter().map(|n| n.to_string()).collect();
        facts
    }

    #[test]
    fn a_library_runs_with_the_libc_it_links_and_one_needing_nothing_with_either() {
        assert_eq!(library(&["libc.so.6"]).libc(), Some(Libc::Glibc));
        assert_eq!(
            library(&["libm.so.6", "libc.musl-x86_64.so.1"]).libc(),
            Some(Libc::Musl)
        );
        assert_eq!(library(&["libc.so"]).libc(), Some(Libc::Musl));
        assert_eq!(library(&[]).libc(), None);
    }
}
