//! The command line: clap definitions, and `run`, which turns parsed arguments into
//! library calls and a report. `main.rs` only maps the outcome to an exit code.

use crate::elf::Detail;
use crate::platform::Platform;
use crate::policy::PolicyConfig;
use crate::profile::{builtin_profiles, capture, capture_root, find_profile};
use crate::report::{self, FileReport, Format, TreeResult};
use crate::resolve::{ResolveOptions, Resolver};
use crate::rules::Severity;
use crate::scan::{inspect_file, open_host, scan, scan_image, ScanOptions};
use crate::source::image::{looks_like_image, open_image};
use crate::source::{ImageHost, LibraryHost, Probe};
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Check Linux binaries before they are deployed: will they load on the target host?",
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing but the report: no progress, no messages on standard error.
    #[arg(long, short, global = true)]
    pub quiet: bool,
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
    /// host or on target profiles (missing libraries, symbol versions, architecture,
    /// libc, undefined symbols, and build hygiene rules).
    #[command(
        after_help = "Examples:\n  preflight scan ./dist\n  preflight scan ./dist --target ubuntu-20.04 --target debian-12\n  preflight scan ./dist --target prod.yaml --platform linux/arm64\n  preflight scan ./dist --runs-on\n  preflight scan ./dist --root /srv/debian12-rootfs --format json > report.json"
    )]
    Scan {
        /// A folder (symbolic links inside it are not followed), or a container image: a
        /// `docker save` tarball, an OCI layout folder or archive, also written
        /// `docker-archive:FILE`, `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`.
        #[arg(value_name = "DIR|IMAGE")]
        dir: String,
        /// With an image: check only the files under this path (the whole image still
        /// provides libraries).
        #[arg(long, value_name = "PATH", default_value = "/")]
        path: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Include the whole dynamic symbol table of each file in JSON output.
        #[arg(long)]
        symbols: bool,
        /// A target host: a built-in profile (`preflight profiles`) or a profile file.
        /// Repeatable. Libraries come from the scanned folder first, then the target.
        #[arg(long, value_name = "NAME|FILE")]
        target: Vec<String>,
        /// The platform, Docker's way: linux/amd64 or linux/arm64 (x86_64 and aarch64
        /// are accepted too). Picks the manifest of a multi-platform image and the
        /// targets' architecture (default: the image's, else linux/amd64).
        #[arg(long)]
        platform: Option<String>,
        /// Check against every built-in profile and print where the files run.
        #[arg(long, conflicts_with = "target")]
        runs_on: bool,
        /// Policy file (severities, waivers); default: .preflight.yaml in the folder.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Turn on a rule preset: `hardened` enables the hardening-* rules (PIE, full
        /// RELRO, stack protector, FORTIFY, CET), which are off by default.
        #[arg(long, value_name = "NAME", value_parser = ["hardened"])]
        preset: Vec<String>,
        /// Exit with 1 when a finding is at or above this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        #[command(flatten)]
        host: HostArgs,
    },
    /// List the built-in target profiles, show one, or capture a real root as one.
    #[command(alias = "profile")]
    Profiles {
        #[command(subcommand)]
        action: Option<ProfileAction>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  preflight completions bash > /etc/bash_completion.d/preflight"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff).
    #[command(after_help = "Example:\n  preflight man > preflight.1 && man ./preflight.1")]
    Man,
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
        /// Also bind every undefined symbol, as `ldd -r` does (reads each library's
        /// symbol table, so it is slower).
        #[arg(long)]
        check_symbols: bool,
        #[command(flatten)]
        host: HostArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// List the built-in profiles (the default).
    List,
    /// Print one profile's YAML, with the sources of its facts.
    Show { name: String },
    /// Write a profile read off a root filesystem: its loader, libc and every library
    /// on the loader's search path with its exact version definitions.
    #[command(
        after_help = "Example:\n  preflight profile capture /srv/prod-rootfs -o prod.yaml\n  preflight profile capture docker-archive:prod.tar -o prod.yaml\n  preflight scan ./dist --target prod.yaml"
    )]
    Capture {
        /// A root folder, or a container image (as `scan` takes it).
        #[arg(value_name = "ROOT|IMAGE")]
        root: String,
        #[arg(long)]
        platform: Option<String>,
        /// The profile's name (default: ID-VERSION_ID-captured from os-release).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn fails(self, worst: Option<Severity>) -> bool {
        let Some(worst) = worst else { return false };
        match self {
            FailOn::Error => worst >= Severity::Error,
            FailOn::Warning => worst >= Severity::Warning,
            FailOn::Note => true,
            FailOn::Never => false,
        }
    }
}

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
            inspect(&files, format, symbols, out, err)
        }
        Command::Scan {
            dir,
            path,
            format,
            symbols,
            target,
            platform,
            runs_on,
            policy,
            preset,
            fail_on,
            host,
        } => {
            let platform = platform
                .map(|p| {
                    Platform::parse(&p).ok_or_else(|| {
                        anyhow::anyhow!(
                            "unknown platform `{p}`, expected one of {}",
                            Platform::all_names()
                        )
                    })
                })
                .transpose()?;
            let source = Source::open(&dir, platform, &path)?;
            let platform = platform
                .or_else(|| source.platform().and_then(Platform::parse))
                .unwrap_or_default();
            let targets = if runs_on {
                builtin_profiles()
                    .into_iter()
                    .filter(|p| p.profile.platform(platform).is_some())
                    .collect()
            } else {
                target
                    .iter()
                    .map(|t| find_profile(t).map_err(|e| anyhow::anyhow!(e)))
                    .collect::<anyhow::Result<Vec<_>>>()?
            };
            let progress = (!quiet).then(progress_bar);
            let options = ScanOptions {
                root: host.root.clone(),
                resolve: host.resolve_options(),
                targets,
                platform,
                policy: {
                    let mut policy = load_policy(policy.as_deref(), source.folder())?;
                    for name in &preset {
                        policy.enable_preset(name).map_err(|e| anyhow::anyhow!(e))?;
                    }
                    policy
                },
                sbom: format == Format::Cyclonedx,
                progress: progress.as_ref().map(|(_, tick)| tick.clone()),
            };
            let report = source.scan(&options).map_err(|e| anyhow::anyhow!("{e}"));
            if let Some((bar, _)) = progress {
                bar.finish_and_clear();
            }
            let report = report?;
            if runs_on {
                table_or_json(format, "scan --runs-on")?;
                let matrix = crate::policy::RunsOn::from_findings(
                    report.files.iter().map(|f| (f.path.as_str(), f.facts())),
                    &report.findings,
                    &options.targets,
                    platform,
                );
                match format {
                    Format::Json => report::write_runs_on_json(out, &matrix)?,
                    _ => report::write_runs_on_table(out, &matrix)?,
                }
            } else {
                match format {
                    Format::Table => report::write_scan_table(out, &report, color)?,
                    Format::Json => report::write_scan_json(out, &report, symbols)?,
                    Format::Sarif => report::write_sarif(out, &report)?,
                    Format::Github => report::write_github(out, &report)?,
                    Format::Markdown => report::write_markdown(out, &report)?,
                    Format::Cyclonedx => report::write_cyclonedx(out, &report)?,
                }
            }
            if !quiet {
                for problem in &report.problems {
                    writeln!(err, "preflight: {}: {}", problem.path, problem.message)?;
                }
            }
            Ok(if !report.problems.is_empty() {
                RunOutcome::InputErrors
            } else if !runs_on && fail_on.fails(report.worst()) {
                RunOutcome::Findings
            } else {
                RunOutcome::Clean
            })
        }
        Command::Profiles { action } => profiles(action.unwrap_or(ProfileAction::List), out, err),
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
            tree(&files, format, detail, &host, out, err)
        }
    }
}

