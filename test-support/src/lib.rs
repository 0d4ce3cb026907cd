//! What the workspace's integration tests share (publish = false): the plugin under test, loaded
//! from the freshly built `.so`; the validation case table; canary values and the leak check; a
//! raw HTTP server whose every answer a test chooses; the tools the tests drive; host-sim's console
//! and the Temporal worker as child processes; Plaid's date formats.
//!
//! - `plugin`: [`plugin`], [`plugin_path`] (built on first use), [`host_sim`], [`fixture`].
//! - [`cases`]: the validation case table.
//! - [`fuzz`]: the fuzzer's inputs and case counts.
//! - `canary`: [`CANARY_SECRET`], [`CANARY_PERSONAL`], [`canary_input`], [`execute`], [`assert_no_canary`].
//! - `server`: [`Server`], [`Reply`], [`Captured`], [`refused_url`].
//! - `simulator`: [`seeded_simulator`] (a simulator holding the earlier attempts to retry),
//!   [`simulator_config`].
//! - `tool`: [`tool`], [`system_tool`] (plaid-python, ajv, the Temporal CLI, chromium, as
//!   `tests/run-all` installs them: missing, the test fails), [`workspace_bin`].
//! - [`console`]: `host-sim console` as a child process, and raw HTTP to it.
//! - [`temporal`]: a Temporal dev server, workers and `submit` as child processes, and history.
//! - [`http_agent`], a plain client; [`output_with_stdin`]: a command run to its end with the given
//!   standard input.

mod canary;
pub mod cases;
pub mod console;
pub mod fuzz;
mod plugin;
mod server;
mod simulator;
pub mod temporal;
mod tool;

use std::{
    io::{ErrorKind, Write},
    path::PathBuf,
    process::{Command, Output, Stdio},
    time::{Duration, SystemTime},
};

pub use canary::*;
/// RFC 3339 in UTC, as Plaid writes `created_at`: the simulator's formatter.
pub use plaid_idv_simulator::rfc3339;
pub use plugin::*;
pub use server::*;
pub use simulator::*;
pub use tool::*;

/// The workspace's root directory, where `schema/` and `tests/` are.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// An HTTP date as servers send it in `Date`: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// A plain HTTP client for a test: every status is an answer (not an error), no proxy from the
/// environment, and a bound on the whole request.
pub fn http_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Runs `command` to its end with `stdin` as its standard input, capturing stdout and stderr. A
/// command that never reads its input (given a file instead) may exit before the write ends: the
/// broken pipe is expected then, and the exit status and output are what a test checks.
pub fn output_with_stdin(command: &mut Command, stdin: &[u8]) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    if let Err(e) = child.stdin.take().expect("a piped stdin").write_all(stdin) {
        assert_eq!(e.kind(), ErrorKind::BrokenPipe, "writing the child's stdin: {e}");
    }
    child.wait_with_output().expect("the child's output")
}
