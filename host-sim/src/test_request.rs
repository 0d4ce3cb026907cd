//! `host-sim test-request`: the engine's **Test request** button. One `execute`, as the engine
//! would run it, shown as a panel (or the task result with `--json`).

use std::{fmt::Write as _, time::Duration, time::Instant};

use clap::Args;
use plaid_idv_retry_interface::Plugin;
use serde_json::Value;

use crate::{
    cli::{read_input, Failure},
    engine::{self, Status},
    target::{self, Target, TargetArgs},
};

/// What an engine allows one Test request before it gives up on the plugin.
pub const TASK_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Args, Debug, Clone)]
pub struct TestRequestArgs {
    /// The task input: a JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub file: String,
    /// Print the task result as JSON instead of the panel.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn run(plugin: &Plugin, args: &TestRequestArgs) -> Result<u8, Failure> {
    let input = read_input(&args.file)?;
    let target = target::resolve(&args.target)?;
    if let Ok(value) = serde_json::from_str::<Value>(&input) {
        target.seed(&value);
    }
    let started = Instant::now();
    let text = plugin.execute(&input, &target.settings, &engine::context(1, TASK_TIMEOUT))?;
    let latency = started.elapsed();
    let result: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::usage(format!("the plugin answered a task result that is not JSON: {e}")))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result).unwrap_or_default());
    } else {
        print!("{}", panel(&target, &result, latency));
    }
    Ok(Status::of(&result).exit_code())
}

/// The panel a person reads. The request echo comes masked from the plugin; the response body is
/// masked here too, since Plaid's answer repeats the user's personal data.
pub fn panel(target: &Target, result: &Value, latency: Duration) -> String {
    let output = &result["output"];
    let response = &output["response"];
    let mut p = String::new();
    let _ = writeln!(p, "Test request: POST /identity_verification/retry");
    let _ = writeln!(p, "  sent to      {}", target.description);
    let _ = writeln!(p, "  result       {}", classification(result));
    if let Some(code) = response["statusCode"].as_u64() {
        let _ = writeln!(p, "  HTTP status  {code}");
    }
    let _ = writeln!(p, "  latency      {:.1} ms", latency.as_secs_f64() * 1000.0);
    let _ = writeln!(p, "  request_id   {}", output["request_id"].as_str().unwrap_or("-"));
    if let Some(reason) = result["reasonForIncompletion"].as_str() {
        let _ = writeln!(p, "  reason       {reason}");
    }
    if output["reconciled"] == true {
        let _ = writeln!(
            p,
            "  reconciled   the outcome was unknown; Plaid's list showed the attempt this call created"
        );
    }
    if let Some(errors) = output["validation"]["errors"].as_array() {
        let _ = writeln!(p, "\nValidation errors (nothing was sent)");
        for e in errors {
            let _ = writeln!(
                p,
                "  {}  {}",
                e["path"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            );
        }
    }
    let request = &output["request"];
    if request.is_object() {
        let _ = writeln!(p, "\nRequest as sent (secret and personal data masked)");
        let _ = writeln!(
            p,
            "  {} {}",
            request["method"].as_str().unwrap_or("POST"),
            request["url"].as_str().unwrap_or("")
        );
        if let Some(headers) = request["headers"].as_object() {
            for (name, value) in headers {
                let _ = writeln!(p, "  {name}: {}", value.as_str().unwrap_or(""));
            }
        }
        let _ = writeln!(p, "{}", indent(&pretty(&request["body"])));
    }
    if !response["body"].is_null() {
        let _ = writeln!(p, "\nResponse body (personal data masked)");
        let _ = writeln!(p, "{}", indent(&pretty(&mask_personal(&response["body"]))));
    }
    p
}

fn classification(result: &Value) -> String {
    let status = result["status"].as_str().unwrap_or("?");
    match Status::of(result) {
        Status::Completed => status.to_owned(),
        Status::Failed => match result["retry_after_seconds"].as_f64() {
            Some(s) => format!("{status}: retryable, after {s} s"),
            None => format!("{status}: retryable"),
        },
        Status::Terminal => format!("{status}: terminal, do not retry"),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// Keys whose values in Plaid's identity-verification objects are a person's data.
const PERSONAL_KEYS: &[&str] = &[
    "given_name",
    "family_name",
    "email_address",
    "phone_number",
    "date_of_birth",
    "street",
    "street2",
    "city",
    "postal_code",
    "value",
    "ip_address",
];

/// A copy of `value` with every personal field's string value masked, at any depth.
pub fn mask_personal(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if PERSONAL_KEYS.contains(&k.as_str()) && v.is_string() {
                        Value::String("***".into())
                    } else {
                        mask_personal(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_personal).collect()),
        other => other.clone(),
    }
}
