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
