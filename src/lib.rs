//! preflight: check Linux binaries before they are deployed.
//!
//! Pipeline: `source` (what to read) → `elf` (facts of one file) → `scan` (facts of
//! many) → `report` (table, json). `cli` wires the command line to it.

pub mod cli;
pub mod elf;
pub mod platform;
pub mod policy;
pub mod profile;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod scan;
pub mod source;
pub mod yaml;
