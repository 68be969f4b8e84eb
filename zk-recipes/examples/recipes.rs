//! The recipes against a real ZooKeeper that the example starts itself (through zk-testkit):
//! two workers take turns with a lock, lead an election in turn, count, share a read lock and
//! a semaphore, meet at a double barrier, join a group, and watch a tree cache.
//!
//! `cargo run -p zk-recipes --example recipes`

use std::time::Duration;

use zk_client::{ClientBuilder, Op};
use zk_recipes::{
    CacheEvent, DoubleBarrier, GroupMember, LeaderLatch, Lock, ReadWriteLock, Semaphore,
    SharedCount, Supervisor, TreeCache,
};
use zk_testkit::TestServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TestServer::start()?;
    let connect = |name: &'static str| {
        let cs = server.connect_string();
        async move {
            let zk = ClientBuilder::new(cs)
                .session_timeout(Duration::from_secs(6))
                .connect()
                .await?;
            println!("{name}: session 0x{:x}", zk.session_id());
            Ok::<_, zk_client::Error>(zk)
        }
    };
    let a = connect("worker-a").await?;
    let b = connect("worker-b").await?;
    a.create("/report", b"", &Default::default()).await?;

    // The lock: b waits while a holds it, then gets a larger fencing token.
    let guard_a = Lock::new(&a, "/locks/report").acquire().await?;
    println!(
        "worker-a holds the lock (token {})",
        guard_a.fencing_token()
    );
    let lock_b = Lock::new(&b, "/locks/report");
    println!(
        "worker-b tries for 200 ms: {}",
        match tokio::time::timeout(Duration::from_millis(200), lock_b.acquire()).await {
            Ok(_) => "got it (unexpected)",
            Err(_) => "busy",
        }
    );
    guard_a
        .multi(&[Op::set_data("/report", "written by a under the lock")])
        .await?;
    guard_a.release().await;
    let guard_b = lock_b.acquire().await?;
    println!(
        "worker-b holds the lock (token {})",
        guard_b.fencing_token()
    );
    guard_b.release().await;

    // Leader election: a leads; when it steps down, b does.
    let latch_a = LeaderLatch::new(&a, "/election/report").id("worker-a");
    let latch_b = LeaderLatch::new(&b, "/election/report").id("worker-b");
    let lead_a = latch_a.acquire().await?;
    let waiting_b = tokio::spawn(async move { latch_b.acquire().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    println!("participants: {:?}", latch_a.participants().await?);
    lead_a.release().await;
    let lead_b = waiting_b.await??;
    println!("worker-b leads now ({})", lead_b.node());
    lead_b.release().await;

    // A shared count both add to.
    let count_a = SharedCount::new(&a, "/stats/reports");
    count_a.seed(0).await?;
    let count_b = SharedCount::new(&b, "/stats/reports");
    let (x, y) = tokio::join!(count_a.add(1), count_b.add(1));
    x?;
    y?;
    println!("reports: {}", count_a.get().await?);

    // A read-write lock: two readers at once.
    let r_a = ReadWriteLock::new(&a, "/locks/catalog")
        .read_lock()
        .acquire()
        .await?;
    let r_b = ReadWriteLock::new(&b, "/locks/catalog")
        .read_lock()
        .acquire()
        .await?;
    println!("two readers: {} and {}", r_a.node(), r_b.node());
    r_a.release().await;
    r_b.release().await;

    // A semaphore of one lease: the second waits.
    let lease = Semaphore::new(&a, "/limits/export").acquire().await?;
    let export_b = Semaphore::new(&b, "/limits/export");
    let second = tokio::time::timeout(Duration::from_millis(200), export_b.acquire()).await;
    println!(
        "a holds {}; b got a lease too: {}",
        lease.node(),
        second.is_ok()
    );
    lease.release().await;

    // A double barrier of two.
    let (ba, bb) = (
        DoubleBarrier::new(&a, "/rounds/1").members(2),
        DoubleBarrier::new(&b, "/rounds/1").members(2),
    );
    let (ea, eb) = tokio::join!(ba.enter(), bb.enter());
    ea?;
    eb?;
    println!("both entered the double barrier");
    let (la, lb) = tokio::join!(ba.leave(), bb.leave());
    la?;
    lb?;

    // Group membership on a supervised session, and a tree cache watching the group.
    let supervisor = Supervisor::start(ClientBuilder::new(server.connect_string())).await?;
    let (cache, mut events) = TreeCache::new(&a, "/").start().await?;
    while let Some(event) = events.next().await {
        if event? == CacheEvent::Initialized {
            break;
        }
    }
    let member = GroupMember::new(&supervisor, "/group/workers")
        .id("worker-c")
        .payload(b"10.0.0.3")
        .join()
        .await?;
    println!(
        "group: {:?}",
        member.members().await?.keys().collect::<Vec<_>>()
    );
    while let Some(event) = events.next().await {
        if let CacheEvent::Added(path, _) = &event? {
            if path == "/group/workers/worker-c" {
                println!("the cache saw {path} appear");
                break;
            }
        }
    }
    println!("the cache holds {} nodes", cache.len());
    Ok(())
}
