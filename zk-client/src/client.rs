//! The client handle and its operations.
//!
//! Every operation validates its arguments and enqueues its request when it is called, so the
//! order of calls is the order on the wire; the returned future (`Send + 'static`) only waits
//! for the reply. When the request queue is full, the future waits for room first.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jute_schemas::proto::{
    CreateRequest, CreateTTLRequest, DeleteRequest, ExistsRequest, GetACLRequest,
    GetAllChildrenNumberRequest, GetChildren2Request, GetChildrenRequest, GetDataRequest,
    GetEphemeralsRequest, ReconfigRequest, SetACLRequest, SetDataRequest, SyncRequest,
};
use jute_schemas::protocol::ops::{self, Operation};
use jute_schemas::protocol::ResponseBody;
use tokio::sync::watch;

use crate::acl::Acl;
use crate::calls::Calls;
use crate::error::Error;
use crate::path::{validate_path, Chroot};
use crate::session::OutRequest;
use crate::states::SessionStates;
use crate::types::{ClientInfo, CreateMode, CreateOptions, SessionState, Stat};
use crate::watch::WatchSink;
use crate::watcher::Unwatcher;

/// The node that holds the ensemble configuration (never under the chroot).
pub const CONFIG_NODE: &str = "/zookeeper/config";

/// The largest TTL the server accepts (`EphemeralType.TTL.maxValue()`), in milliseconds.
pub const MAX_TTL_MS: i64 = 0xFF_FFFF_FFFF;

/// A ZooKeeper session. Cheap to clone; all clones share the session.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use zk_client::{Client, CreateOptions, CreateMode};
/// let zk = Client::connect("127.0.0.1:2181").await?;
/// let (path, _stat) = zk.create("/jobs/job-", b"payload", &CreateOptions::new(CreateMode::PersistentSequential)).await?;
/// let (data, stat) = zk.get_data(&path).await?;
/// zk.set_data(&path, b"done", Some(stat.version)).await?;
/// zk.close().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// How long a call may wait for its reply (`None`: no limit).
    pub(crate) deadline: Option<Duration>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) shared: Arc<Calls>,
    pub(crate) state: watch::Receiver<SessionState>,
    pub(crate) chroot: Chroot,
}

impl Drop for Inner {
    /// The last handle is gone: the task ends the session's connection.
    fn drop(&mut self) {
        self.shared.leave();
    }
}

/// The reply of `sent` as operation `O`'s record: the one place a reply of another kind
/// (which the session's decoding by op code rules out) becomes a protocol error.
pub(crate) async fn typed<O: Operation>(
    sent: impl Future<Output = Result<ResponseBody, Error>> + Send + 'static,
) -> Result<O::Reply, Error> {
    reply_of::<O>(sent.await?)
}

/// `body` as operation `O`'s reply record; a body of another kind is a protocol error.
pub(crate) fn reply_of<O: Operation>(body: ResponseBody) -> Result<O::Reply, Error> {
    O::reply(body).map_err(|other| {
        Error::protocol(format!("unexpected reply to {}: {other:?}", O::OP.name()))
    })
}

fn version(v: Option<i32>) -> i32 {
    v.unwrap_or(-1)
}

impl Client {
    /// Connects with the default settings (see [`crate::ClientBuilder`]).
    pub async fn connect(connect_string: &str) -> Result<Client, Error> {
        crate::ClientBuilder::new(connect_string).connect().await
    }

    /// The session's state now.
    pub fn state(&self) -> SessionState {
        *self.inner.state.borrow()
    }

    /// The session's states as a stream: the current one, then each change; the session's
    /// end is its last item, as an error (see [`SessionStates`]).
    pub fn states(&self) -> SessionStates {
        SessionStates::new(self.inner.state.clone())
    }

    /// The session id (0 before the first connection).
    pub fn session_id(&self) -> i64 {
        self.inner.shared.lock().session.session_id()
    }