fn inspect(
    files: &[PathBuf],
    format: Format,
    symbols: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    let mut reports: Vec<FileReport> = Vec::new();
    let mut outcome = RunOutcome::Clean;
    for path in files {
        let shown = path.display().to_string();
        match inspect_file(path, &shown) {
            Ok(Some(report)) => reports.push(report),
            Ok(None) => {
                writeln!(err, "preflight: {shown}: not an ELF file")?;
                outcome = RunOutcome::InputErrors;
            }
            Err(e) => {
                writeln!(err, "preflight: {shown}: {e}")?;
                outcome = RunOutcome::InputErrors;
            }
        }
    }
    match format {
        Format::Json => report::write_inspect_json(out, &reports, symbols)?,
        _ => report::write_inspect_table(out, &reports)?,
    }
    Ok(outcome)
}

fn tree(
    files: &[PathBuf],
    format: Format,
    detail: Detail,
    host_args: &HostArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();
    let (host, located) =
        open_host(host_args.root.as_deref(), &paths).map_err(|e| anyhow::anyhow!("{e}"))?;
    let host = host.with_detail(detail);
    let resolver = Resolver::new(&host, host_args.resolve_options());
    let mut entries = Vec::new();
    let mut outcome = RunOutcome::Clean;
    for (file, view_path) in files.iter().zip(&located) {
        let shown = file.display().to_string();
        let entry = match host.probe(view_path) {
            Probe::Found(object) => {
                let resolution = resolver.resolve(object, view_path, &shown);
                let fails = !resolution.missing.is_empty()
                    || resolution.interpreter_missing
                    || !resolution.version_gaps.is_empty()
                    || !resolution.unbound_symbols.is_empty();
                if fails && outcome == RunOutcome::Clean {
                    outcome = RunOutcome::Findings;
                }
                TreeResult::Resolved(Box::new(resolution))
            }
            other => {
                let error = match other {
                    Probe::NotElf => "not an ELF file".to_string(),
                    Probe::Other(_) => {
                        "not an ELF file (an archive, Mach-O or PE file)".to_string()
                    }
                    Probe::Unreadable(reason) | Probe::Error(reason) => reason,
                    Probe::Absent => "no such file".to_string(),
                    Probe::Loop => "symbolic link loop".to_string(),
                    Probe::NotRegular => "not a regular file".to_string(),
                    Probe::Found(_) => unreachable!(),
                };
                writeln!(err, "preflight: {shown}: {error}")?;
                outcome = RunOutcome::InputErrors;
                TreeResult::Failed { path: shown, error }
            }
        };
        entries.push(entry);
    }
    match format {
        Format::Json => report::write_tree_json(out, &entries)?,
        _ => report::write_tree_table(out, &entries)?,
    }
    Ok(outcome)
}

