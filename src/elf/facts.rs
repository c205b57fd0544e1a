//! The facts of one ELF file that decide whether it loads on a host.
//!
//! Plain serializable data: every later stage (resolve, policy, report) reads these and
//! never the file again. The JSON field names are a documented contract (README,
//! "JSON output"); add fields, never rename them.

use super::foreign::ForeignBinary;
use super::hardening::Hardening;
use super::relocations::ObjectRelocations;
use super::symbol_table::SymbolTable;
use super::textrel::TextRelocation;
use super::toolchain::{GoBuildInfo, StaticRuntime};
use super::version_name::VersionName;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Class {
    #[serde(rename = "ELF32")]
    Elf32,
    #[serde(rename = "ELF64")]
    Elf64,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Elf32 => "ELF32",
            Class::Elf64 => "ELF64",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    Little,
    Big,
}

impl Endian {
    pub fn as_str(self) -> &'static str {
        match self {
            Endian::Little => "little",
            Endian::Big => "big",
        }
    }
}

/// What the file is, as the kernel and the dynamic loader see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// ET_EXEC with a PT_INTERP: a classic non-PIE dynamic executable.
    Executable,
    /// ET_DYN started through a PT_INTERP (DF_1_PIE, or no SONAME).
    PieExecutable,
    SharedLibrary,
    Relocatable,
    /// ET_EXEC without PT_INTERP: the kernel jumps straight to its entry point.
    StaticExecutable,
    /// ET_DYN with DF_1_PIE and no PT_INTERP: relocates itself (glibc's `_dl_relocate_static_pie`).
    StaticPie,
    Core,
    Other,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Executable => "executable",
            Kind::PieExecutable => "pie-executable",
            Kind::SharedLibrary => "shared-library",
            Kind::Relocatable => "relocatable",
            Kind::StaticExecutable => "static-executable",
            Kind::StaticPie => "static-pie",
            Kind::Core => "core",
            Kind::Other => "other",
        }
    }

    /// Linked without an interpreter: nothing is loaded for it, libc included.
    pub fn is_static(self) -> bool {
        matches!(self, Kind::StaticExecutable | Kind::StaticPie)
    }

    /// Executables are the roots of a load: the loader starts from them.
    pub fn is_executable(self) -> bool {
        matches!(
            self,
            Kind::Executable | Kind::PieExecutable | Kind::StaticExecutable | Kind::StaticPie
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    Local,
    Global,
    Weak,
    /// STB_GNU_UNIQUE: one definition process-wide (C++ inline statics, templates).
    GnuUnique,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SymbolType {
    NoType,
    Object,
    Func,
    Section,
    File,
    Common,
    Tls,
    /// STT_GNU_IFUNC: resolved at load time by a resolver function.
    Ifunc,
    Other,
}

/// The version a dynamic symbol carries, from `.gnu.version` (DT_VERSYM).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SymbolVersion {
    pub name: VersionName,
    /// For an undefined symbol: the library the version is needed from (`vn_file`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub file: Option<Arc<str>>,
    /// Hidden (`sym@VER` rather than `sym@@VER`): not the default version, so an
    /// unversioned reference never binds to it.
    pub hidden: bool,
}

/// One entry of the dynamic symbol table (`.dynsym`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DynSymbol {
    pub name: String,
    pub defined: bool,
    pub binding: Binding,
    #[serde(rename = "type")]
    pub kind: SymbolType,
    /// None for unversioned symbols (versym index 0 or 1, or no `.gnu.version`).
    pub version: Option<SymbolVersion>,
}

/// How much a `dlopen()` dependency matters, as its `.note.dlopen` entry says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DlopenPriority {
    /// Secondary functionality: only full-featured installations need it.
    Suggested,
    /// Important functionality: the program works without it, but should have it.
    Recommended,
    /// Core functionality: the program does not work without it.
    Required,
}

impl DlopenPriority {
    pub fn as_str(self) -> &'static str {
        match self {
            DlopenPriority::Suggested => "suggested",
            DlopenPriority::Recommended => "recommended",
            DlopenPriority::Required => "required",
        }
    }
}

/// A library the file declares it may `dlopen()` (a `.note.dlopen` entry, the
/// freedesktop.org "ELF dlopen metadata" spec): NEEDED-only tools never see these.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DlopenDependency {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub feature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    pub priority: DlopenPriority,
    /// Alternatives, in order of preference: any one of them is enough.
    pub soname: Vec<String>,
}

