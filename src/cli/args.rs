//! The command line as clap parses it: the arguments as typed, validated only as far
//! as clap can (ripgrep's LowArgs). `plan.rs` turns them into what to do.

use super::values::{PlatformName, TableOrJson, TargetName};
use crate::report::Format;
use crate::resolve::ResolveOptions;
use crate::rules::{Rule, Severity};
use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Check Linux binaries before they are deployed: will they load on the target host?",
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print nothing but the report: no progress, no messages on standard error.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// `preflight scan`'s arguments, as typed (the plan resolves them: `plan.rs`).
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A folder (symbolic links inside it are not followed), a file (an ELF file, a
    /// `.o` or `.a`; its folder is its `$ORIGIN`), an archive or package (tar, zip,
    /// wheel, npm .tgz, .deb, .rpm, AppImage), or a container image: a `docker save`
    /// tarball, an OCI layout folder or archive, also written `docker-archive:FILE`,
    /// `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, or an image in a registry:
    /// `registry:HOST/REPO[:TAG|@sha256:DIGEST]` (or `docker://…`;
    /// `registry:ubuntu:24.04` is Docker Hub's). Several folders and files are one scan.
    #[arg(value_name = "DIR|FILE|IMAGE", required = true)]
    pub dir: Vec<String>,
    /// With an image: check only the files under this path (the whole image still
    /// provides libraries).
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub path: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Include the whole dynamic symbol table of each file in JSON output.
    #[arg(long)]
    pub symbols: bool,
    /// A target host: a built-in profile (`preflight profiles` lists them; shells
    /// complete their names) or a profile file. Repeatable. Libraries come from the
    /// scanned folder first, then the target.
    #[arg(long, value_name = "NAME|FILE", value_parser = TargetName, hide_possible_values = true)]
    pub target: Vec<String>,
    /// The platform, Docker's way: linux/amd64, linux/arm64, linux/arm/v7, linux/386,
    /// linux/ppc64le, linux/s390x or linux/riscv64 (kernel names such as x86_64 and
    /// aarch64 are accepted too). Picks the manifest of a multi-platform image and the
    /// targets' architecture (default: the image's, else linux/amd64). Each built-in
    /// profile describes the platforms its release ships (`preflight profiles`).
    #[arg(long, value_parser = PlatformName, hide_possible_values = true)]
    pub platform: Option<String>,
    /// Check against every built-in profile and print where the files run.
    #[arg(long, conflicts_with = "target")]
    pub runs_on: bool,
    /// Policy file (severities, waivers, linkage assertions); default: .preflight.yaml
    /// in the folder.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Turn on a rule preset: `hardened` enables the hardening-* rules (PIE, full
    /// RELRO, stack protector, FORTIFY, CET), which are off by default.
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(Rule::presets()))]
    pub preset: Vec<String>,
    /// Exit with 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// An earlier report (`scan --format json` or `--format sarif`): fail only on
    /// findings it does not have (matched by their stable fingerprints); the others
    /// are listed apart.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,
    /// List the findings the policy's waivers silenced, with their reasons (table and
    /// Markdown; JSON and SARIF always carry them).
    #[arg(long)]
    pub show_waived: bool,
    /// Table: list every file and every finding in full (by default a long list is
    /// folded by folder and cut short, and each rule's why and fix is said once).
    #[arg(long, short)]
    pub verbose: bool,
    #[command(flatten)]
    pub host: HostArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How to reach a registry (`registry:` images), as podman spells it.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Verify the registry's TLS certificate against the system's trust store;
    /// `--tls-verify=false` accepts any certificate and a registry serving plain HTTP.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls_verify: bool,
    /// The auth file (podman's auth.json or docker's config.json) to read credentials
    /// from; default: $REGISTRY_AUTH_FILE, else podman's, then docker's.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
}

impl RegistryArgs {
    pub fn access(&self) -> crate::source::RegistryAccess {
        crate::source::RegistryAccess {
            tls_verify: self.tls_verify,
            authfile: self.authfile.clone(),
        }
    }
}

