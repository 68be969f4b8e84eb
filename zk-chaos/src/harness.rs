//! The soak itself: a three-member ensemble with a proxy in front of each member, clients
//! running a seeded random workload through the proxies, and a fault injector; then the
//! checks of [`crate::checks`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions, Error};
use zk_testkit::{Ensemble, Proxy};

use crate::checker::Operation;
use crate::checks::{check_all, Findings};
use crate::history::{Fault, History, WatchRecord};
use crate::model::{Call, Ret};

/// How a soak runs.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Seeds the workload and the faults (the same seed replays the same choices).
    pub seed: u64,
    /// How long the workload and the faults run.
    pub duration: Duration,
    /// Client sessions (default 8).
    pub clients: usize,
    /// Keys of the register workload (default 5).
    pub keys: usize,
    /// The clients' session timeout (default 6 s).
    pub session_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            duration: Duration::from_secs(60),
            clients: 8,
            keys: 5,
            session_timeout: Duration::from_secs(6),
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
}

/// A session's id and password, as the injector needs them to expire it.
type SessionKey = (i64, Vec<u8>);

struct Shared {
    start: Instant,
    history: Mutex<History>,
    /// Each client's current session (id, password), for the injector's expiries.
    sessions: Mutex<Vec<Option<SessionKey>>>,
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
    fn history(&self) -> MutexGuard<'_, History> {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

const ROOT: &str = "/chaos";

fn key_path(k: usize) -> String {
    format!("{ROOT}/k{k}")
}

fn decode(data: &[u8]) -> u64 {
    data.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(u64::MAX, u64::from_be_bytes)
}

/// Runs a soak and checks it.
pub async fn run(config: Config) -> Result<Outcome, String> {
    let ens = Ensemble::start().map_err(|e| format!("ensemble: {e}"))?;
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
    for dir in [ROOT, "/chaos/seq", "/chaos/eph"] {
        setup
            .create(dir, b"", &CreateOptions::default())
            .await
            .map_err(|e| e.to_string())?;
    }
    let shared = Arc::new(Shared {
        start: Instant::now(),
        history: Mutex::new(History::default()),
        sessions: Mutex::new(vec![None; config.clients]),
    });
    let deadline = shared.start + config.duration;
    let proxies = Arc::new(proxies);
    // The fault injector works on processes and blocks: a thread of its own.
    let injector = {
        let (shared, proxies) = (shared.clone(), proxies.clone());
        std::thread::spawn(move || inject(ens, &proxies, &shared, config, deadline))
    };
    let mut workers = Vec::new();
    for c in 0..config.clients {
        let (shared, connect) = (shared.clone(), connect.clone());
        workers.push(tokio::spawn(async move {
            work(c, &connect, shared, config, deadline).await
        }));
    }
    let mut last_clients = Vec::new();
    for w in workers {
        last_clients.push(w.await.map_err(|e| e.to_string())?);
    }
    let end = shared.now();
    let ens = injector
        .join()
        .map_err(|_| "the injector panicked".to_string())?;
    // Final reads of every key, through the healed ensemble.
    let reader = ClientBuilder::new(ens.connect_string())
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    for k in 0..config.keys {
        let call_at = shared.now();
        let ret = match reader.get_data(&key_path(k)).await {
            Ok((d, s)) => Ret::Read(Some((decode(&d), s.version))),
            Err(Error::NoNode) => Ret::Read(None),
            Err(e) => return Err(format!("final read of k{k}: {e}")),
        };
        let op = Operation {
            client: usize::MAX,
            call_at,
            answer_at: Some(shared.now()),
            latest: u64::MAX,
            call: Call::Read,
            ret,
        };
        shared.history().ops.entry(k).or_default().push(op);
    }
    // Watches had the run to fire; give the last ones a moment. And let every client settle:
    // a client still reconnecting may be about to learn that its session expired, so a session
    // counts as alive only once its client is connected again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for zk in last_clients.iter().filter_map(|(zk, _)| zk.as_ref()) {
        let mut state = zk.state();
        let _ = tokio::time::timeout(
            config.session_timeout * 3,
            state.wait_for(|s| s.is_connected() || s.is_terminal()),
        )
        .await;
    }
    // The reader's server may lag the leader: sync first.
    reader.sync("/chaos/eph").await.map_err(|e| e.to_string())?;
    let existing: BTreeSet<String> = reader
        .get_children("/chaos/eph")
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| format!("/chaos/eph/{c}"))
        .collect();
    // Alive: connected now. Ended: an earlier session of the client, or one whose end the client
    // learned. A client neither connected nor told (still reconnecting) leaves its session
    // unjudged.
    let mut alive = BTreeSet::new();
    let mut ended = BTreeSet::new();
    for (c, (zk, session)) in last_clients.iter().enumerate() {
        ended.extend((0..*session).map(|s| (c, s)));
        match zk.as_ref().map(|z| *z.state().borrow()) {
            Some(s) if s.is_connected() => {
                alive.insert((c, *session));
            }
            Some(s) if s.is_terminal() => {
                ended.insert((c, *session));
            }
            _ => {}
        }
    }
    for (zk, _) in &last_clients {
        if let Some(zk) = zk {
            zk.close().await;
        }
    }
    let history = shared.history().clone();
    let findings = check_all(&history, &existing, &alive, &ended, end);
    drop(ens);
    Ok(Outcome { history, findings })
}

