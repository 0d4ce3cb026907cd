//! Duplicate safety. `/identity_verification/retry` has no idempotency key and every session it
//! opens is billed, so after an unknown outcome we ask Plaid what happened before anyone re-sends.
//!
//! How: `POST /identity_verification/list` for the same `client_user_id` and `template_id` (all
//! pages, same credentials). The attempt this call created is a retry (`previous_attempt_id` is
//! set) whose `created_at` is not earlier than the moment our request left, read on Plaid's clock:
//! the skew between the clocks comes from the list response's `Date` header. Exactly one such
//! attempt, following the latest earlier attempt, is ours. None: Plaid created nothing (we look
//! again, up to `ROUNDS` times, in case the new attempt is not listed yet). Several, or an attempt
//! that does not follow the latest earlier one: someone else retried the same user at the same
//! time and we cannot tell which is ours.
//!
//! Limits: `created_at` and `Date` have one-second resolution, so an attempt opened within
//! `TOLERANCE_SECONDS` before our request counts as a candidate (then: ambiguous, never silently
//! wrong), unless the engine's context names it (`latest_attempt_id`): that attempt and the chain
//! it follows existed before this call, so they are never ours. That clears the common case, the
//! same engine retrying one user seconds after its last retry; a retry by someone else the engine
//! never heard of still makes the answer ambiguous. An attempt that shows up in the list only
//! after our last look is missed; the engine's retry would then open a second session.

use std::{
    collections::{HashMap, HashSet},
    thread,
    time::Duration,
};

use serde_json::{Map, Value};

use super::{
    clock,
    context::Context,
    outcome,
    request::{Credentials, PlaidRequest},
    response::Exchange,
};
use crate::{endpoint::LIST_PATH, settings::Settings};

const ROUNDS: usize = 3;
const ROUND_GAP: Duration = Duration::from_millis(750);
const MAX_PAGES: usize = 20;
/// List pages are read up to at least this, whatever `max_response_bytes` says (the default cap).
const LIST_MIN_BODY_CAP: u64 = crate::settings::DEFAULT_MAX_RESPONSE_BYTES;
/// Both clocks' one-second resolution, plus the skew estimate's own error.
const TOLERANCE_SECONDS: i64 = 2;
/// Without a `Date` header the skew is unknown: assume a few seconds either way.
const TOLERANCE_WITHOUT_DATE_SECONDS: i64 = 5;

#[derive(Debug)]
pub enum Reconciled {
    /// Plaid shows the attempt this call created.
    Found { attempt: Map<String, Value>, list_request_id: Option<String> },
    /// Plaid shows no new attempt: safe to send again. `latest`: the newest attempt listed.
    NotCreated { list_request_id: Option<String>, latest: Option<String> },
    /// We could not tell: do not re-send blindly. `latest`: the newest attempt listed, if any.
    Unknown { detail: String, latest: Option<String> },
}

struct Listing {
    attempts: Vec<Map<String, Value>>,
    request_id: Option<String>,
    /// Plaid's clock minus ours, in seconds, if the response had a `Date`.
    skew_seconds: Option<i64>,
}

pub fn run(
    settings: &Settings,
    credentials: &Credentials,
    input: &Value,
    sent_at_unix_ms: i64,
    context: &Context,
    logs: &mut Vec<String>,
) -> Reconciled {
    let unknown = |detail: String, latest: Option<String>| Reconciled::Unknown { detail, latest };
    for round in 1..=ROUNDS {
        let listing = match list(settings, credentials, input, context) {
            Ok(l) => l,
            Err(why) => return unknown(format!("reconciliation failed: {why}"), None),
        };
        let (skew, tolerance) = match listing.skew_seconds {
            Some(s) => (s, TOLERANCE_SECONDS),
            None => (0, TOLERANCE_WITHOUT_DATE_SECONDS),
        };
        let since = sent_at_unix_ms.div_euclid(1000) + skew - tolerance;
        let created = |a: &Map<String, Value>| {
            a.get("created_at").and_then(Value::as_str).and_then(clock::parse_rfc3339)
        };
        let is_retry = |a: &Map<String, Value>| a.get("previous_attempt_id").is_some_and(Value::is_string);
        let known = context.latest_attempt_id.as_deref();
        let before_us = known.map(|k| chain(&listing.attempts, k)).unwrap_or_default();
        if let (Some(k), true) = (known, before_us.is_empty()) {
            logs.push(format!("the engine's latest attempt {k} is not listed; not used"));
        }
        let (new, earlier): (Vec<_>, Vec<_>) = listing.attempts.iter().partition(|a| {
            created(a).is_some_and(|t| t >= since) && is_retry(a) && !before_us.contains(attempt_id(a))
        });
        logs.push(format!(
            "reconcile round {round}: {} attempts listed, {} created since the request left (clock skew {skew} s{})",
            listing.attempts.len(),
            new.len(),
            if before_us.is_empty() { String::new() } else { format!(", {} known to precede it", before_us.len()) }
        ));
        let latest = newest(&listing.attempts);
        match new.as_slice() {
            [] if round < ROUNDS && context.remaining() > ROUND_GAP * 2 => thread::sleep(ROUND_GAP),
            [] => return Reconciled::NotCreated { list_request_id: listing.request_id, latest },
            [ours] => {
                let latest_earlier =
                    earlier.iter().filter_map(|a| Some((created(a)?, a))).max_by_key(|(t, _)| *t);
                let follows = match latest_earlier {
                    // The engine's latest attempt is certain to precede ours; created_at ties are not.
                    _ if known.is_some_and(|k| !before_us.is_empty() && previous(ours) == Some(k)) => true,
                    Some((_, prev)) => prev.get("id") == ours.get("previous_attempt_id"),
                    None => true, // the earlier attempt is not listed (paging cap): nothing contradicts
                };
                if !follows {
                    return unknown(
                        format!(
                            "attempt {} appeared but does not follow the latest earlier attempt; another client may have retried this user",
                            id(ours)
                        ),
                        latest,
                    );
                }
                return Reconciled::Found { attempt: (*ours).clone(), list_request_id: listing.request_id };
            }
            several => {
                let ids: Vec<String> = several.iter().map(|a| id(a)).collect();
                return unknown(
                    format!(
                        "{} attempts appeared since the request left ({}); cannot tell which one this call created",
                        ids.len(),
                        ids.join(", ")
                    ),
                    latest,
                );
            }
        }
    }
    unknown("reconciliation ended without an answer".into(), None)
}

