//! What `manifest` answers: who the plugin is, its ABI version and the tasks it offers. The plugin
//! writes it with these types and the loader reads it with them, so the shape is defined once.
//!
//! ```json
//! {"name": "plaid-idv-retry", "version": "1.1.0", "abi_version": "1.1.0",
//!  "task": {"id": "plaid.identity_verification.retry", …},
//!  "schemas": {"input": {"hash": "fnv1a64:…"}, "output": {…}, "settings": {…}},
//!  "preset_options": {"environment": ["sandbox", "production"], "dialect": ["seed", …]},
//!  "tasks": [{"id": "plaid.identity_verification.retry", …, "schemas": {…}, "preset_options": {…}},
//!            {"id": "plaid.identity_verification.get", …}]}
//! ```
//!
//! `task`, `schemas` and `preset_options` are what an ABI 1.0 host reads: the task the 1.0
//! functions address. ABI 1.1 adds `tasks`, every task with its own schema hashes and preset
//! options, `task` first. Keys a host does not know are ignored, so the manifest grows as the ABI
//! does: by addition.

use serde::{Deserialize, Serialize};

/// The task id engines know the retry by: `POST /identity_verification/retry`, the task the ABI
/// 1.0 functions address.
pub const RETRY_TASK_ID: &str = "plaid.identity_verification.retry";
/// The task id engines know the session's read by (`POST /identity_verification/get`): what
/// follows a retry to its verdict. Hosts ask for it with `Plugin::task`.
pub const GET_TASK_ID: &str = "plaid.identity_verification.get";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plugin's package name and its own release version (not the ABI's).
    pub name: String,
    pub version: String,
    /// The interface package's version the plugin was built against ([`abi_version`](crate::abi_version)).
    pub abi_version: String,
    /// The task the ABI 1.0 functions address.
    pub task: TaskManifest,
    /// `task`'s schema hashes and preset options, where an ABI 1.0 host reads them.
    pub schemas: Schemas,
    pub preset_options: PresetChoices,
    /// ABI 1.1: every task the plugin offers, `task` first. Empty (absent) from a 1.0 plugin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskManifest>,
}

/// One task: what it is in Plaid's words and what its documents hash to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskManifest {
    /// What engines know the task by, e.g. `plaid.identity_verification.get`; the ABI 1.1 task
    /// functions take it.
    pub id: String,
    pub title: String,
    pub description: String,
    /// The Plaid endpoint the task calls, e.g. `POST` `/identity_verification/get`.
    pub method: String,
    pub path: String,
    pub plaid_version: String,
    pub documentation_url: String,
    /// A 1.0 plugin's `task` has these at the manifest's top level instead; the loader fills
    /// them in from there, so every [`Task`](crate::Task) has its own.
    #[serde(default)]
    pub schemas: Schemas,
    #[serde(default)]
    pub preset_options: PresetChoices,
}

/// The content hash of each JSON Schema of a task (the settings schema is every task's).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schemas {
    pub input: SchemaHash,
    pub output: SchemaHash,
    pub settings: SchemaHash,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SchemaHash {
    /// `fnv1a64:` and 16 hex digits: enough to tell two schema texts apart.
    pub hash: String,
}

/// What each option of a task's `settings_preset` accepts, so a host offers them as choices.
/// Words, not [`Environment`](crate::Environment)/[`Dialect`](crate::Dialect): a newer plugin
/// may offer a dialect this host has no name for, and its manifest must still read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PresetChoices {
    pub environment: Vec<String>,
    pub dialect: Vec<String>,
}

impl Manifest {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The tasks a plugin of this manifest offers through the functions of `abi`: ABI 1.0 offers
    /// `task` alone (whatever else the manifest lists, the 1.0 functions address only it), ABI
    /// 1.1 every task of `tasks` (or `task`, if the list is empty).
    pub(crate) fn offered(self, abi_1_1: bool) -> Vec<TaskManifest> {
        let Manifest { task, schemas, preset_options, tasks, .. } = self;
        if abi_1_1 && !tasks.is_empty() {
            return tasks;
        }
        let mut task = task;
        if task.schemas == Schemas::default() {
            task.schemas = schemas;
        }
        if task.preset_options == PresetChoices::default() {
            task.preset_options = preset_options;
        }
        vec![task]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: &str) -> serde_json::Value {
        json!({"id": id, "title": "t", "description": "d", "method": "POST", "path": "/p",
               "plaid_version": "2020-09-14", "documentation_url": "https://plaid.com/docs/"})
    }

    fn v1_0() -> serde_json::Value {
        json!({"name": "p", "version": "1.0.0", "abi_version": "1.0.0", "task": entry("a"),
               "schemas": {"input": {"hash": "fnv1a64:1"}, "output": {"hash": "fnv1a64:2"}, "settings": {"hash": "fnv1a64:3"}},
               "preset_options": {"environment": ["sandbox"], "dialect": ["seed", "a-dialect-from-later"]}})
    }

    #[test]
    fn a_1_0_manifest_offers_its_task_with_the_top_level_hashes_and_options() {
        let manifest: Manifest = serde_json::from_value(v1_0()).unwrap();
        let offered = manifest.clone().offered(true);
        assert_eq!(offered.len(), 1);
        assert_eq!(offered[0].id, "a");
        assert_eq!(offered[0].schemas, manifest.schemas);
        assert_eq!(offered[0].preset_options.dialect, ["seed", "a-dialect-from-later"]);
    }

    #[test]
    fn a_1_1_manifest_offers_its_tasks_only_through_the_1_1_functions() {
        let mut text = v1_0();
        text["tasks"] = json!([entry("a"), entry("b")]);
        let manifest: Manifest = serde_json::from_value(text).unwrap();
        let ids = |tasks: Vec<TaskManifest>| tasks.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(manifest.clone().offered(true)), ["a", "b"]);
        assert_eq!(ids(manifest.offered(false)), ["a"]);
    }

    #[test]
    fn keys_a_host_does_not_know_are_ignored_and_it_writes_what_it_read() {
        let mut text = v1_0();
        text["a_later_key"] = json!({"x": 1});
        text["task"]["a_later_key"] = json!(true);
        let manifest: Manifest = serde_json::from_value(text).unwrap();
        let again: Manifest = serde_json::from_str(&manifest.to_json()).unwrap();
        assert_eq!(again, manifest);
    }
}
