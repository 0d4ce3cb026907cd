//! `host-sim run`: the engine's worker loop. N workers share one loaded plugin and run each
//! input line to its end under the preset's retry policy; terminal failures are never retried.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    thread,
    time::Duration,
};

use clap::Args;
use plaid_idv_retry_interface::{Dialect, Plugin, PresetOptions, TaskStatus};
use serde_json::{json, Value};

use crate::{
    engine::{self, Outcome, RetryPolicy, TASK_TIMEOUT},
    error::Failure,
    exit::Exit,
    io::parse_answer,
    target::{self, TargetArgs},
};

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Task inputs, one JSON document a line.
    #[arg(long, value_name = "FILE.jsonl")]
    pub inputs: PathBuf,
    /// Worker threads sharing the plugin.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Print one result a line (JSON) and the summary as the last line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn run(plugin: &Plugin, args: &RunArgs) -> Result<Exit, Failure> {
    let text = std::fs::read_to_string(&args.inputs)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", args.inputs.display())))?;
    let inputs: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let target = target::resolve(&args.target)?;
    for input in &inputs {
        if let Ok(value) = serde_json::from_str::<Value>(input) {
            target.seed(&value);
        }
    }
    let options = PresetOptions { environment: target.environment(), dialect: Dialect::Seed };
    let preset = parse_answer(&plugin.settings_preset(&options.to_json())?, "a preset")?;
    let policy = RetryPolicy::from_preset(&preset)
        .ok_or_else(|| Failure::usage("the plugin's preset has no retry policy".to_owned()))?;

    let outcomes = execute_all(plugin, &inputs, &target.settings, policy, usize::from(args.workers))?;
    let summary = summarize(&outcomes);
    if args.json {
        for (line, outcome) in outcomes.iter().enumerate() {
            let row = json!({"line": line + 1, "attempts": outcome.attempts, "result": outcome.result});
            println!("{row}");
        }
        println!("{}", json!({ "summary": summary }));
    } else {
        println!("sent to {}", target.description);
        println!(
            "{} inputs: {} completed, {} failed (retryable, attempts exhausted), {} terminal; {} attempts; \
             latency p50 {} µs, p99 {} µs",
            summary["inputs"],
            summary["completed"],
            summary["failed"],
            summary["terminal"],
            summary["attempts"],
            summary["latency_p50_us"],
            summary["latency_p99_us"]
        );
    }
    let worst = if summary["terminal"] != 0 {
        TaskStatus::FailedWithTerminalError
    } else if summary["failed"] != 0 {
        TaskStatus::Failed
    } else {
        TaskStatus::Completed
    };
    Ok(worst.into())
}

/// Runs every input once to its end; results in input order.
pub fn execute_all(
    plugin: &Plugin,
    inputs: &[&str],
    settings: &str,
    policy: RetryPolicy,
    workers: usize,
) -> Result<Vec<Outcome>, Failure> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Outcome>>> = Mutex::new((0..inputs.len()).map(|_| None).collect());
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    thread::scope(|scope| {
        for _ in 0..workers.min(inputs.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(i) else { break };
                match engine::run_task(plugin, input, settings, policy, TASK_TIMEOUT) {
                    Ok(outcome) => slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome),
                    Err(e) => {
                        *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        next.store(inputs.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    if let Some(f) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(f);
    }
    let slots = slots.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(slots.into_iter().map(|o| o.expect("every input ran")).collect())
}

fn summarize(outcomes: &[Outcome]) -> Value {
    let count = |s: TaskStatus| outcomes.iter().filter(|o| o.status() == s).count();
    let mut latencies: Vec<Duration> = outcomes.iter().flat_map(|o| o.latencies.iter().copied()).collect();
    json!({
        "inputs": outcomes.len(),
        "completed": count(TaskStatus::Completed),
        "failed": count(TaskStatus::Failed),
        "terminal": count(TaskStatus::FailedWithTerminalError),
        "attempts": outcomes.iter().map(|o| o.attempts).sum::<u32>(),
        "latency_p50_us": engine::percentile(&mut latencies, 50.0).as_micros() as u64,
        "latency_p99_us": engine::percentile(&mut latencies, 99.0).as_micros() as u64,
    })
}
