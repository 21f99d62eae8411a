//! `--health-check`: `GET /healthz` on the server's own address, for container health
//! checks.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

/// `GET /healthz` on the server's own host and port: exit 0 on a 200, 1 otherwise.
///
/// Written on `std::net` because a container health check must work in an image with no
/// shell or curl, and one request does not justify an HTTP client in the server.
pub fn health_check(listen: SocketAddr) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;
    let address = SocketAddr::new(probed_host(listen.ip()), listen.port());
    let probe = || -> io::Result<bool> {
        let mut stream = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"))
    };
    match probe() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("unhealthy: GET /healthz on {address} did not answer 200");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("unhealthy: GET /healthz on {address}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The address that reaches a server listening on `host`: the host itself, or for every
/// interface (`0.0.0.0`, `::`) the loopback of the same family.
pub fn probed_host(host: IpAddr) -> IpAddr {
    match host {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        host => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_check_probes_the_listening_host() {
        for (listening, probed) in [
            ("0.0.0.0", "127.0.0.1"),
            ("::", "::1"),
            ("::1", "::1"),
            ("127.0.0.1", "127.0.0.1"),
            ("192.0.2.7", "192.0.2.7"),
            ("2001:db8::7", "2001:db8::7"),
        ] {
            let listening: IpAddr = listening.parse().expect("an address");
            let probed: IpAddr = probed.parse().expect("an address");
            assert_eq!(probed_host(listening), probed, "{listening}");
        }
    }
}
