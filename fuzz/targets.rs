//! The bodies of the fuzz targets, shared by the cargo-fuzz binaries
//! (`fuzz/fuzz_targets/*.rs`, thin wrappers) and the stable replay test
//! (`tests/fuzz_replay.rs`, which runs every corpus and regression file
//! through them without libFuzzer). Each takes the raw input and panics when
//! an invariant breaks.
//!
//! Input formats (chosen so that seeds are readable and easy to write):
//!
//! - `origin_parse`: the bytes given to `Origin::parse`.
//! - `header_value`: a name, `\n`, then the value (every byte after the first
//!   `\n`, newlines included).
//! - `header_list_values`: the header name to extract on the first line, then
//!   one header per line as `name:value` (split at the first `:`).
//! - `preflight_response`: the method; a flags line (credentials `o`/`s`/`i`,
//!   use-CORS-preflight `0`/`1`, profile `s`/`c`/`f`/`w`); the request
//!   origin; the request's headers as `name:value` lines; an empty line; the
//!   response status; the response's headers as `name:value` lines.
//! - `driver`: a scenario file (JSON, when the input starts with `{` or `[`),
//!   or otherwise bytes decoded by `arbitrary` into a [`DriverInput`].
#![allow(dead_code)]

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use crossorigin::header::{self, HeaderList};
use crossorigin::preflight::{ActualRequest, validate_preflight_response};
use crossorigin::request::{self, check_script_request};
use crossorigin::scenario::{self, Bytes, Route};
use crossorigin::{
    CredentialsMode, FilteredResponse, Mode, Origin, Outgoing, Policy, Profile, RedirectMode,
    ReferrerPolicy, Refusal, Request, Response, ResponseType, Step, method,
};

/// A target's body: panics when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("origin_parse", origin_parse),
    ("header_value", header_value),
    ("header_list_values", header_list_values),
    ("preflight_response", preflight_response),
    ("driver", driver),
];

/// Splits at the first `\n`: (before, after); no `\n` gives (all, empty).
fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A `name:value` line.
fn split_header(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|b| *b == b':') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[]),
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------
// origin_parse
// ---------------------------------------------------------------------------

