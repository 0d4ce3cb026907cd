//! What the engine tells `execute` about the run: which attempt it is and when it must be done.
//! Every field is optional; keys a host adds for its own bookkeeping are ignored.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Context {
    /// The engine's attempt number, from 1 (the default); reported back in the output and logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    /// Unix epoch milliseconds by which `execute` must have returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<i64>,
    /// The same as a duration from now; with both, the earlier wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// The newest attempt the engine knows for the input's `client_user_id` and `template_id`
    /// (an earlier task result's `output.latest_attempt_id`): reconciliation never takes it, or
    /// any attempt it follows, for the one this call created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_attempt_id: Option<String>,
    /// An earlier attempt may have sent the retry at or after this Unix epoch millisecond and died
    /// without its answer (a killed worker): `execute` asks Plaid's list before it sends again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_outcome_since_ms: Option<i64>,
}

impl Context {
    /// What an engine hands attempt `attempt` (from 1) of a task that must be done within
    /// `timeout`, with the newest attempt it knows for the input's user (an earlier task result's
    /// `output.latest_attempt_id`; see `LatestAttempts`).
    pub fn for_attempt(attempt: u32, timeout: Duration, latest_attempt_id: Option<&str>) -> Context {
        let deadline = SystemTime::now() + timeout;
        let deadline_ms = deadline.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        Context {
            attempt: Some(attempt.into()),
            deadline_ms: Some(i64::try_from(deadline_ms).unwrap_or(i64::MAX)),
            latest_attempt_id: latest_attempt_id.map(str::to_owned),
            ..Context::default()
        }
    }

    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}
