//! A fetch explained step by step for a person: what the browser sends, what
//! it checks, which check fails and why, and what to change on the server.
//! It runs the same [`Fetch`](crate::Fetch) driver as everything else and
//! narrates what happened.

use std::fmt::Write as _;
use std::time::Duration;

use crate::error::{CorsCheckFailure, Refusal, WebKitContext};
use crate::fetch::{Outgoing, Policy, Step};
use crate::header::HeaderList;
use crate::profile::Profile;
use crate::request::{self, Decision, Request};
use crate::response::{FilteredResponse, Response};
use crate::scenario::{Route, answer};

/// Explains one fetch against routes; returns the text.
///
/// ```
/// use crossorigin::{explain::explain, Policy, Profile, Request};
/// let req = Request::get("https://api.example/x", "https://app.example").unwrap();
/// let text = explain(&Policy::new(Profile::spec()), req, &[]);
/// assert!(text.contains("MissingAllowOriginHeader"));
/// ```
pub fn explain(policy: &Policy, request: Request, routes: &[Route]) -> String {
    let mut out = String::new();
    let origin = request.origin.to_string();
    let _ = writeln!(
        out,
        "Request: {} {} from {} (mode {}, credentials {}, profile {})",
        String::from_utf8_lossy(&request.method),
        request.url,
        origin,
        request.mode.as_str(),
        request.credentials.as_str(),
        policy.profile().name
    );
    if !narrate_decision(&mut out, policy.profile(), &request) {
        return out;
    }
    let mut fetch = policy.fetch(request.clone(), Duration::ZERO);
    let mut transcript = Vec::new();
    let mut guard = 0;
    let result = loop {
        guard += 1;
        if guard > 64 {
            break Err(Refusal::TooManyRedirects);
        }
        match fetch.poll() {
            Step::Send(o) => {
                let response = answer(routes, &o);
                fetch.receive(response.clone(), Duration::ZERO);
                transcript.push((o, response.map_err(|_| String::new())));
            }
            Step::Done(r) => break r,
        }
    };
    narrate_exchanges(&mut out, policy.profile(), &request, &transcript, &result);
    out
}

/// Narrates what the browser decides before sending anything (steps 1 and
/// 2 of [`explain`]): what `fetch()` does to the request, and whether it
/// goes out as same-origin, simple CORS or preflighted. Returns false when
/// `fetch()` rejects the request (the narration is then complete).
pub fn narrate_decision(out: &mut String, profile: &Profile, request: &Request) -> bool {
    // What the browser decides before sending, on the request as `fetch()`
    // leaves it.
    match request::check_script_request(request.clone()) {
        Err(e) => {
            let _ = writeln!(
                out,
                "1. fetch() rejects the request before sending anything:"
            );
            let _ = writeln!(out, "   {e}");
            let _ = writeln!(out, "\nResult: network error ({})", e.name());
            return false;
        }
        Ok(checked) => {
            let r = &checked.request;
            let dropped: Vec<String> = request
                .headers
                .iter()
                .filter(|h| !r.headers.contains(h.name))
                .map(|h| String::from_utf8_lossy(h.name).into_owned())
                .collect();
            if !dropped.is_empty() {
                let _ = writeln!(
                    out,
                    "1. fetch() silently drops headers a script may not set: {}",
                    dropped.join(", ")
                );
            } else {
                let _ = writeln!(out, "1. fetch() accepts the request as written.");
            }
            let decision = request::decide(r, profile);
            let line = match &decision {
                Ok(Decision::SameOrigin) => {
                    "same origin: no CORS, the script sees everything but Set-Cookie".to_owned()
                }
                Ok(Decision::Navigate) => "a navigation: no CORS".to_owned(),
                Ok(Decision::NoCors) => {
                    "cross-origin in no-cors mode: sent, but the script gets an opaque response"
                        .to_owned()
                }
                Ok(Decision::Cors) => "cross-origin, a simple request: no preflight; the response must pass the CORS check".to_owned(),
                Ok(Decision::CorsWithPreflight) => {
                    let mut why = Vec::new();
                    if r.use_cors_preflight {
                        why.push("the use-CORS-preflight flag is set".to_owned());
                    }
                    if !crate::method::is_cors_safelisted_method(&r.method) {
                        why.push(format!(
                            "`{}` is not GET, HEAD or POST",
                            String::from_utf8_lossy(&r.method)
                        ));
                    }
                    let names = request::unsafe_header_names(&r.headers, profile);
                    if !names.is_empty() {
                        let names: Vec<String> =
                            names.iter().map(|n| String::from_utf8_lossy(n).into_owned()).collect();
                        why.push(format!("headers not safelisted: {}", names.join(", ")));
                    }
                    format!(
                        "cross-origin and needs a preflight (unless cached) because {}",
                        why.join("; ")
                    )
                }
                Err(e) => format!("refused before sending: {e}"),
            };
            let _ = writeln!(out, "2. Decision: {line}");
        }
    }
    true
}

