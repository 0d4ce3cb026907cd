//! host-sim's one error type: what ends a command, printed as one line on stderr.

use plaid_idv_retry_interface::Exit;

#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    /// The command could not do its job (exit 2): usage, IO, plugin-load or server errors.
    pub fn error(message: impl Into<String>) -> Self {
        Failure { exit: Exit::Error, message: message.into() }
    }
}

/// Plugin and load errors, IO errors: each `Display`s as one line that is safe to show.
impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::error(e.to_string())
    }
}
