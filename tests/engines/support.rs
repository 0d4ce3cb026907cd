//! What the engine proofs share: the simulator (knowing the canary secret) behind a relay that
//! times every request and answer, engine commands run in their own process group and killed
//! with it when a test fails or times out, and the canary scan of what an engine wrote.

use std::{
    fs,
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Command, ExitStatus, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread,
    time::{Duration, Instant},
};

use plaid_idv_test_support::{
    temporal::{self, simulator::Faults, Simulator, Status, TEMPLATE},
    CANARY_SECRET,
};
use serde_json::Value;

pub use plaid_idv_test_support::temporal::simulator::DEFAULT_CLIENT_ID;

/// What crossed the relay, in order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    Request,
    Answer(u16),
}

/// The simulator as an engine sees it: through a relay on its own loopback port.
pub struct Plaid {
    pub sim: Simulator,
    relay: Relay,
}

impl Plaid {
    /// A simulator knowing the canary secret, with `faults` on its first requests (one set each,
    /// in the simulator's syntax, `simulator/src/faults.rs`).
    pub fn start(faults: &[&str]) -> Plaid {
        let script = faults.iter().map(|f| f.parse().expect("a fault set")).collect();
        let sim = temporal::simulator(CANARY_SECRET, Faults::script(script));
        let relay = Relay::start(sim.addr());
        Plaid { sim, relay }
    }

    pub fn port(&self) -> u16 {
        self.relay.addr.port()
    }

    /// A failed attempt for `user` (something to retry); the input that retries it.
    pub fn seeded(&self, user: &str) -> Value {
        self.sim.seed_attempt(user, TEMPLATE, Status::Failed, None);
        input(user)
    }

    /// Sessions for `user`, the seeded one included.
    pub fn sessions(&self, user: &str) -> usize {
        self.sim.session_count(user, TEMPLATE)
    }

    pub fn events(&self) -> Vec<(Instant, Event)> {
        self.relay.events.lock().unwrap().clone()
    }

    pub fn requests(&self) -> usize {
        self.events().iter().filter(|(_, e)| *e == Event::Request).count()
    }

    /// How long after the `n`-th answer (from 0) the next request came.
    pub fn gap_after_answer(&self, n: usize) -> Duration {
        let events = self.events();
        let answers: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, (_, e))| matches!(e, Event::Answer(_)))
            .map(|(i, _)| i)
            .collect();
        let i = answers[n];
        let next =
            events[i..].iter().find(|(_, e)| *e == Event::Request).expect("a request after the answer");
        let gap = next.0 - events[i].0;
        eprintln!("the request after answer {n} came {gap:.2?} later");
        gap
    }
}

/// The retry input the engines send for `user` (no personal data: those canaries are for the
/// tests that put them in).
pub fn input(user: &str) -> Value {
    serde_json::json!({"client_user_id": user, "template_id": TEMPLATE, "strategy": "reset"})
}

/// A TCP relay to `upstream` that notes when a request starts (a read beginning with a method)
/// and when an answer starts (a read beginning with `HTTP/1.`), as the bytes pass.
struct Relay {
    addr: SocketAddr,
    events: Arc<Mutex<Vec<(Instant, Event)>>>,
    stop: Arc<AtomicBool>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let events: Arc<Mutex<Vec<(Instant, Event)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (events.clone(), stop.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(upstream)) else { continue };
                let _ = (client.set_nodelay(true), server.set_nodelay(true));
                let (c, s) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                pump(client, server, log.clone(), true);
                pump(s, c, log.clone(), false);
            }
        });
        Relay { addr, events, stop }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wakes the accept loop
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, log: Arc<Mutex<Vec<(Instant, Event)>>>, requests: bool) {
    thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            let event = if requests {
                [&b"POST "[..], b"GET ", b"PUT "]
                    .iter()
                    .any(|m| chunk.starts_with(m))
                    .then_some(Event::Request)
            } else {
                chunk
                    .strip_prefix(b"HTTP/1.")
                    .and_then(|rest| std::str::from_utf8(rest.get(2..5)?).ok()?.parse().ok())
                    .map(Event::Answer)
            };
            if let Some(e) = event {
                log.lock().unwrap().push((Instant::now(), e));
            }
            if to.write_all(chunk).is_err() {
                break;
            }
        }
        // A closed side closes the other: a dropped answer reaches the engine as one.
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// A command in its own process group, its output in files; the group is killed on drop.
pub struct Engine {
    child: std::process::Child,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
}

/// How an engine command ended.
pub struct Ran {
    pub status: ExitStatus,
    pub output: String,
    pub took: Duration,
}

impl Engine {
    pub fn run(mut command: Command, outputs: &Path, name: &str, timeout: Duration) -> Ran {
        use std::os::unix::process::CommandExt;
        let stdout = outputs.join(format!("{name}.stdout"));
        let stderr = outputs.join(format!("{name}.stderr"));
        let started = Instant::now();
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout).unwrap())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {command:?}: {e}"));
        let mut engine = Engine { child, stdout, stderr };
        let status = loop {
            if let Some(status) = engine.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < timeout,
                "{name}: still running after {timeout:?}:\n{}",
                engine.output()
            );
            thread::sleep(Duration::from_millis(100));
        };
        let took = started.elapsed();
        // The figures docs/engines.md reports (`--nocapture` shows them); nothing asserts them.
        eprintln!("{name}: {status} after {took:.1?}");
        Ran { status, output: engine.output(), took }
    }

    fn output(&self) -> String {
        let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
        format!("{}{}", read(&self.stdout), read(&self.stderr))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // The engine's own children (Airflow's task runner, n8n's task broker) are in its group.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// The files under `dir` (an engine's home: its database, logs, settings; and the captured
/// output) that contain the canary secret, as bytes: SQLite pages and journals included.
pub fn files_with_canary(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && fs::read(&path)
                    .is_ok_and(|b| b.windows(CANARY_SECRET.len()).any(|w| w == CANARY_SECRET.as_bytes()))
            {
                found.push(path);
            }
        }
    }
    found
}

/// A directory under the target's scratch space, emptied first.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("engines").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// One engine run at a time: two cores, and each engine's state (SQLite) is shared by its runs.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn free_port() -> u16 {
    temporal::free_port()
}
