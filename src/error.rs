//! Every reason a browser refuses a fetch, as one enum.

use std::fmt;

/// Why the CORS check failed (`fetch#cors-check`), on an actual response or
/// on a preflight response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorsCheckFailure {
    /// No `Access-Control-Allow-Origin` header.
    MissingAllowOriginHeader,
    /// More than one value: repeated headers, or a list in one header.
    MultipleAllowOriginValues {
        /// The combined value.
        value: Vec<u8>,
    },
    /// A value that is not `*`, `null` or a serialized origin.
    InvalidAllowOriginValue {
        /// The value.
        value: Vec<u8>,
    },
    /// `*` while credentials are included.
    WildcardOriginNotAllowed,
    /// A serialized origin other than the request's.
    AllowOriginMismatch {
        /// The value the server sent.
        value: Vec<u8>,
        /// The request's serialized origin.
        origin: String,
    },
    /// Credentials are included and `Access-Control-Allow-Credentials` is
    /// not exactly `true`.
    InvalidAllowCredentials {
        /// The value, if the header was there.
        value: Option<Vec<u8>>,
    },
}

impl CorsCheckFailure {
    /// The stable name (Chromium's `CorsError` name).
    pub fn name(&self) -> &'static str {
        match self {
            CorsCheckFailure::MissingAllowOriginHeader => "MissingAllowOriginHeader",
            CorsCheckFailure::MultipleAllowOriginValues { .. } => "MultipleAllowOriginValues",
            CorsCheckFailure::InvalidAllowOriginValue { .. } => "InvalidAllowOriginValue",
            CorsCheckFailure::WildcardOriginNotAllowed => "WildcardOriginNotAllowed",
            CorsCheckFailure::AllowOriginMismatch { .. } => "AllowOriginMismatch",
            CorsCheckFailure::InvalidAllowCredentials { .. } => "InvalidAllowCredentials",
        }
    }

    fn preflight_name(&self) -> &'static str {
        match self {
            CorsCheckFailure::MissingAllowOriginHeader => "PreflightMissingAllowOriginHeader",
            CorsCheckFailure::MultipleAllowOriginValues { .. } => {
                "PreflightMultipleAllowOriginValues"
            }
            CorsCheckFailure::InvalidAllowOriginValue { .. } => "PreflightInvalidAllowOriginValue",
            CorsCheckFailure::WildcardOriginNotAllowed => "PreflightWildcardOriginNotAllowed",
            CorsCheckFailure::AllowOriginMismatch { .. } => "PreflightAllowOriginMismatch",
            CorsCheckFailure::InvalidAllowCredentials { .. } => "PreflightInvalidAllowCredentials",
        }
    }

    fn firefox(&self) -> &'static str {
        match self {
            CorsCheckFailure::MissingAllowOriginHeader => "CORSMissingAllowOrigin",
            CorsCheckFailure::MultipleAllowOriginValues { .. } => {
                "CORSMultipleAllowOriginNotAllowed"
            }
            CorsCheckFailure::InvalidAllowOriginValue { .. }
            | CorsCheckFailure::AllowOriginMismatch { .. } => "CORSAllowOriginNotMatchingOrigin",
            CorsCheckFailure::WildcardOriginNotAllowed => "CORSNotSupportingCredentials",
            CorsCheckFailure::InvalidAllowCredentials { .. } => "CORSMissingAllowCredentials",
        }
    }
}

impl fmt::Display for CorsCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorsCheckFailure::MissingAllowOriginHeader => f.write_str(
                "the response has no `Access-Control-Allow-Origin` header; \
                 the server must send one naming the page's origin (or `*`)",
            ),
            CorsCheckFailure::MultipleAllowOriginValues { value } => write!(
                f,
                "`Access-Control-Allow-Origin` holds more than one value ({}); \
                 send exactly one origin",
                Bytes(value)
            ),
            CorsCheckFailure::InvalidAllowOriginValue { value } => write!(
                f,
                "`Access-Control-Allow-Origin: {}` is not `*`, `null` or a serialized origin \
                 (scheme://host[:port], no path or trailing slash)",
                Bytes(value)
            ),
            CorsCheckFailure::WildcardOriginNotAllowed => f.write_str(
                "`Access-Control-Allow-Origin: *` cannot be used when the request includes \
                 credentials; echo the request's origin instead",
            ),
            CorsCheckFailure::AllowOriginMismatch { value, origin } => write!(
                f,
                "`Access-Control-Allow-Origin: {}` does not match the page's origin `{origin}`",
                Bytes(value)
            ),
            CorsCheckFailure::InvalidAllowCredentials { value: None } => f.write_str(
                "the request includes credentials but the response has no \
                 `Access-Control-Allow-Credentials: true`",
            ),
            CorsCheckFailure::InvalidAllowCredentials { value: Some(v) } => write!(
                f,
                "`Access-Control-Allow-Credentials: {}` must be exactly `true` when the \
                 request includes credentials",
                Bytes(v)
            ),
        }
    }
}

