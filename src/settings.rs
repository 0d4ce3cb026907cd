//! The engine's settings for the task (`schema/settings.schema.json`), read by serde into the
//! document the schema describes and checked into a typed value. The tests below feed the schema
//! and this parser one table of cases (they agree); `tests/preset_settings.rs` holds, through the
//! `.so`, the schema's defaults and bounds to the parser's.

use std::{cell::RefCell, fmt, rc::Rc, time::Duration};

use plaid_idv_retry_interface::{is_loopback, present, Environment, ErrorCode};
use serde::{Deserialize, Deserializer};
use ureq::http::Uri;

use crate::{
    arguments::Argument,
    endpoint::{DEFAULT_CONNECTION_TIMEOUT_SECONDS, DEFAULT_READ_TIMEOUT_SECONDS, PLAID_VERSION},
    error::Error,
};

const PLAID_HOSTS: [&str; 2] = ["sandbox.plaid.com", "production.plaid.com"];

pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;
/// A retry answer is a few kilobytes, more with Plaid's documentary and selfie details: a cap
/// below 64 KiB would turn real successes into oversized answers, each an unknown outcome and an
/// extra `/list` call. Tests exercise the cap with bodies above it.
const MAX_RESPONSE_BYTES_RANGE: (u64, u64) = (64 * 1024, 16 * 1024 * 1024);
/// A connect timeout has no floor: a connection that fails sent nothing and is simply retried.
const CONNECTION_TIMEOUT_RANGE_SECONDS: (f64, f64) = (0.0, 60.0);
/// The same mistake as a tiny body cap: a read timeout shorter than Plaid takes to answer turns
/// successes into unknown outcomes, each a `/list` call (read with the same timeout).
const READ_TIMEOUT_RANGE_SECONDS: (f64, f64) = (1.0, 300.0);
const CREDENTIAL_MAX_LEN: usize = 256;
const ALLOWED_HOSTS_MAX: usize = 32;
const HOST_MAX_LEN: usize = 253;
const BASE_URL_MAX_LEN: usize = 2048;

/// A credential that never prints: its `Debug` shows `***`, and it has no `Display`.
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
    /// Rewrite what Plaid documents as formatting before validating (validate::normalize).
    pub normalize_input: bool,
}

/// The settings document as the schema describes it: every key optional, none `null`, no other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    environment: Environment,
    #[serde(default, deserialize_with = "present")]
    base_url: Option<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    #[serde(default, deserialize_with = "present")]
    client_id: Option<String>,
    #[serde(default, deserialize_with = "present")]
    secret: Option<String>,
    #[serde(default, deserialize_with = "present")]
    plaid_version: Option<String>,
    #[serde(default, deserialize_with = "present")]
    connection_timeout_seconds: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    read_timeout_seconds: Option<f64>,
    #[serde(default, deserialize_with = "integer")]
    max_response_bytes: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    reconcile_unknown_outcomes: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    normalize_input: Option<bool>,
}

/// JSON Schema counts `1024.0` as an integer; serde's `u64` would refuse it.
fn integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    let whole = n.as_f64().filter(|f| f.fract() == 0.0 && (0.0..=9.0e15).contains(f)).map(|f| f as u64);
    n.as_u64().or(whole).map(Some).ok_or_else(|| serde::de::Error::custom("not a whole number"))
}

const SETTINGS: Argument = Argument {
    name: "settings",
    code: ErrorCode::InvalidSettings,
    expect,
    item: "setting",
    unknown: "the settings are those of schema/settings.schema.json",
};

