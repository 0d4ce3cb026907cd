//! TEMPORARY stand-in (branch `exec` only; drop this file at merge in favour of the real
//! validator from the schema branch). Same public API; checks only the three required fields so
//! that `execute` can be built and tested before the real validator lands.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub path: String,
    pub message: String,
    pub rule: String,
}

pub fn check(input: &Value) -> Report {
    let mut errors = Vec::new();
    match input.as_object() {
        None => errors.push(Issue {
            path: String::new(),
            message: "the input must be a JSON object".into(),
            rule: "type".into(),
        }),
        Some(object) => {
            for field in ["client_user_id", "template_id", "strategy"] {
                if !object.get(field).is_some_and(Value::is_string) {
                    errors.push(Issue {
                        path: format!("/{field}"),
                        message: format!("{field} is required and must be a string"),
                        rule: "required".into(),
                    });
                }
            }
        }
    }
    Report { valid: errors.is_empty(), errors, warnings: Vec::new() }
}
