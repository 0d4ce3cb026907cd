//! `submit`: one workflow per input line. The workflow id is derived from the input, and a
//! workflow id is never reused (`RejectDuplicate`), so a second submit of the same line starts
//! nothing: Temporal's id uniqueness is the idempotency key that Plaid's retry call lacks.
//! `--again LABEL` is how a person asks for a deliberate second retry: the label becomes part of
//! the id.
//!
//! The id is a keyed hash (HMAC under a key derived from the payload key), so whoever reads the
//! history cannot confirm a guessed input without the key. A key rotation changes every id: the
//! ids under the ring's older keys (and, under the migration switch, the unkeyed ids of earlier
//! releases) are looked up before a start, so an input submitted before the rotation is found
//! there and not started again.

use std::{
    collections::BTreeMap,
    io::Write,
    path::PathBuf,
    time::{Duration, Instant},
};

use clap::Args;
use serde_json::{json, Map, Value};
use temporalio_client::{
    errors::{WorkflowGetResultError, WorkflowInteractionError, WorkflowStartError},
    Client, WorkflowDescribeOptions, WorkflowGetResultOptions, WorkflowHandle, WorkflowIdReusePolicy,
    WorkflowStartOptions,
};
use temporalio_common::error::IncomingError;
use tokio::task::JoinSet;

use plaid_idv_retry_interface::Exit;

use crate::{
    activity::{COMPLETED, FAILED, TERMINAL},
    await_verdict::{AwaitTask, RetryAndAwaitWorkflow},
    codec::{CodecArgs, KeyRing, PayloadKey},
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
    /// Start the retry-and-await workflow: after the retry, follow the session to its verdict
    /// (webhooks through `webhooks --listen`, polling as the fallback); its result is the final
    /// session.
    #[arg(long)]
    pub await_verdict: bool,
    #[command(flatten)]
    pub codec: CodecArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// What became of one input line.
struct Row {
    line: usize,
    workflow_id: Option<String>,
    /// `started`, `existing` (submitted before: nothing started) or `invalid` (not JSON).
    submitted: &'static str,
    /// With `--wait`: COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR, and the task result;
    /// UNFINISHED (not closed within the wait, or closed without a result) or REFUSED (a result
    /// this process cannot trust: not encrypted, or under an unknown key), with the reason.
    status: Option<String>,
    result: Value,
}

/// How the run ended: success when every input completed (or, without `--wait`, was submitted).
pub async fn run(args: SubmitArgs) -> Result<Exit, Error> {
    let keys = KeyRing::from_env()?;
    let text = std::fs::read_to_string(&args.inputs)
        .map_err(|e| Error::new(format!("--inputs: cannot read {}: {e}", args.inputs.display())))?;
    let client = args.server.connect(&keys, args.codec).await?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut row =
            Row { line: i + 1, workflow_id: None, submitted: "invalid", status: None, result: Value::Null };
        if let Ok(input) = serde_json::from_str::<Value>(line) {
            let again = args.again.as_deref();
            let id = workflow_id(keys.current(), &input, again);
            let earlier = earlier_ids(&keys, args.codec, &input, again);
            let (submitted, id) = match existing(&client, &earlier).await? {
                Some(earlier) => ("existing", earlier),
                None => (start(&client, &args, &id, input).await?, id),
            };
            row.submitted = submitted;
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
    Ok(if count("invalid") + count("terminal") + count("refused") > 0 {
        Exit::Terminal
    } else if count("failed") + count("unfinished") > 0 {
        Exit::Incomplete
    } else {
        Exit::Success
    })
}

/// `plaid-idv-retry-` and 128 bits of HMAC-SHA256, under `key`'s workflow id key, of the input
/// with its keys sorted (the same task however its keys are ordered), and of `again` if given.
pub fn workflow_id(key: &PayloadKey, input: &Value, again: Option<&str>) -> String {
    format!("plaid-idv-retry-{}", key.workflow_id_digest(&id_text(input, again)))
}

/// The text a workflow id is derived from.
fn id_text(input: &Value, again: Option<&str>) -> String {
    let mut text = canonical(input).to_string();
    if let Some(label) = again {
        text.push('\n');
        text.push_str(label);
    }
    text
}

/// The ids the same input had under the ring's older keys, and, reading legacy payloads, the
/// unkeyed SHA-256 id of earlier releases: where an earlier submit of it may be.
fn earlier_ids(keys: &KeyRing, codec: CodecArgs, input: &Value, again: Option<&str>) -> Vec<String> {
    let mut ids: Vec<String> = keys.old().iter().map(|k| workflow_id(k, input, again)).collect();
    if codec.read_legacy_payloads {
        let digest = ring::digest::digest(&ring::digest::SHA256, id_text(input, again).as_bytes());
        let hex: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
        ids.push(format!("plaid-idv-retry-{hex}"));
    }
    ids
}

/// The first of `ids` Temporal has a workflow for (running or closed within the namespace's
/// retention), as `RejectDuplicate` would find it.
async fn existing(client: &Client, ids: &[String]) -> Result<Option<String>, Error> {
    for id in ids {
        let handle = client.get_workflow_handle::<RetryWorkflow>(id.clone());
        match handle.describe(WorkflowDescribeOptions::default()).await {
            Ok(_) => return Ok(Some(id.clone())),
            Err(WorkflowInteractionError::NotFound(_)) => {}
            Err(e) => return Err(Error::new(format!("cannot look up workflow {id}: {e}"))),
        }
    }
    Ok(None)
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
    let task = Task { input, keep_plaid_body: args.keep_plaid_body, workflow_id: Some(id.to_owned()) };
    let options = WorkflowStartOptions::new(args.server.task_queue.clone(), id.to_owned())
        .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
        .build();
    let started = if args.await_verdict {
        let awaited = AwaitTask { task, following: None };
        client.start_workflow(RetryAndAwaitWorkflow::run, awaited, options).await.map(drop)
    } else {
        client.start_workflow(RetryWorkflow::run, task, options).await.map(drop)
    };
    match started {
        Ok(()) => Ok("started"),
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
            running.spawn(async move { (i, result_of(&handle).await) });
        }
        let Some(joined) = running.join_next().await else { return Ok(()) };
        let (i, outcome) = joined.map_err(|e| Error::new(format!("waiting for a result: {e}")))?;
        let (status, result) = match outcome {
            Ok(result) => (result["status"].as_str().unwrap_or(COMPLETED).to_owned(), result),
            Err(WorkflowGetResultError::Failed(failure)) => failed(&failure),
            // The codec refused what the history holds: not a result this process can trust.
            Err(WorkflowGetResultError::PayloadConversion(e)) => {
                ("REFUSED".to_owned(), json!({"reason": e.to_string()}))
            }
            Err(other) => ("UNFINISHED".to_owned(), json!({"reason": other.to_string()})),
        };
        rows[i].status = Some(status);
        rows[i].result = result;
    }
}

/// How long a wait keeps asking a server that does not answer: the pause before the next ask
/// doubles from the first to the longest, and the wait gives up after so many failed asks in a
/// row (some 4 minutes of pauses, plus each ask's own timeouts): long enough for a server to be
/// restarted or fail over, short enough that a server gone for good ends the run, whose exit
/// code then says that workflows are unfinished (a second `submit --wait` waits again).
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);
const FAILED_ASKS: u32 = 30;
/// An ask that failed after this long was answered for a while (a long poll): the server was
/// there, so the count of failed asks starts again.
const WAS_ANSWERING: Duration = Duration::from_secs(60);

