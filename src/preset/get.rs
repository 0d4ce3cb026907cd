//! The get task's preset: the engine's HTTP task pre-filled for `POST /identity_verification/get`,
//! and the polling cadence a host follows to a session's verdict (an interval and a give-up time),
//! in the dialects where an engine can poll: `seed` (the `Http` task and a `poll` block the host
//! reads), `conductor` (an `HTTP_POLL` task, which polls by itself until its termination
//! condition) and `temporal` (the activity's options and the workflow's `poll`).
//!
//! The cadence, from Plaid's limits (docs/reference.md "The get task"):
//! - production: a get a minute per session. Plaid allows 420 `/get` a minute per client: at the
//!   preset's 350 a minute (room left for the Dashboard and other callers) one client follows 350
//!   sessions at once by polling alone, and a verdict shows at most a minute late (a webhook
//!   tells at once). Given up after a week: Plaid's sessions do not expire, so the bound is the
//!   host's, long enough for a person who gets the link by mail and completes it days later.
//! - sandbox: every 10 s, for a person completing a session by hand and watching; Plaid's sandbox
//!   allows 60 calls a minute for all Identity Verification endpoints together, so a client
//!   follows 8 sessions at once within the preset's 50. Given up after an hour.

use plaid_idv_retry_interface::{Dialect, Environment, PresetChoices, PresetOptions, SessionStatus};
use serde_json::{json, Value};

use super::{headers, MAX_ATTEMPTS, OPTIONS, RETRY_INTERVAL_SECONDS};
use crate::{
    endpoint::{DEFAULT_CONNECTION_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT_SECONDS, GET_PATH, GET_TASK_ID},
    error::Error,
};

/// The dialects the get task has a preset in.
const DIALECTS: [Dialect; 3] = [Dialect::Seed, Dialect::Conductor, Dialect::Temporal];

/// How long a host waits between two gets of one session.
fn interval_seconds(environment: Environment) -> u64 {
    match environment {
        Environment::Production => 60,
        Environment::Sandbox => 10,
    }
}

/// How long a host follows a session before it stops waiting for the verdict.
fn give_up_after_seconds(environment: Environment) -> u64 {
    match environment {
        Environment::Production => 7 * 24 * 60 * 60,
        Environment::Sandbox => 60 * 60,
    }
}

/// Requests per minute for this task, below Plaid's limit for it.
fn requests_per_minute(environment: Environment) -> u64 {
    match environment {
        Environment::Production => 350, // Plaid: 420/min for /identity_verification/get
        Environment::Sandbox => 50,     // Plaid: 60/min for all /identity_verification/* calls
    }
}

pub fn settings_preset(options: &str) -> Result<String, Error> {
    let PresetOptions { environment, dialect } = OPTIONS.parse(options)?;
    let preset = match dialect {
        Dialect::Seed => seed(environment),
        Dialect::Conductor => conductor(environment),
        Dialect::Temporal => temporal(environment),
        // Airflow and n8n users poll with the engine's own sensor or loop; the cadence above is theirs too.
        _ => {
            return Err(OPTIONS.invalid(format!(
                "the get task has no preset in the {dialect} dialect; it has seed, conductor and temporal"
            )))
        }
    };
    Ok(preset.to_string())
}

/// What each option accepts, as the manifest announces it for this task.
pub fn options() -> PresetChoices {
    PresetChoices {
        environment: Environment::ALL.iter().map(|e| e.as_str().to_owned()).collect(),
        dialect: DIALECTS.iter().map(|d| d.as_str().to_owned()).collect(),
    }
}

fn url(environment: Environment) -> String {
    format!("{}{GET_PATH}", environment.base_url())
}

fn finals() -> Vec<&'static str> {
    SessionStatus::finals().map(SessionStatus::as_str).collect()
}

fn seed(environment: Environment) -> Value {
    let secret_ref = |name: &str| format!("${{secrets.{name}}}");
    let mut task = json!({
        "name": GET_TASK_ID,
        "type": "Http",
        "description": format!(
            "Read a Plaid Identity Verification session ({}): poll it every poll.intervalSeconds until its \
             status is one of poll.finalStatuses (the task result's output.final), for at most \
             poll.giveUpAfterSeconds.",
            environment.as_str()
        ),
        "httpRequest": {
            "url": url(environment),
            "method": "POST",
            "headers": headers(secret_ref),
            "body": {"identity_verification_id": "${workflow.input.identity_verification_id}"},
        },
    });
    super::seed_policy(&mut task, requests_per_minute(environment));
    // After the policy, so that the task reads as the retry's does, with its cadence last.
    task["poll"] = json!({
        "intervalSeconds": interval_seconds(environment),
        "giveUpAfterSeconds": give_up_after_seconds(environment),
        "finalStatuses": finals(),
    });
    task
}

