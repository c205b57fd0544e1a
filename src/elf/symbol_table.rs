//! The dynamic symbol table of one file, stored compactly: a file like libLLVM has
//! tens of thousands of symbols and a scan of /usr a million, so each symbol is 12
//! bytes plus its name in one shared buffer, and each distinct version is stored once.
//! It serializes as the list of `DynSymbol` objects the JSON contract describes.

use super::facts::{Binding, DynSymbol, SymbolType, SymbolVersion};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Entry {
    name_start: u32,
    name_len: u32,
    /// Index into `versions` plus one; 0 for an unversioned symbol.
    version: u16,
    binding: Binding,
    kind: SymbolType,
    defined: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SymbolTable {
    names: String,
    entries: Vec<Entry>,
    versions: Vec<SymbolVersion>,
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
    pub fn with_capacity(symbols: usize) -> Self {
        SymbolTable {
            names: String::new(),
            entries: Vec::with_capacity(symbols),
            versions: Vec::new(),
        }
    }

    pub fn push(
        &mut self,
        name: &str,
        defined: bool,
        binding: Binding,
        kind: SymbolType,
        version: Option<SymbolVersion>,
    ) {
        let version = match version {
            None => 0,
            Some(v) => match self.versions.iter().position(|known| *known == v) {
                Some(i) => i + 1,
                None => {
                    self.versions.push(v);
                    self.versions.len()
                }
            },
        };
        let name_start = self.names.len() as u32;
        self.names.push_str(name);
        self.entries.push(Entry {
            name_start,
            name_len: name.len() as u32,
            version: u16::try_from(version).unwrap_or(0),
            binding,
            kind,
            defined,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<SymbolRef<'_>> {
        let e = self.entries.get(index)?;
        let start = e.name_start as usize;
        Some(SymbolRef {
            name: self
                .names
                .get(start..start + e.name_len as usize)
                .unwrap_or(""),
            defined: e.defined,
            binding: e.binding,
            kind: e.kind,
            version: (e.version > 0).then(|| &self.versions[e.version as usize - 1]),
        })
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
        let mut table = SymbolTable::with_capacity(symbols.len());
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
}
