//! Shared setup: a real server per test, and a connected client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking
#![allow(dead_code)]

use std::time::Duration;

use zk_client::{Client, ClientBuilder};
use zk_testkit::TestServer;

pub fn server() -> TestServer {
    TestServer::start().expect("a real ZooKeeper must start (scripts/install-zookeeper.sh)")
}

pub async fn client(server: &TestServer) -> Client {
    connect(server, "").await
}

/// A client under `chroot` (e.g. `/app`, or "" for none), creating the chroot node first.
pub async fn client_at(server: &TestServer, chroot: &str) -> Client {
    if !chroot.is_empty() {
        let root = connect(server, "").await;
        match root
            .create(chroot, b"", &zk_client::CreateOptions::default())
            .await
        {
            Ok(_) | Err(zk_client::Error::NodeExists) => {}
            Err(e) => panic!("creating the chroot {chroot}: {e}"),
        }
        root.close().await;
    }
    connect(server, chroot).await
}

async fn connect(server: &TestServer, chroot: &str) -> Client {
    ClientBuilder::new(format!("{}{chroot}", server.connect_string()))
        .session_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect")
}

/// Waits at most 10 s for `f` to hold.
pub async fn eventually<F, Fut>(mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 10 s");
}

/// Waits at most 20 s until the session state is `want`; the error says what happened.
async fn wait_state(
    state: &mut zk_client::SessionStates,
    want: zk_client::SessionState,
) -> Result<(), String> {
    let reached =
        tokio::time::timeout(Duration::from_secs(20), state.wait_for(|s| s == want)).await;
    match reached {
        Ok(s) if s == want => Ok(()),
        Ok(s) => Err(format!("the client ended ({s:?}) before reaching {want:?}")),
        Err(_) => Err(format!(
            "state {want:?} not reached within 20 s (still {:?})",
            state.current()
        )),
    }
}

/// Waits at most 20 s until the session state is `want`.
pub async fn reach(state: &mut zk_client::SessionStates, want: zk_client::SessionState) {
    if let Err(e) = wait_state(state, want).await {
        panic!("{e}");
    }
}

/// Like [`reach`], and when the state does not come, the panic shows the server's log.
pub async fn reach_on(
    state: &mut zk_client::SessionStates,
    want: zk_client::SessionState,
    server: &TestServer,
) {
    if let Err(e) = wait_state(state, want).await {
        panic!("{e}; server log:\n{}", server.log_tail());
    }
}

/// Waits (as [`eventually`]) until `path` reads as `want` through `zk`, which is reconnecting:
/// `ConnectionLoss` means not yet, any other error fails the test.
pub async fn eventually_reads(zk: &Client, path: &str, want: &[u8]) {
    eventually(|| async {
        match zk.get_data(path).await {
            Ok((data, _)) => data == want,
            Err(zk_client::Error::ConnectionLoss) => false,
            Err(e) => panic!("read after the restart: {e}"),
        }
    })
    .await;
}
