//! # plaid-idv-retry-interface
//!
//! What a workflow engine (a host) and the plaid-idv-retry plugin share: hosts depend on this
//! crate alone and load the plugin's `.so` through it; the plugin implements it.
//!
//! The map of the crate:
//! - [`abi`]: the stable ABI on one screen: the root module, `PluginError`, [`abi_version`].
//! - [`ErrorCode`]: the codes a `PluginError` carries.
//! - `load`: the loader ([`load`], [`Plugin`] and each [`Task`] it offers, [`LoadError`]), behind
//!   [`elf`], its pre-check of the file, and [`locate`], where every host looks for the plugin.
//! - [`Manifest`]: what the plugin says about itself and each task it offers ([`TaskManifest`]).
//! - The vocabulary of the JSON documents: [`TaskResult`] (what `execute` answers) and its
//!   [`TaskStatus`], the [`Context`] it is given, the [`SessionStatus`] the get task reads and
//!   whether it is final, [`Environment`], the preset's [`Dialect`] and [`PresetOptions`] (and
//!   [`PLUGIN_ERROR`], the failure type the `temporal` preset names), [`personal`], the
//!   personal-data keys and their mask, the validation [`Report`] of an input, which a host
//!   answers itself for bytes that cannot cross the ABI, and [`present`], how their optional
//!   fields read.
//! - What every host does the same way: [`credentials_from_env`] (`PLAID_CLIENT_ID`,
//!   `PLAID_SECRET`), [`is_loopback`], the only place plain, unencrypted traffic may go, and
//!   the [`Exit`] codes of their commands.
//! - For a host that runs a task's retries itself: [`run_task`] under the seed preset's
//!   [`RetryPolicy`], remembering each user's newest attempt in [`LatestAttempts`].
//!
//! A host uses it like this (the path is wherever the engine keeps plugins):
//!
//! ```no_run
//! let plugin = plaid_idv_retry_interface::load("target/release/libplaid_idv_retry.so".as_ref())?;
//! println!("{}", plugin.manifest()?);
//! // `None` from a plugin of a release without that task (ABI 1.0 offers the retry alone).
//! if let Some(get) = plugin.task("plaid.identity_verification.get") {
//!     let result = get.execute(r#"{"identity_verification_id": "idv_52xR9LKo77r1Np"}"#, "{}", "{}")?;
//!     println!("{result}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[macro_use]
mod words;

pub mod abi;
mod context;
mod credentials;
pub mod elf;
mod engine;
mod environment;
mod error_code;
mod exit;
mod field;
mod latest_attempts;
mod load;
mod loopback;
mod manifest;
pub mod personal;
mod preset;
mod session_status;
mod status;
mod task_result;
mod validation;

pub use abi::{abi_version, PluginError, PluginModule, PluginModuleRef, PluginResult};
pub use context::Context;
pub use credentials::{credentials_from_env, CREDENTIAL_VARS};
pub use engine::{run_task, Outcome, RetryPolicy, TaskError, Verdict};
pub use environment::Environment;
pub use error_code::ErrorCode;
pub use exit::Exit;
pub use field::present;
pub use latest_attempts::{LatestAttempts, User};
pub use load::{load, locate, LoadError, Plugin, Task, PLUGIN_ENV_VAR, PLUGIN_FILE_NAME};
pub use loopback::is_loopback;
pub use manifest::{Manifest, PresetChoices, SchemaHash, Schemas, TaskManifest, GET_TASK_ID, RETRY_TASK_ID};
pub use personal::mask_personal;
pub use preset::{Dialect, PresetOptions, PLUGIN_ERROR};
pub use session_status::SessionStatus;
pub use status::TaskStatus;
pub use task_result::{Output, Reconciliation, RequestEcho, Response, TaskResult, Unreadable};
pub use validation::{Issue, Report, MAX_INPUT_BYTES};
