//! The official plaid-python client (46) against the simulator: create, then retries, get and list,
//! each response parsed by the client's own models (tests/python/plaid_client.py).
//!
//! Needs PLAID_IDV_TEST_PYTHON, a Python with plaid-python installed (tests/run-all makes one).

use std::process::Command;

use plaid_idv_simulator::{self as simulator, Status, Step};
use plaid_idv_test_support::{seeded_simulator, simulator_config, tool};

#[test]
fn the_official_python_client_parses_every_response() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let sim = seeded_simulator(simulator_config(), &[]);
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
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/plaid_client.py");
    let output = Command::new(&python)
        .arg(script)
        .args([sim.url().as_str(), simulator::DEFAULT_CLIENT_ID, simulator::DEFAULT_SECRET])
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
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON summary line");
    assert_eq!(summary["parsed"].as_array().unwrap().len(), 5 + seeded.len() + 1 + 2);
    assert_eq!(summary["statuses"], serde_json::json!(["success", "active", "failed", "success"]));
    // The client's view and the simulator's ledger agree: one session per call, no more.
    let ids: Vec<String> =
        sim.attempts("python-driver-user", "idvtmp_python_driver").iter().map(|a| a.id.clone()).collect();
    assert_eq!(summary["attempts"], serde_json::json!(ids));
}
