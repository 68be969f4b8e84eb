//! How a `zk` command fails: a message for stderr and an exit code that says what kind of
//! failure it was.

/// A failed command.
#[derive(Debug)]
pub struct CmdError {
    message: String,
    code: u8,
}

/// Exit codes.
pub mod code {
    /// Bad input data or a damaged file.
    pub const DATA: u8 = 1;
    /// A bad command line.
    pub const USAGE: u8 = 2;
    /// No server could be reached, or the connection or session was lost.
    pub const CONNECTION: u8 = 3;
    /// ZooKeeper answered with an error (no node, bad version, ...).
    pub const SERVER: u8 = 4;
    /// `zk lock`/`zk leader`: the lock or leadership did not come within `--timeout`.
    pub const NOT_ACQUIRED: u8 = 5;
    /// `zk lock`/`zk leader`: the lock or leadership was lost while the command ran (the
    /// command was stopped).
    pub const LOST: u8 = 6;
}

impl CmdError {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        CmdError {
            message: message.into(),
            code,
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(code::USAGE, message)
    }
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(code::DATA, message)
    }
    /// Writing the output failed. A closed pipe (`zk ls -R / | head`) is not a failure: the
    /// reader has what it wanted, so zk stops quietly with status 0.
    pub fn output(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Self::new(0, "");
        }
        Self::data(format!("writing the output: {e}"))
    }

    /// Exits with `code` and prints nothing (the child command of `zk lock` already spoke).
    pub fn silent(code: u8) -> Self {
        Self::new(code, "")
    }

    /// Whether there is a message to print.
    pub fn has_message(&self) -> bool {
        !self.message.is_empty()
    }

    /// The process exit code (see [`code`]).
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
