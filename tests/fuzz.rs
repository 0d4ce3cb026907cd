//! Property-based fuzzing, through the loaded `.so`, of everything that parses outside data:
//! task inputs (`validate`), preset options, execute's settings and context, and whatever a
//! server answers (status, headers, framing, bodies, reconciliation's list pages).
//!
//! Every case asserts: an answer (never `internal_panic`, the code a caught panic becomes), the
//! documented shape, and no canary secret or personal value anywhere the plugin wrote. An abort
//! would end this process, so a run that finishes had none.
//!
//! Case counts: `FUZZ_CASES` is the total across the four targets, split by `SHARES` (the default
//! is CI's quick run; both in test-support's `fuzz`, with the inputs the validate target shares
//! with the plugin's fast-path proof). The documented long run (README):
//!
//! ```text
//! CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=true \
//!   FUZZ_CASES=1000000 cargo test --release -p plaid-idv-retry --test fuzz -- --test-threads=4
//! ```
//!
//! (overflow checks on, so arithmetic on hostile numbers fails loudly, as in a debug build).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use plaid_idv_test_support as support;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use support::{fuzz::*, *};

fn report(target: &str, started: Instant) {
    eprintln!("fuzz {target}: {} cases in {:.1} s", cases(target), started.elapsed().as_secs_f64());
}

/// A plugin error must be one of `allowed`, one line, and never a caught panic.
fn check_error(e: &plaid_idv_retry_interface::PluginError, allowed: &[&str]) -> Result<(), TestCaseError> {
    prop_assert_ne!(e.code.as_str(), "internal_panic", "a panic was caught: {}", e);
    prop_assert!(allowed.contains(&e.code.as_str()), "unexpected error code: {}", e);
    prop_assert!(!e.message.contains('\n'), "one line: {}", e);
    no_canary(&e.message)?;
    Ok(())
}

fn no_canary(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(!text.contains(CANARY_SECRET), "the secret leaked: {}", text);
    for c in CANARY_PERSONAL {
        prop_assert!(!text.contains(c), "personal value {} leaked: {}", c, text);
    }
    Ok(())
}

// ---- validate ----

#[test]
fn validate_answers_every_input() {
    let started = Instant::now();
    let plugin = plugin();
    let strategy = validate_text();
    runner("validate")
        .run(&strategy, |text| {
            let report = match plugin.validate(&text) {
                Ok(r) => r,
                Err(e) => return Err(TestCaseError::fail(format!("a plugin error: {e}"))),
            };
            let value: Value =
                serde_json::from_str(&report).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(value["valid"].is_boolean(), "{}", report);
            let errors = value["errors"].as_array().cloned().unwrap_or_default();
            prop_assert_eq!(value["valid"] == true, errors.is_empty(), "{}", report);
            for issue in errors.iter().chain(value["warnings"].as_array().into_iter().flatten()) {
                prop_assert!(issue["path"].is_string() && issue["rule"].is_string(), "{}", issue);
                prop_assert!(issue["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", issue);
            }
            // Canaries are values in the input, never keys: a report that quotes one leaked it.
            no_canary(&report)
        })
        .unwrap();
    report("validate", started);
}

// ---- settings_preset ----

#[test]
fn preset_answers_every_option_document() {
    let started = Instant::now();
    let plugin = plugin();
    let option_value = prop_oneof![
        Just(json!("sandbox")),
        Just(json!("production")),
        Just(json!("seed")),
        Just(json!("conductor")),
        arb_json(),
    ];
    let key = prop_oneof![Just("environment".to_owned()), Just("dialect".to_owned()), key_string()];
    let strategy = prop_oneof![
        4 => prop::collection::vec((key, option_value), 0..4)
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()).to_string()),
        1 => arb_json().prop_map(|v| v.to_string()),
        1 => any::<String>(),
    ];
    runner("preset")
        .run(&strategy, |options| {
            match plugin.settings_preset(&options) {
                Ok(text) => {
                    let preset: Value =
                        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(preset.is_object());
                    // References only: a preset never carries a credential value.
                    prop_assert!(text.contains("plaid_secret"), "{}", text);
                }
                Err(e) => check_error(&e, &["invalid_json", "invalid_options"])?,
            }
            Ok(())
        })
        .unwrap();
    report("preset", started);
}

