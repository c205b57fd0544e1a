//! The command line: `args.rs` (clap's view of it), `plan.rs` (what it asks for,
//! resolved once), `commands.rs` (each command run on its plan). `main.rs` only maps
//! the outcome to an exit code.

mod args;
mod commands;
mod output;
mod plan;

pub use args::{Cli, Command, FailOn, HostArgs, ProfileAction, ScanArgs};
pub use output::{open_output, ReportOutput, UntilClosed};
pub use plan::{CapturePlan, ScanPlan};

use crate::elf::Detail;
use clap::CommandFactory;
use plan::table_or_json;
use std::io::{self, Write};

/// How a run ended, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Everything asked for was read and reported; no error finding.
    Clean,
    /// Findings of severity error (exit code 1).
    Findings,
    /// The report was written, but some input could not be read (exit code 2).
    InputErrors,
}

/// Parses nothing: runs what `cli` asks for, writing the report to `out` and messages
/// to `err` (unless `--quiet`).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<RunOutcome> {
    let quiet = cli.quiet;
    let color = {
        use std::io::IsTerminal;
        cli.output.is_none() && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
    };
    let mut silent = io::sink();
    let err: &mut dyn Write = if quiet { &mut silent } else { err };
    match cli.command {
        Command::Inspect {
            files,
            format,
            symbols,
        } => {
            table_or_json(format, "inspect")?;
            commands::inspect(&files, format, symbols, out, err)
        }
        Command::Scan(args) => {
            let plan = ScanPlan::new(args)?;
            commands::scan(plan, color, quiet, out, err)
        }
        Command::Profiles { action } => {
            commands::profiles(action.unwrap_or(ProfileAction::List), out, err)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "preflight", out);
            Ok(RunOutcome::Clean)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(out)?;
            Ok(RunOutcome::Clean)
        }
        Command::Tree {
            files,
            format,
            check_symbols,
            host,
        } => {
            table_or_json(format, "tree")?;
            let detail = if check_symbols {
                Detail::Full
            } else {
                Detail::Links
            };
            commands::tree(&files, format, detail, &host, out, err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        // clap's own checks: no clashing flags or shorts, valid defaults.
        Cli::command().debug_assert();
    }
}
