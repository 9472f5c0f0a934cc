//! Sites and the Public Suffix List: public suffix, registrable domain,
//! obtaining a site, same site and schemelessly same site.
//!
//! Standards: URL `#host-public-suffix`, `#host-registrable-domain`; HTML
//! `#sites`, `#obtain-a-site`, `#concept-site-same-site`, `#same-site`,
//! `#schemelessly-same-site`, `#serialization-of-a-site`.

use std::fmt;
use std::sync::OnceLock;

use publicsuffix::{List, Psl as _};

use crate::origin::{Domain, Host, Origin, Scheme};

/// The Public Suffix List snapshot shipped in the crate.
///
/// Source: publicsuffix/list `public_suffix_list.dat`, version
/// `2026-10-22_08-36-41_UTC` (commit 8437e5262f13305f94087abe699b4fe2be1d1de8),
/// as carried by the PyPI package `publicsuffixlist` 1.1.2.20261023.
/// Licence: MPL-2.0 (see the file's header).
pub const SHIPPED_PSL: &str = include_str!("../data/public_suffix_list.dat");

/// The version line of [`SHIPPED_PSL`].
pub const SHIPPED_PSL_VERSION: &str = "2026-10-22_08-36-41_UTC";

/// A Public Suffix List, loaded once and shared (`Send + Sync`).
///
/// ```
/// use crossorigin::Psl;
/// let psl = Psl::shipped();
/// assert_eq!(psl.registrable_domain("www.example.co.uk"), Some("example.co.uk"));
/// assert_eq!(psl.public_suffix("whatwg.github.io"), Some("github.io"));
///
/// // An embedder can load a newer list at run time.
/// let custom = Psl::from_dat("// ===BEGIN ICANN DOMAINS===\nexample\n").unwrap();
/// assert_eq!(custom.registrable_domain("a.b.example"), Some("b.example"));
/// ```
#[derive(Debug)]
pub struct Psl {
    list: List,
}

/// Why a Public Suffix List text could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PslError(String);

impl fmt::Display for PslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Public Suffix List: {}", self.0)
    }
}
impl std::error::Error for PslError {}

impl Psl {
    /// The snapshot shipped in the crate, parsed on first use.
    pub fn shipped() -> &'static Psl {
        static SHIPPED: OnceLock<Psl> = OnceLock::new();
        SHIPPED.get_or_init(|| {
            // The shipped file is tested to parse; an empty list is the
            // fallback that keeps this infallible (every TLD is then a suffix).
            Psl::from_dat(SHIPPED_PSL).unwrap_or_else(|_| Psl { list: List::new() })
        })
    }

    /// Loads a list in the `public_suffix_list.dat` format. Rules must sit
    /// below a `===BEGIN ICANN DOMAINS===` or `===BEGIN PRIVATE DOMAINS===`
    /// line, as in the published file.
    pub fn from_dat(text: &str) -> Result<Psl, PslError> {
        text.parse::<List>()
            .map(|list| Psl { list })
            .map_err(|e| PslError(e.to_string()))
    }

    /// The public suffix of a domain (`url#host-public-suffix`): the Public
    /// Suffix List algorithm with its default `*` rule, a trailing dot kept.
    ///
    /// `domain` is a host as the URL parser outputs it (ASCII, lower case);
    /// upper-case input is matched case-insensitively but returned as given.
    /// Returns `None` for the empty string and for IP address literals.
    pub fn public_suffix<'d>(&self, domain: &'d str) -> Option<&'d str> {
        self.split(domain).map(|(_, suffix)| suffix)
    }

    /// The registrable domain of a domain (`url#host-registrable-domain`):
    /// the public suffix and the label before it, or `None` when the domain
    /// is itself a public suffix, empty, or an IP address literal.
    pub fn registrable_domain<'d>(&self, domain: &'d str) -> Option<&'d str> {
        let (labels, suffix) = self.split(domain)?;
        // `labels` is what precedes the suffix, with its separating dot.
        let before = labels.strip_suffix('.')?;
        if before.is_empty() {
            return None;
        }
        let label_start = before.rfind('.').map_or(0, |i| i + 1);
        let label = &before[label_start..];
        if label.is_empty() {
            return None;
        }
        Some(&domain[label_start..label_start + label.len() + 1 + suffix.len()])
    }

    /// Splits a domain into the part before its public suffix and the suffix.
    fn split<'d>(&self, domain: &'d str) -> Option<(&'d str, &'d str)> {
        if domain.is_empty() || is_ip_literal(domain) {
            return None;
        }
        // url#host-public-suffix step 2: a trailing dot stays on the result.
        let body = domain.strip_suffix('.').unwrap_or(domain);
        if body.is_empty() {
            return None;
        }
        let len = if body.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = body.to_ascii_lowercase();
            self.suffix_len(&lower)
        } else {
            self.suffix_len(body)
        };
        // Suffix plus the trailing dot, if any.
        let start = body.len() - len;
        Some((&domain[..start], &domain[start..]))
    }

    /// Length of the public suffix of `body` (no trailing dot), in bytes.
    fn suffix_len(&self, body: &str) -> usize {
        let labels = body.as_bytes().rsplit(|b| *b == b'.');
        let info = self.list.find(labels);
        // An empty last label matches no rule: the default rule makes it
        // (the empty label) the suffix.
        info.len.min(body.len())
    }
}

