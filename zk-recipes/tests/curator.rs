//! Our recipes and Apache Curator 5.4's (Debian's jars, installed by the test kit) contend on
//! one path: a Java process and this one each append "in"/"out" lines around their critical
//! sections to one log, which must alternate strictly (no overlap), with both sides getting
//! every turn and the holder changing sides (real contention).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{on_both, server_on};
use zk_client::{Client, ClientBuilder};
use zk_recipes::{
    AtomicLong, DoubleBarrier, LeaderLatch, Lock, ReadWriteLock, Semaphore, SharedCount,
};
use zk_testkit::{Backend, CuratorContender, CuratorRecipe};

const ROUNDS: usize = 15;

on_both!(
    our_lock_and_curators_interprocess_mutex_exclude_each_other,
    our_leader_latch_and_curators_take_turns,
    our_shared_count_and_curators_add_up_exactly,
    our_atomic_long_and_curators_add_up_exactly,
    our_reader_waits_for_curators_writer_and_the_other_way_round,
    semaphore_leases_never_exceed_the_maximum_across_both_sides,
    a_double_barrier_of_curator_and_our_members,
    our_tree_cache_and_curators_reach_the_same_tree,
);

/// A Curator contender of its own directory, per test and backend (tests run in parallel).
fn curator(name: &str, backend: Backend) -> CuratorContender {
    CuratorContender::compile(&format!("{name}-{backend:?}")).expect("Curator contender")
}

/// Curator's `recipe` and ours (`ours`) take turns on `path`, on a server of `backend`.
async fn contend(
    backend: Backend,
    recipe: CuratorRecipe,
    path: &str,
    ours: impl FnOnce(Client, PathBuf) -> tokio::task::JoinHandle<()>,
) {
    let curator = curator(&format!("{recipe:?}-{}", path.replace('/', "_")), backend);
    let server = server_on(backend);
    let log = curator.file("markers.log");
    let java = curator
        .spawn(&server.connect_string(), recipe, path, ROUNDS, &log)
        .expect("java");
    common::contend(
        &server.connect_string(),
        java,
        &log,
        "curator",
        ROUNDS,
        ours,
    )
    .await;
}

