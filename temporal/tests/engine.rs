//! The proofs that the task runs on a real Temporal: a dev server started here on free ports,
//! workers as child processes of the built binary, the simulator in this process. Each proof
//! counts the simulator's ledger (the sessions Plaid would bill) and reads Temporal's own history.

use std::{process::Stdio, thread, time::Duration, time::Instant};

use plaid_idv_test_support::{temporal::*, workspace_bin};
use serde_json::{json, Value};

fn new_sessions(sim: &Simulator, users: &[String]) -> Vec<usize> {
    // Each user starts with one seeded attempt.
    users.iter().map(|u| sim.session_count(u, TEMPLATE) - 1).collect()
}

fn users(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i:04}")).collect()
}

#[test]
fn two_workers_complete_200_tasks_with_one_session_each() {
    let h = Harness::start("e2e", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let fast = ["--activities-per-second", "1000"];
    let a = Worker::start(server, "e2e", settings, &fast, scratch);
    let b = Worker::start(server, "e2e", settings, &fast, scratch);
    let users = users("e2e", 200);
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(sim, u)).collect();

    let started = Instant::now();
    let out = submit(server, "e2e", &inputs, &["--wait"], scratch);
    let took = started.elapsed();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.summary["completed"], 200, "{}", out.summary);
    assert_eq!(out.summary["started"], 200);
    assert!(new_sessions(sim, &users).iter().all(|n| *n == 1), "exactly one new session per input");
    let (ran_a, ran_b) = (a.answered(), b.answered());
    eprintln!(
        "200 tasks in {took:?} ({:.1}/s): worker A ran {ran_a}, worker B {ran_b}",
        200.0 / took.as_secs_f64()
    );
    assert!(ran_a > 0 && ran_b > 0, "both workers ran activities: {ran_a} and {ran_b}");
    assert_eq!(ran_a + ran_b, 200);
}

#[test]
fn a_worker_killed_mid_call_loses_nothing_and_duplicates_nothing() {
    // The first three retry calls: recorded then held (a slow answer), recorded then held and
    // dropped, and never recorded (the server hangs before handling it).
    let faults = simulator::Faults::script(
        ["latency=60s", "latency=60s,drop_after_record", "hang=60s"]
            .iter()
            .map(|f| f.parse().unwrap())
            .collect(),
    );
    let h = Harness::start("kill", simulator::DEFAULT_SECRET, faults);
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let fast = ["--activities-per-second", "1000"];
    let mut a = Worker::start(server, "kill", settings, &fast, scratch);
    let users = users("kill", 3);
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(sim, u)).collect();
    let submitted = submit(server, "kill", &inputs, &[], scratch);
    assert_eq!(submitted.summary["started"], 3, "{submitted:?}");

    // All three calls in flight on worker A; two of them already recorded by the simulator.
    let waited = Instant::now();
    while sim.request_count() < 3 {
        assert!(waited.elapsed() < Duration::from_secs(30), "the calls never reached the simulator");
        thread::sleep(Duration::from_millis(50));
    }
    let b = Worker::start(server, "kill", settings, &fast, scratch);
    let recorded_before_kill: usize = new_sessions(sim, &users).iter().sum();
    assert_eq!(recorded_before_kill, 2);
    a.kill();

    let out = submit(server, "kill", &inputs, &["--wait"], scratch);
    assert_eq!(out.summary["completed"], 3, "{out:?}");
    assert_eq!(out.summary["existing"], 3, "the second submit started nothing");
    assert_eq!(new_sessions(sim, &users), vec![1, 1, 1], "0 duplicates, 0 lost");
    assert_eq!(b.answered(), 3, "the other worker finished all three: {}", b.output());
    for row in &out.rows {
        let id = row["workflow_id"].as_str().unwrap();
        let (_, history) = server.history(id);
        let started = events(&history, "ACTIVITY_TASK_STARTED");
        let last = started.last().expect("an ActivityTaskStarted");
        let attempt = last["activityTaskStartedEventAttributes"]["attempt"].as_u64();
        let failure = &last["activityTaskStartedEventAttributes"]["lastFailure"];
        eprintln!(
            "{id}: attempt {attempt:?} by {}, after: {} ({})",
            last["activityTaskStartedEventAttributes"]["identity"],
            failure["message"],
            failure["timeoutFailureInfo"]["timeoutType"]
        );
        assert_eq!(attempt, Some(2), "one attempt lost with worker A, the second completed");
        let identity = last["activityTaskStartedEventAttributes"]["identity"].as_str().unwrap_or_default();
        assert!(identity.starts_with(&format!("{}@", b.pid())), "worker B ran it: {identity}");
        assert_eq!(failure["timeoutFailureInfo"]["timeoutType"], "TIMEOUT_TYPE_HEARTBEAT");
        assert_eq!(row["result"]["output"]["attempt"], 2);
    }
    let reconciled = out.rows.iter().filter(|r| r["result"]["output"]["reconciled"] == true).count();
    assert_eq!(reconciled, 2, "the two recorded calls were found, not sent again");
}

