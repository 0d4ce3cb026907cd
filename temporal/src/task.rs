//! What a workflow carries, and so what Temporal's history holds of a task before it runs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The workflow's input, passed on unchanged as the activity's. Never a setting or a credential:
/// those stay with the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Task {
    /// The task input, as the plugin's input schema describes it.
    pub input: Value,
    /// Keep Plaid's answer unmasked in what Temporal stores (default: personal fields masked).
    #[serde(default)]
    pub keep_plaid_body: bool,
    /// The workflow `submit` sealed this task for. The payload codec cannot see which workflow a
    /// payload belongs to, so the task says it inside the seal, and the workflow runs only a task
    /// sealed for itself: a sealed input copied from one history into a new workflow runs
    /// nothing. Absent only in tasks written before this field (read under the migration switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
}
