//! Memory: a short scenario through the real `.so` (validate, preset, execute against a loopback
//! server: a completion, a Plaid error, a refused connection, bad settings) that CI runs as a
//! plain test, and the same scenario under valgrind, which must find no definite leak:
//!
//! ```text
//! cargo test -p plaid-idv-retry --test memory -- --ignored --nocapture
//! ```
//!
//! abi_stable leaks on purpose what must live as long as the process: the root module (still
//! reachable, like the shared agent and the compiled schema) and, per load, the library handle,
//! whose path copy valgrind calls definitely lost; `tests/valgrind.supp` names that one block.

use std::{process::Command, time::SystemTime};

use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

#[test]
fn scenario() {
    let plugin = plugin();
    let ok = Server::start(|request| {
        if request.path.ends_with("/retry") {
            let mut body = attempt("idv_new", Some("idv_old"), SystemTime::now());
            body["request_id"] = json!("req-mem");
            Reply::json(200, &body)
        } else {
            Reply::json(400, &plaid_error("INVALID_REQUEST", "INVALID_FIELD"))
        }
    });
    let input = canary_input().to_string();
    let report: Value = serde_json::from_str(&plugin.validate(&input).unwrap()).unwrap();
    assert_eq!(report["valid"], true, "{report}");
    let report: Value = serde_json::from_str(&plugin.validate("{\"strategy\": 7}").unwrap()).unwrap();
    assert_eq!(report["valid"], false);
    assert!(plugin.settings_preset(r#"{"dialect": "conductor"}"#).is_ok());
    assert!(plugin.settings_preset(r#"{"dialect": 1}"#).is_err());
    let context = json!({"attempt": 1, "timeout_ms": 20_000});
    for _ in 0..3 {
        let r = execute(&canary_input(), &settings(&ok.url(), json!({})), &context);
        assert_eq!(r["status"], "COMPLETED", "{r}");
    }
    let error = Server::start(|_| Reply::json(400, &plaid_error("INVALID_INPUT", "INVALID_API_KEYS")));
    let r = execute(&canary_input(), &settings(&error.url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    let r = execute(&canary_input(), &settings(&refused_url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert!(plugin.execute(&input, "{\"secret\": 1}", "{}").is_err());
}

#[test]
#[ignore = "runs the scenario under valgrind, a minute or more: run by hand (README)"]
fn no_definite_leaks_under_valgrind() {
    let out = Command::new("valgrind")
        .args(["--leak-check=full", "--errors-for-leak-kinds=definite", "--error-exitcode=99"])
        .arg(format!("--suppressions={}/tests/valgrind.supp", env!("CARGO_MANIFEST_DIR")))
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "scenario", "--test-threads=1"])
        .output()
        .expect("valgrind is installed (apt-get install valgrind)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            [
                "definitely lost",
                "indirectly lost",
                "possibly lost",
                "still reachable",
                "ERROR SUMMARY",
                "All heap blocks",
            ]
            .iter()
            .any(|k| l.contains(k))
        })
        .collect();
    eprintln!("valgrind:\n{}", summary.join("\n"));
    assert!(out.status.success(), "valgrind found errors or the scenario failed:\n{stderr}");
    assert!(
        stderr.contains("definitely lost: 0 bytes in 0 blocks")
            || stderr.contains("All heap blocks were freed"),
        "{stderr}"
    );
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
}
