//! What a host asks `settings_preset` for: the environment and the engine's task dialect.

use serde::{Deserialize, Serialize};

use crate::Environment;

words! {
    /// The task format of the engine the preset is for.
    #[derive(Default)]
    pub enum Dialect {
        /// The seed host's `Http` task.
        #[default]
        Seed = "seed",
        /// A Conductor `HTTP` task and its task definition.
        Conductor = "conductor",
        /// The activity options and task-queue rate limit of a Temporal worker (`plaid-idv-temporal`).
        Temporal = "temporal",
    }
}

/// The failure type a Temporal worker gives a plugin error (an answer that is not a task result):
/// the `temporal` preset lists it in `nonRetryableErrorTypes`, beside the terminal status's own
/// name, `FAILED_WITH_TERMINAL_ERROR`.
pub const PLUGIN_ERROR: &str = "PLUGIN_ERROR";

/// The `options` of `settings_preset`: `{"environment": …, "dialect": …}`, both optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresetOptions {
    pub environment: Environment,
    pub dialect: Dialect,
}

impl PresetOptions {
    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}
