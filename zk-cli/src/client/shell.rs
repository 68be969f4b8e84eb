//! The interactive shell: line editing and history (rustyline), tab completion of commands and
//! of znode paths (asked of the server), and a current directory for relative paths.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use tokio::runtime::Handle;
use zk_cli::show::{escape, Escaping};
use zk_client::Client;

use super::commands::{self, ClientCommand};
use super::paths::{child, resolve};
use super::Ctx;

/// A line of the shell.
#[derive(Parser, Debug)]
#[command(name = "", no_binary_name = true, disable_version_flag = true)]
struct Line {
    #[command(subcommand)]
    command: ShellCommand,
}

#[derive(Subcommand, Debug)]
enum ShellCommand {
    #[command(flatten)]
    Client(ClientCommand),
    /// Change the current directory.
    Cd {
        /// The node (default `/`).
        path: Option<String>,
    },
    /// Print the current directory.
    Pwd,
    /// Leave the shell.
    #[command(alias = "exit")]
    Quit,
    /// Show the history.
    History,
}

/// What completion needs: the session (if any), the current directory, and the runtime.
struct ShellHelper {
    client: Arc<Mutex<Option<Client>>>,
    cwd: Arc<Mutex<String>>,
    handle: Handle,
    commands: Vec<String>,
}

impl ShellHelper {
    fn children(&self, dir: &str) -> Vec<String> {
        let Some(zk) = self.client.lock().ok().and_then(|c| c.clone()) else {
            return Vec::new();
        };
        let ask = zk.get_children(dir);
        self.handle
            .block_on(async { tokio::time::timeout(Duration::from_secs(2), ask).await })
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &before[start..];
        if start == 0 {
            let pairs = self
                .commands
                .iter()
                .filter(|c| c.starts_with(word))
                .map(|c| Pair {
                    display: c.clone(),
                    replacement: format!("{c} "),
                })
                .collect();
            return Ok((0, pairs));
        }
        if word.starts_with('-') {
            return Ok((start, Vec::new()));
        }
        // A path: complete the last segment from the server's children.
        let cwd = self
            .cwd
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|_| "/".into());
        let (dir_typed, partial) = match word.rfind('/') {
            Some(i) => (&word[..=i], &word[i + 1..]),
            None => ("", word),
        };
        let dir = if dir_typed.is_empty() {
            cwd.clone()
        } else {
            match resolve(&cwd, dir_typed) {
                Ok(dir) => dir,
                Err(_) => return Ok((start, Vec::new())),
            }
        };
        let mut names: Vec<String> = self
            .children(&dir)
            .into_iter()
            .filter(|c| c.starts_with(partial))
            .collect();
        names.sort();
        // A single match that has children completes with a slash, ready for the next level
        // (one more request; not one per candidate, which a wide node would make thousands).
        let unique = names.len() == 1;
        let pairs = names
            .into_iter()
            .map(|n| {
                let slash = unique && !self.children(&child(&dir, &n)).is_empty();
                Pair {
                    display: n.clone(),
                    replacement: format!("{dir_typed}{n}{}", if slash { "/" } else { "" }),
                }
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        Cow::Borrowed(prompt)
    }
}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

fn history_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ZK_HISTORY") {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".zk_history"))
}

/// Runs the shell until `quit` or end of input.
pub fn run(mut ctx: Ctx, runtime: &tokio::runtime::Runtime) -> Result<(), String> {
    ctx.interactive = true;
    let mut names: Vec<String> = Line::command()
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(str::to_string))
        })
        .collect();
    names.sort();
    let client = Arc::new(Mutex::new(None));
    let cwd = Arc::new(Mutex::new("/".to_string()));
    let helper = ShellHelper {
        client: client.clone(),
        cwd: cwd.clone(),
        handle: runtime.handle().clone(),
        commands: names,
    };
    let mut rl: Editor<ShellHelper, DefaultHistory> =
        Editor::new().map_err(|e| format!("cannot start the line editor: {e}"))?;
    rl.set_helper(Some(helper));
    // Watch events from background tasks go above the prompt, not over the line being typed.
    if let Ok(printer) = rl.create_external_printer() {
        ctx.printer = Some(Arc::new(Mutex::new(printer)));
    }
    let history = history_file();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    // Connect at the start, so completion works at once; a failure is shown, not fatal.
    match runtime.block_on(ctx.client()) {
        Ok(c) => {
            if let Ok(mut slot) = client.lock() {
                *slot = Some(c);
            }
        }
        Err(e) => eprintln!("zk: {}", escape(&e.to_string())),
    }
    loop {
        let prompt = format!("[zk: {} {}] ", ctx.server_label(), ctx.cwd);
        let line = match rl.readline(&prompt) {
            Ok(l) => l,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(format!("reading a line: {e}")),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let _ = rl.add_history_entry(trimmed);
        let Some(words) = shlex::split(trimmed) else {
            eprintln!("zk: unbalanced quotes");
            continue;
        };
        let parsed = match Line::try_parse_from(words) {
            Ok(l) => l,
            Err(e) => {
                let _ = e.print();
                continue;
            }
        };
        match parsed.command {
            ShellCommand::Quit => break,
            ShellCommand::Pwd => println!("{}", escape(&ctx.cwd)),
            ShellCommand::History => {
                for (i, h) in rl.history().iter().enumerate() {
                    println!("{i:4}  {}", escape(h));
                }
            }
            ShellCommand::Cd { path } => {
                let target = match resolve(&ctx.cwd, path.as_deref().unwrap_or("/")) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("zk: {}", escape(&e.to_string()));
                        continue;
                    }
                };
                let exists = runtime.block_on(async {
                    let zk = ctx.client().await?;
                    zk.exists(&target)
                        .await
                        .map_err(|e| super::failure(&target, e))
                });
                match exists {
                    Ok(Some(_)) => {
                        ctx.cwd = target.clone();
                        if let Ok(mut c) = cwd.lock() {
                            *c = target;
                        }
                    }
                    Ok(None) => eprintln!("zk: {}: node does not exist", escape(&target)),
                    Err(e) => eprintln!("zk: {}", escape(&e.to_string())),
                }
            }
            ShellCommand::Client(cmd) => {
                let mut stdout = Escaping::new(std::io::stdout());
                let result = runtime.block_on(commands::run(cmd, &mut ctx, &mut stdout));
                let _ = stdout.flush();
                if let Err(e) = result {
                    eprintln!("zk: {}", escape(&e.to_string()));
                }
                if let Ok(mut slot) = client.lock() {
                    *slot = ctx.existing_client();
                }
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    runtime.block_on(ctx.close());
    Ok(())
}
