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
    /// The libc whose loader runs this file, as far as the file itself shows it: its
    /// interpreter's for an executable; for a library, the libc it links against
    /// (musl: Alpine names it `libc.musl-ARCH.so.1`, other musl builds link
    /// `libc.so`; glibc: `libc.so.6` or one of glibc's other libraries). None when
    /// the file shows no libc: a static executable, a library that needs nothing (a
    /// tiny extension module: numpy's musllinux `_operand_flag_tests` is one) or only
    /// other libraries. Such a file takes the libc of whatever loads it; the scan
    /// decides from its loaders, siblings or package, never by default.
    pub fn libc(&self) -> Option<Libc> {
        if let Some(interp) = &self.interpreter {
            let name = interp.rsplit('/').next().unwrap_or(interp);
            return Some(if name.starts_with("ld-musl-") {
                Libc::Musl
            } else {
                Libc::Glibc
            });
        }
        if self.kind.is_executable() {
            return None;
        }
        if self
            .needed
            .iter()
            .any(|n| n.starts_with("libc.musl-") || n == "libc.so")
        {
            Some(Libc::Musl)
        } else if self.needed.iter().any(|n| is_glibc_library(n)) {
            Some(Libc::Glibc)
        } else {
            None
        }
    }
}

/// A soname only glibc has: its libc and loader, and the libraries musl folds into
/// its libc (libm, libpthread, libdl, librt, libutil, libresolv, libcrypt's old
/// glibc version), which a musl link never names.
fn is_glibc_library(name: &str) -> bool {
    matches!(
        name,
        "libc.so.6"
            | "libc.so.6.1"
            | "libc.so.7"
            | "libm.so.6"
            | "libm.so.6.1"
            | "libpthread.so.0"
            | "libdl.so.2"
            | "librt.so.1"
            | "libutil.so.1"
            | "libresolv.so.2"
            | "libanl.so.1"
            | "libmvec.so.1"
    ) || name.starts_with("ld-linux")
        || name.starts_with("ld64.so.")
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
    fn a_library_runs_with_the_libc_it_links_and_one_showing_none_with_either() {
        assert_eq!(library(&["libc.so.6"]).libc(), Some(Libc::Glibc));
        assert_eq!(
            library(&["libm.so.6", "libc.musl-x86_64.so.1"]).libc(),
            Some(Libc::Musl)
        );
        assert_eq!(library(&["libc.so"]).libc(), Some(Libc::Musl));
        assert_eq!(library(&["libm.so.6"]).libc(), Some(Libc::Glibc));
        assert_eq!(library(&[]).libc(), None);
        // Needing only other libraries shows no libc: never guessed.
        assert_eq!(library(&["libstdc++.so.6", "libz.so.1"]).libc(), None);
    }
}
