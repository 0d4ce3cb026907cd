//! Identifiers and timestamps in Plaid's formats, cheap enough to mint on every request.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
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

/// Seconds since the Unix epoch, now.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// RFC 3339 in UTC with second precision, as Plaid writes `created_at`: `2020-07-24T03:26:02Z`.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_595_561_162), "2020-07-24T03:26:02Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
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
