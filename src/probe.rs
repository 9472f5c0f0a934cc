//! Runs a fetch against a live server over HTTP(S) as a browser would
//! (feature `probe`): the [`Fetch`](crate::Fetch) driver decides what to
//! send, a real HTTP client ([`ureq`], rustls) sends it, and the answers go
//! back to the driver, preflight, redirects and all.
//!
//! ```no_run
//! use crossorigin::{probe::{probe, ProbeOptions}, Policy, Profile, Request};
//! let policy = Policy::new(Profile::chromium());
//! let request = Request::get("https://api.example/items/1", "https://app.example")
//!     .unwrap()
//!     .with_method("PUT")
//!     .with_header("Content-Type", "application/json");
//! let probed = probe(&policy, request, &ProbeOptions::default());
//! match &probed.result {
//!     Ok(seen) => println!("allowed: status {}", seen.status),
//!     Err(refusal) => println!("refused: {refusal}; fix: {:?}", probed.fix),
//! }
//! ```
//!
//! What goes on the wire: each [`Outgoing`] request's method, URL, headers
//! and body, as the driver gives them; the client adds `Host`,
//! `Content-Length` where there is a body, and `User-Agent` (set
//! [`ProbeOptions::user_agent`]). The client never follows a redirect (the
//! driver does, up to its limit of 20, and refuses non-HTTP(S) targets), has
//! no cookie store and sends no HTTP authentication of its own: a request
//! whose credentials mode is `include` is sent as the browser would send it
//! *apart from* the user's cookies, which a probe does not have
//! ([`Exchange::sent`]'s `credentials` says the browser would attach them).
//! Headers the request itself carries, `Authorization` included, are sent.
//! Response bodies are not read.
//!
//! Failures: a connection that cannot be made, a timeout, a TLS error, a
//! malformed answer or an answer whose head is larger than
//! [`ProbeOptions::max_header_bytes`] reach the driver as a failed connection
//! (the browser's network error); [`Exchange::received`] keeps the
//! [`ProbeError`].

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::Refusal;
use crate::explain::{self, Warning};
use crate::fetch::{NetworkFailure, Outgoing, Policy, Step};
use crate::origin::Origin;
use crate::request::Request;
use crate::response::{FilteredResponse, Response};

/// How a probe talks to the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOptions {
    /// The longest wait for a connection (DNS, TCP and TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// The longest wait for each response's head once the request is sent,
    /// and for sending the request. Default 10 s.
    pub read_timeout: Duration,
    /// The largest response head accepted, in bytes. Default 64 KiB. The
    /// client also refuses heads of more than 128 header lines.
    pub max_header_bytes: usize,
    /// The `User-Agent` sent. Default `crossorigin-probe/VERSION`.
    pub user_agent: String,
    /// Whether to use a proxy from the environment (`HTTPS_PROXY`,
    /// `ALL_PROXY`, ...). Default false: connect directly.
    pub proxy_from_env: bool,
    /// Whether to fetch a second time from [`REFLECTION_ORIGIN`] and warn
    /// when the server echoes it (it reflects any origin). Default false.
    pub check_reflection: bool,
}

/// The made-up origin `check_reflection` sends.
pub const REFLECTION_ORIGIN: &str = "https://evil.example";

impl Default for ProbeOptions {
    fn default() -> ProbeOptions {
        ProbeOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            user_agent: concat!("crossorigin-probe/", env!("CARGO_PKG_VERSION")).to_owned(),
            proxy_from_env: false,
            check_reflection: false,
        }
    }
}

