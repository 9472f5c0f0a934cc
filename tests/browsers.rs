//! The engine, in each browser's profile, against what the real browser did
//! (`spec-vectors/browsers/<browser>.json`, recorded by
//! `cargo run -p crossorigin-harness --release -- record <browser>`).
//!
//! Each recorded fetch is run through the engine with the same request,
//! routes and time offsets (a followup at the second it really ran), and
//! compared on what issue 8 names: the outcome, whether a preflight was
//! sent, the response type, status and visible header names, and the
//! `Origin` and `Access-Control-Request-*` headers of every request sent;
//! beyond what issue 8 names, the `Sec-Fetch-*`, `Authorization` and
//! `Referer` headers too, the response URL, `redirected`, and the header values the
//! script reads.
//! For Chromium the refusal's name is compared too (DevTools names it as
//! the engine does); a difference there is listed like the others but
//! does not count against agreement. Every difference must be listed, with
//! its cause, in
//! `spec-vectors/browsers/disagreements.json`, and every listed one must
//! still happen; agreement must reach 99 % of the scenarios run.
#![cfg(feature = "scenario")]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crossorigin::scenario::{Scenario, evaluate_with, parse_file};
use crossorigin::{Policy, Profile};
use serde_json::Value;

/// The scenario files a recording may name, by the label it uses.
fn scenario_file(label: &str) -> std::path::PathBuf {
    match label.strip_prefix("shared/") {
        Some(rel) => common::shared(rel),
        None => common::repo(label),
    }
}

/// Chromium's `corsErrorStatus.corsError` for a refusal, when it gave one
/// (a network failure is `net::…`, no CORS name).
fn chromium_cors_error(name: &str, browser: &Value) -> Option<String> {
    let reason = browser["reason"].as_str()?;
    (name == "chromium"
        && browser["outcome"] == "network-error"
        && !reason.is_empty()
        && !reason.starts_with("net::"))
    .then(|| reason.to_owned())
}

/// What is compared of one fetch's result.
fn comparable(result: &Value, opaque_page: bool) -> BTreeMap<&'static str, Value> {
    let mut m = BTreeMap::new();
    let outcome = result["outcome"].clone();
    m.insert("outcome", outcome.clone());
    m.insert("preflight", result["preflight"].clone());
    if outcome == "ok" {
        // XMLHttpRequest (use_cors_preflight) shows no response type.
        if !result["type"].is_null() {
            m.insert("type", result["type"].clone());
        }
        m.insert("status", result["status"].clone());
        m.insert("visible_headers", result["visible_headers"].clone());
        m.insert("response_headers", result["response_headers"].clone());
        m.insert("url", result["url"].clone());
        // XMLHttpRequest shows no `redirected`.
        if !result["redirected"].is_null() {
            m.insert("redirected", result["redirected"].clone());
        }
    }
    let sent: Vec<Value> = result["sent"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let mut kept: Vec<(String, String)> = r["headers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|h| {
                            let n = h[0].as_str()?.to_ascii_lowercase();
                            // `Referer` but from a page of an opaque origin:
                            // the scenario format gives no page URL for it,
                            // whose origin WebKit sends as the Referrer
                            // Policy says (the harness's sandboxed page is
                            // http://opaque-origin.test/); Chromium and
                            // Firefox send none, as the engine does.
                            let keep = n == "origin"
                                || (n == "referer" && !opaque_page)
                                || n == "authorization"
                                || n.starts_with("access-control-request-")
                                || n.starts_with("sec-fetch-");
                            keep.then(|| (n, h[1].as_str().unwrap_or("").to_owned()))
                        })
                        .collect();
                    kept.sort();
                    serde_json::json!({
                        "method": r["method"],
                        "url": r["url"],
                        "headers": kept,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    m.insert("sent", Value::Array(sent));
    m
}

/// A header value as the script read it (a `ByteString`: one character a
/// byte, `fetch#concept-header-value` isomorphic decoded) in the scenario
/// format's form of the bytes: a string where they are UTF-8, else
/// `{"bytes": [...]}`.
fn header_value_of_script_string(s: &str) -> Value {
    let bytes: Option<Vec<u8>> = s.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    match bytes {
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Value::String(text),
            Err(e) => serde_json::json!({ "bytes": e.into_bytes() }),
        },
        None => Value::String(s.to_owned()),
    }
}

