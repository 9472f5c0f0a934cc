//! Origins: tuple and opaque, serialization, parsing a serialized origin, same
//! origin, same origin-domain and `document.domain`.
//!
//! Standards: URL `#concept-url-origin`, HTML `#concept-origin`,
//! `#ascii-serialisation-of-an-origin`, `#same-origin`, `#same-origin-domain`,
//! `#dom-document-domain`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

use crate::site::Psl;

/// The scheme of a tuple origin.
///
/// `html#concept-origin-tuple`: only the URL Standard's origin algorithm mints
/// tuple origins, and it does so for `ftp`, `http`, `https`, `ws` and `wss`
/// (`url#concept-url-origin`). `file:` origins are opaque here, as in browsers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `ftp`
    Ftp,
    /// `http`
    Http,
    /// `https`
    Https,
    /// `ws`
    Ws,
    /// `wss`
    Wss,
}

impl Scheme {
    /// The scheme for a URL scheme string, if it is one of the tuple-origin
    /// schemes. URL schemes are already lower case after parsing.
    ///
    /// ```
    /// use crossorigin::Scheme;
    /// assert_eq!(Scheme::from_url_scheme("https"), Some(Scheme::Https));
    /// assert_eq!(Scheme::from_url_scheme("file"), None);
    /// ```
    pub fn from_url_scheme(scheme: &str) -> Option<Scheme> {
        // Byte patterns: compared in place, no `memcmp` call.
        Some(match scheme.as_bytes() {
            [b'h', b't', b't', b'p'] => Scheme::Http,
            [b'h', b't', b't', b'p', b's'] => Scheme::Https,
            [b'w', b's'] => Scheme::Ws,
            [b'w', b's', b's'] => Scheme::Wss,
            [b'f', b't', b'p'] => Scheme::Ftp,
            _ => return None,
        })
    }

    /// The scheme as a string.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ftp => "ftp",
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    /// The scheme's default port (`url#default-port`).
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Ftp => 21,
            Scheme::Http | Scheme::Ws => 80,
            Scheme::Https | Scheme::Wss => 443,
        }
    }

    /// Whether `url`'s scheme is this one, read in place: its
    /// serialization starts with the scheme and `:` (a parsed URL's scheme
    /// is lower case and ends at the first `:`), so this is
    /// `Scheme::from_url_scheme(url.scheme()) == Some(self)`.
    #[inline(always)]
    pub(crate) fn is_scheme_of(self, url: &Url) -> bool {
        let s = url.as_str().as_bytes();
        match self {
            Scheme::Https => s.first_chunk() == Some(b"https:"),
            Scheme::Http => s.first_chunk() == Some(b"http:"),
            Scheme::Wss => s.first_chunk() == Some(b"wss:"),
            Scheme::Ws => s.first_chunk() == Some(b"ws:"),
            Scheme::Ftp => s.first_chunk() == Some(b"ftp:"),
        }
    }

    /// Whether this is an HTTP(S) scheme (`fetch#http-scheme`).
    pub fn is_http(self) -> bool {
        matches!(self, Scheme::Http | Scheme::Https)
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Room for a domain stored inline, without a heap allocation. Most hosts fit.
const INLINE: usize = 38;

/// An ASCII domain as the URL host parser outputs it (lower case, punycode).
///
/// Short domains live inline so that taking the origin of a URL does not
/// allocate.
#[derive(Clone)]
pub struct Domain(DomainRepr);

#[derive(Clone)]
enum DomainRepr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Domain {
    /// A domain from an already-parsed host string.
    pub(crate) fn new(s: &str) -> Domain {
        if s.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Domain(DomainRepr::Inline {
                len: s.len() as u8,
                bytes,
            })
        } else {
            Domain(DomainRepr::Heap(s.into()))
        }
    }

    /// Whether the domain is stored inline (cloning it does not allocate).
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.0, DomainRepr::Inline { .. })
    }

    /// The domain's bytes (ASCII), without re-checking UTF-8.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            DomainRepr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            DomainRepr::Heap(s) => s.as_bytes(),
        }
    }

    /// The domain as a string.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            DomainRepr::Inline { len, bytes } => {
                // Only ever built from a `&str` cut at its end, so this is valid UTF-8.
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            DomainRepr::Heap(s) => s,
        }
    }
}

impl PartialEq for Domain {
    fn eq(&self, other: &Domain) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for Domain {}
impl Hash for Domain {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}
impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A host of a tuple origin (`url#concept-host`): a domain or an IP address.
///
/// Opaque and empty hosts never occur in a tuple origin, since only special
/// schemes other than `file` give one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain (`url#concept-domain`), ASCII lower case.
    Domain(Domain),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
}

