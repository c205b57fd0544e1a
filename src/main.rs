use clap::Parser;
use preflight::cli::{open_output, run, Cli, RunOutcome, UntilClosed};
use std::process::ExitCode;

/// Exit codes (README, "Exit codes"): 0 nothing at or above --fail-on, 1 findings at
/// or above it, 2 usage or input error.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = open_output(&cli).and_then(|mut out| {
        let outcome = run(cli, &mut out, &mut UntilClosed::new(std::io::stderr()))?;
        out.finish()?;
        Ok(outcome)
    });
    match result {
        Ok(RunOutcome::Clean) => ExitCode::SUCCESS,
        Ok(RunOutcome::Findings) => ExitCode::from(1),
        Ok(RunOutcome::InputErrors) => ExitCode::from(2),
        Err(e) => {
            eprintln!("preflight: {e:#}");
            ExitCode::from(2)
        }
    }
}