/// Where libraries come from and what the process environment would hold.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// The root filesystem the binaries will run in (a folder treated as `/`);
    /// default: this machine's `/`.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// LD_LIBRARY_PATH as the process would have it (folders separated by ':').
    #[arg(long, value_name = "PATH", default_value = "")]
    pub ld_library_path: String,
    /// glibc-hwcaps subfolders the target CPU supports, best first, comma-separated
    /// (e.g. x86-64-v3,x86-64-v2). Default: none (a baseline CPU).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub hwcaps: Vec<String>,
    /// The CPU the binaries run on, for the glibc-hwcaps subfolders ld.so searches
    /// (and, with glibc 2.36 or older, its legacy hwcaps subfolders and $PLATFORM):
    /// a level (it implies the ones below), host (this machine's, from
    /// /proc/cpuinfo) or baseline (the default: none). --hwcaps, when given, names
    /// the subfolders instead.
    #[arg(long, value_name = "LEVEL", value_parser = clap::builder::PossibleValuesParser::new(CPU_NAMES))]
    pub cpu: Option<String>,
}

/// What `--cpu` takes (each level a name of `crate::resolve::CPU_LEVELS`).
const CPU_NAMES: &[&str] = &[
    "host",
    "baseline",
    "x86-64-v2",
    "x86-64-v3",
    "x86-64-v4",
    "power9",
    "power10",
    "z13",
    "z14",
    "z15",
    "z16",
];

impl HostArgs {
    /// The process environment as the resolver takes it.
    pub fn resolve_options(&self) -> ResolveOptions {
        let cpu = self
            .cpu
            .as_deref()
            .and_then(|level| {
                crate::resolve::Cpu::from_level(level, || {
                    std::fs::read_to_string("/proc/cpuinfo").ok()
                })
                .ok()
            })
            .unwrap_or_default();
        let named: Vec<String> = self
            .hwcaps
            .iter()
            .filter(|h| !h.is_empty())
            .cloned()
            .collect();
        ResolveOptions {
            ld_library_path: self
                .ld_library_path
                .split(':')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            hwcaps: if named.is_empty() {
                cpu.hwcaps.clone()
            } else {
                named
            },
            cpu,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the loader facts of ELF files: arch, interpreter, NEEDED, RPATH/RUNPATH,
    /// symbol-version needs and definitions.
    #[command(
        after_help = "Examples:\n  preflight inspect target/release/myapp\n  preflight inspect --format json dist/lib/*.so"
    )]
    Inspect {
        /// ELF files to inspect.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        /// Include the whole dynamic symbol table in JSON output.
        #[arg(long)]
        symbols: bool,
    },
    /// Check every ELF file under a folder: facts, then whether each one loads on the
    /// host or on target profiles (missing libraries, symbol versions, architecture,
    /// libc, undefined symbols, and build hygiene rules).
    #[command(
        after_help = "Examples:\n  preflight scan ./dist\n  preflight scan ./dist --target ubuntu-20.04 --target debian-12\n  preflight scan ./dist --target prod.yaml --platform linux/arm64\n  preflight scan ./dist --runs-on\n  preflight scan ./dist --root /srv/debian12-rootfs --format json > report.json"
    )]
    Scan(ScanArgs),
    /// Compare two releases (folders, images or saved JSON reports): what the new one
    /// newly needs or breaks, and what it no longer needs.
    #[command(
        after_help = "Examples:\n  preflight diff old/dist new/dist --target ubuntu-22.04\n  preflight scan dist --format json > v1.json; preflight diff v1.json dist --runs-on"
    )]
    Diff(DiffArgs),
    /// List the built-in target profiles, show one, or capture a real root as one.
    #[command(alias = "profile")]
    Profiles {
        #[command(subcommand)]
        action: Option<ProfileAction>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  preflight completions bash > /etc/bash_completion.d/preflight"
    )]
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(
        after_help = "Examples:\n  preflight man > preflight.1 && man ./preflight.1\n  preflight man --dir /usr/local/share/man/man1 && man preflight-scan"
    )]
    Man {
        /// Write preflight.1 and one page per command (preflight-scan.1, ...) into
        /// this folder instead of printing preflight.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Show the dependency tree of ELF files as the dynamic loader would load it, with
    /// where and how each library was found.
    #[command(
        after_help = "Examples:\n  preflight tree /usr/bin/curl\n  preflight tree dist/bin/app --root /srv/rootfs --format json"
    )]
    Tree {
        /// ELF files whose dependency tree to show.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
        format: TableOrJson,
        /// Also bind every undefined symbol, as `ldd -r` does (reads each library's
        /// symbol table, so it is slower).
        #[arg(long)]
        check_symbols: bool,
        #[command(flatten)]
        host: HostArgs,
    },
}

