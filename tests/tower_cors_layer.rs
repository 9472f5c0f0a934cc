//! tower-http's `CorsLayer`, in several configurations, in front of a
//! trivial handler, fetched as a browser would through
//! `crossorigin::tower::check`.
//!
//! Each expected outcome is worked out from the Fetch Standard
//! (`fetch#cors-check`, `fetch#cors-preflight-fetch`,
//! `fetch#concept-filtered-response-cors`) and from what `CorsLayer` sends
//! (tower-http 0.7: an `OPTIONS` request is always answered by the layer
//! itself with 200 and an empty body; other requests get the handler's
//! response with the layer's headers added). The comment on each test gives
//! the reasoning.
#![cfg(feature = "tower")]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use crossorigin::tower::{Checked, Refused, check, check_at};
use crossorigin::{CredentialsMode, Policy, Profile, Request, ResponseType};
use http::{HeaderValue, Method, header};
use http_body_util::Full;
use tower::{Layer, Service, service_fn};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

type Body = Full<Bytes>;

const PAGE: &str = "https://app.example";
const URL: &str = "https://api.example/items/1";

/// What the handler saw: one `METHOD` per call.
type Calls = Arc<Mutex<Vec<String>>>;

/// The handler: 200 with a JSON content type and a non-safelisted
/// `X-Request-Id`, whatever the request.
fn handler(
    calls: &Calls,
) -> impl Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone
{
    let calls = calls.clone();
    service_fn(move |req: http::Request<Body>| {
        calls.lock().unwrap().push(req.method().as_str().to_owned());
        async {
            Ok(http::Response::builder()
                .header(header::CONTENT_TYPE, "application/json")
                .header("x-request-id", "42")
                .body(Body::from("{}"))
                .unwrap())
        }
    })
}

fn calls() -> Calls {
    Arc::new(Mutex::new(Vec::new()))
}

fn called(calls: &Calls) -> Vec<String> {
    calls.lock().unwrap().clone()
}

fn get() -> Request {
    Request::get(URL, PAGE).unwrap()
}

/// `fetch(URL, {method: "PUT", headers: {"Content-Type": "application/json"}, body})`:
/// preflighted for both the method and the header.
fn put_json() -> Request {
    get()
        .with_method("PUT")
        .with_header("Content-Type", "application/json")
        .with_body(r#"{"name":"x"}"#)
}

fn spec() -> Policy {
    Policy::new(Profile::spec())
}

fn run<S>(service: &mut S, policy: &Policy, request: Request) -> Result<Checked, Refused>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: std::fmt::Display,
{
    pollster::block_on(check(service, policy, request))
}

fn allowed<S>(service: &mut S, policy: &Policy, request: Request) -> Checked
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: std::fmt::Display,
{
    match run(service, policy, request) {
        Ok(c) => c,
        Err(r) => panic!("expected the browser to allow the fetch; it refuses: {r:?}"),
    }
}

fn refused<S>(service: &mut S, policy: &Policy, request: Request) -> Refused
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Error: std::fmt::Display,
{
    match run(service, policy, request) {
        Ok(c) => panic!("expected the browser to refuse the fetch; it allows: {c:?}"),
        Err(r) => r,
    }
}

fn header_of(headers: &crossorigin::HeaderList, name: &str) -> Option<String> {
    headers
        .get(name.as_bytes())
        .map(|v| String::from_utf8(v).unwrap())
}

/// `permissive()` answers the preflight with `Access-Control-Allow-Origin`,
/// `-Methods` and `-Headers` all `*`, which cover PUT and `content-type`
/// for a request without credentials (`fetch#cors-preflight-fetch` step
/// 7: `*` counts as a wildcard when the credentials mode is not
/// "include"), and the 200 is an ok status. The PUT's response carries
/// `Access-Control-Allow-Origin: *` (passes the CORS check) and
/// `Access-Control-Expose-Headers: *`, which without credentials exposes
/// every header, `X-Request-Id` included.
#[test]
fn permissive_allows_a_put_with_json_after_a_preflight() {
    let calls = calls();
    let mut service = CorsLayer::permissive().layer(handler(&calls));
    let seen = allowed(&mut service, &spec(), put_json());

    assert_eq!(seen.preflights(), 1);
    assert_eq!(seen.exchanges.len(), 2);
    let preflight = &seen.exchanges[0].sent;
    assert_eq!(preflight.method, b"OPTIONS");
    let h = &preflight.headers;
    assert_eq!(header_of(h, "origin").as_deref(), Some(PAGE));
    assert_eq!(
        header_of(h, "access-control-request-method").as_deref(),
        Some("PUT")
    );
    assert_eq!(
        header_of(h, "access-control-request-headers").as_deref(),
        Some("content-type")
    );
    // The layer answers the preflight itself: the handler only sees the PUT.
    assert_eq!(called(&calls), ["PUT"]);

    let r = &seen.response;
    assert_eq!(r.response_type, ResponseType::Cors);
    assert_eq!(r.status, 200);
    assert!(
        r.visible_header_names()
            .contains(&"x-request-id".to_owned())
    );
}

/// `allow_origin(exact)` + `allow_methods([GET])`: the preflight passes the
/// CORS check (the origin matches) and has an ok status, but
/// `Access-Control-Allow-Methods: GET` does not list PUT, PUT is not a
/// CORS-safelisted method and there is no `*` (step 7.5): a network
/// error, reported before the headers are looked at. The PUT never leaves.
#[test]
fn exact_origin_and_only_get_refuses_a_put() {
    let calls = calls();
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(PAGE))
        .allow_methods([Method::GET]);
    let mut service = cors.layer(handler(&calls));
    let refusal = refused(&mut service, &spec(), put_json());

    assert_eq!(refusal.name(), "MethodDisallowedByPreflightResponse");
    assert_eq!(refusal.preflights(), 1);
    assert_eq!(refusal.exchanges.len(), 1);
    assert!(called(&calls).is_empty());
    assert!(refusal.to_string().contains("PUT"), "{refusal}");
}

