//! The simulator's `IDENTITY_VERIFICATION` webhooks: one per move, in order, to the configured
//! receiver, signed as Plaid signs them, and verified here twice, independently: by the
//! workspace's verifier (plaid-idv-webhook) and by PyJWT + cryptography with the key plaid-python
//! fetches from `/webhook_verification_key/get`. The `drop_webhooks` fault sends none.

mod common;

use std::{
    io::Write,
    process::{Command, Stdio},
    time::{Duration, SystemTime},
};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use common::*;
use plaid_idv_simulator::{self as simulator, Simulator, SimulatorConfig};
use plaid_idv_test_support::{seeded_simulator, simulator_config, tool, Captured, Reply, Server};
use plaid_idv_webhook::{PlaidKeys, Refusal, Verifier};
use serde_json::{json, Value};

fn receiver() -> Server {
    Server::start(|_| Reply::json(200, &json!({})))
}

fn with_webhooks(receiver: &Server, seeds: &[(&str, &str)]) -> Simulator {
    seeded_simulator(
        SimulatorConfig { webhook: Some(format!("{}/hooks", receiver.url())), ..simulator_config() },
        seeds,
    )
}

/// The webhooks received so far, once `n` have arrived (bounded wait).
fn received(receiver: &Server, n: usize) -> Vec<Captured> {
    assert!(
        eventually(Duration::from_secs(10), || receiver.requests().len() >= n),
        "{} webhooks arrived, not {n}",
        receiver.requests().len()
    );
    receiver.requests()
}