/// Everything preflight knows about one ELF file. Its JSON form (`facts_json.rs`) also
/// has `symbols_by_version`, derived from the symbol table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ElfFacts {
    pub class: Class,
    pub endian: Endian,
    /// Readable architecture name, e.g. "x86_64", "aarch64", "ppc64le" (see `machine.rs`).
    pub machine: String,
    /// The raw `e_machine`, for tools that want the number.
    pub e_machine: u16,
    pub kind: Kind,
    /// PT_INTERP: the program interpreter (dynamic loader) the kernel starts.
    pub interpreter: Option<String>,
    pub soname: Option<String>,
    /// DT_NEEDED entries, in file order (that order is the loader's load order).
    pub needed: Vec<String>,
    /// DT_RPATH split on ':'; `$ORIGIN` and friends kept raw, empty entries kept.
    pub rpath: Vec<String>,
    /// DT_RUNPATH split on ':'.
    pub runpath: Vec<String>,
    /// DT_TEXTREL, or DF_TEXTREL in DT_FLAGS: the loader must write into code pages.
    pub textrel: bool,
    /// DF_1_NODEFLIB: the default library directories are not searched for this object.
    pub nodeflib: bool,
    /// The object makes the process stack executable (PT_GNU_STACK with PF_X, or no
    /// PT_GNU_STACK on ports whose default is executable). Relocatable objects: false.
    pub executable_stack: bool,
    /// x86-64 micro-architecture level (1-4) the GNU property note says the code needs
    /// (GNU_PROPERTY_X86_ISA_1_NEEDED, what glibc's loader checks).
    pub x86_isa_level: Option<u8>,
    /// The level of the instructions it contains (GNU_PROPERTY_X86_ISA_1_USED):
    /// run-time dispatched code included, so information, never a requirement.
    pub x86_isa_used: Option<u8>,
    /// `.gnu.version_r`: needed file → the version names needed from it.
    pub version_needs: BTreeMap<String, Vec<VersionName>>,
    /// `.gnu.version_d`: versions this object defines (the VER_FLG_BASE entry, which
    /// only repeats the file's own name, is left out).
    pub version_defs: Vec<VersionName>,
    /// The system the file is for when it is not Linux ("FreeBSD"): from EI_OSABI,
    /// the ABI note or the interpreter.
    pub foreign_os: Option<String>,
    /// Exploit mitigations (executables and shared libraries; not read for trees).
    pub hardening: Option<Hardening>,
    /// With TEXTREL: the dynamic relocations that patch read-only segments (the
    /// first `textrel::LISTED`), and how many there are.
    pub text_relocations: Vec<TextRelocation>,
    pub text_relocation_count: usize,
    /// A relocatable object's relocations: what the link that takes it will face.
    pub relocations: Option<ObjectRelocations>,
    /// The Go toolchain's embedded build information.
    pub go: Option<GoBuildInfo>,
    /// The compilers `.comment` names ("GCC: (Debian 12.2.0-14) 12.2.0",
    /// "rustc version 1.95.0 ...").
    pub compilers: Vec<String>,
    /// A static executable's libc and what it loads at run time anyway.
    pub static_runtime: Option<StaticRuntime>,
    /// The libraries its `.note.dlopen` notes say it may `dlopen()`.
    pub dlopen: Vec<DlopenDependency>,
    /// The whole dynamic symbol table (without the null entry), for binding checks.
    /// Not part of the default JSON (reports add it with `--symbols`).
    pub symbols: SymbolTable,
}

/// A file that is not an ELF file but is a binary all the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OtherBinary {
    /// A static library of relocatable objects.
    Archive(super::archive::ArchiveFacts),
    /// A Mach-O or PE file.
    Foreign(ForeignBinary),
}

impl ElfFacts {
    /// The machine it is for (`e_machine`).
    pub fn arch(&self) -> super::Machine {
        super::Machine::from(self.e_machine)
    }

    /// The rustc version, from `.comment` ("rustc version 1.95.0 (...)").
    pub fn rustc_version(&self) -> Option<&str> {
        self.compilers
            .iter()
            .find_map(|c| c.strip_prefix("rustc version "))
    }

