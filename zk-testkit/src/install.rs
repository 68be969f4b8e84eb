//! Making sure ZooKeeper and Java are installed.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use crate::Error;

/// Where Debian's `zookeeper` package puts the server jar.
pub const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";

static INSTALL: Mutex<()> = Mutex::new(());

fn have_java() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Checks that ZooKeeper's jar and `java` are present; when they are not and this process runs
/// as root, installs Debian's `zookeeper` package (which brings Java) with `apt-get`.
pub fn ensure_installed() -> Result<(), Error> {
    let _guard = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if Path::new(ZOOKEEPER_JAR).exists() && have_java() {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !is_root {
        return Err(Error::NotInstalled(format!(
            "{ZOOKEEPER_JAR} or java is missing; install Debian's zookeeper package \
             (sudo apt-get install -y zookeeper) or run scripts/install-zookeeper.sh"
        )));
    }
    let run = |args: &[&str]| -> Result<(), Error> {
        let out = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
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
    run(&["update", "-q"])?;
    run(&["install", "-y", "-q", "zookeeper"])?;
    if Path::new(ZOOKEEPER_JAR).exists() && have_java() {
        Ok(())
    } else {
        Err(Error::NotInstalled(format!(
            "installed the zookeeper package but {ZOOKEEPER_JAR} or java is still missing"
        )))
    }
}
