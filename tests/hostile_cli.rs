//! The command line as hostile input: `--output` naming an input, a reader that goes
//! away, paths that are empty, unreadable or links. Every input is built at run time.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A folder `dist` with one program whose loader the empty `root` lacks (an error
/// finding: exit 1), and a docker-archive-like tar next to it.
struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    dist: PathBuf,
    root: PathBuf,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let dist = dir.join("dist");
    let root = dir.join("root");
    fs::create_dir_all(&dist).unwrap();
    fs::create_dir_all(&root).unwrap();
    fs::copy(common::fixture("pie-glibc234"), dist.join("app")).unwrap();
    Setup {
        _dir: tmp,
        dir,
        dist,
        root,
    }
}

fn scan_args(s: &Setup) -> Vec<std::ffi::OsString> {
    vec![
        "scan".into(),
        "--quiet".into(),
        "--root".into(),
        s.root.clone().into(),
        s.dist.clone().into(),
    ]
}

/// `scan dist --output dist/app` replaced the binary with the report; `scan img.tar
/// --output img.tar` emptied the image; `--policy p.yaml --output p.yaml` the policy.
/// Each is refused, naming both paths, and the input is left as it was.
#[test]
fn output_naming_an_input_is_refused_and_the_input_kept() {
    let s = setup();
    let app = fs::read(s.dist.join("app")).unwrap();
    let policy = s.dir.join("policy.yaml");
    fs::write(&policy, "rules: {}\n").unwrap();
    let archive = s.dir.join("img.tar");
    fs::write(&archive, b"not really an image").unwrap();
    let link = s.dir.join("app-link");
    symlink(s.dist.join("app"), &link).unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, PathBuf, PathBuf)> = vec![
        (scan_args(&s), s.dist.join("app"), s.dist.clone()),
        (
            scan_args(&s),
            s.dist.join("new-report.json"),
            s.dist.clone(),
        ),
        (scan_args(&s), link.clone(), s.dist.clone()),
        (
            [
                scan_args(&s),
                vec!["--policy".into(), policy.clone().into()],
            ]
            .concat(),
            policy.clone(),
            policy.clone(),
        ),
        (
            vec!["scan".into(), archive.clone().into()],
            archive.clone(),
            archive.clone(),
        ),
        (
            vec![
                "scan".into(),
                format!("docker-archive:{}", archive.display()).into(),
            ],
            archive.clone(),
            archive.clone(),
        ),
        (
            vec!["inspect".into(), s.dist.join("app").into()],
            s.dist.join("app"),
            s.dist.join("app"),
        ),
    ];
    for (args, output, input) in cases {
        let out = common::preflight()
            .args(&args)
            .arg("--output")
            .arg(&output)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?} -o {output:?}: {stderr}"
        );
        assert!(
            stderr.contains(&output.display().to_string())
                && stderr.contains(&input.display().to_string()),
            "{args:?} -o {output:?}: {stderr}"
        );
        assert_eq!(fs::read(s.dist.join("app")).unwrap(), app);
        assert_eq!(fs::read_to_string(&policy).unwrap(), "rules: {}\n");
        assert_eq!(fs::read(&archive).unwrap(), b"not really an image");
        assert!(!s.dist.join("new-report.json").exists());
    }
    assert_eq!(fs::read_dir(&s.dist).unwrap().count(), 1);
}