fn attempt_id(attempt: &Map<String, Value>) -> &str {
    attempt.get("id").and_then(Value::as_str).unwrap_or_default()
}

fn previous(attempt: &Map<String, Value>) -> Option<&str> {
    attempt.get("previous_attempt_id").and_then(Value::as_str)
}

/// The attempt `known` and every listed attempt it follows, by `previous_attempt_id`; empty when
/// `known` is not listed.
fn chain<'a>(attempts: &'a [Map<String, Value>], known: &'a str) -> HashSet<&'a str> {
    let by_id: HashMap<&str, &Map<String, Value>> = attempts.iter().map(|a| (attempt_id(a), a)).collect();
    let mut ids = HashSet::new();
    let mut next = Some(known);
    while let Some((at, attempt)) = next.and_then(|at| Some((at, *by_id.get(at)?))) {
        if !ids.insert(at) {
            break; // a cycle: Plaid never lists one, but a hostile list must not spin
        }
        next = previous(attempt);
    }
    ids
}

/// The newest listed attempt: the one no other listed attempt follows, the latest created if
/// several are.
fn newest(attempts: &[Map<String, Value>]) -> Option<String> {
    let followed: HashSet<&str> = attempts.iter().filter_map(previous).collect();
    attempts
        .iter()
        .filter(|a| !attempt_id(a).is_empty() && !followed.contains(attempt_id(a)))
        .max_by_key(|a| a.get("created_at").and_then(Value::as_str).and_then(clock::parse_rfc3339))
        .map(|a| attempt_id(a).to_owned())
}

fn id(attempt: &Map<String, Value>) -> String {
    attempt.get("id").and_then(Value::as_str).unwrap_or("(no id)").to_owned()
}

/// All pages of the list, or why not.
fn list(
    settings: &Settings,
    credentials: &Credentials,
    input: &Value,
    context: &Context,
) -> Result<Listing, String> {
    let mut body = credentials.in_body.clone();
    for key in ["client_user_id", "template_id"] {
        body.insert(key.into(), input.get(key).cloned().unwrap_or(Value::Null));
    }
    // A page's size is Plaid's page length times the user's attempts, nothing like the retry's
    // answer: a cap set for the retry must not make the list unreadable and every unknown
    // outcome terminal.
    let settings = &Settings {
        max_response_bytes: settings.max_response_bytes.max(LIST_MIN_BODY_CAP),
        ..settings.clone()
    };
    let mut listing = Listing { attempts: Vec::new(), request_id: None, skew_seconds: None };
    for _ in 0..MAX_PAGES {
        let request = PlaidRequest::new(settings, credentials, LIST_PATH, &Value::Object(body.clone()));
        let received = match request.send(settings, context) {
            Exchange::Received(r) => r,
            Exchange::NotSent { cause } | Exchange::NoResponse { cause } => {
                return Err(format!("{LIST_PATH} did not answer: {cause}"))
            }
        };
        let answered_at = clock::now_unix_ms();
        if received.status != 200 {
            let code = outcome::plaid_error_fields(&received)
                .and_then(|[_, code, _, _]| code.as_str().map(str::to_owned));
            let what = match code {
                Some(code) => format!("{LIST_PATH} answered HTTP {} {code}", received.status),
                None => format!("{LIST_PATH} answered HTTP {}", received.status),
            };
            return Err(what);
        }
        let page = received
            .object()
            .ok_or_else(|| format!("{LIST_PATH}: {}", received.body_problem().unwrap_or_default()))?;
        listing.request_id = page.get("request_id").and_then(Value::as_str).map(str::to_owned);
        if listing.skew_seconds.is_none() {
            listing.skew_seconds = received
                .header("date")
                .and_then(clock::parse_http_date)
                .map(|d| d - answered_at.div_euclid(1000));
        }
        let items = page
            .get("identity_verifications")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{LIST_PATH} answered without identity_verifications"))?;
        listing.attempts.extend(items.iter().filter_map(|a| a.as_object().cloned()));
        match page.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) if !cursor.is_empty() => {
                body.insert("cursor".into(), Value::from(cursor));
            }
            _ => return Ok(listing),
        }
    }
    Ok(listing)
}
