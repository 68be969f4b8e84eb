//! The client commands, as clap subcommands shared by the one-shot form and the shell.

use std::io::Write;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};
use zk_cli::show;
use zk_client::{AddWatchMode, Client, CreateMode, CreateOptions, Error, WatcherType};

use super::paths::{child, resolve};
use super::render::{acl_text, event_json, event_text, parse_acl, stat_json, stat_text};
use super::{data_format, failure, fourlw, Ctx};
use crate::error::{code, CmdError};

/// Persistent watch modes for `addWatch -m`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WatchMode {
    /// Data and child events of the node.
    Persistent,
    /// Events of the node and every node below it.
    PersistentRecursive,
}

/// Watch kinds for `removewatches`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum WatchKind {
    /// Child watches.
    Children,
    /// Data and exist watches.
    Data,
    /// Every kind.
    Any,
}

/// A command that talks to ZooKeeper.
#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// List a node's children.
    Ls {
        /// The node (default: the current directory).
        path: Option<String>,
        /// The whole tree below the node.
        #[arg(short = 'R', long)]
        recursive: bool,
        /// With -R: only this many levels below the node.
        #[arg(long, requires = "recursive")]
        max_depth: Option<usize>,
        /// With -R: fail rather than list more than this many nodes.
        #[arg(long, requires = "recursive", default_value_t = TreeLimits::DEFAULT_NODES)]
        max_nodes: usize,
        /// Also the node's Stat.
        #[arg(short, long)]
        stat: bool,
        /// Watch the children, and print the event when it comes.
        #[arg(short, long)]
        watch: bool,
    },
    /// Show a node's data (text when printable UTF-8, else hex).
    Get {
        /// The node.
        path: String,
        /// Also the node's Stat.
        #[arg(short, long)]
        stat: bool,
        /// Watch the data, and print the event when it comes.
        #[arg(short, long)]
        watch: bool,
        /// Always hex.
        #[arg(long, conflicts_with = "base64")]
        hex: bool,
        /// Always base64.
        #[arg(long)]
        base64: bool,
    },
    /// Set a node's data.
    Set {
        /// The node.
        path: String,
        /// The data.
        data: String,
        /// Only if the node has this version.
        #[arg(short, long)]
        version: Option<i32>,
    },
    /// Create a node.
    Create {
        /// The node (for -s, the prefix).
        path: String,
        /// The data.
        data: Option<String>,
        /// Ephemeral (ends with the session).
        #[arg(short, long, conflicts_with_all = ["container", "ttl"])]
        ephemeral: bool,
        /// Sequential (a counter is appended).
        #[arg(short, long)]
        sequential: bool,
        /// A container (deleted when its last child goes).
        #[arg(short, long, conflicts_with = "ttl")]
        container: bool,
        /// Time to live in ms (needs extendedTypesEnabled).
        #[arg(short, long)]
        ttl: Option<u64>,
        /// Create missing parents (as persistent nodes).
        #[arg(short, long)]
        parents: bool,
    },
    /// Delete a node.
    Delete {
        /// The node.
        path: String,
        /// Only if the node has this version.
        #[arg(short, long)]
        version: Option<i32>,
    },
    /// Delete a node and everything below it.
    Deleteall {
        /// The node.
        path: String,
    },
    /// A node's Stat; without a path, the server's `stat` four-letter word.
    Stat {
        /// The node.
        path: Option<String>,
        /// Watch the node (exists watch), and print the event when it comes.
        #[arg(short, long)]
        watch: bool,
    },
    /// A node's ACL.
    #[command(name = "getAcl")]
    GetAcl {
        /// The node.
        path: String,
        /// Also the node's Stat.
        #[arg(short, long)]
        stat: bool,
    },
    /// Set a node's ACL (`scheme:id:perms[,...]`, perms from `rwcda`).
    #[command(name = "setAcl")]
    SetAcl {
        /// The node.
        path: String,
        /// The ACL.
        acl: String,
        /// Also every node below it.
        #[arg(short = 'R', long)]
        recursive: bool,
        /// Only if the ACL has this version.
        #[arg(short, long)]
        version: Option<i32>,
    },
    /// Add credentials to the session (`addauth digest user:password`).
    Addauth {
        /// The scheme.
        scheme: String,
        /// The credentials.
        auth: String,
    },
    /// The identities of the session.
    Whoami,
    /// Add a persistent watch and print its events as they come.
    #[command(name = "addWatch")]
    AddWatch {
        /// The node.
        path: String,
        /// The mode.
        #[arg(short, long, value_enum, default_value = "persistent-recursive")]
        mode: WatchMode,
        /// Stop after this many events (one-shot form; default: until interrupted).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Remove the session's watches on a node.
    Removewatches {
        /// The node.
        path: String,
        /// Which watches.
        #[arg(short, long, value_enum, default_value = "any")]
        kind: WatchKind,
    },
    /// Make sure the server has every change the leader has for the path.
    Sync {
        /// The node.
        path: String,
    },
    /// The session's ephemeral nodes (under a prefix).
    #[command(name = "getEphemerals")]
    GetEphemerals {
        /// The prefix (default `/`).
        path: Option<String>,
    },
    /// How many nodes are below a node.
    #[command(name = "getAllChildrenNumber")]
    GetAllChildrenNumber {
        /// The node.
        path: String,
    },
    /// The ensemble configuration.
    Config,
    /// This tool's version and the server's.
    Version,
    /// Send a four-letter word (ruok, srvr, mntr, cons, envi, wchs, ...).
    #[command(name = "4lw")]
    FourLetterWord {
        /// The word.
        word: String,
    },
    /// `ruok`: is the server running?
    Ruok,
    /// `srvr`: server details.
    Srvr,
    /// `mntr`: metrics.
    Mntr,
    /// `cons`: connections.
    Cons,
    /// `envi`: environment.
    Envi,
    /// `wchs`: watch summary.
    Wchs,
    /// `conf`: configuration.
    Conf,
    /// `isro`: read-only?
    Isro,
    /// `dirs`: data sizes.
    Dirs,
}

