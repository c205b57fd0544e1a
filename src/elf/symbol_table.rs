//! The dynamic symbol table of one file, stored compactly: a file like libLLVM has
//! tens of thousands of symbols and a scan of /usr a million, so each symbol is 8
//! bytes plus its name in one shared buffer, and each distinct version is stored once.
//! It serializes as the list of `DynSymbol` objects the JSON contract describes.

use super::export_hash::ExportHash;
use super::facts::{Binding, DynSymbol, SymbolType, SymbolVersion};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    /// Where its name starts in `names`; it ends where the next symbol's starts.
    name_start: u32,
    /// Bits 0-2: binding; 3-6: type; 7: defined; 8-31: index into `versions` plus
    /// one, 0 for an unversioned symbol.
    packed: u32,
}

const BINDINGS: [Binding; 5] = [
    Binding::Local,
    Binding::Global,
    Binding::Weak,
    Binding::GnuUnique,
    Binding::Other,
];

const TYPES: [SymbolType; 9] = [
    SymbolType::NoType,
    SymbolType::Object,
    SymbolType::Func,
    SymbolType::Section,
    SymbolType::File,
    SymbolType::Common,
    SymbolType::Tls,
    SymbolType::Ifunc,
    SymbolType::Other,
];

impl Entry {
    fn binding(self) -> Binding {
        BINDINGS[(self.packed & 0b111) as usize]
    }

    fn kind(self) -> SymbolType {
        TYPES[(self.packed >> 3 & 0b1111) as usize]
    }

    fn defined(self) -> bool {
        self.packed & 1 << 7 != 0
    }

    fn version(self) -> usize {
        (self.packed >> 8) as usize
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolTable {
    names: String,
    entries: Vec<Entry>,
    versions: Vec<SymbolVersion>,
    /// The file's own DT_GNU_HASH over these symbols (index `i` here is dynamic
    /// symbol `i + 1`: the null entry is left out), when it had a sound one.
    export_hash: Option<Box<ExportHash>>,
}

/// Hashed without the export hash table, which is derived from what is hashed (equal
/// tables still compare it).
impl std::hash::Hash for SymbolTable {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.names.hash(state);
        self.entries.hash(state);
        self.versions.hash(state);
    }
}

/// One symbol, borrowed from its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolRef<'a> {
    pub name: &'a str,
    pub defined: bool,
    pub binding: Binding,
    pub kind: SymbolType,
    pub version: Option<&'a SymbolVersion>,
}

impl SymbolTable {
    /// Room for `symbols` symbols whose names add up to about `name_bytes` (grown by
    /// doubling, the names of a large library were copied a dozen times).
    pub fn with_capacity(symbols: usize, name_bytes: usize) -> Self {
        SymbolTable {
            names: String::with_capacity(name_bytes),
            entries: Vec::with_capacity(symbols),
            versions: Vec::new(),
            export_hash: None,
        }
    }

    /// Keeps the file's DT_GNU_HASH table for binding's lookups.
    pub(crate) fn set_export_hash(&mut self, hash: ExportHash) {
        self.export_hash = Some(Box::new(hash));
    }

    /// The file's DT_GNU_HASH table, when it had a sound one.
    pub fn export_hash(&self) -> Option<&ExportHash> {
        self.export_hash.as_deref()
    }

    /// The name of symbol `index`.
    pub fn name(&self, index: usize) -> Option<&str> {
        let e = self.entries.get(index)?;
        let end = self
            .entries
            .get(index + 1)
            .map_or(self.names.len(), |next| next.name_start as usize);
        Some(self.names.get(e.name_start as usize..end).unwrap_or(""))
    }

    /// Whether symbol `index` is named `name`, compared without building the symbol.
    pub fn is_named(&self, index: usize, name: &str) -> bool {
        let Some(e) = self.entries.get(index) else {
            return false;
        };
        let end = self
            .entries
            .get(index + 1)
            .map_or(self.names.len(), |next| next.name_start as usize);
        // As bytes: a name is whole characters, so no boundary checks are needed.
        self.names.as_bytes().get(e.name_start as usize..end) == Some(name.as_bytes())
    }

    /// Whether symbol `index` is one binding may bind to: defined, global, weak or
    /// unique, not a section or file symbol.
    pub fn is_export(&self, index: usize) -> bool {
        self.entries.get(index).is_some_and(|&e| {
            e.defined()
                && matches!(
                    e.binding(),
                    Binding::Global | Binding::Weak | Binding::GnuUnique
                )
                && !matches!(e.kind(), SymbolType::Section | SymbolType::File)
        })
    }

    /// The version of symbol `index` (None: unversioned or no such symbol).
    pub fn version_of(&self, index: usize) -> Option<&SymbolVersion> {
        let v = self.entries.get(index)?.version();
        (v > 0).then(|| &self.versions[v - 1])
    }