/// Why a request got no response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeError {
    /// The URL's scheme is not `http` or `https`; nothing was sent.
    UnsupportedScheme(String),
    /// The request cannot be expressed for the client (a method, URL or
    /// header byte the `http` crate refuses); nothing was sent.
    InvalidRequest(String),
    /// The connection, sending or the response's head took too long.
    Timeout(String),
    /// The response's head is larger than the limit.
    HeadersTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The response's head has more header lines than the client reads.
    TooManyHeaders,
    /// The host name did not resolve, or the connection failed or was reset.
    Connection(String),
    /// TLS failed (certificate, handshake).
    Tls(String),
    /// The answer is not HTTP/1.1 the client can read.
    Protocol(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::UnsupportedScheme(s) => {
                write!(f, "not sent: `{s}` is not an HTTP(S) URL")
            }
            ProbeError::InvalidRequest(e) => write!(f, "not sent: {e}"),
            ProbeError::Timeout(what) => write!(f, "timed out: {what}"),
            ProbeError::HeadersTooLarge { limit } => {
                write!(f, "the response head is larger than {limit} bytes")
            }
            ProbeError::TooManyHeaders => {
                f.write_str("the response head has more header lines than the client reads")
            }
            ProbeError::Connection(e) => write!(f, "connection failed: {e}"),
            ProbeError::Tls(e) => write!(f, "TLS failed: {e}"),
            ProbeError::Protocol(e) => write!(f, "unreadable answer: {e}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// One request the browser sent, and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The request, as the browser put it on the wire.
    pub sent: Outgoing,
    /// The response's status and headers, or why there is none (the browser
    /// sees a failed connection).
    pub received: Result<Response, ProbeError>,
    /// How long the exchange took.
    pub elapsed: Duration,
}

/// What a probe found.
#[derive(Clone, Debug)]
pub struct ProbeResult {
    /// The request as the script made it.
    pub request: Request,
    /// Every request sent, in order, preflights included.
    pub exchanges: Vec<Exchange>,
    /// What the script sees, or the network error it gets and why.
    pub result: Result<FilteredResponse, Refusal>,
    /// For a refusal, the smallest change to the server's answers that makes
    /// the browser accept, where there is one.
    pub fix: Option<String>,
    /// Answers that work but are risky or wasteful.
    pub warnings: Vec<Warning>,
    /// With [`ProbeOptions::check_reflection`]: the exchanges of the second
    /// fetch, from [`REFLECTION_ORIGIN`].
    pub reflection: Option<Vec<Exchange>>,
}

impl ProbeResult {
    /// How many CORS preflights were sent.
    pub fn preflights(&self) -> usize {
        self.exchanges
            .iter()
            .filter(|e| e.sent.is_preflight)
            .count()
    }

    /// The fetch narrated as [`explain::explain`] does.
    pub fn narrate(&self, profile: &crate::Profile) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let r = &self.request;
        let _ = writeln!(
            out,
            "Probe: {} {} from {} (mode {}, credentials {}, profile {})",
            String::from_utf8_lossy(&r.method),
            r.url,
            r.origin,
            r.mode.as_str(),
            r.credentials.as_str(),
            profile.name
        );
        if r.credentials == crate::CredentialsMode::Include {
            let _ = writeln!(
                out,
                "   (credentials include: a browser would attach the user's cookies and HTTP \
                 authentication to the actual request; a probe has none and sends none)"
            );
        }
        let transcript: Vec<(Outgoing, Result<Response, String>)> = self
            .exchanges
            .iter()
            .map(|e| {
                (
                    e.sent.clone(),
                    e.received.clone().map_err(|e| e.to_string()),
                )
            })
            .collect();
        let mut body = String::new();
        if !explain::narrate_decision(&mut body, profile, r) {
            out.push_str(&body);
            return out;
        }
        explain::narrate_exchanges(&mut body, profile, r, &transcript, &self.result);
        // `narrate_exchanges` writes its own warnings; add the reflection
        // check's, which it cannot know.
        out.push_str(&body);
        let extra: Vec<Warning> = self
            .warnings
            .iter()
            .filter(|w| w.kind == explain::WarningKind::ReflectsAnyOrigin)
            .cloned()
            .collect();
        if !extra.is_empty() {
            if body.contains("\nWarnings:\n") {
                for w in &extra {
                    let _ = writeln!(out, "   - {}: {}", w.kind.name(), w.message);
                }
            } else {
                explain::write_warnings(&mut out, &extra);
            }
        }
        out
    }
}

/// Runs `request` as a page's script would fetch it, against the live
/// server, at the policy's clock zero. See the [module docs](self).
pub fn probe(policy: &Policy, request: Request, options: &ProbeOptions) -> ProbeResult {
    let agent = agent(options);
    let (exchanges, result) = run(&agent, policy, request.clone(), options);
    let fix = match &result {
        Err(e) => fix_for(e, &request, &exchanges),
        Ok(_) => None,
    };
    let mut warnings = explain::warnings(&request, answered(&exchanges), policy.profile());
    let reflection = if options.check_reflection {
        let mut second = request.clone();
        if let Ok(origin) = Origin::parse(REFLECTION_ORIGIN.as_bytes()) {
            second.origin = origin;
        }
        // A fresh policy: the first fetch's cached preflight must not answer.
        let fresh = Policy::new(*policy.profile());
        let (ex, _) = run(&agent, &fresh, second, options);
        if let Some(w) = explain::reflection_warning(REFLECTION_ORIGIN, answered(&ex)) {
            warnings.push(w);
        }
        Some(ex)
    } else {
        None
    };
    ProbeResult {
        request,
        exchanges,
        result,
        fix,
        warnings,
        reflection,
    }
}

