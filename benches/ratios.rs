//! Benchmarks reported as ratios to `url::Url::parse` of the same URL,
//! measured in the same run.
//!
//! The machines this runs on are noisy, so no absolute figure is trusted:
//! each operation is timed in short batches interleaved with batches of
//! `Url::parse` (the order alternating every round), and the figure is the
//! median time per operation over the median time per parse.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-bench cargo bench --bench ratios
//! CARGO_TARGET_DIR=/work/target-bench cargo bench --bench ratios -- cache   # only names containing "cache"
//! RATIOS_SECS=10 cargo bench --bench ratios                                 # a longer, steadier run
//! ```
//!
//! Environment:
//! - `RATIOS_SECS`: seconds spent on each measurement (default 2; there are
//!   twelve, so the whole run takes about half a minute).
//! - `RATIOS_BATCH_US`: the length of one batch in microseconds (default 200).
//!
//! Every line reads `name: X ns/op, parse Y ns/op, ratio R`, then the target,
//! and the median of the per-round ratios as a cross-check.

use std::hint::black_box;
use std::time::{Duration, Instant};

use crossorigin::cache::{CacheKey, PreflightCache};
use crossorigin::cors::cors_check;
use crossorigin::preflight::{ActualRequest, preflight_headers, validate_preflight_response};
use crossorigin::request::{Decision, decide};
use crossorigin::{
    CredentialsMode, FilteredResponse, NetworkFailure, Origin, Policy, Profile, Psl, Refusal,
    Request, Response, Site, Step, same_site,
};
use url::Url;

/// The page's origin in every scenario.
const PAGE_ORIGIN: &str = "https://app.example.com";
/// A typical API URL.
const API_URL: &str = "https://api.example.com/v1/items/42?fields=name,price";
/// A typical page URL, for same-site.
const PAGE_URL: &str = "https://app.example.com/dashboard/items";
/// Any fixed time: only differences matter to the driver and the cache.
const NOW: Duration = Duration::from_secs(1_000_000);
/// Records in the preflight cache for the cache measurements.
const CACHE_RECORDS: usize = 100_000;

// ---------------------------------------------------------------------------
// Measuring.

struct Config {
    per_measurement: Duration,
    batch: Duration,
    filter: Vec<String>,
}

