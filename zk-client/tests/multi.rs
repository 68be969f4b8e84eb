//! multi and multiRead against a real 3.8 server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use common::{client, client_at, on_both, server_on};
use zk_client::{CreateMode, CreateOptions, Error, Op, OpResult, ReadOp, ReadResult};
use zk_testkit::Backend;

on_both!(
    multi_is_atomic_and_names_the_failing_operation,
    multi_read_reports_each_read_on_its_own,
);

async fn multi_is_atomic_and_names_the_failing_operation(backend: Backend) {
    let srv = server_on(backend);
    let zk = client_at(&srv, "/app").await;
    zk.create("/m", b"0", &CreateOptions::default())
        .await
        .unwrap();
    let results = zk
        .multi(&[
            Op::Create {
                path: "/m/a".into(),
                data: b"a".to_vec(),
                options: CreateOptions::default(),
            },
            Op::Create {
                path: "/m/s-".into(),
                data: vec![],
                options: CreateOptions::new(CreateMode::PersistentSequential),
            },
            Op::SetData {
                path: "/m".into(),
                data: b"1".to_vec(),
                version: Some(0),
            },
            Op::Check {
                path: "/m".into(),
                version: 1,
            },
            Op::Delete {
                path: "/m/a".into(),
                version: None,
            },
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 5);
    // 3.8.0 answers create2 inside a multi as a plain create, without a Stat; the chroot is
    // stripped from the created paths.
    assert!(
        matches!(&results[0], OpResult::Create { path, .. } if path == "/m/a"),
        "{results:?}"
    );
    assert!(
        matches!(&results[1], OpResult::Create { path, .. } if path.starts_with("/m/s-")),
        "{results:?}"
    );
    assert!(matches!(&results[2], OpResult::SetData { stat } if stat.version == 1));
    assert_eq!(results[3], OpResult::Check);
    assert_eq!(results[4], OpResult::Delete);

    let err = zk
        .multi(&[
            Op::Create {
                path: "/m/b".into(),
                data: vec![],
                options: CreateOptions::default(),
            },
            Op::Check {
                path: "/m".into(),
                version: 99,
            },
            Op::Delete {
                path: "/m".into(),
                version: None,
            },
        ])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        Error::MultiFailed {
            index: 1,
            error: Box::new(Error::BadVersion)
        }
    );
    assert_eq!(
        zk.exists("/m/b").await.unwrap(),
        None,
        "nothing of a failed multi takes effect"
    );

    // Bad paths are caught before sending, with the operation's index.
    let err = zk
        .multi(&[
            Op::Check {
                path: "/m".into(),
                version: 1,
            },
            Op::Delete {
                path: "m".into(),
                version: None,
            },
        ])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::MultiFailed { index: 1, ref error } if matches!(**error, Error::InvalidPath { .. })),
        "{err:?}"
    );
    assert_eq!(zk.multi(&[]).await.unwrap(), []);
    zk.close().await;
}

async fn multi_read_reports_each_read_on_its_own(backend: Backend) {
    let srv = server_on(backend);
    let zk = client(&srv).await;
    zk.create("/r", b"data", &CreateOptions::default())
        .await
        .unwrap();
    zk.create("/r/k", b"", &CreateOptions::default())
        .await
        .unwrap();
    let results = zk
        .multi_read(&[
            ReadOp::GetData("/r".into()),
            ReadOp::GetChildren("/r".into()),
            ReadOp::GetData("/none".into()),
        ])
        .await
        .unwrap();
    assert!(
        matches!(&results[0], Ok(ReadResult::Data { data, stat }) if data == b"data" && stat.num_children == 1)
    );
    assert_eq!(results[1], Ok(ReadResult::Children(vec!["k".into()])));
    assert_eq!(results[2], Err(Error::NoNode));
    zk.close().await;
}
