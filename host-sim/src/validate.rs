//! `host-sim validate`: the plugin's validation report of a task input.

use plaid_idv_retry_interface::Plugin;

use crate::{
    error::Failure,
    exit::Exit,
    io::{parse_answer, print_json, read_input},
};

pub fn run(plugin: &Plugin, file: &str) -> Result<Exit, Failure> {
    let input = read_input(file)?;
    let report = plugin.validate(&input)?;
    let valid = parse_answer(&report, "a report")?["valid"] == true;
    print_json(&report)?;
    Ok(if valid { Exit::Success } else { Exit::Incomplete })
}
