//! Heap allocations on the hot paths that promise none: classifying a
//! simple request (`request::decide`), the CORS check of a passing
//! response (`cors::cors_check`), and a request's method (`Method`, inline
//! up to 22 bytes).
//!
//! A counting global allocator wraps the system one. The counter is global,
//! so every check lives in the one `#[test]` below: a second test running on
//! another thread would be counted too.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossorigin::cors::cors_check;
use crossorigin::request::{Decision, decide};
use crossorigin::{CredentialsMode, Method, Profile, Request, Response};

/// Counts every allocation (`alloc`, `alloc_zeroed`, `realloc`).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes, counted between two reads of the counter.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    after - before
}

const RUNS: usize = 5;

#[test]
fn hot_paths_do_not_allocate() {
    // Everything is built before counting.
    let profile = Profile::spec();
    let request = Request::get(
        "https://api.example.com/v1/items/42?fields=name,price",
        "https://app.example.com",
    )
    .unwrap()
    .with_header("Accept", "application/json, text/plain, */*")
    .with_header("Accept-Language", "en-US,en;q=0.9")
    .with_header("Content-Language", "en-US")
    .with_header("Content-Type", "text/plain;charset=UTF-8");
    let response = Response::new(200)
        .with_header("Content-Type", "application/json; charset=utf-8")
        .with_header("Content-Length", "1234")
        .with_header("Vary", "Origin")
        .with_header("Access-Control-Allow-Origin", "https://app.example.com");
    let origin = b"https://app.example.com";

    // The counter works: a deliberate allocation is seen.
    let counted = allocations_in(|| {
        for _ in 0..RUNS {
            black_box(vec![0u8; black_box(64)]);
        }
    });
    assert!(
        counted >= RUNS,
        "the counting allocator saw {counted} allocations for {RUNS} vectors"
    );

    // And it sees the crate's own allocations: a failing check with two
    // `Access-Control-Allow-Origin` values builds the combined value.
    let doubled = response
        .clone()
        .with_header("Access-Control-Allow-Origin", "*");
    let mut failed = None;
    let counted = allocations_in(|| {
        failed = Some(black_box(cors_check(
            black_box(origin),
            CredentialsMode::SameOrigin,
            black_box(&doubled.headers),
        )));
    });
    assert!(failed.is_some_and(|r| r.is_err()));
    assert!(counted > 0, "the failing CORS check allocated nothing");

    // A method up to 22 bytes is made, cloned and compared without the
    // heap (one given as a `Vec` is copied inline); a longer one is on
    // the heap.
    let mut vecs: Vec<Vec<u8>> = (0..RUNS).map(|_| b"PATCH".to_vec()).collect();
    let put = request.clone().with_method("PUT");
    let mut same = 0;
    let n = allocations_in(|| {
        for v in vecs.drain(..) {
            let m = Method::from(black_box("OPTIONS"));
            let longest = Method::from(black_box(&b"X-EXTENSION-METHOD-22B"[..]));
            let from_vec = Method::from(black_box(v));
            let cloned = black_box(&put).method.clone();
            if black_box(m.clone()) == b"OPTIONS"
                && longest.clone() == longest
                && from_vec == "PATCH"
                && cloned == "PUT"
            {
                same += 1;
            }
        }
    });
    assert_eq!(same, RUNS);
    assert_eq!(n, 0, "short methods allocated {n} times in {RUNS} runs");
    let long = black_box(&b"X-EXTENSION-METHOD-OF-23"[..]);
    let n = allocations_in(|| {
        black_box(Method::from(long));
    });
    assert_eq!(n, 1, "a 24-byte method is not on the heap");

    // A simple request: four safelisted headers, no preflight.
    let mut decision = None;
    let n = allocations_in(|| {
        for _ in 0..RUNS {
            decision = Some(black_box(decide(black_box(&request), &profile)));
        }
    });
    assert_eq!(decision, Some(Ok(Decision::Cors)));
    assert_eq!(
        n, 0,
        "decide on a simple request allocated {n} times in {RUNS} runs"
    );

    // The CORS check of a passing response.
    let mut checked = None;
    let n = allocations_in(|| {
        for _ in 0..RUNS {
            checked = Some(black_box(cors_check(
                black_box(origin),
                CredentialsMode::SameOrigin,
                black_box(&response.headers),
            )));
        }
    });
    assert_eq!(checked, Some(Ok(())));
    assert_eq!(
        n, 0,
        "cors_check on a passing response allocated {n} times in {RUNS} runs"
    );

    // With credentials too (`Access-Control-Allow-Credentials: true`).
    let credentialed = response
        .clone()
        .with_header("Access-Control-Allow-Credentials", "true");
    let mut checked = None;
    let n = allocations_in(|| {
        for _ in 0..RUNS {
            checked = Some(black_box(cors_check(
                black_box(origin),
                CredentialsMode::Include,
                black_box(&credentialed.headers),
            )));
        }
    });
    assert_eq!(checked, Some(Ok(())));
    assert_eq!(
        n, 0,
        "cors_check on a passing credentialed response allocated {n} times in {RUNS} runs"
    );
}
