//! The simulator through plain HTTP, as any Plaid client meets it: credentials, versions, body
//! checks, the strategies and their restrictions, the sandbox test user, the rate limit and every
//! fault mode.

use std::{
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use plaid_idv_simulator::{
    self as simulator, FaultSet, Faults, Simulator, SimulatorConfig, Status, Step, Strategy,
};
use plaid_idv_test_support::{http_agent, seeded_simulator, simulator_config};
use serde_json::{json, Value};

const TEMPLATE: &str = "idvtmp_test";
const SECRET_CANARY: &str = "CANARY-secret-7f3a";
const PII_CANARY: &str = "CANARY-pii-9b1c";

fn sim_with(config: SimulatorConfig) -> Simulator {
    seeded_simulator(config, &[])
}

fn new_sim() -> Simulator {
    sim_with(simulator_config())
}

#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    text: String,
    elapsed: Duration,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn error_code(&self) -> (u16, String, String) {
        let body = self.json();
        assert!(body["display_message"].is_null(), "{body}");
        assert!(body["request_id"].as_str().is_some_and(|id| id.len() == 15), "{body}");
        (
            self.status,
            body["error_type"].as_str().unwrap().to_owned(),
            body["error_code"].as_str().unwrap().to_owned(),
        )
    }
}

/// Sends a raw body with the given headers (the default credentials unless `headers` has some).
fn send_raw(
    sim: &Simulator,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Answer, ureq::Error> {
    let started = Instant::now();
    let mut request = http_agent(Duration::from_secs(10)).post(format!("{}{path}", sim.url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body)?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = response.body_mut().with_config().limit(64 << 20).read_to_string()?;
    Ok(Answer { status, content_type, text, elapsed: started.elapsed() })
}

const AUTH: [(&str, &str); 4] = [
    ("Content-Type", "application/json"),
    ("PLAID-CLIENT-ID", simulator::DEFAULT_CLIENT_ID),
    ("PLAID-SECRET", simulator::DEFAULT_SECRET),
    ("Plaid-Version", "2020-09-14"),
];

fn call(sim: &Simulator, endpoint: &str, body: Value) -> Answer {
    call_with(sim, endpoint, body, &[])
}

fn call_with(sim: &Simulator, endpoint: &str, body: Value, extra: &[(&str, &str)]) -> Answer {
    let headers: Vec<_> = AUTH.iter().chain(extra).copied().collect();
    send_raw(sim, &format!("/identity_verification/{endpoint}"), &headers, &body.to_string())
        .expect("an HTTP answer")
}

fn leslie() -> Value {
    json!({
        "email_address": "leslie@example.com",
        "phone_number": "+12345678909",
        "date_of_birth": "1975-01-18",
        "name": {"given_name": "Leslie", "family_name": "Knope"},
        "address": {"street": "123 Main St.", "street2": null, "city": "Pawnee", "region": "IN", "postal_code": "46001", "country": "US"},
        "id_number": {"value": "123456789", "type": "us_ssn"},
    })
}

fn retry(user: &str, strategy: &str) -> Value {
    json!({"client_user_id": user, "template_id": TEMPLATE, "strategy": strategy})
}

/// A retry for user `u` with the sandbox test user's data, which passes every step.
fn retry_as_leslie(strategy: &str) -> Value {
    let mut body = retry("u", strategy);
    body["user"] = leslie();
    body
}

/// Completes a session as a person would, through the control route.
fn complete(sim: &Simulator, id: &Value, body: Value) -> Value {
    let path = format!("/sim/sessions/{}/complete", id.as_str().unwrap());
    let answer = send_raw(sim, &path, &AUTH, &body.to_string()).expect("an HTTP answer");
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()
}

fn steps(body: &Value) -> Vec<(String, String)> {
    body["steps"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn step(body: &Value, name: &str) -> String {
    body["steps"][name].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------- credentials, version, body

#[test]
fn credentials_in_headers_of_any_case_or_in_the_body() {
    let sim = new_sim();
    let seeded = sim.seed_attempt("u", TEMPLATE, Status::Success, None);
    let get = json!({"identity_verification_id": seeded});
    let lower = [
        ("content-type", "application/json"),
        ("plaid-client-id", simulator::DEFAULT_CLIENT_ID),
        ("pLaId-SeCrEt", simulator::DEFAULT_SECRET),
    ];
    let answer = send_raw(&sim, "/identity_verification/get", &lower, &get.to_string()).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["id"], seeded);

    let in_body =
        json!({"identity_verification_id": seeded, "client_id": "sim-client-id", "secret": "sim-secret"});
    let answer = send_raw(
        &sim,
        "/identity_verification/get",
        &[("Content-Type", "application/json")],
        &in_body.to_string(),
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("application/json"));
}

#[test]
fn missing_or_wrong_credentials_are_invalid_api_keys_and_never_echoed() {
    let sim = new_sim();
    let body = retry("u", "reset").to_string();
    let cases: [&[(&str, &str)]; 4] = [
        &[("Content-Type", "application/json")],
        &[("Content-Type", "application/json"), ("PLAID-CLIENT-ID", "sim-client-id")],
        &[
            ("Content-Type", "application/json"),
            ("PLAID-CLIENT-ID", "sim-client-id"),
            ("PLAID-SECRET", SECRET_CANARY),
        ],
        &[
            ("Content-Type", "application/json"),
            ("PLAID-CLIENT-ID", SECRET_CANARY),
            ("PLAID-SECRET", "sim-secret"),
        ],
    ];
    for headers in cases {
        let answer = send_raw(&sim, "/identity_verification/retry", headers, &body).unwrap();
        assert_eq!(answer.error_code(), (400, "INVALID_INPUT".into(), "INVALID_API_KEYS".into()));
        assert!(!answer.text.contains(SECRET_CANARY));
    }
    let in_body = json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset",
        "client_id": "sim-client-id", "secret": SECRET_CANARY});
    let answer = send_raw(
        &sim,
        "/identity_verification/retry",
        &[("Content-Type", "application/json")],
        &in_body.to_string(),
    )
    .unwrap();
    assert_eq!(answer.error_code().2, "INVALID_API_KEYS");
    assert!(!answer.text.contains(SECRET_CANARY));

    let custom = sim_with(SimulatorConfig {
        client_id: "mine".into(),
        secret: SECRET_CANARY.into(),
        ..simulator_config()
    });
    let answer = call(&custom, "retry", retry("u", "reset"));
    assert_eq!(
        answer.error_code().2,
        "INVALID_API_KEYS",
        "the defaults are not accepted by a configured simulator"
    );
    let answer = send_raw(
        &custom,
        "/identity_verification/retry",
        &[("Content-Type", "application/json"), ("PLAID-CLIENT-ID", "mine"), ("PLAID-SECRET", SECRET_CANARY)],
        &retry("u", "reset").to_string(),
    )
    .unwrap();
    assert_eq!(
        answer.error_code().2,
        "INVALID_FIELD",
        "authenticated; refused only because nothing exists to retry"
    );
}

#[test]
fn plaid_version_is_checked() {
    let sim = new_sim();
    let body = retry("u", "reset");
    let no_version: Vec<_> = AUTH.iter().filter(|(n, _)| *n != "Plaid-Version").copied().collect();
    let answer = send_raw(&sim, "/identity_verification/retry", &no_version, &body.to_string()).unwrap();
    assert_eq!(
        answer.error_code().2,
        "INVALID_FIELD",
        "no version means the default one: the request got through"
    );
    let mut old = no_version.clone();
    old.push(("Plaid-Version", "2019-05-29"));
    let answer = send_raw(&sim, "/identity_verification/retry", &old, &body.to_string()).unwrap();
    assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INCOMPATIBLE_API_VERSION".into()));
    let mut bogus = no_version;
    bogus.push(("plaid-version", "yesterday"));
    let answer = send_raw(&sim, "/identity_verification/retry", &bogus, &body.to_string()).unwrap();
    assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INVALID_HEADERS".into()));
}

#[test]
fn bodies_that_are_not_json_objects_are_invalid_body() {
    let sim = new_sim();
    for (content_type, body) in [
        ("application/json", "{\"client_user_id\": "),
        ("application/json", "[1, 2]"),
        ("application/json", ""),
        ("text/plain", "{}"),
        ("application/x-www-form-urlencoded", "client_user_id=u"),
    ] {
        let headers = [("Content-Type", content_type), AUTH[1], AUTH[2]];
        let answer = send_raw(&sim, "/identity_verification/retry", &headers, body).unwrap();
        assert_eq!(
            answer.error_code(),
            (400, "INVALID_REQUEST".into(), "INVALID_BODY".into()),
            "{content_type} {body}"
        );
    }
    let huge = format!("{{\"client_user_id\": \"{}\"}}", "x".repeat(simulator::MAX_REQUEST_BODY));
    let answer = send_raw(&sim, "/identity_verification/retry", &AUTH, &huge).unwrap();
    assert_eq!(answer.error_code().2, "INVALID_BODY");
}

#[test]
fn missing_unknown_and_invalid_fields_are_named() {
    let sim = new_sim();
    let answer = call(&sim, "retry", json!({"template_id": TEMPLATE}));
    assert_eq!(answer.error_code().2, "MISSING_FIELDS");
    let message = answer.json()["error_message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("client_user_id")
            && message.contains("strategy")
            && !message.contains("template_id"),
        "{message}"
    );

    let answer = call(
        &sim,
        "retry",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "colour": 1}),
    );
    assert_eq!(answer.error_code().2, "UNKNOWN_FIELDS");
    assert!(answer.text.contains("colour"));

    let mut user = leslie();
    user["nickname"] = json!("Les");
    let answer = call(
        &sim,
        "retry",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "user": user}),
    );
    assert_eq!(answer.error_code().2, "UNKNOWN_FIELDS");
    assert!(answer.text.contains("user.nickname"));

    for (body, field) in [
        (json!({"client_user_id": 7, "template_id": TEMPLATE, "strategy": "reset"}), "client_user_id"),
        (json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "again"}), "strategy"),
        (
            json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "is_shareable": "yes"}),
            "is_shareable",
        ),
        (json!({"client_user_id": "  ", "template_id": TEMPLATE, "strategy": "reset"}), "client_user_id"),
    ] {
        let answer = call(&sim, "retry", body);
        assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INVALID_FIELD".into()));
        assert!(answer.json()["error_message"].as_str().unwrap().contains(field), "{}", answer.text);
    }
}

