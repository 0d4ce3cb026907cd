//! The verifier against tokens made here as Plaid makes them (ES256 over a P-256 key, `kid`, `iat`,
//! `request_body_sha256`) and against the forgeries Plaid's procedure exists to stop.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use plaid_idv_webhook::{Jwk, KeyError, KeySource, Refusal, Verifier};
use ring::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use serde_json::json;

const BODY: &str = r#"{"webhook_type": "IDENTITY_VERIFICATION", "webhook_code": "STATUS_UPDATED", "identity_verification_id": "idv_52xR9LKo77r1Np", "environment": "sandbox"}"#;

/// A signing key as Plaid holds one, and its public half as the key endpoint answers it.
struct SigningKey {
    pkcs8: Vec<u8>,
    jwk: Jwk,
}

impl SigningKey {
    fn new(kid: &str) -> SigningKey {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap().as_ref().to_vec();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = serde_json::from_value(json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            "created_at": 1_700_000_000, "expired_at": null,
        }))
        .unwrap();
        SigningKey { pkcs8, jwk }
    }

    /// The `Plaid-Verification` value for `body` issued at `iat`.
    fn sign(&self, body: &[u8], iat: i64) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.jwk.kid.clone());
        let claims = json!({"iat": iat, "request_body_sha256": sha256_hex(body)});
        encode(&header, &claims, &EncodingKey::from_ec_der(&self.pkcs8)).unwrap()
    }
}

fn sha256_hex(body: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, body).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> (SystemTime, i64) {
    let t = SystemTime::now();
    (t, t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64)
}

/// Keys by id, counting how often the verifier asks.
#[derive(Default)]
struct Keys {
    by_id: HashMap<String, Jwk>,
    fetches: AtomicUsize,
}

impl KeySource for &Keys {
    fn fetch(&self, kid: &str) -> Result<Jwk, KeyError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        self.by_id
            .get(kid)
            .cloned()
            .ok_or_else(|| KeyError::refused("Plaid refused the key request: HTTP 400"))
    }
}

fn keys(of: &[&SigningKey]) -> Keys {
    Keys { by_id: of.iter().map(|k| (k.jwk.kid.clone(), k.jwk.clone())).collect(), ..Keys::default() }
}

/// An unsigned token in JWS compact form with this header and the claims for `body` at `iat`.
fn forged(header: serde_json::Value, body: &[u8], iat: i64, signature: &str) -> String {
    let claims = json!({"iat": iat, "request_body_sha256": sha256_hex(body)});
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn a_webhook_signed_as_plaid_signs_is_accepted_and_read() {
    let key = SigningKey::new("kid-1");
    let keys = keys(&[&key]);
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    let webhook = verifier.verify(Some(&key.sign(BODY.as_bytes(), secs)), BODY.as_bytes(), t).unwrap();
    assert_eq!(webhook.webhook_code, "STATUS_UPDATED");
    assert_eq!(webhook.identity_verification_id, "idv_52xR9LKo77r1Np");
    assert!(webhook.is_identity_verification());
    // Four minutes old or four ahead: still within five.
    for iat in [secs - 240, secs + 240] {
        assert!(verifier.verify(Some(&key.sign(BODY.as_bytes(), iat)), BODY.as_bytes(), t).is_ok());
    }
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 1, "the key is fetched once, then cached");
}

#[test]
fn alg_none_and_hmac_tokens_are_refused_for_their_algorithm() {
    let key = SigningKey::new("kid-1");
    let keys = keys(&[&key]);
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    let body = BODY.as_bytes();
    let none = forged(json!({"alg": "none", "kid": "kid-1", "typ": "JWT"}), body, secs, "");
    assert_eq!(verifier.verify(Some(&none), body, t), Err(Refusal::Algorithm("none".into())));
    // Key confusion: HS256 "signed" with the public key's coordinates as the HMAC secret.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("kid-1".into());
    let claims = json!({"iat": secs, "request_body_sha256": sha256_hex(body)});
    let hmac = encode(&header, &claims, &EncodingKey::from_secret(key.jwk.x.as_bytes())).unwrap();
    assert_eq!(verifier.verify(Some(&hmac), body, t), Err(Refusal::Algorithm("HS256".into())));
    for alg in ["ES384", "RS256", "es256", ""] {
        let token = forged(json!({"alg": alg, "kid": "kid-1"}), body, secs, "c2ln");
        assert!(matches!(verifier.verify(Some(&token), body, t), Err(Refusal::Algorithm(_))), "{alg}");
    }
    let no_alg = forged(json!({"kid": "kid-1"}), body, secs, "c2ln");
    assert!(matches!(verifier.verify(Some(&no_alg), body, t), Err(Refusal::Algorithm(_))));
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 0, "no key is asked for on a refused algorithm");
}