    /// The session password (with the id, what another connection needs to take the session
    /// over; the test kit uses it to expire a session on purpose).
    pub fn session_password(&self) -> Vec<u8> {
        self.inner.shared.lock().session.password().to_vec()
    }

    /// The address of the server the client is connected to now (`None` while disconnected).
    pub fn connected_server(&self) -> Option<std::net::SocketAddr> {
        self.inner.shared.lock().session.server()
    }

    /// The servers this client may use: the connect string's, or the last list given to
    /// [`Client::update_server_list`] (or found by [`Client::track_ensemble`]), in the order
    /// the client tries them.
    pub fn servers(&self) -> Vec<(String, u16)> {
        self.inner.shared.lock().session.hosts().to_vec()
    }

    /// The chroot of the connect string.
    pub fn chroot(&self) -> Option<&str> {
        self.inner.chroot.as_str()
    }

    pub(crate) fn server_path(&self, path: &str, sequential: bool) -> Result<String, Error> {
        validate_path(path, sequential)?;
        Ok(self.inner.chroot.to_server(path))
    }

    pub(crate) fn client_path(&self, server_path: Option<String>) -> String {
        self.inner
            .chroot
            .to_client(&server_path.unwrap_or_default())
    }

    /// Queues `req` now; the future waits for its reply, at most until the deadline.
    pub(crate) fn submit(
        &self,
        req: OutRequest,
    ) -> impl Future<Output = Result<ResponseBody, Error>> + Send + 'static {
        futures_util::FutureExt::map(self.traced(req, None), |(result, _)| result)
    }

    /// Queues `req`, which sets a watch whose events go to `sink`; the future yields the reply
    /// and the watch (when the request was written: dropping it removes the watch).
    pub(crate) fn submit_watch(
        &self,
        req: OutRequest,
        sink: WatchSink,
    ) -> impl Future<Output = (Result<ResponseBody, Error>, Option<Unwatcher>)> + Send + 'static
    {
        self.traced(req, Some(sink))
    }

    /// A call with its span and metrics.
    fn traced(
        &self,
        req: OutRequest,
        watch: Option<WatchSink>,
    ) -> impl Future<Output = (Result<ResponseBody, Error>, Option<Unwatcher>)> + Send + 'static
    {
        let op = req.op;
        // The call's span; its fields are computed only when debug is enabled.
        let span = tracing::debug_span!(
            "zk_call",
            op = op.name(),
            path = req.body.path().unwrap_or(""),
            server = self
                .connected_server()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            xid = tracing::field::Empty,
            request_bytes = tracing::field::Empty,
            reply_bytes = tracing::field::Empty,
            outcome = tracing::field::Empty,
            latency_us = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let mut answer = self.inner.shared.submit(req, watch, self.deadline);
        async move {
            let result = (&mut answer).await;
            let took = started.elapsed();
            let outcome = crate::telemetry::request_done(op, result.as_ref().map(|_| ()), took);
            if !span.is_disabled() {
                let wire = answer.wire();
                span.record("xid", wire.xid);
                span.record("request_bytes", wire.request_bytes);
                span.record("reply_bytes", wire.reply_bytes);
                span.record("outcome", outcome);
                span.record(
                    "latency_us",
                    u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
                );
                span.in_scope(|| tracing::debug!("answered"));
            }
            let watch = answer
                .take_watch()
                .map(|(id, calls)| Unwatcher::new(id, calls));
            (result, watch)
        }
    }

    /// A handle on the same session whose calls wait at most `deadline` for their reply
    /// (`None`: as long as it takes). The default comes from
    /// [`crate::ClientBuilder::request_timeout`].
    ///
    /// A call that runs out of time fails with [`Error::Timeout`]: its outcome is unknown (the
    /// request may already be on its way or applied). The driver notices deadlines (one
    /// timer for all calls, during a connection's handshake too).
    #[must_use]
    pub fn with_timeout(&self, deadline: Option<Duration>) -> Client {
        Client {
            inner: self.inner.clone(),
            deadline,
        }
    }

    /// Queues operation `O` with `req` now; the future reads the reply as `O`'s record (a
    /// reply of another kind is a protocol error).
    pub(crate) fn op<O: Operation>(
        &self,
        req: O::Request,
    ) -> impl Future<Output = Result<O::Reply, Error>> + Send + 'static
    where
        O::Reply: Send + 'static,
    {
        typed::<O>(self.submit(OutRequest::of::<O>(req)))
    }

    /// The common shape of an operation on one path: check and translate the path, queue
    /// operation `O` now (`build` makes its request from the server path), and turn its reply
    /// into the result.
    pub(crate) fn call<O: Operation, T: Send + 'static>(
        &self,
        path: &str,
        build: impl FnOnce(String) -> O::Request,
        extract: impl FnOnce(&Client, O::Reply) -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static
    where
        O::Reply: Send + 'static,
    {
        let sent = self
            .server_path(path, false)
            .map(|p| self.op::<O>(build(p)));
        let this = self.clone();
        async move { Ok(extract(&this, sent?.await?)) }
    }

    /// Creates a node; returns its path (with the sequence number for sequential modes) and Stat.
    ///
    /// TTL modes use `createTTL`, containers `createContainer`, everything else `create2`.
    pub fn create(
        &self,
        path: &str,
        data: &[u8],
        options: &CreateOptions,
    ) -> impl Future<Output = Result<(String, Stat), Error>> + Send + 'static {
        let sent = create_request(self, path, data, options).map(|req| self.submit(req));
        let this = self.clone();
        async move {
            // Every create mode's reply is create2's.
            let r = typed::<ops::Create2>(sent?).await?;
            Ok((this.client_path(r.path), r.stat))
        }
    }

    /// Deletes a node (`version`: `None` for any).
    pub fn delete(
        &self,
        path: &str,
        version: Option<i32>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let version = self::version(version);
        self.call::<ops::Delete, _>(
            path,
            move |p| DeleteRequest {
                path: Some(p),
                version,
            },
            |_, ()| (),
        )
    }

    /// The node's Stat, or `None` when it does not exist.
    pub fn exists(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Option<Stat>, Error>> + Send + 'static {
        let sent = self.server_path(path, false).map(|p| {
            self.op::<ops::Exists>(ExistsRequest {
                path: Some(p),
                watch: false,
            })
        });
        async move {
            match sent?.await {
                Ok(r) => Ok(Some(r.stat)),
                Err(Error::NoNode) => Ok(None),
                Err(e) => Err(e),
            }
        }
    }

    /// The node's data (null data reads as empty) and Stat.
    pub fn get_data(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat), Error>> + Send + 'static {
        self.call::<ops::GetData, _>(
            path,
            move |p| GetDataRequest {
                path: Some(p),
                watch: false,
            },
            |_, r| (r.data.unwrap_or_default(), r.stat),
        )
    }

    /// Replaces the node's data (`version`: `None` for any); returns the new Stat.
    pub fn set_data(
        &self,
        path: &str,
        data: &[u8],
        version: Option<i32>,
    ) -> impl Future<Output = Result<Stat, Error>> + Send + 'static {
        let (data, version) = (Some(data.to_vec()), self::version(version));
        self.call::<ops::SetData, _>(
            path,
            move |p| SetDataRequest {
                path: Some(p),
                data,
                version,
            },
            |_, r| r.stat,
        )
    }

    /// The names of the node's children.
    pub fn get_children(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Vec<String>, Error>> + Send + 'static {
        self.call::<ops::GetChildren, _>(
            path,
            move |p| GetChildrenRequest {
                path: Some(p),
                watch: false,
            },
            |_, r| r.children.unwrap_or_default(),
        )
    }

    /// The names of the node's children and the node's Stat.
    pub fn get_children2(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<String>, Stat), Error>> + Send + 'static {
        self.call::<ops::GetChildren2, _>(
            path,
            move |p| GetChildren2Request {
                path: Some(p),
                watch: false,
            },
            |_, r| (r.children.unwrap_or_default(), r.stat),
        )
    }

    /// The number of descendants of the node (not counting the node).
    pub fn get_all_children_number(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<i32, Error>> + Send + 'static {
        self.call::<ops::GetAllChildrenNumber, _>(
            path,
            move |p| GetAllChildrenNumberRequest { path: Some(p) },
            |_, r| r.total_number,
        )
    }

    /// The paths of this session's ephemeral nodes under `prefix` (`/` for all).
    pub fn get_ephemerals(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, Error>> + Send + 'static {
        self.call::<ops::GetEphemerals, _>(
            prefix,
            move |p| GetEphemeralsRequest {
                prefix_path: Some(p),
            },
            |this, r| {
                r.ephemerals
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| this.client_path(Some(p)))
                    .collect()
            },
        )
    }

    /// The node's ACL and Stat.
    pub fn get_acl(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<Acl>, Stat), Error>> + Send + 'static {
        self.call::<ops::GetAcl, _>(
            path,
            move |p| GetACLRequest { path: Some(p) },
            |_, r| (r.acl.unwrap_or_default(), r.stat),
        )
    }

    /// Replaces the node's ACL (`version`: the ACL version, `None` for any); returns the Stat.
    pub fn set_acl(
        &self,
        path: &str,
        acl: &[Acl],
        version: Option<i32>,
    ) -> impl Future<Output = Result<Stat, Error>> + Send + 'static {
        let (acl, version) = (Some(acl.to_vec()), self::version(version));
        self.call::<ops::SetAcl, _>(
            path,
            move |p| SetACLRequest {
                path: Some(p),
                acl,
                version,
            },
            |_, r| r.stat,
        )
    }

    /// Waits until the server this session is connected to has caught up with the leader on
    /// `path`; returns the path.
    pub fn sync(&self, path: &str) -> impl Future<Output = Result<String, Error>> + Send + 'static {
        self.call::<ops::Sync, _>(
            path,
            move |p| SyncRequest { path: Some(p) },
            |this, r| this.client_path(r.path),
        )
    }

    /// The identities of this session (`ip`, plus any added with [`Client::add_auth`]).
    pub fn who_am_i(
        &self,
    ) -> impl Future<Output = Result<Vec<ClientInfo>, Error>> + Send + 'static {
        let sent = self.op::<ops::WhoAmI>(());
        async move { Ok(sent.await?.client_info.unwrap_or_default()) }
    }

    /// The ensemble configuration (`/zookeeper/config`, outside any chroot) and its Stat.
    pub fn get_config(
        &self,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat), Error>> + Send + 'static {
        let sent = self.op::<ops::GetData>(GetDataRequest {
            path: Some(CONFIG_NODE.into()),
            watch: false,
        });
        async move {
            let r = sent.await?;
            Ok((r.data.unwrap_or_default(), r.stat))
        }
    }

    /// Changes the ensemble membership (incremental: `joining`/`leaving`; or bulk:
    /// `new_members`), if the configuration is still `from_config` (-1: any). Returns the new
    /// configuration and its Stat.
    pub fn reconfig(
        &self,
        joining: Option<&str>,
        leaving: Option<&str>,
        new_members: Option<&str>,
        from_config: i64,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat), Error>> + Send + 'static {
        let sent = self.op::<ops::Reconfig>(ReconfigRequest {
            joining_servers: joining.map(str::to_string),
            leaving_servers: leaving.map(str::to_string),
            new_members: new_members.map(str::to_string),
            cur_config_id: from_config,
        });
        async move {
            let r = sent.await?;
            Ok((r.data.unwrap_or_default(), r.stat))
        }
    }

    /// Adds credentials (e.g. `digest`, `user:password`) to the session; they are sent again
    /// after every reconnect. A rejected credential ends the session with `AuthFailed`.
    pub fn add_auth(
        &self,
        scheme: &str,
        auth: &[u8],
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let answer = self.inner.shared.add_auth(scheme, auth, self.deadline);
        async move { answer.await.map(|_| ()) }
    }

    /// Replaces the servers this client may use (a connect string, whose chroot must be the
    /// one the client has), without losing the session: the Java client's
    /// `updateServerList`. So that load evens out without every client moving, a connected
    /// client moves with a probability (ZOOKEEPER-1355): when servers were added, a client
    /// whose server stays moves with probability `1 - old/new`, to an added server; when its
    /// server was removed, it moves to one of the others; otherwise it stays. A move is a
    /// reconnect: calls in flight then fail with [`Error::ConnectionLoss`], as on any lost
    /// connection. Later reconnects use the new list.
    ///
    /// ```no_run
    /// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
    /// // The ensemble grew from one server to three.
    /// zk.update_server_list("zk1:2181,zk2:2181,zk3:2181")?;
    /// # Ok(()) }
    /// ```
    pub fn update_server_list(&self, connect_string: &str) -> Result<(), Error> {
        let cs = crate::connect_string::ConnectString::parse(connect_string)?;
        if cs.chroot != self.inner.chroot {
            return Err(Error::InvalidArgument(format!(
                "the chroot cannot change: {connect_string:?} has {:?}, the client {:?}",
                cs.chroot.as_str().unwrap_or("none"),
                self.inner.chroot.as_str().unwrap_or("none")
            )));
        }
        self.inner.shared.update_hosts(cs.hosts);
        Ok(())
    }

    /// Stops using the session without ending it: the connection is closed without
    /// `closeSession`, so the session, its ephemeral nodes and its watches stay on the server
    /// until the session timeout passes, or until another client takes it over with
    /// [`crate::ClientBuilder::session`] (with [`Client::session_id`] and
    /// [`Client::session_password`], read before). Later calls on any clone fail with
    /// [`Error::Closed`]; calls still in flight fail with it too, and may or may not have
    /// taken effect. Returns once the connection is closed.
    pub async fn detach(&self) {
        self.inner.shared.leave();
        self.states().wait_for(SessionState::is_terminal).await;
    }

    /// Ends the session (ephemeral nodes are deleted, watches removed). Later calls on any
    /// clone fail with [`Error::Closed`].
    ///
    /// Bounded: when the server does not answer within the read timeout (2/3 of the session
    /// timeout), the connection is closed anyway and the server expires the session.
    pub async fn close(&self) {
        if let Some(reply) = self.inner.shared.close() {
            let _ = reply.await;
        }
        self.states().wait_for(SessionState::is_terminal).await;
    }
}

