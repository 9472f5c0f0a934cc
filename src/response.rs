//! Responses: what the server sent, and the filtered response a script sees
//! (`fetch#concept-filtered-response`).

use url::Url;

use crate::header::{self, HeaderList};
use crate::request::CredentialsMode;

/// A response as it arrives from the network: status and headers, values
/// already stripped of surrounding spaces and tabs by the HTTP parser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: HeaderList,
}

impl Response {
    /// A response with this status and no headers.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: HeaderList::new(),
        }
    }

    /// Appends a header.
    pub fn with_header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Converts an `http::Response` at the edge (the body is not used).
    pub fn from_http<B>(res: &http::Response<B>) -> Response {
        Response {
            status: res.status().as_u16(),
            headers: HeaderList::from(res.headers()),
        }
    }
}

/// An ok status (`fetch#ok-status`): 200 to 299.
pub fn is_ok_status(status: u16) -> bool {
    (200..=299).contains(&status)
}

/// A redirect status (`fetch#redirect-status`): 301, 302, 303, 307 or 308.
pub fn is_redirect_status(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// A response type as a script sees it (`fetch#concept-response-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseType {
    /// `basic`: same-origin.
    Basic,
    /// `cors`: cross-origin, shared by the CORS protocol.
    Cors,
    /// `opaque`: a `no-cors` response.
    Opaque,
    /// `opaqueredirect`: a redirect under redirect mode `manual`.
    OpaqueRedirect,
}

impl ResponseType {
    /// The type's name in the standard.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Basic => "basic",
            ResponseType::Cors => "cors",
            ResponseType::Opaque => "opaque",
            ResponseType::OpaqueRedirect => "opaqueredirect",
        }
    }
}

/// A filtered response: what a page's script can see of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilteredResponse {
    /// The type.
    pub response_type: ResponseType,
    /// The status (0 for opaque and opaque-redirect).
    pub status: u16,
    /// The response URL (`None` for opaque: `response.url` is "").
    pub url: Option<Url>,
    /// Whether `response.redirected` is true.
    pub redirected: bool,
    /// The headers the script can read, in order.
    pub headers: HeaderList,
}

impl FilteredResponse {
    /// The sorted, de-duplicated, lower-cased names of the visible headers.
    pub fn visible_header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|h| String::from_utf8_lossy(h.name).to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The CORS-exposed header-name list (`fetch#main-fetch`, tainting `cors`):
/// `Access-Control-Expose-Headers` names; `*` without credentials exposes
/// every header name; a value that does not parse exposes nothing.
pub fn cors_exposed_header_names(
    headers: &HeaderList,
    credentials: CredentialsMode,
) -> Exposed<'_> {
    let exposed = ExposedNames::of(headers, credentials);
    if exposed.all {
        Exposed::All
    } else {
        Exposed::Names(
            exposed.names[..exposed.count]
                .iter()
                .chain(&exposed.more)
                .copied()
                .collect(),
        )
    }
}

/// Which header names a CORS response exposes beyond the safelisted ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exposed<'a> {
    /// Every header name of the response (`*` without credentials).
    All,
    /// These names (case-insensitive).
    Names(Vec<&'a [u8]>),
}

/// The CORS-exposed header-name list of a response, parsed once
/// (`fetch#main-fetch`, tainting `cors`): `Access-Control-Expose-Headers`
/// tokens; `*` without credentials exposes every name; a value that does
/// not parse exposes nothing.
struct ExposedNames<'a> {
    all: bool,
    /// The first names, on the stack; `more` holds any beyond them.
    names: [&'a [u8]; 16],
    count: usize,
    more: Vec<&'a [u8]>,
}

/// Whether `name` is one of `names`, ignoring ASCII case.
#[inline]
fn exposed_in(names: &[&[u8]], name: &[u8]) -> bool {
    names.iter().any(|n| header::eq_ignore_case(n, name))
}

