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
///
/// As in the standard (`fetch#concept-filtered-response`), it is a limited
/// view on the response that arrived (its internal response): the script
/// reads [`FilteredResponse::headers`], the headers the filter lets through;
/// [`FilteredResponse::internal_headers`] keeps every header, for an
/// embedder's own use (a network panel, say).
#[derive(Clone, Debug)]
pub struct FilteredResponse {
    /// The type.
    pub response_type: ResponseType,
    /// The status (0 for opaque and opaque-redirect).
    pub status: u16,
    /// The response URL (`None` for opaque: `response.url` is "").
    pub url: Option<Url>,
    /// Whether `response.redirected` is true.
    pub redirected: bool,
    /// The internal response's header list.
    internal: HeaderList,
    /// Which of `internal` the script sees.
    visible: Visible,
}

/// Which headers of a list a filter lets through, by index: the first 64
/// in a word, any beyond them one flag each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Visible {
    first: u64,
    more: Vec<bool>,
}

impl Visible {
    #[inline]
    fn get(&self, i: usize) -> bool {
        if i < 64 {
            self.first >> i & 1 == 1
        } else {
            self.more.get(i - 64).copied().unwrap_or(false)
        }
    }
}

impl PartialEq for FilteredResponse {
    /// Equal when a script sees the same: type, status, URL, redirected,
    /// and the visible headers in order (hidden headers do not count).
    fn eq(&self, other: &FilteredResponse) -> bool {
        self.response_type == other.response_type
            && self.status == other.status
            && self.url == other.url
            && self.redirected == other.redirected
            && self.headers().iter().eq(other.headers().iter())
    }
}

impl Eq for FilteredResponse {}

impl FilteredResponse {
    /// A filtered response whose visible headers are exactly `headers`.
    pub fn new(
        response_type: ResponseType,
        status: u16,
        url: Option<Url>,
        redirected: bool,
        headers: HeaderList,
    ) -> FilteredResponse {
        let visible = visible_all(headers.len());
        FilteredResponse {
            response_type,
            status,
            url,
            redirected,
            internal: headers,
            visible,
        }
    }

    /// The headers the script can read, in order.
    ///
    /// ```
    /// use crossorigin::{response::filter, CredentialsMode, Response};
    /// use crossorigin::request::ResponseTainting;
    /// let url = url::Url::parse("https://api.example/x").unwrap();
    /// let response = Response::new(200)
    ///     .with_header("Access-Control-Allow-Origin", "*")
    ///     .with_header("Content-Type", "text/plain")
    ///     .with_header("X-Secret", "1")
    ///     .with_header("Set-Cookie", "a=b");
    /// let seen = filter(ResponseTainting::Cors, response, &url, 1, CredentialsMode::Omit);
    /// let names: Vec<&[u8]> = seen.headers().iter().map(|h| h.name).collect();
    /// assert_eq!(names, [&b"Content-Type"[..]]);
    /// assert_eq!(seen.headers().get(b"content-type").unwrap(), b"text/plain");
    /// assert!(!seen.headers().contains(b"x-secret"));
    /// // The internal response keeps every header.
    /// assert_eq!(seen.internal_headers().len(), 4);
    /// ```
    pub fn headers(&self) -> VisibleHeaders<'_> {
        VisibleHeaders {
            list: &self.internal,
            visible: &self.visible,
        }
    }

    /// Every header of the internal response, those the script cannot
    /// read included.
    pub fn internal_headers(&self) -> &HeaderList {
        &self.internal
    }

    /// The sorted, de-duplicated, lower-cased names of the visible headers.
    pub fn visible_header_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .headers()
            .iter()
            .map(|h| String::from_utf8_lossy(h.name).to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// Every one of `count` headers visible.
fn visible_all(count: usize) -> Visible {
    Visible {
        first: all_bits(count),
        more: vec![true; count.saturating_sub(64)],
    }
}

/// The headers of a [`FilteredResponse`] a script can read: a view on the
/// internal response's list.
#[derive(Clone, Copy)]
pub struct VisibleHeaders<'a> {
    list: &'a HeaderList,
    visible: &'a Visible,
}

