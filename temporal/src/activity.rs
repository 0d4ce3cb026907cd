//! The activity: one `execute` of the loaded plugin, with Temporal's attempt number and the
//! activity's deadline as its context, and its task result mapped onto Temporal's outcomes:
//!
//! - `COMPLETED`: the activity's result (the task result, as [`persisted`] stores it);
//! - `FAILED`: a retryable application failure of type `FAILED`; when the task result has
//!   `retry_after_seconds`, that is the next retry's delay, so Plaid's `Retry-After` wins over
//!   the backoff;
//! - `FAILED_WITH_TERMINAL_ERROR`: a non-retryable failure of that type carrying the reason and
//!   Plaid's `error_code`; a plugin error is a non-retryable `PLUGIN_ERROR`.
//!
//! A failure's details are the task result (masked likewise), so `submit` reports failures as it
//! reports results.
//!
//! A worker that dies mid-call leaves Plaid's answer unknown. The activity heartbeats
//! [`Progress::InFlight`] before it calls the plugin, and [`Progress::Settled`] once it knows the
//! outcome (a failure report carries the last heartbeat to the server). An attempt that finds
//! its predecessor in flight, or finds no word from it, hands the plugin
//! `unknown_outcome_since_ms`, and the plugin asks Plaid before it sends again.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use plaid_idv_retry_interface::{
    Context, Plugin, PluginError, TaskResult, TaskStatus, PLUGIN_ERROR, RETRY_TASK_ID,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError, ActivityInfo};

use crate::{persisted::persisted, task::Task};

/// Failure types, as the preset's `nonRetryableErrorTypes` names them: a failed task result's
/// status name (`FAILED`, `FAILED_WITH_TERMINAL_ERROR`), and the interface's `PLUGIN_ERROR`.
pub const FAILED: &str = TaskStatus::Failed.as_str();
pub const TERMINAL: &str = TaskStatus::FailedWithTerminalError.as_str();
/// A completed task's status, as `submit` reports it.
pub const COMPLETED: &str = TaskStatus::Completed.as_str();

/// Heartbeats go out at most this often while a call is in flight (the SDK throttles further).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// The activity's type name: the loaded plugin's task id, set once before the worker registers
/// the activity (the SDK asks a registered activity for its name without an instance).
static ACTIVITY_TYPE: OnceLock<String> = OnceLock::new();

pub fn set_activity_type(name: &str) {
    let _ = ACTIVITY_TYPE.set(name.to_owned());
}

pub fn activity_type() -> &'static str {
    ACTIVITY_TYPE.get().map_or(RETRY_TASK_ID, String::as_str)
}

/// Where an attempt stands, as its heartbeat tells the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Progress {
    /// The plugin was called at `since_ms` (Unix epoch ms) and has not answered yet.
    InFlight { attempt: u32, since_ms: i64 },
    /// The attempt knows its outcome.
    Settled { attempt: u32 },
}

/// The plugin and the settings every call uses (they hold the secret: never in a workflow).
pub struct RetryActivity {
    pub plugin: Plugin,
    pub settings: String,
}

#[activities]
impl RetryActivity {
    #[activity(name = activity_type())]
    pub async fn retry(self: Arc<Self>, ctx: ActivityContext, task: Task) -> Result<Value, ActivityError> {
        let info = ctx.info();
        let attempt = info.attempt;
        let previous = ctx.heartbeat_details().deserialize::<Progress>().ok().flatten();
        let unknown_since = unknown_outcome_since(info, previous);
        let since_ms = unix_ms(SystemTime::now());
        let in_flight = Progress::InFlight { attempt, since_ms };
        ctx.record_heartbeat(in_flight).await?;

        let context = Context {
            attempt: Some(attempt.into()),
            deadline_ms: info.deadline.map(unix_ms),
            unknown_outcome_since_ms: unknown_since,
            ..Context::default()
        }
        .to_json();
        let (plugin, settings, input) = (self.plugin, self.settings.clone(), task.input.to_string());
        // `execute` blocks (and never unwinds: the plugin catches its panics), so it runs on the
        // blocking pool while this task keeps the heartbeat going.
        let call = tokio::task::spawn_blocking(move || plugin.execute(&input, &settings, &context));
        let answered = heartbeating(&ctx, in_flight, call).await?;
        // Recorded last, so a failure report carries it to the next attempt.
        ctx.record_heartbeat(Progress::Settled { attempt }).await?;
        let outcome = outcome(answered, task.keep_plaid_body);
        log_outcome(info, &outcome);
        outcome.map_err(ActivityError::Application)
    }
}

