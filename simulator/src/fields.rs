//! The request body: a JSON object sent as `application/json`, and its fields checked one by one
//! with Plaid's errors (`UNKNOWN_FIELDS`, `MISSING_FIELDS`, `INVALID_FIELD`) naming the field by its
//! path, never its value.

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::plaid_error::PlaidError;

/// `INVALID_BODY` unless the body is a JSON object sent as `application/json`.
pub(crate) fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, PlaidError> {
    let content_type =
        headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(PlaidError::invalid_body(
            "body could not be parsed as JSON: the Content-Type must be application/json",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(PlaidError::invalid_body("body could not be parsed as JSON: it must be a JSON object")),
        Err(e) => Err(PlaidError::invalid_body(format!(
            "body could not be parsed as JSON: {} at line {} column {}",
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end of input",
                serde_json::error::Category::Io => "unreadable input",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "invalid data",
            },
            e.line(),
            e.column()
        ))),
    }
}

/// A JSON object's fields, checked one by one; errors name the field by its path.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    /// The request body's top level.
    pub(crate) fn root(map: &'a Map<String, Value>) -> Self {
        Fields { map, path: "" }
    }

    pub(crate) fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// `UNKNOWN_FIELDS` for keys outside `known`, then `MISSING_FIELDS` for absent or null `required` ones.
    pub(crate) fn expect(&self, required: &[&str], optional: &[&str]) -> Result<(), PlaidError> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
            .map(|k| self.name(k))
            .collect();
        if !unknown.is_empty() {
            return Err(PlaidError::unknown_fields(&unknown));
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|k| self.map.get(**k).is_none_or(Value::is_null))
            .map(|k| self.name(k))
            .collect();
        if !missing.is_empty() {
            return Err(PlaidError::missing_fields(&missing));
        }
        Ok(())
    }

    pub(crate) fn invalid(&self, key: &str, what: &str) -> PlaidError {
        PlaidError::invalid_field(format!("{} must be {what}", self.name(key)))
    }

    /// A string or absent/null.
    pub(crate) fn string(&self, key: &str) -> Result<Option<&'a str>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.invalid(key, "a string")),
        }
    }

    /// A string with at least one non-whitespace character.
    pub(crate) fn text(&self, key: &str) -> Result<Option<&'a str>, PlaidError> {
        match self.string(key)? {
            Some(s) if s.trim().is_empty() => Err(self.invalid(key, "a non-empty string")),
            other => Ok(other),
        }
    }

    pub(crate) fn required_text(&self, key: &str) -> Result<&'a str, PlaidError> {
        self.text(key)?.ok_or_else(|| PlaidError::missing_fields(&[self.name(key)]))
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<Option<bool>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.invalid(key, "a boolean")),
        }
    }

    pub(crate) fn object(&self, key: &str, path: &'a str) -> Result<Option<Fields<'a>>, PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, path })),
            Some(_) => Err(self.invalid(key, "an object")),
        }
    }

    /// A field this simulator does not support: accepted only when absent or null.
    pub(crate) fn unsupported(&self, key: &str, why: &str) -> Result<(), PlaidError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(()),
            Some(_) => Err(PlaidError::invalid_field(format!(
                "{} is not supported by the simulator: {why}",
                self.name(key)
            ))),
        }
    }
}
