//! `crossorigin::probe` and `crossorigin probe` against tiny HTTP/1.1
//! servers started by each test on 127.0.0.1 (a thread answering canned
//! bytes, a bounded number of connections, a bounded run).
#![cfg(feature = "probe")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossorigin::explain::WarningKind;
use crossorigin::probe::{ProbeError, ProbeOptions, probe};
use crossorigin::{CredentialsMode, Policy, Profile, Refusal, Request};

/// What the server does with one request (given its head and body).
enum Answer {
    /// Write these bytes, then close.
    Bytes(Vec<u8>),
    /// Read the request, then hold the connection open this long, silent.
    Hang(Duration),
    /// Close without answering.
    Close,
}

struct Server {
    base: String,
    seen: JoinHandle<Vec<String>>,
}

/// Serves at most `connections` connections, one request each, for at most
/// 20 seconds; returns every request's head and body as text.
fn serve(connections: usize, answer: impl Fn(&str) -> Answer + Send + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let seen = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while seen.len() < connections && Instant::now() < deadline {
            match listener.accept() {
                Ok((stream, _)) => {
                    let request = read_request(&stream);
                    match answer(&request) {
                        Answer::Bytes(bytes) => {
                            let mut s = &stream;
                            let _ = s.write_all(&bytes);
                            let _ = s.flush();
                        }
                        Answer::Hang(d) => std::thread::sleep(d),
                        Answer::Close => {}
                    }
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    seen.push(request);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => break,
            }
        }
        seen
    });
    Server { base, seen }
}

