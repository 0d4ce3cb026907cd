//! The exported `validate`, through the loaded plugin: the case table, the report's promises
//! (order, no echoed personal data or secrets), hostile inputs, and the schema itself.

use std::time::{Duration, Instant};

use plaid_idv_test_support::{
    cases::{pairs, table},
    plugin, tool, workspace_root as root,
};
use serde_json::{json, Value};

fn report(text: &str) -> Value {
    let answer = plugin().validate(text).expect("validate answers a report, not a PluginError");
    serde_json::from_str(&answer).expect("the report is JSON")
}

#[test]
fn every_case_in_the_table() {
    let mut failures = Vec::new();
    for case in table() {
        let r = report(&case.input.to_string());
        let errors = pairs(&r["errors"]).unwrap();
        let mut wrong = Vec::new();
        if r["valid"] != case.valid {
            wrong.push(format!("valid is {}", r["valid"]));
        }
        if errors != case.errors {
            wrong.push(format!("errors {errors:?}, expected {:?}", case.errors));
        }
        if let Some(expected) = &case.warnings {
            let warnings = pairs(&r["warnings"]).unwrap();
            if &warnings != expected {
                wrong.push(format!("warnings {warnings:?}, expected {expected:?}"));
            }
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.name, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_table_covers_every_id_type() {
    let schema: Value = serde_json::from_str(&plugin().input_schema().unwrap()).unwrap();
    let types = schema.pointer("/$defs/id_number/properties/type/enum").unwrap().as_array().unwrap().clone();
    assert_eq!(types.len(), 36);
    let cases = table();
    for t in types {
        for valid in [true, false] {
            assert!(
                cases.iter().any(|c| c.valid == valid && c.input.pointer("/user/id_number/type") == Some(&t)),
                "no {} case for {t}",
                if valid { "valid" } else { "invalid" }
            );
        }
    }
}

#[test]
fn errors_come_sorted_by_path_then_rule_and_each_is_one_sentence() {
    for case in table() {
        let r = report(&case.input.to_string());
        for list in ["errors", "warnings"] {
            let items = r[list].as_array().unwrap();
            let keys: Vec<(String, String)> = items
                .iter()
                .map(|i| (i["path"].as_str().unwrap().into(), i["rule"].as_str().unwrap().into()))
                .collect();
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(keys, sorted, "{}: {list} not sorted and unique", case.name);
            for i in items {
                let m = i["message"].as_str().unwrap();
                assert!(m.ends_with('.') && !m.contains('\n') && m.len() < 240, "{}: {m:?}", case.name);
            }
        }
    }
}

/// Canary values in every personal and secret field, each field invalid or the input invalid
/// around it: no report text may carry any of them.
#[test]
fn reports_never_echo_personal_data_or_secrets() {
    let canary = "CanaryZq";
    let inputs = [
        json!({"client_user_id": "canaryzq@example.com", "template_id": "idvtmp_x", "strategy": "custom",
               "secret": "CanaryZq-secret", "client_id": "CanaryZq-client",
               "steps": {"verify_sms": "CanaryZq", "kyc_check": true, "documentary_verification": true, "selfie_check": true},
               "user": {"email_address": " CanaryZq@example.com", "phone_number": "+1CanaryZq",
                        "date_of_birth": "CanaryZq-01-01",
                        "name": {"given_name": "CanaryZq".repeat(20), "family_name": "\u{a0}"},
                        "address": {"street": "CanaryZq".repeat(20), "street2": "CanaryZq".repeat(10),
                                    "city": "CanaryZq".repeat(20), "region": "CanaryZq", "postal_code": "CanaryZq!",
                                    "country": "CanaryZq"},
                        "id_number": {"type": "CanaryZq", "value": "CanaryZq"}}}),
        json!({"client_user_id": 1, "template_id": "x", "strategy": "CanaryZq", "secret": "CanaryZq",
               "user": {"id_number": {"type": "us_ssn", "value": "CanaryZq"}, "address": {"country": "GB", "postal_code": "CanaryZq"}}}),
        json!({"client_user_id": "u", "template_id": "x", "strategy": "reset", "secret": 7, "client_id": ["CanaryZq"],
               "user": {"id_number": {"type": "us_ssn", "value": "666CanaryZq"}, "email_address": "CanaryZq",
                        "name": {"given_name": "CanaryZq"}, "phone_number": ["CanaryZq"]}}),
    ];
    for input in inputs {
        let text = plugin().validate(&input.to_string()).unwrap();
        let r: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(r["valid"], false);
        assert!(r["errors"].as_array().unwrap().len() >= 3);
        assert!(!text.to_lowercase().contains(&canary.to_lowercase()), "a report echoed a canary: {text}");
    }
    // Malformed JSON around a secret: the syntax error names the place, not the text.
    let text = plugin().validate(r#"{"secret": "CanaryZq", "user": {"name": CanaryZq}}"#).unwrap();
    assert!(text.contains("json_syntax") && !text.contains(canary), "{text}");
}

fn assert_one_error(text: &str, rule: &str) -> Duration {
    let started = Instant::now();
    let r = report(text);
    let took = started.elapsed();
    assert_eq!(r["valid"], false);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["rule"], rule, "{r}");
    assert_eq!(errors[0]["path"], "", "{r}");
    took
}

#[test]
fn hostile_inputs_get_a_clear_report_fast() {
    let limit = Duration::from_secs(1);
    assert!(assert_one_error("", "json_syntax") < limit);
    assert!(assert_one_error("{\"client_user_id\": ", "json_syntax") < limit);
    assert!(assert_one_error("not json", "json_syntax") < limit);
    assert!(assert_one_error("{} trailing", "json_syntax") < limit);
    assert!(assert_one_error(&"[".repeat(100_000), "json_syntax") < limit);
    assert!(assert_one_error(&"{\"a\":".repeat(100_000), "json_syntax") < limit);
    assert!(assert_one_error("[]", "type") < limit);
    assert!(assert_one_error("\"reset\"", "type") < limit);
    assert!(assert_one_error("null", "type") < limit);
    assert!(assert_one_error("12", "type") < limit);
    // Over 1 MiB: refused on its size before any parsing, even when it is valid JSON.
    let big = json!({"client_user_id": "u", "template_id": "idvtmp_x", "strategy": "reset",
                     "pad": "x".repeat(1 << 20)})
    .to_string();
    assert!(assert_one_error(&big, "max_size") < limit);
    let just_under = format!(
        "{}{}",
        " ".repeat((1 << 20) - 80),
        json!({"client_user_id": "u", "template_id": "idvtmp_x", "strategy": "reset"})
    );
    assert!(just_under.len() <= 1 << 20);
    assert_eq!(report(&just_under)["valid"], true);
}

#[test]
fn the_schemas_are_valid_2020_12_schemas() {
    let meta = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&json!({"$ref": "https://json-schema.org/draft/2020-12/schema"}))
        .expect("the 2020-12 metaschema is bundled");
    for (name, text) in
        [("input", plugin().input_schema().unwrap()), ("output", plugin().output_schema().unwrap())]
    {
        let schema: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> =
            meta.iter_errors(&schema).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name} schema: {errors:?}");
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
        assert!(schema["$id"].as_str().unwrap().ends_with(&format!("/{name}.schema.json")));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{name} schema does not compile: {e}"));
    }
}

/// The schema's own examples are inputs it accepts.
#[test]
fn the_schema_examples_are_valid_inputs() {
    let schema: Value = serde_json::from_str(&plugin().input_schema().unwrap()).unwrap();
    let examples = schema["examples"].as_array().expect("the input schema has examples");
    assert!(examples.len() >= 2);
    for example in examples {
        let r = report(&example.to_string());
        assert_eq!(r["valid"], true, "{example}: {r}");
    }
}

/// Every property of the input schema has a title and a description.
#[test]
fn every_input_field_is_documented() {
    fn walk(node: &Value, at: &str, missing: &mut Vec<String>) {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            for (name, field) in props {
                let here = format!("{at}/{name}");
                let target = match field.get("$ref").and_then(Value::as_str) {
                    Some(r) => ROOT.with(|root| root.pointer(r.trim_start_matches('#')).cloned().unwrap()),
                    None => field.clone(),
                };
                if target.get("title").is_none() || target.get("description").is_none() {
                    missing.push(here.clone());
                }
                walk(&target, &here, missing);
            }
        }
    }
    thread_local!(static ROOT: Value = serde_json::from_str(&plugin().input_schema().unwrap()).unwrap());
    let mut missing = Vec::new();
    ROOT.with(|root| walk(root, "", &mut missing));
    assert!(missing.is_empty(), "undocumented fields: {missing:?}");
}

