//! Images scanned straight from a registry: Debian's docker-registry (the CNCF
//! distribution registry) started on 127.0.0.1 for each test, the fixture images of
//! tests/fixtures/images pushed with skopeo, then scanned by reference, over plain
//! HTTP, TLS with a certificate made here, and htpasswd basic authentication. A scan
//! by reference must find exactly what a scan of the same image on disk finds.
//!
//! scripts/registry-test-setup.sh installs docker-registry and skopeo when they are
//! missing (.ci/run calls it); the tests skip, saying so, only when it cannot.

mod common;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// Whether docker-registry, skopeo and openssl are there, installed if need be (once).
fn tools() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| {
        let present = |tool: &str| {
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let all = || present("docker-registry") && present("skopeo") && present("openssl");
        if all() {
            return true;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/registry-test-setup.sh");
        let status = Command::new("bash").arg(script).status();
        let ok = status.is_ok_and(|s| s.success()) && all();
        if !ok {
            eprintln!(
                "SKIPPED registry tests: docker-registry, skopeo or openssl is not installed and scripts/registry-test-setup.sh could not install them"
            );
        }
        ok
    })
}

/// One registry, stopped and its storage removed when dropped.
struct Registry {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

#[derive(Default)]
struct Setup {
    tls: bool,
    htpasswd: bool,
}

/// A bcrypt hash (cost 4, the lowest: the test stays fast) of PASSWORD.
const USER: &str = "tester";
const PASSWORD: &str = "preflight-test";
const HTPASSWD: &str = "tester:$2b$04$fIbr02KzxT9wZT1WQCB7HOJ6bkDn/kJHRdtbDrrOsyX7DHhi1RcSm\n";

impl Registry {
    fn start(setup: Setup) -> Option<Registry> {
        if !tools() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:0\n  secret: preflight-test\n",
            dir.path().join("data").display()
        );
        if setup.tls {
            make_certificates(dir.path());
            config += &format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.path().join("server.pem").display(),
                dir.path().join("server.key").display()
            );
        }
        if setup.htpasswd {
            std::fs::write(dir.path().join("htpasswd"), HTPASSWD).unwrap();
            config += &format!(
                "auth:\n  htpasswd:\n    realm: preflight-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            );
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // It logs the address it listens on (port 0: the kernel chose a free one).
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let port = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("docker-registry exited before listening");
            };
            if let Some(rest) = line.split("listening on 127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse().unwrap();
            }
        };
        // Keep draining its log so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Some(Registry { child, port, dir })
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes `source` (a skopeo reference) as `name:tag`; `all` keeps every
    /// platform of an index. Returns the manifest's digest.
    fn push(&self, source: &str, name: &str, all: bool, creds: bool) -> String {
        let digest_file = self.dir.path().join("digest");
        let mut command = Command::new("skopeo");
        command
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .arg(format!("--digestfile={}", digest_file.display()));
        if all {
            command.arg("--all");
        }
        if creds {
            command.arg(format!("--dest-creds={USER}:{PASSWORD}"));
        }
        let out = command
            .arg(source)
            .arg(format!("docker://{}/{name}", self.host()))
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo copy {source}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(digest_file)
            .unwrap()
            .trim()
            .to_string()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a certificate for 127.0.0.1 signed by it (openssl).
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(
        dir.join("san.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=preflight test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.cnf",
    ]);
}

fn images() -> PathBuf {
    common::fixtures().join("images")
}

/// `preflight scan ARGS --format json`, with no credentials of the user's in sight.
fn scan(args: &[&str], home: &Path) -> Output {
    let mut command = common::preflight();
    command
        .arg("scan")
        .args(args)
        .args(["--format", "json"])
        .env("HOME", home)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The report's files and findings, without the layers' labels (a layer recompressed
/// on push has another digest) and with the image's name (in messages) made one.
fn essence(out: &Output) -> Value {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed: {}",
        stderr(out)
    );
    let mut report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let root = report["root"].as_str().unwrap_or_default().to_string();
    fn strip(v: &mut Value, root: &str) {
        match v {
            Value::Object(map) => {
                map.remove("layer");
                map.values_mut().for_each(|v| strip(v, root));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| strip(v, root)),
            Value::String(text) if !root.is_empty() => *text = text.replace(root, "IMAGE"),
            _ => {}
        }
    }
    let mut essence = serde_json::json!({
        "files": report["files"].take(),
        "findings": report["findings"].take(),
        "code": out.status.code(),
    });
    strip(&mut essence, &root);
    essence
}

fn local(spec: &str, home: &Path) -> Value {
    essence(&scan(&[spec], home))
}

#[test]
fn plain_http_gzip_zstd_and_docker_v2_images_scan_as_on_disk() {
    let Some(registry) = Registry::start(Setup::default()) else {
        return;
    };
    let home = registry.dir.path();
    let app = images().join("app.oci");
    let on_disk = local(&format!("oci:{}:latest", app.display()), home);
    assert!(
        !on_disk["files"].as_array().unwrap().is_empty(),
        "{on_disk}"
    );
    let digest = registry.push(
        &format!("oci:{}:latest", app.display()),
        "fixture/app:1",
        false,
        false,
    );
    let host = registry.host();
    for reference in [
        format!("registry:{host}/fixture/app:1"),
        format!("docker://{host}/fixture/app:1"),
        format!("registry:{host}/fixture/app@{digest}"),
    ] {
        let out = scan(&[&reference, "--tls-verify=false"], home);
        assert_eq!(essence(&out), on_disk, "{reference}");
    }
    // zstd layers (OCI media type), and docker's v2 schema 2 manifest (skopeo converts a
    // docker-archive to it, gzip-compressing the layers on the way).
    let zstd = images().join("app-zstd.oci");
    registry.push(
        &format!("oci:{}:latest", zstd.display()),
        "fixture/zstd:1",
        false,
        false,
    );
    let out = scan(
        &[
            &format!("registry:{host}/fixture/zstd:1"),
            "--tls-verify=false",
        ],
        home,
    );
    assert_eq!(
        essence(&out),
        local(&format!("oci:{}:latest", zstd.display()), home)
    );
    let docker = images().join("app-docker.tar");
    registry.push(
        &format!("docker-archive:{}", docker.display()),
        "fixture/docker:1",
        false,
        false,
    );
    let out = scan(
        &[
            &format!("registry:{host}/fixture/docker:1"),
            "--tls-verify=false",
        ],
        home,
    );
    assert_eq!(
        essence(&out),
        local(&format!("docker-archive:{}", docker.display()), home)
    );

    // `profile capture` takes the same references: the same profile as from disk.
    let capture = |spec: &str, extra: &[&str]| {
        let out = common::preflight()
            .args(["profiles", "capture", spec, "--name", "captured"])
            .args(extra)
            .env("HOME", home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        // The profile names the source it was captured from.
        String::from_utf8(out.stdout)
            .unwrap()
            .replace(spec, "SOURCE")
    };
    assert_eq!(
        capture(
            &format!("registry:{host}/fixture/app:1"),
            &["--tls-verify=false"]
        ),
        capture(&format!("oci:{}:latest", app.display()), &[])
    );

    // A missing tag: a clear error naming the reference, exit 2.
    let out = scan(
        &[
            &format!("registry:{host}/fixture/app:nope"),
            "--tls-verify=false",
        ],
        home,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("{host}/fixture/app:nope")) && said.contains("404"),
        "{said}"
    );
    // TLS is verified by default: a registry serving plain HTTP is refused.
    let out = scan(&[&format!("registry:{host}/fixture/app:1")], home);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--tls-verify=false"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn tls_is_verified_against_the_trust_store_or_skipped_when_asked() {
    let Some(registry) = Registry::start(Setup {
        tls: true,
        ..Setup::default()
    }) else {
        return;
    };
    let home = registry.dir.path();
    let app = images().join("app.oci");
    registry.push(
        &format!("oci:{}:latest", app.display()),
        "fixture/app:1",
        false,
        false,
    );
    let reference = format!("registry:{}/fixture/app:1", registry.host());
    let on_disk = local(&format!("oci:{}:latest", app.display()), home);
    // A certificate from a CA nobody trusts: refused, with the way out named.
    let out = scan(&[&reference], home);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&reference["registry:".len()..])
            && said.contains("certificate")
            && said.contains("--tls-verify=false"),
        "{said}"
    );
    // The same certificate verified, its CA trusted (SSL_CERT_FILE, as for the
    // system store).
    let mut trusted = common::preflight();
    let trusted = trusted
        .args(["scan", &reference, "--format", "json"])
        .env("HOME", home)
        .env("SSL_CERT_FILE", registry.dir.path().join("ca.pem"))
        .output()
        .unwrap();
    assert_eq!(essence(&trusted), on_disk);
    // Not verified, when asked.
    let out = scan(&[&reference, "--tls-verify=false"], home);
    assert_eq!(essence(&out), on_disk);
}

