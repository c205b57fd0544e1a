#![no_main]
//! `preflight::elf::read_facts` on arbitrary bytes: it must never panic.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = harness::elf_facts(data);
});
