//! Where the plugin is: `--plugin PATH`, else `$PLAID_IDV_RETRY_PLUGIN`, else next to this
//! executable in the same cargo target directory: beside it, or in `deps/` where cargo leaves the
//! `.so` it builds as host-sim's dependency.

use std::path::{Path, PathBuf};

use plaid_idv_retry_interface::{self as interface, LoadError, Plugin};

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
    // `cargo run -p host-sim` refreshes only the copy in `deps/`; an older `cargo build` may have
    // left a stale one beside the executable, so the newer of the two wins.
    let beside = dir.join(FILE_NAME);
    let in_deps = dir.join("deps").join(FILE_NAME);
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(&beside), modified(&in_deps)) {
        (Some(b), Some(d)) if d > b => in_deps,
        (None, Some(_)) => in_deps,
        _ => beside,
    }
}

pub fn load(flag: Option<&Path>) -> Result<Plugin, LoadError> {
    interface::load(&plugin_path(flag))
}
