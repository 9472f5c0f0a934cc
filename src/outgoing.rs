//! The headers of a request the driver has ready to send, as a view: the
//! request's own header list, then the headers the browser adds in
//! HTTP-network-or-cache fetch (`fetch#http-network-or-cache-fetch`:
//! `Content-Length`, `Referer`, `Origin`, and the fetch metadata headers).
//!
//! The driver decides every added header's value when it makes the request
//! ready; the view only puts them after the request's own, so a fetch
//! copies no header bytes to say what it sends. An embedder writes them out
//! in one pass, or makes a [`HeaderList`] with
//! [`OutgoingHeaders::to_header_list`].

use crate::header::{self, Header, HeaderList};

/// What `Origin` says, when the request has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OriginValue {
    /// The request origin's serialization.
    Serialized,
    /// `null`.
    Null,
}

/// The fetch metadata headers (`Sec-Fetch-Dest`, `-Mode`, `-Site`, and
/// `Sec-Fetch-Storage-Access` where the profile sends it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub(crate) dest: &'static str,
    pub(crate) mode: &'static str,
    pub(crate) site: &'static str,
    /// `Sec-Fetch-Mode` alone, without `-Dest` and `-Site`
    /// ([`crate::profile::FetchKnobs::preflight_sec_fetch_mode_always`]).
    pub(crate) mode_only: bool,
    /// `Sec-Fetch-Storage-Access: none` too
    /// ([`crate::profile::FetchKnobs::sec_fetch_storage_access`]).
    pub(crate) storage_access: bool,
}

/// The headers the browser adds to a request, decided: what the view puts
/// after the request's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Added {
    /// Whether the request's own list ends, in effect, with the
    /// `Accept: */*` the fetch added where the script set none (kept out
    /// of the script's buffer until a rule needs the whole list).
    pub(crate) accept: bool,
    /// `Content-Length`'s decimal digits (`len` of them).
    pub(crate) content_length: Option<(u8, [u8; 20])>,
    /// Whether `Referer` is sent (its value is the origin with `/`).
    pub(crate) referer: bool,
    pub(crate) origin: Option<OriginValue>,
    pub(crate) metadata: Option<Metadata>,
}

/// How many headers an [`Added`] may add ([`Added::sends`]).
const ADDED: u8 = 8;

/// What the iterator reads where no metadata is sent (never yielded).
const NO_METADATA: Metadata = Metadata {
    dest: "",
    mode: "",
    site: "",
    mode_only: false,
    storage_access: false,
};

/// Nothing added: the view of a list that is already whole.
static NONE_ADDED: Added = Added {
    accept: false,
    content_length: None,
    referer: false,
    origin: None,
    metadata: None,
};

impl Added {
    /// Sets `Content-Length` to `n`.
    pub(crate) fn set_content_length(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let len = crate::fetch::write_decimal(n, &mut digits);
        self.content_length = Some((len as u8, digits));
    }

    /// Whether the added header at `at` is sent: 0 `Accept`, 1
    /// `Content-Length`, 2 `Referer`, 3 `Origin`, 4 `Sec-Fetch-Dest`, 5
    /// `-Mode`, 6 `-Site`, 7 `-Storage-Access` (the view's order).
    #[inline]
    fn sends(&self, at: u8) -> bool {
        let full = self.metadata.is_some_and(|m| !m.mode_only);
        match at {
            0 => self.accept,
            1 => self.content_length.is_some(),
            2 => self.referer,
            3 => self.origin.is_some(),
            4 | 6 => full,
            5 => self.metadata.is_some(),
            7 => full && self.metadata.is_some_and(|m| m.storage_access),
            _ => false,
        }
    }

    /// How many headers this adds.
    fn len(&self) -> usize {
        (0..ADDED).filter(|&at| self.sends(at)).count()
    }
}

/// The headers of a request to put on the wire ([`crate::OutgoingRef`]),
/// borrowed from the fetch that made it: the request's own headers, then
/// those the browser adds, in the order they are sent.
///
/// ```
/// use std::time::Duration;
/// use crossorigin::{Policy, Profile, Request, Step};
/// let policy = Policy::new(Profile::chromium());
/// let request = Request::get("https://api.example/items", "https://app.example")
///     .unwrap()
///     .with_header("Accept", "application/json");
/// let mut fetch = policy.fetch(request, Duration::ZERO);
/// let Step::Send(outgoing) = fetch.poll_ref() else { panic!() };
/// let names: Vec<&[u8]> = outgoing.headers.iter().map(|h| h.name).collect();
/// assert_eq!(names, [
///     &b"Accept"[..], b"Referer", b"Origin",
///     b"Sec-Fetch-Dest", b"Sec-Fetch-Mode", b"Sec-Fetch-Site",
/// ]);
/// assert_eq!(outgoing.headers.get(b"referer").unwrap(), b"https://app.example/");
/// assert_eq!(outgoing.headers.get(b"origin").unwrap(), b"https://app.example");
/// assert_eq!(outgoing.headers.get(b"sec-fetch-mode").unwrap(), b"cors");
/// assert_eq!(outgoing.headers.len(), names.len());
/// ```
#[derive(Clone, Copy)]
pub struct OutgoingHeaders<'a> {
    own: &'a HeaderList,
    added: &'a Added,
    /// The request origin's serialization followed by `/` (the `Referer`).
    origin_slash: &'a [u8],
}

