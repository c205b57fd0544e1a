//! `--output FILE`: where the report goes, written so that no input is ever lost.
//!
//! The report is written to a temporary file beside FILE and renamed over it once it
//! is complete: a run that fails leaves FILE as it was, and FILE is never truncated
//! while something may still read it. Before anything runs, FILE is refused when it
//! is one of the inputs (the image archive, a policy or profile file, a file given to
//! `inspect` or `tree`) or lies inside the scanned folder or OCI layout: `scan img.tar
//! --output img.tar` emptied the image, `scan dist --output dist/app` replaced the
//! binary and then left it out of the report.

use super::args::{Cli, Command, ProfileAction};
use crate::text::escape;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where the report goes: standard output, or a temporary file renamed over
/// `--output FILE` by `finish`.
pub enum ReportOutput {
    Stdout(UntilClosed<BufWriter<io::Stdout>>),
    File {
        writer: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
    },
    /// `--output` naming something that is not a regular file (`/dev/null`, a FIFO,
    /// `/dev/stdout`): written in place, as a shell redirection would. Renaming a
    /// file over it replaced the device: run as root, `--output /dev/null` turned
    /// the machine's /dev/null into a regular file.
    Device {
        writer: BufWriter<fs::File>,
        path: PathBuf,
    },
}

impl ReportOutput {
    /// A failed write, saying where the report was going: a full disk or a closed
    /// device said "No space left on device" and nothing more.
    fn failed(&self, error: io::Error) -> io::Error {
        let message = match self {
            ReportOutput::Stdout(_) => {
                format!("writing the report to standard output failed: {error}")
            }
            ReportOutput::File { path, .. } | ReportOutput::Device { path, .. } => format!(
                "--output {}: writing the report failed: {error}",
                escape(&path.display().to_string())
            ),
        };
        io::Error::new(error.kind(), message)
    }
}

impl Write for ReportOutput {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match self {
            ReportOutput::Stdout(w) => w.write(buf),
            ReportOutput::File { writer, .. } => writer.write(buf),
            ReportOutput::Device { writer, .. } => writer.write(buf),
        };
        result.map_err(|e| self.failed(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let result = match self {
            ReportOutput::Stdout(w) => w.write_all(buf),
            ReportOutput::File { writer, .. } => writer.write_all(buf),
            ReportOutput::Device { writer, .. } => writer.write_all(buf),
        };
        result.map_err(|e| self.failed(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = match self {
            ReportOutput::Stdout(w) => w.flush(),
            ReportOutput::File { writer, .. } => writer.flush(),
            ReportOutput::Device { writer, .. } => writer.flush(),
        };
        result.map_err(|e| self.failed(e))
    }
}

/// A pipe written until its reader goes away (`preflight scan ... | head -1`), then
/// no more: what is left is dropped, and the run ends as it would have, its exit
/// status saying what was found (a broken pipe made it 0 whatever the findings).
pub struct UntilClosed<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> UntilClosed<W> {
    pub fn new(inner: W) -> UntilClosed<W> {
        UntilClosed {
            inner,
            closed: false,
        }
    }

    fn absorb<T>(&mut self, result: io::Result<T>, instead: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(instead)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for UntilClosed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.absorb(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.absorb(result, ())
    }
}

/// How an input of the command is used, for the refusal.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Read as a file: the output may not be it.
    File,
    /// Scanned as a whole (a folder, an OCI layout): the output may not lie in it.
    Tree,
}

/// `--output FILE` checked against the command's inputs and opened as a temporary
/// file beside it; standard output without `--output`.
pub fn open_output(cli: &Cli) -> anyhow::Result<ReportOutput> {
    let Some(path) = &cli.output else {
        return Ok(ReportOutput::Stdout(UntilClosed::new(BufWriter::new(
            io::stdout(),
        ))));
    };
    let shown = escape(&path.display().to_string()).into_owned();
    if path.as_os_str().is_empty() {
        anyhow::bail!("--output: give the path of the file to write the report to");
    }
    let existing = fs::metadata(path).ok();
    if existing.as_ref().is_some_and(|m| m.is_dir()) {
        anyhow::bail!("--output {shown}: a folder; give the path of a file to write the report to");
    }
    let name = path.file_name().ok_or_else(|| {
        anyhow::anyhow!("--output {shown}: give the path of a file, not of a folder")
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let folder = fs::canonicalize(&parent).map_err(|e| {
        anyhow::anyhow!(
            "--output {shown}: cannot write there, the folder {} ({e})",
            escape(&parent.display().to_string())
        )
    })?;
    let target = folder.join(name);
    // Where a link at `path` leads: replacing the link leaves that file alone, but a
    // report path that leads into what is read is a mistake all the same.
    let resolved = existing.as_ref().and_then(|_| fs::canonicalize(path).ok());
    for (input, role) in inputs(&cli.command) {
        let Ok(canonical) = fs::canonicalize(&input) else {
            continue;
        };
        let same_file = existing.as_ref().is_some_and(|out| {
            fs::metadata(&canonical).is_ok_and(|m| m.dev() == out.dev() && m.ino() == out.ino())
        });
        let inside = role == Role::Tree
            && (target.starts_with(&canonical)
                || resolved.as_ref().is_some_and(|r| r.starts_with(&canonical)));
        if same_file || target == canonical || inside {
            let input_shown = escape(&input.display().to_string()).into_owned();
            anyhow::bail!(
                "--output {shown} {} {input_shown}, which this command reads: write the report elsewhere",
                if inside && !same_file && target != canonical {
                    "lies inside"
                } else {
                    "is"
                }
            );
        }
    }
    if existing.as_ref().is_some_and(|m| !m.is_file()) {
        let device = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("--output {shown}: {e}"))?;
        return Ok(ReportOutput::Device {
            writer: BufWriter::new(device),
            path: path.clone(),
        });
    }
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".preflight-tmp")
        .tempfile_in(&folder)
        .map_err(|e| anyhow::anyhow!("--output {shown}: cannot create a file beside it: {e}"))?;
    // A report replacing a file keeps its permissions; a new one gets the usual ones
    // (the temporary file is created private, 0600).
    let mode = match &existing {
        Some(meta) => meta.permissions().mode() & 0o7777,
        None => 0o666 & !umask(),
    };
    temporary
        .as_file_mut()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| anyhow::anyhow!("--output {shown}: {e}"))?;
    Ok(ReportOutput::File {
        writer: BufWriter::new(temporary),
        path: path.clone(),
    })
}

impl ReportOutput {
    /// Flushes the report and, for `--output FILE`, renames it over FILE.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            mut output @ (ReportOutput::Stdout(_) | ReportOutput::Device { .. }) => {
                Ok(output.flush()?)
            }
            ReportOutput::File { writer, path } => {
                let shown = escape(&path.display().to_string()).into_owned();
                let temporary = writer.into_inner().map_err(|e| {
                    anyhow::anyhow!("--output {shown}: writing the report failed: {}", e.error())
                })?;
                temporary.as_file().sync_all().map_err(|e| {
                    anyhow::anyhow!("--output {shown}: writing the report failed: {e}")
                })?;
                temporary.persist(&path).map_err(|e| {
                    anyhow::anyhow!(
                        "--output {shown}: the report was written to {}, but could not replace {shown}: {}",
                        escape(&e.file.path().display().to_string()),
                        e.error
                    )
                })?;
                Ok(())
            }
        }
    }
}

