//! The CORS-preflight cache (`fetch#cors-preflight-cache`): entries per
//! method and per header name, keyed by network partition key,
//! byte-serialized origin and URL, with credentials; expiry against a time
//! passed in; a bound on records and memory; safe to share between threads.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::profile::{CacheKnobs, Eviction};

/// What identifies a set of cache entries: everything of a cache entry but
/// its max-age, credentials, method and header name.
#[derive(Clone, Copy, Debug)]
pub struct CacheKey<'a> {
    /// The network partition key (`fetch#network-partition-key`), as the
    /// embedder names it; `""` when it does not partition.
    pub partition: &'a str,
    /// The byte-serialized request origin (`null` after a cross-origin
    /// redirect taints it).
    pub origin: &'a [u8],
    /// The request's current URL, serialized.
    pub url: &'a str,
}

/// One cache entry without its name. A record stores entries in groups:
/// a run of entries alike but for their names shares one [`GROUP_BYTES`]
/// header (see [`Record::data`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// A header-name entry (else a method entry).
    header: bool,
    credentials: bool,
    /// Its max-age, in seconds (a later preflight may change it); a
    /// larger value is stored as `u32::MAX` seconds (136 years).
    max_age: u32,
    /// When the entry was stored, in nanoseconds of the embedder's clock.
    stored: u64,
}

/// The size of a group's header: the entry its names share, and the length
/// of those names.
const GROUP_BYTES: usize = 16;

/// The most bytes of names (with their lengths) one group holds: the count
/// shares 32 bits with the entry's two flags. A longer run is split.
const MAX_GROUP_NAMES_BYTES: usize = (1 << 30) - 1;

/// A name's length before it: one byte below [`LONG_NAME`], else that
/// byte and four of little-endian length.
const LONG_NAME: u8 = u8::MAX;

/// The longest name a record stores, so that a name with its length fits a
/// group. A longer name (a gigabyte) is not cached, like names past
/// [`MAX_NAMES_PER_RECORD`].
const MAX_NAME_LEN: usize = MAX_GROUP_NAMES_BYTES - 5;

/// The bytes a name takes in a group: its length, then itself.
#[inline]
fn name_bytes(name: &[u8]) -> usize {
    name.len()
        + if name.len() < usize::from(LONG_NAME) {
            1
        } else {
            5
        }
}

/// A time as the cache stores it: nanoseconds, saturating (584 years).
fn nanos(t: Duration) -> u64 {
    u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)
}

impl Entry {
    /// The header of a group of these entries, whose names take
    /// `names_bytes` (at most [`MAX_GROUP_NAMES_BYTES`]): one little-endian
    /// 128-bit word of `stored`, `max_age`, then `names_bytes` shifted past
    /// the two flags.
    #[inline]
    fn encode_group(&self, names_bytes: u32) -> [u8; GROUP_BYTES] {
        let len_flags =
            names_bytes << 2 | u32::from(self.header) << 1 | u32::from(self.credentials);
        (u128::from(self.stored) | u128::from(self.max_age) << 64 | u128::from(len_flags) << 96)
            .to_le_bytes()
    }

    /// A group header's entry and the length of its names.
    #[inline(always)]
    fn decode_group(b: &[u8; GROUP_BYTES]) -> (Entry, usize) {
        let w = u128::from_le_bytes(*b);
        // The casts keep the low bits of each field.
        let len_flags = (w >> 96) as u32;
        let e = Entry {
            header: len_flags & 2 != 0,
            credentials: len_flags & 1 != 0,
            max_age: (w >> 64) as u32,
            stored: w as u64,
        };
        (e, (len_flags >> 2) as usize)
    }

    /// Whether this entry, named `name`, live or not, answers `method`
    /// (`fetch#concept-cache-match-method`): the method itself, or `*` for
    /// an uncredentialed request where the profile reads `*` as a wildcard.
    #[inline(always)]
    fn answers_method(
        &self,
        name: &[u8],
        method: &[u8],
        credentials: bool,
        k: &CacheKnobs,
    ) -> bool {
        !self.header
            && (name == method || (k.wildcards && !credentials && name == b"*"))
            && credentials_fit(self.credentials, credentials, k)
    }

    /// Whether this entry, named `name`, live or not, answers header
    /// `asked` (`fetch#concept-cache-match-header`): the name,
    /// case-insensitively, or `*` for an uncredentialed request where
    /// `wildcard_applies`.
    #[inline(always)]
    fn answers_header(
        &self,
        name: &[u8],
        asked: &[u8],
        credentials: bool,
        wildcard_applies: bool,
        k: &CacheKnobs,
    ) -> bool {
        self.header
            // The length first: it rules out most names without a call.
            && ((name.len() == asked.len() && crate::header::eq_ignore_case(name, asked))
                || (k.wildcards && wildcard_applies && !credentials && name == b"*"))
            && credentials_fit(self.credentials, credentials, k)
    }

    /// Whether the entry is still live at `now`, in nanoseconds.
    #[inline]
    fn live_at(&self, now: u64) -> bool {
        self.expiry() > now
    }

    /// When the entry expires, in nanoseconds (saturating).
    #[inline]
    fn expiry(&self) -> u64 {
        self.stored
            .saturating_add(u64::from(self.max_age).saturating_mul(1_000_000_000))
    }
}

/// Splits a record's groups (see [`Record::data`]) into the first group's
/// entry, its names, and the groups after it.
#[inline(always)]
fn split_group(groups: &[u8]) -> Option<(Entry, &[u8], &[u8])> {
    let (head, rest) = groups.split_first_chunk::<GROUP_BYTES>()?;
    let (e, len) = Entry::decode_group(head);
    let (names, rest) = rest.split_at_checked(len)?;
    Some((e, names, rest))
}

/// Splits a group's names into the first name and the names after it.
#[inline(always)]
fn split_name(names: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&len, rest) = names.split_first()?;
    let (len, rest) = if len < LONG_NAME {
        (usize::from(len), rest)
    } else {
        let (len, rest) = rest.split_first_chunk::<4>()?;
        (u32::from_le_bytes(*len) as usize, rest)
    };
    rest.split_at_checked(len)
}

/// A record's entries, each with its name (see [`Record::data`]).
struct Entries<'a> {
    /// The groups after the current one.
    rest: &'a [u8],
    /// The current group's entry, and its names not yet read.
    group: Entry,
    names: &'a [u8],
}

