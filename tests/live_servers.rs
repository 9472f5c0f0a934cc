//! Real servers over loopback: Express with the npm `cors` middleware
//! (tests/live/express.js) and nginx with `add_header` rules
//! (tests/live/nginx.conf), each in three configurations, probed as a
//! browser would. The expected outcome of each is written from the Fetch
//! standard. `.ci/run` installs and starts the servers, passes their ports
//! in `CROSSORIGIN_EXPRESS_PORT` and `CROSSORIGIN_NGINX_PORT`, and runs
//! these with `--ignored live_`.
#![cfg(feature = "probe")]

use std::time::Duration;

use crossorigin::explain::WarningKind;
use crossorigin::probe::{ProbeOptions, ProbeResult, probe};
use crossorigin::{CredentialsMode, Policy, Profile, Request};

const APP: &str = "https://app.example";

fn base(var: &str) -> String {
    let port = std::env::var(var)
        .unwrap_or_else(|_| panic!("{var} is not set: run these through .ci/run"));
    format!("http://127.0.0.1:{port}")
}

fn express(path: &str) -> String {
    format!("{}{path}", base("CROSSORIGIN_EXPRESS_PORT"))
}

fn nginx(path: &str) -> String {
    format!("{}{path}", base("CROSSORIGIN_NGINX_PORT"))
}

fn options() -> ProbeOptions {
    ProbeOptions {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..ProbeOptions::default()
    }
}

fn run(profile: Profile, request: Request, options: &ProbeOptions) -> ProbeResult {
    probe(&Policy::new(profile), request, options)
}

fn kinds(p: &ProbeResult) -> Vec<WarningKind> {
    p.warnings.iter().map(|w| w.kind).collect()
}

fn refusal(p: &ProbeResult) -> &'static str {
    match &p.result {
        Ok(r) => panic!("allowed (status {}), expected a refusal", r.status),
        Err(e) => e.name(),
    }
}

fn put_json(url: &str) -> Request {
    Request::get(url, APP)
        .unwrap()
        .with_method("PUT")
        .with_header("Content-Type", "application/json")
        .with_body("{}")
}

/// `cors({origin: 'https://app.example', methods: ['GET','PUT'],
/// allowedHeaders: ['Content-Type']})`: the PUT is preflighted
/// (`fetch#cors-preflight-fetch`: not a safelisted method, and
/// `application/json` is not a safelisted Content-Type); the answer allows
/// the origin, PUT and content-type, so the PUT is sent and passes the CORS
/// check. `cors` adds `Vary: Origin`: no warning.
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_express_strict_put_is_allowed() {
    let p = run(
        Profile::chromium(),
        put_json(&express("/strict")),
        &options(),
    );
    let seen = p.result.as_ref().expect("allowed");
    assert_eq!(seen.status, 200);
    assert_eq!(p.preflights(), 1);
    assert_eq!(p.exchanges.len(), 2);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

/// The same configuration from another origin: `cors` still answers
/// `Access-Control-Allow-Origin: https://app.example`, which is not the
/// request's origin (`fetch#concept-cors-check` step 7): refused.
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_express_strict_other_origin_is_refused() {
    let request = Request::get(&express("/strict"), "https://other.example").unwrap();
    let p = run(Profile::spec(), request, &options());
    assert_eq!(refusal(&p), "AllowOriginMismatch");
    assert!(
        p.fix
            .as_deref()
            .unwrap_or("")
            .contains("https://other.example")
    );
}

/// `cors({origin: true, credentials: true})` echoes any origin with
/// `Access-Control-Allow-Credentials: true`: a credentialed GET passes the
/// CORS check (`fetch#concept-cors-check` steps 7-9), and is warned about;
/// the second fetch from https://evil.example is echoed too.
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_express_reflect_with_credentials_is_allowed_and_warned() {
    let mut request = Request::get(&express("/reflect"), APP).unwrap();
    request.credentials = CredentialsMode::Include;
    let options = ProbeOptions {
        check_reflection: true,
        ..options()
    };
    let p = run(Profile::chromium(), request, &options);
    assert!(p.result.is_ok(), "{:?}", p.result);
    assert_eq!(
        kinds(&p),
        vec![
            WarningKind::ReflectedOriginWithCredentials,
            WarningKind::ReflectsAnyOrigin
        ]
    );
}

/// `cors()` answers `Access-Control-Allow-Origin: *`: a credentialed GET
/// fails the CORS check (`*` is not allowed with credentials mode
/// `include`, `fetch#concept-cors-check` step 4).
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_express_default_wildcard_with_credentials_is_refused() {
    let mut request = Request::get(&express("/default"), APP).unwrap();
    request.credentials = CredentialsMode::Include;
    let p = run(Profile::spec(), request, &options());
    assert_eq!(refusal(&p), "WildcardOriginNotAllowed");
    assert!(p.fix.as_deref().unwrap_or("").contains("Vary: Origin"));
}

/// `cors()` echoes `Access-Control-Request-Headers` and allows PUT: a PUT
/// with a custom header passes its preflight and the CORS check (`*`
/// without credentials).
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_express_default_put_with_custom_header_is_allowed() {
    let request = put_json(&express("/default")).with_header("X-Trace", "7");
    let p = run(Profile::firefox(), request, &options());
    assert!(p.result.is_ok(), "{:?}", p.result);
    assert_eq!(p.preflights(), 1);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

/// `add_header Access-Control-Allow-Origin "https://app.example"` on a
/// simple GET: no preflight, the CORS check passes; no `Vary: Origin`
/// beside a named origin is warned about.
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_nginx_simple_get_is_allowed_without_vary() {
    let request = Request::get(&nginx("/simple"), APP).unwrap();
    let p = run(Profile::chromium(), request, &options());
    assert_eq!(p.result.as_ref().expect("allowed").status, 200);
    assert_eq!(p.preflights(), 0);
    assert_eq!(kinds(&p), vec![WarningKind::MissingVaryOrigin]);
}

/// A preflight answered by an `if ($request_method = OPTIONS)` block with
/// `Access-Control-Max-Age 86400`: the PUT is allowed; Chromium caps the
/// max-age at 7200 s (a warning), Firefox at 86400 s (none).
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_nginx_preflight_put_is_allowed_and_max_age_capped() {
    let p = run(
        Profile::chromium(),
        put_json(&nginx("/preflight")),
        &options(),
    );
    assert_eq!(p.result.as_ref().expect("allowed").status, 200);
    assert_eq!(p.preflights(), 1);
    assert_eq!(kinds(&p), vec![WarningKind::MaxAgeAboveCap]);
    let p = run(
        Profile::firefox(),
        put_json(&nginx("/preflight")),
        &options(),
    );
    assert!(p.result.is_ok(), "{:?}", p.result);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

/// `add_header` without `always` is skipped on a 404, so the answer has no
/// `Access-Control-Allow-Origin` (`fetch#concept-cors-check` step 2):
/// refused, and the script cannot even see the status.
#[test]
#[ignore = "needs Express and nginx on 127.0.0.1: .ci/run installs and starts them and runs these with --ignored"]
fn live_nginx_error_without_always_is_refused() {
    let request = Request::get(&nginx("/missing"), APP).unwrap();
    let p = run(Profile::spec(), request, &options());
    assert_eq!(refusal(&p), "MissingAllowOriginHeader");
    assert_eq!(p.exchanges[0].received.as_ref().unwrap().status, 404);
}
