//! What host-sim's engine adds around the interface's retry loop (`run_task`): how long it gives
//! one `execute`, and task inputs that cannot cross the ABI.

use std::time::Duration;

use plaid_idv_retry_interface::{run_task, LatestAttempts, Outcome, Plugin, RetryPolicy, TaskResult};

use crate::{error::Failure, task_input::TaskInput};

/// What an engine allows one task (an `execute` call) before it gives up on the plugin.
pub const TASK_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a task input to its end: text through `run_task`; bytes that cannot be JSON text are
/// refused the way `execute` refuses malformed JSON (terminal after one attempt, nothing sent).
pub fn run_input(
    plugin: &Plugin,
    input: &TaskInput,
    settings: &str,
    policy: RetryPolicy,
    task_timeout: Duration,
    latest: &LatestAttempts,
) -> Result<Outcome, Failure> {
    match input {
        TaskInput::Text(text) => Ok(run_task(plugin, text, settings, policy, task_timeout, latest)?),
        TaskInput::NotJson(report) => {
            let text = TaskInput::refused(report, 1).to_json();
            let verdict = TaskResult::read(&text)?;
            Ok(Outcome::new(text, verdict, 1, Vec::new()))
        }
    }
}