/// Narrates what went on the wire and what came back (steps numbered from
/// 3, after `explain`'s two steps of decision), the result, the fix for a
/// refusal, and the [`warnings`] about answers that work but are risky or
/// wasteful. Shared by [`explain`] and `crossorigin::probe`. An exchange
/// whose response is `Err` failed to connect, for the reason given (or
/// none, if empty).
pub fn narrate_exchanges(
    out: &mut String,
    profile: &Profile,
    request: &Request,
    exchanges: &[(Outgoing, Result<Response, String>)],
    result: &Result<FilteredResponse, Refusal>,
) {
    // The last preflight sent and its answer, to name every header missing
    // from `Access-Control-Allow-Headers` at once.
    let mut last_preflight: Option<(&HeaderList, Option<&Response>)> = None;
    for (step_no, (o, response)) in (3..).zip(exchanges) {
        describe_sent(out, step_no, o);
        if o.is_preflight {
            last_preflight = Some((&o.headers, response.as_ref().ok()));
        }
        match response {
            Ok(r) => describe_response(out, r),
            Err(why) if why.is_empty() => {
                let _ = writeln!(out, "   The connection fails.");
            }
            Err(why) => {
                let _ = writeln!(out, "   The connection fails: {why}.");
            }
        }
    }
    match result {
        Ok(r) => {
            let _ = writeln!(
                out,
                "\nResult: the script gets a `{}` response, status {}, and can read: {}",
                r.response_type.as_str(),
                r.status,
                if r.headers().is_empty() {
                    "no headers".to_owned()
                } else {
                    r.visible_header_names().join(", ")
                }
            );
        }
        Err(e) => {
            let _ = writeln!(out, "\nResult: network error ({})", e.name());
            let _ = writeln!(out, "   Why: {e}");
            if let Some(ff) = e.firefox_reason() {
                let _ = writeln!(out, "   Firefox reports: {ff}");
            }
            if let Some(wk) = webkit_message(request, exchanges, e) {
                let _ = writeln!(out, "   WebKit reports: {wk}");
            }
            let fix = match (e, &last_preflight) {
                (
                    Refusal::HeaderDisallowedByPreflightResponse { .. },
                    Some((sent, Some(answer))),
                ) => missing_allow_headers(sent, answer).or_else(|| suggest_fix(e, request)),
                _ => suggest_fix(e, request),
            };
            if let Some(fix) = fix {
                let _ = writeln!(out, "   Fix on the server: {fix}");
            }
        }
    }
    let answered = exchanges
        .iter()
        .filter_map(|(o, r)| r.as_ref().ok().map(|r| (o, r)));
    write_warnings(out, &warnings(request, answered, profile));
}

/// Appends a `Warnings:` section, if there are any.
pub fn write_warnings(out: &mut String, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nWarnings:");
    for w in warnings {
        let _ = writeln!(out, "   - {}: {}", w.kind.name(), w.message);
    }
}

/// What kind of risky or wasteful answer a [`Warning`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// `Access-Control-Allow-Origin` echoes the request's origin and
    /// `Access-Control-Allow-Credentials: true` is set.
    ReflectedOriginWithCredentials,
    /// The server echoed an origin made up for the purpose: it reflects any
    /// origin (found by probing twice).
    ReflectsAnyOrigin,
    /// `Access-Control-Allow-Origin` names one origin and `Vary` does not
    /// list `Origin`.
    MissingVaryOrigin,
    /// `Access-Control-Max-Age` above what the profile's browser caps it to.
    MaxAgeAboveCap,
    /// `Access-Control-Allow-Origin: null`.
    NullOriginAllowed,
}

impl WarningKind {
    /// A stable name.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::ReflectedOriginWithCredentials => "ReflectedOriginWithCredentials",
            WarningKind::ReflectsAnyOrigin => "ReflectsAnyOrigin",
            WarningKind::MissingVaryOrigin => "MissingVaryOrigin",
            WarningKind::MaxAgeAboveCap => "MaxAgeAboveCap",
            WarningKind::NullOriginAllowed => "NullOriginAllowed",
        }
    }
}

/// An answer the browser accepts (or would) but that is risky or wasteful.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// What kind.
    pub kind: WarningKind,
    /// A sentence for a person: what, why it matters, what to change.
    pub message: String,
}

