//! The CORS-preflight cache (`fetch#cors-preflight-cache`): entries per
//! method and per header name, keyed by network partition key,
//! byte-serialized origin and URL, with credentials; expiry against a time
//! passed in; a bound on records and memory; safe to share between threads.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
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

#[derive(Debug)]
struct Entry {
    /// A method, or a lower-cased header name; `*` for the wildcard.
    name: Box<[u8]>,
    credentials: bool,
    /// When the entry was stored.
    stored: Duration,
    /// Its max-age, in seconds (a later preflight may change it).
    max_age: u64,
}

impl Entry {
    fn live(&self, now: Duration) -> bool {
        self.stored
            .saturating_add(Duration::from_secs(self.max_age))
            > now
    }
}

#[derive(Debug)]
struct Record {
    partition: Box<str>,
    origin: Box<[u8]>,
    url: Box<str>,
    methods: Vec<Entry>,
    headers: Vec<Entry>,
    last_used: u64,
}

impl Record {
    fn matches(&self, key: &CacheKey<'_>) -> bool {
        bytes_eq(self.url.as_bytes(), key.url.as_bytes())
            && bytes_eq(&self.origin, key.origin)
            && bytes_eq(self.partition.as_bytes(), key.partition.as_bytes())
    }

    fn bytes(&self) -> usize {
        RECORD_OVERHEAD
            + self.partition.len()
            + self.origin.len()
            + self.url.len()
            + (self.methods.capacity() + self.headers.capacity()) * std::mem::size_of::<Entry>()
            + self
                .methods
                .iter()
                .chain(&self.headers)
                .map(|e| e.name.len())
                .sum::<usize>()
    }

