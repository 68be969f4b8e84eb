//! Sessions handed from one client to another on both servers: taking over a session
//! by id and password keeps its ephemeral nodes; a detached client leaves its session to the
//! server (until it expires, or another client takes it); a session that no longer exists, or
//! a wrong password, cannot be taken; and a holder that did not detach is disconnected by the
//! server when another client takes its session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use common::on_both;

use std::time::Duration;

use zk_client::{ClientBuilder, CreateMode, CreateOptions, Error, SessionState};
use zk_testkit::Backend;

on_both!(
    a_detached_session_is_taken_over_with_its_ephemeral_nodes,
    a_detached_session_expires_on_the_server_unless_taken,
    a_wrong_password_or_a_closed_session_cannot_be_taken,
    a_holder_that_did_not_detach_loses_its_connection_to_the_taker,
);

fn builder(server: &zk_testkit::AnyServer) -> ClientBuilder {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .fail_fast(true)
}

fn ephemeral() -> CreateOptions {
    CreateOptions::default().with_mode(CreateMode::Ephemeral)
}

async fn a_detached_session_is_taken_over_with_its_ephemeral_nodes(backend: Backend) {
    let server = common::server_on(backend);
    let first = builder(&server).connect().await.expect("connect");
    first
        .create("/member", b"first", &ephemeral())
        .await
        .expect("ephemeral");
    let (id, password) = (first.session_id(), first.session_password());
    first.detach().await;
    // The handle is done, the session is not.
    assert_eq!(first.state(), SessionState::Closed);
    assert_eq!(first.exists("/member").await, Err(Error::Closed));
    let observer = common::client(&server).await;
    let stat = observer
        .exists("/member")
        .await
        .expect("exists")
        .expect("the ephemeral node outlives the detached client");
    assert_eq!(stat.ephemeral_owner, id);

    let second = builder(&server)
        .session(id, password)
        .connect()
        .await
        .expect("take the session over");
    assert_eq!(second.session_id(), id);
    assert_eq!(second.get_data("/member").await.expect("read").0, b"first");
    // The node is the new holder's: it can be replaced, and goes with the session.
    second.delete("/member", None).await.expect("delete");
    second
        .create("/member", b"second", &ephemeral())
        .await
        .expect("ephemeral");
    second.close().await;
    assert_eq!(observer.exists("/member").await.expect("exists"), None);
    observer.close().await;
}

async fn a_detached_session_expires_on_the_server_unless_taken(backend: Backend) {
    let server = common::server_on(backend);
    let first = ClientBuilder::new(server.connect_string())
        // The shortest session the test server grants (2 ticks of 500 ms).
        .session_timeout(Duration::from_secs(1))
        .connect()
        .await
        .expect("connect");
    first
        .create("/left", b"", &ephemeral())
        .await
        .expect("ephemeral");
    let (id, password) = (first.session_id(), first.session_password());
    first.detach().await;
    let observer = common::client(&server).await;
    common::eventually(|| async { observer.exists("/left").await == Ok(None) }).await;
    // Gone for good: taking it over now fails as expiry.
    let late = builder(&server).session(id, password).connect().await;
    assert_eq!(late.err(), Some(Error::SessionExpired));
    observer.close().await;
}

async fn a_wrong_password_or_a_closed_session_cannot_be_taken(backend: Backend) {
    let server = common::server_on(backend);
    let live = builder(&server).connect().await.expect("connect");
    let mut wrong = live.session_password();
    wrong[0] ^= 0xff;
    let refused = builder(&server)
        .session(live.session_id(), wrong)
        .connect()
        .await;
    assert_eq!(refused.err(), Some(Error::SessionExpired));
    // The holder is untouched by the refused attempt.
    assert_eq!(live.exists("/").await.map(|s| s.is_some()), Ok(true));

    let (id, password) = (live.session_id(), live.session_password());
    live.close().await;
    let closed = builder(&server).session(id, password).connect().await;
    assert_eq!(closed.err(), Some(Error::SessionExpired));

    let zero = builder(&server).session(0, vec![0; 16]).connect().await;
    assert!(
        matches!(zero, Err(Error::InvalidArgument(ref m)) if m.contains("session id 0")),
        "{zero:?}"
    );
}

async fn a_holder_that_did_not_detach_loses_its_connection_to_the_taker(backend: Backend) {
    let server = common::server_on(backend);
    // The first holder through a proxy that counts its connections.
    let proxy = zk_testkit::Proxy::start(server.addr()).expect("proxy");
    let first = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    let mut state = first.states();
    assert_eq!(proxy.connections(), 1);
    let second = builder(&server)
        .session(first.session_id(), first.session_password())
        .connect()
        .await
        .expect("take the session over");
    // The server closes the first holder's connection when the second one resumes the
    // session (ZooKeeper gives it no other sign: no reply, no event says "moved"), and the
    // first holder connects again.
    common::eventually(|| async { proxy.connections() >= 2 }).await;
    // Taking the session back in turn: the two would go on taking it from each other, so
    // handing over takes the old holder's cooperation (detach). Here the taker gives way.
    second.detach().await;
    common::reach(&mut state, SessionState::Connected).await;
    let id = first.session_id();
    first
        .create("/still-mine", b"", &ephemeral())
        .await
        .expect("the first holder still has the session");
    assert_eq!(
        first
            .exists("/still-mine")
            .await
            .expect("exists")
            .map(|s| s.ephemeral_owner),
        Some(id)
    );
    first.close().await;
}
