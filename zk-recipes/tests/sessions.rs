//! Recipes across sessions, on both servers: the supervisor makes a new session after
//! an expiry; a group member's node is kept through an operator's delete and the expiry; a
//! supervised tree cache moves to the new session and catches up; a lock held on the expired
//! session reports the loss.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::{Duration, Instant};

use common::{on_both, server_on};
use zk_client::{Client, ClientBuilder, CreateOptions};
use zk_recipes::{
    CacheEvent, CacheEvents, GroupMember, Lock, Loss, PersistentNode, Supervisor, TreeCache,
};
use zk_testkit::Backend;

on_both!(
    members_caches_and_locks_across_an_expiry,
    on_a_plain_client_kept_things_end_with_the_session,
);

async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_initialized(events: &mut CacheEvents) {
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .expect("initialized in time")
            .expect("an event")
            .expect("the cache runs");
        if event == CacheEvent::Initialized {
            return;
        }
    }
}

async fn members_caches_and_locks_across_an_expiry(backend: Backend) {
    let server = server_on(backend);
    let builder =
        ClientBuilder::new(server.connect_string()).session_timeout(Duration::from_secs(6));
    let supervisor = Supervisor::start(builder).await.expect("supervisor");
    let admin: Client = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("admin");
    let first = supervisor.client();

    let member = GroupMember::new(&supervisor, "/group")
        .id("m1")
        .payload(b"payload")
        .join()
        .await
        .expect("join");
    let node = member.node().expect("joined");
    tokio::time::timeout(Duration::from_secs(10), node.wait_present())
        .await
        .expect("present in time")
        .expect("kept");
    let members = member.members().await.expect("members");
    assert_eq!(members.get("m1").map(Vec::as_slice), Some(&b"payload"[..]));
    assert_eq!(
        admin
            .exists("/group/m1")
            .await
            .expect("exists")
            .map(|s| s.ephemeral_owner),
        Some(first.session_id())
    );
    // An operator deletes it: it comes back.
    admin.delete("/group/m1", None).await.expect("delete");
    eventually("the member node is back", || async {
        admin.exists("/group/m1").await.ok().flatten().is_some()
    })
    .await;

    admin
        .create("/c", b"", &CreateOptions::default())
        .await
        .expect("cache root");
    admin
        .create("/c/x", b"1", &CreateOptions::default())
        .await
        .expect("x");
    let (cache, mut events) = TreeCache::new(&supervisor, "/c")
        .start()
        .await
        .expect("cache");
    until_initialized(&mut events).await;
    // The same on the supervisor, but asked to stop at the first expiry.
    let (_stopping, mut stopping_events) = TreeCache::new(&supervisor, "/c")
        .stop_at_expiry()
        .start()
        .await
        .expect("cache");
    until_initialized(&mut stopping_events).await;
    // Reported as an expiry, not as the lost connection that comes with it.
    let guard = Lock::new(&first, "/locks/s")
        .lost_only_on_expiry()
        .acquire()
        .await
        .expect("lock");

    // The session expires.
    let mut sessions = supervisor.sessions();
    let now = sessions.next().await.expect("an item").expect("a session");
    assert_eq!(now.session_id(), first.session_id());
    zk_testkit::expire_session(server.addr(), first.session_id(), &first.session_password())
        .expect("expire");
    // The lock reports the loss.
    let loss = tokio::time::timeout(Duration::from_secs(10), guard.lost())
        .await
        .expect("lost");
    assert_eq!(loss, Loss::SessionExpired);
    // A change the old session cannot see.
    admin.set_data("/c/x", b"2", None).await.expect("set");
    admin
        .create("/c/y", b"new", &CreateOptions::default())
        .await
        .expect("y");
    let stopped = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stopping_events.next().await {
                Some(Ok(_)) => {}
                other => return other,
            }
        }
    })
    .await
    .expect("the stopping cache ends");
    assert_eq!(stopped, Some(Err(zk_client::Error::SessionExpired)));
    let second = tokio::time::timeout(Duration::from_secs(20), sessions.next())
        .await
        .expect("a new session in time")
        .expect("an item")
        .expect("a session");
    assert_eq!(supervisor.client().session_id(), second.session_id());
    assert_ne!(second.session_id(), first.session_id());

    // The member is back under the new session.
    eventually("the member node belongs to the new session", || async {
        admin
            .exists("/group/m1")
            .await
            .ok()
            .flatten()
            .map(|s| s.ephemeral_owner)
            == Some(second.session_id())
    })
    .await;
    // The cache moved to the new session and caught up.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let e = tokio::time::timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.next(),
        )
        .await
        .expect("a resync")
        .expect("events")
        .unwrap_or_else(|e| panic!("the supervised cache stopped: {e}"));
        if matches!(e, CacheEvent::Resynced { .. }) {
            break;
        }
    }
    // The supervisor may have made the new session, and the cache resynced on it, before the
    // admin's two writes: then they reach the cache as events after `Resynced`.
    eventually(
        "the cache has the changes made around the expiry",
        || async {
            cache.get("/c/x").map(|n| n.data) == Some(b"2".to_vec())
                && cache.get("/c/y").map(|n| n.data) == Some(b"new".to_vec())
        },
    )
    .await;
    // And follows the new session's events.
    admin.set_data("/c/y", b"newer", None).await.expect("set");
    eventually("the cache follows the new session", || async {
        cache.get("/c/y").map(|n| n.data) == Some(b"newer".to_vec())
    })
    .await;
    // Leaving the group deletes the node.
    drop(member);
    eventually("the member node is gone", || async {
        admin.exists("/group/m1").await.ok().flatten().is_none()
    })
    .await;
}

