//! plaid-idv-temporal's exit codes, each with one name: what a script calling it branches on.
//! The numbers are host-sim's, so a script treats both engines alike.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did its job: the worker drained, every input was submitted (with `submit
    /// --wait`: every task completed).
    Success = 0,
    /// With `submit --wait`: some task failed retryably (its attempts ran out) or did not finish.
    Incomplete = 1,
    /// The command could not do its job: bad usage (clap's own exit code), a file it cannot read,
    /// a plugin that does not load, a Temporal server it cannot reach.
    Error = 2,
    /// Some task failed terminally (do not retry it), or an input line was not JSON.
    Terminal = 3,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the CLI contract (docs/temporal.md): scripts branch on them.
    #[test]
    fn codes_are_the_documented_numbers() {
        let codes = [Exit::Success, Exit::Incomplete, Exit::Error, Exit::Terminal].map(|e| e as u8);
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
