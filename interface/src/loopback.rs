//! Where plain, unencrypted traffic may go: this machine only. The plugin sends credentials over
//! plain HTTP only to a loopback `base_url`; a Temporal worker speaks plain gRPC only to a
//! loopback server. Anything else needs TLS.

use std::net::{IpAddr, Ipv6Addr};

/// `localhost` (any case) or a loopback address (127.0.0.0/8, `::1`), an IPv6 one with or
/// without the brackets a URL puts around it. A name that merely resolves to loopback is not: a
/// resolver can be told to answer anything.
pub fn is_loopback(host: &str) -> bool {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()),
        None => {
            host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_only() {
        for host in ["localhost", "LocalHost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in
            ["10.0.0.1", "sandbox.plaid.com", "localhost.example.com", "[127.0.0.1]", "::2", "", "[::1"]
        {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
