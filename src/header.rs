//! Header names and values as bytes, and the Fetch Standard's header
//! predicates (`fetch#terminology-headers`).
//!
//! Every predicate takes raw bytes: `http::HeaderValue` cannot hold every
//! byte these rules test.

use crate::method::is_forbidden_method;
use crate::mime;

/// One header of a [`HeaderList`], borrowed: a name and a value, as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The name, as given (case kept).
    pub name: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

/// The bytes of a length prefix in a [`HeaderList`]'s buffer.
const LEN: usize = std::mem::size_of::<usize>();

/// An ordered header list (`fetch#concept-header-list`): repeated names
/// allowed, case kept, raw bytes. Every header lives in one buffer as
/// `name length, value length, name, value`, so building, cloning and
/// filtering a list costs one allocation, not two per header.
///
/// ```
/// use crossorigin::HeaderList;
/// let mut h = HeaderList::new();
/// h.append("Accept", "text/html");
/// h.append("X-Trace", "1");
/// h.append("x-trace", "2");
/// assert_eq!(h.get(b"X-TRACE").as_deref(), Some(&b"1, 2"[..]));
/// assert!(h.contains(b"accept"));
/// assert_eq!(h.iter().next().unwrap().name, b"Accept");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderList {
    buf: Vec<u8>,
    count: usize,
}

impl std::fmt::Debug for HeaderList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_headers(f, self.iter())
    }
}

/// Formats headers as a list of (name, value) pairs, lossily as text.
pub(crate) fn debug_headers<'a>(
    f: &mut std::fmt::Formatter<'_>,
    headers: impl Iterator<Item = Header<'a>>,
) -> std::fmt::Result {
    f.debug_list()
        .entries(headers.map(|h| {
            (
                String::from_utf8_lossy(h.name),
                String::from_utf8_lossy(h.value),
            )
        }))
        .finish()
}

/// Every value of a name, combined with `, ` (`fetch#concept-header-list-get`),
/// or `None` when there is none.
pub(crate) fn combine_values<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    for v in values {
        match &mut out {
            None => out = Some(v.to_vec()),
            Some(o) => {
                o.extend_from_slice(b", ");
                o.extend_from_slice(v);
            }
        }
    }
    out
}

/// Reads the header that starts at `pos`: the header and where the next
/// one starts. `None` only at the end of the buffer.
#[inline(always)]
fn read_at(buf: &[u8], pos: usize) -> Option<(Header<'_>, usize)> {
    let (h, rest) = split_first(buf.get(pos..)?)?;
    Some((h, buf.len() - rest.len()))
}

/// Splits the first header off the front of a buffer: the header and the
/// headers after it. `None` only at the end of the buffer.
#[inline(always)]
fn split_first(buf: &[u8]) -> Option<(Header<'_>, &[u8])> {
    let (lens, rest) = buf.split_first_chunk::<{ 2 * LEN }>()?;
    let (n, v) = lens.split_at(LEN);
    let name_len = usize::from_ne_bytes(n.try_into().ok()?);
    let value_len = usize::from_ne_bytes(v.try_into().ok()?);
    let (name, rest) = rest.split_at_checked(name_len)?;
    let (value, rest) = rest.split_at_checked(value_len)?;
    Some((Header { name, value }, rest))
}

impl HeaderList {
    /// An empty list.
    pub fn new() -> HeaderList {
        HeaderList::default()
    }

    /// An empty list with room for `headers` headers of `bytes` bytes in all.
    pub fn with_capacity(headers: usize, bytes: usize) -> HeaderList {
        HeaderList {
            buf: Vec::with_capacity(bytes + headers * 2 * LEN),
            count: 0,
        }
    }

    /// Appends a header (`fetch#concept-header-list-append`), keeping the
    /// name's case as given.
    #[inline]
    pub fn append(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.append_bytes(name.as_ref(), value.as_ref());
    }

    /// [`HeaderList::append`] of byte strings. Inlined: where the name and
    /// value are literals, the copies become a few stores.
    #[inline(always)]
    fn append_bytes(&mut self, name: &[u8], value: &[u8]) {
        let mut lens = [0u8; 2 * LEN];
        lens[..LEN].copy_from_slice(&name.len().to_ne_bytes());
        lens[LEN..].copy_from_slice(&value.len().to_ne_bytes());
        self.buf.reserve(2 * LEN + name.len() + value.len());
        self.buf.extend_from_slice(&lens);
        self.buf.extend_from_slice(name);
        self.buf.extend_from_slice(value);
        self.count += 1;
    }

    /// Appends a header whose value is written by `write` straight into the
    /// list (no intermediate string).
    #[inline]
    pub fn append_with(&mut self, name: &[u8], write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.buf.len();
        self.buf.extend_from_slice(&name.len().to_ne_bytes());
        self.buf.extend_from_slice(&0usize.to_ne_bytes());
        self.buf.extend_from_slice(name);
        let value_start = self.buf.len();
        write(&mut self.buf);
        let value_len = self.buf.len() - value_start;
        self.buf[start + LEN..start + 2 * LEN].copy_from_slice(&value_len.to_ne_bytes());
        self.count += 1;
    }

    /// An empty list that writes into `buf` (emptied first), keeping its
    /// capacity.
    pub(crate) fn from_spare(mut buf: Vec<u8>) -> HeaderList {
        buf.clear();
        HeaderList { buf, count: 0 }
    }

    /// The list's buffer, for reuse.
    pub(crate) fn into_spare(self) -> Vec<u8> {
        self.buf
    }

    /// The bytes the list's buffer holds without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Empties the list, keeping its capacity.
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.count = 0;
    }

    /// The list's length and buffer size, for [`HeaderList::truncate_to`].
    pub(crate) fn mark(&self) -> (usize, usize) {
        (self.count, self.buf.len())
    }

    /// Drops the headers appended since [`HeaderList::mark`] returned `at`.
    pub(crate) fn truncate_to(&mut self, at: (usize, usize)) {
        self.count = at.0;
        self.buf.truncate(at.1);
    }

    /// Appends every header of another list.
    pub fn extend_from(&mut self, other: &HeaderList) {
        self.buf.extend_from_slice(&other.buf);
        self.count += other.count;
    }

    /// Whether a header with this name is in the list (case-insensitive).
    pub fn contains(&self, name: &[u8]) -> bool {
        self.iter().any(|h| h.name.eq_ignore_ascii_case(name))
    }

    /// Gets a header (`fetch#concept-header-list-get`): every value of the
    /// name, combined with `, `, or `None`.
    pub fn get(&self, name: &[u8]) -> Option<Vec<u8>> {
        combine_values(self.values(name))
    }

    /// Every value of the name, in order.
    pub fn values<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// Removes every header with this name (`fetch#concept-header-list-delete`).
    pub fn delete(&mut self, name: &[u8]) {
        self.retain(|h| !h.name.eq_ignore_ascii_case(name));
    }

    /// Sets a header (`fetch#concept-header-list-set`): replaces the first
    /// header of that name and removes the others, or appends.
    pub fn set(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        let mut out = HeaderList::with_capacity(self.len() + 1, self.buf.len() + value.len());
        let mut done = false;
        for h in self.iter() {
            if h.name.eq_ignore_ascii_case(name) {
                if !done {
                    out.append(h.name, value);
                    done = true;
                }
            } else {
                out.append(h.name, h.value);
            }
        }
        if !done {
            out.append(name, value);
        }
        *self = out;
    }

    /// The headers in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            rest: &self.buf,
            left: self.count,
        }
    }

    /// The number of headers.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Calls `f` with each header and where it starts in the buffer (for
    /// [`HeaderList::at`]), in order.
    #[inline(always)]
    pub(crate) fn for_each_at(&self, mut f: impl FnMut(usize, Header<'_>)) {
        let mut pos = 0usize;
        while let Some((h, next)) = read_at(&self.buf, pos) {
            f(pos, h);
            pos = next;
        }
    }

    /// Calls `f` with each header's name and where the header starts in
    /// the buffer (for [`HeaderList::at`]; the name starts
    /// [`HeaderList::NAME_OFFSET`] bytes later), in order. Reads only the
    /// names: two bounds checks a header, not four.
    #[inline(always)]
    pub(crate) fn for_each_name_at(&self, mut f: impl FnMut(usize, &[u8])) {
        let buf = self.buf.as_slice();
        let mut pos = 0usize;
        while let Some(lens) = buf.get(pos..).and_then(|b| b.first_chunk::<{ 2 * LEN }>()) {
            let (n, v) = lens.split_at(LEN);
            let name_len = n.try_into().map_or(0, usize::from_ne_bytes);
            let value_len = v.try_into().map_or(0, usize::from_ne_bytes);
            let start = pos + 2 * LEN;
            // The buffer holds whole headers, so the name is there (and
            // nothing here panics if it were not).
            let Some(name) = buf.get(start..start.saturating_add(name_len)) else {
                return;
            };
            f(pos, name);
            pos = start.saturating_add(name_len).saturating_add(value_len);
        }
    }

    /// The size of the list's buffer, in bytes (every offset in it is
    /// smaller).
    #[inline(always)]
    pub(crate) fn byte_len(&self) -> usize {
        self.buf.len()
    }

    /// Where a header's name starts, from where the header starts.
    pub(crate) const NAME_OFFSET: usize = 2 * LEN;

    /// The `len` bytes from `start` in the buffer (a name found by
    /// [`HeaderList::for_each_name_at`]), or nothing if out of range.
    #[inline(always)]
    pub(crate) fn bytes_at(&self, start: usize, len: usize) -> &[u8] {
        self.buf
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }

    /// The header that starts at `pos` (from [`HeaderList::for_each_at`]).
    #[inline]
    pub(crate) fn at(&self, pos: usize) -> Option<Header<'_>> {
        read_at(&self.buf, pos).map(|(h, _)| h)
    }

    /// Keeps only the headers for which `keep` returns true, in place.
    pub fn retain(&mut self, mut keep: impl FnMut(Header<'_>) -> bool) {
        // Headers kept one after another move together: `run` is where the
        // current run of kept headers starts in the buffer.
        let (mut read, mut write, mut kept) = (0usize, 0usize, 0usize);
        let mut run = 0usize;
        while let Some((h, next)) = read_at(&self.buf, read) {
            if keep(h) {
                kept += 1;
            } else {
                if write != run {
                    self.buf.copy_within(run..read, write);
                }
                write += read - run;
                run = next;
            }
            read = next;
        }
        if write != run {
            self.buf.copy_within(run..read, write);
        }
        write += read - run;
        self.buf.truncate(write);
        self.count = kept;
    }
}

