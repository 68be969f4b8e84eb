//! Recipes across sessions, against a real ZooKeeper: the supervisor makes a new session after
//! an expiry; a group member's node is kept through an operator's delete and the expiry; a
//! supervised tree cache moves to the new session and catches up; a lock held on the expired
//! session reports the loss.

use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder, CreateOptions};
use zk_recipes::{CacheEvent, CacheOptions, GroupMember, Lock, Loss, Supervisor, TreeCache};
use zk_testkit::TestServer;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_caches_and_locks_across_an_expiry() {
    let server = TestServer::start().expect("server");
    let builder =
        ClientBuilder::new(server.connect_string()).session_timeout(Duration::from_secs(6));
    let supervisor = Supervisor::start(builder).await.expect("supervisor");
    let admin: Client = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("admin");
    let first = supervisor.client();

    let member = GroupMember::join(&supervisor, "/group", "m1", b"payload");
    assert!(member.node().wait_present(Duration::from_secs(10)).await);
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
    let (cache, mut events) =
        TreeCache::start_supervised(&supervisor, "/c", CacheOptions::default())
            .await
            .expect("cache");
    while events.recv().await != Some(CacheEvent::Initialized) {}
    let guard = Lock::new(&first, "/locks/s").acquire().await.expect("lock");

    // The session expires.
    let mut sessions = supervisor.sessions();
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
    tokio::time::timeout(Duration::from_secs(20), sessions.changed())
        .await
        .expect("a new session in time")
        .expect("supervisor");
    let second = supervisor.client();
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
            events.recv(),
        )
        .await
        .expect("a resync")
        .expect("events");
        if matches!(e, CacheEvent::Resynced { .. }) {
            break;
        }
        assert!(!matches!(e, CacheEvent::Stopped(_)), "{e:?}");
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
