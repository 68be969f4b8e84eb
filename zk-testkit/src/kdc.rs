//! A throwaway MIT Kerberos KDC (Debian's `krb5-kdc`) for GSSAPI tests: its own realm, database,
//! `krb5.conf` and `kdc.conf` in a temporary directory, listening on one loopback port (UDP and
//! TCP), with principals made by `kadmin.local` and their keys written to keytabs.
//!
//! Programs find the realm through [`TestKdc::krb5_conf`] (`KRB5_CONFIG` for MIT Kerberos,
//! `-Djava.security.krb5.conf` for Java). The directory can be handed to another process
//! (`ZK_TEST_KDC=<dir>`), which picks the KDC up with [`TestKdc::from_env`].
//!
//! ```no_run
//! let kdc = zk_testkit::TestKdc::start()?;
//! let keytab = kdc.add_principal("zookeeper/localhost")?;
//! println!("{} in {}", keytab.display(), kdc.realm());
//! # Ok::<(), zk_testkit::Error>(())
//! ```

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::child::ChildGuard;
use crate::install::ensure_packages;
use crate::process::{fresh_dir, write_file};
use crate::server::{free_port, ServerKerberos, ServerSasl};
use crate::Error;

/// The realm of every test KDC.
pub const TEST_REALM: &str = "ZKTEST.LOCAL";

/// The environment variable naming a running KDC's directory, for [`TestKdc::from_env`].
pub const KDC_ENV: &str = "ZK_TEST_KDC";

/// The Debian packages a KDC needs (`krb5kdc` and `kdb5_util`; `kadmin.local`).
pub const KDC_PACKAGES: &[&str] = &["krb5-kdc", "krb5-admin-server"];

/// A running KDC (or one attached to with [`TestKdc::from_env`]); stopped, and its directory
/// removed, on drop when this value started it.
#[derive(Debug)]
pub struct TestKdc {
    dir: PathBuf,
    realm: String,
    addr: SocketAddr,
    /// `None` when attached to another process's KDC.
    child: Option<ChildGuard>,
}

fn krb5_conf(realm: &str, port: u16) -> String {
    // No `rdns = false`: clients then canonicalise 127.0.0.1 to `localhost`, as the Java
    // client does, so the default service principal is zookeeper/localhost.
    format!(
        "[libdefaults]\n    default_realm = {realm}\n    dns_lookup_realm = false\n    \
         dns_lookup_kdc = false\n    udp_preference_limit = 1\n    forwardable = false\n\
         [realms]\n    {realm} = {{\n        kdc = 127.0.0.1:{port}\n    }}\n\
         [domain_realm]\n    localhost = {realm}\n"
    )
}

fn kdc_conf(realm: &str, port: u16, dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[kdcdefaults]\n    kdc_listen = 127.0.0.1:{port}\n    kdc_tcp_listen = 127.0.0.1:{port}\n\
         [realms]\n    {realm} = {{\n        database_name = {d}/principal\n        \
         key_stash_file = {d}/stash\n        acl_file = {d}/kadm5.acl\n        \
         supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n    \
         }}\n[logging]\n    kdc = FILE:{d}/kdc.log\n"
    )
}

impl TestKdc {
    /// Installs the KDC's packages when missing (as root, with `apt-get`), makes a realm
    /// ([`TEST_REALM`]) and starts `krb5kdc` on a free loopback port; returns once it accepts
    /// connections.
    pub fn start() -> Result<TestKdc, Error> {
        ensure_packages(KDC_PACKAGES)?;
        let dir = fresh_dir("kdc")?;
        let realm = TEST_REALM.to_string();
        let port = free_port()?;
        write_file(&dir, "krb5.conf", &krb5_conf(&realm, port))?;
        write_file(&dir, "kdc.conf", &kdc_conf(&realm, port, &dir))?;
        write_file(&dir, "kadm5.acl", "")?;
        write_file(&dir, "realm", &realm)?;
        let kdc = TestKdc {
            dir,
            realm,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            child: None,
        };
        kdc.run_tool(
            "kdb5_util",
            &[
                "create",
                "-s",
                "-r",
                TEST_REALM,
                "-P",
                "zk-testkit-master-key",
            ],
        )?;
        let mut cmd = Command::new("krb5kdc");
        cmd.args(["-n", "-r", TEST_REALM]);
        kdc.environment(&mut cmd);
        let child = ChildGuard::spawn(cmd, &kdc.dir.join("krb5kdc.out"))?;
        let mut kdc = kdc;
        kdc.child = Some(child);
        kdc.wait_ready(Duration::from_secs(20))?;
        Ok(kdc)
    }

