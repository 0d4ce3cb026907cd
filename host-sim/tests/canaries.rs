//! Leak canaries through host-sim, as a person or an engine sees the plugin: every scenario runs
//! with a canary secret and canary personal data, and every byte host-sim and the simulator
//! print (stdout and stderr of each process) is scanned for them.
//!
//! The one place personal values may appear is `output.response.body` of a `--json` task result:
//! Plaid's answer repeats the user's data and the engine stores it as sent. The panel masks even
//! that, so panels are scanned whole. The secret may appear nowhere.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use host_sim::ChildSimulator;
use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

static SCANS: AtomicUsize = AtomicUsize::new(0);

fn run(command: &mut Command, stdin: &str) -> Output {
    output_with_stdin(command, stdin.as_bytes())
}

/// Scans a text that must carry no canary at all.
fn scan(what: &str, text: &str) {
    assert!(!text.contains(CANARY_SECRET), "{what}: the secret leaked: {text}");
    for c in CANARY_PERSONAL {
        assert!(!text.contains(c), "{what}: personal value {c} leaked: {text}");
    }
    SCANS.fetch_add(1, Ordering::Relaxed);
}

/// Scans both streams of a host-sim run. In `--json` output (one task result, or one JSON line
/// per task from `run`) personal values may appear only in `output.response.body`, Plaid's own
/// answer.
fn scan_output(what: &str, out: &Output, task_json: bool) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    scan(&format!("{what} (stderr)"), &String::from_utf8_lossy(&out.stderr));
    if !task_json {
        return scan(&format!("{what} (stdout)"), &stdout);
    }
    assert!(!stdout.contains(CANARY_SECRET), "{what}: the secret leaked: {stdout}");
    let documents: Vec<Value> = match serde_json::from_str(&stdout) {
        Ok(one) => vec![one],
        Err(_) => stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}: {l}")))
            .collect(),
    };
    for mut document in documents {
        for at in ["/result/output/response", "/output/response"] {
            if let Some(response) = document.pointer_mut(at).and_then(Value::as_object_mut) {
                response.remove("body");
            }
        }
        scan(&format!("{what} (stdout)"), &document.to_string());
    }
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("plaid-idv-retry-canaries-{name}-{}", std::process::id()))
}

/// Inputs whose canaries sit where the validator refuses them: each message must explain the
/// field without quoting the value.
fn invalid_canary_inputs() -> Vec<String> {
    let mut inputs = Vec::new();
    let mut swap = |path: &[&str], value: Value| {
        let mut input = canary_input();
        let mut at = &mut input;
        for key in path {
            at = &mut at[*key];
        }
        *at = value;
        inputs.push(input.to_string());
    };
    swap(&["user", "phone_number"], json!(CANARY_PERSONAL[0]));
    swap(&["user", "email_address"], json!(format!("{} @", CANARY_PERSONAL[3])));
    swap(&["user", "date_of_birth"], json!(CANARY_PERSONAL[5]));
    swap(&["user", "address", "postal_code"], json!(CANARY_PERSONAL[6]));
    swap(&["user", "id_number", "value"], json!(CANARY_SECRET));
    swap(&["user", "address", "country"], json!(CANARY_PERSONAL[4]));
    swap(&["strategy"], json!(CANARY_PERSONAL[2]));
    swap(&["user", "id_number", "type"], json!(CANARY_PERSONAL[7]));
    swap(&["user", "name"], json!(CANARY_PERSONAL[3]));
    swap(&["user", "nickname"], json!(CANARY_PERSONAL[4]));
    let text = canary_input().to_string();
    // Cut inside a canary: the syntax error must not quote the text around it.
    let cut = text.find(CANARY_PERSONAL[5]).unwrap() + 6;
    inputs.push(text[..cut].to_owned());
    inputs.push(format!("{{\"secret\": \"{CANARY_SECRET}\", {}", &text[1..text.len() - 1]));
    inputs
}

