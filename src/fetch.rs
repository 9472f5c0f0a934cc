//! The sans-I/O fetch driver: one fetch from the page's request to what its
//! script sees (`fetch#concept-fetch`, `#main-fetch`, `#http-fetch`,
//! `#http-redirect-fetch`, `#http-network-or-cache-fetch`,
//! `#cors-preflight-fetch`).
//!
//! Sans I/O: no socket, no clock, no thread. The driver says what to send
//! ([`Step::Send`]), the embedder sends it and hands back the response
//! ([`Fetch::receive`]), until the driver is done ([`Step::Done`]).

use std::time::Duration;

use url::Url;

use crate::cache::{CacheKey, PreflightCache};
use crate::error::Refusal;
use crate::header::{self, HeaderList};
use crate::method::{self, Method};
use crate::origin::{Host, Origin};
use crate::outgoing::{Added, Metadata, OriginValue, OutgoingHeaders};
use crate::preflight::{self, ActualRequest};
use crate::profile::{EmptyLocation, Profile, SecFetch};
use crate::request::{
    self, CredentialsMode, Decision, Mode, RedirectMode, ReferrerPolicy, Request, ResponseTainting,
};
use crate::response::{self, FilteredResponse, Response, ResponseScan};
use crate::site::{Psl, SiteMemo};

/// The most redirects a fetch follows (`fetch#http-redirect-fetch`).
pub const REDIRECT_LIMIT: u8 = 20;

/// Everything fetches of one browser profile share: the profile, the
/// CORS-preflight cache and the Public Suffix List. `Send + Sync`.
///
/// ```
/// use std::time::Duration;
/// use crossorigin::{Policy, Profile, Request, Response, Step};
/// let policy = Policy::new(Profile::spec());
/// let request = Request::get("https://api.example/items", "https://app.example").unwrap();
/// let mut fetch = policy.fetch(request, Duration::ZERO);
/// let seen = loop {
///     match fetch.poll() {
///         Step::Send(outgoing) => {
///             assert_eq!(outgoing.headers.get(b"origin").unwrap(), b"https://app.example");
///             let response = Response::new(200)
///                 .with_header("Access-Control-Allow-Origin", "*")
///                 .with_header("Content-Type", "text/plain")
///                 .with_header("X-Secret", "1");
///             fetch.receive(Ok(response), Duration::ZERO);
///         }
///         Step::Done(result) => break result,
///     }
/// };
/// let seen = seen.unwrap();
/// assert_eq!(seen.status, 200);
/// assert_eq!(seen.visible_header_names(), vec!["content-type"]);
/// ```
#[derive(Debug)]
pub struct Policy {
    profile: Profile,
    cache: PreflightCache,
    psl: PslRef,
    /// Registrable domains already looked up in `psl`.
    sites: SiteMemo,
}

#[derive(Debug)]
enum PslRef {
    Shipped(&'static Psl),
    Shared(std::sync::Arc<Psl>),
}

impl std::ops::Deref for PslRef {
    type Target = Psl;
    fn deref(&self) -> &Psl {
        match self {
            PslRef::Shipped(p) => p,
            PslRef::Shared(p) => p,
        }
    }
}

impl Policy {
    /// A policy for this profile, with an empty cache and the shipped PSL.
    pub fn new(profile: Profile) -> Policy {
        Policy {
            cache: PreflightCache::new(profile.cache),
            profile,
            psl: PslRef::Shipped(Psl::shipped()),
            sites: SiteMemo::default(),
        }
    }

    /// A policy with a Public Suffix List the embedder loaded.
    pub fn with_psl(profile: Profile, psl: std::sync::Arc<Psl>) -> Policy {
        Policy {
            cache: PreflightCache::new(profile.cache),
            profile,
            psl: PslRef::Shared(psl),
            sites: SiteMemo::default(),
        }
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The preflight cache.
    pub fn cache(&self) -> &PreflightCache {
        &self.cache
    }

    /// The Public Suffix List.
    pub fn psl(&self) -> &Psl {
        &self.psl
    }

    /// Same site (`html#same-site`) under this policy's list, each host's
    /// registrable domain looked up once per policy.
    fn same_site(&self, a: &Origin, b: &Origin) -> bool {
        self.sites.same_site(&self.psl, a, b)
    }

    /// Starts a fetch of a request as a page's script made it, at time `now`
    /// (any fixed epoch; only differences matter).
    #[inline]
    pub fn fetch(&self, request: Request, now: Duration) -> Fetch<'_> {
        self.fetch_in("", request, now)
    }

    /// Starts a fetch in a network partition (the cache never answers across
    /// partitions).
    pub fn fetch_in<'p>(
        &'p self,
        partition: &'p str,
        mut request: Request,
        now: Duration,
    ) -> Fetch<'p> {
        // The request is checked in place, and a refusal goes straight
        // into the fetch as it is built (in the caller's memory: the fetch
        // is built once, not built and then moved).
        let checked = request::check_script_request_safelisted(&mut request);
        let refused = checked.is_err();
        // The fetch works on the request's method, headers and body, which
        // redirects may rewrite; they move out of the request, uncopied.
        let headers = std::mem::take(&mut request.headers);
        let origin_serialized = Serialized::of(&request.origin);
        // Fetching step: `Accept: */*` where the script set none. It is
        // the list's last header; it stays out of the script's buffer until
        // a rule needs the whole list ([`Fetch::accept_default`]).
        let accept_added = !headers.contains(b"accept");
        // Which headers are CORS-unsafe, from what the check found.
        let unsafe_names = match &checked {
            Ok(Some(safe)) => {
                request::unsafe_bits_checked(*safe, &headers, accept_added, &self.profile)
                    .map_or(UnsafeNames::Unknown, UnsafeNames::Bits)
            }
            _ => UnsafeNames::Unknown,
        };
        let Request {
            url,
            origin,
            method,
            body,
            mode,
            credentials,
            redirect: redirect_mode,
            use_cors_preflight,
            referrer_policy,
            ..
        } = request;
        let original_get_or_head = method == b"GET" || method == b"HEAD";
        Fetch {
            policy: self,
            partition,
            url_list: Vec::new(),
            method,
            body,
            headers,
            accept_default: accept_added,
            out: HeaderList::new(),
            added: Added::default(),
            unsafe_names,
            sticky_headers: None,
            force_preflight: false,
            same_origin: false,
            trustworthy: false,
            preflight_hash: None,
            site: None,
            origin_serialized,
            tainted: false,
            cross_origin_hop: false,
            authorization_unsent: false,
            in_preflight: false,
            method_rewritten: false,
            first_url: Some(url),
            original_get_or_head,
            origin,
            mode,
            credentials,
            redirect_mode,
            use_cors_preflight,
            referrer_policy,
            tainting: ResponseTainting::Basic,
            redirect_count: 0,
            preflight_branch: false,
            state: if refused {
                State::Done
            } else {
                State::MainFetch
            },
            result: checked.err().map(Err),
            last: None,
            scan: ResponseScan::default(),
            now,
            preflights: 0,
            requests: 0,
        }
    }
}

/// What the driver wants next: from [`Fetch::poll`] with an owned
/// [`Outgoing`], from [`Fetch::poll_ref`] with an [`OutgoingRef`] borrowed
/// from the fetch.
#[derive(Debug)]
pub enum Step<S = Outgoing> {
    /// Send this request and hand its response to [`Fetch::receive`].
    Send(S),
    /// The fetch is over: the response the script sees, or the network
    /// error it gets, with the reason.
    Done(Result<FilteredResponse, Refusal>),
}

/// A request to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The method.
    pub method: Method,
    /// The URL.
    pub url: Url,
    /// Every header the browser sends, in order (cookies and `Authorization`
    /// from the browser's own stores excepted: see `credentials`).
    pub headers: HeaderList,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// Whether this is a CORS preflight.
    pub is_preflight: bool,
    /// Whether the browser would attach its cookies and HTTP authentication
    /// (`includeCredentials` of `fetch#http-network-or-cache-fetch`).
    pub credentials: bool,
}

impl Outgoing {
    /// Converts to an `http::Request` at the edge. Fails where `http` cannot
    /// hold a method, URL or header byte that the browser would send.
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>, http::Error> {
        self.borrowed().to_http()
    }

    /// The same request, borrowed.
    pub fn borrowed(&self) -> OutgoingRef<'_> {
        OutgoingRef {
            method: &self.method,
            url: &self.url,
            headers: OutgoingHeaders::whole(&self.headers),
            body: self.body.as_deref(),
            is_preflight: self.is_preflight,
            credentials: self.credentials,
        }
    }
}