impl<'a> Entries<'a> {
    fn of(groups: &'a [u8]) -> Entries<'a> {
        Entries {
            rest: groups,
            group: Entry {
                header: false,
                credentials: false,
                max_age: 0,
                stored: 0,
            },
            names: &[],
        }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Entry, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<(Entry, &'a [u8])> {
        loop {
            if let Some((name, names)) = split_name(self.names) {
                self.names = names;
                return Some((self.group, name));
            }
            (self.group, self.names, self.rest) = split_group(self.rest)?;
        }
    }
}

/// Writes a record's bytes: the key, then entries in groups, each run of
/// entries alike but for their names in one group.
struct Writer {
    data: Vec<u8>,
    /// The open group: its entry and where its header is.
    open: Option<(Entry, usize)>,
}

impl Writer {
    /// A record of `capacity` bytes (for all it will hold, so that it is
    /// allocated once), starting with `key`.
    fn new(key: &[&[u8]; 3], capacity: usize) -> Writer {
        let mut data = Vec::with_capacity(capacity);
        for part in key {
            data.extend_from_slice(part);
        }
        Writer { data, open: None }
    }

    /// Appends an entry named `name` (at most [`MAX_NAME_LEN`] long: the
    /// caller checks), in the open group when it is alike and has room.
    fn push(&mut self, e: &Entry, name: &[u8]) {
        let fits = |&(g, at): &(Entry, usize)| {
            g == *e
                && self.data.len() - at - GROUP_BYTES + name_bytes(name) <= MAX_GROUP_NAMES_BYTES
        };
        if !self.open.as_ref().is_some_and(fits) {
            self.close();
            self.open(e);
        }
        self.name(name);
    }

    /// Opens a group of entries like `e` (closing the open one first).
    #[inline]
    fn open(&mut self, e: &Entry) {
        self.close();
        self.open = Some((*e, self.data.len()));
        // Its header, written when the group closes.
        self.data.extend_from_slice(&[0; GROUP_BYTES]);
    }

    /// Appends a name (at most [`MAX_NAME_LEN`] long) to the open group,
    /// which has room for it: the caller checks.
    #[inline(always)]
    fn name(&mut self, name: &[u8]) {
        // Below LONG_NAME: the length fits its byte.
        match u8::try_from(name.len()) {
            Ok(len) if len < LONG_NAME => self.data.push(len),
            _ => {
                self.data.push(LONG_NAME);
                // At most MAX_NAME_LEN.
                self.data
                    .extend_from_slice(&(name.len() as u32).to_le_bytes());
            }
        }
        self.data.extend_from_slice(name);
    }

    /// Writes the open group's header.
    #[inline]
    fn close(&mut self) {
        if let Some((g, at)) = self.open.take() {
            // At most MAX_GROUP_NAMES_BYTES (see `push`).
            let len = (self.data.len() - at - GROUP_BYTES) as u32;
            if let Some(head) = self.data.get_mut(at..at + GROUP_BYTES) {
                head.copy_from_slice(&g.encode_group(len));
            }
        }
    }

    fn finish(mut self) -> Box<[u8]> {
        self.close();
        self.data.into_boxed_slice()
    }
}

/// Copies `src` into `dst`, of the same length, without a call for up to
/// 16 bytes (most names): two overlapping words (or bytes) from each end.
/// A call to `memcpy` costs more than the copy, and makes the caller keep
/// its loop's state on the stack.
#[inline(always)]
fn copy_name(dst: &mut [u8], src: &[u8]) {
    fn ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<N>(), src.last_chunk::<N>()) {
            *d = *s;
        }
    }
    match src.len() {
        8..=16 => ends::<8>(dst, src),
        4..=7 => ends::<4>(dst, src),
        2..=3 => ends::<2>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// The bytes the names of lists take with their lengths (each below
/// [`LONG_NAME`]), and the longest: what [`Record::first`] needs before
/// writing lists too long for the stack.
fn survey(lists: [&[&[u8]]; 2]) -> (usize, usize) {
    let (mut bytes, mut longest) = (0usize, 0usize);
    for list in lists {
        for name in list {
            bytes += 1 + name.len();
            longest = longest.max(name.len());
        }
    }
    (bytes, longest)
}

/// A name's bit in the summary of [`push_first`]: from its length and
/// its first letter in lower case.
#[inline(always)]
fn name_bit(name: &[u8]) -> u64 {
    let first = name.first().map_or(0, |b| b | 0x20);
    1u64 << ((name.len() ^ usize::from(first)) & 63)
}

/// The bit of `*` in the summary of [`name_bit`], which a few other
/// names share (such as `j`).
const STAR_BIT: u64 = 1 << ((1 ^ (b'*' | 0x20) as usize) & 63);

/// Writes at `at` in `out` a group of entries like `e`, one for each name
/// of `list`, and returns where the group ends, when no two names may be
/// alike, no name that may be `*` comes before another (`*` may answer
/// it), and the group fits `out` (at most [`GROUP_BYTES`] and
/// [`LONG_NAME`] bytes long: each name that fits is shorter than
/// [`LONG_NAME`]): then a
/// first preflight's group holds every name as listed
/// ([`Record::first_plain`]). Else `None`, and `out` is left with bytes
/// of no meaning after `at`. Names alike have the same length and first
/// letter in any case ([`name_bit`]). An empty list writes nothing.
///
/// Inlined in each of its two uses: a call per group (the registers saved
/// and restored) cost more instructions than the second copy of the loop
/// costs code.
#[inline(always)]
fn write_group(out: &mut [u8], at: usize, e: Entry, list: &[&[u8]]) -> Option<usize> {
    // A name of LONG_NAME bytes or more, with its length, never fits.
    debug_assert!(out.len() <= GROUP_BYTES + usize::from(LONG_NAME));
    if list.is_empty() {
        return Some(at);
    }
    let end = out.len();
    let (head, mut rest) = out.get_mut(at..)?.split_first_chunk_mut::<GROUP_BYTES>()?;
    let names = rest.len();
    let mut seen = 0u64;
    for name in list {
        let bit = name_bit(name);
        if seen & bit != 0 {
            return None;
        }
        seen |= bit | if bit == STAR_BIT { u64::MAX } else { 0 };
        let ([len, dst @ ..], after) =
            std::mem::take(&mut rest).split_at_mut_checked(1 + name.len())?
        else {
            return None;
        };
        // Below LONG_NAME (it fitted `out`): the length fits its byte.
        *len = name.len() as u8;
        copy_name(dst, name);
        rest = after;
    }
    // Far below MAX_GROUP_NAMES_BYTES (`out` is on the stack).
    *head = e.encode_group((names - rest.len()) as u32);
    Some(end - rest.len())
}

/// Writes at the front of `out` for a first preflight a group of entries
/// like `e`, one for each name of `list` that no earlier name answers
/// (`answers(earlier, name)`; see [`Record::first`]), and leaves in `out`
/// the bytes after it: the bytes [`Writer::push`] would write. `None`
/// when they do not fit `out`, or a name is [`LONG_NAME`] bytes or longer
/// (then `out` is left as it was and nothing is said of its bytes).
///
/// Names alike have the same length and first letter (in any case), so a
/// 64-bit summary of the names before, kept while each is written, tells
/// that none is alike an earlier one unless two share a bit or a `*` came
/// before (it may answer any name). Most lists have no two names alike and
/// are written once, without a comparison; the others are written again,
/// each name only when no earlier one answers it.
#[inline(always)]
fn push_first(
    out: &mut &mut [u8],
    e: Entry,
    list: &[&[u8]],
    answers: impl Fn(&[u8], &[u8]) -> bool,
) -> Option<()> {
    if list.is_empty() {
        return Some(());
    }
    let (head, rest) = std::mem::take(out).split_first_chunk_mut::<GROUP_BYTES>()?;
    // Where the next name goes in `rest`.
    let mut at = 0usize;
    // Writes a name and its length at `at`; false when they do not fit
    // `rest` or the length does not fit its byte.
    let mut write = |at: &mut usize, name: &[u8]| {
        // Below LONG_NAME: one byte of length (`rest` is far shorter than
        // `usize::MAX`: the sum does not overflow).
        match rest.get_mut(*at..*at + 1 + name.len()) {
            Some([len, dst @ ..]) if name.len() < usize::from(LONG_NAME) => {
                *len = name.len() as u8;
                copy_name(dst, name);
                *at += 1 + name.len();
                true
            }
            _ => false,
        }
    };
    let (mut seen, mut shared) = (0u64, 0u64);
    for &name in list {
        let bit = name_bit(name);
        shared |= seen & bit;
        seen |= if name == b"*" { u64::MAX } else { bit };
        if !write(&mut at, name) {
            return None;
        }
    }
    if shared != 0 {
        // Two names may be alike (rare): the group written again, a part
        // of what was written (which fit).
        at = 0;
        seen = 0;
        for (j, &name) in list.iter().enumerate() {
            let bit = name_bit(name);
            if seen & bit == 0 || !list[..j].iter().any(|&n| answers(n, name)) {
                write(&mut at, name);
            }
            seen |= if name == b"*" { u64::MAX } else { bit };
        }
    }
    if at > MAX_GROUP_NAMES_BYTES {
        return None;
    }
    *head = e.encode_group(at as u32);
    *out = rest.get_mut(at..)?;
    Some(())
}

/// The room on the stack for the groups of a first preflight
/// ([`Record::first`]): two group headers and about a dozen names. Longer
/// lists are written in a buffer on the heap.
const FIRST_GROUPS_BYTES: usize = 256;

// A name of LONG_NAME bytes or more does not fit the room on the stack
// with its group's header and its length (`write_group` counts on it).
const _: () = assert!(FIRST_GROUPS_BYTES <= GROUP_BYTES + LONG_NAME as usize);

/// Writes at the front of `out` the groups of a first preflight's entries
/// like `e` ([`Record::first`]), header names first; returns how many
/// bytes they take, or `None` when they do not fit (see [`push_first`]).
#[inline(always)]
fn first_groups(
    out: &mut [u8],
    e: Entry,
    credentials: bool,
    methods: &[&[u8]],
    header_names: &[&[u8]],
    k: &CacheKnobs,
) -> Option<usize> {
    let room = out.len();
    let mut rest = out;
    // The same matches as a lookup; here `*` never stands for
    // `Authorization`.
    let e = Entry { header: true, ..e };
    push_first(&mut rest, e, header_names, |n, h| {
        let wildcard_applies = !crate::header::is_cors_non_wildcard_request_header_name(h);
        e.answers_header(n, h, credentials, wildcard_applies, k)
    })?;
    let e = Entry { header: false, ..e };
    push_first(&mut rest, e, methods, |n, m| {
        e.answers_method(n, m, credentials, k)
    })?;
    Some(room - rest.len())
}

#[derive(Debug)]
struct Record {
    /// Partition, origin and URL, then the entries, header-name entries
    /// first, in groups: a run of entries alike but for their names (as a
    /// preflight's are) is one group, a [`GROUP_BYTES`] header then each
    /// name after its length. One allocation per record, read front to
    /// back by a lookup, whose header names (usually several to a lookup,
    /// against one method) come first; a lookup checks a group's liveness
    /// and credentials once. Names are kept as the preflight gave them:
    /// every comparison of header names ignores case.
    data: Box<[u8]>,
    /// The key's length (where the entries start).
    key_len: usize,
    partition_len: u16,
    origin_len: u16,
    /// The cache's tick at the last use (for least-recently-used eviction).
    last_used: u32,
}

impl Record {
    /// A record for a key whose partition and origin are each shorter
    /// than 64 KiB (the caller does not cache others), with the entries of
    /// a first preflight, or `None` when this quick way does not apply
    /// (then [`Record::update`] on a record without entries does it).
    ///
    /// The entries of a first preflight all have the same credentials,
    /// max-age and time, so when they are live, setting the max-age of the
    /// entries that match leaves them unchanged, and a name is added
    /// exactly when no earlier name of its list answers it: the lists alone
    /// tell, without searching entries.
    #[allow(clippy::too_many_arguments)]
    fn first(
        key: &CacheKey<'_>,
        tick: u32,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: u64,
        k: &CacheKnobs,
    ) -> Option<Record> {
        let e = Entry {
            header: true,
            credentials,
            max_age,
            stored: now,
        };
        if !e.live_at(now)
            // Then no list reaches MAX_NAMES_PER_RECORD before its end.
            || methods.len() > MAX_NAMES_PER_RECORD
            || header_names.len() > MAX_NAMES_PER_RECORD
        {
            return None;
        }
        match Record::first_plain(key, tick, e, methods, header_names) {
            Some(r) => Some(r),
            None => Record::first_deduplicated(key, tick, e, credentials, methods, header_names, k),
        }
    }

    /// [`Record::first`] where no two names of a list may be alike (most
    /// lists), each is shorter than [`LONG_NAME`], and the groups fit
    /// [`FIRST_GROUPS_BYTES`]: the groups written on the stack
    /// ([`write_group`]), then the record allocated at its size and filled
    /// by copies. `None` where this does not apply.
    #[inline(always)]
    fn first_plain(
        key: &CacheKey<'_>,
        tick: u32,
        e: Entry,
        methods: &[&[u8]],
        header_names: &[&[u8]],
    ) -> Option<Record> {
        // The groups, written once on the stack; the record is then
        // allocated at its size (an allocation not zeroed) and filled by
        // copies.
        let mut stack = [0u8; FIRST_GROUPS_BYTES];
        // Header names first (see `data`).
        let at = write_group(&mut stack, 0, Entry { header: true, ..e }, header_names)?;
        let end = write_group(&mut stack, at, Entry { header: false, ..e }, methods)?;
        let groups = stack.get(..end)?;
        let (partition, origin, url) = (key.partition.as_bytes(), key.origin, key.url.as_bytes());
        let mut data =
            Vec::with_capacity(partition.len() + origin.len() + url.len() + groups.len());
        // Most keys have no partition.
        if !partition.is_empty() {
            data.extend_from_slice(partition);
        }
        data.extend_from_slice(origin);
        data.extend_from_slice(url);
        data.extend_from_slice(groups);
        Some(Record::with_data(key, data.into_boxed_slice(), tick))
    }

    /// [`Record::first`] where two names of a list may be alike, or a
    /// name is [`LONG_NAME`] bytes or longer: each name written only when
    /// no earlier one of its list answers it ([`push_first`]); `None` for
    /// names of [`LONG_NAME`] bytes or longer. Right for any lists, and
    /// rare: kept out of the usual way's code.
    #[cold]
    #[inline(never)]
    fn first_deduplicated(
        key: &CacheKey<'_>,
        tick: u32,
        e: Entry,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        k: &CacheKnobs,
    ) -> Option<Record> {
        // The groups, written once on the stack; the record is then
        // allocated at its size (an allocation not zeroed) and filled by
        // copies.
        let mut stack = [0u8; FIRST_GROUPS_BYTES];
        let heap: Vec<u8>;
        let groups: &[u8] = match first_groups(&mut stack, e, credentials, methods, header_names, k)
        {
            Some(used) => stack.get(..used)?,
            None => {
                // Rare: long lists, or names of 255 bytes and more. Each
                // name with its byte of length, unless one is longer.
                let (names, longest) = survey([methods, header_names]);
                if longest >= usize::from(LONG_NAME) || names > MAX_GROUP_NAMES_BYTES {
                    // The general way writes such names.
                    return None;
                }
                let mut v = vec![0u8; 2 * GROUP_BYTES + names];
                let used = first_groups(&mut v, e, credentials, methods, header_names, k)?;
                v.truncate(used);
                heap = v;
                &heap
            }
        };
        let (partition, origin, url) = (key.partition.as_bytes(), key.origin, key.url.as_bytes());
        let mut data =
            Vec::with_capacity(partition.len() + origin.len() + url.len() + groups.len());
        // Most keys have no partition.
        if !partition.is_empty() {
            data.extend_from_slice(partition);
        }
        data.extend_from_slice(origin);
        data.extend_from_slice(url);
        data.extend_from_slice(groups);
        Some(Record::with_data(key, data.into_boxed_slice(), tick))
    }

    /// A record for a key whose partition and origin are each shorter
    /// than 64 KiB (the caller does not cache others), with the entries of
    /// a first preflight: [`Record::first`] when `quick` and it applies,
    /// else the general way.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn stored(
        key: &CacheKey<'_>,
        tick: u32,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: u64,
        k: &CacheKnobs,
        quick: bool,
    ) -> Record {
        let first = match quick {
            true => Record::first(
                key,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now,
                k,
            ),
            false => None,
        };
        match first {
            Some(r) => r,
            None => Record::general(
                key,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now,
                k,
            ),
        }
    }

    /// [`Record::stored`] the general way: [`Record::update`] on a record
    /// without entries. Not inlined: the usual store does not run it.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn general(
        key: &CacheKey<'_>,
        tick: u32,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: u64,
        k: &CacheKnobs,
    ) -> Record {
        let mut r = Record::new(key, tick);
        r.update(credentials, methods, header_names, max_age, now, k);
        r
    }

