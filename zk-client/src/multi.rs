//! multi (atomic writes) and multiRead (independent reads in one round trip).

use std::future::Future;

use jute_schemas::proto::{
    CheckVersionRequest, DeleteRequest, GetChildrenRequest, GetDataRequest, MultiHeader,
    SetDataRequest,
};
use jute_schemas::protocol::{MultiOp as WireOp, MultiRequest, OpCode, RequestBody, ResponseBody};

use crate::client::{create_request, unexpected, Client};
use crate::error::Error;
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

fn wire(op: OpCode, body: RequestBody) -> WireOp {
    WireOp {
        header: MultiHeader {
            r#type: op.value(),
            done: false,
            err: -1,
        },
        body,
    }
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
    fn multi_body(&self, ops: &[Op]) -> Result<MultiRequest, Error> {
        let mut out = MultiRequest::default();
        for (i, op) in ops.iter().enumerate() {
            let at = |e: Error| Error::MultiFailed {
                index: i,
                error: Box::new(e),
            };
            out.ops.push(match op {
                Op::Create {
                    path,
                    data,
                    options,
                } => {
                    let (op, body) = create_request(self, path, data, options).map_err(at)?;
                    wire(op, body)
                }
                Op::Delete { path, version } => wire(
                    OpCode::Delete,
                    RequestBody::Delete(DeleteRequest {
                        path: Some(self.server_path(path, false).map_err(at)?),
                        version: version.unwrap_or(-1),
                    }),
                ),
                Op::SetData {
                    path,
                    data,
                    version,
                } => wire(
                    OpCode::SetData,
                    RequestBody::SetData(SetDataRequest {
                        path: Some(self.server_path(path, false).map_err(at)?),
                        data: Some(data.clone()),
                        version: version.unwrap_or(-1),
                    }),
                ),
                Op::Check { path, version } => wire(
                    OpCode::Check,
                    RequestBody::Check(CheckVersionRequest {
                        path: Some(self.server_path(path, false).map_err(at)?),
                        version: *version,
                    }),
                ),
            });
        }
        Ok(out)
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
                    .map(|body| self.request_raw(OpCode::Multi, RequestBody::Multi(body))),
            )
        };
        let this = self.clone();
        let count = ops.len();
        async move {
            let Some(sent) = sent else {
                return Ok(Vec::new());
            };
            let ResponseBody::Multi(resp) = sent?.await? else {
                return Err(Error::protocol("multi reply without results"));
            };
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
            resp.results
                .into_iter()
                .map(|r| match r.body {
                    ResponseBody::Create(c) => Ok(OpResult::Create {
                        path: this.client_path(c.path),
                        stat: None,
                    }),
                    ResponseBody::Create2(c) => Ok(OpResult::Create {
                        path: this.client_path(c.path),
                        stat: Some(c.stat),
                    }),
                    ResponseBody::SetData(s) => Ok(OpResult::SetData { stat: s.stat }),
                    ResponseBody::None if r.header.r#type == OpCode::Delete.value() => {
                        Ok(OpResult::Delete)
                    }
                    ResponseBody::None if r.header.r#type == OpCode::Check.value() => {
                        Ok(OpResult::Check)
                    }
                    other => Err(unexpected("multi", &other)),
                })
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
                    ReadOp::GetData(p) => wire(
                        OpCode::GetData,
                        RequestBody::GetData(GetDataRequest {
                            path: Some(self.server_path(p, false).map_err(at)?),
                            watch: false,
                        }),
                    ),
                    ReadOp::GetChildren(p) => wire(
                        OpCode::GetChildren,
                        RequestBody::GetChildren(GetChildrenRequest {
                            path: Some(self.server_path(p, false).map_err(at)?),
                            watch: false,
                        }),
                    ),
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
            Some(body.map(|b| self.request_raw(OpCode::MultiRead, RequestBody::Multi(b))))
        };
        let count = ops.len();
        async move {
            let Some(sent) = sent else {
                return Ok(Vec::new());
            };
            let ResponseBody::Multi(resp) = sent?.await? else {
                return Err(Error::protocol("multiRead reply without results"));
            };
            check_count("multiRead", count, resp.results.len())?;
            Ok(resp
                .results
                .into_iter()
                .map(|r| match r.body {
                    ResponseBody::GetData(d) => Ok(ReadResult::Data {
                        data: d.data.unwrap_or_default(),
                        stat: d.stat,
                    }),
                    ResponseBody::GetChildren(c) => {
                        Ok(ReadResult::Children(c.children.unwrap_or_default()))
                    }
                    ResponseBody::Error(e) => {
                        Err(Error::from_code(e.err).unwrap_or(Error::Server(e.err)))
                    }
                    other => Err(unexpected("multiRead", &other)),
                })
                .collect())
        }
    }
}
