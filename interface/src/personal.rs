//! The personal data in Plaid's identity-verification objects, and its mask. One list serves both
//! directions: the plugin's request echo masks these keys and the credentials; a host showing
//! Plaid's answer (which repeats what was sent, and adds the user's IP address) masks these keys.

use serde_json::Value;

/// What a masked value reads as.
pub const MASK: &str = "***";

/// Keys whose values are a person's data, matched by name at any depth, so a field Plaid adds
/// later under a known name is still covered.
pub const PERSONAL_KEYS: [&str; 10] = [
    "email_address",
    "phone_number",
    "date_of_birth",
    "given_name",
    "family_name",
    "street",
    "street2",
    "city",
    "postal_code",
    "ip_address",
];

/// `id_number.value` (an SSN or other national ID) is masked by position: `value` alone is too
/// common a key to mask everywhere.
pub const ID_NUMBER_KEY: &str = "id_number";
pub const ID_NUMBER_VALUE_KEY: &str = "value";

/// A copy of Plaid's answer (or any identity-verification object) with every personal value
/// masked; nulls stay null, so a reader still sees which fields were empty.
pub fn mask_personal(value: &Value) -> Value {
    mask(value, &[])
}

/// As [`mask_personal`], also masking the keys in `also` (the request echo adds `secret`).
pub fn mask(value: &Value, also: &[&str]) -> Value {
    mask_at(value, also, false)
}

fn mask_at(value: &Value, also: &[&str], in_id_number: bool) -> Value {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let k = k.as_str();
                let hide = PERSONAL_KEYS.contains(&k)
                    || also.contains(&k)
                    || (in_id_number && k == ID_NUMBER_VALUE_KEY);
                let v = if hide && !v.is_null() {
                    Value::from(MASK)
                } else {
                    mask_at(v, also, k == ID_NUMBER_KEY)
                };
                (k.to_owned(), v)
            })
            .collect(),
        Value::Array(items) => items.iter().map(|v| mask_at(v, also, false)).collect(),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_every_personal_field_and_keeps_the_rest() {
        let answer = json!({
            "id": "idv_1", "client_user_id": "u-1", "status": "success",
            "user": {"email_address": "a@b.c", "phone_number": "+123", "date_of_birth": "1975-01-18",
                     "ip_address": "192.0.2.42",
                     "name": {"given_name": "Leslie", "family_name": "Knope"},
                     "address": {"street": "1 Main", "street2": null, "city": "Pawnee", "region": "IN",
                                 "postal_code": "46001", "country": "US"},
                     "id_number": {"value": "123456789", "type": "us_ssn"}},
            "kyc_check": {"id_number": {"summary": "match"}, "value": "kept"}
        });
        let masked = mask_personal(&answer).to_string();
        for leak in
            ["a@b.c", "+123", "1975", "192.0.2", "Leslie", "Knope", "1 Main", "Pawnee", "46001", "123456789"]
        {
            assert!(!masked.contains(leak), "{leak} leaked: {masked}");
        }
        for kept in
            ["idv_1", "u-1", "us_ssn", "\"US\"", "\"IN\"", "\"street2\":null", "\"kept\"", "\"match\""]
        {
            assert!(masked.contains(kept), "{kept} lost: {masked}");
        }
        let echo = mask(&json!({"secret": "s3cr3t", "user": {"city": "Pawnee"}}), &["secret"]).to_string();
        assert!(!echo.contains("s3cr3t") && !echo.contains("Pawnee"), "{echo}");
    }
}
