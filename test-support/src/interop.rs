//! The interop tools `tests/run-all` installs (plaid-python, ajv), found through the environment
//! variable it exports. Without one a test is skipped loudly; under CI that is a failure, since a
//! silently skipped interop test would hide a regression.

pub fn tool(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os("CI").is_some() => panic!("{var} is not set: run the suite with tests/run-all"),
        _ => {
            // Written past the test harness's capture, so a skipped interop test is seen.
            let note =
                format!("\n*** skipped: {var} is not set; run tests/run-all for the interop tests ***\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
            None
        }
    }
}
