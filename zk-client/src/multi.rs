//! multi (atomic writes) and multiRead (independent reads in one round trip).

use std::future::Future;

use jute_schemas::proto::{
    CheckVersionRequest, DeleteRequest, GetChildrenRequest, GetDataRequest, MultiHeader,
    SetDataRequest,
};
use jute_schemas::protocol::ops::{self, Operation};
use jute_schemas::protocol::{MultiOp as WireOp, MultiRequest, ResponseBody};

use crate::client::{create_request, reply_of, Client};
use crate::error::Error;
use crate::session::OutRequest;
use crate::types::{CreateOptions, Stat};

/// One operation of a [`Client::multi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create a node.
    Create {
        /// Path (for sequential modes, the prefix).
        path: String,
        /// Data.
        data: Vec<u8>,
        /// Mode, ACL, TTL.
        options: CreateOptions,
    },
    /// Delete a node (`version`: `None` for any).
    Delete {
        /// Path.
        path: String,
        /// Expected version.
        version: Option<i32>,
    },
    /// Set a node's data (`version`: `None` for any).
    SetData {
        /// Path.
        path: String,
        /// New data.
        data: Vec<u8>,
        /// Expected version.
        version: Option<i32>,
    },
    /// Fail the multi unless the node has this version.
    Check {
        /// Path.
        path: String,
        /// Expected version.
        version: i32,
    },
}

impl Op {
    /// Create `path` with `data` as a persistent node with the open ACL (other modes and ACLs:
    /// [`Op::create_with`]).
    pub fn create(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Op {
        Op::create_with(path, data, CreateOptions::default())
    }

    /// Create `path` with `data` and `options` (mode, ACL, TTL).
    pub fn create_with(
        path: impl Into<String>,
        data: impl Into<Vec<u8>>,
        options: CreateOptions,
    ) -> Op {
        Op::Create {
            path: path.into(),
            data: data.into(),
            options,
        }
    }

    /// Delete `path` at any version (one version only: [`Op::version`]).
    pub fn delete(path: impl Into<String>) -> Op {
        Op::Delete {
            path: path.into(),
            version: None,
        }
    }

    /// Set `path`'s data at any version (one version only: [`Op::version`]).
    pub fn set_data(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Op {
        Op::SetData {
            path: path.into(),
            data: data.into(),
            version: None,
        }
    }

    /// Fail the whole multi unless `path` is at `version`.
    pub fn check(path: impl Into<String>, version: i32) -> Op {
        Op::Check {
            path: path.into(),
            version,
        }
    }

    /// The same operation applied only at `version` (a delete, a set or a check; a create
    /// has no version and is returned as it is).
    ///
    /// ```
    /// use zk_client::Op;
    /// let ops = [Op::set_data("/config", "v2").version(4), Op::delete("/stale")];
    /// assert_eq!(
    ///     ops[0],
    ///     Op::SetData { path: "/config".into(), data: b"v2".to_vec(), version: Some(4) }
    /// );
    /// ```
    #[must_use]
    pub fn version(self, version: i32) -> Op {
        match self {
            Op::Delete { path, .. } => Op::Delete {
                path,
                version: Some(version),
            },
            Op::SetData { path, data, .. } => Op::SetData {
                path,
                data,
                version: Some(version),
            },
            Op::Check { path, .. } => Op::Check { path, version },
            create @ Op::Create { .. } => create,
        }
    }
}

impl ReadOp {
    /// Read `path`'s data and Stat.
    pub fn get_data(path: impl Into<String>) -> ReadOp {
        ReadOp::GetData(path.into())
    }

    /// List `path`'s children.
    pub fn get_children(path: impl Into<String>) -> ReadOp {
        ReadOp::GetChildren(path.into())
    }
}

/// The result of one operation of a successful multi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpResult {
    /// The created path, and its Stat (`None` from servers before 3.8.2, which answer create2
    /// inside a multi without one).
    Create {
        /// The created path.
        path: String,
        /// The new node's Stat, when the server sends it.
        stat: Option<Stat>,
    },
    /// Deleted.
    Delete,
    /// The node's new Stat.
    SetData {
        /// The Stat after the change.
        stat: Stat,
    },
    /// The version matched.
    Check,
}

/// One read of a [`Client::multi_read`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOp {
    /// Read a node's data.
    GetData(String),
    /// List a node's children.
    GetChildren(String),
}

