//! `ElfFacts` as JSON: the documented keys, in their documented order (README, "JSON
//! output"). `symbols_by_version` is not stored with the facts (on a scan of /usr it
//! would repeat 150,000 names the symbol table already holds): it is derived from the
//! table as it is written.

use super::facts::{Binding, Class, ElfFacts, Endian, Kind, SymbolType, SymbolVersion};
use super::hardening::Hardening;
use super::relocations::ObjectRelocations;
use super::symbol_table::SymbolTable;
use super::textrel::TextRelocation;
use super::toolchain::{GoBuildInfo, StaticRuntime};
use super::version_name::VersionName;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
        }
        .serialize(serializer)
    }
}

/// The keys as read back, with the symbol table when the JSON has it.
#[derive(Deserialize)]
struct FactsIn {
    class: Class,
    endian: Endian,
    machine: String,
    e_machine: u16,
    kind: Kind,
    interpreter: Option<String>,
    soname: Option<String>,
    needed: Vec<String>,
    rpath: Vec<String>,
    runpath: Vec<String>,
    textrel: bool,
    nodeflib: bool,
    executable_stack: bool,
    x86_isa_level: Option<u8>,
    version_needs: BTreeMap<String, Vec<VersionName>>,
    version_defs: Vec<VersionName>,
    symbols_by_version: BTreeMap<VersionName, Vec<String>>,
    #[serde(default)]
    foreign_os: Option<String>,
    #[serde(default)]
    hardening: Option<Hardening>,
    #[serde(default)]
    text_relocations: Vec<TextRelocation>,
    #[serde(default)]
    text_relocation_count: usize,
    #[serde(default)]
    relocations: Option<ObjectRelocations>,
    #[serde(default)]
    go: Option<GoBuildInfo>,
    #[serde(default)]
    compilers: Vec<String>,
    #[serde(default)]
    static_runtime: Option<StaticRuntime>,
    #[serde(default)]
    symbols: SymbolTable,
}

impl<'de> Deserialize<'de> for ElfFacts {
    /// JSON written without `--symbols` still says which symbol needs which version:
    /// those references are put back in the (otherwise empty) table, so that
    /// `symbols_by_version` reads the same as what was written. The JSON does not say
    /// whether a reference is weak; they come back global and untyped.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let f = FactsIn::deserialize(deserializer)?;
        let mut symbols = f.symbols;
        if symbols.is_empty() {
            for (version, names) in f.symbols_by_version {
                let file = f
                    .version_needs
                    .iter()
                    .find(|(_, needed)| needed.contains(&version))
                    .map_or_else(|| "".into(), |(file, _)| file.as_str().into());
                let version = SymbolVersion {
                    name: version,
                    file: Some(file),
                    hidden: false,
                };
                for name in names {
                    symbols.push(
                        &name,
                        false,
                        Binding::Global,
                        SymbolType::NoType,
                        Some(version.clone()),
                    );
                }
            }
        }
        Ok(ElfFacts {
            class: f.class,
            endian: f.endian,
            machine: f.machine,
            e_machine: f.e_machine,
            kind: f.kind,
            interpreter: f.interpreter,
            soname: f.soname,
            needed: f.needed,
            rpath: f.rpath,
            runpath: f.runpath,
            textrel: f.textrel,
            nodeflib: f.nodeflib,
            executable_stack: f.executable_stack,
            x86_isa_level: f.x86_isa_level,
            version_needs: f.version_needs,
            version_defs: f.version_defs,
            foreign_os: f.foreign_os,
            hardening: f.hardening,
            text_relocations: f.text_relocations,
            text_relocation_count: f.text_relocation_count,
            relocations: f.relocations,
            go: f.go,
            compilers: f.compilers,
            static_runtime: f.static_runtime,
            symbols,
        })
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn json_without_the_table_reads_back_its_version_references() {
        let json = serde_json::to_string(&facts()).unwrap();
        let back: ElfFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let with_table = serde_json::to_value(facts()).unwrap();
        let mut with_table = with_table.as_object().unwrap().clone();
        with_table.insert(
            "symbols".into(),
            serde_json::to_value(&facts().symbols).unwrap(),
        );
        let back: ElfFacts = serde_json::from_value(with_table.into()).unwrap();
        assert_eq!(back, facts());
    }
}
