//! The request Plaid's official clients send, and sending it with timeouts clipped to the
//! deadline.

use std::{borrow::Cow, time::Duration};

use plaid_idv_retry_interface::{personal::MASK, RequestEcho};
use serde_json::{value::RawValue, Map, Value};

use super::{
    agent,
    context::Context,
    response::{self, raw, Exchange},
};
use crate::{
    endpoint::USER_AGENT,
    redact,
    settings::{Secret, Settings},
};

/// The retry body as Plaid wants it: the input with every member given as `null` left out.
/// Plaid's docs ask to "omit the key entirely" rather than send null (id_number, steps, the
/// address fields a country takes none of), and the schema lets null stand for "not given" only
/// on optional keys, so dropping them changes no meaning. The input itself when it has no null.
pub fn body(input: &Value) -> Cow<'_, Value> {
    fn has_null_member(value: &Value) -> bool {
        match value {
            Value::Object(members) => members.values().any(|v| v.is_null() || has_null_member(v)),
            Value::Array(items) => items.iter().any(has_null_member),
            _ => false,
        }
    }
    fn without_nulls(value: &Value) -> Value {
        match value {
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), without_nulls(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
            other => other.clone(),
        }
    }
    if has_null_member(input) {
        Cow::Owned(without_nulls(input))
    } else {
        Cow::Borrowed(input)
    }
}

/// Below this much time left, a call is not started: it could not finish anyway.
const MIN_CALL_BUDGET: Duration = Duration::from_millis(50);

/// The credentials for the call: from the settings (sent as headers, like Plaid's clients do) or,
/// when the user put them in the input, left in the body where they are.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: Option<String>,
    pub secret: Option<Secret>,
    /// The input's own `client_id` / `secret`, copied into every call's body (the list call too).
    pub in_body: Map<String, Value>,
}

impl Credentials {
    /// `None` when neither the settings nor the input supply both.
    pub fn resolve(settings: &Settings, input: &Value) -> Option<Self> {
        let in_body: Map<String, Value> = ["client_id", "secret"]
            .into_iter()
            .filter_map(|k| input.get(k).filter(|v| v.is_string()).map(|v| (k.to_owned(), v.clone())))
            .collect();
        let has_id = settings.client_id.is_some() || in_body.contains_key("client_id");
        let has_secret = settings.secret.is_some() || in_body.contains_key("secret");
        (has_id && has_secret).then(|| Credentials {
            client_id: settings.client_id.clone(),
            secret: settings.secret.clone(),
            in_body,
        })
    }

    /// Every secret value a text might leak, for `redact::scrub`.
    pub fn secrets(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.secret.iter().map(Secret::expose).collect();
        all.extend(self.in_body.get("secret").and_then(Value::as_str));
        all
    }
}

pub struct PlaidRequest {
    pub url: String,
    headers: Vec<(&'static str, String)>,
    secret: Option<Secret>,
    body: Vec<u8>,
    masked_body: Box<RawValue>,
}

impl PlaidRequest {
    pub fn new(settings: &Settings, credentials: &Credentials, path: &str, body: &Value) -> Self {
        let mut headers = vec![
            ("Content-Type", "application/json".to_owned()),
            ("Accept", "application/json".to_owned()),
            ("Plaid-Version", settings.plaid_version.clone()),
            ("User-Agent", USER_AGENT.to_owned()),
        ];
        if let Some(id) = &credentials.client_id {
            headers.push(("PLAID-CLIENT-ID", id.clone()));
        }
        PlaidRequest {
            url: format!("{}{path}", settings.base_url),
            headers,
            secret: credentials.secret.clone(),
            // Serializing a `Value` cannot fail.
            body: serde_json::to_vec(body).unwrap_or_default(),
            masked_body: raw(&redact::body(body)),
        }
    }

    /// The request as sent, for the output and logs: the secret and personal fields masked.
    /// Built by moving, not with `json!`, which would copy the body through a serializer.
    pub fn into_echo(self) -> RequestEcho<Box<RawValue>> {
        let mut headers: Map<String, Value> =
            self.headers.into_iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect();
        if self.secret.is_some() {
            headers.insert("PLAID-SECRET".into(), MASK.into());
        }
        RequestEcho { method: "POST".into(), url: self.url, headers, body: self.masked_body }
    }

    /// Sends the request and reads the answer, never past `context.deadline`.
    pub fn send(&self, settings: &Settings, context: &Context) -> Exchange {
        let remaining = context.remaining();
        if remaining < MIN_CALL_BUDGET {
            return Exchange::NotSent { cause: "the deadline had passed before the call could start".into() };
        }
        let mut builder = agent::shared()
            .post(&self.url)
            .config()
            .timeout_global(Some(remaining))
            .timeout_connect(Some(settings.connection_timeout.min(remaining)))
            .timeout_recv_response(Some(settings.read_timeout))
            .timeout_recv_body(Some(settings.read_timeout))
            .build();
        for (name, value) in &self.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(secret) = &self.secret {
            builder = builder.header("PLAID-SECRET", secret.expose());
        }
        agent::reset_wrote();
        let result = builder.send(&self.body[..]);
        response::receive(result, agent::wrote(), settings.max_response_bytes)
    }
}
