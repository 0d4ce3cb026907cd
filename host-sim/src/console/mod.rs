//! `host-sim console`: the seed host's three steps in a browser. A page served from this binary
//! lists the tasks the loaded plugin offers (catalog), documents the chosen one from its input
//! schema next to its prepared HTTP request (the preset), and runs a Test request through the
//! plugin's `execute`, against the same target `test-request` resolves (the embedded simulator
//! by default).
//!
//! - `server`: the listener, the routes, and the headers every answer carries.
//! - `guard`: who may call: the `Host` and `Origin` checks and the body size cap.
//! - `api`: what the routes answer, all of it from the plugin; credentials never leave host-sim.
//! - `curl`: the Copy-as-cURL text, credentials as `$PLAID_CLIENT_ID`-style references.
//! - `sessions`: the sessions Test requests opened, followed to their verdicts (the get task at
//!   the preset's interval, sooner on a verified webhook), which the page polls.
//! - `assets/`: the page (HTML, CSS, JavaScript), embedded; no CDN, no build step.

mod api;
mod curl;
mod guard;
mod server;
mod sessions;

use std::net::SocketAddr;

use clap::Args;
use plaid_idv_retry_interface::{Exit, Plugin};

use crate::{
    error::Failure,
    target::{self, TargetArgs},
};

#[derive(Args, Debug, Clone)]
pub struct ConsoleArgs {
    /// Where to listen (port 0 picks a free one). Anything but loopback lets other machines in,
    /// and is refused without --allow-remote.
    #[arg(long, default_value = "127.0.0.1:8788", value_name = "HOST:PORT")]
    pub addr: SocketAddr,
    /// Listen beyond loopback. Every API call then needs this run's key, which the banner prints in
    /// the URL to open. Plain HTTP: the form's personal data crosses the network unencrypted.
    #[arg(long)]
    pub allow_remote: bool,
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Serves the console until the process is stopped.
pub fn run(plugin: Plugin, args: &ConsoleArgs) -> Result<Exit, Failure> {
    // Host and Origin checks stop browsers, not `curl`: beyond loopback, a key stops the rest.
    let key = if args.addr.ip().is_loopback() {
        None
    } else if args.allow_remote {
        Some(guard::new_key()?)
    } else {
        return Err(Failure::error(format!(
            "--addr {}: not a loopback address, so other machines could use the console and the \
             credentials it holds; pass --allow-remote to listen there with a per-run key",
            args.addr.ip()
        )));
    };
    // Bound first, so an embedded simulator can send its webhooks here.
    let listener = std::net::TcpListener::bind(args.addr)
        .map_err(|e| Failure::error(format!("cannot listen on {}: {e}", args.addr)))?;
    let mut target_args = args.target.clone();
    target_args.simulator.webhook = webhook_url(listener.local_addr()?);
    // Before the console's runtime exists: the embedded simulator blocks on a runtime of its own.
    let target = target::resolve(&target_args)?;
    let state = api::Console::new(plugin, target)?;
    server::serve(listener, state, key)
}

/// Where a simulator on this machine reaches the console's webhook route: a loopback address of
/// the listener's (none when it listens on one address beyond loopback only).
fn webhook_url(bound: SocketAddr) -> Option<String> {
    let ip = bound.ip();
    let ip = match ip {
        ip if ip.is_loopback() => ip,
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        _ => return None,
    };
    Some(format!("http://{}{}", SocketAddr::new(ip, bound.port()), server::WEBHOOK_PATH))
}
