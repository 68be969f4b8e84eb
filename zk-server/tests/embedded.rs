//! zk-client against the embedded server, in-process: the operations served so far, watches,
//! multi, ephemeral nodes going with their session (closed, or expired by the server's
//! clock), and a resumed session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::time::Duration;

use tokio::time::timeout;
use zk_client::{
    AddWatchMode, Client, ClientBuilder, CreateMode, CreateOptions, Error, EventType, Op,
};
use zk_server::Server;

async fn server() -> Server {
    Server::builder()
        .tick_time(Duration::from_millis(200))
        .start()
        .await
        .expect("the embedded server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_works_against_the_embedded_server() {
    let srv = server().await;
    let zk = Client::connect(&srv.connect_string())
        .await
        .expect("connect");
    let open = CreateOptions::default();
    zk.create("/a", b"x", &open).await.expect("create");
    assert_eq!(zk.create("/a", b"", &open).await, Err(Error::NodeExists));
    assert_eq!(zk.create("/m/x", b"", &open).await, Err(Error::NoNode));
    let (data, stat, changed) = zk.get_data_watch("/a").await.expect("getData");
    assert_eq!((data.as_slice(), stat.version), (&b"x"[..], 0));
    let mut recursive = zk
        .add_watch("/", AddWatchMode::PersistentRecursive)
        .await
        .expect("addWatch");
    let stat = zk.set_data("/a", b"y", Some(0)).await.expect("set");
    assert_eq!(stat.version, 1);
    assert_eq!(
        zk.set_data("/a", b"z", Some(0)).await,
        Err(Error::BadVersion)
    );
    let ev = timeout(Duration::from_secs(5), changed)
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/a")
    );
    let ev = timeout(Duration::from_secs(5), recursive.next())
        .await
        .expect("in time")
        .expect("an item")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/a")
    );

    let seq = CreateOptions::new(CreateMode::PersistentSequential);
    let (first, _) = zk.create("/a/s-", b"", &seq).await.expect("sequential");
    let (second, _) = zk.create("/a/s-", b"", &seq).await.expect("sequential");
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("/a/s-0000000000", "/a/s-0000000001")
    );
    let mut children = zk.get_children("/a").await.expect("children");
    children.sort();
    assert_eq!(children, ["s-0000000000", "s-0000000001"]);
    assert_eq!(zk.get_all_children_number("/").await, Ok(6));
    assert_eq!(zk.delete("/a", None).await, Err(Error::NotEmpty));

    // Multi: all or nothing.
    let results = zk
        .multi(&[
            Op::create("/b", "1"),
            Op::create("/b/c", "2"),
            Op::check("/b", 0),
        ])
        .await
        .expect("multi");
    assert_eq!(results.len(), 3);
    let failed = zk
        .multi(&[Op::delete("/b/c"), Op::delete("/nope")])
        .await
        .expect_err("a failing multi");
    assert!(
        matches!(failed, Error::MultiFailed { index: 1, ref error } if **error == Error::NoNode),
        "{failed:?}"
    );
    assert!(zk.exists("/b/c").await.expect("exists").is_some());
    assert!(zk.ensure_path("/deep/er/path").await.is_ok());

    // Ephemeral nodes go with a closed session, and watchers hear it.
    let other = Client::connect(&srv.connect_string()).await.expect("other");
    other
        .create("/e", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .expect("ephemeral");
    assert_eq!(other.get_ephemerals("/").await, Ok(vec!["/e".to_string()]));
    let (_, gone) = zk.exists_watch("/e").await.expect("exists");
    other.close().await;
    let ev = timeout(Duration::from_secs(5), gone)
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDeleted, "/e")
    );
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_resume_and_expire_by_the_servers_clock() {
    let srv = server().await;
    let holder = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_millis(800))
        .connect()
        .await
        .expect("holder");
    holder
        .create("/lease", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .expect("ephemeral");
    // Another client takes the session over with its id and password.
    let (id, password) = (holder.session_id(), holder.session_password());
    holder.detach().await;
    let resumed = ClientBuilder::new(srv.connect_string())
        .session_timeout(Duration::from_millis(800))
        .session(id, password.clone())
        .connect()
        .await
        .expect("resumed");
    assert_eq!(resumed.session_id(), id);
    assert!(resumed.exists("/lease").await.expect("exists").is_some());
    // A wrong password is refused as an expired session.
    let wrong = ClientBuilder::new(srv.connect_string())
        .session(id, vec![0u8; 16])
        .connect()
        .await;
    assert_eq!(wrong.err(), Some(Error::SessionExpired));
    // Silence: the server expires the session and its ephemeral goes.
    resumed.detach().await;
    let watcher = Client::connect(&srv.connect_string())
        .await
        .expect("watcher");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while watcher.exists("/lease").await.expect("exists").is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the session never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watcher.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_read_answers_each_read_on_its_own() {
    use zk_client::{ReadOp, ReadResult};
    let srv = server().await;
    let zk = Client::connect(&srv.connect_string())
        .await
        .expect("connect");
    zk.create("/r", b"data", &CreateOptions::default())
        .await
        .expect("create");
    let results = zk
        .multi_read(&[
            ReadOp::get_data("/r"),
            ReadOp::get_data("/missing"),
            ReadOp::get_children("/r"),
        ])
        .await
        .expect("multiRead");
    assert!(
        matches!(&results[0], Ok(ReadResult::Data { data, .. }) if data == b"data"),
        "{results:?}"
    );
    assert_eq!(results[1], Err(Error::NoNode));
    assert_eq!(results[2], Ok(ReadResult::Children(Vec::new())));
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_set_again_after_a_reconnect_fire_for_what_changed_meanwhile() {
    let srv = server().await;
    let proxy = zk_testkit::Proxy::start(srv.addr()).expect("proxy");
    let writer = Client::connect(&srv.connect_string())
        .await
        .expect("writer");
    let open = CreateOptions::default();
    writer.create("/w", b"1", &open).await.expect("create");
    writer.create("/still", b"", &open).await.expect("create");
    let zk = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    let (_, _, changed) = zk.get_data_watch("/w").await.expect("getData");
    let (_, _, unchanged) = zk.get_data_watch("/still").await.expect("getData");
    let mut persistent = zk
        .add_watch("/w", AddWatchMode::Persistent)
        .await
        .expect("addWatch");
    // Cut; change /w while the watcher is away; let it back.
    proxy.set_refusing(true);
    writer.set_data("/w", b"2", None).await.expect("set");
    proxy.set_refusing(false);
    // The one-shot watch on /w fires from the setWatches2 on the new connection.
    let ev = timeout(Duration::from_secs(10), changed)
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/w")
    );
    // The persistent watch was set again (no replay: ZooKeeper does not replay them) and
    // hears the next change; /still's watch was set again and has not fired.
    writer.set_data("/w", b"3", None).await.expect("set");
    let ev = timeout(Duration::from_secs(10), persistent.next())
        .await
        .expect("in time")
        .expect("an item")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/w")
    );
    writer.set_data("/still", b"x", None).await.expect("set");
    let ev = timeout(Duration::from_secs(10), unchanged)
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(
        (ev.event_type, ev.path.as_str()),
        (EventType::NodeDataChanged, "/still")
    );
    zk.close().await;
    writer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_and_stalls_no_one() {
    use jute::Encode;
    use jute_schemas::proto::{ConnectRequest, GetDataRequest, RequestHeader};
    use std::io::{Read, Write};

    let srv = server().await;
    let zk = Client::connect(&srv.connect_string())
        .await
        .expect("connect");
    zk.create("/big", &vec![7u8; 1_000_000], &CreateOptions::default())
        .await
        .expect("a 1 MB node");
    zk.create("/small", b"s", &CreateOptions::default())
        .await
        .expect("small");
    let addr = srv.addr();
    // A raw client: a handshake, then 200 reads of the 1 MB node (200 MB of answers), and
    // never a byte read after the handshake's answer.
    let hog = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).expect("tcp");
        let frame = |body: Vec<u8>| {
            let mut f = (body.len() as u32).to_be_bytes().to_vec();
            f.extend(body);
            f
        };
        let mut hello = Vec::new();
        ConnectRequest {
            time_out: 30_000,
            passwd: Some(vec![0; 16]),
            read_only: Some(false),
            ..ConnectRequest::default()
        }
        .encode(&mut hello);
        s.write_all(&frame(hello)).expect("handshake");
        let mut len = [0u8; 4];
        s.read_exact(&mut len).expect("answer");
        let mut answer = vec![0u8; u32::from_be_bytes(len) as usize];
        s.read_exact(&mut answer).expect("answer");
        for xid in 1..=200 {
            let mut req = Vec::new();
            RequestHeader { xid, r#type: 4 }.encode(&mut req);
            GetDataRequest {
                path: Some("/big".into()),
                watch: false,
            }
            .encode(&mut req);
            if s.write_all(&frame(req)).is_err() {
                break; // closed already
            }
        }
        // Still not reading, but not silent either (pings, every half second for 8 s): only
        // the bound on unread answers can cut it off, not the read timeout.
        for _ in 0..16 {
            std::thread::sleep(Duration::from_millis(500));
            let mut ping = Vec::new();
            RequestHeader {
                xid: -2,
                r#type: 11,
            }
            .encode(&mut ping);
            if s.write_all(&frame(ping)).is_err() {
                break;
            }
        }
        s
    });
    // Meanwhile everyone else is served at once.
    for _ in 0..40 {
        let read = timeout(Duration::from_secs(2), zk.get_data("/small")).await;
        assert_eq!(read.expect("served in time").expect("read").0, b"s");
    }
    let mut s = hog.await.expect("task");
    // The hog's connection is closed once its unread answers pass the bound: reading what
    // the kernel still holds ends at end-of-stream, well short of the 200 MB asked for.
    let drained = tokio::task::spawn_blocking(move || {
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut total = 0usize;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    })
    .await
    .expect("task");
    assert!(
        drained < 150_000_000,
        "read {drained} bytes: the hog was never cut off"
    );
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_past_any_clock_is_no_limit_not_a_panic() {
    let srv = Server::builder()
        .tick_time(Duration::MAX)
        .start()
        .await
        .expect("starts");
    let zk = Client::connect(&srv.connect_string())
        .await
        .expect("connect");
    zk.create("/t", b"", &CreateOptions::default())
        .await
        .expect("served");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(zk.exists("/t").await.expect("exists").is_some());
    zk.close().await;
}

