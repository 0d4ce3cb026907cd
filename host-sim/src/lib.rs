//! host-sim: a workflow engine in miniature for the plaid-idv-retry plugin. It knows the plugin
//! through the interface crate alone.
//!
//! - `cli`: parses the arguments and hands each command to its module.
//! - Leaves everything else uses: `exit` (the exit codes), `error` (`Failure`, what ends a
//!   command), `io` (reading inputs, printing documents), `values` (the interface's words as
//!   command-line values).
//! - `locate`: finds and loads the plugin the way an engine does, through the stable ABI only.
//! - `engine`: what an engine does around `execute`: context, retry policy, task timeout.
//! - `histogram`: latencies in constant memory, for the worker loop's summary.
//! - `latest_attempts`: the newest attempt per user, remembered between tasks for the context.
//! - `target`: where a task goes (settings, or the embedded simulator).
//! - `task_input`: an input as read, bytes that are not UTF-8 answered as malformed JSON.
//! - `validate`, `test_request`, `run`: the Validate and Test request buttons and the worker loop.
//! - `billed`: a person's confirmation before a Test request opens a session Plaid bills.
//! - `console`: the catalog, reference and Test request as a web page.
//! - `sandbox`: the `sandbox` command, serving the local Plaid simulator (crate `plaid_idv_simulator`).
//! - `bench`: the plugin measured against a raw HTTP floor and the simulator's ceiling.

pub mod bench;
pub mod billed;
pub mod cli;
pub mod console;
pub mod engine;
pub mod error;
pub mod exit;
pub mod histogram;
pub mod io;
pub mod latest_attempts;
pub mod locate;
pub mod run;
pub mod sandbox;
pub mod target;
pub mod task_input;
pub mod test_request;
pub mod validate;
pub mod values;
