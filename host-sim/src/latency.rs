//! Latency statistics: [`percentile`] of a short run's samples, exact; and for a long run, latencies
//! in constant memory: a log-linear [`Histogram`] (exact below 64 µs, then 32 buckets per power of
//! two, so a percentile is within 3 % of the true value), as an engine that runs for months keeps
//! them, instead of every sample.

use std::time::Duration;

/// The p-th percentile (0–100) of `samples`, nearest rank.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// Sub-buckets per power of two: 2^5.
const SUB_BITS: u32 = 5;
const EXACT: u64 = 1 << (SUB_BITS + 1);
/// Up to 2^45 µs (about a year); longer latencies land in the last bucket.
const TOP_BIT: u32 = 44;
const BUCKETS: usize = EXACT as usize + ((TOP_BIT - SUB_BITS) as usize) * (1 << SUB_BITS);

#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: Box::new([0; BUCKETS]), total: 0 }
    }
}

impl Histogram {
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[index(us)] += 1;
        self.total += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The p-th percentile (0–100) by nearest rank, as the lowest value of its bucket.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().clamp(1.0, self.total as f64) as u64;
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_micros(lowest(i));
            }
        }
        Duration::from_micros(lowest(BUCKETS - 1))
    }
}

fn index(us: u64) -> usize {
    if us < EXACT {
        return us as usize;
    }
    let bit = 63 - us.leading_zeros();
    if bit > TOP_BIT {
        return BUCKETS - 1;
    }
    let sub = (us >> (bit - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    (EXACT + u64::from(bit - SUB_BITS - 1) * (1 << SUB_BITS) + sub) as usize
}

/// The smallest value that lands in bucket `i`.
fn lowest(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let (group, sub) = ((i - EXACT) >> SUB_BITS, (i - EXACT) & ((1 << SUB_BITS) - 1));
    let bit = group + u64::from(SUB_BITS) + 1;
    (1 << bit) | (sub << (bit - u64::from(SUB_BITS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_then_within_three_percent() {
        for us in (0..EXACT).chain((EXACT..1 << 30).step_by(7_919)) {
            let low = lowest(index(us));
            assert!(low <= us, "{us} in a bucket starting at {low}");
            assert!((us - low) as f64 <= us as f64 / 32.0, "{us} vs {low}");
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn sample_percentiles_by_nearest_rank() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut samples, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&mut samples, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&mut [], 50.0), Duration::ZERO);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(50.0), Duration::ZERO);
        for ms in 1..=100 {
            h.record(Duration::from_millis(ms));
        }
        let close = |d: Duration, ms: u64| {
            let (got, want) = (d.as_micros() as f64, (ms * 1000) as f64);
            got <= want && got >= want * (1.0 - 1.0 / 32.0)
        };
        assert!(close(h.percentile(50.0), 50), "{:?}", h.percentile(50.0));
        assert!(close(h.percentile(99.0), 99), "{:?}", h.percentile(99.0));
        let mut other = Histogram::default();
        other.record(Duration::from_secs(100));
        other.record(Duration::from_secs(100));
        h.merge(&other);
        assert_eq!(h.total, 102);
        assert!(h.percentile(100.0) >= Duration::from_secs(97));
    }
}
