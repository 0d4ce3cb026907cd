//! The get task's input: the session's id (and the credentials, where Plaid allows them in the
//! body). Read, checked against `schema/get.input.schema.json` and reported as the retry's input
//! is: the same parsing, the same messages, the schema the one authority on validity.

use std::sync::LazyLock;

use serde_json::Value;

use super::{issue, options, parse, tidy, written, Issue, Report};
use crate::schema;

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::GET_INPUT).expect("the embedded get schema is JSON");
    options().build(&schema).expect("the embedded get schema compiles")
});

/// What the exported `task_validate` answers for the get task.
pub fn report_json(text: &str) -> String {
    written(&read(text).0)
}

/// The report, with the input as JSON when it is JSON: execute's one way in.
pub(crate) fn read(text: &str) -> (Report, Option<Value>) {
    match parse(text) {
        Ok(input) => (check(&input), Some(input)),
        Err(issue) => (Report::stopped(issue), None),
    }
}

fn check(input: &Value) -> Report {
    let mut errors: Vec<Issue> =
        VALIDATOR.iter_errors(input).flat_map(|e| issue::from_error(&e, input)).collect();
    tidy(&mut errors);
    let mut warnings = warnings(input);
    tidy(&mut warnings);
    Report { valid: errors.is_empty(), errors, warnings }
}

/// Plaid documents the id only as a string, so its shape is a warning and the value is sent
/// (an id Plaid does not know is answered with an error, at no cost).
fn warnings(input: &Value) -> Vec<Issue> {
    let Some(id) = input.get("identity_verification_id").and_then(Value::as_str) else { return Vec::new() };
    let path = "/identity_verification_id";
    let message = match id {
        "" => "identity_verification_id is empty: it names no session.",
        _ if !id.starts_with("idv_") => {
            "identity_verification_id does not start with idv_, as Plaid's Identity Verification IDs do."
        }
        _ => return Vec::new(),
    };
    vec![Issue::new(path, "unusual_id", message)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(input: Value) -> Report {
        read(&input.to_string()).0
    }

    #[test]
    fn an_id_is_all_it_needs() {
        let r = report(json!({"identity_verification_id": "idv_52xR9LKo77r1Np"}));
        assert!(r.valid && r.errors.is_empty() && r.warnings.is_empty(), "{r:?}");
        let r = report(json!({"identity_verification_id": "idv_1", "client_id": "c", "secret": "s"}));
        assert!(r.valid && r.warnings.is_empty(), "{r:?}");
    }

    #[test]
    fn errors_name_the_field_and_never_its_value() {
        let r = report(json!({}));
        assert_eq!(
            (r.errors[0].path.as_str(), r.errors[0].rule.as_str()),
            ("/identity_verification_id", "required")
        );
        assert_eq!(r.errors[0].message, "identity_verification_id is required.");
        let r = report(json!({"identity_verification_id": 7, "canary-key": "canary-value"}));
        let rules: Vec<(&str, &str)> = r.errors.iter().map(|i| (i.path.as_str(), i.rule.as_str())).collect();
        assert_eq!(rules, [("/canary-key", "unknown_field"), ("/identity_verification_id", "type")]);
        assert!(!serde_json::to_string(&r).unwrap().contains("canary-value"));
        let r = report(json!(["idv_1"]));
        assert_eq!((r.valid, r.errors[0].rule.as_str()), (false, "type"));
        assert_eq!(read("{").0.errors[0].rule, "json_syntax");
    }

    #[test]
    fn an_unusual_id_is_a_warning_and_stays_valid() {
        for id in ["", "session-1"] {
            let r = report(json!({"identity_verification_id": id}));
            assert!(r.valid, "{r:?}");
            assert_eq!(
                (r.warnings[0].path.as_str(), r.warnings[0].rule.as_str()),
                ("/identity_verification_id", "unusual_id")
            );
        }
    }
}
