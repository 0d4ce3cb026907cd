//! `host-sim test-request`: the engine's **Test request** button. One `execute`, as the engine
//! would run it, shown as a panel (or the task result with `--json`).

use std::{fmt::Write as _, time::Duration, time::Instant};

use clap::Args;
use plaid_idv_retry_interface::{mask_personal, Context, Exit, Plugin, RequestEcho, TaskResult, TaskStatus};
use serde::Serialize;
use serde_json::Value;

use crate::{
    billed,
    engine::TASK_TIMEOUT,
    error::Failure,
    io::print_json,
    target::{self, Target, TargetArgs},
    task_input::TaskInput,
};

#[derive(Args, Debug, Clone)]
pub struct TestRequestArgs {
    /// The task input: a JSON file, or - for standard input.
    #[arg(default_value = "-")]
    pub file: String,
    /// Print the task result as JSON instead of the panel.
    #[arg(long)]
    pub json: bool,
    /// Accept that the Test request may open a session Plaid bills: it goes somewhere other than
    /// this machine or Plaid's sandbox (without it, host-sim asks on a terminal and refuses
    /// elsewhere).
    #[arg(long)]
    pub confirm_billed: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn run(plugin: &Plugin, args: &TestRequestArgs) -> Result<Exit, Failure> {
    let input = TaskInput::read(&args.file)?;
    let target = target::resolve(&args.target)?;
    let sent = match &input {
        TaskInput::Text(input) => {
            if target.billed() && !args.confirm_billed {
                billed::confirm(&target.description)?;
            }
            send(plugin, &target, input)?
        }
        // Refused as execute refuses malformed JSON: nothing is sent, so nothing to confirm.
        TaskInput::NotJson(report) => {
            let result = TaskInput::refused(report, 1);
            let panel = Panel::new(&target, &result, Duration::ZERO);
            Sent { text: result.to_json(), result, panel }
        }
    };
    if args.json {
        print_json(&sent.text)?;
    } else {
        print!("{}", sent.panel.text());
    }
    Ok(sent.result.status.into())
}

/// One Test request as the engine runs it: its task result (as the plugin answered it, and
/// read) and the panel a person reads.
pub struct Sent {
    pub text: String,
    pub result: TaskResult,
    pub panel: Panel,
}

/// One Test request: the embedded simulator gets the earlier attempt the retry needs, then one
/// `execute` as the engine runs it.
pub fn send(plugin: &Plugin, target: &Target, input: &str) -> Result<Sent, Failure> {
    if let Ok(value) = serde_json::from_str::<Value>(input) {
        target.seed(&value);
    }
    let started = Instant::now();
    let context = Context::for_attempt(1, TASK_TIMEOUT, None).to_json();
    let text = plugin.execute(input, &target.settings, &context)?;
    let latency = started.elapsed();
    let result = TaskResult::read(&text)?;
    let panel = Panel::new(target, &result, latency);
    Ok(Sent { text, result, panel })
}

/// What a Test request shows a person: `test-request` prints it, the console's page renders it.
/// The request echo comes masked from the plugin; the response body is masked here too, since
/// Plaid's answer repeats the user's personal data.
#[derive(Debug, Serialize)]
pub struct Panel {
    pub status: TaskStatus,
    /// `completed`, `retryable` or `terminal`: what an engine does next.
    pub outcome: &'static str,
    pub classification: String,
    pub sent_to: String,
    pub http_status: Option<u16>,
    pub latency_ms: f64,
    pub request_id: Option<String>,
    pub reason: Option<String>,
    pub reconciled: bool,
    /// The plugin's validation report when the input was invalid (nothing was sent).
    pub validation: Option<Value>,
    /// The request as sent, secret and personal data masked by the plugin.
    pub request: Option<RequestEcho>,
    /// Plaid's answer, personal data masked.
    pub response: Value,
    pub logs: Vec<String>,
}

impl Panel {
    pub fn new(target: &Target, result: &TaskResult, latency: Duration) -> Panel {
        let output = &result.output;
        Panel {
            status: result.status,
            outcome: match result.status {
                TaskStatus::Completed => "completed",
                TaskStatus::Failed => "retryable",
                TaskStatus::FailedWithTerminalError => "terminal",
            },
            classification: classification(result),
            sent_to: target.description.clone(),
            http_status: output.response.as_ref().and_then(|r| r.status_code),
            latency_ms: (latency.as_secs_f64() * 10_000.0).round() / 10.0,
            request_id: output.request_id.clone().flatten(),
            reason: result.reason.clone(),
            reconciled: output.reconciled == Some(true),
            validation: output.validation.clone(),
            request: output.request.clone(),
            response: output.response.as_ref().map(|r| mask_personal(&r.body)).unwrap_or_default(),
            logs: result.logs.clone(),
        }
    }

    /// The panel as `test-request` prints it.
    pub fn text(&self) -> String {
        let mut p = String::new();
        let _ = writeln!(p, "Test request: POST /identity_verification/retry");
        let _ = writeln!(p, "  sent to      {}", self.sent_to);
        let _ = writeln!(p, "  result       {}", self.classification);
        if let Some(code) = self.http_status {
            let _ = writeln!(p, "  HTTP status  {code}");
        }
        let _ = writeln!(p, "  latency      {:.1} ms", self.latency_ms);
        let _ = writeln!(p, "  request_id   {}", self.request_id.as_deref().unwrap_or("-"));
        if let Some(reason) = &self.reason {
            let _ = writeln!(p, "  reason       {reason}");
        }
        if self.reconciled {
            let _ = writeln!(
                p,
                "  reconciled   the outcome was unknown; Plaid's list showed the attempt this call created"
            );
        }
        if let Some(errors) = self.validation.as_ref().and_then(|v| v["errors"].as_array()) {
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
        if let Some(request) = &self.request {
            let _ = writeln!(p, "\nRequest as sent (secret and personal data masked)");
            let _ = writeln!(p, "  {} {}", request.method, request.url);
            for (name, value) in &request.headers {
                let _ = writeln!(p, "  {name}: {}", value.as_str().unwrap_or(""));
            }
            let _ = writeln!(p, "{}", indent(&pretty(&request.body)));
        }
        if !self.response.is_null() {
            let _ = writeln!(p, "\nResponse body (personal data masked)");
            let _ = writeln!(p, "{}", indent(&pretty(&self.response)));
        }
        p
    }
}

/// The panel's `result` line: the status and what an engine does about it.
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
