//! The fault matrix: execute, through the real `.so`, against the simulator misbehaving in every
//! way a Plaid call goes wrong. For each fault: the classification docs/reference.md promises
//! ("Classification"), a return within the read timeout plus one second, never a retryable answer
//! after a session was created, and, driven through an engine's retry loop (the interface's
//! `run_task`) with the fault on the first requests, no retry lost: the task ends COMPLETED with
//! exactly one new session in the ledger.
//!
//! A relay (std::net) stands between the plugin and the simulator. It counts `/retry` requests
//! and, for the first N, either adds the simulator's `X-Sim-Fault` header (the simulator's own
//! fault modes, recorded or not) or answers itself what the simulator cannot send: a 429 or 503
//! with `Retry-After`, a body that is not UTF-8. Every request goes out with `Connection: close`
//! so that no pooled connection outlives a fault.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    thread,
    time::{Duration, Instant},
};

use plaid_idv_retry_interface::{run_task, LatestAttempts, RetryPolicy, TaskStatus};
use plaid_idv_simulator::{self as simulator, Simulator, SimulatorConfig, Status};
use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

const USER: &str = "user-7c1d";
const TEMPLATE: &str = "idvtmp_52xR9LKo77r1Np";
const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// The engine's deadline for one execute: the read timeout plus one second.
const BUDGET: Duration = Duration::from_secs(2);
/// Scheduling slack on a busy two-core machine.
const SLACK: Duration = Duration::from_millis(400);

static SCANS: AtomicUsize = AtomicUsize::new(0);

/// Every task result goes through here. The secret may appear nowhere; personal values only in
/// `output.response.body`, which is Plaid's answer as sent (an attempt carries its user's data)
/// and never in the reason, the logs, the request echo or anything else the plugin wrote.
fn scanned(text: &str) -> Value {
    assert!(!text.contains(CANARY_SECRET), "the secret leaked: {text}");
    let result: Value = serde_json::from_str(text).expect("task result is JSON");
    let mut ours = result.clone();
    if let Some(response) = ours["output"]["response"].as_object_mut() {
        response.remove("body");
    }
    assert_no_canary(&ours.to_string());
    SCANS.fetch_add(1, Ordering::Relaxed);
    result
}

// ---- the relay ----

/// What the relay does with the n-th `/retry` request.
#[derive(Clone)]
enum Action {
    /// Forward, with these simulator faults (`None`: untouched).
    Forward(Option<&'static str>),
    /// Answer these bytes without forwarding: the simulator records nothing.
    Answer(Vec<u8>),
    /// Forward (the simulator records the attempt), then answer these bytes instead of its answer.
    ForwardThenAnswer(Vec<u8>),
}

struct Relay {
    url: String,
    injected: Arc<AtomicUsize>,
}

impl Relay {
    /// Relays `listener`'s connections to `upstream`; the first `faulty` `/retry` requests get
    /// `fault`, everything else passes untouched.
    fn start(listener: TcpListener, upstream: SocketAddr, fault: Action, faulty: usize) -> Relay {
        Relay::planned(listener, upstream, move |n| (n < faulty).then(|| fault.clone()))
    }

    /// Relays with `plan(n)` deciding the n-th `/retry` request's fault (`None`: untouched).
    fn planned(
        listener: TcpListener,
        upstream: SocketAddr,
        plan: impl Fn(usize) -> Option<Action> + Send + Sync + 'static,
    ) -> Relay {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let injected = Arc::new(AtomicUsize::new(0));
        let retries = Arc::new(AtomicUsize::new(0));
        let count = injected.clone();
        let plan = Arc::new(plan);
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (plan, retries, count) = (plan.clone(), retries.clone(), count.clone());
                thread::spawn(move || {
                    let Some((head, path, body)) = read_request(&client) else { return };
                    let planned = if path.ends_with("/retry") {
                        plan(retries.fetch_add(1, Ordering::SeqCst))
                    } else {
                        None
                    };
                    if planned.is_some() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    relay(client, upstream, &head, &body, planned.unwrap_or(Action::Forward(None)));
                });
            }
        });
        Relay { url, injected }
    }

    fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