/// What each setting must be: the message for a value that is not.
fn expect(path: &str) -> Option<String> {
    let (min_bytes, max_bytes) = MAX_RESPONSE_BYTES_RANGE;
    if path.starts_with("allowed_hosts[") {
        return Some(
            "must be a host name (letters, digits, dots, hyphens; no scheme or port), listed once".into(),
        );
    }
    Some(match path {
        "environment" => Environment::expected(),
        "base_url" => format!("must be a URL of at most {BASE_URL_MAX_LEN} characters"),
        "allowed_hosts" => format!(
            "must be an array of at most {ALLOWED_HOSTS_MAX} distinct host names (letters, digits, dots, hyphens; \
             no scheme or port)"
        ),
        "client_id" | "secret" => {
            format!("must be 1 to {CREDENTIAL_MAX_LEN} visible ASCII characters (value not shown)")
        }
        "plaid_version" => "must be a date like \"2020-09-14\"".into(),
        "connection_timeout_seconds" => seconds(CONNECTION_TIMEOUT_RANGE_SECONDS),
        "read_timeout_seconds" => seconds(READ_TIMEOUT_RANGE_SECONDS),
        "max_response_bytes" => format!("must be an integer from {min_bytes} to {max_bytes}"),
        "reconcile_unknown_outcomes" | "normalize_input" => "must be true or false".into(),
        _ => return None,
    })
}

fn seconds((min, max): (f64, f64)) -> String {
    if min > 0.0 {
        format!("must be a number of seconds from {min} to {max}")
    } else {
        format!("must be a number of seconds above 0 and at most {max}")
    }
}

impl Settings {
    /// [`Settings::parse`], kept per thread: an engine hands every execute of a task the same
    /// settings text, so each thread reads and checks it once, not on every call. A text that
    /// differs from the thread's last one is parsed (and then kept) afresh.
    pub fn read(text: &str) -> Result<Rc<Self>, Error> {
        thread_local! {
            static LAST: RefCell<Option<(Box<str>, Rc<Settings>)>> = const { RefCell::new(None) };
        }
        LAST.with(|last| {
            if let Some((read, settings)) = &*last.borrow() {
                if **read == *text {
                    return Ok(settings.clone());
                }
            }
            let settings = Rc::new(Settings::parse(text)?);
            *last.borrow_mut() = Some((text.into(), settings.clone()));
            Ok(settings)
        })
    }

    /// Parses the settings document; an empty text means all defaults.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let d: Document = SETTINGS.parse(text)?;
        let bad = |key: &str| SETTINGS.field_error(key);
        let allowed_hosts = allowed_hosts(d.allowed_hosts)?;
        let credential = |key: &str, value: Option<String>| match value {
            // Header values: visible ASCII only, or the header would be refused or split.
            Some(v)
                if v.is_empty()
                    || v.len() > CREDENTIAL_MAX_LEN
                    || !v.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Err(bad(key))
            }
            v => Ok(v),
        };
        let timeout = |key: &str, value: Option<f64>, default: f64, (min, max): (f64, f64)| match value
            .unwrap_or(default)
        {
            s if s > 0.0 && s >= min && s <= max => Ok(Duration::from_secs_f64(s)),
            _ => Err(bad(key)),
        };
        let plaid_version = d.plaid_version.unwrap_or_else(|| PLAID_VERSION.to_owned());
        let is_date = plaid_version.len() == 10
            && plaid_version.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !is_date {
            return Err(bad("plaid_version"));
        }
        let max_response_bytes = d.max_response_bytes.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        let (min_bytes, max_bytes) = MAX_RESPONSE_BYTES_RANGE;
        if !(min_bytes..=max_bytes).contains(&max_response_bytes) {
            return Err(bad("max_response_bytes"));
        }
        Ok(Settings {
            environment: d.environment,
            base_url: match d.base_url {
                Some(url) => checked_base_url(&url, &allowed_hosts)?,
                None => d.environment.base_url().to_owned(),
            },
            client_id: credential("client_id", d.client_id)?,
            secret: credential("secret", d.secret)?.map(Secret),
            plaid_version,
            connection_timeout: timeout(
                "connection_timeout_seconds",
                d.connection_timeout_seconds,
                DEFAULT_CONNECTION_TIMEOUT_SECONDS,
                CONNECTION_TIMEOUT_RANGE_SECONDS,
            )?,
            read_timeout: timeout(
                "read_timeout_seconds",
                d.read_timeout_seconds,
                DEFAULT_READ_TIMEOUT_SECONDS,
                READ_TIMEOUT_RANGE_SECONDS,
            )?,
            max_response_bytes,
            reconcile_unknown_outcomes: d.reconcile_unknown_outcomes.unwrap_or(true),
            normalize_input: d.normalize_input.unwrap_or(false),
        })
    }
}

