//! Credentials go to the configured host and nowhere else: no proxy from the environment, no
//! redirects followed. A binary of its own, because it sets proxy variables for the process
//! before the plugin's agent is first built.

use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

#[test]
fn proxies_from_the_environment_and_redirects_are_ignored() {
    let proxy = Server::start(|_| Reply::json(200, &json!({"id": "from-proxy"})));
    let elsewhere = Server::start(|_| Reply::json(200, &json!({"id": "idv_elsewhere", "request_id": "r"})));
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        // Safe here: this test binary has one test and sets the variables before any thread runs.
        std::env::set_var(var, proxy.url());
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");

    let location = format!("{}/identity_verification/retry", elsewhere.url());
    let target = Server::start(move |_| {
        Reply::with_headers(
            307,
            &[("Location", location.as_str()), ("Content-Type", "text/plain")],
            b"moved".to_vec(),
        )
    });
    let r = execute(&canary_input(), &settings(&target.url(), json!({})), &json!({}));
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("redirect"), "{r}");
    assert_eq!(r["output"]["response"]["statusCode"], 307);
    assert_eq!(target.requests().len(), 1);
    assert_eq!(proxy.requests().len(), 0, "the environment's proxy saw a request");
    assert_eq!(elsewhere.requests().len(), 0, "the redirect was followed");
    assert_eq!(r["output"]["response"]["body"], Value::from("moved"));
}