    /// A record for a key whose partition and origin are each shorter
    /// than 64 KiB (the caller does not cache others), with no entries.
    fn new(key: &CacheKey<'_>, tick: u32) -> Record {
        let data = [key.partition.as_bytes(), key.origin, key.url.as_bytes()].concat();
        Record::with_data(key, data.into_boxed_slice(), tick)
    }

    fn with_data(key: &CacheKey<'_>, data: Box<[u8]>, tick: u32) -> Record {
        Record {
            data,
            key_len: key.partition.len() + key.origin.len() + key.url.len(),
            // Bounded by the lengths of in-memory strings; saturate rather
            // than wrap on absurd sizes (then no key matches it).
            partition_len: u16::try_from(key.partition.len()).unwrap_or(u16::MAX),
            origin_len: u16::try_from(key.origin.len()).unwrap_or(u16::MAX),
            last_used: tick,
        }
    }

    /// The entries' groups.
    #[inline]
    fn groups(&self) -> &[u8] {
        self.data.get(self.key_len..).unwrap_or_default()
    }

    #[inline]
    fn matches(&self, key: &CacheKey<'_>) -> bool {
        let (p, o) = (self.partition_len as usize, self.origin_len as usize);
        let k = self.data.get(..self.key_len).unwrap_or_default();
        p == key.partition.len()
            && o == key.origin.len()
            && k.len() == p + o + key.url.len()
            && bytes_eq(&k[p + o..], key.url.as_bytes())
            && bytes_eq(&k[p..p + o], key.origin)
            && bytes_eq(&k[..p], key.partition.as_bytes())
    }

    /// What the record costs: its share of the table and its allocation
    /// (rounded up as malloc does).
    fn bytes(&self) -> usize {
        let alloc = |n: usize| if n == 0 { 0 } else { (n + 8).div_ceil(16) * 16 };
        RECORD_OVERHEAD + alloc(self.data.len())
    }

    /// The names of the live groups of header-name entries (`header`) or
    /// of method entries whose credentials fit, in turn: a lookup checks
    /// each group's liveness and credentials once, and skips a group of
    /// the other kind whole.
    #[inline(always)]
    fn live_names(
        &self,
        header: bool,
        credentials: bool,
        now: u64,
        k: &CacheKnobs,
        mut f: impl FnMut(&[u8]) -> bool,
    ) -> bool {
        let mut rest = self.groups();
        while let Some((e, mut names, after)) = split_group(rest) {
            rest = after;
            if e.header == header
                && e.live_at(now)
                && credentials_fit(e.credentials, credentials, k)
            {
                while let Some((name, after)) = split_name(names) {
                    if f(name) {
                        return true;
                    }
                    names = after;
                }
            }
        }
        false
    }

    /// `fetch#concept-cache-match-method` within this record. Inlined: a
    /// lookup asks it once, and the call would cost as much as the search.
    #[inline(always)]
    fn method_match(&self, method: &[u8], credentials: bool, now: u64, k: &CacheKnobs) -> bool {
        let star_counts = k.wildcards && !credentials;
        self.live_names(false, credentials, now, k, |name| {
            crate::origin::short_eq(name, method) || (star_counts && name == b"*")
        })
    }

    /// `fetch#concept-cache-match-header` within this record.
    fn header_match(
        &self,
        asked: &[u8],
        credentials: bool,
        wildcard_applies: bool,
        now: u64,
        k: &CacheKnobs,
    ) -> bool {
        let star_counts = k.wildcards && wildcard_applies && !credentials;
        self.live_names(true, credentials, now, k, |name| {
            answers_header_name(name, asked, star_counts)
        })
    }

    fn expired(&self, now: u64) -> bool {
        let mut rest = self.groups();
        while let Some((e, _, after)) = split_group(rest) {
            if e.live_at(now) {
                return false;
            }
            rest = after;
        }
        true
    }

    /// The last steps of `fetch#cors-preflight-fetch-0` in this record, the
    /// general way: drops what has expired, then sets or adds an entry for
    /// each method and header name ([`upsert`]), and writes the record
    /// anew.
    fn update(
        &mut self,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: u64,
        k: &CacheKnobs,
    ) {
        let old = std::mem::take(&mut self.data);
        let (key, rest) = old.split_at_checked(self.key_len).unwrap_or((&old, &[]));
        // Room for every new entry at once.
        let adding =
            methods.len().min(MAX_NAMES_PER_RECORD) + header_names.len().min(MAX_NAMES_PER_RECORD);
        let mut entries = Vec::with_capacity(adding);
        entries.extend(Entries::of(rest).filter(|(e, _)| e.live_at(now)));
        for &m in methods {
            // The same match as a lookup.
            upsert(
                &mut entries,
                false,
                m,
                credentials,
                now,
                max_age,
                |e, name| e.answers_method(name, m, credentials, k),
            );
        }
        for &h in header_names {
            // The same match as a lookup; here `*` never stands for
            // `Authorization`.
            let wildcard_applies = !crate::header::is_cors_non_wildcard_request_header_name(h);
            upsert(
                &mut entries,
                true,
                h,
                credentials,
                now,
                max_age,
                |e, name| e.answers_header(name, h, credentials, wildcard_applies, k),
            );
        }
        // Room for a group per entry at most.
        let size = entries
            .iter()
            .map(|(_, name)| GROUP_BYTES + name_bytes(name))
            .sum::<usize>();
        let mut w = Writer::new(&[key, &[], &[]], key.len() + size);
        // Header-name entries first (see `data`).
        for header in [true, false] {
            for (e, name) in entries.iter().filter(|(e, _)| e.header == header) {
                w.push(e, name);
            }
        }
        self.data = w.finish();
    }
}

/// Whether `f` is true of some name of a group's names.
#[inline(always)]
fn any_name(mut names: &[u8], mut f: impl FnMut(&[u8]) -> bool) -> bool {
    while let Some((name, rest)) = split_name(names) {
        if f(name) {
            return true;
        }
        names = rest;
    }
    false
}

/// Byte equality that skips `memcmp` for empty slices (comparing two empty
/// slices through `memcmp` measured ~130 ns on this machine's libc).
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// The most method entries and the most header-name entries one record
/// keeps: a hostile server listing thousands of names cannot grow a record
/// without bound (names past this are simply not cached, so the request is
/// preflighted again).
pub const MAX_NAMES_PER_RECORD: usize = 256;

/// A record's share of the hash table: its slot (hash and bucket) and
/// control byte, divided by the table's typical load (about 3/4).
const RECORD_OVERHEAD: usize = (std::mem::size_of::<(u64, Bucket)>() + 1) * 4 / 3;

/// The records whose keys share a 64-bit hash: almost always one, so the
/// first lives in the table slot itself.
#[derive(Debug)]
struct Bucket {
    first: Record,
    /// Records whose keys collide with `first`'s hash: boxed, since a
    /// 64-bit collision almost never happens.
    #[allow(clippy::box_collection)] // 8 bytes in the table slot, not 24
    rest: Option<Box<Vec<Record>>>,
}

impl Bucket {
    fn iter(&self) -> impl Iterator<Item = &Record> {
        std::iter::once(&self.first).chain(self.rest.iter().flat_map(|r| r.iter()))
    }
    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Record> {
        std::iter::once(&mut self.first).chain(self.rest.iter_mut().flat_map(|r| r.iter_mut()))
    }
    fn len(&self) -> usize {
        1 + self.rest.as_ref().map_or(0, |r| r.len())
    }
    /// Keeps the records for which `keep` is true; returns whether none is
    /// left (the bucket must then leave the table).
    fn retain(&mut self, mut keep: impl FnMut(&Record) -> bool) -> bool {
        if let Some(rest) = &mut self.rest {
            rest.retain(|r| keep(r));
        }
        if keep(&self.first) {
            return false;
        }
        match self.rest.as_mut().and_then(|r| r.pop()) {
            Some(r) => {
                self.first = r;
                false
            }
            None => true,
        }
    }

    /// Removes record `i`; returns it and whether the bucket is now empty.
    fn remove(&mut self, i: usize) -> (Option<Record>, bool) {
        if i == 0 {
            match self.rest.as_mut().and_then(|r| r.pop()) {
                Some(r) => (Some(std::mem::replace(&mut self.first, r)), false),
                None => (None, true),
            }
        } else if let Some(rest) = self.rest.as_mut().filter(|r| i - 1 < r.len()) {
            (Some(rest.swap_remove(i - 1)), false)
        } else {
            (None, false)
        }
    }
}

