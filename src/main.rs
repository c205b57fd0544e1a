use clap::Parser;
use preflight::cli::{open_output, run, Cli, RunOutcome, UntilClosed};
use std::process::ExitCode;

/// musl's allocator serialises threads on one lock and returns memory eagerly: the
/// static release binaries scanned 1.7x slower with it (Cargo.toml says where).
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's defaults keep freed memory for a second and commit whole arenas: peak
/// memory on /usr went from 90 to 185 MB. Freed pages are purged at once and arenas
/// committed as used (89 MB, no slower). The numbers are the `mi_option_e` entries of
/// the mimalloc v3 that libmimalloc-sys 0.1.49 (pinned in Cargo.toml) builds
/// (include/mimalloc.h); the crate's own constants follow v2's order.
#[cfg(target_env = "musl")]
fn tune_allocator() {
    const ARENA_EAGER_COMMIT: libc::c_int = 4;
    const PURGE_DELAY: libc::c_int = 15;
    // SAFETY: mi_option_set stores a number in mimalloc's option table; any option
    // index below _mi_option_last is valid.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

/// Exit codes (README, "Exit codes"): 0 nothing at or above --fail-on, 1 findings at
/// or above it, 2 usage or input error.
fn main() -> ExitCode {
    #[cfg(target_env = "musl")]
    tune_allocator();
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
