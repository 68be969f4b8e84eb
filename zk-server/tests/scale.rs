//! Sizes from the bad-input list, through a real client on the embedded server: a node
//! with a million children, and a path of nearly 1 MiB (the request limit). Nothing here times
//! anything; what they prove about cost is that they finish: at a million children, a cost
//! per operation that grew with the number of children (a list copied or sorted per create,
//! a scan per delete) would take hours instead of seconds, and the suite has a time limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::time::Duration;

use tokio::time::timeout;
use zk_client::{
    AddWatchMode, Client, ClientBuilder, CreateMode, CreateOptions, Error, EventType, Op,
};
use zk_server::Server;

const CHILDREN: usize = 1_000_000;
/// Creates or deletes per multi: each frame stays well under 1 MiB.
const PER_MULTI: usize = 10_000;

async fn client(server: &Server, max_reply: usize) -> Client {
    ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(30))
        .max_reply_size(max_reply)
        .connect()
        .await
        .expect("connect")
}

fn child(i: usize) -> String {
    format!("/big/c{i:07}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_children_are_created_counted_listed_and_deleted() {
    let server = Server::builder().start().await.expect("server");
    // The full listing is about 12 MB: this client takes replies that large.
    let zk = client(&server, 64 << 20).await;
    zk.create("/big", b"", &CreateOptions::default())
        .await
        .unwrap();
    for first in (0..CHILDREN).step_by(PER_MULTI) {
        let ops = (first..first + PER_MULTI).map(|i| Op::create(child(i), b"".to_vec()));
        zk.multi(&ops.collect::<Vec<_>>())
            .await
            .expect("a multi of creates");
    }

    let (_, stat) = zk.get_data("/big").await.unwrap();
    assert_eq!(stat.num_children as usize, CHILDREN);
    assert_eq!(
        zk.get_all_children_number("/big").await.unwrap() as usize,
        CHILDREN
    );
    // One more creates a sequential name from the parent's cversion.
    let (seq, _) = zk
        .create(
            "/big/s-",
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
        )
        .await
        .unwrap();
    assert_eq!(seq, format!("/big/s-{CHILDREN:010}"));
    zk.delete(&seq, None).await.unwrap();

    let (mut names, stat) = zk.get_children2("/big").await.unwrap();
    assert_eq!(names.len(), CHILDREN);
    assert_eq!(stat.num_children as usize, CHILDREN);
    names.sort_unstable();
    assert_eq!(names.first().map(String::as_str), Some("c0000000"));
    assert_eq!(names.last().map(String::as_str), Some("c0999999"));
    names.dedup();
    assert_eq!(names.len(), CHILDREN, "a name listed twice");

    // A client with the default reply limit gets an error for that listing only.
    let small = client(&server, jute::JUTE_MAXBUFFER_DEFAULT).await;
    assert!(matches!(
        small.get_children("/big").await,
        Err(Error::ReplyTooLarge { .. })
    ));
    assert_eq!(
        small.get_data("/big").await.unwrap().1.num_children as usize,
        CHILDREN
    );
    small.close().await;

    assert_eq!(zk.delete("/big", None).await, Err(Error::NotEmpty));
    for first in (0..CHILDREN).step_by(PER_MULTI) {
        let ops = (first..first + PER_MULTI).map(|i| Op::delete(child(i)));
        zk.multi(&ops.collect::<Vec<_>>())
            .await
            .expect("a multi of deletes");
    }
    assert_eq!(zk.get_children("/big").await.unwrap(), Vec::<String>::new());
    zk.delete("/big", None).await.unwrap();
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_of_nearly_a_mebibyte_works_and_one_over_the_limit_is_refused() {
    let server = Server::builder().start().await.expect("server");
    let zk = client(&server, 4 << 20).await;
    // The request limit (jute.maxbuffer) is 1 MiB - 1; the frame also holds the header, the
    // data, the ACL and the flags.
    let name = "n".repeat(jute::JUTE_MAXBUFFER_DEFAULT - 200);
    let path = format!("/{name}");

    let mut everything = zk
        .add_watch("/", AddWatchMode::PersistentRecursive)
        .await
        .unwrap();
    let (created, _) = zk
        .create(&path, b"v", &CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(created, path);
    let seen = timeout(Duration::from_secs(10), everything.next())
        .await
        .expect("an event")
        .expect("the watch runs")
        .expect("an event, not an error");
    assert_eq!(
        (seen.event_type, seen.path.len()),
        (EventType::NodeCreated, path.len())
    );

    let (_, _, data_watch) = zk.get_data_watch(&path).await.unwrap();
    zk.set_data(&path, b"w", None).await.unwrap();
    let fired = timeout(Duration::from_secs(10), data_watch)
        .await
        .expect("the watch fires")
        .expect("an event");
    assert_eq!(
        (fired.event_type, fired.path == path),
        (EventType::NodeDataChanged, true)
    );
    assert_eq!(zk.get_data(&path).await.unwrap().0, b"w");
    assert!(zk.get_children("/").await.unwrap().contains(&name));
    // A sequential create under the long name: the suffix still fits.
    let (seq, _) = zk
        .create(
            &format!("{path}/"),
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
        )
        .await
        .unwrap();
    assert_eq!(seq.len(), path.len() + 11);
    assert_eq!(zk.delete_all(&path).await.unwrap(), 2);

    // Past the limit: the client refuses to send it, naming the limit.
    let over = format!("/{}", "n".repeat(jute::JUTE_MAXBUFFER_DEFAULT));
    assert!(matches!(
        zk.create(&over, b"", &CreateOptions::default()).await,
        Err(Error::RequestTooLarge { .. })
    ));
    // A client allowed to send it reaches the server, which closes that connection, as
    // ZooKeeper does; the other session goes on.
    let loose = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(30))
        .max_request_size(4 << 20)
        .connect()
        .await
        .expect("connect");
    let refused = loose.create(&over, b"", &CreateOptions::default()).await;
    assert_eq!(refused, Err(Error::ConnectionLoss));
    assert_eq!(zk.get_children("/").await.unwrap(), ["zookeeper"]);
    zk.close().await;
}
