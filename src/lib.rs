//! `crossorigin` decides, as a browser does, what a web page may fetch from
//! another origin and what its script may then read.
//!
//! It models the browser side of the WHATWG Fetch, HTML and URL standards:
//! origins and sites ([`Origin`], [`Site`], [`Psl`]), the request safelists
//! and the preflight decision ([`header`], [`method`], [`request`]), the
//! CORS check ([`cors`]), preflight validation ([`preflight`]), the
//! preflight cache ([`cache`]), redirects and response filtering, tied
//! together by a sans-I/O driver ([`Policy`], [`Fetch`]). Browsers' departures
//! from the standard are [`Profile`]s.
//!
//! ```
//! use std::time::Duration;
//! use crossorigin::{Policy, Profile, Request, Response, Step};
//!
//! let policy = Policy::new(Profile::chromium());
//! let request = Request::get("https://api.example/items/1", "https://app.example")
//!     .unwrap()
//!     .with_method("PUT")
//!     .with_header("Content-Type", "application/json");
//! let mut fetch = policy.fetch(request, Duration::ZERO);
//! let result = loop {
//!     match fetch.poll() {
//!         Step::Send(req) if req.is_preflight => {
//!             // The server forgot Access-Control-Allow-Headers.
//!             let res = Response::new(204)
//!                 .with_header("Access-Control-Allow-Origin", "https://app.example")
//!                 .with_header("Access-Control-Allow-Methods", "PUT");
//!             fetch.receive(Ok(res), Duration::ZERO);
//!         }
//!         Step::Send(_) => fetch.receive(Ok(Response::new(200)), Duration::ZERO),
//!         Step::Done(result) => break result,
//!     }
//! };
//! let refusal = result.unwrap_err();
//! assert_eq!(refusal.name(), "HeaderDisallowedByPreflightResponse");
//! println!("{refusal}");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod cors;
pub mod error;
#[cfg(feature = "scenario")]
pub mod explain;
pub mod fetch;
pub mod header;
pub mod method;
pub mod mime;
pub mod origin;
pub mod outgoing;
pub mod preflight;
#[cfg(feature = "probe")]
pub mod probe;
pub mod profile;
pub mod request;
pub mod response;

#[cfg(feature = "scenario")]
pub mod scenario;
pub mod site;
#[cfg(test)]
mod test_rng;
#[cfg(feature = "tower")]
pub mod tower;

pub use cache::PreflightCache;
pub use error::{CorsCheckFailure, Refusal, WebKitContext};
pub use fetch::{Fetch, NetworkFailure, Outgoing, OutgoingRef, Policy, Step};
pub use header::{Header, HeaderList};
pub use method::Method;
pub use mime::MimeType;
pub use origin::{
    DocumentDomainContext, DocumentDomainError, Domain, Host, Origin, OriginParseError, Scheme,
    TupleOrigin, document_domain_get, document_domain_set,
    is_registrable_domain_suffix_of_or_equal,
};
pub use outgoing::{OutgoingHeaders, OutgoingIter};
pub use profile::{EmptyLocation, ExtraSafelisted, FetchKnobs, Profile, ValueRule};
pub use request::{CredentialsMode, Mode, RedirectMode, ReferrerPolicy, Request};
pub use response::{FilteredResponse, Response, ResponseType, VisibleHeaders};
pub use site::{Psl, Site, same_site, schemelessly_same_site};
