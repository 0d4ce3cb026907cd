//! The task result `execute` answers and the engine acts on. The plugin builds it and serialises
//! it once; hosts deserialise it. docs/reference.md ("The task result") documents each field.
//!
//! `Json` is how the two documents a result carries are held: Plaid's answer
//! (`output.response.body`) and the masked request (`output.request.body`). A host reads them as
//! [`Value`], the default. The plugin writes them as `Box<RawValue>`, so Plaid's answer goes into
//! the result as it came instead of being parsed into a tree and written out again; an engine that
//! acts only on the status reads `TaskResult<IgnoredAny>`, which skips both without building them.

use std::fmt;

use serde::{de::DeserializeOwned, ser::SerializeStruct, Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::{present, Report, TaskStatus};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "Json: Deserialize<'de>"))]
pub struct TaskResult<Json = Value> {
    pub status: TaskStatus,
    pub output: Output<Json>,
    /// Why the task did not complete, for a person; `null` when it completed.
    #[serde(rename = "reasonForIncompletion")]
    pub reason: Option<String>,
    /// The wait Plaid asked for (`Retry-After`, or its rate-limit window).
    pub retry_after_seconds: Option<f64>,
    pub logs: Vec<String>,
}

impl<Json> TaskResult<Json> {
    pub fn new(status: TaskStatus, reason: Option<String>) -> Self {
        TaskResult { status, output: Output::default(), reason, retry_after_seconds: None, logs: Vec::new() }
    }

    /// Whether the engine may retry: the status says it, this flag is for engines that read one.
    pub fn retryable(&self) -> bool {
        self.status.is_retryable()
    }

    /// What `execute` answers for an invalid input: terminal, nothing sent, the report in
    /// `output.validation`.
    pub fn invalid_input(report: &Report) -> Self {
        let why = match report.errors.as_slice() {
            [stop] if matches!(stop.rule.as_str(), "json_syntax" | "max_size") => {
                format!("the input is invalid ({}); nothing was sent", stop.message.trim_end_matches('.'))
            }
            errors => format!(
                "the input is invalid ({} error{}, see output.validation); nothing was sent",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            ),
        };
        let mut result = TaskResult::new(TaskStatus::FailedWithTerminalError, Some(why));
        result.output.validation = serde_json::to_value(report).ok();
        result
    }
}

impl<Json: Serialize> TaskResult<Json> {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl<Json: DeserializeOwned> TaskResult<Json> {
    /// Reads the task result `execute` answered, as a host does.
    pub fn read(text: &str) -> Result<Self, Unreadable> {
        serde_json::from_str(text).map_err(|e| Unreadable { line: e.line(), column: e.column() })
    }
}

/// A task result a host cannot read, and where reading stopped. serde's own message is left out:
/// it could quote a value of the result, and the output holds personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the plugin answered a task result this host cannot read (line {}, column {})",
            self.line, self.column
        )
    }
}

impl std::error::Error for Unreadable {}

/// Written by hand for `retryable`, which is derived from the status rather than stored.
impl<Json: Serialize> Serialize for TaskResult<Json> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("TaskResult", 6)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("output", &self.output)?;
        s.serialize_field("reasonForIncompletion", &self.reason)?;
        s.serialize_field("retryable", &self.retryable())?;
        s.serialize_field("retry_after_seconds", &self.retry_after_seconds)?;
        s.serialize_field("logs", &self.logs)?;
        s.end()
    }
}

/// `output`: each field is left out where it does not apply (`None`); where a field may also be
/// `null`, the inner `Option` (or `Value::Null`) says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
// serde would ask `Json: Default` for the `default` fields; their `Option` is the default.
#[serde(bound(deserialize = "Json: Deserialize<'de>"))]
pub struct Output<Json = Value> {
    /// Plaid's answer, as received (or the attempt reconciliation found).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response<Json>>,
    /// Present once Plaid answered: the retry call's `request_id` (else the list call's), or null.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub request_id: Option<Option<String>>,
    /// On a Plaid error: its fields as Plaid sent them (null where missing).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub error_type: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub error_code: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub error_message: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub display_message: Option<Value>,
    /// The request as sent, the secret and personal fields masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestEcho<Json>>,
    /// `false`: nothing left this machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<bool>,
    /// `true`: Plaid may have opened a session this result cannot show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_unknown: Option<bool>,
    /// Whether an unknown outcome was settled through `/identity_verification/list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
    /// The newest attempt of the input's user and template this call knows of (the one it
    /// created, else the newest listed, else the context's): the next task's context
    /// `latest_attempt_id`, which tells a retry seconds earlier apart from this one's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_attempt_id: Option<String>,
    /// The get task, once Plaid answered with the session: its `status` as Plaid sent it (a
    /// [`SessionStatus`](crate::SessionStatus), or a word this version does not know yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_status: Option<String>,
    /// The get task: whether that status is final ([`SessionStatus::is_final`](crate::SessionStatus::is_final)),
    /// the verdict a host waits for; `false` for a status this version does not know.
    #[serde(rename = "final", default, skip_serializing_if = "Option::is_none")]
    pub is_final: Option<bool>,
    /// The validation report (`{"valid", "errors", "warnings"}`) of an invalid input, or of a
    /// valid one with warnings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Value>,
    /// The engine's attempt number, from the context.
    #[serde(default)]
    pub attempt: u64,
    #[serde(default)]
    pub elapsed_ms: u64,
}

