//! Shared setup: a real server per test, and a connected client.

#![allow(dead_code)]

use std::time::Duration;

use zk_client::{Client, ClientBuilder};
use zk_testkit::TestServer;

pub fn server() -> TestServer {
    TestServer::start().expect("a real ZooKeeper must start (scripts/install-zookeeper.sh)")
}

pub async fn client(server: &TestServer) -> Client {
    client_at(server, "").await
}

pub async fn client_at(server: &TestServer, chroot: &str) -> Client {
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
