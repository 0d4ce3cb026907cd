//! Fault injection: the ways a real Plaid call goes wrong, on demand.
//!
//! # Syntax
//!
//! A fault set is a comma-separated list of faults (spaces allowed), e.g. `latency=200ms, status=503`.
//! It applies to one request through the `X-Sim-Fault` header, or to requests by server
//! configuration (`host-sim sandbox --fault SET [--fault-first N]`, or [`Faults`] in
//! [`SimulatorConfig`](crate::SimulatorConfig)). A request gets the server's faults and its header's.
//!
//! Refused before the request is handled (nothing recorded, no session created):
//!
//! | fault | effect |
//! | --- | --- |
//! | `status=N` | answers HTTP N (429 or 500–599) with Plaid's error body for it: 429 `RATE_LIMIT_EXCEEDED`, 503 `API_ERROR`/`PLANNED_MAINTENANCE`, others `API_ERROR`/`INTERNAL_SERVER_ERROR` |
//! | `html502` | answers 502 with an HTML page, as a load balancer in front of Plaid does |
//! | `rate_limit_burst=N` | starts a burst: this request and the client's next N−1 get 429 `RATE_LIMIT_EXCEEDED` (a running burst is not restarted) |
//! | `hang` or `hang=DUR` | sends nothing for DUR (default 60 s), then closes the connection |
//!
//! Applied after the request was handled (a retry or create has created its session), and to the
//! answers of the faults above as well (`latency=2s,status=503` is a slow 503):
//!
//! | fault | effect |
//! | --- | --- |
//! | `status_after_record=N` | answers HTTP N as `status=N` does, though the session exists |
//! | `retry_after=SECONDS` | adds `Retry-After: SECONDS` to the answer (with `status=429` or `503`) |
//! | `drop_after_record` | closes the connection without sending a byte |
//! | `latency=DUR` | holds the response for DUR before sending it |
//! | `slow_drip=BYTES_PER_SEC` | sends the body at that rate (Content-Length is the full length) |
//! | `truncate` | sends the headers and half the body, then closes the connection |
//! | `oversize=BYTES` | pads the JSON body with trailing spaces to at least BYTES |
//!
//! On the webhooks the request causes (its retry opens a session, its completion ends one):
//!
//! | fault | effect |
//! | --- | --- |
//! | `drop_webhooks` | the request's moves happen, their webhooks are never sent (as when a receiver is down past Plaid's retries); as a server fault (`--fault drop_webhooks`), every webhook, also those of expiry and `--auto-complete` |
//!
//! Only `drop_webhooks` applies to the session page (`/verify/…`) and the control routes
//! (`/sim/…`): they are not Plaid's API. The server's script (`--fault-first N`) counts every request.
//!
//! `DUR` is a number with `ms` or `s` (`250ms`, `2s`); a bare number is milliseconds. Sizes and
//! rates are whole numbers of bytes.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    str::FromStr,
    task::{Context, Poll},
    time::Duration,
};

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use crate::Error;

/// The per-request fault header.
pub const FAULT_HEADER: &str = "x-sim-fault";

/// How long `hang` holds a connection unless told otherwise.
pub const HANG_DEFAULT: Duration = Duration::from_secs(60);

/// One fault; see the module documentation for the syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Latency(Duration),
    Status(u16),
    StatusAfterRecord(u16),
    Html502,
    RateLimitBurst(u32),
    DropAfterRecord,
    SlowDrip(u32),
    Hang(Duration),
    Truncate,
    Oversize(usize),
    RetryAfter(u32),
    DropWebhooks,
}

/// Faults that apply to one request together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultSet(pub Vec<Fault>);

/// The server's faults: `script[i]` applies to the i-th request the simulator receives (from 0),
/// `every` to each request after the script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    pub script: Vec<FaultSet>,
    pub every: FaultSet,
}

impl Faults {
    pub fn none() -> Self {
        Faults::default()
    }

    /// The same faults on every request.
    pub fn every(set: FaultSet) -> Self {
        Faults { script: Vec::new(), every: set }
    }

    /// The faults on the first `n` requests only.
    pub fn first(n: usize, set: FaultSet) -> Self {
        Faults { script: vec![set; n], every: FaultSet::default() }
    }

    /// One set per request in arrival order, then none.
    pub fn script(sets: Vec<FaultSet>) -> Self {
        Faults { script: sets, every: FaultSet::default() }
    }

    /// The faults for the request that arrived `n`-th (from 0).
    pub fn for_request(&self, n: u64) -> &FaultSet {
        usize::try_from(n).ok().and_then(|i| self.script.get(i)).unwrap_or(&self.every)
    }

    pub fn is_empty(&self) -> bool {
        self.script.iter().all(FaultSet::is_empty) && self.every.is_empty()
    }
}

impl FaultSet {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Fault> {
        self.0.iter()
    }

    /// Both sets' faults.
    pub fn merged(&self, other: &FaultSet) -> FaultSet {
        FaultSet(self.0.iter().chain(other.0.iter()).copied().collect())
    }
}

