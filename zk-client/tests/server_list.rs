//! `Client::update_server_list` on a real three-member ensemble: 30 clients connected to one
//! member are given all three; they spread over the members (counted from the clients and
//! from each member's `cons`) without losing a session or an ephemeral node.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::task::block_in_place;
use zk_client::{ClientBuilder, CreateMode, CreateOptions, Error, SessionState};
use zk_testkit::Ensemble;

const CLIENTS: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_given_more_servers_spread_over_them_and_keep_their_sessions() {
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
                (*c.state().borrow() == SessionState::Connected)
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
