//! What the benchmark sends and to whom: the inputs (shared with the comparison scripts in
//! host-sim/bench/), the simulator (in-process, or a child `host-sim sandbox` process), and the
//! plain-ureq request the plugin's call is compared with.

use std::time::Duration;

use plaid_idv_retry_interface::Plugin;
use serde_json::{json, Value};
use ureq::{config::AutoHeaderValue, Agent};

use plaid_idv_simulator::{DEFAULT_CLIENT_ID, DEFAULT_SECRET};

/// The smallest valid input: a `reset` retry.
pub const MINIMAL_INPUT: &str = include_str!("../../bench/minimal.json");
/// Every field the input schema knows, Plaid's sandbox test user as the data: a `custom` retry the
/// simulator runs to `success`. The input `execute` is measured with.
pub const FULL_INPUT: &str = include_str!("../../bench/full.json");

/// Compact, as the plugin serializes the request body: the raw client sends these very bytes.
pub fn compact(input: &str) -> Result<String, String> {
    serde_json::from_str::<Value>(input)
        .map(|v| v.to_string())
        .map_err(|e| format!("a benchmark input is not JSON: {e}"))
}

/// The engine's context for every measured call: a first attempt with a generous budget.
pub const CONTEXT: &str = r#"{"attempt":1,"timeout_ms":30000}"#;

/// The settings an engine would give for a simulator at `url`.
pub fn settings(url: &str) -> String {
    json!({"base_url": url, "client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_SECRET}).to_string()
}

/// One execute; `Err` unless the task completed (a failed call measures an error path).
pub fn execute(plugin: &Plugin, input: &str, settings: &str) -> Result<String, String> {
    let result = plugin.execute(input, settings, CONTEXT).map_err(|e| format!("execute failed: {e}"))?;
    // The task result is written with `status` first; a prefix test keeps the check off the clock.
    if result.starts_with(r#"{"status":"COMPLETED""#) {
        return Ok(result);
    }
    let reason = serde_json::from_str::<Value>(&result)
        .ok()
        .and_then(|v| v["reasonForIncompletion"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "no reason given".into());
    Err(format!("execute did not complete: {reason}"))
}

/// An attempt to retry: the simulator refuses a retry for a user with no earlier session.
/// Idempotent, so every phase may call it against the same simulator.
pub fn seed(url: &str, input: &str) -> Result<(), String> {
    let input: Value = serde_json::from_str(input).map_err(|e| e.to_string())?;
    let body = json!({
        "client_user_id": input["client_user_id"],
        "template_id": input["template_id"],
        "is_shareable": true,
        "gave_consent": true,
        "is_idempotent": true,
    });
    let agent: Agent = Agent::config_builder().http_status_as_error(false).proxy(None).build().into();
    let mut response = agent
        .post(format!("{url}/identity_verification/create"))
        .header("PLAID-CLIENT-ID", DEFAULT_CLIENT_ID)
        .header("PLAID-SECRET", DEFAULT_SECRET)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .map_err(|e| format!("cannot create the attempt to retry: {e}"))?;
    let _ = response.body_mut().read_to_vec();
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("the simulator refused to create the attempt to retry (HTTP {status})")),
    }
}

/// The plugin's request without the plugin: a plain ureq POST of the same bytes with the same
/// headers, on an agent configured like the plugin's (src/execute/agent.rs) minus its
/// write-tracking connector, which is part of what the plugin costs.
pub struct RawRequest {
    agent: Agent,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// Copies URL and headers from the request echo of one executed task, so they are the
    /// plugin's by construction; the echo masks the secret, which goes back in here.
    pub fn like(task_result: &str, body: &str) -> Result<Self, String> {
        let result: Value = serde_json::from_str(task_result).map_err(|e| e.to_string())?;
        let request = &result["output"]["request"];
        let url = request["url"].as_str().ok_or("the task result has no request echo")?.to_owned();
        let headers = request["headers"]
            .as_object()
            .ok_or("the request echo has no headers")?
            .iter()
            .map(|(name, value)| {
                let value = match name.as_str() {
                    "PLAID-SECRET" => DEFAULT_SECRET,
                    _ => value.as_str().unwrap_or_default(),
                };
                (name.clone(), value.to_owned())
            })
            .collect();
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            // The echo carries the plugin's User-Agent; ureq must not add its own.
            .user_agent(AutoHeaderValue::None)
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            // The plugin's per-call timeouts, set once on the agent.
            .timeout_global(Some(Duration::from_secs(30)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .timeout_recv_response(Some(Duration::from_secs(10)))
            .timeout_recv_body(Some(Duration::from_secs(10)))
            .build();
        Ok(RawRequest { agent: config.into(), url, headers, body: body.as_bytes().to_vec() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The plugin's headers, the secret unmasked.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Sends it and reads the whole answer; `Err` unless it is a 200.
    pub fn send(&self) -> Result<(), String> {
        let mut request = self.agent.post(&self.url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let mut response = request.send(&self.body[..]).map_err(|e| format!("raw POST failed: {e}"))?;
        let body = response.body_mut().read_to_vec().map_err(|e| format!("raw POST body: {e}"))?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("raw POST answered HTTP {status} ({} bytes)", body.len())),
        }
    }
}