    fn expired(&self, now: Duration) -> bool {
        self.methods
            .iter()
            .chain(&self.headers)
            .all(|e| !e.live(now))
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

/// What a record costs besides its strings: the record itself plus the
/// hash map's slot (key, pointer and control byte, rounded up).
const RECORD_OVERHEAD: usize = std::mem::size_of::<Record>() + 32;

#[derive(Debug, Default)]
struct Inner {
    records: HashMap<u64, Vec<Record>>,
    count: usize,
    bytes: usize,
    tick: u64,
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
    hasher: std::collections::hash_map::RandomState,
    inner: Mutex<Inner>,
}

impl PreflightCache {
    /// An empty cache with these limits.
    pub fn new(knobs: CacheKnobs) -> PreflightCache {
        PreflightCache {
            knobs,
            hasher: std::collections::hash_map::RandomState::new(),
            inner: Mutex::new(Inner {
                rng: 0x9E37_79B9_7F4A_7C15,
                ..Inner::default()
            }),
        }
    }

    fn hash(&self, key: &CacheKey<'_>) -> u64 {
        let mut h = self.hasher.build_hasher();
        key.partition.hash(&mut h);
        key.origin.hash(&mut h);
        key.url.hash(&mut h);
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
        self.lookup(key, now, |r| {
            r.methods.iter().any(|e| {
                e.live(now)
                    && (e.credentials || !credentials)
                    && (&*e.name == method || (&*e.name == b"*" && !credentials))
            })
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
        self.lookup(key, now, |r| {
            r.headers.iter().any(|e| {
                e.live(now)
                    && (e.credentials || !credentials)
                    && (e.name.eq_ignore_ascii_case(name)
                        || (wildcard_applies && !credentials && &*e.name == b"*"))
            })
        })
    }

    fn lookup(&self, key: &CacheKey<'_>, now: Duration, f: impl Fn(&Record) -> bool) -> bool {
        let hash = self.hash(key);
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some(bucket) = inner.records.get_mut(&hash) else {
            return false;
        };
        match bucket.iter_mut().find(|r| r.matches(key)) {
            Some(r) if !r.expired(now) => {
                r.last_used = tick;
                f(r)
            }
            _ => false,
        }
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
        if self
            .knobs
            .max_url_len
            .is_some_and(|max| key.url.len() >= max)
        {
            return;
        }
        let hash = self.hash(key);
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let exists = inner
            .records
            .get(&hash)
            .is_some_and(|b| b.iter().any(|r| r.matches(key)));
        if !exists && max_age == 0 {
            // Entries that expire at once need no record.
            return;
        }
        if !exists {
            self.make_room(&mut inner, now);
            let record = Record {
                partition: key.partition.into(),
                origin: key.origin.into(),
                url: key.url.into(),
                methods: Vec::new(),
                headers: Vec::new(),
                last_used: tick,
            };
            inner.bytes += record.bytes();
            inner.count += 1;
            inner.records.entry(hash).or_default().push(record);
        }
        let Some(record) = inner
            .records
            .get_mut(&hash)
            .and_then(|b| b.iter_mut().find(|r| r.matches(key)))
        else {
            return;
        };
        let before = record.bytes();
        record.last_used = tick;
        // Drop what has expired in this record before adding.
        record.methods.retain(|e| e.live(now));
        record.headers.retain(|e| e.live(now));
        for m in methods {
            // The same match as a lookup (`fetch#concept-cache-match-method`):
            // `*` stands for any method only for an uncredentialed request.
            upsert(&mut record.methods, m, credentials, now, max_age, |e| {
                &*e.name == *m || (!credentials && &*e.name == b"*")
            });
        }
        for h in header_names {
            let lower = h.to_ascii_lowercase();
            // The same match as a lookup (`fetch#concept-cache-match-header`):
            // `*` never stands for `Authorization`, nor for anything when the
            // request is credentialed.
            let star = !credentials && !crate::header::is_cors_non_wildcard_request_header_name(h);
            upsert(
                &mut record.headers,
                &lower,
                credentials,
                now,
                max_age,
                |e| e.name.eq_ignore_ascii_case(h) || (star && &*e.name == b"*"),
            );
        }
        let after = record.bytes();
        inner.bytes = inner.bytes.saturating_sub(before) + after;
        if inner.bytes > self.knobs.memory_limit {
            self.make_room(&mut inner, now);
        }
    }

    /// Clears the cache entries for a key (`fetch#concept-cache-clear`).
    pub fn clear(&self, key: &CacheKey<'_>) {
        let hash = self.hash(key);
        let mut inner = self.lock();
        let mut freed = 0;
        let mut removed = 0;
        if let Some(bucket) = inner.records.get_mut(&hash) {
            bucket.retain(|r| {
                if r.matches(key) {
                    freed += r.bytes();
                    removed += 1;
                    false
                } else {
                    true
                }
            });
            if bucket.is_empty() {
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
    fn make_room(&self, inner: &mut Inner, now: Duration) {
        let full = |inner: &Inner| {
            self.knobs.capacity.is_some_and(|c| inner.count >= c)
                || inner.bytes > self.knobs.memory_limit
        };
        if !full(inner) {
            return;
        }
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
                remove_where(inner, |r| r.expired(now));
                while full(inner) && inner.count > 0 {
                    let oldest = inner
                        .records
                        .values()
                        .flatten()
                        .map(|r| r.last_used)
                        .min()
                        .unwrap_or(0);
                    // When only the memory bound bites, free a batch at once
                    // so that each insert does not rescan the whole map.
                    let batch = if self.knobs.capacity.is_some_and(|c| inner.count >= c) {
                        oldest
                    } else {
                        oldest + (inner.count as u64 / 16).max(1)
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
fn upsert(
    entries: &mut Vec<Entry>,
    name: &[u8],
    credentials: bool,
    now: Duration,
    max_age: u64,
    matches: impl Fn(&Entry) -> bool,
) {
    let mut still_live = false;
    for e in entries.iter_mut() {
        if e.live(now) && matches(e) && (e.credentials || !credentials) {
            e.max_age = max_age;
            still_live |= e.live(now);
        }
    }
    entries.retain(|e| e.live(now));
    if !still_live && max_age > 0 && entries.len() < MAX_NAMES_PER_RECORD {
        entries.push(Entry {
            name: name.into(),
            credentials,
            stored: now,
            max_age,
        });
    }
}

fn remove_where(inner: &mut Inner, pred: impl Fn(&Record) -> bool) {
    let mut freed = 0;
    let mut removed = 0;
    inner.records.retain(|_, bucket| {
        bucket.retain(|r| {
            if pred(r) {
                freed += r.bytes();
                removed += 1;
                false
            } else {
                true
            }
        });
        !bucket.is_empty()
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
            let r = bucket.swap_remove(i);
            inner.bytes = inner.bytes.saturating_sub(r.bytes());
            inner.count -= 1;
            empty = bucket.is_empty();
        }
        if empty {
            inner.records.remove(&hash);
        }
    }
}
