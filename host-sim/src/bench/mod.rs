//! `host-sim bench`: what the plugin costs, measured in one run against the simulator on loopback,
//! next to the floor (a plain ureq POST of the same request) and the ceiling (the simulator's own
//! throughput). Absolute numbers drift on a shared machine; the ratios are the result.
//!
//! Every call sends host-sim/bench/full.json (a `custom` retry with the sandbox test user's
//! data, the input that exercises the whole path); validate is timed on minimal.json too.
//!
//! - `load_ms`: the median of five fresh `host-sim bench --probe-load` processes, each timing its
//!   first `interface::load` + `manifest` + `input_schema`. In this process the library is already
//!   mapped (abi_stable and libloading never unload, and a second dlopen of the same file only
//!   bumps a reference count), so only a fresh process measures a real load: mapping, relocation,
//!   abi_stable's layout check.
//! - `validate_minimal_us`, `validate_full_us`: medians of single `validate` calls.
//! - `rss_growth_kib`: resident memory after 100,000 executes minus after the first 1,000. It
//!   runs before anything else allocates here, against a child `host-sim sandbox`: the simulator
//!   records every attempt, and in this process its ledger would be counted as ours.
//! - Throughput, against the in-process simulator, the six loads taking turns in slices (see
//!   [`measure::taking_turns`]): `execute_rps_{1,2,8}` (threads sharing the one loaded plugin;
//!   `execute_p50_us`/`execute_p99_us` from the one-thread load); `raw_rps_1`, the floor
//!   ([`workload::RawRequest`]), with `overhead_ratio` = raw / execute; and `server_rps`, the
//!   simulator's ceiling: raw requests on 2 or 8 threads, whichever gets more. On two cores the
//!   clients and the simulator share the CPUs, so that is the most any client here can get, not
//!   what the simulator could serve on a machine of its own.

mod limit;
mod machine;
mod measure;
mod responder;
mod socket_client;
mod wire;
mod workload;

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use clap::Args;
use plaid_idv_retry_interface::{self as interface, Exit, Plugin};
use serde_json::{json, Value};

use plaid_idv_simulator::SimulatorConfig;

use crate::{error::Failure, latency::percentile, sandbox::ChildSimulator};
use measure::micros;
use workload::{RawRequest, FULL_INPUT, MINIMAL_INPUT};

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Print one JSON object (the keys of the README's Performance table) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Length of each of the six throughput phases [default: 3, or 0.25 with --quick].
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// A smoke run: short phases and 1,000 executes for the memory figure. Load and validate
    /// are measured as in a full run.
    #[arg(long)]
    pub quick: bool,
    /// Time one load of the plugin in this fresh process and print microseconds (used by bench).
    #[arg(long, hide = true)]
    pub probe_load: bool,
    /// Serve the static responder until standard input closes, printing its URL: the target for
    /// profiling `host-sim run` from outside (strace, perf).
    #[arg(long)]
    pub serve_static: bool,
}

/// How much of each phase: a full run stays under two minutes on two cores at the default.
struct Plan {
    phase: Duration,
    load_runs: usize,
    validate_samples: usize,
    rss_first: usize,
    rss_total: usize,
    quick: bool,
}

impl Plan {
    fn of(args: &BenchArgs) -> Result<Plan, Failure> {
        let seconds = args.seconds.unwrap_or(if args.quick { 0.25 } else { 3.0 });
        if !(seconds.is_finite() && (0.01..=600.0).contains(&seconds)) {
            return Err(Failure::error("--seconds must be between 0.01 and 600"));
        }
        let (rss_first, rss_total) = if args.quick { (100, 1_000) } else { (1_000, 100_000) };
        Ok(Plan {
            phase: Duration::from_secs_f64(seconds),
            load_runs: 5,
            validate_samples: 2_001,
            rss_first,
            rss_total,
            quick: args.quick,
        })
    }
}

/// Whether this host-sim was built optimised (release) rather than for debugging or a quick try:
/// the `dev` and `quick` profiles keep debug assertions on, `release` turns them off.
const OPTIMIZED: bool = !cfg!(debug_assertions);

/// Raw clients tried for the simulator's ceiling; the best is reported.
const SERVER_THREADS: [usize; 2] = [2, 8];
/// Each throughput phase is measured in this many slices, taking turns with the others.
const ROUNDS: u32 = 10;

