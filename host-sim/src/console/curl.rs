//! Copy as cURL: a command that runs as-is in a shell that has the credentials in its
//! environment. Credential headers are written as `"$PLAID_CLIENT_ID"`-style references (the
//! header name, upper case, `-` as `_`), never as values; everything else is single-quoted.

use serde_json::{Map, Value};

/// The names of the headers that carry credentials: those whose preset value refers to the
/// engine's secret store (`${secrets.…}`, `${workflow.secrets.…}`).
pub fn credential_headers(headers: &Value) -> Vec<String> {
    headers
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, v)| v.as_str().is_some_and(|v| v.starts_with("${") && v.contains("secrets.")))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The shell variable a credential header is read from: `PLAID-SECRET` → `PLAID_SECRET`.
pub fn variable(header: &str) -> String {
    header.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// One HTTP request as a cURL command.
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a Map<String, Value>,
    pub body: Option<&'a Value>,
}

impl Request<'_> {
    pub fn command(&self, credentials: &[String]) -> String {
        let mut lines = vec![format!("curl -X {} {}", quote(self.method), quote(self.url))];
        for (name, value) in self.headers {
            if credentials.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                // Only [A-Z0-9_] and a header token: safe inside double quotes.
                let token: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
                lines.push(format!("-H \"{token}: ${}\"", variable(name)));
            } else {
                lines.push(format!("-H {}", quote(&format!("{name}: {}", value.as_str().unwrap_or("")))));
            }
        }
        if let Some(body) = self.body {
            lines.push(format!(
                "--data-raw {}",
                quote(&serde_json::to_string_pretty(body).unwrap_or_default())
            ));
        }
        lines.join(" \\\n  ")
    }
}

/// Single quotes keep everything literal in a POSIX shell; a single quote itself is closed,
/// escaped and reopened.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The preset's body with each `${workflow.input.NAME}` placeholder replaced by the input's
/// value; inputs left out (or null) are left out, so the command sends what the user gave.
pub fn fill_body(template: &Value, input: &Value) -> Value {
    match template {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter_map(|(key, value)| match placeholder(value) {
                    Some(name) => input.get(name).filter(|v| !v.is_null()).map(|v| (key.clone(), v.clone())),
                    None => Some((key.clone(), value.clone())),
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn placeholder(value: &Value) -> Option<&str> {
    value.as_str()?.strip_prefix("${workflow.input.")?.strip_suffix('}')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn credentials_are_references_and_quotes_cannot_escape() {
        let headers = json!({"Content-Type": "application/json", "PLAID-CLIENT-ID": "${secrets.plaid_client_id}",
                             "PLAID-SECRET": "${workflow.secrets.plaid_secret}", "X-Note": "it's"});
        let credentials = credential_headers(&headers);
        assert_eq!(credentials, ["PLAID-CLIENT-ID", "PLAID-SECRET"]);
        let body = json!({"client_user_id": "o'neil; rm -rf ~"});
        let request = Request {
            method: "POST",
            url: "https://x.test/a",
            headers: headers.as_object().unwrap(),
            body: Some(&body),
        };
        let text = request.command(&credentials);
        assert!(text.contains("-H \"PLAID-CLIENT-ID: $PLAID_CLIENT_ID\""), "{text}");
        assert!(text.contains("-H \"PLAID-SECRET: $PLAID_SECRET\""), "{text}");
        assert!(text.contains(r"-H 'X-Note: it'\''s'"), "{text}");
        assert!(text.contains(r#""o'\''neil; rm -rf ~""#), "{text}");
        assert!(!text.contains("secrets."), "{text}");
    }

    #[test]
    fn placeholders_take_the_input_and_absent_inputs_are_left_out() {
        let template = json!({"a": "${workflow.input.a}", "b": "${workflow.input.b}", "c": "${workflow.input.c}", "k": 1});
        let filled = fill_body(&template, &json!({"a": "x", "c": null}));
        assert_eq!(filled, json!({"a": "x", "k": 1}));
    }
}
