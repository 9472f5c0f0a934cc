//! Runs every fuzz corpus and regression input (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the fuzz target bodies on stable
//! Rust, without libFuzzer, so a crash once found stays fixed.
//!
//! A regression file named `open-*` is a crash not fixed yet: it must still
//! fail (so the suite stays green while the bug is open, and says so once
//! it is fixed: then drop the `open-` prefix and the file guards the fix).
#![cfg(feature = "scenario")]

#[path = "../fuzz/targets.rs"]
mod targets;

use std::cell::Cell;
use std::path::Path;
use std::sync::Once;

thread_local! {
    /// Set while an input runs: its panic is collected, not printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// A panic hook that keeps quiet about the inputs' panics (the test lists
/// them itself) and prints every other panic as usual.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                default(info);
            }
        }));
    });
}

/// Every file of `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs each input of a target; fails naming every input that panics.
fn replay(target: &str) {
    let run = targets::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {target}"));
    let mut count = 0;
    let mut open = 0;
    let mut failures = Vec::new();
    for kind in ["corpus", "regressions"] {
        for path in inputs(kind, target) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
            let expect_failure = kind == "regressions"
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("open-"));
            install_quiet_hook();
            QUIET.with(|q| q.set(true));
            let outcome = std::panic::catch_unwind(|| run(&data));
            QUIET.with(|q| q.set(false));
            match (outcome, expect_failure) {
                (Ok(()), false) => {}
                (Err(_), true) => open += 1,
                (Ok(()), true) => failures.push(format!(
                    "{}: passes now; rename it without `open-`",
                    path.display()
                )),
                (Err(panic), false) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    failures.push(format!("{}: {message}", path.display()));
                }
            }
        }
    }
    eprintln!(
        "{target}: {count} inputs, {} failed, {open} open (known to fail)",
        failures.len()
    );
    assert!(count > 0, "no corpus for {target}");
    assert!(
        failures.is_empty(),
        "{} of {count} inputs of {target} fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn replay_origin_parse() {
    replay("origin_parse");
}

#[test]
fn replay_header_value() {
    replay("header_value");
}

#[test]
fn replay_header_list_values() {
    replay("header_list_values");
}

#[test]
fn replay_preflight_response() {
    replay("preflight_response");
}

#[test]
fn replay_driver() {
    replay("driver");
}