impl Config {
    fn from_env() -> Config {
        let secs = std::env::var("RATIOS_SECS")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(2.0);
        let batch_us = std::env::var("RATIOS_BATCH_US")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .unwrap_or(200);
        // `cargo bench` passes `--bench`; any other argument filters by name.
        let filter = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        Config {
            per_measurement: Duration::from_secs_f64(secs),
            batch: Duration::from_micros(batch_us),
            filter,
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.filter.is_empty() || self.filter.iter().any(|f| name.contains(f.as_str()))
    }
}

/// Runs `iters` calls of a closure and returns how long they took.
fn timed<R>(iters: u64, mut f: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed()
}

/// A batch runner: given a count, does that many operations (any setup it
/// needs first, untimed) and returns the time the operations took.
type Batch<'a> = dyn FnMut(u64) -> Duration + 'a;

/// How many fetches one timed stretch holds. Each fetch's inputs are
/// built (untimed) just before its stretch, as an embedder builds a request
/// just before fetching it: they are in the CPU cache, and the allocator
/// sees the build-then-drop pattern of real use rather than thousands of
/// blocks freed in a row. What the clock reads of a stretch add to it
/// ([`empty_stretch`], measured) is taken off.
const CHUNK: u64 = 4;

/// What timing an empty stretch measures: the clock reads' own share of
/// every stretch. The median of many, measured once per run.
fn empty_stretch() -> Duration {
    static EMPTY: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *EMPTY.get_or_init(|| {
        let mut samples: Vec<f64> = (0..20_001)
            .map(|_| {
                let start = Instant::now();
                black_box(());
                start.elapsed().as_nanos() as f64
            })
            .collect();
        Duration::from_nanos(median(&mut samples) as u64)
    })
}

/// Runs `n` operations on inputs from `make`, built `CHUNK` at a time
/// outside the timed stretches; returns the time the operations took.
fn in_chunks<I, R>(n: u64, mut make: impl FnMut() -> I, mut op: impl FnMut(I) -> R) -> Duration {
    let mut took = Duration::ZERO;
    let mut done = 0u64;
    let mut inputs: Vec<I> = Vec::with_capacity(CHUNK as usize);
    let mut stretches = 0u32;
    while done < n {
        let k = (n - done).min(CHUNK);
        inputs.extend((0..k).map(|_| make()));
        let start = Instant::now();
        for input in inputs.drain(..) {
            black_box(op(input));
        }
        took += start.elapsed();
        done += k;
        stretches += 1;
    }
    took.saturating_sub(empty_stretch() * stretches)
}

/// The iteration count that makes one batch last about `target`.
fn calibrate(run: &mut Batch<'_>, target: Duration) -> u64 {
    // Warm up caches, the branch predictor and any lazy statics.
    for _ in 0..3 {
        run(1);
    }
    let mut iters = 1u64;
    loop {
        let t = run(iters);
        if t >= target / 4 || iters >= 1 << 30 {
            let per = t.as_secs_f64() / iters as f64;
            return ((target.as_secs_f64() / per.max(1e-12)) as u64).max(1);
        }
        iters *= 4;
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Measured {
    name: &'static str,
    op_ns: f64,
    parse_ns: f64,
    ratio: f64,
    paired: f64,
    rounds: usize,
    target: Option<f64>,
}

impl Measured {
    fn missed(&self) -> bool {
        self.target.is_some_and(|t| self.ratio > t)
    }

    fn print(&self) {
        let target = match self.target {
            Some(t) if self.ratio <= t => format!("target ≤ {t}: ok"),
            Some(t) => format!("target ≤ {t}: MISSED, {:.1}× over", self.ratio / t),
            None => "no target".to_owned(),
        };
        println!(
            "{}: {:.1} ns/op, parse {:.1} ns/op, ratio {:.3}   [{target}; paired median {:.3}; {} rounds]",
            self.name, self.op_ns, self.parse_ns, self.ratio, self.paired, self.rounds
        );
    }
}

/// Interleaves batches of `op` and of `parse` for the configured time and
/// reports medians.
fn measure(
    cfg: &Config,
    name: &'static str,
    target: Option<f64>,
    op: &mut Batch<'_>,
    parse: &mut Batch<'_>,
) -> Option<Measured> {
    const MIN_ROUNDS: usize = 21;
    if !cfg.wants(name) {
        return None;
    }
    let op_iters = calibrate(op, cfg.batch);
    let parse_iters = calibrate(parse, cfg.batch);
    let mut op_ns = Vec::new();
    let mut parse_ns = Vec::new();
    let mut paired = Vec::new();
    let start = Instant::now();
    let mut round = 0usize;
    while round < MIN_ROUNDS || start.elapsed() < cfg.per_measurement {
        let (o, p) = if round % 2 == 0 {
            let o = op(op_iters);
            (o, parse(parse_iters))
        } else {
            let p = parse(parse_iters);
            (op(op_iters), p)
        };
        let o = o.as_nanos() as f64 / op_iters as f64;
        let p = p.as_nanos() as f64 / parse_iters as f64;
        op_ns.push(o);
        parse_ns.push(p);
        paired.push(o / p);
        round += 1;
    }
    let op_med = median(&mut op_ns);
    let parse_med = median(&mut parse_ns);
    let m = Measured {
        name,
        op_ns: op_med,
        parse_ns: parse_med,
        ratio: op_med / parse_med,
        paired: median(&mut paired),
        rounds: round,
        target,
    };
    m.print();
    Some(m)
}

/// Batches of `Url::parse` of one URL.
fn parse_of(url: &str) -> impl FnMut(u64) -> Duration + '_ {
    move |n| timed(n, || Url::parse(black_box(url)))
}

// ---------------------------------------------------------------------------
// Scenarios.

fn simple_request() -> Request {
    Request::get(API_URL, PAGE_ORIGIN)
        .expect("valid request")
        .with_header("Accept", "application/json, text/plain, */*")
        .with_header("Accept-Language", "en-US,en;q=0.9")
        .with_header("Content-Language", "en-US")
        .with_header("Content-Type", "text/plain;charset=UTF-8")
}

fn preflighted_request(method: &str, url: &str) -> Request {
    Request::get(url, PAGE_ORIGIN)
        .expect("valid request")
        .with_method(method)
        .with_header("Content-Type", "application/json")
        .with_header("X-Requested-With", "XMLHttpRequest")
        .with_header("X-Request-Id", "4f1c2a7e-9b3d-4e51-8c0a-2d6f1b9e7a33")
        .with_body(br#"{"name":"widget","price":42}"#)
}

/// A typical successful response to a credential-less CORS request.
fn cors_response() -> Response {
    Response::new(200)
        .with_header("Date", "Tue, 03 Mar 2026 10:00:00 GMT")
        .with_header("Content-Type", "application/json; charset=utf-8")
        .with_header("Content-Length", "1234")
        .with_header("Cache-Control", "private, max-age=60")
        .with_header("ETag", "\"33a64df551425fcc55e4d42a148795d9f25f89d4\"")
        .with_header("Vary", "Origin, Accept-Encoding")
        .with_header("Access-Control-Allow-Origin", PAGE_ORIGIN)
        .with_header("Access-Control-Expose-Headers", "ETag, X-Request-Id")
        .with_header("X-Request-Id", "4f1c2a7e-9b3d-4e51-8c0a-2d6f1b9e7a33")
}

/// A typical successful preflight response.
fn preflight_response() -> Response {
    Response::new(204)
        .with_header("Date", "Tue, 03 Mar 2026 10:00:00 GMT")
        .with_header("Access-Control-Allow-Origin", PAGE_ORIGIN)
        .with_header(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        )
        .with_header(
            "Access-Control-Allow-Headers",
            "Content-Type, Authorization, X-Requested-With, X-Request-Id",
        )
        .with_header("Access-Control-Max-Age", "600")
        .with_header("Vary", "Origin")
        .with_header("Content-Length", "0")
}

/// Runs one fetch to the end, answering the preflight with `pre` and the
/// actual request with `actual`. The requests are borrowed from the fetch
/// ([`crossorigin::Fetch::poll_ref`]), as an embedder that writes them out
/// at once would.
fn run_fetch(
    policy: &Policy,
    request: Request,
    mut pre: Option<Response>,
    mut actual: Option<Response>,
) -> (Result<FilteredResponse, Refusal>, u32) {
    let mut fetch = policy.fetch(request, NOW);
    loop {
        match fetch.poll_ref() {
            Step::Send(out) => {
                let res = if out.is_preflight {
                    pre.take()
                } else {
                    actual.take()
                };
                fetch.receive(res.ok_or(NetworkFailure), NOW);
            }
            Step::Done(result) => return (result, fetch.preflights_sent()),
        }
    }
}

/// The resident set size of this process, in bytes (Linux), for a
/// cross-check of the cache's own memory estimate.
fn rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let cfg = Config::from_env();
    let profile = Profile::spec();
    let psl = Psl::shipped();
    let mut results: Vec<Measured> = Vec::new();
    // Targets missed that are not time ratios.
    let mut other_missed: Vec<String> = Vec::new();
    let run_start = Instant::now();
    println!(
        "ratios to url::Url::parse of the same URL; {:.1} s per measurement, {} µs batches; \
         an empty timed stretch measures {} ns (taken off the driver rows' stretches of {CHUNK})",
        cfg.per_measurement.as_secs_f64(),
        cfg.batch.as_micros(),
        empty_stretch().as_nanos()
    );

    // -- issue 2: origins and sites --------------------------------------
    let api = Url::parse(API_URL).expect("valid URL");
    let page = Url::parse(PAGE_URL).expect("valid URL");
    assert!(same_site(&Origin::of(&api), &Origin::of(&page), psl));

    if cfg.wants("origin_of") {
        results.extend(measure(
            &cfg,
            "origin_of",
            Some(0.1),
            &mut |n| timed(n, || Origin::of(black_box(&api))),
            &mut parse_of(API_URL),
        ));
    }
    if cfg.wants("site_of") {
        results.extend(measure(
            &cfg,
            "site_of",
            Some(0.5),
            &mut |n| timed(n, || Site::of(&Origin::of(black_box(&api)), Psl::shipped())),
            &mut parse_of(API_URL),
        ));
    }
    if cfg.wants("same_site") {
        // Two URLs, measured against one parse (of the first).
        results.extend(measure(
            &cfg,
            "same_site",
            None,
            &mut |n| {
                timed(n, || {
                    same_site(
                        &Origin::of(black_box(&api)),
                        &Origin::of(black_box(&page)),
                        psl,
                    )
                })
            },
            &mut parse_of(API_URL),
        ));
    }

    // -- issue 3: request classification ---------------------------------
    let simple = simple_request();
    assert_eq!(decide(&simple, &profile), Ok(Decision::Cors));
    if cfg.wants("decide_simple") {
        results.extend(measure(
            &cfg,
            "decide_simple",
            Some(0.3),
            &mut |n| timed(n, || decide(black_box(&simple), &profile)),
            &mut parse_of(API_URL),
        ));
    }
    let post = preflighted_request("POST", API_URL);
    assert_eq!(decide(&post, &profile), Ok(Decision::CorsWithPreflight));
    assert_eq!(
        preflight_headers(&post.method, &post.headers, &profile)
            .get(b"access-control-request-headers")
            .as_deref(),
        Some(&b"content-type,x-request-id,x-requested-with"[..])
    );
    if cfg.wants("decide_preflighted+preflight_headers") {
        results.extend(measure(
            &cfg,
            "decide_preflighted+preflight_headers",
            Some(1.0),
            &mut |n| {
                timed(n, || {
                    let req = black_box(&post);
                    match decide(req, &profile) {
                        Ok(Decision::CorsWithPreflight) => {
                            Some(preflight_headers(&req.method, &req.headers, &profile))
                        }
                        _ => None,
                    }
                })
            },
            &mut parse_of(API_URL),
        ));
    }

    // -- issue 4: CORS check, preflight validation, cache ----------------
    let response = cors_response();
    let origin_bytes = PAGE_ORIGIN.as_bytes();
    assert!(cors_check(origin_bytes, CredentialsMode::SameOrigin, &response.headers).is_ok());
    if cfg.wants("cors_check") {
        results.extend(measure(
            &cfg,
            "cors_check",
            Some(0.2),
            &mut |n| {
                timed(n, || {
                    cors_check(
                        black_box(origin_bytes),
                        CredentialsMode::SameOrigin,
                        black_box(&response.headers),
                    )
                })
            },
            &mut parse_of(API_URL),
        ));
    }
    let pre_response = preflight_response();
    let actual = ActualRequest {
        method: &post.method,
        headers: &post.headers,
        credentials: post.credentials,
        use_cors_preflight: false,
        origin: origin_bytes,
    };
    assert_eq!(
        validate_preflight_response(&actual, &pre_response, &profile)
            .expect("preflight passes")
            .max_age,
        600
    );
    if cfg.wants("validate_preflight_response") {
        results.extend(measure(
            &cfg,
            "validate_preflight_response",
            Some(1.0),
            &mut |n| {
                timed(n, || {
                    validate_preflight_response(
                        black_box(&actual),
                        black_box(&pre_response),
                        &profile,
                    )
                    .is_ok()
                })
            },
            &mut parse_of(API_URL),
        ));
    }

    if [
        "cache_memory",
        "cache_hit (100k records, 4096 rotating keys)",
        "cache_hit (100k records, one hot key)",
        "cache_miss (100k records, 4096 rotating keys)",
    ]
    .iter()
    .any(|n| cfg.wants(n))
    {
        // The keys first, so that the RSS growth is the cache's alone.
        let urls: Vec<String> = (0..CACHE_RECORDS)
            .map(|i| format!("https://api.example.com/v1/items/{i}?fields=name,price"))
            .collect();
        let absent: Vec<String> = (0..4096)
            .map(|i| format!("https://api.example.com/v1/other/{i}?fields=name,price"))
            .collect();
        let rss_before = rss_bytes();
        let cache = PreflightCache::new(profile.cache);
        for url in &urls {
            let key = CacheKey {
                partition: "",
                origin: origin_bytes,
                url,
            };
            cache.store(&key, false, &[b"PUT"], &[], 600, NOW);
        }
        let rss_after = rss_bytes();
        assert_eq!(cache.len(), CACHE_RECORDS);
        let per_entry = cache.memory_usage() as f64 / cache.len() as f64;
        let rss = match (rss_before, rss_after) {
            (Some(b), Some(a)) => format!(
                "{:.0} bytes/entry",
                a.saturating_sub(b) as f64 / CACHE_RECORDS as f64
            ),
            _ => "unavailable".to_owned(),
        };
        let status = if per_entry <= 256.0 {
            "ok".to_owned()
        } else {
            format!("MISSED, {:.1}× over", per_entry / 256.0)
        };
        if cfg.wants("cache_memory") {
            println!(
                "cache_memory: {per_entry:.0} bytes/entry by memory_usage()/len() over {} records   [target ≤ 256: {status}; RSS growth {rss}]",
                cache.len()
            );
            if per_entry > 256.0 {
                other_missed.push(format!(
                    "cache_memory: {per_entry:.0} bytes/entry > 256 ({:.1}×)",
                    per_entry / 256.0
                ));
            }
        }

        // Hits rotate over 4096 records spread over the whole cache.
        let hits: Vec<&str> = (0..4096)
            .map(|i| urls[i * (CACHE_RECORDS / 4096)].as_str())
            .collect();
        let later = NOW + Duration::from_secs(1);
        let key = |url| CacheKey {
            partition: "",
            origin: origin_bytes,
            url,
        };
        assert!(
            hits.iter()
                .all(|u| cache.method_match(&key(u), b"PUT", false, later))
        );
        assert!(
            !absent
                .iter()
                .any(|u| cache.method_match(&key(u), b"PUT", false, later))
        );
        let rotating_parse = |set: &[&str]| {
            let set: Vec<String> = set.iter().map(|s| (*s).to_owned()).collect();
            let mut j = 0usize;
            move |n: u64| {
                timed(n, || {
                    j = (j + 1) % set.len();
                    Url::parse(black_box(&set[j]))
                })
            }
        };
        let mut j = 0usize;
        results.extend(measure(
            &cfg,
            "cache_hit (100k records, 4096 rotating keys)",
            Some(0.5),
            &mut |n| {
                timed(n, || {
                    j = (j + 1) % hits.len();
                    cache.method_match(&key(black_box(hits[j])), b"PUT", false, later)
                })
            },
            &mut rotating_parse(&hits),
        ));
        // The same lookup with one key, whose record stays in the CPU cache:
        // the difference from the rotating hit is memory latency.
        let hot = hits[hits.len() / 2];
        results.extend(measure(
            &cfg,
            "cache_hit (100k records, one hot key)",
            Some(0.5),
            &mut |n| {
                timed(n, || {
                    cache.method_match(&key(black_box(hot)), b"PUT", false, later)
                })
            },
            &mut parse_of(hot),
        ));
        let absent: Vec<&str> = absent.iter().map(String::as_str).collect();
        let mut j = 0usize;
        results.extend(measure(
            &cfg,
            "cache_miss (100k records, 4096 rotating keys)",
            Some(0.5),
            &mut |n| {
                timed(n, || {
                    j = (j + 1) % absent.len();
                    cache.method_match(&key(black_box(absent[j])), b"PUT", false, later)
                })
            },
            &mut rotating_parse(&absent),
        ));
    }

    // -- issue 5: the whole driver ---------------------------------------
    if cfg.wants("fetch_simple_get") {
        let policy = Policy::new(profile);
        let request = Request::get(API_URL, PAGE_ORIGIN)
            .expect("valid request")
            .with_header("Accept", "application/json");
        let (result, preflights) =
            run_fetch(&policy, request.clone(), None, Some(response.clone()));
        assert_eq!(preflights, 0);
        assert_eq!(result.expect("simple fetch passes").status, 200);
        results.extend(measure(
            &cfg,
            "fetch_simple_get",
            Some(1.0),
            &mut |n| {
                in_chunks(
                    n,
                    || (request.clone(), response.clone()),
                    |(req, res)| run_fetch(&policy, req, None, Some(res)),
                )
            },
            &mut parse_of(API_URL),
        ));
    }
    if cfg.wants("fetch_preflighted_put_miss") {
        let policy = Policy::new(profile);
        let ok = Response::new(200)
            .with_header("Access-Control-Allow-Origin", PAGE_ORIGIN)
            .with_header("Content-Type", "application/json");
        // A pool of distinct URLs; each batch uses the first `n` and clears
        // their cache entries afterwards (untimed), so every fetch misses.
        let pool: Vec<Request> = (0..4096)
            .map(|i| {
                preflighted_request(
                    "PUT",
                    &format!("https://api.example.com/v1/items/{i}?fields=name,price"),
                )
            })
            .collect();
        let (result, preflights) = run_fetch(
            &policy,
            pool[0].clone(),
            Some(pre_response.clone()),
            Some(ok.clone()),
        );
        assert_eq!(preflights, 1);
        assert_eq!(result.expect("preflighted fetch passes").status, 200);
        let clear = |reqs: &[Request]| {
            for r in reqs {
                policy.cache().clear(&CacheKey {
                    partition: "",
                    origin: origin_bytes,
                    url: r.url.as_str(),
                });
            }
        };
        clear(&pool);
        results.extend(measure(
            &cfg,
            "fetch_preflighted_put_miss",
            Some(2.0),
            &mut |n| {
                let mut done = 0u64;
                let mut took = Duration::ZERO;
                while done < n {
                    let k = (n - done).min(pool.len() as u64) as usize;
                    let mut next = pool[..k].iter();
                    took += in_chunks(
                        k as u64,
                        || {
                            let req = next.next().unwrap_or(&pool[0]).clone();
                            (req, pre_response.clone(), ok.clone())
                        },
                        |(req, pre, res)| run_fetch(&policy, req, Some(pre), Some(res)),
                    );
                    clear(&pool[..k]);
                    done += k as u64;
                }
                took
            },
            &mut parse_of(API_URL),
        ));
    }
    if cfg.wants("fetch_preflighted_put_hit") {
        let policy = Policy::new(profile);
        let ok = Response::new(200)
            .with_header("Access-Control-Allow-Origin", PAGE_ORIGIN)
            .with_header("Content-Type", "application/json");
        let request = preflighted_request("PUT", API_URL);
        let (first, preflights) = run_fetch(
            &policy,
            request.clone(),
            Some(pre_response.clone()),
            Some(ok.clone()),
        );
        assert_eq!(preflights, 1);
        assert!(first.is_ok());
        let (second, preflights) = run_fetch(&policy, request.clone(), None, Some(ok.clone()));
        assert_eq!(preflights, 0, "the second fetch should hit the cache");
        assert!(second.is_ok());
        results.extend(measure(
            &cfg,
            "fetch_preflighted_put_hit",
            Some(1.0),
            &mut |n| {
                in_chunks(
                    n,
                    || (request.clone(), ok.clone()),
                    |(req, res)| run_fetch(&policy, req, None, Some(res)),
                )
            },
            &mut parse_of(API_URL),
        ));
    }

    // Issue 9: one preflighted request checked in process against a service
    // behind tower-http's CorsLayer (`--features tower`). Every check
    // misses the cache: distinct URLs, cleared between batches (untimed).
    #[cfg(feature = "tower")]
    if cfg.wants("tower_cors_layer_preflighted_put") {
        use tower::ServiceBuilder;
        use tower_http::cors::CorsLayer;
        let policy = Policy::new(profile);
        let mut service = ServiceBuilder::new()
            .layer(CorsLayer::permissive())
            .service_fn(|_req: http::Request<Vec<u8>>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new(Vec::<u8>::new()))
            });
        let pool: Vec<Request> = (0..4096)
            .map(|i| {
                preflighted_request(
                    "PUT",
                    &format!("https://api.example.com/v1/items/{i}?fields=name,price"),
                )
            })
            .collect();
        let first = pollster::block_on(crossorigin::tower::check(
            &mut service,
            &policy,
            pool[0].clone(),
        ))
        .expect("CorsLayer::permissive allows the PUT");
        assert_eq!(first.preflights(), 1);
        let clear = |reqs: &[Request]| {
            for r in reqs {
                policy.cache().clear(&CacheKey {
                    partition: "",
                    origin: origin_bytes,
                    url: r.url.as_str(),
                });
            }
        };
        clear(&pool);
        results.extend(measure(
            &cfg,
            "tower_cors_layer_preflighted_put",
            None,
            &mut |n| {
                let mut done = 0u64;
                let mut took = Duration::ZERO;
                while done < n {
                    let k = (n - done).min(pool.len() as u64) as usize;
                    let requests: Vec<Request> = pool[..k].to_vec();
                    let start = Instant::now();
                    for req in requests {
                        let _ = black_box(pollster::block_on(crossorigin::tower::check(
                            &mut service,
                            &policy,
                            req,
                        )));
                    }
                    took += start.elapsed();
                    clear(&pool[..k]);
                    done += k as u64;
                }
                took
            },
            &mut parse_of(API_URL),
        ));
    }

    let missed: Vec<&Measured> = results.iter().filter(|m| m.missed()).collect();
    let count = missed.len() + other_missed.len();
    println!(
        "\n{} measurements in {:.1} s; {count} target(s) missed{}",
        results.len(),
        run_start.elapsed().as_secs_f64(),
        if count == 0 { "" } else { ":" }
    );
    for m in missed {
        let target = m.target.unwrap_or(f64::NAN);
        println!(
            "  {}: ratio {:.3} > {target} ({:.1}×)",
            m.name,
            m.ratio,
            m.ratio / target
        );
    }
    for line in other_missed {
        println!("  {line}");
    }
}