fn is_ip_literal(s: &str) -> bool {
    s.starts_with('[') || s.parse::<std::net::Ipv4Addr>().is_ok()
}

impl Host {
    /// The host's public suffix (`url#host-public-suffix`); `None` unless the
    /// host is a domain.
    pub fn public_suffix<'h>(&'h self, psl: &Psl) -> Option<&'h str> {
        self.domain().and_then(|d| psl.public_suffix(d))
    }

    /// The host's registrable domain (`url#host-registrable-domain`).
    ///
    /// ```
    /// use crossorigin::{Host, Psl};
    /// let host = Host::parse("a.b.example.com").unwrap();
    /// assert_eq!(host.registrable_domain(Psl::shipped()), Some("example.com"));
    /// assert_eq!(Host::parse("127.0.0.1").unwrap().registrable_domain(Psl::shipped()), None);
    /// ```
    pub fn registrable_domain<'h>(&'h self, psl: &Psl) -> Option<&'h str> {
        self.domain().and_then(|d| psl.registrable_domain(d))
    }
}

/// A site (`html#site`): an opaque origin, or a scheme-and-host.
///
/// `==` is *same site* (`html#concept-site-same-site`).
///
/// ```
/// use crossorigin::{Origin, Psl, Site};
/// let o = Origin::from_url_str("https://a.b.example.co.uk:8443/").unwrap();
/// let site = Site::of(&o, Psl::shipped());
/// assert_eq!(site.to_string(), "https://example.co.uk");
/// ```
#[derive(Clone, Debug)]
pub enum Site {
    /// The site of an opaque origin is that origin.
    Opaque(Origin),
    /// A scheme and a host (the registrable domain, or the whole host when it
    /// has none).
    SchemeAndHost {
        /// The origin's scheme.
        scheme: Scheme,
        /// The registrable domain, or the host.
        host: Host,
    },
}

impl Site {
    /// Obtains a site (`html#obtain-a-site`).
    pub fn of(origin: &Origin, psl: &Psl) -> Site {
        match origin {
            Origin::Opaque(_) => Site::Opaque(origin.clone()),
            Origin::Tuple(t) => {
                let host = match t.host().registrable_domain(psl) {
                    Some(rd) if rd.len() != t.host().domain().map_or(0, str::len) => {
                        Host::Domain(crate::origin::Domain::new(rd))
                    }
                    _ => t.host().clone(),
                };
                Site::SchemeAndHost {
                    scheme: t.scheme(),
                    host,
                }
            }
        }
    }

    /// Same site (`html#concept-site-same-site`).
    pub fn same_site(&self, other: &Site) -> bool {
        match (self, other) {
            (Site::Opaque(a), Site::Opaque(b)) => a == b,
            (
                Site::SchemeAndHost {
                    scheme: sa,
                    host: ha,
                },
                Site::SchemeAndHost {
                    scheme: sb,
                    host: hb,
                },
            ) => sa == sb && ha == hb,
            _ => false,
        }
    }
}

impl PartialEq for Site {
    fn eq(&self, other: &Site) -> bool {
        self.same_site(other)
    }
}
impl Eq for Site {}

impl fmt::Display for Site {
    /// The serialization of a site (`html#serialization-of-a-site`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Opaque(_) => f.write_str("null"),
            Site::SchemeAndHost { scheme, host } => write!(f, "{scheme}://{host}"),
        }
    }
}

