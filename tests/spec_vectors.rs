//! Runs every table in `spec-vectors/origin/` and `spec-vectors/request/`
//! (one function per table name), and every scenario in
//! `spec-vectors/scenarios/`. The vectors are the crate's own spec; this file
//! only runs them.

mod common;

use crossorigin::header::{self, HeaderList};
use crossorigin::{Host, Origin, Psl, Site, method};
use serde_json::Value;

fn bytes(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Object(o) => o
            .get("bytes")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|b| b.as_u64().unwrap_or(0) as u8).collect())
            .unwrap_or_default(),
        other => panic!("not a byte string: {other}"),
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn url(input: &str, base: Option<&str>) -> url::Url {
    match base {
        Some(b) => url::Url::parse(b).and_then(|b| b.join(input)),
        None => url::Url::parse(input),
    }
    .unwrap_or_else(|e| panic!("{input}: {e}"))
}

/// Runs one case; returns a description of the mismatch, if any.
fn run_case(table: &str, c: &Value) -> Option<String> {
    let psl = Psl::shipped();
    let got: Value;
    let want: Value;
    match table {
        "url-origin" => {
            let u = url(s(&c["url"]), c.get("base").and_then(Value::as_str));
            got = Origin::of(&u).to_string().into();
            want = c["origin"].clone();
        }
        "parse-serialized-origin" => {
            got = match Origin::parse(&bytes(&c["input"])) {
                Ok(o) => o.to_string().into(),
                Err(_) => false.into(),
            };
            want = c["expect"].clone();
        }
        "same-origin" => {
            let mut a = Origin::of(&url(s(&c["a"]), None));
            let mut b = if c["b"] == "=a" {
                a.clone()
            } else {
                Origin::of(&url(s(&c["b"]), None))
            };
            if let Some(d) = c.get("a_domain").and_then(Value::as_str) {
                a = a.with_domain(Host::parse(d).unwrap());
            }
            if let Some(d) = c.get("b_domain").and_then(Value::as_str) {
                b = b.with_domain(Host::parse(d).unwrap());
            }
            got = serde_json::json!({"same_origin": a.same_origin(&b), "same_origin_domain": a.same_origin_domain(&b)});
            want = serde_json::json!({"same_origin": c["same_origin"], "same_origin_domain": c["same_origin_domain"]});
        }
        "host-psl" => {
            let host = Host::parse(s(&c["host"])).unwrap();
            got = serde_json::json!({"public_suffix": host.public_suffix(psl), "registrable_domain": host.registrable_domain(psl)});
            want = serde_json::json!({"public_suffix": c["public_suffix"], "registrable_domain": c["registrable_domain"]});
        }
        "site" => {
            got = Site::of(&Origin::of(&url(s(&c["url"]), None)), psl)
                .to_string()
                .into();
            want = c["site"].clone();
        }
        "same-site" => {
            let a = Origin::of(&url(s(&c["a"]), None));
            let b = if c["b"] == "=a" {
                a.clone()
            } else {
                Origin::of(&url(s(&c["b"]), None))
            };
            got = serde_json::json!({
                "same_site": crossorigin::same_site(&a, &b, psl),
                "schemelessly_same_site": crossorigin::schemelessly_same_site(&a, &b, psl),
                "site_eq": Site::of(&a, psl) == Site::of(&b, psl),
            });
            want = serde_json::json!({"same_site": c["same_site"], "schemelessly_same_site": c["schemelessly_same_site"], "site_eq": c["same_site"]});
        }
        "registrable-domain-suffix" => {
            let host = Host::parse(s(&c["host"])).unwrap();
            got =
                crossorigin::is_registrable_domain_suffix_of_or_equal(s(&c["suffix"]), &host, psl)
                    .into();
            want = c["expect"].clone();
        }
        "document-domain" => {
            let mut origin = Origin::of(&url(s(&c["url"]), None));
            if let Some(d) = c.get("domain").and_then(Value::as_str) {
                origin = origin.with_domain(Host::parse(d).unwrap());
            }
            got = match c.get("value").and_then(Value::as_str) {
                None => crossorigin::document_domain_get(&origin).into(),
                Some(v) => {
                    match crossorigin::document_domain_set(&origin, v, Default::default(), psl) {
                        Ok(o) => crossorigin::document_domain_get(&o).into(),
                        Err(_) => false.into(),
                    }
                }
            };
            want = c["expect"].clone();
        }
        "method" => {
            let m = s(&c["method"]).as_bytes();
            let norm = method::normalize(m);
            got = serde_json::json!({
                "safelisted": method::is_cors_safelisted_method(norm),
                "safelisted_as_given": method::is_cors_safelisted_method(m),
                "forbidden": method::is_forbidden_method(m),
                "normalized": String::from_utf8_lossy(norm),
            });
            want = serde_json::json!({
                "safelisted": c["safelisted"],
                "safelisted_as_given": c.get("safelisted_as_given").cloned().unwrap_or(got["safelisted_as_given"].clone()),
                "forbidden": c["forbidden"], "normalized": c["normalized"],
            });
        }
        "cors-safelisted-request-header" => {
            got =
                header::is_cors_safelisted_request_header(&bytes(&c["name"]), &bytes(&c["value"]))
                    .into();
            want = c["expect"].clone();
        }
        "no-cors-safelisted-request-header" => {
            got = header::is_no_cors_safelisted_request_header(
                &bytes(&c["name"]),
                &bytes(&c["value"]),
            )
            .into();
            want = c["expect"].clone();
        }
        "privileged-no-cors-request-header-name" => {
            got = header::is_privileged_no_cors_request_header_name(&bytes(&c["name"])).into();
            want = c["expect"].clone();
        }
        "forbidden-request-header" => {
            got =
                header::is_forbidden_request_header(&bytes(&c["name"]), &bytes(&c["value"])).into();
            want = c["expect"].clone();
        }
        "forbidden-response-header-name" => {
            got = header::is_forbidden_response_header_name(&bytes(&c["name"])).into();
            want = c["expect"].clone();
        }
        "cors-non-wildcard-request-header-name" => {
            got = header::is_cors_non_wildcard_request_header_name(&bytes(&c["name"])).into();
            want = c["expect"].clone();
        }
        "cors-safelisted-response-header-name" => {
            let exposed: Vec<Vec<u8>> =
                c["exposed"].as_array().unwrap().iter().map(bytes).collect();
            let refs: Vec<&[u8]> = exposed.iter().map(Vec::as_slice).collect();
            got = header::is_cors_safelisted_response_header_name(&bytes(&c["name"]), &refs).into();
            want = c["expect"].clone();
        }
        "cors-unsafe-request-header-names" => {
            let list = header_list(&c["headers"]);
            let names =
                header::cors_unsafe_request_header_names(list.iter().map(|h| (h.name, h.value)));
            let names2 =
                crossorigin::request::unsafe_header_names(&list, &crossorigin::Profile::spec());
            assert_eq!(
                names, names2,
                "the spec profile must agree with the header rule"
            );
            got = names
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect::<Vec<_>>()
                .into();
            want = c["expect"].clone();
        }
        "extract-header-list-values" => {
            let list = header_list(&c["headers"]);
            got = match header::extract_token_list(&bytes(&c["name"]), &list) {
                Ok(None) => Value::Null,
                Ok(Some(v)) => v
                    .iter()
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .collect::<Vec<_>>()
                    .into(),
                Err(_) => "failure".into(),
            };
            want = c["expect"].clone();
        }
        "profile-safelisted-request-header" => {
            let profile = crossorigin::Profile::by_name(s(&c["profile"])).unwrap();
            got = profile
                .is_safelisted_request_header(&bytes(&c["name"]), &bytes(&c["value"]))
                .into();
            want = c["expect"].clone();
        }
        "profile-max-age" => {
            let profile = crossorigin::Profile::by_name(s(&c["profile"])).unwrap();
            let values: Vec<Vec<u8>> = c["values"].as_array().unwrap().iter().map(bytes).collect();
            got = profile.max_age(values.iter().map(Vec::as_slice)).into();
            want = c["expect"].clone();
        }
        "refusal-reasons" => match refusal_reasons(c) {
            Some(g) => {
                got = g;
                want = c["expect"].clone();
            }
            None => return None,
        },
        other => panic!("unknown table {other}"),
    }
    (got != want).then(|| format!("expected {want}, got {got}"))
}

