//! The server: [`start`] binds and spawns it on its own runtime, [`Simulator`] is the running one
//! (and what tests ask it); `respond` answers each request, `plaid` is the state they share.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{serve::ListenerExt, Router};
use ring::rand::SystemRandom;

use crate::{
    error::Error,
    faults::{Fault, Faults},
    ids::Ids,
    limit::RateLimit,
    plaid::{AutoComplete, Origin, Plaid},
    plan,
    respond::handle,
    session::{Completion, Refused},
    signing::Signer,
    state::{Attempt, Ledger, Status, Step, StepStatus, UserData},
    webhooks::Webhooks,
};

/// The credentials the simulator accepts unless told otherwise. Not secrets: a local default.
pub const DEFAULT_CLIENT_ID: &str = "sim-client-id";
pub const DEFAULT_SECRET: &str = "sim-secret";
/// Plaid's sandbox limit for `/identity_verification/*`, per client.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 60;

/// How to start a simulator.
#[derive(Clone)]
pub struct SimulatorConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    pub client_id: String,
    pub secret: String,
    /// Requests a minute per client across all endpoints; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Faults on every request, or on the first ones.
    pub faults: Faults,
    /// Where the webhooks go (`http://` to a loopback address); none are sent without one.
    pub webhook: Option<String>,
    /// An `active` session expires this long after it opened. `None` (the default): sessions never
    /// expire, as Plaid's documents say of Plaid's sessions today.
    pub expire_after: Option<Duration>,
    /// Every session is completed this long after it opens, as if a person did it.
    pub auto_complete: Option<AutoComplete>,
}

// By hand, so the secret never reaches a log through `{:?}`.
impl std::fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatorConfig")
            .field("addr", &self.addr)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("faults", &self.faults)
            .field("webhook", &self.webhook)
            .field("expire_after", &self.expire_after)
            .field("auto_complete", &self.auto_complete)
            .finish()
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            secret: DEFAULT_SECRET.to_owned(),
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            faults: Faults::none(),
            webhook: None,
            expire_after: None,
            auto_complete: None,
        }
    }
}

/// A running simulator. Dropping it stops it: its connections close, hanging ones included.
pub struct Simulator {
    plaid: Arc<Plaid>,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Starts a simulator on its own multi-threaded runtime and returns once it is listening.
pub fn start(config: SimulatorConfig) -> Result<Simulator, Error> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("plaid-simulator")
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let rng = SystemRandom::new();
    let signer = Arc::new(Signer::generate(&rng)?);
    let webhooks = Webhooks::start(config.webhook.as_deref(), signer.clone())?;
    let listen = |source| Error::Listen { addr: config.addr, source };
    let listener = runtime.block_on(tokio::net::TcpListener::bind(config.addr)).map_err(listen)?;
    let addr = listener.local_addr().map_err(listen)?;
    let plaid = Arc::new(Plaid {
        client_id: config.client_id,
        secret: config.secret,
        base_url: format!("http://{addr}"),
        ledger: Ledger::default(),
        ids: Ids::new(),
        limit: RateLimit::new(config.rate_limit_per_minute),
        faults: config.faults,
        requests: AtomicU64::new(0),
        rng,
        signer,
        webhooks,
        expire_after: config.expire_after,
        auto_complete: config.auto_complete,
    });
    // Without TCP_NODELAY, Nagle's algorithm and the client's delayed ACK stall each small
    // response by up to 40 ms.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let app = Router::new().fallback(handle).with_state(plaid.clone());
    runtime.spawn(async move {
        // `serve` only returns on a listener error it cannot recover from; the runtime ends with the `Simulator`.
        let _ = axum::serve(listener, app).await;
    });
    Ok(Simulator { plaid, addr, runtime: Some(runtime) })
}