/// The same layer, a simple GET from the allowed page: no preflight (GET
/// and no header outside the safelist), and the response's
/// `Access-Control-Allow-Origin` is the page's origin byte for byte.
/// `X-Request-Id` is not exposed (no `Access-Control-Expose-Headers`), so
/// the script sees only the safelisted `Content-Type`.
#[test]
fn exact_origin_allows_a_simple_get() {
    let calls = calls();
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(PAGE))
        .allow_methods([Method::GET]);
    let mut service = cors.layer(handler(&calls));
    let seen = allowed(&mut service, &spec(), get());

    assert_eq!(seen.preflights(), 0);
    assert_eq!(called(&calls), ["GET"]);
    assert_eq!(seen.response.visible_header_names(), ["content-type"]);
}

/// `allow_origin(exact)` sends that origin to every page, whatever the
/// request's `Origin`: from another page the CORS check compares
/// `https://app.example` with `https://other.example` and fails
/// (`fetch#cors-check` step 7). The request did reach the handler: CORS
/// only keeps the response from the script.
#[test]
fn exact_origin_refuses_another_page() {
    let calls = calls();
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(PAGE))
        .allow_methods([Method::GET]);
    let mut service = cors.layer(handler(&calls));
    let request = Request::get(URL, "https://other.example").unwrap();
    let refusal = refused(&mut service, &spec(), request);

    assert_eq!(refusal.name(), "AllowOriginMismatch");
    assert_eq!(called(&calls), ["GET"]);
}

/// `AllowOrigin::list`: tower-http echoes the origin when it is listed and
/// sends no `Access-Control-Allow-Origin` at all otherwise, so a page not
/// on the list gets "no header" rather than "mismatch".
#[test]
fn origin_list_echoes_listed_pages_and_omits_the_header_for_others() {
    let calls = calls();
    let cors = CorsLayer::new().allow_origin(AllowOrigin::list([
        HeaderValue::from_static(PAGE),
        HeaderValue::from_static("https://admin.example"),
    ]));
    let mut service = cors.layer(handler(&calls));
    let policy = spec();

    let seen = allowed(&mut service, &policy, get());
    let got = seen.exchanges[0].received.as_ref().unwrap();
    assert_eq!(
        header_of(&got.headers, "access-control-allow-origin").as_deref(),
        Some(PAGE)
    );
    // The answer depends on `Origin`, and the layer says so.
    assert_eq!(header_of(&got.headers, "vary").as_deref(), Some("origin"));

    let other = Request::get(URL, "https://other.example").unwrap();
    let refusal = refused(&mut service, &policy, other);
    assert_eq!(refusal.name(), "MissingAllowOriginHeader");
}

