//! `crossorigin::explain::warnings`: answers the browser accepts but that
//! are risky or wasteful, and their place in `explain`'s narrative.
#![cfg(feature = "scenario")]

use crossorigin::explain::{WarningKind, explain, reflection_warning, routes_from_flags, warnings};
use crossorigin::{HeaderList, Method, Outgoing, Policy, Profile, Request, Response};

const APP: &str = "https://app.example";

fn request() -> Request {
    Request::get("https://api.example/items/1", APP).unwrap()
}

fn sent(preflight: bool, origin: &str) -> Outgoing {
    Outgoing {
        method: if preflight {
            Method::OPTIONS
        } else {
            Method::GET
        },
        url: request().url,
        headers: [("Origin", origin)].into_iter().collect(),
        body: None,
        is_preflight: preflight,
        credentials: false,
    }
}

fn answer(headers: &[(&str, &str)]) -> Response {
    let mut r = Response::new(200);
    r.headers = headers.iter().copied().collect::<HeaderList>();
    r
}

fn kinds(sent: &Outgoing, got: &Response, profile: &Profile) -> Vec<WarningKind> {
    warnings(&request(), [(sent, got)], profile)
        .into_iter()
        .map(|w| w.kind)
        .collect()
}

#[test]
fn reflected_origin_with_credentials() {
    let got = answer(&[
        ("Access-Control-Allow-Origin", APP),
        ("Access-Control-Allow-Credentials", "true"),
        ("Vary", "Origin"),
    ]);
    assert_eq!(
        kinds(&sent(false, APP), &got, &Profile::spec()),
        vec![WarningKind::ReflectedOriginWithCredentials]
    );
    // Without credentials, a named origin is not a warning.
    let got = answer(&[("Access-Control-Allow-Origin", APP), ("Vary", "Origin")]);
    assert!(kinds(&sent(false, APP), &got, &Profile::spec()).is_empty());
}

#[test]
fn missing_vary_origin_when_one_origin_is_named() {
    let got = answer(&[("Access-Control-Allow-Origin", APP)]);
    assert_eq!(
        kinds(&sent(false, APP), &got, &Profile::spec()),
        vec![WarningKind::MissingVaryOrigin]
    );
    // `Vary: Accept-Encoding, origin` lists it; `*` needs no `Vary`.
    let got = answer(&[
        ("Access-Control-Allow-Origin", APP),
        ("Vary", "Accept-Encoding, origin"),
    ]);
    assert!(kinds(&sent(false, APP), &got, &Profile::spec()).is_empty());
    let got = answer(&[("Access-Control-Allow-Origin", "*")]);
    assert!(kinds(&sent(false, APP), &got, &Profile::spec()).is_empty());
}

#[test]
fn max_age_above_the_profiles_cap() {
    let got = answer(&[
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Max-Age", "86400"),
    ]);
    // Chromium caps at 7200 s, WebKit at 600 s; Firefox's cap is 86400 s
    // and the standard sets none.
    let w = warnings(&request(), [(&sent(true, APP), &got)], &Profile::chromium());
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, WarningKind::MaxAgeAboveCap);
    assert!(w[0].message.contains("7200"), "{}", w[0].message);
    let w = warnings(&request(), [(&sent(true, APP), &got)], &Profile::webkit());
    assert!(w[0].message.contains("600 seconds"), "{}", w[0].message);
    assert!(kinds(&sent(true, APP), &got, &Profile::firefox()).is_empty());
    assert!(kinds(&sent(true, APP), &got, &Profile::spec()).is_empty());
}

#[test]
fn null_origin_allowed() {
    let got = answer(&[("Access-Control-Allow-Origin", "null")]);
    assert_eq!(
        kinds(&sent(false, "null"), &got, &Profile::spec()),
        vec![WarningKind::NullOriginAllowed]
    );
}

#[test]
fn reflection_of_a_made_up_origin() {
    let evil = "https://evil.example";
    let got = answer(&[("Access-Control-Allow-Origin", evil)]);
    let w = reflection_warning(evil, [(&sent(false, evil), &got)]).unwrap();
    assert_eq!(w.kind, WarningKind::ReflectsAnyOrigin);
    let got = answer(&[("Access-Control-Allow-Origin", APP)]);
    assert!(reflection_warning(evil, [(&sent(false, evil), &got)]).is_none());
}

#[test]
fn explain_prints_the_warnings() {
    let routes = routes_from_flags(
        "https://api.example/items/1",
        204,
        &[
            ("Access-Control-Allow-Origin", APP),
            ("Access-Control-Allow-Methods", "PUT"),
            ("Access-Control-Max-Age", "86400"),
        ]
        .into_iter()
        .collect(),
        200,
        &[("Access-Control-Allow-Origin", APP)].into_iter().collect(),
    );
    let put = request().with_method("PUT");
    let text = explain(&Policy::new(Profile::chromium()), put, &routes);
    assert!(text.contains("Result: the script gets"), "{text}");
    assert!(text.contains("\nWarnings:\n"), "{text}");
    assert!(text.contains("MaxAgeAboveCap"), "{text}");
    assert!(text.contains("MissingVaryOrigin"), "{text}");
}
