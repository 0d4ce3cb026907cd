//! Bugs the robustness suite found, each pinned through the real `.so` where it was found.

use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

fn ctx() -> Value {
    json!({"attempt": 1, "timeout_ms": 10_000})
}

/// tests/fuzz.rs: a `Retry-After` date in year 292278995 overflowed the millisecond arithmetic,
/// an internal panic in debug builds and a wrapped (zero) wait in release builds. A date past
/// the format's four-digit years is now no date at all: Plaid's rate-limit window applies.
#[test]
fn a_retry_after_date_beyond_year_9999_is_ignored_not_a_panic() {
    for date in ["Sun, 06 Jan 292278995 08:49:37 GMT", "Sun, 06 Jan 9223372036854775807 08:49:37 GMT"] {
        let server = Server::start(move |_| {
            Reply::with_headers(
                429,
                &[("Content-Type", "application/json"), ("Retry-After", date)],
                plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT").to_string().into_bytes(),
            )
        });
        let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
        assert_eq!(r["status"], "FAILED", "{r}");
        assert_eq!(r["retry_after_seconds"], 60.0, "{r}");
    }
}

/// validate refused an input over 1 MiB (`max_size`) while execute parsed it on its own and sent
/// it: the engine's validation and its task disagreed. Both now parse the same way.
#[test]
fn execute_refuses_what_validate_refuses_and_sends_nothing() {
    let server = Server::start(|_| Reply::json(200, &json!({"id": "idv_1", "request_id": "r"})));
    let text = canary_input().to_string();
    let padded = format!("{}{}}}", &text[..text.len() - 1], " ".repeat(1 << 20));
    let malformed = &text[..text.len() / 2];
    for (input, rule) in [(padded.as_str(), "max_size"), (malformed, "json_syntax")] {
        let report: Value = serde_json::from_str(&plugin().validate(input).unwrap()).unwrap();
        assert_eq!(report["errors"][0]["rule"], rule, "{report}");
        let result =
            plugin().execute(input, &settings(&server.url(), json!({})), &ctx().to_string()).unwrap();
        assert_no_canary(&result);
        let r: Value = serde_json::from_str(&result).unwrap();
        assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
        assert_eq!(r["output"]["validation"], report, "execute's report is validate's");
        assert!(r["reasonForIncompletion"].as_str().unwrap().contains("nothing was sent"), "{r}");
    }
    assert_eq!(server.requests().len(), 0, "nothing reached the server");
}

/// host-sim/tests/faults.rs (chaos): with `max_response_bytes` set low for the retry's answer,
/// `/list` pages of a user with a few attempts were over the same cap, so every unknown outcome
/// ended terminal ("reconciliation failed"). List pages are now read up to at least 1 MiB. At the
/// lowest cap (64 KiB since issue 13) that takes a user with many attempts.
#[test]
fn a_low_body_cap_does_not_make_reconciliation_fail() {
    use std::time::{Duration, SystemTime};
    const CAP: u64 = 65536;
    const OLD: usize = 400;
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let server = Server::start(move |request| {
        if request.path.ends_with("/retry") {
            return Reply::Close; // the attempt exists, its answer never came
        }
        let mut attempts: Vec<Value> = (0..OLD)
            .map(|i| {
                attempt(
                    &format!("idv_old{i}"),
                    (i > 0).then(|| format!("idv_old{}", i - 1)).as_deref(),
                    hour_ago,
                )
            })
            .collect();
        attempts.push(attempt("idv_ours", Some(&format!("idv_old{}", OLD - 1)), SystemTime::now()));
        let page = json!({"identity_verifications": attempts, "next_cursor": null, "request_id": "req-list"});
        assert!(page.to_string().len() > CAP as usize, "the page is over the retry's cap");
        Reply::json(200, &page)
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({"max_response_bytes": CAP})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["reconciled"], true, "{r}");
    assert_eq!(r["output"]["response"]["body"]["id"], "idv_ours", "{r}");
}
