//! The tools the tests drive, as `tests/run-all` installs them, and the workspace's own binaries.
//! A missing tool fails the test that needs it, with what to run: a test never passes by skipping.

use std::path::{Path, PathBuf};

/// The executable (or directory) an environment variable set by `tests/run-all` names:
/// `PLAID_IDV_TEST_PYTHON` (the venv's Python with plaid-python), `PLAID_IDV_TEST_TEMPORAL` (the
/// Temporal CLI), `PLAID_IDV_TEST_AJV_DIR` (ajv's package directory).
pub fn tool(var: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from) {
        Some(path) if path.exists() => path,
        Some(path) => {
            panic!("{var} names {}, which does not exist: run the tests with tests/run-all", path.display())
        }
        None => {
            panic!("{var} is not set: run the tests with tests/run-all, which installs and names the tools")
        }
    }
}

/// A file the system must have (Debian's chromium and chromium-driver, which `tests/run-all`
/// installs as root).
pub fn system_tool(path: &str) -> &Path {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: run the tests with tests/run-all (as root it installs it)"
    );
    Path::new(path)
}

/// A binary of the workspace, where cargo builds it for the integration tests that use it: beside
/// the test's `deps/` directory (cargo builds a package's binaries for its own integration tests).
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let path = exe.parent().and_then(Path::parent).expect("target profile directory").join(name);
    assert!(
        path.is_file(),
        "{} is not built: run this test through `cargo test -p` its package",
        path.display()
    );
    path
}
