//! The validation report of a task input: every error, at the pointer of the field to fix, in
//! words a person can act on, plus warnings about inputs Plaid accepts but that are likely mistakes.
//! This module is the retry's; `get` is the get task's, with the same parsing and messages.
//!
//! The input schema is the authority on validity: it is compiled once, shared by all threads, and
//! an input is valid exactly when the schema says so and its phone number passes libphonenumber
//! (`phone`: the one rule JSON Schema cannot state). The schema's warning rules (`$defs/warnings`,
//! one schema per rule that a clean input satisfies) are compiled once too and give the warnings,
//! beside the plugin's own (`warnings`). This module only turns those verdicts into a report. `fast` answers the common case (valid, nothing to warn about) from the
//! text with the schema's own rules, and is proven to agree with the general path. Messages are
//! written from the failed rule and the schema, never from the input's values, which are personal
//! data or secrets.

mod fast;
pub(crate) mod get;
mod issue;
mod normalize;
mod phone;
mod warnings;

use std::sync::LazyLock;

use serde_json::Value;

use crate::schema;

pub use plaid_idv_retry_interface::{Issue, Report, MAX_INPUT_BYTES};

/// The embedded input schema, compiled once.
static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::INPUT).expect("the embedded input schema is JSON");
    options().build(&schema).expect("the embedded input schema compiles")
});

/// The schema's warning rules: each `$defs/warnings` entry compiled on its own, with its rule name
/// and the sentence (its description) a failure reports.
static WARNINGS: LazyLock<Vec<(String, String, jsonschema::Validator)>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(schema::INPUT).expect("the embedded input schema is JSON");
    let defs = schema.pointer("/$defs/warnings").and_then(Value::as_object).cloned().unwrap_or_default();
    defs.into_iter()
        .map(|(rule, def)| {
            let message = def["description"].as_str().unwrap_or_default().to_owned();
            let validator = options().build(&def).expect("each warning schema compiles");
            (rule, message, validator)
        })
        .collect()
});

/// How the schema and its parts are compiled: for 2020-12 with `format` asserted (jsonschema
/// only asserts formats by default for drafts 4 to 7).
fn options() -> jsonschema::ValidationOptions<'static> {
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).should_validate_formats(true)
}

/// The report of a task input given as JSON text: what `validate` answers. A valid input with
/// nothing to warn about is usually recognised by the fast path, without building its JSON;
/// every other report is the general validator's.
fn check_text(text: &str) -> Report {
    if fast_accepts(text) {
        return clean();
    }
    general(text).0
}

/// The same report as `check_text`, with the input as JSON when it is JSON: execute's one way
/// in, which sends the JSON it validated and parses the text once on either path. With
/// `normalize` (the `normalize_input` setting), what Plaid documents as formatting is rewritten
/// first and each rewrite is a warning; an input the fast path accepts has nothing to rewrite
/// (every rewrite turns a value the schema refuses into one it may accept).
pub(crate) fn read(text: &str, normalize: bool) -> (Report, Option<Value>) {
    if fast_accepts(text) {
        // Accepted text is JSON under the size cap, so `parse` succeeds; its issue stands if not.
        return match parse(text) {
            Ok(input) => (clean(), Some(input)),
            Err(issue) => (Report::stopped(issue), None),
        };
    }
    if !normalize {
        return general(text);
    }
    match parse(text) {
        Ok(mut input) => {
            let rewritten = normalize::rewrite(&mut input);
            let mut report = check(&input);
            report.warnings.splice(0..0, rewritten);
            let errors = &report.errors;
            report.warnings.retain(|w| errors.iter().all(|e| e.path != w.path));
            tidy(&mut report.warnings);
            (report, Some(input))
        }
        Err(issue) => (Report::stopped(issue), None),
    }
}

/// The report of a valid input with nothing to warn about.
fn clean() -> Report {
    Report { valid: true, errors: Vec::new(), warnings: Vec::new() }
}

