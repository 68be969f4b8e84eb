//! Four-letter words against ZooKeeper 3.8: the same session state on a real server and on
//! ours (an ephemeral node, data and exists watches, a child watch), then every word asked
//! of both. What depends on neither server's history must match: `ruok`, `isro`, the watch
//! summary and lists, the ephemerals in `dump`, `srvr`'s lines and values (but counts of
//! packets and latencies), `mntr`'s values of the tree and sessions, the form of `cons`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::time::Duration;

use zk_client::{Client, CreateMode, CreateOptions};
use zk_testkit::TestServer;

async fn word(addr: &str, w: &str) -> String {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let bytes =
        zk_client::four_letter_word(host, port.parse().unwrap(), w, None, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{w} on {addr}: {e}"));
    String::from_utf8(bytes).unwrap()
}

/// Session ids written as `0x…` become `S` (each server hands out its own).
fn anonymous(text: &str, ids: &[i64]) -> String {
    ids.iter().fold(text.to_string(), |t, id| {
        t.replace(&format!("0x{id:x}"), "S")
    })
}

fn value<'a>(text: &'a str, key: &str, sep: char) -> Option<&'a str> {
    text.lines().find_map(|l| {
        l.split_once(sep)
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.trim())
    })
}

struct Seen {
    simple: Vec<String>,
    srvr_keys: Vec<String>,
    srvr_values: Vec<Option<String>>,
    mntr: Vec<Option<String>>,
    dump_ephemerals: String,
    cons: Vec<String>,
}

async fn ask(addr: &str) -> Seen {
    let a = Client::connect(addr).await.expect("a");
    let b = Client::connect(addr).await.expect("b");
    let ids = [a.session_id(), b.session_id()];
    a.create("/e", b"x", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .expect("ephemeral");
    b.create("/p", b"", &CreateOptions::default())
        .await
        .expect("persistent");
    let (_, _, _w1) = a.get_data_watch("/e").await.expect("data watch");
    let (_, _w2) = b.exists_watch("/missing").await.expect("exists watch");
    let (_, _w3) = b.exists_watch("/e").await.expect("exists watch");
    let (_, _w4) = a.get_children_watch("/").await.expect("child watch");
    let mut simple = Vec::new();
    for w in ["ruok", "isro", "wchs", "wchp"] {
        simple.push(format!("{w}: {}", anonymous(&word(addr, w).await, &ids)));
    }
    // ZooKeeper lists wchc's sessions in its connections' identity-hash order: compared as a
    // set of blocks (each block's paths in order).
    let wchc = anonymous(&word(addr, "wchc").await, &ids);
    let mut blocks: Vec<&str> = wchc.split("S\n").filter(|b| !b.trim().is_empty()).collect();
    blocks.sort_unstable();
    simple.push(format!("wchc: {blocks:?}"));
    let srvr = word(addr, "srvr").await;
    let srvr_keys = srvr
        .lines()
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect();
    let srvr_values = ["Outstanding", "Zxid", "Mode", "Node count"]
        .iter()
        .map(|k| value(&srvr, k, ':').map(str::to_string))
        .collect();
    let mntr = word(addr, "mntr").await;
    let mntr = [
        "zk_server_state",
        "zk_ephemerals_count",
        "zk_znode_count",
        "zk_global_sessions",
        "zk_watch_count",
        "zk_outstanding_requests",
    ]
    .iter()
    .map(|k| value(&mntr, k, '\t').map(str::to_string))
    .collect();
    let dump = anonymous(&word(addr, "dump").await, &ids);
    let start = dump
        .find("ephemeral nodes dump:")
        .expect("the ephemerals' part");
    let end = dump.find("Connections dump:").unwrap_or(dump.len());
    let cons = word(addr, "cons")
        .await
        .lines()
        .map(|l| {
            // ` /127.0.0.1:PORT[1](queued=0,recved=N,sent=N...`: the form, not the numbers.
            let l = l.trim_start();
            l.split(['[', ']', '('])
                .take(3)
                .map(|p| {
                    p.chars()
                        .filter(|c| !c.is_ascii_digit())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    a.close().await;
    b.close().await;
    Seen {
        simple,
        srvr_keys,
        srvr_values,
        mntr,
        dump_ephemerals: dump[start..end].to_string(),
        cons,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_letter_words_answer_as_zookeeper_answers() {
    let real = TestServer::start().expect("ZooKeeper starts");
    let ours = zk_server::Server::builder()
        .four_letter_words(&["*"])
        .start()
        .await
        .expect("starts");
    let expected = ask(&real.connect_string()).await;
    let got = ask(&ours.connect_string()).await;
    assert_eq!(got.simple, expected.simple);
    assert_eq!(got.srvr_keys, expected.srvr_keys);
    assert_eq!(got.srvr_values, expected.srvr_values);
    assert_eq!(got.mntr, expected.mntr);
    assert_eq!(got.dump_ephemerals, expected.dump_ephemerals);
    assert_eq!(got.cons, expected.cons);
    assert!(
        expected.simple.iter().any(|l| l.contains("/e")),
        "{:?}",
        expected.simple
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_whitelisted_words_run() {
    let ours = zk_server::Server::builder().start().await.expect("starts");
    let addr = ours.connect_string();
    assert!(word(&addr, "srvr").await.starts_with("Zookeeper version: "));
    assert_eq!(
        word(&addr, "ruok").await,
        "ruok is not executed because it is not in the whitelist.\n"
    );
}
