//! Our recipes in kazoo's layouts and kazoo 2.11's own (installed from PyPI by the test kit)
//! contend on one path: `Lock::kazoo()` with kazoo's `Lock`, `LeaderLatch::kazoo()` with its
//! `Election`. Both sides append "in"/"out" markers to one log, which must never overlap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{on_both, server_on};
use zk_client::Client;
use zk_recipes::{LeaderLatch, Lock};
use zk_testkit::{Backend, KazooContender, KazooRecipe};

const ROUNDS: usize = 15;

on_both!(
    our_kazoo_lock_and_kazoos_exclude_each_other,
    our_kazoo_election_and_kazoos_take_turns,
);

/// kazoo's `recipe` and ours (`ours`) take turns on `path`, on a server of `backend`.
async fn contend(
    backend: Backend,
    recipe: KazooRecipe,
    path: &str,
    ours: impl FnOnce(Client, PathBuf) -> tokio::task::JoinHandle<()>,
) {
    let kazoo = KazooContender::install(&format!("{recipe:?}-{backend:?}")).expect("kazoo");
    let server = server_on(backend);
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

async fn our_kazoo_lock_and_kazoos_exclude_each_other(backend: Backend) {
    let path = "/interop/kazoo-lock";
    contend(backend, KazooRecipe::Lock, path, |zk, log| {
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

async fn our_kazoo_election_and_kazoos_take_turns(backend: Backend) {
    let path = "/interop/kazoo-election";
    contend(backend, KazooRecipe::Election, path, |zk, log| {
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