#[test]
fn personal_data_is_never_echoed_in_errors() {
    let sim = seeded();
    for (pointer, value) in [
        ("/date_of_birth", json!(PII_CANARY)),
        ("/phone_number", json!(PII_CANARY)),
        ("/email_address", json!(PII_CANARY)),
        ("/id_number/value", json!(format!("{PII_CANARY}-"))),
        ("/address/country", json!(PII_CANARY)),
        ("/id_number/type", json!(PII_CANARY)),
    ] {
        let mut user = leslie();
        *user.pointer_mut(pointer).unwrap() = value;
        let answer = call(
            &sim,
            "retry",
            json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "user": user}),
        );
        assert_eq!(answer.error_code().2, "INVALID_FIELD", "{pointer}: {}", answer.text);
        assert!(!answer.text.contains(PII_CANARY), "{pointer} echoed: {}", answer.text);
        let field = pointer.rsplit('/').next().unwrap();
        assert!(answer.text.contains(field), "{pointer}: the error names the field: {}", answer.text);
    }
    assert_eq!(sim.session_count("u", TEMPLATE), 1, "refused requests create no session");
}

#[test]
fn any_json_spacing_and_key_order() {
    let sim = seeded();
    let body = "\n{ \"strategy\" :\"reset\" ,\r\n\t\"template_id\":  \"idvtmp_test\",\"client_user_id\"\n:\"u\"   }\n";
    let answer = send_raw(&sim, "/identity_verification/retry", &AUTH, body).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[test]
fn unknown_paths_and_methods_are_not_found() {
    let sim = new_sim();
    let answer = send_raw(&sim, "/identity_verification/delete", &AUTH, "{}").unwrap();
    assert_eq!(answer.error_code(), (404, "INVALID_REQUEST".into(), "NOT_FOUND".into()));
    let mut response = http_agent(Duration::from_secs(5))
        .get(format!("{}/identity_verification/retry", sim.url()))
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["error_code"], "NOT_FOUND");
}

