//! Sessions that live as Plaid's do: create and retry open them `active`; the person completes
//! them later (here through the control route, or `auto_complete`); `get` and `list` show them as
//! they move; a newer retry cancels an active one; an active one expires after the window.

mod common;

use std::time::Duration;

use common::*;
use plaid_idv_simulator::{AutoComplete, Outcome, SimulatorConfig, Status};
use plaid_idv_test_support::{seeded_simulator, simulator_config};
use serde_json::json;

#[test]
fn a_retry_opens_an_active_session_that_the_test_user_completes_to_success() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let opened = retry(&sim, "u");
    assert_eq!(opened["status"], "active");
    assert!(opened["completed_at"].is_null() && opened["kyc_check"].is_null());
    assert_eq!(step(&opened, "accept_tos"), "active");
    for waiting in ["verify_sms", "kyc_check", "watchlist_screening", "risk_check"] {
        assert_eq!(step(&opened, waiting), "waiting_for_prerequisite", "{waiting}");
    }
    assert_eq!(get(&sim, &opened["id"])["status"], "active", "nobody completed it yet");

    let (status, done) = complete(&sim, &opened["id"], json!({"outcome": "success"}));
    assert_eq!(status, 200, "{done}");
    let got = get(&sim, &opened["id"]);
    assert_eq!((got["status"].as_str(), done["status"].as_str()), (Some("success"), Some("success")));
    assert!(got["completed_at"].is_string());
    assert_eq!(got["kyc_check"]["status"], "success");
    assert_eq!(got["user"]["name"]["given_name"], "Leslie", "what the person typed is the session's data");
    for passed in ["accept_tos", "verify_sms", "kyc_check", "watchlist_screening", "risk_check"] {
        assert_eq!(step(&got, passed), "success", "{passed}");
    }
    let listed = api(&sim, "list", json!({"client_user_id": "u", "template_id": TEMPLATE}));
    assert_eq!(listed["identity_verifications"][1]["status"], "success", "list shows it moved too");
}

#[test]
fn other_data_fails_and_so_does_the_failed_outcome() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE), ("v", TEMPLATE)]);
    let opened = retry(&sim, "u");
    let mut ann = leslie();
    ann["name"] = json!({"given_name": "Ann", "family_name": "Perkins"});
    let (status, done) = complete(&sim, &opened["id"], json!({"user": ann}));
    assert_eq!(status, 200, "{done}");
    let got = get(&sim, &opened["id"]);
    assert_eq!(got["status"], "failed");
    assert_eq!(step(&got, "kyc_check"), "failed");
    assert_eq!(got["kyc_check"]["name"]["summary"], "no_match");
    assert_eq!(step(&got, "watchlist_screening"), "waiting_for_prerequisite");
    assert!(got["completed_at"].is_string());

    let other = retry(&sim, "v");
    complete(&sim, &other["id"], json!({"outcome": "failed"}));
    assert_eq!(get(&sim, &other["id"])["status"], "failed");
}

#[test]
fn a_newer_retry_cancels_the_active_session_it_supersedes() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let first = retry(&sim, "u");
    let second = retry(&sim, "u");
    assert_eq!(second["previous_attempt_id"], first["id"]);
    let superseded = get(&sim, &first["id"]);
    assert_eq!(superseded["status"], "canceled");
    assert_eq!(step(&superseded, "accept_tos"), "canceled", "the step the person was on");
    assert_eq!(step(&superseded, "verify_sms"), "waiting_for_prerequisite");
    assert!(superseded["completed_at"].is_string());
    assert_eq!(get(&sim, &second["id"])["status"], "active");

    // A finished session is history: a retry after it changes nothing about it.
    complete(&sim, &second["id"], json!({"outcome": "success"}));
    retry(&sim, "u");
    assert_eq!(get(&sim, &second["id"])["status"], "success");
}

#[test]
fn an_active_session_expires_after_the_window_and_a_finished_one_does_not() {
    let sim = seeded_simulator(
        SimulatorConfig { expire_after: Some(Duration::from_millis(300)), ..simulator_config() },
        &[("u", TEMPLATE), ("v", TEMPLATE)],
    );
    let left = retry(&sim, "u");
    let finished = retry(&sim, "v");
    complete(&sim, &finished["id"], json!({"outcome": "success"}));
    assert!(
        eventually(Duration::from_secs(10), || get(&sim, &left["id"])["status"] == "expired"),
        "the session never expired"
    );
    let expired = get(&sim, &left["id"]);
    assert_eq!(step(&expired, "accept_tos"), "expired");
    assert!(expired["completed_at"].is_string());
    assert_eq!(get(&sim, &finished["id"])["status"], "success");
    let (status, refused) = complete(&sim, &left["id"], json!({"outcome": "success"}));
    assert_eq!((status, refused["error_code"].as_str()), (400, Some("INVALID_FIELD")), "{refused}");
}

#[test]
fn without_a_window_sessions_never_expire() {
    assert_eq!(SimulatorConfig::default().expire_after, None, "Plaid: sessions currently do not expire");
}

#[test]
fn auto_complete_plays_the_person_after_a_while() {
    let sim = seeded_simulator(
        SimulatorConfig {
            auto_complete: Some(AutoComplete { outcome: Outcome::Failed, after: Duration::from_millis(100) }),
            ..simulator_config()
        },
        &[("u", TEMPLATE)],
    );
    let opened = retry(&sim, "u");
    assert_eq!(opened["status"], "active", "the answer comes before the person");
    assert!(eventually(Duration::from_secs(10), || get(&sim, &opened["id"])["status"] == "failed"));
    assert_eq!(sim.attempts("u", TEMPLATE)[1].status, Status::Failed);
}

#[test]
fn the_control_route_refuses_what_it_cannot_do_and_changes_nothing() {
    let sim = seeded_simulator(simulator_config(), &[("u", TEMPLATE)]);
    let opened = retry(&sim, "u");
    let id = opened["id"].as_str().unwrap();
    for (body, code) in [
        (json!({"outcome": "maybe"}), "INVALID_FIELD"),
        (json!({"outcome": "success", "user": leslie()}), "INVALID_FIELD"),
        (json!({}), "INVALID_FIELD"),
        (json!({"outcome": "success", "colour": 1}), "UNKNOWN_FIELDS"),
    ] {
        let (status, answer) = complete(&sim, &opened["id"], body.clone());
        assert_eq!((status, answer["error_code"].as_str()), (400, Some(code)), "{body}: {answer}");
    }
    let (status, answer) = post(
        &sim,
        &format!("/sim/sessions/{id}/complete"),
        &json!({"outcome": "success", "secret": "wrong"}),
        &[],
    );
    assert_eq!((status, answer["error_code"].as_str()), (400, Some("INVALID_API_KEYS")));
    let (status, answer) = post(
        &sim,
        &format!("/sim/sessions/{id}/complete"),
        &json!({"outcome": "success"}),
        &[("Origin", "http://evil.example")],
    );
    assert_eq!(status, 400, "a browser page never drives it: {answer}");
    let (status, _) = complete(&sim, &json!("idv_nope"), json!({"outcome": "success"}));
    assert_eq!(status, 404);
    let (status, _) = post(&sim, "/sim/sessions/x/explode", &json!({}), &[]);
    assert_eq!(status, 404);
    assert_eq!(get(&sim, &opened["id"])["status"], "active", "nothing above moved it");
}
