//! A standalone server process.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::install::ensure_installed;
use crate::process::{fresh_dir, write_file, JavaProcess};
use crate::tls::{netty_classpath, ServerTls};
use crate::Error;

/// Settings of a [`TestServer`].
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `tickTime` in milliseconds (sessions last at least 2 ticks). Default 500.
    pub tick_time_ms: u32,
    /// `maxSessionTimeout` in milliseconds. Default 60 s (ZooKeeper's own default is 20 ticks,
    /// 10 s here), so a test can keep a session through a server restart on a loaded machine.
    pub max_session_timeout_ms: u32,
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
    /// A TLS port (`secureClientPort`, served by Netty) beside the plain one, with the x509
    /// auth provider. Default none.
    pub tls: Option<ServerTls>,
    /// SASL (DIGEST-MD5 users, or Kerberos), with the `sasl` auth provider. Default none.
    pub sasl: Option<ServerSasl>,
}

/// A server's SASL setup: a JAAS `Server` section with `DigestLoginModule` users (DIGEST-MD5)
/// or, with [`ServerSasl::kerberos`], `Krb5LoginModule` (GSSAPI); and
/// `authProvider.sasl=SASLAuthenticationProvider` so `sasl:` ACLs work.
#[derive(Debug, Clone, Default)]
pub struct ServerSasl {
    /// `(user, password)` pairs.
    pub users: Vec<(String, String)>,
    /// `sessionRequireClientSASLAuth=true`: requests of unauthenticated connections are
    /// refused (`SESSIONCLOSEDREQUIRESASLAUTH`) and the connection closed.
    pub required: bool,
    /// Kerberos instead of the users: the server logs in from a keytab and speaks GSSAPI.
    pub kerberos: Option<ServerKerberos>,
}

/// The server's Kerberos identity (for [`ServerSasl::kerberos`]).
#[derive(Debug, Clone)]
pub struct ServerKerberos {
    /// Its principal with the realm, `zookeeper/localhost@REALM` (ZooKeeper needs the
    /// `/host` part).
    pub principal: String,
    /// The keytab holding its key.
    pub keytab: std::path::PathBuf,
    /// The `krb5.conf` naming the realm and the KDC (`-Djava.security.krb5.conf`).
    pub krb5_conf: std::path::PathBuf,
}

impl ServerSasl {
    /// The JAAS file's text.
    fn jaas(&self) -> String {
        if let Some(k) = &self.kerberos {
            return format!(
                "Server {{\n    com.sun.security.auth.module.Krb5LoginModule required\n    \
                 useKeyTab=true\n    keyTab=\"{}\"\n    storeKey=true\n    \
                 useTicketCache=false\n    principal=\"{}\";\n}};\n",
                k.keytab.display(),
                k.principal
            );
        }
        let users: String = self
            .users
            .iter()
            .map(|(u, p)| format!("\n    user_{u}=\"{p}\""))
            .collect();
        format!(
            "Server {{\n    org.apache.zookeeper.server.auth.DigestLoginModule required{users};\n}};\n"
        )
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            tick_time_ms: 500,
            max_session_timeout_ms: 60_000,
            extended_types: true,
            reconfig: false,
            extra_config: Vec::new(),
            system_properties: Vec::new(),
            start_timeout: Duration::from_secs(60),
            tls: None,
            sasl: None,
        }
    }
}

/// A running standalone ZooKeeper, stopped (and its directory removed) on drop.
#[derive(Debug)]
pub struct TestServer {
    process: JavaProcess,
    addr: SocketAddr,
    secure_addr: Option<SocketAddr>,
    start_timeout: Duration,
}