/// The result of one read of a multiRead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// Data and Stat.
    Data {
        /// The data (null reads as empty).
        data: Vec<u8>,
        /// The Stat.
        stat: Stat,
    },
    /// Child names.
    Children(Vec<String>),
}

/// An operation of a multi, from its request as a whole request would carry it.
fn wire(req: OutRequest) -> WireOp {
    WireOp {
        header: MultiHeader {
            r#type: req.op.value(),
            done: false,
            err: -1,
        },
        body: req.body,
    }
}

/// How one result of a multi reads: by the operation it answers.
type ReadAs<T> = fn(&Client, ResponseBody) -> Result<T, Error>;

fn created(c: &Client, body: ResponseBody) -> Result<OpResult, Error> {
    // Creates are sent as create2 (or its container and TTL forms); inside a multi, ZooKeeper
    // 3.8 answers them as create, with the path only.
    match ops::Create2::reply(body) {
        Ok(r) => Ok(OpResult::Create {
            path: c.client_path(r.path),
            stat: Some(r.stat),
        }),
        Err(body) => reply_of::<ops::Create>(body).map(|r| OpResult::Create {
            path: c.client_path(r.path),
            stat: None,
        }),
    }
}

fn deleted(_: &Client, body: ResponseBody) -> Result<OpResult, Error> {
    reply_of::<ops::Delete>(body).map(|()| OpResult::Delete)
}

fn data_set(_: &Client, body: ResponseBody) -> Result<OpResult, Error> {
    reply_of::<ops::SetData>(body).map(|r| OpResult::SetData { stat: r.stat })
}

fn checked(_: &Client, body: ResponseBody) -> Result<OpResult, Error> {
    reply_of::<ops::Check>(body).map(|()| OpResult::Check)
}

fn data_read(_: &Client, body: ResponseBody) -> Result<ReadResult, Error> {
    reply_of::<ops::GetData>(body).map(|d| ReadResult::Data {
        data: d.data.unwrap_or_default(),
        stat: d.stat,
    })
}

fn children_read(_: &Client, body: ResponseBody) -> Result<ReadResult, Error> {
    reply_of::<ops::GetChildren>(body).map(|c| ReadResult::Children(c.children.unwrap_or_default()))
}

/// The server answers every operation of a multi with exactly one result (an error result for
/// each one that did not run); any other count means the reply cannot be matched to the ops.
fn check_count(op: &str, ops: usize, results: usize) -> Result<(), Error> {
    if ops == results {
        Ok(())
    } else {
        Err(Error::protocol(format!(
            "{op} of {ops} operations answered with {results} results"
        )))
    }
}