fn put(out: &mut dyn Write, s: &str) -> Result<(), CmdError> {
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CmdError::output)
}

fn put_json(out: &mut dyn Write, v: &Value) -> Result<(), CmdError> {
    put(out, &format!("{v}\n"))
}

/// Prints a result as JSON (`v`, with the Stat under "stat" when given) or as `text` followed
/// by the Stat in zkCli's form.
fn emit(
    out: &mut dyn Write,
    json: bool,
    mut v: Value,
    text: &str,
    stat: Option<&zk_client::Stat>,
) -> Result<(), CmdError> {
    if json {
        if let Some(s) = stat {
            v["stat"] = stat_json(s);
        }
        return put_json(out, &v);
    }
    put(out, text)?;
    match stat {
        Some(s) => put(out, &stat_text(s)),
        None => Ok(()),
    }
}

/// Runs `cmd`.
pub async fn run(cmd: ClientCommand, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let json = ctx.json;
    let at = |p: &str| resolve(&ctx.cwd, p);
    match cmd {
        ClientCommand::Ls {
            path,
            recursive,
            max_depth,
            max_nodes,
            stat,
            watch,
        } => {
            let path = at(path.as_deref().unwrap_or("."))?;
            let zk = ctx.client().await?;
            if recursive {
                let mut all = Vec::new();
                let limits = TreeLimits {
                    max_depth,
                    max_nodes,
                };
                tree(&zk, &path, limits, &mut all).await?;
                if json {
                    return put_json(out, &json!({"path": path, "tree": all}));
                }
                return put(out, &(all.join("\n") + "\n"));
            }
            let (children, event) = if watch {
                let (c, w) = zk
                    .get_children_watch(&path)
                    .await
                    .map_err(|e| failure(&path, e))?;
                (c, Some(w))
            } else {
                (
                    zk.get_children(&path)
                        .await
                        .map_err(|e| failure(&path, e))?,
                    None,
                )
            };
            let stat_v = if stat {
                Some(zk.exists(&path).await.map_err(|e| failure(&path, e))?)
            } else {
                None
            };
            let mut sorted = children;
            sorted.sort();
            let text = format!("[{}]\n", sorted.join(", "));
            let v = json!({"path": path, "children": sorted});
            emit(
                out,
                json,
                v,
                &text,
                stat_v.as_ref().and_then(Option::as_ref),
            )?;
            if let Some(w) = event {
                wait_event(ctx, w, out).await?;
            }
            Ok(())
        }
        ClientCommand::Get {
            path,
            stat,
            watch,
            hex,
            base64,
        } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let (data, st, w) = if watch {
                let (d, s, w) = zk
                    .get_data_watch(&path)
                    .await
                    .map_err(|e| failure(&path, e))?;
                (d, s, Some(w))
            } else {
                let (d, s) = zk.get_data(&path).await.map_err(|e| failure(&path, e))?;
                (d, s, None)
            };
            let shown = show::data(Some(&data), data_format(hex, base64));
            let text = format!("{shown}\n");
            let v = json!({"path": path, "data": shown});
            emit(out, json, v, &text, stat.then_some(&st))?;
            if let Some(w) = w {
                wait_event(ctx, w, out).await?;
            }
            Ok(())
        }
        ClientCommand::Set {
            path,
            data,
            version,
        } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let st = zk
                .set_data(&path, data.as_bytes(), version)
                .await
                .map_err(|e| failure(&path, e))?;
            if json {
                put_json(out, &json!({"path": path, "stat": stat_json(&st)}))
            } else {
                Ok(())
            }
        }
        ClientCommand::Create {
            path,
            data,
            ephemeral,
            sequential,
            container,
            ttl,
            parents,
        } => {
            let path = at(&path)?;
            let mode = match (ephemeral, sequential, container, ttl.is_some()) {
                (true, true, _, _) => CreateMode::EphemeralSequential,
                (true, false, _, _) => CreateMode::Ephemeral,
                (_, _, true, _) => CreateMode::Container,
                (_, true, _, true) => CreateMode::PersistentSequentialWithTtl,
                (_, false, _, true) => CreateMode::PersistentWithTtl,
                (_, true, _, _) => CreateMode::PersistentSequential,
                _ => CreateMode::Persistent,
            };
            let mut options = CreateOptions::new(mode);
            options.ttl = ttl.map(Duration::from_millis);
            let zk = ctx.client().await?;
            if parents {
                let mut at = String::new();
                let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                for seg in segments.iter().take(segments.len().saturating_sub(1)) {
                    at = child(if at.is_empty() { "/" } else { &at }, seg);
                    match zk.create(&at, b"", &CreateOptions::default()).await {
                        Ok(_) | Err(Error::NodeExists) => {}
                        Err(e) => return Err(failure(&at, e)),
                    }
                }
            }
            let (created, st) = zk
                .create(&path, data.unwrap_or_default().as_bytes(), &options)
                .await
                .map_err(|e| match e {
                    // The node's parent is missing (the node itself cannot be).
                    Error::NoNode if !parents => CmdError::new(
                        code::SERVER,
                        format!("{path}: its parent does not exist (-p creates missing parents)"),
                    ),
                    e => failure(&path, e),
                })?;
            if json {
                put_json(out, &json!({"path": created, "stat": stat_json(&st)}))
            } else {
                put(out, &format!("Created {created}\n"))
            }
        }
        ClientCommand::Delete { path, version } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            zk.delete(&path, version)
                .await
                .map_err(|e| failure(&path, e))?;
            if json {
                put_json(out, &json!({"deleted": path}))
            } else {
                Ok(())
            }
        }
        ClientCommand::Deleteall { path } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let mut all = Vec::new();
            tree(&zk, &path, TreeLimits::default(), &mut all).await?;
            // Deepest first.
            all.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
            for p in &all {
                match zk.delete(p, None).await {
                    Ok(()) | Err(Error::NoNode) => {}
                    Err(e) => return Err(failure(p, e)),
                }
            }
            if json {
                put_json(out, &json!({"deleted": all}))
            } else {
                Ok(())
            }
        }
        ClientCommand::Stat { path: None, .. } => four(ctx, "stat", out).await,
        ClientCommand::Stat {
            path: Some(path),
            watch,
        } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let (st, w) = if watch {
                let (s, w) = zk
                    .exists_watch(&path)
                    .await
                    .map_err(|e| failure(&path, e))?;
                (s, Some(w))
            } else {
                (zk.exists(&path).await.map_err(|e| failure(&path, e))?, None)
            };
            let Some(st) = st else {
                if let Some(w) = w {
                    put(
                        out,
                        &format!("Node does not exist: {path} (watching for it)\n"),
                    )?;
                    return wait_event(ctx, w, out).await;
                }
                return Err(failure(&path, Error::NoNode));
            };
            if json {
                put_json(out, &json!({"path": path, "stat": stat_json(&st)}))?;
            } else {
                put(out, &stat_text(&st))?;
            }
            if let Some(w) = w {
                wait_event(ctx, w, out).await?;
            }
            Ok(())
        }
        ClientCommand::GetAcl { path, stat } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let (acl, st) = zk.get_acl(&path).await.map_err(|e| failure(&path, e))?;
            let lines: Vec<String> = acl.iter().map(acl_text).collect();
            let text = lines.join("\n") + "\n";
            let v = json!({"path": path, "acl": lines});
            emit(out, json, v, &text, stat.then_some(&st))
        }
        ClientCommand::SetAcl {
            path,
            acl,
            recursive,
            version,
        } => {
            let path = at(&path)?;
            let acl = parse_acl(&acl).map_err(CmdError::usage)?;
            let zk = ctx.client().await?;
            let mut targets = vec![path.clone()];
            if recursive {
                targets.clear();
                tree(&zk, &path, TreeLimits::default(), &mut targets).await?;
            }
            for p in &targets {
                let v = if p == &path { version } else { None };
                zk.set_acl(p, &acl, v).await.map_err(|e| failure(p, e))?;
            }
            if json {
                put_json(out, &json!({"set": targets}))
            } else {
                Ok(())
            }
        }
        ClientCommand::Addauth { scheme, auth } => {
            let zk = ctx.client().await?;
            zk.add_auth(&scheme, auth.as_bytes())
                .await
                .map_err(|e| failure("addauth", e))
        }
        ClientCommand::Whoami => {
            let zk = ctx.client().await?;
            let ids = zk.who_am_i().await.map_err(|e| failure("whoami", e))?;
            if json {
                let v: Vec<Value> = ids
                    .iter()
                    .map(|i| json!({"scheme": i.auth_scheme, "user": i.user}))
                    .collect();
                put_json(out, &Value::Array(v))
            } else {
                for i in ids {
                    put(
                        out,
                        &format!(
                            "{}: {}\n",
                            i.auth_scheme.unwrap_or_default(),
                            i.user.unwrap_or_default()
                        ),
                    )?;
                }
                Ok(())
            }
        }
        ClientCommand::AddWatch { path, mode, count } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let m = match mode {
                WatchMode::Persistent => AddWatchMode::Persistent,
                WatchMode::PersistentRecursive => AddWatchMode::PersistentRecursive,
            };
            let mut w = zk
                .add_watch(&path, m)
                .await
                .map_err(|e| failure(&path, e))?;
            if ctx.interactive {
                let printer = ctx.printer.clone();
                tokio::spawn(async move {
                    while let Ok(e) = w.next().await {
                        let line = if json {
                            event_json(&e).to_string()
                        } else {
                            event_text(&e)
                        };
                        super::print_event(printer.as_ref(), &line);
                    }
                });
                return Ok(());
            }
            let mut seen = 0;
            while count.map_or(true, |c| seen < c) {
                let e = w.next().await.map_err(|e| failure(&path, e))?;
                seen += 1;
                if json {
                    put_json(out, &event_json(&e))?;
                } else {
                    put(out, &(event_text(&e) + "\n"))?;
                }
            }
            Ok(())
        }
        ClientCommand::Removewatches { path, kind } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let ty = match kind {
                WatchKind::Children => WatcherType::Children,
                WatchKind::Data => WatcherType::Data,
                WatchKind::Any => WatcherType::Any,
            };
            zk.remove_watches(&path, ty)
                .await
                .map_err(|e| failure(&path, e))
        }
        ClientCommand::Sync { path } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let synced = zk.sync(&path).await.map_err(|e| failure(&path, e))?;
            if json {
                put_json(out, &json!({"synced": synced}))
            } else {
                put(out, &format!("Sync is OK: {synced}\n"))
            }
        }
        ClientCommand::GetEphemerals { path } => {
            let prefix = match path {
                Some(p) => at(&p)?,
                None => "/".to_string(),
            };
            let zk = ctx.client().await?;
            let mut list = zk
                .get_ephemerals(&prefix)
                .await
                .map_err(|e| failure(&prefix, e))?;
            list.sort();
            if json {
                put_json(out, &json!({"prefix": prefix, "ephemerals": list}))
            } else {
                put(out, &format!("[{}]\n", list.join(", ")))
            }
        }
        ClientCommand::GetAllChildrenNumber { path } => {
            let path = at(&path)?;
            let zk = ctx.client().await?;
            let n = zk
                .get_all_children_number(&path)
                .await
                .map_err(|e| failure(&path, e))?;
            if json {
                put_json(out, &json!({"path": path, "count": n}))
            } else {
                put(out, &format!("{n}\n"))
            }
        }
        ClientCommand::Config => {
            let zk = ctx.client().await?;
            let (data, st) = zk.get_config().await.map_err(|e| failure("config", e))?;
            let text = String::from_utf8_lossy(&data).into_owned();
            if json {
                put_json(out, &json!({"config": text, "stat": stat_json(&st)}))
            } else {
                put(out, &(text.trim_end().to_string() + "\n"))
            }
        }
        ClientCommand::Version => {
            let server = fourlw::send(&ctx.hosts, "srvr", ctx.tls.as_ref())
                .await
                .ok()
                .and_then(|r| {
                    r.lines()
                        .find_map(|l| l.strip_prefix("Zookeeper version: "))
                        .map(str::to_string)
                });
            let mine = env!("CARGO_PKG_VERSION");
            if json {
                put_json(out, &json!({"zk": mine, "server": server}))
            } else {
                put(
                    out,
                    &format!(
                        "zk {mine}\nZooKeeper server: {}\n",
                        server.as_deref().unwrap_or("unreachable")
                    ),
                )
            }
        }
        ClientCommand::FourLetterWord { word } => {
            if !fourlw::WORDS.contains(&word.as_str()) {
                return Err(CmdError::usage(format!(
                    "unknown four-letter word {word:?} (known: {})",
                    fourlw::WORDS.join(" ")
                )));
            }
            four(ctx, &word, out).await
        }
        ClientCommand::Ruok => four(ctx, "ruok", out).await,
        ClientCommand::Srvr => four(ctx, "srvr", out).await,
        ClientCommand::Mntr => four(ctx, "mntr", out).await,
        ClientCommand::Cons => four(ctx, "cons", out).await,
        ClientCommand::Envi => four(ctx, "envi", out).await,
        ClientCommand::Wchs => four(ctx, "wchs", out).await,
        ClientCommand::Conf => four(ctx, "conf", out).await,
        ClientCommand::Isro => four(ctx, "isro", out).await,
        ClientCommand::Dirs => four(ctx, "dirs", out).await,
    }
}

