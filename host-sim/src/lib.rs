//! host-sim: a workflow engine in miniature for the plaid-idv-retry plugin.
//!
//! - `locate`: finds and loads the plugin the way an engine does, through the stable ABI only.
//! - `cli`: the commands and their exit codes.
//! - `engine`: what an engine does around `execute`: context, retry policy, classification.
//! - `target`: where a task goes (settings, or the embedded simulator).
//! - `test_request`, `run`: the Test request button and the worker loop.
//! - `sandbox`: the local Plaid-compatible simulator.
//! - `bench`: the plugin measured against a raw HTTP floor and the simulator's ceiling.

pub mod bench;
pub mod cli;
pub mod engine;
pub mod locate;
pub mod run;
pub mod sandbox;
pub mod target;
pub mod test_request;
