//! Timing: throughput of a call on N threads, the median of a fast call, resident memory.

use std::{
    sync::Barrier,
    thread,
    time::{Duration, Instant},
};

/// What a throughput run measured.
#[derive(Default)]
pub struct Run {
    pub calls: usize,
    pub elapsed: Duration,
    /// Every timed call's latency, unsorted.
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn calls_per_second(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }

    fn add(&mut self, other: Run) {
        self.calls += other.calls;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }
}

/// A call to measure, and on how many threads at once.
pub type Load<'a> = (usize, &'a (dyn Fn() -> Result<(), String> + Sync));

/// Measures each load for `total` in all, taking turns in `rounds` slices: on a shared machine
/// the background drifts, and taking turns spreads the drift over every load alike, so their
/// ratios hold even when the absolute numbers move.
pub fn taking_turns<const N: usize>(
    loads: [Load; N],
    rounds: u32,
    total: Duration,
) -> Result<[Run; N], String> {
    let mut runs: [Run; N] = std::array::from_fn(|_| Run::default());
    for _ in 0..rounds {
        for ((threads, call), run) in loads.iter().zip(&mut runs) {
            run.add(throughput(*threads, total / rounds, call)?);
        }
    }
    Ok(runs)
}

/// Calls done before the clock starts, per thread: they open the pooled connections and fill
/// caches, which a long-running engine has long done.
const WARMUP_CALLS: usize = 20;

/// Runs `call` on `threads` threads for `duration` after a warm-up, all starting together.
/// The first failing call stops the run with its message.
fn throughput<F>(threads: usize, duration: Duration, call: F) -> Result<Run, String>
where
    F: Fn() -> Result<(), String> + Sync,
{
    let start = Barrier::new(threads + 1);
    let (calls, latencies, elapsed) = thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (call, start) = (&call, &start);
                scope.spawn(move || -> Result<Vec<Duration>, String> {
                    let warm = (0..WARMUP_CALLS).try_for_each(|_| call());
                    start.wait();
                    warm?;
                    let end = Instant::now() + duration;
                    let mut latencies = Vec::with_capacity(1 << 16);
                    loop {
                        let sent = Instant::now();
                        if sent >= end {
                            return Ok(latencies);
                        }
                        call()?;
                        latencies.push(sent.elapsed());
                    }
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        let mut all = Vec::new();
        let mut failure = None;
        for worker in workers {
            match worker.join() {
                Ok(Ok(latencies)) => all.extend(latencies),
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => failure = failure.or(Some("a benchmark thread panicked".to_owned())),
            }
        }
        // The slowest thread's last call ends the run: calls are counted to the end of the last one.
        (failure.map_or(Ok(all.len()), Err), all, began.elapsed())
    });
    Ok(Run { calls: calls?, elapsed, latencies })
}

/// The median of `samples` single calls, after a warm-up, in microseconds.
pub fn median_us<F>(samples: usize, call: F) -> Result<f64, String>
where
    F: Fn() -> Result<(), String>,
{
    for _ in 0..samples / 10 {
        call()?;
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        call()?;
        times.push(started.elapsed());
    }
    Ok(micros(crate::latency::percentile(&mut times, 50.0)))
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// This process's resident set, in KiB (`VmRSS` of /proc/self/status).
pub fn rss_kib() -> Result<u64, String> {
    let status =
        std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc/self/status: {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "/proc/self/status has no VmRSS line".to_owned())
}
