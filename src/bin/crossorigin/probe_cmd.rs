//! `crossorigin probe`: a fetch against a live server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crossorigin::probe::{Exchange, ProbeOptions, ProbeResult, probe};
use crossorigin::{CredentialsMode, Policy, Profile, Request, scenario};
use serde_json::{Value, json};

use super::crossorigin_explain::header_list;
use super::read_scenarios;

#[derive(clap::Args)]
pub struct ProbeArgs {
    /// The URL to fetch (with --scenario: replaces the scenario request's URL).
    url: Option<String>,
    /// The page's origin (with --scenario: replaces the scenario's).
    #[arg(long)]
    origin: Option<String>,
    /// The method.
    #[arg(long, short = 'X')]
    method: Option<String>,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Credentials mode: omit, same-origin, include. A probe has no cookies
    /// to send, even with `include`.
    #[arg(long)]
    credentials: Option<String>,
    /// Profile: spec, chromium, firefox, webkit (default: the scenario's,
    /// else spec).
    #[arg(long)]
    profile: Option<String>,
    /// Replay the first scenario of this file against the live server.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Print the result as JSON (the result format of scenario files).
    #[arg(long)]
    json: bool,
    /// Seconds to wait for a connection, and for each answer.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// The largest response head accepted, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_header_bytes: usize,
    /// Fetch again from https://evil.example and warn if the server echoes it.
    #[arg(long)]
    check_reflection: bool,
    /// Use a proxy from the environment (HTTPS_PROXY, ALL_PROXY, ...).
    #[arg(long)]
    proxy_from_env: bool,
}

pub fn run(args: &ProbeArgs) -> ExitCode {
    let (request, profile, options) = match build(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let policy = Policy::new(profile);
    let probed = probe(&policy, request, &options);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&probed)).unwrap_or_default()
        );
    } else {
        print!("{}", probed.narrate(&profile));
    }
    if probed.result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn build(args: &ProbeArgs) -> Result<(Request, Profile, ProbeOptions), String> {
    let (mut request, scenario_profile) = if let Some(file) = &args.scenario {
        let s = read_scenarios(file)?
            .into_iter()
            .next()
            .ok_or("the file holds no scenario")?
            .map_err(|e| e.to_string())?;
        let mut request =
            scenario::build_request(&s.request).map_err(|(f, m)| format!("{f}: {m}"))?;
        if let Some(url) = &args.url {
            request.url = url::Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
        }
        if let Some(origin) = &args.origin {
            request.origin =
                crossorigin::Origin::parse(origin.as_bytes()).map_err(|e| e.to_string())?;
        }
        (request, Some(s.profile))
    } else {
        let url = args
            .url
            .as_deref()
            .ok_or("give a URL, or --scenario FILE")?;
        let origin = args
            .origin
            .as_deref()
            .ok_or("--origin is required with a URL")?;
        (Request::get(url, origin).map_err(|e| e.to_string())?, None)
    };
    if let Some(m) = &args.method {
        request.method = m.as_str().into();
    }
    for h in header_list(&args.headers)?.iter() {
        request.headers.append(h.name, h.value);
    }
    if let Some(c) = &args.credentials {
        request.credentials = match c.as_str() {
            "omit" => CredentialsMode::Omit,
            "same-origin" => CredentialsMode::SameOrigin,
            "include" => CredentialsMode::Include,
            other => return Err(format!("unknown credentials mode `{other}`")),
        };
    }
    let name = args
        .profile
        .clone()
        .or(scenario_profile)
        .unwrap_or_else(|| "spec".to_owned());
    let profile = Profile::by_name(&name).ok_or_else(|| format!("unknown profile `{name}`"))?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err("--timeout must be a positive number of seconds".to_owned());
    }
    let timeout = Duration::try_from_secs_f64(args.timeout).map_err(|e| e.to_string())?;
    let options = ProbeOptions {
        connect_timeout: timeout,
        read_timeout: timeout,
        max_header_bytes: args.max_header_bytes,
        check_reflection: args.check_reflection,
        proxy_from_env: args.proxy_from_env,
        ..ProbeOptions::default()
    };
    Ok((request, profile, options))
}

fn pairs(h: &crossorigin::HeaderList) -> Vec<Value> {
    h.iter()
        .map(|h| {
            json!([
                String::from_utf8_lossy(h.name),
                String::from_utf8_lossy(h.value)
            ])
        })
        .collect()
}

fn exchanges_json(exchanges: &[Exchange]) -> Vec<Value> {
    exchanges
        .iter()
        .map(|e| {
            let received = match &e.received {
                Ok(r) => json!({"status": r.status, "headers": pairs(&r.headers)}),
                Err(err) => json!({"error": err.to_string()}),
            };
            json!({
                "method": String::from_utf8_lossy(&e.sent.method),
                "url": e.sent.url.as_str(),
                "preflight": e.sent.is_preflight,
                "credentials": e.sent.credentials,
                "headers": pairs(&e.sent.headers),
                "received": received,
                "elapsed_ms": u64::try_from(e.elapsed.as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect()
}

/// The result format of `crossorigin eval`, plus the exchanges, the fix and
/// the warnings.
fn to_json(p: &ProbeResult) -> Value {
    let mut result = scenario::result_json(&p.result, p.exchanges.iter().map(|e| &e.sent));
    let Some(obj) = result.as_object_mut() else {
        return result;
    };
    obj.insert(
        "exchanges".into(),
        Value::Array(exchanges_json(&p.exchanges)),
    );
    obj.insert("fix".into(), json!(p.fix));
    obj.insert(
        "warnings".into(),
        Value::Array(
            p.warnings
                .iter()
                .map(|w| json!({"kind": w.kind.name(), "message": w.message}))
                .collect(),
        ),
    );
    if let Some(r) = &p.reflection {
        obj.insert("reflection".into(), Value::Array(exchanges_json(r)));
    }
    result
}
