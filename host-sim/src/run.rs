//! `host-sim run`: the engine's worker loop. N workers share one loaded plugin and run each
//! input line to its end under the preset's retry policy; terminal failures are never retried.
//!
//! It streams, in memory that does not depend on the number of inputs: lines are read as the
//! workers take them (a queue of a few lines a worker), each result is written when its task
//! ends, and the summary keeps counts and a latency histogram, not the results.

use std::{
    fs::File,
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
    thread,
};

use clap::Args;
use plaid_idv_retry_interface::{
    Dialect, Exit, LatestAttempts, Outcome, Plugin, PresetOptions, RetryPolicy, TaskStatus,
};
use serde_json::{json, Value};

use crate::{
    engine::{self, TASK_TIMEOUT},
    error::Failure,
    io::parse_answer,
    latency::Histogram,
    target::{self, TargetArgs},
    task_input::TaskInput,
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
    let file = File::open(&args.inputs)
        .map_err(|e| Failure::error(format!("cannot read {}: {e}", args.inputs.display())))?;
    let target = target::resolve(&args.target)?;
    let options = PresetOptions { environment: target.environment(), dialect: Dialect::Seed };
    let preset = parse_answer(&plugin.settings_preset(&options.to_json())?, "a preset")?;
    let policy = RetryPolicy::from_preset(&preset)
        .ok_or_else(|| Failure::error("the plugin's preset has no retry policy".to_owned()))?;
    if !args.json {
        println!("sent to {}", target.description);
    }

    let inputs = Inputs { reader: BufReader::new(file), name: args.inputs.display().to_string() };
    // A retry needs an earlier attempt to retry: the embedded simulator gets one per user, just
    // before the user's line is queued.
    let seed = |line: &str| {
        if target.simulator.is_some() {
            if let Ok(value) = serde_json::from_str::<Value>(line) {
                target.seed(&value);
            }
        }
    };
    let print = |line: usize, outcome: &Outcome| {
        if args.json {
            let row = result_row(line, outcome);
            // One write a row: rows from several workers never interleave.
            let _ = std::io::stdout().lock().write_all(row.as_bytes());
        }
    };
    let workers = usize::from(args.workers);
    let tally = execute_stream(plugin, inputs, &target.settings, policy, workers, seed, print)?;
    let summary = tally.summary();
    if args.json {
        println!("{}", json!({ "summary": summary }));
    } else {
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
    Ok(tally.worst().into())
}

/// `{"line": n, "attempts": a, "result": {...}}` and a newline.
fn result_row(line: usize, outcome: &Outcome) -> String {
    format!("{{\"line\":{line},\"attempts\":{},\"result\":{}}}\n", outcome.attempts, outcome.text)
}

/// The inputs file, read a line at a time.
pub struct Inputs<R> {
    pub reader: R,
    /// For messages.
    pub name: String,
}

/// What a run keeps of its tasks: counts and latencies, in constant memory.
#[derive(Default, Clone)]
pub struct Tally {
    pub inputs: u64,
    pub completed: u64,
    pub failed: u64,
    pub terminal: u64,
    pub attempts: u64,
    pub latency: Histogram,
}

impl Tally {
    fn add(&mut self, outcome: &Outcome) {
        self.inputs += 1;
        match outcome.status() {
            TaskStatus::Completed => self.completed += 1,
            TaskStatus::Failed => self.failed += 1,
            TaskStatus::FailedWithTerminalError => self.terminal += 1,
        }
        self.attempts += u64::from(outcome.attempts);
        outcome.latencies.iter().for_each(|l| self.latency.record(*l));
    }

    fn merge(&mut self, other: &Tally) {
        self.inputs += other.inputs;
        self.completed += other.completed;
        self.failed += other.failed;
        self.terminal += other.terminal;
        self.attempts += other.attempts;
        self.latency.merge(&other.latency);
    }

    pub fn summary(&self) -> Value {
        json!({
            "inputs": self.inputs,
            "completed": self.completed,
            "failed": self.failed,
            "terminal": self.terminal,
            "attempts": self.attempts,
            "latency_p50_us": self.latency.percentile(50.0).as_micros() as u64,
            "latency_p99_us": self.latency.percentile(99.0).as_micros() as u64,
        })
    }

    /// The worst ending, which decides the exit code: terminal, then retryable, then success.
    pub fn worst(&self) -> TaskStatus {
        if self.terminal != 0 {
            TaskStatus::FailedWithTerminalError
        } else if self.failed != 0 {
            TaskStatus::Failed
        } else {
            TaskStatus::Completed
        }
    }
}

/// Runs every non-blank line of `inputs` to its end on `workers` threads, calling `done` with the
/// line's number in the file (blank lines counted) and the outcome as each task ends. The first
/// plugin error, or a line that is not text, stops the run.
///
/// Each worker takes the next line itself, under a lock: no reader thread and no queue to hand
/// lines over (a wake-up a task), and nothing read ahead, so memory does not grow with the file.
pub fn execute_stream<R: BufRead + Send>(
    plugin: &Plugin,
    inputs: Inputs<R>,
    settings: &str,
    policy: RetryPolicy,
    workers: usize,
    seed: impl Fn(&str) + Sync,
    done: impl Fn(usize, &Outcome) + Sync,
) -> Result<Tally, Failure> {
    let lines = Mutex::new(Lines { inputs, number: 0, bytes: Vec::new() });
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Failure>> = Mutex::new(None);
    let fail = |f: Failure| {
        stop.store(true, Ordering::Relaxed);
        failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(f);
    };
    let latest = LatestAttempts::new();
    let tallies = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (lines, stop, fail, done, latest, seed) = (&lines, &stop, &fail, &done, &latest, &seed);
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    while !stop.load(Ordering::Relaxed) {
                        let next = lines.lock().unwrap_or_else(|p| p.into_inner()).next(seed);
                        let (line, input) = match next {
                            Ok(Some(next)) => next,
                            Ok(None) => break,
                            Err(f) => {
                                fail(f);
                                break;
                            }
                        };
                        match engine::run_input(plugin, &input, settings, policy, TASK_TIMEOUT, latest) {
                            Ok(outcome) => {
                                done(line, &outcome);
                                tally.add(&outcome);
                            }
                            Err(e) => fail(e),
                        }
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect::<Vec<_>>()
    });
    if let Some(f) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(f);
    }
    let mut total = Tally::default();
    tallies.iter().for_each(|t| total.merge(t));
    Ok(total)
}

/// The inputs file as the workers take it: the next non-blank line with its number in the file.
struct Lines<R> {
    inputs: Inputs<R>,
    number: usize,
    bytes: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    /// The next non-blank line, seeded (`seed`) before any worker can run it; `None` at the end.
    fn next(&mut self, seed: &impl Fn(&str)) -> Result<Option<(usize, TaskInput)>, Failure> {
        loop {
            self.bytes.clear();
            match self.inputs.reader.read_until(b'\n', &mut self.bytes) {
                Ok(0) => return Ok(None),
                Ok(_) => self.number += 1,
                Err(e) => return Err(Failure::error(format!("cannot read {}: {e}", self.inputs.name))),
            }
            let line = self.bytes.strip_suffix(b"\n").unwrap_or(&self.bytes);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            // A line that is not UTF-8 is one malformed input (terminal, nothing sent), not a run
            // that cannot go on.
            let input = TaskInput::from_bytes(line.to_vec());
            if let Some(text) = input.text() {
                seed(text);
            }
            return Ok(Some((self.number, input)));
        }
    }
}
