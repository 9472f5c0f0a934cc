//! Scenario files (the format of `SCENARIOS.md`): reading them, running each
//! through the [`Fetch`](crate::Fetch) driver against its routes, and
//! comparing the result with its `expect`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use url::Url;

use crate::fetch::{NetworkFailure, Outgoing, Policy, Step};
use crate::header::HeaderList;
use crate::origin::Origin;
use crate::profile::Profile;
use crate::request::{CredentialsMode, Mode, RedirectMode, ReferrerPolicy, Request};
use crate::response::Response;

/// A header value as written in a scenario: a string, or `{"bytes": [...]}`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Bytes {
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Raw {
        /// The bytes.
        bytes: Vec<u8>,
    },
}

impl Bytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Bytes::Text(s) => s.as_bytes(),
            Bytes::Raw { bytes } => bytes,
        }
    }
}

/// `request` of a scenario, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// Absolute URL.
    pub url: String,
    /// Serialized origin or `null`.
    pub origin: String,
    /// The method as the script wrote it.
    #[serde(default = "get")]
    pub method: String,
    /// `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(Bytes, Bytes)>,
    /// The mode.
    #[serde(default)]
    pub mode: ModeSpec,
    /// The credentials mode.
    #[serde(default)]
    pub credentials: CredentialsSpec,
    /// The redirect mode.
    #[serde(default)]
    pub redirect: RedirectSpec,
    /// A string body.
    #[serde(default)]
    pub body: Option<String>,
    /// The use-CORS-preflight flag.
    #[serde(default)]
    pub use_cors_preflight: bool,
    /// The referrer policy.
    #[serde(default)]
    pub referrer_policy: String,
}

fn get() -> String {
    "GET".to_owned()
}

/// A mode name.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ModeSpec {
    /// `same-origin`
    SameOrigin,
    /// `cors`
    #[default]
    Cors,
    /// `no-cors`
    NoCors,
    /// `navigate`
    Navigate,
}

/// A credentials mode name.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialsSpec {
    /// `omit`
    Omit,
    /// `same-origin`
    #[default]
    SameOrigin,
    /// `include`
    Include,
}

/// A redirect mode name.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectSpec {
    /// `follow`
    #[default]
    Follow,
    /// `error`
    Error,
    /// `manual`
    Manual,
}

/// One server route.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The request URL it answers.
    pub url: String,
    /// The method it answers; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// The status.
    #[serde(default = "ok")]
    pub status: i64,
    /// The headers.
    #[serde(default)]
    pub headers: Vec<(Bytes, Bytes)>,
    /// The connection fails.
    #[serde(default)]
    pub network_error: bool,
}

fn ok() -> i64 {
    200
}

/// A later fetch in the same browser.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followup {
    /// Seconds after the first fetch.
    pub at: f64,
    /// Fields that replace the first request's.
    #[serde(default)]
    pub request: Option<Map<String, Value>>,
    /// Routes that replace the scenario's.
    #[serde(default)]
    pub server: Option<Vec<Route>>,
    /// What must hold.
    #[serde(default)]
    pub expect: Map<String, Value>,
}

/// A scenario as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Unique, path-like id.
    pub id: String,
    /// Spec anchors.
    #[serde(default)]
    pub spec: Vec<String>,
    /// Where the case comes from.
    #[serde(default)]
    pub source: Option<String>,
    /// `spec`, `chromium`, `firefox` or `webkit`.
    #[serde(default = "spec_profile")]
    pub profile: String,
    /// The request, kept as JSON so that followups can merge over it.
    pub request: Map<String, Value>,
    /// The routes.
    #[serde(default)]
    pub server: Vec<Route>,
    /// What must hold.
    #[serde(default)]
    pub expect: Map<String, Value>,
    /// Later fetches.
    #[serde(default)]
    pub followups: Vec<Followup>,
    /// How many times to run the fetch.
    #[serde(default = "one")]
    pub repeat: u32,
}

fn spec_profile() -> String {
    "spec".to_owned()
}
fn one() -> u32 {
    1
}

/// An error in a scenario file: which scenario, which field, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The scenario's id, or `#index` when it has none.
    pub scenario: String,
    /// The field, as a path (`request.headers[0]`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scenario {}: field `{}`: {}",
            self.scenario, self.field, self.message
        )
    }
}
impl std::error::Error for ScenarioError {}

