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
