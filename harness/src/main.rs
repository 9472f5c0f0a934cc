//! `crossorigin-harness`: runs the scenarios of `spec-vectors/` and of
//! `../shared/wpt/cors-scenarios.json` in a real browser over WebDriver and
//! records what the browser did, in the result format of `SCENARIOS.md`.
//!
//! ```text
//! cargo run -p crossorigin-harness --release -- record chromium
//! cargo run -p crossorigin-harness --release -- record firefox --only cors/
//! cargo run -p crossorigin-harness --release -- record webkit --out /tmp/webkit.json
//! ```
//!
//! The browser's HTTP proxy is the harness's own loopback server (a free
//! port), so every host and port of a scenario reaches it; it ends the TLS
//! of each `CONNECT` tunnel with a self-signed certificate for the host.
//! The page at the request's origin runs the fetch; a `null` origin is a
//! page served with `Content-Security-Policy: sandbox allow-scripts`.

mod browsers;
mod server;
mod webdriver;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossorigin::scenario::{Route, Scenario, parse_file};
use serde_json::{Map, Value, json};

use browsers::Browser;
use server::{Logged, Server};
use webdriver::{Driver, Session};

/// Request headers that say nothing about a CORS decision and vary from
/// machine to machine: not recorded.
const NOISE: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "user-agent",
    "accept-encoding",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "priority",
    "te",
    "content-length",
];

struct Options {
    browser: Browser,
    out: PathBuf,
    only: Vec<String>,
    update: bool,
    max_wait: f64,
    files: Vec<PathBuf>,
}

fn usage() -> ! {
    eprintln!(
        "usage: crossorigin-harness record chromium|firefox|webkit [--out FILE] [--only ID-PREFIX]... [--update] [--max-wait SECONDS] [FILE...]\n  --update: re-record only the scenarios chosen (--only) and replace them in FILE"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("record") {
        usage();
    }
    let Some(browser) = args.next().and_then(|b| Browser::by_name(&b)) else {
        usage()
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut opts = Options {
        browser,
        out: root
            .join("spec-vectors/browsers")
            .join(format!("{}.json", browser.name())),
        only: Vec::new(),
        update: false,
        max_wait: 30.0,
        files: Vec::new(),
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => opts.out = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--only" => opts.only.push(args.next().unwrap_or_else(|| usage())),
            "--update" => opts.update = true,
            "--max-wait" => {
                opts.max_wait = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            _ if a.starts_with("--") => usage(),
            _ => opts.files.push(PathBuf::from(a)),
        }
    }
    if opts.files.is_empty() {
        opts.files = default_files(&root);
    }
    if let Err(e) = record(&opts, &root) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// The scenario files recorded by default, relative to the repository.
fn default_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("spec-vectors/scenarios"))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let shared = std::env::var_os("CROSSORIGIN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"));
    files.push(shared.join("wpt/cors-scenarios.json"));
    files
}

/// How a file is named in the recording: relative to the repository, or
/// `shared/…` for the external data.
fn file_label(path: &Path, root: &Path) -> String {
    let p = path.canonicalize().unwrap_or_else(|_| path.to_owned());
    let r = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    if let Ok(rel) = p.strip_prefix(&r) {
        return rel.to_string_lossy().into_owned();
    }
    if let Some(parent) = r.parent() {
        if let Ok(rel) = p.strip_prefix(parent.join("shared")) {
            return format!("shared/{}", rel.to_string_lossy());
        }
    }
    path.to_string_lossy().into_owned()
}