/// Warnings about the server's answers to a fetch: each exchange is a
/// request the browser sent and the response it got. At most one warning
/// of each kind.
///
/// ```
/// use crossorigin::{explain::{warnings, WarningKind}, Method, Outgoing, Profile, Request, Response};
/// let request = Request::get("https://api.example/x", "https://app.example").unwrap();
/// let sent = Outgoing {
///     method: Method::GET,
///     url: request.url.clone(),
///     headers: [("Origin", "https://app.example")].into_iter().collect(),
///     body: None,
///     is_preflight: false,
///     credentials: false,
/// };
/// let got = Response::new(200).with_header("Access-Control-Allow-Origin", "null");
/// let w = warnings(&request, [(&sent, &got)], &Profile::chromium());
/// assert_eq!(w[0].kind, WarningKind::NullOriginAllowed);
/// ```
pub fn warnings<'a>(
    request: &Request,
    exchanges: impl IntoIterator<Item = (&'a Outgoing, &'a Response)>,
    profile: &Profile,
) -> Vec<Warning> {
    let mut out: Vec<Warning> = Vec::new();
    let mut push = |kind: WarningKind, message: String| {
        if !out.iter().any(|w| w.kind == kind) {
            out.push(Warning { kind, message });
        }
    };
    let _ = request;
    for (sent, got) in exchanges {
        let Some(origin) = sent.headers.get(b"origin") else {
            continue;
        };
        let Some(acao) = got.headers.get(b"access-control-allow-origin") else {
            continue;
        };
        let acao = trim(&acao);
        let acac = got
            .headers
            .get(b"access-control-allow-credentials")
            .is_some_and(|v| trim(&v) == b"true");
        let acao_text = String::from_utf8_lossy(acao).into_owned();
        if acao == b"null" {
            push(
                WarningKind::NullOriginAllowed,
                "`Access-Control-Allow-Origin: null` lets every page whose origin is opaque \
                 read the response: sandboxed iframes, `data:` and `file:` documents, and any \
                 request after a cross-origin redirect, all of which any site can create; \
                 name the allowed origins instead"
                    .to_owned(),
            );
        } else if acao != b"*" && acac && acao == trim(&origin) {
            push(
                WarningKind::ReflectedOriginWithCredentials,
                format!(
                    "the server echoes the request's origin (`{acao_text}`) with \
                     `Access-Control-Allow-Credentials: true`: fine for an allowlist, but if it \
                     echoes any origin, every site can read this user's credentialed responses; \
                     compare the origin against a fixed list (`crossorigin probe \
                     --check-reflection` tries a made-up origin)"
                ),
            );
        }
        if acao != b"*" && acao != b"null" && !sent.is_preflight && !varies_on_origin(got) {
            push(
                WarningKind::MissingVaryOrigin,
                format!(
                    "`Access-Control-Allow-Origin: {acao_text}` names one origin but `Vary` does \
                     not list `Origin`: if the value depends on the request's origin, a shared \
                     or browser cache can serve this answer to another origin, which then fails \
                     (or this one does); add `Vary: Origin`"
                ),
            );
        }
        if sent.is_preflight {
            if let (Some(cap), Some(age)) = (
                profile.cache.max_age_cap,
                got.headers
                    .get(b"access-control-max-age")
                    .and_then(|v| std::str::from_utf8(trim(&v)).ok()?.parse::<u64>().ok()),
            ) {
                if age > cap {
                    push(
                        WarningKind::MaxAgeAboveCap,
                        format!(
                            "`Access-Control-Max-Age: {age}` is above what {} caps it to ({cap} \
                             seconds): the preflight is cached for {cap} seconds, not {age}; \
                             send at most {cap}",
                            profile.name
                        ),
                    );
                }
            }
        }
    }
    out
}

/// Warns when a fetch from a made-up origin (`probe_origin`) got its origin
/// echoed in `Access-Control-Allow-Origin`: the server reflects any origin.
pub fn reflection_warning<'a>(
    probe_origin: &str,
    exchanges: impl IntoIterator<Item = (&'a Outgoing, &'a Response)>,
) -> Option<Warning> {
    for (_, got) in exchanges {
        let Some(acao) = got.headers.get(b"access-control-allow-origin") else {
            continue;
        };
        if trim(&acao) == probe_origin.as_bytes() {
            let acac = got
                .headers
                .get(b"access-control-allow-credentials")
                .is_some_and(|v| trim(&v) == b"true");
            let risk = if acac {
                "with `Access-Control-Allow-Credentials: true`: any site the user visits can \
                 read their credentialed responses"
            } else {
                "any site can read the responses (as with `*`)"
            };
            return Some(Warning {
                kind: WarningKind::ReflectsAnyOrigin,
                message: format!(
                    "the server echoed the made-up origin `{probe_origin}` in \
                     `Access-Control-Allow-Origin` {risk}; compare the origin against a fixed list"
                ),
            });
        }
    }
    None
}

