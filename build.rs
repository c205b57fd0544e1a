//! Embeds the built-in host data (policies/hosts/<profile>/, made by policies/regen/)
//! into the binary, so it never reads the repository (or anything else) for it at run
//! time. Each folder's `profile.yaml` is embedded as text (it is small and every
//! `profiles list` reads them all); its other files (the base images' library lists and
//! the repository map) are compressed with zstd, one stream per file, so that a scan
//! decompresses only the files of the profiles and platform it checks against.
//!
//! Sizes measured on the data of 2026-12-06: 3.59 MB of text, 224 KB of it
//! profile.yaml; the rest is 672 KB once compressed (policies/README.md, Sizes).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// zstd's level for the embedded files: the highest of the normal range. It costs a
/// few seconds of build time once and only decompression speed matters at run time,
/// which does not depend on the level.
const LEVEL: i32 = 19;

fn main() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("policies/hosts");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from(
        "/// Every folder of policies/hosts/, by name: its profile.yaml and its other files\n\
         /// (name, zstd stream).\npub static HOSTS: &[HostFolder] = &[\n",
    );
    for folder in sorted_entries(&root).into_iter().filter(|p| p.is_dir()) {
        println!("cargo:rerun-if-changed={}", folder.display());
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let header = folder.join("profile.yaml");
        println!("cargo:rerun-if-changed={}", header.display());
        code.push_str(&format!(
            "    HostFolder {{\n        name: {name:?},\n        profile: include_str!({:?}),\n        files: &[\n",
            header.display().to_string()
        ));
        let packed = out.join("hosts").join(&name);
        fs::create_dir_all(&packed).unwrap();
        for file in sorted_entries(&folder) {
            let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
            if file_name == "profile.yaml" || !file.is_file() {
                continue;
            }
            println!("cargo:rerun-if-changed={}", file.display());
            let text = fs::read(&file).unwrap();
            let compressed = zstd::bulk::compress(&text, LEVEL).unwrap();
            let target = packed.join(format!("{file_name}.zst"));
            fs::write(&target, compressed).unwrap();
            code.push_str(&format!(
                "            ({file_name:?}, include_bytes!({:?})),\n",
                target.display().to_string()
            ));
        }
        code.push_str("        ],\n    },\n");
    }
    code.push_str("];\n");
    fs::write(out.join("builtin_hosts.rs"), code).unwrap();
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}
