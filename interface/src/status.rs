//! How a task ended, in the words engines use: Conductor-style engines retry `FAILED` and never
//! retry `FAILED_WITH_TERMINAL_ERROR`.

words! {
    pub enum TaskStatus {
        Completed = "COMPLETED",
        /// Retryable: nothing was created, or Plaid asked to come back later.
        Failed = "FAILED",
        /// Not retryable: the request is wrong, or the outcome is unknown and a re-send could
        /// open a second billed session.
        FailedWithTerminalError = "FAILED_WITH_TERMINAL_ERROR",
    }
}

impl TaskStatus {
    /// The task result's `retryable` flag, for engines that read a flag rather than the status.
    pub fn is_retryable(self) -> bool {
        self == TaskStatus::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_names_are_the_engines_words() {
        for &s in TaskStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(serde_json::from_value::<TaskStatus>(s.as_str().into()).unwrap(), s);
        }
        let refused = serde_json::from_value::<TaskStatus>("canary".into()).unwrap_err().to_string();
        assert!(!refused.contains("canary") && refused.contains("COMPLETED"), "{refused}");
    }
}
