//! The retry-and-await workflow: runs the retry activity as [`crate::workflow`] does, then follows
//! the session the retry opened to its verdict.
//!
//! - It records the session's id in the search attribute [`SESSION_ATTRIBUTE`], where the webhook
//!   receiver ([`crate::webhooks`]) finds the workflow by the id a webhook names, and signals it
//!   ([`SessionChanged`]: the id and the webhook's code; Plaid's webhooks carry no status).
//! - It waits for a signal or for the get task's poll interval, whichever comes first (a durable
//!   timer: a webhook that never arrives delays the verdict by at most one interval), then asks
//!   with the get activity: a webhook says something changed, the get says what, so a duplicate or
//!   replayed webhook costs one free get and changes nothing.
//! - A final status ends it with the get's task result (the session, masked as every result is).
//!   At the deadline (the first run's start plus the preset's `giveUpAfter`) it fails with the
//!   non-retryable [`NO_VERDICT`]; a get that fails is no news, and the next interval asks again.
//! - After [`Rounds::per_run`] waits it continues as new, carrying the session id and the
//!   deadline ([`Following`]), so its history stays bounded however long the person takes.

use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_common::{error::ApplicationFailure, search_attributes::SearchAttributeKey};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowResult};
use temporalio_workflow::{CancellableFuture, ContinueAsNewOptions};

use crate::{
    activity::{unix_ms, RetryActivity},
    get::{GetActivity, Session},
    policy::{Cadence, Policy},
    task::Task,
    workflow::{refusal, NOT_THIS_WORKFLOWS_TASK},
};

/// The workflow's type name.
pub const RETRY_AND_AWAIT_TYPE: &str = "PlaidIdentityVerificationRetryAndAwait";

/// The signal the webhook receiver sends.
pub const SESSION_CHANGED: &str = "PlaidIdentityVerificationWebhook";

/// The Keyword search attribute holding the followed session's id. The namespace must have it
/// (`temporal operator search-attribute create --name PlaidIdentityVerificationId --type Keyword`).
/// Search attributes are indexed in clear (the codec leaves them alone): a session id is Plaid's
/// opaque identifier, no personal data.
pub const SESSION_ATTRIBUTE: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("PlaidIdentityVerificationId");

/// The failure type when the deadline passed without a verdict.
pub const NO_VERDICT: &str = "NO_VERDICT";

/// The failure type when the retry's answer names no session to follow.
pub const NO_SESSION: &str = "NO_SESSION";

/// The workflow's input: the retry task, and once the retry has run (a continued run), the
/// session it follows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwaitTask {
    pub task: Task,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Following>,
}

/// What a run carries to the next when it continues as new.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Following {
    pub identity_verification_id: String,
    /// Unix epoch milliseconds, workflow time: after it the workflow stops waiting.
    pub deadline_ms: i64,
}

/// The signal: which session changed, and how (`STATUS_UPDATED`, `STEP_UPDATED`, `RETRIED`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChanged {
    pub identity_verification_id: String,
    pub webhook_code: String,
}

/// How many waits (each ended by a signal or the interval) one run holds before it continues as
/// new. Each costs about ten history events; Temporal advises continuing well before 10,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounds {
    pub per_run: u32,
}

impl Default for Rounds {
    fn default() -> Self {
        Rounds { per_run: 200 }
    }
}

/// Built by the worker's factory with the policies it read from the plugin.
#[workflow]
pub struct RetryAndAwaitWorkflow {
    retry: Policy,
    get: Policy,
    cadence: Cadence,
    rounds: Rounds,
    read_legacy_payloads: bool,
    /// The session this run follows, once known.
    followed: Option<String>,
    /// Signals about it received in this run.
    changes: u32,
}

impl RetryAndAwaitWorkflow {
    pub fn new(
        retry: Policy,
        get: Policy,
        cadence: Cadence,
        rounds: Rounds,
        read_legacy_payloads: bool,
    ) -> Self {
        RetryAndAwaitWorkflow {
            retry,
            get,
            cadence,
            rounds,
            read_legacy_payloads,
            followed: None,
            changes: 0,
        }
    }
}

