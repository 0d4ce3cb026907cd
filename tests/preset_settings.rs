//! The settings schema and the preset, through the real `.so`: the schema and the parser agree,
//! and no preset ever carries a credential value.

use plaid_idv_retry_interface::{TaskStatus, PLUGIN_ERROR};
use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

fn preset(options: Value) -> Value {
    serde_json::from_str(&plugin().settings_preset(&options.to_string()).expect("preset")).expect("JSON")
}

#[test]
fn every_dialect_and_environment_refers_to_credentials_never_holds_them() {
    for environment in ["sandbox", "production"] {
        for dialect in ["seed", "conductor"] {
            let p = preset(json!({"environment": environment, "dialect": dialect}));
            let text = p.to_string();
            let refs: Vec<&str> = text.matches("${").collect();
            assert!(refs.len() >= 8, "{dialect}: placeholders for inputs and credentials");
            let headers = if dialect == "seed" {
                &p["httpRequest"]["headers"]
            } else {
                &p["task"]["inputParameters"]["http_request"]["headers"]
            };
            for h in ["PLAID-CLIENT-ID", "PLAID-SECRET"] {
                let v = headers[h].as_str().unwrap();
                assert!(v.starts_with("${") && v.ends_with('}') && v.contains("secrets."), "{h}: {v}");
            }
            assert_eq!(headers["Plaid-Version"], "2020-09-14");
            assert!(text.contains(&format!("https://{environment}.plaid.com/identity_verification/retry")));
        }
    }
}

#[test]
fn seed_preset_is_the_seed_hosts_http_task() {
    let p = preset(json!({}));
    assert_eq!(p["type"], "Http");
    assert_eq!(p["httpRequest"]["method"], "POST");
    assert_eq!(p["httpRequest"]["body"]["client_user_id"], "${workflow.input.client_user_id}");
    assert_eq!(p["httpRequest"]["body"]["user"], "${workflow.input.user}");
    assert_eq!(p["connectionTimeoutSeconds"], 5);
    assert_eq!(p["readTimeoutSeconds"], 10);
    let retry = &p["retry"];
    assert!(retry["maxAttempts"].as_u64().unwrap() <= 3, "each retry can be a billed session");
    assert!(retry["intervalSeconds"].as_u64().unwrap() >= 1 && retry["backoffRate"].as_f64().unwrap() >= 1.0);
    assert!(p["credentials"]["secret"].as_str().unwrap().starts_with("${"));
    assert!(p["rateLimit"]["maxRequests"].as_u64().unwrap() <= 60, "sandbox: 60/min for all IDV calls");
}

#[test]
fn conductor_preset_has_the_task_and_its_definition() {
    let p = preset(json!({"dialect": "conductor", "environment": "production"}));
    let http = &p["task"]["inputParameters"]["http_request"];
    assert_eq!(p["task"]["type"], "HTTP");
    for k in ["uri", "method", "headers", "body", "accept", "contentType", "connectionTimeOut", "readTimeOut"]
    {
        assert!(!http[k].is_null(), "http_request.{k}");
    }
    let def = &p["taskDef"];
    for k in [
        "retryCount",
        "retryLogic",
        "retryDelaySeconds",
        "timeoutSeconds",
        "rateLimitPerFrequency",
        "rateLimitFrequencyInSeconds",
    ] {
        assert!(!def[k].is_null(), "taskDef.{k}");
    }
    let per_second =
        def["rateLimitPerFrequency"].as_f64().unwrap() / def["rateLimitFrequencyInSeconds"].as_f64().unwrap();
    assert!(per_second <= 2.0, "production: 120/min for /identity_verification/retry");
    assert!(def["retryCount"].as_u64().unwrap() <= 2);
}

