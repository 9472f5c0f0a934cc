//! The request model (`fetch#concept-request`) and what a browser decides
//! before anything goes on the wire.

use url::Url;

use crate::error::Refusal;
use crate::header::{self, HeaderList, ScriptHeader};
use crate::method::{self, Method};
use crate::origin::Origin;
use crate::profile::Profile;

/// A request's mode (`fetch#concept-request-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// `same-origin`
    SameOrigin,
    /// `cors` (what `fetch()` uses by default)
    #[default]
    Cors,
    /// `no-cors`
    NoCors,
    /// `navigate`
    Navigate,
}

impl Mode {
    /// The mode's name in the standard.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::SameOrigin => "same-origin",
            Mode::Cors => "cors",
            Mode::NoCors => "no-cors",
            Mode::Navigate => "navigate",
        }
    }
}

/// A request's credentials mode (`fetch#concept-request-credentials-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum CredentialsMode {
    /// `omit`
    Omit,
    /// `same-origin` (the default)
    #[default]
    SameOrigin,
    /// `include`
    Include,
}

impl CredentialsMode {
    /// The mode's name in the standard.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialsMode::Omit => "omit",
            CredentialsMode::SameOrigin => "same-origin",
            CredentialsMode::Include => "include",
        }
    }
}

/// A request's redirect mode (`fetch#concept-request-redirect-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RedirectMode {
    /// `follow` (the default)
    #[default]
    Follow,
    /// `error`
    Error,
    /// `manual`
    Manual,
}

impl RedirectMode {
    /// The mode's name in the standard.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectMode::Follow => "follow",
            RedirectMode::Error => "error",
            RedirectMode::Manual => "manual",
        }
    }
}

/// A response tainting (`fetch#concept-request-response-tainting`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ResponseTainting {
    /// `basic`
    #[default]
    Basic,
    /// `cors`
    Cors,
    /// `opaque`
    Opaque,
}

/// A referrer policy (Referrer Policy `#referrer-policy`), where it changes
/// the `Origin` and `Referer` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ReferrerPolicy {
    /// The empty string: the default, `strict-origin-when-cross-origin`.
    #[default]
    Default,
    /// `no-referrer`
    NoReferrer,
    /// `no-referrer-when-downgrade`
    NoReferrerWhenDowngrade,
    /// `same-origin`
    SameOrigin,
    /// `origin`
    Origin,
    /// `strict-origin`
    StrictOrigin,
    /// `origin-when-cross-origin`
    OriginWhenCrossOrigin,
    /// `strict-origin-when-cross-origin`
    StrictOriginWhenCrossOrigin,
    /// `unsafe-url`
    UnsafeUrl,
}

impl ReferrerPolicy {
    /// Parses a policy token; the empty string is the default.
    pub fn parse(s: &str) -> Option<ReferrerPolicy> {
        Some(match s {
            "" => ReferrerPolicy::Default,
            "no-referrer" => ReferrerPolicy::NoReferrer,
            "no-referrer-when-downgrade" => ReferrerPolicy::NoReferrerWhenDowngrade,
            "same-origin" => ReferrerPolicy::SameOrigin,
            "origin" => ReferrerPolicy::Origin,
            "strict-origin" => ReferrerPolicy::StrictOrigin,
            "origin-when-cross-origin" => ReferrerPolicy::OriginWhenCrossOrigin,
            "strict-origin-when-cross-origin" => ReferrerPolicy::StrictOriginWhenCrossOrigin,
            "unsafe-url" => ReferrerPolicy::UnsafeUrl,
            _ => return None,
        })
    }
}

/// A request as a page's script makes it: the inputs of a fetch
/// (`fetch#concept-request`). The origin is the page's origin; the method and
/// headers are as the script set them (the engine validates and normalizes
/// them as `fetch()` does).
///
/// ```
/// use crossorigin::{Mode, Origin, Request};
/// let req = Request::get("https://api.example/items", "https://app.example").unwrap()
///     .with_method("PUT")
///     .with_header("Content-Type", "application/json")
///     .with_mode(Mode::Cors);
/// assert_eq!(req.method, b"PUT");
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    /// The URL.
    pub url: Url,
    /// The request's origin (the page's origin).
    pub origin: Origin,
    /// The method as the script wrote it.
    pub method: Method,
    /// The headers as the script set them.
    pub headers: HeaderList,
    /// The mode.
    pub mode: Mode,
    /// The credentials mode.
    pub credentials: CredentialsMode,
    /// The redirect mode.
    pub redirect: RedirectMode,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// The use-CORS-preflight flag (`fetch#use-cors-preflight-flag`).
    pub use_cors_preflight: bool,
    /// The referrer policy.
    pub referrer_policy: ReferrerPolicy,
}