// ---- execute's settings and context ----

/// A loopback port nothing listens on: whatever settings parse, nothing leaves this machine.
fn closed_port_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(refused_url)
}

const SETTING_KEYS: [&str; 10] = [
    "environment",
    "base_url",
    "allowed_hosts",
    "client_id",
    "secret",
    "plaid_version",
    "connection_timeout_seconds",
    "read_timeout_seconds",
    "max_response_bytes",
    "reconcile_unknown_outcomes",
];

/// Plausible and hostile values for any setting: numbers at and past the ranges, URLs that try
/// every way around the host rule.
fn setting_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => arb_json(),
        1 => prop_oneof![Just("sandbox"), Just("production"), Just("2020-09-14"), Just("client-abc")]
            .prop_map(Value::from),
        2 => (0usize..8, "[a-z0-9.:@/\\[\\]%#?-]{0,24}").prop_map(|(i, tail)| {
            let head = ["http://127.0.0.1:1", "https://", "http://", "https://sandbox.plaid.com",
                        "http://[::1]", "ftp://", "http://localhost", "https://user:pw@"][i];
            Value::from(format!("{head}{tail}"))
        }),
        2 => prop_oneof![
            Just(json!(0)), Just(json!(-1)), Just(json!(1e308)), Just(json!(0.000001)), Just(json!(60)),
            Just(json!(60.0000001)), Just(json!(300)), Just(json!(65535)), Just(json!(65536)),
            Just(json!(16777216)), Just(json!(16777217)), Just(json!(u64::MAX)), Just(json!(i64::MIN)),
        ],
    ]
}

/// The secret setting with the canary in it, valid or not: refused ones are never quoted, valid
/// ones are sent and never echoed.
fn canary_secret() -> impl Strategy<Value = Value> {
    (0u8..4, "[ -~]{0,12}").prop_map(|(how, tail)| {
        Value::from(match how {
            0 => format!("{CANARY_SECRET}{}", tail.replace(' ', "")),
            1 => format!("{CANARY_SECRET} {tail}"), // not visible ASCII
            2 => format!("{CANARY_SECRET}{}", "x".repeat(300)), // too long
            _ => format!("{CANARY_SECRET}\u{7}"),
        })
    })
}

fn settings_text() -> impl Strategy<Value = (String, bool)> {
    let key = prop_oneof![9 => (0..SETTING_KEYS.len()).prop_map(|i| SETTING_KEYS[i].to_owned()), 1 => "[a-z_]{1,12}"];
    prop_oneof![
        6 => (prop::collection::vec((key, setting_value()), 0..8), prop::option::of(canary_secret()), any::<bool>())
            .prop_map(|(kv, secret, pin)| {
            let mut object: Map<String, Value> = kv.into_iter().collect();
            if let Some(secret) = secret {
                object.insert("secret".into(), secret);
            }
            if pin {
                // Settings that parse must send nowhere but the closed loopback port.
                object.insert("base_url".into(), Value::from(closed_port_url()));
            }
            (Value::Object(object).to_string(), pin)
        }),
        1 => arb_json().prop_map(|v| (v.to_string(), false)),
        1 => any::<String>().prop_map(|s| (s, false)),
    ]
}

fn context_text() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        arb_json(),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        Just(json!(0)),
        Just(json!(1)),
        (0u64..60_000).prop_map(Value::from),
        (0i64..10_000).prop_map(|ms| Value::from(now_ms() + ms)),
    ];
    let key = prop_oneof![Just("attempt"), Just("deadline_ms"), Just("timeout_ms"), Just("other")];
    prop_oneof![
        5 => prop::collection::vec((key, number), 0..4)
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()).to_string()),
        1 => arb_json().prop_map(|v| v.to_string()),
        1 => any::<String>(),
        1 => Just(String::new()),
    ]
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn execute_answers_every_settings_and_context() {
    let started = Instant::now();
    let plugin = plugin();
    let valid_input = canary_input().to_string();
    let strategy = (settings_text(), context_text(), any::<bool>());
    runner("settings")
        .run(&strategy, |((settings, pinned), context, valid)| {
            // Only settings pinned to the closed port may meet a valid input: anything else
            // could name a real host, and an invalid input is refused before anything is sent.
            let input = if pinned && valid { valid_input.as_str() } else { "{\"client_user_id\": 7}" };
            let began = Instant::now();
            match plugin.execute(input, &settings, &context) {
                Ok(text) => {
                    no_canary(&text)?;
                    let result: Value =
                        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    check_task_result(&result)?;
                    if !(pinned && valid) {
                        prop_assert_eq!(&result["status"], "FAILED_WITH_TERMINAL_ERROR", "{}", text);
                        prop_assert!(result["output"]["validation"].is_object(), "{}", text);
                    }
                }
                Err(e) => check_error(&e, &["invalid_json", "invalid_settings", "invalid_context"])?,
            }
            // A refused loopback connection returns at once, whatever the timeouts say.
            prop_assert!(began.elapsed() < Duration::from_secs(5), "took {:?}", began.elapsed());
            Ok(())
        })
        .unwrap();
    report("settings", started);
}