/// Credentials, done right: the origin mirrored (never `*`),
/// `Access-Control-Allow-Credentials: true`, PUT and `content-type` listed
/// by name. The preflight's CORS check runs with the actual request's
/// credentials mode "include" (step 7), so it needs the exact origin and
/// `true`; both are there, and so on the PUT's response. The preflight
/// itself carries no cookies; the PUT does. With credentials,
/// `Access-Control-Expose-Headers` is absent here, so only safelisted
/// response headers are visible.
#[test]
fn credentials_with_a_mirrored_origin_allow_a_credentialed_put() {
    let calls = calls();
    let cors = CorsLayer::new()
        .allow_credentials(true)
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE]);
    let mut service = cors.layer(handler(&calls));
    let request = put_json().with_credentials(CredentialsMode::Include);
    let seen = allowed(&mut service, &spec(), request);

    assert_eq!(seen.preflights(), 1);
    assert!(!seen.exchanges[0].sent.credentials);
    assert!(seen.exchanges[1].sent.credentials);
    assert_eq!(called(&calls), ["PUT"]);
    assert_eq!(seen.response.visible_header_names(), ["content-type"]);
}

/// The same layer without `allow_credentials(true)`: a credentialed fetch
/// fails on the preflight, whose CORS check needs
/// `Access-Control-Allow-Credentials: true` (`fetch#cors-check` step 8).
#[test]
fn credentialed_put_needs_allow_credentials_on_the_preflight() {
    let calls = calls();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::PUT])
        .allow_headers([header::CONTENT_TYPE]);
    let mut service = cors.layer(handler(&calls));
    let request = put_json().with_credentials(CredentialsMode::Include);
    let refusal = refused(&mut service, &spec(), request);

    assert_eq!(refusal.name(), "PreflightInvalidAllowCredentials");
    assert!(called(&calls).is_empty());
}

/// `permissive()` and `credentials: "include"`: `Access-Control-Allow-Origin: *`
/// is not a match when credentials are included (`fetch#cors-check` step
/// 6 applies only to other modes; then `*` is not the request's
/// origin). A simple GET is sent, reaches the handler, and is refused.
#[test]
fn permissive_refuses_a_credentialed_get() {
    let calls = calls();
    let mut service = CorsLayer::permissive().layer(handler(&calls));
    let request = get().with_credentials(CredentialsMode::Include);
    let refusal = refused(&mut service, &spec(), request);

    assert_eq!(refusal.name(), "WildcardOriginNotAllowed");
    assert_eq!(called(&calls), ["GET"]);
}

/// `very_permissive()` mirrors the origin, the requested method and the
/// requested header names, with `Access-Control-Allow-Credentials: true`:
/// everything is listed by name, so even `Authorization` (never covered by
/// `*`) passes, with credentials.
#[test]
fn very_permissive_allows_a_credentialed_put_with_authorization() {
    let calls = calls();
    let mut service = CorsLayer::very_permissive().layer(handler(&calls));
    let request = put_json()
        .with_header("Authorization", "Bearer t")
        .with_credentials(CredentialsMode::Include);
    let seen = allowed(&mut service, &spec(), request);

    assert_eq!(seen.preflights(), 1);
    let answer = seen.exchanges[0].received.as_ref().unwrap();
    assert_eq!(answer.status, 200);
    let h = &answer.headers;
    assert_eq!(
        header_of(h, "access-control-allow-origin").as_deref(),
        Some(PAGE)
    );
    assert_eq!(
        header_of(h, "access-control-allow-methods").as_deref(),
        Some("PUT")
    );
    assert_eq!(
        header_of(h, "access-control-allow-headers").as_deref(),
        Some("authorization,content-type")
    );
    assert_eq!(
        header_of(h, "vary").as_deref(),
        Some("origin, access-control-request-method, access-control-request-headers")
    );
    assert_eq!(called(&calls), ["PUT"]);
}

/// `permissive()` and `Authorization`: the standard never lets `*` in
/// `Access-Control-Allow-Headers` cover `Authorization` (a CORS
/// non-wildcard request-header name, step 7.6), so the spec profile
/// refuses. Chromium departs (its `CorsNonWildcardRequestHeadersSupport`
/// is off, see `Profile::chromium`) and lets it through, but never caches
/// that permission: each fetch is preflighted again.
#[test]
fn permissive_and_authorization_depend_on_the_browser() {
    let calls = calls();
    let mut service = CorsLayer::permissive().layer(handler(&calls));
    let request = || get().with_header("Authorization", "Bearer t");

    let refusal = refused(&mut service, &spec(), request());
    assert_eq!(refusal.name(), "HeaderDisallowedByPreflightResponse");
    assert!(refusal.to_string().contains("authorization"), "{refusal}");

    let chromium = Policy::new(Profile::chromium());
    let first = allowed(&mut service, &chromium, request());
    let second = allowed(&mut service, &chromium, request());
    assert_eq!((first.preflights(), second.preflights()), (1, 1));
}