impl Request {
    /// A `GET` in `cors` mode from `origin` (a serialized origin or `null`)
    /// to `url`.
    pub fn get(url: &str, origin: &str) -> Result<Request, RequestError> {
        let url = Url::parse(url).map_err(RequestError::InvalidUrl)?;
        let origin = Origin::parse(origin.as_bytes()).map_err(RequestError::InvalidOrigin)?;
        Ok(Request::new(url, origin))
    }

    /// A `GET` in `cors` mode with default settings.
    pub fn new(url: Url, origin: Origin) -> Request {
        Request {
            url,
            origin,
            method: Method::GET,
            headers: HeaderList::new(),
            mode: Mode::Cors,
            credentials: CredentialsMode::SameOrigin,
            redirect: RedirectMode::Follow,
            body: None,
            use_cors_preflight: false,
            referrer_policy: ReferrerPolicy::Default,
        }
    }

    /// Sets the method.
    pub fn with_method(mut self, method: impl AsRef<[u8]>) -> Request {
        self.method = Method::from(method.as_ref());
        self
    }

    /// Appends a header.
    pub fn with_header(mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Request {
        self.headers.append(name, value);
        self
    }

    /// Sets the mode.
    pub fn with_mode(mut self, mode: Mode) -> Request {
        self.mode = mode;
        self
    }

    /// Sets the credentials mode.
    pub fn with_credentials(mut self, credentials: CredentialsMode) -> Request {
        self.credentials = credentials;
        self
    }

    /// Sets the redirect mode.
    pub fn with_redirect(mut self, redirect: RedirectMode) -> Request {
        self.redirect = redirect;
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl AsRef<[u8]>) -> Request {
        self.body = Some(body.as_ref().to_vec());
        self
    }

    /// Converts an `http::Request` at the edge: its URI must be absolute.
    pub fn from_http<B>(req: &http::Request<B>, origin: Origin) -> Result<Request, RequestError> {
        let url = Url::parse(&req.uri().to_string()).map_err(RequestError::InvalidUrl)?;
        let mut out = Request::new(url, origin).with_method(req.method().as_str());
        out.headers = HeaderList::from(req.headers());
        Ok(out)
    }
}

/// Why a [`Request`] could not be built from its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The URL does not parse.
    InvalidUrl(url::ParseError),
    /// The origin is not a serialized origin or `null`.
    InvalidOrigin(crate::origin::OriginParseError),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::InvalidUrl(e) => write!(f, "invalid URL: {e}"),
            RequestError::InvalidOrigin(e) => write!(f, "invalid origin: {e}"),
        }
    }
}
impl std::error::Error for RequestError {}

/// A request after the Fetch API's own checks: the method normalized,
/// header values normalized, forbidden headers dropped
/// (`fetch#dom-request`, `fetch#concept-headers-append`).
#[derive(Clone, Debug)]
pub struct CheckedRequest {
    /// The request, with its method and headers as they will be fetched.
    pub request: Request,
}

/// Runs the checks `new Request()` and `Headers` run on what a script gave:
/// an invalid or forbidden method, an invalid header, or `no-cors` with a
/// method that is not CORS-safelisted throws; a forbidden request-header is
/// silently dropped, as is, in `no-cors` mode, a header that is not
/// no-CORS-safelisted.
///
/// ```
/// use crossorigin::{request::check_script_request, Request};
/// let req = Request::get("https://api.example/", "https://app.example").unwrap()
///     .with_method("put").with_header("Cookie", "a=b").with_header("X-A", " 1 ");
/// let checked = check_script_request(req).unwrap().request;
/// assert_eq!(checked.method, b"PUT");
/// assert!(!checked.headers.contains(b"cookie"));
/// assert_eq!(checked.headers.get(b"x-a").unwrap(), b"1");
/// ```
pub fn check_script_request(mut request: Request) -> Result<CheckedRequest, Refusal> {
    check_script_request_in_place(&mut request)?;
    Ok(CheckedRequest { request })
}

/// [`check_script_request`] on a request in place (not moved twice).
pub(crate) fn check_script_request_in_place(request: &mut Request) -> Result<(), Refusal> {
    check_script_request_safelisted(request).map(|_| ())
}

/// Which headers of a checked request are CORS-safelisted request-headers
/// by the standard's rule (`fetch#cors-safelisted-request-header`), found
/// while checking them: one bit per header by position, and the length of
/// their values in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Safelisted {
    pub(crate) bits: u64,
    pub(crate) total: usize,
}