fn varies_on_origin(r: &Response) -> bool {
    r.headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(b"vary"))
        .any(|h| {
            h.value.split(|b| *b == b',').any(|t| {
                let t = trim(t);
                t == b"*" || t.eq_ignore_ascii_case(b"origin")
            })
        })
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &v[start..end]
}

fn describe_sent(out: &mut String, n: usize, o: &Outgoing) {
    let what = if o.is_preflight {
        "preflight"
    } else {
        "request"
    };
    let _ = writeln!(
        out,
        "{n}. The browser sends the {what}: {} {}{}",
        String::from_utf8_lossy(&o.method),
        o.url,
        if o.credentials { " (with cookies)" } else { "" }
    );
    write_headers(out, &o.headers);
}

/// One indented `Name: value` line per header.
fn write_headers(out: &mut String, headers: &HeaderList) {
    for h in headers {
        let _ = writeln!(
            out,
            "     {}: {}",
            String::from_utf8_lossy(h.name),
            String::from_utf8_lossy(h.value)
        );
    }
}

fn describe_response(out: &mut String, r: &Response) {
    let _ = writeln!(out, "   The server answers {}", r.status);
    write_headers(out, &r.headers);
}

/// The smallest change to the server's answers that makes the browser
/// accept, where there is one.
pub fn suggest_fix(refusal: &Refusal, request: &Request) -> Option<String> {
    let origin = request.origin.to_string();
    let acao = |where_: &str| {
        format!("add `Access-Control-Allow-Origin: {origin}` to the {where_} response")
    };
    Some(match refusal {
        Refusal::CorsCheck(c) | Refusal::PreflightCorsCheck(c) => {
            let where_ = if matches!(refusal, Refusal::PreflightCorsCheck(_)) {
                "OPTIONS"
            } else {
                "actual"
            };
            match c {
                CorsCheckFailure::MissingAllowOriginHeader
                | CorsCheckFailure::InvalidAllowOriginValue { .. }
                | CorsCheckFailure::AllowOriginMismatch { .. } => acao(where_),
                CorsCheckFailure::MultipleAllowOriginValues { .. } => format!(
                    "send exactly one `Access-Control-Allow-Origin` on the {where_} response: `{origin}`"
                ),
                CorsCheckFailure::WildcardOriginNotAllowed => format!(
                    "`*` cannot be used with credentials: echo the origin (`Access-Control-Allow-Origin: {origin}`) and add `Vary: Origin`"
                ),
                CorsCheckFailure::InvalidAllowCredentials { .. } => {
                    format!("add `Access-Control-Allow-Credentials: true` to the {where_} response")
                }
            }
        }
        Refusal::PreflightInvalidStatus { .. } => {
            "answer the OPTIONS preflight with 200 or 204".to_owned()
        }
        Refusal::PreflightDisallowedRedirect { .. } => {
            "answer the OPTIONS preflight at this URL with 200 or 204 instead of redirecting"
                .to_owned()
        }
        Refusal::MethodDisallowedByPreflightResponse { method, .. } => format!(
            "add `Access-Control-Allow-Methods: {}` to the OPTIONS response",
            String::from_utf8_lossy(method)
        ),
        Refusal::HeaderDisallowedByPreflightResponse { name, .. } => format!(
            "add `Access-Control-Allow-Headers: {}` to the OPTIONS response",
            String::from_utf8_lossy(name)
        ),
        Refusal::InvalidAllowMethodsPreflightResponse { .. } => {
            "write `Access-Control-Allow-Methods` as a comma-separated list of methods".to_owned()
        }
        Refusal::InvalidAllowHeadersPreflightResponse { .. } => {
            "write `Access-Control-Allow-Headers` as a comma-separated list of header names"
                .to_owned()
        }
        Refusal::RedirectContainsCredentials { .. } => {
            "redirect to a URL without a user name or password".to_owned()
        }
        Refusal::MixedContent { .. } => {
            "serve the resource over https (a page served over https cannot fetch http URLs)"
                .to_owned()
        }
        Refusal::UrlWithCredentials { .. } => {
            "remove the user name and password from the URL (send credentials in a header, e.g. `Authorization`)"
                .to_owned()
        }
        Refusal::BodyWithGetOrHead { .. } => {
            "drop the body, or send it with another method (POST, PUT)".to_owned()
        }
        Refusal::InvalidDataUrl { .. } => {
            "write the data: URL as `data:[<type>][;base64],<data>`, with a comma and valid base64"
                .to_owned()
        }
        _ => return None,
    })
}

