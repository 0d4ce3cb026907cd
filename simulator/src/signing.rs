//! The key the simulator signs webhooks with, as Plaid does: a P-256 key made at start, its public
//! half served as a JWK by `/webhook_verification_key/get`, each webhook's `Plaid-Verification`
//! header an ES256 JWT (`kid`, `typ: JWT`) whose claims are `iat` and `request_body_sha256`, the
//! hex SHA-256 of the exact body bytes sent. The cryptography is ring's (through jsonwebtoken, the
//! same crate the workspace's verifier uses).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::{
    digest,
    rand::{SecureRandom, SystemRandom},
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use serde_json::{json, Value};

use crate::error::Error;

/// The simulator's webhook signing key.
pub(crate) struct Signer {
    encoding: EncodingKey,
    kid: String,
    /// The public key as Plaid's key endpoint answers it.
    jwk: Value,
}

impl Signer {
    pub(crate) fn generate(rng: &SystemRandom) -> Result<Signer, Error> {
        let failed = |what: &str| Error::Signing(format!("cannot make the webhook signing key: {what}"));
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
            .map_err(|_| failed("key generation failed"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng)
            .map_err(|_| failed("the new key does not load"))?;
        // The uncompressed point: 0x04, then x and y, 32 bytes each.
        let point = pair.public_key().as_ref();
        let (Some(x), Some(y)) = (point.get(1..33), point.get(33..65)) else {
            return Err(failed("the public key is not an uncompressed P-256 point"));
        };
        let kid = uuid(rng).ok_or_else(|| failed("no randomness for the key id"))?;
        let jwk = json!({
            "alg": "ES256",
            "created_at": unix_seconds(SystemTime::now()),
            "crv": "P-256",
            "expired_at": null,
            "kid": kid,
            "kty": "EC",
            "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(x),
            "y": URL_SAFE_NO_PAD.encode(y),
        });
        Ok(Signer { encoding: EncodingKey::from_ec_der(pkcs8.as_ref()), kid, jwk })
    }

    /// The key with this id, as `/webhook_verification_key/get` answers it.
    pub(crate) fn key(&self, kid: &str) -> Option<&Value> {
        (kid == self.kid).then_some(&self.jwk)
    }

    /// The `Plaid-Verification` header for `body`, issued at `now`.
    pub(crate) fn sign(&self, body: &[u8], now: SystemTime) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let claims = json!({"iat": unix_seconds(now), "request_body_sha256": sha256_hex(body)});
        encode(&header, &claims, &self.encoding)
            .map_err(|e| Error::Signing(format!("cannot sign a webhook: {e}")))
    }
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, bytes).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random UUID (version 4), the shape of Plaid's key ids.
fn uuid(rng: &SystemRandom) -> Option<String> {
    let mut b = [0u8; 16];
    rng.fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Some(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_plaids_jwk_shape_and_the_token_names_it() {
        let signer = Signer::generate(&SystemRandom::new()).unwrap();
        let kid = signer.kid.clone();
        let jwk = signer.key(&kid).unwrap();
        assert_eq!(
            (jwk["kty"].as_str(), jwk["crv"].as_str(), jwk["alg"].as_str()),
            (Some("EC"), Some("P-256"), Some("ES256"))
        );
        assert_eq!(jwk["x"].as_str().map(str::len), Some(43), "32 bytes, base64url without padding");
        assert!(jwk["expired_at"].is_null() && jwk["created_at"].as_u64().is_some());
        assert!(signer.key("another").is_none());
        assert_eq!(kid.len(), 36);
        let token = signer.sign(b"{}", SystemTime::now()).unwrap();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert_eq!(header, json!({"alg": "ES256", "kid": kid, "typ": "JWT"}));
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
