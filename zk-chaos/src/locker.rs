//! Lock holders under the same faults: each takes turns on one [`zk_recipes::Lock`] and,
//! while holding it, appends entries to a log (persistent sequential nodes) through the
//! guard's fenced `multi`, which checks the holder's lock node in the same transaction. At the
//! end the log is read back: every acknowledged entry must be there, and in the log's order the
//! fencing tokens never go back (two holders' writes never interleave).

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zk_client::{Client, CreateMode, CreateOptions, Op, OpResult};
use zk_recipes::Lock;

use crate::harness::{connect, current, Config, Shared};
use crate::history::{FencedWrite, LogEntry};

/// The lock's path.
pub(crate) const LOCK: &str = "/chaos/lock";

/// The log the holders write to.
pub(crate) const LOG: &str = "/chaos/fence";

/// An entry's data: the writer's client and token.
fn entry_data(client: usize, token: i64) -> Vec<u8> {
    let mut data = (client as u64).to_be_bytes().to_vec();
    data.extend_from_slice(&token.to_be_bytes());
    data
}

/// The sequence number at the end of a sequential node's name.
fn sequence(name: &str) -> Option<i64> {
    name.rsplit('-').next().and_then(|s| s.parse().ok())
}

/// Holder `c` (its index among all sessions) takes turns on the lock until the deadline;
/// returns its last client.
pub(crate) async fn hold(
    c: usize,
    cs: &str,
    shared: Arc<Shared>,
    config: Config,
    deadline: Instant,
) -> Option<Client> {
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x10C4_u64.wrapping_mul(c as u64 + 7));
    let mut zk = connect(cs, config).await;
    while Instant::now() < deadline {
        let Some(client) = current(c, cs, &mut zk, &shared, config).await else {
            continue;
        };
        if client.state().borrow().is_terminal() {
            zk = connect(cs, config).await;
            continue;
        }
        let wait = Duration::from_millis(rng.random_range(500..3000));
        let Ok(Some(guard)) = Lock::new(&client, LOCK).try_acquire(wait).await else {
            continue;
        };
        shared.history().acquisitions += 1;
        let token = guard.fencing_token();
        // Write a few entries, whether or not the lock is still held: the fence must refuse
        // those made after a loss.
        for _ in 0..rng.random_range(1..=4) {
            let create = Op::Create {
                path: format!("{LOG}/w-"),
                data: entry_data(c, token),
                options: CreateOptions::new(CreateMode::PersistentSequential),
            };
            if let Ok(results) = guard.multi(&[create]).await {
                if let Some(OpResult::Create { path, .. }) = results.first() {
                    let at = shared.now();
                    let seq = sequence(path).unwrap_or(-1);
                    shared.history().fenced.push(FencedWrite {
                        client: c,
                        token,
                        seq,
                        at,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..200))).await;
        }
        guard.release().await;
    }
    zk
}

/// Reads the whole log, in sequence order.
pub(crate) async fn read_log(reader: &Client) -> Result<Vec<LogEntry>, String> {
    reader.sync(LOG).await.map_err(|e| e.to_string())?;
    let mut names = reader
        .get_children(LOG)
        .await
        .map_err(|e| format!("listing {LOG}: {e}"))?;
    names.sort_by_key(|n| sequence(n));
    let mut log = Vec::with_capacity(names.len());
    // Pipelined, a hundred reads at a time.
    for chunk in names.chunks(100) {
        let reads: Vec<_> = chunk
            .iter()
            .map(|n| (n, reader.get_data(&format!("{LOG}/{n}"))))
            .collect();
        for (name, read) in reads {
            let (data, _) = read.await.map_err(|e| format!("reading {name}: {e}"))?;
            let (Some(client), Some(token), Some(seq)) = (
                data.get(..8).and_then(|b| b.try_into().ok()),
                data.get(8..16).and_then(|b| b.try_into().ok()),
                sequence(name),
            ) else {
                return Err(format!(
                    "log entry {name} holds {} bytes, not 16",
                    data.len()
                ));
            };
            log.push(LogEntry {
                seq,
                client: usize::try_from(u64::from_be_bytes(client)).unwrap_or(usize::MAX),
                token: i64::from_be_bytes(token),
            });
        }
    }
    Ok(log)
}