/// The request head (without its blank line, `Connection` dropped), its path, and its body.
fn read_request(stream: &TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0;
    let mut path = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if head.is_empty() {
            path = line.split_whitespace().nth(1)?.to_owned();
        } else if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        } else if lower.starts_with("connection:") {
            continue;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, path, body))
}

fn relay(mut client: TcpStream, upstream: SocketAddr, head: &str, body: &[u8], action: Action) {
    let forward = |fault: Option<&str>| -> Option<TcpStream> {
        let mut up = TcpStream::connect(upstream).ok()?;
        let mut request = head.to_owned();
        if let Some(f) = fault {
            request.push_str(&format!("X-Sim-Fault: {f}\r\n"));
        }
        request.push_str("Connection: close\r\n\r\n");
        up.write_all(request.as_bytes()).ok()?;
        up.write_all(body).ok()?;
        Some(up)
    };
    match action {
        Action::Forward(fault) => {
            if let Some(mut up) = forward(fault) {
                // Byte for byte, so drips, truncations and hangs reach the client as sent.
                let _ = std::io::copy(&mut up, &mut client);
            }
        }
        Action::Answer(bytes) => {
            let _ = client.write_all(&bytes);
        }
        Action::ForwardThenAnswer(bytes) => {
            if let Some(mut up) = forward(None) {
                let _ = std::io::copy(&mut up, &mut std::io::sink());
            }
            let _ = client.write_all(&bytes);
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

fn raw(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn plaid_error_bytes(status: &str, retry_after: &str, error_type: &str, code: &str) -> Vec<u8> {
    let body = plaid_error(error_type, code).to_string();
    raw(status, &[("Content-Type", "application/json"), ("Retry-After", retry_after)], body.as_bytes())
}

/// Latin-1 text, as a misconfigured proxy sends it.
const NOT_UTF8: &[u8] = b"Erreur interne du serveur \xe9chou\xe9e \xff\xfe";

// ---- the matrix ----

struct Case {
    name: &'static str,
    fault: Fault,
    /// The single execute's status.
    status: &'static str,
    /// A check of that task result.
    check: fn(&Value),
    /// Whether the fault leaves a session behind (then reconciliation completes the first
    /// attempt); otherwise the engine must retry past the faulty requests.
    records: bool,
}

enum Fault {
    /// Nothing listens (in the engine loop: the relay starts listening a moment later).
    Refused,
    Relay(Action),
}

fn sim(spec: &'static str) -> Fault {
    Fault::Relay(Action::Forward(Some(spec)))
}

fn reconciled(r: &Value) {
    assert_eq!(r["output"]["reconciled"], true, "{r}");
    assert!(r["output"]["response"]["body"]["id"].as_str().is_some_and(|id| id.starts_with("idv_")), "{r}");
}

fn listed_none(r: &Value) {
    let reason = r["reasonForIncompletion"].as_str().unwrap_or("");
    assert!(reason.contains("shows no new attempt"), "{r}");
    assert_eq!(r["output"]["reconciled"], false, "{r}");
}

fn matrix() -> Vec<Case> {
    vec![
        Case {
            name: "connection refused",
            fault: Fault::Refused,
            status: "FAILED",
            check: |r| assert_eq!(r["output"]["sent"], false, "{r}"),
            records: false,
        },
        Case {
            name: "reset before any response",
            fault: sim("hang=0ms"),
            status: "FAILED",
            check: |r| {
                listed_none(r);
                assert!(r["reasonForIncompletion"].as_str().unwrap().contains("no response arrived"), "{r}");
            },
            records: false,
        },
        Case {
            name: "reset after the attempt was recorded",
            fault: sim("drop_after_record"),
            status: "COMPLETED",
            check: reconciled,
            records: true,
        },
        Case {
            name: "headers never sent",
            fault: sim("hang=5s"),
            status: "FAILED",
            check: |r| {
                listed_none(r);
                assert!(r["reasonForIncompletion"].as_str().unwrap().contains("timed out"), "{r}");
            },
            records: false,
        },
        Case {
            name: "headers never sent after the attempt was recorded",
            fault: sim("latency=5s"),
            status: "COMPLETED",
            check: reconciled,
            records: true,
        },
        Case {
            name: "slow-drip body",
            fault: sim("slow_drip=50"),
            status: "COMPLETED",
            check: |r| {
                reconciled(r);
                assert!(r["output"]["reconciliation"]["why"].as_str().unwrap().contains("cut off"), "{r}");
            },
            records: true,
        },
        Case {
            name: "HTML 502 from a load balancer",
            fault: sim("html502"),
            status: "FAILED",
            check: |r| {
                listed_none(r);
                assert!(r["reasonForIncompletion"].as_str().unwrap().contains("not JSON"), "{r}");
                assert_eq!(r["output"]["response"]["statusCode"], 502, "{r}");
            },
            records: false,
        },
        Case {
            name: "500 after the attempt was recorded",
            fault: sim("status_after_record=500"),
            status: "COMPLETED",
            check: reconciled,
            records: true,
        },
        Case {
            name: "truncated JSON",
            fault: sim("truncate"),
            status: "COMPLETED",
            check: |r| {
                reconciled(r);
                assert!(r["output"]["reconciliation"]["why"].as_str().unwrap().contains("cut off"), "{r}");
            },
            records: true,
        },
        Case {
            name: "body over the size cap",
            fault: sim("oversize=131072"),
            status: "COMPLETED",
            check: |r| {
                reconciled(r);
                let why = r["output"]["reconciliation"]["why"].as_str().unwrap();
                assert!(why.contains("larger than max_response_bytes"), "{r}");
            },
            records: true,
        },
        Case {
            name: "429 without Retry-After",
            fault: sim("status=429"),
            status: "FAILED",
            check: |r| {
                assert_eq!(r["retry_after_seconds"], 60.0, "{r}");
                assert_eq!(r["output"]["error_type"], "RATE_LIMIT_EXCEEDED", "{r}");
            },
            records: false,
        },
        Case {
            name: "429 with Retry-After",
            fault: Fault::Relay(Action::Answer(plaid_error_bytes(
                "429 Too Many Requests",
                "1",
                "RATE_LIMIT_EXCEEDED",
                "RATE_LIMIT",
            ))),
            status: "FAILED",
            check: |r| assert_eq!(r["retry_after_seconds"], 1.0, "{r}"),
            records: false,
        },
        Case {
            name: "503 with Retry-After",
            fault: Fault::Relay(Action::Answer(plaid_error_bytes(
                "503 Service Unavailable",
                "1",
                "API_ERROR",
                "PLANNED_MAINTENANCE",
            ))),
            status: "FAILED",
            check: |r| {
                assert_eq!(r["retry_after_seconds"], 1.0, "{r}");
                assert_eq!(r["output"]["error_code"], "PLANNED_MAINTENANCE", "{r}");
            },
            records: false,
        },
        Case {
            name: "body not UTF-8 (502, nothing recorded)",
            fault: Fault::Relay(Action::Answer(raw(
                "502 Bad Gateway",
                &[("Content-Type", "text/plain; charset=iso-8859-1")],
                NOT_UTF8,
            ))),
            status: "FAILED",
            check: |r| {
                listed_none(r);
                assert!(r["reasonForIncompletion"].as_str().unwrap().contains("not UTF-8"), "{r}");
            },
            records: false,
        },
        Case {
            name: "body not UTF-8 (200, recorded)",
            fault: Fault::Relay(Action::ForwardThenAnswer(raw(
                "200 OK",
                &[("Content-Type", "application/json")],
                NOT_UTF8,
            ))),
            status: "COMPLETED",
            check: |r| {
                reconciled(r);
                assert!(r["output"]["reconciliation"]["why"].as_str().unwrap().contains("not UTF-8"), "{r}");
            },
            records: true,
        },
    ]
}

/// A simulator that knows the canary credentials and holds one failed attempt to retry.
fn simulator() -> Simulator {
    let sandbox = simulator::start(SimulatorConfig {
        client_id: "client-abc".into(),
        secret: CANARY_SECRET.into(),
        rate_limit_per_minute: 0,
        ..SimulatorConfig::default()
    })
    .expect("the simulator starts");
    sandbox.seed_attempt(USER, TEMPLATE, Status::Failed, None);
    sandbox
}

/// The retries this test created (the seeded attempt excluded).
fn new_sessions(sandbox: &Simulator) -> usize {
    sandbox.attempts(USER, TEMPLATE).len() - 1
}

fn task_settings(url: &str) -> String {
    settings(
        url,
        json!({"read_timeout_seconds": READ_TIMEOUT.as_secs(), "connection_timeout_seconds": 1,
               "max_response_bytes": 65536}),
    )
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// One execute per fault: classification, time, and no session behind a retryable answer.
fn single(case: &Case) -> usize {
    let sandbox = simulator();
    let (url, relay) = match &case.fault {
        Fault::Refused => (format!("http://{}", free_port()), None),
        Fault::Relay(action) => {
            let relay =
                Relay::start(TcpListener::bind("127.0.0.1:0").unwrap(), sandbox.addr(), action.clone(), 1);
            (relay.url.clone(), Some(relay))
        }
    };
    let context = json!({"attempt": 1, "timeout_ms": BUDGET.as_millis() as u64}).to_string();
    // Loaded before the clock starts: a test process's first load builds the plugin.
    let plugin = plugin();
    let started = Instant::now();
    let text = plugin.execute(&canary_input().to_string(), &task_settings(&url), &context).unwrap();
    let took = started.elapsed();
    let result = scanned(&text);
    assert_eq!(result["status"], case.status, "{}: {result}", case.name);
    (case.check)(&result);
    assert!(took <= BUDGET + SLACK, "{}: took {took:?}", case.name);
    let created = new_sessions(&sandbox);
    match result["status"].as_str() {
        Some("COMPLETED") => assert_eq!(created, 1, "{}: {result}", case.name),
        // A retryable answer invites a re-send: it must mean nothing was created.
        Some("FAILED") => assert_eq!(created, 0, "{}: {result}", case.name),
        _ => assert!(created <= 1, "{}", case.name),
    }
    assert_eq!(created, usize::from(case.records), "{}: {result}", case.name);
    relay.map_or(1, |r| r.injected())
}

/// The engine's loop with the fault on the first `faulty` retry requests: the task completes
/// with exactly one new session, after exactly as many attempts as the faults cost.
fn through_the_engine(case: &Case, faulty: usize) -> usize {
    let sandbox = simulator();
    let policy = RetryPolicy { interval_seconds: 0.5, max_attempts: faulty as u32 + 2, backoff_rate: 1.0 };
    let (url, relay) = match &case.fault {
        // The first attempt finds nothing listening; the server comes up before the retry.
        Fault::Refused => {
            let addr = free_port();
            let upstream = sandbox.addr();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(250));
                Relay::start(TcpListener::bind(addr).unwrap(), upstream, Action::Forward(None), 0)
            });
            (format!("http://{addr}"), None)
        }
        Fault::Relay(action) => {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let relay = Relay::start(listener, sandbox.addr(), action.clone(), faulty);
            (relay.url.clone(), Some(relay))
        }
    };
    let outcome = run_task(
        &plugin(),
        &canary_input().to_string(),
        &task_settings(&url),
        policy,
        BUDGET,
        &LatestAttempts::new(),
    )
    .unwrap();
    let result = scanned(&outcome.text);
    assert_eq!(outcome.status(), TaskStatus::Completed, "{}: {result}", case.name);
    assert_eq!(new_sessions(&sandbox), 1, "{}: exactly one session: {result}", case.name);
    let expected_attempts = if case.records { 1 } else { faulty as u32 + 1 };
    assert_eq!(outcome.attempts, expected_attempts, "{}: {result}", case.name);
    for latency in &outcome.latencies {
        assert!(*latency <= BUDGET + SLACK, "{}: an attempt took {latency:?}", case.name);
    }
    relay.map_or(faulty, |r| r.injected())
}

fn run_matrix(filter: impl Fn(&Case) -> bool) {
    let cases: Vec<Case> = matrix().into_iter().filter(|c| filter(c)).collect();
    let injected: usize = thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                s.spawn(move || {
                    let mut injected = single(case);
                    // A retry_after of 60 s (no Retry-After header) is the engine's wait, not ours.
                    let faulty = match case.fault {
                        _ if case.records => 1,
                        Fault::Refused => 1,
                        Fault::Relay(_) => 2,
                    };
                    if case.name != "429 without Retry-After" {
                        injected += through_the_engine(case, faulty);
                    }
                    injected
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a case failed")).sum()
    });
    eprintln!(
        "fault matrix: {} cases, {injected} faults injected, {} canary scans",
        cases.len(),
        SCANS.load(Ordering::Relaxed)
    );
}

#[test]
fn faults_that_leave_nothing_behind_are_retried_until_one_session_exists() {
    run_matrix(|c| !c.records);
}

#[test]
fn faults_after_the_attempt_was_recorded_are_reconciled_to_exactly_one_session() {
    run_matrix(|c| c.records);
}

/// The n-th `/retry` request's draw in a fixed pseudo-random plan (splitmix64), so a failure
/// replays.
fn plan(n: usize) -> u64 {
    let mut z = (n as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Chaos: 16 engine workers, each running tasks for its own user through the engine's retry loop,
/// while the relay breaks about four `/retry` requests in ten with a fault drawn from the matrix
/// (recorded or not). Every task must complete with exactly one new session, the one following
/// its user's earlier attempt: no session duplicated, none lost, none handed to another task.
#[test]
fn sixteen_workers_under_random_faults_open_exactly_one_session_per_task() {
    const WORKERS: usize = 16;
    let tasks: usize = std::env::var("CHAOS_TASKS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let sandbox = simulator();
    let faults: Vec<Action> = [
        "drop_after_record",
        "hang=0ms",
        "status_after_record=502",
        "truncate",
        "html502",
        "status=503",
        "latency=3s",
        "oversize=131072",
    ]
    .into_iter()
    .map(|f| Action::Forward(Some(f)))
    .chain([Action::ForwardThenAnswer(raw("200 OK", &[], NOT_UTF8))])
    .collect();
    let relay = Relay::planned(TcpListener::bind("127.0.0.1:0").unwrap(), sandbox.addr(), move |n| {
        let z = plan(n);
        (z % 10 < 4).then(|| faults[(z / 10) as usize % faults.len()].clone())
    });
    let policy = RetryPolicy { interval_seconds: 0.05, max_attempts: 12, backoff_rate: 1.0 };
    let settings = task_settings(&relay.url);
    let started = Instant::now();
    let attempts: u32 = thread::scope(|s| {
        let handles: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (sandbox, settings) = (&sandbox, settings.as_str());
                s.spawn(move || {
                    let mut attempts = 0;
                    for t in 0..tasks {
                        // A user per task: two retries of one user within reconciliation's
                        // tolerance (a few seconds) are ambiguous by design, a terminal answer.
                        let user = format!("user-chaos-{w}-{t}");
                        let seeded = sandbox.seed_attempt(&user, TEMPLATE, Status::Failed, None);
                        let mut input = canary_input();
                        input["client_user_id"] = json!(user);
                        let outcome = run_task(
                            &plugin(),
                            &input.to_string(),
                            settings,
                            policy,
                            BUDGET,
                            &LatestAttempts::new(),
                        )
                        .unwrap();
                        let result = scanned(&outcome.text);
                        assert_eq!(outcome.status(), TaskStatus::Completed, "{user}: {result}");
                        let body = &result["output"]["response"]["body"];
                        assert_eq!(body["client_user_id"], json!(user), "{result}");
                        assert_eq!(body["previous_attempt_id"], json!(seeded), "{user}: {result}");
                        assert_eq!(
                            sandbox.session_count(&user, TEMPLATE),
                            2,
                            "{user}: one new session: {result}"
                        );
                        attempts += outcome.attempts;
                    }
                    attempts
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a worker failed")).sum()
    });
    // Per task its seed and its one new session, plus the simulator's own seeded attempt.
    assert_eq!(sandbox.ledger().len(), WORKERS * tasks * 2 + 1, "one session per task, no more");
    eprintln!(
        "chaos: {WORKERS} workers × {tasks} tasks completed with {attempts} attempts in {:.1} s; \
         {} faults injected, {} canary scans so far",
        started.elapsed().as_secs_f64(),
        relay.injected(),
        SCANS.load(Ordering::Relaxed)
    );
}

/// One user retried back to back (a task a few milliseconds after the last one ended) while the
/// relay drops about four answers in ten after the simulator recorded the attempt. Run twice
/// with the same plan: once by an engine that forgets between tasks, once by one that hands each
/// execute the newest attempt the user's last task reported (context `latest_attempt_id`).
/// Forgetting, a dropped answer's reconciliation sees the previous task's attempt as just as new
/// and must end ambiguous (terminal); remembering, it never does. Neither ever opens a second
/// session for a task. `SAME_USER_TASKS` tasks a run (24 in CI).
#[test]
fn one_user_retried_back_to_back_under_dropped_answers_is_not_ambiguous_when_the_engine_remembers() {
    let tasks: usize = std::env::var("SAME_USER_TASKS").ok().and_then(|v| v.parse().ok()).unwrap_or(24);
    let run = |remember: bool| {
        let sandbox = simulator();
        // The chaos test's plan: the same requests break in both runs.
        let relay = Relay::planned(TcpListener::bind("127.0.0.1:0").unwrap(), sandbox.addr(), |n| {
            (plan(n) % 10 < 4).then_some(Action::Forward(Some("drop_after_record")))
        });
        let policy = RetryPolicy { interval_seconds: 0.05, max_attempts: 3, backoff_rate: 1.0 };
        let settings = task_settings(&relay.url);
        let engine_memory = LatestAttempts::new();
        let (mut ambiguous, mut completed) = (0, 0);
        let mut previous = json!(sandbox.attempts(USER, TEMPLATE)[0].id);
        for _ in 0..tasks {
            let forgetful = LatestAttempts::new();
            let memory = if remember { &engine_memory } else { &forgetful };
            let outcome =
                run_task(&plugin(), &canary_input().to_string(), &settings, policy, BUDGET, memory).unwrap();
            let result = scanned(&outcome.text);
            let body = &result["output"]["response"]["body"];
            match outcome.status() {
                TaskStatus::Completed => {
                    // The attempt this task created, following the last task's: never another's.
                    assert_eq!(body["previous_attempt_id"], previous, "{result}");
                    assert_eq!(result["output"]["latest_attempt_id"], body["id"], "{result}");
                    completed += 1;
                }
                _ => {
                    assert_eq!(result["output"]["outcome_unknown"], true, "{result}");
                    ambiguous += 1;
                }
            }
            let attempts = sandbox.attempts(USER, TEMPLATE);
            previous = json!(attempts[attempts.len() - 1].id);
            // Exactly one new session per task, whatever its ending: no duplicate.
            assert_eq!(new_sessions(&sandbox), completed + ambiguous, "{result}");
        }
        (ambiguous, relay.injected())
    };
    let (before, dropped) = run(false);
    let (after, dropped_again) = run(true);
    eprintln!(
        "one user, {tasks} tasks back to back, {dropped} answers dropped: {before} ambiguous endings \
         when the engine forgets, {after} when it remembers ({dropped_again} dropped); 0 duplicates in both"
    );
    assert_eq!(dropped, dropped_again, "both runs meet the same faults");
    assert!(dropped > 0 && before > 0, "the plan drops answers and forgetting meets the window");
    assert_eq!(after, 0, "remembering removes the window");
}
