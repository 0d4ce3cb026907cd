//! The TCP transport under TLS: ureq's own, minus the system calls a busy engine pays per call.
//!
//! ureq's `TcpTransport` sets the socket's timeout before every read and write. Our deadline is
//! per call, so the value is new every time: three `setsockopt` a call. It also probes a pooled
//! connection with `set_nonblocking` / `read` / `set_nonblocking` (two `ioctl`), twice a call.
//! Here:
//! - a read waits with the socket's receive timeout as it stands, as long as that is no longer
//!   than the time left (nor under a quarter of it); else it is set to half the time left, so the
//!   calls that follow (each with a little less time) keep it. A wait that ends early just waits again for
//!   what is left: the deadline is kept exactly, at the cost of one more wake-up in a slow read.
//! - a write works the same way with the send timeout; a partial write reports how much went out,
//!   so a write that times out part-way goes on from there.
//! - the probe is one `recv(MSG_PEEK | MSG_DONTWAIT)`.
//! - a request's head and body go out with one write: ureq hands over the head, then the body
//!   (or, under TLS, one record each), as two transmits. A transmit is held back (at the front of
//!   the output buffer, the buffer offered for the next one starting after it) and goes out with
//!   the next, or before any read. ureq reads only after the whole request is handed over, and a
//!   connection holding bytes is not reused, so nothing held ever waits on a read.
//!
//! The agent is never shut down, so connections are not registered for `Agent::shutdown`.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream},
    os::fd::AsRawFd,
    time::{Duration, Instant},
};

use ureq::{
    unversioned::transport::{Buffers, ConnectionDetails, Connector, LazyBuffers, NextTimeout, Transport},
    Error, Timeout,
};

/// Opens the TCP connection; the first link of the agent's connector chain.
#[derive(Debug)]
pub struct Tcp;

impl Connector<()> for Tcp {
    type Out = Socket;

    fn connect(&self, details: &ConnectionDetails, _: Option<()>) -> Result<Option<Socket>, Error> {
        let stream = connect(&details.addrs, details.timeout)?;
        if details.config.no_delay() {
            stream.set_nodelay(true)?;
        }
        let buffers =
            LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Socket {
            stream,
            buffers: Held { buffers, held: 0 },
            read_timeout: None,
            write_timeout: None,
        }))
    }
}

/// Below this, a connect attempt is not worth making: one address's share of the budget.
const MIN_PER_ADDRESS: Duration = Duration::from_millis(10);

