//! Files that change while preflight reads them, and paths that are not files at all:
//! one clear answer naming the file, in bounded time, and the scan goes on. Every
//! input is built at run time in a temporary folder.

mod common;

use preflight::elf::{read_binary, Binary, Detail};
use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A file mapped, then cut short before its pages are read (a build still writing
/// it, a package manager replacing it in place): reading a page past the new end of a
/// mapping raises SIGBUS, which killed preflight. Now it is an unreadable file.
#[test]
fn a_file_cut_short_after_it_was_opened_is_changed_while_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app");
    // Two pages: the section headers sit on the second one.
    fs::copy(common::fixture("pie-glibc234"), &path).unwrap();
    assert!(fs::metadata(&path).unwrap().len() > 4096);
    let bytes = preflight::source::read_elf_bytes(&path)
        .unwrap()
        .expect("an ELF file");
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(64)
        .unwrap();
    match read_binary(&bytes, Detail::Full) {
        Binary::Unreadable(reason) => {
            assert!(reason.contains("changed while it was read"), "{reason}")
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
    // A file rewritten in place (same size, new content) is caught by its times.
    fs::copy(common::fixture("pie-glibc234"), &path).unwrap();
    let bytes = preflight::source::read_elf_bytes(&path).unwrap().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let file = OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(b"\x7fELF", 0).unwrap();
    match read_binary(&bytes, Detail::Full) {
        Binary::Unreadable(reason) => {
            assert!(reason.contains("changed while it was read"), "{reason}")
        }
        other => panic!("expected an unreadable file, got {other:?}"),
    }
    // An untouched file reads as before.
    let bytes = preflight::source::read_elf_bytes(&path).unwrap().unwrap();
    assert!(matches!(read_binary(&bytes, Detail::Full), Binary::Elf(_)));
}

/// Copies of an ELF file that a thread keeps cutting to their first page and
/// restoring, while `scan`, `tree` and `inspect` run over them again and again. Before
/// the guard, some runs died of SIGBUS with no report.
#[test]
fn scan_tree_and_inspect_survive_files_shrinking_while_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let dist = dir.path().join("dist");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&dist).unwrap();
    let original = fs::read(common::fixture("static-pie")).unwrap();
    assert!(original.len() > 3 * 4096);
    let paths: Vec<PathBuf> = (0..40)
        .map(|i| {
            let path = dist.join(format!("app{i:02}"));
            fs::write(&path, &original).unwrap();
            path
        })
        .collect();

    let stop = Arc::new(AtomicBool::new(false));
    let cutter = {
        let stop = stop.clone();
        let paths = paths.clone();
        let original = original.clone();
        std::thread::spawn(move || {
            let files: Vec<fs::File> = paths
                .iter()
                .map(|p| OpenOptions::new().write(true).open(p).unwrap())
                .collect();
            let mut cycles = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for file in &files {
                    file.set_len(4096).unwrap();
                }
                for file in &files {
                    file.write_all_at(&original[4096..], 4096).unwrap();
                }
                cycles += 1;
            }
            cycles
        })
    };

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut runs = 0;
    let mut failures = Vec::new();
    let first = paths[0].clone();
    let commands: [Vec<&std::ffi::OsStr>; 3] = [
        vec![
            "scan".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            dist.as_os_str(),
        ],
        vec![
            "tree".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--root".as_ref(),
            root.as_os_str(),
            first.as_os_str(),
        ],
        vec!["inspect".as_ref(), "--format".as_ref(), "json".as_ref()],
    ];
    while Instant::now() < deadline && runs < 120 {
        let mut args = commands[runs % 3].clone();
        if runs % 3 == 2 {
            args.extend(paths.iter().map(|p| p.as_os_str()));
        }
        let out = common::preflight().args(&args).output().unwrap();
        runs += 1;
        if out.status.code().is_none() {
            failures.push(format!(
                "{}: killed ({:?}), stderr: {}",
                args[0].to_string_lossy(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
            failures.push(format!(
                "{}: exit {:?}, no JSON report ({e}); stderr: {}",
                args[0].to_string_lossy(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let cycles = cutter.join().unwrap();
    assert!(cycles > 10, "the files changed only {cycles} times");
    assert!(failures.is_empty(), "{runs} runs: {failures:#?}");
}

/// Creates `levels` nested folders named `d` under `root` (by handle: the path of the
/// deepest is longer than the kernel takes, PATH_MAX) and writes `files` at the given
/// depths.
fn deep_tree(root: &std::path::Path, levels: usize, files: &[(usize, &str, &[u8])]) {
    use std::ffi::CString;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    fs::create_dir_all(root).unwrap();
    let c = |s: &str| CString::new(s).unwrap();
    let open = |at: libc::c_int, name: &str| {
        // SAFETY: a valid path; the descriptor is owned by the OwnedFd.
        let fd = unsafe { libc::openat(at, c(name).as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(fd >= 0, "{}", std::io::Error::last_os_error());
        unsafe { OwnedFd::from_raw_fd(fd) }
    };
    let mut dir = open(libc::AT_FDCWD, root.to_str().unwrap());
    for depth in 0..=levels {
        for (at, name, bytes) in files {
            if *at == depth {
                // SAFETY: as above.
                let fd = unsafe {
                    libc::openat(
                        dir.as_raw_fd(),
                        c(name).as_ptr(),
                        libc::O_WRONLY | libc::O_CREAT,
                        0o755,
                    )
                };
                assert!(fd >= 0);
                let file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
                file.write_all_at(bytes, 0).unwrap();
            }
        }
        if depth < levels {
            // SAFETY: as above.
            assert_eq!(
                unsafe { libc::mkdirat(dir.as_raw_fd(), c("d").as_ptr(), 0o755) },
                0
            );
            dir = open(dir.as_raw_fd(), "d");
        }
    }
}

/// Walked by ever-longer paths, a folder 3,000 levels down (a path of 6,000 bytes)
/// could not be opened ("File name too long"): the walk goes by folder handles.
#[test]
fn a_tree_3000_folders_deep_is_walked_completely() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deep");
    let elf = fs::read(common::fixture("pie-glibc234")).unwrap();
    deep_tree(
        &root,
        3000,
        &[
            (0, "top", &elf),
            (1500, "middle", &elf),
            (3000, "bottom", b"not elf"),
        ],
    );
    let (files, problems) = preflight::source::walk_folder(&root);
    assert!(problems.is_empty(), "{:?}", &problems[..1]);
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.relative.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["bottom", "middle", "top"]);
    assert_eq!(files[0].relative.len(), 3000 * 2 + "bottom".len());

    // And the scan reads the deep ELF file.
    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let out = common::preflight()
        .args(["scan", "--format", "json", "--root"])
        .arg(&empty)
        .arg(&root)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2, "{:?}", report["problems"]);
    assert!(paths.iter().any(|p| p.ends_with("/middle")));
    assert_eq!(report["problems"].as_array().map_or(0, Vec::len), 0);
}

/// A FIFO or a device named on the command line: one error saying what it is, at
/// once (a FIFO opened for reading waits for a writer; /dev/zero never ends).
#[test]
fn inspect_and_tree_of_a_fifo_or_device_say_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let root = dir.path().join("root");
    fs::create_dir_all(&root).unwrap();
    for (path, kind) in [
        (fifo.as_path(), "FIFO"),
        (std::path::Path::new("/dev/zero"), "character device"),
    ] {
        let start = Instant::now();
        let out = common::preflight()
            .arg("inspect")
            .arg(path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(start.elapsed() < Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(kind) && stderr.contains("not a regular file"),
            "inspect {}: {stderr}",
            path.display()
        );
        let out = common::preflight()
            .arg("tree")
            .arg("--root")
            .arg(&root)
            .arg(path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    }
}
