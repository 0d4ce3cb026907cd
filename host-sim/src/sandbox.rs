//! `host-sim sandbox`: the simulator (crate `plaid_idv_simulator`) as a standalone server, the
//! flags that shape it wherever host-sim embeds one, and [`ChildSimulator`], the reader of the
//! banner this command prints.

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    process::{Child, ChildStdout, Command, Output, Stdio},
    time::Duration,
};

use clap::Args;
use plaid_idv_simulator::{
    parse_duration, start, AutoComplete, FaultSet, Faults, Outcome, SimulatorConfig, DEFAULT_CLIENT_ID,
    DEFAULT_RATE_LIMIT_PER_MINUTE, DEFAULT_SECRET, PLAID_VERSION,
};

use plaid_idv_retry_interface::Exit;

use crate::error::Failure;

#[derive(Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Where to listen (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// The client id to accept [default: sim-client-id].
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The secret to accept [default: sim-secret].
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// Send Plaid's IDENTITY_VERIFICATION webhooks, signed, to this URL (http:// to this machine).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    #[command(flatten)]
    pub behaviour: SimulatorArgs,
}

/// How the simulator behaves: shared by `sandbox` and the commands that embed one.
#[derive(Args, Debug, Clone)]
pub struct SimulatorArgs {
    /// Requests a minute per client across all endpoints, like Plaid's sandbox; 0 turns it off.
    #[arg(long, default_value_t = DEFAULT_RATE_LIMIT_PER_MINUTE, value_name = "N")]
    pub rate_limit_per_minute: u32,
    /// Faults for every request, e.g. `latency=200ms,status=503` (syntax: simulator/src/faults.rs).
    #[arg(long, value_name = "FAULTS")]
    pub fault: Option<FaultSet>,
    /// Apply --fault to the first N requests only.
    #[arg(long, value_name = "N", requires = "fault")]
    pub fault_first: Option<usize>,
    /// An active session expires this long after it opens, e.g. 10m (Plaid's sessions do not
    /// expire today: by default neither do the simulator's).
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub expire_after: Option<Duration>,
    /// Complete every session by itself, as the sandbox test user (success) or someone else
    /// (failed) would, --auto-complete-after it opens; without it a session waits for its page or
    /// the control route (POST /sim/sessions/{id}/complete).
    #[arg(long, value_name = "OUTCOME", value_parser = ["success", "failed"])]
    pub auto_complete: Option<String>,
    /// How long after it opens --auto-complete completes a session.
    #[arg(long, value_name = "DURATION", value_parser = duration, default_value = "2s", requires = "auto_complete")]
    pub auto_complete_after: Duration,
    /// Where an embedded simulator sends its webhooks: set by the command that embeds it (the
    /// console, at its own webhook route), never a flag (`sandbox` has its own `--webhook`).
    #[arg(skip)]
    pub webhook: Option<String>,
}

/// `250ms`, `2s`, `10m`… (the simulator's syntax, plus minutes).
fn duration(text: &str) -> Result<Duration, String> {
    let parsed = match text.strip_suffix('m') {
        Some(minutes) if !text.ends_with("ms") => parse_duration(&format!("{}s", minutes.trim()))
            .and_then(|d| d.checked_mul(60))
            .filter(|d| d.as_secs() <= 86_400),
        _ => parse_duration(text),
    };
    parsed.ok_or_else(|| format!("`{text}` is not a duration like 250ms, 2s or 10m (at most a day)"))
}

impl SimulatorArgs {
    /// A simulator on a free loopback port with the default credentials.
    pub fn config(&self) -> SimulatorConfig {
        let faults = match (&self.fault, self.fault_first) {
            (Some(set), Some(n)) => Faults::first(n, set.clone()),
            (Some(set), None) => Faults::every(set.clone()),
            (None, _) => Faults::none(),
        };
        let auto_complete = self.auto_complete.as_deref().and_then(|o| o.parse::<Outcome>().ok());
        SimulatorConfig {
            rate_limit_per_minute: self.rate_limit_per_minute,
            faults,
            expire_after: self.expire_after,
            auto_complete: auto_complete
                .map(|outcome| AutoComplete { outcome, after: self.auto_complete_after }),
            webhook: self.webhook.clone(),
            ..SimulatorConfig::default()
        }
    }
}

