//! The output schema describes Plaid's 200 body and stays open: a completed, billed retry must
//! never fail because Plaid added a field or an enum value.

use plaid_idv_test_support::{plugin, workspace_root as root};
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
fn nullable_fields_accept_null_and_the_newer_fields_are_optional() {
    let mut r = response();
    for field in [
        "completed_at",
        "previous_attempt_id",
        "shareable_url",
        "documentary_verification",
        "kyc_check",
        "risk_check",
    ] {
        r[field] = Value::Null;
    }
    assert!(validator().is_valid(&r));
    let mut r = response();
    r["kyc_check"]["id_number"].as_object_mut().unwrap().remove("ssa_verification");
    r["risk_check"]["email"].as_object_mut().unwrap().remove("name");
    assert!(validator().is_valid(&r));
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