/// A request to put on the wire, borrowed from the [`Fetch`] that made it
/// ([`Fetch::poll_ref`]): the same fields as [`Outgoing`], without copying
/// the method, URL, headers and body. [`OutgoingRef::into_owned`] makes an
/// [`Outgoing`] for keeping.
///
/// ```
/// use std::time::Duration;
/// use crossorigin::{Policy, Profile, Request, Response, Step};
/// let policy = Policy::new(Profile::spec());
/// let request = Request::get("https://api.example/items", "https://app.example").unwrap();
/// let mut fetch = policy.fetch(request, Duration::ZERO);
/// let mut sent = Vec::new();
/// let result = loop {
///     match fetch.poll_ref() {
///         Step::Send(outgoing) => {
///             assert_eq!(outgoing.url.as_str(), "https://api.example/items");
///             sent.push(outgoing.into_owned());
///             let response = Response::new(200).with_header("Access-Control-Allow-Origin", "*");
///             fetch.receive(Ok(response), Duration::ZERO);
///         }
///         Step::Done(result) => break result,
///     }
/// };
/// assert_eq!(result.unwrap().status, 200);
/// assert_eq!(sent[0].method, b"GET");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutgoingRef<'a> {
    /// The method.
    pub method: &'a [u8],
    /// The URL.
    pub url: &'a Url,
    /// Every header the browser sends, in order (cookies and `Authorization`
    /// from the browser's own stores excepted: see `credentials`): the
    /// request's own, then those the browser adds.
    pub headers: OutgoingHeaders<'a>,
    /// The body.
    pub body: Option<&'a [u8]>,
    /// Whether this is a CORS preflight.
    pub is_preflight: bool,
    /// Whether the browser would attach its cookies and HTTP authentication
    /// (`includeCredentials` of `fetch#http-network-or-cache-fetch`).
    pub credentials: bool,
}

impl OutgoingRef<'_> {
    /// An owned copy, for keeping past the next [`Fetch::receive`].
    pub fn into_owned(self) -> Outgoing {
        Outgoing {
            method: Method::from(self.method),
            url: self.url.clone(),
            headers: self.headers.to_header_list(),
            body: self.body.map(<[u8]>::to_vec),
            is_preflight: self.is_preflight,
            credentials: self.credentials,
        }
    }

    /// Converts to an `http::Request` at the edge. Fails where `http` cannot
    /// hold a method, URL or header byte that the browser would send.
    pub fn to_http(&self) -> Result<http::Request<Vec<u8>>, http::Error> {
        let mut builder = http::Request::builder()
            .method(http::Method::from_bytes(self.method)?)
            .uri(self.url.as_str());
        for h in self.headers {
            builder = builder.header(
                http::HeaderName::from_bytes(h.name)?,
                http::HeaderValue::from_bytes(h.value)?,
            );
        }
        builder.body(self.body.map(<[u8]>::to_vec).unwrap_or_default())
    }
}

/// Which of a fetch's request headers are CORS-unsafe, worked out once:
/// the decision, the cache lookup, the preflight's
/// `Access-Control-Request-Headers` and the preflight validation all ask.
#[derive(Clone, Copy, Debug)]
enum UnsafeNames {
    /// Not asked yet.
    Unknown,
    /// One bit per header, by position.
    Bits(u64),
    /// More than 64 headers, or same-name headers the profile combines: asked of the list each time.
    Many,
}

impl UnsafeNames {
    fn of(headers: &HeaderList, profile: &Profile) -> UnsafeNames {
        match request::unsafe_bits(headers, profile) {
            Some(bits) => UnsafeNames::Bits(bits),
            None => UnsafeNames::Many,
        }
    }
}

/// The names of the headers of a list whose bit is set, the lowest bit
/// first (see [`UnsafeNames::Bits`]).
struct UnsafeBits<'a> {
    headers: crate::header::Iter<'a>,
    /// The bits of the headers not yet read, the next one lowest.
    bits: u64,
    /// Whether the fetch's `Accept: */*` follows the list
    /// (`Fetch::accept_default`).
    accept: bool,
}

impl<'a> Iterator for UnsafeBits<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            // Past the last unsafe header there is nothing to read.
            if self.bits == 0 {
                return None;
            }
            let Some(h) = self.headers.next() else {
                // Past the list: the fetch's `Accept`, when it is unsafe.
                let accept = self.accept && self.bits & 1 == 1;
                self.bits = 0;
                return accept.then_some(&b"Accept"[..]);
            };
            let unsafe_bit = self.bits & 1 == 1;
            self.bits >>= 1;
            if unsafe_bit {
                return Some(h.name);
            }
        }
    }
}

/// Which request the driver has ready to send.
#[derive(Clone, Copy, Debug)]
enum Ready {
    Preflight,
    Actual,
}

/// The response to an [`Outgoing`] request could not be had: the connection
/// failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkFailure;

#[derive(Clone, Copy, Debug)]
enum State {
    MainFetch,
    SendActual,
    AwaitPreflight,
    AwaitActual,
    /// Over: the result waits in `Fetch::result` until polled.
    Done,
}

/// One fetch in progress. See [`Policy::fetch`].
#[derive(Debug)]
pub struct Fetch<'p> {
    policy: &'p Policy,
    partition: &'p str,
    /// The request's first URL, until the response that ends the fetch
    /// takes it (see [`Fetch::current_url`]).
    first_url: Option<Url>,
    /// The URL list after its first URL: one per redirect.
    url_list: Vec<Url>,
    /// The request's origin.
    origin: Origin,
    mode: Mode,
    credentials: CredentialsMode,
    redirect_mode: RedirectMode,
    use_cors_preflight: bool,
    referrer_policy: ReferrerPolicy,
    /// Whether the script's method was `GET` or `HEAD` (redirects may
    /// rewrite `method`).
    original_get_or_head: bool,
    /// The request origin's serialization, computed once.
    origin_serialized: Serialized,
    /// Whether the redirect-taint is not "same-origin" (`Origin: null`).
    tainted: bool,
    /// Whether a redirect went to another origin than the URL before it.
    cross_origin_hop: bool,
    /// Whether `Authorization`, kept in `headers` for the preflight, is
    /// left out of what is sent
    /// ([`crate::profile::FetchKnobs::authorization_preflighted_after_cross_origin_redirect`]).
    authorization_unsent: bool,
    /// Whether the response being handled answers a preflight.
    in_preflight: bool,
    /// Whether a redirect rewrote the method to `GET`.
    method_rewritten: bool,
    /// The method, as the script set it or a redirect rewrote it.
    method: Method,
    /// The request's headers as the script set them, `Accept` added where
    /// it set none (less those a redirect removed); see `accept_default`.
    headers: HeaderList,
    /// Whether `headers` is still without the `Accept: */*` the fetch
    /// added as its last header: the usual fetch reads its headers only
    /// through the unsafe bits and the outgoing view, which both count it,
    /// and preflight validation, which reads the unsafe names and never
    /// `Accept` in the list itself; every other rule has it appended
    /// first ([`Fetch::materialize_accept`]).
    accept_default: bool,
    /// The preflight's own headers, once one is sent. The buffer comes from
    /// and goes back to a per-thread pool ([`spare`]), so a preflight does
    /// not allocate for it.
    out: HeaderList,
    /// The headers the browser adds to the request last sent, preflight or
    /// actual, decided.
    added: Added,
    /// Which of `headers` are CORS-unsafe, once asked (until a redirect
    /// changes them).
    unsafe_names: UnsafeNames,
    /// The header list before a redirect of a preflighted request, whose
    /// unsafe names later hops preflight for
    /// ([`crate::profile::FetchKnobs::repreflight_once_preflighted`]).
    sticky_headers: Option<HeaderList>,
    /// Every later hop is preflighted
    /// ([`crate::profile::FetchKnobs::repreflight_after_redirect`]).
    force_preflight: bool,
    /// Whether the request's origin is the current URL's, worked out when
    /// main fetch starts on it.
    same_origin: bool,
    /// Whether the current URL is potentially trustworthy, worked out when
    /// main fetch starts on it.
    trustworthy: bool,
    /// The cache's hash of the key the last preflight was looked up under
    /// (the same key its answer is stored under).
    preflight_hash: Option<u64>,
    /// `Sec-Fetch-Site` for the current URL list, once worked out.
    site: Option<&'static str>,
    body: Option<Vec<u8>>,
    tainting: ResponseTainting,
    redirect_count: u8,
    /// Whether a hop went through main fetch's preflight branch, whose
    /// network errors clear the cache.
    preflight_branch: bool,
    state: State,
    /// The result, once the fetch is over and until it is polled.
    result: Option<Result<FilteredResponse, Refusal>>,
    /// The response that ends the fetch, once received and until polled:
    /// it is filtered into the poll's answer, so the filtered response is
    /// built where it is returned.
    last: Option<Response>,
    /// The scan of the last response received (of `last`, once there is
    /// one), written in place (see [`ResponseScan::fill`]).
    scan: ResponseScan,
    now: Duration,
    preflights: u32,
    requests: u32,
}