impl Host {
    /// Parses a host string with the URL Standard's host parser
    /// (`url#concept-host-parser`, not opaque): domain to ASCII, IPv4 forms,
    /// bracketed IPv6.
    ///
    /// ```
    /// use crossorigin::Host;
    /// assert_eq!(Host::parse("EXAMPLE.com").unwrap().to_string(), "example.com");
    /// assert_eq!(Host::parse("0x7f.1").unwrap().to_string(), "127.0.0.1");
    /// assert!(Host::parse("a b").is_err());
    /// ```
    pub fn parse(input: &str) -> Result<Host, url::ParseError> {
        url::Host::parse(input).map(|h| Host::from_url_host(&h))
    }

    pub(crate) fn from_url_host<S: AsRef<str>>(host: &url::Host<S>) -> Host {
        match host {
            url::Host::Domain(d) => Host::Domain(Domain::new(d.as_ref())),
            url::Host::Ipv4(a) => Host::Ipv4(*a),
            url::Host::Ipv6(a) => Host::Ipv6(*a),
        }
    }

    /// Whether the host is a loopback address or a `localhost` name (with
    /// or without a final dot, or under `.localhost`): what makes an
    /// `http:` origin potentially trustworthy
    /// (`secure-contexts#is-origin-trustworthy`).
    ///
    /// ```
    /// use crossorigin::Host;
    /// assert!(Host::parse("127.0.0.2").unwrap().is_local());
    /// assert!(Host::parse("api.localhost.").unwrap().is_local());
    /// assert!(!Host::parse("localhost.example").unwrap().is_local());
    /// ```
    pub fn is_local(&self) -> bool {
        match self {
            Host::Ipv4(a) => a.is_loopback(),
            Host::Ipv6(a) => a.is_loopback(),
            Host::Domain(d) => {
                let d = d.as_str().trim_end_matches('.');
                d == "localhost" || d.ends_with(".localhost")
            }
        }
    }

    /// The domain, if the host is one.
    pub fn domain(&self) -> Option<&str> {
        match self {
            Host::Domain(d) => Some(d.as_str()),
            _ => None,
        }
    }
}

impl fmt::Display for Host {
    /// The host serializer (`url#concept-host-serializer`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d.as_str()),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => {
                f.write_str("[")?;
                write_ipv6(f, a)?;
                f.write_str("]")
            }
        }
    }
}

