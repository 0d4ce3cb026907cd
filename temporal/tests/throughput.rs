//! Throughput (tasks/s) through Temporal with 1, 2 and 4 workers, beside `host-sim run`'s worker
//! loop with 1, 2 and 4 threads, on the same simulator in one run. A measurement, not a proof:
//! ignored by default. After `bash tests/run-all` installed the `temporal` CLI, run it with
//!
//! ```sh
//! cargo test --release -p plaid-idv-temporal --test throughput -- --ignored --nocapture
//! ```

use std::{path::PathBuf, time::Instant};

use host_sim::{execute_stream, Inputs};
use plaid_idv_retry_interface as interface;
use plaid_idv_test_support::temporal::*;
use serde_json::{json, Value};

const TASKS: usize = 300;

#[test]
#[ignore = "a measurement: run with --ignored --nocapture"]
fn tasks_per_second_through_temporal_beside_host_sim_run() {
    let h = Harness::start("throughput", simulator::DEFAULT_SECRET, simulator::Faults::none());
    let (server, scratch, sim, settings) = (&h.server, &h.scratch, &h.sim, &h.settings);
    let mut rows = Vec::new();

    for workers in [1, 2, 4] {
        let queue = format!("throughput-{workers}");
        let flags = ["--activities-per-second", "100000", "--max-concurrent", "16"];
        let pool: Vec<Worker> =
            (0..workers).map(|_| Worker::start(server, &queue, settings, &flags, scratch)).collect();
        let inputs: Vec<Value> = (0..TASKS).map(|i| seeded_input(sim, &format!("{queue}-{i}"))).collect();
        let started = Instant::now();
        let out = submit(server, &queue, &inputs, &["--wait"], scratch);
        let took = started.elapsed().as_secs_f64();
        assert_eq!(out.summary["completed"], TASKS, "{out:?}");
        let spread: Vec<usize> = pool.iter().map(Worker::answered).collect();
        rows.push((format!("temporal, {workers} worker(s) {spread:?}"), TASKS as f64 / took));
    }

    let plugin_path =
        std::env::current_exe().unwrap().parent().map(PathBuf::from).unwrap().join("libplaid_idv_retry.so");
    let plugin = interface::load(&plugin_path).expect("the plugin");
    let preset: Value = serde_json::from_str(&plugin.settings_preset("{}").unwrap()).unwrap();
    let policy = interface::RetryPolicy::from_preset(&preset).unwrap();
    let task_settings = json!({"base_url": sim.url(), "client_id": simulator::DEFAULT_CLIENT_ID,
        "secret": simulator::DEFAULT_SECRET})
    .to_string();
    for threads in [1, 2, 4] {
        let inputs: String =
            (0..TASKS).map(|i| seeded_input(sim, &format!("run-{threads}-{i}")).to_string() + "\n").collect();
        let inputs = Inputs { reader: inputs.as_bytes(), name: "inputs".into() };
        let started = Instant::now();
        let Ok(tally) = execute_stream(&plugin, inputs, &task_settings, policy, threads, |_| {}, |_, _| {})
        else {
            panic!("host-sim run failed")
        };
        let took = started.elapsed().as_secs_f64();
        assert_eq!(tally.inputs, TASKS as u64);
        rows.push((format!("host-sim run, {threads} thread(s)"), TASKS as f64 / took));
    }

    let baseline = rows.last().map_or(1.0, |r| r.1);
    eprintln!("\n{TASKS} tasks each, same simulator, same run:");
    for (what, rate) in &rows {
        eprintln!("  {what:<42} {rate:>8.1} tasks/s  ({:.3}× host-sim run with 4 threads)", rate / baseline);
    }
}