#[test]
fn classification_decides_temporal_retries() {
    // Request 0: a 429 asking for 3 s; request 1: a 503 without Retry-After.
    let faults = simulator::Faults::script(vec![
        "status=429,retry_after=3".parse().unwrap(),
        "status=503".parse().unwrap(),
    ]);
    let h = Harness::start("classes", simulator::DEFAULT_SECRET, faults);
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let _w = Worker::start(server, "classes", settings, &["--activities-per-second", "1000"], scratch);
    let rate_limited = seeded_input(sim, "class-429");
    let unavailable = seeded_input(sim, "class-503");
    // No earlier attempt to retry: Plaid's 400 INVALID_REQUEST / INVALID_FIELD.
    let invalid = json!({"client_user_id": "class-400", "template_id": TEMPLATE, "strategy": "reset"});
    let mut ids = Vec::new();
    for (input, requests_after) in [(&rate_limited, 1), (&unavailable, 2), (&invalid, 3)] {
        let out = submit(server, "classes", std::slice::from_ref(input), &[], scratch);
        ids.push(out.rows[0]["workflow_id"].as_str().unwrap().to_owned());
        let waited = Instant::now();
        while sim.request_count() < requests_after {
            assert!(waited.elapsed() < Duration::from_secs(30));
            thread::sleep(Duration::from_millis(20));
        }
    }
    let out = submit(server, "classes", &[rate_limited, unavailable, invalid], &["--wait"], scratch);
    assert_eq!(out.code, Some(3), "{out:?}");
    let statuses: Vec<&str> = out.rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["COMPLETED", "COMPLETED", "FAILED_WITH_TERMINAL_ERROR"]);

    let attempt_of = |id: &str| {
        let (_, history) = server.history(id);
        let scheduled = event_time(events(&history, "ACTIVITY_TASK_SCHEDULED")[0]);
        let started = events(&history, "ACTIVITY_TASK_STARTED")[0].clone();
        let attrs = &started["activityTaskStartedEventAttributes"];
        (attrs["attempt"].as_u64(), event_time(&started) - scheduled, attrs["lastFailure"].clone(), history)
    };
    let (attempt, waited, failure, _) = attempt_of(&ids[0]);
    let info = &failure["applicationFailureInfo"];
    eprintln!(
        "429: attempt {attempt:?} started {waited:.2} s after scheduling, next retry delay {}",
        info["nextRetryDelay"]
    );
    assert_eq!(attempt, Some(2));
    assert!(waited >= 3.0, "Retry-After: 3 wins over the 2 s backoff: {waited}");
    assert_eq!(failure["applicationFailureInfo"]["type"], "FAILED");
    assert_eq!(failure["applicationFailureInfo"]["nextRetryDelay"], "3s");

    let (attempt, waited, failure, _) = attempt_of(&ids[1]);
    eprintln!("503: attempt {attempt:?} started {waited:.2} s after scheduling (backoff: 2 s)");
    assert_eq!(attempt, Some(2));
    assert!(waited >= 2.0, "the backoff's initial interval: {waited}");
    assert!(failure["applicationFailureInfo"]["nextRetryDelay"].is_null(), "the policy's backoff decided");

    let (attempt, _, _, history) = attempt_of(&ids[2]);
    assert_eq!(attempt, Some(1), "a terminal answer is never retried");
    let failed = events(&history, "WORKFLOW_EXECUTION_FAILED");
    let cause = &failed[0]["workflowExecutionFailedEventAttributes"]["failure"]["cause"];
    assert_eq!(cause["applicationFailureInfo"]["type"], "FAILED_WITH_TERMINAL_ERROR");
    assert_eq!(cause["applicationFailureInfo"]["nonRetryable"], true);
    assert!(cause["message"].as_str().unwrap().contains("INVALID_FIELD"), "{cause}");
    assert_eq!(sim.session_count("class-400", TEMPLATE), 0);
}

