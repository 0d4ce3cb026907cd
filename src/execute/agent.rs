//! The one HTTP agent every call shares: its pool reuses connections across calls and threads.
//!
//! It also tells whether a failed call put any byte of the request on the wire. That is the line
//! between "safe to retry" (nothing reached Plaid) and "outcome unknown" (Plaid may have opened a
//! billed session), and ureq's error variants alone do not draw it reliably (a reset can come
//! from a stale pooled connection before or after the write). The connector wraps every
//! transport and marks, per thread, when a write succeeded; ureq runs a call on the caller's
//! thread, so the mark belongs to the current call.

use std::{cell::Cell, sync::OnceLock};

use ureq::{
    config::AutoHeaderValue,
    unversioned::transport::{
        Buffers, ConnectionDetails, Connector, NextTimeout, RustlsConnector, Transport,
    },
    Agent,
};

use super::{resolver, socket};
use crate::endpoint::USER_AGENT;

/// Built on first use; `OnceLock` makes concurrent first calls build it once.
pub fn shared() -> &'static Agent {
    static AGENT: OnceLock<Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        let config = Agent::config_builder()
            // Plaid's 4xx/5xx bodies are what we classify: they must come back as responses.
            .http_status_as_error(false)
            // Credentials must reach only the checked host: no redirects, no proxy from the
            // environment (an engine's HTTP(S)_PROXY would otherwise see every request).
            .max_redirects(0)
            .proxy(None)
            .user_agent(AutoHeaderValue::Provided(USER_AGENT.to_owned().into()))
            // Enough idle connections for a busy engine's worker pool to the same host.
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .build();
        // ureq's DefaultConnector minus the proxy connectors (no proxy is ever used), with our
        // TCP transport under its TLS (see `socket`) and the write tracking on top.
        let connector = socket::Tcp.chain(RustlsConnector::default()).chain(WriteTracking);
        Agent::with_parts(config, connector, resolver::Caching::new())
    })
}

thread_local! {
    static WROTE: Cell<bool> = const { Cell::new(false) };
}

/// Clears the mark before a call.
pub fn reset_wrote() {
    WROTE.with(|w| w.set(false));
}

/// Whether any request byte was handed to the network since `reset_wrote` on this thread.
pub fn wrote() -> bool {
    WROTE.with(Cell::get)
}

#[derive(Debug)]
struct WriteTracking;

impl<In: Transport> Connector<In> for WriteTracking {
    type Out = Tracked<In>;

    fn connect(&self, _: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(Tracked))
    }
}

/// Sits above TLS, so the TLS handshake (done in the connector) is never counted as a write.
#[derive(Debug)]
struct Tracked<T>(T);

impl<T: Transport> Transport for Tracked<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.0.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        // Counted before the result is known: a write that failed half-way may still have
        // delivered a complete request, so the conservative answer is "maybe sent".
        if amount > 0 {
            WROTE.with(|w| w.set(true));
        }
        self.0.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.0.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.0.is_open()
    }

    fn is_tls(&self) -> bool {
        self.0.is_tls()
    }
}
