//! Expiring a session on purpose: a second connection takes the session over with its id and
//! password and closes it, as ZooKeeper's own tests do. The first client then learns on its
//! next (re)connection that the session is gone.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use jute::Record;
use jute_schemas::proto::{ConnectRequest, ConnectResponse, RequestHeader};

use crate::wire::{frame, read_frame};
use crate::Error;

/// Ends session `session_id` (with its 16-byte `password`) on the server at `addr`.
///
/// The takeover connection sends `closeSession` only after the server accepted its handshake:
/// ZooKeeper 3.8 can still process a `closeSession` pipelined behind a refused handshake, for
/// the session that handshake claimed, which would let a wrong password end the session.
/// Presenting the session makes the server drop the session's current connection, whose client
/// may reconnect and take the session back first; so the attempt is repeated until the server
/// refuses a handshake for the session after having accepted one, which proves it is gone.
pub fn expire_session(addr: SocketAddr, session_id: i64, password: &[u8]) -> Result<(), Error> {
    let ctx = format!("expiring session 0x{session_id:x} at {addr}");
    // A refused handshake means the session is gone only once the password was seen to work.
    let mut accepted_once = false;
    for _ in 0..50 {
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(Error::io(ctx.clone()))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(Error::io(ctx.clone()))?;
        let hello = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 30_000,
            session_id,
            passwd: Some(password.to_vec()),
            read_only: Some(false),
        };
        s.write_all(&frame(&hello.to_vec())?)
            .map_err(Error::io(ctx.clone()))?;
        match read_frame(&mut s, &ctx) {
            Ok(reply) => {
                let reply: ConnectResponse = jute::from_slice(&reply)
                    .map_err(|e| Error::Expire(format!("{ctx}: bad ConnectResponse: {e}")))?;
                if reply.time_out <= 0 {
                    if accepted_once {
                        // The server no longer knows the session: done.
                        return Ok(());
                    }
                    return Err(Error::Expire(format!(
                        "{ctx}: the server refused the session (already expired, or a wrong password)"
                    )));
                }
                accepted_once = true;
                let close = RequestHeader {
                    xid: 1,
                    r#type: -11,
                };
                // Then wait for the answer, or for the server closing the connection.
                if s.write_all(&frame(&close.to_vec())?).is_ok() {
                    let _ = read_frame(&mut s, &ctx);
                }
            }
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            }
            Err(e) => return Err(e),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(Error::Expire(format!(
        "{ctx}: the session was still alive after 50 attempts"
    )))
}
