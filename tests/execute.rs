//! execute through the real `.so`, against raw loopback servers: every class of answer Plaid (or
//! whatever stands in front of it) can give, the duplicate-safety paths, deadlines, concurrency,
//! and canary scans of every task result.

use std::{
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant, SystemTime},
};

use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::*;

const RETRY: &str = "/identity_verification/retry";
const LIST: &str = "/identity_verification/list";

fn ctx() -> Value {
    json!({"attempt": 1, "timeout_ms": 20_000})
}

/// A clock started once the plugin is loaded: a test process's first load builds it (`cargo
/// build`, seconds on a busy machine), which no timed call may count.
fn timer() -> Instant {
    // Loading the plugin and libphonenumber's metadata (the first phone number) happen once per
    // process: not a timed test's subject.
    plugin().validate(&canary_input().to_string()).unwrap();
    Instant::now()
}

fn success_body() -> Value {
    let mut a = attempt("idv_new", Some("idv_old"), SystemTime::now());
    a["request_id"] = json!("req-ok-1");
    a
}

#[test]
fn success_sends_what_plaids_clients_send_and_completes() {
    let server = Server::start(|_| {
        Reply::with_headers(
            200,
            &[("Content-Type", "application/json"), ("Plaid-Request-Id", "hdr-req-1")],
            success_body().to_string().into_bytes(),
        )
    });
    let r = execute(
        &canary_input(),
        &settings(&server.url(), json!({})),
        &json!({"attempt": 2, "timeout_ms": 10_000}),
    );
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["retryable"], false);
    assert_eq!(r["reasonForIncompletion"], Value::Null);
    assert_eq!(r["output"]["attempt"], 2);
    assert_eq!(r["output"]["request_id"], "req-ok-1");
    assert_eq!(r["output"]["response"]["statusCode"], 200);
    assert_eq!(r["output"]["response"]["headers"]["content-type"], "application/json");
    assert_eq!(r["output"]["response"]["headers"]["plaid-request-id"], "hdr-req-1");
    assert_eq!(r["output"]["response"]["body"]["id"], "idv_new");
    assert!(r["logs"].as_array().is_some_and(|l| !l.is_empty()));
    // The echo shows the shape of what was sent, with the secret and personal fields masked.
    let echo = &r["output"]["request"];
    assert_eq!(echo["headers"]["PLAID-SECRET"], "***");
    assert_eq!(echo["body"]["user"]["name"]["given_name"], "***");
    assert_eq!(echo["body"]["client_user_id"], "user-7c1d");

    let sent = &server.requests()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", RETRY));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert_eq!(sent.header("plaid-version"), Some("2020-09-14"));
    assert_eq!(sent.header("plaid-client-id"), Some("client-abc"));
    assert_eq!(sent.header("plaid-secret"), Some(CANARY_SECRET));
    assert_eq!(sent.header("user-agent"), Some(concat!("plaid-idv-retry/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(sent.json(), canary_input(), "the body is the input, credentials in headers only");
}

/// Issue 18 item 3: an optional key given as null is "not given", and Plaid's docs ask to omit
/// such keys entirely: none reaches the wire, at any depth, and the echo shows what was sent.
#[test]
fn null_members_are_left_out_of_the_request_body() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let input = json!({
        "client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset",
        "steps": null, "is_shareable": null,
        "user": {"email_address": "leslie@example.com", "phone_number": null, "name": null, "id_number": null,
                 "address": {"country": "US", "street": null, "street2": null, "city": null, "region": null,
                             "postal_code": null}}
    });
    let r = execute(&input, &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    let sent = server.requests()[0].json();
    let expected = json!({
        "client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset",
        "user": {"email_address": "leslie@example.com", "address": {"country": "US"}}
    });
    assert_eq!(sent, expected);
    let echo = &r["output"]["request"]["body"];
    assert_eq!(echo["user"]["address"], json!({"country": "US"}), "{echo}");
    assert!(echo.get("steps").is_none() && echo["user"].get("id_number").is_none(), "{echo}");

    // A null user: the key goes, the rest is sent as given.
    let input = json!({"client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "infer", "user": null});
    execute(&input, &settings(&server.url(), json!({})), &ctx());
    assert_eq!(
        server.requests()[1].json(),
        json!({"client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "infer"})
    );
}

/// Issue 18 item 2: normalize_input (off by default) rewrites what Plaid documents as formatting,
/// says which fields it rewrote (never the values), and sends the rewritten input; off, the
/// input is refused with a message naming the setting, and nothing is sent.
#[test]
fn normalize_input_rewrites_formatting_when_on_and_names_the_setting_when_off() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let input = json!({
        "client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset",
        "user": {"address": {"street": "1 Main St", "city": "Pawnee", "region": "us-in", "postal_code": "46001",
                             "country": "us"},
                 "id_number": {"type": "us_ssn", "value": "123-45-6789"}}
    });
    let off = execute(&input, &settings(&server.url(), json!({})), &ctx());
    assert_eq!(off["status"], "FAILED_WITH_TERMINAL_ERROR", "{off}");
    assert_eq!(server.count(RETRY), 0, "nothing sent while the input is refused");
    let messages = off["output"]["validation"]["errors"].to_string();
    assert!(messages.contains("normalize_input"), "{messages}");

    let on = execute(&input, &settings(&server.url(), json!({"normalize_input": true})), &ctx());
    assert_eq!(on["status"], "COMPLETED", "{on}");
    let sent = server.requests()[0].json();
    assert_eq!(
        sent["user"],
        json!({"address": {"street": "1 Main St", "city": "Pawnee", "region": "IN", "postal_code": "46001",
                           "country": "US"},
               "id_number": {"type": "us_ssn", "value": "123456789"}})
    );
    let warnings: Vec<(String, String)> = on["output"]["validation"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["path"].as_str().unwrap().to_owned(), w["rule"].as_str().unwrap().to_owned()))
        .collect();
    let normalized = |p: &str| (p.to_owned(), "normalized".to_owned());
    assert_eq!(
        warnings,
        [
            normalized("/user/address/country"),
            normalized("/user/address/region"),
            normalized("/user/id_number/value")
        ]
    );
    let text = on.to_string();
    assert!(!text.contains("123-45") && !text.contains("us-in"), "a warning or echo quoted a value: {text}");
    // The echo shows what was sent: the rewritten shape (the ID value itself masked).
    assert_eq!(on["output"]["request"]["body"]["user"]["address"]["country"], "US");
}

fn expect_error(status: u16, body: Value, extra_headers: &[(&str, &str)]) -> Value {
    let body_text = body.to_string();
    let mut headers = vec![("Content-Type", "application/json")];
    headers.extend_from_slice(extra_headers);
    let headers: Vec<(String, String)> =
        headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let server = Server::start(move |_| {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        Reply::with_headers(status, &h, body_text.clone().into_bytes())
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(server.count(RETRY), 1, "sent exactly once");
    r
}

#[test]
fn plaid_request_errors_are_terminal_and_carry_plaids_fields() {
    for (status, t, c) in [
        (400, "INVALID_REQUEST", "MISSING_FIELDS"),
        (400, "INVALID_INPUT", "INVALID_API_KEYS"),
        (403, "USER_ERROR", "INVALID_USER_IDENTITY_DATA"),
    ] {
        let r = expect_error(status, plaid_error(t, c), &[]);
        assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{t}: {r}");
        assert_eq!(r["retryable"], false);
        let out = &r["output"];
        assert_eq!((out["error_type"].as_str(), out["error_code"].as_str()), (Some(t), Some(c)));
        assert_eq!(out["error_message"], format!("{c} happened"));
        assert_eq!(out["display_message"], Value::Null);
        assert_eq!(out["request_id"], format!("req-{c}"));
        assert_eq!(out["response"]["statusCode"], status);
        assert!(r["reasonForIncompletion"].as_str().unwrap().contains(c));
    }
}

#[test]
fn not_found_is_terminal() {
    let r = expect_error(
        404,
        json!({"error_type": "INVALID_REQUEST", "error_code": "NOT_FOUND", "error_message": "m", "display_message": null, "request_id": "r404"}),
        &[],
    );
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR");
    let server = Server::start(|_| {
        Reply::with_headers(404, &[("Content-Type", "text/plain")], b"no such route".to_vec())
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("404"));
}

#[test]
fn rate_limit_is_retryable_and_honours_retry_after() {
    let r = expect_error(429, plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT"), &[("Retry-After", "17")]);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["retryable"], true);
    assert_eq!(r["retry_after_seconds"], 17.0);
    assert_eq!(r["output"]["error_code"], "RATE_LIMIT");
    // Without Retry-After: the next per-minute window.
    let r = expect_error(429, plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT"), &[]);
    assert_eq!(r["retry_after_seconds"], 60.0);
}

#[test]
fn planned_maintenance_is_retryable_after_the_servers_delay() {
    let r = expect_error(503, plaid_error("API_ERROR", "PLANNED_MAINTENANCE"), &[("Retry-After", "30")]);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["retry_after_seconds"], 30.0);
    assert_eq!(r["output"]["error_code"], "PLANNED_MAINTENANCE");
}

/// A server that answers the retry with `retry_reply` and lists `ledger` (with a Date header).
fn plaid_like(
    ledger: Arc<Mutex<Vec<Value>>>,
    retry_reply: impl Fn(&Arc<Mutex<Vec<Value>>>) -> Reply + Send + Sync + 'static,
) -> Server {
    Server::start(move |req| match req.path.as_str() {
        RETRY => retry_reply(&ledger),
        LIST => {
            let items = ledger.lock().unwrap().clone();
            Reply::json(
                200,
                &json!({"identity_verifications": items, "next_cursor": null, "request_id": "req-list-1"}),
            )
        }
        _ => Reply::json(404, &plaid_error("INVALID_REQUEST", "NOT_FOUND")),
    })
}

fn old_ledger() -> Arc<Mutex<Vec<Value>>> {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    Arc::new(Mutex::new(vec![
        attempt("idv_first", None, hour_ago),
        attempt("idv_old", Some("idv_first"), hour_ago + Duration::from_secs(60)),
    ]))
}

/// Plaid records the attempt, then the connection drops before any answer.
fn record_then(reply: fn() -> Reply) -> impl Fn(&Arc<Mutex<Vec<Value>>>) -> Reply + Send + Sync {
    move |ledger| {
        ledger.lock().unwrap().push(attempt("idv_created", Some("idv_old"), SystemTime::now()));
        reply()
    }
}

#[test]
fn dropped_connection_after_processing_is_reconciled_to_exactly_one_session() {
    let ledger = old_ledger();
    let server = plaid_like(ledger.clone(), record_then(|| Reply::Close));
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["reconciled"], true);
    assert_eq!(r["output"]["response"]["body"]["id"], "idv_created");
    assert_eq!(r["output"]["response"]["body"]["request_id"], "req-list-1");
    assert_eq!(r["output"]["request_id"], "req-list-1");
    assert_eq!(r["output"]["response"]["headers"]["plaid-request-id"], Value::Null);
    assert_eq!(server.count(RETRY), 1, "never re-sent");
    assert_eq!(ledger.lock().unwrap().len(), 3, "exactly one new session");
    let list = server.requests().into_iter().find(|r| r.path == LIST).unwrap();
    assert_eq!(list.json(), json!({"client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np"}));
    assert_eq!(list.header("plaid-secret"), Some(CANARY_SECRET));
}

#[test]
fn internal_server_error_that_created_nothing_is_retryable_after_reconciliation() {
    let ledger = old_ledger();
    let server =
        plaid_like(ledger.clone(), |_| Reply::json(500, &plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR")));
    let started = timer();
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["retryable"], true);
    assert_eq!(r["output"]["reconciled"], false);
    assert_eq!(r["output"]["error_code"], "INTERNAL_SERVER_ERROR");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("no new attempt"));
    assert!(server.count(LIST) >= 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn internal_server_error_that_did_create_the_session_completes() {
    let ledger = old_ledger();
    let server = plaid_like(
        ledger.clone(),
        record_then(|| Reply::json(500, &plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR"))),
    );
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["reconciled"], true);
    assert_eq!(r["output"]["response"]["statusCode"], 500);
    assert_eq!(r["output"]["request_id"], "req-INTERNAL_SERVER_ERROR");
    assert_eq!(r["output"].get("error_code"), None, "a completion carries no error fields");
    assert_eq!(ledger.lock().unwrap().len(), 3);
}

#[test]
fn failed_reconciliation_is_terminal_outcome_unknown() {
    let server = Server::start(|req| match req.path.as_str() {
        RETRY => Reply::Close,
        _ => Reply::json(500, &plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR")),
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert_eq!(r["output"]["outcome_unknown"], true);
    let reason = r["reasonForIncompletion"].as_str().unwrap();
    assert!(reason.contains("outcome unknown") && reason.contains("/list"), "{reason}");
}

#[test]
fn two_new_attempts_are_ambiguous_not_guessed() {
    let ledger = old_ledger();
    let server = plaid_like(ledger.clone(), |ledger| {
        let mut l = ledger.lock().unwrap();
        l.push(attempt("idv_someone_else", Some("idv_old"), SystemTime::now()));
        l.push(attempt("idv_created", Some("idv_someone_else"), SystemTime::now()));
        Reply::Close
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("cannot tell"));
}

/// The same user retried a second ago by this engine: that attempt is as new as ours on Plaid's
/// one-second clock. Without the engine's word the outcome is ambiguous; with the context's
/// `latest_attempt_id` naming it, the one attempt left is ours.
#[test]
fn the_engines_latest_attempt_tells_a_retry_seconds_ago_from_ours() {
    let ledger = || {
        let l = old_ledger();
        l.lock().unwrap().push(attempt("idv_a_second_ago", Some("idv_old"), SystemTime::now()));
        l
    };
    let created = |ledger: &Arc<Mutex<Vec<Value>>>| {
        ledger.lock().unwrap().push(attempt("idv_created", Some("idv_a_second_ago"), SystemTime::now()));
        Reply::Close
    };
    let server = plaid_like(ledger(), created);
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("cannot tell"), "{r}");
    assert_eq!(r["output"]["latest_attempt_id"], "idv_created", "the newest listed: {r}");

    let server = plaid_like(ledger(), created);
    let context = json!({"attempt": 1, "timeout_ms": 20_000, "latest_attempt_id": "idv_a_second_ago"});
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &context);
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["reconciled"], true);
    assert_eq!(r["output"]["response"]["body"]["id"], "idv_created");
    assert_eq!(r["output"]["latest_attempt_id"], "idv_created");
    assert_eq!(server.count(RETRY), 1, "never re-sent");

    // Someone else's retry in between is still not guessed, whatever the engine knew.
    let server = plaid_like(ledger(), |ledger| {
        let mut l = ledger.lock().unwrap();
        l.push(attempt("idv_someone_else", Some("idv_a_second_ago"), SystemTime::now()));
        l.push(attempt("idv_created", Some("idv_someone_else"), SystemTime::now()));
        Reply::Close
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");

    // An id the list does not show changes nothing.
    let server = plaid_like(ledger(), created);
    let context = json!({"attempt": 1, "timeout_ms": 20_000, "latest_attempt_id": "idv_unknown"});
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["logs"].to_string().contains("not listed"), "{r}");
}

/// A completion reports the attempt it created; a call that created nothing passes on what the
/// engine knew, so a workflow can wire each task's output into the next one's context.
#[test]
fn every_result_reports_the_newest_attempt_it_knows() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["output"]["latest_attempt_id"], "idv_new", "{r}");
    let server = Server::start(|_| Reply::json(429, &plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT")));
    let context = json!({"attempt": 2, "timeout_ms": 20_000, "latest_attempt_id": "idv_old"});
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &context);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["output"]["latest_attempt_id"], "idv_old", "{r}");
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["output"].get("latest_attempt_id"), None, "{r}");
}

#[test]
fn without_duplicate_safety_an_unknown_outcome_is_a_plain_retryable_failure() {
    let ledger = old_ledger();
    let server = plaid_like(ledger, record_then(|| Reply::Close));
    let r = execute(
        &canary_input(),
        &settings(&server.url(), json!({"reconcile_unknown_outcomes": false})),
        &ctx(),
    );
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["output"]["outcome_unknown"], true);
    assert_eq!(server.count(LIST), 0);
}

#[test]
fn html_502_from_a_proxy_is_explained() {
    let ledger = old_ledger();
    let server = plaid_like(ledger, |_| {
        Reply::with_headers(
            502,
            &[("Content-Type", "text/html")],
            b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec(),
        )
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    let reason = r["reasonForIncompletion"].as_str().unwrap();
    assert!(
        reason.contains("502") && reason.contains("not JSON") && reason.contains("text/html"),
        "{reason}"
    );
    assert_eq!(r["output"]["response"]["body"], "<html><body><h1>502 Bad Gateway</h1></body></html>");
    assert_eq!(r["output"]["response"]["headers"]["content-type"], "text/html");
}

#[test]
fn non_utf8_body_is_explained() {
    let server = Server::start(|_| {
        Reply::with_headers(
            400,
            &[("Content-Type", "application/octet-stream")],
            vec![0xff, 0xfe, 0x00, 0x80],
        )
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("not UTF-8"));
}

#[test]
fn truncated_body_after_acceptance_is_reconciled_and_never_resent() {
    let ledger = old_ledger();
    let server = plaid_like(ledger.clone(), |ledger| {
        ledger.lock().unwrap().push(attempt("idv_created", Some("idv_old"), SystemTime::now()));
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 900\r\n\r\n{\"id\": \"idv_cre".to_vec())
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["reconciled"], true);
    assert_eq!(server.count(RETRY), 1);

    // Without reconciliation: Plaid said 200, so a session exists; re-sending would duplicate it.
    let server = Server::start(|_| {
        Reply::with_headers(200, &[("Content-Type", "application/json")], b"{\"id\": \"idv_cre".to_vec())
    });
    let r = execute(
        &canary_input(),
        &settings(&server.url(), json!({"reconcile_unknown_outcomes": false})),
        &ctx(),
    );
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("truncated JSON"));
}

#[test]
fn oversized_body_is_a_clear_failure() {
    let big = format!("{{\"id\": \"idv_x\", \"pad\": \"{}\"}}", "x".repeat(200_000));
    let server = Server::start(move |_| {
        Reply::with_headers(200, &[("Content-Type", "application/json")], big.clone().into_bytes())
    });
    let settings =
        settings(&server.url(), json!({"max_response_bytes": 65536, "reconcile_unknown_outcomes": false}));
    let r = execute(&canary_input(), &settings, &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("max_response_bytes (65536 bytes)"));
    assert_eq!(r["output"]["response"]["body"], Value::Null);
}

#[test]
fn oversized_chunked_body_stops_at_the_cap() {
    let mut raw =
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for _ in 0..40 {
        raw.extend_from_slice(format!("{:x}\r\n{}\r\n", 4096, "y".repeat(4096)).as_bytes());
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    let server = Server::start(move |_| Reply::Raw(raw.clone()));
    let settings =
        settings(&server.url(), json!({"max_response_bytes": 65536, "reconcile_unknown_outcomes": false}));
    let r = execute(&canary_input(), &settings, &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("larger than max_response_bytes"));
}

#[test]
fn a_server_that_never_answers_costs_at_most_the_read_timeout() {
    let server = Server::start(|_| Reply::Hang);
    let settings =
        settings(&server.url(), json!({"read_timeout_seconds": 1, "reconcile_unknown_outcomes": false}));
    let started = timer();
    let r = execute(&canary_input(), &settings, &ctx());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["output"]["outcome_unknown"], true);

    // With duplicate safety on, the deadline bounds the reconciliation too.
    let settings = support::settings(&server.url(), json!({"read_timeout_seconds": 1}));
    let started = timer();
    let r = execute(&canary_input(), &settings, &json!({"attempt": 1, "timeout_ms": 1500}));
    let took = started.elapsed();
    assert!(took < Duration::from_millis(2500), "took {took:?}");
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
}

#[test]
fn refused_connection_is_retryable_and_nothing_was_sent() {
    let started = timer();
    let r = execute(&canary_input(), &settings(&refused_url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["retryable"], true);
    assert_eq!(r["output"]["sent"], false);
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("never reached Plaid"));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn a_passed_deadline_sends_nothing() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let past = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64 - 1000;
    let r = execute(
        &canary_input(),
        &settings(&server.url(), json!({})),
        &json!({"attempt": 3, "deadline_ms": past}),
    );
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn invalid_input_is_terminal_with_the_report_and_nothing_is_sent() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let mut input = canary_input();
    input.as_object_mut().unwrap().remove("strategy");
    let r = execute(&input, &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert_eq!(r["output"]["validation"]["valid"], false);
    assert_eq!(r["output"]["validation"]["errors"][0]["path"], "/strategy");
    let text = plugin().execute("{not json", &settings(&server.url(), json!({})), "{}").unwrap();
    assert!(text.contains("FAILED_WITH_TERMINAL_ERROR"));
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn missing_credentials_are_terminal_before_sending() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let r = execute(&canary_input(), &json!({"base_url": server.url()}).to_string(), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn credentials_in_the_input_stay_in_the_body_and_out_of_every_echo() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let mut input = canary_input();
    input["client_id"] = json!("client-in-body");
    input["secret"] = json!(CANARY_SECRET);
    let r = execute(&input, &json!({"base_url": server.url()}).to_string(), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    let sent = &server.requests()[0];
    assert_eq!(sent.header("plaid-secret"), None);
    assert_eq!(sent.json()["secret"], CANARY_SECRET);
}

#[test]
fn bad_settings_and_context_are_plugin_errors_that_name_the_field() {
    let p = plugin();
    let input = canary_input().to_string();
    let e = p.execute(&input, &json!({"secert": CANARY_SECRET}).to_string(), "{}").unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_settings");
    assert!(e.message.contains("\"secert\"") && !e.message.contains(CANARY_SECRET), "{e}");
    let e = p
        .execute(&input, &json!({"base_url": "http://10.1.2.3", "secret": CANARY_SECRET}).to_string(), "{}")
        .unwrap_err();
    assert!(e.message.contains("loopback"), "{e}");
    let e = p.execute(&input, &json!({"base_url": "https://api.example.com"}).to_string(), "{}").unwrap_err();
    assert!(e.message.contains("allowed_hosts"), "{e}");
    let e = p.execute(&input, "{}", r#"{"attempt": 0}"#).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_context");
    for bad in [json!(7), json!(""), json!(CANARY_SECRET.replace('-', " ")), json!("x".repeat(129))] {
        let context = json!({"latest_attempt_id": bad}).to_string();
        let e = p.execute(&input, "{}", &context).unwrap_err();
        assert_eq!(e.code.as_str(), "invalid_context", "{bad}");
        assert!(e.message.contains("latest_attempt_id") && !e.message.contains("canary"), "{e}");
    }
}

#[test]
fn thirty_two_threads_at_once_share_the_agent() {
    let server = Arc::new(Server::start(|_| Reply::json(200, &success_body())));
    let settings = Arc::new(settings(&server.url(), json!({})));
    let started = timer();
    let threads: Vec<_> = (0..32)
        .map(|i| {
            let settings = settings.clone();
            thread::spawn(move || {
                let mut input = canary_input();
                input["client_user_id"] = json!(format!("user-{i}"));
                for _ in 0..8 {
                    let r = execute(&input, &settings, &ctx());
                    assert_eq!(r["status"], "COMPLETED", "{r}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let took = started.elapsed();
    let requests = server.requests();
    assert_eq!(requests.len(), 32 * 8);
    for i in 0..32 {
        let id = format!("user-{i}");
        assert_eq!(requests.iter().filter(|r| r.json()["client_user_id"] == id.as_str()).count(), 8);
    }
    eprintln!("32 threads x 8 executes: {took:?}");
}

/// Latency of one execute against a loopback server (connection reused). Printed, with a loose
/// bound that only a pathological regression (a Nagle stall, a reconnect per call) would break.
#[test]
fn execute_latency_against_loopback() {
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let settings = settings(&server.url(), json!({}));
    let input = canary_input().to_string();
    let p = plugin();
    let mut samples = Vec::new();
    for _ in 0..300 {
        let started = Instant::now();
        let text = p.execute(&input, &settings, "{}").unwrap();
        samples.push(started.elapsed());
        assert!(text.contains("COMPLETED"));
    }
    samples.sort();
    let (p50, p99) = (samples[samples.len() / 2], samples[samples.len() * 99 / 100]);
    assert_eq!(server.connections(), 1, "one kept-alive connection for 300 sequential calls");
    eprintln!("execute latency over loopback, 300 calls: p50 {p50:?}, p99 {p99:?}");
    assert!(p50 < Duration::from_millis(30), "p50 {p50:?}");
}

/// Plaid's clock off from ours by `skew` (either way): the attempt it stamps and its `Date`
/// header agree with each other, not with us.
fn skewed_plaid(ledger: Arc<Mutex<Vec<Value>>>, ahead: bool, skew: Duration) -> Server {
    let plaid_now = move || if ahead { SystemTime::now() + skew } else { SystemTime::now() - skew };
    Server::start(move |req| match req.path.as_str() {
        RETRY => {
            ledger.lock().unwrap().push(attempt("idv_created", Some("idv_old"), plaid_now()));
            Reply::Close
        }
        _ => {
            let body = json!({"identity_verifications": *ledger.lock().unwrap(), "next_cursor": null, "request_id": "req-list-1"});
            Reply::Respond {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("Date".into(), http_date(plaid_now())),
                ],
                body: body.to_string().into_bytes(),
            }
        }
    })
}

#[test]
fn reconciliation_reads_created_at_on_plaids_clock() {
    for ahead in [true, false] {
        let skew = Duration::from_secs(1800);
        let plaid_then = |d: u64| {
            if ahead {
                SystemTime::now() + skew - Duration::from_secs(d)
            } else {
                SystemTime::now() - skew - Duration::from_secs(d)
            }
        };
        // The earlier attempts are minutes old on Plaid's clock: outside the window either way.
        let ledger = Arc::new(Mutex::new(vec![
            attempt("idv_first", None, plaid_then(600)),
            attempt("idv_old", Some("idv_first"), plaid_then(300)),
        ]));
        let server = skewed_plaid(ledger.clone(), ahead, skew);
        let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
        assert_eq!(r["status"], "COMPLETED", "ahead {ahead}: {r}");
        assert_eq!(r["output"]["response"]["body"]["id"], "idv_created");
        assert_eq!(ledger.lock().unwrap().len(), 3);
    }
}

#[test]
fn reconciliation_follows_the_list_cursor() {
    let ledger = old_ledger();
    let l = ledger.clone();
    let server = Server::start(move |req| match req.path.as_str() {
        RETRY => {
            l.lock().unwrap().push(attempt("idv_created", Some("idv_old"), SystemTime::now()));
            Reply::Close
        }
        _ => {
            let all = l.lock().unwrap().clone();
            let (page, next) = if req.json().get("cursor").is_none() {
                (&all[..2], json!("cursor-2"))
            } else {
                (&all[2..], Value::Null)
            };
            Reply::json(
                200,
                &json!({"identity_verifications": page, "next_cursor": next, "request_id": "req-list"}),
            )
        }
    });
    let r = execute(&canary_input(), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    let lists: Vec<Value> = server.requests().iter().filter(|r| r.path == LIST).map(|r| r.json()).collect();
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[1]["cursor"], "cursor-2");
}

#[test]
fn a_body_that_stalls_mid_way_costs_at_most_the_read_timeout() {
    let server = Server::start(|_| {
        Reply::Stall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":"
                .to_vec(),
        )
    });
    let settings =
        settings(&server.url(), json!({"read_timeout_seconds": 1, "reconcile_unknown_outcomes": false}));
    let started = timer();
    let r = execute(&canary_input(), &settings, &ctx());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // Plaid said 200: the session exists, so this is terminal, never an invitation to re-send.
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("cut off after 6 bytes"), "{r}");
}

#[test]
fn a_failed_tls_handshake_is_retryable_and_nothing_was_sent() {
    // A plain-HTTP server behind an https:// URL: the handshake fails before any request byte.
    let server = Server::start(|_| Reply::json(200, &success_body()));
    let url = format!("https://{}", server.addr);
    let r = execute(&canary_input(), &settings(&url, json!({})), &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["output"]["sent"], false);
    assert!(server.requests().is_empty());
}
