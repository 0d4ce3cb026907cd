//! Plaid credentials from a host's environment: every host that runs the task (host-sim, the
//! Temporal worker) fills the settings' `client_id` and `secret` from `PLAID_CLIENT_ID` and
//! `PLAID_SECRET` where the settings leave them out, so one shell works with every host.

use serde_json::{Map, Value};

/// The environment variables, each with the setting it fills.
pub const CREDENTIAL_VARS: [(&str, &str); 2] = [("client_id", "PLAID_CLIENT_ID"), ("secret", "PLAID_SECRET")];

/// Fills the credentials `settings` leave out from the environment; a setting given wins, and an
/// empty variable counts as unset.
pub fn credentials_from_env(settings: &mut Map<String, Value>) {
    fill(settings, |var| std::env::var(var).ok());
}

fn fill(settings: &mut Map<String, Value>, var: impl Fn(&str) -> Option<String>) {
    for (key, name) in CREDENTIAL_VARS {
        if let Some(value) = var(name).filter(|v| !v.is_empty()) {
            settings.entry(key).or_insert(value.into());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_environment_fills_what_the_settings_leave_out() {
        let env = |var: &str| match var {
            "PLAID_CLIENT_ID" => Some("client-from-env".to_owned()),
            "PLAID_SECRET" => Some(String::new()),
            _ => None,
        };
        let mut settings = json!({"secret": "given"}).as_object().cloned().unwrap();
        fill(&mut settings, env);
        assert_eq!(Value::Object(settings), json!({"secret": "given", "client_id": "client-from-env"}));
        let mut given = json!({"client_id": "given"}).as_object().cloned().unwrap();
        fill(&mut given, env);
        assert_eq!(Value::Object(given), json!({"client_id": "given"}), "an empty variable is unset");
    }
}
