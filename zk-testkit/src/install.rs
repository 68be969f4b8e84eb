//! Making sure what the tests need is installed: ZooKeeper and Java, and the programs some
//! tests drive (tcpdump, tmux, a JDK's javac, Wireshark's tshark and editcap). What is missing
//! is installed from Debian's archive with `apt-get` when this process runs as root; otherwise
//! the error names the package to install.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::Error;

/// Where Debian's `zookeeper` package puts the server jar.
pub const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";

/// One install at a time in this process; `apt-get update` once.
static INSTALL: Mutex<bool> = Mutex::new(false);

/// Whether `program` can be started (its `--version` exit code varies: tmux has no such
/// option; starting at all is what counts).
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn have_java() -> bool {
    Command::new("java")
        .arg("-version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

fn zookeeper_present() -> bool {
    Path::new(ZOOKEEPER_JAR).exists() && have_java()
}

/// The Debian package that brings `program`, for the programs the tests use.
pub fn package_of(program: &str) -> Option<&'static str> {
    Some(match program {
        "tcpdump" => "tcpdump",
        "tmux" => "tmux",
        "javac" | "java" => "default-jdk-headless",
        "tshark" | "editcap" | "dumpcap" => "tshark",
        _ => return None,
    })
}

/// Checks that ZooKeeper's jar and `java` are present; when they are not and this process runs
/// as root, installs Debian's `zookeeper` package (which brings Java) with `apt-get`.
pub fn ensure_installed() -> Result<(), Error> {
    ensure(ZOOKEEPER_JAR, "zookeeper", zookeeper_present)
}

/// Checks that `program` (one [`package_of`] knows) can be run; installs its package as
/// [`ensure_installed`] does when it cannot.
///
/// ```no_run
/// zk_testkit::ensure_program("tcpdump")?;
/// # Ok::<(), zk_testkit::Error>(())
/// ```
pub fn ensure_program(program: &str) -> Result<(), Error> {
    let package = package_of(program).ok_or_else(|| {
        Error::NotInstalled(format!("{program}: the test kit does not know its package"))
    })?;
    ensure(program, package, || runs(program))
}

/// Whether Debian's `package` is installed (`dpkg-query` says `install ok installed`).
fn package_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "install ok installed")
}

/// Checks that Debian's `packages` are installed; installs those that are not as
/// [`ensure_installed`] does.
///
/// ```no_run
/// zk_testkit::ensure_packages(&["krb5-kdc", "krb5-admin-server"])?;
/// # Ok::<(), zk_testkit::Error>(())
/// ```
pub fn ensure_packages(packages: &[&str]) -> Result<(), Error> {
    for package in packages {
        ensure(package, package, || package_installed(package))?;
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn ensure(what: &str, package: &str, present: impl Fn() -> bool) -> Result<(), Error> {
    let mut updated = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if present() {
        return Ok(());
    }
    if !is_root() {
        return Err(Error::NotInstalled(format!(
            "{what} is missing; install Debian's {package} package \
             (sudo apt-get install -y {package}) or run the tests as root"
        )));
    }
    if Command::new("apt-get")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err(Error::NotInstalled(format!(
            "{what} is missing and there is no apt-get to install the {package} package"
        )));
    }
    let run = |args: &[&str]| -> Result<(), Error> {
        let out = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::NotInstalled(format!("cannot run apt-get: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::NotInstalled(format!(
                "apt-get {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    };
    if !*updated {
        run(&["update", "-q"])?;
        *updated = true;
    }
    run(&["install", "-y", "-q", package])?;
    if present() {
        Ok(())
    } else {
        Err(Error::NotInstalled(format!(
            "installed the {package} package but {what} is still missing"
        )))
    }
}
