//! Values whose possible choices clap shows (help, completions) without restricting
//! them: `--target` takes a built-in profile's name or alias, or a profile file;
//! `--platform` a Docker platform, or a kernel name the plan also accepts.

use crate::platform::Platform;
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

/// `--platform PLATFORM`: any string (the plan names the accepted ones when it is none
/// of them); shells complete Docker's names (`linux/arm64`, ...).
#[derive(Clone, Copy, Debug, Default)]
pub struct PlatformName;

impl TypedValueParser for PlatformName {
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
        Some(Box::new(
            Platform::ALL.iter().map(|p| PossibleValue::new(p.as_str())),
        ))
    }
}

/// The formats of `inspect`, `tree` and `diff`, which print facts or a comparison, not
/// a scan report (the other report formats describe one scan's findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableOrJson {
    /// Human-readable tables.
    Table,
    /// Machine-readable JSON (README, "JSON output").
    Json,
}

impl From<TableOrJson> for Format {
    fn from(format: TableOrJson) -> Format {
        match format {
            TableOrJson::Table => Format::Table,
            TableOrJson::Json => Format::Json,
        }
    }
}
