//! Faults on a real three-member ensemble: the connected server and the leader killed under
//! writes, a frozen server, a minority partition in read-only mode, and a reconfiguration.
//!
//! The tests take turns (each runs three JVMs, and the machine may have two cores).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::reach;
use tokio::sync::Mutex;
use tokio::task::block_in_place;
use tokio::time::{sleep, timeout};
use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions, Error, SessionState};
use zk_testkit::{Ensemble, EnsembleOptions, Mode, ServerOptions};

static TURN: Mutex<()> = Mutex::const_new(());

fn ensemble(options: EnsembleOptions) -> Ensemble {
    block_in_place(|| Ensemble::start_with(options))
        .expect("a real three-member ensemble must start (scripts/install-zookeeper.sh)")
}

/// Waits at most `limit` for `f` to hold.
async fn within(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        sleep(Duration::from_millis(50)).await;
    }
}

fn member_of(zk: &Ensemble, client: &Client) -> usize {
    client
        .connected_server()
        .and_then(|a| zk.index_of(a))
        .expect("connected to a member")
}

#[derive(Debug, Default)]
struct Tally {
    sent: usize,
    acked: Vec<String>,
    unknown: Vec<String>,
    failed: Vec<(String, Error)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_killing_the_connected_server_then_the_leader() {
    let _turn = TURN.lock().await;
    let mut zk = ensemble(EnsembleOptions::default());
    let client = ClientBuilder::new(zk.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    let session = client.session_id();
    client
        .create("/w", b"", &CreateOptions::default())
        .await
        .unwrap();
    client
        .create("/eph", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();

    let mut state = client.states();
    let disconnects = Arc::new(AtomicUsize::new(0));
    let counter = disconnects.clone();
    tokio::spawn(async move {
        while let Some(Ok(now)) = state.next().await {
            if now == SessionState::Disconnected {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let (c, stop, acked) = (client.clone(), stop.clone(), acked.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let path = format!("/w/{t}-{i}");
                    i += 1;
                    tally.sent += 1;
                    match c
                        .create(&path, path.as_bytes(), &CreateOptions::default())
                        .await
                    {
                        Ok(_) => {
                            acked.fetch_add(1, Ordering::SeqCst);
                            tally.acked.push(path);
                        }
                        // Written, answer lost: the outcome is unknown.
                        Err(Error::ConnectionLoss | Error::Timeout) => tally.unknown.push(path),
                        Err(e) => tally.failed.push((path, e)),
                    }
                }
                tally
            })
        })
        .collect();
    let progress = |acked: &AtomicUsize| {
        let from = acked.load(Ordering::SeqCst);
        move |acked: &AtomicUsize| acked.load(Ordering::SeqCst) >= from + 100
    };

    let mark = progress(&acked);
    within(
        Duration::from_secs(20),
        "writes before the first fault",
        || mark(&acked),
    )
    .await;

    // 1. Kill the server the client is connected to.
    let first = member_of(&zk, &client);
    zk.kill(first);
    let killed = zk.addr(first);
    within(Duration::from_secs(30), "moved to another member", || {
        client.connected_server().is_some_and(|a| a != killed)
    })
    .await;
    let mark = progress(&acked);
    within(
        Duration::from_secs(30),
        "writes after the first fault",
        || mark(&acked),
    )
    .await;

    // 2. Bring it back, then kill the leader.
    block_in_place(|| zk.restart(first)).unwrap();
    block_in_place(|| zk.wait_for_quorum()).unwrap();
    let leader = zk.leader().unwrap();
    let before = disconnects.load(Ordering::SeqCst);
    zk.kill(leader);
    let leader_addr = zk.addr(leader);
    within(
        Duration::from_secs(30),
        "reconnected after the leader died",
        || {
            client.connected_server().is_some_and(|a| a != leader_addr)
                && (disconnects.load(Ordering::SeqCst) > before
                    || member_of(&zk, &client) != leader)
        },
    )
    .await;
    let mark = progress(&acked);
    within(
        Duration::from_secs(30),
        "writes after the leader died",
        || mark(&acked),
    )
    .await;

    stop.store(true, Ordering::SeqCst);
    let mut all = Tally::default();
    for w in writers {
        let t = w.await.unwrap();
        all.sent += t.sent;
        all.acked.extend(t.acked);
        all.unknown.extend(t.unknown);
        all.failed.extend(t.failed);
    }

    assert!(disconnects.load(Ordering::SeqCst) >= 2, "two faults seen");
    assert_eq!(client.session_id(), session, "the session survived");
    let eph = client
        .exists("/eph")
        .await
        .unwrap()
        .expect("the ephemeral node survived");
    assert_eq!(eph.ephemeral_owner, session);
    assert!(all.failed.is_empty(), "{:?}", all.failed);
    assert_eq!(
        all.sent,
        all.acked.len() + all.unknown.len(),
        "every request got exactly one answer"
    );
    let present: BTreeSet<String> = client
        .get_children("/w")
        .await
        .unwrap()
        .into_iter()
        .map(|c| format!("/w/{c}"))
        .collect();
    let missing: Vec<_> = all.acked.iter().filter(|p| !present.contains(*p)).collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    let allowed: BTreeSet<&String> = all.acked.iter().chain(&all.unknown).collect();
    let strays: Vec<_> = present.iter().filter(|p| !allowed.contains(p)).collect();
    assert!(strays.is_empty(), "writes nobody made: {strays:?}");
    eprintln!(
        "{} writes: {} acknowledged, {} unknown (connection lost), {} present",
        all.sent,
        all.acked.len(),
        all.unknown.len(),
        present.len()
    );
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_server_is_left_within_the_read_timeout() {
    let _turn = TURN.lock().await;
    let mut zk = ensemble(EnsembleOptions::default());
    let timeout_asked = Duration::from_secs(6);
    let client = ClientBuilder::new(zk.connect_string())
        .session_timeout(timeout_asked)
        .connect()
        .await
        .unwrap();
    let session = client.session_id();
    let read_timeout = timeout_asked * 2 / 3;
    let mut state = client.states();
    let frozen = member_of(&zk, &client);
    let frozen_addr = zk.addr(frozen);

    let started = Instant::now();
    block_in_place(|| zk.freeze(frozen)).unwrap();
    reach(&mut state, SessionState::Disconnected).await;
    let noticed = started.elapsed();
    // Silence is measured from the last frame received, which came before the freeze.
    assert!(
        noticed <= read_timeout + Duration::from_millis(500),
        "noticed after {noticed:?} (read timeout {read_timeout:?})"
    );
    reach(&mut state, SessionState::Connected).await;
    assert_ne!(client.connected_server(), Some(frozen_addr));
    assert_eq!(client.session_id(), session);
    client
        .create("/after-freeze", b"", &CreateOptions::default())
        .await
        .unwrap();
    zk.thaw(frozen);
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minority_member_serves_reads_until_the_quorum_is_back() {
    let _turn = TURN.lock().await;
    let mut zk = ensemble(EnsembleOptions {
        read_only_mode: true,
        ..EnsembleOptions::default()
    });
    let setup = ClientBuilder::new(zk.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    setup
        .create("/ro", b"before", &CreateOptions::default())
        .await
        .unwrap();
    setup.close().await;

    // Member 2 alone: a minority, serving reads.
    zk.kill(0);
    zk.kill(1);
    block_in_place(|| zk.wait_for_mode(2, Mode::ReadOnly, Duration::from_secs(30))).unwrap();

    // Without read-only allowed, no session.
    let refused = ClientBuilder::new(zk.addr(2).to_string())
        .session_timeout(Duration::from_secs(2))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::NoHosts(_)), "{refused:?}");

    let client = ClientBuilder::new(zk.connect_string())
        .session_timeout(Duration::from_secs(10))
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let state = client.states();
    assert_eq!(state.current(), SessionState::ConnectedReadOnly);
    assert_eq!(client.connected_server(), Some(zk.addr(2)));
    let read_only_session = client.session_id();
    let (data, _, changed) = client.get_data_watch("/ro").await.unwrap();
    assert_eq!(data, b"before");
    assert_eq!(
        client
            .create("/x", b"", &CreateOptions::default())
            .await
            .unwrap_err(),
        Error::NotReadOnly
    );
    assert_eq!(
        client.set_data("/ro", b"no", None).await.unwrap_err(),
        Error::NotReadOnly
    );

    // The quorum comes back: the client finds a read-write server by itself. The session a
    // read-only server made up is local to it, so the read-write server starts a new one, and
    // the watch is set again on it.
    block_in_place(|| zk.restart(0)).unwrap();
    block_in_place(|| zk.restart(1)).unwrap();
    block_in_place(|| zk.wait_for_quorum()).unwrap();
    timeout(
        Duration::from_secs(30),
        state.wait_for(|s| s == SessionState::Connected),
    )
    .await
    .expect("back to read-write within 30 s");
    assert_ne!(client.session_id(), read_only_session);
    client.set_data("/ro", b"after", None).await.unwrap();
    let ev = timeout(Duration::from_secs(10), changed)
        .await
        .expect("the watch set on the read-only server fires")
        .unwrap();
    assert_eq!(ev.path, "/ro");
    assert_eq!(client.get_data("/ro").await.unwrap().0, b"after");
    client.close().await;
}

fn servers_in(config: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(config)
        .lines()
        .filter(|l| l.starts_with("server."))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconfig_removes_and_adds_a_member() {
    let _turn = TURN.lock().await;
    let zk = ensemble(EnsembleOptions {
        server: ServerOptions {
            reconfig: true,
            system_properties: vec![("zookeeper.skipACL".into(), "yes".into())],
            ..ServerOptions::default()
        },
        ..EnsembleOptions::default()
    });
    // Talk to the leader, and remove a follower: removing the leader (or the member a client
    // is connected to) drops client connections.
    let leader = zk.leader().unwrap();
    let removed = (0..3).find(|&i| i != leader).unwrap_or(0);
    let client = ClientBuilder::new(zk.addr(leader).to_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    let (config, stat) = client.get_config().await.unwrap();
    let servers = servers_in(&config);
    assert_eq!(servers.len(), 3, "{}", String::from_utf8_lossy(&config));
    let id = (removed + 1).to_string();
    let member = servers
        .iter()
        .find(|l| l.starts_with(&format!("server.{id}=")))
        .expect("the member's line")
        .clone();

    let (_, _, changed) = client.get_config_watch().await.unwrap();
    let (after, after_stat) = client.reconfig(None, Some(&id), None, -1).await.unwrap();
    assert_eq!(
        servers_in(&after).len(),
        2,
        "{}",
        String::from_utf8_lossy(&after)
    );
    assert!(after_stat.mzxid > stat.mzxid);
    let ev = timeout(Duration::from_secs(10), changed)
        .await
        .expect("the config watch fires")
        .unwrap();
    assert_eq!(ev.path, zk_client::CONFIG_NODE);

    // A stale expected version is refused.
    let stale = client
        .reconfig(Some(&member), None, None, stat.mzxid)
        .await
        .unwrap_err();
    assert_eq!(stale, Error::BadVersion);
    let (back, _) = client
        .reconfig(Some(&member), None, None, -1)
        .await
        .unwrap();
    assert_eq!(
        servers_in(&back).len(),
        3,
        "{}",
        String::from_utf8_lossy(&back)
    );
    client.close().await;
}