fn conductor(environment: Environment) -> Value {
    let secret_ref = |name: &str| format!("${{workflow.secrets.{name}}}");
    let name = GET_TASK_ID.replace('.', "_");
    let is_final: Vec<String> = finals().iter().map(|s| format!("s === '{s}'")).collect();
    let give_up = give_up_after_seconds(environment);
    json!({
        "task": {
            "name": name,
            "taskReferenceName": format!("{name}_ref"),
            "type": "HTTP_POLL",
            "inputParameters": {
                "http_request": {
                    "uri": url(environment),
                    "method": "POST",
                    "headers": headers(secret_ref),
                    "body": {"identity_verification_id": "${workflow.input.identity_verification_id}"},
                    "accept": "application/json",
                    "contentType": "application/json",
                    "connectionTimeOut": (DEFAULT_CONNECTION_TIMEOUT_SECONDS * 1000.0) as u64,
                    "readTimeOut": (DEFAULT_READ_TIMEOUT_SECONDS * 1000.0) as u64,
                    "terminationCondition": format!(
                        "(function(){{ var s = $.output.response.body.status; return {}; }})();",
                        is_final.join(" || ")
                    ),
                    "pollingInterval": interval_seconds(environment),
                    "pollingStrategy": "FIXED",
                }
            }
        },
        "taskDef": {
            "name": name,
            "description": format!(
                "Plaid /identity_verification/get ({}), polled until the session's status is final. A get is \
                 free and changes nothing at Plaid: retrying it is always safe.",
                environment.as_str()
            ),
            "retryCount": MAX_ATTEMPTS - 1,
            "retryLogic": "EXPONENTIAL_BACKOFF",
            "retryDelaySeconds": RETRY_INTERVAL_SECONDS,
            // The poll's give-up time: the task times out when no verdict came by then.
            "timeoutSeconds": give_up,
            "responseTimeoutSeconds": give_up,
            "timeoutPolicy": "TIME_OUT_WF",
            "rateLimitPerFrequency": requests_per_minute(environment),
            "rateLimitFrequencyInSeconds": 60,
            "inputKeys": ["identity_verification_id"],
        }
    })
}

/// The activity a Temporal worker runs for one get, and the workflow's cadence between them.
fn temporal(environment: Environment) -> Value {
    let seconds = |s: u64| format!("{s}s");
    json!({
        "activityType": GET_TASK_ID,
        "activityOptions": super::activity_options(),
        "taskQueueActivitiesPerSecond": requests_per_minute(environment) as f64 / 60.0,
        // The workflow's, not the activity's: a get every `interval` until the verdict, or until
        // `giveUpAfter` has passed since the first.
        "poll": {
            "interval": seconds(interval_seconds(environment)),
            "giveUpAfter": seconds(give_up_after_seconds(environment)),
            "finalStatuses": finals(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(options: Value) -> Value {
        serde_json::from_str(&settings_preset(&options.to_string()).unwrap()).unwrap()
    }

    #[test]
    fn every_option_announced_is_accepted_and_no_other_dialect() {
        let announced = options();
        for environment in &announced.environment {
            for dialect in &announced.dialect {
                assert!(preset(json!({"environment": environment, "dialect": dialect})).is_object());
            }
        }
        for dialect in Dialect::ALL.iter().filter(|d| !DIALECTS.contains(d)) {
            let e = settings_preset(&json!({"dialect": dialect}).to_string()).unwrap_err();
            assert!(e.message.contains("no preset"), "{e}");
        }
    }

    #[test]
    fn the_cadence_keeps_within_plaids_limits() {
        for &environment in Environment::ALL {
            let p = preset(json!({"environment": environment}));
            let poll = &p["poll"];
            let (per_minute, interval) =
                (p["rateLimit"]["maxRequests"].as_u64().unwrap(), poll["intervalSeconds"].as_u64().unwrap());
            // Plaid's limit for this call, per client and minute.
            let plaid = if environment == Environment::Production { 420 } else { 60 };
            assert!(per_minute < plaid, "{environment}: {per_minute}");
            // At least a handful of sessions followed at once, each a get per interval.
            assert!(per_minute * interval / 60 >= 5, "{environment}");
            assert!(poll["giveUpAfterSeconds"].as_u64().unwrap() > interval * 100);
            assert_eq!(poll["finalStatuses"], json!(["success", "failed", "expired", "canceled"]));
            assert_eq!(
                p["httpRequest"]["body"]["identity_verification_id"],
                "${workflow.input.identity_verification_id}"
            );
            assert!(p["httpRequest"]["url"].as_str().unwrap().ends_with("/identity_verification/get"));
        }
    }

    #[test]
    fn conductor_polls_until_a_final_status() {
        let p = preset(json!({"environment": "production", "dialect": "conductor"}));
        let request = &p["task"]["inputParameters"]["http_request"];
        assert_eq!(p["task"]["type"], "HTTP_POLL");
        assert_eq!(request["pollingInterval"], 60);
        let condition = request["terminationCondition"].as_str().unwrap();
        for status in ["'success'", "'failed'", "'expired'", "'canceled'"] {
            assert!(condition.contains(status), "{condition}");
        }
        assert!(!condition.contains("'active'") && !condition.contains("pending_review"));
        assert_eq!(p["taskDef"]["timeoutSeconds"], 7 * 24 * 3600);
    }

    #[test]
    fn temporal_gives_the_activity_and_the_workflows_cadence() {
        let p = preset(json!({"dialect": "temporal"}));
        assert_eq!(p["activityType"], "plaid.identity_verification.get");
        assert_eq!(p["poll"]["interval"], "10s");
        assert_eq!(p["poll"]["giveUpAfter"], "3600s");
    }
}
