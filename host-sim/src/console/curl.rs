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
            let json = serde_json::to_string_pretty(body).unwrap_or_default();
            lines.push(format!("--data-raw {}", quote(&terminal_safe(&json))));
        }
        lines.join(" \\\n  ")
    }
}

/// JSON text with every character a terminal or an older shell may act on while the command is
/// pasted written as `\uXXXX`: DEL and the C1 controls (in a cooked terminal DEL erases what
/// precedes it, `'\''` included, and what follows then runs), the line and paragraph separators,
/// and the bidi controls that make the command read otherwise than it runs. These characters
/// occur only inside JSON strings, where the escape has the same meaning.
fn terminal_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if pasted_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn pasted_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
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

    /// The single-quoted word as the shell reads it: `'\''` is one quote.
    fn unquote(word: &str) -> String {
        word.strip_prefix('\'')
            .and_then(|w| w.strip_suffix('\''))
            .expect("single-quoted")
            .replace(r"'\''", "'")
    }

    #[test]
    fn controls_a_terminal_acts_on_are_escaped_and_the_body_means_the_same() {
        // The review's demonstration: three DELs erase `\''` in a cooked terminal, and `; cmd #` runs.
        let body = json!({
            "client_user_id": "'\u{7f}\u{7f}\u{7f}; touch /tmp/pwned #",
            "template_id": "a\u{9b}b\u{2028}c\u{2029}d\u{202e}e\u{2066}f\u{061c}g\u{200f}",
        });
        let headers = Map::new();
        let command = Request {
            method: "POST",
            url: "https://sandbox.plaid.com/x",
            headers: &headers,
            body: Some(&body),
        }
        .command(&[]);
        if let Some(c) = command.chars().find(|c| pasted_unsafe(*c)) {
            panic!("U+{:04X} left in the command", c as u32);
        }
        assert!(command.contains(r"\u007f\u007f\u007f"));
        let word = command.split("--data-raw ").nth(1).unwrap();
        let sent: Value = serde_json::from_str(&unquote(word)).unwrap();
        assert_eq!(sent, body, "the escaped body is the same JSON");
    }
}
