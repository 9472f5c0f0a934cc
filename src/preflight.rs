//! The CORS-preflight request and the validation of its response
//! (`fetch#cors-preflight-fetch-0`).

use crate::error::Refusal;
use crate::header::{self, HeaderList};
use crate::method;
use crate::profile::Profile;
use crate::request::{CredentialsMode, unsafe_header_names};
use crate::response::{Response, is_ok_status, is_redirect_status};

/// The headers of a CORS-preflight request that the standard fixes
/// (`fetch#cors-preflight-fetch-0` steps 2-5): `Accept: */*`,
/// `Access-Control-Request-Method`, and `Access-Control-Request-Headers`
/// (the CORS-unsafe request-header names, lower case, sorted, joined with
/// `,` and no space; absent when there are none). `Origin` and the headers
/// every request gets are added when it is sent.
///
/// ```
/// use crossorigin::{preflight::preflight_headers, HeaderList, Profile};
/// let h: HeaderList = [("X-B", "1"), ("Content-Type", "application/json"), ("x-a", "2")]
///     .into_iter().collect();
/// let p = preflight_headers(b"PUT", &h, &Profile::spec());
/// assert_eq!(p.get(b"access-control-request-method").unwrap(), b"PUT");
/// assert_eq!(p.get(b"access-control-request-headers").unwrap(), b"content-type,x-a,x-b");
/// ```
pub fn preflight_headers(method: &[u8], headers: &HeaderList, profile: &Profile) -> HeaderList {
    let mut out = HeaderList::new();
    out.append("Accept", "*/*");
    out.append("Access-Control-Request-Method", method);
    let names = unsafe_header_names(headers, profile);
    if !names.is_empty() {
        out.append("Access-Control-Request-Headers", names.join(&b","[..]));
    }
    out
}

/// What a successful preflight allows, for the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightResult<'a> {
    /// The methods (`*` included as given).
    pub methods: Vec<&'a [u8]>,
    /// The header names (`*` included as given).
    pub header_names: Vec<&'a [u8]>,
    /// The max-age in seconds, after the profile's default and cap.
    pub max_age: u64,
}

/// The actual request as preflight validation sees it.
#[derive(Clone, Copy, Debug)]
pub struct ActualRequest<'a> {
    /// The method, normalized.
    pub method: &'a [u8],
    /// The header list.
    pub headers: &'a HeaderList,
    /// The credentials mode.
    pub credentials: CredentialsMode,
    /// The use-CORS-preflight flag.
    pub use_cors_preflight: bool,
    /// The byte-serialized request origin.
    pub origin: &'a [u8],
}

/// Validates a CORS-preflight response (`fetch#cors-preflight-fetch-0`
/// step 7): not a redirect, the CORS check with the actual request's
/// credentials mode, an ok status, then `Access-Control-Allow-Methods` and
/// `-Headers` parsed and matched, and the max-age.
///
/// ```
/// use crossorigin::preflight::{validate_preflight_response, ActualRequest};
/// use crossorigin::{CredentialsMode, HeaderList, Profile, Response};
/// let headers: HeaderList = [("X-Trace", "1")].into_iter().collect();
/// let actual = ActualRequest {
///     method: b"PUT", headers: &headers, credentials: CredentialsMode::Omit,
///     use_cors_preflight: false, origin: b"https://app.example",
/// };
/// let ok = Response::new(204)
///     .with_header("Access-Control-Allow-Origin", "https://app.example")
///     .with_header("Access-Control-Allow-Methods", "PUT")
///     .with_header("Access-Control-Allow-Headers", "x-trace");
/// assert_eq!(validate_preflight_response(&actual, &ok, &Profile::spec()).unwrap().max_age, 5);
/// let bad = Response::new(204).with_header("Access-Control-Allow-Origin", "*");
/// assert_eq!(
///     validate_preflight_response(&actual, &bad, &Profile::spec()).unwrap_err().name(),
///     "MethodDisallowedByPreflightResponse",
/// );
/// ```
pub fn validate_preflight_response<'r>(
    actual: &ActualRequest<'r>,
    response: &'r Response,
    profile: &Profile,
) -> Result<PreflightResult<'r>, Refusal> {
    let status = response.status;
    if is_redirect_status(status) {
        return Err(Refusal::PreflightDisallowedRedirect { status });
    }
    crate::cors::cors_check(actual.origin, actual.credentials, &response.headers)
        .map_err(Refusal::PreflightCorsCheck)?;
    if !is_ok_status(status) {
        return Err(Refusal::PreflightInvalidStatus { status });
    }
    let h = &response.headers;
    // Step 7.1-7.3.
    let methods = header::extract_token_list(b"access-control-allow-methods", h).map_err(|_| {
        Refusal::InvalidAllowMethodsPreflightResponse {
            value: h.get(b"access-control-allow-methods").unwrap_or_default(),
        }
    })?;
    let header_names =
        header::extract_token_list(b"access-control-allow-headers", h).map_err(|_| {
            Refusal::InvalidAllowHeadersPreflightResponse {
                value: h.get(b"access-control-allow-headers").unwrap_or_default(),
            }
        })?;
    // Step 7.4.
    let methods = match methods {
        None if actual.use_cors_preflight => vec![actual.method],
        None => Vec::new(),
        Some(m) => m,
    };
    let header_names = header_names.unwrap_or_default();
    let include = actual.credentials == CredentialsMode::Include;
    // Step 7.5.
    let method_star = methods.iter().any(|m| *m == b"*");
    if !methods.contains(&actual.method)
        && !method::is_cors_safelisted_method(actual.method)
        && (include || !method_star)
    {
        return Err(Refusal::MethodDisallowedByPreflightResponse {
            method: actual.method.to_vec(),
            wildcard_with_credentials: include && method_star,
        });
    }
    let listed = |name: &[u8]| header_names.iter().any(|n| n.eq_ignore_ascii_case(name));
    let header_star = header_names.iter().any(|n| *n == b"*");
    // Step 7.6: `Authorization` is never covered by `*` (unless the profile says so).
    if !profile.wildcard_covers_authorization {
        for hdr in actual.headers {
            if header::is_cors_non_wildcard_request_header_name(hdr.name) && !listed(hdr.name) {
                return Err(Refusal::HeaderDisallowedByPreflightResponse {
                    name: hdr.name.to_ascii_lowercase(),
                    wildcard_not_applicable: header_star,
                });
            }
        }
    }
    // Step 7.7.
    for name in unsafe_header_names(actual.headers, profile) {
        if !listed(&name) && (include || !header_star) {
            return Err(Refusal::HeaderDisallowedByPreflightResponse {
                name,
                wildcard_not_applicable: include && header_star,
            });
        }
    }
    // Step 7.8-7.10.
    let max_age = profile.max_age(h.values(b"access-control-max-age"));
    Ok(PreflightResult {
        methods,
        header_names,
        max_age,
    })
}