/// The table's keys are already hashes: use them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Inner {
    /// The next tick; when the counter would wrap, every record's last use
    /// is reset first (least-recently-used order is lost once per 2^32
    /// operations, which only makes eviction less exact).
    #[inline]
    fn next_tick(&mut self) -> u32 {
        if self.tick == u32::MAX {
            self.reset_ticks();
        }
        self.tick += 1;
        self.tick
    }

    /// Every record's last use reset, and the tick (once per 2^32
    /// operations: out of line).
    #[cold]
    #[inline(never)]
    fn reset_ticks(&mut self) {
        for b in self.records.values_mut() {
            for r in b.iter_mut() {
                r.last_used = 0;
            }
        }
        self.tick = 0;
    }
}

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<u64, Bucket, BuildHasherDefault<IdentityHasher>>,
    count: usize,
    bytes: usize,
    tick: u32,
    rng: u64,
}

/// The CORS-preflight cache. `Send + Sync`: one cache serves every fetch of
/// a [`Policy`](crate::Policy), from any thread. A lock guards the records;
/// a thread that asks a fetch's question again while nothing has taken the
/// lock since its last positive answer gets that answer without the lock.
///
/// ```
/// use std::time::Duration;
/// use crossorigin::{cache::{CacheKey, PreflightCache}, Profile};
/// let cache = PreflightCache::new(Profile::spec().cache);
/// let key = CacheKey { partition: "", origin: b"https://app.example", url: "https://api.example/x" };
/// let t0 = Duration::from_secs(100);
/// cache.store(&key, false, &[b"PUT"], &[b"x-trace"], 600, t0);
/// assert!(cache.method_match(&key, b"PUT", false, t0 + Duration::from_secs(10)));
/// assert!(!cache.method_match(&key, b"PUT", true, t0));
/// assert!(!cache.method_match(&key, b"PUT", false, t0 + Duration::from_secs(600)));
/// ```
#[derive(Debug)]
pub struct PreflightCache {
    knobs: CacheKnobs,
    hasher: foldhash::quality::RandomState,
    inner: Mutex<Inner>,
    /// This cache among every cache of the process (for [`RECENT`]).
    id: u64,
    /// Counts the times the lock was taken: unchanged since a thread's
    /// [`RECENT`] answer was given under the lock, the cache is as it was
    /// then. Written only with the lock held.
    generation: AtomicU64,
}

/// The ids of caches, from 1 (0: no cache).
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// A thread's last positive answer of [`PreflightCache::covers_hashed`],
/// given again without the lock while its cache is unchanged.
///
/// The answer is the same as a lookup would give: no operation has taken
/// the lock since (the generation), so the records are as they were; the
/// entries that answered are live while `now < until`, the earliest end of
/// the live groups the walk read, and live entries only add matches (an
/// earlier `now` too can only make more entries live). The lookup it
/// stands for would only have set its record's last use to the newest
/// tick, which that record already has: no lookup took a tick since.
struct Recent {
    /// The cache's id; 0 for none.
    cache: u64,
    generation: u64,
    until: u64,
    credentials: bool,
    has_method: bool,
    /// The lengths of the partition, origin, URL and method in `bytes`.
    lens: [usize; 4],
    /// Partition, origin, URL, method, then each name asked as its
    /// length (4 bytes, little-endian), whether `*` may stand for it (one
    /// byte), and itself.
    bytes: Vec<u8>,
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent {
            cache: 0,
            generation: 0,
            until: 0,
            credentials: false,
            has_method: false,
            lens: [0; 4],
            bytes: Vec::new(),
        })
    };
}

/// The most bytes a thread's [`Recent`] answer keeps (a larger question
/// is not remembered).
const RECENT_MAX_BYTES: usize = 4096;

impl Recent {
    /// Whether this is the answer to the question asked.
    #[inline]
    fn answers<'n, I: IntoIterator<Item = (&'n [u8], bool)>>(
        &self,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        names: I,
    ) -> bool {
        let [p, o, u, m] = self.lens;
        let method = method.unwrap_or_default();
        if p != key.partition.len()
            || o != key.origin.len()
            || u != key.url.len()
            || m != method.len()
        {
            return false;
        }
        let Some((asked, mut rest)) = self.bytes.split_at_checked(p + o + u + m) else {
            return false;
        };
        let parts = [
            key.partition.as_bytes(),
            key.origin,
            key.url.as_bytes(),
            method,
        ];
        let mut at = asked;
        for part in parts {
            let Some((here, after)) = at.split_at_checked(part.len()) else {
                return false;
            };
            if !crate::site::words_eq(here, part) {
                return false;
            }
            at = after;
        }
        for (name, wildcard_applies) in names {
            let Some((head, after)) = rest.split_first_chunk::<5>() else {
                return false;
            };
            let [a, b, c, d, flag] = *head;
            if u32::from_le_bytes([a, b, c, d]) as usize != name.len()
                || (flag != 0) != wildcard_applies
            {
                return false;
            }
            let Some((stored, after)) = after.split_at_checked(name.len()) else {
                return false;
            };
            if !crate::site::words_eq(stored, name) {
                return false;
            }
            rest = after;
        }
        rest.is_empty()
    }

    /// Remembers a positive answer.
    #[allow(clippy::too_many_arguments)]
    fn remember<'n, I: IntoIterator<Item = (&'n [u8], bool)>>(
        &mut self,
        cache: u64,
        generation: u64,
        until: u64,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        credentials: bool,
        names: I,
    ) {
        self.cache = 0;
        let m = method.unwrap_or_default();
        self.bytes.clear();
        for part in [key.partition.as_bytes(), key.origin, key.url.as_bytes(), m] {
            self.bytes.extend_from_slice(part);
        }
        for (name, wildcard_applies) in names {
            let Ok(len) = u32::try_from(name.len()) else {
                return;
            };
            self.bytes.extend_from_slice(&len.to_le_bytes());
            self.bytes.push(u8::from(wildcard_applies));
            self.bytes.extend_from_slice(name);
            if self.bytes.len() > RECENT_MAX_BYTES {
                return;
            }
        }
        if self.bytes.len() > RECENT_MAX_BYTES {
            return;
        }
        *self = Recent {
            cache,
            generation,
            until,
            credentials,
            has_method: method.is_some(),
            lens: [
                key.partition.len(),
                key.origin.len(),
                key.url.len(),
                m.len(),
            ],
            bytes: std::mem::take(&mut self.bytes),
        };
    }
}

/// Whether an entry stored with `stored` credentials serves a request with
/// `asked` credentials: the standard lets a credentialed entry serve both;
/// [`CacheKnobs::credentials_exact`] only its own kind.
#[inline]
fn credentials_fit(stored: bool, asked: bool, k: &CacheKnobs) -> bool {
    if k.credentials_exact {
        stored == asked
    } else {
        stored || !asked
    }
}

/// Whether a header-name entry named `name` answers header `asked`
/// (`fetch#concept-cache-match-header`), its liveness and credentials
/// aside: the name, case-insensitively, or `*` when `star_counts`.
#[inline(always)]
fn answers_header_name(name: &[u8], asked: &[u8], star_counts: bool) -> bool {
    // The length and first letter first: they rule out most names without
    // a call.
    let first = |n: &[u8]| n.first().map(|b| b | 0x20);
    (name.len() == asked.len()
        && first(name) == first(asked)
        && crate::header::eq_ignore_case(name, asked))
        || (star_counts && name == b"*")
}

impl PreflightCache {
    /// An empty cache with these limits.
    pub fn new(knobs: CacheKnobs) -> PreflightCache {
        PreflightCache {
            knobs,
            hasher: foldhash::quality::RandomState::default(),
            inner: Mutex::new(Inner {
                rng: 0x9E37_79B9_7F4A_7C15,
                ..Inner::default()
            }),
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
        }
    }

    /// The table's hash of a key: a fetch that looks a key up and then
    /// stores under it hashes it once ([`PreflightCache::covers_hashed`],
    /// [`PreflightCache::store_hashed`]).
    pub(crate) fn hash(&self, key: &CacheKey<'_>) -> u64 {
        let mut h = self.hasher.build_hasher();
        // The two lengths make the parts unambiguous (both are below 2^32
        // in a cached key; for others a collision only costs a comparison).
        h.write_u64((key.partition.len() as u64) << 32 ^ key.origin.len() as u64);
        // Most keys have no partition.
        if !key.partition.is_empty() {
            h.write(key.partition.as_bytes());
        }
        h.write(key.origin);
        h.write(key.url.as_bytes());
        h.finish()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent in
        // a way that matters for a cache: keep serving.
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Before anything changes: a thread that still reads the previous
        // generation asks a cache that is as it was (see `Recent`).
        let next = self.generation.load(Ordering::Relaxed).wrapping_add(1);
        self.generation.store(next, Ordering::Release);
        guard
    }