/// Same site for two origins (`html#same-site`).
///
/// ```
/// use crossorigin::{same_site, Origin, Psl};
/// let a = Origin::from_url_str("https://a.example.com").unwrap();
/// let b = Origin::from_url_str("https://b.example.com:8443").unwrap();
/// let c = Origin::from_url_str("http://b.example.com").unwrap();
/// assert!(same_site(&a, &b, Psl::shipped()));
/// assert!(!same_site(&a, &c, Psl::shipped()));
/// ```
pub fn same_site(a: &Origin, b: &Origin, psl: &Psl) -> bool {
    match (a, b) {
        (Origin::Opaque(_), Origin::Opaque(_)) => a == b,
        (Origin::Tuple(ta), Origin::Tuple(tb)) => {
            ta.scheme() == tb.scheme() && site_host_eq(ta.host(), tb.host(), psl)
        }
        _ => false,
    }
}

/// Schemelessly same site (`html#schemelessly-same-site`).
///
/// ```
/// use crossorigin::{schemelessly_same_site, Origin, Psl};
/// let a = Origin::from_url_str("https://a.example.com").unwrap();
/// let c = Origin::from_url_str("http://b.example.com").unwrap();
/// assert!(schemelessly_same_site(&a, &c, Psl::shipped()));
/// ```
pub fn schemelessly_same_site(a: &Origin, b: &Origin, psl: &Psl) -> bool {
    match (a, b) {
        (Origin::Opaque(_), Origin::Opaque(_)) => a == b,
        (Origin::Tuple(ta), Origin::Tuple(tb)) => site_host_eq(ta.host(), tb.host(), psl),
        _ => false,
    }
}

/// Whether two hosts have the same site host: equal registrable domains, or
/// equal hosts when there is none. This is the host part of both same site
/// (through obtaining a site) and schemelessly same site, compared without
/// building either site.
fn site_host_eq(a: &Host, b: &Host, psl: &Psl) -> bool {
    match (a.registrable_domain(psl), b.registrable_domain(psl)) {
        (Some(ra), Some(rb)) => ra == rb,
        (None, None) => a == b,
        // A registrable domain is never equal to a host that has none: such a
        // host is a public suffix or an IP address, never a registrable domain.
        _ => false,
    }
}

/// The most hosts a [`SiteMemo`] remembers before it starts over.
const SITE_MEMO_MAX: usize = 1024;

/// Remembers where the registrable domain of each domain a policy has met
/// starts, so that fetches to the same hosts walk the Public Suffix List
/// once, not on every request (`Sec-Fetch-Site`, redirect taint, CORP).
/// Bounded: when full it is emptied and refilled.
#[derive(Debug)]
pub(crate) struct SiteMemo {
    /// This memo's number, unique in the process: the per-thread answer
    /// below belongs to one memo (and so one list).
    id: u64,
    memo: std::sync::Mutex<Memo>,
}

impl Default for SiteMemo {
    fn default() -> SiteMemo {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        SiteMemo {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            memo: std::sync::Mutex::default(),
        }
    }
}

#[derive(Debug, Default)]
struct Memo {
    /// Domain → offset of its registrable domain in it (`None`: it has
    /// none).
    starts: Starts,
}

/// The last pair of short domains a thread compared, and the answer:
/// fetches from one page to one API ask about the same pair again and
/// again, and this answers them without taking the memo's lock.
struct Recent {
    memo: u64,
    a: Domain,
    b: Domain,
    same_site: bool,
}

thread_local! {
    static RECENT: std::cell::RefCell<Option<Recent>> = const { std::cell::RefCell::new(None) };
}

impl SiteMemo {
    /// Same site (`html#same-site`), answered from the memo where it can.
    pub(crate) fn same_site(&self, psl: &Psl, a: &Origin, b: &Origin) -> bool {
        match (a, b) {
            (Origin::Tuple(ta), Origin::Tuple(tb)) => {
                ta.scheme() == tb.scheme() && self.site_host_eq(psl, ta.host(), tb.host())
            }
            _ => same_site(a, b, psl),
        }
    }

    /// Schemelessly same site (`html#schemelessly-same-site`), likewise.
    pub(crate) fn schemelessly_same_site(&self, psl: &Psl, a: &Origin, b: &Origin) -> bool {
        match (a, b) {
            (Origin::Tuple(ta), Origin::Tuple(tb)) => self.site_host_eq(psl, ta.host(), tb.host()),
            _ => schemelessly_same_site(a, b, psl),
        }
    }

