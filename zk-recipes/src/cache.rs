//! A cache of a whole subtree on one persistent recursive watch (like Curator's
//! `CuratorCache`): it loads the tree, keeps a local copy current from the watch's events, and
//! after a reconnect, since ZooKeeper does not replay a persistent watch's missed events,
//! checks every node's `mzxid`/`pzxid` against the server and re-reads only what changed,
//! after a random pause so many caches do not hit the server at once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use zk_client::{AddWatchMode, Client, Error, EventType, SessionState, Stat};

use futures_core::Stream;

use crate::source::Source;

/// A node as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedNode {
    /// Its data.
    pub data: Vec<u8>,
    /// Its Stat when read.
    pub stat: Stat,
}

/// What changed in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheEvent {
    /// A node appeared (during the initial load too).
    Added(String, CachedNode),
    /// A node's data changed.
    Updated(String, CachedNode),
    /// A node went.
    Removed(String),
    /// The initial load is complete: the view is the tree as it was.
    Initialized,
    /// After a reconnect the view was checked against the server: `checked` nodes, of which
    /// `reread` had changed (added, updated or removed).
    Resynced {
        /// Nodes whose Stat was compared.
        checked: usize,
        /// Nodes read again or dropped.
        reread: usize,
    },
    /// A node under the root could not be read (`NoAuth`: its ACL does not let this session
    /// read it): it and its subtree are left out of the view, and the cache goes on with the
    /// rest, as Curator's caches do. The path is the unreadable node's.
    Unreadable(String, Error),
}

/// The events of a [`TreeCache`]: `Ok(event)` per change; when the cache stops keeping its
/// view current (its session ended, on a plain client; or reading failed for good), the
/// error why is the last item. Dropping it is fine: the view stays current.
#[derive(Debug)]
pub struct CacheEvents {
    rx: mpsc::Receiver<Result<CacheEvent, Error>>,
}

impl CacheEvents {
    /// The next item (the same as `StreamExt::next`, without importing it).
    pub async fn next(&mut self) -> Option<Result<CacheEvent, Error>> {
        self.rx.recv().await
    }
}

impl Stream for CacheEvents {
    type Item = Result<CacheEvent, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// How many stat checks or reads a resync keeps in flight.
const IN_FLIGHT: usize = 256;

type View = Arc<Mutex<BTreeMap<String, CachedNode>>>;

/// A node read during a load, with its children's names.
type Loaded = (CachedNode, Vec<String>);

fn lock(view: &View) -> MutexGuard<'_, BTreeMap<String, CachedNode>> {
    view.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The subtree under a path, kept current from one persistent recursive watch, and checked
/// against the server after each reconnect (only what changed is read again).
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_recipes::{CacheEvent, TreeCache};
/// let (cache, mut events) = TreeCache::new(&zk, "/config").start().await?;
/// while let Some(event) = events.next().await {
///     if let CacheEvent::Updated(path, node) = event? {
///         println!("{path} = {:?}", node.data);
///     }
/// }
/// let db = cache.get("/config/db");
/// # let _ = db; Ok(()) }
/// ```
#[derive(Debug)]
pub struct TreeCache {
    source: Source,
    root: String,
    options: CacheOptions,
    view: View,
    /// Whether to move to a supervisor's next session after an expiry.
    follow: bool,
    /// The task keeping the view current, once started.
    task: Option<JoinHandle<()>>,
}

impl Drop for TreeCache {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Options of a [`TreeCache`].
#[derive(Debug, Clone, Copy)]
struct CacheOptions {
    /// The longest random pause before checking the view after a reconnect (default 1 s).
    resync_jitter: Duration,
    /// Events buffered for a slow reader before the cache waits for it (default 4096).
    buffer: usize,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            resync_jitter: Duration::from_secs(1),
            buffer: 4096,
        }
    }
}

impl TreeCache {
    /// A cache of `root` and everything under it (on a client's session, or a supervisor's:
    /// see [`Source`]; on a supervisor, when a session expires the cache moves to the next one
    /// and checks its whole view against the server, a `Resynced` event, instead of
    /// stopping). Nothing is read until [`TreeCache::start`].
    pub fn new(source: impl Into<Source>, root: &str) -> TreeCache {
        let root = root.trim_end_matches('/');
        TreeCache {
            source: source.into(),
            root: if root.is_empty() { "/" } else { root }.to_string(),
            options: CacheOptions::default(),
            view: View::default(),
            follow: true,
            task: None,
        }
    }