/// The task result's documented shape.
fn check_task_result(r: &Value) -> Result<(), TestCaseError> {
    let status = r["status"].as_str().unwrap_or("");
    prop_assert!(["COMPLETED", "FAILED", "FAILED_WITH_TERMINAL_ERROR"].contains(&status), "{}", r);
    prop_assert_eq!(r["retryable"].as_bool(), Some(status == "FAILED"), "{}", r);
    prop_assert_eq!(r["reasonForIncompletion"].is_null(), status == "COMPLETED", "{}", r);
    prop_assert!(r["output"].is_object() && r["logs"].is_array(), "{}", r);
    match &r["retry_after_seconds"] {
        Value::Null => {}
        v => prop_assert!(v.as_f64().is_some_and(|s| s.is_finite() && s >= 0.0), "{}", r),
    }
    if status == "COMPLETED" {
        prop_assert!(r["output"]["response"].is_object(), "{}", r);
    }
    Ok(())
}

// ---- response handling ----

/// One response on the wire, as generated.
#[derive(Debug, Clone)]
struct Wire {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    framing: Framing,
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    /// Content-Length of the body.
    Exact,
    /// Content-Length off by this much (a short body is cut off when the server closes).
    Wrong(i64),
    /// No length: the body ends when the connection closes.
    CloseDelimited,
    /// `Transfer-Encoding: chunked`, in chunks of this size, with or without the last chunk.
    Chunked(usize, bool),
}

impl Wire {
    fn bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} X\r\n", self.status).into_bytes();
        for (k, v) in &self.headers {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        match self.framing {
            Framing::Exact => {
                out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes())
            }
            Framing::Wrong(d) => out.extend_from_slice(
                format!("Content-Length: {}\r\n", (self.body.len() as i64 + d).max(0)).as_bytes(),
            ),
            Framing::CloseDelimited => {}
            Framing::Chunked(..) => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        match self.framing {
            Framing::Chunked(size, last) => {
                for chunk in self.body.chunks(size.max(1)) {
                    out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                    out.extend_from_slice(chunk);
                    out.extend_from_slice(b"\r\n");
                }
                if last {
                    out.extend_from_slice(b"0\r\n\r\n");
                }
            }
            _ => out.extend_from_slice(&self.body),
        }
        out
    }
}

/// Header values the plugin reads (`Retry-After`, `Date`) at and past their edges. Digits only
/// where needed and without a run of 5s, so no generated text can spell a numeric canary.
fn http_date_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(http_date(std::time::SystemTime::now())),
        Just("Thu, 01 Jan 1970 00:00:00 GMT".to_owned()),
        (
            "[A-Za-z]{3}",
            "[0-9]{1,3}",
            "[A-Za-z]{3}",
            "[0-9]{1,20}",
            "[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}",
            "[A-Z]{0,4}"
        )
            .prop_map(|(d, n, m, y, t, z)| format!("{d}, {n} {m} {y} {t} {z}")),
        (0u32..12, 0u64..99_999_999_999u64).prop_map(|(m, y)| {
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                [m as usize];
            format!("Sun, 06 {month} {y} 08:49:37 GMT")
        }),
        "[ -~]{0,30}",
    ]
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    prop_oneof![
        (0u8..4).prop_map(|i| (
            "Content-Type".to_owned(),
            ["application/json", "text/html", "application/json; charset=utf-8", "x/y"][i as usize]
                .as_bytes()
                .to_vec()
        )),
        prop_oneof![
            "[0-9]{1,25}",
            Just("-1".to_owned()),
            Just("18446744073709551616".to_owned()),
            http_date_text(),
        ]
        .prop_map(|v| ("Retry-After".to_owned(), v.into_bytes())),
        http_date_text().prop_map(|v| ("Date".to_owned(), v.into_bytes())),
        "[A-Za-z-]{0,40}".prop_map(|v| ("Plaid-Request-Id".to_owned(), v.into_bytes())),
        ("X-[A-Za-z-]{1,12}", prop::collection::vec(32u8..=255, 0..40))
            .prop_map(|(k, v)| (k, v.into_iter().filter(|b| *b != 127).collect())),
    ]
}