fn fast_accepts(text: &str) -> bool {
    text.len() <= MAX_INPUT_BYTES && fast::accepts(text)
}

/// The general path: the text parsed, then checked against the compiled schema.
fn general(text: &str) -> (Report, Option<Value>) {
    match parse(text) {
        Ok(input) => (check(&input), Some(input)),
        Err(issue) => (Report::stopped(issue), None),
    }
}

/// Validates a task input (the request body) against the input schema: the general path.
fn check(input: &Value) -> Report {
    let mut errors = Vec::new();
    if !VALIDATOR.is_valid(input) {
        for e in VALIDATOR.iter_errors(input) {
            errors.extend(issue::from_error(&e, input));
        }
    }
    if errors.iter().all(|e| e.path != phone::PATH) {
        if let Some(number) = input.pointer(phone::PATH).and_then(Value::as_str) {
            if !phone::is_valid(number) {
                errors.push(phone::issue());
            }
        }
    }
    tidy(&mut errors);
    let mut warnings = warnings::of(&warnings::Facts::of(input));
    for (rule, message, validator) in WARNINGS.iter() {
        if !validator.is_valid(input) {
            warnings.extend(
                validator.iter_errors(input).map(|e| Issue::new(e.instance_path().as_str(), rule, message)),
            );
        }
    }
    // A field with an error gets no warning besides: the error says what to fix.
    warnings.retain(|w| errors.iter().all(|e| e.path != w.path));
    tidy(&mut warnings);
    Report { valid: errors.is_empty(), errors, warnings }
}

/// Sorts by path then rule, and keeps one issue per field and rule: the schema may reach the same
/// rule by two branches (a US postal code fails both the general and the US pattern). A value of
/// the wrong type makes the field's other complaints (its enum, its pattern) noise, so they go.
fn tidy(issues: &mut Vec<Issue>) {
    issues.sort_by(|a, b| (&a.path, &a.rule, &a.message).cmp(&(&b.path, &b.rule, &b.message)));
    issues.dedup_by(|b, a| a.path == b.path && a.rule == b.rule);
    let mistyped: Vec<String> = issues.iter().filter(|i| i.rule == "type").map(|i| i.path.clone()).collect();
    issues.retain(|i| i.rule == "type" || !mistyped.contains(&i.path));
}

/// The report of a task input given as JSON text, as JSON text: what the exported `validate`
/// answers. Text that is too big, not JSON, or not an object is an invalid input, not a failure.
pub fn report_json(text: &str) -> String {
    written(&check_text(text))
}

/// A report as JSON text.
fn written(report: &Report) -> String {
    serde_json::to_string(report).unwrap_or_else(|_| {
        // Unreachable in practice (plain strings and bools); still never a panic across the FFI.
        r#"{"valid":false,"errors":[{"path":"","message":"The report could not be written.","rule":"internal"}],"warnings":[]}"#.into()
    })
}

/// The input text as JSON, or the one issue that stops it: too big, or not JSON. Both paths
/// above parse with this, so validate and execute never disagree about an input.
fn parse(text: &str) -> Result<Value, Issue> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Issue::too_big(text.len()));
    }
    // serde_json's syntax messages name the problem and its line and column, never the text, and
    // its recursion limit (128) keeps a hostile `[[[[...` short.
    serde_json::from_str(text).map_err(Issue::json_syntax)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_compiles() {
        assert!(!VALIDATOR.is_valid(&Value::Null));
    }

    #[test]
    fn one_compiled_schema_serves_many_threads() {
        let input =
            serde_json::json!({"client_user_id": "u", "template_id": "idvtmp_1", "strategy": "custom"});
        let reports: Vec<Report> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| check(&input))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(reports.iter().all(|r| r == &reports[0] && !r.valid && r.errors[0].path == "/steps"));
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let text = format!("[{}", " ".repeat(MAX_INPUT_BYTES));
        let report: Value = serde_json::from_str(&report_json(&text)).unwrap();
        assert_eq!(report["errors"][0]["rule"], "max_size");
    }
}
