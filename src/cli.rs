//! The command line: clap definitions, and `run`, which turns parsed arguments into
//! library calls and a report. `main.rs` only maps the outcome to an exit code.

use crate::report::{self, Format};
use crate::scan::{inspect_file, scan_folder, FileReport};
use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Check Linux binaries before they are deployed: will they load on the target host?",
    after_help = "Exit codes: 0 ran fine, 1 policy failures (reserved), 2 usage or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the loader facts of ELF files: arch, interpreter, NEEDED, RPATH/RUNPATH,
    /// symbol-version needs and definitions.
    #[command(
        after_help = "Examples:\n  preflight inspect target/release/myapp\n  preflight inspect --format json dist/lib/*.so"
    )]
    Inspect {
        /// ELF files to inspect.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Include the whole dynamic symbol table in JSON output.
        #[arg(long)]
        symbols: bool,
    },
    /// Inspect every ELF file under a folder.
    #[command(
        after_help = "Examples:\n  preflight scan ./dist\n  preflight scan --format json ./dist > facts.json"
    )]
    Scan {
        /// The folder to scan (symbolic links inside it are not followed).
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Include the whole dynamic symbol table of each file in JSON output.
        #[arg(long)]
        symbols: bool,
    },
}

/// How a run ended, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was read and reported.
    Clean,
    /// The report was written, but some input could not be read (exit code 2).
    InputErrors,
}

pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Inspect {
            files,
            format,
            symbols,
        } => inspect(&files, format, symbols, out, err),
        Command::Scan {
            dir,
            format,
            symbols,
        } => {
            if !dir.is_dir() {
                anyhow::bail!("{}: not a folder", dir.display());
            }
            let report = scan_folder(&dir);
            match format {
                Format::Table => report::write_scan_table(out, &report)?,
                Format::Json => report::write_scan_json(out, &report, symbols)?,
            }
            for problem in &report.problems {
                writeln!(err, "preflight: {}: {}", problem.path, problem.message)?;
            }
            Ok(if report.problems.is_empty() {
                Outcome::Clean
            } else {
                Outcome::InputErrors
            })
        }
    }
}

fn inspect(
    files: &[PathBuf],
    format: Format,
    symbols: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let mut reports: Vec<FileReport> = Vec::new();
    let mut outcome = Outcome::Clean;
    for path in files {
        let shown = path.display().to_string();
        match inspect_file(path, &shown) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {
                writeln!(err, "preflight: {shown}: not an ELF file")?;
                outcome = Outcome::InputErrors;
            }
            Err(e) => {
                writeln!(err, "preflight: {shown}: {e}")?;
                outcome = Outcome::InputErrors;
            }
        }
    }
    match format {
        Format::Table => report::write_inspect_table(out, &reports)?,
        Format::Json => report::write_inspect_json(out, &reports, symbols)?,
    }
    Ok(outcome)
}

/// True when writing failed because the reader went away (`preflight ... | head`),
/// which is not an error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
