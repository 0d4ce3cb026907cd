//! The engine's arguments to the plugin (the settings, the context, the preset options) arrive
//! as JSON text: empty means `{}`, anything else must be a JSON object, which serde reads into
//! the argument's type. Messages name the field and never quote a value: a setting may be the
//! secret, and serde's own messages quote what they refuse ("invalid type: string \"…\"").

use plaid_idv_retry_interface::ErrorCode;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::Error;

pub struct Argument {
    /// How messages name it: `settings`, `context`, `options`.
    pub name: &'static str,
    pub code: ErrorCode,
    /// What the field at a path must be, for the message; `None` for a key it does not have.
    pub expect: fn(&str) -> Option<String>,
    /// A key it does not have is an unknown `item` (`setting`, `option`), and `unknown` says
    /// where the known ones are.
    pub item: &'static str,
    pub unknown: &'static str,
}

impl Argument {
    pub fn parse<T: DeserializeOwned>(&self, text: &str) -> Result<T, Error> {
        let value = if text.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(text).map_err(|e| Error::invalid_json(self.name, &e))?
        };
        if !value.is_object() {
            return Err(self.invalid(format!("{} must be a JSON object", self.name)));
        }
        // Parsed into a `Value` first: a duplicated key then counts once, as in the schema. Read
        // by reference first: only a refusal needs the path tracked (the context is read on
        // every call).
        T::deserialize(&value).or_else(|_| {
            serde_path_to_error::deserialize(value).map_err(|e| self.field_error(&e.path().to_string()))
        })
    }

    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::new(self.code, message)
    }

    /// The message for the field at `path` (`read_timeout_seconds`, `allowed_hosts[2]`).
    pub fn field_error(&self, path: &str) -> Error {
        let key = path.split(['[', '.']).next().unwrap_or_default();
        match (self.expect)(path) {
            Some(must) => self.invalid(format!("{}.{path} {must}", self.name)),
            None => self.invalid(format!("unknown {} {}; {}", self.item, field_name(key), self.unknown)),
        }
    }
}

/// A key is not a value, but it is still outside text: quote it, short and printable.
pub fn field_name(key: &str) -> String {
    let shown: String = key.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect();
    format!("{shown:?}")
}
