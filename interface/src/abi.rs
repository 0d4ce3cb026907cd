//! The ABI between a workflow engine (the host) and the plugin, on one screen.
//!
//! Everything crossing the boundary is an FFI-safe abi_stable type; documents travel as JSON text
//! (`RStr` in, `RResult<RString, PluginError>` out).
//!
//! ABI 1.0 is the first seven functions: they address the one task the manifest's `task` names.
//! ABI 1.1 appends five that address any task the manifest's `tasks` lists, by its id (the
//! settings schema is shared by every task, so it has no second function).
//!
//! How the ABI may grow: append new functions after the last one. An older host then still loads
//! a newer plugin and simply never sees the new fields; abi_stable's accessors for fields after
//! `execute`, the `last_prefix_field`, return `Option`. abi_stable's checked loader refuses a
//! plugin with *fewer* fields than the host's type ("too many fields", upstream #118), so the
//! loader keeps a frozen copy of each earlier root module ([`v1_0`]) and retries the load with it
//! (see `load`). A change to an existing field is a new major version of this crate.
//!
//! The ABI's version is this crate's package version ([`abi_version`]): abi_stable records it in
//! every type layout and in the root module's `VERSION_STRINGS`, and refuses a library whose
//! version is not loosely compatible with the host's (another major).
#![allow(non_camel_case_types)] // the derive generates `PluginModule_Prefix` and friends

use std::fmt;

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

use crate::ErrorCode;

pub mod v1_0;

/// The semver of the interface, not of the plugin (plugin releases keep it while the layout
/// holds): this crate's package version, as the root module declares it to abi_stable.
pub fn abi_version() -> &'static str {
    PluginModuleRef::VERSION_STRINGS.version.as_str()
}

/// A failure of the plugin itself (arguments the engine got wrong, a caught panic), as opposed
/// to a failed task, which `execute` reports inside its task result.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// An [`ErrorCode`] keyword, e.g. `invalid_settings`, `internal_panic`.
    pub code: RString,
    /// One sentence for a person; never carries a secret or personal value.
    pub message: RString,
}

impl PluginError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        PluginError { code: code.as_str().into(), message: message.into().into() }
    }

    /// The code as this host knows it; `None` for a code from a newer plugin.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code.as_str().parse().ok()
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for PluginError {}

/// Every function answers a JSON document or a `PluginError`.
pub type PluginResult = RResult<RString, PluginError>;

/// The root module a plugin exports with `#[export_root_module]`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
pub struct PluginModule {
    /// Plugin name and version, ABI version, the task offered and the hash of each schema.
    pub manifest: extern "C" fn() -> PluginResult,
    pub input_schema: extern "C" fn() -> PluginResult,
    pub output_schema: extern "C" fn() -> PluginResult,
    pub settings_schema: extern "C" fn() -> PluginResult,
    /// `options`: `{"environment": Environment, "dialect": Dialect}`, both optional.
    pub settings_preset: extern "C" fn(options: RStr<'_>) -> PluginResult,
    /// The validation report `{"valid", "errors", "warnings"}` of a task input.
    pub validate: extern "C" fn(input: RStr<'_>) -> PluginResult,
    /// Performs the call; answers the [`TaskResult`](crate::TaskResult) the engine acts on.
    /// The last field every plugin of ABI 1 has: functions added later go after it.
    #[sabi(last_prefix_field)]
    pub execute: extern "C" fn(input: RStr<'_>, settings: RStr<'_>, context: RStr<'_>) -> PluginResult,

    // ABI 1.1: the same functions for the task whose manifest id is `task` (one of the manifest's
    // `tasks`). An id the plugin does not offer is the plugin error `unknown_task`.
    pub task_input_schema: extern "C" fn(task: RStr<'_>) -> PluginResult,
    pub task_output_schema: extern "C" fn(task: RStr<'_>) -> PluginResult,
    pub task_settings_preset: extern "C" fn(task: RStr<'_>, options: RStr<'_>) -> PluginResult,
    pub task_validate: extern "C" fn(task: RStr<'_>, input: RStr<'_>) -> PluginResult,
    pub task_execute:
        extern "C" fn(task: RStr<'_>, input: RStr<'_>, settings: RStr<'_>, context: RStr<'_>) -> PluginResult,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "plaid_idv_retry";
    const NAME: &'static str = "plaid_idv_retry";
    // The version abi_stable also records in every type layout: one fact, not a second constant.
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_abi_version_is_this_packages_version() {
        assert_eq!(abi_version(), env!("CARGO_PKG_VERSION"));
    }
}
