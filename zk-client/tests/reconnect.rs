//! The server restarts within the session timeout: the client reconnects to the same session,
//! re-registers its watches (SetWatches2) and replays its credentials.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{eventually, on_both, reach, reach_on, server_on};
use tokio::time::timeout;
use zk_client::{acl, Backoff, ClientBuilder, CreateMode, CreateOptions, EventType, SessionState};
use zk_testkit::Backend;

on_both!(
    session_watches_and_auth_survive_a_server_restart,
    the_reconnect_backoff_is_used_while_no_server_answers,
);

async fn session_watches_and_auth_survive_a_server_restart(backend: Backend) {
    let mut srv = server_on(backend);
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(30))
        // What survives is tested here, not the pacing (tested below): with the default
        // backoff, a restart that is slow on a loaded machine leaves the client asleep for up
        // to 10 s between attempts.
        .reconnect_backoff(Backoff::custom(|_| Duration::from_millis(200)))
        // A restarting server accepts connections before it answers them; an attempt that
        // lands there is given up after 2 s instead of the whole 30 s session timeout.
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let sid = zk.session_id();
    zk.add_auth("digest", b"user:pw").await.unwrap();
    zk.create("/eph", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    zk.create(
        "/data",
        b"0",
        &CreateOptions::default().with_acl(acl::creator_all()),
    )
    .await
    .unwrap();
    let (_, _, changed) = zk.get_data_watch("/data").await.unwrap();
    let (_, created) = zk.exists_watch("/later").await.unwrap();
    let mut state = zk.states();

    srv.stop();
    reach(&mut state, SessionState::Disconnected).await;
    srv.restart().expect("restart the server");
    reach_on(&mut state, SessionState::Connected, &srv).await;

    assert_eq!(zk.session_id(), sid, "same session");
    assert!(zk.exists("/eph").await.unwrap().is_some(), "ephemeral kept");
    // Credentials were replayed: the creator-only node is still ours to write.
    zk.set_data("/data", b"1", None).await.unwrap();
    zk.create("/later", b"", &CreateOptions::default())
        .await
        .unwrap();
    let ev = timeout(Duration::from_secs(10), changed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/data")
    );
    let ev = timeout(Duration::from_secs(10), created)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeCreated, "/later")
    );
    zk.close().await;
}

async fn the_reconnect_backoff_is_used_while_no_server_answers(backend: Backend) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    let mut srv = server_on(backend);
    let passes = Arc::new(AtomicU32::new(0));
    let seen = passes.clone();
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(30))
        .reconnect_backoff(Backoff::custom(move |pass| {
            seen.fetch_max(pass, Ordering::Relaxed);
            Duration::from_millis(100)
        }))
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let mut state = zk.states();
    srv.stop();
    reach(&mut state, SessionState::Disconnected).await;
    // One host, 100 ms per failed pass: the hook sees the pass count go up from 1 (waited for
    // as a condition, not a time: a loaded machine makes fewer passes per second).
    eventually(|| async { passes.load(Ordering::Relaxed) >= 3 }).await;
    srv.restart().unwrap();
    reach_on(&mut state, SessionState::Connected, &srv).await;
    assert!(zk.exists("/").await.unwrap().is_some());
    zk.close().await;
}
