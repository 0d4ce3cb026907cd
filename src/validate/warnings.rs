//! Inputs Plaid accepts but that are probably not what the user meant.

use serde_json::Value;

use super::{issue, Issue};

/// What the warnings look at, read from the input however it was read.
pub(super) struct Facts<'a> {
    pub(super) selfie_check: Option<bool>,
    pub(super) client_user_id: Option<&'a str>,
    pub(super) template_id: Option<&'a str>,
    pub(super) id_type: Option<&'a str>,
    pub(super) address_country: Option<&'a str>,
}

impl<'a> Facts<'a> {
    pub(super) fn of(input: &'a Value) -> Facts<'a> {
        let text = |path: &[&str]| at(input, path).and_then(Value::as_str);
        Facts {
            selfie_check: at(input, &["steps", "selfie_check"]).and_then(Value::as_bool),
            client_user_id: text(&["client_user_id"]),
            template_id: text(&["template_id"]),
            id_type: text(&["user", "id_number", "type"]),
            address_country: text(&["user", "address", "country"]),
        }
    }
}

pub(super) fn of(facts: &Facts) -> Vec<Issue> {
    let mut out = Vec::new();
    if facts.selfie_check == Some(true) {
        out.push(Issue::new(
            "/steps/selfie_check",
            "sandbox_ignored",
            "Plaid's sandbox silently turns selfie_check off; it runs only in production.",
        ));
    }
    if facts.client_user_id.is_some_and(looks_personal) {
        out.push(Issue::new(
            "/client_user_id",
            "personal_data",
            "client_user_id looks like an email address or phone number; Plaid asks for an ID that carries no \
             personal data.",
        ));
    }
    if facts.template_id.is_some_and(|id| !id.is_empty() && !id.starts_with("idvtmp_")) {
        out.push(Issue::new(
            "/template_id",
            "unusual_id",
            "template_id does not start with idvtmp_, as Plaid's template IDs do.",
        ));
    }
    let id_country = facts.id_type.and_then(issue::id_number).map(|t| t.country.as_str());
    if let (Some(id), Some(address)) = (id_country, facts.address_country) {
        if id != address {
            out.push(Issue::new(
                "/user/id_number/type",
                "country_mismatch",
                "This ID type belongs to a different country than the address.",
            ));
        }
    }
    out
}

/// The value at a path of object keys. Not `Value::pointer`: that allocates for every step to
/// unescape it, and this runs on every validate and execute.
fn at<'a>(input: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(input, |value, key| value.get(key))
}

/// An email address, or a phone number written with or without separators.
fn looks_personal(id: &str) -> bool {
    let email = id.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    let rest = id.strip_prefix('+').unwrap_or(id);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let phone = (7..=15).contains(&digits) && rest.chars().all(|c| c.is_ascii_digit() || " -().".contains(c));
    email || phone
}

#[cfg(test)]
mod tests {
    use super::looks_personal;

    #[test]
    fn personal_ids() {
        for id in ["leslie@example.com", "+12345678909", "(234) 567-8909", "234.567.8909"] {
            assert!(looks_personal(id), "{id}");
        }
        for id in ["your-db-id-3b24110", "user-123", "42", "a@b", "12345678901234567890"] {
            assert!(!looks_personal(id), "{id}");
        }
    }
}
