//! The core logs one transaction per zxid, ahead of its answers, and its log is enough: a
//! seeded random workload (every create mode, versioned writes, ACL changes, multis that pass
//! and fail, sessions closed and expired, containers and TTL nodes reaped) is replayed from
//! the logged transactions alone (`zk_server::restore`, as a recovery replays ZooKeeper's
//! log) over an empty tree, and gives the core's tree: every node, its Stat, ACL and children
//! in order, and the digest. Without I/O: frames in, a fake clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use jute::Encode;
use jute_schemas::data::{Id, ACL as Acl};
use jute_schemas::proto::{
    CheckVersionRequest, ConnectRequest, CreateRequest, CreateTTLRequest, DeleteRequest,
    MultiHeader, RequestHeader, SetACLRequest, SetDataRequest,
};
use jute_schemas::protocol::{MultiOp, MultiRequest, OpCode, RequestBody};
use zk_server::core::{Config, Core, Out};
use zk_server::logged::Logged;
use zk_server::restore::Restored;
use zk_server::tree::DataTree;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn open() -> Vec<Acl> {
    acl(31)
}

fn acl(perms: i32) -> Vec<Acl> {
    vec![Acl {
        perms,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }]
}

fn frame(xid: i32, op: OpCode, body: &impl Encode) -> Vec<u8> {
    let mut out = Vec::new();
    RequestHeader {
        xid,
        r#type: op.value(),
    }
    .encode(&mut out);
    body.encode(&mut out);
    out
}

fn hello() -> Vec<u8> {
    let mut out = Vec::new();
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 4_000,
        session_id: 0,
        passwd: Some(vec![0; 16]),
        read_only: Some(false),
    }
    .encode(&mut out);
    out
}

const PATHS: [&str; 8] = ["/a", "/b", "/a/x", "/a/y", "/b/x", "/c", "/c/k", "/a/x/z"];

fn create_op(rng: &mut Rng) -> (OpCode, RequestBody) {
    let path = PATHS[rng.below(PATHS.len() as u64) as usize].to_string();
    let (op, flags) = match rng.below(7) {
        0 => (OpCode::Create2, 1),         // ephemeral
        1 => (OpCode::Create, 2),          // sequential
        2 => (OpCode::CreateContainer, 4), // container
        3 => (OpCode::CreateTtl, 5),       // TTL
        _ => (OpCode::Create2, 0),
    };
    let data = Some(vec![b'd'; rng.below(4) as usize]);
    let body = if op == OpCode::CreateTtl {
        RequestBody::CreateTtl(CreateTTLRequest {
            path: Some(path),
            data,
            acl: Some(open()),
            flags,
            ttl: 1 + rng.below(3_000) as i64,
        })
    } else {
        RequestBody::Create(CreateRequest {
            path: Some(path),
            data,
            acl: Some(if rng.below(6) == 0 {
                acl(1 | 4 | 8 | 16)
            } else {
                open()
            }),
            flags,
        })
    };
    (op, body)
}

fn write_op(rng: &mut Rng) -> (OpCode, RequestBody) {
    let path = Some(PATHS[rng.below(PATHS.len() as u64) as usize].to_string());
    let version = if rng.below(3) == 0 {
        rng.below(3) as i32
    } else {
        -1
    };
    match rng.below(5) {
        0 | 1 => create_op(rng),
        2 => (
            OpCode::Delete,
            RequestBody::Delete(DeleteRequest { path, version }),
        ),
        3 => (
            OpCode::SetData,
            RequestBody::SetData(SetDataRequest {
                path,
                data: Some(vec![b's'; rng.below(5) as usize]),
                version,
            }),
        ),
        _ => (
            OpCode::Check,
            RequestBody::Check(CheckVersionRequest { path, version }),
        ),
    }
}

