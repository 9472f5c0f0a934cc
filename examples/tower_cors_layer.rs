//! What a browser decides about a few fetches from `https://app.example` to
//! a handler behind tower-http's `CorsLayer`, in three configurations, run in
//! process with `crossorigin::tower::check`.
//!
//! ```sh
//! cargo run --example tower_cors_layer --features tower
//! ```

use std::convert::Infallible;

use crossorigin::tower::check;
use crossorigin::{CredentialsMode, Policy, Profile, Request};
use http::{HeaderValue, Method, header};
use tower::{Layer, Service, service_fn};
use tower_http::cors::CorsLayer;

const PAGE: &str = "https://app.example";
const URL: &str = "https://api.example/items/1";

type Handler = tower::util::ServiceFn<
    fn(http::Request<Vec<u8>>) -> std::future::Ready<Result<http::Response<Vec<u8>>, Infallible>>,
>;

fn handler() -> Handler {
    service_fn(|_req| {
        let response = http::Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-request-id", "42")
            .body(b"{}".to_vec())
            .unwrap();
        std::future::ready(Ok(response))
    })
}

fn fetches() -> Vec<(&'static str, Request)> {
    let get = || Request::get(URL, PAGE).unwrap();
    let put = || {
        get()
            .with_method("PUT")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"name":"x"}"#)
    };
    vec![
        ("GET", get()),
        ("PUT with JSON", put()),
        (
            "PUT with JSON, credentials: include",
            put().with_credentials(CredentialsMode::Include),
        ),
        (
            "GET with Authorization",
            get().with_header("Authorization", "Bearer t"),
        ),
    ]
}

fn report<S>(name: &str, mut service: S)
where
    S: Service<http::Request<Vec<u8>>, Response = http::Response<Vec<u8>>>,
    S::Error: std::fmt::Display,
{
    println!("== {name}");
    for profile in [Profile::spec(), Profile::chromium()] {
        // A fresh policy per configuration: no preflight cached from another.
        let policy = Policy::new(profile);
        for (what, request) in fetches() {
            let outcome = match pollster::block_on(check(&mut service, &policy, request)) {
                Ok(seen) => format!(
                    "allowed ({} request(s), {} preflight); the script reads status {} and {}",
                    seen.exchanges.len(),
                    seen.preflights(),
                    seen.response.status,
                    seen.response.visible_header_names().join(", "),
                ),
                Err(refused) => format!("REFUSED {refused}"),
            };
            println!("  [{}] {what}: {outcome}", profile.name);
        }
    }
    println!();
}

fn main() {
    report(
        "CorsLayer::permissive()",
        CorsLayer::permissive().layer(handler()),
    );
    report(
        "CorsLayer::new().allow_origin(\"https://app.example\").allow_methods([GET])",
        CorsLayer::new()
            .allow_origin(HeaderValue::from_static(PAGE))
            .allow_methods([Method::GET])
            .layer(handler()),
    );
    report(
        "CorsLayer::very_permissive()",
        CorsLayer::very_permissive().layer(handler()),
    );
}
