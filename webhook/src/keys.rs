//! The keys Plaid signs webhooks with, and where a verifier gets them.

use std::{fmt, time::Duration};

use serde::Deserialize;
use ureq::http::Uri;

/// A verification key as `/webhook_verification_key/get` answers it: an EC P-256 public key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    /// The point's coordinates, base64url without padding.
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub key_use: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// Unix seconds; set once Plaid has rotated the key out: it signs nothing new.
    #[serde(default)]
    pub expired_at: Option<i64>,
}

/// Where keys come from: Plaid ([`PlaidKeys`]), or a test's own.
pub trait KeySource: Send + Sync {
    /// The key with this id, asked for when the cache lacks it.
    fn fetch(&self, kid: &str) -> Result<Jwk, KeyError>;
}

/// Why a key could not be had. One line; never quotes a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub cause: String,
    /// For a reason of the moment (no answer, an unreadable one, the source's own trouble), not
    /// a refusal: the same key may be had later, so a receiver asks the sender to send again.
    pub unavailable: bool,
}

impl KeyError {
    /// The source answered that it has no such key, or it cannot be used.
    pub fn refused(cause: impl Into<String>) -> Self {
        KeyError { cause: cause.into(), unavailable: false }
    }

    /// The source could not be asked, or did not answer usefully.
    pub fn unavailable(cause: impl Into<String>) -> Self {
        KeyError { cause: cause.into(), unavailable: true }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

impl std::error::Error for KeyError {}

/// Plaid's `POST /webhook_verification_key/get`, with the same credentials as the task's calls.
pub struct PlaidKeys {
    url: String,
    client_id: String,
    secret: String,
    agent: ureq::Agent,
}

/// The API version the key endpoint is asked in, as the plugin's calls are.
const PLAID_VERSION: &str = "2020-09-14";
/// A key answer is a few hundred bytes.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;
const TIMEOUT: Duration = Duration::from_secs(10);

impl PlaidKeys {
    /// Keys from the Plaid API at `base_url` (`https://sandbox.plaid.com`, `https://production.plaid.com`,
    /// or the simulator on loopback). Plain `http` only to a loopback address: the credentials go
    /// with every request. `localhost` is taken to be 127.0.0.1, never looked up.
    pub fn new(base_url: &str, client_id: &str, secret: &str) -> Result<PlaidKeys, KeyError> {
        let base = checked_base(base_url)?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .timeout_global(Some(TIMEOUT))
            .build()
            .into();
        Ok(PlaidKeys {
            url: format!("{base}/webhook_verification_key/get"),
            client_id: client_id.to_owned(),
            secret: secret.to_owned(),
            agent,
        })
    }
}

impl fmt::Debug for PlaidKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaidKeys").field("url", &self.url).field("secret", &"***").finish_non_exhaustive()
    }
}

impl KeySource for PlaidKeys {
    fn fetch(&self, kid: &str) -> Result<Jwk, KeyError> {
        let body = serde_json::json!({ "key_id": kid }).to_string();
        let mut answer = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Plaid-Version", PLAID_VERSION)
            .header("PLAID-CLIENT-ID", &self.client_id)
            .header("PLAID-SECRET", &self.secret)
            .send(body.as_bytes())
            .map_err(|e| KeyError::unavailable(format!("the key request failed: {}", transport(&e))))?;
        let status = answer.status().as_u16();
        let text =
            answer.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_to_string().map_err(|_| {
                KeyError::unavailable(format!("the key answer (HTTP {status}) could not be read"))
            })?;
        #[derive(Deserialize)]
        struct Answer {
            key: Jwk,
        }
        #[derive(Deserialize)]
        struct PlaidError {
            error_code: String,
        }
        if status != 200 {
            let code = serde_json::from_str::<PlaidError>(&text).map(|e| bounded(&e.error_code)).ok();
            let cause = match code {
                Some(code) => format!("Plaid refused the key request: HTTP {status}, {code}"),
                None => format!("Plaid refused the key request: HTTP {status}"),
            };
            // A 4xx is Plaid's answer about this key; anything else is Plaid's trouble of the moment.
            return Err(if (400..500).contains(&status) {
                KeyError::refused(cause)
            } else {
                KeyError::unavailable(cause)
            });
        }
        serde_json::from_str::<Answer>(&text).map(|a| a.key).map_err(|e| {
            KeyError::unavailable(format!(
                "the key answer is not Plaid's key document ({})",
                e.classify_text()
            ))
        })
    }
}

trait Classify {
    fn classify_text(&self) -> &'static str;
}

impl Classify for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON",
            serde_json::error::Category::Data => "a field is missing or of the wrong type",
        }
    }
}

/// A transport error as a sentence that names no URL parameter or credential.
fn transport(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Timeout(_) => "timed out",
        ureq::Error::HostNotFound => "the host was not found",
        ureq::Error::ConnectionFailed => "the connection failed",
        ureq::Error::Io(_) => "the connection broke",
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS failed",
        _ => "an HTTP error",
    }
}

/// A sender-chosen word, shown only as a short run of safe characters.
pub(crate) fn bounded(text: &str) -> String {
    text.chars().take(40).filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')).collect()
}

/// `https://host[:port][/prefix]`, or `http://` to a loopback address (`localhost` becomes
/// 127.0.0.1), without a trailing slash, user info, query or fragment.
fn checked_base(base_url: &str) -> Result<String, KeyError> {
    let refuse = |why: &str| Err(KeyError::refused(format!("the key source's base URL {why}")));
    let Ok(uri) = base_url.trim_end_matches('/').parse::<Uri>() else { return refuse("is not a URL") };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return refuse("needs a scheme and a host");
    };
    if authority.as_str().contains('@') || uri.query().is_some() {
        return refuse("must not carry user info or a query");
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let port = authority.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
    let path = uri.path().trim_end_matches('/');
    match scheme {
        "https" => Ok(format!("https://{}{path}", authority.as_str())),
        "http" if host.eq_ignore_ascii_case("localhost") => Ok(format!("http://127.0.0.1{port}{path}")),
        "http" if host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) => {
            Ok(format!("http://{}{path}", authority.as_str()))
        }
        "http" => refuse("is plain http to a host that is not loopback: use https"),
        _ => refuse("must be https (or http to loopback)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        assert_eq!(checked_base("https://sandbox.plaid.com/").unwrap(), "https://sandbox.plaid.com");
        assert_eq!(checked_base("http://127.0.0.1:8787").unwrap(), "http://127.0.0.1:8787");
        assert_eq!(checked_base("http://[::1]:9").unwrap(), "http://[::1]:9");
        assert_eq!(checked_base("http://localhost:8787/x/").unwrap(), "http://127.0.0.1:8787/x");
        for bad in [
            "http://sandbox.plaid.com",
            "http://10.0.0.1",
            "ftp://x",
            "https://u:p@h",
            "nonsense",
            "https://h/?a=1",
        ] {
            assert!(checked_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_secret_never_prints() {
        let keys = PlaidKeys::new("http://127.0.0.1:1", "id", "CANARY-webhook-secret").unwrap();
        assert!(!format!("{keys:?}").contains("CANARY"));
    }

    #[test]
    fn sender_words_are_bounded() {
        assert_eq!(bounded("HS256\u{1b}[31m"), "HS25631m");
        assert_eq!(bounded(&"a".repeat(100)).len(), 40);
    }
}
