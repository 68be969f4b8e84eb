//! Pipelining, call order, and size limits on a real connection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{client, on_both, reach, server_on};
use zk_client::{ClientBuilder, CreateMode, CreateOptions, Error};
use zk_testkit::Backend;

on_both!(
    calls_go_out_in_call_order_with_many_in_flight,
    size_limits_fail_only_the_request_concerned,
    pings_keep_an_idle_session_alive,
    deadlines_bound_calls_while_no_server_answers,
);

async fn calls_go_out_in_call_order_with_many_in_flight(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.create("/q", b"", &CreateOptions::default())
        .await
        .unwrap();
    // Futures created in order but awaited in reverse: the sequence numbers follow call order.
    let futures: Vec<_> = (0..500)
        .map(|i| {
            zk.create(
                "/q/n-",
                format!("{i}").as_bytes(),
                &CreateOptions::new(CreateMode::PersistentSequential),
            )
        })
        .collect();
    let mut paths = Vec::new();
    for f in futures.into_iter().rev() {
        paths.push(f.await.unwrap().0);
    }
    paths.reverse();
    for (i, p) in paths.iter().enumerate() {
        assert_eq!(p, &format!("/q/n-{i:010}"));
        assert_eq!(zk.get_data(p).await.unwrap().0, format!("{i}").as_bytes());
    }
    zk.close().await;
}

async fn size_limits_fail_only_the_request_concerned(backend: Backend) {
    let srv = server_on(backend);
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(5))
        .max_reply_size(64 * 1024)
        .connect()
        .await
        .unwrap();
    // Too large to send: refused locally, nothing sent.
    let huge = vec![7u8; 0x100000];
    let err = zk
        .create("/huge", &huge, &CreateOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RequestTooLarge { limit: 0xfffff, .. }),
        "{err:?}"
    );
    assert_eq!(zk.exists("/huge").await.unwrap(), None);

    // A reply over the client's limit fails that read only; the session goes on.
    let big = vec![1u8; 200 * 1024];
    zk.create("/big", &big, &CreateOptions::default())
        .await
        .unwrap();
    let before = zk.get_data("/");
    let read = zk.get_data("/big");
    let after = zk.get_data("/");
    assert!(before.await.is_ok());
    let err = read.await.unwrap_err();
    assert_eq!(
        err,
        Error::ReplyTooLarge {
            size: 16 + 4 + 200 * 1024 + 68,
            limit: 64 * 1024
        }
    );
    assert!(after.await.is_ok());
    assert_eq!(
        zk.exists("/big").await.unwrap().unwrap().data_length,
        200 * 1024
    );
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors_are_clear() {
    let err = ClientBuilder::new("127.0.0.1:1")
        .session_timeout(Duration::from_secs(1))
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoHosts(m) if m.contains("127.0.0.1:1")),
        "{err:?}"
    );
    let err = ClientBuilder::new("host:notaport")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConnectString(_)), "{err:?}");

    // Failing fast: one pass over the hosts, each named with its own failure, long before the
    // (here 30 s) session timeout.
    let started = std::time::Instant::now();
    let err = ClientBuilder::new("127.0.0.1:1,127.0.0.1:2")
        .session_timeout(Duration::from_secs(30))
        .fail_fast(true)
        .connect()
        .await
        .unwrap_err();
    let Error::NoHosts(why) = &err else {
        panic!("{err:?}")
    };
    assert!(
        why.contains("127.0.0.1:1") && why.contains("127.0.0.1:2") && why.contains("refused"),
        "{why}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

async fn pings_keep_an_idle_session_alive(backend: Backend) {
    let srv = server_on(backend);
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap();
    let sid = zk.session_id();
    zk.create("/idle", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    let mut state = zk.states();
    assert_eq!(
        state.next().await,
        Some(Ok(zk_client::SessionState::Connected))
    );
    // Three session timeouts without a request: only pings keep the session.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert!(
        futures_util::FutureExt::now_or_never(state.next()).is_none(),
        "the state never left Connected"
    );
    assert!(
        zk.exists("/idle").await.unwrap().is_some(),
        "the ephemeral node is still there"
    );
    assert_eq!(zk.session_id(), sid);
    zk.close().await;
}

async fn deadlines_bound_calls_while_no_server_answers(backend: Backend) {
    use zk_client::SessionState;

    let mut srv = server_on(backend);
    let zk = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_millis(400)))
        .connect()
        .await
        .unwrap();
    let mut state = zk.states();
    srv.stop();
    reach(&mut state, SessionState::Disconnected).await;

    // The builder's default deadline, and a per-call override; neither call can hang.
    let bound = Duration::from_secs(10);
    let by_default = tokio::time::timeout(bound, zk.get_data("/"))
        .await
        .expect("bounded by the deadline");
    assert_eq!(by_default.unwrap_err(), Error::Timeout);
    let short = zk.with_timeout(Some(Duration::from_millis(100)));
    let overridden = tokio::time::timeout(bound, short.exists("/"))
        .await
        .expect("bounded by the deadline");
    assert_eq!(overridden.unwrap_err(), Error::Timeout);

    // Without a deadline a call waits for the reconnect and then succeeds.
    let patient = zk.with_timeout(None);
    let waiting = tokio::spawn(async move { patient.exists("/").await });
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!waiting.is_finished(), "no deadline: still waiting");
    srv.restart().unwrap();
    let stat = tokio::time::timeout(Duration::from_secs(20), waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(stat.is_some());
    zk.close().await;
}
