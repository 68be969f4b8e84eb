//! What the data-directory tests share: a tree as clients read it, and a workload that leaves
//! every kind of node, session and ACL behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)] // a test: failing is panicking

use std::collections::BTreeMap;
use std::time::Duration;

use jute_schemas::data::{Id, Stat, ACL as Acl};
use zk_client::{Client, CreateMode, CreateOptions, Error, Op};

/// A node as a client reads it: data, Stat, ACL, children in the order listed.
pub type Seen = BTreeMap<String, (Vec<u8>, Stat, Vec<Acl>, Vec<String>)>;

/// Every node, read through `zk`.
pub async fn read_all(zk: &Client) -> Seen {
    let mut seen = BTreeMap::new();
    let mut stack = vec!["/".to_string()];
    while let Some(path) = stack.pop() {
        let (data, stat) = zk.get_data(&path).await.unwrap();
        let (acl, _) = zk.get_acl(&path).await.unwrap();
        let children = zk.get_children(&path).await.unwrap();
        for c in &children {
            stack.push(if path == "/" {
                format!("/{c}")
            } else {
                format!("{path}/{c}")
            });
        }
        seen.insert(path, (data, stat, acl, children));
    }
    seen
}

/// Children compared as sets (for a state read live, whose orders a restart may change).
pub fn unordered(mut seen: Seen) -> Seen {
    for v in seen.values_mut() {
        v.3.sort();
    }
    seen
}

/// The workload's first half: `other`'s session keeps five ephemerals.
pub async fn first_half(zk: &Client, other: &Client) {
    let open = CreateOptions::default();
    zk.create("/app", b"root", &open).await.unwrap();
    for i in 0..30 {
        zk.create(&format!("/app/n{i}"), format!("v{i}").as_bytes(), &open)
            .await
            .unwrap();
    }
    for i in 0..5 {
        zk.create(
            "/app/seq-",
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
        )
        .await
        .unwrap();
        other
            .create(
                &format!("/app/eph{i}"),
                b"e",
                &CreateOptions::new(CreateMode::Ephemeral),
            )
            .await
            .unwrap();
    }
    zk.create("/box", b"", &CreateOptions::new(CreateMode::Container))
        .await
        .unwrap();
    zk.create("/box/kid", b"", &open).await.unwrap();
    zk.delete("/box/kid", None).await.unwrap();
    zk.create("/ttl", b"t", &CreateOptions::ttl(Duration::from_secs(600)))
        .await
        .unwrap();
    for i in (0..30).step_by(3) {
        zk.set_data(&format!("/app/n{i}"), b"changed", None)
            .await
            .unwrap();
    }
}

/// The second half: auth, ACLs, deletes, multis (one failing).
pub async fn second_half(zk: &Client) {
    let open = CreateOptions::default();
    zk.add_auth("digest", b"user:secret").await.unwrap();
    let mine = vec![Acl {
        perms: 31,
        id: Id {
            scheme: Some("auth".into()),
            id: Some(String::new()),
        },
    }];
    zk.create("/private", b"p", &open.clone().with_acl(mine))
        .await
        .unwrap();
    zk.set_acl(
        "/app/n1",
        &[Acl {
            perms: 1,
            id: Id {
                scheme: Some("world".into()),
                id: Some("anyone".into()),
            },
        }],
        None,
    )
    .await
    .unwrap();
    for i in (0..30).step_by(4) {
        zk.delete(&format!("/app/n{i}"), None).await.unwrap();
    }
    zk.multi(&[
        Op::create("/m", b"1".to_vec()),
        Op::create("/m/a", b"2".to_vec()),
        Op::set_data("/app/n3", b"multi".to_vec()),
    ])
    .await
    .unwrap();
    let failed = zk
        .multi(&[Op::create("/never", b"".to_vec()), Op::delete("/missing")])
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(
        zk.create("/app/n1", b"", &open).await.unwrap_err(),
        Error::NodeExists
    );
}
