//! `PlaidKeys` against a loopback server playing Plaid's `/webhook_verification_key/get`.

use plaid_idv_test_support::{Reply, Server, CANARY_SECRET};
use plaid_idv_webhook::{KeySource, PlaidKeys};
use serde_json::json;

#[test]
fn asks_plaid_for_the_key_by_id_with_the_credentials_as_headers() {
    let server = Server::start(|request| match request.json()["key_id"].as_str() {
        Some("kid-1") => Reply::json(
            200,
            &json!({"key": {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "kid-1",
                            "x": "eA", "y": "eQ", "created_at": 1_700_000_000, "expired_at": null},
                    "request_id": "r1"}),
        ),
        _ => Reply::json(
            400,
            &json!({"error_type": "INVALID_INPUT", "error_code": "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
                    "error_message": "CANARY-echo", "display_message": null, "request_id": "r2"}),
        ),
    });
    let keys = PlaidKeys::new(&server.url(), "client-1", CANARY_SECRET).unwrap();
    let jwk = keys.fetch("kid-1").unwrap();
    assert_eq!((jwk.kid.as_str(), jwk.crv.as_str(), jwk.expired_at), ("kid-1", "P-256", None));
    let request = &server.requests()[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/webhook_verification_key/get"));
    assert_eq!(request.header("plaid-client-id"), Some("client-1"));
    assert_eq!(request.header("plaid-secret"), Some(CANARY_SECRET));
    assert_eq!(request.header("plaid-version"), Some("2020-09-14"));

    let refused = keys.fetch("kid-2").unwrap_err();
    assert!(!refused.unavailable, "Plaid's 4xx about a key is a refusal, not a reason of the moment");
    let refused = refused.to_string();
    assert!(
        refused.contains("HTTP 400") && refused.contains("INVALID_WEBHOOK_VERIFICATION_KEY_ID"),
        "{refused}"
    );
    assert!(!refused.contains("CANARY"), "{refused}");
}

#[test]
fn a_server_that_answers_nonsense_or_nothing_is_an_error_naming_neither_secret_nor_body() {
    let server = Server::start(|_| Reply::json(200, &json!({"not": "a key", "secret": CANARY_SECRET})));
    let keys = PlaidKeys::new(&server.url(), "client-1", CANARY_SECRET).unwrap();
    let error = keys.fetch("kid-1").unwrap_err();
    assert!(error.unavailable, "{error}");
    let error = error.to_string();
    assert!(error.contains("not Plaid's key document") && !error.contains("CANARY"), "{error}");
    let gone = PlaidKeys::new(&plaid_idv_test_support::refused_url(), "client-1", CANARY_SECRET).unwrap();
    let error = gone.fetch("kid-1").unwrap_err();
    assert!(error.unavailable, "{error}");
    let error = error.to_string();
    assert!(error.contains("failed") && !error.contains("CANARY"), "{error}");
    // Plaid's own trouble: the same key may be had later.
    let troubled = Server::start(|_| Reply::json(503, &json!({"error_code": "INTERNAL_SERVER_ERROR"})));
    let keys = PlaidKeys::new(&troubled.url(), "client-1", CANARY_SECRET).unwrap();
    let error = keys.fetch("kid-1").unwrap_err();
    assert!(error.unavailable && error.cause.contains("HTTP 503"), "{error}");
}
