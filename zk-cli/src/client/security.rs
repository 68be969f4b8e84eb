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
    /// Accept a server certificate issued for another host name: turns off the check that the
    /// certificate names the server (its CA and dates are still checked). Needs --tls-ca, so
    /// that only that CA's certificates are accepted: with the system's CAs, anyone who can get
    /// a certificate for any name could pass as the server.
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
        if self.no_verify_hostname && self.ca.is_empty() {
            return Err(CmdError::usage(
                "--tls-no-verify-hostname needs --tls-ca: with the system's CAs it would accept \
                 a certificate for any name from any of them",
            ));
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

/// SASL on every connection (`--sasl-*`, `--keytab`).
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
    /// The SASL mechanism: DIGEST-MD5 (with --sasl-user), or GSSAPI for Kerberos (with the
    /// credential cache of `kinit`, or --keytab).
    #[arg(
        long = "sasl-mechanism",
        value_name = "NAME",
        default_value = "DIGEST-MD5",
        global = true
    )]
    pub mechanism: String,
    /// GSSAPI: authenticate as this Kerberos principal (`app@EXAMPLE.COM`). Default: the
    /// credential cache's.
    #[arg(long = "sasl-principal", value_name = "PRINCIPAL", global = true)]
    pub principal: Option<String>,
    /// GSSAPI: the servers' principal (`zookeeper/zk1.example.com@EXAMPLE.COM`). Default:
    /// `zookeeper/<host>` for each host of -s.
    #[arg(
        long = "sasl-server-principal",
        value_name = "PRINCIPAL",
        global = true
    )]
    pub server_principal: Option<String>,
    /// GSSAPI: log in from this keytab (into a credential cache private to this zk) instead
    /// of using the credential cache.
    #[arg(long = "keytab", value_name = "FILE", global = true)]
    pub keytab: Option<PathBuf>,
}

impl SaslArgs {
    /// The client's SASL options, or `None` when no SASL is asked for (no `--sasl-user`, and
    /// the mechanism is not GSSAPI).
    ///
    /// With `--keytab`, sets `KRB5_CLIENT_KTNAME` and a private `KRB5CCNAME` for this
    /// process: call it before any thread starts.
    pub fn options(&self) -> Result<Option<SaslOptions>, CmdError> {
        let usage = |m: String| Err(CmdError::new(code::USAGE, m));
        match self.mechanism.to_ascii_uppercase().as_str() {
            "DIGEST-MD5" => {
                for (given, option) in [
                    (self.principal.is_some(), "--sasl-principal"),
                    (self.server_principal.is_some(), "--sasl-server-principal"),
                    (self.keytab.is_some(), "--keytab"),
                ] {
                    if given {
                        return usage(format!(
                            "{option} is for Kerberos: add --sasl-mechanism GSSAPI"
                        ));
                    }
                }
                // A password alone (ZK_SASL_PASSWORD in the environment) turns nothing on.
                let Some(user) = &self.user else {
                    return Ok(None);
                };
                let Some(password) = &self.password else {
                    return usage("--sasl-user needs --sasl-password (or ZK_SASL_PASSWORD)".into());
                };
                Ok(Some(SaslOptions::digest_md5(user, password)))
            }
            "GSSAPI" => {
                if self.user.is_some() {
                    return usage(
                        "--sasl-user is for DIGEST-MD5; with GSSAPI, --sasl-principal names \
                         the Kerberos principal"
                            .into(),
                    );
                }
                self.gssapi()
            }
            other => usage(format!(
                "--sasl-mechanism {other}: ZooKeeper speaks DIGEST-MD5 or GSSAPI"
            )),
        }
    }

    #[cfg(feature = "gssapi")]
    fn gssapi(&self) -> Result<Option<SaslOptions>, CmdError> {
        if let Some(keytab) = &self.keytab {
            // Read now, so that a wrong path is named here rather than as a Kerberos error.
            if let Err(e) = std::fs::File::open(keytab) {
                return Err(CmdError::new(
                    code::USAGE,
                    format!("--keytab {}: {e}", keytab.display()),
                ));
            }
            // MIT Kerberos gets a ticket from the client keytab by itself; the cache is this
            // process's own, so the user's (kinit's) is neither used nor changed.
            std::env::set_var("KRB5_CLIENT_KTNAME", keytab);
            std::env::set_var("KRB5CCNAME", format!("MEMORY:zk-{}", std::process::id()));
        }
        let mut options = zk_client::GssapiOptions::new();
        if let Some(p) = &self.principal {
            options = options.client_principal(p);
        }
        if let Some(p) = &self.server_principal {
            options = options.server_principal(p);
        }
        Ok(Some(SaslOptions::gssapi(options)))
    }

    #[cfg(not(feature = "gssapi"))]
    fn gssapi(&self) -> Result<Option<SaslOptions>, CmdError> {
        Err(CmdError::new(
            code::USAGE,
            "--sasl-mechanism GSSAPI: this zk was built without Kerberos; build it with \
             `cargo build --release -p zk-tools --features gssapi` (needs MIT Kerberos's \
             headers: Debian's libkrb5-dev and libclang-dev)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_the_host_name_check_needs_a_ca_of_ones_own() {
        let args = TlsArgs {
            no_verify_hostname: true,
            ..TlsArgs::default()
        };
        let e = args.options().expect_err("accepted without --tls-ca");
        assert_eq!(e.exit_code(), code::USAGE);
        assert!(e.to_string().contains("needs --tls-ca"), "{e}");
        let args = TlsArgs {
            no_verify_hostname: true,
            ca: vec!["ca.pem".into()],
            ..TlsArgs::default()
        };
        assert!(args.options().is_ok());
    }
}
