//! Four-letter words (`ruok`, `srvr`, `mntr`, ...), sent to the first host of the connect
//! string (over TLS with the `--tls-*` options).

use std::time::Duration;

use zk_client::connect_string::ConnectString;
use zk_client::{Error, TlsOptions};

use crate::error::{code, CmdError};

/// The words ZooKeeper 3.8 knows.
pub const WORDS: &[&str] = &[
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "isro", "mntr", "ruok", "srst", "srvr",
    "stat", "wchc", "wchp", "wchs",
];

/// Sends `word` to the first host of `hosts` and returns the reply.
pub async fn send(hosts: &str, word: &str, tls: Option<&TlsOptions>) -> Result<String, CmdError> {
    let cs = ConnectString::parse(hosts).map_err(|e| CmdError::usage(e.to_string()))?;
    let Some((host, port)) = cs.hosts.first() else {
        return Err(CmdError::usage(format!("{hosts}: no host")));
    };
    let limit = Duration::from_secs(5);
    let reply = zk_client::four_letter_word(host, *port, word, tls.cloned(), limit)
        .await
        .map_err(|e| match e {
            Error::Timeout => CmdError::new(
                code::CONNECTION,
                format!("{host}:{port}: no reply to {word} within {limit:?}"),
            ),
            Error::Protocol { .. } => CmdError::new(code::SERVER, e.to_string()),
            Error::InvalidArgument(_) => CmdError::usage(e.to_string()),
            _ => CmdError::new(code::CONNECTION, e.to_string()),
        })?;
    if reply.is_empty() {
        return Err(CmdError::new(
            code::SERVER,
            format!("{host}:{port}: no reply to {word} (is it in 4lw.commands.whitelist?)"),
        ));
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}
