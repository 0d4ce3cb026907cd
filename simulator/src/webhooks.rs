//! Plaid's `IDENTITY_VERIFICATION` webhooks: `STEP_UPDATED` when the person completes a step,
//! `STATUS_UPDATED` when a session's status changes, `RETRIED` when a retry opens a session. The
//! body names the session only (no status, no personal data); the receiver asks
//! `/identity_verification/get`. Each is signed (`signing`) and posted to the configured URL.
//!
//! Delivery runs on its own thread, one webhook after the other in the order the moves happened,
//! so no API answer ever waits for it. Each post has a 10-second bound (Plaid's), follows no
//! redirect and uses no proxy. A webhook whose post fails is lost: Plaid retries for a day, the
//! simulator does not, which a receiver must survive anyway (the `drop_webhooks` fault drops them
//! on purpose). The queue is bounded: past [`QUEUE`] undelivered webhooks, new ones are dropped.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc::{sync_channel, SyncSender, TrySendError},
        Arc,
    },
    time::{Duration, SystemTime},
};

use axum::http::Uri;

use crate::{error::Error, signing::Signer};

/// Undelivered webhooks held at most.
pub const QUEUE: usize = 10_000;
/// How long one delivery may take, as Plaid waits for a receiver.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook's `webhook_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    StepUpdated,
    StatusUpdated,
    Retried,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::StepUpdated => "STEP_UPDATED",
            Code::StatusUpdated => "STATUS_UPDATED",
            Code::Retried => "RETRIED",
        }
    }
}

/// One webhook to send: what happened, to which session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub code: Code,
    pub identity_verification_id: String,
}

impl Event {
    pub(crate) fn new(code: Code, id: &str) -> Self {
        Event { code, identity_verification_id: id.to_owned() }
    }

    /// The body as sent, pretty-printed: a receiver must hash the bytes it received, whitespace
    /// included, as Plaid's verification procedure says.
    pub fn body(&self) -> String {
        let body = serde_json::json!({
            "webhook_type": "IDENTITY_VERIFICATION",
            "webhook_code": self.code.as_str(),
            "identity_verification_id": self.identity_verification_id,
            "environment": "sandbox",
        });
        serde_json::to_string_pretty(&body).unwrap_or_default()
    }
}

/// Where webhooks go, if anywhere.
pub(crate) struct Webhooks {
    queue: Option<SyncSender<Event>>,
    dropped: AtomicU64,
}

impl Webhooks {
    /// Starts the delivery thread for `url` (plain HTTP to a loopback address only).
    pub(crate) fn start(url: Option<&str>, signer: Arc<Signer>) -> Result<Webhooks, Error> {
        let Some(url) = url else { return Ok(Webhooks { queue: None, dropped: AtomicU64::new(0) }) };
        let url = checked_url(url)?;
        let (queue, events) = sync_channel::<Event>(QUEUE);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .timeout_global(Some(DELIVERY_TIMEOUT))
            .build()
            .into();
        std::thread::Builder::new()
            .name("plaid-simulator-webhooks".into())
            .spawn(move || {
                // Ends when the simulator is dropped (the last sender with it).
                for event in events {
                    let body = event.body();
                    let Ok(signature) = signer.sign(body.as_bytes(), SystemTime::now()) else { continue };
                    let sent = agent
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .header("Plaid-Verification", &signature)
                        .send(body.as_bytes());
                    // The receiver's answer changes nothing (see the module docs).
                    if let Ok(mut answer) = sent {
                        let _ = answer.body_mut().with_config().limit(64 * 1024).read_to_vec();
                    }
                }
            })
            .map_err(|e| Error::Webhook(format!("cannot start webhook delivery: {e}")))?;
        Ok(Webhooks { queue: Some(queue), dropped: AtomicU64::new(0) })
    }

    /// Queues `events` in order, or drops them (the `drop_webhooks` fault, or a full queue).
    pub(crate) fn send(&self, events: Vec<Event>, drop: bool) {
        let Some(queue) = &self.queue else { return };
        for event in events {
            if drop {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = queue.try_send(event) {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Webhooks not sent: dropped by the fault, or by a full queue.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// `http://` to a loopback address (`localhost` included), as given; nothing else.
fn checked_url(url: &str) -> Result<String, Error> {
    let refuse = |why: &str| Err(Error::Webhook(format!("the webhook URL {why}")));
    let Ok(uri) = url.parse::<Uri>() else { return refuse("is not a URL") };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return refuse("needs a scheme and a host, like http://127.0.0.1:9000/webhooks");
    };
    if authority.as_str().contains('@') {
        return refuse("must not carry user info");
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match (scheme, loopback) {
        ("http", true) => Ok(url.to_owned()),
        ("http", false) => refuse("must be on this machine (a loopback address or localhost)"),
        _ => refuse("must be http:// to a loopback address"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_urls_are_accepted() {
        for good in ["http://127.0.0.1:9000/hooks", "http://localhost:1/", "http://[::1]:8080"] {
            assert!(checked_url(good).is_ok(), "{good}");
        }
        for bad in [
            "https://127.0.0.1/",
            "http://example.com/",
            "http://10.0.0.1/",
            "http://u:p@127.0.0.1/",
            "nonsense",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_body_names_the_session_and_nothing_else() {
        let body: serde_json::Value =
            serde_json::from_str(&Event::new(Code::Retried, "idv_1").body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"webhook_type": "IDENTITY_VERIFICATION", "webhook_code": "RETRIED",
                "identity_verification_id": "idv_1", "environment": "sandbox"})
        );
    }
}
