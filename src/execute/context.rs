//! What the engine tells execute about this run: which attempt it is and when it must be done.
//!
//! `{"attempt": 1, "deadline_ms": 1795000000000, "timeout_ms": 30000}`, every field optional:
//! - `attempt`: 1 for the first try, counted by the engine; reported back in the output and logs.
//! - `deadline_ms`: Unix epoch milliseconds by which execute must have returned.
//! - `timeout_ms`: the same as a duration from now; with both, the earlier wins.
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
                "unknown_outcome_since_ms" => "must be Unix epoch milliseconds",
                _ => return None,
            }
            .into(),
        )
    },
    item: "context field",
    unknown: "the fields are attempt, deadline_ms, timeout_ms and unknown_outcome_since_ms",
};

#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub attempt: u64,
    pub deadline: Instant,
    pub unknown_outcome_since_ms: Option<i64>,
}

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
        Ok(Context {
            attempt,
            deadline: started + budget,
            unknown_outcome_since_ms: document.unknown_outcome_since_ms,
        })
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
