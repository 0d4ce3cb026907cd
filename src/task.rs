//! The tasks this plugin offers, each with its manifest entry, schemas, preset, validation and
//! execute: the one place a task id becomes the functions that serve it.

use plaid_idv_retry_interface::{ErrorCode, SchemaHash, Schemas, TaskManifest};

use crate::{
    arguments::field_name,
    endpoint::{
        GET_DOCUMENTATION_URL, GET_PATH, GET_TASK_ID, PLAID_VERSION, RETRY_DOCUMENTATION_URL, RETRY_PATH,
        RETRY_TASK_ID,
    },
    error::Error,
    execute, preset, schema, validate,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// `POST /identity_verification/retry`: what ABI 1.0's functions address.
    Retry,
    /// `POST /identity_verification/get`: the session by id, until its verdict.
    Get,
}

impl Task {
    /// In the manifest's order: the retry first, as the manifest's `task`.
    pub const ALL: [Task; 2] = [Task::Retry, Task::Get];

    pub fn id(self) -> &'static str {
        match self {
            Task::Retry => RETRY_TASK_ID,
            Task::Get => GET_TASK_ID,
        }
    }

    /// The task a host names by its manifest id, or the plugin error `unknown_task`.
    pub fn by_id(id: &str) -> Result<Task, Error> {
        Task::ALL.into_iter().find(|t| t.id() == id).ok_or_else(|| {
            let known: Vec<&str> = Task::ALL.iter().map(|t| t.id()).collect();
            Error::new(
                ErrorCode::UnknownTask,
                format!(
                    "this plugin offers no task {}; its tasks are {}",
                    field_name(id),
                    known.join(" and ")
                ),
            )
        })
    }

    pub fn input_schema(self) -> &'static str {
        match self {
            Task::Retry => schema::INPUT,
            Task::Get => schema::GET_INPUT,
        }
    }

    pub fn output_schema(self) -> &'static str {
        match self {
            Task::Retry => schema::OUTPUT,
            Task::Get => schema::get_output(),
        }
    }

    pub fn settings_preset(self, options: &str) -> Result<String, Error> {
        match self {
            Task::Retry => preset::settings_preset(options),
            Task::Get => preset::get::settings_preset(options),
        }
    }

    pub fn validate(self, input: &str) -> String {
        match self {
            Task::Retry => validate::report_json(input),
            Task::Get => validate::get::report_json(input),
        }
    }

    pub fn execute(self, input: &str, settings: &str, context: &str) -> Result<String, Error> {
        match self {
            Task::Retry => execute::execute(input, settings, context),
            Task::Get => execute::get(input, settings, context),
        }
    }

    /// Its entry in the manifest.
    pub fn manifest(self) -> TaskManifest {
        let (title, description, path, documentation_url, preset_options) = match self {
            Task::Retry => (
                "Retry an Identity Verification",
                "Allow a customer to retry their Plaid Identity Verification: opens a new, billed session for the \
                 same client_user_id and template_id, using one of the reset, incomplete, infer or custom \
                 strategies.",
                RETRY_PATH,
                RETRY_DOCUMENTATION_URL,
                preset::options(),
            ),
            Task::Get => (
                "Get an Identity Verification",
                "Read an Identity Verification session by its id: its status and steps as they stand now, and \
                 whether the status is final (success, failed, expired or canceled). Free and read-only: poll it \
                 after a retry until the verdict.",
                GET_PATH,
                GET_DOCUMENTATION_URL,
                preset::get::options(),
            ),
        };
        let hash = |text: &str| SchemaHash { hash: schema::hash(text) };
        TaskManifest {
            id: self.id().into(),
            title: title.into(),
            description: description.into(),
            method: "POST".into(),
            path: path.into(),
            plaid_version: PLAID_VERSION.into(),
            documentation_url: documentation_url.into(),
            schemas: Schemas {
                input: hash(self.input_schema()),
                output: hash(self.output_schema()),
                settings: hash(schema::SETTINGS),
            },
            preset_options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_tasks_and_nothing_else() {
        for task in Task::ALL {
            assert_eq!(Task::by_id(task.id()), Ok(task));
        }
        let e = Task::by_id("plaid.identity_verification.create\n").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownTask);
        assert!(e.message.contains("\"plaid.identity_verification.create?\""), "{e}");
        assert!(e.message.contains(GET_TASK_ID) && e.message.contains(RETRY_TASK_ID), "{e}");
    }
}
