//! Automation builders validate task inputs with ajv. The input schema must compile in ajv's
//! strict 2020-12 mode, each warning schema too, and ajv must give the same verdict as our
//! validator on the whole table (less the one rule JSON Schema cannot state, libphonenumber's, which
//! the plugin checks), and find the same warnings where the input is valid.
//! Needs Node and tests/ajv's pinned packages: run through tests/run-all.

use std::process::Command;

use plaid_idv_test_support::tool;
use plaid_idv_test_support::{cases::table, plugin, workspace_root as root};
use serde_json::Value;

#[test]
fn ajv_strict_compiles_the_schemas_and_agrees_on_every_case() {
    let dir = tool("PLAID_IDV_TEST_AJV_DIR");
    let out = Command::new("node")
        .arg(dir.join("check.mjs"))
        .arg(root().join("schema/input.schema.json"))
        .arg(root().join("tests/cases/validate.json"))
        .arg(root().join("schema/output.schema.json"))
        .output()
        .expect("node runs (Node 20 is required by tests/run-all)");
    assert!(out.status.success(), "ajv failed: {}", String::from_utf8_lossy(&out.stderr));
    let ajv: Value = serde_json::from_slice(&out.stdout).expect("check.mjs prints JSON");
    let schema: Value = serde_json::from_str(&plugin().input_schema().unwrap()).unwrap();
    let warning_rules: Vec<&String> = schema["$defs"]["warnings"].as_object().unwrap().keys().collect();
    assert!(warning_rules.len() >= 5);
    assert_eq!(ajv["compiled"].as_array().map(Vec::len), Some(2 + warning_rules.len()), "{ajv}");

    // The schema ajv read is the one the plugin serves.
    let served = plugin().input_schema().unwrap();
    let committed = std::fs::read_to_string(root().join("schema/input.schema.json")).unwrap();
    assert_eq!(served, committed);

    let verdicts = ajv["cases"].as_array().expect("cases");
    let cases = table();
    assert_eq!(verdicts.len(), cases.len());
    let mut disagreements = Vec::new();
    for (case, theirs) in cases.iter().zip(verdicts) {
        assert_eq!(theirs["name"], case.name.as_str());
        let ours: Value = serde_json::from_str(&plugin().validate(&case.input.to_string()).unwrap()).unwrap();
        // Valid for the schema: valid, or refused only by the plugin's libphonenumber rule.
        let schema_valid = case.valid || case.errors.iter().all(|(_, rule)| rule == "phone_invalid");
        if theirs["valid"] != schema_valid || ours["valid"] != case.valid {
            disagreements.push(format!(
                "{}: ajv {} ({}), ours {}",
                case.name, theirs["valid"], theirs["errors"], ours["valid"]
            ));
        }
        if case.valid {
            let mut mine: Vec<&str> = ours["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|w| w["rule"].as_str())
                .filter(|rule| warning_rules.iter().any(|r| r == rule))
                .collect();
            mine.dedup();
            let theirs: Vec<&str> =
                theirs["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
            let (mut a, mut b) = (mine.clone(), theirs.clone());
            a.sort();
            b.sort();
            if a != b {
                disagreements.push(format!("{}: warnings: ajv {theirs:?}, ours {mine:?}", case.name));
            }
        }
    }
    assert!(disagreements.is_empty(), "ajv and our validator disagree:\n{}", disagreements.join("\n"));
}
