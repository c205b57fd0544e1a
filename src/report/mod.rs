//! The finished report (`model.rs`: what a scan found, as plain data) and turning it
//! into text. No other stage prints; every printer writes a complete report to any
//! `Write`.

mod baseline;
mod cyclonedx;
mod diff;
mod github;
mod groups;
mod json;
mod layout;
mod markdown;
mod matrix;
mod model;
mod profiles;
mod requirements;
mod sarif;
mod scan;
mod table;
pub mod text;
mod tree;
mod tree_json;

pub use baseline::{fingerprint_of_json, Baseline};
pub use cyclonedx::write_cyclonedx;
pub use diff::{is_scan_report, write_diff_json, write_diff_table, ReportDiff};
pub use github::{escape_data, escape_property, write_github};
pub use json::{write_inspect_json, write_scan_json};
pub use layout::{Layout, Width};
pub use markdown::write_markdown;
pub use matrix::{write_runs_on_json, write_runs_on_json_list, write_runs_on_table};
pub use model::{Dependency, FileReport, HostRequirement, Need, Outcome, ScanReport, Summary};
pub use profiles::{write_profile_libraries, write_profiles_table};
pub use sarif::write_sarif;
pub use scan::write_scan_table;
pub use table::write_inspect_table;
pub use tree::{write_tree_json, write_tree_table, TreeResult};

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// Machine-readable JSON (schemas/scan-report.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// A Markdown summary for $GITHUB_STEP_SUMMARY.
    Markdown,
    /// A CycloneDX 1.5 JSON SBOM of the scanned binaries.
    Cyclonedx,
}