#[test]
fn three_workers_together_stay_under_the_queue_rate_limit() {
    let h = Harness::start("rate", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let limit = ["--activities-per-second", "5"];
    let workers: Vec<Worker> =
        (0..3).map(|_| Worker::start(server, "rate", settings, &limit, scratch)).collect();
    let users = users("rate", 60);
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(sim, u)).collect();

    // The simulator's request counter, sampled every 5 ms: when each call reached "Plaid".
    let started = Instant::now();
    let mut arrivals: Vec<f64> = Vec::new();
    let handle = thread::scope(|scope| {
        let submitted = scope.spawn(|| submit(server, "rate", &inputs, &["--wait"], scratch));
        let mut seen = 0;
        while arrivals.len() < 60 && started.elapsed() < Duration::from_secs(90) {
            let now = sim.request_count() as usize;
            arrivals.extend((seen..now).map(|_| started.elapsed().as_secs_f64()));
            seen = now;
            thread::sleep(Duration::from_millis(5));
        }
        submitted.join().unwrap()
    });
    assert_eq!(handle.summary["completed"], 60, "{handle:?}");
    assert_eq!(new_sessions(sim, &users), vec![1; 60]);
    let span = arrivals[59] - arrivals[0];
    let rate = 59.0 / span;
    let busiest_second = arrivals
        .iter()
        .map(|t| arrivals.iter().filter(|u| **u >= *t && **u < *t + 1.0).count())
        .max()
        .unwrap_or(0);
    let ran: Vec<usize> = workers.iter().map(Worker::answered).collect();
    eprintln!(
        "60 calls over {span:.2} s: {rate:.2}/s overall, at most {busiest_second} in any one second; per worker {ran:?}"
    );
    // The limit holds over the run; the server's limiter lets bursts through at the start (8 to
    // 12 calls in the busiest second over five runs here), so a single second is only bounded.
    assert!(rate <= 5.0 * 1.1, "{rate:.2} calls/s with a limit of 5/s");
    assert!(busiest_second <= 15, "{busiest_second} calls in one second");
}