    /// [`PreflightCache::covers_hashed`], asking the thread's last
    /// positive answer first ([`PreflightCache::covered_recently`]): the
    /// answer, and the key's hash when the lookup needed it (for storing
    /// a preflight's answer under).
    pub(crate) fn covers<'n, I: IntoIterator<Item = (&'n [u8], bool)>>(
        &self,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        credentials: bool,
        now: Duration,
        names: impl Fn() -> I,
    ) -> (bool, Option<u64>) {
        if self.covered_recently(key, method, credentials, now, &names) {
            return (true, None);
        }
        let hash = self.hash(key);
        let covered = self.covers_hashed(hash, key, method, credentials, now, names);
        (covered, Some(hash))
    }

    /// Whether the thread's last positive answer of
    /// [`PreflightCache::covers_hashed`] answers this question and still
    /// holds (see [`Recent`]): then the cache covers the request, found
    /// without the lock or the key's hash. `false` says nothing.
    pub(crate) fn covered_recently<'n, I: IntoIterator<Item = (&'n [u8], bool)>>(
        &self,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        credentials: bool,
        now: Duration,
        names: impl FnOnce() -> I,
    ) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        RECENT
            .try_with(|r| {
                let Ok(r) = r.try_borrow() else {
                    return false;
                };
                r.cache == self.id
                    && r.generation == generation
                    && nanos(now) < r.until
                    && r.credentials == credentials
                    && r.has_method == method.is_some()
                    && r.answers(key, method, names())
            })
            .unwrap_or(false)
    }

    /// Whether there is a method cache entry match
    /// (`fetch#concept-cache-match-method`): an unexpired entry for this key
    /// whose method is `method` (byte for byte) or `*`, credentialed or the
    /// request is not credentialed.
    ///
    /// A `*` entry serves only uncredentialed requests: for a credentialed
    /// request `*` is a literal name in `Access-Control-Allow-Methods`, so
    /// reading the match rule literally would let a cached `*` allow methods
    /// the preflight never allowed (browsers do not; see spec-vectors/README.md).
    pub fn method_match(
        &self,
        key: &CacheKey<'_>,
        method: &[u8],
        credentials: bool,
        now: Duration,
    ) -> bool {
        self.lookup(key, now, |r, now| {
            r.method_match(method, credentials, now, &self.knobs)
        })
    }

    /// Whether there is a header-name cache entry match
    /// (`fetch#concept-cache-match-header`): an unexpired entry whose name is
    /// `name` (case-insensitive), or `*` when `wildcard_applies`.
    pub fn header_match(
        &self,
        key: &CacheKey<'_>,
        name: &[u8],
        credentials: bool,
        wildcard_applies: bool,
        now: Duration,
    ) -> bool {
        self.lookup(key, now, |r, now| {
            r.header_match(name, credentials, wildcard_applies, now, &self.knobs)
        })
    }

    /// Whether the cache covers a request with one lookup: a method cache
    /// entry match for `method` when given, and a header-name cache entry
    /// match for every name `names` gives (with whether `*` may stand for
    /// it; asked for only when a live record answers the method), the
    /// key's [`PreflightCache::hash`] given. The same answer as
    /// [`PreflightCache::method_match`] and [`PreflightCache::header_match`]
    /// asked in turn.
    ///
    /// A positive answer is kept for the thread ([`Recent`]), for
    /// [`PreflightCache::covered_recently`].
    pub(crate) fn covers_hashed<'n, I: IntoIterator<Item = (&'n [u8], bool)>>(
        &self,
        hash: u64,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        credentials: bool,
        now: Duration,
        names: impl Fn() -> I,
    ) -> bool {
        let k = &self.knobs;
        // The generation this answer is given in, and until when it holds.
        let (mut generation, mut until) = (0, u64::MAX);
        let covered = self.with_record(hash, key, now, |r, tick, now| {
            // One walk over the groups: whether one is live (else the record
            // has expired: as if absent), whether a live method entry whose
            // credentials fit answers the method, and the names of the live
            // header-name groups whose credentials fit: usually one group
            // (after one preflight), found once for every name.
            let star_counts = k.wildcards && !credentials;
            let mut live = false;
            let mut method_found = method.is_none();
            let (mut header_names, mut header_groups): (&[u8], u32) = (&[], 0);
            let mut rest = r.data.get(r.key_len..).unwrap_or_default();
            while let Some((e, names, after)) = split_group(rest) {
                rest = after;
                if !e.live_at(now) {
                    continue;
                }
                live = true;
                until = until.min(e.expiry());
                if !credentials_fit(e.credentials, credentials, k) {
                    continue;
                }
                if e.header {
                    header_names = names;
                    header_groups += 1;
                } else if let (false, Some(m)) = (method_found, method) {
                    method_found = any_name(names, |name| {
                        crate::origin::short_eq(name, m) || (star_counts && name == b"*")
                    });
                } else {
                    // Header-name groups come first (see `Record::data`): none
                    // is left, and a live group was seen.
                    break;
                }
            }
            if !live {
                return false;
            }
            r.last_used = tick;
            if !method_found {
                return false;
            }
            for (name, wildcard_applies) in names() {
                let star = star_counts && wildcard_applies;
                let listed = if header_groups <= 1 {
                    any_name(header_names, |n| answers_header_name(n, name, star))
                } else {
                    r.header_match(name, credentials, wildcard_applies, now, k)
                };
                if !listed {
                    return false;
                }
            }
            generation = self.generation.load(Ordering::Relaxed);
            true
        });
        if covered {
            let _ = RECENT.try_with(|r| {
                if let Ok(mut r) = r.try_borrow_mut() {
                    r.remember(
                        self.id,
                        generation,
                        until,
                        key,
                        method,
                        credentials,
                        names(),
                    );
                }
            });
        }
        covered
    }

    /// Calls `f` with the record for `key` (live or not), this lookup's
    /// tick and `now` in nanoseconds; `false` when there is none.
    #[inline(always)]
    fn with_record(
        &self,
        hash: u64,
        key: &CacheKey<'_>,
        now: Duration,
        f: impl FnOnce(&mut Record, u32, u64) -> bool,
    ) -> bool {
        let mut inner = self.lock();
        let tick = inner.next_tick();
        let Some(bucket) = inner.records.get_mut(&hash) else {
            return false;
        };
        let Some(r) = bucket.iter_mut().find(|r| r.matches(key)) else {
            return false;
        };
        f(r, tick, nanos(now))
    }

    /// Calls `f` with the live record for `key` at `now`, if there is one,
    /// and `now` in nanoseconds.
    fn lookup(
        &self,
        key: &CacheKey<'_>,
        now: Duration,
        f: impl FnOnce(&Record, u64) -> bool,
    ) -> bool {
        self.lookup_hashed(self.hash(key), key, now, f)
    }

    /// [`PreflightCache::lookup`] with the key's hash.
    fn lookup_hashed(
        &self,
        hash: u64,
        key: &CacheKey<'_>,
        now: Duration,
        f: impl FnOnce(&Record, u64) -> bool,
    ) -> bool {
        self.with_record(hash, key, now, |r, tick, now| {
            if r.expired(now) {
                return false;
            }
            r.last_used = tick;
            f(r, now)
        })
    }

    /// Stores the entries a successful preflight creates
    /// (`fetch#cors-preflight-fetch-0` last steps): each method and each
    /// header name, with this max-age. An entry that already matches has
    /// its max-age set instead, counted from when it was stored (the
    /// standard's wording).
    pub fn store(
        &self,
        key: &CacheKey<'_>,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u64,
        now: Duration,
    ) {
        self.store_hashed(
            self.hash(key),
            key,
            credentials,
            methods,
            header_names,
            max_age,
            now,
        );
    }

    /// [`PreflightCache::store`] with the key's [`PreflightCache::hash`].
    #[allow(clippy::too_many_arguments)] // `store`'s, and the hash
    pub(crate) fn store_hashed(
        &self,
        hash: u64,
        key: &CacheKey<'_>,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u64,
        now: Duration,
    ) {
        if self
            .knobs
            .max_url_len
            .is_some_and(|max| key.url.len() >= max)
            || key.partition.len() >= usize::from(u16::MAX)
            || key.origin.len() >= usize::from(u16::MAX)
        {
            // Not cached: the request is simply preflighted again.
            return;
        }
        if max_age == 0 && !self.knobs.zero_max_age_updates {
            // The profile leaves the cache as it was.
            return;
        }
        let max_age = u32::try_from(max_age).unwrap_or(u32::MAX);
        let mut guard = self.lock();
        self.store_locked(
            &mut guard,
            hash,
            key,
            credentials,
            methods,
            header_names,
            max_age,
            now,
            true,
        );
    }

    /// [`PreflightCache::store_hashed`] of a key the cache takes, under
    /// the lock, with `max_age` as a record keeps it. `quick` takes the
    /// quick ways (a first record written by [`Record::first`], one probe
    /// of the table where the cache has room); the tests compare them with
    /// the general ways (`false`).
    ///
    /// The usual store, a first preflight's for a key the table does not
    /// hold while the cache has room, runs only the code written here
    /// (and [`Record::first`]); the others are out of line.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn store_locked(
        &self,
        inner: &mut Inner,
        hash: u64,
        key: &CacheKey<'_>,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: Duration,
        quick: bool,
    ) {
        let now_ns = nanos(now);
        let tick = inner.next_tick();
        if quick && max_age != 0 && !self.full(inner) {
            // The usual way: one probe of the table, whose entry then holds
            // the record or takes a new one. The same as the general way
            // below, where the cache has room (`make_room` does nothing)
            // and the table is probed for the record, then for a slot.
            match inner.records.entry(hash) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    let record = Record::stored(
                        key,
                        tick,
                        credentials,
                        methods,
                        header_names,
                        max_age,
                        now_ns,
                        &self.knobs,
                        quick,
                    );
                    inner.bytes += record.bytes();
                    inner.count += 1;
                    v.insert(Bucket {
                        first: record,
                        rest: None,
                    });
                }
                std::collections::hash_map::Entry::Occupied(o) => {
                    let (bucket, bytes) = (o.into_mut(), &mut inner.bytes);
                    let added = self.store_in_bucket(
                        bucket,
                        bytes,
                        tick,
                        key,
                        credentials,
                        methods,
                        header_names,
                        max_age,
                        now_ns,
                    );
                    inner.count += usize::from(added);
                }
            }
            if inner.bytes > self.knobs.memory_limit {
                self.make_room(inner, now);
            }
        } else {
            self.store_general(
                inner,
                hash,
                tick,
                key,
                credentials,
                methods,
                header_names,
                max_age,
                now,
                quick,
            );
        }
    }

    /// A store's entries in `record` (and `bytes` its new size).
    #[allow(clippy::too_many_arguments)]
    fn update_record(
        &self,
        record: &mut Record,
        bytes: &mut usize,
        tick: u32,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now_ns: u64,
    ) {
        let before = record.bytes();
        record.last_used = tick;
        record.update(
            credentials,
            methods,
            header_names,
            max_age,
            now_ns,
            &self.knobs,
        );
        *bytes = bytes.saturating_sub(before) + record.bytes();
    }

    /// [`PreflightCache::store_locked`]'s quick way where the table holds
    /// a bucket for the key's hash: the record for the key gets the
    /// entries, or a new record goes beside the bucket's. Returns whether
    /// a record was added.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn store_in_bucket(
        &self,
        bucket: &mut Bucket,
        bytes: &mut usize,
        tick: u32,
        key: &CacheKey<'_>,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now_ns: u64,
    ) -> bool {
        if let Some(record) = bucket.iter_mut().find(|r| r.matches(key)) {
            self.update_record(
                record,
                bytes,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now_ns,
            );
            return false;
        }
        let record = Record::stored(
            key,
            tick,
            credentials,
            methods,
            header_names,
            max_age,
            now_ns,
            &self.knobs,
            true,
        );
        *bytes += record.bytes();
        bucket.rest.get_or_insert_with(Box::default).push(record);
        true
    }

    /// [`PreflightCache::store_locked`] the general way: the table probed
    /// for the record, which gets the entries; else, unless `max_age` is
    /// 0, room made and a new record stored.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn store_general(
        &self,
        inner: &mut Inner,
        hash: u64,
        tick: u32,
        key: &CacheKey<'_>,
        credentials: bool,
        methods: &[&[u8]],
        header_names: &[&[u8]],
        max_age: u32,
        now: Duration,
        quick: bool,
    ) {
        let now_ns = nanos(now);
        if let Some(record) = inner
            .records
            .get_mut(&hash)
            .and_then(|b| b.iter_mut().find(|r| r.matches(key)))
        {
            self.update_record(
                record,
                &mut inner.bytes,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now_ns,
            );
        } else if max_age == 0 {
            // Entries that expire at once need no record.
            return;
        } else {
            self.make_room(inner, now);
            let record = Record::stored(
                key,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now_ns,
                &self.knobs,
                quick,
            );
            inner.bytes += record.bytes();
            inner.count += 1;
            match inner.records.entry(hash) {
                std::collections::hash_map::Entry::Occupied(mut o) => o
                    .get_mut()
                    .rest
                    .get_or_insert_with(Box::default)
                    .push(record),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Bucket {
                        first: record,
                        rest: None,
                    });
                }
            }
        }
        if inner.bytes > self.knobs.memory_limit {
            self.make_room(inner, now);
        }
    }

    /// Clears the cache entries for a key (`fetch#concept-cache-clear`).
    pub fn clear(&self, key: &CacheKey<'_>) {
        let hash = self.hash(key);
        let mut inner = self.lock();
        let mut freed = 0;
        let mut removed = 0;
        if let Some(bucket) = inner.records.get_mut(&hash) {
            let empty = bucket.retain(|r| {
                if r.matches(key) {
                    freed += r.bytes();
                    removed += 1;
                    false
                } else {
                    true
                }
            });
            if empty {
                inner.records.remove(&hash);
            }
        }
        inner.bytes = inner.bytes.saturating_sub(freed);
        inner.count -= removed;
    }

    /// The number of records (one per partition, origin and URL).
    pub fn len(&self) -> usize {
        self.lock().count
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cache's own estimate of its memory use, in bytes: records, their
    /// strings and entries, and the hash map's slots.
    pub fn memory_usage(&self) -> usize {
        self.lock().bytes
    }

    /// Makes room for one more record: drops records until the count is
    /// below the capacity and the memory below its limit.
    #[inline]
    fn make_room(&self, inner: &mut Inner, now: Duration) {
        // Most calls find room: only the check is inlined.
        if self.full(inner) {
            self.evict(inner, now);
        }
    }

    /// Whether the cache is at its capacity or over its memory limit.
    #[inline]
    fn full(&self, inner: &Inner) -> bool {
        self.knobs.capacity.is_some_and(|c| inner.count >= c)
            || inner.bytes > self.knobs.memory_limit
    }

    /// [`PreflightCache::make_room`] once the cache is full.
    #[inline(never)]
    fn evict(&self, inner: &mut Inner, now: Duration) {
        let full = |inner: &Inner| self.full(inner);
        match self.knobs.eviction {
            Eviction::Random(n) => {
                for _ in 0..n.max(1) {
                    if inner.count == 0 {
                        break;
                    }
                    inner.rng ^= inner.rng << 13;
                    inner.rng ^= inner.rng >> 7;
                    inner.rng ^= inner.rng << 17;
                    let victim = (inner.rng % inner.count as u64) as usize;
                    remove_nth(inner, victim);
                }
            }
            Eviction::ExpiredThenLeastRecentlyUsed => {
                let now = nanos(now);
                remove_where(inner, |r| r.expired(now));
                while full(inner) && inner.count > 0 {
                    let oldest = inner
                        .records
                        .values()
                        .flat_map(Bucket::iter)
                        .map(|r| r.last_used)
                        .min()
                        .unwrap_or(0);
                    // When only the memory bound bites, free a batch at once
                    // so that each insert does not rescan the whole map.
                    let batch = if self.knobs.capacity.is_some_and(|c| inner.count >= c) {
                        oldest
                    } else {
                        oldest.saturating_add(
                            u32::try_from(inner.count / 16).unwrap_or(u32::MAX).max(1),
                        )
                    };
                    remove_where(inner, |r| r.last_used <= batch);
                }
            }
        }
        while full(inner) && inner.count > 0 {
            remove_nth(inner, 0);
        }
    }
}

