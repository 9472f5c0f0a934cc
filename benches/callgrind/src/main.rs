//! The whole fetch driver under callgrind: instructions per fetch for the
//! three scenarios of the `fetch_*` rows of `benches/ratios.rs` (a simple
//! cross-origin GET; a preflighted PUT whose preflight misses the cache,
//! then one that hits it), with the same inputs built the same way: cloned
//! from templates, four at a time, just before they run. Only `run_chunk`
//! is counted (`run.sh` toggles collection on it), so building the inputs
//! is not. `parse` counts `url::Url::parse` of the same URL.
//!
//! Usage: `crossorigin-callgrind simple|miss|hit|parse|sizes N`; see `run.sh`.
//! `misstime N` times the miss loop alone beside a parse (pools of `$POOL`
//! URLs); `interfere N` times a hit fetch, a preflight validation, and
//! both in turn (the whole costs more than its parts: see the README).
//! `misswindow N` times the same miss with the cache kept at a steady
//! population (`$BATCH` URLs cleared just before each batch, one turn of
//! the pool after they were stored), where `misstime` clears every record
//! after each round. At `POOL=4096` that clear frees about 850 KB in a
//! row; glibc then gives the top of the heap back to the system, and the
//! next round page-faults it in again inside its timed region (about
//! 70-90 ns a fetch here; 12,800 page faults against 1,500 for 300,000
//! fetches). `misswindow`, `MALLOC_TRIM_THRESHOLD_=1000000000`, or a
//! pool of 1,024 or fewer measure without it; `benches/ratios.rs` frees
//! about 60 KB a batch and is not affected.
//! `storetime N` times the cache store alone, as a miss makes it.
//! `missloop N` repeats the benchmark's miss loop N times (4096 URLs, or
//! `$POOL`, cleared after each round) for a sampling profiler: build with
//! `RUSTFLAGS="-C force-frame-pointers=yes"`, then `perf record -e cpu-clock
//! -g` works where the machine has no hardware counters.

use std::hint::black_box;

use crossorigin::cache::CacheKey;
use crossorigin::{
    FilteredResponse, NetworkFailure, Policy, Profile, Refusal, Request, Response, Step,
};
use std::time::Duration;

const PAGE_ORIGIN: &str = "https://app.example.com";
const API_URL: &str = "https://api.example.com/v1/items/42?fields=name,price";
const NOW: Duration = Duration::from_secs(1_000_000);