pub(crate) fn create_request(
    client: &Client,
    path: &str,
    data: &[u8],
    options: &CreateOptions,
) -> Result<OutRequest, Error> {
    let server_path = client.server_path(path, options.is_sequential())?;
    let data = Some(data.to_vec());
    let acl = Some(options.acl.clone());
    let flags = options.mode.value();
    if options.is_ttl() {
        let ttl = options
            .ttl
            .ok_or_else(|| Error::InvalidArgument("a TTL mode needs a ttl".into()))?
            .as_millis();
        let ttl = i64::try_from(ttl)
            .ok()
            .filter(|t| (1..=MAX_TTL_MS).contains(t))
            .ok_or_else(|| {
                Error::InvalidArgument(format!("ttl must be between 1 ms and {MAX_TTL_MS} ms"))
            })?;
        return Ok(OutRequest::of::<ops::CreateTtl>(CreateTTLRequest {
            path: Some(server_path),
            data,
            acl,
            flags,
            ttl,
        }));
    }
    if options.ttl.is_some() {
        return Err(Error::InvalidArgument(format!(
            "a ttl needs a TTL mode, not {:?}",
            options.mode
        )));
    }
    let req = CreateRequest {
        path: Some(server_path),
        data,
        acl,
        flags,
    };
    Ok(if options.mode == CreateMode::Container {
        OutRequest::of::<ops::CreateContainer>(req)
    } else {
        OutRequest::of::<ops::Create2>(req)
    })
}
