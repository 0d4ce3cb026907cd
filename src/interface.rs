//! The stable ABI between a workflow engine (the host) and this plugin, and the loader hosts use.
//!
//! Everything crossing the boundary is an FFI-safe abi_stable type; documents travel as JSON text.
//! This module depends on nothing else in the crate: hosts use it and the loaded library, never
//! the implementation.
//!
//! How the ABI may grow: append new functions *after* `execute` (the `last_prefix_field`). An older
//! host then still loads a newer plugin and simply never sees the new fields; a newer host reads
//! them through accessors that return `None` for an older plugin. abi_stable's checked loader
//! refuses a plugin with *fewer* fields than the host's type ("too many fields", upstream #118), so
//! a newer host must keep a frozen copy of each earlier `PluginModule` in `history` and retry the
//! load with it (see `load`). A change to an existing field is a new major `ABI_VERSION`.
#![allow(non_camel_case_types)] // the derive generates `PluginModule_Prefix` and friends

use std::{fmt, path::Path};

use abi_stable::{
    declare_root_module_statics,
    library::{lib_header_from_path, LibraryError, RootModule},
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

/// Semver of the interface, not of the plugin: plugin releases keep it while the layout holds.
pub const ABI_VERSION: &str = "1.0.0";

/// A failure of the plugin itself (bad arguments, an internal error, a caught panic), as opposed
/// to a failed task, which `execute` reports inside its task result.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct PluginError {
    /// A machine keyword, e.g. `invalid_json`, `invalid_argument`, `internal_panic`.
    pub code: RString,
    /// One sentence for a person; never carries a secret or personal value.
    pub message: RString,
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
    /// `options`: `{"environment": "sandbox"|"production", "dialect": "seed"|"conductor"}`.
    pub settings_preset: extern "C" fn(options: RStr<'_>) -> PluginResult,
    /// The validation report `{"valid", "errors", "warnings"}` of a task input.
    pub validate: extern "C" fn(input: RStr<'_>) -> PluginResult,
    /// Performs the call; answers the task result the engine acts on.
    #[sabi(last_prefix_field)]
    pub execute: extern "C" fn(input: RStr<'_>, settings: RStr<'_>, context: RStr<'_>) -> PluginResult,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "plaid_idv_retry";
    const NAME: &'static str = "plaid_idv_retry";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ABI_VERSION);
}

/// Why a library could not be used as this plugin. Its `Display` is one line naming the path.
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub cause: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load plugin {}: {}", self.path, self.cause)
    }
}

impl std::error::Error for LoadError {}

/// Loads the plugin at `path` through abi_stable's checked loader (layout and version checks).
///
/// Each call loads that very file (`RootModule::load_from_file` would cache one module per
/// process); libraries are never unloaded, so the returned handle lives for the whole process.
pub fn load(path: &Path) -> Result<Plugin, LoadError> {
    let fail = |cause: String| LoadError { path: path.display().to_string(), cause };
    match std::fs::metadata(path) {
        Err(e) => return Err(fail(e.to_string().to_lowercase())),
        Ok(m) if m.is_dir() => return Err(fail("is a directory, not a shared library".into())),
        Ok(m) => check_elf(path, m.len()).map_err(|cause| fail(cause.into()))?,
    }
    let header = lib_header_from_path(path).map_err(|e| fail(describe(&e)))?;
    // `history`'s frozen layouts go here, tried in turn, once ABI 2 exists.
    let module = header.init_root_module::<PluginModuleRef>().map_err(|e| fail(describe(&e)))?;
    Ok(Plugin { module })
}

/// dlopen maps a truncated library without complaint and the process dies of SIGBUS when it
/// touches a segment past the end of the file, so every loadable segment is checked first.
fn check_elf(path: &Path, len: u64) -> Result<(), &'static str> {
    const NOT_A_LIBRARY: &str = "not a loadable shared library";
    // The headers sit at the front; reading the whole library would cost milliseconds.
    let mut bytes = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 64 * 1024), &mut bytes))
        .map_err(|_| "cannot be read")?;
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let u64_at = |at: usize| bytes.get(at..at + 8).map(|b| u64::from_le_bytes(b.try_into().unwrap()));
    // 64-bit little-endian ELF, type ET_DYN: what this host's platforms load.
    if bytes.get(..6) != Some(b"\x7fELF\x02\x01") || u16_at(16) != Some(3) {
        return Err(NOT_A_LIBRARY);
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return Err(NOT_A_LIBRARY);
    };
    for i in 0..phnum {
        let at = phoff as usize + i * phentsize;
        let kind = bytes.get(at..at + 4).ok_or("truncated: its program headers are cut off")?;
        if kind == [1, 0, 0, 0] {
            let (offset, size) = (u64_at(at + 8), u64_at(at + 32));
            let end = offset.zip(size).and_then(|(o, s)| o.checked_add(s));
            if end.is_none_or(|end| end > len) {
                return Err("truncated: a loadable segment runs past the end of the file");
            }
        }
    }
    Ok(())
}

/// abi_stable's layout errors run to ~170 lines; the lines starting with `Error:` are the cause.
fn describe(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { .. } => "not a loadable shared library".into(),
        LibraryError::GetSymbolError { .. } => "not a plugin (it exports no abi_stable root module)".into(),
        other => {
            let text = other.to_string();
            let causes: Vec<&str> = text.lines().map(str::trim).filter(|l| l.starts_with("Error:")).collect();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            let detail = if causes.is_empty() { first.to_string() } else { causes.join("; ") };
            format!("incompatible plugin interface ({detail})")
        }
    }
}

/// A loaded plugin: thin, safe wrappers over the root module's functions.
#[derive(Clone, Copy)]
pub struct Plugin {
    pub module: PluginModuleRef,
}

impl Plugin {
    pub fn manifest(&self) -> Result<String, PluginError> {
        into_result((self.module.manifest())())
    }
    pub fn input_schema(&self) -> Result<String, PluginError> {
        into_result((self.module.input_schema())())
    }
    pub fn output_schema(&self) -> Result<String, PluginError> {
        into_result((self.module.output_schema())())
    }
    pub fn settings_schema(&self) -> Result<String, PluginError> {
        into_result((self.module.settings_schema())())
    }
    pub fn settings_preset(&self, options: &str) -> Result<String, PluginError> {
        into_result((self.module.settings_preset())(options.into()))
    }
    pub fn validate(&self, input: &str) -> Result<String, PluginError> {
        into_result((self.module.validate())(input.into()))
    }
    pub fn execute(&self, input: &str, settings: &str, context: &str) -> Result<String, PluginError> {
        into_result((self.module.execute())(input.into(), settings.into(), context.into()))
    }
}

fn into_result(r: PluginResult) -> Result<String, PluginError> {
    r.into_result().map(RString::into_string)
}
