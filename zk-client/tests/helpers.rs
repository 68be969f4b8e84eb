//! The helpers recipes build on, on both servers: `create_all`, `delete_all`,
//! protected creates (recovered after a connection cut with the create in flight) and the
//! retry helper's versioned writes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use common::on_both;

use std::time::Duration;

use zk_client::{protected, ClientBuilder, CreateMode, CreateOptions, Error, Retry};
use zk_testkit::Backend;
use zk_testkit::Proxy;

on_both!(
    create_all_makes_missing_parents_and_tolerates_races,
    delete_all_removes_a_tree_even_against_another_deleter,
    a_protected_create_cut_in_flight_finds_its_node_instead_of_making_another,
    versioned_writes_retried_after_a_cut_take_effect_once,
);

async fn create_all_makes_missing_parents_and_tolerates_races(backend: Backend) {
    let server = common::server_on(backend);
    let zk = common::client(&server).await;
    let opts = CreateOptions::default();
    let (path, _) = zk
        .create_all("/t/a/b/c", b"leaf", &opts, CreateMode::Persistent)
        .await
        .expect("create_all");
    assert_eq!(path, "/t/a/b/c");
    assert_eq!(zk.get_data("/t/a/b/c").await.expect("get").0, b"leaf");
    assert_eq!(zk.get_data("/t/a").await.expect("parent").0, b"");
    assert_eq!(
        zk.create_all("/t/a/b/c", b"x", &opts, CreateMode::Persistent)
            .await,
        Err(Error::NodeExists)
    );
    // Sixteen clients creating siblings under the same missing parents at once.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let zk = common::client(&server).await;
        tasks.push(tokio::spawn(async move {
            zk.create_all(
                &format!("/t/race/x/y/n{i}"),
                b"",
                &CreateOptions::default(),
                CreateMode::Container,
            )
            .await
        }));
    }
    for t in tasks {
        t.await.expect("task").expect("create_all in a race");
    }
    assert_eq!(
        zk.get_children("/t/race/x/y")
            .await
            .expect("children")
            .len(),
        16
    );
    // Sequential modes keep their suffix.
    let (seq, _) = zk
        .create_all(
            "/t/seq/q/item-",
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
            CreateMode::Persistent,
        )
        .await
        .expect("sequential");
    assert_eq!(seq, "/t/seq/q/item-0000000000");
}

async fn delete_all_removes_a_tree_even_against_another_deleter(backend: Backend) {
    let server = common::server_on(backend);
    let zk = common::client(&server).await;
    let opts = CreateOptions::default();
    let mut made = 1; // /d
    zk.create("/d", b"", &opts).await.expect("root");
    for i in 0..5 {
        zk.create(&format!("/d/{i}"), b"", &opts)
            .await
            .expect("level 1");
        made += 1;
        for j in 0..6 {
            zk.create_all(
                &format!("/d/{i}/{j}/leaf"),
                b"",
                &opts,
                CreateMode::Persistent,
            )
            .await
            .expect("levels 2 and 3");
            made += 2;
        }
    }
    let other = common::client(&server).await;
    let (a, b) = tokio::join!(zk.delete_all("/d"), other.delete_all("/d"));
    let (a, b) = (a.expect("delete_all"), b.expect("the other delete_all"));
    assert_eq!(a + b, made, "each node deleted exactly once ({a} + {b})");
    assert_eq!(zk.exists("/d").await.expect("exists"), None);
    assert_eq!(zk.delete_all("/d").await, Ok(0));
    // The root itself is never deleted; its children are.
    let deep = "/deep".to_string() + &"/n".repeat(300);
    zk.create_all(&deep, b"", &opts, CreateMode::Persistent)
        .await
        .expect("a 301-level path");
    assert_eq!(zk.delete_all("/deep").await, Ok(301));
}

async fn a_protected_create_cut_in_flight_finds_its_node_instead_of_making_another(
    backend: Backend,
) {
    let server = common::server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let zk = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect");
    zk.create("/p", b"", &CreateOptions::default())
        .await
        .expect("parent");
    // The server gets the create and answers; the answer never reaches the client.
    proxy.cut_after_server_frames(0, 0);
    let options = CreateOptions::new(CreateMode::EphemeralSequential);
    let (path, stat) = zk
        .create_protected("/p/lock-", b"me", &options)
        .await
        .expect("protected create");
    let children = zk.get_children("/p").await.expect("children");
    assert_eq!(children.len(), 1, "{children:?}");
    let name = &children[0];
    assert_eq!(path, format!("/p/{name}"));
    assert!(protected::is_protected(name), "{name}");
    assert!(name.ends_with("-lock-0000000000"), "{name}");
    assert_eq!(stat.ephemeral_owner, zk.session_id());
    assert!(proxy.connections() >= 2, "the connection was not cut");
    // The recovery listed the parent on the new connection (getChildren, op 8) and did not
    // create again.
    let ops = proxy.client_ops();
    assert!(ops.contains(&8), "{ops:?}");
    assert!(!ops.contains(&15), "a second create was sent: {ops:?}");

    // Without the cut: one create, the prefix on the last segment.
    let (path, _) = zk
        .create_protected_all(
            "/p/q/r/member",
            b"",
            &CreateOptions::new(CreateMode::Ephemeral),
            CreateMode::Container,
        )
        .await
        .expect("protected with parents");
    assert!(
        path.starts_with("/p/q/r/_c_") && path.ends_with("-member"),
        "{path}"
    );
}

async fn versioned_writes_retried_after_a_cut_take_effect_once(backend: Backend) {
    let server = common::server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let zk = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("connect");
    let (_, stat) = zk
        .create("/v", b"0", &CreateOptions::default())
        .await
        .expect("create");
    let retry = Retry {
        attempts: 5,
        delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    };
    // The write is applied, its answer lost: the read-back sees version + 1 with our data.
    proxy.cut_after_server_frames(0, 0);
    let stat = retry
        .set_data(&zk, "/v", b"1", stat.version)
        .await
        .expect("retried set");
    assert_eq!(stat.version, 1);
    assert_eq!(zk.get_data("/v").await.expect("get"), (b"1".to_vec(), stat));
    // Someone else wrote since: the retried write reports BadVersion, as the write would.
    assert_eq!(
        retry.set_data(&zk, "/v", b"2", 0).await,
        Err(Error::BadVersion)
    );
    // A versioned delete whose answer is lost: done, once.
    proxy.cut_after_server_frames(0, 0);
    retry.delete(&zk, "/v", 1).await.expect("retried delete");
    assert_eq!(zk.exists("/v").await.expect("exists"), None);
    // Reads retry through a cut.
    zk.create("/r", b"x", &CreateOptions::default())
        .await
        .expect("create");
    proxy.cut_after_server_frames(0, 0);
    let (data, _) = retry.read(|| zk.get_data("/r")).await.expect("read");
    assert_eq!(data, b"x");
}
