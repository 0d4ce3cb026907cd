//! host-sim: a workflow engine in miniature for the plaid-idv-retry plugin. It knows the plugin
//! through the interface crate alone.
//!
//! - `cli`: parses the arguments and hands each command to its module.
//! - Leaves everything else uses: `error` (`Failure`, what ends a command, with its exit code,
//!   the interface's `Exit`), `io` (reading inputs, printing documents), `values` (the
//!   interface's words as command-line values).
//! - `locate`: finds and loads the plugin the way an engine does, through the stable ABI only.
//! - `engine`: what host-sim adds around the interface's retry loop (`run_task`, its
//!   `RetryPolicy` and `LatestAttempts`): the task timeout, inputs that cannot cross the ABI.
//! - `latency`: latency statistics: exact percentiles, and a histogram in constant memory.
//! - `target`: where a task goes (settings, or the embedded simulator).
//! - `task_input`: an input as read, bytes that are not UTF-8 answered as malformed JSON.
//! - `validate`, `test_request`, `run`: the Validate and Test request buttons and the worker loop.
//! - `follow`: a session read with the plugin's get task at its preset's cadence, to its verdict
//!   (`test-request --follow`, the console's session view); `interrupt`: Ctrl-C as a message to
//!   the wait.
//! - `billed`: a person's confirmation before a Test request opens a session Plaid bills.
//! - `console`: the catalog, reference and Test request as a web page.
//! - `sandbox`: the `sandbox` command, serving the local Plaid simulator (crate `plaid_idv_simulator`).
//! - `bench`: the plugin measured against a raw HTTP floor and the simulator's ceiling.

mod bench;
mod billed;
mod cli;
mod console;
mod engine;
mod error;
mod follow;
mod interrupt;
mod io;
mod latency;
mod locate;
mod run;
mod sandbox;
mod target;
mod task_input;
mod test_request;
mod validate;
mod values;

// The library's surface is what its users outside this crate need, each named here: the binary's
// entry point, the `sandbox` command run as a child (tests and the bench), and the engine's worker
// loop (the Temporal crate's throughput comparison).
pub use cli::main;
pub use run::{execute_stream, Inputs};
pub use sandbox::ChildSimulator;