impl<'a> VisibleHeaders<'a> {
    /// The visible headers, in order.
    pub fn iter(&self) -> VisibleIter<'a> {
        VisibleIter {
            inner: self.list.iter(),
            visible: self.visible,
            index: 0,
        }
    }

    /// Gets a visible header (`fetch#concept-header-list-get`): every
    /// visible value of the name, combined with `, `, or `None`.
    pub fn get(&self, name: &[u8]) -> Option<Vec<u8>> {
        header::combine_values(
            self.iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.value),
        )
    }

    /// Whether a visible header has this name (case-insensitive).
    pub fn contains(&self, name: &[u8]) -> bool {
        self.iter().any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// The number of visible headers.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no header is visible.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// The visible headers as a list of their own.
    pub fn to_header_list(&self) -> HeaderList {
        self.iter().map(|h| (h.name, h.value)).collect()
    }
}

/// The headers of a [`VisibleHeaders`], in order.
#[derive(Clone, Debug)]
pub struct VisibleIter<'a> {
    inner: crate::header::Iter<'a>,
    visible: &'a Visible,
    index: usize,
}

impl<'a> Iterator for VisibleIter<'a> {
    type Item = crate::header::Header<'a>;
    fn next(&mut self) -> Option<crate::header::Header<'a>> {
        loop {
            let h = self.inner.next()?;
            let i = self.index;
            self.index += 1;
            if self.visible.get(i) {
                return Some(h);
            }
        }
    }
}

impl<'a> IntoIterator for VisibleHeaders<'a> {
    type Item = crate::header::Header<'a>;
    type IntoIter = VisibleIter<'a>;
    fn into_iter(self) -> VisibleIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &VisibleHeaders<'a> {
    type Item = crate::header::Header<'a>;
    type IntoIter = VisibleIter<'a>;
    fn into_iter(self) -> VisibleIter<'a> {
        self.iter()
    }
}

impl std::fmt::Debug for VisibleHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        header::debug_headers(f, self.iter())
    }
}

/// The CORS-exposed header-name list (`fetch#main-fetch`, tainting `cors`):
/// `Access-Control-Expose-Headers` names; `*` without credentials exposes
/// every header name; a value that does not parse exposes nothing.
pub fn cors_exposed_header_names(
    headers: &HeaderList,
    credentials: CredentialsMode,
) -> Exposed<'_> {
    let scan = ResponseScan::of(headers);
    match ExposedNames::of(headers, &scan, credentials, false) {
        ExposedNames::All => Exposed::All,
        ExposedNames::Some { names, count, more } => {
            Exposed::Names(names[..count].iter().chain(&more).copied().collect())
        }
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

/// What the CORS check and the CORS filter ask of a response's header
/// names, classified once per name (by length first, then one
/// case-insensitive comparison).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// A CORS-safelisted response-header name that is always visible
    /// (`fetch#cors-safelisted-response-header-name`, the fixed list).
    Safelisted,
    /// A forbidden response-header name (`Set-Cookie`, `Set-Cookie2`).
    Forbidden,
    /// `Access-Control-Allow-Origin`.
    AllowOrigin,
    /// `Access-Control-Expose-Headers`.
    ExposeHeaders,
    /// Any other name.
    Other,
}

impl NameKind {
    #[inline(always)]
    pub(crate) fn of(name: &[u8]) -> NameKind {
        use header::eq_lower;
        let is = |lower: &[u8]| eq_lower(name, lower);
        match name.len() {
            6 if is(b"pragma") => NameKind::Safelisted,
            7 if is(b"expires") => NameKind::Safelisted,
            10 if is(b"set-cookie") => NameKind::Forbidden,
            11 if is(b"set-cookie2") => NameKind::Forbidden,
            12 if is(b"content-type") => NameKind::Safelisted,
            13 if is(b"cache-control") || is(b"last-modified") => NameKind::Safelisted,
            14 if is(b"content-length") => NameKind::Safelisted,
            16 if is(b"content-language") => NameKind::Safelisted,
            27 if is(b"access-control-allow-origin") => NameKind::AllowOrigin,
            29 if is(b"access-control-expose-headers") => NameKind::ExposeHeaders,
            _ => NameKind::Other,
        }
    }
}

