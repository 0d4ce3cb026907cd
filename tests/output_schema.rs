//! The output schema describes Plaid's 200 body and stays open: a completed, billed retry must
//! never fail because Plaid added a field or an enum value.

use std::time::Duration;

use plaid_idv_test_support::{
    http_agent, plugin, seeded_simulator, simulator_config, workspace_root as root,
};
use serde_json::{json, Value};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&plugin().output_schema().unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn response() -> Value {
    let text = std::fs::read_to_string(root().join("tests/cases/output-200.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_plaid_response_is_valid() {
    let v = validator();
    let errors: Vec<String> =
        v.iter_errors(&response()).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn unknown_enum_values_and_fields_are_valid() {
    let mut r = response();
    r["status"] = json!("a_status_plaid_adds_later");
    r["steps"]["kyc_check"] = json!("another_new_value");
    r["kyc_check"]["address"]["summary"] = json!("fuzzy_match");
    r["a_new_field"] = json!({"nested": [1, 2]});
    r["user"]["a_new_user_field"] = json!(true);
    assert!(validator().is_valid(&r));
}

#[test]
fn nullable_fields_accept_null() {
    let mut r = response();
    for field in [
        "completed_at",
        "previous_attempt_id",
        "shareable_url",
        "documentary_verification",
        "kyc_check",
        "risk_check",
        "beacon_user_id",
    ] {
        r[field] = Value::Null;
    }
    r["kyc_check"] = response()["kyc_check"].clone();
    r["kyc_check"]["id_number"]["ssa_verification"] = Value::Null;
    assert!(validator().is_valid(&r));
}

/// The fields plaid-python 46 added are required where it requires them (its parser fails on an
/// answer without them), and its new selfie age check is described.
#[test]
fn plaid_python_46s_fields_are_required_as_it_requires_them() {
    let v = validator();
    let mut r = response();
    r["kyc_check"]["id_number"].as_object_mut().unwrap().remove("ssa_verification");
    assert!(!v.is_valid(&r), "ssa_verification is required (nullable)");
    let mut r = response();
    r["risk_check"]["email"]["name"] = Value::Null;
    assert!(!v.is_valid(&r), "risk_check.email.name is not nullable");
    let mut r = response();
    let selfie = &mut r["selfie_check"]["selfies"][0]["analysis"];
    selfie["age_check"] = json!({"status": "match", "reported_age": null, "age_estimate_lower_bound": 30, "age_estimate_upper_bound": 38});
    assert!(v.is_valid(&r));
    r["selfie_check"]["selfies"][0]["analysis"]["age_check"].as_object_mut().unwrap().remove("reported_age");
    assert!(!v.is_valid(&r), "age_check.reported_age is required");
}

/// The generator names its source in the schema, and marks what Plaid deprecates.
#[test]
fn the_schema_names_its_source_and_the_deprecated_beacon_field() {
    let schema: Value = serde_json::from_str(&plugin().output_schema().unwrap()).unwrap();
    let comment = schema["$comment"].as_str().unwrap();
    assert!(comment.contains("plaid-python 46.0.0") && comment.contains("2020-09-14_1.778.0"), "{comment}");
    assert_eq!(schema["properties"]["beacon_user_id"]["deprecated"], true);
}

/// Plaid's error body: 40 known error types, and a new one still valid.
#[test]
fn the_error_body_lists_plaids_error_types_and_stays_open() {
    let schema: Value = serde_json::from_str(&plugin().output_schema().unwrap()).unwrap();
    let described = schema.pointer("/$defs/plaid_error/properties/error_type/description").unwrap();
    let known =
        described.as_str().unwrap().split("Known values: ").nth(1).unwrap().split(". ").next().unwrap();
    assert_eq!(known.split(", ").count(), 40, "{known}");
    assert!(known.contains("IDEMPOTENCY_ERROR") && known.contains("CRA_PARTNER_INSIGHTS_ERROR"));
    let error = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&json!({"$ref": "#/$defs/plaid_error", "$defs": schema["$defs"]}))
        .unwrap();
    let body = json!({"error_type": "A_TYPE_PLAID_ADDS_LATER", "error_code": "X", "error_message": "m",
                      "display_message": null, "request_id": "r"});
    assert!(error.is_valid(&body));
    assert!(!error.is_valid(&json!({"error_type": "INVALID_REQUEST", "error_code": "X"})));
}

#[test]
fn a_body_that_is_not_a_session_is_invalid() {
    let v = validator();
    let mut r = response();
    r.as_object_mut().unwrap().remove("id");
    assert!(!v.is_valid(&r));
    let mut r = response();
    r["status"] = json!(3);
    assert!(!v.is_valid(&r));
    let mut r = response();
    r["template"]["version"] = json!("two");
    assert!(!v.is_valid(&r));
    assert!(!v.is_valid(&json!({"error_type": "INVALID_REQUEST", "error_code": "UNKNOWN_FIELDS"})));
}

/// The simulator's answers follow this schema, which follows plaid-python 46: a retry's new
/// session, the same session completed by the sandbox user and by someone else (every check
/// filled), and a Plaid error. Plaid's client reads what this schema accepts.
#[test]
fn the_simulators_answers_follow_the_output_schema() {
    let sim = seeded_simulator(simulator_config(), &[("user-out-1", "idvtmp_out")]);
    let agent = http_agent(Duration::from_secs(20));
    let call = |path: &str, body: Value| -> (u16, Value) {
        let mut body = body;
        body["client_id"] = json!("sim-client-id");
        body["secret"] = json!("sim-secret");
        let mut response = agent
            .post(&format!("{}{path}", sim.url()))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), serde_json::from_str(&text).unwrap())
    };
    let v = validator();
    let check = |what: &str, body: &Value| {
        let errors: Vec<String> =
            v.iter_errors(body).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{what}: {errors:?}");
    };
    for (n, outcome) in ["success", "failed"].into_iter().enumerate() {
        let (status, retried) = call(
            "/identity_verification/retry",
            json!({"client_user_id": "user-out-1", "template_id": "idvtmp_out", "strategy": "reset",
                   "user": {"email_address": "leslie@example.com", "phone_number": "+12345678909",
                            "date_of_birth": "1975-01-18", "name": {"given_name": "Leslie", "family_name": "Knope"},
                            "address": {"street": "123 Main St.", "city": "Pawnee", "region": "IN",
                                        "postal_code": "46001", "country": "US"},
                            "id_number": {"type": "us_ssn", "value": "123456789"}}}),
        );
        assert_eq!(status, 200, "retry {n}: {retried}");
        check("the retry's new session", &retried);
        let id = retried["id"].as_str().unwrap().to_owned();
        let (status, done) = call(&format!("/sim/sessions/{id}/complete"), json!({"outcome": outcome}));
        assert_eq!(status, 200, "complete: {done}");
        let (_, got) = call("/identity_verification/get", json!({"identity_verification_id": id}));
        assert_ne!(got["status"], "active", "{got}");
        check(&format!("a session completed: {outcome}"), &got);
    }
    let (status, error) = call("/identity_verification/get", json!({"identity_verification_id": "idv_none"}));
    assert!(status >= 400, "{error}");
    let schema: Value = serde_json::from_str(&plugin().output_schema().unwrap()).unwrap();
    let plaid_error = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&json!({"$ref": "#/$defs/plaid_error", "$defs": schema["$defs"]}))
        .unwrap();
    assert!(plaid_error.is_valid(&error), "{error}");
}
