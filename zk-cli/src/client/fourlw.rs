//! Four-letter words (`ruok`, `srvr`, `mntr`, ...), sent to the first host of the connect
//! string.

use std::net::ToSocketAddrs;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::error::{code, CmdError};

/// The words ZooKeeper 3.8 knows.
pub const WORDS: &[&str] = &[
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "isro", "mntr", "ruok", "srst", "srvr",
    "stat", "wchc", "wchp", "wchs",
];

/// The longest reply read: `mntr`, `cons` or `wchp` of a big server are a few MiB at most.
pub const MAX_REPLY: u64 = 16 << 20;

fn text(reply: Vec<u8>, addr: std::net::SocketAddr, word: &str) -> Result<String, CmdError> {
    if reply.is_empty() {
        return Err(CmdError::new(
            code::SERVER,
            format!("{addr}: no reply to {word} (is it in 4lw.commands.whitelist?)"),
        ));
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// Sends `word` to the first host of `hosts` and returns the reply.
pub async fn send(hosts: &str, word: &str) -> Result<String, CmdError> {
    let first = hosts
        .split('/')
        .next()
        .unwrap_or("")
        .split(',')
        .next()
        .unwrap_or("")
        .trim();
    let with_port = if first
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        first.to_string()
    } else {
        format!("{first}:2181")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| CmdError::usage(format!("{with_port}: {e}")))?
        .next()
        .ok_or_else(|| CmdError::usage(format!("{with_port}: no address")))?;
    let limit = Duration::from_secs(5);
    let ask = async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(word.as_bytes()).await?;
        let mut reply = Vec::new();
        (&mut s).take(MAX_REPLY + 1).read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    match timeout(limit, ask).await {
        Ok(Ok(reply)) if reply.len() as u64 > MAX_REPLY => Err(CmdError::new(
            code::SERVER,
            format!(
                "{addr}: the reply to {word} is over {} MiB; not a ZooKeeper server?",
                MAX_REPLY >> 20
            ),
        )),
        Ok(Ok(reply)) => text(reply, addr, word),
        Ok(Err(e)) => Err(CmdError::new(code::CONNECTION, format!("{addr}: {e}"))),
        Err(_) => Err(CmdError::new(
            code::CONNECTION,
            format!("{addr}: no reply to {word} within {limit:?}"),
        )),
    }
}