    /// The KDC another process started and named in [`KDC_ENV`].
    pub fn from_env() -> Result<TestKdc, Error> {
        let dir = std::env::var_os(KDC_ENV)
            .map(PathBuf::from)
            .ok_or_else(|| {
                Error::StartFailed(format!(
                    "{KDC_ENV} is not set: these tests run under the driver that starts the KDC \
                 (tests/tests/gssapi.rs in the workspace: cargo test -p zk-conformance-tests \
                 --test gssapi)"
                ))
            })?;
        let realm = fs::read_to_string(dir.join("realm"))
            .map_err(Error::io(format!("reading {}/realm", dir.display())))?;
        let conf = fs::read_to_string(dir.join("krb5.conf"))
            .map_err(Error::io(format!("reading {}/krb5.conf", dir.display())))?;
        let port = conf
            .split("kdc = 127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or_else(|| {
                Error::StartFailed(format!("no KDC port in {}/krb5.conf", dir.display()))
            })?;
        Ok(TestKdc {
            dir,
            realm: realm.trim().to_string(),
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            child: None,
        })
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + limit;
        loop {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            let running = self.child.as_mut().is_some_and(ChildGuard::is_running);
            if !running || Instant::now() > deadline {
                let log = fs::read_to_string(self.dir.join("krb5kdc.out")).unwrap_or_default();
                return Err(Error::StartFailed(format!(
                    "krb5kdc did not listen on {} ({}): {}",
                    self.addr,
                    if running { "timed out" } else { "exited" },
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The MIT tools' environment: this realm's configuration only, never the machine's.
    fn environment(&self, cmd: &mut Command) {
        cmd.env("KRB5_CONFIG", self.krb5_conf())
            .env("KRB5_KDC_PROFILE", self.dir.join("kdc.conf"));
    }

    fn run_tool(&self, tool: &str, args: &[&str]) -> Result<String, Error> {
        let mut cmd = Command::new(tool);
        cmd.args(args).stdin(Stdio::null());
        self.environment(&mut cmd);
        let out = cmd.output().map_err(Error::io(format!("running {tool}")))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            Ok(text)
        } else {
            Err(Error::StartFailed(format!(
                "{tool} {} exited with {}: {}",
                args.join(" "),
                out.status,
                text.trim()
            )))
        }
    }

    /// Makes `principal` (`zkcli`, `zookeeper/localhost`; the realm is added) with a random
    /// key, and writes its key to [`TestKdc::keytab`]; returns that path.
    pub fn add_principal(&self, principal: &str) -> Result<PathBuf, Error> {
        let full = self.principal(principal);
        self.kadmin(&format!("addprinc -randkey {full}"))?;
        self.write_keytab("", &[full], self.keytab(principal))
    }

    /// Writes the current keys of `principals` (made before) to one keytab, `name` in the
    /// KDC's directory, without changing them (`ktadd -norandkey`); returns its path. For a
    /// client keytab holding several principals.
    pub fn export(&self, principals: &[&str], name: &str) -> Result<PathBuf, Error> {
        let full: Vec<String> = principals.iter().map(|p| self.principal(p)).collect();
        self.write_keytab("-norandkey ", &full, self.dir.join(name))
    }

    /// `ktadd [options]-k keytab principals...`, checked: kadmin.local reports a failed
    /// query on its output and still exits 0.
    fn write_keytab(
        &self,
        options: &str,
        principals: &[String],
        keytab: PathBuf,
    ) -> Result<PathBuf, Error> {
        let names = principals.join(" ");
        let out = self.kadmin(&format!("ktadd {options}-k {} {names}", keytab.display()))?;
        if !keytab.exists() {
            return Err(Error::StartFailed(format!(
                "no keytab for {names}: {}",
                out.trim()
            )));
        }
        Ok(keytab)
    }

    /// One `kadmin.local` query on this realm.
    fn kadmin(&self, query: &str) -> Result<String, Error> {
        self.run_tool("kadmin.local", &["-r", &self.realm, "-q", query])
    }

    /// A ZooKeeper server's SASL setup logging in as `principal` (`zookeeper/localhost`, made
    /// with [`TestKdc::add_principal`]) from its keytab, for [`crate::ServerOptions::sasl`].
    pub fn server_sasl(&self, principal: &str) -> ServerSasl {
        ServerSasl {
            kerberos: Some(ServerKerberos {
                principal: self.principal(principal),
                keytab: self.keytab(principal),
                krb5_conf: self.krb5_conf(),
            }),
            ..ServerSasl::default()
        }
    }

    /// `principal` with this realm (`zkcli` → `zkcli@ZKTEST.LOCAL`).
    pub fn principal(&self, principal: &str) -> String {
        format!("{principal}@{}", self.realm)
    }

    /// Where [`TestKdc::add_principal`] writes the key of `principal`.
    pub fn keytab(&self, principal: &str) -> PathBuf {
        self.dir
            .join(format!("{}.keytab", principal.replace(['/', '@'], "_")))
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The KDC's loopback address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The directory (the value of [`KDC_ENV`] for another process).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `krb5.conf` naming this realm and KDC.
    pub fn krb5_conf(&self) -> PathBuf {
        self.dir.join("krb5.conf")
    }

    /// The KDC's log (requests it granted or refused, with the reason).
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("kdc.log")).unwrap_or_default()
    }
}

impl Drop for TestKdc {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            drop(child);
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
