//! The four endpoints: `/identity_verification/create`, `/get`, `/list` and `/retry`, each with
//! its fields' checks, once `route` has admitted the request.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::{
    fields::Fields,
    model,
    plaid::{Origin, Plaid},
    plaid_error::PlaidError,
    plan::{retry_plan, template_plan, Plan},
    session,
    state::{Attempt, Status, Step, Strategy},
    user::user_data,
    webhooks::{Code, Event},
};

/// Attempts per `/identity_verification/list` page.
pub const LIST_PAGE: usize = 10;

const CREDENTIALS: [&str; 2] = ["client_id", "secret"];

fn with_credentials(fields: &[&'static str]) -> Vec<&'static str> {
    fields.iter().chain(CREDENTIALS.iter()).copied().collect()
}

/// Why a create or retry records nothing.
enum Refusal {
    Error(PlaidError),
    /// `is_idempotent`: answer the attempt that exists.
    Existing(Arc<Attempt>),
}

impl From<PlaidError> for Refusal {
    fn from(e: PlaidError) -> Self {
        Refusal::Error(e)
    }
}

/// Opens the user's first session for a template, `active`: the person completes it later.
pub(crate) fn create(plaid: &Arc<Plaid>, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(
        &["template_id", "is_shareable"],
        &with_credentials(&[
            "client_user_id",
            "gave_consent",
            "user_id",
            "language",
            "user",
            "is_idempotent",
        ]),
    )?;
    let template_id = fields.required_text("template_id")?;
    let is_shareable = fields.boolean("is_shareable")?.unwrap_or(false);
    let gave_consent = fields.boolean("gave_consent")?.unwrap_or(false);
    let is_idempotent = fields.boolean("is_idempotent")?.unwrap_or(false);
    fields.string("language")?;
    fields.unsupported("user_id", "identify the user with client_user_id")?;
    let user = user_data(&fields, &["client_user_id", "ip_address"])?;
    let client_user_id = fields
        .text("client_user_id")?
        .ok_or_else(|| PlaidError::missing_fields(&["client_user_id".to_owned()]))?;
    let recorded = plaid.ledger.transact(|tx| {
        if let Some(latest) = tx.latest(client_user_id, template_id) {
            return Err(if is_idempotent {
                Refusal::Existing(latest)
            } else {
                Refusal::Error(PlaidError::invalid_field(
                    "an Identity Verification already exists for this client_user_id and template_id: \
                     use /identity_verification/retry, or set is_idempotent to get the existing one",
                ))
            });
        }
        let mut plan = template_plan();
        if gave_consent {
            plan[Step::AcceptTos.index()] = Plan::Skip;
        }
        let origin = Origin { client_user_id, template_id, previous: None, strategy: None, is_shareable };
        // No webhook: Plaid's fire when the person completes a step, or on a retry.
        Ok(tx.push(plaid.open(origin, plan, user)))
    });
    match recorded {
        Ok(attempt) => {
            plaid.schedule(&attempt);
            Ok(plaid.render(&attempt))
        }
        Err(Refusal::Existing(attempt)) => Ok(plaid.render(&attempt)),
        Err(Refusal::Error(e)) => Err(e),
    }
}

pub(crate) fn get(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(&["identity_verification_id"], &CREDENTIALS)?;
    let id = fields.required_text("identity_verification_id")?;
    let attempt = plaid
        .ledger
        .get(id)
        .ok_or_else(|| PlaidError::not_found("no Identity Verification has this identity_verification_id"))?;
    Ok(plaid.render(&attempt))
}

pub(crate) fn list(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(&["template_id"], &with_credentials(&["client_user_id", "user_id", "cursor"]))?;
    let template_id = fields.required_text("template_id")?;
    fields.unsupported("user_id", "identify the user with client_user_id")?;
    let client_user_id = fields
        .text("client_user_id")?
        .ok_or_else(|| PlaidError::missing_fields(&["client_user_id".to_owned()]))?;
    let start = match fields.string("cursor")? {
        None => 0,
        Some(cursor) => {
            cursor.strip_prefix("idvc_").and_then(|n| n.parse::<usize>().ok()).ok_or_else(|| {
                fields.invalid("cursor", "a next_cursor from an earlier /identity_verification/list")
            })?
        }
    };
    let attempts = plaid.ledger.attempts(client_user_id, template_id);
    let page: Vec<Value> = attempts
        .iter()
        .skip(start)
        .take(LIST_PAGE)
        .map(|a| model::verification(a, &plaid.base_url))
        .collect();
    let next = start + page.len();
    Ok(json!({
        "identity_verifications": page,
        "next_cursor": (next < attempts.len()).then(|| format!("idvc_{next}")),
    }))
}

/// Opens a new session for the user and template, `active`, with the steps the strategy leaves
/// to do; a previous session still `active` is `canceled` (it is superseded).
pub(crate) fn retry(plaid: &Arc<Plaid>, fields: Fields, drop_webhooks: bool) -> Result<Value, PlaidError> {
    fields.expect(
        &["client_user_id", "template_id", "strategy"],
        &with_credentials(&["user", "steps", "is_shareable"]),
    )?;
    let client_user_id = fields.required_text("client_user_id")?;
    let template_id = fields.required_text("template_id")?;
    let strategy = match fields.required_text("strategy")? {
        "reset" => Strategy::Reset,
        "incomplete" => Strategy::Incomplete,
        "infer" => Strategy::Infer,
        "custom" => Strategy::Custom,
        _ => return Err(fields.invalid("strategy", "one of reset, incomplete, infer, custom")),
    };
    let steps = match fields.object("steps", "steps")? {
        Some(steps) => {
            let keys = ["verify_sms", "kyc_check", "documentary_verification", "selfie_check"];
            steps.expect(&keys, &[])?;
            let mut flags = [false; 4];
            for (flag, key) in flags.iter_mut().zip(keys) {
                *flag = steps.boolean(key)?.unwrap_or(false);
            }
            Some(flags)
        }
        None => None,
    };
    match (strategy, steps.is_some()) {
        (Strategy::Custom, false) => {
            return Err(PlaidError::invalid_field("steps must be provided when strategy is custom"))
        }
        (Strategy::Reset | Strategy::Incomplete | Strategy::Infer, true) => {
            return Err(PlaidError::invalid_field("steps must be omitted unless strategy is custom"))
        }
        _ => {}
    }
    let is_shareable = fields.boolean("is_shareable")?;
    let user = user_data(&fields, &[])?;
    let attempt = plaid.ledger.transact(|tx| {
        let previous = tx.latest(client_user_id, template_id).ok_or_else(|| {
            PlaidError::invalid_field(
                "no Identity Verification exists for this client_user_id and template_id to retry: create one first",
            )
        })?;
        let (strategy, plan) = retry_plan(&previous, strategy, steps)?;
        let is_shareable = is_shareable.unwrap_or(previous.is_shareable);
        let origin =
            Origin { client_user_id, template_id, previous: Some(&previous), strategy: Some(strategy), is_shareable };
        let attempt = tx.push(plaid.open(origin, plan, user));
        let mut events = Vec::new();
        if let Some(superseded) = session::stop(&previous, Status::Canceled, attempt.created_at) {
            tx.replace(superseded.attempt);
            events.extend(superseded.events);
        }
        events.push(Event::new(Code::Retried, &attempt.id));
        plaid.webhooks.send(events, drop_webhooks);
        Ok::<_, PlaidError>(attempt)
    })?;
    plaid.schedule(&attempt);
    Ok(plaid.render(&attempt))
}

/// `/webhook_verification_key/get`: the public key that signs the webhooks, by its `kid`.
pub(crate) fn webhook_verification_key(plaid: &Plaid, fields: Fields) -> Result<Value, PlaidError> {
    fields.expect(&["key_id"], &CREDENTIALS)?;
    let key_id = fields.required_text("key_id")?;
    let key = plaid.signer.key(key_id).ok_or_else(PlaidError::invalid_webhook_verification_key_id)?;
    Ok(json!({ "key": key }))
}
