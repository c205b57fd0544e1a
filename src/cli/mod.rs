//! The command line: `args.rs` (clap's view of it), `plan.rs` (what it asks for,
//! resolved once), `commands.rs` (each command run on its plan). `main.rs` only maps
//! the outcome to an exit code.

mod args;
mod commands;
mod manpages;
mod output;
mod plan;
mod progress;
mod values;

pub use args::{Cli, Command, DiffArgs, FailOn, HostArgs, ProfileAction, ScanArgs};
pub use output::{open_output, ReportOutput, UntilClosed};
pub use plan::{CapturePlan, ScanPlan};
pub use values::{TableOrJson, TargetName};

use crate::elf::Detail;
use clap::CommandFactory;
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
    // The report goes to a terminal: colour (unless NO_COLOR) and the terminal's width.
    let terminal = {
        use std::io::IsTerminal;
        cli.output.is_none() && io::stdout().is_terminal()
    };
    let mut silent = io::sink();
    let err: &mut dyn Write = if quiet { &mut silent } else { err };
    match cli.command {
        Command::Inspect {
            files,
            format,
            symbols,
        } => commands::inspect(
            &files,
            format.into(),
            symbols,
            commands::width(terminal),
            out,
            err,
        ),
        Command::Scan(args) => {
            let plan = ScanPlan::new(args)?;
            commands::scan(plan, terminal, quiet, out, err)
        }
        Command::Diff(args) => commands::diff(&args, out, err),
        Command::Profiles { action } => commands::profiles(
            action.unwrap_or(ProfileAction::List),
            commands::width(terminal),
            out,
            err,
        ),
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics when its writer fails, and
            // `preflight completions bash | head` must end quietly (a broken pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "preflight", &mut script);
            out.write_all(&script)?;
            Ok(RunOutcome::Clean)
        }
        Command::Man { dir } => {
            match dir {
                Some(dir) => manpages::write_all(&dir, err)?,
                None => manpages::page(manpages::top()).render(out)?,
            }
            Ok(RunOutcome::Clean)
        }
        Command::Tree {
            files,
            format,
            check_symbols,
            host,
        } => {
            let detail = if check_symbols {
                Detail::Full
            } else {
                Detail::Links
            };
            commands::tree(&files, format.into(), detail, &host, out, err)
        }
    }
}

/// The command line's definition (clap's `Command`), for help, completions and pages.
pub fn cli_command() -> clap::Command {
    Cli::command()
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