async fn four(ctx: &Ctx, word: &str, out: &mut dyn Write) -> Result<(), CmdError> {
    let reply = fourlw::send(&ctx.hosts, word, ctx.tls.as_ref()).await?;
    if ctx.json {
        put_json(out, &json!({"word": word, "reply": reply}))
    } else {
        put(out, &(reply.trim_end().to_string() + "\n"))
    }
}

/// Prints a one-shot watch's event: in the shell when it comes (in the background), in the
/// one-shot form by waiting for it.
async fn wait_event(
    ctx: &Ctx,
    w: zk_client::OneshotWatcher,
    out: &mut dyn Write,
) -> Result<(), CmdError> {
    let json = ctx.json;
    if ctx.interactive {
        let printer = ctx.printer.clone();
        tokio::spawn(async move {
            if let Ok(e) = w.await {
                let line = if json {
                    event_json(&e).to_string()
                } else {
                    event_text(&e)
                };
                super::print_event(printer.as_ref(), &line);
            }
        });
        return Ok(());
    }
    let e = w.await.map_err(|e| failure("watch", e))?;
    if json {
        put_json(out, &event_json(&e))
    } else {
        put(out, &(event_text(&e) + "\n"))
    }
}

/// `path` and every node below it, parents before children.
/// How much of a tree a recursive command walks: a server that reports an endless tree (or a
/// huge one) must not make `zk` grow without bound.
#[derive(Debug, Clone, Copy)]
struct TreeLimits {
    /// Levels below the start to descend (`None`: all).
    max_depth: Option<usize>,
    /// Nodes to collect at most; more is an error.
    max_nodes: usize,
}