fn answered(exchanges: &[Exchange]) -> impl Iterator<Item = (&Outgoing, &Response)> {
    exchanges
        .iter()
        .filter_map(|e| e.received.as_ref().ok().map(|r| (&e.sent, r)))
}

fn fix_for(refusal: &Refusal, request: &Request, exchanges: &[Exchange]) -> Option<String> {
    // The narration's fix names every missing header at once; take it from
    // there so both agree.
    let transcript: Vec<(Outgoing, Result<Response, String>)> = exchanges
        .iter()
        .map(|e| {
            (
                e.sent.clone(),
                e.received.clone().map_err(|e| e.to_string()),
            )
        })
        .collect();
    let mut text = String::new();
    explain::narrate_exchanges(
        &mut text,
        &crate::Profile::spec(),
        request,
        &transcript,
        &Err(refusal.clone()),
    );
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Fix on the server: "))
        .map(str::to_owned)
        .or_else(|| explain::suggest_fix(refusal, request))
}

fn run(
    agent: &ureq::Agent,
    policy: &Policy,
    request: Request,
    options: &ProbeOptions,
) -> (Vec<Exchange>, Result<FilteredResponse, Refusal>) {
    let mut fetch = policy.fetch(request, Duration::ZERO);
    let mut exchanges = Vec::new();
    loop {
        // Bounded by the driver (21 hops of at most 2 requests); this guards
        // against a driver bug looping forever.
        if exchanges.len() > 64 {
            return (exchanges, Err(Refusal::TooManyRedirects));
        }
        match fetch.poll() {
            Step::Send(sent) => {
                let started = Instant::now();
                let received = send(agent, &sent, options);
                fetch.receive(received.clone().map_err(|_| NetworkFailure), Duration::ZERO);
                exchanges.push(Exchange {
                    sent,
                    received,
                    elapsed: started.elapsed(),
                });
            }
            Step::Done(result) => return (exchanges, result),
        }
    }
}

fn agent(options: &ProbeOptions) -> ureq::Agent {
    let proxy = if options.proxy_from_env {
        ureq::Proxy::try_from_env()
    } else {
        None
    };
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .proxy(proxy)
        .user_agent(options.user_agent.as_str())
        .accept_encoding("")
        .max_response_header_size(options.max_header_bytes)
        .max_idle_connections(0)
        .timeout_connect(Some(options.connect_timeout))
        .timeout_send_request(Some(options.read_timeout))
        .timeout_send_body(Some(options.read_timeout))
        .timeout_recv_response(Some(options.read_timeout))
        .build()
        .into()
}

fn send(
    agent: &ureq::Agent,
    sent: &Outgoing,
    options: &ProbeOptions,
) -> Result<Response, ProbeError> {
    if !matches!(sent.url.scheme(), "http" | "https") {
        return Err(ProbeError::UnsupportedScheme(sent.url.to_string()));
    }
    let request = sent
        .to_http()
        .map_err(|e| ProbeError::InvalidRequest(e.to_string()))?;
    let answer = if sent.body.is_some() {
        agent.run(request)
    } else {
        agent.run(request.map(|_| ()))
    };
    match answer {
        // The body is dropped unread.
        Ok(response) => Ok(Response::from_http(&response)),
        Err(e) => Err(classify(e, options)),
    }
}

fn classify(e: ureq::Error, options: &ProbeOptions) -> ProbeError {
    use ureq::Error as E;
    match e {
        E::Timeout(which) => ProbeError::Timeout(format!(
            "{which} (after {:?})",
            match which {
                ureq::Timeout::Connect => options.connect_timeout,
                _ => options.read_timeout,
            }
        )),
        E::LargeResponseHeader(_, limit) => ProbeError::HeadersTooLarge { limit },
        // ureq does not re-export its protocol error type; its message names it.
        E::Protocol(p) if p.to_string().contains("too many headers") => ProbeError::TooManyHeaders,
        E::HostNotFound | E::ConnectionFailed | E::ConnectProxyFailed(_) => {
            ProbeError::Connection(e.to_string())
        }
        E::Io(io)
            if io.kind() == std::io::ErrorKind::TimedOut
                || io.kind() == std::io::ErrorKind::WouldBlock =>
        {
            ProbeError::Timeout(io.to_string())
        }
        E::Io(io) => ProbeError::Connection(io.to_string()),
        E::Tls(_) | E::Rustls(_) | E::TlsRequired => ProbeError::Tls(e.to_string()),
        E::Http(_) | E::BadUri(_) => ProbeError::InvalidRequest(e.to_string()),
        other => ProbeError::Protocol(other.to_string()),
    }
}