impl FromStr for FaultSet {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(FaultSet)
    }
}

impl FromStr for Fault {
    type Err = Error;

    fn from_str(item: &str) -> Result<Self, Self::Err> {
        let (name, value) = match item.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (item.trim(), None),
        };
        let bad = |why: &str| Error::FaultSyntax(format!("fault `{name}`: {why}"));
        let need = || value.ok_or_else(|| bad("needs a value (`NAME=VALUE`)"));
        let number = |v: &str| v.parse::<u64>().map_err(|_| bad("the value must be a whole number"));
        let positive =
            |v: &str, why: &str| u32::try_from(number(v)?).ok().filter(|n| *n > 0).ok_or_else(|| bad(why));
        let status = |v: &str| match number(v)? {
            n @ (429 | 500..=599) => Ok(n as u16),
            _ => Err(bad("the status must be 429 or 500-599")),
        };
        let fault = match name {
            "latency" => Fault::Latency(
                duration(need()?).ok_or_else(|| bad("the value must be a duration like 250ms or 2s"))?,
            ),
            "status" => Fault::Status(status(need()?)?),
            "status_after_record" => Fault::StatusAfterRecord(status(need()?)?),
            "html502" => Fault::Html502,
            "rate_limit_burst" => Fault::RateLimitBurst(positive(need()?, "the value must be 1 or more")?),
            "drop_after_record" => Fault::DropAfterRecord,
            "slow_drip" => Fault::SlowDrip(positive(need()?, "the rate must be 1 or more bytes a second")?),
            "hang" => Fault::Hang(match value {
                Some(v) => duration(v).ok_or_else(|| bad("the value must be a duration like 250ms or 2s"))?,
                None => HANG_DEFAULT,
            }),
            "truncate" => Fault::Truncate,
            "drop_webhooks" => Fault::DropWebhooks,
            "retry_after" => {
                Fault::RetryAfter(u32::try_from(number(need()?)?).map_err(|_| bad("the value is too large"))?)
            }
            "oversize" => {
                Fault::Oversize(usize::try_from(number(need()?)?).map_err(|_| bad("the size is too large"))?)
            }
            _ => return Err(Error::FaultSyntax(format!("unknown fault `{name}`"))),
        };
        if value.is_some()
            && matches!(
                fault,
                Fault::Html502 | Fault::DropAfterRecord | Fault::Truncate | Fault::DropWebhooks
            )
        {
            return Err(bad("takes no value"));
        }
        Ok(fault)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
            Fault::Status(n) => write!(f, "status={n}"),
            Fault::StatusAfterRecord(n) => write!(f, "status_after_record={n}"),
            Fault::Html502 => f.write_str("html502"),
            Fault::RateLimitBurst(n) => write!(f, "rate_limit_burst={n}"),
            Fault::DropAfterRecord => f.write_str("drop_after_record"),
            Fault::SlowDrip(n) => write!(f, "slow_drip={n}"),
            Fault::Hang(d) => write!(f, "hang={}ms", d.as_millis()),
            Fault::Truncate => f.write_str("truncate"),
            Fault::Oversize(n) => write!(f, "oversize={n}"),
            Fault::RetryAfter(n) => write!(f, "retry_after={n}"),
            Fault::DropWebhooks => f.write_str("drop_webhooks"),
        }
    }
}

impl fmt::Display for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, fault) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{fault}")?;
        }
        Ok(())
    }
}

/// `250ms`, `2s`, `1.5s` or a bare number of milliseconds (at most a day); the syntax of every
/// duration the simulator takes.
pub fn duration(text: &str) -> Option<Duration> {
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 0.001)
    };
    let secs = number.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0)? * scale;
    // A day is longer than any test waits; beyond it is a typo.
    (secs <= 86_400.0).then(|| Duration::from_secs_f64(secs))
}

/// The 502 page a load balancer answers when Plaid is unreachable behind it.
pub const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

/// How a finished response body goes out on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Bytes per second, when dripping.
    pub drip: Option<u32>,
    /// Send only half, then close.
    pub truncate: bool,
    /// Send nothing, close.
    pub drop: bool,
    /// Pad to at least this many bytes.
    pub oversize: Option<usize>,
}

impl Delivery {
    pub fn from_faults(faults: &FaultSet) -> Self {
        let mut d = Delivery::default();
        for fault in faults.iter() {
            match *fault {
                Fault::SlowDrip(rate) => d.drip = Some(rate),
                Fault::Truncate => d.truncate = true,
                Fault::DropAfterRecord => d.drop = true,
                Fault::Oversize(n) => d.oversize = Some(n),
                _ => {}
            }
        }
        d
    }

    pub fn is_plain(&self) -> bool {
        *self == Delivery::default()
    }