// ---------------------------------------------------------------- create, get, list

#[test]
fn create_opens_an_active_session_the_sandbox_user_completes_and_refuses_a_second_create() {
    let sim = new_sim();
    let answer = call(
        &sim,
        "create",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "is_shareable": true, "user": leslie()}),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    let created = answer.json();
    assert_eq!(created["status"], "active", "the person completes it later, at the shareable_url");
    assert_eq!(step(&created, "accept_tos"), "active");
    assert!(created["previous_attempt_id"].is_null() && created["completed_at"].is_null());
    assert!(created["kyc_check"].is_null() && created["watchlist_screening_id"].is_null());
    assert_eq!(created["user"]["name"]["family_name"], "Knope", "the data given is the session's");
    assert!(created["shareable_url"].as_str().unwrap().starts_with(&sim.url()));

    let done = complete(&sim, &created["id"], json!({"user": leslie()}));
    assert_eq!(done["status"], "success");
    assert_eq!(done["kyc_check"]["status"], "success");
    assert_eq!(done["kyc_check"]["id_number"]["ssa_verification"]["match"], "match");
    assert_eq!(done["risk_check"]["email"]["name"], "no_data");
    assert!(done["watchlist_screening_id"].as_str().unwrap().starts_with("scr_"));
    assert!(done["completed_at"].is_string());

    let again =
        call(&sim, "create", json!({"client_user_id": "u", "template_id": TEMPLATE, "is_shareable": true}));
    assert_eq!(again.error_code().2, "INVALID_FIELD");
    let idempotent = call(
        &sim,
        "create",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "is_shareable": true, "is_idempotent": true}),
    );
    assert_eq!(idempotent.json()["id"], created["id"]);
    assert_ne!(idempotent.json()["request_id"], created["request_id"]);
    assert_eq!(sim.session_count("u", TEMPLATE), 1);

    let consent = call(
        &sim,
        "create",
        json!({"client_user_id": "v", "template_id": TEMPLATE, "is_shareable": false, "gave_consent": true}),
    );
    let consent = consent.json();
    assert_eq!(step(&consent, "accept_tos"), "skipped");
    assert_eq!(step(&consent, "verify_sms"), "active", "without data the user is waited for");
    assert_eq!(consent["status"], "active");
    assert!(consent["completed_at"].is_null() && consent["shareable_url"].is_null());
    assert!(consent["kyc_check"].is_null() && consent["watchlist_screening_id"].is_null());
}