    /// Same site (`html#same-site`) of an origin and a URL's origin,
    /// without building the URL's origin where both hosts are domains and
    /// the schemes are the same; the thread's last answer for this origin's
    /// host and this URL's authority is given again without reading the
    /// URL's host.
    pub(crate) fn same_site_with_url(&self, psl: &Psl, a: &Origin, url: &url::Url) -> bool {
        if let Origin::Tuple(ta) = a {
            if let (Host::Domain(da), true) = (ta.host(), ta.scheme().is_scheme_of(url)) {
                let da = da.as_bytes();
                if let Some(same) = recent_url_answer(self.id, da, url) {
                    return same;
                }
                if let Some(url::Host::Domain(db)) = url.host() {
                    let same = self.domains_same_site(psl, da, db.as_bytes());
                    remember_url_answer(self.id, da, url, same);
                    return same;
                }
            }
        }
        self.same_site(psl, a, &Origin::of(url))
    }

    /// [`site_host_eq`] with the registrable domains remembered.
    fn site_host_eq(&self, psl: &Psl, a: &Host, b: &Host) -> bool {
        // Equal hosts have equal registrable domains, or none each.
        if a == b {
            return true;
        }
        let (Host::Domain(da), Host::Domain(db)) = (a, b) else {
            // An IP address has no registrable domain: no list walk.
            return site_host_eq(a, b, psl);
        };
        self.domains_same_site(psl, da.as_bytes(), db.as_bytes())
    }

    /// Whether two domains (ASCII, lower case) have the same registrable
    /// domain, or are equal.
    fn domains_same_site(&self, psl: &Psl, da: &[u8], db: &[u8]) -> bool {
        if crate::origin::short_eq(da, db) {
            return true;
        }
        let recent = RECENT
            .try_with(|r| {
                let r = r.try_borrow().ok()?;
                let r = r.as_ref()?;
                (r.memo == self.id
                    && crate::origin::short_eq(r.a.as_bytes(), da)
                    && crate::origin::short_eq(r.b.as_bytes(), db))
                .then_some(r.same_site)
            })
            .ok()
            .flatten();
        if let Some(eq) = recent {
            return eq;
        }
        let eq = {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            let ra = registrable_start(&mut memo.starts, psl, da);
            let rb = registrable_start(&mut memo.starts, psl, db);
            match (ra, rb) {
                (Some(x), Some(y)) => da.get(x..) == db.get(y..),
                // Neither has one: same site only if the hosts are equal,
                // and they are not.
                _ => false,
            }
        };
        // Kept only when copying the pair does not allocate.
        if let (Ok(a), Ok(b)) = (std::str::from_utf8(da), std::str::from_utf8(db)) {
            let (a, b) = (Domain::new(a), Domain::new(b));
            if a.is_inline() && b.is_inline() {
                let _ = RECENT.try_with(|r| {
                    if let Ok(mut r) = r.try_borrow_mut() {
                        *r = Some(Recent {
                            memo: self.id,
                            a,
                            b,
                            same_site: eq,
                        });
                    }
                });
            }
        }
        eq
    }
}

/// The most bytes of a domain, and of a URL's scheme and authority, the
/// thread's last URL answer keeps (longer ones are not kept).
const RECENT_URL_MAX: usize = 64;

/// The last origin host and URL a thread asked [`SiteMemo::same_site_with_url`]
/// about, and the answer. The URL is kept as the start of its
/// serialization up to the end of its authority (`scheme://authority`):
/// a special URL's path starts with `/`, and `/` cannot occur in an
/// authority (it is percent-encoded in userinfo), so a URL that starts
/// with these bytes followed by `/` has this very authority, so the same
/// scheme, host and port.
#[derive(Clone, Copy)]
struct RecentUrl {
    /// The [`SiteMemo`] asked (0: none yet).
    memo: u64,
    /// The origin's host (its scheme is the URL's: only then is an answer
    /// kept).
    host_len: usize,
    host: [u8; RECENT_URL_MAX],
    /// `scheme://authority` of the URL.
    prefix_len: usize,
    prefix: [u8; RECENT_URL_MAX],
    same_site: bool,
}

thread_local! {
    static RECENT_URL: std::cell::RefCell<RecentUrl> = const {
        std::cell::RefCell::new(RecentUrl {
            memo: 0,
            host_len: 0,
            host: [0; RECENT_URL_MAX],
            prefix_len: 0,
            prefix: [0; RECENT_URL_MAX],
            same_site: false,
        })
    };
}

/// The thread's last answer, if it was for this memo, this origin host and
/// a URL with this URL's scheme and authority.
#[inline]
fn recent_url_answer(memo: u64, host: &[u8], url: &url::Url) -> Option<bool> {
    let url = url.as_str().as_bytes();
    RECENT_URL
        .try_with(|r| {
            let r = r.try_borrow().ok()?;
            let prefix = r.prefix.get(..r.prefix_len)?;
            (r.memo == memo
                && r.host.get(..r.host_len).is_some_and(|h| words_eq(h, host))
                && url.get(..prefix.len()).is_some_and(|u| words_eq(u, prefix))
                && url.get(prefix.len()) == Some(&b'/'))
            .then_some(r.same_site)
        })
        .ok()
        .flatten()
}

