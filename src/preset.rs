//! The engine's HTTP task, pre-filled for `POST /identity_verification/retry`, in each engine's
//! dialect; `get` is the get task's.
//!
//! - `seed`: the seed host's task JSON (`"type": "Http"`, `httpRequest`, `retry`, timeouts,
//!   `credentials`). Task inputs are mapped into the body with `${workflow.input.<field>}`
//!   placeholders (the JSONPath-style references the seed host resolves against the workflow's
//!   input); credentials are `${secrets.<name>}` references to the host's secret store.
//! - `conductor`: a Conductor `HTTP` task (`inputParameters.http_request`) plus its task
//!   definition; credentials are `${workflow.secrets.<name>}` references.
//! - `temporal`: the activity options and task-queue rate limit `plaid-idv-temporal` applies.
//! - `airflow`: an Apache Airflow DAG file (the HTTP provider's `HttpOperator`) and its connection.
//! - `n8n`: an n8n workflow fragment (an HTTP Request node and the nodes that classify and retry)
//!   and its credential.
//!
//! Airflow's and n8n's HTTP tasks send the call themselves, so their presets carry the plugin's
//! classification as data (`classification`) and a few lines that follow it in the engine's
//! language; neither can run `execute`'s reconciliation, and their notes say what else they lack.
//!
//! Credentials are never values here. The retry policy is deliberately small: each successful
//! retry opens a billed session, and only failures that created nothing should be retried at all
//! (this plugin's `execute` classifies them; an engine's plain HTTP task cannot, and Conductor's
//! retries every failure). The rate limits stay under Plaid's defaults for this call: 120 per
//! minute per client in production, 60 per minute for all Identity Verification calls in sandbox.

mod airflow;
mod classification;
pub mod get;
mod n8n;

use serde_json::{json, Map, Value};

use plaid_idv_retry_interface::{
    Dialect, Environment, ErrorCode, PresetChoices, PresetOptions, TaskStatus, PLUGIN_ERROR,
};

use crate::{
    arguments::Argument,
    endpoint::{
        DEFAULT_CONNECTION_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT_SECONDS, PLAID_VERSION, RETRY_PATH,
        RETRY_TASK_ID, USER_AGENT,
    },
    error::Error,
};

/// The task input fields mapped into the body, in the order Plaid documents them.
const INPUT_FIELDS: [&str; 6] =
    ["client_user_id", "template_id", "strategy", "steps", "user", "is_shareable"];

/// Names of the secrets the engine must hold; the preset only refers to them.
pub const CLIENT_ID_SECRET_NAME: &str = "plaid_client_id";
pub const SECRET_SECRET_NAME: &str = "plaid_secret";

/// At most 3 attempts: the first and two retries, 2 s then 4 s apart.
const MAX_ATTEMPTS: u64 = 3;
const RETRY_INTERVAL_SECONDS: u64 = 2;
const BACKOFF_RATE: f64 = 2.0;

/// Requests per minute for this task, below Plaid's per-client limit so that other callers
/// (the Dashboard, reconciliation's `/list` calls in sandbox) keep some room.
fn requests_per_minute(environment: Environment) -> u64 {
    match environment {
        Environment::Production => 100, // Plaid: 120/min for /identity_verification/retry
        Environment::Sandbox => 50,     // Plaid: 60/min for all /identity_verification/* calls
    }
}

/// Covers the call and one reconciliation at the default timeouts.
const TASK_TIMEOUT_SECONDS: u64 = 40;

pub fn settings_preset(options: &str) -> Result<String, Error> {
    let PresetOptions { environment, dialect } = OPTIONS.parse(options)?;
    let preset = match dialect {
        Dialect::Seed => seed(environment),
        Dialect::Conductor => conductor(environment),
        Dialect::Temporal => temporal(environment),
        Dialect::Airflow => airflow::airflow(environment),
        Dialect::N8n => n8n::n8n(environment),
    };
    Ok(preset.to_string())
}

const OPTIONS: Argument = Argument {
    name: "options",
    code: ErrorCode::InvalidOptions,
    expect: |path| match path {
        "environment" => Some(Environment::expected()),
        "dialect" => Some(Dialect::expected()),
        _ => None,
    },
    item: "option",
    unknown: "the options are environment and dialect",
};

fn url(environment: Environment) -> String {
    format!("{}{RETRY_PATH}", environment.base_url())
}

