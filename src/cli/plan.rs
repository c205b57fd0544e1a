//! The command line turned into what to do, once (ripgrep's HiArgs): the source
//! opened, the platform decided, the targets loaded, the policy read with its presets.
//! Commands run plans; they never look at the raw arguments again.

use super::args::{FailOn, ScanArgs};
use crate::platform::Platform;
use crate::policy::PolicyConfig;
use crate::profile::{builtin_profiles_for, find_profile_for, folders, LoadedProfile};
use crate::report::{Baseline, Format};
use crate::scan::ScanOptions;
use crate::source::{
    open_source, open_sources, read_regular, Limits, OpenError, RegistryAccess, Source, Within,
};
use crate::text::escape;
use std::path::Path;

/// `preflight scan`, planned.
pub struct ScanPlan {
    pub source: Box<dyn Source>,
    /// The platform, targets, policy and host the pipeline takes.
    pub options: ScanOptions,
    /// Print where the files run instead of the findings.
    pub runs_on: bool,
    /// `--runs-on` over files of several architectures (no `--platform`): the other
    /// platforms, each checked against its own targets after `options.platform`.
    pub more_platforms: Vec<Platform>,
    pub format: Format,
    /// Include the dynamic symbol tables in JSON.
    pub symbols: bool,
    pub fail_on: FailOn,
    /// `--baseline`: the findings an earlier report already had.
    pub baseline: Option<Baseline>,
    /// `--show-waived`: list waived findings in table and Markdown output.
    pub show_waived: bool,
    /// `--verbose`: the table lists every file and finding in full.
    pub verbose: bool,
}

impl ScanPlan {
    pub fn new(args: ScanArgs) -> anyhow::Result<ScanPlan> {
        let explicit = parse_platform(args.platform.as_deref())?;
        let source = open_sources(&args.dir, explicit, &args.path, &args.registry.access())?;
        let mut platform = choose_platform(explicit, source.as_ref());
        let mut more_platforms = Vec::new();
        if args.runs_on && explicit.is_none() && source.platform().is_none() {
            // Nothing names the platform: the files do. Most files first; the others
            // are checked against their own platform's targets.
            let mut found = file_platforms(source.as_ref());
            if !found.is_empty() {
                found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                platform = found[0].0;
                more_platforms = found[1..].iter().map(|(p, _)| *p).collect();
            }
        }
        let targets = if args.runs_on {
            runs_on_targets(platform)?
        } else {
            let mut targets = args
                .target
                .iter()
                .map(|t| find_profile_for(t, platform).map_err(|e| anyhow::anyhow!(e)))
                .collect::<anyhow::Result<Vec<_>>>()?;
            // No --target and no --root: the targets the source names (a wheel's
            // tag), those preflight has built in.
            if targets.is_empty() && args.host.root.is_none() {
                targets = source
                    .default_targets()
                    .iter()
                    .filter_map(|t| find_profile_for(t, platform).ok())
                    .collect();
            }
            targets
        };
        let mut policy = load_policy(args.policy.as_deref(), source.policy_folder())?;
        for name in &args.preset {
            policy.enable_preset(name).map_err(|e| anyhow::anyhow!(e))?;
        }
        if args.runs_on {
            table_or_json(args.format, "scan --runs-on")?;
        }
        let baseline = args
            .baseline
            .as_deref()
            .map(|path| {
                let file = path.display().to_string();
                let text =
                    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
                Baseline::parse(&text, &file).map_err(|e| anyhow::anyhow!(e))
            })
            .transpose()?;
        Ok(ScanPlan {
            options: ScanOptions {
                root: args.host.root.clone(),
                resolve: args.host.resolve_options(),
                targets,
                platform,
                policy,
                sbom: args.format == Format::Cyclonedx,
                progress: None,
            },
            source,
            runs_on: args.runs_on,
            more_platforms,
            format: args.format,
            symbols: args.symbols,
            fail_on: args.fail_on,
            baseline,
            show_waived: args.show_waived,
            verbose: args.verbose,
        })
    }
}

/// `preflight profile capture`, planned.
pub struct CapturePlan {
    pub source: Box<dyn Source>,
    /// As the user named the root or image.
    pub origin: String,
    pub platform: Platform,
    pub name: Option<String>,
}

impl CapturePlan {
    pub fn new(
        root: String,
        platform: Option<String>,
        name: Option<String>,
        registry: &RegistryAccess,
    ) -> anyhow::Result<CapturePlan> {
        let explicit = parse_platform(platform.as_deref())?;
        let source = open_source(&root, explicit, "/", registry)?;
        Ok(CapturePlan {
            platform: choose_platform(explicit, source.as_ref()),
            source,
            origin: root,
            name,
        })
    }
}

/// `--platform` as typed.
pub(super) fn parse_platform(text: Option<&str>) -> anyhow::Result<Option<Platform>> {
    text.map(|p| {
        Platform::parse(p).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown platform `{p}`, expected one of {}",
                Platform::all_names()
            )
        })
    })
    .transpose()
}