impl TreeLimits {
    const DEFAULT_NODES: usize = 1_000_000;
    /// Bytes of collected paths at most (a chain of ever longer paths stays under the node
    /// budget yet would hold a quadratic amount of text).
    const MAX_PATH_BYTES: usize = 256 << 20;
}

impl Default for TreeLimits {
    fn default() -> Self {
        TreeLimits {
            max_depth: None,
            max_nodes: Self::DEFAULT_NODES,
        }
    }
}

/// Every path of the tree at `path`, in pre-order, within `limits`.
async fn tree(
    zk: &Client,
    path: &str,
    limits: TreeLimits,
    out: &mut Vec<String>,
) -> Result<(), CmdError> {
    let mut stack = vec![(path.to_string(), 0usize)];
    let mut bytes = 0usize;
    while let Some((p, depth)) = stack.pop() {
        // At the depth limit a node is listed, its children are not asked for.
        let mut children = if limits.max_depth.is_some_and(|max| depth >= max) {
            Vec::new()
        } else {
            match zk.get_children(&p).await {
                Ok(c) => c,
                Err(Error::NoNode) if p != path => continue,
                // One node this session may not read does not hide the rest of the tree.
                Err(Error::NoAuth) if p != path => {
                    eprintln!(
                        "zk: warning: {}: not authorized to list its children; skipped",
                        zk_cli::show::escape(&p)
                    );
                    Vec::new()
                }
                Err(e) => return Err(failure(&p, e)),
            }
        };
        children.sort();
        bytes += p.len();
        out.push(p.clone());
        if out.len() + stack.len() + children.len() > limits.max_nodes {
            return Err(CmdError::data(format!(
                "{path}: the tree has more than {} nodes; stopped (raise --max-nodes, or use \
                 --max-depth)",
                limits.max_nodes
            )));
        }
        if bytes > TreeLimits::MAX_PATH_BYTES {
            return Err(CmdError::data(format!(
                "{path}: the tree's paths add up to more than {} MiB; stopped",
                TreeLimits::MAX_PATH_BYTES >> 20
            )));
        }
        for c in children.iter().rev() {
            stack.push((child(&p, c), depth + 1));
        }
    }
    Ok(())
}