impl<'a> ExposedNames<'a> {
    #[inline]
    fn of(headers: &'a HeaderList, credentials: CredentialsMode) -> ExposedNames<'a> {
        let mut names: [&'a [u8]; 16] = [&[]; 16];
        let mut count = 0usize;
        let mut more = Vec::new();
        let mut star = false;
        for h in headers {
            if h.name.len() == 29
                && h.name
                    .eq_ignore_ascii_case(b"access-control-expose-headers")
            {
                let parsed = header::for_each_token(h.value, |t| {
                    star |= t == b"*";
                    match names.get_mut(count) {
                        Some(slot) => *slot = t,
                        None => more.push(t),
                    }
                    count += 1;
                });
                if parsed.is_err() {
                    return ExposedNames {
                        all: false,
                        names: [&[]; 16],
                        count: 0,
                        more: Vec::new(),
                    };
                }
            }
        }
        ExposedNames {
            all: star && credentials != CredentialsMode::Include,
            names,
            count: count.min(16),
            more,
        }
    }

    /// Whether a header is visible (`fetch#concept-filtered-response-cors`):
    /// a CORS-safelisted response-header name given the list, never
    /// `Set-Cookie`/`Set-Cookie2`.
    #[inline]
    fn visible(&self, name: &[u8]) -> bool {
        // A safelisted name is never a forbidden one: that answers first.
        if header::is_always_safelisted_response_header_name(name) {
            return true;
        }
        (self.all
            || exposed_in(&self.names[..self.count], name)
            || (!self.more.is_empty() && exposed_in(&self.more, name)))
            && !header::is_forbidden_response_header_name(name)
    }
}

/// Builds the filtered response for a response tainting
/// (`fetch#concept-filtered-response-basic`, `-cors`, `-opaque`), taking the
/// response and filtering its headers in place.
pub fn filter(
    tainting: crate::request::ResponseTainting,
    mut response: Response,
    url: &Url,
    url_list_len: usize,
    credentials: CredentialsMode,
) -> FilteredResponse {
    use crate::request::ResponseTainting as T;
    match tainting {
        T::Basic => {
            response
                .headers
                .retain(|h| !header::is_forbidden_response_header_name(h.name));
            FilteredResponse {
                response_type: ResponseType::Basic,
                status: response.status,
                url: Some(url.clone()),
                redirected: url_list_len > 1,
                headers: response.headers,
            }
        }
        T::Cors => {
            // Decide visibility against the unfiltered list first (the
            // exposure header itself may be filtered out).
            let mut keep = Vec::new();
            let mut keep_bits = 0u64;
            {
                let exposed = ExposedNames::of(&response.headers, credentials);
                for (i, h) in response.headers.iter().enumerate() {
                    let visible = exposed.visible(h.name);
                    if i < 64 {
                        keep_bits |= u64::from(visible) << i;
                    } else {
                        keep.push(visible);
                    }
                }
            }
            let mut i = 0usize;
            response.headers.retain(|_| {
                let k = if i < 64 {
                    keep_bits >> i & 1 == 1
                } else {
                    keep.get(i - 64).copied().unwrap_or(false)
                };
                i += 1;
                k
            });
            FilteredResponse {
                response_type: ResponseType::Cors,
                status: response.status,
                url: Some(url.clone()),
                redirected: url_list_len > 1,
                headers: response.headers,
            }
        }
        T::Opaque => FilteredResponse {
            response_type: ResponseType::Opaque,
            status: 0,
            url: None,
            redirected: false,
            headers: HeaderList::new(),
        },
    }
}

/// The opaque-redirect filtered response
/// (`fetch#concept-filtered-response-opaque-redirect`).
pub fn opaque_redirect(url: &Url) -> FilteredResponse {
    FilteredResponse {
        response_type: ResponseType::OpaqueRedirect,
        status: 0,
        url: Some(url.clone()),
        redirected: false,
        headers: HeaderList::new(),
    }
}
