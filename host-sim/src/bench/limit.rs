//! The loopback limit and how close the plugin and the engine loop get to it, measured in the same
//! run against the same static responder, so the ratios are honest on any machine:
//!
//! - `limit_rps_1`, `limit_rps_8`: the raw socket client ([`SocketClient`]) on 1 and 8 threads;
//! - `execute_static_rps_1`, `execute_static_rps_8`: the plugin's `execute` on 1 and 8 threads;
//!   the four take turns in slices like the other loads;
//! - `run_static_rps_8`: tasks per second of a child `host-sim run --workers 8` (process start and
//!   plugin load included, a few milliseconds of seconds-long runs), twice, around the turns;
//! - `execute_cpu_us`, `raw_cpu_us`: this thread's CPU time per call, for `execute` and for the
//!   plain-ureq request ([`RawRequest`]), sequential calls taking turns;
//! - `run_rss_mib_50k`: the peak resident set of a child `host-sim run --workers 8` over 50,000
//!   inputs (1,000 with `--quick`), its `VmHWM`.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Instant,
};

use plaid_idv_retry_interface::Plugin;
use serde_json::{json, Map, Value};

use super::{
    measure,
    responder::StaticResponder,
    round,
    socket_client::SocketClient,
    workload::{self, RawRequest},
    Plan, ROUNDS,
};
use plaid_idv_simulator::{DEFAULT_CLIENT_ID, DEFAULT_SECRET};

pub fn measure_all(
    plugin: &Plugin,
    path: &Path,
    full: &str,
    plan: &Plan,
) -> Result<Map<String, Value>, String> {
    let responder = StaticResponder::start()?;
    let settings = workload::settings(&responder.url);
    let echo = workload::execute(plugin, full, &settings)?;
    let raw = RawRequest::like(&echo, full)?;
    let socket = SocketClient::new(raw.url(), raw.headers(), full.as_bytes())?;
    let execute = || workload::execute(plugin, full, &settings).map(drop);
    let send = || socket.send();
    let run = RunChild::new(path, &responder.url)?;

    super::step("loopback limit: a static responder, four loads taking turns, then host-sim run");
    let mut run_rate = Rate::default();
    // The child's size: about one phase of work at the rate execute reaches on 8 threads.
    let estimate = measure::taking_turns([(8, &execute)], 1, plan.phase / 10)?[0].calls_per_second();
    let tasks = ((estimate * plan.phase.as_secs_f64()) as usize).max(200);
    run_rate.add(tasks, run.time(tasks, 8)?);
    let [limit_1, limit_8, execute_1, execute_8] =
        measure::taking_turns([(1, &send), (8, &send), (1, &execute), (8, &execute)], ROUNDS, plan.phase)?;
    run_rate.add(tasks, run.time(tasks, 8)?);

    super::step("CPU time per call");
    let raw_send = || raw.send();
    let calls = if plan.quick { 200 } else { 2_000 };
    let [execute_cpu, raw_cpu] = cpu_per_call([&execute, &raw_send], calls)?;

    let inputs = if plan.quick { 1_000 } else { 50_000 };
    super::step(&format!("memory: host-sim run over {inputs} inputs"));
    let rss_kib = run.peak_rss_kib(inputs, 8)?;

    let rate = |r: &measure::Run| round(r.calls_per_second(), 1);
    let mut keys = Map::new();
    for (key, value) in [
        ("limit_rps_1", json!(rate(&limit_1))),
        ("limit_rps_8", json!(rate(&limit_8))),
        ("execute_static_rps_1", json!(rate(&execute_1))),
        ("execute_static_rps_8", json!(rate(&execute_8))),
        ("run_static_rps_8", json!(round(run_rate.per_second(), 1))),
        ("execute_cpu_us", json!(round(execute_cpu, 2))),
        ("raw_cpu_us", json!(round(raw_cpu, 2))),
        ("run_rss_mib_50k", json!(round(rss_kib as f64 / 1024.0, 1))),
    ] {
        keys.insert(key.into(), value);
    }
    Ok(keys)
}

#[derive(Default)]
struct Rate {
    calls: usize,
    seconds: f64,
}

