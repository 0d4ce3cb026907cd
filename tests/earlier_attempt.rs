//! `context.unknown_outcome_since_ms`: an engine whose worker died mid-call tells the next
//! attempt so, and execute asks Plaid (`/identity_verification/list`) before it sends again: the
//! session the dead call opened is the answer; with none, the retry is sent.

use std::time::{SystemTime, UNIX_EPOCH};

use plaid_idv_simulator::{self as simulator, Simulator, SimulatorConfig, Status};
use plaid_idv_test_support::*;
use serde_json::{json, Value};

const USER: &str = "user-earlier";
const TEMPLATE: &str = "idvtmp_52xR9LKo77r1Np";

fn simulator() -> (Simulator, String) {
    let sim = simulator::start(SimulatorConfig {
        client_id: "client-abc".into(),
        secret: CANARY_SECRET.into(),
        rate_limit_per_minute: 0,
        ..SimulatorConfig::default()
    })
    .expect("the simulator starts");
    sim.seed_attempt(USER, TEMPLATE, Status::Failed, None);
    let settings = settings(&sim.url(), json!({}));
    (sim, settings)
}

fn input() -> Value {
    json!({"client_user_id": USER, "template_id": TEMPLATE, "strategy": "reset"})
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn the_session_a_dead_attempt_opened_is_found_not_sent_again() {
    let (sim, settings) = simulator();
    let since = now_ms();
    // The attempt whose worker died: its call reached Plaid, its answer reached no one.
    let first = execute(&input(), &settings, &json!({"attempt": 1}));
    assert_eq!(first["status"], "COMPLETED");
    let requests = sim.request_count();

    let second = execute(&input(), &settings, &json!({"attempt": 2, "unknown_outcome_since_ms": since}));
    assert_eq!(second["status"], "COMPLETED", "{second}");
    assert_eq!(second["output"]["reconciled"], true);
    assert_eq!(second["output"]["sent"], false);
    assert_eq!(second["output"]["response"]["body"]["id"], first["output"]["response"]["body"]["id"]);
    assert_eq!(sim.session_count(USER, TEMPLATE), 2, "the seeded attempt and one retry");
    assert_eq!(sim.request_count(), requests + 1, "one /list call, no /retry");
}

#[test]
fn with_nothing_created_the_retry_is_sent_once() {
    let (sim, settings) = simulator();
    let since = now_ms();
    let result = execute(&input(), &settings, &json!({"attempt": 2, "unknown_outcome_since_ms": since}));
    assert_eq!(result["status"], "COMPLETED", "{result}");
    assert!(result["output"]["reconciled"].is_null(), "sent, not reconciled: {result}");
    assert_eq!(sim.session_count(USER, TEMPLATE), 2);
    let logs = result["logs"].to_string();
    assert!(logs.contains("created nothing"), "{logs}");
}

#[test]
fn a_bad_value_is_an_invalid_context_naming_the_field() {
    let (_sim, settings) = simulator();
    let e = plugin()
        .execute(&input().to_string(), &settings, r#"{"unknown_outcome_since_ms": "yesterday"}"#)
        .unwrap_err();
    assert_eq!(e.code, "invalid_context");
    assert!(e.message.contains("unknown_outcome_since_ms"), "{e}");
}
