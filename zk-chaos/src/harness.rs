//! The soak itself: a three-member ensemble with a proxy in front of each member, clients
//! running a seeded random workload through the proxies (`workload.rs`), lock holders making
//! fenced writes (`locker.rs`), and a fault injector (`faults.rs`); then
//! the final reads and the checks of [`crate::checks`].

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder, CreateOptions, Error, Op};
use zk_testkit::{Ensemble, EnsembleOptions, Proxy};

use crate::checker::{Operation, OperationOf};
use crate::checks::{check_all, EndState, Findings};
use crate::history::{group_len, group_of, History, GROUP_SIZE};
use crate::model::{Call, Group, GroupCall, GroupRet, Ret};

/// How a soak runs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Seeds the workload and the faults (the same seed replays the same choices).
    pub seed: u64,
    /// How long the workload and the faults run.
    pub duration: Duration,
    /// Client sessions running the register workload (default 8).
    pub clients: usize,
    /// Keys of the register workload (default 5), in groups of [`GROUP_SIZE`] under one
    /// parent each (a multi writes within one group).
    pub keys: usize,
    /// Client sessions taking turns on one lock and writing under it (default 3).
    pub lockers: usize,
    /// The clients' session timeout (default 6 s).
    pub session_timeout: Duration,
    /// Where to keep the evidence of a run that found a violation: each member's directory
    /// (its log, with elections, syncs and truncations, and its data: `zk txnlog` reads the
    /// transaction logs). `None`: nothing is kept (default).
    pub evidence: Option<&'static std::path::Path>,
    /// Whether the members bring a returning follower up to date with a snapshot of the
    /// leader's tree (`zookeeper.forceSnapshotSync`) instead of a diff or a truncation
    /// (default true). ZooKeeper 3.8.0, Debian's, loses committed transactions in diff sync: a
    /// follower raises its epoch before the diff's transactions are in its log, so a kill
    /// right after can let it win an election it should lose and truncate the others
    /// (ZOOKEEPER-4643, -4646, -4685, fixed in 3.8.2; -4785 in 3.8.4). Snapshot sync writes the
    /// synced tree before the epoch moves, so the soak tests the client rather than that bug;
    /// `false` (`zk-chaos --diff-sync`) runs ZooKeeper's default and can show it.
    pub snapshot_sync: bool,
    /// For testing the soak itself: the workload loses one unversioned `setData` in twenty,
    /// answering it as acknowledged without sending it, as a broken client would. The checks
    /// must report it (default off).
    pub phantom_writes: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            duration: Duration::from_secs(60),
            clients: 8,
            keys: 5,
            lockers: 3,
            session_timeout: Duration::from_secs(6),
            evidence: None,
            snapshot_sync: true,
            phantom_writes: false,
        }
    }
}

/// A soak's result.
#[derive(Debug)]
pub struct Outcome {
    /// What was recorded.
    pub history: History,
    /// What the checks found.
    pub findings: Findings,
    /// Where the members' directories were kept (a violation, and [`Config::evidence`] set),
    /// or why they could not be.
    pub evidence: Option<Result<std::path::PathBuf, String>>,
}

/// A session's id and password, as the injector needs them to expire it.
pub(crate) type SessionKey = (i64, Vec<u8>);

/// What the workload, the lock holders and the injector share.
pub(crate) struct Shared {
    pub(crate) start: Instant,
    pub(crate) history: Mutex<History>,
    /// Each client's current session (id, password), for the injector's expiries: the
    /// workload's clients first, then the lock holders.
    pub(crate) sessions: Mutex<Vec<Option<SessionKey>>>,
    /// Set once every worker and lock holder has stopped: watches then have a grace period to
    /// fire for the last changes before their waiters give up.
    pub(crate) over: tokio::sync::watch::Sender<bool>,
}

/// How long a watch is still waited for after the workload stopped.
pub(crate) const WATCH_GRACE: Duration = Duration::from_secs(1);

impl Shared {
    /// Microseconds since the start.
    pub(crate) fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
    pub(crate) fn history(&self) -> MutexGuard<'_, History> {
        lock(&self.history)
    }
}

/// Locks `m`, whether or not a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The soak's root node.
pub(crate) const ROOT: &str = "/chaos";

/// The parent of a key group.
pub(crate) fn group_path(group: usize) -> String {
    format!("{ROOT}/g{group}")
}

/// The node of a key.
pub(crate) fn key_path(key: usize) -> String {
    let (group, slot) = group_of(key);
    format!("{}/k{slot}", group_path(group))
}