fn preflighted_request(method: &str, url: &str) -> Request {
    Request::get(url, PAGE_ORIGIN)
        .unwrap()
        .with_method(method)
        .with_header("Content-Type", "application/json")
        .with_header("X-Requested-With", "XMLHttpRequest")
        .with_header("X-Request-Id", "4f1c2a7e-9b3d-4e51-8c0a-2d6f1b9e7a33")
        .with_body(br#"{"name":"widget","price":42}"#)
}
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

#[inline(never)]
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

/// One fetch of each request, with `pre` as the preflight's answer and
/// `ok` as the request's. As the benchmark: inputs cloned from templates
/// 4 at a time just before they run.
#[inline(never)]
fn timed_region(policy: &Policy, reqs: &[Request], pre: &Option<Response>, ok: &Response) {
    let mut chunk = Vec::with_capacity(4);
    for (i, req) in reqs.iter().enumerate() {
        chunk.push((req.clone(), pre.clone(), ok.clone()));
        if chunk.len() == 4 || i + 1 == reqs.len() {
            run_chunk(policy, &mut chunk);
        }
    }
}

/// `n` preflighted PUTs to distinct URLs: each misses the cache until
/// [`clear`] forgets it.
fn distinct_puts(n: usize) -> Vec<Request> {
    (0..n)
        .map(|i| {
            preflighted_request(
                "PUT",
                &format!("https://api.example.com/v1/items/{i}?fields=name,price"),
            )
        })
        .collect()
}

/// Forgets what the cache holds for these requests.
fn clear(policy: &Policy, reqs: &[Request]) {
    for r in reqs {
        policy.cache().clear(&CacheKey {
            partition: "",
            origin: PAGE_ORIGIN.as_bytes(),
            url: r.url.as_str(),
        });
    }
}

#[inline(never)]
fn run_chunk(policy: &Policy, chunk: &mut Vec<(Request, Option<Response>, Response)>) {
    for (req, pre, res) in chunk.drain(..) {
        let _ = black_box(run_fetch(policy, req, pre, Some(res)));
    }
}

#[inline(never)]
fn parse_region(n: usize) {
    for _ in 0..n {
        let _ = black_box(url::Url::parse(black_box(API_URL)));
    }
}

fn main() {
    let which = std::env::args()
        .nth(1)
        .expect("a scenario: simple, miss, hit, parse or sizes");
    let n: usize = std::env::args()
        .nth(2)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1000);
    let profile = Profile::spec();
    let policy = Policy::new(profile);
    let ok = Response::new(200)
        .with_header("Access-Control-Allow-Origin", PAGE_ORIGIN)
        .with_header("Content-Type", "application/json");
    match which.as_str() {
        "simple" => {
            let request = Request::get(API_URL, PAGE_ORIGIN)
                .unwrap()
                .with_header("Accept", "application/json");
            let r = run_fetch(&policy, request.clone(), None, Some(cors_response()));
            assert_eq!(r.0.unwrap().status, 200);
            timed_region(&policy, &vec![request; n], &None, &cors_response());
        }
        "miss" => {
            let pool = distinct_puts(n);
            let r = run_fetch(
                &policy,
                preflighted_request("PUT", "https://api.example.com/warm"),
                Some(preflight_response()),
                Some(ok.clone()),
            );
            assert_eq!(r.1, 1);
            r.0.unwrap();
            timed_region(&policy, &pool, &Some(preflight_response()), &ok);
            clear(&policy, &pool);
        }
        "hit" => {
            let request = preflighted_request("PUT", API_URL);
            let r = run_fetch(
                &policy,
                request.clone(),
                Some(preflight_response()),
                Some(ok.clone()),
            );
            assert_eq!(r.1, 1);
            let r = run_fetch(&policy, request.clone(), None, Some(ok.clone()));
            assert_eq!(r.1, 0);
            r.0.unwrap();
            timed_region(&policy, &vec![request; n], &None, &ok);
        }
        "missloop" => {
            // For a sampling profiler (perf record): the benchmark's miss
            // loop, `n` rounds of 4096 distinct URLs cleared after each.
            let size: usize = std::env::var("POOL").map_or(4096, |v| v.parse().unwrap());
            let pool = distinct_puts(size);
            let pre = Some(preflight_response());
            for _ in 0..n {
                timed_region(&policy, &pool, &pre, &ok);
                clear(&policy, &pool);
            }
        }
        "misstime" => {
            // Wall time per fetch of the miss loop only (no clears), for
            // pools of $POOL distinct URLs, beside a parse.
            let size: usize = std::env::var("POOL").map_or(4096, |v| v.parse().unwrap());
            let pool = distinct_puts(size);
            let pre = Some(preflight_response());
            for _ in 0..5 {
                let mut took = std::time::Duration::ZERO;
                for _ in 0..n {
                    let t = std::time::Instant::now();
                    timed_region(&policy, &pool, &pre, &ok);
                    took += t.elapsed();
                    clear(&policy, &pool);
                }
                let t = std::time::Instant::now();
                parse_region(size * n);
                let p = t.elapsed();
                println!(
                    "pool {size}: {:.1} ns per fetch, {:.1} per parse, ratio {:.2}",
                    took.as_nanos() as f64 / (size * n) as f64,
                    p.as_nanos() as f64 / (size * n) as f64,
                    took.as_secs_f64() / p.as_secs_f64()
                );
            }
        }
        "misswindow" => {
            // As `misstime`, but the cache keeps a steady population: a
            // rotating pool of $POOL URLs, fetched $BATCH at a time; just
            // before a batch (untimed) only its own URLs, stored one turn
            // of the pool earlier, are cleared. No round frees every
            // record at once, so the allocator does not give the heap's
            // top back to the system between rounds (see `misstime`).
            let size: usize = std::env::var("POOL").map_or(4096, |v| v.parse().unwrap());
            let batch: usize = std::env::var("BATCH").map_or(256, |v| v.parse().unwrap());
            let pool = distinct_puts(size);
            let pre = Some(preflight_response());
            for _ in 0..5 {
                let mut took = std::time::Duration::ZERO;
                let mut done = 0;
                for _ in 0..n {
                    for start in (0..size).step_by(batch) {
                        let reqs = &pool[start..(start + batch).min(size)];
                        clear(&policy, reqs);
                        let t = std::time::Instant::now();
                        timed_region(&policy, reqs, &pre, &ok);
                        took += t.elapsed();
                        done += reqs.len();
                    }
                }
                let t = std::time::Instant::now();
                parse_region(done);
                let p = t.elapsed();
                println!(
                    "pool {size}, batch {batch}: {:.1} ns per fetch, {:.1} per parse, ratio {:.2}",
                    took.as_nanos() as f64 / done as f64,
                    p.as_nanos() as f64 / done as f64,
                    took.as_secs_f64() / p.as_secs_f64()
                );
            }
        }
        "storetime" => {
            // The cache store alone, as the miss makes it (the preflight's
            // six methods and four header names), for $POOL distinct URLs,
            // cleared after each round (untimed): its time without the
            // rest of the fetch beside it.
            let size: usize = std::env::var("POOL").map_or(1024, |v| v.parse().unwrap());
            let urls: Vec<String> = (0..size)
                .map(|i| format!("https://api.example.com/v1/items/{i}?fields=name,price"))
                .collect();
            let methods: [&[u8]; 6] = [b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"];
            let names: [&[u8]; 4] = [
                b"Content-Type",
                b"Authorization",
                b"X-Requested-With",
                b"X-Request-Id",
            ];
            let cache = policy.cache();
            for _ in 0..5 {
                let mut took = std::time::Duration::ZERO;
                for _ in 0..n {
                    let t = std::time::Instant::now();
                    for url in &urls {
                        let key = CacheKey {
                            partition: "",
                            origin: PAGE_ORIGIN.as_bytes(),
                            url,
                        };
                        cache.store(black_box(&key), false, &methods, &names, 600, NOW);
                    }
                    took += t.elapsed();
                    for url in &urls {
                        cache.clear(&CacheKey {
                            partition: "",
                            origin: PAGE_ORIGIN.as_bytes(),
                            url,
                        });
                    }
                }
                println!(
                    "pool {size}: {:.1} ns per store",
                    took.as_nanos() as f64 / (size * n) as f64
                );
            }
        }
        "interfere" => {
            // Time of a hit fetch, of a preflight validation, and of both
            // in turn: is the sum of the parts the whole?
            use crossorigin::preflight::{ActualRequest, validate_preflight_response};
            let request = preflighted_request("PUT", API_URL);
            let _ = run_fetch(
                &policy,
                request.clone(),
                Some(preflight_response()),
                Some(ok.clone()),
            );
            let pre = preflight_response();
            let actual = ActualRequest {
                method: b"PUT",
                headers: &request.headers,
                credentials: crossorigin::CredentialsMode::SameOrigin,
                use_cors_preflight: false,
                origin: PAGE_ORIGIN.as_bytes(),
            };
            assert!(validate_preflight_response(&actual, &pre, &profile).is_ok());
            let inputs: Vec<(Request, Response)> =
                (0..n).map(|_| (request.clone(), ok.clone())).collect();
            for _ in 0..3 {
                let mut inp = inputs.clone();
                let t = std::time::Instant::now();
                for (req, res) in inp.drain(..) {
                    let _ = black_box(run_fetch(&policy, req, None, Some(res)));
                }
                let a = t.elapsed().as_nanos() as f64 / n as f64;
                let t = std::time::Instant::now();
                for _ in 0..n {
                    black_box(
                        validate_preflight_response(black_box(&actual), black_box(&pre), &profile)
                            .is_ok(),
                    );
                }
                let b = t.elapsed().as_nanos() as f64 / n as f64;
                let mut inp = inputs.clone();
                let t = std::time::Instant::now();
                for (req, res) in inp.drain(..) {
                    let _ = black_box(run_fetch(&policy, req, None, Some(res)));
                    black_box(
                        validate_preflight_response(black_box(&actual), black_box(&pre), &profile)
                            .is_ok(),
                    );
                }
                let c = t.elapsed().as_nanos() as f64 / n as f64;
                println!(
                    "hit {a:.1} + validate {b:.1} = {:.1}; together {c:.1}",
                    a + b
                );
            }
        }
        "sizes" => {
            println!(
                "Request {} Response {} FilteredResponse {} Fetch {} Url {} Origin {} HeaderList {} Step {}",
                std::mem::size_of::<Request>(),
                std::mem::size_of::<Response>(),
                std::mem::size_of::<FilteredResponse>(),
                std::mem::size_of::<crossorigin::Fetch>(),
                std::mem::size_of::<url::Url>(),
                std::mem::size_of::<crossorigin::Origin>(),
                std::mem::size_of::<crossorigin::HeaderList>(),
                std::mem::size_of::<Step<crossorigin::OutgoingRef>>()
            );
        }
        "parsetime" => {
            for _ in 0..5 {
                let t = std::time::Instant::now();
                parse_region(n);
                println!(
                    "{:.1} ns per parse",
                    t.elapsed().as_nanos() as f64 / n as f64
                );
            }
        }
        "parse" => {
            parse_region(n);
        }
        _ => panic!(),
    }
}
