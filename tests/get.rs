//! The get task through the real `.so`: a session read from the simulator as it moves to its
//! verdict, whether each status is final, and every class of answer from raw loopback servers,
//! classified as a read that changes nothing at Plaid (what might be transient is retryable).
//! Every task result is scanned for the canary secret.

use std::time::{Duration, SystemTime};

use plaid_idv_simulator::{Completion, Status, DEFAULT_CLIENT_ID, DEFAULT_SECRET};
use plaid_idv_test_support::*;
use serde_json::{json, Value};

const GET: &str = "/identity_verification/get";

fn ctx() -> Value {
    json!({"attempt": 1, "timeout_ms": 20_000})
}

/// The get task's execute through the loaded `.so`, its result checked for the canary secret.
fn get(input: &Value, settings: &str, context: &Value) -> Value {
    let task = plugin().task("plaid.identity_verification.get").expect("the plugin offers the get task");
    let text = task.execute(&input.to_string(), settings, &context.to_string()).expect("execute answered");
    assert_no_canary(&text);
    serde_json::from_str(&text).expect("task result is JSON")
}

fn id(session: &str) -> Value {
    json!({"identity_verification_id": session})
}

fn sim_settings(sim: &plaid_idv_simulator::Simulator) -> String {
    json!({"base_url": sim.url(), "client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_SECRET}).to_string()
}

/// A session's status read from the simulator, for every status Plaid documents: the four that
/// never change are final, `active` and `pending_review` are not.
#[test]
fn every_status_plaid_documents_is_read_with_its_verdict() {
    let sim = seeded_simulator(simulator_config(), &[]);
    let cases = [
        (Status::Active, "active", false),
        (Status::PendingReview, "pending_review", false),
        (Status::Success, "success", true),
        (Status::Failed, "failed", true),
        (Status::Expired, "expired", true),
        (Status::Canceled, "canceled", true),
    ];
    for (i, (status, word, is_final)) in cases.into_iter().enumerate() {
        let session = sim.seed_attempt(&format!("user-get-{i}"), "idvtmp_get", status, None);
        let r = get(&id(&session), &sim_settings(&sim), &ctx());
        assert_eq!(r["status"], "COMPLETED", "{word}: {r}");
        assert_eq!(
            (r["output"]["session_status"].as_str(), r["output"]["final"].as_bool()),
            (Some(word), Some(is_final))
        );
        assert_eq!(r["output"]["response"]["body"]["id"], session.as_str());
        assert_eq!(r["output"]["response"]["body"]["status"], word);
        assert!(r["output"]["request_id"].is_string(), "{r}");
        let verdict = if is_final { "final" } else { "not final" };
        assert!(
            r["logs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == &json!(format!("session status {word}: {verdict}"))),
            "{r}"
        );
    }
}

/// The follow-through as a host polls it: active, then completed through the simulator's control
/// route, then the verdict, each read once and nothing billed.
#[test]
fn a_session_is_followed_to_its_verdict() {
    let sim = seeded_simulator(simulator_config(), &[]);
    for (completion, verdict) in [(Completion::Success, "success"), (Completion::Failed, "failed")] {
        let user = format!("user-follow-{verdict}");
        let session = sim.seed_attempt(&user, "idvtmp_follow", Status::Active, None);
        let r = get(&id(&session), &sim_settings(&sim), &ctx());
        assert_eq!(
            (r["output"]["session_status"].as_str(), r["output"]["final"].as_bool()),
            (Some("active"), Some(false))
        );
        sim.complete(&session, &completion).expect("the session exists").expect("it completes");
        let r = get(&id(&session), &sim_settings(&sim), &json!({"attempt": 2}));
        assert_eq!(r["status"], "COMPLETED", "{r}");
        assert_eq!(
            (r["output"]["session_status"].as_str(), r["output"]["final"].as_bool()),
            (Some(verdict), Some(true))
        );
        assert_eq!(r["output"]["attempt"], 2);
        assert_eq!(sim.session_count(&user, "idvtmp_follow"), 1, "a get opens nothing");
    }
}

/// An id Plaid does not know: the simulator answers as Plaid documents a missing object (404
/// `INVALID_REQUEST`/`NOT_FOUND`); terminal, with Plaid's fields, sent once.
#[test]
fn an_unknown_session_is_terminal() {
    let sim = seeded_simulator(simulator_config(), &[]);
    let before = sim.request_count();
    let r = get(&id("idv_NoSuchSession1"), &sim_settings(&sim), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert_eq!(r["retryable"], false);
    assert_eq!(
        (r["output"]["error_type"].as_str(), r["output"]["error_code"].as_str()),
        (Some("INVALID_REQUEST"), Some("NOT_FOUND"))
    );
    assert_eq!(r["output"]["response"]["statusCode"], 404);
    assert!(r["output"].get("final").is_none() && r["output"].get("session_status").is_none(), "{r}");
    assert_eq!(sim.request_count() - before, 1);
    // The same from Plaid's other refusal of a bad id, a 400.
    let server = Server::start(|_| Reply::json(400, &plaid_error("INVALID_REQUEST", "INVALID_FIELD")));
    let r = get(&id("idv_x"), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert_eq!(server.count(GET), 1);
}

#[test]
fn it_sends_what_plaids_clients_send() {
    let server = Server::start(|_| {
        Reply::with_headers(
            200,
            &[("Content-Type", "application/json"), ("Plaid-Request-Id", "hdr-get-1")],
            session_body("active").to_string().into_bytes(),
        )
    });
    let r = get(&id("idv_52xR9LKo77r1Np"), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["request_id"], "req-get-1");
    let echo = &r["output"]["request"];
    assert_eq!(
        (echo["method"].as_str(), echo["headers"]["PLAID-SECRET"].as_str()),
        (Some("POST"), Some("***"))
    );
    assert_eq!(echo["body"], id("idv_52xR9LKo77r1Np"));
    let sent = &server.requests()[0];
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", GET));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("plaid-version"), Some("2020-09-14"));
    assert_eq!(sent.header("plaid-client-id"), Some("client-abc"));
    assert_eq!(sent.header("plaid-secret"), Some(CANARY_SECRET));
    assert_eq!(sent.header("user-agent"), Some(concat!("plaid-idv-retry/", env!("CARGO_PKG_VERSION"))));
    assert_eq!(sent.json(), id("idv_52xR9LKo77r1Np"), "the body is the input, credentials in headers only");
    // Credentials in the input stay in the body, as Plaid allows; the secret is masked in the echo.
    let input =
        json!({"identity_verification_id": "idv_1", "client_id": "client-in-body", "secret": CANARY_SECRET});
    let r = get(&input, &json!({"base_url": server.url()}).to_string(), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["request"]["body"]["secret"], "***");
    assert_eq!(server.requests()[1].json(), input);
}

fn session_body(status: &str) -> Value {
    let mut body = attempt("idv_52xR9LKo77r1Np", Some("idv_old"), SystemTime::now());
    body["status"] = json!(status);
    body["request_id"] = json!("req-get-1");
    body
}

/// How a test server answers each request.
type Answer = Box<dyn Fn() -> Reply + Send + Sync>;

/// What may be transient is retryable, the answers a retry cannot trust included: a get changes
/// nothing at Plaid, so nothing is reconciled and nothing is terminal for want of knowing.
#[test]
fn what_may_pass_is_retryable_and_nothing_is_reconciled() {
    let html =
        || Reply::with_headers(502, &[("Content-Type", "text/html")], b"<html>bad gateway</html>".to_vec());
    let cases: Vec<(&str, Answer, Option<f64>)> = vec![
        ("429", Box::new(|| Reply::json(429, &plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT"))), Some(60.0)),
        (
            "500 API_ERROR",
            Box::new(|| Reply::json(500, &plaid_error("API_ERROR", "INTERNAL_SERVER_ERROR"))),
            None,
        ),
        (
            "503 with Retry-After",
            Box::new(|| Reply::with_headers(503, &[("Retry-After", "7")], Vec::new())),
            Some(7.0),
        ),
        ("502 from a proxy", Box::new(html), None),
        (
            "200 cut short",
            Box::new(|| {
                Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\":".to_vec())
            }),
            None,
        ),
        ("closed without an answer", Box::new(|| Reply::Close), None),
    ];
    for (name, reply, retry_after) in cases {
        let server = Server::start(move |_| reply());
        let r = get(&id("idv_1"), &settings(&server.url(), json!({})), &ctx());
        assert_eq!(r["status"], "FAILED", "{name}: {r}");
        assert_eq!(r["retryable"], true, "{name}");
        assert_eq!(r["retry_after_seconds"].as_f64(), retry_after, "{name}: {r}");
        assert!(r["reasonForIncompletion"].as_str().unwrap().contains("safe to retry"), "{name}: {r}");
        assert!(
            r["output"].get("outcome_unknown").is_none() && r["output"].get("reconciled").is_none(),
            "{name}: {r}"
        );
        assert_eq!(server.count(GET), 1, "{name}: sent once, and no /list");
        assert_eq!(server.requests().len(), 1, "{name}: nothing else asked");
    }
}

#[test]
fn a_read_that_never_answers_is_retryable_within_the_read_timeout() {
    let server = Server::start(|_| Reply::Hang);
    let r = get(&id("idv_1"), &settings(&server.url(), json!({"read_timeout_seconds": 1})), &ctx());
    assert_eq!(r["status"], "FAILED", "{r}");
    assert!(r["output"]["elapsed_ms"].as_u64().unwrap() < Duration::from_secs(10).as_millis() as u64, "{r}");
    let r = get(&id("idv_1"), &settings(&refused_url(), json!({})), &ctx());
    assert_eq!((r["status"].as_str(), r["output"]["sent"].as_bool()), (Some("FAILED"), Some(false)), "{r}");
}

/// A 2xx without the session's status is not the session Plaid documents: asking again gets the
/// same, so terminal. A status this version does not know is a session still moving.
#[test]
fn an_answer_without_a_known_status() {
    let server = Server::start(|_| Reply::json(200, &json!({"id": "idv_1", "request_id": "r"})));
    let r = get(&id("idv_1"), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
    assert!(r["reasonForIncompletion"].as_str().unwrap().contains("without the session's status"), "{r}");
    let server = Server::start(|_| Reply::json(200, &session_body("a_status_plaid_adds_later")));
    let r = get(&id("idv_1"), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["session_status"], "a_status_plaid_adds_later");
    assert_eq!(r["output"]["final"], false);
    assert!(r["logs"].to_string().contains("not one this version knows"), "{r}");
}

/// An invalid input is never sent; an unusual id is sent, and its warning is in the output.
#[test]
fn the_input_is_validated_before_anything_is_sent() {
    let server = Server::start(|_| Reply::json(200, &session_body("active")));
    for (input, rule) in [
        (json!({}), "required"),
        (json!({"identity_verification_id": 7}), "type"),
        (json!({"identity_verification_id": "idv_1", "id": "x"}), "unknown_field"),
    ] {
        let r = get(&input, &settings(&server.url(), json!({})), &ctx());
        assert_eq!(r["status"], "FAILED_WITH_TERMINAL_ERROR", "{r}");
        assert_eq!(r["output"]["validation"]["errors"][0]["rule"], rule, "{r}");
    }
    let task = plugin().task("plaid.identity_verification.get").unwrap();
    let r =
        task.execute("{\"identity_verification_id\": ", &settings(&server.url(), json!({})), "{}").unwrap();
    assert!(r.contains("json_syntax"), "{r}");
    assert_eq!(server.requests().len(), 0, "nothing sent for an invalid input");
    let r = get(&id("session-7"), &settings(&server.url(), json!({})), &ctx());
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["output"]["validation"]["warnings"][0]["rule"], "unusual_id", "{r}");
    assert_eq!(server.count(GET), 1);
}

/// A context's retry-only fields are ignored by a get: it reconciles nothing and reports no attempt.
#[test]
fn the_retrys_context_fields_change_nothing() {
    let server = Server::start(|_| Reply::json(200, &session_body("success")));
    let context = json!({"attempt": 3, "latest_attempt_id": "idv_old", "unknown_outcome_since_ms": 1});
    let r = get(&id("idv_1"), &settings(&server.url(), json!({})), &context);
    assert_eq!(
        (r["status"].as_str(), r["output"]["final"].as_bool()),
        (Some("COMPLETED"), Some(true)),
        "{r}"
    );
    assert!(r["output"].get("latest_attempt_id").is_none() && r["output"].get("reconciled").is_none(), "{r}");
    assert_eq!(server.requests().len(), 1, "no /list first");
}
