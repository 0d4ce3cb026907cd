//! `host-sim test-request`: the engine's **Test request** button. One `execute`, as the engine
//! would run it, shown as a panel (or the task result with `--json`); with `--follow`, then the
//! session it opened, read with the get task until its verdict.

use std::{
    fmt::Write as _,
    sync::mpsc,
    time::{Duration, Instant},
};

use clap::Args;
use plaid_idv_retry_interface::{
    mask_personal, Context, Exit, Plugin, RequestEcho, TaskResult, TaskStatus, GET_TASK_ID,
};
use serde::Serialize;
use serde_json::Value;

use crate::{
    billed,
    engine::TASK_TIMEOUT,
    error::Failure,
    follow::{self, Cadence, Read, SessionView},
    interrupt,
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
    /// After a retry that opened a session, read it with the get task at the preset's interval
    /// until its verdict (or the preset's give-up time), then show it. Ctrl-C stops waiting, not
    /// the session. Exit 0 at a verdict, 1 given up or stopped, 3 when a get fails terminally.
    #[arg(long)]
    pub follow: bool,
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
            let panel = Panel::new(RETRY_ENDPOINT, &target, &result, Duration::ZERO);
            Sent { text: result.to_json(), result, panel }
        }
    };
    if args.json {
        print_json(&sent.text)?;
    } else {
        print!("{}", sent.panel.text());
    }
    if !args.follow {
        return Ok(sent.result.status.into());
    }
    match SessionView::opened_by(&sent.result) {
        Some(session) => follow_to_verdict(plugin, &target, &session, args.json),
        None => {
            eprintln!("host-sim: --follow: the retry opened no session, so there is nothing to follow");
            Ok(sent.result.status.into())
        }
    }
}

/// What a panel's first line names.
const RETRY_ENDPOINT: &str = "POST /identity_verification/retry";
const GET_ENDPOINT: &str = "POST /identity_verification/get";

/// What wakes the follow: a get's answer, or Ctrl-C.
enum Wake {
    Read(Box<Result<Read, Failure>>),
    Interrupted,
}

/// `--follow`: a get now, then one every interval, until the session's verdict, a terminal get,
/// the give-up time, or Ctrl-C. Progress goes to stderr (status and step); the last get's panel
/// (or task result, with `--json`) to stdout.
fn follow_to_verdict(
    plugin: &Plugin,
    target: &Target,
    session: &SessionView,
    json: bool,
) -> Result<Exit, Failure> {
    let get = follow::get_task(plugin)?;
    let cadence = Cadence::of(&get, target.environment())?;
    let (wake, woken) = mpsc::channel();
    interrupt::on_sigint(wake.clone(), || Wake::Interrupted)?;
    let id = session.id.clone();
    eprintln!(
        "host-sim: following {id}: a get every {} s until its verdict, for at most {}; Ctrl-C stops waiting",
        cadence.interval.as_secs(),
        span(cadence.give_up_after)
    );
    let show = |read: &Read| -> Result<(), Failure> {
        if json {
            print_json(&read.text)
        } else {
            print!("{}", Panel::new(GET_ENDPOINT, target, &read.result, read.latency).text());
            Ok(())
        }
    };
    let started = Instant::now();
    for attempt in 1.. {
        let (wake, settings, session) = (wake.clone(), target.settings.clone(), id.clone());
        // On its own thread, so that Ctrl-C ends the wait even while a get is under way.
        std::thread::spawn(move || {
            let read = follow::get_once(&get, &session, &settings, attempt);
            let _ = wake.send(Wake::Read(Box::new(read)));
        });
        let read = match woken.recv() {
            Ok(Wake::Read(read)) => (*read)?,
            Ok(Wake::Interrupted) | Err(_) => return Ok(interrupted(&id)),
        };
        let result = &read.result;
        match result.status {
            TaskStatus::Completed => match SessionView::read_by(result) {
                Some(view) if view.is_final => {
                    eprintln!("host-sim: {id}: verdict {}", view.status);
                    show(&read)?;
                    return Ok(Exit::Success);
                }
                Some(view) => eprintln!("host-sim: {}", view.progress()),
                None => eprintln!("host-sim: {id}: the get answered no session status"),
            },
            TaskStatus::Failed => eprintln!(
                "host-sim: {id}: the get failed, retryably ({}); asking again at the next interval",
                result.reason.as_deref().unwrap_or("no reason given")
            ),
            TaskStatus::FailedWithTerminalError => {
                show(&read)?;
                eprintln!(
                    "host-sim: {id}: stopped following: the get failed terminally ({})",
                    result.reason.as_deref().unwrap_or("no reason given")
                );
                return Ok(Exit::Terminal);
            }
        }
        let wait = follow::next_wait(&cadence, result);
        if started.elapsed() + wait > cadence.give_up_after {
            show(&read)?;
            eprintln!(
                "host-sim: {id}: no verdict after {}, the preset's give-up time: stopped waiting; the \
                 session goes on at Plaid",
                span(cadence.give_up_after)
            );
            return Ok(Exit::Incomplete);
        }
        match woken.recv_timeout(wait) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(Wake::Interrupted) | Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(interrupted(&id)),
            // Each get is awaited before the next starts: none is left to arrive here.
            Ok(Wake::Read(_)) => {}
        }
    }
    Ok(Exit::Incomplete)
}

