//! Reading what came back: status, the headers worth keeping, and the body under the size cap,
//! whatever it turns out to be (JSON, HTML from a proxy, bytes that are not UTF-8, cut short).

use std::io::Read;

use serde_json::{Map, Value};
use ureq::{http::Response, Body};

use super::clock;

/// What one call came to, from the request's point of view.
#[derive(Debug)]
pub enum Exchange {
    /// Nothing reached the server: refused, DNS, TLS handshake, connect timeout. Safe to retry.
    NotSent {
        cause: String,
    },
    /// The request was (or may have been) sent but no response arrived. Outcome unknown.
    NoResponse {
        cause: String,
    },
    Received(Received),
}

#[derive(Debug)]
pub struct Received {
    pub status: u16,
    /// Lower-case name → value, only the headers `KEPT_HEADERS` names.
    pub headers: Map<String, Value>,
    pub body: BodyRead,
    /// A complete, non-empty body parsed once: classification, the request id, the output and
    /// reconciliation all read it, and parsing a body is most of what a call costs us.
    json: Option<Result<Value, serde_json::Error>>,
}

#[derive(Debug)]
pub enum BodyRead {
    Complete(Vec<u8>),
    /// The connection failed mid-body (e.g. fewer bytes than Content-Length).
    Truncated {
        received: Vec<u8>,
        cause: String,
    },
    /// Larger than `max_response_bytes`; reading stopped at the cap.
    TooLarge {
        limit: u64,
    },
}

/// Plaid's documented headers carry nothing personal, but cookies and the like have no business
/// in a task output: keep only what the engine or a person reading the result can use.
const KEPT_HEADERS: [&str; 6] =
    ["content-type", "content-length", "date", "retry-after", "plaid-request-id", "x-request-id"];

pub fn receive(result: Result<Response<Body>, ureq::Error>, wrote: bool, limit: u64) -> Exchange {
    let mut response = match result {
        Ok(r) => r,
        Err(e) if !wrote => return Exchange::NotSent { cause: describe(&e) },
        Err(e) => return Exchange::NoResponse { cause: describe(&e) },
    };
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (name.as_str().to_owned(), Value::from(String::from_utf8_lossy(value.as_bytes())))
        })
        .collect();
    let status = response.status().as_u16();
    let body = read_body(response.body_mut(), limit);
    Exchange::Received(Received::new(status, headers, body))
}

fn read_body(body: &mut Body, limit: u64) -> BodyRead {
    if body.content_length().is_some_and(|n| n > limit) {
        return BodyRead::TooLarge { limit };
    }
    // One byte past the cap tells "exactly at the cap" from "over it".
    let mut reader = body.with_config().limit(u64::MAX).reader().take(limit + 1);
    let mut bytes = Vec::new();
    match reader.read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > limit => BodyRead::TooLarge { limit },
        Ok(_) => BodyRead::Complete(bytes),
        Err(e) => BodyRead::Truncated { received: bytes, cause: describe(&ureq::Error::from(e)) },
    }
}

/// One sentence about a network failure. ureq's messages name the failure, not the request's
/// contents, and the caller scrubs secrets from every text regardless.
fn describe(e: &ureq::Error) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(t) => format!("timed out ({t:?})"),
        E::HostNotFound => "the host name did not resolve".into(),
        E::Io(io) => format!("{} ({:?})", io, io.kind()),
        other => other.to_string(),
    }
}

impl Received {
    pub fn new(status: u16, headers: Map<String, Value>, body: BodyRead) -> Self {
        let json = match &body {
            BodyRead::Complete(bytes) if !bytes.is_empty() => Some(serde_json::from_slice(bytes)),
            _ => None,
        };
        Received { status, headers, body, json }
    }

    /// The kept headers, and the body as the engine gets it: parsed JSON when it is JSON, else
    /// the text (invalid UTF-8 replaced), else nothing.
    pub fn into_parts(self) -> (Map<String, Value>, Value) {
        let body = match (self.body, self.json) {
            (_, Some(Ok(value))) => value,
            (BodyRead::Complete(bytes), Some(Err(_))) | (BodyRead::Truncated { received: bytes, .. }, _) => {
                Value::from(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => Value::Null,
        };
        (self.headers, body)
    }

    /// A complete body that is a JSON object: Plaid's only answer shape.
    pub fn json_object(&self) -> Option<&Map<String, Value>> {
        match &self.json {
            Some(Ok(Value::Object(map))) => Some(map),
            _ => None,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }

    /// `Retry-After` in seconds: delta-seconds or an HTTP date.
    pub fn retry_after_seconds(&self) -> Option<f64> {
        let text = self.header("retry-after")?.trim();
        if let Ok(seconds) = text.parse::<u64>() {
            return Some(seconds as f64);
        }
        let at = clock::parse_http_date(text)?;
        Some(((at * 1000 - clock::now_unix_ms()).max(0) as f64 / 1000.0).ceil())
    }

    /// What is wrong with a body we cannot use, in words; `None` for a usable JSON object.
    pub fn body_problem(&self) -> Option<String> {
        let content_type = self.header("content-type").unwrap_or("no content type");
        match &self.body {
            BodyRead::TooLarge { limit } => {
                Some(format!("the response body is larger than max_response_bytes ({limit} bytes) and was not read"))
            }
            BodyRead::Truncated { received, cause } => {
                Some(format!("the response body was cut off after {} bytes: {cause}", received.len()))
            }
            BodyRead::Complete(bytes) => match &self.json {
                None => Some("the response body is empty".into()),
                Some(Ok(Value::Object(_))) => None,
                Some(Ok(_)) => Some("the response body is JSON but not an object".into()),
                Some(Err(e)) if e.is_eof() => Some(format!("the response body is truncated JSON ({} bytes)", bytes.len())),
                Some(Err(_)) if std::str::from_utf8(bytes).is_err() => {
                    Some(format!("the response body is not UTF-8 text ({content_type})"))
                }
                Some(Err(_)) => Some(format!("the response body is not JSON ({content_type}); a proxy or load balancer may have answered instead of Plaid")),
            },
        }
    }
}