/// The headers of a [`HeaderList`], in order.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    /// The headers not yet returned.
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Header<'a>;
    #[inline]
    fn next(&mut self) -> Option<Header<'a>> {
        let (h, rest) = split_first(self.rest)?;
        self.rest = rest;
        self.left = self.left.saturating_sub(1);
        Some(h)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a> IntoIterator for &'a HeaderList {
    type Item = Header<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<N: AsRef<[u8]>, V: AsRef<[u8]>> FromIterator<(N, V)> for HeaderList {
    fn from_iter<T: IntoIterator<Item = (N, V)>>(iter: T) -> Self {
        let mut list = HeaderList::new();
        for (n, v) in iter {
            list.append(n, v);
        }
        list
    }
}

impl From<&http::HeaderMap> for HeaderList {
    /// Converts at the edge; `http` has already folded the names to lower case.
    fn from(map: &http::HeaderMap) -> HeaderList {
        map.iter()
            .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
            .collect()
    }
}

/// Byte classes, one bit each, looked up in one table.
const TOKEN: u8 = 1;
const UNSAFE: u8 = 2;
const LANGUAGE: u8 = 4;

const fn byte_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut v = 0u8;
        if c.is_ascii_alphanumeric() {
            v |= TOKEN | LANGUAGE;
        }
        if matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        ) {
            v |= TOKEN;
        }
        if (c < 0x20 && c != 0x09)
            || matches!(
                c,
                b'"' | b'('
                    | b')'
                    | b':'
                    | b'<'
                    | b'>'
                    | b'?'
                    | b'@'
                    | b'['
                    | b'\\'
                    | b']'
                    | b'{'
                    | b'}'
                    | 0x7F
            )
        {
            v |= UNSAFE;
        }
        if matches!(c, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=') {
            v |= LANGUAGE;
        }
        t[b] = v;
        b += 1;
    }
    t
}

static BYTE_CLASSES: [u8; 256] = byte_classes();

/// An HTTP token byte (`field-name`, `method`).
pub fn is_token_byte(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & TOKEN != 0
}

/// What appending a header to a script's request headers does with it
/// (`fetch#concept-headers-append`, guard `request`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScriptHeader {
    /// Appended as given: valid, not forbidden, its value already normalized.
    AsGiven,
    /// Appended with its value trimmed, or dropped (a forbidden request-header).
    Changed,
    /// Not a header name: it throws.
    InvalidName,
    /// Once normalized, not a header value: it throws.
    InvalidValue,
}

/// Checks a header a script appends to a request's headers: its value
/// normalized (`fetch#concept-header-value-normalize`), then the name and
/// value validated, then the forbidden request-header rule.
#[cfg(test)]
pub(crate) fn check_script_header(name: &[u8], value: &[u8]) -> ScriptHeader {
    check_script_header_safelisted(name, value).0
}

/// [`check_script_header`], and whether a header appended as given is a
/// CORS-safelisted request-header (`fetch#cors-safelisted-request-header`):
/// the name is told apart once for both rules.
#[inline(never)]
pub(crate) fn check_script_header_safelisted(name: &[u8], value: &[u8]) -> (ScriptHeader, bool) {
    let normalized = normalize_value(value);
    if !is_header_name(name) {
        return (ScriptHeader::InvalidName, false);
    }
    // A normalized value neither starts nor ends with a tab or space: only
    // NUL, CR and LF are left to refuse (`is_header_value`).
    if has_nul_cr_lf(normalized) {
        return (ScriptHeader::InvalidValue, false);
    }
    let forbidden = match RequestName::of(name) {
        RequestName::Forbidden => true,
        RequestName::MethodOverride => overrides_forbidden_method(normalized),
        RequestName::Safelisted(kind) if normalized.len() == value.len() => {
            let safe = value.len() <= SAFELISTED_VALUE_MAX && is_safelisted_value(kind, value);
            return (ScriptHeader::AsGiven, safe);
        }
        RequestName::Safelisted(_) | RequestName::Other => false,
    };
    if normalized.len() != value.len() || forbidden {
        (ScriptHeader::Changed, false)
    } else {
        (ScriptHeader::AsGiven, false)
    }
}

/// What a request-header name is to the rules a script's headers meet:
/// told apart by length first, then one comparison or two.
#[derive(Clone, Copy)]
enum RequestName {
    /// A forbidden request-header name (`fetch#forbidden-request-header`
    /// steps 1 and 2): forbidden whatever the value.
    Forbidden,
    /// `X-HTTP-Method`, `X-HTTP-Method-Override` or `X-Method-Override`:
    /// forbidden when the value names a forbidden method (step 3).
    MethodOverride,
    /// A CORS-safelisted request-header name, given its value's rule.
    Safelisted(SafelistedName),
    /// Any other name.
    Other,
}

impl RequestName {
    #[inline(always)]
    fn of(name: &[u8]) -> RequestName {
        use RequestName::{Forbidden, MethodOverride, Other, Safelisted};
        let is = |lower: &[u8]| eq_lower(name, lower);
        let known = match name.len() {
            2 if is(b"te") => Forbidden,
            3 if is(b"dnt") || is(b"via") => Forbidden,
            4 if is(b"date") || is(b"host") => Forbidden,
            5 if is(b"range") => Safelisted(SafelistedName::Range),
            6 if is(b"accept") => Safelisted(SafelistedName::Accept),
            6 if is(b"cookie") || is(b"expect") || is(b"origin") => Forbidden,
            7 if is(b"cookie2") || is(b"referer") || is(b"trailer") || is(b"upgrade") => Forbidden,
            10 if is(b"connection") || is(b"keep-alive") || is(b"set-cookie") => Forbidden,
            12 if is(b"content-type") => Safelisted(SafelistedName::ContentType),
            13 if is(b"x-http-method") => MethodOverride,
            14 if is(b"accept-charset") || is(b"content-length") => Forbidden,
            15 if is(b"accept-language") => Safelisted(SafelistedName::Language),
            15 if is(b"accept-encoding") => Forbidden,
            16 if is(b"content-language") => Safelisted(SafelistedName::Language),
            17 if is(b"transfer-encoding") => Forbidden,
            17 if is(b"x-method-override") => MethodOverride,
            22 if is(b"x-http-method-override") => MethodOverride,
            29 if is(b"access-control-request-method") => Forbidden,
            30 if is(b"access-control-request-headers") => Forbidden,
            _ => Other,
        };
        debug_assert_eq!(
            matches!(known, Forbidden),
            FORBIDDEN_REQUEST_HEADER_NAMES
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
        );
        if !matches!(known, Other) {
            return known;
        }
        // Step 2 of the forbidden rule, on the first byte first (`| 0x20`
        // folds only `P` to `p` and `S` to `s`); no name above starts so.
        let starts_with_ci = |p: &[u8]| name.get(..p.len()).is_some_and(|h| eq_lower(h, p));
        match name.first().map(|b| b | 0x20) {
            Some(b'p') if starts_with_ci(b"proxy-") => Forbidden,
            Some(b's') if starts_with_ci(b"sec-") => Forbidden,
            _ => Other,
        }
    }
}

/// Whether `name` is a header name (`fetch#header-name`): a token.
#[inline]
pub fn is_header_name(name: &[u8]) -> bool {
    // Most names are letters, digits and `-`: eight bytes at a time. Any
    // other byte sends the name to the byte-by-byte rule.
    !name.is_empty() && (or_over_words(name, not_alphanumeric_or_dash) == 0 || is_token(name))
}

/// Whether every byte is a token byte, byte by byte.
#[inline(never)]
fn is_token(s: &[u8]) -> bool {
    and_classes(s) & TOKEN != 0
}

/// Whether `value` is a header value (`fetch#header-value`): no leading or
/// trailing tab or space, no NUL, CR or LF.
#[inline]
pub fn is_header_value(value: &[u8]) -> bool {
    let tab_or_space = |b: &u8| *b == b'\t' || *b == b' ';
    !value.first().is_some_and(tab_or_space)
        && !value.last().is_some_and(tab_or_space)
        && !has_nul_cr_lf(value)
}