/// [`check_script_request_in_place`], with the request's CORS-safelisted
/// headers when the script's list is kept as it is and holds at most 64
/// headers (`None` otherwise).
pub(crate) fn check_script_request_safelisted(
    request: &mut Request,
) -> Result<Option<Safelisted>, Refusal> {
    // Request constructor: a URL with credentials is refused first (the
    // serialization up to the host ends with `@` exactly when it has them).
    if request.url[..url::Position::BeforeHost].ends_with('@') {
        return Err(Refusal::UrlWithCredentials {
            url: request.url.to_string(),
        });
    }
    // Request constructor: method. The methods scripts use most are
    // already valid, allowed and normalized: one comparison each.
    let common = matches!(
        request.method.as_bytes(),
        b"GET" | b"POST" | b"PUT" | b"DELETE" | b"PATCH" | b"HEAD" | b"OPTIONS"
    );
    if !common {
        if !method::is_method(&request.method) {
            return Err(Refusal::InvalidMethod {
                method: std::mem::take(&mut request.method).into_vec(),
            });
        }
        if method::is_forbidden_method(&request.method) {
            return Err(Refusal::ForbiddenMethod {
                method: std::mem::take(&mut request.method).into_vec(),
            });
        }
        let normalized = method::normalize(&request.method);
        if normalized != request.method.as_bytes() {
            request.method = Method::from(normalized);
        }
    }
    // no-cors: the method must be safelisted; the guard becomes request-no-cors.
    let no_cors = request.mode == Mode::NoCors;
    if no_cors && !method::is_cors_safelisted_method(&request.method) {
        return Err(Refusal::NoCorsMethodNotSafelisted {
            method: std::mem::take(&mut request.method).into_vec(),
        });
    }
    // Headers: validate each; rebuild the list only when one is dropped or
    // its value trimmed (the common request is kept as it is).
    let mut rebuild = no_cors;
    let mut safelisted = Safelisted { bits: 0, total: 0 };
    for (i, h) in request.headers.iter().enumerate() {
        let (checked, safe) = header::check_script_header_safelisted(h.name, h.value);
        if safe && i < 64 {
            safelisted.bits |= 1 << i;
            safelisted.total += h.value.len();
        }
        match checked {
            ScriptHeader::AsGiven => {}
            ScriptHeader::Changed => rebuild = true,
            ScriptHeader::InvalidName => {
                return Err(Refusal::InvalidHeaderName {
                    name: h.name.to_vec(),
                });
            }
            ScriptHeader::InvalidValue => {
                return Err(Refusal::InvalidHeaderValue {
                    name: h.name.to_vec(),
                    value: h.value.to_vec(),
                });
            }
        }
    }
    // Request constructor: a body with `GET` or `HEAD` (the method
    // normalized above) throws.
    if request.body.is_some() && matches!(request.method.as_bytes(), b"GET" | b"HEAD") {
        return Err(Refusal::BodyWithGetOrHead {
            method: request.method.as_bytes().to_vec(),
        });
    }
    if rebuild {
        let given = std::mem::take(&mut request.headers);
        let mut headers = HeaderList::with_capacity(given.len(), 0);
        for h in &given {
            let value = header::normalize_value(h.value);
            if no_cors {
                let mut combined = headers.get(h.name).unwrap_or_default();
                if headers.contains(h.name) {
                    combined.extend_from_slice(b", ");
                }
                combined.extend_from_slice(value);
                if !header::is_no_cors_safelisted_request_header(h.name, &combined) {
                    continue;
                }
            } else if header::is_forbidden_request_header(h.name, value) {
                continue;
            }
            headers.append(h.name, value);
            if no_cors {
                headers.retain(|h| !header::is_privileged_no_cors_request_header_name(h.name));
            }
        }
        request.headers = headers;
        return Ok(None);
    }
    Ok((request.headers.len() <= 64).then_some(safelisted))
}

/// What a browser does with a request before anything is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Same origin: fetched with basic tainting, no CORS.
    SameOrigin,
    /// A navigation: basic tainting, no CORS.
    Navigate,
    /// `no-cors`: sent, and the script sees an opaque response.
    NoCors,
    /// CORS without a preflight (a simple request).
    Cors,
    /// CORS with a preflight first.
    CorsWithPreflight,
}