/// `Origin::parse` is strict: on `Ok`, the input is the origin's
/// serialization byte for byte, or `null`; the serialization parses back to
/// the same origin, and is a URL whose origin is that origin.
pub fn origin_parse(data: &[u8]) {
    if let Ok(o) = Origin::parse(data) {
        let s = o.to_string();
        assert!(
            data == b"null" || s.as_bytes() == data,
            "{:?} parsed to {s}",
            lossy(data)
        );
        assert_eq!(o.is_opaque(), data == b"null");
        assert!(o.serialization_eq(s.as_bytes()));
        if !o.is_opaque() {
            let again = Origin::parse(s.as_bytes()).expect("a serialization parses");
            assert_eq!(again, o);
            let via_url = Origin::from_url_str(&s).expect("a serialized origin is a URL");
            assert_eq!(via_url, o, "{s} as a URL has origin {via_url}");
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        // The origin of any URL serializes to something `parse` takes back.
        if let Ok(o) = Origin::from_url_str(text) {
            let s = o.to_string();
            let back = Origin::parse(s.as_bytes())
                .unwrap_or_else(|e| panic!("{text:?} has origin {s}, which does not parse: {e}"));
            if !o.is_opaque() {
                assert_eq!(back, o);
            }
        }
        let _ = crossorigin::Host::parse(text);
    }
}

// ---------------------------------------------------------------------------
// header_value
// ---------------------------------------------------------------------------

/// The request-header predicates never panic; a value over 128 bytes is
/// never safelisted; safelisted headers are not forbidden; the Fetch API's
/// checks never keep a forbidden header; one header needs a preflight
/// exactly when it is not safelisted.
pub fn header_value(data: &[u8]) {
    let (name, value) = split_line(data);
    let safe = header::is_cors_safelisted_request_header(name, value);
    let forbidden = header::is_forbidden_request_header(name, value);
    if value.len() > header::SAFELISTED_VALUE_MAX {
        assert!(!safe, "a {}-byte value is safelisted", value.len());
    }
    if safe {
        assert!(!forbidden, "{:?} is safelisted and forbidden", lossy(name));
        assert!(value.len() <= header::SAFELISTED_VALUE_MAX);
    }
    if header::is_no_cors_safelisted_request_header(name, value) {
        assert!(safe);
    }
    let _ = header::is_forbidden_response_header_name(name);
    let _ = header::is_cors_safelisted_response_header_name(name, &[value]);
    let _ = header::parse_single_range_header_value(value, false);
    let _ = header::parse_single_range_header_value(value, true);
    assert!(!header::get_decode_split(value).is_empty());
    let _ = crossorigin::MimeType::parse_bytes(value);
    let normalized = header::normalize_value(value);
    assert_eq!(header::normalize_value(normalized), normalized);

    let mut list = HeaderList::new();
    list.append(name, value);
    for profile in Profile::all() {
        let profile_safe = profile.is_safelisted_request_header(name, value);
        if value.len() > header::SAFELISTED_VALUE_MAX {
            assert!(
                !profile_safe,
                "{}: a long value is safelisted",
                profile.name
            );
        }
        assert_eq!(
            request::needs_preflight(b"GET", &list, false, &profile),
            !profile_safe
        );
        assert!(request::needs_preflight(b"PUT", &list, false, &profile));
    }

    let Ok(req) = Request::get("https://api.example/", "https://app.example") else {
        return;
    };
    for mode in [Mode::Cors, Mode::NoCors] {
        let req = req.clone().with_mode(mode).with_header(name, value);
        if let Ok(checked) = check_script_request(req) {
            for h in &checked.request.headers {
                assert!(
                    !header::is_forbidden_request_header(h.name, h.value),
                    "the Fetch API kept {:?}",
                    lossy(h.name)
                );
                if mode == Mode::NoCors {
                    assert!(header::is_no_cors_safelisted_request_header(
                        h.name, h.value
                    ));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// header_list_values
// ---------------------------------------------------------------------------

fn is_token(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|b| header::is_token_byte(*b))
}

/// `extract_token_list` agrees with a plain reading of the `#token` list
/// rule: absent gives `None`; a list element (trimmed of spaces and tabs)
/// that is neither empty nor a token fails; otherwise every non-empty
/// element, in order, each a non-empty token.
pub fn header_list_values(data: &[u8]) {
    let (name, rest) = split_line(data);
    let list: HeaderList = rest
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(split_header)
        .collect();
    let result = header::extract_token_list(name, &list);
    // The reference.
    let expected: Option<Result<Vec<&[u8]>, ()>> = if list.contains(name) {
        let mut tokens = Vec::new();
        let mut failed = false;
        for v in list.values(name) {
            for element in v.split(|b| *b == b',') {
                let t = trim_ows(element);
                if t.is_empty() {
                    continue;
                }
                if !is_token(t) {
                    failed = true;
                }
                tokens.push(t);
            }
        }
        Some(if failed { Err(()) } else { Ok(tokens) })
    } else {
        None
    };
    match (&result, &expected) {
        (Ok(None), None) => {}
        (Ok(Some(got)), Some(Ok(want))) => {
            assert_eq!(got, want);
            for t in got {
                assert!(is_token(t), "{:?} is not a token", lossy(t));
            }
        }
        (Err(_), Some(Err(()))) => {}
        _ => panic!("extract_token_list gave {result:?}, expected {expected:?}"),
    }
    for h in &list {
        let _ = header::get_decode_split(h.value);
        let _ = header::list_grammar(h.name);
    }
    let _ = header::extract_delta_seconds(&list);
    for profile in Profile::all() {
        let max_age = profile.max_age(list.values(b"access-control-max-age"));
        if let Some(cap) = profile.cache.max_age_cap {
            assert!(max_age <= cap);
        }
    }
    let _ = crossorigin::response::cors_exposed_header_names(&list, CredentialsMode::Include);
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let ows = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !ows(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

// ---------------------------------------------------------------------------
// preflight_response
// ---------------------------------------------------------------------------

fn profile_for(flag: Option<&u8>) -> Profile {
    match flag {
        Some(b'c') => Profile::chromium(),
        Some(b'f') => Profile::firefox(),
        Some(b'w') => Profile::webkit(),
        _ => Profile::spec(),
    }
}

/// `validate_preflight_response` never panics, and on `Ok`: the status is
/// ok and not a redirect; the CORS check holds (with credentials: one ACAO
/// exactly the origin, one ACAC exactly `true`); the method is listed,
/// safelisted, or allowed by `*` without credentials; every CORS-unsafe
/// header name is listed or allowed by `*` without credentials
/// (`Authorization` only by name, unless the profile says otherwise); the
/// max-age is within the profile's cap.
pub fn preflight_response(data: &[u8]) {
    let (method, rest) = split_line(data);
    let (flags, rest) = split_line(rest);
    let (origin, mut rest) = split_line(rest);
    let credentials = match flags.first() {
        Some(b'i') => CredentialsMode::Include,
        Some(b's') => CredentialsMode::SameOrigin,
        _ => CredentialsMode::Omit,
    };
    let use_cors_preflight = flags.get(1) == Some(&b'1');
    let profile = profile_for(flags.get(2));
    let mut request_headers = HeaderList::new();
    loop {
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            break;
        }
        let (n, v) = split_header(line);
        request_headers.append(n, v);
    }
    let (status_line, rest) = split_line(rest);
    let status = std::str::from_utf8(status_line)
        .ok()
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    let mut response = Response::new(status);
    for line in rest.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let (n, v) = split_header(line);
        response.headers.append(n, v);
    }
    let actual = ActualRequest {
        method,
        headers: &request_headers,
        credentials,
        use_cors_preflight,
        origin,
    };
    let Ok(result) = validate_preflight_response(&actual, &response, &profile) else {
        return;
    };
    let include = credentials == CredentialsMode::Include;
    assert!((200..=299).contains(&status), "status {status} passed");
    let acao: Vec<&[u8]> = response
        .headers
        .values(b"access-control-allow-origin")
        .collect();
    let acac: Vec<&[u8]> = response
        .headers
        .values(b"access-control-allow-credentials")
        .collect();
    if include {
        assert_eq!(
            acao,
            [origin],
            "credentialed preflight passed with ACAO {acao:?}"
        );
        assert_eq!(
            acac,
            [&b"true"[..]],
            "credentialed preflight passed with ACAC {acac:?}"
        );
    } else {
        assert!(acao.len() == 1 && (acao[0] == b"*" || acao[0] == origin));
    }
    // The lists, parsed independently.
    let parse = |name: &[u8]| -> Vec<Vec<u8>> {
        response
            .headers
            .values(name)
            .flat_map(|v| v.split(|b| *b == b','))
            .map(trim_ows)
            .filter(|t| !t.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    let methods = parse(b"access-control-allow-methods");
    let names = parse(b"access-control-allow-headers");
    assert!(methods.iter().chain(&names).all(|t| is_token(t)));
    let method_star = methods.iter().any(|m| m == b"*");
    let method_ok = methods.iter().any(|m| m == method)
        || method::is_cors_safelisted_method(method)
        || (!include && method_star)
        || (use_cors_preflight && !response.headers.contains(b"access-control-allow-methods"));
    assert!(method_ok, "method {:?} passed", lossy(method));
    let listed = |n: &[u8]| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let header_star = names.iter().any(|n| n == b"*");
    for h in &request_headers {
        if h.name.eq_ignore_ascii_case(b"authorization") && !profile.wildcard_covers_authorization {
            assert!(listed(h.name), "Authorization passed without being listed");
        }
    }
    for name in request::unsafe_header_names(&request_headers, &profile) {
        assert!(
            listed(&name) || (!include && header_star),
            "{:?} passed",
            lossy(&name)
        );
    }
    if let Some(cap) = profile.cache.max_age_cap {
        assert!(result.max_age <= cap);
    }
}

// ---------------------------------------------------------------------------
// driver
// ---------------------------------------------------------------------------

const URLS: &[&str] = &[
    "https://api.example/x",
    "https://api.example/y?q#f",
    "https://app.example/same",
    "http://api.example/",
    "https://sub.app.example/z",
    "https://api.example:8443/p",
    "https://other.example/",
    "https://api.example:25/",
    "data:text/plain,hi",
    "ftp://api.example/",
    "https://u:p@api.example/",
    "about:blank",
    "data:;base64,aGk=",
    "data:text/plain;base64,a",
];

const ORIGINS: &[&str] = &[
    "https://app.example",
    "http://app.example",
    "https://sub.app.example",
    "https://api.example",
    "null",
];

const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "put", "patch", "X-CUSTOM",
    "CONNECT", "trace",
];

const REQUEST_NAMES: &[&str] = &[
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
    "Range",
    "X-Trace",
    "Authorization",
    "Cookie",
    "DPR",
    "Save-Data",
    "X-HTTP-Method-Override",
    "Sec-Fetch-Mode",
    "Origin",
];

const RESPONSE_NAMES: &[&str] = &[
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Location",
    "Set-Cookie",
    "set-cookie2",
    "X-Secret",
    "Content-Type",
    "Cross-Origin-Resource-Policy",
];

const VALUES: &[&str] = &[
    "<origin>",
    "*",
    "null",
    "true",
    "PUT",
    "*, authorization",
    "x-trace, authorization",
    "X-Secret, Set-Cookie",
    "600",
    "-1",
    "text/plain",
    "application/json",
    "bytes=0-",
    "https://api.example/x",
    "/next",
    "https://other.example/",
    "same-origin",
    "sid=1",
    "*, x b",
    "/n\text",
    "/é",
    "bytes=0-99999999999999999999",
    "text/plain;a=b,c",
];

/// A pool index or anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum Pick {
    /// An entry of the pool (modulo its length).
    Pool(u8),
    /// Any bytes.
    Raw(Vec<u8>),
}

impl Pick {
    fn bytes(&self, pool: &[&str]) -> Vec<u8> {
        match self {
            Pick::Pool(i) => pool[usize::from(*i) % pool.len()].as_bytes().to_vec(),
            Pick::Raw(b) => b.clone(),
        }
    }
    fn text(&self, pool: &[&str]) -> String {
        lossy(&self.bytes(pool))
    }
}

/// A header value: from the pool, a long run of one byte, or anything.
#[derive(Arbitrary, Debug, Clone)]
pub enum ValueInput {
    /// An entry of the pool.
    Pool(u8),
    /// `n` times the byte.
    Repeat(u8, u16),
    /// Any bytes.
    Raw(Vec<u8>),
}

impl ValueInput {
    fn bytes(&self, origin: &str) -> Vec<u8> {
        match self {
            ValueInput::Pool(i) => VALUES[usize::from(*i) % VALUES.len()]
                .replace("<origin>", origin)
                .into_bytes(),
            ValueInput::Repeat(b, n) => vec![*b; usize::from(*n) % 4096],
            ValueInput::Raw(b) => b.clone(),
        }
    }
}

/// The request of a fuzzed fetch.
#[derive(Arbitrary, Debug, Clone)]
pub struct RequestInput {
    url: Pick,
    origin: Pick,
    method: Pick,
    headers: Vec<(Pick, ValueInput)>,
    mode: u8,
    credentials: u8,
    redirect: u8,
    referrer_policy: u8,
    use_cors_preflight: bool,
    body: Option<Vec<u8>>,
}

/// One server route.
#[derive(Arbitrary, Debug, Clone)]
pub struct RouteInput {
    url: Pick,
    method: Option<Pick>,
    status: u16,
    headers: Vec<(Pick, ValueInput)>,
    network_error: bool,
}

/// A fuzzed scenario: a request, the server's routes, the profile, and
/// maybe a second fetch on the same policy (so through its cache).
#[derive(Arbitrary, Debug, Clone)]
pub struct DriverInput {
    profile: u8,
    request: RequestInput,
    routes: Vec<RouteInput>,
    later: Option<u16>,
}

impl RequestInput {
    /// The request, or `None` when the URL or origin does not parse.
    fn build(&self) -> Option<Request> {
        let url = url::Url::parse(&self.url.text(URLS)).ok()?;
        let origin = Origin::parse(&self.origin.bytes(ORIGINS)).ok()?;
        let serialized = origin.ascii_serialization();
        let mut r = Request::new(url, origin).with_method(self.method.bytes(METHODS));
        for (n, v) in &self.headers {
            r.headers
                .append(n.bytes(REQUEST_NAMES), v.bytes(&serialized));
        }
        r.mode = match self.mode % 4 {
            0 | 1 => Mode::Cors,
            2 => Mode::NoCors,
            _ => [Mode::SameOrigin, Mode::Navigate][usize::from(self.mode / 4 % 2)],
        };
        r.credentials = [
            CredentialsMode::Omit,
            CredentialsMode::SameOrigin,
            CredentialsMode::Include,
        ][usize::from(self.credentials % 3)];
        r.redirect = [
            RedirectMode::Follow,
            RedirectMode::Error,
            RedirectMode::Manual,
        ][usize::from(self.redirect % 3)];
        r.referrer_policy = [
            ReferrerPolicy::Default,
            ReferrerPolicy::NoReferrer,
            ReferrerPolicy::SameOrigin,
            ReferrerPolicy::UnsafeUrl,
            ReferrerPolicy::StrictOrigin,
        ][usize::from(self.referrer_policy % 5)];
        r.use_cors_preflight = self.use_cors_preflight;
        r.body = self.body.clone();
        Some(r)
    }
}

impl RouteInput {
    fn build(&self, origin: &str) -> Route {
        Route {
            url: self.url.text(URLS),
            method: self.method.as_ref().map(|m| m.text(METHODS)),
            status: i64::from(self.status),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        Bytes::Raw {
                            bytes: n.bytes(RESPONSE_NAMES),
                        },
                        Bytes::Raw {
                            bytes: v.bytes(origin),
                        },
                    )
                })
                .collect(),
            network_error: self.network_error,
        }
    }
}

/// The most `poll` calls a fetch may take: 20 redirects of a preflight and
/// a request each, and the last step, fit well within.
pub const POLL_LIMIT: usize = 100;

/// One fetch, driven against routes.
pub struct Trace {
    /// What was sent, in order.
    pub sent: Vec<Outgoing>,
    /// The last response handed in.
    pub last: Option<Response>,
    /// What the script got.
    pub result: Result<FilteredResponse, Refusal>,
}

/// Runs a fetch against routes; panics if it does not end within
/// [`POLL_LIMIT`] polls.
pub fn drive(policy: &Policy, request: Request, routes: &[Route], now: Duration) -> Trace {
    let mut fetch = policy.fetch(request, now);
    let mut sent = Vec::new();
    let mut last = None;
    for _ in 0..POLL_LIMIT {
        match fetch.poll() {
            Step::Send(out) => {
                let response = scenario::answer(routes, &out);
                last = response.clone().ok();
                sent.push(out);
                fetch.receive(response, now);
            }
            Step::Done(result) => {
                // A finished fetch stays finished.
                assert!(matches!(
                    fetch.poll(),
                    Step::Done(Err(Refusal::NetworkFailure))
                ));
                return Trace { sent, last, result };
            }
        }
    }
    panic!("the fetch did not end within {POLL_LIMIT} polls");
}

const PREFLIGHT_HEADER_NAMES: &[&[u8]] = &[
    b"accept",
    b"access-control-request-method",
    b"access-control-request-headers",
    b"origin",
    b"referer",
    b"sec-fetch-dest",
    b"sec-fetch-mode",
    b"sec-fetch-site",
    // Firefox's profile (`FetchKnobs::sec_fetch_storage_access_on_preflight`).
    b"sec-fetch-storage-access",
];

/// The invariants of one driven fetch.
pub fn check_trace(request: &Request, trace: &Trace) {
    for out in &trace.sent {
        if out.is_preflight {
            assert_eq!(out.method, b"OPTIONS");
            assert!(!out.credentials, "a preflight with credentials");
            assert!(out.body.is_none());
            for h in &out.headers {
                let lower = h.name.to_ascii_lowercase();
                assert!(
                    PREFLIGHT_HEADER_NAMES.contains(&&lower[..]),
                    "a preflight carries {:?}",
                    lossy(h.name)
                );
            }
            assert_eq!(out.headers.get(b"accept").as_deref(), Some(&b"*/*"[..]));
        } else {
            for h in &out.headers {
                let lower = h.name.to_ascii_lowercase();
                let browser_set = matches!(&lower[..], b"origin" | b"referer" | b"content-length")
                    || lower.starts_with(b"sec-fetch-");
                assert!(
                    browser_set || !header::is_forbidden_request_header(h.name, h.value),
                    "a request carries the forbidden header {:?}",
                    lossy(h.name)
                );
            }
        }
    }
    assert!(trace.sent.len() <= 2 * (usize::from(crossorigin::fetch::REDIRECT_LIMIT) + 1));
    let Ok(f) = &trace.result else {
        // A network error: the script sees a TypeError and nothing else.
        return;
    };
    for h in &f.headers() {
        assert!(
            !header::is_forbidden_response_header_name(h.name),
            "{:?} is visible",
            lossy(h.name)
        );
    }
    match f.response_type {
        ResponseType::Opaque | ResponseType::OpaqueRedirect => {
            assert_eq!(f.status, 0);
            assert!(f.headers().is_empty());
        }
        ResponseType::Cors => {
            let last = trace
                .last
                .as_ref()
                .expect("a CORS response from no response");
            let own = request.origin.ascii_serialization();
            assert!(
                crossorigin::cors::cors_check(own.as_bytes(), request.credentials, &last.headers)
                    .is_ok()
                    || crossorigin::cors::cors_check(b"null", request.credentials, &last.headers)
                        .is_ok(),
                "a CORS response that fails the CORS check"
            );
        }
        ResponseType::Basic => {}
    }
}

/// The driver ends on every input; preflights carry no credentials and
/// none of the request's headers; `Set-Cookie` is never visible; a CORS
/// response passed the CORS check; a network error has no status.
pub fn driver(data: &[u8]) {
    if matches!(data.first(), Some(b'{' | b'[')) {
        return driver_json(data);
    }
    let Ok(input) = DriverInput::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let Some(request) = input.request.build() else {
        return;
    };
    let profile = Profile::all()[usize::from(input.profile % 4)];
    let origin = request.origin.ascii_serialization();
    let routes: Vec<Route> = input.routes.iter().map(|r| r.build(&origin)).collect();
    let policy = Policy::new(profile);
    let now = Duration::from_secs(1_000_000);
    let later = input
        .later
        .map(|later| now + Duration::from_secs(u64::from(later)));
    // A replica fetched the same way first, whose last fetch finds its
    // cache by the lookup itself: its lock was taken since, and the
    // thread's last answer is then `policy`'s.
    let replica = later.map(|at| {
        let replica = Policy::new(profile);
        drive(&replica, request.clone(), &routes, now);
        drive(&replica, request.clone(), &routes, at);
        let _ = replica.cache().len();
        replica
    });
    let trace = drive(&policy, request.clone(), &routes, now);
    check_trace(&request, &trace);
    if let (Some(at), Some(replica)) = (later, replica) {
        drive(&policy, request.clone(), &routes, at);
        // Asked again at once: the thread's last answer, given again when
        // it holds, answers as the lookup does.
        let trace = drive(&policy, request.clone(), &routes, at);
        check_trace(&request, &trace);
        let looked_up = drive(&replica, request.clone(), &routes, at);
        assert_eq!(format!("{:?}", trace.sent), format!("{:?}", looked_up.sent));
        assert_eq!(
            format!("{:?}", trace.result),
            format!("{:?}", looked_up.result)
        );
    }
    let result = scenario::run_fetch(&Policy::new(profile), request, &routes, now);
    check_result_json(&result);
}

/// A scenario file's text: reading it never panics, and every scenario
/// that reads runs to an end with results that keep the invariants.
fn driver_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(items) = scenario::parse_file(text) else {
        return;
    };
    for s in items.into_iter().flatten() {
        // Keep each input fast: hostile files may ask for many runs.
        if s.repeat > 4 || s.followups.len() > 8 {
            continue;
        }
        let evaluated = scenario::evaluate(&s);
        for r in evaluated.runs.iter().chain(&evaluated.followups) {
            check_result_json(r);
        }
        let _ = evaluated.mismatches(&s);
    }
}

/// The result object of a fetch (`scenario::run_fetch`).
fn check_result_json(result: &serde_json::Value) {
    match result.get("outcome").and_then(|v| v.as_str()) {
        Some("network-error") => {
            for key in ["status", "type", "visible_headers", "response_headers"] {
                assert!(result.get(key).is_none(), "a network error with {key}");
            }
        }
        Some("ok") => {
            let visible = result.get("visible_headers").and_then(|v| v.as_array());
            for name in visible.into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                assert!(
                    !header::is_forbidden_response_header_name(name.as_bytes()),
                    "{name} is visible"
                );
            }
        }
        _ => {}
    }
    let requests = result.get("requests").and_then(|v| v.as_u64());
    assert!(requests.unwrap_or(0) <= 2 * (u64::from(crossorigin::fetch::REDIRECT_LIMIT) + 1));
}