/// The IPv6 serializer (`url#concept-ipv6-serializer`): lower-case hex
/// pieces, the first longest run of two or more zero pieces compressed to
/// `::`, and no dotted IPv4 form (unlike `Ipv6Addr`'s `Display`).
fn write_ipv6(f: &mut impl fmt::Write, addr: &Ipv6Addr) -> fmt::Result {
    let pieces = addr.segments();
    // Find the first longest run of zero pieces of length >= 2.
    let (mut best_start, mut best_len) = (None, 1usize);
    let mut i = 0;
    while i < 8 {
        if pieces[i] == 0 {
            let start = i;
            while i < 8 && pieces[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_start = Some(start);
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let mut ignore0 = false;
    for (i, piece) in pieces.iter().enumerate() {
        if ignore0 && *piece == 0 {
            continue;
        }
        ignore0 = false;
        if best_start == Some(i) {
            f.write_str(if i == 0 { "::" } else { ":" })?;
            ignore0 = true;
            continue;
        }
        write!(f, "{piece:x}")?;
        if i != 7 {
            f.write_str(":")?;
        }
    }
    Ok(())
}

/// The identity of an opaque origin: equal only to itself and its clones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpaqueId(u64);

static NEXT_OPAQUE: AtomicU64 = AtomicU64::new(1);

impl OpaqueId {
    fn fresh() -> OpaqueId {
        OpaqueId(NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed))
    }
}

/// A tuple origin's parts (`html#concept-origin-tuple`).
#[derive(Clone, Debug)]
pub struct TupleOrigin {
    scheme: Scheme,
    host: Host,
    /// Null when the URL's port is the scheme's default (already folded).
    port: Option<u16>,
    /// Set only through `document.domain`.
    domain: Option<Host>,
}

impl TupleOrigin {
    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }
    /// The port; `None` for the scheme's default port.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// The port, with the scheme's default filled in.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }
    /// The domain set by `document.domain`, if any.
    pub fn domain(&self) -> Option<&Host> {
        self.domain.as_ref()
    }
}

/// An origin (`html#concept-origin`): opaque, or a tuple of scheme, host, port
/// and domain.
///
/// `==` is *same origin* (`html#same-origin`): an opaque origin equals only
/// itself and its clones, and the `document.domain` domain is ignored. Use
/// [`Origin::same_origin_domain`] where the domain matters.
///
/// ```
/// use crossorigin::Origin;
/// let a = Origin::from_url_str("https://example.com:443/path?q").unwrap();
/// assert_eq!(a.to_string(), "https://example.com");
/// let b = Origin::from_url_str("https://EXAMPLE.com/other").unwrap();
/// assert_eq!(a, b);
///
/// let opaque = Origin::from_url_str("data:text/plain,hi").unwrap();
/// assert_eq!(opaque.to_string(), "null");
/// assert_eq!(opaque, opaque.clone());
/// assert_ne!(opaque, Origin::from_url_str("data:text/plain,hi").unwrap());
/// ```
#[derive(Clone, Debug)]
pub enum Origin {
    /// An opaque origin (`html#concept-origin-opaque`), serialized as `null`.
    Opaque(OpaqueId),
    /// A tuple origin (`html#concept-origin-tuple`).
    Tuple(TupleOrigin),
}

impl Origin {
    /// A new opaque origin, different from every other.
    pub fn new_opaque() -> Origin {
        Origin::Opaque(OpaqueId::fresh())
    }

    /// A tuple origin from its parts; a port equal to the scheme's default is
    /// folded away.
    ///
    /// ```
    /// use crossorigin::{Host, Origin, Scheme};
    /// let o = Origin::tuple(Scheme::Https, Host::parse("a.example").unwrap(), Some(443));
    /// assert_eq!(o.to_string(), "https://a.example");
    /// ```
    pub fn tuple(scheme: Scheme, host: Host, port: Option<u16>) -> Origin {
        let port = port.filter(|p| *p != scheme.default_port());
        Origin::Tuple(TupleOrigin {
            scheme,
            host,
            port,
            domain: None,
        })
    }

    /// The origin of a URL (`url#concept-url-origin`).
    ///
    /// `blob:` URLs take the origin of the URL in their path only when its
    /// scheme is `http`, `https` or `file`; `file:` and every scheme that is not
    /// `ftp`, `http`, `https`, `ws` or `wss` give a new opaque origin.
    ///
    /// ```
    /// use crossorigin::Origin;
    /// use url::Url;
    /// let url = Url::parse("blob:https://a.example:8443/0b5f").unwrap();
    /// assert_eq!(Origin::of(&url).to_string(), "https://a.example:8443");
    /// let url = Url::parse("blob:ftp://a.example/x").unwrap();
    /// assert!(Origin::of(&url).is_opaque());
    /// ```
    pub fn of(url: &Url) -> Origin {
        match url.scheme() {
            "blob" => {
                // Step 2: the blob URL entry is not modelled; parse the path.
                match Url::parse(url.path()) {
                    Ok(inner) if matches!(inner.scheme(), "http" | "https" | "file") => {
                        Origin::of(&inner)
                    }
                    _ => Origin::new_opaque(),
                }
            }
            scheme => match (Scheme::from_url_scheme(scheme), url.host()) {
                (Some(scheme), Some(host)) => Origin::Tuple(TupleOrigin {
                    scheme,
                    host: Host::from_url_host(&host),
                    // `Url::port` is already `None` for the default port.
                    port: url.port(),
                    domain: None,
                }),
                _ => Origin::new_opaque(),
            },
        }
    }

    /// Parses `input` as a URL and returns its origin.
    pub fn from_url_str(input: &str) -> Result<Origin, url::ParseError> {
        Url::parse(input).map(|u| Origin::of(&u))
    }

    /// Whether the origin is opaque.
    pub fn is_opaque(&self) -> bool {
        matches!(self, Origin::Opaque(_))
    }

    /// The tuple's parts, if it is a tuple origin.
    pub fn as_tuple(&self) -> Option<&TupleOrigin> {
        match self {
            Origin::Tuple(t) => Some(t),
            Origin::Opaque(_) => None,
        }
    }

    /// The scheme of a tuple origin.
    pub fn scheme(&self) -> Option<Scheme> {
        self.as_tuple().map(|t| t.scheme)
    }

    /// The host of a tuple origin.
    pub fn host(&self) -> Option<&Host> {
        self.as_tuple().map(|t| &t.host)
    }

    /// Same origin (`html#same-origin`); the same as `==`.
    pub fn same_origin(&self, other: &Origin) -> bool {
        match (self, other) {
            (Origin::Opaque(a), Origin::Opaque(b)) => a == b,
            (Origin::Tuple(a), Origin::Tuple(b)) => {
                a.scheme == b.scheme && a.host == b.host && a.port == b.port
            }
            _ => false,
        }
    }

    /// Whether this origin is same origin with the origin of `url`, without
    /// building an opaque origin for it.
    pub fn same_origin_with_url(&self, url: &Url) -> bool {
        match self {
            // A URL's opaque origin is always new, so never the same.
            Origin::Opaque(_) => false,
            // The common case, compared in place without building an origin.
            Origin::Tuple(t) if t.scheme.is_scheme_of(url) => {
                url.port() == t.port
                    && match &t.host {
                        // `Url::domain` is the host if it is a domain (and
                        // comes back in registers, not memory).
                        Host::Domain(td) => url
                            .domain()
                            .is_some_and(|d| short_eq(d.as_bytes(), td.as_bytes())),
                        Host::Ipv4(b) => url.host() == Some(url::Host::Ipv4(*b)),
                        Host::Ipv6(b) => url.host() == Some(url::Host::Ipv6(*b)),
                    }
            }
            // Another tuple scheme is another origin; a URL of any other
            // scheme (`blob:`) has the origin `Origin::of` gives it.
            Origin::Tuple(_) => {
                Scheme::from_url_scheme(url.scheme()).is_none()
                    && self.same_origin(&Origin::of(url))
            }
        }
    }

    /// Same origin-domain (`html#same-origin-domain`).
    ///
    /// ```
    /// use crossorigin::{Host, Origin};
    /// let a = Origin::from_url_str("https://a.example.org").unwrap();
    /// let b = Origin::from_url_str("https://b.example.org").unwrap();
    /// let d = Host::parse("example.org").unwrap();
    /// assert!(!a.same_origin_domain(&b));
    /// let (a, b) = (a.with_domain(d.clone()), b.with_domain(d));
    /// assert!(a.same_origin_domain(&b));
    /// assert!(!a.same_origin(&b));
    /// ```
    pub fn same_origin_domain(&self, other: &Origin) -> bool {
        match (self, other) {
            (Origin::Opaque(a), Origin::Opaque(b)) => a == b,
            (Origin::Tuple(a), Origin::Tuple(b)) => match (&a.domain, &b.domain) {
                (Some(da), Some(db)) => a.scheme == b.scheme && da == db,
                (None, None) => self.same_origin(other),
                _ => false,
            },
            _ => false,
        }
    }

    /// The same origin with its domain set, as the `document.domain` setter
    /// does in its last step. Opaque origins are returned unchanged. Use
    /// [`document_domain_set`] to run the setter's checks.
    pub fn with_domain(&self, domain: Host) -> Origin {
        match self {
            Origin::Tuple(t) => Origin::Tuple(TupleOrigin {
                domain: Some(domain),
                ..t.clone()
            }),
            Origin::Opaque(_) => self.clone(),
        }
    }

    /// The effective domain (`html#concept-origin-effective-domain`).
    pub fn effective_domain(&self) -> Option<&Host> {
        match self {
            Origin::Opaque(_) => None,
            Origin::Tuple(t) => Some(t.domain.as_ref().unwrap_or(&t.host)),
        }
    }

    /// The ASCII serialization (`html#ascii-serialisation-of-an-origin`).
    ///
    /// ```
    /// use crossorigin::Origin;
    /// let o = Origin::from_url_str("http://[::1]:8080/").unwrap();
    /// assert_eq!(o.ascii_serialization(), "http://[::1]:8080");
    /// ```
    pub fn ascii_serialization(&self) -> String {
        match self {
            Origin::Opaque(_) => "null".to_owned(),
            Origin::Tuple(t) => match &t.host {
                // The common case, built without the formatting machinery.
                Host::Domain(d) => {
                    let scheme = t.scheme.as_str();
                    let mut out = String::with_capacity(scheme.len() + 3 + d.as_str().len() + 6);
                    out.push_str(scheme);
                    out.push_str("://");
                    out.push_str(d.as_str());
                    if let Some(port) = t.port {
                        use std::fmt::Write as _;
                        let _ = write!(out, ":{port}");
                    }
                    out
                }
                _ => self.to_string(),
            },
        }
    }

    /// Whether `bytes` is exactly this origin's ASCII serialization, compared
    /// without building the string (for `Access-Control-Allow-Origin`).
    ///
    /// ```
    /// use crossorigin::Origin;
    /// let o = Origin::from_url_str("https://a.example:8443").unwrap();
    /// assert!(o.serialization_eq(b"https://a.example:8443"));
    /// assert!(!o.serialization_eq(b"https://a.example:8443/"));
    /// assert!(Origin::new_opaque().serialization_eq(b"null"));
    /// ```
    pub fn serialization_eq(&self, bytes: &[u8]) -> bool {
        match self {
            Origin::Opaque(_) => bytes == b"null",
            Origin::Tuple(t) => {
                let Some(rest) = bytes.strip_prefix(t.scheme.as_str().as_bytes()) else {
                    return false;
                };
                let Some(rest) = rest.strip_prefix(b"://") else {
                    return false;
                };
                let rest = match &t.host {
                    Host::Domain(d) => match rest.strip_prefix(d.as_str().as_bytes()) {
                        Some(r) => r,
                        None => return false,
                    },
                    // IP hosts are rare in ACAO; format them on the stack.
                    ip => {
                        let mut buf = StackBuf::new();
                        if fmt::write(&mut buf, format_args!("{ip}")).is_err() {
                            return false;
                        }
                        match rest.strip_prefix(buf.as_bytes()) {
                            Some(r) => r,
                            None => return false,
                        }
                    }
                };
                match t.port {
                    None => rest.is_empty(),
                    Some(port) => {
                        let Some(digits) = rest.strip_prefix(b":") else {
                            return false;
                        };
                        let mut buf = StackBuf::new();
                        if fmt::write(&mut buf, format_args!("{port}")).is_err() {
                            return false;
                        }
                        digits == buf.as_bytes()
                    }
                }
            }
        }
    }

    /// Parses a serialized origin as it appears in an `Origin` or
    /// `Access-Control-Allow-Origin` header, strictly: the input must be
    /// byte for byte the ASCII serialization of a tuple origin, or `null`
    /// (which gives a new opaque origin).
    ///
    /// ```
    /// use crossorigin::{Origin, OriginParseError};
    /// assert_eq!(Origin::parse(b"https://a.example:8443").unwrap().to_string(), "https://a.example:8443");
    /// assert!(Origin::parse(b"null").unwrap().is_opaque());
    /// assert_eq!(Origin::parse(b"https://a.example/"), Err(OriginParseError::HasPath));
    /// assert_eq!(Origin::parse(b"https://a.example:443"), Err(OriginParseError::DefaultPort));
    /// ```
    pub fn parse(input: &[u8]) -> Result<Origin, OriginParseError> {
        use OriginParseError as E;
        if input.is_empty() {
            return Err(E::Empty);
        }
        if input == b"null" {
            return Ok(Origin::new_opaque());
        }
        if !input.is_ascii() {
            return Err(E::NotAscii);
        }
        if input
            .iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(E::WhitespaceOrControl);
        }
        // The input is ASCII, so this cannot fail.
        let text = std::str::from_utf8(input).map_err(|_| E::NotAscii)?;
        if text.eq_ignore_ascii_case("null") {
            return Err(E::NullCase);
        }
        let Some((scheme_str, rest)) = text.split_once("://") else {
            return Err(E::MissingScheme);
        };
        let scheme = match Scheme::from_url_scheme(scheme_str) {
            Some(s) => s,
            None if Scheme::from_url_scheme(&scheme_str.to_ascii_lowercase()).is_some() => {
                return Err(E::NotCanonical);
            }
            None => return Err(E::NotATupleScheme),
        };
        if rest.contains('@') {
            return Err(E::HasUserinfo);
        }
        if rest.contains('/') || rest.contains('\\') {
            return Err(E::HasPath);
        }
        if rest.contains('?') {
            return Err(E::HasQuery);
        }
        if rest.contains('#') {
            return Err(E::HasFragment);
        }
        // Split off a port after the host (an IPv6 host has colons inside brackets).
        let (host_str, port_str) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains(']') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if host_str.is_empty() {
            return Err(E::InvalidHost);
        }
        let port = match port_str {
            None => None,
            Some(p) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::InvalidPort);
                }
                if p.len() > 1 && p.starts_with('0') {
                    return Err(E::NotCanonical);
                }
                let n: u16 = p.parse().map_err(|_| E::InvalidPort)?;
                if n == scheme.default_port() {
                    return Err(E::DefaultPort);
                }
                Some(n)
            }
        };
        let host = Host::parse(host_str).map_err(|_| E::InvalidHost)?;
        let origin = Origin::tuple(scheme, host, port);
        if !origin.serialization_eq(input) {
            return Err(E::NotCanonical);
        }
        Ok(origin)
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        self.same_origin(other)
    }
}
impl Eq for Origin {}

