//! The proofs that only sealed payloads are trusted (issue 19, items 1 and 2), on a real Temporal:
//! a workflow started without the payload key (`temporal workflow start`, plaintext) runs nothing;
//! a sealed input copied into a workflow of another id runs nothing; a plaintext result planted in
//! the history is not reported as a result by `submit --wait`; the migration switch reads what
//! was written before encryption. Each proof counts the simulator's ledger (the sessions Plaid
//! would bill).

use std::{
    str::FromStr,
    thread,
    time::{Duration, Instant},
};

use plaid_idv_temporal::{codec::PayloadKey, submit::workflow_id, workflow::WORKFLOW_TYPE};
use plaid_idv_test_support::temporal::*;
use serde_json::{json, Value};

const FAST: [&str; 2] = ["--activities-per-second", "1000"];

/// Waits until `worker`'s output contains `needle`.
fn wait_for_output(worker: &Worker, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let output = worker.output();
        if output.contains(needle) {
            return output;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no {needle:?} in: {output}");
        thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until the workflow's history has an event of `kind`; answers the history.
fn wait_for_event(server: &DevServer, workflow_id: &str, kind: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (_, history) = server.history(workflow_id);
        if !events(&history, kind).is_empty() {
            return history;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no {kind} in {workflow_id}: {history:?}");
        thread::sleep(Duration::from_millis(200));
    }
}

/// `temporal workflow start` of the retry workflow with `input` as its (plaintext JSON) argument:
/// what anyone allowed to start workflows on the namespace can do without the payload key.
fn start_in_clear(server: &DevServer, queue: &str, id: &str, task: &Value) {
    let out = server.cli(&[
        "workflow",
        "start",
        "--type",
        WORKFLOW_TYPE,
        "--task-queue",
        queue,
        "--workflow-id",
        id,
        "--input",
        &task.to_string(),
    ]);
    assert!(out.status.success(), "temporal workflow start: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_workflow_started_without_the_key_runs_nothing_until_the_migration_switch() {
    let h = Harness::start("plaintext", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let mut strict = Worker::start(server, "plain", settings, &FAST, scratch);
    let input = seeded_input(sim, "plain-1");
    start_in_clear(server, "plain", "forged-1", &json!({ "input": input }));

    let output = wait_for_output(&strict, "not encrypted");
    assert!(output.contains("--read-legacy-payloads"), "the cause and the switch are named: {output}");
    let history = wait_for_event(server, "forged-1", "WORKFLOW_TASK_FAILED");
    assert!(events(&history, "ACTIVITY_TASK_SCHEDULED").is_empty(), "an activity was scheduled");
    assert!(events(&history, "WORKFLOW_EXECUTION_COMPLETED").is_empty());
    assert_eq!(sim.request_count(), 0, "a request reached Plaid");
    assert_eq!(sim.session_count("plain-1", TEMPLATE), 1, "only the seeded attempt");

    // The migration switch reads histories written before encryption: a worker with it runs a
    // plaintext start (a fresh one: the refused task waits out the server's retry backoff).
    strict.kill();
    let migrating =
        Worker::start(server, "plain", settings, &[&FAST[..], &["--read-legacy-payloads"]].concat(), scratch);
    assert!(migrating.output().contains("migration"), "{}", migrating.output());
    let old = seeded_input(sim, "plain-2");
    start_in_clear(server, "plain", "before-encryption-1", &json!({ "input": old }));
    let history = wait_for_event(server, "before-encryption-1", "WORKFLOW_EXECUTION_COMPLETED");
    assert_eq!(events(&history, "ACTIVITY_TASK_COMPLETED").len(), 1);
    assert_eq!(sim.session_count("plain-2", TEMPLATE), 2, "the seeded attempt and the retry");
}

#[test]
fn a_sealed_input_copied_into_another_workflow_runs_nothing() {
    let h = Harness::start("copied", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let _w = Worker::start(server, "copied", settings, &FAST, scratch);
    let input = seeded_input(sim, "copied-1");
    let out = submit(server, "copied", std::slice::from_ref(&input), &["--wait"], scratch);
    assert_eq!(out.summary["completed"], 1, "{out:?}");
    assert_eq!(sim.session_count("copied-1", TEMPLATE), 2);

    // Someone who can read the history and start workflows, without the key: the sealed input,
    // byte for byte, with its metadata, under a new workflow id.
    let original = out.rows[0]["workflow_id"].as_str().unwrap();
    let (_, history) = server.history(original);
    let started = events(&history, "WORKFLOW_EXECUTION_STARTED")[0];
    let payload = &started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0];
    let mut args = vec!["workflow", "start", "--type", WORKFLOW_TYPE, "--task-queue", "copied"];
    args.extend(["--workflow-id", "copy-of-a-sealed-input", "--input-base64"]);
    let data = payload["data"].as_str().unwrap();
    args.extend(["--input", data]);
    let metadata: Vec<String> = payload["metadata"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from_utf8(base64_decode(v.as_str().unwrap())).unwrap()))
        .collect();
    for pair in &metadata {
        args.extend(["--input-meta", pair]);
    }
    let cli = server.cli(&args);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));

    let history = wait_for_event(server, "copy-of-a-sealed-input", "WORKFLOW_EXECUTION_FAILED");
    let failed = &events(&history, "WORKFLOW_EXECUTION_FAILED")[0]["workflowExecutionFailedEventAttributes"];
    assert_eq!(failed["failure"]["applicationFailureInfo"]["type"], "TASK_FOR_ANOTHER_WORKFLOW", "{failed}");
    assert!(events(&history, "ACTIVITY_TASK_SCHEDULED").is_empty(), "an activity was scheduled");
    assert_eq!(sim.session_count("copied-1", TEMPLATE), 2, "the copy opened a second billed session");
}

/// A workflow of the retry workflow's type whose result is plaintext: what someone who can run a
/// worker on the queue (or write the history) without the key can plant.
#[temporalio_macros::workflow]
#[derive(Default)]
pub struct Planter;

#[temporalio_macros::workflow_methods]
impl Planter {
    #[run(name = WORKFLOW_TYPE)]
    pub async fn run(
        _ctx: &mut temporalio_sdk::WorkflowContext<Self>,
        _task: Value,
    ) -> temporalio_sdk::WorkflowResult<Value> {
        Ok(json!({"status": "COMPLETED", "output": {"attempt": 1, "planted": true,
            "response": {"status_code": 200, "body": {"id": "idv_PLANTED", "status": "success"}}}}))
    }
}

/// Starts workflow `id` on `queue` with the SDK's default (plaintext) data converter and completes
/// it with [`Planter`]'s result.
fn plant(server: &DevServer, queue: &str, id: &str) {
    use temporalio_client::{
        Client, ClientOptions, Connection, ConnectionOptions, Url, WorkflowStartOptions,
    };
    use temporalio_sdk::{runtime::RuntimeOptions, Runtime, Worker as SdkWorker, WorkerOptions};

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let sdk = Runtime::from_current_tokio(RuntimeOptions::builder().build().unwrap()).unwrap();
        let url = Url::from_str(&format!("http://{}", server.address)).unwrap();
        let connection =
            Connection::connect(ConnectionOptions::new(url).identity("planter".to_owned()).build())
                .await
                .unwrap();
        let client = Client::new(connection, ClientOptions::new("default".to_owned()).build()).unwrap();
        let options = WorkflowStartOptions::new(queue.to_owned(), id.to_owned()).build();
        let handle = client.start_workflow(Planter::run, json!({}), options).await.unwrap();
        let options = WorkerOptions::new(queue.to_owned()).register_workflow::<Planter>().unwrap().build();
        let mut worker = SdkWorker::new(&sdk, client.clone(), options).unwrap();
        let shutdown = worker.shutdown_handle();
        let waiting = tokio::spawn(async move {
            let result = handle.get_result(Default::default()).await;
            shutdown();
            result.map(|_| ())
        });
        worker.run().await.unwrap();
        waiting.await.unwrap().unwrap();
    });
}

