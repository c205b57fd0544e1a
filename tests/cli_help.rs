//! What `--help`, `preflight man` and `preflight completions` tell a user: snapshots of
//! all three (tests/snapshots/cli_help__*.snap; `cargo insta review` after a deliberate
//! change), and checks that they tell the truth.

mod common;

use std::process::Output;

fn preflight(args: &[&str]) -> Output {
    common::preflight().args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Every command path under `preflight`, `help` aside: ["scan"], ["profiles", "show"], ...
fn command_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            walk(sub, next, out);
        }
    }
    let mut out = Vec::new();
    walk(&preflight::cli::cli_command(), Vec::new(), &mut out);
    out
}

#[test]
fn help_of_every_command_is_snapshotted() {
    for path in command_paths() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = preflight(&args);
        assert!(out.status.success(), "{args:?}");
        let name = format!("help_{}", path.join("_"));
        insta::assert_snapshot!(name.trim_end_matches('_'), stdout(&out));
    }
}

#[test]
fn inspect_and_tree_offer_only_the_formats_they_accept() {
    for command in ["inspect", "tree"] {
        let help = stdout(&preflight(&[command, "--help"]));
        for format in ["sarif", "github", "markdown", "cyclonedx"] {
            assert!(!help.contains(format), "{command} --help offers {format}");
        }
        assert!(
            help.contains("- table:") && help.contains("- json:"),
            "{help}"
        );
        let file = common::fixture("pie-glibc234");
        let out = common::preflight()
            .args([command, "--format", "sarif"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("[possible values: table, json]"), "{err}");
    }
    // scan takes every format.
    let help = stdout(&preflight(&["scan", "--help"]));
    for format in ["sarif", "github", "markdown", "cyclonedx"] {
        assert!(help.contains(&format!("- {format}:")), "{help}");
    }
}

#[test]
fn target_completes_every_built_in_profile_and_still_takes_a_file() {
    let names: Vec<String> = preflight::profile::builtin_summaries()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.len() > 30);
    for (shell, option) in [
        ("bash", "--target)"),
        ("zsh", "--target=["),
        ("fish", "-l target "),
    ] {
        let script = stdout(&preflight(&["completions", shell]));
        let at = script
            .find(option)
            .unwrap_or_else(|| panic!("{shell}: no {option}"));
        // The values follow the option: on its line (zsh), the next (bash), or one a
        // line (fish).
        let values = &script[at..(at + 4000).min(script.len())];
        for name in &names {
            assert!(values.contains(name.as_str()), "{shell}: {name} missing");
        }
    }
    // A profile file is not a possible value and is still taken.
    let out = common::preflight()
        .args(["scan", "samples/dist", "--format", "json", "--target"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/profiles"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    // A folder is no profile file: the error is the plan's, about that path, not
    // clap's "invalid value".
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("invalid value"), "{err}");
    assert!(err.contains("samples/profiles"), "{err}");
    // Nor does the help list the 38 names.
    assert!(!stdout(&preflight(&["scan", "--help"])).contains("alpine-3.20"));
}

#[test]
fn completions_are_snapshotted() {
    for shell in ["bash", "zsh", "fish"] {
        let out = preflight(&["completions", shell]);
        assert!(out.status.success());
        insta::assert_snapshot!(format!("completions_{shell}"), stdout(&out));
    }
}

#[test]
fn man_dir_writes_a_page_per_command_with_every_option_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::preflight()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = preflight::cli::cli_command();
    for path in command_paths() {
        let name = if path.is_empty() {
            "preflight.1".to_string()
        } else {
            format!("preflight-{}.1", path.join("-"))
        };
        let page = std::fs::read_to_string(dir.path().join(&name))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every option the command takes, by its long name (roff escapes the dashes).
        let mut cmd = &cli;
        for p in &path {
            cmd = cmd.find_subcommand(p).unwrap();
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let shown = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(page.contains(&shown), "{name} lacks --{long}");
            }
        }
        // Its examples, under EXAMPLES, for every command that has them.
        if cmd
            .get_after_help()
            .is_some_and(|h| h.to_string().starts_with("Example"))
        {
            assert!(page.contains(".SH \"EXAMPLES\""), "{name}");
            assert!(!page.contains("EXTRA"), "{name}");
        }
        insta::assert_snapshot!(format!("man_{}", name.trim_end_matches(".1")), page);
    }
    // The top page names the others, which now exist.
    let top = std::fs::read_to_string(dir.path().join("preflight.1")).unwrap();
    assert!(top.contains("preflight\\-scan(1)"), "{top}");
    // `preflight man` alone still prints the top page.
    assert_eq!(stdout(&preflight(&["man"])), top);
}

#[test]
fn completions_into_a_closed_pipe_end_quietly() {
    // `preflight completions bash | head -1`: the reader goes away before the script is
    // written; clap_complete used to panic on the failed write.
    let mut child = common::preflight()
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
