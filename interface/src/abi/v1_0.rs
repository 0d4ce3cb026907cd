//! The root module as ABI 1.0 has it, frozen: the loader retries a plugin with it when the
//! current layout refuses the plugin as older ("too many fields", upstream #118). Never edit it:
//! it must stay the layout ABI 1.0 plugins export (the type name, the fields, their order and
//! signatures); `tests/abi.rs` loads a plugin built against a copy of the 1.0 interface with it.
#![allow(non_camel_case_types)] // the derive generates `PluginModule_Prefix` and friends

use abi_stable::{
    declare_root_module_statics, library::RootModule, package_version_strings, sabi_types::VersionStrings,
    std_types::RStr, StableAbi,
};

use super::PluginResult;

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
pub struct PluginModule {
    pub manifest: extern "C" fn() -> PluginResult,
    pub input_schema: extern "C" fn() -> PluginResult,
    pub output_schema: extern "C" fn() -> PluginResult,
    pub settings_schema: extern "C" fn() -> PluginResult,
    pub settings_preset: extern "C" fn(options: RStr<'_>) -> PluginResult,
    pub validate: extern "C" fn(input: RStr<'_>) -> PluginResult,
    #[sabi(last_prefix_field)]
    pub execute: extern "C" fn(input: RStr<'_>, settings: RStr<'_>, context: RStr<'_>) -> PluginResult,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "plaid_idv_retry";
    const NAME: &'static str = "plaid_idv_retry";
    // This package's version: abi_stable compares it loosely (the same major) with the plugin's.
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
