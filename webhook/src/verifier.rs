//! The verification procedure, and why a webhook was refused.

use std::{
    collections::HashMap,
    fmt,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::{
    keys::{bounded, Jwk, KeyError, KeySource},
    Webhook,
};

/// Plaid: reject a webhook whose token was issued more than five minutes ago. A token from as far
/// in the future (a sender's clock run ahead) is refused too.
pub const MAX_AGE: Duration = Duration::from_secs(5 * 60);
/// A webhook body is under a kilobyte; a receiver reads no more than this before verifying.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Fetched keys are asked for again after this long, so a key Plaid expires is noticed.
const KEY_TTL: Duration = Duration::from_secs(60 * 60);
/// A token is three base64url parts; Plaid's are a few hundred bytes.
const MAX_TOKEN_BYTES: usize = 4096;
/// At most this many keys are kept: Plaid rotates rarely, and a flood of made-up key ids must not
/// grow the cache (nor reach Plaid more than once each).
const MAX_KEYS: usize = 32;

/// Why a webhook was not accepted: each variant one sentence, quoting at most a bounded key id or
/// algorithm name, never a token, a body or a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Plaid-Verification` header.
    MissingSignature,
    /// The header is not a JWT this verifier can read (shape, encoding, size, missing `kid`).
    Malformed(&'static str),
    /// The token names an algorithm other than ES256 (`none`, `HS256`, …).
    Algorithm(String),
    /// The key source does not know the key, or could not be asked (`unavailable`: for a reason
    /// of the moment, so the sender should send the webhook again).
    Key { kid: String, cause: String, unavailable: bool },
    /// Plaid has expired the key: it signs nothing new.
    KeyExpired { kid: String },
    /// The signature does not verify with the key.
    Signature,
    /// The token's `iat` is more than [`MAX_AGE`] from now.
    Stale { age_seconds: i64 },
    /// The body is not the one signed: its SHA-256 differs from the claim.
    BodyAltered,
    /// The body is larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// Signed, but not a webhook body (not JSON, or a field missing).
    NotAWebhook,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::MissingSignature => f.write_str("no Plaid-Verification header"),
            Refusal::Malformed(what) => write!(f, "the Plaid-Verification token is malformed: {what}"),
            Refusal::Algorithm(alg) => write!(f, "the token's algorithm is {alg:?}, not ES256"),
            Refusal::Key { kid, cause, .. } => write!(f, "no verification key {kid:?}: {cause}"),
            Refusal::KeyExpired { kid } => write!(f, "verification key {kid:?} has expired"),
            Refusal::Signature => f.write_str("the signature does not verify"),
            Refusal::Stale { age_seconds } => {
                write!(
                    f,
                    "the token was issued {age_seconds} s from now (at most {} s allowed)",
                    MAX_AGE.as_secs()
                )
            }
            Refusal::BodyAltered => f.write_str("the body's SHA-256 is not the one signed"),
            Refusal::TooLarge => write!(f, "the body is over {MAX_BODY_BYTES} bytes"),
            Refusal::NotAWebhook => f.write_str("the signed body is not an Identity Verification webhook"),
        }
    }
}

impl std::error::Error for Refusal {}

/// A key that was had but cannot verify anything: a refusal, not a reason of the moment.
fn refused_key(kid: &str, cause: &str) -> Refusal {
    Refusal::Key { kid: bounded(kid), cause: cause.to_owned(), unavailable: false }
}

/// Verifies webhooks with keys from `K`, caching them by `kid`. Shared by every request thread.
pub struct Verifier<K: KeySource> {
    source: K,
    keys: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    jwk: Jwk,
    fetched: SystemTime,
}

/// The claims Plaid puts in the token.
#[derive(Deserialize)]
struct Claims {
    iat: i64,
    request_body_sha256: String,
}

impl<K: KeySource> Verifier<K> {
    pub fn new(source: K) -> Self {
        Verifier { source, keys: Mutex::new(HashMap::new()) }
    }