/// No `CorsLayer` at all: the handler answers everything with 200 and no
/// `Access-Control-Allow-Origin`. A simple GET fails the CORS check on its
/// response; a PUT fails it on the preflight, which the handler answered,
/// and the PUT is never sent.
#[test]
fn no_cors_layer_refuses_get_and_put() {
    let calls = calls();
    let mut service = handler(&calls);
    let policy = spec();

    let refusal = refused(&mut service, &policy, get());
    assert_eq!(refusal.name(), "MissingAllowOriginHeader");

    let refusal = refused(&mut service, &policy, put_json());
    assert_eq!(refusal.name(), "PreflightMissingAllowOriginHeader");
    assert_eq!(called(&calls), ["GET", "OPTIONS"]);
}

/// Same origin: no CORS at all, even with no `CorsLayer`, and no `Origin`
/// header on a GET (`fetch#append-a-request-origin-header`).
#[test]
fn same_origin_needs_no_cors_layer() {
    let calls = calls();
    let mut service = handler(&calls);
    let request = Request::get(URL, "https://api.example").unwrap();
    let seen = allowed(&mut service, &spec(), request);

    assert_eq!(seen.response.response_type, ResponseType::Basic);
    assert!(!seen.exchanges[0].sent.headers.contains(b"origin"));
    assert!(
        seen.response
            .visible_header_names()
            .contains(&"x-request-id".to_owned())
    );
}

/// A script's own `OPTIONS` request (`fetch(url, {method: "OPTIONS"})`):
/// not a CORS-safelisted method, so preflighted; then the actual OPTIONS is
/// sent. `CorsLayer` takes every OPTIONS for a preflight and answers it
/// itself, so the handler never runs: the browser accepts the layer's 200
/// (`*` passes the CORS check), and the script sees an empty response.
#[test]
fn cors_layer_swallows_a_scripts_own_options_request() {
    let calls = calls();
    let mut service = CorsLayer::permissive().layer(handler(&calls));
    let seen = allowed(&mut service, &spec(), get().with_method("OPTIONS"));

    assert_eq!(seen.preflights(), 1);
    assert_eq!(seen.exchanges.len(), 2);
    assert!(called(&calls).is_empty());
    assert_eq!(seen.response.status, 200);
    assert!(
        !seen
            .response
            .visible_header_names()
            .contains(&"x-request-id".to_owned())
    );
}

/// `max_age(60 s)`: the preflight's answer is cached
/// (`fetch#cors-preflight-cache`) for the origin and URL, so another PUT
/// within 60 s goes without a preflight, and one after needs a new one.
#[test]
fn max_age_lets_the_browser_skip_the_next_preflight() {
    let calls = calls();
    let cors = CorsLayer::permissive().max_age(Duration::from_secs(60));
    let mut service = cors.layer(handler(&calls));
    let policy = spec();
    let at = |s| Duration::from_secs(s);

    let run_at = |service: &mut _, t| {
        let checked = pollster::block_on(check_at(service, &policy, put_json(), at(t)));
        checked.map(|c| c.preflights()).map_err(|r| r.to_string())
    };
    assert_eq!(run_at(&mut service, 0), Ok(1));
    assert_eq!(run_at(&mut service, 59), Ok(0));
    assert_eq!(run_at(&mut service, 61), Ok(1));
    assert_eq!(called(&calls), ["PUT", "PUT", "PUT"]);
}

/// A service that fails (its error passes through `CorsLayer`): the
/// browser sees the connection fail, whatever CORS would have said.
#[test]
fn a_failing_service_is_a_network_failure() {
    let failing = service_fn(|_req: http::Request<Body>| async {
        Err::<http::Response<Body>, _>("database unreachable")
    });
    let mut service = CorsLayer::permissive().layer(failing);
    let refusal = refused(&mut service, &spec(), get());

    assert_eq!(refusal.name(), "NetworkFailure");
    let why = refusal.exchanges[0].received.as_ref().unwrap_err();
    assert!(why.contains("database unreachable"), "{why}");
}