    /// The names of the undefined symbols, read from the packed entries.
    pub fn undefined_names(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.entries.len())
            .filter(|&i| !self.entries[i].defined())
            .filter_map(|i| self.name(i))
    }

    /// The symbols binding must bind (undefined, global, named), as (index, name).
    pub fn references(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            if e.defined() || e.binding() != Binding::Global {
                return None;
            }
            let name = self.name(i)?;
            (!name.is_empty()).then_some((i, name))
        })
    }

    pub fn push(
        &mut self,
        name: &str,
        defined: bool,
        binding: Binding,
        kind: SymbolType,
        version: Option<SymbolVersion>,
    ) {
        let slot = version.map_or(0, |v| self.version_slot(v));
        self.push_in_slot(name, defined, binding, kind, slot);
    }

    /// Where `version` is kept (from 1; symbols of one version share it), stored on
    /// first use. A reader that knows its symbols' versions by index asks once per
    /// version rather than comparing names for every symbol.
    pub fn version_slot(&mut self, version: SymbolVersion) -> usize {
        match self.versions.iter().position(|known| *known == version) {
            Some(i) => i + 1,
            None => {
                self.versions.push(version);
                self.versions.len()
            }
        }
    }

    /// `push`, with the version given by its `version_slot` (0: unversioned).
    pub fn push_in_slot(
        &mut self,
        name: &str,
        defined: bool,
        binding: Binding,
        kind: SymbolType,
        slot: usize,
    ) {
        // At most 65,535 versions, as when the index was 16 bits wide.
        let version = u16::try_from(slot).unwrap_or(0) as u32;
        // The places in BINDINGS and TYPES (matched: this runs for every symbol).
        let binding = match binding {
            Binding::Local => 0,
            Binding::Global => 1,
            Binding::Weak => 2,
            Binding::GnuUnique => 3,
            Binding::Other => 4,
        };
        let kind = match kind {
            SymbolType::NoType => 0,
            SymbolType::Object => 1,
            SymbolType::Func => 2,
            SymbolType::Section => 3,
            SymbolType::File => 4,
            SymbolType::Common => 5,
            SymbolType::Tls => 6,
            SymbolType::Ifunc => 7,
            SymbolType::Other => 8,
        };
        let name_start = self.names.len() as u32;
        self.names.push_str(name);
        self.entries.push(Entry {
            name_start,
            packed: binding | kind << 3 | u32::from(defined) << 7 | version << 8,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<SymbolRef<'_>> {
        let e = *self.entries.get(index)?;
        let end = self
            .entries
            .get(index + 1)
            .map_or(self.names.len(), |next| next.name_start as usize);
        let version = e.version();
        Some(SymbolRef {
            name: self.names.get(e.name_start as usize..end).unwrap_or(""),
            defined: e.defined(),
            binding: e.binding(),
            kind: e.kind(),
            version: (version > 0).then(|| &self.versions[version - 1]),
        })
    }

    /// The undefined symbols that carry a version, as (the version's place in
    /// `versions()`, name), read from the packed entries without building every
    /// symbol (most are defined or unversioned); grouping by place needs no name
    /// comparison per symbol.
    pub fn undefined_versioned_slots(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            if e.defined() || e.version() == 0 {
                return None;
            }
            let end = self
                .entries
                .get(i + 1)
                .map_or(self.names.len(), |next| next.name_start as usize);
            let name = self.names.get(e.name_start as usize..end).unwrap_or("");
            Some((e.version() - 1, name))
        })
    }

    /// The distinct versions of its symbols, each stored once.
    pub fn versions(&self) -> &[SymbolVersion] {
        &self.versions
    }

    pub fn iter(&self) -> impl Iterator<Item = SymbolRef<'_>> + '_ {
        (0..self.entries.len()).filter_map(|i| self.get(i))
    }

    /// Trims the buffers to their contents once the table is complete.
    pub fn shrink(&mut self) {
        self.names.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.versions.shrink_to_fit();
    }
}

impl SymbolRef<'_> {
    pub fn to_owned(&self) -> DynSymbol {
        DynSymbol {
            name: self.name.to_string(),
            defined: self.defined,
            binding: self.binding,
            kind: self.kind,
            version: self.version.cloned(),
        }
    }
}

impl Serialize for SymbolTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|s| s.to_owned()))
    }
}

impl<'de> Deserialize<'de> for SymbolTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let symbols = Vec::<DynSymbol>::deserialize(deserializer)?;
        let mut table = SymbolTable::with_capacity(symbols.len(), 0);
        for s in symbols {
            table.push(&s.name, s.defined, s.binding, s.kind, s.version);
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::VersionName;

    #[test]
    fn symbols_round_trip_through_json() {
        let mut table = SymbolTable::default();
        let glibc = SymbolVersion {
            name: VersionName::from("GLIBC_2.34"),
            file: Some("libc.so.6".into()),
            hidden: false,
        };
        table.push(
            "__libc_start_main",
            false,
            Binding::Global,
            SymbolType::Func,
            Some(glibc.clone()),
        );
        table.push("main", true, Binding::Global, SymbolType::Func, None);
        table.push(
            "puts",
            false,
            Binding::Global,
            SymbolType::Func,
            Some(glibc),
        );
        assert_eq!(table.versions.len(), 1, "one version stored once");
        let json = serde_json::to_value(&table).unwrap();
        assert_eq!(json[0]["name"], "__libc_start_main");
        assert_eq!(json[0]["version"]["name"], "GLIBC_2.34");
        assert_eq!(json[1]["version"], serde_json::Value::Null);
        let back: SymbolTable = serde_json::from_value(json).unwrap();
        assert_eq!(back, table);
        assert_eq!(back.get(2).unwrap().name, "puts");
    }

    #[test]
    fn every_binding_and_type_is_kept() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
        let mut table = SymbolTable::default();
        for (i, &binding) in BINDINGS.iter().enumerate() {
            for &kind in &TYPES {
                table.push(&format!("s{i}{kind:?}"), i % 2 == 0, binding, kind, None);
            }
        }
        table.push("", true, Binding::Weak, SymbolType::Tls, None);
        let mut symbols = table.iter();
        for (i, &binding) in BINDINGS.iter().enumerate() {
            for &kind in &TYPES {
                let s = symbols.next().unwrap();
                assert_eq!(s.name, format!("s{i}{kind:?}"));
                assert_eq!((s.binding, s.kind, s.defined), (binding, kind, i % 2 == 0));
            }
        }
        let last = symbols.next().unwrap();
        assert_eq!(
            (last.name, last.binding, last.kind),
            ("", Binding::Weak, SymbolType::Tls)
        );
        assert!(symbols.next().is_none());
    }
}
