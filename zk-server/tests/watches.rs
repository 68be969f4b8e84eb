//! Watches against real ZooKeeper: one session sets one-shot data, exists and child watches, a
//! persistent and a persistent recursive watch, on a real server and on our watch managers;
//! another session writes. What each watch hears must match: on the real side through
//! zk-client's handles, on ours by handing each notification to the handles a client would
//! (one notification can feed several).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::time::Duration;

use tokio::time::timeout;
use zk_client::acl::{self, Acl, Id};
use zk_client::{AddWatchMode, Client, CreateMode, CreateOptions, EventType};
use zk_server::prep::{self, Access, Create};
use zk_server::tree::DataTree;
use zk_server::watches::{Mode, Notification, Watches};
use zk_testkit::TestServer;

struct World;

impl Access for World {
    fn allows(&self, _: &[Acl], _: i32) -> bool {
        true
    }
    fn auth_ids(&self) -> Vec<Id> {
        Vec::new()
    }
}

const WATCHER: i64 = 1;

/// A write of the script.
enum W {
    Create(&'static str),
    Set(&'static str),
    Delete(&'static str),
}

fn script() -> Vec<W> {
    vec![
        W::Create("/w/missing"),
        W::Create("/w/x"),
        W::Create("/w/x/deep"),
        W::Set("/w"),
        W::Set("/w/x/deep"),
        W::Delete("/w/x/deep"),
        W::Delete("/w/x"),
        W::Delete("/w/missing"),
        W::Set("/w"),
    ]
}

/// What each of the five handles heard, as (type, path).
#[derive(Debug, Default, PartialEq, Eq)]
struct Heard {
    data_w: Option<(EventType, String)>,
    exists_missing: Option<(EventType, String)>,
    children_w: Option<(EventType, String)>,
    persistent_w: Vec<(EventType, String)>,
    recursive_root: Vec<(EventType, String)>,
}

/// Hands our notifications to the handles a client would.
fn dispatch(heard: &mut Heard, n: &Notification) {
    let ev = (n.event, n.path.clone());
    let data_event = n.event != EventType::NodeChildrenChanged;
    if data_event && n.path == "/w" && heard.data_w.is_none() {
        heard.data_w = Some(ev.clone());
    }
    if data_event && n.path == "/w/missing" && heard.exists_missing.is_none() {
        heard.exists_missing = Some(ev.clone());
    }
    let child_event = matches!(
        n.event,
        EventType::NodeChildrenChanged | EventType::NodeDeleted
    );
    if child_event && n.path == "/w" && heard.children_w.is_none() {
        heard.children_w = Some(ev.clone());
    }
    if n.path == "/w" {
        heard.persistent_w.push(ev.clone());
    }
    if data_event {
        heard.recursive_root.push(ev);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_hear_what_zookeepers_hear() {
    let server = TestServer::start().expect("server");
    let watcher = Client::connect(&server.connect_string()).await.expect("w");
    let writer = Client::connect(&server.connect_string())
        .await
        .expect("writer");
    let open = CreateOptions::default();
    writer.create("/w", b"", &open).await.expect("/w");

    // Ours: the same node, the same watches.
    let mut tree = DataTree::new(true);
    let mut zxid = 100;
    let create = |tree: &DataTree, path| {
        let acl = acl::open_unsafe();
        let req = Create {
            path,
            data: b"",
            acl: &acl,
            mode: CreateMode::Persistent,
            ttl: -1,
            session: 2,
        };
        prep::create(tree, &req, &World).expect("create")
    };
    let txn = create(&tree, "/w");
    tree.apply(&txn, zxid, 0);
    let mut watches = Watches::default();
    watches.add("/w", WATCHER, Mode::Data);
    watches.add("/w/missing", WATCHER, Mode::Data);
    watches.add("/w", WATCHER, Mode::Child);
    watches.add("/w", WATCHER, Mode::Persistent);
    watches.add("/", WATCHER, Mode::PersistentRecursive);

    // Real: the five handles.
    let (_, _, data_w) = watcher.get_data_watch("/w").await.expect("getData");
    let (none, exists_missing) = watcher.exists_watch("/w/missing").await.expect("exists");
    assert!(none.is_none());
    let (_, children_w) = watcher.get_children_watch("/w").await.expect("children");
    let mut persistent_w = watcher
        .add_watch("/w", AddWatchMode::Persistent)
        .await
        .expect("persistent");
    let mut recursive_root = watcher
        .add_watch("/", AddWatchMode::PersistentRecursive)
        .await
        .expect("recursive");

    let mut ours = Heard::default();
    for step in script() {
        zxid += 1;
        let txn = match step {
            W::Create(path) => {
                writer.create(path, b"", &open).await.expect("create");
                create(&tree, path)
            }
            W::Set(path) => {
                writer.set_data(path, b"v", None).await.expect("set");
                prep::set_data(&tree, path, b"v", -1, &World).expect("set")
            }
            W::Delete(path) => {
                writer.delete(path, None).await.expect("delete");
                prep::delete(&tree, path, -1, &World).expect("delete")
            }
        };
        assert!(tree.apply(&txn, zxid, 0));
        for n in watches.fire(&txn, &[]) {
            assert_eq!(n.session, WATCHER);
            dispatch(&mut ours, &n);
        }
    }

    let wait = Duration::from_secs(5);
    let one = |r: Result<zk_client::WatchedEvent, zk_client::Error>| {
        let e = r.expect("event");
        Some((e.event_type, e.path))
    };
    let mut real = Heard {
        data_w: one(timeout(wait, data_w).await.expect("data watch")),
        exists_missing: one(timeout(wait, exists_missing).await.expect("exists watch")),
        children_w: one(timeout(wait, children_w).await.expect("child watch")),
        ..Heard::default()
    };
    for _ in 0..ours.persistent_w.len() {
        let e = timeout(wait, persistent_w.next())
            .await
            .expect("persistent");
        let e = e.expect("an item").expect("an event");
        real.persistent_w.push((e.event_type, e.path));
    }
    for _ in 0..ours.recursive_root.len() {
        let e = timeout(wait, recursive_root.next())
            .await
            .expect("recursive");
        let e = e.expect("an item").expect("an event");
        real.recursive_root.push((e.event_type, e.path));
    }
    // Nothing more than ours on the streams.
    assert!(timeout(Duration::from_millis(300), persistent_w.next())
        .await
        .is_err());
    assert!(timeout(Duration::from_millis(300), recursive_root.next())
        .await
        .is_err());
    assert_eq!(real, ours);
    // The one-shot watches went when they fired: what is left is the persistent pair, each in
    // both managers (as ZooKeeper 3.8 keeps them, and counts them in `mntr`).
    assert_eq!(watches.len(), 4);
    watcher.close().await;
    writer.close().await;
}
