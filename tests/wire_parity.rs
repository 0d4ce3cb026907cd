//! For the same input, the request the plugin sends matches what Plaid's official Python client
//! (plaid-python 46, installed by tests/run-all) sends: method, path, every header Plaid reads
//! (names compared case-insensitively) and the body compared as JSON.

use plaid_idv_test_support as support;

use std::{collections::BTreeMap, process::Command};

use serde_json::json;
use support::*;

/// Headers that may differ: the client's name, urllib3's own `Accept-Encoding: identity`, and
/// `Content-Length` (Python's JSON has spaces after separators; the bodies are compared as JSON).
const CLIENT_SPECIFIC: [&str; 3] = ["user-agent", "accept-encoding", "content-length"];

fn comparable(request: &Captured) -> BTreeMap<String, String> {
    request
        .headers
        .iter()
        .filter(|(k, _)| !CLIENT_SPECIFIC.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn the_plugin_sends_what_plaid_python_sends() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let server = Server::start(|_| Reply::json(200, &json!({"id": "idv_x", "request_id": "req-1"})));
    let mut input = canary_input();
    input["strategy"] = json!("custom");
    input["steps"] = json!({"verify_sms": true, "kyc_check": true, "documentary_verification": false, "selfie_check": false});
    input["is_shareable"] = json!(true);
    input["user"]["address"]["street2"] = json!("Apt 2");

    let file = std::env::temp_dir().join(format!("plaid-idv-parity-{}.json", std::process::id()));
    std::fs::write(&file, input.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/send_retry.py");
    let out = Command::new(&python)
        .args([script, &server.url(), "client-abc", file.to_str().unwrap()])
        .env("PLAID_SECRET", CANARY_SECRET)
        .output()
        .expect("run python");
    std::fs::remove_file(&file).ok();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.requests().len(), 1, "plaid-python sent one request");

    let r = execute(&input, &settings(&server.url(), json!({})), &json!({}));
    assert_eq!(r["status"], "COMPLETED", "{r}");

    let requests = server.requests();
    let (theirs, ours) = (&requests[0], &requests[1]);
    assert_eq!((ours.method.as_str(), ours.path.as_str()), (theirs.method.as_str(), theirs.path.as_str()));
    assert_eq!(comparable(ours), comparable(theirs), "headers differ");
    assert_eq!(ours.json(), theirs.json(), "bodies differ as JSON");
    assert_eq!(theirs.header("user-agent"), Some("Plaid Python v46.0.0"));
}
