//! The crate's one error type: a machine code and one sentence, safe to show anywhere.

use std::fmt;

use plaid_idv_retry_interface::{ErrorCode, PluginError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }

    /// Malformed JSON: serde's message gives line and column but never echoes the text.
    pub fn invalid_json(what: &str, e: &serde_json::Error) -> Self {
        Error::new(ErrorCode::InvalidJson, format!("{what} is not valid JSON ({e})"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

impl From<Error> for PluginError {
    fn from(e: Error) -> Self {
        PluginError::new(e.code, e.message)
    }
}