#[test]
fn other_user_data_fails_kyc_check() {
    let sim = new_sim();
    let mut user = leslie();
    user["date_of_birth"] = json!("1975-01-19");
    let answer = call(
        &sim,
        "create",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "is_shareable": true, "user": user}),
    );
    let created = answer.json();
    assert_eq!(created["status"], "active");
    let body = complete(&sim, &created["id"], json!({"user": user}));
    assert_eq!(body["status"], "failed");
    assert_eq!(step(&body, "kyc_check"), "failed");
    assert_eq!(step(&body, "watchlist_screening"), "waiting_for_prerequisite");
    assert_eq!(body["kyc_check"]["date_of_birth"]["summary"], "no_match");
    assert_eq!(body["kyc_check"]["date_of_birth"]["year"], "match");
    assert_eq!(body["kyc_check"]["name"]["summary"], "match");
}

#[test]
fn get_and_list_with_pages() {
    let sim = new_sim();
    let first = sim.seed_attempt("u", TEMPLATE, Status::Failed, None);
    let mut ids = vec![first];
    for _ in 0..simulator::LIST_PAGE + 1 {
        ids.push(call(&sim, "retry", retry("u", "reset")).json()["id"].as_str().unwrap().to_owned());
    }
    let got = call(&sim, "get", json!({"identity_verification_id": ids[3]})).json();
    assert_eq!(got["id"], ids[3]);
    assert_eq!(got["previous_attempt_id"], ids[2]);
    let missing = call(&sim, "get", json!({"identity_verification_id": "idv_nope"}));
    assert_eq!(missing.error_code(), (404, "INVALID_REQUEST".into(), "NOT_FOUND".into()));

    let page = call(&sim, "list", json!({"client_user_id": "u", "template_id": TEMPLATE})).json();
    let mut listed: Vec<String> = page["identity_verifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), simulator::LIST_PAGE);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let page =
        call(&sim, "list", json!({"client_user_id": "u", "template_id": TEMPLATE, "cursor": cursor})).json();
    listed.extend(
        page["identity_verifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned()),
    );
    assert!(page["next_cursor"].is_null());
    assert_eq!(listed, ids);
    let other = call(&sim, "list", json!({"client_user_id": "someone-else", "template_id": TEMPLATE})).json();
    assert_eq!(other["identity_verifications"], json!([]));
    let bad =
        call(&sim, "list", json!({"client_user_id": "u", "template_id": TEMPLATE, "cursor": "nonsense"}));
    assert_eq!(bad.error_code().2, "INVALID_FIELD");
}

// ---------------------------------------------------------------- retry strategies

#[test]
fn retry_needs_a_prior_attempt() {
    let sim = new_sim();
    let answer = call(&sim, "retry", retry("nobody", "reset"));
    assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INVALID_FIELD".into()));
    sim.seed_attempt("nobody", "idvtmp_other", Status::Failed, None);
    let answer = call(&sim, "retry", retry("nobody", "reset"));
    assert_eq!(answer.error_code().2, "INVALID_FIELD", "attempts are per template");
    assert_eq!(sim.session_count("nobody", TEMPLATE), 0);
}

#[test]
fn reset_starts_over_with_a_new_attempt() {
    let sim = new_sim();
    let first = sim.seed_attempt("u", TEMPLATE, Status::Failed, Some(Step::KycCheck));
    let body = call(&sim, "retry", retry("u", "reset")).json();
    assert_ne!(body["id"], first);
    assert!(body["id"].as_str().unwrap().starts_with("idv_"));
    assert_eq!(body["previous_attempt_id"], first);
    assert_eq!(body["client_user_id"], "u");
    assert_eq!(body["template"]["id"], TEMPLATE);
    assert_eq!(step(&body, "accept_tos"), "active");
    assert_eq!(step(&body, "verify_sms"), "waiting_for_prerequisite");
    assert_eq!(step(&body, "selfie_check"), "not_applicable");
    assert_eq!(body["status"], "active");
    let created_at = body["created_at"].as_str().unwrap();
    assert!(
        created_at.len() == 20 && created_at.ends_with('Z') && &created_at[10..11] == "T",
        "{created_at}"
    );
    assert!(
        body["user"]["name"].is_null() && body["user"]["ip_address"].is_null(),
        "retries start without PII"
    );
    assert_eq!(sim.attempts("u", TEMPLATE)[1].strategy, Some(Strategy::Reset));

    let with_user = call(&sim, "retry", retry_as_leslie("reset")).json();
    assert_eq!(with_user["status"], "active");
    assert_eq!(with_user["user"]["name"]["family_name"], "Knope", "the data given prefills the session");
    assert_eq!(sim.session_count("u", TEMPLATE), 3);
    assert_eq!(sim.attempts("u", TEMPLATE)[1].status, Status::Canceled, "superseded while active");
}

#[test]
fn incomplete_skips_passed_steps_and_starts_at_the_failed_one() {
    let sim = new_sim();
    sim.seed_attempt("u", TEMPLATE, Status::Failed, Some(Step::KycCheck));
    let body = call(&sim, "retry", retry("u", "incomplete")).json();
    assert_eq!(step(&body, "accept_tos"), "skipped");
    assert_eq!(step(&body, "verify_sms"), "skipped");
    assert_eq!(step(&body, "kyc_check"), "active");
    assert_eq!(step(&body, "risk_check"), "waiting_for_prerequisite");

    let again = call(&sim, "retry", retry_as_leslie("incomplete")).json();
    assert_eq!(step(&again, "kyc_check"), "active", "the canceled session failed nothing: it resumes");
    let passed = complete(&sim, &again["id"], json!({"outcome": "success"}));
    assert_eq!(passed["status"], "success");
    assert_eq!(step(&passed, "kyc_check"), "success");
}

#[test]
fn incomplete_is_refused_when_screening_or_risk_check_failed() {
    for failing in [Step::WatchlistScreening, Step::RiskCheck] {
        let sim = new_sim();
        sim.seed_attempt("u", TEMPLATE, Status::Failed, Some(failing));
        let answer = call(&sim, "retry", retry("u", "incomplete"));
        assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INVALID_FIELD".into()));
        assert!(answer.text.contains(failing.as_str()), "{}", answer.text);
        assert_eq!(sim.session_count("u", TEMPLATE), 1, "a refused retry creates no session");
        assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 200, "reset still works");
    }
}

#[test]
fn infer_is_refused_while_active_and_otherwise_picks_a_strategy() {
    let sim = new_sim();
    sim.seed_attempt("active", TEMPLATE, Status::Active, None);
    let answer = call(&sim, "retry", retry("active", "infer"));
    assert_eq!(answer.error_code().2, "INVALID_FIELD");
    assert!(answer.text.contains("active"));

    for (status, at, expected) in [
        (Status::Failed, Step::KycCheck, Strategy::Incomplete),
        (Status::Expired, Step::VerifySms, Strategy::Incomplete),
        (Status::Canceled, Step::VerifySms, Strategy::Incomplete),
        (Status::Success, Step::KycCheck, Strategy::Reset),
        (Status::PendingReview, Step::KycCheck, Strategy::Reset),
        (Status::Failed, Step::RiskCheck, Strategy::Reset),
        (Status::Failed, Step::WatchlistScreening, Strategy::Reset),
    ] {
        let user = format!("{status}-{at}");
        sim.seed_attempt(&user, TEMPLATE, status, Some(at));
        let answer = call(&sim, "retry", retry(&user, "infer"));
        assert_eq!(answer.status, 200, "{user}: {}", answer.text);
        assert_eq!(sim.attempts(&user, TEMPLATE)[1].strategy, Some(expected), "{user}");
        let first_step = if expected == Strategy::Reset { "accept_tos" } else { at.as_str() };
        assert_eq!(step(&answer.json(), first_step), "active", "{user}");
    }
}

#[test]
fn custom_requires_steps_and_other_strategies_forbid_them() {
    let sim = seeded();
    let answer = call(&sim, "retry", retry("u", "custom"));
    assert_eq!(answer.error_code().2, "INVALID_FIELD");
    assert!(answer.text.contains("steps"));
    let all = json!({"verify_sms": true, "kyc_check": true, "documentary_verification": true, "selfie_check": true});
    for strategy in ["reset", "incomplete", "infer"] {
        let answer = call(
            &sim,
            "retry",
            json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": strategy, "steps": all}),
        );
        assert_eq!(answer.error_code().2, "INVALID_FIELD", "{strategy}");
    }
    let answer = call(
        &sim,
        "retry",
        json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "reset", "steps": null}),
    );
    assert_eq!(answer.status, 200, "steps may be null");
    let partial = json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "custom", "steps": {"verify_sms": true}});
    let answer = call(&sim, "retry", partial);
    assert_eq!(answer.error_code().2, "MISSING_FIELDS");
    assert!(answer.text.contains("steps.kyc_check"));
    assert_eq!(sim.session_count("u", TEMPLATE), 2);
}

