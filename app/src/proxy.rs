//! What a reverse proxy in front tells us, and how far to believe it: the client's address
//! (from `X-Forwarded-For`) and whether the visitor used HTTPS (`X-Forwarded-Proto`).
//!
//! A client can write anything into `X-Forwarded-For`; each proxy appends the address it saw.
//! So with `hops` trusted proxies in front, the right-most `hops` entries were written by them,
//! and the client is the `hops`-th entry from the right, never the left-most.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// Whether a proxy is trusted, and how many stand in front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyTrust {
    pub trusted: bool,
    pub hops: u8,
}

impl ProxyTrust {
    pub const NONE: ProxyTrust = ProxyTrust { trusted: false, hops: 1 };

    /// The client's address: the peer's, or the one the outermost trusted proxy saw.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        if !self.trusted {
            return peer;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .collect();
        let hops = usize::from(self.hops.max(1));
        // Fewer entries than proxies: the request passed fewer of them; the left-most entry
        // was still written by one of ours.
        let chosen = entries.len().checked_sub(hops).map_or(entries.first(), |i| entries.get(i));
        chosen.and_then(|entry| address_of(entry)).or(peer)
    }

    /// Whether the visitor reached the site over HTTPS, as a trusted proxy says.
    pub fn forwarded_https(&self, headers: &HeaderMap) -> bool {
        self.trusted
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"))
    }
}

/// The address in one `X-Forwarded-For` entry: `203.0.113.7`, `2001:db8::1`, or with the
/// client's port as some proxies write it, `203.0.113.7:4321` or `[2001:db8::1]:4321`.
fn address_of(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| entry.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn without_trust_the_peer_is_the_client_whatever_the_headers_say() {
        let headers = forwarded(&["6.6.6.6"]);
        assert_eq!(ProxyTrust::NONE.client_ip(&headers, ip("10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn the_client_is_the_address_the_outermost_trusted_proxy_saw_never_the_left_most() {
        let one = ProxyTrust { trusted: true, hops: 1 };
        let spoofed = forwarded(&["1.1.1.1, 203.0.113.7"]);
        assert_eq!(one.client_ip(&spoofed, ip("10.0.0.1")), ip("203.0.113.7"));
        let two = ProxyTrust { trusted: true, hops: 2 };
        let chain = forwarded(&["1.1.1.1", "203.0.113.7, 10.0.0.2"]);
        assert_eq!(two.client_ip(&chain, ip("10.0.0.1")), ip("203.0.113.7"));
        assert_eq!(two.client_ip(&forwarded(&["203.0.113.9"]), None), ip("203.0.113.9"));
        assert_eq!(one.client_ip(&HeaderMap::new(), ip("10.0.0.1")), ip("10.0.0.1"));
        assert_eq!(one.client_ip(&forwarded(&["junk"]), ip("10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn an_entry_with_the_clients_port_names_the_client_not_the_proxy() {
        let one = ProxyTrust { trusted: true, hops: 1 };
        let proxy = ip("10.0.0.1");
        assert_eq!(one.client_ip(&forwarded(&["203.0.113.7:4321"]), proxy), ip("203.0.113.7"));
        let v6 = forwarded(&["[2001:db8::1]:4321"]);
        assert_eq!(one.client_ip(&v6, proxy), ip("2001:db8::1"));
        assert_eq!(one.client_ip(&forwarded(&["[2001:db8::2]"]), proxy), ip("2001:db8::2"));
        assert_eq!(one.client_ip(&forwarded(&["2001:db8::3"]), proxy), ip("2001:db8::3"));
        let two = ProxyTrust { trusted: true, hops: 2 };
        let chain = forwarded(&["198.51.100.1:1, 203.0.113.9:555, 10.0.0.2:80"]);
        assert_eq!(two.client_ip(&chain, proxy), ip("203.0.113.9"));
    }

    #[test]
    fn https_is_believed_only_from_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(ProxyTrust { trusted: true, hops: 1 }.forwarded_https(&headers));
        assert!(!ProxyTrust::NONE.forwarded_https(&headers));
    }
}
