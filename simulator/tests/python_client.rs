//! The official plaid-python client (46) against the simulator: create, then retries, get in every
//! state a session moves through, list and the webhook verification key, each response parsed by
//! the client's own models (tests/python/plaid_client.py).
//!
//! Needs PLAID_IDV_TEST_PYTHON, a Python with plaid-python installed (tests/run-all makes one).

use std::{process::Command, time::Duration};

use plaid_idv_simulator::{self as simulator, SimulatorConfig, Status, Step};
use plaid_idv_test_support::{http_agent, seeded_simulator, simulator_config, tool, Reply, Server};
use serde_json::{json, Value};

fn post(url: &str, path: &str, body: Value) -> Value {
    let mut answer = http_agent(Duration::from_secs(10))
        .post(format!("{url}{path}"))
        .header("Content-Type", "application/json")
        .header("PLAID-CLIENT-ID", simulator::DEFAULT_CLIENT_ID)
        .header("PLAID-SECRET", simulator::DEFAULT_SECRET)
        .send(body.to_string())
        .unwrap();
    serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn the_official_python_client_parses_every_response() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    // Webhooks to a receiver, for a key id the script asks the key endpoint for.
    let hooks = Server::start(|_| Reply::json(200, &json!({})));
    let sim = seeded_simulator(SimulatorConfig { webhook: Some(hooks.url()), ..simulator_config() }, &[]);
    // A session that expired, on a simulator with a short window.
    let expiring = seeded_simulator(
        SimulatorConfig { expire_after: Some(Duration::from_millis(50)), ..simulator_config() },
        &[("python-expiring", "idvtmp_expiring")],
    );
    let retry =
        json!({"client_user_id": "python-expiring", "template_id": "idvtmp_expiring", "strategy": "reset"});
    let expired_id =
        post(&expiring.url(), "/identity_verification/retry", retry)["id"].as_str().unwrap().to_owned();
    let expired = || expiring.ledger().get(&expired_id).is_some_and(|a| a.status == Status::Expired);
    let started = std::time::Instant::now();
    while !expired() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(expired(), "the session never expired");
    // Seeded attempts of every status, so their shapes (details without user data) are parsed too.
    let seeded: Vec<String> = [
        (Status::Active, None),
        (Status::Success, None),
        (Status::Failed, Some(Step::KycCheck)),
        (Status::Failed, Some(Step::DocumentaryVerification)),
        (Status::Failed, Some(Step::RiskCheck)),
        (Status::Expired, None),
        (Status::Canceled, None),
        (Status::PendingReview, None),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (status, at))| sim.seed_attempt(&format!("seeded-{i}"), "idvtmp_seeded", status, at))
    .collect();
    let seeded_count = seeded.len();
    post(
        &sim.url(),
        "/identity_verification/create",
        json!({"client_user_id": "for-a-webhook", "template_id": "t", "is_shareable": false}),
    );
    post(
        &sim.url(),
        "/identity_verification/retry",
        json!({"client_user_id": "for-a-webhook", "template_id": "t", "strategy": "reset"}),
    );
    let started = std::time::Instant::now();
    while hooks.requests().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let token = hooks
        .requests()
        .first()
        .and_then(|w| w.header("plaid-verification").map(str::to_owned))
        .expect("a webhook");
    let key_id = jwt_kid(&token);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/plaid_client.py");
    let output = Command::new(&python)
        .arg(script)
        .args([sim.url().as_str(), simulator::DEFAULT_CLIENT_ID, simulator::DEFAULT_SECRET])
        .args([key_id.as_str(), expiring.url().as_str(), expired_id.as_str()])
        .args(&seeded)
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "plaid-python failed:\n{stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(stdout.trim()).expect("one JSON summary line");
    assert_eq!(summary["parsed"].as_array().unwrap().len(), 5 + seeded_count + 8 + 4);
    assert_eq!(
        summary["statuses"],
        json!(["success", "canceled", "failed", "success", "success", "expired"])
    );
    // The client's view and the simulator's ledger agree: one session per call, no more.
    let ids: Vec<String> =
        sim.attempts("python-driver-user", "idvtmp_python_driver").iter().map(|a| a.id.clone()).collect();
    assert_eq!(summary["attempts"], json!(ids));
}

/// The `kid` of a JWT's header.
fn jwt_kid(token: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    let header = URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap();
    serde_json::from_slice::<Value>(&header).unwrap()["kid"].as_str().unwrap().to_owned()
}
