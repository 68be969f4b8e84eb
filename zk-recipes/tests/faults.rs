//! The lock under faults: a thousand waiters and one release (notifications counted at a
//! proxy), a cut during the acquire's create, the holder's server killed in an ensemble, and a
//! holder partitioned from an ensemble.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{on_both, server_on};
use zk_client::{Client, ClientBuilder, Op};
use zk_recipes::{Lock, Loss};
use zk_testkit::Backend;
use zk_testkit::{Ensemble, Proxy};

on_both!(
    a_thousand_waiters_and_one_release_make_one_notification,
    a_cut_during_the_acquires_create_leaves_one_node,
    by_default_a_holder_is_told_as_soon_as_its_connection_is_lost,
);

async fn client(connect: &str, timeout: Duration) -> Client {
    ClientBuilder::new(connect)
        .session_timeout(timeout)
        .connect()
        .await
        .expect("connect")
}

async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !f().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_thousand_waiters_and_one_release_make_one_notification(backend: Backend) {
    const CLIENTS: usize = 10;
    const PER_CLIENT: usize = 100;
    let server = server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let holder = client(&server.connect_string(), Duration::from_secs(30)).await;
    let guard = Lock::new(&holder, "/locks/herd")
        .acquire()
        .await
        .expect("holder");
    let acquired = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    for _ in 0..CLIENTS {
        let zk = client(&proxy.connect_string(), Duration::from_secs(30)).await;
        for _ in 0..PER_CLIENT {
            let (zk, acquired) = (zk.clone(), acquired.clone());
            waiters.push(tokio::spawn(async move {
                let g = Lock::new(&zk, "/locks/herd")
                    .acquire()
                    .await
                    .expect("waiter");
                acquired.fetch_add(1, Ordering::SeqCst);
                // Hold on, so the queue does not move on.
                std::future::pending::<()>().await;
                drop(g);
            }));
        }
    }
    let waiters_n = CLIENTS * PER_CLIENT;
    eventually(
        "every waiter is queued and watching",
        Duration::from_secs(120),
        || async {
            let wchs = server.four_letter_word("wchs").unwrap_or_default();
            wchs.contains(&format!("Total watches:{}", waiters_n + 1))
        },
    )
    .await;
    // One watch per node: each waiter on its predecessor, the holder on its own node.
    let wchs = server.four_letter_word("wchs").expect("wchs");
    assert!(
        wchs.contains(&format!("watching {waiters_n} paths")),
        "{wchs}"
    );
    let before = proxy.notifications();
    guard.release().await;
    eventually(
        "the next waiter acquires",
        Duration::from_secs(20),
        || async { acquired.load(Ordering::SeqCst) == 1 },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        proxy.notifications() - before,
        1,
        "a release woke more than one waiter"
    );
    assert_eq!(acquired.load(Ordering::SeqCst), 1);
    for w in waiters {
        w.abort();
    }
}

