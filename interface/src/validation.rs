//! The validation report of a task input, as `validate` answers it and `execute` carries it in
//! `output.validation`: defined here so that a host that must refuse an input before the plugin
//! can see it (bytes that are not UTF-8 cannot cross the ABI, whose strings are UTF-8) answers the
//! same report and the same task result the plugin would.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

/// Inputs above this size are refused before parsing: a request body is a few kilobytes.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The JSON pointer of the field to fix; for a missing or unknown field, that field's own.
    pub path: String,
    /// One sentence for a person. Never carries a value from the input.
    pub message: String,
    /// A machine keyword: `required`, `unknown_field`, `enum`, `pattern`, `json_syntax`, ...
    pub rule: String,
}

impl Issue {
    pub fn new(path: impl Into<String>, rule: &str, message: impl Into<String>) -> Self {
        Issue { path: path.into(), message: message.into(), rule: rule.to_owned() }
    }

    /// An input over [`MAX_INPUT_BYTES`].
    pub fn too_big(len: usize) -> Self {
        let message =
            format!("The input is {len} bytes; at most {MAX_INPUT_BYTES} bytes (1 MiB) are accepted.");
        Issue::new("", "max_size", message)
    }

    /// Text that is not a JSON document. `problem` says what and where (serde_json's message:
    /// the problem, its line and column, never the text).
    pub fn json_syntax(problem: impl Display) -> Self {
        Issue::new("", "json_syntax", format!("The input is not valid JSON: {problem}."))
    }
}

impl Report {
    /// The report of an input stopped by one issue, before any rule was checked.
    pub fn stopped(issue: Issue) -> Self {
        Report { valid: false, errors: vec![issue], warnings: Vec::new() }
    }

    /// The report of bytes that are not UTF-8, or `None` for UTF-8. JSON text is UTF-8 (RFC 8259
    /// §8.1), so such bytes are a malformed document, reported as any other: `json_syntax` at the
    /// line and column (in bytes, as serde_json counts) of the first byte that is not UTF-8.
    pub fn of_bytes(bytes: &[u8]) -> Option<Report> {
        let at = std::str::from_utf8(bytes).err()?.valid_up_to();
        if bytes.len() > MAX_INPUT_BYTES {
            return Some(Report::stopped(Issue::too_big(bytes.len())));
        }
        let before = &bytes[..at];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        Some(Report::stopped(Issue::json_syntax(format_args!(
            "invalid UTF-8 at line {line} column {column}"
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_that_are_not_utf8_are_a_syntax_error_at_their_position() {
        assert_eq!(Report::of_bytes(br#"{"a": "b"}"#), None);
        let report = Report::of_bytes(b"{\"client_user_id\": \"u\",\n \"template_id\": \"t\xe9\"}").unwrap();
        assert!(!report.valid);
        assert_eq!(report.errors[0].rule, "json_syntax");
        assert_eq!(
            report.errors[0].message,
            "The input is not valid JSON: invalid UTF-8 at line 2 column 19."
        );
        let big = [vec![b' '; MAX_INPUT_BYTES], vec![0xff]].concat();
        assert_eq!(Report::of_bytes(&big).unwrap().errors[0].rule, "max_size");
    }
}
