//! Plaid as the simulator plays it: the state every request handler shares (credentials, the
//! ledger, identifiers, the rate limit, the server's faults) and how a new attempt is made.

use std::{
    sync::{atomic::AtomicU64, Arc},
    time::SystemTime,
};

use serde_json::Value;

use crate::{
    faults::Faults,
    ids::Ids,
    limit::RateLimit,
    model,
    plan::Plan,
    session,
    state::{Attempt, Ledger, Status, Step, StepStatus, Strategy, UserData},
};

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
}

/// Where a new attempt comes from: whose it is, what it retries, how it was asked for.
pub(crate) struct Origin<'a> {
    pub client_user_id: &'a str,
    pub template_id: &'a str,
    pub previous: Option<&'a Arc<Attempt>>,
    /// `None` for `/create` and seeded attempts.
    pub strategy: Option<Strategy>,
    pub is_shareable: bool,
}

impl Plaid {
    /// A new attempt, with the simulated user's run through `plan`.
    pub(crate) fn new_attempt(&self, origin: Origin, plan: [Plan; 7], user: Option<UserData>) -> Attempt {
        let (steps, status) = session::run(plan, user.as_ref());
        self.attempt(origin, steps, status, user.unwrap_or_default())
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
            screening_id: steps[Step::WatchlistScreening.index()]
                .has_result()
                .then(|| self.ids.object_id("scr_")),
        }
    }

    pub(crate) fn render(&self, attempt: &Attempt) -> Value {
        model::verification(attempt, &self.base_url)
    }
}
