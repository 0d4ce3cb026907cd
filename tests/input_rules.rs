//! docs/input-rules.md lists every input rule with its source and class. This test reads the
//! table back and holds the plugin to it: every error and warning the plugin reports on the whole
//! case table is a row of the table with that class, every row is reported by some input, and the
//! schema's warning rules (`$defs/warnings`) are exactly the table's rows checked there.

use std::collections::BTreeSet;

use plaid_idv_test_support::{cases::table, plugin, workspace_root as root};
use serde_json::{json, Value};

struct Row {
    fields: Vec<String>,
    rules: Vec<String>,
    class: String,
    checked_by: String,
}

fn rows() -> Vec<Row> {
    let text =
        std::fs::read_to_string(root().join("docs/input-rules.md")).expect("docs/input-rules.md exists");
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("| Field |") {
            in_table = true;
            continue;
        }
        if !in_table || line.starts_with("| ---") {
            continue;
        }
        if !line.starts_with('|') {
            break;
        }
        // Cells split on `|` not escaped as `\|`.
        let cells: Vec<String> = line
            .trim_matches('|')
            .replace("\\|", "\u{1}")
            .split('|')
            .map(|c| c.trim().replace('\u{1}', "|"))
            .collect();
        assert!(cells.len() == 6, "a row of six cells: {line}");
        let list = |cell: &str| cell.trim_matches('`').split(", ").map(str::to_owned).collect::<Vec<_>>();
        rows.push(Row {
            fields: list(&cells[0]),
            rules: list(&cells[1]),
            class: cells[2].clone(),
            checked_by: cells[3].trim_matches('`').to_owned(),
        });
    }
    assert!(rows.len() >= 40, "{} rows", rows.len());
    rows
}

/// A report's field against a row's: `(the body)` is the root, a lone `*` any field, and `*` in a
/// pointer any one segment.
fn matches(pattern: &str, path: &str) -> bool {
    match pattern {
        "(the body)" => path.is_empty(),
        "*" => true,
        _ => {
            let (a, b): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
            a.len() == b.len() && a.iter().zip(&b).all(|(p, s)| *p == "*" || p == s)
        }
    }
}

#[test]
fn every_reported_rule_is_a_row_of_its_class_and_every_row_is_reported() {
    let rows = rows();
    let mut seen = vec![false; rows.len()];
    let mut unlisted = BTreeSet::new();
    let mut check = |name: &str, report: &Value| {
        for (list, class) in [("errors", "error"), ("warnings", "warning")] {
            for issue in report[list].as_array().unwrap() {
                let (path, rule) = (issue["path"].as_str().unwrap(), issue["rule"].as_str().unwrap());
                let row = rows.iter().position(|r| {
                    r.class == class
                        && r.rules.iter().any(|x| x == rule)
                        && r.fields.iter().any(|f| matches(f, path))
                });
                match row {
                    Some(i) => seen[i] = true,
                    None => {
                        unlisted.insert(format!("{name}: {class} {rule} at {path:?}"));
                    }
                }
            }
        }
    };
    for case in table() {
        let report: Value =
            serde_json::from_str(&plugin().validate(&case.input.to_string()).unwrap()).unwrap();
        check(&case.name, &report);
    }
    // What the case table cannot hold: text that is not JSON, and a body over the cap.
    for (name, text) in [("not JSON", "{".to_owned()), ("too big", format!("[{}]", " ".repeat(1 << 20)))] {
        let report: Value = serde_json::from_str(&plugin().validate(&text).unwrap()).unwrap();
        check(name, &report);
    }
    // What execute rewrites with normalize_input on: its warnings, with nothing sent (refused port).
    let input = json!({"client_user_id": "user-1", "template_id": "idvtmp_1", "strategy": "reset",
        "user": {"address": {"street": "1 Main St", "city": "Pawnee", "region": "us-in", "postal_code": "46001-",
                             "country": "us"},
                 "id_number": {"type": "us_ssn", "value": "123-45-6789"}}});
    let settings = json!({"base_url": plaid_idv_test_support::refused_url(), "client_id": "c", "secret": "s",
                          "normalize_input": true});
    let result =
        plugin().execute(&input.to_string(), &settings.to_string(), r#"{"attempt": 1, "timeout_ms": 5000}"#);
    let result: Value = serde_json::from_str(&result.unwrap()).unwrap();
    check("normalized", &result["output"]["validation"]);

    assert!(
        unlisted.is_empty(),
        "reported but not in docs/input-rules.md:\n{}",
        Vec::from_iter(unlisted).join("\n")
    );
    let unseen: Vec<String> = rows
        .iter()
        .zip(&seen)
        .filter(|(_, s)| !**s)
        .map(|(r, _)| format!("{:?} {:?}", r.fields, r.rules))
        .collect();
    assert!(
        unseen.is_empty(),
        "rows no input reports (add a case to tests/cases/validate.json):\n{}",
        unseen.join("\n")
    );
}

#[test]
fn the_schemas_warning_rules_are_the_tables() {
    let schema: Value = serde_json::from_str(&plugin().input_schema().unwrap()).unwrap();
    let in_schema: BTreeSet<String> =
        schema["$defs"]["warnings"].as_object().unwrap().keys().cloned().collect();
    let in_table: BTreeSet<String> = rows()
        .into_iter()
        .filter(|r| r.checked_by == "$defs/warnings")
        .inspect(|r| assert_eq!(r.class, "warning", "{:?}", r.rules))
        .flat_map(|r| r.rules)
        .collect();
    assert_eq!(in_schema, in_table);
    for (rule, def) in schema["$defs"]["warnings"].as_object().unwrap() {
        let message = def["description"].as_str().unwrap_or_default();
        assert!(message.ends_with('.') && message.len() < 240, "{rule}: {message:?}");
    }
}
