//! What the plugin says about itself when a host asks.

use std::sync::OnceLock;

use serde_json::json;

use plaid_idv_retry_interface::abi_version;

use crate::{
    endpoint::{DOCUMENTATION_URL, PLAID_VERSION, RETRY_PATH, TASK_ID},
    preset, schema,
};

/// Built once: hosts may ask on every call.
pub fn json() -> &'static str {
    static MANIFEST: OnceLock<String> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        let schemas: serde_json::Map<String, serde_json::Value> = schema::HASHES
            .iter()
            .map(|(name, hash)| ((*name).to_string(), json!({ "hash": format!("fnv1a64:{hash:016x}") })))
            .collect();
        json!({
            "name": env!("CARGO_PKG_NAME"),
            "version": env!("CARGO_PKG_VERSION"),
            "abi_version": abi_version(),
            "task": {
                "id": TASK_ID,
                "title": "Retry an Identity Verification",
                "description": "Allow a customer to retry their Plaid Identity Verification: opens a new, billed \
                                session for the same client_user_id and template_id, using one of the reset, \
                                incomplete, infer or custom strategies.",
                "method": "POST",
                "path": RETRY_PATH,
                "plaid_version": PLAID_VERSION,
                "documentation_url": DOCUMENTATION_URL,
            },
            "schemas": schemas,
            "preset_options": preset::options(),
        })
        .to_string()
    })
}