#[test]
fn basic_auth_from_auth_files_and_clear_refusals() {
    let Some(registry) = Registry::start(Setup {
        htpasswd: true,
        ..Setup::default()
    }) else {
        return;
    };
    let home = registry.dir.path();
    let app = images().join("app.oci");
    registry.push(
        &format!("oci:{}:latest", app.display()),
        "fixture/app:1",
        false,
        true,
    );
    let host = registry.host();
    let reference = format!("registry:{host}/fixture/app:1");
    let on_disk = local(&format!("oci:{}:latest", app.display()), home);
    // No credentials: 401, and how to give some.
    let out = scan(&[&reference, "--tls-verify=false"], home);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains(&format!("{host}/fixture/app:1"))
            && said.contains("401")
            && said.contains("no credentials"),
        "{said}"
    );
    let auth_file = |name: &str, password: &str| {
        use base64::Engine;
        let path = home.join(name);
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        std::fs::write(
            &path,
            serde_json::json!({"auths": {host.clone(): {"auth": auth}}}).to_string(),
        )
        .unwrap();
        path
    };
    // A wrong password: the user and the file it came from are named.
    let wrong = auth_file("wrong.json", "not-the-password");
    let out = scan(
        &[
            &reference,
            "--tls-verify=false",
            "--authfile",
            wrong.to_str().unwrap(),
        ],
        home,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("401") && said.contains(USER) && said.contains("wrong.json"),
        "{said}"
    );
    // The right one, from --authfile, then from docker's config.json in $HOME.
    let right = auth_file("right.json", PASSWORD);
    let out = scan(
        &[
            &reference,
            "--tls-verify=false",
            "--authfile",
            right.to_str().unwrap(),
        ],
        home,
    );
    assert_eq!(essence(&out), on_disk);
    std::fs::create_dir_all(home.join(".docker")).unwrap();
    std::fs::copy(&right, home.join(".docker/config.json")).unwrap();
    let out = scan(&[&reference, "--tls-verify=false"], home);
    assert_eq!(essence(&out), on_disk);
}