    /// The body to send for `bytes`.
    pub fn body(&self, bytes: Bytes) -> Body {
        let bytes = match self.oversize {
            Some(n) if n > bytes.len() => {
                let mut padded = Vec::with_capacity(n);
                padded.extend_from_slice(&bytes);
                padded.resize(n, b' ');
                Bytes::from(padded)
            }
            _ => bytes,
        };
        if self.drop {
            return Body::new(FaultBody::new(bytes, 0, true, None));
        }
        if self.drip.is_none() && !self.truncate {
            return Body::from(bytes);
        }
        let stop_at = if self.truncate { bytes.len() / 2 } else { bytes.len() };
        Body::new(FaultBody::new(bytes, stop_at, self.truncate, self.drip))
    }
}

/// The cause of a connection the simulator closes on purpose.
#[derive(Debug)]
struct InjectedClose;

impl fmt::Display for InjectedClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed by fault injection")
    }
}

impl std::error::Error for InjectedClose {}

/// A body that drips, stops short, or fails at once. An error from a body makes hyper close the
/// connection; when the error comes before any data was polled, the buffered headers are never
/// written, so the client sees a connection closed without a response.
struct FaultBody {
    data: Bytes,
    sent: usize,
    /// Send `data[..stop_at]`, then end (or close, with `close`).
    stop_at: usize,
    close: bool,
    drip: Option<u32>,
    pause: Option<Pin<Box<Sleep>>>,
    /// The grace pause before closing has been taken.
    closing: bool,
}

/// How long a truncated body waits before closing, so the part that was sent is flushed first.
const FLUSH_GRACE: Duration = Duration::from_millis(50);

impl FaultBody {
    fn new(data: Bytes, stop_at: usize, close: bool, drip: Option<u32>) -> Self {
        FaultBody { data, sent: 0, stop_at, close, drip, pause: None, closing: false }
    }

    /// Chunk size and the pause after each chunk: ten chunks a second, or one byte per chunk for
    /// rates under ten bytes a second.
    fn drip_step(rate: u32) -> (usize, Duration) {
        if rate >= 10 {
            ((rate / 10) as usize, Duration::from_millis(100))
        } else {
            (1, Duration::from_secs_f64(1.0 / f64::from(rate)))
        }
    }
}

impl HttpBody for FaultBody {
    type Data = Bytes;
    type Error = InjectedClose;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, InjectedClose>>> {
        loop {
            if let Some(pause) = self.pause.as_mut() {
                if pause.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.pause = None;
            }
            if self.sent < self.stop_at {
                break;
            }
            if !self.close {
                return Poll::Ready(None);
            }
            if self.sent == 0 || self.closing {
                return Poll::Ready(Some(Err(InjectedClose)));
            }
            // Let the part that was sent reach the client, then close.
            self.closing = true;
            self.pause = Some(Box::pin(tokio::time::sleep(FLUSH_GRACE)));
        }
        let remaining = self.stop_at - self.sent;
        let len = match self.drip {
            Some(rate) => {
                let (chunk, pause) = Self::drip_step(rate);
                self.pause = Some(Box::pin(tokio::time::sleep(pause)));
                chunk.min(remaining)
            }
            None => remaining,
        };
        let chunk = self.data.slice(self.sent..self.sent + len);
        self.sent += len;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        !self.close && self.sent >= self.data.len()
    }

    fn size_hint(&self) -> SizeHint {
        if self.close && self.stop_at == 0 {
            // An exact length of 0 would let hyper finish the response without polling the body.
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.data.len() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_fault() {
        let set: FaultSet =
            "latency=200ms, status=503,status_after_record=500, html502, rate_limit_burst=3, \
                             drop_after_record, slow_drip=64, hang, hang=2s, truncate, oversize=1048576, retry_after=3, drop_webhooks"
                .parse()
                .unwrap();
        assert_eq!(set.0.len(), 13);
        assert_eq!(set.0[12], Fault::DropWebhooks);
        assert_eq!(set.0[11], Fault::RetryAfter(3));
        assert_eq!(set.0[0], Fault::Latency(Duration::from_millis(200)));
        assert_eq!(set.0[7], Fault::Hang(HANG_DEFAULT));
        assert_eq!(set.0[8], Fault::Hang(Duration::from_secs(2)));
        assert_eq!(set.to_string().parse::<FaultSet>().unwrap(), set);
        assert_eq!("".parse::<FaultSet>().unwrap(), FaultSet::default());
    }

    #[test]
    fn rejects_bad_specs_naming_the_item() {
        for (spec, needle) in [
            ("status=404", "status"),
            ("status", "needs a value"),
            ("latency=fast", "duration"),
            ("truncate=3", "takes no value"),
            ("explode", "unknown fault `explode`"),
            ("rate_limit_burst=0", "1 or more"),
        ] {
            let err = spec.parse::<FaultSet>().unwrap_err().to_string();
            assert!(err.contains(needle), "{spec}: {err}");
        }
    }

    #[test]
    fn scripts_then_every() {
        let faults =
            Faults { script: vec!["status=503".parse().unwrap()], every: "truncate".parse().unwrap() };
        assert_eq!(faults.for_request(0).0, vec![Fault::Status(503)]);
        assert_eq!(faults.for_request(1).0, vec![Fault::Truncate]);
        assert!(Faults::first(2, "hang".parse().unwrap()).for_request(2).is_empty());
    }
}
