//! The `crossorigin` command: origins and sites of URLs, and scenario
//! evaluation (`eval`, `check`, `explain`), and (feature `probe`) `probe`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crossorigin::scenario::{self, Scenario};
use crossorigin::{Origin, Psl, Site, same_site, schemelessly_same_site};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "crossorigin",
    version,
    about = "Decides, as a browser does, what a page may fetch from another origin and what its script may read"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per run
enum Command {
    /// Each URL's origin, serialization, registrable domain and site; for two
    /// URLs, whether they are same origin, same site and schemelessly same site.
    Origin {
        /// URLs (absolute).
        #[arg(required = true)]
        urls: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate scenario files (or every .json under a folder) and print each
    /// result as JSON.
    Eval {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run scenarios' `expect` blocks; print a pass/fail table and
    /// `N passed, N failed`; exit non-zero on a failure.
    Check {
        /// Files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print only failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Explain one fetch step by step: what the browser sends, what it
    /// checks, what fails and what to change on the server.
    Explain(ExplainArgs),
    /// Fetch a live URL as a browser would (preflight, redirects, CORS
    /// checks), print the decision as `explain` does, exit 1 if refused.
    #[cfg(feature = "probe")]
    Probe(probe_cmd::ProbeArgs),
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// A scenario file (its first scenario is explained).
    file: Option<PathBuf>,
    /// The request URL.
    #[arg(long)]
    url: Option<String>,
    /// The page's origin.
    #[arg(long)]
    origin: Option<String>,
    /// The method.
    #[arg(long, short = 'X', default_value = "GET")]
    method: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Credentials mode: omit, same-origin, include.
    #[arg(long, default_value = "same-origin")]
    credentials: String,
    /// Mode: cors, no-cors, same-origin, navigate.
    #[arg(long, default_value = "cors")]
    mode: String,
    /// A header of the preflight (OPTIONS) response, `Name: value` (repeatable).
    #[arg(long = "preflight-header", short = 'P')]
    preflight_headers: Vec<String>,
    /// The preflight response's status.
    #[arg(long, default_value_t = 204)]
    preflight_status: u16,
    /// A header of the actual response, `Name: value` (repeatable).
    #[arg(long = "response-header", short = 'R')]
    response_headers: Vec<String>,
    /// The actual response's status.
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Profile: spec, chromium, firefox, webkit.
    #[arg(long, default_value = "spec")]
    profile: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Origin { urls, json } => origin_cmd(&urls, json),
        Command::Eval { paths } => eval_cmd(&paths),
        Command::Check { paths, quiet } => check_cmd(&paths, quiet),
        Command::Explain(args) => explain_cmd(&args),
        #[cfg(feature = "probe")]
        Command::Probe(args) => probe_cmd::run(&args),
    }
}

fn origin_cmd(urls: &[String], as_json: bool) -> ExitCode {
    let psl = Psl::shipped();
    let mut origins = Vec::new();
    let mut out = Vec::new();
    let mut failed = false;
    for u in urls {
        match url::Url::parse(u) {
            Ok(url) => {
                let origin = Origin::of(&url);
                let site = Site::of(&origin, psl);
                let host = origin.host();
                let rd = host
                    .and_then(|h| h.registrable_domain(psl))
                    .map(str::to_owned);
                let ps = host.and_then(|h| h.public_suffix(psl)).map(str::to_owned);
                out.push(json!({
                    "url": url.as_str(),
                    "origin": origin.to_string(),
                    "opaque": origin.is_opaque(),
                    "scheme": origin.scheme().map(|s| s.as_str()),
                    "host": host.map(|h| h.to_string()),
                    "port": origin.as_tuple().and_then(|t| t.port()),
                    "public_suffix": ps,
                    "registrable_domain": rd,
                    "site": site.to_string(),
                }));
                origins.push(origin);
            }
            Err(e) => {
                failed = true;
                out.push(json!({"url": u, "error": format!("invalid URL: {e}")}));
            }
        }
    }
    let comparison = if origins.len() == 2 && !failed {
        let (a, b) = (&origins[0], &origins[1]);
        Some(json!({
            "same_origin": a.same_origin(b),
            "same_site": same_site(a, b, psl),
            "schemelessly_same_site": schemelessly_same_site(a, b, psl),
        }))
    } else {
        None
    };
    if as_json {
        let mut v = json!({"urls": out});
        if let Some(c) = &comparison {
            v["comparison"] = c.clone();
        }
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for o in &out {
            if let Some(e) = o.get("error") {
                println!(
                    "{}\n  error: {}",
                    o["url"].as_str().unwrap_or(""),
                    e.as_str().unwrap_or("")
                );
                continue;
            }
            println!("{}", o["url"].as_str().unwrap_or(""));
            println!(
                "  origin:              {}{}",
                o["origin"].as_str().unwrap_or(""),
                if o["opaque"] == json!(true) {
                    " (opaque)"
                } else {
                    ""
                }
            );
            let show = |v: &Value| v.as_str().map_or("(none)".to_owned(), str::to_owned);
            println!("  public suffix:       {}", show(&o["public_suffix"]));
            println!("  registrable domain:  {}", show(&o["registrable_domain"]));
            println!(
                "  site:                {}",
                o["site"].as_str().unwrap_or("")
            );
        }
        if let Some(c) = &comparison {
            let yn = |b: &Value| if b == &json!(true) { "yes" } else { "no" };
            println!("same origin:             {}", yn(&c["same_origin"]));
            println!("same site:               {}", yn(&c["same_site"]));
            println!(
                "schemelessly same site:  {}",
                yn(&c["schemelessly_same_site"])
            );
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every `.json` file under the paths, in a stable order.
fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                if e.is_dir() || e.extension().is_some_and(|x| x == "json") {
                    walk(&e, out);
                }
            }
        } else {
            out.push(p.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out);
    }
    out
}

fn read_scenarios(path: &Path) -> Result<Vec<Result<Scenario, scenario::ScenarioError>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    scenario::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn eval_cmd(paths: &[PathBuf]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut errors = false;
    for path in files(paths) {
        let items = match read_scenarios(&path) {
            Ok(items) => items,
            Err(e) => {
                eprintln!("error: {e}");
                errors = true;
                continue;
            }
        };
        for item in items {
            match item {
                Ok(s) => {
                    let ev = scenario::evaluate(&s);
                    let _ = writeln!(out, "{}", ev.to_json());
                }
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    let _ = writeln!(
                        out,
                        "{}",
                        json!({"id": e.scenario, "error": {"field": e.field, "message": e.message}})
                    );
                    errors = true;
                }
            }
        }
    }
    let _ = out.flush();
    if errors {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn check_cmd(paths: &[PathBuf], quiet: bool) -> ExitCode {
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in files(paths) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                println!("FAIL  {}: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        for o in scenario::check_text(&text) {
            match o.result {
                Ok(()) => {
                    passed += 1;
                    if !quiet {
                        println!("pass  {}", o.id);
                    }
                }
                Err(m) => {
                    failed += 1;
                    println!("FAIL  {}", o.id);
                    for line in m {
                        println!("        {line}");
                    }
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn explain_cmd(args: &ExplainArgs) -> ExitCode {
    match crossorigin_explain::explain(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "probe")]
#[path = "crossorigin/probe_cmd.rs"]
mod probe_cmd;

mod crossorigin_explain {
    use super::*;
    use crossorigin::{CredentialsMode, HeaderList, Mode, Policy, Profile, Request};

    pub(crate) fn parse_header(h: &str) -> Result<(String, String), String> {
        let (n, v) = h
            .split_once(':')
            .ok_or_else(|| format!("`{h}` is not `Name: value`"))?;
        Ok((n.trim().to_owned(), v.trim().to_owned()))
    }

    pub(crate) fn header_list(hs: &[String]) -> Result<HeaderList, String> {
        let mut list = HeaderList::new();
        for h in hs {
            let (n, v) = parse_header(h)?;
            list.append(n, v);
        }
        Ok(list)
    }

    pub fn explain(args: &ExplainArgs) -> Result<String, String> {
        if let Some(file) = &args.file {
            let items = read_scenarios(file)?;
            let s = items
                .into_iter()
                .next()
                .ok_or("the file holds no scenario")?
                .map_err(|e| e.to_string())?;
            let request =
                scenario::build_request(&s.request).map_err(|(f, m)| format!("{f}: {m}"))?;
            let profile = Profile::by_name(&s.profile).unwrap_or_default();
            return Ok(crossorigin::explain::explain(
                &Policy::new(profile),
                request,
                &s.server,
            ));
        }
        let url = args
            .url
            .as_deref()
            .ok_or("give a scenario file, or --url and --origin")?;
        let origin = args
            .origin
            .as_deref()
            .ok_or("--origin is required with --url")?;
        let mut request = Request::get(url, origin).map_err(|e| e.to_string())?;
        request.method = args.method.as_str().into();
        request.headers = header_list(&args.headers)?;
        request.credentials = match args.credentials.as_str() {
            "omit" => CredentialsMode::Omit,
            "same-origin" => CredentialsMode::SameOrigin,
            "include" => CredentialsMode::Include,
            other => return Err(format!("unknown credentials mode `{other}`")),
        };
        request.mode = match args.mode.as_str() {
            "cors" => Mode::Cors,
            "no-cors" => Mode::NoCors,
            "same-origin" => Mode::SameOrigin,
            "navigate" => Mode::Navigate,
            other => return Err(format!("unknown mode `{other}`")),
        };
        let profile = Profile::by_name(&args.profile)
            .ok_or_else(|| format!("unknown profile `{}`", args.profile))?;
        let routes = crossorigin::explain::routes_from_flags(
            request.url.as_str(),
            args.preflight_status,
            &header_list(&args.preflight_headers)?,
            args.status,
            &header_list(&args.response_headers)?,
        );
        Ok(crossorigin::explain::explain(
            &Policy::new(profile),
            request,
            &routes,
        ))
    }
}
