//! `preflight man`: a manual page per command, rendered by clap_mangen from the same
//! definitions as `--help`. Each command's help ends with its examples, which become
//! the page's EXAMPLES section (clap_mangen would print them under "EXTRA"); the exit
//! codes of the top-level help become EXIT STATUS.

use anyhow::Context;
use clap::Command;
use std::io::{self, Write};
use std::path::Path;

/// One command's page.
pub struct Page {
    man: clap_mangen::Man,
    extra: Option<(String, Vec<String>)>,
    see_also: Option<String>,
    has_options: bool,
    has_subcommands: bool,
    has_version: bool,
}

/// The page of `cmd`, a command as `Cli::command()` builds it (or one of its
/// subcommands, once the parent is built: their names are then `preflight-scan`, ...).
pub fn page(mut cmd: Command) -> Page {
    cmd.build();
    let extra = cmd.get_after_help().map(|help| section(&help.to_string()));
    let see_also = cmd
        .get_display_name()
        .filter(|name| name.contains('-'))
        .map(|name| name.rsplit_once('-').unwrap().0.to_string());
    let has_options = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_version = cmd.get_version().is_some();
    let cmd = cmd.after_help(None::<&str>).after_long_help(None::<&str>);
    Page {
        man: clap_mangen::Man::new(cmd).source(concat!("preflight ", env!("CARGO_PKG_VERSION"))),
        extra,
        see_also,
        has_options,
        has_subcommands,
        has_version,
    }
}

/// The heading and lines of an `after_help` text: "Examples:" and the commands under
/// it, or the exit codes.
fn section(text: &str) -> (String, Vec<String>) {
    if text.starts_with("Exit codes:") {
        return ("EXIT STATUS".into(), vec![text.to_string()]);
    }
    let lines = text
        .lines()
        .skip_while(|l| l.starts_with("Example"))
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    ("EXAMPLES".into(), lines)
}

/// Roff text for a line shown as typed: no hyphenation, dashes as dashes, and no line
/// read as a request.
fn escape(line: &str) -> String {
    let text = line.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with('.') || text.starts_with('\'') {
        format!("\\&{text}")
    } else {
        text
    }
}

impl Page {
    pub fn render(&self, out: &mut dyn Write) -> io::Result<()> {
        self.man.render_title(out)?;
        self.man.render_name_section(out)?;
        self.man.render_synopsis_section(out)?;
        self.man.render_description_section(out)?;
        if self.has_options {
            self.man.render_options_section(out)?;
        }
        if self.has_subcommands {
            self.man.render_subcommands_section(out)?;
        }
        if let Some((heading, lines)) = &self.extra {
            writeln!(out, ".SH \"{heading}\"")?;
            if heading == "EXAMPLES" {
                writeln!(out, ".nf")?;
                for line in lines {
                    writeln!(out, "{}", escape(line))?;
                }
                writeln!(out, ".fi")?;
            } else {
                for line in lines {
                    writeln!(out, "{}", escape(line))?;
                }
            }
        }
        if let Some(parent) = &self.see_also {
            writeln!(out, ".SH \"SEE ALSO\"\n\\fB{}\\fR(1)", escape(parent))?;
        }
        if self.has_version {
            self.man.render_version_section(out)?;
        }
        Ok(())
    }
}

/// The top-level command as the pages describe it: without clap's `help` subcommand,
/// which has no page of its own.
pub fn top() -> Command {
    super::cli_command().disable_help_subcommand(true)
}

/// `preflight man --dir DIR`: preflight.1 and a page per command and subcommand,
/// `help` aside; one line on `err` naming what was written.
pub fn write_all(dir: &Path, err: &mut dyn Write) -> anyhow::Result<()> {
    let mut cmd = top();
    cmd.build();
    let mut written = Vec::new();
    write_tree(&cmd, dir, &mut written)?;
    writeln!(
        err,
        "preflight: wrote {} manual pages to {}: {}",
        written.len(),
        dir.display(),
        written.join(", ")
    )?;
    Ok(())
}

fn write_tree(cmd: &Command, dir: &Path, written: &mut Vec<String>) -> anyhow::Result<()> {
    let name = format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name()));
    let path = dir.join(&name);
    let mut file = io::BufWriter::new(
        std::fs::File::create(&path).with_context(|| format!("{}", path.display()))?,
    );
    page(cmd.clone()).render(&mut file)?;
    file.flush()
        .with_context(|| format!("{}", path.display()))?;
    written.push(name);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub, dir, written)?;
    }
    Ok(())
}
