//! What the simulator's session, page and webhook tests share: plain HTTP to it, and the data of
//! Plaid's sandbox test user.
#![allow(dead_code)] // each test file uses its part

use std::time::{Duration, Instant};

use plaid_idv_simulator::{self as simulator, Simulator};
use plaid_idv_test_support::http_agent;
use serde_json::{json, Value};

pub const TEMPLATE: &str = "idvtmp_sessions";

/// Status and JSON body of a POST with the default credentials (and `extra` headers).
pub fn post(sim: &Simulator, path: &str, body: &Value, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut request = http_agent(Duration::from_secs(10))
        .post(format!("{}{path}", sim.url()))
        .header("Content-Type", "application/json")
        .header("PLAID-CLIENT-ID", simulator::DEFAULT_CLIENT_ID)
        .header("PLAID-SECRET", simulator::DEFAULT_SECRET);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body.to_string()).expect("an HTTP answer");
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().expect("a body");
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")))
}

/// A 200 answer of a Plaid endpoint.
pub fn api(sim: &Simulator, endpoint: &str, body: Value) -> Value {
    let (status, answer) = post(sim, &format!("/identity_verification/{endpoint}"), &body, &[]);
    assert_eq!(status, 200, "{endpoint}: {answer}");
    answer
}

pub fn retry(sim: &Simulator, user: &str) -> Value {
    api(sim, "retry", json!({"client_user_id": user, "template_id": TEMPLATE, "strategy": "reset"}))
}

pub fn get(sim: &Simulator, id: &Value) -> Value {
    api(sim, "get", json!({"identity_verification_id": id}))
}

/// The control route: a person completes the session.
pub fn complete(sim: &Simulator, id: &Value, body: Value) -> (u16, Value) {
    post(sim, &format!("/sim/sessions/{}/complete", id.as_str().unwrap()), &body, &[])
}

pub fn step<'a>(session: &'a Value, name: &str) -> &'a str {
    session["steps"][name].as_str().unwrap()
}

/// Plaid's sandbox test user, in the `user` object's shape.
pub fn leslie() -> Value {
    json!({
        "email_address": "leslie@example.com",
        "phone_number": "+12345678909",
        "date_of_birth": "1975-01-18",
        "name": {"given_name": "Leslie", "family_name": "Knope"},
        "address": {"street": "123 Main St.", "city": "Pawnee", "region": "IN", "postal_code": "46001", "country": "US"},
        "id_number": {"value": "123456789", "type": "us_ssn"},
    })
}

/// Waits (polling, bounded) until `done` holds; false when it never did.
pub fn eventually(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < bound {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