fn codes(webhooks: &[Captured]) -> Vec<(String, String)> {
    webhooks
        .iter()
        .map(|w| {
            let body = w.json();
            (
                body["webhook_code"].as_str().unwrap().to_owned(),
                body["identity_verification_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(code: &str, id: &Value) -> (String, String) {
    (code.to_owned(), id.as_str().unwrap().to_owned())
}

#[test]
fn one_signed_webhook_per_move_in_order() {
    let hooks = receiver();
    let sim = with_webhooks(&hooks, &[("u", TEMPLATE)]);
    let first = retry(&sim, "u");
    let second = retry(&sim, "u");
    complete(&sim, &second["id"], json!({"outcome": "success"}));
    let webhooks = received(&hooks, 9);
    assert_eq!(
        codes(&webhooks),
        [
            pair("RETRIED", &first["id"]),
            pair("STATUS_UPDATED", &first["id"]), // canceled by the second retry
            pair("RETRIED", &second["id"]),
            pair("STEP_UPDATED", &second["id"]),   // accept_tos
            pair("STEP_UPDATED", &second["id"]),   // verify_sms
            pair("STEP_UPDATED", &second["id"]),   // kyc_check
            pair("STEP_UPDATED", &second["id"]),   // watchlist_screening
            pair("STEP_UPDATED", &second["id"]),   // risk_check
            pair("STATUS_UPDATED", &second["id"]), // success
        ]
    );
    for webhook in &webhooks {
        assert_eq!((webhook.method.as_str(), webhook.path.as_str()), ("POST", "/hooks"));
        let body = webhook.json();
        assert_eq!(body.as_object().unwrap().len(), 4, "only type, code, id, environment: {body}");
        assert_eq!(
            (body["webhook_type"].as_str(), body["environment"].as_str()),
            (Some("IDENTITY_VERIFICATION"), Some("sandbox"))
        );
    }

    // The workspace's verifier, with the key from the simulator's key endpoint.
    let verifier = Verifier::new(
        PlaidKeys::new(&sim.url(), simulator::DEFAULT_CLIENT_ID, simulator::DEFAULT_SECRET).unwrap(),
    );
    for webhook in &webhooks {
        let verified =
            verifier.verify(webhook.header("plaid-verification"), &webhook.body, SystemTime::now());
        assert!(verified.is_ok(), "{:?}", verified.err());
    }
    let mut altered = webhooks[0].body.clone();
    altered.retain(|b| *b != b'\n');
    let refused = verifier.verify(webhooks[0].header("plaid-verification"), &altered, SystemTime::now());
    assert!(matches!(refused, Err(Refusal::BodyAltered)), "{refused:?}");
    assert!(verifier
        .verify(webhooks[1].header("plaid-verification"), &webhooks[0].body, SystemTime::now())
        .is_err());
}

#[test]
fn pyjwt_and_cryptography_verify_them_with_the_key_plaid_python_fetches() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let hooks = receiver();
    let sim = with_webhooks(&hooks, &[("u", TEMPLATE)]);
    let opened = retry(&sim, "u");
    complete(&sim, &opened["id"], json!({"outcome": "failed"}));
    let webhooks = received(&hooks, 5);
    let line = |verification: &str, body: &[u8]| {
        json!({"verification": verification, "body": STANDARD.encode(body)}).to_string() + "\n"
    };
    let mut input: String =
        webhooks.iter().map(|w| line(w.header("plaid-verification").unwrap(), &w.body)).collect();
    let mut forged_body = webhooks[0].body.clone();
    forged_body.extend_from_slice(b" ");
    input.push_str(&line(webhooks[0].header("plaid-verification").unwrap(), &forged_body));

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/verify_webhooks.py");
    let mut child = Command::new(&python)
        .arg(script)
        .args([sim.url().as_str(), simulator::DEFAULT_CLIENT_ID, simulator::DEFAULT_SECRET])
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let results: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(results.len(), webhooks.len() + 1);
    for (result, webhook) in results.iter().zip(&webhooks) {
        assert_eq!(result["verified"], true, "{result}");
        assert_eq!(result["code"], webhook.json()["webhook_code"]);
        assert_eq!(
            result["keys"],
            json!(["environment", "identity_verification_id", "webhook_code", "webhook_type"])
        );
    }
    assert_eq!(results.last().unwrap(), &json!({"verified": false, "why": "body hash"}));
}

#[test]
fn the_drop_fault_sends_none_and_the_moves_still_happen() {
    let hooks = receiver();
    let sim = with_webhooks(&hooks, &[("u", TEMPLATE), ("v", TEMPLATE)]);
    let drop = [("X-Sim-Fault", "drop_webhooks")];
    let (status, dropped) = post(
        &sim,
        "/identity_verification/retry",
        &json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset"}),
        &drop,
    );
    assert_eq!(status, 200);
    let (status, done) = post(
        &sim,
        &format!("/sim/sessions/{}/complete", dropped["id"].as_str().unwrap()),
        &json!({"outcome": "success"}),
        &drop,
    );
    assert_eq!((status, done["status"].as_str()), (200, Some("success")), "the moves happened");
    // Delivery keeps order: once this one arrives, any webhook before it would have too.
    let marker = retry(&sim, "v");
    let webhooks = received(&hooks, 1);
    assert_eq!(codes(&webhooks), [pair("RETRIED", &marker["id"])]);
    assert_eq!(sim.webhooks_dropped(), 7, "RETRIED, five STEP_UPDATED, STATUS_UPDATED");

    // As a server fault it drops every webhook, expiry's too.
    let quiet = receiver();
    let sim = seeded_simulator(
        SimulatorConfig {
            webhook: Some(quiet.url()),
            faults: simulator::Faults::every("drop_webhooks".parse().unwrap()),
            expire_after: Some(Duration::from_millis(100)),
            ..simulator_config()
        },
        &[("u", TEMPLATE)],
    );
    let opened = retry(&sim, "u");
    assert!(eventually(Duration::from_secs(10), || get(&sim, &opened["id"])["status"] == "expired"));
    assert_eq!(
        (quiet.requests().len(), sim.webhooks_dropped()),
        (0, 2),
        "RETRIED and the expiry's STATUS_UPDATED"
    );
}

#[test]
fn the_key_endpoint_answers_plaids_shape_and_plaids_errors() {
    let hooks = receiver();
    let sim = with_webhooks(&hooks, &[("u", TEMPLATE)]);
    retry(&sim, "u");
    let webhook = &received(&hooks, 1)[0];
    let token = webhook.header("plaid-verification").unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("ES256"), Some("JWT")));
    let kid = header["kid"].as_str().unwrap();
    let (status, answer) = post(&sim, "/webhook_verification_key/get", &json!({"key_id": kid}), &[]);
    assert_eq!(status, 200, "{answer}");
    let key = &answer["key"];
    for field in ["kty", "crv", "x", "y", "kid", "alg", "use", "created_at"] {
        assert!(!key[field].is_null(), "{field}: {key}");
    }
    assert!(key.as_object().unwrap().contains_key("expired_at") && key["expired_at"].is_null());
    assert_eq!(key["kid"], kid);
    assert!(answer["request_id"].is_string());

    let (status, answer) =
        post(&sim, "/webhook_verification_key/get", &json!({"key_id": "no-such-key"}), &[]);
    assert_eq!(
        (status, answer["error_type"].as_str(), answer["error_code"].as_str()),
        (400, Some("INVALID_INPUT"), Some("INVALID_WEBHOOK_VERIFICATION_KEY_ID"))
    );
    let (status, answer) =
        post(&sim, "/webhook_verification_key/get", &json!({"key_id": kid, "secret": "wrong"}), &[]);
    assert_eq!((status, answer["error_code"].as_str()), (400, Some("INVALID_API_KEYS")));
    let (status, answer) = post(&sim, "/webhook_verification_key/get", &json!({}), &[]);
    assert_eq!((status, answer["error_code"].as_str()), (400, Some("MISSING_FIELDS")));
}

#[test]
fn webhooks_go_only_to_this_machine() {
    for url in ["http://example.com/hooks", "https://127.0.0.1/hooks", "http://10.0.0.1/", "not a url"] {
        let started = simulator::start(SimulatorConfig { webhook: Some(url.into()), ..simulator_config() });
        let error = started.err().unwrap_or_else(|| panic!("{url} was accepted")).to_string();
        assert!(error.contains("webhook URL"), "{url}: {error}");
    }
}
