//! Every scenario of `../shared/wpt/cors-scenarios.json` (web-platform-tests
//! `fetch/` and `cors/`, translated as data) in the `spec` profile.
#![cfg(feature = "scenario")]

mod common;

#[test]
fn wpt_cors_scenarios() {
    common::check_scenario_file(&common::shared("wpt/cors-scenarios.json"), &[]);
}
