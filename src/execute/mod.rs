//! `execute`: validate, send the retry to Plaid, classify what came back, reconcile an unknown
//! outcome, and answer the task result, with every echo and log line redacted. `get`, the get
//! task's execute, reads a session the same way (its own module: it reconciles nothing).
//!
//! Plugin errors (`Err`) are only for arguments the engine got wrong: settings or context that
//! are not what the settings schema and `context` describe. Everything about the task itself,
//! an invalid input included, is a task result.

mod agent;
mod clock;
mod context;
mod get;
mod outcome;
mod reconcile;
mod request;
mod resolver;
mod response;
mod socket;

use std::time::Instant;

use plaid_idv_retry_interface::{Reconciliation, Response, TaskStatus as Status};
use serde_json::{value::RawValue, Map, Value};

use crate::{endpoint::RETRY_PATH, error::Error, redact, settings::Settings, validate};
use context::Context;
use outcome::Class;
use reconcile::Reconciled;
use request::{Credentials, PlaidRequest};
use response::{raw, Exchange, Fields, Received};

/// The task result as the plugin writes it: Plaid's answer and the request echo are raw JSON,
/// passed through rather than parsed into trees and written out again.
type TaskResult = plaid_idv_retry_interface::TaskResult<Box<RawValue>>;

/// The retry's task result for `input`, as JSON text.
pub fn execute(input: &str, settings: &str, context: &str) -> Result<String, Error> {
    answer(settings, context, |settings, context| {
        let (mut result, secrets) = run(input, settings, context);
        // The newest attempt this call knows of for the input's user (the one it created or
        // reconciliation listed), else the one the engine named: the next execute's context.
        if result.output.latest_attempt_id.is_none() {
            result.output.latest_attempt_id = context.latest_attempt_id.clone();
        }
        (result, secrets)
    })
}

/// The get task's result for `input`, as JSON text.
pub fn get(input: &str, settings: &str, context: &str) -> Result<String, Error> {
    answer(settings, context, |settings, context| get::run(input, settings, context))
}

/// What every task's execute does around its call: reads the engine's arguments, times the
/// call, and scrubs and writes the task result.
fn answer(
    settings: &str,
    context: &str,
    call: impl FnOnce(&Settings, &Context) -> (TaskResult, Vec<String>),
) -> Result<String, Error> {
    let settings = &*Settings::read(settings)?;
    let context = Context::parse(context, settings)?;
    let started = Instant::now();
    let (mut result, secrets) = call(settings, &context);
    result.output.attempt = context.attempt;
    result.output.elapsed_ms = started.elapsed().as_millis() as u64;
    // The secret never reaches the output through any path: free text (network errors, reasons,
    // logs) is scrubbed, and the request echo was masked when it was built.
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    result.reason = result.reason.map(|r| redact::scrub(&r, &secrets));
    result.logs = result.logs.iter().map(|l| redact::scrub(l, &secrets)).collect();
    // Straight into bytes: `Value::to_string` would go through `Display` and the formatting
    // machinery, on every task result.
    Ok(result.to_json())
}

/// Why a task with no credentials in the settings or the input failed.
const NO_CREDENTIALS: &str =
    "no Plaid credentials: set client_id and secret in the settings (or put both in the input); nothing was sent";

fn run(input_text: &str, settings: &Settings, context: &Context) -> (TaskResult, Vec<String>) {
    // The same check as `validate`: an input it reports invalid (not JSON, over the size cap,
    // against the schema) is never sent.
    let (report, input) = validate::read(input_text, settings.normalize_input);
    let Some(input) = input.filter(|_| report.valid) else {
        return (TaskResult::invalid_input(&report), Vec::new());
    };
    let Some(credentials) = Credentials::resolve(settings, &input) else {
        return (TaskResult::new(Status::FailedWithTerminalError, Some(NO_CREDENTIALS.into())), Vec::new());
    };
    let secrets = credentials.secrets().into_iter().map(str::to_owned).collect();
    let mut logs = Vec::new();
    if let Some(since) = context.unknown_outcome_since_ms.filter(|_| settings.reconcile_unknown_outcomes) {
        if let Some(result) = earlier_attempt(&input, settings, context, &credentials, since, &mut logs) {
            return (result, secrets);
        }
    }
    let sent_at = clock::now_unix_ms();
    let mut result = Call { input: &input, settings, context, credentials: &credentials, sent_at }.run();
    result.logs.splice(0..0, logs);
    if !report.warnings.is_empty() {
        result.output.validation = Some(serde_json::to_value(&report).unwrap_or(Value::Null));
    }
    (result, secrets)
}

