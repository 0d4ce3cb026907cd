//! What an engine does around `execute` when it runs a task's retries itself, as host-sim does
//! and as the plugin's own fault tests drive it: the seed preset's retry policy, the context each
//! attempt is handed, and the loop that runs a task to its end. (An engine with retries of its own,
//! such as Temporal, reads only the vocabulary: the preset, [`Context`], [`TaskResult`].)

use std::{
    fmt, thread,
    time::{Duration, Instant},
};

use serde::de::IgnoredAny;
use serde_json::Value;

use crate::{
    latest_attempts::{LatestAttempts, User},
    Context, Plugin, PluginError, TaskResult, TaskStatus, Unreadable,
};

/// The seed preset's `retry` block: wait `interval × backoff_rate^n` before attempt n+2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
}

impl RetryPolicy {
    /// Read from the plugin's own preset (seed dialect), as an engine pre-fills its task.
    pub fn from_preset(preset: &Value) -> Option<RetryPolicy> {
        let retry = &preset["retry"];
        Some(RetryPolicy {
            interval_seconds: retry["intervalSeconds"].as_f64()?,
            max_attempts: u32::try_from(retry["maxAttempts"].as_u64()?).ok()?.max(1),
            backoff_rate: retry["backoffRate"].as_f64()?,
        })
    }

    /// The wait after failed attempt `attempt` (1-based), never shorter than the server asked.
    pub fn delay(&self, attempt: u32, retry_after_seconds: Option<f64>) -> Duration {
        let backoff = self.interval_seconds * self.backoff_rate.powi(attempt.saturating_sub(1) as i32);
        Duration::from_secs_f64(backoff.max(retry_after_seconds.unwrap_or(0.0)).clamp(0.0, 3600.0))
    }
}

/// What the engine acts on of a task result: status, retry wait, the latest attempt; Plaid's
/// answer and the request echo are skipped unread (they are most of the text).
pub type Verdict = TaskResult<IgnoredAny>;

/// One task run to its end under the policy.
#[derive(Debug)]
pub struct Outcome {
    /// The last attempt's task result as the plugin wrote it, on one line: what an engine stores.
    pub text: String,
    pub verdict: Verdict,
    pub attempts: u32,
    /// Latency of each `execute` call.
    pub latencies: Vec<Duration>,
}

impl Outcome {
    pub fn new(text: String, verdict: Verdict, attempts: u32, latencies: Vec<Duration>) -> Self {
        // Valid JSON breaks lines only between tokens, where a space does as well.
        // Two single-byte searches (memchr) are far faster than one for either of two chars.
        let text =
            if text.contains('\n') || text.contains('\r') { text.replace(['\n', '\r'], " ") } else { text };
        Outcome { text, verdict, attempts, latencies }
    }

    pub fn status(&self) -> TaskStatus {
        self.verdict.status
    }
}

/// Why a task could not be run to its end: the plugin refused its arguments, or answered
/// something that is not a task result. Each `Display`s as one line that is safe to show.
#[derive(Debug)]
pub enum TaskError {
    Plugin(PluginError),
    Unreadable(Unreadable),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Plugin(e) => e.fmt(f),
            TaskError::Unreadable(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<PluginError> for TaskError {
    fn from(e: PluginError) -> Self {
        TaskError::Plugin(e)
    }
}

impl From<Unreadable> for TaskError {
    fn from(e: Unreadable) -> Self {
        TaskError::Unreadable(e)
    }
}

/// Executes `input` until it completes, fails terminally, or the policy's attempts run out, each
/// attempt with `task_timeout` to go. `latest` is what the engine knows of each user's newest
/// attempt, read before and updated after every execute (shared by the tasks of one engine).
pub fn run_task(
    plugin: &Plugin,
    input: &str,
    settings: &str,
    policy: RetryPolicy,
    task_timeout: Duration,
    latest: &LatestAttempts,
) -> Result<Outcome, TaskError> {
    let mut latencies = Vec::new();
    let mut attempt = 1;
    let user = User::of(input);
    loop {
        let known = user.as_ref().and_then(|u| latest.get(u));
        let context = Context::for_attempt(attempt, task_timeout, known.as_deref()).to_json();
        let started = Instant::now();
        let text = plugin.execute(input, settings, &context)?;
        latencies.push(started.elapsed());
        let verdict: Verdict = TaskResult::read(&text)?;
        if let Some(user) = &user {
            latest.record(user, &verdict);
        }
        if !verdict.retryable() || attempt >= policy.max_attempts {
            return Ok(Outcome::new(text, verdict, attempt, latencies));
        }
        thread::sleep(policy.delay(attempt, verdict.retry_after_seconds));
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        let policy = RetryPolicy { interval_seconds: 2.0, max_attempts: 3, backoff_rate: 2.0 };
        assert_eq!(policy.delay(1, None), Duration::from_secs(2));
        assert_eq!(policy.delay(2, None), Duration::from_secs(4));
        assert_eq!(policy.delay(1, Some(30.0)), Duration::from_secs(30));
    }

    #[test]
    fn policy_comes_from_the_seed_preset() {
        let preset = json!({"retry": {"intervalSeconds": 5, "maxAttempts": 3, "backoffRate": 2.0}});
        let policy = RetryPolicy::from_preset(&preset).unwrap();
        assert_eq!(policy, RetryPolicy { interval_seconds: 5.0, max_attempts: 3, backoff_rate: 2.0 });
        assert_eq!(RetryPolicy::from_preset(&json!({})), None);
    }

    #[test]
    fn a_stored_result_is_one_line() {
        let verdict: Verdict = TaskResult::read("{\"status\": \"COMPLETED\",\n\"output\": {},\r\n\"reasonForIncompletion\": null, \"retry_after_seconds\": null, \"logs\": []}").unwrap();
        let outcome = Outcome::new("{\"a\":\n1}".to_owned(), verdict, 1, Vec::new());
        assert_eq!(outcome.text, "{\"a\": 1}");
        assert_eq!(outcome.status(), TaskStatus::Completed);
    }
}