/// The last steps of `fetch#cors-preflight-fetch-0` for one name: every
/// entry that matches gets the new max-age (counted from when it was
/// stored); then, if no live entry matches any more (none did, or the new
/// max-age ended them), a new entry is created.
fn upsert<'a>(
    entries: &mut Vec<(Entry, &'a [u8])>,
    header: bool,
    name: &'a [u8],
    credentials: bool,
    now: u64,
    max_age: u32,
    matches: impl Fn(&Entry, &[u8]) -> bool,
) {
    let mut still_live = false;
    let mut ended = false;
    let mut of_kind = 0usize;
    for (e, n) in entries.iter_mut() {
        if e.header != header {
            continue;
        }
        of_kind += 1;
        // Every entry is live here (expired ones were dropped before the
        // first call, and one this call ends is dropped below).
        if matches(e, n) && e.live_at(now) {
            e.max_age = max_age;
            let live = e.live_at(now);
            still_live |= live;
            ended |= !live;
        }
    }
    // Every entry was live before this call; only a new max-age ends one.
    if ended {
        entries.retain(|(e, _)| e.live_at(now));
        of_kind = entries.iter().filter(|(e, _)| e.header == header).count();
    }
    if !still_live && max_age > 0 && of_kind < MAX_NAMES_PER_RECORD && name.len() <= MAX_NAME_LEN {
        entries.push((
            Entry {
                header,
                credentials,
                max_age,
                stored: now,
            },
            name,
        ));
    }
}

fn remove_where(inner: &mut Inner, pred: impl Fn(&Record) -> bool) {
    let mut freed = 0;
    let mut removed = 0;
    inner.records.retain(|_, bucket| {
        let empty = bucket.retain(|r| {
            if pred(r) {
                freed += r.bytes();
                removed += 1;
                false
            } else {
                true
            }
        });
        !empty
    });
    inner.bytes = inner.bytes.saturating_sub(freed);
    inner.count -= removed;
}

