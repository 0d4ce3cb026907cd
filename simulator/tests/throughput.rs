//! The simulator's own throughput ceiling on loopback, so a benchmark of the plugin can tell
//! whether the simulator is what limits it. Not part of the suite (it only measures); run with
//! `cargo test --release -p plaid-idv-simulator --test throughput -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use plaid_idv_simulator::{self as simulator, Status};
use plaid_idv_test_support::{http_agent, seeded_simulator, simulator_config};

/// Runs `per_thread` requests on each of `threads` keep-alive clients; returns (requests/s, p50, p99).
fn measure(
    threads: usize,
    per_thread: usize,
    request: impl Fn(&ureq::Agent, usize) -> u16 + Sync,
) -> (f64, Duration, Duration) {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let request = &request;
                scope.spawn(move || {
                    let agent = http_agent(Duration::from_secs(10));
                    (0..per_thread)
                        .map(|i| {
                            let sent = Instant::now();
                            assert_eq!(request(&agent, t * per_thread + i), 200);
                            sent.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    ((threads * per_thread) as f64 / elapsed.as_secs_f64(), at(0.5), at(0.99))
}

#[test]
#[ignore = "a measurement, not a check: run it on purpose"]
fn throughput() {
    let sim = seeded_simulator(simulator_config(), &[]);
    let seeded = sim.seed_attempt("bench", "idvtmp_bench", Status::Failed, None);
    let url = sim.url();
    let post = |agent: &ureq::Agent, path: &str, body: String| {
        agent
            .post(format!("{url}/identity_verification/{path}"))
            .header("Content-Type", "application/json")
            .header("PLAID-CLIENT-ID", simulator::DEFAULT_CLIENT_ID)
            .header("PLAID-SECRET", simulator::DEFAULT_SECRET)
            .header("Plaid-Version", simulator::PLAID_VERSION)
            .send(body)
            .map(|mut r| {
                let _ = r.body_mut().read_to_string();
                r.status().as_u16()
            })
            .unwrap()
    };
    for threads in [1, 4, 8] {
        let (rps, p50, p99) = measure(threads, 2000 / threads.min(4), |agent, _| {
            post(agent, "get", format!(r#"{{"identity_verification_id":"{seeded}"}}"#))
        });
        println!("get    threads={threads}: {rps:>8.0} requests/s  p50 {p50:?}  p99 {p99:?}");
        let (rps, p50, p99) = measure(threads, 2000 / threads.min(4), |agent, i| {
            // One user per request keeps the ledger's per-user history short, like 1,000 inputs of `run`.
            let user = format!("bench-{threads}-{i}");
            sim.seed_attempt(&user, "idvtmp_bench", Status::Failed, None);
            post(
                agent,
                "retry",
                format!(r#"{{"client_user_id":"{user}","template_id":"idvtmp_bench","strategy":"reset"}}"#),
            )
        });
        println!("retry  threads={threads}: {rps:>8.0} requests/s  p50 {p50:?}  p99 {p99:?}");
    }
}
