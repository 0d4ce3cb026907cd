//! Where the plugin is: `--plugin PATH`, else `$PLAID_IDV_RETRY_PLUGIN`, else next to this
//! executable in the same cargo target directory: beside it, or in `deps/` where cargo leaves the
//! `.so` it builds as host-sim's dependency.

use std::path::{Path, PathBuf};

use plaid_idv_retry::interface::{self, LoadError, Plugin};

pub const ENV_VAR: &str = "PLAID_IDV_RETRY_PLUGIN";
pub const FILE_NAME: &str = "libplaid_idv_retry.so";

pub fn plugin_path(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().unwrap_or(Path::new("."));
    let beside = dir.join(FILE_NAME);
    let in_deps = dir.join("deps").join(FILE_NAME);
    if !beside.exists() && in_deps.exists() {
        return in_deps;
    }
    beside
}

pub fn load(flag: Option<&Path>) -> Result<Plugin, LoadError> {
    interface::load(&plugin_path(flag))
}
