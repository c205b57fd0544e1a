//! preflight: check Linux binaries before they are deployed.
//!
//! The pipeline, one module per stage, plain data between stages:
//!
//! `source` (folders and files, an archive or package, an image → the files and a
//! read-only host view) → `elf` (the
//! facts of one file) → `resolve` (the loader simulation against a host) → `profile`
//! (target hosts described) → `policy` (the checks: rules → findings, then levels and
//! waivers) → `report` (the report, and its printers). `scan` runs the pipeline for
//! one source; `cli` turns the command line into a plan and runs it.
//!
//! Every import points down this stack (tests/layering.rs checks it), bottom first:
//!
//! - `text`: untrusted text made safe to show (control characters, bidi marks
//!   escaped; short excerpts for error messages), used by every layer that quotes
//!   what it read;
//! - `yaml`, `elf`: depend on nothing of the crate but `text` (the image source reads
//!   each ELF file's facts as it streams a layer, so `elf` sits below `source`);
//! - `rules`: the rule catalogue and the finding every check makes (a source can
//!   report what it refused; a profile's `rules:` names rules);
//! - `platform`: Docker's platform names and what their ELF files look like;
//! - `source`, `resolve`, `profile`, `policy`, `report`: the stages;
//! - `scan`: the pipeline over the stages; `cli`: the command line.
//!
//! Words used throughout:
//!
//! - **host**: where libraries come from, as the loader would see it (`LibraryHost`):
//!   a root filesystem, an image, or a target profile.
//! - **root**: a root filesystem, a folder seen as `/` (`--root`, `RootView`); in a
//!   report, `root` is the scanned source as the user named it.
//! - **target**: a host described by a profile (`--target`, `policies/hosts/`), not
//!   read from disk.
//! - **platform**: Docker's OS/architecture pair (`linux/arm64`); not glibc's
//!   `$PLATFORM`, which `resolve` expands in search paths.
//! - **tree**: the scanned files (a folder, or the files under `--path` of an image).

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
pub mod text;
pub mod yaml;
