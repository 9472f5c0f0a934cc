//! The CORS-preflight cache (`fetch#cors-preflight-cache`): entries per
//! method and per header name, keyed by network partition key,
//! byte-serialized origin and URL, with credentials; expiry against a time
//! passed in; a bound on records and memory; safe to share between threads.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Mutex;
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

/// One cache entry without its name: [`ENTRY_BYTES`] in its record, the
/// name following.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// A header-name entry (else a method entry).
    header: bool,
    credentials: bool,
    /// Its max-age, in seconds (a later preflight may change it); a
    /// larger value is stored as `u32::MAX` seconds (136 years).
    max_age: u32,
    /// When the entry was stored, in nanoseconds of the embedder's clock.
    stored: u64,
    /// The length of its name: a method or a header name; `*` for the
    /// wildcard.
    name_len: u32,
}

/// The size of an entry in a record, before its name.
const ENTRY_BYTES: usize = 16;

/// The longest name a record stores: the length shares 32 bits with the
/// entry's two flags. A longer name (a gigabyte) is not cached, like names
/// past [`MAX_NAMES_PER_RECORD`].
const MAX_NAME_LEN: usize = (1 << 30) - 1;

/// A time as the cache stores it: nanoseconds, saturating (584 years).
fn nanos(t: Duration) -> u64 {
    u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)
}

impl Entry {
    /// The entry as its record holds it: one little-endian 128-bit word
    /// of `stored`, `max_age`, then the name's length shifted past the two
    /// flags.
    #[inline]
    fn encode(&self) -> [u8; ENTRY_BYTES] {
        let len_flags =
            self.name_len << 2 | u32::from(self.header) << 1 | u32::from(self.credentials);
        (u128::from(self.stored) | u128::from(self.max_age) << 64 | u128::from(len_flags) << 96)
            .to_le_bytes()
    }

    #[inline(always)]
    fn decode(b: &[u8; ENTRY_BYTES]) -> Entry {
        let w = u128::from_le_bytes(*b);
        // The casts keep the low bits of each field.
        let len_flags = (w >> 96) as u32;
        Entry {
            header: len_flags & 2 != 0,
            credentials: len_flags & 1 != 0,
            max_age: (w >> 64) as u32,
            stored: w as u64,
            name_len: len_flags >> 2,
        }
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
        self.stored
            .saturating_add(u64::from(self.max_age).saturating_mul(1_000_000_000))
            > now
    }
}

/// A record's entries, each followed by its name (see [`Record::data`]).
struct Entries<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Entry, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<(Entry, &'a [u8])> {
        let (head, rest) = self.rest.split_first_chunk::<ENTRY_BYTES>()?;
        let e = Entry::decode(head);
        let (name, rest) = rest.split_at_checked(e.name_len as usize)?;
        self.rest = rest;
        Some((e, name))
    }
}

/// Appends an entry and its name to a record's bytes.
fn push_entry(data: &mut Vec<u8>, e: &Entry, name: &[u8]) {
    data.extend_from_slice(&e.encode());
    data.extend_from_slice(name);
}

/// Appends to a first preflight's record an entry like `e` for each name
/// of `list` that no earlier name answers (`answers(earlier, name)`; see
/// [`Record::first`]).
///
/// Names alike have the same length and last letter (in any case), so a
/// 64-bit summary of the names before skips the comparisons unless one may
/// be alike, or a `*` came before: most lists have no two names alike.
fn push_first(
    data: &mut Vec<u8>,
    e: Entry,
    list: &[&[u8]],
    answers: impl Fn(&[u8], &[u8]) -> bool,
) {
    let (mut seen, mut star) = (0u64, false);
    for (j, &name) in list.iter().enumerate() {
        let last = name.last().map_or(0, |b| b | 0x20);
        let bit = 1u64 << ((name.len() ^ usize::from(last)) & 63);
        if !((star || seen & bit != 0) && list[..j].iter().any(|&n| answers(n, name))) {
            push_entry(
                data,
                &Entry {
                    // At most MAX_NAME_LEN: the caller checks.
                    name_len: name.len() as u32,
                    ..e
                },
                name,
            );
        }
        seen |= bit;
        star |= name == b"*";
    }
}

