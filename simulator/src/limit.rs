//! The rate limit, per client across all `/identity_verification/*` endpoints, like Plaid's sandbox
//! (60 a minute by default). A token bucket: a full minute's worth may arrive at once, then requests
//! are admitted as fast as the bucket refills. Also the 429 bursts that fault injection starts.

use std::{collections::HashMap, sync::Mutex, time::Instant};

pub struct RateLimit {
    per_minute: u32,
    clients: Mutex<HashMap<String, Client>>,
}

struct Client {
    tokens: f64,
    refilled: Instant,
    /// Requests still to refuse in a fault-injected burst.
    burst: u32,
}

impl RateLimit {
    /// `per_minute == 0` turns the limit off (bursts still apply).
    pub fn new(per_minute: u32) -> Self {
        RateLimit { per_minute, clients: Mutex::new(HashMap::new()) }
    }

    /// Admits or refuses one request of `client_id`.
    pub fn admit(&self, client_id: &str) -> bool {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if self.per_minute == 0 && clients.is_empty() {
            return true; // the hot path when the limit is off and no burst was ever started
        }
        let client = self.client(&mut clients, client_id);
        if client.burst > 0 {
            client.burst -= 1;
            return false;
        }
        if self.per_minute == 0 {
            return true;
        }
        let capacity = f64::from(self.per_minute);
        let now = Instant::now();
        let elapsed = now.duration_since(client.refilled);
        client.tokens = (client.tokens + elapsed.as_secs_f64() * capacity / 60.0).min(capacity);
        client.refilled = now;
        if client.tokens >= 1.0 {
            client.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Refuses this client's next `n` requests, unless a burst is already running.
    pub fn start_burst(&self, client_id: &str, n: u32) {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        let client = self.client(&mut clients, client_id);
        if client.burst == 0 {
            client.burst = n;
        }
    }

    /// A client's bucket, full when first seen.
    fn client<'a>(&self, clients: &'a mut HashMap<String, Client>, client_id: &str) -> &'a mut Client {
        clients.entry(client_id.to_owned()).or_insert_with(|| Client {
            tokens: f64::from(self.per_minute),
            refilled: Instant::now(),
            burst: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_a_minutes_worth_then_refuses() {
        let limit = RateLimit::new(3);
        assert!((0..3).all(|_| limit.admit("a")));
        assert!(!limit.admit("a"));
        assert!(limit.admit("b"), "clients have separate buckets");
    }

    #[test]
    fn zero_is_off_but_bursts_still_refuse() {
        let limit = RateLimit::new(0);
        assert!((0..1000).all(|_| limit.admit("a")));
        limit.start_burst("a", 2);
        assert!(!limit.admit("a"));
        assert!(!limit.admit("a"));
        assert!(limit.admit("a"));
    }
}
