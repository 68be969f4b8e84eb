//! The contenders: a raw connection, this client, `zookeeper-client`, and ZooKeeper's Java
//! client (a separate JVM).

pub mod java;
pub mod kezhuw;
pub mod ours;
pub mod raw;

/// Who is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    /// Pre-encoded requests on one socket; only reply frames are counted.
    Raw,
    /// This project's `zk-client`.
    Ours,
    /// `zookeeper-client` 0.11 (kezhuw).
    Kezhuw,
    /// `org.apache.zookeeper.ZooKeeper`'s asynchronous API.
    Java,
}

/// Every contender, in report order.
pub const ALL: [Contender; 4] = [
    Contender::Raw,
    Contender::Ours,
    Contender::Kezhuw,
    Contender::Java,
];

impl Contender {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Contender::Raw => "raw",
            Contender::Ours => "zk-client",
            Contender::Kezhuw => "zookeeper-client",
            Contender::Java => "java",
        }
    }

    /// The contender called `name`.
    pub fn parse(name: &str) -> Option<Contender> {
        ALL.into_iter().find(|c| c.name() == name)
    }
}

/// Runs `cmd` to its end; an error names `what` and carries its stderr when it fails.
pub fn run_checked(cmd: &mut std::process::Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}
