//! Connections cut by a proxy at chosen bytes: between the notifications of one multi, in the
//! middle of a frame, and under 10,000 watches. No watch event is lost or delivered twice, and
//! the watches are set again in several SetWatches2 frames.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{eventually, on_both, reach, server_on};
use futures_util::future::join_all;
use tokio::time::timeout;
use zk_client::{
    AddWatchMode, Client, ClientBuilder, CreateOptions, EventType, Op, SessionState, WatchedEvent,
};
use zk_testkit::Backend;
use zk_testkit::Proxy;

on_both!(
    cuts_between_and_inside_notifications_of_one_multi_lose_and_repeat_nothing,
    ten_thousand_watches_survive_a_reconnect,
    a_stalled_connection_is_noticed_and_the_session_goes_on,
    a_call_deadline_holds_during_an_unanswered_handshake,
);

/// SetWatches2's op code.
const SET_WATCHES2: i32 = 105;

async fn through(proxy: &Proxy) -> Client {
    ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect through the proxy")
}

async fn direct(addr: String) -> Client {
    ClientBuilder::new(addr)
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect")
}

async fn cuts_between_and_inside_notifications_of_one_multi_lose_and_repeat_nothing(
    backend: Backend,
) {
    let srv = server_on(backend);
    let proxy = Proxy::start(srv.addr()).unwrap();
    let watcher = through(&proxy).await;
    let writer = direct(srv.connect_string()).await;
    let session = watcher.session_id();
    writer
        .create("/m", b"", &CreateOptions::default())
        .await
        .unwrap();
    const NODES: usize = 10;
    for i in 0..NODES {
        writer
            .create(&format!("/m/{i}"), b"0", &CreateOptions::default())
            .await
            .unwrap();
    }
    let mut recursive = watcher
        .add_watch("/m", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    // (whole frames, then bytes of the next): between notifications, inside the length prefix,
    // inside a body, and before the first.
    let cuts = [(4, 0), (3, 2), (5, 17), (0, 9)];
    for (round, (frames, extra)) in cuts.into_iter().enumerate() {
        let mut watches = Vec::new();
        for i in 0..NODES {
            let (_, _, w) = watcher.get_data_watch(&format!("/m/{i}")).await.unwrap();
            watches.push((format!("/m/{i}"), EventType::NodeDataChanged, w));
        }
        let (_, w) = watcher.get_children_watch("/m").await.unwrap();
        watches.push(("/m".to_string(), EventType::NodeChildrenChanged, w));
        assert_eq!(proxy.open_connections(), 1);
        proxy.cut_after_server_frames(frames, extra);

        // One multi: ten data changes and a new child, eleven notifications with one zxid.
        let mut ops: Vec<Op> = (0..NODES)
            .map(|i| Op::SetData {
                path: format!("/m/{i}"),
                data: format!("{}", round + 1).into_bytes(),
                version: None,
            })
            .collect();
        ops.push(Op::Create {
            path: format!("/m/new-{round}"),
            data: Vec::new(),
            options: CreateOptions::default(),
        });
        writer.multi(&ops).await.unwrap();

        for (path, event_type, w) in watches {
            let ev: WatchedEvent = timeout(Duration::from_secs(20), w)
                .await
                .unwrap_or_else(|_| panic!("round {round}: no event for {path}"))
                .unwrap_or_else(|e| panic!("round {round}: {path}: {e}"));
            assert_eq!(
                (ev.path.as_str(), ev.event_type),
                (path.as_str(), event_type)
            );
        }
        assert_eq!(
            proxy.connections(),
            round + 2,
            "round {round}: the proxy cut the connection and the client came back"
        );
        reach(&mut watcher.states(), SessionState::Connected).await;
        assert_eq!(watcher.session_id(), session, "the session continues");
        // What the persistent watch saw this round: each node changed once, so no event may
        // come twice. (ZooKeeper does not replay a persistent watch's missed events after a
        // reconnect, so some may be missing.)
        let mut seen: BTreeMap<(String, i32), usize> = BTreeMap::new();
        while let Ok(Some(Ok(ev))) = timeout(Duration::from_millis(300), recursive.next()).await {
            *seen.entry((ev.path, ev.event_type.value())).or_default() += 1;
        }
        assert!(
            !seen.is_empty(),
            "round {round}: the recursive watch still works"
        );
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.is_empty(),
            "round {round}: delivered twice: {twice:?}"
        );
    }
    watcher.close().await;
    writer.close().await;
}

