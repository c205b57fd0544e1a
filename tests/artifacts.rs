//! Build-artifact checks against what the real tools said when
//! tests/fixtures/artifacts/build.sh built the fixtures (expected.json): the linker's
//! refusals, `ld -z text`, checksec-style readelf, `go version -m`, `.comment`.

mod common;

use preflight::elf::{
    read_facts, read_other_binary, small_got_limit, OtherBinary, AARCH64_SMALL_GOT_ENTRIES,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn artifacts() -> PathBuf {
    common::fixtures().join("artifacts")
}

fn oracle() -> Value {
    let text = std::fs::read_to_string(artifacts().join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn facts(path: &str) -> preflight::elf::ElfFacts {
    read_facts(&std::fs::read(artifacts().join(path)).unwrap()).unwrap()
}

/// `preflight scan` of a fixture folder as JSON (extra arguments after the folder).
fn scan(folder: &str, extra: &[&str]) -> Value {
    let out = common::preflight()
        .arg("scan")
        .arg(artifacts().join(folder))
        .args(["--format", "json", "--quiet", "--fail-on", "never"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn findings<'a>(report: &'a Value, path: &str, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path && f["rule"] == rule)
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn non_pic_objects_are_the_ones_the_linker_refuses() {
    let oracle = oracle();
    let report = scan("nonpic", &[]);
    let objects = oracle["nonpic"].as_object().unwrap();
    assert_eq!(objects.len(), 7);
    for (name, record) in objects {
        let found = findings(&report, name, "non-pic-object");
        let linker = strings(&record["link_shared"]["messages"]).join("\n");
        if record["pic"] == true {
            assert!(found.is_empty(), "{name}: {found:?}");
            assert_eq!(record["link_shared"]["exit_status"], 0, "{name}");
            continue;
        }
        // The linker refused it, or made text relocations of it.
        assert!(
            linker.contains("recompile with -fPIC") || linker.contains("read-only section"),
            "{name}: {linker}"
        );
        assert_eq!(found.len(), 1, "{name}: {report}");
        // Every relocation preflight lists is one readelf shows, and the symbol the
        // linker names is among them.
        let readelf: BTreeSet<(String, String, u64)> = record["relocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["type"].as_str().unwrap().to_string(),
                    r["symbol"].as_str().unwrap_or("").to_string(),
                    r["offset"].as_u64().unwrap(),
                )
            })
            .collect();
        let listed = facts(&format!("nonpic/{name}")).relocations.unwrap();
        assert!(!listed.non_pic.is_empty(), "{name}");
        for r in &listed.non_pic {
            let key = (r.r_type.clone(), r.symbol.clone(), r.offset);
            assert!(
                readelf.contains(&key),
                "{name}: {key:?} not in readelf's {readelf:?}"
            );
        }
        // The symbols flagged are exactly the ones the linker names.
        // "relocation against `counter'", "... against symbol `counter' ...",
        // "... against undefined symbol `counter' ...".
        let linker_names: BTreeSet<String> = linker
            .split("against ")
            .skip(1)
            .filter_map(|rest| {
                let quoted = rest.split_once('`')?.1;
                Some(quoted.split_once('\'')?.0.to_string())
            })
            .collect();
        let flagged: BTreeSet<String> = strings(&found[0]["symbols"]).into_iter().collect();
        assert_eq!(flagged, linker_names, "{name}: {linker}");
    }
    // x86_64 without -fPIC cannot even go into a PIE; aarch64's page-relative code can.
    let x86 = &findings(&report, "x86_64-nopic.o", "non-pic-object")[0];
    assert_eq!(x86["severity"], "warning");
    assert!(x86["message"]
        .as_str()
        .unwrap()
        .contains("R_X86_64_32 against `counter`"));
    let arm = &findings(&report, "aarch64-nopic.o", "non-pic-object")[0];
    assert_eq!(arm["severity"], "note");
    assert!(arm["message"]
        .as_str()
        .unwrap()
        .contains("R_AARCH64_ADR_PREL_PG_HI21 against `counter`"));
}

#[test]
fn the_small_got_limit_is_the_one_measured_with_the_real_linker() {
    let got = &oracle()["got"];
    assert_eq!(
        got["shared_max_linked"].as_u64().unwrap() as usize,
        AARCH64_SMALL_GOT_ENTRIES
    );
    assert_eq!(
        got["shared_first_failing"].as_u64().unwrap() as usize,
        AARCH64_SMALL_GOT_ENTRIES + 1
    );
}

#[test]
fn the_other_small_got_limits_are_the_measured_ones_too() {
    // (e_machine, ELF64) of each measured architecture.
    let arches = [
        ("sparc64", 43, true),
        ("sparc", 2, false),
        ("m68k", 4, false),
        ("powerpc", 20, false),
    ];
    let oracle = oracle();
    for (name, machine, elf64) in arches {
        let record = &oracle["got_arches"][name];
        let limit = small_got_limit(machine, elf64) as u64;
        assert_eq!(record["shared_max_linked"].as_u64(), Some(limit), "{name}");
        assert_eq!(
            record["shared_first_failing"].as_u64(),
            Some(limit + 1),
            "{name}"
        );
    }
    // Two sparc64 objects, each linkable alone, that together overflow GOT13.
    let sparc = &oracle["got_arches"]["sparc64"];
    assert_eq!(sparc["fpic_each_object_links_shared_alone"], true);
    let report = scan("got", &[]);
    let over = findings(&report, "sparc64-fpic", "small-got-overflow");
    assert_eq!(over.len(), 1, "{report}");
    assert_eq!(over[0]["severity"], "error");
    let needed = sparc["fpic_got_symbols"].as_u64().unwrap();
    let message = over[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("need {needed} distinct GOT entries")),
        "{message}"
    );
    assert!(message.contains("R_SPARC_GOT13"), "{message}");
}

#[test]
fn fpic_objects_over_the_small_got_overflow_and_fpic_uppercase_does_not() {
    let got = &oracle()["got"];
    assert_eq!(got["fpic_shared_links"], false);
    assert!(strings(&got["fpic_shared_link"]["messages"])
        .iter()
        .any(|m| m.contains("relocation truncated to fit: R_AARCH64_LD64_GOTPAGE_LO15")));
    assert_eq!(got["fpic_each_object_links_shared_alone"], true);
    assert_eq!(got["fPIC_shared_links"], true);

    let report = scan("got/fpic", &[]);
    let over = findings(&report, ".", "small-got-overflow");
    assert_eq!(over.len(), 1, "{report}");
    assert_eq!(over[0]["severity"], "error");
    let message = over[0]["message"].as_str().unwrap();
    let needed = got["fpic_got_symbols"].as_u64().unwrap();
    assert!(
        message.contains(&format!("need {needed} distinct GOT entries")),
        "{message}"
    );
    for object in strings(&got["fpic_objects"]) {
        let name = object.rsplit('/').next().unwrap();
        assert!(message.contains(name), "{message} lacks {name}");
        // -fpic code is position-independent: no non-pic-object for it.
        assert!(
            findings(&report, name, "non-pic-object").is_empty(),
            "{report}"
        );
    }
    // Each object alone is far from the limit.
    let one = facts("got/fpic/part0.o").relocations.unwrap();
    assert!(one.small_got.is_some());
    assert!(one.got_entries < AARCH64_SMALL_GOT_ENTRIES);

    // The -fPIC archive needs as many entries, through the large model: nothing.
    let bytes = std::fs::read(artifacts().join("got/fPIC.a")).unwrap();
    let OtherBinary::Archive(archive) = read_other_binary(&bytes).unwrap() else {
        panic!("not an archive");
    };
    assert_eq!(archive.objects, 4);
    assert_eq!(
        archive.relocations.got_entries as u64,
        got["fPIC_got_symbols"].as_u64().unwrap()
    );
    assert!(archive.relocations.small_got.is_none());
    let report = scan("got", &[]);
    assert!(
        findings(&report, "fPIC.a", "small-got-overflow").is_empty(),
        "{report}"
    );
    assert!(
        findings(&report, "fPIC.a", "non-pic-object").is_empty(),
        "{report}"
    );
    assert_eq!(
        findings(&report, "fpic", "small-got-overflow").len(),
        1,
        "{report}"
    );
    assert_eq!(report["summary"]["archives"], 1);
}

#[test]
fn text_relocation_causes_match_ld_z_text() {
    let oracle = oracle();
    let record = &oracle["textrel"];
    let lib = facts("textrel/libcauses.so");
    // The symbols `ld -z text` names, object by object.
    let mut named = BTreeSet::new();
    for (_, link) in record["link_z_text_each_object"].as_object().unwrap() {
        assert_eq!(link["exit_status"], 1);
        for message in strings(&link["messages"]) {
            if let Some(rest) = message.split("relocation against `").nth(1) {
                named.insert(rest.split('\'').next().unwrap().to_string());
            }
        }
    }
    assert_eq!(named.len(), 2, "{named:?}");
    let ours: BTreeSet<String> = lib
        .text_relocations
        .iter()
        .filter_map(|r| r.symbol.clone())
        .collect();
    assert_eq!(ours, named);
    // Exactly the dynamic relocations readelf shows inside .text, at their offsets.
    let in_text: BTreeSet<u64> = record["libcauses.so"]["relocations_in_text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["offset"].as_u64().unwrap())
        .collect();
    let offsets: BTreeSet<u64> = lib.text_relocations.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, in_text);
    assert_eq!(lib.text_relocation_count, in_text.len());
    assert!(lib
        .text_relocations
        .iter()
        .all(|r| r.section.as_deref() == Some(".text")));
    let report = scan("textrel", &[]);
    let finding = &findings(&report, "libcauses.so", "textrel")[0];
    for symbol in &named {
        assert!(finding["message"]
            .as_str()
            .unwrap()
            .contains(symbol.as_str()));
    }
}

#[test]
fn hardening_facts_match_checksec_style_readelf() {
    let oracle = oracle();
    for (name, expected) in oracle["hardening"].as_object().unwrap() {
        let h = facts(&format!("hardening/{name}")).hardening.unwrap();
        assert_eq!(h.relro.as_str(), expected["relro"], "{name}");
        assert_eq!(h.bind_now, expected["bind_now"], "{name}");
        assert_eq!(h.nx, expected["nx"], "{name}");
        assert_eq!(
            h.stack_protector,
            expected["stack_protector"].as_bool(),
            "{name}"
        );
        assert_eq!(h.ibt, expected["ibt"].as_bool(), "{name}");
        assert_eq!(h.shstk, expected["shstk"].as_bool(), "{name}");
        assert_eq!(h.fortified, strings(&expected["fortify"]), "{name}");
        let pie = match expected["checksec_pie"].as_str().unwrap() {
            "dso" => None,
            other => Some(other == "pie"),
        };
        assert_eq!(h.pie, pie, "{name}");
    }
}

#[test]
fn hardening_rules_are_off_until_the_preset_turns_them_on() {
    let quiet = scan("hardening", &[]);
    let hardening_rules = |report: &Value, path: &str| -> BTreeSet<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == path)
            .filter_map(|f| f["rule"].as_str())
            .filter(|r| r.starts_with("hardening-"))
            .map(str::to_string)
            .collect()
    };
    assert!(hardening_rules(&quiet, "unhardened").is_empty());
    let strict = scan("hardening", &["--preset", "hardened"]);
    assert!(hardening_rules(&strict, "hardened").is_empty(), "{strict}");
    assert!(
        hardening_rules(&strict, "libhardened.so").is_empty(),
        "{strict}"
    );
    let all: BTreeSet<String> = [
        "hardening-pie",
        "hardening-relro",
        "hardening-stack-protector",
        "hardening-fortify",
        "hardening-cet",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(hardening_rules(&strict, "unhardened"), all);
    // Debian's defaults: PIE and partial RELRO, nothing else.
    let partial = hardening_rules(&strict, "partial");
    assert!(!partial.contains("hardening-pie") && partial.contains("hardening-relro"));
}

#[test]
fn foreign_binaries_are_named_with_their_format_and_platform() {
    let oracle = oracle();
    let report = scan("foreign", &[]);
    let expect = [
        (
            "hello.exe",
            "PE32+",
            "is a PE executable for Windows (x86_64)",
        ),
        (
            "hello-macho.o",
            "Mach-O 64-bit arm64 object",
            "is a Mach-O object for macOS (arm64)",
        ),
        ("freebsd-exe", "(FreeBSD)", "for FreeBSD (x86_64)"),
    ];
    for (name, file_says, we_say) in expect {
        assert!(
            oracle["foreign"][name]["file"]
                .as_str()
                .unwrap()
                .contains(file_says),
            "{name}"
        );
        let found = findings(&report, name, "foreign-binary");
        assert_eq!(found.len(), 1, "{name}: {report}");
        assert!(
            found[0]["message"].as_str().unwrap().contains(we_say),
            "{found:?}"
        );
        // Nothing else: a foreign file is not resolved against this machine.
        let all = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == name)
            .count();
        assert_eq!(all, 1, "{name}: {report}");
    }
    assert_eq!(report["summary"]["foreign"], 2);
}

