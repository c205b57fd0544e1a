//! The command line turned into what to do, once (ripgrep's HiArgs): the source
//! opened, the platform decided, the targets loaded, the policy read with its presets.
//! Commands run plans; they never look at the raw arguments again.

use super::args::{FailOn, ScanArgs};
use crate::platform::Platform;
use crate::policy::PolicyConfig;
use crate::profile::{builtin_profiles_for, find_profile_for, folders, LoadedProfile};
use crate::report::Format;
use crate::scan::ScanOptions;
use crate::source::{open_source, open_sources, Source};
use std::path::Path;

/// `preflight scan`, planned.
pub struct ScanPlan {
    pub source: Box<dyn Source>,
    /// The platform, targets, policy and host the pipeline takes.
    pub options: ScanOptions,
    /// Print where the files run instead of the findings.
    pub runs_on: bool,
    pub format: Format,
    /// Include the dynamic symbol tables in JSON.
    pub symbols: bool,
    pub fail_on: FailOn,
}

impl ScanPlan {
    pub fn new(args: ScanArgs) -> anyhow::Result<ScanPlan> {
        let explicit = parse_platform(args.platform.as_deref())?;
        let source = open_sources(&args.dir, explicit, &args.path)?;
        let platform = choose_platform(explicit, source.as_ref());
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
            format: args.format,
            symbols: args.symbols,
            fail_on: args.fail_on,
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
    ) -> anyhow::Result<CapturePlan> {
        let explicit = parse_platform(platform.as_deref())?;
        let source = open_source(&root, explicit, "/")?;
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

/// `--runs-on`: every built-in profile that describes `platform`.
fn runs_on_targets(platform: Platform) -> anyhow::Result<Vec<LoadedProfile>> {
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

/// The policy: `--policy FILE`, else `.preflight.yaml` at the scanned folder's root,
/// else the defaults. A policy with errors stops the run, listing every error.
fn load_policy(explicit: Option<&Path>, dir: Option<&Path>) -> anyhow::Result<PolicyConfig> {
    let path = match (explicit, dir) {
        (Some(p), _) => p.to_path_buf(),
        (None, None) => return Ok(PolicyConfig::default()),
        (None, Some(dir)) => {
            let default = dir.join(".preflight.yaml");
            if !default.is_file() {
                return Ok(PolicyConfig::default());
            }
            default
        }
    };
    let text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    PolicyConfig::parse(&text, &path.display().to_string()).map_err(|errors| {
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

/// Formats other than table and json describe a scan; other commands refuse them.
pub fn table_or_json(format: Format, command: &str) -> anyhow::Result<()> {
    match format {
        Format::Table | Format::Json => Ok(()),
        other => anyhow::bail!(
            "--format {other:?} is for `preflight scan`; `{command}` prints table or json"
        ),
    }
}
