//! # plaid-idv-retry
//!
//! A workflow-engine plugin, loaded as a `cdylib` through a stable ABI, that offers Plaid's
//! `POST /identity_verification/retry` as a ready HTTP task: an input JSON Schema, a settings
//! preset for the engine's HTTP task, and an `execute` that performs the call safely. A second
//! task, `POST /identity_verification/get`, follows the session a retry opened to its verdict.
//!
//! The stable ABI, the loader hosts use and the vocabulary of the documents live in the
//! `plaid-idv-retry-interface` crate: hosts depend on that alone and load this library's `.so`.
//!
//! The map of the crate:
//! - `export`: the interface's root module, as this library exports it; every function runs
//!   behind a panic guard.
//! - `error`: the crate's one error type; `arguments`: reading the engine's JSON arguments.
//! - `endpoint`: the endpoints in Plaid's words (paths, API version, user agent), the task ids
//!   and a call's default timeouts: a leaf the manifest, presets, settings and calls all read.
//! - `task`: the tasks offered (the retry, and the get that follows a session to its verdict):
//!   where a task id becomes the schema, preset, validation and execute that serve it.
//! - `manifest`, `schema`: what the plugin says about itself, and the embedded JSON Schemas.
//! - `validate`: the input validation report (schema compiled once, shared by all threads).
//! - `settings`, `preset`: the engine's settings for every task, and the pre-filled HTTP tasks.
//! - `execute`: the calls to Plaid (one shared agent), their classification and the retry's
//!   duplicate safety.
//! - `redact`: masking the secret and personal fields wherever a request is echoed or logged.
//!
mod arguments;
mod endpoint;
mod error;
mod execute;
mod export;
mod manifest;
mod preset;
mod redact;
mod schema;
mod settings;
mod task;
mod validate;
