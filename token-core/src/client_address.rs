//! Which address a request comes from, for per-client limits.
//!
//! The socket's peer, unless that peer is one of the operator's trusted proxies: then the
//! nearest address the proxies recorded in `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For`. Those headers are written by whoever sends the request, so they are
//! believed only as far back as the chain of trusted proxies reaches: the rightmost address
//! that is not a trusted proxy is the client.
//!
//! Written here rather than taken from a crate: the few crates that parse these headers
//! either trust every hop or belong to one framework.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The proxies whose forwarding headers are believed (`TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Proxies at these addresses and networks.
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self(networks.into_iter().collect())
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The client's address: `peer`, or what trusted proxies say about the hops before them.
    /// `forwarded` and `x_forwarded_for` are every line of those headers, in order.
    pub fn client(&self, peer: IpAddr, forwarded: &[&[u8]], x_forwarded_for: &[&[u8]]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // `Forwarded` is the standard; a proxy that writes it is the one to believe.
        let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
            list_items(x_forwarded_for).map(parse_node).collect()
        } else {
            list_items(forwarded)
                .map(|element| forwarded_for(element).and_then(parse_node))
                .collect()
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(address) => {
                    client = address.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                // An obfuscated or unknown hop ends what can be known: the client is the
                // nearest address seen, as good a key as any for everyone behind that hop.
                None => break,
            }
        }
        client
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of addresses (`10.0.0.7`) and networks (`10.0.0.0/8`).
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

/// The comma-separated items of every line, in order.
fn list_items<'a>(lines: &'a [&'a [u8]]) -> impl DoubleEndedIterator<Item = &'a str> + 'a {
    lines
        .iter()
        .flat_map(|line| std::str::from_utf8(line).unwrap_or("").split(','))
        .map(str::trim)
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.60;proto=http;by=...`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// A node as proxies write it: `192.0.2.60`, `192.0.2.60:4711`, `[2001:db8::1]:4711`,
/// `[2001:db8::1]` or `2001:db8::1`; `unknown` and obfuscated names are `None`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(bracketed) = node.strip_prefix('[') {
        return bracketed.split_once(']')?.0.parse().ok();
    }
    node.parse().ok().or_else(|| {
        let (address, port) = node.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        address.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().expect("valid list")
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        let claim: &[&[u8]] = &[b"198.51.100.1"];
        assert_eq!(
            none.client(ip("203.0.113.9"), &[], claim),
            ip("203.0.113.9")
        );
        let other = proxies("10.0.0.0/8");
        assert_eq!(
            other.client(ip("203.0.113.9"), claim, claim),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8, 192.168.1.1");
        let lines: &[&[u8]] = &[b"1.1.1.1, 203.0.113.9", b"10.1.2.3"];
        // A spoofed first hop (1.1.1.1) is ignored: 203.0.113.9 reached a trusted proxy.
        assert_eq!(
            trusted.client(ip("192.168.1.1"), &[], lines),
            ip("203.0.113.9")
        );
        // Only trusted hops: the leftmost is as far as can be known.
        let all_trusted: &[&[u8]] = &[b"10.0.0.1, 10.0.0.2"];
        assert_eq!(
            trusted.client(ip("10.9.9.9"), &[], all_trusted),
            ip("10.0.0.1")
        );
        // No header at all: the proxy itself.
        assert_eq!(trusted.client(ip("10.9.9.9"), &[], &[]), ip("10.9.9.9"));
    }

    #[test]
    fn forwarded_wins_and_reads_every_node_form() {
        let trusted = proxies("127.0.0.1/32,::1");
        let xff: &[&[u8]] = &[b"198.51.100.7"];
        for (forwarded, client) in [
            (
                &b"for=192.0.2.60;proto=http;by=203.0.113.43"[..],
                "192.0.2.60",
            ),
            (b"For=\"192.0.2.60:4711\"", "192.0.2.60"),
            (b"for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            (b"for=\"[2001:db8:cafe::17]\"", "2001:db8:cafe::17"),
            (b"for=192.0.2.43, for=\"[::1]\"", "192.0.2.43"),
            (b"for=192.0.2.43, for=unknown", "127.0.0.1"),
            (b"for=_hidden, for=198.51.100.17", "198.51.100.17"),
            (b"by=203.0.113.43", "127.0.0.1"),
        ] {
            assert_eq!(
                trusted.client(ip("127.0.0.1"), &[forwarded], xff),
                ip(client),
                "{}",
                String::from_utf8_lossy(forwarded)
            );
        }
    }

    #[test]
    fn mapped_addresses_are_their_ipv4_selves() {
        let trusted = proxies("127.0.0.1");
        let xff: &[&[u8]] = &[b"::ffff:203.0.113.9"];
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &[], xff),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn lists_refuse_what_is_not_an_address() {
        assert_eq!(proxies(""), TrustedProxies::default());
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        let err = "10.0.0.1, proxy.local"
            .parse::<TrustedProxies>()
            .expect_err("a host name is not an address");
        assert!(err.contains("proxy.local"), "{err}");
    }
}
