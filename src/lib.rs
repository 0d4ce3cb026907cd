//! # plaid-idv-retry
//!
//! A workflow-engine plugin, loaded as a `cdylib` through a stable ABI, that offers Plaid's
//! `POST /identity_verification/retry` as a ready HTTP task: an input JSON Schema, a settings
//! preset for the engine's HTTP task, and an `execute` that performs the call safely.
//!
//! The map of the crate:
//! - [`interface`]: the stable ABI (root module, shared types) and the loader hosts use. It
//!   depends on nothing else here: hosts call only this and the loaded library.
//! - `export`: the root module this library exports; every function runs behind a panic guard.
//! - `error`: the crate's one error type.
//! - `manifest`, `schema`: what the plugin says about itself, and the embedded JSON Schemas.
//! - `validate`: the input validation report (schema compiled once, shared by all threads).
//! - `settings`, `preset`: the engine's settings for the task, and the pre-filled HTTP task.
//! - `execute`: the call to Plaid (one shared agent), its classification and duplicate safety.
//! - `redact`: masking the secret and personal fields wherever a request is echoed or logged.
//!
//! A host uses it like this (the path is wherever the engine keeps plugins):
//!
//! ```no_run
//! let plugin = plaid_idv_retry::interface::load("target/release/libplaid_idv_retry.so".as_ref())?;
//! println!("{}", plugin.manifest()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod interface;

mod error;
mod execute;
mod export;
mod manifest;
mod preset;
mod redact;
mod schema;
mod settings;
mod validate;
