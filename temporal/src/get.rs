//! The get activity: one `execute` of the plugin's get task (`POST /identity_verification/get`)
//! for the session a workflow follows, mapped onto Temporal's outcomes as the retry's result is
//! ([`activity::outcome`]): a completed get is the session (personal fields masked, as
//! [`crate::persisted`] stores every result), whatever its status; a get that may succeed if sent
//! again is a retryable failure (a get is free and changes nothing at Plaid), an id Plaid does not
//! know a terminal one.

use std::sync::{Arc, OnceLock};

use plaid_idv_retry_interface::{Context, Task as PluginTask, GET_TASK_ID};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::activity::{self, heartbeating, log_outcome, unix_ms};

/// The activity's type name: the get task's id, as its preset names it, set once before the
/// worker registers the activity (the SDK asks for the name without an instance).
static GET_ACTIVITY_TYPE: OnceLock<String> = OnceLock::new();

pub fn set_get_activity_type(name: &str) {
    let _ = GET_ACTIVITY_TYPE.set(name.to_owned());
}

pub fn get_activity_type() -> &'static str {
    GET_ACTIVITY_TYPE.get().map_or(GET_TASK_ID, String::as_str)
}

/// What the workflow asks about: a session id (no personal data) and how its answer is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub identity_verification_id: String,
    #[serde(default)]
    pub keep_plaid_body: bool,
}

/// A get in flight (its heartbeat: the attempt only, there is nothing to reconcile).
#[derive(Debug, Clone, Copy, Serialize)]
struct Asking {
    attempt: u32,
}

/// The plugin's get task and the settings every call uses (they hold the secret: never in a
/// workflow).
pub struct GetActivity {
    pub task: PluginTask,
    pub settings: String,
}

#[activities]
impl GetActivity {
    #[activity(name = get_activity_type())]
    pub async fn get(
        self: Arc<Self>,
        ctx: ActivityContext,
        session: Session,
    ) -> Result<Value, ActivityError> {
        let info = ctx.info();
        let context = Context {
            attempt: Some(info.attempt.into()),
            deadline_ms: info.deadline.map(unix_ms),
            ..Context::default()
        }
        .to_json();
        let input = json!({"identity_verification_id": session.identity_verification_id}).to_string();
        let (task, settings) = (self.task, self.settings.clone());
        let call = tokio::task::spawn_blocking(move || task.execute(&input, &settings, &context));
        let answered = heartbeating(&ctx, Asking { attempt: info.attempt }, call).await?;
        let outcome = activity::outcome(answered, session.keep_plaid_body);
        log_outcome(info, &outcome);
        outcome.map_err(ActivityError::Application)
    }
}
