//! The recipes against a real ZooKeeper that the example starts itself (through zk-testkit):
//! two workers take turns with a lock, one of them leads an election, and both count.
//!
//! `cargo run -p zk-recipes --example recipes`

use std::time::Duration;

use zk_client::{ClientBuilder, Op};
use zk_recipes::{LeaderLatch, Lock, SharedCount};
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
        match lock_b.try_acquire(Duration::from_millis(200)).await? {
            Some(_) => "got it (unexpected)",
            None => "busy",
        }
    );
    guard_a
        .multi(&[Op::SetData {
            path: "/report".into(),
            data: b"written by a under the lock".to_vec(),
            version: None,
        }])
        .await?;
    guard_a.release().await;
    let guard_b = lock_b.acquire().await?;
    println!(
        "worker-b holds the lock (token {})",
        guard_b.fencing_token()
    );
    guard_b.release().await;

    // Leader election: a leads; when it steps down, b does.
    let latch_a = LeaderLatch::new(&a, "/election/report", "worker-a");
    let latch_b = LeaderLatch::new(&b, "/election/report", "worker-b");
    let lead_a = latch_a.leadership().await?;
    let waiting_b = tokio::spawn(async move { latch_b.leadership().await });
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
    println!("reports: {}", count_a.get().await?.0);
    Ok(())
}
