//! The sessions the console's Test requests opened, followed to their verdicts: each by a thread
//! that runs the plugin's get task at the preset's interval, woken early by a verified webhook.
//!
//! A webhook says only which session changed, never how (Plaid's design): a verified one wakes
//! that session's follower, which asks `get`, as Plaid tells a receiver to. So a forged webhook
//! could at most cause an early get, and the route refuses it before even that. The page learns of
//! changes by polling `/api/sessions/{id}`, which answers what the console already knows: the
//! browser's polling never reaches Plaid.

use std::{
    collections::HashMap,
    sync::{Arc, Condvar, Mutex, MutexGuard},
    time::{Instant, SystemTime},
};

use plaid_idv_retry_interface::{Task, TaskStatus};
use plaid_idv_webhook::{PlaidKeys, Refusal, Verifier, Webhook};
use serde::Serialize;

use crate::follow::{self, Cadence, SessionView};

/// Sessions followed at once: each has a thread and asks Plaid once an interval, within the
/// preset's rate; past this, a session is shown but not followed.
const MAX_FOLLOWED: usize = 64;

/// What woke a session's view last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The Test request's own answer.
    Retry,
    /// A get at the preset's interval.
    Poll,
    /// A get a verified webhook asked for.
    Webhook,
}

/// One session as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Tracked {
    pub session: SessionView,
    /// Grows with every change the page should show.
    pub version: u64,
    /// What asked for the get that showed the session as it is now.
    pub updated_by: Source,
    /// Whether a follower still asks Plaid (false after the verdict, a terminal get, the give-up
    /// time, or when too many sessions are followed).
    pub following: bool,
    /// Why the last get did not read the session, or why following stopped.
    pub note: Option<String>,
    #[serde(skip)]
    woken: bool,
}

struct Followed {
    state: Mutex<Tracked>,
    wake: Condvar,
}

impl Followed {
    fn lock(&self) -> MutexGuard<'_, Tracked> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every followed session, and how they are followed.
pub struct Sessions {
    get: Option<Task>,
    settings: String,
    cadence: Option<Cadence>,
    followed: Mutex<HashMap<String, Arc<Followed>>>,
    /// Checks webhooks against the target's keys (`/webhook_verification_key/get`).
    verifier: Option<Verifier<PlaidKeys>>,
}

/// What the webhook route makes of a webhook.
pub enum Received {
    /// Verified, and about a session the console follows: its follower asks now.
    Woke(Webhook),
    /// Verified, about a session this console does not follow.
    Ignored(Webhook),
}

impl Sessions {
    /// `get` and `cadence` are `None` for a plugin without the get task: sessions are shown as the
    /// retry answered them, not followed. `verifier` is `None` when the target's keys cannot be
    /// asked for.
    pub fn new(
        get: Option<Task>,
        settings: String,
        cadence: Option<Cadence>,
        verifier: Option<Verifier<PlaidKeys>>,
    ) -> Sessions {
        Sessions { get, settings, cadence, followed: Mutex::new(HashMap::new()), verifier }
    }

    /// How often the followers ask, when they do.
    pub fn cadence(&self) -> Option<Cadence> {
        self.cadence
    }

