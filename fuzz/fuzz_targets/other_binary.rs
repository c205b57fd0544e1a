#![no_main]
//! `preflight::elf::read_archive` and `identify_foreign` on arbitrary bytes: they must
//! never panic.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::other_binary(data);
});