/// The most scenarios a `repeat` may ask for, so a hostile file cannot make
/// a run unbounded.
pub const MAX_REPEAT: u32 = 10_000;

/// Parses a file's text: one scenario object or an array of them. Each
/// element is read on its own, so one bad scenario does not hide the others.
/// `Err` only when the text is not JSON at all.
pub fn parse_file(text: &str) -> Result<Vec<Result<Scenario, ScenarioError>>, ScenarioError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ScenarioError {
        scenario: "-".into(),
        field: "-".into(),
        message: format!("not JSON: {e}"),
    })?;
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_scenario(v, i))
        .collect())
}

fn parse_scenario(value: Value, index: usize) -> Result<Scenario, ScenarioError> {
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{index}"));
    let scenario: Scenario =
        serde_path_to_error::deserialize(value).map_err(|e| ScenarioError {
            scenario: id.clone(),
            field: e.path().to_string(),
            message: e.inner().to_string(),
        })?;
    // Validate the request now, so that field errors surface before running.
    build_request(&scenario.request).map_err(|(field, message)| ScenarioError {
        scenario: id.clone(),
        field,
        message,
    })?;
    if Profile::by_name(&scenario.profile).is_none() {
        return Err(ScenarioError {
            scenario: id,
            field: "profile".into(),
            message: format!("unknown profile `{}`", scenario.profile),
        });
    }
    for (i, route) in scenario.server.iter().enumerate() {
        Url::parse(&route.url).map_err(|e| ScenarioError {
            scenario: id.clone(),
            field: format!("server[{i}].url"),
            message: e.to_string(),
        })?;
    }
    if scenario.repeat > MAX_REPEAT {
        return Err(ScenarioError {
            scenario: id,
            field: "repeat".into(),
            message: format!("at most {MAX_REPEAT}"),
        });
    }
    for (i, f) in scenario.followups.iter().enumerate() {
        if !f.at.is_finite() || f.at < 0.0 {
            return Err(ScenarioError {
                scenario: id,
                field: format!("followups[{i}].at"),
                message: "must be a finite number of seconds, not negative".into(),
            });
        }
        let mut merged = scenario.request.clone();
        if let Some(r) = &f.request {
            merged.extend(r.clone());
        }
        build_request(&merged).map_err(|(field, message)| ScenarioError {
            scenario: id.clone(),
            field: format!("followups[{i}].{field}"),
            message,
        })?;
        for (j, route) in f.server.iter().flatten().enumerate() {
            Url::parse(&route.url).map_err(|e| ScenarioError {
                scenario: id.clone(),
                field: format!("followups[{i}].server[{j}].url"),
                message: e.to_string(),
            })?;
        }
    }
    Ok(scenario)
}

/// Builds the engine's request from a scenario's `request` object; the error
/// names the field.
pub fn build_request(request: &Map<String, Value>) -> Result<Request, (String, String)> {
    let spec: RequestSpec = serde_path_to_error::deserialize(Value::Object(request.clone()))
        .map_err(|e| (format!("request.{}", e.path()), e.inner().to_string()))?;
    let url = Url::parse(&spec.url).map_err(|e| ("request.url".to_owned(), e.to_string()))?;
    let origin = Origin::parse(spec.origin.as_bytes())
        .map_err(|e| ("request.origin".to_owned(), e.to_string()))?;
    let referrer_policy = ReferrerPolicy::parse(&spec.referrer_policy).ok_or_else(|| {
        (
            "request.referrer_policy".to_owned(),
            format!("unknown referrer policy `{}`", spec.referrer_policy),
        )
    })?;
    let mut req = Request::new(url, origin).with_method(spec.method.as_bytes());
    for (n, v) in &spec.headers {
        req.headers.append(n.as_bytes(), v.as_bytes());
    }
    req.mode = match spec.mode {
        ModeSpec::SameOrigin => Mode::SameOrigin,
        ModeSpec::Cors => Mode::Cors,
        ModeSpec::NoCors => Mode::NoCors,
        ModeSpec::Navigate => Mode::Navigate,
    };
    req.credentials = match spec.credentials {
        CredentialsSpec::Omit => CredentialsMode::Omit,
        CredentialsSpec::SameOrigin => CredentialsMode::SameOrigin,
        CredentialsSpec::Include => CredentialsMode::Include,
    };
    req.redirect = match spec.redirect {
        RedirectSpec::Follow => RedirectMode::Follow,
        RedirectSpec::Error => RedirectMode::Error,
        RedirectSpec::Manual => RedirectMode::Manual,
    };
    req.body = spec.body.map(String::into_bytes);
    req.use_cors_preflight = spec.use_cors_preflight;
    req.referrer_policy = referrer_policy;
    Ok(req)
}

