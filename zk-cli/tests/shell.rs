//! The interactive shell driven through a real terminal (tmux): completion of commands and
//! znode paths, history, `cd`-relative paths, and watch events printed as they come.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use zk_testkit::TestServer;

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(command: &str) -> Tmux {
        zk_testkit::ensure_program("tmux").expect("tmux");
        let session = format!("zk-shell-test-{}", std::process::id());
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "200",
                "-y",
                "60",
                command,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run tmux");
        assert!(ok.success(), "tmux new-session");
        Tmux { session }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux")
            .args(&args)
            .status()
            .expect("tmux")
            .success());
    }

    fn literal(&self, text: &str) {
        assert!(Command::new("tmux")
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("tmux")
            .success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session, "-S", "-100"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until `f` holds for the screen.
    fn wait(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "{what}: not on the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .status();
    }
}

fn zk(server: &TestServer, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(["-s", &server.connect_string()])
        .args(args)
        .output()
        .expect("zk");
    assert!(out.status.success(), "{out:?}");
}

fn count(screen: &str, needle: &str) -> usize {
    screen.matches(needle).count()
}

#[test]
fn shell_completes_remembers_and_watches() {
    let server = TestServer::start().expect("a real ZooKeeper must start");
    zk(&server, &["create", "-p", "/alpha/beta", "first-value"]);
    zk(&server, &["create", "/alpine", "x"]);
    let history = server.dir().join("history");
    // A host where nothing listens first: the prompt names the server the shell is on.
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let dead = nothing.local_addr().expect("its address");
    drop(nothing);
    let command = format!(
        "env ZK_HISTORY={} {} -s {dead},{}",
        history.display(),
        env!("CARGO_BIN_EXE_zk"),
        server.connect_string()
    );
    let t = Tmux::start(&command);
    let prompt = format!("[zk: {} /]", server.connect_string());
    t.wait("the prompt naming the server", |s| s.contains(&prompt));

    t.literal("ls /");
    t.keys(&["Enter"]);
    t.wait("ls output", |s| s.contains("[alpha, alpine, zookeeper]"));

    // Path completion: "alph" is only alpha, which has children, so a slash follows; then
    // "b" completes to beta.
    t.literal("get /alph");
    t.keys(&["Tab"]);
    t.wait("completed directory", |s| s.contains("get /alpha/"));
    t.literal("b");
    t.keys(&["Tab"]);
    t.wait("completed leaf", |s| s.contains("get /alpha/beta"));
    t.keys(&["Enter"]);
    t.wait("data", |s| count(s, "first-value") == 1);

    // Command completion.
    t.literal("whoa");
    t.keys(&["Tab"]);
    t.wait("completed command", |s| s.contains("whoami"));
    t.keys(&["Enter"]);
    t.wait("whoami output", |s| s.contains("ip: 127.0.0.1"));

    // cd and a relative path.
    t.literal("cd /alpha");
    t.keys(&["Enter"]);
    t.wait("the new directory in the prompt", |s| {
        s.contains(" /alpha]")
    });
    t.literal("get beta");
    t.keys(&["Enter"]);
    t.wait("relative get", |s| count(s, "first-value") == 2);

    // History: Up brings back "get beta".
    t.keys(&["Up"]);
    t.wait("recalled line", |s| {
        s.lines()
            .last_non_empty()
            .is_some_and(|l| l.ends_with("get beta"))
    });
    t.keys(&["Enter"]);
    t.wait("recalled get", |s| count(s, "first-value") == 3);

    // A watch set in the shell prints its event when another client changes the node.
    t.literal("get -w beta");
    t.keys(&["Enter"]);
    t.wait("watched get", |s| count(s, "first-value") == 4);
    // The event comes while a line is being typed: it is printed above the prompt, on a line
    // of its own, and the prompt with the half-typed line is drawn again below it.
    t.literal("get /alp");
    t.wait("the half-typed line", |s| {
        s.lines()
            .last_non_empty()
            .is_some_and(|l| l.ends_with("get /alp"))
    });
    zk(&server, &["set", "/alpha/beta", "second"]);
    let event = "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:/alpha/beta";
    t.wait("the watch event above the prompt", |s| {
        let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
        lines.len() >= 2
            && lines[lines.len() - 2].trim_end() == event
            && lines[lines.len() - 1].starts_with("[zk: ")
            && lines[lines.len() - 1].ends_with("get /alp")
    });
    t.keys(&["C-u"]);

    // Errors are shown and the shell goes on.
    t.literal("get /nope");
    t.keys(&["Enter"]);
    t.wait("the error", |s| {
        s.contains("zk: /nope: node does not exist")
    });

    t.literal("quit");
    t.keys(&["Enter"]);
    // The file is written when the shell quits: wait until it holds both lines.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let saved = std::fs::read_to_string(&history).unwrap_or_default();
        if saved.contains("get beta") && saved.contains("cd /alpha") {
            break;
        }
        assert!(Instant::now() < deadline, "history file: {saved:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

trait LastNonEmpty<'a> {
    fn last_non_empty(self) -> Option<&'a str>;
}

impl<'a, I: DoubleEndedIterator<Item = &'a str>> LastNonEmpty<'a> for I {
    fn last_non_empty(mut self) -> Option<&'a str> {
        self.rfind(|l| !l.trim().is_empty()).map(str::trim_end)
    }
}