#[test]
fn custom_steps_decide_what_runs_and_selfies_never_do() {
    let sim = seeded();
    let custom = |steps: Value, user: Option<Value>| {
        let mut body =
            json!({"client_user_id": "u", "template_id": TEMPLATE, "strategy": "custom", "steps": steps});
        if let Some(user) = user {
            body["user"] = user;
        }
        call(&sim, "retry", body).json()
    };
    let body = custom(
        json!({"verify_sms": false, "kyc_check": false, "documentary_verification": true, "selfie_check": true}),
        Some(leslie()),
    );
    assert_eq!(step(&body, "verify_sms"), "skipped");
    assert_eq!(step(&body, "kyc_check"), "skipped");
    assert_eq!(step(&body, "documentary_verification"), "waiting_for_prerequisite");
    let body = complete(&sim, &body["id"], json!({"outcome": "success"}));
    assert_eq!(step(&body, "documentary_verification"), "success");
    assert_eq!(step(&body, "selfie_check"), "not_applicable", "silently disabled as on Plaid's sandbox");
    assert!(body["selfie_check"].is_null());
    assert_eq!(
        body["documentary_verification"]["documents"][0]["analysis"]["extracted_data"]["name"],
        "match"
    );
    assert_eq!(body["status"], "success");
    assert!(body["kyc_check"].is_null());

    let body = custom(
        json!({"verify_sms": true, "kyc_check": true, "documentary_verification": false, "selfie_check": false}),
        None,
    );
    assert_eq!(
        steps(&body),
        [
            ("accept_tos", "active"),
            ("verify_sms", "waiting_for_prerequisite"),
            ("kyc_check", "waiting_for_prerequisite"),
            ("documentary_verification", "skipped"),
            ("selfie_check", "skipped"),
            ("watchlist_screening", "waiting_for_prerequisite"),
            ("risk_check", "waiting_for_prerequisite"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}

#[test]
fn shareable_url_follows_is_shareable_or_the_previous_attempt() {
    let sim = new_sim();
    let created =
        call(&sim, "create", json!({"client_user_id": "u", "template_id": TEMPLATE, "is_shareable": false}))
            .json();
    assert!(created["shareable_url"].is_null());
    let inherited = call(&sim, "retry", retry("u", "reset")).json();
    assert!(inherited["shareable_url"].is_null(), "omitted is_shareable keeps the original setting");
    let mut body = retry("u", "reset");
    body["is_shareable"] = json!(true);
    let shared = call(&sim, "retry", body).json();
    let url = shared["shareable_url"].as_str().unwrap();
    assert!(url.contains(shared["id"].as_str().unwrap()));
    assert!(call(&sim, "retry", retry("u", "reset")).json()["shareable_url"].is_string());
}

#[test]
fn concurrent_retries_chain_without_losing_or_duplicating_attempts() {
    let sim = new_sim();
    let first = sim.seed_attempt("u", TEMPLATE, Status::Failed, None);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 200);
                }
            });
        }
    });
    let attempts = sim.attempts("u", TEMPLATE);
    assert_eq!(attempts.len(), 201);
    assert_eq!(attempts[1].previous_attempt_id.as_deref(), Some(first.as_str()));
    for pair in attempts.windows(2) {
        assert_eq!(
            pair[1].previous_attempt_id.as_ref(),
            Some(&pair[0].id),
            "each retry follows the one before"
        );
    }
}