/// The value a key's data holds (`u64::MAX` for data the workload never writes).
pub(crate) fn decode(data: &[u8]) -> u64 {
    data.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(u64::MAX, u64::from_be_bytes)
}

/// Connects a client through `connect` (the proxies).
pub(crate) async fn connect(connect: &str, config: Config) -> Option<Client> {
    ClientBuilder::new(connect)
        .session_timeout(config.session_timeout)
        .request_timeout(Some(Duration::from_secs(8)))
        .connect()
        .await
        .ok()
}

/// Makes the session's next read see every write acknowledged before the barrier was called:
/// a transaction through the quorum (a multi of one `check`, any version, on `parent`,
/// which must exist), which the session's server applies in commit order, after
/// every write committed before it; the read that follows in the session comes after it.
///
/// `sync` is not enough, though it is what ZooKeeper's docs offer: a session on the leader
/// gets its sync through at once (the leader's CommitProcessor is built with `matchSyncs`
/// false), and the leader queues a commit for itself after sending it to the followers
/// (`Leader.tryToCommit`), so for a moment a write a follower has acknowledged is not yet in
/// the leader's reads. A 10-minute run (seed 508436123) caught exactly that: a sync + getData
/// returned version 2 of a key 116 µs after another session's set to version 3 was answered.
pub(crate) async fn barrier(client: &Client, parent: &str) -> Result<(), Error> {
    let check = Op::Check {
        path: parent.to_string(),
        version: -1,
    };
    client.multi(&[check]).await.map(|_| ())
}

/// Client `c`'s client for its next operation, its session recorded for the injector's
/// expiries; `None` (after a pause and a new connection attempt) when it has none yet.
pub(crate) async fn current(
    c: usize,
    cs: &str,
    zk: &mut Option<Client>,
    shared: &Shared,
    config: Config,
) -> Option<Client> {
    let Some(client) = zk.clone() else {
        tokio::time::sleep(Duration::from_millis(200)).await;
        *zk = connect(cs, config).await;
        return None;
    };
    lock(&shared.sessions)[c] = Some((client.session_id(), client.session_password()));
    Some(client)
}

/// Runs a soak and checks it.
pub async fn run(config: Config) -> Result<Outcome, String> {
    if config.keys == 0 {
        return Err("the workload needs at least one key".into());
    }
    if config.clients + config.lockers == 0 {
        return Err("the soak needs at least one client or lock holder".into());
    }
    let (ens, proxies, connect) = prepare(config).await?;
    let shared = Arc::new(Shared {
        start: Instant::now(),
        history: Mutex::new(History {
            keys: config.keys,
            ..History::default()
        }),
        sessions: Mutex::new(vec![None; config.clients + config.lockers]),
        over: tokio::sync::watch::Sender::new(false),
    });
    let deadline = shared.start + config.duration;
    let proxies = Arc::new(proxies);
    // The fault injector works on processes and blocks: a thread of its own.
    let injector = {
        let (shared, proxies) = (shared.clone(), proxies.clone());
        std::thread::spawn(move || crate::faults::inject(ens, &proxies, &shared, config, deadline))
    };
    let (last_clients, failed) = work(&shared, &connect, config, deadline).await;
    // Every change was answered by now: the watches get their grace period from here (not from
    // the deadline, which a last call stuck in a fault may outlast by seconds).
    let end = shared.now();
    shared.over.send_replace(true);
    let mut ens = injector
        .join()
        .map_err(|_| "the injector panicked".to_string())?;
    if let Some(e) = failed {
        drop(ens);
        return Err(e);
    }
    let (at_end, unread) = read_end(&ens, &shared, config, &last_clients, end).await;
    let history = shared.history().clone();
    let mut findings = check_all(&history, &at_end);
    findings.unchecked.extend(unread);
    let evidence = config
        .evidence
        .filter(|_| !findings.violations.is_empty())
        .map(|dir| keep_evidence(&mut ens, dir));
    drop(ens);
    Ok(Outcome {
        history,
        findings,
        evidence,
    })
}

