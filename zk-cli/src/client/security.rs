//! The global options that secure the connection: TLS (`--tls-*`).

use std::path::PathBuf;

use zk_client::TlsOptions;

use crate::error::{code, CmdError};

/// TLS to the servers' `secureClientPort`. Any `--tls-*` option turns TLS on.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Trust the CA certificates in this PEM file (repeatable; without it, the system's CAs).
    #[arg(long = "tls-ca", value_name = "FILE", global = true)]
    pub ca: Vec<PathBuf>,
    /// Present this certificate chain (PEM) for mutual TLS; needs --tls-key.
    #[arg(long = "tls-cert", value_name = "FILE", global = true)]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long = "tls-key", value_name = "FILE", global = true)]
    pub key: Option<PathBuf>,
    /// Accept a server certificate issued for another host name (the CA and the dates are
    /// still checked).
    #[arg(long = "tls-no-verify-hostname", global = true)]
    pub no_verify_hostname: bool,
}

impl TlsArgs {
    /// The client's TLS options, or `None` when no `--tls-*` option was given.
    pub fn options(&self) -> Result<Option<TlsOptions>, CmdError> {
        if self.ca.is_empty()
            && self.cert.is_none()
            && self.key.is_none()
            && !self.no_verify_hostname
        {
            return Ok(None);
        }
        let mut tls = TlsOptions::new();
        for ca in &self.ca {
            tls = tls.ca_file(ca);
        }
        if self.ca.is_empty() {
            tls = tls.system_roots();
        }
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => tls = tls.identity_files(cert, key),
            (None, None) => {}
            _ => {
                return Err(CmdError::new(
                    code::USAGE,
                    "--tls-cert and --tls-key go together",
                ))
            }
        }
        if self.no_verify_hostname {
            tls = tls.no_hostname_verification();
        }
        Ok(Some(tls))
    }
}