const ERROR_TYPES: [&str; 8] = [
    "INVALID_REQUEST",
    "INVALID_INPUT",
    "USER_ERROR",
    "RATE_LIMIT_EXCEEDED",
    "API_ERROR",
    "ITEM_ERROR",
    "",
    "api_error",
];

fn rfc3339_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (-3_000i64..3_000).prop_map(|s| rfc3339(
            std::time::SystemTime::now() + Duration::from_secs(3_000)
                - Duration::from_secs((3_000 - s) as u64)
        )),
        (
            "[0-9]{1,20}",
            "[0-9]{1,3}",
            "[0-9]{1,3}",
            "[0-9]{1,3}:[0-9]{1,3}:[0-9]{1,3}",
            "(Z|[+-][0-9]{1,20}:[0-9]{1,20}|)"
        )
            .prop_map(|(y, m, d, t, z)| format!("{y}-{m}-{d}T{t}{z}")),
        "[ -~]{0,30}",
    ]
}

fn attempt_value() -> impl Strategy<Value = Value> {
    ("idv_[A-Za-z]{0,8}", prop::option::of("idv_[A-Za-z]{0,8}"), rfc3339_text(), prop::option::of(arb_json()))
        .prop_map(|(id, previous, created, extra)| {
            let mut a = json!({"id": id, "previous_attempt_id": previous, "created_at": created,
                               "client_user_id": "user-7c1d", "status": "active"});
            if let Some(extra) = extra {
                a["extra"] = extra;
            }
            a
        })
}

/// Bodies: Plaid's errors (any type and code), attempts, list pages, and what is not JSON at all.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => ((0..ERROR_TYPES.len()), "[A-Z_]{0,24}", prop::option::of(odd_string())).prop_map(|(t, code, message)| {
            json!({"error_type": ERROR_TYPES[t], "error_code": code, "error_message": message,
                   "display_message": null, "request_id": "req-fuzz"}).to_string().into_bytes()
        }),
        2 => attempt_value().prop_map(|a| a.to_string().into_bytes()),
        2 => (prop::collection::vec(attempt_value(), 0..5), prop::option::of("[a-z]{0,6}"))
            .prop_map(|(items, cursor)| json!({"identity_verifications": items, "next_cursor": cursor,
                                              "request_id": "req-list"}).to_string().into_bytes()),
        1 => arb_json().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..600),
        // Up to past the smallest cap, so the oversize path is met at the real minimum.
        1 => (0..80_000usize).prop_map(|n| {
            let mut b = b"{\"id\":\"idv_big\",\"pad\":\"".to_vec();
            b.extend(std::iter::repeat_n(b'x', n));
            b.extend_from_slice(b"\"}");
            b
        }),
        1 => Just(b"<html><body>502 Bad Gateway</body></html>".to_vec()),
        1 => Just(Vec::new()),
    ]
}

fn wire() -> impl Strategy<Value = Wire> {
    let status = prop_oneof![
        6 => prop::sample::select(vec![200u16, 201, 204, 301, 302, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504]),
        1 => 100u16..1000,
    ];
    let framing = prop_oneof![
        6 => Just(Framing::Exact),
        1 => (-50i64..50).prop_map(Framing::Wrong),
        1 => Just(Framing::CloseDelimited),
        1 => (1usize..4096, any::<bool>()).prop_map(|(s, l)| Framing::Chunked(s, l)),
    ];
    (status, prop::collection::vec(header(), 0..5), body(), framing)
        .prop_map(|(status, headers, body, framing)| Wire { status, headers, body, framing })
}

