//! `submit`: one workflow per input line. The workflow id is derived from the input, and a
//! workflow id is never reused (`RejectDuplicate`), so a second submit of the same line starts
//! nothing: Temporal's id uniqueness is the idempotency key that Plaid's retry call lacks.
//! `--again LABEL` is how a person asks for a deliberate second retry: the label becomes part of
//! the id.

use std::{collections::BTreeMap, io::Write, path::PathBuf};

use clap::Args;
use serde_json::{json, Map, Value};
use temporalio_client::{
    errors::{WorkflowGetResultError, WorkflowStartError},
    Client, WorkflowGetResultOptions, WorkflowIdReusePolicy, WorkflowStartOptions,
};
use temporalio_common::error::IncomingError;
use tokio::task::JoinSet;

use plaid_idv_retry_interface::Exit;

use crate::{
    activity::{COMPLETED, FAILED, TERMINAL},
    codec::PayloadKey,
    connection::ServerArgs,
    error::Error,
    task::Task,
    workflow::RetryWorkflow,
};

#[derive(Args, Debug, Clone)]
pub struct SubmitArgs {
    /// Task inputs, one JSON document a line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub inputs: PathBuf,
    /// Wait for every workflow's result and print a summary.
    #[arg(long)]
    pub wait: bool,
    /// Print one JSON line per input and the summary as the last line.
    #[arg(long)]
    pub json: bool,
    /// Start new workflows for inputs submitted before: LABEL becomes part of each workflow id.
    /// Each successful retry opens a new session Plaid bills.
    #[arg(long, value_name = "LABEL")]
    pub again: Option<String>,
    /// Keep Plaid's answer unmasked in Temporal's history (default: personal fields masked).
    #[arg(long)]
    pub keep_plaid_body: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// What became of one input line.
struct Row {
    line: usize,
    workflow_id: Option<String>,
    /// `started`, `existing` (submitted before: nothing started) or `invalid` (not JSON).
    submitted: &'static str,
    /// With `--wait`: COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR, and the task result.
    status: Option<String>,
    result: Value,
}

/// How the run ended: success when every input completed (or, without `--wait`, was submitted).
pub async fn run(args: SubmitArgs) -> Result<Exit, Error> {
    let key = PayloadKey::from_env()?;
    let text = std::fs::read_to_string(&args.inputs)
        .map_err(|e| Error::new(format!("--inputs: cannot read {}: {e}", args.inputs.display())))?;
    let client = args.server.connect(&key).await?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut row =
            Row { line: i + 1, workflow_id: None, submitted: "invalid", status: None, result: Value::Null };
        if let Ok(input) = serde_json::from_str::<Value>(line) {
            let id = workflow_id(&input, args.again.as_deref());
            row.submitted = start(&client, &args, &id, input).await?;
            row.workflow_id = Some(id);
        }
        rows.push(row);
    }
    if args.wait {
        wait_all(&client, &mut rows).await?;
    }
    let summary = summarize(&rows, args.wait);
    if args.json {
        let rows = rows.iter().map(|r| {
            json!({"line": r.line, "workflow_id": r.workflow_id, "submitted": r.submitted,
                "status": r.status, "result": r.result})
            .to_string()
        });
        print_lines(rows.chain([json!({ "summary": summary }).to_string()]));
    } else {
        print_lines([describe(&summary, args.wait)]);
    }
    let count = |k: &str| summary[k].as_u64().unwrap_or(0);
    Ok(if count("invalid") + count("terminal") > 0 {
        Exit::Terminal
    } else if count("failed") + count("unfinished") > 0 {
        Exit::Incomplete
    } else {
        Exit::Success
    })
}

