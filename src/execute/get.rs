//! The get task: `POST /identity_verification/get` for the session the input names, with the
//! retry's settings, transport and task result, and whether the session's status is final.
//!
//! Classified as the retry is (Plaid's error first, then the status), with one difference: a get
//! is free and changes nothing at Plaid, so whatever may be transient is retryable, the answers
//! whose effect is unknown for a retry (no response, a 5xx, an unreadable 2xx) included; nothing
//! is reconciled. An id Plaid does not know (`INVALID_REQUEST`, 400 or 404) is terminal.

use std::time::Instant;

use plaid_idv_retry_interface::{SessionStatus, TaskStatus as Status};
use serde_json::Value;

use super::{
    context::Context,
    outcome::{self, Class},
    request::{Credentials, PlaidRequest},
    response::{Exchange, Fields, Received},
    TaskResult, NO_CREDENTIALS,
};
use crate::{endpoint::GET_PATH, settings::Settings, validate};

/// The task result for `input`, and the secrets its texts must be scrubbed of.
pub(super) fn run(input_text: &str, settings: &Settings, context: &Context) -> (TaskResult, Vec<String>) {
    let (report, input) = validate::get::read(input_text);
    let Some(input) = input.filter(|_| report.valid) else {
        return (TaskResult::invalid_input(&report), Vec::new());
    };
    let Some(credentials) = Credentials::resolve(settings, &input) else {
        return (TaskResult::new(Status::FailedWithTerminalError, Some(NO_CREDENTIALS.into())), Vec::new());
    };
    let secrets = credentials.secrets().into_iter().map(str::to_owned).collect();
    let request = PlaidRequest::new(settings, &credentials, GET_PATH, &input);
    let began = Instant::now();
    let exchange = request.send(settings, context);
    let took = began.elapsed().as_millis();
    let mut logs = vec![format!(
        "attempt {}: POST {} ({})",
        context.attempt,
        request.url,
        settings.environment.as_str()
    )];
    let mut result = match exchange {
        Exchange::NotSent { cause } => {
            logs.push(format!("not sent after {took} ms: {cause}"));
            let mut r = retryable(format!("the request never reached Plaid ({cause})"));
            r.output.sent = Some(false);
            r
        }
        Exchange::NoResponse { cause } => {
            logs.push(format!("no response after {took} ms: {cause}"));
            retryable(format!("the request was sent but no response arrived ({cause})"))
        }
        Exchange::Received(received) => {
            let request_id = outcome::log_received(&received, took, &mut logs);
            answered(received, request_id, &mut logs)
        }
    };
    result.output.request = Some(request.into_echo());
    if !report.warnings.is_empty() {
        result.output.validation = Some(serde_json::to_value(&report).unwrap_or(Value::Null));
    }
    logs.push(format!("result: {}", result.status));
    result.logs = logs;
    (result, secrets)
}

/// A get that may succeed if sent again: it changes nothing at Plaid, whatever became of it.
fn retryable(why: String) -> TaskResult {
    TaskResult::new(Status::Failed, Some(format!("{why}; a get changes nothing at Plaid: safe to retry")))
}

fn answered(received: Received, request_id: Option<String>, logs: &mut Vec<String>) -> TaskResult {
    let mut result = match outcome::classify(&received) {
        Class::Success => session(received.fields(), logs),
        Class::Terminal(why) => TaskResult::new(Status::FailedWithTerminalError, Some(why)),
        Class::Retryable { why, retry_after } => {
            let mut r = retryable(why);
            r.retry_after_seconds = retry_after;
            r
        }
        Class::Unknown(why) => retryable(why),
    };
    if result.status != Status::Completed {
        if let Some([error_type, error_code, error_message, display_message]) =
            outcome::plaid_error_fields(&received)
        {
            let output = &mut result.output;
            output.error_type = Some(error_type);
            output.error_code = Some(error_code);
            output.error_message = Some(error_message);
            output.display_message = Some(display_message);
        }
    }
    result.output.response = Some(outcome::response(received, request_id.as_deref()));
    result.output.request_id = Some(request_id);
    result
}

/// Plaid's 2xx: the session, whose status says whether a host waits on. A 2xx without a status is
/// not the session Plaid documents, and asking again gets the same answer: terminal.
fn session(fields: Option<&Fields>, logs: &mut Vec<String>) -> TaskResult {
    let Some(status) = fields.and_then(|f| Fields::str(&f.status)) else {
        let why = "Plaid answered 2xx without the session's status: not the session Plaid documents";
        return TaskResult::new(Status::FailedWithTerminalError, Some(why.into()));
    };
    let is_final = match status.parse::<SessionStatus>() {
        Ok(known) => {
            let verdict = if known.is_final() { "final" } else { "not final" };
            logs.push(format!("session status {known}: {verdict}"));
            known.is_final()
        }
        Err(_) => {
            // Plaid adds enum values at will: waiting on (until the host gives up) is the answer
            // that never acts on a verdict this version cannot read.
            logs.push(format!("session status {:?} is not one this version knows: not final", shown(status)));
            false
        }
    };
    let mut result = TaskResult::new(Status::Completed, None);
    result.output.session_status = Some(status.to_owned());
    result.output.is_final = Some(is_final);
    result
}

/// A word from the answer, short enough for a log line.
fn shown(word: &str) -> String {
    word.chars().take(64).collect()
}