impl Simulator {
    /// `http://127.0.0.1:PORT`, the base URL for a Plaid client.
    pub fn url(&self) -> String {
        self.plaid.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every attempt recorded so far.
    pub fn ledger(&self) -> &Ledger {
        &self.plaid.ledger
    }

    /// How many sessions (each billed by Plaid) exist for a user and template.
    pub fn session_count(&self, client_user_id: &str, template_id: &str) -> usize {
        self.plaid.ledger.session_count(client_user_id, template_id)
    }

    /// The attempts for a user and template, oldest first.
    pub fn attempts(&self, client_user_id: &str, template_id: &str) -> Vec<Arc<Attempt>> {
        self.plaid.ledger.attempts(client_user_id, template_id)
    }

    /// How many HTTP requests arrived, whatever became of them.
    pub fn request_count(&self) -> u64 {
        self.plaid.requests.load(Ordering::Relaxed)
    }

    /// Records an attempt as if a user had got that far, so there is something to retry; returns
    /// its id. `at` is the step where it stopped: the failed step for `failed` (default
    /// `kyc_check`), the current one for `active` (default `accept_tos`), the unfinished one for
    /// `expired`/`canceled` (default `verify_sms`) or `pending_review` (default `kyc_check`);
    /// ignored for `success`. The steps before it passed; a seeded attempt carries no user data.
    pub fn seed_attempt(
        &self,
        client_user_id: &str,
        template_id: &str,
        status: Status,
        at: Option<Step>,
    ) -> String {
        let template = plan::template_plan();
        let at = at.unwrap_or(match status {
            Status::Active => Step::AcceptTos,
            Status::Expired | Status::Canceled => Step::VerifySms,
            _ => Step::KycCheck,
        });
        let (here, after) = match status {
            Status::Success => (StepStatus::Success, StepStatus::Success),
            Status::Active => (StepStatus::Active, StepStatus::WaitingForPrerequisite),
            Status::Failed => (StepStatus::Failed, StepStatus::WaitingForPrerequisite),
            // Only the step the user was on ends expired or canceled: the steps after it never
            // started, which keeps `infer`'s "expired → incomplete" reachable.
            Status::Expired => (StepStatus::Expired, StepStatus::WaitingForPrerequisite),
            Status::Canceled => (StepStatus::Canceled, StepStatus::WaitingForPrerequisite),
            Status::PendingReview => (StepStatus::PendingReview, StepStatus::WaitingForPrerequisite),
        };
        let steps = Step::ALL.map(|step| match (step.index().cmp(&at.index()), template[step.index()]) {
            (std::cmp::Ordering::Equal, _) => here,
            (_, plan::Plan::NotApplicable) => StepStatus::NotApplicable,
            (std::cmp::Ordering::Less, _) => StepStatus::Success,
            (std::cmp::Ordering::Greater, _) => after,
        });
        self.plaid.ledger.transact(|tx| {
            let latest = tx.latest(client_user_id, template_id);
            let origin = Origin {
                client_user_id,
                template_id,
                previous: latest.as_deref(),
                strategy: None,
                is_shareable: true,
            };
            tx.push(self.plaid.attempt(origin, steps, status, UserData::default())).id.clone()
        })
    }

    /// Completes an `active` session as the control endpoint does (`POST /sim/sessions/{id}/complete`),
    /// sending its webhooks; the session as it ended. `None` when no session has this id.
    pub fn complete(&self, id: &str, completion: &Completion) -> Option<Result<Arc<Attempt>, Refused>> {
        self.plaid.complete(id, completion, self.plaid.faults.every.contains(Fault::DropWebhooks))
    }

    /// A `Plaid-Verification` header for `body` as this simulator signs its webhooks, issued at
    /// `at`: what a test replays as a webhook captured earlier (a stale `iat`), or pairs with
    /// another body (an altered one), to prove a receiver refuses them.
    pub fn webhook_signature(&self, body: &[u8], at: std::time::SystemTime) -> Result<String, Error> {
        self.plaid.signer.sign(body, at)
    }

    /// Webhooks not sent so far: dropped by the `drop_webhooks` fault or by a full queue.
    pub fn webhooks_dropped(&self) -> u64 {
        self.plaid.webhooks.dropped()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Cancels every task (hanging responses too) and closes the listener. Inside another
            // runtime blocking is not allowed, so there it shuts down in the background.
            if tokio::runtime::Handle::try_current().is_ok() {
                runtime.shutdown_background();
            } else {
                runtime.shutdown_timeout(Duration::from_secs(1));
            }
        }
    }
}
