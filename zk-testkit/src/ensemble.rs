//! A ZooKeeper ensemble: several `QuorumPeerMain` processes on loopback ports.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crate::install::ensure_installed;
use crate::process::{fresh_dir, write_file, JavaProcess};
use crate::server::{common_config, four_letter_word, free_port, ServerOptions};
use crate::Error;

/// Settings of an [`Ensemble`].
#[derive(Debug, Clone)]
pub struct EnsembleOptions {
    /// How many voting members. Default 3.
    pub members: usize,
    /// Settings every member shares (tickTime, reconfig, extra lines, JVM properties).
    pub server: ServerOptions,
    /// Lets a member that lost the quorum serve reads (`readonlymode.enabled`). Default false.
    ///
    /// This also turns on local sessions (`localSessionsEnabled`, with upgrading): a read-only
    /// ZooKeeper 3.8 server can only create local sessions, and answers a new client's
    /// handshake with a bare `NotReadOnly` reply header without them. Local sessions are not
    /// replicated until they create an ephemeral node, so a client whose session is still
    /// local cannot resume it on another member.
    pub read_only_mode: bool,
    /// The members' (client, quorum, election) ports, when a test needs to know them before
    /// the ensemble starts (a capture filter, say); empty (the default): free ones are
    /// chosen. Otherwise one triple per member.
    pub ports: Vec<(u16, u16, u16)>,
}

impl Default for EnsembleOptions {
    fn default() -> Self {
        EnsembleOptions {
            members: 3,
            server: ServerOptions::default(),
            read_only_mode: false,
            ports: Vec::new(),
        }
    }
}

/// What a member says it is (`srvr`'s `Mode:` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The leader.
    Leader,
    /// A follower.
    Follower,
    /// A read-only server (no quorum, `readonlymode.enabled`).
    ReadOnly,
    /// Running but not serving (looking for a quorum), or not answering.
    NotServing,
}

#[derive(Debug)]
struct Member {
    process: JavaProcess,
    client: SocketAddr,
    /// Where the member listens for learners while it leads (ZAB).
    quorum_port: u16,
    /// Where it listens for leader election.
    election_port: u16,
}

/// A running ensemble on loopback ports, every member stopped (and its directory removed) on
/// drop. Members are numbered from 0 here (their `myid` is index + 1).
///
/// ```no_run
/// let mut zk = zk_testkit::Ensemble::start()?;
/// let leader = zk.leader()?;
/// zk.kill(leader);
/// zk.wait_for_quorum()?;
/// zk.restart(leader)?;
/// # Ok::<(), zk_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct Ensemble {
    members: Vec<Member>,
    start_timeout: Duration,
}

impl Ensemble {
    /// Starts three members with the default options and waits for a quorum.
    pub fn start() -> Result<Ensemble, Error> {
        Self::start_with(EnsembleOptions::default())
    }

