//! Child processes owned by a guard: killed and reaped when the guard is dropped, also when
//! the test that started them panics, and never writing to the test runner's standard output
//! or error (a child holding them open keeps whoever reads the test output waiting). What a
//! child starts itself (tshark's dumpcap) is killed with it. Children stay in the test
//! runner's process group, so a Ctrl-C on the runner still reaches them. tcpdump is one such
//! child, with its own start and stop rules.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::install::ensure_program;
use crate::Error;

fn append(path: &Path) -> Result<File, Error> {
    File::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(Error::io(format!("creating {}", path.display())))
}

/// A running child process, killed and reaped on drop, never writing to the test runner's
/// output.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
    what: String,
}

impl ChildGuard {
    /// Starts `cmd` with no standard input and its output (both streams) appended to `log`.
    pub fn spawn(cmd: Command, log: &Path) -> Result<ChildGuard, Error> {
        let out = append(log)?;
        let err = out
            .try_clone()
            .map_err(Error::io(format!("creating {}", log.display())))?;
        Self::spawn_with(cmd, out, err)
    }

    /// Starts `cmd` with no standard input, its standard output appended to `stdout` and its
    /// standard error to `stderr`.
    pub fn spawn_split(cmd: Command, stdout: &Path, stderr: &Path) -> Result<ChildGuard, Error> {
        Self::spawn_with(cmd, append(stdout)?, append(stderr)?)
    }

    fn spawn_with(mut cmd: Command, out: File, err: File) -> Result<ChildGuard, Error> {
        let what = format!("{:?}", cmd.get_program());
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(Error::io(format!("starting {what}")))?;
        Ok(ChildGuard {
            child: Some(child),
            what,
        })
    }

    /// The process id (`None` once it was waited for).
    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends a signal by name (`INT`, `TERM`, `STOP`, ...).
    pub fn signal(&self, name: &str) -> Result<(), Error> {
        let Some(pid) = self.id() else {
            return Err(Error::StartFailed(format!("{} is not running", self.what)));
        };
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .status()
            .map_err(Error::io(format!("sending SIG{name} to {}", self.what)))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::StartFailed(format!(
                "kill -{name} {pid} exited with {status}"
            )))
        }
    }

    /// Whether it has not exited yet.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Waits at most `limit` for it to exit; kills it when it has not. Returns its status.
    pub fn wait_or_kill(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        kill_tree(&mut child);
        child.wait().ok()
    }
}

/// SIGKILL to the processes the child started (killing only the child would leave them to
/// init, still running), then to the child.
fn kill_tree(child: &mut Child) {
    let _ = Command::new("pkill")
        .args(["-KILL", "-P", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(&mut child);
            let _ = child.wait();
        }
    }
}

/// tcpdump writing a capture file, stopped (and its last packets flushed) by
/// [`Tcpdump::stop`], or killed when dropped. Installs tcpdump when it is missing (see
/// [`crate::ensure_program`]).
///
/// ```no_run
/// let capture = zk_testkit::Tcpdump::start("/tmp/x.pcap".as_ref(), "tcp port 2181")?;
/// // ... traffic ...
/// capture.stop();
/// # Ok::<(), zk_testkit::Error>(())
/// ```
#[derive(Debug)]
pub struct Tcpdump {
    guard: ChildGuard,
}

impl Tcpdump {
    /// Captures packets of loopback matching `filter` into `file` (pcap, microseconds), and
    /// returns once tcpdump says it is listening.
    pub fn start(file: &Path, filter: &str) -> Result<Tcpdump, Error> {
        ensure_program("tcpdump")?;
        let log = file.with_extension("tcpdump.log");
        let _ = std::fs::remove_file(&log);
        let mut cmd = Command::new("tcpdump");
        // Immediate mode: without it, packets wait in the kernel ring for up to a second and
        // those of the last moments are lost when tcpdump is stopped.
        // A 16 MiB kernel buffer: a busy loopback (an ensemble syncing) must not drop packets.
        cmd.args([
            "-i",
            "lo",
            "--immediate-mode",
            "-U",
            "-B",
            "16384",
            "-s",
            "0",
            "-w",
        ])
        .arg(file)
        .arg(filter);
        let mut guard = ChildGuard::spawn(cmd, &log)?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.contains("listening on") {
                return Ok(Tcpdump { guard });
            }
            if !guard.is_running() || Instant::now() > deadline {
                return Err(Error::StartFailed(format!("tcpdump did not start: {said}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it with SIGINT, so it writes out what it holds, and waits for it (killing it
    /// after 10 s).
    pub fn stop(mut self) {
        let _ = self.guard.signal("INT");
        self.guard.wait_or_kill(Duration::from_secs(10));
    }
}

/// Waits at most 10 s until the capture `file` (pcap or pcapng) holds a packet, calling
/// `poke` between looks to make some traffic (a four-letter word, say): a capture started
/// just before is then known to record.
///
/// ```no_run
/// # let server = zk_testkit::TestServer::start()?;
/// # let file = server.dir().join("x.pcap");
/// let capture = zk_testkit::Tcpdump::start(&file, "tcp")?;
/// zk_testkit::wait_recording(&file, || {
///     let _ = server.four_letter_word("ruok");
/// })?;
/// # Ok::<(), zk_testkit::Error>(())
/// ```
pub fn wait_recording(file: &Path, mut poke: impl FnMut()) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(10);
    // 24 bytes: a pcap file header and no packet yet.
    while std::fs::metadata(file).map_or(0, |m| m.len()) <= 24 {
        if Instant::now() > deadline {
            return Err(Error::StartFailed(format!(
                "the capture {} records nothing",
                file.display()
            )));
        }
        poke();
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
