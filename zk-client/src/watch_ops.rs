//! The watch operations of [`Client`]: reads that set one-shot watches, persistent watches,
//! and watch removal.

use std::future::Future;

use jute_schemas::proto::{
    AddWatchRequest, CheckWatchesRequest, ExistsRequest, GetChildrenRequest, GetDataRequest,
    RemoveWatchesRequest,
};
use jute_schemas::protocol::ops::{self, Operation};

use crate::client::{reply_of, Client, CONFIG_NODE};
use crate::error::Error;
use crate::session::OutRequest;
use crate::types::{AddWatchMode, Stat, WatcherType};
use crate::watch::WatchKind;
use crate::watch::WatchSink;
use crate::watcher::{OneshotWatcher, PersistentWatcher};

impl Client {
    /// A one-shot watch request: operation `O` (built by `build` from the server path) setting
    /// a watch of `kind`. The future yields the reply as `extract` makes it, and the watcher;
    /// when `missing` is given, a missing node yields it instead of `NoNode` (exists sets its
    /// watch on a missing node, for its creation).
    fn watched<O: Operation, R: Send + 'static>(
        &self,
        server_path: Result<String, Error>,
        kind: WatchKind,
        build: impl FnOnce(String) -> O::Request,
        extract: impl FnOnce(O::Reply) -> R + Send + 'static,
        missing: Option<R>,
    ) -> impl Future<Output = Result<(R, OneshotWatcher), Error>> + Send + 'static
    where
        O::Reply: Send + 'static,
    {
        let sent = server_path.map(|p| {
            let req = OutRequest::watching::<O>(build(p.clone()), kind, p);
            self.submit_watch(req, WatchSink::oneshot())
        });
        async move {
            let (result, watch) = sent?.await;
            let result = result.and_then(reply_of::<O>);
            let watch = watch
                .map(OneshotWatcher::new)
                .ok_or_else(|| Error::protocol("a watch request without its watch"));
            match (result, missing) {
                (Ok(r), _) => Ok((extract(r), watch?)),
                (Err(Error::NoNode), Some(missing)) => Ok((missing, watch?)),
                (Err(e), _) => Err(e),
            }
        }
    }

    /// Like [`Client::exists`], and watches for the node's creation, change or deletion (the
    /// watch is set even when the node does not exist).
    pub fn exists_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Option<Stat>, OneshotWatcher), Error>> + Send + 'static {
        self.watched::<ops::Exists, _>(
            self.server_path(path, false),
            WatchKind::Exist,
            |p| ExistsRequest {
                path: Some(p),
                watch: true,
            },
            |r| Some(r.stat),
            // The node does not exist; the watch waits for its creation.
            Some(None),
        )
    }

    /// Like [`Client::get_data`], and watches for the next change or deletion.
    pub fn get_data_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat, OneshotWatcher), Error>> + Send + 'static {
        self.data_watch(self.server_path(path, false))
    }

    fn data_watch(
        &self,
        server_path: Result<String, Error>,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat, OneshotWatcher), Error>> + Send + 'static {
        let sent = self.watched::<ops::GetData, _>(
            server_path,
            WatchKind::Data,
            |p| GetDataRequest {
                path: Some(p),
                watch: true,
            },
            |r| (r.data.unwrap_or_default(), r.stat),
            None,
        );
        async move {
            let ((data, stat), w) = sent.await?;
            Ok((data, stat, w))
        }
    }

    /// Like [`Client::get_children`], and watches for the next child change or deletion.
    pub fn get_children_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<String>, OneshotWatcher), Error>> + Send + 'static {
        self.watched::<ops::GetChildren, _>(
            self.server_path(path, false),
            WatchKind::Child,
            |p| GetChildrenRequest {
                path: Some(p),
                watch: true,
            },
            |r| r.children.unwrap_or_default(),
            None,
        )
    }

    /// Sets a persistent (or persistent-recursive) watch; events arrive on the returned stream
    /// until it is dropped, which removes the watch from the server.
    pub fn add_watch(
        &self,
        path: &str,
        mode: AddWatchMode,
    ) -> impl Future<Output = Result<PersistentWatcher, Error>> + Send + 'static {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let kind = match mode {
            AddWatchMode::Persistent => WatchKind::Persistent,
            AddWatchMode::PersistentRecursive => WatchKind::PersistentRecursive,
        };
        let sent = self.server_path(path, false).map(|p| {
            let req = AddWatchRequest {
                path: Some(p.clone()),
                mode: mode.value(),
            };
            let req = OutRequest::watching::<ops::AddWatch>(req, kind, p);
            self.submit_watch(req, WatchSink::Stream(tx))
        });
        async move {
            let (result, watch) = sent?.await;
            result?;
            let watch =
                watch.ok_or_else(|| Error::protocol("a watch request without its watch"))?;
            Ok(PersistentWatcher::new(rx, watch))
        }
    }

    /// Removes every watch of `kind` on `path` from the server; local handles of that kind
    /// receive a `*WatchRemoved` event. `NoWatcher` when there was none.
    pub fn remove_watches(
        &self,
        path: &str,
        kind: WatcherType,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let r#type = kind.value();
        self.call::<ops::RemoveWatches, _>(
            path,
            move |p| RemoveWatchesRequest {
                path: Some(p),
                r#type,
            },
            |_, ()| (),
        )
    }

    /// Whether the server holds a watch of `kind` on `path` for this session (`NoWatcher` if not).
    pub fn check_watches(
        &self,
        path: &str,
        kind: WatcherType,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let r#type = kind.value();
        self.call::<ops::CheckWatches, _>(
            path,
            move |p| CheckWatchesRequest {
                path: Some(p),
                r#type,
            },
            |_, ()| (),
        )
    }

    /// Like [`Client::get_config`], and watches for the next configuration change.
    pub fn get_config_watch(
        &self,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat, OneshotWatcher), Error>> + Send + 'static {
        // The configuration node is outside any chroot.
        self.data_watch(Ok(CONFIG_NODE.into()))
    }
}