/// Every name the preflight asked for (`Access-Control-Request-Headers`)
/// that its answer's `Access-Control-Allow-Headers` does not list, as one fix.
fn missing_allow_headers(preflight: &HeaderList, answer: &Response) -> Option<String> {
    let asked = preflight.get(b"access-control-request-headers")?;
    let allowed =
        crate::header::extract_token_list(b"access-control-allow-headers", &answer.headers)
            .ok()
            .flatten()
            .unwrap_or_default();
    let missing: Vec<String> = asked
        .split(|b| *b == b',')
        .filter(|n| !n.is_empty() && !allowed.iter().any(|a| a.eq_ignore_ascii_case(n)))
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut list: Vec<String> = allowed
        .iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .filter(|a| a != "*")
        .collect();
    list.extend(missing);
    Some(format!(
        "send `Access-Control-Allow-Headers: {}` in the OPTIONS response",
        list.join(", ")
    ))
}

/// Routes for `explain` from flags: the preflight's answer (an OPTIONS
/// route) and the actual response (any method), both at the request URL.
pub fn routes_from_flags(
    url: &str,
    preflight_status: u16,
    preflight_headers: &HeaderList,
    status: u16,
    headers: &HeaderList,
) -> Vec<Route> {
    let to_pairs = |h: &HeaderList| {
        h.iter()
            .map(|h| {
                (
                    crate::scenario::Bytes::Raw {
                        bytes: h.name.to_vec(),
                    },
                    crate::scenario::Bytes::Raw {
                        bytes: h.value.to_vec(),
                    },
                )
            })
            .collect()
    };
    vec![
        Route {
            url: url.to_owned(),
            method: Some("OPTIONS".to_owned()),
            status: i64::from(preflight_status),
            headers: to_pairs(preflight_headers),
            network_error: false,
        },
        Route {
            url: url.to_owned(),
            method: None,
            status: i64::from(status),
            headers: to_pairs(headers),
            network_error: false,
        },
    ]
}

/// The console message WebKit logs for `refusal` of `request`, after the
/// `exchanges` (what was sent and what came back, in order): builds the
/// [`WebKitContext`] from the last exchange and calls
/// [`Refusal::webkit_message`].
///
/// ```
/// use crossorigin::explain::webkit_message;
/// use crossorigin::{Policy, Profile, Request, Response, Step};
/// use std::time::Duration;
/// let req = Request::get("https://api.example/x", "https://app.example").unwrap();
/// let policy = Policy::new(Profile::webkit());
/// let mut fetch = policy.fetch(req.clone(), Duration::ZERO);
/// let mut exchanges = Vec::new();
/// let refusal = loop {
///     match fetch.poll() {
///         Step::Send(out) => {
///             let answer = Response::new(404);
///             fetch.receive(Ok(answer.clone()), Duration::ZERO);
///             exchanges.push((out, Ok(answer)));
///         }
///         Step::Done(result) => break result.unwrap_err(),
///     }
/// };
/// assert_eq!(
///     webkit_message(&req, &exchanges, &refusal).as_deref(),
///     Some("Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 404"),
/// );
/// ```
pub fn webkit_message(
    request: &Request,
    exchanges: &[(Outgoing, Result<Response, String>)],
    refusal: &Refusal,
) -> Option<String> {
    let origin = request.origin.to_string();
    let last = exchanges.last();
    let url = last.map_or(&request.url, |(o, _)| &o.url);
    let response = last.and_then(|(_, r)| r.as_ref().ok());
    let redirect_to = response
        .filter(|r| crate::response::is_redirect_status(r.status))
        .and_then(|r| r.headers.get(b"location"))
        .and_then(|l| url.join(&String::from_utf8_lossy(&l)).ok());
    let cors_cross_origin = request.mode == request::Mode::Cors
        && std::iter::once(&request.url)
            .chain(exchanges.iter().map(|(o, _)| &o.url))
            .any(|u| !request.origin.same_origin_with_url(u));
    let context = WebKitContext {
        origin: &origin,
        url: url.as_str(),
        status: response.map(|r| r.status),
        cors_cross_origin,
        redirect_to: redirect_to.as_ref().map(url::Url::as_str),
    };
    refusal.webkit_message(&context)
}
