//! Every import points down: each top-level module of the library uses only modules
//! below it in the stack documented in src/lib.rs. Read from the sources: every
//! `crate::MODULE` path outside comments.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Bottom first: a module may use the ones before it, never those after.
const STACK: &[&str] = &[
    "text", "yaml", "elf", "rules", "platform", "source", "resolve", "profile", "policy", "report",
    "scan", "cli",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// The top-level modules `module`'s files name as `crate::X`.
fn uses(src: &Path, module: &str) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&src.join(module), &mut files);
    rust_files(&src.join(format!("{module}.rs")), &mut files);
    assert!(!files.is_empty(), "no sources for {module}");
    let mut used = BTreeSet::new();
    for file in files {
        for line in fs::read_to_string(&file).unwrap().lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module {
                    used.insert(name);
                }
            }
        }
    }
    used
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // Every top-level module of lib.rs is in the stack, and only those.
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert_eq!(declared, STACK.iter().copied().collect());
    let mut upward = Vec::new();
    for (level, module) in STACK.iter().enumerate() {
        for used in uses(&src, module) {
            match STACK.iter().position(|m| *m == used) {
                Some(at) if at < level => {}
                Some(_) => upward.push(format!("{module} uses {used}")),
                None => upward.push(format!("{module} uses unknown module {used}")),
            }
        }
    }
    assert!(upward.is_empty(), "imports pointing up: {upward:#?}");
}