fn record(opts: &Options, root: &Path) -> Result<(), String> {
    let mut scenarios: Vec<(String, Scenario)> = Vec::new();
    for f in &opts.files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let label = file_label(f, root);
        for s in parse_file(&text).map_err(|e| format!("{}: {e}", f.display()))? {
            match s {
                Ok(s) if opts.only.is_empty() || opts.only.iter().any(|p| s.id.starts_with(p)) => {
                    scenarios.push((label.clone(), s))
                }
                Ok(_) => {}
                Err(e) => eprintln!("{}: skipped: {e}", f.display()),
            }
        }
    }
    let server = Server::start().map_err(|e| format!("server: {e}"))?;
    let work = std::env::temp_dir().join(format!(
        "crossorigin-harness-{}-{}",
        opts.browser.name(),
        std::process::id()
    ));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let mut runner = Runner {
        browser: opts.browser,
        server,
        work,
        max_wait: opts.max_wait,
        driver: None,
        session: None,
    };
    let version = runner.browser.version();
    let mut lines = Vec::new();
    let started = Instant::now();
    let total = scenarios.len();
    let mut used: HashSet<String> = HashSet::new();
    for (i, (file, s)) in scenarios.iter().enumerate() {
        // A fresh session (empty preflight and HTTP caches) whenever this
        // scenario touches a URL an earlier one in the session touched.
        let urls = scenario_urls(s);
        if urls.iter().any(|u| used.contains(u)) {
            runner.end_session();
            used.clear();
        }
        used.extend(urls);
        let mut entry = Map::new();
        entry.insert("file".into(), json!(file));
        entry.insert("id".into(), json!(s.id));
        let mut outcome = runner.run(s);
        if let Err(why) = &outcome {
            if !why.starts_with(CANNOT) {
                // The browser or its driver failed, not the scenario: once
                // more, with a fresh driver and session.
                eprintln!("{}: retrying after: {why}", s.id);
                runner.end_session();
                runner.driver = None;
                used.clear();
                used.extend(scenario_urls(s));
                outcome = runner.run(s);
            }
        }
        match outcome {
            Ok(rec) => entry.extend(rec),
            Err(why) => {
                eprintln!("{}: unrunnable: {why}", s.id);
                entry.insert("unrunnable".into(), json!(why));
                runner.end_session();
                used.clear();
            }
        }
        lines.push(Value::Object(entry).to_string());
        if (i + 1) % 25 == 0 || i + 1 == total {
            eprintln!(
                "{}: {}/{} scenarios, {:.0} s",
                runner.browser.name(),
                i + 1,
                total,
                started.elapsed().as_secs_f64()
            );
        }
    }
    runner.end_session();
    drop(runner.driver.take());
    let head = json!({
        "browser": opts.browser.name(),
        "version": version,
        "date": today(),
        "recorded_by": "cargo run -p crossorigin-harness --release -- record",
        "max_wait": opts.max_wait,
    });
    if opts.update {
        lines = updated(&opts.out, lines)?;
    }
    let mut text = head.to_string();
    text.pop(); // the closing brace: the scenarios follow, a line each
    text.push_str(",\"scenarios\":[\n");
    text.push_str(&lines.join(",\n"));
    text.push_str("\n]}\n");
    if let Some(dir) = opts.out.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    std::fs::write(&opts.out, text).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    eprintln!("wrote {}", opts.out.display());
    Ok(())
}

/// The lines of an existing recording with those just recorded put in
/// place (by file and id), new ones appended.
fn updated(path: &Path, fresh: Vec<String>) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let old: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let key = |v: &Value| (v["file"].to_string(), v["id"].to_string());
    let mut fresh: Vec<(Value, String)> = fresh
        .into_iter()
        .filter_map(|l| serde_json::from_str(&l).ok().map(|v| (v, l)))
        .collect();
    let mut out = Vec::new();
    for entry in old["scenarios"].as_array().into_iter().flatten() {
        match fresh.iter().position(|(v, _)| key(v) == key(entry)) {
            Some(i) => out.push(fresh.remove(i).1),
            None => out.push(entry.to_string()),
        }
    }
    out.extend(fresh.into_iter().map(|(_, l)| l));
    Ok(out)
}

fn today() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn scenario_urls(s: &Scenario) -> Vec<String> {
    let mut urls: Vec<String> = s.server.iter().map(|r| r.url.clone()).collect();
    if let Some(u) = s.request.get("url").and_then(Value::as_str) {
        urls.push(u.split('#').next().unwrap_or(u).to_owned());
    }
    for f in &s.followups {
        urls.extend(f.server.iter().flatten().map(|r| r.url.clone()));
        if let Some(u) = f
            .request
            .as_ref()
            .and_then(|r| r.get("url"))
            .and_then(Value::as_str)
        {
            urls.push(u.to_owned());
        }
    }
    urls
}

