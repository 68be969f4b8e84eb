//! Connected read-only: looking for a server that serves writes among the others.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep;
use tracing::debug;

use crate::calls::Calls;
use crate::four_letter;
use crate::tls::TlsOptions;

/// Connected read-only to `server`: a search for a read-write server among the other hosts
/// (boxed: an idle read-write session should not carry it); none when there is no other.
pub(crate) fn probe(
    shared: &Calls,
    server: Option<SocketAddr>,
    tls: Option<Arc<TlsOptions>>,
) -> Option<std::pin::Pin<Box<impl std::future::Future<Output = usize>>>> {
    let (others, limit) = {
        let core = shared.lock();
        let hosts = core.session.hosts().iter().cloned().enumerate();
        let others: Vec<(usize, (String, u16))> =
            hosts.filter(|(_, host)| !is_server(host, server)).collect();
        (others, core.session.timeouts().connect())
    };
    if others.is_empty() {
        return None;
    }
    Some(Box::pin(find_read_write(others, limit, tls)))
}

/// Whether `host` names the server at `addr` (by address; names are not resolved again).
fn is_server(host: &(String, u16), addr: Option<SocketAddr>) -> bool {
    let Some(addr) = addr else { return false };
    host.1 == addr.port()
        && host
            .0
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == addr.ip())
}

/// Asks `hosts` in turn whether they serve writes (the `isro` four-letter word), from 100 ms
/// apart doubling up to 10 s, until one answers `rw`; returns its index.
async fn find_read_write(
    hosts: Vec<(usize, (String, u16))>,
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
) -> usize {
    let mut delay = Duration::from_millis(100);
    loop {
        sleep(delay).await;
        for (index, host) in &hosts {
            if is_read_write(host.clone(), limit, tls.clone()).await {
                debug!("{}:{} serves writes", host.0, host.1);
                return *index;
            }
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn is_read_write(
    (host, port): (String, u16),
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
) -> bool {
    // The answer is "rw" or "ro": a peer that streams more is not a ZooKeeper server, and
    // reading stops after a few bytes instead of buffering whatever it sends.
    matches!(
        four_letter::ask(&host, port, "isro", tls, limit, ISRO_REPLY_LIMIT).await,
        Ok(reply) if reply == b"rw"
    )
}

/// The most bytes read of an `isro` answer.
const ISRO_REPLY_LIMIT: usize = 16;