pub fn run(plugin_flag: Option<&Path>, args: &BenchArgs) -> Result<Exit, Failure> {
    let path = plaid_idv_retry_interface::locate(plugin_flag);
    if args.probe_load {
        let started = Instant::now();
        let plugin = interface::load(&path)?;
        plugin.manifest()?;
        plugin.input_schema()?;
        println!("{}", started.elapsed().as_micros());
        return Ok(Exit::Success);
    }
    if args.serve_static {
        let responder = responder::StaticResponder::start().map_err(Failure::error)?;
        println!("{}", responder.url);
        // Blocks until the reader goes away; the responder stops when dropped.
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        return Ok(Exit::Success);
    }
    let plan = Plan::of(args)?;
    if !OPTIMIZED {
        step("warning: this host-sim is not optimised (and `cargo host-sim` builds the plugin beside it the same way): its figures are not the release build's; run `cargo host-sim --release bench`");
    }
    let report = measure_all(&path, &plan).map_err(Failure::error)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        print_table(&report);
    }
    Ok(Exit::Success)
}

fn step(what: &str) {
    eprintln!("bench: {what}");
}

fn measure_all(path: &Path, plan: &Plan) -> Result<Value, String> {
    step("load (fresh processes)");
    let load_ms = load_ms(path, plan.load_runs)?;
    let plugin = interface::load(path).map_err(|e| e.to_string())?;
    let (minimal, full) = (workload::compact(MINIMAL_INPUT)?, workload::compact(FULL_INPUT)?);

    step("validate");
    let validate = |input: &str| {
        measure::median_us(plan.validate_samples, || {
            let report = plugin.validate(input).map_err(|e| e.to_string())?;
            report.starts_with(r#"{"valid":true"#).then_some(()).ok_or("a bench input is invalid".to_owned())
        })
    };
    let (validate_minimal_us, validate_full_us) = (validate(&minimal)?, validate(&full)?);

    step(&format!("memory: {} executes against a child simulator", plan.rss_total));
    let rss_growth_kib = rss_growth(&plugin, &full, plan)?;

    let sim = plaid_idv_simulator::start(SimulatorConfig {
        rate_limit_per_minute: 0,
        ..SimulatorConfig::default()
    })
    .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let url = sim.url();
    workload::seed(&url, &full)?;
    let settings = workload::settings(&url);
    let execute = || workload::execute(&plugin, &full, &settings).map(drop);
    let raw = RawRequest::like(&workload::execute(&plugin, &full, &settings)?, &full)?;
    let send = || raw.send();

    step(&format!("throughput: six loads, {} s each, taking turns", plan.phase.as_secs_f64()));
    let [execute_1, execute_2, execute_8, raw_1, server_a, server_b] = measure::taking_turns(
        [
            (1, &execute),
            (2, &execute),
            (8, &execute),
            (1, &send),
            (SERVER_THREADS[0], &send),
            (SERVER_THREADS[1], &send),
        ],
        ROUNDS,
        plan.phase,
    )?;
    let (execute_rps_1, raw_rps_1) = (execute_1.calls_per_second(), raw_1.calls_per_second());
    let server_rps = server_a.calls_per_second().max(server_b.calls_per_second());
    let mut latencies = execute_1.latencies;
    drop(sim);
    let limit = limit::measure_all(&plugin, path, &full, plan)?;

    let mut report = json!({
        "load_ms": round(load_ms, 3),
        "validate_minimal_us": round(validate_minimal_us, 2),
        "validate_full_us": round(validate_full_us, 2),
        "execute_rps_1": round(execute_rps_1, 1),
        "execute_rps_2": round(execute_2.calls_per_second(), 1),
        "execute_rps_8": round(execute_8.calls_per_second(), 1),
        "execute_p50_us": round(micros(percentile(&mut latencies, 50.0)), 1),
        "execute_p99_us": round(micros(percentile(&mut latencies, 99.0)), 1),
        "raw_rps_1": round(raw_rps_1, 1),
        "overhead_ratio": round(raw_rps_1 / execute_rps_1, 3),
        "server_rps": round(server_rps, 1),
        "rss_growth_kib": rss_growth_kib,
    });
    if let Value::Object(keys) = &mut report {
        keys.extend(limit);
        keys.insert("machine".into(), machine::describe());
        keys.insert("optimized".into(), OPTIMIZED.into());
        keys.insert("date".into(), machine::utc_now().into());
    }
    Ok(report)
}

/// The median over `runs` fresh processes of a first load, in milliseconds.
fn load_ms(path: &Path, runs: usize) -> Result<f64, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find host-sim itself: {e}"))?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let out = Command::new(&exe)
            .arg("--plugin")
            .arg(path)
            .args(["bench", "--probe-load"])
            .output()
            .map_err(|e| format!("cannot run the load probe: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let us: u64 = text
            .trim()
            .parse()
            .map_err(|_| format!("the load probe failed: {}", String::from_utf8_lossy(&out.stderr).trim()))?;
        times.push(Duration::from_micros(us));
    }
    Ok(percentile(&mut times, 50.0).as_secs_f64() * 1e3)
}

/// KiB of resident memory that `rss_total - rss_first` more executes added. Two threads share
/// the work, like an engine's worker pool, and halve the time 100,000 calls take on two cores.
fn rss_growth(plugin: &Plugin, input: &str, plan: &Plan) -> Result<i64, String> {
    const THREADS: usize = 2;
    let sim = ChildSimulator::start(&["--rate-limit-per-minute", "0"])?;
    workload::seed(&sim.url, input)?;
    let settings = workload::settings(&sim.url);
    let run = |total: usize| {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|_| {
                    scope.spawn(|| {
                        (0..total / THREADS)
                            .try_for_each(|_| workload::execute(plugin, input, &settings).map(drop))
                    })
                })
                .collect();
            workers.into_iter().try_for_each(|w| w.join().unwrap_or(Err("a thread panicked".into())))
        })
    };
    run(plan.rss_first)?;
    let after_first = measure::rss_kib()?;
    run(plan.rss_total - plan.rss_first)?;
    let after_all = measure::rss_kib()?;
    Ok(after_all as i64 - after_first as i64)
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// The targets one run can check by itself; those against plaid-python, plaid node and ajv
/// need the scripts in host-sim/bench/.
fn print_table(r: &Value) {
    let n = |key: &str| r[key].as_f64().unwrap_or(f64::NAN);
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let cores = r["machine"]["cores"].as_u64().unwrap_or(0);
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    println!("{cores} cores, {}, {}", text(&r["machine"]["cpu_model"]), text(&r["date"]));
    let ratio = |a: &str, b: &str| n(a) / n(b);
    let rows: [(&str, &str, String); 20] = [
        ("load_ms", "ms", format!("≤ 5: {}", verdict(n("load_ms") <= 5.0))),
        ("validate_minimal_us", "µs", String::new()),
        ("validate_full_us", "µs", "≤ ajv / 2: host-sim/bench/validators".into()),
        ("execute_rps_1", "/s", "≥ 50× plaid-python, ≥ 10× plaid node: host-sim/bench/clients".into()),
        ("execute_rps_2", "/s", String::new()),
        (
            "execute_rps_8",
            "/s",
            format!("≥ 1.8 × execute_rps_1: {:.2}×, {}", n("execute_rps_8") / n("execute_rps_1"), {
                verdict(n("execute_rps_8") >= 1.8 * n("execute_rps_1"))
            }),
        ),
        ("execute_p50_us", "µs", String::new()),
        ("execute_p99_us", "µs", String::new()),
        ("raw_rps_1", "/s", String::new()),
        ("overhead_ratio", "", format!("≤ 1.15: {}", verdict(n("overhead_ratio") <= 1.15))),
        ("server_rps", "/s", String::new()),
        ("rss_growth_kib", "KiB", format!("< 1024: {}", verdict(n("rss_growth_kib") < 1024.0))),
        ("limit_rps_1", "/s", String::new()),
        ("limit_rps_8", "/s", String::new()),
        ("execute_static_rps_1", "/s", {
            let r = ratio("execute_static_rps_1", "limit_rps_1");
            format!("≥ 0.6 × limit_rps_1: {r:.2}×, {}", verdict(r >= 0.6))
        }),
        ("execute_static_rps_8", "/s", {
            let r = ratio("execute_static_rps_8", "limit_rps_8");
            format!("≥ 0.5 × limit_rps_8: {r:.2}×, {}", verdict(r >= 0.5))
        }),
        ("run_static_rps_8", "/s", {
            let r = ratio("run_static_rps_8", "execute_static_rps_8");
            format!("≥ 0.9 × execute_static_rps_8: {r:.2}×, {}", verdict(r >= 0.9))
        }),
        ("execute_cpu_us", "µs", {
            let d = n("execute_cpu_us") - n("raw_cpu_us");
            format!("≤ raw_cpu_us + 15: +{d:.1}, {}", verdict(d <= 15.0))
        }),
        ("raw_cpu_us", "µs", String::new()),
        ("run_rss_mib_50k", "MiB", format!("≤ 64: {}", verdict(n("run_rss_mib_50k") <= 64.0))),
    ];
    for (key, unit, target) in rows {
        println!("{key:<20} {:>12} {unit:<4} {target}", r[key]);
    }
}
