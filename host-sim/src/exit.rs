//! host-sim's exit codes, each with one name: what a script calling host-sim branches on.

use plaid_idv_retry_interface::TaskStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did its job: a valid input, a completed task.
    Success = 0,
    /// An invalid input, or a task that failed retryably (for `run`: at least one did).
    Incomplete = 1,
    /// Usage, IO or plugin-load errors: the command could not do its job.
    Usage = 2,
    /// A task that failed terminally: do not retry it.
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
