//! The loopback server the browsers talk to. It is their HTTP proxy (so
//! every host name of a scenario reaches it, whatever its port), it ends
//! the TLS of `CONNECT` tunnels itself with a self-signed certificate made
//! for the tunnel's host, plays the current scenario's routes byte for byte
//! and logs every request that reaches it.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossorigin::scenario::Route;
use url::Url;

/// One request as it reached the server.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The method, as sent.
    pub method: String,
    /// The URL, serialized.
    pub url: String,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

/// What the server plays now.
#[derive(Default)]
struct State {
    routes: Vec<Route>,
    log: Vec<Logged>,
    /// The origin whose `/` answers with the harness page, and whether the
    /// page is sandboxed (an opaque origin).
    page: Option<(String, bool)>,
}

/// A running server; dropping it stops accepting.
pub struct Server {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts on a free port.
    pub fn start() -> io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let tls = Arc::new(Tls::default());
        {
            let state = state.clone();
            let stop = stop.clone();
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let state = state.clone();
                    let tls = tls.clone();
                    thread::spawn(move || {
                        let _ = serve(conn, &state, &tls);
                    });
                }
            });
        }
        Ok(Server { port, state, stop })
    }

    /// Plays these routes from now on, with an empty log.
    pub fn play(&self, routes: &[Route]) {
        let mut s = lock(&self.state);
        s.routes = routes.to_vec();
        s.log.clear();
    }

    /// Serves the harness page at `origin`'s `/` (sandboxed: an opaque
    /// origin) until [`Server::no_page`].
    pub fn page(&self, origin: &str, sandboxed: bool) {
        lock(&self.state).page = Some((origin.to_owned(), sandboxed));
    }

    /// Stops serving the page.
    pub fn no_page(&self) {
        lock(&self.state).page = None;
    }

    /// The requests logged since [`Server::play`].
    pub fn log(&self) -> Vec<Logged> {
        lock(&self.state).log.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Certificates made on demand, one per host.
#[derive(Default)]
struct Tls {
    configs: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
}

impl Tls {
    fn config(&self, host: &str) -> io::Result<Arc<rustls::ServerConfig>> {
        let mut map = self.configs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(host) {
            return Ok(c.clone());
        }
        let err = |e: String| io::Error::other(e);
        let host_name = host.trim_start_matches('[').trim_end_matches(']');
        let key = rcgen::generate_simple_self_signed(vec![host_name.to_owned()])
            .map_err(|e| err(e.to_string()))?;
        let der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(vec![key.cert.der().clone()], der)
        .map_err(|e| err(e.to_string()))?;
        let config = Arc::new(config);
        map.insert(host.to_owned(), config.clone());
        Ok(config)
    }
}

/// A request head.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut line = String::new();
    // Skip empty lines before a request line.
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = Vec::new();
        if r.read_until(b'\n', &mut h)? == 0 {
            return Ok(None);
        }
        let h = String::from_utf8_lossy(&h);
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.to_owned(), v.trim_matches([' ', '\t']).to_owned()));
        }
        if headers.len() > 200 {
            return Err(io::Error::other("too many header fields"));
        }
    }
    Ok(Some(Head {
        method,
        target,
        headers,
    }))
}

fn header<'a>(head: &'a Head, name: &str) -> Option<&'a str> {
    head.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn serve(mut conn: TcpStream, state: &Mutex<State>, tls: &Tls) -> io::Result<()> {
    conn.set_nodelay(true)?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let result = proxy(&mut conn, state, tls);
    let _ = conn.shutdown(Shutdown::Both);
    result
}

/// One request in origin form on a tunnel to `base`; whether it was
/// answered (a route's network error is not).
fn tunnel<S: Read + Write>(stream: &mut S, state: &Mutex<State>, base: &str) -> io::Result<bool> {
    let mut reader = BufReader::new(&mut *stream);
    let Some(head) = read_head(&mut reader)? else {
        return Ok(false);
    };
    let body = read_body(&mut reader, &head)?;
    drop(reader);
    let url = join(base, &head.target);
    if std::env::var_os("HARNESS_DEBUG").is_some() {
        eprintln!("server: tunnel {} {url}", head.method);
    }
    let Some(bytes) = respond(state, &head, &url, &body) else {
        return Ok(false);
    };
    stream.write_all(&bytes)?;
    stream.flush()?;
    Ok(true)
}