/// The committed input and output schemas are what schema/generate.py makes from schema/data/.
#[test]
fn the_committed_input_schema_is_generated() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let out = std::process::Command::new(python)
        .arg(root().join("schema/generate.py"))
        .arg("--check")
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The committed subdivision table is what schema/subdivisions.py extracts from its pinned source
/// (tests/requirements.txt installs it into the test venv).
#[test]
fn the_committed_subdivision_table_is_extracted_from_its_pinned_source() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let out = std::process::Command::new(python)
        .arg(root().join("schema/subdivisions.py"))
        .arg("--check")
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The committed description of Plaid's API (schema/data/plaid.json, which both schemas are
/// generated from) is what schema/plaid_spec.py extracts from the pinned plaid-python: a new
/// release pinned, or the table edited by hand, fails here until both are regenerated.
#[test]
fn the_committed_plaid_description_is_extracted_from_the_pinned_client() {
    let python = tool("PLAID_IDV_TEST_PYTHON");
    let out = std::process::Command::new(python)
        .arg(root().join("schema/plaid_spec.py"))
        .arg("--check")
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Median time of the exported `validate` through the loaded plugin. Measure on a release build:
/// `cargo test --release --test validate -- --ignored --nocapture median_validate_time`
#[test]
#[ignore = "a measurement, not a check"]
fn median_validate_time() {
    let minimal = json!({"client_user_id": "user-3b24110", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset"});
    let full =
        table().into_iter().find(|c| c.name == "full input").expect("the table has a full input").input;
    for (name, input) in [("minimal", minimal), ("full", full)] {
        let text = input.to_string();
        for _ in 0..200 {
            plugin().validate(&text).unwrap();
        }
        let mut times: Vec<Duration> = (0..2001)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(plugin().validate(std::hint::black_box(&text)).unwrap());
                started.elapsed()
            })
            .collect();
        times.sort();
        eprintln!(
            "validate {name} input ({} bytes): median {:?}, p90 {:?}",
            text.len(),
            times[1000],
            times[1800]
        );
    }
}
