//! The global options that secure the connection: TLS (`--tls-*`) and SASL (`--sasl-*`).

use std::path::PathBuf;

use zk_client::{SaslOptions, TlsOptions};

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

/// SASL on every connection (`--sasl-*`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SaslArgs {
    /// Authenticate with SASL as this user (DIGEST-MD5: a user of the server's JAAS
    /// `DigestLoginModule`).
    #[arg(long = "sasl-user", value_name = "USER", global = true)]
    pub user: Option<String>,
    /// The SASL password.
    #[arg(
        long = "sasl-password",
        value_name = "PASS",
        env = "ZK_SASL_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub password: Option<String>,
    /// The SASL mechanism (DIGEST-MD5).
    #[arg(
        long = "sasl-mechanism",
        value_name = "NAME",
        default_value = "DIGEST-MD5",
        global = true
    )]
    pub mechanism: String,
}

impl SaslArgs {
    /// The client's SASL options, or `None` without `--sasl-user`.
    pub fn options(&self) -> Result<Option<SaslOptions>, CmdError> {
        // A password alone (ZK_SASL_PASSWORD in the environment) turns nothing on.
        let Some(user) = &self.user else {
            return Ok(None);
        };
        match self.mechanism.to_ascii_uppercase().as_str() {
            "DIGEST-MD5" => {}
            "GSSAPI" => {
                return Err(CmdError::new(
                    code::USAGE,
                    "--sasl-mechanism GSSAPI: Kerberos is not supported yet (DIGEST-MD5 is)",
                ))
            }
            other => {
                return Err(CmdError::new(
                    code::USAGE,
                    format!("--sasl-mechanism {other}: ZooKeeper speaks DIGEST-MD5 or GSSAPI"),
                ))
            }
        }
        let Some(password) = &self.password else {
            return Err(CmdError::new(
                code::USAGE,
                "--sasl-user needs --sasl-password (or ZK_SASL_PASSWORD)",
            ));
        };
        Ok(Some(SaslOptions::digest_md5(user, password)))
    }
}
