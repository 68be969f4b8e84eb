//! Our recipes in kazoo's layouts and kazoo 2.11's own (installed from PyPI by the test kit)
//! contend on one path: `Lock::kazoo()` with kazoo's `Lock`, `LeaderLatch::kazoo()` with its
//! `Election`. Both sides append "in"/"out" markers to one log, which must never overlap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::path::PathBuf;
use std::time::Duration;

use zk_client::Client;
use zk_recipes::{LeaderLatch, Lock};
use zk_testkit::{KazooContender, KazooRecipe};

const ROUNDS: usize = 15;

/// On real ZooKeeper, or (`embedded`) on the embedded server.
async fn contend_on(
    embedded: bool,
    recipe: KazooRecipe,
    path: &str,
    ours: impl FnOnce(Client, PathBuf) -> tokio::task::JoinHandle<()>,
) {
    let kazoo = KazooContender::install(&format!(
        "{recipe:?}{}",
        if embedded { "-embedded" } else { "" }
    ))
    .expect("kazoo");
    let server = common::Server::start(embedded);
    let log = kazoo.file("markers.log");
    let python = kazoo
        .spawn(&server.connect_string(), recipe, path, ROUNDS, &log)
        .expect("python");
    common::contend(
        &server.connect_string(),
        python,
        &log,
        "kazoo",
        ROUNDS,
        ours,
    )
    .await;
}

async fn lock(embedded: bool) {
    let path = "/interop/kazoo-lock";
    contend_on(embedded, KazooRecipe::Lock, path, |zk, log| {
        tokio::spawn(async move {
            let lock = Lock::new(&zk, path).kazoo().data("rust");
            for _ in 0..ROUNDS {
                let g = lock.acquire().await.expect("acquire");
                let name = g.node().rsplit('/').next().expect("name").to_string();
                assert!(
                    name.contains("__lock__") && !name.starts_with("_c_"),
                    "{name}"
                );
                common::mark(&log, "rust", "in");
                tokio::time::sleep(Duration::from_millis(20)).await;
                common::mark(&log, "rust", "out");
                g.release().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_kazoo_lock_and_kazoos_exclude_each_other() {
    lock(false).await;
}

/// The same on the embedded server: the other client sees no difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_kazoo_lock_and_kazoos_exclude_each_other_on_the_embedded_server() {
    lock(true).await;
}

async fn election(embedded: bool) {
    let path = "/interop/kazoo-election";
    contend_on(embedded, KazooRecipe::Election, path, |zk, log| {
        tokio::spawn(async move {
            for i in 0..ROUNDS {
                let latch = LeaderLatch::new(&zk, path).id(&format!("rust-{i}")).kazoo();
                let lead = latch.acquire().await.expect("leadership");
                common::mark(&log, "rust", "in");
                tokio::time::sleep(Duration::from_millis(20)).await;
                common::mark(&log, "rust", "out");
                lead.release().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_kazoo_election_and_kazoos_take_turns() {
    election(false).await;
}

/// The same on the embedded server: the other client sees no difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_kazoo_election_and_kazoos_take_turns_on_the_embedded_server() {
    election(true).await;
}
