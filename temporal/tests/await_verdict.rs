//! The retry-and-await workflow on a real Temporal: a dev server with the search attribute, a
//! worker and the webhook receiver as child processes of the built binary, the simulator in this
//! process sending its signed webhooks to the receiver. Sessions are completed through the
//! simulator's control route, as a person completing the page would; the simulator's ledger
//! counts the billed retries, Temporal's histories show how each verdict arrived.

use std::{
    fs,
    path::PathBuf,
    process::{Child, Command},
    sync::MutexGuard,
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use plaid_idv_test_support::{
    canary_input, http_agent, seeded_simulator, simulator_config, temporal::*, workspace_bin, CANARY_PERSONAL,
};
use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use serde_json::{json, Value};

const AWAIT: &str = "--await-verdict";
const FAST: [&str; 2] = ["--activities-per-second", "1000"];

/// One proof's world: dev server, simulator (webhooks to the receiver), worker, receiver. Fields
/// drop in order: the processes stop, then the server, the simulator, the directory, the lock.
struct World {
    receiver: Receiver,
    worker: Worker,
    server: DevServer,
    sim: Simulator,
    scratch: Scratch,
    secret: String,
    queue: String,
    _one: MutexGuard<'static, ()>,
}

impl World {
    fn start(name: &str, secret: &str, worker_flags: &[&str]) -> World {
        let one = serial();
        let server = DevServer::start(&plaid_idv_test_support::tool("PLAID_IDV_TEST_TEMPORAL"));
        let scratch = Scratch::new(name);
        let port = free_port();
        let sim = seeded_simulator(
            SimulatorConfig {
                secret: secret.to_owned(),
                webhook: Some(format!("http://127.0.0.1:{port}/plaid/webhooks")),
                ..simulator_config()
            },
            &[],
        );
        let settings = settings_file(&scratch, &sim, secret);
        let flags: Vec<&str> = FAST.iter().chain(worker_flags).copied().collect();
        let worker = Worker::start(&server, name, &settings, &flags, &scratch);
        let receiver = Receiver::start(&server, port, &settings, &scratch);
        World {
            receiver,
            worker,
            server,
            sim,
            scratch,
            secret: secret.to_owned(),
            queue: name.to_owned(),
            _one: one,
        }
    }

    fn submit(&self, inputs: &[Value], extra: &[&str]) -> Submitted {
        submit(&self.server, &self.queue, inputs, extra, &self.scratch)
    }

    /// The newest session of `user` (the one the retry opened).
    fn session(&self, user: &str) -> String {
        self.sim.attempts(user, TEMPLATE).last().expect("an attempt").id.clone()
    }

    /// Completes `id` through the control route, as the page would; with `drop_webhooks`, its
    /// webhooks are never sent.
    fn complete(&self, id: &str, body: &Value, drop_webhooks: bool) -> SystemTime {
        let agent = http_agent(Duration::from_secs(10));
        let mut request = agent
            .post(format!("{}/sim/sessions/{id}/complete", self.sim.url()))
            .header("Content-Type", "application/json")
            .header("PLAID-CLIENT-ID", simulator::DEFAULT_CLIENT_ID)
            .header("PLAID-SECRET", &self.secret);
        if drop_webhooks {
            request = request.header(simulator::FAULT_HEADER, "drop_webhooks");
        }
        let at = SystemTime::now();
        let answer = request.send(body.to_string()).expect("the control route answers");
        assert_eq!(answer.status().as_u16(), 200, "completing {id}");
        at
    }

    /// Waits until `n` workflows record a session in the search attribute, visible to a query.
    fn wait_until_followed(&self, n: usize) {
        let started = Instant::now();
        let query = "PlaidIdentityVerificationId IS NOT NULL AND ExecutionStatus = 'Running'";
        loop {
            let out = self.server.cli(&["workflow", "count", "--query", query]);
            let text = String::from_utf8_lossy(&out.stdout);
            let count: usize = text.trim().trim_start_matches("Total:").trim().parse().unwrap_or(0);
            if count >= n {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(90), "{count} of {n} followed: {text}");
            thread::sleep(Duration::from_millis(250));
        }
    }
}

/// `plaid-idv-temporal webhooks` on a given loopback port; its output goes to a file.
struct Receiver {
    child: Child,
    log: PathBuf,
    url: String,
}

impl Receiver {
    fn start(server: &DevServer, port: u16, settings: &std::path::Path, scratch: &Scratch) -> Receiver {
        let log = scratch.0.join("receiver.log");
        let mut command = Command::new(workspace_bin("plaid-idv-temporal"));
        command
            .args(["webhooks", "--listen", &format!("127.0.0.1:{port}"), "--address", &server.address])
            .arg("--settings")
            .arg(settings);
        let child = spawn_until_ready(command, PAYLOAD_KEY, &log, "webhooks listening");
        Receiver { child, log, url: format!("http://127.0.0.1:{port}/plaid/webhooks") }
    }

    fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// POSTs `body` with `signature` as the `Plaid-Verification` header; the status.
    fn post(&self, body: &str, signature: Option<&str>) -> u16 {
        let agent = http_agent(Duration::from_secs(20));
        let mut request = agent.post(&self.url).header("Content-Type", "application/json");
        if let Some(signature) = signature {
            request = request.header("Plaid-Verification", signature);
        }
        request.send(body).expect("the receiver answers").status().as_u16()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A webhook body as Plaid sends it (pretty-printed, as the simulator does).
fn webhook_body(code: &str, id: &str) -> String {
    let body = json!({"webhook_type": "IDENTITY_VERIFICATION", "webhook_code": code,
        "identity_verification_id": id, "environment": "sandbox"});
    serde_json::to_string_pretty(&body).unwrap()
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A token signed with a P-256 key made here (not the simulator's), naming `kid`.
fn signed_with_another_key(kid: &str, body: &[u8]) -> String {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "ES256", "kid": kid, "typ": "JWT"}).to_string());
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"iat": unix_seconds(SystemTime::now()), "request_body_sha256": sha256_hex(body)}).to_string(),
    );
    let signing_input = format!("{header}.{claims}");
    let signature = pair.sign(&rng, signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

/// The `kid` a token's header names.
fn kid_of(token: &str) -> String {
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

/// The history of `workflow_id`'s latest run.
fn history(server: &DevServer, workflow_id: &str) -> Vec<Value> {
    server.history(workflow_id).1
}

/// The event types of a history, short (`TIMER_FIRED`), in order.
fn kinds(history: &[Value]) -> Vec<String> {
    history
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .map(|t| t.trim_start_matches("EVENT_TYPE_").to_owned())
        .collect()
}

fn median_and_p95(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.95))
}