/// The most headers of other names ([`NameKind::Other`]) whose names a
/// [`ResponseScan`] remembers; past them the CORS filter reads the list
/// again.
const OTHERS_MAX: usize = 8;

/// Where the headers the CORS check and the CORS filter read are in a
/// response's header list: the first of each name (a position for
/// [`HeaderList::at`]) and whether there is more than one, which headers
/// are of which [`NameKind`], and where the names of the first few others
/// are. One pass over the list serves both.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ResponseScan {
    pub(crate) allow_origin: Found,
    pub(crate) expose_headers: Found,
    /// Of the first 64 headers, by index: those always visible
    /// ([`NameKind::Safelisted`]) and those never visible
    /// ([`NameKind::Forbidden`]).
    safelisted: u64,
    forbidden: u64,
    /// Likewise, the `Access-Control-Allow-Origin` and
    /// `Access-Control-Expose-Headers` headers.
    allow_origin_bits: u64,
    expose_headers_bits: u64,
    /// The names of the first headers of any other name ([`NameKind::Other`]),
    /// in order: where each starts in the list's buffer (high half) and
    /// its length (low half), both cut to 16 bits (whole while the buffer
    /// is shorter than 64 KiB).
    others: [u32; OTHERS_MAX],
    /// How many such headers there are (more than `OTHERS_MAX`: not all
    /// remembered).
    other_count: usize,
}

/// The first header of a name, and whether another follows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Found {
    pub(crate) first: Option<usize>,
    pub(crate) more: bool,
}

impl Found {
    #[inline(always)]
    fn add(&mut self, pos: usize) {
        if self.first.is_none() {
            self.first = Some(pos);
        } else {
            self.more = true;
        }
    }

    /// The first value, from the list scanned.
    #[inline]
    pub(crate) fn value<'a>(&self, headers: &'a HeaderList) -> Option<&'a [u8]> {
        self.first.and_then(|p| headers.at(p)).map(|h| h.value)
    }
}

impl ResponseScan {
    #[inline]
    pub(crate) fn of(headers: &HeaderList) -> ResponseScan {
        let mut scan = ResponseScan::default();
        scan.fill(headers);
        scan
    }

    /// Scans `headers` into `self` (which must be empty, as `default`
    /// makes it), written where it is kept: a scan copied right after it
    /// was written reads its bytes back while their stores are still in
    /// flight (the 4-byte `others` read by 16-byte loads), which costs
    /// the fetch more than the scan.
    #[inline]
    pub(crate) fn fill(&mut self, headers: &HeaderList) {
        // The header's bit among the first 64 (0 past them).
        let mut bit = 1u64;
        headers.for_each_name_at(|pos, name| {
            match NameKind::of(name) {
                NameKind::Safelisted => self.safelisted |= bit,
                NameKind::Forbidden => self.forbidden |= bit,
                NameKind::AllowOrigin => {
                    self.allow_origin.add(pos);
                    self.allow_origin_bits |= bit;
                }
                NameKind::ExposeHeaders => {
                    self.expose_headers.add(pos);
                    self.expose_headers_bits |= bit;
                }
                NameKind::Other => {
                    // Cut to 16 bits each: see `other_names`.
                    let start = (pos + HeaderList::NAME_OFFSET) as u32 & 0xffff;
                    let len = name.len() as u32 & 0xffff;
                    self.others[self.other_count % OTHERS_MAX] = start << 16 | len;
                    self.other_count += 1;
                }
            }
            bit <<= 1;
        });
    }

    /// The names of the headers of other names ([`NameKind::Other`]), as
    /// (start, length) in the buffer of `headers` (the list scanned), if
    /// every one was remembered whole.
    #[inline(always)]
    fn other_names(&self, headers: &HeaderList) -> Option<&[u32]> {
        if headers.byte_len() > 0xffff {
            return None;
        }
        self.others.get(..self.other_count)
    }
}

/// What an `Access-Control-Expose-Headers` list exposes, once read.
enum Exposure {
    /// Every header name (`*` without credentials).
    All,
    /// The names read.
    Listed,
    /// Nothing: a value does not parse.
    Nothing,
}

