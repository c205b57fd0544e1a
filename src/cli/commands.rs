//! What each command does with its plan: read, check, write the report.

use super::args::{DiffArgs, HostArgs, ProfileAction};
use super::plan::{CapturePlan, ScanPlan};
use super::progress::progress_bar;
use super::values::TableOrJson;
use super::RunOutcome;
use crate::elf::Detail;
use crate::policy::RunsOn;
use crate::profile::{builtin_summaries, capture, find_profile, find_profile_for};
use crate::report::{self, FileReport, Format, TreeResult};
use crate::resolve::{JdkHome, Resolver};
use crate::scan::scan as scan_source;
use crate::source::{open_host, read_binary_file, LibraryHost, Probe};
use std::io::Write;
use std::path::PathBuf;

/// How wide a table may be: the terminal's when the report goes to one; else (a pipe,
/// `--output FILE` even typed at a terminal) no line is wrapped.
pub(super) fn width(terminal: bool) -> report::Width {
    if terminal {
        report::Width::Terminal
    } else {
        report::Width::Unlimited
    }
}

/// `preflight scan`: the plan's source through the pipeline, then the report in the
/// plan's format.
pub(super) fn scan(
    mut plan: ScanPlan,
    terminal: bool,
    quiet: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    let progress = (!quiet).then(progress_bar);
    plan.options.progress = progress.as_ref().map(|(_, tick)| tick.clone());
    let report =
        scan_source(plan.source.as_ref(), &plan.options).map_err(|e| anyhow::anyhow!("{e}"));
    if let Some((bar, _)) = progress {
        bar.finish_and_clear();
    }
    let mut report = report?;
    if let Some(baseline) = &plan.baseline {
        report.apply_baseline(baseline);
    }
    if plan.runs_on {
        let mut matrices = vec![RunsOn::from_findings(
            report.files.iter().map(|f| (f.path.as_str(), f.facts())),
            &report.findings,
            &plan.options.targets,
            plan.options.platform,
        )];
        // Files of several architectures: each checked against its own platform's
        // targets, one matrix per platform.
        for &platform in &plan.more_platforms {
            let mut options = plan.options.clone();
            options.platform = platform;
            options.targets = super::plan::runs_on_targets(platform)?;
            options.progress = None;
            let more =
                scan_source(plan.source.as_ref(), &options).map_err(|e| anyhow::anyhow!("{e}"))?;
            matrices.push(RunsOn::from_findings(
                more.files.iter().map(|f| (f.path.as_str(), f.facts())),
                &more.findings,
                &options.targets,
                platform,
            ));
        }
        if matrices.len() > 1 {
            let platforms: Vec<String> = matrices.iter().map(|m| m.platform.to_string()).collect();
            for matrix in &mut matrices {
                matrix.note = Some(format!(
                    "the files are built for {} platforms ({}): each file is judged against its own platform's targets",
                    platforms.len(),
                    platforms.join(", ")
                ));
            }
        }
        match plan.format {
            Format::Json if matrices.len() == 1 => report::write_runs_on_json(out, &matrices[0])?,
            Format::Json => report::write_runs_on_json_list(out, &matrices)?,
            _ => {
                for (i, matrix) in matrices.iter().enumerate() {
                    if i > 0 {
                        writeln!(out)?;
                    }
                    report::write_runs_on_table(out, matrix, width(terminal))?;
                }
            }
        }
    } else {
        match plan.format {
            Format::Table => {
                let layout = report::Layout {
                    color: terminal && std::env::var_os("NO_COLOR").is_none(),
                    width: width(terminal),
                    verbose: plan.verbose,
                    show_waived: plan.show_waived,
                    fail_at: plan.fail_on.threshold(),
                };
                report::write_scan_table(out, &report, &layout)?
            }
            Format::Json => report::write_scan_json(out, &report, plan.symbols)?,
            Format::Sarif => report::write_sarif(out, &report)?,
            Format::Github => report::write_github(out, &report)?,
            Format::Markdown => report::write_markdown(out, &report, plan.show_waived)?,
            Format::Cyclonedx => report::write_cyclonedx(out, &report)?,
        }
    }
    for problem in &report.problems {
        writeln!(
            err,
            "preflight: {}: {}",
            crate::text::escape(&problem.path),
            crate::text::escape(&problem.message)
        )?;
    }
    Ok(if !report.problems.is_empty() {
        RunOutcome::InputErrors
    } else if !plan.runs_on && plan.fail_on.fails(report.worst()) {
        RunOutcome::Findings
    } else {
        RunOutcome::Clean
    })
}