/// Written by hand: derived, it would ask `Json: Default`, which a raw document is not.
impl<Json> Default for Output<Json> {
    fn default() -> Self {
        Output {
            response: None,
            request_id: None,
            error_type: None,
            error_code: None,
            error_message: None,
            display_message: None,
            request: None,
            sent: None,
            outcome_unknown: None,
            reconciled: None,
            reconciliation: None,
            latest_attempt_id: None,
            session_status: None,
            is_final: None,
            validation: None,
            attempt: 0,
            elapsed_ms: 0,
        }
    }
}

/// `output.response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response<Json = Value> {
    /// `null` only for an attempt found by reconciliation after no answer came.
    #[serde(rename = "statusCode")]
    pub status_code: Option<u16>,
    /// The kept headers; `content-type` and `plaid-request-id` are always there (maybe null).
    pub headers: Map<String, Value>,
    /// Plaid's JSON as it came (whitespace aside); text for a non-JSON body; null when empty or
    /// over the size cap.
    pub body: Json,
}

/// `output.request`: what was sent, masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestEcho<Json = Value> {
    pub method: String,
    pub url: String,
    pub headers: Map<String, Value>,
    pub body: Json,
}

/// `output.reconciliation`: what `/identity_verification/list` showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    /// The id of the attempt this call created, or null when the list shows none.
    pub found: Option<String>,
    pub list_request_id: Option<String>,
    /// Why the outcome was unknown, when an attempt was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_keeps_absent_apart_from_null() {
        let mut r: TaskResult = TaskResult::new(TaskStatus::Failed, Some("why".into()));
        r.retry_after_seconds = Some(60.0);
        r.output.request_id = Some(None);
        r.output.error_code = Some(Value::Null);
        r.output.attempt = 2;
        let text = r.to_json();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({"status": "FAILED", "output": {"request_id": null, "error_code": null, "attempt": 2, "elapsed_ms": 0},
                   "reasonForIncompletion": "why", "retryable": true, "retry_after_seconds": 60.0, "logs": []})
        );
        assert_eq!(TaskResult::read(&text), Ok(r));
    }

    #[test]
    fn raw_documents_write_as_values_do_and_a_verdict_skips_them() {
        let text = r#"{"status":"COMPLETED","output":{"response":{"statusCode":200,"headers":{"content-type":null},"body":{"id":"idv_1","user":{"city":"x"}}},"request":{"method":"POST","url":"u","headers":{},"body":{"strategy":"reset"}},"attempt":1,"elapsed_ms":3},"reasonForIncompletion":null,"retryable":false,"retry_after_seconds":null,"logs":["a"]}"#;
        let value: TaskResult = TaskResult::read(text).unwrap();
        assert_eq!(value.to_json(), text);
        let raw: TaskResult<Box<serde_json::value::RawValue>> = serde_json::from_str(text).unwrap();
        assert_eq!(raw.to_json(), text);
        let verdict: TaskResult<serde::de::IgnoredAny> = serde_json::from_str(text).unwrap();
        assert_eq!(
            (verdict.status, verdict.logs, verdict.output.attempt),
            (TaskStatus::Completed, vec!["a".into()], 1)
        );
    }

    #[test]
    fn an_invalid_input_is_terminal_and_carries_its_report() {
        let report = Report::of_bytes(b"\xff").unwrap();
        let result: TaskResult = TaskResult::invalid_input(&report);
        assert_eq!(result.status, TaskStatus::FailedWithTerminalError);
        assert!(!result.retryable());
        assert_eq!(
            result.reason.as_deref(),
            Some("the input is invalid (The input is not valid JSON: invalid UTF-8 at line 1 column 1); nothing was sent")
        );
        assert_eq!(result.output.validation, serde_json::to_value(&report).ok());
    }

    #[test]
    fn an_unreadable_result_is_placed_never_quoted() {
        let e = TaskResult::<Value>::read(r#"{"status": "canary-personal"}"#).unwrap_err();
        assert_eq!((e.line, e.column), (1, 29));
        assert!(!e.to_string().contains("canary"), "{e}");
    }
}
