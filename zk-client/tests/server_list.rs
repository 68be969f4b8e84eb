//! `Client::update_server_list` on a real three-member ensemble: 30 clients connected to one
//! member are given all three; they spread over the members (counted from the clients and
//! from each member's `cons`) without losing a session or an ephemeral node. And
//! `Client::track_ensemble` following `reconfig` as a member is removed and added back, and
//! moving a client off the member that is removed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::task::block_in_place;
use zk_client::{ClientBuilder, CreateMode, CreateOptions, Error, SessionState};
use zk_testkit::{Ensemble, EnsembleOptions, ServerOptions};

const CLIENTS: usize = 30;

/// The tests take turns: each runs three JVMs, and the machine may have two cores.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_given_more_servers_spread_over_them_and_keep_their_sessions() {
    let _turn = TURN.lock().await;
    let zk = block_in_place(Ensemble::start)
        .expect("a real three-member ensemble must start (scripts/install-zookeeper.sh)");
    let first = zk.addr(0).to_string();
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let client = ClientBuilder::new(first.as_str())
            .session_timeout(Duration::from_secs(20))
            .connect()
            .await
            .expect("connect to the first member");
        if i == 0 {
            client
                .create("/members", b"", &CreateOptions::default())
                .await
                .expect("parent");
        }
        client
            .create(
                &format!("/members/m{i}"),
                b"",
                &CreateOptions::default().with_mode(CreateMode::Ephemeral),
            )
            .await
            .expect("ephemeral");
        clients.push(client);
    }
    let ids: Vec<i64> = clients.iter().map(|c| c.session_id()).collect();

    let all = zk.connect_string();
    for c in &clients {
        c.update_server_list(&all).expect("update");
    }
    // The chroot cannot change with the list.
    assert!(matches!(
        clients[0].update_server_list(&format!("{all}/other")),
        Err(Error::InvalidArgument(_))
    ));

    // Settled: every client connected, to a member, and the same set for a second.
    let where_ = |clients: &[zk_client::Client]| -> Option<Vec<usize>> {
        clients
            .iter()
            .map(|c| {
                (c.state() == SessionState::Connected)
                    .then(|| c.connected_server().and_then(|a| zk.index_of(a)))
                    .flatten()
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let members = loop {
        assert!(Instant::now() < deadline, "the clients did not settle");
        if let Some(before) = where_(&clients) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if where_(&clients).as_ref() == Some(&before) {
                break before;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let per: Vec<usize> = (0..3)
        .map(|m| members.iter().filter(|&&x| x == m).count())
        .collect();
    eprintln!("clients per member after the update: {per:?}");
    // Expected 10 each (a third stay); every member gets some and the first keeps at most
    // 20 (each bound fails with a probability below 1e-4).
    assert!(per.iter().all(|&n| n >= 1), "{per:?}");
    assert!(per[0] <= 20, "{per:?}");

    // Each member's own account: the sessions it serves are those the clients say.
    for m in 0..3 {
        let cons = zk.four_letter_word(m, "cons").expect("cons");
        let served: BTreeSet<i64> = cons
            .split("sid=0x")
            .skip(1)
            .filter_map(|rest| {
                let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
                i64::from_str_radix(&hex, 16).ok()
            })
            .collect();
        for (c, &member) in members.iter().enumerate() {
            if member == m {
                assert!(
                    served.contains(&ids[c]),
                    "member {m} does not list client {c}: {cons}"
                );
            }
        }
    }

    // No session lost: same ids, every ephemeral node still there.
    let now: Vec<i64> = clients.iter().map(|c| c.session_id()).collect();
    assert_eq!(now, ids);
    let children = clients[0].get_children("/members").await.expect("children");
    assert_eq!(children.len(), CLIENTS);
    for c in clients {
        c.close().await;
    }
}

/// An ensemble that takes `reconfig` (from any client: ACLs skipped).
fn reconfigurable_ensemble() -> Ensemble {
    block_in_place(|| {
        Ensemble::start_with(EnsembleOptions {
            server: ServerOptions {
                reconfig: true,
                system_properties: vec![("zookeeper.skipACL".into(), "yes".into())],
                ..ServerOptions::default()
            },
            ..EnsembleOptions::default()
        })
    })
    .expect("a real three-member ensemble must start")
}

/// Waits at most 20 s until the client's server list has `n` entries.
async fn servers_become(client: &zk_client::Client, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.servers().len() != n {
        assert!(
            Instant::now() < deadline,
            "the server list did not become {n} long: {:?}",
            client.servers()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracker_follows_reconfig() {
    let _turn = TURN.lock().await;
    let zk = reconfigurable_ensemble();
    // On the leader: removing the member a client is connected to drops its connection.
    let leader = zk.leader().expect("a leader");
    let removed = (0..3).find(|&i| i != leader).unwrap_or(0);
    let client = ClientBuilder::new(zk.addr(leader).to_string())
        .session_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("connect");
    let id = client.session_id();
    assert_eq!(client.servers().len(), 1);
    let tracker = client.track_ensemble();
    // The configuration lists all three.
    servers_become(&client, 3).await;
    let mut listed: Vec<u16> = client.servers().iter().map(|h| h.1).collect();
    let mut members: Vec<u16> = (0..3).map(|i| zk.addr(i).port()).collect();
    listed.sort_unstable();
    members.sort_unstable();
    assert_eq!(listed, members);

    let (config, _) = client.get_config().await.expect("config");
    let line = String::from_utf8_lossy(&config)
        .lines()
        .find(|l| l.starts_with(&format!("server.{}=", removed + 1)))
        .expect("the member's line")
        .to_string();
    client
        .reconfig(None, Some(&(removed + 1).to_string()), None, -1)
        .await
        .expect("remove a member");
    servers_become(&client, 2).await;
    assert!(!client
        .servers()
        .iter()
        .any(|h| h.1 == zk.addr(removed).port()));
    client
        .reconfig(Some(&line), None, None, -1)
        .await
        .expect("add it back");
    servers_become(&client, 3).await;
    // A grown list may move the client to an added member (the rebalancing's coin): it is
    // connected again, on the same session, once the move is done.
    let state = client.states();
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| s == SessionState::Connected),
    )
    .await
    .expect("connected after the list changed");
    assert_eq!(client.session_id(), id, "the session is kept");
    drop(tracker);
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracked_client_on_a_removed_member_moves_and_keeps_its_session() {
    let _turn = TURN.lock().await;
    let zk = reconfigurable_ensemble();
    let leader = zk.leader().expect("a leader");
    let follower = (0..3).find(|&i| i != leader).unwrap_or(0);
    // The tracked client knows only the follower that will be removed.
    let tracked = ClientBuilder::new(zk.addr(follower).to_string())
        .session_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("connect to the follower");
    let _tracker = tracked.track_ensemble();
    servers_become(&tracked, 3).await;
    let id = tracked.session_id();
    tracked
        .create(
            "/on-follower",
            b"",
            &CreateOptions::default().with_mode(CreateMode::Ephemeral),
        )
        .await
        .expect("ephemeral");
    let admin = ClientBuilder::new(zk.addr(leader).to_string())
        .session_timeout(Duration::from_secs(20))
        .connect()
        .await
        .expect("connect to the leader");
    admin
        .reconfig(None, Some(&(follower + 1).to_string()), None, -1)
        .await
        .expect("remove the follower");
    // The removed member stops serving; the client goes to one of the two left, with its
    // session, and its list follows the configuration.
    servers_become(&tracked, 2).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let on = tracked.connected_server().and_then(|a| zk.index_of(a));
        if on.is_some_and(|m| m != follower) {
            break;
        }
        assert!(Instant::now() < deadline, "still on {on:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tracked.session_id(), id);
    let stat = admin
        .exists("/on-follower")
        .await
        .expect("exists")
        .expect("the ephemeral node is kept");
    assert_eq!(stat.ephemeral_owner, id);
    tracked.close().await;
    admin.close().await;
}