/// `preflight diff`: each side read as a saved report or scanned with the same
/// options, then compared.
pub(super) fn diff(
    args: &DiffArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    let mut problems = false;
    let mut side = |name: &str| -> anyhow::Result<serde_json::Value> {
        let path = std::path::Path::new(name);
        if path.is_file() {
            // A saved report; anything else that is a file (an image archive) is
            // scanned.
            let saved = std::fs::read(path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .filter(report::is_scan_report);
            if let Some(value) = saved {
                return Ok(value);
            }
        }
        let plan = ScanPlan::new(args.scan_args(name))?;
        let scanned =
            scan_source(plan.source.as_ref(), &plan.options).map_err(|e| anyhow::anyhow!("{e}"))?;
        for problem in &scanned.problems {
            writeln!(
                err,
                "preflight: {name}: {}: {}",
                problem.path, problem.message
            )?;
            problems = true;
        }
        let mut json = Vec::new();
        report::write_scan_json(&mut json, &scanned, false)?;
        Ok(serde_json::from_slice(&json)?)
    };
    let old = side(&args.old)?;
    let new = side(&args.new)?;
    let diff = report::ReportDiff::between(&args.old, &old, &args.new, &new);
    match args.format {
        TableOrJson::Json => report::write_diff_json(out, &diff)?,
        TableOrJson::Table => report::write_diff_table(out, &diff)?,
    }
    Ok(if problems {
        RunOutcome::InputErrors
    } else if args.fail_on.fails(diff.worst()) {
        RunOutcome::Findings
    } else {
        RunOutcome::Clean
    })
}

/// A path from the command line as messages show it: escaped, and an empty one said
/// to be empty (it printed "preflight: : no such file").
fn named(path: &std::path::Path) -> String {
    if path.as_os_str().is_empty() {
        "\"\" (an empty path)".to_string()
    } else {
        crate::text::escape(&path.display().to_string()).into_owned()
    }
}

pub(super) fn inspect(
    files: &[PathBuf],
    format: Format,
    symbols: bool,
    width: report::Width,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    let mut reports: Vec<FileReport> = Vec::new();
    let mut outcome = RunOutcome::Clean;
    for path in files {
        let shown = path.display().to_string();
        match read_binary_file(path) {
            Ok(binary) => match FileReport::read(&shown, binary) {
                Some(report) => reports.push(report),
                None => {
                    writeln!(err, "preflight: {}: not an ELF file", named(path))?;
                    outcome = RunOutcome::InputErrors;
                }
            },
            Err(e) => {
                writeln!(err, "preflight: {}: {e}", named(path))?;
                outcome = RunOutcome::InputErrors;
            }
        }
    }
    match format {
        Format::Json => report::write_inspect_json(out, &reports, symbols)?,
        _ => report::write_inspect_table(out, &reports, width)?,
    }
    Ok(outcome)
}

pub(super) fn tree(
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
                // A JDK's library is loaded in its VM's process (resolve/process.rs).
                let jvm = JdkHome::of_library(&host, view_path)
                    .and_then(|jdk| jdk.process(&resolver, &jdk.jvm, None));
                let resolution = resolver.resolve_in(object, view_path, &shown, None, jvm.as_ref());
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
                writeln!(err, "preflight: {}: {error}", named(file))?;
                outcome = RunOutcome::InputErrors;
                TreeResult::Failed { path: shown, error }
            }
        };
        entries.push(entry);
    }
    // Written whole: serde_json and the table write a few bytes at a time, and each
    // write through `out` (a trait object over a BufWriter) cost more than the bytes
    // (a third of a 50-binary tree's instructions).
    let mut text = Vec::with_capacity(64 << 10);
    match format {
        Format::Json => report::write_tree_json(&mut text, &entries)?,
        _ => report::write_tree_table(&mut text, &entries)?,
    }
    out.write_all(&text)?;
    // No teardown: the trees and every file's facts are freed by the exit that
    // follows, not one allocation at a time (a tenth of a small tree's time).
    std::mem::forget(entries);
    drop(resolver);
    std::mem::forget(host);
    Ok(outcome)
}

pub(super) fn profiles(
    action: ProfileAction,
    width: report::Width,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<RunOutcome> {
    match action {
        ProfileAction::List => report::write_profiles_table(out, &builtin_summaries(), width)?,
        ProfileAction::Show {
            name,
            libraries: false,
            ..
        } => {
            let loaded = find_profile(&name).map_err(|e| anyhow::anyhow!(e))?;
            out.write_all(loaded.text.as_bytes())?;
        }
        ProfileAction::Show {
            name,
            libraries: true,
            platform,
        } => {
            let (loaded, platforms) = match super::plan::parse_platform(platform.as_deref())? {
                Some(p) => {
                    let loaded = find_profile_for(&name, p).map_err(|e| anyhow::anyhow!(e))?;
                    if loaded.profile.platform(p).is_none() {
                        let have: Vec<&str> = loaded
                            .profile
                            .platforms
                            .keys()
                            .map(String::as_str)
                            .collect();
                        anyhow::bail!(
                            "{} has no platform {p} (it has {})",
                            loaded.profile.name,
                            have.join(", ")
                        );
                    }
                    (loaded, vec![p])
                }
                None => {
                    let loaded = find_profile(&name).map_err(|e| anyhow::anyhow!(e))?;
                    let all = loaded.profile.described_platforms();
                    (loaded, all)
                }
            };
            report::write_profile_libraries(out, &loaded, &platforms)?;
        }
        ProfileAction::Capture {
            root,
            platform,
            name,
            registry,
        } => {
            let plan = CapturePlan::new(root, platform, name, &registry.access())?;
            let host = plan.source.as_root()?;
            let profile = capture(&*host, &plan.origin, plan.platform, plan.name.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?;
            let root = &plan.origin;
            let text = crate::yaml::to_yaml(&profile).map_err(|e| anyhow::anyhow!("{e}"))?;
            write!(
                out,
                "# Captured by preflight {} from {root}.\n# Check builds against it: preflight scan DIR --target THIS_FILE\n{text}",
                env!("CARGO_PKG_VERSION"),
            )?;
            let count: usize = profile.platforms.values().map(|p| p.libraries.len()).sum();
            let libraries = crate::text::count(count, "library", "libraries");
            writeln!(err, "captured {} ({libraries})", profile.name)?;
        }
    }
    Ok(RunOutcome::Clean)
}