/// Reads the CORS-exposed header-name list of a response
/// (`fetch#main-fetch`, tainting `cors`), calling `name` with each
/// `Access-Control-Expose-Headers` token: `*` without credentials exposes
/// every name; a value that does not parse exposes nothing (the names
/// already given then count for nothing), unless `star_survives_error` and
/// a `*` came before the failure.
#[inline(always)]
fn read_exposed<'a>(
    headers: &'a HeaderList,
    scan: &ResponseScan,
    credentials: CredentialsMode,
    star_survives_error: bool,
    mut name: impl FnMut(&'a [u8]),
) -> Exposure {
    let mut star = false;
    let mut parse = |value: &'a [u8]| {
        header::for_each_token(value, |t| {
            star |= t == b"*";
            name(t);
        })
    };
    let parsed = match (scan.expose_headers.value(headers), scan.expose_headers.more) {
        (None, _) => Ok(()),
        (Some(value), false) => parse(value),
        // Several headers: each value in turn, as their combination.
        (Some(_), true) => headers
            .values(b"access-control-expose-headers")
            .try_for_each(&mut parse),
    };
    if parsed.is_err() {
        // Firefox: a `*` read before the value failed still counts
        // (`FetchKnobs::expose_star_before_parse_error`).
        if star_survives_error && star && credentials != CredentialsMode::Include {
            return Exposure::All;
        }
        return Exposure::Nothing;
    }
    if star && credentials != CredentialsMode::Include {
        return Exposure::All;
    }
    Exposure::Listed
}

/// The CORS-exposed header-name list of a response, parsed once
/// ([`read_exposed`]) and kept.
enum ExposedNames<'a> {
    All,
    Some {
        /// The first names, on the stack; `more` holds any beyond them.
        names: [&'a [u8]; 8],
        count: usize,
        more: Vec<&'a [u8]>,
    },
}

impl<'a> ExposedNames<'a> {
    #[inline(always)]
    fn of(
        headers: &'a HeaderList,
        scan: &ResponseScan,
        credentials: CredentialsMode,
        star_survives_error: bool,
    ) -> ExposedNames<'a> {
        let mut names: [&'a [u8]; 8] = [&[]; 8];
        let mut count = 0usize;
        let mut more = Vec::new();
        let exposure = read_exposed(
            headers,
            scan,
            credentials,
            star_survives_error,
            |t| match names.get_mut(count) {
                Some(slot) => {
                    *slot = t;
                    count += 1;
                }
                None => more.push(t),
            },
        );
        match exposure {
            Exposure::All => ExposedNames::All,
            Exposure::Listed => ExposedNames::Some { names, count, more },
            Exposure::Nothing => ExposedNames::Some {
                names,
                count: 0,
                more: Vec::new(),
            },
        }
    }

    /// Whether a header is visible (`fetch#concept-filtered-response-cors`):
    /// a CORS-safelisted response-header name given the list, never
    /// `Set-Cookie`/`Set-Cookie2`.
    #[inline(always)]
    fn visible(&self, name: &[u8]) -> bool {
        match NameKind::of(name) {
            // A safelisted name is never a forbidden one.
            NameKind::Safelisted => true,
            NameKind::Forbidden => false,
            _ => self.lists(name),
        }
    }

    /// Whether the list exposes `name` (every name, for `All`).
    #[inline(always)]
    fn lists(&self, name: &[u8]) -> bool {
        match self {
            ExposedNames::All => true,
            ExposedNames::Some { names, count, more } => {
                // Loops, not a chained iterator: this runs per header.
                for n in &names[..*count] {
                    if header::eq_ignore_case(n, name) {
                        return true;
                    }
                }
                for n in more {
                    if header::eq_ignore_case(n, name) {
                        return true;
                    }
                }
                false
            }
        }
    }
}

