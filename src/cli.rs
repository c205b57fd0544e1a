//! The command line: clap definitions, and `run`, which turns parsed arguments into
//! library calls and a report. `main.rs` only maps the outcome to an exit code.

use crate::report::{self, Format, TreeEntry};
use crate::resolve::{LibraryHost, Probe, ResolveOptions, Resolver};
use crate::scan::{inspect_file, open_host, scan, FileReport, ScanOptions};
use clap::{Args, Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Check Linux binaries before they are deployed: will they load on the target host?",
    after_help = "Exit codes: 0 no error found, 1 error findings, 2 usage or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where libraries come from and what the process environment would hold.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// The root filesystem the binaries will run in (a folder treated as `/`);
    /// default: this machine's `/`.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// LD_LIBRARY_PATH as the process would have it (folders separated by ':').
    #[arg(long, value_name = "PATH", default_value = "")]
    ld_library_path: String,
    /// glibc-hwcaps subfolders the target CPU supports, best first, comma-separated
    /// (e.g. x86-64-v3,x86-64-v2). Default: none (a baseline CPU).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    hwcaps: Vec<String>,
}

impl HostArgs {
    fn resolve_options(&self) -> ResolveOptions {
        ResolveOptions {
            ld_library_path: self
                .ld_library_path
                .split(':')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            hwcaps: self
                .hwcaps
                .iter()
                .filter(|h| !h.is_empty())
                .cloned()
                .collect(),
        }
    }
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
    /// Check every ELF file under a folder: facts, then whether each one loads on the
    /// host (missing libraries, symbol versions, undefined symbols).
    #[command(
        after_help = "Examples:\n  preflight scan ./dist\n  preflight scan ./dist --root /srv/debian12-rootfs\n  preflight scan --format json ./dist > report.json"
    )]
    Scan {
        /// The folder to scan (symbolic links inside it are not followed).
        dir: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Include the whole dynamic symbol table of each file in JSON output.
        #[arg(long)]
        symbols: bool,
        #[command(flatten)]
        host: HostArgs,
    },
    /// Show the dependency tree of ELF files as the dynamic loader would load it, with
    /// where and how each library was found.
    #[command(
        after_help = "Examples:\n  preflight tree /usr/bin/curl\n  preflight tree dist/bin/app --root /srv/rootfs --format json"
    )]
    Tree {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        host: HostArgs,
    },
}

/// How a run ended, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was read and reported; no error finding.
    Clean,
    /// Findings of severity error (exit code 1).
    Findings,
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
            host,
        } => {
            if !dir.is_dir() {
                anyhow::bail!("{}: not a folder", dir.display());
            }
            let options = ScanOptions {
                root: host.root.clone(),
                resolve: host.resolve_options(),
            };
            let report = scan(&dir, &options).map_err(|e| anyhow::anyhow!("{e}"))?;
            match format {
                Format::Table => report::write_scan_table(out, &report)?,
                Format::Json => report::write_scan_json(out, &report, symbols)?,
            }
            for problem in &report.problems {
                writeln!(err, "preflight: {}: {}", problem.path, problem.message)?;
            }
            Ok(if !report.problems.is_empty() {
                Outcome::InputErrors
            } else if report.has_errors() {
                Outcome::Findings
            } else {
                Outcome::Clean
            })
        }
        Command::Tree {
            files,
            format,
            host,
        } => tree(&files, format, &host, out, err),
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

fn tree(
    files: &[PathBuf],
    format: Format,
    host_args: &HostArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
    let (host, located) =
        open_host(host_args.root.as_deref(), &paths).map_err(|e| anyhow::anyhow!("{e}"))?;
    let resolver = Resolver::new(&host, host_args.resolve_options());
    let mut entries = Vec::new();
    let mut outcome = Outcome::Clean;
    for (file, view_path) in files.iter().zip(&located) {
        let shown = file.display().to_string();
        let entry = match host.probe(view_path) {
            Probe::Found(object) => {
                let resolution = resolver.resolve(object, view_path, &shown);
                let fails = !resolution.missing.is_empty()
                    || resolution.interpreter_missing
                    || !resolution.version_gaps.is_empty()
                    || !resolution.unbound_symbols.is_empty();
                if fails && outcome == Outcome::Clean {
                    outcome = Outcome::Findings;
                }
                TreeEntry::Resolved(Box::new(resolution))
            }
            other => {
                let error = match other {
                    Probe::NotElf => "not an ELF file".to_string(),
                    Probe::Unreadable(reason) | Probe::Error(reason) => reason,
                    Probe::Absent => "no such file".to_string(),
                    Probe::Loop => "symbolic link loop".to_string(),
                    Probe::NotRegular => "not a regular file".to_string(),
                    Probe::Found(_) => unreachable!(),
                };
                writeln!(err, "preflight: {shown}: {error}")?;
                outcome = Outcome::InputErrors;
                TreeEntry::Failed { path: shown, error }
            }
        };
        entries.push(entry);
    }
    match format {
        Format::Table => report::write_tree_table(out, &entries)?,
        Format::Json => report::write_tree_json(out, &entries)?,
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