fn remove_nth(inner: &mut Inner, n: usize) {
    let mut seen = 0;
    let mut target = None;
    for (hash, bucket) in &inner.records {
        if n < seen + bucket.len() {
            target = Some((*hash, n - seen));
            break;
        }
        seen += bucket.len();
    }
    if let Some((hash, i)) = target {
        let mut empty = false;
        if let Some(bucket) = inner.records.get_mut(&hash) {
            let (removed, now_empty) = bucket.remove(i);
            if let Some(r) = removed {
                inner.bytes = inner.bytes.saturating_sub(r.bytes());
                inner.count -= 1;
            }
            empty = now_empty;
        }
        if empty {
            if let Some(b) = inner.records.remove(&hash) {
                inner.bytes = inner.bytes.saturating_sub(b.first.bytes());
                inner.count -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every sequence of at most three names drawn from `alphabet`.
    fn lists<'a>(alphabet: &[&'a [u8]]) -> Vec<Vec<&'a [u8]>> {
        let mut all = vec![vec![]];
        let mut last = vec![vec![]];
        for _ in 0..3 {
            last = last
                .iter()
                .flat_map(|l: &Vec<&[u8]>| {
                    alphabet.iter().map(move |&n| {
                        let mut l = l.clone();
                        l.push(n);
                        l
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    /// Names of 255 bytes and more (four more bytes of length) are stored
    /// the general way and found like others, beside short ones.
    #[test]
    fn long_names_are_found() {
        let cache = PreflightCache::new(crate::Profile::spec().cache);
        let key = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let long = vec![b'x'; 300];
        let long_upper = vec![b'X'; 300];
        let t = Duration::from_secs(100);
        cache.store(&key, false, &[b"PUT", &long], &[b"x-a", &long], 600, t);
        assert!(cache.method_match(&key, &long, false, t));
        assert!(cache.method_match(&key, b"PUT", false, t));
        assert!(!cache.method_match(&key, &long[1..], false, t));
        assert!(cache.header_match(&key, &long_upper, false, true, t));
        assert!(cache.header_match(&key, b"X-A", false, true, t));
        assert!(!cache.header_match(&key, b"x-b", false, true, t));
        assert!(!cache.method_match(&key, b"PUT", false, t + Duration::from_secs(600)));
    }

    /// One lookup of a method and several names answers as the lookups
    /// one by one, whether the header names are one group or several.
    #[test]
    fn covers_is_each_match_in_turn() {
        let cache = PreflightCache::new(crate::Profile::spec().cache);
        let key = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let t = Duration::from_secs(100);
        let covers = |method: Option<&[u8]>, names: &[&[u8]], now| {
            cache.covers_hashed(cache.hash(&key), &key, method, false, now, || {
                names.iter().map(|&n| (n, true))
            })
        };
        cache.store(&key, false, &[b"PUT"], &[b"X-A", b"x-b"], 600, t);
        assert!(covers(Some(b"PUT"), &[b"x-a", b"X-B"], t));
        assert!(!covers(Some(b"PUT"), &[b"x-a", b"x-c"], t));
        assert!(!covers(Some(b"GET"), &[b"x-a"], t));
        // A later preflight: a second group of header names.
        let later = t + Duration::from_secs(10);
        cache.store(&key, false, &[], &[b"x-c"], 60, later);
        assert!(covers(Some(b"PUT"), &[b"x-a", b"x-c"], later));
        assert!(covers(None, &[b"x-c", b"x-b"], later));
        assert!(!covers(None, &[b"x-c", b"x-d"], later));
        // The second group expires first.
        let after = later + Duration::from_secs(60);
        assert!(!covers(None, &[b"x-c"], after));
        assert!(covers(Some(b"PUT"), &[b"x-a"], after));
    }

    /// One lookup of a method and several names (`covers_hashed`, one walk
    /// over the groups) answers as `method_match` and `header_match` asked
    /// in turn, on a live record: over records left by one to three
    /// preflights (one group or several, credentialed or not, some
    /// expiring before others), every knob, and many requests.
    #[test]
    fn covers_is_the_general_matches() {
        let key = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let methods: [&[u8]; 5] = [b"PUT", b"put", b"*", b"DELETE", b"GET"];
        let names: [&[u8]; 6] = [
            b"x-a",
            b"X-A",
            b"*",
            b"Authorization",
            b"x-b",
            b"content-type",
        ];
        // A small deterministic generator: the same cases on every run.
        let mut rng = crate::test_rng::Xorshift::new(0x2545_F491_4F6C_DD1D);
        let mut next = |n: usize| rng.below(n);
        let mut checked = 0;
        for round in 0..400 {
            let k = CacheKnobs {
                wildcards: round & 1 == 1,
                credentials_exact: round & 2 == 2,
                ..crate::Profile::spec().cache
            };
            let cache = PreflightCache::new(k);
            let t0 = 1_000u64;
            for p in 0..1 + next(3) {
                let pick = |next: &mut dyn FnMut(usize) -> usize, from: &[&'static [u8]]| {
                    (0..next(4))
                        .map(|_| from[next(from.len())])
                        .collect::<Vec<_>>()
                };
                let m = pick(&mut next, &methods);
                let h = pick(&mut next, &names);
                let credentials = next(2) == 1;
                let max_age = [0, 10, 60, 600][next(4)];
                let at = Duration::from_secs(t0 + 5 * p as u64);
                cache.store(&key, credentials, &m, &h, max_age, at);
            }
            for _ in 0..40 {
                let method = (next(4) > 0).then(|| methods[next(methods.len())]);
                let asked: Vec<(&[u8], bool)> = (0..next(4))
                    .map(|_| (names[next(names.len())], next(3) > 0))
                    .collect();
                let credentials = next(2) == 1;
                let now = Duration::from_secs(t0 + [0, 5, 12, 30, 70, 700][next(6)]);
                let live = cache.lookup(&key, now, |_, _| true);
                let expected = live
                    && method.is_none_or(|m| cache.method_match(&key, m, credentials, now))
                    && asked
                        .iter()
                        .all(|&(n, w)| cache.header_match(&key, n, credentials, w, now));
                let got =
                    cache.covers_hashed(cache.hash(&key), &key, method, credentials, now, || {
                        asked.iter().copied()
                    });
                assert_eq!(
                    got, expected,
                    "{method:?} {asked:?} {credentials} {now:?} {k:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 16_000);
    }

    /// A thread's last positive answer, given again without the lock
    /// (`covers` through `covered_recently`), is the answer a lookup gives:
    /// two caches under test and two references that see the same stores,
    /// clears and evictions (a capacity of three records, least recently
    /// used first), asked alternately on one thread, with time going
    /// forward and back around expiry; the references are asked through
    /// `method_match` and `header_match`, which never read the memo.
    #[test]
    fn recent_answer_is_the_lookup() {
        let keys = [
            ("", &b"https://a.example"[..], "https://b.example/x"),
            ("", &b"https://a.example"[..], "https://b.example/y"),
            ("p", &b"https://a.example"[..], "https://b.example/x"),
            ("", &b"null"[..], "https://b.example/x"),
            ("", &b"https://a.example"[..], "https://b.example/xy"),
        ];
        let methods: [&[u8]; 4] = [b"PUT", b"put", b"*", b"DELETE"];
        let names: [&[u8]; 5] = [b"x-a", b"X-A", b"*", b"Authorization", b"x-b"];
        let mut rng = crate::test_rng::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: usize| rng.below(n);
        let (mut asked_total, mut recent) = (0, 0);
        for round in 0..200 {
            let k = CacheKnobs {
                wildcards: round & 1 == 1,
                credentials_exact: round & 2 == 2,
                capacity: Some(3),
                eviction: Eviction::ExpiredThenLeastRecentlyUsed,
                ..crate::Profile::spec().cache
            };
            let tested = [PreflightCache::new(k), PreflightCache::new(k)];
            let reference = [PreflightCache::new(k), PreflightCache::new(k)];
            let mut now = 1_000u64;
            for _ in 0..300 {
                let c = next(2);
                let (partition, origin, url) = keys[next(keys.len())];
                let key = CacheKey {
                    partition,
                    origin,
                    url,
                };
                now = match next(8) {
                    0 => now.saturating_sub(20),
                    1 => now + 61,
                    2 | 3 => now + 5,
                    _ => now,
                };
                let at = Duration::from_secs(now);
                match next(10) {
                    0..=2 => {
                        let m: Vec<&[u8]> = (0..next(3)).map(|_| methods[next(4)]).collect();
                        let h: Vec<&[u8]> = (0..next(4)).map(|_| names[next(5)]).collect();
                        let credentials = next(2) == 1;
                        let max_age = [0, 10, 60, 600][next(4)];
                        for cache in [&tested[c], &reference[c]] {
                            cache.store(&key, credentials, &m, &h, max_age, at);
                        }
                    }
                    3 => {
                        tested[c].clear(&key);
                        reference[c].clear(&key);
                    }
                    _ => {
                        let method = (next(4) > 0).then(|| methods[next(methods.len())]);
                        let asked: Vec<(&[u8], bool)> = (0..next(4))
                            .map(|_| (names[next(names.len())], next(3) > 0))
                            .collect();
                        let credentials = next(2) == 1;
                        let r = &reference[c];
                        let expected =
                            |method: Option<&[u8]>, asked: &[(&[u8], bool)], credentials, at| {
                                r.lookup(&key, at, |_, _| true)
                                    && method
                                        .is_none_or(|m| r.method_match(&key, m, credentials, at))
                                    && asked
                                        .iter()
                                        .all(|&(n, w)| r.header_match(&key, n, credentials, w, at))
                            };
                        let mut ask = |method, asked: &[(&[u8], bool)], credentials, at| {
                            let (got, hash) =
                                tested[c].covers(&key, method, credentials, at, || {
                                    asked.iter().copied()
                                });
                            assert_eq!(
                                got,
                                expected(method, asked, credentials, at),
                                "{key:?} {method:?} {asked:?} {credentials} {at:?} {k:?}"
                            );
                            recent += usize::from(hash.is_none());
                            asked_total += 1;
                        };
                        // Asked again at once: the second answer comes from
                        // the memo when the first was positive; then later,
                        // around the entries' expiry, and earlier.
                        ask(method, &asked, credentials, at);
                        for later in [0, 5, 9, 10, 11, 59, 61, 599, 601] {
                            ask(method, &asked, credentials, at + Duration::from_secs(later));
                        }
                        ask(
                            method,
                            &asked,
                            credentials,
                            at.saturating_sub(Duration::from_secs(30)),
                        );
                        // Then questions that differ from it in one thing.
                        ask(method, &asked, credentials, at);
                        ask(method, &asked, !credentials, at);
                        ask(method.xor(Some(b"PUT")), &asked, credentials, at);
                        ask(Some(methods[next(methods.len())]), &asked, credentials, at);
                        if let Some((i, _)) = asked.iter().enumerate().nth(next(4)) {
                            let mut flipped = asked.clone();
                            flipped[i].1 = !flipped[i].1;
                            ask(method, &flipped, credentials, at);
                            ask(method, &asked, credentials, at);
                            ask(method, &asked[..i], credentials, at);
                        }
                        ask(method, &asked, credentials, at);
                        let mut longer = asked.clone();
                        longer.push((names[next(names.len())], next(2) == 1));
                        ask(method, &longer, credentials, at);
                    }
                }
            }
        }
        assert!(asked_total > 50_000, "{asked_total}");
        assert!(recent > 5_000, "only {recent} answers from the memo");
    }

    /// Threads sharing one cache: each stores, asks and clears its own
    /// key while the others change theirs, and always gets the answer of
    /// its own last change (its clear is never answered by its memo), and
    /// a key stored once and never changed is always covered.
    #[test]
    fn recent_answers_under_threads() {
        let cache = PreflightCache::new(crate::Profile::spec().cache);
        let t = Duration::from_secs(100);
        let shared = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/shared",
        };
        cache.store(&shared, false, &[b"PUT"], &[b"x-a"], 600, t);
        let urls: Vec<String> = (0..4).map(|i| format!("https://b.example/{i}")).collect();
        std::thread::scope(|scope| {
            for url in &urls {
                let cache = &cache;
                scope.spawn(move || {
                    let key = CacheKey { url, ..shared };
                    let ask = |key: &CacheKey<'_>| {
                        cache
                            .covers(key, Some(b"PUT"), false, t, || [(&b"x-a"[..], true)])
                            .0
                    };
                    for _ in 0..2_000 {
                        cache.store(&key, false, &[b"PUT"], &[b"x-a"], 600, t);
                        assert!(ask(&shared));
                        assert!(ask(&key));
                        assert!(ask(&key));
                        cache.clear(&key);
                        assert!(!ask(&key));
                    }
                });
            }
        });
    }

    /// A thread's last answer is its cache's: another cache whose lock
    /// was taken as many times does not give it.
    #[test]
    fn recent_answer_is_one_caches() {
        let k = crate::Profile::spec().cache;
        let (x, y) = (PreflightCache::new(k), PreflightCache::new(k));
        let key = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let other = CacheKey {
            url: "https://b.example/y",
            ..key
        };
        let t = Duration::from_secs(100);
        x.store(&key, false, &[b"PUT"], &[b"x-a"], 600, t);
        y.store(&other, false, &[b"PUT"], &[b"x-a"], 600, t);
        let ask =
            |c: &PreflightCache| c.covers(&key, Some(b"PUT"), false, t, || [(&b"x-a"[..], true)]);
        assert!(ask(&x).0);
        assert_eq!(y.len(), 1);
        // Both locks were taken twice: the generations are alike.
        assert_eq!(
            x.generation.load(Ordering::Relaxed),
            y.generation.load(Ordering::Relaxed)
        );
        assert_eq!(ask(&y), (false, Some(y.hash(&key))));
        // A negative answer is not kept: the last positive one still is.
        assert_eq!(ask(&x), (true, None));
        // Once the lock is taken, the lookup answers again.
        assert_eq!(x.len(), 1);
        assert_eq!(ask(&x), (true, Some(x.hash(&key))));
        assert_eq!(ask(&x), (true, None));
    }

    /// The quick way to a first record writes the same bytes as the general
    /// one, duplicates, cases and `*` included.
    #[test]
    fn first_record_is_the_general_update() {
        let key = CacheKey {
            partition: "p",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let mut methods = lists(&[b"GET", b"get", b"*", b"PUT"]);
        let mut headers = lists(&[
            b"x-a",
            b"X-A",
            b"y-A",
            b"*",
            b"authorization",
            b"Authorization",
        ]);
        // Longer lists, as servers send them: none alike, then one pair
        // alike far apart.
        let long_methods: Vec<&[u8]> =
            vec![b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"];
        let long_headers: Vec<&[u8]> = vec![
            b"Content-Type",
            b"Authorization",
            b"X-Requested-With",
            b"X-Request-Id",
            b"Accept-Language",
            b"x-csrf-token",
            b"If-None-Match",
            b"content-type",
        ];
        methods.push(long_methods.clone());
        methods.push([&long_methods[..], &[b"post"]].concat());
        headers.push(long_headers[..7].to_vec());
        headers.push(long_headers.clone());
        let now = 1_000_000_000_000;
        for (wildcards, credentials_exact, credentials) in
            (0..8).map(|i| (i & 1 == 1, i & 2 == 2, i & 4 == 4))
        {
            let k = CacheKnobs {
                wildcards,
                credentials_exact,
                ..crate::Profile::spec().cache
            };
            for m in &methods {
                for h in &headers {
                    let quick =
                        Record::first(&key, 1, credentials, m, h, 600, now, &k).map(|r| r.data);
                    let mut general = Record::new(&key, 1);
                    general.update(credentials, m, h, 600, now, &k);
                    assert_eq!(quick, Some(general.data), "{m:?} {h:?} {k:?} {credentials}");
                }
            }
        }
    }

    /// Everything of a cache's state, in the table's order: each slot's
    /// hash and records (bytes, key lengths, last use), the count, the
    /// bytes, the tick and the eviction generator.
    #[allow(clippy::type_complexity)]
    fn state(
        cache: &PreflightCache,
    ) -> (
        Vec<(u64, Vec<(Box<[u8]>, usize, u16, u16, u32)>)>,
        usize,
        usize,
        u32,
        u64,
    ) {
        let inner = cache.lock();
        let records = inner
            .records
            .iter()
            .map(|(h, b)| {
                let rs = b.iter().map(|r| {
                    let lens = (r.key_len, r.partition_len, r.origin_len);
                    (r.data.clone(), lens.0, lens.1, lens.2, r.last_used)
                });
                (*h, rs.collect())
            })
            .collect();
        (records, inner.count, inner.bytes, inner.tick, inner.rng)
    }

    /// Storing the quick ways (a first record by `Record::first`, one probe
    /// of the table) leaves a cache exactly as the general ways do, table
    /// order included: over generated runs of stores and lookups, with
    /// keys whose hashes collide, max-ages of 0, small capacities and
    /// memory limits (both evictions), every knob.
    #[test]
    fn quick_store_is_the_general_store() {
        let partitions = ["", "p"];
        let origins: [&[u8]; 2] = [b"https://a.example", b"null"];
        let urls = [
            "https://b.example/x",
            "https://b.example/y",
            "https://c.example/",
        ];
        let methods: [&[u8]; 5] = [b"PUT", b"put", b"*", b"DELETE", b"GET"];
        let names: [&[u8]; 6] = [
            b"x-a",
            b"X-A",
            b"*",
            b"Authorization",
            b"x-b",
            b"content-type",
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x0DDB_1A5E_5BAD_5EED);
        let (mut stores, mut collided, mut full) = ([0usize; 2], 0, 0);
        for round in 0..300 {
            let k = CacheKnobs {
                wildcards: round & 1 == 1,
                credentials_exact: round & 2 == 2,
                capacity: [None, Some(1), Some(3), Some(6)][rng.below(4)],
                memory_limit: [usize::MAX, 400, 1200][rng.below(3)],
                eviction: if rng.below(2) == 0 {
                    Eviction::ExpiredThenLeastRecentlyUsed
                } else {
                    Eviction::Random(1 + rng.below(2))
                },
                ..crate::Profile::spec().cache
            };
            let (quick, general) = (PreflightCache::new(k), PreflightCache::new(k));
            // Hashes of the test's own (the caches' differ): in some runs
            // few, so that keys collide.
            let spread = [3u64, u64::MAX][rng.below(2)];
            let mut now = Duration::from_secs(1_000);
            for _ in 0..60 {
                let key = CacheKey {
                    partition: partitions[rng.below(2)],
                    origin: origins[rng.below(2)],
                    url: urls[rng.below(3)],
                };
                let hash = (key.partition.len() as u64 * 31
                    + key.origin.len() as u64 * 7
                    + key.url.len() as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    % spread;
                let credentials = rng.below(2) == 1;
                now += Duration::from_secs([0, 1, 5, 30][rng.below(4)]);
                if rng.below(3) == 0 {
                    let method = (rng.below(4) > 0).then(|| methods[rng.below(5)]);
                    let asked: Vec<(&[u8], bool)> = (0..rng.below(3))
                        .map(|_| (names[rng.below(6)], rng.below(3) > 0))
                        .collect();
                    let covers = |c: &PreflightCache| {
                        c.covers_hashed(hash, &key, method, credentials, now, || {
                            asked.iter().copied()
                        })
                    };
                    assert_eq!(covers(&quick), covers(&general));
                } else {
                    let m: Vec<&[u8]> = (0..rng.below(4)).map(|_| methods[rng.below(5)]).collect();
                    let h: Vec<&[u8]> = (0..rng.below(4)).map(|_| names[rng.below(6)]).collect();
                    let max_age = [0, 1, 10, 600][rng.below(4)];
                    for (cache, q) in [(&quick, true), (&general, false)] {
                        let mut inner = cache.lock();
                        cache.store_locked(
                            &mut inner,
                            hash,
                            &key,
                            credentials,
                            &m,
                            &h,
                            max_age,
                            now,
                            q,
                        );
                    }
                    stores[usize::from(max_age != 0)] += 1;
                }
                assert_eq!(state(&quick), state(&general), "{k:?}");
                let inner = quick.lock();
                collided += usize::from(inner.records.values().any(|b| b.len() > 1));
                full += usize::from(quick.full(&inner));
            }
        }
        assert!(stores[0] > 1000 && stores[1] > 3000, "{stores:?}");
        assert!(collided > 1000 && full > 1000, "{collided} {full}");
    }

    /// The quick way to a first record writes the same bytes as the general
    /// one over generated lists: short and long (past the room on the
    /// stack, written on the heap), names alike in any case, `*`, empty
    /// names, names of 255 bytes and more (left to the general way), with
    /// every knob.
    #[test]
    fn first_record_is_the_general_update_generated() {
        let key = CacheKey {
            partition: "",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let long = [b'x'; 300];
        let long_upper = [b'X'; 300];
        let pool: Vec<&[u8]> = vec![
            b"GET",
            b"get",
            b"PUT",
            b"*",
            b"",
            b"x",
            b"X",
            b"x-a",
            b"X-A",
            b"y-a",
            b"Authorization",
            b"authorization",
            b"Content-Type",
            b"X-Requested-With",
            b"x-requested-with",
            b"If-None-Match",
            b"a-header-name-of-forty-bytes-or-so-long",
            &long[..17],
            &long_upper[..17],
            &long[..200],
            &long[..254],
            &long[..255],
            &long[..300],
            &long_upper[..254],
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x9E37_79B9_7F4A_7C15);
        let (mut quick_ways, mut past_stack) = (0, 0);
        for round in 0..6000 {
            let k = CacheKnobs {
                wildcards: round & 1 == 1,
                credentials_exact: round & 2 == 2,
                ..crate::Profile::spec().cache
            };
            let credentials = round & 4 == 4;
            // Mostly short lists; some long enough to leave the stack.
            let list = |rng: &mut crate::test_rng::Xorshift| {
                let n = if rng.below(4) == 0 {
                    rng.below(40)
                } else {
                    rng.below(8)
                };
                // Mostly names below 32 bytes.
                let from = if rng.below(8) == 0 { pool.len() } else { 19 };
                (0..n).map(|_| pool[rng.below(from)]).collect::<Vec<_>>()
            };
            let m = list(&mut rng);
            let h = list(&mut rng);
            let max_age = [1, 600, u32::MAX][rng.below(3)];
            let now = 1_000_000_000_000;
            let quick = Record::first(&key, 1, credentials, &m, &h, max_age, now, &k);
            let mut general = Record::new(&key, 1);
            general.update(credentials, &m, &h, max_age, now, &k);
            let short = m.iter().chain(&h).all(|n| n.len() < usize::from(LONG_NAME));
            assert_eq!(quick.is_some(), short, "{m:?} {h:?}");
            if let Some(quick) = quick {
                assert_eq!(quick.data, general.data, "{m:?} {h:?} {k:?} {credentials}");
                assert_eq!(quick.key_len, general.key_len);
                quick_ways += 1;
                past_stack += usize::from(quick.data.len() - quick.key_len > FIRST_GROUPS_BYTES);
            }
        }
        assert!(
            quick_ways > 4000 && past_stack > 100,
            "{quick_ways} {past_stack}"
        );
    }

    /// Both ways to a first record, asked on the same lists, write the
    /// general update's bytes: the usual way (`first_plain`) wherever it
    /// applies, and the rare way (`first_deduplicated`) on every list,
    /// plain or not; the usual way declines exactly the lists with two
    /// names that may be alike (same length and first letter in any case,
    /// or after a name that may be `*`, such as `j`), a name of 255 bytes
    /// or more, or groups past the room on the stack.
    #[test]
    fn first_record_ways_are_the_general_update() {
        let key = CacheKey {
            partition: "p",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let long = [b'x'; 300];
        let pool: Vec<&[u8]> = vec![
            b"GET",
            b"get",
            b"PUT",
            b"POST",
            b"*",
            b"j",
            b"J",
            b"hdr",
            b"",
            b"x-a",
            b"X-A",
            b"y-a",
            b"Authorization",
            b"Content-Type",
            b"content-type",
            b"X-Requested-With",
            b"X-Request-Id",
            b"If-None-Match",
            &long[..17],
            &long[..254],
            &long[..255],
        ];
        let mut rng = crate::test_rng::Xorshift::new(0x5DEE_CE66_D1CE_4E5B);
        let (mut plain, mut declined) = (0, 0);
        for round in 0..6000 {
            let k = CacheKnobs {
                wildcards: round & 1 == 1,
                credentials_exact: round & 2 == 2,
                ..crate::Profile::spec().cache
            };
            let credentials = round & 4 == 4;
            let list = |rng: &mut crate::test_rng::Xorshift| {
                let most = if rng.below(8) == 0 { 24 } else { 7 };
                let n = rng.below(most);
                let from = if rng.below(8) == 0 { pool.len() } else { 18 };
                (0..n).map(|_| pool[rng.below(from)]).collect::<Vec<_>>()
            };
            let (m, h) = (list(&mut rng), list(&mut rng));
            let now = 1_000_000_000_000;
            let e = Entry {
                header: true,
                credentials,
                max_age: 600,
                stored: now,
            };
            let mut general = Record::new(&key, 1);
            general.update(credentials, &m, &h, 600, now, &k);
            let short = m.iter().chain(&h).all(|n| n.len() < usize::from(LONG_NAME));
            let rare = Record::first_deduplicated(&key, 1, e, credentials, &m, &h, &k);
            assert_eq!(rare.is_some(), short, "{m:?} {h:?}");
            if let Some(rare) = rare {
                assert_eq!(rare.data, general.data, "{m:?} {h:?} {k:?}");
                assert_eq!(rare.key_len, general.key_len);
            }
            let may_be_alike = |list: &[&[u8]]| {
                list.iter().enumerate().any(|(j, &n)| {
                    list[..j].iter().any(|&earlier| {
                        name_bit(earlier) == STAR_BIT || name_bit(earlier) == name_bit(n)
                    })
                })
            };
            let groups: usize = [&m, &h]
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| GROUP_BYTES + l.iter().map(|n| 1 + n.len()).sum::<usize>())
                .sum();
            let applies =
                short && !may_be_alike(&m) && !may_be_alike(&h) && groups <= FIRST_GROUPS_BYTES;
            match Record::first_plain(&key, 1, e, &m, &h) {
                Some(straight) => {
                    assert!(applies, "{m:?} {h:?}");
                    assert_eq!(straight.data, general.data, "{m:?} {h:?} {k:?}");
                    assert_eq!(straight.key_len, general.key_len);
                    plain += 1;
                }
                None => {
                    assert!(!applies, "{m:?} {h:?}");
                    declined += 1;
                }
            }
        }
        assert!(plain > 1000 && declined > 1000, "{plain} {declined}");
    }
}
