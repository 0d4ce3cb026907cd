//! A local Plaid-compatible simulator of the `/identity_verification/*` endpoints (create, get, list,
//! retry) and `/webhook_verification_key/get`, behaving like Plaid's sandbox: credentials,
//! `Plaid-Version` and body checks with Plaid's errors, an attempt history per user and template,
//! the four retry strategies and their restrictions, sessions that live (opened `active`,
//! completed later by a person at their `shareable_url`), the sandbox test user, signed
//! `IDENTITY_VERIFICATION` webhooks, the sandbox rate limit, and fault injection (see [`faults`]).
//!
//! Start it in-process with [`start`] (tests, host-sim's `test-request`, `run` and `bench`) or as
//! `host-sim sandbox`, which prints a banner whose first line is `listening on http://HOST:PORT`.
//!
//! # A session's life
//!
//! `create` and `retry` answer the new session `active`: its first required step `active`, the
//! others `waiting_for_prerequisite` (`skipped` / `not_applicable` as planned), `completed_at`
//! null. The person completes it at its `shareable_url` (the page, `/verify/{id}?key=…`), or a
//! test does through `POST /sim/sessions/{id}/complete` ([`Simulator::complete`] in-process), or
//! [`SimulatorConfig::auto_complete`] does after a while. `get` and `list` show it as it moves; it
//! ends `success`, `failed`, `canceled` (a newer retry superseded it) or `expired`
//! ([`SimulatorConfig::expire_after`]). Each move sends its webhooks (see [`webhooks`]).
//!
//! # Behaviour, where Plaid leaves it open
//!
//! - Every `template_id` names the same template: `accept_tos`, `verify_sms`, `kyc_check`,
//!   `watchlist_screening`, `risk_check`; `documentary_verification` only when a custom retry asks
//!   for it (or an `incomplete` retry resumes there); `selfie_check` never (silently disabled, as on
//!   Plaid's sandbox: `not_applicable`, or `skipped` when a custom retry turns it off).
//! - A session opens at its first required step, `active`, the later ones `waiting_for_prerequisite`
//!   (plaid-python 46 has no `not_started`). `user` data sent with create or retry does not run any
//!   step: it prefills the page, and `user` in the answer shows it; what the person types replaces
//!   it. `gave_consent` skips `accept_tos`, so the session opens at `verify_sms`.
//! - The person's verdicts are the sandbox's (see [`test_user`]): Leslie Knope (1975-01-18,
//!   +12345678909, 123 Main St., Pawnee, IN 46001, US, SSN 123456788 or 123456789) passes
//!   `kyc_check` (name, birth date and full address must match; phone and SSN when given) and her
//!   documents pass; other data fails. The SMS code is 11111 for any number. Three wrong codes, or
//!   three documents that do not match, fail the step (Plaid's documented limits); `kyc_check`
//!   has one try. A failed step ends the session `failed`, the steps after it stay
//!   `waiting_for_prerequisite`. `watchlist_screening` and `risk_check` pass on their own once
//!   reached (no hits on the sandbox).
//! - `completed_at` is set when a session leaves `active`, however it ends (`expired` and
//!   `canceled` too); the step the person was on then becomes `expired` / `canceled`.
//! - A retry while the latest session is `active` cancels it (Plaid's documents are silent; the
//!   API can cancel, and retry is the only IDV call that could). A finished session is history:
//!   a retry changes nothing about it.
//! - Sessions never expire unless [`SimulatorConfig::expire_after`] is set: Plaid's status
//!   documentation says "sessions currently do not expire", and its links "do not expire".
//! - Webhooks (see [`webhooks`]): `RETRIED` for the new session's id, after the `STATUS_UPDATED`
//!   of the session it canceled; `STEP_UPDATED` for each step completed, automatic ones included
//!   (not for a wrong try, which completes nothing); `STATUS_UPDATED` for each change of status;
//!   none for `create` (nothing was completed yet) or a seeded attempt. `environment` is
//!   `sandbox`. Delivered in order, once, 10-second bound, no retries (Plaid retries for a day).
//!   The body is pretty-printed JSON; the signing key (P-256, a UUID `kid`) is made at start and
//!   never expires (`expired_at` null).
//! - `/webhook_verification_key/get` for an unknown `key_id`: 400
//!   `INVALID_INPUT`/`INVALID_WEBHOOK_VERIFICATION_KEY_ID` (as Plaid's own client tests show); it
//!   is outside the IDV rate limit (Plaid documents that limit for `/identity_verification/*`).
//! - `create` refuses a second attempt for the same user and template (`INVALID_FIELD`) unless
//!   `is_idempotent` is true, which answers the latest one.
//! - `retry` with no earlier attempt for the user and template: 400 `INVALID_REQUEST`/`INVALID_FIELD`.
//!   `incomplete` resumes at the first unfinished step and is refused (`INVALID_FIELD`) when that is
//!   `watchlist_screening` or `risk_check`; with nothing unfinished it starts over. `infer` is refused
//!   while the latest attempt is `active`, and otherwise follows plaid-python 46's rule: `incomplete`
//!   after a failed, expired or canceled attempt unless its screening or risk check went wrong, else
//!   `reset`. Omitting `is_shareable` keeps the previous attempt's setting; `shareable_url` is null
//!   when it is false (the page exists, but nobody learns its key).
//! - `get` of an unknown id: 404 `INVALID_REQUEST`/`NOT_FOUND`. `list` needs `client_user_id`,
//!   answers oldest first, [`LIST_PAGE`] a page, with `next_cursor`.
//! - Missing or wrong credentials: 400 `INVALID_INPUT`/`INVALID_API_KEYS`. No `Plaid-Version` means
//!   2020-09-14; an older real version is `INCOMPATIBLE_API_VERSION`, anything else `INVALID_HEADERS`.
//!   Body fields `client_id`/`secret` take precedence over the headers.
//! - Unknown keys are refused everywhere (`UNKNOWN_FIELDS`), nested ones by path (`user.nickname`).
//! - Error messages name fields, never the values sent. The simulator logs nothing; webhook bodies
//!   carry ids only; the page shows only the session's own data, escaped, to whoever has its link.
//!
//! The map of the crate:
//! - `server`: [`start`] and the running [`Simulator`]; `respond`: one request's answer, faults
//!   applied, and the page and control routes beside Plaid's API.
//! - `plaid`: the state the handlers share; how a session is opened, moved and timed.
//! - `route`: which endpoint, and Plaid's checks in Plaid's order; `auth`: credentials and
//!   `Plaid-Version`; `fields`: the JSON body and its fields; `user`: the `user` object.
//! - `endpoints`: create, get, list, retry and the webhook key; `plaid_error`: Plaid's error body.
//! - `plan`: which steps an attempt requires (the template, the retry strategies).
//! - [`state`]: the ledger of attempts; [`session`]: how a session moves; [`test_user`]: the
//!   sandbox test user and the match against her.
//! - `page`: the session's page; `control`: `POST /sim/sessions/{id}/complete`.
//! - [`webhooks`]: the webhooks and their delivery; `signing`: the key and the `Plaid-Verification` JWT.
//! - `model`: the `IdentityVerification` object the endpoints answer.
//! - [`faults`]: fault injection and its syntax (the one description of every fault).
//! - `limit`: the sandbox rate limit. `ids`: identifiers and timestamps ([`rfc3339`]) in Plaid's formats.
//! - `error`: the crate's one error type.
//!
//! In-process, as the tests and host-sim use it (the server stops when the `Simulator` is dropped):
//!
//! ```no_run
//! use plaid_idv_simulator::{start, SimulatorConfig, Status};
//!
//! let sim = start(SimulatorConfig::default())?; // a free loopback port, the default credentials
//! sim.seed_attempt("user-1", "idvtmp_1", Status::Failed, None); // something to retry
//! println!("{}", sim.url());
//! # Ok::<(), plaid_idv_simulator::Error>(())
//! ```

mod auth;
mod control;
mod endpoints;
mod error;
pub mod faults;
mod fields;
mod ids;
mod limit;
mod model;
mod page;
mod plaid;
mod plaid_error;
mod plan;
mod respond;
mod route;
mod server;
pub mod session;
mod signing;
pub mod state;
pub mod test_user;
mod user;
pub mod webhooks;

pub use auth::PLAID_VERSION;
pub use endpoints::LIST_PAGE;
pub use error::Error;
pub use faults::{duration as parse_duration, Fault, FaultSet, Faults, FAULT_HEADER};
pub use ids::rfc3339;
pub use page::CONTENT_SECURITY_POLICY;
pub use plaid::{AutoComplete, Outcome};
pub use plaid_error::PlaidError;
pub use respond::MAX_REQUEST_BODY;
pub use server::{
    start, Simulator, SimulatorConfig, DEFAULT_CLIENT_ID, DEFAULT_RATE_LIMIT_PER_MINUTE, DEFAULT_SECRET,
};
pub use session::{Completion, Refused};
pub use state::{Attempt, Ledger, Status, Step, StepStatus, Strategy, UserData};
pub use webhooks::{Code, Event};
