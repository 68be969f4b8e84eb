//! kazoo (PyPI) as a contender in interop tests: a Python program that takes kazoo's `Lock`
//! or wins its `Election` on a path round after round, appending `kazoo in` / `kazoo out`
//! lines to a shared log (checked with [`crate::check_turns`]). kazoo is installed with pip
//! into a virtual environment of the test kit's own, once per machine.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// The kazoo version the tests use (the one RECIPES.md observed).
pub const KAZOO_VERSION: &str = "2.11.0";

const SCRIPT: &str = include_str!("../python/kazoo_contender.py");

/// Which kazoo recipe the contender takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KazooRecipe {
    /// `Lock` (identifier `kazoo-<round>`).
    Lock,
    /// `Election.run` (identifier `kazoo-<round>`).
    Election,
}

/// A virtual environment with kazoo, and the contender script in a directory of its own
/// (removed on drop; the environment stays for later runs).
#[derive(Debug)]
pub struct KazooContender {
    python: PathBuf,
    dir: PathBuf,
}

impl Drop for KazooContender {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let out = cmd
        .output()
        .map_err(|e| Error::NotInstalled(format!("{what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::NotInstalled(format!(
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

/// The test kit's virtual environment with kazoo, made (`python3 -m venv`, `pip install`)
/// when missing; concurrent callers wait for the first one to finish. Python's venv module
/// and pip are Debian packages of their own, installed first like the rest of what the
/// tests use.
fn venv() -> Result<PathBuf, Error> {
    crate::ensure_packages(&["python3", "python3-venv", "python3-pip"])?;
    let root = std::env::temp_dir().join(format!("zk-testkit-kazoo-{KAZOO_VERSION}"));
    let python = root.join("bin/python");
    let ready = root.join("ready");
    let lock = std::env::temp_dir().join(format!("zk-testkit-kazoo-{KAZOO_VERSION}.lock"));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if ready.exists() {
            return Ok(python);
        }
        // Whoever creates the lock directory installs; the others wait for "ready".
        if std::fs::create_dir(&lock).is_ok() {
            let result = (|| {
                let _ = std::fs::remove_dir_all(&root);
                run(
                    Command::new("python3").args(["-m", "venv"]).arg(&root),
                    "python3 -m venv",
                )?;
                run(
                    Command::new(&python).args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                        &format!("kazoo=={KAZOO_VERSION}"),
                    ]),
                    "pip install kazoo",
                )?;
                std::fs::write(&ready, b"").map_err(|e| Error::NotInstalled(format!("{e}")))
            })();
            let _ = std::fs::remove_dir(&lock);
            result?;
            return Ok(python);
        }
        if Instant::now() > deadline {
            return Err(Error::NotInstalled(format!(
                "kazoo: waited 300 s for another installation ({})",
                lock.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl KazooContender {
    /// Makes sure kazoo is installed and writes the script into a fresh directory named
    /// after `name`.
    pub fn install(name: &str) -> Result<KazooContender, Error> {
        let python = venv()?;
        let dir = std::env::temp_dir().join(format!("zk-kazoo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::StartFailed(format!("{}: {e}", dir.display())))?;
        std::fs::write(dir.join("kazoo_contender.py"), SCRIPT)
            .map_err(|e| Error::StartFailed(format!("{}: {e}", dir.display())))?;
        Ok(KazooContender { python, dir })
    }

    /// A file in the contender's directory (for the shared log).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Starts a Python process taking `recipe` on `path` `rounds` times, 20 ms each, writing
    /// its markers to `log`. Its stdout and stderr are piped.
    pub fn spawn(
        &self,
        connect: &str,
        recipe: KazooRecipe,
        path: &str,
        rounds: usize,
        log: &Path,
    ) -> Result<Child, Error> {
        let kind = match recipe {
            KazooRecipe::Lock => "lock",
            KazooRecipe::Election => "election",
        };
        Command::new(&self.python)
            .arg(self.dir.join("kazoo_contender.py"))
            .arg(connect)
            .arg(kind)
            .arg(path)
            .arg(rounds.to_string())
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::StartFailed(format!("python kazoo_contender.py: {e}")))
    }
}