/// An earlier attempt may have sent this retry (`context.unknown_outcome_since_ms`): the session
/// it opened is the answer, if Plaid lists one. `None`: nothing was created, send.
fn earlier_attempt(
    input: &Value,
    settings: &Settings,
    context: &Context,
    credentials: &Credentials,
    since: i64,
    logs: &mut Vec<String>,
) -> Option<TaskResult> {
    logs.push(format!(
        "attempt {}: an earlier attempt's outcome is unknown; asking Plaid first",
        context.attempt
    ));
    let why = "an earlier attempt of this task may have sent the retry and its outcome is unknown".to_owned();
    let mut result = match reconcile::run(settings, credentials, input, since, context, logs) {
        Reconciled::Found { attempt, list_request_id } => found(why, None, attempt, list_request_id, logs),
        Reconciled::NotCreated { .. } => {
            logs.push("the earlier attempt created nothing: sending".into());
            return None;
        }
        Reconciled::Unknown { detail, latest } => {
            let mut r = TaskResult::new(
                Status::FailedWithTerminalError,
                Some(format!(
                    "outcome unknown: {why}; {detail}. Plaid may have opened a billed session: check \
                     /identity_verification/list or the Dashboard before retrying; nothing was sent"
                )),
            );
            r.output.outcome_unknown = Some(true);
            r.output.reconciled = Some(false);
            r.output.latest_attempt_id = latest;
            r
        }
    };
    result.output.sent = Some(false);
    logs.push(format!("result: {}", result.status));
    result.logs = std::mem::take(logs);
    Some(result)
}

/// One call to `/identity_verification/retry` and what follows from its answer.
struct Call<'a> {
    input: &'a Value,
    settings: &'a Settings,
    context: &'a Context,
    credentials: &'a Credentials,
    /// When the request left, on our clock: reconciliation looks for attempts created after it.
    sent_at: i64,
}