#[derive(Debug)]
struct Record {
    /// Partition, origin and URL, then each entry ([`ENTRY_BYTES`]) followed
    /// by its name, header-name entries first: one allocation per record,
    /// read front to back by a lookup, whose header names (usually several
    /// to a lookup, against one method) come first. Names are kept as the
    /// preflight gave them: every comparison of header names ignores case.
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
            name_len: 0,
        };
        if !e.live_at(now)
            // Then no list reaches MAX_NAMES_PER_RECORD before its end.
            || methods.len() > MAX_NAMES_PER_RECORD
            || header_names.len() > MAX_NAMES_PER_RECORD
        {
            return None;
        }
        let names_len = |list: &[&[u8]]| list.iter().map(|n| n.len()).sum::<usize>();
        let names = names_len(methods) + names_len(header_names);
        if names > MAX_NAME_LEN {
            // Perhaps a name too long to store.
            return None;
        }
        // Room for every name; names alike are rare (when some are, the
        // record shrinks to its size once written).
        let size = key.partition.len()
            + key.origin.len()
            + key.url.len()
            + (methods.len() + header_names.len()) * ENTRY_BYTES
            + names;
        let mut data = Vec::with_capacity(size);
        data.extend_from_slice(key.partition.as_bytes());
        data.extend_from_slice(key.origin);
        data.extend_from_slice(key.url.as_bytes());
        // The same matches as a lookup; here `*` never stands for
        // `Authorization`.
        push_first(&mut data, e, header_names, |n, h| {
            let wildcard_applies = !crate::header::is_cors_non_wildcard_request_header_name(h);
            e.answers_header(n, h, credentials, wildcard_applies, k)
        });
        let e = Entry { header: false, ..e };
        push_first(&mut data, e, methods, |n, m| {
            e.answers_method(n, m, credentials, k)
        });
        Some(Record::with_data(key, data.into_boxed_slice(), tick))
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

    /// The entries, with their names.
    #[inline]
    fn entries(&self) -> Entries<'_> {
        Entries {
            rest: self.data.get(self.key_len..).unwrap_or_default(),
        }
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

    /// `fetch#concept-cache-match-method` within this record.
    fn method_match(&self, method: &[u8], credentials: bool, now: u64, k: &CacheKnobs) -> bool {
        // The name first: it rules out most entries most cheaply.
        self.entries()
            .any(|(e, name)| e.answers_method(name, method, credentials, k) && e.live_at(now))
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
        self.entries().any(|(e, name)| {
            e.answers_header(name, asked, credentials, wildcard_applies, k) && e.live_at(now)
        })
    }

    fn expired(&self, now: u64) -> bool {
        self.entries().all(|(e, _)| !e.live_at(now))
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
        entries.extend(Entries { rest }.filter(|(e, _)| e.live_at(now)));
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
        let size = entries
            .iter()
            .map(|(_, name)| ENTRY_BYTES + name.len())
            .sum::<usize>();
        let mut data = Vec::with_capacity(key.len() + size);
        data.extend_from_slice(key);
        // Header-name entries first (see `data`).
        for header in [true, false] {
            for (e, name) in entries.iter().filter(|(e, _)| e.header == header) {
                push_entry(&mut data, e, name);
            }
        }
        self.data = data.into_boxed_slice();
    }
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
    fn next_tick(&mut self) -> u32 {
        if self.tick == u32::MAX {
            for b in self.records.values_mut() {
                for r in b.iter_mut() {
                    r.last_used = 0;
                }
            }
            self.tick = 0;
        }
        self.tick += 1;
        self.tick
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
/// a [`Policy`](crate::Policy), from any thread.
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
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
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
    /// match for every name `names` reports (with whether `*` may stand for
    /// it), the key's [`PreflightCache::hash`] given. The same answer as
    /// [`PreflightCache::method_match`] and [`PreflightCache::header_match`]
    /// asked in turn.
    pub(crate) fn covers_hashed(
        &self,
        hash: u64,
        key: &CacheKey<'_>,
        method: Option<&[u8]>,
        credentials: bool,
        now: Duration,
        names: impl FnOnce(&mut dyn FnMut(&[u8], bool)),
    ) -> bool {
        self.lookup_hashed(hash, key, now, |r, now| {
            if method.is_some_and(|m| !r.method_match(m, credentials, now, &self.knobs)) {
                return false;
            }
            let mut all = true;
            names(&mut |name, wildcard_applies| {
                all = all && r.header_match(name, credentials, wildcard_applies, now, &self.knobs);
            });
            all
        })
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
        let mut inner = self.lock();
        let tick = inner.next_tick();
        let Some(bucket) = inner.records.get_mut(&hash) else {
            return false;
        };
        let Some(r) = bucket.iter_mut().find(|r| r.matches(key)) else {
            return false;
        };
        let now = nanos(now);
        if r.expired(now) {
            return false;
        }
        r.last_used = tick;
        f(r, now)
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
        let max_age = u32::try_from(max_age).unwrap_or(u32::MAX);
        let now_ns = nanos(now);
        let k = &self.knobs;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tick = inner.next_tick();
        let existing = inner
            .records
            .get_mut(&hash)
            .and_then(|b| b.iter_mut().find(|r| r.matches(key)));
        if let Some(record) = existing {
            let before = record.bytes();
            record.last_used = tick;
            record.update(credentials, methods, header_names, max_age, now_ns, k);
            let after = record.bytes();
            inner.bytes = inner.bytes.saturating_sub(before) + after;
        } else {
            if max_age == 0 {
                // Entries that expire at once need no record.
                return;
            }
            self.make_room(inner, now);
            let record = Record::first(
                key,
                tick,
                credentials,
                methods,
                header_names,
                max_age,
                now_ns,
                k,
            )
            .unwrap_or_else(|| {
                let mut r = Record::new(key, tick);
                r.update(credentials, methods, header_names, max_age, now_ns, k);
                r
            });
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
                // At most MAX_NAME_LEN.
                name_len: name.len() as u32,
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

    /// The quick way to a first record writes the same bytes as the general
    /// one, duplicates, cases and `*` included.
    #[test]
    fn first_record_is_the_general_update() {
        let key = CacheKey {
            partition: "p",
            origin: b"https://a.example",
            url: "https://b.example/x",
        };
        let methods = lists(&[b"GET", b"get", b"*", b"PUT"]);
        let headers = lists(&[
            b"x-a",
            b"X-A",
            b"y-A",
            b"*",
            b"authorization",
            b"Authorization",
        ]);
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
}