/// Whether any byte of `value` is NUL, CR or LF, eight bytes at a time.
#[inline(always)]
fn has_nul_cr_lf(value: &[u8]) -> bool {
    // All three are below 0x0E: asking that first (three operations a
    // word) clears the usual value; one with a tab or another low byte
    // is asked again exactly.
    let below_0e = |w: u64| w.wrapping_sub(ONES * 0x0E) & !w & HI;
    or_over_words(value, below_0e) != 0
        && or_over_words(value, |w| {
            has_zero_byte(w) | has_zero_byte(w ^ (ONES * 0x0A)) | has_zero_byte(w ^ (ONES * 0x0D))
        }) != 0
}

/// 0x01 in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// 0x80 in every byte of a word.
const HI: u64 = 0x8080_8080_8080_8080;

/// Not 0 when some byte of `w` is 0. (A byte above a zero byte may be
/// flagged too: only whether the answer is 0 means anything.) The same
/// test with 0x0E for 0x01, as [`has_nul_cr_lf`] uses it, asks whether
/// some byte is below 0x0E (true for any bound up to 0x80).
#[inline(always)]
const fn has_zero_byte(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HI
}

/// 0x80 in each byte of `w` that is not an ASCII letter, digit or `-`.
#[inline(always)]
const fn not_alphanumeric_or_dash(w: u64) -> u64 {
    // On the low seven bits of each byte no sum carries into the next
    // byte; a byte with its high bit set is flagged as it is.
    let low = w & !HI;
    // A letter once bit 0x20 is set: b'a'..=b'z'.
    let folded = low | (ONES * 0x20);
    let letter =
        folded.wrapping_add(ONES * (0x80 - 0x61)) & !folded.wrapping_add(ONES * (0x80 - 0x7B));
    let digit = low.wrapping_add(ONES * (0x80 - 0x30)) & !low.wrapping_add(ONES * (0x80 - 0x3A));
    // Exactly `-` (0x2D): the XOR is zero, so adding 0x7F leaves the top bit clear.
    let dash = !(low ^ (ONES * 0x2D)).wrapping_add(ONES * 0x7F);
    (w | !(letter | digit | dash)) & HI
}

/// The OR of `f` over words that hold every byte of `s` and no other
/// byte (little-endian): up to sixteen bytes, the first eight and the last
/// eight (overlapping), without a loop; a longer string eight at a time,
/// the last word overlapping the one before; a string shorter than eight
/// bytes is repeated to fill one word. So `f` may test every byte of a
/// word; nothing is padding.
#[inline(always)]
fn or_over_words(s: &[u8], f: impl Fn(u64) -> u64) -> u64 {
    let n = s.len();
    let first = s.first_chunk::<8>().map_or(0, |c| u64::from_le_bytes(*c));
    let last = s.last_chunk::<8>().map_or(0, |c| u64::from_le_bytes(*c));
    if n > 16 {
        let mut acc = 0u64;
        let mut chunks = s.chunks_exact(8);
        for c in &mut chunks {
            acc |= f(<[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes));
        }
        if !chunks.remainder().is_empty() {
            acc |= f(last);
        }
        acc
    } else if n >= 8 {
        f(first) | f(last)
    } else if n >= 4 {
        // The first four bytes and the last four, overlapping.
        f(word4(s, 0) | word4(s, n - 4) << 32)
    } else if let (Some(&first), Some(&last)) = (s.first(), s.last()) {
        // One to three bytes: the first, the middle and the last are all.
        let middle = s.get(n / 2).copied().unwrap_or(first);
        let w = u32::from_le_bytes([first, middle, last, last]);
        f(u64::from(w) | u64::from(w) << 32)
    } else {
        0
    }
}

/// Normalizes a potential header value (`fetch#concept-header-value-normalize`):
/// removes leading and trailing HTTP whitespace bytes.
///
/// ```
/// assert_eq!(crossorigin::header::normalize_value(b" \tx y\r\n"), b"x y");
/// ```
pub fn normalize_value(value: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b'\t' | b'\n' | b'\r' | b' ');
    // Most values have nothing to strip: two bytes answer.
    if !value.first().is_some_and(ws) && !value.last().is_some_and(ws) {
        return value;
    }
    let start = value.iter().position(|b| !ws(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &value[start..end]
}

/// A CORS-unsafe request-header byte (`fetch#cors-unsafe-request-header-byte`).
pub fn is_cors_unsafe_request_header_byte(b: u8) -> bool {
    BYTE_CLASSES[usize::from(b)] & UNSAFE != 0
}

/// Whether `name` equals the lower-case literal `lower`, ignoring ASCII
/// case, inlined (no call per comparison). From eight bytes on, eight at a
/// time (the last word overlapping the one before): a byte of `name`
/// matches a lower-case letter of `lower` when it equals it once bit 0x20
/// is set; any other byte of `lower` must match exactly.
#[inline(always)]
pub(crate) fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    let n = lower.len();
    if name.len() != n {
        return false;
    }
    if n < 8 {
        if n >= 4 {
            // The first four bytes and the last four (overlapping), as
            // words zero-extended (a zero byte is no letter).
            let differs = |i: usize| {
                let b = word4(lower, i);
                (word4(name, i) | letter_bits(b)) ^ b
            };
            return differs(0) | differs(n - 4) == 0;
        }
        return name
            .iter()
            .zip(lower)
            .fold(true, |eq, (a, b)| eq & (a.to_ascii_lowercase() == *b));
    }
    let differs = |i: usize| {
        let b = word8(lower, i);
        (word8(name, i) | letter_bits(b)) ^ b
    };
    let mut diff = 0u64;
    let mut i = 0usize;
    while i + 8 < n {
        diff |= differs(i);
        i += 8;
    }
    diff |= differs(n - 8);
    diff == 0
}

/// Whether two byte strings are equal ignoring ASCII case: the same answer
/// as `<[u8]>::eq_ignore_ascii_case`, eight bytes at a time from eight
/// bytes on (the last word overlapping the one before).
#[inline(always)]
pub(crate) fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if b.len() != n {
        return false;
    }
    if n < 8 {
        if n >= 4 {
            // As below, on the first four bytes and the last four.
            let differs = |i: usize| words_differ(word4(a, i), word4(b, i));
            return !differs(0) && !differs(n - 4);
        }
        return a.eq_ignore_ascii_case(b);
    }
    let differs = |i: usize| words_differ(word8(a, i), word8(b, i));
    let mut i = 0usize;
    while i + 8 < n {
        if differs(i) {
            return false;
        }
        i += 8;
    }
    !differs(n - 8)
}

/// Whether two words of bytes differ ignoring ASCII case. Bytes equal
/// but for case differ in bit 0x20 alone, so words differing in any other
/// bit are told apart without lower-casing them.
#[inline(always)]
const fn words_differ(x: u64, y: u64) -> bool {
    x != y && ((x ^ y) & !0x2020_2020_2020_2020 != 0 || to_lower_word(x) != to_lower_word(y))
}

/// The byte-lowercased order of two byte strings: the first differing
/// byte once lower-cased, else the shorter first; eight bytes at a time.
#[inline]
pub(crate) fn cmp_ignore_case(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    cmp_ignore_case_from(a, b, 0)
}

/// [`cmp_ignore_case`] for two strings whose first `i` bytes (a multiple
/// of eight) are known to be equal once lower-cased and zero-padded.
#[inline]
pub(crate) fn cmp_ignore_case_from(a: &[u8], b: &[u8], mut i: usize) -> std::cmp::Ordering {
    loop {
        let (x, y) = (word_at(a, i), word_at(b, i));
        if x != y {
            let (x, y) = (to_lower_word(x), to_lower_word(y));
            if x != y {
                // Big-endian, the first byte weighs most. A string that
                // ended in this word is zero-padded, so it compares as the
                // shorter when the other goes on with a non-zero byte.
                return x.swap_bytes().cmp(&y.swap_bytes());
            }
        }
        i += 8;
        if i >= a.len() || i >= b.len() {
            // Equal up to the shorter's end (any bytes of the longer in the
            // last word were zero).
            return a.len().cmp(&b.len());
        }
    }
}

/// A number whose order is [`cmp_ignore_case`]'s on the first eight bytes
/// (the whole order when it differs): those bytes lower-cased and
/// zero-padded, the first weighing most.
#[inline]
pub(crate) fn sort_key(s: &[u8]) -> u64 {
    to_lower_word(word_at(s, 0)).swap_bytes()
}

/// The eight bytes of `s` from `i` as a little-endian word, zero-padded
/// past the end of `s`.
#[inline(always)]
fn word_at(s: &[u8], i: usize) -> u64 {
    if let Some(w) = s.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        return u64::from_le_bytes(w);
    }
    let tail = s.get(i..).unwrap_or_default();
    match s.len().checked_sub(8) {
        // The last eight bytes, shifted down past those before `i`.
        Some(last) => {
            let w = word8(s, last);
            let skip = (8 - tail.len()) * 8;
            if skip >= 64 { 0 } else { w >> skip }
        }
        None => tail
            .iter()
            .rev()
            .fold(0u64, |w, b| (w << 8) | u64::from(*b)),
    }
}

/// Copies `src` byte-lowercased into `dst`, of the same length, eight
/// bytes at a time (the last word overlapping the one before).
#[inline]
pub(crate) fn copy_lowercase(dst: &mut [u8], src: &[u8]) {
    let n = src.len().min(dst.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let Some(last) = n.checked_sub(8) else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = s.to_ascii_lowercase();
        }
        return;
    };
    let lower = |s: &[u8]| {
        let w = <[u8; 8]>::try_from(s).map_or(0, u64::from_le_bytes);
        to_lower_word(w).to_le_bytes()
    };
    for (d, s) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
        d.copy_from_slice(&lower(s));
    }
    if n % 8 != 0 {
        dst[last..].copy_from_slice(&lower(&src[last..]));
    }
}

