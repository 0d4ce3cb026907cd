//! The engine's settings for the task (`schema/settings.schema.json`), parsed and checked into a
//! typed value. Parsed by hand rather than by serde's derive: serde's messages quote the offending
//! value ("invalid type: string \"…\"") and a setting may be the secret.

use std::{fmt, net::IpAddr, time::Duration};

use serde_json::{Map, Value};
use ureq::http::Uri;

use plaid_idv_retry_interface::{Environment, ErrorCode};

use crate::{error::Error, manifest::PLAID_VERSION};

const PLAID_HOSTS: [&str; 2] = ["sandbox.plaid.com", "production.plaid.com"];

pub const DEFAULT_CONNECTION_TIMEOUT_SECONDS: f64 = 5.0;
pub const DEFAULT_READ_TIMEOUT_SECONDS: f64 = 10.0;
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
const MAX_RESPONSE_BYTES_RANGE: (u64, u64) = (1024, 16 * 1024 * 1024);
const CREDENTIAL_MAX_LEN: usize = 256;

/// A credential that never prints: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The only way to the value: named so that every use is easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub environment: Environment,
    /// Scheme, host, optional port and path prefix, without a trailing slash.
    pub base_url: String,
    pub client_id: Option<String>,
    pub secret: Option<Secret>,
    pub plaid_version: String,
    pub connection_timeout: Duration,
    pub read_timeout: Duration,
    pub max_response_bytes: u64,
    pub reconcile_unknown_outcomes: bool,
    pub allowed_hosts: Vec<String>,
}

impl Settings {
    /// Parses the settings document; an empty text means all defaults.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Self::from_value(&Value::Object(Map::new()));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| Error::invalid_json("settings", &e))?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Result<Self, Error> {
        let object = value.as_object().ok_or_else(|| invalid("settings must be a JSON object"))?;
        let mut settings = Settings {
            environment: Environment::Sandbox,
            base_url: String::new(),
            client_id: None,
            secret: None,
            plaid_version: PLAID_VERSION.to_owned(),
            connection_timeout: Duration::from_secs_f64(DEFAULT_CONNECTION_TIMEOUT_SECONDS),
            read_timeout: Duration::from_secs_f64(DEFAULT_READ_TIMEOUT_SECONDS),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            reconcile_unknown_outcomes: true,
            allowed_hosts: Vec::new(),
        };
        let mut base_url = None;
        for (key, value) in object {
            match key.as_str() {
                "environment" => {
                    settings.environment = value.as_str().and_then(|e| e.parse().ok()).ok_or_else(|| {
                        invalid("settings.environment must be \"sandbox\" or \"production\"")
                    })?
                }
                "base_url" => {
                    base_url = Some(
                        value
                            .as_str()
                            .ok_or_else(|| invalid("settings.base_url must be a string"))?
                            .to_owned(),
                    )
                }
                "allowed_hosts" => settings.allowed_hosts = allowed_hosts(value)?,
                "client_id" => settings.client_id = Some(credential("client_id", value)?),
                "secret" => settings.secret = Some(Secret(credential("secret", value)?)),
                "plaid_version" => settings.plaid_version = plaid_version(value)?,
                "connection_timeout_seconds" => {
                    settings.connection_timeout = seconds("connection_timeout_seconds", value, 60.0)?
                }
                "read_timeout_seconds" => {
                    settings.read_timeout = seconds("read_timeout_seconds", value, 300.0)?
                }
                "max_response_bytes" => settings.max_response_bytes = max_response_bytes(value)?,
                "reconcile_unknown_outcomes" => {
                    settings.reconcile_unknown_outcomes = value
                        .as_bool()
                        .ok_or_else(|| invalid("settings.reconcile_unknown_outcomes must be true or false"))?
                }
                other => {
                    return Err(invalid(format!(
                        "unknown setting {}; the settings are those of schema/settings.schema.json",
                        field_name(other)
                    )))
                }
            }
        }
        settings.base_url = match base_url {
            Some(url) => checked_base_url(&url, &settings.allowed_hosts)?,
            None => settings.environment.base_url().to_owned(),
        };
        Ok(settings)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidSettings, message)
}

/// A key is not a value, but it is still outside text: quote it, short and printable.
pub fn field_name(key: &str) -> String {
    let shown: String = key.chars().take(64).map(|c| if c.is_control() { '?' } else { c }).collect();
    format!("{shown:?}")
}

fn credential(name: &str, value: &Value) -> Result<String, Error> {
    let text = value.as_str().ok_or_else(|| invalid(format!("settings.{name} must be a string")))?;
    // Header values: visible ASCII only, or the header would be refused or split.
    if text.is_empty() || text.len() > CREDENTIAL_MAX_LEN || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(format!(
            "settings.{name} must be 1 to {CREDENTIAL_MAX_LEN} visible ASCII characters (value not shown)"
        )));
    }
    Ok(text.to_owned())
}

fn plaid_version(value: &Value) -> Result<String, Error> {
    let text = value.as_str().unwrap_or("");
    let ok = text.len() == 10
        && text
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !ok {
        return Err(invalid("settings.plaid_version must be a date like \"2020-09-14\""));
    }
    Ok(text.to_owned())
}

fn seconds(name: &str, value: &Value, max: f64) -> Result<Duration, Error> {
    match value.as_f64() {
        Some(s) if s > 0.0 && s <= max => Ok(Duration::from_secs_f64(s)),
        _ => Err(invalid(format!("settings.{name} must be a number of seconds above 0 and at most {max}"))),
    }
}

