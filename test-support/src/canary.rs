//! Canary values (a secret and personal data no output may ever contain), the inputs and settings
//! that carry them, Plaid-shaped answers for the raw server, and `execute` with the leak check.

use std::time::SystemTime;

use serde_json::{json, Value};

use crate::{plugin, rfc3339};

pub const CANARY_SECRET: &str = "canary-secret-5f1e9b27";
pub const CANARY_PERSONAL: [&str; 9] = [
    "canary.mail@example.com",
    "+12025550147",
    "1961-02-03",
    "Canarygiven",
    "Canaryfamily",
    "17 Canary Lane",
    "Canaryville",
    "98765432",
    "55555",
];

/// A full retry input whose personal values are all canaries.
pub fn canary_input() -> Value {
    json!({
        "client_user_id": "user-7c1d",
        "template_id": "idvtmp_52xR9LKo77r1Np",
        "strategy": "reset",
        "user": {
            "email_address": CANARY_PERSONAL[0],
            "phone_number": CANARY_PERSONAL[1],
            "date_of_birth": CANARY_PERSONAL[2],
            "name": {"given_name": CANARY_PERSONAL[3], "family_name": CANARY_PERSONAL[4]},
            "address": {"street": CANARY_PERSONAL[5], "city": CANARY_PERSONAL[6], "region": "IN",
                        "postal_code": CANARY_PERSONAL[8], "country": "US"},
            "id_number": {"value": format!("1{}", CANARY_PERSONAL[7]), "type": "us_ssn"}
        }
    })
}

pub fn settings(base_url: &str, extra: Value) -> String {
    let mut s = json!({"base_url": base_url, "client_id": "client-abc", "secret": CANARY_SECRET});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        s[k] = v;
    }
    s.to_string()
}

/// An attempt as Plaid's list and retry return it (no personal data: the tests scan for leaks).
pub fn attempt(id: &str, previous: Option<&str>, created: SystemTime) -> Value {
    json!({
        "id": id,
        "client_user_id": "user-7c1d",
        "created_at": rfc3339(created),
        "completed_at": null,
        "previous_attempt_id": previous,
        "shareable_url": null,
        "template": {"id": "idvtmp_52xR9LKo77r1Np", "version": 2},
        "status": "active",
    })
}

pub fn plaid_error(error_type: &str, code: &str) -> Value {
    json!({
        "error_type": error_type, "error_code": code, "error_message": format!("{code} happened"),
        "display_message": null, "request_id": format!("req-{code}")
    })
}

/// Runs execute through the loaded `.so` and returns the task result; asserts no canary leaked.
pub fn execute(input: &Value, settings: &str, context: &Value) -> Value {
    let text =
        plugin().execute(&input.to_string(), settings, &context.to_string()).expect("execute answered");
    assert_no_canary(&text);
    serde_json::from_str(&text).expect("task result is JSON")
}

pub fn assert_no_canary(text: &str) {
    assert!(!text.contains(CANARY_SECRET), "the secret leaked: {text}");
    for c in CANARY_PERSONAL {
        assert!(!text.contains(c), "personal value {c} leaked: {text}");
    }
}
