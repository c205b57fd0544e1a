//! Exploit mitigations a linked file carries, read the way checksec reads them: RELRO
//! and BIND_NOW from the program headers and dynamic flags, PIE from the file type,
//! NX from PT_GNU_STACK, the stack protector and FORTIFY from the functions the file
//! imports, and CET from the x86 feature property of the GNU property note.

use super::facts::Kind;
use super::layout::{DynamicTags, Layout};
use super::machine::Machine;
use goblin::elf::dynamic::{DF_1_NOW, DF_BIND_NOW, DT_BIND_NOW, DT_FLAGS, DT_FLAGS_1};
use goblin::elf::program_header::PT_GNU_RELRO;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relro {
    /// No PT_GNU_RELRO: the GOT and relocated data stay writable.
    None,
    /// PT_GNU_RELRO without BIND_NOW: relocated data is read-only, `.got.plt` is not.
    Partial,
    /// PT_GNU_RELRO and BIND_NOW: everything the loader wrote is read-only.
    Full,
}

impl Relro {
    pub fn as_str(self) -> &'static str {
        match self {
            Relro::None => "none",
            Relro::Partial => "partial",
            Relro::Full => "full",
        }
    }
}

/// checksec's columns for one executable or shared library.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hardening {
    pub relro: Relro,
    pub bind_now: bool,
    /// Loaded at a random address (ET_DYN). None for shared libraries, which always are.
    pub pie: Option<bool>,
    /// The stack is not executable (PT_GNU_STACK without PF_X).
    pub nx: bool,
    /// Calls `__stack_chk_fail` (or reads `__stack_chk_guard`). None when the
    /// symbols are gone (a stripped static binary).
    pub stack_protector: Option<bool>,
    /// The `__*_chk` functions it calls (`-D_FORTIFY_SOURCE`).
    pub fortified: Vec<String>,
    /// Functions it calls that have a checked `__*_chk` variant it does not use.
    pub fortifiable: Vec<String>,
    /// x86 CET: indirect branch tracking and shadow stack, as marked in the GNU
    /// property note (GNU_PROPERTY_X86_FEATURE_1_AND). None on other architectures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ibt: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shstk: Option<bool>,
}

/// glibc functions that have a `__NAME_chk` variant FORTIFY_SOURCE calls instead
/// (glibc debug/Versions); what checksec counts as "fortifiable".
const FORTIFIABLE: &[&str] = &[
    "asprintf",
    "confstr",
    "dprintf",
    "explicit_bzero",
    "fgets",
    "fgets_unlocked",
    "fgetws",
    "fgetws_unlocked",
    "fprintf",
    "fread",
    "fread_unlocked",
    "fwprintf",
    "getcwd",
    "getdomainname",
    "getgroups",
    "gethostname",
    "getlogin_r",
    "gets",
    "getwd",
    "longjmp",
    "mbsnrtowcs",
    "mbsrtowcs",
    "mbstowcs",
    "memcpy",
    "memmove",
    "mempcpy",
    "memset",
    "obstack_printf",
    "obstack_vprintf",
    "poll",
    "ppoll",
    "pread",
    "pread64",
    "printf",
    "read",
    "readlink",
    "readlinkat",
    "realpath",
    "recv",
    "recvfrom",
    "snprintf",
    "sprintf",
    "stpcpy",
    "stpncpy",
    "strcat",
    "strcpy",
    "strncat",
    "strncpy",
    "swprintf",
    "syslog",
    "ttyname_r",
    "vasprintf",
    "vdprintf",
    "vfprintf",
    "vfwprintf",
    "vprintf",
    "vsnprintf",
    "vsprintf",
    "vswprintf",
    "vsyslog",
    "vwprintf",
    "wcpcpy",
    "wcpncpy",
    "wcrtomb",
    "wcscat",
    "wcscpy",
    "wcsncat",
    "wcsncpy",
    "wcsnrtombs",
    "wcsrtombs",
    "wcstombs",
    "wctomb",
    "wmemcpy",
    "wmemmove",
    "wmempcpy",
    "wmemset",
    "wprintf",
];

const LONGEST_FORTIFIABLE: usize = 15;

/// Whether `name` is one of FORTIFIABLE, by hash: a binary search compared a dozen
/// names for each of a program's imports.
fn is_fortifiable(name: &str) -> bool {
    static SET: std::sync::LazyLock<rustc_hash::FxHashSet<&'static str>> =
        std::sync::LazyLock::new(|| FORTIFIABLE.iter().copied().collect());
    SET.contains(name)
}

/// `functions`: the names the file imports (dynamic files) or defines (static ones,
/// from `.symtab`); None when no symbol table is left to read them from.
pub(crate) fn hardening<'s>(
    layout: &Layout<'_>,
    dyns: &DynamicTags,
    kind: Kind,
    executable_stack: bool,
    e_machine: u16,
    x86_features: Option<u32>,
    functions: Option<impl Iterator<Item = &'s str>>,
) -> Hardening {
    let bind_now = dyns.get(DT_BIND_NOW).is_some()
        || dyns.get(DT_FLAGS).is_some_and(|f| f & DF_BIND_NOW != 0)
        || dyns.get(DT_FLAGS_1).is_some_and(|f| f & DF_1_NOW != 0);
    let relro = match (
        layout.phdrs.iter().any(|p| p.p_type == PT_GNU_RELRO),
        bind_now,
    ) {
        (false, _) => Relro::None,
        (true, false) => Relro::Partial,
        (true, true) => Relro::Full,
    };
    let pie = match kind {
        Kind::SharedLibrary => None,
        other => Some(matches!(other, Kind::PieExecutable | Kind::StaticPie)),
    };
    let mut stack_protector = None;
    let mut fortified = Vec::new();
    let mut fortifiable = Vec::new();
    if let Some(functions) = functions {
        let mut found = false;
        // A large C++ library imports tens of thousands of mangled names: they are
        // rejected on their first bytes before any search.
        for name in functions {
            if let Some(rest) = name.strip_prefix("__") {
                if matches!(rest, "stack_chk_fail" | "stack_chk_guard") {
                    found = true;
                } else if let Some(base) = rest.strip_suffix("_chk") {
                    // `__fdelt_chk` checks FD_SET/FD_ISSET/FD_CLR's descriptor (glibc
                    // debug/fdelt_chk.c): a macro, so no plain function pairs with it.
                    if is_fortifiable(base) || base == "fdelt" {
                        fortified.push(name.to_string());
                    }
                }
            } else if name.len() <= LONGEST_FORTIFIABLE
                && !name.starts_with('_')
                && is_fortifiable(name)
            {
                fortifiable.push(name.to_string());
            }
        }
        stack_protector = Some(found);
        fortified.sort();
        fortified.dedup();
        fortifiable.sort();
        fortifiable.dedup();
    }
    let x86 = matches!(Machine::from(e_machine), Machine::I386 | Machine::X86_64);
    Hardening {
        relro,
        bind_now,
        pie,
        nx: !executable_stack,
        stack_protector,
        fortified,
        fortifiable,
        ibt: x86.then(|| x86_features.is_some_and(|f| f & 1 != 0)),
        shstk: x86.then(|| x86_features.is_some_and(|f| f & 2 != 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::FORTIFIABLE;

    #[test]
    fn fortifiable_names_are_sorted_for_binary_search() {
        assert!(FORTIFIABLE.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            FORTIFIABLE.iter().map(|n| n.len()).max(),
            Some(super::LONGEST_FORTIFIABLE)
        );
    }
}