/// Tries each address in turn, each with an equal share of what is left of the connect budget;
/// an address that refuses or cannot be reached gives way to the next, as in ureq.
fn connect(addrs: &[SocketAddr], timeout: NextTimeout) -> Result<TcpStream, Error> {
    let deadline = Deadline::of(timeout);
    let mut last = None;
    for (i, addr) in addrs.iter().enumerate() {
        let result = match deadline.left() {
            None => TcpStream::connect(addr),
            Some(left) if left.is_zero() => return Err(Error::Timeout(timeout.reason)),
            Some(left) => {
                let share = (left / (addrs.len() - i) as u32).max(MIN_PER_ADDRESS).min(left);
                TcpStream::connect_timeout(addr, share)
            }
        };
        match result {
            Ok(stream) => return Ok(stream),
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {
                last = Some(Error::Timeout(Timeout::Connect));
            }
            Err(e) if address_specific(&e) => last = Some(Error::Io(e)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
    if deadline.left().is_some_and(|left| left.is_zero()) {
        return Err(Error::Timeout(timeout.reason));
    }
    Err(last.unwrap_or_else(|| Error::Io(io::ErrorKind::ConnectionRefused.into())))
}

fn address_specific(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionRefused
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::AddrNotAvailable
    )
}

/// When a timeout runs out, on the monotonic clock; `None` for no timeout.
#[derive(Clone, Copy)]
struct Deadline(Option<Instant>);

impl Deadline {
    fn of(timeout: NextTimeout) -> Self {
        Deadline(timeout.not_zero().and_then(|after| Instant::now().checked_add(*after)))
    }

    fn left(self) -> Option<Duration> {
        self.0.map(|at| at.saturating_duration_since(Instant::now()))
    }
}

#[derive(Debug)]
pub struct Socket {
    stream: TcpStream,
    buffers: Held,
    /// What the socket's receive and send timeouts are set to (`None`: not set, blocks forever).
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// Which of the socket's two timeouts.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl Socket {
    /// Makes sure a blocking call on the socket returns within `left` (`None`: may block forever),
    /// touching the socket only when its timeout is longer than that.
    fn bound_wait(&mut self, direction: Direction, left: Option<Duration>) -> io::Result<()> {
        let set = match direction {
            Direction::Read => &mut self.read_timeout,
            Direction::Write => &mut self.write_timeout,
        };
        let Some(left) = left else { return Ok(()) };
        // Kept while no longer than what is left, and not so much shorter that a slow answer
        // would wake the thread again and again (the end of an earlier, short wait leaves it so).
        if set.is_some_and(|t| t <= left && t >= left / 4) {
            return Ok(());
        }
        // Half: the next calls, each with a little less time left, find it short enough. Never
        // zero, which would mean "no timeout" to the socket.
        let wanted = if left < Duration::from_millis(2) { left } else { left / 2 };
        let wanted = wanted.max(Duration::from_micros(1));
        match direction {
            Direction::Read => self.stream.set_read_timeout(Some(wanted))?,
            Direction::Write => self.stream.set_write_timeout(Some(wanted))?,
        }
        *set = Some(wanted);
        Ok(())
    }
}

/// A socket timeout ran out (the wait may go on if the deadline has not).
fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// ureq's buffers, the output offered after the `held` bytes at its front.
#[derive(Debug)]
struct Held {
    buffers: LazyBuffers,
    held: usize,
}

impl Buffers for Held {
    fn output(&mut self) -> &mut [u8] {
        &mut self.buffers.output()[self.held..]
    }

    fn input(&self) -> &[u8] {
        self.buffers.input()
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        self.buffers.input_append_buf()
    }

    fn input_appended(&mut self, amount: usize) {
        self.buffers.input_appended(amount)
    }

    fn input_consume(&mut self, amount: usize) {
        self.buffers.input_consume(amount)
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        let (tmp, output) = self.buffers.tmp_and_output();
        (tmp, &mut output[self.held..])
    }

    fn can_use_input(&self) -> bool {
        self.buffers.can_use_input()
    }
}

impl Transport for Socket {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        let room = self.buffers.buffers.output().len();
        let first = self.buffers.held == 0;
        self.buffers.held += amount;
        // Held while the rest of the buffer can still take as much as ureq's own chunks.
        if first && amount > 0 && room - self.buffers.held >= room / 2 {
            return Ok(());
        }
        self.flush(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.flush(timeout)?;
        self.read(timeout)
    }

    /// Open and idle: nothing held back, and the peer has neither closed it nor sent anything unasked.
    fn is_open(&mut self) -> bool {
        self.buffers.held == 0 && self.probe()
    }
}

impl Socket {
    /// Writes what is held, all of it, by the deadline.
    fn flush(&mut self, timeout: NextTimeout) -> Result<(), Error> {
        let amount = std::mem::take(&mut self.buffers.held);
        if amount == 0 {
            return Ok(());
        }
        let timeout = timeout.for_write();
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        let deadline = Deadline::of(timeout);
        let mut sent = 0;
        while sent < amount {
            let left = deadline.left();
            if left.is_some_and(|l| l.is_zero()) {
                return Err(Error::Timeout(timeout.reason));
            }
            self.bound_wait(Direction::Write, left)?;
            let output = &self.buffers.buffers.output()[sent..amount];
            match (&self.stream).write(output) {
                Ok(0) => return Err(Error::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted || timed_out(&e) => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
        Ok(())
    }

    fn read(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let timeout = timeout.for_read();
        if timeout.after.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        let deadline = Deadline::of(timeout);
        loop {
            let left = deadline.left();
            if left.is_some_and(|l| l.is_zero()) {
                return Err(Error::Timeout(timeout.reason));
            }
            self.bound_wait(Direction::Read, left)?;
            let input = self.buffers.input_append_buf();
            match (&self.stream).read(input) {
                Ok(n) => {
                    self.buffers.input_appended(n);
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted || timed_out(&e) => {}
                Err(e) => return Err(Error::Io(e)),
            }
        }
    }

    /// The peer has neither closed the connection nor sent anything unasked.
    fn probe(&self) -> bool {
        let mut byte = [0u8; 1];
        // SAFETY: a valid socket and a one-byte buffer we own; MSG_DONTWAIT makes it a probe
        // that never blocks, MSG_PEEK one that consumes nothing.
        let n = unsafe {
            libc::recv(
                self.stream.as_raw_fd(),
                byte.as_mut_ptr().cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        n < 0 && timed_out(&io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use ureq::unversioned::transport::time::Duration as UreqDuration;

    use super::*;

    /// A socket to a listener on loopback, and the accepted end.
    fn pair() -> (Socket, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        let socket = Socket {
            stream,
            buffers: Held { buffers: LazyBuffers::new(1024, 1024), held: 0 },
            read_timeout: None,
            write_timeout: None,
        };
        (socket, peer)
    }

    fn within(d: Duration) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(d),
            reason: Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    fn transmit(socket: &mut Socket, bytes: &[u8]) {
        socket.buffers().output()[..bytes.len()].copy_from_slice(bytes);
        socket.transmit_output(bytes.len(), within(Duration::from_secs(5))).unwrap();
    }

    /// Waits until `stream` has something to read (bytes, or the peer's close): the readiness
    /// signal the tests wait on instead of a sleep. A bound, never reached when all is well.
    fn wait_readable(stream: &TcpStream) {
        let mut poll = libc::pollfd { fd: stream.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd we own, for a socket that outlives the call.
        let ready = unsafe { libc::poll(&mut poll, 1, 5_000) };
        assert_eq!(ready, 1, "nothing to read within 5 s");
    }

    /// Exactly `n` bytes from the peer, as soon as they arrive.
    fn receive(peer: &mut TcpStream, n: usize) -> Vec<u8> {
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = vec![0; n];
        peer.read_exact(&mut got).unwrap();
        got
    }

    #[test]
    fn head_and_body_leave_together_and_before_any_read() {
        let (mut socket, mut peer) = pair();
        transmit(&mut socket, b"HEAD|");
        assert_eq!(socket.buffers.held, 5, "the head waits for the body");
        assert!(!socket.is_open(), "a connection holding half a request is not reused");
        transmit(&mut socket, b"BODY");
        assert_eq!(socket.buffers.held, 0, "both went out");
        assert_eq!(receive(&mut peer, 9), b"HEAD|BODY", "one write, in order");

        // A transmit with nothing after it goes out when the answer is awaited.
        transmit(&mut socket, b"PING");
        assert_eq!(socket.buffers.held, 4);
        peer.write_all(b"PONG").unwrap();
        assert!(socket.await_input(within(Duration::from_secs(5))).unwrap());
        assert_eq!(socket.buffers().input(), b"PONG");
        assert_eq!(receive(&mut peer, 4), b"PING");
    }

    #[test]
    fn a_read_keeps_its_deadline_and_the_socket_timeout_is_set_once() {
        let (mut socket, _peer) = pair();
        let started = Instant::now();
        let err = socket.await_input(within(Duration::from_millis(300))).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, Error::Timeout(Timeout::Global)), "{err:?}");
        assert!(took >= Duration::from_millis(300), "not before the deadline: {took:?}");
        assert!(took < Duration::from_secs(2), "not long after it: {took:?}");

        // A long budget sets half of it; the next calls, with a little less, leave it alone.
        socket.bound_wait(Direction::Read, Some(Duration::from_secs(10))).unwrap();
        assert_eq!(socket.read_timeout, Some(Duration::from_secs(5)));
        socket.bound_wait(Direction::Read, Some(Duration::from_millis(9_990))).unwrap();
        assert_eq!(socket.read_timeout, Some(Duration::from_secs(5)));
        // Less time left than the timeout: lowered, never waiting past the deadline.
        socket.bound_wait(Direction::Read, Some(Duration::from_secs(4))).unwrap();
        assert_eq!(socket.read_timeout, Some(Duration::from_secs(2)));
        assert_eq!(socket.stream.read_timeout().unwrap(), Some(Duration::from_secs(2)));
    }

    #[test]
    fn the_probe_tells_idle_from_closed_or_chatty() {
        let (mut socket, peer) = pair();
        assert!(socket.is_open());
        (&peer).write_all(b"x").unwrap();
        wait_readable(&socket.stream);
        assert!(!socket.is_open(), "bytes nobody asked for");
        let (mut socket, peer) = pair();
        drop(peer);
        wait_readable(&socket.stream);
        assert!(!socket.is_open(), "closed by the peer");
    }
}