#[test]
fn a_static_glibc_binary_with_nss_is_flagged_and_a_plain_one_is_not() {
    let oracle = oracle();
    let warnings = strings(&oracle["static"]["static-nss"]["link"]["messages"]).join("\n");
    assert!(warnings.contains("Using 'getpwnam' in statically linked applications"));
    let report = scan("static", &[]);
    assert_eq!(
        findings(&report, "static-nss", "static-glibc-runtime").len(),
        1
    );
    assert!(findings(&report, "static-plain", "static-glibc-runtime").is_empty());
    for name in ["static-nss", "static-plain"] {
        let runtime = facts(&format!("static/{name}")).static_runtime.unwrap();
        assert_eq!(runtime.libc, Some(preflight::elf::Libc::Glibc), "{name}");
    }
}

#[test]
fn go_build_information_matches_go_version_m() {
    let oracle = oracle();
    for name in ["hello-cgo", "hello-nocgo"] {
        let expected = &oracle["go"][name]["go_version_m"];
        let go = facts(&format!("go/{name}")).go.unwrap();
        assert_eq!(go.version, expected["go_version"], "{name}");
        assert_eq!(go.path.as_deref(), expected["path"].as_str(), "{name}");
        assert_eq!(
            go.module.as_deref(),
            Some(format!(
                "{} {}",
                expected["mod"]["path"].as_str().unwrap(),
                expected["mod"]["version"].as_str().unwrap()
            ))
            .as_deref()
        );
        for (key, value) in expected["build"].as_object().unwrap() {
            assert_eq!(
                go.settings.get(key).map(String::as_str),
                value.as_str(),
                "{name} {key}"
            );
        }
    }
    assert_eq!(facts("go/hello-cgo").go.unwrap().cgo(), Some(true));
    assert_eq!(facts("go/hello-nocgo").go.unwrap().cgo(), Some(false));
}