/// Runs a `refusal-reasons` row through the fetch driver against its
/// routes; the refusal's three names. `None` (skipped) without the
/// `scenario` feature, which reads the request and routes.
#[cfg(feature = "scenario")]
fn refusal_reasons(c: &Value) -> Option<Value> {
    use crossorigin::scenario::{Route, answer, build_request};
    use crossorigin::{Policy, Step};
    let request = build_request(c["request"].as_object().unwrap()).unwrap();
    let routes: Vec<Route> = serde_json::from_value(c["server"].clone()).unwrap();
    let policy = Policy::new(crossorigin::Profile::by_name(s(&c["profile"])).unwrap());
    let now = std::time::Duration::from_secs(1_000_000);
    let mut fetch = policy.fetch(request.clone(), now);
    let mut exchanges = Vec::new();
    let refusal = loop {
        match fetch.poll() {
            Step::Send(out) => {
                let response = answer(&routes, &out);
                fetch.receive(response.clone(), now);
                exchanges.push((out, response.map_err(|_| String::new())));
            }
            Step::Done(Ok(_)) => return Some(serde_json::json!("the fetch succeeded")),
            Step::Done(Err(e)) => break e,
        }
    };
    Some(serde_json::json!({
        "error": refusal.name(),
        "firefox": refusal.firefox_reason(),
        "webkit": crossorigin::explain::webkit_message(&request, &exchanges, &refusal),
    }))
}

#[cfg(not(feature = "scenario"))]
fn refusal_reasons(_: &Value) -> Option<Value> {
    None
}

fn header_list(v: &Value) -> HeaderList {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| (bytes(&h[0]), bytes(&h[1])))
        .collect()
}

fn run_tables(dir: &str) {
    let mut files: Vec<_> = std::fs::read_dir(common::repo(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    let mut total = 0;
    for f in files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let table = s(&doc["table"]).to_owned();
        for (i, c) in doc["cases"].as_array().unwrap().iter().enumerate() {
            total += 1;
            if c.get("spec")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                failures.push(format!("{table}[{i}]: cites no spec anchor"));
            }
            if let Some(m) = run_case(&table, c) {
                failures.push(format!("{table}[{i}] {c}: {m}"));
            }
        }
    }
    eprintln!(
        "{dir}: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn origin_tables() {
    run_tables("spec-vectors/origin");
}

#[test]
fn request_tables() {
    run_tables("spec-vectors/request");
}

#[test]
fn profile_tables() {
    run_tables("spec-vectors/profile");
}

#[cfg(feature = "scenario")]
#[test]
fn scenarios() {
    let mut files: Vec<_> = std::fs::read_dir(common::repo("spec-vectors/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        common::check_scenario_file(&f, &[]);
    }
}
