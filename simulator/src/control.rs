//! The control routes, under a prefix none of Plaid's paths use: what a test (or a script) does
//! instead of a person in a browser.
//!
//! `POST /sim/sessions/{id}/complete` with Plaid's credentials (headers or body, as on Plaid's
//! endpoints) and a JSON body of either
//! - `{"outcome": "success"}`: the sandbox test user completes every step left;
//! - `{"outcome": "failed"}`: someone else does, and fails the first identity check;
//! - `{"user": {…}}`: a person with this data (the `user` object of `/identity_verification/retry`)
//!   does, and the data decides, as on the session's page.
//!
//! The answer is the session as `/identity_verification/get` shows it, now ended; errors are
//! Plaid's error body. The moves send their webhooks (the `drop_webhooks` fault drops them).

use axum::http::{header, request::Parts, Method};
use serde_json::Value;

use crate::{
    auth::authenticate,
    fields::{json_body, Fields},
    plaid::{Outcome, Plaid},
    plaid_error::PlaidError,
    session::Completion,
    user::user_data,
};

/// Where the control routes live.
pub(crate) const PREFIX: &str = "/sim/";

pub(crate) fn handle(
    plaid: &Plaid,
    parts: &Parts,
    body: &[u8],
    drop_webhooks: bool,
) -> Result<Value, PlaidError> {
    let id = parts
        .uri
        .path()
        .strip_prefix("/sim/sessions/")
        .and_then(|rest| rest.strip_suffix("/complete"))
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .ok_or_else(|| PlaidError::not_found("unknown control route: POST /sim/sessions/{id}/complete"))?;
    if parts.method != Method::POST {
        return Err(PlaidError::not_found("unknown control route: it takes POST only"));
    }
    // A page in a browser never drives these (it could not send the credentials anyway).
    if parts.headers.contains_key(header::ORIGIN) {
        return Err(PlaidError::invalid_headers("the control routes are not for browsers: no Origin header"));
    }
    let body = json_body(&parts.headers, body)?;
    authenticate(&parts.headers, &body, &plaid.client_id, &plaid.secret)?;
    let fields = Fields::root(&body);
    fields.expect(&[], &["outcome", "user", "client_id", "secret"])?;
    let completion = match (fields.string("outcome")?, user_data(&fields, &[])?) {
        (Some(outcome), None) => outcome
            .parse::<Outcome>()
            .map(Completion::from)
            .map_err(|_| fields.invalid("outcome", "success or failed"))?,
        (None, Some(user)) => Completion::With(Box::new(user)),
        _ => return Err(PlaidError::invalid_field("give exactly one of outcome and user")),
    };
    match plaid.complete(id, &completion, drop_webhooks) {
        None => Err(PlaidError::not_found("no Identity Verification has this identity_verification_id")),
        Some(Err(refused)) => {
            Err(PlaidError::invalid_field(format!("the session cannot be completed: {refused}")))
        }
        Some(Ok(attempt)) => Ok(plaid.render(&attempt)),
    }
}
