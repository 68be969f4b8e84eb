//! Four-letter words (`ruok`, `srvr`, `mntr`, ...): one word, one connection, the reply is
//! whatever the server writes before closing it. Over TLS too, on a `secureClientPort`.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::tls::TlsOptions;
use crate::transport::open;
use crate::Error;

/// The longest reply read: `mntr`, `cons` or `wchp` of a big server are a few MiB at most.
pub const MAX_FOUR_LETTER_REPLY: usize = 16 << 20;

/// Sends a four-letter word to `host:port` (with TLS when `tls` is set) and returns the reply,
/// all within `limit`. An empty reply means the word is not in the server's
/// `4lw.commands.whitelist`.
///
/// ```no_run
/// # async fn demo() -> Result<(), zk_client::Error> {
/// use std::time::Duration;
/// let reply = zk_client::four_letter_word("127.0.0.1", 2181, "ruok", None, Duration::from_secs(5)).await?;
/// assert_eq!(reply, b"imok");
/// # Ok(()) }
/// ```
pub async fn four_letter_word(
    host: &str,
    port: u16,
    word: &str,
    tls: Option<TlsOptions>,
    limit: Duration,
) -> Result<Vec<u8>, Error> {
    if word.len() != 4 || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(Error::InvalidArgument(format!(
            "{word:?} is not a four-letter word"
        )));
    }
    ask(
        host,
        port,
        word,
        tls.map(Arc::new),
        limit,
        MAX_FOUR_LETTER_REPLY,
    )
    .await
}

/// Sends `word` and reads the reply, at most `max` bytes (more is an error) and within `limit`
/// for the connection and the answer together. Shared by [`four_letter_word`] and the
/// read-only probe (`isro`, a few bytes).
pub(crate) async fn ask(
    host: &str,
    port: u16,
    word: &str,
    tls: Option<Arc<TlsOptions>>,
    limit: Duration,
    max: usize,
) -> Result<Vec<u8>, Error> {
    let deadline = crate::deadline::from_now(limit);
    let mut stream = open((host.to_string(), port), limit, tls, 0)
        .await
        .map_err(|f| match f.tls {
            Some(reason) => Error::Tls {
                server: f.server,
                reason,
            },
            None => Error::NoHosts(f.to_string()),
        })?;
    let ask = async {
        stream.write_all(word.as_bytes()).await?;
        stream.flush().await?;
        let mut reply = Vec::new();
        (&mut stream)
            .take(max as u64 + 1)
            .read_to_end(&mut reply)
            .await?;
        Ok::<_, std::io::Error>(reply)
    };
    match tokio::time::timeout_at(deadline, ask).await {
        Ok(Ok(reply)) if reply.len() > max => {
            let size = if max.is_multiple_of(1 << 20) {
                format!("{} MiB", max >> 20)
            } else {
                format!("{max} bytes")
            };
            Err(Error::protocol(format!(
                "{host}:{port}: the reply to {word} is over {size}; not a ZooKeeper server?"
            )))
        }
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(e)) => Err(Error::NoHosts(format!("{host}:{port}: {e}"))),
        Err(_) => Err(Error::Timeout),
    }
}
