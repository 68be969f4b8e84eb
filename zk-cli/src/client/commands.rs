//! The client commands, as clap subcommands shared by the one-shot form and the shell.

use std::io::Write;

use clap::{Subcommand, ValueEnum};
use serde_json::{json, Value};
use zk_client::{Client, Error};

use super::handlers::*;
use super::paths::child;
use super::render::{event_line, stat_json, stat_text};
use super::{failure, fourlw, Ctx};
use crate::error::CmdError;

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

pub(super) fn put(out: &mut dyn Write, s: &str) -> Result<(), CmdError> {
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CmdError::output)
}

/// Prints `v` when JSON output was asked for; a command that prints nothing otherwise.
pub(super) fn put_json_if(out: &mut dyn Write, json: bool, v: &Value) -> Result<(), CmdError> {
    if json {
        put_json(out, v)
    } else {
        Ok(())
    }
}

pub(super) fn put_json(out: &mut dyn Write, v: &Value) -> Result<(), CmdError> {
    put(out, &format!("{v}\n"))
}

/// Prints a result as JSON (`v`, with the Stat under "stat" when given) or as `text` followed
/// by the Stat in zkCli's form.
pub(super) fn emit(
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

/// Runs `cmd`: each command has its handler below.
pub async fn run(cmd: ClientCommand, ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    match cmd {
        ClientCommand::Ls {
            path,
            recursive,
            max_depth,
            max_nodes,
            stat,
            watch,
        } => cmd_ls(ctx, out, path, recursive, max_depth, max_nodes, stat, watch).await,
        ClientCommand::Get {
            path,
            stat,
            watch,
            hex,
            base64,
        } => cmd_get(ctx, out, path, stat, watch, hex, base64).await,
        ClientCommand::Set {
            path,
            data,
            version,
        } => cmd_set(ctx, out, path, data, version).await,
        ClientCommand::Create {
            path,
            data,
            ephemeral,
            sequential,
            container,
            ttl,
            parents,
        } => {
            cmd_create(
                ctx, out, path, data, ephemeral, sequential, container, ttl, parents,
            )
            .await
        }
        ClientCommand::Delete { path, version } => cmd_delete(ctx, out, path, version).await,
        ClientCommand::Deleteall { path } => cmd_deleteall(ctx, out, path).await,
        ClientCommand::Stat { path: None, .. } => four(ctx, "stat", out).await,
        ClientCommand::Stat {
            path: Some(path),
            watch,
        } => cmd_stat_node(ctx, out, path, watch).await,
        ClientCommand::GetAcl { path, stat } => cmd_get_acl(ctx, out, path, stat).await,
        ClientCommand::SetAcl {
            path,
            acl,
            recursive,
            version,
        } => cmd_set_acl(ctx, out, path, acl, recursive, version).await,
        ClientCommand::Addauth { scheme, auth } => cmd_addauth(ctx, scheme, auth).await,
        ClientCommand::Whoami => cmd_whoami(ctx, out).await,
        ClientCommand::AddWatch { path, mode, count } => {
            cmd_add_watch(ctx, out, path, mode, count).await
        }
        ClientCommand::Removewatches { path, kind } => cmd_removewatches(ctx, path, kind).await,
        ClientCommand::Sync { path } => cmd_sync(ctx, out, path).await,
        ClientCommand::GetEphemerals { path } => cmd_get_ephemerals(ctx, out, path).await,
        ClientCommand::GetAllChildrenNumber { path } => {
            cmd_get_all_children_number(ctx, out, path).await
        }
        ClientCommand::Config => cmd_config(ctx, out).await,
        ClientCommand::Version => cmd_version(ctx, out).await,
        ClientCommand::FourLetterWord { word } => cmd_four_letter_word(ctx, out, word).await,
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

pub(super) async fn four(ctx: &Ctx, word: &str, out: &mut dyn Write) -> Result<(), CmdError> {
    let reply = fourlw::send(&ctx.hosts, word, ctx.tls.as_ref()).await?;
    if ctx.json {
        put_json(out, &json!({"word": word, "reply": reply}))
    } else {
        put(out, &(reply.trim_end().to_string() + "\n"))
    }
}

/// Prints a one-shot watch's event: in the shell when it comes (in the background), in the
/// one-shot form by waiting for it.
pub(super) async fn wait_event(
    ctx: &Ctx,
    w: zk_client::OneshotWatcher,
    out: &mut dyn Write,
) -> Result<(), CmdError> {
    let json = ctx.json;
    if ctx.interactive {
        let printer = ctx.printer.clone();
        tokio::spawn(async move {
            if let Ok(e) = w.await {
                super::print_event(printer.as_ref(), &event_line(&e, json));
            }
        });
        return Ok(());
    }
    let e = w.await.map_err(|e| failure("watch", e))?;
    put(out, &(event_line(&e, json) + "\n"))
}

/// `path` and every node below it, parents before children.
/// How much of a tree a recursive command walks: a server that reports an endless tree (or a
/// huge one) must not make `zk` grow without bound.
#[derive(Debug, Clone, Copy)]
pub(super) struct TreeLimits {
    /// Levels below the start to descend (`None`: all).
    pub(super) max_depth: Option<usize>,
    /// Nodes to collect at most; more is an error.
    pub(super) max_nodes: usize,
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
pub(super) async fn tree(
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