/// `preflight diff`'s arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old release: a folder, an image, or a saved `scan --format json` report.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new release, as OLD.
    #[arg(value_name = "NEW")]
    pub new: String,
    #[arg(long, value_enum, default_value_t = TableOrJson::Table)]
    pub format: TableOrJson,
    /// A target host to check both against (repeatable), as `scan --target`.
    #[arg(long, value_name = "NAME|FILE", value_parser = TargetName, hide_possible_values = true)]
    pub target: Vec<String>,
    /// The platform, as `scan --platform`.
    #[arg(long, value_parser = PlatformName, hide_possible_values = true)]
    pub platform: Option<String>,
    /// Check both against every built-in profile: a target the new release newly
    /// fails on is reported.
    #[arg(long, conflicts_with = "target")]
    pub runs_on: bool,
    /// Policy file, as `scan --policy`.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Turn on a rule preset, as `scan --preset`.
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(Rule::presets()))]
    pub preset: Vec<String>,
    /// Exit with 1 when what NEW newly reports is at or above this severity (a
    /// newly failing target counts as an error).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub host: HostArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

impl DiffArgs {
    /// The scan of one side, with the options given.
    pub fn scan_args(&self, dir: &str) -> ScanArgs {
        ScanArgs {
            dir: vec![dir.to_string()],
            path: "/".to_string(),
            format: Format::Json,
            symbols: false,
            target: self.target.clone(),
            platform: self.platform.clone(),
            runs_on: self.runs_on,
            policy: self.policy.clone(),
            preset: self.preset.clone(),
            fail_on: self.fail_on,
            baseline: None,
            show_waived: false,
            verbose: false,
            host: HostArgs {
                root: self.host.root.clone(),
                ld_library_path: self.host.ld_library_path.clone(),
                hwcaps: self.host.hwcaps.clone(),
                cpu: self.host.cpu.clone(),
            },
            registry: RegistryArgs {
                tls_verify: self.registry.tls_verify,
                authfile: self.registry.authfile.clone(),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ProfileAction {
    /// List the built-in profiles (the default).
    List,
    /// Print one profile's YAML, with the sources of its facts; with `--libraries`,
    /// every library it knows (base image and repository map) instead.
    #[command(
        after_help = "Examples:\n  preflight profiles show debian-12\n  preflight profiles show ubuntu-24.04 --libraries --platform linux/arm64 | grep libcurl"
    )]
    Show {
        /// A built-in profile's name or alias.
        #[arg(value_parser = TargetName, hide_possible_values = true)]
        name: String,
        /// List every library: the base image's with their package and version
        /// definitions, then the repository map's with their package.
        #[arg(long)]
        libraries: bool,
        /// With --libraries: only this platform (default: every platform described).
        #[arg(long, requires = "libraries", value_parser = PlatformName, hide_possible_values = true)]
        platform: Option<String>,
    },
    /// Write a profile read off a root filesystem: its loader, libc and every library
    /// on the loader's search path with its exact version definitions.
    #[command(
        after_help = "Examples:\n  preflight profile capture /srv/prod-rootfs -o prod.yaml\n  preflight profile capture docker-archive:prod.tar -o prod.yaml\n  preflight profile capture registry:ubuntu:24.04 -o u24.yaml\n  preflight scan ./dist --target prod.yaml"
    )]
    Capture {
        /// A root folder, or a container image (as `scan` takes it).
        #[arg(value_name = "ROOT|IMAGE")]
        root: String,
        /// The platform to capture, as `scan --platform` takes it (default: the
        /// image's, else linux/amd64).
        #[arg(long, value_parser = PlatformName, hide_possible_values = true)]
        platform: Option<String>,
        /// The profile's name (default: ID-VERSION_ID-captured from os-release).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    /// The severity from which a run fails; None: it never does.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }

    /// Whether a run whose worst finding is `worst` exits with 1.
    pub fn fails(self, worst: Option<Severity>) -> bool {
        let Some(worst) = worst else { return false };
        match self {
            FailOn::Error => worst >= Severity::Error,
            FailOn::Warning => worst >= Severity::Warning,
            FailOn::Note => true,
            FailOn::Never => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cpu_name_is_a_level_the_resolver_knows() {
        for name in CPU_NAMES {
            assert!(
                crate::resolve::Cpu::from_level(name, || None).is_ok(),
                "{name}"
            );
        }
        assert_eq!(CPU_NAMES.len(), crate::resolve::CPU_LEVELS.len() + 2);
    }
}