/// Each ASCII upper-case letter of a word of bytes made lower-case; every
/// other byte (non-ASCII ones included) unchanged.
#[inline(always)]
pub(crate) const fn to_lower_word(w: u64) -> u64 {
    const HI: u64 = 0x8080_8080_8080_8080;
    // Below 0x80 (the high bits cleared first) no byte carries into the
    // next: at least b'A' sets the top bit of `ge_a`, at least b'['
    // (just past b'Z') that of `gt_z`.
    let low = w & !HI;
    let ge_a = low.wrapping_add(0x3f3f_3f3f_3f3f_3f3f);
    let gt_z = low.wrapping_add(0x2525_2525_2525_2525);
    let upper = ge_a & !gt_z & !w & HI;
    w | (upper >> 2)
}

/// The eight bytes of `s` from `i`, little-endian (0 past the end:
/// callers stay within `s`).
#[inline(always)]
fn word8(s: &[u8], i: usize) -> u64 {
    s.get(i..i + 8)
        .and_then(|c| <[u8; 8]>::try_from(c).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The four bytes of `s` from `i`, little-endian, zero-extended to a word
/// (0 past the end: callers stay within `s`).
#[inline(always)]
fn word4(s: &[u8], i: usize) -> u64 {
    s.get(i..i + 4)
        .and_then(|c| <[u8; 4]>::try_from(c).ok())
        .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
}

/// 0x20 in each byte of `w` that is an ASCII lower-case letter, else 0,
/// for a `w` of ASCII bytes (a literal's).
#[inline(always)]
const fn letter_bits(w: u64) -> u64 {
    const HI: u64 = 0x8080_8080_8080_8080;
    // Per byte: at least b'a' sets the top bit of `ge_a`, at least b'{'
    // (just past b'z') that of `gt_z`; below 0x80, no byte carries into
    // the next.
    let ge_a = w.wrapping_add(0x1f1f_1f1f_1f1f_1f1f);
    let gt_z = w.wrapping_add(0x0505_0505_0505_0505);
    (ge_a & !gt_z & HI) >> 2
}

/// Whether a value has a CORS-unsafe request-header byte: the classes of
/// every byte OR-ed, without a branch per byte.
#[inline]
fn has_unsafe_byte(value: &[u8]) -> bool {
    or_classes(value) & UNSAFE != 0
}

/// The classes of every byte OR-ed, four bytes at a time in independent
/// accumulators (no dependency chain through one register).
#[inline]
fn or_classes(value: &[u8]) -> u8 {
    let c = |b: u8| BYTE_CLASSES[usize::from(b)];
    let mut chunks = value.chunks_exact(4);
    let (mut a, mut b, mut d, mut e) = (0u8, 0u8, 0u8, 0u8);
    for ch in &mut chunks {
        a |= c(ch[0]);
        b |= c(ch[1]);
        d |= c(ch[2]);
        e |= c(ch[3]);
    }
    let rest = chunks.remainder().iter().fold(0u8, |acc, x| acc | c(*x));
    a | b | d | e | rest
}

/// The classes of every byte AND-ed, likewise.
#[inline]
fn and_classes(value: &[u8]) -> u8 {
    let c = |b: u8| BYTE_CLASSES[usize::from(b)];
    let mut chunks = value.chunks_exact(4);
    let (mut a, mut b, mut d, mut e) = (0xffu8, 0xffu8, 0xffu8, 0xffu8);
    for ch in &mut chunks {
        a &= c(ch[0]);
        b &= c(ch[1]);
        d &= c(ch[2]);
        e &= c(ch[3]);
    }
    let rest = chunks.remainder().iter().fold(0xffu8, |acc, x| acc & c(*x));
    a & b & d & e & rest
}

/// The longest value a CORS-safelisted request-header may have, in bytes.
pub const SAFELISTED_VALUE_MAX: usize = 128;

/// The most value bytes all CORS-safelisted request-headers of one request
/// may have together before they all count as unsafe.
pub const SAFELISTED_TOTAL_MAX: usize = 1024;

/// CORS-safelisted request-header (`fetch#cors-safelisted-request-header`).
///
/// ```
/// use crossorigin::header::is_cors_safelisted_request_header;
/// assert!(is_cors_safelisted_request_header(b"Content-Type", b"text/plain;charset=UTF-8"));
/// assert!(!is_cors_safelisted_request_header(b"Content-Type", b"application/json"));
/// assert!(!is_cors_safelisted_request_header(b"X-Trace", b"1"));
/// ```
#[inline]
pub fn is_cors_safelisted_request_header(name: &[u8], value: &[u8]) -> bool {
    cors_safelisted_request_header(name, value)
}

/// [`is_cors_safelisted_request_header`], inlined where the crate
/// classifies a list's headers: the name is matched in place (most are
/// turned away there), the value checked out of line.
#[inline(always)]
pub(crate) fn cors_safelisted_request_header(name: &[u8], value: &[u8]) -> bool {
    // Step 1.
    if value.len() > SAFELISTED_VALUE_MAX {
        return false;
    }
    // Step 2, dispatched on the name's length first (one comparison, not five).
    let name = match name.len() {
        6 if eq_lower(name, b"accept") => SafelistedName::Accept,
        15 if eq_lower(name, b"accept-language") => SafelistedName::Language,
        16 if eq_lower(name, b"content-language") => SafelistedName::Language,
        12 if eq_lower(name, b"content-type") => SafelistedName::ContentType,
        5 if eq_lower(name, b"range") => SafelistedName::Range,
        _ => return false,
    };
    is_safelisted_value(name, value)
}

/// The names step 2 of `fetch#cors-safelisted-request-header` lists, by
/// the rule their value must meet.
#[derive(Clone, Copy)]
enum SafelistedName {
    /// `Accept`.
    Accept,
    /// `Accept-Language` and `Content-Language`.
    Language,
    /// `Content-Type`.
    ContentType,
    /// `Range`.
    Range,
}

/// Whether a value of at most 128 bytes meets the rule of its name
/// (`fetch#cors-safelisted-request-header`, step 2): the usual names'
/// rules inline, the others out of line.
#[inline(always)]
fn is_safelisted_value(name: SafelistedName, value: &[u8]) -> bool {
    match name {
        SafelistedName::Accept => !has_unsafe_byte(value),
        // The essence first: it turns away the usual unsafe value
        // (`application/json`) after a few bytes.
        SafelistedName::ContentType => {
            mime::has_cors_safelisted_essence(value) && !has_unsafe_byte(value)
        }
        SafelistedName::Language | SafelistedName::Range => {
            is_safelisted_language_or_range(name, value)
        }
    }
}

/// [`is_safelisted_value`] for `Accept-Language`, `Content-Language` and `Range`.
#[inline(never)]
fn is_safelisted_language_or_range(name: SafelistedName, value: &[u8]) -> bool {
    match name {
        // Branch-free: AND the classes of every byte.
        SafelistedName::Language => and_classes(value) & LANGUAGE != 0,
        _ => is_safelisted_range(value, false, None),
    }
}

/// The `Range` rule of `fetch#cors-safelisted-request-header` for a value
/// of at most 128 bytes: a single range header value with a first
/// position; where a browser profile says so, the unit `bytes` in any case
/// and both positions at most `position_max`.
pub(crate) fn is_safelisted_range(
    value: &[u8],
    unit_any_case: bool,
    position_max: Option<u64>,
) -> bool {
    let fits =
        |b: &RangeBound<'_>| position_max.is_none_or(|max| b.value().is_some_and(|v| v <= max));
    match parse_range(value, false, unit_any_case) {
        Some((Some(start), end)) => fits(&start) && end.as_ref().is_none_or(fits),
        _ => false,
    }
}

/// A number in a range header, kept as its decimal digits (without leading
/// zeros) so that any length compares correctly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeBound<'a>(&'a [u8]);

impl RangeBound<'_> {
    fn cmp_value(&self, other: &RangeBound<'_>) -> std::cmp::Ordering {
        match self.0.len().cmp(&other.0.len()) {
            // No `memcmp` of no bytes (see `origin::short_eq`).
            std::cmp::Ordering::Equal if self.0.is_empty() => std::cmp::Ordering::Equal,
            std::cmp::Ordering::Equal => self.0.cmp(other.0),
            unequal => unequal,
        }
    }

    /// The value, if it fits in a `u64`.
    pub fn value(&self) -> Option<u64> {
        if self.0.is_empty() {
            return Some(0);
        }
        std::str::from_utf8(self.0).ok()?.parse().ok()
    }
}

/// Parses a single range header value (`fetch#simple-range-header-value`):
/// `bytes=start-end` with either bound optional but not both.
///
/// ```
/// use crossorigin::header::parse_single_range_header_value;
/// assert!(parse_single_range_header_value(b"bytes=0-", false).is_some());
/// assert!(parse_single_range_header_value(b"bytes=5-1", false).is_none());
/// assert!(parse_single_range_header_value(b"bytes = 1-2", true).is_some());
/// ```
#[allow(clippy::type_complexity)]
pub fn parse_single_range_header_value(
    value: &[u8],
    allow_whitespace: bool,
) -> Option<(Option<RangeBound<'_>>, Option<RangeBound<'_>>)> {
    parse_range(value, allow_whitespace, false)
}

/// [`parse_single_range_header_value`], with the unit `bytes` in any case
/// when `unit_any_case` (a browser profile's reading).
#[allow(clippy::type_complexity)]
pub(crate) fn parse_range(
    value: &[u8],
    allow_whitespace: bool,
    unit_any_case: bool,
) -> Option<(Option<RangeBound<'_>>, Option<RangeBound<'_>>)> {
    let data = value;
    let unit = data.get(..b"bytes".len())?;
    if !(unit == b"bytes" || (unit_any_case && unit.eq_ignore_ascii_case(b"bytes"))) {
        return None;
    }
    let mut pos = b"bytes".len();
    let skip_ws = |pos: &mut usize| {
        if allow_whitespace {
            while data.get(*pos).is_some_and(|b| *b == b' ' || *b == b'\t') {
                *pos += 1;
            }
        }
    };
    let digits = |pos: &mut usize| {
        let start = *pos;
        while data.get(*pos).is_some_and(u8::is_ascii_digit) {
            *pos += 1;
        }
        let d = &data[start..*pos];
        if d.is_empty() {
            None
        } else {
            let first_nonzero = d.iter().position(|b| *b != b'0').unwrap_or(d.len());
            Some(RangeBound(&d[first_nonzero..]))
        }
    };
    skip_ws(&mut pos);
    if data.get(pos) != Some(&b'=') {
        return None;
    }
    pos += 1;
    skip_ws(&mut pos);
    let start = digits(&mut pos);
    skip_ws(&mut pos);
    if data.get(pos) != Some(&b'-') {
        return None;
    }
    pos += 1;
    skip_ws(&mut pos);
    let end = digits(&mut pos);
    if pos < data.len() {
        return None;
    }
    match (start, end) {
        (None, None) => None,
        (Some(s), Some(e)) if s.cmp_value(&e) == std::cmp::Ordering::Greater => None,
        r => Some(r),
    }
}

/// Whether the header list has a CORS-unsafe request-header name, without
/// building the list of names (`fetch#cors-unsafe-request-header-names` is
/// not empty). Never allocates.
pub fn has_cors_unsafe_request_header<'a, I>(headers: I) -> bool
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    has_unsafe_with(
        headers,
        is_cors_safelisted_request_header,
        Some(SAFELISTED_TOTAL_MAX),
    )
}

