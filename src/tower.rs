//! Testing a server in process, as a browser would: a fetch driven against
//! any [`tower_service::Service`] (an axum `Router`, a service behind
//! tower-http's `CorsLayer`, …) with no socket and no runtime.
//!
//! [`check`] runs the same [`Fetch`](crate::Fetch) driver as everything
//! else: each request the browser would put on the wire (the preflight
//! included) is converted with [`Outgoing::to_http`] and handed to the
//! service, and each answer goes back to the driver through
//! [`Response::from_http`]. It returns what the page's script would see
//! ([`Checked`]), or the network error it would get, with the reason
//! ([`Refused`]); both list every request that went to the service.
//!
//! ```
//! use crossorigin::{tower::check, Policy, Profile, Request};
//! use http::{Method, Response};
//! use tower::ServiceBuilder;
//! use tower_http::cors::CorsLayer;
//!
//! // A handler behind a CorsLayer that allows any origin but only GET.
//! let mut service = ServiceBuilder::new()
//!     .layer(
//!         CorsLayer::new()
//!             .allow_origin(tower_http::cors::Any)
//!             .allow_methods([Method::GET]),
//!     )
//!     .service_fn(|_req: http::Request<Vec<u8>>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(Vec::<u8>::new()))
//!     });
//! let policy = Policy::new(Profile::chromium());
//!
//! // A GET is a simple request: no preflight, and the response is shared.
//! let get = Request::get("https://api.example/items/1", "https://app.example").unwrap();
//! let seen = pollster::block_on(check(&mut service, &policy, get)).unwrap();
//! assert_eq!(seen.response.status, 200);
//! assert_eq!(seen.preflights(), 0);
//!
//! // A PUT is preflighted, and the preflight's answer does not list PUT.
//! let put = Request::get("https://api.example/items/1", "https://app.example")
//!     .unwrap()
//!     .with_method("PUT");
//! let refused = pollster::block_on(check(&mut service, &policy, put)).unwrap_err();
//! assert_eq!(refused.name(), "MethodDisallowedByPreflightResponse");
//! assert_eq!(refused.exchanges.len(), 1); // the preflight; the PUT never left
//! println!("{refused}"); // the reason, and (feature `scenario`) the fix
//! ```
//!
//! The future completes as soon as the service's futures do, so any
//! executor runs it: `.await` in `#[tokio::test]`, or a minimal `block_on`
//! such as `pollster`'s in a plain `#[test]`.
//!
//! What the service receives: the browser's request as [`Outgoing`] holds
//! it, with the absolute URL as the URI (as a server sees an HTTP/2
//! request; there is no `Host` header) and the body converted with
//! `B::from(Vec<u8>)`. Cookies and HTTP authentication from the browser's
//! own stores are not added (a credentialed request is marked
//! [`Outgoing::credentials`]); headers the script set, `Authorization`
//! included, are sent. The response's body is never read.
//!
//! The [`Policy`] keeps its preflight cache across calls, as a browser
//! does: a second check within the preflight's max-age sends no preflight.
//! Use [`check_at`] to move the clock, or a fresh policy to start cold.

use std::fmt;
use std::future::poll_fn;
use std::time::Duration;

use tower_service::Service;

use crate::error::Refusal;
use crate::fetch::{NetworkFailure, Outgoing, Policy, Step};
use crate::request::Request;
use crate::response::{FilteredResponse, Response};

/// Runs `request` as a page's script would fetch it, against `service`,
/// at time zero. See [`check_at`] and the [module docs](self).
///
/// A service that takes any body type, such as an axum `Router`, needs the
/// request body type named (`B`, the first type parameter):
///
/// ```
/// use axum::{Router, routing::put};
/// use crossorigin::{tower::check, Policy, Profile, Request};
/// use http::{HeaderValue, Method, header};
/// use tower_http::cors::CorsLayer;
///
/// let mut app = Router::new()
///     .route("/items/{id}", put(|body: String| async { body }))
///     .layer(
///         CorsLayer::new()
///             .allow_origin(HeaderValue::from_static("https://app.example"))
///             .allow_methods([Method::PUT])
///             .allow_headers([header::CONTENT_TYPE]),
///     );
/// let request = Request::get("https://api.example/items/1", "https://app.example")
///     .unwrap()
///     .with_method("PUT")
///     .with_header("Content-Type", "application/json")
///     .with_body(r#"{"name":"x"}"#);
/// let policy = Policy::new(Profile::chromium());
/// let checked = check::<axum::body::Body, _, _>(&mut app, &policy, request);
/// let seen = pollster::block_on(checked).unwrap();
/// assert_eq!(seen.preflights(), 1);
/// assert_eq!(seen.response.status, 200);
/// ```
pub async fn check<B, S, ResBody>(
    service: &mut S,
    policy: &Policy,
    request: Request,
) -> Result<Checked, Refused>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Error: fmt::Display,
    B: From<Vec<u8>>,
{
    check_at(service, policy, request, Duration::ZERO).await
}