// ---------------------------------------------------------------- rate limit

#[test]
fn the_rate_limit_refuses_with_429_and_records_nothing() {
    let sim = seeded_simulator(
        SimulatorConfig { rate_limit_per_minute: 3, ..simulator_config() },
        &[("u", TEMPLATE)],
    );
    for _ in 0..3 {
        assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 200);
    }
    let answer = call(&sim, "retry", retry("u", "reset"));
    assert_eq!(answer.error_code(), (429, "RATE_LIMIT_EXCEEDED".into(), "RATE_LIMIT".into()));
    let answer = call(&sim, "list", json!({"client_user_id": "u", "template_id": TEMPLATE}));
    assert_eq!(answer.status, 429, "the limit spans every endpoint");
    assert_eq!(sim.session_count("u", TEMPLATE), 4);
}

#[test]
fn the_default_rate_limit_is_plaids_sandbox_limit_and_zero_turns_it_off() {
    let sim = sim_with(SimulatorConfig::default());
    let seeded = sim.seed_attempt("u", TEMPLATE, Status::Failed, None);
    let started = Instant::now();
    let admitted = (0..200)
        .take_while(|_| call(&sim, "get", json!({"identity_verification_id": seeded})).status == 200)
        .count();
    // A minute's worth at once, plus whatever refilled (one a second) while a slow machine sent them.
    let refilled = started.elapsed().as_secs() as usize + 1;
    assert!((60..=60 + refilled).contains(&admitted), "{admitted} admitted in {:?}", started.elapsed());

    let off = new_sim();
    let seeded = off.seed_attempt("u", TEMPLATE, Status::Failed, None);
    assert!((0..150).all(|_| call(&off, "get", json!({"identity_verification_id": seeded})).status == 200));
}

