//! What the engine tells execute about this run: which attempt it is and when it must be done.
//!
//! `{"attempt": 1, "deadline_ms": 1795000000000, "timeout_ms": 30000, "latest_attempt_id": "idv_…"}`,
//! every field optional:
//! - `attempt`: 1 for the first try, counted by the engine; reported back in the output and logs.
//! - `deadline_ms`: Unix epoch milliseconds by which execute must have returned.
//! - `timeout_ms`: the same as a duration from now; with both, the earlier wins.
//! - `latest_attempt_id`: the newest attempt the engine knows for this input's `client_user_id`
//!   and `template_id`, as an earlier task result's `output.latest_attempt_id` reported it. That
//!   attempt and the ones it follows existed before this call, so reconciliation never takes
//!   them for the attempt this call created: a retry of the same user seconds after the last one
//!   is then told apart instead of ending ambiguous. A wrong or stale id costs nothing but that.
//! - `unknown_outcome_since_ms`: an earlier attempt of this task may have sent the retry at or
//!   after this Unix epoch millisecond and never learned what came of it (its worker died
//!   mid-call). Execute then asks Plaid first, as reconciliation does, and sends only if nothing
//!   was created: an engine that moves a dead worker's task elsewhere does not bill twice.
//!
//! Without either, the budget is the time the call and one reconciliation may take at their
//! timeouts. Other keys are ignored, so an engine may pass its own bookkeeping through.

use std::time::{Duration, Instant};

use plaid_idv_retry_interface::{Context as Document, ErrorCode};

use super::clock::now_unix_ms;
use crate::{arguments::Argument, error::Error, settings::Settings};

const CONTEXT: Argument = Argument {
    name: "context",
    code: ErrorCode::InvalidContext,
    expect: |path| {
        Some(
            match path {
                "attempt" => "must be an integer from 1",
                "deadline_ms" => "must be Unix epoch milliseconds",
                "timeout_ms" => "must be a non-negative integer",
                "latest_attempt_id" => "must be an attempt id: 1 to 128 letters, digits, _ or -",
                "unknown_outcome_since_ms" => "must be Unix epoch milliseconds",
                _ => return None,
            }
            .into(),
        )
    },
    item: "context field",
    unknown:
        "the fields are attempt, deadline_ms, timeout_ms, latest_attempt_id and unknown_outcome_since_ms",
};

#[derive(Debug, Clone)]
pub struct Context {
    pub attempt: u64,
    pub deadline: Instant,
    pub latest_attempt_id: Option<String>,
    pub unknown_outcome_since_ms: Option<i64>,
}

/// An attempt id is Plaid's `idv_…`: short and plain, so it may appear in logs as it is.
const MAX_ATTEMPT_ID_CHARS: usize = 128;

impl Context {
    pub fn parse(text: &str, settings: &Settings) -> Result<Self, Error> {
        let started = Instant::now();
        let document: Document = CONTEXT.parse(text)?;
        let attempt = document.attempt.unwrap_or(1);
        if attempt < 1 {
            return Err(CONTEXT.field_error("attempt"));
        }
        let per_call = settings.connection_timeout + settings.read_timeout;
        let mut budget = per_call * 2 + Duration::from_secs(1);
        if let Some(deadline_ms) = document.deadline_ms {
            budget = Duration::from_millis(deadline_ms.saturating_sub(now_unix_ms()).max(0) as u64);
        }
        if let Some(ms) = document.timeout_ms {
            budget = budget.min(Duration::from_millis(ms));
        }
        if document.latest_attempt_id.as_deref().is_some_and(|id| !is_attempt_id(id)) {
            return Err(CONTEXT.field_error("latest_attempt_id"));
        }
        Ok(Context {
            attempt,
            deadline: started + budget,
            latest_attempt_id: document.latest_attempt_id,
            unknown_outcome_since_ms: document.unknown_outcome_since_ms,
        })
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

fn is_attempt_id(id: &str) -> bool {
    (1..=MAX_ATTEMPT_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
