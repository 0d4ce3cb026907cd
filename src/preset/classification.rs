//! The plugin's classification of Plaid's answers (what `execute` does, docs/reference.md's
//! "Classification" table), written as data for the engines whose own HTTP task sends the call
//! (Airflow, n8n): the engine runs a small interpreter over these rules instead of a restated
//! copy of them. `tests/preset_classification.rs` runs `execute` against every status and every
//! error this table names and checks that both give the same class.
//!
//! A rule matches when all it states holds; the first rule that matches decides:
//! - `error_type` (and `error_code`): the body is a JSON object whose `error_type` and
//!   `error_code` are strings, and they are among those listed (Plaid asks clients to branch on
//!   them before the HTTP status);
//! - `status`: the HTTP status is within `[from, to]`;
//! - `body: "json_object"`: the body is a JSON object.
//!
//! The classes: `completed`; `terminal` (never retried); `retryable` (nothing was created: retried
//! after `Retry-After`, seconds or an HTTP date, else `retry_after_default_seconds` when the rule
//! gives it, else by the backoff in `retry`); `unknown` (Plaid may have opened a billed session:
//! never retried blindly).

use serde_json::{json, Value};

use super::{BACKOFF_RATE, MAX_ATTEMPTS, RETRY_INTERVAL_SECONDS};

/// Plaid's rate-limit windows are per minute: without a `Retry-After`, the next window is the
/// earliest a retry can help (execute answers the same).
const RATE_LIMIT_WAIT_SECONDS: u64 = 60;

/// The members of Plaid's answer an engine keeps as the task's result: the attempt and where it
/// stands, never the personal data Plaid echoes (`user`, `kyc_check`, `documentary_verification`,
/// `verify_sms`…), because engines store task results in their database in clear.
const RESULT_FIELDS: [&str; 10] = [
    "id",
    "client_user_id",
    "previous_attempt_id",
    "status",
    "steps",
    "template",
    "shareable_url",
    "created_at",
    "completed_at",
    "request_id",
];

pub fn classification() -> Value {
    let wait = RATE_LIMIT_WAIT_SECONDS;
    json!({
        "rules": [
            {"error_type": ["INVALID_REQUEST", "INVALID_INPUT", "USER_ERROR"], "class": "terminal"},
            {"error_type": ["RATE_LIMIT_EXCEEDED"], "class": "retryable", "retry_after_default_seconds": wait},
            {"error_type": ["API_ERROR"], "error_code": ["PLANNED_MAINTENANCE"], "class": "retryable"},
            {"error_type": ["API_ERROR"], "class": "unknown"},
            {"status": [200, 299], "body": "json_object", "class": "completed"},
            // Plaid accepted the retry, so the session exists, but the answer is unusable.
            {"status": [200, 299], "class": "unknown"},
            // Redirects are never followed: the credentials would go where the redirect points.
            {"status": [300, 399], "class": "terminal"},
            {"status": [408, 408], "class": "retryable"},
            {"status": [429, 429], "class": "retryable", "retry_after_default_seconds": wait},
            {"status": [400, 499], "class": "terminal"},
            {"status": [503, 503], "class": "retryable"},
            {"class": "unknown"},
        ],
        // Failures with no HTTP answer: a request that never left created nothing; one that left
        // and got no answer (a read timeout, a dropped connection) may have opened a session.
        "transport": {"not_sent": "retryable", "sent_without_answer": "unknown"},
        "retry": {
            "max_attempts": MAX_ATTEMPTS,
            "initial_interval_seconds": RETRY_INTERVAL_SECONDS,
            "backoff_rate": BACKOFF_RATE,
        },
        "result_fields": RESULT_FIELDS,
    })
}