/// Ctrl-C: the wait ends, the session does not (nothing was sent to Plaid to end it).
fn interrupted(id: &str) -> Exit {
    eprintln!(
        "host-sim: stopped waiting (Ctrl-C); session {id} goes on at Plaid: its verdict comes when the \
         person completes it (follow it again with the {} task)",
        GET_TASK_ID
    );
    Exit::Incomplete
}

/// A duration for people: `1 h`, `7 days`, `90 s`.
fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => {
            format!("{} day{}", s / 86_400, if s == 86_400 { "" } else { "s" })
        }
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
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
    let panel = Panel::new(RETRY_ENDPOINT, target, &result, latency);
    Ok(Sent { text, result, panel })
}

/// What a Test request shows a person: `test-request` prints it, the console's page renders it.
/// The request echo comes masked from the plugin; the response body is masked here too, since
/// Plaid's answer repeats the user's personal data.
#[derive(Debug, Serialize)]
pub struct Panel {
    /// The Plaid call the task makes, e.g. `POST /identity_verification/retry`.
    pub endpoint: &'static str,
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
    /// The get task: the session's status as Plaid answered it, and whether it is the verdict.
    pub session_status: Option<String>,
    #[serde(rename = "final")]
    pub is_final: Option<bool>,
    /// The plugin's validation report when the input was invalid (nothing was sent).
    pub validation: Option<Value>,
    /// The request as sent, secret and personal data masked by the plugin.
    pub request: Option<RequestEcho>,
    /// Plaid's answer, personal data masked.
    pub response: Value,
    pub logs: Vec<String>,
}

impl Panel {
    pub fn new(endpoint: &'static str, target: &Target, result: &TaskResult, latency: Duration) -> Panel {
        let output = &result.output;
        Panel {
            endpoint,
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
            session_status: output.session_status.clone(),
            is_final: output.is_final,
            validation: output.validation.clone(),
            request: output.request.clone(),
            response: output.response.as_ref().map(|r| mask_personal(&r.body)).unwrap_or_default(),
            logs: result.logs.clone(),
        }
    }

    /// The panel as `test-request` prints it.
    pub fn text(&self) -> String {
        let mut p = String::new();
        let _ = writeln!(p, "Test request: {}", self.endpoint);
        let _ = writeln!(p, "  sent to      {}", self.sent_to);
        let _ = writeln!(p, "  result       {}", self.classification);
        if let Some(code) = self.http_status {
            let _ = writeln!(p, "  HTTP status  {code}");
        }
        let _ = writeln!(p, "  latency      {:.1} ms", self.latency_ms);
        let _ = writeln!(p, "  request_id   {}", self.request_id.as_deref().unwrap_or("-"));
        if let Some(status) = &self.session_status {
            let verdict = if self.is_final == Some(true) { "the verdict" } else { "not final" };
            let _ = writeln!(p, "  session      {status} ({verdict})");
        }
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
