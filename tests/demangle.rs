//! Names people read: C++ symbols in findings and `tree` demangled, the mangled name
//! kept in JSON, on tests/fixtures/demangle (built by its build.sh with g++: a program
//! whose shipped library is an older build without `greeting::count`).

mod common;

use serde_json::Value;

fn dist(path: &str) -> String {
    common::fixtures()
        .join("demangle/dist")
        .join(path)
        .to_str()
        .unwrap()
        .to_string()
}

const MANGLED: &str = "_ZN8greeting5countERKSt6vectorIiSaIiEE";
const READABLE: &str = "greeting::count(std::vector<int, std::allocator<int> > const&)";

#[test]
fn findings_show_the_demangled_name_and_json_keeps_the_mangled_one() {
    let out = common::preflight()
        .args(["scan", &dist(""), "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "undefined-symbol")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(
        finding["message"],
        format!("needs 1 symbol that no loaded object defines: {READABLE}")
    );
    assert_eq!(finding["symbol"], MANGLED);
    assert_eq!(finding["symbols"], serde_json::json!([MANGLED]));
    let table = common::preflight()
        .args(["scan", &dist("")])
        .output()
        .unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains(READABLE), "{text}");
    assert!(!text.contains(MANGLED), "{text}");
}

#[test]
fn tree_shows_the_demangled_name_and_its_json_the_mangled_one() {
    let out = common::preflight()
        .args(["tree", &dist("bin/app"), "--check-symbols"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("  ! undefined symbol {READABLE} (needed by ")),
        "{text}"
    );
    let out = common::preflight()
        .args([
            "tree",
            &dist("bin/app"),
            "--check-symbols",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let tree: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tree["unbound_symbols"][0]["symbol"], MANGLED);
}
