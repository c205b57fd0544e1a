//! A CycloneDX 1.5 JSON SBOM of the scanned binaries: each ELF file a component with
//! its SHA-256 and its compatibility facts as properties, its resolved NEEDED edges
//! as the dependency graph (libraries from the host appear as components of their
//! own). The release's integrity record and its compatibility facts, from one scan.

use super::ScanReport;
use crate::elf::{ElfFacts, Kind};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

fn file_ref(path: &str) -> String {
    format!("file:{path}")
}

fn host_ref(name: &str) -> String {
    format!("host:{name}")
}

fn component_type(facts: Option<&ElfFacts>) -> &'static str {
    match facts.map(|f| f.kind) {
        Some(Kind::SharedLibrary) => "library",
        Some(Kind::Executable | Kind::PieExecutable | Kind::StaticExecutable | Kind::StaticPie) => {
            "application"
        }
        _ => "file",
    }
}

fn properties(facts: &ElfFacts) -> Vec<Value> {
    let mut props = vec![
        json!({"name": "preflight:kind", "value": facts.kind.as_str()}),
        json!({"name": "preflight:machine", "value": facts.machine}),
        json!({"name": "preflight:class", "value": facts.class.as_str()}),
    ];
    let libc = crate::elf::Libc::name_or_none(facts.libc());
    props.push(json!({"name": "preflight:libc", "value": libc}));
    if let Some(interp) = &facts.interpreter {
        props.push(json!({"name": "preflight:interpreter", "value": interp}));
    }
    if let Some(soname) = &facts.soname {
        props.push(json!({"name": "preflight:soname", "value": soname}));
    }
    for needed in facts.highest_needed_versions() {
        let (family, _) = needed.family_and_numbers();
        let value = needed.as_str()[family.len() + 1..].to_string();
        let name = if family == "GLIBC" {
            "preflight:glibc-required".to_string()
        } else {
            format!("preflight:requires:{family}")
        };
        props.push(json!({"name": name, "value": value}));
    }
    props
}

pub fn write_cyclonedx(out: &mut dyn Write, report: &ScanReport) -> io::Result<()> {
    let mut components = Vec::new();
    for file in &report.files {
        let facts = file.facts();
        let mut component = json!({
            "type": component_type(facts),
            "bom-ref": file_ref(&file.path),
            "name": file.path,
        });
        if let Some(hash) = &file.sha256 {
            component["hashes"] = json!([{"alg": "SHA-256", "content": hash}]);
        }
        if let Some(facts) = facts {
            component["properties"] = json!(properties(facts));
        } else {
            component["properties"] = json!([{"name": "preflight:status", "value": "unreadable"}]);
        }
        components.push(component);
    }
    let in_tree: std::collections::BTreeSet<&str> =
        report.files.iter().map(|f| f.path.as_str()).collect();
    // Host libraries the tree depends on, once each.
    let mut host_libraries: BTreeMap<String, Value> = BTreeMap::new();
    let mut dependencies = Vec::new();
    for dep in &report.dependencies {
        let mut depends_on = Vec::new();
        for need in &dep.needs {
            let target = match &need.resolved {
                Some(path) if in_tree.contains(path.as_str()) => file_ref(path),
                Some(path) => {
                    let r = host_ref(path);
                    host_libraries.entry(r.clone()).or_insert_with(|| {
                        json!({"type": "library", "bom-ref": r, "name": need.soname,
                               "properties": [{"name": "preflight:host-path", "value": path}]})
                    });
                    r
                }
                None => {
                    let r = host_ref(&format!("missing/{}", need.soname));
                    host_libraries.entry(r.clone()).or_insert_with(|| {
                        json!({"type": "library", "bom-ref": r, "name": need.soname,
                               "properties": [{"name": "preflight:status", "value": "missing"}]})
                    });
                    r
                }
            };
            if !depends_on.contains(&target) {
                depends_on.push(target);
            }
        }
        dependencies.push(json!({"ref": file_ref(&dep.path), "dependsOn": depends_on}));
    }
    components.extend(host_libraries.into_values());
    // Reproducible: the serial number derives from the content, the timestamp from
    // SOURCE_DATE_EPOCH when set.
    let content = serde_json::to_string(&components)?;
    let serial = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, content.as_bytes());
    let bom = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{serial}"),
        "version": 1,
        "metadata": {
            "timestamp": timestamp(),
            "tools": {"components": [{"type": "application", "name": "preflight", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"type": "application", "bom-ref": "root", "name": report.root},
            "properties": [{"name": "preflight:hosts", "value": report.hosts.join(", ")}],
        },
        "components": components,
        "dependencies": dependencies,
    });
    serde_json::to_writer_pretty(&mut *out, &bom)?;
    writeln!(out)
}

fn timestamp() -> String {
    let when = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|secs| std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap_or_else(std::time::SystemTime::now);
    humantime::format_rfc3339_seconds(when).to_string()
}