    /// On a supervisor, stop at the first expiry (the events end with
    /// [`Error::SessionExpired`]) instead of moving to the next session. (On a plain client
    /// that is what happens anyway.)
    #[must_use]
    pub fn stop_at_expiry(mut self) -> TreeCache {
        self.follow = false;
        self
    }

    /// The longest random pause before checking the view after a reconnect (default 1 s), so
    /// that many caches do not read at once.
    #[must_use]
    pub fn resync_jitter(mut self, jitter: Duration) -> TreeCache {
        self.options.resync_jitter = jitter;
        self
    }

    /// How many events wait for a slow reader before the cache waits for it (default 4096).
    #[must_use]
    pub fn buffer(mut self, events: usize) -> TreeCache {
        self.options.buffer = events;
        self
    }

    /// Sets the watch on the root (first, so nothing that changes during the load is
    /// missed) and starts the task that loads and follows the tree; the events (the initial
    /// load's `Added`s, then `Initialized`, then changes) arrive on the returned stream.
    /// Starting a cache that was started already is an [`Error::InvalidArgument`].
    pub async fn start(mut self) -> Result<(TreeCache, CacheEvents), Error> {
        if self.task.is_some() {
            return Err(Error::InvalidArgument(format!(
                "the cache of {} is started already",
                self.root
            )));
        }
        if !self.follow {
            self.source = self.source.current_only();
        }
        let zk = self.source.client();
        let watcher = zk
            .add_watch(&self.root, AddWatchMode::PersistentRecursive)
            .await?;
        let (tx, rx) = mpsc::channel(self.options.buffer.max(1));
        let sync = Sync {
            zk,
            root: self.root.clone(),
            view: self.view.clone(),
            tx,
        };
        self.task = Some(tokio::spawn(sync.run(
            watcher,
            self.options,
            self.source.sessions(),
        )));
        Ok((self, CacheEvents { rx }))
    }

    /// The node at `path`, if the cache holds it.
    pub fn get(&self, path: &str) -> Option<CachedNode> {
        lock(&self.view).get(path).cloned()
    }

    /// The names of `path`'s children the cache holds, sorted.
    pub fn children(&self, path: &str) -> Vec<String> {
        let view = lock(&self.view);
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        view.range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| {
                let rest = &k[prefix.len()..];
                (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
            })
            .collect()
    }

    /// Every cached node by path.
    pub fn snapshot(&self) -> BTreeMap<String, CachedNode> {
        lock(&self.view).clone()
    }

    /// How many nodes the cache holds.
    pub fn len(&self) -> usize {
        lock(&self.view).len()
    }

    /// Whether the cache holds no node (the root does not exist, or nothing is loaded yet).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The task's side: reads from ZooKeeper into the view, and tells the events.
struct Sync {
    zk: Client,
    root: String,
    view: View,
    tx: mpsc::Sender<Result<CacheEvent, Error>>,
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

impl Sync {
    async fn tell(&self, event: CacheEvent) {
        // A reader that went away stops nothing.
        let _ = self.tx.send(Ok(event)).await;
    }

    /// Tells the reader why the view is no longer kept current (the stream's last item).
    async fn stop(&self, why: Error) {
        let _ = self.tx.send(Err(why)).await;
    }

    async fn run(
        mut self,
        mut watcher: zk_client::PersistentWatcher,
        options: CacheOptions,
        mut sessions: watch::Receiver<Client>,
    ) {
        if let Err(e) = self.load(&self.root.clone()).await {
            self.stop(e).await;
            return;
        }
        self.tell(CacheEvent::Initialized).await;
        loop {
            let ended = self.follow(&mut watcher, options).await;
            // On a supervisor, an expired session is followed by a new one: move to it and
            // check the whole view against the server, as after a reconnect.
            if ended != Error::SessionExpired {
                self.stop(ended).await;
                return;
            }
            let client = loop {
                let c = sessions.borrow_and_update().clone();
                if c.session_id() != self.zk.session_id() {
                    break c;
                }
                // On a plain client there is no next session.
                if sessions.changed().await.is_err() {
                    self.stop(ended).await;
                    return;
                }
            };
            self.zk = client;
            watcher = match self
                .zk
                .add_watch(&self.root, AddWatchMode::PersistentRecursive)
                .await
            {
                Ok(w) => w,
                Err(e) => {
                    self.stop(e).await;
                    return;
                }
            };
            match self.resync().await {
                Ok((checked, reread)) => self.tell(CacheEvent::Resynced { checked, reread }).await,
                Err(e) => {
                    self.stop(e).await;
                    return;
                }
            }
        }
    }

