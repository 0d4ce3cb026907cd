//! `host-sim validate`: the plugin's validation report of a task input.

use plaid_idv_retry_interface::{Exit, Plugin};

use crate::{
    error::Failure,
    io::{parse_answer, print_json},
    task_input::TaskInput,
};

pub fn run(plugin: &Plugin, file: &str) -> Result<Exit, Failure> {
    let report = match TaskInput::read(file)? {
        TaskInput::Text(input) => plugin.validate(&input)?,
        TaskInput::NotJson(report) => serde_json::to_string(&report).unwrap_or_default(),
    };
    let valid = parse_answer(&report, "a report")?["valid"] == true;
    print_json(&report)?;
    Ok(if valid { Exit::Success } else { Exit::Incomplete })
}