#[test]
fn temporal_preset_is_the_policy_the_worker_applies() {
    let sandbox = preset(json!({"dialect": "temporal"}));
    let options = &sandbox["activityOptions"];
    assert_eq!(sandbox["activityType"], "plaid.identity_verification.retry", "the manifest's task id");
    assert_eq!(options["startToCloseTimeout"], "40s");
    let heartbeat: f64 = options["heartbeatTimeout"].as_str().unwrap().trim_end_matches('s').parse().unwrap();
    assert!((1.0..40.0).contains(&heartbeat), "a dead worker's task moves before the timeout");
    let retry = &options["retryPolicy"];
    assert!(retry["maximumAttempts"].as_u64().unwrap() <= 3, "each retry can be a billed session");
    assert_eq!(retry["initialInterval"], "2s");
    assert_eq!(retry["backoffCoefficient"], 2.0);
    let never: Vec<&str> =
        retry["nonRetryableErrorTypes"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // The names the worker gives a terminal task result and a plugin error (the interface's).
    assert_eq!(never, [TaskStatus::FailedWithTerminalError.as_str(), PLUGIN_ERROR]);
    // Per second, for the whole task queue: under Plaid's per-minute limits.
    assert!(sandbox["taskQueueActivitiesPerSecond"].as_f64().unwrap() * 60.0 <= 60.0);
    let production = preset(json!({"dialect": "temporal", "environment": "production"}));
    let per_minute = production["taskQueueActivitiesPerSecond"].as_f64().unwrap() * 60.0;
    assert!(per_minute > 60.0 && per_minute <= 120.0, "{per_minute}");
    assert!(!production.to_string().contains("${"), "the worker holds the settings: no references");
}

#[test]
fn unknown_or_bad_options_are_errors() {
    let p = plugin();
    let e = p.settings_preset(r#"{"env": "sandbox"}"#).unwrap_err();
    assert!(e.message.contains("\"env\""), "{e}");
    assert!(p.settings_preset(r#"{"environment": "staging"}"#).is_err());
    assert!(p.settings_preset("not json").is_err());
}

#[test]
fn settings_schema_and_parser_agree() {
    let schema: Value = serde_json::from_str(&plugin().settings_schema().unwrap()).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["properties"]["secret"]["writeOnly"], true);
    let properties = schema["properties"].as_object().unwrap();
    // Every property the schema declares, at its default (or an example value), is accepted…
    let server = Server::start(|_| Reply::json(400, &plaid_error("INVALID_REQUEST", "INVALID_FIELD")));
    let mut all = json!({});
    for (name, property) in properties {
        let value = match name.as_str() {
            "base_url" => json!(server.url()),
            "client_id" => json!("client-abc"),
            "secret" => json!(CANARY_SECRET),
            _ => property.get("default").cloned().unwrap_or_else(|| panic!("{name} has no default")),
        };
        assert!(property["title"].is_string() && property["description"].is_string(), "{name}");
        all[name] = value;
    }
    let r = execute(&canary_input(), &all.to_string(), &json!({}));
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "reached the server: {r}");
    // …and anything else is refused by name.
    all["read_timeout"] = json!(3);
    let e = plugin().execute(&canary_input().to_string(), &all.to_string(), "{}").unwrap_err();
    assert!(e.message.contains("\"read_timeout\""), "{e}");
    // Defaults documented in the schema are the ones the plugin uses.
    assert_eq!(properties["environment"]["default"], "sandbox");
    assert_eq!(properties["connection_timeout_seconds"]["default"], 5);
    assert_eq!(properties["read_timeout_seconds"]["default"], 10);
    assert_eq!(properties["reconcile_unknown_outcomes"]["default"], true);
}

/// Issue 13: `max_response_bytes` could be 1 KiB, below a real answer (2.7 KB), turning every
/// success into an oversized answer and an extra `/list` call. The schema's bounds are the
/// parser's, and the lowest leaves a real answer room many times over.
#[test]
fn max_response_bytes_cannot_be_set_below_a_real_answer() {
    let schema: Value = serde_json::from_str(&plugin().settings_schema().unwrap()).unwrap();
    let cap = &schema["properties"]["max_response_bytes"];
    let (min, max) = (cap["minimum"].as_u64().unwrap(), cap["maximum"].as_u64().unwrap());
    assert!(min >= 64 * 1024, "minimum {min}");
    let parses = |n: u64| plugin().execute("{}", &json!({"max_response_bytes": n}).to_string(), "{}").is_ok();
    assert!(parses(min) && parses(max), "the schema's bounds are accepted");
    assert!(!parses(min - 1) && !parses(max + 1), "and nothing past them");
}

/// The same mistake for the read timeout: one shorter than Plaid takes to answer made successes
/// unknown outcomes. The schema's floor is the parser's.
#[test]
fn read_timeout_cannot_be_set_below_a_second() {
    let schema: Value = serde_json::from_str(&plugin().settings_schema().unwrap()).unwrap();
    let min = schema["properties"]["read_timeout_seconds"]["minimum"].as_f64().unwrap();
    assert_eq!(min, 1.0);
    let parses =
        |s: f64| plugin().execute("{}", &json!({"read_timeout_seconds": s}).to_string(), "{}").is_ok();
    assert!(parses(min) && !parses(min - 0.001) && !parses(0.05));
}