/// The handle's controls: an expiry the client learns of, dropped connections the session
/// survives, a stop the client notices and a restart on the same address it resumes on, with
/// the tree kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handle_expires_sessions_drops_connections_stops_and_restarts() {
    let mut srv = server().await;
    let connect = srv.connect_string();
    let zk = ClientBuilder::new(&connect)
        .session_timeout(Duration::from_secs(4))
        .connect()
        .await
        .expect("connect");
    let id = zk.session_id();
    zk.create(
        "/kept",
        b"tree",
        &CreateOptions::new(CreateMode::Persistent),
    )
    .await
    .expect("create");
    zk.create("/eph", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .expect("ephemeral");

    // Dropped connections: the client comes back on the same session.
    let states = zk.states();
    srv.close_connections();
    let seen = timeout(
        Duration::from_secs(5),
        states.wait_for(|s| s == zk_client::SessionState::Disconnected),
    )
    .await;
    assert!(seen.is_ok(), "the client saw no disconnect");
    assert_eq!(zk.get_data("/eph").await.map(|(d, _)| d), Ok(Vec::new()));
    assert_eq!(zk.session_id(), id);

    // Stopped: nothing answers; restarted: the same session, the same tree.
    let states = zk.states();
    srv.stop().await;
    let seen = timeout(
        Duration::from_secs(5),
        states.wait_for(|s| s == zk_client::SessionState::Disconnected),
    )
    .await;
    assert!(seen.is_ok(), "the client saw no disconnect at the stop");
    assert!(!srv.is_running());
    assert!(
        tokio::net::TcpStream::connect(&connect).await.is_err(),
        "still listening"
    );
    srv.restart().await.expect("restart on the same address");
    assert_eq!(srv.connect_string(), connect);
    let seen = timeout(
        Duration::from_secs(10),
        states.wait_for(|s| s == zk_client::SessionState::Connected),
    )
    .await;
    assert!(
        seen.is_ok(),
        "the client did not come back after the restart"
    );
    let back = timeout(Duration::from_secs(10), zk.get_data("/kept")).await;
    assert_eq!(back.expect("in time").map(|(d, _)| d), Ok(b"tree".to_vec()));
    assert_eq!(zk.session_id(), id, "the session survived the restart");
    assert!(zk.exists("/eph").await.expect("exists").is_some());

    // An expiry by the handle: the ephemeral goes and the client is told.
    let other = Client::connect(&connect).await.expect("other");
    let (_, gone) = other.exists_watch("/eph").await.expect("watch");
    assert!(srv.expire_session(id));
    assert!(!srv.expire_session(id), "already gone");
    let ev = timeout(Duration::from_secs(5), gone)
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(ev.event_type, EventType::NodeDeleted);
    let ended = timeout(
        Duration::from_secs(10),
        zk.states().wait_for(|s| s.is_terminal()),
    )
    .await
    .expect("the client learned of the expiry in time");
    assert_eq!(ended, zk_client::SessionState::Expired);
    other.close().await;
    srv.shutdown().await;
    assert!(tokio::net::TcpStream::connect(&connect).await.is_err());
}