#[test]
fn a_plaintext_result_planted_in_the_history_is_refused_by_submit() {
    let h = Harness::start("planted", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim) = (&h.server, &h.scratch, &h.sim);
    let input = seeded_input(sim, "planted-1");
    let key = PayloadKey::from_hex(PAYLOAD_KEY).unwrap();
    let id = workflow_id(&key, &input, None);
    plant(server, "planted", &id);
    let (_, history) = server.history(&id);
    assert_eq!(events(&history, "WORKFLOW_EXECUTION_COMPLETED").len(), 1, "the plant completed");

    let out = submit(server, "planted", &[input], &["--wait"], scratch);
    assert_eq!(out.rows[0]["workflow_id"], id.as_str(), "{out:?}");
    assert_eq!(out.rows[0]["submitted"], "existing");
    assert_eq!(out.rows[0]["status"], "REFUSED", "{out:?}");
    let reason = out.rows[0]["result"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("not encrypted"), "{reason}");
    assert!(!out.rows[0].to_string().contains("idv_PLANTED"), "the planted result was printed: {out:?}");
    assert_eq!(out.summary["completed"], 0, "{}", out.summary);
    assert_eq!(out.summary["refused"], 1, "{}", out.summary);
    assert_eq!(out.code, Some(3), "{out:?}");
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
