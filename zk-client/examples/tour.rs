//! A tour of the client. By default against an embedded server started in-process
//! (`zk-server`: no JVM, nothing installed); `--server HOST:PORT` (or `ZK=HOST:PORT`) runs it
//! against your ZooKeeper instead.
//!
//! `cargo run -p zk-client --example tour [-- --server 127.0.0.1:2181]`

use std::time::Duration;

use zk_client::{acl, AddWatchMode, ClientBuilder, CreateMode, CreateOptions, Error, Op, ReadOp};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut target = std::env::var("ZK").ok();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => target = Some(args.next().ok_or("--server needs HOST:PORT")?),
            other => {
                return Err(format!("unknown argument {other:?} (try --server HOST:PORT)").into())
            }
        }
    }
    match target {
        Some(servers) => {
            println!("using ZooKeeper at {servers}");
            tour(&servers).await
        }
        None => {
            // It stops when dropped, at the end of the tour.
            let server = zk_server::Server::builder().start().await?;
            println!("started an embedded server at {}", server.connect_string());
            tour(&server.connect_string()).await
        }
    }
}

/// The tour, on the servers of `connect`.
pub async fn tour(connect: &str) -> Result<(), Box<dyn std::error::Error>> {
    // One session, under a chroot: every path below is relative to /tour.
    let root = ClientBuilder::new(connect).connect().await?;
    root.create("/tour", b"", &CreateOptions::default()).await?;
    let zk = ClientBuilder::new(format!("{connect}/tour"))
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await?;
    println!(
        "connected: session 0x{:x}, state {:?}",
        zk.session_id(),
        zk.state()
    );

    // Nodes and versions.
    let (path, stat) = zk
        .create("/config", b"color=blue", &CreateOptions::default())
        .await?;
    println!("created {path} (version {})", stat.version);
    let stat = zk
        .set_data("/config", b"color=green", Some(stat.version))
        .await?;
    match zk.set_data("/config", b"color=red", Some(0)).await {
        Err(Error::BadVersion) => println!(
            "a stale version is refused: BadVersion (now at version {})",
            stat.version
        ),
        other => return Err(format!("a stale version was not refused: {other:?}").into()),
    }

    // A one-shot watch comes back with the read that set it.
    let (data, _, watch) = zk.get_data_watch("/config").await?;
    println!("read {:?} and watch it", String::from_utf8_lossy(&data));
    zk.set_data("/config", b"color=purple", None).await?;
    let event = watch.await?;
    println!("watch fired: {:?} on {}", event.event_type, event.path);

    // Membership: ephemeral sequential nodes, and a recursive watch on the group.
    zk.create("/members", b"", &CreateOptions::default())
        .await?;
    let mut group = zk
        .add_watch("/members", AddWatchMode::PersistentRecursive)
        .await?;
    let mut names = Vec::new();
    for host in ["alpha", "beta", "gamma"] {
        let (p, _) = zk
            .create(
                "/members/m-",
                host.as_bytes(),
                &CreateOptions::new(CreateMode::EphemeralSequential),
            )
            .await?;
        names.push(p);
    }
    for _ in 0..3 {
        let Some(ev) = group.next().await else { break };
        let ev = ev?;
        println!("group event: {:?} {}", ev.event_type, ev.path);
    }
    println!("members: {:?}", zk.get_children("/members").await?);
    println!(
        "this session's ephemerals: {:?}",
        zk.get_ephemerals("/").await?
    );
    drop(group);

    // A transaction: all or nothing.
    let results = zk
        .multi(&[
            Op::Create {
                path: "/jobs".into(),
                data: vec![],
                options: CreateOptions::default(),
            },
            Op::Create {
                path: "/jobs/job-".into(),
                data: b"build".to_vec(),
                options: CreateOptions::new(CreateMode::PersistentSequential),
            },
            Op::Check {
                path: "/config".into(),
                version: 2,
            },
        ])
        .await?;
    println!("multi: {results:?}");
    match zk
        .multi(&[
            Op::SetData {
                path: "/config".into(),
                data: b"x".to_vec(),
                version: None,
            },
            Op::Check {
                path: "/config".into(),
                version: 99,
            },
        ])
        .await
    {
        Err(e) => println!("failed multi: {e}"),
        Ok(r) => return Err(format!("a failing multi succeeded: {r:?}").into()),
    }
    let reads = zk
        .multi_read(&[
            ReadOp::GetData("/config".into()),
            ReadOp::GetData("/missing".into()),
        ])
        .await?;
    for (i, r) in reads.iter().enumerate() {
        match r {
            Ok(zk_client::ReadResult::Data { data, .. }) => {
                println!("multiRead[{i}]: {:?}", String::from_utf8_lossy(data))
            }
            other => println!("multiRead[{i}]: {other:?}"),
        }
    }

    // ACLs and digest authentication.
    zk.add_auth("digest", b"admin:s3cret").await?;
    zk.create(
        "/private",
        b"keys",
        &CreateOptions::default().with_acl(acl::creator_all()),
    )
    .await?;
    let (acls, _) = zk.get_acl("/private").await?;
    println!(
        "ACL of /private: {}:{} (computed locally: {})",
        acls[0].id.scheme.as_deref().unwrap_or(""),
        acls[0].id.id.as_deref().unwrap_or(""),
        acl::digest_id("admin", "s3cret")
    );
    match root.get_data("/tour/private").await {
        Err(Error::NoAuth) => println!("another session without credentials: NoAuth"),
        other => return Err(format!("a session without credentials read: {other:?}").into()),
    }
    println!(
        "who am I: {:?}",
        zk.who_am_i()
            .await?
            .iter()
            .map(|c| format!(
                "{}:{}",
                c.auth_scheme.as_deref().unwrap_or(""),
                c.user.as_deref().unwrap_or("")
            ))
            .collect::<Vec<_>>()
    );

    // Paths are checked before anything is sent.
    if let Err(e) = zk.get_data("/bad//path").await {
        println!("rejected locally: {e}");
    }

    zk.close().await;
    let left = root.get_children("/tour/members").await?;
    if !left.is_empty() {
        return Err(format!("ephemeral members outlived their session: {left:?}").into());
    }
    println!("closed; the ephemeral members are gone");
    root.close().await;
    Ok(())
}
