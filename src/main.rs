use clap::Parser;
use preflight::cli::{is_broken_pipe, run, Cli, Outcome};
use std::io::Write;
use std::process::ExitCode;

/// Exit codes (README, "Exit codes"): 0 no error found, 1 error findings, 2 usage or I/O error.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = run(cli, &mut out, &mut std::io::stderr()).and_then(|o| {
        out.flush()?;
        Ok(o)
    });
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::InputErrors) => ExitCode::from(2),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("preflight: {e:#}");
            ExitCode::from(2)
        }
    }
}
