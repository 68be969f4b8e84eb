//! The single barrier on both servers (the double barrier is tested with Curator's in
//! `curator.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{on_both, server_on};
use zk_client::ClientBuilder;
use zk_recipes::Barrier;
use zk_testkit::Backend;

on_both!(
    a_barrier_holds_waiters_until_removed,
    a_double_barrier_entry_given_up_leaves_no_member_behind,
);

async fn a_barrier_holds_waiters_until_removed(backend: Backend) {
    let server = server_on(backend);
    let zk = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("connect");
    let gate = Barrier::new(&zk, "/gates/g");
    gate.set().await.expect("set");
    gate.set().await.expect("set twice");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), gate.wait())
            .await
            .is_err(),
        "a raised barrier let a waiter through"
    );
    let waiter = gate.clone();
    let waiting = tokio::spawn(async move { waiter.wait().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!waiting.is_finished());
    gate.remove().await.expect("remove");
    tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released")
        .expect("task")
        .expect("wait");
}

async fn a_double_barrier_entry_given_up_leaves_no_member_behind(backend: Backend) {
    let server = server_on(backend);
    let zk = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("connect");
    let round = zk_recipes::DoubleBarrier::new(&zk, "/rounds/r");
    // Without its number of members, entering says what is missing.
    let e = round.enter().await.expect_err("no members given");
    assert!(e.to_string().contains("DoubleBarrier::members"), "{e}");
    let round = round.members(2);
    // One of two enters and gives up: its member node goes again.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), round.enter())
            .await
            .is_err()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !zk
        .get_children("/rounds/r")
        .await
        .expect("children")
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the member node stayed after the entry was given up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