#[test]
fn fifty_workflows_retry_and_await_their_verdicts_by_webhook_or_by_poll() {
    let w = World::start("await50", simulator::DEFAULT_SECRET, &[]);
    let users: Vec<String> = (0..50).map(|i| format!("await-{i:02}")).collect();
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(&w.sim, u)).collect();
    let submitted = w.submit(&inputs, &[AWAIT]);
    assert_eq!(submitted.summary["started"], 50, "{submitted:?}");
    let workflow_ids: Vec<String> =
        submitted.rows.iter().map(|r| r["workflow_id"].as_str().unwrap().to_owned()).collect();
    w.wait_until_followed(50);
    let sessions: Vec<String> = users.iter().map(|u| w.session(u)).collect();
    assert!(
        users.iter().all(|u| w.sim.session_count(u, TEMPLATE) == 2),
        "each retry opened exactly one session"
    );

    // Forged webhooks about a session a workflow follows: each refused, none signals it.
    let (target, other) = (&sessions[0], &sessions[1]);
    let body = webhook_body("STATUS_UPDATED", target);
    let genuine = w.sim.webhook_signature(body.as_bytes(), SystemTime::now()).unwrap();
    let kid = kid_of(&genuine);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"iat": unix_seconds(SystemTime::now()), "request_body_sha256": sha256_hex(body.as_bytes())})
            .to_string(),
    );
    let none =
        format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": kid}).to_string()));
    let stale =
        w.sim.webhook_signature(body.as_bytes(), SystemTime::now() - Duration::from_secs(600)).unwrap();
    let for_other =
        w.sim.webhook_signature(webhook_body("STATUS_UPDATED", other).as_bytes(), SystemTime::now());
    let forgeries = [
        ("another key", signed_with_another_key(&kid, body.as_bytes())),
        ("an unknown key id", signed_with_another_key("made-up-key-id", body.as_bytes())),
        ("alg none", none),
        ("a stale iat", stale),
        ("an altered body", for_other.unwrap()),
    ];
    for (what, token) in &forgeries {
        let status = w.receiver.post(&body, Some(token));
        assert!((400..500).contains(&status), "{what}: {status}");
    }
    assert!((400..500).contains(&w.receiver.post(&body, None)), "no signature");
    let huge = format!("{{\"padding\": \"{}\"}}", "x".repeat(70 * 1024));
    assert_eq!(w.receiver.post(&huge, Some(&genuine)), 413, "over the body cap, unread");
    let refused = w.receiver.output();
    for reason in ["signature does not verify", "not ES256", "issued", "SHA-256", "no verification key"] {
        assert!(refused.contains(reason), "{reason} not in: {refused}");
    }
    let signals = |id: &str| events(&history(&w.server, id), "WORKFLOW_EXECUTION_SIGNALED").len();
    assert_eq!(signals(&workflow_ids[0]), 0, "a forged webhook reached the workflow");

    // A genuine webhook, twice (a duplicate): acknowledged and signalled, the verdict unchanged.
    for _ in 0..2 {
        assert_eq!(w.receiver.post(&body, Some(&genuine)), 200);
    }
    // A verified webhook for a session no workflow follows: acknowledged, logged without its id.
    let unknown = webhook_body("STATUS_UPDATED", "idv_NoWorkflowFollowsThis");
    let signed = w.sim.webhook_signature(unknown.as_bytes(), SystemTime::now()).unwrap();
    assert_eq!(w.receiver.post(&unknown, Some(&signed)), 200);
    let started = Instant::now();
    while signals(&workflow_ids[0]) < 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "the duplicate was not signalled");
        thread::sleep(Duration::from_millis(200));
    }
    let log = w.receiver.output();
    assert!(log.contains("no running workflow follows"), "{log}");
    assert!(!log.contains("idv_NoWorkflowFollowsThis") && !log.contains(target.as_str()), "an id in: {log}");

    // 25 completed with their webhooks, 25 with them dropped: polling finds those. One every
    // 200 ms, alternating, at a person's pace: the poll group's completions fall at every phase of
    // the workflows' timers (started together, they tick together), and no webhook waits behind
    // a burst of others.
    let expected: Vec<&str> = (0..50).map(|i| if i % 2 == 0 { "success" } else { "failed" }).collect();
    let dropped_before = w.sim.webhooks_dropped();
    let mut completed_at = vec![UNIX_EPOCH; 50];
    for k in 0..25 {
        for i in [k, k + 25] {
            completed_at[i] = w.complete(&sessions[i], &json!({"outcome": expected[i]}), i >= 25);
            thread::sleep(Duration::from_millis(200));
        }
    }
    assert!(w.sim.webhooks_dropped() - dropped_before >= 25, "the fault dropped the webhooks");
    let waited = w.submit(&inputs, &[AWAIT, "--wait"]);
    assert_eq!(waited.summary["existing"], 50, "{waited:?}");
    assert_eq!(waited.summary["completed"], 50, "{waited:?}");

    let (mut by_webhook, mut by_poll, mut signalled) = (Vec::new(), Vec::new(), 0);
    for (i, row) in waited.rows.iter().enumerate() {
        let output = &row["result"]["output"];
        assert_eq!(output["session_status"], expected[i], "{i}: {row}");
        assert_eq!(output["final"], true);
        assert_eq!(output["response"]["body"]["id"], sessions[i].as_str());
        assert_eq!(w.sim.session_count(&users[i], TEMPLATE), 2, "{i}: exactly one billed retry");
        let run = history(&w.server, &workflow_ids[i]);
        let kinds = kinds(&run);
        let completed = events(&run, "WORKFLOW_EXECUTION_COMPLETED");
        let latency =
            event_time(completed[0]) - completed_at[i].duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
        // How the last wait ended: a webhook's signal cancels the timer; without one it fires.
        let last_wait = kinds.iter().rev().find(|k| *k == "TIMER_FIRED" || *k == "TIMER_CANCELED");
        if i < 25 {
            // A completion just before a timer's tick is found by that poll before its webhook
            // arrives: a race the webhook rarely loses.
            if last_wait.map(String::as_str) == Some("TIMER_CANCELED") {
                signalled += 1;
            }
            by_webhook.push(latency);
        } else {
            assert_eq!(last_wait.map(String::as_str), Some("TIMER_FIRED"), "{i}: {kinds:?}");
            by_poll.push(latency);
        }
    }
    let (webhook, poll) = (median_and_p95(by_webhook), median_and_p95(by_poll));
    eprintln!(
        "completion to result: with webhooks median {:.2} s, p95 {:.2} s ({signalled} of 25 ended by the \
         webhook's signal); polling only (10 s interval) median {:.2} s, p95 {:.2} s",
        webhook.0, webhook.1, poll.0, poll.1
    );
    assert!(signalled >= 20, "only {signalled} of 25 verdicts came by webhook");
    let log = w.receiver.output();
    assert!(log.contains("webhook STEP_UPDATED: not a status change"), "{log}");
    // The ledger again, after every get: gets bill nothing and open nothing.
    assert!(users.iter().all(|u| w.sim.session_count(u, TEMPLATE) == 2));

    // A webhook replayed after the verdict: acknowledged, and the closed workflow is untouched.
    let before = history(&w.server, &workflow_ids[0]).len();
    let replay = w.sim.webhook_signature(body.as_bytes(), SystemTime::now()).unwrap();
    assert_eq!(w.receiver.post(&body, Some(&replay)), 200);
    assert_eq!(history(&w.server, &workflow_ids[0]).len(), before);
    let _ = &w.worker;
}