/// The server on a thread of its own, controlled from synchronous code, and from inside an
/// async test (whose runtime it does not use).
#[test]
fn a_blocking_server_serves_and_is_controlled_without_await() {
    let srv = Server::builder().start_blocking().expect("starts");
    let connect = srv.connect_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let zk = rt.block_on(Client::connect(&connect)).expect("connect");
    rt.block_on(zk.create("/x", b"1", &CreateOptions::new(CreateMode::Persistent)))
        .expect("create");
    srv.stop();
    assert!(
        std::net::TcpStream::connect(&connect).is_err(),
        "still listening"
    );
    srv.restart().expect("restart");
    let data = rt.block_on(async {
        // Called from inside the runtime: the server's own thread does the work.
        let states = zk.states();
        srv.close_connections();
        let seen = timeout(
            Duration::from_secs(5),
            states.wait_for(|s| s == zk_client::SessionState::Disconnected),
        )
        .await;
        assert!(seen.is_ok(), "the client saw no disconnect");
        timeout(Duration::from_secs(10), zk.get_data("/x")).await
    });
    assert_eq!(data.expect("in time").map(|(d, _)| d), Ok(b"1".to_vec()));
    assert!(srv.expire_session(zk.session_id()));
    rt.block_on(zk.close());
    srv.shutdown();
    assert!(std::net::TcpStream::connect(&connect).is_err());
}
