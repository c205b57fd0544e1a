//! `ElfFacts` as JSON: the documented keys, in their documented order (README, "JSON
//! output"). Written only; nothing reads facts back. `symbols_by_version` is not
//! stored with the facts (on a scan of /usr it would repeat 150,000 names the symbol
//! table already holds): it is derived from the table as it is written.

use super::facts::{Class, DlopenDependency, ElfFacts, Endian, Kind};
use super::hardening::Hardening;
use super::relocations::ObjectRelocations;
use super::textrel::TextRelocation;
use super::toolchain::{GoBuildInfo, StaticRuntime};
use super::version_name::VersionName;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// The keys as written; `symbols` is left out (reports add it with `--symbols`).
#[derive(Serialize)]
struct FactsOut<'a> {
    class: Class,
    endian: Endian,
    machine: &'a str,
    e_machine: u16,
    kind: Kind,
    interpreter: &'a Option<String>,
    soname: &'a Option<String>,
    needed: &'a [String],
    rpath: &'a [String],
    runpath: &'a [String],
    textrel: bool,
    nodeflib: bool,
    executable_stack: bool,
    x86_isa_level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x86_isa_used: Option<u8>,
    version_needs: &'a BTreeMap<String, Vec<VersionName>>,
    version_defs: &'a [VersionName],
    symbols_by_version: BTreeMap<&'a VersionName, Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    foreign_os: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hardening: &'a Option<Hardening>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    text_relocations: &'a Vec<TextRelocation>,
    #[serde(skip_serializing_if = "is_zero")]
    text_relocation_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    relocations: &'a Option<ObjectRelocations>,
    #[serde(skip_serializing_if = "Option::is_none")]
    go: &'a Option<GoBuildInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compilers: &'a Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    static_runtime: &'a Option<StaticRuntime>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dlopen: &'a Vec<DlopenDependency>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Serialize for ElfFacts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        FactsOut {
            class: self.class,
            endian: self.endian,
            machine: &self.machine,
            e_machine: self.e_machine,
            kind: self.kind,
            interpreter: &self.interpreter,
            soname: &self.soname,
            needed: &self.needed,
            rpath: &self.rpath,
            runpath: &self.runpath,
            textrel: self.textrel,
            nodeflib: self.nodeflib,
            executable_stack: self.executable_stack,
            x86_isa_level: self.x86_isa_level,
            x86_isa_used: self.x86_isa_used,
            version_needs: &self.version_needs,
            version_defs: &self.version_defs,
            symbols_by_version: self.symbols_by_version(),
            foreign_os: &self.foreign_os,
            hardening: &self.hardening,
            text_relocations: &self.text_relocations,
            text_relocation_count: self.text_relocation_count,
            relocations: &self.relocations,
            go: &self.go,
            compilers: &self.compilers,
            static_runtime: &self.static_runtime,
            dlopen: &self.dlopen,
        }
        .serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::{Binding, SymbolType, SymbolVersion};
    use super::*;

    fn facts() -> ElfFacts {
        let mut facts = ElfFacts::bare(
            Class::Elf64,
            Endian::Little,
            "x86_64",
            62,
            Kind::PieExecutable,
        );
        facts
            .version_needs
            .insert("libc.so.6".into(), vec!["GLIBC_2.34".into()]);
        let glibc = SymbolVersion {
            name: "GLIBC_2.34".into(),
            file: Some("libc.so.6".into()),
            hidden: false,
        };
        for name in ["puts", "__libc_start_main", "puts"] {
            facts.symbols.push(
                name,
                false,
                Binding::Global,
                SymbolType::Func,
                Some(glibc.clone()),
            );
        }
        facts
            .symbols
            .push("main", true, Binding::Global, SymbolType::Func, None);
        facts
    }

    #[test]
    fn symbols_by_version_is_written_from_the_table() {
        let json = serde_json::to_value(facts()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys.last(), Some(&"symbols_by_version"));
        assert!(!keys.contains(&"symbols"));
        assert_eq!(
            json["symbols_by_version"],
            serde_json::json!({"GLIBC_2.34": ["__libc_start_main", "puts"]})
        );
    }
}
