//! `host-sim test-request`: the engine's **Test request** button. One `execute`, as the engine
//! would run it, shown as a panel (or the task result with `--json`).

use std::{fmt::Write as _, time::Duration, time::Instant};

use clap::Args;
use plaid_idv_retry_interface::{mask_personal, Plugin, TaskResult, TaskStatus};
use serde_json::Value;

use crate::{
    engine::{self, TASK_TIMEOUT},
    error::Failure,
    exit::Exit,
    io::{print_json, read_input},
    target::{self, Target, TargetArgs},
};

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

pub fn run(plugin: &Plugin, args: &TestRequestArgs) -> Result<Exit, Failure> {
    let input = read_input(&args.file)?;
    let target = target::resolve(&args.target)?;
    if let Ok(value) = serde_json::from_str::<Value>(&input) {
        target.seed(&value);
    }
    let started = Instant::now();
    let text = plugin.execute(&input, &target.settings, &engine::context(1, TASK_TIMEOUT))?;
    let latency = started.elapsed();
    let result = engine::task_result(&text)?;
    if args.json {
        print_json(&text)?;
    } else {
        print!("{}", panel(&target, &result, latency));
    }
    Ok(result.status.into())
}

/// The panel a person reads. The request echo comes masked from the plugin; the response body is
/// masked here too, since Plaid's answer repeats the user's personal data.
pub fn panel(target: &Target, result: &TaskResult, latency: Duration) -> String {
    let output = &result.output;
    let mut p = String::new();
    let _ = writeln!(p, "Test request: POST /identity_verification/retry");
    let _ = writeln!(p, "  sent to      {}", target.description);
    let _ = writeln!(p, "  result       {}", classification(result));
    if let Some(code) = output.response.as_ref().and_then(|r| r.status_code) {
        let _ = writeln!(p, "  HTTP status  {code}");
    }
    let _ = writeln!(p, "  latency      {:.1} ms", latency.as_secs_f64() * 1000.0);
    let _ = writeln!(p, "  request_id   {}", output.request_id.clone().flatten().as_deref().unwrap_or("-"));
    if let Some(reason) = &result.reason {
        let _ = writeln!(p, "  reason       {reason}");
    }
    if output.reconciled == Some(true) {
        let _ = writeln!(
            p,
            "  reconciled   the outcome was unknown; Plaid's list showed the attempt this call created"
        );
    }
    if let Some(errors) = output.validation.as_ref().and_then(|v| v["errors"].as_array()) {
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
    if let Some(request) = &output.request {
        let _ = writeln!(p, "\nRequest as sent (secret and personal data masked)");
        let _ = writeln!(p, "  {} {}", request.method, request.url);
        for (name, value) in &request.headers {
            let _ = writeln!(p, "  {name}: {}", value.as_str().unwrap_or(""));
        }
        let _ = writeln!(p, "{}", indent(&pretty(&request.body)));
    }
    if let Some(body) = output.response.as_ref().map(|r| &r.body).filter(|b| !b.is_null()) {
        let _ = writeln!(p, "\nResponse body (personal data masked)");
        let _ = writeln!(p, "{}", indent(&pretty(&mask_personal(body))));
    }
    p
}

fn classification(result: &TaskResult) -> String {
    let status = result.status;
    match status {
        TaskStatus::Completed => status.to_string(),
        TaskStatus::Failed => match result.retry_after_seconds {
            Some(s) => format!("{status}: retryable, after {s} s"),
            None => format!("{status}: retryable"),
        },
        TaskStatus::FailedWithTerminalError => format!("{status}: terminal, do not retry"),
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}
