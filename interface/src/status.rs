//! How a task ended, in the words engines use: Conductor-style engines retry `FAILED` and never
//! retry `FAILED_WITH_TERMINAL_ERROR`.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    Completed,
    /// Retryable: nothing was created, or Plaid asked to come back later.
    Failed,
    /// Not retryable: the request is wrong, or the outcome is unknown and a re-send could open a
    /// second billed session.
    FailedWithTerminalError,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Completed => "COMPLETED",
            TaskStatus::Failed => "FAILED",
            TaskStatus::FailedWithTerminalError => "FAILED_WITH_TERMINAL_ERROR",
        }
    }

    /// The task result's `retryable` flag, for engines that read a flag rather than the status.
    pub fn is_retryable(self) -> bool {
        self == TaskStatus::Failed
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_engines_words() {
        for s in [TaskStatus::Completed, TaskStatus::Failed, TaskStatus::FailedWithTerminalError] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