/// The workflow's result, asking again while the server cannot answer (it went away, restarts,
/// or answers that it is not ready): a workflow still running is never reported unfinished
/// while the wait can go on. What ends the wait is the workflow's own close, or the bound above.
async fn result_of(handle: &WorkflowHandle<Client, RetryWorkflow>) -> Result<Value, WorkflowGetResultError> {
    let (mut pause, mut failed) = (FIRST_PAUSE, 0);
    loop {
        let asked = Instant::now();
        match handle.get_result(WorkflowGetResultOptions::default()).await {
            Err(e) if server_trouble(&e) => {
                if asked.elapsed() >= WAS_ANSWERING {
                    (pause, failed) = (FIRST_PAUSE, 0);
                }
                failed += 1;
                if failed >= FAILED_ASKS {
                    return Err(e);
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            answered => return answered,
        }
    }
}

/// An error that says nothing of the workflow, only of the way to it: ask again. A workflow
/// "not found" belongs here too: `submit` has just started or found it, and a restarting server
/// can answer before it has loaded its shards.
fn server_trouble(e: &WorkflowGetResultError) -> bool {
    matches!(
        e,
        WorkflowGetResultError::Rpc(_)
            | WorkflowGetResultError::NotFound(_)
            | WorkflowGetResultError::Other(_)
    )
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
        summary["refused"] = count(&status("REFUSED")).into();
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
            "; {} completed, {} failed (retryable, attempts exhausted), {} terminal, {} unfinished, \
             {} refused (a result not encrypted with a key of this process); {} attempts",
            s["completed"], s["failed"], s["terminal"], s["unfinished"], s["refused"], s["attempts"]
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

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const OTHER: &str = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn the_id_is_the_task_not_its_key_order_and_again_makes_a_new_one() {
        let key = PayloadKey::from_hex(KEY).unwrap();
        let id = |input: &Value, again| workflow_id(&key, input, again);
        let a = json!({"client_user_id": "u1", "template_id": "idvtmp_1", "strategy": "reset"});
        let b = json!({"strategy": "reset", "template_id": "idvtmp_1", "client_user_id": "u1"});
        assert_eq!(id(&a, None), id(&b, None));
        assert_ne!(id(&a, None), id(&json!({"client_user_id": "u2"}), None));
        assert_ne!(id(&a, None), id(&a, Some("2nd")));
        assert_eq!(id(&a, Some("2nd")), id(&b, Some("2nd")));
        assert!(id(&a, None).starts_with("plaid-idv-retry-"));
        assert!(!id(&a, None).contains("u1"), "the id carries no input value");
    }

    /// Issue 19, item 3: without the key, a guessed input cannot be confirmed from its id.
    #[test]
    fn the_id_needs_the_key() {
        let input = json!({"client_user_id": "u1", "template_id": "idvtmp_1", "strategy": "reset"});
        let (ours, other) = (PayloadKey::from_hex(KEY).unwrap(), PayloadKey::from_hex(OTHER).unwrap());
        let id = workflow_id(&ours, &input, None);
        assert_ne!(id, workflow_id(&other, &input, None));
        // The unkeyed SHA-256 of the input (what earlier releases used) is not the id.
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical(&input).to_string().as_bytes());
        let unkeyed: String = digest.as_ref()[..16].iter().map(|b| format!("{b:02x}")).collect();
        assert!(!id.contains(&unkeyed), "{id}");
        // After a rotation the old key's id is looked up first; the unkeyed one only migrating.
        let ring = KeyRing::new(other.clone(), vec![ours.clone()]);
        let earlier = earlier_ids(&ring, CodecArgs::default(), &input, None);
        assert_eq!(earlier, std::slice::from_ref(&id));
        let migrating = earlier_ids(&ring, CodecArgs { read_legacy_payloads: true }, &input, None);
        assert_eq!(migrating, [id, format!("plaid-idv-retry-{unkeyed}")]);
    }
}