async fn on_a_plain_client_kept_things_end_with_the_session(backend: Backend) {
    let server = server_on(backend);
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(6))
        .connect()
        .await
        .expect("connect");
    let admin: Client = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("admin");
    // A group member and a persistent node on the client itself, no supervisor.
    let member = GroupMember::new(&zk, "/plain/group")
        .id("m")
        .join()
        .await
        .expect("join");
    let node = PersistentNode::new(&zk, "/plain/announce")
        .data("here")
        .start()
        .await
        .expect("start");
    assert_eq!(
        member
            .members()
            .await
            .expect("members")
            .keys()
            .collect::<Vec<_>>(),
        ["m"]
    );
    admin.delete("/plain/announce", None).await.expect("delete");
    eventually("the node is back after a delete", || async {
        admin
            .exists("/plain/announce")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    admin
        .create("/plain/c", b"", &CreateOptions::default())
        .await
        .expect("cache root");
    let (_cache, mut events) = TreeCache::new(&zk, "/plain/c")
        .start()
        .await
        .expect("cache");
    until_initialized(&mut events).await;
    // A starting error is returned, not retried for ever.
    let refused = PersistentNode::new(&zk, "/plain/announce/under-an-ephemeral")
        .start()
        .await;
    assert_eq!(
        refused.err(),
        Some(zk_client::Error::NoChildrenForEphemerals)
    );

    zk_testkit::expire_session(server.addr(), zk.session_id(), &zk.session_password())
        .expect("expire");
    // The cache's events end with the session's error; the kept node can no longer be kept.
    let last = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.next().await {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Some(e),
                None => return None,
            }
        }
    })
    .await
    .expect("the cache's events end");
    assert_eq!(last, Some(zk_client::Error::SessionExpired));
    assert_eq!(events.next().await, None);
    // Once the keeper has seen the session end (it knows no sooner), waiting for the node is
    // an error.
    eventually("the keeper sees the session end", || async {
        !node.is_present()
    })
    .await;
    let kept = tokio::time::timeout(Duration::from_secs(20), node.wait_present()).await;
    assert_eq!(kept, Ok(Err(zk_client::Error::SessionExpired)));
    assert!(admin
        .exists("/plain/group/m")
        .await
        .expect("exists")
        .is_none());
}
