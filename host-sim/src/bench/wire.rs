//! HTTP/1.1 framing for the two ends of the loopback limit: one message read by `Content-Length`
//! from a keep-alive connection, as a server reads a request and a client its answer.

use std::io::{self, Read};

/// A message head may not exceed this: both ends are ours, so a bigger one is a bug, not a load.
const MAX_HEAD: usize = 64 * 1024;
/// Nor a body: the largest either end sends is Plaid's 5.8 KB example answer.
const MAX_BODY: usize = 1024 * 1024;

/// Reads one message (head and `Content-Length` body) into `buf`, which keeps any bytes past it
/// for the next call. `Ok(None)` when the peer closed the connection between messages.
pub fn read_message(stream: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<Option<Message>> {
    let mut scanned: usize = 0;
    let head_len = loop {
        if let Some(at) = find(&buf[scanned.saturating_sub(3)..], b"\r\n\r\n") {
            break scanned.saturating_sub(3) + at + 4;
        }
        scanned = buf.len();
        if scanned > MAX_HEAD {
            return Err(invalid("message head over 64 KiB"));
        }
        if fill(stream, buf)? == 0 {
            return match buf.is_empty() {
                true => Ok(None),
                false => Err(io::ErrorKind::UnexpectedEof.into()),
            };
        }
    };
    let body_len = content_length(&buf[..head_len])?;
    while buf.len() < head_len + body_len {
        if fill(stream, buf)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(Some(Message { head_len, len: head_len + body_len }))
}

/// Where one message lies at the front of the buffer `read_message` filled.
pub struct Message {
    pub head_len: usize,
    pub len: usize,
}

impl Message {
    /// Drops this message from the front of `buf`, keeping what followed it.
    pub fn consume(self, buf: &mut Vec<u8>) {
        buf.drain(..self.len);
    }
}

fn fill(stream: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn content_length(head: &[u8]) -> io::Result<usize> {
    let text = std::str::from_utf8(head).map_err(|_| invalid("message head is not UTF-8"))?;
    let length = text.split("\r\n").skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>())
    });
    match length {
        None => Ok(0),
        Some(Ok(n)) if n <= MAX_BODY => Ok(n),
        Some(_) => Err(invalid("bad or oversized Content-Length")),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_messages_back_to_back_and_split_anywhere() {
        let two = b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n".to_vec();
        // A reader that hands out one byte at a time splits the messages everywhere.
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let Some(b) = self.0.get(self.1) else { return Ok(0) };
                out[0] = *b;
                self.1 += 1;
                Ok(1)
            }
        }
        let mut stream = Trickle(two, 0);
        let mut buf = Vec::new();
        let first = read_message(&mut stream, &mut buf).unwrap().unwrap();
        assert_eq!(&buf[first.head_len..first.len], b"abc");
        first.consume(&mut buf);
        let second = read_message(&mut stream, &mut buf).unwrap().unwrap();
        assert_eq!(second.len, second.head_len, "no body without Content-Length");
        second.consume(&mut buf);
        assert!(read_message(&mut stream, &mut buf).unwrap().is_none(), "a clean close");
    }

    #[test]
    fn refuses_oversized_and_cut_messages() {
        let mut buf = Vec::new();
        let huge = b"POST / HTTP/1.1\r\ncontent-length: 99999999\r\n\r\n".to_vec();
        assert!(read_message(&mut &huge[..], &mut buf).is_err());
        buf.clear();
        let cut = b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab".to_vec();
        assert!(read_message(&mut &cut[..], &mut buf).is_err());
        buf.clear();
        let endless = vec![b'a'; MAX_HEAD + 10];
        assert!(read_message(&mut &endless[..], &mut buf).is_err());
    }
}
