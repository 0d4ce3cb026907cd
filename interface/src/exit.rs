//! The exit codes of the hosts' commands (host-sim, plaid-idv-temporal), each with one name: what
//! a script calling either branches on. One definition, so a script treats both engines alike.

use crate::TaskStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did its job: a valid input, a completed task (for `run` and `submit --wait`:
    /// every task), a worker that drained.
    Success = 0,
    /// An invalid input, or a task that failed retryably (its attempts ran out) or did not finish
    /// (for `run` and `submit --wait`: at least one did).
    Incomplete = 1,
    /// The command could not do its job: bad usage (clap's own code), a file it cannot read, a
    /// plugin that does not load, a server that cannot start or be reached.
    Error = 2,
    /// A task that failed terminally, or an input line that is not JSON: do not retry it.
    Terminal = 3,
}

impl From<TaskStatus> for Exit {
    fn from(status: TaskStatus) -> Exit {
        match status {
            TaskStatus::Completed => Exit::Success,
            TaskStatus::Failed => Exit::Incomplete,
            TaskStatus::FailedWithTerminalError => Exit::Terminal,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the CLI contract (docs/guide.md, docs/temporal.md): scripts branch on them.
    #[test]
    fn codes_are_the_documented_numbers() {
        let code = |status| Exit::from(status) as u8;
        assert_eq!(code(TaskStatus::Completed), 0);
        assert_eq!(code(TaskStatus::Failed), 1);
        assert_eq!(code(TaskStatus::FailedWithTerminalError), 3);
        assert_eq!(Exit::Error as u8, 2);
    }
}