impl Client {
    /// The multi's request, and how each of its results reads.
    #[allow(clippy::type_complexity)]
    fn multi_body(&self, ops: &[Op]) -> Result<(MultiRequest, Vec<ReadAs<OpResult>>), Error> {
        let mut out = MultiRequest::default();
        let mut reads: Vec<ReadAs<OpResult>> = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let at = |e: Error| Error::MultiFailed {
                index: i,
                error: Box::new(e),
            };
            let path = |p: &str| self.server_path(p, false).map(Some).map_err(at);
            let (req, read): (OutRequest, ReadAs<OpResult>) = match op {
                Op::Create {
                    path,
                    data,
                    options,
                } => (
                    create_request(self, path, data, options).map_err(at)?,
                    created,
                ),
                Op::Delete { path: p, version } => (
                    OutRequest::of::<ops::Delete>(DeleteRequest {
                        path: path(p)?,
                        version: version.unwrap_or(-1),
                    }),
                    deleted,
                ),
                Op::SetData {
                    path: p,
                    data,
                    version,
                } => (
                    OutRequest::of::<ops::SetData>(SetDataRequest {
                        path: path(p)?,
                        data: Some(data.clone()),
                        version: version.unwrap_or(-1),
                    }),
                    data_set,
                ),
                Op::Check { path: p, version } => (
                    OutRequest::of::<ops::Check>(CheckVersionRequest {
                        path: path(p)?,
                        version: *version,
                    }),
                    checked,
                ),
            };
            out.ops.push(wire(req));
            reads.push(read);
        }
        Ok((out, reads))
    }

    /// Runs `ops` atomically: all take effect or none does. On failure the error says which
    /// operation failed and why ([`Error::MultiFailed`]). An empty list is answered locally.
    pub fn multi(
        &self,
        ops: &[Op],
    ) -> impl Future<Output = Result<Vec<OpResult>, Error>> + Send + 'static {
        let sent = if ops.is_empty() {
            None
        } else {
            Some(
                self.multi_body(ops)
                    .map(|(body, reads)| (self.op::<ops::Multi>(body), reads)),
            )
        };
        let this = self.clone();
        let count = ops.len();
        async move {
            let Some(sent) = sent else {
                return Ok(Vec::new());
            };
            let (sent, reads) = sent?;
            let resp = sent.await?;
            check_count("multi", count, resp.results.len())?;
            if let Some((index, r)) = resp
                .results
                .iter()
                .enumerate()
                .find(|(_, r)| r.header.err != 0)
            {
                let error = Error::from_code(r.header.err).unwrap_or(Error::Server(r.header.err));
                return Err(Error::MultiFailed {
                    index,
                    error: Box::new(error),
                });
            }
            reads
                .into_iter()
                .zip(resp.results)
                .map(|(read, r)| read(&this, r.body))
                .collect()
        }
    }

    /// Runs independent reads in one round trip; each succeeds or fails on its own.
    pub fn multi_read(
        &self,
        ops: &[ReadOp],
    ) -> impl Future<Output = Result<Vec<Result<ReadResult, Error>>, Error>> + Send + 'static {
        let body: Result<MultiRequest, Error> = ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let at = |e: Error| Error::MultiFailed {
                    index: i,
                    error: Box::new(e),
                };
                Ok(match op {
                    ReadOp::GetData(p) => wire(OutRequest::of::<ops::GetData>(GetDataRequest {
                        path: Some(self.server_path(p, false).map_err(at)?),
                        watch: false,
                    })),
                    ReadOp::GetChildren(p) => {
                        wire(OutRequest::of::<ops::GetChildren>(GetChildrenRequest {
                            path: Some(self.server_path(p, false).map_err(at)?),
                            watch: false,
                        }))
                    }
                })
            })
            .collect::<Result<Vec<_>, Error>>()
            .map(|ops| MultiRequest {
                ops,
                ..MultiRequest::default()
            });
        let sent = if ops.is_empty() {
            None
        } else {
            Some(body.map(|b| self.op::<ops::MultiRead>(b)))
        };
        let count = ops.len();
        let reads: Vec<ReadAs<ReadResult>> = ops
            .iter()
            .map(|op| match op {
                ReadOp::GetData(_) => data_read as ReadAs<ReadResult>,
                ReadOp::GetChildren(_) => children_read,
            })
            .collect();
        let this = self.clone();
        async move {
            let Some(sent) = sent else {
                return Ok(Vec::new());
            };
            let resp = sent?.await?;
            check_count("multiRead", count, resp.results.len())?;
            Ok(reads
                .into_iter()
                .zip(resp.results)
                .map(|(read, r)| match r.body {
                    // A read that failed is answered with its error.
                    ResponseBody::Error(e) => {
                        Err(Error::from_code(e.err).unwrap_or(Error::Server(e.err)))
                    }
                    body => read(&this, body),
                })
                .collect())
        }
    }
}
