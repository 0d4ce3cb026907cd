//! The ledger: every Identity Verification attempt the simulator created, per (`client_user_id`,
//! `template_id`) in creation order, the way Plaid keeps a user's attempt history.
//!
//! An attempt moves (the person completes steps, it expires, a retry cancels it): each move
//! replaces it with its next version inside one `Ledger::transact`, so readers share `Arc`s and
//! render them outside the lock, and each version is whole. Per attempt the ledger keeps what its
//! moves need and no more: the step statuses, the data entered, a try count per step.

use std::{
    collections::HashMap,
    fmt,
    str::FromStr,
    sync::{Arc, Mutex, MutexGuard},
    time::SystemTime,
};

use crate::Error;

/// The steps of an Identity Verification session, in the order a user meets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    AcceptTos,
    VerifySms,
    KycCheck,
    DocumentaryVerification,
    SelfieCheck,
    WatchlistScreening,
    RiskCheck,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::AcceptTos,
        Step::VerifySms,
        Step::KycCheck,
        Step::DocumentaryVerification,
        Step::SelfieCheck,
        Step::WatchlistScreening,
        Step::RiskCheck,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::AcceptTos => "accept_tos",
            Step::VerifySms => "verify_sms",
            Step::KycCheck => "kyc_check",
            Step::DocumentaryVerification => "documentary_verification",
            Step::SelfieCheck => "selfie_check",
            Step::WatchlistScreening => "watchlist_screening",
            Step::RiskCheck => "risk_check",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A step's status, Plaid's `IdentityVerificationStepStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Success,
    Active,
    Failed,
    WaitingForPrerequisite,
    NotApplicable,
    Skipped,
    Expired,
    Canceled,
    PendingReview,
    ManuallyApproved,
    ManuallyRejected,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Success => "success",
            StepStatus::Active => "active",
            StepStatus::Failed => "failed",
            StepStatus::WaitingForPrerequisite => "waiting_for_prerequisite",
            StepStatus::NotApplicable => "not_applicable",
            StepStatus::Skipped => "skipped",
            StepStatus::Expired => "expired",
            StepStatus::Canceled => "canceled",
            StepStatus::PendingReview => "pending_review",
            StepStatus::ManuallyApproved => "manually_approved",
            StepStatus::ManuallyRejected => "manually_rejected",
        }
    }

    /// Done with, as far as an `incomplete` retry is concerned: nothing to redo.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            StepStatus::Success
                | StepStatus::Skipped
                | StepStatus::NotApplicable
                | StepStatus::ManuallyApproved
        )
    }

    /// The step ran to a verdict, so its details object is filled in.
    pub fn has_result(self) -> bool {
        matches!(
            self,
            StepStatus::Success
                | StepStatus::Failed
                | StepStatus::ManuallyApproved
                | StepStatus::ManuallyRejected
        )
    }
}

/// An attempt's overall status, Plaid's `IdentityVerificationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Success,
    Failed,
    Expired,
    Canceled,
    PendingReview,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Success => "success",
            Status::Failed => "failed",
            Status::Expired => "expired",
            Status::Canceled => "canceled",
            Status::PendingReview => "pending_review",
        }
    }
}

impl FromStr for Step {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL.into_iter().find(|step| step.as_str() == s).ok_or_else(|| Error::UnknownName(s.to_owned()))
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Status::Active,
            Status::Success,
            Status::Failed,
            Status::Expired,
            Status::Canceled,
            Status::PendingReview,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or_else(|| Error::UnknownName(s.to_owned()))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The retry strategies, Plaid's `Strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Reset,
    Incomplete,
    Infer,
    Custom,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Reset => "reset",
            Strategy::Incomplete => "incomplete",
            Strategy::Infer => "infer",
            Strategy::Custom => "custom",
        }
    }
}

/// The user data an attempt carries (sent with create or retry), in the response's shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserData {
    pub email_address: Option<String>,
    pub phone_number: Option<String>,
    pub date_of_birth: Option<String>,
    pub name: Option<Name>,
    pub address: Option<Address>,
    pub id_number: Option<IdNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub given_name: String,
    pub family_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub street2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub value: String,
    pub id_type: String,
}

/// The key in a session's `shareable_url`: whoever has it may act on the session's page. Random,
/// never printed by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkKey(pub(crate) String);

impl LinkKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(***)")
    }
}

