//! Turning finished results into text. No other stage prints; every printer writes a
//! complete report to any `Write`.

mod json;
mod matrix;
mod table;
mod tree;

pub use json::{write_inspect_json, write_scan_json};
pub use matrix::{write_profiles_table, write_runs_on_json, write_runs_on_table};
pub use table::{write_inspect_table, write_scan_table};
pub use tree::{write_tree_json, write_tree_table, TreeEntry};

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable tables.
    Table,
    /// Machine-readable JSON (the documented contract, see README).
    Json,
}
