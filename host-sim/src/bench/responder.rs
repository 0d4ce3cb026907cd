//! The cheapest server there is, for the loopback limit: it answers every request on a keep-alive
//! HTTP/1.1 connection with the same precomputed bytes (Plaid's example answer to a retry, 5.8 KB),
//! like nginx serving a file. No routing, no parsing past `Content-Length`, one thread per
//! connection. Loopback only; stopped (listener and every connection) when dropped.

use std::{
    io::Write,
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread,
};

use super::wire;

/// Plaid's example answer to `/identity_verification/retry`, from its API reference.
pub const ANSWER: &str = include_str!("../../bench/answer.json");

pub struct StaticResponder {
    pub url: String,
    stopping: Arc<AtomicBool>,
    /// Every connection accepted, to shut down on drop (a client may hold one open).
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl StaticResponder {
    pub fn start() -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("static responder: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("static responder: {e}"))?;
        let answer: Arc<[u8]> = response(ANSWER).into();
        let stopping = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (stop, open) = (stopping.clone(), connections.clone());
        thread::Builder::new()
            .name("static-responder".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let _ = stream.set_nodelay(true);
                    if let Ok(clone) = stream.try_clone() {
                        open.lock().unwrap_or_else(|p| p.into_inner()).push(clone);
                    }
                    let answer = answer.clone();
                    let _ = thread::Builder::new()
                        .name("static-conn".into())
                        .spawn(move || serve(stream, &answer));
                }
            })
            .map_err(|e| format!("static responder: {e}"))?;
        Ok(StaticResponder { url: format!("http://{addr}"), stopping, connections })
    }
}

/// Answers each request on the connection until the client closes it or sends garbage.
fn serve(mut stream: TcpStream, answer: &[u8]) {
    let mut buf = Vec::with_capacity(16 * 1024);
    while let Ok(Some(request)) = wire::read_message(&mut stream, &mut buf) {
        request.consume(&mut buf);
        if stream.write_all(answer).is_err() {
            break;
        }
    }
}

/// The whole answer, head and body, as one buffer written with one call.
fn response(body: &str) -> Vec<u8> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: host-sim-bench\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: keep-alive\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body.as_bytes()].concat()
}

impl Drop for StaticResponder {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        for stream in self.connections.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}
