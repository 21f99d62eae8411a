//! Which address a request comes from, for per-client limits.
//!
//! The socket's peer, unless that peer is one of the operator's trusted proxies: then the
//! nearest address the proxies recorded in the one header the operator names
//! (`TRUSTED_PROXY_HEADER`: `X-Forwarded-For` by default, or `Forwarded`, RFC 7239). Only
//! that header is read: proxies append to the header they write and pass the other one
//! through as the client sent it, so reading both would let a client choose its address.
//! The header is believed only as far back as the chain of trusted proxies reaches: the
//! rightmost address that is not a trusted proxy is the client. An entry that is not an
//! address (`unknown`, `_hidden`, garbage) ends the walk at the last trusted hop.
//!
//! Written here rather than taken from a crate: the few crates that parse these headers
//! either trust every hop, fall back from one header to the other, or belong to one
//! framework.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The header trusted proxies name the client in (`TRUSTED_PROXY_HEADER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyHeader {
    /// `X-Forwarded-For`, which nginx, ingress-nginx, Envoy and cloud load balancers append to.
    #[default]
    XForwardedFor,
    /// `Forwarded` (RFC 7239), for proxies configured to append to it.
    Forwarded,
}

/// The proxies whose forwarding header is believed (`TRUSTED_PROXIES`), and which header
/// that is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Proxies at these addresses and networks, naming clients in `X-Forwarded-For`.
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self {
            networks: networks.into_iter().collect(),
            header: ProxyHeader::default(),
        }
    }

    /// The same proxies, naming clients in `header`.
    #[must_use]
    pub fn reading(mut self, header: ProxyHeader) -> Self {
        self.header = header;
        self
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }

    /// The client's address: `peer`, or what trusted proxies say about the hops before them.
    /// `forwarded` and `x_forwarded_for` are every line of those headers, in order; only the
    /// one [`TrustedProxies::header`] names is read.
    pub fn client(&self, peer: IpAddr, forwarded: &[&[u8]], x_forwarded_for: &[&[u8]]) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Box<dyn DoubleEndedIterator<Item = Option<IpAddr>> + '_> = match self.header {
            ProxyHeader::XForwardedFor => Box::new(list_items(x_forwarded_for).map(parse_node)),
            ProxyHeader::Forwarded => Box::new(
                list_items(forwarded).map(|element| forwarded_for(element).and_then(parse_node)),
            ),
        };
        let mut client = peer;
        for hop in hops.rev() {
            match hop {
                Some(address) => {
                    client = address.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                // An entry that is not an address ends what can be known: the client is the
                // last trusted hop, never an entry further left, which anyone could write.
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
            .map(Self::new)
    }
}

/// The comma-separated items of every line, in order, empty ones skipped (RFC 9110 §5.6.1).
/// Items are split before they are decoded: a proxy appends to the client's own line, so a
/// byte that is not UTF-8 spoils only the client's item, never the proxy's.
fn list_items<'a>(lines: &'a [&'a [u8]]) -> impl DoubleEndedIterator<Item = &'a str> + 'a {
    lines
        .iter()
        .flat_map(|line| line.split(|&byte| byte == b','))
        .map(|item| std::str::from_utf8(item).unwrap_or("\u{fffd}").trim())
        .filter(|item| !item.is_empty())
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
        for header in [ProxyHeader::XForwardedFor, ProxyHeader::Forwarded] {
            let other = proxies("10.0.0.0/8").reading(header);
            assert_eq!(
                other.client(ip("203.0.113.9"), &[b"for=198.51.100.1"], claim),
                ip("203.0.113.9")
            );
        }
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

    /// The attack of issue 27: behind a proxy that appends to `X-Forwarded-For`, a client
    /// sends its own `Forwarded` (passed through untouched) to pick its address.
    #[test]
    fn a_client_sent_forwarded_is_ignored_behind_an_x_forwarded_for_proxy() {
        let trusted = proxies("10.0.0.0/8");
        for spoof in [
            &b"for=198.51.100.99"[..],
            b"for=\"[2001:db8::66]:1\"",
            b"for=1.2.3.4, for=5.6.7.8",
        ] {
            assert_eq!(
                trusted.client(ip("10.0.0.2"), &[spoof], &[b"203.0.113.9"]),
                ip("203.0.113.9"),
                "{}",
                String::from_utf8_lossy(spoof)
            );
        }
        // Without `X-Forwarded-For`, the proxy itself: never a fallback to `Forwarded`.
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &[b"for=198.51.100.99"], &[]),
            ip("10.0.0.2")
        );
        // And the other way round: a client's `X-Forwarded-For` behind a `Forwarded` proxy.
        let forwarded = trusted.reading(ProxyHeader::Forwarded);
        assert_eq!(
            forwarded.client(ip("10.0.0.2"), &[b"for=203.0.113.9"], &[b"198.51.100.99"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            forwarded.client(ip("10.0.0.2"), &[], &[b"198.51.100.99"]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn spoofed_entries_left_of_the_proxys_are_never_the_client() {
        let trusted = proxies("10.0.0.0/8");
        // The client sent `X-Forwarded-For: 198.51.100.1, 198.51.100.2`; the proxy appended.
        let lines: &[&[u8]] = &[b"198.51.100.1, 198.51.100.2", b"203.0.113.9"];
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &[], lines),
            ip("203.0.113.9")
        );
        // Several instances are one list, in order.
        let one_line: &[&[u8]] = &[b"198.51.100.1, 198.51.100.2, 203.0.113.9"];
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &[], one_line),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_node_forms_proxies_write_are_read() {
        let xff = proxies("127.0.0.1/32,::1");
        let forwarded = xff.clone().reading(ProxyHeader::Forwarded);
        for (node, client) in [
            ("192.0.2.60", "192.0.2.60"),
            ("192.0.2.60:4711", "192.0.2.60"),
            ("[2001:db8:cafe::17]:4711", "2001:db8:cafe::17"),
            ("[2001:db8:cafe::17]", "2001:db8:cafe::17"),
            ("2001:db8:cafe::17", "2001:db8:cafe::17"),
            ("::ffff:192.0.2.60", "192.0.2.60"),
        ] {
            assert_eq!(
                xff.client(ip("127.0.0.1"), &[], &[node.as_bytes()]),
                ip(client),
                "X-Forwarded-For: {node}"
            );
            for element in [
                format!("for={node}"),
                format!("For=\"{node}\";proto=http;by=203.0.113.43"),
            ] {
                assert_eq!(
                    forwarded.client(ip("127.0.0.1"), &[element.as_bytes()], &[]),
                    ip(client),
                    "Forwarded: {element}"
                );
            }
        }
    }

    #[test]
    fn what_is_not_an_address_stops_at_the_last_trusted_hop() {
        let xff = proxies("10.0.0.0/8");
        let forwarded = xff.clone().reading(ProxyHeader::Forwarded);
        for (element, client) in [
            ("for=198.51.100.1, for=_hidden", "10.0.0.2"),
            ("for=198.51.100.1, for=unknown", "10.0.0.2"),
            ("for=198.51.100.1, for=unknown, for=10.0.0.7", "10.0.0.7"),
            ("for=198.51.100.1, by=10.0.0.7", "10.0.0.2"),
            ("for=_hidden, for=198.51.100.17", "198.51.100.17"),
        ] {
            assert_eq!(
                forwarded.client(ip("10.0.0.2"), &[element.as_bytes()], &[]),
                ip(client),
                "Forwarded: {element}"
            );
        }
        for (list, client) in [
            (&b"198.51.100.1, unknown"[..], "10.0.0.2"),
            (b"198.51.100.1, _hidden, 10.0.0.7", "10.0.0.7"),
            (b"198.51.100.1, 203.0.113.9:http", "10.0.0.2"),
            (b"198.51.100.1, \xff\xfe", "10.0.0.2"),
            // The client's own bytes on the line the proxy appended to spoil only its item.
            (b"\xff, 203.0.113.9", "203.0.113.9"),
            (b"198.51.100.1, , 10.0.0.7", "198.51.100.1"),
        ] {
            assert_eq!(
                xff.client(ip("10.0.0.2"), &[], &[list]),
                ip(client),
                "X-Forwarded-For: {}",
                String::from_utf8_lossy(list)
            );
        }
    }

    #[test]
    fn a_hundred_entries_are_walked_from_the_right() {
        let trusted = proxies("10.0.0.0/8");
        let spoofed: Vec<String> = (0..97)
            .map(|n| format!("198.51.{}.{}", n / 200, n % 200))
            .collect();
        let list = format!("{}, 203.0.113.9, 10.0.0.5, 10.0.0.6", spoofed.join(", "));
        assert_eq!(list.split(',').count(), 100);
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &[], &[list.as_bytes()]),
            ip("203.0.113.9")
        );
        let trusted_chain: Vec<String> = (0..100).map(|n| format!("10.0.1.{n}")).collect();
        assert_eq!(
            trusted.client(ip("10.0.0.2"), &[], &[trusted_chain.join(",").as_bytes()]),
            ip("10.0.1.0")
        );
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

    mod any_input {
        use super::*;
        use proptest::prelude::*;

        fn header_line() -> impl Strategy<Value = Vec<u8>> {
            // Any bytes a header line may hold, and address-like text to make walks long.
            prop_oneof![
                prop::collection::vec(any::<u8>().prop_filter("no line break", |b| *b != b'\r' && *b != b'\n'), 0..64),
                "([0-9a-f:.\\[\\]]{0,12}|for=[0-9.]{0,15}|unknown|_x)(, ?[0-9a-f:.\\[\\]=]{0,15}){0,8}"
                    .prop_map(String::into_bytes),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

            /// Whatever a client writes in either header, behind a proxy that appends the
            /// address it saw to the header it is configured for, that address is the client.
            #[test]
            fn a_client_cannot_choose_its_address(
                xff in prop::collection::vec(header_line(), 0..3),
                forwarded in prop::collection::vec(header_line(), 0..3),
                real in any::<[u8; 4]>(),
                same_line in any::<bool>(),
            ) {
                let real = IpAddr::from(real);
                prop_assume!(!proxies("10.0.0.0/8").trusts(real));
                let peer = ip("10.0.0.2");
                fn as_lines(lines: &[Vec<u8>]) -> Vec<&[u8]> {
                    lines.iter().map(Vec::as_slice).collect()
                }
                // ingress-nginx: `$proxy_add_x_forwarded_for`, the client's value and its own.
                let mut appended_xff = xff.clone();
                match appended_xff.last_mut() {
                    // nginx appends to the client's last line, the same line.
                    Some(line) if same_line => line.extend_from_slice(format!(", {real}").as_bytes()),
                    _ => appended_xff.push(real.to_string().into_bytes()),
                }
                let xff_proxy = proxies("10.0.0.0/8");
                prop_assert_eq!(
                    xff_proxy.client(peer, &as_lines(&forwarded), &as_lines(&appended_xff)),
                    real
                );
                let mut appended_forwarded = forwarded.clone();
                match appended_forwarded.last_mut() {
                    Some(line) if same_line => line.extend_from_slice(format!(", for={real}").as_bytes()),
                    _ => appended_forwarded.push(format!("for={real}").into_bytes()),
                }
                let forwarded_proxy = proxies("10.0.0.0/8").reading(ProxyHeader::Forwarded);
                prop_assert_eq!(
                    forwarded_proxy.client(peer, &as_lines(&appended_forwarded), &as_lines(&xff)),
                    real
                );
            }
        }
    }
}