/// Every reason a browser refuses a fetch: the network error a script sees,
/// with what caused it.
///
/// [`Refusal::name`] is a stable name (Chromium's `CorsError` name where one
/// fits), [`Refusal::firefox_reason`] the category Firefox reports, and
/// `Display` a sentence a person can act on.
///
/// ```
/// use crossorigin::{CorsCheckFailure, Refusal};
/// let r = Refusal::PreflightCorsCheck(CorsCheckFailure::MissingAllowOriginHeader);
/// assert_eq!(r.name(), "PreflightMissingAllowOriginHeader");
/// assert_eq!(r.firefox_reason(), Some("CORSMissingAllowOrigin"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The method is a forbidden method; `fetch()` throws.
    ForbiddenMethod {
        /// The method.
        method: Vec<u8>,
    },
    /// The method is not a token; `fetch()` throws.
    InvalidMethod {
        /// The method.
        method: Vec<u8>,
    },
    /// A header name is not a token; `fetch()` throws.
    InvalidHeaderName {
        /// The name.
        name: Vec<u8>,
    },
    /// A header value has NUL, CR or LF; `fetch()` throws.
    InvalidHeaderValue {
        /// The header's name.
        name: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// `no-cors` mode with a method that is not CORS-safelisted; `fetch()` throws.
    NoCorsMethodNotSafelisted {
        /// The method.
        method: Vec<u8>,
    },
    /// `no-cors` mode with a redirect mode other than `follow`.
    NoCorsRedirectModeNotFollow,
    /// The URL's port is a bad port (`fetch#bad-port`).
    BadPort {
        /// The port.
        port: u16,
    },
    /// `same-origin` mode and a cross-origin URL.
    DisallowedByMode {
        /// The URL.
        url: String,
    },
    /// `cors` mode and a cross-origin URL whose scheme is not HTTP(S).
    CorsDisabledScheme {
        /// The URL.
        url: String,
    },
    /// The CORS check failed on the actual response.
    CorsCheck(CorsCheckFailure),
    /// The CORS check failed on the preflight response.
    PreflightCorsCheck(CorsCheckFailure),
    /// The preflight response status is not an ok status.
    PreflightInvalidStatus {
        /// The status.
        status: u16,
    },
    /// The preflight response is a redirect, which a preflight never follows.
    PreflightDisallowedRedirect {
        /// The status.
        status: u16,
    },
    /// `Access-Control-Allow-Methods` does not parse.
    InvalidAllowMethodsPreflightResponse {
        /// The value.
        value: Vec<u8>,
    },
    /// `Access-Control-Allow-Headers` does not parse.
    InvalidAllowHeadersPreflightResponse {
        /// The value.
        value: Vec<u8>,
    },
    /// The preflight response does not allow the method.
    MethodDisallowedByPreflightResponse {
        /// The method.
        method: Vec<u8>,
        /// Whether only `*` would have allowed it (credentials are included).
        wildcard_with_credentials: bool,
    },
    /// The preflight response does not allow a header.
    HeaderDisallowedByPreflightResponse {
        /// The lower-cased header name.
        name: Vec<u8>,
        /// Whether `*` was sent but does not apply (credentials, or `Authorization`).
        wildcard_not_applicable: bool,
    },
    /// Redirect mode `error` and the response is a redirect.
    RedirectModeError,
    /// More than 20 redirects.
    TooManyRedirects,
    /// `Location` does not parse as a URL.
    InvalidRedirectLocation {
        /// The value.
        location: Vec<u8>,
    },
    /// The redirect's URL is not HTTP(S).
    RedirectToNonHttpScheme {
        /// The URL.
        url: String,
    },
    /// A CORS request redirected to a URL with a user name or password.
    RedirectContainsCredentials {
        /// The URL.
        url: String,
    },
    /// The connection failed.
    NetworkFailure,
    /// The response is not a valid HTTP response.
    InvalidResponse {
        /// The status.
        status: u16,
    },
    /// `Cross-Origin-Resource-Policy` blocks an opaque response.
    BlockedByResponse {
        /// The header value.
        policy: Vec<u8>,
    },
}