/// [`has_cors_unsafe_request_header`] with the safelist given as `safe`
/// (a browser profile's): a header `safe` refuses, or safelisted values
/// totalling more than `total_max` bytes (the standard: 1024; `None`: no
/// total).
#[inline]
pub fn has_unsafe_with<'a, I>(
    headers: I,
    safe: impl Fn(&[u8], &[u8]) -> bool,
    total_max: Option<usize>,
) -> bool
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let mut total = 0usize;
    for (name, value) in headers {
        if !safe(name, value) {
            return true;
        }
        total += value.len();
    }
    total_max.is_some_and(|max| total > max)
}

/// Calls `f` with the name of each CORS-unsafe header, the safelist given
/// as `safe` (`fetch#cors-unsafe-request-header-names` before sorting):
/// every header `safe` refuses, and every header once the safelisted values
/// pass `total_max` bytes (the standard: 1024; `None`: no total); list
/// order, repeats and case as given. Never allocates.
pub fn for_each_unsafe_with<'a, I, V>(
    headers: I,
    safe: impl Fn(&[u8], &[u8]) -> bool,
    total_max: Option<usize>,
    mut f: impl FnMut(&'a [u8]),
) where
    I: IntoIterator<Item = (&'a [u8], V)>,
    I::IntoIter: Clone,
    V: AsRef<[u8]>,
{
    let headers = headers.into_iter();
    // Remember the first 64 answers so the second pass does not recompute them.
    let mut safe_bits = 0u64;
    let mut total = 0usize;
    for (i, (name, value)) in headers.clone().enumerate() {
        if safe(name, value.as_ref()) {
            total += value.as_ref().len();
            if i < 64 {
                safe_bits |= 1 << i;
            }
        }
    }
    let all = total_max.is_some_and(|max| total > max);
    for (i, (name, value)) in headers.enumerate() {
        let is_safe = if i < 64 {
            safe_bits >> i & 1 == 1
        } else {
            safe(name, value.as_ref())
        };
        if all || !is_safe {
            f(name);
        }
    }
}

/// The CORS-unsafe request-header names (`fetch#cors-unsafe-request-header-names`):
/// byte-lowercased, sorted, de-duplicated.
///
/// ```
/// use crossorigin::header::cors_unsafe_request_header_names;
/// let h: Vec<(&[u8], &[u8])> = vec![
///     (b"X-B", b"1"), (b"Accept", b"*/*"), (b"x-a", b"2"), (b"X-b", b"3"),
/// ];
/// assert_eq!(cors_unsafe_request_header_names(h), vec![b"x-a".to_vec(), b"x-b".to_vec()]);
/// ```
pub fn cors_unsafe_request_header_names<'a, I>(headers: I) -> Vec<Vec<u8>>
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
    I::IntoIter: Clone,
{
    let mut names: Vec<&[u8]> = Vec::new();
    for_each_unsafe_with(
        headers,
        is_cors_safelisted_request_header,
        Some(SAFELISTED_TOTAL_MAX),
        |n| names.push(n),
    );
    sorted_lowercase_set(names)
}

/// Converts header names to a sorted-lowercase set
/// (`fetch#convert-header-names-to-a-sorted-lowercase-set`).
pub fn sorted_lowercase_set<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = names.into_iter().map(|n| n.to_ascii_lowercase()).collect();
    out.sort();
    out.dedup();
    out
}

/// CORS non-wildcard request-header name (`fetch#cors-non-wildcard-request-header-name`):
/// `Authorization`, which `*` in `Access-Control-Allow-Headers` never covers.
#[inline]
pub fn is_cors_non_wildcard_request_header_name(name: &[u8]) -> bool {
    eq_lower(name, b"authorization")
}

/// Privileged no-CORS request-header name
/// (`fetch#privileged-no-cors-request-header-name`): `Range`.
#[inline]
pub fn is_privileged_no_cors_request_header_name(name: &[u8]) -> bool {
    eq_lower(name, b"range")
}

/// The CORS-safelisted response-header names that need no exposing.
pub const CORS_SAFELISTED_RESPONSE_HEADER_NAMES: [&str; 7] = [
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];

/// CORS-safelisted response-header name (`fetch#cors-safelisted-response-header-name`),
/// given the names from `Access-Control-Expose-Headers`.
///
/// ```
/// use crossorigin::header::is_cors_safelisted_response_header_name;
/// let exposed: &[&[u8]] = &[b"X-Version", b"Set-Cookie"];
/// assert!(is_cors_safelisted_response_header_name(b"Content-Type", exposed));
/// assert!(is_cors_safelisted_response_header_name(b"x-version", exposed));
/// assert!(!is_cors_safelisted_response_header_name(b"set-cookie", exposed));
/// ```
pub fn is_cors_safelisted_response_header_name(name: &[u8], exposed: &[&[u8]]) -> bool {
    is_always_safelisted_response_header_name(name)
        || exposed
            .iter()
            .any(|e| name.eq_ignore_ascii_case(e) && !is_forbidden_response_header_name(e))
}

