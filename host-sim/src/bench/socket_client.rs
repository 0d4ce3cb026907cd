//! The client side of the loopback limit: like wrk, but with one blocking thread per connection
//! as a synchronous ABI implies. Each call writes the precomputed request bytes with one write and
//! reads the answer by `Content-Length`; each thread keeps its own keep-alive connection.

use std::{cell::RefCell, io::Write, net::TcpStream};

use super::wire;

pub struct SocketClient {
    addr: String,
    request: Vec<u8>,
}

/// This thread's connection: the address it goes to, the stream, and bytes read past an answer.
type Connection = (String, TcpStream, Vec<u8>);

thread_local! {
    static CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

impl SocketClient {
    /// POSTs of `body` to `url` (`http://host:port/path`) with `headers`, as one buffer.
    pub fn new(url: &str, headers: &[(String, String)], body: &[u8]) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or("the socket client speaks plain HTTP only")?;
        let (addr, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
        let mut request = format!("POST /{path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut request = request.into_bytes();
        request.extend_from_slice(body);
        Ok(SocketClient { addr: addr.to_owned(), request })
    }

    /// One request and its whole answer; `Err` unless the answer is a 200.
    pub fn send(&self) -> Result<(), String> {
        CONNECTION.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.as_ref().is_none_or(|(addr, ..)| *addr != self.addr) {
                let stream = TcpStream::connect(&self.addr).map_err(|e| format!("socket client: {e}"))?;
                stream.set_nodelay(true).map_err(|e| format!("socket client: {e}"))?;
                *slot = Some((self.addr.clone(), stream, Vec::with_capacity(16 * 1024)));
            }
            let Some((_, stream, buf)) = slot.as_mut() else { unreachable!("just connected") };
            let result = self.exchange(stream, buf);
            if result.is_err() {
                *slot = None;
            }
            result
        })
    }

    fn exchange(&self, stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
        stream.write_all(&self.request).map_err(|e| format!("socket client: {e}"))?;
        let answer = wire::read_message(stream, buf)
            .map_err(|e| format!("socket client: {e}"))?
            .ok_or("socket client: the server closed the connection")?;
        let ok = buf[..answer.head_len].starts_with(b"HTTP/1.1 200 ");
        answer.consume(buf);
        ok.then_some(()).ok_or_else(|| "socket client: the answer is not a 200".to_owned())
    }
}