    /// Follows one session's events (and resyncs after its reconnects) until it ends; returns
    /// why it ended.
    async fn follow(
        &self,
        watcher: &mut zk_client::PersistentWatcher,
        options: CacheOptions,
    ) -> Error {
        let mut states = self.zk.states();
        let mut was_disconnected = false;
        loop {
            tokio::select! {
                event = watcher.next() => match event {
                    Some(Ok(ev)) => {
                        let result = match ev.event_type {
                            EventType::NodeCreated | EventType::NodeDataChanged => self.refresh(&ev.path).await,
                            EventType::NodeDeleted => {
                                self.remove(&ev.path).await;
                                Ok(())
                            }
                            _ => Ok(()),
                        };
                        match result {
                            // The resync after the reconnect covers it.
                            Ok(()) | Err(Error::ConnectionLoss | Error::Timeout) => {}
                            Err(e) => return e,
                        }
                    }
                    Some(Err(e)) => return e,
                    None => return Error::Closed,
                },
                now = states.next() => {
                    let now = match now {
                        Some(Ok(now)) => now,
                        Some(Err(e)) => return e,
                        None => return Error::Closed,
                    };
                    match now {
                        SessionState::Disconnected | SessionState::Connecting => was_disconnected = true,
                        SessionState::Connected | SessionState::ConnectedReadOnly if was_disconnected => {
                            was_disconnected = false;
                            let pause = options.resync_jitter.mul_f64(rand_unit());
                            tokio::time::sleep(pause).await;
                            match self.resync().await {
                                Ok((checked, reread)) => self.tell(CacheEvent::Resynced { checked, reread }).await,
                                Err(Error::ConnectionLoss | Error::Timeout) => was_disconnected = true,
                                Err(e) => return e,
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Loads `top` and everything under it (breadth first, no recursion), telling `Added`s.
    async fn load(&self, top: &str) -> Result<usize, Error> {
        let mut level = vec![top.to_string()];
        let mut loaded = 0;
        // A level at a time, its reads pipelined (IN_FLIGHT at once).
        while !level.is_empty() {
            let zk = self.zk.clone();
            let read: Vec<(String, Result<Option<Loaded>, Error>)> =
                stream::iter(std::mem::take(&mut level))
                    .map(|path| {
                        let zk = zk.clone();
                        async move {
                            let node = async {
                                let (data, stat) = match zk.get_data(&path).await {
                                    Ok(x) => x,
                                    Err(Error::NoNode) => return Ok(None),
                                    Err(e) => return Err(e),
                                };
                                match zk.get_children(&path).await {
                                    Ok(c) => Ok(Some((CachedNode { data, stat }, c))),
                                    Err(Error::NoNode) => Ok(None),
                                    Err(e) => Err(e),
                                }
                            }
                            .await;
                            (path, node)
                        }
                    })
                    .buffer_unordered(IN_FLIGHT)
                    .collect()
                    .await;
            for (path, node) in read {
                let (node, children) = match node {
                    Ok(Some(loaded)) => loaded,
                    Ok(None) => continue,
                    Err(Error::NoAuth) => {
                        self.unreadable(&path).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                level.extend(children.iter().map(|c| child_path(&path, c)));
                if self.put(&path, node).await {
                    loaded += 1;
                }
            }
        }
        Ok(loaded)
    }

    /// Stores a node read from the server unless the view already has it at that version or
    /// later; tells `Added`/`Updated`. True when something changed.
    async fn put(&self, path: &str, node: CachedNode) -> bool {
        let event = {
            let mut view = lock(&self.view);
            match view.get(path) {
                Some(old)
                    if old.stat.mzxid >= node.stat.mzxid && old.stat.czxid == node.stat.czxid =>
                {
                    // Same data; keep the newer children information.
                    if old.stat.pzxid < node.stat.pzxid {
                        view.insert(path.to_string(), node);
                    }
                    None
                }
                Some(_) => {
                    view.insert(path.to_string(), node.clone());
                    Some(CacheEvent::Updated(path.to_string(), node))
                }
                None => {
                    view.insert(path.to_string(), node.clone());
                    Some(CacheEvent::Added(path.to_string(), node))
                }
            }
        };
        match event {
            Some(e) => {
                self.tell(e).await;
                true
            }
            None => false,
        }
    }

    /// Reads one node again after an event (a created node's subtree too).
    async fn refresh(&self, path: &str) -> Result<(), Error> {
        let known = lock(&self.view).contains_key(path);
        if !known {
            self.load(path).await?;
            return Ok(());
        }
        match self.zk.get_data(path).await {
            Ok((data, stat)) => {
                self.put(path, CachedNode { data, stat }).await;
                Ok(())
            }
            Err(Error::NoNode) => {
                self.remove(path).await;
                Ok(())
            }
            Err(Error::NoAuth) => {
                self.unreadable(path).await;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// `path` cannot be read: out of the view with its subtree, and said so.
    async fn unreadable(&self, path: &str) -> usize {
        let n = self.remove(path).await;
        self.tell(CacheEvent::Unreadable(path.to_string(), Error::NoAuth))
            .await;
        n
    }

    /// Drops `path` and everything under it, telling `Removed`s (children first).
    async fn remove(&self, path: &str) -> usize {
        let gone: Vec<String> = {
            let mut view = lock(&self.view);
            let prefix = format!("{path}/");
            let mut gone: Vec<String> = view
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            if view.contains_key(path) {
                gone.insert(0, path.to_string());
            }
            for g in &gone {
                view.remove(g);
            }
            gone
        };
        let n = gone.len();
        for g in gone.into_iter().rev() {
            self.tell(CacheEvent::Removed(g)).await;
        }
        n
    }

    /// Compares every cached node's Stat with the server's; re-reads the data of changed
    /// nodes, lists the children of nodes whose children changed (loading new ones), and drops
    /// deleted ones. Returns (nodes checked, nodes changed).
    async fn resync(&self) -> Result<(usize, usize), Error> {
        let known: Vec<(String, Stat)> = lock(&self.view)
            .iter()
            .map(|(p, n)| (p.clone(), n.stat.clone()))
            .collect();
        let checked = known.len();
        let zk = self.zk.clone();
        let stats: Vec<(String, Stat, Result<Option<Stat>, Error>)> = stream::iter(known)
            .map(|(path, old)| {
                let zk = zk.clone();
                async move {
                    let now = zk.exists(&path).await;
                    (path, old, now)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut changed = 0;
        // The root may have appeared meanwhile.
        if stats.is_empty() {
            changed += self.load(&self.root.clone()).await?;
        }
        for (path, old, now) in stats {
            match now? {
                None => changed += self.remove(&path).await,
                Some(stat) => {
                    if stat.czxid != old.czxid || stat.mzxid != old.mzxid {
                        if stat.czxid != old.czxid {
                            // Deleted and created again: a new node, its subtree too.
                            changed += self.remove(&path).await;
                        }
                        changed += self.load_one(&path).await?;
                    }
                    if stat.pzxid != old.pzxid {
                        changed += self.new_children(&path).await?;
                    }
                }
            }
        }
        Ok((checked, changed))
    }

    async fn load_one(&self, path: &str) -> Result<usize, Error> {
        match self.zk.get_data(path).await {
            Ok((data, stat)) => Ok(usize::from(self.put(path, CachedNode { data, stat }).await)),
            Err(Error::NoNode) => Ok(self.remove(path).await),
            Err(Error::NoAuth) => Ok(self.unreadable(path).await),
            Err(e) => Err(e),
        }
    }

    /// Loads the children of `path` the view does not have.
    async fn new_children(&self, path: &str) -> Result<usize, Error> {
        let children = match self.zk.get_children(path).await {
            Ok(c) => c,
            Err(Error::NoNode) => return Ok(0),
            Err(Error::NoAuth) => return Ok(self.unreadable(path).await),
            Err(e) => return Err(e),
        };
        let mut added = 0;
        for c in children {
            let p = child_path(path, &c);
            let known = lock(&self.view).contains_key(&p);
            if !known {
                added += self.load(&p).await?;
            }
        }
        Ok(added)
    }
}

/// A random number in [0, 1).
fn rand_unit() -> f64 {
    rand::random::<f64>()
}