// ---------------------------------------------------------------- faults

fn fault(sim: &Simulator, faults: &str) -> Result<Answer, ureq::Error> {
    let headers: Vec<_> = AUTH.iter().copied().chain([("X-Sim-Fault", faults)]).collect();
    send_raw(sim, "/identity_verification/retry", &headers, &retry("u", "reset").to_string())
}

/// A simulator holding a failed attempt for user `u`, to retry.
fn seeded() -> Simulator {
    seeded_simulator(simulator_config(), &[("u", TEMPLATE)])
}

#[test]
fn fault_status_answers_plaids_error_and_records_nothing() {
    let sim = seeded();
    let answer = fault(&sim, "status=503").unwrap();
    assert_eq!(answer.error_code(), (503, "API_ERROR".into(), "PLANNED_MAINTENANCE".into()));
    let answer = fault(&sim, "status=500").unwrap();
    assert_eq!(answer.error_code(), (500, "API_ERROR".into(), "INTERNAL_SERVER_ERROR".into()));
    let answer = fault(&sim, "status=429").unwrap();
    assert_eq!(answer.error_code(), (429, "RATE_LIMIT_EXCEEDED".into(), "RATE_LIMIT".into()));
    assert_eq!(sim.session_count("u", TEMPLATE), 1);
}

#[test]
fn fault_status_after_record_answers_an_error_though_the_session_exists() {
    let sim = seeded();
    let answer = fault(&sim, "status_after_record=500").unwrap();
    assert_eq!(answer.error_code(), (500, "API_ERROR".into(), "INTERNAL_SERVER_ERROR".into()));
    assert_eq!(sim.session_count("u", TEMPLATE), 2);
}

#[test]
fn fault_html502_answers_a_load_balancer_page() {
    let sim = seeded();
    let answer = fault(&sim, "html502").unwrap();
    assert_eq!(answer.status, 502);
    assert!(answer.content_type.starts_with("text/html"));
    assert!(answer.text.contains("502 Bad Gateway") && serde_json::from_str::<Value>(&answer.text).is_err());
    assert_eq!(sim.session_count("u", TEMPLATE), 1);
}

#[test]
fn fault_rate_limit_burst_refuses_the_next_requests() {
    let sim = seeded();
    assert_eq!(fault(&sim, "rate_limit_burst=3").unwrap().error_code().2, "RATE_LIMIT");
    assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 429);
    assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 429);
    assert_eq!(call(&sim, "retry", retry("u", "reset")).status, 200);
    assert_eq!(sim.session_count("u", TEMPLATE), 2);
}

/// Sends a retry over a raw socket and returns every byte the server sent before closing.
fn raw_exchange(sim: &Simulator, faults: &str) -> Vec<u8> {
    let body = retry("u", "reset").to_string();
    let request = format!(
        "POST /identity_verification/retry HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         PLAID-CLIENT-ID: sim-client-id\r\nPLAID-SECRET: sim-secret\r\nX-Sim-Fault: {faults}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.addr(),
        body.len()
    );
    let mut stream = TcpStream::connect(sim.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading: {e}"),
        }
    }
    received
}

#[test]
fn fault_drop_after_record_closes_without_a_response_after_recording() {
    let sim = seeded();
    let error = fault(&sim, "drop_after_record").expect_err("no HTTP answer at all");
    assert!(!matches!(error, ureq::Error::StatusCode(_)), "a dropped connection, not a status: {error:?}");
    assert_eq!(sim.session_count("u", TEMPLATE), 2, "the session was created before the drop");

    let received = raw_exchange(&sim, "drop_after_record");
    assert!(received.is_empty(), "not one byte: {:?}", String::from_utf8_lossy(&received));
    assert_eq!(sim.session_count("u", TEMPLATE), 3);
}

#[test]
fn fault_truncate_sends_half_the_body_then_closes() {
    let sim = seeded();
    let received = raw_exchange(&sim, "truncate");
    let text = String::from_utf8_lossy(&received).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("headers were sent");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    assert_eq!(body.len(), length / 2, "half of {length}");
    assert!(fault(&sim, "truncate").is_err(), "a client sees an incomplete body");
    assert_eq!(sim.session_count("u", TEMPLATE), 3);
}

#[test]
fn fault_latency_holds_the_response() {
    let sim = seeded();
    let answer = fault(&sim, "latency=300ms").unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.elapsed >= Duration::from_millis(300), "{:?}", answer.elapsed);
    assert_eq!(sim.session_count("u", TEMPLATE), 2);
}