/// A loopback server that answers each request with the next queued response and closes the
/// connection; with the queue empty, an empty list page.
struct Scripted {
    server: Server,
    queue: Arc<Mutex<VecDeque<Vec<u8>>>>,
}

impl Scripted {
    fn start() -> Scripted {
        let queue: Arc<Mutex<VecDeque<Vec<u8>>>> = Arc::default();
        let q = queue.clone();
        let server = Server::start(move |_| {
            let next = q.lock().unwrap().pop_front();
            Reply::Raw(next.unwrap_or_else(|| {
                let body =
                    json!({"identity_verifications": [], "next_cursor": null, "request_id": "r"}).to_string();
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }))
        });
        Scripted { server, queue }
    }
}

#[test]
fn execute_answers_every_response() {
    let started = Instant::now();
    let plugin = plugin();
    let scripted = Scripted::start();
    // The retry's answer, then what the list calls of a reconciliation get; sometimes an odd
    // client_user_id (it travels into the list call and the echo).
    let strategy = (
        (wire(), prop::option::of(key_string())),
        prop::collection::vec(wire(), 0..4),
        any::<bool>(),
        prop::sample::select(vec![65536u64, 1 << 20]),
    );
    runner("response")
        .run(&strategy, |((first, user), list, reconcile, cap)| {
            let mut input = canary_input();
            if let Some(user) = user {
                input["client_user_id"] = Value::from(user);
            }
            let input = input.to_string();
            {
                let mut queue = scripted.queue.lock().unwrap();
                queue.clear();
                queue.push_back(first.bytes());
                queue.extend(list.iter().map(Wire::bytes));
            }
            let settings = settings(
                &scripted.server.url(),
                json!({"reconcile_unknown_outcomes": reconcile, "max_response_bytes": cap,
                       "read_timeout_seconds": 2}),
            );
            let began = Instant::now();
            // Under 1.5 s, reconciliation looks once and never sleeps between rounds (the rounds
            // are tests/execute.rs's business): the case stays fast and every page is still read.
            let text = match plugin.execute(&input, &settings, r#"{"attempt": 1, "timeout_ms": 1400}"#) {
                Ok(t) => t,
                Err(e) => return Err(TestCaseError::fail(format!("a plugin error: {e}"))),
            };
            let took = began.elapsed();
            prop_assert!(took < Duration::from_millis(1_900), "past the 1.4 s deadline: {:?}", took);
            let result: Value =
                serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_task_result(&result)?;
            // What the server sent is echoed by design; everything the plugin wrote is scanned.
            let mut ours = result.clone();
            if let Some(output) = ours["output"].as_object_mut() {
                for echoed in ["response", "reconciliation", "error_message", "display_message", "request_id"]
                {
                    output.remove(echoed);
                }
            }
            no_canary(&ours.to_string())?;
            expect_class(&first, cap, &result)
        })
        .unwrap();
    report("response", started);
}

/// The classification where the table in docs/execute.md leaves no doubt: a complete,
/// well-framed response whose body is not a Plaid error.
fn expect_class(wire: &Wire, cap: u64, result: &Value) -> Result<(), TestCaseError> {
    if result["output"]["validation"]["valid"] == false {
        return Ok(()); // the input was refused: nothing was sent
    }
    let framed = matches!(wire.framing, Framing::Exact | Framing::Chunked(_, true));
    let plaid_error =
        serde_json::from_slice::<Value>(&wire.body).is_ok_and(|b| b.get("error_type").is_some());
    if !framed || plaid_error || wire.body.len() as u64 > cap || wire.status == 204 {
        return Ok(());
    }
    let json_object = serde_json::from_slice::<Value>(&wire.body).is_ok_and(|b| b.is_object());
    let status = &result["status"];
    match wire.status {
        200..=299 if json_object => prop_assert_eq!(status, "COMPLETED", "{}", result),
        300..=399 | 400..=407 | 409..=428 | 430..=499 => {
            prop_assert_eq!(status, "FAILED_WITH_TERMINAL_ERROR", "{}", result)
        }
        429 => {
            prop_assert_eq!(status, "FAILED", "{}", result);
            prop_assert!(result["retry_after_seconds"].is_number(), "{}", result);
        }
        408 | 503 => prop_assert_eq!(status, "FAILED", "{}", result),
        _ => {}
    }
    Ok(())
}
