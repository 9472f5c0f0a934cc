//! `crossorigin explain`: the narrative names the check that fails and the
//! smallest change on the server that makes the browser accept.
#![cfg(feature = "scenario")]

use crossorigin::explain::{explain, routes_from_flags};
use crossorigin::{HeaderList, Policy, Profile, Request};

fn list(pairs: &[(&str, &str)]) -> HeaderList {
    pairs.iter().copied().collect()
}

fn put_json() -> Request {
    Request::get("https://api.example/items/1", "https://app.example")
        .unwrap()
        .with_method("PUT")
        .with_header("Content-Type", "application/json")
        .with_header("X-Trace", "7")
}

#[test]
fn every_missing_allowed_header_is_named_in_one_fix() {
    let routes = routes_from_flags(
        "https://api.example/items/1",
        204,
        &list(&[
            ("Access-Control-Allow-Origin", "https://app.example"),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Allow-Headers", "x-other"),
        ]),
        200,
        &list(&[("Access-Control-Allow-Origin", "https://app.example")]),
    );
    let text = explain(&Policy::new(Profile::spec()), put_json(), &routes);
    assert!(
        text.contains("HeaderDisallowedByPreflightResponse"),
        "{text}"
    );
    assert!(
        text.contains("Access-Control-Allow-Headers: x-other, content-type, x-trace"),
        "{text}"
    );
    assert!(
        text.contains("Access-Control-Request-Headers: content-type,x-trace"),
        "{text}"
    );
}

#[test]
fn wildcard_with_credentials_says_echo_the_origin() {
    let routes = routes_from_flags(
        "https://api.example/x",
        204,
        &HeaderList::new(),
        200,
        &list(&[("Access-Control-Allow-Origin", "*")]),
    );
    let req = Request::get("https://api.example/x", "https://app.example")
        .unwrap()
        .with_credentials(crossorigin::CredentialsMode::Include);
    let text = explain(&Policy::new(Profile::spec()), req, &routes);
    assert!(text.contains("WildcardOriginNotAllowed"), "{text}");
    assert!(text.contains("echo the origin"), "{text}");
    assert!(text.contains("Vary: Origin"), "{text}");
}

#[test]
fn an_allowed_fetch_says_what_the_script_reads() {
    let routes = routes_from_flags(
        "https://api.example/items/1",
        204,
        &list(&[
            ("Access-Control-Allow-Origin", "https://app.example"),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Allow-Headers", "content-type, x-trace"),
        ]),
        200,
        &list(&[
            ("Access-Control-Allow-Origin", "https://app.example"),
            ("Content-Type", "application/json"),
            ("X-Secret", "1"),
        ]),
    );
    let text = explain(&Policy::new(Profile::spec()), put_json(), &routes);
    assert!(text.contains("needs a preflight"), "{text}");
    assert!(
        text.contains("the script gets a `cors` response, status 200, and can read: content-type"),
        "{text}"
    );
}