/// Whether a CORS request needs a preflight, ignoring the cache: the
/// use-CORS-preflight flag, a method that is not CORS-safelisted, or a
/// CORS-unsafe request-header name (`fetch#main-fetch`). Never allocates.
///
/// ```
/// use crossorigin::{request::needs_preflight, HeaderList, Profile};
/// let mut h = HeaderList::new();
/// h.append("Accept", "application/json");
/// assert!(!needs_preflight(b"GET", &h, false, &Profile::spec()));
/// h.append("X-Trace", "1");
/// assert!(needs_preflight(b"GET", &h, false, &Profile::spec()));
/// assert!(needs_preflight(b"PUT", &HeaderList::new(), false, &Profile::spec()));
/// ```
#[inline]
pub fn needs_preflight(
    method: &[u8],
    headers: &HeaderList,
    use_cors_preflight: bool,
    profile: &Profile,
) -> bool {
    use_cors_preflight
        || !method::is_cors_safelisted_method(method)
        || has_unsafe_header(headers, profile)
}

/// Whether any header is CORS-unsafe under the profile, counting the
/// 1024-byte total. Never allocates.
#[inline]
pub fn has_unsafe_header(headers: &HeaderList, profile: &Profile) -> bool {
    if profile.fetch.combine_request_headers && has_repeated_name(headers) {
        let mut any = false;
        for_each_unsafe_combined(headers, profile, |_| any = true);
        return any;
    }
    header::has_unsafe_with(
        pairs(headers),
        |n, v| profile.is_safelisted_request_header(n, v),
        profile.safelisted_total_max(),
    )
}

/// Whether two headers share a name (ASCII case-insensitively).
fn has_repeated_name(headers: &HeaderList) -> bool {
    let mut names = headers.iter().map(|h| h.name);
    while let Some(n) = names.next() {
        if names.clone().any(|m| m.eq_ignore_ascii_case(n)) {
            return true;
        }
    }
    false
}

/// The unsafe names when headers of one name are combined first
/// ([`crate::profile::FetchKnobs::combine_request_headers`]): each name's
/// values joined by `, ` are checked, and counted toward the 1024 bytes,
/// as one header.
fn for_each_unsafe_combined<'a>(
    headers: &'a HeaderList,
    profile: &Profile,
    f: impl FnMut(&'a [u8]),
) {
    let mut groups: Vec<(&'a [u8], Vec<u8>)> = Vec::new();
    for h in headers.iter() {
        match groups
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(h.name))
        {
            Some((_, v)) => {
                v.extend_from_slice(b", ");
                v.extend_from_slice(h.value);
            }
            None => groups.push((h.name, h.value.to_vec())),
        }
    }
    header::for_each_unsafe_with(
        groups.iter().map(|(n, v)| (*n, v.as_slice())),
        |n, v| profile.is_safelisted_request_header(n, v),
        profile.safelisted_total_max(),
        f,
    );
}

/// A header list as `(name, value)` pairs, for the rules in [`header`].
fn pairs(headers: &HeaderList) -> impl Iterator<Item = (&[u8], &[u8])> + Clone {
    headers.iter().map(|h| (h.name, h.value))
}

/// The CORS-unsafe request-header names under the profile
/// (`fetch#cors-unsafe-request-header-names`).
pub fn unsafe_header_names(headers: &HeaderList, profile: &Profile) -> Vec<Vec<u8>> {
    let mut names: Vec<&[u8]> = Vec::new();
    for_each_unsafe_header(headers, profile, |n| names.push(n));
    header::sorted_lowercase_set(names)
}

/// Calls `f` with the name of each header that is CORS-unsafe under the
/// profile (every header, once their safelisted values pass 1024 bytes),
/// in list order, repeats and case as given. Never allocates.
pub fn for_each_unsafe_header<'a>(
    headers: &'a HeaderList,
    profile: &Profile,
    f: impl FnMut(&'a [u8]),
) {
    if profile.fetch.combine_request_headers && has_repeated_name(headers) {
        return for_each_unsafe_combined(headers, profile, f);
    }
    header::for_each_unsafe_with(
        pairs(headers),
        |n, v| profile.is_safelisted_request_header(n, v),
        profile.safelisted_total_max(),
        f,
    );
}

/// Writes the CORS-unsafe request-header names as the value of
/// `Access-Control-Request-Headers`: lower case, sorted, de-duplicated
/// (unless the profile lists a name once per header:
/// `FetchKnobs::request_header_names_deduplicated`), joined by `,` with
/// no space. Returns whether there was any.
pub fn write_unsafe_header_names(
    headers: &HeaderList,
    profile: &Profile,
    out: &mut Vec<u8>,
) -> bool {
    write_names_sorted(
        |names| for_each_unsafe_header(headers, profile, |n| names.push(n)),
        out,
        profile.fetch.request_header_names_deduplicated,
    )
}