async fn connect(connect: &str, config: Config) -> Option<Client> {
    ClientBuilder::new(connect)
        .session_timeout(config.session_timeout)
        .request_timeout(Some(Duration::from_secs(8)))
        .connect()
        .await
        .ok()
}

/// One client's workload; returns its last client and session number.
async fn work(
    c: usize,
    cs: &str,
    shared: Arc<Shared>,
    config: Config,
    deadline: Instant,
) -> (Option<Client>, usize) {
    let mut rng =
        StdRng::seed_from_u64(config.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(c as u64 + 1)));
    let mut session = 0usize;
    let mut zk = connect(cs, config).await;
    let mut pending: Vec<(usize, usize)> = Vec::new(); // unknown ops waiting for their window's end
    let mut versions: BTreeMap<usize, i32> = BTreeMap::new();
    let mut counter = 0u64;
    while Instant::now() < deadline {
        let Some(client) = zk.clone() else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            zk = connect(cs, config).await;
            continue;
        };
        lock(&shared.sessions)[c] = Some((client.session_id(), client.session_password()));
        if client.state().borrow().is_terminal() {
            {
                let now = shared.now();
                let mut h = shared.history();
                h.session_ends.insert((c, session), now);
                for (k, i) in pending.drain(..) {
                    if let Some(op) = h.ops.get_mut(&k).and_then(|v| v.get_mut(i)) {
                        op.latest = now;
                    }
                }
            }
            session += 1;
            zk = connect(cs, config).await;
            continue;
        }
        counter += 1;
        let roll: f64 = rng.random();
        if roll < 0.04 {
            if let Ok((path, _)) = client
                .create(
                    "/chaos/seq/item-",
                    b"",
                    &CreateOptions::new(CreateMode::PersistentSequential),
                )
                .await
            {
                let n = path
                    .rsplit('-')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1);
                shared.history().sequential.push((c, n, shared.now()));
            }
            continue;
        }
        if roll < 0.06 {
            let path = format!(
                "/chaos/eph/c{c}-s{session}-{:x}-{counter}-t{}",
                client.session_id(),
                shared.now() / 1000
            );
            if client
                .create(&path, b"", &CreateOptions::new(CreateMode::Ephemeral))
                .await
                .is_ok()
            {
                shared.history().ephemerals.push((c, session, path));
            }
            continue;
        }
        let key = rng.random_range(0..config.keys);
        if roll < 0.12 {
            if let Ok((stat, watcher)) = client.exists_watch(&key_path(key)).await {
                let record = WatchRecord {
                    client: c,
                    session,
                    key,
                    set_at: shared.now(),
                    version: stat.map(|s| s.version),
                    fired: Vec::new(),
                    ended: false,
                };
                let index = {
                    let mut h = shared.history();
                    h.watches.push(record);
                    h.watches.len() - 1
                };
                // The watch's outcome is recorded when it comes; the workload goes on.
                let shared = shared.clone();
                let wait =
                    deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(1);
                tokio::spawn(async move {
                    let outcome = tokio::time::timeout(wait, watcher).await;
                    let now = shared.now();
                    let mut h = shared.history();
                    match outcome {
                        Ok(Ok(_)) => h.watches[index].fired.push(now),
                        Ok(Err(_)) => h.watches[index].ended = true,
                        Err(_) => {}
                    }
                });
            }
            continue;
        }
        let value = ((c as u64) << 40) | counter;
        let expected = if rng.random_bool(0.5) {
            versions.get(&key).copied()
        } else {
            None
        };
        let call = match rng.random_range(0..10) {
            0..=1 => Call::Create(value),
            2..=4 => Call::Set(value, expected),
            5 => Call::Delete(expected),
            _ => Call::Read,
        };
        let path = key_path(key);
        let call_at = shared.now();
        let result: Result<Ret, Error> = match call {
            Call::Create(v) => client
                .create(&path, &v.to_be_bytes(), &CreateOptions::default())
                .await
                .map(|_| Ret::Done),
            Call::Set(v, e) => client
                .set_data(&path, &v.to_be_bytes(), e)
                .await
                .map(|s| Ret::Version(s.version)),
            Call::Delete(e) => client.delete(&path, e).await.map(|()| Ret::Done),
            // ZooKeeper serves reads from the server the session is on, which may lag the
            // leader; a sync first makes the read see every write answered before the call.
            Call::Read => match client.sync(&path).await {
                Ok(_) | Err(Error::NoNode) => client
                    .get_data(&path)
                    .await
                    .map(|(d, s)| Ret::Read(Some((decode(&d), s.version)))),
                Err(e) => Err(e),
            },
        };
        let answered = match result {
            Ok(r) => Some(r),
            Err(Error::NodeExists) => Some(Ret::NodeExists),
            Err(Error::NoNode) => Some(match call {
                Call::Read => Ret::Read(None),
                _ => Ret::NoNode,
            }),
            Err(Error::BadVersion) => Some(Ret::BadVersion),
            Err(_) => None,
        };
        let now = shared.now();
        if let Some(Ret::Version(v)) | Some(Ret::Read(Some((_, v)))) = answered {
            versions.insert(key, v);
        }
        let mut h = shared.history();
        let ops = h.ops.entry(key).or_default();
        ops.push(Operation {
            client: c,
            call_at,
            answer_at: answered.map(|_| now),
            latest: u64::MAX,
            call,
            ret: answered.unwrap_or(Ret::Done),
        });
        let index = ops.len() - 1;
        if answered.is_some() {
            for (k, i) in pending.drain(..) {
                if let Some(op) = h.ops.get_mut(&k).and_then(|v| v.get_mut(i)) {
                    op.latest = now;
                }
            }
        } else {
            pending.push((key, index));
        }
    }
    (zk, session)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Injects faults until the deadline, then heals everything; returns the ensemble.