/// The keys on which two results differ. For Chromium, whose DevTools name
/// each CORS refusal with the names the engine uses, the reason too.
fn differences(
    name: &str,
    opaque_page: bool,
    browser: &Value,
    engine: &Value,
) -> Vec<(&'static str, Value, Value)> {
    let mut b = comparable(browser, opaque_page);
    let mut e = comparable(engine, opaque_page);
    if let Some(Value::Object(headers)) = b.get_mut("response_headers") {
        for v in headers.values_mut() {
            if let Value::String(s) = v {
                *v = header_value_of_script_string(s);
            }
        }
    }
    if let Some(reason) = chromium_cors_error(name, browser) {
        b.insert("error", Value::String(reason));
        e.insert("error", engine["error"].clone());
    }
    let mut keys: BTreeSet<&'static str> = b.keys().copied().collect();
    keys.extend(e.keys().copied());
    // `type` and `redirected` only where the browser could show them.
    for k in ["type", "redirected"] {
        if !b.contains_key(k) {
            keys.remove(k);
        }
    }
    keys.into_iter()
        .filter(|k| b.get(k) != e.get(k))
        .map(|k| {
            let value = |m: &BTreeMap<&str, Value>| m.get(k).cloned().unwrap_or(Value::Null);
            (k, value(&b), value(&e))
        })
        .collect()
}

struct Tally {
    run: usize,
    agreeing: usize,
    unrunnable: usize,
    /// (id, which fetch, differing keys, browser's value, engine's value)
    disagreements: Vec<(String, String, Vec<String>, String)>,
}

