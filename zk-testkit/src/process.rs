//! One ZooKeeper JVM: its directory, its process, signals to it, and its log.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::install::ZOOKEEPER_JAR;
use crate::Error;

/// SLF4J's simple binding from Debian's `libslf4j-java` (a dependency of the zookeeper package).
const SLF4J_SIMPLE: &str = "/usr/share/java/slf4j-simple.jar";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh directory under the system's temporary directory, unique to this process.
pub(crate) fn fresh_dir(kind: &str) -> Result<PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!(
        "zk-testkit-{kind}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(dir.join("data"))
        .map_err(Error::io(format!("creating {}", dir.display())))?;
    Ok(dir)
}

/// Writes `text` to `dir/name`.
pub(crate) fn write_file(dir: &Path, name: &str, text: &str) -> Result<(), Error> {
    let p = dir.join(name);
    fs::write(&p, text).map_err(Error::io(format!("writing {}", p.display())))
}

/// A JVM running a ZooKeeper main class in its own directory.
#[derive(Debug)]
pub(crate) struct JavaProcess {
    pub(crate) dir: PathBuf,
    main_class: &'static str,
    config: PathBuf,
    system_properties: Vec<(String, String)>,
    /// Jars after ZooKeeper's on the classpath (`:`-separated), when not empty.
    extra_classpath: String,
    child: Option<Child>,
    frozen: bool,
}

impl JavaProcess {
    pub(crate) fn new(
        dir: PathBuf,
        main_class: &'static str,
        config: PathBuf,
        system_properties: Vec<(String, String)>,
    ) -> Self {
        JavaProcess {
            dir,
            main_class,
            config,
            system_properties,
            extra_classpath: String::new(),
            child: None,
            frozen: false,
        }
    }

    /// Puts these jars (`:`-separated) on the classpath after ZooKeeper's.
    pub(crate) fn add_classpath(&mut self, jars: &str) {
        if !self.extra_classpath.is_empty() {
            self.extra_classpath.push(':');
        }
        self.extra_classpath.push_str(jars);
    }

    /// Starts the JVM (its output goes to `stdout.log`) and waits until `ready` holds.
    pub(crate) fn launch(
        &mut self,
        start_timeout: Duration,
        ready: impl FnMut() -> bool,
    ) -> Result<(), Error> {
        self.spawn()?;
        self.wait_until(start_timeout, ready)
    }

    /// Starts the JVM without waiting (its output goes to `stdout.log`).
    pub(crate) fn spawn(&mut self) -> Result<(), Error> {
        self.kill();
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("stdout.log"))
            .map_err(Error::io("creating the server log"))?;
        let log2 = log
            .try_clone()
            .map_err(Error::io("creating the server log"))?;
        let mut cmd = Command::new("java");
        cmd.current_dir(&self.dir);
        for (k, v) in &self.system_properties {
            cmd.arg(format!("-D{k}={v}"));
        }
        // Debian's package has no SLF4J binding, so the server logs nothing; slf4j-simple (in the
        // same directory when installed) sends its log to stderr, which lands in stdout.log.
        let mut classpath = format!("{}:{ZOOKEEPER_JAR}", self.dir.display());
        if !self.extra_classpath.is_empty() {
            classpath.push(':');
            classpath.push_str(&self.extra_classpath);
        }
        if Path::new(SLF4J_SIMPLE).exists() {
            classpath.push(':');
            classpath.push_str(SLF4J_SIMPLE);
            cmd.arg("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
            cmd.arg("-Dorg.slf4j.simpleLogger.showDateTime=true");
        }
        cmd.arg("-Xmx256m")
            .arg("-XX:+UseSerialGC")
            .arg("-XX:TieredStopAtLevel=1")
            .arg("-cp")
            .arg(classpath)
            .arg(self.main_class)
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd
            .spawn()
            .map_err(|e| Error::StartFailed(format!("cannot run java: {e}")))?;
        self.child = Some(child);
        self.frozen = false;
        Ok(())
    }

    /// Waits until `ready` holds; fails when the process exits or `start_timeout` passes.
    pub(crate) fn wait_until(
        &mut self,
        start_timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), Error> {
        let deadline = Instant::now() + start_timeout;
        loop {
            if ready() {
                return Ok(());
            }
            if let Some(child) = &mut self.child {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(Error::StartFailed(format!(
                        "the server exited with {status}: {}",
                        self.log_tail()
                    )));
                }
            }
            if Instant::now() > deadline {
                let tail = self.log_tail();
                self.kill();
                return Err(Error::StartFailed(format!(
                    "not ready after {start_timeout:?}: {tail}"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the process's log.
    pub(crate) fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.join("stdout.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// SIGKILL, as a crash.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.frozen = false;
    }

    /// SIGTERM (a clean shutdown), then SIGKILL if it is still running after 10 s.
    pub(crate) fn terminate(&mut self) {
        if self.frozen {
            self.thaw();
        }
        if self.signal("TERM").is_ok() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if !self.is_running() {
                    self.child = None;
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.kill();
    }

    fn signal(&self, name: &str) -> Result<(), Error> {
        let Some(child) = &self.child else {
            return Err(Error::StartFailed("the server is not running".into()));
        };
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(child.id().to_string())
            .status()
            .map_err(Error::io(format!("sending SIG{name}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::StartFailed(format!(
                "kill -{name} exited with {status}"
            )))
        }
    }

    /// SIGSTOP: the process stays, its sockets stay open, and nothing answers.
    pub(crate) fn freeze(&mut self) -> Result<(), Error> {
        self.signal("STOP")?;
        self.frozen = true;
        Ok(())
    }

    /// SIGCONT after [`JavaProcess::freeze`].
    pub(crate) fn thaw(&mut self) {
        if self.signal("CONT").is_ok() {
            self.frozen = false;
        }
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for JavaProcess {
    fn drop(&mut self) {
        if self.frozen {
            self.thaw();
        }
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