/// No-CORS-safelisted request-header name (`fetch#no-cors-safelisted-request-header-name`).
pub fn is_no_cors_safelisted_request_header_name(name: &[u8]) -> bool {
    [
        &b"accept"[..],
        b"accept-language",
        b"content-language",
        b"content-type",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// No-CORS-safelisted request-header (`fetch#no-cors-safelisted-request-header`).
pub fn is_no_cors_safelisted_request_header(name: &[u8], value: &[u8]) -> bool {
    is_no_cors_safelisted_request_header_name(name)
        && is_cors_safelisted_request_header(name, value)
}

const FORBIDDEN_REQUEST_HEADER_NAMES: [&[u8]; 21] = [
    b"accept-charset",
    b"accept-encoding",
    b"access-control-request-headers",
    b"access-control-request-method",
    b"connection",
    b"content-length",
    b"cookie",
    b"cookie2",
    b"date",
    b"dnt",
    b"expect",
    b"host",
    b"keep-alive",
    b"origin",
    b"referer",
    b"set-cookie",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
    b"via",
];

/// Forbidden request-header (`fetch#forbidden-request-header`), including the
/// `X-HTTP-Method-Override` family whose value names a forbidden method.
///
/// ```
/// use crossorigin::header::is_forbidden_request_header;
/// assert!(is_forbidden_request_header(b"Cookie", b"a=b"));
/// assert!(is_forbidden_request_header(b"Sec-Fetch-Mode", b"cors"));
/// assert!(is_forbidden_request_header(b"X-HTTP-Method-Override", b"GET, trace"));
/// assert!(!is_forbidden_request_header(b"X-HTTP-Method-Override", b"PATCH"));
/// ```
pub fn is_forbidden_request_header(name: &[u8], value: &[u8]) -> bool {
    forbidden_request_header(name, value)
}

/// [`is_forbidden_request_header`], inlined where the crate checks headers.
#[inline(always)]
fn forbidden_request_header(name: &[u8], value: &[u8]) -> bool {
    match RequestName::of(name) {
        RequestName::Forbidden => true,
        RequestName::MethodOverride => overrides_forbidden_method(value),
        RequestName::Safelisted(_) | RequestName::Other => false,
    }
}

/// Step 3 of [`is_forbidden_request_header`] for a name of the
/// `X-HTTP-Method-Override` family: whether a value names a forbidden method.
#[cold]
fn overrides_forbidden_method(value: &[u8]) -> bool {
    get_decode_split(value)
        .iter()
        .any(|m| is_forbidden_method(m))
}

/// Forbidden response-header name (`fetch#forbidden-response-header-name`):
/// `Set-Cookie` and `Set-Cookie2`.
#[inline]
pub fn is_forbidden_response_header_name(name: &[u8]) -> bool {
    match name.len() {
        10 => eq_lower(name, b"set-cookie"),
        11 => eq_lower(name, b"set-cookie2"),
        _ => false,
    }
}

/// Whether `name` is one of [`CORS_SAFELISTED_RESPONSE_HEADER_NAMES`]
/// (case-insensitive), dispatched on its length.
#[inline]
pub fn is_always_safelisted_response_header_name(name: &[u8]) -> bool {
    match name.len() {
        6 => eq_lower(name, b"pragma"),
        7 => eq_lower(name, b"expires"),
        12 => eq_lower(name, b"content-type"),
        13 => eq_lower(name, b"cache-control") || eq_lower(name, b"last-modified"),
        14 => eq_lower(name, b"content-length"),
        16 => eq_lower(name, b"content-language"),
        _ => false,
    }
}

/// Request-body-header name (`fetch#request-body-header-name`).
pub fn is_request_body_header_name(name: &[u8]) -> bool {
    [
        &b"content-encoding"[..],
        b"content-language",
        b"content-location",
        b"content-type",
    ]
    .iter()
    .any(|n| name.eq_ignore_ascii_case(n))
}

/// Gets, decodes, and splits a header value
/// (`fetch#concept-header-list-get-decode-split`), returning isomorphic byte
/// strings (each byte one code point).
pub fn get_decode_split(value: &[u8]) -> Vec<Vec<u8>> {
    let input = value;
    let mut pos = 0usize;
    let mut values = Vec::new();
    let mut temp: Vec<u8> = Vec::new();
    loop {
        while pos < input.len() && input[pos] != b'"' && input[pos] != b',' {
            temp.push(input[pos]);
            pos += 1;
        }
        if pos < input.len() && input[pos] == b'"' {
            // Collect an HTTP quoted string, extract-value false: keep it raw.
            let start = pos;
            pos += 1;
            loop {
                while pos < input.len() && input[pos] != b'"' && input[pos] != b'\\' {
                    pos += 1;
                }
                if pos >= input.len() {
                    break;
                }
                let c = input[pos];
                pos += 1;
                if c == b'\\' {
                    if pos >= input.len() {
                        break;
                    }
                    pos += 1;
                } else {
                    break;
                }
            }
            temp.extend_from_slice(&input[start..pos]);
            if pos < input.len() {
                continue;
            }
        }
        let start = temp
            .iter()
            .position(|b| *b != b' ' && *b != b'\t')
            .unwrap_or(temp.len());
        let end = temp
            .iter()
            .rposition(|b| *b != b' ' && *b != b'\t')
            .map_or(start, |i| i + 1);
        values.push(temp[start..end].to_vec());
        temp.clear();
        if pos >= input.len() {
            return values;
        }
        pos += 1;
    }
}

/// Why extracting header list values failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtractError;

/// The grammar of a header whose values are extracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListGrammar {
    /// `#token` lists: `Access-Control-Allow-Methods` (`#method`),
    /// `Access-Control-Allow-Headers` and `Access-Control-Expose-Headers`
    /// (`#field-name`).
    Tokens,
    /// A single `delta-seconds` (`Access-Control-Max-Age`): one header only.
    DeltaSeconds,
}

/// The grammar the Fetch Standard gives a header name, if it is one whose
/// values this crate extracts.
pub fn list_grammar(name: &[u8]) -> Option<ListGrammar> {
    if name.eq_ignore_ascii_case(b"access-control-allow-methods")
        || name.eq_ignore_ascii_case(b"access-control-allow-headers")
        || name.eq_ignore_ascii_case(b"access-control-expose-headers")
    {
        Some(ListGrammar::Tokens)
    } else if name.eq_ignore_ascii_case(b"access-control-max-age") {
        Some(ListGrammar::DeltaSeconds)
    } else {
        None
    }
}

/// Extracts header list values (`fetch#extract-header-list-values`) for a
/// `#token` list header: `Ok(None)` when the name is absent, `Err` when a
/// value does not parse. Empty list elements are allowed and skipped (RFC
/// 9110 §5.6.1); values keep their case.
///
/// ```
/// use crossorigin::header::{extract_token_list, HeaderList};
/// let h: HeaderList = [("Access-Control-Allow-Methods", "PUT, , DELETE")].into_iter().collect();
/// let v = extract_token_list(b"access-control-allow-methods", &h).unwrap().unwrap();
/// assert_eq!(v, vec![&b"PUT"[..], &b"DELETE"[..]]);
/// let bad: HeaderList = [("Access-Control-Allow-Methods", "PUT DELETE")].into_iter().collect();
/// assert!(extract_token_list(b"access-control-allow-methods", &bad).is_err());
/// ```
pub fn extract_token_list<'a>(
    name: &[u8],
    list: &'a HeaderList,
) -> Result<Option<Vec<&'a [u8]>>, ExtractError> {
    if !list.contains(name) {
        return Ok(None);
    }
    let mut values = Vec::new();
    for h in list.iter().filter(|h| h.name.eq_ignore_ascii_case(name)) {
        for_each_token(h.value, |t| values.push(t))?;
    }
    Ok(Some(values))
}

/// Calls `f` with each token of a `#token` list value, or fails: one pass
/// over the bytes; optional whitespace around commas, empty elements
/// skipped (RFC 9110 §5.6.1). A token is passed to `f` once the comma or
/// the end after it is read, so a failing value has had `f` called with
/// the elements before the one that fails.
///
/// The value is tokens, each pair with a comma between them, among any
/// tabs, spaces and commas: each byte starts a token, or is a comma, a tab
/// or a space, or the value does not parse.
pub fn for_each_token<'a>(
    value: &'a [u8],
    mut f: impl FnMut(&'a [u8]),
) -> Result<(), ExtractError> {
    // The token read since the last comma, not yet passed to `f`.
    let mut pending: Option<&'a [u8]> = None;
    let mut rest = value;
    while let Some((&b, tail)) = rest.split_first() {
        if is_token_byte(b) {
            if pending.is_some() {
                // Two tokens with no comma between them.
                return Err(ExtractError);
            }
            let len = token_len(tail);
            let Some((token, after)) = rest.split_at_checked(1 + len) else {
                break;
            };
            pending = Some(token);
            rest = after;
        } else if b == b',' {
            if let Some(token) = pending.take() {
                f(token);
            }
            rest = tail;
        } else if b == b' ' || b == b'\t' {
            rest = tail;
        } else {
            return Err(ExtractError);
        }
    }
    if let Some(token) = pending {
        f(token);
    }
    Ok(())
}

/// How many token bytes `s` starts with: four bytes a step, each asked in
/// turn (the loop's own test once per four bytes), then the last few one
/// at a time.
#[inline(always)]
fn token_len(s: &[u8]) -> usize {
    let mut rest = s;
    while let [a, b, c, d, tail @ ..] = rest {
        let at = s.len() - rest.len();
        if !is_token_byte(*a) {
            return at;
        }
        if !is_token_byte(*b) {
            return at + 1;
        }
        if !is_token_byte(*c) {
            return at + 2;
        }
        if !is_token_byte(*d) {
            return at + 3;
        }
        rest = tail;
    }
    let at = s.len() - rest.len();
    at + rest
        .iter()
        .position(|&b| !is_token_byte(b))
        .unwrap_or(rest.len())
}

/// Extracts `Access-Control-Max-Age` (`delta-seconds`, a single header):
/// `Ok(None)` when absent, `Err` when repeated or not digits. Values too
/// large for a `u64` saturate.
pub fn extract_delta_seconds(list: &HeaderList) -> Result<Option<u64>, ExtractError> {
    let mut values = list.values(b"access-control-max-age");
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ExtractError);
    }
    parse_delta_seconds(value).map(Some)
}

/// Parses `delta-seconds` (1*DIGIT), saturating at `u64::MAX`.
pub fn parse_delta_seconds(value: &[u8]) -> Result<u64, ExtractError> {
    if value.is_empty() {
        return Err(ExtractError);
    }
    // One pass: each byte checked and added in.
    value.iter().try_fold(0u64, |acc, d| {
        let digit = d.wrapping_sub(b'0');
        if digit > 9 {
            return Err(ExtractError);
        }
        Ok(acc.saturating_mul(10).saturating_add(u64::from(digit)))
    })
}

#[cfg(test)]
mod tests {
    use super::{
        FORBIDDEN_REQUEST_HEADER_NAMES, SAFELISTED_VALUE_MAX, ScriptHeader, check_script_header,
        check_script_header_safelisted, cmp_ignore_case, cmp_ignore_case_from, copy_lowercase,
        cors_safelisted_request_header, eq_ignore_case, eq_lower, get_decode_split,
        is_forbidden_request_header, is_header_name, is_header_value, normalize_value,
        parse_single_range_header_value, sort_key,
    };
    use crate::method::is_forbidden_method;
    use crate::mime;

