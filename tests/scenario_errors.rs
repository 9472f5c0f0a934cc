//! Scenario files with errors: each error names the scenario and the field,
//! and the other scenarios of the file are still evaluated.
#![cfg(feature = "scenario")]

use crossorigin::scenario::{check_text, parse_file};

const FILE: &str = r#"[
 {"id": "fine", "request": {"url": "https://a.example/", "origin": "https://b.example"},
  "expect": {"outcome": "network-error", "error": "MissingAllowOriginHeader", "requests": 1}},
 {"id": "bad-mode", "request": {"url": "https://a.example/", "origin": "https://b.example", "mode": "weird"}},
 {"id": "bad-url", "request": {"url": "not a url", "origin": "https://b.example"}},
 {"id": "bad-origin", "request": {"url": "https://a.example/", "origin": "https://b.example/"}},
 {"id": "no-origin", "request": {"url": "https://a.example/"}},
 {"id": "bad-header", "request": {"url": "https://a.example/", "origin": "https://b.example", "headers": [["X", 5]]}},
 {"id": "bad-route", "request": {"url": "https://a.example/", "origin": "https://b.example"}, "server": [{"url": "::"}]},
 {"id": "unknown-field", "request": {"url": "https://a.example/", "origin": "https://b.example"}, "expekt": {}},
 {"id": "bad-at", "request": {"url": "https://a.example/", "origin": "https://b.example"}, "followups": [{"at": -1}]},
 {"request": {"url": "https://a.example/", "origin": "https://b.example"}}
]"#;

#[test]
fn errors_name_the_scenario_and_the_field() {
    let items = parse_file(FILE).unwrap();
    assert_eq!(items.len(), 10);
    assert!(items[0].is_ok());
    let expected = [
        ("bad-mode", "request.mode"),
        ("bad-url", "request.url"),
        ("bad-origin", "request.origin"),
        ("no-origin", "request"),
        ("bad-header", "request.headers[0][1]"),
        ("bad-route", "server[0].url"),
        ("unknown-field", "expekt"),
        ("bad-at", "followups[0].at"),
        ("#9", "."),
    ];
    for (item, (id, field)) in items[1..].iter().zip(expected) {
        let e = item.as_ref().expect_err(id);
        assert_eq!(e.scenario, id);
        assert!(
            e.field.starts_with(field),
            "{id}: field {} is not {field}",
            e.field
        );
    }
}

#[test]
fn other_scenarios_still_run() {
    let outcomes = check_text(FILE);
    assert_eq!(outcomes.len(), 10);
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);
    assert!(outcomes[1..].iter().all(|o| o.result.is_err()));
}

#[test]
fn not_json_is_an_error_not_a_panic() {
    assert!(parse_file("{").is_err());
    assert!(
        check_text("[1, \"x\", null]")
            .iter()
            .all(|o| o.result.is_err())
    );
}
