//! The classification the Airflow and n8n presets carry is execute's own: for every HTTP status,
//! and for every Plaid error the rules name (and one they do not), execute through the loaded `.so`
//! and the rules give the same class and the same wait. The engines' interpreters of the rules are
//! proven in the engines themselves (`tests/engines/`).

use std::sync::{Arc, Mutex};

use plaid_idv_test_support as support;
use serde_json::{json, Value};
use support::{plaid_error, plugin, settings, Reply, Server};

fn preset(dialect: &str) -> Value {
    let text = plugin().settings_preset(&json!({"dialect": dialect}).to_string()).expect("preset");
    serde_json::from_str(&text).expect("JSON")
}

/// One answer the server gives.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    retry_after: Option<&'static str>,
}

/// The class and the wait (`None`: the backoff decides) the rules give an answer: the first rule
/// that matches, as the presets' interpreters read them.
fn by_rules(classification: &Value, answer: &Answer) -> (String, Option<f64>) {
    let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let object = body.as_ref().filter(|b| b.is_object());
    let error = object.filter(|b| b["error_type"].is_string() && b["error_code"].is_string());
    let listed = |list: &Value, value: &Value| list.as_array().unwrap().contains(value);
    let rule = classification["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            let status = &r["status"];
            (r.get("error_type").is_none()
                || error.is_some_and(|e| listed(&r["error_type"], &e["error_type"])))
                && (r.get("error_code").is_none()
                    || error.is_some_and(|e| listed(&r["error_code"], &e["error_code"])))
                && (status.is_null()
                    || (status[0].as_u64().unwrap()..=status[1].as_u64().unwrap())
                        .contains(&u64::from(answer.status)))
                && (r["body"] != "json_object" || object.is_some())
        })
        .expect("the last rule matches every answer");
    let class = rule["class"].as_str().unwrap().to_owned();
    let wait = match (class.as_str(), answer.retry_after) {
        ("retryable", Some(seconds)) => seconds.parse().ok(),
        ("retryable", None) => rule["retry_after_default_seconds"].as_f64(),
        _ => None,
    };
    (class, wait)
}

/// The class of execute's task result (duplicate safety off, so an unknown outcome says so
/// instead of asking Plaid), and its wait.
fn by_execute(server: &Server, answer: &Mutex<Option<Answer>>, given: &Answer) -> (String, Option<f64>) {
    *answer.lock().unwrap() = Some(given.clone());
    let result = support::execute(
        &json!({"client_user_id": "user-7c1d", "template_id": "idvtmp_52xR9LKo77r1Np", "strategy": "reset"}),
        &settings(&server.url(), json!({"reconcile_unknown_outcomes": false})),
        &json!({"attempt": 1}),
    );
    let unknown = result["output"]["outcome_unknown"] == true;
    let class = match (result["status"].as_str().unwrap(), unknown) {
        (_, true) => "unknown",
        ("COMPLETED", false) => "completed",
        ("FAILED", false) => "retryable",
        ("FAILED_WITH_TERMINAL_ERROR", false) => "terminal",
        (other, _) => panic!("status {other}"),
    };
    (class.to_owned(), result["retry_after_seconds"].as_f64())
}

#[test]
fn airflow_and_n8n_carry_executes_classification() {
    let classification = preset("airflow")["classification"].clone();
    assert_eq!(preset("n8n")["classification"], classification, "one definition for both engines");

    let answer: Arc<Mutex<Option<Answer>>> = Arc::default();
    let shared = answer.clone();
    let server = Server::start(move |_| {
        let a = shared.lock().unwrap().clone().expect("an answer is set");
        let mut headers = vec![("Content-Type", a.content_type)];
        if let Some(seconds) = a.retry_after {
            headers.push(("Retry-After", seconds));
        }
        Reply::with_headers(a.status, &headers, a.body)
    });

    let json_answer = |status, body: &Value| Answer {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
        retry_after: None,
    };
    let mut answers = Vec::new();
    // Every status with an attempt in its body; the 2xx (and a few others) also with a body that
    // is not JSON and with none (HTTP forbids a body in a 204, 205 or 304).
    for status in 200..=599u16 {
        if !matches!(status, 204 | 205 | 304) {
            answers.push(json_answer(status, &json!({"id": "idv_1", "request_id": "req-1"})));
        }
        if (200..300).contains(&status) || [301, 400, 404, 429, 500, 502, 503, 599].contains(&status) {
            if !matches!(status, 204 | 205) {
                let html = b"<html>busy</html>".to_vec();
                answers.push(Answer {
                    content_type: "text/html",
                    body: html,
                    ..json_answer(status, &json!(null))
                });
            }
            answers.push(Answer { body: Vec::new(), ..json_answer(status, &json!(null)) });
        }
    }
    // Every Plaid error the rules name, an error code they do not name, and an error type they do
    // not know, at the statuses Plaid sends them with (and a 200, where the error type still wins).
    let mut errors: Vec<(String, String)> = vec![("NEW_ERROR_TYPE".into(), "SOMETHING".into())];
    for rule in classification["rules"].as_array().unwrap() {
        for error_type in rule["error_type"].as_array().into_iter().flatten() {
            let codes = rule["error_code"].as_array().cloned().unwrap_or_default();
            for code in codes.iter().map(|c| c.as_str().unwrap()).chain(["SOME_OTHER_CODE"]) {
                errors.push((error_type.as_str().unwrap().to_owned(), code.to_owned()));
            }
        }
    }
    for (error_type, code) in &errors {
        for status in [200, 400, 401, 404, 408, 429, 500, 502, 503] {
            answers.push(json_answer(status, &plaid_error(error_type, code)));
        }
    }
    // Retry-After, wherever a retry is allowed, wins over the rules' default.
    for status in [408, 429, 503] {
        answers.push(Answer { retry_after: Some("7"), ..json_answer(status, &json!({})) });
    }
    answers.push(Answer {
        retry_after: Some("7"),
        ..json_answer(429, &plaid_error("RATE_LIMIT_EXCEEDED", "RATE_LIMIT"))
    });

    let mut classes = std::collections::BTreeSet::new();
    for a in &answers {
        let rules = by_rules(&classification, a);
        let execute = by_execute(&server, &answer, a);
        assert_eq!(
            rules,
            execute,
            "HTTP {} {} (Retry-After {:?}): the rules and execute disagree",
            a.status,
            String::from_utf8_lossy(&a.body),
            a.retry_after
        );
        classes.insert(rules.0);
    }
    assert_eq!(classes.len(), 4, "every class was seen: {classes:?}");
}
