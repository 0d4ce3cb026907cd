//! What the Temporal proofs share: a dev server started on free loopback ports, worker processes
//! of the built binary, `submit`, the event history as `temporal workflow show` prints it, and the
//! simulator in this process. Every server and worker has a Drop guard that kills it, also when
//! a test fails; the tests take one lock, so one dev server runs at a time on a two-core machine.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Mutex, MutexGuard},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::{json, Value};

use crate::{plugin_path, seeded_simulator, simulator_config, tool, workspace_bin};

pub use plaid_idv_simulator::{self as simulator, Simulator, SimulatorConfig, Status};

pub const TEMPLATE: &str = "idvtmp_52xR9LKo77r1Np";

/// The payload key every worker and submit here is given (`PLAID_IDV_PAYLOAD_KEY`), unless a
/// proof starts a worker with another on purpose.
pub const PAYLOAD_KEY: &str = "5e1f0c2d9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f302112030405";

/// One proof at a time: each starts its own server and workers.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// One proof's world: its own dev server, scratch directory, simulator (with `faults`, knowing
/// `secret`) and the workers' settings file for it, while holding the `serial` lock. Fields drop
/// in order: the server stops, then the simulator, the directory goes, and the lock is released.
pub struct Harness {
    pub server: DevServer,
    pub sim: Simulator,
    pub settings: PathBuf,
    pub scratch: Scratch,
    _one: MutexGuard<'static, ()>,
}

impl Harness {
    pub fn start(name: &str, secret: &str, faults: simulator::Faults) -> Harness {
        Harness::start_with(name, secret, faults, false)
    }

    /// As [`Harness::start`], with a server whose database file (in the scratch directory)
    /// survives [`DevServer::kill_and_restart`].
    pub fn start_persistent(name: &str, secret: &str, faults: simulator::Faults) -> Harness {
        Harness::start_with(name, secret, faults, true)
    }

