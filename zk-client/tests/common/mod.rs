//! Shared setup: a server per test (real ZooKeeper, or either backend through [`on_both`]), and
//! a connected client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking
#![allow(dead_code, unused_macros, unused_imports)]

use std::time::Duration;

use zk_client::{Client, ClientBuilder};
use zk_testkit::{AnyServer, Backend, TestServer};

/// Declares each listed `async fn NAME(backend: Backend)` as two tests, `NAME::real` (ZooKeeper
/// 3.8, the reference) and `NAME::embedded` (the embedded server): the same test must pass on
/// both.
macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn real() {
                super::$name(zk_testkit::Backend::Real).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$name(zk_testkit::Backend::Embedded).await
            }
        }
    )+};
}
pub(crate) use on_both;

/// A server of `backend`; failing to start fails the test.
pub fn server_on(backend: Backend) -> AnyServer {
    AnyServer::start(backend).unwrap_or_else(|e| panic!("{backend} must start: {e}"))
}

/// Real ZooKeeper, for the tests only it can serve.
pub fn server() -> AnyServer {
    server_on(Backend::Real)
}

/// What a client is connected to: a server of either backend, or a real one started with
/// options only it has.
pub trait Serves {
    fn connect_string(&self) -> String;
}

impl Serves for AnyServer {
    fn connect_string(&self) -> String {
        AnyServer::connect_string(self)
    }
}

impl Serves for TestServer {
    fn connect_string(&self) -> String {
        TestServer::connect_string(self)
    }
}

pub async fn client(server: &impl Serves) -> Client {
    connect(server, "").await
}

/// A client under `chroot` (e.g. `/app`, or "" for none), creating the chroot node first.
pub async fn client_at(server: &impl Serves, chroot: &str) -> Client {
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

async fn connect(server: &impl Serves, chroot: &str) -> Client {
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
    server: &AnyServer,
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
