//! `cargo fuzz run driver`: see `fuzz/targets.rs` for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../targets.rs"]
mod targets;

fuzz_target!(|data: &[u8]| targets::driver(data));