/// How a reason starts when the scenario itself cannot run in a browser
/// (as opposed to the browser failing).
const CANNOT: &str = "cannot run: ";

struct Runner {
    browser: Browser,
    server: Server,
    work: PathBuf,
    max_wait: f64,
    driver: Option<Driver>,
    session: Option<(String, Option<String>)>,
}

/// The script that runs one fetch in the page and reports what the page's
/// script saw.
const FETCH_SCRIPT: &str = r#"
const spec = arguments[0];
const done = arguments[arguments.length - 1];
try {
  if (spec.use_cors_preflight) {
    const x = new XMLHttpRequest();
    x.open(spec.method, spec.url, true);
    if (spec.credentials === 'include') x.withCredentials = true;
    for (const [n, v] of spec.headers) x.setRequestHeader(n, v);
    x.upload.onprogress = function () {};
    x.onload = function () {
      const headers = [];
      for (const line of x.getAllResponseHeaders().trim().split(/\r\n/)) {
        if (!line) continue;
        const i = line.indexOf(':');
        headers.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
      }
      done({outcome: 'ok', status: x.status, url: x.responseURL, headers, api: 'xhr'});
    };
    x.onerror = function () { done({outcome: 'network-error', message: 'XMLHttpRequest error event', api: 'xhr'}); };
    x.send(spec.body === undefined || spec.body === null ? null : spec.body);
    return;
  }
  const init = {method: spec.method, headers: spec.headers, mode: spec.mode,
                credentials: spec.credentials, redirect: spec.redirect};
  if (spec.body !== undefined && spec.body !== null) init.body = spec.body;
  if (spec.referrer_policy) init.referrerPolicy = spec.referrer_policy;
  fetch(spec.url, init).then(
    (r) => {
      const headers = [];
      r.headers.forEach((v, k) => headers.push([k, v]));
      done({outcome: 'ok', type: r.type, status: r.status, url: r.url, redirected: r.redirected, headers});
    },
    (e) => done({outcome: 'network-error', message: String(e)}));
} catch (e) {
  done({outcome: 'network-error', message: String(e), thrown: true});
}
"#;

impl Runner {
    fn end_session(&mut self) {
        if let (Some((id, _)), Some(d)) = (self.session.take(), self.driver.as_ref()) {
            Session { driver: d, id }.delete();
        }
    }

    fn ensure_session(&mut self) -> Result<(), String> {
        if self.driver.is_none() {
            let port = webdriver::free_port().map_err(|e| e.to_string())?;
            let (program, args) = self.browser.driver_command(port);
            let log = self.work.join("driver.log");
            let env = self.browser.driver_env(self.server.port);
            let d = Driver::start(&program, &args, &env, port, &log)
                .map_err(|e| format!("{program} did not start: {e}"))?;
            self.driver = Some(d);
        }
        if self.session.is_none() {
            let d = self.driver.as_ref().ok_or("no driver")?;
            let profile_dir = self
                .work
                .join(format!("profile-{}", Instant::now().elapsed().as_nanos()));
            let caps = self.browser.capabilities(self.server.port, &profile_dir);
            let s = match Session::new(d, &caps) {
                Ok(s) => s,
                Err(e) => {
                    // The driver may be wedged: start it again next time.
                    self.driver = None;
                    return Err(format!("new session: {e}"));
                }
            };
            self.session = Some((s.id, None));
        }
        Ok(())
    }