#[workflow_methods(factory_only)]
impl RetryAndAwaitWorkflow {
    #[run(name = RETRY_AND_AWAIT_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>, awaited: AwaitTask) -> WorkflowResult<Value> {
        let legacy = ctx.state(|w| w.read_legacy_payloads);
        if let Some(refusal) = refusal(&awaited.task, ctx.workflow_id(), legacy) {
            return Err(failure(NOT_THIS_WORKFLOWS_TASK, refusal, None).into());
        }
        let following = match awaited.following.clone() {
            Some(following) => following,
            None => {
                let options = ctx.state(|w| w.retry.activity_options());
                let retried =
                    ctx.execute_activity(RetryActivity::retry, awaited.task.clone(), options).await?;
                let Some(id) = session_id(&retried) else {
                    let why = "the retry completed, but its answer names no session to follow";
                    return Err(failure(NO_SESSION, why.to_owned(), Some(retried)).into());
                };
                let give_up = ctx.state(|w| w.cadence.give_up_after);
                let deadline_ms = now_ms(ctx).saturating_add(give_up.as_millis() as i64);
                ctx.upsert_search_attributes([SESSION_ATTRIBUTE.value_set(id.clone())]);
                Following { identity_verification_id: id, deadline_ms }
            }
        };
        ctx.state_mut(|w| w.followed = Some(following.identity_verification_id.clone()));
        let session = Session {
            identity_verification_id: following.identity_verification_id.clone(),
            keep_plaid_body: awaited.task.keep_plaid_body,
        };
        let (interval, per_run, options) =
            ctx.state(|w| (w.cadence.interval, w.rounds.per_run, w.get.activity_options()));
        let mut last: Option<Value> = None;
        for _ in 0..per_run.max(1) {
            let Some(wait) = next_wait(following.deadline_ms, now_ms(ctx), interval) else {
                let why = format!(
                    "no verdict for the session within the get preset's giveUpAfter (its last status: {})",
                    last.as_ref().and_then(|r| r["output"]["session_status"].as_str()).unwrap_or("unknown")
                );
                return Err(failure(NO_VERDICT, why, last).into());
            };
            let seen = ctx.state(|w| w.changes);
            let timer = ctx.timer(wait);
            let changed = ctx.wait_condition(move |w| w.changes > seen);
            futures::pin_mut!(timer, changed);
            futures::select_biased! {
                _ = changed => timer.cancel(),
                _ = timer => {}
            }
            // A failed get (Plaid unreachable past the activity's retries) is no news: the next
            // interval asks again, until the deadline.
            if let Ok(got) = ctx.execute_activity(GetActivity::get, session.clone(), options.clone()).await {
                if got["output"]["final"] == true {
                    return Ok(got);
                }
                last = Some(got);
            }
        }
        let next = AwaitTask { task: awaited.task, following: Some(following) };
        ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
        unreachable_continue()
    }

    /// A webhook about the followed session (a signal before the run knows it counts as well:
    /// it costs a get at most).
    #[signal(name = SESSION_CHANGED)]
    pub fn session_changed(&mut self, _ctx: &mut SyncWorkflowContext<Self>, change: SessionChanged) {
        if self.followed.as_deref().is_none_or(|id| id == change.identity_verification_id) {
            self.changes = self.changes.saturating_add(1);
        }
    }
}

/// The next wait: the poll interval, cut short by the deadline (the last get falls on it);
/// `None` once the deadline has passed.
fn next_wait(deadline_ms: i64, now_ms: i64, interval: Duration) -> Option<Duration> {
    let left = deadline_ms.saturating_sub(now_ms);
    (left > 0).then(|| interval.min(Duration::from_millis(left.unsigned_abs())))
}

/// `continue_as_new` always answers `Err`; this is what the compiler needs after it.
fn unreachable_continue() -> WorkflowResult<Value> {
    Err(failure("CONTINUE_AS_NEW", "continue-as-new did not end the run".to_owned(), None).into())
}

fn failure(kind: &str, message: String, details: Option<Value>) -> ApplicationFailure {
    let builder = ApplicationFailure::builder(message).type_name(kind.to_owned()).non_retryable(true);
    match details {
        Some(details) => builder.details(details).build(),
        None => builder.build(),
    }
}

/// The session the retry opened (or reconciliation found), from its task result.
fn session_id(retried: &Value) -> Option<String> {
    let output = &retried["output"];
    output["response"]["body"]["id"]
        .as_str()
        .or_else(|| output["latest_attempt_id"].as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Workflow time (deterministic on replay), as Unix epoch milliseconds.
fn now_ms(ctx: &WorkflowContext<RetryAndAwaitWorkflow>) -> i64 {
    unix_ms(ctx.workflow_time().unwrap_or(UNIX_EPOCH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_session_is_the_retrys_answer_or_the_attempt_reconciliation_found() {
        let answered =
            json!({"output": {"response": {"body": {"id": "idv_new"}}, "latest_attempt_id": "idv_new"}});
        assert_eq!(session_id(&answered).as_deref(), Some("idv_new"));
        let reconciled = json!({"output": {"response": {"body": null}, "latest_attempt_id": "idv_found"}});
        assert_eq!(session_id(&reconciled).as_deref(), Some("idv_found"));
        assert_eq!(session_id(&json!({"output": {}})), None);
    }

    #[test]
    fn the_wait_is_the_interval_until_the_deadline_cuts_it_short() {
        let interval = Duration::from_secs(10);
        assert_eq!(next_wait(100_000, 0, interval), Some(interval));
        assert_eq!(next_wait(100_000, 97_500, interval), Some(Duration::from_millis(2_500)));
        assert_eq!(next_wait(100_000, 100_000, interval), None, "the deadline passed: no verdict");
        assert_eq!(next_wait(100_000, 250_000, interval), None);
        assert_eq!(next_wait(i64::MIN, i64::MAX, interval), None, "no overflow");
    }

    #[test]
    fn a_continued_run_carries_the_session_and_deadline_only() {
        let task = Task { input: json!({"client_user_id": "u"}), keep_plaid_body: false, workflow_id: None };
        let first = serde_json::to_value(AwaitTask { task: task.clone(), following: None }).unwrap();
        assert!(first.get("following").is_none(), "{first}");
        let following = Following { identity_verification_id: "idv_1".into(), deadline_ms: 5 };
        let next = serde_json::to_value(AwaitTask { task, following: Some(following.clone()) }).unwrap();
        let read: AwaitTask = serde_json::from_value(next).unwrap();
        assert_eq!(read.following, Some(following));
    }
}