fn check_browser(browser: &str) -> Tally {
    let path = common::repo(&format!("spec-vectors/browsers/{browser}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let recording: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert_eq!(recording["browser"], browser);
    let profile = Profile::by_name(browser).expect("a profile per browser");

    let mut files: HashMap<String, HashMap<String, Scenario>> = HashMap::new();
    let mut tally = Tally {
        run: 0,
        agreeing: 0,
        unrunnable: 0,
        disagreements: Vec::new(),
    };
    let entries = recording["scenarios"].as_array().expect("scenarios");
    assert!(!entries.is_empty(), "{} records nothing", path.display());
    for entry in entries {
        let id = entry["id"].as_str().expect("id").to_owned();
        if entry.get("unrunnable").is_some() {
            tally.unrunnable += 1;
            continue;
        }
        let label = entry["file"].as_str().expect("file").to_owned();
        let scenarios = files.entry(label.clone()).or_insert_with(|| {
            let p = scenario_file(&label);
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            parse_file(&text)
                .expect("scenario file parses")
                .into_iter()
                .filter_map(Result::ok)
                .map(|s| (s.id.clone(), s))
                .collect()
        });
        let Some(scenario) = scenarios.get(&id) else {
            panic!("{browser}: {id} is recorded but no longer in {label}: re-record");
        };
        // The engine at the times the browser really ran each followup.
        let mut scenario = scenario.clone();
        let recorded_followups = entry["followups"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            recorded_followups.len(),
            scenario.followups.len(),
            "{browser}: {id}: followups recorded differ from the scenario's: re-record"
        );
        for (f, r) in scenario.followups.iter_mut().zip(&recorded_followups) {
            f.at = r["at"].as_f64().expect("followup at");
        }
        let engine = evaluate_with(&Policy::new(profile), &scenario);
        let mut pairs: Vec<(String, &Value, &Value)> = Vec::new();
        match entry["runs"].as_array() {
            Some(runs) => {
                for (i, (b, e)) in runs.iter().zip(&engine.runs).enumerate() {
                    pairs.push((format!("run {}", i + 1), b, e));
                }
            }
            None => pairs.push(("result".into(), &entry["result"], &engine.result)),
        }
        for (i, (r, e)) in recorded_followups.iter().zip(&engine.followups).enumerate() {
            pairs.push((format!("followup {}", i + 1), &r["result"], e));
        }
        tally.run += 1;
        let opaque_page = scenario.request.get("origin").and_then(Value::as_str) == Some("null");
        let mut agrees = true;
        for (which, b, e) in pairs {
            let diff = differences(browser, opaque_page, b, e);
            if !diff.is_empty() {
                // The refusal's name is checked and listed, but is not one
                // of the dimensions agreement is measured on.
                if diff.iter().any(|(k, _, _)| *k != "error") {
                    agrees = false;
                }
                let detail = diff
                    .iter()
                    .map(|(k, b, e)| format!("{k}: browser {b} / engine {e}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                let keys = diff.iter().map(|(k, _, _)| (*k).to_owned()).collect();
                tally.disagreements.push((id.clone(), which, keys, detail));
            }
        }
        if agrees {
            tally.agreeing += 1;
        }
    }
    tally
}

/// The listed disagreements: `(browser, id, fetch) -> keys`.
fn listed() -> BTreeMap<(String, String, String), Vec<String>> {
    let path = common::repo("spec-vectors/browsers/disagreements.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("disagreements.json is JSON");
    let mut out = BTreeMap::new();
    for d in v["disagreements"].as_array().expect("disagreements") {
        let key = (
            d["browser"].as_str().expect("browser").to_owned(),
            d["id"].as_str().expect("id").to_owned(),
            d["fetch"].as_str().unwrap_or("result").to_owned(),
        );
        let keys: Vec<String> = d["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k.as_str().expect("key").to_owned())
            .collect();
        let cause = d["cause"].as_str().unwrap_or("");
        assert!(
            !cause.trim().is_empty(),
            "{key:?} is listed without a cause"
        );
        let kind = d["kind"].as_str().unwrap_or("");
        assert!(
            ["browser-bug", "out-of-scope", "engine-bug", "naming"].contains(&kind),
            "{key:?}: kind must be browser-bug, out-of-scope, engine-bug or naming"
        );
        out.insert(key, keys);
    }
    out
}

fn check(browser: &str) {
    let tally = check_browser(browser);
    let listed = listed();
    let mut unexplained = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, which, keys, detail) in &tally.disagreements {
        let key = (browser.to_owned(), id.clone(), which.clone());
        match listed.get(&key) {
            Some(k) if k == keys => {
                seen.insert(key);
            }
            _ => unexplained.push(format!("{id} ({which}): {detail}")),
        }
    }
    let stale: Vec<_> = listed
        .keys()
        .filter(|k| k.0 == browser && !seen.contains(*k))
        .collect();
    let pct = 100.0 * tally.agreeing as f64 / tally.run.max(1) as f64;
    eprintln!(
        "{browser}: {} run, {} agreeing ({pct:.1} %), {} disagreeing, {} unrunnable",
        tally.run,
        tally.agreeing,
        tally.run - tally.agreeing,
        tally.unrunnable
    );
    assert!(
        unexplained.is_empty(),
        "{browser}: {} disagreement(s) not listed in spec-vectors/browsers/disagreements.json:\n  {}",
        unexplained.len(),
        unexplained.join("\n  ")
    );
    assert!(
        stale.is_empty(),
        "{browser}: listed disagreements that no longer happen: {stale:?}"
    );
    assert!(pct >= 99.0, "{browser}: agreement {pct:.1} % is under 99 %");
    check_readme_row(browser, &tally);
}

/// The README's conformance table holds the same figures.
fn check_readme_row(browser: &str, tally: &Tally) {
    let readme = std::fs::read_to_string(common::repo("README.md")).expect("README.md");
    let figures = format!(
        " | {} | {} | {} | {} |",
        tally.run,
        tally.agreeing,
        tally.run - tally.agreeing,
        tally.unrunnable
    );
    let row = readme
        .lines()
        .find(|l| l.starts_with(&format!("| {browser} ")))
        .unwrap_or_else(|| panic!("README.md's conformance table has no row for {browser}"));
    assert!(
        row.ends_with(&figures),
        "README.md's row for {browser} should end `{figures}`, not `{row}`"
    );
}

#[test]
fn chromium_recording() {
    check("chromium");
}

#[test]
fn firefox_recording() {
    check("firefox");
}

#[test]
fn webkit_recording() {
    check("webkit");
}