/// Which of a response's headers (at most 64, by index) a script sees
/// under the CORS filter (`fetch#concept-filtered-response-cors`), from
/// its scan: the safelisted ones, and the exposed ones that are not
/// forbidden.
#[inline]
fn cors_visible_bits(
    headers: &HeaderList,
    scan: &ResponseScan,
    credentials: CredentialsMode,
    star_survives_error: bool,
) -> u64 {
    if scan.expose_headers.first.is_none() {
        return scan.safelisted;
    }
    let all = all_bits(headers.len());
    // Only the names neither safelisted nor forbidden are looked up.
    let candidates = all & !scan.safelisted & !scan.forbidden;
    if let Some(names) = scan.other_names(headers) {
        // One pass over the list's tokens, each compared with the names as
        // it is read (the k-th name is the k-th bit of `others`; the two
        // CORS names are known), and no second pass over the headers.
        let others = candidates & !scan.allow_origin_bits & !scan.expose_headers_bits;
        let mut listed = 0u64;
        let exposure = read_exposed(headers, scan, credentials, star_survives_error, |t| {
            match t.len() {
                27 if header::eq_lower(t, b"access-control-allow-origin") => {
                    listed |= scan.allow_origin_bits;
                }
                29 if header::eq_lower(t, b"access-control-expose-headers") => {
                    listed |= scan.expose_headers_bits;
                }
                _ => {}
            }
            let mut left = others;
            for &name in names {
                let bit = left & left.wrapping_neg();
                left ^= bit;
                let (start, len) = ((name >> 16) as usize, (name & 0xffff) as usize);
                if len == t.len() && header::eq_ignore_case(headers.bytes_at(start, len), t) {
                    listed |= bit;
                }
            }
        });
        return match exposure {
            Exposure::All => all & !scan.forbidden,
            Exposure::Listed => scan.safelisted | listed,
            Exposure::Nothing => scan.safelisted,
        };
    }
    let exposed = ExposedNames::of(headers, scan, credentials, star_survives_error);
    if matches!(exposed, ExposedNames::All) {
        return all & !scan.forbidden;
    }
    let mut candidates = candidates;
    let mut visible = scan.safelisted;
    let mut i = 0u32;
    headers.for_each_at(|_, h| {
        if candidates & 1 == 1 && exposed.lists(h.name) {
            visible |= 1 << i;
        }
        candidates >>= 1;
        i += 1;
    });
    visible
}

/// Builds the filtered response for a response tainting
/// (`fetch#concept-filtered-response-basic`, `-cors`, `-opaque`), taking the
/// response and filtering its headers in place.
pub fn filter(
    tainting: crate::request::ResponseTainting,
    response: Response,
    url: &Url,
    url_list_len: usize,
    credentials: CredentialsMode,
) -> FilteredResponse {
    let scan = ResponseScan::of(&response.headers);
    filter_scanned(
        tainting,
        response,
        &scan,
        url.clone(),
        url_list_len,
        credentials,
        false,
    )
}

/// [`filter`] of a response already scanned (`scan` is of its headers,
/// read for taintings `basic` and `cors`), taking the URL;
/// `star_survives_error` is the profile's
/// `FetchKnobs::expose_star_before_parse_error`.
pub(crate) fn filter_scanned(
    tainting: crate::request::ResponseTainting,
    response: Response,
    scan: &ResponseScan,
    url: Url,
    url_list_len: usize,
    credentials: CredentialsMode,
    star_survives_error: bool,
) -> FilteredResponse {
    use crate::request::ResponseTainting as T;
    let headers = response.headers;
    let (response_type, status, url, redirected, visible) = match tainting {
        T::Basic => {
            let visible = if headers.len() <= 64 {
                Visible {
                    first: all_bits(headers.len()) & !scan.forbidden,
                    more: Vec::new(),
                }
            } else {
                visible_where(&headers, |h| NameKind::of(h.name) != NameKind::Forbidden)
            };
            (
                ResponseType::Basic,
                response.status,
                Some(url),
                url_list_len > 1,
                visible,
            )
        }
        T::Cors => {
            let visible = if headers.len() <= 64 {
                Visible {
                    first: cors_visible_bits(&headers, scan, credentials, star_survives_error),
                    more: Vec::new(),
                }
            } else {
                let exposed = ExposedNames::of(&headers, scan, credentials, star_survives_error);
                visible_where(&headers, |h| exposed.visible(h.name))
            };
            (
                ResponseType::Cors,
                response.status,
                Some(url),
                url_list_len > 1,
                visible,
            )
        }
        T::Opaque => (ResponseType::Opaque, 0, None, false, Visible::default()),
    };
    FilteredResponse {
        response_type,
        status,
        url,
        redirected,
        internal: headers,
        visible,
    }
}

