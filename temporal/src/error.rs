//! The crate's one error type: what ended a command, as one line for a person.

use std::fmt;

/// A failure that ends a command. The message names what went wrong (a flag, a file, the server)
/// and never quotes a setting's value, so it cannot carry a secret.
#[derive(Debug)]
pub struct Error {
    pub message: String,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error { message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
