//! `webhooks --listen ADDR`: Plaid's Identity Verification webhooks in, signals to the workflows
//! that await a verdict out.
//!
//! Every webhook is verified first, by the workspace's verifier (plaid-idv-webhook: ES256 only,
//! the key from Plaid's `/webhook_verification_key/get` with the worker's settings and
//! credentials, `iat` within five minutes, the body's SHA-256 as signed). A `STATUS_UPDATED`
//! webhook (the only one that can bring a verdict) then finds its workflow by the search
//! attribute holding the session id ([`SESSION_ATTRIBUTE`]) and signals it with the id and the
//! code; the workflow asks Plaid for the status itself. `STEP_UPDATED` and `RETRIED` are
//! acknowledged and signal nothing: each would cost the workflow a get that cannot change its
//! course.
//!
//! Answers: 200 to a verified webhook, also when no running workflow follows its session (logged
//! by its code only) and for webhooks of other products; 401 to a forged one (bad signature,
//! unknown key, `alg` other than ES256, stale `iat`, altered body), 400 to a malformed one, 413
//! over the size cap; 503 when Plaid's key endpoint or Temporal cannot be reached, so Plaid
//! delivers it again. Logs carry the refusal or the code, never a body, a token or an id.
//!
//! The listener is loopback unless `--allow-remote` (Plaid must reach it: put a TLS proxy in
//! front, as Plaid posts only to https).

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::SystemTime};

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, Method, StatusCode},
    Router,
};
use clap::Args;
use futures::StreamExt;
use plaid_idv_retry_interface::Environment;
use plaid_idv_webhook::{PlaidKeys, Refusal, Verifier, Webhook, HEADER, MAX_BODY_BYTES};
use serde_json::Value;
use temporalio_client::{
    errors::WorkflowInteractionError, Client, WorkflowListOptions, WorkflowSignalOptions,
};
use tokio::signal::unix::{signal, SignalKind};

use crate::{
    await_verdict::{RetryAndAwaitWorkflow, SessionChanged, SESSION_ATTRIBUTE},
    codec::{CodecArgs, KeyRing},
    connection::ServerArgs,
    error::Error,
    worker,
};

#[derive(Args, Debug, Clone)]
pub struct WebhooksArgs {
    /// Where to listen for Plaid's webhooks, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:8790", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Listen on an address that is not loopback (behind a TLS proxy Plaid can reach).
    #[arg(long)]
    pub allow_remote: bool,
    /// The worker's settings (base URL, environment, credentials): the verification keys come
    /// from that Plaid; PLAID_CLIENT_ID and PLAID_SECRET fill in credentials it leaves out.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    #[command(flatten)]
    pub codec: CodecArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}

struct Receiver {
    verifier: Arc<Verifier<PlaidKeys>>,
    client: Client,
}

pub async fn run(args: WebhooksArgs) -> Result<(), Error> {
    if !args.allow_remote && !args.listen.ip().is_loopback() {
        return Err(Error::new(
            "--listen: not a loopback address; pass --allow-remote to receive webhooks from elsewhere",
        ));
    }
    let keys = KeyRing::from_env()?;
    let settings: Value = serde_json::from_str(&worker::settings(args.settings.as_ref())?)
        .map_err(|_| Error::new("--settings: not a JSON object"))?;
    let verifier = Arc::new(Verifier::new(key_source(&settings)?));
    let client = args.server.connect(&keys, args.codec).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::new(format!("--listen: cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr().map_err(|e| Error::new(format!("--listen: {e}")))?;
    let app = Router::new().fallback(receive).with_state(Arc::new(Receiver { verifier, client }));
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::new(format!("signal handler: {e}")))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::new(format!("signal handler: {e}")))?;
    eprintln!(
        "webhooks listening on http://{addr}: signalling workflows on namespace {:?} ({})",
        args.server.namespace, args.server.address
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
        .await
        .map_err(|e| Error::new(format!("the webhook listener stopped: {e}")))
}

/// Plaid's key endpoint, at the settings' `base_url` or their environment's.
fn key_source(settings: &Value) -> Result<PlaidKeys, Error> {
    let text = |k: &str| settings.get(k).and_then(Value::as_str);
    let environment =
        text("environment").and_then(|e| e.parse::<Environment>().ok()).unwrap_or(Environment::Sandbox);
    let base = text("base_url").unwrap_or(environment.base_url());
    let (Some(client_id), Some(secret)) = (text("client_id"), text("secret")) else {
        return Err(Error::new("--settings: client_id and secret must be strings"));
    };
    PlaidKeys::new(base, client_id, secret).map_err(|e| Error::new(format!("--settings: {e}")))
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, &'static str) {
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "webhooks are POSTed\n");
    }
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        eprintln!("webhook refused: the body is over {MAX_BODY_BYTES} bytes");
        return (StatusCode::PAYLOAD_TOO_LARGE, "refused\n");
    };
    let began = std::time::Instant::now();
    let signature = headers.get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let verifier = receiver.verifier.clone();
    // The verifier may ask Plaid for a key (a blocking call).
    let verified =
        tokio::task::spawn_blocking(move || verifier.verify(signature.as_deref(), &bytes, SystemTime::now()))
            .await;
    let webhook = match verified {
        Ok(Ok(webhook)) => webhook,
        Ok(Err(refusal)) => {
            eprintln!("webhook refused: {refusal}");
            return (refused_with(&refusal), "refused\n");
        }
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "not verified\n"),
    };
    let code = code(&webhook);
    let took = || began.elapsed().as_millis();
    match deliver(&receiver.client, &webhook).await {
        Ok(Delivered::NotAStatusChange) => {
            eprintln!("webhook {code}: not a status change; acknowledged");
            (StatusCode::OK, "acknowledged\n")
        }
        Ok(Delivered::To(0)) => {
            eprintln!(
                "webhook {code}: no running workflow follows its session; acknowledged ({} ms)",
                took()
            );
            (StatusCode::OK, "no workflow follows this session\n")
        }
        Ok(Delivered::To(n)) => {
            eprintln!("webhook {code}: signalled {n} workflow(s) ({} ms)", took());
            (StatusCode::OK, "signalled\n")
        }
        Err(e) => {
            eprintln!("webhook {code}: {e}");
            (StatusCode::SERVICE_UNAVAILABLE, "try again\n")
        }
    }
}