impl Hash for Origin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Origin::Opaque(id) => {
                0u8.hash(state);
                id.hash(state);
            }
            Origin::Tuple(t) => {
                1u8.hash(state);
                t.scheme.hash(state);
                t.host.hash(state);
                t.port.hash(state);
            }
        }
    }
}

impl fmt::Display for Origin {
    /// The ASCII serialization (`html#ascii-serialisation-of-an-origin`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Opaque(_) => f.write_str("null"),
            Origin::Tuple(t) => {
                write!(f, "{}://{}", t.scheme, t.host)?;
                if let Some(port) = t.port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// Why a byte string is not a serialized origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OriginParseError {
    /// The value is empty.
    Empty,
    /// The value has a byte outside ASCII (hosts must be punycode).
    NotAscii,
    /// The value has a space, tab or control byte (no trimming is done).
    WhitespaceOrControl,
    /// `null` spelled in another case.
    NullCase,
    /// No `scheme://` at the start.
    MissingScheme,
    /// A scheme that never gives a tuple origin (`file`, `data`, `blob`, …).
    NotATupleScheme,
    /// Userinfo (`user@`) is never part of an origin.
    HasUserinfo,
    /// A path, even `/`, is never part of an origin.
    HasPath,
    /// A query is never part of an origin.
    HasQuery,
    /// A fragment is never part of an origin.
    HasFragment,
    /// The host does not parse.
    InvalidHost,
    /// The port is empty, not digits, or above 65535.
    InvalidPort,
    /// The scheme's default port is written out; a serialization omits it.
    DefaultPort,
    /// Parses, but serializes differently (case, IP address form, leading zeros).
    NotCanonical,
}

impl fmt::Display for OriginParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use OriginParseError as E;
        f.write_str(match self {
            E::Empty => "the value is empty",
            E::NotAscii => "the value has non-ASCII bytes (hosts must be written in punycode)",
            E::WhitespaceOrControl => "the value contains a space, tab or control character",
            E::NullCase => "`null` must be written in lower case",
            E::MissingScheme => "the value does not start with a scheme and `://`",
            E::NotATupleScheme => {
                "the scheme never gives a tuple origin (only http, https, ws, wss and ftp do)"
            }
            E::HasUserinfo => "an origin never contains a user name or password",
            E::HasPath => "an origin has no path, not even a trailing `/`",
            E::HasQuery => "an origin has no query",
            E::HasFragment => "an origin has no fragment",
            E::InvalidHost => "the host is not a valid host",
            E::InvalidPort => "the port is not a number from 0 to 65535",
            E::DefaultPort => "the scheme's default port must be left out",
            E::NotCanonical => {
                "the value is not in serialized form (lower case, canonical host and port)"
            }
        })
    }
}

