//! host-sim's one error type: what ends a command, printed as one line on stderr.

use crate::exit::Exit;

#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    /// Usage, IO or plugin errors (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { exit: Exit::Usage, message: message.into() }
    }
}

/// Plugin and load errors, IO errors: each `Display`s as one line that is safe to show.
impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::usage(e.to_string())
    }
}