async fn a_cut_during_the_acquires_create_leaves_one_node(backend: Backend) {
    let server = server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let zk = client(&proxy.connect_string(), Duration::from_secs(30)).await;
    let admin = client(&server.connect_string(), Duration::from_secs(30)).await;
    // Parents first, so the create is the next request and its reply the one lost.
    admin
        .create_all(
            "/locks/cut/x",
            b"",
            &Default::default(),
            zk_client::CreateMode::Persistent,
        )
        .await
        .expect("parents");
    admin.delete("/locks/cut/x", None).await.expect("clean");
    proxy.cut_after_server_frames(0, 0);
    let guard = Lock::new(&zk, "/locks/cut")
        .acquire()
        .await
        .expect("acquire through the cut");
    assert!(proxy.connections() >= 2, "the connection was not cut");
    let children = admin.get_children("/locks/cut").await.expect("children");
    assert_eq!(
        children.len(),
        1,
        "an orphan or a second node: {children:?}"
    );
    assert_eq!(format!("/locks/cut/{}", children[0]), guard.node());
    guard.release().await;
    assert_eq!(admin.get_children("/locks/cut").await, Ok(Vec::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_holder_keeps_the_lock_when_its_server_is_killed() {
    let mut ens = Ensemble::start().expect("ensemble");
    let holder = client(&ens.connect_string(), Duration::from_secs(10)).await;
    let other = client(&ens.connect_string(), Duration::from_secs(10)).await;
    // Riding out a failover is what lost_only_on_expiry trades safety for: the default would
    // count the lost connection as a loss (see the next test).
    let guard = Lock::new(&holder, "/locks/e")
        .lost_only_on_expiry()
        .acquire()
        .await
        .expect("acquire");
    let on = holder.connected_server().expect("connected");
    let member = ens.index_of(on).expect("a member");
    ens.kill(member);
    eventually(
        "the holder reconnects elsewhere",
        Duration::from_secs(20),
        || async { holder.state().is_connected() && holder.connected_server() != Some(on) },
    )
    .await;
    // Same session: still the holder, nobody else gets in, and guarded writes work.
    assert_eq!(guard.loss(), None);
    let lock = Lock::new(&other, "/locks/e");
    assert!(
        tokio::time::timeout(Duration::from_secs(2), lock.acquire())
            .await
            .is_err(),
        "another client got the lock"
    );
    let write = Op::create("/after-kill", "ok");
    guard
        .multi(&[write])
        .await
        .expect("guarded write after the failover");
    assert_eq!(guard.loss(), None);
    guard.release().await;
    ens.restart(member).expect("restart");
}

async fn by_default_a_holder_is_told_as_soon_as_its_connection_is_lost(backend: Backend) {
    let server = server_on(backend);
    let proxy = Proxy::start(server.addr()).expect("proxy");
    let holder = client(&proxy.connect_string(), Duration::from_secs(10)).await;
    let guard = Lock::new(&holder, "/locks/d")
        .acquire()
        .await
        .expect("acquire");
    assert!(guard.is_held());
    let cut = Instant::now();
    proxy.set_refusing(true);
    let loss = tokio::time::timeout(Duration::from_secs(5), guard.lost())
        .await
        .expect("told of the loss");
    assert_eq!(loss, Loss::Disconnected);
    assert!(!guard.is_held());
    // Told when the connection dropped, long before the 10 s session could expire.
    assert!(
        cut.elapsed() < Duration::from_secs(3),
        "{:?}",
        cut.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_cut_off_from_the_ensemble_knows_before_anyone_else_acquires() {
    let ens = Ensemble::start().expect("ensemble");
    // The holder reaches only member 0, through a proxy.
    let proxy = Proxy::start(ens.addr(0)).expect("proxy");
    let holder = client(&proxy.connect_string(), Duration::from_secs(4)).await;
    let guard = Lock::new(&holder, "/locks/p")
        .lost_after_disconnect(Duration::from_millis(500))
        .acquire()
        .await
        .expect("acquire");
    let token = guard.fencing_token();
    let others = format!("{},{}", ens.addr(1), ens.addr(2));
    let other = client(&others, Duration::from_secs(10)).await;
    let contender = tokio::spawn(async move {
        let g = Lock::new(&other, "/locks/p")
            .acquire()
            .await
            .expect("contender");
        (Instant::now(), g.fencing_token())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    proxy.set_refusing(true);
    let loss = tokio::time::timeout(Duration::from_secs(10), guard.lost())
        .await
        .expect("lost");
    let lost_at = Instant::now();
    assert_eq!(loss, Loss::Disconnected);
    let (acquired_at, next) = tokio::time::timeout(Duration::from_secs(30), contender)
        .await
        .expect("the contender acquires after the session expires")
        .expect("task");
    assert!(
        lost_at < acquired_at,
        "the holder learned of its loss too late"
    );
    assert!(next > token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_server_freezes_past_the_session_timeout_keeps_or_is_told_first() {
    let mut ens = Ensemble::start().expect("ensemble");
    let timeout = Duration::from_secs(4);
    let holder = client(&ens.connect_string(), timeout).await;
    let guard = Arc::new(
        Lock::new(&holder, "/locks/f")
            .lost_after_disconnect(Duration::from_millis(500))
            .acquire()
            .await
            .expect("acquire"),
    );
    let token = guard.fencing_token();
    let on = holder.connected_server().expect("connected");
    let member = ens.index_of(on).expect("a member");
    let others: Vec<String> = (0..3)
        .filter(|&i| i != member)
        .map(|i| ens.addr(i).to_string())
        .collect();
    let other = client(&others.join(","), Duration::from_secs(10)).await;
    let watching = guard.clone();
    let told = tokio::spawn(async move {
        let loss = watching.lost().await;
        (Instant::now(), loss)
    });
    let contender = tokio::spawn(async move {
        let lock = Lock::new(&other, "/locks/f");
        let got = tokio::time::timeout(timeout * 3, lock.acquire()).await;
        got.ok()
            .map(|g| (Instant::now(), g.expect("acquire").fencing_token()))
    });
    // The holder's server stops answering for longer than the session timeout.
    ens.freeze(member).expect("freeze");
    let acquired = contender.await.expect("task");
    ens.thaw(member);
    match acquired {
        // Someone else got the lock: the holder was told first.
        Some((acquired_at, next)) => {
            assert!(
                told.is_finished(),
                "another holder, and this one was never told"
            );
            let (lost_at, loss) = told.await.expect("task");
            assert!(lost_at < acquired_at, "told too late ({loss})");
            assert!(next > token);
        }
        // Nobody else did: the holder kept its session through another member, and still
        // holds the lock.
        None => {
            assert!(holder.state().is_connected());
            assert_ne!(holder.connected_server(), Some(on));
            assert_eq!(guard.loss(), None, "told of a loss that did not happen");
            told.abort();
        }
    }
}