/// Which headers of a list are CORS-unsafe under a profile, one bit per
/// header by position, for a list of at most 64 headers (`None` for a
/// longer one, or one whose same-name headers the profile combines): the
/// answer [`for_each_unsafe_header`] gives, worked out
/// once for a fetch that asks it several times.
#[inline(never)] // one call a fetch; kept apart from the driver's code
pub(crate) fn unsafe_bits(headers: &HeaderList, profile: &Profile) -> Option<u64> {
    let count = headers.len();
    // Combined same-name headers are judged by name, not by position: the
    // list is asked each time (rare: a script repeating a name).
    if count > 64 || (profile.fetch.combine_request_headers && has_repeated_name(headers)) {
        return None;
    }
    let mut safe = Safelisted { bits: 0, total: 0 };
    for (i, h) in headers.iter().enumerate() {
        if profile.is_safelisted_request_header(h.name, h.value) {
            safe.total += h.value.len();
            safe.bits |= 1 << i;
        }
    }
    Some(unsafe_of(safe, count, profile))
}

/// The CORS-unsafe headers of a list of `count` headers (at most 64) whose
/// safelisted ones are `safe`: the others, or every one when the
/// safelisted values are too long in all.
#[inline]
pub(crate) fn unsafe_of(safe: Safelisted, count: usize, profile: &Profile) -> u64 {
    let all = if count >= 64 {
        u64::MAX
    } else {
        (1u64 << count) - 1
    };
    if profile
        .safelisted_total_max()
        .is_some_and(|max| safe.total > max)
    {
        all
    } else {
        all & !safe.bits
    }
}

/// [`unsafe_bits`] of a script's checked request from what the check found
/// ([`check_script_request_safelisted`]): of `headers` followed, when
/// `accept_added`, by `Accept: */*` (its bit is the one after the list's);
/// `None` where the profile's rules need the list asked again (extra
/// safelisted headers, combined same-name headers).
pub(crate) fn unsafe_bits_checked(
    mut safe: Safelisted,
    headers: &HeaderList,
    accept_added: bool,
    profile: &Profile,
) -> Option<u64> {
    let listed = headers.len();
    let count = listed + usize::from(accept_added);
    if count > 64
        || !profile.extra_safelisted_request_headers.is_empty()
        || (profile.fetch.combine_request_headers && has_repeated_name(headers))
        || (profile.fetch.safelist_departs() && has_departing_name(headers))
    {
        return None;
    }
    if accept_added {
        // `*/*` is a safelisted `Accept` value.
        safe.bits |= 1 << listed;
        safe.total += 3;
    }
    Some(unsafe_of(safe, count, profile))
}

/// Whether the list has a `Range` or `Content-Type` header, whose value a
/// profile may judge otherwise than the standard
/// ([`Profile::departed_safelist`]).
#[inline(never)]
fn has_departing_name(headers: &HeaderList) -> bool {
    headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case(b"range") || h.name.eq_ignore_ascii_case(b"content-type")
    })
}