/// The report is written beside the output file and renamed over it at the end: a
/// run that fails leaves the old file as it was, a successful one replaces it whole
/// (keeping its permissions), and no temporary file stays behind.
#[test]
fn output_is_replaced_only_by_a_complete_report() {
    let s = setup();
    let report = s.dir.join("report.json");
    fs::write(&report, "the previous report").unwrap();
    fs::set_permissions(&report, fs::Permissions::from_mode(0o640)).unwrap();
    // A run that fails before its report: the previous one stays.
    let out = common::preflight()
        .args(["scan", "--format", "json", "--output"])
        .arg(&report)
        .arg(s.dir.join("no-such-folder"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&report).unwrap(), "the previous report");
    // A complete run replaces it.
    let out = common::preflight()
        .args(scan_args(&s))
        .args(["--format", "json", "--output"])
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(written["files"][0]["path"], "app");
    assert_eq!(
        fs::metadata(&report).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let names: Vec<String> = fs::read_dir(&s.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("preflight-tmp")),
        "{names:?}"
    );
    // A folder that does not exist: said so, naming it.
    let out = common::preflight()
        .args(["inspect", "--output"])
        .arg(s.dir.join("missing/report.json"))
        .arg(s.dist.join("app"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("missing"), "{stderr}");
}

/// `scan ... | head -1` exited 0 where the same scan exits 1: the broken pipe ended
/// the run before its exit status was decided. The reader going away does not change
/// what was found.
#[test]
fn a_closed_pipe_keeps_the_exit_status_of_the_findings() {
    let s = setup();
    // Enough files for a report longer than a pipe's buffer (64 KiB).
    for i in 0..400 {
        fs::copy(
            common::fixture("pie-glibc234"),
            s.dist.join(format!("app{i:03}")),
        )
        .unwrap();
    }
    for format in ["table", "json"] {
        let mut child = common::preflight()
            .args(scan_args(&s))
            .args(["--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one line, then go away as `head -1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        let n = stdout.read(&mut first).unwrap();
        assert!(n > 0);
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "--format {format}: {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }
    // The same through a shell pipeline, as users write it.
    let script = format!(
        "set -o pipefail; {} scan --quiet --root '{}' '{}' | head -1 >/dev/null",
        env!("CARGO_BIN_EXE_preflight"),
        s.root.display(),
        s.dist.display()
    );
    let status = Command::new("bash").args(["-c", &script]).status().unwrap();
    assert_eq!(status.code(), Some(1));
}

/// A report that cannot be written (a full disk: /dev/full) is an error naming where
/// it was going, exit status 2, whether through `--output` or standard output: the
/// buffered writers hold the failure until they flush, and it still surfaces.
#[test]
fn a_report_that_cannot_be_written_is_an_error_naming_where_it_went() {
    let s = setup();
    if !Path::new("/dev/full").exists() {
        return;
    }
    for format in ["json", "table", "sarif"] {
        let out = common::preflight()
            .args(scan_args(&s))
            .args(["--format", format, "--output", "/dev/full"])
            .output()
            .unwrap();
        fails_naming(
            &out,
            format,
            "--output /dev/full: writing the report failed",
        );
        let out = common::preflight()
            .args(scan_args(&s))
            .args(["--format", format])
            .stdout(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        fails_naming(&out, format, "writing the report to standard output failed");
    }
}

/// The scan exited 2 with an error that says where the report was going and why.
fn fails_naming(out: &std::process::Output, format: &str, destination: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "--format {format}: {stderr}");
    assert!(
        stderr.contains(&format!("{destination}: No space left on device")),
        "--format {format}: {stderr}"
    );
}

/// Messages that were Rust debug dumps or named nothing become sentences naming the
/// file: `scan ""` printed "preflight: : ...", `tree MISSING` an error without the path
/// (clap refuses an empty path for `inspect` and `tree`).
#[test]
fn messages_name_the_path_they_are_about() {
    let s = setup();
    let run = |args: &[&std::ffi::OsStr]| {
        let out = common::preflight().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let empty = run(&["scan".as_ref(), "".as_ref()]);
    assert!(!empty.contains("preflight: : "), "{empty}");
    assert!(empty.contains("empty path"), "{empty}");
    let missing = s.dir.join("missing-file");
    for command in ["inspect", "tree"] {
        let stderr = run(&[command.as_ref(), missing.as_os_str()]);
        assert!(
            stderr.contains(&missing.display().to_string()),
            "{command}: {stderr}"
        );
    }
    let stderr = run(&["scan".as_ref(), missing.as_os_str()]);
    assert!(
        stderr.contains("missing-file: no such file or folder"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Error(") && !stderr.contains("Os {"),
        "{stderr}"
    );
}

/// `inspect LINK` refused a link given on the command line ("Too many levels of
/// symbolic links"), where `tree LINK` follows it as the shell would.
#[test]
fn inspect_follows_a_link_named_on_the_command_line() {
    let s = setup();
    let link = s.dir.join("app-link");
    symlink(s.dist.join("app"), &link).unwrap();
    let out = common::preflight()
        .args(["inspect", "--format", "json"])
        .arg(&link)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["path"], link.display().to_string(), "{report}");
    // A link to a FIFO is still not opened.
    let fifo = s.dir.join("fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let to_fifo = s.dir.join("fifo-link");
    symlink(&fifo, &to_fifo).unwrap();
    let out = common::preflight()
        .arg("inspect")
        .arg(&to_fifo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("FIFO") && stderr.contains("not a regular file"),
        "{stderr}"
    );
}

/// `--output` naming a FIFO (or a device such as /dev/null) writes into it, as a shell
/// redirection would: renaming the report over it replaced the FIFO with a regular
/// file, and, run as root, `--output /dev/null` the machine's /dev/null.
#[test]
fn output_into_a_fifo_keeps_the_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let s = setup();
    let fifo = s.dir.join("report.pipe");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    let out = common::preflight()
        .args(["tree", "--format", "json", "--root"])
        .arg(&s.root)
        .arg("--output")
        .arg(&fifo)
        .arg(s.dist.join("app"))
        .output()
        .unwrap();
    // Checked before the reader is waited for: a FIFO replaced by a file is never
    // written, and its reader would wait forever.
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = reader.join().unwrap();
    let written: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(written["path"].as_str().unwrap().ends_with("app"));
}
