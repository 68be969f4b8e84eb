//! A duration too large for any clock (`Duration::MAX`, a timeout of 10^19 seconds) means "no
//! limit" everywhere a duration meets an instant: in the client's settings and calls, and in
//! every recipe's duration and around every acquire. Each of these panicked with "overflow when adding duration to
//! instant" before (the connect timeout inside the connection task, where `connect()` then
//! returned `Closed`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{on_both, server_on};
use zk_client::ClientBuilder;
use zk_recipes::{Barrier, DoubleBarrier, LeaderLatch, Lock, Semaphore};
use zk_testkit::Backend;

on_both!(duration_max_is_no_limit_in_the_client_and_every_recipe,);

async fn duration_max_is_no_limit_in_the_client_and_every_recipe(backend: Backend) {
    let server = server_on(backend);
    let huge = Duration::MAX;
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(huge)
        .connect_timeout(huge)
        .request_timeout(Some(huge))
        .connect()
        .await
        .expect("connect with every timeout at Duration::MAX");
    zk.create("/d", b"", &Default::default())
        .await
        .expect("a call");
    let addr = server.addr();
    let ruok = zk_client::four_letter_word(&addr.ip().to_string(), addr.port(), "ruok", None, huge)
        .await
        .expect("ruok");
    assert_eq!(ruok, b"imok");

    // The recipes' own durations (the grace after a lost connection), and the deadline idiom
    // of every acquire (`tokio::time::timeout`), with the same huge limit.
    let bounded = |what| tokio::time::timeout(huge, what);
    let lock = Lock::new(&zk, "/d/lock").lost_after_disconnect(huge);
    let guard = bounded(lock.acquire())
        .await
        .expect("no timeout")
        .expect("a free lock");
    guard.release().await;
    let latch = LeaderLatch::new(&zk, "/d/leader")
        .id("me")
        .lost_after_disconnect(huge);
    let lead = tokio::time::timeout(huge, latch.acquire())
        .await
        .expect("no timeout")
        .expect("an empty election");
    lead.release().await;
    let semaphore = Semaphore::new(&zk, "/d/sem").lost_after_disconnect(huge);
    let lease = tokio::time::timeout(huge, semaphore.acquire())
        .await
        .expect("no timeout")
        .expect("a free lease");
    lease.release().await;
    let gate = Barrier::new(&zk, "/d/gate");
    tokio::time::timeout(huge, gate.wait())
        .await
        .expect("no timeout")
        .expect("an unset barrier");
    let double = DoubleBarrier::new(&zk, "/d/double").members(1);
    tokio::time::timeout(huge, double.enter())
        .await
        .expect("no timeout")
        .expect("a barrier of one");
    double.leave().await.expect("leave");
    zk.close().await;
}
