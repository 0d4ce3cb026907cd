//! Masking for anything we echo or log: credentials and the personal fields of a retry request.
//! The response body is the task's output and is never masked (the engine stores it as Plaid
//! sent it); everything else that quotes the request goes through here.

use serde_json::Value;

pub const MASK: &str = "***";

/// Keys whose values are masked wherever they appear in a request echo. Matched by name at any
/// depth, so a field Plaid adds later under a known name is still covered.
const MASKED_KEYS: [&str; 10] = [
    "secret",
    "email_address",
    "phone_number",
    "date_of_birth",
    "given_name",
    "family_name",
    "street",
    "street2",
    "city",
    "postal_code",
];

/// A copy of a request body with credentials and personal fields masked. `id_number.value` is
/// masked by position: `value` alone is too common a key to mask everywhere.
pub fn body(value: &Value) -> Value {
    mask(value, false)
}

fn mask(value: &Value, in_id_number: bool) -> Value {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let hide = MASKED_KEYS.contains(&k.as_str()) || (in_id_number && k == "value");
                let v = if hide && !v.is_null() { Value::from(MASK) } else { mask(v, k == "id_number") };
                (k.clone(), v)
            })
            .collect(),
        Value::Array(items) => items.iter().map(|v| mask(v, false)).collect(),
        other => other.clone(),
    }
}

/// Last line of defence for free text (error messages from the network stack, reasons): any
/// occurrence of a known secret becomes `***`. Secrets shorter than 4 characters are left alone:
/// masking them would garble ordinary words without protecting anything.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(*s) {
            out = out.replace(*s, MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_personal_fields_and_secret_keeps_the_rest() {
        let input = json!({
            "client_user_id": "u-1", "template_id": "t", "strategy": "reset", "secret": "s3cr3t",
            "user": {"email_address": "a@b.c", "phone_number": "+123", "date_of_birth": "1975-01-18",
                     "name": {"given_name": "Leslie", "family_name": "Knope"},
                     "address": {"street": "1 Main", "street2": null, "city": "Pawnee", "region": "IN",
                                 "postal_code": "46001", "country": "US"},
                     "id_number": {"value": "123456789", "type": "us_ssn"}}
        });
        let masked = body(&input).to_string();
        for leak in
            ["s3cr3t", "a@b.c", "+123", "1975", "Leslie", "Knope", "1 Main", "Pawnee", "46001", "123456789"]
        {
            assert!(!masked.contains(leak), "{leak} leaked: {masked}");
        }
        for kept in ["u-1", "reset", "us_ssn", "\"US\"", "\"IN\"", "\"street2\":null"] {
            assert!(masked.contains(kept), "{kept} lost: {masked}");
        }
    }

    #[test]
    fn scrub_replaces_secrets_in_text() {
        assert_eq!(scrub("bad key abcd1234 here", &["abcd1234"]), "bad key *** here");
        assert_eq!(scrub("a b", &["a"]), "a b");
    }
}
