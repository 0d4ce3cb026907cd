//! Reading what came back: status, the headers worth keeping, and the body under the size cap,
//! whatever it turns out to be (JSON, HTML from a proxy, bytes that are not UTF-8, cut short).

use std::io::Read;

use plaid_idv_retry_interface::present;
use serde::{de::IgnoredAny, Deserialize};
use serde_json::{value::RawValue, Map, Value};
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
    /// A complete, non-empty body read once: what classification, the request id and the output
    /// use of it. `None` for any other body.
    json: Option<Json>,
}

/// A complete body, read as JSON without building it: the output carries Plaid's answer as it
/// came, and a tree of it would be built only to be written out again (most of a call's CPU
/// time before).
#[derive(Debug)]
enum Json {
    Object(Box<Fields>),
    /// JSON, but not an object: not an answer of Plaid's.
    NotObject,
    Invalid(Invalid),
}

#[derive(Debug)]
enum Invalid {
    NotUtf8,
    /// serde's error for its position and category, never its text (it may quote the body).
    Syntax(serde_json::Error),
}

/// The members of Plaid's answer a call acts on; the rest is skipped unread. A member present as
/// `null` is `Some(Value::Null)`: an error body with `"error_type": null` is still an error body.
#[derive(Debug, Default, Deserialize)]
pub struct Fields {
    #[serde(default, deserialize_with = "present")]
    pub id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub request_id: Option<Value>,
    /// The session's status (the get task reads it).
    #[serde(default, deserialize_with = "present")]
    pub status: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub error_type: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub error_code: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub error_message: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub display_message: Option<Value>,
}

impl Fields {
    pub fn str(field: &Option<Value>) -> Option<&str> {
        field.as_ref().and_then(Value::as_str)
    }
}

impl Json {
    fn read(bytes: &[u8]) -> Json {
        let Ok(text) = std::str::from_utf8(bytes) else { return Json::Invalid(Invalid::NotUtf8) };
        // serde would read `[...]` into a struct by position: only an object is read for fields.
        if text.trim_start().starts_with('{') {
            return match serde_json::from_str::<Fields>(text) {
                Ok(fields) => Json::Object(Box::new(fields)),
                Err(e) => Json::Invalid(Invalid::Syntax(e)),
            };
        }
        match serde_json::from_str::<IgnoredAny>(text) {
            Ok(_) => Json::NotObject,
            Err(e) => Json::Invalid(Invalid::Syntax(e)),
        }
    }
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
            BodyRead::Complete(bytes) if !bytes.is_empty() => Some(Json::read(bytes)),
            _ => None,
        };
        Received { status, headers, body, json }
    }

    /// The kept headers, and the body as the engine gets it: Plaid's JSON as it came (on one
    /// line), else the text (invalid UTF-8 replaced), else null.
    pub fn into_parts(self) -> (Map<String, Value>, Box<RawValue>) {
        let text = match (self.body, &self.json) {
            (BodyRead::Complete(bytes), Some(Json::Object(_) | Json::NotObject)) => {
                String::from_utf8(bytes).map(one_line).map_err(|e| e.into_bytes())
            }
            (BodyRead::Complete(bytes), Some(Json::Invalid(_)))
            | (BodyRead::Truncated { received: bytes, .. }, _) => Err(bytes),
            _ => return (self.headers, raw(&Value::Null)),
        };
        let body = match text {
            // Read as JSON already, so `from_string` does not fail.
            Ok(json) => RawValue::from_string(json).unwrap_or_else(|_| raw(&Value::Null)),
            Err(bytes) => raw(&Value::from(String::from_utf8_lossy(&bytes))),
        };
        (self.headers, body)
    }

    /// A complete body that is a JSON object: Plaid's only answer shape.
    pub fn fields(&self) -> Option<&Fields> {
        match &self.json {
            Some(Json::Object(fields)) => Some(fields),
            _ => None,
        }
    }

    /// The body as a JSON object tree, for the list call, whose answer is read whole.
    pub fn object(&self) -> Option<Map<String, Value>> {
        match (&self.body, self.fields()) {
            (BodyRead::Complete(bytes), Some(_)) => serde_json::from_slice(bytes).ok(),
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
                Some(Json::Object(_)) => None,
                Some(Json::NotObject) => Some("the response body is JSON but not an object".into()),
                Some(Json::Invalid(Invalid::NotUtf8)) => {
                    Some(format!("the response body is not UTF-8 text ({content_type})"))
                }
                Some(Json::Invalid(Invalid::Syntax(e))) if e.is_eof() => Some(format!("the response body is truncated JSON ({} bytes)", bytes.len())),
                Some(Json::Invalid(Invalid::Syntax(e))) if e.is_data() => {
                    Some("the response body is a JSON object with a member Plaid sends once given twice".into())
                }
                Some(Json::Invalid(_)) => Some(format!("the response body is not JSON ({content_type}); a proxy or load balancer may have answered instead of Plaid")),
            },
        }
    }
}

/// A document as raw JSON. Writing a `Value` cannot fail.
pub fn raw(value: &impl serde::Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| raw(&Value::Null))
}

/// Valid JSON on one line: the whitespace between its tokens dropped when it spans lines (Plaid
/// indents its answers), so a result stays one line in an engine's log or a JSON-lines file. In
/// JSON a line break is never inside a string, so only pretty-printed text has one.
fn one_line(text: String) -> String {
    // Two single-byte searches (memchr) are far faster than one for either of two chars.
    if !text.contains('\n') && !text.contains('\r') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indented_answer_becomes_one_line_and_strings_keep_their_spaces() {
        let pretty = "{\n  \"id\": \"idv 1\",\r\n  \"a\\\"b\": [1, {\"c\": \" x \\\\\"}]\n}\n";
        let line = one_line(pretty.to_owned());
        assert_eq!(line, r#"{"id":"idv 1","a\"b":[1,{"c":" x \\"}]}"#);
        let reparsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(reparsed, serde_json::from_str::<Value>(pretty).unwrap());
        assert_eq!(one_line(r#"{"a": 1}"#.into()), r#"{"a": 1}"#, "one line already: as it came");
    }

    #[test]
    fn only_an_object_is_read_for_fields() {
        let received =
            |body: &str| Received::new(200, Map::new(), BodyRead::Complete(body.as_bytes().to_vec()));
        let r = received(r#"{"id": "idv_1", "error_type": null, "x": [1, {"id": "nested"}]}"#);
        let fields = r.fields().unwrap();
        assert_eq!(Fields::str(&fields.id), Some("idv_1"));
        assert_eq!(fields.error_type, Some(Value::Null), "present as null");
        assert_eq!(fields.error_code, None, "absent");
        assert!(r.body_problem().is_none());
        assert!(received(r#"["idv_1", "r"]"#).fields().is_none(), "not read by position");
        assert!(received(r#"["idv_1"]"#).body_problem().unwrap().contains("not an object"));
        assert!(received(r#"{"id": "a", "id": "b"}"#).body_problem().unwrap().contains("twice"));
        assert!(received(r#"{"id": "a""#).body_problem().unwrap().contains("truncated"));
        assert!(received("<html>").body_problem().unwrap().contains("not JSON"));
        let (_, body) = received("{\n \"id\": \"idv_1\"\n}").into_parts();
        assert_eq!(body.get(), r#"{"id":"idv_1"}"#);
        let (_, body) = received("<html>\n").into_parts();
        assert_eq!(body.get(), r#""<html>\n""#);
    }
}
