//! Automation builders validate task inputs with ajv. The input schema must compile in ajv's
//! strict 2020-12 mode, and ajv must give the same verdict as our validator on the whole table.
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
    assert_eq!(ajv["compiled"].as_array().map(Vec::len), Some(2), "{ajv}");

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
        if theirs["valid"] != ours["valid"] || ours["valid"] != case.valid {
            disagreements.push(format!(
                "{}: ajv {} ({}), ours {}",
                case.name, theirs["valid"], theirs["errors"], ours["valid"]
            ));
        }
    }
    assert!(disagreements.is_empty(), "ajv and our validator disagree:\n{}", disagreements.join("\n"));
}