/// A free loopback port (bound and released; fine for tests on one machine).
/// Server ports come from below Linux's ephemeral range (32768 and up): the kernel never hands
/// one of them to an outgoing connection or to another `bind(0)`, so while a test restarts its
/// server, nothing else can take the port and the test's client cannot reach a stranger.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// The next port to try; ports handed out in this process are not handed out again.
static NEXT_PORT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A port nothing listens on now, never given out before by this process (from 20000 to
/// 31999).
pub fn free_port() -> Result<u16, Error> {
    use std::sync::atomic::Ordering;
    let span = u32::from(PORTS.end - PORTS.start);
    // Processes start at different places, so two test processes rarely meet.
    let start = std::process::id().wrapping_mul(7919) % span;
    let _ = NEXT_PORT.compare_exchange(0, start + 1, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..span {
        let n = NEXT_PORT.fetch_add(1, Ordering::SeqCst) % span;
        let port = PORTS.start + u16::try_from(n).unwrap_or(0);
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(Error::Io {
        context: format!("finding a free port in {PORTS:?}"),
        source: std::io::ErrorKind::AddrInUse.into(),
    })
}

/// Sends a four-letter word (`ruok`, `srvr`, `mntr`, ...) to `addr` and returns the reply.
pub fn four_letter_word(addr: SocketAddr, word: &str) -> Result<String, Error> {
    let ctx = || format!("four-letter word {word} to {addr}");
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(Error::io(ctx()))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(Error::io(ctx()))?;
    s.write_all(word.as_bytes()).map_err(Error::io(ctx()))?;
    // A few MiB is all a four-letter word ever answers; a peer that sends more is cut off.
    let mut out = Vec::new();
    s.take(16 << 20)
        .read_to_end(&mut out)
        .map_err(Error::io(ctx()))?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The `zoo.cfg` lines every test server shares.
pub(crate) fn common_config(o: &ServerOptions, data: &Path) -> String {
    let mut cfg = format!(
        "tickTime={}\nmaxSessionTimeout={}\ndataDir={}\nadmin.enableServer=false\n\
         4lw.commands.whitelist=*\nextendedTypesEnabled={}\nreconfigEnabled={}\n",
        o.tick_time_ms,
        o.max_session_timeout_ms,
        data.display(),
        o.extended_types,
        o.reconfig
    );
    for line in &o.extra_config {
        cfg.push_str(line);
        cfg.push('\n');
    }
    cfg
}

impl TestServer {
    /// Starts a server with the default [`ServerOptions`].
    pub fn start() -> Result<TestServer, Error> {
        Self::start_with(ServerOptions::default())
    }

    /// Starts a server with the given options.
    pub fn start_with(options: ServerOptions) -> Result<TestServer, Error> {
        ensure_installed()?;
        let dir = fresh_dir("standalone")?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let mut cfg = common_config(&options, &dir.join("data"));
        cfg.push_str(&format!(
            "clientPort={}\nclientPortAddress=127.0.0.1\n",
            addr.port()
        ));
        let mut properties = options.system_properties.clone();
        let secure_addr = match &options.tls {
            None => None,
            Some(tls) => {
                let secure = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
                cfg.push_str(&format!(
                    "secureClientPort={}\nsecureClientPortAddress=127.0.0.1\n",
                    secure.port()
                ));
                properties.extend(tls.system_properties());
                Some(secure)
            }
        };
        if let Some(sasl) = &options.sasl {
            cfg.push_str(
                "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n",
            );
            if sasl.required {
                cfg.push_str("sessionRequireClientSASLAuth=true\n");
            }
            write_file(&dir, "jaas.conf", &sasl.jaas())?;
            if let Some(k) = &sasl.kerberos {
                properties.push((
                    "java.security.krb5.conf".into(),
                    k.krb5_conf.display().to_string(),
                ));
            }
            properties.push((
                "java.security.auth.login.config".into(),
                dir.join("jaas.conf").display().to_string(),
            ));
        }
        write_file(&dir, "zoo.cfg", &cfg)?;
        let config = dir.join("zoo.cfg");
        let mut process = JavaProcess::new(
            dir,
            "org.apache.zookeeper.server.ZooKeeperServerMain",
            config,
            properties,
        );
        if options.tls.is_some() {
            process.add_classpath(&netty_classpath());
        }
        let mut server = TestServer {
            process,
            addr,
            secure_addr,
            start_timeout: options.start_timeout,
        };
        server.launch()?;
        Ok(server)
    }

    fn launch(&mut self) -> Result<(), Error> {
        let addr = self.addr;
        let secure = self.secure_addr;
        self.process.launch(self.start_timeout, || {
            four_letter_word(addr, "srvr").is_ok_and(|r| r.starts_with("Zookeeper version"))
                // The TLS port is bound separately, and can come after the plain one.
                && secure.is_none_or(|s| {
                    TcpStream::connect_timeout(&s, Duration::from_secs(2)).is_ok()
                })
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn connect_string(&self) -> String {
        self.addr.to_string()
    }

    /// The client address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TLS port's address, when the server has one ([`ServerOptions::tls`]).
    pub fn secure_addr(&self) -> Option<SocketAddr> {
        self.secure_addr
    }

    /// The server's directory (data in `data/`, `zoo.cfg`, the log in `stdout.log`).
    pub fn dir(&self) -> &Path {
        &self.process.dir
    }

    /// Sends a four-letter word and returns the reply text.
    pub fn four_letter_word(&self, word: &str) -> Result<String, Error> {
        four_letter_word(self.addr, word)
    }

    /// Ends a client's session on purpose (see [`crate::expire_session`]).
    pub fn expire_session(&self, session_id: i64, password: &[u8]) -> Result<(), Error> {
        crate::expire_session(self.addr, session_id, password)
    }

    /// Kills the process (SIGKILL, keeping its data), as a crash would.
    pub fn stop(&mut self) {
        self.process.kill();
    }

    /// Stops the process cleanly (SIGTERM), keeping its data.
    pub fn terminate(&mut self) {
        self.process.terminate();
    }

    /// Freezes the process (SIGSTOP): connections stay open and nothing answers, as a server
    /// stuck in a long GC pause. [`TestServer::thaw`] resumes it.
    pub fn freeze(&mut self) -> Result<(), Error> {
        self.process.freeze()
    }

    /// Resumes a frozen process (SIGCONT).
    pub fn thaw(&mut self) {
        self.process.thaw();
    }

    /// Starts the process again on the same port with the same data; sessions whose timeout has
    /// not passed continue.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.process.kill();
        self.launch()
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }
}
