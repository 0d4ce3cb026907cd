//! The endpoints this plugin offers, in Plaid's words: their paths and the API version the plugin
//! is written against, Plaid's pages for them, how the plugin names itself to Plaid, the task ids
//! engines know them by, and how long a call waits by default. A leaf: the manifest, the presets,
//! the settings and the calls all read these, and it reads none of them.

/// The task ids engines know the retry and the get by: the interface's, every host reads the same.
pub use plaid_idv_retry_interface::{GET_TASK_ID, RETRY_TASK_ID};
/// The endpoint the retry task calls.
pub const RETRY_PATH: &str = "/identity_verification/retry";
pub const RETRY_DOCUMENTATION_URL: &str =
    "https://plaid.com/docs/api/products/identity-verification/#identity_verificationretry";
/// The endpoint the get task calls.
pub const GET_PATH: &str = "/identity_verification/get";
pub const GET_DOCUMENTATION_URL: &str =
    "https://plaid.com/docs/api/products/identity-verification/#identity_verificationget";
/// Where reconciliation asks which attempts exist.
pub const LIST_PATH: &str = "/identity_verification/list";
/// The `Plaid-Version` the request and response shapes follow (the settings may name another).
pub const PLAID_VERSION: &str = "2020-09-14";
/// Sent on every call, and in the preset's headers.
pub const USER_AGENT: &str = concat!("plaid-idv-retry/", env!("CARGO_PKG_VERSION"));

/// The settings' defaults, which the preset's HTTP tasks state as their own timeouts.
pub const DEFAULT_CONNECTION_TIMEOUT_SECONDS: f64 = 5.0;
pub const DEFAULT_READ_TIMEOUT_SECONDS: f64 = 10.0;