fn max_response_bytes(value: &Value) -> Result<u64, Error> {
    let (min, max) = MAX_RESPONSE_BYTES_RANGE;
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(format!("settings.max_response_bytes must be an integer from {min} to {max}"))),
    }
}

fn allowed_hosts(value: &Value) -> Result<Vec<String>, Error> {
    let items =
        value.as_array().ok_or_else(|| invalid("settings.allowed_hosts must be an array of host names"))?;
    if items.len() > 32 {
        return Err(invalid("settings.allowed_hosts may list at most 32 hosts"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let host = item.as_str().unwrap_or("");
            let ok = !host.is_empty()
                && host.len() <= 253
                && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if ok {
                Ok(host.to_ascii_lowercase())
            } else {
                Err(invalid(format!(
                    "settings.allowed_hosts[{i}] must be a host name (letters, digits, dots, hyphens; no scheme or port)"
                )))
            }
        })
        .collect()
}

/// The security rule for where credentials may go: https to Plaid or to a listed host; http only
/// to this machine. Redirects are never followed, so this is the only host that ever sees them.
fn checked_base_url(url: &str, allowed_hosts: &[String]) -> Result<String, Error> {
    let bad = |why: &str| invalid(format!("settings.base_url {why}"));
    if url.len() > 2048 {
        return Err(bad("is longer than 2048 characters"));
    }
    let uri: Uri = url.parse().map_err(|_| bad("is not a valid absolute URL"))?;
    let scheme = uri.scheme_str().ok_or_else(|| bad("must start with https:// or http://"))?;
    let authority = uri.authority().ok_or_else(|| bad("must name a host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not carry a user name or password"));
    }
    if uri.query().is_some() || url.contains('#') {
        return Err(bad("must not carry a query or fragment"));
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let loopback = is_loopback(&host);
    match scheme {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(bad("may use http:// only for a loopback host (127.0.0.0/8, ::1, localhost)")),
        _ => return Err(bad("must start with https:// or http://")),
    }
    if !(loopback || PLAID_HOSTS.contains(&host.as_str()) || allowed_hosts.contains(&host)) {
        return Err(bad(
            "names a host that is neither Plaid's, loopback, nor listed in settings.allowed_hosts",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Settings, Error> {
        Settings::from_value(&v)
    }

    #[test]
    fn defaults_are_sandbox_with_documented_timeouts() {
        let s = parse(json!({})).unwrap();
        assert_eq!(s.base_url, "https://sandbox.plaid.com");
        assert_eq!(s.connection_timeout, Duration::from_secs(5));
        assert_eq!(s.read_timeout, Duration::from_secs(10));
        assert_eq!(s.plaid_version, "2020-09-14");
        assert!(s.reconcile_unknown_outcomes);
        assert_eq!(
            parse(json!({"environment": "production"})).unwrap().base_url,
            "https://production.plaid.com"
        );
    }

    #[test]
    fn unknown_setting_is_named_and_values_never_echoed() {
        let e = parse(json!({"secrte": "canary-secret-9"})).unwrap_err();
        assert!(e.message.contains("\"secrte\""), "{e}");
        let e = parse(json!({"secret": "bad secret with spaces canary"})).unwrap_err();
        assert!(!e.message.contains("canary"), "{e}");
        let e = parse(json!({"read_timeout_seconds": "canary"})).unwrap_err();
        assert!(!e.message.contains("canary") && e.message.contains("read_timeout_seconds"), "{e}");
    }

    #[test]
    fn debug_redacts_the_secret() {
        let s = parse(json!({"client_id": "cid", "secret": "canary-secret-1"})).unwrap();
        assert!(!format!("{s:?}").contains("canary-secret-1"));
        assert_eq!(s.secret.unwrap().expose(), "canary-secret-1");
    }

    #[test]
    fn base_url_security_rules() {
        let ok = |u: &str| parse(json!({"base_url": u})).map(|s| s.base_url);
        assert_eq!(ok("http://127.0.0.1:8080/").unwrap(), "http://127.0.0.1:8080");
        assert!(ok("http://[::1]:9/").is_ok());
        assert!(ok("http://localhost:9").is_ok());
        assert!(ok("https://sandbox.plaid.com").is_ok());
        assert!(ok("http://sandbox.plaid.com").is_err());
        assert!(ok("https://evil.example.com").is_err());
        assert!(ok("https://user:pw@127.0.0.1").is_err());
        assert!(ok("ftp://127.0.0.1").is_err());
        assert!(ok("https://127.0.0.1/?x=1").is_err());
        let listed =
            parse(json!({"base_url": "https://gw.example.com/plaid", "allowed_hosts": ["GW.example.com"]}));
        assert_eq!(listed.unwrap().base_url, "https://gw.example.com/plaid");
        let http_listed =
            parse(json!({"base_url": "http://gw.example.com", "allowed_hosts": ["gw.example.com"]}));
        assert!(http_listed.is_err());
    }

    #[test]
    fn ranges_are_enforced() {
        assert!(parse(json!({"max_response_bytes": 10})).is_err());
        assert!(parse(json!({"connection_timeout_seconds": 0})).is_err());
        assert!(parse(json!({"read_timeout_seconds": 0.5})).is_ok());
        assert!(parse(json!({"plaid_version": "2020-9-14"})).is_err());
        assert!(parse(json!({"allowed_hosts": ["https://x"]})).is_err());
    }
}
