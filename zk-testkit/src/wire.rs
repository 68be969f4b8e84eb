//! ZooKeeper's framing (`jute_schemas::protocol::frame`) on the test kit's own blocking
//! connections.

use std::io::Read;
use std::net::TcpStream;

use jute_schemas::protocol::frame;

use crate::Error;

/// The largest frame the test kit reads (ZooKeeper's default `jute.maxbuffer` and some room).
pub const MAX_FRAME: usize = 4 << 20;

/// `body` with its length prefix (the test kit's frames are far below the 2 GiB a prefix can
/// state; a longer body is an error).
pub fn frame(body: &[u8]) -> Result<Vec<u8>, Error> {
    frame::to_vec(body).map_err(|e| Error::Io {
        context: format!("framing: {e}"),
        source: std::io::ErrorKind::InvalidInput.into(),
    })
}

/// Reads one frame (without its prefix); `ctx` names the conversation in errors.
pub fn read_frame(s: &mut TcpStream, ctx: &str) -> Result<Vec<u8>, Error> {
    let mut len = [0u8; frame::PREFIX];
    s.read_exact(&mut len)
        .map_err(Error::io(format!("{ctx}: reading a frame")))?;
    let len = frame::length(len, MAX_FRAME).map_err(|e| Error::Io {
        context: format!("{ctx}: {e}"),
        source: std::io::ErrorKind::InvalidData.into(),
    })?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)
        .map_err(Error::io(format!("{ctx}: reading a frame")))?;
    Ok(body)
}
