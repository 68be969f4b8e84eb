//! Apache Curator 5.4 (Debian's jars, installed when missing) as a contender in interop
//! tests: a small Java program that takes a recipe (InterProcessMutex or LeaderLatch) on a
//! path round after round, appending `curator in` / `curator out` lines around its critical
//! section to a shared log; and the check that such a log never overlaps.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::install::{ensure_installed, ensure_packages, ensure_program};
use crate::Error;

/// The Debian packages with Curator's jars.
pub const CURATOR_PACKAGES: &[&str] = &["libcurator-recipes-java", "libcurator-framework-java"];

const JARS: &[&str] = &[
    "curator-recipes.jar",
    "curator-framework.jar",
    "curator-client.jar",
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "guava.jar",
    "slf4j-api.jar",
];

const SOURCE: &str = include_str!("../java/CuratorContender.java");

/// Which Curator recipe the contender takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CuratorRecipe {
    /// `InterProcessMutex`.
    Mutex,
    /// The read side of `InterProcessReadWriteLock`.
    ReadLock,
    /// The write side of `InterProcessReadWriteLock`.
    WriteLock,
    /// `LeaderLatch` (a new latch, with id `curator-<round>`, every round).
    LeaderLatch,
    /// `InterProcessSemaphoreV2` of 2 leases, taken by two threads (markers `curator-0`,
    /// `curator-1`).
    Semaphore2,
    /// Two threads in a `DistributedDoubleBarrier` of `rounds` members: markers
    /// `curator-N arrive|entered|leaving|left`.
    DoubleBarrier,
    /// A `CuratorCache` of the path: logs `curator ready` once initialized; when the file
    /// `<log>.go` appears it writes its view to `<log>.tree` as sorted `path hex` lines.
    Cache,
    /// `SharedCount` (seeded 0): adds 1 per round with `trySetCount`, logging `curator add`.
    SharedCount,
    /// `DistributedAtomicLong`: `increment()` per round, logging `curator add`.
    AtomicLong,
}

/// The compiled contender, in its own directory (removed on drop).
#[derive(Debug)]
pub struct CuratorContender {
    dir: PathBuf,
}

