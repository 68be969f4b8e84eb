//! A small service: it registers as a member, counts its starts, keeps the configuration in a
//! cache, does leader-only work under its leadership and writes under a lock, fenced, then
//! leaves. `ZK=host:port cargo run -p zk-recipes --example service` (without `ZK`, it starts an
//! embedded server of its own, zk-server).
use std::time::Duration;

use zk_client::{Client, Op};
use zk_recipes::{CacheEvent, GroupMember, LeaderLatch, Lock, SharedCount, TreeCache};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Runs the service as `id` on `servers`; returns how many starts the counter has seen.
pub async fn run(servers: &str, id: &str) -> Result<i32, Error> {
    let zk = Client::connect(servers).await?;
    zk.ensure_path("/app/config").await?;
    // Membership: an ephemeral node, kept while the session lives.
    let me = GroupMember::new(&zk, "/app/members").id(id).join().await?;
    let starts = SharedCount::new(&zk, "/app/starts").add(1).await?;
    // The configuration, cached and followed.
    let (config, mut changes) = TreeCache::new(&zk, "/app/config").start().await?;
    // Leader-only work; it stops (its future dropped) the moment leadership is lost.
    let leadership = LeaderLatch::new(&zk, "/app/leader")
        .id(id)
        .acquire()
        .await?;
    leadership
        .run_while_held(async { println!("{id} leads; members: {:?}", me.members().await) })
        .await?;
    leadership.release().await;
    // A write under the lock: applied only while the lock is held (a bounded wait for it).
    let lock = Lock::new(&zk, "/app/lock");
    let guard = tokio::time::timeout(Duration::from_secs(10), lock.acquire()).await??;
    let owner = format!("{id} (token {})", guard.fencing_token());
    guard.multi(&[Op::set_data("/app/config", owner)]).await?;
    guard.release().await;
    // The cache sees the write: event streams end with the error that stopped them.
    while let Some(change) = changes.next().await {
        if let CacheEvent::Updated(path, node) = change? {
            println!("{path} = {}", String::from_utf8_lossy(&node.data));
            break;
        }
    }
    println!("config holds {} nodes", config.len());
    drop(me);
    zk.close().await;
    Ok(starts)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let local; // an embedded server of our own, when none is given
    let servers = match std::env::var("ZK") {
        Ok(servers) => servers,
        Err(_) => {
            local = zk_server::Server::builder().start().await?;
            local.connect_string()
        }
    };
    let starts = run(&servers, "host-a").await?;
    println!("host-a done after {starts} start(s)");
    Ok(())
}
