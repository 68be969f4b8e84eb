//! The watch operations of [`Client`]: reads that set one-shot watches, persistent watches,
//! and watch removal.

use std::future::Future;

use jute_schemas::proto::{
    AddWatchRequest, CheckWatchesRequest, ExistsRequest, GetChildrenRequest, GetDataRequest,
    RemoveWatchesRequest,
};
use jute_schemas::protocol::{OpCode, RequestBody, ResponseBody};

use crate::client::{unexpected, Client, CONFIG_NODE};
use crate::error::Error;
use crate::session::OutRequest;
use crate::types::{AddWatchMode, Stat, WatcherType};
use crate::watch::WatchKind;
use crate::watcher::{OneshotWatcher, PersistentWatcher, WatchSink};

impl Client {
    /// A one-shot watch request: the future yields the reply and the watcher.
    fn watched(
        &self,
        op: OpCode,
        body: RequestBody,
        kind: WatchKind,
        server_path: String,
    ) -> impl Future<Output = Result<(ResponseBody, OneshotWatcher), Error>> + Send + 'static {
        let reply = self.submit_watch(
            OutRequest {
                op,
                body,
                watch: Some((kind, server_path)),
            },
            WatchSink::oneshot(),
        );
        async move {
            let (result, watch) = reply.await;
            let body = match result {
                Ok(body) => body,
                // exists() on a missing node still sets a watch (for the node's creation).
                Err(Error::NoNode) if kind == WatchKind::Exist => ResponseBody::None,
                Err(e) => return Err(e),
            };
            let watch =
                watch.ok_or_else(|| Error::protocol("a watch request without its watch"))?;
            Ok((body, OneshotWatcher::new(watch)))
        }
    }

    /// Like [`Client::exists`], and watches for the node's creation, change or deletion (the
    /// watch is set even when the node does not exist).
    pub fn exists_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Option<Stat>, OneshotWatcher), Error>> + Send + 'static {
        let sent = self.server_path(path, false).map(|p| {
            self.watched(
                OpCode::Exists,
                RequestBody::Exists(ExistsRequest {
                    path: Some(p.clone()),
                    watch: true,
                }),
                WatchKind::Exist,
                p,
            )
        });
        async move {
            match sent?.await? {
                (ResponseBody::Exists(r), w) => Ok((Some(r.stat), w)),
                // The node does not exist; the watch waits for its creation.
                (ResponseBody::None, w) => Ok((None, w)),
                (other, _) => Err(unexpected("exists", &other)),
            }
        }
    }

    /// Like [`Client::get_data`], and watches for the next change or deletion.
    pub fn get_data_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat, OneshotWatcher), Error>> + Send + 'static {
        let sent = self.server_path(path, false).map(|p| {
            self.watched(
                OpCode::GetData,
                RequestBody::GetData(GetDataRequest {
                    path: Some(p.clone()),
                    watch: true,
                }),
                WatchKind::Data,
                p,
            )
        });
        async move {
            match sent?.await? {
                (ResponseBody::GetData(r), w) => Ok((r.data.unwrap_or_default(), r.stat, w)),
                (other, _) => Err(unexpected("getData", &other)),
            }
        }
    }

    /// Like [`Client::get_children`], and watches for the next child change or deletion.
    pub fn get_children_watch(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<(Vec<String>, OneshotWatcher), Error>> + Send + 'static {
        let sent = self.server_path(path, false).map(|p| {
            self.watched(
                OpCode::GetChildren,
                RequestBody::GetChildren(GetChildrenRequest {
                    path: Some(p.clone()),
                    watch: true,
                }),
                WatchKind::Child,
                p,
            )
        });
        async move {
            match sent?.await? {
                (ResponseBody::GetChildren(r), w) => Ok((r.children.unwrap_or_default(), w)),
                (other, _) => Err(unexpected("getChildren", &other)),
            }
        }
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
            let body = RequestBody::AddWatch(AddWatchRequest {
                path: Some(p.clone()),
                mode: mode.value(),
            });
            self.submit_watch(
                OutRequest {
                    op: OpCode::AddWatch,
                    body,
                    watch: Some((kind, p)),
                },
                WatchSink::Stream(tx),
            )
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
        let body = move |p| {
            RequestBody::RemoveWatches(RemoveWatchesRequest {
                path: Some(p),
                r#type: kind.value(),
            })
        };
        self.call(
            path,
            "removeWatches",
            move |p| (OpCode::RemoveWatches, body(p)),
            |_, _| Ok(()),
        )
    }

    /// Whether the server holds a watch of `kind` on `path` for this session (`NoWatcher` if not).
    pub fn check_watches(
        &self,
        path: &str,
        kind: WatcherType,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let body = move |p| {
            RequestBody::CheckWatches(CheckWatchesRequest {
                path: Some(p),
                r#type: kind.value(),
            })
        };
        self.call(
            path,
            "checkWatches",
            move |p| (OpCode::CheckWatches, body(p)),
            |_, _| Ok(()),
        )
    }

    /// Like [`Client::get_config`], and watches for the next configuration change.
    pub fn get_config_watch(
        &self,
    ) -> impl Future<Output = Result<(Vec<u8>, Stat, OneshotWatcher), Error>> + Send + 'static {
        let body = RequestBody::GetData(GetDataRequest {
            path: Some(CONFIG_NODE.into()),
            watch: true,
        });
        let sent = self.watched(OpCode::GetData, body, WatchKind::Data, CONFIG_NODE.into());
        async move {
            match sent.await? {
                (ResponseBody::GetData(r), w) => Ok((r.data.unwrap_or_default(), r.stat, w)),
                (other, _) => Err(unexpected("getConfig", &other)),
            }
        }
    }
}