impl Call<'_> {
    fn run(&self) -> TaskResult {
        let body = request::body(self.input);
        let request = PlaidRequest::new(self.settings, self.credentials, RETRY_PATH, &body);
        let began = Instant::now();
        let exchange = request.send(self.settings, self.context);
        let took = began.elapsed().as_millis();
        let mut logs = vec![format!(
            "attempt {}: POST {} ({})",
            self.context.attempt,
            request.url,
            self.settings.environment.as_str()
        )];
        let mut result = match exchange {
            Exchange::NotSent { cause } => {
                logs.push(format!("not sent after {took} ms: {cause}"));
                let why =
                    format!("the request never reached Plaid ({cause}); nothing was created, safe to retry");
                let mut r = TaskResult::new(Status::Failed, Some(why));
                r.output.sent = Some(false);
                r
            }
            Exchange::NoResponse { cause } => {
                logs.push(format!("no response after {took} ms: {cause}"));
                self.unknown(
                    format!("the request was sent but no response arrived ({cause})"),
                    None,
                    &mut logs,
                )
            }
            Exchange::Received(received) => {
                let request_id = outcome::log_received(&received, took, &mut logs);
                self.answered(received, request_id, &mut logs)
            }
        };
        result.output.request = Some(request.into_echo());
        logs.push(format!("result: {}", result.status));
        result.logs = logs;
        result
    }

    fn answered(&self, received: Received, request_id: Option<String>, logs: &mut Vec<String>) -> TaskResult {
        let created = received.fields().and_then(|f| Fields::str(&f.id)).map(str::to_owned);
        let mut result = match outcome::classify(&received) {
            Class::Success => TaskResult::new(Status::Completed, None),
            Class::Terminal(why) => TaskResult::new(Status::FailedWithTerminalError, Some(why)),
            Class::Retryable { why, retry_after } => {
                let mut r = TaskResult::new(
                    Status::Failed,
                    Some(format!("{why}; nothing was created, safe to retry")),
                );
                r.retry_after_seconds = retry_after;
                r
            }
            Class::Unknown(why) => self.unknown(why, Some(&received), logs),
        };
        // A reconciled completion keeps the error only as the reason it was reconciled.
        let error_fields = match result.status {
            Status::Completed => None,
            _ => outcome::plaid_error_fields(&received),
        };
        let output = &mut result.output;
        if result.status == Status::Completed && output.latest_attempt_id.is_none() {
            output.latest_attempt_id = created;
        }
        if output.response.is_none() {
            // Moves the parsed body into the output: it is the largest value a call handles.
            output.response = Some(outcome::response(received, request_id.as_deref()));
        }
        // The retry call's own id when Plaid gave one (what Plaid support asks for), else the list's.
        if request_id.is_some() || output.request_id.is_none() {
            output.request_id = Some(request_id);
        }
        if let Some([error_type, error_code, error_message, display_message]) = error_fields {
            output.error_type = Some(error_type);
            output.error_code = Some(error_code);
            output.error_message = Some(error_message);
            output.display_message = Some(display_message);
        }
        result
    }

    /// Plaid may have opened the session: reconcile (duplicate safety on) or report it plainly.
    fn unknown(&self, why: String, received: Option<&Received>, logs: &mut Vec<String>) -> TaskResult {
        // Plaid said 2xx: the session exists even though its body is unusable; re-sending duplicates.
        let accepted = received.is_some_and(|r| (200..300).contains(&r.status));
        let unknown_terminal = |reason: String| {
            let mut r = TaskResult::new(Status::FailedWithTerminalError, Some(reason));
            r.output.outcome_unknown = Some(true);
            r
        };
        if !self.settings.reconcile_unknown_outcomes {
            if accepted {
                return unknown_terminal(format!(
                    "{why}; Plaid accepted the retry, so the session exists: do not re-send"
                ));
            }
            let mut r = TaskResult::new(
                Status::Failed,
                Some(format!(
                    "{why}; outcome unknown and reconciliation is off: a retry may open a second session"
                )),
            );
            r.output.outcome_unknown = Some(true);
            return r;
        }
        let reconciled =
            reconcile::run(self.settings, self.credentials, self.input, self.sent_at, self.context, logs);
        let mut r = match reconciled {
            Reconciled::Found { attempt, list_request_id } => {
                return found(why, received, attempt, list_request_id, logs)
            }
            Reconciled::NotCreated { list_request_id, latest } => {
                let mut r = if accepted {
                    unknown_terminal(format!(
                        "outcome unknown: {why}; Plaid accepted the retry but /identity_verification/list does not \
                         show the new attempt yet: do not re-send, check the list again later"
                    ))
                } else {
                    TaskResult::new(
                        Status::Failed,
                        Some(format!(
                            "{why}; /identity_verification/list shows no new attempt, so nothing was created: safe to retry"
                        )),
                    )
                };
                r.output.reconciliation = Some(Reconciliation { found: None, list_request_id, why: None });
                r.output.latest_attempt_id = latest;
                r
            }
            Reconciled::Unknown { detail, latest } => {
                let mut r = unknown_terminal(format!(
                    "outcome unknown: {why}; {detail}. Plaid may have opened a billed session: check \
                     /identity_verification/list or the Dashboard before retrying"
                ));
                r.output.latest_attempt_id = latest;
                r
            }
        };
        r.output.reconciled = Some(false);
        r
    }
}

/// The completion for an attempt reconciliation found: the attempt is the response body.
fn found(
    why: String,
    received: Option<&Received>,
    mut attempt: Map<String, Value>,
    list_request_id: Option<String>,
    logs: &mut Vec<String>,
) -> TaskResult {
    let attempt_id = attempt.get("id").and_then(Value::as_str).map(str::to_owned);
    logs.push(format!(
        "reconciled: attempt {} was created by this call",
        attempt_id.as_deref().unwrap_or("?")
    ));
    // The retry response is the attempt plus `request_id`; the list's id stands in.
    if let Some(id) = &list_request_id {
        attempt.entry("request_id").or_insert(Value::from(id.as_str()));
    }
    let mut headers = received.map(|r| r.headers.clone()).unwrap_or_default();
    headers.entry("content-type").or_insert(Value::Null);
    headers.entry("plaid-request-id").or_insert(Value::Null);
    let mut r = TaskResult::new(Status::Completed, None);
    let status_code = received.map(|r| r.status);
    r.output.response = Some(Response { status_code, headers, body: raw(&attempt) });
    r.output.request_id = Some(list_request_id.clone());
    r.output.latest_attempt_id = attempt_id.clone();
    r.output.reconciled = Some(true);
    r.output.reconciliation = Some(Reconciliation { found: attempt_id, list_request_id, why: Some(why) });
    r
}
