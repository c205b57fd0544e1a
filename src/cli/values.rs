//! Values whose possible choices clap shows (help, completions) without restricting
//! them: `--target` takes a built-in profile's name or alias, or a profile file.

use crate::profile::{folders, quick_aliases};
use crate::report::Format;
use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use std::ffi::OsStr;

/// `--target NAME|FILE`: any string (a file path is checked when the plan loads it);
/// its possible values, which shells complete, are the built-in profiles' names, each
/// with its aliases. Read off the embedded headers only when clap asks (help,
/// completions), never on an ordinary run.
#[derive(Clone, Copy, Debug, Default)]
pub struct TargetName;

impl TypedValueParser for TargetName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(folders().iter().map(|f| {
            PossibleValue::new(f.name).aliases(quick_aliases(f.profile))
        })))
    }
}

/// The formats of `inspect` and `tree`, which print facts, not a scan report (the
/// other report formats describe findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FactsFormat {
    /// Human-readable tables.
    Table,
    /// Machine-readable JSON (README, "JSON output").
    Json,
}

impl From<FactsFormat> for Format {
    fn from(format: FactsFormat) -> Format {
        match format {
            FactsFormat::Table => Format::Table,
            FactsFormat::Json => Format::Json,
        }
    }
}