fn body(input_ref: impl Fn(&str) -> String) -> Value {
    INPUT_FIELDS.iter().map(|f| ((*f).to_owned(), Value::from(input_ref(f)))).collect::<Map<_, _>>().into()
}

fn headers(secret_ref: impl Fn(&str) -> String) -> Value {
    json!({
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Plaid-Version": PLAID_VERSION,
        "User-Agent": USER_AGENT,
        "PLAID-CLIENT-ID": secret_ref(CLIENT_ID_SECRET_NAME),
        "PLAID-SECRET": secret_ref(SECRET_SECRET_NAME),
    })
}

fn seed(environment: Environment) -> Value {
    let secret_ref = |name: &str| format!("${{secrets.{name}}}");
    let mut task = json!({
        "name": RETRY_TASK_ID,
        "type": "Http",
        "description": format!(
            "Retry a Plaid Identity Verification ({}). Each body field is a ${{workflow.input...}} reference: \
             the host fills an input the workflow leaves out with null, which Plaid accepts for steps, user \
             and is_shareable.",
            environment.as_str()
        ),
        "httpRequest": {
            "url": url(environment),
            "method": "POST",
            "headers": headers(secret_ref),
            "body": body(|f| format!("${{workflow.input.{f}}}")),
        },
    });
    seed_policy(&mut task, requests_per_minute(environment));
    task
}

/// The seed task's retry, rate limit, timeouts and credential references, appended to `task`:
/// one policy for every task this plugin offers.
pub(crate) fn seed_policy(task: &mut Value, requests_per_minute: u64) {
    let secret_ref = |name: &str| format!("${{secrets.{name}}}");
    let policy = json!({
        "retry": {
            "intervalSeconds": RETRY_INTERVAL_SECONDS,
            "maxAttempts": MAX_ATTEMPTS,
            "backoffRate": BACKOFF_RATE,
        },
        "rateLimit": { "maxRequests": requests_per_minute, "periodSeconds": 60 },
        "connectionTimeoutSeconds": DEFAULT_CONNECTION_TIMEOUT_SECONDS as u64,
        "readTimeoutSeconds": DEFAULT_READ_TIMEOUT_SECONDS as u64,
        "credentials": {
            "type": "secretReference",
            "clientId": secret_ref(CLIENT_ID_SECRET_NAME),
            "secret": secret_ref(SECRET_SECRET_NAME),
        },
    });
    if let (Some(task), Value::Object(policy)) = (task.as_object_mut(), policy) {
        task.extend(policy);
    }
}

fn conductor(environment: Environment) -> Value {
    let secret_ref = |name: &str| format!("${{workflow.secrets.{name}}}");
    let name = RETRY_TASK_ID.replace('.', "_");
    json!({
        "task": {
            "name": name,
            "taskReferenceName": format!("{name}_ref"),
            "type": "HTTP",
            "inputParameters": {
                "http_request": {
                    "uri": url(environment),
                    "method": "POST",
                    "headers": headers(secret_ref),
                    "body": body(|f| format!("${{workflow.input.{f}}}")),
                    "accept": "application/json",
                    "contentType": "application/json",
                    "connectionTimeOut": (DEFAULT_CONNECTION_TIMEOUT_SECONDS * 1000.0) as u64,
                    "readTimeOut": (DEFAULT_READ_TIMEOUT_SECONDS * 1000.0) as u64,
                }
            }
        },
        "taskDef": {
            "name": name,
            "description": format!(
                "Plaid /identity_verification/retry ({}). Conductor's HTTP task retries every failure, a 400 \
                 included, and each successful retry is a billed session: keep retryCount small.",
                environment.as_str()
            ),
            "retryCount": MAX_ATTEMPTS - 1,
            "retryLogic": "EXPONENTIAL_BACKOFF",
            "retryDelaySeconds": RETRY_INTERVAL_SECONDS,
            "timeoutSeconds": TASK_TIMEOUT_SECONDS,
            "responseTimeoutSeconds": TASK_TIMEOUT_SECONDS,
            "timeoutPolicy": "TIME_OUT_WF",
            "rateLimitPerFrequency": requests_per_minute(environment),
            "rateLimitFrequencyInSeconds": 60,
            "inputKeys": INPUT_FIELDS,
        }
    })
}