impl Refusal {
    /// The stable name of this refusal (Chromium's `CorsError` name where
    /// one fits), as in scenario files' `expect.error`.
    pub fn name(&self) -> &'static str {
        match self {
            Refusal::ForbiddenMethod { .. } => "ForbiddenMethod",
            Refusal::InvalidMethod { .. } => "InvalidMethod",
            Refusal::InvalidHeaderName { .. } => "InvalidHeaderName",
            Refusal::InvalidHeaderValue { .. } => "InvalidHeaderValue",
            Refusal::NoCorsMethodNotSafelisted { .. } => "NoCorsMethodNotSafelisted",
            Refusal::NoCorsRedirectModeNotFollow => "NoCorsRedirectModeNotFollow",
            Refusal::BadPort { .. } => "BadPort",
            Refusal::DisallowedByMode { .. } => "DisallowedByMode",
            Refusal::CorsDisabledScheme { .. } => "CorsDisabledScheme",
            Refusal::CorsCheck(c) => c.name(),
            Refusal::PreflightCorsCheck(c) => c.preflight_name(),
            Refusal::PreflightInvalidStatus { .. } => "PreflightInvalidStatus",
            Refusal::PreflightDisallowedRedirect { .. } => "PreflightDisallowedRedirect",
            Refusal::InvalidAllowMethodsPreflightResponse { .. } => {
                "InvalidAllowMethodsPreflightResponse"
            }
            Refusal::InvalidAllowHeadersPreflightResponse { .. } => {
                "InvalidAllowHeadersPreflightResponse"
            }
            Refusal::MethodDisallowedByPreflightResponse { .. } => {
                "MethodDisallowedByPreflightResponse"
            }
            Refusal::HeaderDisallowedByPreflightResponse { .. } => {
                "HeaderDisallowedByPreflightResponse"
            }
            Refusal::RedirectModeError => "RedirectModeError",
            Refusal::TooManyRedirects => "TooManyRedirects",
            Refusal::InvalidRedirectLocation { .. } => "InvalidRedirectLocation",
            Refusal::RedirectToNonHttpScheme { .. } => "RedirectToNonHttpScheme",
            Refusal::RedirectContainsCredentials { .. } => "RedirectContainsCredentials",
            Refusal::NetworkFailure => "NetworkFailure",
            Refusal::InvalidResponse { .. } => "InvalidResponse",
            Refusal::BlockedByResponse { .. } => "BlockedByResponse",
        }
    }

    /// The reason category Firefox reports in its console for a CORS
    /// failure (`CORSMissingAllowOrigin`, …), or `None` where Firefox does
    /// not report a CORS reason (the Fetch API throws, or the failure is not
    /// about CORS).
    pub fn firefox_reason(&self) -> Option<&'static str> {
        Some(match self {
            Refusal::CorsCheck(c) | Refusal::PreflightCorsCheck(c) => c.firefox(),
            Refusal::CorsDisabledScheme { .. } | Refusal::RedirectToNonHttpScheme { .. } => {
                "CORSRequestNotHttp"
            }
            Refusal::PreflightInvalidStatus { .. }
            | Refusal::PreflightDisallowedRedirect { .. } => "CORSPreflightDidNotSucceed",
            Refusal::InvalidAllowMethodsPreflightResponse { .. } => "CORSInvalidAllowMethod",
            Refusal::InvalidAllowHeadersPreflightResponse { .. } => "CORSInvalidAllowHeader",
            Refusal::MethodDisallowedByPreflightResponse { .. } => "CORSMethodNotFound",
            Refusal::HeaderDisallowedByPreflightResponse { .. } => {
                "CORSMissingAllowHeaderFromPreflight"
            }
            Refusal::RedirectContainsCredentials { .. } => "CORSExternalRedirectNotAllowed",
            Refusal::NetworkFailure => "CORSDidNotSucceed",
            _ => return None,
        })
    }

    /// Whether the refusal happened before anything was sent because the
    /// Fetch API itself rejects the request (a `TypeError` in script).
    pub fn is_type_error(&self) -> bool {
        matches!(
            self,
            Refusal::ForbiddenMethod { .. }
                | Refusal::InvalidMethod { .. }
                | Refusal::InvalidHeaderName { .. }
                | Refusal::InvalidHeaderValue { .. }
                | Refusal::NoCorsMethodNotSafelisted { .. }
        )
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ForbiddenMethod { method } => write!(
                f,
                "`{}` is a forbidden method: fetch() rejects it before sending anything",
                Bytes(method)
            ),
            Refusal::InvalidMethod { method } => {
                write!(f, "`{}` is not a valid method (not a token)", Bytes(method))
            }
            Refusal::InvalidHeaderName { name } => {
                write!(f, "`{}` is not a valid header name", Bytes(name))
            }
            Refusal::InvalidHeaderValue { name, value } => write!(
                f,
                "the value of `{}` ({:?}) contains NUL, CR or LF",
                Bytes(name),
                Bytes(value)
            ),
            Refusal::NoCorsMethodNotSafelisted { method } => write!(
                f,
                "`no-cors` mode only allows GET, HEAD and POST, not `{}`",
                Bytes(method)
            ),
            Refusal::NoCorsRedirectModeNotFollow => {
                f.write_str("`no-cors` mode requires the redirect mode `follow`")
            }
            Refusal::BadPort { port } => {
                write!(f, "port {port} is blocked by browsers (a bad port)")
            }
            Refusal::DisallowedByMode { url } => write!(
                f,
                "the request's mode is `same-origin` but {url} is on another origin"
            ),
            Refusal::CorsDisabledScheme { url } => write!(
                f,
                "cross-origin requests are only supported for http and https, not {url}"
            ),
            Refusal::CorsCheck(c) => write!(f, "CORS check failed: {c}"),
            Refusal::PreflightCorsCheck(c) => {
                write!(
                    f,
                    "the preflight (OPTIONS) response failed the CORS check: {c}"
                )
            }
            Refusal::PreflightInvalidStatus { status } => write!(
                f,
                "the preflight (OPTIONS) response has status {status}; it must be 200-299"
            ),
            Refusal::PreflightDisallowedRedirect { status } => write!(
                f,
                "the preflight (OPTIONS) response is a redirect ({status}); preflights are never \
                 redirected, answer OPTIONS at this URL with 200 or 204"
            ),
            Refusal::InvalidAllowMethodsPreflightResponse { value } => write!(
                f,
                "`Access-Control-Allow-Methods: {}` is not a comma-separated list of methods",
                Bytes(value)
            ),
            Refusal::InvalidAllowHeadersPreflightResponse { value } => write!(
                f,
                "`Access-Control-Allow-Headers: {}` is not a comma-separated list of header names",
                Bytes(value)
            ),
            Refusal::MethodDisallowedByPreflightResponse {
                method,
                wildcard_with_credentials,
            } => {
                write!(
                    f,
                    "method `{}` is not in the preflight response's `Access-Control-Allow-Methods`",
                    Bytes(method)
                )?;
                if *wildcard_with_credentials {
                    f.write_str(" (`*` does not count when credentials are included)")?;
                }
                Ok(())
            }
            Refusal::HeaderDisallowedByPreflightResponse {
                name,
                wildcard_not_applicable,
            } => {
                write!(
                    f,
                    "request header `{}` is not in the preflight response's \
                     `Access-Control-Allow-Headers`",
                    Bytes(name)
                )?;
                if *wildcard_not_applicable {
                    f.write_str(
                        " (`*` does not cover `Authorization`, nor anything when credentials \
                         are included)",
                    )?;
                }
                Ok(())
            }
            Refusal::RedirectModeError => {
                f.write_str("the response is a redirect and the redirect mode is `error`")
            }
            Refusal::TooManyRedirects => f.write_str("more than 20 redirects"),
            Refusal::InvalidRedirectLocation { location } => {
                write!(f, "`Location: {}` is not a valid URL", Bytes(location))
            }
            Refusal::RedirectToNonHttpScheme { url } => {
                write!(f, "redirect to {url}, which is not http or https")
            }
            Refusal::RedirectContainsCredentials { url } => write!(
                f,
                "a CORS request cannot be redirected to {url}, a URL with a user name or password"
            ),
            Refusal::NetworkFailure => f.write_str("the connection failed"),
            Refusal::InvalidResponse { status } => {
                write!(f, "status {status} is not a valid HTTP status")
            }
            Refusal::BlockedByResponse { policy } => write!(
                f,
                "`Cross-Origin-Resource-Policy: {}` blocks this cross-origin response",
                Bytes(policy)
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Shows bytes as text, escaping what is not printable ASCII.
pub(crate) struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            if (0x20..0x7f).contains(b) {
                write!(f, "{}", char::from(*b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}
