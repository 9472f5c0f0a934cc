//! External conformance: WPT URL origin cases, the Public Suffix List's own
//! test vectors, and WPT MIME type parsing cases (`../shared/wpt/`).

mod common;

use crossorigin::{MimeType, Origin, Psl};
use serde_json::Value;

#[test]
fn wpt_url_origins() {
    let text = std::fs::read_to_string(common::shared("wpt/origin-cases.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 390, "the file says it holds 390 cases");
    let mut failures = Vec::new();
    for c in cases {
        let input = c["input"].as_str().unwrap();
        let parsed = match c["base"].as_str() {
            Some(b) => url::Url::parse(b).and_then(|b| b.join(input)),
            None => url::Url::parse(input),
        };
        let got = match parsed {
            Ok(u) => Origin::of(&u).to_string(),
            Err(e) => format!("parse failure: {e}"),
        };
        if got != c["origin"].as_str().unwrap() {
            failures.push(format!("{c}: got {got}"));
        }
    }
    eprintln!(
        "origin-cases: {} passed, {} failed",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `checkPublicSuffix(domain, expected)`: the registrable domain of the
/// domain, with the shipped snapshot. A leading dot means "not a domain".
#[test]
fn psl_test_vectors() {
    let text = std::fs::read_to_string(common::shared("wpt/psl-tests.txt")).unwrap();
    let psl = Psl::shipped();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in text.lines() {
        let Some(args) = line.trim().strip_prefix("checkPublicSuffix(") else {
            continue;
        };
        let args = args.trim_end_matches(");");
        let (domain, expected) = args.split_once(", ").unwrap();
        let unquote = |s: &str| (s != "null").then(|| s.trim_matches('\'').to_owned());
        let (domain, expected) = (unquote(domain), unquote(expected));
        let got = domain.as_deref().and_then(|d| {
            // The list's tests give raw input: a leading dot is never a
            // domain, and hosts go through the URL host parser first
            // (lower case, punycode).
            if d.starts_with('.') {
                return None;
            }
            let host = crossorigin::Host::parse(d).ok()?;
            host.registrable_domain(psl).map(str::to_owned)
        });
        // Expected values may be Unicode; compare in the host parser's form.
        let expected = expected.map(|e| crossorigin::Host::parse(&e).unwrap().to_string());
        checked += 1;
        if got != expected {
            failures.push(format!("{line}: got {got:?}"));
        }
    }
    assert!(checked > 60, "only {checked} checks found");
    eprintln!(
        "psl-tests: {} passed, {} failed",
        checked - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn wpt_mime_types() {
    let text = std::fs::read_to_string(common::shared("wpt/mime-types.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in doc.as_array().unwrap().iter().filter(|c| c.is_object()) {
        checked += 1;
        let input = c["input"].as_str().unwrap();
        let got = MimeType::parse(input).map(|m| m.to_string());
        let want = c["output"].as_str().map(str::to_owned);
        if got != want {
            failures.push(format!("{input:?}: expected {want:?}, got {got:?}"));
        }
    }
    assert_eq!(checked, 71);
    eprintln!(
        "mime-types: {} passed, {} failed",
        checked - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
