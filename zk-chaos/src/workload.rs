//! One client's seeded random workload: single operations on the keys (create, setData and
//! delete with and without versions, getData after a barrier), multis with checks within a key
//! group, listings of a group, pipelined bursts of writes, sequential and ephemeral creates,
//! and one-shot watches. Every operation is recorded with its call and answer times; one
//! whose outcome is unknown is bounded by its session's next answer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zk_client::{Client, CreateMode, CreateOptions, Error, Op, OpResult};

use crate::checker::Operation;
use crate::harness::{
    barrier, children_ret, connect, current, decode, group_path, key_path, Config, Shared,
    WATCH_GRACE,
};
use crate::history::{group_len, group_of, EphemeralRecord, Removal, WatchRecord, GROUP_SIZE};
use crate::model::{Call, GroupCall, GroupRet, Ret};
use crate::tidy::{Ephemerals, SWEEP_EVERY};

/// The parent of the workload's sequential nodes.
const SEQ: &str = "/chaos/seq";

/// The state of one client's workload.
struct Worker {
    c: usize,
    shared: Arc<Shared>,
    rng: StdRng,
    /// The current session's number (the client starts a new one after an expiry).
    session: usize,
    /// Operations with unknown outcomes waiting for their window's end: (group, index).
    pending: Vec<(usize, usize)>,
    /// The last version seen per key (for versioned writes that may succeed).
    versions: BTreeMap<usize, i32>,
    counter: u64,
    /// The current session's ephemeral nodes that may exist.
    ephemerals: Ephemerals,
}

/// Runs client `c`'s workload until the deadline; returns its last client and session number.
pub(crate) async fn work(
    c: usize,
    cs: &str,
    shared: Arc<Shared>,
    config: Config,
    deadline: Instant,
) -> (Option<Client>, usize) {
    let rng =
        StdRng::seed_from_u64(config.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(c as u64 + 1)));
    let mut w = Worker {
        c,
        shared,
        rng,
        session: 0,
        pending: Vec::new(),
        versions: BTreeMap::new(),
        counter: 0,
        ephemerals: Ephemerals::default(),
    };
    let mut zk = connect(cs, config).await;
    while Instant::now() < deadline {
        let Some(client) = current(c, cs, &mut zk, &w.shared, config).await else {
            continue;
        };
        if client.state().is_terminal() {
            w.session_ended();
            zk = connect(cs, config).await;
            continue;
        }
        w.counter += 1;
        let roll: f64 = w.rng.random();
        if roll < 0.04 {
            w.sequential(&client).await;
        } else if roll < 0.06 {
            w.ephemeral(&client).await;
        } else if roll < 0.12 {
            w.watch(&client, config).await;
        } else if roll < 0.15 {
            w.burst(&client, config).await;
        } else if roll < 0.23 {
            w.multi(&client, config).await;
        } else if roll < 0.27 {
            w.children(&client, config).await;
        } else {
            w.single(&client, config).await;
        }
    }
    (zk, w.session)
}

/// An operation's result as the model's answer: `None` when the outcome is unknown.
fn answer(result: Result<Ret, Error>, call: Call) -> Option<Ret> {
    match result {
        Ok(r) => Some(r),
        Err(Error::NodeExists) => Some(Ret::NodeExists),
        Err(Error::NoNode) => Some(match call {
            Call::Read => Ret::Read(None),
            _ => Ret::NoNode,
        }),
        Err(Error::BadVersion) => Some(Ret::BadVersion),
        Err(_) => None,
    }
}

impl Worker {
    fn value(&self) -> u64 {
        ((self.c as u64) << 40) | self.counter
    }

    /// The session ended: nothing of it runs any more.
    fn session_ended(&mut self) {
        let now = self.shared.now();
        let mut h = self.shared.history();
        h.session_ends.insert((self.c, self.session), now);
        for (g, i) in self.pending.drain(..) {
            if let Some(op) = h.ops.get_mut(&g).and_then(|v| v.get_mut(i)) {
                op.latest = now;
            }
        }
        drop(h);
        self.session += 1;
        self.ephemerals.session_ended();
    }

