#![allow(dead_code)]
//! Helpers shared by the test files.

use std::path::{Path, PathBuf};

/// A path under the shared folder beside the repository (`../shared`), or
/// `$CROSSORIGIN_SHARED` when set.
pub fn shared(rel: &str) -> PathBuf {
    let base = std::env::var_os("CROSSORIGIN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    base.join(rel)
}

/// A path in this repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs every scenario of a file; fails listing every mismatch, except the
/// ids in `excluded` (each with its reason, kept next to the list).
#[cfg(feature = "scenario")]
pub fn check_scenario_file(path: &Path, excluded: &[(&str, &str)]) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let outcomes = crossorigin::scenario::check_text(&text);
    assert!(!outcomes.is_empty(), "{} holds no scenario", path.display());
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut seen_excluded = 0;
    for o in &outcomes {
        if excluded.iter().any(|(id, _)| *id == o.id) {
            seen_excluded += 1;
            continue;
        }
        match &o.result {
            Ok(()) => passed += 1,
            Err(m) => failures.push(format!("{}:\n    {}", o.id, m.join("\n    "))),
        }
    }
    assert_eq!(
        seen_excluded,
        excluded.len(),
        "an excluded id is not in {}",
        path.display()
    );
    eprintln!(
        "{}: {passed} passed, {} failed, {} excluded",
        path.display(),
        failures.len(),
        excluded.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} scenarios in {} failed:\n{}",
        failures.len(),
        outcomes.len(),
        path.display(),
        failures.join("\n")
    );
}
