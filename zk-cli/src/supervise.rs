//! The command `zk lock` and `zk leader` run while they hold: started in a process group of
//! its own, so that everything it starts is stopped together, and never left running once the
//! lock is released, whichever way `zk` ends.
//!
//! - The command exits: whatever it left running in its group is stopped too (SIGTERM, then
//!   SIGKILL after the grace period) before the lock is released.
//! - The lock is lost: the group gets SIGTERM, then SIGKILL after the grace period.
//! - `zk` gets SIGTERM, SIGINT, SIGHUP or SIGQUIT: the signal is passed to the group, which
//!   gets the grace period to stop (then SIGKILL); only then is the lock released, and `zk`
//!   exits with 128 + the signal's number, as a shell reports a process a signal ended.
//!
//! On Linux `zk` makes itself a child subreaper, so that processes of the group whose parent
//! exited are its children and can be waited for. A SIGKILL of `zk` itself cannot be passed
//! on: its session then ends at the session timeout with the command still running, which is
//! what `--grace-ms` and fencing tokens are for.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;
use tokio::signal::unix::{signal, SignalKind};

use crate::error::CmdError;

/// The signals `zk` passes to its command: installed before the lock is taken, so that a
/// signal while waiting for it ends the wait instead of `zk`.
pub(crate) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl Signals {
    /// Takes over SIGTERM, SIGINT, SIGHUP and SIGQUIT for the rest of the process.
    pub(crate) fn install() -> Result<Signals, CmdError> {
        let on = |kind| {
            signal(kind).map_err(|e| CmdError::data(format!("installing a signal handler: {e}")))
        };
        Ok(Signals {
            term: on(SignalKind::terminate())?,
            int: on(SignalKind::interrupt())?,
            hup: on(SignalKind::hangup())?,
            quit: on(SignalKind::quit())?,
        })
    }

    /// The next of those signals to arrive.
    pub(crate) async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.term.recv() => Signal::SIGTERM,
            _ = self.int.recv() => Signal::SIGINT,
            _ = self.hup.recv() => Signal::SIGHUP,
            _ = self.quit.recv() => Signal::SIGQUIT,
        }
    }
}

/// The exit status that reports an end by `sig`.
pub(crate) fn signal_status(sig: Signal) -> u8 {
    u8::try_from(128 + sig as i32).unwrap_or(u8::MAX)
}

/// How the command's run ended.
pub(crate) enum End<L> {
    /// It exited by itself.
    Exited(std::process::ExitStatus),
    /// What it ran under was lost.
    Lost(L),
    /// `zk` was sent this signal.
    Signalled(Signal),
}

/// A command running in a process group of its own.
pub(crate) struct Group {
    child: tokio::process::Child,
    /// The group's id (the command's process id).
    pgid: Option<Pid>,
    /// Whether the command itself was waited for.
    exited: bool,
}

impl Group {
    /// Starts `program` with `args` and `env` as the leader of a new process group.
    pub(crate) fn spawn(
        program: &str,
        args: &[String],
        env: &[(&str, String)],
    ) -> Result<Group, CmdError> {
        #[cfg(target_os = "linux")]
        let _ = nix::sys::prctl::set_child_subreaper(true);
        let child = tokio::process::Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| CmdError::usage(format!("cannot run {program}: {e}")))?;
        let pgid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .map(Pid::from_raw);
        Ok(Group {
            child,
            pgid,
            exited: false,
        })
    }

    /// Runs until the command exits, `lost` resolves or `signals` brings a signal.
    pub(crate) async fn run<L>(
        &mut self,
        lost: impl std::future::Future<Output = L>,
        signals: &mut Signals,
    ) -> Result<End<L>, CmdError> {
        let end = tokio::select! {
            status = self.child.wait() => {
                self.exited = true;
                End::Exited(status.map_err(|e| CmdError::data(format!("waiting for the command: {e}")))?)
            }
            loss = lost => End::Lost(loss),
            sig = signals.recv() => End::Signalled(sig),
        };
        Ok(end)
    }

    /// Sends `sig` to every process of the group; false when none is left.
    fn signal(&self, sig: Signal) -> bool {
        self.pgid
            .is_some_and(|g| kill(Pid::from_raw(-g.as_raw()), sig).is_ok())
    }

    /// Whether a process of the group is left (reaping those that are this process's children
    /// once the command itself was waited for).
    fn any_left(&mut self) -> bool {
        let Some(g) = self.pgid else {
            return false;
        };
        if !self.exited {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => self.exited = true,
                Ok(None) => return true,
            }
        }
        // Reaping by group only once the leader was waited for: tokio waits for the leader.
        while let Ok(status) = waitpid(Pid::from_raw(-g.as_raw()), Some(WaitPidFlag::WNOHANG)) {
            if status == nix::sys::wait::WaitStatus::StillAlive {
                break;
            }
        }
        kill(Pid::from_raw(-g.as_raw()), None).is_ok()
    }

    /// Waits up to `limit` for the group to be empty; whether it is.
    async fn wait_empty(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if !self.any_left() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the whole group: `first` (SIGTERM, or the signal `zk` got), then SIGKILL for what
    /// is left after `grace`. Returns once no process of the group is left (or, should a
    /// process not die even of SIGKILL, after 5 s more).
    pub(crate) async fn stop(&mut self, first: Signal, grace: Duration) {
        if !self.any_left() {
            return;
        }
        self.signal(first);
        if self.wait_empty(grace).await {
            return;
        }
        self.signal(Signal::SIGKILL);
        self.wait_empty(Duration::from_secs(5)).await;
    }
}