/// The platform of a run, decided here only: `--platform`, else the one the source
/// declares (an image's config), else Docker's default (linux/amd64).
fn choose_platform(explicit: Option<Platform>, source: &dyn Source) -> Platform {
    explicit.or_else(|| source.platform()).unwrap_or_default()
}

/// The platforms of a folder's ELF files, with how many files each has, read off
/// their ELF headers (class, byte order, machine). Files of no known platform and
/// files that cannot be opened as regular files are left out.
fn file_platforms(source: &dyn Source) -> Vec<(Platform, usize)> {
    use crate::source::{open_regular, Entry, Libraries, Limits, Within};
    use std::io::Read;
    let Ok(view) = source.view(Libraries::Targets) else {
        return Vec::new();
    };
    let mut counts: std::collections::BTreeMap<Platform, usize> = Default::default();
    for entry in view.files {
        let Entry::File(file) = entry else { continue };
        let Some(disk) = &file.disk else { continue };
        let Ok(handle) = open_regular(Within::Anywhere, disk, Limits::UNLIMITED) else {
            continue;
        };
        let mut header = Vec::with_capacity(20);
        if handle.take(20).read_to_end(&mut header).is_err() || header.len() < 20 {
            continue;
        }
        if let Some(platform) = platform_of_header(&header) {
            *counts.entry(platform).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// The platform of an ELF header's first 20 bytes (e_ident, e_type, e_machine).
fn platform_of_header(header: &[u8]) -> Option<Platform> {
    use crate::elf::{Class, Endian, Machine};
    if header.get(..4)? != b"\x7fELF" {
        return None;
    }
    let class = match header[4] {
        1 => Class::Elf32,
        2 => Class::Elf64,
        _ => return None,
    };
    let (endian, machine) = match header[5] {
        1 => (Endian::Little, u16::from_le_bytes([header[18], header[19]])),
        2 => (Endian::Big, u16::from_be_bytes([header[18], header[19]])),
        _ => return None,
    };
    Platform::ALL.into_iter().find(|p| {
        p.machine() == Machine::from(machine) && p.class() == class && p.endian() == endian
    })
}

/// `--runs-on`: every built-in profile that describes `platform`.
pub(super) fn runs_on_targets(platform: Platform) -> anyhow::Result<Vec<LoadedProfile>> {
    let targets = builtin_profiles_for(platform);
    if targets.is_empty() {
        // Every platform has built-in profiles today; this stays true only while the
        // data says so (a test checks each platform).
        anyhow::bail!(
            "no built-in profile describes {platform} ({} built-in profiles): check against a profile file instead, --target FILE --platform {platform}",
            folders().len()
        );
    }
    Ok(targets)
}

/// Policy files larger than this are refused: 100,000 waivers fit in a quarter of it.
pub const MAX_POLICY_BYTES: u64 = 32 << 20;

/// The policy: `--policy FILE`, else `.preflight.yaml` at the scanned folder's root,
/// else the defaults. A policy with errors stops the run, listing every error.
///
/// `--policy FILE` is a path the user named: links are followed, but it must be a
/// regular file (a FIFO would block, /dev/zero never end). `.preflight.yaml` is found
/// in what is scanned, which anyone may have written: it is opened beneath the folder,
/// following no symbolic link (one to /etc/shadow would print the host's file in the
/// parse error), as a regular file only. Both are read up to `MAX_POLICY_BYTES`.
fn load_policy(explicit: Option<&Path>, dir: Option<&Path>) -> anyhow::Result<PolicyConfig> {
    let limits = Limits::bytes(MAX_POLICY_BYTES);
    let (shown, bytes) = match (explicit, dir) {
        (Some(path), _) => {
            let shown = escape(&path.display().to_string()).into_owned();
            let bytes = read_regular(Within::Anywhere, path, limits)
                .map_err(|e| anyhow::anyhow!("cannot read the policy file {shown}: {e}"))?;
            (shown, bytes)
        }
        (None, None) => return Ok(PolicyConfig::default()),
        (None, Some(dir)) => {
            let name = Path::new(".preflight.yaml");
            let shown = escape(&dir.join(name).display().to_string()).into_owned();
            match read_regular(Within::Beneath(dir), name, limits) {
                Ok(bytes) => (shown, bytes),
                Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Ok(PolicyConfig::default())
                }
                Err(e @ (OpenError::Link | OpenError::NotRegular(_))) => anyhow::bail!(
                    "cannot read the policy file {shown} found in the scanned folder: {e}; name the policy to use with --policy FILE"
                ),
                Err(e) => anyhow::bail!(
                    "cannot read the policy file {shown} found in the scanned folder: {e}"
                ),
            }
        }
    };
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("the policy file {shown} is not UTF-8 text ({e})"))?;
    PolicyConfig::parse(&text, &shown).map_err(|errors| {
        anyhow::anyhow!(
            "invalid policy file:\n{}",
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Formats other than table and json describe a scan's findings; `--runs-on`, which
/// prints verdicts, refuses them.
pub fn table_or_json(format: Format, command: &str) -> anyhow::Result<()> {
    match format {
        Format::Table | Format::Json => Ok(()),
        other => anyhow::bail!(
            "--format {other:?} is for `preflight scan`; `{command}` prints table or json"
        ),
    }
}