/// The process's file mode creation mask (read by setting it and setting it back,
/// before any thread runs).
fn umask() -> u32 {
    // SAFETY: umask only sets the mask and returns the previous one.
    unsafe {
        let mask = libc::umask(0o022);
        libc::umask(mask);
        mask as u32
    }
}

/// The paths the command reads, and how.
fn inputs(command: &Command) -> Vec<(PathBuf, Role)> {
    let mut all = Vec::new();
    match command {
        Command::Scan(args) => {
            for dir in &args.dir {
                let path = source_path(dir);
                let role = if path.is_dir() {
                    Role::Tree
                } else {
                    Role::File
                };
                all.push((path, role));
            }
            all.extend(args.policy.iter().map(|p| (p.clone(), Role::File)));
            all.extend(
                args.target
                    .iter()
                    .map(|t| (PathBuf::from(t), Role::File))
                    .filter(|(p, _)| p.is_file()),
            );
        }
        Command::Inspect { files, .. } | Command::Tree { files, .. } => {
            all.extend(files.iter().map(|f| (f.clone(), Role::File)));
        }
        Command::Profiles {
            action: Some(ProfileAction::Capture { root, .. }),
        } => {
            // A root is read, not listed: only an image archive given as the root is
            // an input the report could replace.
            let path = source_path(root);
            if !path.is_dir() {
                all.push((path, Role::File));
            }
        }
        _ => {}
    }
    all
}

/// The file or folder a source specification names: the path of `docker-archive:`,
/// `oci:` and `oci-archive:` (without the `:TAG`), else the specification itself.
fn source_path(spec: &str) -> PathBuf {
    for transport in ["docker-archive:", "oci:", "oci-archive:"] {
        if let Some(rest) = spec.strip_prefix(transport) {
            let path = rest.split_once(':').map_or(rest, |(p, _)| p);
            return PathBuf::from(path);
        }
    }
    Path::new(spec).to_path_buf()
}
