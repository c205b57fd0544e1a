//! The rules, end to end through the command line: each planted fault gets its
//! finding, with the severity the rule's declaration gives that case.

mod common;

use common::scan_json;

use serde_json::Value;

fn findings<'a>(report: &'a Value, rule: &str, path: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["path"] == path)
        .collect()
}

#[test]
fn glibc_private_interface_is_an_error_naming_the_symbol() {
    let dir = common::fixtures().join("bin");
    let report = scan_json(&[dir.to_str().unwrap()]);
    let found = findings(&report, "private-symbol", "private-glibc");
    assert_eq!(found.len(), 1, "{:#?}", report["findings"]);
    assert_eq!(found[0]["severity"], "error");
    assert_eq!(found[0]["version"], "GLIBC_PRIVATE");
    assert_eq!(found[0]["symbol"], "__res_iclose");
    // No other fixture needs glibc's internal interface.
    let all: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "private-symbol")
        .collect();
    assert_eq!(all.len(), 1);
}

#[test]
fn a_library_the_targets_repositories_have_is_a_warning_with_the_install_command() {
    let dir = common::fixtures().join("bin");
    let report = scan_json(&[
        dir.to_str().unwrap(),
        "--target",
        "ubuntu-20.04",
        "--target",
        "debian-12",
    ]);
    let missing = findings(&report, "missing-library", "ssl-app");
    let on = |target: &str| {
        *missing
            .iter()
            .find(|f| f["target"] == target)
            .unwrap_or_else(|| panic!("no missing-library on {target}: {missing:#?}"))
    };
    // Ubuntu 20.04's repositories have libssl1.1, its base image does not.
    let installable = on("ubuntu-20.04");
    assert_eq!(installable["severity"], "warning");
    assert_eq!(installable["package"], "libssl1.1");
    assert!(
        installable["message"].as_str().unwrap().ends_with(
            "is not in the base image of ubuntu-20.04 (linux/amd64); package libssl1.1 provides it"
        ),
        "{installable:#?}"
    );
    assert_eq!(
        installable["fix"],
        "Install it on the host (apt-get install libssl1.1), or ship libssl.so.1.1 with the \
         program and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib')."
    );
    // The report ends with what each target's hosts need.
    let needs: Vec<&serde_json::Value> = report["host_requirements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["target"] == "ubuntu-20.04")
        .collect();
    assert_eq!(needs.len(), 1);
    assert_eq!(needs[0]["command"], "apt-get install libssl1.1");
    assert_eq!(needs[0]["packages"], serde_json::json!(["libssl1.1"]));
    // Debian 12 has no libssl.so.1.1 at all: the program cannot start there.
    let absent = on("debian-12");
    assert_eq!(absent["severity"], "error");
    assert!(absent["fix"]
        .as_str()
        .unwrap()
        .starts_with("Ship libssl.so.1.1"));
}