#[test]
fn fault_slow_drip_sends_the_body_at_the_given_rate() {
    let sim = seeded();
    let plain = fault(&sim, "").unwrap();
    let rate = 4000;
    let answer = fault(&sim, &format!("slow_drip={rate}")).unwrap();
    assert_eq!(answer.status, 200);
    let _ = answer.json();
    let expected = Duration::from_secs_f64(plain.text.len() as f64 / f64::from(rate));
    assert!(answer.elapsed >= expected.mul_f64(0.8), "{:?} for {} bytes", answer.elapsed, answer.text.len());
}

#[test]
fn fault_hang_sends_nothing_and_records_nothing() {
    let sim = seeded();
    let started = Instant::now();
    let error = http_agent(Duration::from_millis(400))
        .post(format!("{}/identity_verification/retry", sim.url()))
        .header("X-Sim-Fault", "hang=5s")
        .send(retry("u", "reset").to_string())
        .expect_err("no answer");
    assert!(matches!(error, ureq::Error::Timeout(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let started = Instant::now();
    let error = fault(&sim, "hang=300ms").expect_err("closed without an answer");
    assert!(!matches!(error, ureq::Error::StatusCode(_)));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sim.session_count("u", TEMPLATE), 1);
    let dropped = Instant::now();
    drop(sim);
    assert!(dropped.elapsed() < Duration::from_secs(3), "a hanging request does not hold up shutdown");
}

#[test]
fn fault_oversize_pads_the_body() {
    let sim = seeded();
    let answer = fault(&sim, "oversize=200000").unwrap();
    assert_eq!(answer.status, 200);
    assert!(answer.text.len() >= 200_000);
    assert_eq!(answer.json()["client_user_id"], "u", "still valid JSON");
}

#[test]
fn faults_combine_and_bad_fault_headers_are_refused() {
    let sim = seeded();
    let answer = fault(&sim, "latency=100ms, oversize=5000").unwrap();
    assert!(answer.elapsed >= Duration::from_millis(100) && answer.text.len() >= 5000);
    let answer = fault(&sim, "explode").unwrap();
    assert_eq!(answer.error_code(), (400, "INVALID_REQUEST".into(), "INVALID_HEADERS".into()));
    assert!(answer.text.contains("explode"));
}

#[test]
fn server_faults_apply_to_the_first_requests_or_to_every_one() {
    let first = seeded_simulator(
        SimulatorConfig { faults: Faults::first(2, "status=503".parse().unwrap()), ..simulator_config() },
        &[("u", TEMPLATE)],
    );
    let statuses: Vec<u16> = (0..3).map(|_| call(&first, "retry", retry("u", "reset")).status).collect();
    assert_eq!(statuses, [503, 503, 200]);

    let scripted = seeded_simulator(
        SimulatorConfig {
            faults: Faults::script(vec!["drop_after_record".parse().unwrap(), FaultSet::default()]),
            ..simulator_config()
        },
        &[("u", TEMPLATE)],
    );
    assert!(
        send_raw(&scripted, "/identity_verification/retry", &AUTH, &retry("u", "reset").to_string()).is_err()
    );
    assert_eq!(call(&scripted, "retry", retry("u", "reset")).status, 200);
    assert_eq!(scripted.session_count("u", TEMPLATE), 3);
    assert_eq!(scripted.request_count(), 2);

    let every =
        sim_with(SimulatorConfig { faults: Faults::every("html502".parse().unwrap()), ..simulator_config() });
    assert!((0..3).all(|_| call(&every, "retry", retry("u", "reset")).status == 502));
}

#[test]
fn incomplete_resumes_at_a_fallback_step_that_failed() {
    let sim = new_sim();
    sim.seed_attempt("u", TEMPLATE, Status::Failed, Some(Step::DocumentaryVerification));
    let body = call(&sim, "retry", retry("u", "incomplete")).json();
    assert_eq!(step(&body, "kyc_check"), "skipped");
    assert_eq!(step(&body, "documentary_verification"), "active");
    let body = call(&sim, "retry", retry_as_leslie("reset")).json();
    assert_eq!(step(&body, "documentary_verification"), "not_applicable", "reset follows the template");
}

#[test]
fn refusals_take_latency_and_delivery_faults_too() {
    let sim = seeded();
    let answer = fault(&sim, "latency=200ms, status=503").unwrap();
    assert_eq!(answer.status, 503);
    assert!(answer.elapsed >= Duration::from_millis(200));
    let received = raw_exchange(&sim, "html502, drop_after_record");
    assert!(received.is_empty());
    assert_eq!(sim.session_count("u", TEMPLATE), 1);
}

#[test]
fn the_config_never_shows_its_secret() {
    let config = SimulatorConfig { secret: SECRET_CANARY.into(), ..SimulatorConfig::default() };
    assert!(!format!("{config:?}").contains(SECRET_CANARY));
}
