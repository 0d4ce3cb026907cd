//! One request's answer: the faults that refuse it first, Plaid's behaviour (`route`), then the
//! faults on the way out, and the delivery (`faults::Delivery`: drips, truncation, drops). The
//! session page (`page`) and the control routes (`control`) are answered beside Plaid's API.

use std::sync::{atomic::Ordering, Arc};

use axum::{
    body::Bytes,
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    response::Response,
};

use crate::{
    control,
    faults::{self, Delivery, Fault, FaultSet, FAULT_HEADER},
    page,
    plaid::Plaid,
    plaid_error::PlaidError,
    route,
};

/// Larger bodies are refused with `INVALID_BODY` before they are parsed.
pub const MAX_REQUEST_BODY: usize = 1 << 20;

/// A finished response before delivery: status, content type, bytes.
struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
}

const JSON: &str = "application/json; charset=utf-8";

impl Reply {
    fn json(status: StatusCode, value: &serde_json::Value) -> Self {
        Reply { status, content_type: JSON, body: Bytes::from(value.to_string()) }
    }

    fn error(error: &PlaidError, request_id: &str) -> Self {
        Reply::json(error.status, &error.body(request_id))
    }

    fn into_response(self, delivery: Delivery) -> Response {
        let mut response = Response::new(delivery.body(self.body));
        *response.status_mut() = self.status;
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        response
    }
}

/// A response that closes the connection without sending anything.
fn dropped() -> Response {
    Reply { status: StatusCode::OK, content_type: JSON, body: Bytes::new() }
        .into_response(Delivery { drop: true, ..Delivery::default() })
}

/// Fault statuses were checked when parsed (429, 500-599).
fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) async fn handle(State(plaid): State<Arc<Plaid>>, request: Request) -> Response {
    let n = plaid.requests.fetch_add(1, Ordering::Relaxed);
    let request_id = plaid.ids.request_id();
    let (parts, body) = request.into_parts();
    // Read before any fault answers: a server that answers and closes with the request still
    // unread makes the kernel reset the connection, and the client may never see the answer.
    let body = axum::body::to_bytes(body, MAX_REQUEST_BODY).await;

    let server_faults = plaid.faults.for_request(n);
    let header_faults = match parts.headers.get(FAULT_HEADER).map(|v| v.to_str().map(str::parse::<FaultSet>))
    {
        None => None,
        Some(Ok(Ok(set))) => Some(set),
        Some(Ok(Err(e))) => {
            let error = PlaidError::invalid_headers(format!("the X-Sim-Fault header is not valid: {e}"));
            return Reply::error(&error, &request_id).into_response(Delivery::default());
        }
        Some(Err(_)) => {
            let error = PlaidError::invalid_headers("the X-Sim-Fault header is not valid: it must be ASCII");
            return Reply::error(&error, &request_id).into_response(Delivery::default());
        }
    };
    let merged;
    let faults = match &header_faults {
        Some(set) => {
            merged = server_faults.merged(set);
            &merged
        }
        None => server_faults,
    };
    let drop_webhooks = faults.contains(Fault::DropWebhooks);

    // The session page and the control routes are not Plaid's API: no other fault applies.
    let path = parts.uri.path();
    if path == "/verify" || path.starts_with("/verify/") {
        return page::handle(&plaid, &parts, body.ok().as_deref(), drop_webhooks);
    }
    if path.starts_with(control::PREFIX) {
        let reply = match body {
            Ok(bytes) => control::handle(&plaid, &parts, &bytes, drop_webhooks),
            Err(_) => Err(PlaidError::invalid_body(format!(
                "body could not be read: it must be at most {MAX_REQUEST_BODY} bytes"
            ))),
        };
        return match reply {
            Ok(mut value) => {
                value["request_id"] = serde_json::Value::from(request_id.as_str());
                Reply::json(StatusCode::OK, &value).into_response(Delivery::default())
            }
            Err(error) => Reply::error(&error, &request_id).into_response(Delivery::default()),
        };
    }

    // Faults that refuse the request before Plaid would have handled it.
    let mut burst = None;
    let mut refused = None;
    for fault in faults.iter() {
        match *fault {
            Fault::Hang(bound) => {
                tokio::time::sleep(bound).await;
                return dropped();
            }
            Fault::Status(code) if refused.is_none() => {
                refused = Some(Reply::error(&PlaidError::for_status(status_code(code)), &request_id));
            }
            Fault::Html502 if refused.is_none() => {
                refused = Some(Reply {
                    status: StatusCode::BAD_GATEWAY,
                    content_type: "text/html",
                    body: Bytes::from_static(faults::HTML_502.as_bytes()),
                });
            }
            Fault::RateLimitBurst(n) => burst = Some(n),
            _ => {}
        }
    }

    let reply = match refused {
        Some(reply) => reply,
        None => match body {
            Err(_) => Reply::error(
                &PlaidError::invalid_body(format!(
                    "body could not be read: it must be at most {MAX_REQUEST_BODY} bytes"
                )),
                &request_id,
            ),
            Ok(bytes) => {
                let (method, headers) = (&parts.method, &parts.headers);
                match route::dispatch(&plaid, method, parts.uri.path(), headers, &bytes, burst, drop_webhooks)
                {
                    Ok(mut value) => {
                        value["request_id"] = serde_json::Value::from(request_id.as_str());
                        Reply::json(StatusCode::OK, &value)
                    }
                    Err(error) => Reply::error(&error, &request_id),
                }
            }
        },
    };

    // Faults on the way out: whatever the request did has been recorded.
    let mut reply = reply;
    for fault in faults.iter() {
        match *fault {
            Fault::StatusAfterRecord(code) => {
                reply = Reply::error(&PlaidError::for_status(status_code(code)), &request_id);
            }
            Fault::Latency(delay) => tokio::time::sleep(delay).await,
            _ => {}
        }
    }
    let mut response = reply.into_response(Delivery::from_faults(faults));
    if let Some(seconds) = faults.iter().find_map(|f| match f {
        Fault::RetryAfter(n) => Some(*n),
        _ => None,
    }) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
