//! The JSON Schemas, embedded at build time from `schema/`, and their content hashes.

use std::sync::OnceLock;

use serde_json::{json, Value};

/// The retry's input, its output (Plaid's 200 body) and the settings every task shares.
pub const INPUT: &str = include_str!("../schema/input.schema.json");
pub const OUTPUT: &str = include_str!("../schema/output.schema.json");
pub const SETTINGS: &str = include_str!("../schema/settings.schema.json");
/// The get task's input.
pub const GET_INPUT: &str = include_str!("../schema/get.input.schema.json");

/// The get task's output: the retry's with get's name. Plaid's `IdentityVerificationGetResponse`
/// and `IdentityVerificationRetryResponse` have the same fields (plaid-python 46), so the shape is
/// written once, in `schema/output.schema.json`, and only what names the endpoint differs.
pub fn get_output() -> &'static str {
    static GET_OUTPUT: OnceLock<String> = OnceLock::new();
    GET_OUTPUT.get_or_init(|| {
        let Ok(Value::Object(mut schema)) = serde_json::from_str::<Value>(OUTPUT) else {
            return OUTPUT.to_owned(); // unreachable: the embedded schema is an object (a test reads it)
        };
        schema.insert("$id".into(), json!("https://github.com/plaid-idv-retry/schema/get.output.schema.json"));
        schema.insert("title".into(), json!("The Identity Verification session"));
        schema.insert(
            "description".into(),
            json!(
                "What POST /identity_verification/get returns: Plaid's 200 response body (API version 2020-09-14), \
                 the session with its status, steps and check results as they stand now; the same shape a retry \
                 answers. It is open on purpose: Plaid adds fields and enum values without notice, so unknown \
                 fields are allowed and every enum is a plain string whose known values are listed in its \
                 description. Nullable fields accept null. Personal data (the user's name, address, date of \
                 birth, ID number, email, phone, IP address) is present as Plaid returns it. Field meanings: \
                 https://plaid.com/docs/api/products/identity-verification/#identity_verificationget"
            ),
        );
        let mut text = serde_json::to_string_pretty(&Value::Object(schema)).unwrap_or_default();
        text.push('\n');
        text
    })
}

/// FNV-1a, 64 bit, as the manifest writes it (`fnv1a64:` and 16 hex digits): enough to tell two
/// schema texts apart.
pub fn hash(text: &str) -> String {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for &byte in text.as_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_get_output_is_the_retry_output_under_gets_name() {
        let retry: Value = serde_json::from_str(OUTPUT).unwrap();
        let mut get: Value = serde_json::from_str(get_output()).unwrap();
        assert_eq!(get["title"], "The Identity Verification session");
        assert!(get["description"].as_str().unwrap().contains("/identity_verification/get"));
        for key in ["$id", "title", "description"] {
            get[key] = retry[key].clone();
        }
        assert_eq!(get, retry);
    }

    #[test]
    fn hashes_tell_texts_apart() {
        assert_eq!(hash(""), "fnv1a64:cbf29ce484222325");
        assert_ne!(hash(INPUT), hash(GET_INPUT));
        assert_eq!(hash(OUTPUT).len(), "fnv1a64:".len() + 16);
    }
}
