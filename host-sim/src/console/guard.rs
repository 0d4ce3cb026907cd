//! Who may call the console. A browser visits other sites while the console runs: any of them
//! could post to `http://127.0.0.1:PORT`, or point a DNS name it controls at 127.0.0.1 and read
//! the answers (DNS rebinding). So:
//!
//! - every request must name this server in `Host`: an IP literal or `localhost`, with the port
//!   the console listens on (a rebinding name is refused before any route runs);
//! - every state-changing request (anything but GET and HEAD) must come from the console's own
//!   page: `Origin` equal to `http://` + `Host`, a JSON content type (no HTML form can send
//!   one), and no `Sec-Fetch-Site` other than `same-origin`;
//! - request bodies are capped at [`MAX_BODY`];
//! - the webhook route ([`check_webhook`]) takes no `Origin` (its sender is no page) but only a
//!   loopback peer, and what it receives counts only once its signature verifies;
//! - bound beyond loopback (`--allow-remote`), every `/api/` call carries the run's key in
//!   [`KEY_HEADER`]: the page reads it from its URL's fragment, which no request or `Referer`
//!   carries.

use std::net::SocketAddr;

use axum::http::{header, HeaderMap, Method};

/// A task input is a few KiB; anything far larger is not one.
pub const MAX_BODY: usize = 64 * 1024;

/// Why a request was refused (a message for the caller; it never quotes the header's value).
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

/// The header that carries the run's key, when the console listens beyond loopback.
pub const KEY_HEADER: &str = "x-console-key";

/// A fresh key for one run: 32 bytes from the kernel's random source, as hex.
pub fn new_key() -> std::io::Result<String> {
    use std::io::Read as _;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether an `/api/` request carries `key`, compared in constant time.
pub fn has_key(headers: &HeaderMap, key: &str) -> Result<(), Refusal> {
    let given = one(headers, header::HeaderName::from_static(KEY_HEADER)).unwrap_or_default().as_bytes();
    let expected = key.as_bytes();
    let differs = given.len() != expected.len()
        || given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0;
    if differs {
        return Err(Refusal(
            "this console listens beyond loopback: open the URL its banner printed (it carries the key)",
        ));
    }
    Ok(())
}

/// Checks a request against the port the console listens on.
pub fn check(method: &Method, headers: &HeaderMap, port: u16) -> Result<(), Refusal> {
    let host = one(headers, header::HOST).ok_or(Refusal("the Host header is missing or repeated"))?;
    if !is_own_host(host, port) {
        return Err(Refusal(
            "the Host header does not name this console (an IP address or localhost, and its port)",
        ));
    }
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    let origin =
        one(headers, header::ORIGIN).ok_or(Refusal("a state-changing request needs an Origin header"))?;
    if origin.strip_prefix("http://") != Some(host) {
        return Err(Refusal("the request comes from another origin than this console's page"));
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(Refusal("the request comes from another site than this console's page"));
        }
    }
    let json = one(headers, header::CONTENT_TYPE)
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refusal("the body must be sent as application/json"));
    }
    Ok(())
}

/// Checks a webhook's request: this server's `Host`, from a loopback peer. No `Origin`: Plaid is
/// no browser page. What proves the sender is the signature, checked before the body is read.
pub fn check_webhook(headers: &HeaderMap, port: u16, peer: Option<SocketAddr>) -> Result<(), Refusal> {
    if !peer.is_some_and(|p| p.ip().is_loopback()) {
        return Err(Refusal("webhooks are received from this machine only"));
    }
    let host = one(headers, header::HOST).ok_or(Refusal("the Host header is missing or repeated"))?;
    if !is_own_host(host, port) {
        return Err(Refusal(
            "the Host header does not name this console (an IP address or localhost, and its port)",
        ));
    }
    Ok(())
}

fn one(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?.to_str().ok()?;
    values.next().is_none().then_some(value)
}

