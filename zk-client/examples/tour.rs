//! A tour of the client against a real ZooKeeper that the example starts itself (through
//! zk-testkit, from Debian's `zookeeper` package, installed when missing and running as root).
//!
//! `cargo run -p zk-client --example tour`

use std::time::Duration;

use zk_client::{acl, AddWatchMode, ClientBuilder, CreateMode, CreateOptions, Error, Op, ReadOp};
use zk_testkit::TestServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TestServer::start()?;
    println!(
        "started ZooKeeper at {} ({})",
        server.connect_string(),
        server
            .four_letter_word("srvr")?
            .lines()
            .next()
            .unwrap_or("")
    );

    // One session, under a chroot: every path below is relative to /tour.
    let root = ClientBuilder::new(server.connect_string())
        .connect()
        .await?;
    root.create("/tour", b"", &CreateOptions::default()).await?;
    let zk = ClientBuilder::new(format!("{}/tour", server.connect_string()))
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
        other => println!("unexpected: {other:?}"),
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
        Ok(r) => println!("unexpected: {r:?}"),
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
        other => println!("unexpected: {other:?}"),
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
    println!(
        "closed; the ephemeral members are gone: {:?}",
        root.get_children("/tour/members").await?
    );
    root.close().await;
    Ok(())
}