    /// Starts an ensemble and waits until every member serves.
    pub fn start_with(options: EnsembleOptions) -> Result<Ensemble, Error> {
        ensure_installed()?;
        if options.members == 0 {
            return Err(Error::StartFailed("an ensemble needs members".into()));
        }
        let mut ports = options.ports.clone();
        if ports.is_empty() {
            for _ in 0..options.members {
                ports.push((free_port()?, free_port()?, free_port()?));
            }
        } else if ports.len() != options.members {
            return Err(Error::StartFailed(format!(
                "{} port triples for {} members",
                ports.len(),
                options.members
            )));
        }
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (client, quorum, election))| {
                format!(
                    "server.{}=127.0.0.1:{quorum}:{election}:participant;127.0.0.1:{client}\n",
                    i + 1
                )
            })
            .collect();
        let mut props = options.server.system_properties.clone();
        if options.read_only_mode {
            props.push(("readonlymode.enabled".into(), "true".into()));
        }
        let mut members = Vec::new();
        for (i, (client, quorum_port, election_port)) in ports.iter().enumerate() {
            let dir = fresh_dir(&format!("member{}", i + 1))?;
            write_file(&dir.join("data"), "myid", &format!("{}\n", i + 1))?;
            let mut cfg = common_config(&options.server, &dir.join("data"));
            cfg.push_str("initLimit=10\nsyncLimit=5\nstandaloneEnabled=false\n");
            if options.read_only_mode {
                cfg.push_str("localSessionsEnabled=true\nlocalSessionsUpgradingEnabled=true\n");
            }
            cfg.push_str(&servers);
            write_file(&dir, "zoo.cfg", &cfg)?;
            let config = dir.join("zoo.cfg");
            members.push(Member {
                process: JavaProcess::new(
                    dir,
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                    config,
                    props.clone(),
                ),
                client: SocketAddr::from((Ipv4Addr::LOCALHOST, *client)),
                quorum_port: *quorum_port,
                election_port: *election_port,
            });
        }
        let mut ensemble = Ensemble {
            members,
            start_timeout: options.server.start_timeout,
        };
        for m in &mut ensemble.members {
            m.process.spawn()?;
        }
        ensemble.wait_for_quorum()?;
        Ok(ensemble)
    }

    /// How many members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members (never, once started).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Every member's client address, comma-separated.
    pub fn connect_string(&self) -> String {
        let addrs: Vec<String> = self.members.iter().map(|m| m.client.to_string()).collect();
        addrs.join(",")
    }

    /// Member `i`'s client address.
    ///
    /// # Panics
    /// When `i` is not a member index.
    pub fn addr(&self, i: usize) -> SocketAddr {
        self.members[i].client
    }

    /// Member `i`'s quorum port (on 127.0.0.1): the leader's learners connect to it.
    ///
    /// # Panics
    /// When `i` is not a member index.
    pub fn quorum_port(&self, i: usize) -> u16 {
        self.members[i].quorum_port
    }

    /// Member `i`'s leader-election port (on 127.0.0.1).
    ///
    /// # Panics
    /// When `i` is not a member index.
    pub fn election_port(&self, i: usize) -> u16 {
        self.members[i].election_port
    }

    /// The index of the member listening on `addr`.
    pub fn index_of(&self, addr: SocketAddr) -> Option<usize> {
        self.members.iter().position(|m| m.client == addr)
    }

    /// Member `i`'s directory (data in `data/`, `zoo.cfg`, the log in `stdout.log`).
    pub fn dir(&self, i: usize) -> &std::path::Path {
        &self.members[i].process.dir
    }

    /// What member `i` says it is.
    pub fn mode(&self, i: usize) -> Mode {
        let Ok(reply) = four_letter_word(self.members[i].client, "srvr") else {
            return Mode::NotServing;
        };
        match reply
            .lines()
            .find_map(|l| l.strip_prefix("Mode: "))
            .map(str::trim)
        {
            Some("leader") => Mode::Leader,
            Some("follower") => Mode::Follower,
            Some("read-only") => Mode::ReadOnly,
            _ => Mode::NotServing,
        }
    }

    /// Sends a four-letter word to member `i`.
    pub fn four_letter_word(&self, i: usize, word: &str) -> Result<String, Error> {
        four_letter_word(self.members[i].client, word)
    }

    /// The index of the current leader.
    pub fn leader(&self) -> Result<usize, Error> {
        (0..self.members.len())
            .find(|&i| self.mode(i) == Mode::Leader)
            .ok_or_else(|| Error::StartFailed("no member is the leader".into()))
    }

    /// Waits until every running member is a leader or follower, with exactly one leader.
    pub fn wait_for_quorum(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + self.start_timeout;
        loop {
            let mut leaders = 0;
            let mut serving = true;
            for i in 0..self.members.len() {
                if !self.members[i].process.is_running() {
                    continue;
                }
                match self.mode(i) {
                    Mode::Leader => leaders += 1,
                    Mode::Follower => {}
                    _ => serving = false,
                }
            }
            if serving && leaders == 1 {
                return Ok(());
            }
            if Instant::now() > deadline {
                let tails: Vec<String> = self
                    .members
                    .iter()
                    .enumerate()
                    .map(|(i, m)| format!("member {i}:\n{}", m.process.log_tail()))
                    .collect();
                return Err(Error::StartFailed(format!(
                    "no quorum after {:?}\n{}",
                    self.start_timeout,
                    tails.join("\n")
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until member `i` is in `mode`.
    pub fn wait_for_mode(&self, i: usize, mode: Mode, limit: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + limit;
        while self.mode(i) != mode {
            if Instant::now() > deadline {
                return Err(Error::StartFailed(format!(
                    "member {i} not {mode:?} after {limit:?} (it is {:?})",
                    self.mode(i)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Kills member `i` (SIGKILL), keeping its data.
    pub fn kill(&mut self, i: usize) {
        self.members[i].process.kill();
    }

    /// Stops member `i` cleanly (SIGTERM), keeping its data.
    pub fn terminate(&mut self, i: usize) {
        self.members[i].process.terminate();
    }

    /// Freezes member `i` (SIGSTOP): its connections stay open and nothing answers.
    pub fn freeze(&mut self, i: usize) -> Result<(), Error> {
        self.members[i].process.freeze()
    }

    /// Resumes a frozen member (SIGCONT).
    pub fn thaw(&mut self, i: usize) {
        self.members[i].process.thaw();
    }

    /// Starts member `i` again (killing it first if it runs) and waits until it serves as
    /// leader, follower or read-only server.
    pub fn restart(&mut self, i: usize) -> Result<(), Error> {
        let addr = self.members[i].client;
        let m = &mut self.members[i];
        m.process.kill();
        m.process.spawn()?;
        m.process.wait_until(self.start_timeout, || {
            four_letter_word(addr, "srvr").is_ok_and(|r| {
                r.lines().any(|l| {
                    matches!(
                        l.trim(),
                        "Mode: leader" | "Mode: follower" | "Mode: read-only"
                    )
                })
            })
        })
    }

    /// Starts member `i` again without waiting for it to serve (for a member that cannot
    /// form a quorum yet).
    pub fn start_member(&mut self, i: usize) -> Result<(), Error> {
        self.members[i].process.spawn()
    }

    /// Whether member `i`'s process is running.
    pub fn is_running(&mut self, i: usize) -> bool {
        self.members[i].process.is_running()
    }

    /// Member `i`'s process id, while running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.members[i].process.pid()
    }

    /// The last lines of member `i`'s log.
    pub fn log_tail(&self, i: usize) -> String {
        self.members[i].process.log_tail()
    }
}
