//! `test-request` and `run` as a user drives them: the main job against the embedded simulator,
//! exit codes by classification, canaries, and the worker loop over many inputs.

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use plaid_idv_simulator::{self as simulator, FaultSet, Faults, SimulatorConfig};
use plaid_idv_test_support as common;
use serde_json::{json, Value};

fn host_sim(args: &[&str]) -> Output {
    common::host_sim().args(args).output().unwrap()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name).display().to_string()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("host-sim-tr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// `host-sim run --json` over `lines` (JSONL) against an in-process simulator with its default
/// credentials.
fn run_json(sim: &simulator::Simulator, name: &str, lines: &str, extra: &[&str]) -> Output {
    let inputs = temp_file(&format!("{name}.jsonl"), lines);
    let settings = json!({"base_url": sim.url(), "client_id": simulator::DEFAULT_CLIENT_ID, "secret": simulator::DEFAULT_SECRET});
    let settings_file = temp_file(&format!("{name}-settings.json"), &settings.to_string());
    let paths = [inputs.to_str().unwrap(), settings_file.to_str().unwrap()];
    host_sim(&[&["run", "--inputs", paths[0], "--settings", paths[1], "--json"], extra].concat())
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_example_completes_against_the_embedded_simulator() {
    for name in ["reset.json", "custom-steps.json", "sandbox-test-user.json"] {
        let out = host_sim(&["test-request", &example(name)]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}{stderr}");
        assert!(stdout.contains("local Plaid simulator"), "says where the call went: {stdout}");
        assert!(stdout.contains("result       COMPLETED"), "{stdout}");
        assert!(stdout.contains("PLAID-SECRET: ***"), "{stdout}");
        assert!(stdout.contains("\"previous_attempt_id\": \"idv_"), "the response body is shown: {stdout}");
    }
}

/// A retry opens a session the person completes later, as on Plaid: the answer is `active`, with
/// the data sent waiting on the session's page.
#[test]
fn the_sandbox_test_user_example_opens_an_active_session_and_json_prints_the_task_result() {
    let out = host_sim(&["test-request", &example("sandbox-test-user.json"), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "COMPLETED");
    assert_eq!(result["output"]["response"]["statusCode"], 200);
    let body = &result["output"]["response"]["body"];
    assert_eq!(body["status"], "active");
    assert!(body["kyc_check"].is_null() && body["completed_at"].is_null(), "{body}");
    assert_eq!(body["user"]["name"]["family_name"], "Knope");
}

#[test]
fn exit_codes_follow_the_classification() {
    let invalid = temp_file(
        "custom-without-steps.json",
        r#"{"client_user_id":"u-1","template_id":"idvtmp_x","strategy":"custom"}"#,
    );
    let out = host_sim(&["test-request", invalid.to_str().unwrap()]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("/steps") && stdout.contains("nothing was sent"), "{stdout}");

    let out = host_sim(&["test-request", &example("reset.json"), "--fault", "status=503"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).0);

    let out = host_sim(&[
        "test-request",
        &example("reset.json"),
        "--fault",
        "drop_after_record",
        "--fault-first",
        "1",
    ]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "a dropped answer is reconciled: {stdout}");
    assert!(stdout.contains("reconciled"), "{stdout}");

    let out = host_sim(&["test-request", "/nonexistent/input.json"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Canary credentials and personal data go in; the panel, stderr and (for the secret) the task
/// result never give them back.
#[test]
fn canaries_never_reach_the_panel() {
    const SECRET: &str = "canary-secret-5f1e9d";
    let sim = common::seeded_simulator(
        SimulatorConfig { secret: SECRET.into(), ..common::simulator_config() },
        &[("user-canary", "idvtmp_canary")],
    );
    let personal = [
        "Canarygiven",
        "Canaryfamily",
        "canary.mail@example.com",
        "+14155550123",
        "1971-03-04",
        "77 Canary Wharf Road",
        "Canaryville",
        "94107",
        "123456788",
    ];
    let input = json!({
        "client_user_id": "user-canary", "template_id": "idvtmp_canary", "strategy": "reset",
        "user": {
            "name": {"given_name": personal[0], "family_name": personal[1]},
            "email_address": personal[2], "phone_number": personal[3], "date_of_birth": personal[4],
            "address": {"street": personal[5], "city": personal[6], "region": "CA", "postal_code": personal[7], "country": "US"},
            "id_number": {"type": "us_ssn", "value": personal[8]}
        }
    });
    let input_file = temp_file("canary-input.json", &input.to_string());
    let settings =
        json!({"base_url": sim.url(), "client_id": simulator::DEFAULT_CLIENT_ID, "secret": SECRET});
    let settings_file = temp_file("canary-settings.json", &settings.to_string());
    let args = ["test-request", input_file.to_str().unwrap(), "--settings", settings_file.to_str().unwrap()];

    let out = host_sim(&args);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(sim.session_count("user-canary", "idvtmp_canary"), 2, "one retry, once");
    for canary in personal.iter().chain([&SECRET]) {
        assert!(!stdout.contains(canary) && !stderr.contains(canary), "{canary} leaked:\n{stdout}{stderr}");
    }
    // The task result carries Plaid's answer as sent (the user's data included), never the secret.
    let out = host_sim(&[&args[..], &["--json"]].concat());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
}

#[test]
fn run_completes_a_thousand_inputs_with_eight_workers() {
    let users: Vec<String> = (0..1000).map(|i| format!("user-run-{i}")).collect();
    let seeds: Vec<(&str, &str)> = users.iter().map(|user| (user.as_str(), "idvtmp_run")).collect();
    let sim = common::seeded_simulator(common::simulator_config(), &seeds);
    let mut lines = String::new();
    for (i, user) in users.iter().enumerate() {
        let strategy = ["reset", "incomplete", "infer"][i % 3];
        lines.push_str(
            &json!({"client_user_id": user, "template_id": "idvtmp_run", "strategy": strategy}).to_string(),
        );
        lines.push('\n');
    }
    let out = run_json(&sim, "run-1000", &lines, &["--workers", "8"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rows: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = &rows.last().unwrap()["summary"];
    assert_eq!(summary["inputs"], 1000);
    assert_eq!(summary["completed"], 1000);
    assert_eq!(summary["attempts"], 1000);
    assert_eq!(rows.len(), 1001);
    for i in 0..1000 {
        assert_eq!(
            sim.session_count(&format!("user-run-{i}"), "idvtmp_run"),
            2,
            "user-run-{i}: exactly one new session"
        );
    }
}

/// Retryable failures are retried with the preset's policy; terminal ones never are.
#[test]
fn run_retries_what_is_retryable_and_nothing_else() {
    let burst = Faults::first(1, "status=503".parse::<FaultSet>().unwrap());
    let sim = common::seeded_simulator(
        SimulatorConfig { faults: burst, ..common::simulator_config() },
        &[("user-a", "idvtmp_r")],
    );
    let lines = [
        json!({"client_user_id": "user-a", "template_id": "idvtmp_r", "strategy": "reset"}),
        json!({"client_user_id": "user-nobody", "template_id": "idvtmp_r", "strategy": "reset"}),
    ]
    .map(|v| v.to_string())
    .join("\n");
    let out = run_json(&sim, "run-retry", &lines, &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "one input has no earlier attempt: terminal. {stderr}");
    let rows: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows[0]["result"]["status"], "COMPLETED");
    assert_eq!(rows[0]["attempts"], 2, "the 503 was retried once");
    assert_eq!(rows[1]["result"]["status"], "FAILED_WITH_TERMINAL_ERROR");
    assert_eq!(rows[1]["attempts"], 1, "a terminal failure is never retried");
    assert_eq!(sim.session_count("user-a", "idvtmp_r"), 2);
}

/// Personal data in every followed input: neither panel nor progress line may show it.
const FOLLOW_CANARIES: [&str; 3] = ["canary.follow@example.com", "Canaryfollowgiven", "Canaryfollowfamily"];

/// `test-request --follow` against `sim` (its default credentials, given as a user sets them) for
/// a reset of `user`'s earlier attempt.
fn follow_command(sim: &simulator::Simulator, user: &str, extra: &[&str]) -> std::process::Command {
    let input = temp_file(
        &format!("{user}.json"),
        &json!({
            "client_user_id": user, "template_id": "idvtmp_follow", "strategy": "reset",
            "user": {"email_address": FOLLOW_CANARIES[0], "name": {"given_name": FOLLOW_CANARIES[1], "family_name": FOLLOW_CANARIES[2]}}
        })
        .to_string(),
    );
    let mut command = common::host_sim();
    command
        .args(["test-request", input.to_str().unwrap(), "--follow", "--base-url", &sim.url()])
        .args(extra)
        .env("PLAID_CLIENT_ID", simulator::DEFAULT_CLIENT_ID)
        .env("PLAID_SECRET", simulator::DEFAULT_SECRET);
    command
}

/// A simulator whose sessions complete by themselves a second after they open, as `outcome`
/// (`host-sim sandbox --auto-complete OUTCOME --auto-complete-after 1s`).
fn auto_completing(outcome: simulator::Outcome, user: &str) -> simulator::Simulator {
    let config = SimulatorConfig {
        auto_complete: Some(simulator::AutoComplete { outcome, after: std::time::Duration::from_secs(1) }),
        ..common::simulator_config()
    };
    common::seeded_simulator(config, &[(user, "idvtmp_follow")])
}

/// The session id `--follow` names on stderr (`following idv_…:`).
fn followed_id(stderr: &str) -> String {
    let rest = stderr.split("following ").nth(1).unwrap_or_else(|| panic!("no `following` line: {stderr}"));
    rest.split(':').next().unwrap().to_owned()
}

/// Issue 21: the retry's panel, a progress line while the session is `active`, then the get's
/// panel with the verdict. The first get comes at once (the session is still active then); the
/// verdict at the preset's next, 10 s later.
#[test]
fn follow_waits_for_the_success_verdict_and_prints_the_get_panel() {
    let sim = auto_completing(simulator::Outcome::Success, "user-follow-success");
    let out = follow_command(&sim, "user-follow-success", &[]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let id = followed_id(&stderr);
    assert!(stderr.contains("a get every 10 s until its verdict, for at most 1 h"), "{stderr}");
    assert!(stderr.contains(&format!("{id} is active, at step ")), "a progress line: {stderr}");
    assert!(stderr.contains(&format!("{id}: verdict success")), "{stderr}");
    let retry = stdout.find("Test request: POST /identity_verification/retry").expect("the retry's panel");
    let get = stdout.find("Test request: POST /identity_verification/get").expect("the get's panel");
    assert!(retry < get, "{stdout}");
    assert!(stdout[get..].contains("session      success (the verdict)"), "{stdout}");
    assert!(stdout[get..].contains("PLAID-SECRET: ***"), "{stdout}");
    assert_eq!(sim.ledger().get(&id).expect("the session").status, simulator::Status::Success);
    for canary in FOLLOW_CANARIES {
        assert!(!stdout.contains(canary) && !stderr.contains(canary), "{canary} leaked:\n{stdout}{stderr}");
    }
}

/// `--json`: the retry's task result, then the get's, one JSON document after the other.
#[test]
fn follow_json_prints_the_failed_verdict_as_the_get_task_result() {
    let sim = auto_completing(simulator::Outcome::Failed, "user-follow-failed");
    let out = follow_command(&sim, "user-follow-failed", &["--json"]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "a verdict, whichever it is, ends the follow: {stderr}");
    let documents: Vec<Value> =
        serde_json::Deserializer::from_str(&stdout).into_iter::<Value>().map(Result::unwrap).collect();
    assert_eq!(documents.len(), 2, "{stdout}");
    let (retry, get) = (&documents[0], &documents[1]);
    assert_eq!(retry["output"]["response"]["body"]["status"], "active");
    let id = retry["output"]["response"]["body"]["id"].as_str().unwrap();
    assert_eq!(get["status"], "COMPLETED");
    assert_eq!(get["output"]["session_status"], "failed");
    assert_eq!(get["output"]["final"], true);
    assert_eq!(get["output"]["response"]["body"]["id"], id);
    assert!(stderr.contains(&format!("{id}: verdict failed")), "{stderr}");
}

/// Ctrl-C stops the wait and says so; the session goes on: still `active` at the simulator,
/// nothing asked of it after the signal.
#[test]
fn ctrl_c_stops_waiting_and_leaves_the_session_active() {
    use std::{
        io::{BufRead, BufReader},
        process::Stdio,
        time::{Duration, Instant},
    };
    let sim =
        common::seeded_simulator(common::simulator_config(), &[("user-follow-sigint", "idvtmp_follow")]);
    let mut child = follow_command(&sim, "user-follow-sigint", &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // The first progress line: the follow is waiting for the next interval.
    while !seen.contains(" is active") {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("host-sim ended before following: {seen}");
        }
        seen.push_str(&line);
    }
    let id = followed_id(&seen);
    let requests = sim.request_count();
    // SAFETY: `kill` sends a signal to the child this test started, which has not been reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("host-sim still waits after Ctrl-C: {seen}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(status.code(), Some(1), "stopped before the verdict: incomplete. {seen}{rest}");
    assert!(rest.contains("stopped waiting (Ctrl-C)") && rest.contains("goes on at Plaid"), "{rest}");
    assert_eq!(sim.request_count(), requests, "nothing was asked of the session after Ctrl-C");
    let session = sim.ledger().get(&id).expect("the session");
    assert_eq!(session.status, simulator::Status::Active, "the session goes on");
    assert_eq!(sim.session_count("user-follow-sigint", "idvtmp_follow"), 2, "the retry's session, once");
}