/// Starts the ensemble and a proxy per member, and creates the workload's directories.
/// Returns the ensemble, the proxies and the connect string through them.
async fn prepare(config: Config) -> Result<(Ensemble, Vec<Proxy>, String), String> {
    let mut options = EnsembleOptions::default();
    if config.snapshot_sync {
        options
            .server
            .system_properties
            .push(("zookeeper.forceSnapshotSync".into(), "true".into()));
    }
    let ens = Ensemble::start_with(options).map_err(|e| format!("ensemble: {e}"))?;
    let proxies: Vec<Proxy> = (0..3)
        .map(|i| Proxy::start(ens.addr(i)).map_err(|e| format!("proxy: {e}")))
        .collect::<Result<_, _>>()?;
    let connect: String = proxies
        .iter()
        .map(|p| p.addr().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let setup = ClientBuilder::new(ens.connect_string())
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    let groups = config.keys.div_ceil(GROUP_SIZE);
    let mut dirs = vec![
        ROOT.to_string(),
        format!("{ROOT}/seq"),
        format!("{ROOT}/eph"),
        crate::locker::LOG.to_string(),
    ];
    dirs.extend((0..groups).map(group_path));
    for dir in dirs {
        setup
            .create(&dir, b"", &CreateOptions::default())
            .await
            .map_err(|e| format!("creating {dir}: {e}"))?;
    }
    setup.close().await;
    Ok((ens, proxies, connect))
}

/// The clients' last handles with their session numbers.
type LastClients = Vec<(Option<Client>, usize)>;

/// Runs the workers and the lock holders until the deadline. Returns the workers' last
/// clients, and why a task failed, if one did (a failed task still lets the injector finish
/// and the ensemble stop: its processes would outlive this one otherwise).
async fn work(
    shared: &Arc<Shared>,
    connect: &str,
    config: Config,
    deadline: Instant,
) -> (LastClients, Option<String>) {
    let mut workers = Vec::new();
    for c in 0..config.clients {
        let (shared, connect) = (shared.clone(), connect.to_string());
        workers.push(tokio::spawn(async move {
            crate::workload::work(c, &connect, shared, config, deadline).await
        }));
    }
    let mut lockers = Vec::new();
    for l in 0..config.lockers {
        let (shared, connect) = (shared.clone(), connect.to_string());
        lockers.push(tokio::spawn(async move {
            crate::locker::hold(config.clients + l, &connect, shared, config, deadline).await
        }));
    }
    let mut failed = None;
    let mut last_clients = Vec::new();
    for w in workers {
        match w.await {
            Ok(last) => last_clients.push(last),
            Err(e) => failed = failed.or(Some(format!("a worker failed: {e}"))),
        }
    }
    for l in lockers {
        match l.await {
            Ok(Some(zk)) => zk.close().await,
            Ok(None) => {}
            Err(e) => failed = failed.or(Some(format!("a lock holder failed: {e}"))),
        }
    }
    (last_clients, failed)
}

/// After the run: the final reads (key groups, the lock's log, the ephemeral nodes), and
/// which sessions are alive or ended. A failure leaves the run incomplete, not lost: what
/// could not be read is named (the second list), and everything else is still checked.
async fn read_end(
    ens: &Ensemble,
    shared: &Arc<Shared>,
    config: Config,
    last_clients: &LastClients,
    end: u64,
) -> (EndState, Vec<String>) {
    let mut unread = Vec::new();
    let reader = match ClientBuilder::new(ens.connect_string()).connect().await {
        Ok(r) => Some(r),
        Err(e) => {
            unread.push(format!("the final reader could not connect: {e}"));
            None
        }
    };
    if let Some(reader) = &reader {
        if let Err(e) = final_reads(reader, shared, config).await {
            unread.push(format!(
                "the key groups' final reads (the last word on lost writes): {e}"
            ));
        }
        match crate::locker::read_log(reader).await {
            Ok(log) => shared.history().fence_log = Some(log),
            Err(e) => unread.push(format!("the lock's log: {e}")),
        }
    }
    // Watches had the run and their grace period to fire. And let every client settle:
    // a client still reconnecting may be about to learn that its session expired, so a session
    // counts as alive only once its client is connected again.
    tokio::time::sleep(WATCH_GRACE + Duration::from_secs(1)).await;
    for zk in last_clients.iter().filter_map(|(zk, _)| zk.as_ref()) {
        let state = zk.states();
        let _ = tokio::time::timeout(
            config.session_timeout * 3,
            state.wait_for(|s| s.is_connected() || s.is_terminal()),
        )
        .await;
    }
    let existing = match &reader {
        Some(reader) => match list_ephemerals(reader).await {
            Ok(names) => Some(names),
            Err(e) => {
                unread.push(format!("the ephemeral nodes' listing: {e}"));
                None
            }
        },
        None => None,
    };
    // Alive: connected now. Ended: an earlier session of the client, or one whose end the client
    // learned. A client neither connected nor told (still reconnecting) leaves its session
    // unjudged.
    let mut at_end = EndState {
        existing,
        end,
        ..EndState::default()
    };
    for (c, (zk, session)) in last_clients.iter().enumerate() {
        at_end.ended.extend((0..*session).map(|s| (c, s)));
        match zk.as_ref().map(|z| z.state()) {
            Some(s) if s.is_connected() => {
                at_end.alive.insert((c, *session));
            }
            Some(s) if s.is_terminal() => {
                at_end.ended.insert((c, *session));
            }
            _ => {}
        }
    }
    for (zk, _) in last_clients {
        if let Some(zk) = zk {
            zk.close().await;
        }
    }
    if let Some(reader) = reader {
        reader.close().await;
    }
    (at_end, unread)
}

/// Stops the members (SIGTERM: their logs end cleanly) and copies each one's directory into
/// `dir/member<i>`.
fn keep_evidence(ens: &mut Ensemble, dir: &std::path::Path) -> Result<std::path::PathBuf, String> {
    for i in 0..3 {
        ens.terminate(i);
    }
    for i in 0..3 {
        copy_dir(ens.dir(i), &dir.join(format!("member{}", i + 1)))
            .map_err(|e| format!("keeping member {i}'s directory in {}: {e}", dir.display()))?;
    }
    Ok(dir.to_path_buf())
}

/// Copies the tree at `from` to `to`, iteratively (no recursion).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    let mut todo = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = todo.pop() {
        std::fs::create_dir_all(&dst)?;
        for entry in std::fs::read_dir(&src)? {
            let entry = entry?;
            let target = dst.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                todo.push((entry.path(), target));
            } else {
                std::fs::copy(entry.path(), target)?;
            }
        }
    }
    Ok(())
}

