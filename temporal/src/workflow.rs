//! The workflow: runs the activity once under the plugin's policy; Temporal's retry policy does
//! the rest. It fails when the activity does (its failure is the cause), and completes with the
//! task result otherwise. A task sealed for another workflow fails it before anything runs.

use serde_json::Value;
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowResult};

use crate::{activity::RetryActivity, policy::Policy, task::Task};

/// The workflow's type name.
pub const WORKFLOW_TYPE: &str = "PlaidIdentityVerificationRetry";

/// The failure type of a task that was not sealed for the workflow running it.
pub const NOT_THIS_WORKFLOWS_TASK: &str = "TASK_FOR_ANOTHER_WORKFLOW";

/// Built by the worker's factory with the policy it read from the plugin.
#[workflow]
pub struct RetryWorkflow {
    pub policy: Policy,
    /// The migration switch: a task without a workflow id (written before tasks named one) runs.
    pub read_legacy_payloads: bool,
}

#[workflow_methods(factory_only)]
impl RetryWorkflow {
    #[run(name = WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>, task: Task) -> WorkflowResult<Value> {
        let legacy = ctx.state(|w| w.read_legacy_payloads);
        if let Some(refusal) = refusal(&task, ctx.workflow_id(), legacy) {
            return Err(ApplicationFailure::builder(refusal)
                .type_name(NOT_THIS_WORKFLOWS_TASK.to_owned())
                .non_retryable(true)
                .build()
                .into());
        }
        let options = ctx.state(|w| w.policy.activity_options());
        Ok(ctx.execute_activity(RetryActivity::retry, task, options).await?)
    }
}

/// Why `task` must not run in workflow `own`, if it must not.
pub(crate) fn refusal(task: &Task, own: &str, legacy: bool) -> Option<String> {
    match task.workflow_id.as_deref() {
        Some(id) if id == own => None,
        None if legacy => None,
        // Both ids are ours to show: derived from the input by a keyed hash, not the input.
        Some(id) => Some(format!(
            "the task was sealed for workflow {:?}, not this one: a copied input runs nothing",
            id.chars().take(64).collect::<String>()
        )),
        None => Some(
            "the task names no workflow (written before this release): refused; run the worker \
             with --read-legacy-payloads to drain older workflows"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_task_runs_only_in_the_workflow_it_was_sealed_for() {
        let task = |id: Option<&str>| Task {
            input: json!({}),
            keep_plaid_body: false,
            workflow_id: id.map(str::to_owned),
        };
        assert_eq!(refusal(&task(Some("wf-a")), "wf-a", false), None);
        let copied = refusal(&task(Some("wf-a")), "wf-b", true).unwrap();
        assert!(copied.contains("wf-a") && copied.contains("copied"), "{copied}");
        assert!(refusal(&task(None), "wf-a", false).unwrap().contains("--read-legacy-payloads"));
        assert_eq!(refusal(&task(None), "wf-a", true), None);
    }
}