    /// The webhook `body` (the bytes exactly as received), if `signature` (the `Plaid-Verification`
    /// header's value) proves Plaid sent it at most [`MAX_AGE`] before `now`.
    pub fn verify(&self, signature: Option<&str>, body: &[u8], now: SystemTime) -> Result<Webhook, Refusal> {
        if body.len() > MAX_BODY_BYTES {
            return Err(Refusal::TooLarge);
        }
        let token = signature.map(str::trim).filter(|t| !t.is_empty()).ok_or(Refusal::MissingSignature)?;
        let kid = checked_header(token)?;
        let jwk = self.key(&kid, now)?;
        if jwk.expired_at.is_some() {
            return Err(Refusal::KeyExpired { kid: bounded(&kid) });
        }
        if jwk.kty != "EC" || jwk.crv != "P-256" || jwk.alg.as_deref().is_some_and(|a| a != "ES256") {
            return Err(refused_key(&kid, "not an EC P-256 ES256 key"));
        }
        let key = DecodingKey::from_ec_components(&jwk.x, &jwk.y)
            .map_err(|_| refused_key(&kid, "its coordinates are not base64url"))?;
        let mut validation = Validation::new(Algorithm::ES256);
        // Plaid's tokens carry `iat` and the body hash only: no `exp`, `aud` or `iss` to check;
        // the age is checked below, against `iat`.
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature
                | jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
                | jsonwebtoken::errors::ErrorKind::Crypto(_) => Refusal::Signature,
                _ => Refusal::Malformed("its claims are not iat and request_body_sha256"),
            })?
            .claims;
        let now_seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let age = now_seconds.saturating_sub(claims.iat);
        if age.unsigned_abs() > MAX_AGE.as_secs() {
            return Err(Refusal::Stale { age_seconds: age });
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, body);
        let claimed = decode_hex(&claims.request_body_sha256).ok_or(Refusal::BodyAltered)?;
        if !bool::from(digest.as_ref().ct_eq(&claimed)) {
            return Err(Refusal::BodyAltered);
        }
        serde_json::from_slice::<Webhook>(body).map_err(|_| Refusal::NotAWebhook)
    }

    /// The key for `kid`: cached while fresh, else from the source (Plaid recommends asking again
    /// for a key id the cache does not know).
    fn key(&self, kid: &str, now: SystemTime) -> Result<Jwk, Refusal> {
        let fresh = |c: &Cached| now.duration_since(c.fetched).is_ok_and(|age| age < KEY_TTL);
        {
            let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(cached) = keys.get(kid).filter(|c| fresh(c)) {
                return Ok(cached.jwk.clone());
            }
        }
        let jwk = self.source.fetch(kid).map_err(|KeyError { cause, unavailable }| Refusal::Key {
            kid: bounded(kid),
            cause,
            unavailable,
        })?;
        if jwk.kid != kid {
            return Err(refused_key(kid, "the source answered another key"));
        }
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if keys.len() >= MAX_KEYS && !keys.contains_key(kid) {
            keys.retain(|_, c| fresh(c));
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
        }
        keys.insert(kid.to_owned(), Cached { jwk: jwk.clone(), fetched: now });
        Ok(jwk)
    }
}

/// The token's `kid`, after checking its shape and that its `alg` is exactly ES256 (read here, not
/// by the JWT library, so that `none` and every other name is refused by one rule).
fn checked_header(token: &str) -> Result<String, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::Malformed("it is too long"));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Refusal::Malformed("it is not three dot-separated parts"));
    }
    #[derive(Deserialize)]
    struct Header {
        alg: Option<String>,
        kid: Option<String>,
    }
    let bytes =
        URL_SAFE_NO_PAD.decode(parts[0]).map_err(|_| Refusal::Malformed("its header is not base64url"))?;
    let header: Header =
        serde_json::from_slice(&bytes).map_err(|_| Refusal::Malformed("its header is not a JSON object"))?;
    // The algorithm first: an unsigned `none` token (empty third part) is refused for what it is.
    match header.alg.as_deref() {
        Some("ES256") => {}
        Some(other) => return Err(Refusal::Algorithm(bounded(other))),
        None => return Err(Refusal::Algorithm(String::new())),
    }
    if parts[1].is_empty() || parts[2].is_empty() {
        return Err(Refusal::Malformed("its claims or signature are empty"));
    }
    let kid = header.kid.filter(|k| !k.is_empty()).ok_or(Refusal::Malformed("its header names no kid"))?;
    if kid.len() > 256 {
        return Err(Refusal::Malformed("its kid is too long"));
    }
    Ok(kid)
}

/// 64 hex digits (either case) as 32 bytes.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}
