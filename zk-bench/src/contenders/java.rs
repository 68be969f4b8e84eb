//! ZooKeeper's Java client: `java/BenchClient.java`, compiled with `javac` against the
//! installed `zookeeper.jar` and run as a child process per measurement.

use std::path::{Path, PathBuf};
use std::process::Command;

use zk_testkit::ZOOKEEPER_JAR;

/// The program's source, compiled at run time.
const SOURCE: &str = include_str!("../../java/BenchClient.java");

/// Compiles the program into `dir`; returns the classpath to run it with.
pub fn compile(dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let src = dir.join("BenchClient.java");
    std::fs::write(&src, SOURCE).map_err(|e| format!("{}: {e}", src.display()))?;
    super::run_checked(
        Command::new("javac")
            .args(["-nowarn", "-cp", ZOOKEEPER_JAR, "-d"])
            .arg(dir)
            .arg(&src),
        "javac",
    )?;
    Ok(format!("{}:{ZOOKEEPER_JAR}", dir.display()))
}

/// The command running one measurement.
pub fn command(
    classpath: &str,
    scenario: &str,
    server: &str,
    warmup_ms: u64,
    measure_ms: u64,
) -> Command {
    let mut cmd = Command::new("java");
    cmd.args(["-Xmx1g", "-cp", classpath, "BenchClient", scenario, server])
        .arg(warmup_ms.to_string())
        .arg(measure_ms.to_string());
    cmd
}

/// Where the compiled program goes.
pub fn build_dir() -> PathBuf {
    std::env::temp_dir().join(format!("zk-bench-java-{}", std::process::id()))
}