/// What each option of `settings_preset` accepts, as the manifest announces it to hosts that
/// offer the choice (host-sim's console).
pub fn options() -> PresetChoices {
    PresetChoices {
        environment: Environment::ALL.iter().map(|e| e.as_str().to_owned()).collect(),
        dialect: Dialect::ALL.iter().map(|d| d.as_str().to_owned()).collect(),
    }
}

/// What a Temporal worker (`plaid-idv-temporal`) applies: the activity's options and the task
/// queue's rate limit, in Temporal's own names (durations as protobuf JSON, `"2s"`). Temporal
/// has no HTTP task: the worker runs this plugin's `execute` as the activity, so there is no
/// request template and no credential reference; the worker holds the settings itself.
fn temporal(environment: Environment) -> Value {
    json!({
        "activityType": RETRY_TASK_ID,
        "activityOptions": activity_options(),
        // Temporal's task-queue limit is per second and shared by every worker on the queue.
        "taskQueueActivitiesPerSecond": requests_per_minute(environment) as f64 / 60.0,
    })
}

/// The options of a Temporal activity that runs one of this plugin's tasks (the retry's, the
/// get's): one policy, so the two cannot drift.
pub(crate) fn activity_options() -> Value {
    let seconds = |s: u64| format!("{s}s");
    json!({
        "startToCloseTimeout": seconds(TASK_TIMEOUT_SECONDS),
        // A killed worker's activity moves on after this, not after the whole timeout.
        "heartbeatTimeout": seconds(HEARTBEAT_TIMEOUT_SECONDS),
        "retryPolicy": {
            "initialInterval": seconds(RETRY_INTERVAL_SECONDS),
            "backoffCoefficient": BACKOFF_RATE,
            // Plaid's limits are per minute: waiting longer never helps.
            "maximumInterval": "60s",
            "maximumAttempts": MAX_ATTEMPTS,
            // The failure types the worker gives a terminal task result (its status's name)
            // and a plugin error: never retried, even by a policy edited to retry everything
            // else.
            "nonRetryableErrorTypes": [TaskStatus::FailedWithTerminalError.as_str(), PLUGIN_ERROR],
        },
    })
}

/// Long enough for a busy machine's heartbeats to arrive; short next to the task timeout.
const HEARTBEAT_TIMEOUT_SECONDS: u64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_the_manifest_announces_is_accepted() {
        let announced = options();
        for environment in &announced.environment {
            for dialect in &announced.dialect {
                let options = json!({"environment": environment, "dialect": dialect}).to_string();
                assert!(settings_preset(&options).is_ok(), "{options}");
            }
        }
    }

    fn preset(options: &str) -> Value {
        serde_json::from_str(&settings_preset(options).unwrap()).unwrap()
    }

    #[test]
    fn seed_defaults_to_sandbox_and_maps_every_input_field() {
        let p = preset("");
        assert_eq!(p["httpRequest"]["url"], "https://sandbox.plaid.com/identity_verification/retry");
        for f in INPUT_FIELDS {
            assert_eq!(p["httpRequest"]["body"][f], format!("${{workflow.input.{f}}}"));
        }
        assert_eq!(p["httpRequest"]["headers"]["PLAID-SECRET"], "${secrets.plaid_secret}");
        assert!(p["rateLimit"]["maxRequests"].as_u64().unwrap() <= 60);
    }

    #[test]
    fn conductor_production_respects_plaids_limit() {
        let p = preset(r#"{"environment": "production", "dialect": "conductor"}"#);
        assert_eq!(
            p["task"]["inputParameters"]["http_request"]["uri"],
            "https://production.plaid.com/identity_verification/retry"
        );
        let per_minute = p["taskDef"]["rateLimitPerFrequency"].as_u64().unwrap();
        assert!(per_minute <= 120 && p["taskDef"]["rateLimitFrequencyInSeconds"] == 60);
        assert_eq!(p["task"]["inputParameters"]["http_request"]["readTimeOut"], 10_000);
    }

    #[test]
    fn unknown_options_are_named() {
        let e = settings_preset(r#"{"dialekt": "seed"}"#).unwrap_err();
        assert!(e.message.contains("\"dialekt\""), "{e}");
        assert!(settings_preset(r#"{"dialect": "argo"}"#).is_err());
        assert!(settings_preset("[1]").is_err());
    }
}
