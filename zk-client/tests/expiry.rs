//! Session expiry is terminal and explicit: the state, every watch handle and every later call
//! see it; a new client from the same builder is the way back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{on_both, reach, server_on};
use tokio::time::timeout;
use zk_client::{AddWatchMode, ClientBuilder, CreateMode, CreateOptions, Error, SessionState};
use zk_testkit::Backend;

on_both!(
    an_expired_session_fails_everything_and_a_new_client_recovers,
    a_server_down_past_the_session_timeout_expires_the_session_locally,
);

async fn an_expired_session_fails_everything_and_a_new_client_recovers(backend: Backend) {
    let srv = server_on(backend);
    let builder = ClientBuilder::new(srv.connect_string()).session_timeout(Duration::from_secs(5));
    let zk = builder.connect().await.unwrap();
    zk.create("/eph", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    zk.create("/n", b"", &CreateOptions::default())
        .await
        .unwrap();
    let (_, _, one_shot) = zk.get_data_watch("/n").await.unwrap();
    let mut persistent = zk.add_watch("/n", AddWatchMode::Persistent).await.unwrap();
    let mut state = zk.states();

    // A wrong password is an error of the test kit, not a silent success.
    let wrong = srv.expire_session(zk.session_id(), &[0u8; 16]).unwrap_err();
    assert!(wrong.to_string().contains("wrong password"), "{wrong}");
    if let Err(e) = srv.expire_session(zk.session_id(), &zk.session_password()) {
        panic!("expire the session: {e}\n{}", srv.log_tail());
    }

    reach(&mut state, SessionState::Expired).await;
    assert_eq!(
        timeout(Duration::from_secs(5), one_shot)
            .await
            .unwrap()
            .unwrap_err(),
        Error::SessionExpired
    );
    assert_eq!(
        persistent.next().await.unwrap().unwrap_err(),
        Error::SessionExpired
    );
    assert_eq!(zk.get_data("/n").await.unwrap_err(), Error::SessionExpired);
    assert_eq!(
        zk.add_auth("digest", b"a:b").await.unwrap_err(),
        Error::SessionExpired
    );
    assert_eq!(
        zk.clone().exists("/n").await.unwrap_err(),
        Error::SessionExpired
    );

    // Recovery: a new client from the same builder, with a new session.
    let again = builder.connect().await.unwrap();
    assert_ne!(again.session_id(), 0);
    assert_eq!(
        again.exists("/eph").await.unwrap(),
        None,
        "the expired session's ephemeral is gone"
    );
    assert!(again.exists("/n").await.unwrap().is_some());
    again.close().await;
}

async fn a_server_down_past_the_session_timeout_expires_the_session_locally(backend: Backend) {
    let mut srv = server_on(backend);
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let negotiated = Duration::from_secs(2);
    zk.create("/n", b"", &CreateOptions::default())
        .await
        .unwrap();
    let (_, _, one_shot) = zk.get_data_watch("/n").await.unwrap();
    let mut persistent = zk.add_watch("/n", AddWatchMode::Persistent).await.unwrap();
    let mut state = zk.states();

    srv.stop();
    reach(&mut state, SessionState::Disconnected).await;
    let lost_at = std::time::Instant::now();
    // Calls made while no server is there wait in the queue, and must not hang.
    let pending: Vec<_> = (0..10).map(|_| zk.exists("/n")).collect();

    reach(&mut state, SessionState::Expired).await;
    let after = lost_at.elapsed();
    assert!(
        after <= negotiated + Duration::from_secs(2),
        "expired {after:?} after the loss, with a {negotiated:?} session"
    );
    for call in pending {
        let answer = timeout(Duration::from_secs(5), call)
            .await
            .expect("a queued call is answered");
        assert_eq!(answer.unwrap_err(), Error::SessionExpired);
    }
    assert_eq!(
        timeout(Duration::from_secs(5), one_shot)
            .await
            .unwrap()
            .unwrap_err(),
        Error::SessionExpired
    );
    assert_eq!(
        persistent.next().await.unwrap().unwrap_err(),
        Error::SessionExpired
    );
    assert_eq!(zk.get_data("/n").await.unwrap_err(), Error::SessionExpired);

    // With local expiry off, the client keeps trying until a server says so.
    srv.restart().unwrap();
    let patient = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(2))
        .local_expiry(false)
        .connect()
        .await
        .unwrap();
    let mut state = patient.states();
    srv.stop();
    reach(&mut state, SessionState::Disconnected).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(state.current(), SessionState::Disconnected);
    srv.restart().unwrap();
    // The restarted server expires the session only after a timeout of its own; the client
    // either resumes it or learns it expired, and never stays disconnected.
    timeout(
        Duration::from_secs(20),
        state.wait_for(|s| s.is_connected() || s == SessionState::Expired),
    )
    .await
    .expect("a reachable server settles the session");
}
