//! The crate's one error type: why a simulator did not start, or a name or fault set that does
//! not parse. What the simulator answers its clients is Plaid's error body (`PlaidError`), not this.

use std::{fmt, io, net::SocketAddr};

#[derive(Debug)]
pub enum Error {
    /// The runtime's worker threads could not be created.
    Runtime(io::Error),
    /// The address could not be bound (in use, not local, not permitted).
    Listen { addr: SocketAddr, source: io::Error },
    /// A fault set that does not parse; the message names the item (see [`crate::faults`]).
    FaultSyntax(String),
    /// An unknown name for a step, a status or an outcome.
    UnknownName(String),
    /// A webhook URL the simulator will not post to, or delivery that cannot start.
    Webhook(String),
    /// The webhook signing key could not be made, or a webhook not signed.
    Signing(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Runtime(e) => write!(f, "cannot start the simulator's runtime: {e}"),
            Error::Listen { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::FaultSyntax(message) => f.write_str(message),
            Error::UnknownName(name) => write!(f, "unknown name `{name}`"),
            Error::Webhook(message) | Error::Signing(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Runtime(e) | Error::Listen { source: e, .. } => Some(e),
            Error::FaultSyntax(_) | Error::UnknownName(_) | Error::Webhook(_) | Error::Signing(_) => None,
        }
    }
}
