//! The embedded server against ZooKeeper 3.8, operation by operation: a seeded random
//! workload (several sessions, some authenticated; every create mode; versioned and
//! unversioned writes; multis with failing operations; ACLs; one-shot, persistent and
//! recursive watches, removed and checked; session closes, expiries and resumes by id) runs
//! on both, and every answer (the error code, or the record) and every notification each
//! session hears must be the same. Only times and session ids are normalized (a node's owner
//! is written as the session's index); zxids are compared as they are, so both must spend
//! them on the same requests. The one difference allowed is of versions: a create inside a
//! multi is answered with its Stat by 3.9 (and by us), without one by 3.8.0.
//!
//! `ZK_DIFF_OPS` (default 20,000) and `ZK_DIFF_SEED` (default below) change the run; the
//! seed is printed. `ZK_DIFF_KEEP=DIR` writes both transcripts there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::fmt::Debug;
use std::time::Duration;

use tokio::time::timeout;
use zk_client::acl::{self, perms, Acl};
use zk_client::{
    AddWatchMode, Client, ClientBuilder, CreateMode, CreateOptions, Error, OneshotWatcher, Op,
    OpResult, PersistentWatcher, ReadOp, Stat, WatchedEvent, WatcherType,
};
use zk_testkit::{ServerOptions, TestServer};

const DEFAULT_SEED: u64 = 0x5eed_2026_1202;
const SESSIONS: usize = 4;
/// The names nodes get: few, so that operations meet each other's nodes.
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

/// SplitMix64: the workload's choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Which server a run is on, for what only the server side can do (expire a session).
enum Backend<'a> {
    Real(&'a TestServer),
    Ours(&'a zk_server::Server),
}

struct Session {
    zk: Client,
    /// Who it authenticated as (re-done on a new session in its place).
    user: Option<&'static str>,
    oneshots: Vec<(String, OneshotWatcher)>,
    persistent: Vec<(String, PersistentWatcher)>,
}

struct Run<'a> {
    connect: String,
    backend: Backend<'a>,
    rng: Rng,
    sessions: Vec<Session>,
    /// Every session id this run has had, by index (for normalizing owners).
    ids: Vec<i64>,
    lines: Vec<String>,
}

fn err(e: &Error) -> String {
    e.code()
        .map_or_else(|| format!("client error {e}"), |c| format!("err {c}"))
}