impl Fetch<'_> {
    /// How many requests went on the wire so far, preflights included.
    pub fn requests_sent(&self) -> u32 {
        self.requests
    }

    /// How many CORS preflights went on the wire so far.
    pub fn preflights_sent(&self) -> u32 {
        self.preflights
    }

    /// The request's current URL. Once the fetch has yielded a response,
    /// that URL has moved into the response ([`FilteredResponse::url`]):
    /// this then returns the URL before it in the URL list, or
    /// `about:blank` when there was none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use crossorigin::{Policy, Profile, Request, Response, Step};
    /// let policy = Policy::new(Profile::spec());
    /// let request = Request::get("https://api.example/a", "https://app.example").unwrap();
    /// let mut fetch = policy.fetch(request, Duration::ZERO);
    /// assert_eq!(fetch.current_url().as_str(), "https://api.example/a");
    /// let Step::Send(_) = fetch.poll_ref() else { panic!() };
    /// let ok = Response::new(200).with_header("Access-Control-Allow-Origin", "*");
    /// fetch.receive(Ok(ok), Duration::ZERO);
    /// let Step::Done(Ok(seen)) = fetch.poll_ref() else { panic!() };
    /// assert_eq!(seen.url.unwrap().as_str(), "https://api.example/a");
    /// assert_eq!(fetch.current_url().as_str(), "about:blank");
    /// ```
    pub fn current_url(&self) -> &Url {
        match (self.url_list.last(), &self.first_url) {
            (Some(url), _) | (None, Some(url)) => url,
            (None, None) => about_blank(),
        }
    }

    /// Moves the current URL out, for the response that ends the fetch.
    fn take_current_url(&mut self) -> Url {
        match self.url_list.pop() {
            Some(url) => url,
            None => self
                .first_url
                .take()
                .unwrap_or_else(|| about_blank().clone()),
        }
    }

    /// Appends the `Accept: */*` the fetch added (`accept_default`) to
    /// `headers`, copied into a pooled buffer with room to spare rather
    /// than growing the script's.
    fn materialize_accept(&mut self) {
        if !std::mem::take(&mut self.accept_default) {
            return;
        }
        let mut with = HeaderList::from_spare(spare::take());
        with.extend_from(&self.headers);
        with.append("Accept", "*/*");
        spare::give_back(std::mem::replace(&mut self.headers, with).into_spare());
    }

    /// The whole URL list (`fetch#concept-request-url-list`).
    fn urls(&self) -> impl Iterator<Item = &Url> {
        self.first_url.iter().chain(&self.url_list)
    }

    fn url_list_len(&self) -> usize {
        usize::from(self.first_url.is_some()) + self.url_list.len()
    }

    /// What to do next. After [`Step::Send`], hand the response to
    /// [`Fetch::receive`] before polling again; polling instead counts as a
    /// failed connection. A finished fetch yields its result once, then a
    /// `NetworkFailure` refusal.
    ///
    /// The request to send comes as an owned [`Outgoing`]: a copy of the
    /// method, URL, headers and body. [`Fetch::poll_ref`] lends them instead.
    pub fn poll(&mut self) -> Step {
        match self.poll_ref() {
            Step::Send(outgoing) => Step::Send(outgoing.into_owned()),
            Step::Done(result) => Step::Done(result),
        }
    }

    /// [`Fetch::poll`] without the copy: the request to send is borrowed
    /// from the fetch until the next call to [`Fetch::receive`] (use
    /// [`OutgoingRef::into_owned`] to keep it).
    pub fn poll_ref(&mut self) -> Step<OutgoingRef<'_>> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::MainFetch => match self.main_fetch() {
                    Ok(Some(ready)) => return Step::Send(self.prepare(ready)),
                    Ok(None) => continue,
                    Err(e) => self.finish(Err(e)),
                },
                State::SendActual => {
                    self.state = State::AwaitActual;
                    return Step::Send(self.prepare(Ready::Actual));
                }
                State::AwaitPreflight | State::AwaitActual => {
                    self.fail(Refusal::NetworkFailure);
                }
                State::Done => {
                    if let Some(response) = self.last.take() {
                        return Step::Done(Ok(self.filter_last(response)));
                    }
                    return Step::Done(self.result.take().unwrap_or(Err(Refusal::NetworkFailure)));
                }
            }
        }
    }

    /// Builds the request that is ready and lends it.
    fn prepare(&mut self, ready: Ready) -> OutgoingRef<'_> {
        // The preflight and the actual request to one URL share it.
        if self.site.is_none() && self.sends_metadata() {
            self.site = Some(self.sec_fetch_site());
        }
        match ready {
            Ready::Preflight => self.preflight_outgoing(),
            Ready::Actual => self.actual_outgoing(),
        }
    }

    fn finish(&mut self, result: Result<FilteredResponse, Refusal>) {
        self.state = State::Done;
        self.result = Some(result);
    }

    /// Ends the fetch with a refusal that came after a request was sent
    /// (a response, or the failure to get one), clearing the preflight
    /// cache entries where the standard or the profile says so.
    fn fail(&mut self, refusal: Refusal) {
        let knobs = &self.policy.profile.fetch;
        let clears = if self.in_preflight {
            knobs.clear_cache_after_failed_preflight
        } else {
            knobs.clear_cache_after_actual_failure
        };
        // Outside the preflight branch only where the profile says so:
        // a CORS request (tainting `cors`) refused after it was sent.
        let clears_outside = !self.preflight_branch
            && knobs.clear_cache_outside_preflight_branch
            && self.tainting == ResponseTainting::Cors;
        if (self.preflight_branch && clears) || clears_outside {
            // fetch#main-fetch: a network error in the preflight branch
            // clears the cache entries for the request.
            self.policy.cache.clear(&CacheKey {
                partition: self.partition,
                origin: self.serialized_origin(),
                url: self.current_url().as_str(),
            });
        }
        self.finish(Err(refusal));
    }

    /// Main fetch's decision for the current URL; returns the step to take,
    /// or `None` to go on with the state it set.
    fn main_fetch(&mut self) -> Result<Option<Ready>, Refusal> {
        if !matches!(self.unsafe_names, UnsafeNames::Bits(_)) {
            // The rules below then ask the whole list.
            self.materialize_accept();
        }
        self.same_origin = self.origin.same_origin_with_url(self.current_url());
        self.trustworthy = is_potentially_trustworthy(self.current_url());
        let (known, headers, profile) = (self.unsafe_names, &self.headers, &self.policy.profile);
        let sticky = self.sticky_headers.is_some() || self.force_preflight;
        let decision = request::decide_at(
            self.mode,
            self.redirect_mode,
            self.use_cors_preflight,
            self.current_url(),
            self.same_origin,
            &self.method,
            // Not worked out here: the first unsafe header answers, and a
            // simple request never asks again.
            || match known {
                _ if sticky => true,
                UnsafeNames::Bits(bits) => bits != 0,
                _ => request::has_unsafe_header(headers, profile),
            },
            self.tainting != ResponseTainting::Basic,
            // Asked only of a URL that is not potentially trustworthy.
            || {
                (!self.trustworthy || profile.fetch.mixed_content_blocks_localhost)
                    && request::is_mixed_content(&self.origin, self.current_url(), profile)
            },
        )?;
        match decision {
            Decision::SameOrigin | Decision::Navigate => {
                self.tainting = ResponseTainting::Basic;
            }
            Decision::NoCors => self.tainting = ResponseTainting::Opaque,
            Decision::Cors => self.tainting = ResponseTainting::Cors,
            Decision::CorsWithPreflight => {
                self.tainting = ResponseTainting::Cors;
                self.preflight_branch = true;
                if matches!(self.unsafe_names, UnsafeNames::Unknown) {
                    self.unsafe_names = UnsafeNames::of(&self.headers, &self.policy.profile);
                }
                let (needed, hash) = self.preflight_needed();
                self.preflight_hash = hash;
                if needed {
                    self.state = State::AwaitPreflight;
                    return Ok(Some(Ready::Preflight));
                }
            }
        }
        if !request::is_http_scheme(self.current_url()) {
            // Nothing goes on the wire for another scheme.
            return self.scheme_fetch();
        }
        self.state = State::SendActual;
        Ok(None)
    }

    /// `fetch#concept-scheme-fetch` for a URL that is not HTTP(S): a
    /// `data:` URL gives its data URL processor's response (or a network
    /// error where that fails); `about:blank` an empty
    /// `text/html;charset=utf-8` response where the profile lets a fetch
    /// have it; anything else (another `about:` URL, `file:`, a `blob:`
    /// URL the engine has no store for, any other scheme) is a network
    /// error. The response is filtered by the tainting main fetch set
    /// (`basic` for `data:`, which main fetch treats as same-origin).
    #[cold]
    fn scheme_fetch(&mut self) -> Result<Option<Ready>, Refusal> {
        let url = self.current_url();
        let knobs = &self.policy.profile.fetch;
        let response = match url.scheme() {
            "data" => data_url_response(url, knobs.data_url_content_length).ok_or_else(|| {
                Refusal::InvalidDataUrl {
                    url: url.to_string(),
                }
            })?,
            "about" if url.path() == "blank" && knobs.about_blank_fetchable => {
                Response::new(200).with_header("Content-Type", "text/html;charset=utf-8")
            }
            _ => {
                return Err(Refusal::UnsupportedScheme {
                    url: url.to_string(),
                });
            }
        };
        let filtered = response::filter(
            self.tainting,
            response,
            url,
            self.url_list_len(),
            self.credentials,
        );
        self.finish(Ok(filtered));
        Ok(None)
    }

    /// `fetch#http-fetch` step 3.1: whether the cache fails to cover the
    /// method or a CORS-unsafe header name, and the hash of the key it
    /// looked up (for storing the preflight's answer under; `None` when
    /// the thread's last answer was given again, without hashing).
    fn preflight_needed(&self) -> (bool, Option<u64>) {
        let origin = self.preflight_origin();
        let key = CacheKey {
            partition: self.partition,
            origin,
            url: self.current_url().as_str(),
        };
        let credentials = self.credentials == CredentialsMode::Include;
        let profile = &self.policy.profile;
        let method_needs = !method::is_cors_safelisted_method(&self.method)
            || self.use_cors_preflight
            || (profile.cache.head_needs_method_entry && self.method == b"HEAD");
        // One cache lookup for the method and every CORS-unsafe name; the
        // key's hash is kept for storing the preflight's answer.
        let method = method_needs.then_some(&self.method[..]);
        let with_wildcard = |name| {
            let wildcard_applies = profile.cache_wildcard_covers_authorization
                || !header::is_cors_non_wildcard_request_header_name(name);
            (name, wildcard_applies)
        };
        let cache = &self.policy.cache;
        let (covered, hash) = match (self.unsafe_names, &self.sticky_headers) {
            // The usual case: the names from the bits.
            (UnsafeNames::Bits(bits), None) => {
                cache.covers(&key, method, credentials, self.now, || {
                    UnsafeBits {
                        headers: self.headers.iter(),
                        bits,
                        accept: self.accept_default,
                    }
                    .map(with_wildcard)
                })
            }
            _ => {
                let names = self.unsafe_gathered();
                cache.covers(&key, method, credentials, self.now, || {
                    names.iter().copied().map(with_wildcard)
                })
            }
        };
        (!covered, hash)
    }

    /// The names of the CORS-unsafe request headers
    /// ([`request::for_each_unsafe_header`]) gathered from the list (more
    /// than 64 headers, combined names, or the headers before a redirect).
    #[inline(never)]
    fn unsafe_gathered(&self) -> Vec<&[u8]> {
        let mut names = Vec::new();
        let list = self.sticky_headers.as_ref().unwrap_or(&self.headers);
        request::for_each_unsafe_header(list, &self.policy.profile, |n| names.push(n));
        names
    }

    /// Calls `f` with the name of each CORS-unsafe request header
    /// ([`request::for_each_unsafe_header`]), from the bits worked out once
    /// when there are.
    #[inline]
    fn for_each_unsafe<'a>(&'a self, mut f: impl FnMut(&'a [u8])) {
        if let Some(sticky) = &self.sticky_headers {
            return request::for_each_unsafe_header(sticky, &self.policy.profile, f);
        }
        match self.unsafe_names {
            UnsafeNames::Bits(mut bits) => {
                // Past the last unsafe header there is nothing to read.
                let mut headers = self.headers.iter();
                while bits != 0 {
                    let Some(h) = headers.next() else {
                        // Past the list: the fetch's `Accept`, when unsafe.
                        if self.accept_default && bits & 1 == 1 {
                            f(b"Accept");
                        }
                        break;
                    };
                    if bits & 1 == 1 {
                        f(h.name);
                    }
                    bits >>= 1;
                }
            }
            _ => request::for_each_unsafe_header(&self.headers, &self.policy.profile, f),
        }
    }

    /// Hands the driver the response to the request it last sent, or the
    /// failure to get one, at time `now`.
    pub fn receive(&mut self, response: Result<Response, NetworkFailure>, now: Duration) {
        self.now = self.now.max(now);
        let state = std::mem::replace(&mut self.state, State::Done);
        self.in_preflight = matches!(state, State::AwaitPreflight);
        let response = match response {
            Ok(r) => r,
            Err(NetworkFailure) => {
                if matches!(state, State::AwaitPreflight | State::AwaitActual) {
                    self.fail(Refusal::NetworkFailure);
                } else {
                    self.state = state;
                }
                return;
            }
        };
        match state {
            State::AwaitPreflight => self.on_preflight_response(&response),
            State::AwaitActual => self.on_actual_response(response),
            other => self.state = other,
        }
    }

    fn on_preflight_response(&mut self, response: &Response) {
        // Validation reads the unsafe names (the added `Accept` among them
        // when it is unsafe) and, of the list itself, only names that are
        // never `Accept` (step 7.6): the list may stay without it.
        let known_hash = self.preflight_hash.take();
        if !(100..=999).contains(&response.status) {
            return self.fail(Refusal::InvalidResponse {
                status: response.status,
            });
        }
        let origin = self.preflight_origin();
        let actual = ActualRequest {
            method: &self.method,
            headers: &self.headers,
            credentials: self.credentials,
            use_cors_preflight: self.use_cors_preflight,
            origin,
        };
        // The allowed methods and names, read by validation, stored from here.
        let mut lists = preflight::Listed::new();
        let profile = &self.policy.profile;
        // The unsafe names are the headers' own, unless they are the
        // headers' before a redirect.
        let names_of_headers = self.sticky_headers.is_none();
        let validated = if profile.fetch.same_origin_preflight_skips_cors_check && self.same_origin
        {
            // Firefox leaves a preflight to the request's own origin
            // unchecked.
            preflight::validate_into::<false>(
                &actual,
                response,
                profile,
                |f| self.for_each_unsafe(f),
                names_of_headers,
                &mut lists,
            )
        } else {
            preflight::validate_into::<true>(
                &actual,
                response,
                profile,
                |f| self.for_each_unsafe(f),
                names_of_headers,
                &mut lists,
            )
        };
        match validated {
            Ok(result) => {
                let key = CacheKey {
                    partition: self.partition,
                    origin,
                    url: self.current_url().as_str(),
                };
                let hash = match known_hash {
                    Some(hash) => hash,
                    None => self.policy.cache.hash(&key),
                };
                // Chromium caches nothing for a page of an opaque origin.
                if self.policy.profile.cache.opaque_origin_cached || !self.origin.is_opaque() {
                    result.with_lists(&lists, |methods, headers| {
                        self.policy.cache.store_hashed(
                            hash,
                            &key,
                            self.credentials == CredentialsMode::Include,
                            methods,
                            headers,
                            result.max_age,
                            self.now,
                        )
                    });
                }
                self.state = State::SendActual;
            }
            Err(e) => self.fail(e),
        }
    }

    fn on_actual_response(&mut self, response: Response) {
        let status = response.status;
        if !(100..=999).contains(&status) {
            return self.fail(Refusal::InvalidResponse { status });
        }
        // One pass over the names finds what the CORS check and the CORS
        // filter read.
        self.scan = ResponseScan::default();
        if self.tainting != ResponseTainting::Opaque {
            self.scan.fill(&response.headers);
        }
        let scan = &self.scan;
        // fetch#http-fetch: the CORS check, on every response including redirects.
        if self.tainting == ResponseTainting::Cors {
            if let Err(e) = crate::cors::cors_check_scanned(
                self.serialized_origin(),
                self.credentials,
                &response.headers,
                scan,
            ) {
                return self.fail(Refusal::CorsCheck(e));
            }
        }
        // fetch#cross-origin-resource-policy-check, for opaque responses.
        if self.tainting == ResponseTainting::Opaque {
            if let Some(policy) = self.corp_blocks(&response) {
                return self.fail(Refusal::BlockedByResponse { policy });
            }
        }
        if response::is_redirect_status(status) {
            let knobs = &self.policy.profile.fetch;
            if self.redirect_mode != RedirectMode::Manual {
                let location = response.headers.get(b"location");
                match location.as_deref() {
                    None if knobs.redirect_needs_location => {
                        return self.finish_with(response);
                    }
                    Some([]) if knobs.empty_location == EmptyLocation::NoRedirect => {
                        return self.finish_with(response);
                    }
                    Some([]) if knobs.empty_location == EmptyLocation::Fails => {
                        return self.fail(Refusal::InvalidRedirectLocation {
                            location: Vec::new(),
                        });
                    }
                    _ => {}
                }
            }
            match self.redirect_mode {
                RedirectMode::Error => return self.fail(Refusal::RedirectModeError),
                RedirectMode::Manual if self.mode != Mode::Navigate => {
                    let url = self.take_current_url();
                    return self.finish(Ok(response::opaque_redirect_at(url)));
                }
                _ => {
                    return match self.redirect(&response) {
                        Ok(true) => self.state = State::MainFetch,
                        Ok(false) => self.finish_with(response),
                        Err(e) => self.fail(e),
                    };
                }
            }
        }
        self.finish_with(response);
    }

    /// Ends the fetch with `response` (scanned): what the script sees is
    /// its filtered response ([`Fetch::filter_last`], when polled).
    fn finish_with(&mut self, response: Response) {
        self.state = State::Done;
        self.last = Some(response);
    }

    /// The filtered response of the response that ended the fetch (with
    /// its scan, `self.scan`); the current URL moves into it.
    #[inline(always)]
    fn filter_last(&mut self, response: Response) -> FilteredResponse {
        let url_list_len = self.url_list_len();
        let url = self.take_current_url();
        response::filter_scanned(
            self.tainting,
            response,
            &self.scan,
            url,
            url_list_len,
            self.credentials,
            self.policy.profile.fetch.expose_star_before_parse_error,
        )
    }

    /// HTTP-redirect fetch (`fetch#http-redirect-fetch`): `Ok(true)` when the
    /// request now points at the next URL, `Ok(false)` when the response has
    /// no `Location` and is the response.
    fn redirect(&mut self, response: &Response) -> Result<bool, Refusal> {
        // Redirects edit and copy the whole list.
        self.materialize_accept();
        // Step 3: the location URL (`fetch#concept-response-location-url`).
        let mut locations = response.headers.values(b"location");
        let Some(first) = locations.next() else {
            return Ok(false);
        };
        let combined;
        let location = if locations.next().is_some() {
            combined = response.headers.get(b"location").unwrap_or_default();
            if !self.policy.profile.fetch.multiple_locations_combined {
                return Err(Refusal::InvalidRedirectLocation { location: combined });
            }
            &combined[..]
        } else {
            first
        };
        let current = self.current_url().clone();
        let knobs = self.policy.profile.fetch;
        let mut text = if knobs.location_isomorphic_decoded && !location.is_ascii() {
            // WebKit: each byte is the code point of its value.
            std::borrow::Cow::Owned(location.iter().map(|&b| char::from(b)).collect())
        } else {
            String::from_utf8_lossy(location)
        };
        // Firefox: a tab in `Location` is percent-encoded, not removed.
        if knobs.location_tab_percent_encoded && text.contains('\t') {
            text = std::borrow::Cow::Owned(text.replace('\t', "%09"));
        }
        let mut location_url =
            current
                .join(&text)
                .map_err(|_| Refusal::InvalidRedirectLocation {
                    location: location.to_vec(),
                })?;
        if location_url.fragment().is_none() {
            location_url.set_fragment(current.fragment());
        }
        // Step 6.
        if !matches!(location_url.scheme(), "http" | "https") {
            return Err(Refusal::RedirectToNonHttpScheme {
                url: location_url.to_string(),
            });
        }
        // Step 7-8.
        if self.redirect_count >= REDIRECT_LIMIT {
            return Err(Refusal::TooManyRedirects);
        }
        self.redirect_count += 1;
        let has_credentials =
            !location_url.username().is_empty() || location_url.password().is_some();
        // Step 9-10.
        if has_credentials
            && (self.policy.profile.fetch.redirect_to_userinfo_fails
                || (self.mode == Mode::Cors && !self.origin.same_origin_with_url(&location_url))
                || self.tainting == ResponseTainting::Cors)
        {
            return Err(Refusal::RedirectContainsCredentials {
                url: location_url.to_string(),
            });
        }
        // WebKit checks a redirect as credentialed when the request would
        // have sent credentials to its first URL (after the checks of the
        // location above, which its network process makes first).
        if knobs.redirect_cors_check_uses_initial_credentials {
            self.cors_check_with_initial_credentials(response)?;
        }
        let cross_origin = Origin::of(&current) != Origin::of(&location_url);
        // Firefox: a request that was CORS-unsafe before a redirect is
        // preflighted on every later hop, for the names it still has.
        if knobs.repreflight_after_redirect
            && (!method::is_cors_safelisted_method(&self.method)
                || request::has_unsafe_header(&self.headers, &self.policy.profile))
        {
            self.force_preflight = true;
        }
        // WebKit: later hops of a preflighted request are preflighted again
        // for the unsafe names it had before.
        if self.preflight_branch
            && knobs.repreflight_once_preflighted
            && self.sticky_headers.is_none()
        {
            self.sticky_headers = Some(self.headers.clone());
        }
        // Step 12: method and body rewrite (and WebKitGTK's `DELETE` sent
        // to another origin).
        let status = response.status;
        if ((status == 301 || status == 302) && self.method == b"POST")
            || (status == 303 && self.method != b"GET" && self.method != b"HEAD")
            || (knobs.cross_origin_redirect_delete_becomes_get
                && cross_origin
                && self.method == b"DELETE")
        {
            self.method = Method::GET;
            self.method_rewritten = true;
            self.body = None;
            self.headers
                .retain(|h| !header::is_request_body_header_name(h.name));
        }
        // Step 13: `Authorization` goes when the origin changes.
        if cross_origin {
            self.cross_origin_hop = true;
            if knobs.authorization_preflighted_after_cross_origin_redirect {
                self.authorization_unsent = true;
            } else {
                self.headers
                    .retain(|h| !header::is_cors_non_wildcard_request_header_name(h.name));
            }
        }
        // Step 16.
        self.url_list.push(location_url);
        self.unsafe_names = UnsafeNames::Unknown;
        self.site = None;
        self.tainted = self.redirect_taint() != Taint::SameOrigin;
        Ok(true)
    }

    /// The CORS check of a redirect response made as if the credentials
    /// mode were `include`, where
    /// [`crate::profile::FetchKnobs::redirect_cors_check_uses_initial_credentials`]
    /// says so: the response comes from a URL the request reached as a
    /// CORS request, its credentials mode is `same-origin`, and its first
    /// URL is same origin with its origin. The check with the request's
    /// own credentials mode has passed already.
    #[cold]
    fn cors_check_with_initial_credentials(&self, response: &Response) -> Result<(), Refusal> {
        let credentialed_start = self.tainting == ResponseTainting::Cors
            && self.credentials == CredentialsMode::SameOrigin
            && self
                .first_url
                .as_ref()
                .is_some_and(|first| self.origin.same_origin_with_url(first));
        if !credentialed_start {
            return Ok(());
        }
        // The headers are scanned again (`cors_check`, not the scanned
        // form the usual check inlines): this path is rare.
        crate::cors::cors_check(
            self.serialized_origin(),
            CredentialsMode::Include,
            &response.headers,
        )
        .map_err(Refusal::CorsCheck)
    }

    /// The redirect-taint of the request (`fetch#concept-request-tainted-origin`).
    fn redirect_taint(&self) -> Taint {
        let origin = &self.origin;
        let same_site = |a: &Origin, b: &Origin| self.policy.same_site(a, b);
        let mut taint = Taint::SameOrigin;
        let mut last: Option<Origin> = None;
        for url in self.urls() {
            let this = Origin::of(url);
            let Some(last_origin) = last.replace(this.clone()) else {
                continue;
            };
            if !same_site(&this, &last_origin) && !same_site(origin, &last_origin) {
                return Taint::CrossSite;
            }
            if this != last_origin && *origin != last_origin {
                taint = Taint::SameSite;
            }
        }
        taint
    }

    /// The origin a preflight sends, is checked against and is cached
    /// under: the serialized request origin, or the untainted one where the
    /// profile says so ([`crate::profile::FetchKnobs::preflight_origin_untainted`]).
    fn preflight_origin(&self) -> &[u8] {
        self.origin_bytes(self.preflight_origin_value())
    }

    /// [`Fetch::preflight_origin`], as the value the `Origin` header takes.
    fn preflight_origin_value(&self) -> OriginValue {
        if self.policy.profile.fetch.preflight_origin_untainted {
            OriginValue::Serialized
        } else {
            self.serialized_origin_value()
        }
    }

    /// Serializing a request origin (`fetch#serializing-a-request-origin`).
    fn serialized_origin(&self) -> &[u8] {
        self.origin_bytes(self.serialized_origin_value())
    }

    /// [`Fetch::serialized_origin`], as the value the `Origin` header takes.
    fn serialized_origin_value(&self) -> OriginValue {
        if self.tainted {
            OriginValue::Null
        } else {
            OriginValue::Serialized
        }
    }

    /// The bytes of an `Origin` value.
    fn origin_bytes(&self, value: OriginValue) -> &[u8] {
        match value {
            OriginValue::Serialized => self.origin_serialized.as_bytes(),
            OriginValue::Null => b"null",
        }
    }

    /// The `Origin` header value, if any (`fetch#append-a-request-origin-header`).
    fn origin_header(&self, tainting: ResponseTainting, method: &[u8]) -> Option<OriginValue> {
        let serialized = self.serialized_origin_value();
        let get_or_head = if self.method_rewritten
            && self.policy.profile.fetch.origin_kept_after_method_rewrite
        {
            self.original_get_or_head
        } else {
            method == b"GET" || method == b"HEAD"
        };
        if tainting == ResponseTainting::Cors {
            return Some(serialized);
        }
        if get_or_head {
            return None;
        }
        if self.mode == Mode::Cors {
            return Some(serialized);
        }
        let knobs = &self.policy.profile.fetch;
        if knobs.origin_null_after_cross_origin_redirect && self.cross_origin_hop {
            return Some(OriginValue::Null);
        }
        if !knobs.origin_null_by_referrer_policy {
            return Some(serialized);
        }
        let url = self.current_url();
        let origin = &self.origin;
        let null = match self.referrer_policy {
            ReferrerPolicy::NoReferrer => true,
            ReferrerPolicy::NoReferrerWhenDowngrade
            | ReferrerPolicy::StrictOrigin
            | ReferrerPolicy::StrictOriginWhenCrossOrigin => {
                origin.scheme() == Some(crate::origin::Scheme::Https) && url.scheme() != "https"
            }
            ReferrerPolicy::SameOrigin => !self.same_origin,
            _ => false,
        };
        Some(if null { OriginValue::Null } else { serialized })
    }

    /// The `Referer` value: the referrer is taken to be the page's origin
    /// URL (the scenario knows no document URL), trimmed by the referrer
    /// policy (Referrer Policy `#determine-requests-referrer`).
    fn referer(&self) -> bool {
        let origin = &self.origin;
        let Some(tuple) = origin.as_tuple() else {
            return false;
        };
        let downgrade = tuple.scheme() == crate::origin::Scheme::Https
            && (!self.trustworthy
                || (self.policy.profile.fetch.referrer_downgrade_unless_https
                    && self.current_url().scheme() != "https"));
        match self.referrer_policy {
            ReferrerPolicy::NoReferrer => false,
            ReferrerPolicy::NoReferrerWhenDowngrade
            | ReferrerPolicy::StrictOrigin
            | ReferrerPolicy::Default
            | ReferrerPolicy::StrictOriginWhenCrossOrigin => !downgrade,
            ReferrerPolicy::SameOrigin => self.same_origin,
            ReferrerPolicy::Origin
            | ReferrerPolicy::OriginWhenCrossOrigin
            | ReferrerPolicy::UnsafeUrl => true,
        }
    }

    /// Headers every request gets in HTTP-network-or-cache fetch: `Referer`,
    /// `Origin`, and the fetch metadata headers the profile sends.
    #[inline(always)]
    fn network_headers(&self, tainting: ResponseTainting, method: &[u8], preflight: bool) -> Added {
        let origin = if preflight {
            Some(self.preflight_origin_value())
        } else {
            self.origin_header(tainting, method)
        };
        let metadata = self.metadata(preflight);
        Added {
            referer: self.referer(),
            origin,
            metadata,
            ..Added::default()
        }
    }

    /// The fetch metadata headers of the request about to be sent (a
    /// preflight or not), as the profile sends them.
    #[inline]
    fn metadata(&self, preflight: bool) -> Option<Metadata> {
        if self.policy.profile.fetch.sec_fetch_departs() {
            return self.metadata_departed(preflight);
        }
        self.sends_metadata().then(|| {
            self.metadata_with(
                preflight,
                self.site.unwrap_or_else(|| self.sec_fetch_site()),
            )
        })
    }

    /// The three fetch metadata headers, with this `Sec-Fetch-Site`.
    #[inline]
    fn metadata_with(&self, preflight: bool, site: &'static str) -> Metadata {
        Metadata {
            dest: if self.mode == Mode::Navigate {
                "document"
            } else {
                "empty"
            },
            mode: if preflight {
                "cors"
            } else {
                self.mode.as_str()
            },
            site,
            mode_only: false,
            storage_access: false,
        }
    }

    /// [`Fetch::metadata`] under a profile that departs from Fetch
    /// Metadata ([`crate::profile::FetchKnobs::sec_fetch_departs`]).
    #[cold]
    fn metadata_departed(&self, preflight: bool) -> Option<Metadata> {
        let k = &self.policy.profile.fetch;
        if !self.sends_metadata() {
            return (preflight && k.preflight_sec_fetch_mode_always).then_some(Metadata {
                mode_only: true,
                ..self.metadata_with(true, "")
            });
        }
        if k.cross_origin_redirect_drops_sec_fetch
            && !preflight
            && self.last_hop_cross_origin()
            && self.mode == Mode::Cors
        {
            return None;
        }
        let site = if preflight && k.preflight_sec_fetch_site_own_url {
            site_name(self.url_site(self.current_url(), self.same_origin))
        } else {
            self.site.unwrap_or_else(|| self.sec_fetch_site())
        };
        let storage_access = k.sec_fetch_storage_access
            && self.credentials == CredentialsMode::Include
            && site == "cross-site"
            && (!preflight || k.sec_fetch_storage_access_on_preflight)
            && (!self.tainted || k.sec_fetch_storage_access_when_tainted);
        Some(Metadata {
            storage_access,
            ..self.metadata_with(preflight, site)
        })
    }

    /// Whether the last redirect went to another origin than the URL
    /// before it.
    fn last_hop_cross_origin(&self) -> bool {
        let n = self.url_list_len();
        n > 1
            && self
                .urls()
                .nth(n - 2)
                .is_some_and(|previous| Origin::of(previous) != Origin::of(self.current_url()))
    }

    /// Whether requests to the current URL get the fetch metadata headers.
    fn sends_metadata(&self) -> bool {
        match self.policy.profile.sec_fetch {
            SecFetch::Never => false,
            SecFetch::TrustworthyOnly => self.trustworthy,
            SecFetch::Always => true,
        }
    }

    /// `Sec-Fetch-Site` (Fetch Metadata `#sec-fetch-site-header`).
    fn sec_fetch_site(&self) -> &'static str {
        // 0 same origin, 1 same site, 2 cross site: the URL list's answer
        // is its URLs' farthest, in any order. The current URL's
        // same-origin answer is known; earlier URLs come after redirects.
        let current = self.url_site(self.current_url(), self.same_origin);
        let farthest = match self.url_list_len() {
            0 => 0,
            1 => current,
            _ => self.earlier_url_sites(current),
        };
        site_name(farthest)
    }

    /// 0, 1 or 2 for a URL same origin, same site or cross site with the
    /// request's origin.
    fn url_site(&self, url: &Url, same_origin: bool) -> u8 {
        let policy = self.policy;
        if same_origin {
            0
        } else if policy
            .sites
            .same_site_with_url(&policy.psl, &self.origin, url)
        {
            1
        } else {
            2
        }
    }

    /// [`Fetch::sec_fetch_site`] over the URLs before the current one,
    /// from the current one's answer.
    #[cold]
    fn earlier_url_sites(&self, mut farthest: u8) -> u8 {
        let earlier = self.url_list_len().saturating_sub(1);
        for url in self.urls().take(earlier) {
            if farthest == 2 {
                break;
            }
            farthest = farthest.max(self.url_site(url, self.origin.same_origin_with_url(url)));
        }
        farthest
    }

    /// The buffer of `out`, emptied (from the per-thread pool the first
    /// time), for a list of headers to send.
    #[inline]
    fn take_out_cleared(&mut self) -> HeaderList {
        let mut out = std::mem::take(&mut self.out);
        if out.capacity() == 0 {
            out = HeaderList::from_spare(spare::take());
        }
        out.clear();
        out
    }

    fn preflight_outgoing(&mut self) -> OutgoingRef<'_> {
        self.requests += 1;
        self.preflights += 1;
        let mut headers = self.take_out_cleared();
        let dedup = self.policy.profile.fetch.request_header_names_deduplicated;
        preflight::write_preflight_headers(&mut headers, &self.method, dedup, |names| {
            self.for_each_unsafe(|n| names.push(n))
        });
        self.out = headers;
        self.added = self.network_headers(ResponseTainting::Cors, b"OPTIONS", true);
        OutgoingRef {
            method: b"OPTIONS",
            url: self.current_url(),
            headers: OutgoingHeaders::new(
                &self.out,
                &self.added,
                self.origin_serialized.with_slash(),
            ),
            body: None,
            is_preflight: true,
            credentials: false,
        }
    }

    fn actual_outgoing(&mut self) -> OutgoingRef<'_> {
        self.requests += 1;
        // The request's own headers, then the browser's.
        let mut added = self.network_headers(self.tainting, &self.method, false);
        added.accept = self.accept_default;
        match &self.body {
            Some(b) => added.set_content_length(b.len() as u64),
            None if self.method == b"POST" || self.method == b"PUT" => added.set_content_length(0),
            None => {}
        }
        self.added = added;
        let credentials = match self.credentials {
            CredentialsMode::Include => true,
            CredentialsMode::SameOrigin => self.tainting == ResponseTainting::Basic,
            CredentialsMode::Omit => false,
        };
        if self.authorization_unsent {
            self.write_headers_without_authorization();
        }
        let own = if self.authorization_unsent {
            &self.out
        } else {
            &self.headers
        };
        OutgoingRef {
            method: &self.method,
            url: self.current_url(),
            headers: OutgoingHeaders::new(own, &self.added, self.origin_serialized.with_slash()),
            body: self.body.as_deref(),
            is_preflight: false,
            credentials,
        }
    }

    /// The request's own headers less `Authorization`, written into the
    /// buffer a preflight's headers use (done with by now).
    #[cold]
    fn write_headers_without_authorization(&mut self) {
        let mut out = self.take_out_cleared();
        for h in &self.headers {
            if !header::is_cors_non_wildcard_request_header_name(h.name) {
                out.append(h.name, h.value);
            }
        }
        self.out = out;
    }

    /// The cross-origin resource policy internal check with embedder policy
    /// `unsafe-none` (`fetch#cross-origin-resource-policy-internal-check`):
    /// the policy value when it blocks.
    fn corp_blocks(&self, response: &Response) -> Option<Vec<u8>> {
        let policy = response.headers.get(b"cross-origin-resource-policy")?;
        let origin = &self.origin;
        let url = self.current_url();
        let blocked = match policy.as_slice() {
            b"same-origin" => !self.same_origin,
            b"same-site" => {
                let target = Origin::of(url);
                let schemeless =
                    self.policy
                        .sites
                        .schemelessly_same_site(&self.policy.psl, origin, &target);
                let downgrade = origin.scheme() == Some(crate::origin::Scheme::Https)
                    && url.scheme() != "https";
                !schemeless || downgrade
            }
            _ => false,
        };
        blocked.then_some(policy)
    }
}

