//! Talking to ZooKeeper: the client commands (one-shot, `zk -s HOSTS CMD ...`), the
//! interactive shell, and the four-letter words.

pub mod commands;
pub mod fourlw;
mod handlers;
pub mod paths;
pub mod render;
pub mod security;
pub mod shell;

use std::time::Duration;

use zk_client::{Client, ClientBuilder, Error, SaslOptions, TlsOptions};

use crate::error::{code, CmdError};
use zk_cli::show::DataFormat;

/// What every command runs with: the servers, the session (made on first use), the shell's
/// current directory and the output style.
pub struct Ctx {
    /// The connect string.
    pub hosts: String,
    /// Session timeout.
    pub timeout: Duration,
    client: Option<Client>,
    /// The current directory (`cd`), for relative paths.
    pub cwd: String,
    /// JSON output.
    pub json: bool,
    /// Whether this is the interactive shell (watches print in the background).
    pub interactive: bool,
    /// TLS on the connection, when set.
    pub tls: Option<TlsOptions>,
    /// SASL on every connection, when set.
    pub sasl: Option<SaslOptions>,
    /// In the shell: prints a background watch's events above the prompt (the line being
    /// typed is drawn again below them) instead of over it.
    pub printer: Option<EventPrinter>,
    /// Whether a read-only server may be used (`-r`, as `zkCli.sh -r`).
    pub read_only: bool,
}

/// Prints lines above the shell's prompt (rustyline's external printer).
pub type EventPrinter = std::sync::Arc<std::sync::Mutex<dyn rustyline::ExternalPrinter + Send>>;

/// Prints one event line from a background watch: above the prompt in the shell, else on
/// standard output. `line` is escaped here.
pub fn print_event(printer: Option<&EventPrinter>, line: &str) {
    let line = zk_cli::show::escape(line);
    if let Some(p) = printer {
        if let Ok(mut p) = p.lock() {
            if p.print(format!("{line}\n")).is_ok() {
                return;
            }
        }
    }
    println!("{line}");
}

impl Ctx {
    /// A context for `hosts`.
    pub fn new(hosts: String, timeout: Duration, json: bool) -> Self {
        Ctx {
            hosts,
            timeout,
            client: None,
            cwd: "/".into(),
            json,
            interactive: false,
            tls: None,
            sasl: None,
            printer: None,
            read_only: false,
        }
    }

    /// The server the client is connected to, for the shell's prompt; the connect string with
    /// "(not connected)" otherwise.
    pub fn server_label(&self) -> String {
        match self.client.as_ref().and_then(Client::connected_server) {
            Some(server) => server.to_string(),
            None => format!("{} (not connected)", self.hosts),
        }
    }

    /// The session, connecting on first use.
    pub async fn client(&mut self) -> Result<Client, CmdError> {
        if let Some(c) = &self.client {
            if !c.state().is_terminal() {
                return Ok(c.clone());
            }
        }
        let mut builder = ClientBuilder::new(self.hosts.clone())
            .session_timeout(self.timeout)
            .read_only(self.read_only)
            .fail_fast(true);
        if let Some(tls) = &self.tls {
            builder = builder.tls(tls.clone());
        }
        if let Some(sasl) = &self.sasl {
            builder = builder.sasl(sasl.clone());
        }
        let c = builder
            .connect()
            .await
            .map_err(|e| failure("connecting", e))?;
        self.client = Some(c.clone());
        Ok(c)
    }

    /// The session if one is open (for completion).
    pub fn existing_client(&self) -> Option<Client> {
        self.client.clone()
    }

    /// Ends the session.
    pub async fn close(&mut self) {
        if let Some(c) = self.client.take() {
            c.close().await;
        }
    }
}

/// The command error for a client error: exit code 3 when the servers, the session or the
/// credentials are the problem, 4 for ZooKeeper's answer, 2 for a bad argument.
pub fn failure(what: &str, e: Error) -> CmdError {
    let c = match e {
        // Credentials refused while connecting (SASL) or by addauth: authentication failed.
        Error::AuthFailed => code::CONNECTION,
        Error::ConnectionLoss
        | Error::SessionExpired
        | Error::NoHosts(_)
        | Error::Tls { .. }
        | Error::Timeout
        | Error::Closed
        | Error::Protocol { .. } => code::CONNECTION,
        Error::InvalidPath { .. }
        | Error::InvalidArgument(_)
        | Error::InvalidConnectString(_)
        | Error::RequestTooLarge { .. } => code::USAGE,
        _ => code::SERVER,
    };
    CmdError::new(c, format!("{what}: {e}"))
}

/// How data is shown, from the `--hex`/`--base64` flags.
pub fn data_format(hex: bool, base64: bool) -> DataFormat {
    if hex {
        DataFormat::Hex
    } else if base64 {
        DataFormat::Base64
    } else {
        DataFormat::Auto
    }
}
