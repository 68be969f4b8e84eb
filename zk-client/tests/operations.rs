//! Every operation on both servers, including the error paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use common::{client, on_both, server_on};
use zk_client::{acl, CreateMode, CreateOptions, Error};
use zk_testkit::Backend;

on_both!(
    create_in_every_mode,
    read_write_delete_with_versions,
    session_information_and_config,
    acls_and_digest_authentication,
);

async fn create_in_every_mode(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    let (p, stat) = zk
        .create("/p", b"data", &CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (p.as_str(), stat.data_length, stat.ephemeral_owner),
        ("/p", 4, 0)
    );
    let (e, stat) = zk
        .create("/p/e", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    assert_eq!(e, "/p/e");
    assert_eq!(stat.ephemeral_owner, zk.session_id());
    let (s1, _) = zk
        .create(
            "/p/seq-",
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
        )
        .await
        .unwrap();
    let (s2, _) = zk
        .create(
            "/p/seq-",
            b"",
            &CreateOptions::new(CreateMode::EphemeralSequential),
        )
        .await
        .unwrap();
    assert!(
        s1.starts_with("/p/seq-") && s1.len() == "/p/seq-".len() + 10,
        "{s1}"
    );
    assert!(s2 > s1, "{s2} after {s1}");
    let (c, _) = zk
        .create("/c", b"", &CreateOptions::new(CreateMode::Container))
        .await
        .unwrap();
    assert_eq!(c, "/c");
    let (t, tstat) = zk
        .create("/t", b"x", &CreateOptions::ttl(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(t, "/t");
    assert_eq!(
        tstat.ephemeral_owner, 0,
        "TTL markers are not shown to clients"
    );
    let opts = CreateOptions::ttl(Duration::from_secs(60))
        .with_mode(CreateMode::PersistentSequentialWithTtl);
    let (ts, _) = zk.create("/t-", b"x", &opts).await.unwrap();
    assert!(ts.starts_with("/t-00000"), "{ts}");
    // Trailing slash is allowed for sequential creates only.
    let (slash, _) = zk
        .create(
            "/p/",
            b"",
            &CreateOptions::new(CreateMode::PersistentSequential),
        )
        .await
        .unwrap();
    assert!(slash.starts_with("/p/0"), "{slash}");

    // Errors.
    assert_eq!(
        zk.create("/p", b"", &CreateOptions::default())
            .await
            .unwrap_err(),
        Error::NodeExists
    );
    assert_eq!(
        zk.create("/missing/x", b"", &CreateOptions::default())
            .await
            .unwrap_err(),
        Error::NoNode
    );
    assert_eq!(
        zk.create("/p/e/x", b"", &CreateOptions::default())
            .await
            .unwrap_err(),
        Error::NoChildrenForEphemerals
    );
    assert_eq!(
        zk.create("/i", b"", &CreateOptions::default().with_acl(vec![]))
            .await
            .unwrap_err(),
        Error::InvalidAcl
    );
    assert_eq!(
        zk.create(
            "/i",
            b"",
            &CreateOptions::default().with_acl(acl::creator_all())
        )
        .await
        .unwrap_err(),
        Error::InvalidAcl
    );
    let bad_ttl = CreateOptions {
        ttl: Some(Duration::from_secs(1)),
        ..CreateOptions::default()
    };
    assert!(matches!(
        zk.create("/i", b"", &bad_ttl).await,
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        zk.create("/i/", b"", &CreateOptions::default()).await,
        Err(Error::InvalidPath { .. })
    ));
    assert!(matches!(
        zk.create("no-slash", b"", &CreateOptions::default()).await,
        Err(Error::InvalidPath { .. })
    ));
    zk.close().await;
}

async fn read_write_delete_with_versions(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.create("/n", b"one", &CreateOptions::default())
        .await
        .unwrap();
    let (data, stat) = zk.get_data("/n").await.unwrap();
    assert_eq!((data.as_slice(), stat.version), (&b"one"[..], 0));
    let stat = zk.set_data("/n", b"two", Some(0)).await.unwrap();
    assert_eq!(stat.version, 1);
    assert_eq!(
        zk.set_data("/n", b"x", Some(0)).await.unwrap_err(),
        Error::BadVersion
    );
    assert_eq!(zk.exists("/n").await.unwrap().map(|s| s.version), Some(1));
    assert_eq!(zk.exists("/none").await.unwrap(), None);
    assert_eq!(zk.get_data("/none").await.unwrap_err(), Error::NoNode);
    assert_eq!(
        zk.set_data("/none", b"", None).await.unwrap_err(),
        Error::NoNode
    );

    for c in ["a", "b", "c"] {
        zk.create(&format!("/n/{c}"), b"", &CreateOptions::default())
            .await
            .unwrap();
    }
    zk.create("/n/a/deep", b"", &CreateOptions::default())
        .await
        .unwrap();
    let mut kids = zk.get_children("/n").await.unwrap();
    kids.sort();
    assert_eq!(kids, ["a", "b", "c"]);
    let (kids2, stat) = zk.get_children2("/n").await.unwrap();
    assert_eq!((kids2.len(), stat.num_children), (3, 3));
    assert_eq!(zk.get_all_children_number("/n").await.unwrap(), 4);
    assert_eq!(zk.delete("/n", None).await.unwrap_err(), Error::NotEmpty);
    assert_eq!(
        zk.delete("/n/b", Some(5)).await.unwrap_err(),
        Error::BadVersion
    );
    zk.delete("/n/b", Some(0)).await.unwrap();
    assert_eq!(zk.delete("/n/b", None).await.unwrap_err(), Error::NoNode);

    // Null and empty data are different on the server but both read as empty here.
    zk.create("/null", b"", &CreateOptions::default())
        .await
        .unwrap();
    assert_eq!(zk.get_data("/null").await.unwrap().0, b"");
    assert_eq!(zk.sync("/n").await.unwrap(), "/n");
    zk.close().await;
}

async fn session_information_and_config(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.create("/eph", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    zk.create("/dir", b"", &CreateOptions::default())
        .await
        .unwrap();
    zk.create("/dir/eph2", b"", &CreateOptions::new(CreateMode::Ephemeral))
        .await
        .unwrap();
    let mut all = zk.get_ephemerals("/").await.unwrap();
    all.sort();
    assert_eq!(all, ["/dir/eph2", "/eph"]);
    assert_eq!(zk.get_ephemerals("/dir").await.unwrap(), ["/dir/eph2"]);
    let who = zk.who_am_i().await.unwrap();
    assert_eq!(who.len(), 1);
    assert_eq!(
        (who[0].auth_scheme.as_deref(), who[0].user.as_deref()),
        (Some("ip"), Some("127.0.0.1"))
    );
    let (config, _) = zk.get_config().await.unwrap();
    assert!(config.is_empty(), "standalone servers have an empty config");
    // A standalone server does not reconfigure.
    let e = zk
        .reconfig(Some("server.2=127.0.0.1:2888:3888;2182"), None, None, -1)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::ReconfigDisabled | Error::Unimplemented),
        "{e:?}"
    );
    zk.close().await;
    // After close: the ephemerals are gone, and calls fail.
    assert_eq!(zk.get_data("/").await.unwrap_err(), Error::Closed);
    let other = client(&srv).await;
    assert_eq!(other.exists("/eph").await.unwrap(), None);
    other.close().await;
}

async fn acls_and_digest_authentication(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.add_auth("digest", b"user:pw").await.unwrap();
    let who = zk.who_am_i().await.unwrap();
    assert!(
        who.iter().any(
            |c| c.auth_scheme.as_deref() == Some("digest") && c.user.as_deref() == Some("user")
        ),
        "{who:?}"
    );
    zk.create(
        "/secret",
        b"s",
        &CreateOptions::default().with_acl(acl::creator_all()),
    )
    .await
    .unwrap();
    let (acls, _) = zk.get_acl("/secret").await.unwrap();
    assert_eq!(acls.len(), 1);
    // The server turned `auth:` into the digest id we compute the same way.
    assert_eq!(
        acls[0].id.id.as_deref(),
        Some(acl::digest_id("user", "pw").as_str())
    );
    assert_eq!(acls[0].id.scheme.as_deref(), Some("digest"));

    let stranger = client(&srv).await;
    assert_eq!(
        stranger.get_data("/secret").await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        stranger
            .set_acl("/secret", &acl::open_unsafe(), None)
            .await
            .unwrap_err(),
        Error::NoAuth
    );

    let stat = zk
        .set_acl(
            "/secret",
            &[
                acl::digest("user", "pw", acl::perms::ALL),
                acl::read_unsafe()[0].clone(),
            ],
            Some(0),
        )
        .await
        .unwrap();
    assert_eq!(stat.aversion, 1);
    assert_eq!(stranger.get_data("/secret").await.unwrap().0, b"s");
    assert_eq!(
        stranger.set_data("/secret", b"x", None).await.unwrap_err(),
        Error::NoAuth
    );
    assert_eq!(
        zk.set_acl("/secret", &acl::open_unsafe(), Some(0))
            .await
            .unwrap_err(),
        Error::BadVersion
    );

    // Bad credentials end the session.
    let bad = client(&srv).await;
    assert_eq!(
        bad.add_auth("nosuchscheme", b"x").await.unwrap_err(),
        Error::AuthFailed
    );
    assert_eq!(bad.state(), zk_client::SessionState::AuthFailed);
    assert_eq!(bad.get_data("/").await.unwrap_err(), Error::AuthFailed);
    zk.close().await;
    stranger.close().await;
}