/// `127.0.0.1:PORT`, `[::1]:PORT`, `localhost:PORT`, or another IP literal with this port (when
/// the console was bound beyond loopback): never a DNS name an attacker could control.
fn is_own_host(host: &str, port: u16) -> bool {
    let Some((name, host_port)) = host.rsplit_once(':') else { return false };
    if host_port.parse::<u16>() != Ok(port) {
        return false;
    }
    let bracketed = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
    match bracketed {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_key_must_match_exactly() {
        let key = new_key().unwrap();
        assert_eq!(key.len(), 64);
        assert_ne!(key, new_key().unwrap());
        let mut ok = HeaderMap::new();
        ok.insert(KEY_HEADER, HeaderValue::from_str(&key).unwrap());
        assert_eq!(has_key(&ok, &key), Ok(()));
        for bad in [String::new(), key[..63].to_owned(), format!("{key}0"), key.to_uppercase()] {
            let mut headers = HeaderMap::new();
            headers.insert(KEY_HEADER, HeaderValue::from_str(&bad).unwrap());
            assert!(has_key(&headers, &key).is_err(), "{bad}");
        }
        assert!(has_key(&HeaderMap::new(), &key).is_err());
    }

    #[test]
    fn hosts_must_be_addresses_or_localhost_with_our_port() {
        for ok in ["127.0.0.1:8788", "localhost:8788", "[::1]:8788", "192.0.2.7:8788"] {
            assert!(is_own_host(ok, 8788), "{ok}");
        }
        for bad in
            ["127.0.0.1:8789", "evil.example:8788", "127.0.0.1", "localhost.evil.example:8788", "[::1]", ""]
        {
            assert!(!is_own_host(bad, 8788), "{bad}");
        }
    }

    #[test]
    fn webhooks_come_from_this_machine_to_our_host_without_an_origin() {
        let loopback = Some(SocketAddr::from(([127, 0, 0, 1], 40_000)));
        let own = headers(&[("host", "127.0.0.1:9")]);
        assert_eq!(check_webhook(&own, 9, loopback), Ok(()));
        assert!(check_webhook(&own, 9, Some(SocketAddr::from(([192, 0, 2, 7], 40_000)))).is_err());
        assert!(check_webhook(&own, 9, None).is_err());
        assert!(check_webhook(&headers(&[("host", "rebound.example:9")]), 9, loopback).is_err());
        assert!(check_webhook(&headers(&[("host", "127.0.0.1:10")]), 9, loopback).is_err());
    }

    #[test]
    fn posts_need_our_origin_and_json() {
        let own =
            [("host", "127.0.0.1:9"), ("origin", "http://127.0.0.1:9"), ("content-type", "application/json")];
        assert_eq!(check(&Method::POST, &headers(&own), 9), Ok(()));
        assert_eq!(check(&Method::GET, &headers(&[("host", "localhost:9")]), 9), Ok(()));
        let cases: [&[(&str, &str)]; 6] = [
            &[("host", "127.0.0.1:9"), ("content-type", "application/json")],
            &[
                ("host", "127.0.0.1:9"),
                ("origin", "http://evil.example"),
                ("content-type", "application/json"),
            ],
            &[
                ("host", "127.0.0.1:9"),
                ("origin", "http://localhost:9"),
                ("content-type", "application/json"),
            ],
            &[("host", "127.0.0.1:9"), ("origin", "http://127.0.0.1:9"), ("content-type", "text/plain")],
            &[("host", "127.0.0.1:9"), ("host", "127.0.0.1:9"), ("origin", "http://127.0.0.1:9")],
            &[
                ("host", "127.0.0.1:9"),
                ("origin", "http://127.0.0.1:9"),
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site"),
            ],
        ];
        for case in cases {
            assert!(check(&Method::POST, &headers(case), 9).is_err(), "{case:?}");
        }
        assert!(check(&Method::GET, &headers(&[("host", "rebound.example:9")]), 9).is_err());
    }
}