/// Runs `request` as a page's script would fetch it, against `service`, at
/// time `now` (any fixed epoch: only differences matter, for the preflight
/// cache's max-age).
///
/// Each request the browser would send goes through the service's
/// `poll_ready` then `call`. The browser sees a failed connection
/// ([`Refusal::NetworkFailure`]) where the service fails (`poll_ready` or
/// the call's future returns an error) or where the request cannot be
/// expressed as an `http::Request` (a method, URL or header byte the `http`
/// crate refuses); [`Exchange::received`] says which.
///
/// ```
/// use std::time::Duration;
/// use crossorigin::{tower::check_at, Policy, Profile, Request};
/// use tower_http::cors::CorsLayer;
///
/// // `permissive()` answers every preflight with `*`, and no max-age.
/// let mut service = tower::ServiceBuilder::new()
///     .layer(CorsLayer::permissive().max_age(Duration::from_secs(60)))
///     .service_fn(|_req: http::Request<Vec<u8>>| async {
///         Ok::<_, std::convert::Infallible>(http::Response::new(Vec::<u8>::new()))
///     });
/// let policy = Policy::new(Profile::spec());
/// let put = || {
///     Request::get("https://api.example/items/1", "https://app.example")
///         .unwrap()
///         .with_method("PUT")
/// };
/// let at = |secs| Duration::from_secs(secs);
/// let first = pollster::block_on(check_at(&mut service, &policy, put(), at(0))).unwrap();
/// assert_eq!(first.preflights(), 1);
/// // Within `Access-Control-Max-Age: 60` the cached preflight covers PUT.
/// let again = pollster::block_on(check_at(&mut service, &policy, put(), at(59))).unwrap();
/// assert_eq!(again.preflights(), 0);
/// let later = pollster::block_on(check_at(&mut service, &policy, put(), at(61))).unwrap();
/// assert_eq!(later.preflights(), 1);
/// ```
pub async fn check_at<B, S, ResBody>(
    service: &mut S,
    policy: &Policy,
    request: Request,
    now: Duration,
) -> Result<Checked, Refused>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Error: fmt::Display,
    B: From<Vec<u8>>,
{
    let mut fetch = policy.fetch(request.clone(), now);
    let mut exchanges = Vec::new();
    loop {
        match fetch.poll() {
            Step::Send(sent) => {
                let received = send(service, &sent).await;
                fetch.receive(received.clone().map_err(|_| NetworkFailure), now);
                exchanges.push(Exchange { sent, received });
            }
            Step::Done(Ok(response)) => {
                return Ok(Checked {
                    response,
                    exchanges,
                });
            }
            Step::Done(Err(refusal)) => {
                return Err(Refused {
                    refusal,
                    request: Box::new(request),
                    exchanges,
                });
            }
        }
    }
}

/// One request through the service: the answer's status and headers, or
/// why there is none.
async fn send<B, S, ResBody>(service: &mut S, sent: &Outgoing) -> Result<Response, String>
where
    S: Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Error: fmt::Display,
    B: From<Vec<u8>>,
{
    let request = sent
        .to_http()
        .map_err(|e| format!("the request cannot be built as an http::Request: {e}"))?
        .map(B::from);
    poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(|e| format!("the service is not ready: {e}"))?;
    let response = service
        .call(request)
        .await
        .map_err(|e| format!("the service failed: {e}"))?;
    Ok(Response::from_http(&response))
}

/// One request the browser sent to the service, and what came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    /// The request, as the browser put it on the wire.
    pub sent: Outgoing,
    /// The response's status and headers (its body is not read), or why the
    /// browser got none: the service's error, or a request the `http` crate
    /// cannot hold. The browser sees either as a failed connection.
    pub received: Result<Response, String>,
}

/// A fetch the browser lets through: what the page's script sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// The filtered response: its type, status, and the headers the script
    /// can read.
    pub response: FilteredResponse,
    /// Every request sent to the service, in order, preflights included.
    pub exchanges: Vec<Exchange>,
}

impl Checked {
    /// How many CORS preflights were sent (0 for a simple request or a
    /// preflight cache hit).
    pub fn preflights(&self) -> usize {
        count_preflights(&self.exchanges)
    }
}

/// A fetch the browser refuses: the script gets a network error
/// (`TypeError: Failed to fetch`). `Display` gives the reason as a sentence
/// and, with feature `scenario`, what to change on the server; `Debug` adds
/// every request and answer, so `.unwrap()` on a [`check`] explains itself.
#[derive(Clone)]
pub struct Refused {
    /// Why.
    pub refusal: Refusal,
    /// The request as the script made it (boxed, to keep `Result<_, Refused>`
    /// small).
    pub request: Box<Request>,
    /// Every request sent to the service, in order, preflights included
    /// (none when the browser refused before sending).
    pub exchanges: Vec<Exchange>,
}

impl Refused {
    /// The refusal's stable name, as Chromium names it
    /// ([`Refusal::name`]).
    pub fn name(&self) -> &'static str {
        self.refusal.name()
    }

    /// How many CORS preflights were sent.
    pub fn preflights(&self) -> usize {
        count_preflights(&self.exchanges)
    }

    /// The smallest change to the server's answers that makes the browser
    /// accept, where there is one ([`crate::explain::suggest_fix`]).
    #[cfg(feature = "scenario")]
    pub fn fix(&self) -> Option<String> {
        crate::explain::suggest_fix(&self.refusal, &self.request)
    }
}

fn count_preflights(exchanges: &[Exchange]) -> usize {
    exchanges.iter().filter(|e| e.sent.is_preflight).count()
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.refusal)?;
        #[cfg(feature = "scenario")]
        if let Some(fix) = self.fix() {
            write!(f, "; fix on the server: {fix}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self}")?;
        for e in &self.exchanges {
            let what = if e.sent.is_preflight {
                " (preflight)"
            } else {
                ""
            };
            writeln!(
                f,
                "  sent {} {}{what} {:?}",
                String::from_utf8_lossy(&e.sent.method),
                e.sent.url,
                e.sent.headers
            )?;
            match &e.received {
                Ok(r) => writeln!(f, "  got {} {:?}", r.status, r.headers)?,
                Err(why) => writeln!(f, "  got no response: {why}")?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}