#[test]
fn a_multi_platform_index_gives_the_platform_asked_for() {
    let Some(registry) = Registry::start(Setup::default()) else {
        return;
    };
    let home = registry.dir.path();
    let multi = images().join("hostile/multi-platform.oci");
    registry.push(
        &format!("oci:{}:latest", multi.display()),
        "fixture/multi:1",
        true,
        false,
    );
    let reference = format!("registry:{}/fixture/multi:1", registry.host());
    let machine = |out: &Output| -> Value {
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(out)));
        let file = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "/bin/hello")
            .cloned()
            .unwrap_or_else(|| panic!("{report}"));
        file["machine"].clone()
    };
    for (platform, want) in [("linux/arm64", "aarch64"), ("linux/amd64", "x86_64")] {
        let out = scan(
            &[&reference, "--tls-verify=false", "--platform", platform],
            home,
        );
        assert_eq!(machine(&out), want, "{platform}");
        let on_disk = scan(
            &[
                &format!("oci:{}:latest", multi.display()),
                "--platform",
                platform,
            ],
            home,
        );
        assert_eq!(essence(&out), essence(&on_disk), "{platform}");
    }
    // No platform asked for: docker's default, linux/amd64.
    let out = scan(&[&reference, "--tls-verify=false"], home);
    assert_eq!(machine(&out), "x86_64");
    // A platform the image does not have: the ones it has are listed.
    let out = scan(
        &[
            &reference,
            "--tls-verify=false",
            "--platform",
            "linux/s390x",
        ],
        home,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("linux/s390x") && said.contains("linux/amd64, linux/arm64/v8"),
        "{said}"
    );
}