fn inject(
    mut ens: Ensemble,
    proxies: &[Proxy],
    shared: &Shared,
    config: Config,
    deadline: Instant,
) -> Ensemble {
    let mut rng = StdRng::seed_from_u64(config.seed.wrapping_mul(0xD1B5_4A32_D192_ED03));
    let record = |what: String, kind: &'static str| {
        shared.history().faults.push(Fault {
            at: shared.now(),
            what,
            kind,
        });
    };
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(rng.random_range(500..3000)));
        if Instant::now() >= deadline {
            break;
        }
        let member = rng.random_range(0..3);
        match rng.random_range(0..8) {
            0 => {
                record(format!("kill member {member}"), "kill");
                ens.kill(member);
                std::thread::sleep(Duration::from_millis(rng.random_range(500..2000)));
                let _ = ens.restart(member);
                record(format!("member {member} back"), "restart");
            }
            1 => {
                let leader = ens.leader().unwrap_or(member);
                record(format!("kill the leader (member {leader})"), "kill-leader");
                ens.kill(leader);
                std::thread::sleep(Duration::from_millis(rng.random_range(500..2000)));
                let _ = ens.restart(leader);
                record(format!("member {leader} back"), "restart");
            }
            2 | 3 => {
                let long = rng.random_bool(0.5);
                let pause = if long {
                    config.session_timeout + Duration::from_secs(1)
                } else {
                    Duration::from_millis(
                        rng.random_range(300..(config.session_timeout.as_millis() as u64 / 2)),
                    )
                };
                let kind = if long {
                    "freeze-past-timeout"
                } else {
                    "freeze"
                };
                record(format!("freeze member {member} for {pause:?}"), kind);
                if ens.freeze(member).is_ok() {
                    std::thread::sleep(pause);
                    ens.thaw(member);
                }
            }
            4 => {
                let frames = rng.random_range(0..4);
                let extra = rng.random_range(0..12);
                record(
                    format!("cut proxy {member} after {frames} frames and {extra} bytes"),
                    "cut",
                );
                proxies[member].cut_after_server_frames(frames, extra);
            }
            5 => {
                let pause = Duration::from_millis(rng.random_range(500..3000));
                record(
                    format!("partition member {member} from the clients for {pause:?}"),
                    "partition",
                );
                proxies[member].set_refusing(true);
                std::thread::sleep(pause);
                proxies[member].set_refusing(false);
            }
            6 => {
                let pause = Duration::from_millis(
                    rng.random_range(500..(config.session_timeout.as_millis() as u64)),
                );
                record(format!("stall proxy {member} for {pause:?}"), "stall");
                proxies[member].set_stalled(true);
                std::thread::sleep(pause);
                proxies[member].set_stalled(false);
            }
            _ => {
                let c = rng.random_range(0..config.clients);
                let session = lock(&shared.sessions)[c].clone();
                if let Some((id, password)) = session {
                    record(format!("expire client {c}'s session {id:#x}"), "expire");
                    let _ = zk_testkit::expire_session(ens.addr(member), id, &password);
                }
            }
        }
    }
    for p in proxies {
        p.set_refusing(false);
        p.set_stalled(false);
    }
    for i in 0..3 {
        ens.thaw(i);
        if !ens.is_running(i) {
            let _ = ens.restart(i);
        }
    }
    let _ = ens.wait_for_quorum();
    ens
}
