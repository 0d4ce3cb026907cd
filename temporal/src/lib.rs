//! # plaid-idv-temporal
//!
//! Runs the plaid-idv-retry plugin on Temporal, a durable, distributed engine: `worker` loads the
//! plugin through its stable ABI (never by linking it) and offers its `execute` as an activity;
//! `submit` starts one workflow per task input; `webhooks` receives Plaid's webhooks and signals
//! the workflows that await a verdict.
//!
//! The map of the crate:
//! - [`cli`]: the commands and their flags (their exit codes are the interface's `Exit`,
//!   host-sim's too).
//! - [`connection`]: reaching a Temporal server (address, namespace, TLS, API key).
//! - [`codec`]: every payload encrypted before it leaves the process, with the key from
//!   `PLAID_IDV_PAYLOAD_KEY` (older keys still read from `PLAID_IDV_PAYLOAD_KEYS_OLD`); payloads
//!   that are not encrypted are refused.
//! - [`policy`]: the plugin's `temporal` preset read into activity options and the queue's rate limit.
//! - [`task`]: what a workflow carries: the input, and whether Plaid's answer is kept unmasked.
//! - [`activity`]: one `execute`, Temporal's attempt and deadline as its context, its task result
//!   mapped onto Temporal's outcomes.
//! - [`persisted`]: what Temporal stores of a task result: personal data masked by default.
//! - [`get`]: the get task as an activity: the session a workflow follows, masked.
//! - [`workflow`]: the workflow that runs the activity under the policy.
//! - [`await_verdict`]: the workflow that runs the retry, then follows its session to the verdict
//!   (signals from `webhooks`, a durable poll as the fallback, a deadline, continue-as-new).
//! - [`webhooks`]: the webhook receiver: verified by plaid-idv-webhook, routed by a search
//!   attribute, delivered as a signal.
//! - [`worker`]: the worker process and its drain on SIGTERM/SIGINT.
//! - [`submit`]: one workflow per input line, its id a keyed hash of the input.
//! - [`error`]: the crate's one error type.

pub mod activity;
pub mod await_verdict;
pub mod cli;
pub mod codec;
pub mod connection;
pub mod error;
pub mod get;
pub mod persisted;
pub mod policy;
pub mod submit;
pub mod task;
pub mod webhooks;
pub mod worker;
pub mod workflow;
