//! Plaid as the simulator plays it: the state every request handler shares (credentials, the
//! ledger, identifiers, the rate limit, the server's faults, the webhook key and queue, the
//! session clock) and how a session is opened and moved.

use std::{
    sync::{atomic::AtomicU64, Arc},
    time::{Duration, SystemTime},
};

use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

use crate::{
    faults::{Fault, Faults},
    ids::Ids,
    limit::RateLimit,
    model,
    plan::Plan,
    session::{self, Completion, Moved, Notice, Refused},
    signing::{self, Signer},
    state::{Attempt, Ledger, LinkKey, Status, StepStatus, Strategy, UserData},
    webhooks::Webhooks,
};

/// Completes every session a while after it opens, as a person would (`--auto-complete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoComplete {
    pub outcome: Outcome,
    pub after: Duration,
}

/// How a completed session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failed,
}

impl std::str::FromStr for Outcome {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "success" => Ok(Outcome::Success),
            "failed" => Ok(Outcome::Failed),
            _ => Err(crate::Error::UnknownName(s.to_owned())),
        }
    }
}

impl From<Outcome> for Completion {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => Completion::Success,
            Outcome::Failed => Completion::Failed,
        }
    }
}

/// A session after a move, and what the page says about it; or why it did not move.
pub(crate) type MoveResult = Result<(Arc<Attempt>, Option<Notice>), Refused>;

/// The state the request handlers share.
pub(crate) struct Plaid {
    pub(crate) client_id: String,
    pub(crate) secret: String,
    pub(crate) base_url: String,
    pub(crate) ledger: Ledger,
    pub(crate) ids: Ids,
    pub(crate) limit: RateLimit,
    pub(crate) faults: Faults,
    pub(crate) requests: AtomicU64,
    pub(crate) rng: SystemRandom,
    pub(crate) signer: Arc<Signer>,
    pub(crate) webhooks: Webhooks,
    /// An `active` session expires this long after it opened (Plaid's sessions do not, today).
    pub(crate) expire_after: Option<Duration>,
    pub(crate) auto_complete: Option<AutoComplete>,
}

/// Where a new attempt comes from: whose it is, what it retries, how it was asked for.
pub(crate) struct Origin<'a> {
    pub client_user_id: &'a str,
    pub template_id: &'a str,
    pub previous: Option<&'a Attempt>,
    /// `None` for `/create` and seeded attempts.
    pub strategy: Option<Strategy>,
    pub is_shareable: bool,
}

impl Plaid {
    /// A session that opens now, `active` at its first required step.
    pub(crate) fn open(&self, origin: Origin, plan: [Plan; 7], user: Option<UserData>) -> Attempt {
        self.attempt(origin, session::open(plan), Status::Active, user.unwrap_or_default())
    }

    /// A new attempt that got as far as `steps`.
    pub(crate) fn attempt(
        &self,
        origin: Origin,
        steps: [StepStatus; 7],
        status: Status,
        user: UserData,
    ) -> Attempt {
        let created_at = SystemTime::now();
        Attempt {
            id: self.ids.object_id("idv_"),
            client_user_id: origin.client_user_id.to_owned(),
            template_id: origin.template_id.to_owned(),
            created_at,
            completed_at: (status != Status::Active).then_some(created_at),
            previous_attempt_id: origin.previous.map(|p| p.id.clone()),
            strategy: origin.strategy,
            is_shareable: origin.is_shareable,
            status,
            steps,
            user,
            screening_id: self.ids.object_id("scr_"),
            link_key: self.link_key(),
            tries: [0; 7],
        }
    }

    /// 32 random bytes, hex, like the `key` of Plaid's verification links. Without randomness
    /// the key is empty, which no page accepts: a session without a usable link, never a
    /// guessable one.
    fn link_key(&self) -> LinkKey {
        let mut bytes = [0u8; 32];
        match self.rng.fill(&mut bytes) {
            Ok(()) => LinkKey(signing::hex(&bytes)),
            Err(_) => LinkKey(String::new()),
        }
    }

    pub(crate) fn render(&self, attempt: &Attempt) -> Value {
        model::verification(attempt, &self.base_url)
    }

    /// Moves one session under the ledger lock and sends the webhooks the move causes (unless
    /// `drop_webhooks`). `None` when no session has this id.
    pub(crate) fn move_session(
        &self,
        id: &str,
        drop_webhooks: bool,
        f: impl FnOnce(&Attempt) -> Result<Moved, Refused>,
    ) -> Option<MoveResult> {
        self.ledger.transact(|tx| {
            let current = tx.get(id)?;
            Some(f(&current).map(|moved| {
                let attempt = tx.replace(moved.attempt);
                self.webhooks.send(moved.events, drop_webhooks);
                (attempt, moved.notice)
            }))
        })
    }

    /// Plays the person through the session's steps left (the control endpoint, `--auto-complete`).
    pub(crate) fn complete(
        &self,
        id: &str,
        completion: &Completion,
        drop_webhooks: bool,
    ) -> Option<Result<Arc<Attempt>, Refused>> {
        let now = SystemTime::now();
        self.move_session(id, drop_webhooks, |a| session::complete(a, completion, now))
            .map(|r| r.map(|(attempt, _)| attempt))
    }

    /// Whether the server's own faults drop webhooks: for the moves no request causes (expiry,
    /// `--auto-complete`).
    fn drops_webhooks(&self) -> bool {
        self.faults.every.contains(Fault::DropWebhooks)
    }

    /// Starts the clocks of a session that just opened: its expiry, and its completion when
    /// `--auto-complete` plays the person.
    pub(crate) fn schedule(self: &Arc<Self>, attempt: &Attempt) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if let Some(after) = self.expire_after {
            let (plaid, id) = (Arc::clone(self), attempt.id.clone());
            runtime.spawn(async move {
                tokio::time::sleep(after).await;
                let now = SystemTime::now();
                let drop = plaid.drops_webhooks();
                plaid.move_session(&id, drop, |a| {
                    session::stop(a, Status::Expired, now).ok_or(Refused::Ended(a.status))
                });
            });
        }
        if let Some(auto) = self.auto_complete {
            let (plaid, id) = (Arc::clone(self), attempt.id.clone());
            runtime.spawn(async move {
                tokio::time::sleep(auto.after).await;
                let drop = plaid.drops_webhooks();
                plaid.complete(&id, &auto.outcome.into(), drop);
            });
        }
    }
}
