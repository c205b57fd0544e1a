//! Rules → findings: the checks of the rules declared in `crate::rules`, and the
//! policy (`config.rs`) that applies a profile's and a policy file's levels and
//! waivers — the only place a finding's severity changes once a check made it.

mod artifact;
mod build;
mod config;
mod hardening;
mod ldcache;
mod linkage;
mod loading;
mod runs_on;
mod wheel;

pub use artifact::{findings_from_facts, FileContext, HostArch, TargetFacts};
pub use build::{object_set_findings, other_binary_findings, unreadable_finding};
pub use config::{PolicyConfig, WaivedFinding, Waiver, WaiverRef};
pub use linkage::{linkage_findings, LinkageRule};
pub use loading::{dlopen_findings, findings_from_resolution, remedy_of, Remedy};
pub use runs_on::{FamilyVerdict, FileRunsOn, Install, RunsOn, Verdict};
pub use wheel::blacklist_findings;
