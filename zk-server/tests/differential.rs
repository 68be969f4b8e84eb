//! The data tree and the write checks against real ZooKeeper: one script of creates,
//! deletes and sets, each sent to a real server through zk-client and prepared and applied
//! on our tree; every outcome must match (the error code, or the path), and after every step
//! the nodes touched so far must read the same on both: Stats in everything but zxids and
//! times (which depend on each server's history), data and ACL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::collections::BTreeSet;

use zk_client::acl::{self, perms, Acl, Id};
use zk_client::{Client, CreateMode, CreateOptions, Error, Stat};
use zk_server::multi::{self, Done, MultiOp};
use zk_server::prep::{self, Access, Create};
use zk_server::reads;
use zk_server::tree::{split, DataTree, Txn};
use zk_testkit::{ServerOptions, TestServer};

/// A session without credentials: only `world:anyone` entries let it in.
struct World;

impl Access for World {
    fn allows(&self, acl: &[Acl], perm: i32) -> bool {
        acl.iter().any(|a| {
            a.id.scheme.as_deref() == Some("world")
                && a.id.id.as_deref() == Some("anyone")
                && a.perms & perm != 0
        })
    }
    fn auth_ids(&self) -> Vec<Id> {
        Vec::new()
    }
}

#[derive(Debug, Clone)]
enum Step {
    Create(&'static str, CreateMode, Vec<Acl>),
    Delete(&'static str, i32),
    Set(&'static str, &'static [u8], i32),
}

/// What both servers must agree on in a Stat: all but zxids and times.
fn shape(stat: &Stat) -> (i32, i32, i32, bool, i32, i32) {
    (
        stat.version,
        stat.cversion,
        stat.aversion,
        stat.ephemeral_owner != 0,
        stat.data_length,
        stat.num_children,
    )
}

fn code(e: &Error) -> i32 {
    e.code()
        .unwrap_or_else(|| panic!("a client-side error, not ZooKeeper's: {e}"))
}

/// A real answer with its error as a code.
fn code_of<T>(r: Result<T, Error>) -> Result<T, i32> {
    r.map_err(|e| code(&e))
}

/// Our answer with its error as a code.
fn value_of<T>(r: Result<T, zk_server::ErrorCode>) -> Result<T, i32> {
    r.map_err(|e| e.value())
}

fn txn_path(txn: &Txn) -> String {
    match txn {
        Txn::Create { path, .. }
        | Txn::Delete { path }
        | Txn::SetData { path, .. }
        | Txn::SetAcl { path, .. } => path.clone(),
        Txn::CloseSession { .. } => String::new(),
    }
}

/// One operation of a multi in the test's script.
#[derive(Debug, Clone)]
enum M {
    Create(&'static str, CreateMode),
    Delete(&'static str, i32),
    Set(&'static str, &'static [u8], i32),
    Check(&'static str, i32),
}

fn multis() -> Vec<Vec<M>> {
    use CreateMode::*;
    vec![
        vec![
            M::Create("/m", Persistent),
            M::Create("/m/a", Persistent),
            M::Check("/m", 0),
            M::Set("/m", b"x", 0),
            M::Create("/m/s-", PersistentSequential),
            M::Create("/m/s-", PersistentSequential),
        ],
        vec![
            M::Create("/m/b", Persistent),
            M::Delete("/m/a", 5),
            M::Create("/m/c", Persistent),
        ],
        vec![M::Check("/nope", -1), M::Create("/m/d", Persistent)],
        vec![M::Create("/m2", Ephemeral), M::Create("/m2/x", Persistent)],
        vec![
            M::Delete("/m/a", 0),
            M::Set("/m", b"y", 1),
            M::Check("/m", 2),
        ],
        vec![M::Delete("/m", -1)],
    ]
}

fn client_op(m: &M) -> zk_client::Op {
    match m {
        M::Create(path, mode) => zk_client::Op::create_with(*path, "", CreateOptions::new(*mode)),
        M::Delete(path, v) => zk_client::Op::delete(*path).version(*v),
        M::Set(path, data, v) => zk_client::Op::set_data(*path, *data).version(*v),
        M::Check(path, v) => zk_client::Op::check(*path, *v),
    }
}

fn server_op(m: &M) -> MultiOp<'static> {
    static OPEN: std::sync::LazyLock<Vec<Acl>> = std::sync::LazyLock::new(acl::open_unsafe);
    match m {
        M::Create(path, mode) => MultiOp::Create(Create {
            path,
            data: b"",
            acl: &OPEN,
            mode: *mode,
            ttl: -1,
            session: 0x42,
        }),
        M::Delete(path, version) => MultiOp::Delete {
            path,
            version: *version,
        },
        M::Set(path, data, version) => MultiOp::SetData {
            path,
            data,
            version: *version,
        },
        M::Check(path, version) => MultiOp::Check {
            path,
            version: *version,
        },
    }
}

fn script() -> Vec<Step> {
    use CreateMode::*;
    let open = acl::open_unsafe();
    let read_only = acl::read_unsafe();
    vec![
        Step::Create("/d", Persistent, open.clone()),
        Step::Create("/d", Persistent, open.clone()),
        Step::Create("/d/a/b", Persistent, open.clone()),
        Step::Create("/d/s-", PersistentSequential, open.clone()),
        Step::Create("/d/s-", EphemeralSequential, open.clone()),
        Step::Create("/d/e", Ephemeral, open.clone()),
        Step::Create("/d/e/child", Persistent, open.clone()),
        Step::Create("/d/e", Persistent, open.clone()),
        Step::Create("/d/c", Container, open.clone()),
        Step::Create("/d/c/x", Persistent, open.clone()),
        Step::Create("/d/ttl", PersistentWithTtl, open.clone()),
        Step::Create("/d/ro", Persistent, read_only.clone()),
        Step::Create("/d/ro/x", Persistent, open.clone()),
        Step::Create("/d/ro", Persistent, open.clone()),
        Step::Create("/d/none", Persistent, Vec::new()),
        Step::Create("/d/none/x", Persistent, Vec::new()),
        // Readable by nobody: reads get NoAuth, exists still answers.
        Step::Create(
            "/d/hidden",
            Persistent,
            vec![Acl {
                perms: perms::ALL & !perms::READ,
                id: Id {
                    scheme: Some("world".into()),
                    id: Some("anyone".into()),
                },
            }],
        ),
        Step::Create("/d/hidden/x", Persistent, open.clone()),
        Step::Set("/d", b"one", -1),
        Step::Set("/d", b"two", 0),
        Step::Set("/d", b"three", 1),
        Step::Set("/d/ro", b"x", -1),
        Step::Set("/d/missing", b"x", -1),
        Step::Delete("/d", -1),
        Step::Delete("/d/c/x", 7),
        Step::Delete("/d/c/x", 0),
        Step::Delete("/d/c/x", -1),
        Step::Delete("/d/missing/x", -1),
        Step::Delete("/d/ro", -1),
        Step::Create("/d/s-", PersistentSequential, open.clone()),
        Step::Delete("/zookeeper", -1),
        Step::Delete("/zookeeper/quota", -1),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_answer_as_zookeeper_answers_them() {
    run(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_extended_types_ttl_nodes_are_unimplemented_as_in_zookeeper() {
    run(false).await;
}

/// The script on a real server with `extendedTypesEnabled` as given, and on our tree.
async fn run(extended_types: bool) {
    let server = TestServer::start_with(ServerOptions {
        extended_types,
        ..ServerOptions::default()
    })
    .expect("server");
    let zk = Client::connect(&server.connect_string())
        .await
        .expect("connect");
    let mut tree = DataTree::new(extended_types);
    let mut zxid = 1_000;
    let mut touched: BTreeSet<String> = ["/", "/zookeeper", "/zookeeper/quota"]
        .map(String::from)
        .into();
    for (i, step) in script().iter().enumerate() {
        zxid += 1;
        let (real, ours) = match step {
            Step::Create(path, mode, acl) => {
                let ttl = matches!(mode, CreateMode::PersistentWithTtl);
                let options = CreateOptions {
                    mode: *mode,
                    acl: acl.clone(),
                    ttl: ttl.then(|| std::time::Duration::from_secs(60)),
                };
                let real = zk.create(path, b"", &options).await.map(|(p, _)| p);
                let req = Create {
                    path,
                    data: b"",
                    acl,
                    mode: *mode,
                    ttl: if ttl { 60_000 } else { -1 },
                    session: 0x42,
                };
                (real, prep::create(&tree, &req, &World))
            }
            Step::Delete(path, version) => {
                let v = (*version >= 0).then_some(*version);
                let real = zk.delete(path, v).await.map(|()| path.to_string());
                (real, prep::delete(&tree, path, *version, &World))
            }
            Step::Set(path, data, version) => {
                let v = (*version >= 0).then_some(*version);
                let real = zk.set_data(path, data, v).await.map(|_| path.to_string());
                (real, prep::set_data(&tree, path, data, *version, &World))
            }
        };
        match (real, ours) {
            (Ok(real_path), Ok(txn)) => {
                assert!(tree.apply(&txn, zxid, 0), "step {i} {step:?}: not applied");
                assert_eq!(real_path, txn_path(&txn), "step {i} {step:?}");
                touched.insert(split(&real_path).0.to_string());
                touched.insert(real_path);
            }
            (Err(e), Err(ours)) => {
                assert_eq!(code(&e), ours.value(), "step {i} {step:?}: {e} / {ours:?}")
            }
            (real, ours) => panic!("step {i} {step:?}: ZooKeeper {real:?}, ours {ours:?}"),
        }
        for path in &touched {
            let real = zk.exists(path).await.expect("exists");
            let ours = tree.get(path);
            assert_eq!(
                real.as_ref().map(shape),
                tree.stat(path).as_ref().map(shape),
                "after step {i} {step:?}: the Stat of {path}"
            );
            if ours.is_some() {
                assert_eq!(
                    code_of(zk.get_data(path).await).map(|(d, s)| (d, shape(&s))),
                    value_of(reads::get_data(&tree, path, &World)).map(|(d, s)| (d, shape(&s))),
                    "after step {i}: getData {path}"
                );
                // ZooKeeper lists children in its hash set's order, ours sorted: compared as
                // sets (a known difference, see the crate docs).
                let sorted = |(mut c, s): (Vec<String>, Stat)| {
                    c.sort();
                    (c, shape(&s))
                };
                assert_eq!(
                    code_of(zk.get_children2(path).await).map(sorted),
                    value_of(reads::get_children(&tree, path, &World)).map(sorted),
                    "after step {i}: getChildren2 {path}"
                );
                assert_eq!(
                    code_of(zk.get_all_children_number(path).await),
                    value_of(reads::get_all_children_number(&tree, path, &World)),
                    "after step {i}: getAllChildrenNumber {path}"
                );
                assert_eq!(
                    code_of(zk.get_acl(path).await).map(|(a, s)| (a, shape(&s))),
                    value_of(reads::get_acl(&tree, path, &World)).map(|(a, s)| (a, shape(&s))),
                    "after step {i}: getACL {path}"
                );
            }
        }
        assert_eq!(
            zk.get_ephemerals("/").await.expect("ephemerals"),
            reads::get_ephemerals(&tree, 0x42, "/"),
            "after step {i}: getEphemerals"
        );
    }
    // Multis: later operations see earlier ones; a failure is the first failing operation's
    // index and code, and changes nothing on either.
    for (i, ops) in multis().iter().enumerate() {
        zxid += 1;
        let real = zk
            .multi(&ops.iter().map(client_op).collect::<Vec<_>>())
            .await;
        let ours_ops: Vec<MultiOp<'_>> = ops.iter().map(server_op).collect();
        let ours = multi::multi(&mut tree, &ours_ops, &World, zxid, 0);
        match (real, ours) {
            (Ok(_), Ok(done)) => {
                for d in &done {
                    if let Done::Applied(txn, _) = d {
                        touched.insert(split(&txn_path(txn)).0.to_string());
                        touched.insert(txn_path(txn));
                    }
                }
            }
            (Err(Error::MultiFailed { index, error }), Err(failed)) => {
                let codes = failed.codes;
                let first = codes.iter().position(|c| *c != 0).expect("a failing code");
                assert_eq!((index, code(&error)), (first, codes[first]), "multi {i}");
                assert!(
                    codes[first + 1..].iter().all(|c| *c == -2),
                    "multi {i}: {codes:?}"
                );
            }
            (real, ours) => panic!("multi {i}: ZooKeeper {real:?}, ours {ours:?}"),
        }
        for path in &touched {
            let real = zk.exists(path).await.expect("exists");
            assert_eq!(
                real.as_ref().map(shape),
                tree.stat(path).as_ref().map(shape),
                "after multi {i}: the Stat of {path}"
            );
        }
    }
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_passwords_are_zookeepers() {
    let server = TestServer::start().expect("server");
    for _ in 0..3 {
        let zk = Client::connect(&server.connect_string())
            .await
            .expect("connect");
        let id = zk.session_id();
        // A standalone server's ids carry 1 in their top byte (ZooKeeperServer's
        // createSessionTrackerServerId), the start time in the middle, a count at the bottom.
        assert_eq!(id >> 56, 1, "0x{id:x}");
        assert_eq!(
            zk.session_password(),
            zk_server::sessions::password(id),
            "session 0x{id:x}"
        );
        zk.close().await;
    }
}
