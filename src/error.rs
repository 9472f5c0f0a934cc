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

    /// Firefox's reason category, as `nsCORSListenerProxy::CheckRequestApproved`
    /// (mozilla/gecko-dev, `netwerk/protocol/http/nsCORSListenerProxy.cpp`)
    /// logs it. The names are the categories without the version suffix of
    /// their `security.properties` keys (`CORSMissingAllowOrigin2` is
    /// reported as `CORSMissingAllowOrigin`).
    fn firefox(&self) -> &'static str {
        match self {
            CorsCheckFailure::MissingAllowOriginHeader => "CORSMissingAllowOrigin",
            // Gecko reports `CORSMultipleAllowOriginNotAllowed` only for a
            // repeated header (its `CheckOriginHeader` visitor counts
            // headers); one header holding a list fails its byte comparison
            // with the origin: `CORSAllowOriginNotMatchingOrigin`. Repeated
            // headers reach us joined with ", ", so a value without ", " was
            // one header. (A single header written `a, b` is indistinguishable
            // from two headers here and is reported as repeated.)
            CorsCheckFailure::MultipleAllowOriginValues { value }
                if !value.windows(2).any(|w| w == b", ") =>
            {
                "CORSAllowOriginNotMatchingOrigin"
            }
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

impl CorsCheckFailure {
    /// WebKit's message (`CrossOriginAccessControl.cpp`,
    /// `passesAccessControlCheck`); `None` without the status it names.
    fn webkit(&self, cx: &WebKitContext<'_>) -> Option<String> {
        let not_allowed = || {
            cx.status.map(|status| {
                format!(
                    "Origin {} is not allowed by Access-Control-Allow-Origin. Status code: {status}",
                    cx.origin
                )
            })
        };
        match self {
            CorsCheckFailure::WildcardOriginNotAllowed => Some(
                "Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true."
                    .to_owned(),
            ),
            // WebKit looks for a comma only; a value with a space and no
            // comma is a plain mismatch to it.
            CorsCheckFailure::MultipleAllowOriginValues { value } if value.contains(&b',') => {
                Some("Access-Control-Allow-Origin cannot contain more than one origin.".to_owned())
            }
            CorsCheckFailure::MultipleAllowOriginValues { .. }
            | CorsCheckFailure::MissingAllowOriginHeader
            | CorsCheckFailure::InvalidAllowOriginValue { .. }
            | CorsCheckFailure::AllowOriginMismatch { .. } => not_allowed(),
            CorsCheckFailure::InvalidAllowCredentials { .. } => Some(
                "Credentials flag is true, but Access-Control-Allow-Credentials is not \"true\"."
                    .to_owned(),
            ),
        }
    }
}

fn preflight_not_successful(status: u16) -> String {
    format!("Preflight response is not successful. Status code: {status}")
}

/// What WebKit interpolates into its console messages that a [`Refusal`]
/// does not hold; see [`Refusal::webkit_message`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebKitContext<'a> {
    /// The request's serialized origin (`null` when opaque).
    pub origin: &'a str,
    /// The URL of the last request sent (or, when nothing was sent, the
    /// request's URL): the one whose response was refused or redirected.
    pub url: &'a str,
    /// The status of the response the refusal is about (the preflight's for
    /// a preflight refusal), if one came back.
    pub status: Option<u16>,
    /// Whether the request is in `cors` mode and was cross-origin when
    /// redirected: WebKit's network process then refuses a non-HTTP(S)
    /// redirect with its own message.
    pub cors_cross_origin: bool,
    /// When the refused response is a redirect, the URL it redirects to.
    pub redirect_to: Option<&'a str>,
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
/// fits), [`Refusal::firefox_reason`] the category Firefox reports,
/// [`Refusal::webkit_message`] the console message WebKit logs, and
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
    /// The script gave a body with `GET` or `HEAD`; the `Request`
    /// constructor throws (`fetch#dom-request`).
    BodyWithGetOrHead {
        /// The method.
        method: Vec<u8>,
    },
    /// The script's URL has a username or password; the `Request`
    /// constructor throws (`fetch#dom-request`).
    UrlWithCredentials {
        /// The URL.
        url: String,
    },
    /// The page's origin is potentially trustworthy and the URL is not:
    /// blocked as mixed content (`fetch#main-fetch` step 7).
    MixedContent {
        /// The URL.
        url: String,
    },
    /// A URL of a scheme the fetch cannot fetch (`fetch#concept-scheme-fetch`
    /// gives a network error): `about:` other than `about:blank` (or
    /// `about:blank` where the profile refuses it), `file:`, `blob:`, or
    /// any other scheme that is not HTTP(S) or `data:`, reached in a mode
    /// that lets it go on (`no-cors`; `cors` refuses it first with
    /// [`Refusal::CorsDisabledScheme`]).
    UnsupportedScheme {
        /// The URL.
        url: String,
    },
    /// A `data:` URL the data URL processor fails on
    /// (`fetch#data-url-processor`: no comma, or a `;base64` body that
    /// forgiving-base64 decoding refuses).
    InvalidDataUrl {
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
            Refusal::InvalidDataUrl { .. } => "InvalidDataUrl",
            Refusal::UnsupportedScheme { .. } => "UnsupportedScheme",
            Refusal::MixedContent { .. } => "MixedContent",
            Refusal::UrlWithCredentials { .. } => "UrlWithCredentials",
            Refusal::BodyWithGetOrHead { .. } => "BodyWithGetOrHead",
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
    ///
    /// Read in mozilla/gecko-dev `netwerk/protocol/http/nsCORSListenerProxy.cpp`
    /// (each `LogBlockedRequest` call) and
    /// `dom/locales/en-US/chrome/security/security.properties`. A redirect to
    /// a URL with credentials has no category: `nsCORSListenerProxy::UpdateChannel`
    /// fails it with `NS_ERROR_DOM_BAD_URI` without logging a reason.
    pub fn firefox_reason(&self) -> Option<&'static str> {
        Some(match self {
            Refusal::CorsCheck(c) | Refusal::PreflightCorsCheck(c) => c.firefox(),
            Refusal::CorsDisabledScheme { .. } | Refusal::RedirectToNonHttpScheme { .. } => {
                "CORSRequestNotHttp"
            }
            // `nsCORSPreflightListener::CheckPreflightRequestApproved`.
            Refusal::PreflightInvalidStatus { .. } => "CORSPreflightDidNotSucceed",
            // `nsCORSPreflightListener::AsyncOnChannelRedirect`: any external
            // redirect of the preflight.
            Refusal::PreflightDisallowedRedirect { .. } => "CORSExternalRedirectNotAllowed",
            Refusal::InvalidAllowMethodsPreflightResponse { .. } => "CORSInvalidAllowMethod",
            Refusal::InvalidAllowHeadersPreflightResponse { .. } => "CORSInvalidAllowHeader",
            Refusal::MethodDisallowedByPreflightResponse { .. } => "CORSMethodNotFound",
            Refusal::HeaderDisallowedByPreflightResponse { .. } => {
                "CORSMissingAllowHeaderFromPreflight"
            }
            Refusal::NetworkFailure => "CORSDidNotSucceed",
            _ => return None,
        })
    }

    /// The console message WebKit (Safari, WebKitGTK 2.50) logs for this
    /// refusal — the description of the `ResourceError` its loader fails
    /// with, which the console shows before "Fetch API cannot load … due to
    /// access control checks." — or `None` where WebKit has no message of
    /// its own for it.
    ///
    /// WebKit interpolates values a refusal does not hold (the response's
    /// status code, the URL being loaded); `context` gives them.
    ///
    /// Messages, as read in WebKit/WebKit (file, function):
    ///
    /// - CORS check, actual or preflight response
    ///   (`Source/WebCore/loader/CrossOriginAccessControl.cpp`,
    ///   `passesAccessControlCheck`): `*` with credentials, a value with a
    ///   comma, credentials not `true`, and otherwise
    ///   `Origin {origin} is not allowed by Access-Control-Allow-Origin. Status code: {status}`
    ///   (a missing header, a non-origin value and a mismatch alike).
    /// - Preflight status not 2xx (`CrossOriginAccessControl.cpp`,
    ///   `validatePreflightResponse`, which checks the status *before* the
    ///   CORS check) and preflight redirect
    ///   (`Source/WebKit/NetworkProcess/NetworkCORSPreflightChecker.cpp`,
    ///   `willPerformHTTPRedirection`):
    ///   `Preflight response is not successful. Status code: {status}`.
    /// - `Access-Control-Allow-Methods`/`-Headers` that do not parse, a
    ///   method or header not allowed
    ///   (`Source/WebCore/loader/CrossOriginPreflightResultCache.cpp`,
    ///   `CrossOriginPreflightResultCacheItem::create` and
    ///   `validateMethodAndHeaders`).
    /// - Redirect mode `error`, redirects to a non-CORS scheme or to a URL
    ///   with credentials, more than 20 redirects
    ///   (`Source/WebKit/NetworkProcess/NetworkLoadChecker.cpp`,
    ///   `checkRedirection`); a non-HTTP(S) redirect outside CORS
    ///   (`Source/WebCore/loader/DocumentThreadableLoader.cpp`,
    ///   `reportRedirectionWithBadScheme`).
    /// - `same-origin` mode, a cross-origin non-HTTP(S) URL
    ///   (`DocumentThreadableLoader.cpp`, constructor and
    ///   `checkURLSchemeAsCORSEnabled`).
    /// - A bad port (`Source/WebCore/loader/FrameLoader.cpp`,
    ///   `reportBlockedLoadFailed`).
    /// - `Cross-Origin-Resource-Policy` (`CrossOriginAccessControl.cpp`,
    ///   `validateCrossOriginResourcePolicy`).
    ///
    /// `None`: the Fetch API's `TypeError`s (the message is the exception's,
    /// thrown before any load); `no-cors` with a redirect mode other than
    /// `follow` and a `Location` that does not parse (no WebKit loader
    /// message for them was found); a connection failure and an invalid
    /// response (the text is the platform network stack's, CFNetwork's or
    /// libsoup's, not WebKit's).
    ///
    /// ```
    /// use crossorigin::{CorsCheckFailure, Refusal, WebKitContext};
    /// let cx = WebKitContext {
    ///     origin: "https://app.example",
    ///     url: "https://api.example/data",
    ///     status: Some(200),
    ///     cors_cross_origin: true,
    ///     redirect_to: None,
    /// };
    /// let r = Refusal::CorsCheck(CorsCheckFailure::MissingAllowOriginHeader);
    /// assert_eq!(
    ///     r.webkit_message(&cx).as_deref(),
    ///     Some("Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200"),
    /// );
    /// assert_eq!(Refusal::NetworkFailure.webkit_message(&cx), None);
    /// ```
    pub fn webkit_message(&self, context: &WebKitContext<'_>) -> Option<String> {
        let cx = context;
        Some(match self {
            // `NetworkLoadChecker::checkRedirection` wraps the CORS check's
            // message when the refused response is a redirect.
            Refusal::CorsCheck(c) => match cx.redirect_to {
                Some(to) => format!(
                    "Cross-origin redirection to {to} denied by Cross-Origin Resource Sharing \
                     policy: {}",
                    c.webkit(cx)?
                ),
                None => c.webkit(cx)?,
            },
            Refusal::PreflightCorsCheck(c) => match cx.status? {
                200..=299 => c.webkit(cx)?,
                status => preflight_not_successful(status),
            },
            Refusal::PreflightInvalidStatus { status }
            | Refusal::PreflightDisallowedRedirect { status } => preflight_not_successful(*status),
            Refusal::InvalidAllowMethodsPreflightResponse { value } => format!(
                "Header Access-Control-Allow-Methods has an invalid value: {}",
                String::from_utf8_lossy(value)
            ),
            Refusal::InvalidAllowHeadersPreflightResponse { value } => format!(
                "Header Access-Control-Allow-Headers has an invalid value: {}",
                String::from_utf8_lossy(value)
            ),
            Refusal::MethodDisallowedByPreflightResponse { method, .. } => format!(
                "Method {} is not allowed by Access-Control-Allow-Methods.",
                String::from_utf8_lossy(method)
            ),
            // WebKit names the header as its header map spells it: as the
            // script wrote it, or WebKit's own spelling for a header it knows
            // (`Content-Type`). The refusal holds the lower-cased name.
            Refusal::HeaderDisallowedByPreflightResponse { name, .. } => format!(
                "Request header field {} is not allowed by Access-Control-Allow-Headers.",
                String::from_utf8_lossy(name)
            ),
            Refusal::RedirectModeError => {
                format!(
                    "Not allowed to follow a redirection while loading {}",
                    cx.url
                )
            }
            Refusal::TooManyRedirects => "Load cannot follow more than 20 redirections".to_owned(),
            Refusal::RedirectToNonHttpScheme { url } if cx.cors_cross_origin => format!(
                "Cross-origin redirection to {url} denied by Cross-Origin Resource Sharing \
                 policy: not allowed to follow a cross-origin CORS redirection with non CORS scheme"
            ),
            Refusal::RedirectToNonHttpScheme { .. } => {
                "Redirection to URL with a scheme that is not HTTP(S).".to_owned()
            }
            Refusal::RedirectContainsCredentials { url } => format!(
                "Cross-origin redirection to {url} denied by Cross-Origin Resource Sharing \
                 policy: redirection URL {url} has credentials"
            ),
            Refusal::DisallowedByMode { .. } => {
                "Cross origin requests are not allowed when using same-origin fetch mode."
                    .to_owned()
            }
            Refusal::CorsDisabledScheme { .. } => {
                "Cross origin requests are only supported for HTTP.".to_owned()
            }
            Refusal::BadPort { port } => {
                format!(
                    "Not allowed to use restricted network port {port}: {}",
                    cx.url
                )
            }
            // WebKit shortens URLs longer than 1024 characters in the middle
            // (`stringCenterEllipsizedToLength`); this does not.
            Refusal::BlockedByResponse { .. } => format!(
                "Cancelled load to {} because it violates the resource's \
                 Cross-Origin-Resource-Policy response header.",
                cx.url
            ),
            Refusal::ForbiddenMethod { .. }
            | Refusal::InvalidMethod { .. }
            | Refusal::InvalidHeaderName { .. }
            | Refusal::InvalidHeaderValue { .. }
            | Refusal::NoCorsMethodNotSafelisted { .. }
            | Refusal::NoCorsRedirectModeNotFollow
            | Refusal::InvalidRedirectLocation { .. }
            | Refusal::InvalidDataUrl { .. }
            | Refusal::UnsupportedScheme { .. }
            | Refusal::MixedContent { .. }
            | Refusal::UrlWithCredentials { .. }
            | Refusal::BodyWithGetOrHead { .. }
            | Refusal::NetworkFailure
            | Refusal::InvalidResponse { .. } => return None,
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
            Refusal::BodyWithGetOrHead { method } => write!(
                f,
                "fetch() refuses a body with {}: a GET or HEAD request cannot have one",
                String::from_utf8_lossy(method)
            ),
            Refusal::UrlWithCredentials { url } => write!(
                f,
                "fetch() refuses {url}: a request URL may not include a username or password"
            ),
            Refusal::MixedContent { url } => write!(
                f,
                "{url} is not potentially trustworthy and the page is: blocked as mixed content"
            ),
            Refusal::UnsupportedScheme { url } => {
                write!(
                    f,
                    "{url} cannot be fetched: its scheme is not http, https or data"
                )
            }
            Refusal::InvalidDataUrl { url } => write!(
                f,
                "{url} is not a valid data: URL (it needs a comma, and a `;base64` body must be base64)"
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