/// `plaid-idv-retry-` and 128 bits of SHA-256 over the input with its keys sorted (the same task
/// however its keys are ordered), and over `again` if given.
pub fn workflow_id(input: &Value, again: Option<&str>) -> String {
    let mut text = canonical(input).to_string();
    if let Some(label) = again {
        text.push('\n');
        text.push_str(label);
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("plaid-idv-retry-{hex}")
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

async fn start(client: &Client, args: &SubmitArgs, id: &str, input: Value) -> Result<&'static str, Error> {
    let task = Task { input, keep_plaid_body: args.keep_plaid_body };
    let options = WorkflowStartOptions::new(args.server.task_queue.clone(), id.to_owned())
        .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
        .build();
    match client.start_workflow(RetryWorkflow::run, task, options).await {
        Ok(_) => Ok("started"),
        Err(WorkflowStartError::AlreadyStarted { .. }) => Ok("existing"),
        Err(e) => Err(Error::new(format!("cannot start workflow {id}: {e}"))),
    }
}

/// Waits for every submitted workflow (started now or before), a bounded number at a time.
async fn wait_all(client: &Client, rows: &mut [Row]) -> Result<(), Error> {
    const AT_ONCE: usize = 64;
    let ids: Vec<(usize, String)> =
        rows.iter().enumerate().filter_map(|(i, r)| Some((i, r.workflow_id.clone()?))).collect();
    let mut pending = ids.into_iter();
    let mut running = JoinSet::new();
    loop {
        while running.len() < AT_ONCE {
            let Some((i, id)) = pending.next() else { break };
            let handle = client.get_workflow_handle::<RetryWorkflow>(id);
            running.spawn(async move { (i, handle.get_result(WorkflowGetResultOptions::default()).await) });
        }
        let Some(joined) = running.join_next().await else { return Ok(()) };
        let (i, outcome) = joined.map_err(|e| Error::new(format!("waiting for a result: {e}")))?;
        let (status, result) = match outcome {
            Ok(result) => (result["status"].as_str().unwrap_or(COMPLETED).to_owned(), result),
            Err(WorkflowGetResultError::Failed(failure)) => failed(&failure),
            Err(other) => ("UNFINISHED".to_owned(), json!({"reason": other.to_string()})),
        };
        rows[i].status = Some(status);
        rows[i].result = result;
    }
}

/// The activity's application failure under the workflow's: its type is the task status, its
/// details the task result.
fn failed(failure: &IncomingError) -> (String, Value) {
    let mut cause = Some(failure);
    while let Some(error) = cause {
        if let IncomingError::Application(app) = error {
            if let Some(kind) = app.type_name().filter(|t| [FAILED, TERMINAL].contains(t)) {
                let result = app.details::<Value>().ok().flatten().unwrap_or(Value::Null);
                return (kind.to_owned(), result);
            }
            let reason = app.source_error().to_string();
            return (TERMINAL.to_owned(), json!({"reason": reason, "type": app.type_name()}));
        }
        cause = error.cause();
    }
    (TERMINAL.to_owned(), json!({"reason": failure.to_string()}))
}

fn summarize(rows: &[Row], waited: bool) -> Value {
    let count = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let status = |s: &'static str| move |r: &Row| r.status.as_deref() == Some(s);
    let mut summary = json!({
        "inputs": rows.len(),
        "started": count(&|r| r.submitted == "started"),
        "existing": count(&|r| r.submitted == "existing"),
        "invalid": count(&|r| r.submitted == "invalid"),
    });
    if waited {
        let attempts: u64 = rows.iter().filter_map(|r| r.result["output"]["attempt"].as_u64()).sum();
        summary["completed"] = count(&status(COMPLETED)).into();
        summary["failed"] = count(&status(FAILED)).into();
        summary["terminal"] = count(&status(TERMINAL)).into();
        summary["unfinished"] = count(&status("UNFINISHED")).into();
        summary["attempts"] = attempts.into();
    }
    summary
}

fn describe(s: &Value, waited: bool) -> String {
    let mut text = format!(
        "{} inputs: {} started, {} submitted before (not started again), {} not JSON",
        s["inputs"], s["started"], s["existing"], s["invalid"]
    );
    if waited {
        text.push_str(&format!(
            "; {} completed, {} failed (retryable, attempts exhausted), {} terminal, {} unfinished; {} attempts",
            s["completed"], s["failed"], s["terminal"], s["unfinished"], s["attempts"]
        ));
    }
    text
}

/// Standard output, a line each. A reader that has gone (`submit … | head`) ends the printing,
/// not the run: `println!` would panic on the broken pipe, and the workflows are started either
/// way; the exit code still says how they ended.
fn print_lines(lines: impl IntoIterator<Item = String>) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_task_not_its_key_order_and_again_makes_a_new_one() {
        let a = json!({"client_user_id": "u1", "template_id": "idvtmp_1", "strategy": "reset"});
        let b = json!({"strategy": "reset", "template_id": "idvtmp_1", "client_user_id": "u1"});
        assert_eq!(workflow_id(&a, None), workflow_id(&b, None));
        assert_ne!(workflow_id(&a, None), workflow_id(&json!({"client_user_id": "u2"}), None));
        assert_ne!(workflow_id(&a, None), workflow_id(&a, Some("2nd")));
        assert_eq!(workflow_id(&a, Some("2nd")), workflow_id(&b, Some("2nd")));
        assert!(workflow_id(&a, None).starts_with("plaid-idv-retry-"));
        assert!(!workflow_id(&a, None).contains("u1"), "the id carries no input value");
    }
}
