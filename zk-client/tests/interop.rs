//! Interop with ZooKeeper's own Java CLI (zkCli from the installed package): what this client
//! writes, zkCli reads, and what zkCli writes, this client reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::process::Command;

use common::{client, on_both, server_on};
use zk_client::{acl, CreateOptions};
use zk_testkit::Backend;
use zk_testkit::ZOOKEEPER_JAR;

on_both!(zkcli_reads_what_we_write_and_we_read_what_it_writes,);

/// Runs one zkCli command and returns its standard output.
fn zkcli(server: &str, args: &[&str]) -> String {
    // The embedded server needs no Java, but zkCli does.
    zk_testkit::ensure_installed().expect("ZooKeeper's package, for zkCli");
    let out = Command::new("java")
        .args([
            "-cp",
            ZOOKEEPER_JAR,
            "org.apache.zookeeper.ZooKeeperMain",
            "-server",
            server,
        ])
        .args(args)
        .output()
        .expect("run zkCli (java)");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "zkCli {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn zkcli_reads_what_we_write_and_we_read_what_it_writes(backend: Backend) {
    let srv = server_on(backend);
    let addr = srv.connect_string();
    let zk = client(&srv).await;

    // Ours → zkCli.
    zk.create("/ours", "héllo wörld".as_bytes(), &CreateOptions::default())
        .await
        .unwrap();
    for kid in ["a", "b"] {
        zk.create(&format!("/ours/{kid}"), b"", &CreateOptions::default())
            .await
            .unwrap();
    }
    // (zkCli needs ADMIN to see a digest id in full, so the node is also open to everyone.)
    let acl = vec![
        acl::digest("alice", "secret", acl::perms::ALL),
        acl::open_unsafe()[0].clone(),
    ];
    zk.create("/ours/locked", b"", &CreateOptions::default().with_acl(acl))
        .await
        .unwrap();
    let get = zkcli(&addr, &["get", "/ours"]);
    assert!(get.lines().any(|l| l == "héllo wörld"), "{get}");
    let ls = zkcli(&addr, &["ls", "/ours"]);
    assert!(ls.lines().any(|l| l == "[a, b, locked]"), "{ls}");
    let acl_out = zkcli(&addr, &["getAcl", "/ours/locked"]);
    assert!(
        acl_out.contains(&format!("'digest,'{}", acl::digest_id("alice", "secret"))),
        "{acl_out}"
    );

    // zkCli → ours.
    zkcli(&addr, &["create", "/theirs", "from zkCli"]);
    zkcli(&addr, &["create", "/theirs/child", "c"]);
    zkcli(&addr, &["setAcl", "/theirs/child", "world:anyone:r"]);
    let (data, stat) = zk.get_data("/theirs").await.unwrap();
    assert_eq!(data, b"from zkCli");
    assert_eq!(stat.num_children, 1);
    assert_eq!(zk.get_children("/theirs").await.unwrap(), ["child"]);
    let (acls, _) = zk.get_acl("/theirs/child").await.unwrap();
    assert_eq!(acls, acl::read_unsafe());
    assert_eq!(
        zk.set_data("/theirs/child", b"x", None).await.unwrap_err(),
        zk_client::Error::NoAuth
    );
    zk.close().await;
}
