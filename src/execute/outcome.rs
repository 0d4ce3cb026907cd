//! How a response is classified into a task status, and the parts of the task result it gives.
//!
//! Plaid asks clients to branch on `error_type`/`error_code` before the HTTP status, so that is
//! the order here.

use plaid_idv_retry_interface::Response;
use serde_json::{value::RawValue, Value};

use super::response::{Fields, Received};

/// Where a response leaves us.
#[derive(Debug, PartialEq)]
pub enum Class {
    Success,
    /// Retrying the same request cannot succeed.
    Terminal(String),
    /// Nothing was created; try again, after `retry_after` seconds if given.
    Retryable {
        why: String,
        retry_after: Option<f64>,
    },
    /// Plaid failed while handling the call, or answered what cannot be read: whether the call
    /// took effect is unknown (for the retry: whether it opened a session).
    Unknown(String),
}

/// Plaid's rate-limit windows are per minute: without a `Retry-After`, the next window is the
/// earliest a retry can help.
const RATE_LIMIT_WAIT_SECONDS: f64 = 60.0;

pub fn classify(received: &Received) -> Class {
    let status = received.status;
    let fields = received.fields();
    let error_type = fields.and_then(|f| Fields::str(&f.error_type));
    let error_code = fields.and_then(|f| Fields::str(&f.error_code));
    let plaid = |t: &str, c: &str| format!("Plaid answered HTTP {status} {t}/{c}");
    if let (Some(t), Some(c)) = (error_type, error_code) {
        match (t, c) {
            ("INVALID_REQUEST" | "INVALID_INPUT" | "USER_ERROR", _) => {
                return Class::Terminal(format!(
                    "{}: fix the request or the credentials, do not retry",
                    plaid(t, c)
                ))
            }
            ("RATE_LIMIT_EXCEEDED", _) => {
                return Class::Retryable {
                    why: format!("{}: Plaid's rate limit for this call was reached", plaid(t, c)),
                    retry_after: Some(received.retry_after_seconds().unwrap_or(RATE_LIMIT_WAIT_SECONDS)),
                }
            }
            ("API_ERROR", "PLANNED_MAINTENANCE") => {
                return Class::Retryable {
                    why: format!("{}: Plaid is under maintenance (see status.plaid.com)", plaid(t, c)),
                    retry_after: received.retry_after_seconds(),
                }
            }
            ("API_ERROR", _) => return Class::Unknown(plaid(t, c)),
            _ => {} // an error type this version does not know: the status decides
        }
    }
    let problem = received.body_problem();
    let described = |what: &str| match &problem {
        Some(p) => format!("HTTP {status} {what}; {p}"),
        None => format!("HTTP {status} {what}"),
    };
    match status {
        200..=299 if problem.is_none() => Class::Success,
        // Plaid accepted the retry, so a session exists, but we cannot show it.
        200..=299 => Class::Unknown(described("(accepted)")),
        300..=399 => Class::Terminal(described(
            "redirect, not followed: the base URL must point at Plaid's API host itself",
        )),
        408 => Class::Retryable {
            why: described("request timeout"),
            retry_after: received.retry_after_seconds(),
        },
        429 => Class::Retryable {
            why: described("too many requests"),
            retry_after: Some(received.retry_after_seconds().unwrap_or(RATE_LIMIT_WAIT_SECONDS)),
        },
        404 => Class::Terminal(described("not found: check the base URL and the Plaid environment")),
        400..=499 => Class::Terminal(described("client error: do not retry")),
        503 => Class::Retryable {
            why: described("service unavailable"),
            retry_after: received.retry_after_seconds(),
        },
        _ => Class::Unknown(described("server error")),
    }
}

/// The Plaid error fields the output carries (`error_type`, `error_code`, `error_message`,
/// `display_message`, as Plaid sent them, null where missing) when the body is a Plaid error.
/// Its `request_id` is the output's own.
pub fn plaid_error_fields(received: &Received) -> Option<[Value; 4]> {
    let fields = received.fields().filter(|f| f.error_type.is_some())?;
    let field = |f: &Option<Value>| f.clone().unwrap_or(Value::Null);
    Some([
        field(&fields.error_type),
        field(&fields.error_code),
        field(&fields.error_message),
        field(&fields.display_message),
    ])
}