    /// For each needed version, the undefined dynamic symbols that require it, sorted:
    /// read from the symbol table (kept once, not copied for this), so empty when the
    /// table was not read (`Detail::Links`).
    pub fn symbols_by_version(&self) -> BTreeMap<&VersionName, Vec<&str>> {
        // Grouped by the table's version slots first (a few versions, thousands of
        // symbols): comparing version names per symbol was most of the cost. Slots
        // with one name (another file, or hidden) share a group.
        let mut groups: Vec<Group> = Vec::new();
        let group_of: Vec<Option<usize>> = self
            .symbols
            .versions()
            .iter()
            .map(|version| {
                version.file.as_ref()?;
                let known = groups
                    .iter()
                    .position(|(v, _)| v.as_str() == version.name.as_str());
                Some(known.unwrap_or_else(|| {
                    groups.push((&version.name, Vec::new()));
                    groups.len() - 1
                }))
            })
            .collect();
        for (slot, name) in self.symbols.undefined_versioned_slots() {
            if let Some(group) = group_of[slot] {
                groups[group].1.push(name);
            }
        }
        groups.retain(|(_, names)| !names.is_empty());
        // In version order before the map sorts them (which then compares each
        // neighbour once): each name parsed once, not at each of a sort's comparisons.
        let mut keyed: Vec<(&str, Vec<u64>, Group)> = groups
            .into_iter()
            .map(|group| {
                let (family, numbers) = group.0.family_and_numbers();
                (family, numbers, group)
            })
            .collect();
        keyed.sort_by(|(fa, na, (a, _)), (fb, nb, (b, _))| {
            fa.cmp(fb)
                .then_with(|| na.cmp(nb))
                .then_with(|| a.as_str().cmp(b.as_str()))
        });
        let groups = keyed.into_iter().map(|(_, _, group)| group);
        groups
            .into_iter()
            .map(|(version, mut names)| {
                sort_names(&mut names);
                names.dedup();
                (version, names)
            })
            .collect()
    }

    /// The highest version needed from each version family (`GLIBC_2.34`,
    /// `GLIBCXX_3.4.30`, ...): the one line that tells how new a host must be.
    pub fn highest_needed_versions(&self) -> Vec<&VersionName> {
        let mut best: BTreeMap<&str, &VersionName> = BTreeMap::new();
        for name in self.version_needs.values().flatten() {
            let (family, numbers) = name.family_and_numbers();
            if numbers.is_empty() {
                continue;
            }
            let slot = best.entry(family).or_insert(name);
            if name > *slot {
                *slot = name;
            }
        }
        best.into_values().collect()
    }
}

/// A version and the undefined symbols that need it.
type Group<'a> = (&'a VersionName, Vec<&'a str>);

/// Sorts names as `sort_unstable` does, comparing their first eight bytes as one
/// number first (zero-padded: a name holds no NUL, so a shorter prefix still sorts
/// first): most comparisons end there without a `memcmp`.
fn sort_names(names: &mut Vec<&str>) {
    let key = |name: &str| {
        let mut prefix = [0u8; 8];
        let n = name.len().min(8);
        prefix[..n].copy_from_slice(&name.as_bytes()[..n]);
        u64::from_be_bytes(prefix)
    };
    let mut keyed: Vec<(u64, &str)> = names.iter().map(|&n| (key(n), n)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    names.clear();
    names.extend(keyed.into_iter().map(|(_, n)| n));
}

impl ElfFacts {
    /// Facts with nothing in them but what identifies the file's format: for objects
    /// preflight knows of without reading them (libraries a target profile describes).
    pub fn bare(class: Class, endian: Endian, machine: &str, e_machine: u16, kind: Kind) -> Self {
        ElfFacts {
            class,
            endian,
            machine: machine.to_string(),
            e_machine,
            kind,
            interpreter: None,
            soname: None,
            needed: Vec::new(),
            rpath: Vec::new(),
            runpath: Vec::new(),
            textrel: false,
            nodeflib: false,
            executable_stack: false,
            x86_isa_level: None,
            x86_isa_used: None,
            version_needs: BTreeMap::new(),
            version_defs: Vec::new(),
            foreign_os: None,
            hardening: None,
            text_relocations: Vec::new(),
            text_relocation_count: 0,
            relocations: None,
            go: None,
            compilers: Vec::new(),
            static_runtime: None,
            dlopen: Vec::new(),
            symbols: SymbolTable::default(),
        }
    }
}