/// The ephemeral parent's children at the end, as full paths (after a barrier: the reader's
/// server may lag the leader).
async fn list_ephemerals(reader: &Client) -> Result<BTreeSet<String>, Error> {
    let parent = format!("{ROOT}/eph");
    barrier(reader, &parent).await?;
    Ok(reader
        .get_children(&parent)
        .await?
        .into_iter()
        .map(|c| format!("{parent}/{c}"))
        .collect())
}

/// Reads every key, and lists every group, through the healed ensemble: the last operations of
/// each group's history (a write acknowledged and then lost shows here at the latest).
async fn final_reads(reader: &Client, shared: &Shared, config: Config) -> Result<(), String> {
    let groups = config.keys.div_ceil(GROUP_SIZE);
    for group in 0..groups {
        let parent = group_path(group);
        barrier(reader, &parent).await.map_err(|e| e.to_string())?;
        let record = |call, ret, call_at| {
            let op: OperationOf<Group> = Operation {
                client: usize::MAX,
                call_at,
                answer_at: Some(shared.now()),
                latest: u64::MAX,
                call,
                ret,
            };
            shared.history().ops.entry(group).or_default().push(op);
        };
        for slot in 0..group_len(group, config.keys) {
            let key = group * GROUP_SIZE + slot;
            let call_at = shared.now();
            let ret = match reader.get_data(&key_path(key)).await {
                Ok((d, s)) => Ret::Read(Some((decode(&d), s.version))),
                Err(Error::NoNode) => Ret::Read(None),
                Err(e) => return Err(format!("final read of k{key}: {e}")),
            };
            record(
                GroupCall::One(slot, Call::Read),
                GroupRet::One(ret),
                call_at,
            );
        }
        let call_at = shared.now();
        let children = reader
            .get_children(&parent)
            .await
            .map_err(|e| format!("final listing of {parent}: {e}"))?;
        record(GroupCall::Children, children_ret(&children), call_at);
    }
    Ok(())
}

/// A group's listing as the model answers it: the slots whose node exists (a name that is no
/// key's shows as slot `usize::MAX`, which no state of the model gives).
pub(crate) fn children_ret(names: &[String]) -> GroupRet {
    let mut slots: Vec<usize> = names
        .iter()
        .map(|n| {
            n.strip_prefix('k')
                .and_then(|s| s.parse().ok())
                .unwrap_or(usize::MAX)
        })
        .collect();
    slots.sort_unstable();
    GroupRet::Children(slots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_soak_with_nothing_to_run_is_refused_before_it_starts() {
        let no_keys = Config {
            keys: 0,
            ..Config::default()
        };
        assert!(run(no_keys).await.unwrap_err().contains("at least one key"));
        let nobody = Config {
            clients: 0,
            lockers: 0,
            ..Config::default()
        };
        assert!(run(nobody)
            .await
            .unwrap_err()
            .contains("at least one client"));
    }
}
