//! What the console's routes answer. Everything comes from the loaded plugin (manifest, input
//! schema, presets, validation, `execute`); host-sim adds only where the Test request went and
//! the example input. The settings stay here: the browser never receives a credential, and as a
//! last line every answer is scrubbed of the configured `client_id` and `secret` values.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use plaid_idv_retry_interface::{Plugin, PluginError, RequestEcho};
use plaid_idv_webhook::{PlaidKeys, Verifier};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{
    curl,
    sessions::{Received, Sessions},
};
use crate::{
    billed,
    error::Failure,
    follow::{self, Cadence, SessionView},
    io::parse_answer,
    target::Target,
    test_request,
};

/// The input the form starts with: Plaid's sandbox test user, which the simulator passes.
const EXAMPLE_INPUT: &str = include_str!("../../examples/sandbox-test-user.json");

/// The console's state: the plugin, where Test requests go, and what the page is told.
pub struct Console {
    plugin: Plugin,
    target: Target,
    manifest: Value,
    input_schema: Value,
    /// Headers that carry credentials, named by the plugin's own preset.
    credential_headers: Vec<String>,
    /// Top-level input fields the schema marks `writeOnly` (credentials a task input may carry).
    write_only: Vec<String>,
    /// Values that must never reach the browser.
    secrets: Vec<String>,
    /// The sessions Test requests opened, followed to their verdicts.
    sessions: Sessions,
}

/// A refusal or failure, answered as `{"error": {"code", "message"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    fn plugin(e: PluginError) -> Self {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "plugin_error",
            format!("the plugin answered {}: {}", e.code, e.message),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