#[test]
fn submitting_the_same_file_twice_leaves_the_ledger_unchanged() {
    let h = Harness::start("resubmit", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let _w = Worker::start(server, "again", settings, &["--activities-per-second", "1000"], scratch);
    let users = users("again", 10);
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(sim, u)).collect();

    let first = submit(server, "again", &inputs, &["--wait"], scratch);
    assert_eq!(
        (first.summary["started"].clone(), first.summary["completed"].clone()),
        (json!(10), json!(10))
    );
    let ledger = sim.ledger().len();
    let requests = sim.request_count();
    let second = submit(server, "again", &inputs, &["--wait"], scratch);
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(
        (second.summary["started"].clone(), second.summary["existing"].clone()),
        (json!(0), json!(10))
    );
    assert_eq!(second.summary["completed"], 10, "the earlier results, fetched again");
    assert_eq!(sim.ledger().len(), ledger, "no new session");
    assert_eq!(sim.request_count(), requests, "nothing reached Plaid");
    for (a, b) in first.rows.iter().zip(&second.rows) {
        assert_eq!(a["workflow_id"], b["workflow_id"]);
        assert_eq!(
            a["result"]["output"]["response"]["body"]["id"],
            b["result"]["output"]["response"]["body"]["id"]
        );
    }

    // A reader that goes away (`submit … | head`): the printing ends, the run does not panic.
    let mut gone = submit_command(server, "again", &inputs, &["--wait"], scratch)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the submit binary");
    drop(gone.stdout.take());
    let gone = gone.wait_with_output().expect("submit ends");
    let stderr = String::from_utf8_lossy(&gone.stderr);
    assert_eq!(gone.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(sim.request_count(), requests, "nothing reached Plaid");

    // What the README says to do for a deliberate second retry of one input.
    let again = submit(server, "again", &inputs[..1], &["--wait", "--again", "2026-12-02"], scratch);
    assert_eq!(again.summary["started"], 1, "{again:?}");
    assert_eq!(sim.session_count(&users[0], TEMPLATE), 3, "seeded, first retry, deliberate second");
}

#[test]
fn sigterm_drains_the_call_in_flight_then_exits_0() {
    let h = Harness::start(
        "drain",
        simulator::DEFAULT_SECRET,
        simulator::Faults::first(1, "latency=3s".parse().unwrap()),
    );
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let mut w = Worker::start(server, "drain", settings, &["--activities-per-second", "1000"], scratch);
    let input = seeded_input(sim, "drain-1");
    let submitted = submit(server, "drain", std::slice::from_ref(&input), &[], scratch);
    let waited = Instant::now();
    while sim.request_count() < 1 {
        assert!(waited.elapsed() < Duration::from_secs(30));
        thread::sleep(Duration::from_millis(20));
    }
    let terminated = Instant::now();
    let code = w.terminate(Duration::from_secs(30));
    let took = terminated.elapsed();
    let output = w.output();
    assert_eq!(code, Some(0), "{output}");
    assert!(took >= Duration::from_secs(2), "it waited for the slow answer: {took:?}");
    assert!(output.contains("SIGTERM: draining") && output.contains("COMPLETED"), "{output}");
    let id = submitted.rows[0]["workflow_id"].as_str().unwrap();
    let (_, history) = server.history(id);
    assert_eq!(events(&history, "ACTIVITY_TASK_COMPLETED").len(), 1, "the call in flight was reported");
    // A fresh worker finishes the workflow; nothing was sent twice.
    let _next = Worker::start(server, "drain", settings, &["--activities-per-second", "1000"], scratch);
    let out = submit(server, "drain", &[input], &["--wait"], scratch);
    assert_eq!(out.rows[0]["status"], "COMPLETED", "{out:?}");
    assert_eq!(out.rows[0]["result"]["output"]["attempt"], 1);
    assert_eq!(sim.session_count("drain-1", TEMPLATE), 2);
}

#[test]
fn canaries_never_reach_history_or_worker_output_even_when_kept() {
    let secret = "sk-CANARY-temporal-7f3a9c";
    let h = Harness::start("canary", secret, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let worker = Worker::start(server, "canary", settings, &["--activities-per-second", "1000"], scratch);
    let personal = ["Canarygiven", "Canaryfamily", "canary.person@example.com", "456123789"];
    let input = |user: &str| {
        let mut input = seeded_input(sim, user);
        input["user"] = json!({
            "name": {"given_name": personal[0], "family_name": personal[1]},
            "email_address": personal[2],
            "id_number": {"value": personal[3], "type": "us_ssn"},
        });
        input
    };
    let masked = submit(server, "canary", &[input("canary-masked")], &["--wait"], scratch);
    let kept = submit(server, "canary", &[input("canary-kept")], &["--wait", "--keep-plaid-body"], scratch);
    for out in [&masked, &kept] {
        assert_eq!(out.summary["completed"], 1, "{out:?}");
    }
    // Plaid's answer repeats the user data: masked by default, as sent with the setting.
    let body = |out: &Submitted| out.rows[0]["result"]["output"]["response"]["body"]["user"].clone();
    assert_eq!(body(&masked)["name"]["given_name"], "***");
    assert_eq!(body(&kept)["name"]["given_name"], personal[0]);

    let outputs =
        [("worker output", worker.output()), ("submit output", masked.stderr.clone() + &kept.stderr)];
    for (name, text) in &outputs {
        assert!(!text.contains(secret), "the secret in the {name}");
        assert!(!text.contains(PAYLOAD_KEY), "the payload key in the {name}");
        for p in personal {
            assert!(!text.contains(p), "{p} in the {name}");
        }
    }
    for out in [&masked, &kept] {
        let id = out.rows[0]["workflow_id"].as_str().unwrap();
        let (text, history) = server.history(id);
        assert!(!out.stderr.contains(secret) && !out.rows[0].to_string().contains(secret));
        // Every event, payloads base64-decoded: the input (with `user`), the activity's input and
        // result, the workflow's result. With or without --keep-plaid-body: the codec sealed them.
        let decoded = base64_of_json_payloads(&text);
        assert!(!decoded.contains(secret), "the secret in {id}'s history");
        assert!(!decoded.contains(PAYLOAD_KEY), "the payload key in {id}'s history");
        for p in personal {
            assert!(!decoded.contains(p), "{p} in {id}'s history");
        }
        let encodings = payload_encodings(&Value::Array(history.clone()));
        assert!(encodings.len() >= 4, "input, activity input and result, workflow result: {encodings:?}");
        assert!(encodings.iter().all(|e| e == "binary/encrypted"), "{id}: {encodings:?}");
    }
}

/// The `encoding` of every payload anywhere in `value` (metadata values are base64).
fn payload_encodings(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => {
            let own = map.get("metadata").and_then(|m| m["encoding"].as_str()).and_then(base64_decode);
            let own = own.map(|e| String::from_utf8_lossy(&e).into_owned());
            own.into_iter().chain(map.values().flat_map(payload_encodings)).collect()
        }
        Value::Array(items) => items.iter().flat_map(payload_encodings).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn worker_and_submit_refuse_to_start_without_a_valid_payload_key() {
    let scratch = Scratch::new("nokey");
    let inputs = scratch.file("inputs.jsonl", "{}\n");
    let bad = "not-a-key-CANARY-0123";
    for key in [None, Some(""), Some(bad), Some(&PAYLOAD_KEY[..62])] {
        for args in [vec!["worker"], vec!["submit", "--inputs", inputs.to_str().unwrap()]] {
            let mut command = std::process::Command::new(workspace_bin("plaid-idv-temporal"));
            command.args(&args).args(["--address", "127.0.0.1:1"]).env_remove("PLAID_IDV_PAYLOAD_KEY");
            if let Some(key) = key {
                command.env("PLAID_IDV_PAYLOAD_KEY", key);
            }
            let out = command.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?} with {key:?}: {stderr}");
            assert!(
                stderr.contains("PLAID_IDV_PAYLOAD_KEY") && stderr.contains("openssl rand -hex 32"),
                "{stderr}"
            );
            assert!(
                !stderr.contains(bad) && !stderr.contains(&PAYLOAD_KEY[..62]),
                "the value quoted: {stderr}"
            );
        }
    }
}

#[test]
fn a_worker_with_another_key_completes_nothing_and_names_both_key_ids() {
    let h = Harness::start("otherkey", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let other = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let id = |hex: &str| plaid_idv_temporal::codec::PayloadKey::from_hex(hex).unwrap().id().to_owned();
    let fast = ["--activities-per-second", "1000"];
    let mut wrong = Worker::start_with_key(server, "otherkey", settings, &fast, scratch, other);
    let input = seeded_input(sim, "otherkey-1");
    let out = submit(server, "otherkey", std::slice::from_ref(&input), &[], scratch);
    assert_eq!(out.summary["started"], 1, "{out:?}");
    let workflow_id = out.rows[0]["workflow_id"].as_str().unwrap().to_owned();

    let started = Instant::now();
    while !wrong.output().contains("payload encrypted with key") {
        assert!(started.elapsed() < Duration::from_secs(30), "no key mismatch reported: {}", wrong.output());
        thread::sleep(Duration::from_millis(200));
    }
    let output = wrong.output();
    let line = output.lines().find(|l| l.contains("payload encrypted with key")).unwrap();
    assert!(line.contains(&id(PAYLOAD_KEY)) && line.contains(&id(other)), "{line}");
    assert!(!output.contains(PAYLOAD_KEY) && !output.contains(other), "a key in the worker output");
    let (_, history) = server.history(&workflow_id);
    assert!(!events(&history, "WORKFLOW_TASK_FAILED").is_empty(), "the worker refused the task");
    assert!(events(&history, "WORKFLOW_EXECUTION_COMPLETED").is_empty());
    assert!(events(&history, "ACTIVITY_TASK_SCHEDULED").is_empty(), "nothing ran");
    assert_eq!(sim.session_count("otherkey-1", TEMPLATE), 1, "nothing reached Plaid");

    // Only the key was wrong: a worker with submit's key finishes the same workflow.
    wrong.kill();
    let _right = Worker::start(server, "otherkey", settings, &fast, scratch);
    let done = submit(server, "otherkey", &[input], &["--wait"], scratch);
    assert_eq!(done.rows[0]["status"], "COMPLETED", "{done:?}");
    assert_eq!(sim.session_count("otherkey-1", TEMPLATE), 2);
}

/// Payload data in `workflow show --output json` is base64 of what the SDK wrote (the JSON
/// itself, were the codec off): decoded here so a canary in clear is found wherever it sits.
fn base64_of_json_payloads(text: &str) -> String {
    let mut decoded = String::from(text);
    for piece in text.split('"') {
        if piece.len() >= 8 {
            if let Some(bytes) = base64_decode(piece) {
                decoded.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    decoded
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Issue 19, item 9: with 40 calls in flight (2 s answers) the server is SIGKILLed and restarted on
/// its database. The workers reconnect; `submit --wait` rides the outage out and reports every
/// workflow completed (it once reported one of them unfinished and exited 1), each with exactly
/// one new session.
#[test]
fn a_waiting_submit_rides_out_a_server_killed_and_restarted() {
    let slow = simulator::Faults::every("latency=2s".parse().unwrap());
    let mut h = Harness::start_persistent("restart", simulator::DEFAULT_SECRET, slow);
    let fast = ["--activities-per-second", "1000", "--max-concurrent", "40"];
    let _worker = Worker::start(&h.server, "restart", &h.settings, &fast, &h.scratch);
    let users = users("restart", 40);
    let inputs: Vec<Value> = users.iter().map(|u| seeded_input(&h.sim, u)).collect();
    let waiting = submit_command(&h.server, "restart", &inputs, &["--wait"], &h.scratch)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the submit binary");

    // Every workflow started and its call in flight: the simulator has received all 40 (the
    // seeded attempts are not requests), and each is held for 2 s.
    let started = Instant::now();
    while h.sim.request_count() < 40 {
        assert!(started.elapsed() < Duration::from_secs(60), "the calls never went out");
        thread::sleep(Duration::from_millis(20));
    }
    // Longer than the client's own retries of a call (10 s): the wait itself must ride it out.
    h.server.kill_and_restart(Duration::from_secs(12));

    let out = waiting.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .map(|s| s["summary"].clone())
        .unwrap_or(Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("restart: {summary} in {:?}", started.elapsed());
    assert_eq!(summary["completed"], 40, "{summary}\n{stderr}");
    assert_eq!(summary["unfinished"], 0, "{summary}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(new_sessions(&h.sim, &users).iter().all(|n| *n == 1), "exactly one new session per input");
}
