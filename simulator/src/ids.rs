//! Identifiers and timestamps in Plaid's formats, cheap enough to mint on every request.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Mints unique identifiers from a counter scrambled by a bijection, so they look random (like
/// Plaid's) without a random-number generator or a lock, and never repeat within one simulator.
pub struct Ids {
    next: AtomicU64,
    salt: u64,
}

impl Ids {
    pub fn new() -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
        // The salt differs per process so two simulators' ids don't collide in one test log.
        Ids { next: AtomicU64::new(1), salt: mix(nanos ^ u64::from(std::process::id())) }
    }

    fn token(&self, len: usize) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // `mix` is a bijection on u64, so distinct counters give distinct tokens.
        let mut x = mix(n ^ self.salt);
        let mut out = String::with_capacity(len);
        for i in 0..len {
            if i == 11 {
                // 11 base-62 digits hold all 64 bits, so the token is unique already; the tail
                // only makes it as long as Plaid's.
                x = mix(n);
            }
            out.push(BASE62[(x % 62) as usize] as char);
            x /= 62;
        }
        out
    }

    /// A `request_id` like Plaid's: 15 alphanumerics.
    pub fn request_id(&self) -> String {
        self.token(15)
    }

    /// An object id with Plaid's prefix, e.g. `idv_` + 14 alphanumerics.
    pub fn object_id(&self, prefix: &str) -> String {
        let mut id = String::with_capacity(prefix.len() + 14);
        id.push_str(prefix);
        id.push_str(&self.token(14));
        id
    }
}

impl Default for Ids {
    fn default() -> Self {
        Self::new()
    }
}

/// splitmix64's finaliser: a bijection with good bit diffusion.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// RFC 3339 in UTC with second precision, as Plaid writes `created_at`: `2020-07-24T03:26:02Z`.
/// httpdate does the calendar; its IMF-fixdate (`Fri, 24 Jul 2020 03:26:02 GMT`) has fixed
/// columns to rearrange. Times outside 1970..=9999 (which httpdate refuses) are clamped.
pub fn rfc3339(t: SystemTime) -> String {
    const LAST: Duration = Duration::from_secs(253_402_300_799); // 9999-12-31T23:59:59Z
    let since_epoch = t.duration_since(UNIX_EPOCH).unwrap_or_default().min(LAST);
    let date = httpdate::fmt_http_date(UNIX_EPOCH + since_epoch);
    let month = MONTHS.iter().position(|m| *m == &date[8..11]).map_or(1, |i| i + 1);
    format!("{}-{month:02}-{}T{}Z", &date[12..16], &date[5..7], &date[17..25])
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let at = |secs| rfc3339(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(1_595_561_162), "2020-07-24T03:26:02Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_733_011_199), "2024-11-30T23:59:59Z");
        assert_eq!(at(u64::MAX / 2), "9999-12-31T23:59:59Z", "clamped, not a panic");
        assert_eq!(rfc3339(UNIX_EPOCH - Duration::from_secs(1)), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn ids_are_unique_and_shaped_like_plaids() {
        let ids = Ids::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = ids.object_id("idv_");
            assert_eq!(id.len(), 18);
            assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(id));
        }
        assert_eq!(ids.request_id().len(), 15);
    }
}