/// `output.response`: status, the kept headers (always with `content-type` and
/// `plaid-request-id`), and the body as Plaid sent it.
pub fn response(received: Received, request_id: Option<&str>) -> Response<Box<RawValue>> {
    let status = received.status;
    let (mut headers, body) = received.into_parts();
    headers.entry("content-type").or_insert(Value::Null);
    // Plaid does not document a request-id header; the body's `request_id` is authoritative
    // and fills the slot when no header carried it.
    headers.entry("plaid-request-id").or_insert(request_id.map(Value::from).unwrap_or(Value::Null));
    Response { status_code: Some(status), headers, body }
}

/// The answer's `request_id`, after the log line that records the answer's arrival.
pub fn log_received(received: &Received, took: u128, logs: &mut Vec<String>) -> Option<String> {
    let request_id = request_id(received);
    logs.push(format!(
        "HTTP {} after {took} ms, request_id {}",
        received.status,
        request_id.as_deref().unwrap_or("(none)")
    ));
    request_id
}

pub fn request_id(received: &Received) -> Option<String> {
    received
        .fields()
        .and_then(|f| Fields::str(&f.request_id))
        .or_else(|| received.header("plaid-request-id"))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::response::BodyRead;
    use serde_json::json;

    fn received(status: u16, body: &str, headers: &[(&str, &str)]) -> Received {
        Received::new(
            status,
            headers.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect(),
            BodyRead::Complete(body.as_bytes().to_vec()),
        )
    }

    fn error(t: &str, c: &str) -> String {
        json!({"error_type": t, "error_code": c, "error_message": "m", "display_message": null, "request_id": "r"})
            .to_string()
    }

    #[test]
    fn error_type_wins_over_status() {
        assert!(matches!(
            classify(&received(400, &error("INVALID_REQUEST", "MISSING_FIELDS"), &[])),
            Class::Terminal(_)
        ));
        assert!(matches!(
            classify(&received(403, &error("USER_ERROR", "INVALID_USER_IDENTITY_DATA"), &[])),
            Class::Terminal(_)
        ));
        // A 500 carrying RATE_LIMIT_EXCEEDED is still a rate limit.
        let c = classify(&received(500, &error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT"), &[]));
        assert_eq!(c, Class::Retryable { why: c_why(&c), retry_after: Some(60.0) });
        let c = classify(&received(503, &error("API_ERROR", "PLANNED_MAINTENANCE"), &[("retry-after", "7")]));
        assert!(matches!(c, Class::Retryable { retry_after: Some(7.0), .. }));
        assert!(matches!(
            classify(&received(500, &error("API_ERROR", "INTERNAL_SERVER_ERROR"), &[])),
            Class::Unknown(_)
        ));
    }

    fn c_why(c: &Class) -> String {
        match c {
            Class::Retryable { why, .. } => why.clone(),
            _ => String::new(),
        }
    }

    #[test]
    fn retry_after_may_be_an_http_date() {
        let r = received(503, "", &[("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT")]);
        assert_eq!(r.retry_after_seconds(), Some(0.0), "a date in the past means now");
        let r = received(503, "", &[("retry-after", "Fri, 01 Jan 2100 00:00:00 GMT")]);
        assert!(r.retry_after_seconds().is_some_and(|s| s > 1e9));
        let r = received(503, "", &[("retry-after", "soon")]);
        assert_eq!(r.retry_after_seconds(), None);
    }

    #[test]
    fn status_decides_without_a_plaid_error() {
        assert_eq!(classify(&received(200, "{\"id\":\"idv_1\"}", &[])), Class::Success);
        assert!(matches!(classify(&received(200, "{\"id\":", &[])), Class::Unknown(_)));
        assert!(matches!(classify(&received(404, "", &[])), Class::Terminal(_)));
        assert!(
            matches!(classify(&received(502, "<html>bad gateway</html>", &[("content-type", "text/html")])), Class::Unknown(m) if m.contains("not JSON"))
        );
        assert!(matches!(classify(&received(503, "", &[])), Class::Retryable { .. }));
        assert!(matches!(classify(&received(301, "", &[])), Class::Terminal(_)));
    }
}
