//! A local Plaid-compatible simulator of the `/identity_verification/*` endpoints (create, get, list,
//! retry), behaving like Plaid's sandbox: credentials, `Plaid-Version` and body checks with Plaid's
//! errors, an attempt history per user and template, the four retry strategies and their
//! restrictions, the sandbox test user, the sandbox rate limit, and fault injection (see [`faults`]).
//!
//! Start it in-process with [`start`] (tests, host-sim's `test-request`, `run` and `bench`) or as
//! `host-sim sandbox`, which prints a banner whose first line is `listening on http://HOST:PORT`.
//!
//! # Behaviour, where Plaid leaves it open
//!
//! - Every `template_id` names the same template: `accept_tos`, `verify_sms`, `kyc_check`,
//!   `watchlist_screening`, `risk_check`; `documentary_verification` only when a custom retry asks
//!   for it (or an `incomplete` retry resumes there); `selfie_check` never (silently disabled, as on
//!   Plaid's sandbox: `not_applicable`, or `skipped` when a custom retry turns it off).
//! - The simulated user acts at once (see [`session`]): with `user` data in the request every
//!   required step runs on it, and Plaid's sandbox test user (Leslie Knope, 1975-01-18,
//!   +12345678909, 123 Main St., Pawnee, IN 46001, US, SSN 123456788 or 123456789) passes while
//!   other data fails `kyc_check`; without data the attempt waits, `active`, at its first step.
//! - `create` refuses a second attempt for the same user and template (`INVALID_FIELD`) unless
//!   `is_idempotent` is true, which answers the latest one; `gave_consent` skips `accept_tos`.
//! - `retry` with no earlier attempt for the user and template: 400 `INVALID_REQUEST`/`INVALID_FIELD`.
//!   `incomplete` resumes at the first unfinished step and is refused (`INVALID_FIELD`) when that is
//!   `watchlist_screening` or `risk_check`; with nothing unfinished it starts over. `infer` is refused
//!   while the latest attempt is `active`, and otherwise follows plaid-python 46's rule: `incomplete`
//!   after a failed, expired or canceled attempt unless its screening or risk check went wrong, else
//!   `reset`. Omitting `is_shareable` keeps the previous attempt's setting.
//! - `get` of an unknown id: 404 `INVALID_REQUEST`/`NOT_FOUND`. `list` needs `client_user_id`,
//!   answers oldest first, [`LIST_PAGE`] a page, with `next_cursor`.
//! - Missing or wrong credentials: 400 `INVALID_INPUT`/`INVALID_API_KEYS`. No `Plaid-Version` means
//!   2020-09-14; an older real version is `INCOMPATIBLE_API_VERSION`, anything else `INVALID_HEADERS`.
//!   Body fields `client_id`/`secret` take precedence over the headers.
//! - Unknown keys are refused everywhere (`UNKNOWN_FIELDS`), nested ones by path (`user.nickname`).
//! - Error messages name fields, never the values sent. The simulator logs nothing.
//!
//! The map of the crate:
//! - `server`: [`start`] and the running [`Simulator`]; `respond`: one request's answer, faults applied.
//! - `plaid`: the state the handlers share, and how a new attempt is made.
//! - `route`: which endpoint, and Plaid's checks in Plaid's order; `auth`: credentials and
//!   `Plaid-Version`; `fields`: the JSON body and its fields; `user`: the `user` object.
//! - `endpoints`: create, get, list and retry; `plaid_error`: Plaid's error body.
//! - `plan`: which steps an attempt requires (the template, the retry strategies).
//! - [`state`]: the ledger of attempts; [`session`]: how a simulated user gets through the steps.
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
