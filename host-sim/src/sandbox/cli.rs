//! `host-sim sandbox`: the simulator as a standalone server.

use std::net::SocketAddr;

use clap::Args;

use super::{
    start, FaultSet, Faults, SandboxConfig, DEFAULT_CLIENT_ID, DEFAULT_RATE_LIMIT_PER_MINUTE, DEFAULT_SECRET,
};
use crate::{error::Failure, exit::Exit};

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
    #[command(flatten)]
    pub behaviour: SimulatorArgs,
}

/// How the simulator behaves: shared by `sandbox` and the commands that embed one.
#[derive(Args, Debug, Clone)]
pub struct SimulatorArgs {
    /// Requests a minute per client across all endpoints, like Plaid's sandbox; 0 turns it off.
    #[arg(long, default_value_t = DEFAULT_RATE_LIMIT_PER_MINUTE, value_name = "N")]
    pub rate_limit_per_minute: u32,
    /// Faults for every request, e.g. `latency=200ms,status=503` (syntax: see the README).
    #[arg(long, value_name = "FAULTS")]
    pub fault: Option<FaultSet>,
    /// Apply --fault to the first N requests only.
    #[arg(long, value_name = "N", requires = "fault")]
    pub fault_first: Option<usize>,
}

impl SimulatorArgs {
    /// A simulator on a free loopback port with the default credentials.
    pub fn config(&self) -> SandboxConfig {
        let faults = match (&self.fault, self.fault_first) {
            (Some(set), Some(n)) => Faults::first(n, set.clone()),
            (Some(set), None) => Faults::every(set.clone()),
            (None, _) => Faults::none(),
        };
        SandboxConfig {
            rate_limit_per_minute: self.rate_limit_per_minute,
            faults,
            ..SandboxConfig::default()
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
    let config = SandboxConfig {
        addr: args.addr,
        client_id: args.client_id.clone().unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned()),
        secret: args.secret.clone().unwrap_or_else(|| DEFAULT_SECRET.to_owned()),
        ..args.behaviour.config()
    };
    let faults = config.faults.clone();
    let sandbox =
        start(config.clone()).map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.addr)))?;
    say!("listening on {}", sandbox.url());
    say!("client_id: {}", config.client_id);
    // A secret given on the command line is the user's; the default is a published local one.
    say!("secret: {}", if args.secret.is_some() { "(as given)" } else { DEFAULT_SECRET });
    say!("Plaid-Version: {}", super::PLAID_VERSION);
    match config.rate_limit_per_minute {
        0 => say!("rate limit: off"),
        n => say!("rate limit: {n} requests a minute per client"),
    }
    if !faults.is_empty() {
        let b = &args.behaviour;
        let scope = b.fault_first.map_or("every request".to_owned(), |n| format!("the first {n} requests"));
        say!("faults: {} on {scope}", b.fault.clone().unwrap_or_default());
    }
    if !sandbox.addr().ip().is_loopback() {
        eprintln!("host-sim: warning: the simulator is reachable from other machines at {}", sandbox.addr());
    }
    loop {
        std::thread::park();
    }
}
