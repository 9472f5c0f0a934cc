//! A fetch explained step by step for a person: what the browser sends, what
//! it checks, which check fails and why, and what to change on the server.
//! It runs the same [`Fetch`](crate::Fetch) driver as everything else and
//! narrates what happened.

use std::fmt::Write as _;
use std::time::Duration;

use crate::error::{CorsCheckFailure, Refusal};
use crate::fetch::{Outgoing, Policy, Step};
use crate::header::HeaderList;
use crate::request::{self, Decision, Request};
use crate::response::Response;
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
            return out;
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
            let decision = request::decide(r, policy.profile());
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
                    let names = request::unsafe_header_names(&r.headers, policy.profile());
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
    let mut fetch = policy.fetch(request.clone(), Duration::ZERO);
    let mut step_no = 3;
    // The last preflight sent and its answer, to name every header missing
    // from `Access-Control-Allow-Headers` at once.
    let mut last_preflight: Option<(HeaderList, Option<Response>)> = None;
    let mut guard = 0;
    let result = loop {
        guard += 1;
        if guard > 64 {
            break Err(Refusal::TooManyRedirects);
        }
        match fetch.poll() {
            Step::Send(o) => {
                describe_sent(&mut out, step_no, &o);
                let response = answer(routes, &o);
                if o.is_preflight {
                    last_preflight = Some((o.headers.clone(), response.clone().ok()));
                }
                match &response {
                    Ok(r) => describe_response(&mut out, r),
                    Err(_) => {
                        let _ = writeln!(out, "   The connection fails.");
                    }
                }
                step_no += 1;
                fetch.receive(response, Duration::ZERO);
            }
            Step::Done(r) => break r,
        }
    };
    match result {
        Ok(r) => {
            let _ = writeln!(
                out,
                "\nResult: the script gets a `{}` response, status {}, and can read: {}",
                r.response_type.as_str(),
                r.status,
                if r.headers.is_empty() {
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
            let fix = match (&e, &last_preflight) {
                (
                    Refusal::HeaderDisallowedByPreflightResponse { .. },
                    Some((sent, Some(answer))),
                ) => missing_allow_headers(sent, answer).or_else(|| suggest_fix(&e, &request)),
                _ => suggest_fix(&e, &request),
            };
            if let Some(fix) = fix {
                let _ = writeln!(out, "   Fix on the server: {fix}");
            }
        }
    }
    out
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
    for h in &o.headers {
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
    for h in &r.headers {
        let _ = writeln!(
            out,
            "     {}: {}",
            String::from_utf8_lossy(h.name),
            String::from_utf8_lossy(h.value)
        );
    }
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
