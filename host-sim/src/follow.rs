//! Following a session to its verdict: the plugin's get task (by its task id, through the
//! interface), at the cadence the get task's seed preset gives for the target's environment.
//! `test-request --follow` and the console's session view both read sessions this way.

use std::time::{Duration, Instant};

use plaid_idv_retry_interface::{Context, Environment, Plugin, Task, TaskResult, TaskStatus, GET_TASK_ID};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::{engine::TASK_TIMEOUT, error::Failure, io::parse_answer};

/// The get task of the loaded plugin; a plugin of an earlier release (ABI 1.0) has none.
pub fn get_task(plugin: &Plugin) -> Result<Task, Failure> {
    plugin.task(GET_TASK_ID).ok_or_else(|| {
        Failure::error(format!(
            "the plugin offers no {GET_TASK_ID} task (a release before 1.1): it cannot follow a session"
        ))
    })
}

/// How often a host asks, and for how long: the seed preset's `poll` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub interval: Duration,
    pub give_up_after: Duration,
}

impl Cadence {
    /// The get task's cadence in `environment`, as its seed preset says it.
    pub fn of(get: &Task, environment: Environment) -> Result<Cadence, Failure> {
        let options = json!({"environment": environment.as_str(), "dialect": "seed"}).to_string();
        let preset = parse_answer(&get.settings_preset(&options)?, "a preset")?;
        let seconds = |key: &str| {
            preset["poll"][key].as_u64().filter(|s| *s > 0).map(Duration::from_secs).ok_or_else(|| {
                Failure::error(format!("the get task's seed preset has no poll.{key} (a positive integer)"))
            })
        };
        Ok(Cadence { interval: seconds("intervalSeconds")?, give_up_after: seconds("giveUpAfterSeconds")? })
    }
}

/// A session as a person follows it: ids, status and steps, never the person's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionView {
    pub id: String,
    /// Plaid's `status`: `active` until the verdict.
    pub status: String,
    /// Each step and its status, in Plaid's order.
    pub steps: Map<String, Value>,
    /// The step the person is at (the one `active`), if any.
    pub current_step: Option<String>,
    /// The session's page, where the person completes it (null when it is not shareable).
    pub shareable_url: Option<String>,
    /// Whether `status` is a verdict: it never changes again.
    #[serde(rename = "final")]
    pub is_final: bool,
}

impl SessionView {
    /// The session in Plaid's answer (a retry's or a get's), if it is one.
    pub fn from_body(body: &Value, is_final: bool) -> Option<SessionView> {
        let id = body["id"].as_str().filter(|id| !id.is_empty())?.to_owned();
        let status = body["status"].as_str()?.to_owned();
        let steps: Map<String, Value> = body["steps"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, status)| status.is_string())
            .map(|(step, status)| (step.clone(), status.clone()))
            .collect();
        let current_step = steps.iter().find(|(_, s)| *s == "active").map(|(step, _)| step.clone());
        let shareable_url = body["shareable_url"].as_str().map(str::to_owned);
        Some(SessionView { id, status, steps, current_step, shareable_url, is_final })
    }

    /// The session a completed retry opened (its answer is the new session, `active`).
    pub fn opened_by(result: &TaskResult) -> Option<SessionView> {
        if result.status != TaskStatus::Completed {
            return None;
        }
        let body = &result.output.response.as_ref()?.body;
        let is_final = body["status"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .is_some_and(|s: plaid_idv_retry_interface::SessionStatus| s.is_final());
        SessionView::from_body(body, is_final)
    }

    /// The session a completed get read, with the get's own verdict on finality.
    pub fn read_by(result: &TaskResult) -> Option<SessionView> {
        if result.status != TaskStatus::Completed {
            return None;
        }
        let body = &result.output.response.as_ref()?.body;
        SessionView::from_body(body, result.output.is_final == Some(true))
    }

    /// One line of progress: status and step, nothing of the person.
    pub fn progress(&self) -> String {
        match &self.current_step {
            Some(step) => format!("{} is {}, at step {step}", self.id, self.status),
            None => format!("{} is {}", self.id, self.status),
        }
    }
}

/// One get, as the engine runs it: the task result as the plugin answered it, read, and how long
/// it took.
pub struct Read {
    pub text: String,
    pub result: TaskResult,
    pub latency: Duration,
}

/// Asks the get task once for session `id`, with the target's settings.
pub fn get_once(get: &Task, id: &str, settings: &str, attempt: u32) -> Result<Read, Failure> {
    let input = json!({"identity_verification_id": id}).to_string();
    let context = Context::for_attempt(attempt, TASK_TIMEOUT, None).to_json();
    let started = Instant::now();
    let text = get.execute(&input, settings, &context)?;
    let latency = started.elapsed();
    let result = TaskResult::read(&text)?;
    Ok(Read { text, result, latency })
}

/// When to ask next after `read`: the interval, or longer if Plaid asked for a longer wait.
pub fn next_wait(cadence: &Cadence, result: &TaskResult) -> Duration {
    let asked = result.retry_after_seconds.filter(|s| s.is_finite() && *s > 0.0).map(Duration::from_secs_f64);
    asked.map_or(cadence.interval, |asked| asked.clamp(cadence.interval, cadence.give_up_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_view_keeps_ids_status_and_steps_only() {
        let body = json!({
            "id": "idv_1", "status": "active", "shareable_url": "http://127.0.0.1:1/verify/idv_1?key=k",
            "steps": {"accept_tos": "success", "verify_sms": "active", "kyc_check": "waiting_for_prerequisite"},
            "user": {"name": {"given_name": "Leslie"}, "date_of_birth": "1975-01-18"}
        });
        let view = SessionView::from_body(&body, false).unwrap();
        assert_eq!(view.current_step.as_deref(), Some("verify_sms"));
        assert_eq!(view.steps.keys().collect::<Vec<_>>(), ["accept_tos", "verify_sms", "kyc_check"]);
        let shown = serde_json::to_string(&view).unwrap();
        assert!(!shown.contains("Leslie") && !shown.contains("1975"), "{shown}");
        assert_eq!(view.progress(), "idv_1 is active, at step verify_sms");
        assert!(SessionView::from_body(&json!({"status": "active"}), false).is_none(), "no id, no session");
    }

    #[test]
    fn plaid_may_ask_for_a_longer_wait_never_a_shorter_one() {
        let cadence = Cadence { interval: Duration::from_secs(10), give_up_after: Duration::from_secs(3600) };
        let mut result = TaskResult::<Value>::new(TaskStatus::Failed, None);
        assert_eq!(next_wait(&cadence, &result), Duration::from_secs(10));
        result.retry_after_seconds = Some(2.0);
        assert_eq!(next_wait(&cadence, &result), Duration::from_secs(10));
        result.retry_after_seconds = Some(30.0);
        assert_eq!(next_wait(&cadence, &result), Duration::from_secs(30));
        result.retry_after_seconds = Some(f64::INFINITY);
        assert_eq!(next_wait(&cadence, &result), Duration::from_secs(10));
    }
}
