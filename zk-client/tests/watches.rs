//! Every watch kind fires with the right event type and path, with and without a chroot;
//! dropping a handle removes the server-side watch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{client, client_at, eventually, on_both, server_on};
use tokio::time::timeout;
use zk_client::{AddWatchMode, CreateMode, CreateOptions, Error, EventType, WatcherType};
use zk_testkit::Backend;

on_both!(
    one_shot_watches_fire,
    one_shot_watches_fire_under_a_chroot,
    persistent_and_recursive_watches_stream_events,
    removing_watches,
);

const WAIT: Duration = Duration::from_secs(10);

async fn one_shot_watches(backend: Backend, chroot: &str) {
    let srv = server_on(backend);
    let zk = client_at(&srv, chroot).await;
    zk.create("/w", b"0", &CreateOptions::default())
        .await
        .unwrap();

    // Data watch: change, then deletion.
    let (_, _, w) = zk.get_data_watch("/w").await.unwrap();
    zk.set_data("/w", b"1", None).await.unwrap();
    let ev = timeout(WAIT, w).await.unwrap().unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/w")
    );

    // Exists on a missing node: creation.
    let (stat, w) = zk.exists_watch("/later").await.unwrap();
    assert!(stat.is_none());
    zk.create("/later", b"", &CreateOptions::default())
        .await
        .unwrap();
    let ev = timeout(WAIT, w).await.unwrap().unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeCreated, "/later")
    );

    // Exists on an existing node: deletion.
    let (stat, w) = zk.exists_watch("/later").await.unwrap();
    assert!(stat.is_some());
    zk.delete("/later", None).await.unwrap();
    let ev = timeout(WAIT, w).await.unwrap().unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDeleted, "/later")
    );

    // Child watch.
    let (kids, w) = zk.get_children_watch("/w").await.unwrap();
    assert!(kids.is_empty());
    zk.create("/w/kid", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    let ev = timeout(WAIT, w).await.unwrap().unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeChildrenChanged, "/w")
    );

    // A failed read sets no watch.
    assert_eq!(
        zk.get_data_watch("/nothing").await.unwrap_err(),
        Error::NoNode
    );
    zk.close().await;
}

async fn one_shot_watches_fire(backend: Backend) {
    one_shot_watches(backend, "").await;
}

async fn one_shot_watches_fire_under_a_chroot(backend: Backend) {
    one_shot_watches(backend, "/app").await;
}

async fn persistent_and_recursive_watches_stream_events(backend: Backend) {
    let srv = server_on(backend);
    let zk = client_at(&srv, "/app").await;
    zk.create("/p", b"", &CreateOptions::default())
        .await
        .unwrap();
    let mut persistent = zk.add_watch("/p", AddWatchMode::Persistent).await.unwrap();
    let mut recursive = zk
        .add_watch("/", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();

    zk.set_data("/p", b"1", None).await.unwrap();
    zk.create("/p/c", b"", &CreateOptions::default())
        .await
        .unwrap();
    zk.set_data("/p", b"2", None).await.unwrap();
    zk.delete("/p/c", None).await.unwrap();

    let mut got = Vec::new();
    for _ in 0..4 {
        let ev = timeout(WAIT, persistent.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        got.push((ev.event_type, ev.path));
    }
    assert_eq!(
        got,
        [
            (EventType::NodeDataChanged, "/p".to_string()),
            (EventType::NodeChildrenChanged, "/p".to_string()),
            (EventType::NodeDataChanged, "/p".to_string()),
            (EventType::NodeChildrenChanged, "/p".to_string()),
        ]
    );
    let mut got = Vec::new();
    for _ in 0..4 {
        let ev = timeout(WAIT, recursive.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        got.push((ev.event_type, ev.path));
    }
    // Recursive watches see creations and deletions below, not child-list changes.
    assert_eq!(
        got,
        [
            (EventType::NodeDataChanged, "/p".to_string()),
            (EventType::NodeCreated, "/p/c".to_string()),
            (EventType::NodeDataChanged, "/p".to_string()),
            (EventType::NodeDeleted, "/p/c".to_string()),
        ]
    );
    zk.close().await;
    // The session ended: the streams say so.
    assert_eq!(persistent.next().await.unwrap().unwrap_err(), Error::Closed);
}

async fn removing_watches(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.create("/r", b"", &CreateOptions::default())
        .await
        .unwrap();

    // remove_watches: the server drops it and the local handle hears "removed".
    let (_, _, w) = zk.get_data_watch("/r").await.unwrap();
    zk.check_watches("/r", WatcherType::Data).await.unwrap();
    zk.remove_watches("/r", WatcherType::Data).await.unwrap();
    let ev = timeout(WAIT, w).await.unwrap().unwrap();
    assert_eq!(ev.event_type, EventType::DataWatchRemoved);
    assert_eq!(
        zk.check_watches("/r", WatcherType::Data).await.unwrap_err(),
        Error::NoWatcher
    );
    assert_eq!(
        zk.remove_watches("/r", WatcherType::Any).await.unwrap_err(),
        Error::NoWatcher
    );

    // Dropping the only handle removes the server-side watch...
    let (_, w) = zk.get_children_watch("/r").await.unwrap();
    zk.check_watches("/r", WatcherType::Children).await.unwrap();
    drop(w);
    eventually(|| async {
        zk.check_watches("/r", WatcherType::Children).await == Err(Error::NoWatcher)
    })
    .await;

    // ...but not while another local handle needs it.
    let (_, _, a) = zk.get_data_watch("/r").await.unwrap();
    let (_, _, b) = zk.get_data_watch("/r").await.unwrap();
    drop(a);
    tokio::time::sleep(Duration::from_millis(300)).await;
    zk.check_watches("/r", WatcherType::Data).await.unwrap();
    zk.set_data("/r", b"x", None).await.unwrap();
    assert_eq!(
        timeout(WAIT, b).await.unwrap().unwrap().event_type,
        EventType::NodeDataChanged
    );

    // A persistent watch goes away with its handle too.
    let p = zk.add_watch("/r", AddWatchMode::Persistent).await.unwrap();
    zk.check_watches("/r", WatcherType::Any).await.unwrap();
    // Watcher types 4 and 5 are 3.9 additions: the 3.8 server cannot read them, the embedded
    // server (a 3.9 as clients see it) finds the persistent watch.
    let persistent = zk.check_watches("/r", WatcherType::Persistent).await;
    match backend {
        Backend::Real => assert_eq!(persistent, Err(Error::MarshallingError)),
        Backend::Embedded => assert_eq!(persistent, Ok(())),
    }
    drop(p);
    eventually(|| async {
        zk.check_watches("/r", WatcherType::Any).await == Err(Error::NoWatcher)
    })
    .await;
    zk.close().await;
}
