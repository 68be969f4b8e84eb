//! One handler per client command: each takes the command's arguments, talks to ZooKeeper
//! and prints the result (text in zkCli's form, or JSON).

use std::io::Write;
use std::time::Duration;

use serde_json::{json, Value};
use zk_cli::show;
use zk_client::{AddWatchMode, CreateMode, CreateOptions, Error, WatcherType};

use super::commands::{
    emit, four, put, put_json, put_json_if, tree, wait_event, TreeLimits, WatchKind, WatchMode,
};
use super::paths::{child, resolve};
use super::render::{acl_text, event_line, parse_acl, stat_json, stat_text};
use super::{data_format, failure, fourlw, Ctx};
use crate::error::{code, CmdError};

/// `ls`: List a node's children.
#[allow(clippy::too_many_arguments)]
pub(super) async fn cmd_ls(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: Option<String>,
    recursive: bool,
    max_depth: Option<usize>,
    max_nodes: usize,
    stat: bool,
    watch: bool,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, path.as_deref().unwrap_or("."))?;
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

/// `get`: Show a node's data (text when printable UTF-8, else hex).
pub(super) async fn cmd_get(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    stat: bool,
    watch: bool,
    hex: bool,
    base64: bool,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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

/// `set`: Set a node's data.
pub(super) async fn cmd_set(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    data: String,
    version: Option<i32>,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
    let zk = ctx.client().await?;
    let st = zk
        .set_data(&path, data.as_bytes(), version)
        .await
        .map_err(|e| failure(&path, e))?;
    put_json_if(out, json, &json!({"path": path, "stat": stat_json(&st)}))
}

/// `create`: Create a node.
#[allow(clippy::too_many_arguments)]
pub(super) async fn cmd_create(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    data: Option<String>,
    ephemeral: bool,
    sequential: bool,
    container: bool,
    ttl: Option<u64>,
    parents: bool,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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

/// `delete`: Delete a node.
pub(super) async fn cmd_delete(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    version: Option<i32>,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
    let zk = ctx.client().await?;
    zk.delete(&path, version)
        .await
        .map_err(|e| failure(&path, e))?;
    put_json_if(out, json, &json!({"deleted": path}))
}

/// `deleteall`: Delete a node and everything below it.
pub(super) async fn cmd_deleteall(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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
    put_json_if(out, json, &json!({"deleted": all}))
}

/// `stat`: A node's Stat; without a path, the server's `stat` four-letter word.
pub(super) async fn cmd_stat_node(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    watch: bool,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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

/// `getacl`: A node's ACL.
pub(super) async fn cmd_get_acl(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    stat: bool,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
    let zk = ctx.client().await?;
    let (acl, st) = zk.get_acl(&path).await.map_err(|e| failure(&path, e))?;
    let lines: Vec<String> = acl.iter().map(acl_text).collect();
    let text = lines.join("\n") + "\n";
    let v = json!({"path": path, "acl": lines});
    emit(out, json, v, &text, stat.then_some(&st))
}

/// `setacl`: Set a node's ACL (`scheme:id:perms[,...]`, perms from `rwcda`).
pub(super) async fn cmd_set_acl(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    acl: String,
    recursive: bool,
    version: Option<i32>,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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
    put_json_if(out, json, &json!({"set": targets}))
}

/// `addauth`: Add credentials to the session (`addauth digest user:password`).
pub(super) async fn cmd_addauth(
    ctx: &mut Ctx,
    scheme: String,
    auth: String,
) -> Result<(), CmdError> {
    let zk = ctx.client().await?;
    zk.add_auth(&scheme, auth.as_bytes())
        .await
        .map_err(|e| failure("addauth", e))
}

/// `whoami`: The identities of the session.
pub(super) async fn cmd_whoami(ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let json = ctx.json;
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

/// `addwatch`: Add a persistent watch and print its events as they come.
pub(super) async fn cmd_add_watch(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
    mode: WatchMode,
    count: Option<usize>,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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
            while let Some(Ok(e)) = w.next().await {
                super::print_event(printer.as_ref(), &event_line(&e, json));
            }
        });
        return Ok(());
    }
    let mut seen = 0;
    while count.is_none_or(|c| seen < c) {
        let e = match w.next().await {
            Some(e) => e.map_err(|e| failure(&path, e))?,
            None => return Err(failure(&path, zk_client::Error::Closed)),
        };
        seen += 1;
        put(out, &(event_line(&e, json) + "\n"))?;
    }
    Ok(())
}

/// `removewatches`: Remove the session's watches on a node.
pub(super) async fn cmd_removewatches(
    ctx: &mut Ctx,
    path: String,
    kind: WatchKind,
) -> Result<(), CmdError> {
    let path = resolve(&ctx.cwd, &path)?;
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

/// `sync`: Make sure the server has every change the leader has for the path.
pub(super) async fn cmd_sync(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
    let zk = ctx.client().await?;
    let synced = zk.sync(&path).await.map_err(|e| failure(&path, e))?;
    if json {
        put_json(out, &json!({"synced": synced}))
    } else {
        put(out, &format!("Sync is OK: {synced}\n"))
    }
}

/// `getephemerals`: The session's ephemeral nodes (under a prefix).
pub(super) async fn cmd_get_ephemerals(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: Option<String>,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let prefix = match path {
        Some(p) => resolve(&ctx.cwd, &p)?,
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

/// `getallchildrennumber`: How many nodes are below a node.
pub(super) async fn cmd_get_all_children_number(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    path: String,
) -> Result<(), CmdError> {
    let json = ctx.json;
    let path = resolve(&ctx.cwd, &path)?;
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

/// `config`: The ensemble configuration.
pub(super) async fn cmd_config(ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let json = ctx.json;
    let zk = ctx.client().await?;
    let (data, st) = zk.get_config().await.map_err(|e| failure("config", e))?;
    let text = String::from_utf8_lossy(&data).into_owned();
    if json {
        put_json(out, &json!({"config": text, "stat": stat_json(&st)}))
    } else {
        put(out, &(text.trim_end().to_string() + "\n"))
    }
}

/// `version`: This tool's version and the server's.
pub(super) async fn cmd_version(ctx: &mut Ctx, out: &mut dyn Write) -> Result<(), CmdError> {
    let json = ctx.json;
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

/// `fourletterword`: Send a four-letter word (ruok, srvr, mntr, cons, envi, wchs, ...).
pub(super) async fn cmd_four_letter_word(
    ctx: &mut Ctx,
    out: &mut dyn Write,
    word: String,
) -> Result<(), CmdError> {
    if !fourlw::WORDS.contains(&word.as_str()) {
        return Err(CmdError::usage(format!(
            "unknown four-letter word {word:?} (known: {})",
            fourlw::WORDS.join(" ")
        )));
    }
    four(ctx, &word, out).await
}