    /// [`super::parse_delta_seconds`] in one pass reads as the plain rule
    /// (all digits, at least one, saturating): every string of up to four
    /// bytes over digits and bytes around them, and runs of digits long
    /// enough to saturate.
    #[test]
    fn delta_seconds_is_the_plain_reading() {
        let plain = |v: &[u8]| {
            if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(v.iter().fold(0u64, |acc, d| {
                acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            }))
        };
        let alphabet = [b'0', b'1', b'9', b'/', b':', b'+', b'-', b' ', 0xB0];
        let mut value = Vec::new();
        for len in 0..=4u32 {
            for mut code in 0..alphabet.len().pow(len) {
                value.clear();
                for _ in 0..len {
                    value.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(
                    super::parse_delta_seconds(&value).ok(),
                    plain(&value),
                    "{value:?}"
                );
            }
        }
        for n in 1..40 {
            let digits = vec![b'9'; n];
            assert_eq!(super::parse_delta_seconds(&digits).ok(), plain(&digits));
        }
    }

    /// `#token` list parsing as RFC 9110 §5.6.1 reads (the loop this crate
    /// used before, kept as the reference): optional whitespace, a token,
    /// optional whitespace, then a comma or the end; empty elements skipped.
    fn reference_tokens(value: &[u8]) -> (Vec<&[u8]>, Result<(), super::ExtractError>) {
        let n = value.len();
        let ows = |b: u8| b == b' ' || b == b'\t';
        let mut out = Vec::new();
        let mut i = 0usize;
        loop {
            while i < n && ows(value[i]) {
                i += 1;
            }
            let start = i;
            while i < n && super::is_token_byte(value[i]) {
                i += 1;
            }
            let end = i;
            while i < n && ows(value[i]) {
                i += 1;
            }
            if i < n && value[i] != b',' {
                return (out, Err(super::ExtractError));
            }
            if end > start {
                out.push(&value[start..end]);
            }
            if i >= n {
                return (out, Ok(()));
            }
            i += 1;
        }
    }

    /// [`super::for_each_token`] (one loop: a byte starts a token, or is a
    /// comma, a tab or a space) calls `f` with the reference's tokens, and
    /// fails where it fails (after the same calls), on every string of up
    /// to five bytes from an alphabet of token bytes, separators,
    /// whitespace and bytes neither.
    #[test]
    fn for_each_token_is_the_reference() {
        let alphabet = [
            b'a', b'Z', b'-', b'*', b'_', b',', b' ', b'\t', b'"', b'/', 0x80, 0, b';',
        ];
        let mut value = Vec::new();
        let mut checked = 0;
        for len in 0..=5u32 {
            for mut code in 0..alphabet.len().pow(len) {
                value.clear();
                for _ in 0..len {
                    value.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                let mut got = Vec::new();
                let result = super::for_each_token(&value, |t| got.push(t));
                let (expected, expected_result) = reference_tokens(&value);
                assert_eq!(result.is_ok(), expected_result.is_ok(), "{value:?}");
                // The same calls of `f`, a failing value included.
                assert_eq!(got, expected, "{value:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 402_234);
    }

    /// [`super::for_each_token`] (token bytes read four at a time) against
    /// the reference on long words: every byte value at every position of
    /// words of 1 to 20 token bytes, alone and among other elements; then
    /// random values up to 48 bytes, mostly token bytes, with commas,
    /// whitespace, other token bytes and any byte at a random rate.
    #[test]
    fn for_each_token_is_the_reference_on_long_words() {
        let check = |value: &[u8]| {
            let mut got = Vec::new();
            let result = super::for_each_token(value, |t| got.push(t));
            let (expected, expected_result) = reference_tokens(value);
            assert_eq!(result.is_ok(), expected_result.is_ok(), "{value:?}");
            assert_eq!(got, expected, "{value:?}");
        };
        let word = b"Access-Control-X9_y.z";
        let mut value = Vec::new();
        for len in 1..=20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    for (before, after) in [(&b""[..], &b""[..]), (b"a, ", b" ,b"), (b",", b"\t")] {
                        value.clear();
                        value.extend_from_slice(before);
                        value.extend_from_slice(&word[..len]);
                        value[before.len() + at] = byte;
                        value.extend_from_slice(after);
                        check(&value);
                    }
                }
            }
        }
        let token = b"abcXYZ019-_*.!~";
        let other = [b',', b' ', b'\t', b',', b' ', b'"', b';', b'/'];
        let mut rng = crate::test_rng::Xorshift::new(0x5DEE_CE66_D1CE_4E5B);
        let mut ok = 0;
        for _ in 0..100_000 {
            let len = rng.below(49);
            let rate = 1 + rng.below(16);
            value.clear();
            for _ in 0..len {
                let b = if rng.below(rate) != 0 {
                    token[rng.below(token.len())]
                } else if rng.below(4) != 0 {
                    other[rng.below(other.len())]
                } else {
                    rng.below(256) as u8
                };
                value.push(b);
            }
            check(&value);
            ok += usize::from(super::for_each_token(&value, |_| {}).is_ok());
        }
        // Values that parse and values that do not are both common.
        assert!((10_000..90_000).contains(&ok), "{ok}");
    }

    /// `fetch#header-name` as written: a non-empty token.
    fn reference_is_header_name(name: &[u8]) -> bool {
        let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
        !name.is_empty() && name.iter().all(token)
    }

    /// `fetch#header-value` as written.
    fn reference_is_header_value(value: &[u8]) -> bool {
        let tab_or_space = |b: &u8| *b == b'\t' || *b == b' ';
        !value.first().is_some_and(tab_or_space)
            && !value.last().is_some_and(tab_or_space)
            && !value.iter().any(|b| matches!(b, 0 | b'\r' | b'\n'))
    }

    /// `fetch#forbidden-request-header` as written.
    fn reference_is_forbidden(name: &[u8], value: &[u8]) -> bool {
        let starts = |p: &[u8]| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p);
        FORBIDDEN_REQUEST_HEADER_NAMES
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
            || starts(b"proxy-")
            || starts(b"sec-")
            || ([
                &b"x-http-method"[..],
                b"x-http-method-override",
                b"x-method-override",
            ]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
                && get_decode_split(value)
                    .iter()
                    .any(|m| is_forbidden_method(m)))
    }

    /// `fetch#cors-safelisted-request-header` as written.
    fn reference_is_safelisted(name: &[u8], value: &[u8]) -> bool {
        // `fetch#cors-unsafe-request-header-byte`.
        let unsafe_byte = |b: &u8| (*b < 0x20 && *b != b'\t') || b"\"():<>?@[\\]{}\x7f".contains(b);
        let no_unsafe_byte = !value.iter().any(unsafe_byte);
        let language = value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b" *,-.;=".contains(b));
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        value.len() <= SAFELISTED_VALUE_MAX
            && if is(b"accept") {
                no_unsafe_byte
            } else if is(b"accept-language") || is(b"content-language") {
                language
            } else if is(b"content-type") {
                no_unsafe_byte && mime::has_cors_safelisted_essence(value)
            } else if is(b"range") {
                matches!(
                    parse_single_range_header_value(value, false),
                    Some((Some(_), _))
                )
            } else {
                false
            }
    }

    /// What the `Headers` append steps do, as written: normalize, validate, drop.
    /// [`reference_check`], and whether a header kept as given is a
    /// CORS-safelisted request-header.
    fn reference_check_safelisted(name: &[u8], value: &[u8]) -> (ScriptHeader, bool) {
        let checked = reference_check(name, value);
        let safe = checked == ScriptHeader::AsGiven && cors_safelisted_request_header(name, value);
        (checked, safe)
    }

    fn reference_check(name: &[u8], value: &[u8]) -> ScriptHeader {
        let normalized = normalize_value(value);
        if !reference_is_header_name(name) {
            ScriptHeader::InvalidName
        } else if !reference_is_header_value(normalized) {
            ScriptHeader::InvalidValue
        } else if normalized != value || reference_is_forbidden(name, normalized) {
            ScriptHeader::Changed
        } else {
            ScriptHeader::AsGiven
        }
    }

    /// Every prefix of `base` (so every length across word boundaries),
    /// with every byte value at every position, and unchanged.
    fn with_each_byte_at_each_position(base: &[u8], mut f: impl FnMut(&[u8])) {
        for len in 0..=base.len() {
            let s = &base[..len];
            f(s);
            for i in 0..len {
                for b in 0..=255u8 {
                    let mut t = s.to_vec();
                    t[i] = b;
                    f(&t);
                }
            }
        }
    }