/// Answers a request from routes: the first whose URL equals the request's
/// (fragment dropped) and whose method, if given, matches byte for byte;
/// otherwise 404 with no headers.
pub fn answer(routes: &[Route], outgoing: &Outgoing) -> Result<Response, NetworkFailure> {
    let mut target = outgoing.url.clone();
    target.set_fragment(None);
    for route in routes {
        let Ok(mut url) = Url::parse(&route.url) else {
            continue;
        };
        url.set_fragment(None);
        if url != target {
            continue;
        }
        if let Some(m) = &route.method {
            if outgoing.method != m.as_str() {
                continue;
            }
        }
        if route.network_error {
            return Err(NetworkFailure);
        }
        let status = u16::try_from(route.status).unwrap_or(0);
        let mut response = Response::new(status);
        for (n, v) in &route.headers {
            response
                .headers
                .append(n.as_bytes(), trim_tab_space(v.as_bytes()));
        }
        return Ok(response);
    }
    Ok(Response::new(404))
}

fn trim_tab_space(v: &[u8]) -> &[u8] {
    let ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = v.iter().position(|b| !ws(b)).unwrap_or(v.len());
    let end = v.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &v[start..end]
}

/// Runs one fetch to the end against routes and returns its result object
/// (the result format of `SCENARIOS.md`).
pub fn run_fetch(policy: &Policy, request: Request, routes: &[Route], now: Duration) -> Value {
    let mut fetch = policy.fetch(request, now);
    let mut sent: Vec<Outgoing> = Vec::new();
    // Bounded: the driver ends within 21 hops of 2 requests each; this
    // guards against a driver bug looping forever.
    let result = loop {
        if sent.len() > 64 {
            break Err(crate::Refusal::TooManyRedirects);
        }
        match fetch.poll() {
            Step::Send(out) => {
                let response = answer(routes, &out);
                sent.push(out);
                fetch.receive(response, now);
            }
            Step::Done(result) => break result,
        }
    };
    result_json(&result, sent.iter())
}

/// The result object of the scenario format (`SCENARIOS.md`, "expect and
/// the result") for a fetch's outcome and the requests it sent, in order.
/// `crossorigin eval`, `check` and `probe --json` all print this.
pub fn result_json<'a>(
    result: &Result<crate::FilteredResponse, crate::Refusal>,
    sent: impl Iterator<Item = &'a Outgoing>,
) -> Value {
    let mut obj = Map::new();
    match result {
        Ok(r) => {
            obj.insert("outcome".into(), json!("ok"));
            obj.insert("type".into(), json!(r.response_type.as_str()));
            obj.insert("status".into(), json!(r.status));
            let url = r.url.as_ref().map_or(String::new(), |u| {
                let mut u = u.clone();
                u.set_fragment(None);
                u.to_string()
            });
            obj.insert("url".into(), json!(url));
            obj.insert("redirected".into(), json!(r.redirected));
            obj.insert("visible_headers".into(), json!(r.visible_header_names()));
            let mut values: BTreeMap<String, Value> = BTreeMap::new();
            for name in r.visible_header_names() {
                let v = r.headers().get(name.as_bytes()).unwrap_or_default();
                values.insert(name, json!(String::from_utf8_lossy(&v)));
            }
            obj.insert("response_headers".into(), json!(values));
        }
        Err(e) => {
            obj.insert("outcome".into(), json!("network-error"));
            obj.insert("error".into(), json!(e.name()));
            obj.insert("message".into(), json!(e.to_string()));
        }
    }
    let sent: Vec<&Outgoing> = sent.collect();
    obj.insert(
        "preflight".into(),
        json!(sent.iter().any(|s| s.is_preflight)),
    );
    obj.insert("requests".into(), json!(sent.len()));
    let sent_json: Vec<Value> = sent
        .iter()
        .map(|s| {
            json!({
                "method": String::from_utf8_lossy(&s.method),
                // What goes on the wire: no userinfo, no fragment.
                "url": wire_url(&s.url),
                "headers": s.headers.iter().map(|h| json!([
                    String::from_utf8_lossy(h.name), String::from_utf8_lossy(h.value)
                ])).collect::<Vec<_>>(),
            })
        })
        .collect();
    obj.insert("sent".into(), Value::Array(sent_json));
    Value::Object(obj)
}