impl Rate {
    fn add(&mut self, calls: usize, seconds: f64) {
        self.calls += calls;
        self.seconds += seconds;
    }

    fn per_second(&self) -> f64 {
        self.calls as f64 / self.seconds
    }
}

/// Microseconds of this thread's CPU per call of each, `calls` calls each, taking turns in
/// slices. A call's work all happens on the calling thread (ureq is blocking), which is what
/// makes thread CPU time the plugin's cost; a helper thread a call spawns is not counted.
fn cpu_per_call<const N: usize>(
    calls: [&dyn Fn() -> Result<(), String>; N],
    each: usize,
) -> Result<[f64; N], String> {
    let mut spent = [0.0; N];
    for call in &calls {
        (0..20).try_for_each(|_| call())?;
    }
    let slice = each / ROUNDS as usize;
    for _ in 0..ROUNDS {
        for (call, spent) in calls.iter().zip(&mut spent) {
            let started = thread_cpu_us();
            (0..slice).try_for_each(|_| call())?;
            *spent += thread_cpu_us() - started;
        }
    }
    Ok(spent.map(|us| us / (slice * ROUNDS as usize) as f64))
}

fn thread_cpu_us() -> f64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid clock id and a pointer to a timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e6 + t.tv_nsec as f64 / 1e3
}

/// `host-sim run` in a child process, against the static responder.
struct RunChild {
    exe: PathBuf,
    plugin: PathBuf,
    url: String,
    dir: TempDir,
}

impl RunChild {
    fn new(plugin: &Path, url: &str) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find host-sim itself: {e}"))?;
        let dir = TempDir::new()?;
        let settings = json!({"client_id": DEFAULT_CLIENT_ID, "secret": DEFAULT_SECRET}).to_string();
        fs::write(dir.0.join("settings.json"), settings).map_err(|e| format!("bench settings: {e}"))?;
        Ok(RunChild { exe, plugin: plugin.to_owned(), url: url.to_owned(), dir })
    }

    fn command(&self, inputs: usize, workers: usize) -> Result<Command, String> {
        let file = self.dir.0.join(format!("inputs-{inputs}.jsonl"));
        if !file.exists() {
            let line = workload::compact(workload::FULL_INPUT)? + "\n";
            fs::write(&file, line.repeat(inputs)).map_err(|e| format!("bench inputs: {e}"))?;
        }
        let mut command = Command::new(&self.exe);
        command
            .arg("--plugin")
            .arg(&self.plugin)
            .args(["run", "--workers", &workers.to_string(), "--base-url", &self.url, "--settings"])
            .arg(self.dir.0.join("settings.json"))
            .arg("--inputs")
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        Ok(command)
    }

    /// Seconds a run of `inputs` tasks took, start to exit.
    fn time(&self, inputs: usize, workers: usize) -> Result<f64, String> {
        let mut command = self.command(inputs, workers)?;
        let started = Instant::now();
        let out = command.output().map_err(|e| format!("cannot run host-sim run: {e}"))?;
        let seconds = started.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(format!("host-sim run failed: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(seconds)
    }

    /// The child's peak resident set in KiB: its `VmHWM`, read every few milliseconds until it
    /// exits. Not `wait4`'s rusage: a child spawned from this process (vfork, then exec) is
    /// charged this process's own peak, which after the loads above is larger than the child's.
    fn peak_rss_kib(&self, inputs: usize, workers: usize) -> Result<u64, String> {
        let mut child = self
            .command(inputs, workers)?
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run host-sim run: {e}"))?;
        let status_file = format!("/proc/{}/status", child.id());
        let mut peak = 0;
        let status = loop {
            // The high-water mark only rises; the last reading before the exit is the peak, give
            // or take the last few milliseconds of a run whose memory still grows at the end.
            if let Some(kib) = fs::read_to_string(&status_file).ok().as_deref().and_then(vm_hwm_kib) {
                peak = peak.max(kib);
            }
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
                Err(e) => return Err(format!("host-sim run: {e}")),
            }
        };
        if !status.success() {
            return Err(format!("host-sim run over {inputs} inputs failed ({status})"));
        }
        Ok(peak)
    }
}

fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// A directory for the child's inputs, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("host-sim-bench-{}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