/// Waits for the plugin's `execute` (on the blocking pool, where it cannot stall the runtime)
/// while heartbeating `beat`, so a worker that dies mid-call is noticed after the heartbeat
/// timeout, not the whole start-to-close timeout.
pub(crate) async fn heartbeating<B>(
    ctx: &ActivityContext,
    beat: B,
    call: tokio::task::JoinHandle<Result<String, PluginError>>,
) -> Result<Result<String, PluginError>, ActivityError>
where
    B: Copy + temporalio_common::data_converters::TemporalSerializable + 'static,
{
    tokio::pin!(call);
    let answered = loop {
        tokio::select! {
            answered = &mut call => break answered,
            _ = tokio::time::sleep(HEARTBEAT_EVERY) => { ctx.record_heartbeat(beat).await?; }
        }
    };
    // `execute` never unwinds (the plugin catches its panics): a join error is a cancelled task.
    Ok(answered.unwrap_or_else(|_| {
        Err(PluginError { code: PLUGIN_ERROR.into(), message: "the plugin's execute did not return".into() })
    }))
}

/// One line per answered attempt (a test counts them; no data, only the status).
pub(crate) fn log_outcome(info: &ActivityInfo, outcome: &Result<Value, Box<ApplicationFailure>>) {
    let status = match outcome {
        Ok(_) => COMPLETED,
        Err(failure) => failure.type_name().unwrap_or(FAILED),
    };
    eprintln!(
        "{} {} attempt {}: {status}",
        info.workflow_id.as_deref().unwrap_or(info.activity_id.as_str()),
        info.activity_type,
        info.attempt
    );
}

/// When an earlier attempt may have sent the retry without learning what came of it.
fn unknown_outcome_since(info: &ActivityInfo, previous: Option<Progress>) -> Option<i64> {
    if info.attempt <= 1 {
        return None;
    }
    match previous {
        Some(Progress::Settled { attempt }) if attempt + 1 == info.attempt => None,
        Some(Progress::InFlight { attempt, since_ms }) if attempt + 1 == info.attempt => Some(since_ms),
        // The attempt before died before its first heartbeat reached the server: it may have
        // sent at any time since the activity was scheduled.
        _ => Some(info.scheduled_time.map_or(0, unix_ms)),
    }
}

pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// The task result (or plugin error) as Temporal's outcome.
pub fn outcome(
    answered: Result<String, PluginError>,
    keep_plaid_body: bool,
) -> Result<Value, Box<ApplicationFailure>> {
    let plugin_error = |message: String| {
        Box::new(
            ApplicationFailure::builder(message)
                .type_name(PLUGIN_ERROR.to_owned())
                .non_retryable(true)
                .build(),
        )
    };
    let text = answered.map_err(|e| plugin_error(format!("plugin error {e}")))?;
    let result: TaskResult = TaskResult::read(&text).map_err(|e| plugin_error(e.to_string()))?;
    let (status, retry_after) = (result.status, result.retry_after_seconds);
    let reason = result.reason.clone().unwrap_or_else(|| "no reason given".to_owned());
    let error_code = result.output.error_code.as_ref().and_then(Value::as_str).map(str::to_owned);
    let details = persisted(serde_json::to_value(&result).unwrap_or(Value::Null), keep_plaid_body);
    match status {
        TaskStatus::Completed => Ok(details),
        TaskStatus::Failed => Err(Box::new(
            ApplicationFailure::builder(reason)
                .type_name(FAILED.to_owned())
                .maybe_next_retry_delay(
                    retry_after.filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64),
                )
                .details(details)
                .build(),
        )),
        TaskStatus::FailedWithTerminalError => {
            let message = match error_code {
                Some(code) => format!("{reason} (error_code {code})"),
                None => reason,
            };
            Err(Box::new(
                ApplicationFailure::builder(message)
                    .type_name(TERMINAL.to_owned())
                    .non_retryable(true)
                    .details(details)
                    .build(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn result(status: &str, extra: Value) -> Result<String, PluginError> {
        let mut r = json!({"status": status, "reasonForIncompletion": "why", "output": {}, "retry_after_seconds": null,
            "logs": []});
        if let (Some(r), Some(extra)) = (r.as_object_mut(), extra.as_object()) {
            r.extend(extra.clone());
        }
        Ok(r.to_string())
    }

    #[test]
    fn maps_each_status() {
        assert!(outcome(result("COMPLETED", json!({})), false).is_ok());
        let failed = outcome(result("FAILED", json!({"retry_after_seconds": 3})), false).unwrap_err();
        assert_eq!(failed.type_name(), Some(FAILED));
        assert!(!failed.is_non_retryable());
        assert_eq!(failed.next_retry_delay(), Some(Duration::from_secs(3)));
        let failed = outcome(result("FAILED", json!({})), false).unwrap_err();
        assert_eq!(failed.next_retry_delay(), None, "the policy's backoff decides");
        let terminal = outcome(
            result("FAILED_WITH_TERMINAL_ERROR", json!({"output": {"error_code": "INVALID_FIELD"}})),
            false,
        )
        .unwrap_err();
        assert_eq!(terminal.type_name(), Some(TERMINAL));
        assert!(terminal.is_non_retryable());
        assert!(terminal.source_error().to_string().contains("INVALID_FIELD"));
        let plugin =
            outcome(Err(PluginError { code: "invalid_settings".into(), message: "m".into() }), false);
        assert_eq!(plugin.unwrap_err().type_name(), Some(PLUGIN_ERROR));
        assert!(outcome(Ok("{}".into()), false).is_err());
    }
}