/// Serves one proxied request: a `CONNECT` tunnel whose TLS ends here, or
/// a request in absolute form (or origin form, when asked directly).
fn proxy(stream: &mut TcpStream, state: &Mutex<State>, tls: &Tls) -> io::Result<()> {
    let mut reader = BufReader::new(&mut *stream);
    let Some(head) = read_head(&mut reader)? else {
        return Ok(());
    };
    if std::env::var_os("HARNESS_DEBUG").is_some() {
        eprintln!("server: {} {}", head.method, head.target);
    }
    if head.method == "CONNECT" {
        drop(reader);
        let authority = &head.target;
        let host = authority
            .rsplit_once(':')
            .map_or(authority.as_str(), |(h, _)| h);
        stream.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
        stream.flush()?;
        let config = tls.config(host)?;
        let server = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
        let mut inner = rustls::StreamOwned::new(server, stream);
        if tunnel(&mut inner, state, &format!("https://{authority}"))? {
            inner.conn.send_close_notify();
            let _ = inner.conn.complete_io(&mut inner.sock);
        }
        return Ok(());
    }
    let body = read_body(&mut reader, &head)?;
    drop(reader);
    // Through the proxy the target is absolute; asked directly, it is a path.
    let url = if head.target.starts_with("http://") || head.target.starts_with("https://") {
        head.target.clone()
    } else {
        let host = header(&head, "host").unwrap_or("localhost");
        join(&format!("http://{host}"), &head.target)
    };
    if let Some(bytes) = respond(state, &head, &url, &body) {
        stream.write_all(&bytes)?;
        stream.flush()?;
    }
    Ok(())
}

fn join(base: &str, target: &str) -> String {
    match Url::parse(base).and_then(|b| b.join(target)) {
        Ok(u) => u.to_string(),
        Err(_) => format!("{base}{target}"),
    }
}

fn read_body(r: &mut impl BufRead, head: &Head) -> io::Result<Vec<u8>> {
    let len: usize = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(body)
}

/// The page that runs the scenario's fetch (the WebDriver script does the
/// work; the page only gives the origin).
const PAGE: &str = "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>crossorigin harness</title><p>crossorigin harness</p>";

/// Headers a proxy sees but the origin server would not: not logged.
const PROXY_ONLY: &[&str] = &["proxy-connection", "proxy-authorization"];

/// The bytes to write back, or `None` to fail the connection.
fn respond(state: &Mutex<State>, head: &Head, url: &str, _body: &[u8]) -> Option<Vec<u8>> {
    let mut s = lock(state);
    if let Some((origin, sandboxed)) = &s.page {
        let page_url = format!("{origin}/");
        let here = Url::parse(url).map(|u| u.to_string()).unwrap_or_default();
        if head.method == "GET" && here == page_url {
            let mut out = String::from(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=utf-8\r\nCache-Control: no-store\r\n",
            );
            if *sandboxed {
                out.push_str("Content-Security-Policy: sandbox allow-scripts\r\n");
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n{PAGE}", PAGE.len()));
            return Some(out.into_bytes());
        }
    }
    if url.ends_with("/favicon.ico") && s.page.is_some() || browser_service(url) {
        return Some(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec());
    }
    s.log.push(Logged {
        method: head.method.clone(),
        url: url.to_owned(),
        headers: head
            .headers
            .iter()
            .filter(|(n, _)| !PROXY_ONLY.iter().any(|p| n.eq_ignore_ascii_case(p)))
            .cloned()
            .collect(),
    });
    let route = s.routes.iter().find(|r| {
        same_url(&r.url, url)
            && r.method
                .as_ref()
                .is_none_or(|m| m.as_bytes() == head.method.as_bytes())
    });
    let Some(route) = route else {
        return Some(b"HTTP/1.1 404 Not Found\r\n\r\n".to_vec());
    };
    if route.network_error {
        return None;
    }
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("HTTP/1.1 {} {}\r\n", route.status, reason(route.status)).as_bytes(),
    );
    for (n, v) in &route.headers {
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    // Routes carry no body; a declared `Content-Length` still gets that
    // many bytes, or the browser waits for them and fails.
    let declared = route
        .headers
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(b"content-length"))
        .and_then(|(_, v)| {
            std::str::from_utf8(v.as_bytes())
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        });
    if let Some(n) = declared.filter(|n| *n <= 1 << 20) {
        out.resize(out.len() + n, b'x');
    }
    Some(out)
}

