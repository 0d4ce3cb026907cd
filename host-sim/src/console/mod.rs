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
//! - `assets/`: the page (HTML, CSS, JavaScript), embedded; no CDN, no build step.

mod api;
mod curl;
mod guard;
mod server;

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
    // Before the console's runtime exists: the embedded simulator blocks on a runtime of its own.
    let target = target::resolve(&args.target)?;
    let state = api::Console::new(plugin, target)?;
    server::serve(args.addr, state, key)
}