impl std::error::Error for OriginParseError {}

/// A small fixed buffer for formatting an IP address or a port without
/// allocating.
struct StackBuf {
    bytes: [u8; 48],
    len: usize,
}

impl StackBuf {
    fn new() -> StackBuf {
        StackBuf {
            bytes: [0; 48],
            len: 0,
        }
    }
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Why the `document.domain` setter throws a `"SecurityError"` DOMException.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocumentDomainError {
    /// The document has no browsing context.
    NoBrowsingContext,
    /// The sandboxed `document.domain` browsing context flag is set.
    Sandboxed,
    /// The origin is opaque: its effective domain is null.
    OpaqueOrigin,
    /// The value is not a registrable domain suffix of, and not equal to, the
    /// effective domain.
    NotASuffix,
}

impl fmt::Display for DocumentDomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DocumentDomainError::NoBrowsingContext => "the document has no browsing context",
            DocumentDomainError::Sandboxed => "the document is sandboxed against document.domain",
            DocumentDomainError::OpaqueOrigin => "an opaque origin has no domain to relax",
            DocumentDomainError::NotASuffix => {
                "the value is not a registrable domain suffix of the current domain"
            }
        })
    }
}

impl std::error::Error for DocumentDomainError {}

/// Where a `document.domain` assignment happens: the setter's preconditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentDomainContext {
    /// The document has a browsing context.
    pub has_browsing_context: bool,
    /// The sandboxed `document.domain` browsing context flag is set.
    pub sandboxed: bool,
    /// The agent cluster is origin-keyed (the setter then does nothing).
    pub origin_keyed: bool,
}

