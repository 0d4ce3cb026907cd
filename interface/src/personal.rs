//! The personal data in Plaid's identity-verification objects, and its mask. One list serves both
//! directions: the plugin's request echo masks these keys and the credentials; a host showing
//! Plaid's answer (which repeats what was sent, and adds the user's IP address) masks these keys.

use serde::{
    ser::{SerializeMap, SerializeSeq},
    Serialize, Serializer,
};
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
    // Writing a `Value` into a `Value` cannot fail.
    serde_json::to_value(Masked::new(value, also)).unwrap_or(Value::Null)
}

/// `value` as it serialises with the mask applied while it is written: no masked copy is built.
/// The one definition of what is masked; [`mask`] is this, collected into a `Value`.
pub struct Masked<'a> {
    value: &'a Value,
    also: &'a [&'a str],
    /// `value` is an `id_number` object, whose `value` member is the number itself.
    in_id_number: bool,
}

impl<'a> Masked<'a> {
    pub fn new(value: &'a Value, also: &'a [&'a str]) -> Self {
        Masked { value, also, in_id_number: false }
    }

    fn hides(&self, key: &str) -> bool {
        PERSONAL_KEYS.contains(&key)
            || self.also.contains(&key)
            || (self.in_id_number && key == ID_NUMBER_VALUE_KEY)
    }
}

impl Serialize for Masked<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(Some(map.len()))?;
                for (key, value) in map {
                    if self.hides(key) && !value.is_null() {
                        out.serialize_entry(key, MASK)?;
                    } else {
                        let inner = Masked { value, also: self.also, in_id_number: key == ID_NUMBER_KEY };
                        out.serialize_entry(key, &inner)?;
                    }
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for value in items {
                    out.serialize_element(&Masked::new(value, self.also))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
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
        let request = json!({"secret": "s3cr3t", "user": {"city": "Pawnee"}});
        let echo = mask(&request, &["secret"]).to_string();
        assert!(!echo.contains("s3cr3t") && !echo.contains("Pawnee"), "{echo}");
        // Written masked, the same text as the masked copy.
        assert_eq!(serde_json::to_string(&Masked::new(&request, &["secret"])).unwrap(), echo);
        assert_eq!(serde_json::to_string(&Masked::new(&answer, &[])).unwrap(), masked);
    }
}