/// What `scan` reads: a folder or an opened image.
enum Source {
    Folder(PathBuf),
    Image(Box<ImageHost>),
}

impl Source {
    fn open(spec: &str, platform: Option<Platform>, path: &str) -> anyhow::Result<Source> {
        if looks_like_image(spec) {
            let image = open_image(spec, platform.map(Platform::os_arch))
                .map_err(|e| anyhow::anyhow!("{spec}: {e}"))?;
            return Ok(Source::Image(Box::new(ImageHost::new(image, path))));
        }
        let dir = PathBuf::from(spec);
        if !dir.is_dir() {
            anyhow::bail!("{spec}: neither a folder nor a container image");
        }
        if path != "/" {
            anyhow::bail!(
                "--path selects files of an image; scan the folder {spec}/{path} instead"
            );
        }
        Ok(Source::Folder(dir))
    }

    fn platform(&self) -> Option<&str> {
        match self {
            Source::Image(host) => host.image().platform.as_deref(),
            Source::Folder(_) => None,
        }
    }

    /// Where `.preflight.yaml` is looked for.
    fn folder(&self) -> Option<&std::path::Path> {
        match self {
            Source::Folder(dir) => Some(dir),
            Source::Image(_) => None,
        }
    }

    fn scan(&self, options: &ScanOptions) -> std::io::Result<crate::report::ScanReport> {
        match self {
            Source::Folder(dir) => scan(dir, options),
            Source::Image(host) => scan_image(host, options),
        }
    }
}

