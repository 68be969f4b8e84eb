//! Following the ensemble's membership: the servers listed in `/zookeeper/config` (kept by
//! ZooKeeper 3.5+ through `reconfig`) become the client's server list, as Curator's
//! `EnsembleTracker` does.

use std::sync::Weak;
use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::client::{Client, Inner};
use crate::error::Error;
use crate::server_list::Host;

/// The client addresses of the members in a dynamic configuration (`/zookeeper/config`):
/// from each `server.N=addr:quorum:election[:role];[clientAddr:]clientPort` line, the client
/// address and port, or the member's address when the client address is a wildcard (`0.0.0.0`,
/// `::`) or absent. Members without a client port (no `;...`) serve no clients and are left
/// out; so are lines that are not `server.N`.
///
/// ```
/// let config = b"server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
///                server.2=10.0.0.2:2888:3888:observer;10.0.1.2:2182\nversion=100000000";
/// let hosts = zk_client::servers_of_config(config)?;
/// assert_eq!(hosts, [("10.0.0.1".to_string(), 2181), ("10.0.1.2".to_string(), 2182)]);
/// # Ok::<(), zk_client::Error>(())
/// ```
pub fn servers_of_config(config: &[u8]) -> Result<Vec<Host>, Error> {
    let text = std::str::from_utf8(config)
        .map_err(|_| Error::protocol("the configuration is not UTF-8"))?;
    let bad = |line: &str, why: &str| Error::protocol(format!("config line {line:?}: {why}"));
    let mut hosts = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !key.starts_with("server.") {
            continue;
        }
        let Some((member, client)) = value.split_once(';') else {
            continue;
        };
        let member_addr = address_part(member).ok_or_else(|| bad(line, "no member address"))?;
        let (client_addr, port) = match client.rsplit_once(':') {
            Some((addr, port)) => (Some(addr.trim_matches(|c| c == '[' || c == ']')), port),
            None => (None, client),
        };
        let port: u16 = port
            .trim()
            .parse()
            .map_err(|_| bad(line, "the client port is not a port number"))?;
        let host = match client_addr.map(str::trim) {
            Some(a) if !a.is_empty() && !is_wildcard(a) => a,
            _ => member_addr,
        };
        hosts.push((host.to_string(), port));
    }
    Ok(hosts)
}

/// The address of `addr:port:port[:role]` (`[v6]:port:port` too); `None` when empty.
fn address_part(member: &str) -> Option<&str> {
    let member = member.trim();
    let addr = match member.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map(|(a, _)| a),
        None => member.split(':').next(),
    };
    addr.map(str::trim).filter(|a| !a.is_empty())
}

fn is_wildcard(addr: &str) -> bool {
    addr.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_unspecified())
}

/// A running [`Client::track_ensemble`]; tracking stops when it is dropped, or when the session
/// ends.
#[derive(Debug)]
pub struct EnsembleTracker {
    task: JoinHandle<()>,
}

impl Drop for EnsembleTracker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Client {
    /// Follows the ensemble's membership: reads `/zookeeper/config` with a watch, and each
    /// time it changes (a `reconfig` added or removed members) makes the servers it lists
    /// this client's server list, with [`Client::update_server_list`]'s rebalancing. The
    /// tracker holds no handle of its own: when every [`Client`] is dropped, the session ends
    /// as before. A configuration that cannot be read or lists no client port is logged and
    /// the list left as it is.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), zk_client::Error> {
    /// let zk = zk_client::Client::connect("zk1:2181").await?;
    /// let _tracker = zk.track_ensemble(); // zk2 and zk3 too, from the configuration
    /// # Ok(()) }
    /// ```
    pub fn track_ensemble(&self) -> EnsembleTracker {
        let weak = std::sync::Arc::downgrade(&self.inner);
        EnsembleTracker {
            task: tokio::spawn(track(weak)),
        }
    }
}

async fn track(client: Weak<Inner>) {
    loop {
        // A strong handle only while asking: the tracker must not keep the session alive.
        let Some(inner) = client.upgrade() else {
            return;
        };
        let zk = Client {
            inner,
            deadline: None,
        };
        let asked = zk.get_config_watch();
        drop(zk);
        let (config, changed) = match asked.await {
            Ok((config, _, changed)) => (config, changed),
            Err(Error::SessionExpired | Error::Closed | Error::AuthFailed) => return,
            Err(e) => {
                debug!("reading the ensemble's configuration: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        match servers_of_config(&config) {
            Ok(hosts) if !hosts.is_empty() => {
                let Some(inner) = client.upgrade() else {
                    return;
                };
                let zk = Client {
                    inner,
                    deadline: None,
                };
                let mut known = zk.servers();
                let mut listed = hosts.clone();
                known.sort();
                listed.sort();
                if known != listed {
                    info!("the ensemble's configuration lists {hosts:?}");
                    zk.inner.shared.update_hosts(hosts);
                }
            }
            Ok(_) => warn!("the ensemble's configuration lists no client port; list kept"),
            Err(e) => warn!("the ensemble's configuration: {e}; list kept"),
        }
        if changed.await.is_err() {
            // The watch ended with the session, or was dropped: ask again (the loop ends
            // when the session has).
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[(&str, u16)]) -> Vec<Host> {
        list.iter().map(|(h, p)| ((*h).to_string(), *p)).collect()
    }

    #[test]
    fn client_addresses_wildcards_and_members_without_clients() {
        let config = b"server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n\
            server.2=zk2.example.com:2888:3888:participant;0.0.0.0:2182\n\
            server.3=[fe80::3]:2888:3888:observer;[::]:2183\n\
            server.4=10.0.0.4:2888:3888:participant\n\
            server.5=10.0.0.5:2888:3888;2185\n\
            version=100000000\n";
        assert_eq!(
            servers_of_config(config).unwrap(),
            hosts(&[
                ("127.0.0.1", 2181),
                ("zk2.example.com", 2182),
                ("fe80::3", 2183),
                ("10.0.0.5", 2185),
            ])
        );
        assert_eq!(servers_of_config(b"").unwrap(), hosts(&[]));
    }

    #[test]
    fn an_empty_member_address_is_named_not_taken() {
        // Found by the ensemble_config fuzz target: `[]` gave an empty host.
        for line in [
            &b"server.1=[]:2888:3888;2181"[..],
            b"server.1= :2888:3888;2181",
        ] {
            let e = servers_of_config(line).unwrap_err();
            assert!(e.to_string().contains("no member address"), "{e}");
        }
    }

    #[test]
    fn a_bad_port_or_bytes_are_named() {
        let e = servers_of_config(b"server.1=a:1:2;a:99999").unwrap_err();
        assert!(e.to_string().contains("client port"), "{e}");
        assert!(servers_of_config(b"\xff").is_err());
    }
}