/// A forged webhook is refused as unauthorized; one this receiver could not check (Plaid's key
/// endpoint out of reach) as unavailable, so that Plaid sends it again.
fn refused_with(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::Malformed(_) | Refusal::NotAWebhook => StatusCode::BAD_REQUEST,
        Refusal::Key { unavailable: true, .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    }
}

/// The webhook's code as a log shows it: a short run of safe characters.
fn code(webhook: &Webhook) -> String {
    webhook.webhook_code.chars().take(40).filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// What became of a verified webhook.
enum Delivered {
    /// Not one that can bring a verdict: acknowledged, nothing signalled.
    NotAStatusChange,
    /// Signalled to this many running workflows (0: none follows the session).
    To(usize),
}

/// The code of the webhook that says a session's status changed: only it can bring a verdict
/// (`STEP_UPDATED` says a step was completed, `RETRIED` that a new session opened), so only it is
/// signalled; a verdict whose webhook is lost still comes by the workflow's poll.
const STATUS_UPDATED: &str = "STATUS_UPDATED";

/// Signals every running workflow that follows the webhook's session.
async fn deliver(client: &Client, webhook: &Webhook) -> Result<Delivered, Error> {
    let id = &webhook.identity_verification_id;
    if !webhook.is_identity_verification() || webhook.webhook_code != STATUS_UPDATED {
        return Ok(Delivered::NotAStatusChange);
    }
    // Only an id of Plaid's shape goes into a visibility query.
    if !is_session_id(id) {
        return Ok(Delivered::To(0));
    }
    let query = format!("{} = '{id}' AND ExecutionStatus = 'Running'", SESSION_ATTRIBUTE.name());
    let mut found = client.list_workflows(query, WorkflowListOptions::builder().limit(16).build());
    let mut workflow_ids = Vec::new();
    while let Some(execution) = found.next().await {
        let execution = execution.map_err(|e| Error::new(format!("cannot look the session up: {e}")))?;
        workflow_ids.push(execution.id().to_owned());
    }
    let change = SessionChanged {
        identity_verification_id: id.clone(),
        webhook_code: webhook.webhook_code.chars().take(64).collect(),
    };
    let mut signalled = 0;
    for workflow_id in workflow_ids {
        let handle = client.get_workflow_handle::<RetryAndAwaitWorkflow>(workflow_id);
        match handle
            .signal(RetryAndAwaitWorkflow::session_changed, change.clone(), WorkflowSignalOptions::default())
            .await
        {
            Ok(()) => signalled += 1,
            // Closed since it was listed: it has its verdict.
            Err(WorkflowInteractionError::NotFound(_)) => {}
            Err(e) => return Err(Error::new(format!("cannot signal the workflow: {e}"))),
        }
    }
    Ok(Delivered::To(signalled))
}

/// Plaid's ids: a prefix, an underscore and letters and digits (`idv_52xR9LKo77r1Np`).
fn is_session_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plaid_shaped_ids_reach_a_query() {
        assert!(is_session_id("idv_52xR9LKo77r1Np"));
        for bad in ["", "idv' OR 1=1", "idv_1\"", &"a".repeat(129), "idv 1"] {
            assert!(!is_session_id(bad), "{bad}");
        }
    }

    #[test]
    fn forgeries_are_unauthorized_an_unreachable_key_source_is_unavailable() {
        assert_eq!(refused_with(&Refusal::Signature), StatusCode::UNAUTHORIZED);
        assert_eq!(refused_with(&Refusal::Algorithm("none".into())), StatusCode::UNAUTHORIZED);
        assert_eq!(refused_with(&Refusal::Stale { age_seconds: 600 }), StatusCode::UNAUTHORIZED);
        assert_eq!(refused_with(&Refusal::BodyAltered), StatusCode::UNAUTHORIZED);
        let key =
            |cause: &str, unavailable| Refusal::Key { kid: "k".into(), cause: cause.into(), unavailable };
        let unknown = key("Plaid refused the key request: HTTP 400", false);
        assert_eq!(refused_with(&unknown), StatusCode::UNAUTHORIZED);
        for cause in ["the key request failed: timed out", "Plaid refused the key request: HTTP 503"] {
            assert_eq!(refused_with(&key(cause, true)), StatusCode::SERVICE_UNAVAILABLE, "{cause}");
        }
        let not_p256 = key("not an EC P-256 ES256 key", false);
        assert_eq!(refused_with(&not_p256), StatusCode::UNAUTHORIZED);
        assert_eq!(refused_with(&Refusal::Malformed("x")), StatusCode::BAD_REQUEST);
    }
}
