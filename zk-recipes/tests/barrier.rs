//! The single barrier against a real ZooKeeper (the double barrier is tested with Curator's in
//! `curator.rs`).

use std::time::Duration;

use zk_client::ClientBuilder;
use zk_recipes::Barrier;
use zk_testkit::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_barrier_holds_waiters_until_removed() {
    let server = TestServer::start().expect("server");
    let zk = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("connect");
    let gate = Barrier::new(&zk, "/gates/g");
    gate.set().await.expect("set");
    gate.set().await.expect("set twice");
    assert!(!gate
        .try_wait(Duration::from_millis(200))
        .await
        .expect("wait"));
    let waiter = gate.clone();
    let waiting = tokio::spawn(async move { waiter.wait().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished());
    gate.remove().await.expect("remove");
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released")
        .expect("task")
        .expect("wait");
}