#[test]
fn a_long_wait_continues_as_new_and_keeps_personal_data_out_of_history() {
    let secret = "sk-CANARY-await-5d2e81";
    let w = World::start("awaitcan", secret, &["--rounds-per-run", "1"]);
    let input = seeded_input(&w.sim, "await-can");
    let submitted = w.submit(std::slice::from_ref(&input), &[AWAIT]);
    let workflow_id = submitted.rows[0]["workflow_id"].as_str().unwrap().to_owned();
    w.wait_until_followed(1);
    let session = w.session("await-can");

    // Rounds per run 1: the first poll (the preset's interval) ends the run; the next one
    // follows the same session without retrying again.
    let runs = || {
        let out = w.server.cli(&["workflow", "count", "--query", &format!("WorkflowId = '{workflow_id}'")]);
        String::from_utf8_lossy(&out.stdout).trim().trim_start_matches("Total:").trim().parse().unwrap_or(0)
    };
    let started = Instant::now();
    while runs() < 2 {
        assert!(started.elapsed() < Duration::from_secs(60), "no continue-as-new");
        thread::sleep(Duration::from_millis(250));
    }

    // The person completes it with their own (canary) data: not the sandbox's test user.
    let user = canary_input()["user"].clone();
    w.complete(&session, &json!({ "user": user }), false);
    let waited = w.submit(&[input], &[AWAIT, "--wait"]);
    assert_eq!(waited.summary["completed"], 1, "{waited:?}");
    let result = &waited.rows[0]["result"];
    assert_eq!(result["output"]["session_status"], "failed", "{result}");
    assert_eq!(result["output"]["response"]["body"]["user"]["name"]["given_name"], "***", "masked");
    assert_eq!(w.sim.session_count("await-can", TEMPLATE), 2, "one billed retry across the runs");
    let latest = kinds(&history(&w.server, &workflow_id));
    let scheduled = events(&history(&w.server, &workflow_id), "ACTIVITY_TASK_SCHEDULED")
        .iter()
        .map(|e| {
            e["activityTaskScheduledEventAttributes"]["activityType"]["name"].as_str().unwrap().to_owned()
        })
        .collect::<Vec<_>>();
    assert!(scheduled.iter().all(|t| t == "plaid.identity_verification.get"), "{scheduled:?} in {latest:?}");

    // Every run's history (all payloads decoded), the worker's and the receiver's output: no
    // personal value and no secret.
    let out = w.server.cli(&[
        "workflow",
        "list",
        "--query",
        &format!("WorkflowId = '{workflow_id}'"),
        "-o",
        "json",
    ]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    // An array, or a document a line, depending on the CLI's version.
    let runs: Vec<Value> = match serde_json::from_str::<Value>(&listed) {
        Ok(Value::Array(runs)) => runs,
        _ => listed.lines().filter_map(|l| serde_json::from_str(l).ok()).collect(),
    };
    let run_ids: Vec<String> =
        runs.iter().filter_map(|r| r["execution"]["runId"].as_str().map(str::to_owned)).collect();
    assert!(run_ids.len() >= 2, "{listed}");
    let mut texts = vec![w.worker.output(), w.receiver.output(), waited.stderr.clone()];
    for run in &run_ids {
        let shown =
            w.server.cli(&["workflow", "show", "--workflow-id", &workflow_id, "--run-id", run, "-o", "json"]);
        texts.push(decoded(&String::from_utf8_lossy(&shown.stdout)));
    }
    for text in &texts {
        assert!(!text.contains(secret), "the secret");
        assert!(!text.contains(PAYLOAD_KEY), "the payload key");
        for p in CANARY_PERSONAL {
            assert!(!text.contains(p), "{p} in {}", &text[..text.len().min(400)]);
        }
    }
}

/// The deadline: with a give-up time of 3 s (the sandbox preset's is an hour) and a session
/// nobody completes, the workflow asks once, at the deadline rather than the 10 s interval, and
/// then fails with the non-retryable NO_VERDICT naming the last status; one billed retry.
#[test]
fn a_session_without_a_verdict_by_the_give_up_time_fails_with_no_verdict() {
    let w = World::start("awaitdl", simulator::DEFAULT_SECRET, &["--give-up-after", "3"]);
    let input = seeded_input(&w.sim, "await-dl");
    let waited = w.submit(std::slice::from_ref(&input), &[AWAIT, "--wait"]);
    assert_eq!(waited.code, Some(3), "{waited:?}");
    let row = &waited.rows[0];
    assert_eq!(row["status"], "FAILED_WITH_TERMINAL_ERROR", "{row}");
    assert_eq!(row["result"]["type"], "NO_VERDICT", "{row}");
    assert!(row["result"]["reason"].as_str().unwrap().contains("its last status: active"), "{row}");
    assert_eq!(w.sim.session_count("await-dl", TEMPLATE), 2, "one billed retry");

    let workflow_id = row["workflow_id"].as_str().unwrap();
    let shown = history(&w.server, workflow_id);
    let scheduled: Vec<&str> = events(&shown, "ACTIVITY_TASK_SCHEDULED")
        .iter()
        .map(|e| e["activityTaskScheduledEventAttributes"]["activityType"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(scheduled, ["plaid.identity_verification.retry", "plaid.identity_verification.get"]);
    let failed = events(&shown, "WORKFLOW_EXECUTION_FAILED");
    let failure = &failed[0]["workflowExecutionFailedEventAttributes"]["failure"];
    assert_eq!(failure["applicationFailureInfo"]["type"], "NO_VERDICT", "{failure}");
    assert_eq!(failure["applicationFailureInfo"]["nonRetryable"], true, "{failure}");
    let took = event_time(failed[0]) - event_time(events(&shown, "WORKFLOW_EXECUTION_STARTED")[0]);
    assert!((3.0..10.0).contains(&took), "the deadline cuts the interval short: {took:.1} s");
}

/// The text with every base64 piece decoded beside it, so a canary in clear is found wherever
/// it sits (payload data in `workflow show --output json` is base64).
fn decoded(text: &str) -> String {
    let mut out = String::from(text);
    for piece in text.split('"').filter(|p| p.len() >= 8) {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(piece) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    out
}

#[test]
fn the_receiver_listens_on_loopback_unless_told_otherwise() {
    let out = Command::new(workspace_bin("plaid-idv-temporal"))
        .args(["webhooks", "--listen", "0.0.0.0:0", "--address", "127.0.0.1:1"])
        .env("PLAID_IDV_PAYLOAD_KEY", PAYLOAD_KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");
}