impl<'a> OutgoingHeaders<'a> {
    /// A list that is already whole.
    pub(crate) fn whole(own: &'a HeaderList) -> OutgoingHeaders<'a> {
        OutgoingHeaders {
            own,
            added: &NONE_ADDED,
            origin_slash: b"",
        }
    }

    /// `own`, then the headers of `added`; `origin_slash` is the request
    /// origin's serialization followed by `/`.
    pub(crate) fn new(
        own: &'a HeaderList,
        added: &'a Added,
        origin_slash: &'a [u8],
    ) -> OutgoingHeaders<'a> {
        OutgoingHeaders {
            own,
            added,
            origin_slash,
        }
    }

    /// The headers in the order they are sent.
    #[inline]
    pub fn iter(&self) -> OutgoingIter<'a> {
        OutgoingIter {
            own: self.own.iter(),
            added: self.added,
            origin_slash: self.origin_slash,
            next: 0,
        }
    }

    /// The number of headers.
    pub fn len(&self) -> usize {
        self.own.len() + self.added.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value of a name, combined with `, `
    /// (`fetch#concept-header-list-get`), or `None` when there is none.
    pub fn get(&self, name: &[u8]) -> Option<Vec<u8>> {
        header::combine_values(
            self.iter()
                .filter(|h| header::eq_ignore_case(h.name, name))
                .map(|h| h.value),
        )
    }

    /// Whether a header of the name is sent (case-insensitive).
    pub fn contains(&self, name: &[u8]) -> bool {
        self.iter().any(|h| header::eq_ignore_case(h.name, name))
    }

    /// The headers as an owned list.
    pub fn to_header_list(&self) -> HeaderList {
        let bytes: usize = self.iter().map(|h| h.name.len() + h.value.len()).sum();
        let mut list = HeaderList::with_capacity(self.len(), bytes);
        for h in self.iter() {
            list.append(h.name, h.value);
        }
        list
    }
}

impl PartialEq for OutgoingHeaders<'_> {
    fn eq(&self, other: &OutgoingHeaders<'_>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for OutgoingHeaders<'_> {}

impl std::fmt::Debug for OutgoingHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        header::debug_headers(f, self.iter())
    }
}

impl<'a> IntoIterator for OutgoingHeaders<'a> {
    type Item = Header<'a>;
    type IntoIter = OutgoingIter<'a>;
    fn into_iter(self) -> OutgoingIter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &OutgoingHeaders<'a> {
    type Item = Header<'a>;
    type IntoIter = OutgoingIter<'a>;
    fn into_iter(self) -> OutgoingIter<'a> {
        self.iter()
    }
}

/// The headers of an [`OutgoingHeaders`], in the order they are sent.
#[derive(Clone, Debug)]
pub struct OutgoingIter<'a> {
    own: header::Iter<'a>,
    added: &'a Added,
    origin_slash: &'a [u8],
    /// The next added header to consider: 0 `Accept`, 1 `Content-Length`,
    /// 2 `Referer`, 3 `Origin`, 4..=7 the fetch metadata headers; 8 when
    /// done.
    next: u8,
}

impl<'a> Iterator for OutgoingIter<'a> {
    type Item = Header<'a>;