/// A header value with a control byte (`\x01`) is valid for `fetch()` (only
/// NUL, CR and LF are refused), so the browser sends it; the `http` crate
/// cannot hold it, so the request never reaches the service and the
/// browser is told the connection failed. The preflight, which names the
/// header but not its value, goes through.
#[test]
fn a_request_http_cannot_hold_is_a_network_failure() {
    let calls = calls();
    let mut service = CorsLayer::permissive().layer(handler(&calls));
    let refusal = refused(&mut service, &spec(), get().with_header("X-Odd", "a\x01b"));

    assert_eq!(refusal.name(), "NetworkFailure");
    assert_eq!(refusal.exchanges.len(), 2);
    assert!(refusal.exchanges[0].received.is_ok());
    assert!(refusal.exchanges[1].received.is_err());
    assert!(called(&calls).is_empty());
}

/// `Refused`'s `Debug` (what `.unwrap()` prints) names the refusal and
/// shows each request and answer; with feature `scenario` it also says
/// what to change on the server.
#[test]
fn a_refusal_explains_itself() {
    let calls = calls();
    let mut service = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET])
        .layer(handler(&calls));
    let refusal = refused(&mut service, &spec(), put_json());
    let text = format!("{refusal:?}");

    assert!(
        text.starts_with("MethodDisallowedByPreflightResponse: "),
        "{text}"
    );
    assert!(
        text.contains("sent OPTIONS https://api.example/items/1 (preflight)"),
        "{text}"
    );
    assert!(text.contains("got 200"), "{text}");
    #[cfg(feature = "scenario")]
    assert_eq!(
        refusal.fix().as_deref(),
        Some("add `Access-Control-Allow-Methods: PUT` to the OPTIONS response")
    );
}

/// An axum `Router`, the usual way to meet `CorsLayer`. A `Router` takes any
/// body type, so `check` is told which: `check::<axum::body::Body, _, _>`.
mod axum_router {
    use super::*;
    use axum::Router;
    use axum::routing::get;

    async fn show() -> &'static str {
        "item"
    }

    async fn update(body: String) -> String {
        body
    }

    fn cors() -> CorsLayer {
        CorsLayer::new()
            .allow_origin(HeaderValue::from_static(PAGE))
            .allow_methods([Method::GET, Method::PUT])
            .allow_headers([header::CONTENT_TYPE])
    }

    fn run(app: &mut Router, request: Request) -> Result<Checked, Refused> {
        pollster::block_on(check::<axum::body::Body, _, _>(app, &spec(), request))
    }

    /// The layer after the routes wraps them: the preflight gets the layer's
    /// 200 with the origin, PUT and `content-type` listed, and the PUT's
    /// response the origin: allowed (`fetch#cors-preflight-fetch` step 7,
    /// then `fetch#cors-check`).
    #[test]
    fn cors_layer_after_the_routes_allows_a_put() {
        let mut app = Router::new()
            .route("/items/{id}", get(show).put(update))
            .layer(cors());
        let seen = run(&mut app, put_json()).unwrap();

        assert_eq!(seen.preflights(), 1);
        assert_eq!(seen.response.status, 200);
        let preflight_answer = seen.exchanges[0].received.as_ref().unwrap();
        assert_eq!(preflight_answer.status, 200);
    }

    /// axum applies `.layer` only to the routes already added: with the
    /// layer first, the route is bare. Its preflight reaches the method
    /// router, which has no OPTIONS handler and answers 405 without
    /// `Access-Control-Allow-Origin`: the preflight fails the CORS check
    /// (and would fail for its status too), so the PUT never leaves. A GET
    /// fails the CORS check on its own response.
    #[test]
    fn cors_layer_before_the_routes_covers_nothing() {
        let mut app = Router::new()
            .layer(cors())
            .route("/items/{id}", get(show).put(update));

        let refusal = run(&mut app, put_json()).unwrap_err();
        assert_eq!(refusal.name(), "PreflightMissingAllowOriginHeader");
        assert_eq!(refusal.exchanges.len(), 1);
        assert_eq!(refusal.exchanges[0].received.as_ref().unwrap().status, 405);

        let refusal = run(&mut app, super::get()).unwrap_err();
        assert_eq!(refusal.name(), "MissingAllowOriginHeader");
    }
}
