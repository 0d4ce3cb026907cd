//! What the plugin says about itself when a host asks: the interface's [`Manifest`], with every
//! task this plugin offers.

use std::sync::OnceLock;

use plaid_idv_retry_interface::{abi_version, Manifest};

use crate::task::Task;

/// Built once: hosts may ask on every call.
pub fn json() -> &'static str {
    static MANIFEST: OnceLock<String> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let tasks: Vec<_> = Task::ALL.iter().map(|t| t.manifest()).collect();
        // What an ABI 1.0 host reads: the task its functions address, and that task's schema
        // hashes and preset options at the top level.
        let task = Task::Retry.manifest();
        Manifest {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            abi_version: abi_version().into(),
            schemas: task.schemas.clone(),
            preset_options: task.preset_options.clone(),
            task,
            tasks,
        }
        .to_json()
    })
}
