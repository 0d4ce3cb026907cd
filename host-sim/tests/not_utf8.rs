//! Issue 13: bytes that are not UTF-8 are malformed JSON, not an unreadable file. `validate`
//! answers the `json_syntax` report with exit 1, `test-request` and `run` treat such an input (or
//! line) as an invalid input, terminal with nothing sent, and a settings file with such bytes is
//! refused as the malformed JSON it is.

use std::{path::PathBuf, process::Output, time::SystemTime};

use plaid_idv_test_support::*;
use serde_json::{json, Value};

/// A task input whose template_id holds a Latin-1 é (0xE9): the second line, column 25.
const LATIN1_INPUT: &[u8] =
    b"{\"client_user_id\": \"user-7c1d\",\n \"template_id\": \"idvtmp_\xe9\", \"strategy\": \"reset\"}";
const WHERE: &str = "The input is not valid JSON: invalid UTF-8 at line 2 column 25.";

fn host_sim(args: &[&str], stdin: &[u8]) -> Output {
    output_with_stdin(plaid_idv_test_support::host_sim().args(args), stdin)
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("host-sim-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A Plaid stand-in that counts what reaches it and answers every retry with a new attempt.
fn plaid() -> Server {
    Server::start(|_| {
        let mut body = attempt("idv_new", Some("idv_old"), SystemTime::now());
        body["request_id"] = json!("req-1");
        Reply::json(200, &body)
    })
}

fn settings_file(server: &Server, name: &str) -> PathBuf {
    let settings = json!({"base_url": server.url(), "client_id": "client-abc", "secret": CANARY_SECRET});
    temp_file(name, settings.to_string().as_bytes())
}

#[test]
fn validate_reports_bytes_that_are_not_utf8_as_malformed_json() {
    let expected = json!({"valid": false, "errors": [{"path": "", "message": WHERE, "rule": "json_syntax"}], "warnings": []});
    let file = temp_file("latin1.json", LATIN1_INPUT);
    for args in [vec!["validate"], vec!["validate", "-"], vec!["validate", file.to_str().unwrap()]] {
        let out = host_sim(&args, LATIN1_INPUT);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_slice(&out.stdout).expect("the report on stdout");
        assert_eq!(report, expected, "{args:?}");
    }
    // The plugin's own report of malformed JSON has the same shape.
    let theirs: Value = serde_json::from_str(&plugin().validate("{\"strategy\": ").unwrap()).unwrap();
    assert_eq!(theirs["errors"][0]["rule"], "json_syntax");
    let keys = |v: &Value| v["errors"][0].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&theirs), keys(&expected));
}

#[test]
fn test_request_refuses_such_an_input_and_sends_nothing() {
    let server = plaid();
    let settings = settings_file(&server, "tr-settings.json");
    let input = temp_file("tr-latin1.json", LATIN1_INPUT);
    let args = ["test-request", input.to_str().unwrap(), "--settings", settings.to_str().unwrap()];
    let out = host_sim(&[&args[..], &["--json"]].concat(), b"");
    assert_eq!(out.status.code(), Some(3), "terminal: {}", String::from_utf8_lossy(&out.stderr));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "FAILED_WITH_TERMINAL_ERROR", "{result}");
    assert_eq!(result["retryable"], false);
    assert_eq!(result["output"]["validation"]["errors"][0]["message"], WHERE, "{result}");
    let reason = result["reasonForIncompletion"].as_str().unwrap();
    assert!(reason.contains("nothing was sent") && reason.contains("invalid UTF-8"), "{reason}");

    // The panel, from standard input.
    let out = host_sim(&["test-request", "-", "--settings", settings.to_str().unwrap()], LATIN1_INPUT);
    assert_eq!(out.status.code(), Some(3));
    let panel = String::from_utf8_lossy(&out.stdout);
    assert!(panel.contains("json_syntax") || panel.contains("invalid UTF-8"), "{panel}");
    assert_eq!(server.requests().len(), 0, "nothing reached Plaid");
}

#[test]
fn run_treats_such_a_line_as_one_invalid_input() {
    let server = plaid();
    let settings = settings_file(&server, "run-settings.json");
    let good = canary_input().to_string();
    let bad =
        b"{\"client_user_id\": \"user-7c1d\", \"template_id\": \"idvtmp_\xe9\", \"strategy\": \"reset\"}";
    let lines = [good.as_bytes(), b"\n", bad, b"\r\n\n", good.as_bytes(), b"\n"].concat();
    let inputs = temp_file("run.jsonl", &lines);
    let out = host_sim(
        &["run", "--inputs", inputs.to_str().unwrap(), "--settings", settings.to_str().unwrap(), "--json"],
        b"",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "one terminal input: {}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 4, "three results and the summary: {stdout}");
    assert_eq!(rows[0]["result"]["status"], "COMPLETED");
    assert_eq!(rows[1]["result"]["status"], "FAILED_WITH_TERMINAL_ERROR");
    assert_eq!(rows[1]["attempts"], 1, "never retried");
    assert_eq!(rows[1]["result"]["output"]["validation"]["errors"][0]["rule"], "json_syntax");
    assert_eq!(rows[2]["result"]["status"], "COMPLETED");
    assert_eq!(rows[3]["summary"]["terminal"], 1);
    assert_eq!(server.count("/identity_verification/retry"), 2, "the invalid line sent nothing");
}

#[test]
fn a_settings_file_that_is_not_utf8_is_malformed_json_and_never_quoted() {
    let bytes = [&b"{\"secret\": \""[..], CANARY_SECRET.as_bytes(), b"\xe9\"}"].concat();
    let settings = temp_file("latin1-settings.json", &bytes);
    let input = temp_file("settings-input.json", canary_input().to_string().as_bytes());
    let out =
        host_sim(&["test-request", input.to_str().unwrap(), "--settings", settings.to_str().unwrap()], b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not valid JSON") && !stderr.contains("cannot read"), "{stderr}");
    assert!(!stderr.contains(CANARY_SECRET), "{stderr}");
}