#[test]
fn a_random_workload_replayed_from_its_log_gives_the_same_tree() {
    let seed = std::env::var("ZK_LOG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_202_u64);
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let config = Config {
        tick_ms: 100,
        extended_types: true,
        ..Config::default()
    };
    let wall = 1_800_000_000_000;
    let mut core = Core::new(config, 0, wall);
    let mut now = 0u64;
    let mut log: Vec<Logged> = Vec::new();
    let keep = |outs: Vec<Out>, log: &mut Vec<Logged>| {
        for o in outs {
            if let Out::Log(entry) = o {
                log.push(*entry);
            }
        }
    };
    let mut conns: Vec<u64> = Vec::new();
    let mut next_conn = 0u64;
    for step in 0..3_000 {
        now += 1 + rng.below(20);
        keep(core.tick(now), &mut log);
        if conns.len() < 3 || rng.below(60) == 0 {
            next_conn += 1;
            core.connected(next_conn, None);
            keep(core.frame(next_conn, &hello(), now), &mut log);
            conns.push(next_conn);
        }
        let i = rng.below(conns.len() as u64) as usize;
        let conn = conns[i];
        let xid = step + 1;
        let outs = match rng.below(40) {
            // A session closed by its client, or left to expire (its connection gone silent).
            0 => {
                conns.remove(i);
                core.frame(
                    conn,
                    &frame(xid, OpCode::CloseSession, &RequestBody::None),
                    now,
                )
            }
            1 => {
                conns.remove(i);
                core.disconnected(conn);
                Vec::new()
            }
            2 => core.reap(now),
            3..=8 => {
                let ops: Vec<MultiOp> = (0..1 + rng.below(3))
                    .map(|_| {
                        let (op, body) = write_op(&mut rng);
                        MultiOp {
                            header: MultiHeader {
                                r#type: op.value(),
                                done: false,
                                err: -1,
                            },
                            body,
                        }
                    })
                    .collect();
                let multi = MultiRequest {
                    ops,
                    end: MultiHeader {
                        r#type: -1,
                        done: true,
                        err: -1,
                    },
                };
                core.frame(conn, &frame(xid, OpCode::Multi, &multi), now)
            }
            9 => {
                let path = Some(PATHS[rng.below(PATHS.len() as u64) as usize].to_string());
                let body = SetACLRequest {
                    path,
                    acl: Some(if rng.below(2) == 0 { open() } else { acl(1) }),
                    version: -1,
                };
                core.frame(conn, &frame(xid, OpCode::SetAcl, &body), now)
            }
            _ => {
                let (op, body) = write_op(&mut rng);
                let op = if op == OpCode::Check {
                    OpCode::SetData
                } else {
                    op
                };
                let body = match body {
                    RequestBody::Check(c) => RequestBody::SetData(SetDataRequest {
                        path: c.path,
                        data: None,
                        version: c.version,
                    }),
                    b => b,
                };
                core.frame(conn, &frame(xid, op, &body), now)
            }
        };
        keep(outs, &mut log);
    }
    // Everything expires in the end: the closes are logged too.
    now += 60_000;
    keep(core.tick(now), &mut log);
    keep(core.reap(now), &mut log);

    // One entry per zxid, in order.
    let zxids: Vec<i64> = log.iter().map(|e| e.header.zxid).collect();
    assert_eq!(zxids, (1..=core.last_zxid()).collect::<Vec<_>>());
    let kinds = |ty: i32| log.iter().filter(|e| e.header.r#type == ty).count();
    for (ty, what) in [
        (-10, "createSession"),
        (-11, "closeSession"),
        (14, "multi"),
        (-1, "error"),
        (20, "deleteContainer"),
        (21, "createTTL"),
        (19, "createContainer"),
        (7, "setACL"),
    ] {
        assert!(kinds(ty) > 0, "the workload logged no {what}");
    }

    let mut replayed = Restored {
        tree: DataTree::new(true),
        sessions: Default::default(),
        zxid: 0,
        applied: 0,
    };
    for e in &log {
        replayed.apply(&e.header, &e.body);
    }
    let seen = |t: &DataTree| -> Vec<_> {
        t.snapshot()
            .into_iter()
            .map(|(p, n)| {
                (
                    p,
                    n.data.clone(),
                    n.acl.to_vec(),
                    n.stat.clone(),
                    n.listed_children(),
                )
            })
            .collect()
    };
    assert!(
        seen(&replayed.tree) == seen(core.tree()),
        "seed {seed}: the replayed tree differs"
    );
    assert_eq!(replayed.tree.digest(), core.tree().digest());
    assert_eq!(replayed.zxid, core.last_zxid());
    assert!(replayed.sessions.is_empty(), "{:?}", replayed.sessions);
    assert!(core.tree().len() > 4, "the workload left too small a tree");
}