/// The names [`write_names_sorted`] gathers: on the stack while there are
/// few (the usual case), each with its sort key (its first eight bytes
/// lower-cased as one number), else on the heap.
pub(crate) struct NameStack<'a> {
    stack: [(u64, &'a [u8]); NAME_STACK],
    count: usize,
    heap: Vec<&'a [u8]>,
}

/// How many names [`NameStack`] keeps on the stack.
const NAME_STACK: usize = 8;

impl<'a> NameStack<'a> {
    /// Adds a name.
    #[inline]
    pub(crate) fn push(&mut self, n: &'a [u8]) {
        match self.stack.get_mut(self.count) {
            Some(slot) => *slot = (header::sort_key(n), n),
            None => {
                if self.heap.is_empty() {
                    self.heap.extend(self.stack.iter().map(|&(_, n)| n));
                }
                self.heap.push(n);
            }
        }
        self.count += 1;
    }
}

/// [`write_unsafe_header_names`] for the names `for_each` pushes; a name
/// pushed more than once is written once, or each time unless `dedup`.
pub(crate) fn write_names_sorted<'a>(
    for_each: impl FnOnce(&mut NameStack<'a>),
    out: &mut Vec<u8>,
    dedup: bool,
) -> bool {
    const N: usize = NAME_STACK;
    let mut gathered = NameStack {
        stack: [(0, &[]); N],
        count: 0,
        heap: Vec::new(),
    };
    for_each(&mut gathered);
    let count = gathered.count;
    if count == 0 {
        return false;
    }
    if count > N {
        let heap = &mut gathered.heap;
        heap.sort_unstable_by(|a, b| header::cmp_ignore_case(a, b));
        write_sorted(heap, out, dedup);
        return true;
    }
    let names = &mut gathered.stack[..count];
    // A handful of names: an insertion sort on the keys (the rest of two
    // names compared only when their keys tie).
    for i in 1..names.len() {
        let mut j = i;
        while j > 0 {
            let ((ka, a), (kb, b)) = (names[j - 1], names[j]);
            if ka
                .cmp(&kb)
                .then_with(|| header::cmp_ignore_case_from(a, b, 8))
                .is_le()
            {
                break;
            }
            names.swap(j - 1, j);
            j -= 1;
        }
    }
    // Room for every name and comma at once, and a word to spare: each
    // name is written a word at a time (its first word is its key), the
    // bytes past its end overwritten by the next or cut at the end.
    let start = out.len();
    let total: usize = names.iter().map(|(_, n)| n.len() + 1).sum();
    out.resize(start + total + 8, 0);
    let mut at = start;
    let mut previous: Option<(u64, &[u8])> = None;
    for &(key, n) in names.iter() {
        if let Some((pk, p)) = previous {
            // Alike names have the same key.
            if dedup && pk == key && header::eq_ignore_case(p, n) {
                continue;
            }
            if let Some(comma) = out.get_mut(at) {
                *comma = b',';
            }
            at += 1;
        }
        if let Some(first) = out.get_mut(at..at + 8) {
            first.copy_from_slice(&key.swap_bytes().to_le_bytes());
        }
        match n.len() {
            0..=8 => {}
            // The last eight bytes, overlapping the first word.
            9..=16 => {
                if let (Some(dst), Some(last)) = (
                    out.get_mut(at + n.len() - 8..at + n.len()),
                    n.last_chunk::<8>(),
                ) {
                    let lower = header::to_lower_word(u64::from_le_bytes(*last));
                    dst.copy_from_slice(&lower.to_le_bytes());
                }
            }
            _ => {
                if let (Some(dst), Some(rest)) = (out.get_mut(at + 8..at + n.len()), n.get(8..)) {
                    header::copy_lowercase(dst, rest);
                }
            }
        }
        at += n.len();
        previous = Some((key, n));
    }
    out.truncate(at);
    true
}

/// Writes names already sorted, lower case, joined by `,`: de-duplicated
/// when `dedup`.
fn write_sorted(names: &[&[u8]], out: &mut Vec<u8>, dedup: bool) {
    // Room for every name and comma at once, written in place, then cut
    // to what was written (a repeated name is skipped).
    let start = out.len();
    out.resize(start + names.iter().map(|n| n.len() + 1).sum::<usize>(), 0);
    let mut at = start;
    let mut previous: Option<&[u8]> = None;
    for n in names {
        if let Some(p) = previous {
            if dedup && header::eq_ignore_case(p, n) {
                continue;
            }
            if let Some(comma) = out.get_mut(at) {
                *comma = b',';
            }
            at += 1;
        }
        if let Some(dst) = out.get_mut(at..at + n.len()) {
            header::copy_lowercase(dst, n);
        }
        at += n.len();
        previous = Some(n);
    }
    out.truncate(at);
}

/// The ports browsers refuse to fetch (`fetch#bad-port`).
pub const BAD_PORTS: [u16; 83] = [
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
    102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427,
    465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990,
    993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
    6668, 6669, 6679, 6697, 10080,
];

/// Whether a URL's port is a bad port for its scheme (`fetch#block-bad-port`):
/// only HTTP(S) URLs are checked.
#[inline]
pub fn is_bad_port(url: &Url) -> Option<u16> {
    if !is_http_scheme(url) {
        return None;
    }
    // A default port (80, 443) is never a bad port.
    let port = url.port()?;
    // BAD_PORTS is sorted.
    BAD_PORTS.binary_search(&port).ok().map(|_| port)
}

/// Whether a URL's scheme is an HTTP(S) scheme (`fetch#http-scheme`),
/// compared in place.
#[inline]
pub(crate) fn is_http_scheme(url: &Url) -> bool {
    matches!(
        url.scheme().as_bytes(),
        [b'h', b't', b't', b'p'] | [b'h', b't', b't', b'p', b's']
    )
}

/// Whether a URL's scheme is `data`, compared in place.
#[inline]
pub(crate) fn is_data_scheme(url: &Url) -> bool {
    matches!(url.scheme().as_bytes(), [b'd', b'a', b't', b'a'])
}

/// Decides what happens to a checked request before it is sent
/// (`fetch#main-fetch` step 12, without a preflight cache): same-origin,
/// navigation, `no-cors`, CORS with or without a preflight, or a refusal.
///
/// ```
/// use crossorigin::{request::{decide, Decision}, Profile, Request};
/// let req = Request::get("https://api.example/x", "https://app.example").unwrap();
/// assert_eq!(decide(&req, &Profile::spec()), Ok(Decision::Cors));
/// let req = req.with_method("DELETE");
/// assert_eq!(decide(&req, &Profile::spec()), Ok(Decision::CorsWithPreflight));
/// ```
pub fn decide(request: &Request, profile: &Profile) -> Result<Decision, Refusal> {
    decide_at(
        request.mode,
        request.redirect,
        request.use_cors_preflight,
        &request.url,
        request.origin.same_origin_with_url(&request.url),
        &request.method,
        || has_unsafe_header(&request.headers, profile),
        false,
        || is_mixed_content(&request.origin, &request.url, profile),
    )
}

/// Whether a fetch of `url` by a page of `origin` is blocked as mixed
/// content (`mixed-content#should-block-fetch`, which `fetch#main-fetch`
/// step 7 asks): the page's origin is potentially trustworthy and the URL,
/// an `http:` one, is not. Other schemes that are not potentially
/// trustworthy are refused by their own rule first
/// ([`Refusal::CorsDisabledScheme`], [`Refusal::UnsupportedScheme`]), as
/// browsers report them. A page of an opaque origin is taken as not
/// restricting (the engine does not know its URL).
///
/// ```
/// use crossorigin::{Origin, Profile};
/// use crossorigin::request::is_mixed_content;
/// let page = Origin::from_url_str("https://app.example").unwrap();
/// let http = url::Url::parse("http://api.example/x").unwrap();
/// assert!(is_mixed_content(&page, &http, &Profile::spec()));
/// let local = url::Url::parse("http://localhost/x").unwrap();
/// assert!(!is_mixed_content(&page, &local, &Profile::spec()));
/// assert!(is_mixed_content(&page, &local, &Profile::webkit()));
/// ```
pub fn is_mixed_content(origin: &Origin, url: &Url, profile: &Profile) -> bool {
    url.scheme() == "http"
        && (profile.fetch.mixed_content_blocks_localhost
            || !crate::fetch::is_potentially_trustworthy(url))
        && origin_is_potentially_trustworthy(origin)
}

/// Whether an origin is potentially trustworthy
/// (`secure-contexts#is-origin-trustworthy`): `https` or `wss`, or a
/// loopback address or `localhost` name.
pub(crate) fn origin_is_potentially_trustworthy(origin: &Origin) -> bool {
    let Some(t) = origin.as_tuple() else {
        return false;
    };
    match t.scheme() {
        crate::origin::Scheme::Https | crate::origin::Scheme::Wss => true,
        _ => t.host().is_local(),
    }
}

/// [`decide`] for a request at one point of its fetch: its mode, redirect
/// mode and use-CORS-preflight flag, its current URL,
/// whether that is same origin with the request's origin, its method,
/// whether its current headers have a CORS-unsafe one (asked only
/// when it matters), and whether its response tainting is already `cors`
/// (after a cross-origin redirect).
#[allow(clippy::too_many_arguments)] // the request's parts, not copied into a struct per hop
#[inline(always)]
pub(crate) fn decide_at(
    mode: Mode,
    redirect: RedirectMode,
    use_cors_preflight: bool,
    url: &Url,
    same_origin: bool,
    method: &[u8],
    has_unsafe_header: impl FnOnce() -> bool,
    tainted_cors: bool,
    mixed_content: impl FnOnce() -> bool,
) -> Result<Decision, Refusal> {
    if let Some(port) = is_bad_port(url) {
        return Err(Refusal::BadPort { port });
    }
    // fetch#main-fetch step 7, after the bad port.
    if mixed_content() {
        return Err(Refusal::MixedContent {
            url: url.to_string(),
        });
    }
    if !tainted_cors && same_origin {
        return Ok(Decision::SameOrigin);
    }
    if is_data_scheme(url) || mode == Mode::Navigate {
        return Ok(Decision::Navigate);
    }
    match mode {
        Mode::SameOrigin => Err(Refusal::DisallowedByMode {
            url: url.to_string(),
        }),
        Mode::NoCors => {
            if redirect != RedirectMode::Follow {
                return Err(Refusal::NoCorsRedirectModeNotFollow);
            }
            Ok(Decision::NoCors)
        }
        _ if !is_http_scheme(url) => Err(Refusal::CorsDisabledScheme {
            url: url.to_string(),
        }),
        _ if use_cors_preflight
            || !method::is_cors_safelisted_method(method)
            || has_unsafe_header() =>
        {
            Ok(Decision::CorsWithPreflight)
        }
        _ => Ok(Decision::Cors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ports_are_sorted_for_binary_search() {
        assert!(super::BAD_PORTS.windows(2).all(|w| w[0] < w[1]));
    }

    /// What the check finds of the safelisted headers gives the unsafe
    /// headers the profile's rule gives when asked of the checked list,
    /// `Accept: */*` appended or not, for many lists: forbidden,
    /// safelisted and other names in any case, values safelisted or not,
    /// trimmed or not, long enough to pass the 1024-byte total, repeated
    /// names, and more than 64 headers.
    #[test]
    fn safelisted_while_checking_is_the_profile_rule() {
        let names: [&str; 14] = [
            "Accept",
            "accept",
            "Content-Type",
            "CONTENT-LANGUAGE",
            "Accept-Language",
            "Range",
            "X-Trace",
            "Cookie",
            "Sec-Fetch-Mode",
            "Proxy-Foo",
            "X-HTTP-Method-Override",
            "Accept-Encoding",
            "Device-Memory",
            "Save-Data",
        ];
        let long = "a".repeat(400);
        let values: [&str; 10] = [
            "text/plain",
            "application/json",
            "en-US",
            "bytes=0-10",
            "*/*",
            " 1 ",
            "TRACE",
            "1",
            &long,
            "a\"b",
        ];
        let profiles = [
            Profile::spec(),
            Profile::chromium(),
            Profile::firefox(),
            Profile::webkit(),
        ];
        // A small generator: the same lists on every run.
        let mut rng = crate::test_rng::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: usize| rng.below(n);
        let mut compared = 0usize;
        for round in 0..3000 {
            let count = if round % 100 == 0 {
                60 + next(10)
            } else {
                next(8)
            };
            let mut request =
                Request::get("https://api.example/", "https://app.example").expect("valid request");
            for _ in 0..count {
                request = request.with_header(names[next(names.len())], values[next(values.len())]);
            }
            let Ok(found) = check_script_request_safelisted(&mut request) else {
                continue;
            };
            let mut headers = request.headers.clone();
            let accept_added = !headers.contains(b"accept");
            if accept_added {
                headers.append("Accept", "*/*");
            }
            for profile in &profiles {
                let Some(safe) = found else {
                    continue;
                };
                let checked = unsafe_bits_checked(safe, &request.headers, accept_added, profile);
                if let Some(bits) = checked {
                    assert_eq!(
                        Some(bits),
                        unsafe_bits(&headers, profile),
                        "{headers:?} {profile:?}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(compared > 2000, "only {compared} lists compared");
        // Around the 1024-byte total, `Accept: */*` appended included.
        for last in 118..=128 {
            let mut request =
                Request::get("https://api.example/", "https://app.example").expect("valid request");
            for _ in 0..7 {
                request = request.with_header("Accept-Language", "a".repeat(128));
            }
            request = request.with_header("Content-Language", "b".repeat(last));
            let safe = check_script_request_safelisted(&mut request)
                .expect("a valid request")
                .expect("kept as given");
            let mut headers = request.headers.clone();
            headers.append("Accept", "*/*");
            for profile in &profiles {
                if let Some(bits) = unsafe_bits_checked(safe, &request.headers, true, profile) {
                    assert_eq!(
                        Some(bits),
                        unsafe_bits(&headers, profile),
                        "{last} {profile:?}"
                    );
                }
            }
        }
    }

    /// The sorted, lower-case, de-duplicated names written straight into a
    /// buffer (a word at a time, keys first, on the stack up to eight
    /// names) are the set [`unsafe_header_names`] builds the plain way,
    /// joined by `,`: names short and long, alike but for case, sharing
    /// their first eight bytes, one to twelve of them.
    #[test]
    fn names_written_sorted_are_the_sorted_set() {
        let alphabet: [&str; 12] = [
            "x-a",
            "X-A",
            "x-request-id",
            "X-Requested-With",
            "x-requested-with",
            "Content-Type",
            "authorization",
            "x-b2",
            "x-custom-header-longer-than-sixteen",
            "X-Custom-Header-Longer-Than-Sixteen-Too",
            "abcdefgh",
            "ABCDEFGHI",
        ];
        let profile = crate::Profile::spec();
        let mut rng = crate::test_rng::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: usize| rng.below(n);
        for _ in 0..5_000 {
            let headers: HeaderList = (0..1 + next(12))
                .map(|_| (alphabet[next(alphabet.len())], "1"))
                .collect();
            let expected = unsafe_header_names(&headers, &profile).join(&b","[..]);
            let mut out = b"prefix".to_vec();
            assert!(write_unsafe_header_names(&headers, &profile, &mut out));
            assert_eq!(
                String::from_utf8_lossy(&out[6..]),
                String::from_utf8_lossy(&expected),
                "{headers:?}"
            );
            assert_eq!(&out[..6], b"prefix");
        }
    }
}