    #[inline]
    fn next(&mut self) -> Option<Header<'a>> {
        if let Some(h) = self.own.next() {
            return Some(h);
        }
        let origin = self
            .origin_slash
            .split_last()
            .map_or(&b""[..], |(_, origin)| origin);
        while self.next < ADDED {
            let at = self.next;
            self.next += 1;
            let added = self.added;
            if !added.sends(at) {
                continue;
            }
            let metadata = added.metadata.unwrap_or(NO_METADATA);
            let (name, value): (&'static [u8], &'a [u8]) = match at {
                0 => (b"Accept", b"*/*"),
                1 => match &added.content_length {
                    Some((len, digits)) => (b"Content-Length", &digits[..usize::from(*len)]),
                    None => continue,
                },
                2 => (b"Referer", self.origin_slash),
                3 => match added.origin {
                    Some(OriginValue::Null) => (b"Origin", b"null"),
                    _ => (b"Origin", origin),
                },
                4 => (b"Sec-Fetch-Dest", metadata.dest.as_bytes()),
                5 => (b"Sec-Fetch-Mode", metadata.mode.as_bytes()),
                6 => (b"Sec-Fetch-Site", metadata.site.as_bytes()),
                _ => (b"Sec-Fetch-Storage-Access", b"none"),
            };
            return Some(Header { name, value });
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (own, _) = self.own.size_hint();
        let n = own
            + (self.next..ADDED)
                .filter(|&at| self.added.sends(at))
                .count();
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> HeaderList {
        let mut h = HeaderList::new();
        h.append("Accept", "*/*");
        h.append("X-Trace", "1");
        h
    }

    /// Every combination of added headers: the view yields the request's
    /// own headers, then `Content-Length`, `Referer`, `Origin` and the
    /// metadata headers (all three and `Sec-Fetch-Storage-Access` or not,
    /// or `Sec-Fetch-Mode` alone), in that order, with exact sizes all
    /// along.
    #[test]
    fn view_order_and_sizes() {
        let own = own();
        let origin_slash = b"https://app.example/";
        for mask in 0u8..=255 {
            let mut added = Added::default();
            let mut want: Vec<(&[u8], &[u8])> = vec![(b"Accept", b"*/*"), (b"X-Trace", b"1")];
            if mask & 32 != 0 {
                added.accept = true;
                want.push((b"Accept", b"*/*"));
            }
            if mask & 1 != 0 {
                added.set_content_length(if mask & 16 != 0 {
                    0
                } else {
                    18_446_744_073_709_551_615
                });
                want.push((
                    b"Content-Length",
                    if mask & 16 != 0 {
                        b"0"
                    } else {
                        b"18446744073709551615"
                    },
                ));
            }
            if mask & 2 != 0 {
                added.referer = true;
                want.push((b"Referer", b"https://app.example/"));
            }
            if mask & 4 != 0 {
                let null = mask & 16 != 0;
                added.origin = Some(if null {
                    OriginValue::Null
                } else {
                    OriginValue::Serialized
                });
                want.push((
                    b"Origin",
                    if null {
                        b"null"
                    } else {
                        b"https://app.example"
                    },
                ));
            }
            if mask & 8 != 0 {
                let storage_access = mask & 64 != 0;
                let mode_only = mask & 128 != 0;
                added.metadata = Some(Metadata {
                    dest: "empty",
                    mode: "cors",
                    site: "same-site",
                    mode_only,
                    storage_access,
                });
                if !mode_only {
                    want.push((b"Sec-Fetch-Dest", b"empty"));
                }
                want.push((b"Sec-Fetch-Mode", b"cors"));
                if !mode_only {
                    want.push((b"Sec-Fetch-Site", b"same-site"));
                    if storage_access {
                        want.push((b"Sec-Fetch-Storage-Access", b"none"));
                    }
                }
            }
            let view = OutgoingHeaders::new(&own, &added, origin_slash);
            assert_eq!(view.len(), want.len(), "mask {mask}");
            let mut it = view.iter();
            for (i, (name, value)) in want.iter().enumerate() {
                assert_eq!(it.size_hint(), (want.len() - i, Some(want.len() - i)));
                let h = it.next().expect("a header");
                assert_eq!(
                    (h.name, h.value),
                    (*name, *value),
                    "mask {mask}, header {i}"
                );
            }
            assert_eq!(it.size_hint(), (0, Some(0)));
            assert!(it.next().is_none());
            // The owned list is the same headers, and a view of it equals
            // the view it came from.
            let list = view.to_header_list();
            assert_eq!(list.len(), want.len());
            assert_eq!(OutgoingHeaders::whole(&list), view);
            assert_eq!(view.contains(b"ORIGIN"), mask & 4 != 0);
            assert_eq!(view.get(b"x-trace").as_deref(), Some(&b"1"[..]));
            let accepts = if mask & 32 != 0 {
                &b"*/*, */*"[..]
            } else {
                b"*/*"
            };
            assert_eq!(view.get(b"accept").as_deref(), Some(accepts));
        }
    }

    #[test]
    fn get_combines_own_and_added() {
        let mut own = own();
        own.append("origin", "https://evil.example");
        let added = Added {
            origin: Some(OriginValue::Null),
            ..Added::default()
        };
        let view = OutgoingHeaders::new(&own, &added, b"https://app.example/");
        assert_eq!(
            view.get(b"Origin").as_deref(),
            Some(&b"https://evil.example, null"[..])
        );
        assert!(!view.contains(b"referer"));
        assert_ne!(view, OutgoingHeaders::whole(&own));
    }
}
