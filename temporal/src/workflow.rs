//! The workflow: runs the activity once under the plugin's policy; Temporal's retry policy does
//! the rest. It fails when the activity does (its failure is the cause), and completes with the
//! task result otherwise.

use serde_json::Value;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowResult};

use crate::{activity::RetryActivity, policy::Policy, task::Task};

/// The workflow's type name.
pub const WORKFLOW_TYPE: &str = "PlaidIdentityVerificationRetry";

/// Built by the worker's factory with the policy it read from the plugin.
#[workflow]
pub struct RetryWorkflow {
    pub policy: Policy,
}

#[workflow_methods(factory_only)]
impl RetryWorkflow {
    #[run(name = WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>, task: Task) -> WorkflowResult<Value> {
        let options = ctx.state(|w| w.policy.activity_options());
        Ok(ctx.execute_activity(RetryActivity::retry, task, options).await?)
    }
}
