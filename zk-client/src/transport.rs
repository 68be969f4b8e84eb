//! The byte stream under a connection: plain TCP, or TLS over it. One type for both, so the
//! connection task, the frame codec and the read-only probe are written once.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

#[cfg(feature = "tls")]
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{timeout_at, Instant};
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

use crate::tls::{TlsFailure, TlsOptions};

/// A connected stream to a server.
#[derive(Debug)]
pub(crate) enum Stream {
    Plain(TcpStream),
    /// Boxed: the TLS state is large and most sessions are plain.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Stream::Plain(s) => s.peer_addr(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.get_ref().0.peer_addr(),
        }
    }
}

/// Why a connection attempt failed.
#[derive(Debug)]
pub(crate) struct OpenFailure {
    /// The host (and the address tried, when one was).
    pub(crate) server: String,
    pub(crate) why: String,
    /// Set when the TLS handshake (or its configuration) failed.
    pub(crate) tls: Option<TlsFailure>,
}

impl std::fmt::Display for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.server, self.why)
    }
}

/// Resolves a host (picking one of its addresses at random), connects, and when `tls` is set
/// runs the TLS handshake, all within `limit` (the name lookup too).
/// The address of a name's `addrs` (in the resolver's order) to try on the `turn`th pass over
/// the hosts: each in turn, so that a name with a dead address still reaches the live ones.
fn address_for_turn(addrs: &[SocketAddr], turn: usize) -> Option<SocketAddr> {
    if addrs.is_empty() {
        return None;
    }
    addrs.get(turn % addrs.len()).copied()
}

/// Opens a connection to `host:port`: the name is resolved again on every attempt and, on the
/// `turn`th pass over the hosts, its `turn`th address (modulo their number) is tried.
pub(crate) async fn open(
    (host, port): (String, u16),
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
    turn: usize,
) -> Result<Stream, OpenFailure> {
    let fail = |server: String, why: String| OpenFailure {
        server,
        why,
        tls: None,
    };
    let name = format!("{host}:{port}");
    // The name lookup, the TCP connect and the TLS handshake share the one limit.
    let deadline = crate::deadline::from_now(limit);
    let addrs: Vec<_> = timeout_at(deadline, tokio::net::lookup_host((host.as_str(), port)))
        .await
        .map_err(|_| fail(name.clone(), "name lookup timed out".into()))?
        .map_err(|e| fail(name.clone(), e.to_string()))?
        .collect();
    let addr =
        address_for_turn(&addrs, turn).ok_or_else(|| fail(name.clone(), "no address".into()))?;
    let server = if addr.ip().to_string() == host {
        name.clone()
    } else {
        format!("{name} ({addr})")
    };
    let stream = timeout_at(deadline, TcpStream::connect(addr))
        .await
        .map_err(|_| fail(server.clone(), "connect timed out".into()))?
        .map_err(|e| fail(server.clone(), e.to_string()))?;
    // Connecting to a local port nobody listens on can pick that very port as the source and
    // connect the socket to itself (TCP simultaneous open): the client would read its own
    // handshake back. That is no server.
    if stream.local_addr().ok() == Some(addr) {
        return Err(fail(
            server,
            "connected to itself (nothing listens there)".into(),
        ));
    }
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        return Ok(Stream::Plain(stream));
    };
    handshake(stream, &tls, &host, server, deadline).await
}

/// The TLS handshake on a connected stream, by `deadline`.
#[cfg(feature = "tls")]
async fn handshake(
    stream: TcpStream,
    tls: &TlsOptions,
    host: &str,
    server: String,
    deadline: Instant,
) -> Result<Stream, OpenFailure> {
    let tls_fail = |server: String, failure: TlsFailure| OpenFailure {
        server,
        why: format!("TLS: {failure}"),
        tls: Some(failure),
    };
    let config = tls
        .client_config()
        .map_err(|f| tls_fail(server.clone(), f))?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let server_name = ServerName::try_from(bare.to_string()).map_err(|e| {
        tls_fail(
            server.clone(),
            TlsFailure::Config(format!("{bare} is not a name TLS can verify: {e}")),
        )
    })?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let handshake = timeout_at(deadline, connector.connect(server_name, stream));
    match handshake.await {
        Err(_) => Err(tls_fail(
            server,
            TlsFailure::Other("no TLS handshake within the connect timeout".into()),
        )),
        Ok(Err(e)) => Err(tls_fail(
            server,
            TlsFailure::of_handshake(&e, bare, tls.has_identity()),
        )),
        Ok(Ok(s)) => Ok(Stream::Tls(Box::new(s))),
    }
}

/// Without the `tls` feature there are no TLS options to hand here.
#[cfg(not(feature = "tls"))]
async fn handshake(
    _: TcpStream,
    tls: &TlsOptions,
    _: &str,
    _: String,
    _: Instant,
) -> Result<Stream, OpenFailure> {
    tls.absent()
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_of_a_name_gets_its_turn() {
        let a: SocketAddr = "127.0.0.1:2181".parse().unwrap();
        let b: SocketAddr = "[::1]:2181".parse().unwrap();
        let picks: Vec<_> = (0..4).map(|t| address_for_turn(&[a, b], t)).collect();
        assert_eq!(picks, [Some(a), Some(b), Some(a), Some(b)]);
        assert_eq!(address_for_turn(&[a], 7), Some(a));
        assert_eq!(address_for_turn(&[], 0), None);
    }
}
