//! Paths of the committed fixtures (built by tests/fixtures/build.sh).
#![allow(dead_code)]

use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures().join("bin").join(name)
}

pub fn preflight() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
}

/// `preflight scan ARGS --format json`, parsed (the scan's standard error in the panic
/// when its output is not JSON).
pub fn scan_json(args: &[&str]) -> serde_json::Value {
    let out = preflight()
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}
