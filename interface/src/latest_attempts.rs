//! What an engine remembers between tasks: the newest Identity Verification attempt each user's
//! tasks reported (`output.latest_attempt_id`), handed to the next execute for that user as the
//! context's `latest_attempt_id`.
//!
//! Why: after an unknown outcome the plugin asks Plaid's list which attempt its call created, and
//! an attempt opened seconds earlier for the same user looks just as new at Plaid's one-second
//! resolution. The engine knows that attempt was not this call's; with it the plugin tells the two
//! apart instead of ending ambiguous.
//!
//! Only recent knowledge matters (an attempt older than reconciliation's few seconds of tolerance
//! is never mistaken for a new one), so entries expire and the memory stays bounded by the task
//! rate, however long the engine runs.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde::Deserialize;

use crate::TaskResult;

/// Far longer than reconciliation's tolerance (seconds), short enough to bound the memory.
const KEEP: Duration = Duration::from_secs(60);
/// Expired entries are swept when the map grows past this.
const SWEEP_ABOVE: usize = 4096;

/// Whose attempts: Plaid keeps one history per `client_user_id` and `template_id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct User {
    client_user_id: String,
    template_id: String,
}

impl User {
    /// The user a task input names; `None` for an input that is not even that much JSON.
    pub fn of(input: &str) -> Option<User> {
        #[derive(Deserialize)]
        struct Keys {
            client_user_id: String,
            template_id: String,
        }
        let keys: Keys = serde_json::from_str(input).ok()?;
        Some(User { client_user_id: keys.client_user_id, template_id: keys.template_id })
    }
}

#[derive(Debug, Default)]
pub struct LatestAttempts {
    known: Mutex<HashMap<User, (String, Instant)>>,
}

impl LatestAttempts {
    pub fn new() -> Self {
        Self::default()
    }

    /// The newest attempt a recent task reported for `user`.
    pub fn get(&self, user: &User) -> Option<String> {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.get(user).filter(|(_, at)| at.elapsed() < KEEP).map(|(id, _)| id.clone())
    }

    /// Remembers the attempt a task result reports as its user's newest, if it reports one.
    pub fn record<Json>(&self, user: &User, result: &TaskResult<Json>) {
        let Some(id) = result.output.latest_attempt_id.as_deref() else { return };
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() > SWEEP_ABOVE {
            known.retain(|_, (_, at)| at.elapsed() < KEEP);
        }
        known.insert(user.clone(), (id.to_owned(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaskStatus;

    fn reporting(id: Option<&str>) -> TaskResult {
        let mut result = TaskResult::new(TaskStatus::Completed, None);
        result.output.latest_attempt_id = id.map(str::to_owned);
        result
    }

    #[test]
    fn remembers_the_newest_attempt_per_user_and_template() {
        let memory = LatestAttempts::new();
        let a = User::of(r#"{"client_user_id": "u1", "template_id": "t", "strategy": "reset"}"#).unwrap();
        let b = User::of(r#"{"client_user_id": "u1", "template_id": "t2", "strategy": "reset"}"#).unwrap();
        memory.record(&a, &reporting(Some("idv_1")));
        memory.record(&a, &reporting(None));
        assert_eq!(memory.get(&a).as_deref(), Some("idv_1"));
        memory.record(&a, &reporting(Some("idv_2")));
        assert_eq!(memory.get(&a).as_deref(), Some("idv_2"));
        assert_eq!(memory.get(&b), None);
        assert_eq!(User::of("not json"), None);
        assert_eq!(User::of(r#"{"client_user_id": 1, "template_id": "t"}"#), None);
    }

    #[test]
    fn the_memory_stays_bounded() {
        let memory = LatestAttempts::new();
        for i in 0..3 * SWEEP_ABOVE {
            let user = User { client_user_id: format!("u{i}"), template_id: "t".into() };
            memory.record(&user, &reporting(Some("idv_1")));
            // Every entry expired long ago as far as the sweep can tell.
            if let Some((_, at)) = memory.known.lock().unwrap().get_mut(&user) {
                *at = Instant::now().checked_sub(KEEP).unwrap_or(*at);
            }
        }
        let len = memory.known.lock().unwrap().len();
        assert!(len <= SWEEP_ABOVE + 1, "{len}");
    }
}