    /// Records an operation on `group` called at `call_at`; `answered` is its answer (and when
    /// it came), `None` when unknown, which then waits for the session's next answer unless
    /// `latest` already bounds it.
    fn record(
        &mut self,
        group: usize,
        call_at: u64,
        call: GroupCall,
        answered: Option<(GroupRet, u64)>,
        latest: Option<u64>,
    ) {
        let mut h = self.shared.history();
        let ops = h.ops.entry(group).or_default();
        let index = ops.len();
        let (ret, answer_at) = match answered {
            Some((r, at)) => (r, Some(at)),
            None => (GroupRet::One(Ret::Done), None),
        };
        ops.push(Operation {
            client: self.c,
            call_at,
            answer_at,
            latest: latest.unwrap_or(u64::MAX),
            call,
            ret,
        });
        match (answer_at, latest) {
            (Some(now), _) => {
                for (g, i) in self.pending.drain(..) {
                    if let Some(op) = h.ops.get_mut(&g).and_then(|v| v.get_mut(i)) {
                        op.latest = op.latest.min(now);
                    }
                }
            }
            (None, None) => self.pending.push((group, index)),
            (None, Some(_)) => {}
        }
    }

    fn note_version(&mut self, key: usize, ret: Ret) {
        if let Ret::Version(v) | Ret::Read(Some((_, v))) = ret {
            self.versions.insert(key, v);
        }
    }

    /// A version to expect: the last one seen (likely to match) or none.
    fn expected(&mut self, key: usize) -> Option<i32> {
        if self.rng.random_bool(0.5) {
            self.versions.get(&key).copied()
        } else {
            None
        }
    }

    fn random_call(&mut self, key: usize, reads: bool) -> Call {
        let value = self.value();
        let expected = self.expected(key);
        match self.rng.random_range(0..if reads { 10 } else { 7 }) {
            0..=1 => Call::Create(value),
            2..=4 => Call::Set(value, expected),
            5 => Call::Delete(expected),
            6 if !reads => Call::Check(self.versions.get(&key).copied().unwrap_or(0)),
            _ => Call::Read,
        }
    }

