//! The merged file tree of an image: every path with the layer that last wrote it.

use crate::elf::ElfFacts;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub enum FileContent {
    /// An ELF file: its facts, or why it cannot be read.
    Elf(Result<Arc<ElfFacts>, String>),
    /// An archive, or a Mach-O or PE file.
    Binary(Result<Arc<crate::elf::OtherBinary>, String>),
    /// A configuration file the loader reads (ld.so.conf, musl's path file, ...).
    Text(Arc<str>),
    /// A binary file the loader reads: `/etc/ld.so.cache` (at most the cache limit
    /// and one byte, so that a larger one is known as such).
    Data(Arc<[u8]>),
    /// Anything else: not kept.
    Other,
}

#[derive(Clone, Debug)]
pub enum TreeEntry {
    Dir,
    File(FileContent),
    /// A symbolic link, to this target. (A hard link is stored as the entry it links
    /// to: another name for the same file.)
    Symlink(String),
    /// A character or block device or a FIFO: never opened.
    Special(&'static str),
}

#[derive(Clone, Debug)]
pub struct TreeNode {
    pub entry: TreeEntry,
    /// Index of the layer that wrote it (0 is the bottom layer).
    pub layer: usize,
}

/// Something in a layer that preflight refused or that deserves a word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageNote {
    pub layer: String,
    pub path: String,
    pub message: String,
    /// A device or FIFO entry (listed, never opened): a word about the files checked
    /// only, where an entry that was refused concerns the whole image.
    #[serde(skip)]
    pub device: bool,
}

#[derive(Debug, Default)]
pub struct MergedTree {
    /// Absolute path ("/usr/lib/libz.so.1") → node.
    pub nodes: BTreeMap<String, TreeNode>,
    /// Each layer's label (short digest or name), bottom first.
    pub layers: Vec<String>,
    pub notes: Vec<ImageNote>,
    /// The temporary space used to read its large binaries.
    pub(crate) spill: super::limits::Spill,
}

impl MergedTree {
    pub fn get(&self, path: &str) -> Option<&TreeNode> {
        self.nodes.get(path)
    }

    /// Whether anything lies below `path` (tar archives may omit folder entries).
    pub fn has_children(&self, path: &str) -> bool {
        let prefix = child_prefix(path);
        self.nodes
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&prefix))
    }

    /// The names directly inside `path`, sorted.
    pub fn children(&self, path: &str) -> Vec<String> {
        let prefix = child_prefix(path);
        let mut names: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, _)| p[prefix.len()..].split('/').next().map(str::to_string))
            .collect();
        names.dedup();
        names
    }

    /// Removes `path` and everything below it that a layer below `layer` wrote.
    pub fn remove_below(&mut self, path: &str, layer: usize, keep_self: bool) {
        if !keep_self && self.nodes.get(path).is_some_and(|n| n.layer < layer) {
            self.nodes.remove(path);
        }
        let prefix = child_prefix(path);
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(_, n)| n.layer < layer)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
    }

    /// Every regular file (hard links included) at or below `under`, sorted.
    pub fn files_under(&self, under: &str) -> Vec<(&String, &TreeNode)> {
        let prefix = child_prefix(under);
        self.nodes
            .iter()
            .filter(|(p, _)| under == "/" || p.starts_with(&prefix) || p.as_str() == under)
            .filter(|(_, n)| matches!(n.entry, TreeEntry::File(_)))
            .collect()
    }
}

fn child_prefix(path: &str) -> String {
    if path == "/" {
        "/".into()
    } else {
        format!("{}/", path.trim_end_matches('/'))
    }
}