impl Run<'_> {
    fn stat(&self, s: &Stat) -> String {
        let owner = match self.ids.iter().position(|id| *id == s.ephemeral_owner) {
            Some(i) => format!("s{i}"),
            None => s.ephemeral_owner.to_string(),
        };
        format!(
            "czxid {} mzxid {} pzxid {} v {} cv {} av {} owner {owner} len {} kids {}",
            s.czxid,
            s.mzxid,
            s.pzxid,
            s.version,
            s.cversion,
            s.aversion,
            s.data_length,
            s.num_children
        )
    }

    fn say<T: Debug>(&mut self, what: String, r: Result<T, Error>) {
        let line = match r {
            Ok(v) => format!("{what}: {v:?}"),
            Err(e) => format!("{what}: {}", err(&e)),
        };
        self.lines.push(line);
    }

    fn path(&mut self) -> String {
        let depth = 1 + self.rng.below(3);
        let mut p = String::new();
        for _ in 0..depth {
            p.push('/');
            p.push_str(NAMES[self.rng.below(NAMES.len())]);
        }
        p
    }

    fn version(&mut self) -> Option<i32> {
        if self.rng.chance(60) {
            None
        } else {
            Some(self.rng.below(3) as i32)
        }
    }

    fn acl(&mut self) -> Vec<Acl> {
        match self.rng.below(10) {
            0 => acl::read_unsafe(),
            1 => acl::creator_all(),
            2 => vec![acl::digest("alice", "pw", perms::ALL)],
            3 => vec![
                acl::digest("bob", "pw", perms::READ | perms::WRITE),
                Acl {
                    perms: perms::READ,
                    id: zk_client::acl::Id {
                        scheme: Some("world".into()),
                        id: Some("anyone".into()),
                    },
                },
            ],
            _ => acl::open_unsafe(),
        }
    }

    fn options(&mut self) -> CreateOptions {
        let mode = match self.rng.below(8) {
            0 => CreateMode::Ephemeral,
            1 => CreateMode::PersistentSequential,
            2 => CreateMode::EphemeralSequential,
            3 => CreateMode::Container,
            4 => CreateMode::PersistentWithTtl,
            _ => CreateMode::Persistent,
        };
        let mut o = CreateOptions::new(mode).with_acl(self.acl());
        if mode == CreateMode::PersistentWithTtl {
            o.ttl = Some(Duration::from_secs(3600));
        }
        o
    }

    fn created(&self, r: Result<(String, Stat), Error>) -> Result<String, Error> {
        r.map(|(p, s)| format!("{p} {}", self.stat(&s)))
    }

    /// One operation of the workload by session `i`; whether it was a write (watchers may
    /// have been told something).
    async fn op(&mut self, n: usize, i: usize) -> bool {
        let zk = self.sessions[i].zk.clone();
        let kind = self.rng.below(100);
        let tag = format!("#{n} s{i}");
        match kind {
            0..=17 => {
                let path = self.path();
                let o = self.options();
                let data = vec![b'x'; self.rng.below(4)];
                let r = zk.create(&path, &data, &o).await;
                let r = self.created(r);
                self.say(format!("{tag} create {path} {:?}", o.mode), r);
                true
            }
            18..=27 => {
                let (path, v) = (self.path(), self.version());
                let r = zk.delete(&path, v).await;
                self.say(format!("{tag} delete {path} {v:?}"), r);
                true
            }
            28..=39 => {
                let (path, v) = (self.path(), self.version());
                let data = vec![b'y'; self.rng.below(5)];
                let r = zk.set_data(&path, &data, v).await.map(|s| self.stat(&s));
                self.say(format!("{tag} set {path} {v:?}"), r);
                true
            }
            40..=49 => {
                let path = self.path();
                if self.rng.chance(40) {
                    let r = zk.get_data_watch(&path).await;
                    let r = r.map(|(d, s, w)| {
                        self.sessions[i].oneshots.push((format!("data {path}"), w));
                        (d, self.stat(&s))
                    });
                    self.say(format!("{tag} getData+watch {path}"), r);
                } else {
                    let r = zk.get_data(&path).await.map(|(d, s)| (d, self.stat(&s)));
                    self.say(format!("{tag} getData {path}"), r);
                }
                false
            }
            50..=57 => {
                let path = self.path();
                if self.rng.chance(40) {
                    let r = zk.exists_watch(&path).await;
                    let r = r.map(|(s, w)| {
                        self.sessions[i]
                            .oneshots
                            .push((format!("exists {path}"), w));
                        s.map(|s| self.stat(&s))
                    });
                    self.say(format!("{tag} exists+watch {path}"), r);
                } else {
                    let r = zk.exists(&path).await.map(|s| s.map(|s| self.stat(&s)));
                    self.say(format!("{tag} exists {path}"), r);
                }
                false
            }
            58..=65 => {
                let path = self.parent();
                if self.rng.chance(40) {
                    let r = zk.get_children_watch(&path).await;
                    let r = r.map(|(c, w)| {
                        self.sessions[i]
                            .oneshots
                            .push((format!("children {path}"), w));
                        c
                    });
                    self.say(format!("{tag} getChildren+watch {path}"), r);
                } else {
                    let r = zk
                        .get_children2(&path)
                        .await
                        .map(|(c, s)| (c, self.stat(&s)));
                    self.say(format!("{tag} getChildren2 {path}"), r);
                }
                false
            }
            66..=68 => {
                let path = self.path();
                let r = zk.get_acl(&path).await.map(|(a, s)| (a, self.stat(&s)));
                self.say(format!("{tag} getACL {path}"), r);
                false
            }
            69..=71 => {
                let (path, v, a) = (self.path(), self.version(), self.acl());
                let r = zk.set_acl(&path, &a, v).await.map(|s| self.stat(&s));
                self.say(format!("{tag} setACL {path} {v:?}"), r);
                true
            }
            72..=79 => {
                self.multi(&tag, &zk).await;
                true
            }
            80..=82 => {
                let ops: Vec<ReadOp> = (0..1 + self.rng.below(3))
                    .map(|_| {
                        if self.rng.chance(50) {
                            ReadOp::GetData(self.path())
                        } else {
                            ReadOp::GetChildren(self.parent())
                        }
                    })
                    .collect();
                let r = zk.multi_read(&ops).await.map(|rs| {
                    rs.into_iter()
                        .map(|r| match r {
                            Ok(zk_client::ReadResult::Data { data, stat }) => {
                                format!("{data:?} {}", self.stat(&stat))
                            }
                            Ok(other) => format!("{other:?}"),
                            Err(e) => err(&e),
                        })
                        .collect::<Vec<_>>()
                });
                self.say(format!("{tag} multiRead {ops:?}"), r);
                false
            }
            83..=85 => {
                let path = self.parent();
                if self.sessions[i].persistent.len() < 3 {
                    let mode = if self.rng.chance(50) {
                        AddWatchMode::Persistent
                    } else {
                        AddWatchMode::PersistentRecursive
                    };
                    let r = zk.add_watch(&path, mode).await.map(|w| {
                        self.sessions[i]
                            .persistent
                            .push((format!("{mode:?} {path}"), w));
                    });
                    self.say(format!("{tag} addWatch {path} {mode:?}"), r);
                }
                false
            }
            86..=88 => {
                let path = self.parent();
                let kind =
                    [WatcherType::Children, WatcherType::Data, WatcherType::Any][self.rng.below(3)];
                if self.rng.chance(50) {
                    let r = zk.check_watches(&path, kind).await;
                    self.say(format!("{tag} checkWatches {path} {kind:?}"), r);
                } else {
                    let r = zk.remove_watches(&path, kind).await;
                    self.say(format!("{tag} removeWatches {path} {kind:?}"), r);
                }
                false
            }
            89..=91 => {
                let path = self.parent();
                let r = zk.get_all_children_number(&path).await;
                self.say(format!("{tag} getAllChildrenNumber {path}"), r);
                let r = zk.get_ephemerals("/").await;
                self.say(format!("{tag} getEphemerals"), r);
                false
            }
            92..=94 => {
                let path = self.parent();
                let r = zk.sync(&path).await;
                self.say(format!("{tag} sync {path}"), r);
                let r = zk.who_am_i().await.map(|c| {
                    c.into_iter()
                        .map(|c| {
                            format!(
                                "{}:{}",
                                c.auth_scheme.unwrap_or_default(),
                                c.user.unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                });
                self.say(format!("{tag} whoAmI"), r);
                false
            }
            _ => {
                self.session_event(&tag, i).await;
                true
            }
        }
    }

    /// A node that may have children: the root or a path.
    fn parent(&mut self) -> String {
        if self.rng.chance(25) {
            "/".into()
        } else {
            self.path()
        }
    }

    async fn multi(&mut self, tag: &str, zk: &Client) {
        let ops: Vec<Op> = (0..1 + self.rng.below(4))
            .map(|_| match self.rng.below(4) {
                0 => {
                    let path = self.path();
                    Op::create_with(path, b"m".to_vec(), self.options())
                }
                1 => match self.version() {
                    Some(v) => Op::delete(self.path()).version(v),
                    None => Op::delete(self.path()),
                },
                2 => match self.version() {
                    Some(v) => Op::set_data(self.path(), b"ms".to_vec()).version(v),
                    None => Op::set_data(self.path(), b"ms".to_vec()),
                },
                _ => Op::check(self.path(), self.rng.below(3) as i32),
            })
            .collect();
        let r = zk.multi(&ops).await.map(|rs| {
            rs.into_iter()
                .map(|r| match r {
                    // 3.8.0 answers a create inside a multi without its Stat; 3.9 with it.
                    OpResult::Create { path, .. } => format!("created {path}"),
                    OpResult::SetData { stat } => format!("set {}", self.stat(&stat)),
                    other => format!("{other:?}"),
                })
                .collect::<Vec<_>>()
        });
        let shown: Vec<String> = ops.iter().map(|o| format!("{o:?}")).collect();
        self.say(format!("{tag} multi {shown:?}"), r);
    }

    /// A session ends (closed, or expired by the server) and another takes its place, or it
    /// is resumed by id on a new client.
    async fn session_event(&mut self, tag: &str, i: usize) {
        let old = &self.sessions[i];
        let (id, password, user) = (old.zk.session_id(), old.zk.session_password(), old.user);
        match self.rng.below(3) {
            0 => {
                self.sessions[i].zk.close().await;
                self.lines.push(format!("{tag} closed"));
                self.replace(i, user, None).await;
            }
            1 => {
                match &self.backend {
                    Backend::Real(s) => s.expire_session(id, &password).expect("expire"),
                    Backend::Ours(s) => assert!(s.expire_session(id), "expire"),
                }
                let states = self.sessions[i].zk.states();
                let end = timeout(
                    Duration::from_secs(30),
                    states.wait_for(|s| s.is_terminal()),
                )
                .await
                .expect("the client learns of the expiry");
                self.lines.push(format!("{tag} expired: {end:?}"));
                self.replace(i, user, None).await;
            }
            _ => {
                self.sessions[i].zk.detach().await;
                self.replace(i, user, Some((id, password))).await;
                self.lines.push(format!("{tag} resumed"));
            }
        }
    }

    /// Session `i`'s place gets a new client (on a new session, or resuming one). The old
    /// watch handles end with their client (dropped unread: their ends depend on when each
    /// client noticed).
    async fn replace(
        &mut self,
        i: usize,
        user: Option<&'static str>,
        resume: Option<(i64, Vec<u8>)>,
    ) {
        self.sessions[i] = self.session(user, resume).await;
    }

    /// A client on a new session, or resuming one; authenticated as `user`. (Every session
    /// the run opens is closed, expired or resumed on purpose: one left to time out would
    /// spend a zxid at a moment of each server's own.)
    async fn session(
        &mut self,
        user: Option<&'static str>,
        resume: Option<(i64, Vec<u8>)>,
    ) -> Session {
        let mut b = ClientBuilder::new(&self.connect).session_timeout(Duration::from_secs(20));
        if let Some((id, pw)) = resume {
            b = b.session(id, pw);
        }
        let zk = b.connect().await.expect("a session");
        if let Some(u) = user {
            zk.add_auth("digest", format!("{u}:pw").as_bytes())
                .await
                .expect("auth");
        }
        if !self.ids.contains(&zk.session_id()) {
            self.ids.push(zk.session_id());
        }
        Session {
            zk,
            user,
            oneshots: Vec::new(),
            persistent: Vec::new(),
        }
    }

    /// What every session has heard: each asks the server something first, so that what
    /// was sent to it before that answer has arrived.
    async fn heard(&mut self) {
        for i in 0..self.sessions.len() {
            let s = &mut self.sessions[i];
            if s.oneshots.is_empty() && s.persistent.is_empty() {
                continue;
            }
            let _ = s.zk.exists("/").await;
            let mut events = Vec::new();
            let mut kept = Vec::new();
            for (what, mut w) in std::mem::take(&mut s.oneshots) {
                match timeout(Duration::ZERO, &mut w).await {
                    Ok(Ok(ev)) => events.push(format!("s{i} {what} heard {}", event(&ev))),
                    Ok(Err(e)) => events.push(format!("s{i} {what} ended {}", err(&e))),
                    Err(_) => kept.push((what, w)),
                }
            }
            s.oneshots = kept;
            for (what, w) in &mut s.persistent {
                while let Ok(Some(ev)) = timeout(Duration::ZERO, w.next()).await {
                    match ev {
                        Ok(ev) => events.push(format!("s{i} {what} heard {}", event(&ev))),
                        Err(e) => events.push(format!("s{i} {what} ended {}", err(&e))),
                    }
                }
            }
            self.lines.extend(events);
        }
    }
}

fn event(ev: &WatchedEvent) -> String {
    format!("{:?} {}", ev.event_type, ev.path)
}

/// The workload on one server: its transcript.
async fn workload(connect: String, backend: Backend<'_>, seed: u64, ops: usize) -> Vec<String> {
    let mut run = Run {
        connect,
        backend,
        rng: Rng(seed),
        sessions: Vec::new(),
        ids: Vec::new(),
        lines: Vec::new(),
    };
    for user in [None, Some("alice"), Some("bob"), None] {
        let session = run.session(user, None).await;
        run.sessions.push(session);
    }
    for n in 0..ops {
        let i = run.rng.below(SESSIONS);
        if run.op(n, i).await {
            run.heard().await;
        }
    }
    for s in &run.sessions {
        s.zk.close().await;
    }
    run.lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_workload_gets_the_same_answers_and_notifications() {
    let seed = std::env::var("ZK_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let ops = std::env::var("ZK_DIFF_OPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    eprintln!("seed {seed}, {ops} operations");
    // Containers and TTL nodes are reaped on each server's own clock: not within the run.
    let mut options = ServerOptions::default();
    options
        .system_properties
        .push(("znode.container.checkIntervalMs".into(), "3600000".into()));
    let real = TestServer::start_with(options).expect("ZooKeeper starts");
    let ours = zk_server::Server::builder()
        .tick_time(Duration::from_millis(500))
        .max_session_timeout(Duration::from_secs(60))
        .extended_types(true)
        .container_check_interval(Duration::from_secs(3600))
        .start()
        .await
        .expect("starts");
    let (expected, got) = tokio::join!(
        workload(real.connect_string(), Backend::Real(&real), seed, ops),
        workload(ours.connect_string(), Backend::Ours(&ours), seed, ops),
    );
    if let Ok(dir) = std::env::var("ZK_DIFF_KEEP") {
        std::fs::write(format!("{dir}/zookeeper.txt"), expected.join("\n")).unwrap();
        std::fs::write(format!("{dir}/ours.txt"), got.join("\n")).unwrap();
    }
    if let Some(at) = expected.iter().zip(&got).position(|(e, g)| e != g) {
        let from = at.saturating_sub(5);
        panic!(
            "seed {seed}: line {at} differs\nZooKeeper:\n{}\nours:\n{}",
            expected[from..(at + 3).min(expected.len())].join("\n"),
            got[from..(at + 3).min(got.len())].join("\n"),
        );
    }
    assert_eq!(got.len(), expected.len(), "seed {seed}");
    // The workload met every kind of outcome.
    let has = |s: &str| expected.iter().any(|l| l.contains(s));
    for s in [
        "err -101",
        "err -110",
        "err -103",
        "err -102",
        "err -111",
        "heard NodeCreated",
        "heard NodeDeleted",
        "heard NodeDataChanged",
        "heard NodeChildrenChanged",
        "expired",
        "resumed",
        "created /",
    ] {
        assert!(has(s), "seed {seed}: no line with {s:?}");
    }
    eprintln!("{} lines, the same on both", expected.len());
}
