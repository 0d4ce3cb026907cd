//! host-sim: a workflow engine in miniature for the plaid-idv-retry plugin.
//!
//! - `locate`: finds and loads the plugin the way an engine does, through the stable ABI only.
//! - `cli`: the commands (inspect, schema, validate, preset, ...).

pub mod bench;
pub mod cli;
pub mod engine;
pub mod locate;
pub mod run;
pub mod sandbox;
pub mod target;
pub mod test_request;
