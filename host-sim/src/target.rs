//! Where a task is sent: the settings an engine would hand `execute`, and the embedded simulator
//! when there is nowhere else to send it.

use std::path::PathBuf;

use clap::Args;
use plaid_idv_retry_interface::{credentials_from_env, is_loopback, Environment};
use plaid_idv_simulator::{Simulator, Status, DEFAULT_CLIENT_ID, DEFAULT_SECRET};
use serde_json::{Map, Value};

use crate::{error::Failure, io, sandbox::SimulatorArgs, values};

#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// Plaid's environment (needs credentials: --settings, or PLAID_CLIENT_ID and PLAID_SECRET).
    #[arg(long = "env", value_parser = values::environment())]
    pub environment: Option<Environment>,
    /// Send to this base URL instead (https, or http to loopback).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The task's settings as JSON (see `host-sim schema settings`); the flags above override it.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// How the embedded simulator behaves, when one is started.
    #[command(flatten, next_help_heading = "Embedded simulator (no credentials and no --env/--base-url)")]
    pub simulator: SimulatorArgs,
}

/// The settings for `execute`, and the simulator they point at, if host-sim started one.
pub struct Target {
    pub settings: String,
    pub simulator: Option<Simulator>,
    /// Where the call goes, for people: never carries a credential.
    pub description: String,
}

/// Settings come from `--settings`, then the flags, then `PLAID_CLIENT_ID`/`PLAID_SECRET`. With
/// neither credentials nor a target, the call goes to an embedded simulator.
pub fn resolve(args: &TargetArgs) -> Result<Target, Failure> {
    let mut settings = match &args.settings {
        Some(path) => io::read_object(path)?,
        None => Map::new(),
    };
    if let Some(env) = args.environment {
        settings.insert("environment".into(), env.as_str().into());
    }
    if let Some(url) = &args.base_url {
        settings.insert("base_url".into(), url.as_str().into());
    }
    credentials_from_env(&mut settings);
    let credentials = settings.contains_key("client_id") || settings.contains_key("secret");
    let aimed = settings.contains_key("environment") || settings.contains_key("base_url");
    if !credentials && !aimed {
        let sim = plaid_idv_simulator::start(args.simulator.config())
            .map_err(|e| Failure::error(format!("cannot start the local simulator: {e}")))?;
        settings.insert("base_url".into(), sim.url().into());
        settings.insert("client_id".into(), DEFAULT_CLIENT_ID.into());
        settings.insert("secret".into(), DEFAULT_SECRET.into());
        let description = format!(
            "the local Plaid simulator at {} (no Plaid credentials are set: nothing left this machine)",
            sim.url()
        );
        return Ok(Target {
            settings: Value::Object(settings).to_string(),
            simulator: Some(sim),
            description,
        });
    }
    let description = match (settings.get("base_url"), settings.get("environment")) {
        (Some(url), _) => format!("{} (base_url)", url.as_str().unwrap_or("?")),
        (None, Some(env)) => format!("Plaid {}", env.as_str().unwrap_or("?")),
        (None, None) => "Plaid sandbox (the settings' default environment)".to_owned(),
    };
    Ok(Target { settings: Value::Object(settings).to_string(), simulator: None, description })
}

impl Target {
    /// A retry needs an earlier attempt for its user and template: the embedded simulator gets a
    /// failed one (a valid start for every strategy) unless the pair already has one.
    pub fn seed(&self, input: &Value) {
        let Some(sim) = &self.simulator else { return };
        if let (Some(user), Some(template)) =
            (input["client_user_id"].as_str(), input["template_id"].as_str())
        {
            if sim.session_count(user, template) == 0 {
                sim.seed_attempt(user, template, Status::Failed, None);
            }
        }
    }

    /// Whether a Test request may open a session Plaid bills, so that a person confirms each one.
    /// Decided by where the call goes, never by the `environment` label: `--env sandbox
    /// --base-url https://production.plaid.com` is billed. The embedded simulator bills nobody.
    pub fn billed(&self) -> bool {
        self.simulator.is_none() && billed_destination(&self.destination())
    }

    /// The base URL the plugin sends to: `base_url`, else the environment's host.
    fn destination(&self) -> String {
        let settings = serde_json::from_str::<Value>(&self.settings).unwrap_or_default();
        match settings["base_url"].as_str() {
            Some(url) => url.to_owned(),
            None => self.environment().base_url().to_owned(),
        }
    }

    /// The environment the settings name, for the preset's retry policy.
    pub fn environment(&self) -> Environment {
        serde_json::from_str::<Value>(&self.settings)
            .ok()
            .and_then(|s| s["environment"].as_str().and_then(|e| e.parse().ok()))
            .unwrap_or_default()
    }
}

/// Every destination is billed but this machine (a simulator, a test server: loopback addresses
/// and `localhost`) and Plaid's sandbox over https. A gateway in `allowed_hosts` may forward to
/// production, so it is billed; so is a URL that does not parse (the plugin refuses it anyway,
/// and a wrong "free" would be the costly mistake).
fn billed_destination(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else { return true };
    let Some(authority) = uri.authority() else { return true };
    if authority.as_str().contains('@') {
        return true;
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let sandbox = uri.scheme_str() == Some("https") && host == SANDBOX_HOST;
    !(sandbox || is_loopback(&host))
}

/// Plaid's sandbox: test credentials, no bill.
const SANDBOX_HOST: &str = "sandbox.plaid.com";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn billed_is_decided_by_the_destination() {
        for free in [
            "https://sandbox.plaid.com",
            "https://SANDBOX.plaid.com/",
            "https://sandbox.plaid.com:443",
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1",
            "http://localhost:3000",
        ] {
            assert!(!billed_destination(free), "{free}");
        }
        for billed in [
            "https://production.plaid.com",
            "https://development.plaid.com",
            "http://sandbox.plaid.com",
            "https://sandbox.plaid.com.example.org",
            "https://sandbox.plaid.com@production.plaid.com",
            "https://gateway.internal.example",
            "https://0.0.0.0:8443",
            "https://10.0.0.1",
            "not a url",
            "",
        ] {
            assert!(billed_destination(billed), "{billed}");
        }
    }

    #[test]
    fn the_environment_label_decides_only_without_a_base_url() {
        let target = |settings: Value| Target {
            settings: settings.to_string(),
            simulator: None,
            description: String::new(),
        };
        assert!(target(json!({"environment": "production"})).billed());
        assert!(!target(json!({"environment": "sandbox"})).billed());
        assert!(!target(json!({})).billed());
        assert!(target(
            serde_json::json!({"environment": "sandbox", "base_url": "https://production.plaid.com"})
        )
        .billed());
        assert!(!target(json!({"environment": "production", "base_url": "http://127.0.0.1:9"})).billed());
    }
}