    /// The word-at-a-time name and value checks answer as the
    /// definitions, for any byte at any position of every length up to 40.
    #[test]
    fn name_and_value_checks_are_the_definitions() {
        let base = b"X-Requested-With-0123456789-abcdef_ghijk";
        with_each_byte_at_each_position(base, |s| {
            assert_eq!(is_header_name(s), reference_is_header_name(s), "{s:?}");
            assert_eq!(is_header_value(s), reference_is_header_value(s), "{s:?}");
            assert_eq!(
                check_script_header(b"X-Trace", s),
                reference_check(b"X-Trace", s),
                "{s:?}"
            );
            assert_eq!(
                check_script_header(s, b"1"),
                reference_check(s, b"1"),
                "{s:?}"
            );
        });
        // Values around a byte that needs the exact test (below 0x0E).
        let base = b"a\tb c\x0bd\te\x01f g\th i\tj k\tl m\tn o\tp";
        with_each_byte_at_each_position(base, |s| {
            assert_eq!(is_header_value(s), reference_is_header_value(s), "{s:?}");
            assert_eq!(
                check_script_header(b"Accept", s),
                reference_check(b"Accept", s),
                "{s:?}"
            );
        });
        // Whitespace to trim at either end.
        for v in [
            &b" a "[..],
            b"\ta\r\n",
            b"  ",
            b"\r\n",
            b" a\x00b ",
            b" \x00 ",
        ] {
            assert_eq!(
                check_script_header(b"A", v),
                reference_check(b"A", v),
                "{v:?}"
            );
        }
    }

    /// The length-dispatched forbidden request-header rule answers as the
    /// definition, for every listed name, prefix and method-override name
    /// with any byte at any position, cased either way.
    #[test]
    fn forbidden_request_header_is_the_definition() {
        let mut names: Vec<&[u8]> = FORBIDDEN_REQUEST_HEADER_NAMES.to_vec();
        names.extend_from_slice(&[
            b"proxy-authorization",
            b"proxy-",
            b"sec-fetch-mode",
            b"sec-",
            b"x-http-method",
            b"x-http-method-override",
            b"x-method-override",
            b"x-request-id",
            b"content-type",
        ]);
        let values: [&[u8]; 5] = [b"", b"GET", b"patch, trace", b"\"CONNECT\"", b"track"];
        for name in names {
            for base in [name.to_vec(), name.to_ascii_uppercase()] {
                with_each_byte_at_each_position(&base, |n| {
                    for v in values {
                        assert_eq!(
                            is_forbidden_request_header(n, v),
                            reference_is_forbidden(n, v),
                            "{n:?} {v:?}"
                        );
                        assert_eq!(
                            check_script_header_safelisted(n, v),
                            reference_check_safelisted(n, v),
                            "{n:?} {v:?}"
                        );
                    }
                });
            }
        }
    }

    /// The CORS-safelisted request-header rule, its names matched in place,
    /// answers as the definition.
    #[test]
    fn safelisted_request_header_is_the_definition() {
        let names: [&[u8]; 6] = [
            b"accept",
            b"accept-language",
            b"content-language",
            b"content-type",
            b"range",
            b"x-requested-with",
        ];
        let long = [b'a'; SAFELISTED_VALUE_MAX + 1];
        let values: [&[u8]; 12] = [
            b"",
            b"*/*",
            b"application/json",
            b"text/plain;charset=UTF-8",
            b"multipart/form-data; boundary=x",
            b"en-US,en;q=0.9",
            b"bytes=0-",
            b"bytes=5-1",
            b"a\"b",
            b"text/plain\x7f",
            &long[..SAFELISTED_VALUE_MAX],
            &long,
        ];
        for name in names {
            for base in [name.to_vec(), name.to_ascii_uppercase()] {
                with_each_byte_at_each_position(&base, |n| {
                    for v in values {
                        assert_eq!(
                            cors_safelisted_request_header(n, v),
                            reference_is_safelisted(n, v),
                            "{n:?} {v:?}"
                        );
                        let checked = reference_check(n, v);
                        assert_eq!(
                            check_script_header_safelisted(n, v),
                            (
                                checked,
                                checked == ScriptHeader::AsGiven && reference_is_safelisted(n, v)
                            ),
                            "{n:?} {v:?}"
                        );
                    }
                });
            }
        }
        for v in values {
            with_each_byte_at_each_position(v.get(..24).unwrap_or(v), |v| {
                for name in names {
                    assert_eq!(
                        cors_safelisted_request_header(name, v),
                        reference_is_safelisted(name, v),
                        "{name:?} {v:?}"
                    );
                    assert_eq!(
                        check_script_header_safelisted(name, v),
                        reference_check_safelisted(name, v),
                        "{name:?} {v:?}"
                    );
                }
            });
        }
    }

    /// `eq_ignore_case` answers as `eq_ignore_ascii_case`, for any byte at
    /// any position of strings of every length up to 24.
    #[test]
    fn eq_ignore_case_is_eq_ignore_ascii_case() {
        let base: Vec<u8> = b"Access-Control-Allow-Or".to_vec();
        for len in 0..=base.len() {
            let a = &base[..len];
            for i in 0..len {
                for byte in 0..=255u8 {
                    let mut b = a.to_vec();
                    b[i] = byte;
                    assert_eq!(eq_ignore_case(a, &b), a.eq_ignore_ascii_case(&b));
                    let mut c = a.to_ascii_uppercase();
                    c[i] = byte;
                    assert_eq!(eq_ignore_case(&b, &c), b.eq_ignore_ascii_case(&c));
                }
            }
            assert!(!eq_ignore_case(a, &base[..len.saturating_sub(1)]) || len == 0);
        }
    }

    /// `words_differ` is "not equal ignoring ASCII case" for every pair of
    /// bytes at every position of a word (the other bytes equal, or equal
    /// but for case).
    #[test]
    fn words_differ_is_not_eq_ignore_ascii_case() {
        for (base_a, base_b) in [(*b"X-Reques", *b"X-Reques"), (*b"x-reques", *b"X-REQUES")] {
            for i in 0..8 {
                for x in 0..=255u8 {
                    for y in 0..=255u8 {
                        let (mut a, mut b) = (base_a, base_b);
                        a[i] = x;
                        b[i] = y;
                        assert_eq!(
                            super::words_differ(u64::from_le_bytes(a), u64::from_le_bytes(b)),
                            !a.eq_ignore_ascii_case(&b),
                            "{a:?} {b:?}"
                        );
                    }
                }
            }
        }
    }

    /// `eq_lower` answers as `eq_ignore_ascii_case` for every literal it is
    /// used with, with any byte at any position.
    #[test]
    fn eq_lower_is_ascii_case_insensitive_equality() {
        let literals: &[&[u8]] = &[
            b"te",
            b"accept",
            b"content-type",
            b"content-length",
            b"accept-language",
            b"content-language",
            b"transfer-encoding",
            b"x-http-method-override",
            b"access-control-request-method",
            b"access-control-request-headers",
            b"access-control-allow-origin",
            b"access-control-allow-methods",
            b"access-control-allow-headers",
            b"access-control-max-age",
            b"authorization",
            b"range",
            b"text",
            b"plain",
            b"application",
            b"x-www-form-urlencoded",
            b"multipart",
            b"form-data",
        ];
        for lit in literals {
            let upper = lit.to_ascii_uppercase();
            assert!(eq_lower(lit, lit));
            assert!(eq_lower(&upper, lit));
            for i in 0..lit.len() {
                for b in 0..=255u8 {
                    let mut name = lit.to_vec();
                    name[i] = b;
                    assert_eq!(
                        eq_lower(&name, lit),
                        name.eq_ignore_ascii_case(lit),
                        "{:?} vs {:?}",
                        String::from_utf8_lossy(&name),
                        String::from_utf8_lossy(lit)
                    );
                }
            }
            assert!(!eq_lower(&lit[1..], lit));
        }
    }

    /// `cmp_ignore_case` orders as comparing the byte-lowercased strings,
    /// and `copy_lowercase` writes them, for strings of every length up
    /// to 20 around word boundaries, with any byte at any position.
    #[test]
    fn cmp_ignore_case_is_lowercased_order() {
        let base: Vec<u8> = b"X-Requested-With-Abc".to_vec();
        let bytes = [
            0u8, b'\t', b'-', b'@', b'A', b'Z', b'[', b'`', b'a', b'z', b'{', 0x7f, 0x80, 0xc1,
            0xe1, 0xff,
        ];
        let reference = |a: &[u8], b: &[u8]| a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
        for len in 0..=base.len() {
            let a = &base[..len];
            let mut lowered = vec![0u8; a.len()];
            copy_lowercase(&mut lowered, a);
            assert_eq!(lowered, a.to_ascii_lowercase());
            for other in 0..=base.len() {
                let b = base[..other].to_ascii_lowercase();
                assert_eq!(cmp_ignore_case(a, &b), reference(a, &b));
                for i in 0..other {
                    for &x in &bytes {
                        let mut c = b.clone();
                        c[i] = x;
                        assert_eq!(cmp_ignore_case(a, &c), reference(a, &c), "{a:?} {c:?}");
                        assert_eq!(cmp_ignore_case(&c, a), reference(&c, a), "{c:?} {a:?}");
                        assert_eq!(sort_key(a).cmp(&sort_key(&c)).is_eq(), {
                            let pad = |s: &[u8]| {
                                let mut p = s
                                    .iter()
                                    .take(8)
                                    .map(u8::to_ascii_lowercase)
                                    .collect::<Vec<_>>();
                                p.resize(8, 0);
                                p
                            };
                            pad(a) == pad(&c)
                        });
                        if sort_key(a) == sort_key(&c) {
                            assert_eq!(cmp_ignore_case_from(a, &c, 8), reference(a, &c));
                        } else {
                            assert_eq!(sort_key(a).cmp(&sort_key(&c)), reference(a, &c));
                        }
                        let mut lowered = vec![0u8; c.len()];
                        copy_lowercase(&mut lowered, &c);
                        assert_eq!(lowered, c.to_ascii_lowercase());
                    }
                }
            }
        }
    }
}