/// Prints a banner line; a reader that went away does not stop the server.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Serves until the process is stopped.
pub fn run(args: &SandboxArgs) -> Result<Exit, Failure> {
    let config = SimulatorConfig {
        addr: args.addr,
        client_id: args.client_id.clone().unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
        secret: args.secret.clone().unwrap_or_else(|| DEFAULT_SECRET.to_owned()),
        webhook: args.webhook.clone(),
        ..args.behaviour.config()
    };
    let faults = config.faults.clone();
    let sim = start(config.clone())?;
    say!("listening on {}", sim.url());
    say!("client_id: {}", config.client_id);
    // A secret given on the command line is the user's; the default is a published local one.
    say!("secret: {}", if args.secret.is_some() { "(as given)" } else { DEFAULT_SECRET });
    say!("Plaid-Version: {PLAID_VERSION}");
    say!("webhooks: {}", config.webhook.as_deref().unwrap_or("none (--webhook URL sends them)"));
    match config.expire_after {
        Some(after) => say!("sessions expire: {} s after they open", after.as_secs_f64()),
        None => say!("sessions expire: never (as Plaid's today)"),
    }
    match config.auto_complete {
        Some(auto) => say!(
            "sessions complete: by themselves, {} s after they open ({})",
            auto.after.as_secs_f64(),
            if auto.outcome == Outcome::Success { "success" } else { "failed" }
        ),
        None => say!("sessions complete: at their shareable_url, or POST /sim/sessions/{{id}}/complete"),
    }
    // The banner's last line (LAST_BANNER_LINE): `ChildSimulator` reads up to it.
    match config.rate_limit_per_minute {
        0 => say!("rate limit: off"),
        n => say!("rate limit: {n} requests a minute per client"),
    }
    if !faults.is_empty() {
        let b = &args.behaviour;
        let scope = b.fault_first.map_or("every request".to_owned(), |n| format!("the first {n} requests"));
        say!("faults: {} on {scope}", b.fault.clone().unwrap_or_default());
    }
    if !sim.addr().ip().is_loopback() {
        eprintln!("host-sim: warning: the simulator is reachable from other machines at {}", sim.addr());
    }
    loop {
        std::thread::park();
    }
}

/// The start of the banner's last line; its first is `listening on URL`.
const LAST_BANNER_LINE: &str = "rate limit";

/// `host-sim sandbox` in a child process, killed when dropped: the bench's simulator (its memory,
/// the ledger growing with every attempt, stays out of the measured process) and the tests' view
/// of the command.
pub struct ChildSimulator {
    child: Child,
    /// `http://HOST:PORT`, from the banner's first line.
    pub url: String,
    /// The banner's lines, up to the rate-limit line.
    pub banner: Vec<String>,
    // Held open: the child must not meet a closed pipe if it prints later.
    stdout: BufReader<ChildStdout>,
}

impl ChildSimulator {
    /// This executable's `sandbox` command with `args`, on a free loopback port.
    pub fn start(args: &[&str]) -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find host-sim itself: {e}"))?;
        Self::spawn(
            Command::new(exe).args(["sandbox", "--addr", "127.0.0.1:0"]).args(args).stderr(Stdio::null()),
        )
    }

    /// Runs `command` (a host-sim with `sandbox` and its flags; its stdout is piped here, its stderr
    /// as the caller set it) and reads the banner.
    pub fn spawn(command: &mut Command) -> Result<Self, String> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start host-sim sandbox: {e}"))?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout from host-sim sandbox")?);
        // Built first, so an early return below kills the child.
        let mut child_sim = ChildSimulator { child, url: String::new(), banner: Vec::new(), stdout };
        while !child_sim.banner.last().is_some_and(|line| line.starts_with(LAST_BANNER_LINE)) {
            let mut line = String::new();
            if !matches!(child_sim.stdout.read_line(&mut line), Ok(1..)) {
                let mut stderr = String::new();
                if let Some(mut pipe) = child_sim.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(format!(
                    "host-sim sandbox ended before its banner: {:?} {stderr}",
                    child_sim.banner
                ));
            }
            child_sim.banner.push(line.trim_end().to_owned());
        }
        child_sim.url = child_sim.banner[0]
            .strip_prefix("listening on ")
            .ok_or_else(|| {
                format!("host-sim sandbox did not say where it listens: {:?}", child_sim.banner[0])
            })?
            .to_owned();
        Ok(child_sim)
    }

    /// Stops the server and returns all it wrote: stdout (the banner too) and, if piped, stderr.
    pub fn stop(mut self) -> std::io::Result<Output> {
        self.child.kill()?;
        let mut stdout = self.banner.iter().map(|line| format!("{line}\n")).collect::<String>().into_bytes();
        self.stdout.read_to_end(&mut stdout)?;
        let mut stderr = Vec::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_end(&mut stderr)?;
        }
        Ok(Output { status: self.child.wait()?, stdout, stderr })
    }
}

impl Drop for ChildSimulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