/// The policy: `--policy FILE`, else `.preflight.yaml` at the scanned folder's root,
/// else the defaults. A policy with errors stops the run, listing every error.
fn load_policy(
    explicit: Option<&std::path::Path>,
    dir: Option<&std::path::Path>,
) -> anyhow::Result<PolicyConfig> {
    let path = match (explicit, dir) {
        (Some(p), _) => p.to_path_buf(),
        (None, None) => return Ok(PolicyConfig::default()),
        (None, Some(dir)) => {
            let default = dir.join(".preflight.yaml");
            if !default.is_file() {
                return Ok(PolicyConfig::default());
            }
            default
        }
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    PolicyConfig::parse(&text, &path.display().to_string()).map_err(|errors| {
        anyhow::anyhow!(
            "invalid policy file:\n{}",
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn profiles(
    action: ProfileAction,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    match action {
        ProfileAction::List => report::write_profiles_table(out, &builtin_profiles())?,
        ProfileAction::Show { name } => {
            let loaded = find_profile(&name).map_err(|e| anyhow::anyhow!(e))?;
            out.write_all(loaded.text.as_bytes())?;
        }
        ProfileAction::Capture {
            root,
            platform,
            name,
        } => {
            let platform = platform
                .map(|p| {
                    Platform::parse(&p).ok_or_else(|| anyhow::anyhow!("unknown platform `{p}`"))
                })
                .transpose()?;
            let profile = match Source::open(&root, platform, "/")? {
                Source::Folder(dir) => {
                    capture_root(&dir, platform.unwrap_or_default(), name.as_deref())
                }
                Source::Image(host) => {
                    let platform = platform
                        .or_else(|| host.image().platform.as_deref().and_then(Platform::parse))
                        .unwrap_or_default();
                    capture(host.as_ref(), &root, platform, name.as_deref())
                }
            }
            .map_err(|e| anyhow::anyhow!(e))?;
            let text = crate::yaml::to_yaml(&profile).map_err(|e| anyhow::anyhow!("{e}"))?;
            write!(
                out,
                "# Captured by preflight {} from {root}.\n# Check builds against it: preflight scan DIR --target THIS_FILE\n{text}",
                env!("CARGO_PKG_VERSION"),
            )?;
            let count: usize = profile.platforms.values().map(|p| p.libraries.len()).sum();
            writeln!(err, "captured {} ({count} libraries)", profile.name)?;
        }
    }
    Ok(RunOutcome::Clean)
}

/// Where the report goes: `--output FILE`, else standard output.
pub fn open_output(cli: &Cli) -> io::Result<Box<dyn Write>> {
    Ok(match &cli.output {
        Some(path) => Box::new(io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

/// A progress line on standard error for scans that take more than a moment: hidden
/// at first, shown after half a second, never when standard error is not a terminal
/// (indicatif's stderr target checks that).
fn progress_bar() -> (indicatif::ProgressBar, crate::scan::Progress) {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::sync::atomic::{AtomicBool, Ordering};
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{spinner} reading {pos} files ({per_sec})") {
        bar.set_style(style);
    }
    let started = std::time::Instant::now();
    let shown = AtomicBool::new(false);
    let handle = bar.clone();
    let tick = move || {
        handle.inc(1);
        if !shown.load(Ordering::Relaxed)
            && started.elapsed() > std::time::Duration::from_millis(500)
        {
            shown.store(true, Ordering::Relaxed);
            handle.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    (bar, crate::scan::Progress(std::sync::Arc::new(tick)))
}

/// Formats other than table and json describe a scan; other commands refuse them.
fn table_or_json(format: Format, command: &str) -> anyhow::Result<()> {
    match format {
        Format::Table | Format::Json => Ok(()),
        other => anyhow::bail!(
            "--format {other:?} is for `preflight scan`; `{command}` prints table or json"
        ),
    }
}

/// True when writing failed because the reader went away (`preflight ... | head`),
/// which is not an error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
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