/// Reads one request's head, and its body by `Content-Length` (at most
/// 64 KiB in all).
fn read_request(stream: &TcpStream) -> String {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut s = stream;
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                break;
            }
        }
        if buf.len() > 64 * 1024 {
            break;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn response(status: &str, headers: &[(&str, &str)]) -> Answer {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("Content-Length: 2\r\nConnection: close\r\n\r\nok");
    Answer::Bytes(out.into_bytes())
}

fn header_of<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

const APP: &str = "https://app.example";

fn quick() -> ProbeOptions {
    ProbeOptions {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..ProbeOptions::default()
    }
}

/// The standard (`fetch#cors-preflight-fetch`): the PUT is not a simple
/// method, so an OPTIONS preflight goes first; its answer allows the origin,
/// the method and the header, so the PUT is sent and its answer passes the
/// CORS check.
#[test]
fn allowed_put_with_preflight() {
    let server = serve(2, |req| {
        if req.starts_with("OPTIONS ") {
            response(
                "204 No Content",
                &[
                    ("Access-Control-Allow-Origin", APP),
                    ("Access-Control-Allow-Methods", "PUT"),
                    ("Access-Control-Allow-Headers", "content-type"),
                    ("Vary", "Origin"),
                ],
            )
        } else {
            response(
                "200 OK",
                &[
                    ("Access-Control-Allow-Origin", APP),
                    ("Content-Type", "application/json"),
                    ("X-Secret", "1"),
                    ("Vary", "Origin"),
                ],
            )
        }
    });
    let request = Request::get(&format!("{}/items/1", server.base), APP)
        .unwrap()
        .with_method("PUT")
        .with_header("Content-Type", "application/json")
        .with_body(r#"{"name":"x"}"#);
    let probed = probe(&Policy::new(Profile::chromium()), request, &quick());
    let seen = probed.result.as_ref().expect("allowed");
    assert_eq!(seen.status, 200);
    // `Content-Length` is a CORS-safelisted response-header name.
    assert_eq!(
        seen.visible_header_names(),
        vec!["content-length", "content-type"]
    );
    assert_eq!(probed.exchanges.len(), 2);
    assert!(probed.exchanges[0].sent.is_preflight);
    assert!(probed.warnings.is_empty(), "{:?}", probed.warnings);
    let wire = server.seen.join().unwrap();
    assert!(
        wire[0].starts_with("OPTIONS /items/1 HTTP/1.1"),
        "{}",
        wire[0]
    );
    assert_eq!(header_of(&wire[0], "origin"), Some(APP));
    assert_eq!(
        header_of(&wire[0], "access-control-request-method"),
        Some("PUT")
    );
    assert_eq!(
        header_of(&wire[0], "access-control-request-headers"),
        Some("content-type")
    );
    assert!(wire[1].starts_with("PUT /items/1 HTTP/1.1"), "{}", wire[1]);
    assert!(wire[1].ends_with(r#"{"name":"x"}"#), "{}", wire[1]);
    for w in &wire {
        assert_eq!(header_of(w, "cookie"), None);
        assert_eq!(header_of(w, "authorization"), None);
    }
}

/// `fetch#concept-cors-check`: no `Access-Control-Allow-Origin` on the
/// answer to a simple GET is a network error; the CLI says so and exits 1.
#[cfg(feature = "cli")]
#[test]
fn refused_without_allow_origin_cli_exit_status() {
    let server = serve(2, |_| response("200 OK", &[("Content-Type", "text/plain")]));
    let url = format!("{}/data", server.base);
    let bin = env!("CARGO_BIN_EXE_crossorigin");
    let out = std::process::Command::new(bin)
        .args(["probe", &url, "--origin", APP, "--profile", "chromium"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("MissingAllowOriginHeader"), "{text}");
    assert!(
        text.contains("Fix on the server: add `Access-Control-Allow-Origin: https://app.example`"),
        "{text}"
    );
    let out = std::process::Command::new(bin)
        .args(["probe", &url, "--origin", APP, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "network-error");
    assert_eq!(v["error"], "MissingAllowOriginHeader");
    assert_eq!(v["requests"], 1);
    assert_eq!(v["preflight"], false);
    assert_eq!(v["sent"][0]["method"], "GET");
    server.seen.join().unwrap();
}

/// The allowed case through the CLI's JSON: the fields of `crossorigin eval`.
#[cfg(feature = "cli")]
#[test]
fn allowed_get_cli_json() {
    let server = serve(1, |_| {
        response(
            "200 OK",
            &[("Access-Control-Allow-Origin", "*"), ("X-Secret", "1")],
        )
    });
    let url = format!("{}/data", server.base);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossorigin"))
        .args(["probe", &url, "--origin", APP, "--json", "--timeout", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "ok");
    assert_eq!(v["type"], "cors");
    assert_eq!(v["status"], 200);
    assert_eq!(v["url"], url);
    assert_eq!(v["redirected"], false);
    assert_eq!(v["visible_headers"], serde_json::json!(["content-length"]));
    server.seen.join().unwrap();
}

/// A server that reads the request and never answers: the read timeout ends
/// the wait, the driver sees a failed connection.
#[test]
fn hanging_server_times_out() {
    let server = serve(1, |_| Answer::Hang(Duration::from_secs(4)));
    let request = Request::get(&format!("{}/slow", server.base), APP).unwrap();
    let options = ProbeOptions {
        read_timeout: Duration::from_millis(500),
        ..quick()
    };
    let started = Instant::now();
    let probed = probe(&Policy::new(Profile::spec()), request, &options);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(probed.result.unwrap_err(), Refusal::NetworkFailure);
    assert!(
        matches!(probed.exchanges[0].received, Err(ProbeError::Timeout(_))),
        "{:?}",
        probed.exchanges[0].received
    );
}

/// `fetch#http-redirect-fetch`: the 21st redirect is a network error; the
/// client follows none itself, so exactly 21 requests reach the server.
#[test]
fn redirect_loop_ends_at_the_drivers_limit() {
    let server = serve(30, |_| {
        response(
            "302 Found",
            &[("Location", "/loop"), ("Access-Control-Allow-Origin", APP)],
        )
    });
    let request = Request::get(&format!("{}/loop", server.base), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert_eq!(probed.result.unwrap_err(), Refusal::TooManyRedirects);
    assert_eq!(probed.exchanges.len(), 21);
}

/// A redirect to a non-HTTP(S) URL is refused by the driver: nothing is
/// sent there.
#[test]
fn redirect_to_a_non_http_url_is_not_followed() {
    let server = serve(1, |_| {
        response(
            "302 Found",
            &[
                ("Location", "ftp://127.0.0.1/x"),
                ("Access-Control-Allow-Origin", APP),
            ],
        )
    });
    let request = Request::get(&format!("{}/r", server.base), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert!(probed.result.is_err());
    assert_eq!(probed.exchanges.len(), 1);
}

fn megabyte_of_headers(line: &[u8]) -> Answer {
    let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
    while out.len() < 1024 * 1024 {
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"\r\n");
    Answer::Bytes(out)
}

/// A megabyte of response headers in long lines: a typed error at the
/// configured limit, not a megabyte in memory.
#[test]
fn a_megabyte_of_long_headers_is_a_typed_error() {
    let line = format!("X-Padding: {}\r\n", "a".repeat(8000));
    let server = serve(1, move |_| megabyte_of_headers(line.as_bytes()));
    let request = Request::get(&format!("{}/big", server.base), APP).unwrap();
    let options = ProbeOptions {
        max_header_bytes: 32 * 1024,
        ..quick()
    };
    let probed = probe(&Policy::new(Profile::spec()), request, &options);
    assert_eq!(probed.result.unwrap_err(), Refusal::NetworkFailure);
    assert_eq!(
        probed.exchanges[0].received,
        Err(ProbeError::HeadersTooLarge { limit: 32 * 1024 })
    );
}

/// A megabyte of short header lines: the client stops at its header-count
/// limit, a typed error.
#[test]
fn a_megabyte_of_short_headers_is_a_typed_error() {
    let server = serve(1, |_| megabyte_of_headers(b"X-Pad: a\r\n"));
    let request = Request::get(&format!("{}/many", server.base), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert_eq!(probed.result.unwrap_err(), Refusal::NetworkFailure);
    let got = &probed.exchanges[0].received;
    assert!(
        matches!(
            got,
            Err(ProbeError::TooManyHeaders | ProbeError::HeadersTooLarge { .. })
        ),
        "{got:?}"
    );
}

/// Garbage instead of HTTP, and a connection closed without an answer:
/// typed errors, the browser's network error.
#[test]
fn garbage_and_resets_are_typed_errors() {
    let server = serve(1, |_| Answer::Bytes(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()));
    let request = Request::get(&format!("{}/g", server.base), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert_eq!(probed.result.unwrap_err(), Refusal::NetworkFailure);
    assert!(
        matches!(probed.exchanges[0].received, Err(ProbeError::Protocol(_))),
        "{:?}",
        probed.exchanges[0].received
    );

    let server = serve(1, |_| Answer::Close);
    let request = Request::get(&format!("{}/c", server.base), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert_eq!(probed.result.unwrap_err(), Refusal::NetworkFailure);
    assert!(probed.exchanges[0].received.is_err());

    // Nothing listens on a port just freed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let request = Request::get(&format!("http://127.0.0.1:{port}/"), APP).unwrap();
    let probed = probe(&Policy::new(Profile::spec()), request, &quick());
    assert!(
        matches!(probed.exchanges[0].received, Err(ProbeError::Connection(_))),
        "{:?}",
        probed.exchanges[0].received
    );
}

/// A server that echoes any `Origin` with credentials: the credentialed
/// fetch works, with warnings; `check_reflection` proves it echoes a
/// made-up origin. No cookie is sent: a probe has none.
#[test]
fn reflecting_any_origin_with_credentials_is_warned() {
    let server = serve(2, |req| {
        let origin = header_of(req, "origin").unwrap_or("null").to_owned();
        response(
            "200 OK",
            &[
                ("Access-Control-Allow-Origin", &origin),
                ("Access-Control-Allow-Credentials", "true"),
                ("Vary", "Origin"),
            ],
        )
    });
    let mut request = Request::get(&format!("{}/me", server.base), APP).unwrap();
    request.credentials = CredentialsMode::Include;
    let options = ProbeOptions {
        check_reflection: true,
        ..quick()
    };
    let profile = Profile::chromium();
    let probed = probe(&Policy::new(profile), request, &options);
    assert!(probed.result.is_ok(), "{:?}", probed.result);
    assert!(probed.exchanges[0].sent.credentials);
    let kinds: Vec<WarningKind> = probed.warnings.iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        vec![
            WarningKind::ReflectedOriginWithCredentials,
            WarningKind::ReflectsAnyOrigin
        ]
    );
    let text = probed.narrate(&profile);
    assert!(text.contains("a probe has none and sends none"), "{text}");
    assert!(text.contains("ReflectsAnyOrigin"), "{text}");
    let wire = server.seen.join().unwrap();
    assert_eq!(header_of(&wire[1], "origin"), Some("https://evil.example"));
    for w in &wire {
        assert_eq!(header_of(w, "cookie"), None);
    }
}

/// `probe --scenario FILE URL`: the scenario's request (method, headers,
/// body, origin, profile) is sent to the live URL instead of its routes;
/// the server here forgets `Access-Control-Allow-Headers`, so the browser
/// refuses after the preflight and names the fix.
#[cfg(feature = "cli")]
#[test]
fn scenario_request_replayed_against_a_live_server() {
    let server = serve(1, |_| {
        response(
            "204 No Content",
            &[
                ("Access-Control-Allow-Origin", APP),
                ("Access-Control-Allow-Methods", "PUT"),
            ],
        )
    });
    let dir = std::env::temp_dir().join(format!("crossorigin-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("scenario.json");
    std::fs::write(
        &file,
        r#"{"id": "probe/put", "profile": "chromium",
            "request": {"url": "https://api.example/items/1", "origin": "https://app.example",
                        "method": "PUT", "body": "{}",
                        "headers": [["Content-Type", "application/json"], ["X-Trace", "7"]]},
            "server": []}"#,
    )
    .unwrap();
    let url = format!("{}/items/1", server.base);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crossorigin"))
        .args(["probe", "--scenario"])
        .arg(&file)
        .arg(&url)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("profile chromium"), "{text}");
    assert!(
        text.contains("HeaderDisallowedByPreflightResponse"),
        "{text}"
    );
    assert!(
        text.contains("Access-Control-Allow-Headers: content-type, x-trace"),
        "{text}"
    );
    let wire = server.seen.join().unwrap();
    assert_eq!(wire.len(), 1);
    assert_eq!(
        header_of(&wire[0], "access-control-request-headers"),
        Some("content-type,x-trace")
    );
}