/// Lower-cased, each a host name, no duplicates (the schema's `uniqueItems`: compared as written).
fn allowed_hosts(hosts: Vec<String>) -> Result<Vec<String>, Error> {
    if hosts.len() > ALLOWED_HOSTS_MAX {
        return Err(SETTINGS.field_error("allowed_hosts"));
    }
    for (i, host) in hosts.iter().enumerate() {
        let ok = !host.is_empty()
            && host.len() <= HOST_MAX_LEN
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !ok || hosts[..i].contains(host) {
            return Err(SETTINGS.field_error(&format!("allowed_hosts[{i}]")));
        }
    }
    Ok(hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect())
}

/// The security rule for where credentials may go: https to Plaid or to a listed host; http only
/// to this machine. Redirects are never followed, so this is the only host that ever sees them.
fn checked_base_url(url: &str, allowed_hosts: &[String]) -> Result<String, Error> {
    let bad = |why: &str| SETTINGS.invalid(format!("settings.base_url {why}"));
    if url.chars().count() > BASE_URL_MAX_LEN {
        return Err(bad(&format!("is longer than {BASE_URL_MAX_LEN} characters")));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(v: Value) -> Result<Settings, Error> {
        Settings::parse(&v.to_string())
    }

    #[test]
    fn defaults_are_sandbox_with_documented_timeouts() {
        let s = parse(json!({})).unwrap();
        assert_eq!(s.base_url, "https://sandbox.plaid.com");
        assert_eq!(s.connection_timeout, Duration::from_secs(5));
        assert_eq!(s.read_timeout, Duration::from_secs(10));
        assert_eq!(s.plaid_version, "2020-09-14");
        assert!(s.reconcile_unknown_outcomes);
        assert!(!s.normalize_input, "rewriting the input is opt-in");
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

    /// One table, two readers: the settings schema (jsonschema, formats checked) and this
    /// parser accept and refuse the same documents. Refusals never quote a value.
    #[test]
    fn the_schema_and_the_parser_agree() {
        let schema: Value = serde_json::from_str(crate::schema::SETTINGS).unwrap();
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let hosts = |n: usize| Value::from((0..n).map(|i| format!("h{i}.example.com")).collect::<Vec<_>>());
        let cases: Vec<(Value, bool)> = vec![
            (json!({}), true),
            (json!([]), false),
            (json!("canary"), false),
            (json!({"secrte": "canary"}), false),
            (json!({"environment": "production"}), true),
            (json!({"environment": "canary"}), false),
            (json!({"environment": null}), false),
            (json!({"base_url": "https://sandbox.plaid.com"}), true),
            (json!({"base_url": "http://127.0.0.1:8080/plaid"}), true),
            (json!({"base_url": "not a url canary"}), false),
            (json!({"base_url": 5}), false),
            (json!({"base_url": null}), false),
            (json!({"base_url": format!("https://sandbox.plaid.com/{}", "c".repeat(2048))}), false),
            (json!({"allowed_hosts": []}), true),
            (json!({"allowed_hosts": ["gw.example.com"]}), true),
            (json!({"allowed_hosts": ["gw.example.com", "gw.example.com"]}), false),
            (json!({"allowed_hosts": ["GW.example.com", "gw.example.com"]}), true),
            (json!({"allowed_hosts": ["https://canary"]}), false),
            (json!({"allowed_hosts": [""]}), false),
            (json!({"allowed_hosts": [1]}), false),
            (json!({"allowed_hosts": "gw.example.com"}), false),
            (json!({"allowed_hosts": [ "a".repeat(253) ]}), true),
            (json!({"allowed_hosts": [ "a".repeat(254) ]}), false),
            (json!({"allowed_hosts": hosts(32)}), true),
            (json!({"allowed_hosts": hosts(33)}), false),
            (json!({"client_id": "client-abc"}), true),
            (json!({"client_id": ""}), false),
            (json!({"client_id": "x".repeat(256)}), true),
            (json!({"client_id": "x".repeat(257)}), false),
            (json!({"client_id": 12}), false),
            (json!({"secret": "canary-secret-1"}), true),
            (json!({"secret": "canary secret"}), false),
            (json!({"secret": "canary-é"}), false),
            (json!({"secret": null}), false),
            (json!({"plaid_version": "2020-09-14"}), true),
            (json!({"plaid_version": "2020-9-14"}), false),
            (json!({"plaid_version": "2020-09-14\n"}), false),
            (json!({"plaid_version": 20200914}), false),
            (json!({"connection_timeout_seconds": 5}), true),
            (json!({"connection_timeout_seconds": 0.5}), true),
            (json!({"connection_timeout_seconds": 60}), true),
            (json!({"connection_timeout_seconds": 60.001}), false),
            (json!({"connection_timeout_seconds": 0}), false),
            (json!({"connection_timeout_seconds": -1}), false),
            (json!({"connection_timeout_seconds": "5"}), false),
            (json!({"read_timeout_seconds": 300}), true),
            (json!({"read_timeout_seconds": 1}), true),
            (json!({"read_timeout_seconds": 0.999}), false),
            (json!({"read_timeout_seconds": 301}), false),
            (json!({"max_response_bytes": 65536}), true),
            (json!({"max_response_bytes": 65536.0}), true),
            (json!({"max_response_bytes": 65536.5}), false),
            (json!({"max_response_bytes": 65535}), false),
            (json!({"max_response_bytes": 1024}), false),
            (json!({"max_response_bytes": 16_777_216}), true),
            (json!({"max_response_bytes": 16_777_217}), false),
            (json!({"max_response_bytes": "1024"}), false),
            (json!({"reconcile_unknown_outcomes": false}), true),
            (json!({"reconcile_unknown_outcomes": "false"}), false),
            (json!({"reconcile_unknown_outcomes": 0}), false),
            (json!({"normalize_input": true}), true),
            (json!({"normalize_input": "true"}), false),
            (json!({"normalize_input": null}), false),
        ];
        for (settings, valid) in cases {
            assert_eq!(validator.is_valid(&settings), valid, "the schema on {settings}");
            match parse(settings.clone()) {
                Ok(_) => assert!(valid, "the parser accepted {settings}"),
                Err(e) => {
                    assert!(!valid, "the parser refused {settings}: {e}");
                    assert!(!e.message.contains("canary") && !e.message.contains("ccc"), "{e}");
                }
            }
        }
        // Where credentials may go is a rule the schema states in prose only (its base_url
        // description): the parser alone enforces it.
        for base_url in
            ["http://10.1.2.3", "https://evil.example.com", "https://u:p@127.0.0.1", "https://127.0.0.1/?q"]
        {
            let settings = json!({ "base_url": base_url });
            assert!(validator.is_valid(&settings) && parse(settings).is_err(), "{base_url}");
        }
    }

    #[test]
    fn ranges_are_enforced() {
        assert!(parse(json!({"max_response_bytes": 10})).is_err());
        assert!(parse(json!({"connection_timeout_seconds": 0})).is_err());
        assert!(parse(json!({"read_timeout_seconds": 0.5})).is_err());
        assert!(parse(json!({"read_timeout_seconds": 1})).is_ok());
        assert!(parse(json!({"connection_timeout_seconds": 0.5})).is_ok());
        assert!(parse(json!({"max_response_bytes": 65535})).is_err());
        assert_eq!(parse(json!({"max_response_bytes": 65536})).unwrap().max_response_bytes, 65536);
        assert!(parse(json!({"plaid_version": "2020-9-14"})).is_err());
        assert!(parse(json!({"allowed_hosts": ["https://x"]})).is_err());
    }
}
