//! One connection attempt: the SASL exchange started (it may block), then the transport
//! opened, framed with small buffers.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::timeout;
use tokio_util::codec::Framed;

use crate::codec::FrameCodec;
use crate::sasl::{SaslOptions, SaslStart};
use crate::tls::TlsOptions;
use crate::transport::{open, OpenFailure, Stream};

/// A framed connection.
pub(crate) type Conn = Framed<Stream, FrameCodec>;

/// Why an attempt found no server to talk to.
pub(crate) enum Attempt {
    Open(OpenFailure),
    /// The SASL exchange could not start (no Kerberos credentials, say).
    Sasl {
        mechanism: &'static str,
        host: String,
        why: String,
    },
}

/// One connection attempt to `target`, on the `turn`th pass over the hosts: the SASL exchange
/// started (when configured), then the stream opened.
pub(crate) async fn attempt(
    target: (String, u16),
    turn: usize,
    limit: Duration,
    tls: Option<Arc<TlsOptions>>,
    sasl: Option<Arc<SaslOptions>>,
) -> Result<(Stream, Option<Box<SaslStart>>), Attempt> {
    let sasl = match sasl {
        None => None,
        Some(options) => {
            let mechanism = options.mechanism();
            match start_sasl(options, target.0.clone(), limit).await {
                Ok(s) => Some(Box::new(s)),
                Err(why) => {
                    return Err(Attempt::Sasl {
                        mechanism,
                        host: target.0,
                        why,
                    })
                }
            }
        }
    };
    let stream = open(target, limit, tls, turn)
        .await
        .map_err(Attempt::Open)?;
    Ok((stream, sasl))
}

/// Starts a SASL exchange for a connection to `host`: on tokio's blocking pool when starting
/// may block (GSSAPI asks the KDC), within `limit`.
async fn start_sasl(
    options: Arc<SaslOptions>,
    host: String,
    limit: Duration,
) -> Result<SaslStart, String> {
    if !options.start_blocks() {
        return options.start(&host);
    }
    let job = tokio::task::spawn_blocking(move || options.start(&host));
    match timeout(limit, job).await {
        Err(_) => Err(format!(
            "not started within the connect timeout ({limit:?}): is the KDC reachable?"
        )),
        Ok(Err(e)) => Err(format!("the start failed: {e}")),
        Ok(Ok(started)) => started,
    }
}

/// Buffers start small (tokio-util's default is 8 KiB each way): an idle session then costs
/// little, and the codec reserves room for each frame as its length arrives.
/// (`Framed::from_parts` would grow smaller buffers back to 8 KiB; `with_capacity` keeps them.
/// The write buffer's size is also where `feed` flushes, which only the replayed credentials
/// and watches after a handshake use; the calls' output is flushed as a whole.)
const INITIAL_BUFFER: usize = 512;

pub(crate) fn framed(stream: Stream, codec: FrameCodec) -> Conn {
    Framed::with_capacity(stream, codec, INITIAL_BUFFER)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_connection_starts_with_small_buffers() {
        // An idle session keeps its buffers: 512 bytes each way, not tokio-util's 8 KiB (which
        // `Framed::from_parts` restored, unseen, for every session until a heap profile showed
        // two 7,680-byte blocks per connection).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, _server) =
            tokio::join!(tokio::net::TcpStream::connect(addr), listener.accept());
        let conn = super::framed(
            crate::transport::Stream::Plain(client.unwrap()),
            crate::codec::FrameCodec::new(1 << 20),
        );
        assert_eq!(conn.read_buffer().capacity(), super::INITIAL_BUFFER);
        assert_eq!(conn.write_buffer().capacity(), super::INITIAL_BUFFER);
    }
}