async fn ten_thousand_watches_survive_a_reconnect(backend: Backend) {
    let srv = server_on(backend);
    let proxy = Proxy::start(srv.addr()).unwrap();
    let watcher = through(&proxy).await;
    let writer = direct(srv.connect_string()).await;
    const N: usize = 10_000;
    let pad = "x".repeat(40);
    let paths: Vec<String> = (0..N).map(|i| format!("/many/{i:05}-{pad}")).collect();
    writer
        .create("/many", b"", &CreateOptions::default())
        .await
        .unwrap();
    for chunk in paths.chunks(500) {
        let ops: Vec<Op> = chunk
            .iter()
            .map(|p| Op::Create {
                path: p.clone(),
                data: Vec::new(),
                options: CreateOptions::default(),
            })
            .collect();
        writer.multi(&ops).await.unwrap();
    }
    let set: Vec<_> = join_all(paths.iter().map(|p| watcher.get_data_watch(p))).await;
    let watches: Vec<_> = set
        .into_iter()
        .map(|r| r.expect("get_data_watch").2)
        .collect();
    assert!(srv
        .four_letter_word("wchs")
        .unwrap()
        .contains(&format!("Total watches:{N}")));

    let mut state = watcher.states();
    proxy.cut();
    reach(&mut state, SessionState::Disconnected).await;
    reach(&mut state, SessionState::Connected).await;
    let bytes: usize = paths.iter().map(String::len).sum();
    let frames = bytes.div_ceil(zk_client::session::SET_WATCHES_MAX_LENGTH);
    assert!(frames >= 4, "{bytes} bytes of paths");
    eventually(|| {
        let sent = proxy
            .client_ops()
            .iter()
            .filter(|op| **op == SET_WATCHES2)
            .count();
        async move { sent == frames }
    })
    .await;
    eventually(|| {
        let wchs = srv.four_letter_word("wchs").unwrap_or_default();
        async move { wchs.contains(&format!("Total watches:{N}")) }
    })
    .await;

    for chunk in paths.chunks(500) {
        let ops: Vec<Op> = chunk
            .iter()
            .map(|p| Op::SetData {
                path: p.clone(),
                data: b"changed".to_vec(),
                version: None,
            })
            .collect();
        writer.multi(&ops).await.unwrap();
    }
    let events = timeout(Duration::from_secs(60), join_all(watches))
        .await
        .expect("every watch fires");
    for (ev, path) in events.into_iter().zip(&paths) {
        let ev = ev.expect("an event");
        assert_eq!(
            (&ev.path, ev.event_type),
            (path, EventType::NodeDataChanged)
        );
    }
    watcher.close().await;
    writer.close().await;
}

/// A proxy that stops delivering without closing (a stalled network): the client notices the
/// silence within its read timeout, and the session goes on once bytes flow again.
async fn a_stalled_connection_is_noticed_and_the_session_goes_on(backend: Backend) {
    let server = server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let zk = zk_client::ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(6))
        .connect()
        .await
        .expect("connect");
    let session = zk.session_id();
    let state = zk.states();
    let stalled_at = std::time::Instant::now();
    proxy.set_stalled(true);
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| s == zk_client::SessionState::Disconnected),
    )
    .await
    .expect("the silence is noticed");
    // The read timeout is two thirds of the negotiated session timeout.
    assert!(stalled_at.elapsed() < Duration::from_secs(6));
    proxy.set_stalled(false);
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| s == zk_client::SessionState::Connected),
    )
    .await
    .expect("back");
    assert_eq!(zk.session_id(), session);
    zk.exists("/").await.expect("a call after the stall");
}

/// A call's deadline holds while a reconnection's handshake goes unanswered: the driver's one
/// timer covers the handshake's deadline and the calls' together. (Before the session owned its
/// clock, the handshake was awaited on its own, and a call could time out up to the connect
/// timeout late.)
async fn a_call_deadline_holds_during_an_unanswered_handshake(backend: Backend) {
    let server = server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let zk = zk_client::ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    let state = zk.states();
    let accepted = proxy.connections();
    // The connection drops; the next one is accepted but nothing reaches the server.
    proxy.set_stalled(true);
    proxy.cut();
    timeout(
        Duration::from_secs(10),
        state.wait_for(|s| s == SessionState::Disconnected),
    )
    .await
    .expect("the cut is noticed");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while proxy.connections() == accepted {
        assert!(std::time::Instant::now() < deadline, "no reconnection");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The client is in the new connection's handshake, which has 10 s to be answered.
    let started = std::time::Instant::now();
    let answer = zk
        .with_timeout(Some(Duration::from_millis(300)))
        .exists("/")
        .await;
    let took = started.elapsed();
    assert_eq!(answer, Err(zk_client::Error::Timeout));
    assert!(took < Duration::from_secs(3), "timed out after {took:?}");
    proxy.set_stalled(false);
}