    fn session(&self) -> Result<Session<'_>, String> {
        let d = self.driver.as_ref().ok_or("no driver")?;
        let (id, _) = self.session.as_ref().ok_or("no session")?;
        Ok(Session {
            driver: d,
            id: id.clone(),
        })
    }

    /// Runs a scenario: its fetch (`repeat` times), then its followups.
    fn run(&mut self, s: &Scenario) -> Result<Map<String, Value>, String> {
        let mut rec = Map::new();
        let mut runs = Vec::new();
        // Time counts from when the first fetch's script starts (after the
        // session and the page are up), as the engine counts from 0.
        let mut t0: Option<Instant> = None;
        for _ in 0..s.repeat.max(1) {
            let (result, started) = self.fetch(&s.request, &s.server, None)?;
            t0.get_or_insert(started);
            runs.push(result);
        }
        let t0 = t0.unwrap_or_else(Instant::now);
        rec.insert("result".into(), runs.last().cloned().unwrap_or(Value::Null));
        if runs.len() > 1 {
            rec.insert("runs".into(), Value::Array(runs));
        }
        let mut followups = Vec::new();
        for f in &s.followups {
            let due = (f.at <= self.max_wait).then(|| t0 + Duration::from_secs_f64(f.at.max(0.0)));
            let mut merged = s.request.clone();
            if let Some(r) = &f.request {
                merged.extend(r.clone());
            }
            let routes = f.server.as_deref().unwrap_or(&s.server);
            let (result, started) = self.fetch(&merged, routes, due)?;
            let at = started.duration_since(t0).as_secs_f64();
            followups.push(json!({"at": (at * 1000.0).round() / 1000.0, "result": result}));
        }
        if !followups.is_empty() {
            rec.insert("followups".into(), Value::Array(followups));
        }
        Ok(rec)
    }

    /// One fetch from the request's origin against these routes, its
    /// script started no earlier than `due`; the result and when the script
    /// started.
    fn fetch(
        &mut self,
        request: &Map<String, Value>,
        routes: &[Route],
        due: Option<Instant>,
    ) -> Result<(Value, Instant), String> {
        let origin = request
            .get("origin")
            .and_then(Value::as_str)
            .ok_or("no origin")?
            .to_owned();
        if request.get("mode").and_then(Value::as_str) == Some("navigate") {
            return Err(format!(
                "{CANNOT}mode navigate: fetch() cannot make a navigation request"
            ));
        }
        let xhr = request.get("use_cors_preflight").and_then(Value::as_bool) == Some(true);
        let method = request
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET");
        let bodiless = request.get("body").is_none_or(Value::is_null)
            || method.eq_ignore_ascii_case("GET")
            || method.eq_ignore_ascii_case("HEAD");
        if xhr && bodiless {
            // XMLHttpRequest's upload listeners force a preflight only for
            // a request with a body (as recorded in Chromium).
            return Err(format!(
                "{CANNOT}use_cors_preflight is set through XMLHttpRequest upload listeners, which set the flag only for a request with a body"
            ));
        }
        if xhr && request.get("credentials").and_then(Value::as_str) == Some("omit") {
            return Err(
                "use_cors_preflight needs XMLHttpRequest, which cannot omit credentials".into(),
            );
        }
        self.ensure_session()?;
        let (page_origin, sandboxed) = if origin == "null" {
            ("http://opaque-origin.test".to_owned(), true)
        } else {
            (origin.clone(), false)
        };
        let page_key = format!("{page_origin} {sandboxed}");
        let here = self.session.as_ref().and_then(|(_, p)| p.clone());
        if here.as_deref() != Some(page_key.as_str()) {
            self.server.page(&page_origin, sandboxed);
            let nav = self.session()?.navigate(&format!("{page_origin}/"));
            self.server.no_page();
            nav.map_err(|e| format!("navigating to {page_origin}/: {e}"))?;
            if std::env::var_os("HARNESS_DEBUG").is_some() {
                eprintln!("page: {:?}", self.session()?.cmd("GET", "source", None));
            }
            if let Some((_, p)) = self.session.as_mut() {
                *p = Some(page_key);
            }
        }
        self.browser.before_fetch(&self.session()?);
        self.server.play(routes);
        let spec = json!({
            "url": request.get("url").cloned().unwrap_or(Value::Null),
            "method": request.get("method").cloned().unwrap_or(json!("GET")),
            "headers": request.get("headers").cloned().unwrap_or(json!([])),
            "mode": request.get("mode").cloned().unwrap_or(json!("cors")),
            "credentials": request.get("credentials").cloned().unwrap_or(json!("same-origin")),
            "redirect": request.get("redirect").cloned().unwrap_or(json!("follow")),
            "body": request.get("body").cloned().unwrap_or(Value::Null),
            "referrer_policy": request.get("referrer_policy").cloned().unwrap_or(json!("")),
            "use_cors_preflight": xhr,
        });
        if spec["headers"].as_array().is_some_and(|h| {
            h.iter()
                .flat_map(|p| p.as_array().into_iter().flatten())
                .any(|x| !x.is_string())
        }) {
            return Err(format!(
                "{CANNOT}a header of raw bytes cannot be set from a script"
            ));
        }
        if let Some(wait) = due.and_then(|d| d.checked_duration_since(Instant::now())) {
            std::thread::sleep(wait);
        }
        let started = Instant::now();
        let page = self
            .session()?
            .execute_async(FETCH_SCRIPT, json!([spec]))
            .map_err(|e| format!("script: {e}"))?;
        let log = self.server.log();
        let reason = if page.get("outcome").and_then(Value::as_str) == Some("network-error") {
            self.browser.reason(&self.session()?)
        } else {
            None
        };
        Ok((result(&page, &log, reason), started))
    }
}