/// The browsers' own background traffic (settings, safe browsing,
/// connectivity checks): answered 404 and not logged.
fn browser_service(url: &str) -> bool {
    const HOSTS: &[&str] = &[
        "mozilla.com",
        "mozilla.net",
        "mozilla.org",
        "firefox.com",
        "mozaws.net",
        "google.com",
        "googleapis.com",
        "gstatic.com",
        "gvt1.com",
        "webkit.org",
    ];
    let Ok(u) = Url::parse(url) else { return false };
    let host = u.host_str().unwrap_or("");
    HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

fn same_url(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(mut a), Ok(mut b)) => {
            // A browser never sends userinfo or a fragment.
            for u in [&mut a, &mut b] {
                u.set_fragment(None);
                let _ = u.set_username("");
                let _ = u.set_password(None);
            }
            a == b
        }
        _ => a == b,
    }
}

fn reason(status: i64) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossorigin::scenario::Bytes;

    fn route(url: &str, method: Option<&str>, status: i64, headers: &[(&str, &str)]) -> Route {
        Route {
            url: url.into(),
            method: method.map(str::to_owned),
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (Bytes::Text((*n).into()), Bytes::Text((*v).into())))
                .collect(),
            network_error: false,
        }
    }

    fn ask(port: u16, request: &str) -> Vec<u8> {
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        c.write_all(request.as_bytes()).expect("write");
        let mut out = Vec::new();
        let _ = c.read_to_end(&mut out);
        out
    }

    #[test]
    fn plays_routes_byte_for_byte_and_logs_requests() {
        let server = Server::start().expect("server");
        server.play(&[
            route(
                "https://api.example/x",
                Some("OPTIONS"),
                204,
                &[("Access-Control-Allow-Origin", "*")],
            ),
            route(
                "http://api.example/x",
                None,
                200,
                &[("X-A", "1"), ("x-a", "2")],
            ),
        ]);
        let out = ask(
            server.port,
            "GET http://api.example/x HTTP/1.1\r\nHost: api.example\r\nOrigin: https://app.example\r\nProxy-Connection: keep-alive\r\n\r\n",
        );
        // Nothing added: no Date, Server or Content-Length.
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
        let log = server.log();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].method, "GET");
        assert_eq!(log[0].url, "http://api.example/x");
        // The proxy-only header is not the origin server's to see.
        assert_eq!(
            log[0].headers,
            vec![
                ("Host".to_owned(), "api.example".to_owned()),
                ("Origin".to_owned(), "https://app.example".to_owned())
            ]
        );
    }

    #[test]
    fn unanswered_requests_get_404_and_network_errors_close() {
        let server = Server::start().expect("server");
        let mut broken = route("http://api.example/broken", None, 200, &[]);
        broken.network_error = true;
        server.play(&[broken]);
        let out = ask(
            server.port,
            "GET http://api.example/none HTTP/1.1\r\nHost: api.example\r\n\r\n",
        );
        assert_eq!(out, b"HTTP/1.1 404 Not Found\r\n\r\n");
        let out = ask(
            server.port,
            "GET http://api.example/broken HTTP/1.1\r\nHost: api.example\r\n\r\n",
        );
        assert!(out.is_empty(), "a network error answers nothing");
        assert_eq!(server.log().len(), 2);
    }

    #[test]
    fn method_routes_match_byte_for_byte() {
        let server = Server::start().expect("server");
        server.play(&[
            route("http://api.example/m", Some("PUT"), 201, &[]),
            route("http://api.example/m", None, 202, &[]),
        ]);
        let put = ask(
            server.port,
            "PUT http://api.example/m HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        );
        assert!(put.starts_with(b"HTTP/1.1 201 "));
        let lower = ask(server.port, "put http://api.example/m HTTP/1.1\r\n\r\n");
        assert!(lower.starts_with(b"HTTP/1.1 202 "), "`put` is not `PUT`");
    }

    #[test]
    fn serves_the_page_only_while_asked() {
        let server = Server::start().expect("server");
        server.play(&[]);
        server.page("http://opaque-origin.test", true);
        let page = ask(
            server.port,
            "GET http://opaque-origin.test/ HTTP/1.1\r\n\r\n",
        );
        let text = String::from_utf8_lossy(&page);
        assert!(text.contains("Content-Security-Policy: sandbox allow-scripts"));
        assert!(
            server.log().is_empty(),
            "the page is not a scenario request"
        );
        server.no_page();
        let after = ask(
            server.port,
            "GET http://opaque-origin.test/ HTTP/1.1\r\n\r\n",
        );
        assert_eq!(after, b"HTTP/1.1 404 Not Found\r\n\r\n");
    }
}
