//! The console's tests: `host-sim console` as a child process on a free port, plain HTTP to it with
//! any headers, and a simulator the tests can count requests on.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use plaid_idv_simulator::{Simulator, SimulatorConfig};

use crate::{plugin_path, seeded_simulator, simulator_config, workspace_bin, workspace_root};

pub const CLIENT_ID_CANARY: &str = "CANARY-console-client-7f3a";
pub const SECRET_CANARY: &str = "CANARY-console-secret-91b2";

/// A simulator that accepts only the canary credentials, never rate-limits a test, and holds the
/// earlier attempt the example input's retry needs.
pub fn canary_simulator() -> Simulator {
    let input = example_input();
    let field = |name: &str| input[name].as_str().expect("the example names its user and template");
    let config = SimulatorConfig {
        client_id: CLIENT_ID_CANARY.into(),
        secret: SECRET_CANARY.into(),
        ..simulator_config()
    };
    seeded_simulator(config, &[(field("client_user_id"), field("template_id"))])
}

/// A running `host-sim console`, killed when dropped (also when the test failed).
pub struct Console {
    child: Child,
    pub url: String,
    pub banner: Vec<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Console {
    /// `host-sim console --addr 127.0.0.1:0 ARGS` (ARGS' own `--addr` instead, if any) with no
    /// credentials in its environment.
    pub fn start(args: &[&str]) -> Console {
        Console::start_with(args, &[])
    }

    /// As [`Console::start`], with these environment variables (credentials, for instance).
    pub fn start_with(args: &[&str], env: &[(&str, &str)]) -> Console {
        let mut command = Command::new(workspace_bin("host-sim"));
        command
            .arg("--plugin")
            .arg(plugin_path())
            .arg("console")
            .args(if args.contains(&"--addr") { &[][..] } else { &["--addr", "127.0.0.1:0"][..] })
            .args(args)
            // Credentials from the developer's shell would aim Test requests at Plaid.
            .env_remove("PLAID_CLIENT_ID")
            .env_remove("PLAID_SECRET")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("host-sim runs");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut banner = Vec::new();
        // The first line names the address; the second says where Test requests go.
        for _ in 0..2 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                let mut stderr = String::new();
                let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
                let _ = child.kill();
                panic!("host-sim console ended early: {banner:?} {stderr}");
            }
            banner.push(line.trim_end().to_owned());
        }
        // Keep reading so that a full pipe never blocks the server.
        std::thread::spawn(move || for _ in reader.lines() {});
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let lines = child.stderr.take().map(BufReader::new);
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.into_iter().flat_map(|r| r.lines()).map_while(Result::ok) {
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(line);
            }
        });
        let url =
            banner[0].strip_prefix("listening on ").expect("the first line names the address").to_owned();
        Console { child, url, banner, stderr }
    }

    /// What the console printed on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A console whose Test requests go to `sim` (`--base-url`) with the canary credentials in
    /// its environment, as a user sets them.
    pub fn against(sim: &Simulator, args: &[&str]) -> Console {
        let url = sim.url();
        let args = [args, &["--base-url", url.as_str()]].concat();
        Console::start_with(&args, &[("PLAID_CLIENT_ID", CLIENT_ID_CANARY), ("PLAID_SECRET", SECRET_CANARY)])
    }

    /// `127.0.0.1:PORT`.
    pub fn authority(&self) -> &str {
        self.url.strip_prefix("http://").expect("an http URL")
    }
}

/// An HTTP answer: status, headers (names lower case), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with exactly the given headers (Host included: tests forge it).
pub fn raw(authority: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(authority).expect("console reachable");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    // A refused body may be left unread; the answer still arrives.
    let _ = stream.write_all(body);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer { status, headers, body: body.to_owned() }
}

/// A same-origin request from the console's own page: the headers a browser sends.
pub fn own(console: &Console, method: &str, path: &str, body: &str) -> Answer {
    let origin = console.url.clone();
    let mut headers = vec![("Host", console.authority()), ("Content-Type", "application/json")];
    if method != "GET" {
        headers.push(("Origin", origin.as_str()));
    }
    raw(console.authority(), method, path, &headers, body.as_bytes())
}

/// The example input the form starts with.
pub fn example_input() -> serde_json::Value {
    let path = workspace_root().join("host-sim/examples/sandbox-test-user.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A destination host-sim must treat as billed (neither loopback nor Plaid's sandbox) that still
/// stays on this machine: `https://0.0.0.0:PORT`, which Linux delivers to the local host. It
/// speaks no TLS; it counts the connections opened to it, so a test sees whether a Test request
/// set out for the destination, which is what a billing confirmation guards.
pub struct BilledDestination {
    port: u16,
    connections: Arc<AtomicUsize>,
    settings: std::path::PathBuf,
}

impl BilledDestination {
    pub fn start() -> BilledDestination {
        let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("bind 0.0.0.0");
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                accepted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        // The plugin sends credentials over https only to Plaid, loopback or a listed host.
        let settings =
            std::env::temp_dir().join(format!("plaid-idv-billed-{}-{port}.json", std::process::id()));
        std::fs::write(&settings, r#"{"allowed_hosts": ["0.0.0.0"], "connection_timeout_seconds": 2}"#)
            .unwrap();
        BilledDestination { port, connections, settings }
    }

    pub fn url(&self) -> String {
        format!("https://0.0.0.0:{}", self.port)
    }

    /// The settings file that lets the plugin send there.
    pub fn settings(&self) -> &std::path::Path {
        &self.settings
    }

    /// `--base-url URL --settings FILE`, for host-sim.
    pub fn args(&self) -> Vec<String> {
        vec!["--base-url".into(), self.url(), "--settings".into(), self.settings.display().to_string()]
    }

    /// Connections opened to it so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for BilledDestination {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.settings);
    }
}