/// Keeps an answer as the thread's last (see [`RecentUrl`]), when the URL
/// ends its authority with `/` and both fit.
#[cold]
fn remember_url_answer(memo: u64, host: &[u8], url: &url::Url, same_site: bool) {
    let prefix = url[..url::Position::AfterPort].as_bytes();
    if url.as_str().as_bytes().get(prefix.len()) != Some(&b'/')
        || host.len() > RECENT_URL_MAX
        || prefix.len() > RECENT_URL_MAX
    {
        return;
    }
    let _ = RECENT_URL.try_with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            r.memo = memo;
            r.host_len = host.len();
            r.host[..host.len()].copy_from_slice(host);
            r.prefix_len = prefix.len();
            r.prefix[..prefix.len()].copy_from_slice(prefix);
            r.same_site = same_site;
        }
    });
}

/// Byte equality, a word at a time (the last word overlapping the one
/// before), without a `memcmp` call for the short strings compared here.
#[inline(always)]
pub(crate) fn words_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if b.len() != n {
        return false;
    }
    if n <= 16 {
        return crate::origin::short_eq(a, b);
    }
    // The first and last sixteen bytes (overlapping), then any between.
    a.first_chunk::<16>() == b.first_chunk::<16>()
        && a.last_chunk::<16>() == b.last_chunk::<16>()
        && (n <= 32 || a.get(16..n - 16) == b.get(16..n - 16))
}

type Starts = std::collections::HashMap<Box<[u8]>, Option<u16>, foldhash::fast::RandomState>;

/// Where the registrable domain of `domain` starts, from the memo or the
/// list (then remembered).
fn registrable_start(starts: &mut Starts, psl: &Psl, bytes: &[u8]) -> Option<usize> {
    if let Some(start) = starts.get(bytes) {
        return start.map(usize::from);
    }
    // Domains are ASCII; a host that is not has no registrable domain.
    let domain = std::str::from_utf8(bytes).ok()?;
    // `registrable_domain` returns a suffix of the domain.
    let start = psl
        .registrable_domain(domain)
        .map(|rd| bytes.len() - rd.len());
    if let Ok(stored) = start.map(u16::try_from).transpose() {
        if starts.len() >= SITE_MEMO_MAX {
            starts.clear();
        }
        starts.insert(bytes.into(), stored);
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::tests::{origins, urls};

    /// `same_site_with_url` gives `same_site` with the URL's origin, asked
    /// in every order (so that the thread's last answer is given again for
    /// the same pair, and is not for a URL of which it knows only a
    /// prefix), by two memos over lists that disagree (`example.com` is a
    /// public suffix in one).
    #[test]
    fn same_site_with_url_is_same_site_with_its_origin() {
        let custom =
            Psl::from_dat("// ===BEGIN ICANN DOMAINS===\ncom\nexample.com\nuk\nco.uk\nio\n")
                .unwrap_or_else(|e| panic!("{e}"));
        let lists = [Psl::shipped(), &custom];
        let memos = [SiteMemo::default(), SiteMemo::default()];
        let (origins, urls) = (origins(), urls());
        let check = |m: usize, origin: &Origin, url: &url::Url| {
            assert_eq!(
                memos[m].same_site_with_url(lists[m], origin, url),
                same_site(origin, &Origin::of(url), lists[m]),
                "list {m}: {origin} {url}"
            );
        };
        for origin in &origins {
            for url in &urls {
                for m in [0, 1, 1, 0, 0] {
                    check(m, origin, url);
                }
            }
        }
        for url in &urls {
            for origin in &origins {
                check(0, origin, url);
                check(1, origin, url);
            }
        }
        for (i, url) in urls.iter().enumerate() {
            for (j, other) in urls.iter().enumerate() {
                for origin in &origins {
                    check((i + j) % 2, origin, url);
                    check((i + j) % 2, origin, other);
                }
            }
        }
    }

    /// `words_eq` is `==`, for every length up to past 64 and a difference
    /// at every position.
    #[test]
    fn words_eq_is_eq() {
        let base: Vec<u8> = (0..80u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            assert!(words_eq(a, a));
            assert!(!words_eq(a, &base[..n.saturating_sub(1)]) || n == 0);
            for i in 0..n {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!words_eq(a, &b), "{n} {i}");
            }
        }
    }
}