#[test]
fn another_key_a_stale_token_and_an_altered_body_are_refused() {
    let (plaid, impostor) = (SigningKey::new("kid-1"), SigningKey::new("kid-1"));
    let keys = keys(&[&plaid]);
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    let body = BODY.as_bytes();
    // Signed by a key that is not Plaid's, under Plaid's key id.
    assert_eq!(verifier.verify(Some(&impostor.sign(body, secs)), body, t), Err(Refusal::Signature));
    // Issued more than five minutes before now, or after.
    for iat in [secs - 301, secs + 301] {
        let token = plaid.sign(body, iat);
        assert!(matches!(verifier.verify(Some(&token), body, t), Err(Refusal::Stale { .. })), "iat {iat}");
    }
    // A replay of a genuine token is stale once five minutes have passed.
    let genuine = plaid.sign(body, secs);
    let later = t + Duration::from_secs(301);
    assert!(matches!(verifier.verify(Some(&genuine), body, later), Err(Refusal::Stale { .. })));
    // The body changed after signing: one byte, or whitespace only.
    let altered = BODY.replace("STATUS_UPDATED", "STEP_UPDATED");
    assert_eq!(verifier.verify(Some(&genuine), altered.as_bytes(), t), Err(Refusal::BodyAltered));
    let reformatted =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(BODY).unwrap()).unwrap();
    assert_eq!(verifier.verify(Some(&genuine), reformatted.as_bytes(), t), Err(Refusal::BodyAltered));
    // A claim tampered to match an altered body breaks the signature.
    let parts: Vec<&str> = genuine.split('.').collect();
    let claims = json!({"iat": secs, "request_body_sha256": sha256_hex(altered.as_bytes())});
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2]);
    assert_eq!(verifier.verify(Some(&tampered), altered.as_bytes(), t), Err(Refusal::Signature));
}

#[test]
fn unknown_and_expired_keys_are_refused() {
    let key = SigningKey::new("kid-1");
    let mut expired = SigningKey::new("kid-old");
    expired.jwk.expired_at = Some(1_700_000_100);
    let keys = keys(&[&key, &expired]);
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    let body = BODY.as_bytes();
    let stranger = SigningKey::new("kid-unknown");
    let refused = verifier.verify(Some(&stranger.sign(body, secs)), body, t).unwrap_err();
    assert!(matches!(&refused, Refusal::Key { kid, .. } if kid == "kid-unknown"), "{refused}");
    assert_eq!(
        verifier.verify(Some(&expired.sign(body, secs)), body, t),
        Err(Refusal::KeyExpired { kid: "kid-old".into() })
    );
}

#[test]
fn malformed_headers_and_bodies_are_refused_without_quoting_them() {
    let key = SigningKey::new("kid-1");
    let keys = keys(&[&key]);
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    let body = BODY.as_bytes();
    assert_eq!(verifier.verify(None, body, t), Err(Refusal::MissingSignature));
    assert_eq!(verifier.verify(Some("  "), body, t), Err(Refusal::MissingSignature));
    let canary = "CANARY-token-9f2c";
    for token in [canary.to_owned(), format!("{canary}.a.b"), "a.b.c.d".into(), "x".repeat(10_000)] {
        let refusal = verifier.verify(Some(&token), body, t).unwrap_err();
        assert!(matches!(refusal, Refusal::Malformed(_)), "{token:.40}: {refusal}");
        assert!(!refusal.to_string().contains(canary));
    }
    let no_kid = forged(json!({"alg": "ES256"}), body, secs, "c2ln");
    assert!(matches!(verifier.verify(Some(&no_kid), body, t), Err(Refusal::Malformed(_))));
    let huge = vec![b' '; plaid_idv_webhook::MAX_BODY_BYTES + 1];
    assert_eq!(verifier.verify(Some(&key.sign(&huge, secs)), &huge, t), Err(Refusal::TooLarge));
    // Signed, but not a webhook: refused after verification, never read as one.
    let other = br#"{"CANARY-field": 1}"#;
    let refusal = verifier.verify(Some(&key.sign(other, secs)), other, t).unwrap_err();
    assert_eq!(refusal, Refusal::NotAWebhook);
    assert!(!refusal.to_string().contains("CANARY"));
}

#[test]
fn made_up_key_ids_do_not_grow_the_cache_without_bound() {
    let keys = Keys::default();
    let verifier = Verifier::new(&keys);
    let (t, secs) = now();
    for i in 0..200 {
        let token =
            forged(json!({"alg": "ES256", "kid": format!("made-up-{i}")}), BODY.as_bytes(), secs, "c2ln");
        assert!(matches!(verifier.verify(Some(&token), BODY.as_bytes(), t), Err(Refusal::Key { .. })));
    }
    assert_eq!(keys.fetches.load(Ordering::SeqCst), 200, "an unknown key id is asked for each time");
}