/// The headers of a list for which `visible` is true.
fn visible_where(
    headers: &HeaderList,
    mut visible: impl FnMut(crate::header::Header<'_>) -> bool,
) -> Visible {
    let mut v = Visible::default();
    for (i, h) in headers.iter().enumerate() {
        let shown = visible(h);
        if i < 64 {
            v.first |= u64::from(shown) << i;
        } else {
            v.more.push(shown);
        }
    }
    v
}

/// The first `count` bits (at most 64).
fn all_bits(count: usize) -> u64 {
    if count >= 64 {
        u64::MAX
    } else {
        (1u64 << count) - 1
    }
}

/// The opaque-redirect filtered response
/// (`fetch#concept-filtered-response-opaque-redirect`).
pub fn opaque_redirect(url: &Url) -> FilteredResponse {
    opaque_redirect_at(url.clone())
}

/// [`opaque_redirect`], taking the URL.
pub(crate) fn opaque_redirect_at(url: Url) -> FilteredResponse {
    FilteredResponse::new(
        ResponseType::OpaqueRedirect,
        0,
        Some(url),
        false,
        HeaderList::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::ResponseTainting;

    fn url() -> Url {
        Url::parse("https://api.example/x").unwrap_or_else(|_| unreachable!())
    }

    /// The view answers as filtering a copy would, past 64 headers too
    /// (where visibility leaves the first word): the expected list is
    /// worked out from the standard's rules directly.
    #[test]
    fn view_matches_filtering_a_copy_past_64_headers() {
        for count in [0usize, 1, 63, 64, 65, 130] {
            for credentials in [CredentialsMode::Omit, CredentialsMode::Include] {
                let mut response =
                    Response::new(200).with_header("Access-Control-Allow-Origin", "*");
                for i in 0..count {
                    let name = match i % 5 {
                        0 => format!("X-Exposed-{i}"),
                        1 => "Content-Type".to_owned(),
                        2 => "Set-Cookie".to_owned(),
                        3 => format!("X-Hidden-{i}"),
                        _ => "Cache-Control".to_owned(),
                    };
                    response = response.with_header(name, "v");
                }
                let exposed: Vec<String> = (0..count)
                    .filter(|i| i % 5 == 0)
                    .map(|i| format!("x-exposed-{i}"))
                    .collect();
                response =
                    response.with_header("Access-Control-Expose-Headers", exposed.join(", "));
                let expected: Vec<(Vec<u8>, Vec<u8>)> = response
                    .headers
                    .iter()
                    .filter(|h| {
                        let lower = h.name.to_ascii_lowercase();
                        header::is_always_safelisted_response_header_name(&lower)
                            || exposed.iter().any(|e| e.as_bytes() == lower.as_slice())
                    })
                    .map(|h| (h.name.to_vec(), h.value.to_vec()))
                    .collect();
                let seen = filter(
                    ResponseTainting::Cors,
                    response.clone(),
                    &url(),
                    1,
                    credentials,
                );
                let got = visible(&seen);
                assert_eq!(got, expected, "{count} headers, {credentials:?}");
                assert_eq!(seen.headers().len(), expected.len());
                assert_eq!(seen.internal_headers(), &response.headers);
                // Basic: everything but Set-Cookie.
                let basic = filter(
                    ResponseTainting::Basic,
                    response.clone(),
                    &url(),
                    1,
                    credentials,
                );
                assert!(
                    basic
                        .headers()
                        .iter()
                        .all(|h| !h.name.eq_ignore_ascii_case(b"set-cookie"))
                );
                assert_eq!(
                    basic.headers().len(),
                    response
                        .headers
                        .iter()
                        .filter(|h| !h.name.eq_ignore_ascii_case(b"set-cookie"))
                        .count()
                );
                let opaque = filter(ResponseTainting::Opaque, response, &url(), 1, credentials);
                assert!(opaque.headers().is_empty());
            }
        }
    }

    /// Two filtered responses a script cannot tell apart are equal, even
    /// when their hidden headers differ.
    #[test]
    fn equality_is_what_a_script_sees() {
        let a = Response::new(200)
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Content-Type", "text/plain")
            .with_header("X-Secret", "1");
        let b = Response::new(200)
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Content-Type", "text/plain")
            .with_header("X-Secret", "2");
        let c = Response::new(200)
            .with_header("Access-Control-Allow-Origin", "*")
            .with_header("Content-Type", "text/html");
        let f = |r| filter(ResponseTainting::Cors, r, &url(), 1, CredentialsMode::Omit);
        assert_eq!(f(a.clone()), f(b));
        assert_ne!(f(a), f(c));
    }

    /// The headers a filtered response lets a script see, as owned pairs.
    fn visible(seen: &FilteredResponse) -> Vec<(Vec<u8>, Vec<u8>)> {
        seen.headers()
            .iter()
            .map(|h| (h.name.to_vec(), h.value.to_vec()))
            .collect()
    }

    /// The CORS filter as the standard writes it, for comparison: the
    /// `Access-Control-Expose-Headers` values split on commas, each element
    /// trimmed of spaces and tabs, empty ones skipped, any other that is
    /// not a token a failure (nothing exposed); `*` without credentials
    /// exposes every name; a header is visible when its name is one of the
    /// fixed safelisted names, or is listed and is not `Set-Cookie(2)`.
    fn reference_cors_visible(
        headers: &[(Vec<u8>, Vec<u8>)],
        credentials: CredentialsMode,
        star_survives_error: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let is_token = |t: &[u8]| {
            !t.is_empty()
                && t.iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
        };
        let mut listed: Option<Vec<Vec<u8>>> = Some(Vec::new());
        // A `*` read before the first element that is not a token.
        let mut star_before_error = false;
        for (name, value) in headers {
            if !name.eq_ignore_ascii_case(b"access-control-expose-headers") {
                continue;
            }
            for element in value.split(|b| *b == b',') {
                let start = element.iter().position(|b| !matches!(b, b' ' | b'\t'));
                let element = match start {
                    None => continue,
                    Some(s) => {
                        let end = element.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
                        &element[s..=end.unwrap_or(s)]
                    }
                };
                if !is_token(element) {
                    listed = None;
                    break;
                }
                if let Some(l) = &mut listed {
                    star_before_error |= element == b"*";
                    l.push(element.to_ascii_lowercase());
                }
            }
        }
        let star_after_error = star_survives_error && listed.is_none() && star_before_error;
        let listed = listed.unwrap_or_default();
        let all = credentials != CredentialsMode::Include
            && (listed.iter().any(|t| t == b"*") || star_after_error);
        const SAFELISTED: [&[u8]; 7] = [
            b"cache-control",
            b"content-language",
            b"content-length",
            b"content-type",
            b"expires",
            b"last-modified",
            b"pragma",
        ];
        headers
            .iter()
            .filter(|(name, _)| {
                let lower = name.to_ascii_lowercase();
                SAFELISTED.contains(&lower.as_slice())
                    || (lower != b"set-cookie"
                        && lower != b"set-cookie2"
                        && (all || listed.contains(&lower)))
            })
            .cloned()
            .collect()
    }

    mod properties {
        use super::*;
        use proptest::collection::vec;
        use proptest::prelude::*;

        /// Names the filter treats apart, names of the same lengths, and
        /// odd ones, each in a random case.
        fn name() -> impl Strategy<Value = Vec<u8>> {
            let known = prop::sample::select(vec![
                "Content-Type",
                "content-length",
                "Cache-Control",
                "Last-Modified",
                "Pragma",
                "Expires",
                "Content-Language",
                "Set-Cookie",
                "Set-Cookie2",
                "Access-Control-Allow-Origin",
                "Access-Control-Expose-Headers",
                "Access-Control-Allow-Originx",
                "ETag",
                "Date",
                "Vary",
                "X-Request-Id",
                "X-Request-Ie",
                "x",
                "X-A",
                "Server-Timing",
                "X_Odd.Name~",
                "*",
            ])
            .prop_map(|n| n.as_bytes().to_vec());
            let cased = (known, vec(any::<bool>(), 32)).prop_map(|(n, flips)| {
                n.iter()
                    .zip(flips.iter().cycle())
                    .map(|(b, up)| {
                        if *up {
                            b.to_ascii_uppercase()
                        } else {
                            b.to_ascii_lowercase()
                        }
                    })
                    .collect()
            });
            let token = vec(prop::sample::select(b"abcXYZ019-_.!~*'".to_vec()), 1..20);
            let odd = vec(any::<u8>(), 0..6);
            prop_oneof![6 => cased, 3 => token, 1 => odd]
        }

        /// An `Access-Control-Expose-Headers` value: names, `*`, spaces,
        /// tabs and empty elements, sometimes an element that is no token.
        fn expose_value() -> impl Strategy<Value = Vec<u8>> {
            let element = prop_oneof![
                6 => name(),
                1 => Just(b"*".to_vec()),
                1 => Just(Vec::new()),
                1 => Just(b"a b".to_vec()),
                1 => Just(b"\"q\"".to_vec()),
            ];
            let ows = prop::sample::select(vec!["", " ", "\t", "  "]);
            vec((ows.clone(), element, ows), 0..12).prop_map(|elements| {
                let mut v = Vec::new();
                for (i, (a, e, b)) in elements.iter().enumerate() {
                    if i > 0 {
                        v.push(b',');
                    }
                    v.extend_from_slice(a.as_bytes());
                    v.extend_from_slice(e);
                    v.extend_from_slice(b.as_bytes());
                }
                v
            })
        }

        /// A response's headers: up to 80 (past 64 and past the names a
        /// scan keeps), some `Access-Control-Expose-Headers` among them,
        /// and now and then a value long enough to take the list's buffer
        /// past 64 KiB.
        fn headers() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
            let header = || {
                let value = prop_oneof![20 => Just(b"v".to_vec()), 1 => Just(vec![b'v'; 70_000])];
                (name(), value)
            };
            (
                prop_oneof![8 => vec(header(), 0..12), 2 => vec(header(), 12..80)],
                vec((any::<prop::sample::Index>(), expose_value()), 0..3),
            )
                .prop_map(|(mut headers, exposes)| {
                    for (at, value) in exposes {
                        let i = at.index(headers.len() + 1);
                        headers.insert(i, (b"Access-Control-Expose-Headers".to_vec(), value));
                    }
                    headers
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

            /// The CORS filter (and the basic one) agree with the
            /// standard's definition on any header list.
            #[test]
            fn filters_match_the_standard(headers in headers(), include in any::<bool>()) {
                let credentials = if include {
                    CredentialsMode::Include
                } else {
                    CredentialsMode::Omit
                };
                let mut response = Response::new(200);
                for (n, v) in &headers {
                    response = response.with_header(n, v);
                }
                let seen = filter(ResponseTainting::Cors, response.clone(), &url(), 1, credentials);
                let got = visible(&seen);
                prop_assert_eq!(got, reference_cors_visible(&headers, credentials, false));
                // Firefox's reading: a `*` before a failure still counts.
                let scan = ResponseScan::of(&response.headers);
                let seen = filter_scanned(
                    ResponseTainting::Cors,
                    response.clone(),
                    &scan,
                    url(),
                    1,
                    credentials,
                    true,
                );
                let got = visible(&seen);
                prop_assert_eq!(got, reference_cors_visible(&headers, credentials, true));
                let basic = filter(ResponseTainting::Basic, response, &url(), 1, credentials);
                let got: Vec<Vec<u8>> = basic.headers().iter().map(|h| h.name.to_vec()).collect();
                let expected: Vec<Vec<u8>> = headers
                    .iter()
                    .map(|(n, _)| n.clone())
                    .filter(|n| {
                        !n.eq_ignore_ascii_case(b"set-cookie") && !n.eq_ignore_ascii_case(b"set-cookie2")
                    })
                    .collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
