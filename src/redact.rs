//! Masking for anything we echo or log: credentials and the personal fields of a retry request.
//! The response body is the task's output and is never masked (the engine stores it as Plaid
//! sent it; a host showing it to a person masks it with the interface's `mask_personal`);
//! everything else that quotes the request goes through here.

use plaid_idv_retry_interface::personal::{Masked, MASK};
use serde_json::Value;

/// A request body as it is echoed: written with the secret and the personal fields (the
/// interface's one list, `id_number.value` by position) masked, without a masked copy.
pub fn body(value: &Value) -> Masked<'_> {
    Masked::new(value, &["secret"])
}

/// Last line of defence for free text (error messages from the network stack, reasons): any
/// occurrence of a known secret becomes `***`, however short: the settings accept any non-empty
/// credential, and a short one garbles a message rather than leaks.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
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
        let masked = serde_json::to_string(&body(&input)).unwrap();
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
        // Every secret the settings accept is scrubbed, however short (the settings allow one character).
        assert_eq!(scrub("key x9 here", &["x9"]), "key *** here");
        assert_eq!(scrub("nothing", &[""]), "nothing");
    }
}
