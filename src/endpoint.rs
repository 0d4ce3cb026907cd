//! The endpoint this plugin offers, in Plaid's words: its path and the API version the plugin is
//! written against, Plaid's page for it, how the plugin names itself to Plaid, the task id engines
//! know it by, and how long a call waits by default. A leaf: the manifest, the preset, the
//! settings and the call all read these, and it reads none of them.

/// The task id engines know the endpoint by (the manifest's `task.id`, the preset's task name).
pub const TASK_ID: &str = "plaid.identity_verification.retry";
/// The endpoint this plugin offers as a task.
pub const RETRY_PATH: &str = "/identity_verification/retry";
/// Where reconciliation asks which attempts exist.
pub const LIST_PATH: &str = "/identity_verification/list";
/// The `Plaid-Version` the request and response shapes follow (the settings may name another).
pub const PLAID_VERSION: &str = "2020-09-14";
pub const DOCUMENTATION_URL: &str =
    "https://plaid.com/docs/api/products/identity-verification/#identity_verificationretry";
/// Sent on every call, and in the preset's headers.
pub const USER_AGENT: &str = concat!("plaid-idv-retry/", env!("CARGO_PKG_VERSION"));

/// The settings' defaults, which the preset's HTTP tasks state as their own timeouts.
pub const DEFAULT_CONNECTION_TIMEOUT_SECONDS: f64 = 5.0;
pub const DEFAULT_READ_TIMEOUT_SECONDS: f64 = 10.0;
