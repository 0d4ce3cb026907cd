//! What the engine tells execute about this run: which attempt it is and when it must be done.
//!
//! `{"attempt": 1, "deadline_ms": 1795000000000, "timeout_ms": 30000}`, every field optional:
//! - `attempt`: 1 for the first try, counted by the engine; reported back in the output and logs.
//! - `deadline_ms`: Unix epoch milliseconds by which execute must have returned.
//! - `timeout_ms`: the same as a duration from now; with both, the earlier wins.
//!
//! Without either, the budget is the time the call and one reconciliation may take at their
//! timeouts. Other keys are ignored, so an engine may pass its own bookkeeping through.

use std::time::{Duration, Instant};

use plaid_idv_retry_interface::ErrorCode;
use serde_json::Value;

use super::clock::now_unix_ms;
use crate::{error::Error, settings::Settings};

#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub attempt: u64,
    pub deadline: Instant,
}

impl Context {
    pub fn parse(text: &str, settings: &Settings) -> Result<Self, Error> {
        let started = Instant::now();
        let invalid = |m: &str| Error::new(ErrorCode::InvalidContext, m.to_owned());
        let value: Value = if text.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(text).map_err(|e| Error::invalid_json("context", &e))?
        };
        let object = value.as_object().ok_or_else(|| invalid("context must be a JSON object"))?;
        let attempt = match object.get("attempt") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .filter(|a| *a >= 1)
                .ok_or_else(|| invalid("context.attempt must be an integer from 1"))?,
        };
        let per_call = settings.connection_timeout + settings.read_timeout;
        let mut budget = per_call * 2 + Duration::from_secs(1);
        if let Some(v) = object.get("deadline_ms").filter(|v| !v.is_null()) {
            let deadline_ms =
                v.as_i64().ok_or_else(|| invalid("context.deadline_ms must be Unix epoch milliseconds"))?;
            budget = Duration::from_millis(deadline_ms.saturating_sub(now_unix_ms()).max(0) as u64);
        }
        if let Some(v) = object.get("timeout_ms").filter(|v| !v.is_null()) {
            let ms =
                v.as_u64().ok_or_else(|| invalid("context.timeout_ms must be a non-negative integer"))?;
            budget = budget.min(Duration::from_millis(ms));
        }
        Ok(Context { attempt, deadline: started + budget })
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}
