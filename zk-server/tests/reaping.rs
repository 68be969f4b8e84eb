//! Containers and TTL nodes go as on ZooKeeper 3.8: the same nodes created on a real server
//! (its container manager checking every 200 ms) and on ours (the same interval); after a
//! while, the same nodes are gone and the same watches heard it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::time::Duration;

use tokio::time::timeout;
use zk_client::{Client, CreateMode, CreateOptions};
use zk_testkit::{ServerOptions, TestServer};

const NODES: [&str; 6] = [
    "/used",
    "/never",
    "/full",
    "/ttl",
    "/ttl-kid",
    "/ttl-touched",
];

async fn script(connect: &str) -> Vec<String> {
    let zk = Client::connect(connect).await.expect("connect");
    let container = CreateOptions::new(CreateMode::Container);
    let open = CreateOptions::new(CreateMode::Persistent);
    let ttl = CreateOptions::ttl(Duration::from_millis(600));
    zk.create("/used", b"", &container)
        .await
        .expect("container");
    zk.create("/used/kid", b"", &open).await.expect("kid");
    zk.create("/never", b"", &container)
        .await
        .expect("never used");
    zk.create("/full", b"", &container).await.expect("full");
    zk.create("/full/kid", b"", &open)
        .await
        .expect("kid of full");
    zk.create("/ttl", b"", &ttl).await.expect("ttl");
    zk.create("/ttl-kid", b"", &ttl)
        .await
        .expect("ttl with a child");
    zk.create("/ttl-kid/k", b"", &open)
        .await
        .expect("kid of ttl");
    zk.create("/ttl-touched", b"", &ttl)
        .await
        .expect("ttl touched");
    let mut watches = Vec::new();
    for path in NODES {
        let (_, w) = zk.exists_watch(path).await.expect("watch");
        watches.push((path, w));
    }
    zk.delete("/used/kid", None).await.expect("empties /used");
    // Kept alive past its TTL by writes.
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        zk.set_data("/ttl-touched", b"x", None)
            .await
            .expect("touch");
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut lines = Vec::new();
    for (path, w) in watches {
        let heard = match timeout(Duration::from_millis(100), w).await {
            Ok(Ok(ev)) => format!("{:?}", ev.event_type),
            Ok(Err(e)) => format!("ended: {e}"),
            Err(_) => "nothing".into(),
        };
        let there = zk.exists(path).await.expect("exists").is_some();
        lines.push(format!("{path}: there {there}, heard {heard}"));
    }
    zk.close().await;
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn containers_and_ttl_nodes_go_as_on_zookeeper() {
    let mut options = ServerOptions::default();
    options
        .system_properties
        .push(("znode.container.checkIntervalMs".into(), "200".into()));
    let real = TestServer::start_with(options).expect("ZooKeeper starts");
    let ours = zk_server::Server::builder()
        .extended_types(true)
        .container_check_interval(Duration::from_millis(200))
        .start()
        .await
        .expect("starts");
    let expected = script(&real.connect_string()).await;
    let got = script(&ours.connect_string()).await;
    assert_eq!(got, expected);
    // Something went, and something stayed.
    assert!(
        expected.iter().any(|l| l.contains("there false")),
        "{expected:?}"
    );
    assert!(
        expected.iter().any(|l| l.contains("there true")),
        "{expected:?}"
    );
}