    fn start_with(name: &str, secret: &str, faults: simulator::Faults, persistent: bool) -> Harness {
        let one = serial();
        let scratch = Scratch::new(name);
        let cli = tool("PLAID_IDV_TEST_TEMPORAL");
        let server = match persistent {
            true => DevServer::start_persistent(&cli, &scratch.0.join("temporal.db")),
            false => DevServer::start(&cli),
        };
        let sim = simulator(secret, faults);
        let settings = settings_file(&scratch, &sim, secret);
        Harness { server, sim, settings, scratch, _one: one }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let dir =
            std::env::temp_dir().join(format!("plaid-idv-temporal-{name}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `temporal server start-dev`, headless, on free loopback ports: in memory, or on a database file
/// that outlives a [`DevServer::restart`].
pub struct DevServer {
    child: Child,
    cli: PathBuf,
    /// The command line after `server start-dev`: a restart reuses it (same ports, same file).
    args: Vec<String>,
    pub address: String,
}

impl DevServer {
    pub fn start(cli: &Path) -> DevServer {
        DevServer::start_with(cli, None)
    }

    /// A server whose state is kept in `db` (SQLite), so that it survives a kill.
    pub fn start_persistent(cli: &Path, db: &Path) -> DevServer {
        DevServer::start_with(cli, Some(db))
    }

    fn start_with(cli: &Path, db: Option<&Path>) -> DevServer {
        let port = free_port();
        let mut args: Vec<String> =
            ["--headless", "--ip", "127.0.0.1", "--log-level", "error"].map(String::from).into();
        args.extend(["--port".into(), port.to_string()]);
        args.extend(["--http-port".into(), free_port().to_string()]);
        args.extend(["--metrics-port".into(), free_port().to_string()]);
        // Where the retry-and-await workflow records the session it follows.
        args.extend(["--search-attribute".into(), "PlaidIdentityVerificationId=Keyword".into()]);
        if let Some(db) = db {
            args.extend(["--db-filename".into(), db.display().to_string()]);
        }
        let child = DevServer::spawn(cli, &args);
        let server = DevServer { child, cli: cli.to_path_buf(), args, address: format!("127.0.0.1:{port}") };
        server.wait_ready();
        server
    }

    fn spawn(cli: &Path, args: &[String]) -> Child {
        Command::new(cli)
            .args(["server", "start-dev"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("temporal server start-dev")
    }

    fn wait_ready(&self) {
        let started = Instant::now();
        while !self.cli(&["operator", "namespace", "describe", "--namespace", "default"]).status.success() {
            assert!(started.elapsed() < Duration::from_secs(60), "the dev server did not come up");
            thread::sleep(Duration::from_millis(200));
        }
        eprintln!("dev server ready on {} after {:?}", self.address, started.elapsed());
    }

    /// SIGKILL, then the same server again (same ports, same database file), once it answers.
    pub fn kill_and_restart(&mut self, down_for: Duration) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        thread::sleep(down_for);
        self.child = DevServer::spawn(&self.cli, &self.args);
        self.wait_ready();
    }

    /// The CLI against this server.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(&self.cli).args(args).args(["--address", &self.address]).output().expect("temporal CLI")
    }

    /// `temporal workflow show --output json`: the raw text (what a person or the UI sees) and
    /// its events.
    pub fn history(&self, workflow_id: &str) -> (String, Vec<Value>) {
        let out = self.cli(&["workflow", "show", "--workflow-id", workflow_id, "--output", "json"]);
        assert!(out.status.success(), "workflow show: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let parsed: Value = serde_json::from_str(&text).expect("history JSON");
        let events = parsed["events"].as_array().cloned().unwrap_or_default();
        (text, events)
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A worker process of the built binary; its output goes to a file the test reads.
pub struct Worker {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Worker {
    pub fn start(
        server: &DevServer,
        queue: &str,
        settings: &Path,
        extra: &[&str],
        scratch: &Scratch,
    ) -> Worker {
        Worker::start_with_key(server, queue, settings, extra, scratch, PAYLOAD_KEY)
    }

    /// A worker given `key` as its payload key.
    pub fn start_with_key(
        server: &DevServer,
        queue: &str,
        settings: &Path,
        extra: &[&str],
        scratch: &Scratch,
        key: &str,
    ) -> Worker {
        let log = scratch.0.join(format!("worker-{}.log", free_port()));
        let mut command = Command::new(workspace_bin("plaid-idv-temporal"));
        command
            .args(["worker", "--address", &server.address, "--task-queue", queue])
            // The plugin this test process built (plugin_path builds it on first use), never a
            // stale library beside the worker.
            .arg("--plugin")
            .arg(plugin_path())
            .arg("--settings")
            .arg(settings)
            .args(extra);
        let child = spawn_until_ready(command, key, &log, "worker polling");
        Worker { child: Some(child), log }
    }

    pub fn output(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Activities this worker ran to an answer (one line each).
    pub fn answered(&self) -> usize {
        self.output().lines().filter(|l| l.contains(" attempt ")).count()
    }

    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then the exit code once it drained (at most `within`).
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if started.elapsed() > within {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A simulator without a rate limit (the tests set the pace), knowing these credentials.
pub fn simulator(secret: &str, faults: simulator::Faults) -> Simulator {
    seeded_simulator(SimulatorConfig { secret: secret.to_owned(), faults, ..simulator_config() }, &[])
}

/// The worker's settings file: the simulator's URL and credentials.
pub fn settings_file(scratch: &Scratch, sim: &Simulator, secret: &str) -> PathBuf {
    let settings = json!({"base_url": sim.url(), "client_id": simulator::DEFAULT_CLIENT_ID, "secret": secret,
        "read_timeout_seconds": 30});
    scratch.file("settings.json", &settings.to_string())
}

/// A retry input for `user`, whose failed attempt the simulator holds.
pub fn seeded_input(sim: &Simulator, user: &str) -> Value {
    sim.seed_attempt(user, TEMPLATE, Status::Failed, None);
    json!({"client_user_id": user, "template_id": TEMPLATE, "strategy": "reset"})
}

/// Spawns `command` (a `plaid-idv-temporal` command line) with `key` as its payload key and no
/// Plaid credentials from this environment, its output in `log`, and waits until that output
/// shows `ready`. A process that does not get there within 60 s is killed before the test fails.
pub fn spawn_until_ready(mut command: Command, key: &str, log: &Path, ready: &str) -> Child {
    let out = fs::File::create(log).unwrap();
    let mut child = command
        .env_remove("PLAID_CLIENT_ID")
        .env_remove("PLAID_SECRET")
        .env("PLAID_IDV_PAYLOAD_KEY", key)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("the plaid-idv-temporal binary");
    let output = || fs::read_to_string(log).unwrap_or_default();
    let started = Instant::now();
    while !output().contains(ready) {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no {ready:?} within 60 s: {}", output());
        }
        thread::sleep(Duration::from_millis(100));
    }
    child
}

/// `submit --inputs FILE --json` (and `extra`): the exit code, one row per input, the summary.
/// `submit --json` of `inputs` (written to a file in `scratch`), with the test payload key.
pub fn submit_command(
    server: &DevServer,
    queue: &str,
    inputs: &[Value],
    extra: &[&str],
    scratch: &Scratch,
) -> Command {
    let text: String = inputs.iter().map(|i| format!("{i}\n")).collect();
    let file = scratch.file(&format!("inputs-{}.jsonl", free_port()), &text);
    let mut command = Command::new(workspace_bin("plaid-idv-temporal"));
    command
        .args(["submit", "--json", "--address", &server.address, "--task-queue", queue])
        .arg("--inputs")
        .arg(&file)
        .args(extra)
        .env("PLAID_IDV_PAYLOAD_KEY", PAYLOAD_KEY);
    command
}

pub fn submit(
    server: &DevServer,
    queue: &str,
    inputs: &[Value],
    extra: &[&str],
    scratch: &Scratch,
) -> Submitted {
    let out = submit_command(server, queue, inputs, extra, scratch).output().expect("the submit binary");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    let summary = lines.pop().map(|s| s["summary"].clone()).unwrap_or(Value::Null);
    Submitted {
        code: out.status.code(),
        rows: lines,
        summary,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[derive(Debug)]
pub struct Submitted {
    pub code: Option<i32>,
    pub rows: Vec<Value>,
    pub summary: Value,
    pub stderr: String,
}

/// The events of one type in a history.
pub fn events<'a>(history: &'a [Value], kind: &str) -> Vec<&'a Value> {
    history.iter().filter(|e| e["eventType"].as_str().is_some_and(|t| t.ends_with(kind))).collect()
}

/// An event's time, seconds since the epoch (RFC 3339 with fractions).
pub fn event_time(event: &Value) -> f64 {
    let text = event["eventTime"].as_str().expect("eventTime");
    rfc3339_seconds(text).unwrap_or_else(|| panic!("eventTime {text}"))
}

fn rfc3339_seconds(text: &str) -> Option<f64> {
    // 2026-12-02T03:04:05.123456789Z
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':');
    let (h, min, s) =
        (t.next()?.parse::<i64>().ok()?, t.next()?.parse::<i64>().ok()?, t.next()?.parse::<f64>().ok()?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + min * 60) as f64 + s)
}
