//! A task input as the engine receives it: bytes from a file, standard input or a line of a
//! `.jsonl` file. Only UTF-8 can cross the ABI (its strings are `RStr`), and JSON text is UTF-8,
//! so bytes that are not are a malformed document: the engine answers for them the report and the
//! task result the plugin gives any malformed JSON (`json_syntax`, terminal, nothing sent), built
//! from the interface's one definition of both.

use std::{io::Read, path::Path};

use plaid_idv_retry_interface::{Issue, Report, TaskResult};

use crate::error::Failure;

#[derive(Debug, Clone, PartialEq)]
pub enum TaskInput {
    /// Text for the plugin to judge.
    Text(String),
    /// Bytes that cannot be JSON text, and the report that says where.
    NotJson(Report),
}

impl TaskInput {
    pub fn from_bytes(bytes: Vec<u8>) -> TaskInput {
        match String::from_utf8(bytes) {
            Ok(text) => TaskInput::Text(text),
            // `of_bytes` finds what `from_utf8` found; the fallback only keeps this panic-free.
            Err(e) => TaskInput::NotJson(
                Report::of_bytes(e.as_bytes())
                    .unwrap_or_else(|| Report::stopped(Issue::json_syntax("invalid UTF-8"))),
            ),
        }
    }

    /// A file, or standard input for `-`.
    pub fn read(file: &str) -> Result<TaskInput, Failure> {
        let mut bytes = Vec::new();
        let result = if file == "-" {
            std::io::stdin().read_to_end(&mut bytes).map(|_| ())
        } else {
            std::fs::read(Path::new(file)).map(|b| bytes = b)
        };
        result.map_err(|e| Failure::error(format!("cannot read {file}: {e}")))?;
        Ok(TaskInput::from_bytes(bytes))
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            TaskInput::Text(text) => Some(text),
            TaskInput::NotJson(_) => None,
        }
    }

    /// The task result of an input the engine refuses before `execute`, as `execute` would
    /// answer it: terminal, nothing sent, the report in `output.validation`.
    pub fn refused(report: &Report, attempt: u64) -> TaskResult {
        let mut result = TaskResult::invalid_input(report);
        result.output.attempt = attempt;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_text_and_anything_else_a_syntax_report() {
        assert_eq!(TaskInput::from_bytes(b"{}".to_vec()), TaskInput::Text("{}".into()));
        let TaskInput::NotJson(report) = TaskInput::from_bytes(b"{\"a\": \"\xc3\"}".to_vec()) else {
            panic!("not UTF-8")
        };
        assert_eq!(report.errors[0].rule, "json_syntax");
        assert!(report.errors[0].message.contains("line 1 column 8"), "{report:?}");
    }
}