/// One Identity Verification session, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: String,
    pub client_user_id: String,
    pub template_id: String,
    pub created_at: SystemTime,
    pub completed_at: Option<SystemTime>,
    pub previous_attempt_id: Option<String>,
    /// The strategy that created it (`None` for `/create` and seeded attempts); `infer` is
    /// recorded as what it resolved to.
    pub strategy: Option<Strategy>,
    pub is_shareable: bool,
    pub status: Status,
    /// Indexed by `Step::index`.
    pub steps: [StepStatus; 7],
    pub user: UserData,
    /// The `watchlist_screening_id`, shown once screening ran.
    pub screening_id: String,
    /// The key of its `shareable_url` (and page).
    pub link_key: LinkKey,
    /// Wrong tries so far at each step (Plaid allows three SMS codes and three documents).
    pub tries: [u8; 7],
}

impl Attempt {
    pub fn step(&self, step: Step) -> StepStatus {
        self.steps[step.index()]
    }

    /// The first step that is not settled: where the user failed, stopped or is now.
    pub fn failing_step(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| !self.step(*s).is_settled())
    }

    /// The step the person is on, while the session is `active`.
    pub fn current_step(&self) -> Option<Step> {
        Step::ALL.into_iter().find(|s| self.step(*s) == StepStatus::Active)
    }
}

type Key = (String, String);

#[derive(Default)]
struct Inner {
    /// Where each attempt sits in its user's history.
    by_id: HashMap<String, (Key, usize)>,
    by_user: HashMap<Key, Vec<Arc<Attempt>>>,
}

/// Every attempt, shared by the request handlers and the embedding test.
#[derive(Default)]
pub struct Ledger {
    inner: Mutex<Inner>,
}

/// The ledger inside one `Ledger::transact`: what it reads and writes happens as one step.
pub(crate) struct Tx<'a> {
    inner: &'a mut Inner,
}

impl Tx<'_> {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Attempt>> {
        let (key, index) = self.inner.by_id.get(id)?;
        self.inner.by_user.get(key)?.get(*index).cloned()
    }

    /// The newest attempt for a user and template.
    pub(crate) fn latest(&self, client_user_id: &str, template_id: &str) -> Option<Arc<Attempt>> {
        self.inner.by_user.get(&(client_user_id.to_owned(), template_id.to_owned()))?.last().cloned()
    }

    /// Records a new attempt, the newest of its user and template.
    pub(crate) fn push(&mut self, attempt: Attempt) -> Arc<Attempt> {
        let key = (attempt.client_user_id.clone(), attempt.template_id.clone());
        let attempt = Arc::new(attempt);
        let history = self.inner.by_user.entry(key.clone()).or_default();
        self.inner.by_id.insert(attempt.id.clone(), (key, history.len()));
        history.push(attempt.clone());
        attempt
    }

    /// Replaces a recorded attempt (same id) with its next version.
    pub(crate) fn replace(&mut self, attempt: Attempt) -> Arc<Attempt> {
        let attempt = Arc::new(attempt);
        if let Some((key, index)) = self.inner.by_id.get(&attempt.id) {
            if let Some(slot) = self.inner.by_user.get_mut(key).and_then(|h| h.get_mut(*index)) {
                *slot = attempt.clone();
            }
        }
        attempt
    }
}

impl Ledger {
    // A handler that panicked mid-update cannot leave an attempt half-recorded (an attempt is
    // replaced whole, as the last thing), so a poisoned lock is still consistent.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` under the lock: two concurrent retries chain one after the other instead of both
    /// branching off the same attempt, and an attempt's moves (and their webhooks) keep one order.
    pub(crate) fn transact<R>(&self, f: impl FnOnce(&mut Tx<'_>) -> R) -> R {
        let mut inner = self.lock();
        f(&mut Tx { inner: &mut inner })
    }

    pub fn get(&self, id: &str) -> Option<Arc<Attempt>> {
        self.transact(|tx| tx.get(id))
    }

    /// The attempts for one user and template, oldest first.
    pub fn attempts(&self, client_user_id: &str, template_id: &str) -> Vec<Arc<Attempt>> {
        self.lock()
            .by_user
            .get(&(client_user_id.to_owned(), template_id.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    /// How many sessions (each one billed by Plaid) exist for one user and template.
    pub fn session_count(&self, client_user_id: &str, template_id: &str) -> usize {
        self.lock().by_user.get(&(client_user_id.to_owned(), template_id.to_owned())).map_or(0, Vec::len)
    }

    /// Every attempt, in no particular order.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
