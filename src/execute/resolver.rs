//! Host names to addresses, once per name and lifetime, not once per call.
//!
//! ureq resolves before every call, pooled connection or not, and its resolver runs the system's
//! lookup on a thread of its own whenever the call has a timeout (ours always does): a thread
//! spawned, and its stack and malloc arena set up, per call, even for an IP literal. Here:
//! - an IP literal (`http://127.0.0.1:8080`, `https://[::1]`) is its own answer;
//! - `localhost` is loopback, never looked up: plain HTTP may go to it with the credentials, and
//!   in an image whose hosts file lacks the entry the system would ask DNS where to send them;
//! - a name is looked up by ureq's resolver (within the call's timeout) and the answer kept for
//!   [`TTL`]. The system's resolver does not tell a record's lifetime, so the time is short, under
//!   the minute DNS records of API hosts behind load balancers usually live; a pooled connection
//!   goes on to its address regardless, so only new connections ever use an entry.
//! - at most [`CAPACITY`] names are kept: an engine talks to one Plaid host (two with a test).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use ureq::{
    config::Config,
    http::Uri,
    unversioned::{
        resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver},
        transport::NextTimeout,
    },
    Error,
};

pub const TTL: Duration = Duration::from_secs(30);
pub const CAPACITY: usize = 8;

#[derive(Debug, Default)]
pub struct Caching<R = DefaultResolver> {
    system: R,
    /// Name and port, the addresses, and when they were looked up.
    cache: Mutex<Vec<(String, ResolvedSocketAddrs, Instant)>>,
}

impl Caching {
    /// In front of ureq's resolver, the system's lookup.
    pub fn new() -> Self {
        Caching::default()
    }
}

impl<R: Resolver> Resolver for Caching<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let (Some(authority), Some(port)) = (uri.authority(), port(uri)) else {
            // Malformed or an unknown scheme: ureq's resolver says which, in its words.
            return self.system.resolve(uri, config, timeout);
        };
        let host = authority.host();
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        if host.eq_ignore_ascii_case("localhost") {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port));
            addrs.push(SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        let now = Instant::now();
        {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.retain(|(_, _, at)| now.duration_since(*at) < TTL);
            if let Some((_, addrs, _)) = cache.iter().find(|(name, ..)| *name == key) {
                return Ok(addrs.clone());
            }
        }
        // Looked up without the lock: a slow lookup must not hold up calls to other hosts.
        let addrs = self.system.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CAPACITY {
            cache.remove(0);
        }
        cache.push((key, addrs.clone(), now));
        Ok(addrs)
    }
}

fn port(uri: &Uri) -> Option<u16> {
    uri.port_u16().or_else(|| match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use ureq::unversioned::transport::time::Duration as UreqDuration;

    use super::*;

    /// The system's resolver as the tests see it: every name is at 192.0.2.7, and each lookup counted.
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl Resolver for Counting {
        fn resolve(&self, uri: &Uri, _: &Config, _: NextTimeout) -> Result<ResolvedSocketAddrs, Error> {
            self.0.fetch_add(1, Ordering::SeqCst);
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new([192, 0, 2, 7].into(), port(uri).unwrap()));
            Ok(addrs)
        }
    }

    fn resolve<R: Resolver>(resolver: &Caching<R>, url: &str) -> Result<Vec<SocketAddr>, Error> {
        let timeout = NextTimeout {
            after: UreqDuration::Exact(Duration::from_secs(5)),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        let uri: Uri = url.parse().unwrap();
        resolver.resolve(&uri, &Config::default(), timeout).map(|a| a.iter().copied().collect())
    }

    fn lookups(resolver: &Caching<Counting>) -> usize {
        resolver.system.0.load(Ordering::SeqCst)
    }

    #[test]
    fn ip_literals_and_localhost_answer_themselves_and_names_are_kept() {
        let resolver = Caching::<Counting>::default();
        assert_eq!(
            resolve(&resolver, "http://127.0.0.1:8080/x").unwrap(),
            ["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(resolve(&resolver, "https://[::1]/x").unwrap(), ["[::1]:443".parse().unwrap()]);
        // Never the system's answer: DNS must not decide where plain HTTP takes the secret.
        for url in ["http://localhost:9/", "http://LocalHost:9/x"] {
            let addrs = resolve(&resolver, url).unwrap();
            assert_eq!(addrs, ["127.0.0.1:9".parse().unwrap(), "[::1]:9".parse().unwrap()], "{url}");
        }
        assert_eq!(lookups(&resolver), 0, "a literal or localhost is not a lookup");
        assert!(resolver.cache.lock().unwrap().is_empty());

        let first = resolve(&resolver, "https://sandbox.plaid.test/").unwrap();
        assert_eq!(first, ["192.0.2.7:443".parse().unwrap()]);
        assert_eq!(resolve(&resolver, "https://sandbox.plaid.test/other").unwrap(), first, "kept");
        assert_eq!(lookups(&resolver), 1);
        // Another port is another entry: the addresses carry the port.
        let other = resolve(&resolver, "https://sandbox.plaid.test:8443/").unwrap();
        assert!(other.iter().all(|a| a.port() == 8443));
        assert_eq!(lookups(&resolver), 2);
    }

    #[test]
    fn the_cache_is_bounded_and_forgets_old_answers() {
        let resolver = Caching::<Counting>::default();
        for port in 0..(CAPACITY as u16 + 3) {
            resolve(&resolver, &format!("https://plaid.test:{}/", 1000 + port)).unwrap();
        }
        assert_eq!(resolver.cache.lock().unwrap().len(), CAPACITY);
        // An entry older than the TTL is looked up again, not served.
        resolver.cache.lock().unwrap().iter_mut().for_each(|(_, addrs, at)| {
            *addrs = ResolvedSocketAddrs::from_fn(|_| "0.0.0.0:0".parse().unwrap());
            addrs.push("198.51.100.1:1".parse().unwrap());
            *at -= TTL;
        });
        let before = lookups(&resolver);
        let fresh = resolve(&resolver, "https://plaid.test:1010/").unwrap();
        assert_eq!(fresh, ["192.0.2.7:1010".parse().unwrap()]);
        assert_eq!(lookups(&resolver), before + 1);
    }

    #[test]
    fn bad_urls_are_refused_in_ureqs_words() {
        assert!(matches!(
            resolve(&Caching::<DefaultResolver>::default(), "ftp://example/"),
            Err(Error::BadUri(_))
        ));
    }
}
