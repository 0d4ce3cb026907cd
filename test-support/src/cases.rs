//! The validation case table (tests/cases/validate.json), shared by the validation tests and the
//! ajv interop test.

use serde_json::Value;

use crate::workspace_root;

pub struct Case {
    pub name: String,
    pub input: Value,
    pub valid: bool,
    pub errors: Vec<(String, String)>,
    pub warnings: Option<Vec<(String, String)>>,
}

/// tests/cases/validate.json: each input with its verdict and its exact (path, rule) errors.
pub fn table() -> Vec<Case> {
    let text = std::fs::read_to_string(workspace_root().join("tests/cases/validate.json"))
        .expect("the case table exists");
    let doc: Value = serde_json::from_str(&text).expect("the case table is JSON");
    doc["cases"]
        .as_array()
        .expect("cases is an array")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("a case has a name").to_owned(),
            input: c["input"].clone(),
            valid: c["valid"].as_bool().expect("a case says whether it is valid"),
            errors: pairs(&c["errors"]).expect("a case lists its errors"),
            warnings: pairs(&c["warnings"]),
        })
        .collect()
}

/// `[{path, rule}]` as sorted pairs, the order the report promises.
pub fn pairs(list: &Value) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = list
        .as_array()?
        .iter()
        .map(|i| (i["path"].as_str().unwrap_or("?").to_owned(), i["rule"].as_str().unwrap_or("?").to_owned()))
        .collect();
    out.sort();
    Some(out)
}