/// A URL as a request carries it: without userinfo (a browser turns it
/// into `Authorization`, or drops it) and without fragment.
fn wire_url(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() && url.fragment().is_none() {
        // As it is: no copy, and no comparison of two empty names (which
        // costs this machine's libc ~76 ns, see `origin::short_eq`).
        return url.as_str().to_owned();
    }
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_fragment(None);
    u.into()
}

/// The result of evaluating one scenario.
#[derive(Clone, Debug)]
pub struct Evaluated {
    /// The scenario's id.
    pub id: String,
    /// The first fetch's result (the last of a `repeat`).
    pub result: Value,
    /// Every run of the first fetch (`repeat` of them).
    pub runs: Vec<Value>,
    /// Each followup's result.
    pub followups: Vec<Value>,
}

impl Evaluated {
    /// The object `crossorigin eval` prints.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "result": self.result, "followups": self.followups})
    }

    /// Every mismatch between the results and the expectations.
    pub fn mismatches(&self, scenario: &Scenario) -> Vec<String> {
        let mut out = Vec::new();
        for (i, run) in self.runs.iter().enumerate() {
            for m in compare(&scenario.expect, run) {
                out.push(if self.runs.len() > 1 {
                    format!("run {}: {m}", i + 1)
                } else {
                    m
                });
            }
        }
        for (i, (f, r)) in scenario.followups.iter().zip(&self.followups).enumerate() {
            for m in compare(&f.expect, r) {
                out.push(format!("followup {}: {m}", i + 1));
            }
        }
        out
    }
}

/// Evaluates a scenario with a fresh policy of its profile.
pub fn evaluate(scenario: &Scenario) -> Evaluated {
    let profile = Profile::by_name(&scenario.profile).unwrap_or_default();
    let policy = Policy::new(profile);
    evaluate_with(&policy, scenario)
}

/// Evaluates a scenario with the given policy (its cache is shared by the
/// scenario's fetches).
pub fn evaluate_with(policy: &Policy, scenario: &Scenario) -> Evaluated {
    // An epoch well away from zero, so `at` offsets only move forward.
    let start = Duration::from_secs(1_000_000);
    let mut runs = Vec::new();
    for _ in 0..scenario.repeat.max(1) {
        let result = match build_request(&scenario.request) {
            Ok(req) => run_fetch(policy, req, &scenario.server, start),
            Err((field, message)) => {
                json!({"outcome": "invalid", "field": field, "message": message})
            }
        };
        runs.push(result);
    }
    let mut followups = Vec::new();
    for f in &scenario.followups {
        let mut merged = scenario.request.clone();
        if let Some(r) = &f.request {
            merged.extend(r.clone());
        }
        let routes = f.server.as_deref().unwrap_or(&scenario.server);
        let at = Duration::try_from_secs_f64(f.at).unwrap_or(Duration::ZERO);
        let result = match build_request(&merged) {
            Ok(req) => run_fetch(policy, req, routes, start + at),
            Err((field, message)) => {
                json!({"outcome": "invalid", "field": field, "message": message})
            }
        };
        followups.push(result);
    }
    Evaluated {
        id: scenario.id.clone(),
        result: runs.last().cloned().unwrap_or(Value::Null),
        runs,
        followups,
    }
}