impl Drop for Fetch<'_> {
    fn drop(&mut self) {
        spare::give_back(std::mem::take(&mut self.out).into_spare());
        spare::give_back(std::mem::take(&mut self.headers).into_spare());
    }
}

/// A per-thread pool of header buffers for the requests fetches send: an
/// embedder running millions of fetches on a thread reuses a few buffers
/// instead of allocating one per fetch.
mod spare {
    use std::cell::RefCell;

    /// Buffers kept per thread, at most.
    const KEPT: usize = 8;
    /// A buffer larger than this is freed, not kept.
    const MAX_CAPACITY: usize = 4096;
    /// The capacity of a new buffer: a typical request and the headers the
    /// browser adds.
    const NEW_CAPACITY: usize = 512;

    thread_local! {
        static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// A buffer from the pool, or a new one.
    pub(super) fn take() -> Vec<u8> {
        POOL.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
            .ok()
            .flatten()
            .unwrap_or_else(|| Vec::with_capacity(NEW_CAPACITY))
    }

    /// Returns a buffer to the pool (or frees it).
    pub(super) fn give_back(buf: Vec<u8>) {
        // Only buffers with the room a request needs are worth keeping.
        if !(NEW_CAPACITY..=MAX_CAPACITY).contains(&buf.capacity()) {
            return;
        }
        // During thread teardown the pool may be gone: then it is freed.
        let _ = POOL.try_with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                if p.len() < KEPT {
                    p.push(buf);
                }
            }
        });
    }
}

