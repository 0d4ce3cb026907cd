//! What an engine does around `execute`: the retry policy of the HTTP task, the context it hands
//! the plugin, and the classification it acts on.

use std::{
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use plaid_idv_retry_interface::{Context, Plugin, TaskResult, TaskStatus};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

use crate::{
    error::Failure,
    latest_attempts::{LatestAttempts, User},
    task_input::TaskInput,
};

/// What an engine allows one task (an `execute` call) before it gives up on the plugin.
pub const TASK_TIMEOUT: Duration = Duration::from_secs(60);

/// The seed host's `retry` block: wait `interval × backoff_rate^n` before attempt n+2.
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

/// What the engine hands `execute`: which attempt this is, when the task must be done, and the
/// newest attempt it knows for the input's user (see `latest_attempts`).
pub fn context(attempt: u32, timeout: Duration, latest_attempt_id: Option<&str>) -> String {
    let deadline = SystemTime::now() + timeout;
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let deadline_ms = i64::try_from(deadline_ms).unwrap_or(i64::MAX);
    Context {
        attempt: Some(attempt.into()),
        deadline_ms: Some(deadline_ms),
        latest_attempt_id: latest_attempt_id.map(str::to_owned),
        ..Context::default()
    }
    .to_json()
}

/// What the engine acts on of a task result: status, retry wait, the latest attempt; Plaid's
/// answer and the request echo are skipped unread (they are most of the text).
pub type Verdict = TaskResult<IgnoredAny>;

/// The task result `execute` answered. serde's message is cut to its position: it could quote
/// a value of the result, and the output holds personal data.
pub fn task_result<Json: DeserializeOwned>(text: &str) -> Result<TaskResult<Json>, Failure> {
    serde_json::from_str(text).map_err(|e: serde_json::Error| {
        Failure::error(format!(
            "the plugin answered a task result this host cannot read (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

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
    fn new(text: String, verdict: Verdict, attempts: u32, latencies: Vec<Duration>) -> Self {
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

/// Executes `input` until it completes, fails terminally, or the policy's attempts run out.
/// `latest` is what the engine knows of each user's newest attempt, read before and updated
/// after every execute (shared by the tasks of one engine).
pub fn run_task(
    plugin: &Plugin,
    input: &str,
    settings: &str,
    policy: RetryPolicy,
    task_timeout: Duration,
    latest: &LatestAttempts,
) -> Result<Outcome, Failure> {
    let mut latencies = Vec::new();
    let mut attempt = 1;
    let user = User::of(input);
    loop {
        let known = user.as_ref().and_then(|u| latest.get(u));
        let started = Instant::now();
        let text = plugin.execute(input, settings, &context(attempt, task_timeout, known.as_deref()))?;
        latencies.push(started.elapsed());
        let verdict: Verdict = task_result(&text)?;
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
        TaskInput::Text(text) => run_task(plugin, text, settings, policy, task_timeout, latest),
        TaskInput::NotJson(report) => {
            let text = TaskInput::refused(report, 1).to_json();
            let verdict = task_result(&text)?;
            Ok(Outcome::new(text, verdict, 1, Vec::new()))
        }
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
}
