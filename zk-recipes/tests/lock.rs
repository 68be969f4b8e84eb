//! The lock and the leader latch on both servers: exclusion under contention, one
//! waiter woken per release, timeouts and cancelled acquires leaving no node, fencing tokens,
//! loss reported on deletion and expiry, and the read-write lock (partitions are in
//! `faults.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{on_both, server_on};
use zk_client::{Client, ClientBuilder, CreateOptions, Op};
use zk_recipes::{LeaderLatch, Lock, Loss};
use zk_testkit::Backend;

on_both!(
    contenders_take_turns_and_never_overlap,
    each_waiter_watches_only_its_predecessor,
    a_timed_out_or_cancelled_acquire_leaves_no_node,
    loss_is_reported_and_guarded_writes_fail_after_it,
    leadership_moves_in_order_and_work_stops_on_loss,
    readers_share_and_writers_wait_their_turn,
);

async fn client(connect: &str, timeout: Duration) -> Client {
    ClientBuilder::new(connect)
        .session_timeout(timeout)
        .connect()
        .await
        .expect("connect")
}

async fn contenders_take_turns_and_never_overlap(backend: Backend) {
    let server = server_on(backend);
    let inside = Arc::new(AtomicBool::new(false));
    let turns = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let zk = client(&server.connect_string(), Duration::from_secs(10)).await;
        let (inside, turns) = (inside.clone(), turns.clone());
        tasks.push(tokio::spawn(async move {
            let lock = Lock::new(&zk, "/locks/turns");
            let mut tokens = Vec::new();
            for _ in 0..8 {
                let guard = lock.acquire().await.expect("acquire");
                assert!(!inside.swap(true, Ordering::SeqCst), "two holders at once");
                tokens.push(guard.fencing_token());
                tokio::time::sleep(Duration::from_millis(2)).await;
                inside.store(false, Ordering::SeqCst);
                turns.fetch_add(1, Ordering::SeqCst);
                guard.release().await;
            }
            tokens
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let tokens = t.await.expect("task");
        assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
        all.extend(tokens);
    }
    assert_eq!(turns.load(Ordering::SeqCst), 40);
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 40, "fencing tokens are unique");
    let zk = client(&server.connect_string(), Duration::from_secs(10)).await;
    assert_eq!(
        zk.get_children("/locks/turns").await.expect("children"),
        Vec::<String>::new()
    );
}

async fn each_waiter_watches_only_its_predecessor(backend: Backend) {
    let server = server_on(backend);
    let holder = client(&server.connect_string(), Duration::from_secs(10)).await;
    let guard = Lock::new(&holder, "/locks/herd")
        .acquire()
        .await
        .expect("first");
    let mut waiters = Vec::new();
    let woken = Arc::new(AtomicUsize::new(0));
    for _ in 0..20 {
        let zk = client(&server.connect_string(), Duration::from_secs(10)).await;
        let woken = woken.clone();
        waiters.push(tokio::spawn(async move {
            let g = Lock::new(&zk, "/locks/herd")
                .acquire()
                .await
                .expect("acquire");
            woken.fetch_add(1, Ordering::SeqCst);
            // Hold until told to go, so the others stay queued.
            tokio::time::sleep(Duration::from_millis(300)).await;
            g.release().await;
        }));
    }
    // Wait until all 20 are queued and watching.
    let zk = client(&server.connect_string(), Duration::from_secs(10)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = zk
            .get_children("/locks/herd")
            .await
            .expect("children")
            .len();
        let watches = server.four_letter_word("wchs").expect("wchs");
        if n == 21 && watches.contains("Total watches:21") || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Each of the 20 waiters watches one node (its predecessor: 20 distinct paths), and the
    // holder watches its own node for loss: 21 watches on 20 paths, not a herd on one.
    let wchs = server.four_letter_word("wchs").expect("wchs");
    assert!(wchs.contains("21 connections watching 20 paths"), "{wchs}");
    assert!(wchs.contains("Total watches:21"), "{wchs}");
    guard.release().await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        woken.load(Ordering::SeqCst),
        1,
        "one release woke more than one waiter"
    );
    for w in waiters {
        w.await.expect("waiter");
    }
    assert_eq!(woken.load(Ordering::SeqCst), 20);
}

async fn a_timed_out_or_cancelled_acquire_leaves_no_node(backend: Backend) {
    let server = server_on(backend);
    let a = client(&server.connect_string(), Duration::from_secs(10)).await;
    let b = client(&server.connect_string(), Duration::from_secs(10)).await;
    let held = Lock::new(&a, "/locks/t").acquire().await.expect("a");
    let started = Instant::now();
    let lock = Lock::new(&b, "/locks/t");
    let got = tokio::time::timeout(Duration::from_millis(300), lock.acquire()).await;
    assert!(got.is_err(), "a held lock was acquired");
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The timed-out waiter's node goes in the background.
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.get_children("/locks/t").await.expect("children").len() != 1 {
        assert!(
            Instant::now() < deadline,
            "the timed-out waiter's node stayed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(a.get_children("/locks/t").await.expect("children").len(), 1);
    // Dropping the acquire future gives up the place.
    let lock = Lock::new(&b, "/locks/t");
    let waiting = tokio::spawn(async move { lock.acquire().await.map(|g| g.node().to_string()) });
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.get_children("/locks/t").await.expect("children").len() < 2 {
        assert!(Instant::now() < deadline, "the waiter never queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    waiting.abort();
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.get_children("/locks/t").await.expect("children").len() != 1 {
        assert!(
            Instant::now() < deadline,
            "the cancelled waiter's node stayed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Release is idempotent through the guard's consumption; drop releases in the background.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !a
        .get_children("/locks/t")
        .await
        .expect("children")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the dropped guard's node stayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn loss_is_reported_and_guarded_writes_fail_after_it(backend: Backend) {
    let server = server_on(backend);
    let a = client(&server.connect_string(), Duration::from_secs(10)).await;
    let admin = client(&server.connect_string(), Duration::from_secs(10)).await;
    admin
        .create("/data", b"0", &CreateOptions::default())
        .await
        .expect("data");
    let guard = Lock::new(&a, "/locks/l").acquire().await.expect("acquire");
    let write = |v: &'static [u8]| Op::set_data("/data", v);
    guard
        .multi(&[write(b"1")])
        .await
        .expect("guarded write while held");
    assert_eq!(guard.loss(), None);
    // An operator deletes the lock node.
    admin
        .delete(guard.node(), None)
        .await
        .expect("delete the lock node");
    let loss = tokio::time::timeout(Duration::from_secs(5), guard.lost())
        .await
        .expect("lost in time");
    assert_eq!(loss, Loss::NodeDeleted);
    assert!(guard.multi(&[write(b"2")]).await.is_err());
    assert_eq!(admin.get_data("/data").await.expect("get").0, b"1");

    // Expiry: the session is expired on the server.
    let b = client(&server.connect_string(), Duration::from_secs(10)).await;
    // Reported as the expiry, not as the lost connection that comes with it.
    let guard = Lock::new(&b, "/locks/l")
        .lost_only_on_expiry()
        .acquire()
        .await
        .expect("acquire");
    let token = guard.fencing_token();
    zk_testkit::expire_session(server.addr(), b.session_id(), &b.session_password())
        .expect("expire");
    let loss = tokio::time::timeout(Duration::from_secs(10), guard.lost())
        .await
        .expect("lost in time");
    assert_eq!(loss, Loss::SessionExpired);
    let c = client(&server.connect_string(), Duration::from_secs(10)).await;
    let next = Lock::new(&c, "/locks/l")
        .acquire()
        .await
        .expect("the next holder");
    assert!(next.fencing_token() > token);
    // The old holder's stale guarded write cannot land.
    assert!(guard.multi(&[write(b"stale")]).await.is_err());
    next.multi(&[write(b"3")])
        .await
        .expect("the new holder writes");
    assert_eq!(admin.get_data("/data").await.expect("get").0, b"3");
}

async fn leadership_moves_in_order_and_work_stops_on_loss(backend: Backend) {
    let server = server_on(backend);
    let a = client(&server.connect_string(), Duration::from_secs(10)).await;
    let b = client(&server.connect_string(), Duration::from_secs(10)).await;
    let la = LeaderLatch::new(&a, "/election/e").id("node-a");
    let lb = LeaderLatch::new(&b, "/election/e").id("node-b");
    let lead_a = la.acquire().await.expect("a leads");
    let b_waits = tokio::spawn(async move { lb.acquire().await });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let ids = la.participants().await.expect("participants");
        if ids == ["node-a", "node-b"] {
            break;
        }
        assert!(Instant::now() < deadline, "{ids:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let token_a = lead_a.fencing_token();
    lead_a.release().await;
    let lead_b = b_waits.await.expect("task").expect("b leads");
    assert!(lead_b.fencing_token() > token_a);
    assert_eq!(la.participants().await.expect("participants"), ["node-b"]);
    drop(lead_b);

    // Work runs while leader and is cancelled when leadership is lost.
    let admin = client(&server.connect_string(), Duration::from_secs(10)).await;
    let running = Arc::new(AtomicBool::new(false));
    let flag = running.clone();
    let la2 = la.clone();
    let work = tokio::spawn(async move {
        let leadership = la2.acquire().await?;
        let outcome = leadership
            .run_while_held(async move {
                flag.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await;
            })
            .await;
        leadership.release().await;
        Ok::<_, zk_client::Error>(outcome)
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while !running.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "never became leader");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let node = admin.get_children("/election/e").await.expect("children");
    assert_eq!(node.len(), 1);
    admin
        .delete(&format!("/election/e/{}", node[0]), None)
        .await
        .expect("delete");
    let outcome = tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .expect("work stopped")
        .expect("task")
        .expect("no client error");
    assert_eq!(outcome, Err(Loss::NodeDeleted));
    assert_eq!(a.get_children("/election/e").await, Ok(Vec::new()));
}

async fn readers_share_and_writers_wait_their_turn(backend: Backend) {
    let server = server_on(backend);
    let cs = server.connect_string();
    let t = Duration::from_secs(10);
    let (a, b, c, d) = (
        client(&cs, t).await,
        client(&cs, t).await,
        client(&cs, t).await,
        client(&cs, t).await,
    );
    let path = "/locks/rw";
    let r1 = zk_recipes::ReadWriteLock::new(&a, path)
        .read_lock()
        .acquire()
        .await
        .expect("r1");
    // A second reader does not wait for the first.
    let shared = zk_recipes::ReadWriteLock::new(&b, path);
    let r2 = tokio::time::timeout(Duration::from_secs(2), shared.read_lock().acquire())
        .await
        .expect("readers share")
        .expect("r2");
    // A writer waits for both; a reader queued behind the writer waits for it.
    let writer = zk_recipes::ReadWriteLock::new(&c, path);
    let w = tokio::spawn(async move {
        writer
            .write_lock()
            .acquire()
            .await
            .map(|g| (Instant::now(), g))
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.get_children(path).await.expect("children").len() < 3 {
        assert!(Instant::now() < deadline, "the writer never queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let late_reader = zk_recipes::ReadWriteLock::new(&d, path);
    assert!(
        tokio::time::timeout(
            Duration::from_millis(300),
            late_reader.read_lock().acquire()
        )
        .await
        .is_err(),
        "a reader got in ahead of a waiting writer"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!w.is_finished(), "the writer got in while readers held");
    let released = Instant::now();
    r1.release().await;
    r2.release().await;
    let (got, wg) = w.await.expect("task").expect("writer");
    assert!(got >= released);
    wg.release().await;
    assert_eq!(a.get_children(path).await, Ok(Vec::new()));
}