/// Compares a partial expectation with a result; returns one line per
/// mismatch.
pub fn compare(expect: &Map<String, Value>, result: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (key, want) in expect {
        let got = match key.as_str() {
            "request_headers" => headers_of(result, false, want),
            "preflight_headers" => headers_of(result, true, want),
            "visible_headers" => result.get(key).cloned().unwrap_or(Value::Null),
            "response_headers" => {
                let visible = result.get("response_headers").cloned().unwrap_or(json!({}));
                let mut m = Map::new();
                if let Value::Object(w) = want {
                    for name in w.keys() {
                        let v = visible
                            .get(name.to_ascii_lowercase())
                            .cloned()
                            .unwrap_or(Value::Null);
                        m.insert(name.clone(), v);
                    }
                }
                Value::Object(m)
            }
            "sent" => normalize_sent(result.get("sent")),
            _ => result.get(key).cloned().unwrap_or(Value::Null),
        };
        let want_n = if key == "sent" {
            normalize_sent(Some(want))
        } else {
            want.clone()
        };
        if got != want_n {
            out.push(format!("{key}: expected {want_n}, got {got}"));
        }
    }
    out
}

fn normalize_sent(v: Option<&Value>) -> Value {
    let Some(Value::Array(items)) = v else {
        return Value::Null;
    };
    Value::Array(
        items
            .iter()
            .map(|s| {
                let headers = s
                    .get("headers")
                    .and_then(Value::as_array)
                    .map(|hs| {
                        hs.iter()
                            .map(|h| {
                                let n = h
                                    .get(0)
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_ascii_lowercase();
                                json!([n, h.get(1).cloned().unwrap_or(Value::Null)])
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                json!({"method": s.get("method"), "url": s.get("url"), "headers": headers})
            })
            .collect(),
    )
}

/// The headers of the last sent request of a kind, shaped like `want`
/// (`{name: value | true | null}`).
fn headers_of(result: &Value, preflight: bool, want: &Value) -> Value {
    let sent = result.get("sent").and_then(Value::as_array);
    let last = sent.and_then(|s| {
        s.iter().rev().find(|r| {
            let is_pre = r.get("method").and_then(Value::as_str) == Some("OPTIONS")
                && r.get("headers")
                    .and_then(Value::as_array)
                    .is_some_and(|hs| {
                        hs.iter().any(|h| {
                            h.get(0).and_then(Value::as_str).is_some_and(|n| {
                                n.eq_ignore_ascii_case("access-control-request-method")
                            })
                        })
                    });
            is_pre == preflight
        })
    });
    let mut list = HeaderList::new();
    if let Some(req) = last {
        for h in req
            .get("headers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            list.append(
                h.get(0).and_then(Value::as_str).unwrap_or(""),
                h.get(1).and_then(Value::as_str).unwrap_or(""),
            );
        }
    }
    let mut m = Map::new();
    if let Value::Object(w) = want {
        for (name, wv) in w {
            let v = list.get(name.as_bytes());
            let got = match (v, wv) {
                (None, _) => Value::Null,
                (Some(_), Value::Bool(true)) => Value::Bool(true),
                (Some(v), _) => json!(String::from_utf8_lossy(&v)),
            };
            m.insert(name.clone(), got);
        }
    }
    Value::Object(m)
}

/// A scenario file's outcome under `check`.
#[derive(Clone, Debug)]
pub struct CheckOutcome {
    /// The scenario id.
    pub id: String,
    /// `Ok` when every expectation held; otherwise the mismatches (or the
    /// scenario's error).
    pub result: Result<(), Vec<String>>,
}

/// Checks every scenario of a file's text.
pub fn check_text(text: &str) -> Vec<CheckOutcome> {
    match parse_file(text) {
        Err(e) => vec![CheckOutcome {
            id: e.scenario.clone(),
            result: Err(vec![e.to_string()]),
        }],
        Ok(items) => items
            .into_iter()
            .map(|item| match item {
                Ok(s) => {
                    let ev = evaluate(&s);
                    let mism = ev.mismatches(&s);
                    CheckOutcome {
                        id: s.id,
                        result: if mism.is_empty() { Ok(()) } else { Err(mism) },
                    }
                }
                Err(e) => CheckOutcome {
                    id: e.scenario.clone(),
                    result: Err(vec![e.to_string()]),
                },
            })
            .collect(),
    }
}