#[test]
fn validate_and_preset_print_no_canary() {
    let dir = scratch("validate");
    let file = write_temp(&dir, "input.json", &canary_input().to_string());
    let out = run(host_sim().args(["validate"]).arg(&file), "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    scan_output("validate FILE", &out, false);
    for (i, input) in invalid_canary_inputs().iter().enumerate() {
        let out = run(host_sim().args(["validate", "-"]), input);
        assert_eq!(out.status.code(), Some(1), "invalid input {i}: {}", String::from_utf8_lossy(&out.stdout));
        scan_output(&format!("validate invalid input {i}"), &out, false);
    }
    for env in ["sandbox", "production"] {
        for dialect in ["seed", "conductor"] {
            let mut command = host_sim();
            command.args(["preset", "--env", env, "--dialect", dialect]).env("PLAID_SECRET", CANARY_SECRET);
            let out = run(&mut command, "");
            assert!(out.status.success());
            scan_output(&format!("preset {env} {dialect}"), &out, false);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("canaries: validate and preset: {} scans so far", SCANS.load(Ordering::Relaxed));
}

/// `host-sim test-request` and `run` against the embedded simulator, clean and with faults that
/// take the plugin down every path: reconciliation, a 503, a proxy's HTML, a truncated body.
#[test]
fn test_request_and_run_print_no_canary() {
    let dir = scratch("test-request");
    let input = write_temp(&dir, "input.json", &canary_input().to_string());
    let faults: [&[&str]; 6] = [
        &[],
        &["--fault", "drop_after_record", "--fault-first", "1"],
        &["--fault", "status=503", "--fault-first", "1"],
        &["--fault", "html502", "--fault-first", "1"],
        &["--fault", "truncate", "--fault-first", "1"],
        &["--fault", "hang=1s", "--fault-first", "1"],
    ];
    for fault in faults {
        for json in [false, true] {
            let mut command = host_sim();
            command.arg("test-request").arg(&input).args(fault).arg("--rate-limit-per-minute").arg("0");
            if json {
                command.arg("--json");
            }
            let out = run(&mut command, "");
            assert!(
                matches!(out.status.code(), Some(0 | 1 | 3)),
                "{fault:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            scan_output(&format!("test-request {fault:?} json={json}"), &out, json);
        }
    }
    for (i, bad) in invalid_canary_inputs().iter().enumerate() {
        let out = run(host_sim().args(["test-request", "-"]), bad);
        scan_output(&format!("test-request invalid input {i}"), &out, false);
    }
    let lines: Vec<String> = (0..3)
        .map(|i| {
            let mut input = canary_input();
            input["client_user_id"] = json!(format!("user-run-{i}"));
            input.to_string()
        })
        .chain(
            invalid_canary_inputs()
                .into_iter()
                .take(3)
                .map(|t| serde_json::from_str::<Value>(&t).unwrap().to_string()),
        )
        .collect();
    let inputs = write_temp(&dir, "inputs.jsonl", &(lines.join("\n") + "\n"));
    for json in [false, true] {
        let mut command = host_sim();
        command.arg("run").arg("--inputs").arg(&inputs).args([
            "--workers",
            "2",
            "--rate-limit-per-minute",
            "0",
        ]);
        if json {
            command.arg("--json");
        }
        let out = run(&mut command, "");
        scan_output(&format!("run json={json}"), &out, json);
    }
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("canaries: test-request and run: {} scans so far", SCANS.load(Ordering::Relaxed));
}

/// `host-sim sandbox` started with the canary secret, driven through `test-request` with that
/// secret (in a settings file and in the environment), right and wrong; then the simulator's own
/// output is scanned too.
#[test]
fn the_simulator_and_test_request_with_the_canary_secret_print_no_canary() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    command
        .args(["sandbox", "--addr", "127.0.0.1:0", "--client-id", "client-abc", "--secret", CANARY_SECRET])
        .args(["--rate-limit-per-minute", "0"])
        .stderr(Stdio::piped());
    let sandbox = ChildSimulator::spawn(&mut command).unwrap_or_else(|e| panic!("{e}"));
    let url = sandbox.url.clone();
    // Something to retry: the user's first attempt, created as any Plaid client would.
    let created = http_agent(Duration::from_secs(10))
        .post(format!("{url}/identity_verification/create"))
        .header("PLAID-CLIENT-ID", "client-abc")
        .header("PLAID-SECRET", CANARY_SECRET)
        .header("Content-Type", "application/json")
        .send(
            json!({"client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "is_shareable": false})
                .to_string(),
        )
        .unwrap();
    assert_eq!(created.status(), 200);

    let dir = scratch("sandbox");
    let input = write_temp(&dir, "input.json", &canary_input().to_string());
    for (name, secret) in
        [("right secret", CANARY_SECRET.to_owned()), ("wrong secret", format!("{CANARY_SECRET}-x"))]
    {
        let settings =
            write_temp(&dir, "settings.json", &settings(&url, json!({})).replace(CANARY_SECRET, &secret));
        for json in [false, true] {
            let mut command = host_sim();
            command.arg("test-request").arg(&input).arg("--settings").arg(&settings);
            if json {
                command.arg("--json");
            }
            let out = run(&mut command, "");
            let expected = if name == "right secret" { 0 } else { 3 };
            assert_eq!(out.status.code(), Some(expected), "{name}: {}", String::from_utf8_lossy(&out.stdout));
            scan_output(&format!("test-request sandbox {name} json={json}"), &out, json);
        }
        // The same secret from the environment, the base URL from the flag.
        let mut command = host_sim();
        command.arg("test-request").arg(&input).args(["--base-url", &url]);
        command.env("PLAID_CLIENT_ID", "client-abc").env("PLAID_SECRET", &secret);
        let out = run(&mut command, "");
        scan_output(&format!("test-request sandbox {name} from the environment"), &out, false);
    }
    let out = sandbox.stop().unwrap();
    scan_output("host-sim sandbox", &out, false);
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("canaries: the simulator: {} scans so far", SCANS.load(Ordering::Relaxed));
}

/// Debug builds: a panic inside the plugin (the test probe) comes out as one structured line,
/// its message (which carries a canary) withheld, whatever the input held.
#[test]
#[cfg(debug_assertions)]
fn a_panic_inside_the_plugin_prints_no_canary() {
    let input = canary_input().to_string();
    for (function, args) in [("validate", &["validate", "-"][..]), ("execute", &["test-request", "-"])] {
        let mut command = host_sim();
        command.args(args).env("PLAID_IDV_RETRY_TEST_PANIC", function);
        let out = run(&mut command, &input);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{function}: {stderr}");
        assert!(stderr.contains("internal_panic") && !stderr.contains("canary-secret-123"), "{stderr}");
        scan_output(&format!("panic in {function}"), &out, false);
    }
}