/// The result object (SCENARIOS.md) from what the page saw and what the
/// server logged.
fn result(page: &Value, log: &[Logged], reason: Option<String>) -> Value {
    let mut obj = Map::new();
    let outcome = page
        .get("outcome")
        .and_then(Value::as_str)
        .unwrap_or("network-error");
    obj.insert("outcome".into(), json!(outcome));
    if outcome == "ok" {
        if let Some(t) = page.get("type") {
            obj.insert("type".into(), t.clone());
        }
        obj.insert(
            "status".into(),
            page.get("status").cloned().unwrap_or(Value::Null),
        );
        obj.insert(
            "url".into(),
            page.get("url").cloned().unwrap_or(Value::Null),
        );
        if let Some(r) = page.get("redirected") {
            obj.insert("redirected".into(), r.clone());
        }
        let mut names: Vec<String> = Vec::new();
        let mut values = Map::new();
        for pair in page
            .get("headers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(n), Some(v)) = (
                pair.get(0).and_then(Value::as_str),
                pair.get(1).and_then(Value::as_str),
            ) else {
                continue;
            };
            let n = n.to_ascii_lowercase();
            // XHR lists a repeated name once a line; combine as Headers does.
            match values.get_mut(&n) {
                Some(Value::String(s)) => {
                    s.push_str(", ");
                    s.push_str(v);
                }
                _ => {
                    values.insert(n.clone(), json!(v));
                    names.push(n);
                }
            }
        }
        names.sort();
        names.dedup();
        obj.insert("visible_headers".into(), json!(names));
        obj.insert("response_headers".into(), Value::Object(values));
    } else {
        if let Some(m) = page.get("message") {
            obj.insert("message".into(), m.clone());
        }
        if let Some(r) = reason {
            obj.insert("reason".into(), json!(r));
        }
    }
    if let Some(api) = page.get("api") {
        obj.insert("api".into(), api.clone());
    }
    let is_preflight = |l: &Logged| {
        l.method == "OPTIONS"
            && l.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("access-control-request-method"))
    };
    obj.insert("preflight".into(), json!(log.iter().any(is_preflight)));
    obj.insert("requests".into(), json!(log.len()));
    let sent: Vec<Value> = log
        .iter()
        .map(|l| {
            let headers: Vec<Value> = l
                .headers
                .iter()
                .filter(|(n, _)| !NOISE.iter().any(|x| n.eq_ignore_ascii_case(x)))
                .map(|(n, v)| json!([n.to_ascii_lowercase(), v]))
                .collect();
            json!({"method": l.method, "url": l.url, "headers": headers})
        })
        .collect();
    obj.insert("sent".into(), Value::Array(sent));
    Value::Object(obj)
}
