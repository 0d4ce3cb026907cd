//! # plaid-idv-webhook
//!
//! Plaid's Identity Verification webhooks, verified as Plaid documents: once, for every host of the
//! plaid-idv-retry plugin (host-sim's console, the Temporal webhook receiver). A webhook body says
//! only which session changed (`identity_verification_id`) and what kind of change it was; a host
//! that acts on it must first know Plaid sent it, which the `Plaid-Verification` header proves.
//!
//! The procedure ([`Verifier::verify`]):
//! 1. The header holds a JWT. Its `alg` must be `ES256`, nothing else (`none` and `HS256` are the
//!    classic forgeries); its `kid` names the key.
//! 2. The key (a P-256 JWK) comes from Plaid's `POST /webhook_verification_key/get` ([`PlaidKeys`]),
//!    cached by `kid`; a key Plaid has expired (`expired_at` set) signs nothing new and is refused.
//! 3. The signature is checked with the key (jsonwebtoken, over ring); the claims' `iat` must be
//!    within five minutes of now, and their `request_body_sha256` must equal the SHA-256 of the body
//!    exactly as received (compared in constant time).
//! 4. Only then is the body read, as a [`Webhook`].
//!
//! The map of the crate:
//! - [`Verifier`] and [`Refusal`] (`verifier`): the procedure, and why a webhook was refused (each
//!   a sentence that quotes nothing the sender chose beyond a bounded key id or algorithm name).
//! - [`Jwk`], [`KeySource`] and [`PlaidKeys`] (`keys`): the verification keys and where they come from.

mod keys;
mod verifier;

use serde::Deserialize;

pub use keys::{Jwk, KeyError, KeySource, PlaidKeys};
pub use verifier::{Refusal, Verifier, MAX_AGE, MAX_BODY_BYTES};

/// The header that carries the signature (HTTP header names are case-insensitive).
pub const HEADER: &str = "plaid-verification";

/// An Identity Verification webhook, as Plaid sends all three kinds (`STATUS_UPDATED`,
/// `STEP_UPDATED`, `RETRIED`): which session, not what happened to it; a host asks
/// `/identity_verification/get` for the state. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Webhook {
    pub webhook_type: String,
    pub webhook_code: String,
    pub identity_verification_id: String,
    pub environment: String,
}

impl Webhook {
    /// Whether it is about an Identity Verification session (`webhook_type` `IDENTITY_VERIFICATION`).
    pub fn is_identity_verification(&self) -> bool {
        self.webhook_type == "IDENTITY_VERIFICATION"
    }
}
