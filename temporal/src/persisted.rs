//! What Temporal stores of a task result: activity results and failure details live in the event
//! history (and the UI) for the namespace's retention period. Plaid's answer repeats the user's
//! personal data, so by default every personal field is masked before the result leaves the
//! worker; the request echo and the logs never carried any. (The [`crate::codec`] then encrypts
//! it; masking still hides the personal fields from whoever holds the key.)

use plaid_idv_retry_interface::mask_personal;
use serde_json::Value;

/// The task result as Temporal will store it.
pub fn persisted(result: Value, keep_plaid_body: bool) -> Value {
    if keep_plaid_body {
        result
    } else {
        mask_personal(&result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_personal_fields_at_any_depth_unless_kept() {
        let result = json!({"output": {"response": {"body": {"user": {"name": {"given_name": "Leslie"},
            "id_number": {"value": "123456789", "type": "us_ssn"}}, "status": "success"}}}});
        let masked = persisted(result.clone(), false);
        let body = &masked["output"]["response"]["body"];
        assert_eq!(body["user"]["name"]["given_name"], "***");
        assert_eq!(body["user"]["id_number"]["value"], "***");
        assert_eq!(body["user"]["id_number"]["type"], "us_ssn");
        assert_eq!(body["status"], "success");
        assert_eq!(persisted(result.clone(), true), result);
    }
}
