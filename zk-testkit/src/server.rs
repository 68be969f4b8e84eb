//! A standalone server process.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::install::{ensure_installed, ZOOKEEPER_JAR};
use crate::Error;

/// Settings of a [`TestServer`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `tickTime` in milliseconds (sessions may last 2 to 20 ticks). Default 500.
    pub tick_time_ms: u32,
    /// Enables TTL nodes (`extendedTypesEnabled`). Default true.
    pub extended_types: bool,
    /// Enables `reconfig` (`reconfigEnabled`). Default false.
    pub reconfig: bool,
    /// Extra `zoo.cfg` lines.
    pub extra_config: Vec<String>,
    /// Extra JVM system properties (`-Dname=value`).
    pub system_properties: Vec<(String, String)>,
    /// How long to wait for the server to answer. Default 60 s.
    pub start_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tick_time_ms: 500,
            extended_types: true,
            reconfig: false,
            extra_config: Vec::new(),
            system_properties: Vec::new(),
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// A running standalone ZooKeeper, stopped (and its directory removed) on drop.
#[derive(Debug)]
pub struct TestServer {
    child: Option<Child>,
    dir: PathBuf,
    addr: SocketAddr,
    options: ServerOptions,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// SLF4J's simple binding from Debian's `libslf4j-java` (a dependency of the zookeeper package).
const SLF4J_SIMPLE: &str = "/usr/share/java/slf4j-simple.jar";

fn free_port() -> Result<u16, Error> {
    let l =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(Error::io("finding a free port"))?;
    Ok(l.local_addr()
        .map_err(Error::io("finding a free port"))?
        .port())
}

/// Sends a four-letter word (`ruok`, `srvr`, `mntr`, ...) to `addr` and returns the reply.
pub fn four_letter_word(addr: SocketAddr, word: &str) -> Result<String, Error> {
    let ctx = || format!("four-letter word {word} to {addr}");
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(Error::io(ctx()))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(Error::io(ctx()))?;
    s.write_all(word.as_bytes()).map_err(Error::io(ctx()))?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(Error::io(ctx()))?;
    Ok(out)
}

impl TestServer {
    /// Starts a server with the default [`ServerOptions`].
    pub fn start() -> Result<TestServer, Error> {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server with the given options.
    pub fn start_with(options: ServerOptions) -> Result<TestServer, Error> {
        ensure_installed()?;
        let dir = std::env::temp_dir().join(format!(
            "zk-testkit-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(dir.join("data"))
            .map_err(Error::io(format!("creating {}", dir.display())))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let mut server = TestServer {
            child: None,
            dir,
            addr,
            options,
        };
        server.write_config()?;
        server.launch()?;
        Ok(server)
    }

    fn write_config(&self) -> Result<(), Error> {
        let o = &self.options;
        let mut cfg = format!(
            "tickTime={}\ndataDir={}\nclientPort={}\nclientPortAddress=127.0.0.1\n\
             admin.enableServer=false\n4lw.commands.whitelist=*\nextendedTypesEnabled={}\n\
             reconfigEnabled={}\n",
            o.tick_time_ms,
            self.dir.join("data").display(),
            self.addr.port(),
            o.extended_types,
            o.reconfig
        );
        for line in &o.extra_config {
            cfg.push_str(line);
            cfg.push('\n');
        }
        let write = |name: &str, text: &str| {
            let p = self.dir.join(name);
            fs::write(&p, text).map_err(Error::io(format!("writing {}", p.display())))
        };
        write("zoo.cfg", &cfg)?;
        write(
            "log4j.properties",
            "log4j.rootLogger=WARN, F\nlog4j.appender.F=org.apache.log4j.FileAppender\n\
             log4j.appender.F.File=server.log\nlog4j.appender.F.layout=org.apache.log4j.PatternLayout\n\
             log4j.appender.F.layout.ConversionPattern=%d %p %c{1}: %m%n\n",
        )
    }

    fn launch(&mut self) -> Result<(), Error> {
        let log = fs::File::create(self.dir.join("stdout.log"))
            .map_err(Error::io("creating the server log"))?;
        let log2 = log
            .try_clone()
            .map_err(Error::io("creating the server log"))?;
        let mut cmd = Command::new("java");
        cmd.current_dir(&self.dir);
        for (k, v) in &self.options.system_properties {
            cmd.arg(format!("-D{k}={v}"));
        }
        // Debian's package has no SLF4J binding, so the server logs nothing; slf4j-simple (in the
        // same directory when installed) sends its log to stderr, which lands in stdout.log.
        let mut classpath = format!("{}:{ZOOKEEPER_JAR}", self.dir.display());
        if Path::new(SLF4J_SIMPLE).exists() {
            classpath.push(':');
            classpath.push_str(SLF4J_SIMPLE);
            cmd.arg("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
        }
        cmd.arg("-Xmx256m")
            .arg("-cp")
            .arg(classpath)
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(self.dir.join("zoo.cfg"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd
            .spawn()
            .map_err(|e| Error::StartFailed(format!("cannot run java: {e}")))?;
        self.child = Some(child);
        let deadline = Instant::now() + self.options.start_timeout;
        loop {
            if let Ok(reply) = four_letter_word(self.addr, "srvr") {
                if reply.starts_with("Zookeeper version") {
                    return Ok(());
                }
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
                self.kill();
                return Err(Error::StartFailed(format!(
                    "no answer on {} after {:?}: {}",
                    self.addr,
                    self.options.start_timeout,
                    self.log_tail()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        for name in ["stdout.log", "server.log"] {
            if let Ok(t) = fs::read_to_string(self.dir.join(name)) {
                text.push_str(&t);
            }
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's directory (data, configuration, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Sends a four-letter word and returns the reply text.
    pub fn four_letter_word(&self, word: &str) -> Result<String, Error> {
        four_letter_word(self.addr, word)
    }

    /// Ends a client's session on purpose (see [`crate::expire_session`]).
    pub fn expire_session(&self, session_id: i64, password: &[u8]) -> Result<(), Error> {
        crate::expire_session(self.addr, session_id, password)
    }

    /// Stops the process (keeping its data), as a crash would.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts the process again on the same port with the same data; sessions whose timeout has
    /// not passed continue.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.kill();
        self.launch()
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