/// The `Sec-Fetch-Site` value of 0 (same origin), 1 (same site) or 2
/// (cross site).
fn site_name(n: u8) -> &'static str {
    match n {
        0 => "same-origin",
        1 => "same-site",
        _ => "cross-site",
    }
}

/// `about:blank`, for [`Fetch::current_url`] once the fetch's URL has
/// moved into its response.
fn about_blank() -> &'static Url {
    static BLANK: std::sync::LazyLock<Url> = std::sync::LazyLock::new(parse_about_blank);
    &BLANK
}

#[allow(clippy::expect_used)]
fn parse_about_blank() -> Url {
    // A constant that always parses; no input reaches this.
    Url::parse("about:blank").expect("about:blank parses")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taint {
    SameOrigin,
    SameSite,
    CrossSite,
}

/// A potentially trustworthy URL (Secure Contexts `#is-url-trustworthy`), as
/// far as fetches need: `https`/`wss`, loopback hosts, `localhost`, `file`,
/// `data` and `about:blank`.
pub fn is_potentially_trustworthy(url: &Url) -> bool {
    // The usual case first, read in place.
    if crate::origin::Scheme::Https.is_scheme_of(url) {
        return true;
    }
    // Byte patterns: compared in place, no `memcmp` call.
    match url.scheme().as_bytes() {
        b"https" | b"wss" | b"file" | b"data" => true,
        b"about" => matches!(url.path(), "blank" | "srcdoc"),
        _ => url
            .host()
            .is_some_and(|h| Host::from_url_host(&h).is_local()),
    }
}

/// The response a `data:` URL gives (`fetch#scheme-fetch`): status 200
/// with its MIME type as `Content-Type` (and, where the profile adds it,
/// the body's length as `Content-Length`), or `None` where the data URL
/// processor fails.
fn data_url_response(url: &Url, content_length: bool) -> Option<Response> {
    let (mime, body_len) = process_data_url(url)?;
    let response = Response::new(200).with_header("Content-Type", mime);
    Some(if content_length {
        response.with_header("Content-Length", body_len.to_string())
    } else {
        response
    })
}

/// The data: URL processor (`fetch#data-url-processor`): the serialized
/// MIME type and the body's length, or `None` on failure.
fn process_data_url(url: &Url) -> Option<(String, usize)> {
    // Steps 2-3: the URL serialized without its fragment, less `data:`.
    let input = url[..url::Position::AfterQuery].get("data:".len()..)?;
    // Steps 4-8: the MIME type up to the first comma; none is a failure.
    let (mime, encoded_body) = input.split_once(',')?;
    let mut mime = mime.trim_matches(|c: char| c.is_ascii_whitespace());
    // Step 9.
    let body = percent_decode_bytes(encoded_body.as_bytes());
    // Step 10: `;`, any spaces, then `base64` in any case.
    let mut body_len = body.len();
    if let Some(rest) = strip_base64_suffix(mime) {
        body_len = forgiving_base64_decoded_len(&body)?;
        mime = rest;
    }
    // Steps 11-13.
    let with_text_plain;
    if mime.starts_with(';') {
        with_text_plain = format!("text/plain{mime}");
        mime = &with_text_plain;
    }
    let content_type = crate::mime::MimeType::parse(mime)
        .map(|m| m.to_string())
        .unwrap_or_else(|| "text/plain;charset=US-ASCII".to_owned());
    Some((content_type, body_len))
}

/// `mime` without a final `;`, spaces and `base64` (any case), if it ends so
/// (`fetch#data-url-processor` step 10).
fn strip_base64_suffix(mime: &str) -> Option<&str> {
    let cut = mime.len().checked_sub("base64".len())?;
    let (head, tail) = (mime.get(..cut)?, mime.get(cut..)?);
    if !tail.eq_ignore_ascii_case("base64") {
        return None;
    }
    head.trim_end_matches(' ').strip_suffix(';')
}

/// How many bytes forgiving-base64 decoding gives (`infra#forgiving-base64-decode`),
/// or `None` where it fails.
fn forgiving_base64_decoded_len(data: &[u8]) -> Option<usize> {
    // Step 1: ASCII whitespace is dropped.
    let mut chars: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
        .collect();
    // Step 2: one or two `=` end a multiple of four.
    if chars.len() % 4 == 0 {
        for _ in 0..2 {
            if chars.last() == Some(&b'=') {
                chars.pop();
            }
        }
    }
    // Steps 3-4.
    if chars.len() % 4 == 1
        || !chars
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
    {
        return None;
    }
    // Steps 5-8: six bits a character, leftover bits dropped.
    Some(chars.len() * 6 / 8)
}

/// Percent-decodes bytes (`url#percent-decode`): `%` and two hex digits
/// become that byte; anything else is kept.
fn percent_decode_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        if b == b'%' {
            if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// An origin's ASCII serialization (`html#ascii-serialisation-of-an-origin`),
/// kept inline when short (every common origin), so a fetch does not
/// allocate for it; a `/` follows it, for `Referer`.
#[derive(Debug)]
enum Serialized {
    Inline {
        len: u8,
        bytes: [u8; SERIALIZED_INLINE],
    },
    Heap(Vec<u8>),
}

const SERIALIZED_INLINE: usize = 96;

impl Serialized {
    fn of(origin: &Origin) -> Serialized {
        if let Some(t) = origin.as_tuple() {
            if let Host::Domain(d) = t.host() {
                let (scheme, host) = (t.scheme().as_str().as_bytes(), d.as_bytes());
                let mut port = [0u8; 6];
                let mut port_len = 0;
                if let Some(p) = t.port() {
                    port[0] = b':';
                    port_len = 1 + write_decimal(u64::from(p), &mut port[1..]);
                }
                let len = scheme.len() + 3 + host.len() + port_len;
                if len < SERIALIZED_INLINE {
                    let mut bytes = [0u8; SERIALIZED_INLINE];
                    let mut at = 0;
                    for part in [scheme, b"://", host] {
                        bytes[at..at + part.len()].copy_from_slice(part);
                        at += part.len();
                    }
                    // The port, when there is one (no `memcpy` call for no
                    // bytes), then `/`.
                    if port_len > 0 {
                        bytes[at..at + port_len].copy_from_slice(&port[..port_len]);
                        at += port_len;
                    }
                    bytes[at] = b'/';
                    return Serialized::Inline {
                        len: len as u8,
                        bytes,
                    };
                }
            }
        }
        let mut v = origin.ascii_serialization().into_bytes();
        v.push(b'/');
        Serialized::Heap(v)
    }

    /// The serialization.
    fn as_bytes(&self) -> &[u8] {
        let with = self.with_slash();
        with.split_last().map_or(with, |(_, s)| s)
    }

    /// The serialization followed by `/` (the `Referer` the driver sends).
    fn with_slash(&self) -> &[u8] {
        match self {
            Serialized::Inline { len, bytes } => &bytes[..usize::from(*len) + 1],
            Serialized::Heap(v) => v,
        }
    }
}

/// Writes a number's decimal digits at the start of `out`; returns how
/// many (at most 20; fewer if `out` is shorter).
pub(crate) fn write_decimal(n: u64, out: &mut [u8]) -> usize {
    let mut count = 1;
    let mut rest = n / 10;
    while rest > 0 {
        count += 1;
        rest /= 10;
    }
    // Written in place from the last digit (no copy through a buffer);
    // when `out` is shorter, the first digits that fit.
    let mut n = n;
    for _ in out.len()..count {
        n /= 10;
    }
    let count = count.min(out.len());
    for d in out[..count].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `write_decimal` writes what `format!` does, cut to the room given.
    #[test]
    fn write_decimal_is_format() {
        let mut numbers = vec![0, 1, 9, 10, 99, 100, 65_535, u64::MAX, u64::MAX - 1];
        numbers.extend((0..20).map(|e| 10u64.pow(e)));
        numbers.extend((1..20).map(|e| 10u64.pow(e) - 1));
        let mut rng = crate::test_rng::Xorshift::new(0x5DEE_CE66_D1CE_4E5B);
        numbers.extend((0..2_000).map(|_| {
            let high = rng.below(1 << 32) as u64;
            let low = rng.below(1 << 32) as u64;
            (high << 32 | low) >> rng.below(64)
        }));
        for n in numbers {
            let text = n.to_string();
            for room in [0, 1, 2, 5, 19, 20, 25] {
                let mut out = [b'x'; 25];
                let count = write_decimal(n, &mut out[..room]);
                let expected = &text.as_bytes()[..text.len().min(room)];
                assert_eq!(&out[..count], expected, "{n} in {room}");
                assert!(out[count..].iter().all(|&b| b == b'x'), "{n} in {room}");
            }
        }
    }

    /// The unsafe names a fetch reads from its bits, with the `Accept: */*`
    /// it added kept out of the script's list, are those of the whole list
    /// (`Accept` last), by both readers: around the 1024-byte total, where
    /// the added `Accept` becomes unsafe too.
    #[test]
    fn unsafe_names_count_the_added_accept() {
        let mut compared = 0;
        for profile in [Profile::spec(), Profile::firefox(), Profile::webkit()] {
            let policy = Policy::new(profile);
            for long in 0..10 {
                for len in [100, 126, 127, 128] {
                    let mut request = Request::get("https://api.example/", "https://app.example")
                        .expect("a valid request")
                        .with_header("X-Trace", "1");
                    for i in 0..long {
                        let name = if i % 2 == 0 {
                            "Accept-Language"
                        } else {
                            "Content-Language"
                        };
                        request = request.with_header(name, "a".repeat(len));
                    }
                    let fetch = policy.fetch(request, Duration::ZERO);
                    assert!(fetch.accept_default);
                    // Profiles that combine same-name headers ask the list.
                    let UnsafeNames::Bits(bits) = fetch.unsafe_names else {
                        continue;
                    };
                    compared += 1;
                    let mut whole = fetch.headers.clone();
                    whole.append("Accept", "*/*");
                    let mut expected = Vec::new();
                    request::for_each_unsafe_header(&whole, &fetch.policy.profile, |n| {
                        expected.push(n.to_vec())
                    });
                    let mut read = Vec::new();
                    fetch.for_each_unsafe(|n| read.push(n.to_vec()));
                    let iterated: Vec<Vec<u8>> = UnsafeBits {
                        headers: fetch.headers.iter(),
                        bits,
                        accept: fetch.accept_default,
                    }
                    .map(<[u8]>::to_vec)
                    .collect();
                    assert_eq!(read, expected, "{long} × {len}");
                    assert_eq!(iterated, expected, "{long} × {len}");
                }
            }
        }
        assert!(compared >= 80, "only {compared} compared");
    }

    /// A preflight that leaves out one asked name refuses the request
    /// (`fetch#cors-preflight-fetch-0` step 7.7) and names the first
    /// missing name in sorted order, the fetch's added `Accept` among the
    /// names once the safelisted values pass 1024 bytes, although the
    /// script's list is without it while the preflight is validated.
    #[test]
    fn a_refusal_names_the_added_accept_when_it_is_missing() {
        let mut refused_for_accept = 0;
        for profile in [
            Profile::spec(),
            Profile::chromium(),
            Profile::firefox(),
            Profile::webkit(),
        ] {
            for long in [0, 8, 9] {
                for allowed in [
                    "",
                    "accept",
                    "content-language",
                    "accept,content-language,x-b",
                ] {
                    let policy = Policy::new(profile);
                    let mut request = Request::get("https://api.example/", "https://app.example")
                        .expect("a valid request")
                        .with_method("PUT")
                        .with_header("X-B", "1");
                    for _ in 0..long {
                        request = request.with_header("Content-Language", "c".repeat(120));
                    }
                    let mut whole = request.headers.clone();
                    whole.append("Accept", "*/*");
                    let expected = request::unsafe_header_names(&whole, &policy.profile)
                        .into_iter()
                        .find(|n| !allowed.split(',').any(|a| a.as_bytes() == n.as_slice()));
                    let mut fetch = policy.fetch(request, Duration::ZERO);
                    let Step::Send(out) = fetch.poll_ref() else {
                        panic!("a preflight is sent");
                    };
                    assert!(out.is_preflight);
                    let mut response = Response::new(204)
                        .with_header("Access-Control-Allow-Origin", "https://app.example")
                        .with_header("Access-Control-Allow-Methods", "PUT");
                    if !allowed.is_empty() {
                        response = response.with_header("Access-Control-Allow-Headers", allowed);
                    }
                    fetch.receive(Ok(response), Duration::ZERO);
                    let got = match fetch.poll_ref() {
                        Step::Done(Err(Refusal::HeaderDisallowedByPreflightResponse {
                            name,
                            ..
                        })) => Some(name),
                        Step::Send(out) if !out.is_preflight => None,
                        other => panic!("unexpected {other:?}"),
                    };
                    assert_eq!(got, expected, "{long} long values, allowed {allowed:?}");
                    refused_for_accept += usize::from(got.as_deref() == Some(&b"accept"[..]));
                }
            }
        }
        assert!(refused_for_accept >= 2, "{refused_for_accept}");
    }
}