#[test]
fn the_rustc_version_comes_from_dot_comment() {
    let oracle = oracle();
    let comment = strings(&oracle["rust"]["hello-rust"]["comment"]);
    let rustc = comment
        .iter()
        .find_map(|c| c.strip_prefix("rustc version "))
        .unwrap();
    let facts = facts("rust/hello-rust");
    assert_eq!(facts.rustc_version(), Some(rustc));
    assert_eq!(facts.compilers, comment);
}

#[test]
fn cut_and_corrupted_artifacts_never_panic() {
    // read_other_binary turns a panic into "internal error": none may happen, and the
    // ELF reader (unguarded here) must answer for every cut of every object.
    let files = [
        "got/fPIC.a",
        "foreign/hello.exe",
        "foreign/hello-macho.o",
        "nonpic/aarch64-nopic.o",
        "nonpic/i386-nopic.o",
        "textrel/libcauses.so",
    ];
    for name in files {
        let bytes = std::fs::read(artifacts().join(name)).unwrap();
        let step = (bytes.len() / 80).max(1);
        let mut cut = 0;
        while cut < bytes.len() {
            let part = &bytes[..cut];
            if let Err(e) = read_other_binary(part) {
                assert!(
                    !e.to_string().contains("internal error"),
                    "{name} cut at {cut}"
                );
            }
            let _ = read_facts(part);
            cut += step;
        }
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..100 {
            let mut copy = bytes.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let at = state as usize % copy.len();
                copy[at] = (state >> 8) as u8;
            }
            if let Err(e) = read_other_binary(&copy) {
                assert!(!e.to_string().contains("internal error"), "{name}");
            }
            let _ = read_facts(&copy);
        }
    }
}

#[test]
fn static_binaries_need_no_libc_from_the_target() {
    // On musl Alpine: the static glibc hello, the static Go binary and the static-pie
    // need nothing of the host; the cgo binary needs glibc, the NSS one glibc's modules.
    let rules = |report: &Value, path: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let statics = scan("static", &["--target", "alpine-3.20"]);
    assert!(rules(&statics, "static-plain").is_empty(), "{statics}");
    assert_eq!(rules(&statics, "static-nss"), ["static-glibc-runtime"]);
    let go = scan("go", &["--target", "alpine-3.20"]);
    assert!(rules(&go, "hello-nocgo").is_empty(), "{go}");
    assert_eq!(rules(&go, "hello-cgo"), ["libc-mismatch"]);
}