impl Default for DocumentDomainContext {
    /// A top-level, unsandboxed document in a site-keyed agent cluster.
    fn default() -> Self {
        DocumentDomainContext {
            has_browsing_context: true,
            sandboxed: false,
            origin_keyed: false,
        }
    }
}

/// The `document.domain` getter (`html#dom-document-domain`): the effective
/// domain serialized, or the empty string for an opaque origin.
pub fn document_domain_get(origin: &Origin) -> String {
    origin
        .effective_domain()
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// The `document.domain` setter (`html#dom-document-domain`): returns the
/// document's origin after the assignment.
///
/// ```
/// use crossorigin::{document_domain_set, DocumentDomainContext, Origin, Psl};
/// let psl = Psl::shipped();
/// let o = Origin::from_url_str("https://www.example.com").unwrap();
/// let ctx = DocumentDomainContext::default();
/// let relaxed = document_domain_set(&o, "example.com", ctx, psl).unwrap();
/// assert_eq!(relaxed.effective_domain().unwrap().to_string(), "example.com");
/// assert!(document_domain_set(&o, "com", ctx, psl).is_err());
/// ```
pub fn document_domain_set(
    origin: &Origin,
    value: &str,
    context: DocumentDomainContext,
    psl: &Psl,
) -> Result<Origin, DocumentDomainError> {
    // Step 1-2.
    if !context.has_browsing_context {
        return Err(DocumentDomainError::NoBrowsingContext);
    }
    if context.sandboxed {
        return Err(DocumentDomainError::Sandboxed);
    }
    // Step 3-4.
    let Some(effective) = origin.effective_domain() else {
        return Err(DocumentDomainError::OpaqueOrigin);
    };
    // Step 5.
    if !is_registrable_domain_suffix_of_or_equal(value, effective, psl) {
        return Err(DocumentDomainError::NotASuffix);
    }
    // Step 6.
    if context.origin_keyed {
        return Ok(origin.clone());
    }
    // Step 7.
    match Host::parse(value) {
        Ok(host) => Ok(origin.with_domain(host)),
        Err(_) => Err(DocumentDomainError::NotASuffix),
    }
}

/// Whether `host_suffix` is a registrable domain suffix of or is equal to
/// `original` (`html#is-a-registrable-domain-suffix-of-or-is-equal-to`).
///
/// ```
/// use crossorigin::{is_registrable_domain_suffix_of_or_equal, Host, Psl};
/// let psl = Psl::shipped();
/// let host = Host::parse("www.example.com").unwrap();
/// assert!(is_registrable_domain_suffix_of_or_equal("example.com", &host, psl));
/// assert!(!is_registrable_domain_suffix_of_or_equal("com", &host, psl));
/// ```
pub fn is_registrable_domain_suffix_of_or_equal(
    host_suffix: &str,
    original: &Host,
    psl: &Psl,
) -> bool {
    // Step 1.
    if host_suffix.is_empty() {
        return false;
    }
    // Step 2-3.
    let Ok(suffix) = Host::parse(host_suffix) else {
        return false;
    };
    // Step 4.
    if suffix != *original {
        // 4.1: both must be domains.
        let (Some(s), Some(o)) = (suffix.domain(), original.domain()) else {
            return false;
        };
        // 4.2: ".suffix" must end the original.
        if !ends_with_dot_label(o, s) {
            return false;
        }
        // 4.3.
        let s_public = psl.public_suffix(s);
        let o_public = psl.public_suffix(o);
        if s_public == Some(s) {
            return false;
        }
        if let Some(op) = o_public {
            if ends_with_dot_label(op, s) {
                return false;
            }
        }
    }
    true
}

/// Whether `"." + suffix` matches the end of `s`.
fn ends_with_dot_label(s: &str, suffix: &str) -> bool {
    s.len() > suffix.len()
        && s.ends_with(suffix)
        && s.as_bytes().get(s.len() - suffix.len() - 1) == Some(&b'.')
}

/// Byte equality without a `memcmp` call for up to 16 bytes (methods,
/// most header names, short domains): the first and last word (or half,
/// or quarter) of each, overlapping.
#[inline(always)]
pub(crate) fn short_eq(a: &[u8], b: &[u8]) -> bool {
    fn ends<const N: usize>(a: &[u8], b: &[u8]) -> bool {
        a.first_chunk::<N>() == b.first_chunk::<N>() && a.last_chunk::<N>() == b.last_chunk::<N>()
    }
    a.len() == b.len()
        && match a.len() {
            8..=16 => ends::<8>(a, b),
            4..=7 => ends::<4>(a, b),
            2..=3 => ends::<2>(a, b),
            // Never `memcmp` for no bytes: an empty slice may point
            // nowhere, and this machine's libc reads it with a masked
            // load that takes ~100 ns to suppress the fault.
            0 => true,
            1 => a.first() == b.first(),
            _ => a == b,
        }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// URLs of every kind an origin is compared with: schemes, ports,
    /// userinfo, IP hosts, IDNA, trailing dots, prefixes of one another.
    pub(crate) const URLS: &[&str] = &[
        "https://api.example.com/v1/items/42?fields=name,price",
        "https://app.example.com/",
        "https://app.example.com",
        "https://app.example.com:8443/",
        "https://app.example.com:443/x",
        "https://app.example.com./",
        "http://app.example.com/",
        "http://app.example.com:80/",
        "http://app.example.com:443/",
        "https://APP.Example.COM/x",
        "https://user:pw@app.example.com/",
        "https://app.example.com@evil.com/",
        "https://app.example.com.evil.net/",
        "https://api.example.com.evil.net/v1",
        "https://a.b.example.co.uk/",
        "https://example.co.uk/",
        "https://co.uk/",
        "https://whatwg.github.io/",
        "https://other.github.io/",
        "https://github.io/",
        "https://127.0.0.1/",
        "https://127.0.0.1:8080/",
        "http://0x7f.1/",
        "https://[::1]/",
        "https://[::1]:8443/",
        "https://[2001:db8::1]/",
        "https://b\u{fc}cher.example/",
        "https://xn--bcher-kva.example/",
        "https://localhost/",
        "http://sub.localhost./",
        "ws://app.example.com/",
        "wss://api.example.com/socket",
        "ftp://api.example.com/",
        "blob:https://app.example.com/0b5f",
        "blob:https://api.example.com/0b5f",
        "blob:ftp://app.example.com/x",
        "blob:null/x",
        "data:text/plain,hi",
        "file:///tmp/x",
        "about:blank",
        "about:srcdoc",
        "javascript:1",
        "httpx://app.example.com/",
        "https://a-very-long-subdomain-name-for-these-tests.a-long-registrable-name.example.com/x",
        "https://a-very-long-subdomain-name-for-these-tests.a-long-registrable-name.example.com:1/",
        "https://example/",
        "https://a.example/",
    ];

    pub(crate) fn urls() -> Vec<Url> {
        URLS.iter()
            .map(|u| Url::parse(u).unwrap_or_else(|e| panic!("{u}: {e}")))
            .collect()
    }

    /// The origins of those URLs, an opaque one, and tuple origins with IP
    /// hosts.
    pub(crate) fn origins() -> Vec<Origin> {
        let mut origins: Vec<Origin> = urls().iter().map(Origin::of).collect();
        origins.push(Origin::new_opaque());
        origins.push(Origin::tuple(
            Scheme::Https,
            Host::Ipv4(Ipv4Addr::LOCALHOST),
            None,
        ));
        origins.push(Origin::tuple(
            Scheme::Https,
            Host::Ipv6(Ipv6Addr::LOCALHOST),
            Some(8443),
        ));
        origins
    }

    /// `is_scheme_of` is the scheme string's comparison.
    #[test]
    fn is_scheme_of_reads_the_scheme() {
        for url in urls() {
            for scheme in [
                Scheme::Ftp,
                Scheme::Http,
                Scheme::Https,
                Scheme::Ws,
                Scheme::Wss,
            ] {
                assert_eq!(
                    scheme.is_scheme_of(&url),
                    Scheme::from_url_scheme(url.scheme()) == Some(scheme),
                    "{scheme} {url}"
                );
            }
        }
    }

    /// `same_origin_with_url` is same origin with the URL's origin.
    #[test]
    fn same_origin_with_url_is_same_origin_with_its_origin() {
        for origin in origins() {
            for url in urls() {
                assert_eq!(
                    origin.same_origin_with_url(&url),
                    origin.same_origin(&Origin::of(&url)),
                    "{origin} {url}"
                );
            }
        }
    }

    /// `short_eq` is `==` for every length to past 16, with a difference
    /// at every position, and for empty slices wherever they point.
    #[test]
    fn short_eq_is_eq() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            let copy = a.to_vec();
            assert!(short_eq(a, &copy), "{n}");
            assert_eq!(short_eq(a, &base[..n.saturating_sub(1)]), n == 0);
            for i in 0..n {
                let mut b = copy.clone();
                b[i] ^= 0x20;
                assert!(!short_eq(a, &b), "{n} {i}");
            }
        }
        let none: &[u8] = &[];
        assert!(short_eq(none, &base[..0]));
        assert!(short_eq(&base[40..], none));
        assert!(!short_eq(none, b"a"));
    }
}
