//! Which endpoint a request is for, and Plaid's checks in Plaid's order: route, body, credentials,
//! `Plaid-Version`, rate limit; then the endpoint checks its fields.
//!
//! Everything here is synchronous: the body was read before, the ledger lock is never held across
//! an await.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use serde_json::Value;

use crate::{
    auth::{authenticate, check_version},
    endpoints,
    fields::{json_body, Fields},
    plaid::Plaid,
    plaid_error::PlaidError,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Create,
    Get,
    List,
    Retry,
    WebhookVerificationKey,
}

/// Answers one request: the JSON body of a 200, or the Plaid error.
pub(crate) fn dispatch(
    plaid: &Arc<Plaid>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
    burst: Option<u32>,
    drop_webhooks: bool,
) -> Result<Value, PlaidError> {
    let endpoint = match path {
        "/identity_verification/create" => Endpoint::Create,
        "/identity_verification/get" => Endpoint::Get,
        "/identity_verification/list" => Endpoint::List,
        "/identity_verification/retry" => Endpoint::Retry,
        "/webhook_verification_key/get" => Endpoint::WebhookVerificationKey,
        _ => return Err(PlaidError::not_found(
            "unknown endpoint: this simulator serves POST /identity_verification/{create,get,list,retry} \
                 and /webhook_verification_key/get",
        )),
    };
    if method != Method::POST {
        return Err(PlaidError::not_found("unknown endpoint: Plaid's API takes POST only"));
    }
    let body = json_body(headers, body)?;
    let client_id = authenticate(headers, &body, &plaid.client_id, &plaid.secret)?;
    check_version(headers)?;
    // Plaid's sandbox limit is documented for /identity_verification/* alone.
    if endpoint != Endpoint::WebhookVerificationKey {
        if let Some(n) = burst {
            plaid.limit.start_burst(&client_id, n);
        }
        if !plaid.limit.admit(&client_id) {
            return Err(PlaidError::rate_limit());
        }
    }
    let fields = Fields::root(&body);
    match endpoint {
        Endpoint::Create => endpoints::create(plaid, fields),
        Endpoint::Get => endpoints::get(plaid, fields),
        Endpoint::List => endpoints::list(plaid, fields),
        Endpoint::Retry => endpoints::retry(plaid, fields, drop_webhooks),
        Endpoint::WebhookVerificationKey => endpoints::webhook_verification_key(plaid, fields),
    }
}