    /// A sequential create, deleted at once (see `tidy.rs`); now and then a sweep of the
    /// parent for names whose create was answered too late to be known.
    async fn sequential(&mut self, client: &Client) {
        let created = client
            .create(
                &format!("{SEQ}/item-"),
                b"",
                &CreateOptions::new(CreateMode::PersistentSequential),
            )
            .await;
        if let Ok((path, _)) = created {
            let n = path
                .rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1);
            let now = self.shared.now();
            self.shared.history().sequential.push((self.c, n, now));
            // A failed delete leaves the node to the next sweep.
            let _ = client.delete(&path, None).await;
        }
        if self.rng.random_ratio(1, SWEEP_EVERY) {
            if let Ok(names) = client.get_children(SEQ).await {
                let deletes: Vec<_> = names
                    .iter()
                    .map(|n| client.delete(&format!("{SEQ}/{n}"), None))
                    .collect();
                for d in deletes {
                    let _ = d.await;
                }
            }
        }
    }

    /// An ephemeral create, after deleting the session's oldest when it holds its budget.
    async fn ephemeral(&mut self, client: &Client) {
        if let Some((path, record)) = self.ephemerals.due() {
            let (path, record) = (path.clone(), *record);
            let before = record.map(|i| self.shared.history().ephemerals[i].removal);
            let removal = match client.delete(&path, None).await {
                Ok(()) => Removal::Deleted,
                // Gone before this delete: by an earlier delete whose answer was lost, or (with
                // the session alive, as this answer shows) by nothing that may remove it.
                Err(Error::NoNode) if before == Some(Removal::Kept) => {
                    Removal::Vanished(self.shared.now())
                }
                Err(Error::NoNode) => Removal::Deleted,
                Err(_) => Removal::Unknown,
            };
            if let Some(i) = record {
                self.shared.history().ephemerals[i].removal = removal;
            }
            if removal == Removal::Unknown {
                return; // asked again before the next create
            }
            self.ephemerals.deleted();
        }
        let path = format!(
            "/chaos/eph/c{}-s{}-{:x}-{}-t{}",
            self.c,
            self.session,
            client.session_id(),
            self.counter,
            self.shared.now() / 1000
        );
        let created = client
            .create(&path, b"", &CreateOptions::new(CreateMode::Ephemeral))
            .await;
        let record = created.is_ok().then(|| {
            let mut h = self.shared.history();
            h.ephemerals.push(EphemeralRecord {
                client: self.c,
                session: self.session,
                path: path.clone(),
                removal: Removal::Kept,
            });
            h.ephemerals.len() - 1
        });
        self.ephemerals.created(path, record);
    }

    async fn watch(&mut self, client: &Client, config: Config) {
        let key = self.rng.random_range(0..config.keys);
        let Ok((stat, watcher)) = client.exists_watch(&key_path(key)).await else {
            return;
        };
        let record = WatchRecord {
            client: self.c,
            session: self.session,
            key,
            set_at: self.shared.now(),
            version: stat.map(|s| s.version),
            fired: Vec::new(),
            ended: false,
        };
        let index = {
            let mut h = self.shared.history();
            h.watches.push(record);
            h.watches.len() - 1
        };
        // The watch's outcome is recorded when it comes; the workload goes on.
        let shared = self.shared.clone();
        let mut over = shared.over.subscribe();
        tokio::spawn(async move {
            let give_up = async {
                let _ = over.wait_for(|over| *over).await;
                tokio::time::sleep(WATCH_GRACE).await;
            };
            let outcome = tokio::select! {
                outcome = watcher => Some(outcome),
                () = give_up => None,
            };
            let now = shared.now();
            let mut h = shared.history();
            match outcome {
                Some(Ok(_)) => h.watches[index].fired.push(now),
                Some(Err(_)) => h.watches[index].ended = true,
                None => {}
            }
        });
    }

    /// One operation on one key.
    async fn single(&mut self, client: &Client, config: Config) {
        let key = self.rng.random_range(0..config.keys);
        let call = self.random_call(key, true);
        let path = key_path(key);
        let call_at = self.shared.now();
        let result: Result<Ret, Error> = match call {
            Call::Create(v) => client
                .create(&path, &v.to_be_bytes(), &CreateOptions::default())
                .await
                .map(|_| Ret::Done),
            Call::Set(_, None) if config.phantom_writes && self.rng.random_ratio(1, 20) => {
                // Acknowledged, never sent: the version the write would have made.
                Ok(Ret::Version(self.versions.get(&key).map_or(0, |v| v + 1)))
            }
            Call::Set(v, e) => client
                .set_data(&path, &v.to_be_bytes(), e)
                .await
                .map(|s| Ret::Version(s.version)),
            Call::Delete(e) => client.delete(&path, e).await.map(|()| Ret::Done),
            Call::Check(_) => return,
            Call::Read => match barrier(client, &group_path(group_of(key).0)).await {
                Ok(()) => client
                    .get_data(&path)
                    .await
                    .map(|(d, s)| Ret::Read(Some((decode(&d), s.version)))),
                Err(e) => Err(e),
            },
        };
        let answered = answer(result, call);
        if answered.is_none() && call == Call::Read {
            return; // a read that failed changed nothing and showed nothing
        }
        if let Some(r) = answered {
            self.note_version(key, r);
        }
        let now = self.shared.now();
        let (group, slot) = group_of(key);
        self.record(
            group,
            call_at,
            GroupCall::One(slot, call),
            answered.map(|r| (GroupRet::One(r), now)),
            None,
        );
    }

    /// A multi of one to three operations (checks included) on one group's keys.
    async fn multi(&mut self, client: &Client, config: Config) {
        let group = self.rng.random_range(0..config.keys.div_ceil(GROUP_SIZE));
        let len = group_len(group, config.keys);
        let count = self.rng.random_range(1..=3);
        let mut calls = Vec::with_capacity(count);
        let mut ops = Vec::with_capacity(count);
        for _ in 0..count {
            let slot = self.rng.random_range(0..len);
            let key = group * GROUP_SIZE + slot;
            let call = self.random_call(key, false);
            let path = key_path(key);
            ops.push(match call {
                Call::Create(v) => Op::Create {
                    path,
                    data: v.to_be_bytes().to_vec(),
                    options: CreateOptions::default(),
                },
                Call::Set(v, version) => Op::SetData {
                    path,
                    data: v.to_be_bytes().to_vec(),
                    version,
                },
                Call::Delete(version) => Op::Delete { path, version },
                Call::Check(version) => Op::Check { path, version },
                Call::Read => continue,
            });
            calls.push((slot, call));
        }
        let call_at = self.shared.now();
        let result = client.multi(&ops).await;
        let now = self.shared.now();
        let answered = match result {
            Ok(results) => {
                let rets: Vec<Ret> = results
                    .iter()
                    .map(|r| match r {
                        OpResult::SetData { stat } => Ret::Version(stat.version),
                        OpResult::Create { .. } | OpResult::Delete | OpResult::Check => Ret::Done,
                    })
                    .collect();
                for ((slot, _), r) in calls.iter().zip(&rets) {
                    self.note_version(group * GROUP_SIZE + slot, *r);
                }
                Some(GroupRet::Multi(Ok(rets)))
            }
            Err(Error::MultiFailed { index, error }) => {
                let call = calls.get(index).map_or(Call::Read, |c| c.1);
                answer(Err(*error), call).map(|r| GroupRet::Multi(Err((index, r))))
            }
            Err(_) => None,
        };
        self.record(
            group,
            call_at,
            GroupCall::Multi(calls),
            answered.map(|r| (r, now)),
            None,
        );
    }

    /// Lists a group (after a barrier, as reads are).
    async fn children(&mut self, client: &Client, config: Config) {
        let group = self.rng.random_range(0..config.keys.div_ceil(GROUP_SIZE));
        let parent = group_path(group);
        let call_at = self.shared.now();
        let listed = match barrier(client, &parent).await {
            Ok(()) => client.get_children(&parent).await,
            Err(e) => Err(e),
        };
        let Ok(names) = listed else {
            return;
        };
        let now = self.shared.now();
        self.record(
            group,
            call_at,
            GroupCall::Children,
            Some((children_ret(&names), now)),
            None,
        );
    }

    /// Two to four unversioned sets sent back to back without waiting: they are pipelined on
    /// the connection, and their zxids must increase in the order sent.
    async fn burst(&mut self, client: &Client, config: Config) {
        let count = self.rng.random_range(2..=4);
        let keys: Vec<usize> = (0..count)
            .map(|_| self.rng.random_range(0..config.keys))
            .collect();
        let call_at = self.shared.now();
        let mut sent = Vec::with_capacity(count);
        for (i, &key) in keys.iter().enumerate() {
            let value = self.value() | ((i as u64) << 32);
            sent.push((
                key,
                value,
                client.set_data(&key_path(key), &value.to_be_bytes(), None),
            ));
        }
        let mut answers = Vec::with_capacity(count);
        for (key, value, reply) in sent {
            let result = reply.await;
            let at = self.shared.now();
            let zxid = result.as_ref().ok().map(|s| s.mzxid);
            let call = Call::Set(value, None);
            let ret = answer(result.map(|s| Ret::Version(s.version)), call);
            answers.push((key, call, ret, at, zxid));
        }
        let zxids = answers.iter().map(|a| a.4).collect();
        let c = self.c;
        self.shared.history().bursts.push((c, zxids));
        for i in 0..answers.len() {
            let (key, call, ret, at, _) = answers[i];
            // An unknown one ran, if at all, before a later one of the burst was answered.
            let latest = answers[i + 1..].iter().find(|a| a.2.is_some()).map(|a| a.3);
            if let Some(r) = ret {
                self.note_version(key, r);
            }
            let (group, slot) = group_of(key);
            self.record(
                group,
                call_at,
                GroupCall::One(slot, call),
                ret.map(|r| (GroupRet::One(r), at)),
                if ret.is_none() { latest } else { None },
            );
        }
    }
}