    /// Whether the console checks webhooks at all.
    pub fn receives_webhooks(&self) -> bool {
        self.verifier.is_some()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Followed>>> {
        self.followed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following the session a Test request opened; answers it as the page first shows it.
    pub fn follow(&self, session: SessionView) -> Tracked {
        let mut map = self.map();
        // Finished sessions stop their followers; they stay readable until the table is full.
        if map.len() >= MAX_FOLLOWED {
            map.retain(|_, f| f.lock().following);
        }
        let room = map.len() < MAX_FOLLOWED;
        let following = !session.is_final && self.get.is_some() && room;
        let note = match (&self.get, room) {
            _ if session.is_final => None,
            (None, _) => Some("the plugin has no get task: the session is not followed".to_owned()),
            (_, false) => Some(format!("{MAX_FOLLOWED} sessions are followed already: this one is not")),
            _ => None,
        };
        let tracked =
            Tracked { session, version: 1, updated_by: Source::Retry, following, note, woken: false };
        if !room {
            return tracked;
        }
        let followed = Arc::new(Followed { state: Mutex::new(tracked.clone()), wake: Condvar::new() });
        map.insert(tracked.session.id.clone(), followed.clone());
        if let (true, Some(get), Some(cadence)) = (following, self.get, self.cadence) {
            let (settings, id) = (self.settings.clone(), tracked.session.id.clone());
            let spawned = std::thread::Builder::new()
                .name("host-sim-follow".into())
                .spawn(move || run_follower(&followed, get, &settings, cadence, &id));
            if let Err(e) = spawned {
                let mut state = map[&tracked.session.id].lock();
                state.following = false;
                state.note = Some(format!("cannot follow the session: {e}"));
                return state.clone();
            }
        }
        tracked
    }

    /// The session as the console knows it now.
    pub fn get(&self, id: &str) -> Option<Tracked> {
        self.map().get(id).map(|f| f.lock().clone())
    }

    /// A webhook as received: verified first (`Plaid-Verification`), then acted on.
    pub fn receive(&self, signature: Option<&str>, body: &[u8]) -> Result<Received, Refusal> {
        let verifier = self.verifier.as_ref().ok_or(Refusal::Key {
            kid: String::new(),
            cause: "this console has no verification keys to ask for".into(),
            unavailable: false,
        })?;
        let webhook = verifier.verify(signature, body, SystemTime::now())?;
        if !webhook.is_identity_verification() {
            return Ok(Received::Ignored(webhook));
        }
        let followed = self.map().get(&webhook.identity_verification_id).cloned();
        match followed {
            Some(followed) => {
                followed.lock().woken = true;
                followed.wake.notify_all();
                Ok(Received::Woke(webhook))
            }
            None => Ok(Received::Ignored(webhook)),
        }
    }
}

/// A get every interval (sooner when a webhook wakes it), until the verdict, a terminal get, or
/// the give-up time.
fn run_follower(followed: &Followed, get: Task, settings: &str, cadence: Cadence, id: &str) {
    let started = Instant::now();
    let mut wait = cadence.interval;
    for attempt in 1.. {
        let source = {
            let mut state = followed.lock();
            let deadline = Instant::now() + wait;
            while !state.woken {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = followed.wake.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
            }
            let source = if state.woken { Source::Webhook } else { Source::Poll };
            state.woken = false;
            source
        };
        let read = follow::get_once(&get, id, settings, attempt);
        let mut state = followed.lock();
        wait = cadence.interval;
        match read {
            Ok(read) => {
                let result = &read.result;
                wait = follow::next_wait(&cadence, result);
                match (result.status, SessionView::read_by(result)) {
                    (TaskStatus::Completed, Some(view)) => {
                        if view != state.session {
                            state.session = view;
                            state.updated_by = source;
                            state.version += 1;
                        }
                        if state.note.take().is_some() {
                            state.version += 1;
                        }
                    }
                    (TaskStatus::FailedWithTerminalError, _) => {
                        state.following = false;
                        state.note = Some(format!(
                            "stopped following: the get failed terminally ({})",
                            result.reason.as_deref().unwrap_or("no reason given")
                        ));
                        state.version += 1;
                    }
                    _ => {
                        state.note = Some(format!(
                            "the last get failed ({}); asking again at the next interval",
                            result.reason.as_deref().unwrap_or("no session in the answer")
                        ));
                        state.version += 1;
                    }
                }
            }
            Err(failure) => {
                state.note = Some(format!("the last get failed ({}); asking again", failure.message));
                state.version += 1;
            }
        }
        if state.session.is_final {
            state.following = false;
        } else if state.following && started.elapsed() + wait > cadence.give_up_after {
            state.following = false;
            state.note = Some(format!(
                "no verdict after {} s, the preset's give-up time: no longer followed; the session goes on at Plaid",
                cadence.give_up_after.as_secs()
            ));
            state.version += 1;
        }
        if !state.following {
            return;
        }
    }
}
