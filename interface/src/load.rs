//! The loader hosts use: abi_stable's checked loader (layout and version checks) behind the ELF
//! pre-check, and thin, safe wrappers over the root module's functions.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use abi_stable::{
    library::{lib_header_from_path, LibraryError},
    std_types::RString,
};

use crate::{
    abi::{PluginModuleRef, PluginResult},
    elf, PluginError,
};

/// Why a library could not be used as the plugin. Its `Display` is one line naming the path.
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

/// Loads the plugin at `path`.
///
/// Each call loads that very file (`RootModule::load_from_file` would cache one module per
/// process); libraries are never unloaded, so the returned handle lives for the whole process.
pub fn load(path: &Path) -> Result<Plugin, LoadError> {
    let fail = |cause: String| LoadError { path: path.display().to_string(), cause };
    match std::fs::metadata(path) {
        Err(e) => return Err(fail(e.to_string().to_lowercase())),
        Ok(m) if m.is_dir() => return Err(fail("is a directory, not a shared library".into())),
        Ok(m) => elf::check_file(path, m.len()).map_err(|p| fail(p.to_string()))?,
    }
    let header = lib_header_from_path(path).map_err(|e| fail(describe(&e)))?;
    // The frozen layouts of earlier ABIs go here, tried in turn, once ABI 2 exists.
    let module = header.init_root_module::<PluginModuleRef>().map_err(|e| fail(describe(&e)))?;
    Ok(Plugin { module })
}

/// abi_stable's layout errors run to ~170 lines; the lines starting with `Error:` are the cause.
fn describe(e: &LibraryError) -> String {
    match e {
        LibraryError::OpenError { .. } => elf::Problem::NotALibrary.to_string(),
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

/// A loaded plugin: each function answers its JSON document as text, or the plugin's error.
/// The root module stays private: a host calls the plugin through these methods only, so every
/// call converts its arguments and its answer the one checked way.
#[derive(Clone, Copy)]
pub struct Plugin {
    module: PluginModuleRef,
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

/// The variable a host reads for the plugin's path when it is given none.
pub const PLUGIN_ENV_VAR: &str = "PLAID_IDV_RETRY_PLUGIN";
/// The library's file name as cargo builds it.
pub const PLUGIN_FILE_NAME: &str = "libplaid_idv_retry.so";

/// Where a host finds the plugin: `flag` (its `--plugin PATH`), else `$PLAID_IDV_RETRY_PLUGIN`,
/// else beside the host's executable, where one cargo build of the plugin and the host leaves it
/// (`cargo host-sim`, `cargo temporal`).
pub fn locate(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os(PLUGIN_ENV_VAR).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    exe.parent().unwrap_or(Path::new(".")).join(PLUGIN_FILE_NAME)
}