impl Drop for CuratorContender {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl CuratorContender {
    /// Installs what it needs (ZooKeeper, a JDK, Curator) and compiles the program into a
    /// fresh directory named after `name`.
    pub fn compile(name: &str) -> Result<CuratorContender, Error> {
        ensure_installed()?;
        ensure_program("javac")?;
        ensure_packages(CURATOR_PACKAGES)?;
        let dir = std::env::temp_dir().join(format!("zk-curator-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::StartFailed(format!("{}: {e}", dir.display())))?;
        let source = dir.join("CuratorContender.java");
        std::fs::write(&source, SOURCE)
            .map_err(|e| Error::StartFailed(format!("{}: {e}", source.display())))?;
        let contender = CuratorContender { dir };
        let javac = Command::new("javac")
            .arg("-cp")
            .arg(contender.classpath())
            .arg("-d")
            .arg(&contender.dir)
            .arg(&source)
            .output()
            .map_err(|e| Error::StartFailed(format!("javac: {e}")))?;
        if !javac.status.success() {
            return Err(Error::StartFailed(format!(
                "javac CuratorContender.java: {}",
                String::from_utf8_lossy(&javac.stderr)
            )));
        }
        Ok(contender)
    }

    fn classpath(&self) -> String {
        let mut parts = vec![self.dir.display().to_string()];
        parts.extend(JARS.iter().map(|j| format!("/usr/share/java/{j}")));
        parts.join(":")
    }

    /// A file in the contender's directory (for the shared log).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Starts a Java process taking `recipe` on `path` `rounds` times (holding a lock or
    /// leadership 20 ms each time; adding 1 to a counter) and appending its markers to `log`.
    /// Its stdout and stderr are piped.
    pub fn spawn(
        &self,
        connect: &str,
        recipe: CuratorRecipe,
        path: &str,
        rounds: usize,
        log: &Path,
    ) -> Result<Child, Error> {
        let kind = match recipe {
            CuratorRecipe::Mutex => "mutex",
            CuratorRecipe::ReadLock => "read",
            CuratorRecipe::WriteLock => "write",
            CuratorRecipe::LeaderLatch => "latch",
            CuratorRecipe::Semaphore2 => "semaphore",
            CuratorRecipe::DoubleBarrier => "double",
            CuratorRecipe::Cache => "cache",
            CuratorRecipe::SharedCount => "count",
            CuratorRecipe::AtomicLong => "long",
        };
        Command::new("java")
            .arg("-cp")
            .arg(self.classpath())
            .arg("CuratorContender")
            .arg(connect)
            .arg(kind)
            .arg(path)
            .arg(rounds.to_string())
            .arg(log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::StartFailed(format!("java CuratorContender: {e}")))
    }
}

/// The turns a shared marker log shows: per side (`curator`, and whatever else wrote lines
/// like `<who> in` / `<who> out`), and how often the holder changed sides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turns {
    /// Turns per side, by name.
    pub by_side: std::collections::BTreeMap<String, usize>,
    /// How often a turn went to another side than the one before.
    pub switches: usize,
}

/// Reads a marker log and checks that the sides never overlapped: every `in` is followed by
/// the same side's `out` before anyone's next `in`. `Err` names the first overlap.
pub fn check_turns(log: &Path) -> Result<Turns, String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut turns = Turns::default();
    let mut holder: Option<&str> = None;
    let mut last: Option<&str> = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(who), Some(what)) = (words.next(), words.next()) else {
            return Err(format!("a line that is not a marker: {line:?}"));
        };
        match (what, holder) {
            ("in", None) => {
                holder = Some(who);
                if last.is_some_and(|l| l != who) {
                    turns.switches += 1;
                }
                last = Some(who);
                *turns.by_side.entry(who.to_string()).or_default() += 1;
            }
            ("out", Some(h)) if h == who => holder = None,
            _ => {
                return Err(format!(
                    "overlap at {line:?} while {holder:?} held:\n{text}"
                ))
            }
        }
    }
    if let Some(h) = holder {
        return Err(format!("{h} never left:\n{text}"));
    }
    Ok(turns)
}

/// For a log of holders that may overlap (a semaphore's): the most holding at once, and the
/// turns per holder. `Err` when a holder's `in` and `out` do not pair up.
pub fn max_holders(
    log: &Path,
) -> Result<(usize, std::collections::BTreeMap<String, usize>), String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut holding = std::collections::BTreeSet::new();
    let mut turns = std::collections::BTreeMap::new();
    let mut max = 0;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(who), Some(what)) = (words.next(), words.next()) else {
            return Err(format!("a line that is not a marker: {line:?}"));
        };
        let paired = match what {
            "in" => holding.insert(who.to_string()),
            "out" => holding.remove(who),
            _ => false,
        };
        if !paired {
            return Err(format!("unpaired marker {line:?}:\n{text}"));
        }
        if what == "in" {
            *turns.entry(who.to_string()).or_default() += 1;
        }
        max = max.max(holding.len());
    }
    Ok((max, turns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_are_found() {
        let dir = std::env::temp_dir().join(format!("zk-turns-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("log");
        std::fs::write(&log, "a in\na out\nb in\nb out\na in\na out\n").unwrap();
        let t = check_turns(&log).unwrap();
        assert_eq!((t.by_side["a"], t.by_side["b"], t.switches), (2, 1, 2));
        std::fs::write(&log, "a in\nb in\nb out\na out\n").unwrap();
        assert!(check_turns(&log)
            .unwrap_err()
            .starts_with("overlap at \"b in\""));
        std::fs::write(&log, "a in\n").unwrap();
        assert!(check_turns(&log).is_err());
        std::fs::write(&log, "a in\nb in\na out\nc in\nb out\nc out\n").unwrap();
        let (max, turns) = max_holders(&log).unwrap();
        assert_eq!((max, turns.len()), (2, 3));
        std::fs::write(&log, "a in\na in\n").unwrap();
        assert!(max_holders(&log).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