async fn our_lock_and_curators_interprocess_mutex_exclude_each_other(backend: Backend) {
    let path = "/interop/mutex";
    contend(backend, CuratorRecipe::Mutex, path, |zk, log| {
        tokio::spawn(async move {
            let lock = Lock::new(&zk, path);
            for _ in 0..ROUNDS {
                let g = lock.acquire().await.expect("acquire");
                // Curator sees a protected lock node of its own layout.
                let name = g.node().rsplit('/').next().expect("name").to_string();
                assert!(
                    zk_client::protected::is_protected(&name) && name.contains("-lock-"),
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

async fn our_leader_latch_and_curators_take_turns(backend: Backend) {
    let path = "/interop/latch";
    contend(backend, CuratorRecipe::LeaderLatch, path, |zk, log| {
        tokio::spawn(async move {
            for i in 0..ROUNDS {
                let latch = LeaderLatch::new(&zk, path).id(&format!("rust-{i}"));
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

/// Both sides add 1 a few hundred times to one counter at once (each add marked in a shared
/// log, which shows that they interleaved); the total is exact.
async fn count_with_curator(backend: Backend, recipe: CuratorRecipe, path: &str) {
    const ADDS: usize = 200;
    let curator = curator(&format!("{recipe:?}"), backend);
    let server = server_on(backend);
    let log = curator.file("markers.log");
    let java = curator
        .spawn(&server.connect_string(), recipe, path, ADDS, &log)
        .expect("java");
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    common::wait_for(&log, "curator add").await;
    let count = SharedCount::new(&zk, path);
    let long = AtomicLong::new(&zk, path);
    for _ in 0..ADDS {
        match recipe {
            CuratorRecipe::SharedCount => count.add(1).await.map(i64::from),
            _ => long.add(1).await,
        }
        .expect("add");
        common::mark(&log, "rust", "add");
    }
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(
        java.status.success(),
        "{}",
        String::from_utf8_lossy(&java.stderr)
    );
    let text = std::fs::read_to_string(&log).expect("log");
    // Curator's lines carry a time after "curator add"; ours are "rust add".
    let sides: Vec<&str> = text
        .lines()
        .filter(|l| l.split(' ').nth(1) == Some("add"))
        .filter_map(|l| l.split(' ').next())
        .collect();
    assert_eq!(sides.iter().filter(|s| **s == "curator").count(), ADDS);
    assert_eq!(sides.iter().filter(|s| **s == "rust").count(), ADDS);
    // Contention, not turns: the sides' adds alternate more than once.
    let switches = sides.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(
        switches >= 3,
        "the adds did not interleave: {switches} switches"
    );
    let (data, _) = zk.get_data(path).await.expect("get");
    match recipe {
        CuratorRecipe::SharedCount => {
            assert_eq!(data.len(), 4);
            assert_eq!(count.get().await.expect("get"), 2 * ADDS as i32);
        }
        _ => {
            assert_eq!(data.len(), 8);
            assert_eq!(long.get().await.expect("get"), 2 * ADDS as i64);
        }
    }
}

async fn our_shared_count_and_curators_add_up_exactly(backend: Backend) {
    count_with_curator(backend, CuratorRecipe::SharedCount, "/interop/count").await;
}

async fn our_atomic_long_and_curators_add_up_exactly(backend: Backend) {
    count_with_curator(backend, CuratorRecipe::AtomicLong, "/interop/long").await;
}

/// One side of our read-write lock against the other side of Curator's.
async fn rw_against_curator(
    backend: Backend,
    theirs: CuratorRecipe,
    ours_write: bool,
    path: &'static str,
) {
    contend(backend, theirs, path, move |zk, log| {
        tokio::spawn(async move {
            let rw = ReadWriteLock::new(&zk, path);
            let lock = if ours_write {
                rw.write_lock()
            } else {
                rw.read_lock()
            }
            .clone();
            for _ in 0..ROUNDS {
                let g = lock.acquire().await.expect("acquire");
                let marker = if ours_write { "-__WRIT__" } else { "-__READ__" };
                assert!(g.node().contains(marker), "{}", g.node());
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

async fn our_reader_waits_for_curators_writer_and_the_other_way_round(backend: Backend) {
    rw_against_curator(backend, CuratorRecipe::WriteLock, false, "/interop/rw-1").await;
    rw_against_curator(backend, CuratorRecipe::ReadLock, true, "/interop/rw-2").await;
    rw_against_curator(backend, CuratorRecipe::WriteLock, true, "/interop/rw-3").await;
}

/// Two Curator threads and two of our tasks share a semaphore of 2 leases: never more than 2
/// hold at once, and at times 2 do.
async fn semaphore_leases_never_exceed_the_maximum_across_both_sides(backend: Backend) {
    let path = "/interop/semaphore";
    let curator = curator("semaphore", backend);
    let server = server_on(backend);
    let log = curator.file("markers.log");
    let java = curator
        .spawn(
            &server.connect_string(),
            CuratorRecipe::Semaphore2,
            path,
            ROUNDS,
            &log,
        )
        .expect("java");
    common::wait_for(&log, "curator-").await;
    let mut ours = Vec::new();
    for t in 0..2 {
        let zk = ClientBuilder::new(server.connect_string())
            .session_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect");
        let log = log.clone();
        ours.push(tokio::spawn(async move {
            let sem = Semaphore::new(&zk, path).max_leases(2);
            let who = format!("rust-{t}");
            for _ in 0..ROUNDS {
                let lease = sem.acquire().await.expect("lease");
                common::mark(&log, &who, "in");
                tokio::time::sleep(Duration::from_millis(20)).await;
                common::mark(&log, &who, "out");
                lease.release().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(
        java.status.success(),
        "{}",
        String::from_utf8_lossy(&java.stderr)
    );
    for t in ours {
        t.await.expect("our side");
    }
    let (max, turns) = zk_testkit::max_holders(&log).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(max, 2, "{turns:?}");
    assert_eq!(turns.len(), 4, "{turns:?}");
    assert!(turns.values().all(|n| *n == ROUNDS), "{turns:?}");
}

/// Two Curator threads and two of our tasks in one double barrier of 4: nobody is through
/// `enter` before all four arrived, nor through `leave` before all four started leaving.
async fn a_double_barrier_of_curator_and_our_members(backend: Backend) {
    let path = "/interop/double";
    let curator = curator("double", backend);
    let server = server_on(backend);
    let log = curator.file("markers.log");
    let java = curator
        .spawn(
            &server.connect_string(),
            CuratorRecipe::DoubleBarrier,
            path,
            4,
            &log,
        )
        .expect("java");
    common::wait_for(&log, "arrive").await;
    let mut ours = Vec::new();
    for t in 0..2 {
        let zk = ClientBuilder::new(server.connect_string())
            .session_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect");
        let log = log.clone();
        ours.push(tokio::spawn(async move {
            // The second of ours arrives late: everyone must wait for it.
            tokio::time::sleep(Duration::from_millis(300 * t)).await;
            let who = format!("rust-{t}");
            let b = DoubleBarrier::new(&zk, path).members(4);
            common::mark(&log, &who, "arrive");
            b.enter().await.expect("enter");
            common::mark(&log, &who, "entered");
            tokio::time::sleep(Duration::from_millis(50 + 300 * t)).await;
            common::mark(&log, &who, "leaving");
            b.leave().await.expect("leave");
            common::mark(&log, &who, "left");
        }));
    }
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(
        java.status.success(),
        "{}",
        String::from_utf8_lossy(&java.stderr)
    );
    for t in ours {
        t.await.expect("our side");
    }
    let text = std::fs::read_to_string(&log).expect("log");
    let at = |what: &str| -> Vec<usize> {
        text.lines()
            .enumerate()
            .filter(|(_, l)| l.split_whitespace().nth(1) == Some(what))
            .map(|(i, _)| i)
            .collect()
    };
    let (arrive, entered, leaving, left) = (at("arrive"), at("entered"), at("leaving"), at("left"));
    assert_eq!(
        (arrive.len(), entered.len(), leaving.len(), left.len()),
        (4, 4, 4, 4),
        "{text}"
    );
    assert!(
        arrive.iter().max() < entered.iter().min(),
        "entered before all arrived:\n{text}"
    );
    assert!(
        leaving.iter().max() < left.iter().min(),
        "left before all were leaving:\n{text}"
    );
    let zk = ClientBuilder::new(server.connect_string())
        .connect()
        .await
        .expect("connect");
    assert_eq!(
        zk.get_children(path).await.unwrap_or_default(),
        Vec::<String>::new()
    );
}

/// Our tree cache and Curator's `CuratorCache` watch one tree through 300 random creates,
/// updates and deletes; afterwards both hold exactly the server's tree.
async fn our_tree_cache_and_curators_reach_the_same_tree(backend: Backend) {
    use zk_client::{CreateOptions, Error};
    let path = "/interop/cache";
    let curator = curator("cache", backend);
    let server = server_on(backend);
    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    zk.create_all(
        path,
        b"root",
        &CreateOptions::default(),
        zk_client::CreateMode::Persistent,
    )
    .await
    .expect("root");
    let log = curator.file("markers.log");
    let java = curator
        .spawn(
            &server.connect_string(),
            CuratorRecipe::Cache,
            path,
            0,
            &log,
        )
        .expect("java");
    let (cache, mut events) = zk_recipes::TreeCache::new(&zk, path)
        .start()
        .await
        .expect("cache");
    loop {
        let event = events
            .next()
            .await
            .expect("an event")
            .expect("the cache runs");
        if event == zk_recipes::CacheEvent::Initialized {
            break;
        }
    }
    common::wait_for(&log, "curator ready").await;
    // A seeded walk over a small key space: nested nodes, data changes, deletions.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for step in 0..300 {
        let a = next(6);
        let b = next(4);
        let node = if next(2) == 0 {
            format!("{path}/k{a}")
        } else {
            format!("{path}/k{a}/s{b}")
        };
        // Half creates, three tenths updates, a fifth deletes (of a whole subtree).
        let outcome = match next(10) {
            0..=4 => zk
                .create(
                    &node,
                    format!("c{step}").as_bytes(),
                    &CreateOptions::default(),
                )
                .await
                .map(|_| ()),
            5..=7 => zk
                .set_data(&node, format!("u{step}").as_bytes(), None)
                .await
                .map(|_| ()),
            _ => zk.delete_all(&node).await.map(|_| ()),
        };
        match outcome {
            Ok(()) | Err(Error::NodeExists | Error::NoNode) => {}
            Err(e) => panic!("step {step}: {e}"),
        }
    }
    // The server's tree, then ours once it has caught up.
    let mut expected = std::collections::BTreeMap::new();
    let mut queue = vec![path.to_string()];
    while let Some(p) = queue.pop() {
        let (data, _) = zk.get_data(&p).await.expect("get");
        for c in zk.get_children(&p).await.expect("children") {
            queue.push(format!("{p}/{c}"));
        }
        expected.insert(p, jute::json::hex_encode(&data));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ours: std::collections::BTreeMap<String, String> = cache
            .snapshot()
            .into_iter()
            .map(|(p, n)| (p, jute::json::hex_encode(&n.data)))
            .collect();
        if ours == expected {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "our cache never matched:\n{ours:?}\n{expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Curator's, once it has caught up too (it is told to dump; the dump is compared).
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(format!("{}.go", log.display()), b"").expect("go");
    let java = tokio::task::spawn_blocking(move || java.wait_with_output().expect("java"))
        .await
        .expect("join");
    assert!(
        java.status.success(),
        "{}",
        String::from_utf8_lossy(&java.stderr)
    );
    let theirs: std::collections::BTreeMap<String, String> =
        std::fs::read_to_string(format!("{}.tree", log.display()))
            .expect("Curator's tree")
            .lines()
            .map(|l| {
                let (p, h) = l.split_once(' ').unwrap_or((l, ""));
                (p.to_string(), h.to_string())
            })
            .collect();
    assert_eq!(theirs, expected, "Curator's cache");
    assert!(
        expected.len() > 5,
        "the walk left too small a tree: {expected:?}"
    );
}