impl Console {
    pub fn new(plugin: Plugin, target: Target) -> Result<Console, Failure> {
        let manifest = parse_answer(&plugin.manifest()?, "a manifest")?;
        let input_schema = parse_answer(&plugin.input_schema()?, "an input schema")?;
        let seed = parse_answer(&plugin.settings_preset("{}")?, "a preset")?;
        let credential_headers = curl::credential_headers(&seed["httpRequest"]["headers"]);
        let write_only = input_schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, field)| field["writeOnly"] == true)
            .map(|(name, _)| name.clone())
            .collect();
        let settings: Value = serde_json::from_str(&target.settings).unwrap_or_default();
        let secrets = ["client_id", "secret"]
            .iter()
            .filter_map(|key| settings[key].as_str())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
            .collect();
        let get = follow::get_task(&plugin).ok();
        let cadence = get.map(|get| Cadence::of(&get, target.environment())).transpose()?;
        let sessions = Sessions::new(get, target.settings.clone(), cadence, verifier(&target, &settings));
        Ok(Console {
            plugin,
            target,
            manifest,
            input_schema,
            credential_headers,
            write_only,
            secrets,
            sessions,
        })
    }

    /// Where Test requests go, for people: never carries a credential.
    pub fn target_description(&self) -> &str {
        &self.target.description
    }

    /// A Test request against Plaid's production environment opens a session Plaid bills.
    pub fn billed(&self) -> bool {
        self.target.billed()
    }

    /// A copy of `value` with every configured credential value replaced.
    fn scrub(&self, value: Value) -> Value {
        match value {
            Value::String(mut text) => {
                for secret in &self.secrets {
                    if text.contains(secret.as_str()) {
                        text = text.replace(secret.as_str(), "***");
                    }
                }
                Value::String(text)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.scrub(v)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, self.scrub(v))).collect()),
            other => other,
        }
    }

    /// An error answer scrubbed as every other answer is: none carries a credential today, and
    /// a message that one day quotes a value must not carry it to the page.
    pub fn scrub_error(&self, mut error: ApiError) -> ApiError {
        if let Value::String(message) = self.scrub(Value::String(std::mem::take(&mut error.message))) {
            error.message = message;
        }
        error
    }

    fn answer(&self, value: Value) -> Response {
        Json(self.scrub(value)).into_response()
    }

    /// The catalog and everything the page needs before the user picks a task.
    pub fn catalog(&self) -> Response {
        let tasks = match &self.manifest["tasks"] {
            Value::Array(tasks) => tasks.clone(),
            _ => vec![self.manifest["task"].clone()],
        };
        self.answer(json!({
            "plugin": {"name": self.manifest["name"], "version": self.manifest["version"]},
            "tasks": tasks,
            "preset_options": self.preset_options(),
            "target": {
                "description": self.target.description,
                "billed": self.billed(),
                "billed_notice": self.billed().then(|| billed::notice(&self.target.description)),
            },
            "credential_variables": self.credential_headers.iter().map(|h| curl::variable(h)).collect::<Vec<_>>(),
            "example_input": serde_json::from_str::<Value>(EXAMPLE_INPUT).unwrap_or_default(),
        }))
    }

    /// The preset's options as the plugin's manifest announces them (`preset_options`): the
    /// page offers exactly these, so a dialect a new plugin release adds appears by itself.
    fn preset_options(&self) -> Value {
        self.manifest["preset_options"].clone()
    }

    pub fn input_schema(&self) -> Response {
        Json(self.input_schema.clone()).into_response()
    }

    pub fn preset(&self, request: PresetRequest) -> Result<Response, ApiError> {
        let mut options = Map::new();
        if let Some(environment) = request.environment {
            options.insert("environment".into(), environment.into());
        }
        if let Some(dialect) = request.dialect {
            options.insert("dialect".into(), dialect.into());
        }
        let invalid =
            |e: PluginError| ApiError::new(StatusCode::BAD_REQUEST, "invalid_options", e.message.to_string());
        let preset =
            self.plugin.settings_preset(&Value::Object(options.clone()).to_string()).map_err(invalid)?;
        // The cURL is the HTTP call itself, whatever the dialect: the default dialect's request.
        options.remove("dialect");
        let http = self.plugin.settings_preset(&Value::Object(options).to_string()).map_err(invalid)?;
        let (preset, http) = (
            serde_json::from_str::<Value>(&preset).unwrap_or_default(),
            serde_json::from_str::<Value>(&http).unwrap_or_default(),
        );
        let request_template = &http["httpRequest"];
        let input = self.without_write_only(&request.input.unwrap_or_default());
        let curl = request_template["headers"].as_object().map(|headers| {
            let body = curl::fill_body(&request_template["body"], &input);
            curl::Request {
                method: request_template["method"].as_str().unwrap_or("POST"),
                url: request_template["url"].as_str().unwrap_or(""),
                headers,
                body: Some(&body),
            }
            .command(&self.credential_headers)
        });
        Ok(self.answer(json!({"preset": preset, "curl": curl})))
    }

    pub fn validate(&self, request: InputRequest) -> Result<Response, ApiError> {
        let report = self.plugin.validate(&request.input.to_string()).map_err(ApiError::plugin)?;
        let report: Value = serde_json::from_str(&report).map_err(|_| {
            ApiError::new(StatusCode::BAD_GATEWAY, "plugin_error", "the plugin's report is not JSON")
        })?;
        Ok(self.answer(report))
    }

    /// One `execute`, as the engine's Test request button runs it, shown as the CLI panel shows it.
    pub fn test_request(&self, request: TestRequest) -> Result<Response, ApiError> {
        if self.billed() && request.confirm_billed != Some(true) {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "confirmation_required",
                "a Test request against Plaid's production environment opens a session Plaid bills: \
                 send confirm_billed: true to accept",
            ));
        }
        let input = request.input.to_string();
        let sent = test_request::send(&self.plugin, &self.target, &input)
            .map_err(|f| ApiError::new(StatusCode::BAD_GATEWAY, "plugin_error", f.message))?;
        let session = SessionView::opened_by(&sent.result).map(|session| self.sessions.follow(session));
        let panel = sent.panel;
        let curl = panel.request.as_ref().map(|sent| self.sent_curl(&request.input, sent));
        let mut panel = serde_json::to_value(panel).unwrap_or_default();
        if let Some(headers) = panel["request"]["headers"].as_object_mut() {
            self.reference_credentials(headers);
        }
        panel["curl"] = curl.into();
        if let Some(session) = session {
            panel["session"] = serde_json::to_value(session).unwrap_or_default();
            panel["follow"] = self.follow_description();
        }
        Ok(self.answer(panel))
    }

    /// How the console learns of a session's changes, for the page to say.
    fn follow_description(&self) -> Value {
        json!({
            "interval_seconds": self.sessions.cadence().map(|c| c.interval.as_secs()),
            "give_up_after_seconds": self.sessions.cadence().map(|c| c.give_up_after.as_secs()),
            "webhooks": self.sessions.receives_webhooks(),
        })
    }

    /// A session a Test request opened, as the console knows it now (the page polls this).
    pub fn session(&self, id: &str) -> Result<Response, ApiError> {
        let tracked = self.sessions.get(id).ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_session",
                "no Test request of this console opened that session",
            )
        })?;
        Ok(self.answer(serde_json::to_value(tracked).unwrap_or_default()))
    }

    /// A webhook, verified before anything is done about it. Answers what the sender is told; the
    /// console's stderr says what became of it (ids and codes only: a webhook carries nothing else).
    pub fn webhook(&self, signature: Option<&str>, body: &[u8]) -> Result<Response, ApiError> {
        match self.sessions.receive(signature, body) {
            Ok(Received::Woke(webhook)) => {
                eprintln!(
                    "host-sim console: webhook {} for {}: asking get now",
                    webhook.webhook_code, webhook.identity_verification_id
                );
                Ok(Json(json!({"received": true})).into_response())
            }
            Ok(Received::Ignored(webhook)) => {
                eprintln!(
                    "host-sim console: webhook {} for {}: not a session this console follows",
                    webhook.webhook_code, webhook.identity_verification_id
                );
                Ok(Json(json!({"received": true})).into_response())
            }
            Err(refusal) => {
                eprintln!("host-sim console: refused a webhook: {refusal}");
                Err(ApiError::new(StatusCode::UNAUTHORIZED, "webhook_refused", refusal.to_string()))
            }
        }
    }

    /// Credential headers, as the page shows them: the shell variable the cURL text reads.
    fn reference_credentials(&self, headers: &mut Map<String, Value>) {
        for (name, value) in headers.iter_mut() {
            if self.credential_headers.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                *value = Value::String(format!("${}", curl::variable(name)));
            }
        }
    }

    /// The request a Test request sent, as cURL. The echo's body is masked, so the command
    /// sends the input the page itself sent; credentials stay shell variables.
    fn sent_curl(&self, input: &Value, sent: &RequestEcho) -> String {
        let body = match &sent.body {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .filter(|(k, _)| !self.write_only.contains(k))
                    .map(|(k, v)| (k.clone(), input.get(k).cloned().unwrap_or_else(|| v.clone())))
                    .collect(),
            ),
            other => other.clone(),
        };
        let request =
            curl::Request { method: &sent.method, url: &sent.url, headers: &sent.headers, body: Some(&body) };
        request.command(&self.credential_headers)
    }

    fn without_write_only(&self, input: &Value) -> Value {
        match input {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| !self.write_only.contains(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The verifier of webhooks about the target's sessions: its keys come from the target itself
/// (`/webhook_verification_key/get`, with the task's credentials). None without credentials.
fn verifier(target: &Target, settings: &Value) -> Option<Verifier<PlaidKeys>> {
    let base_url = match settings["base_url"].as_str() {
        Some(url) => url.to_owned(),
        None => target.environment().base_url().to_owned(),
    };
    let (client_id, secret) = (settings["client_id"].as_str()?, settings["secret"].as_str()?);
    match PlaidKeys::new(&base_url, client_id, secret) {
        Ok(keys) => Some(Verifier::new(keys)),
        Err(e) => {
            eprintln!("host-sim console: webhooks are not received ({e}); sessions are polled");
            None
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresetRequest {
    environment: Option<String>,
    dialect: Option<String>,
    input: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputRequest {
    input: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    input: Value,
    confirm_billed: Option<bool>,
}
